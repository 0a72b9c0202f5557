"""The compare stage: hand-made cohorts with known counts, small-sample edge cases, designs,
and one synthetic study end to end."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from pipeline import tables as report_tables
from pipeline.config import Study
from pipeline.indicators import INDICATORS, present
from pipeline.stages.compare import compare, contact_bands
from pipeline.stages.compare.context import design_outcome
from pipeline.stages.compare.monitoring import control_chart_table
from pipeline.stages.compare.tables import missing_data_table, power_table
from pipeline.stats import minimum_detectable_difference
from pipeline.stats.effects import compare_proportions, risk_difference
from pipeline.stats.multiplicity import benjamini_hochberg, holm

CORE = [i for i in INDICATORS if i.source is None]  # the hand-made cohorts have no optional exports
BINARY = [i.id for i in CORE if i.kind == "binary"]
SURVIVAL = [i.id for i in CORE if i.kind == "survival"]
INPUTS = {t: f"{t}.csv" for t in ("children", "visits", "breastfeeding", "vaccinations", "language")}


RINKEBY_CONTACTS = ("hv1_newborn", "hv2_2m", "hv3_4m", "hv4_8m", "hv5_11m", "hv6_15m")


def make_study(design: str = "concurrent", primary: tuple[str, ...] = ()) -> Study:
    return Study.model_validate({
        "name": "handmade", "programme": "rinkeby", "extraction_date": "2024-06-30",
        "design": {"type": design, "intervention_areas": ["North"], "comparison_areas": ["South"],
                   "programme_start": "2020-01-01", "born_from": "2018-01-01",
                   "born_to": "2023-12-31"},
        "covariates": ["mother_region", "education", "mother_age"],
        "primary_indicators": list(primary), "inputs": INPUTS,
    })


def make_cohort(groups: list[str], seed: int = 0, outcomes: dict[str, list] | None = None,
                ) -> pd.DataFrame:
    """A cohort frame with the cohort stage's column names; outcomes default to coin flips."""
    rng = np.random.default_rng(seed)
    n = len(groups)
    group = pd.Series(groups, dtype="string")
    in_intervention_area = group.str.startswith("intervention").to_numpy(dtype=bool)
    frame = pd.DataFrame({
        "child_id": [f"c{i}" for i in range(n)],
        "group": group,
        "area": np.where(in_intervention_area, "North", "South"),
        "did_area": np.where(in_intervention_area, "intervention", "comparison"),
        "did_period": np.where(group.str.endswith("_pre").to_numpy(dtype=bool), "pre", "post"),
        "accepted": pd.array(np.where(group.eq("intervention").to_numpy(dtype=bool),
                                      rng.random(n) < 0.85, pd.NA), dtype="boolean"),
        "mother_region": rng.choice(["sweden", "nordic", "europe", "outside_europe"], n,
                                    p=[0.45, 0.1, 0.2, 0.25]),
        "education": rng.choice(["compulsory", "upper_secondary", "post_secondary"], n),
        "mother_age": rng.normal(29, 5, n).round(1),
        "vacc_mmr1_age_days": rng.integers(300, 900, n).astype(float),
        "vacc_mmr1_age_event": rng.random(n) < 0.8,
        "bf_duration_left_days": rng.integers(0, 300, n).astype(float),
    })
    pre = group.str.endswith("_pre").to_numpy(dtype=bool)
    days = rng.integers(0, 700, n)
    first = pd.to_datetime(np.where(pre, "2018-01-01", "2020-01-01"))
    frame["birth_date"] = first + pd.to_timedelta(days, unit="D")
    frame["period"] = np.where(pre, "pre", "post")
    frame["age_at_extraction_days"] = (pd.Timestamp("2024-06-30") - frame["birth_date"]).dt.days
    frame["moved_out_date"] = pd.NaT
    frame["area_group"] = frame["did_area"]
    frame["in_study"] = True
    frame["mother_region"] = frame["mother_region"].astype("string")
    frame["education"] = frame["education"].astype("string")
    received = rng.random((n, len(RINKEBY_CONTACTS))) < 0.6
    for column, contact in enumerate(RINKEBY_CONTACTS):
        frame[f"contact_{contact}_received"] = pd.array(received[:, column], dtype="boolean")
    frame["contacts_received"] = received.sum(axis=1)
    right = frame["bf_duration_left_days"] + rng.integers(20, 80, n)
    frame["bf_duration_right_days"] = right.where(rng.random(n) < 0.7)
    for indicator in BINARY:
        frame[indicator] = pd.array(rng.random(n) < 0.6, dtype="boolean")
    for indicator, values in (outcomes or {}).items():
        frame[indicator] = pd.array(values, dtype="boolean")
    return frame


def counts_outcome(n1: int, e1: int, n0: int, e0: int, rng_seed: int = 1) -> tuple[list, list]:
    """Groups and a 0/1 outcome with exactly e1/n1 and e0/n0 events, shuffled within group."""
    rng = np.random.default_rng(rng_seed)
    outcome = [*rng.permutation([True] * e1 + [False] * (n1 - e1)),
               *rng.permutation([True] * e0 + [False] * (n0 - e0))]
    return ["intervention"] * n1 + ["comparison"] * n0, outcome


def itt_row(effects: pd.DataFrame, indicator: str, measure: str, method: str) -> pd.Series:
    rows = effects[(effects["indicator"] == indicator) & (effects["measure"] == measure)
                   & (effects["method"] == method) & (effects["analysis"] == "itt")
                   & (effects["area"] == "all")]
    assert len(rows) == 1, rows
    return rows.iloc[0]


def assert_clean(tables: dict[str, pd.DataFrame]) -> None:
    """No infinite number anywhere; an empty effect estimate always has a note."""
    for name, table in tables.items():
        numbers = table.select_dtypes("number").astype("float64").to_numpy()
        assert not np.isinf(numbers).any(), name
    effects = tables["effects"]
    empty = effects["estimate"].isna()
    assert (effects.loc[empty, "note"].str.len() > 0).all()
    assert effects.loc[empty, ["ci_low", "ci_high"]].isna().all().all()


@pytest.fixture(scope="module")
def handmade() -> tuple[pd.DataFrame, dict[str, pd.DataFrame]]:
    groups, mmr = counts_outcome(40, 30, 40, 20)
    cohort = make_cohort(groups, outcomes={"vacc_mmr1_24m": mmr})
    tables = compare(make_study(primary=("vacc_mmr1_24m", "bf_any_6m")), cohort)
    return cohort, tables


