"""Count and rate outcomes in the compare stage (issue 13): group rates per 100 child-years and mean
counts, the effects by each method, and their small-cell suppression, hand-computed on a small
cohort."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from pipeline import figures
from pipeline import tables as report_tables
from pipeline.config import Study
from pipeline.publish import publish_tables
from pipeline.stages.compare.counts import count_outcome_tables

INPUTS = {t: f"{t}.csv" for t in ("children", "visits", "breastfeeding", "vaccinations", "language",
                                  "care_contacts", "dental")}
NORTH = {"contacts": [0, 1, 2, 0, 1, 0], "years": [2, 2, 2, 2, 2, 1], "deft": [0, 0, 3, 0, 1, 0]}
EAST = {"contacts": [1, 0, 0, 2, 0, 1], "years": [2, 2, 2, 1, 2, 2], "deft": [0, 2, 0, 0, 0, 5]}
SOUTH = {"contacts": [2, 1, 3, 0, 2, 1, 1, 2, 0, 3, 1, 2], "years": [2] * 12,
         "deft": [1, 0, 4, 2, 0, 3, 0, 1, 6, 0, 2, 1]}


def make_study() -> Study:
    return Study.model_validate({
        "name": "counts", "programme": "rinkeby", "extraction_date": "2024-06-30",
        "design": {"type": "concurrent", "intervention_areas": ["North", "East"],
                   "comparison_areas": ["South"],
                   "programme_start": "2020-01-01", "born_from": "2020-01-01", "born_to": "2021-12-31"},
        "primary_indicators": ["vacc_mmr1_24m"], "inputs": INPUTS, "covariates": ["mother_age"]})


def make_cohort() -> pd.DataFrame:
    frames = []
    for area, group, values in (("North", "intervention", NORTH), ("East", "intervention", EAST),
                                ("South", "comparison", SOUTH)):
        n = len(values["contacts"])
        frames.append(pd.DataFrame({
            "group": group, "area": area, "accepted": pd.array([True] * n if group == "intervention"
                                                               else [pd.NA] * n, dtype="boolean"),
            "mother_age": np.linspace(22, 36, n),
            "care_emergency_contacts_24m": pd.array(values["contacts"], dtype="Int64"),
            "care_followup_years_24m": np.array(values["years"], dtype=float),
            "dental_deft_3y": pd.array(values["deft"], dtype="Int64"),
        }))
    cohort = pd.concat(frames, ignore_index=True)
    cohort["group"] = cohort["group"].astype("string")
    cohort["area"] = cohort["area"].astype("string")
    return cohort


@pytest.fixture(scope="module")
def tables() -> dict[str, pd.DataFrame]:
    return count_outcome_tables(make_study(), make_cohort())


def _one(frame: pd.DataFrame, **keys: str) -> dict:
    rows = frame
    for column, value in keys.items():
        rows = rows[rows[column].eq(value)]
    assert len(rows) == 1, keys
    return rows.iloc[0].to_dict()


def test_rates_per_100_child_years_with_garwood_intervals(tables) -> None:
    groups = tables["count_outcomes"]
    whole = _one(groups, indicator="care_emergency_rate_24m", group="intervention", area="all")
    # 8 contacts over 22 child-years; Garwood: chi2(0.025; 16)/2 and chi2(0.975; 18)/2 contacts
    assert (whole["n"], whole["events"], whole["person_years"]) == (12, 8, 22.0)
    assert whole["estimate"] == pytest.approx(800 / 22)
    assert whole["ci_low"] == pytest.approx(stats.chi2.ppf(0.025, 16) / 2 / 22 * 100)
    assert whole["ci_high"] == pytest.approx(stats.chi2.ppf(0.975, 18) / 2 / 22 * 100)
    north = _one(groups, indicator="care_emergency_rate_24m", group="intervention", area="North")
    assert (north["n"], north["events"], north["person_years"]) == (6, 4, 11.0)
    comparison = _one(groups, indicator="care_emergency_rate_24m", group="comparison", area="all")
    assert comparison["estimate"] == pytest.approx(75.0)
    assert set(groups[groups["group"].eq("comparison")]["area"]) == {"all"}


def test_mean_counts_with_t_intervals(tables) -> None:
    deft = _one(tables["count_outcomes"], indicator="dental_deft_3y", group="comparison", area="all")
    values = np.array(SOUTH["deft"], dtype=float)
    low, high = stats.t.interval(0.95, 11, loc=values.mean(), scale=stats.sem(values))
    assert (deft["n"], deft["events"]) == (12, 20)
    assert (deft["estimate"], deft["sd"]) == pytest.approx((20 / 12, values.std(ddof=1)))
    assert (deft["ci_low"], deft["ci_high"]) == pytest.approx((low, high))


def test_effects_by_hand(tables) -> None:
    effects = tables["count_effects"]
    whole = effects[effects["area"].eq("all")]
    crude = _one(whole, indicator="care_emergency_rate_24m", method="poisson", measure="rate_ratio")
    assert crude["estimate"] == pytest.approx((8 / 22) / (18 / 24))
    assert (crude["n_intervention"], crude["n_comparison"]) == (12, 12)
    difference = _one(whole, indicator="care_emergency_rate_24m", measure="rate_difference")
    assert difference["estimate"] == pytest.approx(8 / 22 - 18 / 24)
    welch = _one(whole, indicator="dental_deft_3y", method="welch")
    treated = np.array(NORTH["deft"] + EAST["deft"], dtype=float)
    control = np.array(SOUTH["deft"], dtype=float)
    test = stats.ttest_ind(treated, control, equal_var=False)
    assert welch["estimate"] == pytest.approx(11 / 12 - 20 / 12)
    assert welch["p_value"] == pytest.approx(test.pvalue)
    assert (welch["ci_low"], welch["ci_high"]) == pytest.approx(tuple(test.confidence_interval()))
    ratio = _one(whole, indicator="dental_deft_3y", measure="count_ratio")
    assert ratio["estimate"] == pytest.approx(11 / 20)
    methods = set(whole[whole["indicator"].eq("care_emergency_rate_24m")]["method"])
    assert methods == {"poisson", "poisson_adjusted", "iptw", "negative_binomial"}
    assert set(whole[whole["indicator"].eq("dental_deft_3y")]["method"]) == {
        "welch", "bootstrap_bca", "linear_adjusted", "iptw", "poisson"}
    north = effects[effects["area"].eq("North") & effects["method"].eq("welch")].iloc[0]
    assert north["estimate"] == pytest.approx(np.mean(NORTH["deft"]) - control.mean())
    assert (north["n_intervention"], north["n_comparison"]) == (6, 12)


def test_small_counts_are_hidden_with_what_rests_on_them(tables) -> None:
    published = publish_tables(tables, min_cell=5)
    groups = published["count_outcomes"]
    north = _one(groups, indicator="care_emergency_rate_24m", group="intervention", area="North")
    east = _one(groups, indicator="care_emergency_rate_24m", group="intervention", area="East")
    whole = _one(groups, indicator="care_emergency_rate_24m", group="intervention", area="all")
    # North's 4 contacts are "<5"; East's 4 or the whole 8 must go too (8 less East's 4 gives
    # North's back); here both areas are "<5", and then the whole 8 would say that each is 4
    assert north["events"] == "<5"
    assert pd.isna(north["estimate"]) and pd.isna(north["person_years"]) and north["suppressed"]
    assert east["events"] == "<5" and pd.isna(whole["events"]) and pd.isna(whole["estimate"])
    assert whole["n"] == 12  # the children are not small: shown
    effects = published["count_effects"]
    rate_effects = effects[effects["indicator"].eq("care_emergency_rate_24m")]
    assert rate_effects["estimate"].isna().all() and rate_effects["suppressed"].all()
    deft_effects = effects[effects["indicator"].eq("dental_deft_3y") & effects["area"].eq("all")]
    assert deft_effects["estimate"].notna().all()  # 11 and 20 teeth, 12 children a group


def test_no_count_outcomes_without_their_exports() -> None:
    cohort = make_cohort().drop(columns=["care_emergency_contacts_24m", "care_followup_years_24m",
                                         "dental_deft_3y"])
    result = count_outcome_tables(make_study(), cohort)
    assert result["count_outcomes"].empty and result["count_effects"].empty


@pytest.mark.parametrize("language", ["sv", "en"])
def test_report_tables_and_forest_in_both_languages(tables, language) -> None:
    published = publish_tables(tables, min_cell=3)
    both = ["care_emergency_rate_24m", "dental_deft_3y"]
    groups = report_tables.count_outcomes_table(published["count_outcomes"], language, indicators_shown=both)
    per_100 = {"sv": "Per 100 barnår", "en": "Per 100 child-years"}[language]
    assert per_100 in set(groups.iloc[:, 5])
    first = groups.iloc[0].tolist()
    assert first[3:5] == ["12", "8"] and first[6].startswith("36")  # 800 / 22 = 36.4 per 100 child-years
    # a group's row of all its arm's areas says so (an area report's comparison rows read "Whole study")
    arms = {"sv": ("Alla interventionsområden", "Alla jämförelseområden"),
            "en": ("All intervention areas", "All comparison areas")}[language]
    assert set(groups.iloc[:, 2]) == {*arms, "North", "East"}
    effects = report_tables.count_effects_table(published["count_effects"], language,
                                                indicators_shown=["care_emergency_rate_24m"])
    assert len(effects) == 3  # whole study: the unadjusted ratio and difference, the adjusted ratio
    in_area = report_tables.for_area(report_tables.RunTables(Path("."), dict(published), {},
                                                             written=frozenset(published)), "North")
    area_effects = report_tables.count_effects_table(in_area["count_effects"], language,
                                                     indicators_shown=["care_emergency_rate_24m"])
    assert len(area_effects) == 3  # an area report shows its own area's rows
    difference = effects[effects.iloc[:, 1].eq({"sv": "Skillnad per 100 barnår",
                                                 "en": "Difference per 100 child-years"}[language])]
    assert difference.iloc[0, 3].replace("\u2212", "-").startswith("-38")  # (8/22 - 18/24) x 100
    figure = figures.forest_figure(published["count_effects"], language, indicators_shown=both,
                                   measures=("rate_ratio", "count_ratio"),
                                   methods=("poisson", "poisson_adjusted"))
    assert figure.axes[0].get_xscale() == "log"
    run = report_tables.RunTables(Path("."), dict(published), {}, written=frozenset(published))
    references = " ".join(report_tables.methods_table(language, run).iloc[:, 1])
    assert "Zou 2004" in references and "Efron & Tibshirani 1993" in references
    assert report_tables.count_indicators_by_family(run) == {"healthcare": ["care_emergency_rate_24m"],
                                                             "dental": ["dental_deft_3y"]}


def test_the_did_design_leads_with_its_own_estimate() -> None:
    """Balanced cells (4 children in each area and period, one birth half-year per period), no
    covariates: the two-way fixed-effects DiD of means is the 2 x 2 difference of cell means,
    and the Poisson DiD's ratio of rate ratios is the 2 x 2 ratio of cell rates."""
    study = Study.model_validate({
        "name": "counts", "programme": "rinkeby", "extraction_date": "2024-06-30",
        "design": {"type": "did", "intervention_areas": ["North", "East"],
                   "comparison_areas": ["South", "West"],
                   "programme_start": "2021-01-01", "born_from": "2020-07-01", "born_to": "2021-06-30"},
        "primary_indicators": ["vacc_mmr1_24m"], "inputs": INPUTS, "covariates": []})
    rng = np.random.default_rng(3)
    rows = []
    for area, arm in (("North", "intervention"), ("East", "intervention"), ("South", "comparison"),
                      ("West", "comparison")):
        for period, born in (("pre", "2020-08-01"), ("post", "2021-02-01")):
            for _ in range(4):
                rows.append({"group": arm if period == "post" else f"{arm}_pre", "area": area,
                             "did_area": arm, "did_period": period, "birth_date": pd.Timestamp(born),
                             "accepted": True if arm == "intervention" and period == "post" else pd.NA,
                             "care_emergency_contacts_24m": int(rng.poisson(1.0)) + 1,
                             "care_followup_years_24m": 2.0, "dental_deft_3y": int(rng.poisson(1.5))})
    cohort = pd.DataFrame(rows)
    cohort["accepted"] = cohort["accepted"].astype("boolean")
    for column in ("care_emergency_contacts_24m", "dental_deft_3y"):
        cohort[column] = cohort[column].astype("Int64")
    effects = count_outcome_tables(study, cohort)["count_effects"]
    whole = effects[effects["area"].eq("all") & effects["method"].eq("did")]
    cell = cohort.groupby(["did_area", "did_period"])
    deft = cell["dental_deft_3y"].mean()
    expected = ((deft["intervention", "post"] - deft["intervention", "pre"])
                - (deft["comparison", "post"] - deft["comparison", "pre"]))
    assert _one(whole, indicator="dental_deft_3y")["estimate"] == pytest.approx(expected)
    rate = cell["care_emergency_contacts_24m"].sum() / cell["care_followup_years_24m"].sum()
    ratio = ((rate["intervention", "post"] / rate["intervention", "pre"])
             / (rate["comparison", "post"] / rate["comparison", "pre"]))
    rate_ratio = _one(whole, indicator="care_emergency_rate_24m", measure="rate_ratio")
    assert rate_ratio["estimate"] == pytest.approx(ratio)
    difference = ((rate["intervention", "post"] - rate["intervention", "pre"])
                  - (rate["comparison", "post"] - rate["comparison", "pre"]))
    rate_difference = _one(whole, indicator="care_emergency_rate_24m", measure="rate_difference")
    assert rate_difference["estimate"] == pytest.approx(difference)
    assert (_one(whole, indicator="dental_deft_3y")["n_intervention"],
            _one(whole, indicator="dental_deft_3y")["n_comparison"]) == (16, 16)
    north = effects[effects["area"].eq("North") & effects["method"].eq("did")]
    # one intervention area: no interval is reliable, so the point estimate alone, flagged
    assert north["estimate"].notna().all() and north["ci_low"].isna().all()
    assert set(north["flags"].str.contains("hc1_not_clustered|point_estimate_only")) == {True}


