"""Covariate-adjusted effects of treatment on a binary outcome by logistic regression.

Two summaries of one fit of `logit P(Y=1) = b0 + b_T * T + b_X' X`:

- the adjusted (conditional) odds ratio exp(b_T), with a Wald interval;
- marginal (standardised, g-computation) risks under treatment and under no treatment,
  averaged over the treated (ATT, the default) or over everyone (ATE), and their risk
  difference and risk ratio, with delta-method intervals.

The variance of the standardised risks is the empirical sandwich of the stacked estimating
equations (logistic score; mean of the predicted risks over the standardisation
population) — the M-estimation variance of g-computation (Stefanski & Boos 2002, Am Stat
56:29), which is what the delta method gives once the covariate distribution is treated as
estimated too. Written out it has three parts:

- the uncertainty of the coefficients, g' V g, with V the heteroskedasticity-robust
  (sandwich) covariance of the logistic coefficients: HC0 by default, as R's `sandwich`
  and statsmodels' `cov_type="HC0"`; `cov_type="HC1"` multiplies the whole variance by
  n / (n - k), k the number of coefficients (the least-squares HC1 factor of MacKinnon &
  White 1985; note that statsmodels' GLM applies no factor under the name HC1);
- the sampling variability of the covariate distribution being standardised over (the
  empirical variance of the individual predicted risks / n);
- their covariance (the cross term). Its expectation is zero when the model is right (the
  score has mean zero given X) and it is exactly zero for a saturated model; it is kept
  so that the variance stays valid when the model is only an approximation.

The robust V replaced the model-based inverse information after a referee review: it does
not rely on the logistic model being correct. For a saturated model the two coincide exactly.
`cov_type="nonrobust"` restores the earlier, model-based calculation (coefficient part
with the inverse information, no cross term); `details["se_model_based"]` always carries
that number for comparison, `details["se_model_only"]` the coefficient part alone.

The adjusted (conditional) odds ratio keeps the model-based Wald interval, as Greene and
R's `glm` report it: under a correct model it is efficient, and the sandwich is biased
downwards in the small samples of a pilot. Its robust SE is in `details["se_robust"]` and
the coefficient table's `se_robust` column. With `interactions=True` the odds ratio is the
marginal (standardised) one and uses the sandwich like the other standardised measures.
"""

from __future__ import annotations

import gc
import math
import warnings
from dataclasses import dataclass, field, replace
from typing import Literal

import numpy as np
import pandas as pd
from scipy import stats
from statsmodels.genmod import families
from statsmodels.genmod.generalized_linear_model import GLM
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
    row_patterns,
)
from pipeline.stats._irls import IrlsFit, logistic_irls
from pipeline.stats.results import Estimate, NotEstimable, Test

Estimand = Literal["ATT", "ATE", "ATC"]
CovarianceType = Literal["HC0", "HC1", "nonrobust"]

# Fitted probabilities this close to 0 or 1 mean the likelihood has no finite maximum.
_BOUNDARY_PROBABILITY = 1e-8
# A logistic coefficient this large (odds ratio > e^15 per unit) signals separation.
_HUGE_COEFFICIENT = 15.0

METHOD = "regression"


