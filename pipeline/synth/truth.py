"""truth.json: the expected proportion of every indicator per design group, streamed over
chunks, and the generator's parameters as written beside the exports."""

from __future__ import annotations

import numpy as np

from pipeline.synth.care import DAYS_PER_YEAR, _Care
from pipeline.synth.outcomes import _curve_logit, _Events, _expit, _Outcomes
from pipeline.synth.parameters import (
    ACCEPT_PROBABILITY,
    ACCEPT_PROBABILITY_INTERPRETER,
    AREA_SHARES,
    AREA_SHIFT,
    AREA_TABLE,
    AREA_VARIATION,
    AREAS,
    BASELINE,
    BF_MISSING,
    BF_POINTS,
    BORN_FROM,
    BORN_TO,
    BVC_UNITS,
    CARE_AREA_SD,
    CARE_AREA_SHIFT,
    CARE_BANDS,
    CARE_BASE_RATE,
    CARE_COEFFICIENTS,
    CARE_FORMS,
    CARE_LIMIT_MONTHS,
    CARE_REASON_GIVEN,
    CARE_TREND_PER_YEAR,
    COEFFICIENTS,
    COMPARISON_AREAS,
    CURVES,
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
    DENTAL_TARGET_MONTHS,
    DENTAL_TREND_PER_YEAR,
    DENTAL_TWICE,
    DENTAL_WINDOW_MONTHS,
    EDUCATION_BY_REGION,
    EDUCATION_SHIFT_INTERVENTION,
    EDUCATIONS,
    EXTRACTION_DATE,
    FIRST_CHILD_BY_REGION,
    FIRST_IN_SWEDEN_IF_ABROAD,
    GENERATOR_VERSION,
    INTERPRETER_BY_REGION,
    INTERVENTION_AREAS,
    MESS_RATE,
    MOVE_OUT_PROBABILITY,
    PROGRAMME_CONTACTS,
    PROGRAMME_START,
    REFERRAL_IF_DEVIATION,
    REFERRAL_IF_NO_REMARK,
    REGION_BY_AREA,
    REGIONS,
    ROTA_FROM,
    SCREENING_BY_AREA,
    TREND_PER_YEAR,
    VACCINE_NAMES_USED,
    VACCINE_UNKNOWN_NAME,
    _Export,
)
from pipeline.synth.population import GROUPS, _Children, _days

INDICATORS: dict[str, str] = {  # id -> restriction, as written into truth.json
    **{f"bf_any_{p}": "window" for p in ("1w", "2m", "4m", "6m", "12m")},
    "bf_excl_2m": "window", "bf_excl_4m": "window",
    "vacc_dtp3_24m": "age 730", "vacc_pcv3_24m": "age 730", "vacc_mmr1_24m": "age 730",
    "vacc_rota_complete": "age 224", "vacc_full_24m": "age 730", "vacc_mmr1_timely": "age 609",
    "lang_screened": "screening", "lang_no_deviation": "screened", "lang_referred": "screened",
}
RESTRICTIONS = {
    "window": "eligible children whose natural assessment in the indicator's window was written "
              "(one per window at most), who reached the window's last day (birth + upper "
              "bound, in days) on or before the extraction date and did not move out on or "
              "before that day; "
              "the probability is evaluated at the assessment's actual age in days",
    "age 730": "eligible children aged >= 730 days at the extraction date (birth + 730 <= "
               "extraction date) who had not moved out by birth + 730; 'by 24 months' means a dose "
               "at age <= 730 days",
    "age 609": "eligible children with birth + 609 <= extraction date, not moved out by then; "
               "'timely' means MMR at age <= 609 days (20 months)",
    "age 224": "eligible children born on or after 2019-09-01 with birth + 224 <= extraction date "
               "(32 weeks), not moved out by then; every complete series ends before age 170 days",
    "screening": "eligible children who reached their 42-month birthday (calendar months) on or "
                 "before the extraction date and had not moved out before it (moving out on it "
                 "keeps the child): pipeline.indicators.language's denominator under "
                 "language_screening 'any', the synthetic studies' setting (2,5 år screening in "
                 + ", ".join(a for a, age in zip(AREAS, SCREENING_BY_AREA, strict=True)
                             if age == "30m")
                 + ", 3 år elsewhere, so the 36-month screening's window end counts for every "
                 "child); screened means a row with a result other than 'ej genomförd'",
    "screened": "the 'screening' children who were screened (a natural row with result utan "
                "anmärkning or avvikelse)",
    "care 24m": "eligible children who reached their 24-month birthday (calendar months) on or "
                "before the extraction date and had not moved out before it (moving out on it "
                "keeps the child), as pipeline.indicators.healthcare; a contact counts when it is "
                "before the 24-month birthday",
    "dental": "eligible children whose examination nearest 36 months is settled, as "
              "pipeline.indicators.healthcare: a natural examination (undersokt not nej, deft "
              "given) at 30-48 months (calendar, both inclusive) on or after the 36-month "
              "birthday by the extraction date, or one at 30-48 months and the 48-month "
              "birthday reached on or before the extraction date without moving out before it",
    "care rate": "every eligible child, followed from birth to the earliest of its 24-month "
                 "birthday, the day it moved out and the day after the extraction date (as "
                 "pipeline.indicators.healthcare): expected contacts / followed days x 365.25",
    "dental examined": "eligible children with a natural examination at 30-48 months on or before "
                       "the extraction date who had not moved out before their 48-month birthday, "
                       "whether or not they reached it: the 'dental' rule without waiting for the "
                       "window to close, which is pipeline.indicators.healthcare.dental_indicators "
                       "given an extraction date after every child's 48-month birthday",
}
# Healthcare and dental indicators (issue 13): in truth.json's "healthcare" section, apart from
# "indicators" until the pipeline's indicator registry carries them.
CARE_INDICATORS: dict[str, str] = {
    "care_any_emergency_24m": "care 24m", "care_inpatient_24m": "care 24m",
    "dental_caries_3y": "dental", "dental_deft_3y": "dental",
    "dental_caries_3y_examined": "dental examined", "dental_deft_3y_examined": "dental examined",
}


