"""Ingest and clean on hand-made exports whose every row's fate is known."""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from studykit import bad_check, pnr, write_study

from pipeline import parsing
from pipeline.cli import main
from pipeline.config import load_study
from pipeline.runner import ANALYSIS_STAGES, run_ingest_clean, run_study
from pipeline.stages import clean as clean_stage
from pipeline.stages.ingest import IngestedLazily, ingest

A = pnr("20210304", "123")  # boy (second-last digit 3 is odd), born 2021-03-04
B = pnr("20220510", "246")  # girl
C = pnr("20200601", "371")  # boy
PNR_LIKE = re.compile(r"\d{6,8}[-+]?\d{4}")

ROWS = {
    "children": [
        f"{A};Norrby;ja;Utanför Europa;förgymnasial;ja;29;3450,5",
        f"{B};SÖDERBY ;nej;Sverige;eftergymnasial;nej;31;3 100",  # area in other case/spacing
        f"{C};Norrby;ja;Europa;gymnasial;nej;abc;",  # mother_age unparseable: set missing
        f"{bad_check(C)};Norrby;ja;Europa;gymnasial;nej;30;",  # pnr_check_digit
        f"{B};Söderby;nej;Sverige;eftergymnasial;nej;31;3 100",  # conflict? no: area folds equal
    ],
    "visits": [
        f"{A};2021-03-14;hembesök;genomfört;BVC-sjuksköterska, föräldrarådgivare;båda;ja",
        f"{A};2021-03-14;hembesök;genomfört;BVC-sjuksköterska, föräldrarådgivare;båda;ja",  # exact dup
        f"{A};2021-01-14;hembesök;genomfört;BVC-sjuksköterska;mamma;nej",  # before birth
        f"{A};14/05/2021;Mottagningsbesök;inställt;BVC-ssk;pappa;nej",  # day-first date, variants
    ],
    "breastfeeding": [
        f"{A};20210310;helt ammad",
        f"{A};2021-05-01;delamning",
        f"{A};2021-05-01;ej ammad",  # conflicting duplicate: the first (delamning) is kept
        f"{A};2021-09-01;?",  # category_unknown
        f"{bad_check(A)};2021-09-02;ej ammad",  # pnr_check_digit
        f"{A};2021-13-45;ej ammad",  # date_unparseable
    ],
    "vaccinations": [
        f"{A};2021-06-04;Infanrix hexa;1",
        f"{A};2021-06-04;Prevenar 13;1",
        f"{A};2023-09-04 10:15;Priorix;",
        f"{B};2025-01-01;Priorix;",  # after the extraction date
        f"{B};2022-08-01;Vaccin X;1",  # vaccine_unknown
        f"{pnr('20210101', '002')};2021-08-01;Priorix;",  # unknown_child (valid pnr, not a child)
    ],
    "language": [f"{C};2023-06-01;3 år;utan anmärkning;nej"],
}

EXPECTED_REJECTS = {
    ("children", "pnr_check_digit"): 1,
    ("visits", "date_before_birth"): 1,
    ("breastfeeding", "duplicate_conflict"): 1,
    ("breastfeeding", "category_unknown"): 1,
    ("breastfeeding", "pnr_check_digit"): 1,
    ("breastfeeding", "date_unparseable"): 1,
    ("vaccinations", "date_after_extraction"): 1,
    ("vaccinations", "vaccine_unknown"): 1,
    ("vaccinations", "unknown_child"): 1,
}


@pytest.fixture
def tiny(tmp_path: Path) -> Path:
    # one planted problem per reject reason: far more than the default max_rejected_share
    return write_study(tmp_path / "tiny", ROWS, study={"max_rejected_share": 0.7})


def test_every_row_has_a_known_fate(tiny: Path) -> None:
    result = run_ingest_clean(load_study(tiny))
    counts = clean_stage.rejects_by_reason(result).set_index(["table", "reason"])["rows"].to_dict()
    assert counts == EXPECTED_REJECTS
    quality = clean_stage.accounting(result).set_index("table")
    assert quality.loc["visits", "rows_duplicate"] == 1
    assert quality.loc["children", "rows_duplicate"] == 1  # 'SÖDERBY ' equals 'Söderby' once folded
    assert (quality["rows_read"] == quality["rows_clean"] + quality["rows_rejected"]
            + quality["rows_duplicate"]).all()
    assert quality["rows_read"].to_dict() == {t: len(r) for t, r in ROWS.items()}


