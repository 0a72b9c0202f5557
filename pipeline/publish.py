"""What is published: small-cell suppression of every table, XLSX copies, the output scan.

SPEC §10: a count of 1..min_cell-1 children is shown as "<5" (min_cell 5); a proportion is
suppressed when its numerator or the rest of its denominator is that small; a second cell
is suppressed where a total would reveal the first.

The rule, across tables. All tables that a run publishes are suppressed together, in one
pass (`publish_tables`): every count in every table is a cell of one `privacy.LinkedCells`,
and a count that two tables both show is one cell, so that it is hidden in both or in
neither. What a count counts is its key: for an outcome, (indicator, population, area, n |
events | rest, value) — indicators.csv's intervention "all" row, the intervention side of
the ITT rows of effects.csv, the observed intervention share of summary.csv and power.csv's
n_intervention are one population; for children, (group, area, value) — flow's eligible
step, balance's and survival's group sizes and the design table. The value is part of the
key, so two counts are only merged when they are equal, and merging equal counts can only
hide more. The sums that link cells are written out per table below: areas add up to "all";
events + rest = n; each step of the flow is the one before less those who left; subgroup
levels and covariate levels add up (at most) to the whole group; a nested analysis (per
protocol, complete cases, dose-response) differs from the ITT counts by a number of
children; a DiD population is the groups after the start plus those before; half-years add
up to a group. `LinkedCells.protect` then hides the small counts and as many others as it
takes for no small count to be narrowed beyond "<5" by any sums of what is shown.

What rests on a hidden count is hidden with it: a proportion, its interval and its
estimates; an effect's estimate, interval and p-values when any count of its row (or, for a
DiD, of the groups it combines) is hidden or small, as a risk difference and the other
group's proportion give back a hidden proportion, and Fisher's p with known margins gives
back the table; summary.csv's headline and observed shares likewise, with verdict
`suppressed`. An estimate adjusted for at least one covariate (effects.csv `adjusted`: the
regression, IPTW, DiD and Cox rows of a study with covariates) is a function of every
child's covariates and outcome, which are not published, so it cannot be turned back into
its row's counts: it keeps its value when only an outcome count of a group is small (few
with, or few without, the outcome) and is hidden only when a group it rests on is itself
hidden or small (as model output is checked in statistical disclosure control: Eurostat,
"Guidelines for the checking of output based on microdata research", 2015, model
estimates with residual degrees of freedom). Without covariates the same models are
saturated in the counts and follow the crude rule.

Conventions in a published table: a small count is the string "<5"; a count hidden only so
that another cannot be worked out (secondary suppression) is empty, as is every estimate,
interval and proportion that rests on a hidden count; counts that are shown stay integers;
`suppressed` is True on every row where anything was hidden, and `suppression` says why
(SUPPRESSION_REASONS): `small_group` (a denominator of 1..min_cell-1), `few_events` (a
numerator that small), `few_without` (n less the numerator that small), `small_count`
(another count of the row that small), `secondary` (hidden to protect another figure).
A proportion hidden for `few_events` or `few_without` whose denominator is shown gets a
bound in `proportion_bound` (">0.95", "<0.05", as shares) when one exists that is loose
enough to say no more than "<5": the counts it allows include min_cell and more.

The pass must see every table of a run at once (the cohort stage's indicators, flow and
fidelity with the compare stage's tables): a table published in another call is consistent
only with the tables of its own call.
"""

from __future__ import annotations

import datetime as dt
import io
import logging
import re
import zlib
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from pipeline import privacy
from pipeline.outputs import TABLE_NAMES, output_table

log = logging.getLogger("hembesok")


SUPPRESSED_NOTE = "suppressed: fewer than {min_cell} children/events in a cell, or hidden to protect one"
# Why a row was suppressed (the `suppression` column), most specific first.
SUPPRESSION_REASONS = ("small_group", "few_events", "few_without", "small_count", "secondary")
# Bounds offered for a hidden proportion, in percent: the tightest that says no more than "<5".
BOUND_PERCENTS = (99, 98, 95, 90, 80, 70, 60, 50)

# Files scanned for personnummer: as text, as workbook cells, or not at all (binary data
# that pandas/pyarrow or matplotlib wrote from already scanned frames). Anything else is
# read as text, so that an unforeseen output is never skipped.
TEXT_SUFFIXES = frozenset({".csv", ".json", ".log", ".html", ".txt", ".md", ".ipynb"})
XLSX_SUFFIXES = frozenset({".xlsx"})
SKIPPED_SUFFIXES = frozenset({".parquet", ".png"})

# A fixed document date, so that one table always gives the same bytes.
XLSX_DATE = dt.datetime(2024, 1, 1)

Render = Callable[[np.ndarray], pd.DataFrame]
Triple = tuple[int, int, int]  # cells of a proportion: n, events, rest (n - events)


def publish_table(name: str, frame: pd.DataFrame, min_cell: int) -> pd.DataFrame:
    """The published version of the table `name` (its file stem), suppressed on its own.

    Raises ValueError for a table without a rule, so that a new table cannot be published
    unsuppressed by accident. A run publishes with `publish_tables`, so that tables agree.
    """
    return publish_tables({name: frame}, min_cell)[name]