class _Truth:
    """Streaming sums per indicator and group (expected and realised), plus exposure effects."""

    def __init__(self, indicators: dict[str, str] | None = None) -> None:
        self.sums: dict[str, dict[str, np.ndarray]] = {}
        self.indicators = INDICATORS if indicators is None else indicators

    def add(self, indicator: str, kids: _Children, mask: np.ndarray, p_actual: np.ndarray,
            p_untreated: np.ndarray, p_treated: np.ndarray, realised: np.ndarray) -> None:
        s = self.sums.setdefault(indicator, {
            key: np.zeros(len(GROUPS)) for key in ("n", "p", "p_untreated", "realised")}
            | {key: np.zeros(1) for key in ("itt", "pp", "n_accepted", "pp_untreated")})
        group = kids.group[mask]
        for key, values in (("n", np.ones(mask.sum())), ("p", p_actual[mask]),
                            ("p_untreated", p_untreated[mask]), ("realised", realised[mask])):
            s[key] += np.bincount(group[group >= 0], values[group >= 0], minlength=len(GROUPS))
        exposed = mask & kids.exposed
        s["itt"] += (p_actual[exposed] - p_untreated[exposed]).sum()
        accepted = mask & kids.accepted
        s["pp"] += (p_treated[accepted] - p_untreated[accepted]).sum()
        s["pp_untreated"] += p_untreated[accepted].sum()
        s["n_accepted"] += accepted.sum()

    def summary(self) -> dict[str, dict[str, object]]:
        out = {}
        for indicator, s in self.sums.items():
            n = s["n"]
            mean = np.divide(s["p"], n, out=np.full(len(GROUPS), np.nan), where=n > 0)
            untreated = np.divide(s["p_untreated"], n, out=np.full(len(GROUPS), np.nan),
                                  where=n > 0)
            expected = {g: _round(mean[i]) for i, g in enumerate(GROUPS)}
            n_exposed = int(n[0])
            n_accepted = int(s["n_accepted"][0])
            out[indicator] = {
                "restriction": RESTRICTIONS[self.indicators[indicator]],
                "expected": expected,
                "n": {g: int(n[i]) for i, g in enumerate(GROUPS)},
                "realised_positive": {g: int(s["realised"][i]) for i, g in enumerate(GROUPS)},
                "expected_untreated_intervention": _round(untreated[0]),
                "att_itt": _round(s["itt"][0] / n_exposed) if n_exposed else None,
                "att_per_protocol": _round(s["pp"][0] / n_accepted) if n_accepted else None,
                "n_exposed": n_exposed, "n_accepted": n_accepted,
                "crude_difference": _round(mean[0] - mean[1]),
                "did_expected": _round((mean[0] - mean[2]) - (mean[1] - mean[3])),
            }
        return out


