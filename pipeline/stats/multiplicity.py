"""Adjusted p-values for multiple comparisons (spec §7: Holm across primary indicators,
Benjamini–Hochberg across secondary ones).

A p-value that could not be computed (None or NaN: the effect was not estimable) stays
None and is left out of the family: the adjustment is over the p-values that exist.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

from statsmodels.stats.multitest import multipletests


def _adjust(p_values: Iterable[float | None], method: str) -> list[float | None]:
    """Adjust the p-values present with statsmodels' `method`; keep missing ones None."""
    values = list(p_values)
    present: list[int] = []
    for index, p in enumerate(values):
        if p is None or math.isnan(float(p)):
            continue
        if not 0 <= p <= 1:
            raise ValueError(f"p-value at position {index} is {p}; p-values lie in [0, 1]")
        present.append(index)
    adjusted: list[float | None] = [None] * len(values)
    if not present:
        return adjusted
    _, corrected, _, _ = multipletests([float(values[i]) for i in present], method=method)
    for index, p in zip(present, corrected, strict=True):
        adjusted[index] = min(1.0, float(p))
    return adjusted


def holm(p_values: Iterable[float | None]) -> list[float | None]:
    """Holm (1979) step-down adjusted p-values, controlling the family-wise error rate."""
    return _adjust(p_values, "holm")


def benjamini_hochberg(p_values: Iterable[float | None]) -> list[float | None]:
    """Benjamini–Hochberg (1995) adjusted p-values, controlling the false discovery rate."""
    return _adjust(p_values, "fdr_bh")
