"""Stage 4, compare: effects, balance, survival curves, dose-response and power (SPEC §7, §9).

`compare(study, cohort)` is a pure function of the cohort table; it returns tidy tables:

- `effects` — one row per indicator × analysis × subgroup × measure × method. Columns of
  SPEC §9 first, then `analysis` (itt | per_protocol | dose_response | subgroup),
  `subgroup` ("" or e.g. "mother_region=outside_europe"), `p_interaction`, `multiplicity`
  (which family `p_adjusted` belongs to), and the events behind the row.
- `balance` — standardised differences per covariate (level) before and after IPTW.
- `survival` — Kaplan–Meier / Turnbull curve points on a grid, medians, log-rank tests.
- `dose_response` — outcome proportions by bands of contacts received (accepting families).
- `power` — minimum detectable difference and sample size for a named difference.

Decisions (documented here because the report's methods appendix follows them):

- Population: children whose `group` is intervention or comparison (the design's primary
  contrast). A binary indicator's NA means "outside its denominator": excluded.
- Methods per indicator kind. Binary: crude (risk difference, risk ratio, odds ratio;
  p = Fisher's exact test when an expected count is < 5, else chi-square), regression
  (adjusted odds ratio; marginal risk difference standardised to the intervention group,
  ATT), iptw (ATT risk difference, robust SE) and — design `did` only — did. Survival:
  crude (unadjusted Cox hazard ratio with the log-rank p) and cox (covariate-adjusted,
  Efron ties, the proportional-hazards test in `note`). Designs `concurrent` and
  `historical` emit no did rows: there the primary contrast is the only one.
- DiD (design `did`): linear probability model area × period, adjusted for the study's
  covariates (composition changes between periods), SEs clustered by area; with fewer
  than 30 areas the wild cluster bootstrap p (restricted, Webb weights) is `p_value` and
  the cluster-robust t p is in `note`; with a single area in an arm the labelled HC1
  fallback is given. `n_intervention`/`n_comparison` count both periods.
- `bf_duration` is interval-censored. Its curve is Turnbull's NPMLE; its hazard ratios
  come from Cox models on midpoint-imputed weaning ages (right-censored at the last
  assessment still breastfed) — an approximation, said so in `note`.
- Multiplicity: one headline p per indicator — the ITT crude test (binary: the
  Fisher/chi-square p on the crude risk-difference row; survival: the log-rank p on the
  crude hazard-ratio row). Holm across the study's primary indicators, Benjamini–Hochberg
  across the others; `p_adjusted` is empty on every other row.
- Per-protocol: intervention-group children whose family accepted vs the comparison
  group; crude and regression risk differences.
- Dose-response: among accepting families in the intervention group, a logistic slope on
  `contacts_received` (odds ratio per additional contact, covariate-adjusted). Contacts
  are counted over the whole follow-up, also after the outcome's age, so the slope is
  partly a marker of engagement rather than a dose effect.
- Equity: subgroup rows (analysis `subgroup`) hold crude risk differences within each
  level of mother's region of birth — grouped sweden_nordic / europe / outside_europe,
  since Nordic-born mothers are few — and of education; `p_interaction` is the
  likelihood-ratio test of treatment × subgroup in a logistic model (unadjusted, like
  the crude differences it qualifies).
- Covariates: the study's, with mother's region grouped as for equity; children with a
  missing covariate drop out of the adjusted analyses (counted in `note`).
- Small samples: whatever a method cannot estimate becomes a `note` with empty estimate
  and interval; every row carries the children it rests on.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pandas as pd

from pipeline.config import Study
from pipeline.indicators import INDICATORS, Indicator
from pipeline.stats.balance import baseline_difference, standardised_mean_difference
from pipeline.stats.did import difference_in_differences
from pipeline.stats.effects import compare_proportions
from pipeline.stats.multiplicity import benjamini_hochberg, holm
from pipeline.stats.power import minimum_detectable_difference, sample_size_two_proportions
from pipeline.stats.proportions import proportion
from pipeline.stats.regression import interaction_test, logistic_adjusted_effects, logistic_slope
from pipeline.stats.results import Estimate, NotEstimable
from pipeline.stats.survival import (
    cox_hazard_ratio,
    kaplan_meier,
    log_rank_test,
    turnbull,
)
from pipeline.stats.weighting import iptw_effect, iptw_weights, propensity_scores

GROUPS = ("intervention", "comparison")
DID_GROUPS = ("intervention", "comparison", "intervention_pre", "comparison_pre")
DEFAULT_NAMED_DIFFERENCE = 0.05

EFFECT_COLUMNS = [
    "indicator", "measure", "method", "estimate", "ci_low", "ci_high", "p_value", "p_adjusted",
    "n_intervention", "n_comparison", "note", "analysis", "subgroup", "p_interaction",
    "multiplicity", "events_intervention", "events_comparison",
]
BALANCE_COLUMNS = [
    "covariate", "level", "measure", "value_before", "value_after", "smd_before", "smd_after",
    "rating_before", "rating_after", "n_intervention", "n_comparison", "note",
    "n_level_intervention", "n_level_comparison",
]
SURVIVAL_COLUMNS = [
    "indicator", "group", "statistic", "time", "survival", "ci_low", "ci_high", "at_risk",
    "events", "survival_lower", "survival_upper", "p_value", "n", "method", "note",
]
POWER_COLUMNS = [
    "indicator", "p_comparison", "n_intervention", "n_comparison", "mdd", "mdd_decrease",
    "difference_named", "n_per_group_needed", "n_per_group_needed_corrected", "note",
]
DOSE_COLUMNS = [
    "indicator", "contacts_band", "contacts_min", "contacts_max", "n", "events", "proportion",
    "ci_low", "ci_high",
]

# Mother's region of birth for equity rows: Nordic-born mothers (outside Sweden) are few in
# every study area, so they are grouped with Swedish-born mothers.
REGION_GROUPS = {"sweden": "sweden_nordic", "nordic": "sweden_nordic", "europe": "europe",
                 "outside_europe": "outside_europe"}
SUBGROUP_VARIABLES = ("mother_region", "education")

# Survival curve grids (days): MMR is due at 18 months; breastfeeding is assessed up to 12
# months (window to 426 days), after which the Turnbull bounds say nothing.
SURVIVAL_GRIDS = {"vacc_mmr1_age": np.arange(0, 901, 30), "bf_duration": np.arange(0, 451, 15)}
MIDPOINT_NOTE = ("approximation: Cox model on midpoint-imputed weaning ages (weaning between "
                 "the last 'breastfed' and the first 'weaned' assessment, taken at the midpoint; "
                 "right-censored at the last assessment still breastfed); treats imputed ages "
                 "as exact, so the interval is too narrow")

OPEN_ENDED = 1_000_000  # upper end of the last band of contacts received

# Exceptions a statistical method may raise on degenerate input; they become notes.
_METHOD_ERRORS = (NotEstimable, ValueError, ZeroDivisionError, np.linalg.LinAlgError)


def compare(study: Study, cohort: pd.DataFrame,
            named_difference: float | None = None) -> dict[str, pd.DataFrame]:
    """All comparison tables for a study's cohort; see the module docstring for the methods.

    `named_difference` (for the power table) defaults to the study's `power_difference`
    setting when it has one, else 0.05.
    """
    if named_difference is None:
        named_difference = getattr(study, "power_difference", None) or DEFAULT_NAMED_DIFFERENCE
    population = _rows_in(cohort, GROUPS)
    context = _Context(study, population)
    did = _DidCells(_rows_in(cohort, DID_GROUPS), context) if study.design.type == "did" else None
    rows: list[dict[str, Any]] = []
    dose_tables = []
    for indicator in INDICATORS:
        if indicator.kind == "binary":
            rows += _binary_itt(context, indicator.id)
            if did is not None:
                rows.append(_did_row(context, did, indicator.id))
            rows += _per_protocol(context, indicator.id)
            dose_row, dose_table = _dose_response(context, indicator.id)
            rows.append(dose_row)
            dose_tables.append(dose_table)
            rows += _subgroups(context, indicator.id)
        else:
            rows += _survival_effects(context, indicator)
    effects = _with_multiplicity(_frame(rows, EFFECT_COLUMNS), study.primary_indicators)
    return {
        "effects": effects,
        "balance": balance_table(context),
        "survival": survival_table(population),
        "dose_response": _frame([r for t in dose_tables for r in t], DOSE_COLUMNS),
        "power": power_table(population, named_difference),
    }


def _rows_in(cohort: pd.DataFrame, groups: Sequence[str]) -> pd.DataFrame:
    """The cohort's children whose `group` is one of `groups`, renumbered from 0."""
    keep = cohort["group"].isin(groups).fillna(False).to_numpy(dtype=bool)
    return cohort[keep].reset_index(drop=True)


