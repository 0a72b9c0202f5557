"""Monitoring a binary indicator over time and across areas: p-charts and funnel plots.

What quality registers publish for an indicator such as "vaccinated with MMR by 24
months": a Shewhart p-chart of the share per quarter against a centre line and 3-sigma
limits (Montgomery, Introduction to Statistical Quality Control, ch. 7), with the run
rule of eight points on one side of the centre line; and a funnel plot of the areas'
shares against their numbers of children, with 95 % and 99.8 % limits around a target
(Spiegelhalter 2005, "Funnel plots for comparing institutional performance", Stat Med
24:1185–1202). Pure functions of aggregated counts; the pipeline draws them.
"""

from __future__ import annotations

import numbers
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.stats import binom, norm

from pipeline.stats._design import as_finite
from pipeline.stats.proportions import check_counts
from pipeline.stats.results import NotEstimable

# Why a point or unit has no proportion, limits or classification (as `proportion` says it).
NO_CHILDREN = "no children in the denominator (n = 0)"
# A centre line (or target) of 0 or 1 leaves no binomial variation: the limits collapse onto
# it, and a chart says so (as a `FLAGS` id) instead of flagging every other point.
COLLAPSED = {0.0: "centre_is_zero", 1.0: "centre_is_one"}
FUNNEL_METHODS = ("exact", "normal")


def _numbers(values: object, name: str) -> np.ndarray:
    """Counts as a 1-D float array, none missing (`as_finite` rejects text and infinities)."""
    array = as_finite(np.atleast_1d(values), name)
    if np.isnan(array).any():
        raise ValueError(f"{name} are missing; give 0 events and 0 children for an empty period "
                         "or area")
    return array


def _counts(events: object, denominators: object, what: str) -> tuple[np.ndarray, np.ndarray]:
    """Events and denominators as integer arrays, each pair checked by `check_counts`."""
    events_array = _numbers(events, f"{what} events")
    totals = _numbers(denominators, f"{what} denominators")
    if events_array.shape != totals.shape:
        raise ValueError(f"{what}: {events_array.size} event counts but {totals.size} denominators")
    if events_array.size == 0:
        raise ValueError(f"{what}: no counts given")
    for position, (x, n) in enumerate(zip(events_array, totals, strict=True)):
        check_counts(x, n, f"{what} {position}")
    return events_array.astype(np.int64), totals.astype(np.int64)


def _is_number(value: object) -> bool:
    """A real number (numpy's included), not a bool."""
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def _read_only(array: np.ndarray) -> np.ndarray:
    """The array, no longer writable, so that a frozen result stays as computed."""
    array.setflags(write=False)
    return array


def _shares(events: np.ndarray, denominators: np.ndarray) -> np.ndarray:
    """events / n per point, NaN where n = 0."""
    return np.where(denominators > 0, events / np.maximum(denominators, 1), np.nan)


def _percent(level: float) -> str:
    """0.95 -> "95", 0.998 -> "99.8" (for labels and column names)."""
    return f"{level * 100:.10g}"


def _check_levels(levels: Sequence[float]) -> tuple[float, ...]:
    checked = tuple(sorted({float(level) for level in levels}))
    if not checked or not all(0 < level < 1 for level in checked):
        raise ValueError(f"levels must lie between 0 and 1 (e.g. 0.95, 0.998), got {tuple(levels)}")
    return checked


