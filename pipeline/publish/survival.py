"""The rule for survival.csv: group sizes, numbers at risk and events, the curves on a grid
coarsened until no step between two points is a small count, and cut where few children are
at risk."""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np
import pandas as pd

from pipeline import privacy
from pipeline.publish.cells import (
    Render,
    _area,
    _blank,
    _children_key,
    _count,
    _mark,
    _Pass,
    _shown_column,
    _side_area,
)

SURVIVAL_ESTIMATES = ("survival", "ci_low", "ci_high", "survival_lower", "survival_upper")
CURVE_POINTS = ("km_point", "turnbull_point")
# "median not reached: survival is still 0.823 at the last event time (530)": the survival at
# the last event and that child's age, finer than the published curve (a tail of a few events).
_LAST_EVENT = re.compile(r"survival is still [\d.]+ at the last event time \([^)]*\)")
_LAST_EVENT_WORDS = "survival stays above one half up to the last event"


def coarsened_points(at_risk: Sequence[int], events: Sequence[int], n: int, min_cell: int,
                     total_events: int | None = None, *, right_censored: bool = True) -> list[int]:
    """The points of one curve (in time order) that can be published: a coarser grid on which
    no step is a small count, ending before fewer than min_cell children are at risk.

    At each point a reader has the children at risk, the events so far and the group's n, so
    by subtraction: the events between two points, the children who left the risk set between
    them, and those neither at risk nor with the event at a point (censored before it; for an
    interval-censored curve, of unknown state there). A point is kept when each of these,
    counted from the last kept point (the first from "no event, all at risk"), is 0 or at
    least min_cell: the steps are merged until they are that large. For a right-censored
    (Kaplan–Meier) curve the change in those neither at risk nor with the event is the
    children censored between two points, and is held to the same rule. The curve ends at the
    first point with 1..min_cell-1 at risk. With `total_events` (the group's events,
    published with its median) of min_cell or more, trailing points are merged too until the
    events after the last point (and, right-censored, the children censored after it) are 0
    or at least min_cell.
    """
    def safe(count: int) -> bool:
        return count == 0 or abs(count) >= min_cell

    kept: list[int] = []
    last = (0, 0, 0)  # events, left the risk set, neither: before the first point
    steps = 3 if right_censored else 2
    for index, (risk, so_far) in enumerate(zip(at_risk, events, strict=True)):
        if 0 < risk < min_cell:
            break
        left = n - int(risk)
        point = (int(so_far), left, left - int(so_far))
        steps_safe = all(safe(now - before) for now, before in zip(point[:steps], last[:steps], strict=True))
        if safe(point[2]) and steps_safe:
            kept.append(index)
            last = point
    if total_events is not None and total_events >= min_cell:
        while kept:
            after = total_events - int(events[kept[-1]])
            if safe(after) and (not right_censored or safe(int(at_risk[kept[-1]]) - after)):
                break
            kept.pop()
    return kept


def _coarsen(frame: pd.DataFrame, min_cell: int) -> tuple[pd.DataFrame, np.ndarray]:
    """The table with the curve points that `coarsened_points` merges away left out, and
    which of the remaining rows lie where the curve is cut (few at risk: their events are
    not shown). A group's median row gives its total events."""
    points = (frame["statistic"].isin(CURVE_POINTS) & frame["time"].notna()).to_numpy(dtype=bool)
    drop = np.zeros(len(frame), dtype=bool)
    cut = np.zeros(len(frame), dtype=bool)
    medians = frame[frame["statistic"].eq("median")]
    totals = {(i, g): e for i, g, e in zip(medians["indicator"], medians["group"], medians["events"],
                                            strict=True)}
    for (indicator, group), curve in frame[points].groupby(["indicator", "group"], sort=False):
        ordered = curve.sort_values("time", kind="stable")
        right_censored = bool(ordered["statistic"].eq("km_point").all())
        at_risk = [_count(v) for v in ordered["at_risk"]]
        events = [_count(v) for v in ordered["events"]]
        n = _count(ordered["n"].iloc[0])
        total = totals.get((indicator, group))
        kept = coarsened_points(at_risk, events, n, min_cell, None if pd.isna(total) else int(total),
                                right_censored=right_censored)
        reached = next((k for k, risk in enumerate(at_risk) if 0 < risk < min_cell), len(at_risk))
        positions = ordered.index.to_numpy()
        drop[positions[:reached]] = True
        drop[positions[kept]] = False
        cut[positions[reached:]] = True
    keep = ~drop
    return frame[keep].reset_index(drop=True), cut[keep]


def _link_in_order(p: _Pass, cells: list[int | None]) -> None:
    """Consecutive counts of a curve: each the one before it plus (or less) a step that is an
    unpublished cell, as a reader subtracts them."""
    present = [c for c in cells if c is not None]
    for before, after in zip(present[:-1], present[1:], strict=True):
        p.differ(before, after)


