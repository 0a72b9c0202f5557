"""The rule for costs.csv: its families, contacts and children are counts of people.

Each birth year's families (children of accepting families) and completed contacts add up to
the total's; the total's families and contacts are fidelity.csv's children and contacts
received (whole study) when every birth year has a cost, else those less the children (and
contacts) of the years without one, an unpublished count protected too; the total's
children are the intervention group (flow.csv's eligible step) less those born in years
without a cost, likewise; an outcome row's children measured (those with a value for the
indicator) are some of its children, the rest an unpublished count. A cost per family,
contact or child is the cost divided by the count, so it gives the count back: it is blank
where its count is hidden. The cost per
additional child rests on the children and on the headline effect: blank where either is
(status `suppressed` where a ratio was made, or where the headline is blank, whose "not
estimable" would say where its hidden interval lies), the headline as summary.csv publishes
it (the pass's summary rule records which headlines it blanked, and why).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from pipeline.publish.cells import Render, _children_key, _count, _mark, _Pass, _shown_column, _text

COUNTS = ("families", "contacts", "children", "children_measured")
# What rests on each count (the count comes back from the cost divided by it).
RESTS_ON = {"families": ("cost_per_family",), "contacts": ("cost_per_contact",),
            "children": ("cost_per_child", "additional_children", "additional_ci_low",
                         "additional_ci_high", "cost_per_additional_child", "ci_low", "ci_high"),
            "children_measured": ()}
HEADLINE = ("effect", "effect_ci_low", "effect_ci_high", "additional_children", "additional_ci_low",
            "additional_ci_high", "cost_per_additional_child", "ci_low", "ci_high")


def _publish_costs(p: _Pass, frame: pd.DataFrame) -> Render:
    """Small counts hidden with the costs per unit resting on them; years add up to the total,
    linked to fidelity and flow; a cost per additional child blank with its headline."""
    records = frame.to_dict("records")
    cells: list[dict[str, int]] = []
    by_year: dict[str, list[int]] = {"families": [], "contacts": []}
    total: dict[str, int] = {}
    for record in records:
        part, mine = _text(record.get("part")), {}
        for column in COUNTS:
            if pd.isna(record.get(column)):
                continue
            if part == "year":
                mine[column] = p.count(("costs", column, _text(record.get("year"))), record[column])
                by_year[column].append(mine[column])
            elif column == "children_measured":  # an outcome row's: within the total's children
                mine[column] = p.count(("costs", column, _text(record.get("indicator"))), record[column])
            else:  # the total and the outcome rows: the matched years' one count
                mine[column] = p.count(("costs", column, "total"), record[column], cost=3)
        if part == "total":
            total = mine
        if "children_measured" in mine and "children" in mine:
            p.differ(mine["children_measured"], mine["children"])
        cells.append(mine)
    for column, years in by_year.items():
        if column in total and years:
            p.sum_up(total[column], years)
    for column, key, value in (
            ("families", _children_key("accepted", "all"), _fidelity(p, "children")),
            ("contacts", ("fidelity", "contacts_received", "all"), _fidelity(p, "contacts_received")),
            ("children", _children_key("intervention", "all"), _eligible(p))):
        if column in total and value is not None and value >= p.cells.values[total[column]]:
            p.differ(p.count(key, value, published=False), total[column])
    def render(hidden: np.ndarray) -> pd.DataFrame:
        # the summary's headlines hidden, as its render (before this one: the catalog's order)
        # leaves them; read when the pass was made, they were not yet known, and a cost per
        # additional child was published on an effect page one hides
        blank_headlines = p.facts.get("summary_blank", {})
        m = p.min_cell
        published = frame.copy()
        rows = np.zeros(len(frame), dtype=bool)
        for column in COUNTS:
            column_hidden = np.array([column in mine and bool(hidden[mine[column]]) for mine in cells],
                                     dtype=bool)
            published[column] = _shown_column(frame[column], column_hidden, m)
            _blank_numbers(published, column_hidden, RESTS_ON[column])
            rows |= column_hidden
        headline = [blank_headlines.get((_text(r.get("indicator")), "all"))
                    if _text(r.get("part")) == "outcome" else None for r in records]
        headline_hidden = np.array([h is not None for h in headline], dtype=bool)
        _blank_numbers(published, headline_hidden, HEADLINE)
        outcome = frame["part"].astype("string").eq("outcome").fillna(False).to_numpy(dtype=bool)
        children_hidden = np.array(["children" in mine and bool(hidden[mine["children"]])
                                    for mine in cells], dtype=bool)
        # a ratio that was made is hidden with its children; any status with its headline (a
        # "not estimable" would say where the hidden interval lies)
        estimated = frame["status"].astype("string").eq("estimated").fillna(False).to_numpy(dtype=bool)
        suppressed = outcome & (headline_hidden | (children_hidden & estimated))
        published["status"] = published["status"].astype(object).mask(suppressed, "suppressed")
        # and with it the reason and flags, which say where the hidden effect's interval lies
        # (a concurrent study's cost table read "no improvement: the whole interval lies below
        # zero" of the MMR effect page one hid)
        for column in ("reason", "flags"):
            if column in published:
                published[column] = published[column].astype(object).mask(suppressed, None)
        reasons = [h if h else "small_count" if any(p.small(c) for c in mine.values()) else "secondary"
                   for h, mine in zip(headline, cells, strict=True)]
        return _mark(published, rows | headline_hidden, reasons)
    return render


def _blank_numbers(frame: pd.DataFrame, rows: np.ndarray, columns: tuple[str, ...]) -> None:
    for column in columns:
        frame[column] = frame[column].astype("float64").mask(rows)


def _fidelity(p: _Pass, measure: str) -> int | None:
    """A whole-study count of fidelity.csv in this pass (None when it is not published in it)."""
    fidelity = p.frames.get("fidelity")
    if fidelity is None or fidelity.empty:
        return None
    found = fidelity[fidelity["area"].astype(str).eq("all") & fidelity["measure"].eq(measure)]
    return _count(found["value"].iloc[0]) if len(found) else None


def _eligible(p: _Pass) -> int | None:
    """The intervention group as flow.csv counts it (its eligible step, whole study)."""
    flow = p.frames.get("flow")
    if flow is None or flow.empty:
        return None
    found = flow[flow["area"].astype(str).eq("all") & flow["step"].eq("eligible")]
    return _count(found["children"].iloc[0]) if len(found) else None