# Historical: each intervention area's children born before the start are its comparison group.
# After the start (intervention) North and East have 9 contacts in 11 child-years and 6 teeth
# each; before it North 8 contacts in 12 child-years and 7 teeth, East 2 contacts and 1 tooth.
HISTORICAL = {
    ("North", "intervention"): {"contacts": [2, 1, 3, 0, 2, 1], "years": [2, 2, 2, 2, 2, 1],
                                "deft": [1, 0, 2, 0, 3, 0]},
    ("East", "intervention"): {"contacts": [1, 2, 0, 3, 1, 2], "years": [2, 2, 2, 1, 2, 2],
                               "deft": [0, 2, 1, 0, 3, 0]},
    ("North", "comparison"): {"contacts": [3, 0, 2, 1, 2, 0], "years": [2] * 6, "deft": [1, 0, 2, 0, 4, 0]},
    ("East", "comparison"): {"contacts": [1, 0, 0, 0, 1, 0], "years": [2] * 6, "deft": [0, 0, 1, 0, 0, 0]},
}


def _historical() -> tuple[Study, pd.DataFrame]:
    """North and East after the start (intervention) and before it (comparison), no comparison
    areas."""
    config = make_study().model_dump()
    config["design"] |= {"type": "historical", "comparison_areas": [], "born_from": "2018-01-01"}
    frames = []
    for (area, group), values in HISTORICAL.items():
        n = len(values["contacts"])
        frames.append(pd.DataFrame({
            "group": group, "area": area,
            "accepted": pd.array([group == "intervention" or pd.NA] * n, dtype="boolean"),
            "mother_age": np.linspace(22 if group == "intervention" else 23, 36, n),
            "care_emergency_contacts_24m": pd.array(values["contacts"], dtype="Int64"),
            "care_followup_years_24m": np.array(values["years"], dtype=float),
            "dental_deft_3y": pd.array(values["deft"], dtype="Int64")}))
    cohort = pd.concat(frames, ignore_index=True)
    cohort["group"] = cohort["group"].astype("string")
    cohort["area"] = cohort["area"].astype("string")
    return Study.model_validate(config), cohort