def publish_tables(tables: Mapping[str, pd.DataFrame], min_cell: int) -> dict[str, pd.DataFrame]:
    """The published versions of `tables` (name -> frame as a stage made it), suppressed
    together so that a count hidden in one cannot be recovered from another.

    Give it every table a run publishes (the cohort stage's and the compare stage's): tables
    published in separate calls are consistent only within each call. Raises ValueError for
    a table without a rule.
    """
    if min_cell < 1:
        raise ValueError(f"min_cell must be at least 1, not {min_cell}")
    for name in tables:
        # a table that counts export rows, not children, is published as it is: a rejected
        # row says nothing about a child published anywhere else
        if not output_table(name).counts_export_rows and name not in PUBLISHERS:
            raise ValueError(f"no small-cell suppression rule for table {name!r}; add one to "
                             f"pipeline.publish.PUBLISHERS before publishing it")
    frames = {n: f.reset_index(drop=True) for n, f in tables.items() if n in PUBLISHERS}
    run = _Pass(min_cell, frames)
    renders = run.register(frames)
    hidden = run.cells.protect()
    if run.cells.unprotectable:
        log.warning("small-cell suppression: %d small count(s) can be narrowed down from the "
                    "\"<%d\" markers alone; no cell could be hidden to stop it",
                    len(run.cells.unprotectable), min_cell)
    published = {name: renders[name](hidden) for name in renders}  # effects before summary
    return {name: published[name] if name in published else frame.copy()
            for name, frame in tables.items()}


# --- shared pieces ------------------------------------------------------------------------------

def _count(value: object) -> int:
    """A count cell as an int (missing counts as 0: nothing to protect)."""
    return 0 if pd.isna(value) else int(value)


def _text(value: object) -> str:
    return "" if value is None or (not isinstance(value, str) and pd.isna(value)) else str(value)


def _area(row: Mapping[str, Any]) -> str:
    return _text(row.get("area")) or "all"


def _shown(value: object, hidden: bool, min_cell: int) -> object:
    """A count as published: the int, "<m" when small, empty when hidden to protect another."""
    if pd.isna(value):
        return None
    if not hidden:
        return int(value)
    return privacy.small_count_label(min_cell) if 0 < value < min_cell else None


def _shown_column(values: pd.Series, hidden: np.ndarray, min_cell: int) -> pd.Series:
    return pd.Series([_shown(v, bool(h), min_cell) for v, h in zip(values, hidden, strict=True)],
                     index=values.index, dtype=object)


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
    of counts still includes min_cell and more (so it says no more than "<5"); "" if none.

    For "> b" the rest can be any count below (1 - b) * n, which must exceed min_cell.
    """
    if reason not in ("few_events", "few_without") or n <= 0:
        return ""
    for percent in BOUND_PERCENTS:
        if (100 - percent) * n > 100 * min_cell:
            share = (100 - percent) / 100
            return f"<{share:g}" if reason == "few_events" else f">{percent / 100:g}"
    return ""


class _Pass:
    """One publishing pass: the cells of all its tables, keyed by what they count."""

    def __init__(self, min_cell: int, frames: Mapping[str, pd.DataFrame]) -> None:
        self.min_cell = min_cell
        self.cells = privacy.LinkedCells(min_cell)
        self.frames = dict(frames)
        self.facts: dict[str, Any] = {}

    def register(self, tables: Mapping[str, pd.DataFrame]) -> dict[str, Render]:
        """Each table's cells and relations (in a fixed order); its render function."""
        return {name: PUBLISHERS[name](self, tables[name])
                for name in sorted(tables, key=_RENDER_ORDER.index)}

    # --- cells

    def count(self, key: tuple, value: object, *, published: bool = True, cost: int = 1,
              hideable: bool = True, revealed: bool = False) -> int:
        return self.cells.add(_count(value), published=published, cost=cost, hideable=hideable,
                              revealed=revealed, key=(*key, _count(value)))

    def proportion(self, indicator: str, population: str, area: str, n: object, events: object, *,
                   cost: int = 1, published: bool = True, hideable: bool = True,
                   shown: bool = False) -> Triple:
        """A proportion's denominator, numerator and unpublished rest, linked by n = events + rest.

        `shown`: the table shows the proportion, so its `suppression` says when the rest is
        small ("few_without"): a reader knows that much of the rest.
        """
        n, events = _count(n), _count(events)
        key = ("outcome", indicator, population, area)
        n_cell = self.count((*key, "n"), n, cost=cost + 1, published=published, hideable=hideable)
        event_cell = self.count((*key, "events"), events, cost=cost, published=published,
                                hideable=hideable)
        rest_cell = self.count((*key, "rest"), n - events, published=False, revealed=shown)
        self.relate(n_cell, [event_cell, rest_cell])
        return n_cell, event_cell, rest_cell

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

    def reason(self, triples: Iterable[Triple], others: Iterable[int] = ()) -> str:
        """Why a row with these proportions (and other counts) is suppressed."""
        triples, others = list(triples), list(others)
        revealed = self.cells.revealed
        for kind, reason in enumerate(("small_group", "few_events", "few_without")):
            if any(self.small(t[kind]) and (kind < 2 or revealed[t[kind]]) for t in triples):
                return reason
        if any(self.small(c) for c in others):
            return "small_count"
        return "secondary"

    def bound(self, triple: Triple, hidden: np.ndarray) -> str:
        """proportion_bound for a proportion whose denominator is shown."""
        n, events, rest = triple
        if hidden[n] or self.small(n):
            return ""
        reason = "few_events" if self.small(events) else "few_without" if self.small(rest) else ""
        return proportion_bound(self.cells.values[n], self.cells.values[events], reason,
                                self.min_cell)

    def unsafe(self, triple: Triple, hidden: np.ndarray) -> bool:
        """Whether a proportion must not be shown: a count hidden or its rest small."""
        return bool(hidden[triple[0]] or hidden[triple[1]] or self.small(triple[2])
                    or self.small(triple[1]) or self.small(triple[0]))


