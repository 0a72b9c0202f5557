"""truth.json: the expected proportion of every indicator per design group, streamed over
chunks, and the generator's parameters as written beside the exports."""

from __future__ import annotations

import numpy as np

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
    COEFFICIENTS,
    COMPARISON_AREAS,
    CURVES,
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
    SCREENING_WINDOW,
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
    "screening": "eligible children who reached the screening age + 90 days (913 days = 2,5 år in "
                 + ", ".join(a for a, age in zip(AREAS, SCREENING_BY_AREA, strict=True)
                             if age == "30m")
                 + "; 1095 days = 3 år elsewhere) by the extraction date and did not move "
                 "out by then; screened means a row with a result other than 'ej genomförd'",
    "screened": "the 'screening' children who were screened (a natural row with result utan "
                "anmärkning or avvikelse)",
}


class _Truth:
    """Streaming sums per indicator and group (expected and realised), plus exposure effects."""

    def __init__(self) -> None:
        self.sums: dict[str, dict[str, np.ndarray]] = {}

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
                "restriction": RESTRICTIONS[INDICATORS[indicator]],
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
    reached = _reached(kids, lang["nominal"] + SCREENING_WINDOW[1])
    base = kids.eligible & reached
    screened_versions = [_expit(e) for e in out.versions("lang_screened")]
    truth.add("lang_screened", kids, base, *screened_versions, realised=lang["screened"])
    nd_versions = [_expit(e) for e in out.versions("lang_no_deviation")]
    screened = base & lang["screened"] & lang["written"]
    truth.add("lang_no_deviation", kids, screened, *nd_versions, realised=lang["no_deviation"])
    referral = [p * REFERRAL_IF_NO_REMARK + (1 - p) * REFERRAL_IF_DEVIATION for p in nd_versions]
    truth.add("lang_referred", kids, screened, *referral, realised=lang["referred"])


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


def _truth_document(name: str, seed: int, n_children: int, chunk_children: int,
                    effects: dict[str, float], area_effects: dict[str, np.ndarray], truth: _Truth,
                    exports: dict[str, _Export], rows_written: dict[str, int],
                    planted: dict[str, dict[str, object]]) -> dict[str, object]:
    """The contents of truth.json: the study, definitions, parameters, indicators and mess."""
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
        "parameters": _parameters(effects, area_effects),
        "indicators": truth.summary(),
        "files": {table: {"file": e.file, "format": "xlsx" if e.is_xlsx else "csv",
                          "sheet": e.sheet, "delimiter": None if e.is_xlsx else e.delimiter,
                          "encoding": None if e.is_xlsx else e.encoding,
                          "rows": rows_written[table]} for table, e in exports.items()},
        "planted": planted,
        "vaccine_names_used": list(VACCINE_NAMES_USED),
        "vaccine_unknown_name": VACCINE_UNKNOWN_NAME,
    }
