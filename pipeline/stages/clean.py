"""Stage 2, clean: validate, harmonise and pseudonymise the ingested tables.

Every raw row ends in exactly one place: the clean table, the rejects (with a reason code,
the source file, the row number and the offending value), or the count of exact
duplicates. Personnummer are checked (length, characters, date, Luhn check digit) and
replaced by keyed HMAC-SHA256 pseudonyms (`child_id`); no column of the output holds a
personnummer. Offending personnummer values are stored masked (digits as '#').

Rules (documented here because a reviewer will ask):
- Exact duplicates: rows identical in every parsed column; the first in file order is
  kept, the others are counted as duplicates.
- Conflicting duplicates: rows with the same key (children: child; visits: child, date,
  kind; breastfeeding: child, date; vaccinations: child, date, product; language: child,
  screening) but different values. The row with the most non-missing values is kept; on a
  tie the first in file order. The others are rejected as `duplicate_conflict`.
- Dates: an event before the child's birth (`date_before_birth`) or after the extraction
  date (`date_after_extraction`) is rejected; an event of a child missing from the clean
  children table is rejected as `unknown_child`.
- Birth date and sex: taken from the export's columns when given, else derived from the
  personnummer (its date can differ from the true birth date when a day's serial numbers
  ran out); a disagreement is kept and flagged in `birth_date_conflict` / `sex_conflict`.
- Areas: an export's area is matched to the design's areas ignoring accents, case and
  spacing ('NORRBYASEN ' is Norrbyåsen), then through study.yml `area_map`; anything else is
  kept as spelled and its children stay outside the design. Every spelling that is not
  exactly a design area is listed in `area_spellings` with its children and, when unmatched,
  the nearest design area. A suffix ("Norrbyåsen BVC", "BVC-område Norrbyåsen") is never
  guessed away: a BVC's catchment is not a district (one BVC can serve two districts, and
  "Lindås BVC" stripped is neither Östra Lindås nor Sjöviken), so only the user can say
  what it means, with `area_map`.
- Plausible ranges: a children's number outside its study.yml range (birth weight,
  gestational weeks, mother's age) is set missing and listed in value_issues, before
  duplicates are resolved (an impossible value makes no row more complete).
- Optional exports (a follow-up part's `EXPORT`, e.g. conversations): the same checks where
  they apply, with the same reasons. A personnummer is checked and replaced by `child_id`
  with the same key; another id of the source system (a family id, kind "identifier") by a
  keyed pseudonym of its own domain (`privacy.pseudonymise_identifier`), so that no
  identifier is stored; a row with neither is rejected as `id_missing`. Every date is checked
  against the extraction date, and against the child's birth (the children table's, else the
  personnummer's) when the row names a child. A child missing from the children table is
  not rejected: an optional export follows the programme's work (a conversation's district is
  its own), not the study population. Its `area` is read as the children's is. Exact
  duplicates are counted where the export names whom a row is about (a personnummer or a
  family id); an export without such a column keeps identical rows, which may be two people
  (two respondents giving one score). There is no conflicting-duplicate rule (two
  conversations of one family on one day may both have taken place). A part's own rules
  then reject what they refuse (its `reject_rows`), with its reasons.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import difflib
import functools
import math
import re
import sys
from collections.abc import Callable, Iterable, Iterator, Mapping, MutableMapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import wait as futures_wait
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from pipeline import privacy
from pipeline.followup import optional, part_of_export
from pipeline.parallel import available_memory, can_fork, hand_back_freed_memory, run_pieces
from pipeline.parsing import (
    area_key,
    area_keys,
    as_text,
    as_text_columns,
    coded_results,
    double_encoded,
    factorized,
    fold_labels,
    is_coded,
)
from pipeline.progress import step_message
from pipeline.schema import TABLES, Table
from pipeline.stages.ingest import (
    ISSUE_COLUMNS,
    REJECT_COLUMNS,
    SOURCE_ROW,
    IngestedLazily,
    IngestedTable,
    garbled_file,
)
from pipeline.store import ROW_GROUP_ROWS
from pipeline.vaccines import PRODUCTS, product_for

DUPLICATE_KEYS: dict[str, tuple[str, ...]] = {
    "children": ("child_id",),
    "visits": ("child_id", "visit_date", "visit_kind"),
    "breastfeeding": ("child_id", "assessment_date"),
    "vaccinations": ("child_id", "dose_date", "product"),
    "language": ("child_id", "screening"),
    # one contact per child, day and care form (a register lists a visit once a day and form)
    "care_contacts": ("child_id", "contact_date", "care_type"),
    "dental": ("child_id", "exam_date"),
}
EVENT_DATE: dict[str, str] = {"visits": "visit_date", "breastfeeding": "assessment_date",
                              "vaccinations": "dose_date", "language": "screening_date",
                              "care_contacts": "contact_date", "dental": "exam_date"}
# An event count outside its possible range is rejected, never capped: a child has 20 primary teeth.
EVENT_RANGES: dict[str, tuple[str, int, int, str]] = {"dental": ("deft", 0, 20, "deft_out_of_range")}
AREA_SPELLING_COLUMNS = ["source_file", "area_in_export", "children", "status", "read_as",
                         "nearest_area", "similarity"]
# How an export's area spelling was read (area_spellings.status)
FOLDED, MAPPED, UNMATCHED = "folded", "area_map", "unmatched"


@dataclass
class CleanTable:
    """One clean table with its accounting."""

    table: str
    source_file: str
    rows_read: int
    frame: pd.DataFrame
    rows_duplicate: int
    rejects: pd.DataFrame
    # for a table set aside (written as soon as cleaned, `frame` then its columns without
    # rows): its clean rows and, per column, the rows asked and the missing values among them
    rows_set_aside: int | None = None
    missing: dict[str, tuple[int, int]] | None = None

    @property
    def rows_clean(self) -> int:
        return len(self.frame) if self.rows_set_aside is None else self.rows_set_aside

    def missing_values(self) -> dict[str, tuple[int, int]]:
        """Per column of the clean table, the rows it is asked of and its missing values among
        them (`missing_among_asked`)."""
        if self.missing is not None:
            return self.missing
        return missing_among_asked(self.table, self.frame)

    def handed_over(self) -> tuple[CleanTable, list[pd.DataFrame]]:
        """The table as kept once its rows are handed over to be written (its counts and its
        columns without rows), and its rows as a list of one part. Once the caller lets this
        table go the list is the rows' only holder, so that the hand-over can let them go when
        they are written (`set_aside` may empty the list), before it scans the file: a million
        children's clean visits were held through their scan, beside the next export."""
        missing = self.missing_values()
        return dataclasses.replace(self, frame=without_rows(self.frame), rows_set_aside=len(self.frame),
                                   missing=missing), [self.frame]

    @property
    def rows_rejected(self) -> int:
        return len(self.rejects)


def missing_among_asked(table: str, frame: pd.DataFrame) -> dict[str, tuple[int, int]]:
    """Per column, the rows it is asked of and the blanks among them, as the data contract
    says (`Column.blank_is_value`, `Column.asked_of`): a column whose blank is a value (a
    moved-out date: did not move) is left out; one asked of some rows alone (whether the
    family accepted: of the families offered) is counted among those."""
    entries = {column.name: column for column in TABLES[table].columns} if table in TABLES else {}
    counts = {}
    for column in frame.columns:
        entry = entries.get(column)
        if entry is not None and entry.blank_is_value:
            continue
        blank = frame[column].isna().to_numpy(dtype=bool)
        if entry is None or entry.asked_of is None:
            counts[column] = (len(frame), int(blank.sum()))
            continue
        by, value = entry.asked_of
        asked = (frame[by].notna() if value is None else frame[by].eq(value)).fillna(False)
        asked = asked.to_numpy(dtype=bool)
        counts[column] = (int(asked.sum()), int((blank & asked).sum()))
    return counts


def without_rows(frame: pd.DataFrame) -> pd.DataFrame:
    """The frame's columns, with their dtypes, and no rows: new arrays (`frame.iloc[:0]` is a view
    that keeps every row's memory)."""
    return pd.DataFrame({column: pd.Series([], dtype=dtype) for column, dtype in frame.dtypes.items()})


@dataclass
class CleanResult:
    """What clean hands on: clean tables, derived antigen doses, rejects, value issues."""

    tables: dict[str, CleanTable]
    antigen_doses: pd.DataFrame
    value_issues: pd.DataFrame
    # every children's area spelling that is not exactly a design area (AREA_SPELLING_COLUMNS)
    area_spellings: pd.DataFrame = field(
        default_factory=lambda: pd.DataFrame(columns=AREA_SPELLING_COLUMNS))
    notes: list[str] = field(default_factory=list)
    set_aside: frozenset[str] = frozenset()  # tables (and antigen_doses) written as cleaned
    # the clean children per area (the design's areas are checked against them)
    area_counts: pd.Series = field(default_factory=lambda: pd.Series(dtype="int64"))

    @functools.cached_property
    def rejects(self) -> pd.DataFrame:
        """Every table's rejects, in the tables' order: joined once (a run asks for them four
        times, a million children's 0.2 s each, after the processes that cleaned the exports
        have ended)."""
        return pd.concat([t.rejects for t in self.tables.values()], ignore_index=True)


