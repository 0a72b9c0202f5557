"""Runs a study's stages in order, with the cache, the lock and atomic outputs.

Data flows one way: raw -> ingest -> clean -> cohort -> compare -> report, with the
follow-up parts (followup, issue 12) reading clean's optional exports beside them. Each
stage owns a folder under data_clean/<study>/ that it replaces whole. outputs/<study>/ is
built in one staging copy during the run and swapped in at the end, after the output scan:
a run that fails anywhere publishes nothing and leaves the previous outputs whole.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import difflib
import importlib
import json
import logging
import os
import shutil
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from pipeline import __version__, changes, outputs, privacy, store
from pipeline.config import Study, load_study, part_settings, study_file_path
from pipeline.errors import ConfigError, HembesokError, InputFileError, OutputScanError
from pipeline.indicators import INDICATOR_SOURCES
from pipeline.parallel import freed_memory_kept, run_pieces
from pipeline.parsing import double_encoded
from pipeline.publish import publish_tables, scan_ahead, scan_file_for_personnummer, write_xlsx
from pipeline.stages import clean as clean_stage
from pipeline.stages.ingest import SOURCE_ROW, IngestedLazily, ingest


class _Stage:
    """A stage's module, imported when the run first uses it: a process that runs only ingest
    and clean (each stage of `hembesok bench` has its own) does not load statsmodels, scipy's
    statistics and matplotlib, a second of every start."""

    def __init__(self, module: str) -> None:
        self._module = module

    def __getattr__(self, name: str) -> Any:
        return getattr(importlib.import_module(self._module), name)


cohort_stage = _Stage("pipeline.stages.cohort")
compare_stage = _Stage("pipeline.stages.compare")
followup_stage = _Stage("pipeline.stages.followup")
report_stage = _Stage("pipeline.stages.report")

PUBLISHED = ".stages.json"  # in outputs/<study>/: which stage results it holds
DATA_DICTIONARY = "data_dictionary.csv"  # in tables/: the outputs catalog, column by column
log = logging.getLogger("hembesok")


@dataclass
class StageOutcome:
    """What one stage did in a run."""

    stage: str
    status: str  # "ran" | "cached"
    seconds: float
    rows: dict[str, int] = field(default_factory=dict)
    ran_at: str | None = None  # when a stage that ran finished (ISO time)


@dataclass
class RunSummary:
    """The result of `hembesok run`: where things are and what each stage did."""

    study: Study
    data_clean: Path
    outputs: Path
    stages: list[StageOutcome]

    @property
    def reports(self) -> list[Path]:
        folder = self.outputs / "reports"
        return sorted(folder.glob("*.html")) if folder.is_dir() else []


def project_root_of(path: Path) -> Path | None:
    """The enclosing repository (a folder with .git), where a key file must never lie."""
    for folder in [path.resolve(), *path.resolve().parents]:
        if (folder / ".git").exists():
            return folder
    return None


def study_key(study: Study) -> bytes:
    """The pseudonymisation key for a study (env, key file outside the repository, or demo)."""
    key_file = Path(study.key_file).expanduser() if study.key_file else None
    if key_file is not None and not key_file.is_absolute():
        key_file = study.folder / key_file
    return privacy.load_key(synthetic=study.synthetic, key_file=key_file,
                            project_root=project_root_of(study.folder), study_folder=study.folder)


def input_hashes(study: Study) -> dict[str, str]:
    """Each input file's SHA-256, two files at a time (hashlib lets go of the GIL)."""
    tables = sorted(study.inputs.items())
    with ThreadPoolExecutor(max_workers=2) as hashing:
        digests = hashing.map(lambda item: store.file_sha256(study.input_path(item[0])), tables)
        return {spec.file: digest for (_, spec), digest in zip(tables, digests, strict=True)}


def results_inputs(study: Study, clean_dir: Path) -> dict[str, str]:
    """The input files' hashes that the clean tables, and so every later stage's results, were
    computed from: as the clean stage recorded them in its stamp when it hashed the files;
    hashed now only when there is no record (no clean tables yet). The manifest says so
    without hashing a national cohort's 2 GB of exports again in every run (the cohort
    stage alone: 2 s of a million children's 20), and a cohort run on clean tables older
    than the exports names the exports they were cleaned from, not the newer ones."""
    recorded = (store.read_stamp(clean_dir / "clean") or {}).get("inputs")
    return recorded if recorded is not None else input_hashes(study)


def run_ingest_clean(study: Study, progress: Callable[[str], None] = lambda _: None, *,
                     set_aside: Callable[[str, Iterable[pd.DataFrame]], None] | None = None,
                     jobs: int = 1) -> clean_stage.CleanResult:
    """Ingest and clean in memory (the personnummer never reach the disk); `progress` hears of
    each file read and each table cleaned, `set_aside` (if given) of each clean table that can
    leave memory as soon as it is cleaned (`clean_stage.clean`). With `set_aside` (a run) each
    export is read only when its table is cleaned (`IngestedLazily`), the exports after the
    children's in up to `jobs` processes when they are large; without (validate, which checks
    every file before it cleans) all are read first."""
    key = study_key(study)
    ingested = IngestedLazily(study, progress) if set_aside is not None else ingest(study, progress)
    if set_aside is not None:
        clean_stage.read_ahead_for_processes(ingested, jobs)
    if key == privacy.DEMO_KEY:
        privacy.check_synthetic_marker(study.folder, ingested["children"].frame["personnummer"],
                                       study.extraction_date)
    result = clean_stage.clean(ingested, key=key, extraction_date=study.extraction_date,
                               areas=study.design.areas, area_map=study.area_map,
                               plausible_ranges=study.plausible_ranges, progress=progress,
                               set_aside=set_aside, jobs=jobs)
    check_design_areas(study, result.area_counts)
    return result


