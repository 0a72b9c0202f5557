"""Stage 4, compare: effects, balance, survival curves, dose-response and power (SPEC §7, §9).

`compare(study, cohort)` is a pure function of the cohort table; it returns tidy tables:

- `effects` — one row per indicator × analysis × subgroup × measure × method. Columns of
  SPEC §9 first, then `analysis` (itt | placebo | no_pandemic | landmark | filled_windows |
  multiple_imputation | complier | per_protocol | dose_response | subgroup), `subgroup`
  ("" or e.g. "mother_region=outside_europe"), `p_interaction`, `multiplicity` (which family
  `p_adjusted` belongs to), the events behind the row and, for a DiD, the areas and the
  design-based p-values (`p_randomisation`, `p_placebo` and their floors).
- `summary` — one row per indicator and area: the design's headline and its verdict
  (`pipeline.summary`).
- `balance` — standardised differences per covariate (level) before and after IPTW.
- `survival` — Kaplan–Meier / Turnbull curve points on a grid, medians, log-rank tests.
- `dose_response` — outcome proportions by bands of contacts received (accepting families).
- `power` — minimum detectable difference and sample size, children and areas.
- `costs` — the study's costs (study.yml's or the kostnader export's) per year and in total,
  per enrolled family and completed contact, and per additional child for each primary
  indicator (`costs`; empty without them).
- `trends`, `design`, `missing_data` — shares by birth half-year, children per area and
  period, missing values by arm and period; under `did` also `did_cells`, `did_areas` and
  `event_study` (see `did_area_tables`, `event_study_table`).
- `control_chart`, `funnel` — each binary indicator by birth quarter in each intervention
  area on a p-chart, and the areas after the start on a funnel plot (`monitoring`).

Decisions (documented here because the report's methods appendix follows them):

- Population: children whose `group` is intervention or comparison (the design's primary
  contrast). A binary indicator's NA means "outside its denominator": excluded.
- Methods per indicator kind. Binary: crude (risk difference, risk ratio, odds ratio;
  p = Fisher's exact test when an expected count is < 5, else chi-square), regression
  (adjusted odds ratio; marginal risk difference standardised to the intervention group,
  ATT, sandwich SE), iptw and ipwra (ATT risk difference, weighting alone and doubly
  robust, SEs from the stacked estimating equations) and — design `did` only — did,
  did_unadjusted and logistic_did. Survival: crude (unadjusted Cox hazard ratio with the
  log-rank p) and cox (covariate-adjusted, Efron ties, the proportional-hazards test in
  `note`); `bf_duration`, known only between assessments, by the discrete-time
  (complementary log-log) model on the assessment intervals instead.
- DiD (design `did`): linear probability model with area and birth half-year fixed
  effects and the term intervention area × after the start, adjusted for the study's
  covariates; with fewer than 30 areas p and interval from one wild cluster bootstrap test
  (the interval inverts it), never narrower than the child-level HC1 ones; randomisation
  inference over the assignments of areas and the comparison areas as placebo
  intervention areas beside it. A survival indicator enters as its landmark share (and at
  two more ages, analysis `landmark`) and as the DiD of its restricted mean time.
  `n_intervention`/`n_comparison` count both periods.
- Multiplicity: one headline p per indicator — the design's own estimate
  (`pipeline.summary.headline`). Holm across the study's primary indicators,
  Benjamini–Hochberg across the others, each area a family of its own; `p_adjusted` is
  empty on every other row.
- Per-protocol: intervention-group children whose family accepted vs the comparison
  group, kept as a selected comparison; the complier rows estimate the effect on families
  who accept.
- Dose-response (descriptive, no p-value): among accepting families in the intervention
  group, the outcome by contacts received among those due before the outcome's window
  (the indicator's `outcome_from_days`), and a covariate-adjusted odds ratio per such contact. Families who
  receive more visits differ in engagement, so neither is an effect.
- Equity (exploratory): subgroup rows (analysis `subgroup`) within each level of mother's
  region of birth — grouped sweden_nordic / europe / outside_europe, since Nordic-born
  mothers are few — and of education, on the additive scale: under `did` the DiD within
  each level (triple difference), otherwise the crude risk difference; `p_interaction`
  tests that the effects are equal across levels.
- Covariates: the study's, with mother's region grouped as for equity; children with a
  missing covariate drop out of the adjusted analyses (counted in `note`); the primary
  indicators are repeated with the covariates multiply imputed (sensitivity).
- Small samples: whatever a method cannot estimate becomes a `note` with empty estimate
  and interval; every row carries the children it rests on.

The stage is a package: `context` (the analysis population, the DiD cells, each indicator as
an outcome, one effects row), the effects rows by analysis in `itt`, `did_rows`, `survival`,
`sensitivity` and `dose_equity`, the other tables in `tables` and the monitoring tables in
`monitoring`; this module assembles them. (`changes.csv`, which compares this run's published
tables with the previous run's, is made by the runner: `pipeline.changes`.)
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
import pandas as pd

from pipeline.config import Study
from pipeline.indicators import INDICATORS, Indicator
from pipeline.outputs import output_table
from pipeline.parallel import available_memory, run_pieces
from pipeline.progress import step_message
from pipeline.stages.compare.context import (
    COMPARED_KINDS,
    DID_GROUPS,
    GROUPS,
    REGION_GROUPS,
    SUBGROUP_VARIABLES,
    _Context,
    _in_area,
    _interval_censored,
    _rows_in,
    analysed_columns,
    binary_outcome,
    covariate_frame,
    did_outcome,
    follow_up_days,
    half_year_bins,
    landmark_note,
    landmark_outcome,
    subgroup_codes,
    subgroup_levels,
)
from pipeline.stages.compare.costs import births_by_year, cost_items, costs_table
from pipeline.stages.compare.counts import count_effect_rows, count_outcome_rows, count_tables
from pipeline.stages.compare.did_rows import (
    _did_row,
    _logistic_did_row,
    _rmst_did_row,
    areas_checked_together,
    design_based_p,
    did_area_checks,
    did_area_tables,
    event_study_table,
    half_year_index,
)
from pipeline.stages.compare.dose_equity import (
    OPEN_ENDED,
    _dose_response,
    _subgroups,
    contact_bands,
    contacts_before,
)
from pipeline.stages.compare.dose_received import dose_received_table
from pipeline.stages.compare.itt import _binary_itt, with_arm_randomisation
from pipeline.stages.compare.monitoring import control_chart_table, funnel_table
from pipeline.stages.compare.sensitivity import (
    MI_IMPUTATIONS,
    PANDEMIC_BIRTHS,
    _complier_rows,
    _multiple_imputation,
    _per_protocol,
    _placebo_rows,
    _with_filled_windows,
    _without_pandemic,
    placebo_start,
)
from pipeline.stages.compare.survival import _survival_effects, survival_table
from pipeline.stages.compare.tables import (
    balance_table,
    design_table,
    missing_data_table,
    observed_by_area,
    power_table,
    summary_table,
    trends_table,
)
from pipeline.stats import benjamini_hochberg, holm
from pipeline.summary import headline, repeated_from

# The stage's public names, wherever in the package they live.
__all__ = [
    "ADJUSTED_METHODS", "DID_GROUPS", "GROUPS", "MI_IMPUTATIONS", "OPEN_ENDED", "PANDEMIC_BIRTHS",
    "REGION_GROUPS", "SUBGROUP_VARIABLES", "balance_table", "binary_outcome", "births_by_year",
    "compare", "contact_bands", "contacts_before", "control_chart_table", "cost_items", "costs_table",
    "covariate_frame", "funnel_table",
    "design_table", "did_area_tables",
    "did_outcome", "event_study_table", "follow_up_days", "half_year_bins", "half_year_index",
    "landmark_note", "landmark_outcome", "missing_data_table", "placebo_start", "power_table",
    "subgroup_codes", "subgroup_levels", "summary_table", "survival_table", "trends_table",
]


# Methods that adjust for the covariates (did_unadjusted, crude and kaplan_meier do not).
ADJUSTED_METHODS = ("regression", "iptw", "ipwra", "did", "cox", "cace", "fuzzy_did",
                    "logistic_did", "discrete_time")


def compare(study: Study, cohort: pd.DataFrame, named_difference: float | None = None,
            costs: pd.DataFrame | None = None,
            progress: Callable[[str], None] = lambda _: None, jobs: int = 1,
            beside: Mapping[str, Callable[[], pd.DataFrame]] | None = None) -> dict[str, pd.DataFrame]:
    """All comparison tables for a study's cohort; see the module docstring for the methods.

    `costs` is the clean `kostnader` export, when the study gives its costs that way.
    `progress` hears of each indicator, each intervention area and each design table as it
    is done. With `jobs` > 1 they are computed in that many processes (the same tables).
    `beside` names other tables of the caller's to make among the pieces (the cohort's
    published tables, which the compare stage publishes again): returned first, before the
    comparison's, rather than made alone after them.
    Floating-point overflow in a logistic link (a model near separation, which the methods
    detect and report as not estimable) is not printed to the user's terminal.
    """
    with np.errstate(over="ignore", under="ignore"):
        return _compare(study, cohort, named_difference, costs, progress, jobs, beside or {})


# The tables made after the estimates, longest first by their seconds at a million children
# (1.6 missing data and the indicators' table, 1.5 trends, 1.4 the control chart, 1.0 the
# funnel, 0.9 power, 0.8 observed, 0.5 survival, 0.2 design and balance, under 0.1 the rest):
# in the order the descriptive tables come, a 1.6 s table was the last piece, alone for 1.3-1.5 s.
_SHORT_PIECES = ("missing data", "indicators", "trends", "control chart", "funnel", "power",
                 "observed", "survival", "design", "balance", "dose received", "flow", "fidelity")


def _compare(study: Study, cohort: pd.DataFrame, named_difference: float | None,
             costs: pd.DataFrame | None, progress: Callable[[str], None], jobs: int,
             beside: Mapping[str, Callable[[], pd.DataFrame]]) -> dict[str, pd.DataFrame]:
    """All comparison tables for a study's cohort (see `compare`).

    `named_difference` (for the power table) defaults to study.yml's `power_difference`
    (0.05 unless the study says otherwise).
    """
    if named_difference is None:
        named_difference = study.power_difference
    analysed = analysed_columns(cohort)
    population = _rows_in(cohort, GROUPS, analysed)
    context = _Context(study, population)
    did_cells = _rows_in(cohort, DID_GROUPS, analysed) if study.design.type == "did" else None
    alone: dict[str, set[str]] = {}  # the area DiD rows whose checks come from "DiD by area"
    if did_cells is not None:
        context.did(did_cells)  # built once, before the pieces below share it
        alone = areas_checked_together(context, did_cells)

    def indicator_piece(indicator: Indicator) -> Callable[[], tuple[list, list]]:
        def piece() -> tuple[list, list]:
            rows = _itt_rows(context, did_cells, indicator)
            if indicator.kind != "binary":
                return rows, []
            rows += _complier_rows(context, did_cells, indicator.id)
            rows += _per_protocol(context, indicator.id)
            dose_row, dose_table = _dose_response(context, indicator.id)
            rows.append(dose_row)
            return rows + _subgroups(context, did_cells, indicator.id), dose_table
        return piece

    def area_piece(area: str) -> Callable[[], tuple[list, pd.DataFrame, list]]:
        def piece() -> tuple[list, pd.DataFrame, list]:
            area_context = _Context(study, _in_area(population, area, study.design.type), area=area)
            area_cells = None if did_cells is None else _in_area(did_cells, area, study.design.type)
            rows = [row for indicator in area_context.indicators
                    for row in _itt_rows(area_context, area_cells, indicator,
                                         randomisation=indicator.id not in alone.get(area, ()))]
            # the area's count and rate effects too, from the same children
            return rows, balance_table(area_context), count_effect_rows(area_context, area_cells)
        return piece

    pieces: list[tuple[str, Callable[[], Any]]] = [
        (indicator.id, indicator_piece(indicator)) for indicator in context.indicators]
    pieces += [(f"area {area}", area_piece(area)) for area in study.design.intervention_areas]
    if did_cells is not None:
        pieces += [("DiD by area", lambda: did_area_checks(context, did_cells, randomisation=True,
                                                           alone=alone)),
                   ("event study", lambda: event_study_table(context, did_cells))]
    # the whole study's count outcomes (each intervention area's come with its piece)
    pieces.append(("count outcomes", lambda: (
        count_outcome_rows(study, population if did_cells is None else did_cells),
        count_effect_rows(context, did_cells))))
    # the tables that need no effect estimate, as pieces too: at register scale they are
    # seconds each, which one process would otherwise spend alone after the others
    descriptive = {
        "trends": lambda: trends_table(cohort, study),
        "survival": lambda: survival_table(population),
        "power": lambda: power_table(population, named_difference, study),
        "design": lambda: design_table(cohort, study),
        "missing_data": lambda: missing_data_table(study, cohort),
        "dose_received": lambda: dose_received_table(population),
        "control_chart": lambda: control_chart_table(study, cohort),
        "funnel": lambda: funnel_table(study, cohort),
        "balance": lambda: balance_table(context),  # the whole study's (each area's: its piece)
        # what the summary shows of each group, by area and indicator (0.6 s at a million
        # children, which the run's process would otherwise spend after the pieces)
        "observed": lambda: observed_by_area(study, cohort, did_cells),
    }
    first_descriptive = len(pieces)
    pieces += [(name.replace("_", " "), make) for name, make in descriptive.items()]
    pieces += [(name.replace("_", " "), make) for name, make in beside.items()]
    finished = 0

    def done(index: int) -> None:
        nonlocal finished
        finished += 1
        progress(step_message("compare", finished, len(pieces), pieces[index][0]))

    # the longest pieces first (an area's piece estimates every indicator again, and the
    # count outcomes' bootstraps and profile searches are long), so that the processes
    # finish together: started last, they ran alone at the end
    # (the descriptive tables last: short, they fill the end, the longest of them first)
    short = sorted(range(first_descriptive, len(pieces)), key=lambda index: _SHORT_PIECES.index(
        pieces[index][0]) if pieces[index][0] in _SHORT_PIECES else len(_SHORT_PIECES))
    longest_first = [*range(len(context.indicators), first_descriptive), *range(len(context.indicators)),
                     *short]
    results = iter(run_pieces([piece for _, piece in pieces], jobs, done, order=longest_first,
                              keep_freed_memory=_memory_to_keep(cohort)))
    indicator_results = [next(results) for _ in context.indicators]
    area_results = [next(results) for _ in study.design.intervention_areas]
    did_cell_table, did_area_table, design_checks = (
        next(results) if did_cells is not None
        else (output_table("did_cells").frame([]), output_table("did_areas").frame([]), {}))
    events = next(results) if did_cells is not None else output_table("event_study").frame([])
    count_rows, count_effects = next(results)
    tables = {name: next(results) for name in descriptive}
    besides = {name: next(results) for name in beside}
    rows = [row for part in (*indicator_results, *area_results) for row in part[0]]
    for row in rows:  # the design-based p of the DiD rows checked in "DiD by area"
        key = (row.get("area"), row["indicator"])
        if (row["analysis"] == "itt" and row["method"] == "did" and row["estimate"] is not None
                and key in design_checks):
            row |= design_based_p(design_checks[key], row["estimate"])
    effects = _with_multiplicity(output_table("effects").frame(rows), study)
    # model-based estimates that adjust for at least one covariate (not saturated in the
    # groups' counts): publishing may show them where a crude one would reveal a small cell
    effects["adjusted"] = effects["method"].isin(ADJUSTED_METHODS) & bool(study.covariates)
    summary = summary_table(study, effects, cohort, tables["trends"], events,
                            observed=tables["observed"])
    dose_rows = [row for _, dose_table in indicator_results for row in dose_table]
    return besides | {
        "effects": effects,
        "summary": summary,
        "balance": pd.concat([tables["balance"]] + [part[1] for part in area_results],
                             ignore_index=True),
        "survival": tables["survival"],
        "dose_response": output_table("dose_response").frame(dose_rows),
        "power": tables["power"],
        "trends": tables["trends"],
        "design": tables["design"],
        "did_cells": did_cell_table,
        "did_areas": did_area_table,
        "event_study": events,
        "missing_data": tables["missing_data"],
        "costs": costs_table(study, cohort, summary, cost_items(study, costs)),
        **count_tables(count_rows, [*count_effects, *(row for part in area_results
                                                       for row in part[2])]),
        "dose_received": tables["dose_received"],
        "control_chart": tables["control_chart"],
        "funnel": tables["funnel"],
    }


# The memory the compare stage's two processes take at most, keeping what they free
# (`reuse_freed_memory`), as a multiple of the cohort's own: a million children's 0.75 GB
# cohort took 6.0 GB (5.2 GB when they hand it back).
KEPT_MEMORY_PER_COHORT_BYTE = 10


def _memory_to_keep(cohort: pd.DataFrame) -> bool:
    """Whether the system has the memory for the processes to keep what they free (or does
    not say)."""
    available = available_memory()
    return available is None or available >= KEPT_MEMORY_PER_COHORT_BYTE * int(
        cohort.memory_usage(deep=True).sum())


def _itt_rows(context: _Context, did_cells: pd.DataFrame | None,
              indicator: Indicator, *, randomisation: bool = False) -> list[dict[str, Any]]:
    """The intention-to-treat rows of one indicator: every method, the design's own among them.

    `randomisation`: the DiD row's design-based checks made here, from a panel of these
    children; otherwise (the whole study's, and an area's where `areas_checked_together`
    says so) they come from "DiD by area", and the row gets them once every piece is done."""
    did = None if did_cells is None else context.did(did_cells)
    rows = (_binary_itt(context, indicator.id) if indicator.kind == "binary"
            else _survival_effects(context, indicator))
    if context.study.design.type == "concurrent":
        with_arm_randomisation(context, indicator, rows)
    if did is not None:
        rows += [_did_row(context, did, indicator.id, randomisation=randomisation),
                 _did_row(context, did, indicator.id, adjusted=False)]
        rows += _placebo_rows(context, did_cells, context.study, indicator)
        if indicator.time_to_event is not None:
            rows += [_did_row(context, did, indicator.id, landmark=days)
                     for days in indicator.time_to_event.landmark_ages]
            rows.append(_rmst_did_row(did, indicator.id))
        if context.area == "all":
            rows += _without_pandemic(context, did_cells, indicator)
            rows.append(_logistic_did_row(context, did, indicator.id))
            rows += _with_filled_windows(context, did_cells, indicator)
    if context.area == "all" and indicator.id in context.study.primary_indicators:
        rows += _multiple_imputation(context, did, indicator)
    for row in rows:
        row["area"] = context.area
    return rows


def _with_multiplicity(effects: pd.DataFrame, study: Study) -> pd.DataFrame:
    """Holm across the primary indicators' headline p, Benjamini–Hochberg across the rest.

    The headline of an indicator is the design's own estimate (`pipeline.summary.headline`):
    its ITT row for the whole study and for each intervention area, each area a family of
    its own. `p_adjusted` is empty on every other row.
    """
    effects = effects.copy()
    effects["p_adjusted"] = effects["p_adjusted"].astype("float64")
    wanted = {(i.id, h.method, h.measure) for i in INDICATORS if i.kind in COMPARED_KINDS
              for h in [headline(study.design.type, i.kind, _interval_censored(i))]}
    keys = zip(effects["indicator"], effects["method"], effects["measure"], strict=True)
    is_headline = np.array([key in wanted for key in keys], dtype=bool)
    is_headline &= (effects["analysis"].eq("itt") & effects["subgroup"].eq("")).to_numpy(dtype=bool)
    twins = same_headline_as(effects, is_headline)
    is_headline[list(twins)] = False  # one hypothesis, tested once: in its twin's family
    primary = effects["indicator"].isin(study.primary_indicators).to_numpy(dtype=bool)
    for area in effects["area"].unique():
        in_area = effects["area"].eq(area).to_numpy(dtype=bool) & is_headline
        for family, label, adjust in ((in_area & primary, "holm_primary", holm),
                                      (in_area & ~primary, "bh_secondary", benjamini_hochberg)):
            if not family.any():
                continue
            p_values = [None if pd.isna(p) else float(p) for p in effects.loc[family, "p_value"]]
            effects.loc[family, "p_adjusted"] = pd.array(adjust(p_values), dtype="Float64").astype(
                "float64")
            effects.loc[family, "multiplicity"] = label
    for position, twin in twins.items():  # the same estimate, the same adjusted p (in no family)
        effects.iloc[position, effects.columns.get_loc("p_adjusted")] = effects["p_adjusted"].iloc[twin]
    return effects


def same_headline_as(effects: pd.DataFrame, is_headline: np.ndarray) -> dict[int, int]:
    """{position: position} of each headline row that is another indicator's in the same area over
    again (`pipeline.summary.repeated_from`). A review read the one estimate with two adjusted
    p-values, 0.018 (Holm, primary) and 0.11 (Benjamini–Hochberg over 19 secondary indicators,
    one of them this copy), beside page one's "the same estimate"."""
    rows = np.flatnonzero(is_headline)
    by_area: dict[Any, dict[str, dict[str, Any]]] = {}
    for position in rows:
        by_area.setdefault(effects["area"].iat[position], {})[str(effects["indicator"].iat[position])] = {
            "measure": effects["measure"].iat[position], "estimate": effects["estimate"].iat[position],
            "position": int(position)}
    return {row["position"]: headlines[other]["position"] for headlines in by_area.values()
            for indicator, row in headlines.items()
            if (other := repeated_from(indicator, row, headlines)) is not None}
