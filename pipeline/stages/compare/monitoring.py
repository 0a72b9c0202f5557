"""Monitoring over time and across areas (issue 15): control charts by birth quarter and funnel
plots of areas, for every binary indicator.

- `control_chart` — per binary indicator and intervention area, the share per birth quarter on a
  p-chart (`pipeline.stats.p_chart`: 3-sigma limits, runs of 8 on one side of the centre line).
  The centre line is the design's comparison group over the same birth period: under `did` and
  `concurrent` the comparison areas' children born in the quarters the chart covers (under
  `did` before and after the start, as the chart is), under `historical` (which has no
  comparison areas) the area's own children born before the start, each area's its own, as
  its estimates compare them (`context._in_area`; the centre line had been both areas' pooled
  share). So a point above or below the limits says that the area's children born that
  quarter did better or worse than the comparison group did on average, by more than chance
  at that number of children would plausibly give; a run says the same of a stretch of
  quarters.
- `funnel` — per binary indicator, every design area's share among children born after the
  start against its number of children (`pipeline.stats.funnel_plot`: Spiegelhalter's exact
  binomial limits at 95 % and 99.8 % around the areas' overall share). An area is called above
  a limit only when it has more children with the outcome than the limit's binomial quantile
  (`_upper_tail_checked`): the interpolated upper limit would otherwise flag every area where
  all children had the outcome.

Quarters are counted from the programme start, as the half-years of `trends` are, so that no
quarter mixes children born before and after the start and two quarters make one half-year.
A point of a chart is a quarter, or consecutive quarters pooled (`quarters` > 1; never across
the start) until it has at least `min_cell` children and its children with and without the
outcome are each none or at least `min_cell` in every intervention area (`pooled_points`,
`_common_spans`): a small area then shows fewer, longer points instead of hidden ones, and the
points are the same in every area, so that trends.csv's half-years of the whole arm cannot
single out a quarter pooled in one area. Publishing (`pipeline.publish.monitoring`) hides whatever
another table would otherwise give away. Under `did` and `historical` an indicator is defined
as the DiD defines it (`design_outcome`), as in `trends` and `did_cells`.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from pipeline.config import Study
from pipeline.indicators import present
from pipeline.outputs import output_table
from pipeline.stages.compare.context import (
    DID_GROUPS,
    GROUPS,
    _rows_in,
    birth_bins,
    design_note,
    design_outcome,
)
from pipeline.stats import NotEstimable, funnel_plot, p_chart

QUARTER_MONTHS = 3
SIGMA = 3.0  # the p-chart's limits in standard errors
RUN_LENGTH = 8  # points in a row on one side of the centre line that make a run
FUNNEL_LEVELS = (0.95, 0.998)
# The baseline of the centre line (`baseline`), by design: see the module docstring. A baseline
# of OWN_BASELINES is each area's own children of BASELINE_GROUPS, not the whole groups'.
BASELINE = {"did": "comparison_areas", "concurrent": "comparison_areas", "historical": "area_before_start"}
OWN_BASELINES = ("area_before_start",)
# The groups whose children make the centre line, by design.
BASELINE_GROUPS = {"did": ("comparison", "comparison_pre"), "concurrent": ("comparison",),
                   "historical": ("comparison",)}


def _population(study: Study, cohort: pd.DataFrame) -> pd.DataFrame:
    """The children of the design's groups (before and after the start under `did`)."""
    return _rows_in(cohort, DID_GROUPS if study.design.type == "did" else GROUPS)


def _classification_id(classification: str) -> str:
    """"above 99.8 %" -> "above_998", "within" -> "within" (an id the reports word)."""
    return classification.replace(" %", "").replace(".", "").replace(" ", "_")


def _upper_tail_checked(classification: str, events: int, children: int,
                        uppers: list[tuple[float, float]]) -> str:
    """The funnel's classification with an area at the exact limits' quantile r_p not called
    "above": Spiegelhalter's interpolated upper limit lies below r_p/n, so it flags r_p itself
    though P(X >= r_p) exceeds the tail (`pipeline.stats.funnel_limits`). With shares near 100 %
    (vaccination) every area where all children had the outcome sits at r_p = n and would be
    flagged above 99.8 % whatever its size; above a level here means more events than r_p (the
    exact binomial tail below the level's), r_p read off the limit as ceil(limit * n).
    `uppers`: (level, upper limit) in ascending level."""
    if not classification.startswith("above"):
        return classification
    label = "within"
    for level, upper in uppers:
        if events > math.ceil(upper * children - 1e-9):
            label = f"above_{_level_suffix(level)}"
    return label


