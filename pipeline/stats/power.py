"""Power and sample size for comparing two proportions (two-sided test, normal approximation).

The test is the usual z (Pearson chi-square) test: pooled variance under H0, unpooled under
H1; the sample-size formula ignores the negligible far tail (a significant result in the
wrong direction), the power function counts it — Fleiss, Levin & Paik, Statistical Methods for Rates
and Proportions (3rd ed., 2003, chapter 4, including unequal groups). For equal groups this is
R's power.prop.test (strict = FALSE). The two formulas are computed by statsmodels'
`power_proportions_2indep` and `samplesize_proportions_2indep_onetail`, which use exactly
these variances (pooled under H0, unpooled under H1, two-sided); statsmodels' `NormalIndPower`
with `proportion_effectsize` is not used, as it tests Cohen's arcsine effect size h, not the
difference. The Fleiss–Tytun–Ury (1980) continuity-corrected n is given alongside (our own
formula: statsmodels has none); it approximates the n needed by Fisher's exact test / the
corrected chi-square and suits small pilots better.

Those treat children as independent. The programme is assigned by area, so the second half
plans with areas as clusters (a DiD or a concurrent comparison, analysed by an area-level t
test): `design_effect`, `did_design_effect`, `cluster_power`, `simulate_cluster_power`,
`minimum_detectable_did`, `areas_needed`, and `estimate_icc` for the intra-area correlation.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd
from scipy import optimize, stats
from statsmodels.stats.proportion import (
    power_proportions_2indep,
    samplesize_proportions_2indep_onetail,
)

from pipeline.stats.results import NotEstimable


def _check_probability(name: str, value: float) -> None:
    """Raise ValueError unless value is a proportion in [0, 1]."""
    if not 0 <= value <= 1:
        raise ValueError(f"{name} must be a proportion between 0 and 1, got {value}")


def _check_design(alpha: float, power: float) -> None:
    """Raise ValueError unless alpha and power are usable."""
    if not 0 < alpha < 1:
        raise ValueError(f"alpha must lie between 0 and 1, got {alpha}")
    if not alpha < power < 1:
        raise ValueError(f"power must lie between alpha ({alpha}) and 1, got {power}")


def power_two_proportions(
    p_comparison: float, p_intervention: float, n_intervention: float, n_comparison: float,
    alpha: float = 0.05,
) -> float:
    """Power of the two-sided z test of p_intervention vs p_comparison at these group sizes.

    Pooled variance under H0, unpooled under H1; unlike the sample-size formula it counts
    both rejection tails. Computed by statsmodels' `power_proportions_2indep` (alternative
    "two-sided"), whose variances are exactly these, as Fleiss's and Stata's power
    twoproportions, with the intervention group as its sample 1; only the deterministic
    case (both proportions 0 or 1), where statsmodels would divide by a zero standard
    error, is decided here.

    Parameters
    ----------
    p_comparison : float
        The comparison group's proportion (0-1).
    p_intervention : float
        The intervention group's true proportion (0-1).
    n_intervention, n_comparison : float
        Children in each group (may be fractional for planning).
    alpha : float, optional
        Two-sided significance level, 0.05 by default.

    Returns
    -------
    float
        The power (0-1).

    Raises
    ------
    ValueError
        If a proportion lies outside [0, 1], alpha outside (0, 1), or a group has no
        children.

    Examples
    --------
    Stata's [PSS] power twoproportions example, 0.1 against 0.2 with 154 and 308
    children:

    >>> from pipeline.stats.power import power_two_proportions
    >>> round(power_two_proportions(0.10, 0.20, n_intervention=308, n_comparison=154), 6)
    0.799566
    """
    _check_probability("p_comparison", p_comparison)
    _check_probability("p_intervention", p_intervention)
    if not 0 < alpha < 1:
        raise ValueError(f"alpha must lie between 0 and 1, got {alpha}")
    if n_intervention <= 0 or n_comparison <= 0:
        raise ValueError("both groups need at least one child to have any power")
    if p_intervention * (1 - p_intervention) + p_comparison * (1 - p_comparison) == 0:
        # Both proportions 0 or 1: the outcome is deterministic and the unpooled standard error
        # 0, which statsmodels would divide by; the test rejects iff the difference exceeds the
        # critical value under the pooled H0 variance.
        pooled = (n_intervention * p_intervention + n_comparison * p_comparison) / (
            n_intervention + n_comparison
        )
        se_null = math.sqrt(pooled * (1 - pooled) * (1 / n_intervention + 1 / n_comparison))
        near = abs(p_intervention - p_comparison) - stats.norm.isf(alpha / 2) * se_null
        return 1.0 if near > 0 else 0.0
    # statsmodels' sample 1 is the intervention group: nobs2 = ratio · nobs1 comparison
    # children, prop2 = p_comparison, diff = p_intervention − p_comparison. Both rejection
    # tails, as Stata's power twoproportions; the far tail (a significant result in the wrong
    # direction) is negligible except for tiny effects.
    return float(power_proportions_2indep(
        p_intervention - p_comparison, p_comparison, n_intervention,
        ratio=n_comparison / n_intervention, alpha=alpha, alternative="two-sided",
        return_results=False,
    ))


@dataclass(frozen=True)
class SampleSize:
    """Children needed per group to detect a named difference, with and without correction.

    Attributes
    ----------
    p_comparison, p_intervention : float
        The proportions planned for (0-1).
    ratio : float
        n_intervention / n_comparison.
    alpha, power : float
        Two-sided significance level and power.
    n_comparison, n_intervention : int
        Children needed per group (normal approximation, rounded up).
    n_comparison_unrounded : float
        The comparison group's n before rounding.
    n_comparison_corrected, n_intervention_corrected : int
        With the Fleiss–Tytun–Ury continuity correction.

    Examples
    --------
    See `sample_size_two_proportions`.

    >>> from pipeline.stats.power import sample_size_two_proportions
    >>> size = sample_size_two_proportions(0.25, 0.25)
    >>> size.total, size.total_corrected
    (116, 132)
    """

    p_comparison: float
    p_intervention: float
    ratio: float  # n_intervention / n_comparison
    alpha: float
    power: float
    n_comparison: int
    n_intervention: int
    n_comparison_unrounded: float
    n_comparison_corrected: int  # Fleiss–Tytun–Ury continuity correction
    n_intervention_corrected: int

    @property
    def total(self) -> int:
        """Children needed in both groups together."""
        return self.n_comparison + self.n_intervention

    @property
    def total_corrected(self) -> int:
        """Children needed in both groups together, with the continuity correction."""
        return self.n_comparison_corrected + self.n_intervention_corrected

    def summary(self) -> str:
        """One line: the difference, power, and children needed with and without correction."""
        return (
            f"to detect {self.p_comparison:.3g} -> {self.p_intervention:.3g} with "
            f"{self.power:.0%} power (two-sided alpha {self.alpha:g}): "
            f"{self.n_intervention} intervention + {self.n_comparison} comparison children "
            f"({self.n_intervention_corrected} + {self.n_comparison_corrected} with continuity "
            "correction)"
        )


def sample_size_two_proportions(
    p_comparison: float, difference: float, ratio: float = 1.0, alpha: float = 0.05,
    power: float = 0.80,
) -> SampleSize:
    """Children per group to detect p_comparison + difference (Fleiss, Levin & Paik ch. 4).

    With n0 comparison and n1 = ratio · n0 intervention children, p̄ = (ratio·p1 + p0)/(1 + ratio):
    n0 = [z_{α/2} √((1 + ratio) p̄ q̄) + z_β √(p1 q1 + ratio · p0 q0)]² / (ratio · Δ²), and
    the continuity-corrected n0 = n0/4 · [1 + √(1 + 2(ratio + 1)/(ratio · n0 · |Δ|))]².
    Each group's n is rounded up.

    The uncorrected n0 is statsmodels' `samplesize_proportions_2indep_onetail` (alternative
    "two-sided": z_{α/2}, pooled variance under H0, unpooled under H1, the far tail
    ignored), with the comparison group as its sample 1 so that its nobs ratio is ours;
    for equal groups it reproduces R's power.prop.test (0.50 vs 0.75, 90 % power: 76.7,
    77 per group). One difference from the hand formula: statsmodels clips
    z_{α/2}·σ0 + z_β·σ1 at 0, so below 50 % power, with a much larger variance under H1
    than under H0, it needs no children; that is refused with a ValueError. The
    continuity correction is the project's own (statsmodels has none).

    Parameters
    ----------
    p_comparison : float
        The comparison group's proportion (0-1).
    difference : float
        The difference to detect, p_intervention − p_comparison (0-1 scale; negative for a
        fall), not 0.
    ratio : float, optional
        n_intervention / n_comparison, 1 by default.
    alpha : float, optional
        Two-sided significance level, 0.05 by default.
    power : float, optional
        The power wanted, 0.80 by default.

    Returns
    -------
    SampleSize
        Children per group with and without the continuity correction.

    Raises
    ------
    ValueError
        If p_comparison or p_comparison + difference is not a proportion, the difference is
        0, the ratio is not positive and finite, alpha is not in (0, 1), the power is not
        between alpha and 1, or no group size is needed (see above).

    Examples
    --------
    R's power.prop.test(p1 = .50, p2 = .75, power = .90): n = 76.7, 77 per group.

    >>> from pipeline.stats.power import sample_size_two_proportions
    >>> size = sample_size_two_proportions(0.50, 0.25, power=0.90)
    >>> round(size.n_comparison_unrounded, 4), size.n_comparison, size.n_intervention
    (76.7069, 77, 77)
    >>> size.summary()  # doctest: +NORMALIZE_WHITESPACE
    'to detect 0.5 -> 0.75 with 90% power (two-sided alpha 0.05): 77 intervention + 77
    comparison children (85 + 85 with continuity correction)'
    """
    _check_probability("p_comparison", p_comparison)
    p_intervention = p_comparison + difference
    if not 0 <= p_intervention <= 1:
        raise ValueError(
            f"p_comparison + difference = {p_intervention:.4g} is not a proportion"
        )
    if difference == 0:
        raise ValueError("difference must be non-zero: no sample size detects no difference")
    if not ratio > 0 or not math.isfinite(ratio):
        raise ValueError(f"ratio (n_intervention / n_comparison) must be positive, got {ratio}")
    _check_design(alpha, power)
    # statsmodels' sample 1 is the comparison group, so its ratio (nobs2 / nobs1) is ours,
    # prop2 = p_intervention and diff = p_comparison − p_intervention; "two-sided" uses
    # z_{α/2} and the near tail only, as Fleiss.
    n_comparison = float(samplesize_proportions_2indep_onetail(
        p_comparison - p_intervention, p_intervention, power, ratio=ratio, alpha=alpha,
        alternative="two-sided",
    ))
    if n_comparison == 0:
        # statsmodels clips z_{α/2}·σ0 + z_β·σ1 at 0: with power below 50 % (z_β < 0) and a
        # much larger variance under H1 than under H0 the approximation reaches the power at
        # any n, which is no plan at all.
        raise ValueError(
            f"the normal approximation reaches {power:.0%} power at any group size for "
            f"{p_comparison:.4g} -> {p_intervention:.4g} with ratio {ratio:g}: plan for a "
            "power of at least 50 %"
        )
    n_corrected = n_comparison / 4 * (
        1 + math.sqrt(1 + 2 * (ratio + 1) / (ratio * n_comparison * abs(difference)))
    ) ** 2
    return SampleSize(
        p_comparison=p_comparison,
        p_intervention=p_intervention,
        ratio=ratio,
        alpha=alpha,
        power=power,
        n_comparison=_ceil(n_comparison),
        n_intervention=_ceil(ratio * n_comparison),
        n_comparison_unrounded=n_comparison,
        n_comparison_corrected=_ceil(n_corrected),
        n_intervention_corrected=_ceil(ratio * n_corrected),
    )


def _ceil(n: float) -> int:
    """Round a sample size up, forgiving floating-point noise (76.000000001 -> 76)."""
    return math.ceil(round(n, 6))


@dataclass(frozen=True)
class DetectableDifference:
    """Smallest true difference the test would detect with the given power, both directions.

    `increase` (p_intervention above p_comparison) is the headline `difference`; `decrease`
    is the magnitude of the smallest detectable fall. Either is None when even a proportion
    of 100 % (or 0 %) would not reach the power, with `reason` saying so.

    Attributes
    ----------
    p_comparison : float
        The comparison group's proportion (0-1).
    n_intervention, n_comparison : int
        Children in each group.
    alpha, power : float
        Two-sided significance level and power.
    increase : float or None
        The smallest detectable rise (0-1 scale; 0.05 is 5 percentage points).
    decrease : float or None
        The magnitude of the smallest detectable fall.
    reason : str or None
        Why a direction has no answer.

    Examples
    --------
    See `minimum_detectable_difference`.

    >>> from pipeline.stats.power import minimum_detectable_difference
    >>> minimum_detectable_difference(0.5, 0, 12).reason
    'a group has no children, so no difference is detectable'
    """

    p_comparison: float
    n_intervention: int
    n_comparison: int
    alpha: float
    power: float
    increase: float | None
    decrease: float | None
    reason: str | None = None

    @property
    def difference(self) -> float | None:
        """The headline answer: the smallest detectable rise."""
        return self.increase

    def summary(self) -> str:
        """One line: both directions, the group sizes, power and alpha."""
        def show(value: float | None) -> str:
            return "none reachable" if value is None else f"{value:.3g}"

        text = (
            f"minimum detectable difference from {self.p_comparison:.3g} with "
            f"{self.n_intervention} + {self.n_comparison} children, {self.power:.0%} power, "
            f"two-sided alpha {self.alpha:g}: increase {show(self.increase)}, "
            f"decrease {show(self.decrease)}"
        )
        return text + (f" — {self.reason}" if self.reason else "")


def minimum_detectable_difference(
    p_comparison: float, n_intervention: int, n_comparison: int, alpha: float = 0.05,
    power: float = 0.80,
) -> DetectableDifference:
    """Smallest detectable rise and fall from p_comparison, solving the power equation.

    Solves power_two_proportions(...) = power with Brent's method in each direction (the
    same test as `sample_size_two_proportions`, no continuity correction, both tails
    counted); the rise is reported as `difference`. The power is statsmodels'
    `power_proportions_2indep` (see `power_two_proportions`); the search is the project's.

    Parameters
    ----------
    p_comparison : float
        The comparison group's proportion (0-1).
    n_intervention, n_comparison : int
        Children in each group.
    alpha : float, optional
        Two-sided significance level, 0.05 by default.
    power : float, optional
        The power wanted, 0.80 by default.

    Returns
    -------
    DetectableDifference
        The smallest detectable rise (`increase`, also `difference`) and fall
        (`decrease`), each None with a reason when out of reach.

    Raises
    ------
    ValueError
        If p_comparison is not a proportion, alpha is not in (0, 1), the power is not
        between alpha and 1, or a group size is negative.

    Examples
    --------
    R's example backwards: 77 per group give 90 % power for 0.50 -> 0.75, so the
    smallest detectable rise is just under 0.25 (and the fall, at 0.5, the same).

    >>> from pipeline.stats.power import minimum_detectable_difference
    >>> found = minimum_detectable_difference(0.50, 77, 77, power=0.90)
    >>> round(found.increase, 4), round(found.decrease, 4)
    (0.2496, 0.2496)
    """
    _check_probability("p_comparison", p_comparison)
    _check_design(alpha, power)
    for name, n in (("n_intervention", n_intervention), ("n_comparison", n_comparison)):
        if n < 0:
            raise ValueError(f"{name} must be non-negative, got {n}")
    common = {"p_comparison": p_comparison, "n_intervention": n_intervention,
              "n_comparison": n_comparison, "alpha": alpha, "power": power}
    if n_intervention == 0 or n_comparison == 0:
        return DetectableDifference(
            **common, increase=None, decrease=None,
            reason="a group has no children, so no difference is detectable",
        )

    def shortfall(p_intervention: float) -> float:
        return power_two_proportions(
            p_comparison, p_intervention, n_intervention, n_comparison, alpha
        ) - power

    def solve(limit: float) -> float | None:
        """Difference at which power is reached between p_comparison and `limit`."""
        if limit == p_comparison or shortfall(limit) < 0:
            return None
        # Start just off p_comparison, where power is about alpha < power.
        start = p_comparison + math.copysign(1e-12, limit - p_comparison)
        root = optimize.brentq(shortfall, start, limit, xtol=1e-10)
        return abs(root - p_comparison)

    increase, decrease = solve(1.0), solve(0.0)
    reasons = []
    if increase is None:
        reasons.append("no rise to at most 100 % reaches the power")
    if decrease is None:
        reasons.append("no fall to at least 0 % reaches the power")
    return DetectableDifference(
        **common, increase=increase, decrease=decrease,
        reason="; ".join(reasons) or None,
    )


# --------------------------------------------------------------------------- areas as clusters
#
# The programme is assigned by area, so children in an area share more than the programme: the
# comparison has as many independent units as there are areas, not children. Model (Hooper,
# Teerenstra, de Hoop & Eldridge 2016, Stat Med 35:4718-4728, "Sample size calculation for
# stepped wedge and other longitudinal cluster randomised trials"; Murray 1998, Design and
# Analysis of Group-Randomized Trials): a child's outcome has variance σ² = p(1 − p); the
# intra-area correlation ρ (ICC) is the share of it between areas; the cluster autocorrelation
# CAC is the correlation between an area's true proportions in two periods (1: area effects
# fixed, so a DiD removes them; 0: renewed each period). Different children are born in each
# period (repeated cross-sections), so there is no child-level correlation across periods.
#
# The analysis these functions plan for is the cluster-level one that stays valid with few
# areas: one number per area (its proportion, or for a DiD its after − before change), and a
# two-sample t test between the arms on k1 + k0 − 2 degrees of freedom (the cluster-level
# analysis Hayes & Moulton, Cluster Randomised Trials, recommend for few clusters). Power is
# that of the noncentral t with noncentrality Δ / SE(Δ), both tails counted: R's power.t.test
# (strict = TRUE), and clusterPower's cpa.binary (tdist = TRUE; Donner & Klar 2000) but for
# its one tail.
#
# Variance of one area's value, m children per area and period, cv the coefficient of
# variation of the areas' sizes (Eldridge, Ashby & Kerry 2006, Int J Epidemiol 35:1292-1300:
# design effect 1 + ((cv² + 1) m − 1) ρ, exact for an analysis weighting areas by size, an
# upper bound for the best weighting; each area the same size in both periods):
#   concurrent:  σ²/m · [1 + ((1 + cv²) m − 1) ρ]
#   DiD change:  2σ²/m · [1 + ((1 + cv²) m (1 − CAC) − 1) ρ]
# The DiD line is the cluster-mean change score of Murray (1998) (clusterPower's crtpwr.2propD
# with rho_s = 0 for cross-sections, rho_c = CAC); with cv = 0 it is Teerenstra et al. (2012,
# Stat Med 31:2169-2178) change-score factor 2(1 − r) · [1 + (m − 1) ρ] with r = m ρ CAC /
# [1 + (m − 1) ρ], Hooper et al.'s correlation of an area's means in two periods. The cv
# term in the DiD line is our composition of the two: the same size-weighting algebra as
# Eldridge's applied to Hooper's model. When the proportions differ between cells (the
# intervention arm's after-period at p + Δ) each cell keeps its own σ² and the covariance is
# ρ CAC (1 + cv²) σ_before σ_after.

Design = Literal["did", "concurrent"]
DESIGNS: tuple[str, ...] = ("did", "concurrent")
# "t": the area-level t test on k1 + k0 − 2 df (the default, honest with few areas); "normal":
# the z approximation of most published planning formulas (Donner & Klar 2000; Stata's power
# twoproportions, cluster), given for comparison with them. It overstates power with few areas.
Reference = Literal["t", "normal"]
DEFAULT_CAC = 0.8  # a planning value, not an estimate; 0 is the conservative bound
MAX_AREAS = 100_000  # searches for areas needed stop here


def design_effect(cluster_size: float, icc: float, cv_cluster_size: float = 0.0) -> float:
    """Variance inflation of a cluster mean: 1 + ((cv² + 1) m − 1) ρ (Eldridge et al. 2006).

    With equal clusters (cv = 0) this is Kish's 1 + (m − 1) ρ.

    Parameters
    ----------
    cluster_size : float
        m, the mean number of children per area (at least 1).
    icc : float
        ρ, the intra-area correlation (0-1).
    cv_cluster_size : float, optional
        The coefficient of variation of the areas' sizes (0: equal areas).

    Returns
    -------
    float
        The design effect (1 = no inflation).

    Raises
    ------
    ValueError
        If the cluster size is below 1, the ICC is not in [0, 1], or cv is negative.

    Examples
    --------
    20 children per area with ρ = 0.05: 1 + 19 · 0.05; with cv 0.5: 1 + (1.25 · 20 − 1) · 0.05.

    >>> from pipeline.stats.power import design_effect
    >>> round(design_effect(20, 0.05), 4), round(design_effect(20, 0.05, 0.5), 4)
    (1.95, 2.2)
    """
    _check_clusters(cluster_size, icc, cv_cluster_size)
    return 1 + ((cv_cluster_size**2 + 1) * cluster_size - 1) * icc


def did_design_effect(
    cluster_size: float, icc: float, cac: float = DEFAULT_CAC, cv_cluster_size: float = 0.0,
) -> float:
    """Variance of an area's after − before change relative to 2σ²/m (repeated cross-sections).

    1 + ((1 + cv²) m (1 − CAC) − 1) ρ: Murray (1998) / Hooper et al. (2016) with cv = 0; below
    1 when CAC is high, because the DiD then removes the lasting part of the area effects.

    Parameters
    ----------
    cluster_size : float
        m, the mean number of children per area and period (at least 1).
    icc : float
        ρ, the intra-area correlation (0-1).
    cac : float, optional
        The cluster autocorrelation between the periods (0-1), 0.8 by default.
    cv_cluster_size : float, optional
        The coefficient of variation of the areas' sizes.

    Returns
    -------
    float
        The DiD's design effect.

    Raises
    ------
    ValueError
        If the cluster size is below 1, ICC or CAC is not in [0, 1], or cv is negative.

    Examples
    --------
    20 children per area and period, ρ = 0.05, CAC = 0.8: 1 + (20 · 0.2 − 1) · 0.05.

    >>> from pipeline.stats.power import did_design_effect
    >>> round(did_design_effect(20, 0.05, cac=0.8), 4)
    1.15
    """
    _check_clusters(cluster_size, icc, cv_cluster_size)
    _check_probability("cac", cac)
    return 1 + ((1 + cv_cluster_size**2) * cluster_size * (1 - cac) - 1) * icc


def _check_clusters(cluster_size: float, icc: float, cv_cluster_size: float) -> None:
    """Raise ValueError unless the cluster size, ICC and size variation are usable."""
    if not cluster_size >= 1:
        raise ValueError(f"children per area must be at least 1, got {cluster_size}")
    _check_probability("icc", icc)
    if not (cv_cluster_size >= 0 and math.isfinite(cv_cluster_size)):
        raise ValueError(f"cv of the areas' sizes must be non-negative, got {cv_cluster_size}")


def _check_design_name(design: str) -> None:
    if design not in DESIGNS:
        raise ValueError(f"design must be one of {', '.join(DESIGNS)} for area-level power, "
                         f"got {design!r}")


def _area_variances(
    design: str, p_comparison: float, p_intervention: float, children_per_area: float,
    icc: float, cac: float, cv_cluster_size: float,
) -> tuple[float, float]:
    """Variance of one area's analysed value (proportion or change) in each arm.

    `children_per_area` may be math.inf: the limit of a census of endless children, where only
    the variation between areas is left.
    """
    spread = 1 + cv_cluster_size**2
    within = (1 - icc) / children_per_area  # 0 when children_per_area is infinite
    var0 = p_comparison * (1 - p_comparison)
    var1 = p_intervention * (1 - p_intervention)
    if design == "concurrent":
        return var1 * (within + spread * icc), var0 * (within + spread * icc)
    shared = spread * icc * cac
    comparison = 2 * var0 * (within + spread * icc) - 2 * var0 * shared
    intervention = (var0 + var1) * (within + spread * icc) - 2 * math.sqrt(var0 * var1) * shared
    return intervention, comparison


def _power_t(difference: float, standard_error: float, df: float, alpha: float) -> float:
    """Two-sided power of a t test on df degrees of freedom (noncentral t; normal if df = inf)."""
    if standard_error == 0:
        return 1.0 if difference != 0 else alpha
    ncp = abs(difference) / standard_error
    if math.isinf(df):
        z = stats.norm.isf(alpha / 2)
        return float(stats.norm.sf(z - ncp) + stats.norm.cdf(-z - ncp))
    if ncp > 60:  # far beyond any critical value; nct loses accuracy out here
        return 1.0
    critical = stats.t.isf(alpha / 2, df)
    near = float(stats.nct.sf(critical, df, ncp))
    # scipy 1.17's nct.cdf returns NaN in the far tail for noncentrality above about 7.6 (e.g.
    # df 74, ncp 8.8); that tail (significance in the wrong direction) is below 1e-6 there.
    far = float(stats.nct.cdf(-critical, df, ncp))
    if not math.isfinite(near):
        raise ArithmeticError(f"noncentral t failed at df {df}, noncentrality {ncp}")
    return near + (far if math.isfinite(far) else 0.0)


def _cluster_power(
    design: str, p_comparison: float, difference: float, areas_intervention: float,
    areas_comparison: float, children_per_area: float, icc: float, cac: float,
    cv_cluster_size: float, alpha: float, reference: str = "t",
) -> float:
    """Power without argument checks (areas may be math.inf for a limit)."""
    var1, var0 = _area_variances(design, p_comparison, p_comparison + difference,
                                 children_per_area, icc, cac, cv_cluster_size)
    standard_error = math.sqrt(var1 / areas_intervention + var0 / areas_comparison)
    df = areas_intervention + areas_comparison - 2 if reference == "t" else math.inf
    return _power_t(difference, standard_error, df, alpha)


def _check_reference(reference: str) -> None:
    if reference not in ("t", "normal"):
        raise ValueError(f"reference must be 't' or 'normal', got {reference!r}")


def cluster_power(
    p_comparison: float, difference: float, areas_intervention: int, areas_comparison: int,
    children_per_area: float, icc: float, *, design: Design = "did", cac: float = DEFAULT_CAC,
    cv_cluster_size: float = 0.0, alpha: float = 0.05, reference: Reference = "t",
) -> float:
    """Power of the area-level t test for a true difference (DiD or concurrent), analytic.

    For a DiD the comparison arm stays at p_comparison and the intervention arm moves from
    p_comparison to p_comparison + difference; children_per_area is per area and period.

    Parameters
    ----------
    p_comparison : float
        The comparison arm's proportion (0-1).
    difference : float
        The true difference (or DiD) on the 0-1 scale.
    areas_intervention, areas_comparison : int
        Areas in each arm (at least one each, three in all).
    children_per_area : float
        Children per area (and period, for a DiD).
    icc : float
        The intra-area correlation ρ of the outcome (0-1), e.g. from `estimate_icc`.
    design : {"did", "concurrent"}, optional
        A DiD of areas before and after (default) or a concurrent comparison of areas.
    cac : float, optional
        The cluster autocorrelation between an area's two periods (0-1; DiD only), 0.8 by
        default: a planning value, 0 the conservative bound.
    cv_cluster_size : float, optional
        The coefficient of variation of the areas' sizes.
    alpha : float, optional
        Two-sided significance level, 0.05 by default.
    reference : {"t", "normal"}, optional
        The area-level t test on k1 + k0 − 2 df (default) or the normal approximation.

    Returns
    -------
    float
        The power (0-1).

    Raises
    ------
    ValueError
        If the design or reference is unknown, a proportion, ICC or CAC is out of range,
        the cluster size is below 1, alpha is not in (0, 1), or the areas leave no
        degrees of freedom.

    Examples
    --------
    Without correlation between children (ρ = 0) and with the normal reference, 5 + 5
    areas of 100 children comparing 0.5 with 0.6 have the power of a z test with
    SE = √(0.24/500 + 0.25/500) = 0.0313: Φ(0.1/0.0313 − 1.96) = 0.89. A DiD from 0.6 with
    ρ = 0.02 and the t test on 8 df has far less:

    >>> from pipeline.stats.power import cluster_power
    >>> round(cluster_power(0.5, 0.1, 5, 5, 100, 0.0, design="concurrent", reference="normal"), 4)
    0.8915
    >>> round(cluster_power(0.6, 0.1, 5, 5, 100, 0.02), 4)
    0.4117
    """
    _check_design_name(design)
    _check_reference(reference)
    _check_probability("p_comparison", p_comparison)
    _check_probability("p_comparison + difference", p_comparison + difference)
    _check_clusters(children_per_area, icc, cv_cluster_size)
    _check_probability("cac", cac)
    if not 0 < alpha < 1:
        raise ValueError(f"alpha must lie between 0 and 1, got {alpha}")
    if areas_intervention < 1 or areas_comparison < 1 or areas_intervention + areas_comparison < 3:
        raise ValueError(
            f"{areas_intervention} + {areas_comparison} areas leave the area-level test no degrees "
            "of freedom: at least one area per arm and three in all are needed")
    return _cluster_power(design, p_comparison, difference, areas_intervention, areas_comparison,
                          children_per_area, icc, cac, cv_cluster_size, alpha, reference)


# --------------------------------------------------------------------------- simulation


@dataclass(frozen=True)
class SimulatedPower:
    """Share of simulated studies in which the area-level t test rejects, with its MC error.

    Attributes
    ----------
    design, p_comparison, difference, icc, cac, alpha, seed
        The study simulated, as given to `simulate_cluster_power`.
    areas_intervention, areas_comparison, children_per_area, simulations : int
        Its areas per arm, children per area (and period) and simulated studies.
    power : float
        The share of simulated studies that rejected (0-1).
    monte_carlo_se : float
        Its Monte Carlo standard error √(power (1 − power) / simulations).
    mean_estimate : float
        The mean simulated estimate of the difference (checks the simulation).

    Examples
    --------
    See `simulate_cluster_power`.

    >>> from pipeline.stats.power import simulate_cluster_power
    >>> simulated = simulate_cluster_power(0.6, 0.1, 5, 5, 100, 0.02, simulations=200)
    >>> simulated.summary()  # doctest: +NORMALIZE_WHITESPACE
    'simulated power 41.0% (± 3.5%) over 200 studies of 5 + 5 areas × 100 children, did,
    difference +0.1 from 0.6, ICC 0.02, CAC 0.8'
    """

    design: str
    p_comparison: float
    difference: float
    areas_intervention: int
    areas_comparison: int
    children_per_area: int
    icc: float
    cac: float
    alpha: float
    simulations: int
    seed: int
    power: float
    monte_carlo_se: float  # √(power (1 − power) / simulations)
    mean_estimate: float  # mean simulated estimate of the difference (checks the simulation)

    def summary(self) -> str:
        """One line: the simulated power, its Monte Carlo error and the study."""
        return (
            f"simulated power {self.power:.1%} (± {self.monte_carlo_se:.1%}) over "
            f"{self.simulations:,} studies of {self.areas_intervention} + {self.areas_comparison} "
            f"areas × {self.children_per_area} children, {self.design}, difference "
            f"{self.difference:+.3g} from {self.p_comparison:.3g}, ICC {self.icc:g}"
            + (f", CAC {self.cac:g}" if self.design == "did" else "")
        )


class _SimulatedStudies:
    """Draws for `simulations` studies, reused (common random numbers) across differences.

    Each area-period's true proportion is Beta with the cell's mean μ and ICC ρ (so a child's
    outcome is beta-binomial with exactly that ICC: Var P = ρ μ (1 − μ)); an area's two periods
    are tied by a Gaussian copula with correlation CAC (for beta margins the correlation of
    the proportions themselves is slightly below CAC when μ is near 0 or 1). Counts are
    binomial by inverse CDF from stored uniforms, so a larger difference moves every
    simulated study the same way and the power search below is stable.
    """

    def __init__(self, design: str, p_comparison: float, areas_intervention: int,
                 areas_comparison: int, children_per_area: int, icc: float, cac: float,
                 alpha: float, simulations: int, seed: int) -> None:
        rng = np.random.default_rng(seed)
        self.design, self.p, self.m, self.icc = design, p_comparison, children_per_area, icc
        self.k1, self.k0 = areas_intervention, areas_comparison
        periods = 2 if design == "did" else 1
        shape = (simulations, self.k1 + self.k0, periods)
        latent = rng.standard_normal(shape)
        if periods == 2:  # after = CAC · before + √(1 − CAC²) · fresh
            latent[..., 1] = cac * latent[..., 0] + math.sqrt(1 - cac**2) * latent[..., 1]
        self.quantile_area = stats.norm.cdf(latent)
        self.quantile_child = 1 - rng.random(shape)  # in (0, 1], where binom.ppf is defined
        self.critical = float(stats.t.isf(alpha / 2, self.k1 + self.k0 - 2))
        self.base = self._shares(p_comparison, np.s_[:, :, :])

    def _shares(self, mean: float, cells: Any) -> np.ndarray:
        """Observed proportions in the given cells when their true mean is `mean`."""
        if self.icc == 0 or mean in (0.0, 1.0):
            truth = np.full(self.quantile_area[cells].shape, mean)
        else:
            scale = 1 / self.icc - 1
            truth = stats.beta.ppf(self.quantile_area[cells], mean * scale, (1 - mean) * scale)
        return stats.binom.ppf(self.quantile_child[cells], self.m, truth) / self.m

    def test(self, difference: float) -> tuple[np.ndarray, np.ndarray]:
        """(rejections, estimates) of the area-level t test when the truth is `difference`."""
        shares = self.base.copy()
        moved = np.s_[:, : self.k1, -1]  # the intervention arm's (after-)period
        shares[moved] = self._shares(self.p + difference, moved)
        value = shares[..., -1] - shares[..., 0] if self.design == "did" else shares[..., 0]
        treated, control = value[:, : self.k1], value[:, self.k1:]
        estimate = treated.mean(axis=1) - control.mean(axis=1)
        residual = (((treated - treated.mean(axis=1, keepdims=True)) ** 2).sum(axis=1)
                    + ((control - control.mean(axis=1, keepdims=True)) ** 2).sum(axis=1))
        df = self.k1 + self.k0 - 2
        se = np.sqrt(residual / df * (1 / self.k1 + 1 / self.k0))
        with np.errstate(divide="ignore", invalid="ignore"):
            # se = 0 only when every area has the same value: reject iff the arms differ.
            t = np.where(se > 0, np.abs(estimate) / se, np.where(estimate != 0, np.inf, 0.0))
        return t > self.critical, estimate


def _check_simulation(areas_intervention: int, areas_comparison: int, children_per_area: int,
                      simulations: int) -> None:
    for name, value in (("areas_intervention", areas_intervention),
                        ("areas_comparison", areas_comparison),
                        ("children_per_area", children_per_area), ("simulations", simulations)):
        if int(value) != value or value < 1:
            raise ValueError(f"{name} must be a positive whole number, got {value}")
    if areas_intervention + areas_comparison < 3:
        raise ValueError(
            f"{areas_intervention} + {areas_comparison} areas leave the area-level test no degrees "
            "of freedom: at least one area per arm and three in all are needed")


def simulate_cluster_power(
    p_comparison: float, difference: float, areas_intervention: int, areas_comparison: int,
    children_per_area: int, icc: float, *, design: Design = "did", cac: float = DEFAULT_CAC,
    alpha: float = 0.05, simulations: int = 1000, seed: int = 1,
) -> SimulatedPower:
    """Power of the area-level t test by simulating the study (beta-binomial areas), seeded.

    Each simulated study has the given areas and children per area (and period); the test is
    the two-sample t test of the areas' values (DiD: their after − before changes) on
    k1 + k0 − 2 degrees of freedom, which keeps its level with few areas, unlike a child-level
    test. Equal area sizes.

    Parameters
    ----------
    p_comparison : float
        The comparison arm's proportion (0-1).
    difference : float
        The true difference (or DiD) on the 0-1 scale.
    areas_intervention, areas_comparison : int
        Areas in each arm (whole numbers, three in all at least).
    children_per_area : int
        Children per area (and period, for a DiD).
    icc : float
        The intra-area correlation ρ of the outcome (0-1), e.g. from `estimate_icc`.
    design : {"did", "concurrent"}, optional
        A DiD of areas before and after (default) or a concurrent comparison of areas.
    cac : float, optional
        The cluster autocorrelation between an area's two periods (0-1; DiD only), 0.8 by
        default: a planning value, 0 the conservative bound.
    alpha : float, optional
        Two-sided significance level, 0.05 by default.
    simulations : int, optional
        Simulated studies, 1000 by default.
    seed : int, optional
        Seed of the simulation.

    Returns
    -------
    SimulatedPower
        The simulated power with its Monte Carlo error.

    Raises
    ------
    ValueError
        If the design is unknown, a proportion, ICC or CAC is out of range, alpha is not
        in (0, 1), a count is not a positive whole number, or the areas leave no degrees of
        freedom.

    Examples
    --------
    The DiD of `cluster_power`'s example (analytic power 0.41), simulated 200 times:

    >>> from pipeline.stats.power import simulate_cluster_power
    >>> simulated = simulate_cluster_power(0.6, 0.1, 5, 5, 100, 0.02, simulations=200, seed=1)
    >>> simulated.power, round(simulated.monte_carlo_se, 3)
    (0.41, 0.035)
    """
    _check_design_name(design)
    _check_probability("p_comparison", p_comparison)
    _check_probability("p_comparison + difference", p_comparison + difference)
    _check_probability("icc", icc)
    _check_probability("cac", cac)
    if not 0 < alpha < 1:
        raise ValueError(f"alpha must lie between 0 and 1, got {alpha}")
    _check_simulation(areas_intervention, areas_comparison, children_per_area, simulations)
    studies = _SimulatedStudies(design, p_comparison, int(areas_intervention),
                                int(areas_comparison), int(children_per_area), icc, cac, alpha,
                                int(simulations), seed)
    rejected, estimate = studies.test(difference)
    power = float(rejected.mean())
    return SimulatedPower(
        design=design, p_comparison=p_comparison, difference=difference,
        areas_intervention=int(areas_intervention), areas_comparison=int(areas_comparison),
        children_per_area=int(children_per_area), icc=icc, cac=cac, alpha=alpha,
        simulations=int(simulations), seed=seed, power=power,
        monte_carlo_se=math.sqrt(power * (1 - power) / simulations),
        mean_estimate=float(estimate.mean()),
    )


# --------------------------------------------------------------------------- detectable, needed


@dataclass(frozen=True)
class DetectableClusterDifference:
    """Smallest true difference (DiD or concurrent) the area-level test detects, both directions.

    `increase` is the headline `difference`; either direction is None, with `reason`, when no
    difference up to 100 % (down to 0 %) reaches the power.

    Attributes
    ----------
    design, p_comparison, icc, cac, cv_cluster_size, alpha, power, method, reference
        The plan, as given to `minimum_detectable_did`.
    areas_intervention, areas_comparison : int
        Areas per arm.
    children_per_area : float
        Children per area (and period, for a DiD).
    degrees_of_freedom : int
        The area-level test's k1 + k0 − 2.
    design_effect : float
        The design effect at p_comparison (`did_design_effect` or `design_effect`).
    increase, decrease : float or None
        The smallest detectable rise and fall (0-1 scale).
    reason : str or None
        Why a direction has no answer.
    simulations : int or None
        Simulated studies, for the simulation method.

    Examples
    --------
    See `minimum_detectable_did`.

    >>> from pipeline.stats.power import minimum_detectable_did
    >>> minimum_detectable_did(0.6, 1, 1, 100, 0.02).increase is None
    True
    """

    design: str
    p_comparison: float
    areas_intervention: int
    areas_comparison: int
    children_per_area: float
    icc: float
    cac: float
    cv_cluster_size: float
    alpha: float
    power: float
    method: str  # "analytic" or "simulation"
    reference: str  # "t" or "normal" (analytic only)
    degrees_of_freedom: int
    design_effect: float  # design_effect (concurrent) or did_design_effect (DiD) at p_comparison
    increase: float | None
    decrease: float | None
    reason: str | None = None
    simulations: int | None = None

    @property
    def difference(self) -> float | None:
        """The headline answer: the smallest detectable rise."""
        return self.increase

    def to_row(self) -> dict[str, Any]:
        """The columns the power table publishes."""
        return {"design": self.design, "n_areas_intervention": self.areas_intervention,
                "n_areas_comparison": self.areas_comparison,
                "children_per_area": self.children_per_area, "icc": self.icc,
                "cac": self.cac if self.design == "did" else None,
                "design_effect": self.design_effect, "df": self.degrees_of_freedom,
                "mdd_cluster": self.increase, "mdd_cluster_decrease": self.decrease,
                "method": self.method, "reason": self.reason or ""}

    def summary(self) -> str:
        """One line: both directions in percentage points, with the plan."""
        def show(value: float | None) -> str:
            return "none reachable" if value is None else f"{value * 100:.1f} pp"

        what = "difference-in-differences" if self.design == "did" else "difference"
        per = " per period" if self.design == "did" else ""
        test = (f"t test on {self.degrees_of_freedom} degrees of freedom"
                if self.reference == "t" or self.method == "simulation"
                else "normal approximation")
        how = (f"{self.simulations:,} simulated studies" if self.method == "simulation"
               else "analytic")
        text = (
            f"{self.areas_intervention} + {self.areas_comparison} areas of "
            f"{self.children_per_area:g} children{per}, smallest detectable {what} from "
            f"{self.p_comparison:.3g} ({self.power:.0%} power, two-sided alpha {self.alpha:g}, "
            f"ICC {self.icc:g}" + (f", CAC {self.cac:g}" if self.design == "did" else "")
            + f"; area-level {test}, {how}): rise {show(self.increase)}, "
            f"fall {show(self.decrease)}"
        )
        return text + (f" — {self.reason}" if self.reason else "")


def minimum_detectable_did(
    p_comparison: float, areas_intervention: int, areas_comparison: int,
    children_per_area: float, icc: float, *, design: Design = "did", cac: float = DEFAULT_CAC,
    cv_cluster_size: float = 0.0, alpha: float = 0.05, power: float = 0.80,
    method: Literal["analytic", "simulation"] = "analytic", simulations: int = 1000,
    seed: int = 1, reference: Reference = "t",
) -> DetectableClusterDifference:
    """Smallest detectable rise and fall with areas as clusters (area-level t test).

    "analytic" solves `cluster_power` = power (Brent); "simulation" bisects the simulated
    power of `simulate_cluster_power` over one set of seeded draws (equal area sizes, so
    cv_cluster_size must be 0). children_per_area is per area and period for a DiD.

    Parameters
    ----------
    p_comparison : float
        The comparison arm's proportion (0-1).
    areas_intervention, areas_comparison : int
        Areas in each arm (non-negative whole numbers).
    children_per_area : float
        Children per area (and period, for a DiD).
    icc : float
        The intra-area correlation ρ of the outcome (0-1), e.g. from `estimate_icc`.
    design : {"did", "concurrent"}, optional
        A DiD of areas before and after (default) or a concurrent comparison of areas.
    cac : float, optional
        The cluster autocorrelation between an area's two periods (0-1; DiD only), 0.8 by
        default: a planning value, 0 the conservative bound.
    cv_cluster_size : float, optional
        The coefficient of variation of the areas' sizes (0 for the simulation).
    alpha : float, optional
        Two-sided significance level, 0.05 by default.
    power : float, optional
        The power wanted, 0.80 by default.
    method : {"analytic", "simulation"}, optional
        Solve the analytic power (default) or bisect the simulated one.
    simulations : int, optional
        Simulated studies (simulation method).
    seed : int, optional
        Seed of the simulation.
    reference : {"t", "normal"}, optional
        The area-level t test (default) or the normal approximation (analytic only).

    Returns
    -------
    DetectableClusterDifference
        The smallest detectable rise and fall, the design effect and the df; a direction
        is None, with the reason, when out of reach, and both are when the areas leave no
        degrees of freedom.

    Raises
    ------
    ValueError
        If the design, reference or method is unknown, a proportion, ICC or CAC is out of
        range, alpha or power is out of range, the cluster size is below 1, an area count
        is negative or fractional, or cv_cluster_size is not 0 for the simulation.

    Examples
    --------
    5 + 5 areas of 100 children per period, ρ = 0.02, CAC = 0.8: the area-level t test on
    8 df detects a DiD of 16 percentage points from 60 % with 80 % power.

    >>> from pipeline.stats.power import minimum_detectable_did
    >>> found = minimum_detectable_did(0.6, 5, 5, 100, 0.02)
    >>> round(found.increase, 3), round(found.decrease, 3), found.degrees_of_freedom
    (0.16, 0.165, 8)
    """
    _check_design_name(design)
    _check_reference(reference)
    _check_probability("p_comparison", p_comparison)
    _check_design(alpha, power)
    _check_clusters(children_per_area, icc, cv_cluster_size)
    _check_probability("cac", cac)
    if method not in ("analytic", "simulation"):
        raise ValueError(f"method must be 'analytic' or 'simulation', got {method!r}")
    if method == "simulation" and cv_cluster_size:
        raise ValueError("the simulation draws equal areas: give cv_cluster_size = 0")
    for name, n in (("areas_intervention", areas_intervention),
                    ("areas_comparison", areas_comparison)):
        if n < 0 or int(n) != n:
            raise ValueError(f"{name} must be a non-negative whole number, got {n}")
    df = areas_intervention + areas_comparison - 2
    inflation = (did_design_effect(children_per_area, icc, cac, cv_cluster_size)
                 if design == "did" else design_effect(children_per_area, icc, cv_cluster_size))
    common = {"design": design, "p_comparison": p_comparison,
              "areas_intervention": areas_intervention, "areas_comparison": areas_comparison,
              "children_per_area": children_per_area, "icc": icc, "cac": cac,
              "cv_cluster_size": cv_cluster_size, "alpha": alpha, "power": power,
              "method": method, "reference": reference, "degrees_of_freedom": max(df, 0),
              "design_effect": inflation,
              "simulations": simulations if method == "simulation" else None}
    if areas_intervention < 1 or areas_comparison < 1 or df < 1:
        return DetectableClusterDifference(
            **common, increase=None, decrease=None,
            reason=(f"with {areas_intervention} + {areas_comparison} areas the area-level test has "
                    "no degrees of freedom: no difference of any size can be shown"),
        )

    if method == "analytic":
        def shortfall(difference: float) -> float:
            return _cluster_power(design, p_comparison, difference, areas_intervention,
                                  areas_comparison, children_per_area, icc, cac,
                                  cv_cluster_size, alpha, reference) - power

        def solve(limit: float) -> float | None:
            if limit == p_comparison or shortfall(limit - p_comparison) < 0:
                return None
            start = math.copysign(1e-12, limit - p_comparison)
            return abs(optimize.brentq(shortfall, start, limit - p_comparison, xtol=1e-10))
    else:
        studies = _SimulatedStudies(design, p_comparison, int(areas_intervention),
                                    int(areas_comparison), int(children_per_area), icc, cac,
                                    alpha, int(simulations), seed)

        def reaches(difference: float) -> bool:
            return bool(studies.test(difference)[0].mean() >= power)

        def solve(limit: float) -> float | None:
            far = limit - p_comparison
            if far == 0 or not reaches(far):
                return None
            near = 0.0
            while abs(far - near) > 5e-4:  # bisection to 0.05 pp
                middle = (near + far) / 2
                near, far = (near, middle) if reaches(middle) else (middle, far)
            return abs(far)

    increase, decrease = solve(1.0), solve(0.0)
    reasons = []
    areas = f"{areas_intervention} + {areas_comparison} areas"
    if increase is None and decrease is None:
        reasons.append(f"with {areas} no difference of any size (not even up to 100 % or "
                       f"down to 0 %) reaches {power:.0%} power; the area-level test has "
                       f"{df} degrees of freedom")
    elif increase is None:
        reasons.append(f"with {areas} no rise up to 100 % reaches {power:.0%} power")
    elif decrease is None:
        reasons.append(f"with {areas} no fall down to 0 % reaches {power:.0%} power")
    return DetectableClusterDifference(
        **common, increase=increase, decrease=decrease, reason="; ".join(reasons) or None,
    )


@dataclass(frozen=True)
class AreasNeeded:
    """Areas and children needed for a named difference with areas as clusters (analytic).

    `areas_intervention_needed` / `areas_comparison_needed`: areas per arm at the given
    children per area, comparison areas = ⌈comparison_per_intervention × intervention areas⌉.
    With the study's own areas given: `children_per_area_needed` keeping those areas, and
    `comparison_areas_needed` keeping its intervention areas. Any answer is None, with
    `reason`, when no number reaches the power (Hemming et al. 2011, BMC Med Res Methodol
    11:102: with a fixed number of clusters more children per cluster cannot make up for
    variation between clusters).

    Attributes
    ----------
    design, p_comparison, difference, children_per_area, icc, cac, cv_cluster_size
        The plan, as given to `areas_needed`.
    comparison_per_intervention, alpha, power, reference
        The rest of the plan, likewise.
    areas_intervention_needed, areas_comparison_needed : int or None
        Areas per arm needed at the given children per area.
    power_achieved : float or None
        The power with those areas.
    areas_intervention, areas_comparison : int or None
        The study's own areas, when given.
    power_with_study_areas : float or None
        The power the study's areas have.
    children_per_area_needed : int or None
        Children per area needed with the study's areas.
    comparison_areas_needed : int or None
        Comparison areas needed with the study's intervention areas.
    power_limit_children, power_limit_comparison_areas : float or None
        The most power endless children per area, or endless comparison areas, could give.
    reason : str or None
        Why an answer is None.

    Examples
    --------
    See `areas_needed`.

    >>> from pipeline.stats.power import areas_needed
    >>> areas_needed(0.6, 0.1, 100, 0.02).to_row()["n_areas_intervention_needed"]
    12
    """

    design: str
    p_comparison: float
    difference: float
    children_per_area: float
    icc: float
    cac: float
    cv_cluster_size: float
    comparison_per_intervention: float
    alpha: float
    power: float
    reference: str
    areas_intervention_needed: int | None
    areas_comparison_needed: int | None
    power_achieved: float | None  # with the areas needed
    areas_intervention: int | None = None  # the study's areas, when given
    areas_comparison: int | None = None
    power_with_study_areas: float | None = None
    children_per_area_needed: int | None = None
    comparison_areas_needed: int | None = None
    power_limit_children: float | None = None  # study's areas, endless children per area
    power_limit_comparison_areas: float | None = None  # study's intervention areas, endless comparison
    reason: str | None = None

    def to_row(self) -> dict[str, Any]:
        """The columns the power table publishes."""
        return {"design": self.design, "difference_named": self.difference,
                "n_areas_intervention_needed": self.areas_intervention_needed,
                "n_areas_comparison_needed": self.areas_comparison_needed,
                "power_with_study_areas": self.power_with_study_areas,
                "children_per_area_needed": self.children_per_area_needed,
                "n_areas_comparison_needed_keeping_intervention": self.comparison_areas_needed,
                "reason": self.reason or ""}

    def summary(self) -> str:
        """The areas (and children) needed, and what the study's own areas give, as text."""
        parts = [f"to detect {self.difference * 100:+.1f} pp from {self.p_comparison:.3g} with "
                 f"{self.power:.0%} power ({self.design}, ICC {self.icc:g}"
                 + (f", CAC {self.cac:g}" if self.design == "did" else "") + "):"]
        if self.areas_intervention_needed is not None:
            parts.append(f"{self.areas_intervention_needed} intervention + "
                         f"{self.areas_comparison_needed} comparison areas of "
                         f"{self.children_per_area:g} children")
        if self.power_with_study_areas is not None:
            parts.append(f"the study's {self.areas_intervention} + {self.areas_comparison} areas "
                         f"have {self.power_with_study_areas:.0%} power")
        if self.children_per_area_needed is not None:
            parts.append(f"or {self.children_per_area_needed} children per area in the study's "
                         "areas")
        if self.comparison_areas_needed is not None:
            parts.append(f"or {self.comparison_areas_needed} comparison areas with the study's "
                         f"{self.areas_intervention} intervention areas")
        text = " ".join(parts[:1]) + " " + "; ".join(parts[1:])
        return text + (f" — {self.reason}" if self.reason else "")


