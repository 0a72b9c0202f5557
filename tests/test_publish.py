"""Published tables: small-cell suppression (SPEC §10), XLSX copies and the output scan."""

from __future__ import annotations

import itertools
import re
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest
from test_compare import make_cohort, make_study

from pipeline import text
from pipeline.outputs import OUTPUT_TABLES
from pipeline.publish import (
    SUPPRESSION_REASONS,
    proportion_bound,
    publish_table,
    publish_tables,
    scan_ahead,
    scan_file_for_personnummer,
    write_xlsx,
)
from pipeline.stages.cohort import flow_table, indicator_table
from pipeline.stages.compare import compare

ROW_COUNT_TABLES = {t.name for t in OUTPUT_TABLES if t.counts_export_rows}

M = 5
SMALL = "<5"


def luhn_pnr(yymmdd: str, serial: str) -> str:
    """A Luhn-valid YYMMDD-NNNC (weights 2,1,2,… over YYMMDDNNN, digit sums; SKV 704)."""
    total = sum(sum(divmod(int(d) * (2 - i % 2), 10)) for i, d in enumerate(yymmdd + serial))
    return f"{yymmdd}-{serial}{(10 - total % 10) % 10}"


def indicator_rows(areas: dict[str, tuple[int, int]]) -> pd.DataFrame:
    """indicators rows for one indicator and group: area -> (n, events), plus "all"."""
    n_all, e_all = (sum(v[i] for v in areas.values()) for i in (0, 1))
    rows = [("all", n_all, e_all), *((a, n, e) for a, (n, e) in areas.items())]
    return pd.DataFrame([{"indicator": "bf_any_1w", "group": "intervention", "area": a,
                          "measure": "proportion", "n_denominator": n, "n_numerator": e,
                          "proportion": e / n if n else np.nan, "ci_low": 0.1, "ci_high": 0.9,
                          "suppressed": False} for a, n, e in rows])


def by_area(table: pd.DataFrame, column: str) -> dict:
    return dict(zip(table["area"], table[column], strict=True))


# --- hand-made frames ------------------------------------------------------------------------

def test_indicators_primary_and_secondary_across_areas() -> None:
    table = publish_table("indicators", indicator_rows({"A": (40, 3), "B": (60, 20), "C": (80, 30)}), M)
    events = by_area(table, "n_numerator")
    assert events["A"] == SMALL                    # primary
    assert events["B"] is None                     # secondary: next smallest, all - C no longer gives A
    assert events["all"] == 53 and events["C"] == 30
    assert by_area(table, "n_denominator") == {"all": 180, "A": 40, "B": 60, "C": 80}
    assert table.set_index("area")["proportion"][["A", "B"]].isna().all()
    assert table.set_index("area")["suppressed"].to_dict() == {"all": False, "A": True, "B": True,
                                                               "C": False}


def test_indicators_small_rest_of_denominator_hides_the_numerator() -> None:
    table = publish_table("indicators", indicator_rows({"A": (50, 48), "B": (50, 30)}), M)
    events = by_area(table, "n_numerator")
    assert events["A"] is None and events["B"] is None  # 2 without in A; B so all cannot give A
    assert by_area(table, "n_denominator") == {"all": 100, "A": 50, "B": 50}


def test_zero_events_stays_zero_but_a_small_n_is_hidden() -> None:
    table = publish_table("indicators", indicator_rows({"A": (3, 0), "B": (50, 0), "C": (60, 10)}), M)
    assert by_area(table, "n_numerator")["A"] == 0
    n = by_area(table, "n_denominator")
    assert n["A"] == SMALL and n["B"] is None and n["all"] == 113 and n["C"] == 60
    assert publish_table("indicators", indicator_rows({"A": (50, 0), "B": (60, 0)}), M)[
        "n_numerator"].tolist() == [0, 0, 0]


def test_large_counts_stay_integers_and_suppressed_column_is_set() -> None:
    table = publish_table("indicators", indicator_rows({"A": (40, 20), "B": (60, 30)}), M)
    assert table["n_denominator"].tolist() == [100, 40, 60]
    assert all(type(v) is int for v in table["n_numerator"])
    assert not table["suppressed"].any()



def test_a_survival_share_at_its_landmark_is_hidden_with_the_proportion_it_is() -> None:
    """s32 (a review): Granlunda's MMR by 24 months, 20 of 21, was hidden as "few without";
    its age at MMR row beside it gave the Kaplan–Meier share vaccinated by 730 days, 0.953,
    of every child (40, the 19 too young censored): 1 - 0.953 of 21 is the 1 unvaccinated
    child. The survival share is shown only where the 24-month share is, for its reason."""
    def rows(indicator: str, measure: str, areas: dict[str, tuple[int, int, float]]) -> list[dict]:
        return [{"indicator": indicator, "group": "comparison", "area": area, "measure": measure,
                 "n_denominator": n, "n_numerator": events, "proportion": share, "ci_low": share - 0.1,
                 "ci_high": min(share + 0.04, 1.0), "suppressed": False}
                for area, (n, events, share) in areas.items()]

    indicators = pd.DataFrame(
        rows("vacc_mmr1_24m", "proportion",
             {"all": (76, 55, 55 / 76), "Granlunda": (21, 20, 20 / 21), "Lövängen": (25, 15, 15 / 25),
              "Kvarnbäcken": (30, 20, 20 / 30)})
        + rows("vacc_mmr1_age", "km_share_vaccinated_by_730_days",
               {"all": (120, 80, 0.78), "Granlunda": (40, 23, 0.953333), "Lövängen": (40, 27, 0.62),
                "Kvarnbäcken": (40, 30, 0.7)}))
    published = publish_table("indicators", indicators, M)
    mmr = published[published["indicator"] == "vacc_mmr1_24m"].set_index("area")
    survival = published[published["indicator"] == "vacc_mmr1_age"].set_index("area")
    assert pd.isna(mmr.loc["Granlunda", "proportion"])
    assert mmr.loc["Granlunda", "suppression"] == "few_without"
    granlunda = survival.loc["Granlunda"]
    assert pd.isna(granlunda["proportion"]) and pd.isna(granlunda["ci_low"]) and pd.isna(granlunda["ci_high"])
    assert granlunda["suppressed"] and granlunda["suppression"] == "few_without"
    assert granlunda["proportion_bound"] == mmr.loc["Granlunda", "proportion_bound"] == ">0.8"
    # a survival share below the 24-month share's bound is not said to be over it
    lower = indicators.copy()
    lower.loc[(lower["indicator"] == "vacc_mmr1_age") & (lower["area"] == "Granlunda"), "proportion"] = 0.79
    again = publish_table("indicators", lower, M)
    row = again[(again["indicator"] == "vacc_mmr1_age") & (again["area"] == "Granlunda")].iloc[0]
    assert row["suppressed"] and pd.isna(row["proportion"]) and row["proportion_bound"] == ""
    # where the 24-month share is shown, so is the survival share (one other area's is hidden
    # too, so that Granlunda's cannot be worked out from the group's)
    shown = mmr["proportion"].notna()
    assert shown.sum() == 2 and shown["all"]
    assert (survival["proportion"].notna() == shown).all()
    assert survival.loc[shown[shown].index, "proportion"].tolist() == [
        indicators.set_index(["indicator", "area"]).loc[("vacc_mmr1_age", area), "proportion"]
        for area in shown[shown].index]

def test_flow_areas_and_dropouts() -> None:
    steps = ["born", "eligible", "accepted"]
    counts = {"A": [100, 60, 57], "B": [80, 50, 40]}
    rows = [{"area": a, "order": i + 1, "step": s, "children": c[i], "share_of_previous": None}
            for a, c in counts.items() for i, s in enumerate(steps)]
    rows += [{"area": "all", "order": i + 1, "step": s, "children": counts["A"][i] + counts["B"][i],
              "share_of_previous": None} for i, s in enumerate(steps)]
    table = publish_table("flow", pd.DataFrame(rows), M).set_index(["area", "step"])
    # 3 declined in A: accepted in A is hidden, and B's too so that all - B cannot give it
    assert table.loc[("A", "accepted"), "children"] is None
    assert table.loc[("B", "accepted"), "children"] is None
    assert table.loc[("all", "accepted"), "children"] == 97
    assert table.loc[("A", "eligible"), "children"] == 60
    assert table.loc[[("A", "accepted"), ("B", "accepted")], "suppressed"].all()


def test_fidelity_small_area_is_blank() -> None:
    measures = {"children": (3, 50), "contacts_due": (18, 300), "contacts_received": (15, 250),
                "share_joint": (0.6, 0.5), "extra_contacts": (0, 7), "contacts_planned_per_child": (6, 6)}
    rows = [{"area": a, "measure": m, "value": v[i]} for i, a in enumerate(("A", "B"))
            for m, v in measures.items()]
    rows += [{"area": "C", "measure": m, "value": v[1]} for m, v in measures.items()]
    counts = ("children", "contacts_due", "contacts_received", "extra_contacts")
    rows += [{"area": "all", "measure": m, "value": v[0] + 2 * v[1] if m in counts else v[1]}
             for m, v in measures.items()]  # areas A, B and C add up to "all"
    table = publish_table("fidelity", pd.DataFrame(rows), M).set_index(["area", "measure"])["value"]
    assert table["A", "children"] == SMALL
    assert table["A", "contacts_due"] is None and table["A", "share_joint"] is None
    assert table["A", "contacts_planned_per_child"] == 6
    assert table["B", "children"] is None or table["C", "children"] is None  # secondary