def _round(value: float) -> float | None:
    return None if not np.isfinite(value) else round(float(value), 10)


# The language indicators' denominator (pipeline.indicators.language, "any" screening): the
# 36-month screening's window end, 42 calendar months, for every child whichever screening its
# BVC gives. A child screened at 2,5 years waits for it too, so that a truth counting it from
# its own screening would describe younger children than the pipeline analyses: in the demo's
# post-start groups two to three times as many.
LANGUAGE_DENOMINATOR_MONTHS = 42


def _reached(kids: _Children, age: int | np.ndarray) -> np.ndarray:
    """Reached the age by extraction and had not moved out by that age (no move on/before it)."""
    day = kids.birth + age
    return (day <= _days(EXTRACTION_DATE)) & (kids.moved > day)


def _accumulate_truth(truth: _Truth, kids: _Children, out: _Outcomes,
                      bf_age: dict[str, np.ndarray], lang: dict[str, np.ndarray],
                      bf_events: _Events, vacc_events: _Events) -> None:
    n = len(kids)
    # breastfeeding at the assessment's age
    for point in ("1w", "2m", "4m", "6m", "12m"):
        age = bf_age[point]
        mask = kids.eligible & (age >= 0) & _reached(kids, BF_POINTS[point][1])
        a = _curve_logit("bf_any", age)
        any_versions = [_expit(a + e) for e in out.versions("bf_any")]
        status = _status_on(bf_events, n, kids.birth + age)
        truth.add(f"bf_any_{point}", kids, mask, *any_versions,
                  realised=(status >= 0) & (status < 3))
        if point in ("2m", "4m"):
            c = _curve_logit("bf_excl", age)
            excl_versions = [np.minimum(_expit(c + e), p)
                             for e, p in zip(out.versions("bf_excl"), any_versions, strict=True)]
            truth.add(f"bf_excl_{point}", kids, mask, *excl_versions, realised=status == 0)
    # vaccinations
    dose_counts = _doses_by_age(vacc_events, kids)
    by730 = _reached(kids, 730)
    f = {family: [_expit(_curve_logit(family, np.full(n, 730.0)) + e) for e in out.versions(family)]
         for family in ("vacc_dtp3", "vacc_pcv3", "vacc_mmr1")}
    truth.add("vacc_dtp3_24m", kids, kids.eligible & by730, *f["vacc_dtp3"],
              realised=dose_counts["dtp"] >= 3)
    truth.add("vacc_pcv3_24m", kids, kids.eligible & by730, *f["vacc_pcv3"],
              realised=dose_counts["pcv"] >= 3)
    truth.add("vacc_mmr1_24m", kids, kids.eligible & by730, *f["vacc_mmr1"],
              realised=dose_counts["mmr"] >= 1)
    timely = [_expit(_curve_logit("vacc_mmr1", np.full(n, 609.0)) + e)
              for e in out.versions("vacc_mmr1")]
    truth.add("vacc_mmr1_timely", kids, kids.eligible & _reached(kids, 609), *timely,
              realised=dose_counts["mmr_609"] >= 1)
    rota_eligible = kids.birth >= _days(ROTA_FROM)
    rota = [_expit(e) for e in out.versions("vacc_rota")]
    rota_done = dose_counts["rota"] >= dose_counts["rota_needed"]
    truth.add("vacc_rota_complete", kids, kids.eligible & rota_eligible & _reached(kids, 224),
              *rota, realised=rota_done)
    full = [np.minimum(d, p) * m * np.where(rota_eligible, r, 1.0) for d, p, m, r in
            zip(f["vacc_dtp3"], f["vacc_pcv3"], f["vacc_mmr1"], rota, strict=True)]
    truth.add("vacc_full_24m", kids, kids.eligible & by730, *full,
              realised=(dose_counts["dtp"] >= 3) & (dose_counts["pcv"] >= 3)
              & (dose_counts["mmr"] >= 1) & (~rota_eligible | rota_done))
    # language
    base = kids.eligible & _reached_by(kids, _add_months(kids.birth, LANGUAGE_DENOMINATOR_MONTHS))
    screened_versions = [_expit(e) for e in out.versions("lang_screened")]
    truth.add("lang_screened", kids, base, *screened_versions, realised=lang["screened"])
    nd_versions = [_expit(e) for e in out.versions("lang_no_deviation")]
    screened = base & lang["screened"] & lang["written"]
    truth.add("lang_no_deviation", kids, screened, *nd_versions, realised=lang["no_deviation"])
    referral = [p * REFERRAL_IF_NO_REMARK + (1 - p) * REFERRAL_IF_DEVIATION for p in nd_versions]
    truth.add("lang_referred", kids, screened, *referral, realised=lang["referred"])


