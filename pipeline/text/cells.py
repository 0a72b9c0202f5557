"""Values of the published tables as the reports read them: blank, suppressed ("<5") or a number."""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from pipeline.text.words import MINUS

DEFAULT_MIN_CELL = 5
_SUPPRESSED_PATTERN = re.compile(r"^\s*<\s*(\d+)\s*$")


def is_missing(value: Any) -> bool:
    """True for None, NaN, NA and blank strings."""
    if value is None:
        return True
    if isinstance(value, str):
        return value.strip() == ""
    if value is pd.NA or value is pd.NaT:
        return True
    try:
        return bool(value != value)
    except (TypeError, ValueError):
        return False


def suppressed_marker(value: Any) -> int | None:
    """The threshold of a suppressed count such as "<5" (5), else None."""
    if isinstance(value, str):
        match = _SUPPRESSED_PATTERN.match(value)
        if match:
            return int(match.group(1))
    return None


def to_number(value: Any) -> float | None:
    """A float from a table cell; None when blank, suppressed ("<5") or not a number."""
    if is_missing(value) or suppressed_marker(value) is not None:
        return None
    if isinstance(value, bool):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value.strip().replace(MINUS, "-").replace(",", "."))
        except ValueError:
            return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(number) else number


def is_true(value: Any) -> bool:
    """A boolean cell read from CSV ("True", True, 1) as a bool; blank is False."""
    if is_missing(value):
        return False
    if isinstance(value, str):
        return value.strip().lower() in {"true", "1", "yes", "ja"}
    return bool(value)


def row_is_suppressed(row: Mapping[str, Any] | None, columns: Sequence[str] = ()) -> bool:
    """True when a row is flagged `suppressed` or any of `columns` holds a "<n>" marker."""
    if row is None:
        return False
    if is_true(row.get("suppressed")):
        return True
    return any(suppressed_marker(row.get(c)) is not None for c in columns)


def min_cell_of(*values: Any, default: int = DEFAULT_MIN_CELL) -> int:
    """The suppression threshold found in the first "<n>" marker among `values`, else `default`."""
    for value in values:
        marker = suppressed_marker(value)
        if marker is not None:
            return marker
    return default


def records(frame: pd.DataFrame | None) -> list[dict[str, Any]]:
    """A table's rows as dicts with missing values as None and Python scalars, as `to_dict` gives
    them (built from one object array: reports call this hundreds of times)."""
    if frame is None or frame.empty:
        return []
    values = frame.to_numpy(dtype=object, copy=True)  # a copy: missing values are set in it
    values[frame.isna().to_numpy()] = None
    return [{column: _python_scalar(value) for column, value in zip(frame.columns, row, strict=True)}
            for row in values.tolist()]


def _python_scalar(value: Any) -> Any:
    """A numpy scalar (held in an object column) as the Python value pandas' `to_dict` gives."""
    if not isinstance(value, np.generic):
        return value
    if isinstance(value, np.datetime64 | np.timedelta64):
        return pd.Timestamp(value) if isinstance(value, np.datetime64) else pd.Timedelta(value)
    return value.item()
