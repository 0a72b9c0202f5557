"""What is published: small-cell suppression of every table, XLSX copies, the output scan.

SPEC §10: a count of 1..min_cell-1 children is shown as "<5" (min_cell 5); a proportion is
suppressed when its numerator or the rest of its denominator is that small; a second cell
is suppressed where a total would reveal the first. `publish_table` applies this to each
table by name; the sums that link cells (areas to "all", events + non-events = n, steps of
the flow, subgroups to the whole group, nested analysis populations) are written out per
table below and solved by `privacy.LinkedCells`.

Conventions in a published table: a small count is the string "<5"; a count hidden only so
that a total cannot reveal a small one (secondary suppression) is empty, as is every
estimate, interval and proportion that rests on a hidden count; counts that are shown stay
integers; `suppressed` is True on every row where anything was hidden.
"""

from __future__ import annotations

import io
import re
import zipfile
import zlib
from collections.abc import Callable, Iterable
from pathlib import Path

import numpy as np
import pandas as pd

from pipeline import privacy

# Tables that count rows of the raw exports (rows read, rejected by reason, missing values,
# value issues), not children with an attribute: published unchanged. A rejected row says
# nothing about a child that is published anywhere else. Move a name to PUBLISHERS (with a
# rule) to suppress it too.
ROW_COUNT_TABLES = frozenset({"data_quality", "rejects_by_reason", "missingness", "value_issues"})

SUPPRESSED_NOTE = "suppressed: fewer than {min_cell} children/events"

# Files scanned for personnummer: as text, as workbook cells, or not at all (binary data
# that pandas/pyarrow or matplotlib wrote from already scanned frames). Anything else is
# read as text, so that an unforeseen output is never skipped.
TEXT_SUFFIXES = frozenset({".csv", ".json", ".log", ".html", ".txt", ".md", ".ipynb"})
XLSX_SUFFIXES = frozenset({".xlsx"})
SKIPPED_SUFFIXES = frozenset({".parquet", ".png"})

# Fixed document and zip-entry dates, so that one table always gives the same bytes.
XLSX_DATE = (2024, 1, 1, 0, 0, 0)


def publish_table(name: str, frame: pd.DataFrame, min_cell: int) -> pd.DataFrame:
    """The published version of the table `name` (its file stem), small cells suppressed.

    Raises ValueError for a table without a rule, so that a new table cannot be published
    unsuppressed by accident.
    """
    if name in ROW_COUNT_TABLES:
        return frame.copy()
    if name not in PUBLISHERS:
        raise ValueError(f"no small-cell suppression rule for table {name!r}; add one to "
                         f"pipeline.publish.PUBLISHERS (or to ROW_COUNT_TABLES if it counts "
                         f"export rows, not children) before publishing it")
    if min_cell < 1:
        raise ValueError(f"min_cell must be at least 1, not {min_cell}")
    return PUBLISHERS[name](frame.reset_index(drop=True), min_cell)


# --- shared pieces ------------------------------------------------------------------------------

def _count(value: object) -> int:
    """A count cell as an int (missing counts as 0: nothing to protect)."""
    return 0 if pd.isna(value) else int(value)


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


def _mark(frame: pd.DataFrame, rows: np.ndarray) -> pd.DataFrame:
    """Set (or add) the `suppressed` column: True where anything on the row was hidden."""
    frame["suppressed"] = np.asarray(rows, dtype=bool)  # replaces a stage's own flag, if any
    return frame


# --- indicators and dose-response: n, events and the rest, areas or bands summed ----------------

def _proportion_cells(cells: privacy.LinkedCells, n: int, events: int, *, cost: int,
                      key: tuple) -> tuple[int, int, int]:
    """A proportion's denominator, numerator and unpublished rest, linked by n = events + rest."""
    n_cell = cells.add(n, cost=cost + 1, key=(*key, "n"))
    event_cell = cells.add(events, cost=cost, key=(*key, "events"))
    rest_cell = cells.add(n - events, published=False, key=(*key, "rest"))
    cells.relate(n_cell, [event_cell, rest_cell])
    return n_cell, event_cell, rest_cell