def _proportion_render(p: _Pass, frame: pd.DataFrame, triples: list[Triple], *, n_column: str,
                       events_column: str, estimate_columns: list[str]) -> Render:
    """Render rows of n/events/proportion: counts shown or hidden, estimates blank with them,
    a bound where one is safe."""
    def render(hidden: np.ndarray) -> pd.DataFrame:
        m = p.min_cell
        published = frame.copy()
        n_hidden = np.array([hidden[t[0]] for t in triples], dtype=bool)
        events_hidden = np.array([hidden[t[1]] for t in triples], dtype=bool)
        published[n_column] = _shown_column(frame[n_column], n_hidden, m)
        published[events_column] = _shown_column(frame[events_column], events_hidden, m)
        rows = np.array([p.unsafe(t, hidden) for t in triples], dtype=bool)
        _blank(published, rows, estimate_columns)
        _mark(published, rows, [p.reason([t]) for t in triples])
        published["proportion_bound"] = pd.array(
            [p.bound(t, hidden) if r else "" for t, r in zip(triples, rows, strict=True)], dtype="string")
        return published
    return render


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
    return _proportion_render(p, frame, triples, n_column="n_denominator", events_column="n_numerator",
                              estimate_columns=["proportion", "ci_low", "ci_high"])


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
        group = record["arm"] if record.get("period") == "post" else f"{record['arm']}_pre"
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


def _did_cell_group(record: Mapping[str, Any]) -> str:
    """The summary's group of an area x period cell: intervention, comparison_pre, ..."""
    return record["arm"] if record["period"] == "post" else f"{record['arm']}_pre"


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
    missing ones of n), its share blank and bounded like an indicator's when a count is small;
    an indicator's known children are linked to its denominator as other tables show it."""
    records = frame.to_dict("records")
    triples = [p.proportion(f"missing/{r['variable']}", f"{r['arm']}/{r['period']}", "all",
                            r["n"], r["missing"], shown=True) for r in records]
    for record, (_, _, known) in zip(records, triples, strict=True):
        if record.get("kind") == "indicator":
            # the children with the indicator known are the group's denominator in the
            # summary and indicators tables: n - missing must not reveal a hidden count there
            group = record["arm"] if record["period"] == "post" else f"{record['arm']}_pre"
            p.relate(known, [p.count(("outcome", record["variable"], group, "all", "n"),
                                     _count(record["n"]) - _count(record["missing"]),
                                     published=False)])
    return _proportion_render(p, frame, triples, n_column="n", events_column="missing",
                              estimate_columns=["share_missing"])


# --- children: flow, fidelity, design ------------------------------------------------------------

# Steps of the flow that are a group elsewhere: eligible children of the intervention areas
# are the intervention group; fidelity counts the children of accepting families.
FLOW_POPULATIONS = {"eligible": "intervention", "accepted": "accepted"}


def _children_key(population: str, area: str) -> tuple:
    return ("children", population, area)


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


def _round_float(value: object) -> object:
    """A float in a mixed column, rounded as the CSV writer rounds float columns (%.6g)."""
    if not isinstance(value, float | np.floating):
        return value
    return int(value) if float(value).is_integer() else float(f"{float(value):.6g}")


# --- effects -----------------------------------------------------------------------------------

GROUP_COLUMNS = (("n_intervention", "events_intervention"), ("n_comparison", "events_comparison"))
SIDES = ("intervention", "comparison")
EFFECT_ESTIMATES = ("estimate", "ci_low", "ci_high", "p_value", "p_adjusted", "p_randomisation",
                    "p_placebo")
# Rows whose two groups are each the children after the start plus those before it.
DID_METHODS = ("did", "did_unadjusted", "fuzzy_did", "logistic_did", "triple_difference",
               "kaplan_meier")
# Analyses on a subset of the ITT population: the difference from the ITT counts is itself a
# count of children (families who declined, children without covariates).
NESTED_ANALYSES = ("itt", "per_protocol", "dose_response", "complier")


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


def _side_area(side: str, area: str) -> str:
    """The area of a group in an area-level contrast: the area's own children against all
    comparison children."""
    return area if side.startswith("intervention") else "all"


def _effect_population(row: Mapping[str, Any], side: str) -> str:
    analysis, method = _text(row.get("analysis")) or "itt", _text(row.get("method"))
    if _text(row.get("subgroup")):
        return f"subgroup/{row['subgroup']}/{side}"
    if analysis == "landmark":
        return f"landmark/{_count(row.get('landmark_days'))}/{side}"
    if method in DID_METHODS:
        return f"{analysis}/did/{side}"
    if analysis == "itt":
        return side
    return f"{analysis}/{side}"


