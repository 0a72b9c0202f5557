"""Costs (issue 12): study.yml's `costs:`, the cost per family, contact and additional child, its
interval, its small-cell suppression and its report section; hand-computed on small tables."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from pydantic import ValidationError
from scipy.stats import norm
from studykit import STUDY, pnr, write_study

from pipeline import narrative, tables, text
from pipeline.config import Study, load_study
from pipeline.errors import ConfigError
from pipeline.outputs import output_table
from pipeline.publish import publish_tables
from pipeline.publish.cells import _Pass
from pipeline.publish.costs import _publish_costs
from pipeline.runner import run_ingest_clean
from pipeline.stages import clean as clean_stage
from pipeline.stages.compare import cost_items, costs_table
from pipeline.stages.compare.costs import YEAR_FLAGS
from pipeline.stats import Estimate
from pipeline.stats.costs import REASONS, cost_per_outcome, unit_cost
from pipeline.text.narrative_words import COST_WORDS

INPUTS_TINY = STUDY["inputs"]
INPUTS = {t: f"{t}.csv" for t in ("children", "visits", "breastfeeding", "vaccinations", "language")}
PRIMARY = ("vacc_mmr1_24m", "bf_any_6m", "lang_no_deviation", "vacc_mmr1_age")
COSTS = [{"year": 2021, "amount_sek": 1_000_000, "covers": "personnel"},
         {"year": 2021, "amount_sek": 200_000, "covers": "interpreters and material"},
         {"year": 2022, "amount_sek": 600_000, "covers": "personnel"},
         {"year": 2020, "amount_sek": 100_000, "covers": "training",
          "note": "start-up before the first births"}]


def make_study(costs: list[dict] | None = None, **design: str) -> Study:
    """Intervention children born 2021-01-01 to 2022-06-30 (2022 a part year)."""
    return Study.model_validate({
        "name": "costs", "programme": "rinkeby", "extraction_date": "2023-06-30",
        "design": {"type": "concurrent", "intervention_areas": ["North"], "comparison_areas": ["South"],
                   "programme_start": "2021-01-01", "born_from": "2021-01-01", "born_to": "2022-06-30",
                   **design},
        "primary_indicators": list(PRIMARY), "inputs": INPUTS,
        "costs": COSTS if costs is None else costs})


def make_cohort() -> pd.DataFrame:
    """2021: 10 intervention children, 8 of accepting families with 6+6+6+6+5+5+4+2 = 40
    contacts; 2022: 5 children, 4 accepting with 3+3+2+2 = 10 contacts, all too young for their
    last contacts; 6 comparison children (never counted)."""
    def children(year: int, accepted: list[bool], contacts: list[int], young: bool) -> pd.DataFrame:
        n = len(accepted)
        return pd.DataFrame({
            "group": "intervention", "birth_date": pd.date_range(f"{year}-01-15", periods=n, freq="7D"),
            "accepted": pd.array(accepted, dtype="boolean"), "contacts_received": contacts,
            "all_contacts_excluded": pd.array(["not_reached_age" if young else None] * n, dtype="string")})
    comparison = pd.DataFrame({"group": "comparison", "birth_date": pd.Timestamp("2021-05-01"),
                               "accepted": pd.array([pd.NA] * 6, dtype="boolean"), "contacts_received": 0,
                               "all_contacts_excluded": pd.array([None] * 6, dtype="string")})
    cohort = pd.concat([
        children(2021, [True] * 8 + [False, False], [6, 6, 6, 6, 5, 5, 4, 2, 0, 0], young=False),
        children(2022, [True] * 4 + [False], [3, 3, 2, 2, 0], young=True),
        comparison], ignore_index=True)
    cohort["group"] = cohort["group"].astype("string")
    # MMR by 24 months: the 2021 children had a value at the extraction (2023-06-30), the 2022
    # children were too young (blank), as were some comparison children
    cohort["vacc_mmr1_24m"] = pd.array([True] * 7 + [False] * 3 + [pd.NA] * 5 + [True] * 4 + [pd.NA] * 2,
                                       dtype="boolean")
    return cohort


def make_summary() -> pd.DataFrame:
    """Headlines: MMR 20 pp (5 to 35); breastfeeding 10 pp (−5 to 25); language −20 pp (−30 to
    −10); MMR age a hazard ratio."""
    rows = [("vacc_mmr1_24m", "risk_difference", 0.20, 0.05, 0.35),
            ("bf_any_6m", "risk_difference", 0.10, -0.05, 0.25),
            ("lang_no_deviation", "risk_difference", -0.20, -0.30, -0.10),
            ("vacc_mmr1_age", "hazard_ratio", 1.3, 1.1, 1.5)]
    return output_table("summary").frame(
        [{"indicator": i, "area": "all", "method": "regression", "measure": m, "estimate": e,
          "ci_low": low, "ci_high": high, "caveats": ""} for i, m, e, low, high in rows])


@pytest.fixture(scope="module")
def costs() -> pd.DataFrame:
    return costs_table(make_study(), make_cohort(), make_summary())


def _row(costs: pd.DataFrame, part: str, key: str = "") -> dict:
    column = "indicator" if part == "outcome" else "year"
    rows = costs[costs["part"].eq(part) & (costs[column].eq(key) if key else True)]
    assert len(rows) == 1, (part, key)
    return rows.iloc[0].to_dict()


# --- the statistics ---------------------------------------------------------------------------

def test_cost_per_additional_child_by_hand() -> None:
    # 2,000,000 kr, 100 children, 8 pp (4 to 12.5): 8 more children at 250,000 kr each, from
    # 2,000,000 / (100 x 0.125) = 160,000 to 2,000,000 / (100 x 0.04) = 500,000
    result = cost_per_outcome(2_000_000, 100, 0.08, 0.04, 0.125)
    assert isinstance(result, Estimate)
    assert (result.measure, result.method) == ("cost_per_additional_child", "inverted_effect_interval")
    assert result.estimable and result.reason is None and result.flags == ()
    assert result.estimate == pytest.approx(250_000)
    assert (result.ci_low, result.ci_high) == (pytest.approx(160_000), pytest.approx(500_000))
    assert (result.n, result.confidence) == (100, 0.95)
    assert result.details == {"cost": 2_000_000, "effect": 0.08, "effect_ci_low": 0.04,
                              "effect_ci_high": 0.125}
    assert cost_per_outcome(2_000_000, 100, 0.08, 0.05, 0.11, confidence=0.9).confidence == 0.9


def _fieller(a: float, b: float, v11: float, v22: float, v12: float, t: float) -> tuple[float, float]:
    """Fieller's (1954) limits for a / b with variances v11, v22 and covariance v12, in their
    usual closed form: [(q - g v12/v22) -/+ (t/b) sqrt(v11 - 2 q v12 + q^2 v22 - g (v11 -
    v12^2 / v22))] / (1 - g), q = a / b, g = t^2 v22 / b^2 (bounded when g < 1)."""
    q, g = a / b, t * t * v22 / (b * b)
    half = (t / b) * math.sqrt(v11 - 2 * q * v12 + q * q * v22 - g * (v11 - v12 * v12 / v22))
    return (q - g * v12 / v22 - half) / (1 - g), (q - g * v12 / v22 + half) / (1 - g)


def test_the_interval_is_fiellers_for_a_cost_without_variance() -> None:
    # a Wald effect 0.08 (se 0.02) over 100 children for 2,000,000 kr: Fieller's limits for the
    # cost per child over the effect, the cost known (v11 = v12 = 0), are the inverted Wald limits
    z = norm.ppf(0.975)
    low, high = 0.08 - z * 0.02, 0.08 + z * 0.02
    result = cost_per_outcome(2_000_000, 100, 0.08, low, high)
    fieller = _fieller(2_000_000 / 100, 0.08, 0.0, 0.02 ** 2, 0.0, z)
    assert (result.ci_low, result.ci_high) == (pytest.approx(fieller[0]), pytest.approx(fieller[1]))
    assert result.ci_low == pytest.approx(2_000_000 / (100 * 0.119199), rel=1e-5)  # 16,778.7


def test_the_inverted_interval_covers_as_often_as_the_effects() -> None:
    # the ratio lies in its interval exactly when the effect lies in its own: same coverage
    rng = np.random.default_rng(12)
    true_effect, se, z = 0.06, 0.015, norm.ppf(0.975)
    truth = 1_000_000 / (50 * true_effect)
    draws = rng.normal(true_effect, se, 4000)
    covered = []
    for effect in draws:
        result = cost_per_outcome(1_000_000, 50, effect, effect - z * se, effect + z * se)
        covered.append(result.estimate is not None and result.ci_low <= truth <= result.ci_high)
        assert (result.estimate is None) == (effect - z * se <= 0)
    effect_covered = np.abs(draws - true_effect) <= z * se
    assert np.array_equal(np.array(covered), effect_covered)


@pytest.mark.parametrize(("effect", "low", "high"), [(0.05, -0.01, 0.11), (0.05, 0.0, 0.10),
                                                     (-0.02, -0.10, 0.06), (0.0, -0.03, 0.0)])
def test_an_interval_including_zero_is_not_estimable_with_the_reason(effect, low, high) -> None:
    result = cost_per_outcome(2_000_000, 100, effect, low, high)  # never a division by zero
    assert not result.estimable and result.flags == ("interval_includes_zero",)
    assert result.reason == REASONS["interval_includes_zero"]
    assert result.estimate is None and result.ci_low is None and result.ci_high is None
    assert "could be any amount" in result.summary()


def test_a_negative_effect_is_no_improvement_never_a_negative_cost() -> None:
    result = cost_per_outcome(2_000_000, 100, -0.06, -0.10, -0.02)
    assert result.flags == ("effect_below_zero",) and result.reason == REASONS["effect_below_zero"]
    assert result.estimate is None and result.ci_low is None and "did not improve" in result.summary()


def test_no_effect_no_interval_no_children() -> None:
    assert cost_per_outcome(1e6, 10, None, None, None).flags == ("no_effect_estimate",)
    assert cost_per_outcome(1e6, 10, 0.1, None, None).flags == ("no_effect_interval",)
    assert cost_per_outcome(1e6, 0, 0.1, 0.05, 0.15).flags == ("no_children",)
    # a hazard ratio says nothing of how many more children: no ratio, whatever its interval
    ratio = cost_per_outcome(1e6, 10, 1.3, 1.1, 1.5, additive=False)
    assert ratio.flags == ("not_additive",) and ratio.reason == REASONS["not_additive"]
    assert cost_per_outcome(1e6, 10, None, None, None, additive=False).flags == ("no_effect_estimate",)
    with pytest.raises(ValueError, match="positive number of kronor"):
        cost_per_outcome(0, 10, 0.1, 0.05, 0.15)
    with pytest.raises(ValueError, match="does not hold"):
        cost_per_outcome(1e6, 10, 0.3, 0.05, 0.15)


def test_unit_cost() -> None:
    assert unit_cost(1_200_000, 8) == 150_000
    assert unit_cost(1_200_000, 0) is None
    with pytest.raises(ValueError):
        unit_cost(1_200_000, -1)


# --- the table on a hand-made cohort -----------------------------------------------------------

def test_costs_per_year_by_hand(costs: pd.DataFrame) -> None:
    first = _row(costs, "year", "2021")
    assert first["cost_sek"] == 1_200_000 and first["covers"] == "personnel; interpreters and material"
    assert (first["families"], first["contacts"]) == (8, 40)
    assert first["cost_per_family"] == 150_000 and first["cost_per_contact"] == 30_000
    assert first["flags"] == "" and first["reason"] == ""
    second = _row(costs, "year", "2022")
    assert (second["cost_sek"], second["families"], second["contacts"]) == (600_000, 4, 10)
    assert second["cost_per_family"] == 150_000 and second["cost_per_contact"] == 60_000
    # born_to 2022-06-30: half of 2022's births; the 2022 children were too young for every contact
    assert second["flags"] == "part_year;contacts_still_due"
    # a cost outside the children's birth years is listed with its note, never matched
    outside = _row(costs, "year", "2020")
    assert outside["reason"] == "outside_birth_years" and pd.isna(outside["families"])
    budget = costs[costs["part"].eq("budget")]
    assert len(budget) == 4 and budget["cost_sek"].sum() == 1_900_000
    assert budget.loc[budget["year"].eq("2020"), "note"].iloc[0] == "start-up before the first births"


def test_costs_in_total_by_hand(costs: pd.DataFrame) -> None:
    total = _row(costs, "total")
    assert total["year"] == "2021–2022" and total["cost_sek"] == 1_800_000  # 2020 left out
    assert (total["families"], total["contacts"], total["children"]) == (12, 50, 15)
    assert total["cost_per_family"] == 150_000 and total["cost_per_contact"] == 36_000
    assert total["cost_per_child"] == 120_000
    assert total["flags"] == "part_year;contacts_still_due"


def test_cost_per_additional_child_per_primary_indicator(costs: pd.DataFrame) -> None:
    # MMR: 15 children x 20 pp = 3 more children: 1,800,000 / 3 = 600,000 kr, from
    # 1,800,000 / (15 x 0.35) = 342,857 to 1,800,000 / (15 x 0.05) = 2,400,000
    mmr = _row(costs, "outcome", "vacc_mmr1_24m")
    assert mmr["status"] == "estimated" and mmr["children"] == 15
    assert mmr["additional_children"] == pytest.approx(3)
    assert mmr["cost_per_additional_child"] == pytest.approx(600_000)
    assert mmr["ci_low"] == pytest.approx(342_857.142857) and mmr["ci_high"] == pytest.approx(2_400_000)
    breastfeeding = _row(costs, "outcome", "bf_any_6m")
    assert (breastfeeding["status"], breastfeeding["reason"]) == ("not_estimable", "interval_includes_zero")
    assert pd.isna(breastfeeding["cost_per_additional_child"]) and pd.isna(breastfeeding["ci_low"])
    language = _row(costs, "outcome", "lang_no_deviation")
    assert (language["status"], language["reason"]) == ("not_improved", "effect_below_zero")
    assert pd.isna(language["cost_per_additional_child"])
    hazard = _row(costs, "outcome", "vacc_mmr1_age")
    assert (hazard["status"], hazard["reason"]) == ("not_estimable", "not_additive")
    assert pd.isna(hazard["effect"]) and pd.isna(hazard["additional_children"])
    assert (costs["cost_per_additional_child"].dropna() > 0).all()


RATIO_COLUMNS = ("cost_sek", "children", "effect", "effect_ci_low", "effect_ci_high",
                 "additional_children", "additional_ci_low", "additional_ci_high",
                 "cost_per_additional_child", "ci_low", "ci_high", "status", "reason", "flags")


def test_each_outcome_row_whole(costs: pd.DataFrame) -> None:
    # 1,800,000 kr over 15 children; additional children are the effect and its interval x 15
    expected = {
        "vacc_mmr1_24m": (1_800_000, 15, 0.20, 0.05, 0.35, 3.0, 0.75, 5.25,
                          600_000, 1_800_000 / (15 * 0.35), 2_400_000, "estimated", "", ""),
        "bf_any_6m": (1_800_000, 15, 0.10, -0.05, 0.25, 1.5, -0.75, 3.75,
                      None, None, None, "not_estimable", "interval_includes_zero", ""),
        "lang_no_deviation": (1_800_000, 15, -0.20, -0.30, -0.10, -3.0, -4.5, -1.5,
                              None, None, None, "not_improved", "effect_below_zero", ""),
        # a hazard ratio is shown as no change in a share
        "vacc_mmr1_age": (1_800_000, 15, None, None, None, None, None, None,
                          None, None, None, "not_estimable", "not_additive", ""),
    }
    for indicator, values in expected.items():
        row = _row(costs, "outcome", indicator)
        got = tuple(None if pd.isna(row[c]) else row[c] for c in RATIO_COLUMNS)
        assert got == pytest.approx(values), indicator


def test_a_negative_effect_whose_interval_includes_zero_is_flagged() -> None:
    summary = make_summary()
    summary.loc[summary["indicator"].eq("bf_any_6m"), ["estimate", "ci_low", "ci_high"]] = [-0.05, -0.2, 0.1]
    summary.loc[summary["indicator"].eq("vacc_mmr1_24m"), ["ci_low", "ci_high"]] = None
    table = costs_table(make_study(), make_cohort(), summary)
    breastfeeding = _row(table, "outcome", "bf_any_6m")
    assert (breastfeeding["status"], breastfeeding["reason"]) == ("not_estimable", "interval_includes_zero")
    assert breastfeeding["flags"] == "estimate_not_positive"
    mmr = _row(table, "outcome", "vacc_mmr1_24m")
    assert (mmr["status"], mmr["reason"]) == ("not_estimable", "no_effect_interval")
    assert mmr["additional_children"] == pytest.approx(3) and pd.isna(mmr["additional_ci_low"])


def test_no_costs_no_rows_and_a_birth_year_without_costs_is_left_out() -> None:
    assert costs_table(make_study([]), make_cohort(), make_summary()).empty
    only_2021 = costs_table(make_study(COSTS[:2]), make_cohort(), make_summary())
    assert _row(only_2021, "year", "2022")["reason"] == "no_costs_given"
    total = _row(only_2021, "total")
    assert (total["year"], total["cost_sek"]) == ("2021", 1_200_000)
    assert (total["families"], total["children"]) == (8, 10)
    assert _row(only_2021, "outcome", "vacc_mmr1_24m")["cost_per_additional_child"] == pytest.approx(600_000)


def test_the_table_is_declared_with_words() -> None:
    table = output_table("costs")
    assert table.areas == "study rows" and table.kind("families") == "count"
    assert table.title.sv.startswith("Kostnader")
    # every reason and flag the table can carry has its words, and every outcome reason a sentence
    stage_codes = {"outside_birth_years", "no_costs_given", "no_enrolled_families",
                   "no_completed_contacts", "estimate_not_positive", *YEAR_FLAGS}
    assert set(REASONS) | stage_codes <= set(text.COST_LABELS)
    assert set(REASONS) | {"no_costs_given", "estimate_not_positive"} <= set(COST_WORDS)


# --- study.yml ----------------------------------------------------------------------------------

def test_costs_in_study_yml_are_validated(tmp_path: Path) -> None:
    study = {"costs": [{"year": 2021, "amount_sek": "1 950 000,50", "covers": "personnel"}]}
    folder = write_study(tmp_path / "ok", {}, study=study)
    assert load_study(folder).costs[0].amount_sek == 1_950_000.5
    bad = {"costs": [{"year": 2021, "amount_sek": 1_000_000, "covers": "personnel"},
                     {"year": 2021, "amount_sek": 500_000, "covers": " Personnel "},
                     {"year": 2019, "amount_sek": 100_000, "covers": "training"}]}
    with pytest.raises(ConfigError) as raised:
        load_study(write_study(tmp_path / "bad", {}, study=bad))
    problem = " ".join(raised.value.problems)
    assert "costs[1]: year 2021 lists 'Personnel' a second time (first in costs[0])" in problem
    assert ("costs[2]: year 2019 lies outside the birth years of the intervention children "
            "(2020–2023)") in problem
    assert "add a `note:`" in problem
    for wrong, says in (({"amount_sek": -5}, "greater than 0"), ({"amount_sek": "2 MSEK"}, "valid number"),
                        ({"covers": " "}, "say what the amount covers"), ({"what": 1}, "unknown key 'what'")):
        item = {"year": 2021, "amount_sek": 1_000, "covers": "personnel", **wrong}
        with pytest.raises(ConfigError, match=says):
            load_study(write_study(tmp_path / f"w{len(says)}", {}, study={"costs": [item]}))
    with pytest.raises(ValidationError):
        make_study([{"year": 2020, "amount_sek": 1, "covers": "training"}])  # 2020: no births, no note


# --- the kostnader export ------------------------------------------------------------------------

KOSTNADER = [  # ar;belopp_sek;avser;anteckning, as an economy system's ledger writes it
    "2021;600 000;Personal;",
    "2021;400 000,00;personal ;",  # the same line, spelled otherwise: added to the first
    "2021;200000;interpreters and material;",
    "2022;650 000;Personal;",
    "2022;-50 000;Personal;credit note",  # a credit: rejected, never netted silently
    "2020;100000;training;start-up before the first births",
    "1820;5000;training;",  # no such year
    "2023;;Personal;",  # no amount
]


def _export(rows: list[tuple]) -> pd.DataFrame:
    """A clean costs export as the clean stage writes it (canonical columns, source rows)."""
    return pd.DataFrame(rows, columns=["source_row", "year", "amount_sek", "covers", "note"])


def test_an_export_s_ledger_lines_add_up_to_study_yml_s_costs() -> None:
    study = make_study([])
    export = _export([(2, 2021, 600_000.0, "personnel", None), (3, 2021, 400_000.0, " Personnel", None),
                      (4, 2021, 200_000.0, "interpreters and material", None),
                      (5, 2022, 600_000.0, "personnel", None),
                      (6, 2020, 100_000.0, "training", "start-up before the first births")])
    items = cost_items(study, export)
    assert [(i.year, i.covers, i.amount_sek, i.note) for i in items] == [
        (2021, "personnel", 1_000_000.0, ""), (2021, "interpreters and material", 200_000.0, ""),
        (2022, "personnel", 600_000.0, ""), (2020, "training", 100_000.0, "start-up before the first births")]
    from_export = costs_table(study, make_cohort(), make_summary(), items)
    from_yml = costs_table(make_study(), make_cohort(), make_summary())
    pd.testing.assert_frame_equal(from_export, from_yml)
    # a year outside the birth years needs no note in an export: listed, left out of the totals
    items = cost_items(study, export.assign(note=None))
    outside = costs_table(study, make_cohort(), make_summary(), items)
    assert _row(outside, "year", "2020")["reason"] == "outside_birth_years"
    assert _row(outside, "total")["cost_sek"] == 1_800_000


def test_the_export_is_read_cleaned_and_accounted(tmp_path: Path) -> None:
    child, other = pnr("20210304", "123"), pnr("20210510", "246")
    core = {"children": [f"{child};Norrby;ja;Sverige;eftergymnasial;nej;29;3450",
                         f"{other};Söderby;ja;Sverige;eftergymnasial;nej;31;3100"],
            "visits": [f"{child};2021-03-14;hembesök;genomfört;BVC-sjuksköterska;mamma;nej"],
            "breastfeeding": [f"{child};20210310;helt ammad"],
            "vaccinations": [f"{child};2022-06-04;Priorix;"],
            "language": [f"{child};2024-04-01;3 år;utan anmärkning;nej"]}
    study = {"inputs": {**INPUTS_TINY, "costs": "kostnader.csv"}, "max_rejected_share": 0.5}
    folder = write_study(tmp_path / "s", core, study=study)
    (folder / "kostnader.csv").write_text("ar;belopp_sek;avser;anteckning\n" + "\n".join(KOSTNADER) + "\n",
                                          encoding="utf-8")
    result = run_ingest_clean(load_study(folder))
    reasons = clean_stage.rejects_by_reason(result)
    assert reasons[reasons["table"] == "costs"].set_index("reason")["rows"].to_dict() == {
        "amount_not_positive": 1, "value_missing": 1, "year_out_of_range": 1}
    quality = clean_stage.accounting(result).set_index("table").loc["costs"]
    assert (quality["source_file"], quality["rows_read"], quality["rows_clean"],
            quality["rows_rejected"]) == ("kostnader.csv", 8, 5, 3)
    items = cost_items(load_study(folder), result.tables["costs"].frame)
    assert [(i.year, i.covers, i.amount_sek) for i in items] == [
        (2021, "Personal", 1_000_000.0), (2021, "interpreters and material", 200_000.0),
        (2022, "Personal", 650_000.0), (2020, "training", 100_000.0)]


def test_costs_given_twice_are_refused(tmp_path: Path) -> None:
    study = {"inputs": {**INPUTS_TINY, "costs": "kostnader.csv"},
             "costs": [{"year": 2021, "amount_sek": 1_000, "covers": "personnel"}]}
    with pytest.raises(ConfigError, match="costs are given twice, under `costs:` and as the export "
                                          "'kostnader.csv'"):
        load_study(write_study(tmp_path / "s", {}, study=study))


# --- publishing ---------------------------------------------------------------------------------

def test_small_counts_are_hidden_with_the_costs_per_unit_resting_on_them(costs: pd.DataFrame) -> None:
    published = publish_tables({"costs": costs}, min_cell=5)["costs"]
    second, first, total = (_row(published, "year", "2022"), _row(published, "year", "2021"),
                            _row(published, "total"))
    assert second["families"] == "<5" and pd.isna(second["cost_per_family"])
    assert second["suppressed"] and second["suppression"] == "small_count"
    # 12 in total and 8 in 2021 would give back the 4 of 2022: one of them is hidden too
    assert first["families"] is None or total["families"] is None
    assert pd.isna(first["cost_per_family"]) or pd.isna(total["cost_per_family"])
    assert second["contacts"] == 10 and second["cost_per_contact"] == 60_000


def test_a_cost_per_child_is_blank_with_its_children(costs: pd.DataFrame) -> None:
    # min_cell 20: the 15 children are hidden, and 1,800,000 / (600,000 x 0.2) would give them back
    published = publish_tables({"costs": costs}, min_cell=20)["costs"]
    mmr = _row(published, "outcome", "vacc_mmr1_24m")
    assert mmr["children"] == "<20" and mmr["status"] == "suppressed"
    assert pd.isna(mmr["cost_per_additional_child"]) and pd.isna(mmr["additional_children"])
    assert pd.isna(_row(published, "total")["cost_per_child"])
    # a reason that rests on the (published) headline alone stays
    assert _row(published, "outcome", "bf_any_6m")["status"] == "not_estimable"
    words = narrative.costs_markdown(published, make_summary(), "en", min_cell=20)
    assert "is not shown: one of the numbers behind it is below 20" in words
    assert "the interval includes zero" in words


def test_a_cost_per_child_is_blank_with_its_headline() -> None:
    frame = costs_table(make_study(), make_cohort(), make_summary())
    run = _Pass(5, {"costs": frame})
    run.facts["summary_blank"] = {("vacc_mmr1_24m", "all"): "small_group"}
    render = _publish_costs(run, frame)
    published = render(run.cells.protect())
    mmr = _row(published, "outcome", "vacc_mmr1_24m")
    assert mmr["status"] == "suppressed" and mmr["suppression"] == "small_group"
    assert pd.isna(mmr["effect"]) and pd.isna(mmr["cost_per_additional_child"]) and pd.isna(mmr["ci_high"])
    assert _row(published, "outcome", "bf_any_6m")["status"] == "not_estimable"


def test_a_cost_per_child_is_blank_when_the_summary_hides_its_headline_in_the_same_publishing() -> None:
    """Published together, the summary hid the language headline (2 and 2 children without the
    outcome) while costs.csv still gave its effect, −20 (−30 to −10), and a verdict a committee
    report read out: the summary's decision was read before the summary had made it."""
    rows = [("vacc_mmr1_24m", 0.20, 0.05, 0.35, 150, 141, 150, 120),
            ("bf_any_6m", 0.10, -0.05, 0.25, 150, 90, 150, 75),
            ("lang_no_deviation", -0.20, -0.30, -0.10, 28, 26, 40, 38)]
    summary = output_table("summary").frame([
        {"indicator": i, "area": "all", "primary": True, "kind": "binary", "design": "concurrent",
         "analysis": "itt", "method": "regression", "measure": "risk_difference", "estimate": e,
         "ci_low": low, "ci_high": high, "n_intervention": ni, "n_comparison": nc,
         "n_denominator_intervention": ni, "events_intervention": ei, "n_denominator_comparison": nc,
         "events_comparison": ec, "proportion_intervention": ei / ni, "proportion_comparison": ec / nc,
         "verdict": "lower", "caveats": ""} for i, e, low, high, ni, ei, nc, ec in rows])
    costs = costs_table(make_study(), make_cohort(), summary)
    published = publish_tables({"summary": summary, "costs": costs}, min_cell=5)
    head = published["summary"].set_index("indicator").loc["lang_no_deviation"]
    assert head["verdict"] == "suppressed" and head["suppression"] == "few_without"
    speech = _row(published["costs"], "outcome", "lang_no_deviation")
    assert speech["status"] == "suppressed" and speech["suppression"] == "few_without"
    assert pd.isna(speech["effect"]) and pd.isna(speech["effect_ci_low"]) and pd.isna(speech["ci_high"])
    # nor its reason, which said where the hidden interval lies ("no improvement: the whole
    # interval lies below zero", in a concurrent study's report of a headline page one hid)
    assert _row(costs, "outcome", "lang_no_deviation")["reason"] == "effect_below_zero"
    assert pd.isna(speech["reason"]) and pd.isna(speech["flags"])
    assert _row(published["costs"], "outcome", "vacc_mmr1_24m")["effect"] == pytest.approx(0.20)


