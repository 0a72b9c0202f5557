"""Outcomes of one chunk of children: linear predictors and the natural rows of the event
tables (breastfeeding assessments, vaccinations, language screening, visits)."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from pipeline.synth.parameters import (
    _BF_DRAW_FROM,
    _BF_GAPS,
    _TABLE_STREAM,
    _VACCINE_PRODUCTS,
    AREA_DOMAINS,
    AREA_SHIFT,
    AREA_TABLE,
    AREA_VARIATION,
    AREAS,
    BASELINE,
    BF_EXTRA,
    BF_MISSING,
    BF_POINTS,
    CLINIC_VISIT_AGES,
    COEFFICIENTS,
    CURVES,
    NOT_SCREENED_ROW,
    OUTCOME_FAMILIES,
    PROGRAMME_CONTACTS,
    REFERRAL_IF_DEVIATION,
    REFERRAL_IF_NO_REMARK,
    ROTA_FROM,
    SCREENING_AGE_DAYS,
    SCREENING_BY_AREA,
    TERMS,
    TREND_PER_YEAR,
)
from pipeline.synth.population import _Children, _days, _draw_fixed

# --- the outcome curves --------------------------------------------------------------------

def _expit(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def _logit(p: np.ndarray | float) -> np.ndarray:
    p = np.asarray(p, dtype=float)
    return np.log(p) - np.log1p(-p)


def _curve(family: str) -> tuple[np.ndarray, np.ndarray]:
    knots = CURVES[family]
    return (np.array([t for t, _ in knots], dtype=float),
            _logit(np.array([p for _, p in knots], dtype=float)))


def _curve_logit(family: str, age: np.ndarray) -> np.ndarray:
    ages, logits = _curve(family)
    return np.interp(age, ages, logits)


def _decreasing_event_age(family: str, z: np.ndarray) -> np.ndarray:
    """Age where a decreasing logit curve equals z: 0 above its start, inf below its end."""
    ages, logits = _curve(family)
    age = np.interp(z, logits[::-1], ages[::-1])
    age = np.where(z > logits[0], 0.0, age)
    return np.where(z < logits[-1], np.inf, age)


def _increasing_event_age(family: str, z: np.ndarray) -> np.ndarray:
    """First whole day where an increasing logit curve reaches z: inf above its end."""
    ages, logits = _curve(family)
    age = np.ceil(np.interp(z, logits, ages))
    return np.where(z > logits[-1], np.inf, age)


# --- outcomes ------------------------------------------------------------------------------

@dataclass
class _Outcomes:
    """Linear predictors (untreated) and latent draws of one chunk."""

    eta: dict[str, np.ndarray]
    log_or: dict[str, float]
    treated: np.ndarray
    u_bf: np.ndarray
    u_vacc: np.ndarray
    u_mmr: np.ndarray
    u_rota: np.ndarray
    u_screened: np.ndarray
    u_deviation: np.ndarray
    u_referral: np.ndarray

    def actual(self, family: str) -> np.ndarray:
        return self.eta[family] + self.log_or[family] * self.treated

    def versions(self, family: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(actual, untreated, treated) linear predictors."""
        untreated = self.eta[family]
        return self.actual(family), untreated, untreated + self.log_or[family]


def _area_effects(seed: int) -> dict[str, np.ndarray]:
    """Each family's effect of every area (in the order of AREAS) on the logit; see AREA_SHIFT."""
    rng = np.random.default_rng([seed, 0, _TABLE_STREAM["areas"]])
    z = dict(zip(AREA_DOMAINS, rng.standard_normal((len(AREA_DOMAINS), len(AREAS))), strict=True))
    disadvantage = np.array([area.disadvantage for area in AREA_TABLE])
    return {family: np.round(disadvantage * AREA_SHIFT[family] + sd * z[domain], 4)
            for family, (domain, sd) in AREA_VARIATION.items()}