class _Context:
    """The analysis population with its treatment vector, covariates and subgroups, built once."""

    def __init__(self, study: Study, population: pd.DataFrame) -> None:
        self.study = study
        self.population = population
        self.treated = population["group"].eq("intervention").to_numpy(dtype=bool)
        self.covariate_names = tuple(study.covariates)
        self.covariates = covariate_frame(population, self.covariate_names)
        self.complete = ~self.covariates.isna().any(axis=1).to_numpy()
        accepted = population["accepted"].astype("boolean").fillna(False).to_numpy(dtype=bool)
        self.accepted = self.treated & accepted
        self.programme_contacts = len(study.programme.contacts)
        self.subgroups = {variable: subgroup_codes(population, variable)
                          for variable in SUBGROUP_VARIABLES if variable in population.columns}
        self._outcomes: dict[str, tuple[np.ndarray, np.ndarray]] = {}

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
         p_value: float | None = None, p_interaction: float | None = None) -> dict[str, Any]:
    """One effects row from an Estimate (or from a reason when there is none)."""
    estimable = result is not None and result.estimable and reason is None
    notes = [] if estimable else [reason or (result.reason if result else None) or "not estimable"]
    if estimable and result.reason:
        notes.append(result.reason)
    if note:
        notes.append(note)
    p = p_value if p_value is not None else (result.p_value if result is not None else None)
    return {
        "indicator": indicator, "measure": measure, "method": method,
        "estimate": result.estimate if estimable else None,
        "ci_low": result.ci_low if estimable else None,
        "ci_high": result.ci_high if estimable else None,
        "p_value": p if estimable else None,
        "p_adjusted": None,
        "n_intervention": int(n_intervention), "n_comparison": int(n_comparison),
        "note": "; ".join(n for n in notes if n),
        "analysis": analysis, "subgroup": subgroup, "p_interaction": p_interaction,
        "multiplicity": "",
        "events_intervention": None if events is None else int(events[0]),
        "events_comparison": None if events is None else int(events[1]),
    }


