"""Stage 1, ingest: read every raw export, map its columns, parse its types.

Format, delimiter, encoding and the header row are detected; headers are mapped onto the
canonical English columns (study.yml `column_map` first, then the default Swedish headers of
SPEC §4). A file that cannot be used (unreadable, empty, header only, a required column
missing, records that cannot be matched to the file's lines) stops the run with an
InputFileError naming file, line and column before anything is written. A row whose
required value cannot be parsed becomes a reject; an optional value that cannot be parsed
is set missing and recorded as a value issue. Nothing is written by this stage: its output,
which still holds personnummer, goes straight to clean in memory.

How a CSV export is read, and why (a reviewer will ask):
- The encoding is decided over the whole file, not a sample: a Windows-1252 letter on the
  last line counts as much as one on the first (UTF-8 is checked in place by pyarrow; only
  a file that fails is decoded again to find where). UTF-8 with a line in another encoding
  is refused with that line's number: guessing would garble one part or the other.
- No record may be lost to a stray quote. The records pyarrow reads are reconciled with
  the file's physical lines (a quick count; a line-by-line pass only when the count
  differs). A quoted value that runs over several lines is accepted, as one value with
  its line breaks, when the lines it takes in do not look like rows of their own (fewer
  delimiters than a row has) and its row has the header's number of fields: that is what
  Excel writes for a cell holding Alt+Enter, and refusing it would stop a run over a
  comment. It is recorded as a value issue (`value_spans_lines`, with its lines). A quote
  that takes in lines that look like rows, or is never closed, stops the run with the
  line where it opened: those rows would otherwise vanish from the accounting.
- Row numbers (`source_row`) are the file's line numbers (an XLSX sheet's row numbers),
  so that a message's line can be found in a text editor or in Excel. A record spanning
  lines is numbered by the line where it starts.
- The header is the first row holding every required column (after `column_map`), so
  title rows above it are skipped; `header_row:` in study.yml names it when that fails.
  Empty columns without a header (the `;;` Excel writes at the end of every line) are
  ignored; a column without a header that holds data, or two columns giving one canonical
  column, stop the run.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import difflib
import io
import os
import re
import threading
import unicodedata
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from pipeline import parsing
from pipeline.config import InputFile, Study, yaml_quoted
from pipeline.errors import InputFileError
from pipeline.progress import step_message
from pipeline.schema import TABLES, Column, Table, column_variants, input_tables

SOURCE_ROW = "source_row"
REJECT_COLUMNS = ["table", "source_file", "source_row", "reason", "column", "value"]
ISSUE_COLUMNS = ["table", "source_file", "source_row", "column", "value", "issue"]
HEADER_SEARCH_ROWS = 20  # rows searched for the header row when title rows sit above it
DECODE_CHUNK = 1 << 24  # bytes decoded at a time when checking a whole file's encoding
# Bytes that are common letters in UTF-8 (å ä ö é, dashes, quotes) but would read as 'Ã', 'Â'
# or 'â' followed by a symbol in Windows-1252, which Swedish text never holds.
UTF8_LETTERS = re.compile(rb"[\xc2\xc3][\x80-\xbf]|\xe2\x80[\x80-\xbf]")
BLANK_LINE = re.compile(rb"\n(?=\r?\n)")
CP1252_UNDEFINED = (0x81, 0x8D, 0x8F, 0x90, 0x9D)  # the five bytes Windows-1252 leaves undefined


@dataclass
class IngestedTable:
    """One raw table after ingest: typed rows, rejected rows and value issues."""

    table: str
    source_file: str
    rows_read: int
    frame: pd.DataFrame  # canonical columns + source_row; personnummer still in clear
    rejects: pd.DataFrame  # REJECT_COLUMNS
    value_issues: pd.DataFrame  # ISSUE_COLUMNS
    ignored_columns: tuple[str, ...] = ()
    encoding: str = ""
    delimiter: str = ""
    header_row: int = 1
    notes: tuple[str, ...] = ()  # what was read differently from a plain export, one sentence each


@dataclass
class RawExport:
    """An export's cells as text, by position, before its columns are mapped."""

    header: list[str]  # the header row's cells, one per column ("" where blank)
    cells: pd.DataFrame  # one text column per header cell, labelled 0..n-1; blank rows dropped
    source_row: np.ndarray  # the line (CSV) or sheet row (XLSX) where each record starts
    header_row: int  # 1-based line or row of the header
    header_found: bool  # the header row was given or found (not just taken as the first row)
    unit: str  # "line" (CSV) or "row" (XLSX): what the row numbers count
    encoding: str = ""
    delimiter: str = ""
    spans: list[tuple[int, int, int]] = field(default_factory=list)  # (first line, last line, column)
    notes: list[str] = field(default_factory=list)


def ingest(study: Study, progress: Callable[[str], None] = lambda _: None
           ) -> dict[str, IngestedTable]:
    """Read and type every input table of a study (the required ones, then the optional
    exports it names); stop on the first unusable file. `progress` hears of each file."""
    lazily = IngestedLazily(study, progress)
    return {table: lazily[table] for table in lazily}  # each read in turn


class IngestedLazily(Mapping[str, IngestedTable]):
    """A study's input tables (in `ingest`'s order), each read when it is first asked for and
    let go when it is popped: a run cleans each table as it is read, so that a
    national cohort's exports are not all in memory at once (the visits alone are a gigabyte).
    A file that cannot be used stops the run when it is read, as `ingest` would, after the
    tables before it were cleaned (nothing is written: the stage writes only if it succeeds)."""

    def __init__(self, study: Study, progress: Callable[[str], None] = lambda _: None) -> None:
        self.study, self.progress = study, progress
        self.names = input_tables(study.inputs)
        self.read: dict[str, IngestedTable] = {}
        self.popped: set[str] = set()
        self._ahead: dict[str, tuple[threading.Thread, list]] = {}  # being read ahead
        self._read_ahead: dict[str, RawExport] = {}  # read ahead, not yet asked for

    def __getitem__(self, name: str) -> IngestedTable:
        if name not in self.names or name in self.popped:
            raise KeyError(name)
        if name in self._ahead:
            self.finish_reading_ahead()
        if name not in self.read:
            path = self.study.input_path(name)
            self.read[name] = self._ingested(name, self._read_ahead.pop(name, None))
            self.progress(step_message("ingest", len(self.read) + len(self.popped), len(self.names),
                                       path.name))
        return self.read[name]

    def read_ahead(self, name: str) -> None:
        """Start reading the export `name` on a thread of its own, while this process does
        other work (pyarrow reads and parses a file without holding the GIL): it is the
        table's when the table is first asked for, or when `finish_reading_ahead` is called.
        A file that cannot be used raises its error then. The thread is a daemon: a run
        stopped by an error elsewhere does not wait for it."""
        result: list = []

        def read() -> None:
            try:
                result.append(read_export(self.study.input_path(name), self.study.inputs[name],
                                          TABLES[name], self.study.column_map.get(name, {})))
            except BaseException as error:  # noqa: BLE001 - raised where the table is asked for
                result.append(error)

        thread = threading.Thread(target=read, name=f"read-ahead-{name}", daemon=True)
        self._ahead[name] = (thread, result)
        thread.start()

    def finish_reading_ahead(self) -> list[str]:
        """Wait for every export being read ahead (`read_ahead`), each then read: before this
        process forks (a thread does not go with it), or when such a table is asked for.
        The tables read ahead and not yet asked for; the first file that could not be used
        raises its error once every thread is done (the others' tables kept)."""
        ahead, self._ahead = self._ahead, {}
        failed = None
        for name, (thread, result) in ahead.items():
            thread.join()
            if isinstance(result[0], BaseException):
                failed = failed or result[0]
            else:
                self._read_ahead[name] = result[0]
        if failed is not None:
            raise failed
        return list(self._read_ahead)

    def let_go_of_read_ahead(self, but: str | None = None) -> None:
        """Let go of the tables read ahead and not yet asked for (but `but`'s): a run that has
        forked the processes that clean them, and a process forked to clean another table,
        hold them only as their parent's."""
        self._read_ahead = {name: table for name, table in self._read_ahead.items() if name == but}

    def _ingested(self, name: str, raw: RawExport | None = None) -> IngestedTable:
        return ingest_table(self.study.input_path(name), TABLES[name], self.study.inputs[name],
                            self.study.column_map.get(name, {}), raw, self.study.value_map.get(name))

    def __iter__(self) -> Iterator[str]:
        return (name for name in self.names if name not in self.popped)

    def __len__(self) -> int:
        return len(self.names) - len(self.popped)

    def pop(self, name: str) -> IngestedTable:
        table = self[name]
        del self.read[name]
        self.popped.add(name)
        return table


