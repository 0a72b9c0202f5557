"""The follow-up parts (issue 12): an optional export read, checked and accounted like the core
tables, its part's tables computed, suppressed and shown only when the export is given; and
part 1, counselling conversations, against hand-computed counts, shares and intervals."""

from __future__ import annotations

import datetime as dt
import json
import sys
from pathlib import Path
from types import ModuleType, SimpleNamespace

import numpy as np
import pandas as pd
import pytest
import yaml
from studykit import STUDY, bad_check, pnr, write_study

from pipeline import followup, outputs, parsing, privacy, schema, tables, text
from pipeline.config import load_study
from pipeline.errors import ConfigError, InputFileError
from pipeline.followup import conversations
from pipeline.publish import PUBLISHERS, publish_tables
from pipeline.runner import run_ingest_clean, run_study
from pipeline.stages import clean as clean_stage
from pipeline.stages import followup as followup_stage

A = pnr("20210304", "123")
B = pnr("20220510", "246")
OUTSIDE = pnr("20200101", "002")  # a valid personnummer of a child not in the children table
NOTEBOOK = Path(__file__).resolve().parents[1] / "notebooks" / "evaluation.ipynb"

CORE = {"children": [f"{A};Norrby;ja;Utanför Europa;förgymnasial;ja;29;3450",
                     f"{B};Söderby;nej;Sverige;eftergymnasial;nej;31;3100"],
        "visits": [f"{A};2021-03-14;hembesök;genomfört;BVC-sjuksköterska;mamma;nej"],
        "breastfeeding": [f"{A};20210310;helt ammad"], "vaccinations": [f"{A};2021-06-04;Priorix;"],
        "language": [f"{B};2023-06-01;3 år;utan anmärkning;nej"]}
SAMTAL = [
    f"{A};;2021-04-01;Norrby;Stödsamtal;ja;nej",
    f"{A};;2021-04-01;Norrby;Stödsamtal;ja;nej",  # exact duplicate
    ";F-1;2021-04-15;NORRBY;Rådgivande samtal;JA;Ja",  # a family id; the area folds to Norrby
    ";f-1 ;2021-05-02;Norrby;;1;0",  # the same family, spelled otherwise
    ";F-2;20210503;Söderby;;x;",  # a tick-box district: its blank is "no"
    ";;2021-05-04;Norrby;;ja;ja",  # id_missing
    f"{bad_check(A)};;2021-05-05;Norrby;;ja;nej",  # pnr_check_digit
    ";F-3;2025-01-01;Norrby;;ja;nej",  # date_after_extraction
    f"{A};;2021-01-01;Norrby;;ja;nej",  # date_before_birth (A is born 2021-03-04)
    ";F-4;2021-13-45;Norrby;;ja;nej",  # date_unparseable
    f"{OUTSIDE};;2021-06-01;Norrby;;nej;ja",  # not in the children table: kept
]
WITH_SAMTAL = {"inputs": {**STUDY["inputs"], "conversations": "samtal.csv"}, "max_rejected_share": 0.6}


# --- the framework -----------------------------------------------------------------------------------

def test_every_part_is_taken_from_its_module_names() -> None:
    parts = followup.part_modules()
    assert [p.__name__ for p in parts] == [f"pipeline.followup.{name}" for name in followup.PARTS]
    for part in parts:
        assert not part.EXPORT.required and schema.TABLES[part.EXPORT.name] is part.EXPORT
        assert part.EXPORT.name in schema.input_tables() and part.EXPORT.name not in schema.TABLE_ORDER
        for table in part.OUTPUTS:
            assert outputs.CATALOG[table.name] is table and table.stage == "followup"
            assert table.name in outputs.TABLE_NAMES
        for column, kind in followup.optional(part, "NEW_COLUMN_KINDS", {}).items():
            assert outputs.ALL_COLUMN_KINDS[column] == kind  # a column name keeps one kind
        assert set(part.PUBLISHERS) <= set(PUBLISHERS)
    assert schema.input_tables({"children": 1}) == schema.TABLE_ORDER
    assert set(outputs.tables_of("followup")) == set(followup_stage.part_tables())