def test_crude_risk_difference_matches_hand_computation(handmade) -> None:
    _, tables = handmade
    row = itt_row(tables["effects"], "vacc_mmr1_24m", "risk_difference", "crude")
    assert row["estimate"] == pytest.approx(30 / 40 - 20 / 40)
    expected = risk_difference(30, 40, 20, 40)
    assert (row["ci_low"], row["ci_high"]) == pytest.approx((expected.ci_low, expected.ci_high))
    assert row["p_value"] == pytest.approx(compare_proportions(30, 40, 20, 40).test.p_value)
    assert (row["n_intervention"], row["n_comparison"]) == (40, 40)
    assert (row["events_intervention"], row["events_comparison"]) == (30, 20)
    assert "chi-square" in row["note"]


def test_outcome_na_is_outside_the_denominator() -> None:
    groups, outcome = counts_outcome(30, 20, 30, 10)
    outcome[0] = outcome[-1] = None
    tables = compare(make_study(), make_cohort(groups, outcomes={"bf_any_2m": outcome}))
    row = itt_row(tables["effects"], "bf_any_2m", "risk_difference", "crude")
    assert (row["n_intervention"], row["n_comparison"]) == (29, 29)


def test_holm_on_primary_and_bh_on_the_rest(handmade) -> None:
    _, tables = handmade
    effects = tables["effects"]
    # the design's own estimate heads each indicator (concurrent: regression / adjusted Cox),
    # and each area is a family of its own
    assert set(effects.loc[effects["multiplicity"] != "", "area"]) == {"all", "North"}
    headline = effects[(effects["multiplicity"] != "") & (effects["area"] == "all")]
    assert set(headline["analysis"]) == {"itt"}
    # breastfeeding duration, known only between assessments: the discrete-time model
    assert set(zip(headline["method"], headline["measure"], strict=True)) == {
        ("regression", "risk_difference"), ("cox", "hazard_ratio"),
        ("discrete_time", "hazard_ratio")}
    assert set(headline.loc[headline["method"] == "discrete_time", "indicator"]) == {
        "bf_duration"}
    assert set(headline["indicator"]) == set(BINARY) | set(SURVIVAL)
    primary = headline[headline["multiplicity"] == "holm_primary"]
    assert sorted(primary["indicator"]) == ["bf_any_6m", "vacc_mmr1_24m"]
    assert primary["p_adjusted"].tolist() == pytest.approx(holm(primary["p_value"].tolist()))
    secondary = headline[headline["multiplicity"] == "bh_secondary"]
    assert len(secondary) == len(CORE) - 2
    assert secondary["p_adjusted"].tolist() == pytest.approx(
        benjamini_hochberg(secondary["p_value"].tolist()))
    assert effects.loc[effects["multiplicity"] == "", "p_adjusted"].isna().all()


def test_zero_cell_gives_notes_not_infinities() -> None:
    groups, outcome = counts_outcome(30, 6, 30, 0)
    tables = compare(make_study(), make_cohort(groups, outcomes={"lang_referred": outcome}))
    assert_clean(tables)
    effects = tables["effects"]
    assert itt_row(effects, "lang_referred", "risk_difference", "crude")["estimate"] == 0.2
    ratio = itt_row(effects, "lang_referred", "risk_ratio", "crude")
    assert pd.isna(ratio["estimate"]) and "zero cell" in ratio["note"]
    adjusted = itt_row(effects, "lang_referred", "odds_ratio", "regression")
    assert pd.isna(adjusted["estimate"]) and "zero cell" in adjusted["note"]


def test_complete_separation_by_a_covariate_gives_a_note() -> None:
    groups = ["intervention"] * 40 + ["comparison"] * 40
    cohort = make_cohort(groups, seed=3)
    cohort["bf_any_4m"] = pd.array(cohort["education"].eq("compulsory"), dtype="boolean")
    effects = compare(make_study(), cohort)["effects"]
    row = itt_row(effects, "bf_any_4m", "odds_ratio", "regression")
    assert pd.isna(row["estimate"]) and "separation" in row["note"]
    assert not pd.isna(itt_row(effects, "bf_any_4m", "risk_difference", "crude")["estimate"])


@pytest.mark.parametrize("n_intervention", [1, 0])
def test_tiny_intervention_group_never_crashes(n_intervention: int) -> None:
    groups = ["intervention"] * n_intervention + ["comparison"] * 12
    tables = compare(make_study("did"), make_cohort(groups + ["comparison_pre"] * 5, seed=2))
    assert_clean(tables)
    effects = tables["effects"]
    for method in ("regression", "iptw"):
        rows = effects[(effects["method"] == method) & (effects["analysis"] == "itt")]
        assert rows["estimate"].isna().all() and (rows["note"].str.len() > 0).all()
    assert (effects["n_intervention"] <= n_intervention).all()
    cox = itt_row(effects, "vacc_mmr1_age", "hazard_ratio", "cox")
    assert pd.isna(cox["estimate"]) and cox["note"]


def test_methods_follow_the_design() -> None:
    groups = (["intervention"] * 30 + ["comparison"] * 30 + ["intervention_pre"] * 30
              + ["comparison_pre"] * 30)
    cohort = make_cohort(groups, seed=5)
    concurrent = compare(make_study("concurrent"), cohort)["effects"]
    did = compare(make_study("did"), cohort)["effects"]
    binary_methods = {"crude", "regression", "iptw", "ipwra"}
    # covariate-adjusted and unadjusted DiD, and the logistic check on the scale
    did_methods = {"did", "did_unadjusted", "logistic_did"}
    survival_methods = {"vacc_mmr1_age": {"crude", "cox"}, "bf_duration": {"crude", "discrete_time"}}
    for effects, expected, extra in ((concurrent, binary_methods, set()),
                                     (did, binary_methods | did_methods,
                                      did_methods | {"kaplan_meier"})):
        itt = effects[(effects["analysis"] == "itt") & (effects["area"] == "all")]
        for indicator in BINARY:
            assert set(itt.loc[itt["indicator"] == indicator, "method"]) == expected
        for indicator in SURVIVAL:  # under did, the DiD of the landmark proportion, and RMST
            assert set(itt.loc[itt["indicator"] == indicator, "method"]) == (
                survival_methods[indicator] | extra)
    # the placebo DiD among children born before the start exists only under did
    assert set(did.loc[did["analysis"] == "placebo", "indicator"]) == set(BINARY) | set(SURVIVAL)
    assert not concurrent["analysis"].eq("placebo").any()
    did_row = itt_row(did, "bf_any_6m", "did", "did")
    assert did_row["n_intervention"] == 60 and "area" in did_row["note"]