def _publish_proportions(frame: pd.DataFrame, min_cell: int, *, n_column: str, events_column: str,
                         within: list[str], part_column: str, total_label: object | None,
                         estimate_columns: list[str]) -> pd.DataFrame:
    """Rows of n/events/proportion; within each `within` group the rows of `part_column` add up
    to the row labelled `total_label` (or, when None, to a total published elsewhere)."""
    cells = privacy.LinkedCells(min_cell)
    ids = []
    for row in frame.itertuples(index=False):
        part = getattr(row, part_column)
        is_total = total_label is not None and part == total_label
        ids.append(_proportion_cells(cells, _count(getattr(row, n_column)),
                                     _count(getattr(row, events_column)), cost=3 if is_total else 1,
                                     key=(*(getattr(row, c) for c in within), part)))
    ids_frame = pd.DataFrame(ids, columns=["n", "events", "rest"])
    for _, group in frame.groupby(within, sort=False, dropna=False):
        is_total = (group[part_column] == total_label).to_numpy() if total_label is not None \
            else np.zeros(len(group), dtype=bool)
        parts = ids_frame.loc[group.index[~is_total]]
        if len(parts) < 2 and total_label is not None:
            continue
        for kind in ("n", "events", "rest"):
            if is_total.any():
                total = int(ids_frame.loc[group.index[is_total][0], kind])
            else:  # a total published in another table: known to a reader, never hidden here
                total = cells.add(int(np.array(cells.values)[parts[kind]].sum()), hideable=False)
            cells.relate(total, parts[kind].tolist())
    hidden = cells.protect()
    n_hidden, events_hidden = hidden[ids_frame["n"]], hidden[ids_frame["events"]]
    published = frame.copy()
    published[n_column] = _shown_column(frame[n_column], n_hidden, min_cell)
    published[events_column] = _shown_column(frame[events_column], events_hidden, min_cell)
    rows = n_hidden | events_hidden
    _blank(published, rows, estimate_columns)
    return _mark(published, rows)


def _publish_indicators(frame: pd.DataFrame, min_cell: int) -> pd.DataFrame:
    """Area rows add up to the group's "all" row, for n, events and the rest."""
    return _publish_proportions(frame, min_cell, n_column="n_denominator",
                                events_column="n_numerator", within=["indicator", "group"],
                                part_column="area", total_label="all",
                                estimate_columns=["proportion", "ci_low", "ci_high"])


def _publish_dose_response(frame: pd.DataFrame, min_cell: int) -> pd.DataFrame:
    """Bands add up to the accepting families of the intervention group, a total that the
    effects table shows (as the dose-response row's n): treated as known."""
    return _publish_proportions(frame, min_cell, n_column="n", events_column="events",
                                within=["indicator"], part_column="contacts_band", total_label=None,
                                estimate_columns=["proportion", "ci_low", "ci_high"])


# --- flow --------------------------------------------------------------------------------------

def _publish_flow(frame: pd.DataFrame, min_cell: int) -> pd.DataFrame:
    """Areas add up to "all" at each step; each step is the one before less those who left
    (unpublished, protected too: "3 families declined" is a small cell)."""
    cells = privacy.LinkedCells(min_cell)
    ids = np.array([cells.add(_count(row.children), cost=3 if row.area == "all" else 1)
                    for row in frame.itertuples(index=False)])
    for _, steps in frame.groupby("area", sort=False):
        steps = steps.sort_values("order")
        for before, after in zip(steps.index[:-1], steps.index[1:], strict=True):
            left = cells.add(_count(frame.at[before, "children"]) - _count(frame.at[after, "children"]),
                             published=False)
            cells.relate(ids[before], [ids[after], left])
    for _, areas in frame.groupby("order", sort=False):
        is_all = areas["area"].eq("all").to_numpy()
        if is_all.any() and (~is_all).sum() >= 2:
            cells.relate(ids[areas.index[is_all][0]], ids[areas.index[~is_all]].tolist())
    hidden = cells.protect()[ids]
    published = frame.copy()
    published["children"] = _shown_column(frame["children"], hidden, min_cell)
    previous_hidden = np.zeros(len(frame), dtype=bool)
    for _, steps in frame.groupby("area", sort=False):
        ordered = steps.sort_values("order").index
        previous_hidden[ordered[1:]] = hidden[ordered[:-1]]
    rows = hidden | previous_hidden
    _blank(published, rows, ["share_of_previous"])
    return _mark(published, rows)