def clean(ingested: MutableMapping[str, IngestedTable] | IngestedLazily, *, key: bytes,
          extraction_date: dt.date,
          areas: Sequence[str] = (), area_map: Mapping[str, str] | None = None,
          plausible_ranges: Mapping[str, tuple[float, float]] | None = None,
          progress: Callable[[str], None] = lambda _: None,
          set_aside: Callable[[str, Iterable[pd.DataFrame]], None] | None = None,
          jobs: int = 1) -> CleanResult:
    """Clean every table: children first, since events are checked against them.

    `areas` are the study's area names: an export's spelling that differs only in accents,
    case or spacing ('NORRBYASEN ', 'Norrbyåsen') is written as the study spells it, and so
    is a spelling `area_map` names. `plausible_ranges` (column -> (low, high)) set a
    children's number outside its range missing, as a value issue. `progress` hears of each
    table cleaned.

    The tables are taken out of `ingested` (it is left empty), and each raw table is dropped
    as soon as it is cleaned: a national cohort's raw exports are gigabytes, and holding them
    all beside the clean tables was most of the stage's peak memory. With `set_aside`, each
    clean table is handed to it as soon as it is cleaned (the children's birth dates are kept
    to check the other tables against; the antigen doses as soon as the vaccinations are), to be
    written, and kept as its counts only (`CleanTable.handed_over`; `CleanResult.set_aside`
    names them). A table is handed over in parts, in row order: a clean table as one part (a
    list `set_aside` may empty once the rows are written: it is their only holder), the
    antigen doses as they are made, in parts of ROW_GROUP_ROWS (`store.write_parquet_parts`),
    each on a thread of its own while the next export is read and cleaned (`SetAsideMeanwhile`).

    With `set_aside` and `jobs` > 1 the exports after the children are read, cleaned and handed
    over in up to `jobs` forked processes, the largest first (`_clean_in_processes`): the same
    tables, on every core, when they are large enough and the system has the memory for it
    (`_worth_processes`).
    """
    if set_aside is None:
        return _clean(ingested, key=key, extraction_date=extraction_date, areas=areas,
                      area_map=area_map, plausible_ranges=plausible_ranges, progress=progress)
    with SetAsideMeanwhile(set_aside) as meanwhile:
        return _clean(ingested, key=key, extraction_date=extraction_date, areas=areas,
                      area_map=area_map, plausible_ranges=plausible_ranges, progress=progress,
                      set_aside=meanwhile, jobs=jobs)


class SetAsideMeanwhile:
    """A `set_aside` that hands each table over on a thread of its own while the caller goes
    on (to read and clean the next export), one table at a time: a call waits until the table
    before it is handed over, so that no more than one clean table waits in memory (a million
    children's visits are a gigabyte). pyarrow encodes and compresses parquet without holding
    the GIL, so on two cores the writes (a sixth of the stage) cost hardly any time.

    Used as a context manager: on leaving, every table is handed over (the first error of a
    hand-over is raised then, or at the next call); on an error of the caller's own, the
    table being handed over is waited for before the error goes on (its folder is removed
    next)."""

    def __init__(self, set_aside: Callable[[str, Iterable[pd.DataFrame]], None]) -> None:
        self.at_once = set_aside  # the hand-over itself, on the caller's thread
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="set-aside")
        self._pending: Future[None] | None = None

    def __call__(self, name: str, parts: Iterable[pd.DataFrame]) -> None:
        self.wait()
        self._pending = self._thread.submit(self.at_once, name, parts)

    def wait(self) -> None:
        """Until the table being handed over is (its error raised here)."""
        pending, self._pending = self._pending, None
        if pending is not None:
            pending.result()

    def __enter__(self) -> SetAsideMeanwhile:
        return self

    def __exit__(self, kind: type[BaseException] | None, *_: object) -> None:
        try:
            if kind is None:
                self.wait()
            elif self._pending is not None:
                futures_wait([self._pending])  # its own error is not the one to report
        finally:
            self._thread.shutdown(wait=True)


def _clean(ingested: MutableMapping[str, IngestedTable] | IngestedLazily, *, key: bytes,
           extraction_date: dt.date, areas: Sequence[str] = (),
           area_map: Mapping[str, str] | None = None,
           plausible_ranges: Mapping[str, tuple[float, float]] | None = None,
           progress: Callable[[str], None] = lambda _: None,
           set_aside: SetAsideMeanwhile | Callable[[str, Iterable[pd.DataFrame]], None] | None = None,
           jobs: int = 1) -> CleanResult:
    """`clean`, with `set_aside` called where the caller's is (on its thread or not)."""
    names = list(ingested)
    raw_tables, notes_by_table = ingested, {}  # each table popped from it: it is left empty
    tables: dict[str, CleanTable] = {}
    register = privacy.PersonnummerRegister(extraction_date, privacy.Pseudonymiser(key))
    masked_children = mask_identifiers(raw_tables.pop("children"))
    notes_by_table["children"] = masked_children.notes
    raw_children = implausible_to_missing(masked_children, plausible_ranges or {})
    del masked_children
    children, moved_issues, said = _clean_children(raw_children, register, extraction_date, areas,
                                                   area_map or {})
    notes_by_table["children"] = [*notes_by_table["children"], *said]
    tables["children"] = children
    # the export's area spellings read now, so that its raw rows need not be kept
    spellings = area_spellings(raw_children, children.frame, areas, area_map or {})
    issues = [raw_children.value_issues, *([moved_issues] if len(moved_issues) else [])]
    del raw_children
    progress(step_message("clean", 1, len(names), "children"))
    births = children.frame.set_index("child_id")["birth_date"]
    birth_by_person = _birth_by_person(births, register)
    area_counts = children.frame["area"].value_counts()
    if set_aside is not None:  # only its birth dates are needed from here on
        tables["children"], rows = children.handed_over()
        set_aside("children", rows)
        del children, rows

    def clean_table(name: str, hand_over: Callable[[str, Iterable[pd.DataFrame]], None] | None
                    ) -> tuple[CleanTable, pd.DataFrame, tuple[str, ...], pd.DataFrame | None,
                               ExportEnd | None]:
        """One export read, cleaned and (with `hand_over`) handed over: the clean table, its
        value issues, its notes, for the vaccinations the antigen doses kept, and for an
        event export where its dates end (`export_end`)."""
        raw = mask_identifiers(raw_tables.pop(name))
        if TABLES[name].required or name in EVENT_DATE:  # the children's events, optional or not
            table = _clean_events(raw, register, extraction_date, birth_by_person)
        else:
            table = _clean_optional(raw, TABLES[name], register, extraction_date, births,
                                    areas, area_map or {})
        issues_found, notes = raw.value_issues, raw.notes
        if name in AREAS_OF_THE_DESIGN:
            notes = (*notes, *_areas_outside_the_design(table.frame, raw.source_file, name, areas))
        end = (export_end(table.frame[EVENT_DATE[name]], raw.source_file, EVENT_DATE[name])
               if name in EVENT_DATE else None)
        del raw
        doses = None
        if name == "vaccinations":  # only what the doses are made of: the rest can go when written
            vaccinations = table.frame[list(DOSE_SOURCES)]
        if hand_over is not None:
            table, rows = table.handed_over()
            hand_over(name, rows)
            del rows
        if name == "vaccinations":
            if hand_over is None:
                doses = antigen_doses(vaccinations)
            else:  # made and handed over a row group at a time (16M doses at a million children)
                hand_over("antigen_doses", antigen_doses_in_parts(vaccinations, ROW_GROUP_ROWS))
                doses = antigen_doses(without_rows(vaccinations))
            del vaccinations
        return table, issues_found, notes, doses, end

    events = [n for n in names if n != "children"]
    if isinstance(set_aside, SetAsideMeanwhile) and _worth_processes(raw_tables, events, jobs):
        cleaned = _clean_in_processes(events, clean_table, set_aside, raw_tables, jobs, progress,
                                      forked=lambda: _let_go_of(register, raw_tables))
    else:
        cleaned = []
        for name in events:
            cleaned.append(clean_table(name, set_aside))
            progress(step_message("clean", len(cleaned) + 1, len(names), name))
    doses, ends = None, []
    for name, (table, issues_found, notes, table_doses, end) in zip(events, cleaned, strict=True):
        tables[name] = table
        issues.append(issues_found)
        notes_by_table[name] = notes
        if table_doses is not None:
            doses = table_doses
        if end is not None:
            ends.append(end)
    issues = pd.concat(issues, ignore_index=True)
    notes = ([note for name in names for note in notes_by_table[name]]
             + _range_notes(issues, plausible_ranges or {}) + _area_map_notes(spellings, area_map or {})
             + _rounded_personnummer_notes([tables[name].rejects for name in names])
             + export_end_notes(ends, extraction_date))
    written = frozenset() if set_aside is None else frozenset([*tables, "antigen_doses"])
    return CleanResult(tables, doses, issues, spellings, notes, written, area_counts)


def _clean_in_processes(events: list[str], clean_table: Callable[..., Any], set_aside: SetAsideMeanwhile,
                        raw_tables: MutableMapping[str, IngestedTable] | IngestedLazily, jobs: int,
                        progress: Callable[[str], None], forked: Callable[[], None] | None = None,
                        ) -> list[Any]:
    """`clean_table` of each export in `events`, in up to `jobs` forked processes.

    Each process reads its export (`raw_tables` reads lazily), cleans it against the
    children and the register it was forked with, and hands the clean table over itself
    (`set_aside.at_once`, written and scanned in that process): only the counts, rejects,
    value issues and notes travel back. The export read ahead (`read_ahead_for_processes`)
    starts first, then the others by their cost (`EXPORT_COST`), the largest first, so that
    the processes finish together; the progress (its file read, its table cleaned) is told here
    as each table is done, in the order they are done. Every pseudonym is the keyed HMAC of
    its number whichever process computes it, and each table is cleaned by the same rules on
    the same rows, so the tables are those of one process (tests/test_same_numbers).
    `forked` is called here once the processes are forked (the run lets go of its register).
    """
    set_aside.wait()  # nothing being written while the processes fork
    read = set()
    if isinstance(raw_tables, IngestedLazily):
        read = set(raw_tables.finish_reading_ahead())  # nor read: a thread does not go with a fork
    costs = [_export_bytes(raw_tables, name) * EXPORT_COST.get(name, 1) for name in events]
    order = sorted(range(len(events)), key=lambda index: (events[index] not in read, -costs[index]))

    def piece(name: str) -> Callable[[], Any]:
        def cleaned() -> Any:
            if isinstance(raw_tables, IngestedLazily):
                raw_tables.progress = lambda _: None  # this process's copy: the run tells it
                raw_tables.let_go_of_read_ahead(but=name)  # another process's to clean
            return clean_table(name, set_aside.at_once)
        return cleaned

    finished = 1  # the children

    def done(index: int) -> None:  # its file read, its table cleaned: told as each is done
        nonlocal finished
        finished += 1
        if isinstance(raw_tables, IngestedLazily):
            file = raw_tables.study.input_path(events[index]).name
            progress(step_message("ingest", finished, len(events) + 1, file))
        progress(step_message("clean", finished, len(events) + 1, events[index]))

    return run_pieces([piece(name) for name in events], jobs, done, order=order, forked=forked)