def test_subgroups_dose_and_power_tables(handmade) -> None:
    cohort, tables = handmade
    effects = tables["effects"]
    subgroup = effects[(effects["analysis"] == "subgroup") & (effects["indicator"] == "bf_any_6m")]
    assert set(subgroup["subgroup"]) == {
        "mother_region=sweden_nordic", "mother_region=europe", "mother_region=outside_europe",
        "education=compulsory", "education=upper_secondary", "education=post_secondary"}
    assert subgroup["p_interaction"].notna().all()
    by_region = subgroup[subgroup["subgroup"].str.startswith("mother_region")]
    assert by_region["n_intervention"].sum() == 40
    dose = effects[(effects["analysis"] == "dose_response")].set_index("indicator")
    assert set(dose["measure"]) == {"odds_ratio"} and len(dose) == len(BINARY)
    assert dose["p_value"].isna().all()  # descriptive: no p-value
    # no Rinkeby contact closes its window before the 1-week breastfeeding window opens
    assert pd.isna(dose.loc["bf_any_1w", "estimate"])
    assert "no programme contact is due before the outcome" in dose.loc["bf_any_1w", "note"]
    bands = tables["dose_response"]
    assert not bands["indicator"].eq("bf_any_1w").any()
    # 6 months (window from 167 days): the newborn, 2- and 4-month visits count (windows
    # close at 28, 82 and 152 days), the 8-, 11- and 15-month ones do not
    accepted = cohort["accepted"].fillna(False).astype(bool)
    before = cohort[[f"contact_{c}_received" for c in RINKEBY_CONTACTS[:3]]].sum(axis=1)
    six = bands[bands["indicator"] == "bf_any_6m"].set_index("contacts_band")
    assert list(six.index) == ["0", "1", "2", "3+"]
    assert (six["contacts_counted"] == 3).all()
    for band, count in (("0", 0), ("1", 1), ("2", 2), ("3+", 3)):
        in_band = accepted & before.eq(count)
        assert six.loc[band, "n"] == in_band.sum()
        assert six.loc[band, "events"] == cohort.loc[in_band, "bf_any_6m"].sum()
    power = tables["power"].set_index("indicator")
    assert power.loc["vacc_mmr1_24m", "p_comparison"] == 0.5
    assert power.loc["vacc_mmr1_24m", "n_per_group_needed"] > 1000
    assert 0 < power.loc["vacc_mmr1_24m", "mdd"] < 0.5


def test_power_asks_about_the_difference_study_yml_names() -> None:
    groups, mmr = counts_outcome(40, 30, 40, 20)
    study = make_study().model_copy(update={"power_difference": 0.1})
    power = compare(study, make_cohort(groups, outcomes={"vacc_mmr1_24m": mmr}))["power"]
    assert (power["difference_named"] == 0.1).all()
    assert make_study().power_difference == 0.05  # the default


def test_contact_bands_split_planned_contacts_in_thirds() -> None:
    assert [label for label, _, _ in contact_bands(6)] == ["0", "1-2", "3-4", "5+"]
    assert [label for label, _, _ in contact_bands(1)] == ["0", "1+"]


def test_balance_and_survival_tables(handmade) -> None:
    _, tables = handmade
    balance = tables["balance"]
    # the one intervention area's own rows (against every comparison child) equal the study's
    by_area = {a: rows.drop(columns="area").reset_index(drop=True)
               for a, rows in balance.groupby("area")}
    pd.testing.assert_frame_equal(by_area["North"], by_area["all"])
    balance = balance[balance["area"] == "all"]
    assert set(balance["covariate"]) == {"mother_region", "education", "mother_age"}
    assert balance.loc[balance["covariate"] == "mother_age", "measure"].item() == "hedges_g"
    assert set(balance["rating_before"]) <= {"satisfied", "adjustment_required", "not_satisfied"}
    assert (balance["smd_after"].abs() < 0.1).all()
    survival = tables["survival"]
    for indicator in SURVIVAL:
        rows = survival[survival["indicator"] == indicator]
        assert set(rows["statistic"]) >= {"median", "log_rank"}
        assert rows.loc[rows["statistic"] == "log_rank", "p_value"].notna().all()
        points = rows[rows["statistic"].str.endswith("_point")]
        assert set(points["group"]) == {"intervention", "comparison"}
        assert points["survival"].between(0, 1).all()


def test_synthetic_study_has_every_itt_method_for_every_indicator(small_study) -> None:
    from pipeline.config import load_study

    root, folder, _ = small_study  # the session's 600-child synthetic study, already run
    study = load_study(folder)
    cohort = pd.read_parquet(root / "data_clean" / study.name / "cohort" / "cohort.parquet")
    tables = compare(study, cohort)
    assert_clean(tables)
    itt = tables["effects"][tables["effects"]["analysis"] == "itt"]
    did = study.design.type == "did"
    did_methods = {"did", "did_unadjusted", "logistic_did"} if did else set()
    for indicator in present(cohort.columns, ("binary", "survival")):  # with the study's exports
        rows = itt[(itt["indicator"] == indicator.id) & (itt["area"] == "all")]
        if indicator.kind == "binary":
            expected = {"crude", "regression", "iptw", "ipwra"} | did_methods
        else:
            expected = ({"crude", "discrete_time" if indicator.id == "bf_duration" else "cox"}
                        | did_methods | ({"kaplan_meier"} if did else set()))
        assert set(rows["method"]) == expected, indicator.id
        assert (rows["estimate"].notna() | (rows["note"].str.len() > 0)).all()
    assert set(tables) == {"effects", "summary", "balance", "survival", "dose_response", "power",
                           "trends", "design", "did_cells", "did_areas", "event_study",
                           "missing_data", "costs", "count_outcomes", "count_effects", "dose_received",
                           "control_chart", "funnel"}


def test_pandemic_sensitivity_leaves_out_births_in_2020_and_2021() -> None:
    groups = (["intervention"] * 30 + ["comparison"] * 30 + ["intervention_pre"] * 30
              + ["comparison_pre"] * 30)
    cohort = make_cohort(groups, seed=5)
    # make_cohort: children before the start born 2018–2019, after it 2020–2021; move ten of
    # the later ones in each arm to 2022, outside the pandemic years
    later = cohort.index[cohort["group"].isin(["intervention", "comparison"])]
    moved = [i for g in ("intervention", "comparison")
             for i in later[cohort.loc[later, "group"] == g][:10]]
    cohort.loc[moved, "birth_date"] = pd.Timestamp("2022-03-01")
    cohort["age_at_extraction_days"] = (pd.Timestamp("2024-06-30") - cohort["birth_date"]).dt.days
    effects = compare(make_study("did"), cohort)["effects"]
    rows = effects[(effects["analysis"] == "no_pandemic") & (effects["indicator"] == "bf_any_6m")]
    assert list(rows["area"]) == ["all"]
    row = rows.iloc[0]
    # 30 before the start and the 10 born in 2022, per arm
    assert (row["n_intervention"], row["n_comparison"]) == (40, 40)
    assert pd.isna(row["events_intervention"]) and "2020–2021 left out" in row["note"]