def test_study_file_may_name_an_optional_export_or_leave_it_out(tmp_path: Path) -> None:
    without = load_study(write_study(tmp_path / "without", CORE))
    assert "conversations" not in without.inputs and followup_stage.given_exports(without) == ()
    given = load_study(write_study(tmp_path / "with", {**CORE, "conversations": SAMTAL},
                                   study=WITH_SAMTAL))
    assert followup_stage.given_exports(given) == ("conversations",)
    bad = write_study(tmp_path / "bad", {}, study={"column_map": {"conversations": {"Datum": "datum"}}})
    config = yaml.safe_load((bad / "study.yml").read_text(encoding="utf-8"))
    config["inputs"]["samtal"] = "barn.csv"
    (bad / "study.yml").write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
    with pytest.raises(ConfigError,
                       match=r"unknown table\(s\) \['samtal'\].*optional, \['care_contacts', 'dental', "
                             r"'costs', 'conversations'"):
        load_study(bad)


def test_an_optional_export_is_ingested_cleaned_and_accounted(tmp_path: Path) -> None:
    study = load_study(write_study(tmp_path / "s", {**CORE, "conversations": SAMTAL},
                                   study=WITH_SAMTAL))
    result = run_ingest_clean(study)
    reasons = clean_stage.rejects_by_reason(result)
    assert reasons[reasons["table"] == "conversations"].set_index("reason")["rows"].to_dict() == {
        "id_missing": 1, "pnr_check_digit": 1, "date_after_extraction": 1, "date_before_birth": 1,
        "date_unparseable": 1}
    quality = clean_stage.accounting(result).set_index("table").loc["conversations"]
    assert (quality["source_file"], quality["rows_read"], quality["rows_clean"], quality["rows_rejected"],
            quality["rows_duplicate"]) == ("samtal.csv", 11, 5, 5, 1)
    clean = result.tables["conversations"].frame.set_index("source_row")
    child_of_a = result.tables["children"].frame.set_index("source_row").loc[2, "child_id"]
    assert clean.loc[2, "child_id"] == child_of_a  # the same key and pseudonym as the children's
    assert pd.isna(clean.loc[4, "child_id"]) and clean.loc[4, "family_id"] == clean.loc[5, "family_id"]
    assert clean.loc[4, "family_id"] != clean.loc[6, "family_id"]
    assert clean["family_id"].dropna().str.fullmatch(f"[{privacy.PSEUDONYM_ALPHABET}]{{20}}").all()
    assert clean.loc[4, "area"] == "Norrby" and clean.loc[4, "mother_present"]
    assert pd.isna(clean.loc[6, "father_present"])  # read as "no" by the part, not by clean
    assert pd.notna(clean.loc[12, "child_id"])  # a child outside the children table is kept
    stored = clean.astype(str).to_csv()
    assert "F-1" not in stored and "personnummer" not in clean.columns and A not in stored


def test_a_conversations_area_outside_the_design_is_said_and_a_garbled_one_stops(tmp_path: Path) -> None:
    """A review's samtal.csv named 'Norrbyasen BVC' and a garbled 'SÃ¶derÃ¤ngen': both were
    published as areas of their own, with no word."""
    outside = [*SAMTAL, ";F-9;2021-06-02;Norrby BVC;;ja;nej", ";F-9;2021-06-09;Norrby BVC;;ja;ja"]
    study = load_study(write_study(tmp_path / "s", {**CORE, "conversations": outside}, study=WITH_SAMTAL))
    notes = run_ingest_clean(study).notes
    assert ("samtal.csv (conversations): 1 area(s) none of the design's, each published as an area of its "
            "own: 'Norrby BVC' (2 row(s); nearest design area 'Norrby'); if one is a design area, say so in "
            "study.yml area_map") in notes
    garbled = [*SAMTAL, ";F-9;2021-06-02;SÃ¶derby;;ja;nej".replace("Ã¶", "Ã¶")]
    study = load_study(write_study(tmp_path / "g", {**CORE, "conversations": garbled}, study={
        **WITH_SAMTAL, "design": {**STUDY["design"], "comparison_areas": ["Söderby"]}}))
    with pytest.raises(InputFileError, match="the area 'SÃ¶derby' is 'Söderby' garbled"):
        run_ingest_clean(study)


def test_an_export_without_any_identifier_column_stops_with_the_fix(tmp_path: Path) -> None:
    folder = write_study(tmp_path / "s", CORE, study=WITH_SAMTAL)
    (folder / "samtal.csv").write_text("datum;omrade;mamma_narvarande\n2021-04-01;Norrby;ja\n",
                                       encoding="utf-8")
    with pytest.raises(InputFileError, match="one of the columns missing: 'personnummer' .* or 'familj_id'"):
        run_ingest_clean(load_study(folder))