class _RateTruth:
    """Streaming sums per group of one count indicator with person-time: expected and realised
    contacts and the children's follow-up years, plus the exposed' and accepting' sums."""

    def __init__(self) -> None:
        self.group = {key: np.zeros(len(GROUPS)) for key in
                      ("n", "years", "expected", "expected_untreated", "realised")}
        self.exposed = np.zeros(2)  # expected actual, untreated
        self.accepted = np.zeros(2)  # expected treated, untreated

    def add(self, kids: _Children, years: np.ndarray, actual: np.ndarray, untreated: np.ndarray,
            treated: np.ndarray, realised: np.ndarray) -> None:
        group = kids.group
        inside = group >= 0
        for key, values in (("n", np.ones(len(kids))), ("years", years), ("expected", actual),
                            ("expected_untreated", untreated), ("realised", realised)):
            self.group[key] += np.bincount(group[inside], values[inside], minlength=len(GROUPS))
        self.exposed += (actual[kids.exposed].sum(), untreated[kids.exposed].sum())
        self.accepted += (treated[kids.accepted].sum(), untreated[kids.accepted].sum())

    def summary(self, restriction: str) -> dict[str, object]:
        s = self.group
        rate = np.divide(s["expected"], s["years"], out=np.full(len(GROUPS), np.nan),
                         where=s["years"] > 0)
        untreated = s["expected_untreated"][0] / s["years"][0] if s["years"][0] else np.nan
        return {
            "restriction": restriction,
            "expected_per_child_year": {g: _round(rate[i]) for i, g in enumerate(GROUPS)},
            "n": {g: int(s["n"][i]) for i, g in enumerate(GROUPS)},
            "child_years": {g: _round(s["years"][i]) for i, g in enumerate(GROUPS)},
            "expected_contacts": {g: _round(s["expected"][i]) for i, g in enumerate(GROUPS)},
            "realised_contacts": {g: int(s["realised"][i]) for i, g in enumerate(GROUPS)},
            "expected_untreated_intervention": _round(untreated),
            "rate_ratio_itt": _ratio(*self.exposed), "rate_ratio_per_protocol": _ratio(*self.accepted),
            "crude_difference": _round(rate[0] - rate[1]),
            "did_expected": _round((rate[0] - rate[2]) - (rate[1] - rate[3])),
            "ratio_of_rate_ratios": _round((rate[0] / rate[2]) / (rate[1] / rate[3])),
        }


def _ratio(numerator: float, denominator: float) -> float | None:
    return _round(numerator / denominator) if denominator > 0 else None


def _add_months(day: np.ndarray, months: int) -> np.ndarray:
    """Absolute days shifted by calendar months, clipped to the month's end (a child born on
    31 August is 24 months on 31 August, one born on 29 February 2020 on 28 February 2022)."""
    date = day.astype("datetime64[D]")
    month = date.astype("datetime64[M]")
    into = (date - month.astype("datetime64[D]")).astype(np.int64)
    target = month + months
    length = ((target + 1).astype("datetime64[D]") - target.astype("datetime64[D]")).astype(np.int64)
    return target.astype("datetime64[D]").astype(np.int64) + np.minimum(into, length - 1)


def _reached_by(kids: _Children, end_day: np.ndarray) -> np.ndarray:
    """The pipeline's denominator rule (pipeline.indicators.common): the day reached on or before
    extraction, and no moving out before it (moving out on it keeps the child)."""
    return (end_day <= _days(EXTRACTION_DATE)) & (kids.moved >= end_day)