def _smallest_whole(reaches: Callable[[int], bool], low: int, high: int) -> int | None:
    """Smallest n in [low, high] with reaches(n), for reaches increasing in n; None if none."""
    if not reaches(high):
        return None
    if reaches(low):
        return low
    step = 1
    while low + step < high and not reaches(low + step):  # gallop, then bisect
        low, step = low + step, step * 2
    high = min(low + step, high)
    while high - low > 1:
        middle = (low + high) // 2
        low, high = (low, middle) if reaches(middle) else (middle, high)
    return high


def areas_needed(
    p_comparison: float, difference: float, children_per_area: float, icc: float, *,
    design: Design = "did", cac: float = DEFAULT_CAC, cv_cluster_size: float = 0.0,
    comparison_per_intervention: float = 1.0, areas_intervention: int | None = None,
    areas_comparison: int | None = None, alpha: float = 0.05, power: float = 0.80,
    reference: Reference = "t",
) -> AreasNeeded:
    """Areas per arm (and children per area) needed to detect `difference`, analytic power.

    Searches the smallest whole numbers for which `cluster_power` reaches `power`; searches
    stop at MAX_AREAS areas per arm and 10 million children per area.

    Parameters
    ----------
    p_comparison : float
        The comparison arm's proportion (0-1).
    difference : float
        The difference (or DiD) to detect, 0-1 scale, not 0.
    children_per_area : float
        Children per area (and period, for a DiD).
    icc : float
        The intra-area correlation ρ of the outcome (0-1), e.g. from `estimate_icc`.
    design : {"did", "concurrent"}, optional
        A DiD of areas before and after (default) or a concurrent comparison of areas.
    cac : float, optional
        The cluster autocorrelation between an area's two periods (0-1; DiD only), 0.8 by
        default: a planning value, 0 the conservative bound.
    cv_cluster_size : float, optional
        The coefficient of variation of the areas' sizes.
    comparison_per_intervention : float, optional
        Comparison areas per intervention area, 1 by default.
    areas_intervention, areas_comparison : int, optional
        The study's own areas (both or neither), for what they can do.
    alpha : float, optional
        Two-sided significance level, 0.05 by default.
    power : float, optional
        The power wanted, 0.80 by default.
    reference : {"t", "normal"}, optional
        The area-level t test (default) or the normal approximation.

    Returns
    -------
    AreasNeeded
        Areas per arm needed, and with the study's areas their power, the children per
        area and the comparison areas needed; an answer out of reach is None, with the
        reason.

    Raises
    ------
    ValueError
        If the design or reference is unknown, the difference is 0, a proportion, ICC or
        CAC is out of range, alpha or power is out of range, the cluster size is below 1,
        comparison_per_intervention is not positive, or only one of the study's area
        counts is given.

    Examples
    --------
    A DiD of 10 percentage points from 60 % with 100 children per area and period,
    ρ = 0.02: 12 + 12 areas; a study of 3 + 3 areas has 22 % power, and no number of
    children per area can lift it to 80 %.

    >>> from pipeline.stats.power import areas_needed
    >>> plan = areas_needed(0.6, 0.1, 100, 0.02, areas_intervention=3, areas_comparison=3)
    >>> plan.areas_intervention_needed, plan.areas_comparison_needed
    (12, 12)
    >>> round(plan.power_with_study_areas, 2), plan.children_per_area_needed
    (0.22, None)
    """
    _check_design_name(design)
    _check_reference(reference)
    _check_probability("p_comparison", p_comparison)
    if difference == 0:
        raise ValueError("difference must be non-zero: no number of areas detects no difference")
    _check_probability("p_comparison + difference", p_comparison + difference)
    _check_design(alpha, power)
    _check_clusters(children_per_area, icc, cv_cluster_size)
    _check_probability("cac", cac)
    if not (comparison_per_intervention > 0 and math.isfinite(comparison_per_intervention)):
        raise ValueError("comparison_per_intervention must be positive, got "
                         f"{comparison_per_intervention}")
    if (areas_intervention is None) != (areas_comparison is None):
        raise ValueError("give both the study's areas_intervention and areas_comparison, or neither")

    def power_at(k1: float, k0: float, m: float) -> float:
        return _cluster_power(design, p_comparison, difference, k1, k0, m, icc, cac,
                              cv_cluster_size, alpha, reference)

    def comparison_for(k1: int) -> int:
        return max(_ceil(comparison_per_intervention * k1), 1 if k1 >= 2 else 2)

    reasons = []
    k1 = _smallest_whole(lambda k: power_at(k, comparison_for(k), children_per_area) >= power,
                         1, MAX_AREAS)
    if k1 is None:
        reasons.append(f"not even {MAX_AREAS:,} intervention areas of {children_per_area:g} "
                       f"children reach {power:.0%} power")
    result: dict[str, Any] = {
        "areas_intervention_needed": k1,
        "areas_comparison_needed": None if k1 is None else comparison_for(k1),
        "power_achieved": None if k1 is None else power_at(k1, comparison_for(k1),
                                                           children_per_area),
    }
    if areas_intervention is not None and areas_comparison is not None:
        k1_study, k0_study = areas_intervention, areas_comparison
        result |= {"areas_intervention": k1_study, "areas_comparison": k0_study}
        if k1_study < 1 or k0_study < 1 or k1_study + k0_study < 3:
            reasons.append(f"with {k1_study} + {k0_study} areas the area-level test has no degrees "
                           "of freedom: no number of children can help")
        else:
            result["power_with_study_areas"] = power_at(k1_study, k0_study, children_per_area)
            ceiling = power_at(k1_study, k0_study, math.inf)
            result["power_limit_children"] = ceiling
            m = _smallest_whole(lambda n: power_at(k1_study, k0_study, n) >= power, 1, 10**7)
            result["children_per_area_needed"] = m
            if m is None:
                reasons.append(
                    f"with {k1_study} + {k0_study} areas no number of children per area reaches "
                    f"{power:.0%} power: even counting every child of endless cohorts, the "
                    f"differences between areas leave {ceiling:.0%}")
            k0 = _smallest_whole(lambda n: power_at(k1_study, n, children_per_area) >= power,
                                 max(1, 3 - k1_study), MAX_AREAS)
            result["comparison_areas_needed"] = k0
            limit = power_at(k1_study, math.inf, children_per_area)
            result["power_limit_comparison_areas"] = limit
            if k0 is None:
                reasons.append(
                    f"with {k1_study} intervention areas of {children_per_area:g} children no number "
                    f"of comparison areas reaches {power:.0%} power (at most {limit:.0%})")
    return AreasNeeded(
        design=design, p_comparison=p_comparison, difference=difference,
        children_per_area=children_per_area, icc=icc, cac=cac, cv_cluster_size=cv_cluster_size,
        comparison_per_intervention=comparison_per_intervention, alpha=alpha, power=power,
        reference=reference, reason="; ".join(reasons) or None, **result,
    )


