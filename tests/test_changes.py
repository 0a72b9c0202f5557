"""What changed since the last report (issue 15): a tiny study run on one extraction and again on a
later one, with new children and late-registered vaccinations; changes.csv says what changed and
history/ keeps the previous run's manifest and compared tables."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pandas as pd
from studykit import pnr, write_study

from pipeline import changes
from pipeline.outputs import output_table
from pipeline.publish import publish_tables
from pipeline.runner import run_study
from pipeline.tables import read_table

STAGES = ["ingest", "clean", "cohort", "compare"]  # no reports: the table is what is tested
FIRST_BORN = dt.date(2020, 1, 15)


def _child(number: int, born: dt.date | None = None) -> tuple[str, dt.date]:
    """A child's personnummer and birth date: by default every 15 days from 15 January 2020 to
    25 March 2021 (30 children)."""
    born = born or FIRST_BORN + dt.timedelta(days=15 * (number % 30))
    return pnr(born.strftime("%Y%m%d"), f"{number:03d}"), born


def _rows(norrby: int, soderby: int, new_norrby: int, new_soderby: int,
          late: int) -> dict[str, list[str]]:
    """Norrby's children 0..norrby-1 (every other vaccinated, and `late` more of the others whose
    MMR was registered late), Söderby's 100.. (21 of 30 vaccinated), and the new children of the
    second extraction, born from May 2021 (in Norrby two of three vaccinated, in Söderby all)."""
    children, doses = [], []

    def add(number: int, area: str, vaccinated: bool, born: dt.date | None = None) -> None:
        personnummer, birth = _child(number, born)
        children.append(f"{personnummer};{area};ja;Sverige;gymnasial;nej;30;3400")
        if vaccinated:
            doses.append(f"{personnummer};{(birth + dt.timedelta(days=540)).isoformat()};Priorix;1")

    unvaccinated = [i for i in range(norrby) if i % 2]
    for i in range(norrby):
        add(i, "Norrby", i % 2 == 0 or i in unvaccinated[:late])
    for i in range(soderby):
        add(100 + i, "Söderby", i % 10 < 7)
    for i in range(new_norrby):
        add(200 + i, "Norrby", i % 3 != 2, born=dt.date(2021, 5, 1) + dt.timedelta(days=10 * i))
    for i in range(new_soderby):
        add(300 + i, "Söderby", True, born=dt.date(2021, 5, 1) + dt.timedelta(days=10 * i))
    first, born = _child(0)
    later = (born + dt.timedelta(days=20)).isoformat()
    return {"children": children, "vaccinations": doses,  # and one row of each other export
            "visits": [f"{first};{later};hembesök;genomfört;BVC-sjuksköterska;mamma;nej"],
            "breastfeeding": [f"{first};{later};helt ammad"],
            "language": [f"{first};{(born + dt.timedelta(days=1110)).isoformat()};3 år;utan anmärkning;nej"]}


def _study(folder: Path, rows: dict[str, list[str]], extraction: str) -> Path:
    return write_study(folder, rows, study={"name": "twice", "extraction_date": extraction,
                                            "covariates": []})


def _changes(root: Path) -> pd.DataFrame:
    return read_table(root / "outputs" / "twice" / "tables" / "changes.csv")


def test_a_rerun_on_a_new_extraction_says_what_changed(tmp_path: Path) -> None:
    root, folder = tmp_path / "root", tmp_path / "data_raw" / "twice"
    run_study(_study(folder, _rows(30, 30, 0, 0, late=0), "2024-06-30"), root, stages=STAGES)
    outputs = root / "outputs" / "twice"
    first_manifest = json.loads((outputs / "manifest.json").read_text(encoding="utf-8"))
    assert _changes(root).empty  # the first report: nothing to compare with
    assert not (outputs / changes.HISTORY).exists()

    # the next extraction: 6 new children in Norrby and 5 in Söderby, and 12 of Norrby's 15
    # unvaccinated children's MMR doses registered late (dated before the first extraction)
    run_study(_study(folder, _rows(30, 30, 6, 5, late=12), "2024-09-30"), root, stages=STAGES)
    found = _changes(root)
    compared = found[found["change"] == "compared_with"]
    assert compared["previous_extraction"].tolist() == ["2024-06-30"]
    assert compared["previous_run"].tolist() == [changes.run_id(first_manifest["created"])]

    new = found[found["change"] == "new_children"].set_index("group")
    assert new.loc["intervention", "new_children"] == 6 and new.loc["comparison", "new_children"] == 5
    assert new.loc["intervention", "children"] - new.loc["intervention", "previous_children"] == 6

    # MMR at 24 months in Norrby went from 15/30 to 31/36 against 21/30 then 26/35 in Söderby:
    # the headline risk difference moved from -0.2 (95 % CI about -0.44 to 0.04) to about +0.12,
    # more than half of its previous interval's width
    moved = found[found["change"] == "estimate_moved"].set_index(["indicator", "area"])
    assert ("vacc_mmr1_24m", "all") in moved.index
    row = moved.loc[("vacc_mmr1_24m", "all")]
    assert row["previous_value"] < 0 < row["current_value"]
    assert abs(row["difference"]) > (row["previous_ci_high"] - row["previous_ci_low"]) / 2

    # the half-years already reported whose share changed with the same children: the late doses.
    # Children born July-December 2020 (Norrby's 12..23): 6 of 12 vaccinated, now all 12. Those
    # born January-June 2020 got 6 late doses too, but the first report hid that half-year (to
    # protect a small one), so there is no published figure to compare with.
    earlier = found[(found["change"] == "earlier_figure_changed") & (found["indicator"] == "vacc_mmr1_24m")]
    same = earlier[earlier["note"] == "same_children"].set_index(["group", "half_year"])
    row = same.loc[("intervention", "2020-07")]
    assert (row["previous_n"], row["n"], row["previous_events"], row["events"]) == (12, 12, 6, 12)
    assert row["previous_value"] == 0.5 and row["current_value"] == 1.0
    assert ("intervention", "2020-01") not in same.index
    first_trends = read_table(outputs / changes.HISTORY / changes.run_id(first_manifest["created"])
                              / "trends.csv")
    hidden = first_trends[first_trends["indicator"].eq("vacc_mmr1_24m")
                          & first_trends["half_year"].eq("2020-01") & first_trends["arm"].eq("intervention")]
    assert hidden["events"].isna().all()

    # history/ keeps the previous run's manifest and the tables compared with, nothing else
    kept = outputs / changes.HISTORY / changes.run_id(first_manifest["created"])
    assert json.loads((kept / "manifest.json").read_text(encoding="utf-8")) == first_manifest
    assert sorted(p.name for p in kept.iterdir()) == ["design.csv", "manifest.json", "summary.csv",
                                                      "trends.csv"]


def test_few_new_children_are_shown_as_fewer_than_min_cell() -> None:
    frame = output_table("changes").frame([
        {"change": "compared_with", "previous_run": "2024-07-01T10-00-00",
         "previous_extraction": "2024-06-30"},
        {"change": "new_children", "group": "intervention", "previous_children": 120, "children": 123,
         "new_children": 3},
        {"change": "new_children", "group": "comparison", "previous_children": 200, "children": 230,
         "new_children": 30}])
    published = publish_tables({"changes": frame}, 5)["changes"].set_index("group")
    assert published.loc["intervention", "new_children"] == "<5"
    # 123 - 120 would give the 3 back: one of the two totals of the row is hidden as well
    assert pd.isna(published.loc["intervention", "previous_children"]) or pd.isna(
        published.loc["intervention", "children"])
    assert published.loc["comparison", "new_children"] == 30 and not published.loc["comparison", "suppressed"]


def test_an_earlier_figure_that_changed_by_a_child_or_two_is_hidden_with_its_trend() -> None:
    """A half-year that had 17 children, 7 breastfed at 12 months, in the previous run and
    now has 16 and 6: the child who left the data was breastfed. Published beside the
    previous run's figures (kept in history/), the current counts are hidden in changes.csv
    and in trends.csv; a half-year that gained 20 children keeps them."""
    changes_frame = output_table("changes").frame([
        {"change": "compared_with", "previous_run": "2024-07-01T10-00-00",
         "previous_extraction": "2024-06-30"},
        {"change": "earlier_figure_changed", "indicator": "bf_any_12m", "group": "intervention",
         "half_year": "2022-09", "previous_n": 17, "n": 16, "previous_events": 7, "events": 6,
         "previous_value": 7 / 17, "current_value": 6 / 16, "difference": 6 / 16 - 7 / 17,
         "note": "children_changed"},
        {"change": "earlier_figure_changed", "indicator": "bf_any_12m", "group": "comparison",
         "half_year": "2022-09", "previous_n": 40, "n": 60, "previous_events": 20, "events": 30,
         "previous_value": 0.5, "current_value": 0.5, "difference": 0.0, "note": "children_changed"}])
    trends = pd.DataFrame([
        {"indicator": "bf_any_12m", "arm": arm, "period": "post", "half_year": "2022-09", "n": n,
         "events": events, "proportion": events / n, "ci_low": 0.1, "ci_high": 0.9, "suppressed": False}
        for arm, n, events in (("intervention", 16, 6), ("comparison", 60, 30))])
    published = publish_tables({"changes": changes_frame, "trends": trends}, 5)
    rows = published["changes"].set_index("group")
    assert rows.loc["intervention", ["n", "events", "current_value"]].isna().all()
    assert rows.loc["intervention", "suppressed"]
    assert (rows.loc["comparison", "n"], rows.loc["comparison", "events"]) == (60, 30)
    shown = published["trends"].set_index("arm")
    assert shown.loc["intervention", "n"] is None or shown.loc["intervention", "events"] is None
    assert shown.loc["comparison", "events"] == 30


def test_the_run_hides_a_trend_that_changed_by_a_child_in_trends_csv_too() -> None:
    """The run published trends.csv first and changes.csv in a pass of its own: the changed
    half-year was blanked in changes.csv, and trends.csv kept 30/25 beside the previous run's
    31/26 in history/ (one child who left, with the outcome). Through `publish_compare`."""
    from types import SimpleNamespace

    from pipeline.runner import publish_compare

    design = {"type": "did", "intervention_areas": ["Norrby"], "comparison_areas": ["Väst"]}
    study = SimpleNamespace(min_cell=5, public_config=lambda: {"design": design})

    def trends(n: int, events: int) -> pd.DataFrame:
        return pd.DataFrame([
            {"indicator": "bf_any_2m", "arm": arm, "period": "post", "half_year": "2021-09", "n": size,
             "events": hits, "proportion": hits / size, "ci_low": 0.1, "ci_high": 0.9, "suppressed": False}
            for arm, size, hits in (("intervention", n, events), ("comparison", 60, 30))])
    manifest = {"created": "2024-07-01T10:00:00",
                "config": {"extraction_date": "2024-06-30", "design": design}}
    earlier_tables = {"summary": pd.DataFrame(), "design": pd.DataFrame(), "trends": trends(31, 26)}
    previous = changes.PreviousRun(Path("."), manifest, earlier_tables)
    published = publish_compare(study, {"trends": trends(30, 25)}, previous)
    shown = published["trends"].set_index("arm")
    assert shown.loc["intervention", "n"] is None or shown.loc["intervention", "events"] is None
    assert shown.loc["comparison", "events"] == 30
    earlier = published["changes"][published["changes"]["change"] == "earlier_figure_changed"]
    assert earlier["n"].isna().all() and earlier["suppressed"].all()
    # a half-year that changed by many children is published once, as before
    published = publish_compare(study, {"trends": trends(45, 33)}, previous)  # 14, 7 and 7 apart
    assert published["trends"].set_index("arm").loc["intervention", "events"] == 33


def test_an_areas_children_that_changed_by_a_few_are_hidden_in_design_csv_too() -> None:
    """design.csv beside history/'s gave "Norrbyåsen 104 -> 107 after the start": 3 new
    children in one area. Where an area's children changed by fewer than min_cell, its count
    now is hidden (design.csv and changes.csv), and the group's total cannot give it back."""
    from types import SimpleNamespace

    from pipeline.runner import publish_compare

    study = SimpleNamespace(min_cell=5, public_config=lambda: {"design": {"type": "did"}})

    def design(norrby: int, soderby: int) -> pd.DataFrame:
        return pd.DataFrame([
            {"arm": "intervention", "area": area, "period": "post", "born_from": "2020-09-01",
             "born_to": "2023-12-31", "group": "intervention", "children": n}
            for area, n in (("Norrby", norrby), ("Söderby", soderby))])
    manifest = {"created": "2024-07-01T10:00:00", "config": {"extraction_date": "2024-06-30",
                                                              "design": {"type": "did"}}}
    earlier_tables = {"summary": pd.DataFrame(), "design": design(104, 90), "trends": pd.DataFrame()}
    previous = changes.PreviousRun(Path("."), manifest, earlier_tables)
    published = publish_compare(study, {"design": design(107, 110)}, previous)
    shown = published["design"].set_index("area")["children"]
    rows = published["changes"].set_index(["change", "area"])
    assert shown["Norrby"] is None
    assert rows.loc[("area_children_changed", "Norrby"), "children"] is None
    assert rows.loc[("area_children_changed", "Norrby"), "previous_children"] == 104
    # the group's 217 now less Söderby's 110 would give Norrby's 107: not both are shown
    group = published["changes"].set_index("change").loc["new_children", "children"]
    assert group is None or pd.isna(group) or shown["Söderby"] is None
    # areas that changed by many children are shown, and published once
    published = publish_compare(study, {"design": design(124, 110)}, previous)
    assert published["design"].set_index("area")["children"].tolist() == [124, 110]


