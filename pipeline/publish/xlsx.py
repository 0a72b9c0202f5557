"""XLSX copies of the published tables."""

from __future__ import annotations

import datetime as dt
import io
import math
import re
from pathlib import Path

import numpy as np
import pandas as pd
import xlsxwriter

from pipeline.publish.formulas import unescape_frame

# A fixed document date, so that one table always gives the same bytes.
XLSX_DATE = dt.datetime(2024, 1, 1)
# XlsxWriter's options: a text cell is always a string cell, never a number, formula or link
# (OWASP "CSV Injection": `=HYPERLINK(...)` stays the text it is).
XLSX_OPTIONS = {"in_memory": True, "strings_to_numbers": False, "strings_to_formulas": False,
                "strings_to_urls": False}
MAX_CELL_TEXT = 32767  # Excel's limit on a cell's text; pandas truncates longer text with a warning


def write_xlsx(frame: pd.DataFrame, path: Path) -> None:
    """The table as a one-sheet XLSX workbook, byte-identical for identical input.

    Written by XlsxWriter in memory, whose zip entries carry a fixed time; the document's
    created and modified dates are fixed here (XLSX_DATE). Text is never read as a number,
    formula or link: every text cell is a string cell holding the original text (the CSV's
    quote before a leading `=`, `+`, `-` or `@` is not needed, and not written, here).

    The cells are written here column by column as pandas' `to_excel` (index=False) writes
    them with XlsxWriter: the header's names as text, numbers as numbers, infinities as
    `inf`/`-inf`, true/false as booleans, a missing value or empty text as no cell. With
    pandas 3 the bytes are `to_excel`'s; pandas' own cell objects took three quarters of
    the time. A table holding anything else (dates, text longer than Excel's 32,767
    characters) is written by `to_excel` itself.
    """
    sheet = re.sub(r"[\[\]:*?/\\]", "_", Path(path).stem)[:31] or "table"
    frame = unescape_frame(frame)
    columns = [_cells(frame.iloc[:, index]) for index in range(frame.shape[1])]
    buffer = io.BytesIO()
    if any(cells is None for cells in columns):
        with pd.ExcelWriter(buffer, engine="xlsxwriter", engine_kwargs={"options": XLSX_OPTIONS}) as writer:
            writer.book.set_properties({"author": "hembesok", "created": XLSX_DATE})
            frame.to_excel(writer, sheet_name=sheet, index=False)
    else:
        workbook = xlsxwriter.Workbook(buffer, XLSX_OPTIONS)
        workbook.set_properties({"author": "hembesok", "created": XLSX_DATE})
        worksheet = workbook.add_worksheet(sheet)
        for column, name in enumerate(frame.columns):
            worksheet.write_string(0, column, str(name))
        write = {"number": worksheet.write_number, "string": worksheet.write_string,
                 "boolean": worksheet.write_boolean}
        for column, cells in enumerate(columns):
            for row, (kind, value) in cells:
                write[kind](row, column, value)
        workbook.close()
    Path(path).write_bytes(buffer.getvalue())


def _cells(values: pd.Series) -> list[tuple[int, tuple[str, object]]] | None:
    """A column's cells as (sheet row, (kind, value)), missing values and empty text left out;
    None when it holds a value `write_xlsx` leaves to `to_excel`."""
    cells = []
    for row, value in enumerate(values.tolist(), start=1):
        if value is None or value is pd.NA or value is pd.NaT:
            continue
        if isinstance(value, (bool, np.bool_)):
            cells.append((row, ("boolean", bool(value))))
        elif isinstance(value, (int, np.integer)):
            cells.append((row, ("number", int(value))))
        elif isinstance(value, (float, np.floating)):
            value = float(value)
            if math.isnan(value):
                continue
            cells.append((row, ("string", "inf" if value > 0 else "-inf") if math.isinf(value)
                          else ("number", value)))
        elif isinstance(value, str) and len(value) <= MAX_CELL_TEXT:
            if value:
                cells.append((row, ("string", value)))
        else:
            return None
    return cells