def test_a_historical_areas_comparison_group_is_its_own_children_before_the_start() -> None:
    """Under `historical` an area's count effects compare its children after the start with its
    own before it (North: 6 children, 8 contacts in 12 child-years), but count_outcomes had one
    comparison row, both areas' before the start (12 children, 10 contacts), and an area report
    showed it as "All comparison areas" beside the area's estimate (h29, a review: Norrbyåsen's
    deft 566 children shown, 303 compared). The comparison group has each area's row now, which
    the area report shows as "North before the start"."""
    study, cohort = _historical()
    result = count_outcome_tables(study, cohort)
    groups = result["count_outcomes"]
    rate = {area: _one(groups, indicator="care_emergency_rate_24m", group="comparison", area=area)
            for area in ("all", "North", "East")}
    assert [(rate[a]["n"], rate[a]["events"], rate[a]["person_years"]) for a in rate] == [
        (12, 10, 24.0), (6, 8, 12.0), (6, 2, 12.0)]
    assert rate["North"]["estimate"] == pytest.approx(800 / 12)
    deft = _one(groups, indicator="dental_deft_3y", group="comparison", area="North")
    assert (deft["n"], deft["events"], deft["estimate"]) == (6, 7, pytest.approx(7 / 6))
    # the area's effects rest on the very same children
    effects = result["count_effects"]
    north = effects[effects["area"].eq("North")]
    crude = _one(north, indicator="care_emergency_rate_24m", method="poisson", measure="rate_ratio")
    assert crude["estimate"] == pytest.approx((9 / 11) / (8 / 12))
    assert (crude["n_intervention"], crude["n_comparison"]) == (6, rate["North"]["n"])
    welch = _one(north, indicator="dental_deft_3y", method="welch")
    assert welch["estimate"] == pytest.approx(6 / 6 - 7 / 6)
    # the report: the area's own children before the start, so called; the whole study's too
    run = report_tables.RunTables(Path("."), dict(result), {}, written=frozenset(result))
    area_rows = report_tables.for_area(run, "North")["count_outcomes"]
    for language, after, before, whole in (
            ("en", "North after the start", "North before the start",
             "All intervention areas before the start"),
            ("sv", "North efter start", "North före start", "Alla interventionsområden före start")):
        shown = report_tables.count_outcomes_table(area_rows, language, design="historical",
                                                   indicators_shown=["care_emergency_rate_24m"])
        assert shown.iloc[:, 2:5].values.tolist() == [[after, "6", "9"], [before, "6", "8"]]
        study_rows = report_tables.for_area(run, "all")["count_outcomes"]
        shown = report_tables.count_outcomes_table(study_rows, language, design="historical",
                                                   indicators_shown=["dental_deft_3y"])
        assert shown.iloc[:, 2].tolist()[-1] == whole
        assert "jämförelseområden" not in " ".join(shown.iloc[:, 2]).lower()

    # published: East's 2 contacts before the start are "<5", and its effects rest on them (they
    # rested on all 10 before the start and were shown: East's 9 contacts in 11 child-years after
    # it and the rate ratio gave the 2 back)
    published = publish_tables(result, min_cell=5)
    shown_groups = published["count_outcomes"].set_index(["indicator", "group", "area"])
    rate_before = shown_groups.loc["care_emergency_rate_24m"].loc["comparison"]
    assert rate_before.loc["East", "events"] == "<5" and pd.isna(rate_before.loc["East", "estimate"])
    effects = published["count_effects"]
    east = effects[effects["area"].eq("East")]
    assert len(east) == 10 and east["estimate"].isna().all() and set(east["suppression"]) == {"small_count"}
    # all 10 less North's 8 would give East's 2 back: North's is hidden, and North's effects with it
    assert rate_before.loc["all", "events"] == 10 and pd.isna(rate_before.loc["North", "events"])
    assert effects[effects["area"].eq("North")]["estimate"].isna().all()
    assert effects[effects["area"].eq("all")]["estimate"].notna().all()
