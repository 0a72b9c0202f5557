"""Rules for the tables of proportions (n, events and the rest): indicators, dose-response,
trends, the DiD's area x period cells and the estimates that rest on them (per area, event
study), missing data."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from pipeline.publish.cells import (
    Render,
    Triple,
    _area,
    _blank,
    _children_key,
    _count,
    _flag,
    _group_of,
    _mark,
    _Pass,
    _proportion_render,
    _shown_column,
    _text,
    landmark_triples,
    missing_variable,
)

# --- indicators, dose-response and trends: n, events and the rest ------------------------------

def _publish_indicators(p: _Pass, frame: pd.DataFrame) -> Render:
    """Area rows add up to the group's "all" row, for n, events and the rest."""
    records = frame.to_dict("records")
    triples = [p.proportion(r["indicator"], r["group"], _area(r), r["n_denominator"], r["n_numerator"],
                            cost=3 if _area(r) == "all" else 1, shown=True) for r in records]
    totals: dict[tuple, Triple] = {}
    parts: dict[tuple, list[Triple]] = {}
    for record, triple in zip(records, triples, strict=True):
        group = (record["indicator"], record["group"])
        if _area(record) == "all":
            totals[group] = triple
        else:
            parts.setdefault(group, []).append(triple)
    for group, total in totals.items():
        p.sum_up_triples(total, parts.get(group, []))
    _within_children(p, records, triples)
    return _proportion_render(p, frame, triples, n_column="n_denominator", events_column="n_numerator",
                              estimate_columns=["proportion", "ci_low", "ci_high"],
                              estimate_of=landmark_triples(records, triples))


def _within_children(p: _Pass, records: list[Mapping[str, Any]], triples: list[Triple]) -> None:
    """An indicator's children in a group and area are among that group's children there, which
    design.csv shows (published in the same pass): equal to them where every child is measured
    (an age at vaccination), n is as public as they are. Without that, two hidden
    denominators whose sum the areas give, each as large as its area's children in design.csv,
    are worked out, and with them a rest of a few unvaccinated children."""
    design = p.frames.get("design")
    if design is None or design.empty or "group" not in design.columns:
        return
    children: dict[tuple[str, str], int] = {}
    for row in design.to_dict("records"):
        if _text(row.get("group")):
            for area in (_area(row), "all"):
                key = (_text(row.get("group")), area)
                children[key] = children.get(key, 0) + _count(row["children"])
    for record, (n, _, _) in zip(records, triples, strict=True):
        # Only where n is all the children: with the areas' sum, caps pin hidden n down only
        # where they are reached (a cap above n leaves a range). And a gap of a few children
        # would be a small count of its own (children not measured), whose protection hid
        # the comparison group's n of a 20,000-child study's breastfeeding, and its estimate.
        if children.get((_text(record.get("group")), _area(record))) == p.cells.values[n]:
            # a copy per indicator, as a reader knows it, not design.csv's own cell: one cell
            # shared by every indicator would join them all into one group of cells, whose
            # protection takes minutes instead of seconds
            copy = p.count(("design_children", record["indicator"], _text(record.get("group")),
                            _area(record)), p.cells.values[n], hideable=False)
            p.relate(copy, [n])


def _publish_dose_response(p: _Pass, frame: pd.DataFrame) -> Render:
    """Bands add up to the accepting families of the intervention group, the total that the
    effects table shows as the dose-response row's n (held visible when effects.csv is not
    published in the same pass)."""
    records = frame.to_dict("records")
    triples = [p.proportion(r["indicator"], f"dose_band/{r['contacts_band']}", "all", r["n"], r["events"],
                            shown=True) for r in records]
    for indicator in dict.fromkeys(r["indicator"] for r in records):
        bands = [t for r, t in zip(records, triples, strict=True) if r["indicator"] == indicator]
        values = p.cells.values
        n, events = (sum(values[t[k]] for t in bands) for k in (0, 1))
        total = p.proportion(indicator, "dose_response/intervention", "all", n, events,
                             hideable="effects" in p.frames)
        p.sum_up_triples(total, bands)
    return _proportion_render(p, frame, triples, n_column="n", events_column="events",
                              estimate_columns=["proportion", "ci_low", "ci_high"])


