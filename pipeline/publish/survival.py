"""The rule for survival.csv: group sizes, numbers at risk and events, and the curves cut
where few children are at risk."""

from __future__ import annotations

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


def _publish_survival(p: _Pass, frame: pd.DataFrame) -> Render:
    """Counts of a group (n, at risk, events, and n - events) are protected, with the two
    groups adding up to the log-rank row's n, and a group's n the same count as effects.csv's
    (and the children of the group elsewhere, when as many); a curve is cut from the first
    point where fewer than min_cell children are at risk, and is blank where the events so
    far are hidden; a group of fewer than min_cell children is blank, and so is the log-rank
    p-value comparing it."""
    records = frame.to_dict("records")
    count_ids: dict[tuple[int, str], int] = {}
    group_n: dict[str, list[int]] = {}
    for index, record in enumerate(records):
        if record["group"] == "all":
            continue
        indicator, group, area = record["indicator"], record["group"], _area(record)
        n = _count(record.get("n"))
        key = ("outcome", indicator, group, _side_area(group, area))
        n_cell = p.count((*key, "n"), n, cost=3)
        p.relate(p.count(_children_key(group, _side_area(group, area)), n, published=False), [n_cell])
        group_n.setdefault(indicator, [])
        if n_cell not in group_n[indicator]:
            group_n[indicator].append(n_cell)
        count_ids[index, "n"] = n_cell
        if not pd.isna(record.get("at_risk")):  # at risk at time 0: the group's n, one cell
            count_ids[index, "at_risk"] = p.count((*key, "n"), record["at_risk"])
        if not pd.isna(record.get("events")):
            events = _count(record["events"])
            event_cell = p.count((*key, "events"), events)
            count_ids[index, "events"] = event_cell
            if events <= n:
                p.relate(n_cell, [event_cell, p.count((*key, "rest"), n - events, published=False)])
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
        blank_group = privacy.is_small_count(frame["n"], m) & frame["group"].ne("all").to_numpy()
        small_groups = set(zip(frame["indicator"][blank_group], frame["group"][blank_group], strict=True))
        at_risk_small = privacy.is_small_count(frame["at_risk"], m)
        cut = np.zeros(len(frame), dtype=bool)
        points = (frame["time"].notna() & frame["statistic"].str.endswith("_point")).to_numpy(dtype=bool)
        for _, curve in frame[points].groupby(["indicator", "group"], sort=False):
            ordered = curve.sort_values("time").index
            cut[ordered] = np.maximum.accumulate(at_risk_small[ordered])
        # a survival estimate with few events (or few children without one) gives the count back
        cut |= hidden_of["events"] & points
        in_small_group = np.array([(i, g) in small_groups for i, g in zip(frame["indicator"], frame["group"],
                                                                           strict=True)])
        group_hidden = {(records[i]["indicator"], records[i]["group"]) for (i, c), cell in count_ids.items()
                        if c == "n" and hidden[cell] and records[i]["group"] != "all"}
        in_hidden_group = np.array([(r["indicator"], r["group"]) in group_hidden for r in records],
                                   dtype=bool)
        _blank(published, cut | in_small_group | in_hidden_group, SURVIVAL_ESTIMATES)
        medians = frame["statistic"].eq("median").to_numpy()
        _blank(published, (in_small_group | in_hidden_group) & medians, ["time"])
        compares_small = frame["group"].eq("all").to_numpy() & frame["indicator"].isin(
            {i for i, _ in small_groups | group_hidden}).to_numpy()
        _blank(published, compares_small, ["p_value"])
        reasons = ["small_count" if any(p.small(count_ids[i, c]) for c in ("n", "at_risk", "events")
                                        if (i, c) in count_ids) or at_risk_small[i] else "secondary"
                   for i in range(len(frame))]
        return _mark(published, rows | cut | in_small_group | in_hidden_group | compares_small, reasons)
    return render