# --- the report ---------------------------------------------------------------------------------

@pytest.mark.parametrize("language", ["sv", "en"])
def test_report_words_for_each_case(costs: pd.DataFrame, language: str) -> None:
    words = narrative.costs_markdown(costs, make_summary(), language, audience="technical")
    mmr, breastfeeding, speech = (text.label("indicator", i, language) for i in PRIMARY[:3])
    if language == "sv":
        assert f"{mmr}: omkring 600\u00a0000\u00a0kr per ytterligare barn (95\u00a0% KI 343\u00a0000–" \
               "2\u00a0400\u00a0000\u00a0kr)" in words
        assert f"{breastfeeding}: kostnaden per ytterligare barn kan inte skattas" in words
        assert "intervallet rymmer noll" in words and "hur stor som helst" in words
        assert f"{speech}: ingen kostnad per ytterligare barn" in words
        assert "programmet inte förbättrade detta utfall" in words
        assert "Fiellers" in words
    else:
        assert f"{mmr}: about SEK\u00a0600,000 per additional child (95% CI SEK\u00a0343,000 to 2,400,000)" \
            in words
        assert "the interval includes zero" in words and "any amount, however large" in words
        assert f"{speech}: no cost per additional child" in words and "did not improve" in words
    assert "slump" not in words and "chance" not in words  # no verdict on chance in this section
    assert "-" + "200" not in words  # never a negative cost
    assert narrative.costs_markdown(costs.iloc[0:0], make_summary(), language) == ""
    # an area's report says that these effects are the whole study's (a concurrent study's area
    # report read "the estimated effect is −5" beside its page one's −9 for the area)
    whole = {"sv": "Effekterna här är hela studiens",
             "en": "The effects here are the whole study's"}[language]
    assert whole not in words
    assert whole in narrative.costs_markdown(costs, make_summary(), language, area="North")


