"""Rules for the tables that count children: the flow, the design, fidelity and covariate
balance. A count of children is keyed (group, area, value), so that flow's eligible step,
the design table and balance's group sizes are one cell where they are equal."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from pipeline import privacy
from pipeline.publish.cells import (
    SIDES,
    Render,
    _area,
    _blank,
    _children_key,
    _count,
    _group_of,
    _mark,
    _Pass,
    _shown,
    _shown_column,
    _side_area,
    _text,
    missing_variable,
)

# --- children: flow, fidelity, design ------------------------------------------------------------

# Steps of the flow that are a group elsewhere: eligible children of the intervention areas
# are the intervention group; fidelity counts the children of accepting families.
FLOW_POPULATIONS = {"eligible": "intervention", "accepted": "accepted"}


def _publish_flow(p: _Pass, frame: pd.DataFrame) -> Render:
    """Areas add up to "all" at each step; each step is the one before less those who left
    (unpublished, protected too: "3 families declined" is a small cell)."""
    records = frame.to_dict("records")
    ids = np.array([p.count(_children_key(FLOW_POPULATIONS.get(r["step"], f"flow/{r['step']}"),
                                          _area(r)), r["children"], cost=3 if _area(r) == "all" else 1)
                    for r in records], dtype=np.int64)
    for _, steps in frame.groupby("area", sort=False):
        steps = steps.sort_values("order")
        for before, after in zip(steps.index[:-1], steps.index[1:], strict=True):
            if pd.isna(frame.at[after, "children"]) or pd.isna(frame.at[before, "children"]):
                continue
            p.differ(int(ids[before]), int(ids[after]))
    for _, areas in frame.groupby("order", sort=False):
        is_all = areas["area"].eq("all").to_numpy()
        if is_all.any() and (~is_all).any():
            p.sum_up(int(ids[areas.index[is_all][0]]), ids[areas.index[~is_all]].tolist())

    def render(hidden: np.ndarray) -> pd.DataFrame:
        row_hidden = hidden[ids]
        published = frame.copy()
        published["children"] = _shown_column(frame["children"], row_hidden, p.min_cell)
        previous_hidden = np.zeros(len(frame), dtype=bool)
        for _, steps in frame.groupby("area", sort=False):
            ordered = steps.sort_values("order").index
            previous_hidden[ordered[1:]] = row_hidden[ordered[:-1]]
        rows = row_hidden | previous_hidden
        _blank(published, rows, ["share_of_previous"])
        return _mark(published, rows, ["small_count" if p.small(int(c)) else "secondary" for c in ids])
    return render


def _publish_design(p: _Pass, frame: pd.DataFrame) -> Render:
    """Children per area and period in each group; the areas add up to the group."""
    records = frame.to_dict("records")
    ids = np.array([p.count(_children_key(_text(r.get("group")) or f"design/{r['arm']}/{r['period']}",
                                          _area(r)), r["children"]) for r in records], dtype=np.int64)
    groups: dict[str, list[int]] = {}
    for record, cell in zip(records, ids, strict=True):
        if _text(record.get("group")):
            groups.setdefault(record["group"], []).append(int(cell))
    for group, cells in groups.items():
        total = sum(p.cells.values[c] for c in cells)
        p.sum_up(p.count(_children_key(group, "all"), total, published=False), cells)

    def render(hidden: np.ndarray) -> pd.DataFrame:
        published = frame.copy()
        published["children"] = _shown_column(frame["children"], hidden[ids], p.min_cell)
        return _mark(published, hidden[ids], ["small_count" if p.small(int(c)) else "secondary"
                                              for c in ids])
    return render


FIDELITY_COUNTS = ("children", "contacts_due", "contacts_received", "extra_contacts")
# Shares of contacts, and the count each is a share of.
FIDELITY_SHARES = {"share_of_due_received": "contacts_due", "share_received_on_time": "contacts_received",
                   "share_joint": "contacts_received", "share_with_interpreter": "contacts_received",
                   "share_with_mother": "contacts_received", "share_with_father": "contacts_received",
                   "share_with_both": "contacts_received"}
FIDELITY_CONSTANTS = ("contacts_planned_per_child",)  # the programme's plan, not data


def _publish_fidelity(p: _Pass, frame: pd.DataFrame) -> Render:
    """Counts per area add up to "all"; a share of contacts is suppressed like a proportion
    (its numerator worked back from share x count); an area whose children are hidden has
    every value hidden. The children are those of accepting families (flow's "accepted")."""
    value_of = {(row.area, row.measure): row.value for row in frame.itertuples(index=False)}
    cell_of: dict[tuple[str, str], int] = {}
    for (area, measure), value in value_of.items():
        cost = 3 if area == "all" else 1
        if measure == "children":
            cell_of[area, measure] = p.count(_children_key("accepted", area), value, cost=cost + 1)
        elif measure in FIDELITY_COUNTS:
            cell_of[area, measure] = p.count(("fidelity", measure, area), value, cost=cost)
    for (area, measure), value in value_of.items():
        base = FIDELITY_SHARES.get(measure)
        if base is None or (area, base) not in cell_of:
            continue
        whole = p.cells.values[cell_of[area, base]]
        part = 0 if pd.isna(value) else min(whole, round(float(value) * whole))
        cell_of[area, measure] = p.count(("fidelity", measure, area), part, cost=3 if area == "all" else 1)
        p.differ(cell_of[area, base], cell_of[area, measure])
    areas = [a for a in dict.fromkeys(frame["area"]) if a != "all"]
    for measure in (*FIDELITY_COUNTS, *FIDELITY_SHARES):
        if ("all", measure) in cell_of and areas and all((a, measure) in cell_of for a in areas):
            p.sum_up(cell_of["all", measure], [cell_of[a, measure] for a in areas])

    def render(hidden_cells: np.ndarray) -> pd.DataFrame:
        hidden = np.array([bool(hidden_cells[cell_of[a, m]]) if (a, m) in cell_of else False
                           for a, m in zip(frame["area"], frame["measure"], strict=True)])
        area_hidden = {a for a, m in cell_of if m == "children" and hidden_cells[cell_of[a, m]]}
        in_hidden_area = frame["area"].isin(area_hidden).to_numpy()
        hidden |= in_hidden_area & ~frame["measure"].isin(FIDELITY_CONSTANTS).to_numpy()
        # a mean or share rests on its count: hidden with it
        for row, (area, measure) in enumerate(zip(frame["area"], frame["measure"], strict=True)):
            base = FIDELITY_SHARES.get(measure) or ("contacts_received" if measure == "mean_contacts_received"
                                                    else None)
            if base and (area, base) in cell_of and hidden_cells[cell_of[area, base]]:
                hidden[row] = True
        published = frame.copy()
        is_count = frame["measure"].isin(FIDELITY_COUNTS).to_numpy()
        published["value"] = [
            _shown(v, h, p.min_cell) if c else (None if h or pd.isna(v) else _round_float(v))
            for v, h, c in zip(frame["value"], hidden, is_count, strict=True)]
        reasons = ["small_count" if (a, m) in cell_of and p.small(cell_of[a, m]) else "secondary"
                   for a, m in zip(frame["area"], frame["measure"], strict=True)]
        return _mark(published, hidden, reasons)
    return render


def _few(found: re.Match[str], min_cell: int) -> str:
    """A count in a note as published: "<5" when it is 1..min_cell-1."""
    count = int(found[2])
    return found[1] + (privacy.small_count_label(min_cell) if 0 < count < min_cell else found[2]) + found[3]


def _group_sizes(p: _Pass, records: list[dict]) -> dict[tuple[str, str], int]:
    """The children of each group (side, area) that balance.csv compares: missing_data.csv's
    count of the group when the pass has it, else the most children any covariate is known
    for."""
    sizes: dict[tuple[str, str], int] = {}
    for record in records:
        for side in SIDES:
            key = (side, _side_area(side, _area(record), p.own_comparison))
            sizes[key] = max(sizes.get(key, 0), _count(record.get(f"n_{side}")))
    missing = p.frames.get("missing_data")
    if missing is not None and not missing.empty:
        for row in missing.to_dict("records"):
            group = _group_of(row["arm"], row["period"])
            if row.get("kind") == "covariate" and (group, "all") in sizes:
                sizes[group, "all"] = max(sizes[group, "all"], _count(row["n"]))
    return sizes


def _known(p: _Pass, covariate: str, side: str, where: str, group: int, known: int, *, cost: int) -> int:
    """The cell of a group's children with a covariate known: the rest of missing_data's
    proportion (group, missing, known) of that covariate. Known for every child, it is the
    group's children, one count with the group's size elsewhere (flow, design, survival):
    Table 1 shows the largest as the children it rests on."""
    group_cell, _, _ = p.proportion(missing_variable(covariate), side, where, group, group - known,
                                    published=False)
    children = p.count(_children_key(side, where), group, published=known == group, cost=cost)
    p.relate(children, [group_cell])
    if known == group:
        return children
    return p.count(("outcome", missing_variable(covariate), side, where, "rest"), known, cost=cost)


def _round_float(value: object) -> object:
    """A float in a mixed column, rounded as the CSV writer rounds float columns (%.6g)."""
    if not isinstance(value, float | np.floating):
        return value
    return int(value) if float(value).is_integer() else float(f"{float(value):.6g}")


# --- balance -----------------------------------------------------------------------------------

BALANCE_VALUES = ("value_before", "value_after", "smd_before", "smd_after", "rating_before",
                  "rating_after")
# "the intervention group has 1 child(ren) with a value": a count of children, in the note of a
# difference that could not be made (pipeline.stats.balance).
_SPREAD_OF = re.compile(r"\b(has )(\d+)( child\(ren\))")
# Children with the covariate level, per group (binary covariates and levels only).
BALANCE_LEVEL_COUNTS = ("n_level_intervention", "n_level_comparison")


def _publish_balance(p: _Pass, frame: pd.DataFrame) -> Render:
    """The children of a group with a covariate known, and those without it known, add up to
    the group, as missing_data.csv counts them (so that "218 children, 215 with education
    known" cannot give back 3 children whose education is missing); the group is the largest
    count of any covariate (a covariate known for every child: sex, from the personnummer),
    or missing_data's when it is published with it. A covariate's levels add up to its
    children (a yes/no covariate: with the children without it); area rows add up to "all".
    A covariate (level) with a hidden count, or a small number of children without the level,
    loses its balance values (a standardised difference of two proportions gives the
    proportions back)."""
    records = frame.to_dict("records")
    groups = _group_sizes(p, records)
    cells: list[dict[str, int]] = []
    for record in records:
        area, mine = _area(record), {}
        for side in SIDES:
            where = _side_area(side, area, p.own_comparison)
            mine[f"n_{side}"] = _known(p, record["covariate"], side, where, groups[side, where],
                                       _count(record.get(f"n_{side}")), cost=3 if where == "all" else 2)
            level = record.get(f"n_level_{side}")
            if level is not None and not pd.isna(level):
                mine[f"n_level_{side}"] = p.count(("balance", record["covariate"], _text(record.get("level")),
                                                   side, where), level)
        cells.append(mine)
    areas: dict[str, dict[str, int]] = {}
    for (side, where), size in groups.items():
        areas.setdefault(side, {})[where] = p.count(_children_key(side, where), size, published=False)
    for by_area in areas.values():
        if "all" in by_area and len(by_area) > 1:
            p.sum_up(by_area["all"], [c for a, c in by_area.items() if a != "all"])
    levels: dict[tuple, list[int]] = {}
    totals: dict[tuple, int] = {}
    for record, mine in zip(records, cells, strict=True):
        for side in SIDES:
            if f"n_level_{side}" in mine:
                key = (record["covariate"], side, _side_area(side, _area(record), p.own_comparison))
                levels.setdefault(key, []).append(mine[f"n_level_{side}"])
                totals[key] = mine[f"n_{side}"]
    for key, parts in levels.items():
        p.sum_up(totals[key], parts)
    by_identity: dict[tuple, dict[str, int]] = {}
    for record, mine in zip(records, cells, strict=True):
        for column in ("n_intervention", "n_level_intervention"):
            if column in mine:
                identity = (column, record["covariate"], _text(record.get("level")))
                by_identity.setdefault(identity, {})[_area(record)] = mine[column]
    for by_area in by_identity.values():
        if "all" in by_area and len(by_area) > 1:
            p.sum_up(by_area["all"], list(dict.fromkeys(c for a, c in by_area.items() if a != "all")))

    def render(hidden: np.ndarray) -> pd.DataFrame:
        m = p.min_cell
        published = frame.copy()
        rows = np.zeros(len(frame), dtype=bool)
        for column in ("n_intervention", "n_comparison", *BALANCE_LEVEL_COUNTS):
            if column not in frame.columns:
                continue
            column_hidden = np.array([column in mine and bool(hidden[mine[column]]) for mine in cells],
                                     dtype=bool)
            published[column] = _shown_column(frame[column], column_hidden, m)
            rows |= column_hidden
        for side in SIDES:
            if f"n_level_{side}" in frame.columns:
                rest = frame[f"n_{side}"].astype("Float64") - frame[f"n_level_{side}"].astype("Float64")
                rows |= privacy.is_small_count(rest, m)
        _blank(published, rows, BALANCE_VALUES)
        published["note"] = [_SPREAD_OF.sub(lambda found: _few(found, m), note) if isinstance(note, str)
                             else note for note in frame["note"]]
        reasons = []
        for record, mine in zip(records, cells, strict=True):
            rests = [_count(record.get(f"n_{s}")) - _count(record.get(f"n_level_{s}")) for s in SIDES
                     if f"n_level_{s}" in mine]
            small = any(p.small(c) for c in mine.values()) or privacy.is_small_count(rests, m).any()
            reasons.append("small_count" if small else "secondary")
        return _mark(published, rows, reasons)
    return render
