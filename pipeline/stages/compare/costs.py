"""The compare stage's costs table (issue 12): what the programme cost per year and in total,
per enrolled family, per completed contact, and per additional child reaching the outcome of
each primary indicator.

Decisions (the report's costs section and methods follow them):

- **Where costs come from**: study.yml's `costs:` (year, amount_sek, covers, note), validated
  in `pipeline.config.CostItem`, or the optional export `kostnader` (`pipeline.schema`'s
  `costs` table: ar, belopp_sek, avser, anteckning), read, cleaned and accounted like every
  export, never both (`pipeline.config.Study` refuses a study that gives both). An export
  may be a budget (one row per year and line) or a ledger (many entries per line): its
  amounts are added up per year and line (`covers`, compared ignoring case and spacing, as
  study.yml's lines are), the first spelling kept, and the notes joined. A year outside the
  birth years needs no note there: it is listed and left out of every total, as in study.yml.
- **Matching cost years to children**: the cost of calendar year Y is matched to the
  intervention children born in Y. Families are offered the programme at the birth and its
  contacts run over the first 15–24 months, so a year's budget pays for about one birth
  cohort's programme (steady state); the contacts a child receives count in its birth year,
  whenever they happened. Only the calendar years in which intervention children were born
  (`Study.cost_years`: the programme start, or born_from if later, to born_to) are matched; a
  cost of another year (study.yml then says why, in `note`) is listed but left out of every
  total. A birth year in that span without a cost entry is listed too (`no_costs_given`) and
  its children are left out of the totals, so that costs and children always come from the
  same years. A year the design's birth window covers only in part is flagged `part_year`
  (a whole year's budget over part of a year's children); one whose enrolled children were
  not yet old enough for every planned contact at the extraction date is flagged
  `contacts_still_due` (its cost per contact falls as they receive them).
- **Units**: an enrolled family is a child of the intervention group (`group` intervention:
  eligible, intervention area, born from the start) whose family accepted (`accepted`),
  the children that fidelity.csv counts; twins aside, one child is one family, as the
  programmes enrol first-time parents. A completed contact is a planned programme contact
  received (`contacts_received`: done visits matched to the programme's contacts).
- **Cost per additional child** (part `outcome`, one row per primary indicator): the
  matched cost divided by (effect x children), where the effect is the design's headline
  (summary.csv, whole study: the DiD under `did`, the adjusted risk difference otherwise)
  and the children are the whole intervention group born in the matched years — the
  intention-to-treat effect applies to every child of the group, accepting or not, and is
  taken to hold for children not yet old enough for the indicator (`children_measured`: those
  who had a value at the extraction); an indicator among another's children (language
  screening without remark, among the screened) counts them among its measured children alone
  (flag `among_measured`). The interval inverts the
  effect's own (`pipeline.stats.costs.cost_per_outcome`: for a DiD the wild cluster
  bootstrap's); an interval including 0 makes it not estimable, one wholly below 0 means no
  improvement. A headline that is a ratio (a hazard ratio) gives no number of additional
  children (`not_additive`).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import pandas as pd

from pipeline.config import CostItem, Study
from pipeline.indicators.common import NOT_REACHED_AGE
from pipeline.indicators.language import DENOMINATOR_IS_EVENTS_OF
from pipeline.outputs import output_table
from pipeline.stats import Estimate, cost_per_outcome, unit_cost

PARTS = ("budget", "year", "total", "outcome")
# Headline measures on the share scale, which effect x children turns into children.
ADDITIVE_MEASURES = ("did", "risk_difference")
# What a year's (and the total's) figures need said, in this order.
YEAR_FLAGS = ("part_year", "contacts_still_due")


def births_by_year(cohort: pd.DataFrame) -> pd.DataFrame:
    """Per calendar year of birth, the intervention group's children, enrolled families,
    completed contacts and families with contacts still due (see the module docstring).

    A frame indexed by year with integer columns children, families, contacts, still_due.
    """
    group = cohort["group"].astype("string").eq("intervention").fillna(False).to_numpy(dtype=bool)
    group &= pd.to_datetime(cohort["birth_date"]).notna().to_numpy(dtype=bool)  # a group child has one
    read = ["birth_date", "accepted", "contacts_received", "all_contacts_excluded"]
    children = cohort[[name for name in read if name in cohort.columns]][group]  # not every column's rows
    year = pd.to_datetime(children["birth_date"]).dt.year.to_numpy(dtype=np.int64)
    accepted = children["accepted"].astype("boolean").fillna(False).to_numpy(dtype=bool)
    received = pd.to_numeric(children["contacts_received"]).fillna(0).to_numpy(dtype=np.int64)
    if "all_contacts_excluded" in children.columns:
        young = children["all_contacts_excluded"].astype("string").eq(NOT_REACHED_AGE).fillna(False)
        still_due = accepted & young.to_numpy(dtype=bool)
    else:
        still_due = np.zeros(len(children), dtype=bool)
    frame = pd.DataFrame({"year": year, "children": 1, "families": accepted.astype(np.int64),
                          "contacts": np.where(accepted, received, 0),
                          "still_due": still_due.astype(np.int64)})
    return frame.groupby("year").sum().astype(np.int64)


def cost_items(study: Study, export: pd.DataFrame | None = None) -> tuple[CostItem, ...]:
    """The study's costs: study.yml's `costs:`, or the clean `kostnader` export's rows added up
    per year and budget line (see the module docstring)."""
    if export is None or export.empty:
        return study.costs
    lines: dict[tuple[int, str], dict[str, Any]] = {}
    for row in export.sort_values("source_row", kind="stable").itertuples(index=False):
        covers = " ".join(str(row.covers).split())
        line = lines.setdefault((int(row.year), covers.casefold()),
                                {"year": int(row.year), "covers": covers, "amount_sek": 0.0, "notes": []})
        line["amount_sek"] += float(row.amount_sek)
        note = "" if pd.isna(getattr(row, "note", None)) else " ".join(str(row.note).split())
        if note and note not in line["notes"]:
            line["notes"].append(note)
    return tuple(CostItem(year=line["year"], covers=line["covers"], amount_sek=line["amount_sek"],
                          note="; ".join(line["notes"])) for line in lines.values())


def costs_table(study: Study, cohort: pd.DataFrame, summary: pd.DataFrame,
                items: tuple[CostItem, ...] | None = None) -> pd.DataFrame:
    """costs.csv: the study's costs (`items`, by default study.yml's) per budget line, per year
    and in total, per enrolled family and completed contact, and per additional child for each
    primary indicator; empty when the study gives no costs."""
    table = output_table("costs")
    items = study.costs if items is None else items
    if not items:
        return table.frame([])
    births = births_by_year(cohort)
    first, last = study.cost_years
    span = range(first, last + 1)
    budget = [{"part": "budget", "year": str(item.year), "covers": item.covers,
               "cost_sek": item.amount_sek, "note": item.note,
               "reason": "" if item.year in span else "outside_birth_years"}
              for item in sorted(items, key=lambda item: item.year)]
    amounts: dict[int, float] = {}
    covers: dict[int, list[str]] = {}
    notes: dict[int, list[str]] = {}
    for item in items:
        amounts[item.year] = amounts.get(item.year, 0.0) + item.amount_sek
        covers.setdefault(item.year, []).append(item.covers)
        notes.setdefault(item.year, []).extend([item.note] if item.note else [])
    years = []
    matched = [y for y in span if y in amounts]
    for year in sorted(set(amounts) | set(span)):
        row: dict[str, Any] = {"part": "year", "year": str(year), "covers": "; ".join(covers.get(year, [])),
                               "note": "; ".join(notes.get(year, []))}
        if year not in span:
            years.append(row | {"cost_sek": amounts[year], "reason": "outside_birth_years"})
            continue
        if year not in amounts:
            if year in births.index:  # children born that year, no cost: said, left out of totals
                years.append(row | {"reason": "no_costs_given"})
            continue
        row |= {k: v for k, v in _unit_costs(amounts[year], births, [year]).items()
                if k not in ("children", "cost_per_child")}  # children: the total's only
        row["flags"] = ";".join(f for f in YEAR_FLAGS if f in _year_flags(study, births, year))
        years.append(row)
    total = _total(study, births, matched, amounts)
    outcomes = [_outcome(indicator, summary, cohort, matched, total)
                for indicator in study.primary_indicators]
    return table.frame([*budget, *years, total, *outcomes])


def _unit_costs(amount: float, births: pd.DataFrame, years: list[int]) -> dict[str, Any]:
    """A cost with the families, contacts and children of the birth years it is matched to."""
    counts = births.reindex(years, fill_value=0).sum()
    families, contacts = int(counts["families"]), int(counts["contacts"])
    reason = "no_enrolled_families" if families == 0 else "no_completed_contacts" if contacts == 0 else ""
    return {"cost_sek": amount, "families": families, "contacts": contacts,
            "children": int(counts["children"]), "cost_per_family": unit_cost(amount, families),
            "cost_per_contact": unit_cost(amount, contacts),
            "cost_per_child": unit_cost(amount, int(counts["children"])), "reason": reason}


def _year_flags(study: Study, births: pd.DataFrame, year: int) -> set[str]:
    flags = set()
    born_from = max(study.design.programme_start, study.design.born_from)
    if (year == born_from.year and born_from != dt.date(year, 1, 1)) or (
            year == study.design.born_to.year and study.design.born_to != dt.date(year, 12, 31)):
        flags.add("part_year")
    if year in births.index and births.at[year, "still_due"] > 0:
        flags.add("contacts_still_due")
    return flags


def _total(study: Study, births: pd.DataFrame, matched: list[int],
           amounts: dict[int, float]) -> dict[str, Any]:
    """The matched years together: their costs over their families, contacts and children."""
    row: dict[str, Any] = {"part": "total", "year": _years_text(matched)}
    if not matched:
        return row | {"reason": "no_costs_given"}
    row |= _unit_costs(sum(amounts[y] for y in matched), births, matched)
    flags = set().union(*(_year_flags(study, births, y) for y in matched))
    row["flags"] = ";".join(f for f in YEAR_FLAGS if f in flags)
    return row


def _years_text(years: list[int]) -> str:
    """"2020–2023", or "2020, 2022" when the years are not consecutive."""
    if not years:
        return ""
    if years == list(range(years[0], years[-1] + 1)) and len(years) > 1:
        return f"{years[0]}–{years[-1]}"
    return ", ".join(str(y) for y in years)


def _outcome_row(indicator: str, summary: pd.DataFrame, total: dict[str, Any]) -> dict[str, Any]:
    """The cost per additional child reaching one primary indicator's outcome."""
    rows = summary[summary["indicator"].eq(indicator).to_numpy(dtype=bool)
                   & summary["area"].astype("string").eq("all").fillna(False).to_numpy(dtype=bool)]
    head = rows.iloc[0].to_dict() if len(rows) else {}
    keys = {"part": "outcome", "indicator": indicator, "method": head.get("method", ""),
            "measure": head.get("measure", ""), "year": total["year"],
            "caveats": head.get("caveats", "")}
    cost, children = total.get("cost_sek"), total.get("children")
    if cost is None or children is None:  # no cost matched to any birth year
        return keys | {"status": "not_estimable", "reason": "no_costs_given"}
    effect, low, high = (_number(head.get(c)) for c in ("estimate", "ci_low", "ci_high"))
    # a hazard ratio is no change in a share: it gives no number of additional children
    additive = head.get("measure") in ADDITIVE_MEASURES
    result = cost_per_outcome(cost, children, effect, low, high, additive=additive)
    shown = (effect, low, high) if additive else (None, None, None)
    row = keys | _ratio_columns(result, cost, *shown)
    if "interval_includes_zero" in result.flags and effect is not None and effect <= 0:
        row["flags"] = "estimate_not_positive"
    return row