def test_the_report_says_first_report_or_what_changed() -> None:
    from pipeline.narrative import changes_markdown
    empty = output_table("changes").frame([])
    assert changes_markdown(empty, "sv").startswith("Det här är studiens första rapport")
    assert changes_markdown(empty, "en").startswith("This is the study's first report")
    frame = output_table("changes").frame([
        {"change": "compared_with", "previous_run": "2024-07-01T10-00-00",
         "previous_extraction": "2024-06-30"},
        {"change": "new_children", "group": "intervention", "previous_children": 30, "children": 36,
         "new_children": 6},
        {"change": "estimate_moved", "indicator": "vacc_mmr1_24m", "area": "all",
         "measure": "risk_difference", "previous_value": -0.2, "current_value": 0.118,
         "previous_ci_low": -0.44, "previous_ci_high": 0.04},
        {"change": "earlier_figure_changed", "indicator": "vacc_mmr1_24m", "group": "intervention",
         "half_year": "2020-07", "previous_n": 12, "n": 12, "previous_events": 6, "events": 12,
         "previous_value": 0.5, "current_value": 1.0, "note": "same_children"}])
    text = changes_markdown(frame, "sv")
    assert "(körd 1\u00a0juli 2024 kl. 10.00, uttag 30\u00a0juni 2024)" in text
    assert "6 fler barn i interventionsgruppen" in text
    assert "MMR vid 24 månader från −20\u00a0procentenheter till 12\u00a0procentenheter" in text
    assert ("födda juli–december 2020: 50\u00a0% av 12 blev 100\u00a0% av 12 (samma barn, nya uppgifter)"
            in text)
    english = changes_markdown(frame, "en")
    assert "6 more children in the intervention group" in english and "born July–December 2020" in english