def _let_go_of(register: privacy.PersonnummerRegister,
               raw_tables: MutableMapping[str, IngestedTable] | IngestedLazily) -> None:
    """The run's register (and any export read ahead) let go once the processes cleaning the
    exports have their copies, and the memory handed back (arrow's pool and glibc keep what
    is freed): the processes replace the register's arrays as they add to them, so the run's
    copy was its own alone. At a million children the run held 0.62-0.64 GB while they ran,
    0.25 GB after this."""
    if isinstance(raw_tables, IngestedLazily):
        raw_tables.let_go_of_read_ahead()
    register.let_go()
    pa.default_memory_pool().release_unused()
    hand_back_freed_memory()


# What cleaning an export costs per byte of its file, where it is not 1: cleaning the
# vaccinations makes and writes the antigen doses too (a million children's 8M give 16M).
# A process that cleans the visits read ahead (a gigabyte) and then the care contacts
# finished with the other's vaccinations, 25 s each, where by bytes alone the care contacts
# came first and the vaccinations ran alone for the last 4 s of their 16.
EXPORT_COST = {"vaccinations": 2}

# Memory that cleaning the exports after the children in two processes takes at most, as a
# multiple of their files' bytes: a million children's 1.9 GB of them peaked at 6.6 GB (the
# run 0.8 GB, the process cleaning the visits 3.3 GB, the one making the antigen doses 2.8 GB)
# where one process peaks at 3.7 GB; with their texts kept as codes, at 3.8-4.2 GB.
PROCESS_MEMORY_PER_EXPORT_BYTE = 4


# Exports (after the children's) smaller than this are cleaned in one process: forking for a
# municipality's few megabytes costs more CPU than it saves time (the demo's 2,000 children:
# 3.3 s either way, 0.4 CPU-seconds more in two), and a demo runs four studies side by side.
PROCESS_MIN_EXPORT_BYTES = 32 * 2**20


def _worth_processes(raw_tables: MutableMapping[str, IngestedTable] | IngestedLazily,
                     events: list[str], jobs: int) -> bool:
    """Whether the exports `events` are cleaned in up to `jobs` processes: more than one of
    them, a system that can fork, exports large enough, and the memory to clean them at once
    (or a system that does not say): otherwise they are cleaned one by one, slower but within
    what one process needs."""
    if jobs <= 1 or len(events) <= 1 or not can_fork():
        return False
    exports = sum(_export_bytes(raw_tables, name) for name in events)
    available = available_memory()
    return exports >= PROCESS_MIN_EXPORT_BYTES and (
        available is None or available >= PROCESS_MEMORY_PER_EXPORT_BYTE * exports)


def read_ahead_for_processes(raw_tables: MutableMapping[str, IngestedTable] | IngestedLazily,
                             jobs: int) -> None:
    """When the exports after the children's will be cleaned in processes
    (`_clean_in_processes`), start reading the largest of them now (`IngestedLazily.
    read_ahead`), while this process reads and cleans the children, with one core idle
    otherwise: the process that cleans it finds it read."""
    if not isinstance(raw_tables, IngestedLazily):
        return
    events = [name for name in raw_tables if name != "children"]
    if _worth_processes(raw_tables, events, jobs):
        raw_tables.read_ahead(max(events, key=lambda name: _export_bytes(raw_tables, name)))


def _export_bytes(raw_tables: MutableMapping[str, IngestedTable] | IngestedLazily, name: str) -> int:
    """The size of an export's file (0 when it is not a file read lazily)."""
    if not isinstance(raw_tables, IngestedLazily):
        return 0
    path = raw_tables.study.input_path(name)
    return path.stat().st_size if path.is_file() else 0


def implausible_to_missing(raw: IngestedTable, ranges: Mapping[str, tuple[float, float]]
                           ) -> IngestedTable:
    """The table with each number outside its plausible range set missing, and one value
    issue per such value ("outside plausible range 300–6500")."""
    frame = raw.frame
    parts = [raw.value_issues]
    for column, (low, high) in ranges.items():
        if column not in frame.columns:
            continue
        values = frame[column]
        outside = (values.notna() & ((values < low) | (values > high))).to_numpy(dtype=bool)
        if not outside.any():
            continue
        parts.append(pd.DataFrame({
            "table": raw.table, "source_file": raw.source_file,
            "source_row": frame.loc[outside, SOURCE_ROW].to_numpy(), "column": column,
            "value": [f"{v:g}" for v in values[outside]],
            "issue": range_issue(low, high)}, columns=ISSUE_COLUMNS))
        frame = frame.assign(**{column: values.mask(outside)})
    issues = pd.concat([p for p in parts if len(p)], ignore_index=True) if any(
        len(p) for p in parts) else raw.value_issues
    return dataclasses.replace(raw, frame=frame, value_issues=issues)


def range_issue(low: float, high: float) -> str:
    """The value issue of a number outside its plausible range."""
    return f"outside plausible range {low:g}–{high:g}"


# A personnummer that a spreadsheet wrote as a rounded number ("1,98112E+11"), as the rejects
# hold it masked: its digits are gone, and only an export with the column as text brings them back
_ROUNDED_MASKED = re.compile(r"#[.,]#+[eE][+]?#+")


def _rounded_personnummer_notes(rejects: Sequence[pd.DataFrame]) -> list[str]:
    """One line per export whose personnummer a spreadsheet wrote in scientific notation: how
    many, and the fix (the reason, pnr_bad_characters, does not say it)."""
    notes = []
    for table in rejects:
        rounded = table[(table["column"] == "personnummer")
                        & table["value"].astype(str).str.fullmatch(_ROUNDED_MASKED.pattern)]
        for source_file, rows in rounded.groupby("source_file", sort=True):
            notes.append(f"{source_file}: {len(rows):,} personnummer written as rounded numbers in "
                         f"scientific notation (such as {rows['value'].iloc[0]}, rows {_first_rows(rows)}): "
                         "a spreadsheet kept only their first digits when it saved the file, and they cannot "
                         "be read back; export the file again with the personnummer column formatted as text")
    return notes


# Where an event export's dates end is where all but EXPORT_END_STRAY of them lie: a few dates
# typed a year on (2025 for 2024), kept when the extraction date is later still, do not hide it.
# An export whose dates end EXPORT_END_DAYS or more before the extraction date, when its pace in
# its last EXPORT_END_DAYS days would have put EXPORT_END_EVENTS or more events in those days,
# ends early; when every event export does, the extraction date is likely wrong.
EXPORT_END_STRAY, EXPORT_END_DAYS, EXPORT_END_EVENTS = 0.005, 90, 20


@dataclass(frozen=True)
class ExportEnd:
    """Where an event export's dates end (`export_end`)."""

    source_file: str
    column: str
    first: pd.Timestamp
    end: pd.Timestamp
    events: int  # on or before `end`
    later: int  # after it
    per_day: float  # events a day in the EXPORT_END_DAYS days up to `end`

    def gap(self, extraction_date: dt.date) -> int:
        return (pd.Timestamp(extraction_date) - self.end).days

    def expected(self, extraction_date: dt.date) -> float:
        """Events its pace would have put between its end and the extraction date."""
        return self.gap(extraction_date) * self.per_day

    def early(self, extraction_date: dt.date) -> bool:
        return (self.gap(extraction_date) >= EXPORT_END_DAYS
                and self.expected(extraction_date) >= EXPORT_END_EVENTS)


def export_end(dates: pd.Series, source_file: str, column: str) -> ExportEnd | None:
    """Where the clean dates of an event export end, and its pace up to there (None without two)."""
    dates = dates.dropna()
    if len(dates) < 2:
        return None
    first = dates.min()
    end = dates.quantile(1 - EXPORT_END_STRAY, interpolation="lower")
    events = int((dates <= end).sum())
    # the pace of its last EXPORT_END_DAYS days: an export whose cohort ends before the extraction
    # (born_to a year or two earlier) tapers off as its children age out, and a pace averaged
    # from its first date called a complete export of such a study early
    recent = int(((dates > end - pd.Timedelta(days=EXPORT_END_DAYS)) & (dates <= end)).sum())
    return ExportEnd(source_file, column, first, end, events, len(dates) - events,
                     recent / EXPORT_END_DAYS)


def _pace(per_day: float) -> str:
    return f"{per_day:,.0f}" if per_day >= 100 else f"{per_day:.2g}"


def export_end_notes(ends: Sequence[ExportEnd], extraction_date: dt.date) -> list[str]:
    """A line when event exports end well before the study's extraction date (`ExportEnd.early`).

    Every indicator counts a child's events up to extraction_date: exports taken out a year
    before the date written in study.yml (or cut short) count the last children as
    unvaccinated, unvisited or not screened, with no reject and no value issue to show it. A
    quiet summer or a sparse export does not raise the line (its pace would not have filled
    the days), nor does one export alone: only every event export ending so (see below). One
    line names them, each with its end and pace."""
    early = [e for e in ends if e.early(extraction_date)]
    # one export alone ending early is no sign: a programme's visits end when it does, and an
    # export tapers off as a cohort born well before the extraction ages out (the visits by
    # 15 months, the doses by 24); care contacts and screenings go on. All of them ending so
    # is what a wrong extraction date (or exports taken out early) looks like.
    if len(ends) < 2 or len(early) < len(ends):
        return []
    each = "; ".join(
        f"{e.source_file}'s {e.column}s on {e.end:%Y-%m-%d}, {e.gap(extraction_date):,} days before it "
        f"({e.events:,} from {e.first:%Y-%m-%d}{f' and {e.later:,} later' if e.later else ''}; at "
        f"{_pace(e.per_day)} a day, its pace in the {EXPORT_END_DAYS} days before, some "
        f"{e.expected(extraction_date):,.0f} would fall in those days)"
        for e in early)
    latest = max(e.end for e in early)
    return [f"Every event export ends well before the extraction_date {extraction_date:%Y-%m-%d} in "
            f"study.yml: {each}. "
            "The indicators count each child's events up to extraction_date, so children would be "
            "counted as unvaccinated, unvisited or not screened for want of the events of those days. "
            f"If the data were taken out earlier (about {latest:%Y-%m-%d}), set extraction_date to that "
            "day; else export them again up to the extraction date"]


def _first_rows(rows: pd.DataFrame) -> str:
    shown = ", ".join(str(row) for row in rows["source_row"].head(5))
    return shown + (f" and {len(rows) - 5:,} more" if len(rows) > 5 else "")