def _draw_outcomes(rng: np.random.Generator, kids: _Children, effects: dict[str, float],
                   area_effects: dict[str, np.ndarray]) -> _Outcomes:
    eta = {}
    for family in OUTCOME_FAMILIES:
        beta = np.array([COEFFICIENTS[family].get(term, 0.0) for term in TERMS])
        value = kids.terms @ beta + area_effects[family][kids.area]
        value = value + TREND_PER_YEAR[family] * kids.years
        if family in BASELINE:
            value = value + _logit(BASELINE[family])
        eta[family] = value
    log_or = {family: math.log(effects[family]) for family in OUTCOME_FAMILIES}
    n = len(kids)
    return _Outcomes(eta, log_or, kids.accepted.astype(float), *(rng.random(n) for _ in range(7)))


# --- event tables (natural rows) -----------------------------------------------------------

@dataclass
class _Events:
    """Natural rows of one event table: chunk child index, absolute day, formatted frame."""

    child: np.ndarray
    day: np.ndarray
    columns: dict[str, np.ndarray]
    key_extra: np.ndarray | None = None  # part of the row key besides child and day (visit kind)
    conflict_ok: np.ndarray | None = None  # rows allowed as sources of duplicate_conflict


def _keep(child: np.ndarray, day: np.ndarray, kids: _Children) -> np.ndarray:
    return (day >= kids.birth[child]) & (day < kids.alive_until()[child])


def _breastfeeding_events(rng: np.random.Generator, kids: _Children, out: _Outcomes) -> tuple[
        _Events, dict[str, np.ndarray]]:
    """Assessments at the official points (one per window, ~10% missing) plus a few extras."""
    n = len(kids)
    any_eta = out.actual("bf_any")
    excl_eta = out.actual("bf_excl")
    z = _logit(out.u_bf)
    weaning = _decreasing_event_age("bf_any", z - any_eta)
    excl_end = _decreasing_event_age("bf_excl", z - excl_eta)
    children, ages, points = [], [], []
    assessed_age: dict[str, np.ndarray] = {}
    for index, (point, (lo, hi)) in enumerate(BF_POINTS.items()):
        present = rng.random(n) >= BF_MISSING
        age = rng.integers(_BF_DRAW_FROM.get(point, lo), hi + 1, n)
        child = np.flatnonzero(present)
        keep = _keep(child, kids.birth[child] + age[child], kids)
        child = child[keep]
        children.append(child)
        ages.append(age[child])
        points.append(np.full(len(child), index))
        assessed = np.full(n, -1)
        assessed[child] = age[child]
        assessed_age[point] = assessed
    extra = np.flatnonzero(rng.random(n) < BF_EXTRA)
    gap = rng.integers(0, len(_BF_GAPS), len(extra))
    gaps = np.array(_BF_GAPS)
    gap_days = gaps[gap, 1] - gaps[gap, 0] + 1
    extra_age = gaps[gap, 0] + (rng.random(len(extra)) * gap_days).astype(int)
    keep = _keep(extra, kids.birth[extra] + extra_age, kids)
    children.append(extra[keep])
    ages.append(extra_age[keep])
    points.append(np.full(keep.sum(), len(BF_POINTS)))
    child = np.concatenate(children)
    age = np.concatenate(ages)
    point = np.concatenate(points)
    order = np.lexsort((age, child))
    child, age, point = child[order], age[order], point[order]
    is_any = weaning[child] > age
    is_excl = is_any & (excl_end[child] > age)
    predominant = rng.random(len(child)) < np.where(age - excl_end[child] < 30, 0.5, 0.15)
    status = np.where(~is_any, 3, np.where(is_excl, 0, np.where(predominant, 1, 2)))
    events = _Events(child, kids.birth[child] + age, {"status": status},
                     conflict_ok=point >= list(BF_POINTS).index("8m"))
    return events, assessed_age


