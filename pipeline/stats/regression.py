"""Covariate-adjusted effects of treatment on a binary outcome by logistic regression.

Two summaries of one fit of `logit P(Y=1) = b0 + b_T * T + b_X' X`:

- the adjusted (conditional) odds ratio exp(b_T), with a Wald interval;
- marginal (standardised, g-computation) risks under treatment and under no treatment,
  averaged over the treated (ATT, the default) or over everyone (ATE), and their risk
  difference and risk ratio, with delta-method intervals.

The delta-method variance of a standardised risk has two parts: the uncertainty of the
coefficients (g' V g, with V the model-based covariance) and the sampling variability of
the covariate distribution being standardised over (the empirical variance of the
individual predicted differences / n). Both are included; each is reported in `details`.
The cross term is zero because the score of a logistic model has mean zero given X.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import pandas as pd
import statsmodels.api as sm
from scipy import stats
from statsmodels.tools.sm_exceptions import (
    ConvergenceWarning,
    PerfectSeparationError,
    PerfectSeparationWarning,
)

from pipeline.stats._design import (
    CovariateDesign,
    as_binary,
    build_covariate_design,
    require_both_groups,
    require_treatment_identified,
)
from pipeline.stats.results import Estimate, NotEstimable

Estimand = Literal["ATT", "ATE", "ATC"]

# Fitted probabilities this close to 0 or 1 mean the likelihood has no finite maximum.
_BOUNDARY_PROBABILITY = 1e-8
# A logistic coefficient this large (odds ratio > e^15 per unit) signals separation.
_HUGE_COEFFICIENT = 15.0

METHOD = "regression"


@dataclass(frozen=True)
class LogisticFit:
    """A converged, identified logistic fit: coefficients, covariance, design and fit."""

    params: pd.Series
    covariance: pd.DataFrame
    exog: pd.DataFrame
    fitted: np.ndarray

    def linear_predictor(self, exog: pd.DataFrame) -> np.ndarray:
        return exog.to_numpy() @ self.params.to_numpy()


def fit_logistic(outcome: np.ndarray, exog: pd.DataFrame, *, what: str) -> LogisticFit:
    """Fit a logistic GLM by IRLS; raise NotEstimable for separation or non-convergence.

    `exog` must include the intercept. `what` names the model in reasons ("outcome model").
    Statsmodels' warnings are captured and turned into reasons rather than printed.
    """
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            result = sm.GLM(outcome, exog, family=sm.families.Binomial()).fit(maxiter=100)
        except PerfectSeparationError as error:
            raise NotEstimable(f"{what}: complete separation ({error})") from error
        except np.linalg.LinAlgError as error:
            raise NotEstimable(f"{what}: singular design ({error})") from error
    categories = {warning.category for warning in caught}
    params = pd.Series(np.asarray(result.params), index=exog.columns)
    fitted = np.asarray(result.fittedvalues)
    huge = [str(name) for name, value in params.items() if abs(value) > _HUGE_COEFFICIENT]
    at_boundary = int(
        ((fitted < _BOUNDARY_PROBABILITY) | (fitted > 1 - _BOUNDARY_PROBABILITY)).sum()
    )
    if PerfectSeparationWarning in categories or at_boundary or huge:
        involved = f"; coefficients diverging: {', '.join(huge)}" if huge else ""
        raise NotEstimable(
            f"{what}: complete or quasi-complete separation — some covariate pattern predicts "
            f"the outcome perfectly ({at_boundary} fitted probabilities at 0 or 1{involved}); "
            "the maximum-likelihood estimate does not exist"
        )
    if ConvergenceWarning in categories or not result.converged:
        raise NotEstimable(f"{what}: the logistic fit did not converge")
    covariance = pd.DataFrame(
        np.asarray(result.cov_params()), index=exog.columns, columns=exog.columns
    )
    if not np.all(np.isfinite(covariance.to_numpy())) or np.any(np.diag(covariance) <= 0):
        raise NotEstimable(f"{what}: the information matrix is singular")
    return LogisticFit(params, covariance, exog, fitted)


@dataclass(frozen=True)
class AdjustedEffects:
    """Adjusted odds ratio and standardised risks, risk difference and risk ratio."""

    odds_ratio: Estimate
    risk_difference: Estimate
    risk_ratio: Estimate
    risk_treated: Estimate
    risk_untreated: Estimate
    estimand: str
    n: int
    n_dropped_missing: int
    coefficients: pd.DataFrame = field(default_factory=pd.DataFrame)

    def summary(self) -> str:
        lines = [
            f"Logistic regression, n = {self.n} "
            f"({self.n_dropped_missing} rows dropped for missing values); "
            f"standardised to the {self.estimand} population",
        ]
        for estimate in (
            self.odds_ratio,
            self.risk_difference,
            self.risk_ratio,
            self.risk_treated,
            self.risk_untreated,
        ):
            lines.append("  " + estimate.summary())
        return "\n".join(lines)


def logistic_adjusted_effects(
    outcome: object,
    treatment: object,
    covariates: pd.DataFrame | None = None,
    *,
    estimand: Estimand = "ATT",
    interactions: bool = False,
    confidence: float = 0.95,
) -> AdjustedEffects:
    """Adjusted odds ratio and g-computation risk difference/ratio from one logistic fit.

    `outcome` and `treatment` are 0/1 (or boolean) vectors; `covariates` a DataFrame with
    one row per child (categoricals are dummy-coded, constant columns dropped, rows with
    any missing value dropped and counted). `estimand` chooses whom the marginal risks are
    standardised over: the treated (ATT), everyone (ATE) or the untreated (ATC).

    With `interactions=True` the outcome model also has treatment x covariate terms (so the
    standardised effect is not constrained to a common odds ratio); the single adjusted
    odds ratio then no longer exists, and `odds_ratio` is the marginal (standardised) one.
    """
    y_all = as_binary(outcome, "outcome")
    t_all = as_binary(treatment, "treatment")
    if len(y_all) != len(t_all):
        raise ValueError("outcome and treatment differ in length")
    if estimand not in ("ATT", "ATE", "ATC"):
        raise ValueError(f"estimand must be ATT, ATE or ATC, not {estimand!r}")
    observed = ~np.isnan(y_all) & ~np.isnan(t_all)
    design = build_covariate_design(covariates, len(y_all), observed)
    y = y_all[design.kept_rows]
    t = t_all[design.kept_rows]
    n = len(y)
    events = int(y.sum())
    base = dict(n=n, events=events, confidence=confidence)
    notes = design.notes() | {"rows_missing_outcome_or_treatment": int((~observed).sum())}
    try:
        _check_outcome_cells(y, t)
        require_treatment_identified(t, design.covariates)
        exog = _exog(t, design, interactions)
        fit = fit_logistic(y, exog, what="outcome model")
    except NotEstimable as reason:
        measures = ("odds_ratio", "risk_difference", "risk_ratio", "risk", "risk")
        blank = [
            Estimate.not_estimable(m, METHOD, str(reason), details=dict(notes), **base)
            for m in measures
        ]
        return AdjustedEffects(
            *blank, estimand=estimand, n=n, n_dropped_missing=design.n_dropped_missing
        )

    z = stats.norm.ppf(0.5 + confidence / 2)
    standardise_over = {"ATT": t == 1, "ATE": np.ones(n, bool), "ATC": t == 0}[estimand]
    *marginal, marginal_odds_ratio = _standardised(
        fit, standardise_over, z, base, notes | {"estimand": estimand}
    )
    odds_ratio = marginal_odds_ratio if interactions else _odds_ratio(fit, z, base, notes)
    coefficients = pd.DataFrame(
        {"coef": fit.params, "se": np.sqrt(np.diag(fit.covariance))}, index=fit.params.index
    )
    return AdjustedEffects(
        odds_ratio,
        *marginal,
        estimand=estimand,
        n=n,
        n_dropped_missing=design.n_dropped_missing,
        coefficients=coefficients,
    )


def _check_outcome_cells(y: np.ndarray, t: np.ndarray) -> None:
    """Name the zero cell when an arm has no events or only events (separation on T)."""
    require_both_groups(t)
    if y.sum() == 0:
        raise NotEstimable("no events at all: nothing to model")
    if y.sum() == len(y):
        raise NotEstimable("every child has the outcome: nothing to model")
    for label, arm in (("treated", t == 1), ("comparison", t == 0)):
        arm_events = y[arm].sum()
        if arm_events == 0 or arm_events == arm.sum():
            kind = "no" if arm_events == 0 else "only"
            raise NotEstimable(
                f"zero cell: {kind} events in the {label} group, so treatment separates the "
                "outcome and the logistic model has no finite estimate"
            )


def _exog(treatment: np.ndarray, design: CovariateDesign, interactions: bool) -> pd.DataFrame:
    exog = pd.DataFrame({"const": 1.0, "treatment": treatment})
    covariates = design.covariates.reset_index(drop=True)
    pieces = [exog, covariates]
    if interactions:
        pieces.append(covariates.mul(treatment, axis=0).add_prefix("treatment:"))
    return pd.concat(pieces, axis=1)


def _set_treatment(exog: pd.DataFrame, value: float) -> np.ndarray:
    """The design with everyone's treatment (and its interactions) set to `value`."""
    counterfactual = exog.assign(treatment=value)
    for column in exog.columns:
        if column.startswith("treatment:"):
            counterfactual[column] = value * exog[column.removeprefix("treatment:")]
    return counterfactual.to_numpy()


