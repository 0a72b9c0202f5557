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
up to a group; a covariate's children with it known and without it known add up to the
group (balance.csv with missing_data.csv); the points of a survival curve follow each other
by steps. `LinkedCells.protect` then hides the small counts and as many others as it takes
for no small count to be narrowed beyond "<5" by any sums of what is shown.

A survival curve is first coarsened (`survival.coarsened_points`): where two points of the
grid differ by a small count of events, of children leaving the risk set or of children
censored, the step is merged into the next, so that the curve is published on a coarser
grid rather than with gaps; it still ends where fewer than min_cell children are at risk.

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

Conventions in a published table: a small count is the string "<5" (or empty, where the
"<5" alone would give a count away: an indicator's n or events, `privacy.LinkedCells.muted`);
a count hidden only so that another cannot be worked out (secondary suppression) is empty,
as is every estimate, interval and proportion that rests on a hidden count; counts that
are shown stay integers; `suppressed` is True on every row where anything was hidden, and
`suppression` says why (SUPPRESSION_REASONS): `small_group` (a denominator of
1..min_cell-1), `few_events` (a numerator that small), `few_without` (n less the numerator
that small), `small_count` (another count of the row that small), `secondary` (hidden to
protect another figure, or a small count of its own where saying so would give it away:
`privacy.LinkedCells.concealed`).
A proportion hidden for `few_events` or `few_without` whose denominator is shown gets a
bound in `proportion_bound` (">0.95", "<0.05", as shares) when one exists that is loose
enough to say no more than "<5": the counts it allows include min_cell and more.

The pass must see every table of a run at once (the cohort stage's indicators, flow and
fidelity with the compare stage's tables): a table published in another call is consistent
only with the tables of its own call.

The monitoring tables (`PUBLISHED_AFTER`: control charts and funnel plots, issue 15) come in a
second pass over every table of the call, in which the first pass's cells keep its decisions
(`LinkedCells.fix_as`) and only the components they touch are worked on: their many quarter
cells may hide their own counts, never a count of a table published without them. Should a
small count of an indicator be protectable without them and not with them, that indicator's
monitoring rows are withdrawn whole (`monitoring.UNPROTECTED`).

A follow-up part (`pipeline.followup`) brings the rules of its own tables (its module's
PUBLISHERS); they join the registry below and are rendered after the core tables. A part's
tables count conversations and families of its own export, linked to no table of children, so
the followup stage publishes them in a pass of their own.

The package: `cells` (the pass, `_Pass`, and what every rule shares), one module of rules
per kind of table (`proportions`: indicators, dose-response, trends, the DiD's cells and
areas, event study, missing data; `children`: flow, design, fidelity, balance; `effects`:
effects, summary, power; `survival`; `areas`: the clean stage's area_spellings; `costs`:
costs; `counts`: count and rate outcomes; `monitoring`: control charts, funnel plots and the
changes since the previous run), `formulas`
(text that a spreadsheet would run as a formula made inert: every published table's text),
`xlsx` (`write_xlsx`) and `scan` (the output scan, `scan_file_for_personnummer`).
PUBLISHERS, here, maps each table to its rule.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping

import numpy as np
import pandas as pd

from pipeline.followup import WithParts
from pipeline.outputs import CATALOG, output_table
from pipeline.privacy import LinkedCells
from pipeline.publish.areas import _publish_area_spellings
from pipeline.publish.cells import (
    BOUND_PERCENTS,
    SUPPRESSED_NOTE,
    SUPPRESSION_REASONS,
    Render,
    Triple,
    _Pass,
    proportion_bound,
)
from pipeline.publish.children import _publish_balance, _publish_design, _publish_fidelity, _publish_flow
from pipeline.publish.costs import _publish_costs
from pipeline.publish.counts import _publish_count_effects, _publish_count_outcomes, _publish_dose_received
from pipeline.publish.effects import _publish_effects, _publish_power, _publish_summary
from pipeline.publish.formulas import (
    FORMULA_TRIGGERS,
    escape_table,
    escape_text,
    unescape_frame,
    unescape_text,
)
from pipeline.publish.monitoring import UNPROTECTED, _publish_changes, _publish_control_chart, _publish_funnel
from pipeline.publish.proportions import (
    _publish_did_areas,
    _publish_did_cells,
    _publish_dose_response,
    _publish_event_study,
    _publish_indicators,
    _publish_missing_data,
    _publish_trends,
)
from pipeline.publish.scan import (
    PDF_SUFFIXES,
    SKIPPED_SUFFIXES,
    TEXT_SUFFIXES,
    XLSX_SUFFIXES,
    scan_ahead,
    scan_file_for_personnummer,
)
from pipeline.publish.scan import _pdf_texts as _pdf_texts  # read by the tests
from pipeline.publish.survival import _publish_survival, coarsened_points
from pipeline.publish.xlsx import XLSX_DATE, write_xlsx

__all__ = [
    "BOUND_PERCENTS",
    "FORMULA_TRIGGERS",
    "PDF_SUFFIXES",
    "PUBLISHERS",
    "SKIPPED_SUFFIXES",
    "SUPPRESSED_NOTE",
    "SUPPRESSION_REASONS",
    "TEXT_SUFFIXES",
    "XLSX_DATE",
    "XLSX_SUFFIXES",
    "Render",
    "Triple",
    "coarsened_points",
    "escape_text",
    "proportion_bound",
    "publish_table",
    "publish_tables",
    "scan_ahead",
    "scan_file_for_personnummer",
    "unescape_frame",
    "unescape_text",
    "write_xlsx",
]

log = logging.getLogger("hembesok")


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
    a table without a rule. Every table, the ones counting export rows too, comes back with
    its text made safe for a spreadsheet (`formulas.escape_table`: a text starting with `=`,
    `+`, `-` or `@` gets a leading `'`, as OWASP advises for CSV; numbers are untouched).
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
    order = _render_order()
    earlier = {n: f for n, f in frames.items() if n not in PUBLISHED_AFTER}
    run, hidden, renders = _suppress(earlier, min_cell, order)
    published = {name: renders[name](hidden) for name in renders}  # effects before summary
    later = sorted((n for n in frames if n in PUBLISHED_AFTER), key=order.index)
    if later:
        # the monitoring tables: a second pass over every table, in which the cells of the
        # first keep the first pass's decision (LinkedCells.fix_as), so that they cannot
        # change a table published without them; only their own cells may be hidden
        after, hidden_after, renders_after = _suppress(frames, min_cell, order, earlier=(run, hidden))
        # an indicator with a small count the first pass protected and this one cannot (the
        # first pass's cells keep their ids here): the later tables take that indicator's
        # figures back out (pipeline.publish.monitoring), markers and all
        given_up_before = set(run.cells.unprotectable)
        unprotected = {_outcome(after.cells, cell) for cell in after.cells.unprotectable
                       if cell not in given_up_before}
        if None in unprotected:  # a cell of no known indicator: all of them
            unprotected |= {str(i) for name in later for i in frames[name]["indicator"]}
        after.facts[UNPROTECTED] = unprotected
        published |= {name: renders_after[name](hidden_after) for name in later}
    if run.cells.unprotectable:
        # the first pass's: the second pass's own are taken out with the rows that give them away
        log.warning("small-cell suppression: %d small count(s) can still be worked out from the "
                    "published counts and their \"<%d\" markers, and no further hiding can stop "
                    "it, in %s; look at these indicators' tables before they are shared",
                    len(run.cells.unprotectable), min_cell,
                    leak_places(run.cells, run.cells.unprotectable))
    return {name: escape_table(output_table(name), published[name] if name in published else frame.copy())
            for name, frame in tables.items()}


def _suppress(frames: Mapping[str, pd.DataFrame], min_cell: int, order: list[str],
              earlier: tuple[_Pass, np.ndarray] | None = None) -> tuple[_Pass, np.ndarray, dict[str, Render]]:
    """One pass: each table's cells and relations, in a fixed order (_render_order), the
    cells hidden, and each table's render function. `earlier`: a pass over some of the same
    tables whose decisions stand."""
    run = _Pass(min_cell, frames)
    # the earlier pass's tables first, in its order, so that its cells keep their ids here
    first = set(earlier[0].frames) if earlier is not None else set(frames)
    renders = {name: PUBLISHERS[name](run, frames[name])
               for name in sorted(frames, key=lambda n: (n not in first, order.index(n)))}
    touching = run.cells.fix_as(earlier[0].cells, earlier[1]) if earlier is not None else None
    hidden = run.cells.protect(touching)
    return run, hidden, renders


def leak_places(cells: LinkedCells, ids: list[int], most: int = 6) -> str:
    """Where small counts leak, for a warning: each indicator with its group ("vacc_dtp3_24m
    (comparison)"), children with their step or group ("children (flow/offered)"), or the
    kind of count, in order of first appearance; never a count."""
    places: list[str] = []
    for cell in ids:
        key = cells.key_of(cell)
        if isinstance(key, tuple) and len(key) > 2 and key[0] == "outcome":
            place = f"{key[1]} ({key[2]})"
        elif isinstance(key, tuple) and len(key) > 2 and key[0] == "children":
            place = f"children ({key[1]})"
        else:
            place = str(key[0]) if isinstance(key, tuple) and key else "counts without a name"
        if place not in places:
            places.append(place)
    shown = ", ".join(places[:most])
    return shown + (f" and {len(places) - most} more" if len(places) > most else "")


def _outcome(cells: LinkedCells, cell: int) -> str | None:
    """The indicator whose outcome a cell counts (None: no indicator known)."""
    key = cells.key_of(cell)
    return key[1] if isinstance(key, tuple) and len(key) > 1 and key[0] == "outcome" else None


# Tables published after the others, in a second pass that cannot change them: the monitoring
# tables (issue 15), whose many small quarter cells would otherwise make the first pass hide
# more in the tables published before them.
PUBLISHED_AFTER = ("control_chart", "funnel")


Publisher = Callable[[_Pass, pd.DataFrame], Render]
PUBLISHERS: Mapping[str, Publisher] = WithParts({
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
    "area_spellings": _publish_area_spellings,
    "costs": _publish_costs,
    "count_outcomes": _publish_count_outcomes,
    "count_effects": _publish_count_effects,
    "dose_received": _publish_dose_received,
    "control_chart": _publish_control_chart,
    "funnel": _publish_funnel,
    "changes": _publish_changes,
}, lambda part: part.PUBLISHERS, "publisher")


def _render_order() -> list[str]:
    """Registration and rendering order: the catalog's (the cohort stage's tables first,
    effects before summary, whose headline is blank where its effects row is)."""
    return [name for name in CATALOG if name in PUBLISHERS]