def _vaccination_events(rng: np.random.Generator, kids: _Children, out: _Outcomes) -> _Events:
    """DTaP and PCV at ~3, 5, 12 months, MMR at ~18 months, rotavirus for births from 2019-09-01."""
    n = len(kids)
    z = _logit(out.u_vacc)
    dtp3 = _increasing_event_age("vacc_dtp3", z - out.actual("vacc_dtp3"))
    pcv3 = _increasing_event_age("vacc_pcv3", z - out.actual("vacc_pcv3"))
    mmr = _increasing_event_age("vacc_mmr1", _logit(out.u_mmr) - out.actual("vacc_mmr1"))
    dose1 = 90 + rng.integers(0, 21, n)
    dose2 = dose1 + 60 + rng.integers(0, 21, n)
    partial_doses = _draw_fixed(rng, (0.35, 0.25, 0.40), n)  # doses given when the series stops
    rota_eligible = kids.birth >= _days(ROTA_FROM)
    p_rota = _expit(out.actual("vacc_rota"))
    rota_complete = rota_eligible & (out.u_rota < p_rota)
    rota_started = rota_complete | (rota_eligible & (rng.random(n) < 0.5))
    products = {series: _draw_fixed(rng, tuple(s for _, s in spec), n)
                for series, spec in _VACCINE_PRODUCTS.items()}
    rotateq = products["rota"] == 1
    rota_doses = np.where(rota_complete, np.where(rotateq, 3, 2), np.where(rota_started, 1, 0))
    rota_ages = np.stack([42 + rng.integers(0, 15, n), 90 + rng.integers(0, 15, n),
                          150 + rng.integers(0, 15, n)], axis=1)
    child_parts, age_parts, series_parts, dose_parts = [], [], [], []

    def add(mask: np.ndarray, age: np.ndarray, series: int, dose: int) -> None:
        child = np.flatnonzero(mask & np.isfinite(age))
        child_parts.append(child)
        age_parts.append(age[child].astype(np.int64))
        series_parts.append(np.full(len(child), series))
        dose_parts.append(np.full(len(child), dose))

    for series, third in ((0, dtp3), (1, pcv3)):
        complete = np.isfinite(third)
        add(complete | (partial_doses >= 1), dose1.astype(float), series, 1)
        add(complete | (partial_doses >= 2), dose2.astype(float), series, 2)
        add(complete, third, series, 3)
    add(np.ones(n, dtype=bool), mmr, 2, 1)
    for dose in (1, 2, 3):
        add(rota_doses >= dose, rota_ages[:, dose - 1].astype(float), 3, dose)
    child = np.concatenate(child_parts)
    age = np.concatenate(age_parts)
    series = np.concatenate(series_parts)
    dose = np.concatenate(dose_parts)
    day = kids.birth[child] + age
    keep = _keep(child, day, kids)
    child, day, series, dose = child[keep], day[keep], series[keep], dose[keep]
    order = np.lexsort((series, day, child))
    child, day, series, dose = child[order], day[order], series[order], dose[order]
    names = np.empty(len(child), dtype=object)
    for s, (name, spec) in enumerate(_VACCINE_PRODUCTS.items()):
        rows = np.flatnonzero(series == s)
        product = products[name][child[rows]]
        for p, (spellings, _) in enumerate(spec):
            sub = rows[product == p]
            pick = rng.integers(0, len(spellings), len(sub))
            names[sub] = np.array(spellings, dtype=object)[pick]
    dose_text = np.where(rng.random(len(child)) < 0.6, dose.astype(str).astype(object), "")
    return _Events(child, day, {"vaccine": names, "dose": dose_text, "series": series,
                                "rotateq": rotateq[child] & (series == 3)},
                   conflict_ok=dose_text != "")