def test_values_are_harmonised_and_derived(tiny: Path) -> None:
    result = run_ingest_clean(load_study(tiny))
    children = result.tables["children"].frame.set_index("source_row")
    assert children.loc[2, "birth_date"] == pd.Timestamp("2021-03-04")
    assert children.loc[2, "child_sex"] == "male"
    assert children.loc[3, "child_sex"] == "female"
    assert children.loc[3, "area"] == "Söderby"
    assert children.loc[2, "mother_region"] == "outside_europe"
    assert children.loc[2, "education"] == "compulsory"
    assert children.loc[2, "birth_weight_g"] == 3450.5
    assert children.loc[3, "birth_weight_g"] == 3100.0
    assert pd.isna(children.loc[4, "mother_age"])
    issues = result.value_issues
    assert issues[["source_row", "column", "value"]].values.tolist() == [[4, "mother_age", "abc"]]
    visits = result.tables["visits"].frame.set_index("source_row")
    assert visits.loc[5, "visit_date"] == pd.Timestamp("2021-05-14")
    assert visits.loc[5, "visit_kind"] == "clinic"
    assert visits.loc[5, "visit_status"] == "cancelled"
    assert visits.loc[2, "professions"] == "bvc_nurse|parental_advisor"
    bf = result.tables["breastfeeding"].frame
    assert bf["bf_status"].tolist() == ["exclusive", "partial"]


def test_tables_set_aside_as_cleaned_are_the_tables_kept_in_memory(tiny: Path) -> None:
    """With `set_aside`, each clean table (the children first, and the antigen doses) is handed
    over as soon as it is cleaned and kept as its counts: the same frames, the same row
    accounting and missingness as when every table stays in memory."""
    kept = run_ingest_clean(load_study(tiny))
    handed: dict[str, pd.DataFrame] = {}

    def set_aside(name: str, parts: Iterable[pd.DataFrame]) -> None:
        handed[name] = pd.concat(parts, ignore_index=True)

    aside = run_ingest_clean(load_study(tiny), set_aside=set_aside)
    assert sorted(handed) == sorted([*kept.tables, "antigen_doses"]) == sorted(aside.set_aside)
    for name in kept.tables:
        pd.testing.assert_frame_equal(handed[name], kept.tables[name].frame, check_exact=True)
        assert aside.tables[name].frame.empty
        assert list(aside.tables[name].frame.dtypes.items()) == list(kept.tables[name].frame.dtypes.items())
    pd.testing.assert_frame_equal(handed["antigen_doses"], kept.antigen_doses, check_exact=True)
    assert list(aside.antigen_doses.dtypes.items()) == list(kept.antigen_doses.dtypes.items())
    pd.testing.assert_series_equal(aside.area_counts, kept.area_counts)
    assert aside.area_counts.sum() == len(kept.tables["children"].frame)
    assert kept.set_aside == frozenset() and len(kept.antigen_doses) == 6  # tiny's six antigens
    for table in (clean_stage.accounting, clean_stage.missingness, clean_stage.rejects_by_reason):
        pd.testing.assert_frame_equal(table(aside), table(kept), check_exact=True)
    assert clean_stage.accounting(kept)["rows_clean"].sum() > len(kept.tables["children"].frame)


def test_tables_set_aside_are_handed_over_in_order_and_a_failed_hand_over_stops_clean(
        tiny: Path) -> None:
    """The hand-overs run on a thread of their own, one after another in the order the tables
    are cleaned (the children first, each export's table, the doses right after the
    vaccinations); one that fails
    stops the stage with its own error."""
    order: list[str] = []

    def set_aside(name: str, parts: Iterable[pd.DataFrame]) -> None:
        list(parts)
        order.append(name)

    names = [name for name in IngestedLazily(load_study(tiny)) if name != "children"]
    run_ingest_clean(load_study(tiny), set_aside=set_aside)
    at = names.index("vaccinations") + 1
    assert order == ["children", *names[:at], "antigen_doses", *names[at:]]

    def failing(name: str, parts: Iterable[pd.DataFrame]) -> None:
        if name == "breastfeeding":
            raise OSError(28, "No space left on device")

    with pytest.raises(OSError, match="No space left"):
        run_ingest_clean(load_study(tiny), set_aside=failing)


