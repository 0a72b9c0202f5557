"""Stage 1, ingest: read every raw export, map its columns, parse its types.

Format, delimiter and encoding are detected; headers are mapped onto the canonical English
columns (study.yml `column_map` first, then the default Swedish headers of SPEC §4). A file
that cannot be used (unreadable, empty, header only, a required column missing) stops the
run with an InputFileError before anything is written. A row whose required value cannot be
parsed becomes a reject; an optional value that cannot be parsed is set missing and
recorded as a value issue. Nothing is written by this stage: its output, which still holds
personnummer, goes straight to clean in memory.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import difflib
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv

from pipeline import parsing
from pipeline.config import InputFile, Study
from pipeline.errors import InputFileError
from pipeline.schema import CATEGORY_VARIANTS, TABLE_ORDER, TABLES, Column, Table

SOURCE_ROW = "source_row"
REJECT_COLUMNS = ["table", "source_file", "source_row", "reason", "column", "value"]
ISSUE_COLUMNS = ["table", "source_file", "source_row", "column", "value", "issue"]
SAMPLE_BYTES = 1 << 20


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


def ingest(study: Study) -> dict[str, IngestedTable]:
    """Read and type every input table of a study; stop on the first unusable file."""
    return {
        table: ingest_table(
            study.input_path(table), TABLES[table], study.inputs[table], study.column_map.get(table, {})
        )
        for table in TABLE_ORDER
    }


def ingest_table(path: Path, table: Table, spec: InputFile, column_map: dict[str, str]) -> IngestedTable:
    """Read one export, map its columns and parse its values."""
    raw, encoding, delimiter = read_export(path, spec)
    named = f"{path.name} ({table.name})"
    if raw.shape[1] == 0:
        raise InputFileError(f"{named}: the file is empty; export the table again with its header row")
    if len(raw) == 0:
        raise InputFileError(
            f"{named}: the file has a header row but no data rows; "
            "check that the export finished, or remove the table from study.yml "
            "if it is truly empty"
        )
    renamed, ignored = map_columns(raw, table, column_map, named)
    frame, rejects, issues = parse_table(renamed, table, path.name)
    return IngestedTable(
        table.name, path.name, len(raw), frame, rejects, issues, tuple(ignored), encoding, delimiter
    )


# --- reading ---------------------------------------------------------------------------------


def read_export(path: Path, spec: InputFile) -> tuple[pd.DataFrame, str, str]:
    """Read a CSV or XLSX export as text columns with a 1-based spreadsheet row number.

    Row numbers count the header as row 1, so they match what a user sees when opening the
    file in Excel. Fully blank rows carry no data and are skipped.
    """
    if not path.is_file():
        raise InputFileError(f"{path}: file not found")
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        return _read_xlsx(path, spec.sheet), "xlsx", ""
    if path.suffix.lower() == ".xls":
        raise InputFileError(
            f"{path.name}: the old .xls format is not supported; open it in Excel "
            "and save it as .xlsx or as CSV (UTF-8)"
        )
    return _read_csv(path, spec)


def detect_encoding(path: Path) -> str:
    """utf-8 / utf-8-sig / utf-16 / cp1252, from the BOM and a decode of the first megabyte."""
    with path.open("rb") as handle:
        sample = handle.read(SAMPLE_BYTES)
    if sample.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if sample.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    if b"\x00" in sample:
        raise InputFileError(
            f"{path.name}: unreadable encoding — the file holds NUL bytes and looks "
            "binary, not like a CSV text export; export the table again as CSV "
            "(UTF-8) or XLSX"
        )
    try:
        sample.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError as error:
        if error.start >= len(sample) - 4:  # a character cut at the sample's end
            return "utf-8"
        utf8_error = error
    try:
        text = sample.decode("cp1252")
    except UnicodeDecodeError as error:
        line = sample[: error.start].count(b"\n") + 1
        raise InputFileError(
            f"{path.name}: unreadable encoding — byte 0x{sample[error.start]:02x} at line {line} is "
            "neither UTF-8 nor Windows-1252 (cp1252); save the export as 'CSV UTF-8' in Excel"
        ) from None
    if re.search("Ã[\u0080-\u00bfÂ-ÿ¤¥¶]", text):
        line = sample[: utf8_error.start].count(b"\n") + 1
        raise InputFileError(
            f"{path.name}: unreadable encoding — mostly UTF-8 but with invalid bytes at line {line}; "
            "the file mixes encodings. Export it again as 'CSV UTF-8'"
        )
    return "cp1252"


def detect_delimiter(header_line: str) -> str:
    """The delimiter giving the most fields in the header line (`;` wins ties: Swedish Excel)."""
    counts = {delimiter: header_line.count(delimiter) for delimiter in (";", ",", "\t")}
    best = max(counts.values())
    if best == 0:
        return ","
    return next(d for d in (";", "\t", ",") if counts[d] == best)


def _read_csv(path: Path, spec: InputFile) -> tuple[pd.DataFrame, str, str]:
    if path.stat().st_size == 0:
        raise InputFileError(f"{path.name}: the file is empty (0 bytes); export the table again")
    encoding = spec.encoding or detect_encoding(path)
    with path.open("r", encoding=encoding, errors="replace", newline="") as handle:
        header_line = handle.readline()
    if not header_line.strip():
        raise InputFileError(f"{path.name}: the first line is blank; the header row must come first")
    delimiter = spec.delimiter or detect_delimiter(header_line)
    names = [_clean_header(n) for n in next(csv.reader([header_line], delimiter=delimiter))]
    read_options = pacsv.ReadOptions(
        encoding="utf8" if encoding in ("utf-8", "utf-8-sig") else encoding, block_size=1 << 24
    )
    parse_options = pacsv.ParseOptions(delimiter=delimiter, newlines_in_values=True)
    convert = pacsv.ConvertOptions(strings_can_be_null=False, quoted_strings_can_be_null=False)
    try:
        arrow = pacsv.read_csv(
            path, read_options=read_options, parse_options=parse_options, convert_options=convert
        )
        arrow = arrow.rename_columns([_clean_header(n) for n in arrow.column_names])
        arrow = arrow.cast(pa.schema([pa.field(n, pa.string()) for n in arrow.column_names]))
    except (pa.ArrowInvalid, UnicodeDecodeError) as error:
        message = str(error).splitlines()[0]
        if "UTF8" in message or "utf-8" in message or "decode" in message.lower():
            raise InputFileError(
                f"{path.name}: unreadable encoding ({encoding}): {message}; save the export as 'CSV UTF-8'"
            ) from None
        raise InputFileError(
            f"{path.name}: not a readable CSV with delimiter {delimiter!r}: {message}. Check that "
            "every row has as many fields as the header; set `delimiter:` for this input in "
            "study.yml if the detected one is wrong"
        ) from None
    if len(names) != arrow.num_columns:
        raise InputFileError(
            f"{path.name}: the header has {len(names)} fields but the rows "
            f"{arrow.num_columns}; check the delimiter"
        )
    frame = arrow.to_pandas(types_mapper={pa.string(): pd.StringDtype()}.get)
    return _number_rows(frame), encoding, delimiter


def _read_xlsx(path: Path, sheet: str | None) -> pd.DataFrame:
    import openpyxl  # imported here: only XLSX inputs need it

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
        rows = list((workbook[sheet] if sheet else workbook.worksheets[0]).iter_rows(values_only=True))
    finally:
        workbook.close()
    if not rows or all(cell is None for cell in rows[0]):
        return pd.DataFrame()
    header = [_clean_header("" if cell is None else str(cell)) for cell in rows[0]]
    width = len(header)
    body = [[_cell_text(cell) for cell in (list(row) + [None] * width)[:width]] for row in rows[1:]]
    frame = pd.DataFrame(body, columns=header, dtype=pd.StringDtype())
    return _number_rows(frame)


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


def _clean_header(name: str) -> str:
    return name.replace("\ufeff", "").strip()


def _number_rows(frame: pd.DataFrame) -> pd.DataFrame:
    """Add the spreadsheet row number (header = 1) and drop fully blank rows."""
    frame = frame.copy()
    frame[SOURCE_ROW] = range(2, len(frame) + 2)
    blank = np.ones(len(frame), dtype=bool)
    for name in frame.columns.drop(SOURCE_ROW):
        blank &= frame[name].fillna("").str.strip().eq("").to_numpy(dtype=bool)
    frame = frame.loc[~blank]
    return frame.reset_index(drop=True)


# --- columns ---------------------------------------------------------------------------------


def header_key(name: str) -> str:
    """Headers match ignoring case, accents, spaces and underscores: 'Födelse datum' ~ 'fodelse_datum'."""
    folded = unicodedata.normalize("NFKD", name.strip().lower())
    folded = "".join(ch for ch in folded if not unicodedata.combining(ch))
    return re.sub(r"[\s_\-]+", "_", folded)


def map_columns(
    frame: pd.DataFrame, table: Table, column_map: dict[str, str], named: str
) -> tuple[pd.DataFrame, list[str]]:
    """Rename export headers to canonical columns; fail on a missing required column."""
    by_key: dict[str, str] = {}
    for column in table.columns:
        by_key[header_key(column.header)] = column.name
        by_key.setdefault(header_key(column.name), column.name)
    mapped_sources = {header_key(source): target for source, target in column_map.items()}
    renames: dict[str, str] = {}
    ignored: list[str] = []
    for header in frame.columns:
        if header == SOURCE_ROW:
            continue
        key = header_key(header)
        target = mapped_sources.get(key)
        canonical = by_key.get(header_key(target)) if target else by_key.get(key)
        if target is None and key in {header_key(t) for t in column_map.values()}:
            canonical = None  # the default header was re-mapped from another column
        if canonical is None:
            ignored.append(header)
        elif canonical in renames.values():
            first = next(h for h, c in renames.items() if c == canonical)
            raise InputFileError(
                f"{named}: columns '{first}' and '{header}' both map to '{canonical}'; "
                "keep one, or map the other elsewhere in study.yml column_map"
            )
        else:
            renames[header] = canonical
    missing = [c for c in table.required_columns if c.name not in renames.values()]
    if missing:
        raise InputFileError(_missing_column_message(named, table.name, missing, ignored))
    out = frame.rename(columns=renames)[[SOURCE_ROW, *renames.values()]]
    for column in table.columns:  # optional columns absent from the export: all missing
        if column.name not in out.columns:
            out[column.name] = pd.Series(pd.NA, index=out.index, dtype=pd.StringDtype())
    return out[[SOURCE_ROW, *(c.name for c in table.columns)]], ignored


def _missing_column_message(named: str, table: str, missing: list[Column], found: list[str]) -> str:
    lines = [
        f"{named}: required column(s) missing: "
        + ", ".join(f"'{c.header}' ({c.description or c.name})" for c in missing),
        f"  columns in the file: {found}",
    ]
    for column in missing:
        source = _likely_header(column.header, found) or "<header in your file>"
        lines.append(
            f"  fix: if '{column.header}' has another name in this export, add to study.yml:"
            f" column_map: {{{table}: {{'{source}': {column.header}}}}}"
        )
    return "\n".join(lines)


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
    frame: pd.DataFrame, table: Table, source_file: str
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Parse each column by its kind; required failures reject the row, optional ones are issues."""
    parsed = pd.DataFrame({SOURCE_ROW: frame[SOURCE_ROW].to_numpy()}, index=frame.index)
    reject_reason = pd.Series(pd.NA, index=frame.index, dtype=pd.StringDtype())
    reject_column = reject_reason.copy()
    reject_value = reject_reason.copy()
    issue_parts = []
    for column in table.columns:
        raw = frame[column.name]
        values, failed = parse_column(raw, column)
        blank = raw.isna() | raw.str.strip().eq("")
        parsed[column.name] = values
        if column.required and column.kind != "personnummer":  # personnummer: checked at clean
            bad = (failed | blank) & reject_reason.isna()
            missing_reason = "date_missing" if column.kind == "date" else "value_missing"
            reject_reason = reject_reason.mask(
                bad & failed, _REQUIRED_REASON.get(column.kind, "value_unparseable")
            )
            reject_reason = reject_reason.mask(bad & ~failed, missing_reason)
            reject_column = reject_column.mask(bad, column.name)
            reject_value = reject_value.mask(bad, raw.fillna(""))
        elif failed.any():
            issue_parts.append(
                pd.DataFrame(
                    {
                        "table": table.name,
                        "source_file": source_file,
                        "source_row": frame.loc[failed, SOURCE_ROW].to_numpy(),
                        "column": column.name,
                        "value": raw[failed].to_numpy(),
                        "issue": f"{column.kind}_unparseable_set_missing",
                    }
                )
            )
    rejected = reject_reason.notna()
    rejects = pd.DataFrame(
        {
            "table": table.name,
            "source_file": source_file,
            "source_row": parsed.loc[rejected, SOURCE_ROW].to_numpy(),
            "reason": reject_reason[rejected].to_numpy(),
            "column": reject_column[rejected].to_numpy(),
            "value": reject_value[rejected].to_numpy(),
        },
        columns=REJECT_COLUMNS,
    )
    issues = pd.concat(issue_parts, ignore_index=True) if issue_parts else pd.DataFrame(columns=ISSUE_COLUMNS)
    return parsed.loc[~rejected].reset_index(drop=True), rejects, issues


def parse_column(raw: pd.Series, column: Column) -> tuple[pd.Series, pd.Series]:
    """Parse one raw text column by its kind; returns values and a failed mask."""
    if column.kind == "personnummer":
        return raw.str.strip(), pd.Series(False, index=raw.index)
    if column.kind == "date":
        return parsing.parse_dates(raw)
    if column.kind == "integer":
        return parsing.parse_integers(raw)
    if column.kind == "number":
        return parsing.parse_numbers(raw)
    if column.kind == "boolean":
        return parsing.parse_booleans(raw)
    if column.kind == "category":
        return parsing.parse_categories(raw, CATEGORY_VARIANTS[column.vocabulary or ""])
    if column.kind == "professions":
        return parsing.parse_professions(raw)
    text = raw.str.strip()
    return text.mask(text.eq(""), pd.NA), pd.Series(False, index=raw.index)