def _level_suffix(level: float) -> str:
    """0.95 -> "95", 0.998 -> "998" (the funnel's column names)."""
    return f"{level * 100:g}".replace(".", "")


def control_chart_table(study: Study, cohort: pd.DataFrame) -> pd.DataFrame:
    """control_chart.csv as the stage makes it: one row per birth quarter of each binary
    indicator and intervention area, with its own children and events, and the point of the
    chart it belongs to (see the module docstring). Publishing shows one row per point
    (`pipeline.publish.monitoring`); the quarters' own counts let it link the points to the
    half-years of trends.csv and to the areas' cells of did_cells and indicators."""
    table = output_table("control_chart")
    population = _population(study, cohort)
    if population.empty:
        return table.frame([])
    design = study.design
    start = pd.Timestamp(design.programme_start)
    birth = pd.to_datetime(population["birth_date"])
    children = pd.DataFrame({
        "group": population["group"].astype("string").fillna("").to_numpy(dtype=object),
        "area": population["area"].astype("string").fillna("").to_numpy(dtype=object),
        "half_year": birth_bins(birth, start, 2 * QUARTER_MONTHS).to_numpy(),
        "quarter": birth_bins(birth, start, QUARTER_MONTHS).to_numpy()})
    in_baseline = children["group"].isin(BASELINE_GROUPS[design.type]).to_numpy(dtype=bool)
    in_areas = children["area"].isin(design.intervention_areas).to_numpy(dtype=bool)
    # the children of each area's centre line: its own (OWN_BASELINE), or the whole group's
    own_baseline = BASELINE[design.type] in OWN_BASELINES
    baseline_children = ({name: in_baseline & children["area"].eq(name).to_numpy(dtype=bool)
                          for name in design.intervention_areas} if own_baseline else {"all": in_baseline})
    rows: list[dict[str, Any]] = []
    for indicator in present(cohort.columns, ("binary",)):
        y, inside = design_outcome(study.design.type, population, indicator.id)
        defined = design_note(study.design.type, population, indicator.id)
        baselines = {name: (int((inside & mask).sum()), int(np.nansum(y[inside & mask])))
                     for name, mask in baseline_children.items()}
        counted = children[inside & in_areas].assign(y=y[inside & in_areas])
        if counted.empty:
            continue
        quarters = (counted.groupby(["area", "group", "half_year", "quarter"], sort=True)["y"]
                    .agg(["size", "sum"]).reset_index())
        quarter_rows = quarters.to_dict("records")
        for spans, small in _common_spans(quarters, design.intervention_areas, study.min_cell, start):
            for name in design.intervention_areas:
                mine = [record for record in quarter_rows if record["area"] == name]
                own_spans = [[q for span in spans for q in span]] if name in small else spans
                own = [(span, [record for record in mine if record["quarter"] in span])
                       for span in own_spans]
                own = [(span, records) for span, records in own if records]
                if own:
                    baseline = baselines[name if own_baseline else "all"]
                    rows += _chart_rows(indicator.id, name, own, baseline, BASELINE[design.type], start,
                                        defined)
    return table.frame(sorted(rows, key=lambda r: (r["indicator"], design.intervention_areas.index(r["area"]),
                                                   r["quarter"])))


