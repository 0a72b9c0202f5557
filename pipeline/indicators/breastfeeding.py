"""Breastfeeding indicators (SPEC §6): any / exclusive breastfeeding at fixed ages, and the
interval-censored age at weaning.

Rules and their sources:
- Measurement points and windows, age in days (assessment date minus birth date), as in
  Socialstyrelsen's official breastfeeding statistics ("Amning och föräldrars rökvanor"):
  1 week 0–18, 2 months 42–82, 4 months 105–143, 6 months 167–213, 8 months 227–274,
  12 months 335–426; both bounds inclusive.
- "Any" breastfeeding = exclusive, predominant or partial (helt, övervägande or delvis
  ammad); "exclusive" = exclusive (helt ammad) only.
- One assessment per point and child: of several in a window, the one closest to the
  point's nominal age (7, 61, 122, 183, 244, 365 days) is used; on a tie (one as many days
  before as the other after) the later one, since it is the more recent observation.
- Denominator: the child must be at least the window's upper bound old on the extraction
  date (that day included) and must not have moved out before birth + upper bound; else
  `not_reached_age` / `moved_out` (`moved_out` when both). A child in follow-up with no
  assessment in the window is missing data, not a failure: <NA> with `no_assessment`,
  unless its other assessments determine the point (filled points, below).
- `bf_duration` (age at weaning from any breastfeeding), from all of a child's assessments
  in date order: the right bound is the age at the first "none"; the left bound is the
  age at the last "any" assessment before it, or 0 when the first assessment already says
  "none" (censoring `interval`). A child still breastfed at its last assessment is
  right-censored at that age (left = that age, right = NaN, censoring `right`). "Any"
  after the first "none" (relactation or a recording error) does not move the interval;
  it is flagged in `bf_relactation`. A child with no assessment has NaN bounds and
  censoring <NA>.
- Filled points (a sensitivity analysis, not the indicator). A child in a point's
  denominator with no assessment in its window has, in `X_filled`, the value its other
  assessments determine, under one assumption: no relactation (a child weaned from all
  breastfeeding is not breastfed again). "Any" is 1 when an assessment after the window
  says any and no "none" came before it; 0 when an assessment before the window says
  "none" and the child's record shows no relactation (`bf_relactation`). Otherwise
  `X_filled` is <NA>: relactation recorded, or "any" before the window and "none" after it
  (weaned somewhere between). `X` itself stays <NA> `no_assessment` for such a child, as in
  Socialstyrelsen's statistics, because filling adds the determined children only: when
  windows are missed at random it moves a proportion away from the truth (at 1 week only
  1s can be filled, at 12 months almost only 0s; on the synthetic study, 10 % of windows
  missing at random, +0.3 to +0.6 percentage points for any at 1 week to 6 months, -1.3 at
  12 months). When children are missed for a reason (weaned families stop coming) the
  filled values are the better guess; the compare stage shows both.
  "Exclusive" is filled only as 0, where "any" is filled 0 (weaned, so not exclusively
  breastfed). Not from an earlier predominant/partial assessment (as 0) nor from a later
  exclusive one (as 1): both need "exclusive breastfeeding does not restart", which fails
  often in current-status data such as these (supplements in the first weeks that stop,
  a bottle for a few days): in an Uppsala cohort 92% of infants were exclusively breastfed
  at 2 months by current status but 51% since birth (Aarts et al., Int J Epidemiol
  2000;29:1041-6). A wrong 0 from a 1-week "partial" would be common, not rare.
  Children too young or moved out are never filled.

Columns: for each binary indicator X of the registry, `X`, `X_excluded` and `X_filled`
(nullable boolean: the value other assessments determine where the window has none); then
`bf_duration_left_days`, `bf_duration_right_days`, `bf_duration_censoring`,
`bf_relactation`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd

from pipeline.indicators.common import (
    IN_DENOMINATOR,
    NO_ASSESSMENT,
    REASON_CODE,
    Cohort,
    binary_columns,
    cohort,
    day_numbers,
    denominator_reasons,
    per_child_max,
    per_child_min,
    positions_in,
)

STATUSES: tuple[str, ...] = ("exclusive", "predominant", "partial", "none")
NONE = STATUSES.index("none")
EXCLUSIVE = STATUSES.index("exclusive")

# point -> (nominal age, window low, window high), days; Socialstyrelsen's statistics.
POINTS: dict[str, tuple[int, int, int]] = {
    "1w": (7, 0, 18),
    "2m": (61, 42, 82),
    "4m": (122, 105, 143),
    "6m": (183, 167, 213),
    "8m": (244, 227, 274),
    "12m": (365, 335, 426),
}
# indicator id -> (point, exclusive only?)
BINARY: dict[str, tuple[str, bool]] = {
    "bf_any_1w": ("1w", False),
    "bf_any_2m": ("2m", False),
    "bf_any_4m": ("4m", False),
    "bf_any_6m": ("6m", False),
    "bf_any_12m": ("12m", False),
    "bf_excl_2m": ("2m", True),
    "bf_excl_4m": ("4m", True),
}
_NO_STATUS = len(STATUSES)  # status code of "no assessment in the window"


def breastfeeding_indicators(children: pd.DataFrame, breastfeeding: pd.DataFrame,
                             extraction_date: dt.date, *, kids: Cohort | None = None
                             ) -> pd.DataFrame:
    """One row per child: the breastfeeding indicators with their denominators."""
    kids = cohort(children, extraction_date) if kids is None else kids  # build_cohort shares one
    position, age, status = _assessments(kids, breastfeeding)
    history = _History.of(position, age, status, kids.size)
    columns: dict[str, object] = {}
    status_at = {point: _status_at_point(position, age, status, kids.size, nominal, low, high)
                 for point, (nominal, low, high) in POINTS.items()}
    for indicator, (point, exclusive_only) in BINARY.items():
        _, low, high = POINTS[point]
        point_status = status_at[point]
        reason = denominator_reasons(kids, kids.birth_day + high)
        unassessed = (reason == IN_DENOMINATOR) & (point_status == _NO_STATUS)
        value = point_status == EXCLUSIVE if exclusive_only else point_status < NONE
        still_breastfed, weaned = history.determined(low, high)
        if exclusive_only:  # filled only as 0: a later "exclusive" does not determine it
            still_breastfed = np.zeros_like(still_breastfed)
        filled = unassessed & (still_breastfed | weaned)
        reason[unassessed] = REASON_CODE[NO_ASSESSMENT]
        columns.update(binary_columns(indicator, value, reason))
        columns[f"{indicator}_filled"] = pd.arrays.BooleanArray(still_breastfed & filled,
                                                                ~filled)
    columns.update(history.weaning_age())
    return kids.frame(columns)


def _assessments(kids: Cohort, breastfeeding: pd.DataFrame
                 ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Child position, age in days and status code of every usable assessment."""
    status = positions_in(breastfeeding["bf_status"], list(STATUSES))
    unknown = (status < 0) & breastfeeding["bf_status"].notna().to_numpy()
    if unknown.any():
        values = sorted(breastfeeding.loc[unknown, "bf_status"].astype(str).unique())[:5]
        raise ValueError(f"breastfeeding.bf_status has values {values} outside {list(STATUSES)}; "
                         "run the indicators on the clean table, which harmonises them")
    position = kids.positions(breastfeeding["child_id"])
    day = day_numbers(breastfeeding["assessment_date"])
    usable = (position >= 0) & (status >= 0) & ~np.isnan(day)
    position = position[usable]
    return position, kids.age_days(position, day[usable]), status[usable].astype(np.int64)