def _band_days(upto: np.ndarray) -> np.ndarray:
    """(n, bands): days of each care age band within ages [0, upto) in days."""
    lo = np.array([band[0] for band in CARE_BANDS])
    hi = np.array([band[1] for band in CARE_BANDS])
    return np.clip(np.minimum(upto[:, None], hi) - lo, 0, None).astype(float)


def _accumulate_care_truth(truth: _Truth, emergency_rate: _RateTruth, kids: _Children, care: _Care,
                           contacts: _Events, dental: _Events) -> None:
    """Healthcare use 0-24 months and dental health at 3 years, exactly from the model: a day
    has a contact of a form with probability 1 - exp(-rate / 365.25) (one row a day and form)."""
    n = len(kids)
    limit = _add_months(kids.birth, CARE_LIMIT_MONTHS)
    end = np.minimum(np.minimum(limit, kids.moved), _days(EXTRACTION_DATE) + 1)
    followed = np.maximum(end - kids.birth, 0)
    followed_days, limit_days = _band_days(followed), _band_days(limit - kids.birth)
    statuses = (care.treated, 0.0, 1.0)  # actual, untreated, treated
    before_limit = contacts.day < limit[contacts.child]
    in_care = kids.eligible & _reached_by(kids, limit)
    for form, indicator in (("emergency", "care_any_emergency_24m"),
                            ("inpatient", "care_inpatient_24m")):
        rates = [care.rate(form, status) for status in statuses]
        rows = contacts.columns["form"] == CARE_FORMS.index(form)
        if form == "emergency":
            per_day = [-np.expm1(-rate / DAYS_PER_YEAR) for rate in rates]
            followed_rows = rows & (contacts.day < end[contacts.child])
            emergency_rate.add(kids, followed / DAYS_PER_YEAR,
                               *[(p * followed_days).sum(axis=1) for p in per_day],
                               realised=np.bincount(contacts.child[followed_rows], minlength=n))
        any_contact = [-np.expm1(-(rate * limit_days).sum(axis=1) / DAYS_PER_YEAR) for rate in rates]
        realised = np.bincount(contacts.child[rows & before_limit], minlength=n) > 0
        truth.add(indicator, kids, in_care, *any_contact, realised=realised)
    # dental: every examination of a child records its deft, so which one is used is no matter
    low = _add_months(kids.birth, DENTAL_WINDOW_MONTHS[0])
    high = _add_months(kids.birth, DENTAL_WINDOW_MONTHS[1])
    examined = dental.columns["examined"]
    in_window = examined & (dental.day >= low[dental.child]) & (dental.day <= high[dental.child])
    has_exam = np.bincount(dental.child[in_window], minlength=n) > 0
    # examined at or after the 36-month birthday: the nearest examination is settled
    settled_rows = in_window & (dental.day >= _add_months(kids.birth, DENTAL_TARGET_MONTHS)[dental.child])
    settled = np.bincount(dental.child[settled_rows], minlength=n) > 0
    deft = np.zeros(n)
    deft[dental.child[in_window]] = dental.columns["deft"][in_window]
    caries = [care.caries(status) for status in statuses]
    mean_deft = [care.mean_deft(status) for status in statuses]
    for suffix, mask in (("", kids.eligible & (settled | (has_exam & _reached_by(kids, high)))),
                         ("_examined", kids.eligible & has_exam & (kids.moved >= high))):
        truth.add(f"dental_caries_3y{suffix}", kids, mask, *caries, realised=deft > 0)
        truth.add(f"dental_deft_3y{suffix}", kids, mask, *mean_deft, realised=deft)


def _status_on(events: _Events, n: int, day: np.ndarray) -> np.ndarray:
    """Breastfeeding status code of each child's natural assessment on the given day (-1: none)."""
    out = np.full(n, -1)
    hit = events.day == day[events.child]
    out[events.child[hit]] = events.columns["status"][hit]
    return out


def _doses_by_age(events: _Events, kids: _Children) -> dict[str, np.ndarray]:
    n = len(kids)
    age = events.day - kids.birth[events.child]
    series = events.columns["series"]
    rotateq = events.columns["rotateq"]
    count = {}
    for key, s, limit in (("dtp", 0, 730), ("pcv", 1, 730), ("mmr", 2, 730), ("mmr_609", 2, 609),
                          ("rota", 3, 730)):
        rows = (series == s) & (age <= limit)
        count[key] = np.bincount(events.child[rows], minlength=n)
    needed = np.full(n, 2)
    needed[events.child[rotateq]] = 3
    count["rota_needed"] = needed
    return count