def _odds_ratio(fit: LogisticFit, z: float, base: dict, notes: dict) -> Estimate:
    coef = float(fit.params["treatment"])
    se = float(np.sqrt(fit.covariance.loc["treatment", "treatment"]))
    return Estimate(
        measure="odds_ratio",
        method=METHOD,
        estimate=float(np.exp(coef)),
        ci_low=float(np.exp(coef - z * se)),
        ci_high=float(np.exp(coef + z * se)),
        p_value=float(2 * stats.norm.sf(abs(coef / se))),
        details=notes | {"log_odds_ratio": coef, "se": se, "interval": "Wald"},
        **base,
    )


def _standardised(
    fit: LogisticFit, over: np.ndarray, z: float, base: dict, notes: dict
) -> tuple[Estimate, Estimate, Estimate, Estimate, Estimate]:
    """Risk difference, risk ratio, the two standardised risks and the marginal odds ratio."""
    exog = fit.exog.loc[over]
    as_treated = _set_treatment(exog, 1.0)
    as_untreated = _set_treatment(exog, 0.0)
    beta = fit.params.to_numpy()
    p1 = 1 / (1 + np.exp(-(as_treated @ beta)))
    p0 = 1 / (1 + np.exp(-(as_untreated @ beta)))
    risks = np.array([p1.mean(), p0.mean()])
    # d(mean p)/d(beta) = mean of p(1-p) x over the standardisation population.
    gradient = np.vstack([(p1 * (1 - p1)) @ as_treated, (p0 * (1 - p0)) @ as_untreated])
    gradient /= len(p1)
    model_part = gradient @ fit.covariance.to_numpy() @ gradient.T
    population_part = np.cov(np.vstack([p1, p0]), ddof=0) / len(p1)
    covariance = model_part + population_part
    details = notes | {"interval": "delta method", "n_standardised_over": int(len(p1))}

    def wald(measure: str, value: float, gradient_vector: np.ndarray, log: bool) -> Estimate:
        var = float(gradient_vector @ covariance @ gradient_vector)
        var_model = float(gradient_vector @ model_part @ gradient_vector)
        se = np.sqrt(var)
        centre = np.log(value) if log else value
        low, high = centre - z * se, centre + z * se
        p_value = float(2 * stats.norm.sf(abs(centre / se))) if measure != "risk" else None
        if log:
            low, high = np.exp(low), np.exp(high)
        if measure == "risk":  # a risk's Wald limits are clipped to [0, 1]
            low, high = max(low, 0.0), min(high, 1.0)
        return Estimate(
            measure=measure,
            method=METHOD,
            estimate=float(value),
            ci_low=float(low),
            ci_high=float(high),
            p_value=p_value,
            details=details
            | {
                "se": float(se),
                "se_model_only": float(np.sqrt(var_model)),
                "scale": "log" if log else "identity",
            },
            **base,
        )

    rd = wald("risk_difference", risks[0] - risks[1], np.array([1.0, -1.0]), log=False)
    rr = wald("risk_ratio", risks[0] / risks[1], np.array([1 / risks[0], -1 / risks[1]]), True)
    risk_treated = wald("risk", risks[0], np.array([1.0, 0.0]), log=False)
    risk_untreated = wald("risk", risks[1], np.array([0.0, 1.0]), log=False)
    odds = risks / (1 - risks)
    marginal_or = wald(
        "odds_ratio",
        odds[0] / odds[1],
        np.array([1 / (risks[0] * (1 - risks[0])), -1 / (risks[1] * (1 - risks[1]))]),
        log=True,
    )
    marginal_or = Estimate(
        **(
            marginal_or.to_dict()
            | {"details": marginal_or.details | {"type": "marginal (standardised) odds ratio"}}
        )
    )
    return rd, rr, risk_treated, risk_untreated, marginal_or