def test_the_followup_stage_runs_a_part_only_when_its_export_is_given(tmp_path: Path) -> None:
    folder = write_study(tmp_path / "data_raw" / "tiny", {**CORE, "conversations": SAMTAL},
                         study=WITH_SAMTAL)
    root = tmp_path / "root"
    summary = run_study(folder, root, stages=["ingest", "clean", "followup"])
    tables_dir = summary.outputs / "tables"
    names = {table.name for table in conversations.OUTPUTS}  # the one export given
    others = set(followup_stage.part_tables()) - names
    assert names <= {p.stem for p in tables_dir.glob("*.csv")}
    assert not others & {p.stem for p in tables_dir.glob("*")}
    for name in names:
        written = pd.read_csv(tables_dir / f"{name}.csv")
        declared = list(outputs.CATALOG[name].columns)
        assert list(written.columns[:len(declared)]) == declared
    rows = {s.stage: s.rows for s in summary.stages}
    assert set(rows["followup"]) == names
    quality = pd.read_csv(tables_dir / "data_quality.csv").set_index("table")
    assert quality.loc["conversations", "rows_read"] == len(SAMTAL)
    # the export taken out of study.yml: its tables go, and the stage has nothing to do
    config = yaml.safe_load((folder / "study.yml").read_text(encoding="utf-8"))
    config["inputs"].pop("conversations")
    (folder / "study.yml").write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
    again = run_study(folder, root, stages=["ingest", "clean", "followup"])
    assert not names & {p.stem for p in tables_dir.glob("*")}
    assert {s.stage: s.rows for s in again.stages}["followup"] == {}
    assert followup_stage.followup(load_study(folder), {}) == {}


