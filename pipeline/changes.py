"""What changed since the last report (issue 15): `changes.csv` and the history of earlier runs.

When a study is run again on a new extraction, the compare stage compares what this run
publishes with what the previous run published (the outputs it left in `outputs/<study>/`):

- `new_children` — per group (design.csv's groups), the children in the design now and then,
  and the difference; `area_children_changed` — per group and area, the children then and now
  where they changed (a count now that differs by a child or two is hidden, in design.csv too);
- `estimate_moved` — each indicator (and area) whose headline estimate (summary.csv) moved by
  more than half the width of its previous 95 % interval (on the log scale for a ratio);
- `earlier_figure_changed` — each birth half-year already reported (trends.csv: indicator, arm
  and half-year) whose children or events changed: records registered late or corrected, or
  children who have since reached the indicator's age (`note`: `same_children` when only the
  events changed, `children_changed` otherwise);
- `compared_with` — one row naming the previous run (`previous_run`, the time its manifest was
  written) and its extraction date, so that a rerun in which nothing changed says so.

A first run has no previous outputs: the table is empty and the report says that this is the
first report. Only figures that both runs published are compared (a hidden count compares
with nothing), so every row is the difference of two published figures; new children below
min_cell are still shown as "<5" (`pipeline.publish.monitoring`).

The previous run's manifest and the published tables compared with (summary, design, trends)
are kept in `outputs/<study>/history/<previous_run>/`, beside the outputs and carried from run
to run with them: aggregates that were published, never row-level data, and scanned for
personnummer with everything else in `outputs/`.
"""

from __future__ import annotations

import json
import math
import shutil
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from pipeline.outputs import output_table
from pipeline.publish.formulas import unescape_frame
from pipeline.summary import NULL_VALUES
from pipeline.text.cells import to_number

HISTORY = "history"  # in outputs/<study>/: one folder per earlier run
COMPARED_TABLES = ("summary", "design", "trends")
DESIGN_GROUPS = ("intervention", "comparison", "intervention_pre", "comparison_pre")


def run_id(created: str) -> str:
    """A manifest's `created` time as a folder name ("2024-07-02T10-15-02")."""
    return "".join(c if c.isalnum() or c in "-_" else "-" for c in created) or "unknown"


@dataclass(frozen=True)
class PreviousRun:
    """What the previous run published: its manifest and the tables compared with."""

    folder: Path  # outputs/<study>/ as the previous run left it
    manifest: dict[str, Any]
    tables: dict[str, pd.DataFrame]

    @property
    def run(self) -> str:
        return run_id(str(self.manifest.get("created") or ""))

    @property
    def extraction(self) -> str:
        return str((self.manifest.get("config") or {}).get("extraction_date") or "")

    @classmethod
    def read(cls, outputs: Path) -> PreviousRun | None:
        """The previous run's outputs, or None when there are none to compare with (a first
        run, or outputs without a compare stage's summary)."""
        manifest_file = outputs / "manifest.json"
        files = {name: outputs / "tables" / f"{name}.csv" for name in COMPARED_TABLES}
        if not manifest_file.is_file() or not files["summary"].is_file():
            return None
        try:
            manifest = json.loads(manifest_file.read_text(encoding="utf-8"))
        except ValueError:  # unreadable: nothing to compare with, as for a first run
            return None
        tables = {name: unescape_frame(pd.read_csv(path, encoding="utf-8")) if path.is_file()
                  else pd.DataFrame() for name, path in files.items()}
        return cls(outputs, manifest, tables)

    def keep(self, history: Path) -> Path:
        """Copy the previous manifest and compared tables into history/<previous_run>/ (staged
        outputs); an existing folder of that run is left as it is."""
        target = history / self.run
        if target.exists():
            return target
        target.mkdir(parents=True)
        shutil.copy2(self.folder / "manifest.json", target / "manifest.json")
        for name in COMPARED_TABLES:
            source = self.folder / "tables" / f"{name}.csv"
            if source.is_file():
                shutil.copy2(source, target / f"{name}.csv")
        return target