def _publish_survival(p: _Pass, frame: pd.DataFrame) -> Render:
    """Counts of a group (n, at risk, events, and n - events) are protected, with the two
    groups adding up to the log-rank row's n, and a group's n the same count as effects.csv's
    (and the children of the group elsewhere, when as many). Each curve is first coarsened
    (`coarsened_points`): a point whose step from the one before is a small count is merged
    into the next, so that the curve is published on a coarser grid; it is cut from the first
    point where fewer than min_cell children are at risk (those rows keep their time and "<5"
    at risk, without survival or events). The points kept are linked in order (events so far
    grow by the step, at risk falls by those who left, the median's events are the last
    point's and the rest), so that secondary suppression sees what a reader can subtract; a
    curve is blank where the events so far are hidden; a group of fewer than min_cell
    children is blank, and so is the log-rank p-value comparing it."""
    frame, cut = _coarsen(frame, p.min_cell)
    records = frame.to_dict("records")
    count_ids: dict[tuple[int, str], int] = {}
    group_n: dict[str, list[int]] = {}
    curves: dict[tuple[str, str], list[tuple[float, int]]] = {}
    for index, record in enumerate(records):
        if record["group"] == "all":
            continue
        indicator, group, area = record["indicator"], record["group"], _area(record)
        n = _count(record.get("n"))
        where = _side_area(group, area, p.own_comparison)
        key = ("outcome", indicator, group, where)
        n_cell = p.count((*key, "n"), n, cost=3)
        p.relate(p.count(_children_key(group, where), n, published=False), [n_cell])
        group_n.setdefault(indicator, [])
        if n_cell not in group_n[indicator]:
            group_n[indicator].append(n_cell)
        count_ids[index, "n"] = n_cell
        if not pd.isna(record.get("at_risk")):  # at risk at time 0: the group's n, one cell
            count_ids[index, "at_risk"] = p.count((*key, "n"), record["at_risk"])
        if not pd.isna(record.get("events")) and not cut[index]:
            events = _count(record["events"])
            event_cell = p.count((*key, "events"), events)
            count_ids[index, "events"] = event_cell
            if events <= n:
                p.relate(n_cell, [event_cell, p.count((*key, "rest"), n - events, published=False)])
        if record["statistic"] in CURVE_POINTS and not pd.isna(record.get("time")):
            curves.setdefault((indicator, group), []).append((float(record["time"]), index))
    for (indicator, group), points in curves.items():
        ordered = [index for _, index in sorted(points)]
        _link_in_order(p, [count_ids.get((i, "at_risk")) for i in ordered])  # falls by those who left
        with_events = [count_ids[i, "events"] for i in ordered if (i, "events") in count_ids]
        median = next((i for i, r in enumerate(records) if r["indicator"] == indicator and r["group"] == group
                       and r["statistic"] == "median" and (i, "events") in count_ids), None)
        # grows by each step; the median row's events are the last point's and those after it
        _link_in_order(p, with_events + ([count_ids[median, "events"]] if median is not None else []))
    for index, record in enumerate(records):
        if record["group"] != "all":
            continue
        total = p.count(("survival", record["indicator"], "all", _area(record), "n"), record.get("n"))
        count_ids[index, "n"] = total
        p.sum_up(total, group_n.get(record["indicator"], []))

    def render(hidden: np.ndarray) -> pd.DataFrame:
        m = p.min_cell
        published = frame.copy()
        rows = np.zeros(len(frame), dtype=bool)
        hidden_of = {column: np.array([bool(hidden[count_ids[i, column]]) if (i, column) in count_ids
                                       else False for i in range(len(frame))])
                     for column in ("n", "at_risk", "events")}
        for column, column_hidden in hidden_of.items():
            published[column] = _shown_column(frame[column], column_hidden, m)
            rows |= column_hidden
        points = (frame["time"].notna() & frame["statistic"].isin(CURVE_POINTS)).to_numpy(dtype=bool)
        # past the cut the events so far are not shown: the step from the last point would be small
        _blank(published, cut & points, ["events"])
        blank_group = privacy.is_small_count(frame["n"], m) & frame["group"].ne("all").to_numpy()
        small_groups = set(zip(frame["indicator"][blank_group], frame["group"][blank_group], strict=True))
        at_risk_small = privacy.is_small_count(frame["at_risk"], m)
        # a survival estimate with few events (or few children without one) gives the count back
        curve_cut = (cut & points) | (hidden_of["events"] & points)
        in_small_group = np.array([(i, g) in small_groups for i, g in zip(frame["indicator"], frame["group"],
                                                                           strict=True)])
        group_hidden = {(records[i]["indicator"], records[i]["group"]) for (i, c), cell in count_ids.items()
                        if c == "n" and hidden[cell] and records[i]["group"] != "all"}
        in_hidden_group = np.array([(r["indicator"], r["group"]) in group_hidden for r in records],
                                   dtype=bool)
        _blank(published, curve_cut | in_small_group | in_hidden_group, SURVIVAL_ESTIMATES)
        medians = frame["statistic"].eq("median").to_numpy()
        _blank(published, (in_small_group | in_hidden_group) & medians, ["time"])
        compares_small = frame["group"].eq("all").to_numpy() & frame["indicator"].isin(
            {i for i, _ in small_groups | group_hidden}).to_numpy()
        _blank(published, compares_small, ["p_value"])
        published["note"] = [_LAST_EVENT.sub(_LAST_EVENT_WORDS, note) if isinstance(note, str) else note
                             for note in published["note"]]
        reasons = ["small_count" if any(p.small(count_ids[i, c]) for c in ("n", "at_risk", "events")
                                        if (i, c) in count_ids) or at_risk_small[i] else "secondary"
                   for i in range(len(frame))]
        return _mark(published, rows | curve_cut | in_small_group | in_hidden_group | compares_small, reasons)
    return render