def ingest_table(path: Path, table: Table, spec: InputFile, column_map: dict[str, str],
                 raw: RawExport | None = None,
                 value_map: Mapping[str, Mapping[str, str]] | None = None) -> IngestedTable:
    """Read one export (unless `raw`, `read_export`'s, is given), map its columns and parse
    its values (a category column also by the study's own spellings: `value_map`'s, column ->
    {spelling: code})."""
    named = f"{path.name} ({table.name})"
    if raw is None:
        raw = read_export(path, spec, table, column_map)
    if not raw.header:
        raise InputFileError(f"{named}: the file is empty; export the table again with its header row")
    if len(raw.cells) == 0:
        raise InputFileError(
            f"{named}: the file has a header row but no data rows (header on {raw.unit} {raw.header_row}); "
            "check that the export finished, or remove the table from study.yml "
            "if it is truly empty"
        )
    renamed, ignored, notes = map_columns(raw, table, column_map, named)
    raw.cells = raw.cells.iloc[:, :0]  # the mapped columns hold what is used (memory: see parse_table)
    # what reading took and let go back to the system before parsing: arrow's allocator keeps
    # freed memory a while (0.7 GB after reading a million children's visits)
    pa.default_memory_pool().release_unused()
    labels = {target: _column_label(index, raw.header[index])  # how a message names a column
              for index, target in enumerate(column_targets(raw.header, table, column_map)) if target}
    frame, rejects, issues = parse_table(renamed, table, path.name, labels, value_map)
    if raw.spans:
        issues = pd.concat([issues, _span_issues(raw, table, column_map, path.name)], ignore_index=True)
        first, last, column = raw.spans[0]
        notes.append(
            f"{named}: {len(raw.spans)} quoted value(s) run over several lines (the first on lines "
            f"{first}-{last}, {_column_label(column, raw.header[column])}); each was read as one "
            "value with its line breaks (value issue value_spans_lines)"
        )
    return IngestedTable(
        table.name, path.name, len(renamed), frame, rejects, issues, tuple(ignored),
        raw.encoding, raw.delimiter, raw.header_row, tuple(raw.notes + notes),
    )


def _span_issues(raw: RawExport, table: Table, column_map: dict[str, str], source_file: str) -> pd.DataFrame:
    """One value issue per quoted value that runs over several lines, naming its lines."""
    targets = column_targets(raw.header, table, column_map)
    return pd.DataFrame(
        {
            "table": table.name,
            "source_file": source_file,
            "source_row": [first for first, _, _ in raw.spans],
            "column": [targets[c] or raw.header[c] or _column_letter(c) for _, _, c in raw.spans],
            "value": [f"lines {first}-{last}" for first, last, _ in raw.spans],
            "issue": "value_spans_lines",
        },
        columns=ISSUE_COLUMNS,
    )


# --- reading ---------------------------------------------------------------------------------


def read_export(path: Path, spec: InputFile, table: Table, column_map: dict[str, str]) -> RawExport:
    """Read a CSV or XLSX export as text cells numbered by the file's line (or sheet row).

    Fully blank rows carry no data and are skipped.
    """
    if not path.is_file():
        raise InputFileError(f"{path}: file not found")
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        return _read_xlsx(path, spec, table, column_map)
    if path.suffix.lower() == ".xls":
        raise InputFileError(
            f"{path.name}: the old .xls format is not supported; open it in Excel "
            "and save it as .xlsx or as CSV (UTF-8)"
        )
    return _read_csv(path, spec, table, column_map)


# --- encodings


class _UnreadableBytes(Exception):
    """Where and why a file's bytes cannot be decoded (turned into a message by the reader)."""

    def __init__(self, position: int, kind: str, encoding: str = "") -> None:
        super().__init__(kind)
        self.position, self.kind, self.encoding = position, kind, encoding


def detect_encoding(path: Path) -> str:
    """utf-8 / utf-8-sig / utf-16 / cp1252, decided over the whole file (see `to_utf8`)."""
    data = path.read_bytes()
    try:
        return _detected(data)
    except _UnreadableBytes as problem:
        raise InputFileError(_encoding_message(path.name, data, problem, "")) from None


def to_utf8(data: bytes | bytearray, encoding: str | None = None) -> tuple[bytes | bytearray, str]:
    """The file's bytes as UTF-8 (no BOM), and the encoding they were read in.

    Without a given encoding: a BOM decides (UTF-8 or UTF-16); else the whole file must be
    UTF-8, or else Windows-1252 (what Swedish Excel writes). A file that is UTF-8 in part
    (it holds UTF-8 letters) and not in another part mixes encodings and is refused.
    A bytearray that is UTF-8 already is returned itself, a UTF-8 BOM removed in place
    (`_without_bom`).
    """
    if encoding is not None:
        return _convert(data, encoding, given=True), encoding
    encoding = _detected(data)
    if encoding in ("utf-8", "utf-8-sig"):  # checked whole by _detected
        return _without_bom(data, len(codecs.BOM_UTF8) if encoding == "utf-8-sig" else 0), encoding
    return _convert(data, encoding, given=False), encoding


def _without_bom(data: bytes | bytearray, start: int) -> bytes | bytearray:
    """The bytes from `start` on: a bytearray's first bytes are removed in place (CPython moves
    its start, copying nothing), where a slice of bytes copies the rest of a file that may be
    a gigabyte (and this machine takes seconds to hand a process fresh memory)."""
    if not start:
        return data
    if isinstance(data, bytearray):
        del data[:start]
        return data
    return data[start:]


def _file_bytes(path: Path) -> bytearray:
    """A file's bytes, read once into a bytearray (for `to_utf8`, which can then drop a BOM
    without copying them)."""
    with path.open("rb") as file:
        data = bytearray(os.fstat(file.fileno()).st_size)
        read = file.readinto(data)
        rest = file.read()  # a file that grew since its size was taken
    del data[read:]
    return data + rest if rest else data


def _detected(data: bytes) -> str:
    """The encoding of a whole file, or _UnreadableBytes saying where it fails."""
    if data.startswith(codecs.BOM_UTF8):
        position = _utf8_error(data, start=len(codecs.BOM_UTF8))
        if position is not None:
            raise _UnreadableBytes(position, "mixed")
        return "utf-8-sig"
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    nul = data.find(b"\x00")
    if nul >= 0:
        raise _UnreadableBytes(nul, "binary")
    position = _utf8_error(data)
    if position is None:
        return "utf-8"
    if _holds_utf8_letters(data):
        raise _UnreadableBytes(position, "mixed")
    undefined = [p for p in (data.find(bytes([b])) for b in CP1252_UNDEFINED) if p >= 0]
    if undefined:
        raise _UnreadableBytes(min(undefined), "neither")
    return "cp1252"


def _convert(data: bytes, encoding: str, given: bool) -> bytes:
    """Decode with an encoding (strictly) and return UTF-8 bytes without a BOM."""
    try:
        codec = codecs.lookup(encoding).name
    except LookupError:
        raise _UnreadableBytes(0, "unknown_codec", encoding) from None
    if codec in ("utf-8", "utf-8-sig"):
        start = len(codecs.BOM_UTF8) if data.startswith(codecs.BOM_UTF8) else 0
        position = _utf8_error(data, start=start)
        if position is not None:
            raise _UnreadableBytes(position, "given", encoding)
        return _without_bom(data, start)
    try:
        return data.decode(codec).encode("utf-8")
    except UnicodeDecodeError as error:
        raise _UnreadableBytes(error.start, "given" if given else "neither", encoding) from None


def _utf8_error(data: bytes, start: int = 0) -> int | None:
    """Position of the first byte from start on that is not UTF-8, or None.

    pyarrow checks the whole buffer in place (several GB/s); only a file that fails is
    decoded again, in chunks, to find where.
    """
    buffer = pa.py_buffer(data)[start:]
    offsets = pa.py_buffer(np.array([0, buffer.size], dtype=np.int64).tobytes())
    try:
        pa.Array.from_buffers(pa.large_binary(), 1, [None, offsets, buffer]).cast(pa.large_string())
        return None
    except pa.ArrowInvalid:
        pass
    decoder = codecs.getincrementaldecoder("utf-8")()
    view = memoryview(data)
    for chunk in range(start, len(data), DECODE_CHUNK):
        pending = len(decoder.getstate()[0])
        try:
            decoder.decode(view[chunk: chunk + DECODE_CHUNK], final=chunk + DECODE_CHUNK >= len(data))
        except UnicodeDecodeError as error:
            return chunk - pending + error.start
    return None


def _holds_utf8_letters(data: bytes) -> bool:
    """True when the bytes hold UTF-8 encoded letters (a fast find first: they are rare in cp1252)."""
    starts = [p for p in (data.find(b"\xc2"), data.find(b"\xc3"), data.find(b"\xe2\x80")) if p >= 0]
    return bool(starts) and UTF8_LETTERS.search(data, min(starts)) is not None