def test_display_tables(costs: pd.DataFrame) -> None:
    years = tables.costs_table(costs, "sv")
    assert list(years.iloc[:, 0]) == ["2020", "2021", "2022", "Totalt 2021–2022"]
    assert years.iloc[1, 2] == "1\u00a0200\u00a0000" and years.iloc[3, 4] == "150\u00a0000"
    assert "räknas inte in i totalen" in years.iloc[0, -1] and "start-up" in years.iloc[0, -1]
    # what a budget line covers is the municipality's own text: the English header says so
    assert tables.costs_table(costs, "en").columns[1] == "Covers (as the cost records word it)"
    outcomes = tables.cost_per_outcome_table(costs, "en")
    assert list(outcomes.columns)[-2] == "Cost per additional child, SEK (95% CI)"
    assert outcomes.iloc[0, 5] == "600,000 (343,000 to 2,400,000)"
    # the 15 children of the cost years, of whom the 10 born in 2021 had an MMR value
    assert list(outcomes.iloc[0, 2:4]) == ["15", "10"]
    assert outcomes.iloc[1, 6] == "Not estimable: the effect's interval includes zero"
    assert outcomes.iloc[2, 6] == "No improvement: the effect's whole interval lies below zero"


# --- the synthetic study, end to end --------------------------------------------------------------