def _publish_trends(p: _Pass, frame: pd.DataFrame) -> Render:
    """Half-years of an arm and period add up to that group (intervention, intervention_pre, …)."""
    records = frame.to_dict("records")
    triples = [p.proportion(r["indicator"], f"trend/{r['arm']}/{r['half_year']}", "all", r["n"],
                            r["events"], shown=True) for r in records]
    groups: dict[tuple, list[Triple]] = {}
    for record, triple in zip(records, triples, strict=True):
        group = _trend_group(record["arm"], record.get("period"), p.own_comparison)
        groups.setdefault((record["indicator"], group), []).append(triple)
    for (indicator, group), parts in groups.items():
        values = p.cells.values
        n, events = (sum(values[t[k]] for t in parts) for k in (0, 1))
        p.sum_up_triples(p.proportion(indicator, group, "all", n, events, published=False), parts)
    render_trends = _proportion_render(p, frame, triples, n_column="n", events_column="events",
                                       estimate_columns=["proportion", "ci_low", "ci_high"])

    def render(hidden: np.ndarray) -> pd.DataFrame:
        unsafe: dict[tuple[str, str], bool] = {}  # for the event study's unadjusted rows
        for record, triple in zip(records, triples, strict=True):
            key = (record["indicator"], _text(record["half_year"]))
            unsafe[key] = unsafe.get(key, False) or p.unsafe(triple, hidden)
        p.facts["trends_unsafe"] = unsafe
        return render_trends(hidden)
    return render


def _trend_group(arm: str, period: object, own_comparison: bool) -> str:
    """The group an arm's half-years add up to. In a historical design (`own_comparison`) the
    intervention areas' children born before the start are the comparison group itself, whose
    counts indicators.csv shows: keyed apart, a hidden half-year was the group's events less
    the other half-years' (a review worked out 7 counts of 1-4 children so). The comparison
    areas' half-years are then no group of the study's."""
    group = _group_of(arm, str(period))
    if not own_comparison:
        return group
    return {"intervention_pre": "comparison", "comparison": "comparison_areas",
            "comparison_pre": "comparison_areas_pre"}.get(group, group)


def _did_cell_group(record: Mapping[str, Any]) -> str:
    """The summary's group of an area x period cell: intervention, comparison_pre, ..."""
    return _group_of(record["arm"], record["period"])


def _publish_did_cells(p: _Pass, frame: pd.DataFrame) -> Render:
    """Area x period cells of the DiD: each a proportion keyed as the summary's group of that
    area (an intervention area's own row); the areas of an arm and period add up to the
    group's "all" (the summary's observed counts). Which cells a render hides is kept for
    `did_areas`, whose estimates rest on them."""
    records = frame.to_dict("records")
    triples = [p.proportion(r["indicator"], _did_cell_group(r), _text(r["area"]), r["children"],
                            r["events"], shown=True) for r in records]
    groups: dict[tuple, list[Triple]] = {}
    for record, triple in zip(records, triples, strict=True):
        groups.setdefault((record["indicator"], _did_cell_group(record)), []).append(triple)
    for (indicator, group), parts in groups.items():
        values = p.cells.values
        n, events = (sum(values[t[k]] for t in parts) for k in (0, 1))
        p.sum_up_triples(p.proportion(indicator, group, "all", n, events, published=False), parts)
    render_cells = _proportion_render(p, frame, triples, n_column="children",
                                      events_column="events", estimate_columns=["proportion"])

    def render(hidden: np.ndarray) -> pd.DataFrame:
        unsafe: dict[tuple[str, str], tuple[bool, bool]] = {}  # (any count, the children)
        for record, triple in zip(records, triples, strict=True):
            key = (record["indicator"], _text(record["area"]))
            cell, children = unsafe.get(key, (False, False))
            unsafe[key] = (cell or p.unsafe(triple, hidden),
                           children or bool(hidden[triple[0]]) or p.small(triple[0]))
        p.facts["did_cells_unsafe"] = unsafe
        return render_cells(hidden)
    return render


def _publish_did_areas(p: _Pass, frame: pd.DataFrame) -> Render:
    """Pairwise, leave-one-area-out and placebo-area DiDs: no counts of their own, but each
    is a function of the cells of the areas it uses (a pairwise DiD: its two areas; a
    leave-one-out DiD: every area but the one left out; a placebo DiD: every comparison
    area — taken as every area, to be safe). `did_unadjusted` is cell arithmetic, so it is
    blank when any of those cells is hidden or small in `did_cells`; `did_adjusted` (with
    the study's covariates: `adjusted`) is not a function of the published counts, so as
    for effects.csv's adjusted estimates it is blank only when a cell's children are hidden
    or small. Everything is blank when did_cells is not published in the same pass."""
    records = frame.to_dict("records")

    def render(hidden: np.ndarray) -> pd.DataFrame:
        unsafe = p.facts.get("did_cells_unsafe")
        published = frame.copy()
        blank_unadjusted, blank_adjusted = [], []
        for record in records:
            if unsafe is None:
                blank_unadjusted.append(True)
                blank_adjusted.append(True)
                continue
            mine = {area: bad for (indicator, area), bad in unsafe.items()
                    if indicator == record["indicator"]}
            analysis = _text(record.get("analysis"))
            if analysis == "pairwise":
                used = [_text(record["intervention_area"]), _text(record["comparison_area"])]
            elif analysis == "leave_one_out":
                used = [a for a in mine if a != _text(record["left_out_area"])]
            else:
                used = list(mine)
            states = [mine.get(area, (True, True)) for area in used]
            cell_unsafe = any(cell for cell, _ in states)
            blank_unadjusted.append(cell_unsafe)
            blank_adjusted.append(any(children for _, children in states)
                                  if _flag(record.get("adjusted")) else cell_unsafe)
        blank_unadjusted = np.array(blank_unadjusted, dtype=bool)
        blank_adjusted = np.array(blank_adjusted, dtype=bool)
        _blank(published, blank_unadjusted, ["did_unadjusted"])
        _blank(published, blank_adjusted, ["did_adjusted"])
        return _mark(published, blank_unadjusted | blank_adjusted, ["secondary"] * len(records))
    return render