def _attempt(make: Callable[[], Any]) -> tuple[Any, str | None]:
    """Run a statistical method; a degenerate input becomes a reason instead of a crash."""
    try:
        return make(), None
    except _METHOD_ERRORS as error:
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
                         p_interaction=p_interaction, note="; ".join(e for e in extra if e)))
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
    rows.append(_iptw_row(context, indicator, y, inside))
    return rows


def _iptw_row(context: _Context, indicator: str, y: np.ndarray,
              inside: np.ndarray) -> dict[str, Any]:
    t = context.treated[inside]
    complete = context.complete[inside]
    e1, n1, e0, n0 = _group_counts(y[inside][complete], t[complete])
    result, error = _attempt(lambda: iptw_effect(
        y[inside], t.astype(float), context.covariates[inside].reset_index(drop=True),
        estimand="ATT"))
    estimate = None if result is None else result.risk_difference
    notes = [context.adjusted_for, "ATT weights, robust (HC1) SE that treats the weights as known"]
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
    return _row(indicator, estimate, measure="risk_difference", method="iptw", analysis="itt",
                n_intervention=n1, n_comparison=n0, reason=error, events=(e1, e0),
                note="; ".join(notes))


class _DidCells:
    """The four area x period cells of design `did`, with their covariates, built once."""

    def __init__(self, cells: pd.DataFrame, context: _Context) -> None:
        self.cells = cells
        self.treated_area = cells["did_area"].eq("intervention").to_numpy(dtype=float)
        self.post = cells["did_period"].eq("post").to_numpy(dtype=float)
        self.area = cells["area"].astype(object).to_numpy()
        self.covariates = covariate_frame(cells, context.covariate_names)
        self.complete = ~self.covariates.isna().any(axis=1).to_numpy()


