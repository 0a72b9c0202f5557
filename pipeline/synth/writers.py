"""Writing chunk frames to the export files: CSV in a fixed encoding, XLSX sheets."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd

from pipeline.synth.parameters import _XLSX_DATE_MARK, _Export

_XLSX_EPOCH = dt.datetime(2024, 6, 30, 0, 0, 0)  # the XLSX exports' document date (same seed, same bytes)


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
    """Streams chunk frames into one sheet of an XLSX workbook; byte-identical for the same rows.

    XlsxWriter in constant-memory mode writes each row as it comes (text as inline strings);
    a date marked for it (`_XLSX_DATE_MARK`) becomes a real date cell, the visit number a
    number, and an empty string no cell at all. The document dates are fixed (`_XLSX_EPOCH`);
    XlsxWriter fixes the zip entries' times itself.
    """

    _INTEGER_COLUMNS = frozenset({"besok_nr"})

    def __init__(self, path: Path, export: _Export) -> None:
        import xlsxwriter  # imported here: only XLSX exports need it

        self.workbook = xlsxwriter.Workbook(path, {
            "constant_memory": True,  # rows go to a temporary file, not memory
            "strings_to_numbers": False, "strings_to_formulas": False, "strings_to_urls": False})
        self.workbook.set_properties({"author": "hembesok synth", "created": _XLSX_EPOCH})
        self.sheet = self.workbook.add_worksheet(export.sheet)
        self.date_format = self.workbook.add_format({"num_format": "yyyy-mm-dd"})
        self.n_rows = 0

    def write(self, frame: pd.DataFrame) -> None:
        if self.n_rows == 0:
            for col, name in enumerate(frame.columns):
                self.sheet.write_string(0, col, name)
            self.n_rows = 1
        columns = [frame[c].to_numpy(dtype=object).tolist() for c in frame.columns]
        integer = [c in self._INTEGER_COLUMNS for c in frame.columns]
        sheet, date_format = self.sheet, self.date_format
        for row, values in enumerate(zip(*columns, strict=True), start=self.n_rows):
            for col, value in enumerate(values):
                if value == "":
                    continue
                if value.startswith(_XLSX_DATE_MARK):
                    sheet.write_datetime(row, col, dt.date.fromisoformat(value[1:]), date_format)
                elif integer[col]:
                    sheet.write_number(row, col, int(value))
                else:
                    sheet.write_string(row, col, value)
        self.n_rows += len(frame)

    def close(self) -> None:
        self.workbook.close()
