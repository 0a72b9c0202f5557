"""Counts of events over an exposure (conversations per month) with Poisson intervals.

The exact interval (Garwood 1936) is the default: from the chi-square quantiles,
chi2(a/2; 2x)/2 to chi2(1 - a/2; 2x + 2)/2 for a count x, divided by the exposure; it is
conservative, never too narrow, and defined at x = 0. The score interval (the Poisson
analogue of Wilson's) is on request. Both are statsmodels' `confint_poisson` ("exact-c",
"score"). A Poisson interval assumes events independent at a constant rate: counts that vary
more from month to month (holidays, staff leave) are overdispersed and the interval is then
too narrow as a statement about the months to come.
"""

from __future__ import annotations

import math

from statsmodels.stats.rates import confint_poisson

from pipeline.stats.proportions import check_confidence
from pipeline.stats.results import Estimate

# Our method names -> statsmodels' names for confint_poisson.
RATE_METHODS: dict[str, str] = {"exact": "exact-c", "score": "score"}


def poisson_rate(count: int, exposure: float = 1.0, method: str = "exact",
                 confidence: float = 0.95) -> Estimate:
    """Events per unit of exposure, with a Poisson interval (exact by default).

    Parameters
    ----------
    count : int
        Events counted (conversations, contacts).
    exposure : float, optional
        The time they were counted over, in the rate's unit (months); 1 gives an interval
        for the count itself.
    method : {"exact", "score"}, optional
        Garwood's exact interval (default) or the score interval.
    confidence : float, optional
        Confidence level, 0.95 by default.

    Returns
    -------
    Estimate
        measure "rate": `estimate` count / exposure, `ci_low`, `ci_high`, `events` the
        count. Not estimable when the exposure is 0.

    Raises
    ------
    ValueError
        If the count is not a non-negative whole number, the exposure is negative or not
        finite, the method is unknown, or `confidence` is not between 0 and 1.

    Examples
    --------
    10 events: the exact interval 4.795 to 18.390 of the standard tables (e.g. Sahai &
    Khurshid 1993); 0 events: 0 to 3.689; 24 conversations a month over 10 months:

    >>> from pipeline.stats.rates import poisson_rate
    >>> ten = poisson_rate(10)
    >>> round(ten.ci_low, 3), round(ten.ci_high, 3)
    (4.795, 18.39)
    >>> round(poisson_rate(0).ci_high, 3)
    3.689
    >>> monthly = poisson_rate(240, 10)
    >>> monthly.estimate, round(monthly.ci_low, 1), round(monthly.ci_high, 1)
    (24.0, 21.1, 27.2)
    >>> poisson_rate(3, 0).reason
    'no exposure (0)'
    """
    if isinstance(count, bool) or int(count) != count or count < 0:
        raise ValueError(f"count must be a non-negative whole number, got {count!r}")
    if not math.isfinite(exposure) or exposure < 0:
        raise ValueError(f"exposure must be a non-negative number, got {exposure!r}")
    check_confidence(confidence)
    if method not in RATE_METHODS:
        raise ValueError(f"unknown interval method {method!r}; choose one of {sorted(RATE_METHODS)}")
    if exposure == 0:
        return Estimate.not_estimable("rate", method, "no exposure (0)", events=int(count),
                                      confidence=confidence)
    low, high = confint_poisson(int(count), float(exposure), method=RATE_METHODS[method],
                                alpha=1 - confidence)
    low = 0.0 if count == 0 or not math.isfinite(low) else max(0.0, float(low))
    return Estimate("rate", method, count / exposure, low, float(high), events=int(count),
                    confidence=confidence)