def test_the_synthetic_study_publishes_its_costs(small_study) -> None:
    root, folder, _ = small_study
    out = tables.load_run(root / "outputs" / folder.name)
    costs, fidelity, flow = out["costs"], out["fidelity"], out["flow"]
    years = costs[costs["part"].eq("year")]
    assert list(years["year"].astype(str)) == ["2020", "2021", "2022", "2023"]
    total = costs[costs["part"].eq("total")].iloc[0]
    assert total["cost_sek"] == pytest.approx(years["cost_sek"].sum())
    whole = fidelity[fidelity["area"].eq("all")].set_index("measure")["value"]
    if text.to_number(total["families"]) is not None:
        assert text.to_number(total["families"]) == text.to_number(whole["children"])
    eligible = flow[flow["area"].eq("all") & flow["step"].eq("eligible")]["children"].iloc[0]
    assert text.to_number(total["children"]) == text.to_number(eligible)
    written = {c for column in ("reason", "flags") for v in costs[column].dropna() for c in str(v).split(";")}
    assert written - {""} <= set(text.COST_LABELS)
    outcomes = costs[costs["part"].eq("outcome")]
    assert list(outcomes["indicator"]) == ["vacc_mmr1_24m", "bf_any_6m", "lang_no_deviation"]
    summary = out["summary"]
    for row in outcomes.to_dict("records"):
        head = summary[summary["indicator"].eq(row["indicator"]) & summary["area"].eq("all")].iloc[0]
        if row["status"] == "estimated":
            n, cost = text.to_number(row["children"]), row["cost_sek"]
            assert row["ci_low"] == pytest.approx(cost / (n * head["ci_high"]))
            assert row["ci_high"] == pytest.approx(cost / (n * head["ci_low"]))
        elif row["status"] == "suppressed":
            assert head["verdict"] == "suppressed" or text.to_number(row["children"]) is None
        else:
            assert pd.isna(row["cost_per_additional_child"])


