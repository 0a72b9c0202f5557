"""Healthcare use and dental health of one chunk of children (issue 13): the model's rates and
caries probabilities, and the natural rows of the optional exports `vardkontakter` and
`tandhalsa`. The model is declared in `parameters` (CARE_*, DENTAL_*); every draw here comes
from the tables' own streams, so the core exports do not change with these."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from pipeline.synth.outcomes import _Events, _expit, _keep, _logit
from pipeline.synth.parameters import (
    _TABLE_STREAM,
    AREA_TABLE,
    AREAS,
    CARE_AREA_SD,
    CARE_AREA_SHIFT,
    CARE_BANDS,
    CARE_BASE_RATE,
    CARE_COEFFICIENTS,
    CARE_FORMS,
    CARE_REASON_GIVEN,
    CARE_REASONS,
    CARE_TREND_PER_YEAR,
    DENTAL_AGE_MIX,
    DENTAL_AREA_SD,
    DENTAL_AREA_SHIFT,
    DENTAL_CARIES_BASE,
    DENTAL_COEFFICIENTS,
    DENTAL_DEFT_COEFFICIENTS,
    DENTAL_DEFT_EXTRA,
    DENTAL_DEFT_MAX,
    DENTAL_EXAMINED_BLANK,
    DENTAL_NO_ROW,
    DENTAL_NOT_KEPT,
    DENTAL_REBOOKED,
    DENTAL_TREND_PER_YEAR,
    DENTAL_TWICE,
    TERMS,
)
from pipeline.synth.population import _Children, _draw_fixed

DAYS_PER_YEAR = 365.25
_BAND_DAYS = np.array([hi - lo for lo, hi in CARE_BANDS], dtype=float)


def _care_area_effects(seed: int) -> dict[str, np.ndarray]:
    """Each care form's and caries' effect of every area (AREAS order) on the log rate / logit:
    disadvantage x shift + sd x z, z drawn once per study from a stream of its own."""
    rng = np.random.default_rng([seed, 0, _TABLE_STREAM["care_areas"]])
    z = rng.standard_normal((len(CARE_FORMS) + 1, len(AREAS)))
    disadvantage = np.array([area.disadvantage for area in AREA_TABLE])
    effects = {form: np.round(disadvantage * CARE_AREA_SHIFT[form] + CARE_AREA_SD[form] * z[i], 4)
               for i, form in enumerate(CARE_FORMS)}
    effects["dental_caries"] = np.round(disadvantage * DENTAL_AREA_SHIFT + DENTAL_AREA_SD * z[-1], 4)
    return effects


@dataclass
class _Care:
    """The care and caries model of one chunk's children, untreated, with the programme's
    effects (logs) to add for the treated (exposed children whose family accepted)."""

    log_rate: dict[str, np.ndarray]  # form -> (n, bands): log contacts per child-year
    log_rate_ratio: dict[str, float]
    caries_logit: np.ndarray
    caries_log_or: float
    deft_log_mean: np.ndarray  # log mean of the Poisson part of deft, given caries
    deft_log_rate_ratio: float
    treated: np.ndarray

    def rate(self, form: str, treated: np.ndarray | bool) -> np.ndarray:
        """Contacts per child-year by age band, (n, bands), at the given programme status."""
        effect = self.log_rate_ratio[form] * np.asarray(treated, dtype=float)
        return np.exp(self.log_rate[form] + np.reshape(effect, (-1, 1)))

    def caries(self, treated: np.ndarray | bool) -> np.ndarray:
        """P(deft > 0 at 3 years) at the given programme status."""
        return _expit(self.caries_logit + self.caries_log_or * np.asarray(treated, dtype=float))

    def deft_given_caries(self, treated: np.ndarray | bool) -> np.ndarray:
        """E[deft | caries] = E[min(1 + Poisson(mu), DENTAL_DEFT_MAX)], exactly."""
        mu = np.exp(self.deft_log_mean + self.deft_log_rate_ratio * np.asarray(treated, dtype=float))
        # E[min(1 + X, M)] = 1 + sum_{k=1}^{M-1} P(X >= k); P(X >= k) from the pmf recursion
        pmf = np.exp(-mu)
        at_least = 1.0 - pmf
        expected = np.ones_like(mu)
        for k in range(1, DENTAL_DEFT_MAX):
            expected += at_least
            pmf = pmf * mu / k
            at_least = at_least - pmf
        return expected

    def mean_deft(self, treated: np.ndarray | bool) -> np.ndarray:
        return self.caries(treated) * self.deft_given_caries(treated)


def _draw_care(kids: _Children, effects: dict[str, float],
               area_effects: dict[str, np.ndarray]) -> _Care:
    """The model of one chunk (no random draws: the children's covariates and area only)."""
    log_rate = {}
    for form in CARE_FORMS:
        beta = np.array([CARE_COEFFICIENTS[form].get(term, 0.0) for term in TERMS])
        eta = (kids.terms @ beta + area_effects[form][kids.area]
               + CARE_TREND_PER_YEAR[form] * kids.years)
        log_rate[form] = eta[:, None] + np.log(np.array(CARE_BASE_RATE[form]))[None, :]
    caries_beta = np.array([DENTAL_COEFFICIENTS.get(term, 0.0) for term in TERMS])
    caries_logit = (_logit(DENTAL_CARIES_BASE) + kids.terms @ caries_beta
                    + area_effects["dental_caries"][kids.area] + DENTAL_TREND_PER_YEAR * kids.years)
    deft_beta = np.array([DENTAL_DEFT_COEFFICIENTS.get(term, 0.0) for term in TERMS])
    return _Care(log_rate, {form: math.log(effects[f"care_{form}"]) for form in CARE_FORMS},
                 caries_logit, math.log(effects["dental_caries"]),
                 math.log(DENTAL_DEFT_EXTRA) + kids.terms @ deft_beta,
                 math.log(effects["dental_deft"]), kids.accepted.astype(float))


def _care_events(rng: np.random.Generator, kids: _Children, care: _Care) -> _Events:
    """Contacts: per care form and age band a Poisson count, each at a uniform time in the
    band; events of one form on one day are one row (as a register lists them)."""
    n = len(kids)
    children, ages, forms = [], [], []
    for f, form in enumerate(CARE_FORMS):
        rate = care.rate(form, care.treated)
        for b, (lo, hi) in enumerate(CARE_BANDS):
            count = rng.poisson(rate[:, b] * _BAND_DAYS[b] / DAYS_PER_YEAR)
            child = np.repeat(np.arange(n), count)
            children.append(child)
            ages.append(lo + np.floor(rng.random(len(child)) * (hi - lo)).astype(np.int64))
            forms.append(np.full(len(child), f))
    child, age, form = np.concatenate(children), np.concatenate(ages), np.concatenate(forms)
    day = kids.birth[child] + age
    keep = _keep(child, day, kids)
    child, day, form = child[keep], day[keep], form[keep]
    key = (child.astype(np.int64) * 2**16 + (day - kids.birth[child])) * len(CARE_FORMS) + form
    _, first = np.unique(key, return_index=True)  # sorted by child, age, form
    child, day, form = child[first], day[first], form[first]
    reason = np.full(len(child), "", dtype=object)
    given = rng.random(len(child)) < CARE_REASON_GIVEN
    pick = rng.random(len(child))
    for f, name in enumerate(CARE_FORMS):
        rows = np.flatnonzero(given & (form == f))
        texts = np.array(CARE_REASONS[name], dtype=object)
        reason[rows] = texts[(pick[rows] * len(texts)).astype(int)]
    return _Events(child, day, {"form": form, "reason": reason}, key_extra=form.copy(),
                   conflict_ok=np.ones(len(child), dtype=bool))


def _dental_events(rng: np.random.Generator, kids: _Children, care: _Care) -> _Events:
    """Bookings and examinations around 3 years; every examination of a child gives its deft."""
    n = len(kids)
    caries = rng.random(n) < care.caries(care.treated)
    extra = rng.poisson(np.exp(care.deft_log_mean + care.deft_log_rate_ratio * care.treated))
    deft = np.where(caries, np.minimum(1 + extra, DENTAL_DEFT_MAX), 0)
    has_row = rng.random(n) >= DENTAL_NO_ROW
    mix = _draw_fixed(rng, tuple(share for share, _ in DENTAL_AGE_MIX), n)
    ranges = np.array([days for _, days in DENTAL_AGE_MIX])[mix]
    booked = ranges[:, 0] + (rng.random(n) * (ranges[:, 1] - ranges[:, 0] + 1)).astype(np.int64)
    not_kept = has_row & (rng.random(n) < DENTAL_NOT_KEPT)
    rebooked = not_kept & (rng.random(n) < DENTAL_REBOOKED)
    first_age = np.where(not_kept, booked + rng.integers(20, 91, n), booked)
    examined = has_row & (~not_kept | rebooked)
    twice = examined & (rng.random(n) < DENTAL_TWICE)
    second_age = first_age + rng.integers(60, 241, n)
    parts = ((not_kept, booked, False), (examined, first_age, True), (twice, second_age, True))
    child = np.concatenate([np.flatnonzero(mask) for mask, _, _ in parts])
    age = np.concatenate([ages[mask] for mask, ages, _ in parts])
    done = np.concatenate([np.full(mask.sum(), flag) for mask, _, flag in parts])
    day = kids.birth[child] + age
    keep = _keep(child, day, kids)
    child, day, done = child[keep], day[keep], done[keep]
    order = np.lexsort((day, child))
    child, day, done = child[order], day[order], done[order]
    blank = done & (rng.random(len(child)) < DENTAL_EXAMINED_BLANK)
    row_deft = np.where(done, deft[child], -1)
    return _Events(child, day, {"deft": row_deft, "examined": done, "examined_blank": blank},
                   conflict_ok=done & (row_deft < DENTAL_DEFT_MAX))