def _observed_counts(p: _Pass, indicator: str, group: str, area: str) -> tuple[int, int] | None:
    """(n, events) of a group as another table of the pass shows it (indicators, summary)."""
    indicators = p.frames.get("indicators")
    if indicators is not None and not indicators.empty:
        match = indicators[indicators["indicator"].eq(indicator).to_numpy(dtype=bool)
                           & indicators["group"].eq(group).to_numpy(dtype=bool)
                           & indicators["area"].astype(str).eq(area).to_numpy(dtype=bool)]
        if len(match):
            return _count(match["n_denominator"].iloc[0]), _count(match["n_numerator"].iloc[0])
    summary = p.frames.get("summary")
    if summary is not None and not summary.empty and f"n_denominator_{group}" in summary.columns:
        row_area = area if group.startswith("intervention") else None
        match = summary[summary["indicator"].eq(indicator).to_numpy(dtype=bool)
                        & (summary["area"].astype(str).eq(row_area).to_numpy(dtype=bool)
                           if row_area else np.ones(len(summary), dtype=bool))]
        match = match[match[f"n_denominator_{group}"].notna().to_numpy(dtype=bool)]
        if len(match):
            return _count(match[f"n_denominator_{group}"].iloc[0]), _count(match[f"events_{group}"].iloc[0])
    return None


def _publish_effects(p: _Pass, frame: pd.DataFrame) -> Render:
    """Each row's 2x2 table (events and rest per group) is protected, keyed so that the ITT
    counts are indicators.csv's; subgroup levels add up (at most) to the ITT group; other
    analyses differ from the ITT counts by a number of children that is protected too; a DiD
    population is the groups after the start plus those before; area rows add up to "all".
    A row with any hidden count (a DiD: of any group it combines) loses its estimate,
    interval and p-values."""
    records = frame.to_dict("records")
    row_triples: list[dict[str, Triple]] = []
    for record in records:
        area = _area(record)
        mine = {}
        for side, (n_column, events_column) in zip(SIDES, GROUP_COLUMNS, strict=True):
            if record.get("analysis") == "dose_response" and side == "comparison":
                continue  # a dose-response row has no comparison group
            is_base = _effect_population(record, side) == side and record.get("method") == "crude"
            mine[side] = p.proportion(record["indicator"], _effect_population(record, side),
                                      _side_area(side, area), record.get(n_column), record.get(events_column),
                                      cost=3 if is_base else 1)
        row_triples.append(mine)
    # the ITT counts of each indicator, area and side: the crude row's (or the first ITT row's)
    base: dict[tuple[str, str, str], Triple] = {}
    base_is_crude: set[tuple[str, str, str]] = set()
    binary: set[str] = set()
    for record, mine in zip(records, row_triples, strict=True):
        crude = record.get("method") == "crude"
        for side, triple in mine.items():
            key = (record["indicator"], _area(record), side)
            if _effect_population(record, side) == side and key not in base_is_crude and (
                    crude or key not in base):
                base[key] = triple
                if crude:
                    base_is_crude.add(key)
        if record.get("measure") == "risk_difference" and crude:
            binary.add(record["indicator"])
    before = _before_start(p, records, row_triples, base, binary)
    components: list[list[Triple]] = []
    for record, mine in zip(records, row_triples, strict=True):
        indicator, area, analysis = record["indicator"], _area(record), _text(record.get("analysis")) or "itt"
        parts: list[Triple] = []
        for side, triple in mine.items():
            ground = base.get((indicator, area, side))
            pre = before.get((indicator, area, side))
            if record.get("method") in DID_METHODS and analysis == "placebo":
                if pre is not None:  # the children before the start, split at a fake start
                    for k in range(3):
                        p.differ(pre[k], triple[k])
                    parts.append(pre)
            elif record.get("method") in DID_METHODS:
                parts += [t for t in (ground, pre) if t is not None]
            elif ground is None or ground == triple:
                continue
            elif analysis in NESTED_ANALYSES and not _text(record.get("subgroup")):
                for k in range(3):
                    p.differ(ground[k], triple[k])
        components.append(parts)
    _relate_subgroups(p, records, row_triples, base)
    _relate_areas(p, records, row_triples)

    adjusted = _flags(frame, "adjusted")

    def render(hidden: np.ndarray) -> pd.DataFrame:
        m = p.min_cell
        published = frame.copy()
        row_hidden = np.zeros(len(frame), dtype=bool)
        for side, (n_column, events_column) in zip(SIDES, GROUP_COLUMNS, strict=True):
            for kind, column in enumerate((n_column, events_column)):
                column_hidden = np.array([side in mine and bool(hidden[mine[side][kind]])
                                          for mine in row_triples], dtype=bool)
                published[column] = _shown_column(frame[column], column_hidden, m)
                row_hidden |= column_hidden
        row_hidden |= np.array([any(p.unsafe(t, hidden) for t in mine.values()) or
                                any(p.unsafe(t, hidden) for t in parts)
                                for mine, parts in zip(row_triples, components, strict=True)], dtype=bool)
        # An estimate adjusted for covariates keeps its value unless a group it rests on is
        # itself hidden or small: it cannot be turned back into its row's counts (see above).
        groups_hidden = np.array([any(bool(hidden[t[0]]) or p.small(t[0]) for t in (*mine.values(), *parts))
                                  for mine, parts in zip(row_triples, components, strict=True)], dtype=bool)
        estimate_hidden = np.where(adjusted, groups_hidden, row_hidden)
        _blank(published, estimate_hidden, EFFECT_ESTIMATES)
        _blank(published, row_hidden, ["ess_comparison"])  # as the note's effective size
        published["note"] = [_effects_note(_text(note), hidden_row, m)
                             for note, hidden_row in zip(frame["note"], row_hidden, strict=True)]
        reasons = [p.reason(mine.values()) for mine in row_triples]
        p.facts["effects_blank"] = {
            (r["indicator"], _area(r), _text(r.get("analysis")) or "itt", _text(r.get("method")),
             _text(r.get("measure"))): bool(b)
            for r, b in zip(records, estimate_hidden, strict=True) if not _text(r.get("subgroup"))}
        return _mark(published, row_hidden, reasons)
    return render


