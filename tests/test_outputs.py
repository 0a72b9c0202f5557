"""The outputs catalog is complete: every table a stage returns is declared there, with the
columns it has, and every declared table is written by a run (issue 10)."""

from __future__ import annotations

import json

import pandas as pd

from pipeline import followup, outputs, tables
from pipeline.publish import PUBLISHERS
from pipeline.runner import DATA_DICTIONARY

PUBLISHED_EXTRA = ("suppressed", "suppression", "proportion_bound")  # columns publishing adds


def test_every_table_of_a_run_is_declared_with_its_columns(small_study) -> None:
    root, folder, _ = small_study
    tables_dir = root / "outputs" / folder.name / "tables"
    written = {p.stem for p in tables_dir.glob("*.csv")} - {DATA_DICTIONARY.removesuffix(".csv")}
    assert written == set(outputs.TABLE_NAMES)
    for name in outputs.TABLE_NAMES:
        columns = list(pd.read_csv(tables_dir / f"{name}.csv", nrows=0).columns)
        declared = list(outputs.CATALOG[name].columns)
        assert columns[:len(declared)] == declared, name
        assert all(c.startswith(PUBLISHED_EXTRA) for c in columns[len(declared):]), name


def test_each_stage_returns_the_tables_the_catalog_gives_it(small_study) -> None:
    root, folder, _ = small_study
    manifest = json.loads((root / "outputs" / folder.name / "manifest.json").read_text())
    compare_rows = next(s["rows"] for s in manifest["stages"] if s["stage"] == "compare")
    assert set(compare_rows) == set(outputs.tables_of("compare"))
    assert set(outputs.tables_of("clean")) == {"data_quality", "rejects_by_reason", "missingness",
                                               "value_issues", "area_spellings"}
    assert set(outputs.tables_of("cohort")) == {"indicators", "flow", "fidelity"}
    assert {t.stage for t in outputs.OUTPUT_TABLES} == {"clean", "cohort", "compare"}
    # the follow-up parts' tables, each declared in its part's module (pipeline.followup)
    followup_rows = next(s["rows"] for s in manifest["stages"] if s["stage"] == "followup")
    assert set(followup_rows) == set(outputs.tables_of("followup")) == {
        t.name for part in followup.part_modules() for t in part.OUTPUTS}


def test_the_data_dictionary_is_the_catalog(small_study) -> None:
    root, folder, _ = small_study
    written = pd.read_csv(root / "outputs" / folder.name / "tables" / DATA_DICTIONARY)
    assert len(written) == sum(len(t.columns) for t in outputs.CATALOG.values())
    effects = written[written["table"] == "effects"]
    assert effects["title_sv"].iloc[0] == "Effektskattningar"
    assert dict(zip(effects["column"], effects["kind"], strict=True))["n_intervention"] == outputs.COUNT


def test_every_suppressed_table_has_a_rule_and_every_rule_a_table() -> None:
    suppressed = {t.name for t in outputs.CATALOG.values() if not t.counts_export_rows}
    assert set(PUBLISHERS) == suppressed
    assert {t.name for t in outputs.CATALOG.values() if t.counts_export_rows} == {
        "data_quality", "rejects_by_reason", "missingness", "value_issues"}


def test_column_kinds_are_known_and_every_declared_kind_is_used() -> None:
    used = {c for t in outputs.OUTPUT_TABLES for c in t.columns}
    assert set(outputs.COLUMN_KINDS) <= used
    assert set(outputs.COLUMN_KINDS.values()) <= set(outputs.KINDS)
    assert all(len(t.columns) == len(set(t.columns)) for t in outputs.CATALOG.values())
    # a part's own column kinds are kinds, and a column name keeps one kind in every table
    assert set(outputs.ALL_COLUMN_KINDS.values()) <= set(outputs.KINDS)
    kinds: dict[str, str] = {}
    for table in outputs.CATALOG.values():
        for column in table.columns:
            assert kinds.setdefault(column, table.kind(column)) == table.kind(column), (table.name, column)


def test_a_frame_is_typed_by_its_columns_kinds() -> None:
    frame = outputs.CATALOG["dose_response"].frame([{"indicator": "x", "contacts_band": "0", "n": 12.0,
                                                      "proportion": "0.25"}])
    assert list(frame.columns) == list(outputs.CATALOG["dose_response"].columns)
    assert str(frame["n"].dtype) == "Int64" and frame["n"].iloc[0] == 12
    assert frame["proportion"].iloc[0] == 0.25 and pd.isna(frame["ci_low"].iloc[0])
    assert outputs.CATALOG["trends"].frame([]).empty


def test_report_loaders_read_the_catalog() -> None:
    assert set(tables.AREA_TABLES) == {"indicators", "flow", "fidelity", "effects", "summary", "balance",
                                       "count_outcomes", "count_effects"}
    followup = {name: outputs.output_table(name).areas for name in outputs.tables_of("followup")}
    # by district: the follow-up parts' tables and the control charts (an area report: its own)
    assert set(tables.DISTRICT_TABLES) == {n for n, rows in followup.items()
                                           if rows == outputs.DISTRICT_ROWS} | {"control_chart"}
    assert set(tables.STUDY_TABLES) == {"survival", "dose_response", "power", "trends", "did_cells",
                                        "did_areas", "event_study", "missing_data", "costs", "dose_received",
                                        "collaboration_spread", "collaboration_convergence", "changes"}