@dataclass(frozen=True)
class LogisticFit:
    """A converged, identified logistic fit: coefficients, covariance, design and fit.

    `covariance` is the model-based inverse information. `outcome` and `weights` (None for
    an unweighted fit) are kept so that the fit can give its score contributions and its
    sandwich covariance.

    Attributes
    ----------
    params : pandas.Series
        The coefficients (log odds scale), indexed by the design's columns.
    covariance : pandas.DataFrame
        The model-based covariance (inverse information).
    exog : pandas.DataFrame
        The design the model was fitted on (n × k, intercept included).
    fitted : numpy.ndarray
        The fitted probabilities (n).
    outcome : numpy.ndarray or None
        The 0/1 outcome fitted.
    weights : numpy.ndarray or None
        Case weights of a weighted fit.
    counts : numpy.ndarray or None
        How many children each row stands for, when children with the same regressors and
        outcome were fitted as one row (None: a row is a child).

    Examples
    --------
    See `fit_logistic`.

    >>> import numpy as np
    >>> outcome = np.repeat([1, 0, 1, 0], [30, 20, 15, 35])  # 30 of 50 treated, 15 of 50 not
    >>> treatment = np.repeat([1, 0], 50)
    >>> import pandas as pd
    >>> from pipeline.stats.regression import fit_logistic
    >>> fit = fit_logistic(outcome, pd.DataFrame({"const": 1.0, "treatment": treatment}),
    ...                    what="outcome model")
    >>> round(float(fit.sandwich_covariance().loc["treatment", "treatment"]), 6)
    0.178571
    """

    params: pd.Series
    covariance: pd.DataFrame
    exog: pd.DataFrame
    fitted: np.ndarray
    outcome: np.ndarray | None = None
    weights: np.ndarray | None = None
    counts: np.ndarray | None = None

    def linear_predictor(self, exog: pd.DataFrame) -> np.ndarray:
        """The log odds X b for a design with the fit's columns."""
        return exog.to_numpy() @ self.params.to_numpy()

    def _case_weights(self) -> np.ndarray:
        return np.ones(len(self.fitted)) if self.weights is None else self.weights

    def _counts(self) -> np.ndarray:
        return np.ones(len(self.fitted)) if self.counts is None else self.counts

    def score_contributions(self) -> np.ndarray:
        """Each child's score w_i x_i (y_i - p_i) (rows x k; with `counts`, the score of
        one of the row's children); they sum to zero at the fit, each row taken its count
        of times."""
        if self.outcome is None:
            raise ValueError("this fit was made without its outcome; no scores")
        residual = self._case_weights() * (self.outcome - self.fitted)
        return self.exog.to_numpy() * residual[:, None]

    def information(self) -> np.ndarray:
        """The observed (= expected) information sum w_i p_i (1 - p_i) x_i x_i' (k x k)."""
        exog = self.exog.to_numpy()
        curvature = self._counts() * self._case_weights() * self.fitted * (1 - self.fitted)
        return (exog * curvature[:, None]).T @ exog

    def sandwich_covariance(self, kind: Literal["HC0", "HC1"] = "HC0") -> pd.DataFrame:
        """Robust covariance I^-1 (sum s_i s_i') I^-1; HC1 times n / (n - k) (MacKinnon-White)."""
        bread = np.linalg.inv(self.information())
        scores = self.score_contributions()
        counted = scores if self.counts is None else scores * self.counts[:, None]
        covariance = bread @ (counted.T @ scores) @ bread
        n, k = float(self._counts().sum()), scores.shape[1]
        if kind == "HC1":
            covariance *= n / (n - k)
        elif kind != "HC0":
            raise ValueError(f"kind must be HC0 or HC1, not {kind!r}")
        return pd.DataFrame(covariance, index=self.exog.columns, columns=self.exog.columns)