def effects_row(**counts: int) -> dict:
    base = {"indicator": "bf_any_1w", "measure": "risk_difference", "method": "crude",
            "estimate": 0.1, "ci_low": 0.0, "ci_high": 0.2, "p_value": 0.04, "p_adjusted": 0.08,
            "note": "p: chi-square test", "analysis": "itt", "subgroup": "", "p_interaction": np.nan,
            "multiplicity": ""}
    return base | counts


def test_effects_suppresses_estimates_of_small_cells() -> None:
    frame = pd.DataFrame([
        effects_row(n_intervention=100, events_intervention=97, n_comparison=100, events_comparison=50),
        effects_row(n_intervention=100, events_intervention=40, n_comparison=100, events_comparison=50,
                    indicator="bf_any_2m"),
        effects_row(n_intervention=3, events_intervention=0, n_comparison=100, events_comparison=50,
                    indicator="bf_any_4m"),
    ])
    table = publish_table("effects", frame, M).set_index("indicator")
    assert table.loc["bf_any_1w", "events_intervention"] is None  # 3 without the outcome
    assert table.loc["bf_any_1w", ["estimate", "ci_low", "ci_high", "p_value"]].isna().all()
    assert table.loc["bf_any_1w", "note"].startswith("suppressed: fewer than 5 children/events")
    assert table.loc["bf_any_2m", "estimate"] == 0.1 and not table.loc["bf_any_2m", "suppressed"]
    assert table.loc["bf_any_4m", "n_intervention"] == SMALL
    assert table.loc["bf_any_4m", "events_intervention"] == 0


def test_effects_subgroups_and_nested_populations() -> None:
    frame = pd.DataFrame([
        effects_row(n_intervention=100, events_intervention=50, n_comparison=100, events_comparison=50),
        effects_row(n_intervention=97, events_intervention=50, n_comparison=100, events_comparison=50,
                    method="regression"),  # 3 children without covariates
        *(effects_row(n_intervention=n, events_intervention=e, n_comparison=50, events_comparison=25,
                      analysis="subgroup", subgroup=f"education={level}")
          for level, n, e in (("low", 4, 2), ("mid", 40, 20), ("high", 56, 28))),
    ])
    table = publish_table("effects", frame, M)
    regression = table[table["method"] == "regression"].iloc[0]
    assert regression["n_intervention"] is None and pd.isna(regression["estimate"])
    subgroups = table[table["analysis"] == "subgroup"].set_index("subgroup")["n_intervention"]
    assert subgroups["education=low"] == SMALL and subgroups["education=mid"] is None
    assert subgroups["education=high"] == 56
    assert table.iloc[0]["n_intervention"] == 100


def test_balance_and_power() -> None:
    balance = pd.DataFrame([{"covariate": "x", "level": "a", "measure": "cox_index", "value_before": 0.2,
                             "value_after": 0.1, "smd_before": 0.2, "smd_after": 0.1,
                             "rating_before": "satisfied", "rating_after": "satisfied",
                             "n_intervention": n, "n_comparison": 80, "note": ""} for n in (3, 90)])
    table = publish_table("balance", balance, M)
    assert table["n_intervention"].tolist() == [SMALL, 90]
    assert pd.isna(table.loc[0, "value_before"]) and table.loc[0, "rating_before"] in ("", None)
    assert table.loc[1, "value_before"] == 0.2
    power = pd.DataFrame([{"indicator": i, "p_comparison": p, "n_intervention": n1, "n_comparison": n0,
                           "mdd": 0.1, "mdd_decrease": 0.1, "difference_named": 0.05,
                           "n_per_group_needed": 500, "n_per_group_needed_corrected": 520, "note": ""}
                          for i, p, n1, n0 in (("a", 0.5, 3, 100), ("b", 0.98, 100, 100),
                                               ("c", 0.5, 100, 100))])
    table = publish_table("power", power, M).set_index("indicator")
    assert table.loc["a", "n_intervention"] == SMALL and pd.isna(table.loc["a", "mdd"])
    assert pd.isna(table.loc["b", "p_comparison"]) and pd.isna(table.loc["b", "n_per_group_needed"])
    assert table.loc["c", "mdd"] == 0.1 and not table.loc["c", "suppressed"]


def test_power_for_areas_as_clusters_gives_back_no_hidden_share_or_size() -> None:
    """s7's MMR row: p_comparison blank (2 of 149 without, few without), but its detectable fall
    with areas as clusters, 0.213 from p_comparison, the ICC and 25.1 children per area, was
    shown, and solves back for p_comparison; the children per area times the 10 areas less the
    comparison group's n is the intervention group's n."""
    power = pd.DataFrame([{"indicator": i, "p_comparison": p, "n_intervention": n1, "n_comparison": n0,
                           "mdd": 0.1, "mdd_decrease": 0.1, "difference_named": 0.05,
                           "n_per_group_needed": 500, "n_per_group_needed_corrected": 520, "note": "",
                           "icc": 0.01, "children_per_area": (n1 + n0) / 10, "mdd_areas": 0.2,
                           "mdd_decrease_areas": 0.21, "areas_per_arm_needed": 20}
                          for i, p, n1, n0 in (("a", 0.5, 3, 100), ("b", 0.98, 100, 100),
                                               ("c", 0.5, 100, 100))])
    table = publish_table("power", power, M).set_index("indicator")
    for row in ("a", "b"):  # a: the intervention group's n is 3; b: 2 without in the comparison group
        assert table.loc[row, ["mdd_areas", "mdd_decrease_areas", "areas_per_arm_needed"]].isna().all(), row
    assert pd.isna(table.loc["a", "children_per_area"]) and table.loc["b", "children_per_area"] == 20
    assert table.loc["c", ["mdd_areas", "mdd_decrease_areas", "areas_per_arm_needed", "children_per_area",
                           "icc"]].tolist() == [0.2, 0.21, 20, 20, 0.01]
    # nor its note: "p_comparison + 0.05 exceeds 1" put a hidden 144 of 149 above 95 %
    power.loc[1, "note"] = ("no rise to at most 100 % reaches the power; p_comparison + 0.05 exceeds 1: "
                            "sample size is for a fall of 0.05; equal groups")
    assert publish_table("power", power, M).set_index("indicator").loc["b", "note"] == "equal groups"


def test_a_hidden_rows_note_gives_no_interval_p_or_ratio_centred_on_its_estimate() -> None:
    """s7's MMR DiD, hidden (secondary): its note still gave the cluster-robust interval
    "-0.03592 to 0.03272" (its centre, -0.0016, is the estimate) and the child-level one."""
    from pipeline.publish.effects import _effects_note

    note = ("adjusted for mother_region; p and interval: wild cluster bootstrap-t p = 0.927 (restricted, "
            "null imposed; 9999 draws of Webb weights, seed 20240601; 10 clusters); cluster-robust CR1 SE "
            "by area, t with 9 df: interval -0.03592 to 0.03272, p = 0.918 (too narrow with few areas); "
            "the HC1 interval (NOT clustered by area) would be -0.031 to 0.0278, p = 9.1e-01; "
            "odds ratio 0.98")
    hidden = _effects_note(note, True, 5)
    assert not re.search(r"\d\.\d", hidden), hidden
    assert ("t with 9 df: interval – to –, p = – (too narrow" in hidden and "odds ratio –" in hidden
            and "9999 draws of Webb weights, seed 20240601; 10 clusters" in hidden)
    assert _effects_note(note, False, 5) == note
    # printed without decimals (.3g): an odds ratio of 2.996, p = 1, p = 2e-05; and "<5 children"
    separated = _effects_note("after the start: all 11 children have the outcome", False, 5)
    assert separated == "after the start: all children have the outcome"  # 11 of 11, hidden elsewhere
    whole = _effects_note("odds ratio 3; p = 1; p = 2e-05; interval -1 to 3; 3 children dropped for "
                          "missing covariates", True, 5)
    assert whole.endswith("odds ratio –; p = –; p = –; interval – to –; children dropped for missing "
                          "covariates"), whole