EVENT_STUDY_ESTIMATES = ("estimate", "ci_low", "ci_high", "p_value")


def _publish_event_study(p: _Pass, frame: pd.DataFrame) -> Render:
    """Event-study coefficients: a half-year's intervention and comparison children are
    trends.csv's (key `trend/<arm>/<half-year>`); a coefficient rests on its half-year's and
    the reference half-year's groups. Adjusted for covariates (`adjusted`) it is blank only
    when one of those groups is hidden or small; unadjusted, also when its events or the
    rest are (a coefficient of area and half-year effects alone is close to cell arithmetic).
    Counts are the children, not the events, of each half-year and arm."""
    records = frame.to_dict("records")
    cells: list[list[int]] = []
    for record in records:
        mine = []
        for arm, column in (("intervention", "n_intervention"), ("comparison", "n_comparison")):
            mine.append(p.count(("outcome", record["indicator"],
                                 f"trend/{arm}/{_text(record.get('half_year'))}", "all", "n"),
                                record.get(column), cost=2))
        cells.append(mine)
    reference = {r["indicator"]: mine for r, mine in zip(records, cells, strict=True)
                 if _flag(r.get("reference"))}

    def render(hidden: np.ndarray) -> pd.DataFrame:
        m = p.min_cell
        published = frame.copy()
        for index, column in enumerate(("n_intervention", "n_comparison")):
            published[column] = _shown_column(frame[column], np.array(
                [bool(hidden[mine[index]]) for mine in cells], dtype=bool), m)
        unsafe_trends = p.facts.get("trends_unsafe", {})
        rows = []
        for record, mine in zip(records, cells, strict=True):
            used = [*mine, *reference.get(record["indicator"], [])]
            blank = any(bool(hidden[c]) or p.small(c) for c in used)
            if not _flag(record.get("adjusted")):
                half_years = {_text(record.get("half_year"))}
                half_years |= {_text(r.get("half_year")) for r in records
                               if r["indicator"] == record["indicator"] and _flag(r.get("reference"))}
                blank |= any(unsafe_trends.get((record["indicator"], h), True) for h in half_years)
            rows.append(blank)
        rows = np.array(rows, dtype=bool)
        _blank(published, rows, EVENT_STUDY_ESTIMATES)
        return _mark(published, rows, ["secondary"] * len(records))
    return render


def _publish_missing_data(p: _Pass, frame: pd.DataFrame) -> Render:
    """Children and missing values of a variable in an arm and period: a proportion (the
    missing ones of n), its share blank and bounded like an indicator's when a count is small.
    An indicator's known children are linked to its denominator as other tables show it; a
    covariate's n is the group's children as other tables show them, and its known children
    are balance.csv's count of the group with the covariate known."""
    records = frame.to_dict("records")
    triples = [p.proportion(missing_variable(r["variable"]), _group_of(r["arm"], r["period"]), "all",
                            r["n"], r["missing"], shown=True) for r in records]
    for record, (n, _, known) in zip(records, triples, strict=True):
        group = _group_of(record["arm"], record["period"])
        if record.get("kind") == "indicator":
            # the children with the indicator known are the group's denominator in the
            # summary and indicators tables: n - missing must not reveal a hidden count there
            p.relate(known, [p.count(("outcome", record["variable"], group, "all", "n"),
                                     _count(record["n"]) - _count(record["missing"]),
                                     published=False)])
        elif record.get("kind") == "covariate":
            # every child of the group: one count with the group's size in flow, design, balance
            p.relate(p.count(_children_key(group, "all"), record["n"], published=False), [n])
    return _proportion_render(p, frame, triples, n_column="n", events_column="missing",
                              estimate_columns=["share_missing"])
