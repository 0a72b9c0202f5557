"""Intention-to-treat rows of a binary indicator: crude, regression and IPTW (ipwra)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from pipeline.indicators import Indicator
from pipeline.stages.compare.context import (
    _attempt,
    _Context,
    _design_note,
    _group_counts,
    _row,
    landmark_outcome,
)
from pipeline.stats import (
    FLAGS,
    arm_randomisation,
    compare_proportions,
    iptw_effects,
    logistic_adjusted_effects,
)
from pipeline.summary import headline


def _crude_rows(indicator: str, y: np.ndarray, treated: np.ndarray, *, analysis: str,
                measures: Sequence[str], subgroup: str = "",
                p_interaction: float | None = None, note: str = "") -> list[dict[str, Any]]:
    e1, n1, e0, n0 = _group_counts(y, treated)
    crude = compare_proportions(e1, n1, e0, n0)
    test_note = {"fisher_exact": "p: Fisher's exact test",
                 "pearson_chi_square": "p: chi-square test"}.get(crude.test.method, "")
    test_flag = {"fisher_exact": ("p_fisher_exact",),
                 "pearson_chi_square": ("p_chi_square",)}.get(crude.test.method, ())
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
        y_used, t_used.astype(float), context.coded_covariates[rows_used].reset_index(drop=True),
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
    methods = (("iptw", False), ("ipwra", True))
    results, error = _attempt(iptw_effects, y[inside], t.astype(float),
                              context.coded_covariates[inside].reset_index(drop=True),
                              estimand="ATT", doubly_robust=tuple(dr for _, dr in methods))
    for (method, doubly_robust), result in zip(methods, results or [None] * len(methods),
                                               strict=True):
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
            if "one_group_no_variance" in estimate.flags:
                notes.append(FLAGS["one_group_no_variance"])
        row = _row(indicator, estimate, measure="risk_difference", method=method,
                   analysis="itt", n_intervention=n1, n_comparison=n0, reason=error,
                   events=(e1, e0), note="; ".join(notes))
        row["ess_comparison"] = None if ess is None else float(ess)
        rows.append(row)
    return rows


def with_arm_randomisation(context: _Context, indicator: Indicator, rows: list[dict[str, Any]]) -> None:
    """Under `concurrent`, the headline row's randomisation test over which areas had the
    programme (`stats.arm_randomisation`: its p and floor, `p_randomisation` and `p_floor`),
    which the summary's verdict reads: its children-level p takes children as independent, and
    areas that always differed read as an effect. A time to an event is tested by its share at
    its landmark (`landmark_outcome`: age at MMR, a hazard ratio of 0.72 "later, larger than
    chance" where the truth was sooner, had no test over the areas)."""
    course = indicator.time_to_event
    chosen = headline("concurrent", indicator.kind, course is not None and course.interval_censored)
    if course is None:
        y, inside = context.outcome(indicator.id)
    else:
        y, inside = landmark_outcome(context.population, indicator.id)
    test = arm_randomisation(y[inside], context.area_codes[inside], context.treated[inside].astype(float))
    for row in rows:
        if (row["analysis"], row["method"], row["measure"]) == ("itt", chosen.method, chosen.measure):
            row["p_floor"] = test.p_floor
            if test.estimable:
                row["p_randomisation"] = test.p_value