def test_complier_effects_follow_the_design() -> None:
    groups = (["intervention"] * 40 + ["comparison"] * 40 + ["intervention_pre"] * 40
              + ["comparison_pre"] * 40)
    cohort = make_cohort(groups, seed=8)
    for design, methods in (("concurrent", {"cace"}), ("did", {"cace", "fuzzy_did"})):
        effects = compare(make_study(design), cohort)["effects"]
        complier = effects[effects["analysis"] == "complier"]
        for indicator in BINARY:
            assert set(complier.loc[complier["indicator"] == indicator, "method"]) == methods
        # (the estimator itself is checked by hand in tests/stats/test_complier.py)
        row = complier[(complier["indicator"] == "bf_any_6m") & (complier["method"] == "cace")].iloc[0]
        accepted = cohort.loc[cohort["group"] == "intervention", "accepted"].astype(bool).mean()
        assert 0 < accepted < 1
        assert row["n_intervention"] == 40 and "acceptance share" in row["note"]


@pytest.fixture(scope="module")
def did_tables() -> tuple[pd.DataFrame, dict[str, pd.DataFrame]]:
    groups = (["intervention"] * 40 + ["comparison"] * 40 + ["intervention_pre"] * 40
              + ["comparison_pre"] * 40)
    cohort = make_cohort(groups, seed=11)
    education = cohort["education"].copy()
    education[[0, 1, 2, 50, 90]] = pd.NA  # 3 intervention, 1 comparison, 1 intervention_pre
    cohort["education"] = education
    cohort["bf_any_6m_filled"] = pd.array([pd.NA] * len(cohort), dtype="boolean")
    cohort.loc[[5, 6, 7], "bf_any_6m"] = pd.NA
    cohort.loc[[5, 6, 7], "bf_any_6m_filled"] = pd.array([True, True, False], dtype="boolean")
    cohort["bf_any_6m_excluded"] = pd.array(
        np.where(cohort["bf_any_6m"].isna(), "no_assessment", None), dtype="string")
    return cohort, compare(make_study("did", primary=("bf_any_6m",)), cohort)


def test_missing_data_table_counts_by_arm_and_period(did_tables) -> None:
    _, tables = did_tables
    missing = tables["missing_data"].set_index(["variable", "arm", "period"])
    assert missing.loc[("education", "intervention", "post"), "missing"] == 3
    assert missing.loc[("education", "comparison", "post"), "missing"] == 1
    assert missing.loc[("education", "intervention", "pre"), "missing"] == 1
    assert missing.loc[("education", "comparison", "pre"), "missing"] == 0
    assert missing.loc[("education", "intervention", "post"), "n"] == 40
    assert missing.loc[("education", "intervention", "post"), "share_missing"] == pytest.approx(
        3 / 40)
    # an indicator counts the children followed to its age: 3 without an assessment at 6 m
    assert missing.loc[("bf_any_6m", "intervention", "post"), "missing"] == 3
    assert set(missing.xs("education", level="variable")["kind"]) == {"covariate"}


def test_sensitivity_rows_fill_windows_and_impute_covariates(did_tables) -> None:
    _, tables = did_tables
    effects = tables["effects"]
    main = itt_row(effects, "bf_any_6m", "did", "did")
    filled = effects[(effects["analysis"] == "filled_windows")
                     & (effects["indicator"] == "bf_any_6m")].iloc[0]
    # the three children whose 6-month point was filled join the DiD
    assert filled["n_intervention"] == main["n_intervention"] + 3
    assert "3 points without an assessment" in filled["note"]
    imputed = effects[(effects["analysis"] == "multiple_imputation")
                      & (effects["indicator"] == "bf_any_6m")].iloc[0]
    # the five children without education are kept
    assert imputed["n_intervention"] + imputed["n_comparison"] == (
        main["n_intervention"] + main["n_comparison"] + 5)
    assert imputed["ci_low"] < imputed["estimate"] < imputed["ci_high"]
    assert not effects["analysis"].eq("multiple_imputation").loc[
        effects["indicator"] != "bf_any_6m"].any()  # primary indicators only


def test_did_tables_landmarks_and_event_study(did_tables) -> None:
    cohort, tables = did_tables
    effects = tables["effects"]
    landmarks = effects[(effects["analysis"] == "landmark") & (effects["area"] == "all")]
    assert sorted(landmarks.loc[landmarks["indicator"] == "vacc_mmr1_age", "landmark_days"]) == [
        548, 608, 730]
    assert sorted(landmarks.loc[landmarks["indicator"] == "bf_duration", "landmark_days"]) == [
        61, 122, 183]
    # the 24-month landmark is the survival indicator's own DiD
    at_730 = landmarks[(landmarks["indicator"] == "vacc_mmr1_age")
                       & (landmarks["landmark_days"] == 730)].iloc[0]
    assert at_730["estimate"] == pytest.approx(
        itt_row(effects, "vacc_mmr1_age", "did", "did")["estimate"])
    # area x period cells count the children with the outcome known, by hand
    cells = tables["did_cells"].set_index(["indicator", "area", "period"])
    known = cohort["vacc_mmr1_24m"].notna()
    for area, group in (("North", "intervention"), ("South", "comparison_pre")):
        period = "pre" if group.endswith("_pre") else "post"
        in_cell = known & cohort["group"].eq(group)
        assert cells.loc[("vacc_mmr1_24m", area, period), "children"] == in_cell.sum()
        assert cells.loc[("vacc_mmr1_24m", area, period), "events"] == (
            cohort.loc[in_cell, "vacc_mmr1_24m"].sum())
    # one area per arm: the pairwise DiD is the cell arithmetic of the four cells
    pairs = tables["did_areas"]
    pair = pairs[(pairs["indicator"] == "vacc_mmr1_24m") & (pairs["analysis"] == "pairwise")]
    share = {(a, p): cells.loc[("vacc_mmr1_24m", a, p), "proportion"]
             for a in ("North", "South") for p in ("pre", "post")}
    assert pair["did_unadjusted"].iloc[0] == pytest.approx(
        (share["North", "post"] - share["North", "pre"])
        - (share["South", "post"] - share["South", "pre"]))
    # event study: the half-year before the start is the reference, 0 by definition
    study = tables["event_study"]
    reference = study[(study["indicator"] == "vacc_mmr1_24m") & study["reference"]]
    assert reference["half_years_from_start"].tolist() == [-1]
    assert reference["estimate"].tolist() == [0.0]
    assert study.loc[study["indicator"] == "vacc_mmr1_24m", "pre"].any()