# --- fidelity ----------------------------------------------------------------------------------

FIDELITY_COUNTS = ("children", "contacts_due", "contacts_received", "extra_contacts")
# Shares of contacts, and the count each is a share of.
FIDELITY_SHARES = {"share_of_due_received": "contacts_due", "share_received_on_time": "contacts_received",
                   "share_joint": "contacts_received", "share_with_interpreter": "contacts_received",
                   "share_with_mother": "contacts_received", "share_with_father": "contacts_received",
                   "share_with_both": "contacts_received"}
FIDELITY_CONSTANTS = ("contacts_planned_per_child",)  # the programme's plan, not data


def _publish_fidelity(frame: pd.DataFrame, min_cell: int) -> pd.DataFrame:
    """Counts per area add up to "all"; a share of contacts is suppressed like a proportion
    (its numerator worked back from share x count); an area whose children are hidden has
    every value hidden."""
    cells = privacy.LinkedCells(min_cell)
    value_of = {(row.area, row.measure): row.value for row in frame.itertuples(index=False)}
    cell_of: dict[tuple[str, str], int] = {}
    for (area, measure), value in value_of.items():
        cost = 3 if area == "all" else 1
        if measure in FIDELITY_COUNTS:
            cell_of[area, measure] = cells.add(_count(value), cost=cost + (measure == "children"))
    for (area, measure), value in value_of.items():
        base = FIDELITY_SHARES.get(measure)
        if base is None or (area, base) not in cell_of:
            continue
        whole = cells.values[cell_of[area, base]]
        part = 0 if pd.isna(value) else round(float(value) * whole)
        cell_of[area, measure] = cells.add(part, cost=(3 if area == "all" else 1))
        cells.relate(cell_of[area, base], [cell_of[area, measure],
                                           cells.add(whole - part, published=False)])
    areas = [a for a in dict.fromkeys(frame["area"]) if a != "all"]
    for measure in (*FIDELITY_COUNTS, *FIDELITY_SHARES):
        if ("all", measure) in cell_of and len(areas) >= 2 and all((a, measure) in cell_of
                                                                  for a in areas):
            cells.relate(cell_of["all", measure], [cell_of[a, measure] for a in areas])
    hidden_cells = cells.protect()
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
        _shown(v, h, min_cell) if c else (None if h or pd.isna(v) else _round_float(v))
        for v, h, c in zip(frame["value"], hidden, is_count, strict=True)]
    return _mark(published, hidden)


def _round_float(value: object) -> object:
    """A float in a mixed column, rounded as the CSV writer rounds float columns (%.6g)."""
    if not isinstance(value, float | np.floating):
        return value
    return int(value) if float(value).is_integer() else float(f"{float(value):.6g}")


# --- effects -----------------------------------------------------------------------------------

GROUP_COLUMNS = (("n_intervention", "events_intervention"), ("n_comparison", "events_comparison"))
EFFECT_ESTIMATES = ("estimate", "ci_low", "ci_high", "p_value", "p_adjusted")
# Analyses on a subset (or, for did, a superset) of the ITT population: the difference from
# the ITT counts is itself a count of children.
NESTED_ANALYSES = ("itt", "per_protocol", "dose_response")


