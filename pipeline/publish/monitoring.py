"""Rules for the monitoring tables (issue 15): control charts by birth quarter, funnel plots of
areas, and the changes since the previous run.

A chart's point is a proportion of an intervention area's children born in a quarter (or a
half-year, where a quarter had fewer than min_cell children and was pooled with the other
quarter of its half-year). The quarters of a half-year add up to the area's half-year, the
half-years of a group (intervention, intervention_pre, …) to the area's cell of that group —
the cell that did_cells and indicators show — and, over the intervention areas, the area's
half-years add up (at most) to the half-year of trends.csv's intervention arm. So a quarter
hidden here cannot be worked out from those tables, nor a cell hidden there from the quarters.
What rests on a point's counts is hidden with them: its share when a count is hidden or its
children with or without the outcome are small; its limits (a function of its children and
the centre line) when its children are hidden; whether it lies outside the limits when its
share is hidden; and a run (points on one side of the centre line) that holds a hidden point.
The centre line is the comparison group's share, which the summary shows (its counts are the
summary's groups added up); under `historical` each area's own children before the start, the
area's comparison cell (indicators' and the summary's area rows, the sum of the chart's points
before the start). It is blank, with every limit and flag, if they had to be hidden.

A funnel's area is a proportion keyed as the area's cell in did_cells and indicators; the
areas add up to their group, and the target (the share of all areas together) is published
as the proportion of the groups added up: blank, with every limit and classification, if its
counts had to be hidden.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from pipeline.publish.cells import (
    Render,
    Triple,
    _blank,
    _children_key,
    _mark,
    _Pass,
    _proportion_render,
    _shown,
    _shown_column,
    _text,
)

# The pass's facts: indicators with a small count that the second pass (the monitoring tables
# shown) could not protect, though the first pass (without them) could (pipeline.publish).
UNPROTECTED = "unprotected_outcomes"
CHART_ESTIMATES = ["proportion"]
CHART_LIMITS = ["lower", "upper"]
CHART_FLAGS = ["outside", "run"]
CHART_CENTRE = ["centre"]
FUNNEL_LIMITS = ["lower_95", "upper_95", "lower_998", "upper_998"]
# The groups whose children make a chart's centre line (pipeline.stages.compare.monitoring):
# tried in turn against the summary's observed counts.
BASELINE_GROUPS = (("comparison", "comparison_pre"), ("comparison",))
# Centre lines of each area's own comparison group (the stage's OWN_BASELINES: `historical`,
# the area's children before the start), which is the area's comparison cell.
AREA_BASELINES = ("area_before_start",)


def _group_total(p: _Pass, indicator: str, group: str, area: str, parts: list[Triple]) -> Triple:
    """The (unpublished) cell of a group's children in an area, as the sum of its parts."""
    values = p.cells.values
    n, events = (sum(values[t[k]] for t in parts) for k in (0, 1))
    total = p.proportion(indicator, group, area, n, events, published=False)
    p.sum_up_triples(total, parts)
    return total


def _summary_counts(p: _Pass, indicator: str) -> dict[str, tuple[int, int]]:
    """The summary's observed (children, events) per group of the whole study, when published
    in the same pass."""
    summary = p.frames.get("summary")
    if summary is None or summary.empty:
        return {}
    rows = summary[(summary["indicator"] == indicator) & (summary["area"].astype("string") == "all")]
    if rows.empty:
        return {}
    record = rows.iloc[0].to_dict()
    found = {}
    for group in ("intervention", "comparison", "intervention_pre", "comparison_pre"):
        n, events = record.get(f"n_denominator_{group}"), record.get(f"events_{group}")
        if pd.notna(n) and pd.notna(events):
            found[group] = (int(n), int(events))
    return found