def _before_start(p: _Pass, records: list[dict], row_triples: list[dict[str, Triple]],
                  base: dict[tuple[str, str, str], Triple], binary: set[str]) -> dict[tuple, Triple]:
    """The groups before the start, per indicator, area and side, as another table shows them
    or (a binary indicator) as the ITT DiD row less the group after; each DiD group is the
    group after plus the group before, where the counts agree."""
    values = p.cells.values
    before: dict[tuple, Triple] = {}
    for record, mine in zip(records, row_triples, strict=True):
        if record.get("method") not in DID_METHODS or (_text(record.get("analysis")) or "itt") != "itt":
            continue
        indicator, area = record["indicator"], _area(record)
        for side, did in mine.items():
            post = base.get((indicator, area, side))
            group, where = f"{side}_pre", _side_area(side, area)
            counts = _observed_counts(p, indicator, group, where)
            if counts is None and post is not None and indicator in binary:
                counts = (values[did[0]] - values[post[0]], values[did[1]] - values[post[1]])
            if counts is None or min(counts) < 0 or counts[0] < counts[1]:
                continue
            pre = p.proportion(indicator, group, where, *counts, published=False)
            before[indicator, area, side] = pre
            if post is not None and all(values[did[k]] == values[post[k]] + values[pre[k]] for k in range(3)):
                for k in range(3):
                    p.relate(did[k], [post[k], pre[k]])
    return before


def _relate_subgroups(p: _Pass, records: list[dict], row_triples: list[dict[str, Triple]],
                      base: dict[tuple[str, str, str], Triple]) -> None:
    """Subgroup levels of one variable add up (at most: levels unknown are left out) to the group."""
    levels: dict[tuple, list[Triple]] = {}
    for record, mine in zip(records, row_triples, strict=True):
        subgroup = _text(record.get("subgroup"))
        if not subgroup:
            continue
        for side, triple in mine.items():
            key = (record["indicator"], _area(record), side, subgroup.split("=")[0])
            levels.setdefault(key, []).append(triple)
    for (indicator, area, side, _), parts in levels.items():
        if (indicator, area, side) in base:
            p.sum_up_triples(base[indicator, area, side], parts)


def _relate_areas(p: _Pass, records: list[dict], row_triples: list[dict[str, Triple]]) -> None:
    """The intervention groups of the area rows add up (at most) to the whole study's."""
    rows: dict[tuple, dict[str, Triple]] = {}
    for record, mine in zip(records, row_triples, strict=True):
        if "intervention" not in mine:
            continue
        identity = (record["indicator"], _effect_population(record, "intervention"),
                    _text(record.get("method")))
        rows.setdefault(identity, {})[_area(record)] = mine["intervention"]
    for by_area in rows.values():
        if "all" in by_area and len(by_area) > 1:
            p.sum_up_triples(by_area["all"], list(dict.fromkeys(t for a, t in by_area.items() if a != "all")))


_DID_CELLS = re.compile(r"cells [^;]*?: \d+/\d+(?:, [^;]*?: \d+/\d+)*")
_DID_CELL = re.compile(r"(\d+)/(\d+)")
_EFFECTIVE_SIZE = re.compile(r"effective sample size ([\d.]+) of \d+")
_UNDER_SHARE = re.compile(r"(under \d+% of the) \d+ (children)")
_FITTED_AT_BOUNDS = re.compile(r"\b(\d+)( fitted probabilities at)")


def _effects_note(note: str, hidden_row: bool, min_cell: int) -> str:
    """The note with counts taken out where they are small or the row is suppressed."""
    small = privacy.small_count_label(min_cell)
    note = _FITTED_AT_BOUNDS.sub(lambda m: (small if 0 < int(m[1]) < min_cell else m[1]) + m[2], note)
    did_cells = _DID_CELLS.search(note)
    if did_cells and (hidden_row or any(0 < int(e) < min_cell or 0 < int(n) - int(e) < min_cell
                                        for e, n in _DID_CELL.findall(did_cells[0]))):
        note = note.replace(did_cells[0], "cells suppressed")
        hidden_row = True
    if hidden_row:
        note = _EFFECTIVE_SIZE.sub("effective sample size suppressed", note)
        note = _UNDER_SHARE.sub(r"\1 \2", note)
        note = "; ".join(n for n in (SUPPRESSED_NOTE.format(min_cell=min_cell), note) if n)
    return note


# --- summary -----------------------------------------------------------------------------------

SUMMARY_GROUPS = ("intervention", "comparison", "intervention_pre", "comparison_pre")
SUMMARY_ESTIMATES = ("estimate", "ci_low", "ci_high", "p_value", "p_adjusted", "p_randomisation",
                     "p_placebo", "logistic_estimate", "logistic_ci_low", "logistic_ci_high",
                     "sensitivity_estimate", "no_pandemic_estimate", "no_pandemic_ci_low",
                     "no_pandemic_ci_high",
                     "sensitivity_ci_low", "sensitivity_ci_high")