def test_a_shown_did_with_small_cells_keeps_its_note_but_the_cells() -> None:
    """The demo's MMR DiD, shown (0.100): its note listed a cell with 3 unvaccinated children,
    and then said "suppressed: …" with its p and intervals blank beside the estimate shown.
    Only the cells' counts go from a shown row's note; a hidden row's loses every number."""
    from pipeline.publish.effects import _effects_note

    note = ("adjusted for mother_region; cells comparison areas pre: 95/98, comparison areas post: "
            "120/140, intervention areas pre: 70/80, intervention areas post: 90/100; 10 areas (2 "
            "intervention); cluster-robust CR1 SE by area, t with 9 df: interval -0.012 to 0.21, p = 0.071")
    shown = _effects_note(note, False, 5)
    assert shown == note.replace(note[note.index("cells"):note.index("; 10 areas")], "cells suppressed")
    assert not shown.startswith("suppressed") and "interval -0.012 to 0.21, p = 0.071" in shown
    hidden = _effects_note(note, True, 5)
    assert hidden.startswith("suppressed: fewer than 5") and "interval – to –, p = –" in hidden
    assert "95/98" not in hidden


def test_a_figures_own_ids_are_not_read_as_personnummer(tmp_path: Path) -> None:
    """Matplotlib names an SVG's clip paths and markers with a letter and 10 hexadecimal digits of
    a hash of the figure: 'p3712104813' (a review drew one) reads, glued to its letter, as
    371210-4813, a possible date with its check digit, and stopped the run on every rerun. The
    ids are skipped; a number in the figure's text is still found."""
    svg = tmp_path / "figure.svg"
    svg.write_text('<svg><defs><clipPath id="p3712104813"><rect/></clipPath></defs>'
                   '<g clip-path="url(#p3712104813)"><use xlink:href="#m3712104813" x="1"/></g>'
                   '<text>area</text></svg>', encoding="utf-8")
    assert scan_file_for_personnummer(svg) == []
    svg.write_text('<svg><g clip-path="url(#p3712104813)"/><text>ring 371210-4813</text></svg>',
                   encoding="utf-8")
    assert scan_file_for_personnummer(svg) == ["######-####"]


def test_survival_curve_is_cut_where_few_are_at_risk() -> None:
    rows = [{"indicator": "vacc_mmr1_age", "group": g, "statistic": "km_point", "time": t,
             "survival": s, "ci_low": s - 0.05, "ci_high": s + 0.05, "at_risk": r, "events": e,
             "n": n, "method": "kaplan_meier", "note": ""}
            for g, n in (("intervention", 100), ("comparison", 3))
            for t, s, r, e in ((0, 1.0, n, 0), (30, 0.5, min(n, 40), 50 if n > 50 else 0),
                               (60, 0.4, min(n, 4), 60 if n > 50 else 0), (90, 0.4, 0, 60 if n > 50 else 0))]
    rows.append({"indicator": "vacc_mmr1_age", "group": "all", "statistic": "log_rank",
                 "p_value": 0.3, "n": 103, "method": "log_rank", "note": ""})
    table = publish_table("survival", pd.DataFrame(rows), M)
    treated = table[table["group"] == "intervention"].set_index("time")
    assert treated.loc[30, "survival"] == 0.5
    assert treated.loc[[60, 90], "survival"].isna().all()  # cut at 4 at risk, and after
    assert treated.loc[60, "at_risk"] == SMALL
    small = table[table["group"] == "comparison"]
    assert small["survival"].isna().all() and (small["n"] == SMALL).all()
    log_rank = table[table["group"] == "all"].iloc[0]
    assert log_rank["n"] is None and pd.isna(log_rank["p_value"])


def test_row_count_tables_are_unchanged_and_unknown_tables_refused() -> None:
    frame = pd.DataFrame({"table": ["children"], "source_file": ["barn.csv"], "reason": ["x"], "rows": [2]})
    for name in ROW_COUNT_TABLES:
        assert publish_table(name, frame, M).equals(frame)
    with pytest.raises(ValueError, match="not in the outputs catalog"):
        publish_table("new_table", frame, M)


# --- a group of 3 children -------------------------------------------------------------------

def group_of_three() -> pd.DataFrame:
    """A cohort whose intervention group has 3 children (and a comparison group of 60)."""
    cohort = make_cohort(["intervention"] * 3 + ["comparison"] * 60, seed=3)
    n = len(cohort)
    rng = np.random.default_rng(4)
    cohort["area"] = np.where(cohort["group"].eq("intervention"), "North",
                              np.where(np.arange(n) % 2 == 0, "South", "West"))
    cohort["area_group"] = np.where(cohort["group"].eq("intervention"), "intervention", "comparison")
    cohort["period"] = "post"
    cohort["born_in_range"] = True
    for flag in ("eligible", "offered", "accepted", "any_contact", "all_contacts"):
        cohort[flag] = cohort["group"].eq("intervention")
    cohort["vacc_mmr1_age_days"] = rng.integers(300, 900, n).astype(float)
    cohort["bf_duration_censoring"] = pd.array(["interval"] * n, dtype="string")
    return cohort


def published_group_of_three() -> dict[str, pd.DataFrame]:
    cohort = group_of_three()
    tables = compare(make_study(), cohort)
    tables["indicators"] = indicator_table(cohort)
    tables["flow"] = flow_table(cohort)
    return {name: publish_table(name, frame, M) for name, frame in tables.items()}


def test_a_group_of_three_children_is_never_revealed() -> None:
    published = published_group_of_three()
    treated_counts = {
        "indicators": (published["indicators"]["group"] == "intervention", ["n_denominator", "n_numerator"]),
        "effects": (slice(None), ["n_intervention", "events_intervention"]),
        "survival": (published["survival"]["group"] == "intervention", ["n", "at_risk", "events"]),
        "flow": (slice(None), ["children"]),
        "balance": (slice(None), ["n_intervention"]),
        "power": (slice(None), ["n_intervention"]),
        "dose_response": (slice(None), ["n", "events"]),
    }
    for name, (rows, columns) in treated_counts.items():
        for column in columns:
            values = published[name].loc[rows, column]
            assert not any(isinstance(v, int | float) and v == 3 for v in values), (name, column)
    thirds = (1 / 3, 2 / 3, 1.0)
    for name, rows, columns in (
        ("indicators", published["indicators"]["group"] == "intervention",
         ["proportion", "ci_low", "ci_high"]),
        ("survival", published["survival"]["group"] == "intervention", ["survival", "ci_low", "ci_high"]),
        ("dose_response", slice(None), ["proportion"]),
        ("effects", slice(None), ["estimate", "ci_low", "ci_high", "p_value"]),
        ("flow", slice(None), ["share_of_previous"]),
    ):
        values = published[name].loc[rows, columns].astype("float64").to_numpy().ravel()
        if name in ("indicators", "survival", "dose_response", "flow"):
            assert not np.isin(np.round(values, 6), np.round(thirds, 6)).any(), name
        if name in ("effects",):  # every effect rests on the group of 3
            assert np.isnan(values).all()
    # no published total minus its published parts gives 3
    survival = published["survival"]
    for _, rows in survival.groupby("indicator"):
        total = rows.loc[rows["group"] == "all", "n"].iloc[0]
        comparison = rows.loc[rows["group"] == "comparison", "n"].iloc[0]
        assert not (isinstance(total, int) and isinstance(comparison, int) and total - comparison == 3)
    balance = published["balance"]
    assert balance[["value_before", "smd_before"]].isna().all().all()


def test_totals_never_give_back_a_hidden_small_count() -> None:
    """Brute force over small hand-made area tables: any "all" minus the shown areas is >= 5."""
    for a, b, c in itertools.product((0, 2, 4, 7), (1, 6, 30), (3, 12)):
        table = publish_table("indicators", indicator_rows({"A": (a + 20, a), "B": (b + 30, b),
                                                            "C": (c + 40, c)}), M)
        events = by_area(table, "n_numerator")
        shown = [v for k, v in events.items() if k != "all" and isinstance(v, int)]
        hidden = [k for k, v in events.items() if k != "all" and not isinstance(v, int)]
        if hidden and isinstance(events["all"], int):
            remainder = events["all"] - sum(shown)
            assert len(hidden) >= 2 and not 0 < remainder < M, (a, b, c, events)


# --- bounds, reasons, and one pass over all of a run's tables ----------------------------------

def test_proportion_bound_says_no_more_than_fewer_than_min_cell() -> None:
    assert proportion_bound(134, 131, "few_without", M) == ">0.95"   # 0.05 * 134 = 6.7 > 4
    assert proportion_bound(134, 3, "few_events", M) == "<0.05"
    assert proportion_bound(1000, 998, "few_without", M) == ">0.99"  # 0.01 * 1000 = 10 > 4
    assert proportion_bound(100, 97, "few_without", M) == ">0.95"    # 0.05 * 100 = 5 > 4
    assert proportion_bound(41, 39, "few_without", M) == ">0.9"      # 0.1 * 41 = 4.1 > 4: 1 to 4
    assert proportion_bound(39, 37, "few_without", M) == ">0.8"      # 0.1 * 39 = 3.9 leaves out 4
    assert proportion_bound(11, 9, "few_without", M) == ">0.6"       # 0.4 * 11 = 4.4
    assert proportion_bound(9, 7, "few_without", M) == ">0.5"        # 0.5 * 9 = 4.5; 0.4 * 9 = 3.6
    assert proportion_bound(8, 6, "few_without", M) == ""            # 0.5 * 8 = 4: not > 4, no bound
    assert proportion_bound(134, 50, "secondary", M) == ""
    for n in range(1, 400):
        for reason in ("few_events", "few_without"):
            bound = proportion_bound(n, 0, reason, M)
            if bound:  # every count the reason allows (1 to min_cell - 1) is within the bound
                share = float(bound[1:])
                allowed = share * n if reason == "few_events" else (1 - share) * n
                assert allowed > M - 1, (n, bound)