def _baseline(p: _Pass, indicator: str, area: str, children: Any, events: Any) -> Triple | None:
    """The centre line's counts as a published proportion, linked to the summary's groups; for
    an area's own (`area` not "all": `historical`, the area before the start) the area's
    comparison cell, which indicators.csv and the summary's area rows show."""
    if pd.isna(children) or pd.isna(events):
        return None
    if area != "all":  # (shown muted-aware, as indicators.csv shows the same cell)
        return p.proportion(indicator, "comparison", area, children, events, cost=5, shown=True)
    baseline = p.proportion(indicator, "chart_baseline", "all", children, events, cost=5, shown=True,
                            mutable=False)
    counts = _summary_counts(p, indicator)
    for groups in BASELINE_GROUPS:
        if all(g in counts for g in groups) and tuple(
                sum(counts[g][k] for g in groups) for k in (0, 1)) == (int(children), int(events)):
            parts = [p.proportion(indicator, g, "all", *counts[g], published=False) for g in groups]
            p.sum_up_triples(baseline, parts)
            break
    return baseline


def _points(frame: pd.DataFrame) -> tuple[pd.DataFrame, list[list[int]]]:
    """The stage's quarter rows collapsed to one row per point (consecutive rows of one chart
    with the same `quarter_start`): the first quarter's row with the point's children and
    events; and the rows of each point."""
    records = frame.to_dict("records")
    members: list[list[int]] = []
    for index, record in enumerate(records):
        previous = records[index - 1] if index else None
        same = previous is not None and all(_text(previous[c]) == _text(record[c])
                                            for c in ("indicator", "area", "group", "quarter_start"))
        if same:
            members[-1].append(index)
        else:
            members.append([index])
    firsts = [rows[0] for rows in members]
    points = frame.iloc[firsts].reset_index(drop=True)
    for column in ("children", "events"):
        # each point's rows are consecutive: one sum per run of rows (a missing count adds 0)
        values = frame[column].astype("Int64").fillna(0).to_numpy(dtype=np.int64)
        sums = np.add.reduceat(values, firsts) if firsts else np.zeros(0, dtype=np.int64)
        points[column] = pd.array(sums, dtype="Int64")
    return points, members