def test_a_run_reads_each_export_when_its_table_is_cleaned(tiny: Path) -> None:
    """IngestedLazily reads a table when it is first asked for (in ingest's order) and lets it go
    when it is popped; a run (set_aside given) cleans each export as it is read, with the same
    tables as when every export is read first."""
    study = load_study(tiny)
    heard: list[str] = []
    lazily = IngestedLazily(study, heard.append)
    assert list(lazily) == list(ingest(study)) and heard == []  # names known, nothing read
    children = lazily.pop("children")
    assert heard == ["ingest: 1/5 barn.csv"] and "children" not in lazily and len(lazily) == 4
    assert children.frame.equals(ingest(study)["children"].frame)
    with pytest.raises(KeyError):
        lazily["children"]  # popped: let go
    heard.clear()
    aside = run_ingest_clean(study, heard.append, set_aside=lambda _name, _frame: None)
    assert [line.split(":")[0] for line in heard[:4]] == ["ingest", "clean", "ingest", "clean"]
    kept = run_ingest_clean(study)
    for table in (clean_stage.accounting, clean_stage.missingness, clean_stage.rejects_by_reason):
        pd.testing.assert_frame_equal(table(aside), table(kept), check_exact=True)


def test_an_export_read_ahead_is_the_table_read_when_asked_for(tiny: Path) -> None:
    """IngestedLazily.read_ahead reads an export on a thread: asked for, the table is the one
    read lazily, told as read then (not while it is read); an unusable file read ahead raises
    its own error when the table is asked for, the message reading it would give; a table
    read ahead and let go of is read again when asked for."""
    from pipeline.errors import InputFileError

    study = load_study(tiny)
    heard: list[str] = []
    lazily = IngestedLazily(study, heard.append)
    lazily.read_ahead("visits")
    assert lazily.finish_reading_ahead() == ["visits"] and heard == []
    visits = lazily["visits"]
    assert heard == ["ingest: 1/5 besok.csv"]
    pd.testing.assert_frame_equal(visits.frame, ingest(study)["visits"].frame, check_exact=True)
    assert visits.rejects.equals(ingest(study)["visits"].rejects)

    lazily = IngestedLazily(study)
    lazily.read_ahead("visits")
    lazily.read_ahead("breastfeeding")
    assert sorted(lazily.finish_reading_ahead()) == ["breastfeeding", "visits"]
    lazily.let_go_of_read_ahead(but="visits")
    assert lazily.finish_reading_ahead() == ["visits"]
    lazily.let_go_of_read_ahead()
    assert lazily.finish_reading_ahead() == []
    assert lazily["visits"].frame.equals(visits.frame)  # read again

    (tiny / "besok.csv").write_bytes(b"\x00" * 10)  # binary: no export
    with pytest.raises(InputFileError) as lazily_read:
        IngestedLazily(study)["visits"]
    lazily = IngestedLazily(study)
    lazily.read_ahead("visits")
    with pytest.raises(InputFileError) as read_ahead:
        lazily["visits"]
    assert str(read_ahead.value) == str(lazily_read.value) and "besok.csv" in str(read_ahead.value)
    # an unusable file beside one that is read: its error, and the other's table kept
    lazily = IngestedLazily(study)
    lazily.read_ahead("visits")
    lazily.read_ahead("breastfeeding")
    with pytest.raises(InputFileError, match="besok.csv"):
        lazily.finish_reading_ahead()
    assert lazily.finish_reading_ahead() == ["breastfeeding"]