def fit_logistic(
    outcome: np.ndarray, exog: pd.DataFrame, *, what: str, weights: np.ndarray | None = None,
    counts: np.ndarray | None = None, by_pattern: bool = False,
) -> LogisticFit:
    """Fit a logistic GLM by IRLS; raise NotEstimable for separation or non-convergence.

    `exog` must include the intercept. `what` names the model in reasons ("outcome model").
    `weights` are case weights of a weighted likelihood (for example inverse probability
    weights); the model-based `covariance` of a weighted fit is then not a valid variance —
    use `sandwich_covariance` or a stacked sandwich instead.
    The fit is statsmodels' IRLS step for step (`pipeline.stats._irls.logistic_irls`; statsmodels'
    own GLM where the normal equations are singular); separation and non-convergence become
    reasons, nothing is printed.

    Parameters
    ----------
    outcome : numpy.ndarray
        The 0/1 outcome per child, no missing values.
    exog : pandas.DataFrame
        The design, one row per child, intercept column included.
    what : str
        The model's name in reasons, e.g. "outcome model".
    weights : numpy.ndarray, optional
        Case weights (e.g. inverse probability weights).
    counts : numpy.ndarray, optional
        How many children each row stands for (statsmodels' frequency weights): children
        with the same regressors and the same outcome fitted as one row. The likelihood,
        its score and information are those of the children, so the estimate is theirs
        (to IRLS's last digits); fewer rows make the fit faster and smaller.
    by_pattern : bool, optional
        Find such rows here: the children who share their regressors, outcome and weight
        are fitted as one row with their count, and the fit is given per child, as without
        (its design, fitted risks, outcome and weights those of every child). Covariates
        taking few values leave a tenth of the rows to fit at register scale.

    Returns
    -------
    LogisticFit
        The converged fit: coefficients, model-based covariance, design, fitted risks.

    Raises
    ------
    NotEstimable
        On complete or quasi-complete separation (fitted risks at 0 or 1, or a
        coefficient above 15 in absolute value), a singular design or information matrix,
        or non-convergence.

    Examples
    --------
    With one binary regressor the model is saturated: the slope is the log odds ratio
    log((30/20) / (15/35)) = log 3.5, its SE √(1/30 + 1/20 + 1/15 + 1/35) = 0.4226.

    >>> import numpy as np
    >>> outcome = np.repeat([1, 0, 1, 0], [30, 20, 15, 35])  # 30 of 50 treated, 15 of 50 not
    >>> treatment = np.repeat([1, 0], 50)
    >>> import pandas as pd
    >>> from pipeline.stats.regression import fit_logistic
    >>> exog = pd.DataFrame({"const": 1.0, "treatment": treatment})
    >>> fit = fit_logistic(outcome, exog, what="outcome model")
    >>> round(float(fit.params["treatment"]), 4), round(float(fit.covariance.iloc[1, 1]) ** 0.5, 4)
    (1.2528, 0.4226)
    """
    if by_pattern and counts is None:
        return _fit_logistic_by_pattern(outcome, exog, what, weights)
    # statsmodels' IRLS step for step on the normal equations (pipeline.stats._irls); what
    # they cannot fit (a singular or non-finite system) statsmodels' GLM fits
    found = logistic_irls(outcome, exog.to_numpy(), weights, counts)
    if found is None:
        found = _statsmodels_logistic(outcome, exog, what, weights, counts)
    params = pd.Series(found.params, index=exog.columns)
    fitted = found.fitted
    huge = [str(name) for name, value in params.items() if abs(value) > _HUGE_COEFFICIENT]
    boundary = (fitted < _BOUNDARY_PROBABILITY) | (fitted > 1 - _BOUNDARY_PROBABILITY)
    at_boundary = int(boundary.sum() if counts is None else np.asarray(counts)[boundary].sum())
    if found.perfect_prediction or at_boundary or huge:
        involved = f"; coefficients diverging: {', '.join(huge)}" if huge else ""
        raise NotEstimable(
            f"{what}: complete or quasi-complete separation — some covariate pattern predicts "
            f"the outcome perfectly ({at_boundary} fitted probabilities at 0 or 1{involved}); "
            "the maximum-likelihood estimate does not exist", kind="separation"
        )
    if not found.converged:
        raise NotEstimable(f"{what}: the logistic fit did not converge")
    covariance = pd.DataFrame(found.covariance, index=exog.columns, columns=exog.columns)
    if not np.all(np.isfinite(covariance.to_numpy())) or np.any(np.diag(covariance) <= 0):
        raise NotEstimable(f"{what}: the information matrix is singular")
    weights_kept = None if weights is None else np.asarray(weights, dtype=float)
    counts_kept = None if counts is None else np.asarray(counts, dtype=float)
    return LogisticFit(
        params, covariance, exog, fitted, np.asarray(outcome, dtype=float), weights_kept,
        counts_kept,
    )


def _fit_logistic_by_pattern(outcome: np.ndarray, exog: pd.DataFrame, what: str,
                             weights: np.ndarray | None) -> LogisticFit:
    """`fit_logistic(..., by_pattern=True)`: fitted on the distinct rows of regressors, outcome
    and weight with their counts, given per child."""
    outcome = np.asarray(outcome, dtype=float)
    weights = None if weights is None else np.asarray(weights, dtype=float)
    keys = [exog[column].to_numpy(dtype=float) for column in exog.columns]
    pattern, first = row_patterns([*keys, outcome, *([] if weights is None else [weights])])
    if len(first) == len(pattern):  # no two children alike
        return fit_logistic(outcome, exog, what=what, weights=weights)
    fit = fit_logistic(outcome[first], exog.iloc[first], what=what,
                       weights=None if weights is None else weights[first],
                       counts=np.bincount(pattern).astype(float))
    return LogisticFit(fit.params, fit.covariance, exog, fit.fitted[pattern], outcome, weights)


