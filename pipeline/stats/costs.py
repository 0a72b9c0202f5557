"""What a programme costs per unit, and per additional child reaching an outcome.

- `unit_cost`: an amount per family, per contact or per child; none (never a division by
  zero) where there are no units.
- `cost_per_outcome`: the incremental cost-effectiveness ratio of a programme against usual
  care that costs nothing extra: its cost divided by the additional children reaching an
  outcome, effect x children, with a confidence interval, as an `Estimate`; or, flagged, why
  there is none.

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

from pipeline.stats.results import FLAGS, Estimate, NotEstimable

MEASURE = "cost_per_additional_child"
# The interval is the effect's, turned round (see the module docstring).
METHOD = "inverted_effect_interval"
# Why a cost per additional child is not given: the `FLAGS` ids `cost_per_outcome` flags a
# result without a ratio with, and their meaning (the result's `reason`).
REASONS: dict[str, str] = {code: FLAGS[code] for code in (
    "interval_includes_zero", "effect_below_zero", "no_effect_estimate", "no_effect_interval",
    "not_additive", "no_children")}


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


def cost_per_outcome(cost: float, children: int, effect: float | None, ci_low: float | None,
                     ci_high: float | None, *, additive: bool = True,
                     confidence: float = 0.95) -> Estimate:
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
    additive : bool, optional
        Whether the effect is a difference of shares (True); a ratio (a hazard ratio) says
        nothing of how many more children reached the outcome, and gives no cost per child.
    confidence : float, optional
        The level of that interval (0.95), and so of the ratio's.

    Returns
    -------
    Estimate
        Measure "cost_per_additional_child", method "inverted_effect_interval", n the
        children: the ratio and its interval when the effect's interval lies wholly above 0.
        Otherwise not estimable, with one flag, a key of `REASONS`, saying why (its meaning
        the `reason`): "effect_below_zero" when the effect's interval lies wholly below 0 (the
        programme did not improve the outcome), else "interval_includes_zero",
        "no_effect_estimate", "not_additive", "no_effect_interval" or "no_children". `details`
        holds the cost and the effect with its interval, for a reader.

    Raises
    ------
    ValueError
        If `cost` is not a positive finite number, `children` is negative, or the interval
        of an additive effect does not hold the effect.

    Examples
    --------
    A programme costing 2,000,000 kronor for 100 children, with an effect of 8 percentage
    points (95% CI 4 to 12.5): 8 more children reach the outcome, at 250,000 kronor each,
    between 2,000,000 / 12.5 = 160,000 and 2,000,000 / 4 = 500,000.

    >>> from pipeline.stats.costs import cost_per_outcome
    >>> result = cost_per_outcome(2_000_000, 100, 0.08, 0.04, 0.125)
    >>> result.estimate, result.ci_low, result.ci_high, result.n
    (250000.0, 160000.0, 500000.0, 100)

    An interval that includes 0 gives no ratio, and says why:

    >>> result = cost_per_outcome(2_000_000, 100, 0.05, -0.01, 0.11)
    >>> result.estimable, result.flags
    (False, ('interval_includes_zero',))
    >>> "the cost per additional child could be any amount" in result.reason
    True

    An effect wholly below 0 is no improvement, never a negative cost:

    >>> cost_per_outcome(2_000_000, 100, -0.06, -0.10, -0.02).flags
    ('effect_below_zero',)
    """
    if not (math.isfinite(cost) and cost > 0):
        raise ValueError(f"the cost must be a positive number of kronor, not {cost}")
    if children < 0:
        raise ValueError(f"children cannot be negative ({children})")
    fields = {"n": children, "confidence": confidence,
              "details": {"cost": cost, "effect": effect, "effect_ci_low": ci_low,
                          "effect_ci_high": ci_high}}

    def no_ratio(code: str) -> Estimate:
        return Estimate.not_estimable(MEASURE, METHOD, NotEstimable(REASONS[code], kind=code),
                                      **fields)

    if effect is None:
        return no_ratio("no_effect_estimate")
    if not additive:
        return no_ratio("not_additive")
    if ci_low is None or ci_high is None:
        return no_ratio("no_effect_interval")
    if not ci_low <= effect <= ci_high:
        raise ValueError(f"the interval [{ci_low}, {ci_high}] does not hold the effect {effect}")
    if children == 0:
        return no_ratio("no_children")
    if ci_high < 0:
        return no_ratio("effect_below_zero")
    if ci_low <= 0:
        return no_ratio("interval_includes_zero")
    # a decreasing map of the effect: its upper bound gives the ratio's lower bound
    return Estimate(MEASURE, METHOD, cost / (children * effect), cost / (children * ci_high),
                    cost / (children * ci_low), **fields)