@dataclass(frozen=True)
class PChart:
    """A p-chart: each point's proportion against a centre line and sigma limits.

    Attributes
    ----------
    events, denominators : numpy.ndarray of int
        Children with the event, and children, per point (e.g. per quarter).
    proportion : numpy.ndarray
        events / denominators; NaN where a point has no children.
    centre : float
        The centre line p̄: the baseline's events over its children.
    lower, upper : numpy.ndarray
        p̄ ∓ sigma·√(p̄(1 − p̄)/n) per point, truncated to [0, 1]; NaN where n = 0.
    outside : tuple of str
        Per point "above" (over the upper limit), "below" (under the lower limit) or "".
    runs : tuple of tuple of int
        Positions of each run: `run_length` or more consecutive points on one side of the
        centre line (a point on the line ends a run; a point without children is skipped).
    sigma : float
        Width of the limits in standard errors.
    run_length : int
        Points in a row on one side that make a run.
    baseline_events, baseline_denominator : int
        The totals the centre line rests on.
    baseline_given : bool
        Whether the baseline was given (comparison areas, the period before the start)
        rather than the plotted points themselves.
    note : str
        A `FLAGS` id when the chart cannot flag anything ("centre_is_zero",
        "centre_is_one": the limits collapse onto the centre line); "" otherwise.

    Examples
    --------
    >>> from pipeline.stats.monitoring import p_chart
    >>> chart = p_chart([20, 10, 0], [100, 100, 100], baseline_events=50,
    ...                 baseline_denominators=500)
    >>> chart.centre, chart.outside
    (0.1, ('above', '', 'below'))
    """

    events: np.ndarray
    denominators: np.ndarray
    proportion: np.ndarray
    centre: float
    lower: np.ndarray
    upper: np.ndarray
    outside: tuple[str, ...]
    runs: tuple[tuple[int, ...], ...]
    sigma: float
    run_length: int
    baseline_events: int
    baseline_denominator: int
    baseline_given: bool
    note: str = ""

    def to_frame(self) -> pd.DataFrame:
        """One row per point: counts, proportion, centre, limits, outside, run, reason, note.

        `run` is "above" or "below" for a point in a run, else ""; `reason` says why a point
        has no proportion.

        Examples
        --------
        >>> from pipeline.stats.monitoring import p_chart
        >>> p_chart([5, 0], [50, 0]).to_frame()[["proportion", "reason"]].values.tolist()
        [[0.1, ''], [nan, 'no children in the denominator (n = 0)']]
        """
        run = [""] * len(self.events)
        for positions in self.runs:
            side = "above" if self.proportion[positions[0]] > self.centre else "below"
            for position in positions:
                run[position] = side
        return pd.DataFrame({
            "point": np.arange(len(self.events)),
            "events": self.events,
            "denominator": self.denominators,
            "proportion": self.proportion,
            "centre": self.centre,
            "lower": self.lower,
            "upper": self.upper,
            "outside": list(self.outside),
            "run": run,
            "reason": [NO_CHILDREN if n == 0 else "" for n in self.denominators],
            "note": self.note,
        })


def _runs(proportion: np.ndarray, centre: float, run_length: int) -> tuple[tuple[int, ...], ...]:
    """Positions of each stretch of `run_length` or more points on one side of the centre."""
    found: list[tuple[int, ...]] = []
    current: list[int] = []
    current_side = 0
    for position, share in enumerate(proportion):
        if np.isnan(share):
            continue  # no children: no point on the chart, so it neither counts nor breaks
        side = int(np.sign(share - centre))
        if side != 0 and side == current_side:
            current.append(position)
            continue
        if len(current) >= run_length:
            found.append(tuple(current))
        current, current_side = ([position], side) if side != 0 else ([], 0)
    if len(current) >= run_length:
        found.append(tuple(current))
    return tuple(found)