def _ratings_part() -> ModuleType:
    """A part of another shape, made here from the contract alone: no personnummer, a score on
    a scale of its own, a profession in spellings of its own."""
    from pipeline.outputs import COUNTS_EXPORT_ROWS, OutputTable
    from pipeline.stages.ingest import REJECT_COLUMNS
    from pipeline.words import Words

    part = ModuleType("pipeline.followup.ratings")
    part.EXPORT = schema.Table(
        "ratings", "rating", (schema.Column("area", "omrade", "text", required=True),
                              schema.Column("rating_date", "datum", "date", required=True),
                              schema.Column("score", "poang", "integer", label=Words("Poäng", "Score")),
                              schema.Column("profession", "yrke", "category", vocabulary="rating_profession",
                                            label=Words("Yrke", "Profession"))),
        required=False, title=Words("Skattningar", "Ratings"), rows=Words("skattningar", "ratings"))
    part.VOCABULARIES = {"rating_profession": {"bvc": "bvc_nurse", "socialtjänst": "parental_advisor"}}
    part.REJECT_REASONS = {"score_off_scale": Words("Poäng utanför skalan", "Score off the scale")}

    def reject_rows(export: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
        off = (export["score"] > 5).fillna(False).to_numpy(dtype=bool)
        refused = export.loc[off].assign(table="ratings", reason="score_off_scale", column="score",
                                         value=export.loc[off, "score"].astype(str))
        return export.loc[~off], refused[REJECT_COLUMNS]

    part.reject_rows = reject_rows
    part.OUTPUTS = (OutputTable("ratings_by_area", "followup", ("area", "ratings"), Words("Skattningar",
                                "Ratings"), Words("områden", "areas"), COUNTS_EXPORT_ROWS,
                                outputs.DISTRICT_ROWS),)
    part.NEW_COLUMN_KINDS = {"ratings": outputs.COUNT}
    part.compute = lambda export, study: {"ratings_by_area": part.OUTPUTS[0].frame(
        export.groupby("area").size().rename("ratings").reset_index().to_dict("records"))}
    part.PUBLISHERS = {}
    part.section = lambda tables, language, *, technical: [followup.Text("## Skattningar")]
    part.synthetic = lambda rng, areas, start, end: pd.DataFrame({
        "omrade": areas, "datum": str(start), "poang": rng.integers(1, 6, len(areas)), "yrke": "bvc"})
    part.SYNTHETIC_AREAS = "all"
    part.SYNTHETIC_SETTINGS = {"rating_scale": {"top": 5}}
    return part


def test_a_part_is_taken_whole_from_its_module(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A new part is its module and one entry in PARTS: read (its vocabulary), cleaned (its own
    rejects too), accounted, computed and published with no word of it anywhere else."""
    monkeypatch.setitem(sys.modules, "pipeline.followup.ratings", _ratings_part())
    monkeypatch.setattr(followup, "PARTS", ("ratings",))
    assert "ratings" in schema.TABLES and "ratings_by_area" in outputs.CATALOG
    assert "conversations" not in schema.TABLES and "conversations_by_area" not in outputs.TABLE_NAMES
    assert outputs.CATALOG["ratings_by_area"].kind("ratings") == outputs.COUNT
    ratings = ["Norrby;2021-05-01;4;BVC", "Norrby;2021-05-02;5;Socialtjänst", "Söderby;2025-01-01;3;bvc",
               "Söderby;2021-06-01;x;kurator", "Söderby;2021-06-02;9;bvc",
               "Norrby;2021-05-01;4;BVC"]  # the same rating by another respondent: no id, kept
    folder = write_study(tmp_path / "data_raw" / "tiny", CORE,
                         study={"inputs": {**STUDY["inputs"], "ratings": "skattningar.csv"},
                                "max_rejected_share": 0.5})
    (folder / "skattningar.csv").write_text("omrade;datum;poang;yrke\n" + "\n".join(ratings) + "\n",
                                            encoding="utf-8")
    summary = run_study(folder, tmp_path / "root", stages=["ingest", "clean", "followup"])
    tables_dir = summary.outputs / "tables"
    quality = pd.read_csv(tables_dir / "data_quality.csv").set_index("table").loc["ratings"]
    assert quality[["rows_read", "rows_clean", "rows_rejected", "rows_duplicate"]].tolist() == [6, 4, 2, 0]
    reasons = pd.read_csv(tables_dir / "rejects_by_reason.csv").query("table == 'ratings'")
    assert reasons.set_index("reason")["rows"].to_dict() == {"date_after_extraction": 1, "score_off_scale": 1}
    assert pd.read_csv(tables_dir / "ratings_by_area.csv").set_index("area")["ratings"].to_dict() == {
        "Norrby": 3, "Söderby": 1}
    values = pd.read_csv(tables_dir / "value_issues.csv").query("table == 'ratings'")
    assert sorted(values["column"]) == ["profession", "score"]  # 'kurator' and 'x' set missing
    clean = pd.read_parquet(summary.data_clean / "clean" / "ratings.parquet")
    assert set(clean["profession"].dropna()) == {"bvc_nurse", "parental_advisor"}
    assert text.label("column", "score", "en") == "Score"
    assert text.label("reason", "score_off_scale", "sv") == "Poäng utanför skalan"
    from pipeline.synth import write_synthetic_study

    made = write_synthetic_study(tmp_path / "synth", n_children=20, seed=4)
    written = pd.read_csv(made.files["ratings"], sep=";", encoding="utf-8-sig")
    assert len(written) == 10  # SYNTHETIC_AREAS = "all": every design area
    assert 'rating_scale: {"top": 5}' in made.study_file.read_text(encoding="utf-8")


def test_a_part_s_settings_are_fields_of_the_study_file(tmp_path: Path, monkeypatch) -> None:
    from pydantic import BaseModel, ConfigDict

    from pipeline import config

    class Scale(BaseModel):
        model_config = ConfigDict(extra="forbid")
        top: int = 10

    part = _ratings_part()
    part.STUDY_SETTINGS = {"rating_scale": Scale}
    monkeypatch.setitem(sys.modules, "pipeline.followup.ratings", part)
    monkeypatch.setattr(followup, "PARTS", ("ratings",))
    assert config.part_settings() == {"rating_scale": Scale}
    model = config.study_model(config.part_settings())
    raw = yaml.safe_load(write_study(tmp_path / "s", CORE).joinpath("study.yml").read_text(encoding="utf-8"))
    assert model.model_validate({**raw, "folder": tmp_path / "s"}).rating_scale is None
    assert model.model_validate({**raw, "rating_scale": {"top": 5}}).rating_scale.top == 5
    with pytest.raises(config.ValidationError, match="rating_scale.tpo"):
        model.model_validate({**raw, "rating_scale": {"tpo": 5}})
    part.STUDY_SETTINGS = {"min_cell": int}
    with pytest.raises(ValueError, match="names 'min_cell', which the study file already has"):
        config.part_settings()


# --- conversations: hand-computed tables ---------------------------------------------------------------

def _conversation(area: str, date: str, family: str, mother: object, father: object) -> dict:
    return {"child_id": pd.NA, "family_id": family, "conversation_date": pd.Timestamp(date), "area": area,
            "conversation_kind": pd.NA, "mother_present": mother, "father_present": father}


def hand_made(extraction: str = "2021-03-31") -> tuple[pd.DataFrame, SimpleNamespace]:
    """Norrby (ja/nej): January 10 conversations with 9 families (mother only 6, both 3, father
    only 1), none in February, March 14 with 14 families (family a again; mother only 6, both 5,
    father only 1, neither 1, one with the father unrecorded). Söderby (a tick-box export, never
    "no"): March 5 with 5 families (family a among them; mother only 3, both 1, neither 1)."""
    rows = []
    january = ["a", "a", "b", "c", "d", "e", "f", "g", "h", "i"]
    for number, (mother, father) in enumerate([(True, False)] * 6 + [(True, True)] * 3 + [(False, True)]):
        rows.append(_conversation("Norrby", f"2021-01-{number + 2:02d}", january[number], mother, father))
    march = ["a", *(f"n{k}" for k in range(13))]
    who = [(True, False)] * 6 + [(True, True)] * 5 + [(False, True), (False, False), (True, pd.NA)]
    for number, (mother, father) in enumerate(who):
        rows.append(_conversation("Norrby", f"2021-03-{number + 2:02d}", march[number], mother, father))
    for number, (mother, father) in enumerate([(True, pd.NA)] * 3 + [(True, True), (pd.NA, pd.NA)]):
        family = ["a", "s1", "s2", "s3", "s4"][number]
        rows.append(_conversation("Söderby", f"2021-03-{number + 10:02d}", family, mother, father))
    frame = pd.DataFrame(rows).astype({"mother_present": "boolean", "father_present": "boolean",
                                       "family_id": "string", "child_id": "string"})
    study = SimpleNamespace(extraction_date=dt.date.fromisoformat(extraction),
                            design=SimpleNamespace(areas=("Norrby", "Söderby")))
    return frame, study


def test_conversations_by_area_hand_computed() -> None:
    frame, study = hand_made()
    by_area = conversations.compute(frame, study)["conversations_by_area"].set_index("area")
    norrby, soderby, everyone = by_area.loc["Norrby"], by_area.loc["Söderby"], by_area.loc["all"]
    assert list(by_area.index) == ["all", "Norrby", "Söderby"]
    counts = ["conversations", "families", "recorded", "with_mother", "with_father", "one_parent",
              "one_parent_mother"]
    assert norrby[counts].tolist() == [24, 22, 23, 20, 10, 14, 12]
    assert soderby[counts].tolist() == [5, 5, 5, 4, 1, 3, 3]  # blanks of a tick-box district are "no"
    assert everyone[counts].tolist() == [29, 26, 28, 24, 11, 17, 15]  # family a met in both: once
    assert (norrby["first_month"], norrby["months"], soderby["first_month"], everyone["months"]) == (
        "2021-01", 3.0, "2021-03", 4.0)
    # 24 conversations over 3 months: 8 a month, exact Poisson 15.377-35.710 (tables) / 3
    assert norrby["conversations_per_month"] == 8.0
    assert norrby["conversations_per_month_ci_low"] == pytest.approx(15.3773 / 3, abs=1e-4)
    assert norrby["conversations_per_month_ci_high"] == pytest.approx(35.7101 / 3, abs=1e-4)
    assert everyone["conversations_per_month"] == 29 / 4  # per district and month
    # shares by hand, with Wilson's interval: (p + z²/2n ± z√(p(1-p)/n + z²/4n²)) / (1 + z²/n)
    for share, events, n in (("share_with_mother", 20, 23), ("share_with_father", 10, 23),
                             ("share_one_parent_mother", 12, 14)):
        assert norrby[share] == pytest.approx(events / n)
        assert (norrby[f"{share}_ci_low"], norrby[f"{share}_ci_high"]) == pytest.approx(wilson(events, n))


def wilson(events: int, n: int, z: float = 1.959964) -> tuple[float, float]:
    p = events / n
    centre, half = p + z * z / (2 * n), z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return (centre - half) / (1 + z * z / n), (centre + half) / (1 + z * z / n)


def test_wilson_intervals_are_newcombes() -> None:
    """Newcombe (1998), Table I: 81/263 gives 0.2553-0.3662, 15/148 0.0624-0.1605, 0/20 0-0.1611."""
    rows = [_conversation("Norrby", "2021-01-05", f"f{k}", True, k < 81) for k in range(263)]
    rows += [_conversation("Söderby", "2021-01-05", f"s{k}", True, k < 15) for k in range(148)]
    rows += [_conversation("Tallmyra", "2021-01-05", f"t{k}", False, True) for k in range(20)]
    frame = pd.DataFrame(rows).astype({"mother_present": "boolean", "father_present": "boolean"})
    _, study = hand_made()
    by_area = conversations.compute(frame, study)["conversations_by_area"].set_index("area")
    low, high = by_area.loc["Norrby", ["share_with_father_ci_low", "share_with_father_ci_high"]]
    assert (round(low, 4), round(high, 4)) == (0.2553, 0.3662)
    low, high = by_area.loc["Söderby", ["share_with_father_ci_low", "share_with_father_ci_high"]]
    assert (round(low, 4), round(high, 4)) == (0.0624, 0.1605)
    tallmyra = by_area.loc["Tallmyra"]  # outside the design: listed after its areas
    assert (tallmyra["share_one_parent_mother"], tallmyra["share_one_parent_mother_ci_low"],
            round(tallmyra["share_one_parent_mother_ci_high"], 4)) == (0.0, 0.0, 0.1611)
    assert list(by_area.index) == ["all", "Norrby", "Söderby", "Tallmyra"]


def test_conversations_by_month_and_quarter_hand_computed() -> None:
    frame, study = hand_made()
    made = conversations.compute(frame, study)
    by_month = made["conversations_by_month"].set_index(["area", "month"])
    assert by_month["conversations"].to_dict() == {
        ("all", "2021-01"): 10, ("all", "2021-02"): 0, ("all", "2021-03"): 19,
        ("Norrby", "2021-01"): 10, ("Norrby", "2021-02"): 0, ("Norrby", "2021-03"): 14,
        ("Söderby", "2021-03"): 5}
    assert by_month.loc[("Norrby", "2021-01"), "families"] == 9
    assert by_month.loc[("all", "2021-03"), "families"] == 18  # family a in both districts counts once
    # 10 conversations: exact Poisson 4.795-18.390 (e.g. Sahai & Khurshid 1993); 0: 0-3.689
    limits = by_month[["conversations_ci_low", "conversations_ci_high"]].round(3)
    assert limits.loc[("Norrby", "2021-01")].tolist() == [4.795, 18.39]
    assert limits.loc[("all", "2021-02")].tolist() == [0.0, 3.689]
    assert by_month["days_observed"].tolist() == [31, 28, 31, 31, 28, 31, 31]
    trend = made["conversation_attendance"].set_index(["area", "quarter"])
    assert trend[["conversations", "recorded", "with_mother", "with_father"]].to_dict("index") == {
        ("all", "2021Q1"): {"conversations": 29, "recorded": 28, "with_mother": 24, "with_father": 11},
        ("Norrby", "2021Q1"): {"conversations": 24, "recorded": 23, "with_mother": 20, "with_father": 10},
        ("Söderby", "2021Q1"): {"conversations": 5, "recorded": 5, "with_mother": 4, "with_father": 1}}
    assert trend.loc[("all", "2021Q1"), "share_with_father"] == pytest.approx(11 / 28)


def test_a_trend_runs_to_the_extraction_date_in_quarters_and_part_months() -> None:
    frame, _ = hand_made()
    may = pd.DataFrame([_conversation("Norrby", "2021-05-03", "z", True, True)])
    later = pd.concat([frame, may.astype({"mother_present": "boolean", "father_present": "boolean"})],
                      ignore_index=True)
    _, study = hand_made("2021-05-15")
    made = conversations.compute(later, study)
    months = made["conversations_by_month"].set_index(["area", "month"])
    assert months.loc[("Norrby", "2021-05"), "days_observed"] == 15
    assert months.loc[("Söderby", "2021-05"), "conversations"] == 0
    norrby = made["conversations_by_area"].set_index("area").loc["Norrby"]
    assert norrby["months"] == round(4 + 15 / 31, 2)
    trend = made["conversation_attendance"].set_index(["area", "quarter"])
    assert trend.loc[("Norrby", "2021Q2"), ["conversations", "with_father"]].tolist() == [1, 1]
    assert trend.loc[("Söderby", "2021Q2"), "recorded"] == 0 and pd.isna(trend.loc[("Söderby", "2021Q2"),
                                                                                  "share_with_mother"])


def test_small_counts_are_hidden_and_cannot_be_worked_back() -> None:
    frame, study = hand_made()
    published = publish_tables(conversations.compute(frame, study), min_cell=5)
    by_area = published["conversations_by_area"].set_index("area")
    soderby = by_area.loc["Söderby"]
    assert soderby["with_mother"] == "<5" and soderby["with_father"] == "<5" and soderby["one_parent"] == "<5"
    assert pd.isna(soderby["share_with_father"]) and pd.isna(soderby["share_with_father_ci_low"])
    assert soderby["suppression"] == "small_count"
    # all districts' fathers = Norrby's + Söderby's: one of the two totals must go too
    assert by_area.loc["all", "with_father"] is None or by_area.loc["Norrby", "with_father"] is None
    months = published["conversations_by_month"].set_index(["area", "month"])
    assert months.loc[("all", "2021-02"), "conversations"] == 0  # a zero is never hidden
    for table in published.values():  # a hidden count takes what rests on it along
        for row in table.to_dict("records"):
            if row.get("conversations") in (None, "<5"):
                assert all(pd.isna(row.get(c)) for c in ("conversations_ci_low", "conversations_per_month"))


# --- the report ---------------------------------------------------------------------------------------

def _notebook_cells() -> tuple[str, str]:
    """The notebook's set-up cell and its follow-up cell, as the report runs them."""
    cells = json.loads(NOTEBOOK.read_text(encoding="utf-8"))["cells"]
    setup = "".join(cells[1]["source"])
    part = next("".join(c["source"]) for c in cells if "followup_sections" in "".join(c["source"]))
    return setup, part


def run_followup_cell(run_folder: Path, language: str, area: str = "all",
                      audience: str = "committee") -> list:
    """Execute the notebook's follow-up cell on a run folder; what it displays."""
    setup, part = _notebook_cells()
    shown: list = []
    namespace = {"study": "tiny", "run_folder": str(run_folder), "language": language, "area": area,
                 "audience": audience, "figures_dir": None, "figure_cache": None}
    exec(compile(setup, "setup", "exec"), namespace)  # noqa: S102 - the report's own notebook
    namespace["display"] = shown.append
    exec(compile(part, "followup", "exec"), namespace)  # noqa: S102
    return shown


def _shown_text(shown: list) -> str:
    return "\n".join(str(getattr(item, "data", item)) for item in shown)


@pytest.fixture
def run_folders(tmp_path: Path) -> tuple[Path, Path]:
    """(with the export, without it): hand-made tables published as a run writes them."""
    frame, study = hand_made()
    with_export = tmp_path / "with"
    (with_export / "tables").mkdir(parents=True)
    for name, table in publish_tables(conversations.compute(frame, study), min_cell=5).items():
        table.to_csv(with_export / "tables" / f"{name}.csv", index=False)
    without = tmp_path / "without"
    (without / "tables").mkdir(parents=True)
    for folder in (with_export, without):
        (folder / "manifest.json").write_text(json.dumps({"config": {"min_cell": 5}}))
    return with_export, without


@pytest.mark.parametrize(("language", "heading", "total"), [
    ("sv", "## Råd- och stödsamtal", "Alla områden"), ("en", "## Counselling conversations", "All areas")])
def test_the_report_shows_the_section_only_with_the_export(run_folders, language, heading, total) -> None:
    with_export, without = run_folders
    shown = _shown_text(run_followup_cell(with_export, language))
    assert heading in shown and total in shown
    assert shown.count('class="report-figure"') == 1 and shown.count('class="report-table"') == 1
    assert ("Figur 1." if language == "sv" else "Figure 1.") in shown
    assert "{" not in shown.replace("{\n", "")  # every placeholder filled
    technical = _shown_text(run_followup_cell(with_export, language, audience="technical"))
    assert technical.count('class="report-table"') == 3
    assert run_followup_cell(without, language) == []
    assert tables.followup_sections(tables.load_run(without)) == []


def test_an_area_report_shows_its_own_district(run_folders) -> None:
    with_export, _ = run_folders
    shown = _shown_text(run_followup_cell(with_export, "sv", area="Norrby"))
    assert "Norrby" in shown and "Söderby" not in shown and "Alla områden" not in shown
    assert text.phrase("own_district_rows", "sv") in shown
    assert "i genomsnitt 8,0 samtal per månad" in shown


def test_the_summary_says_what_stis_reported() -> None:
    row = {"area": "all", "first_month": "2017-09", "conversations": 4000, "families": 1200,
           "conversations_per_month": 24.0, "conversations_per_month_ci_low": 23.3,
           "conversations_per_month_ci_high": 24.8, "share_with_mother": 0.91, "share_with_father": 0.4,
           "share_one_parent_mother": 0.88, "suppressed": False}
    sv = conversations.summary_markdown(pd.DataFrame([row]), "sv").replace("\u00a0", " ")
    assert sv == ("Från september 2017 till uttaget hölls 4 000 samtal med 1 200 familjer, i genomsnitt 24,0 "
                  "samtal per område och månad (95 % KI 23,3–24,8). En mamma var med i 91 % av samtalen "
                  "där närvaron är känd och en pappa i 40 %. När bara en förälder kom var det mamman i 88 % "
                  "av samtalen.")
    # the shares are of the conversations with both presences recorded (a review: 1,889 of 2,099
    # recorded read as 90 % "of the conversations", of 2,137 held)
    hidden = conversations.summary_markdown(pd.DataFrame([{**row, "share_one_parent_mother": None,
                                                           "suppressed": True}]), "en")
    assert "When only one parent came" not in hidden and "fewer than 5 conversations or families" in hidden
    assert hidden.startswith("From September 2017 to the extraction")


# --- the synthetic export -----------------------------------------------------------------------------

def test_the_synthetic_export_is_plausible_and_fixed_by_its_seed() -> None:
    areas, start, end = ("Norrbyåsen", "Söderängen", "Tallmyra"), dt.date(2020, 9, 1), dt.date(2024, 6, 30)
    raw = conversations.synthetic(np.random.default_rng(5), areas, start, end)
    assert raw.equals(conversations.synthetic(np.random.default_rng(5), areas, start, end))
    assert list(raw.columns) == [c.header for c in conversations.EXPORT.columns if c.name != "personnummer"]
    spellings = set(raw["mamma_narvarande"]) | set(raw["pappa_narvarande"])
    assert {"ja", "Ja", "JA", "1", "0", "x", "X", ""} <= spellings
    mother, _ = parsing.parse_booleans(raw["mamma_narvarande"].replace("", pd.NA))
    father, _ = parsing.parse_booleans(raw["pappa_narvarande"].replace("", pd.NA))
    dates, failed = parsing.parse_dates(raw["datum"])
    assert not failed.any() and dates.max() <= pd.Timestamp(end)
    clean = pd.DataFrame({"child_id": pd.NA, "family_id": raw["familj_id"], "conversation_date": dates,
                          "area": raw["omrade"], "mother_present": mother, "father_present": father})
    _, study = hand_made("2024-06-30")
    study.design.areas = areas
    row = conversations.compute(clean, study)["conversations_by_area"].set_index("area").loc["all"]
    assert 21 < row["conversations_per_month"] < 27  # Linköping: about 24 a month per centre
    assert 0.87 < row["share_with_mother"] < 0.94 and 0.35 < row["share_with_father"] < 0.45
    assert 0.84 < row["share_one_parent_mother"] < 0.92  # STIS: 88 % mothers when one parent came


def test_the_synthetic_study_names_each_part_export_and_keeps_the_core_bytes(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from pipeline.synth import write_synthetic_study

    with_parts = write_synthetic_study(tmp_path / "with", n_children=40, seed=2)
    exports = {part.EXPORT.name for part in followup.part_modules()}
    monkeypatch.setattr(followup, "PARTS", ())
    without = write_synthetic_study(tmp_path / "without", n_children=40, seed=2)
    core = {table: path.name for table, path in without.files.items()}
    for table, name in core.items():  # a part's stream is its own: the core exports are unchanged
        assert (tmp_path / "with" / name).read_bytes() == (tmp_path / "without" / name).read_bytes(), table
    assert set(with_parts.files) - set(core) == exports
    config = yaml.safe_load(with_parts.study_file.read_text(encoding="utf-8"))
    assert config["inputs"]["conversations"] == "samtal.csv"
    raw = (tmp_path / "with" / "samtal.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbffamilj_id;datum;omrade;") and b"\r\n" in raw
    truth = json.loads(with_parts.truth_file.read_text(encoding="utf-8"))
    assert truth["followup"]["conversations"]["rows_written"] == with_parts.rows["conversations"] > 1000