# --------------------------------------------------------------------------- ICC from data


@dataclass(frozen=True)
class IccEstimate:
    """ANOVA estimate of the intra-area correlation of a binary outcome, truncated at 0.

    Attributes
    ----------
    icc : float
        max(0, icc_unbounded): what the power functions take.
    icc_unbounded : float
        The ANOVA estimate, which can be negative.
    areas, children : int
        Areas and children it rests on.
    n0 : float
        The ANOVA's average area size.

    Examples
    --------
    See `estimate_icc`.

    >>> from pipeline.stats.power import estimate_icc
    >>> estimate_icc([1, 1, 1, 0, 0, 0, 0, 1], ["A"] * 4 + ["B"] * 4).summary()
    'ICC 0.2000 from 8 children in 2 areas (ANOVA estimator)'
    """

    icc: float  # max(0, icc_unbounded): what the power functions take
    icc_unbounded: float
    areas: int
    children: int
    n0: float  # the ANOVA's average area size (N − Σn²/N) / (k − 1)

    def summary(self) -> str:
        """One line: the ICC and what it rests on."""
        note = " (negative estimate truncated at 0)" if self.icc_unbounded < 0 else ""
        return (f"ICC {self.icc:.4f}{note} from {self.children:,} children in {self.areas} areas "
                "(ANOVA estimator)")