def test_antigen_doses_numbered_by_date(tiny: Path) -> None:
    doses = run_ingest_clean(load_study(tiny)).antigen_doses
    assert sorted(doses["antigen"]) == ["dtp", "hepb", "hib", "ipv", "mmr", "pcv"]
    assert set(doses["dose_number"]) == {1}


def test_antigen_dose_order_and_same_day_products() -> None:
    frame = pd.DataFrame({
        "child_id": ["x"] * 4,
        "dose_date": pd.to_datetime(["2021-09-01", "2021-06-01", "2021-06-01", "2022-03-01"]),
        "product": ["infanrix_hexa", "infanrix_hexa", "pentavac", "rotateq"],
        "dose_number_recorded": pd.array([None] * 4, dtype="Int64"),
    })
    doses = clean_stage.antigen_doses(frame)
    dtp = doses[doses["antigen"] == "dtp"].sort_values("dose_number")
    # Hexa and Pentavac on 2021-06-01 both give DTaP: one dose; the September dose is dose 2.
    assert dtp["dose_date"].tolist() == [pd.Timestamp("2021-06-01"), pd.Timestamp("2021-09-01")]
    assert dtp["dose_number"].tolist() == [1, 2]
    assert doses.loc[doses["antigen"] == "rota", "rota_series_doses"].tolist() == [3]


def test_antigen_doses_in_parts_are_the_doses_in_order() -> None:
    """Made three rows at a time, the doses are the rows of antigen_doses (made whole), in its
    order; with no vaccination, one part without rows and with its columns."""
    frame = pd.DataFrame({
        "child_id": pd.Series(["y", "x", "x", "y", "x"], dtype="string"),
        "dose_date": pd.to_datetime(["2021-07-01", "2021-09-01", "2021-06-01", "2021-05-01", "2021-06-01"]),
        "product": pd.Series(["priorix", "infanrix_hexa", "infanrix_hexa", "priorix", "pentavac"],
                             dtype="string"),
        "dose_number_recorded": pd.array([2, None, 1, 1, None], dtype="Int64"),
    })
    whole = clean_stage.antigen_doses(frame)
    parts = list(clean_stage.antigen_doses_in_parts(frame, rows=3))
    # x: two doses of hexa's four antigens (pentavac on hexa's day adds none); y: mmr 1 and 2
    assert [len(part) for part in parts] == [3, 3, 3, 1]
    assert len(whole) == 10 and whole["dose_number"].tolist().count(2) == 4 + 1
    pd.testing.assert_frame_equal(pd.concat(parts, ignore_index=True), whole, check_exact=True)
    (empty,) = clean_stage.antigen_doses_in_parts(frame.iloc[:0], rows=3)
    assert empty.empty and list(empty.dtypes.items()) == list(whole.dtypes.items())


def test_antigen_doses_of_coded_columns_and_by_each_part_sorted_are_the_same(monkeypatch) -> None:
    """The doses of vaccinations whose child ids and products are coded, as clean makes them
    (codes in another order than the texts'), are those of the same vaccinations as text; and
    so are they when the four parts of a dose's order are sorted as four arrays (as they are
    when too many values make one integer of them)."""
    frame = pd.DataFrame({
        "child_id": pd.Series(["y", "x", "x", "y", "x", "z"], dtype="string"),
        "dose_date": pd.to_datetime(["2021-07-01", "2021-09-01", "2021-06-01", "2021-05-01", "2021-06-01",
                                     "2021-06-01"]),
        "product": pd.Series(["priorix", "infanrix_hexa", "infanrix_hexa", "priorix", "pentavac", None],
                             dtype="string"),
        "dose_number_recorded": pd.array([2, None, 1, 1, None, 1], dtype="Int64"),
    })
    as_text = clean_stage.antigen_doses(frame)
    coded = frame.assign(
        child_id=parsing.coded_text(np.array([0, 2, 2, 0, 2, 1]),
                                    pa.array(["y", "z", "x"], pa.large_string())),
        product=parsing.coded_text(np.array([1, 0, 0, 1, 2, -1]),
                                   pa.array(["infanrix_hexa", "priorix", "pentavac"], pa.large_string())))
    from_codes = clean_stage.antigen_doses(coded)
    assert parsing.is_coded(from_codes["child_id"]) and parsing.is_coded(from_codes["product"])
    pd.testing.assert_frame_equal(parsing.as_text_columns(from_codes), as_text, check_exact=True)
    monkeypatch.setattr(clean_stage, "ONE_KEY_LIMIT", 1)  # every order sorted part by part
    pd.testing.assert_frame_equal(clean_stage.antigen_doses(frame), as_text, check_exact=True)
    # x: hexa's four antigens twice (pentavac on hexa's first day adds none), y: mmr 1 and 2
    assert as_text["child_id"].tolist() == ["x"] * 8 + ["y"] * 2
    assert as_text["dose_number"].tolist() == [1, 2] * 4 + [1, 2]