def _common_spans(quarters: pd.DataFrame, areas: list[str], min_cell: int,
                  start: pd.Timestamp) -> list[tuple[list[list[Any]], set[str]]]:
    """The chart's points per period (before, then after the start), common to the intervention
    areas: lists of consecutive quarters, and the areas too small to share them. The periods are
    the quarters' (counted from the `start`, a quarter is all before or all after it), not the
    groups': under `historical` the children before the start are the comparison group, and
    the chart was one series across the start, its runs too. A half-year is
    shown as its two quarters when each is safe (`safe_counts`, or no children) in every area,
    else as one point; a half-year that is not safe in some area is pooled with the half-years
    after it (or, at the end, before it) until it is. One span for all areas means that a
    quarter pooled in one area is pooled in the others too, so that trends.csv's half-years of
    the whole arm cannot single it out. An area whose whole period is not safe does not hold the
    others back: its period is one point (which publishing hides)."""
    periods = []
    before = (pd.to_datetime(quarters["quarter"]) < start).to_numpy(dtype=bool)
    for _, segment in quarters.groupby(before, sort=False):
        counts = {(area, quarter): (int(n), int(e)) for area, quarter, n, e in
                  zip(segment["area"], segment["quarter"], segment["size"], segment["sum"], strict=True)}
        every = sorted(segment["quarter"].unique())
        small = {area for area in areas if not _safe_everywhere(counts, [area], every, min_cell)}
        sharing = [area for area in areas if area not in small]
        units: list[list[Any]] = []
        for _, half in segment.groupby("half_year", sort=True):
            own = sorted(half["quarter"].unique())
            if all(_safe_everywhere(counts, sharing, [quarter], min_cell) for quarter in own):
                units += [[quarter] for quarter in own]
            else:
                units.append(own)
        spans = [[quarter for unit in point for quarter in units[unit]]
                 for point in pooled_points([_unit_counts(counts, sharing, unit) for unit in units], min_cell,
                                            safe=lambda totals: all(_safe_or_empty(n, e, min_cell)
                                                                    for n, e in totals))]
        periods.append((spans, small))
    return sorted(periods, key=lambda period: period[0][0][0])  # before the start first


def _safe_or_empty(children: int, events: int, min_cell: int) -> bool:
    return children == 0 or safe_counts(children, events, min_cell)


def _safe_everywhere(counts: dict[tuple, tuple[int, int]], areas: list[str], quarters: list[Any],
                     min_cell: int) -> bool:
    return all(_safe_or_empty(*_unit_counts(counts, [area], quarters)[0], min_cell) for area in areas)


def _unit_counts(counts: dict[tuple, tuple[int, int]], areas: list[str],
                 quarters: list[Any]) -> list[tuple[int, int]]:
    """(children, events) of each area in the quarters."""
    return [(sum(counts.get((area, q), (0, 0))[0] for q in quarters),
             sum(counts.get((area, q), (0, 0))[1] for q in quarters)) for area in areas]


def safe_counts(children: int, events: int, min_cell: int) -> bool:
    """Whether a point can be shown as it is: at least min_cell children, and its children
    with and without the outcome each none or at least min_cell."""
    rest = children - events
    return children >= min_cell and (events == 0 or events >= min_cell) and (rest == 0 or rest >= min_cell)


def pooled_points(counts: list[Any], min_cell: int, *,
                  safe: Callable[[Any], bool] | None = None) -> list[list[int]]:
    """Consecutive units pooled into points: each unit is added to the point being made until
    the point is `safe` (by default `safe_counts` of its (children, events)); units left over at
    the end go into the points before them (from the last) until the pool is safe. A run that is
    never safe is one point (published hidden). `counts`: per unit (children, events), or a
    list of them (one per area) that `safe` judges together.

    >>> pooled_points([(7, 7), (6, 4), (8, 5), (9, 9), (3, 3)], 5)
    [[0], [1, 2], [3, 4]]
    """
    if safe is None:
        def safe(total: tuple[int, int]) -> bool:
            return safe_counts(*total, min_cell)
    points: list[list[int]] = []
    current: list[int] = []
    for position in range(len(counts)):
        current.append(position)
        if safe(_summed(counts, current)):
            points.append(current)
            current = []
    while current and points and not safe(_summed(counts, current)):
        current = points.pop() + current
    if current:
        points.append(current)
    return points


def _summed(counts: list[Any], positions: list[int]) -> Any:
    """The units' counts added up: (children, events), or per area."""
    first = counts[positions[0]]
    if isinstance(first, tuple):
        return tuple(sum(counts[p][k] for p in positions) for k in range(2))
    return [tuple(sum(counts[p][area][k] for p in positions) for k in range(2)) for area in range(len(first))]


