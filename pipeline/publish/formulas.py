"""Text that a spreadsheet would run as a formula, made inert (OWASP "CSV Injection").

Excel, LibreOffice and Google Sheets read a cell that starts with `=`, `+`, `-` or `@` (or a
tab or carriage return before one) as a formula, so an area named
`=HYPERLINK("http://x","klick")` would become a live link in a committee member's
spreadsheet. OWASP's advice for CSV: prefix such a cell with a single quote, which the
spreadsheet takes as "this is text" and does not show. A published table's text cells are
prefixed so (`escape_table`); its numbers are never touched, so a negative estimate (-0.05)
stays a number. The XLSX copy writes every text cell as a string, never a formula, and
shows the original text (`unescape_text`); readers of the CSV files take the prefix off
the same way, so that an area's own name still finds its rows.

The prefix is reversible: a text that already starts with quotes before a trigger gets one
more (`'=x` is written `''=x`), so taking one quote off always gives the original back.
"""

from __future__ import annotations

import re

import pandas as pd

from pipeline.outputs import LABEL, TEXT, OutputTable

FORMULA_TRIGGERS = "=+-@\t\r"
_NEEDS_ESCAPE = re.compile(f"^'*[{re.escape(FORMULA_TRIGGERS)}]")
_ESCAPED = re.compile(f"^'+[{re.escape(FORMULA_TRIGGERS)}]")
# Columns a publisher adds to every table it suppresses: reasons and bounds, text.
_ADDED_TEXT_COLUMNS = frozenset({"suppression"})


def escape_text(value: str) -> str:
    """A text cell as a CSV may hold it: `'` before a leading formula trigger."""
    return "'" + value if _NEEDS_ESCAPE.match(value) else value


def unescape_text(value: str) -> str:
    """The original text of a cell that `escape_text` wrote."""
    return value[1:] if _ESCAPED.match(value) else value


def _is_number(value: str) -> bool:
    try:
        float(value)
    except ValueError:
        return False
    return True


def escape_table(table: OutputTable, frame: pd.DataFrame) -> pd.DataFrame:
    """The frame with every text cell that a spreadsheet would run escaped.

    Text and label columns (the catalog's kinds, and a publisher's `suppression`) are escaped
    whatever they hold; in a count or number column only a text that is not a number (never
    "-0.05", and never a float) — a published count column holds "<5" markers as text.
    """
    escaped = frame
    for column in frame.columns:
        textual = table.kind(column) in (LABEL, TEXT) or column in _ADDED_TEXT_COLUMNS
        values = frame[column]
        if not (pd.api.types.is_object_dtype(values) or pd.api.types.is_string_dtype(values)):
            continue
        needs = [isinstance(v, str) and bool(_NEEDS_ESCAPE.match(v)) and (textual or not _is_number(v))
                 for v in values]
        if not any(needs):
            continue
        if escaped is frame:
            escaped = frame.copy()
        escaped[column] = pd.Series([escape_text(v) if need else v
                                     for v, need in zip(values, needs, strict=True)],
                                    index=values.index, dtype=values.dtype)
    return escaped


def unescape_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A published table as read back from its CSV, with the original text in every cell."""
    restored = frame
    for column in frame.columns:
        values = frame[column]
        if not (pd.api.types.is_object_dtype(values) or pd.api.types.is_string_dtype(values)):
            continue
        escaped = [isinstance(v, str) and bool(_ESCAPED.match(v)) for v in values]
        if not any(escaped):
            continue
        if restored is frame:
            restored = frame.copy()
        restored[column] = pd.Series([unescape_text(v) if e else v
                                      for v, e in zip(values, escaped, strict=True)],
                                     index=values.index, dtype=values.dtype)
    return restored
