"""One publishing pass and the pieces every table's rule shares.

`_Pass` holds the cells of all tables of a pass (a `privacy.LinkedCells`), keyed by what
they count, and the relations between them; the helpers show a count as published ("<5",
empty or the int), blank what rests on a hidden count and mark a row `suppressed` with its
reason (SUPPRESSION_REASONS). See `pipeline.publish` for the rule across tables.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import numpy as np
import pandas as pd

from pipeline import privacy
from pipeline.indicators import INDICATORS
from pipeline.indicators.language import DENOMINATOR_IS_EVENTS_OF, SAME_DENOMINATOR

SUPPRESSED_NOTE = "suppressed: fewer than {min_cell} children/events in a cell, or hidden to protect one"
# Why a row was suppressed (the `suppression` column), most specific first.
SUPPRESSION_REASONS = ("small_group", "few_events", "few_without", "small_count", "secondary")
# Bounds offered for a hidden proportion, in percent: the tightest that says no more than "<5".
BOUND_PERCENTS = (99, 98, 95, 90, 80, 70, 60, 50)

Render = Callable[[np.ndarray], pd.DataFrame]
Triple = tuple[int, int, int]  # cells of a proportion: n, events, rest (n - events)
SIDES = ("intervention", "comparison")


# --- shared pieces ------------------------------------------------------------------------------

def _count(value: object) -> int:
    """A count cell as an int (missing counts as 0: nothing to protect)."""
    return 0 if pd.isna(value) else int(value)


def _text(value: object) -> str:
    return "" if value is None or (not isinstance(value, str) and pd.isna(value)) else str(value)


def _area(row: Mapping[str, Any]) -> str:
    return _text(row.get("area")) or "all"


def _shown(value: object, hidden: bool, min_cell: int, muted: bool = False) -> object:
    """A count as published: the int, "<m" when small, empty when hidden to protect another
    (or when small and `muted`: `privacy.LinkedCells.muted`)."""
    if pd.isna(value):
        return None
    if not hidden:
        return int(value)
    return privacy.small_count_label(min_cell) if 0 < value < min_cell and not muted else None


def _shown_column(values: pd.Series, hidden: np.ndarray, min_cell: int,
                  muted: np.ndarray | None = None) -> pd.Series:
    muted = np.zeros(len(values), dtype=bool) if muted is None else muted
    return pd.Series([_shown(v, bool(h), min_cell, bool(q)) for v, h, q in
                      zip(values, hidden, muted, strict=True)], index=values.index, dtype=object)


def _blank(frame: pd.DataFrame, rows: np.ndarray, columns: Iterable[str]) -> None:
    """Empty the given columns on the given rows (numbers become NaN, text "")."""
    rows = np.asarray(rows, dtype=bool)
    for column in columns:
        if column not in frame.columns or not rows.any():
            continue
        if pd.api.types.is_numeric_dtype(frame[column]) and not pd.api.types.is_bool_dtype(
                frame[column]):
            frame[column] = frame[column].astype("float64").mask(rows)
        elif pd.api.types.is_string_dtype(frame[column]):
            frame[column] = frame[column].mask(rows, "")
        else:
            frame[column] = frame[column].astype(object).mask(rows, None)


def _mark(frame: pd.DataFrame, rows: np.ndarray, reasons: Iterable[str]) -> pd.DataFrame:
    """Set (or add) `suppressed` (True where anything on the row was hidden) and `suppression`
    (why: one of SUPPRESSION_REASONS, "" where nothing was)."""
    rows = np.asarray(rows, dtype=bool)
    frame["suppressed"] = rows  # replaces a stage's own flag, if any
    frame["suppression"] = pd.array([r if hidden else "" for r, hidden in
                                     zip(reasons, rows, strict=True)], dtype="string")
    return frame


def proportion_bound(n: int, events: int, reason: str, min_cell: int) -> str:
    """A bound for a proportion hidden because its numerator (`few_events`) or its rest
    (`few_without`) is small: "<0.05" / ">0.95", the tightest of BOUND_PERCENTS whose range
    of counts still includes every count from 1 to min_cell - 1 (so it says no more than "<5",
    which the row's reason says already); "" if none.

    For "> b" the rest can be any count below (1 - b) * n, which must exceed min_cell - 1. (It
    had to exceed min_cell: 39 of 41 were printed "over 80 %", beside an exact 95 % before
    the start, where "over 90 %", a rest below 4.1, says what "fewer than 5 without" says.)
    """
    if reason not in ("few_events", "few_without") or n <= 0:
        return ""
    for percent in BOUND_PERCENTS:
        if (100 - percent) * n > 100 * (min_cell - 1):
            share = (100 - percent) / 100
            return f"<{share:g}" if reason == "few_events" else f">{percent / 100:g}"
    return ""


# The survival indicators whose share at their landmark is another indicator (MMR by 24 months).
COUNTED_AS = {i.id: i.time_to_event.landmark_is for i in INDICATORS
              if i.time_to_event is not None and i.time_to_event.landmark_is}

# Published apart, "20 in the group, 17 screened" gave back the 3 not screened that
# lang_screened's own row hides: the indicators' shared counts are linked (`_link_denominator`).


class _Pass:
    """One publishing pass: the cells of all its tables, keyed by what they count."""

    def __init__(self, min_cell: int, frames: Mapping[str, pd.DataFrame]) -> None:
        self.min_cell = min_cell
        self.cells = privacy.LinkedCells(min_cell)
        self.frames = dict(frames)
        self.facts: dict[str, Any] = {}
        self._proportions: dict[tuple[str, str, str], set[Triple]] = {}

    @functools.cached_property
    def own_comparison(self) -> bool:
        """Whether an area's comparison group is the area's own children born before the start
        (a historical design: design.csv's comparison group in intervention areas, or
        summary.csv's design), not every comparison area's children. Keyed as all comparison
        children, an area report's comparison counts were cells of their own that the tables'
        did not meet: hidden as "secondary" beside indicators.csv's very same counts shown."""
        design = self.frames.get("design")
        if design is not None and not design.empty and {"arm", "group"} <= set(design.columns):
            return bool((design["arm"].eq("intervention") & design["group"].eq("comparison")).any())
        summary = self.frames.get("summary")
        return bool(summary is not None and "design" in summary and summary["design"].eq("historical").any())

    # --- cells

    def count(self, key: tuple, value: object, *, published: bool = True, cost: int = 1,
              hideable: bool = True, revealed: bool = False, mutable: bool = False) -> int:
        return self.cells.add(_count(value), published=published, cost=cost, hideable=hideable,
                              revealed=revealed, mutable=mutable, key=(*key, _count(value)))

    def proportion(self, indicator: str, population: str, area: str, n: object, events: object, *,
                   cost: int = 1, published: bool = True, hideable: bool = True,
                   shown: bool = False, mutable: bool = True) -> Triple:
        """A proportion's denominator, numerator and unpublished rest, linked by n = events + rest.

        `mutable`: the table shows its n and events through `muted`-aware rendering
        (`_shown_column(..., muted=)`, `said_small`), so that they can be shown empty rather
        than "<5" where the "<5" alone would give a count away (`LinkedCells.muted`).

        `shown`: the table shows the proportion, so its `suppression` says when the rest is
        small ("few_without"): a reader knows that much of the rest. It says so only when
        neither the group nor the numerator is small (`reason`: "small_group" and "few_events"
        come first), so only then is the rest revealed: a model of a reader who knows more
        than the tables say gives up cells that hiding would protect, and shows their counts.
        """
        n, events = _count(n), _count(events)
        shown = shown and not (0 < n < self.min_cell or 0 < events < self.min_cell)
        # a survival indicator's share at its landmark counts the children of its `landmark_is`
        # indicator: the same counts under either name are one cell (the value is in the key)
        key = ("outcome", COUNTED_AS.get(indicator, indicator), population, area)
        n_cell = self.count((*key, "n"), n, cost=cost + 1, published=published, hideable=hideable,
                            mutable=mutable)
        event_cell = self.count((*key, "events"), events, cost=cost, published=published,
                                hideable=hideable, mutable=mutable)
        rest_cell = self.count((*key, "rest"), n - events, published=False, revealed=shown)
        self.relate(n_cell, [event_cell, rest_cell])
        self._link_denominator(indicator, population, area, (n_cell, event_cell, rest_cell))
        return n_cell, event_cell, rest_cell

    def _link_denominator(self, indicator: str, population: str, area: str, triple: Triple) -> None:
        """The denominator of an indicator among another's numerator (DENOMINATOR_IS_EVENTS_OF)
        is that numerator, in the same group and area (or a part of it), and indicators of one
        denominator (SAME_DENOMINATOR) share it; whichever comes first."""
        self._proportions.setdefault((indicator, population, area), set()).add(triple)
        for group in SAME_DENOMINATOR:
            for other_indicator in group - {indicator} if indicator in group else ():
                for other in self._proportions.get((other_indicator, population, area), ()):
                    self.differ(triple[0], other[0])
        partner = DENOMINATOR_IS_EVENTS_OF.get(indicator)
        for other in self._proportions.get((partner, population, area), ()) if partner else ():
            self.differ(triple[0], other[1])
        for dependent in (d for d, of in DENOMINATOR_IS_EVENTS_OF.items() if of == indicator):
            for other in self._proportions.get((dependent, population, area), ()):
                self.differ(other[0], triple[1])

    def relate(self, total: int, parts: list[int]) -> None:
        """total = sum(parts), skipping the trivial (a cell equal to itself)."""
        if parts == [total]:
            return
        self.cells.relate(total, parts)

    def sum_up(self, total: int, parts: list[int]) -> None:
        """Parts that add up to at most the total: the difference is an unpublished cell."""
        parts = list(dict.fromkeys(parts))
        if not parts or total in parts:
            return
        values = self.cells.values
        rest = values[total] - sum(values[p] for p in parts)
        if rest < 0:
            return  # not parts of this total
        if rest > 0:
            parts = [*parts, self.cells.add(rest, published=False)]
        self.relate(total, parts)

    def sum_up_triples(self, total: Triple, parts: list[Triple]) -> None:
        """Proportions whose groups make up (at most) a larger group, kind by kind."""
        parts = [p for p in dict.fromkeys(parts) if p != total]
        values = self.cells.values
        if not parts or any(values[total[k]] < sum(values[p[k]] for p in parts) for k in range(3)):
            return
        remainder = [values[total[k]] - sum(values[p[k]] for p in parts) for k in range(3)]
        if any(remainder):
            cells = [self.cells.add(v, published=False) for v in remainder]
            self.relate(cells[0], cells[1:])
            parts = [*parts, tuple(cells)]
        for k in range(3):
            self.relate(total[k], [p[k] for p in parts])

    def differ(self, a: int, b: int) -> None:
        """Two counts of nested populations: the larger is the smaller plus an unpublished cell."""
        values = self.cells.values
        if a == b or values[a] == values[b]:
            if a != b:
                self.relate(a, [b])
            return
        big, small = (a, b) if values[a] > values[b] else (b, a)
        self.relate(big, [small, self.cells.add(values[big] - values[small], published=False)])

    # --- what the rows show

    def small(self, cell: int) -> bool:
        return 0 < self.cells.values[cell] < self.min_cell

    def said_small(self, cell: int) -> bool:
        """A small count whose smallness the tables say ("<5", a reason, a bound): not `muted`."""
        return self.small(cell) and not self.cells.muted[cell]

    def muted(self, cells: Iterable[int | None]) -> np.ndarray:
        """Per cell (None: no cell), whether it is shown empty rather than "<5"."""
        return np.array([c is not None and self.cells.muted[c] for c in cells], dtype=bool)

    def reason(self, triples: Iterable[Triple], others: Iterable[int] = ()) -> str:
        """Why a row with these proportions (and other counts) is suppressed: what its "<5"
        markers and revealed rests say, "secondary" where they say nothing."""
        triples, others = list(triples), list(others)
        revealed = self.cells.revealed
        for kind, reason in enumerate(("small_group", "few_events", "few_without")):
            if any(self.said_small(t[kind]) and (kind < 2 or revealed[t[kind]]) for t in triples):
                return reason
        if any(self.said_small(c) for c in others):
            return "small_count"
        return "secondary"

    def bound(self, triple: Triple, hidden: np.ndarray) -> str:
        """proportion_bound for a proportion whose denominator is shown."""
        n, events, rest = triple
        if hidden[n] or self.small(n):
            return ""
        # a bound says which count is small: only where the row says so (`reason`)
        reason = ("few_events" if self.said_small(events) else
                  "few_without" if self.small(rest) and self.cells.revealed[rest] else "")
        return proportion_bound(self.cells.values[n], self.cells.values[events], reason,
                                self.min_cell)

    def unsafe(self, triple: Triple, hidden: np.ndarray) -> bool:
        """Whether a proportion must not be shown: a count hidden or its rest small."""
        return bool(hidden[triple[0]] or hidden[triple[1]] or self.small(triple[2])
                    or self.small(triple[1]) or self.small(triple[0]))


def _proportion_render(p: _Pass, frame: pd.DataFrame, triples: list[Triple], *, n_column: str,
                       events_column: str, estimate_columns: list[str],
                       estimate_of: Mapping[int, Triple] | None = None) -> Render:
    """Render rows of n/events/proportion: counts shown or hidden, estimates blank with them,
    a bound where one is safe. `estimate_of`: rows (by position) whose estimate is another
    proportion's (a survival indicator's share at its landmark, `landmark_triples`), shown
    only where that one may be, and suppressed for its reason when it may not."""
    estimate_of = estimate_of or {}

    def render(hidden: np.ndarray) -> pd.DataFrame:
        m = p.min_cell
        published = frame.copy()
        n_hidden = np.array([hidden[t[0]] for t in triples], dtype=bool)
        events_hidden = np.array([hidden[t[1]] for t in triples], dtype=bool)
        published[n_column] = _shown_column(frame[n_column], n_hidden, m, p.muted(t[0] for t in triples))
        published[events_column] = _shown_column(frame[events_column], events_hidden, m,
                                                 p.muted(t[1] for t in triples))
        # each row's estimate stands or falls with this proportion: its own, or the one it is
        said = [t if p.unsafe(t, hidden) or i not in estimate_of else estimate_of[i]
                for i, t in enumerate(triples)]
        rows = np.array([p.unsafe(t, hidden) for t in said], dtype=bool)
        _blank(published, rows, estimate_columns)
        _mark(published, rows, [p.reason([t]) for t in said])
        bounds = [p.bound(t, hidden) if r else "" for t, r in zip(said, rows, strict=True)]
        # another proportion's bound is given only where this row's own share keeps it too (a
        # survival share a little off the 24-month one must not be said "over 80 %" below it)
        shares = frame[estimate_columns[0]].to_numpy(dtype=float, na_value=np.nan)
        published["proportion_bound"] = pd.array(
            [bound if not bound or i not in estimate_of or _within(bound, shares[i]) else ""
             for i, bound in enumerate(bounds)], dtype="string")
        return published
    return render


def _within(bound: str, share: float) -> bool:
    """Whether `share` lies within a proportion bound ("<0.2", ">0.8")."""
    limit = float(bound[1:])
    return bool(share < limit) if bound.startswith("<") else bool(share > limit)


def landmark_triples(records: list[Mapping[str, Any]], triples: list[Triple]) -> dict[int, Triple]:
    """The rows (by position) of a survival indicator's share at its landmark whose very share
    is another indicator's row of the same group and area (`COUNTED_AS`: age at MMR's Kaplan–Meier
    share vaccinated by 730 days is MMR by 24 months), with that row's proportion. The
    survival share counts every child, its censored ones too, but it is the 24-month share
    all the same: 0.953 of an area's 21 children old enough gave back the 1 unvaccinated child
    that the 24-month row hid as "few without"."""
    rows = {(r["indicator"], r["group"], _area(r)): t for r, t in zip(records, triples, strict=True)}
    linked = {}
    for position, record in enumerate(records):
        landmark = COUNTED_AS.get(record["indicator"])
        if landmark and (landmark, record["group"], _area(record)) in rows:
            linked[position] = rows[(landmark, record["group"], _area(record))]
    return linked


def _flag(value: object) -> bool:
    """A boolean cell (True, "True", 1) as a bool; missing is False."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return False
    return str(value).strip().lower() in ("true", "1")


def _flags(frame: pd.DataFrame, column: str) -> np.ndarray:
    """A boolean column as an array (all False when the column is absent)."""
    if column not in frame.columns:
        return np.zeros(len(frame), dtype=bool)
    return np.array([_flag(v) for v in frame[column]], dtype=bool)


def _side_area(side: str, area: str, own_comparison: bool = False) -> str:
    """The area of a group in an area-level contrast: the area's own children against all
    comparison children, or (`own_comparison`: a historical design, `_Pass.own_comparison`)
    against the area's own children born before the start."""
    return area if side.startswith("intervention") or own_comparison else "all"


def _children_key(population: str, area: str) -> tuple:
    return ("children", population, area)


def _group_of(arm: str, period: str) -> str:
    """The group of an arm and period, as the summary names it: intervention, comparison_pre, …"""
    return arm if period == "post" else f"{arm}_pre"


def missing_variable(variable: str) -> str:
    """What a proportion of children with a variable missing is keyed by (missing_data.csv)."""
    return f"missing/{variable}"
