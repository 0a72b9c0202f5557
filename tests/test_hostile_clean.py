"""Hostile children exports (issue 11): areas spelled otherwise than the design spells them,
and numbers no birth record can hold. Every case has a known outcome: no child leaves the
study unseen, and no impossible value reaches an estimate."""

from __future__ import annotations

import difflib
import re
import shutil
from pathlib import Path

import pandas as pd
import pytest
import yaml
from studykit import STUDY, pnr, write_study

from pipeline import privacy, tables, text
from pipeline.cli import main
from pipeline.config import PLAUSIBLE_RANGES, load_study
from pipeline.errors import ConfigError
from pipeline.parsing import fold_label
from pipeline.publish import scan_file_for_personnummer
from pipeline.runner import run_ingest_clean

ANALYSIS = ["--stages", "ingest", "clean", "cohort", "compare"]  # no reports: faster
DESIGN = {"type": "concurrent", "intervention_areas": ["Norrbyåsen"], "comparison_areas": ["Söderängen"],
          "programme_start": "2020-01-01", "born_from": "2020-01-01", "born_to": "2023-12-31"}
HEADER = "personnummer;omrade;forstfodd;mor_fodelseregion;utbildning;tolkbehov;mor_alder;fodelsevikt"


def child(day: int, area: str, *, mother_age: str = "30", weight: str = "3500") -> str:
    """A children row: born 2021-01-01 + day (a fresh personnummer each day), first child."""
    birth = (pd.Timestamp("2021-01-01") + pd.Timedelta(days=day)).strftime("%Y%m%d")
    return f"{pnr(birth, '123')};{area};ja;Sverige;gymnasial;nej;{mother_age};{weight}"


FIRST = pnr("20210101", "123")
EVENTS = {
    "visits": [f"{FIRST};2021-01-14;hembesök;genomfört;BVC-sjuksköterska;mamma;nej"],
    "breastfeeding": [f"{FIRST};2021-01-10;helt ammad"],
    "vaccinations": [f"{FIRST};2021-04-04;Infanrix hexa;1"],
    "language": [f"{FIRST};2024-03-04;3 år;utan anmärkning;nej"],
}
# 4 children spelled as the design spells them, 3 in spellings that differ only in accents,
# case and spacing, 1 with a BVC suffix, 2 in an area the design does not name.
AREAS = ["Norrbyåsen", "Norrbyåsen", "Söderängen", "Söderängen",
         "Norrbyasen", "NORRBYÅSEN", "  norrbyasen ",
         "Norrbyåsen BVC",
         "Okänt område", "Okänt område"]


def study_of(folder: Path, children: list[str], **study: object) -> Path:
    return write_study(folder, {"children": children, **EVENTS}, study={"design": DESIGN, **study})


def spellings_study(folder: Path, **study: object) -> Path:
    return study_of(folder, [child(i, area) for i, area in enumerate(AREAS)], **study)


def clean_children(folder: Path) -> pd.DataFrame:
    return run_ingest_clean(load_study(folder)).tables["children"].frame


# --- areas -----------------------------------------------------------------------------------

# the last: å written as a + combining ring (NFD), as some systems export it
@pytest.mark.parametrize("spelling", ["Norrbyåsen", "  NORRBYÅSEN\u00a0", "norrbyasen", "Norrbya\u030asen"])
def test_a_name_folds_to_one_key(spelling: str) -> None:
    assert fold_label(spelling) == "norrbyasen"
    assert fold_label("Östra  Lindås") == "ostra lindas" and fold_label("Séverin") == "severin"


def test_spellings_that_differ_in_accents_case_and_spacing_are_the_design_area(tmp_path: Path) -> None:
    result = run_ingest_clean(load_study(spellings_study(tmp_path / "s")))
    areas = result.tables["children"].frame["area"].value_counts().to_dict()
    # 2 spelled exactly + Norrbyasen, NORRBYÅSEN and '  norrbyasen '
    assert areas["Norrbyåsen"] == 5
    assert areas["Söderängen"] == 2
    folded = result.area_spellings[result.area_spellings["status"] == "folded"]
    assert sorted(zip(folded["area_in_export"], folded["children"], folded["read_as"], strict=True)) == [
        ("NORRBYÅSEN", 1, "Norrbyåsen"), ("Norrbyasen", 1, "Norrbyåsen"), ("norrbyasen", 1, "Norrbyåsen")]


def test_an_area_split_by_a_space_is_the_design_area(tmp_path: Path) -> None:
    """'Söder ängen' (a tester's export split the name) is Söderängen: spacing is ignored, as the
    README says; a suffix still is not ('Norrbyåsen BVC')."""
    from pipeline.stages.clean import harmonise_areas
    read = harmonise_areas(pd.Series(["Söder ängen", "SÖDER  ÄNGEN", "Norrbyåsen BVC", None]),
                           ["Norrbyåsen", "Söderängen"])
    assert read.tolist()[:3] == ["Söderängen", "Söderängen", "Norrbyåsen BVC"] and pd.isna(read.iloc[3])


def test_a_bvc_suffix_is_not_guessed_away_but_listed_with_the_nearest_area(tmp_path: Path) -> None:
    spellings = run_ingest_clean(load_study(spellings_study(tmp_path / "s"))).area_spellings
    bvc = spellings.set_index("area_in_export").loc["Norrbyåsen BVC"]
    assert (bvc["status"], bvc["children"], bvc["nearest_area"], bvc["read_as"]) == (
        "unmatched", 1, "Norrbyåsen", "")


def test_an_unknown_area_is_listed_with_its_children_and_the_nearest_design_area(tmp_path: Path) -> None:
    result = run_ingest_clean(load_study(spellings_study(tmp_path / "s")))
    unknown = result.area_spellings.set_index("area_in_export").loc["Okänt område"]
    assert unknown["status"] == "unmatched" and unknown["children"] == 2
    # the nearest by difflib's similarity of the folded names, as documented
    scores = {area: difflib.SequenceMatcher(None, "okant omrade", key).ratio()
              for area, key in (("Norrbyåsen", "norrbyasen"), ("Söderängen", "soderangen"))}
    assert unknown["nearest_area"] == max(scores, key=scores.get)
    assert unknown["similarity"] == pytest.approx(max(scores.values()), abs=0.005)
    # the children are clean rows, kept outside the design: in the accounting, not dropped
    children = result.tables["children"]
    assert children.rows_read == len(AREAS) == children.rows_clean
    assert (children.frame["area"] == "Okänt område").sum() == 2


