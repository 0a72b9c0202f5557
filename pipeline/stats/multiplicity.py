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
    """Holm (1979) step-down adjusted p-values, controlling the family-wise error rate.

    Parameters
    ----------
    p_values : iterable of float or None
        The family's p-values in any order; None or NaN for an effect that was not
        estimable (it counts as p = 1 in the family and stays None).

    Returns
    -------
    list of float or None
        The adjusted p-values in the order given, at most 1.

    Raises
    ------
    ValueError
        If a p-value lies outside [0, 1].

    Examples
    --------
    Sorted, the k-th smallest of m p-values is multiplied by m − k + 1 (then made
    non-decreasing); the missing one counts as 1, so the family has three members:

    >>> from pipeline.stats.multiplicity import holm
    >>> holm([0.01, 0.04, None])
    [0.03, 0.08, None]
    """
    return _adjust(p_values, "holm")


def benjamini_hochberg(p_values: Iterable[float | None]) -> list[float | None]:
    """Benjamini–Hochberg (1995) adjusted p-values, controlling the false discovery rate.

    Parameters
    ----------
    p_values : iterable of float or None
        The family's p-values in any order; None or NaN for an effect that was not
        estimable (it counts as p = 1 in the family and stays None).

    Returns
    -------
    list of float or None
        The adjusted p-values in the order given, at most 1.

    Raises
    ------
    ValueError
        If a p-value lies outside [0, 1].

    Examples
    --------
    The k-th smallest of m p-values is multiplied by m / k (then made non-decreasing
    from the largest down): 0.01 · 3/1 and 0.04 · 3/2.

    >>> from pipeline.stats.multiplicity import benjamini_hochberg
    >>> [None if p is None else round(p, 6) for p in benjamini_hochberg([0.01, 0.04, None])]
    [0.03, 0.06, None]
    """
    return _adjust(p_values, "fdr_bh")
