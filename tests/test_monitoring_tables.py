"""Control charts and funnel plots as the compare stage makes and publishing shows them (issue 15):
limits and flags hand-computed on a small cohort flow through to control_chart.csv, a quarter or
an area with fewer than min_cell children never appears with its count, and the monitoring
tables never change a table published without them."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from studykit import write_study

from pipeline.config import load_study
from pipeline.indicators import present
from pipeline.outputs import output_table
from pipeline.publish import publish_tables
from pipeline.stages.compare.monitoring import control_chart_table, funnel_table, pooled_points

MIN_CELL = 5


def _study(tmp_path: Path, intervention: list[str]) -> object:
    design = {"type": "concurrent", "intervention_areas": intervention,
              "comparison_areas": ["Söderby"], "programme_start": "2020-01-01",
              "born_from": "2020-01-01", "born_to": "2023-12-31"}
    return load_study(write_study(tmp_path / "s", {}, study={"design": design, "min_cell": MIN_CELL}))


def _children(area: str, group: str, born: str, n: int, events: int) -> pd.DataFrame:
    """n children of one area born on one day, `events` of them vaccinated with MMR by 24 months."""
    return pd.DataFrame({"area": area, "group": group, "birth_date": pd.Timestamp(born),
                         "vacc_mmr1_24m": [True] * events + [False] * (n - events)})


def _cohort(*parts: pd.DataFrame) -> pd.DataFrame:
    cohort = pd.concat(parts, ignore_index=True)
    cohort["vacc_mmr1_24m"] = cohort["vacc_mmr1_24m"].astype("boolean")
    for indicator in present(cohort.columns, ("binary",)):  # every other indicator: nobody in it
        if indicator.id not in cohort:
            cohort[indicator.id] = pd.array([pd.NA] * len(cohort), dtype="boolean")
    return cohort


# Söderby (comparison): 100 children, 50 vaccinated -> centre p̄ = 0.5, σ(n) = √(0.25/n) = 0.5/√n.
# Norrby (intervention), quarters counted from the start 2020-01-01:
#   2020 Q1: 36 children, 6 vaccinated  -> 0.1667; 0.5 ± 3·0.5/6   = 0.5 ± 0.25     = [0.25, 0.75]: below
#   2020 Q2: 36, 18                     -> 0.5;    [0.25, 0.75]: within
#   2020 Q3: 16, 10 and Q4: 4, 2        -> Q4 has 4 < 5 children, so the half-year is one point:
#            20, 12 -> 0.6; 0.5 ± 3·0.5/√20 = 0.5 ± 0.335410 = [0.164590, 0.835410]: within
#   2021 Q1: 49, 40                     -> 0.8163; 0.5 ± 3·0.5/7 = 0.5 ± 0.214286
#            = [0.285714, 0.714286]: above
NORRBY = [("2020-02-01", 36, 6), ("2020-05-01", 36, 18), ("2020-08-01", 16, 10), ("2020-11-01", 4, 2),
          ("2021-02-01", 49, 40)]


def _hand_cohort(*extra: pd.DataFrame) -> pd.DataFrame:
    return _cohort(_children("Söderby", "comparison", "2020-06-01", 100, 50),
                   *(_children("Norrby", "intervention", born, n, e) for born, n, e in NORRBY), *extra)


def test_pooling_makes_points_that_show_no_small_count() -> None:
    # (7, 7) alone is safe; (6, 4) has 4 events, safe with (8, 5): 14 children, 9 with, 5 without;
    # (3, 3) has 3 children and goes into the point before it at the end
    assert pooled_points([(7, 7), (6, 4), (8, 5), (9, 9), (3, 3)], MIN_CELL) == [[0], [1, 2], [3, 4]]
    assert pooled_points([(7, 6)], MIN_CELL) == [[0]]  # never safe: one point, hidden when published


def test_hand_computed_limits_and_flags_flow_through_to_the_published_table(tmp_path: Path) -> None:
    study = _study(tmp_path, ["Norrby"])
    made = control_chart_table(study, _hand_cohort())
    assert len(made) == 5  # one row per quarter as the stage makes it
    published = publish_tables({"control_chart": made}, MIN_CELL)["control_chart"]
    assert published["quarter_start"].tolist() == ["2020-01-01", "2020-04-01", "2020-07-01", "2021-01-01"]
    assert published["quarter_end"].tolist() == ["2020-03-31", "2020-06-30", "2020-12-31", "2021-03-31"]
    assert published["quarters"].tolist() == [1, 1, 2, 1]
    assert published["children"].tolist() == [36, 36, 20, 49]
    assert published["events"].tolist() == [6, 18, 12, 40]
    assert published["centre"].tolist() == pytest.approx([0.5] * 4)
    assert published["lower"].tolist() == pytest.approx([0.25, 0.25, 0.164590, 0.285714], abs=1e-6)
    assert published["upper"].tolist() == pytest.approx([0.75, 0.75, 0.835410, 0.714286], abs=1e-6)
    assert published["proportion"].tolist() == pytest.approx([6 / 36, 0.5, 0.6, 40 / 49])
    assert published["outside"].fillna("").tolist() == ["below", "", "", "above"]
    assert published["baseline"].unique().tolist() == ["comparison_areas"]
    assert published[["baseline_children", "baseline_events"]].iloc[0].tolist() == [100, 50]
    assert not published["suppressed"].any()
    # the quarter of 4 children is nowhere with its count
    assert "2020-10" not in published["quarter"].tolist() and 4 not in published["children"].tolist()


def test_the_report_names_the_points_outside_the_limits(tmp_path: Path) -> None:
    from pipeline.narrative import monitoring_markdown
    study = _study(tmp_path, ["Norrby"])
    published = publish_tables({"control_chart": control_chart_table(study, _hand_cohort())},
                               MIN_CELL)["control_chart"]
    text = monitoring_markdown(published, pd.DataFrame(), "sv")
    # one centre line over the whole period (it said "born in the same period", as if per point)
    assert "andelen bland jämförelseområdenas barn födda under hela perioden som diagrammet visar" in text
    assert ("MMR vid 24 månader: under den nedre gränsen för barn födda januari–mars 2020 (17\u00a0%; "
            "gränsen 25\u00a0%).") in text
    assert ("MMR vid 24 månader: över den övre gränsen för barn födda januari–mars 2021 (82\u00a0%; "
            "gränsen 71\u00a0%).") in text
    assert "en signal att undersöka närmare, inte ett bevis" in text
    # the runs are listed under the points outside
    assert "**Norrby.** Punkter utanför kontrollgränserna och serier:" in text
    # each period is a chart of its own, so a run is counted within one (a review found a run of
    # 14 below the centre before the start go on for 4 points after it, unsaid): said where a
    # chart has points before and after the start, not in this concurrent study's (all after)
    judged_apart = "Punkterna före och efter start bedöms var för sig"
    assert judged_apart not in text
    both = published.assign(period=["pre", "pre", "post", "post"])
    assert judged_apart in monitoring_markdown(both, pd.DataFrame(), "sv")
    english = monitoring_markdown(published, pd.DataFrame(), "en", area="Norrby")
    assert "above the upper limit for children born January–March 2021 (82%; the limit 71%)" in english
    assert "a signal to look into, not proof" in english


def test_a_points_births_are_said_within_the_designs(tmp_path: Path) -> None:
    """The quarters are counted from the programme start, so the first can begin before born_from
    (a review read "children born December 2016–August 2020" of a study born from 1 January
    2017) and the last end after born_to: the words say the births the point holds."""
    from pipeline.narrative import monitoring_markdown
    study = _study(tmp_path, ["Norrby"])
    published = publish_tables({"control_chart": control_chart_table(study, _hand_cohort())},
                               MIN_CELL)["control_chart"]
    text = monitoring_markdown(published, pd.DataFrame(), "sv", born=("2020-02-01", "2021-02-15"))
    assert "under den nedre gränsen för barn födda februari–mars 2020 (17\u00a0%" in text
    assert "över den övre gränsen för barn födda januari–februari 2021 (82\u00a0%" in text
    english = monitoring_markdown(published, pd.DataFrame(), "en", born=(dt.date(2019, 12, 1), None))
    assert "below the lower limit for children born January–March 2020 (17%" in english  # within


def test_an_area_too_small_to_show_is_hidden_and_holds_no_other_area_back(tmp_path: Path) -> None:
    # Väster: 3 children in all after the start: one point for the whole period, shown as "<5"
    study = _study(tmp_path, ["Norrby", "Väster"])
    cohort = _hand_cohort(_children("Väster", "intervention", "2020-05-01", 3, 2))
    published = publish_tables({"control_chart": control_chart_table(study, cohort)},
                               MIN_CELL)["control_chart"]
    vaster = published[published["area"] == "Väster"]
    assert len(vaster) == 1 and vaster["children"].tolist() == ["<5"]
    assert vaster[["proportion", "lower", "upper"]].isna().all(axis=None)
    assert vaster["outside"].fillna("").tolist() == [""] and vaster["suppressed"].tolist() == [True]
    norrby = published[published["area"] == "Norrby"]
    assert norrby["children"].tolist() == [36, 36, 20, 49]  # as without Väster
    counts = pd.concat([published["children"], published["events"]])
    assert not any(isinstance(c, int | np.integer) and 0 < c < MIN_CELL for c in counts)


def test_funnel_classifies_by_the_exact_tail_and_hides_a_small_area(tmp_path: Path) -> None:
    study = _study(tmp_path, ["Norrby", "Väster"])
    cohort = _cohort(_children("Söderby", "comparison", "2021-06-01", 20, 20),
                     _children("Norrby", "intervention", "2021-06-01", 200, 120),
                     _children("Väster", "intervention", "2021-06-01", 3, 1))
    made = funnel_table(study, cohort)
    # target 141/223 = 0.6323; at n = 20 the 99.8 % upper quantile is r_p = 19 (P(X <= 19) =
    # 1 - 0.6323^20 = 0.9999 >= 0.999), and Söderby's 20 > 19: above 99.8 % by the exact tail
    assert made.set_index("area").loc["Söderby", "classification"] == "above_998"
    published = publish_tables({"funnel": made}, MIN_CELL)["funnel"].set_index("area")
    assert published.loc["Väster", "children"] == "<5" and pd.isna(published.loc["Väster", "proportion"])
    assert published.loc["Väster", "classification"] in ("", None) or pd.isna(published.loc["Väster",
                                                                                      "classification"])
    # the target (all areas together) would give Väster's count back with the other two areas'
    # counts: a second area's count is hidden, or the target
    assert published[["children", "events"]].isna().any(axis=None) or published["target"].isna().all()


def test_an_area_at_the_quantile_is_not_called_above(tmp_path: Path) -> None:
    # target 0.9: Söderby 10/10 has P(X >= 10) = 0.9^10 = 0.35, far from a 2.5 % tail, though
    # Spiegelhalter's interpolated upper 95 % limit at n = 10 lies below 1
    study = _study(tmp_path, ["Norrby"])
    cohort = _cohort(_children("Söderby", "comparison", "2021-06-01", 10, 10),
                     _children("Norrby", "intervention", "2021-06-01", 90, 80))
    made = funnel_table(study, cohort).set_index("area")
    assert made.loc["Söderby", "upper_95"] < 1.0
    assert made.loc["Söderby", "classification"] == "within"


def test_monitoring_tables_leave_the_other_tables_as_published_without_them(tmp_path: Path) -> None:
    # indicators.csv hides Väster's 2 vaccinated of 3 and, so that "all" less Norrby cannot give
    # them back, a second cell; the charts come in a second pass that may hide only their own
    study = _study(tmp_path, ["Norrby", "Väster"])
    cohort = _hand_cohort(_children("Väster", "intervention", "2020-05-01", 3, 2))
    rows = [{"indicator": "vacc_mmr1_24m", "group": group, "area": area, "measure": "proportion",
             "n_denominator": n, "n_numerator": e}
            for group, area, n, e in (("intervention", "all", 144, 78), ("intervention", "Norrby", 141, 76),
                                      ("intervention", "Väster", 3, 2), ("comparison", "all", 100, 50),
                                      ("comparison", "Söderby", 100, 50))]
    indicators = output_table("indicators").frame(rows)
    alone = publish_tables({"indicators": indicators}, MIN_CELL)["indicators"]
    together = publish_tables({"indicators": indicators, "control_chart": control_chart_table(study, cohort),
                               "funnel": funnel_table(study, cohort)}, MIN_CELL)
    pd.testing.assert_frame_equal(together["indicators"], alone)
    assert alone.set_index(["group", "area"]).loc[("intervention", "Väster"), "n_denominator"] == "<5"
    # and the funnel, whose areas are indicators' cells, hides them as indicators does
    def shown(values: pd.Series) -> list[str]:
        return ["" if v is None or (not isinstance(v, str) and pd.isna(v)) else str(v) for v in values]

    funnel = together["funnel"].set_index("area")
    assert funnel.loc["Väster", "children"] == "<5"
    assert shown(funnel["children"]) == shown(alone.set_index("area").loc[funnel.index, "n_denominator"])
    # the chart's points add up to Norrby's cell, hidden there: one of them is hidden too
    chart = together["control_chart"]
    assert chart.loc[chart["area"] == "Norrby", ["children", "events"]].isna().any(axis=None)


def test_an_indicator_whose_small_counts_only_the_funnel_gives_away_is_taken_out_whole(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """One vaccinated child of 20 in each of four areas, two with the programme and two without.
    indicators.csv alone protects them: each group's "<5" (2) of two "<5" areas leaves each area
    1 to 3. The funnel's target (all four areas: 4 of 80) is small too, and its "<5" with each
    group's at least 2 makes each group 2 and each area 1, whatever is hidden. So the funnel's
    rows of that indicator say nothing at all (no count, no "<5", the reason that says least),
    indicators.csv is as published without the funnel, and there is nothing to warn of."""
    import logging

    design = {"type": "concurrent", "intervention_areas": ["Norrby", "Väster"],
              "comparison_areas": ["Söderby", "Österby"], "programme_start": "2020-01-01",
              "born_from": "2020-01-01", "born_to": "2023-12-31"}
    study = load_study(write_study(tmp_path / "s", {}, study={"design": design, "min_cell": MIN_CELL}))
    cohort = _cohort(*(_children(area, group, "2021-06-01", 20, 1) for area, group in (
        ("Norrby", "intervention"), ("Väster", "intervention"), ("Söderby", "comparison"),
        ("Österby", "comparison"))))
    rows = [{"indicator": "vacc_mmr1_24m", "group": group, "area": area, "measure": "proportion",
             "n_denominator": n, "n_numerator": e}
            for group, area, n, e in (("intervention", "all", 40, 2), ("intervention", "Norrby", 20, 1),
                                      ("intervention", "Väster", 20, 1), ("comparison", "all", 40, 2),
                                      ("comparison", "Söderby", 20, 1), ("comparison", "Österby", 20, 1))]
    indicators = output_table("indicators").frame(rows)
    alone = publish_tables({"indicators": indicators}, MIN_CELL)["indicators"]
    with caplog.at_level(logging.WARNING, logger="hembesok"):
        together = publish_tables({"indicators": indicators, "funnel": funnel_table(study, cohort)}, MIN_CELL)
    assert not [r for r in caplog.records if "small-cell" in r.getMessage()]
    pd.testing.assert_frame_equal(together["indicators"], alone)
    funnel = together["funnel"]
    mmr = funnel[funnel["indicator"] == "vacc_mmr1_24m"]
    assert len(mmr) == 4 and mmr[["children", "events", "proportion", "target"]].isna().all(axis=None)
    assert mmr["suppression"].tolist() == ["secondary"] * 4 and mmr["suppressed"].all()


def test_a_run_publishes_no_small_count_in_the_monitoring_tables(small_study) -> None:
    from pipeline import tables
    root, folder, _ = small_study
    run = tables.load_run(root / "outputs" / folder.name)
    assert not run["control_chart"].empty and not run["funnel"].empty
    for name in ("control_chart", "funnel"):
        shown = pd.concat([run[name][c] for c in ("children", "events")])
        numbers = pd.to_numeric(shown, errors="coerce")
        assert not ((numbers > 0) & (numbers < MIN_CELL)).any(), name  # small counts are "<5"


def test_a_charts_quarters_collapse_to_points_summing_their_own_rows() -> None:
    from pipeline.publish.monitoring import _points

    # two quarters pooled into one point (same quarter_start), a point of one quarter, and
    # the same quarter_start again in another area (a point of its own); a missing count adds 0
    frame = pd.DataFrame({
        "indicator": ["mmr"] * 4, "area": ["A", "A", "A", "B"], "group": ["intervention"] * 4,
        "quarter_start": ["2021Q1", "2021Q1", "2021Q3", "2021Q3"],
        "children": pd.array([4, 3, 9, None], dtype="Int64"),
        "events": pd.array([1, 2, 5, 7], dtype="Int64")})
    points, members = _points(frame)
    assert members == [[0, 1], [2], [3]]
    assert points["children"].tolist() == [7, 9, 0]
    assert points["events"].tolist() == [3, 5, 7]
    assert str(points["children"].dtype) == "Int64"
    empty, none = _points(frame.iloc[:0])
    assert none == [] and empty.empty


def test_the_funnel_defines_an_indicator_as_the_design_does_before_and_after_the_start(
        tmp_path: Path) -> None:
    """Fully vaccinated, under did with children born before rotavirus entered the programme
    (2019-09-01), is its stable parts (DTP, PCV, MMR), as in the summary and the control chart:
    children born after the start with those three and no rotavirus vaccine count as vaccinated."""
    design = {"type": "did", "intervention_areas": ["Norrby"], "comparison_areas": ["Söderby"],
              "programme_start": "2020-09-01", "born_from": "2018-01-01", "born_to": "2023-12-31"}
    study = load_study(write_study(tmp_path / "s", {}, study={"design": design, "min_cell": MIN_CELL}))
    parts = []
    for area, arm in (("Norrby", "intervention"), ("Söderby", "comparison")):
        for group, born, n in ((f"{arm}_pre", "2019-03-01", 20), (arm, "2021-03-01", 20)):
            parts.append(pd.DataFrame({"area": area, "group": group, "birth_date": pd.Timestamp(born),
                                       "vacc_mmr1_24m": [True] * n}))
    cohort = _cohort(*parts)
    for part in ("vacc_dtp3_24m", "vacc_pcv3_24m"):
        cohort[part] = pd.array([True] * len(cohort), dtype="boolean")
    # 12 of each area's 20 children born after the start lack only the rotavirus vaccine
    after = cohort["birth_date"].ge(pd.Timestamp("2020-09-01")).to_numpy()
    full = np.ones(len(cohort), dtype=bool)
    full[np.flatnonzero(after & cohort["area"].eq("Norrby").to_numpy())[:12]] = False
    full[np.flatnonzero(after & cohort["area"].eq("Söderby").to_numpy())[:12]] = False
    cohort["vacc_full_24m"] = pd.array(full, dtype="boolean")
    rows = funnel_table(study, cohort).set_index(["indicator", "area"])
    assert rows.loc[("vacc_full_24m", "Norrby"), ["children", "events"]].tolist() == [20, 20]
    assert rows.loc[("vacc_full_24m", "Söderby"), "proportion"] == 1.0
    assert rows.loc[("vacc_mmr1_24m", "Norrby"), "children"] == 20  # only children born after the start
    # the control chart's centre line is the stable parts' share too, and its note says so: a
    # review read 0.744 beside indicators.csv's 0.692 (with rotavirus) and no word of why
    chart = control_chart_table(study, cohort)
    full_notes = set(chart.loc[chart["indicator"].eq("vacc_full_24m"), "note"])
    assert len(full_notes) == 1 and "fully vaccinated defined as DTaP3 + PCV3 + MMR1" in full_notes.pop()
    mmr_notes = chart.loc[chart["indicator"].eq("vacc_mmr1_24m"), "note"]
    assert not any("defined as" in str(note) for note in mmr_notes)


def _historical_two_areas(tmp_path: Path, vaster_before: int) -> tuple:
    """A historical study of Norrby and Väster, MMR by 24 months: Norrby 30 of 40 vaccinated
    before the start and 18 of 36 after; Väster `vaster_before` of 60 before and 18 of 36 after;
    with indicators.csv's rows of the same counts."""
    design = {"type": "historical", "intervention_areas": ["Norrby", "Väster"], "comparison_areas": [],
              "programme_start": "2020-01-01", "born_from": "2019-01-01", "born_to": "2023-12-31"}
    study = load_study(write_study(tmp_path / "s", {}, study={"design": design, "min_cell": MIN_CELL}))
    cohort = _cohort(_children("Norrby", "comparison", "2019-05-01", 40, 30),
                     _children("Norrby", "intervention", "2020-02-01", 36, 18),
                     _children("Väster", "comparison", "2019-05-01", 60, vaster_before),
                     _children("Väster", "intervention", "2020-02-01", 36, 18))
    indicators = output_table("indicators").frame([
        {"indicator": "vacc_mmr1_24m", "group": group, "area": area, "measure": "proportion",
         "n_denominator": n, "n_numerator": e}
        for group, area, n, e in (
            ("comparison", "all", 100, 30 + vaster_before), ("comparison", "Norrby", 40, 30),
            ("comparison", "Väster", 60, vaster_before), ("intervention", "all", 72, 36),
            ("intervention", "Norrby", 36, 18), ("intervention", "Väster", 36, 18))])
    return study, cohort, indicators