def _publish_control_chart(p: _Pass, frame: pd.DataFrame) -> Render:
    """Points of the charts: each a published proportion, the sum of its quarters (unpublished
    cells), which add up to the area's half-years and groups and to trends' half-years."""
    records = frame.to_dict("records")
    points, members = _points(frame)
    quarters = [p.proportion(r["indicator"], f"quarter/{_text(r['group'])}/{_text(r['quarter'])}",
                             _text(r["area"]), r["children"], r["events"], published=False) for r in records]
    triples: list[Triple] = []
    for point, rows in zip(points.to_dict("records"), members, strict=True):
        span = f"chart/{_text(point['group'])}/{_text(point['quarter_start'])}/{_text(point['quarter_end'])}"
        triple = p.proportion(point["indicator"], span, _text(point["area"]), point["children"],
                              point["events"], shown=True)
        p.sum_up_triples(triple, [quarters[i] for i in rows])
        triples.append(triple)
    half_years: dict[tuple, list[Triple]] = {}
    for record, quarter in zip(records, quarters, strict=True):
        key = (record["indicator"], _text(record["area"]), _text(record["group"]), _text(record["half_year"]))
        half_years.setdefault(key, []).append(quarter)
    groups: dict[tuple, list[Triple]] = {}
    arm_half_years: dict[tuple, list[Triple]] = {}
    for (indicator, area, group, half), parts in half_years.items():
        cell = _group_total(p, indicator, f"half_year/{group}/{half}", area, parts)
        groups.setdefault((indicator, area, group), []).append(cell)
        arm_half_years.setdefault((indicator, half), []).append(cell)
    for (indicator, area, group), parts in groups.items():
        _group_total(p, indicator, group, area, parts)
    trends = _trend_counts(p)
    for (indicator, half), parts in arm_half_years.items():
        # trends.csv's intervention arm in that half-year: the intervention areas' children of
        # the design's groups (and, in_study outside them, possibly more)
        counts = trends.get((indicator, half))
        if counts is not None:
            p.sum_up_triples(p.proportion(indicator, f"trend/intervention/{half}", "all", *counts,
                                          published=False), parts)
    # one centre line per indicator, or per indicator and area (historical: each area's own)
    baselines: dict[tuple[str, str], Triple | None] = {}
    point_records = points.to_dict("records")
    for point in point_records:
        key = _baseline_key(point)
        if key not in baselines:
            baselines[key] = _baseline(p, point["indicator"], key[1], point.get("baseline_children"),
                                       point.get("baseline_events"))
    render_points = _proportion_render(p, points, triples, n_column="children", events_column="events",
                                       estimate_columns=CHART_ESTIMATES)

    def render(hidden: np.ndarray) -> pd.DataFrame:
        published = render_points(hidden)
        unsafe = np.array([p.unsafe(t, hidden) for t in triples], dtype=bool)
        children_hidden = np.array([bool(hidden[t[0]]) or p.small(t[0]) for t in triples], dtype=bool)
        no_centre = np.array([_centre_hidden(p, baselines.get(_baseline_key(r)), hidden)
                              for r in point_records], dtype=bool)
        withdrawn = _withdrawn(p, point_records)
        _blank(published, unsafe | no_centre | withdrawn, ["outside"])
        _blank(published, children_hidden | no_centre | withdrawn, CHART_LIMITS)
        _blank(published, no_centre | withdrawn, CHART_CENTRE)
        _blank(published, _runs_touched(point_records, unsafe) | no_centre | withdrawn, ["run"])
        _blank(published, withdrawn, CHART_ESTIMATES + ["proportion_bound"])
        for column, index in (("baseline_children", 0), ("baseline_events", 1)):
            cells = [baselines.get(_baseline_key(r)) for r in point_records]
            published[column] = _shown_column(points[column], np.array(
                [_cell_hidden(cell, index, hidden) for cell in cells], dtype=bool), p.min_cell,
                p.muted(None if cell is None else cell[index] for cell in cells))
        marked = published["suppressed"].to_numpy(dtype=bool) | no_centre | withdrawn
        reasons = [r if r else "secondary" for r in published["suppression"]]
        return _take_out(_mark(published, marked, reasons), withdrawn,
                         ("children", "events", "baseline_children", "baseline_events"))
    return render


def _baseline_key(point: Mapping[str, Any]) -> tuple[str, str]:
    """(indicator, area) of a point's centre line: "all" areas but for an area's own."""
    own = _text(point.get("baseline")) in AREA_BASELINES
    return point["indicator"], _text(point["area"]) if own else "all"


def _take_out(published: pd.DataFrame, withdrawn: np.ndarray, counts: tuple[str, ...]) -> pd.DataFrame:
    """Withdrawn rows say nothing of their counts: no count, no "<5", and only the reason that
    says least ("secondary"), since a marker of theirs is what the pass could not protect. A
    zero stays 0 (zeros are never hidden: an empty count is at least 1)."""
    for column in counts:
        zero = pd.to_numeric(published[column], errors="coerce").eq(0).to_numpy()
        published[column] = published[column].astype(object).mask(withdrawn & ~zero, None)
    published["suppression"] = published["suppression"].mask(withdrawn, "secondary")
    return published


def _withdrawn(p: _Pass, records: list[Mapping[str, Any]]) -> np.ndarray:
    """Rows of an indicator whose small counts the pass could not protect with this table shown
    (`UNPROTECTED` in the pass's facts): everything on them is hidden, which takes the table's
    figures of that indicator back out of the sums, as the pass before them left them."""
    unprotected = p.facts.get(UNPROTECTED, set())
    return np.array([r["indicator"] in unprotected for r in records], dtype=bool)