def _publish_effects(frame: pd.DataFrame, min_cell: int) -> pd.DataFrame:
    """Each row's 2x2 table (events and non-events per group) is protected; subgroup levels
    add up (at most) to the ITT group; other analyses differ from the ITT counts by a number
    of children that is protected too. A row with any hidden count loses its estimate,
    interval and p-values, as a risk difference and the other group's proportion give back
    a hidden proportion, and Fisher's p with known margins gives back the table."""
    cells = privacy.LinkedCells(min_cell)
    row_cells: list[dict[str, int]] = []
    base_of: dict[str, dict[str, int]] = {}
    for row in frame.itertuples(index=False):
        is_base = row.analysis == "itt" and row.method == "crude"
        cost = 3 if is_base else 1
        mine: dict[str, int] = {}
        for n_column, events_column in GROUP_COLUMNS:
            n, events = _count(getattr(row, n_column)), _count(getattr(row, events_column))
            key = (row.indicator, row.analysis, row.subgroup)
            mine[n_column], mine[events_column], mine[n_column + "_rest"] = _proportion_cells(
                cells, n, events, cost=cost, key=(*key, n_column, n, events))
        row_cells.append(mine)
        if is_base and row.indicator not in base_of:
            base_of[row.indicator] = mine
    # subgroup levels add up to the ITT counts (at most: children with the level unknown are
    # left out; treating it as equal can only hide more)
    subgroup_rows = frame["analysis"].eq("subgroup").to_numpy()
    variable = frame["subgroup"].astype("string").str.split("=").str[0]
    for (indicator, _), rows in frame[subgroup_rows].groupby(["indicator", variable[subgroup_rows]]):
        base = base_of.get(indicator)
        if base is None:
            continue
        for kind in base:
            parts = list(dict.fromkeys(row_cells[i][kind] for i in rows.index))
            cells.relate(base[kind], parts)
    for index, row in enumerate(frame.itertuples(index=False)):
        base = base_of.get(row.indicator)
        if base is None or row.analysis not in NESTED_ANALYSES or row_cells[index] == base:
            continue
        for kind, cell in row_cells[index].items():
            if row.analysis == "dose_response" and "comparison" in kind:
                continue  # a dose-response row has no comparison group
            value, base_value = cells.values[cell], cells.values[base[kind]]
            if value == base_value:
                continue
            difference = cells.add(abs(value - base_value), published=False)
            big, small = (cell, base[kind]) if value > base_value else (base[kind], cell)
            cells.relate(big, [small, difference])
    hidden = cells.protect()
    published = frame.copy()
    row_hidden = np.zeros(len(frame), dtype=bool)
    for n_column, events_column in GROUP_COLUMNS:
        for column in (n_column, events_column):
            column_hidden = np.array([hidden[mine[column]] for mine in row_cells], dtype=bool)
            published[column] = _shown_column(frame[column], column_hidden, min_cell)
            row_hidden |= column_hidden
        rest_small = np.array([0 < cells.values[mine[n_column + "_rest"]] < min_cell
                               for mine in row_cells], dtype=bool)
        row_hidden |= rest_small
    _blank(published, row_hidden, EFFECT_ESTIMATES)
    published["note"] = [_effects_note(note, hidden_row, min_cell)
                         for note, hidden_row in zip(frame["note"].fillna(""), row_hidden, strict=True)]
    return _mark(published, row_hidden)


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


# --- balance -----------------------------------------------------------------------------------

BALANCE_VALUES = ("value_before", "value_after", "smd_before", "smd_after", "rating_before",
                  "rating_after")
# Children with the covariate level, per group: not in balance.csv today; used when present.
BALANCE_LEVEL_COUNTS = ("n_level_intervention", "n_level_comparison")