def _did_row(context: _Context, did: _DidCells, indicator: str) -> dict[str, Any]:
    """Area × period difference-in-differences, SEs clustered by area (design `did`)."""
    y, inside = binary_outcome(did.cells, indicator)
    y, treated_area, post = y[inside], did.treated_area[inside], did.post[inside]
    covariates = did.covariates[inside].reset_index(drop=True)
    complete = did.complete[inside]
    in_area = treated_area[complete] == 1
    e1, e0 = int(y[complete][in_area].sum()), int(y[complete][~in_area].sum())
    n1, n0 = int(in_area.sum()), int((~in_area).sum())
    result, error = _attempt(lambda: difference_in_differences(
        y, treated_area, post, did.area[inside], covariates))
    notes = [context.adjusted_for + " (linear probability model, area x period)"]
    estimate = None
    p_value = None
    if result is not None:
        estimate = result.preferred
        counts = [f"{'intervention' if a else 'comparison'} areas {'post' if p else 'pre'}: "
                  f"{int(row['events'])}/{int(row['n'])}"
                  for (a, p), row in result.cells.iterrows()]
        notes.append("cells " + ", ".join(counts))
        notes.append(f"{result.n_clusters} areas ({result.n_clusters_treated} intervention)")
        if estimate is result.clustered and estimate.estimable:
            notes.append(f"cluster-robust CR1 SE by area, t with {result.n_clusters - 1} df, "
                         f"p(t) = {estimate.p_value:.3g}")
        elif estimate.estimable:
            notes.append(f"{result.clustered.reason}; HC1 heteroskedasticity-robust SE NOT "
                         "clustered by area (anti-conservative)")
        if result.wild_bootstrap_p is not None:
            p_value = result.wild_bootstrap_p
            notes.append(f"p_value is the {result.wild_bootstrap_note}")
        elif result.wild_bootstrap_note:
            notes.append(result.wild_bootstrap_note)
        notes += list(result.caveats)
        if estimate.estimable and (design := _design_note(estimate)):
            notes.append(design)
    return _row(indicator, estimate, measure="did", method="did", analysis="itt",
                n_intervention=n1, n_comparison=n0, reason=error, events=(e1, e0),
                p_value=p_value, note="; ".join(notes))


def _per_protocol(context: _Context, indicator: str) -> list[dict[str, Any]]:
    """Accepting families in the intervention group vs the comparison group."""
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


def _dose_response(context: _Context, indicator: str) -> tuple[dict[str, Any], list[dict]]:
    """Odds ratio per additional contact among accepting families, and a risk table by band."""
    y, inside = context.outcome(indicator)
    rows_used = inside & context.accepted
    contacts = context.population["contacts_received"].to_numpy(dtype=float)
    y_used, dose = y[rows_used], contacts[rows_used]
    covariates = context.covariates[rows_used].reset_index(drop=True)
    complete = context.complete[rows_used]
    result, error = _attempt(lambda: logistic_slope(y_used, dose, covariates))
    note = (f"odds ratio per additional contact received, among children of accepting "
            f"families in the intervention group; {context.adjusted_for}; contacts counted "
            "over the whole follow-up, so partly a marker of engagement")
    row = _row(indicator, result, measure="odds_ratio", method="regression",
               analysis="dose_response", n_intervention=int(complete.sum()), n_comparison=0,
               reason=error, events=(int(y_used[complete].sum()), 0), note=note)
    return row, _dose_table(indicator, y_used, dose, context.programme_contacts)


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
                     "ci_high": share.ci_high})
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