PRETREND_ESTIMATES = ("pretrend_estimate", "pretrend_ci_low", "pretrend_ci_high", "pretrend_p")


def _publish_summary(p: _Pass, frame: pd.DataFrame) -> Render:
    """One row per indicator and area: the observed shares are proportions keyed as
    indicators.csv's; the headline's n are effects.csv's. A share is blank (with a bound where
    safe) when a count behind it is hidden or small; the headline estimate, its interval, p
    and sensitivity check are blank, verdict `suppressed` and reason the suppression's, when
    its effects row is blank or any group it rests on has a hidden or small count."""
    records = frame.to_dict("records")
    observed: list[dict[str, Triple]] = []
    headline: list[dict[str, int]] = []
    for record in records:
        indicator, area = record["indicator"], _area(record)
        mine = {}
        for group in SUMMARY_GROUPS:
            n_column = f"n_denominator_{group}"
            if n_column in record and not pd.isna(record[n_column]):
                mine[group] = p.proportion(indicator, group, _side_area(group, area), record[n_column],
                                           record.get(f"events_{group}"), shown=True)
        observed.append(mine)
        cells = {}
        for side in SIDES:
            if pd.isna(record.get(f"n_{side}")):
                continue
            population = f"itt/did/{side}" if record.get("method") == "did" else side
            cell = p.count(("outcome", indicator, population, _side_area(side, area), "n"),
                           record[f"n_{side}"])
            cells[side] = cell
            post, pre = mine.get(side), mine.get(f"{side}_pre")
            if record.get("method") == "did" and post and pre and (
                    p.cells.values[cell] == p.cells.values[post[0]] + p.cells.values[pre[0]]):
                p.relate(cell, [post[0], pre[0]])
        headline.append(cells)

    def render(hidden: np.ndarray) -> pd.DataFrame:
        m = p.min_cell
        published = frame.copy()
        blank_effects = p.facts.get("effects_blank", {})
        for group in SUMMARY_GROUPS:
            if f"n_denominator_{group}" not in frame.columns:
                continue
            triples = [mine.get(group) for mine in observed]
            for kind, column in ((0, f"n_denominator_{group}"), (1, f"events_{group}")):
                published[column] = _shown_column(frame[column], np.array(
                    [t is not None and bool(hidden[t[kind]]) for t in triples]), m)
            unsafe = np.array([t is not None and p.unsafe(t, hidden) for t in triples], dtype=bool)
            _blank(published, unsafe, [f"proportion_{group}"])
            published[f"proportion_bound_{group}"] = pd.array(
                [p.bound(t, hidden) if u else "" for t, u in zip(triples, unsafe, strict=True)],
                dtype="string")
        for side in SIDES:
            published[f"n_{side}"] = _shown_column(frame[f"n_{side}"], np.array(
                [side in cells and bool(hidden[cells[side]]) for cells in headline], dtype=bool), m)
        rows, reasons = [], []
        for record, mine, cells in zip(records, observed, headline, strict=True):
            used = [mine[g] for g in SUMMARY_GROUPS if g in mine and (
                record.get("method") == "did" or not g.endswith("_pre"))]
            effect_key = (record["indicator"], _area(record), _text(record.get("analysis")) or "itt",
                          _text(record.get("method")), _text(record.get("measure")))
            blank = (blank_effects.get(effect_key, False)
                     or any(hidden[c] or p.small(c) for c in cells.values())
                     or (not _flag(record.get("adjusted")) and any(p.unsafe(t, hidden) for t in used)))
            rows.append(blank)
            everything = [*used, *(t for g, t in mine.items() if t not in used)]
            small = any(p.small(c) for t in everything for c in t) or any(p.small(c) for c in cells.values())
            reasons.append(p.reason(everything, cells.values()) if small else "secondary")
        rows = np.array(rows, dtype=bool)
        _blank(published, rows, SUMMARY_ESTIMATES)
        pre_unsafe = np.array([any(p.unsafe(t, hidden) for g, t in mine.items() if g.endswith("_pre"))
                               for mine in observed], dtype=bool)
        _blank(published, rows | pre_unsafe, PRETREND_ESTIMATES)
        any_observed = np.array([any(p.unsafe(t, hidden) for t in mine.values()) for mine in observed])
        if "verdict" in published.columns:
            published["verdict"] = published["verdict"].mask(rows, "suppressed")
        if "reason" in published.columns:
            published["reason"] = [reason if blank else _text(old) for reason, blank, old in
                                   zip(reasons, rows, frame["reason"], strict=True)]
        if "reason_detail" in published.columns:
            published["reason_detail"] = [
                SUPPRESSED_NOTE.format(min_cell=m) if blank else _effects_note(_text(detail), False, m)
                for detail, blank in zip(frame["reason_detail"], rows, strict=True)]
        return _mark(published, rows | any_observed | pre_unsafe, reasons)
    return render


# --- balance -----------------------------------------------------------------------------------

BALANCE_VALUES = ("value_before", "value_after", "smd_before", "smd_after", "rating_before",
                  "rating_after")
# Children with the covariate level, per group (binary covariates and levels only).
BALANCE_LEVEL_COUNTS = ("n_level_intervention", "n_level_comparison")