def _publish_balance(frame: pd.DataFrame, min_cell: int) -> pd.DataFrame:
    """A covariate (level) with a small n, or a small number of children with or without the
    level, loses its balance values (a standardised difference of two proportions gives the
    proportions back)."""
    published = frame.copy()
    rows = np.zeros(len(frame), dtype=bool)
    for column in ("n_intervention", "n_comparison", *BALANCE_LEVEL_COUNTS):
        if column not in frame.columns:
            continue
        small = privacy.is_small_count(frame[column], min_cell)
        published[column] = _shown_column(frame[column], small, min_cell)
        rows |= small
    for level_column, n_column in zip(BALANCE_LEVEL_COUNTS, ("n_intervention", "n_comparison"),
                                      strict=True):
        if level_column in frame.columns:
            rest = frame[n_column].astype("Float64") - frame[level_column].astype("Float64")
            rows |= privacy.is_small_count(rest, min_cell)
    _blank(published, rows, BALANCE_VALUES)
    return _mark(published, rows)


# --- survival ----------------------------------------------------------------------------------

SURVIVAL_ESTIMATES = ("survival", "ci_low", "ci_high", "survival_lower", "survival_upper")


def _publish_survival(frame: pd.DataFrame, min_cell: int) -> pd.DataFrame:
    """Counts of a group (n, at risk, events, and n - events) are protected, with the two
    groups adding up to the log-rank row's n; a curve is cut from the first point where
    fewer than min_cell children are at risk, and is blank where the events so far are
    hidden; a group of fewer than min_cell children is blank, and so is the log-rank p-value
    comparing it."""
    cells = privacy.LinkedCells(min_cell)
    group_n: dict[tuple[str, str], int] = {}
    count_ids: dict[tuple[int, str], int] = {}
    for index, row in enumerate(frame.itertuples(index=False)):
        if row.group == "all":
            continue
        n = _count(row.n)
        # equal counts of one group are one cell (at risk at time 0 is n)
        n_cell = cells.add(n, cost=3, key=(row.indicator, row.group, n))
        group_n[row.indicator, row.group] = n_cell
        count_ids[index, "n"] = n_cell
        if not pd.isna(row.at_risk):
            at_risk = _count(row.at_risk)
            count_ids[index, "at_risk"] = cells.add(at_risk, key=(row.indicator, row.group, at_risk))
        if not pd.isna(row.events):
            events = _count(row.events)
            event_cell = cells.add(events, key=(row.indicator, row.group, events))
            count_ids[index, "events"] = event_cell
            if event_cell != n_cell:
                cells.relate(n_cell, [event_cell, cells.add(n - events, published=False)])
    for index, row in enumerate(frame.itertuples(index=False)):
        if row.group != "all":
            continue
        total = cells.add(_count(row.n), cost=1)
        count_ids[index, "n"] = total
        parts = [cell for (indicator, _), cell in group_n.items() if indicator == row.indicator]
        if len(parts) >= 2:
            cells.relate(total, parts)
    hidden = cells.protect()
    published = frame.copy()
    rows = np.zeros(len(frame), dtype=bool)
    for column in ("n", "at_risk", "events"):
        column_hidden = np.array([bool(hidden[count_ids[i, column]]) if (i, column) in count_ids
                                  else False for i in range(len(frame))])
        published[column] = _shown_column(frame[column], column_hidden, min_cell)
        rows |= column_hidden
    blank_group = privacy.is_small_count(frame["n"], min_cell) & frame["group"].ne("all").to_numpy()
    small_groups = set(zip(frame["indicator"][blank_group], frame["group"][blank_group], strict=True))
    at_risk_small = privacy.is_small_count(frame["at_risk"], min_cell)
    cut = np.zeros(len(frame), dtype=bool)
    points = frame["time"].notna() & frame["statistic"].str.endswith("_point")
    for _, curve in frame[points].groupby(["indicator", "group"], sort=False):
        ordered = curve.sort_values("time").index
        cut[ordered] = np.maximum.accumulate(at_risk_small[ordered])
    # a survival estimate with few events (or few children without one) gives the count back
    events_hidden = np.array([bool(hidden[count_ids[i, "events"]]) if (i, "events") in count_ids
                              else False for i in range(len(frame))])
    cut |= events_hidden & points.to_numpy()
    in_small_group = np.array([(i, g) in small_groups for i, g in zip(frame["indicator"], frame["group"],
                                                                       strict=True)])
    _blank(published, cut | in_small_group, SURVIVAL_ESTIMATES)
    medians = frame["statistic"].eq("median").to_numpy()
    _blank(published, in_small_group & medians, ["time"])
    compares_small = frame["group"].eq("all").to_numpy() & frame["indicator"].isin(
        {i for i, _ in small_groups}).to_numpy()
    _blank(published, compares_small, ["p_value"])
    return _mark(published, rows | cut | in_small_group | compares_small)