def _outcome(indicator: str, summary: pd.DataFrame, cohort: pd.DataFrame, matched: list[int],
             total: dict[str, Any]) -> dict[str, Any]:
    """An outcome row with its children measured. An indicator among another's children
    (language screening without remark, among the screened: DENOMINATOR_IS_EVENTS_OF) has an
    effect on a share of those children only, so its additional children are counted among
    them (flag `among_measured`): over all 162 children of the cost years it gave "80 more"
    where 23 had been screened (a review)."""
    measured = _measured(cohort, indicator, matched, total)
    if indicator in DENOMINATOR_IS_EVENTS_OF and measured:
        row = _outcome_row(indicator, summary, total | {"children": measured["children_measured"]})
        row["flags"] = ";".join(filter(None, [row.get("flags"), "among_measured"]))
        return row | measured
    return _outcome_row(indicator, summary, total) | measured


def _measured(cohort: pd.DataFrame, indicator: str, matched: list[int],
              total: dict[str, Any]) -> dict[str, Any]:
    """The children of the total who had a value for the indicator at the extraction (its
    denominator: old enough, screened where it counts the screened), as `children_measured`.

    The cost per additional child counts the effect over all the total's children, those not
    yet old enough for the indicator too; where most are not, "74 more of the 646 children"
    read as impossible beside the 43 that had been screened, so the report says how many the
    number rests on.
    """
    if total.get("children") is None or indicator not in cohort.columns:
        return {}
    group = cohort["group"].astype("string").eq("intervention").fillna(False).to_numpy(dtype=bool)
    born = pd.to_datetime(cohort["birth_date"]).dt.year
    group &= born.isin(matched).to_numpy(dtype=bool)
    return {"children_measured": int(cohort[indicator][group].notna().sum())}


