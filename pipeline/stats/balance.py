"""Standardised differences between groups at baseline, before and after weighting.

Two families of measure:
- the What Works Clearinghouse's (Procedures and Standards Handbook v5.0, used by HomVEE):
  Hedges' g for continuous covariates and the Cox index for binary ones, each with the
  small-sample correction ω = 1 − 3/(4N − 9), rated by `equivalence_rating`;
- the plain standardised mean difference of Austin (2009), which propensity-score papers
  report (|d| < 0.1 is the usual threshold there).
Weighted versions (after IPTW) use weighted means and proportions and weighted variances
s² = Σw(x − x̄)² / (Σw − Σw²/Σw) (Austin & Stuart 2015), which equal the ordinary sample
variances when all weights are 1; the counts in ω and in the pooled SD are the children.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from pipeline.stats.results import Estimate

# WWC/HomVEE baseline-equivalence thresholds on |d|.
SATISFIED_MAX = 0.05
ADJUSTMENT_MAX = 0.25
# The Cox index converts a log odds ratio to the scale of d (WWC: divide by 1.65).
COX_DIVISOR = 1.65
# Added to each cell of the 2×2 table when any cell is zero, so the log odds exist.
ZERO_CELL_ADDITION = 0.5


def equivalence_rating(d: float | None) -> str:
    """WWC/HomVEE baseline-equivalence rating of a standardised difference.

    Parameters
    ----------
    d : float or None
        A standardised difference (Hedges' g or the Cox index); None or NaN when there is
        none.

    Returns
    -------
    str
        "satisfied" (|d| <= 0.05), "adjustment_required" (0.05 < |d| <= 0.25),
        "not_satisfied" (|d| > 0.25) or "not_estimable".

    Examples
    --------
    >>> from pipeline.stats.balance import equivalence_rating
    >>> [equivalence_rating(d) for d in (0.03, -0.1, 0.3, None)]
    ['satisfied', 'adjustment_required', 'not_satisfied', 'not_estimable']
    """
    if d is None or not math.isfinite(d):
        return "not_estimable"
    if abs(d) <= SATISFIED_MAX:
        return "satisfied"
    if abs(d) <= ADJUSTMENT_MAX:
        return "adjustment_required"
    return "not_satisfied"


@dataclass(frozen=True)
class _Group:
    """One group's covariate values with their weights, missing values removed."""

    values: np.ndarray
    weights: np.ndarray
    n_missing: int

    @property
    def n(self) -> int:
        return int(self.values.size)

    @property
    def mean(self) -> float:
        return float(np.average(self.values, weights=self.weights))

    @property
    def variance(self) -> float:
        """Reliability-weighted variance; the usual n − 1 sample variance when unweighted."""
        total = self.weights.sum()
        denominator = total - (self.weights**2).sum() / total
        if denominator <= 0:
            return math.nan
        return float((self.weights * (self.values - self.mean) ** 2).sum() / denominator)


def _group(values: ArrayLike, weights: ArrayLike | None, label: str) -> _Group:
    """Validate one group's values and weights; drop missing values and zero weights."""
    x = np.asarray(values, dtype=float).ravel()
    if weights is None:
        w = np.ones_like(x)
    else:
        w = np.asarray(weights, dtype=float).ravel()
        if w.shape != x.shape:
            raise ValueError(f"{label}: {w.size} weights for {x.size} values")
        if not np.all(np.isfinite(w)) or np.any(w < 0):
            raise ValueError(f"{label}: weights must be finite and non-negative")
    if np.any(np.isinf(x)):
        raise ValueError(f"{label}: covariate values must be finite")
    missing = np.isnan(x)
    keep = ~missing & (w > 0)
    return _Group(values=x[keep], weights=w[keep], n_missing=int(missing.sum()))


def _is_binary(*groups: _Group) -> bool:
    """True when every value is 0 or 1."""
    return all(np.isin(group.values, (0.0, 1.0)).all() for group in groups)


def _prepare(
    intervention: ArrayLike, comparison: ArrayLike, weights_intervention: ArrayLike | None,
    weights_comparison: ArrayLike | None,
) -> tuple[_Group, _Group, str, dict[str, Any]]:
    """Both groups, the method label (unweighted/weighted) and the common details."""
    if (weights_intervention is None) != (weights_comparison is None):
        raise ValueError("give weights for both groups or for neither")
    treated = _group(intervention, weights_intervention, "intervention group")
    control = _group(comparison, weights_comparison, "comparison group")
    method = "unweighted" if weights_intervention is None else "weighted"
    details: dict[str, Any] = {
        "n_intervention": treated.n, "n_comparison": control.n,
        "n_missing_intervention": treated.n_missing,
        "n_missing_comparison": control.n_missing,
    }
    return treated, control, method, details


def _too_small(treated: _Group, control: _Group) -> str | None:
    """Reason a standardised difference cannot be made from groups this small, else None."""
    for label, group in (("intervention", treated), ("comparison", control)):
        if group.n < 2:
            return (f"the {label} group has {group.n} child(ren) with a value: at least two "
                    "are needed for a spread to standardise by")
    return None


def _small_sample_correction(n_total: int) -> float:
    """Hedges' ω = 1 − 3/(4N − 9), as in the WWC handbook."""
    return 1 - 3 / (4 * n_total - 9)


def hedges_g(
    intervention: ArrayLike, comparison: ArrayLike,
    weights_intervention: ArrayLike | None = None, weights_comparison: ArrayLike | None = None,
) -> Estimate:
    """Hedges' g for a continuous covariate (WWC): ω(x̄1 − x̄0) / pooled SD.

    Pooled SD = √(((n1 − 1)s1² + (n0 − 1)s0²)/(n1 + n0 − 2)); `equivalence_rating`
    of the estimate gives the WWC baseline-equivalence rating.

    Parameters
    ----------
    intervention : array_like of float
        The covariate's values for the intervention group's children (NaN = missing: left
        out and counted in `details`).
    comparison : array_like of float
        The same for the comparison group.
    weights_intervention, weights_comparison : array_like of float, optional
        Non-negative weights per child (e.g. IPTW weights), both or neither; a child with
        weight 0 is left out. Without weights the measure is the unweighted one.

    Returns
    -------
    Estimate
        measure "hedges_g", method "unweighted" or "weighted": g in standard deviations;
        `details` has the means, SDs and ω. Not estimable when a group has
        fewer than two values or the covariate does not vary within the groups.

    Raises
    ------
    ValueError
        If only one group has weights, weights do not match the values in length or are
        negative or not finite, or a value is infinite.

    Examples
    --------
    Means 2.5 and 3.5, each SD 1.291, ω = 1 − 3/(4 · 8 − 9) = 0.8696:
    g = 0.8696 · (2.5 − 3.5) / 1.291.

    >>> from pipeline.stats.balance import equivalence_rating, hedges_g
    >>> result = hedges_g([1, 2, 3, 4], [2, 3, 4, 5])
    >>> round(result.estimate, 4), equivalence_rating(result.estimate)
    (-0.6736, 'not_satisfied')
    """
    treated, control, method, details = _prepare(
        intervention, comparison, weights_intervention, weights_comparison)
    common: dict[str, Any] = {"n": treated.n + control.n, "details": details}
    if reason := _too_small(treated, control):
        return Estimate.not_estimable("hedges_g", method, reason, **common)
    pooled_variance = ((treated.n - 1) * treated.variance
                       + (control.n - 1) * control.variance) / (treated.n + control.n - 2)
    details.update(mean_intervention=treated.mean, mean_comparison=control.mean,
                   sd_intervention=math.sqrt(treated.variance),
                   sd_comparison=math.sqrt(control.variance))
    if not pooled_variance > 0:
        return Estimate.not_estimable(
            "hedges_g", method, "no variation in the covariate within either group", **common)
    omega = _small_sample_correction(treated.n + control.n)
    g = omega * (treated.mean - control.mean) / math.sqrt(pooled_variance)
    details.update(sd_pooled=math.sqrt(pooled_variance), small_sample_correction=omega)
    return Estimate(measure="hedges_g", method=method, estimate=g, **common)


def cox_index(
    intervention: ArrayLike, comparison: ArrayLike,
    weights_intervention: ArrayLike | None = None, weights_comparison: ArrayLike | None = None,
) -> Estimate:
    """Cox index for a binary (0/1) covariate (WWC): ω · (logit p1 − logit p0) / 1.65.

    Where a group has no children, or only children, with the characteristic (a zero cell),
    0.5 is added to all four cells, i.e. p = (events + 0.5)/(n + 1) in both groups (with
    weights: events = weighted proportion × n); `details["zero_cell_correction"]` says so.

    Parameters
    ----------
    intervention : array_like of float
        The covariate's 0/1 values for the intervention group's children (NaN = missing:
        left out and counted in `details`).
    comparison : array_like of float
        The same for the comparison group.
    weights_intervention, weights_comparison : array_like of float, optional
        Non-negative weights per child (e.g. IPTW weights), both or neither; a child with
        weight 0 is left out. Without weights the measure is the unweighted one.

    Returns
    -------
    Estimate
        measure "cox_index", method "unweighted" or "weighted": the index on the scale of
        d; `details` has both proportions, ω and whether the zero-cell correction was
        used. Not estimable when a group has fewer than two values.

    Raises
    ------
    ValueError
        If only one group has weights, weights do not match the values in length or are
        negative or not finite, a value is infinite, or the covariate has values other
        than 0 and 1.

    Examples
    --------
    60 % against 50 %: log odds ratio log 1.5 = 0.4055, ω = 1 − 3/(4 · 20 − 9) = 0.9577,
    index 0.9577 · 0.4055 / 1.65:

    >>> from pipeline.stats.balance import cox_index, equivalence_rating
    >>> result = cox_index([1] * 6 + [0] * 4, [1] * 5 + [0] * 5)
    >>> round(result.estimate, 4), equivalence_rating(result.estimate)
    (0.2354, 'adjustment_required')
    """
    treated, control, method, details = _prepare(
        intervention, comparison, weights_intervention, weights_comparison)
    common: dict[str, Any] = {"n": treated.n + control.n, "details": details}
    if reason := _too_small(treated, control):
        return Estimate.not_estimable("cox_index", method, reason, **common)
    if not _is_binary(treated, control):
        raise ValueError("the Cox index needs a binary covariate coded 0/1; use hedges_g")
    p1, p0 = treated.mean, control.mean
    details.update(proportion_intervention=p1, proportion_comparison=p0)
    corrected = any(p in (0.0, 1.0) for p in (p1, p0))
    if corrected:
        p1 = (p1 * treated.n + ZERO_CELL_ADDITION) / (treated.n + 2 * ZERO_CELL_ADDITION)
        p0 = (p0 * control.n + ZERO_CELL_ADDITION) / (control.n + 2 * ZERO_CELL_ADDITION)
    log_odds_ratio = math.log(p1 / (1 - p1)) - math.log(p0 / (1 - p0))
    omega = _small_sample_correction(treated.n + control.n)
    d = omega * log_odds_ratio / COX_DIVISOR
    details.update(zero_cell_correction=corrected, small_sample_correction=omega)
    return Estimate(measure="cox_index", method=method, estimate=d, **common)


def standardised_mean_difference(
    intervention: ArrayLike, comparison: ArrayLike,
    weights_intervention: ArrayLike | None = None, weights_comparison: ArrayLike | None = None,
    binary: bool | None = None,
) -> Estimate:
    """Austin's (2009) standardised mean difference, as propensity-score papers report it.

    Continuous: (x̄1 − x̄0)/√((s1² + s0²)/2); binary: (p1 − p0)/√((p1q1 + p0q0)/2). `binary`
    defaults to True when every value is 0 or 1.

    Parameters
    ----------
    intervention : array_like of float
        The covariate's values for the intervention group's children (NaN = missing: left
        out and counted in `details`).
    comparison : array_like of float
        The same for the comparison group.
    weights_intervention, weights_comparison : array_like of float, optional
        Non-negative weights per child (e.g. IPTW weights), both or neither; a child with
        weight 0 is left out. Without weights the measure is the unweighted one.
    binary : bool, optional
        Whether the covariate is 0/1; by default True when every value is 0 or 1.

    Returns
    -------
    Estimate
        measure "standardised_mean_difference", method "unweighted" or "weighted": d (|d| <
        0.1 is the usual threshold for balance); `details` has both means. Not estimable
        when a group has fewer than two values or the covariate does not vary.

    Raises
    ------
    ValueError
        If only one group has weights, weights do not match the values in length or are
        negative or not finite, a value is infinite, or `binary` is True for values
        other than 0 and 1.

    Examples
    --------
    Continuous: (2.5 − 3.5) / √((1.667 + 1.667)/2); binary: (0.6 − 0.5) / √((0.24 + 0.25)/2).

    >>> from pipeline.stats.balance import standardised_mean_difference
    >>> round(standardised_mean_difference([1, 2, 3, 4], [2, 3, 4, 5]).estimate, 4)
    -0.7746
    >>> round(standardised_mean_difference([1] * 6 + [0] * 4, [1] * 5 + [0] * 5).estimate, 4)
    0.202
    """
    treated, control, method, details = _prepare(
        intervention, comparison, weights_intervention, weights_comparison)
    common: dict[str, Any] = {"n": treated.n + control.n, "details": details}
    measure = "standardised_mean_difference"
    if reason := _too_small(treated, control):
        return Estimate.not_estimable(measure, method, reason, **common)
    if binary is None:
        binary = _is_binary(treated, control)
    elif binary and not _is_binary(treated, control):
        raise ValueError("binary=True but the covariate has values other than 0 and 1")
    m1, m0 = treated.mean, control.mean
    if binary:
        variance1, variance0 = m1 * (1 - m1), m0 * (1 - m0)
    else:
        variance1, variance0 = treated.variance, control.variance
    details.update(mean_intervention=m1, mean_comparison=m0, binary=binary)
    denominator = math.sqrt((variance1 + variance0) / 2)
    if not denominator > 0:
        reason = ("no variation in the covariate within either group"
                  + (": the groups differ completely" if m1 != m0 else ""))
        return Estimate.not_estimable(measure, method, reason, **common)
    return Estimate(measure=measure, method=method, estimate=(m1 - m0) / denominator,
                    **common)


def baseline_difference(
    intervention: ArrayLike, comparison: ArrayLike,
    weights_intervention: ArrayLike | None = None, weights_comparison: ArrayLike | None = None,
    binary: bool | None = None,
) -> Estimate:
    """WWC standardised difference for one covariate: Cox index if binary, else Hedges' g.

    `binary` defaults to True when every value is 0 or 1; `equivalence_rating` of the
    estimate rates it ("not_estimable" when no difference could be computed).

    Parameters
    ----------
    intervention : array_like of float
        The covariate's values for the intervention group's children (NaN = missing: left
        out and counted in `details`).
    comparison : array_like of float
        The same for the comparison group.
    weights_intervention, weights_comparison : array_like of float, optional
        Non-negative weights per child (e.g. IPTW weights), both or neither; a child with
        weight 0 is left out. Without weights the measure is the unweighted one.
    binary : bool, optional
        Whether the covariate is 0/1 (Cox index) or not (Hedges' g); by default True when
        every value is 0 or 1.

    Returns
    -------
    Estimate
        As `cox_index` or `hedges_g`.

    Raises
    ------
    ValueError
        If only one group has weights, weights do not match the values in length or are
        negative or not finite, a value is infinite, or `binary` is True for values
        other than 0 and 1.

    Examples
    --------
    >>> from pipeline.stats.balance import baseline_difference, equivalence_rating
    >>> result = baseline_difference([1] * 6 + [0] * 4, [1] * 5 + [0] * 5)
    >>> result.measure, round(result.estimate, 4), equivalence_rating(result.estimate)
    ('cox_index', 0.2354, 'adjustment_required')
    """
    if binary is None:
        binary = _is_binary(
            _group(intervention, None, "intervention group"),
            _group(comparison, None, "comparison group"),
        )
    measure = cox_index if binary else hedges_g
    return measure(intervention, comparison, weights_intervention, weights_comparison)