# --- power -------------------------------------------------------------------------------------

def _publish_power(frame: pd.DataFrame, min_cell: int) -> pd.DataFrame:
    """Small group sizes are "<m"; the detectable difference, which with p_comparison gives n
    back, is blank then; p_comparison (and all computed from it) is blank when its numerator
    or the rest of the comparison group is small."""
    published = frame.copy()
    n1_small = privacy.is_small_count(frame["n_intervention"], min_cell)
    n0_small = privacy.is_small_count(frame["n_comparison"], min_cell)
    published["n_intervention"] = _shown_column(frame["n_intervention"], n1_small, min_cell)
    published["n_comparison"] = _shown_column(frame["n_comparison"], n0_small, min_cell)
    n0 = frame["n_comparison"].astype("Float64").to_numpy(dtype="float64", na_value=np.nan)
    p0 = frame["p_comparison"].astype("Float64").to_numpy(dtype="float64", na_value=np.nan)
    events = np.round(np.nan_to_num(p0 * n0))
    p0_small = n0_small | privacy.is_small_count(events, min_cell) | privacy.is_small_count(
        np.nan_to_num(n0) - events, min_cell)
    _blank(published, n1_small | n0_small | p0_small, ["mdd", "mdd_decrease"])
    _blank(published, p0_small, ["p_comparison", "n_per_group_needed", "n_per_group_needed_corrected"])
    return _mark(published, n1_small | n0_small | p0_small)


PUBLISHERS: dict[str, Callable[[pd.DataFrame, int], pd.DataFrame]] = {
    "indicators": _publish_indicators,
    "dose_response": _publish_dose_response,
    "flow": _publish_flow,
    "fidelity": _publish_fidelity,
    "effects": _publish_effects,
    "balance": _publish_balance,
    "survival": _publish_survival,
    "power": _publish_power,
}


# --- XLSX --------------------------------------------------------------------------------------

def write_xlsx(frame: pd.DataFrame, path: Path) -> None:
    """The table as a one-sheet XLSX workbook, byte-identical for identical input.

    openpyxl stamps the document's created/modified dates and the zip entries' times with
    the clock; both are fixed here (XLSX_DATE).
    """
    buffer = io.BytesIO()
    sheet = re.sub(r"[\[\]:*?/\\]", "_", Path(path).stem)[:31] or "table"
    with pd.ExcelWriter(buffer, engine="openpyxl") as writer:
        writer.book.properties.creator = "hembesok"
        frame.to_excel(writer, sheet_name=sheet, index=False)
    Path(path).write_bytes(stable_zip(buffer.getvalue()))


def stable_zip(data: bytes) -> bytes:
    """An Office (zip) file re-packed with fixed entry times and fixed document dates."""
    fixed = "{:04d}-{:02d}-{:02d}T{:02d}:{:02d}:{:02d}Z".format(*XLSX_DATE).encode()
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w") as target:
        for info in source.infolist():
            content = source.read(info.filename)
            if info.filename == "docProps/core.xml":
                content = re.sub(rb"(<dcterms:(?:created|modified)[^>]*>)[^<]*(<)",
                                 rb"\g<1>" + fixed + rb"\g<2>", content)
            entry = zipfile.ZipInfo(info.filename, date_time=XLSX_DATE)
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = 0o600 << 16
            target.writestr(entry, content)
    return out.getvalue()


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
