"""The output scan for personnummer (SPEC §10): text files, XLSX workbooks and PDFs."""

from __future__ import annotations

import html
import re
import zipfile
import zlib
from collections.abc import Iterable
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from pipeline import privacy, store

# Files scanned for personnummer: as text, as workbook cells, or not at all (binary data
# that pandas/pyarrow or matplotlib wrote from already scanned frames). Anything else is
# read as text, so that an unforeseen output is never skipped.
TEXT_SUFFIXES = frozenset({".csv", ".json", ".log", ".html", ".txt", ".md", ".ipynb"})
XLSX_SUFFIXES = frozenset({".xlsx"})
SKIPPED_SUFFIXES = frozenset({".png"})
PARQUET_SUFFIXES = frozenset({".parquet"})
PDF_SUFFIXES = frozenset({".pdf"})
# A PDF's streams with the dictionary before each, its literal strings (one level of nested
# parentheses) and its hex strings; PDF text strings are PDFDocEncoding or UTF-16BE with a BOM.
_PDF_STREAM = re.compile(rb"\bobj\s*(<<.*?)stream\r?\n(.*?)endstream", re.S)
_PDF_BINARY_STREAM = re.compile(rb"/Subtype\s*/Image|/FontFile|/Length[123]\b")  # images and fonts
_PDF_LITERAL = re.compile(rb"\((?:\\.|[^\\()]|\((?:\\.|[^\\()])*\))*\)", re.S)
_PDF_ESCAPE = re.compile(rb"\\([0-7]{1,3}|\r\n|.)", re.S)
_PDF_ESCAPES = {b"n": b"\n", b"r": b"\r", b"t": b"\t", b"b": b"\b", b"f": b"\f"}
# hex strings whose digits start with FEFF, UTF-16BE's byte order mark (a text string's); the
# others, each run of glyphs Chromium draws, are not even matched (65,000 of a report's PDF)
_PDF_UTF16_HEX = re.compile(rb"<(\s*[Ff]\s*[Ee]\s*[Ff]\s*[Ff][0-9A-Fa-f\s]*)>")
_XML_TEXT = re.compile(r">([^<]+)<")  # the text between two tags
_XLSX_SHEET_NAME = re.compile(r"<sheet\b[^>]*?\bname=\"([^\"]*)\"")