def _trend_counts(p: _Pass) -> dict[tuple[str, str], tuple[int, int]]:
    """(n, events) of trends.csv's intervention arm per indicator and half-year, when trends is
    published in the same pass."""
    trends = p.frames.get("trends")
    if trends is None or trends.empty:
        return {}
    rows = trends[trends["arm"].astype("string") == "intervention"]
    return {(r["indicator"], _text(r["half_year"])): (int(r["n"]), int(r["events"]))
            for r in rows.to_dict("records") if pd.notna(r["n"]) and pd.notna(r["events"])}


def _cell_hidden(triple: Triple | None, index: int, hidden: np.ndarray) -> bool:
    return triple is not None and bool(hidden[triple[index]])


def _centre_hidden(p: _Pass, triple: Triple | None, hidden: np.ndarray) -> bool:
    return triple is not None and p.unsafe(triple, hidden)


def _runs_touched(records: list[Mapping[str, Any]], unsafe: np.ndarray) -> np.ndarray:
    """Rows of a run (consecutive points of one chart on one side) that holds a hidden point:
    the run would say on which side of the centre line the hidden share lies."""
    touched = np.zeros(len(records), dtype=bool)
    start = 0
    for position in range(1, len(records) + 1):
        same = (position < len(records)
                and _text(records[position].get("run")) == _text(records[start].get("run"))
                and (records[position]["indicator"], _text(records[position]["area"]))
                == (records[start]["indicator"], _text(records[start]["area"])))
        if same:
            continue
        if _text(records[start].get("run")) and unsafe[start:position].any():
            touched[start:position] = True
        start = position
    return touched


def _publish_funnel(p: _Pass, frame: pd.DataFrame) -> Render:
    records = frame.to_dict("records")
    triples = [p.proportion(r["indicator"], _text(r["group"]), _text(r["area"]), r["children"], r["events"],
                            shown=True) for r in records]
    by_group: dict[str, dict[str, list[Triple]]] = {}
    for record, triple in zip(records, triples, strict=True):
        by_group.setdefault(record["indicator"], {}).setdefault(_text(record["group"]), []).append(triple)
    targets: dict[str, Triple] = {}
    for indicator, groups in by_group.items():
        totals = [_group_total(p, indicator, group, "all", parts) for group, parts in groups.items()]
        values = p.cells.values
        n, events = (sum(values[t[k]] for t in totals) for k in (0, 1))
        # (a blank target says that a count of it is hidden or small: never muted)
        target = p.proportion(indicator, "funnel/all", "all", n, events, cost=5, mutable=False)
        p.sum_up_triples(target, totals)
        targets[indicator] = target
    render_areas = _proportion_render(p, frame, triples, n_column="children", events_column="events",
                                      estimate_columns=["proportion"])

    def render(hidden: np.ndarray) -> pd.DataFrame:
        published = render_areas(hidden)
        unsafe = np.array([p.unsafe(t, hidden) for t in triples], dtype=bool)
        children_hidden = np.array([bool(hidden[t[0]]) or p.small(t[0]) for t in triples], dtype=bool)
        no_target = np.array([p.unsafe(targets[r["indicator"]], hidden) for r in records], dtype=bool)
        withdrawn = _withdrawn(p, records)
        _blank(published, no_target | withdrawn, ["target"])
        _blank(published, children_hidden | no_target | withdrawn, FUNNEL_LIMITS)
        _blank(published, unsafe | no_target | withdrawn, ["classification"])
        _blank(published, withdrawn, ["proportion", "proportion_bound"])
        marked = published["suppressed"].to_numpy(dtype=bool) | no_target | withdrawn
        reasons = [r if r else "secondary" for r in published["suppression"]]
        return _take_out(_mark(published, marked, reasons), withdrawn, ("children", "events"))
    return render


