"""XLSX copies of the published tables."""

from __future__ import annotations

import datetime as dt
import io
import re
from pathlib import Path

import pandas as pd

# A fixed document date, so that one table always gives the same bytes.
XLSX_DATE = dt.datetime(2024, 1, 1)


def write_xlsx(frame: pd.DataFrame, path: Path) -> None:
    """The table as a one-sheet XLSX workbook, byte-identical for identical input.

    Written by XlsxWriter in memory, whose zip entries carry a fixed time; the document's
    created and modified dates are fixed here (XLSX_DATE). Text is never read as a number,
    formula or link.
    """
    sheet = re.sub(r"[\[\]:*?/\\]", "_", Path(path).stem)[:31] or "table"
    options = {"in_memory": True, "strings_to_numbers": False, "strings_to_formulas": False,
               "strings_to_urls": False}
    buffer = io.BytesIO()
    with pd.ExcelWriter(buffer, engine="xlsxwriter", engine_kwargs={"options": options}) as writer:
        writer.book.set_properties({"author": "hembesok", "created": XLSX_DATE})
        frame.to_excel(writer, sheet_name=sheet, index=False)
    Path(path).write_bytes(buffer.getvalue())