def logistic_slope(outcome: np.ndarray, exposure: np.ndarray,
                   covariates: pd.DataFrame) -> Estimate:
    """Odds ratio per unit of a numeric exposure from a covariate-adjusted logistic model."""
    observed = ~np.isnan(outcome) & ~np.isnan(exposure)
    design = build_covariate_design(covariates, len(outcome), observed)
    y, x = outcome[design.kept_rows], exposure[design.kept_rows]
    if len(y) < 3:
        raise NotEstimable(f"only {len(y)} children with the outcome and covariates")
    if y.sum() in (0, len(y)):
        raise NotEstimable("every child has the same outcome: nothing to model")
    if np.unique(x).size < 2:
        raise NotEstimable("every child received the same number of contacts: no slope")
    exog = pd.concat([pd.DataFrame({"const": 1.0, "exposure": x}),
                      design.covariates.reset_index(drop=True)], axis=1)
    fit = fit_logistic(y, exog, what="dose-response model")
    coef = float(fit.params["exposure"])
    se = float(np.sqrt(fit.covariance.loc["exposure", "exposure"]))
    z = stats.norm.ppf(0.975)
    return Estimate("odds_ratio", "regression", math.exp(coef), math.exp(coef - z * se),
                    math.exp(coef + z * se), float(2 * stats.norm.sf(abs(coef / se))),
                    n=len(y), events=int(y.sum()), details=design.notes())