def p_chart(
    events: Sequence[int],
    denominators: Sequence[int],
    *,
    baseline_events: Sequence[int] | int | None = None,
    baseline_denominators: Sequence[int] | int | None = None,
    sigma: float = 3.0,
    run_length: int = 8,
) -> PChart:
    """Shewhart p-chart of a proportion over time, with the run rule of 8 on one side.

    Centre line p̄ = Σ baseline events / Σ baseline children; limits per point
    p̄ ± sigma·√(p̄(1 − p̄)/nᵢ), truncated to [0, 1] (Montgomery, Introduction to Statistical
    Quality Control, ch. 7: the chart for fraction nonconforming with variable sample size).
    A point is flagged above or below when it lies strictly outside its limits; `run_length`
    points in a row on one side of the centre line make a run (Western Electric's rule;
    Nelson's uses 9, NHS "Making Data Count" 7).

    Parameters
    ----------
    events : sequence of int
        Children with the event per point (e.g. per quarter of birth).
    denominators : sequence of int
        Children per point; a point with 0 children gets no proportion, limits or flag.
    baseline_events, baseline_denominators : sequence of int or int, optional
        What the centre line rests on: the comparison areas in the same quarters, or the
        quarters before the programme started. Both or neither; by default the plotted
        points themselves.
    sigma : float, optional
        Width of the limits in standard errors, 3 by default.
    run_length : int, optional
        Points in a row on one side of the centre line that make a run, 8 by default.

    Returns
    -------
    PChart
        Proportions, centre line, limits, which points lie outside them, and the runs. When
        p̄ is 0 or 1 the limits collapse onto it and nothing is flagged; `note` says so.

    Raises
    ------
    ValueError
        If counts are not whole numbers with 0 <= events <= children, the lengths differ,
        only one of the baseline arguments is given, `sigma` is not a positive number or
        `run_length` is less than 2.
    NotEstimable
        If the baseline has no children, so that there is no centre line.

    Examples
    --------
    p̄ = 50/500 = 0.10; at n = 100 the limits are 0.10 ± 3·√(0.1·0.9/100) = 0.10 ± 0.09:

    >>> from pipeline.stats.monitoring import p_chart
    >>> chart = p_chart([20, 10, 0], [100, 100, 100], baseline_events=50,
    ...                 baseline_denominators=500)
    >>> chart.lower.round(4).tolist(), chart.upper.round(4).tolist(), chart.outside
    ([0.01, 0.01, 0.01], [0.19, 0.19, 0.19], ('above', '', 'below'))
    """
    counts, children = _counts(events, denominators, "point")
    if (baseline_events is None) != (baseline_denominators is None):
        raise ValueError("give both baseline_events and baseline_denominators, or neither")
    if not (_is_number(sigma) and np.isfinite(sigma) and sigma > 0):
        raise ValueError(f"sigma must be a positive number of standard errors, got {sigma!r}")
    if isinstance(run_length, bool) or not isinstance(run_length, int | np.integer) or run_length < 2:
        raise ValueError(f"run_length must be a whole number of at least 2, got {run_length!r}")
    baseline_given = baseline_events is not None
    if baseline_given:
        base_counts, base_children = _counts(baseline_events, baseline_denominators, "baseline")
    else:
        base_counts, base_children = counts, children
    total_events, total_children = int(base_counts.sum()), int(base_children.sum())
    if total_children == 0:
        raise NotEstimable("no children in the baseline, so there is no centre line")
    centre = total_events / total_children

    proportion = _shares(counts, children)
    half_width = sigma * np.sqrt(centre * (1 - centre) / np.where(children > 0, children, np.nan))
    lower = np.clip(centre - half_width, 0.0, 1.0)
    upper = np.clip(centre + half_width, 0.0, 1.0)
    note = COLLAPSED.get(centre, "")
    if note:
        outside: tuple[str, ...] = ("",) * len(counts)
        runs: tuple[tuple[int, ...], ...] = ()
    else:
        outside = tuple("above" if share > high else "below" if share < low else ""
                        for share, low, high in zip(proportion, lower, upper, strict=True))
        runs = _runs(proportion, centre, int(run_length))
    return PChart(
        events=_read_only(counts), denominators=_read_only(children),
        proportion=_read_only(proportion), centre=centre,
        lower=_read_only(lower), upper=_read_only(upper), outside=outside, runs=runs,
        sigma=float(sigma), run_length=int(run_length), baseline_events=total_events,
        baseline_denominator=total_children, baseline_given=baseline_given, note=note,
    )