def test_equity_is_a_did_within_each_subgroup_under_did(did_tables) -> None:
    _, tables = did_tables
    effects = tables["effects"]
    rows = effects[(effects["analysis"] == "subgroup") & (effects["indicator"] == "bf_any_6m")]
    assert set(rows["method"]) == {"triple_difference"} and set(rows["measure"]) == {"did"}
    for variable in ("mother_region", "education"):
        levels = rows[rows["subgroup"].str.startswith(variable)]
        assert levels["p_interaction"].nunique() == 1  # one joint test per variable
        assert levels["note"].str.startswith("exploratory").all()


def test_iptw_rows_carry_the_comparison_effective_sample_size(handmade) -> None:
    _, tables = handmade
    for method in ("iptw", "ipwra"):
        row = itt_row(tables["effects"], "vacc_mmr1_24m", "risk_difference", method)
        assert 0 < row["ess_comparison"] <= row["n_comparison"]
        assert "estimated propensity score" in row["note"]


def test_multiple_imputation_keeps_every_child_in_a_two_group_design() -> None:
    groups, mmr = counts_outcome(60, 40, 60, 30)
    cohort = make_cohort(groups, outcomes={"vacc_mmr1_24m": mmr})
    education = cohort["education"].copy()
    education[[0, 1, 2, 70]] = pd.NA
    cohort["education"] = education
    effects = compare(make_study(primary=("vacc_mmr1_24m",)), cohort)["effects"]
    imputed = effects[effects["analysis"] == "multiple_imputation"].iloc[0]
    main = itt_row(effects, "vacc_mmr1_24m", "risk_difference", "regression")
    assert (imputed["n_intervention"], imputed["n_comparison"]) == (60, 60)
    assert (main["n_intervention"], main["n_comparison"]) == (57, 59)  # complete cases
    assert imputed["ci_low"] < imputed["estimate"] < imputed["ci_high"]


def test_an_areas_design_checks_from_the_whole_panel_are_its_own(small_study, monkeypatch) -> None:
    """An area's DiD row takes its randomisation test and placebo areas from the whole study's
    panel ("DiD by area", each area's children reduced once): they are what a panel of the
    area's and the comparison areas' children alone gives, as its own piece made them."""
    from pipeline.config import load_study
    from pipeline.stages.compare.context import (
        DID_GROUPS,
        GROUPS,
        _Context,
        _in_area,
        _rows_in,
        analysed_columns,
    )
    from pipeline.stages.compare.did_rows import _model_terms, areas_checked_together, did_area_checks
    from pipeline.stats import area_checks

    root, folder, _ = small_study
    study = load_study(folder)
    assert study.design.type == "did" and len(study.design.intervention_areas) >= 2
    cohort = pd.read_parquet(root / "data_clean" / study.name / "cohort" / "cohort.parquet")
    population = _rows_in(cohort, GROUPS, analysed_columns(cohort))
    did_cells = _rows_in(cohort, DID_GROUPS, analysed_columns(cohort))
    context = _Context(study, population)
    alone = areas_checked_together(context, did_cells)
    assert alone == {area: {i.id for i in context.indicators}
                     for area in study.design.intervention_areas}
    _, _, checked = did_area_checks(context, did_cells, randomisation=True, alone=alone)
    compared = 0
    for area in study.design.intervention_areas:
        did = _Context(study, _in_area(population, area), area=area).did(_in_area(did_cells, area))
        for indicator in context.indicators:
            y, inside, _ = did.outcome(indicator.id)
            extra = _model_terms(did.coded_covariates[inside].reset_index(drop=True),
                                 did.half_year_labels[inside])
            try:
                own = area_checks(y[inside], did.area_labels[inside], did.post[inside],
                                  did.treated_area[inside], extra,
                                  checks=("randomisation", "placebo_areas"))
            except ValueError:
                assert (area, indicator.id) not in checked
                continue
            shared = checked[area, indicator.id]
            for name in ("p_value", "p_floor", "reason"):
                ours, theirs = getattr(shared["randomisation"], name), getattr(own["randomisation"], name)
                assert ours == (theirs if theirs is None or isinstance(theirs, str)
                                else pytest.approx(theirs, rel=1e-12)), (area, indicator.id, name)
            pd.testing.assert_frame_equal(shared["placebo_areas"], own["placebo_areas"],
                                          check_exact=False, rtol=1e-12)
            compared += own["randomisation"].p_value is not None
    assert compared >= len(context.indicators)  # most areas' tests have a p to compare

    # where the whole study's panel cannot be made, each area's checks come from its own
    # children and the comparison areas' alone: the same tests
    import pipeline.stages.compare.did_rows as did_rows

    def whole_panel_fails(*args: object, each_intervention_area: bool = False, **kwargs: object):
        if each_intervention_area:
            raise ValueError("the whole study's panel, made to fail")
        return area_checks(*args, **kwargs)

    monkeypatch.setattr(did_rows, "area_checks", whole_panel_fails)
    _, _, alone_checked = did_area_checks(context, did_cells, randomisation=True, alone=alone)
    assert not any(area == "all" for area, _ in alone_checked)
    assert set(alone_checked) == {key for key in checked if key[0] != "all"}
    for key, found in alone_checked.items():
        assert found["randomisation"].p_value == checked[key]["randomisation"].p_value, key
        pd.testing.assert_frame_equal(found["placebo_areas"], checked[key]["placebo_areas"],
                                      check_exact=False, rtol=1e-12)


def test_the_short_tables_start_last_and_longest_first(monkeypatch: pytest.MonkeyPatch) -> None:
    """The processes' last pieces are the descriptive tables, longest first by their time at a
    million children (`_SHORT_PIECES`): every one of them named there, so that a renamed
    table does not silently go to the end."""
    import pipeline.stages.compare as compare_module

    started: list[str] = []

    def in_order(pieces, jobs, done, order=None, **_):  # noqa: ANN001, ANN202 - run_pieces'
        results = [None] * len(pieces)
        for index in order:
            results[index] = pieces[index]()
            done(index)
        return results

    monkeypatch.setattr(compare_module, "run_pieces", in_order)
    groups = (["intervention"] * 30 + ["comparison"] * 30 + ["intervention_pre"] * 30
              + ["comparison_pre"] * 30)
    compare(make_study("did"), make_cohort(groups, seed=3), jobs=2,
            progress=started.append,
            beside={"indicators": lambda: pd.DataFrame(), "flow": lambda: pd.DataFrame(),
                    "fidelity": lambda: pd.DataFrame()})
    names = [message.split(maxsplit=2)[-1] for message in started]  # "compare: 3/40 event study"
    tail = names[-len(compare_module._SHORT_PIECES):]
    assert tail == list(compare_module._SHORT_PIECES)
    assert names[0].startswith("area ")  # the longest pieces first