def test_a_historical_areas_chart_is_centred_on_its_own_children_before_the_start(tmp_path: Path) -> None:
    """Under `historical` an area's estimates compare its children born after the start with its
    own born before it, but its chart's centre line was both areas' pooled share before the start
    (h29, a review: Norrbyåsen's breastfeeding at 6 months centred on 63 %, 430 of 683, where its
    own 366 before the start had 57 %). Each area's centre line is now its own.

    Norrby: before 30 of 40 vaccinated (0.75), after 18 of 36; Väster: before 15 of 60 (0.25),
    after 18 of 36. Pooled before: 45 of 100 (0.45). Norrby's point after the start, 0.5, has
    limits 0.75 ± 3·√(0.75·0.25/36) = 0.75 ± 0.216506: below; against 0.45 it was within
    (0.45 ± 0.248747). Väster's 0.5 against 0.25 ± 0.216506: above."""
    study, cohort, indicators = _historical_two_areas(tmp_path, vaster_before=15)
    made = control_chart_table(study, cohort)
    mmr = made[made["indicator"].eq("vacc_mmr1_24m")].set_index(["area", "period"])
    assert mmr.loc[("Norrby", "pre"), ["baseline_children", "baseline_events"]].tolist() == [40, 30]
    assert mmr.loc[("Väster", "pre"), ["baseline_children", "baseline_events"]].tolist() == [60, 15]
    assert set(made["baseline"]) == {"area_before_start"}
    # the area's comparison cell, as indicators.csv shows it (published with it, the same counts)
    published = publish_tables({"indicators": indicators, "control_chart": made}, MIN_CELL)["control_chart"]
    chart = published[published["indicator"].eq("vacc_mmr1_24m")].set_index(["area", "period"])
    assert chart.loc[("Norrby", "post"), "centre"] == pytest.approx(0.75)
    assert chart.loc[("Norrby", "post"), "lower"] == pytest.approx(0.75 - 0.216506, abs=1e-6)
    assert chart.loc[("Norrby", "post"), "outside"] == "below"
    assert chart.loc[("Väster", "post"), "centre"] == pytest.approx(0.25)
    assert chart.loc[("Väster", "post"), "upper"] == pytest.approx(0.25 + 0.216506, abs=1e-6)
    assert chart.loc[("Väster", "post"), "outside"] == "above"
    assert chart.loc[("Väster", "post"), ["baseline_children", "baseline_events"]].tolist() == [60, 15]
    assert not chart["suppressed"].any()
    from pipeline.narrative import monitoring_markdown
    said = monitoring_markdown(published, pd.DataFrame(), "en", area="Norrby")
    assert ("The centre line is the share among the children born in the same area before the programme "
            "start (each area its own).") in said
    assert "intervention areas born before" not in said