def test_few_without_the_outcome_gives_a_bound_not_a_small_group() -> None:
    table = publish_table("indicators", indicator_rows({"A": (134, 131), "B": (150, 60)}), M)
    row = table.set_index("area").loc["A"]
    assert pd.isna(row["proportion"]) and pd.isna(row["ci_low"]) and pd.isna(row["ci_high"])
    assert row["n_denominator"] == 134 and row["n_numerator"] is None
    assert row["suppression"] == "few_without" and row["proportion_bound"] == ">0.95"
    other = table.set_index("area").loc["B"]  # hidden so that "all" less B cannot give A
    assert other["suppression"] == "secondary" and other["proportion_bound"] == ""
    assert table.set_index("area").loc["all", "suppression"] == ""
    few = publish_table("indicators", indicator_rows({"A": (134, 3), "B": (150, 60)}), M)
    assert few.set_index("area").loc["A", "proportion_bound"] == "<0.05"
    assert few.set_index("area").loc["A", "suppression"] == "few_events"
    small = publish_table("indicators", indicator_rows({"A": (8, 6), "B": (150, 60)}), M)
    assert small.set_index("area").loc["A", "proportion_bound"] == ""  # 0.5 * 8 = 4: stays hidden


def test_a_rest_counts_as_revealed_only_where_a_row_would_say_few_without() -> None:
    """The model of the reader knows a rest is small where a row says "few_without", which it
    says only when neither the group nor the numerator is small ("small_group" and
    "few_events" come first): a reader credited with more gives up cells hiding protects."""
    from pipeline.publish.cells import _Pass

    p = _Pass(M, {})
    by_hand = {(40, 37): "few_without", (6, 3): "few_events", (4, 1): "small_group", (40, 3): "few_events"}
    for (n, events), reason in by_hand.items():
        triple = p.proportion("x", f"{n}/{events}", "all", n, events, shown=True)
        assert p.reason([triple]) == reason
        assert p.cells.revealed[triple[2]] == (reason == "few_without")

    def small(count: int) -> bool:
        return 0 < count < M

    for n in range(12):
        for events in range(n + 1):
            triple = p.proportion("y", f"{n}/{events}", "all", n, events, shown=True)
            assert p.cells.revealed[triple[2]] == (not small(n) and not small(events)), (n, events)
            if small(n - events):  # revealed exactly where the row says so
                assert (p.reason([triple]) == "few_without") == p.cells.revealed[triple[2]], (n, events)
    unshown = p.proportion("z", "g", "all", 40, 37)
    assert not p.cells.revealed[unshown[2]]


def test_small_group_and_secondary_reasons() -> None:
    table = publish_table("indicators", indicator_rows({"A": (3, 1), "B": (50, 20), "C": (60, 30)}), M)
    reasons = by_area(table, "suppression")
    assert reasons["A"] == "small_group" and reasons["all"] == ""
    assert sorted(reasons[a] for a in ("B", "C")) == ["", "secondary"]


def indicators_two_groups(treated: dict[str, tuple[int, int]], comparison: tuple[int, int],
                          pre: dict[str, tuple[int, int]] | None = None,
                          comparison_pre: tuple[int, int] | None = None) -> pd.DataFrame:
    frames = [indicator_rows(treated).assign(group="intervention"),
              indicator_rows({"X": comparison}).assign(group="comparison").query("area == 'all'")]
    if pre is not None:
        frames.append(indicator_rows(pre).assign(group="intervention_pre"))
    if comparison_pre is not None:
        frames.append(indicator_rows({"X": comparison_pre}).assign(group="comparison_pre")
                      .query("area == 'all'"))
    return pd.concat(frames, ignore_index=True)


def test_the_children_screened_are_one_count_across_the_language_indicators() -> None:
    """20 children of the screening's age, 17 of them screened: lang_screened hides the 3 not
    screened, but lang_no_deviation's denominator (the 17 screened) beside lang_deviation_detected's
    (the 20) gave them back. Published together, no pair of shown counts differs by them."""
    def rows(indicator: str, n: int, events: int) -> dict:
        return {"indicator": indicator, "group": "intervention", "area": "all", "measure": "proportion",
                "n_denominator": n, "n_numerator": events, "proportion": events / n, "ci_low": 0.1,
                "ci_high": 0.9, "suppressed": False}
    frame = pd.DataFrame([rows("lang_screened", 20, 17), rows("lang_no_deviation", 17, 9),
                          rows("lang_referred", 17, 8), rows("lang_deviation_detected", 20, 8)])
    shown = publish_table("indicators", frame, M).set_index("indicator")
    counts = {f"{i} {c}": text.to_number(shown.loc[i, c]) for i in shown.index
              for c in ("n_denominator", "n_numerator")}
    assert pd.isna(shown.loc["lang_screened", "proportion"])
    known = [v for v in counts.values() if v is not None]
    assert not any(a - b == 3 for a in known for b in known), counts  # 20 - 17 nowhere to be had
    # and on their own, the same rows show lang_no_deviation's 17 and lang_deviation_detected's 20
    alone = {i: publish_table("indicators", frame[frame["indicator"] == i], M) for i in frame["indicator"]}
    assert text.to_number(alone["lang_no_deviation"]["n_denominator"].iloc[0]) == 17
    assert text.to_number(alone["lang_deviation_detected"]["n_denominator"].iloc[0]) == 20


def test_a_count_hidden_in_indicators_is_hidden_in_effects() -> None:
    """Area A's 2 children without the outcome: indicators.csv hides A's events, and B's so that
    "all" less B cannot give A's; the area rows of effects.csv show the same counts."""
    indicators = indicators_two_groups({"A": (50, 48), "B": (60, 30)}, (100, 50))
    effects = pd.DataFrame([
        effects_row(n_intervention=50, events_intervention=48, n_comparison=100, events_comparison=50,
                    area="A"),
        effects_row(n_intervention=60, events_intervention=30, n_comparison=100, events_comparison=50,
                    area="B"),
    ])
    alone = publish_table("effects", effects, M).set_index("area")
    assert alone.loc["B", "events_intervention"] == 30  # on its own B's row gives nothing away
    published = publish_tables({"indicators": indicators, "effects": effects}, M)
    shown = published["indicators"].set_index(["group", "area"])
    area_rows = published["effects"].set_index("area")
    for area in ("A", "B"):
        assert shown.loc[("intervention", area), "n_numerator"] is None
        assert area_rows.loc[area, "events_intervention"] is None
        assert area_rows.loc[area, ["estimate", "ci_low", "ci_high", "p_value"]].isna().all()
    assert area_rows.loc["A", "suppression"] == "few_without"
    assert area_rows.loc["B", "suppression"] == "secondary"
    assert shown.loc[("intervention", "all"), "n_numerator"] == 78


def test_effects_rows_of_one_population_agree() -> None:
    """The crude and adjusted ITT rows share their counts; per protocol's comparison group is
    the ITT comparison group: a count hidden in one is hidden in all."""
    frame = pd.DataFrame([
        effects_row(n_intervention=100, events_intervention=97, n_comparison=100, events_comparison=50),
        effects_row(n_intervention=100, events_intervention=97, n_comparison=100, events_comparison=50,
                    method="regression"),
        effects_row(n_intervention=90, events_intervention=88, n_comparison=100, events_comparison=50,
                    analysis="per_protocol"),
    ])
    table = publish_table("effects", frame, M)
    assert table["events_intervention"].tolist() == [None, None, None]
    assert table["estimate"].isna().all()
    # hiding the ITT comparison group would be hidden in per protocol too (one cell)
    frame.loc[:, "events_comparison"] = 97
    table = publish_table("effects", frame, M)
    assert len(set(map(str, table["events_comparison"]))) == 1