def interaction_test(outcome: np.ndarray, treated: np.ndarray,
                     levels: np.ndarray) -> tuple[float | None, str | None]:
    """Likelihood-ratio test of treatment × subgroup in a logistic model (p, or a reason).

    With no other covariates the interaction model is saturated in the treatment × level
    cells (fitted risks = cell proportions), and the main-effects model can be fitted to
    the cell counts (frequency weights), so the test costs nothing at national scale.
    Levels lacking children in either group add no interaction term and are left out.
    """
    codes, _ = pd.factorize(pd.Series(levels), sort=True)
    n_levels = int(codes.max()) + 1 if len(codes) else 0
    cell = codes * 2 + treated.astype(int)
    n = np.bincount(cell, minlength=2 * n_levels).reshape(n_levels, 2)
    events = np.bincount(cell, weights=outcome, minlength=2 * n_levels).reshape(n_levels, 2)
    both = (n > 0).all(axis=1)
    n, events = n[both], events[both]
    if len(n) < 2:
        return None, "not estimable: fewer than two subgroups have children in both groups"
    if events.sum() in (0, n.sum()):
        return None, "not estimable: every child has the same outcome"
    # One row per level x treatment x outcome, weighted by its number of children.
    level_index, arm = np.divmod(np.arange(n.size), 2)
    y = np.repeat([1.0, 0.0], n.size)
    weight = np.concatenate([events.ravel(), (n - events).ravel()])
    cell_risk = np.tile((events / n).ravel(), 2)
    level_dummies = np.eye(len(n))[np.tile(level_index, 2)][:, 1:]
    exog = np.column_stack([np.ones(2 * n.size), np.tile(arm, 2), level_dummies])
    present = weight > 0
    y, weight, cell_risk, exog = y[present], weight[present], cell_risk[present], exog[present]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            main = sm.GLM(y, exog, family=sm.families.Binomial(), freq_weights=weight).fit()
        except (NotEstimable, ValueError, ZeroDivisionError, np.linalg.LinAlgError,
                PerfectSeparationError) as error:
            return None, f"not estimable: main-effects model failed ({error})"
    if any(issubclass(w.category, (PerfectSeparationWarning, ConvergenceWarning))
           for w in caught) or not main.converged:
        return None, ("not estimable: the main-effects model separates (a subgroup has no "
                      "events or only events)")
    risk_main = np.asarray(main.fittedvalues)

    def log_likelihood(risk: np.ndarray) -> float:
        with np.errstate(divide="ignore", invalid="ignore"):
            terms = np.where(y == 1, np.log(risk), np.log1p(-risk))
        return float((weight * terms).sum())

    statistic = max(0.0, 2 * (log_likelihood(cell_risk) - log_likelihood(risk_main)))
    return float(stats.chi2.sf(statistic, len(n) - 1)), None