def estimate_icc(outcome: Any, area: Any) -> IccEstimate:
    """Intra-area correlation of a 0/1 outcome by the ANOVA estimator, truncated at 0.

    Ridout, Demétrio & Firth (1999, Biometrics 55:137-148), the estimator of aod::iccbin
    method "C": with k areas of n_i children, Y_i events, N = Σn_i,
      MSB = (Σ Y_i²/n_i − (ΣY_i)²/N) / (k − 1),  MSW = (ΣY_i − Σ Y_i²/n_i) / (N − k),
      n0 = (N − Σ n_i²/N) / (k − 1),  ρ = (MSB − MSW) / (MSB + (n0 − 1) MSW).
    For a DiD, estimate within one period (or pass area × period cells as `area`), or trends
    between periods count as variation between areas. With few areas the estimate is very
    imprecise; plan with a range.

    Parameters
    ----------
    outcome : array_like of 0/1
        The outcome per child, no missing values.
    area : array_like
        The area label per child.

    Returns
    -------
    IccEstimate
        The ICC (truncated at 0), the untruncated estimate, areas, children and n0.

    Raises
    ------
    ValueError
        If the outcome is not 0/1 or has missing values, the inputs are not
        one-dimensional of one length, or there are fewer than two areas or no more
        children than areas.

    Examples
    --------
    Two areas of 4 with 3 and 1 events: MSB = (9/4 + 1/4 − 16/8) / 1 = 0.5,
    MSW = (4 − 2.5) / 6 = 0.25, n0 = 4, ρ = (0.5 − 0.25) / (0.5 + 3 · 0.25) = 0.2.

    >>> from pipeline.stats.power import estimate_icc
    >>> result = estimate_icc([1, 1, 1, 0, 0, 0, 0, 1], ["A"] * 4 + ["B"] * 4)
    >>> round(result.icc, 4), result.areas, result.n0
    (0.2, 2, 4.0)
    """
    try:
        y = np.asarray(outcome, dtype=float)
    except (TypeError, ValueError) as error:
        raise ValueError(f"outcome must be 0/1 (drop missing values first): {error}") from None
    labels = np.asarray(area)
    if y.ndim != 1 or labels.shape != y.shape:
        raise ValueError("outcome and area must be one-dimensional and of the same length")
    missing = int(np.isnan(y).sum())
    if missing:
        raise ValueError(f"{missing} outcomes are missing: drop them (and count them) first")
    if not np.isin(y, (0.0, 1.0)).all():
        raise ValueError("outcome must be 0/1 (binary)")
    # the areas in sorted order, as np.unique gives them (its sort of a million texts is slow)
    index, _ = pd.factorize(labels, sort=True)
    if (index < 0).any():  # a missing label: left to np.unique, as before
        _, index = np.unique(labels, return_inverse=True)
    n = np.bincount(index).astype(float)
    events = np.bincount(index, weights=y)
    k, total = len(n), n.sum()
    if k < 2 or total <= k:
        raise NotEstimable(f"an ICC needs at least two areas and more children than areas, got {k} "
                         f"areas and {int(total)} children")
    between_ss = (events**2 / n).sum() - events.sum() ** 2 / total
    msb = between_ss / (k - 1)
    msw = (events.sum() - (events**2 / n).sum()) / (total - k)
    n0 = (total - (n**2).sum() / total) / (k - 1)
    denominator = msb + (n0 - 1) * msw
    rho = 0.0 if denominator == 0 else float((msb - msw) / denominator)  # 0: no variation at all
    return IccEstimate(icc=max(rho, 0.0), icc_unbounded=rho, areas=k, children=int(total),
                       n0=float(n0))
