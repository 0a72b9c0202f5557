"""Power and sample size for comparing two proportions (two-sided test, normal approximation).

The test is the usual z (Pearson chi-square) test: pooled variance under H0, unpooled under
H1; the sample-size formula ignores the negligible far tail (a significant result in the
wrong direction), the power function counts it — Fleiss, Levin & Paik, Statistical Methods for Rates
and Proportions (3rd ed., 2003, chapter 4, including unequal groups). For equal groups this is
R's power.prop.test (strict = FALSE) and statsmodels' samplesize_proportions_2indep_onetail.
The Fleiss–Tytun–Ury (1980) continuity-corrected n is given alongside; it approximates the
n needed by Fisher's exact test / the corrected chi-square and suits small pilots better.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from scipy import optimize, stats


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
    both rejection tails.
    """
    _check_probability("p_comparison", p_comparison)
    _check_probability("p_intervention", p_intervention)
    if not 0 < alpha < 1:
        raise ValueError(f"alpha must lie between 0 and 1, got {alpha}")
    if n_intervention <= 0 or n_comparison <= 0:
        raise ValueError("both groups need at least one child to have any power")
    difference = abs(p_intervention - p_comparison)
    pooled = (n_intervention * p_intervention + n_comparison * p_comparison) / (
        n_intervention + n_comparison
    )
    se_null = math.sqrt(pooled * (1 - pooled) * (1 / n_intervention + 1 / n_comparison))
    se_alternative = math.sqrt(
        p_intervention * (1 - p_intervention) / n_intervention
        + p_comparison * (1 - p_comparison) / n_comparison
    )
    z_alpha = stats.norm.isf(alpha / 2)
    near, far = difference - z_alpha * se_null, -difference - z_alpha * se_null
    if se_alternative == 0:  # both proportions 0 or 1: the outcome is deterministic
        return 1.0 if near > 0 else 0.0
    # Both rejection tails, as Stata's power twoproportions and statsmodels; the far tail
    # (a significant result in the wrong direction) is negligible except for tiny effects.
    return float(stats.norm.cdf(near / se_alternative) + stats.norm.cdf(far / se_alternative))


@dataclass(frozen=True)
class SampleSize:
    """Children needed per group to detect a named difference, with and without correction."""

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
        return self.n_comparison + self.n_intervention

    @property
    def total_corrected(self) -> int:
        return self.n_comparison_corrected + self.n_intervention_corrected

    def summary(self) -> str:
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
    z_alpha = stats.norm.isf(alpha / 2)
    z_beta = stats.norm.ppf(power)
    pooled = (ratio * p_intervention + p_comparison) / (1 + ratio)
    spread = (
        z_alpha * math.sqrt((1 + ratio) * pooled * (1 - pooled))
        + z_beta * math.sqrt(
            p_intervention * (1 - p_intervention) + ratio * p_comparison * (1 - p_comparison)
        )
    )
    n_comparison = spread**2 / (ratio * difference**2)
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
        return self.increase

    def summary(self) -> str:
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
    counted); the rise is reported as `difference`.
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
