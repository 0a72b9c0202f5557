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
    """Raise ValueError unless 0 <= events <= n are whole numbers."""
    for name, value in (("events", events), ("n", n)):
        if isinstance(value, bool) or int(value) != value:
            raise ValueError(f"{group}: {name} must be a whole number, got {value!r}")
    if n < 0 or events < 0:
        raise ValueError(f"{group}: counts must be non-negative (events={events}, n={n})")
    if events > n:
        raise ValueError(f"{group}: events ({events}) exceed the number of children ({n})")


def check_confidence(confidence: float) -> None:
    """Raise ValueError unless the confidence level lies strictly between 0 and 1."""
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must lie between 0 and 1, got {confidence}")


def proportion(
    events: int, n: int, method: str = "wilson", confidence: float = 0.95
) -> Estimate:
    """Proportion of children with the event, with a confidence interval (Wilson by default)."""
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
