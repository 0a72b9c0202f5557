"""Single binomial proportions with confidence intervals.

Wilson's score interval is the default (recommended by Newcombe 1998 and by Brown, Cai &
DasGupta 2001 for the small groups of a pilot); Clopper–Pearson on request.
"""

from __future__ import annotations

from statsmodels.stats.proportion import proportion_confint

from pipeline.stats.results import Estimate

# Our method names -> statsmodels' names for proportion_confint.
INTERVAL_METHODS: dict[str, str] = {
    "wilson": "wilson",
    "clopper_pearson": "beta",
    "jeffreys": "jeffreys",
    "agresti_coull": "agresti_coull",
    "wald": "normal",
}


def check_counts(events: int, n: int, group: str = "group") -> None:
    """Raise ValueError unless 0 <= events <= n are whole numbers.

    Parameters
    ----------
    events : int
        Children with the event.
    n : int
        Children in the group (the denominator).
    group : str, optional
        The group's name in the error message.

    Raises
    ------
    ValueError
        If a count is not a whole number (a bool counts as not), is negative, or events
        exceed n.

    Examples
    --------
    >>> from pipeline.stats.proportions import check_counts
    >>> check_counts(3, 10)
    >>> check_counts(11, 10, "comparison group")
    Traceback (most recent call last):
    ...
    ValueError: comparison group: events (11) exceed the number of children (10)
    """
    for name, value in (("events", events), ("n", n)):
        if isinstance(value, bool) or int(value) != value:
            raise ValueError(f"{group}: {name} must be a whole number, got {value!r}")
    if n < 0 or events < 0:
        raise ValueError(f"{group}: counts must be non-negative (events={events}, n={n})")
    if events > n:
        raise ValueError(f"{group}: events ({events}) exceed the number of children ({n})")


def check_confidence(confidence: float) -> None:
    """Raise ValueError unless the confidence level lies strictly between 0 and 1.

    Parameters
    ----------
    confidence : float
        Confidence level of an interval, e.g. 0.95.

    Raises
    ------
    ValueError
        If `confidence` is not strictly between 0 and 1 (95 instead of 0.95, say).

    Examples
    --------
    >>> from pipeline.stats.proportions import check_confidence
    >>> check_confidence(0.95)
    >>> check_confidence(95)
    Traceback (most recent call last):
    ...
    ValueError: confidence must lie between 0 and 1, got 95
    """
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must lie between 0 and 1, got {confidence}")


def proportion(
    events: int, n: int, method: str = "wilson", confidence: float = 0.95
) -> Estimate:
    """Proportion of children with the event, with a confidence interval (Wilson by default).

    Parameters
    ----------
    events : int
        Children with the event.
    n : int
        Children in the group.
    method : {"wilson", "clopper_pearson", "jeffreys", "agresti_coull", "wald"}, optional
        The interval (statsmodels' `proportion_confint`); Wilson's score interval by default.
    confidence : float, optional
        Confidence level, 0.95 by default.

    Returns
    -------
    Estimate
        measure "proportion": `estimate` events / n (0-1), `ci_low`, `ci_high` (clipped to
        [0, 1]; exactly 0 or 1 at events = 0 or n for Wilson, Clopper-Pearson and
        Agresti-Coull), `n`, `events`. Not estimable when n = 0.

    Raises
    ------
    ValueError
        If the counts are not whole numbers with 0 <= events <= n, the method is unknown,
        or `confidence` is not between 0 and 1.

    Examples
    --------
    8 of 10 children; Wilson's interval is
    (p + z²/2n ± z √(p(1 − p)/n + z²/4n²)) / (1 + z²/n) with z = 1.96:

    >>> from pipeline.stats.proportions import proportion
    >>> result = proportion(8, 10)
    >>> result.estimate, round(result.ci_low, 4), round(result.ci_high, 4)
    (0.8, 0.4902, 0.9433)
    >>> proportion(0, 0).reason
    'no children in the denominator (n = 0)'
    """
    check_counts(events, n)
    check_confidence(confidence)
    if method not in INTERVAL_METHODS:
        raise ValueError(
            f"unknown interval method {method!r}; choose one of {sorted(INTERVAL_METHODS)}"
        )
    if n == 0:
        return Estimate.not_estimable(
            "proportion", method, "no children in the denominator (n = 0)",
            n=0, events=0, confidence=confidence,
        )
    ci_low, ci_high = proportion_confint(
        events, n, alpha=1 - confidence, method=INTERVAL_METHODS[method]
    )
    # Clip rounding noise (statsmodels' Wilson upper limit at events == n is 1 - 1e-16).
    ci_low, ci_high = max(0.0, float(ci_low)), min(1.0, float(ci_high))
    if events == n and method in ("wilson", "clopper_pearson", "agresti_coull"):
        ci_high = 1.0
    if events == 0 and method in ("wilson", "clopper_pearson", "agresti_coull"):
        ci_low = 0.0
    return Estimate(
        measure="proportion",
        method=method,
        estimate=events / n,
        ci_low=ci_low,
        ci_high=ci_high,
        n=int(n),
        events=int(events),
        confidence=confidence,
    )