def _range_notes(issues: pd.DataFrame, ranges: Mapping[str, tuple[float, float]]) -> list[str]:
    """One line per column with values outside its plausible range: file, rows, the fix."""
    notes = []
    for column, (low, high) in ranges.items():
        found = issues[(issues["column"] == column) & (issues["issue"] == range_issue(low, high))]
        for source_file, rows in found.groupby("source_file", sort=True):
            first = rows.head(10)
            shown = ", ".join(f"{r} ({v})" for r, v in zip(first["source_row"], first["value"],
                                                           strict=True))
            more = f" and {len(rows) - 10} more" if len(rows) > 10 else ""
            notes.append(f"{source_file}, {column}: {len(rows)} value(s) outside the plausible range "
                         f"{low:g}–{high:g} set missing, at row (value) {shown}{more}; correct the "
                         f"export, or set plausible_ranges: {{{column}: [low, high]}} in study.yml")
    return notes


def mask_identifiers(raw: IngestedTable) -> IngestedTable:
    """A personnummer typed into any other column (free text such as avbojt_orsak or bvc, a
    category such as amning) masked before anything is stored — in the rows, the rejects and
    the value issues — and each masked cell listed in the value issues.

    The rows are not copied (a shallow copy: with copy-on-write, a masked column replaces
    the column in this frame only), so that a study's tables are not held twice in memory."""
    frame, rejects, issues = raw.frame.copy(deep=False), raw.rejects.copy(), raw.value_issues.copy()
    masked_cells = []
    # identifiers are pseudonymised whole (masking one first would merge them all)
    identifiers = {"personnummer", *(c.name for c in TABLES[raw.table].columns if c.kind == "identifier")
                   } if raw.table in TABLES else {"personnummer"}
    # a parsed category holds only its vocabulary's codes (a number typed into it failed to
    # parse, and is masked in the rejects or value issues below): not searched, row by row
    codes_only = {c.name for c in TABLES[raw.table].columns if c.kind in ("category", "professions")
                  } if raw.table in TABLES else set()
    required = {c.name for c in TABLES[raw.table].columns if c.required} if raw.table in TABLES else set()
    for column in frame.columns:
        if column in identifiers | codes_only:
            continue
        if pd.api.types.is_numeric_dtype(frame[column]) and not pd.api.types.is_bool_dtype(frame[column]):
            # a personnummer typed into a number column (a dose, a count) was kept as that number
            number_found, number_masked = privacy.personnummer_like_numbers(frame[column])
            if number_found.any() and column in required:
                # a required value: the row is rejected as for a blank one, its value masked (a
                # review's collaboration score kept missing stopped the follow-up with a traceback)
                rejects = pd.concat([rejects, pd.DataFrame({
                    "table": raw.table, "source_file": raw.source_file,
                    "source_row": frame[SOURCE_ROW].to_numpy()[number_found], "reason": "value_missing",
                    "column": column, "value": number_masked.to_numpy()}, columns=REJECT_COLUMNS)],
                    ignore_index=True)
                frame = frame.loc[~number_found]
            elif number_found.any():
                frame[column] = frame[column].mask(number_found)
                masked_cells.append(pd.DataFrame({
                    "table": raw.table, "source_file": raw.source_file,
                    "source_row": frame[SOURCE_ROW].to_numpy()[number_found], "column": column,
                    "value": number_masked.to_numpy(), "issue": "personnummer_set_missing"},
                    columns=ISSUE_COLUMNS))
            continue
        if not (pd.api.types.is_string_dtype(frame[column]) or frame[column].dtype == object):
            continue
        masked, found = privacy.mask_personnummer_like(frame[column])
        if found.any():
            frame[column] = masked
            masked_cells.append(pd.DataFrame({
                "table": raw.table, "source_file": raw.source_file,
                "source_row": frame.loc[found, SOURCE_ROW].to_numpy(), "column": column,
                "value": masked[found].to_numpy(), "issue": "personnummer_masked"},
                columns=ISSUE_COLUMNS))
    for table in (rejects, issues):  # cells set missing or rejected for their raw value
        if len(table):
            table["value"], found = privacy.mask_personnummer_like(table["value"])
            masked_cells.append(table.loc[found, ISSUE_COLUMNS[:-1]].assign(
                issue="personnummer_masked"))
    if masked_cells:
        issues = pd.concat([issues, *masked_cells], ignore_index=True)
    return replace(raw, frame=frame, rejects=rejects, value_issues=issues)


def _clean_children(raw: IngestedTable, register: privacy.PersonnummerRegister, extraction_date: dt.date,
                    areas: Sequence[str], area_map: Mapping[str, str]
                    ) -> tuple[CleanTable, pd.DataFrame, list[str]]:
    """The clean children; a value issue for each moved-out date before the child's birth,
    set missing (an export's "no date" placeholder, 1900-01-01: the child is counted as living
    in the area, and the data-quality tables say so), and for each birth date or sex that
    contradicts the personnummer; and the notes of the children whose personnummer reads a
    century off the birth date the export gives (`_century_note`) and of those given more than
    once with other values (`_conflict_note`)."""
    # as text: the children (and the optional exports) are read on in memory; only the event
    # tables, millions of rows, keep their categories coded until they are written
    frame, rejects = _pseudonymise(replace(raw, frame=as_text_columns(raw.frame)), register)
    frame["area"] = harmonise_areas(frame["area"], areas, area_map)
    derived_birth = frame.pop("pnr_birth_date")
    derived_sex = frame.pop("pnr_sex")
    given_birth = frame["birth_date"]
    # a birth date no child of the study can have (an export's "no date", 1900-01-01, or one
    # after the extraction) beside a personnummer that gives one: the personnummer's (a
    # tester's 1900-01-01 took 197 children out as born before born_from; a 2031 rejected 5
    # children and their 164 events with no word)
    impossible = ((_no_date(given_birth) | (given_birth > pd.Timestamp(extraction_date)).to_numpy(
        dtype=bool, na_value=False)) & derived_birth.notna().to_numpy(dtype=bool))
    frame["birth_date_given"] = given_birth.where(impossible)  # as the export gave it, for the issue
    given_birth = given_birth.mask(impossible)
    frame["birth_date_conflict"] = given_birth.notna() & (given_birth != derived_birth)
    notes = _century_note(raw.source_file, given_birth, derived_birth)
    frame["birth_date"] = given_birth.fillna(derived_birth)
    given_sex = frame["child_sex"]
    frame["sex_conflict"] = (given_sex.notna() & (given_sex != derived_sex)).astype(bool)
    frame["child_sex"] = given_sex.fillna(derived_sex)
    frame["birth_date_conflict"] = frame["birth_date_conflict"].fillna(False).astype(bool)
    future = frame["birth_date"] > pd.Timestamp(extraction_date)
    rejects.append(_reject_rows(raw, frame[future], "date_after_extraction", "birth_date"))
    frame = frame.loc[~future]
    moved_before_birth = frame["moved_out_date"] < frame["birth_date"]
    frame, duplicates, conflicts = _deduplicate(frame, DUPLICATE_KEYS["children"])
    rejects.append(_reject_rows(raw, conflicts, "duplicate_conflict", "personnummer"))
    notes += _conflict_note(raw.source_file, frame, conflicts)
    moved_before_birth = moved_before_birth.reindex(frame.index, fill_value=False).to_numpy(dtype=bool)
    kept_as_given = "contradicts_personnummer_kept"  # and said: the data-quality tables count each
    given = frame.pop("birth_date_given")
    found = [(moved_before_birth, "moved_out_date", "moved_out_before_birth_set_missing", None),
             (given.notna().to_numpy(dtype=bool), "birth_date", "impossible_date_personnummer_used",
              given.to_numpy()),
             (frame["birth_date_conflict"].to_numpy(dtype=bool), "birth_date", kept_as_given, None),
             (frame["sex_conflict"].to_numpy(dtype=bool), "child_sex", kept_as_given, None),
             *((*offer, None) for offer in _offer_issues(frame, extraction_date))]
    issues = pd.concat([pd.DataFrame({
        "table": raw.table, "source_file": raw.source_file, "source_row": frame[SOURCE_ROW].to_numpy()[rows],
        "column": column, "issue": issue,
        "value": _issue_values((frame[column].to_numpy() if values is None else values)[rows])},
        columns=ISSUE_COLUMNS) for rows, column, issue, values in found], ignore_index=True)
    frame["moved_out_date"] = frame["moved_out_date"].mask(moved_before_birth)
    if "offered_date" in frame:
        frame["offered_date"] = frame["offered_date"].mask(_no_date(frame["offered_date"]))
    return _finish(raw, frame, duplicates, rejects), issues, notes


# An export's "no date" (1900-01-01, Excel's day 0 or 1): no offer of the programme was made then
NO_DATE_BEFORE = pd.Timestamp("1901-01-01")


def _no_date(dates: pd.Series) -> np.ndarray:
    return (dates < NO_DATE_BEFORE).to_numpy(dtype=bool, na_value=False)


def _offer_issues(frame: pd.DataFrame, extraction_date: dt.date) -> list[tuple[np.ndarray, str, str]]:
    """The children's offers that cannot be as the export gives them, as (rows, column, issue): a
    "no date" placeholder (1900-01-01) as the offer date, set missing (a tester's 1900-01-01 in
    every blank `erbjuden` counted every family as offered, 3,000 where 336 were), an offer
    dated after the extraction, kept (offered, its date wrong), and a family that accepted with
    no offer date, counted as offered (its acceptance left the flow without a word)."""
    if "offered_date" not in frame:
        return []
    offered = frame["offered_date"]
    placeholder = _no_date(offered)
    found = [(placeholder, "offered_date", "no_date_placeholder_set_missing"),
             ((offered > pd.Timestamp(extraction_date)).to_numpy(dtype=bool, na_value=False),
              "offered_date", "date_after_extraction_kept")]
    if "accepted" in frame:
        unoffered = offered.isna().to_numpy(dtype=bool) | placeholder
        accepted = frame["accepted"].astype("boolean").eq(True).to_numpy(dtype=bool, na_value=False)
        found.append((unoffered & accepted, "accepted", "accepted_without_offer_date_counted_offered"))
    return found