@pytest.mark.parametrize(("design", "said"), [
    ("historical", "may also hold other changes over the same time"),
    ("concurrent", "differences between the areas' families that were there before the programme"),
    ("did", None)])
def test_the_cost_per_child_inherits_what_the_design_cannot_tell_apart(costs: pd.DataFrame, design,
                                                                      said) -> None:
    """A historical study's page one hedged that the change "may also stem from other changes over
    the same time"; its costs section gave the programme the whole change without a word."""
    summary = make_summary().assign(design=design)
    words = narrative.costs_markdown(costs, summary, "en")
    if said is None:
        assert "inherits" not in words
    else:
        assert said in words and "the cost per additional child inherits them" in words


def test_a_budget_of_millions_is_published_to_the_krona(tmp_path: Path) -> None:
    # 1,234,567 kronor was written 1.23457e+06 (6 significant digits) and read back by the
    # report as 1,234,570; an estimate keeps its 6 digits
    from pipeline import store

    frame = pd.DataFrame({"cost_sek": [1_234_567.0, 1_800_000.0, float("nan")],
                          "effect": [0.0823456789, -12_345_678.9, 12.0]})
    path = tmp_path / "costs.csv"
    store.write_csv(frame, path)
    assert path.read_text(encoding="utf-8").splitlines() == [
        "cost_sek,effect", "1234567,0.0823457", "1800000,-12345679", ",12"]
    assert tables.read_table(path)["cost_sek"].iloc[0] == 1_234_567