def test_an_adjusted_estimate_on_the_very_children_of_groups_whose_shares_are_hidden_is_hidden() -> None:
    """A multiple imputation's re-estimate of the ITT comparison (adjusted, its own n and no
    events) kept its −0.40 while every other row of the indicator was blank: beside the
    intervention group's published 9 of 17 it gave back the comparison group's 26 of 28, the
    2 without the outcome that the crude rows hide. An adjusted row on other children (fewer,
    per protocol) keeps its estimate, as before."""
    frame = pd.DataFrame([
        effects_row(n_intervention=17, events_intervention=9, n_comparison=28, events_comparison=26),
        effects_row(n_intervention=17, events_intervention=9, n_comparison=28, events_comparison=26,
                    method="regression", adjusted=True, estimate=-0.41),
        effects_row(n_intervention=17, n_comparison=28, method="regression", adjusted=True,
                    analysis="multiple_imputation", estimate=-0.40, ci_low=-0.64, ci_high=-0.16),
        effects_row(n_intervention=17, events_intervention=9, n_comparison=60, events_comparison=30,
                    indicator="bf_any_2m"),
        effects_row(n_intervention=17, n_comparison=60, method="regression", adjusted=True,
                    analysis="multiple_imputation", indicator="bf_any_2m", estimate=0.02),
        # complete cases, a child fewer in each group: 25 of 27, 2 without the outcome again
        effects_row(n_intervention=16, events_intervention=8, n_comparison=27, events_comparison=25,
                    method="ipwra", adjusted=True, estimate=-0.42),
    ])
    for column in ("events_intervention", "events_comparison"):
        frame[column] = frame[column].astype("float64")
    table = publish_table("effects", frame, M)
    assert table["events_comparison"].tolist()[0] is None  # 2 without the outcome
    # the adjusted ITT row on the same counts (the same cells) gave them back as well
    assert pd.isna(table.iloc[1]["estimate"]) and table.iloc[1]["suppressed"]
    imputed = table.iloc[2]
    assert pd.isna(imputed["estimate"]) and pd.isna(imputed["ci_low"]) and imputed["suppressed"]
    assert table.iloc[4]["estimate"] == 0.02  # 30 of 60: nothing to give back
    assert pd.isna(table.iloc[5]["estimate"])


def test_an_adjusted_estimate_on_complete_cases_whose_share_is_hidden_stays_hidden() -> None:
    """s3's Söderängen rotavirus: 82 of 95 vaccinated, complete cases 88 (7 children without
    covariates, 3 of them unvaccinated: the complete cases' 78 are hidden). Showing the
    regression's odds ratio and its risk difference standardised to the treated on those 88
    gave the 3 back: with an intercept and a treatment term the treated children's mean fitted
    risk is their observed share a, so RD = a - expit(logit a - ln OR) solves for a, and 82 - 88a
    for those left out (a review found it exact in 6 rows of two studies). An adjusted estimate
    on complete cases whose share is hidden therefore stays hidden, however many are left out."""
    adjusted = {"adjusted": True, "method": "regression"}
    frame = pd.DataFrame([
        effects_row(indicator="vacc_rota_complete", n_intervention=95, events_intervention=82,
                    n_comparison=300, events_comparison=250),
        effects_row(indicator="vacc_rota_complete", n_intervention=88, events_intervention=78,
                    n_comparison=290, events_comparison=242, measure="odds_ratio", estimate=0.806718,
                    **adjusted),
        effects_row(indicator="vacc_rota_complete", n_intervention=88, events_intervention=78,
                    n_comparison=290, events_comparison=242, estimate=-0.019670, **adjusted),
    ])
    for column in ("events_intervention", "events_comparison"):
        frame[column] = frame[column].astype("float64")
    table = publish_table("effects", frame, M)
    assert table["estimate"].iloc[0] == 0.1 and table["events_intervention"].iloc[0] == 82
    assert table["events_intervention"].iloc[1] is None  # 82 - 78 = 4 of 7: 3 unvaccinated
    assert table["estimate"].iloc[1:].isna().all() and table["suppressed"].iloc[1:].all()
    # the attack, for the record: the observed share of the 88 from the two estimates
    from scipy.optimize import brentq
    from scipy.special import expit, logit
    share = brentq(lambda a: a - expit(logit(a) - np.log(0.806718)) - (-0.019670), 0.5, 0.999)
    assert round(82 - 88 * share) == 4 and abs(88 * share - 78) < 0.5



def _shown_count(value: object) -> int | None:
    return int(value) if isinstance(value, (int, np.integer)) or (
        isinstance(value, float) and not np.isnan(value)) else None


def test_per_protocol_complete_cases_are_counted_within_per_protocol() -> None:
    """s3's bf_any_2m: per protocol 155 children, 140 breastfed; its complete cases 147, 134.
    Each was related to the ITT group only, so both were published and their difference, 8
    children of whom 2 were not breastfed, was there to read."""
    pp = {"analysis": "per_protocol"}
    frame = pd.DataFrame([
        effects_row(n_intervention=173, events_intervention=150, n_comparison=249, events_comparison=200),
        effects_row(n_intervention=155, events_intervention=140, n_comparison=249, events_comparison=200,
                    **pp),
        effects_row(n_intervention=147, events_intervention=134, n_comparison=240, events_comparison=193,
                    method="regression", adjusted=True, estimate=0.05, **pp),
    ])
    for column in ("events_intervention", "events_comparison"):
        frame[column] = frame[column].astype("float64")
    table = publish_table("effects", frame, M)
    n = [_shown_count(v) for v in table["n_intervention"].iloc[1:]]
    events = [_shown_count(v) for v in table["events_intervention"].iloc[1:]]
    assert None in n + events  # 155 - 147 = 8 and 140 - 134 = 6: 2 not breastfed


def test_a_multiple_imputation_row_shows_the_itt_n_only_where_the_itt_rows_do() -> None:
    """s3's lang_no_deviation: the multiple imputation's n, 23, is the ITT group's, which the crude
    rows hid; beside per protocol's 22 and the complete cases' 20 it gave back 1 family who
    declined and 3 children without covariates. Its note's "3 children with a missing
    covariate kept" is a small count too."""
    frame = pd.DataFrame([
        effects_row(n_intervention=23, events_intervention=20, n_comparison=120, events_comparison=90),
        effects_row(n_intervention=22, events_intervention=19, n_comparison=120, events_comparison=90,
                    analysis="per_protocol"),
        effects_row(n_intervention=23, n_comparison=120, method="regression", adjusted=True,
                    analysis="multiple_imputation", estimate=0.05,
                    note="sensitivity: 3 children with a missing covariate kept, covariates imputed"),
    ])
    for column in ("events_intervention", "events_comparison"):
        frame[column] = frame[column].astype("float64")
    table = publish_table("effects", frame, M)
    itt, pp, imputed = (_shown_count(v) for v in table["n_intervention"])
    assert not (pp == 22 and 23 in (itt, imputed))  # 23 - 22 = 1 who declined
    assert itt == imputed  # one cell
    assert "<5 children with a missing covariate kept" in table["note"].iloc[2]


def test_did_estimate_hidden_when_a_group_before_the_start_is() -> None:
    """The DiD combines the groups after and before the start; 2 of 85 children before the
    start without the outcome: the DiD estimate rests on that share, and the DiD counts less
    the counts after would give the 2 back."""
    indicators = indicators_two_groups({"A": (60, 30), "B": (60, 30)}, (100, 50),
                                       pre={"A": (40, 38), "B": (45, 45)})
    effects = pd.DataFrame([
        effects_row(n_intervention=120, events_intervention=60, n_comparison=100, events_comparison=50),
        effects_row(measure="did", method="did", n_intervention=205, events_intervention=143,
                    n_comparison=100, events_comparison=50),
    ])
    published = publish_tables({"indicators": indicators, "effects": effects}, M)
    did = published["effects"].iloc[1]
    assert pd.isna(did["estimate"]) and did["suppression"] == "secondary"
    crude = published["effects"].iloc[0]
    assert crude["estimate"] == 0.1 and crude["suppression"] == ""
    pre = published["indicators"].set_index(["group", "area"])
    shown = [v for v in (did["events_intervention"], crude["events_intervention"],
                         pre.loc[("intervention_pre", "all"), "n_numerator"]) if isinstance(v, int)]
    assert len(shown) < 3  # after + before = DiD: not all three can be shown


def test_an_adjusted_did_is_hidden_when_a_group_before_or_after_the_start_is() -> None:
    """An adjusted DiD is close to the crude one, which with three published shares gives the
    fourth back. Söderängen's DTaP3: 100 % of the area's children in both periods, the
    comparison areas' 301 of 312 before the start published and their share after it hidden
    (152 of 156: 4 without); the adjusted DiD's -1.5 points gave 97.9 %, 153 of 156, back.
    The crude DiD was already hidden; the adjusted one kept its estimate. A DiD whose four
    groups are all shown keeps it."""
    indicators = indicators_two_groups({"A": (54, 54)}, (156, 152),
                                       pre={"A": (111, 111)}, comparison_pre=(312, 301))
    effects = pd.DataFrame([
        effects_row(n_intervention=54, events_intervention=54, n_comparison=156, events_comparison=152),
        effects_row(measure="did", method="did_unadjusted", n_intervention=165, events_intervention=165,
                    n_comparison=468, events_comparison=453, estimate=-0.0152),
        # complete cases: some children fewer in each group, adjusted for their covariates
        effects_row(measure="did", method="did", n_intervention=151, events_intervention=151,
                    n_comparison=450, events_comparison=436, adjusted=True, estimate=-0.0148,
                    ci_low=float("nan"), ci_high=float("nan")),
    ])
    for column in ("events_intervention", "events_comparison"):
        effects[column] = effects[column].astype("float64")
    published = publish_tables({"indicators": indicators, "effects": effects}, M)
    shown = published["indicators"].set_index(["group", "area"])
    assert shown.loc[("comparison", "all"), "n_numerator"] is None  # 4 without the outcome
    assert shown.loc[("comparison_pre", "all"), "n_numerator"] == 301
    table = published["effects"]
    assert pd.isna(table.iloc[1]["estimate"])  # the crude DiD, as before
    adjusted = table.iloc[2]
    assert pd.isna(adjusted["estimate"]) and adjusted["suppressed"]
    # the same DiD with 140 of 156 after the start: every share shown, the estimate too
    indicators = indicators_two_groups({"A": (54, 54)}, (156, 140),
                                       pre={"A": (111, 111)}, comparison_pre=(312, 301))
    effects.loc[0, "events_comparison"] = 140
    effects.loc[1, "events_comparison"] = 441
    published = publish_tables({"indicators": indicators, "effects": effects}, M)
    assert published["effects"].iloc[2]["estimate"] == -0.0148