def _conflict_note(source_file: str, kept: pd.DataFrame, conflicts: pd.DataFrame) -> list[str]:
    """A note of the children given twice with other values, and in which columns they differ
    from the row kept (a child in two areas is counted in the kept row's area: a tester's was
    put in the intervention arm with only 'duplicate_conflict' in the rejects to say so)."""
    if not len(conflicts):
        return []
    by_child = kept[kept["child_id"].isin(conflicts["child_id"].unique())].set_index("child_id")
    columns = [c for c in conflicts.columns if c not in (SOURCE_ROW, "child_id") and c in by_child]
    differ: dict[str, int] = {}
    for row in conflicts[["child_id", *columns]].to_dict("records"):
        other = by_child.loc[row["child_id"]]
        for column in columns:
            mine, theirs = row[column], other[column]
            if pd.isna(mine) and pd.isna(theirs):
                continue
            if pd.isna(mine) or pd.isna(theirs) or mine != theirs:
                differ[column] = differ.get(column, 0) + 1
    children = conflicts["child_id"].nunique()
    listed = ", ".join(f"{column} in {n:,}" for column, n in sorted(differ.items(), key=lambda x: -x[1]))
    return [f"{source_file}: {children:,} child(ren) given more than once with other values ({listed}): "
            "the most complete row, then the first in the file, is kept (its area and birth date "
            "count); the others are rejected as duplicate_conflict"]


def _century_note(source_file: str, given: pd.Series, derived: pd.Series) -> list[str]:
    """A note of the children whose personnummer reads exactly a century before or after the
    birth date the export gives ("210607+0002", the '+' of someone 100 or older, for a child
    born 2021-06-07): the child is kept with the export's birth date, but its events, written
    with the other century, are another personnummer and are rejected as unknown_child (a
    review's child lost its 30 events so, without a word)."""
    given, derived = pd.to_datetime(given), pd.to_datetime(derived)
    off = (given.notna() & derived.notna() & (given.dt.month == derived.dt.month)
           & (given.dt.day == derived.dt.day) & ((given.dt.year - derived.dt.year).abs() == 100))
    count = int(off.fillna(False).sum())
    if not count:
        return []
    return [f"{source_file}: {count:,} child(ren)'s personnummer read(s) a century off the birth date "
            "the export gives (a '+', written for someone 100 or older, or one missing): the child is "
            "kept, but its events written with the other century are rejected as unknown_child; "
            "correct the personnummer in the export"]


def _issue_values(values: np.ndarray) -> np.ndarray:
    """A value issue's values as text: a date as its day (YYYY-MM-DD), anything else as written."""
    if np.issubdtype(values.dtype, np.datetime64):
        return values.astype("datetime64[D]").astype(str)
    return values.astype(str)


# The optional exports whose areas are the programme's districts (the areas export ranks
# candidate areas too, any of them)
AREAS_OF_THE_DESIGN = ("conversations", "collaboration")


def _areas_outside_the_design(frame: pd.DataFrame, source_file: str, table: str,
                              areas: Sequence[str]) -> list[str]:
    """A note of the areas of a follow-up export that are none of the design's (after
    `harmonise_areas`), each published as an area of its own, with the nearest design area; a
    design area garbled (UTF-8 read as Windows-1252: 'SÃ¶derÃ¤ngen') stops the file, as a
    garbled category does (a review's conversations were published under both spellings, with
    no word)."""
    if "area" not in frame or not len(areas):
        return []
    counts = frame["area"].astype("string").value_counts()
    outside = [(str(area), int(n)) for area, n in counts.items() if str(area) not in areas]
    for area, _ in outside:
        if (repaired := double_encoded(area)) is not None and repaired in areas:
            raise garbled_file(f"{source_file} ({table}): the area '{area}'", repaired)
    if not outside:
        return []
    named = ", ".join(
        f"'{area}' ({n:,} row(s)" + (f"; nearest design area '{near[0]}'" if (
            near := difflib.get_close_matches(area, list(areas), n=1, cutoff=0.6)) else "") + ")"
        for area, n in outside[:10])
    return [f"{source_file} ({table}): {len(outside)} area(s) none of the design's, each published as an "
            f"area of its own: {named}; if one is a design area, say so in study.yml area_map"]


def harmonise_areas(area: pd.Series, known: Sequence[str],
                    area_map: Mapping[str, str] | None = None) -> pd.Series:
    """Each export area as the study spells it: a design area matched ignoring accents, case
    and spacing ('NORRBYASEN ' -> 'Norrbyåsen'), else a spelling `area_map` names (matched the
    same way), else the export's text with its spacing tidied."""
    reading = _area_reading(area, known, area_map or {})
    return area.map(reading["read_as"]).astype("string")


def _area_reading(area: pd.Series, known: Sequence[str], area_map: Mapping[str, str]
                  ) -> pd.DataFrame:
    """One row per distinct export spelling (the index): its text as shown (spacing tidied),
    its folded key, how it was read (FOLDED, MAPPED, UNMATCHED, or "" for a design area
    spelled exactly) and the name it is read as. Works on the distinct spellings: an export
    has millions of rows but few areas."""
    spellings = pd.Series(area.dropna().unique(), dtype=object)
    tidy = spellings.astype("string").str.strip().str.replace(r"\s+", " ", regex=True)
    keys = fold_labels(tidy)  # shown (area_spellings' similarity is of these)
    matched_by = area_keys(tidy)  # and matched without spaces
    design = dict(zip(area_keys(pd.Series(list(known), dtype=object)), known, strict=True))
    mapped = dict(zip(area_keys(pd.Series(list(area_map), dtype=object)), area_map.values(),
                      strict=True))
    # as objects: an export none of whose spellings is a design area maps every key to NA,
    # which arrow text cannot hold as its own type (it stopped the run with a traceback)
    read_as = pd.Series([design.get(key, mapped.get(key, pd.NA)) for key in matched_by], dtype=object)
    status = np.select([tidy.isin(list(known)).to_numpy(dtype=bool),
                        matched_by.isin(list(design)).to_numpy(dtype=bool),
                        read_as.notna().to_numpy(dtype=bool)], ["", FOLDED, MAPPED],
                       default=UNMATCHED)
    # an area cell holding a personnummer-like run of digits (a shifted column) is shown, and
    # kept when unmatched, masked (a design area's own name is the study file's: the output
    # scan stops a run that would publish one)
    shown = tidy.map(lambda text: privacy.mask_identifier(text) if re.search(r"\d{6}", text)
                     else text)
    return pd.DataFrame({"shown": shown.to_numpy(), "key": keys.to_numpy(), "status": status,
                         "read_as": read_as.fillna(shown).to_numpy()},
                        index=pd.Index(spellings, name="spelling"))


def area_spellings(raw: IngestedTable, children: pd.DataFrame, known: Sequence[str],
                   area_map: Mapping[str, str]) -> pd.DataFrame:
    """area_spellings: each children's area spelling that is not exactly a design area, with
    its clean children, how it was read and, when unmatched, the nearest design area (by
    difflib's similarity of the folded names, 0-1), so that no child leaves the study unseen."""
    spelled = raw.frame.set_index(SOURCE_ROW)["area"]
    reading = _area_reading(spelled, known, area_map)
    clean_children = dict(spelled.reindex(children[SOURCE_ROW]).value_counts().items())
    reading["children"] = [clean_children.get(spelling, 0) for spelling in reading.index]
    counts = (reading[(reading["status"] != "") & (reading["children"] > 0)]
              .groupby(["shown", "key", "status", "read_as"], sort=False)["children"].sum()
              .reset_index())
    folded_design = fold_labels(pd.Series(list(known), dtype=object)).tolist()
    rows = []
    for row in counts.itertuples(index=False):
        nearest, similarity = "", np.nan
        if row.status == UNMATCHED and known:
            scores = [difflib.SequenceMatcher(None, row.key, other).ratio() for other in folded_design]
            best = int(np.argmax(scores))
            if scores[best] > 0:  # nothing in common: no nearest area to suggest
                nearest, similarity = known[best], round(scores[best], 2)
        rows.append({"source_file": raw.source_file, "area_in_export": row.shown,
                     "children": int(row.children), "status": row.status,
                     "read_as": "" if row.status == UNMATCHED else row.read_as,
                     "nearest_area": nearest, "similarity": similarity})
    order = {UNMATCHED: 0, MAPPED: 1, FOLDED: 2}
    frame = pd.DataFrame(rows, columns=AREA_SPELLING_COLUMNS)
    return (frame.assign(_order=frame["status"].map(order))
            .sort_values(["_order", "children", "area_in_export"], ascending=[True, False, True],
                         kind="stable")
            .drop(columns="_order").reset_index(drop=True))


def _area_map_notes(spellings: pd.DataFrame, area_map: Mapping[str, str]) -> list[str]:
    """A note for each area_map entry that no child's area used (a typo in the key?)."""
    used = set(area_keys(spellings.loc[spellings["status"] == MAPPED, "area_in_export"].astype(object)))
    return [f"area_map entry '{spelling}' matches the area of no clean child in the children "
            "export; check its spelling against the areas listed here" for spelling in area_map
            if area_key(spelling) not in used]


def _clean_events(raw: IngestedTable, register: privacy.PersonnummerRegister, extraction_date: dt.date,
                  birth_by_person: np.ndarray) -> CleanTable:
    """An event table: each rule rejects among the rows no earlier rule rejected; the rows
    kept are taken once, at the end (a table has millions of rows and each take copies them).

    Its rows are taken out of `raw` (it is left without rows), so that the personnummer go
    as soon as they are checked, and each column as soon as its clean rows are taken
    (`rows_moved`): a million children's 12M visits were held twice over (3 GB).

    A row's child is known by its person in the register (an integer), in the birth dates and
    the duplicate keys, so that no text of 12M pseudonyms is hashed again."""
    frame, invalid, rejects, person = _checked_personnummer(raw, _rows_taken_out(raw), register,
                                                            derived=False)
    kept = ~invalid
    if raw.table == "vaccinations":
        frame = frame.assign(product=_products(frame["vaccine"]))
        unknown = kept & frame["product"].isna().to_numpy(dtype=bool)
        rejects.append(_reject_rows(raw, frame[unknown], "vaccine_unknown", "vaccine"))
        kept &= ~unknown
    if raw.table in EVENT_RANGES:
        column, low, high, code = EVENT_RANGES[raw.table]
        outside = kept & ~frame[column].between(low, high).fillna(True).astype(bool).to_numpy()
        rejects.append(_reject_rows(raw, frame[outside], code, column))
        kept &= ~outside
    birth = pd.Series(_birth_dates_of(person, birth_by_person), index=frame.index)
    reason = _date_reasons(frame[EVENT_DATE[raw.table]], birth, extraction_date)
    del birth
    for number, code in enumerate(DATE_REASONS, 1):
        column = "personnummer" if code == "unknown_child" else EVENT_DATE[raw.table]
        rejects.append(_reject_rows(raw, frame[kept & (reason == number)], code, column))
    rows, duplicates, conflicts = _rows_kept(frame, DUPLICATE_KEYS[raw.table], kept & (reason == 0),
                                             known={"child_id": person})
    rejects.append(_reject_rows(raw, conflicts, "duplicate_conflict", EVENT_DATE[raw.table]))
    del conflicts
    return _finish(raw, frame if rows is None else rows_moved(frame, rows), duplicates, rejects, coded=True)