def _chart_rows(indicator: str, area: str, points: list[tuple[list[Any], list[dict[str, Any]]]],
                baseline: tuple[int, int], baseline_kind: str, start: pd.Timestamp,
                defined: str = "") -> list[dict[str, Any]]:
    """One row per quarter of one area's chart, with the values of the point it belongs to.
    `points`: each point's span of quarters and the area's quarters (with children) in it;
    `defined`: how the design took the indicator, where not by its plain definition
    (`design_note`), said in the note after the chart's own."""
    children = [sum(int(q["size"]) for q in records) for _, records in points]
    events = [sum(int(q["sum"]) for q in records) for _, records in points]
    try:
        chart = p_chart(events, children, baseline_events=baseline[1], baseline_denominators=baseline[0],
                        sigma=SIGMA, run_length=RUN_LENGTH)
        drawn = chart.to_frame().to_dict("records")
        note = chart.note
    except NotEstimable:  # no comparison children with the indicator known: no centre line
        drawn = [{"proportion": e / n, "centre": None, "lower": None, "upper": None, "outside": "",
                  "run": ""} for e, n in zip(events, children, strict=True)]
        note = "no_baseline"
    note = "; ".join(part for part in (note, defined) if part)
    rows = []
    for (span, records), line in zip(points, drawn, strict=True):
        first = pd.Timestamp(span[0])
        last = pd.Timestamp(span[-1]) + pd.DateOffset(months=QUARTER_MONTHS) - pd.Timedelta(days=1)
        for record in records:
            own = pd.Timestamp(record["quarter"])
            rows.append({
                "indicator": indicator, "area": area, "group": record["group"],
                "period": "post" if own >= start else "pre",
                "half_year": pd.Timestamp(record["half_year"]).strftime("%Y-%m"),
                "quarter": own.strftime("%Y-%m"), "quarter_start": first.date().isoformat(),
                "quarter_end": last.date().isoformat(), "quarters": len(span),
                "children": int(record["size"]), "events": int(record["sum"]),
                "proportion": line["proportion"], "centre": line["centre"], "lower": line["lower"],
                "upper": line["upper"], "outside": line["outside"], "run": line["run"],
                "baseline": baseline_kind, "baseline_children": baseline[0], "baseline_events": baseline[1],
                "note": note,
            })
    return rows


def funnel_table(study: Study, cohort: pd.DataFrame) -> pd.DataFrame:
    """funnel.csv: each binary indicator's share in every design area among the children born
    after the start, with 95 % and 99.8 % funnel limits around the areas' overall share.

    An indicator is defined as in the study's own comparison (and its control chart): by the
    children of the whole design, before the start too, so that fully vaccinated is taken by
    its stable parts where the design's children span rotavirus's entry into the programme
    (the funnel had given 66 % for an area whose control chart, from the same children, gave
    83 %)."""
    table = output_table("funnel")
    whole = _population(study, cohort)
    start = pd.Timestamp(study.design.programme_start)
    after = (pd.to_datetime(whole["birth_date"]) >= start).to_numpy(dtype=bool)
    population = whole[after].reset_index(drop=True)
    if population.empty:
        return table.frame([])
    arm_of = {**dict.fromkeys(study.design.comparison_areas, "comparison"),
              **dict.fromkeys(study.design.intervention_areas, "intervention")}
    group = population["group"].astype("string").fillna("").to_numpy(dtype=object)
    area = population["area"].astype("string").fillna("").to_numpy(dtype=object)
    rows: list[dict[str, Any]] = []
    for indicator in present(cohort.columns, ("binary",)):
        y, inside = (values[after] for values in design_outcome(study.design.type, whole, indicator.id))
        cells = (pd.DataFrame({"area": area[inside], "group": group[inside], "y": y[inside]})
                 .groupby(["area", "group"], sort=False)["y"].agg(["size", "sum"]).reset_index())
        order = {name: place for place, name in enumerate(study.design.areas)}
        cells = cells.sort_values("area", key=lambda names: names.map(order).fillna(len(order)),
                                  kind="stable")
        if cells.empty:
            continue
        funnel = funnel_plot(cells["sum"].astype(int).tolist(), cells["size"].astype(int).tolist(),
                             levels=FUNNEL_LEVELS)
        limits = {f"{side}_{_level_suffix(level)}": getattr(funnel.limits, side)[row]
                  for row, level in enumerate(funnel.limits.levels) for side in ("lower", "upper")}
        for unit, record in enumerate(cells.to_dict("records")):
            rows.append({
                "indicator": indicator.id, "area": record["area"],
                "arm": arm_of.get(record["area"], ""), "group": record["group"],
                "children": int(record["size"]), "events": int(record["sum"]),
                "proportion": funnel.proportion[unit], "target": funnel.target,
                **{column: values[unit] for column, values in limits.items()},
                "classification": _upper_tail_checked(
                    _classification_id(funnel.classification[unit]), int(record["sum"]),
                    int(record["size"]), [(level, funnel.limits.upper[row, unit])
                                          for row, level in enumerate(funnel.limits.levels)]),
                "note": funnel.note,
            })
    return table.frame(rows)