@dataclass(frozen=True)
class FunnelLimits:
    """Funnel-plot control limits around a target proportion, per number of children.

    Attributes
    ----------
    target : float
        The proportion the funnel is centred on.
    method : str
        "exact" (Spiegelhalter's interpolated binomial limits) or "normal".
    levels : tuple of float
        The levels, ascending (0.95, 0.998).
    denominators : numpy.ndarray of int
        The numbers of children the limits are for.
    lower, upper : numpy.ndarray
        One row per level, one column per denominator; in [0, 1], NaN where n = 0.

    Examples
    --------
    >>> from pipeline.stats.monitoring import funnel_limits
    >>> funnel_limits(0.5, [4]).to_frame().round(4).values.tolist()
    [[4.0, 0.5, 0.0, 0.9, 0.0, 0.996]]
    """

    target: float
    method: str
    levels: tuple[float, ...]
    denominators: np.ndarray
    lower: np.ndarray
    upper: np.ndarray

    def columns(self) -> dict[str, np.ndarray]:
        """The limits by column name: lower_95, upper_95, lower_99.8, upper_99.8, ...

        Examples
        --------
        >>> from pipeline.stats.monitoring import funnel_limits
        >>> list(funnel_limits(0.5, [4]).columns())
        ['lower_95', 'upper_95', 'lower_99.8', 'upper_99.8']
        """
        named: dict[str, np.ndarray] = {}
        for row, level in enumerate(self.levels):
            named[f"lower_{_percent(level)}"] = self.lower[row]
            named[f"upper_{_percent(level)}"] = self.upper[row]
        return named

    def to_frame(self) -> pd.DataFrame:
        """One row per denominator: denominator, target and the limits at each level.

        Examples
        --------
        >>> from pipeline.stats.monitoring import funnel_limits
        >>> list(funnel_limits(0.5, [4, 10]).to_frame().columns)[:3]
        ['denominator', 'target', 'lower_95']
        """
        return pd.DataFrame({"denominator": self.denominators, "target": self.target,
                             **self.columns()})


def _exact_limit(target: float, children: np.ndarray, probability: float) -> np.ndarray:
    """Spiegelhalter's (2005, appendix A.1.1) interpolated binomial p-quantile over n."""
    quantile = binom.ppf(probability, children, target)  # r_p: smallest r with F(r) >= p
    at_quantile = binom.cdf(quantile, children, target)
    below_quantile = binom.cdf(quantile - 1, children, target)
    alpha = (at_quantile - probability) / (at_quantile - below_quantile)
    return (quantile - alpha) / children


def funnel_limits(
    target: float,
    denominators: Sequence[int],
    *,
    levels: Sequence[float] = (0.95, 0.998),
    method: str = "exact",
) -> FunnelLimits:
    """Funnel-plot limits around a target proportion for each number of children.

    For a level such as 0.95 the limits are the p = 0.025 and p = 0.975 points of
    Binomial(n, target), as a proportion of n. "exact" is Spiegelhalter's (2005, appendix
    A.1.1) interpolation: with r_p the p-quantile and F the binomial distribution function,
    α = (F(r_p) − p) / (F(r_p) − F(r_p − 1)) and the limit is (r_p − α)/n. The
    interpolation spreads the jump at r_p over (r_p − 1, r_p], so at small n the upper
    limit can fall below r_p/n and flag r_p children, whose one-sided tail probability
    exceeds p (Seaton & Manktelow 2012 show the same for Poisson limits). "normal" is
    target ± z·√(target(1 − target)/n). Both are kept within [0, 1].

    Parameters
    ----------
    target : float
        The proportion to compare against, 0 to 1.
    denominators : sequence of int
        Numbers of children; 0 gives NaN limits.
    levels : sequence of float, optional
        Two-sided levels, (0.95, 0.998) by default (about 2 and 3 standard errors).
    method : {"exact", "normal"}, optional
        Spiegelhalter's interpolated binomial limits (default) or the normal approximation.

    Returns
    -------
    FunnelLimits
        Lower and upper limits per level and denominator. A target of 0 or 1 leaves no
        variation: both limits equal the target.

    Raises
    ------
    ValueError
        If the target is not between 0 and 1, a denominator is not a non-negative whole
        number, a level is not between 0 and 1, or the method is unknown.

    Examples
    --------
    Binomial(4, 0.5): F(3) = 15/16 < 0.975 <= F(4) = 1, so r = 4,
    α = (1 − 0.975)/(1 − 15/16) = 0.4 and the upper 95 % limit is (4 − 0.4)/4 = 0.9:

    >>> from pipeline.stats.monitoring import funnel_limits
    >>> limits = funnel_limits(0.5, [4, 10])
    >>> limits.upper[0].round(4).tolist(), limits.lower[0].round(4).tolist()
    ([0.9, 0.7676], [0.0, 0.1324])
    """
    if not (_is_number(target) and 0 <= target <= 1):
        raise ValueError(f"target must be a proportion between 0 and 1, got {target!r}")
    if method not in FUNNEL_METHODS:
        raise ValueError(f"unknown funnel method {method!r}; choose one of {list(FUNNEL_METHODS)}")
    checked_levels = _check_levels(levels)
    totals = _numbers(denominators, "denominators")
    for position, n in enumerate(totals):
        check_counts(0, n, f"denominator {position}")
    children = totals.astype(np.int64)
    usable = children > 0
    lower = np.full((len(checked_levels), len(children)), np.nan)
    upper = np.full_like(lower, np.nan)
    for row, level in enumerate(checked_levels):
        tail = (1 - level) / 2
        n = children[usable]
        if target in (0, 1):
            low = high = np.full(n.shape, float(target))
        elif method == "exact":
            low, high = _exact_limit(target, n, tail), _exact_limit(target, n, 1 - tail)
        else:
            half_width = norm.ppf(1 - tail) * np.sqrt(target * (1 - target) / n)
            low, high = target - half_width, target + half_width
        lower[row, usable] = np.clip(low, 0.0, 1.0)
        upper[row, usable] = np.clip(high, 0.0, 1.0)
    return FunnelLimits(target=float(target), method=method, levels=checked_levels,
                        denominators=_read_only(children), lower=_read_only(lower),
                        upper=_read_only(upper))


