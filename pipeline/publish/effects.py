"""Rules for the tables of contrasts between groups: effects (each row's 2x2 table), the
summary's headline and observed shares, and power (group sizes and the comparison share)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from pipeline import privacy, text
from pipeline.indicators import time_to_event
from pipeline.publish.cells import (
    COUNTED_AS,
    SIDES,
    SUPPRESSED_NOTE,
    Render,
    Triple,
    _area,
    _blank,
    _count,
    _flag,
    _flags,
    _mark,
    _Pass,
    _shown_column,
    _side_area,
    _text,
)

# --- effects -----------------------------------------------------------------------------------

GROUP_COLUMNS = (("n_intervention", "events_intervention"), ("n_comparison", "events_comparison"))
EFFECT_ESTIMATES = ("estimate", "ci_low", "ci_high", "p_value", "p_adjusted", "p_randomisation",
                    "p_placebo")
# Rows whose two groups are each the children after the start plus those before it.
DID_METHODS = ("did", "did_unadjusted", "fuzzy_did", "logistic_did", "triple_difference",
               "kaplan_meier")
# Analyses on a subset of the ITT population: the difference from the ITT counts is itself a
# count of children (families who declined, children without covariates).
NESTED_ANALYSES = ("itt", "per_protocol", "dose_response", "complier")


def _analysis(row: Mapping[str, Any]) -> str:
    return _text(row.get("analysis")) or "itt"


def _effect_population(row: Mapping[str, Any], side: str) -> str:
    analysis, method = _analysis(row), _text(row.get("method"))
    if _text(row.get("subgroup")):
        return f"subgroup/{row['subgroup']}/{side}"
    if analysis == "landmark":
        course = time_to_event(str(row.get("indicator")))
        days = _count(row.get("landmark_days"))
        if course is None or days != course.landmark_days:
            return f"landmark/{days}/{side}"
        analysis = "itt"  # the default landmark: the children of the indicator's ITT rows
    if method in DID_METHODS:
        return f"{analysis}/did/{side}"
    if analysis == "itt":
        return side
    return f"{analysis}/{side}"


class _ObservedCounts:
    """(n, events) of a group as another table of the pass shows it (indicators, summary): the
    first row that matches, each table read once for every group asked."""

    def __init__(self, p: _Pass) -> None:
        self.indicators: dict[tuple[Any, Any, str], tuple[Any, Any]] = {}
        indicators = p.frames.get("indicators")
        if indicators is not None and not indicators.empty:
            rows = zip(indicators["indicator"], indicators["group"], indicators["area"].astype(str),
                       indicators["n_denominator"], indicators["n_numerator"], strict=True)
            for indicator, group, area, n, events in rows:
                self.indicators.setdefault((indicator, group, area), (n, events))
        self.summary = p.frames.get("summary")
        self._summary_groups: dict[str, dict[tuple[Any, str | None], tuple[Any, Any]]] = {}

    def __call__(self, indicator: str, group: str, area: str) -> tuple[int, int] | None:
        if (indicator, group, area) in self.indicators:
            n, events = self.indicators[indicator, group, area]
            return _count(n), _count(events)
        by_row = self._summary_rows(group)
        row_area = area if group.startswith("intervention") else None
        if (indicator, row_area or None) in by_row:
            n, events = by_row[indicator, row_area or None]
            return _count(n), _count(events)
        return None

    def _summary_rows(self, group: str) -> dict[tuple[Any, str | None], tuple[Any, Any]]:
        """summary.csv's first row with the group's counts, per indicator and area (and per
        indicator alone, under None)."""
        if group not in self._summary_groups:
            rows: dict[tuple[Any, str | None], tuple[Any, Any]] = {}
            summary = self.summary
            if summary is not None and not summary.empty and f"n_denominator_{group}" in summary.columns:
                counted = summary[summary[f"n_denominator_{group}"].notna().to_numpy(dtype=bool)]
                for indicator, area, n, events in zip(
                        counted["indicator"], counted["area"].astype(str),
                        counted[f"n_denominator_{group}"], counted[f"events_{group}"], strict=True):
                    rows.setdefault((indicator, area), (n, events))
                    rows.setdefault((indicator, None), (n, events))
            self._summary_groups[group] = rows
        return self._summary_groups[group]


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
                                      _side_area(side, area, p.own_comparison), record.get(n_column),
                                      record.get(events_column), cost=3 if is_base else 1)
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
    # each nested analysis's crude rows' counts (per protocol, complier), by indicator, area and side
    crude_of: dict[tuple[str, str, str, str], Triple] = {}
    for record, mine in zip(records, row_triples, strict=True):
        if record.get("method") == "crude" and not _text(record.get("subgroup")):
            for side, triple in mine.items():
                crude_of.setdefault((record["indicator"], _area(record), _analysis(record), side), triple)
    components: list[list[Triple]] = []
    for record, mine in zip(records, row_triples, strict=True):
        indicator, area, analysis = record["indicator"], _area(record), _analysis(record)
        parts: list[Triple] = []
        for side, triple in mine.items():
            # a DiD of age at MMR's share at 24 months rests on the groups of MMR by 24 months
            # (COUNTED_AS), not on its own crude rows' children (all of them, of every age)
            landmark_did = (record.get("method") in DID_METHODS and record.get("method") != "kaplan_meier"
                            and not _effect_population(record, side).startswith("landmark/"))
            counted = COUNTED_AS.get(indicator, indicator) if landmark_did else indicator
            ground = base.get((counted, area, side))
            pre = before.get((counted, area, side))
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
                # and an analysis's complete cases within its own crude rows' children: per
                # protocol's 155 (140 breastfed) and its complete cases' 147 (134), each only
                # within the ITT group, gave the 2 of 8 not breastfed back
                own = crude_of.get((indicator, area, analysis, side))
                if own is not None and own != triple:
                    for k in range(3):
                        p.differ(own[k], triple[k])
            elif analysis == "multiple_imputation" and not _text(record.get("subgroup")):
                # every child of the ITT group, covariates imputed: its n is the ITT group's
                # (23 beside a hidden ITT n, with per protocol's 22 and the complete cases' 20,
                # gave 1 family who declined and 3 children without covariates back)
                p.differ(ground[0], triple[0])
        components.append(parts)
    _relate_subgroups(p, records, row_triples, base)
    _relate_areas(p, records, row_triples)

    adjusted = _flags(frame, "adjusted")
    # the ITT groups an adjusted row was estimated on, where they are the very same children (the
    # same n on both sides: the adjusted ITT row itself, the multiple imputation's re-estimate)
    values = p.cells.values
    same_children = [
        [base[key] for side, triple in mine.items() if (key := (r["indicator"], _area(r), side)) in base]
        if mine and all((key := (r["indicator"], _area(r), side)) in base
                        and values[base[key][0]] == values[triple[0]] for side, triple in mine.items())
        else [] for r, mine in zip(records, row_triples, strict=True)]

    def render(hidden: np.ndarray) -> pd.DataFrame:
        m = p.min_cell
        published = frame.copy()
        row_hidden = np.zeros(len(frame), dtype=bool)
        for side, (n_column, events_column) in zip(SIDES, GROUP_COLUMNS, strict=True):
            for kind, column in enumerate((n_column, events_column)):
                column_hidden = np.array([side in mine and bool(hidden[mine[side][kind]])
                                          for mine in row_triples], dtype=bool)
                published[column] = _shown_column(frame[column], column_hidden, m, p.muted(
                    mine[side][kind] if side in mine else None for mine in row_triples))
                row_hidden |= column_hidden
        row_hidden |= np.array([any(p.unsafe(t, hidden) for t in mine.values()) or
                                any(p.unsafe(t, hidden) for t in parts)
                                for mine, parts in zip(row_triples, components, strict=True)], dtype=bool)
        # An estimate adjusted for covariates keeps its value unless a group it rests on is
        # itself hidden or small: it cannot be turned back into its row's counts (see above).
        groups_hidden = np.array([any(bool(hidden[t[0]]) or p.small(t[0]) for t in (*mine.values(), *parts))
                                  for mine, parts in zip(row_triples, components, strict=True)], dtype=bool)
        # ... and unless it rests on the very children of ITT groups whose shares are not shown:
        # adjusting changes little, and it would give their hidden count back (a multiple
        # imputation's -0.40 beside a published 9/17 gave back 26 of 28)
        # (its own groups too: complete cases a child or two fewer than the ITT groups give the
        # same count back)
        groups_hidden |= np.array([any(p.unsafe(t, hidden) for t in (*ground, *mine.values()))
                                   for ground, mine in zip(same_children, row_triples, strict=True)],
                                  dtype=bool)
        # ... and unless a DiD rests on a group before or after the start whose share is not
        # shown: an adjusted DiD is close to the crude one, which with the other three shares
        # gives the hidden one back (Söderängen's DTaP3, 100 % in both periods: -1.5 points
        # beside the comparison areas' 96.5 % before the start gave their hidden 152 of 156
        # after it back to within a child)
        groups_hidden |= np.array([any(p.unsafe(t, hidden) for t in parts) for parts in components],
                                  dtype=bool)
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
        return _mark(published, row_hidden | estimate_hidden, reasons)
    return render


def _before_start(p: _Pass, records: list[dict], row_triples: list[dict[str, Triple]],
                  base: dict[tuple[str, str, str], Triple], binary: set[str]) -> dict[tuple, Triple]:
    """The groups before the start, per indicator, area and side, as another table shows them
    or (a binary indicator) as the ITT DiD row less the group after; each DiD group is the
    group after plus the group before, where the counts agree."""
    values = p.cells.values
    observed_counts = _ObservedCounts(p)
    before: dict[tuple, Triple] = {}
    for record, mine in zip(records, row_triples, strict=True):
        if record.get("method") not in DID_METHODS or (_text(record.get("analysis")) or "itt") != "itt":
            continue
        indicator, area = record["indicator"], _area(record)
        for side, did in mine.items():
            post = base.get((indicator, area, side))
            group, where = f"{side}_pre", _side_area(side, area)
            counts = observed_counts(indicator, group, where)
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
_SMALL_SIZE = re.compile(r"(effective sample size) [\d.]+ (is under)")  # the weights' check
_LEFT_OUT = r"children (?:dropped for missing covariates|with a missing covariate kept)"
_DROPPED = re.compile(rf"\b(\d+)( {_LEFT_OUT})")
_FITTED_AT_BOUNDS = re.compile(r"\b(\d+)( fitted probabilities at)")
# A number with decimals in a note: an interval's ends, a p-value, an odds ratio, a weight; and
# one printed without them ("odds ratio 3" for 2.996, "p = 1", "p = 2e-05", "interval -1 to 3")
_DECIMAL = re.compile(r"(?<![\w.])[-−]?\d+\.\d+(?:[eE][-+]?\d+)?")
_NUMBER = r"[-−]?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?"
_WHOLE_STATISTIC = re.compile(rf"\b((?:odds|hazard|risk|rate) ratio |p ?[=<>] ?|SE ?=? ?|interval )"
                              rf"{_NUMBER}(?:( to ){_NUMBER})?(?![\w.])")
_DROPPED_ANY = re.compile(rf"<?\b\d+ ({_LEFT_OUT})")
# a model's separation message counts the children of a group ("all 11 children have the outcome")
_SEPARATED = re.compile(r"\b(all|none of) \d+ (children ha(?:ve|s) the outcome)")


def _effects_note(note: str, hidden_row: bool, min_cell: int) -> str:
    """The note with counts taken out where they are small or the row is suppressed."""
    small = privacy.small_count_label(min_cell)
    note = _FITTED_AT_BOUNDS.sub(lambda m: (small if 0 < int(m[1]) < min_cell else m[1]) + m[2], note)
    # the children without covariates are a count the tables protect (ITT less the model's n)
    note = _DROPPED.sub(lambda m: (small if 0 < int(m[1]) < min_cell else m[1]) + m[2], note)
    # a group every child of which has the outcome (or none): its count is a cell the tables
    # protect (the intervention areas' 11 of 11 after the start, hidden, came back from here)
    note = _SEPARATED.sub(lambda m: f"{m[1]} the {m[2]}" if m[1] == "none of" else f"all {m[2]}", note)
    did_cells = _DID_CELLS.search(note)
    if did_cells and (hidden_row or any(0 < int(e) < min_cell or 0 < int(n) - int(e) < min_cell
                                        for e, n in _DID_CELL.findall(did_cells[0]))):
        # the cells' counts go; a row whose estimate is shown keeps the rest of its note (it
        # said "suppressed" with its p and intervals blank beside the estimate shown)
        note = note.replace(did_cells[0], "cells suppressed")
    if hidden_row:
        note = _EFFECTIVE_SIZE.sub("effective sample size suppressed", note)
        note = _UNDER_SHARE.sub(r"\1 \2", note)
        note = _SMALL_SIZE.sub(r"\1 \2", note)  # "118.2 is under 50 %" gave the size back
        note = _DROPPED_ANY.sub(r"\1", note)  # "<5 children dropped" too (it gave "<children")
        # and every other computed number: the cluster-robust and child-level intervals a
        # hidden DiD's note gave are centred on its estimate, and its odds ratio is the estimate
        # on another scale
        note = _WHOLE_STATISTIC.sub(lambda m: m[1] + text.EN_DASH + (m[2] + text.EN_DASH if m[2] else ""),
                                    note)
        note = _DECIMAL.sub(text.EN_DASH, note)
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
# The checks a summary row repeats from other rows of effects.csv: their columns, and the
# analysis and method of the row each is taken from (blank here where it is blank there)
SUMMARY_CHECKS = (
    (("sensitivity_estimate", "sensitivity_ci_low", "sensitivity_ci_high"), "itt",
     lambda record: _text(record.get("sensitivity_method"))),
    (("logistic_estimate", "logistic_ci_low", "logistic_ci_high"), "itt", lambda _: "logistic_did"),
    (("no_pandemic_estimate", "no_pandemic_ci_low", "no_pandemic_ci_high"), "no_pandemic",
     lambda _: "did"),
)


PRIMARY_COST = 4  # above an area's or a study total's own (`_Component.to_hide`: cheapest first)


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
        # a primary indicator's counts are hidden last: where a secondary indicator's cell
        # protects a small count as well, page one keeps its headline
        cost = PRIMARY_COST if _flag(record.get("primary")) else 1
        mine = {}
        for group in SUMMARY_GROUPS:
            n_column = f"n_denominator_{group}"
            if n_column in record and not pd.isna(record[n_column]):
                mine[group] = p.proportion(indicator, group, _side_area(group, area, p.own_comparison),
                                           record[n_column], record.get(f"events_{group}"), shown=True,
                                           cost=cost)
        observed.append(mine)
        cells = {}
        for side in SIDES:
            if pd.isna(record.get(f"n_{side}")):
                continue
            population = f"itt/did/{side}" if record.get("method") == "did" else side
            cell = p.count(("outcome", indicator, population, _side_area(side, area, p.own_comparison), "n"),
                           record[f"n_{side}"], cost=cost + 1)
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
                    [t is not None and bool(hidden[t[kind]]) for t in triples]), m,
                    p.muted(t[kind] if t is not None else None for t in triples))
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
            small = (any(p.said_small(c) for t in everything for c in t)
                     or any(p.said_small(c) for c in cells.values()))
            reasons.append(p.reason(everything, cells.values()) if small else "secondary")
        rows = np.array(rows, dtype=bool)
        # which headlines are blank, and why (costs.csv's cost per additional child rests on them)
        p.facts["summary_blank"] = {(r["indicator"], _area(r)): reason for r, reason, blank
                                    in zip(records, reasons, rows, strict=True) if blank}
        _blank(published, rows, SUMMARY_ESTIMATES)
        # a check repeated from another effects row is blank where that row's estimate is
        # (an unadjusted DiD of a few children hidden there must not be shown here)
        blank_rows: dict[tuple[str, str, str, str], bool] = {}
        for (indicator, area, analysis, method, _), blank in blank_effects.items():
            key = (indicator, area, analysis, method)
            blank_rows[key] = blank_rows.get(key, False) or blank
        for columns, analysis, method_of in SUMMARY_CHECKS:
            _blank(published, np.array([blank_rows.get((r["indicator"], _area(r), analysis,
                                                        method_of(r)), False) for r in records],
                                       dtype=bool), columns)
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


# --- power -------------------------------------------------------------------------------------

def _without_share_clauses(note: str) -> str:
    """A power note without the clauses that say where the comparison share lies."""
    return "; ".join(part for part in note.split("; ")
                     if "p_comparison" not in part and "no rise" not in part)


# power.csv's columns for areas as clusters that are computed from p_comparison and the n
AREA_POWER = ("mdd_areas", "mdd_decrease_areas", "areas_per_arm_needed")


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
        published["n_comparison"] = _shown_column(frame["n_comparison"], n0_hidden, m,
                                                  p.muted(t[0] for t in comparison))
        p0_unsafe = np.array([p.unsafe(t, hidden) for t in comparison]) | n0_hidden
        # the detectable differences are computed from the group sizes and p_comparison, with
        # areas as clusters from the children per area, which is the two groups' n over the
        # areas: either solves back for a hidden n or share
        _blank(published, n1_hidden | n0_hidden | p0_unsafe, ["mdd", "mdd_decrease", *AREA_POWER])
        _blank(published, n1_hidden | n0_hidden, ["children_per_area"])
        _blank(published, p0_unsafe, ["p_comparison", "n_per_group_needed", "n_per_group_needed_corrected"])
        # nor does its note say where p_comparison lies ("p_comparison + 0.05 exceeds 1", "no rise
        # to at most 100 % reaches the power": above 0.95, which narrowed a hidden 144 of 149)
        published["note"] = [_without_share_clauses(_text(note)) if unsafe else note
                             for note, unsafe in zip(published["note"], p0_unsafe, strict=True)]
        reasons = [p.reason([t], [c]) if p.said_small(c) or any(p.said_small(x) for x in t) else "secondary"
                   for c, t in zip(treated, comparison, strict=True)]
        return _mark(published, n1_hidden | n0_hidden | p0_unsafe, reasons)
    return render