def _ratio_columns(result: Estimate, cost: float, effect: float | None, low: float | None,
                   high: float | None) -> dict[str, Any]:
    """costs.csv's columns of a cost per additional child: the cost and the children (the
    result's n), the effect (on the share scale, none for a ratio) and the additional children
    it gives (effect x children), the ratio and its interval, its status and reason.

    The status is "estimated", "not_improved" (the effect's whole interval below 0) or
    "not_estimable"; the reason is the flag that says why there is no ratio ("" with one).
    """
    if result.estimable:
        status, reason = "estimated", ""
    else:  # cost_per_outcome flags a result without a ratio with the one reason
        reason = result.flags[0]
        status = "not_improved" if reason == "effect_below_zero" else "not_estimable"
    children = result.n
    bounds = (None, None) if low is None or high is None else (low * children, high * children)
    return {"cost_sek": cost, "children": children, "effect": effect, "effect_ci_low": low,
            "effect_ci_high": high, "additional_children": None if effect is None else effect * children,
            "additional_ci_low": bounds[0], "additional_ci_high": bounds[1],
            "cost_per_additional_child": result.estimate, "ci_low": result.ci_low,
            "ci_high": result.ci_high, "status": status, "reason": reason}


def _number(value: Any) -> float | None:
    return None if value is None or pd.isna(value) else float(value)