def check_design_areas(study: Study, counts: pd.Series) -> None:
    """Every area the design names must occur in the children export (else a typo): `counts`,
    the clean children per area."""
    found = [str(a) for a in counts.index]
    garbled = {repaired: area for area in found if (repaired := double_encoded(area)) is not None}
    problems = []
    for role, names in (("intervention_areas", study.design.intervention_areas),
                        ("comparison_areas", study.design.comparison_areas)):
        for name in names:
            if name not in counts.index:
                guess = difflib.get_close_matches(name, found, n=1)
                hint = (f" (did you mean '{guess[0]}'? then add area_map: {{'{guess[0]}': {name}}})"
                        if guess else "")
                if name in garbled:  # every å of the export garbled alike: no map fixes the rest
                    hint = (f" (the export writes it '{garbled[name]}': its UTF-8 text was read as "
                            "Windows-1252 and saved as UTF-8 again on the way, so every å, ä and ö of "
                            "the file is garbled; export it again from the source system as 'CSV UTF-8')")
                problems.append(f"design.{role}: area '{name}' does not occur in the children export "
                                f"(column omrade){hint}; areas found: {found[:12]}")
    if problems:
        raise ConfigError(problems, source=str(study.folder / "study.yml"))


def publish(tables: dict[str, pd.DataFrame], tables_dir: Path, min_cell: int) -> None:
    """Published tables: small cells suppressed together, so that no table reveals a cell hidden
    in another (SPEC §10), each written as CSV and XLSX."""
    write_published(publish_tables(tables, min_cell), tables_dir)


def write_published(published: dict[str, pd.DataFrame], tables_dir: Path, jobs: int = 1) -> None:
    """Tables already suppressed (`publish_tables`), each written as CSV and XLSX, and the
    catalog as the data dictionary.

    With `jobs` > 1 the tables are shared out by their cells among that many forked
    processes (`run_pieces`): XlsxWriter writes a workbook a cell at a time in Python, and
    the compare stage's 40 tables took 0.7 s of one core after its pieces, the other idle."""
    tables_dir.mkdir(parents=True, exist_ok=True)

    def written(names: list[str]) -> Callable[[], None]:
        def write() -> None:
            for name in names:
                store.write_csv(published[name], tables_dir / f"{name}.csv")
                write_xlsx(published[name], tables_dir / f"{name}.xlsx")
        return write

    run_pieces([written(names) for names in shared_by_cells(published, jobs)], jobs)
    store.write_csv(outputs.data_dictionary(), tables_dir / DATA_DICTIONARY)


def shared_by_cells(tables: dict[str, pd.DataFrame], shares: int) -> list[list[str]]:
    """The tables' names in up to `shares` lists of about as many cells each (the largest
    table first into the list with the fewest so far); in their order when one list."""
    if shares <= 1 or len(tables) <= 1:
        return [list(tables)] if tables else []
    lists: list[list[str]] = [[] for _ in range(min(shares, len(tables)))]
    cells = [0] * len(lists)
    for name in sorted(tables, key=lambda name: -tables[name].size):
        emptiest = cells.index(min(cells))
        lists[emptiest].append(name)
        cells[emptiest] += max(tables[name].size, 1)
    return lists


