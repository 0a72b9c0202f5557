"""Survival indicators: Cox and discrete-time effects rows, the survival table's curves."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from pipeline.indicators import Indicator, present
from pipeline.outputs import output_table
from pipeline.stages.compare.context import (
    GROUPS,
    _attempt,
    _Context,
    _course,
    _design_note,
    _interval_bounds,
    _row,
    _survival_data,
)
from pipeline.stats import (
    cox_hazard_ratio,
    discrete_time_hazard_ratio,
    kaplan_meier,
    log_rank_test,
    turnbull,
)


def _discrete_time_effects(context: _Context, indicator: str) -> list[dict[str, Any]]:
    """Crude and covariate-adjusted hazard ratios of an interval-censored indicator (weaning,
    known only between assessments) from the discrete-time (grouped proportional hazards,
    cloglog) model on the intervals between its `cut_points` (method `discrete_time`); p from
    the Wald test."""
    course = _course(indicator)
    left, right = _interval_bounds(context.population, indicator)
    kept = ~np.isnan(left)
    treated = context.treated[kept]
    weaned = ~np.isnan(right[kept])
    base = ("discrete-time proportional hazards (complementary log-log) on the assessment "
            f"intervals, cut points {', '.join(map(str, course.cut_points))} days; "
            f"hazard ratio > 1: {course.earlier} in the intervention group")
    rows = []
    for method, covariates, complete in (
            ("crude", None, np.ones(int(kept.sum()), dtype=bool)),
            ("discrete_time", context.coded_covariates[kept].reset_index(drop=True),
             context.complete[kept])):
        result, error = _attempt(discrete_time_hazard_ratio, left[kept], right[kept],
                                 treated.astype(float), covariates, cut_points=course.cut_points)
        estimate = None if result is None else result.hazard_ratio
        notes = [base + ("; unadjusted" if covariates is None else "; " + context.adjusted_for)]
        if result is not None:
            notes += list(result.caveats)
            if estimate.estimable and (design := _design_note(estimate)):
                notes.append(design)
        used = complete
        rows.append(_row(indicator, estimate, measure="hazard_ratio", method=method,
                         analysis="itt", n_intervention=int((treated & used).sum()),
                         n_comparison=int((~treated & used).sum()), reason=error,
                         events=(int(weaned[treated & used].sum()),
                                 int(weaned[~treated & used].sum())),
                         note="; ".join(notes)))
    return rows


def _survival_effects(context: _Context, indicator: Indicator) -> list[dict[str, Any]]:
    """Crude (unadjusted, log-rank p) and covariate-adjusted Cox hazard ratios, Efron ties;
    for an interval-censored indicator, the discrete-time model instead."""
    course = _course(indicator.id)
    if course.interval_censored:
        return _discrete_time_effects(context, indicator.id)
    time, event, kept = _survival_data(context.population, indicator.id)
    treated = context.treated[kept]
    direction = f"hazard ratio > 1: {course.earlier} in the intervention group"
    e1, e0 = int(event[treated].sum()), int(event[~treated].sum())
    rows = []
    crude, error = _attempt(lambda: cox_hazard_ratio(time, event, treated.astype(float)))
    log_rank, _ = _attempt(lambda: log_rank_test(time, event, treated.astype(int)))
    log_rank_p = None if log_rank is None else log_rank.p_value
    notes = ["unadjusted Cox model (Efron ties)",
             "p: log-rank test" if log_rank_p is not None else "log-rank test not possible",
             direction]
    rows.append(_row(indicator.id, None if crude is None else crude.hazard_ratio,
                     measure="hazard_ratio", method="crude", analysis="itt",
                     n_intervention=int(treated.sum()), n_comparison=int((~treated).sum()),
                     reason=error, events=(e1, e0), p_value=log_rank_p,
                     note="; ".join(n for n in notes if n),
                     flags=() if log_rank_p is None else ("p_log_rank",)))
    complete = context.complete[kept]
    covariates = context.coded_covariates[kept].reset_index(drop=True)
    adjusted, error = _attempt(lambda: cox_hazard_ratio(time, event, treated.astype(float),
                                                        covariates))
    notes = [f"Cox model (Efron ties), {context.adjusted_for}", direction]
    if adjusted is not None and adjusted.ph_test is not None and adjusted.ph_test.estimable:
        treatment = adjusted.ph_tests["treatment"]
        notes.append("proportional-hazards test (Grambsch–Therneau) p = "
                     + (f"{treatment.p_value:.3g}" if treatment.estimable else "not computable")
                     + f" for treatment, global p = {adjusted.ph_test.p_value:.3g}")
    elif adjusted is not None and adjusted.ph_test is not None:
        notes.append(f"no proportional-hazards test: {adjusted.ph_test.reason}")
    if adjusted is not None and (design := _design_note(adjusted.hazard_ratio)):
        notes.append(design)
    rows.append(_row(indicator.id, None if adjusted is None else adjusted.hazard_ratio,
                     measure="hazard_ratio", method="cox", analysis="itt",
                     n_intervention=int((treated & complete).sum()),
                     n_comparison=int((~treated & complete).sum()), reason=error,
                     events=(int(event[treated & complete].sum()),
                             int(event[~treated & complete].sum())),
                     note="; ".join(n for n in notes if n)))
    return rows


# --------------------------------------------------------------------------- survival


def survival_table(population: pd.DataFrame) -> pd.DataFrame:
    """Curve points on a grid, medians and the log-rank test for each survival indicator."""
    rows: list[dict[str, Any]] = []
    for indicator in present(population.columns, ("survival",)):
        course = indicator.time_to_event
        grid = np.asarray(course.grid)
        time, event, kept = _survival_data(population, indicator.id)
        groups = population["group"].to_numpy(dtype=object)[kept]
        for group in GROUPS:
            in_group = groups == group
            if course.interval_censored:
                rows += _turnbull_rows(population[kept][in_group], indicator.id, group, grid)
            else:
                rows += _km_rows(indicator.id, time[in_group], event[in_group], group, grid)
        log_rank, error = _attempt(lambda: log_rank_test(time, event, groups))  # noqa: B023
        note = "log-rank test" + (" on midpoint-imputed weaning ages (approximation)"
                                  if course.interval_censored else "")
        if log_rank is not None and log_rank.p_value is None:
            error = log_rank.reason
        rows.append({"indicator": indicator.id, "group": "all", "statistic": "log_rank",
                     "p_value": None if log_rank is None else log_rank.p_value,
                     "n": int(len(time)), "method": "log_rank",
                     "note": note if error is None else f"{note}: {error}"})
    return output_table("survival").frame(rows)


def _km_rows(indicator: str, time: np.ndarray, event: np.ndarray, group: str,
             grid: np.ndarray) -> list[dict[str, Any]]:
    curve = kaplan_meier(time, event)
    points = curve.at_risk(grid) if len(time) else pd.DataFrame(
        {"time": grid, "survival": np.nan, "ci_low": np.nan, "ci_high": np.nan, "at_risk": 0})
    event_times = np.sort(time[event == 1])
    cumulative_events = np.searchsorted(event_times, grid, side="right")
    frame = points.assign(indicator=indicator, group=group, statistic="km_point",
                          events=cumulative_events, n=len(time), method="kaplan_meier",
                          note="events: cumulative up to time; interval log-log pointwise")
    rows = frame.to_dict("records")
    median = curve.median
    rows.append({"indicator": indicator, "group": group, "statistic": "median",
                 "time": median.estimate, "ci_low": median.ci_low, "ci_high": median.ci_high,
                 "n": len(time), "events": curve.events, "method": "kaplan_meier",
                 "note": "median age in days (Brookmeyer–Crowley interval)"
                 if median.estimable else median.reason})
    return rows


def _turnbull_rows(frame: pd.DataFrame, indicator: str, group: str,
                   grid: np.ndarray) -> list[dict[str, Any]]:
    left, right = _interval_bounds(frame, indicator)
    fitted = turnbull(left, right)
    base = {"indicator": indicator, "group": group, "n": len(left), "method": "turnbull"}
    rows = []
    if len(left):
        bounds = fitted.survival_at(grid)
        weaned_by = np.searchsorted(np.sort(right[~np.isnan(right)]), grid, side="right")
        known_breastfed = len(left) - np.searchsorted(np.sort(left), grid, side="left")
        for i, t in enumerate(grid):
            low, high = bounds["survival_lower"].iloc[i], bounds["survival_upper"].iloc[i]
            rows.append(base | {
                "statistic": "turnbull_point", "time": float(t), "survival": (low + high) / 2,
                "survival_lower": low, "survival_upper": high,
                "at_risk": int(known_breastfed[i]), "events": int(weaned_by[i]),
                "note": "survival: midpoint of the NPMLE bounds; at_risk: children known "
                        "breastfed at this age; events: known weaned by this age; no interval"})
    median = fitted.median
    rows.append(base | {"statistic": "median", "time": median.estimate, "events": median.events,
                        "note": "median weaning age in days: midpoint of the interval the NPMLE "
                                "places it in; no interval" if median.estimable else median.reason})
    return rows