def two_groups(indicator: str, n: tuple[int, int], events: tuple[int, int], **values: object) -> dict:
    """An effects row of `indicator` with (intervention, comparison) children and events."""
    return effects_row(indicator=indicator, n_intervention=n[0], events_intervention=events[0],
                       n_comparison=n[1], events_comparison=events[1]) | values


def test_mmr_by_24_months_is_hidden_under_either_name() -> None:
    """Age at MMR vaccination, at its landmark of 24 months, is MMR by 24 months: the same
    children and counts. The placebo DiD on the children before the start, 3 fewer than them
    (no covariates), is hidden as vacc_mmr1_24m's (the group before the start is the DiD's less
    the group after: 240 of 340, and 3 children apart from the placebo's 237) and was published
    as vacc_mmr1_age's, whose group before the start no table gives (the demo's placebo rows,
    and a site's DiD that the pooled report printed). The counts under either name are one
    cell now."""
    did = {"measure": "did", "method": "did", "adjusted": True, "estimate": 0.05}
    frame = pd.DataFrame([
        two_groups("vacc_mmr1_24m", (100, 150), (60, 100)),
        two_groups("vacc_mmr1_24m", (340, 450), (260, 300), **did),
        two_groups("vacc_mmr1_24m", (237, 300), (197, 200), analysis="placebo", **did),
        two_groups("vacc_mmr1_age", (150, 200), (90, 120), measure="hazard_ratio", estimate=1.2),
        two_groups("vacc_mmr1_age", (340, 450), (260, 300), **did),
        two_groups("vacc_mmr1_age", (237, 300), (197, 200), analysis="placebo", **did),
    ])
    table = publish_table("effects", frame, M)
    assert pd.isna(table["estimate"].iloc[2]) and table["suppressed"].iloc[2]
    assert pd.isna(table["estimate"].iloc[5]) and table["suppressed"].iloc[5]
    assert table["estimate"].iloc[4] == 0.05  # the ITT DiD gives nothing away


def test_age_at_mmrs_did_rests_on_the_groups_of_mmr_by_24_months() -> None:
    """Söderängen's MMR DiD was hidden for the area's 1 child of 43 without MMR after the start,
    and age at MMR's DiD on the very same counts was shown: its groups after the start were
    taken from its own crude hazard-ratio row (every child, of every age), where nothing is
    small, so the adjusted DiD's −0.13 with the three published shares gave 42 of 43 back. (The
    DiD's counts are its complete cases: fewer than the groups' before and after together.)"""
    did = {"measure": "did", "method": "did", "adjusted": True, "estimate": 0.13}
    frame = pd.DataFrame([
        two_groups("vacc_mmr1_24m", (43, 150), (42, 140)),
        two_groups("vacc_mmr1_24m", (125, 440), (114, 405), **did),
        two_groups("vacc_mmr1_age", (93, 200), (54, 120), measure="hazard_ratio", estimate=1.2),
        two_groups("vacc_mmr1_age", (125, 440), (114, 405), **did),
        two_groups("vacc_mmr1_age", (125, 440), (114, 405), analysis="landmark", landmark_days=730, **did),
    ])
    indicators = pd.concat([
        indicator_rows({"A": (43, 42)}).assign(group="intervention"),
        indicator_rows({"A": (87, 77)}).assign(group="intervention_pre"),
        indicator_rows({"X": (150, 140)}).assign(group="comparison").query("area == 'all'"),
        indicator_rows({"X": (301, 280)}).assign(group="comparison_pre").query("area == 'all'"),
    ], ignore_index=True).assign(indicator="vacc_mmr1_24m")
    published = publish_tables({"indicators": indicators, "effects": frame}, M)
    table = published["effects"]
    assert table["events_intervention"].iloc[0] is None  # 1 of 43 without MMR
    assert table["estimate"].iloc[[1, 3, 4]].isna().all()
    assert table["estimate"].iloc[2] == 1.2  # every child's hazard ratio gives nothing away


def test_age_at_mmr_at_its_landmark_is_mmr_by_24_months() -> None:
    """The landmark share counts the children of vacc_mmr1_24m, by its 24-month birthday (day
    730 or 731), not by day 730: a dose on the birthday after a leap day counted in one only."""
    from pipeline.stages.compare.context import binary_outcome, landmark_outcome

    frame = pd.DataFrame({"vacc_mmr1_24m": pd.array([True, False, None, True], dtype="boolean")})
    y, inside = landmark_outcome(frame, "vacc_mmr1_age")
    expected, known = binary_outcome(frame, "vacc_mmr1_24m")
    np.testing.assert_array_equal(y, expected)
    assert inside.tolist() == known.tolist() == [True, True, False, True]


def summary_row(**values: object) -> dict:
    base = {"indicator": "vacc_mmr1_24m", "area": "all", "primary": True, "analysis": "itt",
            "method": "regression", "measure": "risk_difference", "estimate": 0.05, "ci_low": 0.01,
            "ci_high": 0.09, "p_value": 0.01, "p_adjusted": 0.02, "n_intervention": 134,
            "n_comparison": 150, "verdict": "higher", "reason": "adjusted_p_below_alpha",
            "reason_detail": "", "proportion_intervention": 131 / 134, "proportion_comparison": 0.6,
            "n_denominator_intervention": 134, "n_denominator_comparison": 150,
            "events_intervention": 131, "events_comparison": 90}
    return base | values


def test_summary_suppressed_where_a_count_behind_it_is_small() -> None:
    frame = pd.DataFrame([summary_row(),
                          summary_row(indicator="bf_any_6m", events_intervention=70,
                                      proportion_intervention=70 / 134)])
    table = publish_table("summary", frame, M).set_index("indicator")
    few = table.loc["vacc_mmr1_24m"]
    assert few["verdict"] == "suppressed" and few["reason"] == "few_without"
    assert few[["estimate", "ci_low", "ci_high", "p_value", "p_adjusted",
                "proportion_intervention"]].isna().all()
    assert few["proportion_bound_intervention"] == ">0.95" and few["events_intervention"] is None
    assert few["n_denominator_intervention"] == 134 and few["proportion_comparison"] == 0.6
    fine = table.loc["bf_any_6m"]
    assert fine["verdict"] == "higher" and fine["estimate"] == 0.05 and fine["suppression"] == ""
    assert fine["events_intervention"] == 70


def test_summary_follows_its_effects_row() -> None:
    """A headline is blank when its effects row is, whatever the summary's own counts."""
    summary = pd.DataFrame([summary_row(indicator="bf_any_6m", events_intervention=70,
                                        proportion_intervention=70 / 134)])
    effects = pd.DataFrame([
        effects_row(indicator="bf_any_6m", n_intervention=134, events_intervention=70, n_comparison=150,
                    events_comparison=90, area="all"),
        effects_row(indicator="bf_any_6m", method="regression", n_intervention=130, events_intervention=70,
                    n_comparison=150, events_comparison=90, area="all"),  # 4 without covariates
    ])
    published = publish_tables({"summary": summary, "effects": effects}, M)
    assert pd.isna(published["effects"].iloc[1]["estimate"])
    row = published["summary"].iloc[0]
    assert row["verdict"] == "suppressed" and pd.isna(row["estimate"])
    assert row["proportion_intervention"] == 70 / 134  # what was seen rests on other counts


def test_flow_and_group_sizes_agree() -> None:
    """Flow's eligible step is the intervention group that balance.csv counts."""
    steps = ["born_in_intervention_areas", "eligible", "offered", "accepted"]
    counts = {"A": [100, 60, 60, 57], "B": [80, 50, 50, 40]}
    rows = [{"area": a, "order": i + 1, "step": s, "children": c[i], "share_of_previous": None}
            for a, c in counts.items() for i, s in enumerate(steps)]
    rows += [{"area": "all", "order": i + 1, "step": s, "children": counts["A"][i] + counts["B"][i],
              "share_of_previous": None} for i, s in enumerate(steps)]
    flow = pd.DataFrame(rows)
    balance = pd.DataFrame([{"area": a, "covariate": "mother_age", "level": "", "measure": "hedges_g",
                             "value_before": 0.1, "value_after": 0.0, "smd_before": 0.1, "smd_after": 0.0,
                             "rating_before": "adjustment_required", "rating_after": "satisfied",
                             "n_intervention": n, "n_comparison": 200, "note": "",
                             "n_level_intervention": None, "n_level_comparison": None}
                            for a, n in (("all", 110), ("A", 60), ("B", 50))])
    published = publish_tables({"flow": flow, "balance": balance}, M)
    shown = published["flow"].set_index(["area", "step"])["children"]
    sizes = published["balance"].set_index("area")["n_intervention"]
    for area in ("A", "B", "all"):  # eligible is never shown in one table and hidden in the other
        assert (shown[area, "eligible"] is None) == (sizes[area] is None), area