def test_each_half_year_s_label_is_that_of_its_last_child() -> None:
    """The event study's labels of its half-years (`_label_of_each`): what dict(zip(...)) of
    every child gives, the last child's label where one half-year has two."""
    from pipeline.stages.compare.did_rows import _label_of_each

    rng = np.random.default_rng(4)
    period = rng.integers(-8, 7, 5_000)
    labels = np.array([f"{2016 + (p + 8) // 2}-{'01' if p % 2 else '07'}" for p in period], dtype=object)
    assert _label_of_each(period, labels) == dict(zip(period.tolist(), labels.tolist(), strict=True))
    assert _label_of_each(np.array([1, 2, 1, 3]), np.array(["a", "b", "c", "d"], dtype=object)) == {
        1: "c", 2: "b", 3: "d"}
    assert _label_of_each(np.array([], dtype=int), np.array([], dtype=object)) == {}


@pytest.mark.parametrize("design", ["did", "concurrent"])
def test_trends_count_each_arm_and_half_year_as_a_group_by_does(design) -> None:
    """`trends_table` counts each indicator's children and events per arm and birth half-year
    from one code per child (`_arm_half_year_cells`); the cells, their order and their counts
    are a pandas group-by's, with a child outside both arms (area group missing) left out, as
    the group-by leaves it. (Every child in the study has a birth date: clean rejects a child
    without one.)"""
    from pipeline.stages.compare.context import binary_outcome, did_outcome, half_year_bins
    from pipeline.stages.compare.tables import trends_table

    groups = ["intervention_pre", "intervention", "comparison_pre", "comparison"] * 150
    cohort = make_cohort(groups, seed=5)
    cohort["area_group"] = cohort["area_group"].astype(object)
    cohort.loc[7, "area_group"] = None
    study = make_study(design)
    table = trends_table(cohort, study)
    start = half_year_bins(pd.to_datetime(cohort["birth_date"]), pd.Timestamp("2020-01-01"))
    for indicator in ("vacc_mmr1_24m", "bf_any_6m"):
        if design == "did":
            y, inside, _ = did_outcome(cohort, indicator)
        else:
            y, inside = binary_outcome(cohort, indicator)
        frame = pd.DataFrame({"arm": cohort["area_group"].astype("string").fillna(""),
                              "half_year": start.dt.strftime("%Y-%m"), "start": start, "y": y})[inside]
        cells = frame.groupby(["arm", "half_year", "start"], sort=True)["y"].agg(["size", "sum"])
        expected = [(arm, half_year, int(size), int(total))
                    for (arm, half_year, _), size, total in zip(cells.index, cells["size"], cells["sum"],
                                                                strict=True) if arm]
        got = table[table["indicator"] == indicator]
        assert list(zip(got["arm"], got["half_year"], got["n"].astype(int), got["events"].astype(int),
                        strict=True)) == expected
        assert len(expected) > 8 and sum(n for *_, n, _ in expected) < len(cohort)


def test_an_area_of_a_historical_study_is_compared_with_itself_before_the_start() -> None:
    """Under `historical` each intervention area's children born after the start are compared
    with that area's children born before it. The area rows compared them with every
    intervention area's children before the start, while page one said "bland barn födda där
    före start" (the demo's children as a historical study: Norrbyåsen 85 % against 83 %, the
    two areas' 438 children before the start, where its own 236 had 78 %)."""
    config = make_study("historical").model_dump()
    config["design"]["intervention_areas"] = ["North", "East"]
    config["design"]["comparison_areas"] = []
    study = Study.model_validate(config)
    # North: 30/40 after, 20/40 before; East: 25/40 after, 35/40 before
    mmr = ([True] * 30 + [False] * 10 + [True] * 20 + [False] * 20
           + [True] * 25 + [False] * 15 + [True] * 35 + [False] * 5)
    groups = (["intervention"] * 40 + ["comparison"] * 40) * 2
    cohort = make_cohort(groups, seed=3, outcomes={"vacc_mmr1_24m": mmr})
    cohort["area"] = ["North"] * 80 + ["East"] * 80
    cohort["did_area"] = cohort["area_group"] = "intervention"
    tables = compare(study, cohort)
    effects = tables["effects"]
    crude = effects[(effects["indicator"] == "vacc_mmr1_24m") & (effects["analysis"] == "itt")
                    & (effects["method"] == "crude") & (effects["measure"] == "risk_difference")]
    by_area = crude.set_index("area")
    assert by_area.loc["North", "estimate"] == pytest.approx(30 / 40 - 20 / 40)
    assert by_area.loc["East", "estimate"] == pytest.approx(25 / 40 - 35 / 40)
    assert by_area.loc["all", "estimate"] == pytest.approx(55 / 80 - 55 / 80, abs=1e-12)
    assert (by_area.loc["North", "n_intervention"], by_area.loc["North", "n_comparison"]) == (40, 40)
    summary = tables["summary"].set_index(["area", "indicator"])
    assert summary.loc[("North", "vacc_mmr1_24m"), "n_denominator_comparison"] == 40
    assert summary.loc[("North", "vacc_mmr1_24m"), "proportion_comparison"] == pytest.approx(0.5)


def test_a_historical_study_defines_fully_vaccinated_the_same_before_and_after_the_start() -> None:
    """"Fully vaccinated" asks for rotavirus only of births from 2019-09-01: a historical study
    compared 71 % after the start (rotavirus asked) with 74 % before (not asked), as the DiD
    no longer does. Both designs compare children born before and after the start, so both take
    DTaP3 + PCV3 + MMR1 for every child then, and say so (caveat stable_definition)."""
    config = make_study("historical").model_dump()
    config["design"]["comparison_areas"] = []
    study = Study.model_validate(config)
    groups = ["intervention"] * 40 + ["comparison"] * 40
    stable = [True] * 36 + [False] * 4 + [True] * 30 + [False] * 10
    full = [True] * 20 + [False] * 20 + [True] * 30 + [False] * 10  # after: rotavirus missing in 16
    cohort = make_cohort(groups, seed=4, outcomes={"vacc_full_24m": full, "vacc_dtp3_24m": stable,
                                                   "vacc_pcv3_24m": stable, "vacc_mmr1_24m": stable})
    cohort["did_area"] = cohort["area_group"] = "intervention"
    cohort["area"] = "North"
    cohort.loc[40:, "birth_date"] = pd.Timestamp("2018-03-01")  # before rotavirus entered
    tables = compare(study, cohort)
    head = tables["summary"].set_index(["area", "indicator"]).loc[("all", "vacc_full_24m")]
    assert (head["events_intervention"], head["events_comparison"]) == (36, 30)
    assert "stable_definition" in head["caveats"].split(";")
    crude = itt_row(tables["effects"], "vacc_full_24m", "risk_difference", "crude")
    assert crude["estimate"] == pytest.approx(36 / 40 - 30 / 40)