def test_each_vaccination_pairs_with_its_products_antigens_in_merge_order() -> None:
    """antigen_doses pairs rows by number: vaccination 0 (q) with q's one antigen row, 1 (missing)
    and 2 (not a known product) with none, 3 (p) with p's two rows in their order; as an inner
    merge of the two tables pairs them."""
    products = pd.Series(["q", None, "z", "p"], dtype="string")
    given = pd.Series(["p", "p", "q"], dtype="string")
    row, given_row = clean_stage._pairs(products, given)
    assert row.tolist() == [0, 3, 3] and given_row.tolist() == [2, 0, 1]
    merged = pd.DataFrame({"product": products, "row": range(4)}).merge(
        pd.DataFrame({"product": given, "given_row": range(3)}), on="product", how="inner")
    assert merged["row"].tolist() == row.tolist() and merged["given_row"].tolist() == given_row.tolist()


def test_rejects_show_where_and_what_without_identifiers(tiny: Path) -> None:
    rejects = run_ingest_clean(load_study(tiny)).rejects
    row = rejects[(rejects["table"] == "breastfeeding") & (rejects["reason"] == "date_unparseable")]
    assert row[["source_file", "source_row", "column", "value"]].values.tolist() == [
        ["amning.csv", 7, "assessment_date", "2021-13-45"]]
    masked = rejects.loc[rejects["reason"] == "pnr_check_digit", "value"]
    assert masked.tolist() == ["########-####"] * 2


def test_run_writes_no_personnummer(tiny: Path, tmp_path: Path) -> None:
    root = tmp_path / "root"
    summary = run_study(tiny, root, stages=ANALYSIS_STAGES)
    written = [p for p in (root / "data_clean").rglob("*.parquet")] + list((root / "outputs").rglob("*.csv"))
    assert len(written) >= 12
    for path in written:
        frame = pd.read_parquet(path) if path.suffix == ".parquet" else pd.read_csv(path, dtype=str)
        text = frame.astype(str).to_csv()
        assert not PNR_LIKE.search(text), path
    assert "personnummer" not in pd.read_parquet(summary.data_clean / "clean" / "children.parquet").columns


def test_rerun_is_cached_and_identical(tiny: Path, tmp_path: Path) -> None:
    root = tmp_path / "root"
    first = run_study(tiny, root, stages=ANALYSIS_STAGES)
    before = {p: p.read_bytes() for p in (root / "data_clean").rglob("*.parquet")}
    second = run_study(tiny, root, stages=ANALYSIS_STAGES)
    stages = len(ANALYSIS_STAGES) - 1  # ingest + clean is one stage
    assert [o.status for o in first.stages] == ["ran"] * stages
    assert [o.status for o in second.stages] == ["cached"] * stages
    forced = run_study(tiny, root, stages=ANALYSIS_STAGES, force=True)
    assert [o.status for o in forced.stages] == ["ran"] * stages
    after = {p: p.read_bytes() for p in (root / "data_clean").rglob("*.parquet")}
    assert before == after  # same inputs and config: byte-identical clean data