def _parameters(effects: dict[str, float], area_effects: dict[str, np.ndarray]) -> dict[str, object]:
    return {
        "effects_odds_ratio_among_accepting": effects,
        "effect_model": "log(OR) added to the linear predictor of exposed eligible children whose "
                        "family accepted; zero for decliners. ITT truth averages over all exposed.",
        "curves_reference_probability": {k: [list(p) for p in v] for k, v in CURVES.items()},
        "baseline_probability": BASELINE,
        "reference_child": "mother born in Sweden, upper-secondary education, aged 30, no "
                           "interpreter, girl, area effect 0, born at programme start",
        "coefficients_log_odds": COEFFICIENTS,
        "terms": {"mother_age_per_5y_over_30": "(mother's age as written - 30) / 5",
                  "outside_europe_in_intervention_area": "mother born outside Europe and the child "
                                                         "lives in an intervention area"},
        "area_effects_log_odds": {family: dict(zip(AREAS, values.tolist(), strict=True))
                                  for family, values in area_effects.items()},
        "area_effect_model": "area effect = disadvantage x shift[family] + sd[family] x z[area, "
                             "domain], z ~ N(0, 1) drawn once per study from the seed and shared "
                             "by the families of a domain; constant over time; rounded to 4 "
                             "decimals, the values above are the ones used",
        "area_disadvantage": {area.name: area.disadvantage for area in AREA_TABLE},
        "area_shift_log_odds": AREA_SHIFT,
        "area_variation": {family: {"domain": domain, "sd_log_odds": sd}
                           for family, (domain, sd) in AREA_VARIATION.items()},
        "note_on_area_effects": "area effects are not study covariates: only designs that "
                                "difference them out (did) are unbiased for the programme effect",
        "trend_log_odds_per_year": TREND_PER_YEAR,
        "area_shares": dict(zip(AREAS, AREA_SHARES, strict=True)),
        "mother_region_by_area": {a: dict(zip(REGIONS, row.tolist(), strict=True))
                                  for a, row in zip(AREAS, REGION_BY_AREA, strict=True)},
        "education_by_region": {r: dict(zip(EDUCATIONS, row.tolist(), strict=True))
                                for r, row in zip(REGIONS, EDUCATION_BY_REGION, strict=True)},
        "education_shift_intervention": EDUCATION_SHIFT_INTERVENTION,
        "interpreter_by_region": dict(zip(REGIONS, INTERPRETER_BY_REGION.tolist(), strict=True)),
        "first_child_by_region": dict(zip(REGIONS, FIRST_CHILD_BY_REGION.tolist(), strict=True)),
        "first_in_sweden_if_mother_born_abroad": FIRST_IN_SWEDEN_IF_ABROAD,
        "move_out_probability": MOVE_OUT_PROBABILITY,
        "accept_probability": {"no_interpreter": ACCEPT_PROBABILITY,
                               "interpreter": ACCEPT_PROBABILITY_INTERPRETER},
        "breastfeeding_points": {k: list(v) for k, v in BF_POINTS.items()},
        "breastfeeding_missing_per_point": BF_MISSING,
        "language_referral": {"deviation": REFERRAL_IF_DEVIATION,
                              "no_remark": REFERRAL_IF_NO_REMARK},
        "screening_by_area": dict(zip(AREAS, SCREENING_BY_AREA, strict=True)),
        "bvc_by_area": dict(zip(AREAS, BVC_UNITS, strict=True)),
        "programme_contacts": [[t, list(w)] for t, w in PROGRAMME_CONTACTS],
        "mess_rate_per_kind": MESS_RATE,
    }