def _statsmodels_logistic(outcome: np.ndarray, exog: pd.DataFrame, what: str,
                          weights: np.ndarray | None, counts: np.ndarray | None) -> IrlsFit:
    """statsmodels' logistic GLM, its warnings turned into the fit's flags."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            # the design's values (statsmodels fits the same array; the fit is labelled above)
            result = GLM(
                outcome, exog.to_numpy(), family=families.Binomial(), var_weights=weights,
                freq_weights=counts,
            ).fit(maxiter=100)
        except PerfectSeparationError as error:
            raise NotEstimable(f"{what}: complete separation ({error})",
                                  kind="separation") from error
        except np.linalg.LinAlgError as error:
            raise NotEstimable(f"{what}: singular design ({error})") from error
    categories = {warning.category for warning in caught}
    found = IrlsFit(np.asarray(result.params), np.asarray(result.cov_params()),
                    np.asarray(result.fittedvalues),
                    converged=bool(result.converged) and ConvergenceWarning not in categories,
                    perfect_prediction=PerfectSeparationWarning in categories)
    # statsmodels' model and results refer to each other, so the fit's arrays (several
    # copies of the design) stay until the cycle collector runs: freed here, before the
    # next allocation is added to them
    del result
    gc.collect(1)
    return found


@dataclass(frozen=True)
class AdjustedEffects:
    """Adjusted odds ratio and standardised risks, risk difference and risk ratio.

    Attributes
    ----------
    odds_ratio : Estimate
        The adjusted (conditional) odds ratio, or the marginal one with interactions.
    risk_difference, risk_ratio : Estimate
        The standardised (g-computation) risk difference (0-1) and risk ratio.
    risk_treated, risk_untreated : Estimate
        The standardised risks under treatment and under none (measure "risk").
    estimand : str
        "ATT", "ATE" or "ATC": whom the risks are standardised over.
    n : int
        Children in the fit.
    n_dropped_missing : int
        Children left out for a missing covariate.
    coefficients : pandas.DataFrame
        coef, se (model-based) and se_robust of every term.

    Examples
    --------
    See `logistic_adjusted_effects`.

    >>> import numpy as np
    >>> outcome = np.repeat([1, 0, 1, 0], [30, 20, 15, 35])  # 30 of 50 treated, 15 of 50 not
    >>> treatment = np.repeat([1, 0], 50)
    >>> from pipeline.stats.regression import logistic_adjusted_effects
    >>> result = logistic_adjusted_effects(outcome, treatment)
    >>> result.estimand, result.n, round(result.risk_untreated.estimate, 4)
    ('ATT', 100, 0.3)
    """

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
        """Every estimate on its own line, with the n and the standardisation population."""
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
    cov_type: CovarianceType = "HC0",
    exposure_name: str = "treatment",
) -> AdjustedEffects:
    """Adjusted odds ratio and g-computation risk difference/ratio from one logistic fit.

    `outcome` and `treatment` are 0/1 (or boolean) vectors; `covariates` a DataFrame with
    one row per child (categoricals are dummy-coded, constant columns dropped, rows with
    any missing value dropped and counted). `estimand` chooses whom the marginal risks are
    standardised over: the treated (ATT), everyone (ATE) or the untreated (ATC).

    With `interactions=True` the outcome model also has treatment x covariate terms (so the
    standardised effect is not constrained to a common odds ratio); the single adjusted
    odds ratio then no longer exists, and `odds_ratio` is the marginal (standardised) one.

    `cov_type` is the coefficient covariance behind the standardised measures' intervals:
    "HC0" (default) or "HC1" sandwich, or "nonrobust" for the model-based one (see the
    module docstring). The conditional odds ratio's interval is model-based in every case.

    Parameters
    ----------
    outcome : array_like of 0/1
        The outcome per child (missing = left out).
    treatment : array_like of 0/1
        1 for an intervention child (missing = left out).
    covariates : pandas.DataFrame, optional
        Covariates per child, in the same order.
    estimand : {"ATT", "ATE", "ATC"}, optional
        Whom the marginal risks are standardised over; the treated by default.
    interactions : bool, optional
        Add treatment × covariate terms.
    confidence : float, optional
        Confidence level, 0.95 by default.
    cov_type : {"HC0", "HC1", "nonrobust"}, optional
        Covariance behind the standardised measures' intervals.
    exposure_name : str, optional
        The treatment term's name in the coefficient table, e.g. "home_visits";
        interaction terms are named "<exposure_name>:<covariate>".

    Returns
    -------
    AdjustedEffects
        The odds ratio, risk difference, risk ratio and both standardised risks, with
        intervals (and p-values for the effects). All not estimable, with the reason, when
        a group is too small, an arm has no events or only events, treatment is
        determined by the covariates, or the model separates or does not converge.

    Raises
    ------
    ValueError
        If `outcome` or `treatment` is not 0/1, they differ in length, the covariates have
        another number of rows, `estimand` or `cov_type` is unknown, or `exposure_name`
        clashes with a covariate term.

    Examples
    --------
    Without covariates the model is saturated, so the standardised risks are the groups'
    proportions, 0.6 and 0.3, and the odds ratio the crude 3.5; the risk difference's HC0
    variance is 0.6 · 0.4/50 + 0.3 · 0.7/50 = 0.009, its interval 0.3 ± 1.96 · 0.0949.

    >>> import numpy as np
    >>> outcome = np.repeat([1, 0, 1, 0], [30, 20, 15, 35])  # 30 of 50 treated, 15 of 50 not
    >>> treatment = np.repeat([1, 0], 50)
    >>> from pipeline.stats.regression import logistic_adjusted_effects
    >>> result = logistic_adjusted_effects(outcome, treatment)
    >>> round(result.odds_ratio.estimate, 4), round(result.risk_ratio.estimate, 4)
    (3.5, 2.0)
    >>> result.risk_difference.summary()
    'risk_difference (regression): 0.3 (95% CI 0.1141 to 0.4859), p = 0.00157, n = 100'
    >>> logistic_adjusted_effects(outcome, treatment, exposure_name="visited").coefficients.index.tolist()
    ['const', 'visited']
    """
    y_all = as_binary(outcome, "outcome")
    t_all = as_binary(treatment, "treatment")
    if len(y_all) != len(t_all):
        raise ValueError("outcome and treatment differ in length")
    if estimand not in ("ATT", "ATE", "ATC"):
        raise ValueError(f"estimand must be ATT, ATE or ATC, not {estimand!r}")
    if cov_type not in ("HC0", "HC1", "nonrobust"):
        raise ValueError(f"cov_type must be HC0, HC1 or nonrobust, not {cov_type!r}")
    observed = ~np.isnan(y_all) & ~np.isnan(t_all)
    design = build_covariate_design(covariates, len(y_all), observed)
    if exposure_name in design.covariates.columns or exposure_name == "const":
        raise ValueError(f"exposure_name {exposure_name!r} is also a covariate term; rename one")
    y = y_all[design.kept_rows]
    t = t_all[design.kept_rows]
    n = len(y)
    events = int(y.sum())
    base = dict(n=n, events=events, confidence=confidence, dropped=design.dropped)
    notes = {"rows_missing_outcome_or_treatment": int((~observed).sum())}
    try:
        _check_outcome_cells(y, t)
        require_treatment_identified(t, design.covariates)
        exog = _exog(t, design, interactions)
        # Children with the same regressors and outcome are fitted as one row with their
        # count (the likelihood, its scores and information, and each sum below over the
        # children are the same); covariates taking few values leave a tenth of the rows.
        pattern, first = row_patterns([*(exog[column].to_numpy(dtype=float) for column in exog.columns), y])
        fit = fit_logistic(y[first], exog.iloc[first].reset_index(drop=True), what="outcome model",
                           counts=np.bincount(pattern).astype(float))
    except NotEstimable as reason:
        measures = ("odds_ratio", "risk_difference", "risk_ratio", "risk", "risk")
        blank = [
            Estimate.not_estimable(m, METHOD, reason, details=dict(notes), **base)
            for m in measures
        ]
        return AdjustedEffects(
            *blank, estimand=estimand, n=n, n_dropped_missing=design.n_dropped_missing
        )

    z = stats.norm.ppf(0.5 + confidence / 2)
    treated = t[first]  # of each row fitted
    standardise_over = {"ATT": treated == 1, "ATE": np.ones(len(treated), bool),
                        "ATC": treated == 0}[estimand]
    *marginal, marginal_odds_ratio = _standardised(
        fit, standardise_over, z, base, notes | {"estimand": estimand}, cov_type
    )
    robust_kind = "HC1" if cov_type == "HC1" else "HC0"
    robust = fit.sandwich_covariance(robust_kind)
    odds_ratio = (
        marginal_odds_ratio if interactions else _odds_ratio(fit, robust, robust_kind, z, base, notes)
    )
    coefficients = pd.DataFrame(
        {
            "coef": fit.params,
            "se": np.sqrt(np.diag(fit.covariance)),
            "se_robust": np.sqrt(np.diag(robust)),
        },
        index=fit.params.index,
    ).rename(index=lambda term: _exposure_term(term, exposure_name))
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
                "outcome and the logistic model has no finite estimate", kind="zero_cell"
            )


def _exog(treatment: np.ndarray, design: CovariateDesign, interactions: bool) -> pd.DataFrame:
    exog = pd.DataFrame({"const": 1.0, "treatment": treatment})
    covariates = design.covariates.reset_index(drop=True)
    pieces = [exog, covariates]
    if interactions:
        pieces.append(covariates.mul(treatment, axis=0).add_prefix("treatment:"))
    return pd.concat(pieces, axis=1)


def _exposure_term(term: str, exposure_name: str) -> str:
    """A design term as the caller names it: the treatment column after the exposure."""
    if term == "treatment" or term.startswith("treatment:"):
        return exposure_name + term.removeprefix("treatment")
    return term


def _set_treatment(exog: pd.DataFrame, value: float) -> np.ndarray:
    """The design with everyone's treatment (and its interactions) set to `value`."""
    counterfactual = exog.assign(treatment=value)
    for column in exog.columns:
        if column.startswith("treatment:"):
            counterfactual[column] = value * exog[column.removeprefix("treatment:")]
    return counterfactual.to_numpy()