def _subgroups(context: _Context, indicator: str) -> list[dict[str, Any]]:
    """Crude risk difference within each equity subgroup, with the interaction test."""
    y, inside = context.outcome(indicator)
    rows = []
    for variable, (codes, levels) in context.subgroups.items():
        known = inside & (codes >= 0)
        p_interaction, reason = interaction_test(y[known], context.treated[known], codes[known])
        note = (f"treatment x {variable} likelihood-ratio test p = {p_interaction:.3g}"
                if p_interaction is not None else f"treatment x {variable} test: {reason}")
        for code, level in enumerate(levels):
            in_level = known & (codes == code)
            rows += _crude_rows(indicator, y[in_level], context.treated[in_level],
                                analysis="subgroup", measures=("risk_difference",),
                                subgroup=f"{variable}={level}", p_interaction=p_interaction,
                                note=note)
    return rows


def _survival_data(frame: pd.DataFrame, indicator: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(time, event, rows kept) for a survival indicator; bf_duration by midpoint imputation."""
    if indicator == "bf_duration":
        left = frame["bf_duration_left_days"].to_numpy(dtype=float)
        right = frame["bf_duration_right_days"].to_numpy(dtype=float)
        kept = ~np.isnan(left)
        weaned = ~np.isnan(right)
        time = np.where(weaned, (left + np.where(weaned, right, 0.0)) / 2, left)
        return time[kept], weaned[kept].astype(float), kept
    time = frame[f"{indicator}_days"].to_numpy(dtype=float)
    event = frame[f"{indicator}_event"].astype("boolean")
    kept = ~np.isnan(time) & event.notna().to_numpy(dtype=bool)
    return time[kept], event.to_numpy(dtype=float, na_value=np.nan)[kept], kept


def _survival_effects(context: _Context, indicator: Indicator) -> list[dict[str, Any]]:
    """Crude (unadjusted, log-rank p) and covariate-adjusted Cox hazard ratios, Efron ties."""
    time, event, kept = _survival_data(context.population, indicator.id)
    treated = context.treated[kept]
    approximation = MIDPOINT_NOTE if indicator.id == "bf_duration" else ""
    direction = ("hazard ratio > 1: weaned earlier in the intervention group"
                 if indicator.id == "bf_duration"
                 else "hazard ratio > 1: vaccinated earlier in the intervention group")
    e1, e0 = int(event[treated].sum()), int(event[~treated].sum())
    rows = []
    crude, error = _attempt(lambda: cox_hazard_ratio(time, event, treated.astype(float)))
    log_rank, _ = _attempt(lambda: log_rank_test(time, event, treated.astype(int)))
    log_rank_p = None if log_rank is None else log_rank.p_value
    notes = ["unadjusted Cox model (Efron ties)",
             "p: log-rank test" if log_rank_p is not None else "log-rank test not possible",
             direction, approximation]
    rows.append(_row(indicator.id, None if crude is None else crude.hazard_ratio,
                     measure="hazard_ratio", method="crude", analysis="itt",
                     n_intervention=int(treated.sum()), n_comparison=int((~treated).sum()),
                     reason=error, events=(e1, e0), p_value=log_rank_p,
                     note="; ".join(n for n in notes if n)))
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
    notes.append(approximation)
    rows.append(_row(indicator.id, None if adjusted is None else adjusted.hazard_ratio,
                     measure="hazard_ratio", method="cox", analysis="itt",
                     n_intervention=int((treated & complete).sum()),
                     n_comparison=int((~treated & complete).sum()), reason=error,
                     events=(int(event[treated & complete].sum()),
                             int(event[~treated & complete].sum())),
                     note="; ".join(n for n in notes if n)))
    return rows


def _with_multiplicity(effects: pd.DataFrame, primary: Sequence[str]) -> pd.DataFrame:
    """Holm across the primary indicators' headline p, Benjamini–Hochberg across the rest.

    The headline p of an indicator is its ITT crude test: the Fisher/chi-square p on the
    crude risk-difference row, or the log-rank p on the crude hazard-ratio row.
    """
    headline = (effects["analysis"].eq("itt") & effects["method"].eq("crude")
                & effects["measure"].isin(["risk_difference", "hazard_ratio"]))
    effects = effects.copy()
    effects["p_adjusted"] = effects["p_adjusted"].astype("float64")
    for family, label, adjust in (
        (headline & effects["indicator"].isin(primary), "holm_primary", holm),
        (headline & ~effects["indicator"].isin(primary), "bh_secondary", benjamini_hochberg),
    ):
        if not family.any():
            continue
        p_values = [None if pd.isna(p) else float(p) for p in effects.loc[family, "p_value"]]
        effects.loc[family, "p_adjusted"] = pd.array(adjust(p_values), dtype="Float64").astype(
            "float64")
        effects.loc[family, "multiplicity"] = label
    return effects


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
    except _METHOD_ERRORS as error:
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
            rows.append(_balance_row(name, level, values, binary, treated, weights, reason))
    return _frame(rows, BALANCE_COLUMNS)


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
    for indicator in (i for i in INDICATORS if i.kind == "survival"):
        grid = SURVIVAL_GRIDS.get(indicator.id, np.arange(0, 901, 30))
        time, event, kept = _survival_data(population, indicator.id)
        groups = population["group"].to_numpy(dtype=object)[kept]
        for group in GROUPS:
            in_group = groups == group
            if indicator.id == "bf_duration":
                rows += _turnbull_rows(population[kept][in_group], group, grid)
            else:
                rows += _km_rows(indicator.id, time[in_group], event[in_group], group, grid)
        log_rank, error = _attempt(lambda: log_rank_test(time, event, groups))  # noqa: B023
        note = "log-rank test" + (" on midpoint-imputed weaning ages (approximation)"
                                  if indicator.id == "bf_duration" else "")
        if log_rank is not None and log_rank.p_value is None:
            error = log_rank.reason
        rows.append({"indicator": indicator.id, "group": "all", "statistic": "log_rank",
                     "p_value": None if log_rank is None else log_rank.p_value,
                     "n": int(len(time)), "method": "log_rank",
                     "note": note if error is None else f"{note}: {error}"})
    return _frame(rows, SURVIVAL_COLUMNS)


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


def _turnbull_rows(frame: pd.DataFrame, group: str, grid: np.ndarray) -> list[dict[str, Any]]:
    left = frame["bf_duration_left_days"].to_numpy(dtype=float)
    right = frame["bf_duration_right_days"].to_numpy(dtype=float)
    fitted = turnbull(left, right)
    base = {"indicator": "bf_duration", "group": group, "n": len(left), "method": "turnbull"}
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


def power_table(population: pd.DataFrame, named_difference: float) -> pd.DataFrame:
    """Minimum detectable difference (80% power, two-sided 5%) and n for a named difference."""
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
        rows.append(row | {"note": "; ".join(notes)})
    return _frame(rows, POWER_COLUMNS)


# --------------------------------------------------------------------------- helpers


def _frame(rows: list[dict[str, Any]], columns: list[str]) -> pd.DataFrame:
    """Rows as a frame with the given columns first (missing columns empty)."""
    frame = pd.DataFrame(rows, columns=columns) if rows else pd.DataFrame(columns=columns)
    for column in columns:
        if column in _TEXT_COLUMNS:
            frame[column] = frame[column].fillna("").astype("string")
        elif column in _COUNT_COLUMNS:
            frame[column] = pd.array(frame[column].astype("Float64"), dtype="Int64")
        elif column not in _LABEL_COLUMNS:
            frame[column] = pd.to_numeric(frame[column], errors="raise").astype("float64")
    return frame


_TEXT_COLUMNS = {"note", "subgroup", "multiplicity", "level", "rating_before", "rating_after"}
_COUNT_COLUMNS = {"n_intervention", "n_comparison", "events_intervention", "events_comparison",
                  "at_risk", "events", "n", "n_per_group_needed", "n_per_group_needed_corrected",
                  "contacts_min", "contacts_max"}
_LABEL_COLUMNS = {"indicator", "measure", "method", "analysis", "covariate", "group",
                  "statistic", "contacts_band"}