def test_validate_lists_the_unmatched_areas_and_the_fix(tmp_path: Path, capsys: pytest.CaptureFixture[str]
                                                        ) -> None:
    assert main(["validate", str(spellings_study(tmp_path / "s"))]) == 0
    out = capsys.readouterr().out
    line = next(text for text in out.splitlines() if "Okänt område" in text)
    assert line.split()[2] == "2" and "NOT IN THE DESIGN" in line
    assert "nearest design area 'Norrbyåsen', similarity 0.83" in next(
        text for text in out.splitlines() if "Norrbyåsen BVC" in text)  # 2 * 10 / (10 + 14)
    assert "area_map: {\"Norrbyåsen BVC\": Norrbyåsen}" in out
    assert "Norrbyåsen (ignoring accents, case and spacing)" in out


@pytest.mark.parametrize("min_cell, shown", [(5, "<5"), (1, "2")])
def test_the_published_table_lists_them_with_small_counts_hidden(tmp_path: Path, min_cell: int,
                                                                  shown: str) -> None:
    folder = spellings_study(tmp_path / "s", min_cell=min_cell,
                             allow_small_cells=min_cell < 3)
    root = tmp_path / "root"
    assert main(["run", str(folder), "--root", str(root), "--quiet", "--stages", "ingest", "clean"]) == 0
    tables = root / "outputs" / "tiny" / "tables"
    published = pd.read_csv(tables / "area_spellings.csv", dtype=str, keep_default_na=False)
    row = published.set_index("area_in_export").loc["Okänt område"]
    assert (row["children"], row["status"]) == (shown, "unmatched")
    assert row["suppressed"] == str(min_cell > 2)
    quality = pd.read_csv(tables / "data_quality.csv").set_index("table")
    assert quality.loc["children", "rows_clean"] == len(AREAS)


def test_area_map_counts_the_mapped_children_in_the_design(tmp_path: Path) -> None:
    folder = spellings_study(tmp_path / "s", area_map={"Norrbyåsen BVC": "Norrbyåsen",
                                                       "okänt OMRÅDE": "söderängen"})
    result = run_ingest_clean(load_study(folder))
    areas = result.tables["children"].frame["area"].value_counts().to_dict()
    assert areas == {"Norrbyåsen": 6, "Söderängen": 4}
    mapped = result.area_spellings[result.area_spellings["status"] == "area_map"].set_index("area_in_export")
    assert mapped["read_as"].to_dict() == {"Okänt område": "Söderängen", "Norrbyåsen BVC": "Norrbyåsen"}
    assert mapped["children"].to_dict() == {"Okänt område": 2, "Norrbyåsen BVC": 1}
    assert not (result.area_spellings["status"] == "unmatched").any()