def _odds_ratio(
    fit: LogisticFit, robust: pd.DataFrame, robust_kind: str, z: float, base: dict, notes: dict
) -> Estimate:
    """Conditional odds ratio with the model-based Wald interval; robust SE in details."""
    coef = float(fit.params["treatment"])
    se = float(np.sqrt(fit.covariance.loc["treatment", "treatment"]))
    se_robust = float(np.sqrt(robust.loc["treatment", "treatment"]))
    return Estimate(
        measure="odds_ratio",
        method=METHOD,
        estimate=float(np.exp(coef)),
        ci_low=float(np.exp(coef - z * se)),
        ci_high=float(np.exp(coef + z * se)),
        p_value=float(2 * stats.norm.sf(abs(coef / se))),
        se=se,
        log_scale=True,
        details=notes
        | {
            "log_odds_ratio": coef,
            "interval": "Wald, model-based covariance",
            "se_robust": se_robust,
            "se_robust_type": robust_kind,
        },
        **base,
    )


def _standardised(
    fit: LogisticFit,
    over: np.ndarray,
    z: float,
    base: dict,
    notes: dict,
    cov_type: CovarianceType = "HC0",
) -> tuple[Estimate, Estimate, Estimate, Estimate, Estimate]:
    """Risk difference, risk ratio, the two standardised risks and the marginal odds ratio.

    The covariance of the two standardised risks is the stacked (M-estimation) sandwich,
    written as a sum over children of their influence on the risks: through the
    coefficients, G I^-1 s_i (G the gradient below, I the information, s_i the score), and
    as a member of the population standardised over, (p_i - risk) / n_over.
    """
    counts = np.ones(len(fit.fitted)) if fit.counts is None else fit.counts
    exog = fit.exog.loc[over]
    as_treated = _set_treatment(exog, 1.0)
    as_untreated = _set_treatment(exog, 0.0)
    beta = fit.params.to_numpy()
    p1 = 1 / (1 + np.exp(-(as_treated @ beta)))
    p0 = 1 / (1 + np.exp(-(as_untreated @ beta)))
    counted = counts[over]  # the children each row of the population stands for
    n_over = counted.sum()
    risks = np.array([counted @ p1, counted @ p0]) / n_over
    # d(mean p)/d(beta) = mean of p(1-p) x over the standardisation population.
    gradient = np.vstack([(counted * p1 * (1 - p1)) @ as_treated,
                          (counted * p0 * (1 - p0)) @ as_untreated])
    gradient /= n_over
    through_coefficients = fit.score_contributions() @ np.linalg.solve(
        fit.information(), gradient.T
    )
    as_population = np.zeros_like(through_coefficients)
    as_population[over] = (np.column_stack([p1, p0]) - risks) / n_over
    # sums over the children: each row's terms taken its count of times
    through_counted = through_coefficients * counts[:, None]
    coefficient_part = through_counted.T @ through_coefficients
    population_part = (as_population * counts[:, None]).T @ as_population
    cross_part = through_counted.T @ as_population
    model_based_part = gradient @ fit.covariance.to_numpy() @ gradient.T
    if cov_type == "nonrobust":
        model_part = model_based_part
        covariance = model_based_part + population_part
    else:
        factor = 1.0
        if cov_type == "HC1":
            n, k = counts.sum(), fit.exog.shape[1]
            factor = n / (n - k)
        model_part = factor * coefficient_part
        covariance = factor * (coefficient_part + population_part + cross_part + cross_part.T)
    model_based = model_based_part + population_part
    details = notes | {
        "interval": "delta method",
        "n_standardised_over": int(n_over),
        "coefficient_covariance": cov_type,
    }

    def wald(measure: str, value: float, gradient_vector: np.ndarray, log: bool) -> Estimate:
        var = float(gradient_vector @ covariance @ gradient_vector)
        var_model = float(gradient_vector @ model_part @ gradient_vector)
        var_model_based = float(gradient_vector @ model_based @ gradient_vector)
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
            se=float(se),
            log_scale=log,
            details=details
            | {
                "se_model_only": float(np.sqrt(var_model)),
                "se_model_based": float(np.sqrt(var_model_based)),
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
    marginal_or = replace(
        marginal_or, details=marginal_or.details | {"type": "marginal (standardised) odds ratio"})
    return rd, rr, risk_treated, risk_untreated, marginal_or


def logistic_slope(outcome: np.ndarray, exposure: np.ndarray,
                   covariates: pd.DataFrame) -> Estimate:
    """Odds ratio per unit of a numeric exposure from a covariate-adjusted logistic model.

    Parameters
    ----------
    outcome : numpy.ndarray
        The 0/1 outcome per child (NaN = left out).
    exposure : numpy.ndarray
        The exposure per child, e.g. the number of home visits received (NaN = left out).
    covariates : pandas.DataFrame
        Covariates per child, in the same order; it may have no columns.

    Returns
    -------
    Estimate
        measure "odds_ratio", method "regression": the odds ratio per unit of exposure with
        its model-based Wald 95 % interval and p.

    Raises
    ------
    NotEstimable
        If fewer than 3 children are left, the outcome or the exposure does not vary, or
        the logistic fit separates or does not converge.
    ValueError
        If the covariates have another number of rows.

    Examples
    --------
    30 of 50 children with 4 contacts and 15 of 50 with 2 had the outcome: an odds ratio
    of 3.5 over 2 contacts, √3.5 per contact.

    >>> import numpy as np
    >>> outcome = np.repeat([1, 0, 1, 0], [30, 20, 15, 35])  # 30 of 50 treated, 15 of 50 not
    >>> treatment = np.repeat([1, 0], 50)
    >>> import pandas as pd
    >>> from pipeline.stats.regression import logistic_slope
    >>> contacts = np.repeat([4.0, 2.0], 50)
    >>> result = logistic_slope(outcome.astype(float), contacts, pd.DataFrame(index=range(100)))
    >>> round(result.estimate, 4), round(3.5 ** 0.5, 4)
    (1.8708, 1.8708)
    """
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
    fit = fit_logistic(y, exog, what="dose-response model", by_pattern=True)
    coef = float(fit.params["exposure"])
    se = float(np.sqrt(fit.covariance.loc["exposure", "exposure"]))
    z = stats.norm.ppf(0.975)
    return Estimate("odds_ratio", "regression", math.exp(coef), math.exp(coef - z * se),
                    math.exp(coef + z * se), float(2 * stats.norm.sf(abs(coef / se))),
                    n=len(y), events=int(y.sum()), se=se, log_scale=True,
                    dropped=design.dropped)


def interaction_test(outcome: np.ndarray, treated: np.ndarray, levels: np.ndarray) -> Test:
    """Likelihood-ratio test of treatment × subgroup in a logistic model, or the reason.

    With no other covariates the interaction model is saturated in the treatment × level
    cells (fitted risks = cell proportions), and the main-effects model can be fitted to
    the cell counts (frequency weights), so the test costs nothing at national scale.
    Levels lacking children in either group add no interaction term and are left out.

    Parameters
    ----------
    outcome : numpy.ndarray
        The 0/1 outcome per child (no missing values).
    treated : numpy.ndarray
        1 for an intervention child, 0 otherwise.
    levels : numpy.ndarray
        The subgroup level per child.

    Returns
    -------
    Test
        Method "likelihood_ratio": the LR chi-square on (levels − 1) df, its p, n and the
        levels tested. Not estimable, with the reason, when fewer than two levels have
        both groups, every child has the same outcome, or the main-effects model separates.

    Examples
    --------
    The same odds ratio in both levels: no interaction, p = 1; one level only: no test.

    >>> import numpy as np
    >>> outcome = np.repeat([1, 0, 1, 0], [30, 20, 15, 35])  # 30 of 50 treated, 15 of 50 not
    >>> treatment = np.repeat([1, 0], 50)
    >>> from pipeline.stats.regression import interaction_test
    >>> y, t = np.concatenate([outcome, outcome]), np.concatenate([treatment, treatment])
    >>> test = interaction_test(y, t, np.repeat(["a", "b"], 100))
    >>> round(test.p_value, 4), test.df, test.tested
    (1.0, 1, ('a', 'b'))
    >>> interaction_test(outcome, treatment, np.repeat(["a"], 100)).reason
    'not estimable: fewer than two subgroups have children in both groups'
    """
    codes, names = pd.factorize(pd.Series(levels), sort=True)
    n_levels = int(codes.max()) + 1 if len(codes) else 0
    cell = codes * 2 + treated.astype(int)
    n = np.bincount(cell, minlength=2 * n_levels).reshape(n_levels, 2)
    events = np.bincount(cell, weights=outcome, minlength=2 * n_levels).reshape(n_levels, 2)
    both = (n > 0).all(axis=1)
    n, events = n[both], events[both]
    common = {"reference": "chi2", "n": len(outcome),
              "tested": tuple(names[both].tolist()), "subject": "subgroup level(s)"}
    if len(n) < 2:
        return Test.not_estimable("likelihood_ratio", "not estimable: fewer than two subgroups "
                                  "have children in both groups", **common)
    if events.sum() in (0, n.sum()):
        return Test.not_estimable("likelihood_ratio",
                                  "not estimable: every child has the same outcome",
                                  df=len(n) - 1, **common)
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
            main = GLM(y, exog, family=families.Binomial(), freq_weights=weight).fit()
        except (NotEstimable, ValueError, ZeroDivisionError, np.linalg.LinAlgError,
                PerfectSeparationError) as error:
            return Test.not_estimable("likelihood_ratio", "not estimable: main-effects "
                                      f"model failed ({error})", df=len(n) - 1, **common)
    if any(issubclass(w.category, (PerfectSeparationWarning, ConvergenceWarning))
           for w in caught) or not main.converged:
        return Test.not_estimable("likelihood_ratio", "not estimable: the main-effects model "
                                  "separates (a subgroup has no events or only events)",
                                  df=len(n) - 1, **common)
    risk_main = np.asarray(main.fittedvalues)

    def log_likelihood(risk: np.ndarray) -> float:
        with np.errstate(divide="ignore", invalid="ignore"):
            terms = np.where(y == 1, np.log(risk), np.log1p(-risk))
        return float((weight * terms).sum())

    statistic = max(0.0, 2 * (log_likelihood(cell_risk) - log_likelihood(risk_main)))
    return Test(statistic, len(n) - 1, None, float(stats.chi2.sf(statistic, len(n) - 1)),
                "likelihood_ratio", **common)
