"""End to end on a small synthetic study: synth -> validate -> run, checked against its truth."""

from __future__ import annotations

import re

import pandas as pd
import pytest
import yaml

from pipeline.cli import main

REJECT_KINDS = ("duplicate_conflict", "pnr_check_digit", "pnr_bad_characters", "pnr_wrong_length",
                "date_unparseable", "date_before_birth", "date_after_extraction", "unknown_child",
                "category_unknown", "vaccine_unknown", "deft_out_of_range")
PNR_LIKE = re.compile(r"(?<![0-9A-Za-z.])(\d{2})?\d{6}[-+]?\d{4}(?![0-9A-Za-z])")


@pytest.fixture
def study(small_study):
    return small_study


def test_validate_prints_tables_rows_and_reasons(study, capsys: pytest.CaptureFixture[str]) -> None:
    _, folder, truth = study
    assert main(["validate", str(folder)]) == 0
    out = capsys.readouterr().out
    for table in ("children", "visits", "breastfeeding", "vaccinations", "language"):
        assert table in out and truth["planted"][table]["file"] in out
    for table, written in truth["followup"].items():  # the optional exports, listed alike
        assert table in out and written["file"] in out
    assert "pnr_check_digit" in out and "ok: the study can be run" in out


def test_row_accounting_for_every_file(study) -> None:
    root, _, truth = study
    quality = pd.read_csv(root / "outputs/small/tables/data_quality.csv").set_index("table")
    assert len(quality) == len(truth["planted"]) + len(truth["followup"])  # core, care, parts
    assert (quality["rows_read"] == quality["rows_clean"] + quality["rows_rejected"]
            + quality["rows_duplicate"]).all()
    for table, planted in truth["planted"].items():
        assert quality.loc[table, "source_file"] == planted["file"]
        assert quality.loc[table, "rows_read"] == planted["rows_written"]
        assert quality.loc[table, "rows_duplicate"] == planted["exact_duplicate"]
        assert quality.loc[table, "rows_clean"] == planted["rows_natural"]
    for table, written in truth["followup"].items():  # no planted mess; a chance exact duplicate
        assert quality.loc[table, "source_file"] == written["file"]
        assert quality.loc[table, "rows_read"] == written["rows_written"]
        assert quality.loc[table, "rows_rejected"] == 0


def test_every_planted_mess_is_rejected_with_its_reason(study) -> None:
    root, _, truth = study
    reasons = pd.read_csv(root / "outputs/small/tables/rejects_by_reason.csv")
    found = reasons.set_index(["table", "reason"])["rows"].to_dict()
    expected = {(table, kind): planted[kind] for table, planted in truth["planted"].items()
                for kind in REJECT_KINDS if planted.get(kind)}
    assert found == expected
    assert set(reasons.columns) == {"table", "source_file", "reason", "rows"}


def test_flags_and_derived_values(study) -> None:
    root, folder, truth = study
    children = pd.read_parquet(root / "data_clean/small/clean/children.parquet")
    planted = truth["planted"]["children"]
    assert int(children["birth_date_conflict"].sum()) == planted["birth_date_conflict"]
    assert int(children["sex_conflict"].sum()) == planted["sex_conflict"]
    # and the data-quality tables count them: kept as given, each conflict said
    issues = pd.read_csv(root / "outputs/small/tables/value_issues.csv")
    conflicts = issues[issues["issue"].eq("contradicts_personnummer_kept")].set_index("column")["rows"]
    assert conflicts.to_dict() == {"birth_date": planted["birth_date_conflict"],
                                   "child_sex": planted["sex_conflict"]}
    assert int(children["coordination_number"].sum()) == planted["samordningsnummer"]
    assert children["child_id"].is_unique
    assert children["child_id"].str.fullmatch(r"[bcdfghjklmnpqrst]{20}").all()
    design = yaml.safe_load((folder / "study.yml").read_text(encoding="utf-8"))["design"]
    assert set(children["area"]) == set(design["intervention_areas"] + design["comparison_areas"])


def test_no_identifier_in_data_clean_or_outputs(study) -> None:
    root, _, _ = study
    files = list((root / "data_clean").rglob("*.parquet")) + list((root / "outputs").rglob("*.csv"))
    assert len(files) > 10
    for path in files:
        frame = pd.read_parquet(path) if path.suffix == ".parquet" else pd.read_csv(path, dtype=str)
        assert "personnummer" not in frame.columns
        text = frame.astype(str).to_csv(index=False)
        assert not PNR_LIKE.search(text), f"{path}: {PNR_LIKE.search(text).group(0)}"


def test_quality_tables_have_missingness(study) -> None:
    root, _, _ = study
    missing = pd.read_csv(root / "outputs/small/tables/missingness.csv")
    assert {"table", "column", "rows", "missing", "share_missing"} <= set(missing.columns)
    row = missing[(missing["table"] == "children") & (missing["column"] == "mother_region")]
    assert len(row) == 1 and 0 <= row["share_missing"].iloc[0] <= 1


def test_missingness_leaves_out_the_identifier_an_export_does_without(study) -> None:
    """The conversations' rows name a family or a child: the child's pseudonym blank on a row
    with a family id is no missing value (a review read "Child's pseudonym 2,137 of 2,137
    missing" of an export with no child column)."""
    root, _, _ = study
    missing = pd.read_csv(root / "outputs/small/tables/missingness.csv")
    conversations = missing[missing["table"] == "conversations"]
    assert {"conversation_date", "area"} <= set(conversations["column"])  # the export is in the study
    assert not {"child_id", "family_id"} & set(conversations["column"])
    visits = missing[missing["table"] == "visits"]
    assert "child_id" in set(visits["column"])  # an export named by the child alone keeps it