def _care_parameters(effects: dict[str, float], area_effects: dict[str, np.ndarray]
                     ) -> dict[str, object]:
    """What the healthcare and dental exports were drawn from (parameters.CARE_*, DENTAL_*)."""
    return {
        "effects_among_accepting": {
            **{f"care_{form}_rate_ratio": effects[f"care_{form}"] for form in CARE_FORMS},
            "dental_caries_odds_ratio": effects["dental_caries"],
            "dental_deft_rate_ratio_given_caries": effects["dental_deft"]},
        "effect_model": "the care forms' rate ratios multiply the contact rate, the caries odds "
                        "ratio the odds of deft > 0, the deft rate ratio the mean of deft - 1 among "
                        "children with caries; all among exposed eligible children whose family "
                        "accepted (as the odds ratios of the other outcomes), none for decliners",
        "care_model": "per care form a Poisson process in continuous time with rate per child-year "
                      "base[form][age band] x exp(covariates . beta[form] + area effect[form] + "
                      "trend[form] x years since programme start) x rate ratio if accepted; the "
                      "export lists one contact per child, day and form, so a day holds a contact "
                      "with probability 1 - exp(-rate / 365.25); contacts only from the band "
                      "start, before moving out and on or before the extraction date",
        "care_age_bands_days": [list(band) for band in CARE_BANDS],
        "care_base_rate_per_child_year": {form: list(rates) for form, rates in CARE_BASE_RATE.items()},
        "care_coefficients_log_rate": CARE_COEFFICIENTS,
        "care_trend_log_rate_per_year": CARE_TREND_PER_YEAR,
        "care_area_shift_log_rate": CARE_AREA_SHIFT,
        "care_area_sd_log_rate": CARE_AREA_SD,
        "care_area_effects": {key: dict(zip(AREAS, values.tolist(), strict=True))
                              for key, values in area_effects.items()},
        "care_reason_given": CARE_REASON_GIVEN,
        "dental_model": "child-level caries (deft > 0) with logit P = logit(base) + covariates . "
                        "beta + area effect + trend x years + log(OR) if accepted; with caries, "
                        "deft = min(1 + Poisson(mu), 20), log mu = log(deft_extra) + covariates . "
                        "gamma + log(RR) if accepted; every examination of a child records its deft",
        "dental_caries_base_probability": DENTAL_CARIES_BASE,
        "dental_coefficients_log_odds": DENTAL_COEFFICIENTS,
        "dental_area_shift_log_odds": DENTAL_AREA_SHIFT,
        "dental_area_sd_log_odds": DENTAL_AREA_SD,
        "dental_trend_log_odds_per_year": DENTAL_TREND_PER_YEAR,
        "dental_deft_extra_mean": DENTAL_DEFT_EXTRA,
        "dental_deft_coefficients_log_rate": DENTAL_DEFT_COEFFICIENTS,
        "dental_deft_max": DENTAL_DEFT_MAX,
        "dental_booking_age_days": [[share, list(days)] for share, days in DENTAL_AGE_MIX],
        "dental_no_row": DENTAL_NO_ROW,
        "dental_booking_not_kept": DENTAL_NOT_KEPT,
        "dental_rebooked_if_not_kept": DENTAL_REBOOKED,
        "dental_examined_twice": DENTAL_TWICE,
        "dental_examined_blank": DENTAL_EXAMINED_BLANK,
        "dental_window_months": list(DENTAL_WINDOW_MONTHS),
        "dental_target_months": DENTAL_TARGET_MONTHS,
    }


def _care_section(effects: dict[str, float], truth: _Truth, emergency_rate: _RateTruth
                  ) -> dict[str, object]:
    """truth.json's "healthcare": the planted effects in the design's terms and each indicator's
    expected value per group (issue 13)."""
    indicators = truth.summary()
    rate = emergency_rate.summary(RESTRICTIONS["care rate"])

    def did(indicator: str) -> float | None:
        return indicators[indicator]["did_expected"] if indicator in indicators else None

    return {
        "planted": {
            "emergency_rate_ratio_among_accepting": effects["care_emergency"],
            "inpatient_rate_ratio_among_accepting": effects["care_inpatient"],
            "caries_odds_ratio_among_accepting": effects["dental_caries"],
            "deft_rate_ratio_given_caries_among_accepting": effects["dental_deft"],
            "emergency_rate_ratio_itt": rate["rate_ratio_itt"],
            "emergency_rate_did_per_child_year": rate["did_expected"],
            "any_emergency_24m_did": did("care_any_emergency_24m"),
            "inpatient_24m_did": did("care_inpatient_24m"),
            "caries_3y_did": did("dental_caries_3y_examined"),
            "caries_3y_att_itt": indicators.get("dental_caries_3y_examined", {}).get("att_itt"),
            "mean_deft_3y_did": did("dental_deft_3y_examined"),
            "mean_deft_3y_att_itt": indicators.get("dental_deft_3y_examined", {}).get("att_itt"),
        },
        "definitions": {
            "indicators": "as truth.json's 'indicators' (expected = mean of the children's model "
                          "probability, or expected deft for dental_deft_*); for dental_deft_* "
                          "realised_positive is the realised sum of deft",
            "care_emergency_rate_24m": "expected emergency contacts (one a day at most) on the "
                                       "followed days over the followed child-years, per group",
            "planted": "the model's effects among accepting families, and what they make in the "
                       "design's terms: did = (intervention - intervention_pre) - (comparison - "
                       "comparison_pre) of the expected values; the caries and deft effects use "
                       "the '_examined' entries, since no child born after the programme start "
                       "reaches 48 months by the extraction date",
        },
        "indicators": indicators,
        "care_emergency_rate_24m": rate,
    }