def _language_events(rng: np.random.Generator, kids: _Children, out: _Outcomes) -> tuple[
        _Events, dict[str, np.ndarray]]:
    n = len(kids)
    screening = np.array(SCREENING_BY_AREA)[kids.area]
    nominal = np.where(screening == "30m", SCREENING_AGE_DAYS["30m"], SCREENING_AGE_DAYS["36m"])
    age = nominal + rng.integers(-14, 76, n)
    p_screened = _expit(out.actual("lang_screened"))
    p_no_deviation = _expit(out.actual("lang_no_deviation"))
    screened = out.u_screened < p_screened
    no_deviation = out.u_deviation < p_no_deviation
    referred = screened & (out.u_referral < np.where(no_deviation, REFERRAL_IF_NO_REMARK,
                                                     REFERRAL_IF_DEVIATION))
    has_row = screened | (rng.random(n) < NOT_SCREENED_ROW)
    child = np.flatnonzero(has_row)
    child = child[_keep(child, kids.birth[child] + age[child], kids)]
    result = np.where(~screened[child], 2, np.where(no_deviation[child], 0, 1))
    events = _Events(child, kids.birth[child] + age[child],
                     {"screening": np.where(screening[child] == "30m", 1, 2), "result": result,
                      "referred": referred[child]},
                     conflict_ok=np.ones(len(child), dtype=bool))
    written = np.zeros(n, dtype=bool)
    written[child] = True
    return events, {"screened": screened, "no_deviation": no_deviation, "referred": referred,
                    "written": written, "nominal": nominal}


def _visit_events(rng: np.random.Generator, kids: _Children) -> _Events:
    """Programme home visits for accepting families, the ordinary BVC programme for everyone."""
    n = len(kids)
    parts: list[dict[str, np.ndarray]] = []
    accepted = np.flatnonzero(kids.accepted)
    for number, (_target, (lo, hi)) in enumerate(PROGRAMME_CONTACTS, start=1):
        child = accepted
        m = len(child)
        lo_draw = max(lo, 3)
        # on time, late, cancelled, no-show, no row at all
        state = _draw_fixed(rng, (0.78, 0.07, 0.06, 0.04, 0.05), m)
        age = lo_draw + rng.integers(0, hi - lo_draw + 1, m)
        age = np.where(state == 1, hi + rng.integers(1, 9, m), age)
        rows = state != 4
        who = _draw_fixed(rng, (0.85, 0.12, 0.03), m)  # joint, nurse only, advisor only
        parts.append({"child": child[rows], "age": age[rows], "kind": np.zeros(rows.sum(), int),
                      "status": np.select([state == 2, state == 3], [1, 2], 0)[rows],
                      "who": np.array(["joint", "nurse", "advisor"])[who][rows],
                      "number": np.full(rows.sum(), number)})
    newborn = np.flatnonzero(~kids.accepted)
    m = len(newborn)
    parts.append({"child": newborn, "age": 3 + rng.integers(0, 12, m), "kind": np.zeros(m, int),
                  "status": _draw_fixed(rng, (0.95, 0.03, 0.02), m),
                  "who": np.full(m, "nurse"), "number": np.zeros(m, int)})
    for target, jitter in CLINIC_VISIT_AGES:
        child = np.flatnonzero(rng.random(n) < 0.88)
        m = len(child)
        parts.append({"child": child, "age": target + rng.integers(-jitter, jitter + 1, m),
                      "kind": np.where(rng.random(m) < 0.07, 2, 1),
                      "status": _draw_fixed(rng, (0.95, 0.02, 0.03), m),
                      "who": np.where(rng.random(m) < 0.1, "none", "nurse"),
                      "number": np.zeros(m, int)})
    columns = {key: np.concatenate([p[key] for p in parts]) for key in parts[0]}
    child = columns.pop("child")
    day = kids.birth[child] + columns.pop("age")
    keep = _keep(child, day, kids)
    child, day = child[keep], day[keep]
    columns = {key: value[keep] for key, value in columns.items()}
    order = np.lexsort((columns["kind"], day, child))
    child, day = child[order], day[order]
    columns = {key: value[order] for key, value in columns.items()}
    return _Events(child, day, columns, key_extra=columns["kind"].copy(),
                   conflict_ok=np.ones(len(child), dtype=bool))
