"""Writing chunk frames to the export files: CSV in a fixed encoding, XLSX sheets."""

from __future__ import annotations

import datetime as dt
import io
import re
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd

from pipeline.synth.parameters import _XLSX_DATE_MARK, _Export

_XLSX_EPOCH = dt.datetime(2024, 6, 30, 0, 0, 0)


class _CsvWriter:
    """Appends chunk frames to one CSV file in a fixed encoding, delimiter and line ending."""

    def __init__(self, path: Path, export: _Export) -> None:
        self.export = export
        self.handle = path.open("wb")
        self.header = True

    def write(self, frame: pd.DataFrame) -> None:
        sep, eol = self.export.delimiter, self.export.line_end
        columns = [_csv_quoted(frame[c].to_numpy(dtype=object), sep) for c in frame.columns]
        lines = [sep.join(row) for row in zip(*columns, strict=True)]
        text = eol.join(lines) + eol if lines else ""
        encoding = self.export.encoding
        if self.header:
            text = sep.join(frame.columns) + eol + text
        else:
            encoding = encoding.replace("-sig", "")
        self.handle.write(text.encode(encoding))
        self.header = False

    def close(self) -> None:
        self.handle.close()


def _csv_quoted(values: np.ndarray, sep: str) -> list[str]:
    """Values as CSV fields: quoted (RFC 4180) only where they hold the delimiter or a quote."""
    out = values.tolist()
    joined = "".join(out)
    if sep not in joined and '"' not in joined and "\n" not in joined:
        return out
    for i, value in enumerate(out):
        if sep in value or '"' in value or "\n" in value:
            out[i] = '"' + value.replace('"', '""') + '"'
    return out


class _XlsxWriter:
    """Streams chunk frames into one sheet of an XLSX workbook; byte-stable on close.

    openpyxl writes the workbook (styles, relations, properties) around a one-row sheet; the
    sheet's rows are written here as inline-string cells, which is what openpyxl writes too,
    because writing hundreds of thousands of cells through openpyxl takes minutes.
    """

    _DATE_STYLE = "1"  # the style openpyxl gives the date cell of the placeholder sheet

    def __init__(self, path: Path, export: _Export) -> None:
        import tempfile

        self.path = path
        self.export = export
        self.rows = tempfile.TemporaryFile()
        self.n_rows = 0
        self.columns: list[str] = []

    def write(self, frame: pd.DataFrame) -> None:
        if not self.columns:
            self.columns = list(frame.columns)
            self._append([np.array([c], dtype=object) for c in self.columns],
                         [False] * len(self.columns))
        integer = [c == "besok_nr" for c in frame.columns]
        self._append([frame[c].to_numpy(dtype=object) for c in frame.columns], integer)

    def _append(self, columns: list[np.ndarray], integer: list[bool]) -> None:
        n = len(columns[0])
        first = self.n_rows + 1
        cells_by_column = []
        for index, (values, is_integer) in enumerate(zip(columns, integer, strict=True)):
            letter = chr(ord("A") + index)
            cells = []
            for row, value in enumerate(values.tolist(), start=first):
                if value == "":
                    cells.append("")
                elif value.startswith(_XLSX_DATE_MARK):
                    serial = (dt.date.fromisoformat(value[1:]) - dt.date(1899, 12, 30)).days
                    cells.append(f'<c r="{letter}{row}" s="{self._DATE_STYLE}" t="n">'
                                 f'<v>{serial}</v></c>')
                elif is_integer:
                    cells.append(f'<c r="{letter}{row}" t="n"><v>{int(value)}</v></c>')
                else:
                    text = value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
                    cells.append(f'<c r="{letter}{row}" t="inlineStr"><is><t>{text}</t></is></c>')
            cells_by_column.append(cells)
        body = "".join(f'<row r="{first + i}">' + "".join(cells) + "</row>"
                       for i, cells in enumerate(zip(*cells_by_column, strict=True)))
        self.rows.write(body.encode("utf-8"))
        self.n_rows += n

    def close(self) -> None:
        from openpyxl import Workbook

        workbook = Workbook()
        sheet = workbook.active
        sheet.title = self.export.sheet
        sheet.append(["placeholder", dt.date(2024, 6, 30)])
        workbook.properties.creator = "hembesok synth"
        workbook.properties.created = _XLSX_EPOCH
        buffer = io.BytesIO()
        workbook.save(buffer)
        last = f"{chr(ord('A') + len(self.columns) - 1)}{max(self.n_rows, 1)}"
        self.rows.seek(0)
        _write_stable_zip(buffer.getvalue(), self.path, self.rows, last)
        self.rows.close()


def _write_stable_zip(data: bytes, path: Path, rows: object, last_cell: str) -> None:
    """Re-pack openpyxl's XLSX with our sheet rows, fixed entry times and fixed document dates."""
    fixed = _XLSX_EPOCH.strftime("%Y-%m-%dT%H:%M:%SZ")
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(path, "w") as target:
        for info in source.infolist():
            content = source.read(info.filename)
            entry = zipfile.ZipInfo(info.filename, date_time=(2024, 6, 30, 0, 0, 0))
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = 0o600 << 16
            if info.filename == "docProps/core.xml":
                content = re.sub(rb"(<dcterms:(?:created|modified)[^>]*>)[^<]*(<)",
                                 rb"\g<1>" + fixed.encode() + rb"\g<2>", content)
            if info.filename == "xl/worksheets/sheet1.xml":
                date_style = re.search(rb'<c r="B1" s="(\d+)"', content)
                if date_style is None or date_style.group(1).decode() != _XlsxWriter._DATE_STYLE:
                    raise RuntimeError("unexpected openpyxl sheet layout: date style not found")
                head, rest = content.split(b"<sheetData>", 1)
                tail = rest.split(b"</sheetData>", 1)[1]
                dimension = b'<dimension ref="A1:' + last_cell.encode() + b'"'
                head = re.sub(rb'<dimension ref="[^"]*"', dimension, head)
                with target.open(entry, "w") as handle:
                    handle.write(head + b"<sheetData>")
                    while block := rows.read(1 << 20):
                        handle.write(block)
                    handle.write(b"</sheetData>" + tail)
                continue
            target.writestr(entry, content)