def _truth_document(name: str, seed: int, n_children: int, chunk_children: int,
                    effects: dict[str, float], area_effects: dict[str, np.ndarray], truth: _Truth,
                    exports: dict[str, _Export], rows_written: dict[str, int],
                    planted: dict[str, dict[str, object]], care_effects: dict[str, float],
                    care_area_effects: dict[str, np.ndarray], care_truth: _Truth,
                    emergency_rate: _RateTruth) -> dict[str, object]:
    """The contents of truth.json: the study, definitions, parameters, indicators and mess."""
    parameters = _parameters(effects, area_effects)
    parameters["healthcare_and_dental"] = _care_parameters(care_effects, care_area_effects)
    return {
        "generator": "pipeline.synth",
        "generator_version": GENERATOR_VERSION,
        "seed": seed,
        "n_children": n_children,
        "name": name,
        "chunk_children": chunk_children,
        "study": {"extraction_date": EXTRACTION_DATE.isoformat(),
                  "born_from": BORN_FROM.isoformat(), "born_to": BORN_TO.isoformat(),
                  "programme_start": PROGRAMME_START.isoformat(),
                  "intervention_areas": list(INTERVENTION_AREAS),
                  "comparison_areas": list(COMPARISON_AREAS)},
        "groups": {
            "intervention": "eligible (first child or first child in Sweden), intervention area, "
                            "born on or after programme_start (= exposed)",
            "comparison": "eligible, comparison area, born on or after programme_start",
            "intervention_pre": "eligible, intervention area, born before programme_start",
            "comparison_pre": "eligible, comparison area, born before programme_start",
        },
        "definitions": {
            "expected": "mean over the group's children in the restriction of each child's "
                        "model probability of the indicator (given their covariates, area, birth "
                        "date and actual programme status), not the realised count",
            "realised_positive": "the realised number of children with the indicator in the "
                                 "natural rows (before any planted mess), over the same children",
            "att_itt": "mean over exposed eligible children in the restriction of p_i(actual) - "
                       "p_i(untreated); decliners contribute 0 (intention to treat)",
            "att_per_protocol": "mean over exposed children whose family accepted of "
                                "p_i(treated) - p_i(untreated)",
            "crude_difference": "expected intervention - expected comparison (confounded)",
            "did_expected": "(intervention - intervention_pre) - (comparison - comparison_pre) of "
                            "the expected proportions",
            "true_birth_date": "the date in the personnummer (day - 60 for samordningsnummer); "
                               "rows flagged birth_date_conflict carry a fodelsedatum 1-3 days off",
            "mess": "planted rows are extra rows (except the children's flags); the natural rows "
                    "alone give realised_positive. duplicate_conflict rows in breastfeeding "
                    "come only from 8-month or between-window assessments",
        },
        "parameters": parameters,
        "indicators": truth.summary(),
        "healthcare": _care_section(care_effects, care_truth, emergency_rate),
        "files": {table: {"file": e.file, "format": "xlsx" if e.is_xlsx else "csv",
                          "sheet": e.sheet, "delimiter": None if e.is_xlsx else e.delimiter,
                          "encoding": None if e.is_xlsx else e.encoding,
                          "rows": rows_written[table]} for table, e in exports.items()},
        "planted": planted,
        "vaccine_names_used": list(VACCINE_NAMES_USED),
        "vaccine_unknown_name": VACCINE_UNKNOWN_NAME,
    }
