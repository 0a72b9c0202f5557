"""The runner is one loop over PIPELINE: a stage declared as data runs, is cached on its
stamp, reruns when its upstream's result changes, and publishes what it writes."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from studykit import write_study

from pipeline import parallel, parsing, runner, store
from pipeline.errors import HembesokError
from pipeline.runner import PIPELINE, RunContext, Stage, run_study
from pipeline.stages.ingest import IngestedLazily


def test_pipeline_stages_chain_in_order() -> None:
    keys = [stage.key for stage in PIPELINE]
    assert keys == ["clean", "cohort", "compare", "followup", "report"]
    for place, stage in enumerate(PIPELINE):
        # a stage reads only what stages before it wrote (STYLE: data flows one way): the one
        # before it, but for the follow-up parts, which read clean's optional exports
        reads = (stage.upstream, *stage.also_reads)
        assert set(reads) - {None} <= set(keys[:place])
    chain = [stage for stage in PIPELINE if stage.key != "followup"]
    for place, stage in enumerate(chain):
        assert stage.upstream == (chain[place - 1].key if place else None)
    assert PIPELINE[keys.index("followup")].upstream == "clean"
    assert "followup" in PIPELINE[keys.index("report")].also_reads  # the report shows its tables
    assert runner.STAGES == ("ingest", "clean", "cohort", "compare", "followup", "report")
    assert runner.ANALYSIS_STAGES == ("ingest", "clean", "cohort", "compare", "followup")


def test_a_new_stage_is_one_entry(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = write_study(tmp_path / "data_raw" / "tiny", {})
    calls: list[str] = []

    def count_children(ctx: RunContext) -> tuple[dict[str, int], runner.Writer]:
        calls.append(ctx.study.name)

        def write(own: Path, staged: Path) -> None:
            (own / "pooled.txt").write_text("pooled\n")
            (staged / "tables").mkdir(parents=True, exist_ok=True)
            (staged / "tables" / "pooling.csv").write_text("site,children\nall,0\n")
        return {"sites": 1}, write

    first = Stage("first", "first", lambda ctx: ({"rows": 0}, lambda own, staged: None),
                  depends_on=lambda ctx: {"inputs": "fixed"})
    pooling = Stage("pooling", "site pooling", count_children, upstream="first")
    monkeypatch.setattr(runner, "PIPELINE", (first, pooling))

    summary = run_study(folder, tmp_path, stages=["first", "pooling"])
    assert [(s.stage, s.status) for s in summary.stages] == [("first", "ran"),
                                                             ("site pooling", "ran")]
    assert (summary.data_clean / "pooling" / "pooled.txt").read_text() == "pooled\n"
    assert (summary.outputs / "tables" / "pooling.csv").is_file()
    again = run_study(folder, tmp_path, stages=["first", "pooling"])
    assert [s.status for s in again.stages] == ["cached", "cached"] and len(calls) == 1
    # a changed upstream result (its stamp) reruns the stage after it
    monkeypatch.setattr(runner, "PIPELINE", (
        Stage("first", "first", first.run, depends_on=lambda ctx: {"inputs": "changed"}), pooling))
    rerun = run_study(folder, tmp_path, stages=["first", "pooling"])
    assert [s.status for s in rerun.stages] == ["ran", "ran"] and len(calls) == 2
    with pytest.raises(HembesokError, match="unknown stage"):
        run_study(folder, tmp_path, stages=["cohort"])


def _two_children_study(tmp_path: Path) -> Path:
    """A study of two children, one with a visit, a breastfeeding, a dose and a screening."""
    from studykit import pnr

    a, b = pnr("20210304", "123"), pnr("20210405", "246")
    return write_study(tmp_path / "data_raw" / "tiny", {
        "children": [f"{a};Norrby;ja;Sverige;gymnasial;nej;30;3500",
                     f"{b};Söderby;ja;Sverige;gymnasial;nej;30;3500"],
        "visits": [f"{a};2021-03-14;hembesök;genomfört;BVC-sjuksköterska;mamma;nej"],
        "breastfeeding": [f"{a};2021-03-10;helt ammad"],
        "vaccinations": [f"{a};2021-06-04;Infanrix hexa;1"],
        "language": [f"{a};2024-03-04;3 år;utan anmärkning;nej"]})


def test_a_new_key_reruns_clean_and_changes_every_pseudonym(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import pandas as pd

    folder = _two_children_study(tmp_path)
    monkeypatch.setenv("HEMBESOK_KEY", "0123456789abcdef" * 4)
    first = run_study(folder, tmp_path, stages=["ingest", "clean"])
    children = tmp_path / "data_clean" / "tiny" / "clean" / "children.parquet"
    before = pd.read_parquet(children)["child_id"]
    assert run_study(folder, tmp_path, stages=["ingest", "clean"]).stages[0].status == "cached"
    monkeypatch.setenv("HEMBESOK_KEY", "fedcba9876543210" * 4)
    again = run_study(folder, tmp_path, stages=["ingest", "clean"])
    assert first.stages[0].status == "ran" and again.stages[0].status == "ran"
    after = pd.read_parquet(children)["child_id"]
    assert len(before) == len(after) > 0 and not set(before) & set(after)


def test_an_event_table_is_read_with_its_texts_as_categories(tmp_path: Path) -> None:
    """_read_clean_table (CleanEvents): an event table without the columns no indicator
    reads, its codes as categories and its child_id as an arrow dictionary (one chunk per row
    group), holding the same values as the file."""
    doses = pd.DataFrame({
        "child_id": pd.Series(["b", "a", "b", None, "c", "a"], dtype="str"),
        "source_file": pd.Series(["vacc.csv"] * 6, dtype="str"),
        "source_row": range(2, 8),
        "antigen": pd.Series(["mmr", "dtp", None, "dtp", "mmr", "mmr"], dtype="str"),
        "dose_date": pd.to_datetime(["2021-01-01"] * 6),
        "rota_series_doses": pd.array([None, None, 2, None, None, None], dtype="Int64"),
        "dose_number": [1, 1, 2, 1, 1, 2],  # clean's own check: no indicator reads it
    })
    path = tmp_path / "antigen_doses.parquet"
    pq.write_table(pa.Table.from_pandas(doses, preserve_index=False), path, row_group_size=4)
    read = runner._read_clean_table(path, events=True)
    assert list(read.columns) == ["child_id", "antigen", "dose_date", "rota_series_doses"]
    assert read["antigen"].dtype == "category"
    assert sorted(read["antigen"].cat.categories) == ["dtp", "mmr"]
    assert pa.types.is_dictionary(read["child_id"].dtype.pyarrow_dtype)
    assert pa.array(read["child_id"].array).num_chunks == 2  # a dictionary per row group
    plain = doses.drop(columns=["source_file", "source_row", "dose_number"])
    assert read.astype({"child_id": "str", "antigen": "str"}).equals(plain)
    assert runner._read_clean_table(path, events=False).equals(doses)  # children: as written


def test_clean_events_are_the_event_tables_in_order_each_as_read(tmp_path: Path) -> None:
    """CleanEvents: (name, table) of each event table in the order asked for, each as
    _read_clean_table reads it (the next read ahead on a thread); a table that cannot be read
    raises its error where it is asked for."""
    for name, ids in (("visits", ["a", "b", "a"]), ("language", ["c"])):
        frame = pd.DataFrame({"child_id": pd.Series(ids, dtype="str"),
                              "visit_date": pd.to_datetime(["2021-01-01"] * len(ids))})
        pq.write_table(pa.Table.from_pandas(frame, preserve_index=False), tmp_path / f"{name}.parquet")
    with runner.CleanEvents(tmp_path, ["language", "visits"]) as events:
        read = list(events)
    assert [name for name, _ in read] == ["language", "visits"]
    for name, table in read:
        assert table.equals(runner._read_clean_table(tmp_path / f"{name}.parquet", events=True))
    assert read[1][1]["child_id"].astype("str").tolist() == ["a", "b", "a"]
    with runner.CleanEvents(tmp_path, []) as events:
        assert list(events) == []
    with runner.CleanEvents(tmp_path, ["visits", "dental"]) as events:
        tables = iter(events)
        assert next(tables)[0] == "visits"
        with pytest.raises(FileNotFoundError):
            next(tables)


def test_a_table_written_in_parts_has_the_bytes_of_the_table_written_whole(tmp_path: Path) -> None:
    """store.write_parquet_parts, given parts of ROW_GROUP_ROWS rows (the last shorter), writes
    the bytes write_parquet writes of the whole table (three row groups here); a table without
    rows likewise."""
    rows = 2 * store.ROW_GROUP_ROWS + 5
    numbers = np.arange(rows)
    whole = pd.DataFrame({
        "child_id": pd.Series(np.char.add("c", (numbers % 1000).astype(str)), dtype="string"),
        "dose_number": numbers % 7,
        "dose_date": pd.Timestamp("2021-01-01") + pd.to_timedelta(numbers % 500, unit="D"),
        "rota_series_doses": pd.array(np.where(numbers % 3 == 0, 2, None), dtype="Int64"),
    })
    store.write_parquet(whole, tmp_path / "whole.parquet")
    parts = (whole.iloc[start:start + store.ROW_GROUP_ROWS].reset_index(drop=True)
             for start in range(0, rows, store.ROW_GROUP_ROWS))
    store.write_parquet_parts(parts, tmp_path / "parts.parquet")
    assert pq.ParquetFile(tmp_path / "parts.parquet").metadata.num_row_groups == 3
    assert (tmp_path / "parts.parquet").read_bytes() == (tmp_path / "whole.parquet").read_bytes()
    # statistics for the numbers and dates, none for the text (`store.parquet_options`): the
    # last row group's rows n are 2,097,152 (2**21) to 2,097,156, so its doses (n % 7) 1-5,
    # its dates (n % 500 days after 1 January 2021: days 152-156) 2-6 June, and its rota
    # series missing where n % 3 is not 0 (2**21 % 3 = 2: the 1st, 3rd and 4th rows)
    assert store.ROW_GROUP_ROWS == 2**20
    last = pq.ParquetFile(tmp_path / "whole.parquet").metadata.row_group(2)
    column = {last.column(i).path_in_schema: last.column(i) for i in range(last.num_columns)}
    assert not column["child_id"].is_stats_set
    doses = column["dose_number"].statistics
    assert (doses.min, doses.max, doses.null_count) == (1, 5, 0)
    dates = column["dose_date"].statistics
    assert (pd.Timestamp(dates.min), pd.Timestamp(dates.max)) == (pd.Timestamp("2021-06-02"),
                                                                  pd.Timestamp("2021-06-06"))
    assert column["rota_series_doses"].statistics.null_count == 3
    store.write_parquet(whole.iloc[:0], tmp_path / "empty.parquet")
    store.write_parquet_parts([whole.iloc[:0]], tmp_path / "empty_parts.parquet")
    assert (tmp_path / "empty_parts.parquet").read_bytes() == (tmp_path / "empty.parquet").read_bytes()


def test_a_table_with_coded_columns_is_written_as_its_text(tmp_path: Path) -> None:
    """A clean event table's coded columns (`parsing.coded_text`: codes into distinct texts,
    here in another order than the rows', one not used, missing ones; and a file name of the
    dtype a text inserted into a frame gets) are written as their text: the bytes of the same
    table held as text, whole or in parts, over three row groups; read back as text."""
    rows = 2 * store.ROW_GROUP_ROWS + 5
    numbers = np.arange(rows)
    child = np.where(numbers % 11 == 0, -1, numbers % 3)
    texts = pa.array(["c2", "c0", "c1", "unused"], pa.large_string())
    as_text = pd.DataFrame({
        "child_id": pd.Series(pd.array(np.array(["c2", "c0", "c1"], dtype=object)[child], dtype="string"))
        .mask(child < 0),
        "dose_number": numbers % 7,
    })
    as_text.insert(1, "source_file", "vaccinationer.csv")
    coded = as_text.assign(child_id=parsing.coded_text(child, texts), source_file=pd.Categorical.from_codes(
        np.zeros(rows, dtype=np.int8), dtype=pd.CategoricalDtype(pd.Index(["vaccinationer.csv"]))))
    assert parsing.is_coded(coded["child_id"]) and parsing.is_coded(coded["source_file"])
    store.write_parquet(as_text, tmp_path / "text.parquet")
    store.write_parquet(coded, tmp_path / "coded.parquet")
    store.write_parquet_parts([coded], tmp_path / "coded_parts.parquet")
    written = (tmp_path / "text.parquet").read_bytes()
    assert pq.ParquetFile(tmp_path / "text.parquet").metadata.num_row_groups == 3
    assert (tmp_path / "coded.parquet").read_bytes() == written
    assert (tmp_path / "coded_parts.parquet").read_bytes() == written
    back = pd.read_parquet(tmp_path / "coded.parquet")
    assert back.dtypes.astype(str).tolist() == ["string", "str", "int64"]
    assert back["child_id"].iloc[:4].tolist() == [pd.NA, "c0", "c1", "c2"]


def test_a_table_written_meanwhile_has_the_bytes_of_write_parquet(tmp_path: Path) -> None:
    """store.parquet_written_meanwhile (the cohort, written while its tables are computed)
    writes the bytes write_parquet writes, whole when its block is done; a write that fails
    raises its error when the block is done."""
    rows = store.ROW_GROUP_ROWS + 5  # two row groups
    numbers = np.arange(rows)
    cohort = pd.DataFrame({
        "child_id": pd.Series(np.char.add("c", numbers.astype(str)), dtype="string"),
        "group": pd.Series(np.where(numbers % 3 == 0, "intervention", None), dtype="string"),
        "vacc_mmr1_24m": pd.array(np.where(numbers % 5 == 0, None, numbers % 2 == 0), dtype="boolean"),
        "in_study": numbers % 4 == 0,
        "contacts_received": numbers % 7,
        "bf_duration_left_days": np.where(numbers % 6 == 0, np.nan, numbers / 3),
    })
    store.write_parquet(cohort, tmp_path / "whole.parquet")
    with store.parquet_written_meanwhile(cohort, tmp_path / "meanwhile.parquet"):
        summed = int(cohort["contacts_received"].sum())  # the block reads the frame meanwhile
    assert summed == sum(numbers % 7)
    assert (tmp_path / "meanwhile.parquet").read_bytes() == (tmp_path / "whole.parquet").read_bytes()
    with pytest.raises(OSError), store.parquet_written_meanwhile(cohort, tmp_path / "none" / "x.parquet"):
        pass


def test_the_manifest_names_the_inputs_the_clean_tables_were_made_from(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The clean stage records the input hashes of its stamp; a later stage's run takes them
    for the manifest without hashing the exports again, and names the exports its results come
    from even when the files have changed since (until clean runs again)."""
    import json

    from studykit import pnr

    from pipeline import store

    folder = _two_children_study(tmp_path)
    a = pnr("20210304", "123")  # the first child
    run_study(folder, tmp_path, stages=["clean", "cohort"])
    manifest = tmp_path / "outputs" / "tiny" / "manifest.json"
    cleaned_from = json.loads(manifest.read_text())["inputs_sha256"]
    study = runner.load_study(folder)
    assert cleaned_from == runner.input_hashes(study) and len(cleaned_from) == 5
    with (folder / "amning.csv").open("a", encoding="utf-8") as export:
        export.write(f"{a};2021-05-10;delvis ammad\n")
    hashed: list[Path] = []
    file_sha256 = store.file_sha256
    monkeypatch.setattr(store, "file_sha256", lambda path: hashed.append(path) or file_sha256(path))
    assert run_study(folder, tmp_path, stages=["cohort"], force=True).stages[0].status == "ran"
    # no export hashed again but the one newer than the clean stage's stamp, to say that it
    # changed (the outputs' scan hashes what it scans, not the exports)
    assert [Path(path).name for path in hashed if Path(path).parent == folder] == ["amning.csv"]
    assert hashed  # the hashing was watched
    assert json.loads(manifest.read_text())["inputs_sha256"] == cleaned_from
    run_study(folder, tmp_path, stages=["clean"])  # the changed export is cleaned: named
    now = json.loads(manifest.read_text())["inputs_sha256"]
    assert now == runner.input_hashes(study) and now["amning.csv"] != cleaned_from["amning.csv"]