def test_a_historical_studys_power_plans_fully_vaccinated_by_its_stable_parts() -> None:
    """The power table planned a historical study's fully vaccinated from its comparison share
    with rotavirus asked of the children born from 2019-09-01, while the study compares the
    stable parts (DTaP3 + PCV3 + MMR1) before and after the start. Before the start here: 20
    born in 2018 (15 with the parts) and 20 in late 2019 (all 20 with the parts, 10 of them
    with rotavirus too): 35/40 by the stable parts, not 25/40."""
    config = make_study("historical").model_dump()
    config["design"]["comparison_areas"] = []
    study = Study.model_validate(config)
    groups = ["intervention"] * 40 + ["comparison"] * 40
    stable = [True] * 30 + [False] * 10 + [True] * 15 + [False] * 5 + [True] * 20
    full = [True] * 30 + [False] * 10 + [True] * 15 + [False] * 5 + [True] * 10 + [False] * 10
    cohort = make_cohort(groups, seed=6, outcomes={"vacc_full_24m": full, "vacc_dtp3_24m": stable,
                                                   "vacc_pcv3_24m": stable, "vacc_mmr1_24m": stable})
    cohort["did_area"] = cohort["area_group"] = "intervention"
    cohort["area"] = "North"
    cohort.loc[:39, "birth_date"] = pd.Timestamp("2021-03-01")
    cohort.loc[40:59, "birth_date"] = pd.Timestamp("2018-03-01")
    cohort.loc[60:, "birth_date"] = pd.Timestamp("2019-10-15")
    power = power_table(cohort, 0.05, study).set_index("indicator").loc["vacc_full_24m"]
    assert power["p_comparison"] == pytest.approx(35 / 40)
    assert (power["n_intervention"], power["n_comparison"]) == (40, 40)
    detectable = minimum_detectable_difference(35 / 40, 40, 40)
    assert power["mdd_decrease"] == pytest.approx(detectable.decrease)
    assert detectable.increase is None and pd.isna(power["mdd"])  # 87.5 % cannot rise by enough
    # a concurrent study compares children born at one time: each as defined for its birth
    concurrent = power_table(cohort, 0.05, make_study("concurrent")).set_index("indicator")
    assert concurrent.loc["vacc_full_24m", "p_comparison"] == pytest.approx(25 / 40)


def test_a_historical_studys_charts_and_trends_take_fully_vaccinated_by_its_stable_parts() -> None:
    """The control chart's baseline (the children before the start) and its points after it
    compared fully vaccinated with and without rotavirus under a historical design."""
    config = make_study("historical").model_dump()
    config["design"]["comparison_areas"] = []
    study = Study.model_validate(config)
    stable = [True, True, False, True]
    births = pd.to_datetime(["2018-03-01", "2020-03-01", "2020-03-01", "2021-01-01"])
    frame = pd.DataFrame({"birth_date": births,
                          "vacc_full_24m": pd.array([True, False, False, True], dtype="boolean"),
                          **{p: pd.array(stable, dtype="boolean")
                             for p in ("vacc_dtp3_24m", "vacc_pcv3_24m", "vacc_mmr1_24m")}})
    y, inside = design_outcome(study.design.type, frame, "vacc_full_24m")
    assert y.tolist() == [1.0, 1.0, 0.0, 1.0] and inside.all()  # the second child lacked rotavirus only
    y, _ = design_outcome("concurrent", frame, "vacc_full_24m")
    assert y.tolist() == [1.0, 0.0, 0.0, 1.0]  # a concurrent design compares children born at one time


def test_a_historical_studys_missing_data_are_its_areas_before_and_after_the_start() -> None:
    """Under `historical` the comparison group is the intervention areas' children born before
    the start. The missing-data table put them under "comparison, after the start", and left
    "intervention, before the start" empty (a review of a 6,000-child historical study: 60 of
    666 "Jämförelse, efter start")."""
    config = make_study("historical").model_dump()
    config["design"]["comparison_areas"] = []
    study = Study.model_validate(config)
    cohort = make_cohort(["intervention"] * 40 + ["comparison"] * 30, seed=5)
    education = cohort["education"].copy()
    education[[0, 1, 45, 46, 47, 48]] = pd.NA  # 2 after the start, 4 before
    cohort["education"] = education
    missing = missing_data_table(study, cohort).set_index(["variable", "arm", "period"])
    education_rows = missing.xs("education", level="variable")
    assert set(education_rows.index) == {("intervention", "post"), ("intervention", "pre")}
    assert education_rows.loc[("intervention", "post"), ["missing", "n"]].tolist() == [2, 40]
    assert education_rows.loc[("intervention", "pre"), ["missing", "n"]].tolist() == [4, 30]
    # the report's table has the two groups' columns, not two more of dashes for comparison areas
    shown = report_tables.missing_data_table(missing_data_table(study, cohort), "en")
    assert list(shown.columns) == ["Item", "Intervention, before the start",
                                   "Intervention, after the start"]


def test_a_concurrent_study_with_too_few_areas_makes_no_significance_claim() -> None:
    """Concurrent: one intervention area against one comparison area. Its 30-point difference is
    far beyond chance for children taken as independent, yet the area's own difference from the
    other cannot be told from the programme's: a test of which of the 2 areas had the programme
    gives p = 1 whatever the data, either choice as extreme as the other. (An area's report of
    a 6,000-child concurrent study called a 9-point fall "larger than chance", p = 0.034, where
    the truth was a rise of 8.)"""
    groups = ["intervention"] * 200 + ["comparison"] * 200
    mmr = [True] * 180 + [False] * 20 + [True] * 120 + [False] * 80  # 90 % against 60 %
    tables = compare(make_study("concurrent", primary=("vacc_mmr1_24m",)),
                     make_cohort(groups, seed=7, outcomes={"vacc_mmr1_24m": mmr}))
    row = tables["summary"].set_index(["area", "indicator"]).loc[("all", "vacc_mmr1_24m")]
    assert row["ci_low"] > 0.2 and row["p_adjusted"] < 1e-6  # the children-level numbers
    assert (row["verdict"], row["reason"]) == ("unclear", "design_cannot_reach_significance")
    assert row["p_floor"] == pytest.approx(1.0) and row["p_randomisation"] == pytest.approx(1.0)
    from pipeline import narrative
    said = narrative.verdict_phrase(row.to_dict() | {"area": "all"}, {}, "en")
    assert said == ("with so few areas the study cannot show that the difference is larger than chance, "
                    "however large: areas differ even without the programme, and a test of which areas "
                    "had it could give p = 1.00 at the lowest")


