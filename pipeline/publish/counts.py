"""The rules for count_outcomes and count_effects (issue 13): children and events of count and rate
outcomes.

A group row's children and events (contacts, or decayed teeth) are counts: 1 to min_cell - 1 is
shown as "<5". What rests on them is blank with them: the child-years (about two per child, so
they give the children back), the rate (events per child-year: with the child-years it gives the
events back), the mean and its SD. A group's areas add up to the whole group (an intervention
group's; under `historical` the comparison group's too, the intervention areas before the start),
so a hidden area cannot be worked out by subtraction. An effect row rests on the groups it
compares, the same cells (an area's intervention children against the whole comparison group,
or under `historical` against the area's own children before the start: `cells._side_area`): its
estimate, interval and p are blank where either group's children or events are hidden or small.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from pipeline.publish.cells import (
    Render,
    _area,
    _blank,
    _children_key,
    _mark,
    _Pass,
    _shown_column,
    _side_area,
    _text,
)

GROUP_VALUES = ("person_years", "estimate", "ci_low", "ci_high", "sd")
EFFECT_VALUES = ("estimate", "ci_low", "ci_high", "p_value")


def _cells(p: _Pass, indicator: str, group: str, area: str, n: object, events: object) -> tuple[int, int]:
    key = ("count_outcome", indicator, group, area)
    return p.count((*key, "n"), n, cost=2), p.count((*key, "events"), events)


def _publish_count_outcomes(p: _Pass, frame: pd.DataFrame) -> Render:
    """Children and events per group and area; a group's areas add up to it."""
    records = frame.to_dict("records")
    cells = [_cells(p, _text(r["indicator"]), _text(r["group"]), _area(r), r["n"], r["events"])
             for r in records]
    wholes: dict[tuple[str, str], tuple[int, int]] = {}
    parts: dict[tuple[str, str], list[tuple[int, int]]] = {}
    for record, cell in zip(records, cells, strict=True):
        key = (_text(record["indicator"]), _text(record["group"]))
        if _area(record) == "all":
            wholes[key] = cell
        else:
            parts.setdefault(key, []).append(cell)
    for key, areas in parts.items():
        if key in wholes:
            for k in range(2):
                p.sum_up(wholes[key][k], [cell[k] for cell in areas])
    p.facts["count_outcome_cells"] = {(_text(r["indicator"]), _text(r["group"]), _area(r)): cell
                                      for r, cell in zip(records, cells, strict=True)}

    def render(hidden: np.ndarray) -> pd.DataFrame:
        published = frame.copy()
        n_hidden = np.array([bool(hidden[c[0]]) for c in cells], dtype=bool)
        events_hidden = np.array([bool(hidden[c[1]]) for c in cells], dtype=bool)
        published["n"] = _shown_column(frame["n"], n_hidden, p.min_cell)
        published["events"] = _shown_column(frame["events"], events_hidden, p.min_cell)
        rows = n_hidden | events_hidden
        _blank(published, rows, GROUP_VALUES)
        return _mark(published, rows, [_reason(p, c) for c in cells])
    return render


def _reason(p: _Pass, cells: tuple[int, ...]) -> str:
    if p.small(cells[0]):
        return "small_group"
    return "small_count" if any(p.small(c) for c in cells) else "secondary"