def test_clean_in_two_processes_writes_what_one_writes(tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """The exports after the children cleaned in forked processes (jobs 2, each writing and
    scanning its own tables) give the clean tables, rejects and data-quality tables of one
    process, and every table is told as cleaned."""
    from pipeline import parallel
    from pipeline.cli import main
    from pipeline.stages import clean

    folder = tmp_path / "data_raw" / "synthetic"
    assert main(["synth", "--out", str(folder), "--children", "400", "--seed", "5", "--quiet"]) == 0
    monkeypatch.setattr(clean, "PROCESS_MIN_EXPORT_BYTES", 0)  # a few kB of exports, in processes
    forked: list[int] = []

    def run_pieces(pieces, jobs, *args, **kwargs):
        forked.append(jobs)
        return parallel.run_pieces(pieces, jobs, *args, **kwargs)

    monkeypatch.setattr(clean, "run_pieces", run_pieces)
    read_ahead: list[str] = []
    reading_ahead = IngestedLazily.read_ahead

    def read_ahead_told(self: IngestedLazily, name: str) -> None:
        read_ahead.append(name)
        reading_ahead(self, name)

    monkeypatch.setattr(IngestedLazily, "read_ahead", read_ahead_told)
    said: dict[int, list[str]] = {1: [], 2: []}
    for jobs in (1, 2):
        run_study(folder, tmp_path / f"jobs{jobs}", stages=["ingest", "clean"], jobs=jobs,
                  progress=said[jobs].append)
    assert forked == [2]  # jobs 1 cleaned in one process, jobs 2 in two
    # in two, the largest export (by its file's bytes) read while the children were cleaned
    study = runner.load_study(folder)
    sizes = {name: study.input_path(name).stat().st_size for name in study.inputs if name != "children"}
    assert read_ahead == [max(sizes, key=sizes.get)]
    one, two = (tmp_path / f"jobs{jobs}" / "data_clean" / "synthetic" / "clean" for jobs in (1, 2))
    names = sorted(path.name for path in one.glob("*.parquet"))
    assert names == sorted(path.name for path in two.glob("*.parquet"))
    assert {"children.parquet", "visits.parquet", "antigen_doses.parquet", "rejects.parquet"} <= set(names)
    for name in names:
        pd.testing.assert_frame_equal(pd.read_parquet(one / name), pd.read_parquet(two / name),
                                      check_exact=True, obj=name)
    tables = [tmp_path / f"jobs{jobs}" / "outputs" / "synthetic" / "tables" for jobs in (1, 2)]
    csvs = sorted(path.name for path in tables[0].glob("*.csv"))
    assert "data_quality.csv" in csvs
    for name in csvs:
        assert (tables[0] / name).read_bytes() == (tables[1] / name).read_bytes(), name
    cleaned = {jobs: sorted(m.split()[-1] for m in said[jobs] if m.startswith("clean: "))
               for jobs in (1, 2)}
    # every table but the antigen doses, rejects and value issues is cleaned from an export
    assert cleaned[1] == cleaned[2] == sorted(n.removesuffix(".parquet") for n in names
                                              if n not in {"antigen_doses.parquet", "rejects.parquet",
                                                           "value_issues.parquet"})


def test_clean_stays_in_one_process_without_the_memory_for_more(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A machine whose free memory is less than the exports' bytes times
    PROCESS_MEMORY_PER_EXPORT_BYTE cleans them one by one, even with jobs 2."""
    from pipeline.cli import main
    from pipeline.stages import clean

    folder = tmp_path / "data_raw" / "synthetic"
    assert main(["synth", "--out", str(folder), "--children", "200", "--seed", "5", "--quiet"]) == 0
    asked: list[int] = []

    def little(bytes_needed: int = 0) -> int:
        asked.append(1)
        return 1024  # a kilobyte free: less than any study's exports need

    monkeypatch.setattr(clean, "available_memory", little)
    monkeypatch.setattr(clean, "PROCESS_MIN_EXPORT_BYTES", 0)  # large enough: memory decides
    monkeypatch.setattr(clean, "run_pieces", lambda *_, **__: pytest.fail("cleaned in processes"))
    summary = run_study(folder, tmp_path, stages=["ingest", "clean"], jobs=2)
    assert asked and summary.stages[0].status == "ran"
    assert summary.stages[0].rows["visits"] > 0


def test_a_municipality_s_few_megabytes_are_cleaned_in_one_process(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Exports under PROCESS_MIN_EXPORT_BYTES are cleaned one by one, memory or not: forking
    would cost more than it saves."""
    from pipeline.cli import main
    from pipeline.stages import clean

    folder = tmp_path / "data_raw" / "synthetic"
    assert main(["synth", "--out", str(folder), "--children", "200", "--seed", "5", "--quiet"]) == 0
    exports = sum(path.stat().st_size for path in folder.iterdir() if path.is_file())
    assert exports < clean.PROCESS_MIN_EXPORT_BYTES
    monkeypatch.setattr(clean, "available_memory", lambda: 2**50)
    monkeypatch.setattr(clean, "run_pieces", lambda *_, **__: pytest.fail("cleaned in processes"))
    assert run_study(folder, tmp_path, stages=["ingest", "clean"], jobs=2).stages[0].status == "ran"


def test_published_tables_written_by_two_processes_are_the_files_one_writes(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    writers = tmp_path / "writers"
    writers.mkdir()
    write_xlsx = runner.write_xlsx

    def noted(frame: pd.DataFrame, path: Path) -> None:  # which process wrote the workbook
        (writers / str(os.getpid())).touch()
        write_xlsx(frame, path)

    monkeypatch.setattr(runner, "write_xlsx", noted)
    tables = {f"t{i}": pd.DataFrame({"area": ["Norrbyåsen"] * (i + 1), "n": np.arange(i + 1) * 7.5})
              for i in range(5)}  # 2, 4, 6, 8 and 10 cells
    shares = runner.shared_by_cells(tables, 2)
    assert shares == [["t4", "t1", "t0"], ["t3", "t2"]]  # 10 + 4 + 2 cells against 8 + 6
    assert runner.shared_by_cells(tables, 1) == [["t0", "t1", "t2", "t3", "t4"]]
    runner.write_published(tables, tmp_path / "one")
    assert [path.name for path in writers.iterdir()] == [str(os.getpid())]  # this process alone
    (writers / str(os.getpid())).unlink()
    runner.write_published(tables, tmp_path / "two", jobs=2)
    # forked processes (one of the two may take both shares before the other starts: the
    # pool's own race, which once left 2 writers in all where the test had counted 3)
    forked = {path.name for path in writers.iterdir()}
    if parallel.can_fork():
        assert str(os.getpid()) not in forked and 1 <= len(forked) <= 2, forked
    else:
        assert forked == {str(os.getpid())}
    one = sorted(path.name for path in (tmp_path / "one").iterdir())
    assert one == sorted(path.name for path in (tmp_path / "two").iterdir())
    assert len(one) == 2 * len(tables) + 1  # CSV and XLSX each, and the data dictionary
    for name in one:
        assert (tmp_path / "one" / name).read_bytes() == (tmp_path / "two" / name).read_bytes(), name


def test_the_cohort_line_hides_a_second_count_beside_a_small_one() -> None:
    """Children the analyses leave out, by reason: 3 born after born_to ("<5"), 40 not eligible,
    then not shown (the total less the rest would give the 3 back). With no other count of 5
    or more, none is hidden: a "(not shown)" 0 protected nothing (the total less the children
    analysed is the small count, as the published design and data-quality tables say), and with
    every count small there was none to hide (max() of no counts)."""
    import datetime as dt
    from types import SimpleNamespace

    design = SimpleNamespace(born_from=dt.date(2020, 1, 1), born_to=dt.date(2022, 12, 31), type="did")
    study = SimpleNamespace(design=design, min_cell=5)

    def cohort(after: int, not_eligible: int, analysed: int) -> pd.DataFrame:
        n = after + not_eligible + analysed
        return pd.DataFrame({
            "birth_date": ["2023-06-01"] * after + ["2021-06-01"] * (not_eligible + analysed),
            "area_group": ["intervention"] * n,
            "in_study": [False] * (after + not_eligible) + [True] * analysed,
            "group": [None] * (after + not_eligible) + ["intervention"] * analysed})
    said = runner._outside_the_study(study, cohort(3, 40, 57))
    assert said == ("cohort: 57 of 100 clean children in the analyses; left out: 0 born before born_from "
                    "(2020-01-01), <5 after born_to (2022-12-31), 0 in no design area, (not shown) not "
                    "eligible, 0 in no group of the did design")
    assert "(not shown)" not in runner._outside_the_study(study, cohort(3, 0, 57))
    assert "<5 not eligible" in runner._outside_the_study(study, cohort(3, 2, 57))
