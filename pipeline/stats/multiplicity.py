"""Adjusted p-values for multiple comparisons (spec §7: Holm across primary indicators,
Benjamini–Hochberg across secondary ones).

The family is fixed by the study (its primary indicators, or the others): a p-value that
could not be computed (None or NaN: the effect was not estimable) counts as 1 in the
adjustment, so that a failed estimate never shrinks the family and makes the others look
stronger; its own adjusted p stays None.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

from statsmodels.stats.multitest import multipletests


def _adjust(p_values: Iterable[float | None], method: str) -> list[float | None]:
    """Adjust with statsmodels' `method` over the whole family (a missing p counts as 1);
    missing ones stay None."""
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
    family = [float(values[i]) if i in present else 1.0 for i in range(len(values))]
    _, corrected, _, _ = multipletests(family, method=method)
    for index in present:
        adjusted[index] = min(1.0, float(corrected[index]))
    return adjusted


def holm(p_values: Iterable[float | None]) -> list[float | None]:
    """Holm (1979) step-down adjusted p-values, controlling the family-wise error rate."""
    return _adjust(p_values, "holm")


def benjamini_hochberg(p_values: Iterable[float | None]) -> list[float | None]:
    """Benjamini–Hochberg (1995) adjusted p-values, controlling the false discovery rate."""
    return _adjust(p_values, "fdr_bh")