@dataclass(frozen=True)
class Funnel:
    """A funnel plot: each unit's proportion, its limits at its own n, and where it falls.

    Attributes
    ----------
    target : float
        The proportion the funnel is centred on.
    target_given : bool
        Whether the target was given, rather than the units' overall proportion.
    events, denominators : numpy.ndarray of int
        Children with the event, and children, per unit (e.g. per area).
    proportion : numpy.ndarray
        events / denominators; NaN for a unit without children.
    limits : FunnelLimits
        The limits at each unit's own number of children.
    classification : tuple of str
        Per unit "within", "above 95 %", "above 99.8 %", "below 95 %" or "below 99.8 %"
        (the widest limit it lies strictly outside, by `levels`); "" for a unit without
        children, and for every unit when the limits collapse (see `note`).
    reasons : tuple of str
        Why a unit is not classified; "" for the others.
    curve : FunnelLimits
        The limits over a grid of n from the smallest to the largest denominator, for
        drawing the funnel.
    note : str
        A `FLAGS` id when the funnel cannot classify anything ("centre_is_zero",
        "centre_is_one": the limits collapse onto the target); "" otherwise.

    Examples
    --------
    >>> from pipeline.stats.monitoring import funnel_plot
    >>> funnel = funnel_plot([40, 10, 3], [50, 50, 10], target=0.5)
    >>> funnel.classification
    ('above 99.8 %', 'below 99.8 %', 'within')
    """

    target: float
    target_given: bool
    events: np.ndarray
    denominators: np.ndarray
    proportion: np.ndarray
    limits: FunnelLimits
    classification: tuple[str, ...]
    reasons: tuple[str, ...]
    curve: FunnelLimits
    note: str = ""

    def to_frame(self) -> pd.DataFrame:
        """One row per unit: counts, proportion, target, limits, classification, reason, note.

        Examples
        --------
        >>> from pipeline.stats.monitoring import funnel_plot
        >>> frame = funnel_plot([40, 0], [50, 0], target=0.5).to_frame()
        >>> frame[["classification", "reason"]].values.tolist()
        [['above 99.8 %', ''], ['', 'no children in the denominator (n = 0)']]
        """
        return pd.DataFrame({
            "unit": np.arange(len(self.events)),
            "events": self.events,
            "denominator": self.denominators,
            "proportion": self.proportion,
            "target": self.target,
            **self.limits.columns(),
            "classification": list(self.classification),
            "reason": list(self.reasons),
            "note": self.note,
        })