def _publish_count_effects(p: _Pass, frame: pd.DataFrame) -> Render:
    """An effect blank where a group it compares is hidden in count_outcomes (published in the same
    pass, which holds the cells); without it, where its own group sizes are small. A DiD rests on
    the four groups (both arms before and after the start), its n adding up those of each arm."""
    groups = p.facts.get("count_outcome_cells", {})
    records = frame.to_dict("records")
    rests_on: list[list[int]] = []
    n_cells: list[tuple[int, int]] = []
    for record in records:
        indicator, area = _text(record["indicator"]), _area(record)
        periods = ("", "_pre") if _text(record["method"]) == "did" else ("",)
        # the area's comparison group is its own where count_outcomes has its row (historical)
        own_comparison = p.own_comparison or (indicator, "comparison", area) in groups
        sides = [[groups.get((indicator, f"{arm}{period}", _side_area(arm, area, own_comparison)))
                  for period in periods] for arm in ("intervention", "comparison")]
        own = [p.count(("count_effect", indicator, area, arm, _text(record["method"])), record[column],
                       cost=2)
               for arm, column in (("intervention", "n_intervention"), ("comparison", "n_comparison"))]
        if all(cell is not None for side in sides for cell in side):
            for n_cell, side in zip(own, sides, strict=True):
                p.sum_up(n_cell, [cell[0] for cell in side])
            rests_on.append([c for side in sides for cell in side for c in cell])
        else:  # no group table in this pass: the row's own group sizes
            rests_on.append(own)
        n_cells.append((own[0], own[1]))

    def render(hidden: np.ndarray) -> pd.DataFrame:
        published = frame.copy()
        rows = np.array([any(bool(hidden[c]) or p.small(c) for c in cells) for cells in rests_on], dtype=bool)
        for k, column in enumerate(("n_intervention", "n_comparison")):
            column_hidden = np.array([bool(hidden[c[k]]) for c in n_cells], dtype=bool)
            published[column] = _shown_column(frame[column], column_hidden, p.min_cell)
        _blank(published, rows, EFFECT_VALUES)
        return _mark(published, rows, [_reason(p, tuple(cells)) for cells in rests_on])
    return render


DOSE_VALUES = ("estimate", "ci_low", "ci_high")
DOSE_DIFFERENCES = ("difference", "difference_ci_low", "difference_ci_high", "p_value")


def _publish_dose_received(p: _Pass, frame: pd.DataFrame) -> Render:
    """Families and contacts per level; a variable's levels add up to all families (the children
    and contacts fidelity.csv counts), so that no hidden level follows by subtraction; a mean is
    blank with its counts, a difference with its own level's or its reference's."""
    records = frame.to_dict("records")
    cells: list[tuple[int, int]] = []
    for record in records:
        variable, level = _text(record["variable"]), _text(record["level"])
        if variable == "all":
            cells.append((p.count(_children_key("accepted", "all"), record["n"], cost=4),
                          p.count(("fidelity", "contacts_received", "all"), record["contacts"], cost=3)))
        else:
            key = ("dose_received", variable, level)
            cells.append((p.count((*key, "n"), record["n"], cost=2),
                          p.count((*key, "contacts"), record["contacts"])))
    total = next((c for r, c in zip(records, cells, strict=True) if _text(r["variable"]) == "all"), None)
    by_variable: dict[str, list[tuple[int, int]]] = {}
    for record, cell in zip(records, cells, strict=True):
        if _text(record["variable"]) != "all":
            by_variable.setdefault(_text(record["variable"]), []).append(cell)
    if total is not None:
        for parts in by_variable.values():
            for k in range(2):
                p.sum_up(total[k], [cell[k] for cell in parts])
    level_cell = {(_text(r["variable"]), _text(r["level"])): c for r, c in zip(records, cells, strict=True)}

    def render(hidden: np.ndarray) -> pd.DataFrame:
        published = frame.copy()
        own = np.array([bool(hidden[c[0]] or hidden[c[1]]) for c in cells], dtype=bool)
        for k, column in enumerate(("n", "contacts")):
            column_hidden = np.array([bool(hidden[c[k]]) for c in cells], dtype=bool)
            published[column] = _shown_column(frame[column], column_hidden, p.min_cell)

        def reference_is_hidden(record: dict) -> bool:
            reference = level_cell.get((_text(record["variable"]), _text(record.get("reference"))), ())
            return any(bool(hidden[c]) for c in reference)
        reference_hidden = np.array([reference_is_hidden(r) for r in records], dtype=bool)
        _blank(published, own, DOSE_VALUES)
        _blank(published, own | reference_hidden, DOSE_DIFFERENCES)
        return _mark(published, own | reference_hidden, [_reason(p, c) for c in cells])
    return render