def test_a_historical_areas_centre_line_is_hidden_with_its_comparison_cell(tmp_path: Path) -> None:
    """The centre line of an area's own children before the start is the area's comparison cell
    of indicators.csv: Väster's 3 vaccinated of 60 are "<5" there, so its centre line (3/60 with
    its 60 children) is blank, as is Norrby's 30 of 40, hidden there so that all 33 less 30 does
    not give the 3 back. (Keyed as one centre line for both areas, Väster's read 0.05 of 60.)"""
    study, cohort, indicators = _historical_two_areas(tmp_path, vaster_before=3)
    made = control_chart_table(study, cohort)
    published = publish_tables({"indicators": indicators, "control_chart": made}, MIN_CELL)
    before = published["indicators"].set_index(["group", "area"]).loc["comparison", "n_numerator"]
    assert before.loc["Väster"] == "<5" and before.loc["Norrby"] is None and before.loc["all"] == 33
    chart = published["control_chart"]
    chart = chart[chart["indicator"].eq("vacc_mmr1_24m")].set_index(["area", "period"])
    after = chart.xs("post", level="period")
    assert after[["centre", "lower", "upper", "outside"]].replace("", None).isna().all(axis=None)
    assert after["baseline_children"].tolist() == [40, 60]
    assert after["baseline_events"].tolist() == [None, "<5"]  # as indicators.csv shows them