def test_a_changed_design_is_said_and_nothing_is_compared() -> None:
    """Söderängen taken out of the intervention areas: the report said "107 fewer children in
    the intervention group … records registered late or corrected", comparing other groups as
    if like for like. It now says the design changed, and what, and compares nothing."""
    from pipeline.narrative import changes_markdown

    design = {"type": "did", "intervention_areas": ["Norrby", "Söderby"], "comparison_areas": ["Väst"],
              "programme_start": "2020-09-01", "born_from": "2017-01-01", "born_to": "2023-12-31"}
    summary = pd.DataFrame([{"indicator": "bf_any_6m", "area": "all", "estimate": 0.1, "ci_low": 0.0,
                             "ci_high": 0.2}])
    previous = changes.PreviousRun(Path("."), {"created": "2024-07-01T10:00:00",
                                               "config": {"extraction_date": "2024-06-30", "design": design}},
                                   {"summary": summary, "design": pd.DataFrame(), "trends": pd.DataFrame()})
    now = {**design, "intervention_areas": ["Norrby"]}
    table = changes.changes_table(previous, {"summary": summary.assign(estimate=0.5)}, now)
    assert table["change"].tolist() == ["compared_with", "design_changed"]
    assert table["note"].iloc[1] == "intervention_areas"
    said = changes_markdown(table, "sv")
    assert ("Studiens upplägg har ändrats sedan dess (interventionsområden): grupperna är andra, så "
            "siffrorna jämförs inte med förra rapportens.") in said
    # the same areas in another order are the same design
    reordered = {**design, "intervention_areas": ["Söderby", "Norrby"]}
    kept = changes.changes_table(previous, {"summary": summary}, reordered)
    assert "design_changed" not in kept["change"].tolist()
    # a setting the previous run's manifest lacks (added since) is not a change of design
    added = changes.changes_table(previous, {"summary": summary}, {**design, "new_setting": 1})
    assert "design_changed" not in added["change"].tolist()
    # the same design: compared as before (the estimate moved by more than half its interval)
    same = changes.changes_table(previous, {"summary": summary.assign(estimate=0.5)}, design)
    assert "design_changed" not in same["change"].tolist() and "estimate_moved" in same["change"].tolist()