def _count(value: Any) -> int | None:
    """A published count as an int; None when hidden ("<5", blank)."""
    number = to_number(value)
    return None if number is None else int(number)


def _text(value: Any) -> str:
    return "" if value is None or (not isinstance(value, str) and pd.isna(value)) else str(value)


def changes_table(previous: PreviousRun | None, current: Mapping[str, pd.DataFrame],
                  design: Mapping[str, Any] | None = None) -> pd.DataFrame:
    """changes.csv: what the `current` published tables (summary, design, trends) say that the
    previous run's did not (see the module docstring); empty for a first run. When the study's
    `design` (study.yml) is not the previous run's, one `design_changed` row names what changed
    in its `note` and nothing is compared: other areas or dates are other groups, and their
    differences are not records added or corrected."""
    table = output_table("changes")
    if previous is None:
        return table.frame([])
    common = {"previous_run": previous.run}
    rows: list[dict[str, Any]] = [{"change": "compared_with", **common,
                                   "previous_extraction": previous.extraction}]
    before = (previous.manifest.get("config") or {}).get("design") or {}

    def same(key: str) -> bool:  # areas listed in another order are the same areas
        now, then = design[key], before[key]
        if isinstance(now, list | tuple) and isinstance(then, list | tuple):
            return sorted(map(str, now)) == sorted(map(str, then))
        return now == then
    # (a key the previous run's manifest lacks, a setting added since, is not a change)
    moved = [key for key in (design or {}) if key in before and not same(key)]
    if moved:
        return table.frame([*rows, {"change": "design_changed", **common, "note": ";".join(moved)}])
    now = {name: unescape_frame(current.get(name, pd.DataFrame())) for name in COMPARED_TABLES}
    rows += [row | common for row in _new_children(previous.tables["design"], now["design"])]
    rows += [row | common for row in _area_children(previous.tables["design"], now["design"])]
    rows += [row | common for row in _moved(previous.tables["summary"], now["summary"])]
    rows += [row | common for row in _earlier_figures(previous.tables["trends"], now["trends"])]
    return table.frame(rows)


def by_few_children(table: pd.DataFrame, min_cell: int) -> bool:
    """Whether an area's children, or an earlier figure's children, children with the outcome
    or without it, changed by fewer than `min_cell` (changes.csv): their counts now in
    design.csv or trends.csv would give the few back beside the previous run's (history/)."""
    if "change" not in table:
        return False
    for row in table[table["change"] == "area_children_changed"].to_dict("records"):
        then, now = _count(row.get("previous_children")), _count(row.get("children"))
        if then is not None and now is not None and 0 < abs(now - then) < min_cell:
            return True
    rows = table[table["change"] == "earlier_figure_changed"]
    for row in rows.to_dict("records"):
        counts = [_count(row.get(c)) for c in ("previous_n", "n", "previous_events", "events")]
        if None in counts:
            continue
        n_then, n_now, events_then, events_now = counts
        for difference in (n_now - n_then, events_now - events_then,
                           (n_now - events_now) - (n_then - events_then)):
            if 0 < abs(difference) < min_cell:
                return True
    return False


def _children_by_group(design: pd.DataFrame) -> dict[str, int | None]:
    """Children per group in design.csv; None for a group with a hidden cell."""
    totals: dict[str, int | None] = {}
    if design.empty or "group" not in design.columns:
        return totals
    for group, children in zip(design["group"], design["children"], strict=True):
        group = _text(group)
        if not group:
            continue
        count = _count(children)
        known = totals.get(group, 0)
        totals[group] = None if count is None or known is None else known + count
    return totals