@pytest.mark.parametrize("verdict, said", [("unclear", True), ("higher", False), (None, False)])
def test_a_cost_per_child_of_an_effect_not_told_from_chance_is_called_a_worked_example(
        costs: pd.DataFrame, verdict, said) -> None:
    """A DiD's page one said its few areas cannot show MMR's effect beyond chance; its costs section
    gave 142,000 kr per additional child (83,200-495,000) without a word of it (a review)."""
    summary = make_summary().assign(verdict=verdict)
    words = narrative.costs_markdown(costs, summary, "en")
    mmr = next(line for line in words.splitlines() if "per additional child (95% CI" in line)
    assert ("The summary cannot, however, tell the effect from chance, so the figure is a worked "
            "example" in mmr) is said


def test_the_children_a_cost_per_child_counts_beyond_those_measured_are_said(costs: pd.DataFrame) -> None:
    """A review's study gave "74 (-2 to 149) more of the 646 children" screened for language where
    43 had been screened: the number counts the effect over every child of the cost years, those
    not yet old enough too. The 15 children's MMR: the 10 born in 2021 had a value at the
    extraction, the 5 born in 2022 not; the comparison children never count."""
    mmr = _row(costs, "outcome", "vacc_mmr1_24m")
    assert (mmr["children"], mmr["children_measured"]) == (15, 10)
    assert pd.isna(_row(costs, "outcome", "bf_any_6m")["children_measured"])  # no such column here
    words = narrative.costs_markdown(costs, make_summary(), "en")
    assert ("about 3 more of the 15 children in the intervention group. Of the 15 children, 10 could "
            "be counted for this indicator at the extraction; the number of additional children takes the "
            "effect to hold for "
            "the other 5 as well.") in words
    swedish = narrative.costs_markdown(costs, make_summary(), "sv")
    assert "kunde 10 räknas för indikatorn vid uttaget" in swedish
    # published with min_cell 11: the 10 are hidden, and the sentence says so without a number
    published = publish_tables({"costs": costs}, min_cell=11)["costs"]
    shown = _row(published, "outcome", "vacc_mmr1_24m")
    assert (shown["children"], shown["children_measured"]) == (15, "<11")
    hidden = narrative.costs_markdown(published, make_summary(), "en", min_cell=11)
    assert "Of the 15 children, fewer than 11 could be counted" in hidden and " 5 as well" not in hidden
    # with min_cell 6 the 10 are shown blank: 15 - 10 would give back the 5 not measured
    published = publish_tables({"costs": costs}, min_cell=6)["costs"]
    shown = _row(published, "outcome", "vacc_mmr1_24m")
    assert shown["children"] == 15 and shown["children_measured"] is None
    assert "could be counted" not in narrative.costs_markdown(published, make_summary(), "en", min_cell=6)