def _publish_balance(p: _Pass, frame: pd.DataFrame) -> Render:
    """The children of a group with a covariate known are the group (when as many); its levels
    add up to them (a yes/no covariate: with the children without it); area rows add up to
    "all". A covariate (level) with a hidden count, or a small number of children without the
    level, loses its balance values (a standardised difference of two proportions gives the
    proportions back)."""
    records = frame.to_dict("records")
    cells: list[dict[str, int]] = []
    for record in records:
        area, mine = _area(record), {}
        for side in SIDES:
            where = _side_area(side, area)
            mine[f"n_{side}"] = p.count(_children_key(side, where), record.get(f"n_{side}"),
                                        cost=3 if where == "all" else 2)
            level = record.get(f"n_level_{side}")
            if level is not None and not pd.isna(level):
                mine[f"n_level_{side}"] = p.count(("balance", record["covariate"], _text(record.get("level")),
                                                   side, where), level)
        cells.append(mine)
    levels: dict[tuple, list[int]] = {}
    totals: dict[tuple, int] = {}
    for record, mine in zip(records, cells, strict=True):
        for side in SIDES:
            if f"n_level_{side}" in mine:
                key = (record["covariate"], side, _side_area(side, _area(record)))
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
            column_hidden = np.array([column in mine and bool(hidden[mine[column]]) for mine in cells])
            published[column] = _shown_column(frame[column], column_hidden, m)
            rows |= column_hidden
        for side in SIDES:
            if f"n_level_{side}" in frame.columns:
                rest = frame[f"n_{side}"].astype("Float64") - frame[f"n_level_{side}"].astype("Float64")
                rows |= privacy.is_small_count(rest, m)
        _blank(published, rows, BALANCE_VALUES)
        reasons = []
        for record, mine in zip(records, cells, strict=True):
            rests = [_count(record.get(f"n_{s}")) - _count(record.get(f"n_level_{s}")) for s in SIDES
                     if f"n_level_{s}" in mine]
            small = any(p.small(c) for c in mine.values()) or privacy.is_small_count(rests, m).any()
            reasons.append("small_count" if small else "secondary")
        return _mark(published, rows, reasons)
    return render


# --- survival ----------------------------------------------------------------------------------

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


# --- power -------------------------------------------------------------------------------------

def _publish_power(p: _Pass, frame: pd.DataFrame) -> Render:
    """Group sizes and the comparison group's share are indicators.csv's "all" rows; small or
    hidden group sizes are "<m" or empty, and the detectable difference, which with
    p_comparison gives n back, is blank then; p_comparison (and all computed from it) is
    blank when its numerator or the rest of the comparison group is hidden or small."""
    records = frame.to_dict("records")
    treated, comparison = [], []
    for record in records:
        treated.append(p.count(("outcome", record["indicator"], "intervention", "all", "n"),
                               record.get("n_intervention")))
        n0 = _count(record.get("n_comparison"))
        share = record.get("p_comparison")
        events = 0 if share is None or pd.isna(share) else min(n0, round(float(share) * n0))
        comparison.append(p.proportion(record["indicator"], "comparison", "all", n0, events, shown=True))

    def render(hidden: np.ndarray) -> pd.DataFrame:
        m = p.min_cell
        published = frame.copy()
        n1_hidden = np.array([bool(hidden[c]) for c in treated])
        n0_hidden = np.array([bool(hidden[t[0]]) for t in comparison])
        published["n_intervention"] = _shown_column(frame["n_intervention"], n1_hidden, m)
        published["n_comparison"] = _shown_column(frame["n_comparison"], n0_hidden, m)
        p0_unsafe = np.array([p.unsafe(t, hidden) for t in comparison]) | n0_hidden
        _blank(published, n1_hidden | n0_hidden | p0_unsafe, ["mdd", "mdd_decrease"])
        _blank(published, p0_unsafe, ["p_comparison", "n_per_group_needed", "n_per_group_needed_corrected"])
        reasons = [p.reason([t], [c]) if p.small(c) or any(p.small(x) for x in t) else "secondary"
                   for c, t in zip(treated, comparison, strict=True)]
        return _mark(published, n1_hidden | n0_hidden | p0_unsafe, reasons)
    return render


PUBLISHERS: dict[str, Callable[[_Pass, pd.DataFrame], Render]] = {
    "indicators": _publish_indicators,
    "flow": _publish_flow,
    "fidelity": _publish_fidelity,
    "design": _publish_design,
    "effects": _publish_effects,
    "summary": _publish_summary,
    "dose_response": _publish_dose_response,
    "trends": _publish_trends,
    "did_cells": _publish_did_cells,
    "did_areas": _publish_did_areas,
    "event_study": _publish_event_study,
    "missing_data": _publish_missing_data,
    "balance": _publish_balance,
    "survival": _publish_survival,
    "power": _publish_power,
}
# Registration and rendering order: the catalog's (the cohort stage's tables first, effects
# before summary, whose headline is blank where its effects row is).
_RENDER_ORDER = [name for name in TABLE_NAMES if name in PUBLISHERS]


# --- XLSX --------------------------------------------------------------------------------------