def _new_children(before: pd.DataFrame, after: pd.DataFrame) -> list[dict[str, Any]]:
    then, now = _children_by_group(before), _children_by_group(after)
    rows = []
    for group in sorted(set(now) | set(then), key=lambda g: (DESIGN_GROUPS + (g,)).index(g)):
        earlier, later = then.get(group, 0), now.get(group, 0)
        row = {"change": "new_children", "group": group, "previous_children": earlier, "children": later}
        if earlier is None or later is None:
            row["note"] = "hidden"  # a cell of the group was hidden in one of the runs
        else:
            row["new_children"] = later - earlier
        rows.append(row)
    return rows


def _area_children(before: pd.DataFrame, after: pd.DataFrame) -> list[dict[str, Any]]:
    """Each area's children per group that both runs published and that changed: so that its
    count now is hidden where it differs from the previous run's by a child or two (design.csv
    beside history/'s gave "3 new children in Norrbyåsen" back)."""
    def by_area(design: pd.DataFrame) -> dict[tuple[str, str], int]:
        if design.empty or not {"group", "area", "children"} <= set(design.columns):
            return {}
        found = {}
        for group, area, children in zip(design["group"], design["area"], design["children"], strict=True):
            count = _count(children)
            if _text(group) and _text(area) and count is not None:
                found[_text(group), _text(area)] = count
        return found
    then, now = by_area(before), by_area(after)
    return [{"change": "area_children_changed", "group": group, "area": area,
             "previous_children": then[group, area], "children": now[group, area]}
            for group, area in sorted(set(then) & set(now)) if then[group, area] != now[group, area]]


def _moved(before: pd.DataFrame, after: pd.DataFrame) -> list[dict[str, Any]]:
    """Headline estimates that moved by more than half their previous interval's width."""
    if before.empty or after.empty:
        return []
    earlier = {(_text(r["indicator"]), _text(r["area"])): r for r in before.to_dict("records")}
    rows = []
    for record in after.to_dict("records"):
        key = (_text(record["indicator"]), _text(record["area"]))
        old = earlier.get(key)
        if old is None or _text(old.get("measure")) != _text(record.get("measure")):
            continue
        values = [to_number(v) for v in (old.get("estimate"), old.get("ci_low"), old.get("ci_high"),
                                         record.get("estimate"))]
        if any(v is None for v in values):
            continue
        estimate, low, high, now = values
        ratio = NULL_VALUES.get(_text(record.get("measure"))) == 1.0
        if ratio and min(values) <= 0:
            continue
        scale = math.log if ratio else float
        if abs(scale(now) - scale(estimate)) <= (scale(high) - scale(low)) / 2:
            continue
        rows.append({"change": "estimate_moved", "indicator": key[0], "area": key[1],
                     "measure": _text(record.get("measure")), "previous_value": estimate,
                     "current_value": now, "previous_ci_low": low, "previous_ci_high": high,
                     "difference": now - estimate})
    return rows


def _earlier_figures(before: pd.DataFrame, after: pd.DataFrame) -> list[dict[str, Any]]:
    """Birth half-years both runs published whose children or events changed."""
    if before.empty or after.empty:
        return []

    def key(record: Mapping[str, Any]) -> tuple[str, str, str]:
        return _text(record["indicator"]), _text(record["arm"]), _text(record["half_year"])

    earlier = {key(r): r for r in before.to_dict("records")}
    rows = []
    for record in after.to_dict("records"):
        old = earlier.get(key(record))
        if old is None:
            continue
        counts = [_count(old.get("n")), _count(old.get("events")), _count(record.get("n")),
                  _count(record.get("events"))]
        if any(c is None for c in counts):
            continue
        n_then, events_then, n_now, events_now = counts
        if (n_then, events_then) == (n_now, events_now) or not n_then or not n_now:
            continue
        indicator, arm, half_year = key(record)
        rows.append({"change": "earlier_figure_changed", "indicator": indicator, "group": arm,
                     "half_year": half_year, "previous_n": n_then, "n": n_now,
                     "previous_events": events_then, "events": events_now,
                     "previous_value": events_then / n_then, "current_value": events_now / n_now,
                     "difference": events_now / n_now - events_then / n_then,
                     "note": "same_children" if n_then == n_now else "children_changed"})
    return rows