def test_an_indicator_among_the_screened_counts_its_additional_children_among_them() -> None:
    """Language screening without remark is a share of the screened children: a site's report
    gave "about 80 more of the 162 children" where 23 had been screened (a review). Here 4 of the
    15 children were screened (all born in 2021); a 25-point effect (5 to 45) is 1 more of the 4,
    at 1,800,000 kr, from 1,800,000 / (4 x 0.45) = 1,000,000 to 1,800,000 / (4 x 0.05) = 9,000,000."""
    cohort = make_cohort()
    cohort["lang_no_deviation"] = pd.array([True, True, False, True] + [pd.NA] * 11 + [True] * 6,
                                           dtype="boolean")
    summary = make_summary()
    speech = summary["indicator"].eq("lang_no_deviation")
    summary.loc[speech, ["estimate", "ci_low", "ci_high"]] = [0.25, 0.05, 0.45]
    costs = costs_table(make_study(), cohort, summary)
    row = _row(costs, "outcome", "lang_no_deviation")
    assert (row["children"], row["children_measured"], row["flags"]) == (4, 4, "among_measured")
    assert row["additional_children"] == pytest.approx(1)
    assert row["cost_per_additional_child"] == pytest.approx(1_800_000)
    assert (row["ci_low"], row["ci_high"]) == (pytest.approx(1_000_000), pytest.approx(9_000_000))
    assert _row(costs, "outcome", "vacc_mmr1_24m")["children"] == 15  # MMR: every child of the years
    words = narrative.costs_markdown(costs, summary, "en")
    assert ("that is about 1 more of the 4 children in the intervention group with a value for the "
            "indicator at the extraction.") in words
    assert "Of the 4 children" not in words