def write_xlsx(frame: pd.DataFrame, path: Path) -> None:
    """The table as a one-sheet XLSX workbook, byte-identical for identical input.

    Written by XlsxWriter in memory, whose zip entries carry a fixed time; the document's
    created and modified dates are fixed here (XLSX_DATE). Text is never read as a number,
    formula or link.
    """
    sheet = re.sub(r"[\[\]:*?/\\]", "_", Path(path).stem)[:31] or "table"
    options = {"in_memory": True, "strings_to_numbers": False, "strings_to_formulas": False,
               "strings_to_urls": False}
    buffer = io.BytesIO()
    with pd.ExcelWriter(buffer, engine="xlsxwriter", engine_kwargs={"options": options}) as writer:
        writer.book.set_properties({"author": "hembesok", "created": XLSX_DATE})
        frame.to_excel(writer, sheet_name=sheet, index=False)
    Path(path).write_bytes(buffer.getvalue())


# --- output scan -------------------------------------------------------------------------------

PDF_SUFFIXES = frozenset({".pdf"})
# A PDF's streams with the dictionary before each, its literal strings (one level of nested
# parentheses) and its hex strings; PDF text strings are PDFDocEncoding or UTF-16BE with a BOM.
_PDF_STREAM = re.compile(rb"\bobj\s*(<<.*?)stream\r?\n(.*?)endstream", re.S)
_PDF_BINARY_STREAM = re.compile(rb"/Subtype\s*/Image|/FontFile|/Length[123]\b")  # images and fonts
_PDF_LITERAL = re.compile(rb"\((?:\\.|[^\\()]|\((?:\\.|[^\\()])*\))*\)", re.S)
_PDF_ESCAPE = re.compile(rb"\\([0-7]{1,3}|\r\n|.)", re.S)
_PDF_ESCAPES = {b"n": b"\n", b"r": b"\r", b"t": b"\t", b"b": b"\b", b"f": b"\f"}
_PDF_HEX = re.compile(rb"<([0-9A-Fa-f\s]+)>")


def scan_file_for_personnummer(path: Path) -> list[str]:
    """Masked personnummer-like strings in an output file (SPEC §10).

    Text files (SVG too) are scanned as text; an XLSX workbook cell by cell (and its sheet
    names); a PDF as far as it can be read without a PDF library (see `_pdf_texts`);
    parquet and PNG are skipped; any other file is scanned as text.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix in SKIPPED_SUFFIXES:
        return []
    if suffix in XLSX_SUFFIXES:
        return privacy.find_personnummer_like("\n".join(_xlsx_texts(path)))
    if suffix in PDF_SUFFIXES:
        return privacy.find_personnummer_like("\n".join(_pdf_texts(path)))
    return privacy.find_personnummer_like(path.read_text(encoding="utf-8", errors="replace"))


def _pdf_texts(path: Path) -> list[str]:
    """The text strings of a PDF, read without a PDF library (no extra dependency).

    Every literal and hex string object, in the file and in its Flate-compressed streams
    other than images and fonts: document information, outline, link targets and tagged-PDF
    alternative texts. The page text that Chromium draws is glyph-encoded and is not read
    here; the reports' PDFs are printed from their HTML, which the same scan reads as text
    (as PNG figures are drawn from tables that it reads).
    """
    data = Path(path).read_bytes()
    outside = [_PDF_STREAM.sub(b"", data)]  # the file's own bytes, without the stream bodies
    for stream in _PDF_STREAM.finditer(data):
        dictionary, body = stream.groups()
        outside.append(dictionary)
        if _PDF_BINARY_STREAM.search(dictionary):
            continue
        if b"/Filter" in dictionary:
            if b"/FlateDecode" not in dictionary:
                continue  # another encoding (images: DCT, JPX) holds no text we could read
            try:
                body = zlib.decompressobj().decompress(body)
            except zlib.error:
                continue
        if _looks_like_text(body):  # content, object and CMap streams, not an ICC profile
            outside.append(body)
    texts = []
    for chunk in outside:
        texts += [_pdf_string(_PDF_ESCAPE.sub(_pdf_unescape, m.group()[1:-1]))
                  for m in _PDF_LITERAL.finditer(chunk)]
        for m in _PDF_HEX.finditer(chunk):
            digits = re.sub(rb"\s", b"", m.group(1))
            if digits[:4].lower() == b"feff" and len(digits) % 2 == 0:  # glyph ids carry no BOM
                texts.append(_pdf_string(bytes.fromhex(digits.decode("ascii"))))
    return texts


def _looks_like_text(data: bytes) -> bool:
    """True when at most 1 % of the first 64 kB are control bytes other than whitespace."""
    sample = data[:65536]
    control = sum(sample.count(bytes([c])) for c in range(32) if c not in (9, 10, 12, 13))
    return control <= len(sample) // 100


def _pdf_unescape(match: re.Match[bytes]) -> bytes:
    escaped = match.group(1)
    if escaped[:1].isdigit():
        return bytes([int(escaped, 8) & 0xFF])
    if escaped in (b"\r\n", b"\n", b"\r"):
        return b""  # a line continuation
    return _PDF_ESCAPES.get(escaped, escaped)


def _pdf_string(raw: bytes) -> str:
    if raw[:2] == b"\xfe\xff":
        return raw[2:].decode("utf-16-be", errors="replace")
    return raw.decode("latin-1")


def _xlsx_texts(path: Path) -> list[str]:
    """Every sheet name and every non-empty cell of a workbook, as text."""
    from openpyxl import load_workbook

    workbook = load_workbook(path, read_only=True, data_only=True)
    try:
        texts = []
        for sheet in workbook.worksheets:
            texts.append(sheet.title)
            for row in sheet.iter_rows(values_only=True):
                texts.extend(str(value) for value in row if value is not None)
        return texts
    finally:
        workbook.close()
