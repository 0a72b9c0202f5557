"""What a programme costs per unit, and per additional child reaching an outcome.

- `unit_cost`: an amount per family, per contact or per child; none (never a division by
  zero) where there are no units.
- `cost_per_outcome`: the incremental cost-effectiveness ratio of a programme against usual
  care that costs nothing extra: its cost divided by the additional children reaching an
  outcome, effect x children, with a confidence interval; or why there is none.

The interval. The costs are fixed budgets, known rather than sampled, so all the uncertainty
of the ratio R = C / (N b) is the effect b's (C the cost, N the children the effect applies
to). For b > 0 the ratio is a strictly decreasing function of b, so when [L, U] is a
confidence interval for b with L > 0,

    [C / (N U), C / (N L)]

is a confidence interval for R of the same level, exactly: R lies in it when and only when b
lies in [L, U]. Whatever made the effect's interval (Wald, the inversion of a wild cluster
bootstrap test, asymmetric or not), the ratio's interval carries it over unchanged. This is
Fieller's interval for a ratio whose numerator has no variance (Fieller 1954, J R Stat Soc B
16:175; for cost-effectiveness ratios Chaudhary & Stearns 1996, Stat Med 15:1447): the set
{R : (C/N - R b)^2 <= z^2 R^2 se(b)^2} is [C / (N (b + z se)), C / (N (b - z se))] when
b - z se > 0, the inverted Wald interval. When the effect's interval includes 0, Fieller's
set is unbounded — no additional child is consistent with the data, and the cost per
additional child could be any amount, however large: it is not estimable, and no number is
given (not a division by zero, nor an "infinite" bound). When the whole interval lies below
0 the programme did not improve the outcome and there is no cost per additional child: a
negative ratio would read as a saving, which it is not.

Why not a bootstrap of the ratio itself. A parametric bootstrap of b from its interval would
assume a symmetric normal b, which an interval from inverting a bootstrap test need not be;
a nonparametric bootstrap would have to repeat the effect's estimator (with two intervention
areas, resampling areas means little), and percentile intervals of a ratio break down when
replicates of b come near or cross 0 (Heitjan, Moskowitz & Whang 1999, Med Decis Making
19:9). Where the effect's interval excludes 0, a percentile interval of C / (N b*) over
replicates b* is the inverted percentile interval of b*, the monotone map again: inverting
the effect's own interval gives what a bootstrap of the ratio would, without one. Polsky et
al. (1997, Health Econ 6:243) find Fieller's and the bootstrap's intervals the two that keep
their coverage.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

STATUSES = ("estimated", "not_estimable", "not_improved")
# Why a cost per additional child is not given, as codes a report words in its language.
REASONS: dict[str, str] = {
    "interval_includes_zero": "the effect's interval includes zero (no additional child), so the "
                              "cost per additional child could be any amount, however large",
    "effect_below_zero": "the effect's whole interval lies below zero: the programme did not "
                         "improve this outcome, so there is no cost per additional child",
    "no_effect_estimate": "the effect could not be estimated",
    "no_effect_interval": "the effect has no confidence interval, so the cost per additional "
                          "child has none either",
    "not_additive": "the effect is a ratio, which does not say how many more children reached "
                    "the outcome",
    "no_children": "no children the effect applies to",
}


def unit_cost(amount: float, units: float) -> float | None:
    """An amount per unit (family, contact, child); None where there are no units.

    Parameters
    ----------
    amount : float
        The cost, e.g. in kronor.
    units : float
        How many units it is spread over (families, contacts); 0 gives None.

    Returns
    -------
    float or None
        `amount / units`, or None when `units` is 0 (there is no cost per unit of nothing).

    Raises
    ------
    ValueError
        If `units` is negative or either value is not finite.

    Examples
    --------
    >>> from pipeline.stats.costs import unit_cost
    >>> unit_cost(2_000_000, 80)
    25000.0
    >>> unit_cost(2_000_000, 0) is None
    True
    """
    if not (math.isfinite(amount) and math.isfinite(units)):
        raise ValueError(f"amount ({amount}) and units ({units}) must be finite numbers")
    if units < 0:
        raise ValueError(f"units cannot be negative ({units})")
    return None if units == 0 else amount / units


@dataclass(frozen=True)
class CostPerOutcome:
    """The cost per additional child reaching an outcome, with its interval, or why there is none.

    Attributes
    ----------
    cost : float
        The programme's cost behind the ratio (kronor).
    children : int
        The children the effect applies to (the intervention group).
    effect, effect_ci_low, effect_ci_high : float or None
        The effect on the share reaching the outcome (0-1 scale) and its interval.
    estimate : float or None
        cost / (effect x children); None unless `status` is "estimated".
    ci_low, ci_high : float or None
        Its interval: cost / (children x effect_ci_high) to cost / (children x effect_ci_low).
    status : {"estimated", "not_estimable", "not_improved"}
        Whether there is a ratio; "not_improved" when the effect's whole interval is below 0.
    reason : str or None
        Why there is none, a key of `REASONS`.
    confidence : float
        The level of the effect's interval, and so of the ratio's.

    Examples
    --------
    >>> from pipeline.stats.costs import cost_per_outcome
    >>> result = cost_per_outcome(2_000_000, 100, 0.08, 0.04, 0.125)
    >>> result.summary()
    'cost per additional child: 250,000 (95% CI 160,000 to 500,000); 8 more of 100 children'
    >>> result.additional_children, result.additional_interval
    (8.0, (4.0, 12.5))
    """

    cost: float
    children: int
    effect: float | None
    effect_ci_low: float | None
    effect_ci_high: float | None
    estimate: float | None = None
    ci_low: float | None = None
    ci_high: float | None = None
    status: str = "estimated"
    reason: str | None = None
    confidence: float = 0.95

    def __post_init__(self) -> None:
        if self.status not in STATUSES:
            raise ValueError(f"status must be one of {STATUSES}, not {self.status!r}")
        if self.status != "estimated" and self.reason not in REASONS:
            raise ValueError(f"a cost per outcome that is {self.status} needs a reason of "
                             f"{sorted(REASONS)}, not {self.reason!r}")
        if self.estimate is not None and not self.estimate > 0:
            raise ValueError(f"a cost per additional child must be positive, not {self.estimate}")

    @classmethod
    def not_estimable(cls, cost: float, children: int, reason: str, effect: float | None = None,
                      effect_ci_low: float | None = None, effect_ci_high: float | None = None,
                      confidence: float = 0.95) -> CostPerOutcome:
        """No ratio, with the reason (a key of `REASONS`).

        Examples
        --------
        >>> from pipeline.stats.costs import CostPerOutcome
        >>> CostPerOutcome.not_estimable(2e6, 100, "not_additive", effect=1.3).status
        'not_estimable'
        """
        return cls(cost, children, effect, effect_ci_low, effect_ci_high, status="not_estimable",
                   reason=reason, confidence=confidence)

    @property
    def additional_children(self) -> float | None:
        """Children reaching the outcome because of the programme: effect x children."""
        return None if self.effect is None else self.effect * self.children

    @property
    def additional_interval(self) -> tuple[float | None, float | None]:
        """The interval of `additional_children` (the effect's, times the children)."""
        if self.effect_ci_low is None or self.effect_ci_high is None:
            return None, None
        return self.effect_ci_low * self.children, self.effect_ci_high * self.children

    def to_row(self, **keys: Any) -> dict[str, Any]:
        """The result as one table row, then `keys` (indicator, method, …).

        Examples
        --------
        >>> from pipeline.stats.costs import cost_per_outcome
        >>> row = cost_per_outcome(1e6, 50, -0.02, -0.10, 0.06).to_row(indicator="bf_any_6m")
        >>> row["status"], row["reason"], row["cost_per_additional_child"]
        ('not_estimable', 'interval_includes_zero', None)
        """
        low, high = self.additional_interval
        return {"cost_sek": self.cost, "children": self.children, "effect": self.effect,
                "effect_ci_low": self.effect_ci_low, "effect_ci_high": self.effect_ci_high,
                "additional_children": self.additional_children, "additional_ci_low": low,
                "additional_ci_high": high, "cost_per_additional_child": self.estimate,
                "ci_low": self.ci_low, "ci_high": self.ci_high, "status": self.status,
                "reason": self.reason or "", **keys}

    def summary(self) -> str:
        """One line: the ratio and its interval, or why there is none."""
        if self.estimate is None:
            return f"cost per additional child: {self.status.replace('_', ' ')} — {REASONS[self.reason]}"
        return (f"cost per additional child: {self.estimate:,.0f} ({self.confidence:.0%} CI "
                f"{self.ci_low:,.0f} to {self.ci_high:,.0f}); {self.additional_children:.3g} more "
                f"of {self.children} children")


def cost_per_outcome(cost: float, children: int, effect: float | None, ci_low: float | None,
                     ci_high: float | None, *, confidence: float = 0.95) -> CostPerOutcome:
    """The cost per additional child reaching an outcome, its interval by inverting the effect's.

    See the module docstring for why the interval is the effect's own, turned round:
    cost / (children x ci_high) to cost / (children x ci_low), exact when the costs are known
    and the effect's interval lies above 0.

    Parameters
    ----------
    cost : float
        The programme's cost over the years the children were born in (kronor), > 0.
    children : int
        The children the effect applies to (all of the intervention group, for an
        intention-to-treat effect).
    effect : float or None
        The effect on the share reaching the outcome (0-1 scale: a risk difference or a
        difference-in-differences); None when it could not be estimated.
    ci_low, ci_high : float or None
        The effect's confidence interval.
    confidence : float, optional
        The level of that interval (0.95).

    Returns
    -------
    CostPerOutcome
        Status "estimated" with the ratio and interval when the effect's interval lies wholly
        above 0; "not_improved" (reason "effect_below_zero") when it lies wholly below 0;
        otherwise "not_estimable" with the reason ("interval_includes_zero",
        "no_effect_estimate", "no_effect_interval", "no_children").

    Raises
    ------
    ValueError
        If `cost` is not a positive finite number, `children` is negative, or the interval
        does not hold the effect.

    Examples
    --------
    A programme costing 2,000,000 kronor for 100 children, with an effect of 8 percentage
    points (95% CI 4 to 12.5): 8 more children reach the outcome, at 250,000 kronor each,
    between 2,000,000 / 12.5 = 160,000 and 2,000,000 / 4 = 500,000.

    >>> from pipeline.stats.costs import cost_per_outcome
    >>> result = cost_per_outcome(2_000_000, 100, 0.08, 0.04, 0.125)
    >>> result.estimate, result.ci_low, result.ci_high
    (250000.0, 160000.0, 500000.0)

    An interval that includes 0 gives no ratio, and says why:

    >>> result = cost_per_outcome(2_000_000, 100, 0.05, -0.01, 0.11)
    >>> result.status, result.estimate, result.reason
    ('not_estimable', None, 'interval_includes_zero')

    An effect wholly below 0 is no improvement, never a negative cost:

    >>> cost_per_outcome(2_000_000, 100, -0.06, -0.10, -0.02).status
    'not_improved'
    """
    if not (math.isfinite(cost) and cost > 0):
        raise ValueError(f"the cost must be a positive number of kronor, not {cost}")
    if children < 0:
        raise ValueError(f"children cannot be negative ({children})")
    if effect is not None and ci_low is not None and ci_high is not None \
            and not ci_low <= effect <= ci_high:
        raise ValueError(f"the interval [{ci_low}, {ci_high}] does not hold the effect {effect}")
    keep = {"effect": effect, "effect_ci_low": ci_low, "effect_ci_high": ci_high,
            "confidence": confidence}
    if effect is None:
        return CostPerOutcome.not_estimable(cost, children, "no_effect_estimate", **keep)
    if ci_low is None or ci_high is None:
        return CostPerOutcome.not_estimable(cost, children, "no_effect_interval", **keep)
    if children == 0:
        return CostPerOutcome.not_estimable(cost, children, "no_children", **keep)
    if ci_high < 0:
        return CostPerOutcome(cost, children, effect, ci_low, ci_high, status="not_improved",
                              reason="effect_below_zero", confidence=confidence)
    if ci_low <= 0:
        return CostPerOutcome.not_estimable(cost, children, "interval_includes_zero", **keep)
    # a decreasing map of the effect: its upper bound gives the ratio's lower bound
    return CostPerOutcome(cost, children, effect, ci_low, ci_high,
                          estimate=cost / (children * effect), ci_low=cost / (children * ci_high),
                          ci_high=cost / (children * ci_low), confidence=confidence)