def _utf16_without_bom(data: bytes) -> str | None:
    """"little" or "big" when the file's first bytes read as UTF-16 text of that byte order
    (a NUL beside nearly every letter of Latin text: Excel's "Unicode text" without its
    byte-order mark), else None."""
    head = data[:4096]
    if len(head) < 16:
        return None
    head = head[:len(head) // 2 * 2]
    for order, (high, low) in (("little", (head[1::2], head[0::2])), ("big", (head[0::2], head[1::2]))):
        if high.count(0) >= 0.9 * len(high) and low.count(0) <= 0.01 * len(low):
            return order
    return None


def _encoding_message(name: str, data: bytes, problem: _UnreadableBytes, table: str, where: str = "") -> str:
    """The message for bytes that cannot be decoded: line, byte, what it looks like, the fix."""
    setting = f"`encoding:` under inputs.{table or '<table>'} in study.yml"
    if problem.kind == "unknown_codec":
        return (f"{name}: unknown encoding '{problem.encoding}' given in study.yml; correct {setting} "
                "(utf-8, utf-8-sig, cp1252 or utf-16), or remove it to have the encoding detected")
    line = data.count(b"\n", 0, problem.position) + 1
    byte = data[problem.position] if problem.position < len(data) else 0
    at = f"line {line}{where}"
    if problem.kind == "binary":
        if (order := _utf16_without_bom(data)) is not None:
            return (f"{name}: unreadable encoding — the file looks like UTF-16 text ({order}-endian) "
                    f"without the byte-order mark that says so; set {setting} to utf-16-{order[0]}e, "
                    "or export the table again as 'CSV UTF-8'")
        return (f"{name}: unreadable encoding — the file holds NUL bytes (the first on {at}) and looks "
                "binary, not like a CSV text export; export the table again as CSV (UTF-8) or XLSX")
    looks = bytes([byte]).decode("cp1252", errors="replace")
    shown = f"byte 0x{byte:02X}"
    if byte >= 0x80 and looks.isprintable() and looks != "\ufffd":
        shown += f" ('{looks}' in Windows-1252)"
    if problem.kind == "mixed":
        return (f"{name}: unreadable encoding — the file is UTF-8, but {at} is not ({shown}): "
                "the file mixes encodings, as when rows from a Windows-1252 (cp1252) file were pasted "
                "in. Fix that value (type its letters again) or export the whole file again as 'CSV UTF-8'. "
                f"If the whole file is in fact Windows-1252, set {setting} to cp1252")
    if problem.kind == "given":
        return (f"{name}: unreadable encoding — {at} is not {problem.encoding} ({shown}), the encoding "
                f"given by {setting}; correct that setting (utf-8 or cp1252), or remove it to have the "
                "encoding detected, or export the file again as 'CSV UTF-8'")
    return (f"{name}: unreadable encoding — {shown} on {at} is neither UTF-8 nor Windows-1252 (cp1252); "
            f"save the export as 'CSV UTF-8' in Excel, or give the file's encoding with {setting}")


# --- CSV


def detect_delimiter(header_line: str) -> str:
    """The delimiter giving the most fields in the header line (`;` wins ties: Swedish Excel)."""
    counts = {delimiter: header_line.count(delimiter) for delimiter in (";", ",", "\t")}
    best = max(counts.values())
    if best == 0:
        return ","
    return next(d for d in (";", "\t", ",") if counts[d] == best)


def _read_csv(path: Path, spec: InputFile, table: Table, column_map: dict[str, str]) -> RawExport:
    original = _file_bytes(path)
    if not original:
        raise InputFileError(f"{path.name}: the file is empty (0 bytes); export the table again")
    named = f"{path.name} ({table.name})"
    try:
        data, encoding = to_utf8(original, spec.encoding)
    except _UnreadableBytes as problem:
        where = _column_at(original, problem.position, spec, table, column_map)
        raise InputFileError(_encoding_message(path.name, original, problem, table.name, where)) from None
    del original  # a converted copy is all that is needed now (memory: exports can be large)
    if not re.search(rb"\S", data):
        raise InputFileError(f"{path.name}: the file is empty; export the table again with its header row")
    # where in the file `data` starts when it is the file's own bytes (UTF-8, after any BOM);
    # None when they were converted
    in_file = None
    if spec.encoding is None and encoding in ("utf-8", "utf-8-sig"):
        in_file = len(codecs.BOM_UTF8) if encoding == "utf-8-sig" else 0
    if b"\n" not in data and b"\r" in data:  # classic Mac OS line ends (CR only): one kind of line end
        data = data.replace(b"\r", b"\n")
        in_file = None
    head = _first_lines(data, max(HEADER_SEARCH_ROWS, spec.header_row or 0))
    delimiters = [spec.delimiter or detect_delimiter(text) for text, _ in head]
    candidates = [_split_line(text, d) for (text, _), d in zip(head, delimiters, strict=True)]
    index, found = _header_index(candidates, spec, table, column_map, named, "line")
    if not head[index][0].strip():
        raise InputFileError(
            f"{named}: the first line is blank and no header row was found below it; the header row "
            f"must come first, or set header_row: N under inputs.{table.name} in study.yml"
        )
    header, delimiter, offset = candidates[index], delimiters[index], head[index][1]
    header_line = index + 1
    lines = _count_lines(data, offset)
    blank = _count_blank_lines(data, offset)
    kinds = {column.name: column.kind for column in table.columns}
    coded = [kinds.get(target or "") in PARSED_FROM_DISTINCT_TEXTS
             for target in column_targets(header, table, column_map)]
    numbered = _nonblank_line_numbers(data, offset, header_line, blank, lines - blank)
    last_line = _last_line(data, offset)
    # a last line without a line end where the others have one: perhaps cut off inside its last
    # value, which no field count can tell (a tester's cut visits export: 'ho' read as a reason)
    # (its tail alone: stripping the whole file would copy it)
    tail = data[-4096:].rstrip(b" \t")
    open_end = lines - blank > 1 and bool(tail) and not tail.endswith((b"\n", b"\r"))
    if in_file is None:
        records, error = _parse_body(pa.BufferReader(pa.py_buffer(data)[offset:]), delimiter, coded,
                                     empty=lines == blank)
    else:  # pyarrow reads the file itself: its bytes need not be held beside its records
        del data
        with pa.OSFile(str(path)) as file:
            file.seek(in_file + offset)
            records, error = _parse_body(file, delimiter, coded, empty=lines == blank)
    spans: list[tuple[int, int, int]] = []
    if records is not None and records.num_rows == lines - blank:
        source_row = numbered
        if len(numbered):
            _check_last_line(last_line, named, delimiter, header, int(numbered[-1]))
    else:
        if in_file is not None:  # a file whose records are not its lines: its bytes once more
            data = to_utf8(_file_bytes(path))[0]
        starts, spans = _reconcile(data, offset, delimiter, header, header_line, named, error)
        if records is None or len(starts) != records.num_rows:
            raise InputFileError(
                f"{named}: the file's records cannot be matched to its lines ({lines - blank} "
                f"non-blank lines after the header on line {header_line}, "
                f"{0 if records is None else records.num_rows} records read); look for a stray "
                "quote (\") or a line break inside a value and export the table again"
            )
        source_row = np.asarray(starts, dtype=np.int64)
    data = None  # the records are parsed: free the file's bytes before pandas takes its copy
    texts = records.columns  # the table let go: each column goes as soon as it is converted
    del records
    cells = pd.DataFrame({index: _column_read(texts, index) for index in range(len(header))},
                         copy=False)
    notes = _header_notes(named, index, spec, "line")
    if blank:
        notes.append(f"{named}: {blank} blank line(s) skipped")
    cells, source_row, empty = _drop_blank_rows(cells, source_row)
    if empty:  # said as a blank line is: a line of separators (';;;', '"",""') holds no data either
        notes.append(f"{named}: {empty} line(s) with every field empty skipped")
    notes += _repeated_header_notes(named, header, cells, source_row, "line")
    if open_end and len(source_row):
        notes.append(f"{named}: line {int(source_row[-1])}, the last line, has no line end where the "
                     "lines before it have one: if the export was cut off inside its last value, that "
                     "row was read as it stands. Check that the export finished (its last row against "
                     "the system's)")
    return RawExport(header, cells, source_row, header_line, found, "line", encoding, delimiter, spans, notes)


def _column_read(columns: list[pa.ChunkedArray | None], index: int) -> pd.Series:
    """Column `index` of a parsed CSV (taken out of `columns`) as pandas text: coded
    (`parsing.coded_text`) from the parser's dictionaries, or, an empty file's, as text.

    pyarrow reads a file in blocks, each with its own dictionary; unified, they are the
    column's distinct texts in order of appearance, and its codes one contiguous array (a
    take from a column in chunks copied the whole column every time: 0.17 s to take 1,000 of
    3.9M visits, 0.5 ms from one array)."""
    column, columns[index] = columns[index], None
    if pa.types.is_dictionary(column.type) and column.num_chunks:  # not an empty file's
        try:
            whole = column.unify_dictionaries().combine_chunks()
        except (pa.ArrowCapacityError, pa.ArrowInvalid):  # over 2 GB of distinct texts: as text
            pass
        else:
            del column
            return parsing.coded_text(whole.indices.to_numpy(zero_copy_only=False), whole.dictionary)
    whole = column.cast(pa.large_string()).combine_chunks()  # large: a column may exceed 2 GB
    del column
    return pd.Series(pd.StringDtype().__from_arrow__(whole), copy=False)


def _first_lines(data: bytes, n: int) -> list[tuple[str, int]]:
    """The first n lines as text (line end removed), each with the offset just past it."""
    return [(data[start:stop].decode("utf-8", errors="replace").rstrip("\r\n"), stop)
            for start, stop in _line_bounds(data, n)]


def _split_line(text: str, delimiter: str) -> list[str]:
    """One line's fields, headers cleaned (a BOM or spaces around a name are not part of it)."""
    try:
        cells = next(csv.reader([text], delimiter=delimiter), [])
    except csv.Error:  # a carriage return inside the line: only a header candidate, read it plainly
        cells = text.split(delimiter)
    return [_clean_header(cell) for cell in cells]


PARSE_BLOCK_BYTES = 1 << 24  # pyarrow parses a file in blocks of this size
# pyarrow's reader on one thread: on its threads it took a quarter more CPU time and longer
# on the 2-core machine, even alone (a million children's 1 GB of visits 3.7 -> 3.0 s, their
# care contacts 1.3 -> 1.0 s), and a run reads its large exports in two processes at once


def _parse_body(source: pa.NativeFile, delimiter: str, coded: list[bool],
                empty: bool) -> tuple[pa.Table | None, str | None]:
    """Every record of `source` (the file from its first record on) as text columns, those
    `coded` (one flag per column) as each block's distinct texts and codes (`_column_read`);
    (None, pyarrow's message) when it fails. Coded are the columns parsed from their distinct
    texts (a few hundred thousand dates, a handful of kinds among 13M visits); a personnummer
    column is as many texts as there are children, which a dictionary per block would only
    hash once more."""
    names = [f"c{i}" for i in range(len(coded))]
    if empty:
        return pa.table({name: pa.array([], pa.string()) for name in names}), None
    try:
        table = pacsv.read_csv(
            source,
            read_options=pacsv.ReadOptions(column_names=names, block_size=PARSE_BLOCK_BYTES,
                                           use_threads=False),
            parse_options=pacsv.ParseOptions(delimiter=delimiter, newlines_in_values=True),
            convert_options=pacsv.ConvertOptions(
                column_types={name: pa.dictionary(pa.int32(), pa.string()) if code else pa.string()
                              for name, code in zip(names, coded, strict=True)},
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
            ),
        )
    except pa.ArrowInvalid as error:
        # pyarrow quotes the offending row after the second colon: never show it (personnummer)
        return None, ":".join(str(error).splitlines()[0].split(":")[:2])
    return table, None


def _count_lines(data: bytes, offset: int) -> int:
    """Physical lines from offset on (a last line without a line end counts)."""
    return data.count(b"\n", offset) + (1 if len(data) > offset and not data.endswith(b"\n") else 0)


def _count_blank_lines(data: bytes, offset: int) -> int:
    """Empty lines from offset on (pyarrow skips them); a quick search first (arrow's RE2 over
    the bytes in place, several times faster than bytes.count), an exact count if any."""
    if offset == 0 or offset >= len(data):
        return 0
    if not _holds_blank_line(data, offset - 1):
        return 0
    return len(BLANK_LINE.findall(data, offset - 1))


def _holds_blank_line(data: bytes, start: int) -> bool:
    """True when the bytes from start on hold a line end followed by another (an empty line)."""
    buffer = pa.py_buffer(data)[start:]
    offsets = pa.py_buffer(np.array([0, buffer.size], dtype=np.int64).tobytes())
    whole = pa.Array.from_buffers(pa.large_binary(), 1, [None, offsets, buffer])
    return pc.count_substring_regex(whole, "\n\r?\n")[0].as_py() > 0


def _nonblank_line_numbers(data: bytes, offset: int, header_line: int, blank: int,
                           records: int) -> np.ndarray:
    """Line numbers of the records when each takes one line: the lines after the header, less blank ones."""
    if blank == 0:
        return np.arange(header_line + 1, header_line + 1 + records, dtype=np.int64)
    body = np.frombuffer(data, dtype=np.uint8, offset=offset)
    ends = np.flatnonzero(body == ord("\n"))
    starts = np.concatenate(([0], ends + 1))
    stops = np.concatenate((ends, [len(body)]))
    keep = starts < len(body)  # the empty tail after a final line end is not a line
    starts, stops = starts[keep], stops[keep]
    length = stops - starts
    is_blank = (length == 0) | ((length == 1) & (body[np.minimum(starts, len(body) - 1)] == ord("\r")))
    return header_line + 1 + np.flatnonzero(~is_blank).astype(np.int64)


def _reconcile(
    data: bytes, offset: int, delimiter: str, header: list[str], header_line: int, named: str,
    parse_error: str | None,
) -> tuple[list[int], list[tuple[int, int, int]]]:
    """Walk the records line by line: where each starts, which values run over lines; or stop.

    Runs only when pyarrow's records do not match the file's lines one to one, or pyarrow
    failed, so its Python loop costs nothing on a plain export.
    """
    width = len(header)
    # A line with as many delimiters as a row has is a row, not part of a value.
    row_like = max(1, sum(1 for name in header if name) - 1)
    total = header_line + _count_lines(data, offset)
    cut_off = not data.endswith(b"\n")
    record_lines: list[str] = []

    def physical_lines():  # noqa: ANN202 - a generator feeding csv.reader, keeping each record's lines
        for line in io.BytesIO(data[offset:]):
            text = line.decode("utf-8")
            record_lines.append(text)
            yield text

    reader = csv.reader(physical_lines(), delimiter=delimiter)
    starts: list[int] = []
    spans: list[tuple[int, int, int]] = []
    consumed = 0
    final: tuple[list[str], int, int] | None = None  # the last record's lines, first and last line
    try:
        for record in reader:
            first, last = header_line + consumed + 1, header_line + reader.line_num
            lines, consumed = list(record_lines), reader.line_num
            record_lines.clear()
            if not record:
                continue  # a blank line
            final = (lines, first, last)
            if last > first:
                column = next((i for i, value in enumerate(record) if "\n" in value or "\r" in value),
                              len(record) - 1)
                _check_span(named, record, lines, first, last, column, header, delimiter, row_like, total)
                spans.append((first, last, column))
            elif len(record) != width:
                raise InputFileError(_field_count_message(
                    named, first, len(record), width, header_line, delimiter, last == total and cut_off))
            starts.append(first)
        if final is not None and final[1] == final[2]:  # a last line of its own: open at its end?
            _check_last_line(final[0][0].encode("utf-8"), named, delimiter, header, final[1])
    except csv.Error as error:
        line = header_line + reader.line_num
        first = header_line + consumed + 1
        if line > first and record_lines:  # within a value a quote on an earlier line opened
            column = len(next(csv.reader(record_lines[:1], delimiter=delimiter), [""])) - 1
            where, fix = _stray_quote(named, first, column, header)
            raise InputFileError(
                f"{where}: a quote (\") opens a value that is still open {line - first} line(s) "
                f"later, on line {line}, where it grows too long to be one value ({error}); the "
                f"lines after line {first} would be read into it and lost as rows. {fix}"
            ) from None
        raise InputFileError(
            f"{named}: line {line} cannot be read as CSV"
            + ("" if "new-line character" in str(error) else f" ({error})")  # Python's words: no help
            + ": a line break or carriage return (\\r) sits inside a value that is not quoted. Fix "
            "that line or export the table again"
        ) from None
    if parse_error is not None:
        raise InputFileError(
            f"{named}: not a readable CSV with delimiter {delimiter!r} ({parse_error}). Check that "
            "every row has as many fields as the header; set `delimiter:` for this input in "
            "study.yml if the detected one is wrong"
        )
    return starts, spans


def _last_line(data: bytes, offset: int) -> bytes:
    """The last line of the file that is not blank (from `offset` on), without its line end."""
    end = len(data)
    while end > offset and data[end - 1] in b"\r\n":
        end -= 1
    return data[max(data.rfind(b"\n", offset, end) + 1, offset):end]


def _check_last_line(line: bytes, named: str, delimiter: str, header: list[str], number: int) -> None:
    """Stop when the file's last line (line `number`) opens a quoted value that it never closes:
    an export cut off inside its last value. pyarrow reads such a value to the end of the file
    without a word when every other line is a row of its own ('…;"feber, hosta' read as
    'feber, hosta'); a quote that opens a value on an earlier line takes in the lines after it,
    and is stopped where the records are matched to the lines (`_reconcile`)."""
    if b'"' not in line:
        return
    text = line.decode("utf-8", errors="replace")
    try:
        list(csv.reader([text], delimiter=delimiter, strict=True))
    except csv.Error as error:
        if "unexpected end of data" in str(error):
            record = next(csv.reader([text], delimiter=delimiter), [""])
            where, fix = _stray_quote(named, number, len(record) - 1, header)
            raise InputFileError(
                f"{where}, the last line: a quote (\") opens a value that is never closed, so the "
                f"file may have been cut off inside it. {fix}, or export the table again"
            ) from None


def _stray_quote(named: str, first: int, column: int, header: list[str]) -> tuple[str, str]:
    """Where a value opened by a quote on line `first` starts, and how to fix it."""
    where = f"{named}: line {first}, {_column_label(column, header[column] if column < len(header) else '')}"
    fix = (f"Fix: remove the stray quote on line {first}, or close the value with a quote where it ends; "
           'a quote inside a value must be written twice ("")')
    return where, fix


def _check_span(named: str, record: list[str], lines: list[str], first: int, last: int, column: int,
                header: list[str], delimiter: str, row_like: int, total: int) -> None:
    """Stop unless a value running over lines first..last is a true multi-line value (see module doc)."""
    where, fix = _stray_quote(named, first, column, header)
    if last == total:
        try:
            list(csv.reader(lines, delimiter=delimiter, strict=True))
        except csv.Error as error:
            if "unexpected end of data" in str(error):
                raise InputFileError(
                    f"{where}: a quote (\") opens a value that is never closed, so the {last - first} "
                    f"line(s) after it, to the end of the file, would be read into that one value and "
                    f"lost as rows. {fix}"
                ) from None
    taken = [n for n, text in enumerate(lines[1:], first + 1) if text.count(delimiter) >= row_like]
    if taken:
        raise InputFileError(
            f"{where}: a quote (\") opens a value that runs on to line {last}, taking in {len(taken)} "
            f"line(s) that look like rows of their own (the first is line {taken[0]}); they would be "
            f"lost. {fix}"
        )
    if len(record) != len(header):
        raise InputFileError(
            f"{where}: a quoted value runs over lines {first}-{last}, and the row it makes has "
            f"{len(record)} fields where the header has {len(header)}. {fix}"
        )


def _field_count_message(named: str, line: int, found: int, width: int, header_line: int,
                         delimiter: str, last_and_cut: bool) -> str:
    shown = "tab" if delimiter == "\t" else f"'{delimiter}'"
    if found < width and last_and_cut:
        return (f"{named}: line {line}, the last line, has {found} of the header's {width} fields and "
                "no line end: the export looks cut off. Export the table again and check that the "
                "export finished")
    fields = f"{found} field" + ("" if found == 1 else "s")
    if found > width:
        return (f"{named}: line {line} has {fields} but the header (line {header_line}) has "
                f"{width}: a value on that line holds an unquoted {shown}, or the line has an extra "
                f"field. Fix that line (put the value in quotes, or remove the extra {shown}); if "
                "most lines differ from the header, check the delimiter (`delimiter:` for this "
                "input in study.yml)")
    return (f"{named}: line {line} has {fields} but the header (line {header_line}) has "
            f"{width}: a field is missing on that line, or a value holds a line break outside "
            "quotes. Fix that line or export the table again")


def _column_at(data: bytes, position: int, spec: InputFile, table: Table, column_map: dict[str, str]) -> str:
    """', column X' for a byte position, read leniently from the header (best effort for messages)."""
    start = data.rfind(b"\n", 0, position) + 1
    head = [(_lenient(data[first:stop]).rstrip("\r\n"), stop)
            for first, stop in _line_bounds(data, HEADER_SEARCH_ROWS)]
    if not head:
        return ""
    delimiters = [spec.delimiter or detect_delimiter(text) for text, _ in head]
    candidates = [_split_line(text, d) for (text, _), d in zip(head, delimiters, strict=True)]
    try:
        index, _ = _header_index(candidates, spec, table, column_map, "", "line")
    except InputFileError:
        return ""
    if start < head[index][1]:
        return ""  # the bad byte is in the header or above it
    before = _lenient(data[start:position])
    column = len(_split_line(before, delimiters[index])) - 1 if before else 0
    header = candidates[index]
    return f", {_column_label(column, header[column])}" if 0 <= column < len(header) else ""


def _lenient(line: bytes) -> str:
    """A line's text when its encoding is in doubt: UTF-8 if it is, else Windows-1252."""
    try:
        return line.decode("utf-8")
    except UnicodeDecodeError:
        return line.decode("cp1252", errors="replace")


def _line_bounds(data: bytes, n: int) -> list[tuple[int, int]]:
    """(start, stop) byte offsets of the first n lines."""
    bounds, start = [], 0
    while len(bounds) < n and start < len(data):
        end = data.find(b"\n", start)
        stop = len(data) if end < 0 else end + 1
        bounds.append((start, stop))
        start = stop
    return bounds


# --- XLSX


def _read_xlsx(path: Path, spec: InputFile, table: Table, column_map: dict[str, str]) -> RawExport:
    named = f"{path.name} ({table.name})"
    sheet, rows, sheet_notes = _chosen_sheet(path, spec, table, column_map, named)
    if rows is None:
        rows = _sheet_rows(path, sheet)
    if not rows:
        return RawExport([], pd.DataFrame(), np.array([], dtype=np.int64), 1, False, "row")
    search = max(HEADER_SEARCH_ROWS, spec.header_row or 0)
    candidates = [[_clean_header(cell) for cell in row] for row in rows[:search]]
    index, found = _header_index(candidates, spec, table, column_map, named, "row")
    if not any(candidates[index]):
        raise InputFileError(
            f"{named}: the first row is blank and no header row was found below it; the header row "
            f"must come first, or set header_row: N under inputs.{table.name} in study.yml"
        )
    width = max(len(row) for row in rows)
    header = (candidates[index] + [""] * width)[:width]
    body = [row + [""] * (width - len(row)) for row in rows[index + 1:]]
    cells = pd.DataFrame(body, columns=range(width), dtype=pd.StringDtype())
    source_row = np.arange(index + 2, index + 2 + len(body), dtype=np.int64)
    cells, source_row, empty = _drop_blank_rows(cells, source_row)
    notes = sheet_notes + _header_notes(named, index, spec, "row")
    if empty:
        notes.append(f"{named}: {empty} row(s) with every cell empty skipped")
    notes += _repeated_header_notes(named, header, cells, source_row, "row")
    if len(rows) >= EXCEL_ROWS:  # (a tester's, filled to the limit, was read without a word)
        notes.append(f"{named}: the sheet is full to Excel's limit of {EXCEL_ROWS:,} rows, so the export "
                     "was probably cut off there. Export the table as CSV, which has no such limit, and "
                     "check its number of rows")
    return RawExport(header, cells, source_row, index + 1, found, "row", "xlsx", "", [], notes)


EXCEL_ROWS = 1_048_576  # the most rows a worksheet holds


def _chosen_sheet(path: Path, spec: InputFile, table: Table, column_map: dict[str, str],
                  named: str) -> tuple[str | None, list[list[str]] | None, list[str]]:
    """The sheet to read when study.yml names none, its rows where they were read to choose it,
    and a note naming the sheets not read.

    The workbook's visible worksheets are looked at (a hidden one is often a stale copy or a
    list of codes, never the export a user sees): the one whose header holds every required
    column of the table, else the first. Two that both do stop the file: reading one would
    drop the other's rows without a word (a long export split over "Besök del 1" and "del 2")."""
    if spec.sheet is not None:
        return spec.sheet, None, []
    sheets = _worksheets(path)
    if len(sheets) <= 1:
        return None, None, []
    visible = [name for name, shown in sheets if shown] or [name for name, _ in sheets]
    required = {column.name for column in table.required_columns}
    searched = slice(spec.header_row - 1, spec.header_row) if spec.header_row else slice(HEADER_SEARCH_ROWS)

    read: dict[str, list[list[str]]] = {}

    def rows_of(name: str) -> list[list[str]]:
        if name not in read:
            read[name] = _sheet_rows(path, name)
        return read[name]

    def holding_of(names: list[str]) -> list[str]:
        return [name for name in names
                if any(required <= set(column_targets([_clean_header(c) for c in row], table, column_map))
                       for row in rows_of(name)[searched])]

    holding = holding_of(visible)
    if not holding:  # a visible cover sheet over the export hidden beneath it: that, said so
        hidden_holding = holding_of([name for name, shown in sheets if not shown])
        holding = hidden_holding if len(hidden_holding) == 1 else []
    if len(holding) > 1:
        counts = ", ".join(f"'{name}' ({max(len(read[name]) - 1, 0):,} rows)" for name in holding)
        raise InputFileError(
            f"{named}: {len(holding)} sheets hold this table's columns ({counts}) and study.yml names "
            f"none, so one of them would be read and the other rows lost. Name the sheet to read "
            f"(inputs.{table.name}: {{file: {path.name}, sheet: {yaml_quoted(holding[0])}}}); rows split "
            "over several sheets must be put on one sheet first")
    chosen = holding[0] if holding else visible[0]
    hidden = {name for name, shown in sheets if not shown}
    left = [f"'{name}'" + (" (hidden)" if name in hidden else "") for name, _ in sheets if name != chosen]
    note = (f"{named}: sheet '{chosen}'{' (hidden)' if chosen in hidden else ''} was read (study.yml names "
            f"no sheet); not read: {', '.join(left)}")
    return chosen, rows_of(chosen), [note]


def _worksheets(path: Path) -> list[tuple[str, bool]]:
    """The workbook's worksheets in order, each with whether it is visible (not hidden or very
    hidden); none when the workbook cannot be opened (reading it then says why)."""
    try:
        import python_calamine

        workbook = python_calamine.CalamineWorkbook.from_path(str(path))
        try:
            return [(meta.name, meta.visible == python_calamine.SheetVisibleEnum.Visible)
                    for meta in workbook.sheets_metadata
                    if meta.typ == python_calamine.SheetTypeEnum.WorkSheet]
        finally:
            workbook.close()
    except (KeyboardInterrupt, SystemExit):
        raise
    except BaseException:  # noqa: BLE001 - as in _calamine_rows
        pass
    try:
        import openpyxl

        workbook = openpyxl.load_workbook(path, read_only=True)
        try:
            return [(sheet.title, sheet.sheet_state == "visible") for sheet in workbook.worksheets]
        finally:
            workbook.close()
    except Exception:  # noqa: BLE001 - a broken workbook: _openpyxl_rows says what is wrong
        return []


def _sheet_rows(path: Path, sheet: str | None) -> list[list[str]]:
    """The cells of an XLSX sheet (`sheet`, else the first worksheet) as text (`_cell_text`),
    row by row from row 1 to its last row holding a value, each row up to its last such cell
    (none when the sheet is blank).

    Read by calamine (Rust, python-calamine: a tenth of openpyxl's time) unless the workbook
    has a cell holding an error (`#N/A`, `#DIV/0!`), which calamine reads as empty and openpyxl
    as its text (which clean then flags as the value it is, where an empty cell would be a
    silent missing value), or calamine cannot read it: then by openpyxl, whose messages say
    what is wrong with a broken workbook. Both read every cell that holds a value, whatever
    the sheet's stored dimensions say (openpyxl's read-only mode would trust them and leave
    out the rows and columns beyond a stale one). The two give the same text of every cell,
    but that calamine decodes the `_xHHHH_` escapes of the format (`_x000D_`: a carriage
    return, as Excel writes it) where openpyxl leaves them as written."""
    rows = None if _has_error_cells(path) else _calamine_rows(path, sheet)
    if rows is None:
        rows = _openpyxl_rows(path, sheet)
    texts = [[_cell_text(cell) for cell in row] for row in rows]
    for row in texts:  # each row up to its last cell holding a value
        while row and not row[-1]:
            row.pop()
    while texts and not texts[-1]:
        texts.pop()
    return texts


def _calamine_rows(path: Path, sheet: str | None) -> list[list[object]] | None:
    """The sheet's cells by calamine, from A1; None when calamine cannot read the workbook (or
    `sheet` is not one of its worksheets: openpyxl then says so)."""
    try:
        import python_calamine  # imported here: only XLSX inputs need it

        workbook = python_calamine.CalamineWorkbook.from_path(str(path))
        try:
            worksheets = [meta.name for meta in workbook.sheets_metadata
                          if meta.typ == python_calamine.SheetTypeEnum.WorkSheet]
            name = sheet if sheet is not None else (worksheets[0] if worksheets else None)
            if name is None or name not in worksheets:
                return None
            return workbook.get_sheet_by_name(name).to_python(skip_empty_area=False)
        finally:
            workbook.close()
    except (KeyboardInterrupt, SystemExit):
        raise
    except BaseException:  # noqa: BLE001 - a Rust panic too (pyo3's PanicException is no Exception):
        return None  # what calamine cannot read, openpyxl reads or explains


def _openpyxl_rows(path: Path, sheet: str | None) -> list[tuple[object, ...]]:
    import openpyxl  # imported here: only workbooks with error cells, or that calamine cannot read

    try:
        workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as error:  # openpyxl raises many kinds for a broken workbook
        raise InputFileError(
            f"{path.name}: not a readable XLSX workbook ({type(error).__name__}: "
            f"{error}); open it in Excel and save it again as .xlsx"
        ) from None
    try:
        if sheet is not None and sheet not in workbook.sheetnames:
            raise InputFileError(
                f"{path.name}: no sheet named '{sheet}'; sheets: {workbook.sheetnames}."
                " Correct `sheet:` for this input in study.yml"
            )
        worksheet = workbook[sheet] if sheet else workbook.worksheets[0]
        worksheet.reset_dimensions()  # every cell, not only those within the stored dimensions
        return list(worksheet.iter_rows(values_only=True))
    finally:
        workbook.close()


# A cell holding an error value (`t="e"`) in a worksheet part, its element prefixed or not.
_ERROR_CELL = re.compile(rb"""<(?:\w+:)?c\s[^>]*?\bt\s*=\s*["']e["']""")


def _has_error_cells(path: Path) -> bool:
    """Whether any worksheet of the workbook has a cell holding an error value (False when
    it is not a readable zip: the readers then say what is wrong)."""
    import zipfile

    try:
        with zipfile.ZipFile(path) as workbook:
            for name in workbook.namelist():
                if name.startswith("xl/worksheets/") and name.endswith(".xml"):
                    part = workbook.read(name)
                    if (b'"e"' in part or b"'e'" in part) and _ERROR_CELL.search(part):
                        return True
    except (OSError, zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, RuntimeError):
        return False
    return False


def _cell_text(cell: object) -> str:
    """A spreadsheet cell as the text an export would hold."""
    if cell is None:
        return ""
    if isinstance(cell, dt.datetime):
        return cell.strftime("%Y-%m-%d %H:%M:%S") if (cell.hour or cell.minute) else cell.strftime("%Y-%m-%d")
    if isinstance(cell, dt.date):
        return cell.isoformat()
    if isinstance(cell, float) and cell.is_integer():
        return str(int(cell))
    return str(cell)


# --- both


def _header_index(candidates: list[list[str]], spec: InputFile, table: Table, column_map: dict[str, str],
                  named: str, unit: str) -> tuple[int, bool]:
    """(index of the header row, whether it was given or found): `header_row:`, else the first
    row holding every required column, else the first row (the missing-column message follows)."""
    if spec.header_row is not None:
        if spec.header_row > len(candidates):
            raise InputFileError(
                f"{named}: header_row {spec.header_row} in study.yml is past the end of the file "
                f"({len(candidates)} {unit}s); correct header_row under inputs.{table.name}"
            )
        if not any(candidates[spec.header_row - 1]):
            raise InputFileError(
                f"{named}: {unit} {spec.header_row}, given as header_row in study.yml, is blank; "
                f"correct header_row under inputs.{table.name} (the {unit} holding the column names)"
            )
        return spec.header_row - 1, True
    required = {column.name for column in table.required_columns}
    for index, cells in enumerate(candidates[:HEADER_SEARCH_ROWS]):
        if required <= set(column_targets(cells, table, column_map)):
            return index, True
    return 0, False


def _header_notes(named: str, index: int, spec: InputFile, unit: str) -> list[str]:
    if index == 0:
        return []
    how = "header_row in study.yml" if spec.header_row else "the first holding every required column"
    return [f"{named}: the header is on {unit} {index + 1} ({how}); the {index} {unit}(s) above it "
            "were skipped as a title"]


def _clean_header(name: str) -> str:
    return name.replace("\ufeff", "").strip()


def _repeated_header_notes(named: str, header: list[str], cells: pd.DataFrame, source_row: np.ndarray,
                           unit: str) -> list[str]:
    """A note for the records that repeat the header row (two exports joined into one): read
    as rows, each is rejected for its first value that cannot be read, which says nothing of
    a header. Only the rows whose first cell is the header's first are looked at."""
    named_columns = [i for i, name in enumerate(header) if name.strip()]
    if cells.empty or not named_columns:
        return []
    first = named_columns[0]
    values = cells[first]
    # the first cell as the header wrote it, in any case and spacing round it, compared in
    # arrow on the column's distinct texts (a coded column's are at hand: an export's millions
    # of rows are never looked at one by one); a BOM too: two "CSV UTF-8" exports joined byte
    # for byte put one before the second header
    codes, texts = parsing.factorized(values)
    folded = pc.utf8_lower(pc.utf8_trim(pa.array(texts, pa.large_string()), characters=" \t\r\n\ufeff"))
    same = pc.equal(folded, header[first].strip().lower()).fill_null(False).to_numpy(zero_copy_only=False)
    if not same.any():
        return []
    rows = np.flatnonzero(np.append(same, False)[codes])  # code -1 (missing): not the header
    for column in named_columns:
        if not len(rows):
            break
        values = parsing.normalise_labels(cells[column].iloc[rows].astype("string").str.replace("\ufeff", ""))
        wanted = parsing.normalise_labels(pd.Series([header[column]], dtype="string")).iloc[0]
        rows = rows[values.eq(wanted).to_numpy(dtype=bool, na_value=False)]
    if not len(rows):
        return []
    lines = ", ".join(f"{n:,}" for n in source_row[rows[:5]]) + (" …" if len(rows) > 5 else "")
    return [f"{named}: {len(rows)} {unit}(s) repeat the header row ({unit} {lines}), as where two "
            "exports were joined into one; each is rejected with its first value that cannot be "
            "read. Check that the exports joined are the ones meant, and that none is in twice"]


def _drop_blank_rows(cells: pd.DataFrame, source_row: np.ndarray) -> tuple[pd.DataFrame, np.ndarray, int]:
    """Records whose every cell is blank carry no data (';;;' lines, empty sheet rows): the
    others, their rows, and how many were dropped (for a note).

    Each column is looked at only in the rows blank so far: in an export almost every row has
    its first cell filled, so the other columns are rarely read at all."""
    blank = np.ones(len(cells), dtype=bool)
    for column in cells.columns:
        rows = np.flatnonzero(blank)
        if not len(rows):
            break
        values = cells[column] if len(rows) == len(cells) else cells[column].iloc[rows]  # no copy at first
        blank[rows] = parsing.blank_text(values)
    if not blank.any():
        return cells, source_row, 0
    return cells.loc[~blank].reset_index(drop=True), source_row[~blank], int(blank.sum())


def _column_letter(index: int) -> str:
    """Spreadsheet letters of a 0-based column index: 0 -> A, 26 -> AA."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return letters


def _column_label(index: int, name: str = "") -> str:
    """'column 17 (Q) 'avbojt_orsak'': position, spreadsheet letter and header, for messages."""
    label = f"column {index + 1} ({_column_letter(index)})"
    return f"{label} '{name}'" if name else label


# --- columns ---------------------------------------------------------------------------------


def header_key(name: str) -> str:
    """Headers match ignoring case, accents, spaces and underscores: 'Födelse datum' ~ 'fodelse_datum'."""
    folded = unicodedata.normalize("NFKD", name.strip().lower())
    folded = "".join(ch for ch in folded if not unicodedata.combining(ch))
    return re.sub(r"[\s_\-]+", "_", folded)


def column_targets(header: list[str], table: Table, column_map: dict[str, str]) -> list[str | None]:
    """The canonical column each header cell gives (None: not a column of the table).

    study.yml `column_map` first; a default header that column_map maps another column of
    the file onto is not used itself.
    """
    by_key: dict[str, str] = {}
    for column in table.columns:
        by_key[header_key(column.header)] = column.name
        by_key.setdefault(header_key(column.name), column.name)
    mapped_sources = {header_key(source): target for source, target in column_map.items()}
    # a default header gives way only to a column of the file mapped onto it: a column_map
    # entry whose source this file lacks (an older export's name) leaves the default in use
    present = {header_key(name) for name in header if name}
    remapped = {header_key(target) for source, target in column_map.items() if header_key(source) in present}
    targets: list[str | None] = []
    for name in header:
        key = header_key(name)
        if not name:
            targets.append(None)
        elif key in mapped_sources:
            targets.append(by_key.get(header_key(mapped_sources[key])))
        else:
            targets.append(None if key in remapped else by_key.get(key))
    return targets


def map_columns(
    raw: RawExport, table: Table, column_map: dict[str, str], named: str
) -> tuple[pd.DataFrame, list[str], list[str]]:
    """Name the export's columns canonically; stop on a missing, doubled or nameless column.

    Returns the frame (source_row + every canonical column), the ignored headers and notes.
    """
    targets = column_targets(raw.header, table, column_map)
    _stop_if_a_column_is_taken(raw, table, column_map, targets, named)
    by_target: dict[str, list[int]] = {}
    for index, target in enumerate(targets):
        if target is not None:
            by_target.setdefault(target, []).append(index)
    for canonical, indexes in by_target.items():
        if len(indexes) > 1:
            first, second = indexes[:2]
            header = table.column(canonical).header
            same = raw.header[first] == raw.header[second]
            raise InputFileError(
                f"{named}: {_column_label(first, raw.header[first])} and "
                f"{_column_label(second, raw.header[second])} "
                + (f"have the same name, so both would be '{header}'" if same else f"both map to '{header}'")
                + f" ({canonical}); keep one, rename the other in the header row ({raw.unit} "
                f"{raw.header_row}) or map it elsewhere in study.yml column_map"
            )
    ignored = [name for name, target in zip(raw.header, targets, strict=True) if name and target is None]
    unnamed = _unnamed_columns(raw)
    missing = [c for c in table.required_columns if c.name not in by_target]
    if missing:
        raise InputFileError(_missing_column_message(named, table.name, missing, raw, ignored, unnamed))
    if table.identified_by and not any(name in by_target for name in table.identified_by):
        raise InputFileError(_missing_column_message(
            named, table.name, [table.column(name) for name in table.identified_by], raw, ignored,
            unnamed, any_of=True))
    if unnamed:
        index, rows, first = unnamed[0]
        raise InputFileError(
            f"{named}: {_column_label(index)} has no header but holds data in {rows} row(s), the first "
            f"on {raw.unit} {first}; give it a name in the header row ({raw.unit} {raw.header_row}), "
            "or delete the column if it is not needed"
            + (". If only some lines have it, those lines have an extra field" if raw.unit == "line" else "")
        )
    notes: list[str] = []
    empty = [i for i, name in enumerate(raw.header) if not name]
    if empty:
        notes.append(f"{named}: {len(empty)} empty column(s) without a header ignored "
                     f"({', '.join(_column_letter(i) for i in empty)})")
    doubled = sorted({name for name in ignored if ignored.count(name) > 1})
    if doubled:
        notes.append(f"{named}: several columns share the name(s) {doubled}; they are not used")
    notes += _unused_notes(raw, table, column_map, named, by_target, ignored)
    chosen = [column.name for column in table.columns if column.name in by_target]
    out = raw.cells[[by_target[name][0] for name in chosen]].set_axis(chosen, axis=1)
    out.insert(0, SOURCE_ROW, raw.source_row)
    for column in table.columns:  # optional columns absent from the export: all missing
        if column.name not in by_target:
            out[column.name] = pd.Series(pd.NA, index=out.index, dtype=pd.StringDtype())
    return out[[SOURCE_ROW, *(c.name for c in table.columns)]], ignored, notes


def _stop_if_a_column_is_taken(raw: RawExport, table: Table, column_map: dict[str, str],
                               targets: list[str | None], named: str) -> None:
    """Stop where study.yml's column_map maps a column of the file that is already another of
    the table's columns by its own header ('yrkesgrupp', the profession, mapped to dimension),
    and nothing else of the file gives that column: the column is lost from every row, and the
    file's own column of the target left unread (a review's collaboration tables were published
    with professions as dimensions, the run's exit 0)."""
    defaults = {header_key(column.header): column for column in table.columns}
    for index, (name, target) in enumerate(zip(raw.header, targets, strict=True)):
        own = defaults.get(header_key(name)) if name else None
        if own is None or target is None or target == own.name or own.name in targets:
            continue
        mapped = table.column(target)
        raise InputFileError(
            f"{named}: study.yml column_map reads {_column_label(index, name)} as '{mapped.header}' "
            f"({target}), but '{name}' is this table's own column '{own.header}' ({own.name}), which "
            f"no other column of the file then gives: it would be missing on every row"
            + (f", and the file's own '{mapped.header}' column would not be read" if any(
                header_key(h) == header_key(mapped.header) for h in raw.header) else "")
            + f". Correct the column_map entry for '{name}' under {table.name}, or remove it")


def _unused_notes(raw: RawExport, table: Table, column_map: dict[str, str], named: str,
                  by_target: dict[str, list[int]], ignored: list[str]) -> list[str]:
    """What the file has that is not read, and what the table could have that the file lacks:
    a renamed optional column (an export's `utflyttad` become `utflyttningsdatum`) is otherwise
    missing for every row without a word, and the numbers change with it."""
    notes = []
    present = {header_key(name) for name in raw.header if name}
    stale = [source for source in column_map if header_key(source) not in present]
    if stale:
        notes.append(f"{named}: study.yml column_map names {', '.join(repr(s) for s in stale)}, which "
                     f"the file does not have; the file's own headers are read instead")
    identified = any(name in by_target for name in table.identified_by)  # one of them is enough
    absent = [column for column in table.columns if column.name not in by_target
              and not (identified and column.name in table.identified_by)]
    likely_of = {column.name: _likely_header(column.header, ignored) for column in absent}
    for column in absent:
        if (likely := likely_of[column.name]) is not None:
            notes.append(
                f"{named}: the optional column '{column.header}' ({column.description or column.name}) is "
                f"not in the file, so it is missing on every row, and the column '{likely}' is not read; "
                f"if it is that column, add to study.yml: column_map: {{{table.name}: "
                f"{{{yaml_quoted(likely)}: {column.header}}}}}")
    unexplained = [column for column in absent if likely_of[column.name] is None]
    if unexplained:
        notes.append(f"{named}: optional column(s) not in the file, missing on every row: "
                     + ", ".join(f"'{c.header}' ({c.description or c.name})" for c in unexplained))
    unread = [name for name in dict.fromkeys(ignored) if name not in likely_of.values()]
    if unread:
        notes.append(f"{named}: column(s) not read (not part of the {table.name} export): "
                     + ", ".join(repr(name) for name in unread))
    return notes


def _unnamed_columns(raw: RawExport) -> list[tuple[int, int, int]]:
    """Columns without a header that hold data: (index, rows holding data, first row)."""
    found = []
    for index, name in enumerate(raw.header):
        if name:
            continue
        filled = ~parsing.blank_text(raw.cells[index])
        if filled.any():
            found.append((index, int(filled.sum()), int(raw.source_row[np.argmax(filled)])))
    return found


def _missing_column_message(named: str, table: str, missing: list[Column], raw: RawExport,
                            ignored: list[str], unnamed: list[tuple[int, int, int]], *,
                            any_of: bool = False) -> str:
    lines = [
        f"{named}: {'one of the columns' if any_of else 'required column(s)'} missing: "
        + (" or " if any_of else ", ").join(f"'{c.header}' ({c.description or c.name})" for c in missing),
        f"  columns in the file ({raw.unit} {raw.header_row}): {[name for name in raw.header if name]}",
    ]
    for column in missing:
        source = _likely_header(column.header, ignored) or "<header in your file>"
        lines.append(
            f"  fix: if '{column.header}' has another name in this export, add to study.yml:"
            f" column_map: {{{table}: {{{yaml_quoted(source)}: {column.header}}}}}"
        )
    for index, _, first in unnamed[:3]:
        lines.append(f"  {_column_label(index)} has no header but holds data (from {raw.unit} {first}): "
                     "if it is a missing column, write its name in the header row")
    if _holds_values(raw.header):
        expected = ", ".join(column.header for column in TABLES[table].columns) if table in TABLES else ""
        lines.append(f"  {raw.unit} {raw.header_row} holds values (a date or a personnummer), not column "
                     f"names: the header row seems to be missing; add it as the first {raw.unit}"
                     + (f" (the columns: {expected})" if expected else ""))
    elif not raw.header_found:
        lines.append(
            f"  no {raw.unit} among the first {HEADER_SEARCH_ROWS} holds every required column; if the "
            f"header row is further down (below title rows), set header_row: N under inputs.{table} "
            "in study.yml"
        )
    return "\n".join(lines)


# a cell of a header row that is a value: a personnummer or a date
_VALUE_CELL = re.compile(r"(?:[0-9]{6}|[0-9]{8})[-+ ]?[0-9]{4}(?:\.0)?")


def _holds_values(header: list[str]) -> bool:
    """Whether a header row holds a personnummer or a date among its cells: a data row read as
    the header, when an export came without one."""
    cells = pd.Series([cell.strip() for cell in header if cell and cell.strip()], dtype="string")
    if cells.empty:
        return False
    return bool(cells.str.fullmatch(_VALUE_CELL).any() or not parsing.parse_dates(cells)[1].all())


def _likely_header(wanted: str, found: list[str]) -> str | None:
    """The export header most likely meant: one containing the wanted name, else a close one."""
    key = header_key(wanted)
    containing = [h for h in found if key in header_key(h)]
    if containing:
        return containing[0]
    keys = {header_key(h): h for h in found}
    close = difflib.get_close_matches(key, list(keys), n=1, cutoff=0.5)
    return keys[close[0]] if close else None


# --- values ----------------------------------------------------------------------------------

_REQUIRED_REASON = {"date": "date_unparseable", "category": "category_unknown"}


def parse_table(
    frame: pd.DataFrame, table: Table, source_file: str, labels: Mapping[str, str] | None = None,
    value_map: Mapping[str, Mapping[str, str]] | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Parse each column by its kind; required failures reject the row, optional ones are issues.

    A row is rejected for the first required column that fails (its reason, column and raw
    value kept in plain arrays for the rows each column rejects: masking Series over millions
    of rows costs more than parsing, and arrays over every row were 0.3 GB at 12M visits).

    `frame`'s text columns are taken out of it as they are parsed (those that identify a row
    when it is checked), and the rows kept are taken a column at a time: a national export of
    visits is a gigabyte of text, and holding it beside its parsed columns, and those twice over
    while the rejected rows were dropped, was most of the clean stage's peak memory.
    """
    parsed = pd.DataFrame({SOURCE_ROW: frame[SOURCE_ROW].to_numpy()}, index=frame.index)
    rejected = np.zeros(len(frame), dtype=bool)
    reject_parts: list[tuple[np.ndarray, np.ndarray, str, np.ndarray]] = []  # (rows, reasons, column, values)
    issue_parts = []
    for column in table.columns:
        raw = frame[column.name] if column.name in table.identified_by else frame.pop(column.name)
        spellings = (value_map or {}).get(column.name)
        values, failed = parse_column(raw, column, spellings)
        if spellings:
            issue_parts.append(_read_by_value_map(raw, column, values, table.name, source_file,
                                                  parsed[SOURCE_ROW]))
        if column.kind == "date" and failed.any():
            _stop_if_month_first(raw, (labels or {}).get(column.name, f"column '{column.name}'"),
                                 parsed[SOURCE_ROW], source_file)
        if column.kind == "category" and failed.any():
            _stop_if_garbled(raw, failed, column, (labels or {}).get(column.name, f"column '{column.name}'"),
                             parsed[SOURCE_ROW], source_file)
        parsed[column.name] = values
        if column.required and column.kind != "personnummer":  # personnummer: checked at clean
            failed = failed.to_numpy(dtype=bool)
            # a parsed value is missing exactly where its text is blank or failed (parsing.py)
            bad = np.flatnonzero((failed | values.isna().to_numpy(dtype=bool)) & ~rejected)
            reasons = np.where(failed[bad], _REQUIRED_REASON.get(column.kind, "value_unparseable"),
                               "date_missing" if column.kind == "date" else "value_missing")
            reject_parts.append((bad, reasons, column.name,
                                 parsing.as_text(raw.iloc[bad]).fillna("").to_numpy()))
            rejected[bad] = True
        elif failed.any():
            issue_parts.append(
                pd.DataFrame(
                    {
                        "table": table.name,
                        "source_file": source_file,
                        "source_row": frame.loc[failed, SOURCE_ROW].to_numpy(),
                        "column": column.name,
                        "value": parsing.as_text(raw[failed]).to_numpy(),
                        "issue": f"{column.kind}_unparseable_set_missing",
                    }
                )
            )
    if table.identified_by:  # a row needs one of its identifying columns (a personnummer or a family id)
        unidentified = ~rejected
        for name in table.identified_by:
            unidentified &= parsing.blank_text(frame[name])
        unidentified = np.flatnonzero(unidentified)
        reject_parts.append((unidentified, np.full(len(unidentified), "id_missing"),
                             " / ".join(table.identified_by), np.full(len(unidentified), "")))
        rejected[unidentified] = True
        for name in table.identified_by:
            del frame[name]
    rows, reasons, columns, values = _in_row_order(reject_parts)
    rejects = pd.DataFrame(
        {
            "table": table.name,
            "source_file": source_file,
            "source_row": parsed[SOURCE_ROW].to_numpy()[rows],
            "reason": reasons,
            "column": columns,
            "value": values,
        },
        columns=REJECT_COLUMNS,
    )
    issues = pd.concat(issue_parts, ignore_index=True) if issue_parts else pd.DataFrame(columns=ISSUE_COLUMNS)
    if len(rows):
        kept_rows = np.flatnonzero(~rejected)
        parsed = pd.DataFrame({name: parsed.pop(name).take(kept_rows).reset_index(drop=True)
                               for name in list(parsed.columns)}, copy=False)  # each taken is new
    return parsed.reset_index(drop=True), rejects, issues


def _read_by_value_map(raw: pd.Series, column: Column, values: pd.Series, table: str, source_file: str,
                       lines: pd.Series) -> pd.DataFrame:
    """The rows that only the study's `value_map` read, a value issue each ("read as not_done
    (value_map)"): the published value issues and `hembesok validate` say which values were
    read by the study's own decision, and how many."""
    unread_values, unread = parse_column(raw, column)
    if column.kind == "text":  # a name read as the study's meaning: its text changed
        unread = unread | unread_values.ne(values).fillna(False)
    rows = np.flatnonzero(unread.to_numpy(dtype=bool) & values.notna().to_numpy(dtype=bool))
    read_as = [str(value).lower() for value in values.iloc[rows]]  # a code, a name, or true / false
    return pd.DataFrame({"table": table, "source_file": source_file, "source_row": lines.to_numpy()[rows],
                         "column": column.name, "value": parsing.as_text(raw.iloc[rows]).to_numpy(),
                         "issue": [f"read as {code} (value_map)" for code in read_as]}, columns=ISSUE_COLUMNS)


def _stop_if_month_first(raw: pd.Series, column: str, lines: pd.Series, source_file: str) -> None:
    """Stop the file when its date column (`column`: as a message names it) is written month
    first (`parsing.month_first`): read day first, its days after the 12th would be rejected and
    its others read with day and month swapped."""
    found = parsing.month_first(raw)
    if found is None:
        return
    day, month = re.split(r"[/.-]", found.value, maxsplit=2)[:2]
    raise InputFileError(
        f"{source_file}, {column}, line {lines.iloc[found.row]}: the dates are written month "
        f"first ({found.value!r} has no month {int(month)}, but is day {int(month)} of month {int(day)}), "
        f"and no date of the column is written day first. hembesok reads a date such as 04/03/2021 "
        f"day first (4 March), as Swedish systems write it, so {found.swapped:,} other dates of this "
        f"column would be read with day and month swapped. Export the dates as YYYY-MM-DD and run "
        f"again; if this line is a typing error in a column written day first, correct it.")


def _stop_if_garbled(raw: pd.Series, failed: pd.Series, column: Column, label: str, lines: pd.Series,
                     source_file: str) -> None:
    """Stop the file when a category it does not know is a known one garbled (`double_encoded`:
    'Ã¶vervÃ¤gande ammad'): its UTF-8 text was read as Windows-1252, so every å, ä and ö of the
    file is garbled, and no value_map mends the rest (a review's export lost 9 % of its rows as
    unknown categories, with a value_map of the garbled text offered as the fix)."""
    unknown = raw[failed.to_numpy(dtype=bool)]
    for text in parsing.as_text(unknown).dropna().unique()[:50]:
        repaired = parsing.double_encoded(str(text))
        if repaired is None:
            continue
        values, bad = parse_column(pd.Series([repaired], dtype="string"), column, None)
        if bool(bad.iloc[0]) or pd.isna(values.iloc[0]):
            continue
        line = lines.iloc[int(np.flatnonzero(parsing.as_text(raw).eq(text).fillna(False).to_numpy())[0])]
        raise garbled_file(f"{source_file}, {label}, line {line}: '{text}'", repaired)


def garbled_file(where: str, repaired: str) -> InputFileError:
    """The stop of a file whose text is garbled (`where` names the value, `repaired` what it was):
    said alike for a category (ingest) and a follow-up export's area (clean)."""
    return InputFileError(
        f"{where} is '{repaired}' garbled: the file's UTF-8 text was read as Windows-1252 (by an "
        "encoding: given for it in study.yml, or by a tool that saved it again on the way), so every "
        "å, ä and ö of the file is garbled. Remove or correct the file's encoding: in study.yml, or "
        "export it again from the source system as 'CSV UTF-8'.")


def _in_row_order(parts: list[tuple[np.ndarray, np.ndarray, str, np.ndarray]]
                  ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The rejected rows of each check (rows, reasons, column, values; no row in two checks) as
    rows in order with their reasons, columns and values (object arrays, one entry a row)."""
    if not parts:
        return np.zeros(0, dtype=np.intp), *(np.empty(0, dtype=object) for _ in range(3))
    rows = np.concatenate([part[0] for part in parts])
    order = np.argsort(rows, kind="stable")
    reasons = np.concatenate([part[1].astype(object) for part in parts])
    columns = np.concatenate([np.full(len(part[0]), part[2], dtype=object) for part in parts])
    values = np.concatenate([part[3].astype(object) for part in parts])
    return rows[order], reasons[order], columns[order], values[order]


# The kinds whose parsers work on a column's distinct texts (`parsing.factorize_text`), which
# take a coded column as it is; a column of another kind is made text first.
PARSED_FROM_DISTINCT_TEXTS = ("date", "integer", "number", "boolean", "category", "professions")


def parse_column(raw: pd.Series, column: Column, spellings: Mapping[str, str] | None = None
                 ) -> tuple[pd.Series, pd.Series]:
    """Parse one raw text column by its kind; returns values and a failed mask. A category or
    yes/no column reads the study's own `spellings` (spelling -> code) too."""
    if column.kind not in PARSED_FROM_DISTINCT_TEXTS:  # kept as text: its rows' text made
        raw = parsing.as_text(raw)
    if column.kind == "personnummer":
        return raw.str.strip(), pd.Series(False, index=raw.index)
    if column.kind == "identifier":  # pseudonymised at clean; spacing is not part of an id
        text = raw.str.strip().str.replace(r"\s+", " ", regex=True)
        return text.mask(text.eq(""), pd.NA), pd.Series(False, index=raw.index)
    if column.kind == "date":
        return parsing.parse_dates(raw)
    if column.kind == "integer":
        return parsing.parse_integers(raw)
    if column.kind == "number":
        return parsing.parse_numbers(raw, column.unit)
    if column.kind == "boolean":
        return parsing.parse_booleans(raw, column_variants(column, spellings))
    if column.kind == "category":
        return parsing.parse_categories(raw, column_variants(column, spellings))
    if column.kind == "professions":
        return parsing.parse_professions(raw)
    text = raw.str.strip()
    if spellings:  # a name a study's value_map gives (a vaccine's: pipeline.vaccines reads it)
        labels = parsing.normalise_labels(pd.Series(list(spellings), dtype=object))
        meant = dict(zip(labels, spellings.values(), strict=True))
        codes, distinct = parsing.factorize_text(text)  # each distinct name looked up once
        read = parsing.normalise_labels(distinct).map(meant).to_numpy(dtype=object)
        found = codes >= 0
        found[found] = pd.notna(read[codes[found]])
        text = text.copy()
        text.iloc[np.flatnonzero(found)] = read[codes[found]]
    return text.mask(text.eq(""), pd.NA), pd.Series(False, index=raw.index)
