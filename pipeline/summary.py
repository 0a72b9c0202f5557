"""What the report's summary says, as data: the design's headline estimate and its verdict.

The committee summary is rendered from `tables/summary.csv` alone (one row per indicator
and area), so every sentence can be traced to a number a researcher can cite. The rules:

- **The design decides the headline** (SPEC §8). Design `did`: the covariate-adjusted
  difference-in-differences estimate with area and birth half-year fixed effects (a survival
  indicator as the DiD of its landmark proportion), the unadjusted DiD as its check. Designs
  `concurrent` and `historical`: the covariate-adjusted estimate — the marginal risk
  difference standardised to the intervention group (regression, ATT) for a binary
  indicator, the adjusted Cox hazard ratio for a survival indicator — with IPTW as the
  binary indicators' sensitivity check. Crude proportions are what was observed, never the
  effect; when the headline cannot be estimated the verdict is `not_estimable` with the
  reason, never a crude difference in its place.
- **A verdict cannot contradict the numbers.** `higher` / `lower` only when the
  multiplicity-adjusted p (Holm across the primary indicators, Benjamini–Hochberg across
  the others, each family within its area) is below `ALPHA` *and* the interval lies wholly
  on that side of no effect; otherwise `unclear`, with the reason. Interval and p come from
  one procedure for every headline method (Wald for the regression and Cox estimates; the
  wild cluster bootstrap test and its inversion for a DiD with few areas), so the second
  condition only matters where a bound is missing.
- **Caveats** travel with the row as codes the report words in its own language.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pipeline.indicators import time_to_event

ALPHA = 0.05
NULL_VALUES = {"risk_difference": 0.0, "did": 0.0, "hazard_ratio": 1.0, "odds_ratio": 1.0,
               "risk_ratio": 1.0}
VERDICTS = ("higher", "lower", "unclear", "not_estimable", "suppressed")
REASONS = {
    "adjusted_p_below_alpha": "the multiplicity-adjusted p is below 0.05 and the interval "
                              "excludes no effect",
    "interval_includes_null": "the interval includes no effect",
    "not_significant_after_correction": "the interval excludes no effect, but the "
                                        "multiplicity-adjusted p is not below 0.05",
    "no_interval": "no reliable interval could be computed",
    "no_p_value": "no p-value could be computed",
    "not_estimable": "the design's estimate could not be made",
    "areas_differ_as_much": "concurrent: the interval excludes no effect, but a randomisation "
                            "test over which areas had the programme (stats.arm_randomisation, the "
                            "p_randomisation column) gives p of 0.05 or more: the areas with the "
                            "programme do not stand out among every choice of as many areas",
    "design_cannot_reach_significance": "with so few areas no assignment of areas to the arms "
                                        "could give a randomisation p below 0.05 (the p_floor "
                                        "column; for a primary indicator, times the number of "
                                        "primary indicators Holm's correction takes), so no "
                                        "significance claim is made",
}
# A DiD with fewer areas than this in an arm is shaky: `very_few_areas` when not even a
# randomisation test over the areas can reach 5 % (no method gives a reliable interval),
# else `few_treated_areas`.
RELIABLE_AREAS_PER_ARM = 3
PRE_TREND_ALPHA = 0.05
# Fewer children than this in a group after the start (those old enough for the indicator):
# the report says how few the estimate rests on.
FEW_CHILDREN = 50


@dataclass(frozen=True)
class Headline:
    """Which effects row heads an indicator's summary under a design, and its check."""

    method: str
    measure: str
    sensitivity_method: str | None = None
    sensitivity_measure: str | None = None


def headline(design: str, kind: str, interval_censored: bool = False) -> Headline:
    """The design's own estimate for an indicator of `kind` ("binary" or "survival"); an
    interval-censored duration has the discrete-time model instead of Cox's."""
    if design == "did":
        return Headline("did", "did", "did_unadjusted", "did")
    if kind == "survival":
        return Headline("discrete_time" if interval_censored else "cox", "hazard_ratio")
    return Headline("regression", "risk_difference", "iptw", "risk_difference")


def verdict(estimate: Any, ci_low: Any, ci_high: Any, p_adjusted: Any,
            measure: str) -> tuple[str, str]:
    """(verdict, reason code) from the headline's numbers; see the module docstring."""
    null = NULL_VALUES[measure]
    if _missing(estimate):
        return "not_estimable", "not_estimable"
    if _missing(ci_low) or _missing(ci_high):
        return "unclear", "no_interval"
    if not ci_low <= null <= ci_high:
        side = "higher" if ci_low > null else "lower"
        if _missing(p_adjusted):
            return "unclear", "no_p_value"
        if p_adjusted < ALPHA:
            return side, "adjusted_p_below_alpha"
        return "unclear", "not_significant_after_correction"
    return "unclear", "interval_includes_null"


def repeated_from(indicator: str, headline: Mapping[str, Any],
                  headlines: Mapping[str, Mapping[str, Any]], *, unestimated: bool = False) -> str | None:
    """The indicator whose headline `headline` (indicator `indicator`'s: its measure and estimate)
    gives over again, among `headlines` (by indicator, of the same area); else None. A survival
    indicator's DiD at its landmark is the binary indicator's of that age
    (`TimeToEvent.landmark_is`: age at MMR's at 24 months is MMR by 24 months'): one estimate,
    one hypothesis, tested once and said once, in that indicator's family and words.
    `unestimated`: two headlines without an estimate are that one hypothesis too (a pool of
    sites that pooled neither)."""
    course = time_to_event(indicator)
    other = headlines.get(course.landmark_is) if course is not None and course.landmark_is else None
    if other is None or str(headline.get("measure")) != str(other.get("measure")):
        return None
    mine, theirs = headline.get("estimate"), other.get("estimate")
    if unestimated and _missing(mine) and _missing(theirs):
        return course.landmark_is
    if _missing(mine) or _missing(theirs) or abs(float(mine) - float(theirs)) > 1e-12:
        return None
    return course.landmark_is


def _missing(value: Any) -> bool:
    if value is None:
        return True
    try:
        return math.isnan(float(value))
    except (TypeError, ValueError):
        return True


def corrected_floor(floor: Any, multiplicity: Any, holm_size: int) -> float | None:
    """The smallest multiplicity-adjusted p a randomisation test over the areas could give: its
    floor times the family's size under Holm (whose smallest adjusted p is k times the smallest
    p), the floor itself under Benjamini–Hochberg (all k at the floor stay there); None without
    a floor. With 2 of 10 areas the floor is 1/45 = 0.022, and 0.067 across 3 primary
    indicators: no primary indicator can then be called larger than chance."""
    if _missing(floor):
        return None
    return min(1.0, float(floor) * (holm_size if multiplicity == "holm_primary" else 1))