def reader_leaks(published: dict[str, pd.DataFrame]) -> list[str]:
    """Small counts a reader can pin down from the published indicators and effects (an LP per
    small count, written from the published tables alone, independently of LinkedCells)."""
    from scipy.optimize import linprog

    indicators, effects = published["indicators"], published.get("effects")
    names: dict[tuple, int] = {}

    def var(*key: object) -> int:
        return names.setdefault(key, len(names))

    equalities, bounds, small = [], {}, []
    for row in indicators.to_dict("records"):
        pop = (row["group"], row["area"])
        n, e, r = var(*pop, "n"), var(*pop, "e"), var(*pop, "r")
        equalities.append(({n: 1, e: -1, r: -1}, 0))
        for cell, value in ((n, row["n_denominator"]), (e, row["n_numerator"])):
            if isinstance(value, int):
                bounds[cell] = (value, value)
            elif value == SMALL:
                bounds[cell] = (1, M - 1)
                small.append(cell)
            else:
                bounds[cell] = (M, None)
        if row["suppression"] == "few_without":
            bounds[r] = (1, M - 1)
            small.append(r)
    for group in indicators["group"].unique():
        areas = [a for a in indicators.loc[indicators["group"] == group, "area"] if a != "all"]
        for kind in ("n", "e", "r") if areas else ():
            coefficients = {var(group, "all", kind): 1}
            for area in areas:
                coefficients[var(group, area, kind)] = -1
            equalities.append((coefficients, 0))
    if effects is not None:
        for row in effects.to_dict("records"):
            for side, where in (("intervention", row["area"]), ("comparison", "all")):
                for kind, column in (("n", f"n_{side}"), ("e", f"events_{side}")):
                    value = row[column]
                    if isinstance(value, int):
                        cell = var(side, where, kind)
                        bounds[cell] = (value, value)
    matrix = np.zeros((len(equalities), len(names)))
    for i, (coefficients, _) in enumerate(equalities):
        for cell, c in coefficients.items():
            matrix[i, cell] = c
    box = [bounds.get(i, (0, None)) for i in range(len(names))]
    leaks = []
    for cell in set(small):
        objective = np.zeros(len(names))
        objective[cell] = 1
        low = linprog(objective, A_eq=matrix, b_eq=np.zeros(len(equalities)), bounds=box).fun
        high = -linprog(-objective, A_eq=matrix, b_eq=np.zeros(len(equalities)), bounds=box).fun
        if high - low < 0.5:
            leaks.append(next(k for k, v in names.items() if v == cell))
    return leaks


