"""XLSX copies of the published tables."""

from __future__ import annotations

import datetime as dt
import io
import re
from pathlib import Path

import pandas as pd

from pipeline.publish.formulas import unescape_frame

# A fixed document date, so that one table always gives the same bytes.
XLSX_DATE = dt.datetime(2024, 1, 1)
# XlsxWriter's options: a text cell is always a string cell, never a number, formula or link
# (OWASP "CSV Injection": `=HYPERLINK(...)` stays the text it is).
XLSX_OPTIONS = {"in_memory": True, "strings_to_numbers": False, "strings_to_formulas": False,
                "strings_to_urls": False}


def write_xlsx(frame: pd.DataFrame, path: Path) -> None:
    """The table as a one-sheet XLSX workbook, byte-identical for identical input.

    Written by XlsxWriter in memory, whose zip entries carry a fixed time; the document's
    created and modified dates are fixed here (XLSX_DATE). Text is never read as a number,
    formula or link: every text cell is a string cell holding the original text (the CSV's
    quote before a leading `=`, `+`, `-` or `@` is not needed, and not written, here).
    """
    sheet = re.sub(r"[\[\]:*?/\\]", "_", Path(path).stem)[:31] or "table"
    buffer = io.BytesIO()
    with pd.ExcelWriter(buffer, engine="xlsxwriter", engine_kwargs={"options": XLSX_OPTIONS}) as writer:
        writer.book.set_properties({"author": "hembesok", "created": XLSX_DATE})
        unescape_frame(frame).to_excel(writer, sheet_name=sheet, index=False)
    Path(path).write_bytes(buffer.getvalue())