def _status_at_point(position: np.ndarray, age: np.ndarray, status: np.ndarray, size: int,
                     nominal: int, low: int, high: int) -> np.ndarray:
    """Status code per child at one measurement point (_NO_STATUS when none in the window).

    The chosen assessment minimises (distance to nominal, earlier-than-nominal), so the
    closest wins and on a tie the later; the status sits in the key's low bits.
    """
    inside = (age >= low) & (age <= high)
    distance = np.abs(age[inside] - nominal)
    earlier = (age[inside] < nominal).astype(np.float64)
    key = (distance * 2 + earlier) * (_NO_STATUS + 1) + status[inside]
    best = per_child_min(position[inside], key, size)
    chosen = np.full(size, _NO_STATUS, dtype=np.int64)
    found = np.isfinite(best)
    chosen[found] = (best[found] % (_NO_STATUS + 1)).astype(np.int64)
    return chosen


@dataclass(frozen=True)
class _History:
    """Per child, what all its assessments say about weaning (ages in days; ±inf: none)."""

    first_none: np.ndarray  # age at the first "none"
    last_breastfed_before_none: np.ndarray  # age at the last "any" before the first "none"
    last_assessment: np.ndarray
    relactation: np.ndarray  # bool: "any" after the first "none"

    @classmethod
    def of(cls, position: np.ndarray, age: np.ndarray, status: np.ndarray,
           size: int) -> _History:
        weaned = status == NONE
        first_none = per_child_min(position[weaned], age[weaned], size)
        breastfed = ~weaned
        before_first_none = breastfed & (age < first_none[position])
        return cls(
            first_none=first_none,
            last_breastfed_before_none=per_child_max(position[before_first_none],
                                                     age[before_first_none], size),
            last_assessment=per_child_max(position, age, size),
            relactation=np.bincount(position[breastfed & (age > first_none[position])],
                                    minlength=size) > 0,
        )

    def determined(self, low: int, high: int) -> tuple[np.ndarray, np.ndarray]:
        """(still breastfed, weaned) at any age in low..high, as the assessments outside
        it determine under no relactation (see the module rules)."""
        still_breastfed = self.last_breastfed_before_none > high
        weaned = (self.first_none < low) & ~self.relactation
        return still_breastfed, weaned

    def weaning_age(self) -> dict[str, object]:
        """Interval-censored age at weaning from any breastfeeding (see the module rules)."""
        interval = np.isfinite(self.first_none)
        right_censored = ~interval & np.isfinite(self.last_assessment)
        left = np.full(len(interval), np.nan)
        right = np.full(len(interval), np.nan)
        left[interval] = np.maximum(self.last_breastfed_before_none[interval], 0.0)
        right[interval] = self.first_none[interval]
        left[right_censored] = self.last_assessment[right_censored]
        censoring = np.full(len(interval), None, dtype=object)
        censoring[interval] = "interval"
        censoring[right_censored] = "right"
        return {"bf_duration_left_days": left, "bf_duration_right_days": right,
                "bf_duration_censoring": pd.array(censoring, dtype=pd.StringDtype()),
                "bf_relactation": self.relactation}