def test_no_small_count_can_be_pinned_down_across_tables() -> None:
    rng = np.random.default_rng(8)
    for _ in range(60):
        treated = {}
        for area in ("A", "B", "C"):
            n = int(rng.choice([2, 6, 9, 20, 40, 120]))
            treated[area] = (n, int(rng.choice([0, 1, 2, n // 2, max(n - 2, 0), max(n - 1, 0), n])))
        n0 = int(rng.choice([8, 30, 100]))
        indicators = indicators_two_groups(treated, (n0, int(rng.integers(0, n0 + 1))))
        comparison = indicators.query("group == 'comparison'").iloc[0]
        effects = pd.DataFrame([
            effects_row(n_intervention=int(row["n_denominator"]), events_intervention=int(row["n_numerator"]),
                        n_comparison=int(comparison["n_denominator"]),
                        events_comparison=int(comparison["n_numerator"]), area=row["area"])
            for row in indicators.query("group == 'intervention'").to_dict("records")])
        published = publish_tables({"indicators": indicators, "effects": effects}, M)
        assert reader_leaks(published) == [], (treated, n0)


def test_a_group_of_three_published_together() -> None:
    cohort = group_of_three()
    tables = compare(make_study(), cohort)
    tables["indicators"] = indicator_table(cohort)
    tables["flow"] = flow_table(cohort)
    published = publish_tables(tables, M)
    assert set(published) == set(tables)
    for name, frame in published.items():
        if name in ROW_COUNT_TABLES:
            continue
        assert {"suppressed", "suppression"} <= set(frame.columns), name
        assert set(frame["suppression"].unique()) <= {"", *SUPPRESSION_REASONS}, name
        assert (frame["suppression"].ne("") == frame["suppressed"]).all(), name
    treated = published["indicators"]["group"].eq("intervention")
    assert not any(v == 3 for v in published["indicators"].loc[treated, "n_denominator"]
                   if isinstance(v, int))
    if "summary" in published:  # every headline rests on the group of 3
        summary = published["summary"]
        assert summary.loc[summary["area"].eq("all"), "verdict"].isin(["suppressed", "not_estimable"]).all()


# --- XLSX and the scan -------------------------------------------------------------------------

def test_write_xlsx_is_byte_identical(tmp_path: Path) -> None:
    frame = publish_table("indicators", indicator_rows({"A": (40, 3), "B": (60, 20), "C": (80, 30)}), M)
    (tmp_path / "one").mkdir()
    (tmp_path / "two").mkdir()
    write_xlsx(frame, tmp_path / "one" / "indicators.xlsx")
    time.sleep(1.1)  # a clock second later: dates in the workbook must not change
    write_xlsx(frame.copy(), tmp_path / "two" / "indicators.xlsx")
    assert (tmp_path / "one" / "indicators.xlsx").read_bytes() == (
        tmp_path / "two" / "indicators.xlsx").read_bytes()
    back = pd.read_excel(tmp_path / "one" / "indicators.xlsx", engine="openpyxl")
    assert back["n_numerator"].tolist()[1] == SMALL and back["n_denominator"].tolist()[0] == 180


def to_excel_bytes(frame: pd.DataFrame, sheet: str) -> bytes:
    """What pandas' to_excel writes with write_xlsx's options: the reference its own cell
    writing keeps to."""
    import io

    from pipeline.publish.xlsx import XLSX_DATE, XLSX_OPTIONS

    buffer = io.BytesIO()
    with pd.ExcelWriter(buffer, engine="xlsxwriter", engine_kwargs={"options": XLSX_OPTIONS}) as writer:
        writer.book.set_properties({"author": "hembesok", "created": XLSX_DATE})
        frame.to_excel(writer, sheet_name=sheet, index=False)
    return buffer.getvalue()


@pytest.mark.parametrize("with_date", [False, True], ids=["written-here", "by-to_excel"])
def test_write_xlsx_writes_what_to_excel_writes(tmp_path: Path, with_date: bool) -> None:
    """Integers, floats (missing, integral, infinite), nullable integers, booleans, texts (empty,
    missing, formula-like, Arrow-backed) and, in the second case, a date column, which is left
    to to_excel: read back, each cell is what the table holds (no cell for a missing value or
    empty text, infinities as text); with pandas 3, the very bytes of to_excel."""
    import openpyxl

    frame = pd.DataFrame({
        "n": [3, 180, 0], "share": [0.25, float("nan"), 2.0], "ratio": [float("inf"), -float("inf"), 1.5],
        "count": pd.array([1, None, 7], dtype="Int64"), "suppressed": [True, False, True],
        "text": ["<5", "", "=HYPERLINK(\"x\")"], "area": pd.array(["Norrbyåsen", None, "all"],
                                                                    dtype="string[pyarrow]")})
    if with_date:
        frame["date"] = pd.to_datetime(["2024-01-31", "2024-02-29", "2024-03-31"])
    write_xlsx(frame, tmp_path / "table.xlsx")
    if int(pd.__version__.split(".")[0]) >= 3:  # pandas 2 writes the header row in bold
        assert (tmp_path / "table.xlsx").read_bytes() == to_excel_bytes(frame, "table")
    sheet = openpyxl.load_workbook(tmp_path / "table.xlsx").active
    rows = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert rows[0][:7] == ["n", "share", "ratio", "count", "suppressed", "text", "area"]
    assert [row[:7] for row in rows[1:]] == [[3, 0.25, "inf", 1, True, "<5", "Norrbyåsen"],
                                             [180, None, "-inf", None, False, None, None],
                                             [0, 2, 1.5, 7, True, "=HYPERLINK(\"x\")", "all"]]
    assert sheet["F4"].data_type == "s"  # the formula-like text is a text cell
    if with_date:
        assert [row[7].date().isoformat() for row in rows[1:]] == ["2024-01-31", "2024-02-29", "2024-03-31"]


def test_scan_finds_a_planted_personnummer(tmp_path: Path) -> None:
    number = luhn_pnr("811218", "987")
    (tmp_path / "table.csv").write_text(f"a,b\n1,{number}\n", encoding="utf-8")
    (tmp_path / "report.html").write_text(f"<p>Barn {number}</p>", encoding="utf-8")
    write_xlsx(pd.DataFrame({"a": [1, 2], "b": ["x", number]}), tmp_path / "table.xlsx")
    (tmp_path / "clean.csv").write_text("a,b\n1,0.8112189876\n", encoding="utf-8")
    pd.DataFrame({"n": [1, 2], "note": ["ok", f"ring {number}"],
                  "area": pd.Categorical(["a", number])}).to_parquet(tmp_path / "data.parquet")
    pd.DataFrame({"n": [811218987.0], "note": ["0.8112189876"]}).to_parquet(
        tmp_path / "numbers.parquet")
    for name in ("table.csv", "report.html", "table.xlsx"):
        assert scan_file_for_personnummer(tmp_path / name) == ["######-####"], name
    # a workbook's numbers are read as stored
    write_xlsx(pd.DataFrame({"n": [int("19" + number.replace("-", ""))]}), tmp_path / "numbers.xlsx")
    assert scan_file_for_personnummer(tmp_path / "numbers.xlsx") == ["############"]
    assert scan_file_for_personnummer(tmp_path / "clean.csv") == []
    # a parquet file by its text columns, categorical ones too
    assert scan_file_for_personnummer(tmp_path / "data.parquet") == ["######-####"] * 2
    assert scan_file_for_personnummer(tmp_path / "numbers.parquet") == []
    # only text columns are read, but every column's name is scanned
    pd.DataFrame({f"n {number}": [1.0]}).to_parquet(tmp_path / "named.parquet")
    assert scan_file_for_personnummer(tmp_path / "named.parquet") == ["######-####"]
    # row group by row group: a number only in the first group of one text column, another only
    # in the last group of the next, and one in the first and last groups, found once
    other, third = luhn_pnr("850101", "123"), luhn_pnr("900202", "234")
    pd.DataFrame({"a": [third, other, "y", "x", "z", third],
                  "b": ["x", "y", "x", "y", "x", f"ring {number}"]}).to_parquet(
        tmp_path / "groups.parquet", row_group_size=2)
    assert pq.ParquetFile(tmp_path / "groups.parquet").num_row_groups == 3
    assert scan_file_for_personnummer(tmp_path / "groups.parquet") == ["######-####"] * 3


def test_a_file_scanned_ahead_is_scanned_anew_once_its_bytes_change(tmp_path: Path) -> None:
    """A scan is kept for the file's bytes: rewritten with a personnummer after a clean scan
    (same name, same size), the file is found out; the same bytes elsewhere give the same."""
    number = luhn_pnr("811218", "987")
    page = tmp_path / "report.html"
    page.write_text("<p>Barn 811218+0000</p>", encoding="utf-8")  # not a valid number
    scan_ahead([page])
    assert scan_file_for_personnummer(page) == []
    page.write_text(f"<p>Barn {number}</p>", encoding="utf-8")
    assert len(page.read_bytes()) == len("<p>Barn 811218+0000</p>")
    assert scan_file_for_personnummer(page) == ["######-####"]
    (tmp_path / "copy.html").write_bytes(page.read_bytes())
    assert scan_file_for_personnummer(tmp_path / "copy.html") == ["######-####"]
    (tmp_path / "copy.csv").write_bytes(page.read_bytes())  # scanned as what its name says
    assert scan_file_for_personnummer(tmp_path / "copy.csv") == ["######-####"]


def test_scan_of_published_demo_like_tables_is_clean(tmp_path: Path) -> None:
    for name, frame in published_group_of_three().items():
        frame.to_csv(tmp_path / f"{name}.csv", index=False)
        write_xlsx(frame, tmp_path / f"{name}.xlsx")
    demo = Path(__file__).resolve().parents[1] / "outputs" / "demo"
    files = [*tmp_path.iterdir(), *(p for p in demo.rglob("*") if p.is_file())]
    assert [p.name for p in files if scan_file_for_personnummer(p)] == []


def test_missing_values_cannot_be_read_off_an_indicator_denominator() -> None:
    # 53 children followed to 6 months, 3 without an assessment: the missing count is small,
    # and indicators.csv shows the 50 with the indicator known; n - 50 would reveal the 3
    indicators = pd.DataFrame({
        "indicator": ["bf_any_6m"], "group": ["intervention"], "area": ["all"],
        "n_denominator": [50], "n_numerator": [30], "proportion": [0.6], "ci_low": [0.46],
        "ci_high": [0.72]})
    missing = pd.DataFrame({
        "arm": ["intervention"], "period": ["post"], "kind": ["indicator"],
        "variable": ["bf_any_6m"], "n": [53], "missing": [3], "share_missing": [3 / 53]})
    published = publish_tables({"indicators": indicators, "missing_data": missing}, 5)
    row = published["missing_data"].iloc[0]
    assert row["missing"] == "<5" and pd.isna(row["share_missing"])
    shown_n = row["n"] is not None and not pd.isna(row["n"])
    denominator = published["indicators"].iloc[0]["n_denominator"]
    shown_denominator = denominator is not None and not pd.isna(denominator)
    assert not (shown_n and shown_denominator), (row["n"], denominator)


def test_observed_counts_are_the_first_matching_rows():
    """`effects._ObservedCounts` (tables read once) finds what filtering the tables for each
    group finds: the first matching row of indicators, else of summary (with the group's
    counts), by area for an intervention group, else any area."""
    from pipeline.publish.cells import _Pass
    from pipeline.publish.effects import _ObservedCounts

    indicators = pd.DataFrame({
        "indicator": ["bf", "bf", "bf", "mmr"], "group": ["control_pre", "control_pre", "x", "x"],
        "area": ["A", "A", np.nan, "B"], "n_denominator": [10, 11, 12, 13],
        "n_numerator": [1, 2, 3, pd.NA]})
    summary = pd.DataFrame({
        "indicator": ["bf", "bf", "mmr", "mmr"], "area": [None, "B", "B", "A"],
        "n_denominator_intervention_pre": [np.nan, 20, 21, 22], "events_intervention_pre": [5, 6, 7, 8],
        "n_denominator_control_pre": [30, 31, np.nan, 33], "events_control_pre": [9, 10, 11, 12]})
    p = _Pass(5, {"indicators": indicators, "summary": summary})

    def plain(indicator, group, area):
        match = indicators[indicators["indicator"].eq(indicator).to_numpy(dtype=bool)
                           & indicators["group"].eq(group).to_numpy(dtype=bool)
                           & indicators["area"].astype(str).eq(area).to_numpy(dtype=bool)]
        if len(match):
            return _as_count(match["n_denominator"].iloc[0]), _as_count(match["n_numerator"].iloc[0])
        if f"n_denominator_{group}" in summary.columns:
            row_area = area if group.startswith("intervention") else None
            match = summary[summary["indicator"].eq(indicator).to_numpy(dtype=bool)
                            & (summary["area"].astype(str).eq(row_area).to_numpy(dtype=bool)
                               if row_area else np.ones(len(summary), dtype=bool))]
            match = match[match[f"n_denominator_{group}"].notna().to_numpy(dtype=bool)]
            if len(match):
                return (_as_count(match[f"n_denominator_{group}"].iloc[0]),
                        _as_count(match[f"events_{group}"].iloc[0]))
        return None

    observed = _ObservedCounts(p)
    asked = list(itertools.product(["bf", "mmr", "other"],
                                   ["control_pre", "intervention_pre", "x", "y_pre"],
                                   ["A", "B", "nan", "None", ""]))
    assert [observed(*key) for key in asked] == [plain(*key) for key in asked]
    assert sum(plain(*key) is not None for key in asked) >= 10


def _as_count(value: object) -> int:
    return 0 if pd.isna(value) else int(value)


def test_a_hidden_rows_note_keeps_no_effective_size() -> None:
    """A suppressed IPTW row's note said "effective sample size suppressed" and then "comparison:
    effective sample size 118.2 is under 50% of the children": the size it had just hidden."""
    from pipeline.publish.effects import _effects_note

    note = ("adjusted for mother_region; ATT weights; comparison effective sample size 118.2 of 240; "
            "largest weight 4.2 x mean; comparison: effective sample size 118.2 is under 50% of the "
            "children; 29 children dropped for missing covariates")
    hidden = _effects_note(note, True, 5)
    assert "118" not in hidden and "240" not in hidden
    assert "comparison: effective sample size is under 50% of the children" in hidden
    assert "29 children dropped" not in hidden and "children dropped for missing covariates" in hidden
    assert _effects_note(note, False, 5) == note  # shown rows keep every number
    # a child or two without covariates is a count the tables protect (ITT less the model's n)
    one = _effects_note("adjusted for education; 1 children dropped for missing covariates", False, 5)
    assert one == "adjusted for education; <5 children dropped for missing covariates"