# The date rules of an event, in the order they are checked (`_date_reasons` numbers them from 1)
DATE_REASONS = ("unknown_child", "date_before_birth", "date_after_extraction")


def _date_reasons(date: pd.Series, birth: pd.Series, extraction_date: dt.date) -> np.ndarray:
    """Each event's first broken date rule, numbered as in DATE_REASONS (0: none): no birth date
    (a child missing from the children), before the birth, after the extraction. One byte a
    row: the numbers are held while the table's duplicates are found (12M visits)."""
    reason = np.zeros(len(date), dtype=np.int8)
    rules = [lambda: birth.isna(), lambda: (date < birth).fillna(False),
             lambda: (date > pd.Timestamp(extraction_date)).fillna(False)]
    for number, broken in reversed(list(enumerate(rules, 1))):  # the first rule broken is the one kept
        reason[broken().to_numpy(dtype=bool)] = number
    return reason


def _rows_taken_out(raw: IngestedTable) -> pd.DataFrame:
    """The raw table's rows, taken out of it (it is left with its columns and no rows): whoever
    takes them holds the only reference, and can let each column go when it is done with it."""
    frame = raw.frame
    raw.frame = without_rows(frame)
    return frame


def rows_moved(frame: pd.DataFrame, positions: np.ndarray) -> pd.DataFrame:
    """`frame.iloc[positions]`, taken a column at a time, each column dropped from `frame` as
    soon as it is taken (`frame` is left without columns): when nothing else holds the rows,
    they are in memory once and a column, not twice."""
    index = frame.index[positions]
    columns = {column: frame.pop(column).array.take(positions) for column in list(frame.columns)}
    return pd.DataFrame(columns, index=index, copy=False)


def _birth_by_person(births: pd.Series, register: privacy.PersonnummerRegister) -> np.ndarray:
    """The children's birth dates (indexed by child_id) by the register's persons: NaT for a
    person who is not one of them."""
    person = register.persons_of(births.index.to_series())
    by_person = np.full(register.people, np.datetime64("NaT"), dtype=births.dtype)
    by_person[person[person >= 0]] = births.to_numpy()[person >= 0]
    return by_person


def _birth_dates_of(person: np.ndarray, birth_by_person: np.ndarray) -> np.ndarray:
    """Each row's birth date by its person (`_birth_by_person`); NaT for a child missing from
    the children (a person they do not hold, one the register met only later, or -1)."""
    known = (person >= 0) & (person < len(birth_by_person))
    dates = np.full(len(person), np.datetime64("NaT"), dtype=birth_by_person.dtype)
    dates[known] = birth_by_person[person[known]]
    return dates


def _birth_dates(child_id: pd.Series, births: pd.Series) -> pd.Series:
    """Each row's birth date from the children (indexed by child_id, unique); NaT for a child
    missing from them. A hash lookup in arrow: `Series.map` is several times slower."""
    position = pc.index_in(pa.array(child_id.array), value_set=pa.array(births.index.array))
    found = position.fill_null(-1).to_numpy(zero_copy_only=False)
    return pd.Series(pd.api.extensions.take(births.to_numpy(), found, allow_fill=True),
                     index=child_id.index, dtype=births.dtype)


def _clean_optional(raw: IngestedTable, table: Table, register: privacy.PersonnummerRegister,
                    extraction_date: dt.date, births: pd.Series, areas: Sequence[str],
                    area_map: Mapping[str, str]) -> CleanTable:
    """An optional export: identifiers pseudonymised, its area read, its dates checked, exact
    duplicates counted (the rules in the module's docstring)."""
    frame, rejects = as_text_columns(raw.frame), [raw.rejects]
    birth = pd.Series(pd.NaT, index=frame.index, dtype="datetime64[ns]")
    if "personnummer" in frame.columns:  # a row may name a child, or be identified otherwise
        given = frame["personnummer"]
        named = (given.notna() & given.str.strip().ne("")).to_numpy(dtype=bool)
        checked, rejects = _pseudonymise(replace(raw, frame=frame.loc[named]), register)
        unnamed = frame.loc[~named].drop(columns="personnummer")
        unnamed.insert(0, "child_id", pd.Series(pd.NA, index=unnamed.index, dtype=checked["child_id"].dtype))
        birth = (_birth_dates(checked["child_id"], births).fillna(checked["pnr_birth_date"])
                 .reindex(frame.index))
        frame = (pd.concat([checked.drop(columns=["coordination_number", "pnr_birth_date", "pnr_sex"]),
                            unnamed]).sort_values(SOURCE_ROW, kind="stable"))
    for column in table.columns:
        if column.kind == "identifier":
            frame[column.name] = privacy.pseudonymise_identifier(frame[column.name], register.pseudonyms.key,
                                                                 column.name)
    if "area" in frame.columns:
        frame["area"] = harmonise_areas(frame["area"], areas, area_map)
    for column in (c.name for c in table.columns if c.kind == "date"):
        date, born = frame[column], birth.reindex(frame.index)
        before = (date < born).fillna(False).astype(bool)
        after = (date > pd.Timestamp(extraction_date)).fillna(False).astype(bool) & ~before
        rejects += [_reject_rows(raw, frame[before], "date_before_birth", column),
                    _reject_rows(raw, frame[after], "date_after_extraction", column)]
        frame = frame.loc[~(before | after)]
    if table.name == "costs":  # a cost the compare stage could not match to a year's children
        rejects += _reject_costs(raw, frame)
        frame = frame.loc[_cost_is_usable(frame)]
    part = part_of_export(table.name)
    own_checks = optional(part, "reject_rows") if part is not None else None
    if own_checks is not None:  # the part's own rules (a score off its scale)
        kept, refused = own_checks(frame.assign(source_file=raw.source_file))
        frame = kept.drop(columns="source_file")
        rejects.append(refused.reindex(columns=REJECT_COLUMNS))
    duplicates = 0
    if any(c.kind in ("personnummer", "identifier") for c in table.columns):
        frame, duplicates, _ = _deduplicate(frame, tuple(c for c in frame.columns if c != SOURCE_ROW))
    return _finish(raw, frame, duplicates, rejects)


# The years a cost may name (as study.yml's `costs:` allows), and the rejects of a costs export.
COST_YEARS = (1900, 2100)


def _cost_is_usable(frame: pd.DataFrame) -> pd.Series:
    """Rows of a costs export with a year in COST_YEARS and an amount above 0."""
    year, amount = frame["year"], frame["amount_sek"]
    return (year.between(*COST_YEARS) & amount.gt(0)).fillna(False).astype(bool)


def _reject_costs(raw: IngestedTable, frame: pd.DataFrame) -> list[pd.DataFrame]:
    """A year no programme ran in, and an amount of 0 or below (a credit: net it into the line it
    corrects, as the costs of a year must be positive to be spread over its families)."""
    bad_year = ~frame["year"].between(*COST_YEARS).fillna(False).astype(bool)
    bad_amount = ~frame["amount_sek"].gt(0).fillna(False).astype(bool) & ~bad_year
    return [_reject_rows(raw, frame[bad_year], "year_out_of_range", "year"),
            _reject_rows(raw, frame[bad_amount], "amount_not_positive", "amount_sek")]


def _pseudonymise(raw: IngestedTable, register: privacy.PersonnummerRegister
                  ) -> tuple[pd.DataFrame, list[pd.DataFrame]]:
    """Check personnummer, reject invalid ones, replace the valid ones by child_id."""
    frame, invalid, rejects, _ = _checked_personnummer(raw, raw.frame, register)
    return frame.loc[~invalid], rejects


def _checked_personnummer(raw: IngestedTable, frame: pd.DataFrame, register: privacy.PersonnummerRegister,
                          derived: bool = True
                          ) -> tuple[pd.DataFrame, np.ndarray, list[pd.DataFrame], np.ndarray]:
    """Every row of `frame` (the raw table's rows) with its personnummer checked and replaced by
    child_id (NA where invalid) and coordination_number, which rows are invalid, the rejects
    (those rows, and ingest's) and each row's person in the register (-1 where invalid).
    `derived`: with the birth date and sex the number gives (pnr_birth_date, pnr_sex).

    The register's columns are taken to the rows once, and only those wanted: an event table
    has millions of rows (the number itself goes no further). Without `derived` (an event
    table) child_id is coded (`parsing.coded_text`): each row's person, a 4-byte code into the
    register's pseudonyms, not its own copy of one (12M visits: 50 MB, not 350)."""
    entries = register.entries(frame["personnummer"])
    invalid, errors = privacy.personnummer_errors(register.columns, entries)
    persons = register.persons(entries).astype(_positions(register.people))  # 4 bytes a row
    wanted = ["coordination_number", *(("child_id", "birth_date", "sex") if derived else ())]
    checked = privacy.personnummer_rows(register.columns, entries, frame.index, wanted)
    if not derived:
        checked["child_id"] = register.coded_child_ids(persons, frame.index)
    rejects = [pd.DataFrame({
        "table": raw.table, "source_file": raw.source_file,
        "source_row": frame[SOURCE_ROW].to_numpy()[invalid], "reason": errors, "column": "personnummer",
        "value": frame["personnummer"].iloc[np.flatnonzero(invalid)].fillna("")
        .map(privacy.mask_identifier).to_numpy(),
    }, columns=REJECT_COLUMNS), raw.rejects]
    rows = frame.drop(columns="personnummer")
    rows.insert(0, "child_id", checked["child_id"])
    rows["coordination_number"] = checked["coordination_number"].astype(bool)
    if derived:
        rows["pnr_birth_date"] = checked["birth_date"]
        rows["pnr_sex"] = checked["sex"]
    return rows, invalid, rejects, persons