def _grid(smallest: int, largest: int, points: int) -> np.ndarray:
    """Whole numbers from smallest to largest: all of them, or about `points` spaced evenly
    on a log scale (where a funnel changes fastest)."""
    if largest - smallest + 1 <= points:
        return np.arange(smallest, largest + 1)
    return np.unique(np.rint(np.geomspace(smallest, largest, points)).astype(np.int64))


def _classify(share: float, limits: FunnelLimits, unit: int) -> str:
    """The widest level whose limit the share lies strictly outside, or "within"."""
    label = "within"
    for row, level in enumerate(limits.levels):
        if share > limits.upper[row, unit]:
            label = f"above {_percent(level)} %"
        elif share < limits.lower[row, unit]:
            label = f"below {_percent(level)} %"
    return label


def funnel_plot(
    events: Sequence[int],
    denominators: Sequence[int],
    *,
    target: float | None = None,
    levels: Sequence[float] = (0.95, 0.998),
    method: str = "exact",
    grid_points: int = 200,
) -> Funnel:
    """Funnel plot of units' proportions against a target, with limits and classification.

    Each unit (area, clinic) is compared with limits at its own number of children
    (`funnel_limits`; Spiegelhalter 2005), and classified by the widest limit it lies
    strictly outside. The target is the units' overall proportion unless given (e.g. a
    national figure or a goal such as 0.95).

    Parameters
    ----------
    events : sequence of int
        Children with the event per unit.
    denominators : sequence of int
        Children per unit; a unit with 0 children is not classified and gets a reason.
    target : float, optional
        The proportion to compare against; by default Σ events / Σ children.
    levels : sequence of float, optional
        Two-sided levels of the limits, (0.95, 0.998) by default.
    method : {"exact", "normal"}, optional
        How the limits are computed (see `funnel_limits`).
    grid_points : int, optional
        About how many denominators the drawing curve has (all whole numbers when fewer).

    Returns
    -------
    Funnel
        Proportions, limits at each unit's n, classification and reasons, and the curve of
        limits for drawing. A target of 0 or 1 classifies nothing; `note` says so.

    Raises
    ------
    ValueError
        If counts are not whole numbers with 0 <= events <= children, the lengths differ,
        or the target, levels, method or `grid_points` are invalid.
    NotEstimable
        If no unit has children.

    Examples
    --------
    A target of 0.5; 40 of 50 lies above the 99.8 % limit at n = 50, 3 of 10 within:

    >>> from pipeline.stats.monitoring import funnel_plot
    >>> funnel = funnel_plot([40, 10, 3], [50, 50, 10], target=0.5)
    >>> funnel.classification, round(float(funnel.limits.upper[1, 0]), 4)
    (('above 99.8 %', 'below 99.8 %', 'within'), 0.7072)
    """
    counts, children = _counts(events, denominators, "unit")
    if isinstance(grid_points, bool) or not isinstance(grid_points, int | np.integer) or grid_points < 2:
        raise ValueError(f"grid_points must be a whole number of at least 2, got {grid_points!r}")
    with_children = children > 0
    if not with_children.any():
        raise NotEstimable("no unit has any children, so there is nothing to compare")
    target_given = target is not None
    if target is None:
        target = int(counts.sum()) / int(children.sum())
    limits = funnel_limits(target, children, levels=levels, method=method)
    proportion = _shares(counts, children)
    note = COLLAPSED.get(float(target), "")
    classification, reasons = [], []
    for unit, share in enumerate(proportion):
        if not with_children[unit]:
            classification.append("")
            reasons.append(NO_CHILDREN)
        else:
            classification.append("" if note else _classify(share, limits, unit))
            reasons.append("")
    grid = _grid(int(children[with_children].min()), int(children.max()), int(grid_points))
    curve = funnel_limits(target, grid, levels=levels, method=method)
    return Funnel(target=float(target), target_given=target_given, events=_read_only(counts),
                  denominators=_read_only(children), proportion=_read_only(proportion),
                  limits=limits, classification=tuple(classification), reasons=tuple(reasons),
                  curve=curve, note=note)