def test_a_historical_studys_control_chart_judges_runs_within_each_period() -> None:
    """Under historical the children before the start are the comparison group of the same areas,
    and the chart took them and the children after it as one series: a run of 10 points below
    the centre line crossing the start was reported, while the report says that each period is
    judged apart and a run across the start counts only where a part has 8 points itself (a
    review of a 6,000-child historical study: "11 punkter i rad … september 2019–augusti 2022",
    4 before the start and 7 after)."""
    config = make_study("historical").model_dump()
    config["design"]["comparison_areas"] = []
    study = Study.model_validate(config)  # start 2020-01-01, North the intervention area
    quarters = pd.date_range("2018-01-01", periods=16, freq="QS")  # 8 before the start, 8 after
    # 20 children a quarter; before: 3 quarters of 20/20, then 5 of 12/20 (centre 0.75); after:
    # 5 quarters of 12/20, then 3 of 20/20
    events = [20] * 3 + [12] * 5 + [12] * 5 + [20] * 3
    groups = ["comparison" if q < pd.Timestamp("2020-01-01") else "intervention"
              for q in quarters for _ in range(20)]
    mmr = [child < e for e in events for child in range(20)]
    cohort = make_cohort(groups, seed=1, outcomes={"vacc_mmr1_24m": mmr})
    cohort["birth_date"] = [q + pd.Timedelta(days=10) for q in quarters for _ in range(20)]
    cohort["area"] = "North"
    cohort["did_area"] = cohort["area_group"] = "intervention"
    chart = control_chart_table(study, cohort)
    mine = chart[chart["indicator"].eq("vacc_mmr1_24m")].sort_values("quarter")
    assert len(mine) == 16 and mine["centre"].iloc[0] == pytest.approx(0.75)
    assert mine["period"].tolist() == ["pre"] * 8 + ["post"] * 8
    assert (mine["proportion"] < 0.75).sum() == 10  # ten in a row below the line across the start
    assert set(mine["run"]) == {""}  # neither period has eight of them


def test_a_concurrent_difference_within_how_areas_differ_is_not_called_larger_than_chance() -> None:
    """Two intervention areas (90 % and 60 % with MMR) among ten: pooled 75 % against the eight
    comparison areas' 61.25 %, far beyond chance for 1,000 children taken as independent, yet
    the comparison areas themselves range from 30 % to 95 %. Of the 45 ways of choosing two of
    the ten areas, 23 give a difference at least as large (counted below), so p = 23/45: the
    verdict says so, not "larger than chance" (a 6,000-child concurrent study: rotavirus 6
    points lower where the truth was no effect)."""
    from itertools import combinations

    shares = {"A": 0.9, "B": 0.6, "C": 0.95, "D": 0.3, "E": 0.5, "F": 0.85, "G": 0.4, "H": 0.7,
              "I": 0.65, "J": 0.55}
    config = make_study("concurrent").model_dump()
    config["design"]["intervention_areas"] = ["A", "B"]
    config["design"]["comparison_areas"] = list("CDEFGHIJ")
    study = Study.model_validate(config)
    areas = [a for a in shares for _ in range(100)]
    groups = ["intervention" if a in "AB" else "comparison" for a in areas]
    mmr = [child < round(100 * shares[a]) for a in shares for child in range(100)]
    cohort = make_cohort(groups, seed=4, outcomes={"vacc_mmr1_24m": mmr})
    cohort["area"] = areas
    summary = compare(study, cohort)["summary"].set_index(["area", "indicator"])
    row = summary.loc[("all", "vacc_mmr1_24m")]
    as_large = sum(abs(sum(shares[a] for a in pick) / 2 - sum(shares[a] for a in shares if a not in pick) / 8)
                   >= 0.75 - 0.6125 - 1e-9 for pick in combinations(shares, 2))
    assert as_large == 23
    assert row["p_randomisation"] == pytest.approx(as_large / 45) and row["p_floor"] == pytest.approx(1 / 45)
    # age at MMR (a Cox hazard ratio) is tested by its landmark share, MMR by 24 months: the same test
    assert summary.loc[("all", "vacc_mmr1_age"), "p_randomisation"] == pytest.approx(as_large / 45)
    assert row["ci_low"] > 0  # the children-level interval excludes no effect
    assert (row["verdict"], row["reason"]) == ("unclear", "areas_differ_as_much")
    from pipeline import narrative
    said = narrative.verdict_phrase(row.to_dict() | {"area": "all"}, {}, "en").replace("\xa0", " ")
    assert said == ("the interval excludes 0, but the difference could come from how areas differ even "
                    "without the programme: a test of which areas had it gives p = 0.51")


def test_a_headline_given_twice_is_tested_once() -> None:
    """Age at MMR's DiD at 24 months is MMR by 24 months' estimate over again. It was adjusted a
    second time among the secondary indicators: one estimate with adjusted p 0.018 (Holm,
    primary) and 0.11 (Benjamini–Hochberg over 19), and summary.csv called it "higher" beside
    MMR's "unclear" (a review). It takes MMR's adjusted p and is in no family; BH is over the
    others alone (by hand: p 0.02 and 0.5, ranks 1 and 2 of 2 -> 0.04 and 0.5)."""
    from pipeline.outputs import output_table
    from pipeline.stages.compare import _with_multiplicity

    def row(indicator: str, estimate: float, p: float) -> dict:
        return {"indicator": indicator, "area": "all", "analysis": "itt", "subgroup": "",
                "method": "did", "measure": "did", "estimate": estimate, "p_value": p}

    effects = output_table("effects").frame([
        row("vacc_mmr1_24m", 0.07, 0.004), row("bf_any_6m", 0.01, 0.30), row("lang_no_deviation", 0.2, 0.2),
        row("vacc_mmr1_age", 0.07, 0.004), row("vacc_dtp3_24m", -0.02, 0.02), row("bf_any_1w", 0.0, 0.5)])
    study = make_study("did", primary=("vacc_mmr1_24m", "bf_any_6m", "lang_no_deviation"))
    adjusted = _with_multiplicity(effects, study).set_index("indicator")
    assert adjusted.loc["vacc_mmr1_24m", "p_adjusted"] == pytest.approx(0.012)  # Holm: 3 x 0.004
    assert adjusted.loc["vacc_mmr1_age", "p_adjusted"] == pytest.approx(0.012)
    assert adjusted.loc["vacc_mmr1_age", "multiplicity"] == ""
    assert adjusted.loc[["vacc_dtp3_24m", "bf_any_1w"], "p_adjusted"].tolist() == pytest.approx([0.04, 0.5])
    assert set(adjusted.loc[["vacc_dtp3_24m", "bf_any_1w"], "multiplicity"]) == {"bh_secondary"}
    # a different estimate is another hypothesis: tested in its own family as before
    effects.loc[effects["indicator"].eq("vacc_mmr1_age"), "estimate"] = 0.05
    again = _with_multiplicity(effects, study).set_index("indicator")
    assert again.loc["vacc_mmr1_age", "multiplicity"] == "bh_secondary"