# an earlier figure's counts and shares in changes.csv, blank together
FIGURE_COLUMNS = ("previous_n", "n", "previous_events", "events", "previous_value", "current_value",
                  "difference")


def _publish_changes(p: _Pass, frame: pd.DataFrame) -> Render:
    """New children per group: the difference of two published totals, still shown as "<5"
    when small, with one of the totals of its row hidden so that it cannot be subtracted. An
    earlier figure's and an area's counts now are trends.csv's and design.csv's own cells,
    hidden with them where they differ from the previous run's by a few children."""
    records = frame.to_dict("records")
    cells: dict[int, tuple[int, int, int]] = {}
    for index, record in enumerate(records):
        if record.get("change") != "new_children" or pd.isna(record.get("new_children")):
            continue
        group = _text(record.get("group"))
        before, after = int(record["previous_children"]), int(record["children"])
        earlier = p.count(("changes", group, "previous"), before, cost=2)
        later = p.count(_children_key(group, "all"), after, cost=2)  # design.csv's group total
        difference = p.count(("changes", group, "new"), abs(after - before))
        if after >= before:
            p.relate(later, [earlier, difference])
        else:
            p.relate(earlier, [later, difference])
        cells[index] = (earlier, later, difference)
    # A half-year's counts now and as the previous run published them: children who joined or
    # left it and their outcomes are the difference ("17 -> 16 children, 7 -> 6 breastfed" told
    # of one child who left the data). The previous counts are out (history/); the current are
    # trends.csv's own cells, hidden with it when the difference is small.
    figures: dict[int, tuple[Triple, Triple]] = {}
    for index, record in enumerate(records):
        if record.get("change") != "earlier_figure_changed":
            continue
        indicator, population = _text(record.get("indicator")), (
            f"trend/{_text(record.get('group'))}/{_text(record.get('half_year'))}")
        now = p.proportion(indicator, population, "all", record.get("n"), record.get("events"), shown=True)
        then = p.proportion(indicator, f"previous/{population}", "all", record.get("previous_n"),
                            record.get("previous_events"), hideable=False)
        for k in range(3):
            p.differ(now[k], then[k])
        figures[index] = (then, now)
    # an area's children now (design.csv's own cell) and as the previous run published them
    areas: dict[int, int] = {}
    for index, record in enumerate(records):
        if record.get("change") != "area_children_changed":
            continue
        group, area = _text(record.get("group")), _text(record.get("area"))
        now_cell = p.count(_children_key(group, area), record.get("children"))
        then_cell = p.count(("changes", "previous", group, area), record.get("previous_children"),
                            hideable=False)
        p.differ(now_cell, then_cell)
        areas[index] = now_cell

    def render(hidden: np.ndarray) -> pd.DataFrame:
        published = frame.copy()
        rows = np.zeros(len(records), dtype=bool)
        reasons = [""] * len(records)
        changed = np.array([index in figures and p.unsafe(figures[index][1], hidden)
                            for index in range(len(records))], dtype=bool)
        _blank(published, changed, FIGURE_COLUMNS)
        for index, cell in areas.items():
            changed[index] = bool(hidden[cell])
        rows |= changed
        for index in np.flatnonzero(changed):
            reasons[index] = "secondary"
        columns = ("previous_children", "children", "new_children")
        shown = {column: list(frame[column].astype(object)) for column in columns}
        for index in (i for i in areas if changed[i]):  # the area's count now, hidden with design.csv's
            shown["children"][index] = None
        for index, triple in cells.items():
            for column, cell in zip(columns, triple, strict=True):
                if hidden[cell]:
                    shown[column][index] = _shown(p.cells.values[cell], True, p.min_cell)
                    rows[index] = True
            if rows[index]:
                reasons[index] = "small_count" if p.small(triple[2]) else "secondary"
        for column in columns:
            published[column] = pd.Series(shown[column], index=frame.index, dtype=object)
        return _mark(published, rows, reasons)
    return render