def scan_file_for_personnummer(path: Path) -> list[str]:
    """Masked personnummer-like strings in an output file (SPEC §10).

    Text files (SVG too) are scanned as text; an XLSX workbook cell by cell (and its sheet
    names); a PDF as far as it can be read without a PDF library (see `_pdf_texts`);
    a parquet file by the distinct values of its text columns; PNG is skipped; any other
    file is scanned as text.

    What a scan found is kept for the file's bytes (their SHA-256, with the file's suffix):
    the same bytes scanned again, as the run's last scan does for the reports the report
    stage scanned as it wrote them and the clean tables scanned as they were written
    (`scan_ahead`, in this process or a forked one: `remember`), are not read through a
    second time (hashing a million children's clean tables takes a tenth of their scan).
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix in SKIPPED_SUFFIXES:
        return []
    key = (suffix, store.file_sha256(path))
    if key not in _SCANNED:
        _SCANNED[key] = _scanned(path, suffix)
    return list(_SCANNED[key])


def scan_ahead(paths: Iterable[Path]) -> None:
    """Scan these files now (their findings kept for the run's own scan of every output):
    while a report stage's notebooks still run, or as the clean stage writes each table,
    rather than all at the stage's end."""
    for path in paths:
        scan_file_for_personnummer(path)


_SCANNED: dict[tuple[str, str], list[str]] = {}  # (suffix, SHA-256 of the bytes) -> findings


def scanned_count() -> int:
    """How many files' bytes have been scanned in this process (a mark for `findings_since`)."""
    return len(_SCANNED)


def findings_since(mark: int) -> dict[tuple[str, str], list[str]]:
    """What was scanned after the first `mark` scans (`scanned_count()` then): what a forked
    process scanned, for the run that forked it to `remember`."""
    return dict(list(_SCANNED.items())[mark:])


def remember(findings: dict[tuple[str, str], list[str]]) -> None:
    """Another process's scans (`findings_since`), kept as if made here: the same bytes are
    not scanned again."""
    _SCANNED.update(findings)


def _scanned(path: Path, suffix: str) -> list[str]:
    if suffix in PARQUET_SUFFIXES:
        return privacy.find_personnummer_like("\n".join(_parquet_texts(path)))
    if suffix in XLSX_SUFFIXES:
        return privacy.find_personnummer_like("\n".join(_xlsx_texts(path)))
    if suffix in PDF_SUFFIXES:
        return privacy.find_personnummer_like("\n".join(_pdf_texts(path)))
    text = path.read_text(encoding="utf-8", errors="replace")
    return privacy.find_personnummer_like(_FIGURE_ID.sub("", _EMBEDDED_IMAGE.sub("", text)))


# An image embedded in a page as base64 (a report's figures): skipped, as a PNG file is. Its
# letters encode pixels, not text, and a run of them such as "+8112189876/" would read as a
# personnummer and stop the run; they are nine tenths of a report page (the scan of the
# demo's 22 MB of pages: 0.35 s of regular expression, 0.1 s without them).
_EMBEDDED_IMAGE = re.compile(r"(?<=data:image/png;base64,)[A-Za-z0-9+/=]+")
# An SVG figure's clip paths and markers are named by matplotlib with a letter and 10
# hexadecimal digits of a hash of the figure ('id="p3712104813"', 'url(#p3712104813)',
# 'href="#m0227130170"'): all digits in some figures, and then a letter glued to ten digits that
# may read as a personnummer, the same on every run of the study. Skipped where they are named
# or referred to; they hold nothing of anyone.
_FIGURE_ID = re.compile(r'(?<=id=")[a-z][0-9a-f]{10}(?=")|(?<=#)[a-z][0-9a-f]{10}(?=[")])')


def _parquet_texts(path: Path) -> list[str]:
    """The distinct values of every text column of a parquet file that could hold a
    personnummer (six digits in a row, `_MAY_HOLD`), in order of appearance, and its column
    names.

    Only the text columns are read (36 of the cohort table's 116), as dictionaries: a
    column's distinct values are among its dictionaries' (a pseudonym column of millions of
    rows is read as the distinct texts of each row group and an index per row, not as
    millions of texts). One column and one row group at a time, so that a million children's
    13M clean visits are not held again beside the clean stage's work on the next export (the
    scan runs while it goes on); each row group's dictionaries are searched in arrow and only
    the texts that could hold a number are kept, made distinct at the end."""
    schema = pq.read_schema(path)
    texts = list(schema.names)
    names = [field.name for field in schema if _is_text(field.type)]
    with pq.ParquetFile(path, read_dictionary=names) as file:
        for name in names:
            found = []
            for group in range(file.num_row_groups):
                column = file.read_row_group(group, columns=[name]).column(0)
                for chunk in column.chunks:
                    values = chunk.dictionary if pa.types.is_dictionary(chunk.type) else chunk
                    found.append(values.filter(pc.match_substring_regex(values, _MAY_HOLD)))
            if found:
                texts += pc.unique(pa.concat_arrays(found)).to_pylist()
    texts += _whole_numbers_of_ten_digits(path, [field.name for field in schema if _is_number(field.type)])
    return texts


def _whole_numbers_of_ten_digits(path: Path, names: list[str]) -> list[str]:
    """The distinct whole numbers of 10 to 12 digits in number columns, written out: a
    personnummer typed into a number column and kept as the number 202203200015 (the clean
    stage sets them missing; this is the check that none was missed). No count, age in days or
    row number of a study comes near 10 digits: a row group whose statistics bound the column
    below 10 digits is not read, and the other values are filtered in arrow, so that almost
    none become Python strings."""
    found = []
    with pq.ParquetFile(path) as file:
        positions = {file.schema_arrow.names[i]: i for i in range(len(file.schema_arrow.names))}
        for name in names:
            for group in range(file.num_row_groups):
                if _below_ten_digits(file.metadata.row_group(group), positions[name]):
                    continue
                for chunk in file.read_row_group(group, columns=[name]).column(0).chunks:
                    # (unsafe: an integer beyond 2^53, a typo of many digits, is only compared)
                    size = pc.abs(chunk.cast(pa.float64(), safe=False))
                    kept = size.filter(pc.and_(pc.and_(pc.greater_equal(size, 1e8), pc.less(size, 1e12)),
                                               pc.equal(size, pc.floor(size))))
                    if len(kept):  # 9 digits: a 10-digit number of a birth in 2000-2009, its 0 lost
                        found.append(pc.utf8_lpad(kept.cast(pa.int64()).cast(pa.string()), 10, "0"))
    return pc.unique(pa.concat_arrays(found)).to_pylist() if found else []


def _below_ten_digits(group: pq.RowGroupMetaData, position: int) -> bool:
    """Whether a row group's statistics show its column holds no number of 9 digits or more."""
    if position >= group.num_columns:
        return False
    statistics = group.column(position).statistics
    if statistics is None or not statistics.has_min_max:
        return False
    try:
        return abs(float(statistics.min)) < 1e8 and abs(float(statistics.max)) < 1e8
    except (TypeError, ValueError):
        return False


def _is_number(kind: pa.DataType) -> bool:
    """An integer or floating-point type."""
    return pa.types.is_integer(kind) or pa.types.is_floating(kind)


# Six digits in a row, of any script (RE2's `\p{Nd}`, what Python's `\d` reads: full-width
# ones too), with characters that show nothing between them, which the masking reads
# through (`privacy.INVISIBLE`): what every personnummer-like string holds, and no
# pseudonym, kind or ISO date does. The texts without them are left in arrow, where the check is
# one pass in C++: a million children's pseudonyms made distinct over the row groups, made
# Python strings and searched one by one took most of the clean stage's 7.6 CPU-seconds of
# scanning.
_MAY_HOLD = rf"\p{{Nd}}(?:{privacy.INVISIBLE}*\p{{Nd}}){{5}}"


def _is_text(kind: pa.DataType) -> bool:
    """A text type, or a dictionary of texts (a category)."""
    if pa.types.is_dictionary(kind):
        kind = kind.value_type
    return pa.types.is_string(kind) or pa.types.is_large_string(kind)


def _pdf_texts(path: Path) -> list[str]:
    """The text strings of a PDF, read without a PDF library (no extra dependency).

    Every literal and hex string object, in the file and in its Flate-compressed streams
    other than images and fonts: document information, outline, link targets and tagged-PDF
    alternative texts. The page text that Chromium draws is glyph-encoded and is not read
    here; the reports' PDFs are printed from their HTML, which the same scan reads as text
    (as PNG figures are drawn from tables that it reads).
    """
    data = Path(path).read_bytes()
    outside = [_PDF_STREAM.sub(b"", data)]  # the file's own bytes, without the stream bodies
    for stream in _PDF_STREAM.finditer(data):
        dictionary, body = stream.groups()
        outside.append(dictionary)
        if _PDF_BINARY_STREAM.search(dictionary):
            continue
        if b"/Filter" in dictionary:
            if b"/FlateDecode" not in dictionary:
                continue  # another encoding (images: DCT, JPX) holds no text we could read
            try:
                body = zlib.decompressobj().decompress(body)
            except zlib.error:
                continue
        if _looks_like_text(body):  # content, object and CMap streams, not an ICC profile
            outside.append(body)
    texts = []
    for chunk in outside:
        texts += [_pdf_string(_PDF_ESCAPE.sub(_pdf_unescape, m.group()[1:-1]))
                  for m in _PDF_LITERAL.finditer(chunk)]
        for m in _PDF_UTF16_HEX.finditer(chunk):
            digits = re.sub(rb"\s", b"", m.group(1))
            if len(digits) % 2 == 0:  # glyph ids carry no BOM
                texts.append(_pdf_string(bytes.fromhex(digits.decode("ascii"))))
    return texts


def _looks_like_text(data: bytes) -> bool:
    """True when at most 1 % of the first 64 kB are control bytes other than whitespace."""
    sample = data[:65536]
    control = len(sample) - len(sample.translate(None, _CONTROL_BYTES))  # one pass, not 28 counts
    return control <= len(sample) // 100


_CONTROL_BYTES = bytes(c for c in range(32) if c not in (9, 10, 12, 13))


def _pdf_unescape(match: re.Match[bytes]) -> bytes:
    escaped = match.group(1)
    if escaped[:1].isdigit():
        return bytes([int(escaped, 8) & 0xFF])
    if escaped in (b"\r\n", b"\n", b"\r"):
        return b""  # a line continuation
    return _PDF_ESCAPES.get(escaped, escaped)


def _pdf_string(raw: bytes) -> str:
    if raw[:2] == b"\xfe\xff":
        return raw[2:].decode("utf-16-be", errors="replace")
    return raw.decode("latin-1")


def _xlsx_texts(path: Path) -> list[str]:
    """Every sheet name and every cell's stored text of a workbook (strings, numbers, formulas).

    Read from the workbook's XML parts directly (a workbook is a zip of XML): the text of
    every element of the sheets and the shared strings, and the sheet names of the workbook
    part; an openpyxl reading of each cell gives the same values at a tenth of the speed.
    """
    with zipfile.ZipFile(path) as workbook:
        names = workbook.namelist()
        parts = [n for n in names if n == "xl/sharedStrings.xml"
                 or (n.startswith("xl/worksheets/") and n.endswith(".xml"))]
        texts = [html.unescape(name) for name in
                 _XLSX_SHEET_NAME.findall(workbook.read("xl/workbook.xml").decode("utf-8"))]
        for part in parts:
            xml = workbook.read(part).decode("utf-8")
            texts += [html.unescape(text) for text in _XML_TEXT.findall(xml) if text.strip()]
    return texts