def test_cli_validate_prints_summary(tiny: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # Every file here is planted with bad rows (4 of 6 breastfeeding rows are rejected), more
    # than the default max_rejected_share lets validate call ok: this study says so.
    write_study(tiny, ROWS, study={"max_rejected_share": 0.7})
    assert main(["validate", str(tiny)]) == 0
    out = capsys.readouterr().out
    assert "breastfeeding" in out and "amning.csv" in out
    assert "pnr_check_digit" in out and "ok: the study can be run" in out


def test_misspelt_design_area_is_named(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    design = {**__import__("studykit").STUDY["design"], "intervention_areas": ["Norby"]}
    folder = write_study(tmp_path / "typo", ROWS, study={"design": design, "max_rejected_share": 0.7})
    assert main(["validate", str(folder)]) == 1
    err = capsys.readouterr().err
    assert "design.intervention_areas: area 'Norby'" in err and "did you mean 'Norrby'" in err


def test_manifest_and_run_log(tiny: Path, tmp_path: Path) -> None:
    import json

    root = tmp_path / "root"
    run_study(tiny, root, stages=ANALYSIS_STAGES)
    manifest = json.loads((root / "outputs/tiny/manifest.json").read_text())
    assert set(manifest["inputs_sha256"]) == {"barn.csv", "besok.csv", "amning.csv", "vaccinationer.csv",
                                              "sprak.csv"}
    assert manifest["config"]["name"] == "tiny" and "pandas" in manifest["packages"]
    assert [s["stage"] for s in manifest["stages"]] == ["ingest + clean", "cohort", "compare", "followup"]
    assert manifest["row_counts"]["ingest + clean"]["children"] == 3
    assert "ingest + clean" in (root / "outputs/tiny/run.log").read_text()


def test_failed_run_publishes_nothing_and_is_redone(tiny: Path, tmp_path: Path, monkeypatch) -> None:
    from pipeline.errors import HembesokError
    from pipeline.stages import compare as compare_stage

    root = tmp_path / "root"
    run_study(tiny, root, stages=ANALYSIS_STAGES)
    quality = root / "outputs/tiny/tables/data_quality.csv"
    before = quality.read_bytes()
    with (tiny / "amning.csv").open("a", encoding="utf-8") as export:
        export.write(f"{A};2021-10-01;ej ammad\n")  # one more row

    def broken(*_args, **_kwargs):
        raise HembesokError("compare failed on purpose")

    monkeypatch.setattr(compare_stage, "compare", broken)
    with pytest.raises(HembesokError):
        run_study(tiny, root, stages=ANALYSIS_STAGES)
    assert quality.read_bytes() == before  # the failed run published nothing
    monkeypatch.undo()
    again = run_study(tiny, root, stages=ANALYSIS_STAGES)
    # clean had run in the failed run, but its tables were never published: it runs again
    assert [o.status for o in again.stages] == ["ran"] * (len(ANALYSIS_STAGES) - 1)
    assert quality.read_bytes() != before


def test_missing_values_are_counted_among_the_rows_a_column_is_asked_of() -> None:
    """A blank moved-out or offer date is a value (did not move; not offered), not a gap; whether
    the family accepted is asked of the families offered, the reason for declining of those who
    declined (a review read "moved-out date 94 % missing" and "accepted 89 % missing" of a study
    where every offered family's answer was known). Counted by hand from the five rows."""
    day = pd.Timestamp("2021-03-04")
    frame = pd.DataFrame({
        "child_id": ["a", "b", "c", "d", "e"],
        "moved_out_date": pd.Series([pd.NaT, pd.NaT, day, pd.NaT, pd.NaT]),
        "offered_date": pd.Series([day, pd.NaT, day, day, pd.NaT]),
        "accepted": pd.array([True, None, None, False, False], dtype="boolean"),
        "declined_reason": pd.array([None, None, None, None, "busy"], dtype="string"),
        "education": pd.array(["compulsory", None, None, "upper_secondary", None], dtype="string"),
    })
    counts = clean_stage.missing_among_asked("children", frame)
    assert "moved_out_date" not in counts and "offered_date" not in counts
    assert counts["accepted"] == (3, 1)  # offered: a, c, d; c's answer is blank
    # declined: d and e (e was not offered, but declined: asked all the same); d gave no reason
    assert counts["declined_reason"] == (2, 1)
    assert counts["education"] == (5, 3) and counts["child_id"] == (5, 0)