def cohort_tables(study: Study, cohort: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """The cohort stage's published tables: indicators, flow and fidelity."""
    return {name: make() for name, make in cohort_table_makers(study, cohort).items()}


def cohort_table_makers(study: Study, cohort: pd.DataFrame) -> dict[str, Callable[[], pd.DataFrame]]:
    """What makes each of `cohort_tables`, by name (for the compare stage to make them among
    its pieces)."""
    return {"indicators": lambda: cohort_stage.indicator_table(cohort),
            "flow": lambda: cohort_stage.flow_table(cohort),
            "fidelity": lambda: cohort_stage.fidelity_table(cohort, len(study.programme.contacts))}


def clean_tables(result: clean_stage.CleanResult) -> dict[str, pd.DataFrame]:
    """The clean stage's published tables: the row accounting, rejects, missingness, issues."""
    issues = (result.value_issues.groupby(["table", "source_file", "column", "issue"]).size()
              .rename("rows").reset_index())
    return {"data_quality": clean_stage.accounting(result),
            "rejects_by_reason": clean_stage.rejects_by_reason(result),
            "missingness": clean_stage.missingness(result), "value_issues": issues,
            "area_spellings": result.area_spellings}


def write_clean(study: Study, result: clean_stage.CleanResult, folder: Path, tables_dir: Path) -> None:
    """Write the clean parquet tables (but those set aside, written already), rejects and value
    issues, and the data-quality tables."""
    for name, table in result.tables.items():
        if name not in result.set_aside:
            store.write_parquet(table.frame, folder / f"{name}.parquet")
    if "antigen_doses" not in result.set_aside:
        store.write_parquet(result.antigen_doses, folder / "antigen_doses.parquet")
    store.write_parquet(result.rejects, folder / "rejects.parquet")
    store.write_parquet(result.value_issues, folder / "value_issues.parquet")
    publish(clean_tables(result), tables_dir, study.min_cell)


def write_cohort(study: Study, cohort: pd.DataFrame, folder: Path, tables_dir: Path) -> None:
    """Write the cohort with its data dictionary, and the indicator, flow and fidelity tables
    (computed while the cohort's parquet file is written)."""
    with store.parquet_written_meanwhile(cohort, folder / "cohort.parquet"):
        store.write_csv(cohort_stage.data_dictionary(cohort), folder / "data_dictionary.csv")
        publish(cohort_tables(study, cohort), tables_dir, study.min_cell)


def publish_compare(study: Study, tables: dict[str, pd.DataFrame],
                    previous: changes.PreviousRun | None) -> dict[str, pd.DataFrame]:
    """The compare stage's tables (SPEC §9), the cohort stage's among them first (they are
    written again: one joint pass is what keeps a hidden cell hidden everywhere), as
    published: suppressed together, and then `changes` — what they say that the `previous`
    run's did not."""
    published = publish_tables(tables, study.min_cell)
    table = changes.changes_table(previous, published, study.public_config()["design"])
    if changes.by_few_children(table, study.min_cell):
        # a half-year's counts that changed by a child or two since the previous run must be
        # hidden in trends.csv too: published with the changes in one pass (only then)
        return publish_tables({**tables, "changes": table}, study.min_cell)
    return published | publish_tables({"changes": table}, study.min_cell)


def write_compare(published: dict[str, pd.DataFrame], previous: changes.PreviousRun | None,
                  folder: Path, staged: Path, jobs: int = 1) -> None:
    """Write the published compare tables and keep the previous run's manifest and compared
    tables in history/ (outside tables/, which the stages rewrite)."""
    write_published(published, staged / "tables", jobs)
    if previous is not None:
        previous.keep(staged / changes.HISTORY)
    (folder / "tables.txt").write_text("\n".join(sorted(outputs.tables_of("compare"))) + "\n")


PROVENANCE_COLUMNS = ("source_file", SOURCE_ROW)  # where a clean row came from: for rejects and checks
# Columns of the clean event tables that no indicator reads, left out when the cohort stage
# reads them: their provenance and what clean derives for its own checks (a million
# children's doses: 270 MB of dose numbers).
UNREAD_EVENT_COLUMNS = (*PROVENANCE_COLUMNS, "coordination_number", "visit_number", "dose_number",
                        "dose_number_recorded")
# Texts of the clean event tables that the cohort stage keeps as arrow dictionaries, not as
# pandas categories: the ids, a million distinct texts (`_read_clean_table`).
ARROW_DICTIONARY_COLUMNS = ("child_id",)


def cohort_event_tables(study: Study) -> tuple[str, ...]:
    """The clean event tables the cohort stage reads, in the cohort's order: every one the
    cohort's parts are computed from, but an optional export (`Indicator.source`) only when
    the study gives it."""
    return tuple(name for name in cohort_stage.EVENT_PARTS
                 if name not in INDICATOR_SOURCES or name in study.inputs)


def check_clean(folder: Path, names: Sequence[str]) -> None:
    """Stop with a message when a clean table the cohort stage reads is missing."""
    missing = [n for n in names if not (folder / f"{n}.parquet").is_file()]
    if missing:
        raise HembesokError(f"{folder}: clean tables {missing} are missing; run the clean stage first "
                            "(hembesok run STUDY --stages clean cohort)")


class CleanEvents:
    """The clean event tables in `names` as (name, table) pairs in order (`_read_clean_table`),
    each read on a thread of its own while the one before it is in use, the first from the
    moment the block begins (`with CleanEvents(...) as events:`).

    pyarrow reads and converts without the GIL: on a second core each table is ready when it
    is asked for (a million children's event tables take 1.5 s to read; the visits, the
    first, are read while the children are) and no more than two are in memory at once."""

    def __init__(self, folder: Path, names: Sequence[str]) -> None:
        self.folder, self.names = folder, tuple(names)

    def __enter__(self) -> CleanEvents:
        self._reader = ThreadPoolExecutor(max_workers=1, thread_name_prefix="read-clean")
        self._upcoming = self._read(0)
        return self

    def __exit__(self, *exception: object) -> None:
        self._reader.shutdown(wait=True, cancel_futures=True)

    def __iter__(self) -> Iterator[tuple[str, pd.DataFrame]]:
        for index, name in enumerate(self.names):
            table = self._upcoming.result()
            self._upcoming = self._read(index + 1)
            yield name, table
            del table  # let go while the next is read

    def _read(self, index: int) -> Future[pd.DataFrame] | None:
        if index >= len(self.names):
            return None
        return self._reader.submit(_read_clean_table, self.folder / f"{self.names[index]}.parquet",
                                   events=True)


def _read_clean_table(path: Path, *, events: bool) -> pd.DataFrame:
    """A clean table as the cohort stage needs it. An event table (a visit, a dose, …) without
    the columns no indicator reads (`UNREAD_EVENT_COLUMNS`), and with its texts dictionary
    encoded: each distinct text once, and an index per event (a million children's events
    take a third less memory and time to read, and `positions_in` and `text_equals` look each
    text up once). The codes (antigen, visit status, …: a few distinct texts) become pandas
    categories; child_id stays an arrow dictionary (`pd.ArrowDtype`), one per row group: as a
    category its million ids would be unified across the row groups and then checked to be
    distinct, 3.7 s of a million children's cohort stage, which `positions_in` does not need.

    Read as one chunk per row group (`ParquetFile.read`), not in the dataset reader's
    batches of 131,072 rows: each batch carries its row group's whole dictionary, and
    unifying them hashed every id eight times over (a million children's 16M doses: 2.4 s
    of 3.3 to turn child_id into a category, now 0.9 s)."""
    if not events:
        return pd.read_parquet(path)
    schema = pq.read_schema(path)
    columns = [name for name in schema.names if name not in UNREAD_EVENT_COLUMNS]
    texts = [name for name in columns if pa.types.is_string(schema.field(name).type)
             or pa.types.is_large_string(schema.field(name).type)]
    table = pq.ParquetFile(path, read_dictionary=texts).read(columns=columns)
    ids = [name for name in ARROW_DICTIONARY_COLUMNS if name in texts]
    frame = table.drop_columns(ids).to_pandas()
    for name in ids:  # back in its place among the columns
        frame.insert(columns.index(name), name,
                     pd.Series(pd.arrays.ArrowExtensionArray(table[name]), index=frame.index))
    return frame


# A stage's write step: (its own folder in data_clean/, the run's staged outputs/<study>/).
Writer = Callable[[Path, Path], None]


@dataclass(frozen=True)
class RunContext:
    """What a stage's run function may use: the study, its folders and the run's options."""

    study: Study
    root: Path
    clean_dir: Path
    outputs: Path
    jobs: int
    say: Callable[[str], None]
    # the stage's staging folder in data_clean/ while it runs (what it writes there early, to
    # free memory, is kept only if the stage succeeds); None outside a stage
    scratch: Path | None = None


@dataclass(frozen=True)
class Stage:
    """One stage of the pipeline, declared as data.

    `run` computes (rows counted, a writer); `upstream` names the stage whose result it
    reads, whose stamp hash enters its own stamp (and `also_reads` the other stages whose
    results it reads, likewise); `depends_on` adds what else its stamp
    depends on (the input files, the notebook); `selected_by` are the names of `--stages`
    that select it; `config_unused` are the study.yml keys it never reads (a change to them
    does not rerun it). The runner loops over PIPELINE: adding a stage is one entry.
    """

    key: str  # its folder in data_clean/<study>/ and its name in stamps
    label: str  # as the run log and the manifest show it
    run: Callable[[RunContext], tuple[dict[str, int], Writer]]
    upstream: str | None = None
    also_reads: tuple[str, ...] = ()
    depends_on: Callable[[RunContext], dict[str, str]] = lambda _: {}
    selected_by: tuple[str, ...] = ()
    config_unused: tuple[str, ...] = ()  # study.yml keys left out of its stamp: it never reads them

    def selected(self, wanted: Sequence[str]) -> bool:
        return bool(set(self.selected_by or (self.key,)) & set(wanted))


def _run_clean(ctx: RunContext) -> tuple[dict[str, int], Writer]:
    def set_aside(name: str, parts: Iterable[pd.DataFrame]) -> None:  # written as soon as cleaned
        store.write_parquet_parts(parts, ctx.scratch / f"{name}.parquet")
        if isinstance(parts, list):  # the rows' only holder (CleanTable.handed_over): let go
            parts.clear()
        # and scanned for personnummer while the next table is cleaned, for the stage's scan
        scan_ahead([ctx.scratch / f"{name}.parquet"])

    result = run_ingest_clean(ctx.study, ctx.say, set_aside=set_aside if ctx.scratch else None,
                              jobs=ctx.jobs)
    if problems := clean_stage.rejected_share_problems(result, ctx.study.max_rejected_share):
        raise InputFileError("; ".join(problems) + ". Nothing was written.")
    rows = {name: t.rows_clean for name, t in result.tables.items()}
    ctx.say(f"ingest + clean: {sum(rows.values()):,} clean rows, {len(result.rejects):,} rejected")
    for note in result.notes:  # what was read differently from a plain export (as validate says)
        ctx.say(f"ingest + clean: note: {privacy.mask_text(note)}")
    for area, children in _areas_outside(result.area_spellings):  # as validate lists them
        ctx.say(f"ingest + clean: note: the children export's area '{privacy.mask_text(area)}' "
                f"({children:,} children) is not an area of the design: its children are outside the "
                "study (`hembesok validate` lists the nearest design area and the area_map fix)")
    return rows, lambda folder, staged: write_clean(ctx.study, result, folder, staged / "tables")


def _areas_outside(spellings: pd.DataFrame) -> list[tuple[str, int]]:
    """(area, children) of the children export's areas that no design area matches."""
    from pipeline.stages.clean import UNMATCHED

    if spellings.empty:
        return []
    rows = spellings[spellings["status"] == UNMATCHED]
    return [(str(a), int(c)) for a, c in zip(rows["area_in_export"], rows["children"], strict=True)]


def _run_cohort(ctx: RunContext) -> tuple[dict[str, int], Writer]:
    folder, names = ctx.clean_dir / "clean", cohort_event_tables(ctx.study)
    check_clean(folder, ("children", *names))
    # the memory the stage frees kept for its next arrays (15-20 s -> 12-13 s at a million
    # children, 2.3 -> 2.5-2.6 GB), handed back when it is done
    with freed_memory_kept(), CleanEvents(folder, names) as events:
        children = _read_clean_table(folder / "children.parquet", events=False)
        cohort = cohort_stage.cohort_from_events(ctx.study, children, events)
    rows = {"children": len(cohort), "in_study": int(cohort["in_study"].sum())}
    ctx.say(_outside_the_study(ctx.study, cohort))
    return rows, lambda folder, staged: write_cohort(ctx.study, cohort, folder, staged / "tables")


def _outside_the_study(study: Study, cohort: pd.DataFrame) -> str:
    """The clean children the analyses leave out, each by its first reason (a quarter's
    children born after born_to were left out without a word; under `concurrent` those born
    before the start, under `historical` the comparison areas, are in no group). Counts below
    min_cell say "<5", and then the largest other count is not shown either, so that the total
    cannot give a small one back (the line is kept in run.log)."""
    design = study.design
    birth = pd.to_datetime(cohort["birth_date"])
    before = (birth < pd.Timestamp(design.born_from)).to_numpy(dtype=bool)
    after = (birth > pd.Timestamp(design.born_to)).to_numpy(dtype=bool)
    no_area = cohort["area_group"].isna().to_numpy(dtype=bool) & ~before & ~after
    in_study = cohort["in_study"].to_numpy(dtype=bool)
    not_eligible = ~in_study & ~before & ~after & ~no_area
    analysed = cohort["group"].notna().to_numpy(dtype=bool)
    reasons = {f"born before born_from ({design.born_from})": before,
               f"after born_to ({design.born_to})": after, "in no design area": no_area,
               "not eligible": not_eligible,
               f"in no group of the {design.type} design": in_study & ~analysed}
    counts = {reason: int(mask.sum()) for reason, mask in reasons.items()}
    m = study.min_cell
    small = [reason for reason, n in counts.items() if 0 < n < m]
    shown = {reason: f"<{m}" if reason in small else f"{n:,}" for reason, n in counts.items()}
    others = [reason for reason, n in counts.items() if n >= m]
    if small and others:  # (with none, the published design and data-quality tables say as much)
        shown[max(others, key=counts.get)] = "(not shown)"
    return (f"cohort: {int(analysed.sum()):,} of {len(cohort):,} clean children in the analyses; left "
            "out: " + ", ".join(f"{shown[reason]} {reason}" for reason in reasons))


def _run_compare(ctx: RunContext) -> tuple[dict[str, int], Writer]:
    cohort_file = ctx.clean_dir / "cohort" / "cohort.parquet"
    if not cohort_file.is_file():
        raise HembesokError(f"{cohort_file} is missing; run the cohort stage first "
                            "(hembesok run STUDY --stages cohort compare)")
    with ThreadPoolExecutor(1) as reader:  # the cohort read while the stage's modules load
        reading = reader.submit(pd.read_parquet, cohort_file)
        compare_stage.compare  # noqa: B018 - statsmodels, scipy's statistics: 0.7 s of imports
        cohort = reading.result()
    costs_file = ctx.clean_dir / "clean" / "costs.parquet"  # the kostnader export, when given
    costs = pd.read_parquet(costs_file) if "costs" in ctx.study.inputs and costs_file.is_file() else None
    # the cohort's published tables, published again with the comparison's, made among its pieces
    again = cohort_table_makers(ctx.study, cohort)
    tables = compare_stage.compare(ctx.study, cohort, costs=costs, progress=ctx.say, jobs=ctx.jobs,
                                   beside=again)
    # what the outputs published so far hold: the previous run, for changes.csv
    previous = changes.PreviousRun.read(ctx.outputs)
    published = publish_compare(ctx.study, tables, previous)
    rows = ({name: len(frame) for name, frame in tables.items() if name not in again}
            | {"changes": len(published["changes"])})
    return rows, lambda folder, staged: write_compare(published, previous, folder, staged, ctx.jobs)


def _run_followup(ctx: RunContext) -> tuple[dict[str, int], Writer]:
    exports = followup_stage.read_exports(ctx.study, ctx.clean_dir / "clean")
    tables = followup_stage.followup(ctx.study, exports)
    if exports:
        ctx.say(f"followup: {', '.join(exports)} -> {len(tables)} tables")
    rows = {name: len(frame) for name, frame in tables.items()}

    def write(folder: Path, staged: Path) -> None:
        for name in followup_stage.part_tables():  # an export no longer given leaves no table
            for suffix in (".csv", ".xlsx"):
                (staged / "tables" / f"{name}{suffix}").unlink(missing_ok=True)
        publish(tables, staged / "tables", ctx.study.min_cell)
        (folder / "tables.txt").write_text("".join(f"{name}\n" for name in sorted(tables)))
    return rows, write


def _run_report(ctx: RunContext) -> tuple[dict[str, int], Writer]:
    count = len(report_stage.report_jobs(ctx.study))
    ctx.say(f"report: rendering {count} reports with {ctx.jobs} job(s) …")

    def write(folder: Path, staged: Path) -> None:
        for made in ("reports", "figures"):
            shutil.rmtree(staged / made, ignore_errors=True)
        written = report_stage.render_reports(
            ctx.study, staged, staged / "reports",
            ctx.root / "outputs" / f".{ctx.study.name}-failed-notebooks", jobs=ctx.jobs,
            figures_dir=staged / "figures", run_label=str(ctx.outputs), progress=ctx.say)
        (folder / "reports.txt").write_text("\n".join(p.name for p in written) + "\n")
    return {"reports": count}, write


# study.yml keys that only the reports read (the page title; the technical report's language):
# a change to them reruns the report stage alone.
REPORT_SETTINGS = ("title", "language")
COMPARE_SETTINGS = ("costs",)  # read from the compare stage on: a new budget reruns no cleaning
# study.yml keys that only the follow-up parts read (pipeline.followup: STUDY_SETTINGS)
FOLLOWUP_SETTINGS = tuple(part_settings())

PIPELINE: tuple[Stage, ...] = (
    Stage("clean", "ingest + clean", _run_clean,
          depends_on=lambda ctx: {"inputs": input_hashes(ctx.study),
                                  "key": privacy.key_fingerprint(study_key(ctx.study))},
          selected_by=("ingest", "clean"),
          config_unused=(*REPORT_SETTINGS, *COMPARE_SETTINGS, *FOLLOWUP_SETTINGS)),
    Stage("cohort", "cohort", _run_cohort, upstream="clean",
          config_unused=(*REPORT_SETTINGS, *COMPARE_SETTINGS, *FOLLOWUP_SETTINGS)),
    Stage("compare", "compare", _run_compare, upstream="cohort",
          config_unused=(*REPORT_SETTINGS, *FOLLOWUP_SETTINGS)),
    # the follow-up parts read clean's optional exports, not the cohort (pipeline.followup)
    Stage("followup", "followup", _run_followup, upstream="clean",
          config_unused=(*REPORT_SETTINGS, *COMPARE_SETTINGS)),
    Stage("report", "report", _run_report, upstream="compare", also_reads=("followup",),
          depends_on=lambda _: {"notebook": store.file_sha256(report_stage.notebook_path())}),
)


def _stage_names(pipeline: Sequence[Stage]) -> tuple[str, ...]:
    """The names `--stages` takes, in pipeline order."""
    return tuple(name for stage in pipeline for name in (stage.selected_by or (stage.key,)))


STAGES: tuple[str, ...] = _stage_names(PIPELINE)
STAGE_LABELS: tuple[str, ...] = tuple(s.label for s in PIPELINE)  # as in the manifest
ANALYSIS_STAGES: tuple[str, ...] = STAGES[:-1]  # every stage but the reports


def run_study(study_path: Path, root: Path, *, stages: Sequence[str] | None = None,
              force: bool = False, jobs: int = 1,
              progress: Callable[[str], None] = lambda _: None) -> RunSummary:
    """Run the requested stages (default: all) of a study under `root`: one loop over
    PIPELINE, each stage cached on its stamp (its upstream's result, what it depends on, the
    configuration and the code), all outputs staged and swapped in after the scan.

    Under the study's lock, first what a killed run left is repaired or removed. A folder
    that cannot be written (full disk, read-only, no permission) stops the run with one
    message naming it; the previous outputs stay whole.
    """
    study = load_study(study_path)
    names = _stage_names(PIPELINE)  # at call time: a stage added to PIPELINE is runnable
    wanted = list(stages or names)
    unknown = [s for s in wanted if s not in names]
    if unknown:
        raise HembesokError(f"unknown stage(s) {unknown}; stages are {list(names)}")
    clean_dir = study.data_clean_dir(root)
    outputs = study.outputs_dir(root)
    code = store.code_version()
    log_lines: list[str] = []

    def say(message: str) -> None:
        log_lines.append(f"{dt.datetime.now().isoformat(timespec='seconds')} {message}")
        progress(message)

    log_lines.append(f"{dt.datetime.now().isoformat(timespec='seconds')} hembesok {__version__}: "
                     f"run of {study.name} (stages {' '.join(wanted)}{', forced' if force else ''})")
    ctx = RunContext(study, root, clean_dir, outputs, jobs, say)
    try:
        with store.study_lock(root, study.name):
            claim_study_name(study_file_path(study_path), study.name, root, outputs)
            for folder in (outputs, *(clean_dir / stage.key for stage in PIPELINE)):
                for repaired in store.recover_folder(folder):
                    say(repaired)
            outcomes = _run_stages(ctx, wanted, force, code, log_lines)
    except OSError as error:
        failure = cannot_write(error, root, outputs)
        if failure is None:
            raise
        raise failure from None
    return RunSummary(study, clean_dir, outputs, outcomes)


def _run_stages(ctx: RunContext, wanted: Sequence[str], force: bool, code: str,
                log_lines: list[str]) -> list[StageOutcome]:
    """The loop over PIPELINE, in one staging copy of outputs/<study>/ (the caller holds the lock)."""
    study, clean_dir = ctx.study, ctx.clean_dir
    config = study.public_config()
    published = _published_stages(ctx.outputs)
    history = RunHistory.read(ctx.outputs)
    outcomes: list[StageOutcome] = []
    if not any(stage.key == "clean" and stage.selected(wanted) for stage in PIPELINE):
        if note := _exports_changed_since_cleaned(ctx):  # "nothing changed" speaks of the stages only
            ctx.say(note)
    with outputs_staging(ctx.outputs) as staged:
        for stage in PIPELINE:
            if not stage.selected(wanted):
                continue
            if stage.key == "report":
                # the reports show the manifest; its report entry is written when they are done
                write_manifest(study, staged, code, outcomes, log_lines, history.without("report"),
                               inputs=results_inputs(study, clean_dir))
            stamp = {"stage": stage.key, **stage.depends_on(ctx), "code": code,
                     "config": {k: v for k, v in config.items() if k not in stage.config_unused}}
            for read in (stage.upstream, *stage.also_reads):
                if read is not None:
                    stamp[read] = (store.read_stamp(clean_dir / read) or {}).get("hash")
            def compute(scratch: Path, stage: Stage = stage) -> tuple[dict[str, int], Writer]:
                return stage.run(dataclasses.replace(ctx, scratch=scratch))
            outcomes.append(_stage(stage.label, clean_dir / stage.key, staged, stamp, force, ctx.say,
                                   compute, published))
        write_manifest(study, staged, code, outcomes, log_lines, history,
                       inputs=results_inputs(study, clean_dir))
        (staged / PUBLISHED).write_text(json.dumps(published, indent=2, sort_keys=True) + "\n")
    return outcomes


def _exports_changed_since_cleaned(ctx: RunContext) -> str:
    """With the clean stage left out of a run (`--stages report`), the exports changed since it
    read them, in words ("" when none did): the run's results are of the earlier exports. An
    export is hashed only when it is newer than the clean stage's stamp."""
    stamp_file = ctx.clean_dir / "clean" / store.STAMP
    recorded = (store.read_stamp(ctx.clean_dir / "clean") or {}).get("inputs") or {}
    if not stamp_file.is_file():
        return ""
    cleaned_at = stamp_file.stat().st_mtime
    paths = {spec.file: ctx.study.input_path(table) for table, spec in sorted(ctx.study.inputs.items())}
    gone = [name for name, path in paths.items() if not path.is_file()]
    # a file newer than the stamp is hashed (one copied with its old time, `cp -p`, is not seen)
    changed = [name for name, path in paths.items() if name not in gone
               and path.stat().st_mtime > cleaned_at and store.file_sha256(path) != recorded.get(name)]
    said = ([f"{', '.join(changed)} changed since the clean stage read it"] if changed else []) + (
        [f"{', '.join(gone)} {'is' if len(gone) == 1 else 'are'} no longer there"] if gone else [])
    if not said:
        return ""
    return (f"note: {'; '.join(said)}; this run does not read the exports again, so its results are "
            "of the earlier ones (run all stages, or add `ingest clean` to --stages, to take the "
            "change in)")


STUDY_FILE_RECORD = "study_file.txt"  # in data_clean/<study>/: the study.yml its results are of


def claim_study_name(study_file: Path, name: str, root: Path, outputs: Path, *, record: bool = True) -> None:
    """Refuse a second study folder with the same `name:` (it would overwrite the first one's
    data_clean/<name>/ and outputs/<name>/); record this one as the owner of the name.

    The owner is recorded relative to the root when it lies inside it, so that a copied or
    moved root keeps its studies. A recorded study file that is gone, or that now names
    another study, gives the name up (its folder was moved or renamed).
    """
    root, study_file = root.resolve(), study_file.resolve()
    record_file = root / "data_clean" / name / STUDY_FILE_RECORD
    recorded = record_file.read_text(encoding="utf-8").strip() if record_file.is_file() else None
    owner = root / recorded if recorded else None  # an absolute record stays absolute
    if owner is not None and owner != study_file and owner.is_file():
        try:
            owner_name = load_study(owner).name
        except HembesokError:  # unreadable now: it may still be this study
            owner_name = name
        if owner_name == name:
            raise HembesokError(
                f"two study folders are named '{name}': {owner.parent} and {study_file.parent}. "
                f"{record_file.parent} and {outputs} hold the results of the first; a run of the second "
                f"would overwrite them, so it is refused. Give one of the two another name (the "
                f"name: line of its study.yml) and run again; or, if {study_file.parent} replaces "
                f"{owner.parent}, delete {record_file} and run again")
    mine = study_file.relative_to(root) if study_file.is_relative_to(root) else study_file
    if record and recorded != mine.as_posix():  # `record=False`: only the check (validate)
        record_file.parent.mkdir(parents=True, exist_ok=True)
        staged = record_file.with_name(f".{record_file.name}.tmp-{os.getpid()}")
        staged.write_text(f"{mine.as_posix()}\n", encoding="utf-8")
        staged.replace(record_file)


def cannot_write(error: OSError, root: Path, study_outputs: Path) -> HembesokError | None:
    """The message for a write that failed for want of space or permission, naming the folder;
    None for any other error."""
    if error.errno not in store.WRITE_FAILURES:
        return None
    why, remedy = store.WRITE_FAILURES[error.errno]
    written = error.filename2 or error.filename  # a copy names its source first
    file = Path(written) if written else None
    tops = [root / "data_clean", root / "outputs"]
    folder = next((top for top in tops if file is not None and _inside(file, top)),
                  file.parent if file is not None else None)
    where = str(folder) if folder is not None else f"{tops[0]} or {tops[1]}"
    writing = f" (writing {file})" if file is not None and file != folder else ""
    return HembesokError(f"cannot write to {where}: {why}{writing}. {remedy}, or "
                         f"run with --root on another disk, and run again. Nothing was published: "
                         f"the previous outputs in {study_outputs} are left whole")


def _inside(path: Path, folder: Path) -> bool:
    return Path(os.path.abspath(path)).is_relative_to(os.path.abspath(folder))


@dataclass(frozen=True)
class RunHistory:
    """What the published outputs/<study>/ says about earlier runs: stage timings and run.log."""

    stages: dict[str, dict]
    created: str | None
    log: str

    @classmethod
    def read(cls, outputs: Path) -> RunHistory:
        manifest_file, log_file = outputs / "manifest.json", outputs / "run.log"
        try:
            manifest = json.loads(manifest_file.read_text(encoding="utf-8"))
        except (OSError, ValueError):  # none yet; an unreadable one only loses the earlier timings
            manifest = {}
        log = log_file.read_text(encoding="utf-8", errors="replace") if log_file.is_file() else ""
        stages = {entry["stage"]: entry for entry in manifest.get("stages") or []
                  if isinstance(entry, dict) and "stage" in entry}
        return cls(stages, manifest.get("created"), log)

    def without(self, stage: str) -> RunHistory:
        return RunHistory({k: v for k, v in self.stages.items() if k != stage}, self.created, self.log)


def stage_records(outcomes: list[StageOutcome], history: RunHistory) -> list[dict]:
    """The manifest's stage entries: this run's outcomes, timed by the last run that computed them.

    A stage that ran has this run's seconds and `ran_at`; a cached stage keeps the
    seconds and `ran_at` of the run that computed it, with status "cached". Stages this run
    did not ask for keep their earlier entries, so the manifest covers every output.
    """
    records = {}
    for outcome in outcomes:
        record = {"stage": outcome.stage, "status": outcome.status, "seconds": round(outcome.seconds, 3),
                  "ran_at": outcome.ran_at, "rows": outcome.rows}
        earlier = history.stages.get(outcome.stage)
        if outcome.status == "cached" and earlier and earlier.get("seconds") is not None:
            record.update(seconds=earlier["seconds"], ran_at=earlier.get("ran_at") or history.created)
        records[outcome.stage] = record
    merged = {**history.stages, **records}
    known = {name: place for place, name in enumerate(STAGE_LABELS)}
    return [merged[name] for name in sorted(merged, key=lambda name: known.get(name, len(known)))]


def write_manifest(study: Study, staged: Path, code: str, outcomes: list[StageOutcome],
                   log_lines: list[str], history: RunHistory | None = None, *,
                   inputs: dict[str, str] | None = None) -> None:
    """manifest.json of this run and run.log (earlier runs' lines, then this run's), into staged
    outputs; `inputs`: the input files' hashes (`results_inputs`), else hashed now."""
    history = history or RunHistory({}, None, "")
    inputs = input_hashes(study) if inputs is None else inputs
    manifest = store.manifest(study_name=study.name, config=study.public_config(),
                              inputs=inputs, code=code, stages=stage_records(outcomes, history))
    (staged / "manifest.json").write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n",
                                          encoding="utf-8")
    earlier = history.log if not history.log or history.log.endswith("\n") else history.log + "\n"
    (staged / "run.log").write_text(earlier + "\n".join(log_lines) + "\n", encoding="utf-8")


