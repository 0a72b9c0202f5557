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
- `trends`, `design`, `missing_data` — shares by birth half-year, children per area and
  period, missing values by arm and period; under `did` also `did_cells`, `did_areas` and
  `event_study` (see `did_area_tables`, `event_study_table`).

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
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import Any

import numpy as np
import pandas as pd

from pipeline.config import Study
from pipeline.indicators import INDICATORS, MIDPOINT_WEANING, Indicator, TimeToEvent, time_to_event
from pipeline.indicators import indicator as indicator_entry
from pipeline.indicators.vaccination import ROTA_ELIGIBLE_FROM
from pipeline.outputs import output_table
from pipeline.stats.balance import baseline_difference, standardised_mean_difference
from pipeline.stats.complier import complier_effect, fuzzy_did
from pipeline.stats.did import at_least_child_level, difference_in_differences
from pipeline.stats.did_inference import (
    area_period_cells,
    leave_one_area_out,
    pairwise_did,
    placebo_areas,
    placebo_p,
    randomisation_inference,
)
from pipeline.stats.did_models import event_study, logistic_did
from pipeline.stats.duration import discrete_time_hazard_ratio, rmst_did
from pipeline.stats.effects import compare_proportions
from pipeline.stats.equity import additive_interaction, triple_difference
from pipeline.stats.imputation import impute_covariates, missingness_table, pool_rubin
from pipeline.stats.multiplicity import benjamini_hochberg, holm
from pipeline.stats.power import (
    DEFAULT_CAC,
    areas_needed,
    estimate_icc,
    minimum_detectable_did,
    minimum_detectable_difference,
    sample_size_two_proportions,
)
from pipeline.stats.proportions import proportion
from pipeline.stats.regression import logistic_adjusted_effects, logistic_slope
from pipeline.stats.results import Estimate, NotEstimable
from pipeline.stats.survival import (
    cox_hazard_ratio,
    kaplan_meier,
    log_rank_test,
    turnbull,
)
from pipeline.stats.weighting import iptw_effect, iptw_weights, propensity_scores
from pipeline.summary import (
    ALPHA,
    FEW_CHILDREN,
    PRE_TREND_ALPHA,
    RELIABLE_AREAS_PER_ARM,
    headline,
    verdict,
)

GROUPS = ("intervention", "comparison")
DID_GROUPS = ("intervention", "comparison", "intervention_pre", "comparison_pre")


# Mother's region of birth for equity rows: Nordic-born mothers (outside Sweden) are few in
# every study area, so they are grouped with Swedish-born mothers.
REGION_GROUPS = {"sweden": "sweden_nordic", "nordic": "sweden_nordic", "europe": "europe",
                 "outside_europe": "outside_europe"}
SUBGROUP_VARIABLES = ("mother_region", "education")

# Survival curve grids (days): MMR is due at 18 months; breastfeeding is assessed up to 12
# months (window to 426 days), after which the Turnbull bounds say nothing.
# Methods that adjust for the covariates (did_unadjusted, crude and kaplan_meier do not).
ADJUSTED_METHODS = ("regression", "iptw", "ipwra", "did", "cox", "cace", "fuzzy_did",
                    "logistic_did", "discrete_time")
OPEN_ENDED = 1_000_000  # upper end of the last band of contacts received

# Exceptions a statistical method may raise on degenerate input; they become notes.
def compare(study: Study, cohort: pd.DataFrame,
            named_difference: float | None = None) -> dict[str, pd.DataFrame]:
    """All comparison tables for a study's cohort; see the module docstring for the methods.

    Floating-point overflow in a logistic link (a model near separation, which the methods
    detect and report as not estimable) is not printed to the user's terminal.
    """
    with np.errstate(over="ignore", under="ignore"):
        return _compare(study, cohort, named_difference)


def _compare(study: Study, cohort: pd.DataFrame,
             named_difference: float | None = None) -> dict[str, pd.DataFrame]:
    """All comparison tables for a study's cohort (see `compare`).

    `named_difference` (for the power table) defaults to study.yml's `power_difference`
    (0.05 unless the study says otherwise).
    """
    if named_difference is None:
        named_difference = study.power_difference
    population = _rows_in(cohort, GROUPS)
    context = _Context(study, population)
    did_cells = _rows_in(cohort, DID_GROUPS) if study.design.type == "did" else None
    rows: list[dict[str, Any]] = []
    dose_tables = []
    for indicator in INDICATORS:
        rows += _itt_rows(context, did_cells, indicator)
        if indicator.kind == "binary":
            rows += _complier_rows(context, did_cells, indicator.id)
            rows += _per_protocol(context, indicator.id)
            dose_row, dose_table = _dose_response(context, indicator.id)
            rows.append(dose_row)
            dose_tables.append(dose_table)
            rows += _subgroups(context, did_cells, indicator.id)
    balance = [balance_table(context)]
    for area in study.design.intervention_areas:
        area_context = _Context(study, _in_area(population, area), area=area)
        area_cells = None if did_cells is None else _in_area(did_cells, area)
        for indicator in INDICATORS:
            rows += _itt_rows(area_context, area_cells, indicator)
        balance.append(balance_table(area_context))
    effects = _with_multiplicity(output_table("effects").frame(rows), study)
    # model-based estimates that adjust for at least one covariate (not saturated in the
    # groups' counts): publishing may show them where a crude one would reveal a small cell
    effects["adjusted"] = effects["method"].isin(ADJUSTED_METHODS) & bool(study.covariates)
    trends = trends_table(cohort, study)
    did_cell_table, did_area_table = (did_area_tables(context, did_cells) if did_cells is not None
                                      else (output_table("did_cells").frame([]),
                                            output_table("did_areas").frame([])))
    events = (event_study_table(context, did_cells) if did_cells is not None
              else output_table("event_study").frame([]))
    missing = missing_data_table(study, cohort)
    return {
        "effects": effects,
        "summary": summary_table(study, effects, cohort, trends, events),
        "balance": pd.concat(balance, ignore_index=True),
        "survival": survival_table(population),
        "dose_response": output_table("dose_response").frame([r for t in dose_tables for r in t]),
        "power": power_table(population, named_difference, study),
        "trends": trends,
        "design": design_table(cohort, study),
        "did_cells": did_cell_table,
        "did_areas": did_area_table,
        "event_study": events,
        "missing_data": missing,
    }