def _products(vaccine: pd.Series) -> pd.Series:
    """Each dose's product (NA where no one knows the vaccine text), looked up once per
    distinct text; coded (`parsing.coded_results`)."""
    codes, names = pd.factorize(as_text(vaccine).astype("string"), use_na_sentinel=True)
    found = [product_for(text) for text in names]
    return coded_results([product.name if product else pd.NA for product in found], codes, vaccine)


def _deduplicate(frame: pd.DataFrame, key: tuple[str, ...], among: np.ndarray | None = None
                 ) -> tuple[pd.DataFrame, int, pd.DataFrame]:
    """Drop exact duplicates (counted) and resolve conflicting ones (losers returned), among
    the rows `among` marks (all by default; the others are left out, as if dropped before).

    Only rows whose key occurs more than once can be either (the key is among the values), so
    only they are compared on every column and sorted; the rest are kept as they are, and
    the rows kept are taken once, in the order of their source rows.
    """
    rows, duplicates, conflicts = _rows_kept(frame, key, among)
    return (frame if rows is None else frame.iloc[rows]), duplicates, conflicts


def _rows_kept(frame: pd.DataFrame, key: tuple[str, ...], among: np.ndarray | None = None,
               known: Mapping[str, np.ndarray] | None = None
               ) -> tuple[np.ndarray | None, int, pd.DataFrame]:
    """`_deduplicate`'s rows kept (their positions, in order; None: every row), its count of
    exact duplicates and its conflicting rows. `known`: codes of key columns (`key_codes`)."""
    values = [c for c in frame.columns if c != SOURCE_ROW]
    among = np.ones(len(frame), dtype=bool) if among is None else among
    shared = repeated(key_codes(frame, key, known), among)
    if not shared.any():
        return (None if among.all() else np.flatnonzero(among)), 0, without_rows(frame)
    positions = np.flatnonzero(shared)
    rows = frame.iloc[positions]
    exact = rows.duplicated(subset=values, keep="first").to_numpy(dtype=bool)
    rows, positions = rows.loc[~exact], positions[~exact]
    completeness = rows[values].notna().sum(axis=1)
    order = (rows.assign(_completeness=-completeness, _position=positions)
             .sort_values([*key, "_completeness", SOURCE_ROW], kind="stable"))
    loser = order.duplicated(subset=list(key), keep="first").to_numpy(dtype=bool)
    kept = np.concatenate([np.flatnonzero(among & ~shared), order["_position"].to_numpy()[~loser]])
    kept = kept[np.argsort(frame[SOURCE_ROW].to_numpy()[kept], kind="stable")]
    conflicts = order.loc[loser].drop(columns=["_completeness", "_position"])
    return kept, int(exact.sum()), conflicts


def key_codes(frame: pd.DataFrame, columns: Sequence[str],
              known: Mapping[str, np.ndarray] | None = None) -> np.ndarray:
    """One non-negative integer per row, equal where the rows are equal in every column of
    `columns` (a missing value equal to a missing value, as in `DataFrame.duplicated`): the
    columns factorised one by one and combined into one integer, renumbered only where the
    next column would overflow it (each renumbering is a hash pass over every row).

    `known` gives a column's codes instead (integers from -1 up, equal where its values are:
    the register's persons for child_id), so that it is not hashed again."""
    known = known or {}
    group = np.zeros(len(frame), dtype=np.int64)
    size = 1  # the number of values `group` can take
    for column in columns:
        if column in known:
            codes = np.asarray(known[column], dtype=np.int64) + 1
            values = int(codes.max(initial=0)) + 1
        else:
            codes, uniques = pd.factorize(frame[column], use_na_sentinel=False)
            values = len(uniques) + 1
        if size * values >= 2**62:
            group, distinct = pd.factorize(group)
            size = len(distinct)
        group *= values  # in place: 12M visits' keys are 0.1 GB an array
        group += codes
        del codes
        size *= values
    return group


def repeated(codes: np.ndarray, among: np.ndarray) -> np.ndarray:
    """True at each row of `among` whose code another row of `among` has too: the codes of
    `among` sorted (a vectorised sort of integers is several times faster than hashing them)
    find the codes held twice, and the rows holding them are looked up among those few. The
    sort needs no positions: 12M visits' keys sorted with their positions held four arrays of
    them at once (0.4 GB), now one."""
    ordered = codes[among]
    ordered.sort()
    twice = np.unique(ordered[1:][ordered[1:] == ordered[:-1]])
    del ordered
    return among & pd.Series(codes, copy=False).isin(twice).to_numpy()


def _reject_rows(raw: IngestedTable, rows: pd.DataFrame, reason: str, column: str) -> pd.DataFrame:
    if column == "personnummer":
        value = rows["child_id"].astype("string") if "child_id" in rows else pd.Series([], dtype="string")
        value = "child_id " + value
    else:  # a value rejected after it was parsed (deft 202203200015) is masked as the raw ones are
        value = rows[column].astype("string") if column in rows else pd.Series([], dtype="string")
        if len(value):
            value = privacy.mask_personnummer_like(value)[0]
    return pd.DataFrame({"table": raw.table, "source_file": raw.source_file,
                         "source_row": rows[SOURCE_ROW].to_numpy(), "reason": reason,
                         "column": column, "value": value.to_numpy()}, columns=REJECT_COLUMNS)


def _finish(raw: IngestedTable, frame: pd.DataFrame, duplicates: int,
            rejects: list[pd.DataFrame], coded: bool = False) -> CleanTable:
    """The clean table, its rows in source order, with its source file (`coded`: as a coded
    column of one text, as an event table's other texts are: 12M copies of a path were 0.2 GB)."""
    all_rejects = pd.concat([r for r in rejects if len(r)], ignore_index=True) if any(
        len(r) for r in rejects) else pd.DataFrame(columns=REJECT_COLUMNS)
    all_rejects = all_rejects.sort_values("source_row", kind="stable").reset_index(drop=True)
    if not frame[SOURCE_ROW].is_monotonic_increasing:  # else sorting would take every row again
        frame = frame.sort_values(SOURCE_ROW, kind="stable")
    frame = frame.reset_index(drop=True)
    source_file: object = raw.source_file
    if coded:  # one text for every row, of the dtype a text inserted so gets
        source_file = pd.Categorical.from_codes(np.zeros(len(frame), dtype=np.int8),
                                                dtype=pd.CategoricalDtype(pd.Index([raw.source_file])))
    frame.insert(1, "source_file", source_file)
    return CleanTable(raw.table, raw.source_file, raw.rows_read, frame, duplicates, all_rejects)


# The vaccinations' columns that antigen_doses reads
DOSE_SOURCES = ("child_id", "dose_date", "product", "dose_number_recorded")


def antigen_doses(vaccinations: pd.DataFrame) -> pd.DataFrame:
    """One row per child, antigen and dose, numbered by date order (dose 1 = earliest).

    A product gives several antigens (Infanrix hexa: DTaP, IPV, Hib, HepB). Two products
    giving the same antigen on one day count as one dose of it.

    Worked on row numbers: each vaccination's row paired with each antigen its product gives
    (in the order a merge of the two tables gives them), sorted and numbered by integer codes,
    and the columns taken once for the rows kept. A national register has millions of
    vaccinations and three antigens each: merging the columns themselves cost 5.7 s and 0.9 GB
    more at a million children (16M doses), and ranked each child's id once per dose.
    """
    (doses,) = antigen_doses_in_parts(vaccinations, rows=sys.maxsize)  # every dose in one part
    return doses


def antigen_doses_in_parts(vaccinations: pd.DataFrame, rows: int) -> Iterator[pd.DataFrame]:
    """`antigen_doses` in parts of `rows` rows (the last may have fewer; one part without rows
    when there is no dose), in order, each part's columns taken when it is asked for: a
    million children's 16M doses are 1.5 GB as one frame, the peak of the clean stage when
    they were made whole to be written."""
    given = _antigens_given()
    rows_kept, antigens, numbers = _dose_rows(vaccinations, given)

    def taken(frame: pd.DataFrame, column: str, at: np.ndarray) -> pd.Series:
        return frame[column].take(at).reset_index(drop=True)

    for start in range(0, max(len(rows_kept), 1), rows):
        at, antigen_at = rows_kept[start:start + rows], antigens[start:start + rows]
        yield pd.DataFrame({
            "child_id": taken(vaccinations, "child_id", at),
            "antigen": taken(given, "antigen", antigen_at).astype("string"),
            "dose_number": numbers[start:start + rows].astype(np.int64),
            "dose_date": taken(vaccinations, "dose_date", at),
            "product": taken(vaccinations, "product", at),
            "rota_series_doses": taken(given, "rota_series_doses", antigen_at).astype("Int64"),
            "dose_number_recorded": taken(vaccinations, "dose_number_recorded", at)})