def test_an_area_map_entry_that_matches_nothing_is_noted(tmp_path: Path,
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    folder = spellings_study(tmp_path / "s", area_map={"Norrbyåsen BVC": "Norrbyåsen",
                                                       "Norrbyåsen BVC-område": "Norrbyåsen"})
    assert main(["validate", str(folder)]) == 0
    out = capsys.readouterr().out
    assert "note: area_map entry 'Norrbyåsen BVC-område' matches the area of no clean child" in out
    assert "area_map entry 'Norrbyåsen BVC' matches" not in out


def test_an_area_cell_holding_a_personnummer_is_never_shown(tmp_path: Path,
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    shifted = pnr("19900101", "234")  # a column shifted into omrade
    folder = study_of(tmp_path / "s", [child(0, "Norrbyåsen"), child(1, "Söderängen"), child(2, shifted)])
    root = tmp_path / "root"
    assert main(["validate", str(folder)]) == 0
    assert main(["run", str(folder), "--root", str(root), "--quiet", "--stages", "ingest", "clean"]) == 0
    out = capsys.readouterr().out
    digits = shifted.replace("-", "")
    assert shifted not in out and digits[2:] not in out and "########-####" in out
    published = (root / "outputs" / "tiny" / "tables" / "area_spellings.csv").read_text(encoding="utf-8")
    assert "########-####" in published and digits[-4:] not in published
    areas = pd.read_parquet(root / "data_clean" / "tiny" / "clean" / "children.parquet")["area"]
    assert sorted(areas) == ["########-####", "Norrbyåsen", "Söderängen"]


def test_mapped_children_are_in_their_group(tmp_path: Path) -> None:
    folder = spellings_study(tmp_path / "s", area_map={"Norrbyåsen BVC": "Norrbyåsen",
                                                       "Okänt område": "Söderängen"})
    root = tmp_path / "root"
    assert main(["run", str(folder), "--root", str(root), "--quiet", "--stages", "ingest", "clean",
                 "cohort"]) == 0
    cohort = pd.read_parquet(root / "data_clean" / "tiny" / "cohort" / "cohort.parquet")
    assert cohort["area_group"].value_counts().to_dict() == {"intervention": 6, "comparison": 4}


@pytest.mark.parametrize("change, expected", [
    ({"area_map": {"Norrbyåsen BVC": "Norrby"}},
     "area_map: 'Norrbyåsen BVC' maps to 'Norrby', which is not an area of the design"),
    ({"area_map": {"Norrbyasen": "Söderängen"}},
     "'Norrbyasen' is the design area 'Norrbyåsen'"),
    ({"area_map": {"Söder ängen": "Norrbyåsen"}},  # as clean matches it: spaces aside
     "'Söder ängen' is the design area 'Söderängen'"),
    ({"area_map": {"Okänt område": "Norrbyåsen", "OKANT OMRADE": "Söderängen"}},
     "'OKANT OMRADE' and 'Okänt område' are one spelling"),  # study.yml is written sorted
    ({"design": {**DESIGN, "comparison_areas": ["Söderängen", "NORRBYASEN"]}},
     "areas 'Norrbyåsen' and 'NORRBYASEN' are one name once accents, case and spacing are ignored"),
    ({"plausible_ranges": {"birth_weight": [300, 6500]}},
     "plausible_ranges: 'birth_weight' is not a number column of the children table"),
    ({"plausible_ranges": {"mor_alder": [55, 13]}},
     "plausible_ranges: mother_age: the range [55, 13] must run from the lowest"),
])
def test_area_map_design_and_ranges_are_checked_at_config_time(tmp_path: Path, change: dict,
                                                                expected: str) -> None:
    folder = spellings_study(tmp_path / "s", **change)
    with pytest.raises(ConfigError) as error:
        load_study(folder)
    assert expected in str(error.value)


def test_a_design_area_found_only_in_another_spelling_stops_with_the_area_map_fix(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = study_of(tmp_path / "s", [child(0, "Norrbyåsen BVC"), child(1, "Söderängen")])
    assert main(["validate", str(folder)]) == 1
    err = capsys.readouterr().err
    assert "design.intervention_areas: area 'Norrbyåsen' does not occur in the children export" in err
    assert "area_map: {'Norrbyåsen BVC': Norrbyåsen}" in err


# --- plausible ranges ----------------------------------------------------------------------------

HOSTILE = [child(0, "Norrbyåsen", weight="-5"), child(1, "Norrbyåsen", mother_age="3"),
           child(2, "Söderängen", weight="300", mother_age="13"),  # the bounds are plausible
           child(3, "Söderängen", weight="6501", mother_age="55,5")]


def test_implausible_values_become_missing_and_are_listed(tmp_path: Path) -> None:
    result = run_ingest_clean(load_study(study_of(tmp_path / "s", HOSTILE)))
    children = result.tables["children"].frame.set_index("source_row")  # data rows are 2..5
    assert pd.isna(children.loc[2, "birth_weight_g"]) and children.loc[2, "mother_age"] == 30
    assert pd.isna(children.loc[3, "mother_age"]) and children.loc[3, "birth_weight_g"] == 3500
    assert (children.loc[4, "birth_weight_g"], children.loc[4, "mother_age"]) == (300, 13)
    assert pd.isna(children.loc[5, "birth_weight_g"]) and pd.isna(children.loc[5, "mother_age"])
    issues = result.value_issues
    assert sorted(zip(issues["source_row"], issues["column"], issues["value"], issues["issue"],
                      strict=True)) == [
        (2, "birth_weight_g", "-5", "outside plausible range 300–6500"),
        (3, "mother_age", "3", "outside plausible range 13–55"),
        (5, "birth_weight_g", "6501", "outside plausible range 300–6500"),
        (5, "mother_age", "55.5", "outside plausible range 13–55")]


def test_the_published_value_issues_count_each_once(tmp_path: Path, capsys: pytest.CaptureFixture[str]
                                                    ) -> None:
    folder = study_of(tmp_path / "s", HOSTILE[:2] + [child(2, "Söderängen")])
    root = tmp_path / "root"
    assert main(["run", str(folder), "--root", str(root), "--quiet", "--stages", "ingest", "clean"]) == 0
    issues = pd.read_csv(root / "outputs" / "tiny" / "tables" / "value_issues.csv")
    assert issues[["table", "source_file", "column", "issue", "rows"]].values.tolist() == [
        ["children", "barn.csv", "birth_weight_g", "outside plausible range 300–6500", 1],
        ["children", "barn.csv", "mother_age", "outside plausible range 13–55", 1]]
    # the reports' data-quality appendix shows the same rows in words (tables.value_issues_table)
    shown = tables.value_issues_table(issues, "sv")
    assert shown.columns.tolist() == ["Tabell", "Fil", "Kolumn", "Problem och åtgärd", "Rader"]
    assert shown.values.tolist() == [
        ["Barn", "barn.csv", text.label("column", "birth_weight_g", "sv"),
         "Utanför rimligt intervall 300–6500: satt som saknat", "1"],
        ["Barn", "barn.csv", text.label("column", "mother_age", "sv"),
         "Utanför rimligt intervall 13–55: satt som saknat", "1"]]
    assert main(["validate", str(folder)]) == 0
    out = capsys.readouterr().out
    assert ("barn.csv, birth_weight_g: 1 value(s) outside the plausible range 300–6500 set missing, "
            "at row (value) 2 (-5)") in out
    assert "barn.csv, mother_age: 1 value(s) outside the plausible range 13–55 set missing" in out


def test_a_study_sets_its_own_range_and_keeps_the_other_defaults(tmp_path: Path) -> None:
    folder = study_of(tmp_path / "s", [child(0, "Norrbyåsen", mother_age="16", weight="-5"),
                                       child(1, "Söderängen", mother_age="51")],
                      plausible_ranges={"mother_age": [18, 50]})
    study = load_study(folder)
    assert study.plausible_ranges == {**PLAUSIBLE_RANGES, "mother_age": (18, 50)}
    issues = run_ingest_clean(study).value_issues
    assert sorted(zip(issues["source_row"], issues["issue"], strict=True)) == [
        (2, "outside plausible range 18–50"), (2, "outside plausible range 300–6500"),
        (3, "outside plausible range 18–50")]


def test_gestational_weeks_outside_22_to_45_become_missing(tmp_path: Path) -> None:
    folder = study_of(tmp_path / "s", [child(0, "Norrbyåsen") + ";21", child(1, "Norrbyåsen") + ";22",
                                       child(2, "Söderängen") + ";45", child(3, "Söderängen") + ";280"])
    for file in ("barn.csv",):
        text = (folder / file).read_text(encoding="utf-8").replace(HEADER, HEADER + ";graviditetsvecka")
        (folder / file).write_text(text, encoding="utf-8")
    weeks = clean_children(folder).set_index("source_row")["gestational_weeks"]
    assert weeks.isna().tolist() == [True, False, False, True]
    assert weeks.dropna().tolist() == [22, 45]


def test_numbers_written_with_their_units_are_read_in_them(tmp_path: Path) -> None:
    """A pregnancy's length as Swedish records write it, weeks + days ("36+6" is 36 6/7 weeks:
    preterm, under 37), a weight in grams or kilograms and an age in years, read as the
    numbers they are; a unit of another quantity ("38 d", "3500 kr") stays a value issue."""
    written = [("36+6", "3 500 g", "30 år"), ("v. 40 + 2", "3,25 kg", "41"), ("38 d", "3500 kr", "29")]
    rows = [child(i, "Norrbyåsen" if i != 1 else "Söderängen", mother_age=age, weight=weight) + f";{weeks}"
            for i, (weeks, weight, age) in enumerate(written)]
    folder = study_of(tmp_path / "s", rows)
    text = (folder / "barn.csv").read_text(encoding="utf-8").replace(HEADER, HEADER + ";graviditetsvecka")
    (folder / "barn.csv").write_text(text, encoding="utf-8")
    result = run_ingest_clean(load_study(folder))
    children = result.tables["children"].frame.set_index("source_row")
    assert children.loc[2, "gestational_weeks"] == pytest.approx(36 + 6 / 7) and 36 + 6 / 7 < 37
    assert children.loc[3, "gestational_weeks"] == pytest.approx(40 + 2 / 7)
    assert children["birth_weight_g"].tolist()[:2] == [3500.0, 3250.0]
    assert children["mother_age"].tolist() == [30.0, 41.0, 29.0]
    issues = result.value_issues
    assert sorted(zip(issues["source_row"], issues["column"], issues["value"], strict=True)) == [
        (4, "birth_weight_g", "3500 kr"), (4, "gestational_weeks", "38 d")]


# --- an implausible value never reaches an estimate -------------------------------------------

def cohort_rows(implausible: bool, blank: bool) -> list[str]:
    """40 children born in 2021 (past 24 months at the extraction), 20 per area, covariates
    varying; child 0 weighs -5 g and child 21's mother is 3 (or those cells blank)."""
    rows = []
    for i in range(40):
        area = "Norrbyåsen" if i < 20 else "Söderängen"
        age, weight = str(20 + (i * 7) % 21), str(2600 + (i * 137) % 1800)
        if i == 0:
            weight = "" if blank else "-5" if implausible else weight
        if i == 21:
            age = "" if blank else "3" if implausible else age
        rows.append(child(i, area, mother_age=age, weight=weight))
    return rows


def mmr_doses() -> list[str]:
    """MMR at 18 months for most children; who misses it depends on the area and the index."""
    doses = []
    for i in range(40):
        missed = (i % 3 == 0) if i < 20 else (i % 2 == 0)
        if not missed:
            birth = pd.Timestamp("2021-01-01") + pd.Timedelta(days=i)
            dose = (birth + pd.DateOffset(months=18)).strftime("%Y-%m-%d")
            doses.append(f"{pnr(birth.strftime('%Y%m%d'), '123')};{dose};Priorix;1")
    return doses


def adjusted_effects(folder: Path, root: Path) -> pd.DataFrame:
    assert main(["run", str(folder), "--root", str(root), "--quiet", *ANALYSIS]) == 0
    effects = pd.read_csv(root / "outputs" / "tiny" / "tables" / "effects.csv")
    rows = effects[(effects["indicator"] == "vacc_mmr1_24m") & effects["method"].isin(["regression", "iptw"])
                   & effects["analysis"].eq("itt") & effects["area"].eq("all")]
    assert len(rows) >= 3 and rows["estimate"].notna().all()
    return rows.set_index(["method", "measure"])


def write_cohort_study(folder: Path, *, implausible: bool, blank: bool, **study: object) -> Path:
    folder = write_study(folder, {"children": cohort_rows(implausible, blank), **EVENTS,
                                  "vaccinations": mmr_doses()},
                         study={"design": DESIGN, "covariates": ["mother_age", "birth_weight_g"],
                                "min_cell": 1, "allow_small_cells": True, **study})
    return folder


def test_an_out_of_range_value_is_missing_in_the_adjusted_estimates(tmp_path: Path) -> None:
    hostile = adjusted_effects(write_cohort_study(tmp_path / "hostile", implausible=True, blank=False),
                               tmp_path / "r1")
    by_hand = adjusted_effects(write_cohort_study(tmp_path / "blank", implausible=False, blank=True),
                               tmp_path / "r2")
    pd.testing.assert_series_equal(hostile["estimate"], by_hand["estimate"])
    pd.testing.assert_series_equal(hostile["ci_low"], by_hand["ci_low"])
    # the two children, one in each group, are left out of the adjusted analyses and counted
    assert (hostile["n_intervention"] == 19).all() and (hostile["n_comparison"] == 19).all()
    assert "2 children dropped for missing covariates" in hostile.loc[("regression", "odds_ratio"), "note"]
    # and the check matters: used as numbers, the same values move the estimate
    used = adjusted_effects(write_cohort_study(tmp_path / "used", implausible=True, blank=False,
                                               plausible_ranges={"birth_weight_g": [-10, 7000],
                                                                 "mother_age": [1, 60]}),
                            tmp_path / "r3")
    regression = ("regression", "odds_ratio")
    assert used.loc[regression, "estimate"] != pytest.approx(by_hand.loc[regression, "estimate"], rel=1e-6)


# --- category values no spelling list knows ------------------------------------------------------

# three of four screenings with a result no spelling list knows ("Ej bedömd": not assessed, in
# two spellings), and a first-child flag written as a sentence
SCREENINGS = [f"{FIRST};2024-03-04;3 år;Ej bedömd;nej",
              f"{pnr('20210102', '123')};2024-03-05;3 år;Ej bedömd;nej",
              f"{pnr('20210103', '123')};2024-03-06;3 år;utan anmärkning;nej",
              f"{pnr('20210104', '123')};2024-03-07;3 år;ej  BEDÖMD;nej"]


def unknown_values_study(folder: Path, **study: object) -> Path:
    children = [child(day, "Norrbyåsen" if day % 2 == 0 else "Söderängen") for day in range(4)]
    children[2] = children[2].replace(";ja;", ";Första barnet;")
    return write_study(folder, {"children": children, **EVENTS, "language": SCREENINGS},
                       study={"design": DESIGN, "max_rejected_share": 0.9, **study})


def test_validate_lists_unknown_values_and_value_map_reads_them(tmp_path: Path,
                                                                capsys: pytest.CaptureFixture[str]) -> None:
    folder = unknown_values_study(tmp_path / "unmapped")
    assert main(["validate", str(folder)]) == 0
    out = capsys.readouterr().out
    assert "category, yes/no and vaccine values no spelling list knows (most rows first):" in out
    block = out.split("category, yes/no and vaccine values no spelling list knows (most rows first):")[1]
    listed = [line.split() for line in block.splitlines() if line.startswith("    language ") or
              line.startswith("    children ") and "forstfodd" in line]
    assert listed == [["language", "resultat", "Ej", "bedömd", "2"],
                      ["children", "forstfodd", "Första", "barnet", "1"],
                      ["language", "resultat", "ej", "BEDÖMD", "1"]]
    # the fix, with no meaning guessed for the user to copy unread
    assert ('value_map: {language: {resultat: {"Ej bedömd": <one of utan anmärkning, avvikelse, '
            'ej genomförd>}}}') in out
    result = run_ingest_clean(load_study(folder))
    assert len(result.tables["language"].frame) == 1  # the three rejected as category_unknown

    mapped = unknown_values_study(tmp_path / "mapped", value_map={
        "language": {"resultat": {"Ej bedömd": "ej genomförd"}},  # the spelling matched as any is
        "children": {"first_child": {"Första barnet": "ja"}}})
    result = run_ingest_clean(load_study(mapped))
    results = result.tables["language"].frame["result"].tolist()
    assert results == ["not_done", "not_done", "no_remark", "not_done"]
    assert result.tables["children"].frame["first_child"].tolist() == [True, True, True, True]
    # nothing rejected or set missing; each value the study's map read is said, with its row
    assert result.rejects.empty
    issues = result.value_issues
    said = zip(issues["table"], issues["source_row"], issues["value"], issues["issue"], strict=True)
    assert sorted(said) == [
        ("children", 4, "Första barnet", "read as true (value_map)"),
        ("language", 2, "Ej bedömd", "read as not_done (value_map)"),
        ("language", 3, "Ej bedömd", "read as not_done (value_map)"),
        ("language", 5, "ej  BEDÖMD", "read as not_done (value_map)")]
    assert main(["validate", str(mapped)]) == 0
    out = capsys.readouterr().out
    assert "no spelling list knows" not in out
    assert re.search(r"^ +language +result +read as not_done \(value_map\) +3$", out, flags=re.MULTILINE), out


def test_value_map_names_a_vaccine_no_product_list_knows(tmp_path: Path,
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    """A region's own name for the MMR dose ("Vaccin MPR-region"): rejected as vaccine_unknown
    and listed by validate; mapped onto Priorix, its doses count as MMR doses."""
    second = pnr("20210102", "123")
    doses = [f"{FIRST};2022-06-04;Vaccin MPR-region;1", f"{second};2022-06-05;vaccin  mpr-REGION;1",
             f"{second};2021-04-05;Infanrix hexa;1"]
    events = {**EVENTS, "vaccinations": doses}
    children = [child(day, "Norrbyåsen" if day % 2 == 0 else "Söderängen") for day in range(2)]
    folder = write_study(tmp_path / "unmapped", {"children": children, **events},
                         study={"design": DESIGN, "max_rejected_share": 1.0})
    assert main(["validate", str(folder)]) == 0
    out = capsys.readouterr().out
    assert re.search(r"^ +vaccinations +vaccin +Vaccin MPR-region +1$", out, flags=re.MULTILINE), out
    assert ('value_map: {vaccinations: {vaccin: {"Vaccin MPR-region": <a vaccine such as Infanrix hexa, '
            'Prevenar 13, Priorix, Rotarix, MPR>}}}') in out

    mapped = write_study(tmp_path / "mapped", {"children": children, **events},
                         study={"design": DESIGN, "value_map": {"vaccinations": {"vaccin": {
                             "Vaccin MPR-region": "Priorix"}}}})
    result = run_ingest_clean(load_study(mapped))
    assert result.tables["vaccinations"].frame["product"].tolist() == ["priorix", "priorix", "infanrix_hexa"]
    assert result.rejects.empty
    assert result.value_issues["issue"].tolist() == ["read as priorix (value_map)"] * 2
    assert result.value_issues["value"].tolist() == ["Vaccin MPR-region", "vaccin  mpr-REGION"]


@pytest.mark.parametrize("value_map, expected", [
    ({"languag": {"resultat": {"x": "avvikelse"}}}, "value_map names unknown table 'languag' (did you mean "
                                                     "'language'?)"),
    ({"language": {"datum": {"x": "avvikelse"}}}, "value_map.language: 'datum' is not a column of categories "
                                                  "or yes/no of language"),
    ({"language": {"resultat": {"Ej bedömd": "bra"}}}, "'Ej bedömd' maps to 'bra', which is no value of "
                                                       "resultat; map onto one of ['utan anmärkning', "
                                                       "'avvikelse', 'ej genomförd']"),
    ({"language": {"resultat": {"Avvikande": "utan anmärkning"}}}, "'Avvikande' is already read as "
                                                                   "'deviation' and cannot be mapped"),
    ({"language": {"resultat": {"Ej bedömd": "ej genomförd", "EJ  BEDÖMD": "avvikelse"}}},
     "maps to both"),
    ({"vaccinations": {"vaccin": {"Vaccin X": "Okänt"}}}, "'Vaccin X' maps to 'Okänt', which is no vaccine "
                                                          "the product list knows"),
    ({"vaccinations": {"vaccin": {"Priorix": "Rotarix"}}}, "'Priorix' is already read as priorix"),
    # one column by its header and by its name: one entry would silently replace the other
    ({"language": {"resultat": {"Ej bedömd": "ej genomförd"}, "result": {"Normalt": "utan anmärkning"}}},
     "value_map.language names the column 'result' twice"),
])
def test_value_map_is_checked_at_config_time(tmp_path: Path, value_map: dict, expected: str) -> None:
    folder = unknown_values_study(tmp_path / "s", value_map=value_map)
    with pytest.raises(ConfigError) as error:
        load_study(folder)
    assert expected in str(error.value)


def test_a_file_name_or_title_holding_a_personnummer_like_number_stops_at_config_time(tmp_path: Path) -> None:
    """A date and time in an export's name ("besok 20210624 1538.csv": 2021-06-24 with 1538 as
    its last four digits passes the Luhn check) is kept in every clean row's source_file, and
    the scan of data_clean/ would stop the run after the cleaning: said before anything runs."""
    assert privacy.find_personnummer_like("20210624 1538") == ["######## ####"]
    folder = spellings_study(tmp_path / "s", title={"sv": "Hembesök 20210624-1538", "en": "Home visits"})
    (folder / "barn.csv").rename(folder / "barn 20210624 1538.csv")
    config = yaml.safe_load((folder / "study.yml").read_text(encoding="utf-8"))
    config["inputs"]["children"] = "barn 20210624 1538.csv"
    (folder / "study.yml").write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
    with pytest.raises(ConfigError) as error:
        load_study(folder)
    said = str(error.value)
    assert ("inputs.children: the file name 'barn ######## ####.csv' holds a personnummer-like number"
            in said and "rename the file" in said)
    assert "title: 'Hembesök ########-####' holds a personnummer-like number" in said
    assert "20210624" not in said


def test_a_personnummer_anywhere_else_in_the_study_file_stops_at_config_time(tmp_path: Path) -> None:
    """A review gave an area_map key holding a personnummer: the run stopped only at the scan of
    its manifest (which keeps the whole study file), naming manifest.json, after data_clean/ had
    been written to. It is said before anything runs, with where it is in study.yml."""
    folder = spellings_study(tmp_path / "s")
    config = yaml.safe_load((folder / "study.yml").read_text(encoding="utf-8"))
    config["area_map"] = {**(config.get("area_map") or {}), "Norrby 811218-9876": config["design"][
        "intervention_areas"][0]}
    (folder / "study.yml").write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
    with pytest.raises(ConfigError) as error:
        load_study(folder)
    said = str(error.value)
    assert "study.yml" in said and "area_map (a key): 'Norrby ######-####' holds a personnummer-like" in said
    assert "811218" not in said


# --- a personnummer typed into a number column ---------------------------------------------------

def test_a_personnummer_typed_into_a_number_column_is_set_missing_and_never_stored(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A dose of 202203200015 was kept as that number in data_clean/ (the scan read only text
    columns), and a deft of it was written in clear into the rejects, which the scan then
    found and stopped the run on, naming no file."""
    typed = FIRST.replace("-", "")
    rows = {"children": [child(0, "Norrbyåsen"), child(1, "Söderängen")], **EVENTS,
            "vaccinations": [f"{FIRST};2021-04-04;Infanrix hexa;{typed}"]}
    folder = write_study(tmp_path / "s", rows,
                         study={"design": DESIGN, "inputs": {
                             **STUDY["inputs"], "dental": "tandhalsa.csv"}})
    (folder / "tandhalsa.csv").write_text(f"personnummer;datum;deft\n{FIRST};2023-02-01;{typed}\n"
                                          f"{FIRST};2024-02-01;2\n", encoding="utf-8")
    root = tmp_path / "root"
    assert main(["run", str(folder), "--root", str(root), "--quiet", "--stages", "ingest", "clean"]) == 0
    out = capsys.readouterr()
    assert typed not in out.out + out.err
    clean = root / "data_clean" / "tiny" / "clean"
    vaccinations = pd.read_parquet(clean / "vaccinations.parquet")
    assert vaccinations["dose_number_recorded"].isna().tolist() == [True]  # the row kept, its dose unknown
    dental = pd.read_parquet(clean / "dental.parquet")
    assert dental["deft"].tolist()[1] == 2 and pd.isna(dental["deft"].tolist()[0])
    issues = pd.read_parquet(clean / "value_issues.parquet")
    assert sorted(issues[["table", "source_row", "column", "value", "issue"]].values.tolist()) == [
        ["dental", 2, "deft", "#" * 12, "personnummer_set_missing"],
        ["vaccinations", 2, "dose_number_recorded", "#" * 12, "personnummer_set_missing"]]
    for path in clean.glob("*.parquet"):  # the scan of data_clean/ reads number columns too
        assert not scan_file_for_personnummer(path), path


def test_the_scan_reads_whole_numbers_of_number_columns(tmp_path: Path) -> None:
    path = tmp_path / "t.parquet"
    pd.DataFrame({"dose": pd.array([1, 198112189876, None], dtype="Int64"), "cni": [1.5, 2.0, 3.0],
                  "source_row": [2, 3, 4]}).to_parquet(path)
    assert scan_file_for_personnummer(path) == ["############"]
    pd.DataFrame({"dose": [1, 2], "cni": [1.98112189876e11 + 0.5, 2.5e12]}).to_parquet(path)
    assert scan_file_for_personnummer(path) == []  # not whole, or more than 12 digits
    # a 10-digit number of a birth in 2000-2009 written as a number loses its 0; a typo of 19
    # digits (beyond a float's exact integers) is read, not a stop
    pd.DataFrame({"dose": pd.array([503121238, 2**60, 1_500_000_000], dtype="Int64")}).to_parquet(path)
    assert scan_file_for_personnummer(path) == ["##########"]
    pd.DataFrame({"note": ["ring 8112\ufeff18-9876", "nej"]}).to_parquet(path)  # a BOM inside the digits
    assert scan_file_for_personnummer(path) == ["######-####"]


# --- an export that ends well before the extraction date -------------------------------------

def test_an_export_that_ends_well_before_the_extraction_date_is_told(tmp_path: Path) -> None:
    """1,000 visits a day apart from 2021-01-01 and three typed a year on (2025): the export
    ends where all but 0.5 % of its 1,003 dates lie, numpy's 'lower' quantile at 0.995 of the
    sorted dates, position floor(0.995 x 1,002) = 996: day 996, 2023-09-24 (730 days to
    2023-01-01, then 266). The extraction date written in study.yml, 2024-06-30, is 280 days
    after it, where the export's pace in its last 90 days (90 visits: one a day) would have
    put some 280 visits. Told when every event export ends so, as here with the breastfeeding."""
    from pipeline.stages.clean import export_end, export_end_notes

    days = [pd.Timestamp("2021-01-01") + pd.Timedelta(days=d) for d in range(1000)]
    dates = pd.Series(days + [pd.Timestamp("2025-03-01")] * 3)
    end = export_end(dates, "besok.csv", "visit_date")
    assert end.end == pd.Timestamp("2023-09-24")
    assert (end.events, end.later) == (997, 6)  # days 0-996; 997-999 and the three of 2025
    assert end.per_day == pytest.approx(1.0)
    extraction = pd.Timestamp("2024-06-30").date()
    assert end.gap(extraction) == 280  # 7 days to October, 244 from October to May, 29 in June
    feeding = export_end(pd.Series(pd.date_range("2021-01-01", "2023-09-20", freq="12h")), "amning.csv",
                         "assessment_date")
    [note] = export_end_notes([end, feeding], extraction)
    assert note.startswith("Every event export ends well before the extraction_date 2024-06-30")
    assert ("besok.csv's visit_dates on 2023-09-24, 280 days before it (997 from 2021-01-01 and 6 later"
            in note)
    assert "some 280 would fall in those days" in note and "set extraction_date" in note
    assert "amning.csv's assessment_dates on 2023-09-1" in note  # 0.5 % of 2 a day: 5 days before
    # one export alone ending so is no sign (a programme's visits end when it does): no line
    other = export_end(pd.Series(pd.date_range("2021-01-01", "2024-06-30", freq="D")), "amning.csv",
                       "assessment_date")
    assert export_end_notes([end, other], extraction) == []
    assert export_end_notes([end], extraction) == []


@pytest.mark.parametrize("last, events, named", [
    ("2024-05-15", 1200, False),  # a quiet summer: 46 days, fewer than 90
    ("2023-12-01", 12, False),  # a sparse export: 12 events 90 days apart give 2 in its 212 days
    ("2024-03-31", 1200, True),  # 91 days (97 from its end: all but 0.5 % of the dates) at a daily pace
])
def test_a_quiet_summer_or_a_sparse_export_is_not_told(last: str, events: int, named: bool) -> None:
    from pipeline.stages.clean import export_end, export_end_notes

    dates = pd.Series(pd.date_range(end=last, periods=events, freq="D" if events > 100 else "90D"))
    both = [export_end(dates, name, "visit_date") for name in ("x.csv", "y.csv")]
    assert bool(export_end_notes(both, pd.Timestamp("2024-06-30").date())) is named


def test_validate_and_run_say_that_every_export_ends_a_year_before_the_extraction_date(
        small_study: tuple[Path, Path, dict], tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The 600-child synthetic study's exports run up to its extraction date: no line. With
    the date written a year late, every event export is named, once, in one line."""
    _, folder, _ = small_study
    assert main(["validate", str(folder), "--root", str(tmp_path / "r0")]) == 0
    assert "ends well before the extraction_date" not in capsys.readouterr().out
    late = tmp_path / "late"
    shutil.copytree(folder, late)
    config = yaml.safe_load((late / "study.yml").read_text(encoding="utf-8"))
    extraction = pd.Timestamp(config["extraction_date"]) + pd.DateOffset(years=1)
    config["extraction_date"] = extraction.date()
    (late / "study.yml").write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
    assert main(["validate", str(late), "--root", str(tmp_path / "r1")]) == 0
    out = capsys.readouterr().out
    [line] = [line for line in out.splitlines() if "ends well before" in line]
    said = f"Every event export ends well before the extraction_date {extraction:%Y-%m-%d}"
    assert line.startswith(f"  note: {said}")
    for name in ("visits", "vaccinations", "breastfeeding", "language"):
        file = config["inputs"][name]
        assert f"{file if isinstance(file, str) else file['file']}'s" in line
    assert main(["run", str(late), "--root", str(tmp_path / "r1"), "--stages", "ingest", "clean"]) == 0
    assert f"ingest + clean: note: {said}" in capsys.readouterr().out


def test_an_export_that_tapers_off_as_its_cohort_ages_out_is_not_told() -> None:
    """A study of children born up to mid-2022, extracted 2024-06-30 (the review's s7, cut): its
    vaccinations thin out as the last children pass their doses and end months before the
    extraction, which was called early ("set extraction_date to that day") for a complete
    export. The care contacts of those children go on to the extraction date: not every export
    ends early, and nothing is said."""
    from pipeline.stages.clean import export_end, export_end_notes

    busy = pd.date_range("2020-01-01", "2023-12-24", periods=2800)
    doses = pd.Series(busy.append(pd.date_range("2024-01-01", "2024-03-23", periods=10)))
    contacts = pd.Series(pd.date_range("2020-01-01", "2024-06-30", freq="D"))
    ends = [export_end(doses, "vaccinationer.csv", "dose_date"),
            export_end(contacts, "vardkontakter.csv", "contact_date")]
    extraction = pd.Timestamp("2024-06-30").date()
    assert ends[0].early(extraction) and not ends[1].early(extraction)
    assert export_end_notes(ends, extraction) == []


def test_a_moved_out_date_before_birth_is_set_missing_and_listed(tmp_path: Path) -> None:
    """A review wrote 1900-01-01, an export's "no date", as 40 children's moved-out date: each
    was set missing (the child counted as living in the area) with no line anywhere. Now each
    is a value issue of its row; a date after the birth is kept."""
    rows = [child(0, "Norrbyåsen") + ";1900-01-01", child(1, "Norrbyåsen") + ";2022-05-01",
            child(2, "Söderängen") + ";", child(3, "Söderängen") + ";1900-01-01"]
    folder = study_of(tmp_path, rows)
    inputs = yaml.safe_load((folder / "study.yml").read_text(encoding="utf-8"))["inputs"]
    children = folder / inputs["children"]
    children.write_text("\n".join([HEADER + ";utflyttad", *rows]) + "\n", encoding="utf-8")
    result = run_ingest_clean(load_study(folder))
    frame = result.tables["children"].frame
    moved = dict(zip(frame["source_row"], frame["moved_out_date"], strict=True))
    assert pd.isna(moved[2]) and moved[3] == pd.Timestamp("2022-05-01")
    assert pd.isna(moved[4]) and pd.isna(moved[5])
    issues = result.value_issues[result.value_issues["column"].eq("moved_out_date")]
    assert issues["source_row"].tolist() == [2, 5]
    assert set(issues["issue"]) == {"moved_out_before_birth_set_missing"}
    assert issues["value"].tolist() == ["1900-01-01", "1900-01-01"]
    assert text.value_issue_label("moved_out_before_birth_set_missing", "sv") == (
        "Utflyttningsdatum före barnets födelse: satt som saknat")


def test_area_names_garbled_by_a_double_encoding_are_named_with_the_fix(tmp_path: Path) -> None:
    """A review saved the children export's UTF-8 as Windows-1252 and then as UTF-8 again: every
    design area was missing, and the fix offered was an area_map line per spelling. The message
    names the garbling and that the file must be exported again."""
    garbled = ["Norrbyåsen".encode().decode("cp1252"), "Söderängen".encode().decode("cp1252")]
    assert garbled == ["NorrbyÃ¥sen", "SÃ¶derÃ¤ngen"]
    folder = study_of(tmp_path, [child(i, garbled[i % 2]) for i in range(6)])
    with pytest.raises(ConfigError) as stopped:
        run_ingest_clean(load_study(folder))
    message = str(stopped.value)
    assert ("area 'Norrbyåsen' does not occur in the children export (column omrade) (the export writes "
            "it 'NorrbyÃ¥sen': its UTF-8 text was read as Windows-1252 and saved as UTF-8 again") in message
    assert "export it again from the source system as 'CSV UTF-8'" in message
    assert "area_map" not in message


def test_a_study_folder_whose_path_holds_a_personnummer_stops_at_config_time(tmp_path: Path) -> None:
    """data_clean/<study>/study_file.txt kept 'data_raw/uttag_19811218-9876/study.yml' as it stood
    (a tester): the folder is refused when the study file is read, its path masked."""
    number = pnr("19811218", "987")
    folder = spellings_study(tmp_path / f"uttag_{number}")
    with pytest.raises(ConfigError) as error:
        load_study(folder)
    said = str(error.value)
    assert "holds a personnummer-like number in its path" in said and "rename the folder" in said
    assert "uttag_########-####" in said


def test_validate_prints_an_exports_notes_masked(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    """`validate` printed "column(s) not read …: 'kommentar 19811218-9876'" as it stood, where `run`
    masks the same note (a tester)."""
    number = pnr("19811218", "987")
    folder = spellings_study(tmp_path / "s")
    path = folder / "barn.csv"
    lines = path.read_text(encoding="utf-8").splitlines()
    path.write_text("\n".join([lines[0] + f";kommentar {number}", *(line + ";" for line in lines[1:])])
                    + "\n", encoding="utf-8")
    assert main(["validate", str(folder), "--root", str(tmp_path)]) == 0
    printed = capsys.readouterr()
    assert "kommentar ########-####" in printed.out
    assert number not in printed.out + printed.err and number[2:] not in printed.out


def test_an_offer_dated_1900_is_no_offer_and_an_acceptance_without_a_date_is_one(tmp_path: Path) -> None:
    """A tester wrote the export's "no date", 1900-01-01, into every blank `erbjuden`: every family
    counted as offered (3,000 where 336 were), with no line anywhere; a family that accepted with
    no offer date left the flow's accepted silently; an offer dated 2030 was kept without a word.
    Each is now a value issue of its row; the placeholder is no offer, an acceptance is one."""
    rows = [child(0, "Norrbyåsen") + ";1900-01-01;", child(1, "Norrbyåsen") + ";2021-03-01;ja",
            child(2, "Söderängen") + ";;ja", child(3, "Söderängen") + ";2030-05-01;nej",
            child(4, "Söderängen") + ";;"]
    folder = study_of(tmp_path, rows)
    inputs = yaml.safe_load((folder / "study.yml").read_text(encoding="utf-8"))["inputs"]
    (folder / inputs["children"]).write_text("\n".join([HEADER + ";erbjuden;tackat_ja", *rows]) + "\n",
                                             encoding="utf-8")
    result = run_ingest_clean(load_study(folder))
    frame = result.tables["children"].frame.set_index("source_row")
    assert frame["offered_date"].isna().tolist() == [True, False, True, False, True]
    issues = result.value_issues[result.value_issues["table"].eq("children")]
    assert sorted(zip(issues["source_row"], issues["column"], issues["issue"], strict=True)) == [
        (2, "offered_date", "no_date_placeholder_set_missing"),
        (4, "accepted", "accepted_without_offer_date_counted_offered"),
        (5, "offered_date", "date_after_extraction_kept")]
    assert text.value_issue_label("no_date_placeholder_set_missing", "en") == (
        "Date before 1901 (the export's \"no date\", such as 1900-01-01): set missing")
    from pipeline.stages.cohort import cohort_base
    children = result.tables["children"].frame.sort_values("source_row")
    offered = cohort_base(load_study(folder), children.reset_index(drop=True))["offered"]
    assert offered.tolist() == [False, True, True, True, False]


def test_an_impossible_birth_date_gives_way_to_the_personnummers(tmp_path: Path) -> None:
    """A tester's 1900-01-01 (an export's "no date") in `fodelsedatum` took 197 children out of the
    analyses as born before born_from, and a 2031 rejected 5 valid children with their 164 events,
    with no word. The personnummer's date is used, and each such row listed with the export's
    value; a plausible date that differs stays a conflict kept as given."""
    rows = [child(0, "Norrbyåsen") + ";1900-01-01", child(1, "Norrbyåsen") + ";2031-05-04",
            child(2, "Söderängen") + ";2021-01-05", child(3, "Söderängen") + ";"]
    folder = study_of(tmp_path, rows)
    inputs = yaml.safe_load((folder / "study.yml").read_text(encoding="utf-8"))["inputs"]
    (folder / inputs["children"]).write_text("\n".join([HEADER + ";fodelsedatum", *rows]) + "\n",
                                             encoding="utf-8")
    result = run_ingest_clean(load_study(folder))
    frame = result.tables["children"].frame.set_index("source_row").sort_index()
    assert frame["birth_date"].dt.strftime("%Y-%m-%d").tolist() == [
        "2021-01-01", "2021-01-02", "2021-01-05", "2021-01-04"]
    assert result.tables["children"].rejects.empty
    issues = result.value_issues[result.value_issues["column"].eq("birth_date")]
    assert sorted(zip(issues["source_row"], issues["issue"], issues["value"], strict=True)) == [
        (2, "impossible_date_personnummer_used", "1900-01-01"),
        (3, "impossible_date_personnummer_used", "2031-05-04"),
        (4, "contradicts_personnummer_kept", "2021-01-05")]


def test_an_export_named_in_another_case_is_named_in_the_message(tmp_path: Path) -> None:
    """study.yml's 'barn.csv' beside a file 'Barn.CSV' was only "not found" (a tester)."""
    folder = spellings_study(tmp_path / "s")
    inputs = yaml.safe_load((folder / "study.yml").read_text(encoding="utf-8"))["inputs"]
    (folder / inputs["children"]).rename(folder / inputs["children"].capitalize().replace(".csv", ".CSV"))
    with pytest.raises(ConfigError) as error:
        load_study(folder)
    assert (f"inputs.children: file '{inputs['children']}' not found in {folder}; put the export there or "
            "correct the file name (the folder has 'Barn.CSV': is it that one?") in str(error.value)