def _itt_rows(context: _Context, did_cells: pd.DataFrame | None,
              indicator: Indicator) -> list[dict[str, Any]]:
    """The intention-to-treat rows of one indicator: every method, the design's own among them."""
    did = None if did_cells is None else context.did(did_cells)
    rows = (_binary_itt(context, indicator.id) if indicator.kind == "binary"
            else _survival_effects(context, indicator))
    if did is not None:
        rows += [_did_row(context, did, indicator.id, randomisation=True),
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


def _in_area(frame: pd.DataFrame, area: str) -> pd.DataFrame:
    """Children of one intervention area and every comparison child (area-level contrasts)."""
    own = frame["area"].astype("string").eq(area).fillna(False)
    comparison = frame["group"].astype("string").str.startswith("comparison").fillna(False)
    keep = (own | comparison).to_numpy(dtype=bool)
    return frame[keep].reset_index(drop=True)


def _rows_in(cohort: pd.DataFrame, groups: Sequence[str]) -> pd.DataFrame:
    """The cohort's children whose `group` is one of `groups`, renumbered from 0."""
    keep = cohort["group"].isin(groups).fillna(False).to_numpy(dtype=bool)
    return cohort[keep].reset_index(drop=True)


class _Context:
    """The analysis population with its treatment vector, covariates and subgroups, built once."""

    def __init__(self, study: Study, population: pd.DataFrame, area: str = "all") -> None:
        self.study = study
        self.area = area
        self.population = population
        self.treated = population["group"].eq("intervention").to_numpy(dtype=bool)
        self.covariate_names = tuple(study.covariates)
        self.covariates = covariate_frame(population, self.covariate_names)
        self.complete = ~self.covariates.isna().any(axis=1).to_numpy()
        accepted = population["accepted"].astype("boolean").fillna(False).to_numpy(dtype=bool)
        self.accepted = self.treated & accepted
        self.subgroups = {variable: subgroup_codes(population, variable)
                          for variable in SUBGROUP_VARIABLES if variable in population.columns}
        self._outcomes: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        self._did: dict[Any, _DidCells] = {}

    def did(self, cells: pd.DataFrame) -> _DidCells:
        """The DiD view of `cells`, built once per frame."""
        if id(cells) not in self._did:
            self._did[id(cells)] = _DidCells(cells, self)
        return self._did[id(cells)]

    def did_subset(self, name: str, cells: pd.DataFrame,
                   make: Callable[[], pd.DataFrame]) -> _DidCells | None:
        """The DiD view of a subset of `cells` that `make` selects (built once per name and
        frame); None when the subset is empty."""
        key = (name, id(cells))
        if key not in self._did:
            subset = make()
            self._did[key] = None if subset.empty else _DidCells(subset, self)
        return self._did[key]

    def outcome(self, indicator: str) -> tuple[np.ndarray, np.ndarray]:
        """The indicator as 0/1 floats and its denominator mask (cached)."""
        if indicator not in self._outcomes:
            self._outcomes[indicator] = binary_outcome(self.population, indicator)
        return self._outcomes[indicator]

    @property
    def adjusted_for(self) -> str:
        names = ", ".join(self.covariate_names) or "no covariates"
        return f"adjusted for {names}"


def covariate_frame(frame: pd.DataFrame, names: Sequence[str]) -> pd.DataFrame:
    """Covariates ready for the stats design: booleans as 0/1 floats, text as categoricals.

    Mother's region of birth enters grouped (sweden_nordic / europe / outside_europe), as in
    the equity rows: the few Nordic-born mothers otherwise separate high-coverage outcomes.
    """
    columns: dict[str, Any] = {}
    for name in names:
        values = subgroup_levels(frame, name) if name == "mother_region" else frame[name]
        if pd.api.types.is_bool_dtype(values):
            columns[name] = values.astype("Float64").to_numpy(dtype="float64", na_value=np.nan)
        elif pd.api.types.is_numeric_dtype(values):
            columns[name] = values.astype("float64").to_numpy()
        else:
            codes, levels = pd.factorize(values.astype("string"), sort=True)
            columns[name] = pd.Categorical.from_codes(codes, categories=[str(x) for x in levels])
    return pd.DataFrame(columns, index=pd.RangeIndex(len(frame)))


def binary_outcome(frame: pd.DataFrame, indicator: str) -> tuple[np.ndarray, np.ndarray]:
    """The indicator as 0/1 floats and the mask of children inside its denominator."""
    values = frame[indicator].astype("boolean")
    inside = values.notna().to_numpy(dtype=bool)
    return values.astype("Float64").to_numpy(dtype="float64", na_value=np.nan), inside


# --------------------------------------------------------------------------- effect rows


def _row(indicator: str, result: Estimate | None, *, measure: str, method: str,
         analysis: str, n_intervention: int, n_comparison: int, note: str = "",
         reason: str | None = None, subgroup: str = "", events: tuple[int, int] | None = None,
         p_value: float | None = None, p_interaction: float | None = None,
         flags: Sequence[str] = ()) -> dict[str, Any]:
    """One effects row from an Estimate (or from a reason when there is none): the result's
    own row (`Estimate.to_row`) with the table's keys, its reason and `note` in the note, and
    its flags with `flags` (and, when not estimable, the kind of reason) in `flags`."""
    if result is None or reason is not None:
        result = Estimate.not_estimable(measure, method, reason or (result.reason if result else None)
                                        or "not estimable")
    if p_value is not None and result.estimable:
        result = replace(result, p_value=p_value)
    notes = "; ".join(n for n in (result.reason, note) if n)
    flags = [*result.flags, *flags]
    if not result.estimable:
        flags += [kind for pattern, kind in _REASON_KINDS if pattern in notes][:1]
    row = result.to_row(
        indicator=indicator, measure=measure, method=method, p_adjusted=None,
        n_intervention=int(n_intervention), n_comparison=int(n_comparison), note=notes,
        analysis=analysis,
        subgroup=subgroup, p_interaction=p_interaction, multiplicity="",
        events_intervention=None if events is None else int(events[0]),
        events_comparison=None if events is None else int(events[1]),
        flags=";".join(dict.fromkeys(flags)))
    return {column: row[column] for column in (*_EFFECT_KEYS, "flags")}


# Kinds of "not estimable" reason, by the words the methods give them (first match), as flags.
_REASON_KINDS = (("separation", "separation"), ("zero cell", "zero_cell"),
                 ("empty cell", "empty_cell"), ("does not exist", "no_mle"))
# An effects row's first keys, in the order rows have always had them.
_EFFECT_KEYS = ("indicator", "measure", "method", "estimate", "ci_low", "ci_high", "p_value",
                "p_adjusted", "n_intervention", "n_comparison", "note", "analysis", "subgroup",
                "p_interaction", "multiplicity", "events_intervention", "events_comparison")


def _attempt(make: Callable[..., Any], *args: Any, **kwargs: Any) -> tuple[Any, str | None]:
    """Run a statistical method (with these arguments); data it cannot estimate from
    (`NotEstimable`) become a reason instead of a crash. Any other error is a bug and stops
    the run rather than being published as a reason."""
    try:
        return make(*args, **kwargs), None
    except NotEstimable as error:
        return None, f"not estimable: {error}"


def _design_note(result: Estimate) -> str:
    """What the covariate design dropped, in words."""
    details = result.details
    parts = []
    if details.get("rows_dropped_missing"):
        parts.append(f"{details['rows_dropped_missing']} children dropped for missing covariates")
    for key, label in (("covariates_dropped_constant", "constant"),
                       ("covariates_dropped_aliased", "collinear")):
        if details.get(key):
            parts.append(f"{label} covariate terms dropped: {', '.join(details[key])}")
    return "; ".join(parts)


def _group_counts(y: np.ndarray, treated: np.ndarray) -> tuple[int, int, int, int]:
    """(events, n) in the intervention group, then in the comparison group."""
    return (int(np.nansum(y[treated])), int(treated.sum()),
            int(np.nansum(y[~treated])), int((~treated).sum()))


def _crude_rows(indicator: str, y: np.ndarray, treated: np.ndarray, *, analysis: str,
                measures: Sequence[str], subgroup: str = "",
                p_interaction: float | None = None, note: str = "") -> list[dict[str, Any]]:
    e1, n1, e0, n0 = _group_counts(y, treated)
    crude = compare_proportions(e1, n1, e0, n0)
    test_note = {"fisher_exact": "p: Fisher's exact test",
                 "pearson_chi_square": "p: chi-square test"}.get(crude.test.test, "")
    test_flag = {"fisher_exact": ("p_fisher_exact",),
                 "pearson_chi_square": ("p_chi_square",)}.get(crude.test.test, ())
    results = {"risk_difference": crude.risk_difference, "risk_ratio": crude.risk_ratio,
               "odds_ratio": crude.odds_ratio}
    rows = []
    for measure in measures:
        result = results[measure]
        extra = [test_note, note]
        if result.method == "exact_conditional":
            extra.insert(0, "conditional maximum-likelihood odds ratio with exact interval "
                            "(Woolf's is undefined with a zero cell)")
        rows.append(_row(indicator, result, measure=measure, method="crude", analysis=analysis,
                         n_intervention=n1, n_comparison=n0, events=(e1, e0), subgroup=subgroup,
                         p_interaction=p_interaction, note="; ".join(e for e in extra if e),
                         flags=test_flag))
    return rows


def _regression_rows(context: _Context, indicator: str, y: np.ndarray, rows_used: np.ndarray,
                     treated: np.ndarray, *, analysis: str,
                     measures: Sequence[str]) -> list[dict[str, Any]]:
    """Adjusted odds ratio and marginal (ATT) risk difference from one logistic fit."""
    y_used, t_used = y[rows_used], treated[rows_used]
    complete = context.complete[rows_used]
    e1, n1, e0, n0 = _group_counts(y_used[complete], t_used[complete])
    adjusted, error = _attempt(lambda: logistic_adjusted_effects(
        y_used, t_used.astype(float), context.covariates[rows_used].reset_index(drop=True),
        estimand="ATT"))
    rows = []
    for measure in measures:
        result = None if adjusted is None else getattr(adjusted, measure)
        note = context.adjusted_for
        if measure == "risk_difference":
            note += "; marginal risk difference standardised to the intervention group (ATT)"
        if result is not None and (design := _design_note(result)):
            note += "; " + design
        rows.append(_row(indicator, result, measure=measure, method="regression",
                         analysis=analysis, n_intervention=n1, n_comparison=n0, reason=error,
                         events=(e1, e0), note=note))
    return rows


def _binary_itt(context: _Context, indicator: str) -> list[dict[str, Any]]:
    """Crude, regression and IPTW rows of the primary (intention-to-treat) analysis."""
    y, inside = context.outcome(indicator)
    treated = context.treated
    rows = _crude_rows(indicator, y[inside], treated[inside], analysis="itt",
                       measures=("risk_difference", "risk_ratio", "odds_ratio"))
    rows += _regression_rows(context, indicator, y, inside, treated, analysis="itt",
                             measures=("odds_ratio", "risk_difference"))
    rows += _iptw_rows(context, indicator, y, inside)
    return rows


def _iptw_rows(context: _Context, indicator: str, y: np.ndarray,
               inside: np.ndarray) -> list[dict[str, Any]]:
    """ATT risk difference by inverse probability of treatment weighting (method `iptw`)
    and its doubly robust version, the weighted outcome model with the covariates too
    (method `ipwra`); SEs from the stacked estimating equations, so they account for the
    estimated propensity score; the comparison group's effective sample size in
    `ess_comparison`."""
    t = context.treated[inside]
    complete = context.complete[inside]
    e1, n1, e0, n0 = _group_counts(y[inside][complete], t[complete])
    rows = []
    for method, doubly_robust in (("iptw", False), ("ipwra", True)):
        result, error = _attempt(iptw_effect, y[inside], t.astype(float),
                                 context.covariates[inside].reset_index(drop=True),
                                 estimand="ATT", doubly_robust=doubly_robust)
        estimate = None if result is None else result.risk_difference
        notes = [context.adjusted_for,
                 "ATT weights; doubly robust: weighted logistic outcome model with the "
                 "covariates, standardised to the intervention group" if doubly_robust
                 else "ATT weights",
                 "SE from the stacked estimating equations (accounts for the estimated "
                 "propensity score)"]
        ess = None
        if result is not None and result.diagnostics is not None:
            table = result.diagnostics.table
            if "comparison" in table.index:
                ess, n = table.loc["comparison", "ess"], table.loc["comparison", "n"]
                largest = table.loc["comparison", "max"] / table.loc["comparison", "mean"]
                notes.append(f"comparison effective sample size {ess:.1f} of {int(n)}; "
                             f"largest weight {largest:.1f} x mean")
            notes += list(result.diagnostics.warnings)
        if estimate is not None:
            if design := _design_note(estimate):
                notes.append(design)
            if "note" in estimate.details:
                notes.append(str(estimate.details["note"]))
        row = _row(indicator, estimate, measure="risk_difference", method=method,
                   analysis="itt", n_intervention=n1, n_comparison=n0, reason=error,
                   events=(e1, e0), note="; ".join(notes))
        row["ess_comparison"] = None if ess is None else float(ess)
        rows.append(row)
    return rows


class _DidCells:
    """The four area x period cells of design `did`, with their covariates, built once."""

    def __init__(self, cells: pd.DataFrame, context: _Context) -> None:
        self.cells = cells
        self.treated_area = cells["did_area"].eq("intervention").to_numpy(dtype=float)
        self.post = cells["did_period"].eq("post").to_numpy(dtype=float)
        self.area = cells["area"].astype(object).to_numpy()
        start = pd.Timestamp(context.study.design.programme_start)
        self.half_year = half_year_bins(pd.to_datetime(cells["birth_date"]), start).dt.strftime(
            "%Y-%m").to_numpy(dtype=object)
        self.covariates = covariate_frame(cells, context.covariate_names)
        self.complete = ~self.covariates.isna().any(axis=1).to_numpy()


def _did_row(context: _Context, did: _DidCells, indicator: str,
             adjusted: bool = True, randomisation: bool = False,
             landmark: int | None = None) -> dict[str, Any]:
    """Area × period difference-in-differences (design `did`), inference by area.

    Two-way fixed effects: area fixed effects (not an arm dummy, so a changing mix of areas
    is not read as an effect) and birth half-year fixed effects, with the DiD term
    intervention area × after the start; `adjusted` adds the study's covariates (method
    `did`), else method `did_unadjusted`. A survival indicator enters as its landmark
    proportion (`landmark_outcome`). With fewer than 30 areas the wild cluster bootstrap
    gives the p-value and the interval that inverts the same test, never narrower than the
    child-level one; with a single area in an arm no interval is reliable, so the point
    estimate is given without one (the HC1 interval is kept in `note` only). `landmark`
    (days) gives a survival indicator's DiD at that age (analysis `landmark`).
    """
    y, inside, stable_note = did_outcome(did.cells, indicator, landmark)
    y, treated_area, post = y[inside], did.treated_area[inside], did.post[inside]
    covariates = did.covariates[inside].reset_index(drop=True) if adjusted else None
    complete = did.complete[inside] if adjusted else np.ones(int(inside.sum()), dtype=bool)
    in_area = treated_area[complete] == 1
    e1, e0 = int(y[complete][in_area].sum()), int(y[complete][~in_area].sum())
    n1, n0 = int(in_area.sum()), int((~in_area).sum())
    result, error = _attempt(lambda: difference_in_differences(
        y, treated_area, post, did.area[inside], covariates, area_effects=True,
        period_effects=did.half_year[inside]))
    notes = [(context.adjusted_for if adjusted else "no covariates")
             + " (linear probability model: area and birth half-year fixed effects, "
               "intervention area x after the start)"]
    flags = []
    if (course := time_to_event(indicator)) is not None:
        notes.insert(0, landmark_note(indicator, landmark))
        flags += ["landmark", *(["midpoint_imputed"] if course.interval_censored else [])]
    if stable_note:
        notes.insert(0, stable_note)
    estimate = None
    if result is not None:
        estimate = result.preferred
        counts = [f"{'intervention' if a else 'comparison'} areas {'post' if p else 'pre'}: "
                  f"{int(row['events'])}/{int(row['n'])}"
                  for (a, p), row in result.cells.iterrows()]
        notes.append("cells " + ", ".join(counts))
        notes.append(f"{result.n_clusters} areas ({result.n_clusters_treated} intervention)")
        clustered = result.clustered
        if estimate is result.wild_bootstrap:
            notes.append(f"p and interval: {result.wild_bootstrap_note}; the interval inverts "
                         "the same test")
            flags.append("wild_bootstrap")
            if estimate.details.get("widened_to_child_level"):
                notes.append("interval and p widened to the child-level HC1 ones (never narrower)")
                flags.append("widened_to_child_level")
            if not estimate.details.get("interval_bounded"):
                notes.append("the bootstrap interval is unbounded: too few areas to bound it")
                flags.append("interval_unbounded")
            if clustered.estimable:
                notes.append(f"cluster-robust CR1 SE by area, t with {result.n_clusters - 1} df: "
                             f"interval {clustered.ci_low:.4g} to {clustered.ci_high:.4g}, "
                             f"p = {clustered.p_value:.3g} (too narrow with few areas)")
        elif estimate is clustered and estimate.estimable:
            notes.append(f"cluster-robust CR1 SE by area, t with {result.n_clusters - 1} df")
        elif estimate.estimable:
            hc1 = estimate
            notes.append(f"{clustered.reason}; no interval is reliable with one area in an arm; "
                         f"the HC1 interval (NOT clustered by area) would be {hc1.ci_low:.4g} to "
                         f"{hc1.ci_high:.4g}, p = {hc1.p_value:.3g}")
            estimate = Estimate(hc1.measure, hc1.method, hc1.estimate, n=hc1.n, events=hc1.events,
                                details=hc1.details | {"interval_bounded": False})
            flags.append("hc1_not_clustered")
        notes += list(result.caveats)
        flags += result.flags
        if estimate.estimable and (design := _design_note(estimate)):
            notes.append(design)
    row = _row(indicator, estimate, measure="did", method="did" if adjusted else "did_unadjusted",
               analysis="itt", n_intervention=n1, n_comparison=n0, reason=error, events=(e1, e0),
               note="; ".join(notes), flags=flags)
    if result is not None:
        row["n_areas_intervention"] = result.n_clusters_treated
        row["n_areas_comparison"] = result.n_clusters - result.n_clusters_treated
    if landmark is not None:
        row |= {"analysis": "landmark", "landmark_days": landmark}
    if randomisation and row["estimate"] is not None:
        row |= _randomisation(y, did.area[inside], post, treated_area, covariates,
                              did.half_year[inside], row["estimate"])
    return row


def _logistic_did_row(context: _Context, did: _DidCells, indicator: str) -> dict[str, Any]:
    """The check on the scale: a logistic DiD (area and birth half-year effects, the
    covariates) whose effect on the intervention areas after the start is standardised to a
    risk difference by g-computation (method `logistic_did`, measure `did`)."""
    y, inside, _ = did_outcome(did.cells, indicator)
    treated_area, post = did.treated_area[inside], did.post[inside]
    covariates = did.covariates[inside].reset_index(drop=True)
    complete = did.complete[inside]
    in_area = treated_area[complete] == 1
    result, error = _attempt(lambda: logistic_did(
        y[inside], treated_area, post, did.area[inside], covariates,
        period_effects=did.half_year[inside]))
    estimate = None if result is None else result.att
    notes = ["check on the scale: logistic model with area and birth half-year effects, "
             + context.adjusted_for + "; effect on the intervention areas after the start as a "
             "risk difference (g-computation), delta-method SE clustered by area, never below "
             "the child level"]
    if result is not None:
        if result.odds_ratio.estimable:
            notes.append(f"odds ratio {result.odds_ratio.estimate:.3g}")
        notes += list(result.caveats)
    y_used = y[inside][complete]
    return _row(indicator, estimate, measure="did", method="logistic_did", analysis="itt",
                n_intervention=int(in_area.sum()), n_comparison=int((~in_area).sum()),
                reason=error, events=(int(np.nansum(y_used[in_area])),
                                      int(np.nansum(y_used[~in_area]))),
                note="; ".join(notes))


def _rmst_did_row(did: _DidCells, indicator: str) -> dict[str, Any]:
    """DiD of the restricted mean time to the event (days, up to the indicator's
    `rmst_horizon`) from Kaplan–Meier curves of the four area x period groups; interval and p
    from a bootstrap that resamples areas within each arm (method `kaplan_meier`, measure
    `rmst_did`)."""
    course = _course(indicator)
    time, event, kept = _survival_data(did.cells, indicator)
    horizon = course.rmst_horizon
    treated_area, post = did.treated_area[kept], did.post[kept]
    result, error = _attempt(lambda: rmst_did(time, event, treated_area, post, did.area[kept],
                                              horizon))
    notes = [f"restricted mean {course.rmst_measures} up to {horizon} days: DiD of the four "
             "Kaplan–Meier areas, area bootstrap within arms (coarse with few areas); unadjusted"]
    flags = []
    if course.interval_censored:
        notes.append(MIDPOINT_WEANING)
        flags.append("midpoint_imputed")
    if course.rising:
        notes.append(f"negative: {course.earlier} in the intervention areas")
    in_area = treated_area == 1
    return _row(indicator, result, measure="rmst_did", method="kaplan_meier", analysis="itt",
                n_intervention=int(in_area.sum()), n_comparison=int((~in_area).sum()),
                reason=error, events=(int(event[in_area].sum()), int(event[~in_area].sum())),
                note="; ".join(notes), flags=flags)


def event_study_table(context: _Context, did_cells: pd.DataFrame) -> pd.DataFrame:
    """DiD coefficients by birth half-year relative to the start (the last half-year before
    it is the reference), area and half-year effects and the covariates; one block per
    indicator (a survival indicator at its landmark). The joint test of the pre-start
    coefficients is `pretrend_p` (and summary.csv's `pretrend_joint_p`)."""
    did = context.did(did_cells)
    start = pd.Timestamp(context.study.design.programme_start)
    born = pd.to_datetime(did.cells["birth_date"])
    period = half_year_index(born, start)
    rows = []
    for indicator in INDICATORS:
        y, inside, _ = did_outcome(did.cells, indicator.id)
        result, error = _attempt(event_study, y[inside], did.treated_area[inside],
                                 period[inside], did.area[inside],
                                 did.covariates[inside].reset_index(drop=True))
        if result is None or not result.estimable:
            continue
        labels = dict(zip(period[inside], did.half_year[inside], strict=True))
        note = result.pre_trend.summary()
        for record in result.table.to_dict("records"):
            rows.append({"indicator": indicator.id,
                         "half_years_from_start": int(record["period"]),
                         "half_year": labels.get(record["period"], ""),
                         "estimate": record["estimate"], "ci_low": record["ci_low"],
                         "ci_high": record["ci_high"], "p_value": record["p_value"],
                         "n_intervention": record["n_intervention"],
                         "n_comparison": record["n_comparison"], "pre": bool(record["pre"]),
                         "reference": bool(record["reference"]),
                         "adjusted": bool(context.covariate_names),
                         "pretrend_p": result.pre_trend.p_value,
                         "note": "; ".join(x for x in (note, _text_or_empty(record["reason"]))
                                           if x)})
    return output_table("event_study").frame(rows)


def _text_or_empty(value: object) -> str:
    return "" if value is None or pd.isna(value) else str(value)


def half_year_index(birth: pd.Series, programme_start: pd.Timestamp) -> np.ndarray:
    """Each birth's half-year relative to the programme start: 0 the first half-year from
    the start, -1 the half-year before it (the bins of `half_year_bins`)."""
    bins = half_year_bins(birth, programme_start)
    months = (bins.dt.year - programme_start.year) * 12 + (bins.dt.month - programme_start.month)
    return np.floor_divide(months.to_numpy(dtype=float), 6).astype(int)


def _randomisation(y: np.ndarray, area: np.ndarray, post: np.ndarray, treated_area: np.ndarray,
                   covariates: pd.DataFrame | None, half_year: np.ndarray,
                   estimate: float) -> dict[str, Any]:
    """Design-based checks of a DiD under the same model (area and half-year effects, the
    covariates): randomisation inference over every assignment of areas to the arms (its p
    and the smallest p the design allows), and where the estimate falls among the DiDs of
    each comparison area as a placebo intervention area (its p and floor)."""
    extra = _model_terms(covariates, half_year)
    found: dict[str, Any] = {}
    try:
        test = randomisation_inference(y, area, post, treated_area, extra)
        found["p_floor"] = test.p_floor
        if test.p_value is not None:
            found["p_randomisation"] = test.p_value
        placebo = placebo_areas(y, area, post, treated_area, extra)
    except (ValueError, np.linalg.LinAlgError):
        return found
    p, floor = placebo_p(estimate, placebo["did_adjusted"])
    if p is not None:
        found |= {"p_placebo": p, "p_placebo_floor": floor}
    return found


def _model_terms(covariates: pd.DataFrame | None, half_year: np.ndarray) -> pd.DataFrame:
    """The DiD model's terms besides area and the DiD term: birth half-year effects and the
    covariates, as covariates for the design-based checks (which add area effects and post)."""
    halves = pd.get_dummies(pd.Series(half_year, dtype="string"), prefix="half_year",
                            drop_first=True, dtype=float)
    return halves if covariates is None else pd.concat([covariates, halves], axis=1)


def did_area_tables(context: _Context, did_cells: pd.DataFrame
                    ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """What a reader can check without any model of the few-area DiD, per indicator.

    `did_cells`: children, events and proportion in each area before and after the start
    (the indicator as the DiD defines it). `did_areas`: every pairwise DiD (one intervention
    area against one comparison area, unadjusted cell arithmetic), the DiD without each
    area in turn, and each comparison area as a placebo intervention area; `did_unadjusted`
    with area effects and post only, `did_adjusted` with the headline's model (birth
    half-year effects and the covariates).
    """
    did = context.did(did_cells)
    cells, areas = [], []
    for indicator in INDICATORS:
        y, inside, _ = did_outcome(did.cells, indicator.id)
        data = (y[inside], did.area[inside], did.post[inside], did.treated_area[inside])
        extra = _model_terms(did.covariates[inside].reset_index(drop=True),
                             did.half_year[inside])
        try:
            cells.append(area_period_cells(*data).assign(indicator=indicator.id))
            pairs = pairwise_did(*data).rename(columns={"did": "did_unadjusted"})
            areas += [pairs.assign(analysis="pairwise"),
                      leave_one_area_out(*data, extra).assign(analysis="leave_one_out"),
                      placebo_areas(*data, extra).assign(analysis="placebo_area")]
        except (ValueError, np.linalg.LinAlgError):
            continue  # an area in both arms, or no child: the effects rows say why
        for frame in areas[-3:]:
            frame["indicator"] = indicator.id
            # as for effects.csv: a model with covariates is not cell arithmetic
            frame["adjusted"] = bool(context.covariate_names)
    cell_rows = [r for frame in cells for r in frame.to_dict("records")]
    area_rows = [r for frame in areas for r in frame.to_dict("records")]
    return (output_table("did_cells").frame(cell_rows),
            output_table("did_areas").frame(area_rows))


def did_outcome(cells: pd.DataFrame, indicator: str,
                landmark: int | None = None) -> tuple[np.ndarray, np.ndarray, str]:
    """The indicator as a DiD compares it: defined the same way before and after the start.

    `vacc_full_24m` asks for a complete rotavirus series only of children born from
    2019-09-01 (when rotavirus entered the national programme); when the DiD's children
    include earlier births, "fully vaccinated" is taken as DTaP3 + PCV3 + MMR1 for every
    child, so that the definition does not change between the periods. `vacc_rota_complete`
    is defined only for births from 2019-09-01, so its DiD compares those alone (and is not
    estimable, with the reason, when no child before the start was eligible). A survival
    indicator enters as its landmark proportion (at `landmark` days, else its default
    landmark). Returns (0/1 values, known, note).
    """
    entry = indicator_entry(indicator)
    if entry.time_to_event is not None:
        y, inside = landmark_outcome(cells, indicator, landmark)
        return y, inside, ""
    if entry.stable_parts:
        born = pd.to_datetime(cells["birth_date"])
        if (born < pd.Timestamp(ROTA_ELIGIBLE_FROM)).any():
            parts = [binary_outcome(cells, name) for name in entry.stable_parts]
            inside = np.logical_and.reduce([known for _, known in parts])
            y = np.where(inside, np.logical_and.reduce([v == 1 for v, _ in parts]), np.nan)
            return y.astype(float), inside, (
                "fully vaccinated defined as DTaP3 + PCV3 + MMR1 by 24 months in both periods "
                "(rotavirus entered the programme for births from 2019-09-01, after some of "
                "the children before the start)")
    y, inside = binary_outcome(cells, indicator)
    note = (f"children born from {entry.born_from.isoformat()} only, in both periods (rotavirus in "
            "the programme)" if entry.born_from is not None else "")
    return y, inside, note


def _course(indicator: str) -> TimeToEvent:
    """How a survival indicator is followed (its registry entry's `time_to_event`)."""
    course = indicator_entry(indicator).time_to_event
    if course is None:
        raise ValueError(f"{indicator} is not a time-to-event indicator")
    return course


def landmark_note(indicator: str, landmark: int | None = None) -> str:
    """What a landmark proportion is, in words (effects.csv's note). A survival indicator
    enters a DiD as the share with its event state at a landmark age (its default one unless
    given)."""
    course = _course(indicator)
    return course.landmark_note.format(days=course.landmark_days if landmark is None else landmark)


def landmark_outcome(frame: pd.DataFrame, indicator: str,
                     landmark: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """A survival indicator as a 0/1 state at a landmark age (its default one unless given),
    and the children it is known for.

    Known only for children followed to the landmark (old enough at the extraction date and
    not moved out before it), as a binary indicator's denominator: counting a child with an
    early event but short follow-up, while dropping one without, would bias the share.
    A `rising` indicator (vacc_mmr1_age): 1 = the event by the landmark (vaccinated).
    Otherwise (bf_duration): 1 = still without the event at the landmark (still breastfed:
    last breastfed assessment at or after it, or weaning age — the midpoint between the last
    breastfed and the first weaned assessment — after it), 0 = the event before it (weaned);
    unknown when last seen without it before the landmark.
    """
    course = _course(indicator)
    landmark = course.landmark_days if landmark is None else landmark
    time, event, kept = _survival_data(frame, indicator)
    values = np.full(len(frame), np.nan)
    state = np.full(len(time), np.nan)
    if not course.rising:
        state[time >= landmark] = 1.0
        state[(time < landmark) & (event == 1)] = 0.0
    else:
        state[:] = ((time <= landmark) & (event == 1)).astype(float)
    values[kept] = state
    values[follow_up_days(frame) < landmark] = np.nan
    return values, ~np.isnan(values)


def follow_up_days(frame: pd.DataFrame) -> np.ndarray:
    """Days each child was followed: to the extraction date, or to moving out if earlier."""
    days = frame["age_at_extraction_days"].astype("Float64").to_numpy(dtype=float, na_value=np.nan)
    moved = pd.to_datetime(frame["moved_out_date"])
    until_move = (moved - pd.to_datetime(frame["birth_date"])).dt.days.to_numpy(dtype=float,
                                                                              na_value=np.nan)
    return np.fmin(days, until_move)


def _complier_rows(context: _Context, did_cells: pd.DataFrame | None,
                   indicator: str) -> list[dict[str, Any]]:
    """The effect on families who take the programme up (analysis `complier`).

    CACE (method `cace`): the covariate-adjusted ITT divided by the acceptance share, as a
    just-identified IV with the offer as the instrument; design `did` adds the fuzzy DiD
    (method `fuzzy_did`, Wald-DID: the DiD of the outcome over the DiD of take-up, area and
    birth half-year fixed effects, SE clustered by area and never below the child level).
    Acceptance unknown in the intervention group leaves the child out (counted in `note`).
    """
    y, inside = context.outcome(indicator)
    accepted = context.population["accepted"].astype("boolean")
    took_up = np.where(context.treated, accepted.astype("Float64").to_numpy(
        dtype=float, na_value=np.nan), 0.0)
    used = inside & ~np.isnan(took_up)
    unknown = int((inside & np.isnan(took_up)).sum())
    rows = []
    result, error = _attempt(lambda: complier_effect(
        y[used], context.treated[used].astype(float), took_up[used],
        context.covariates[used].reset_index(drop=True)))
    e1, n1, e0, n0 = _group_counts(y[used], context.treated[used])
    notes = ["effect on families who accepted: ITT divided by the acceptance share (IV, HC1)",
             context.adjusted_for]
    if unknown:
        notes.append(f"{unknown} intervention children with acceptance unknown left out")
    if result is not None and result.details.get("weak_instrument"):
        notes.append("weak instrument: few families accepted")
    rows.append(_row(indicator, result, measure="risk_difference", method="cace",
                     analysis="complier", n_intervention=n1, n_comparison=n0, reason=error,
                     events=(e1, e0), note="; ".join(notes)))
    if did_cells is not None:
        did = context.did(did_cells)
        y_did, known, _ = did_outcome(did.cells, indicator)
        accepted_did = did.cells["accepted"].astype("boolean").astype("Float64").to_numpy(
            dtype=float, na_value=np.nan)
        exposed = (did.treated_area == 1) & (did.post == 1)
        take = np.where(exposed, accepted_did, 0.0)
        keep = known & ~np.isnan(take)
        fuzzy, error = _attempt(lambda: fuzzy_did(
            y_did[keep], did.treated_area[keep], did.post[keep], take[keep], did.area[keep],
            did.covariates[keep].reset_index(drop=True), area_effects=True,
            period_effects=did.half_year[keep]))
        in_area = did.treated_area[keep] == 1
        rows.append(_row(indicator, fuzzy, measure="risk_difference", method="fuzzy_did",
                         analysis="complier", n_intervention=int(in_area.sum()),
                         n_comparison=int((~in_area).sum()), reason=error,
                         events=(int(np.nansum(y_did[keep][in_area])),
                                 int(np.nansum(y_did[keep][~in_area]))),
                         note="effect on families who accepted: DiD of the outcome over the DiD "
                              "of take-up (Wald-DID, de Chaisemartin & D'Haultfoeuille 2018); "
                              + context.adjusted_for))
    return rows


def _per_protocol(context: _Context, indicator: str) -> list[dict[str, Any]]:
    """Accepting families in the intervention group vs the comparison group: a selected
    comparison (families who say yes differ from those who do not), kept as secondary; the
    complier rows estimate the effect on families who accept."""
    y, inside = context.outcome(indicator)
    rows_used = inside & (context.accepted | ~context.treated)
    note = "intervention: families that accepted the programme"
    rows = _crude_rows(indicator, y[rows_used], context.treated[rows_used],
                       analysis="per_protocol", measures=("risk_difference",), note=note)
    regression = _regression_rows(context, indicator, y, rows_used, context.treated,
                                  analysis="per_protocol", measures=("risk_difference",))
    for row in regression:
        row["note"] = f"{note}; {row['note']}"
    return rows + regression


def contacts_before(context: _Context, indicator: str) -> tuple[np.ndarray, list[str]]:
    """Contacts received per child among the programme's contacts whose window closes before
    the indicator's outcome can be shaped (its `outcome_from_days`), and those contacts' ids."""
    start = indicator_entry(indicator).outcome_from_days
    counted = [c.id for c in context.study.programme.contacts if c.window_days[1] < start]
    received = np.zeros(len(context.population))
    for contact in counted:
        column = f"contact_{contact}_received"
        if column in context.population.columns:
            received += context.population[column].astype("boolean").fillna(False).to_numpy(
                dtype=float)
    return received, counted


def _dose_response(context: _Context, indicator: str) -> tuple[dict[str, Any], list[dict]]:
    """Outcome by contacts received before the outcome's window, among accepting families:
    descriptive (a risk table by band and an odds ratio per contact with its interval, no
    p-value: families who receive more visits differ in engagement, so neither is an effect)."""
    y, inside = context.outcome(indicator)
    rows_used = inside & context.accepted
    contacts, counted = contacts_before(context, indicator)
    y_used, dose = y[rows_used], contacts[rows_used]
    covariates = context.covariates[rows_used].reset_index(drop=True)
    complete = context.complete[rows_used]
    if counted:
        result, error = _attempt(lambda: logistic_slope(y_used, dose, covariates))
    else:
        result, error = None, "not estimable: no programme contact is due before the outcome"
    note = (f"descriptive: odds ratio per additional contact received, counting the "
            f"{len(counted)} contact(s) due before the outcome ({', '.join(counted) or 'none'}), "
            f"among children of accepting families in the intervention group; "
            f"{context.adjusted_for}; no p-value: the number of contacts a family receives "
            "also reflects its engagement")
    row = _row(indicator, result, measure="odds_ratio", method="regression",
               analysis="dose_response", n_intervention=int(complete.sum()), n_comparison=0,
               reason=error, events=(int(y_used[complete].sum()), 0), note=note)
    row["p_value"] = None
    table = _dose_table(indicator, y_used, dose, len(counted)) if counted else []
    return row, table


def contact_bands(planned: int) -> list[tuple[str, int, int]]:
    """Bands of contacts received: none, then thirds of the planned contacts (label, min, max)."""
    cuts = sorted({0, *(math.ceil(planned * k / 3) for k in (1, 2, 3))})
    bands = [("0", 0, 0)]
    for low, high in zip(cuts[:-1], cuts[1:], strict=True):
        bands.append((f"{low + 1}" if low + 1 == high else f"{low + 1}-{high}", low + 1, high))
    _, low, _ = bands[-1]
    bands[-1] = (f"{low}+", low, OPEN_ENDED)
    return bands


def _dose_table(indicator: str, y: np.ndarray, dose: np.ndarray, planned: int) -> list[dict]:
    rows = []
    for label, low, high in contact_bands(max(planned, 1)):
        in_band = (dose >= low) & (dose <= high)
        n, events = int(in_band.sum()), int(np.nansum(y[in_band]))
        share = proportion(events, n)
        rows.append({"indicator": indicator, "contacts_band": label, "contacts_min": low,
                     "contacts_max": None if high == OPEN_ENDED else high, "n": n, "events": events,
                     "proportion": share.estimate, "ci_low": share.ci_low,
                     "ci_high": share.ci_high, "contacts_counted": planned})
    return rows


def subgroup_levels(frame: pd.DataFrame, variable: str) -> pd.Series:
    """The equity subgroup of each child (mother's region grouped; education as coded)."""
    values = frame[variable].astype("string")
    if variable == "mother_region":
        values = values.map(REGION_GROUPS).astype("string")
    return values


def subgroup_codes(frame: pd.DataFrame, variable: str) -> tuple[np.ndarray, list[str]]:
    """Each child's subgroup as a code into the sorted level names (-1 when unknown)."""
    codes, levels = pd.factorize(subgroup_levels(frame, variable), sort=True)
    return codes, [str(level) for level in levels]


def _subgroups(context: _Context, did_cells: pd.DataFrame | None,
               indicator: str) -> list[dict[str, Any]]:
    """Equity (analysis `subgroup`, exploratory): the effect within each level of mother's
    region and of education, on the additive scale of the design's own estimate.

    Design `did`: the DiD within each level from one triple-difference model (area and birth
    half-year effects, each level with its own area-arm and period contrasts; method
    `triple_difference`), `p_interaction` the joint test that the DiD is the same in every
    level (clustered by area, never below the child level). Other designs: the crude risk
    difference within each level, `p_interaction` the Wald test that the risk differences
    are equal (linear probability model, HC1). Both unadjusted, like the crude rows.
    """
    if did_cells is not None:
        return _subgroup_dids(context, did_cells, indicator)
    y, inside = context.outcome(indicator)
    rows = []
    for variable, (codes, levels) in context.subgroups.items():
        known = inside & (codes >= 0)
        test, error = _attempt(additive_interaction, y[known], context.treated[known],
                               np.asarray(levels, dtype=object)[codes[known]])
        p_interaction = None if test is None else test.joint.p_value
        note = _interaction_note(variable, "risk differences", test, error)
        for code, level in enumerate(levels):
            in_level = known & (codes == code)
            rows += _crude_rows(indicator, y[in_level], context.treated[in_level],
                                analysis="subgroup", measures=("risk_difference",),
                                subgroup=f"{variable}={level}", p_interaction=p_interaction,
                                note=note)
    return rows


def _interaction_note(variable: str, what: str, test: Any, error: str | None) -> str:
    p = None if test is None else test.joint.p_value
    if p is None:
        reason = error or (test.joint.reason if test is not None else "") or "not estimable"
        return f"exploratory; test that the {what} are equal across {variable}: {reason}"
    return (f"exploratory; test that the {what} are equal across {variable} (additive scale): "
            f"p = {p:.3g}")


def _subgroup_dids(context: _Context, did_cells: pd.DataFrame,
                   indicator: str) -> list[dict[str, Any]]:
    did = context.did(did_cells)
    y, inside, _ = did_outcome(did.cells, indicator)
    rows = []
    for variable in SUBGROUP_VARIABLES:
        if variable not in did.cells.columns:
            continue
        codes, levels = subgroup_codes(did.cells, variable)
        known = inside & (codes >= 0)
        level_of = np.asarray(levels, dtype=object)[codes[known]]
        result, error = _attempt(triple_difference, y[known], did.treated_area[known],
                                 did.post[known], level_of, did.area[known],
                                 period_effects=did.half_year[known])
        p_interaction = None if result is None else result.joint.p_value
        note = _interaction_note(variable, "DiDs", result, error)
        for code, level in enumerate(levels):
            in_level = known & (codes == code)
            in_area = did.treated_area[in_level] == 1
            estimate = None if result is None else result.by_level.get(level)
            rows.append(_row(indicator, estimate, measure="did", method="triple_difference",
                             analysis="subgroup", n_intervention=int(in_area.sum()),
                             n_comparison=int((~in_area).sum()), reason=error,
                             subgroup=f"{variable}={level}", p_interaction=p_interaction,
                             events=(int(np.nansum(y[in_level][in_area])),
                                     int(np.nansum(y[in_level][~in_area]))),
                             note=note + "; DiD within the subgroup (area and birth half-year "
                                         "effects), unadjusted"))
    return rows


def _survival_data(frame: pd.DataFrame, indicator: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(time, event, rows kept) for a survival indicator; an interval-censored one
    (bf_duration) by midpoint imputation."""
    if _course(indicator).interval_censored:
        left, right = _interval_bounds(frame, indicator)
        kept = ~np.isnan(left)
        weaned = ~np.isnan(right)
        time = np.where(weaned, (left + np.where(weaned, right, 0.0)) / 2, left)
        return time[kept], weaned[kept].astype(float), kept
    time = frame[f"{indicator}_days"].to_numpy(dtype=float)
    event = frame[f"{indicator}_event"].astype("boolean")
    kept = ~np.isnan(time) & event.notna().to_numpy(dtype=bool)
    return time[kept], event.to_numpy(dtype=float, na_value=np.nan)[kept], kept


def _interval_bounds(frame: pd.DataFrame, indicator: str) -> tuple[np.ndarray, np.ndarray]:
    """An interval-censored indicator's bounds (days; right NaN: right-censored)."""
    return (frame[f"{indicator}_left_days"].to_numpy(dtype=float),
            frame[f"{indicator}_right_days"].to_numpy(dtype=float))


def _discrete_time_effects(context: _Context, indicator: str) -> list[dict[str, Any]]:
    """Crude and covariate-adjusted hazard ratios of an interval-censored indicator (weaning,
    known only between assessments) from the discrete-time (grouped proportional hazards,
    cloglog) model on the intervals between its `cut_points` (method `discrete_time`); p from
    the Wald test."""
    course = _course(indicator)
    left, right = _interval_bounds(context.population, indicator)
    kept = ~np.isnan(left)
    treated = context.treated[kept]
    weaned = ~np.isnan(right[kept])
    base = ("discrete-time proportional hazards (complementary log-log) on the assessment "
            f"intervals, cut points {', '.join(map(str, course.cut_points))} days; "
            f"hazard ratio > 1: {course.earlier} in the intervention group")
    rows = []
    for method, covariates, complete in (
            ("crude", None, np.ones(int(kept.sum()), dtype=bool)),
            ("discrete_time", context.covariates[kept].reset_index(drop=True),
             context.complete[kept])):
        result, error = _attempt(discrete_time_hazard_ratio, left[kept], right[kept],
                                 treated.astype(float), covariates, cut_points=course.cut_points)
        estimate = None if result is None else result.hazard_ratio
        notes = [base + ("; unadjusted" if covariates is None else "; " + context.adjusted_for)]
        if result is not None:
            notes += list(result.caveats)
            if estimate.estimable and (design := _design_note(estimate)):
                notes.append(design)
        used = complete
        rows.append(_row(indicator, estimate, measure="hazard_ratio", method=method,
                         analysis="itt", n_intervention=int((treated & used).sum()),
                         n_comparison=int((~treated & used).sum()), reason=error,
                         events=(int(weaned[treated & used].sum()),
                                 int(weaned[~treated & used].sum())),
                         note="; ".join(notes)))
    return rows


def _interval_censored(indicator: Indicator) -> bool:
    return indicator.time_to_event is not None and indicator.time_to_event.interval_censored


def _survival_effects(context: _Context, indicator: Indicator) -> list[dict[str, Any]]:
    """Crude (unadjusted, log-rank p) and covariate-adjusted Cox hazard ratios, Efron ties;
    for an interval-censored indicator, the discrete-time model instead."""
    course = _course(indicator.id)
    if course.interval_censored:
        return _discrete_time_effects(context, indicator.id)
    time, event, kept = _survival_data(context.population, indicator.id)
    treated = context.treated[kept]
    direction = f"hazard ratio > 1: {course.earlier} in the intervention group"
    e1, e0 = int(event[treated].sum()), int(event[~treated].sum())
    rows = []
    crude, error = _attempt(lambda: cox_hazard_ratio(time, event, treated.astype(float)))
    log_rank, _ = _attempt(lambda: log_rank_test(time, event, treated.astype(int)))
    log_rank_p = None if log_rank is None else log_rank.p_value
    notes = ["unadjusted Cox model (Efron ties)",
             "p: log-rank test" if log_rank_p is not None else "log-rank test not possible",
             direction]
    rows.append(_row(indicator.id, None if crude is None else crude.hazard_ratio,
                     measure="hazard_ratio", method="crude", analysis="itt",
                     n_intervention=int(treated.sum()), n_comparison=int((~treated).sum()),
                     reason=error, events=(e1, e0), p_value=log_rank_p,
                     note="; ".join(n for n in notes if n),
                     flags=() if log_rank_p is None else ("p_log_rank",)))
    complete = context.complete[kept]
    covariates = context.covariates[kept].reset_index(drop=True)
    adjusted, error = _attempt(lambda: cox_hazard_ratio(time, event, treated.astype(float),
                                                        covariates))
    notes = [f"Cox model (Efron ties), {context.adjusted_for}", direction]
    if adjusted is not None and adjusted.ph_test is not None:
        ph = adjusted.ph_test.table
        notes.append(f"proportional-hazards test (Grambsch–Therneau) p = "
                     f"{ph.loc['treatment', 'p_value']:.3g} for treatment, global p = "
                     f"{adjusted.ph_test.global_p_value:.3g}")
    if adjusted is not None and (design := _design_note(adjusted.hazard_ratio)):
        notes.append(design)
    rows.append(_row(indicator.id, None if adjusted is None else adjusted.hazard_ratio,
                     measure="hazard_ratio", method="cox", analysis="itt",
                     n_intervention=int((treated & complete).sum()),
                     n_comparison=int((~treated & complete).sum()), reason=error,
                     events=(int(event[treated & complete].sum()),
                             int(event[~treated & complete].sum())),
                     note="; ".join(n for n in notes if n)))
    return rows


def _with_multiplicity(effects: pd.DataFrame, study: Study) -> pd.DataFrame:
    """Holm across the primary indicators' headline p, Benjamini–Hochberg across the rest.

    The headline of an indicator is the design's own estimate (`pipeline.summary.headline`):
    its ITT row for the whole study and for each intervention area, each area a family of
    its own. `p_adjusted` is empty on every other row.
    """
    effects = effects.copy()
    effects["p_adjusted"] = effects["p_adjusted"].astype("float64")
    wanted = {(i.id, h.method, h.measure) for i in INDICATORS
              for h in [headline(study.design.type, i.kind, _interval_censored(i))]}
    keys = zip(effects["indicator"], effects["method"], effects["measure"], strict=True)
    is_headline = np.array([key in wanted for key in keys], dtype=bool)
    is_headline &= (effects["analysis"].eq("itt") & effects["subgroup"].eq("")).to_numpy(dtype=bool)
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
    return effects


# --------------------------------------------------------------------------- summary


def summary_table(study: Study, effects: pd.DataFrame, cohort: pd.DataFrame,
                  trends: pd.DataFrame, events: pd.DataFrame | None = None) -> pd.DataFrame:
    """One row per indicator and area: the design's headline, its verdict and what was seen.

    See `pipeline.summary` for the rules. The observed columns are the shares in each group
    (for `did` also before the start), never the effect.
    """
    design = study.design.type
    placebo = effects[effects["analysis"].eq("placebo")]
    rows = []
    for area in ("all", *study.design.intervention_areas):
        groups = _rows_in(cohort, DID_GROUPS)
        if area != "all":
            groups = _in_area(groups, area)
        for indicator in INDICATORS:
            row = _summary_row(study, design, indicator, area, effects, groups, placebo)
            if area == "all" and events is not None:
                row["pretrend_joint_p"] = _pretrend_joint_p(events, indicator.id)
            rows.append(row)
    return output_table("summary").frame(rows)


def _pretrend_joint_p(events: pd.DataFrame, indicator: str) -> float | None:
    """The event study's joint test of the pre-start coefficients of an indicator."""
    values = events.loc[events["indicator"].eq(indicator), "pretrend_p"].dropna()
    return float(values.iloc[0]) if len(values) else None


def _summary_row(study: Study, design: str, indicator: Indicator, area: str,
                 effects: pd.DataFrame, groups: pd.DataFrame,
                 placebo: pd.DataFrame) -> dict[str, Any]:
    chosen = headline(design, indicator.kind, _interval_censored(indicator))
    mine = effects[effects["indicator"].eq(indicator.id) & effects["area"].eq(area)
                   & effects["analysis"].eq("itt") & effects["subgroup"].eq("")]
    row_of = {(m, k): r for m, k, r in zip(mine["method"], mine["measure"],
                                            mine.to_dict("records"), strict=True)}
    head = row_of.get((chosen.method, chosen.measure))
    row: dict[str, Any] = {"indicator": indicator.id, "area": area, "kind": indicator.kind,
                           "primary": indicator.id in study.primary_indicators,
                           "analysis": "itt", "method": chosen.method, "measure": chosen.measure,
                           "design": design}
    caveats = []
    if head is None:
        row |= {"verdict": "not_estimable", "reason": "not_estimable",
                "reason_detail": "the design's estimate was not computed"}
    else:
        for column in ("estimate", "ci_low", "ci_high", "p_value", "p_adjusted", "multiplicity",
                       "n_intervention", "n_comparison", "n_areas_intervention",
                       "n_areas_comparison", "adjusted", "p_randomisation", "p_floor",
                       "p_placebo", "p_placebo_floor"):
            row[column] = head.get(column)
        row["verdict"], row["reason"] = verdict(head["estimate"], head["ci_low"],
                                                head["ci_high"], head["p_adjusted"],
                                                chosen.measure)
        if row["verdict"] == "not_estimable":
            row["reason_detail"] = head.get("note", "")
        if design == "did":
            caveats += _did_caveats(head)
            floor = head.get("p_floor")
            if row["verdict"] in ("higher", "lower") and floor is not None and pd.notna(floor) \
                    and floor > ALPHA:
                # the design cannot support a significance claim, whatever the model says
                row["verdict"], row["reason"] = "unclear", "design_cannot_reach_significance"
    if chosen.sensitivity_method is not None:
        check = row_of.get((chosen.sensitivity_method, chosen.sensitivity_measure))
        if check is not None:
            row |= {"sensitivity_method": chosen.sensitivity_method,
                    "sensitivity_estimate": check["estimate"],
                    "sensitivity_ci_low": check["ci_low"], "sensitivity_ci_high": check["ci_high"]}
    if design == "did":
        check = row_of.get(("logistic_did", "did"))
        if check is not None:
            row |= {"logistic_estimate": check["estimate"], "logistic_ci_low": check["ci_low"],
                    "logistic_ci_high": check["ci_high"]}
        without = effects[effects["indicator"].eq(indicator.id) & effects["area"].eq(area)
                          & effects["analysis"].eq("no_pandemic")]
        if not without.empty:
            check = without.iloc[0]
            row |= {"no_pandemic_estimate": check["estimate"],
                    "no_pandemic_ci_low": check["ci_low"], "no_pandemic_ci_high": check["ci_high"]}
        pre = placebo[placebo["indicator"].eq(indicator.id) & placebo["area"].eq(area)]
        if not pre.empty:
            test = pre.iloc[0]
            row |= {"pretrend_estimate": test["estimate"], "pretrend_ci_low": test["ci_low"],
                    "pretrend_ci_high": test["ci_high"], "pretrend_p": test["p_value"]}
            if pd.notna(test["p_value"]) and test["p_value"] < PRE_TREND_ALPHA:
                caveats.append("pre_trends_differ")
    row |= _observed(groups, indicator, design)
    if design == "did" and indicator.stable_parts and did_outcome(groups, indicator.id)[2]:
        caveats.append("stable_definition")
    if min(row["n_denominator_intervention"], row["n_denominator_comparison"]) < FEW_CHILDREN:
        caveats.append("few_children")
    row["caveats"] = ";".join(caveats)
    return row


def _did_caveats(head: dict[str, Any]) -> list[str]:
    caveats = []
    treated, comparison = head.get("n_areas_intervention"), head.get("n_areas_comparison")
    if pd.notna(treated) and pd.notna(comparison):
        floor = head.get("p_floor")
        if min(treated, comparison) < 2:
            caveats.append("one_area_in_arm")
        elif min(treated, comparison) < RELIABLE_AREAS_PER_ARM:
            # no method gives a reliable interval when not even a randomisation test over
            # the areas can reach 5 %; with more areas only the few treated ones make it shaky
            reachable = floor is not None and pd.notna(floor) and floor <= ALPHA
            caveats.append("few_treated_areas" if reachable else "very_few_areas")
        elif treated + comparison < 30:
            caveats.append("few_areas")
    if pd.notna(head.get("estimate")) and (pd.isna(head.get("ci_low"))
                                           or pd.isna(head.get("ci_high"))):
        flags = str(head.get("flags") or "").split(";")
        caveats.append("interval_unbounded" if "interval_unbounded" in flags else "no_interval")
    return caveats


def _observed(groups: pd.DataFrame, indicator: Indicator, design: str) -> dict[str, Any]:
    """Denominator, events and share per group: what was seen (not the effect)."""
    if design == "did":  # as the DiD defines it, the same before and after the start
        y, inside, _ = did_outcome(groups, indicator.id)
    elif indicator.time_to_event is not None:
        y, inside = landmark_outcome(groups, indicator.id)
    else:
        y, inside = binary_outcome(groups, indicator.id)
    names = DID_GROUPS if design == "did" else GROUPS
    found: dict[str, Any] = {}
    group_of = groups["group"].astype("string").fillna("").to_numpy(dtype=object)
    for name in names:
        in_group = inside & (group_of == name)
        n, events = int(in_group.sum()), int(np.nansum(y[in_group]))
        found[f"n_denominator_{name}"] = n
        found[f"events_{name}"] = events
        found[f"proportion_{name}"] = events / n if n else None
    return found


def _placebo_rows(context: _Context, did_cells: pd.DataFrame, study: Study,
                  indicator: Indicator) -> list[dict[str, Any]]:
    """A placebo DiD among children born before the start: a fake start halfway through.

    Parallel trends cannot be tested after the start, but a DiD between the earlier and the
    later pre-start cohorts should be near 0; one whose interval excludes 0 makes the
    design's estimate doubtful.
    """
    fake_start = placebo_start(study)

    def before_start() -> pd.DataFrame:
        pre = did_cells[did_cells["did_period"].astype("string").eq("pre").fillna(False)
                        .to_numpy(dtype=bool)].reset_index(drop=True)
        return pre.assign(did_period=np.where(pre["birth_date"] >= fake_start, "post", "pre"))

    placebo = context.did_subset("placebo", did_cells, before_start)
    if placebo is None:
        return []
    row = _did_row(context, placebo, indicator.id)
    row["analysis"] = "placebo"
    row["note"] = (f"placebo: children born before the start, fake start {fake_start.date()} "
                   f"(halfway); {row['note']}")
    row["area"] = context.area
    return [row]


# Births in the COVID-19 pandemic years: child health services changed their visits, and
# vaccination and breastfeeding support with them, in every area at once.
PANDEMIC_BIRTHS = (pd.Timestamp("2020-01-01"), pd.Timestamp("2021-12-31"))


def _without_pandemic(context: _Context, did_cells: pd.DataFrame,
                      indicator: Indicator) -> list[dict[str, Any]]:
    """The DiD again without the children born in 2020–2021 (sensitivity, analysis
    `no_pandemic`); not estimable, with the reason, when a period has no other births.

    Only the group sizes are published with it: its event counts would differ from the
    main DiD's by the pandemic-born children's."""
    def outside_pandemic() -> pd.DataFrame:
        birth = pd.to_datetime(did_cells["birth_date"])
        return did_cells[~birth.between(*PANDEMIC_BIRTHS).to_numpy(dtype=bool)].reset_index(
            drop=True)

    cells = context.did_subset("no_pandemic", did_cells, outside_pandemic)
    if cells is None:
        return []
    row = _did_row(context, cells, indicator.id)
    row["analysis"] = "no_pandemic"
    row["events_intervention"] = row["events_comparison"] = None
    row["note"] = f"sensitivity: children born in 2020–2021 left out; {row['note']}"
    return [row]


def _with_filled_windows(context: _Context, did_cells: pd.DataFrame,
                         indicator: Indicator) -> list[dict[str, Any]]:
    """A breastfeeding point's DiD again with the points that a child's other assessments
    determine filled in (`<id>_filled`; sensitivity, analysis `filled_windows`): if families
    skip a visit for a reason (weaned, they stop coming), the filled values are the better
    guess; if at random, the unfilled ones. Group sizes only, as for `no_pandemic`."""
    filled = f"{indicator.id}_filled"
    if filled not in did_cells.columns or not did_cells[filled].notna().any():
        return []
    cells = did_cells.assign(**{indicator.id: did_cells[indicator.id].astype("boolean")
                                .fillna(did_cells[filled].astype("boolean"))})
    row = _did_row(context, _DidCells(cells, context), indicator.id)
    count = int((did_cells[indicator.id].isna() & did_cells[filled].notna()).sum())
    row["analysis"] = "filled_windows"
    row["events_intervention"] = row["events_comparison"] = None
    row["note"] = (f"sensitivity: {count} points without an assessment in the window filled "
                   f"from the child's other assessments; {row['note']}")
    return [row]


MI_IMPUTATIONS = 10


def _multiple_imputation(context: _Context, did: _DidCells | None,
                         indicator: Indicator) -> list[dict[str, Any]]:
    """The headline again with missing covariates multiply imputed (sensitivity, analysis
    `multiple_imputation`): chained equations with the outcome, arm, area and (design `did`)
    birth half-year in every imputation model, MI_IMPUTATIONS data sets, Rubin's rules. Design
    `did`: the adjusted DiD's coefficient and its SE (clustered by area, never below the
    child level; t with areas - 1 df); other designs: the regression ATT risk difference.
    Only for primary indicators (it refits the model on every data set); nothing when no
    covariate is missing. Group sizes only, as for `no_pandemic`."""
    if indicator.kind != "binary" and did is None:
        return []
    frame = context.population if did is None else did.cells
    covariates = context.covariates if did is None else did.covariates
    if did is None:
        y, inside = binary_outcome(frame, indicator.id)
        arm = context.treated.astype(float)
    else:
        y, inside, _ = did_outcome(frame, indicator.id)
        arm = did.treated_area * did.post
    covariates = covariates[inside].reset_index(drop=True)
    if not covariates.isna().any().any():
        return []
    area = frame["area"].astype("string").fillna("").to_numpy(dtype=object)[inside]
    auxiliary = pd.DataFrame({"outcome": y[inside], "arm": arm[inside],
                              "area": pd.Series(area, dtype="string").astype("category")})
    if did is not None:  # a two-group design has no periods
        auxiliary["period"] = pd.Series(did.half_year[inside], dtype="string").astype("category")
    imputed, error = _attempt(impute_covariates, covariates, auxiliary, m=MI_IMPUTATIONS)
    estimates, variances, df = [], [], None
    for completed in imputed or []:
        if did is None:
            fit, fit_error = _attempt(logistic_adjusted_effects, y[inside],
                                      context.treated[inside].astype(float), completed,
                                      estimand="ATT")
            result = None if fit is None else fit.risk_difference
        else:
            fit, fit_error = _attempt(difference_in_differences, y[inside],
                                      did.treated_area[inside], did.post[inside],
                                      did.area[inside], completed, area_effects=True,
                                      period_effects=did.half_year[inside],
                                      wild_bootstrap=False)
            result, df = None, None
            if fit is not None and fit.clustered.estimable:
                result = at_least_child_level(fit.clustered, fit.heteroskedasticity_robust)
                df = fit.n_clusters - 1
            elif fit is not None:  # one area in an arm: the labelled child-level fallback
                result = fit.heteroskedasticity_robust
        if result is None or not result.estimable or result.details.get("se") is None:
            error = fit_error or (result.reason if result is not None else "not estimable")
            break
        estimates.append(result.estimate)
        variances.append(result.details["se"] ** 2)
    estimate = None
    if len(estimates) == MI_IMPUTATIONS:
        pooled = pool_rubin(estimates, variances, n=df)
        estimate = Estimate("did" if did is not None else "risk_difference",
                            "multiple_imputation", pooled.estimate, pooled.ci_low,
                            pooled.ci_high, pooled.p_value, n=int(inside.sum()))
    treated = (did.treated_area if did is not None else context.treated.astype(float))[inside]
    missing = int(covariates.isna().any(axis=1).sum())
    row = _row(indicator.id, estimate, measure="did" if did is not None else "risk_difference",
               method="did" if did is not None else "regression",
               analysis="multiple_imputation", n_intervention=int((treated == 1).sum()),
               n_comparison=int((treated == 0).sum()),
               reason=None if estimate is not None else f"not estimable: {error}",
               note=(f"sensitivity: {missing} children with a missing covariate kept, covariates "
                     f"imputed {MI_IMPUTATIONS} times by chained equations (outcome, arm, area "
                     "and birth half-year in every imputation model), Rubin's rules; the main "
                     "analysis leaves them out"))
    return [row]


def missing_data_table(study: Study, cohort: pd.DataFrame) -> pd.DataFrame:
    """Missing values of each indicator and covariate by arm and period (SPEC §7).

    An indicator counts the children followed up to its age (its denominator and those
    missing only for want of an assessment: `no_assessment`); a covariate counts every child
    of the group. `arm` is the area's arm, `period` before or after the start.
    """
    groups = _rows_in(cohort, DID_GROUPS if study.design.type == "did" else GROUPS)
    arm = np.where(groups["group"].astype("string").str.startswith("intervention")
                   .fillna(False).to_numpy(dtype=bool), "intervention", "comparison")
    period = np.where(groups["group"].astype("string").str.endswith("_pre").fillna(False)
                      .to_numpy(dtype=bool), "pre", "post")
    frame = pd.DataFrame({"arm": arm, "period": period})
    tables = []
    for indicator in INDICATORS:
        if indicator.kind != "binary":
            continue
        if indicator.id not in groups.columns:
            continue
        followed = groups[indicator.id].notna()
        if f"{indicator.id}_excluded" in groups.columns:
            excluded = groups[f"{indicator.id}_excluded"].astype("string")
            followed |= excluded.eq("no_assessment").fillna(False)
        part = frame[followed.to_numpy(dtype=bool)].assign(
            **{indicator.id: groups.loc[followed.to_numpy(dtype=bool), indicator.id].to_numpy()})
        tables.append(missingness_table(part, [indicator.id], ["arm", "period"])
                      .assign(kind="indicator"))
    names = [name for name in study.covariates if name in groups.columns]
    if names:
        tables.append(missingness_table(frame.assign(**{n: groups[n].to_numpy() for n in names}),
                                        names, ["arm", "period"]).assign(kind="covariate"))
    rows = [r for table in tables for r in table.to_dict("records")]
    return output_table("missing_data").frame(rows)


def placebo_start(study: Study) -> pd.Timestamp:
    """The fake start of the placebo DiD: halfway between born_from and the programme start."""
    start, first = pd.Timestamp(study.design.programme_start), pd.Timestamp(study.design.born_from)
    return (first + (start - first) / 2).normalize()


# --------------------------------------------------------------------------- trends and design


def trends_table(cohort: pd.DataFrame, study: Study) -> pd.DataFrame:
    """Each indicator's share by birth half-year in intervention and comparison areas.

    For the parallel-trends figure: every child in the study (both periods), by the area
    arm (`area_group`) and the half-year of birth; survival indicators at their landmark.
    Half-years are counted from the programme start (`half_year_bins`), so no half-year mixes
    children born before and after it; `half_year` is its first month ("2020-09").
    """
    in_study = cohort[cohort["in_study"].fillna(False).to_numpy(dtype=bool)].reset_index(drop=True)
    programme_start = pd.Timestamp(study.design.programme_start)
    start = half_year_bins(pd.to_datetime(in_study["birth_date"]), programme_start)
    label = start.dt.strftime("%Y-%m")
    arm = in_study["area_group"].astype("string").fillna("")
    rows = []
    for indicator in INDICATORS:
        if study.design.type == "did":  # as the DiD defines it
            y, inside, _ = did_outcome(in_study, indicator.id)
        elif indicator.time_to_event is not None:
            y, inside = landmark_outcome(in_study, indicator.id)
        else:
            y, inside = binary_outcome(in_study, indicator.id)
        frame = pd.DataFrame({"arm": arm, "half_year": label, "start": start, "y": y})[inside]
        for (arm_name, half_year, first_day), cell in frame.groupby(
                ["arm", "half_year", "start"], sort=True):
            if not arm_name:
                continue
            n, events = len(cell), int(cell["y"].sum())
            share = proportion(events, n)
            rows.append({"indicator": indicator.id, "arm": arm_name, "half_year": half_year,
                         "half_year_start": first_day.date().isoformat(),
                         "period": "post" if first_day >= programme_start else "pre",
                         "n": n, "events": events, "proportion": share.estimate,
                         "ci_low": share.ci_low, "ci_high": share.ci_high})
    return output_table("trends").frame(rows)


def half_year_bins(birth: pd.Series, programme_start: pd.Timestamp) -> pd.Series:
    """The first day of each birth's six-month bin, bins counted from the programme start.

    A bin starts on the start date plus a multiple of six months (before or after it), so a
    bin holds children born either all before or all after the start.
    """
    months = (birth.dt.year - programme_start.year) * 12 + (birth.dt.month - programme_start.month)
    k = np.floor_divide(months.to_numpy(), 6)

    def firsts(bins: np.ndarray) -> np.ndarray:
        unique, where = np.unique(bins, return_inverse=True)
        days = [programme_start + pd.DateOffset(months=int(6 * i)) for i in unique]
        return np.array(days, dtype="datetime64[ns]")[where]

    first = firsts(k)
    early = birth.to_numpy() < first  # born in the bin's first month before the start's day
    k[early] -= 1
    return pd.Series(firsts(k), index=birth.index)


def design_table(cohort: pd.DataFrame, study: Study) -> pd.DataFrame:
    """Who is compared with whom: children in the design's groups per area and period."""
    design = study.design
    grouped = cohort[cohort["group"].notna().to_numpy(dtype=bool)]
    first, start = pd.Timestamp(design.born_from), pd.Timestamp(design.programme_start)
    last = pd.Timestamp(design.born_to)
    rows = []
    for arm, areas in (("intervention", design.intervention_areas),
                       ("comparison", design.comparison_areas)):
        for area in areas:
            for period, born_from, born_to in (("pre", first, start - pd.Timedelta(days=1)),
                                               ("post", start, last)):
                cell = grouped[grouped["area"].astype("string").eq(area).fillna(False).to_numpy(
                    dtype=bool) & grouped["period"].astype("string").eq(period).fillna(
                    False).to_numpy(dtype=bool)]
                if cell.empty and not _period_in_design(design.type, arm, period):
                    continue
                rows.append({"arm": arm, "area": area, "period": period,
                             "born_from": born_from.date().isoformat(),
                             "born_to": born_to.date().isoformat(),
                             "group": cell["group"].iloc[0] if len(cell) else "",
                             "children": len(cell)})
    return output_table("design").frame(rows)


def _period_in_design(design: str, arm: str, period: str) -> bool:
    """Whether an arm x period cell belongs to the design's comparison at all."""
    if design == "did":
        return True
    if design == "concurrent":
        return period == "post"
    return arm == "intervention"  # historical: the intervention areas before and after


# --------------------------------------------------------------------------- balance


def balance_table(context: _Context) -> pd.DataFrame:
    """WWC standardised differences and Austin SMDs per covariate (level), before and after."""
    treated = context.treated
    weights, reason = None, None
    try:
        scores = propensity_scores(treated.astype(float), context.covariates)
        usable = ~np.isnan(scores)
        weights = np.full(len(treated), np.nan)
        weights[usable] = iptw_weights(treated[usable], scores[usable], "ATT")
    except NotEstimable as error:
        reason = f"no weights: {error}"
    rows = []
    for name in context.covariate_names:
        column = context.covariates[name]
        if isinstance(column.dtype, pd.CategoricalDtype):
            present = column.notna().to_numpy()
            pieces = [(str(level), np.where(present, (column == level).to_numpy(dtype=float),
                                            np.nan), True) for level in column.cat.categories]
        else:
            values = column.to_numpy(dtype=float)
            observed = values[~np.isnan(values)]
            is_binary = bool(np.isin(observed, (0.0, 1.0)).all())
            pieces = [("true" if is_binary else "", values, is_binary)]
        for level, values, binary in pieces:
            rows.append(_balance_row(name, level, values, binary, treated, weights, reason)
                        | {"area": context.area})
    return output_table("balance").frame(rows)


def _balance_row(name: str, level: str, values: np.ndarray, binary: bool, treated: np.ndarray,
                 weights: np.ndarray | None, reason: str | None) -> dict[str, Any]:
    x1, x0 = values[treated], values[~treated]
    before = baseline_difference(x1, x0, binary=binary)
    smd_before = standardised_mean_difference(x1, x0, binary=binary)
    after = smd_after = None
    notes = [] if before.estimable else [f"before: {before.reason}"]
    if weights is not None:
        # Children without a propensity score (missing covariates) carry weight 0 after.
        w = np.nan_to_num(weights, nan=0.0)
        w1, w0 = w[treated], w[~treated]
        after = baseline_difference(x1, x0, w1, w0, binary=binary)
        smd_after = standardised_mean_difference(x1, x0, w1, w0, binary=binary)
        if not after.estimable:
            notes.append(f"after: {after.reason}")
    elif reason:
        notes.append(reason)
    return {
        "covariate": name, "level": level,
        "measure": "cox_index" if binary else "hedges_g",
        "value_before": before.estimate,
        "value_after": None if after is None else after.estimate,
        "smd_before": smd_before.estimate,
        "smd_after": None if smd_after is None else smd_after.estimate,
        "rating_before": before.details.get("rating", "not_estimable"),
        "rating_after": "not_estimable" if after is None else after.details.get(
            "rating", "not_estimable"),
        "n_intervention": int((~np.isnan(x1)).sum()), "n_comparison": int((~np.isnan(x0)).sum()),
        "note": "; ".join(notes),
        # children with the level: published so that small-cell suppression can protect them
        "n_level_intervention": int(np.nansum(x1)) if binary else None,
        "n_level_comparison": int(np.nansum(x0)) if binary else None,
    }


# --------------------------------------------------------------------------- survival


def survival_table(population: pd.DataFrame) -> pd.DataFrame:
    """Curve points on a grid, medians and the log-rank test for each survival indicator."""
    rows: list[dict[str, Any]] = []
    for indicator in (i for i in INDICATORS if i.time_to_event is not None):
        course = indicator.time_to_event
        grid = np.asarray(course.grid)
        time, event, kept = _survival_data(population, indicator.id)
        groups = population["group"].to_numpy(dtype=object)[kept]
        for group in GROUPS:
            in_group = groups == group
            if course.interval_censored:
                rows += _turnbull_rows(population[kept][in_group], indicator.id, group, grid)
            else:
                rows += _km_rows(indicator.id, time[in_group], event[in_group], group, grid)
        log_rank, error = _attempt(lambda: log_rank_test(time, event, groups))  # noqa: B023
        note = "log-rank test" + (" on midpoint-imputed weaning ages (approximation)"
                                  if course.interval_censored else "")
        if log_rank is not None and log_rank.p_value is None:
            error = log_rank.reason
        rows.append({"indicator": indicator.id, "group": "all", "statistic": "log_rank",
                     "p_value": None if log_rank is None else log_rank.p_value,
                     "n": int(len(time)), "method": "log_rank",
                     "note": note if error is None else f"{note}: {error}"})
    return output_table("survival").frame(rows)


def _km_rows(indicator: str, time: np.ndarray, event: np.ndarray, group: str,
             grid: np.ndarray) -> list[dict[str, Any]]:
    curve = kaplan_meier(time, event)
    points = curve.at_risk(grid) if len(time) else pd.DataFrame(
        {"time": grid, "survival": np.nan, "ci_low": np.nan, "ci_high": np.nan, "at_risk": 0})
    event_times = np.sort(time[event == 1])
    cumulative_events = np.searchsorted(event_times, grid, side="right")
    frame = points.assign(indicator=indicator, group=group, statistic="km_point",
                          events=cumulative_events, n=len(time), method="kaplan_meier",
                          note="events: cumulative up to time; interval log-log pointwise")
    rows = frame.to_dict("records")
    median = curve.median
    rows.append({"indicator": indicator, "group": group, "statistic": "median",
                 "time": median.estimate, "ci_low": median.ci_low, "ci_high": median.ci_high,
                 "n": len(time), "events": curve.events, "method": "kaplan_meier",
                 "note": "median age in days (Brookmeyer–Crowley interval)"
                 if median.estimable else median.reason})
    return rows


def _turnbull_rows(frame: pd.DataFrame, indicator: str, group: str,
                   grid: np.ndarray) -> list[dict[str, Any]]:
    left, right = _interval_bounds(frame, indicator)
    fitted = turnbull(left, right)
    base = {"indicator": indicator, "group": group, "n": len(left), "method": "turnbull"}
    rows = []
    if len(left):
        bounds = fitted.survival_at(grid)
        weaned_by = np.searchsorted(np.sort(right[~np.isnan(right)]), grid, side="right")
        known_breastfed = len(left) - np.searchsorted(np.sort(left), grid, side="left")
        for i, t in enumerate(grid):
            low, high = bounds["survival_lower"].iloc[i], bounds["survival_upper"].iloc[i]
            rows.append(base | {
                "statistic": "turnbull_point", "time": float(t), "survival": (low + high) / 2,
                "survival_lower": low, "survival_upper": high,
                "at_risk": int(known_breastfed[i]), "events": int(weaned_by[i]),
                "note": "survival: midpoint of the NPMLE bounds; at_risk: children known "
                        "breastfed at this age; events: known weaned by this age; no interval"})
    median = fitted.median
    rows.append(base | {"statistic": "median", "time": median.estimate, "events": median.events,
                        "note": "median weaning age in days: midpoint of the interval the NPMLE "
                                "places it in; no interval" if median.estimable else median.reason})
    return rows


# --------------------------------------------------------------------------- power


def power_table(population: pd.DataFrame, named_difference: float,
                study: Study | None = None) -> pd.DataFrame:
    """Minimum detectable difference (80% power, two-sided 5%) and n for a named difference.

    `mdd`/`n_per_group_needed` count children as independent; the programme is assigned by
    area, so with a study the `*_areas` columns plan with areas as clusters
    (`minimum_detectable_did`, analytic, area-level t test): the intra-area correlation is
    estimated from the data (children after the start, by area; truncated at 0), children per
    area is the mean per area and period, and the cluster autocorrelation across periods is
    the planning default (0.8). With few areas that answer is the honest one.
    """
    treated = population["group"].eq("intervention").to_numpy(dtype=bool)
    rows = []
    for indicator in (i.id for i in INDICATORS if i.kind == "binary"):
        y, inside = binary_outcome(population, indicator)
        e1, n1, e0, n0 = _group_counts(y[inside], treated[inside])
        row: dict[str, Any] = {"indicator": indicator, "n_intervention": n1, "n_comparison": n0,
                               "difference_named": named_difference}
        notes = []
        if n0 == 0:
            rows.append(row | {"note": "no children in the comparison group: no baseline "
                                       "proportion to plan from"})
            continue
        p0 = e0 / n0
        row["p_comparison"] = p0
        detectable = minimum_detectable_difference(p0, n1, n0)
        row["mdd"], row["mdd_decrease"] = detectable.increase, detectable.decrease
        if detectable.reason:
            notes.append(detectable.reason)
        difference = named_difference if p0 + named_difference <= 1 else -named_difference
        if difference != named_difference:
            notes.append(f"p_comparison + {named_difference:g} exceeds 1: sample size is for a "
                         f"fall of {named_difference:g}")
        needed, error = _attempt(lambda: sample_size_two_proportions(p0, difference))  # noqa: B023
        if needed is not None:
            row["n_per_group_needed"] = needed.n_comparison
            row["n_per_group_needed_corrected"] = needed.n_comparison_corrected
            notes.append("equal groups; corrected: Fleiss–Tytun–Ury continuity correction")
        else:
            notes.append(f"sample size {error}")
        if study is not None:
            row |= _cluster_power(study, population, y, inside, p0, difference, notes)
        rows.append(row | {"note": "; ".join(notes)})
    return output_table("power").frame(rows)


def _cluster_power(study: Study, population: pd.DataFrame, y: np.ndarray, inside: np.ndarray,
                   p0: float, difference: float, notes: list[str]) -> dict[str, Any]:
    """The minimum detectable difference and areas needed with areas as clusters."""
    design = "did" if study.design.type == "did" else "concurrent"
    areas_1, areas_0 = len(study.design.intervention_areas), len(study.design.comparison_areas)
    if study.design.type == "historical" or min(areas_1, areas_0) < 1:
        return {}
    area = population["area"].astype("string").fillna("").to_numpy(dtype=object)
    known = inside & (area != "")
    try:
        icc = estimate_icc(y[known], area[known]).icc
    except NotEstimable as error:
        notes.append(f"no intra-area correlation: {error}")
        return {}
    per_area = float(np.bincount(pd.factorize(area[known])[0]).mean())
    found: dict[str, Any] = {"icc": icc, "children_per_area": per_area}
    if areas_1 + areas_0 < 3:  # the area-level t test has areas - 2 degrees of freedom
        notes.append(f"with areas as clusters: {areas_1} + {areas_0} areas leave the area-level "
                     "test no degrees of freedom")
        return found
    detectable = minimum_detectable_did(p0, areas_1, areas_0, per_area, icc, design=design)
    if detectable is not None:
        found["mdd_areas"], found["mdd_decrease_areas"] = detectable.increase, detectable.decrease
        if detectable.reason:
            notes.append(f"with areas as clusters: {detectable.reason}")
    needed = None
    if 0 <= p0 + difference <= 1:
        needed = areas_needed(p0, difference, per_area, icc, design=design)
    if needed is not None:
        found["areas_per_arm_needed"] = needed.areas_intervention_needed
        if needed.reason:
            notes.append(f"areas needed: {needed.reason}")
    notes.append(f"areas as clusters: {areas_1} + {areas_0} areas, intra-area correlation "
                 f"{icc:.3f} (estimated), cluster autocorrelation {DEFAULT_CAC} (planning value)")
    return found