def _dose_rows(vaccinations: pd.DataFrame, given: pd.DataFrame
               ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Each antigen dose as (its vaccination's row, its row of `given`, its dose number), in
    the order of antigen_doses' rows: by child, antigen, date and product (`sort_order`'s
    order), each child's doses of an antigen numbered, two on one day counted once.

    The vaccinations' values are ranked once each, and each dose's four ranks made one
    integer (`dose_keys`), sorted once: its child and antigen, and its date, are the
    integer's leading parts. A million children's 16M doses held nine arrays of them at once
    (1.2 GB) when each part was an array of its own."""
    row, given_row = _pairs(vaccinations["product"], given["product"])
    ranks = [(sort_codes(vaccinations["child_id"]), row), (sort_codes(given["antigen"]), given_row),
             (sort_codes(vaccinations["dose_date"]), row), (sort_codes(vaccinations["product"]), row)]
    sizes = [int(codes.max(initial=0)) + 1 for codes, _ in ranks]
    if math.prod(sizes) >= ONE_KEY_LIMIT:  # too many values to make one integer of them: each part sorted
        child, antigen, date, product = (codes[at] for codes, at in ranks)
        order = sort_order(child, antigen, date, product)
        series = (child[order], antigen[order])
        day = date[order]
        del child, antigen, date, product
        series_start = np.ones(len(order), dtype=bool)
        series_start[1:] = (series[0][1:] != series[0][:-1]) | (series[1][1:] != series[1][:-1])
        same_day = np.zeros(len(order), dtype=bool)  # a dose counted once
        same_day[1:] = ~series_start[1:] & (day[1:] == day[:-1])
    else:
        key = dose_keys(ranks, sizes)
        order = np.argsort(key, kind="stable")
        key = key[order]
        key //= sizes[3]  # child, antigen and date
        same_day = np.zeros(len(order), dtype=bool)  # a dose counted once
        same_day[1:] = key[1:] == key[:-1]
        key //= sizes[2]  # child and antigen
        series_start = np.ones(len(order), dtype=bool)
        series_start[1:] = key[1:] != key[:-1]
        del key
    kept = order[~same_day]
    del order
    row, given_row = row[kept], given_row[kept]
    del kept
    return row, given_row, _numbers_within(series_start[~same_day])


def dose_keys(ranks: list[tuple[np.ndarray, np.ndarray]], sizes: list[int]) -> np.ndarray:
    """One integer per dose from its ranks (each `(ranks of values, the value's row of each
    dose)`, ranks below their `sizes`), in the order of the ranks: the integer `sort_order`
    sorts by, made in one array."""
    (first, at), *rest = ranks
    key = first[at].astype(np.int64)
    for (codes, at), size in zip(rest, sizes[1:], strict=True):
        key *= size
        key += codes[at]
    return key


def _antigens_given() -> pd.DataFrame:
    """One row per product and antigen it gives, in PRODUCTS' order."""
    return pd.DataFrame([(name, antigen, product.rota_series_doses) for name, product in PRODUCTS.items()
                         for antigen in product.antigens],
                        columns=["product", "antigen", "rota_series_doses"])


def _pairs(products: pd.Series, given: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """(row of `products`, row of `given`) for every pair with the same product, in the order an
    inner merge gives them: by row, then by `given`'s order (which lists each product's rows
    together). Products not in `given`, and missing ones, pair with nothing."""
    codes, uniques = factorized(products.reset_index(drop=True))
    given = given.astype("string").reset_index(drop=True)
    own = [np.flatnonzero((given == product).to_numpy(dtype=bool, na_value=False)) for product in uniques]
    lengths = np.array([len(rows) for rows in own] + [0], dtype=np.int64)
    counts = lengths[codes]  # code -1: missing
    starts = np.cumsum(lengths[:-1]) - lengths[:-1]  # where each product's rows of `given` begin
    flat = np.concatenate([*own, np.zeros(0, dtype=np.int64)])
    row = np.repeat(np.arange(len(codes), dtype=_positions(len(codes))), counts)
    # each pair's place in `flat`: its place among all pairs, shifted to its product's rows
    place = np.arange(len(row), dtype=_positions(len(row)))
    place -= np.repeat(np.cumsum(counts) - counts - np.append(starts, 0)[codes], counts).astype(place.dtype)
    return row, flat.astype(_positions(len(given)))[place]


def _positions(count: int) -> type:
    """The integer type of positions among `count` rows: 4 bytes where they fit (16M antigen
    doses' rows are held in several arrays at once: 64 MB each rather than 128)."""
    return np.int32 if count < 2**31 else np.int64


def sort_codes(values: pd.Series) -> np.ndarray:
    """Integers in the order of the values (missing last, as `sort_values` puts them): sorting
    by them sorts by the values, far faster than sorting text. A coded column's texts are
    ranked (in their order as text, not their order as codes), and its rows by their codes."""
    if is_coded(values):
        texts = pa.array(values.cat.categories.array)
        rank = np.empty(len(texts) + 1, dtype=np.int64)
        rank[pc.sort_indices(texts).to_numpy()] = np.arange(len(texts))
        rank[-1] = len(texts)  # code -1, missing: last
        return rank[values.cat.codes.to_numpy()]
    codes, uniques = pd.factorize(values, sort=True, use_na_sentinel=True)
    return np.where(codes < 0, len(uniques), codes)


# The most values an int64 key made of several codes may take (`sort_order`, `_dose_rows`)
ONE_KEY_LIMIT = 2**62


def sort_order(*codes: np.ndarray) -> np.ndarray:
    """The stable order of rows by the first codes (from `sort_codes`), then the second, ...:
    one argsort of the codes combined into one integer where their ranges fit in one (four
    times faster than np.lexsort), else lexsort."""
    sizes = [int(c.max()) + 1 if len(c) else 1 for c in codes]
    if math.prod(sizes) >= ONE_KEY_LIMIT:
        return np.lexsort(codes[::-1])
    combined = np.zeros(len(codes[0]), dtype=np.int64)
    for code, size in zip(codes, sizes, strict=True):
        combined = combined * size + code
    return np.argsort(combined, kind="stable")


def _numbers_within(starts: np.ndarray) -> np.ndarray:
    """1, 2, 3, ... within each run of rows, a run beginning where `starts` is True."""
    position = np.arange(len(starts), dtype=_positions(len(starts)))
    start = np.where(starts, position, 0)
    np.maximum.accumulate(start, out=start)
    position -= start
    position += 1
    return position


def accounting(result: CleanResult) -> pd.DataFrame:
    """data_quality.csv: rows_read = rows_clean + rows_rejected + rows_duplicate per file."""
    rows = [{"table": t.table, "source_file": t.source_file, "rows_read": t.rows_read,
             "rows_clean": t.rows_clean, "rows_rejected": t.rows_rejected,
             "rows_duplicate": t.rows_duplicate} for t in result.tables.values()]
    frame = pd.DataFrame(rows)
    frame["balanced"] = frame["rows_read"] == frame["rows_clean"] + frame["rows_rejected"] + frame[
        "rows_duplicate"]
    return frame


def rejects_by_reason(result: CleanResult) -> pd.DataFrame:
    """rejects_by_reason.csv: table, source_file, reason, rows."""
    rejects = result.rejects
    if rejects.empty:
        return pd.DataFrame(columns=["table", "source_file", "reason", "rows"])
    return (rejects.groupby(["table", "source_file", "reason"], sort=True).size()
            .rename("rows").reset_index())


def missingness(result: CleanResult) -> pd.DataFrame:
    """Missing values per column of each clean table (after cleaning), among the rows each
    column is asked of (`missing_among_asked`: a blank moved-out date is no missing value;
    whether a family accepted is asked of the families offered). The columns of an export
    that identifies a row by either of two (a child's personnummer or a family id, as the
    conversations do) are left out: each row has one of them, and the other blank is no missing
    value (the conversations' child pseudonym read "100 % missing" of an export without one)."""
    rows = []
    for table in result.tables.values():
        either = TABLES[table.table].identified_by if table.table in TABLES else ()
        identifying = ({"child_id" if name == "personnummer" else name for name in either}
                       if len(either) > 1 else set())
        for column, (n, missing) in table.missing_values().items():
            if column in (SOURCE_ROW, "source_file") or column in identifying:
                continue
            rows.append({"table": table.table, "column": column, "rows": n, "missing": missing,
                         "share_missing": round(missing / n, 4) if n else np.nan})
    return pd.DataFrame(rows)


# what a value that failed to read should look like, for the reasons whose fix is the export's
_EXPECTED = {"date_unparseable": "dates are read as 2021-03-04, 20210304, 04/03/2021, 04.03.2021 or "
                                 "4 mars 2021, day before month",
             "pnr_bad_characters": "a personnummer is read as YYYYMMDD-NNNN, YYMMDD-NNNN or YYYYMMDDNNNN"}


def _first_reject(result: CleanResult, table: str, source_file: str, reason: str) -> str:
    """The first row of `source_file` rejected for `reason` in `table`: its line, column and
    value (masked as the rejects hold it; not a child's pseudonym), and what such a value should
    look like where that is known."""
    rejects = result.rejects
    first = rejects[(rejects["table"] == table) & (rejects["source_file"] == source_file)
                    & (rejects["reason"] == reason)].head(1)
    if first.empty:
        return ""
    line, column, value = first[["source_row", "column", "value"]].iloc[0]
    columns = TABLES[table].columns if table in TABLES else ()
    header = next((c.header for c in columns if c.name == column), None)
    named = f"'{header}' ({column})" if header and header != column else f"'{column}'"
    pseudonym = isinstance(value, str) and value.startswith("child_id")
    shown = privacy.mask_text(str(value)) if isinstance(value, str) and not pseudonym else ""
    example = f"; the first at line {line}, column {named}" + (f": '{shown}'" if shown else "")
    return example + (f"; {_EXPECTED[reason]}" if reason in _EXPECTED else "")


def rejected_share_problems(result: CleanResult, max_share: float) -> list[str]:
    """A table wholly rejected, or losing more than max_share of its rows, is not ok to run
    (`hembesok validate` says so; `hembesok run` stops before anything is written)."""
    quality, reasons = accounting(result), rejects_by_reason(result)
    problems = []
    for row in quality.itertuples():
        if row.rows_rejected == 0 or (row.rows_rejected < row.rows_read
                                      and row.rows_rejected / row.rows_read <= max_share):
            continue
        mine = reasons[(reasons["table"] == row.table) & (reasons["source_file"] == row.source_file)]
        top = mine.sort_values(["rows", "reason"], ascending=[False, True]).iloc[0]
        first = _first_reject(result, row.table, row.source_file, top["reason"])
        most = f"most for {top['reason']} ({top['rows']:,}{first})"
        if top["reason"] == "category_unknown":  # spellings the study can say the meaning of
            most += " (hembesok validate lists the values; value_map in study.yml reads them)"
        if row.rows_rejected == row.rows_read:
            problems.append(f"{row.table} ({row.source_file}): all {row.rows_read:,} rows were rejected, "
                            f"{most}; see the rejects by reason (hembesok validate) and correct the "
                            "export or study.yml")
        else:
            problems.append(
                f"{row.table} ({row.source_file}): {row.rows_rejected:,} of {row.rows_read:,} rows "
                f"({row.rows_rejected / row.rows_read:.1%}) were rejected, more than max_rejected_share "
                f"({max_share:.0%}) allows; {most}. Correct the export, or if that share is expected "
                "(e.g. a register export holding children outside the study), raise "
                "max_rejected_share in study.yml")
    return problems