def _published_stages(outputs: Path) -> dict[str, str]:
    """{stage: hash} of the stage results that the published outputs/<study>/ holds."""
    record = outputs / PUBLISHED
    return json.loads(record.read_text()) if record.is_file() else {}


def _stage(name: str, folder: Path, staged: Path, stamp: dict, force: bool,
           progress: Callable[[str], None],
           compute: Callable[[Path], tuple[dict[str, int], Writer]],
           published: dict[str, str]) -> StageOutcome:
    """Run one stage unless its stamp (inputs, config, code) is unchanged and published.

    The stage's own folder in data_clean/ is replaced whole: `compute` gets its staging
    folder (for what it writes before it is done) and its writer writes the rest there; its
    tables go into the run's staged outputs, which replace outputs/<study>/ only when the whole
    run succeeds.
    """
    started = time.perf_counter()
    stamp_hash = store.json_sha256(stamp)
    previous = store.read_stamp(folder)
    if (not force and previous and previous.get("hash") == stamp_hash
            and published.get(name) == stamp_hash):
        progress(f"{name}: nothing changed, cached")
        return StageOutcome(name, "cached", time.perf_counter() - started, previous.get("rows", {}))
    progress(f"{name}: running …")
    with store.atomic_folder(folder) as staging:
        rows, write = compute(staging)
        write(staging, staged)
        scan_data_clean(staging)
        # the input files' hashes, when the stamp has them (clean's), for the manifest
        # (`results_inputs`)
        recorded = {"inputs": stamp["inputs"]} if "inputs" in stamp else {}
        store.write_stamp(staging, {"hash": stamp_hash, "rows": rows, **recorded})
    published[name] = stamp_hash
    return StageOutcome(name, "ran", time.perf_counter() - started, rows,
                        ran_at=dt.datetime.now().isoformat(timespec="seconds"))


@contextlib.contextmanager
def outputs_staging(outputs: Path) -> Iterator[Path]:
    """A staging copy of outputs/<study>/ that replaces it whole on success, after the scan."""
    with store.atomic_folder(outputs) as staging:
        if outputs.is_dir():
            store.copy_tree(outputs, staging)
        yield staging
        scan_outputs(staging)


def scan_data_clean(folder: Path) -> None:
    """Abort a stage whose data_clean/ files hold a personnummer-like string: data_clean/ is
    pseudonymised, so one there means an identifier escaped the clean stage."""
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        hits = scan_file_for_personnummer(path)
        if hits:
            raise OutputScanError(f"data_clean: {path.name}: {len(hits)} personnummer-like "
                                  f"string(s) found (e.g. {hits[0]}); the stage is aborted and "
                                  "data_clean/ is left as it was")


def scan_outputs(folder: Path) -> None:
    """Abort when any output file holds a personnummer-like string (SPEC §10)."""
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        hits = scan_file_for_personnummer(path)
        if hits:
            raise OutputScanError(f"{path.name}: {len(hits)} personnummer-like string(s) found "
                                  f"(e.g. {hits[0]}); the run is aborted and nothing is published")
