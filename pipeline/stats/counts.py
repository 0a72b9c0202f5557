"""Effects on count and rate outcomes: Poisson rate ratios, rate differences, overdispersion.

For outcomes that are counts rather than yes/no — emergency healthcare contacts over each
child's follow-up (a rate per child-year), decayed, extracted and filled teeth (deft) at
three years (a count without person-time).

One model behind every function: a Poisson GLM (log link) of the count on treatment and
the covariates, with log(person-time) as offset, so that exp(coefficient) is the rate ratio
(Breslow & Day 1987, Statistical Methods in Cancer Research II, ch. 4; Stata's
`poisson ..., exposure()`). Without person-time (`person_time=None`) the offset is zero
and the ratio is one of mean counts per child.

Standard errors. The model-based Poisson variance assumes the variance of a count equals
its mean; counts of healthcare contacts vary more than that (a few children with many
contacts), so the default is the robust sandwich I^-1 (sum s_i s_i') I^-1 (Zeger 1988;
Cameron & Trivedi 2013, Regression Analysis of Count Data, §2.7), which stays valid under
overdispersion as long as the mean model is right:

- "HC0": no factor (R's `sandwich`, statsmodels' GLM `cov_type="HC0"`);
- "HC1": times n / (n - k), k the coefficients — the MacKinnon & White (1985) factor, as
  in `pipeline.stats.regression` (note: Stata's `vce(robust)` after `poisson` uses
  n / (n - 1) instead);
- "cluster": scores summed within clusters (areas, families), times
  G/(G - 1) · (n - 1)/(n - k) — the CR1 factor of `pipeline.stats.did` and statsmodels'
  default (Stata's `vce(cluster)` after `poisson` uses G/(G - 1) only); normal reference;
- "nonrobust": the model-based inverse information, so that textbook examples with one row
  per group reproduce (with aggregated counts the sandwich has nothing to go on).

The rate difference is found by regression standardisation over every child analysed:
the rates predicted at unit person-time with treatment set to 1 and to 0, averaged.
Without covariates it is the crude e1/T1 - e0/T0. Its variance is that of the stacked
estimating equations (Poisson score and the two means), as for the risks in
`pipeline.stats.regression`: the coefficients' part through the robust covariance plus
the sampling variability of the covariate distribution.

`overdispersion_check` fits a negative binomial (NB2, variance mu + alpha mu^2) model with
the same offset and compares it with the Poisson model by a likelihood-ratio test of
alpha = 0; alpha = 0 is on the boundary of the parameter space, so the statistic follows
the 50:50 mixture of chi-square(0) and chi-square(1) and p is half the chi-square(1)
upper tail (Self & Liang 1987; Stata's `nbreg` "LR test of alpha=0").

The statsmodels fits are wrapped: convergence failures, infinite estimates (no events in
a group) and aliased terms become reasons, not numbers.
"""

from __future__ import annotations

import gc
import math
import warnings
from dataclasses import dataclass, replace
from typing import Literal

import numpy as np
import pandas as pd
from scipy import optimize, stats
from statsmodels.discrete.discrete_model import NegativeBinomial
from statsmodels.genmod import families
from statsmodels.genmod.generalized_linear_model import GLM
from statsmodels.tools.sm_exceptions import ConvergenceWarning

from pipeline.stats._design import (
    CovariateDesign,
    as_binary,
    as_finite,
    build_covariate_design,
    require_both_groups,
    require_treatment_identified,
)
from pipeline.stats._irls import negative_binomial_irls, poisson_irls
from pipeline.stats.proportions import check_confidence
from pipeline.stats.results import Estimate, NotEstimable, Test
from pipeline.stats.weighting import (
    iptw_weights,
    kish_effective_sample_size,
    propensity_scores,
)

CovarianceType = Literal["HC0", "HC1", "cluster", "nonrobust"]
COVARIANCE_TYPES = ("HC0", "HC1", "cluster", "nonrobust")
METHOD = "poisson"
METHOD_NEGATIVE_BINOMIAL = "negative_binomial"
METHOD_IPTW = "iptw"
# A log rate ratio this large (a ratio above e^15 per unit) means the estimate diverges.
_HUGE_COEFFICIENT = 15.0
# A robust variance this small beside the model-based one is rounding of an exact zero.
_NEGLIGIBLE_VARIANCE = 1e-12
# Clustered inference with fewer clusters than this is flagged ("few_areas").
_FEW_CLUSTERS = 30
# Where the negative binomial's alpha is searched for (log scale), and the rise in
# log-likelihood over Poisson below which alpha is at its boundary 0.
_LOG_ALPHA_BOUNDS = (-12.0, 5.0)
_LOG_LIKELIHOOD_TOLERANCE = 1e-8


# --------------------------------------------------------------------------- data


@dataclass(frozen=True)
class _CountData:
    """The rows analysed: counts, log offset, treatment, design, clusters and notes."""

    events: np.ndarray
    log_offset: np.ndarray
    treatment: np.ndarray
    exog: pd.DataFrame
    clusters: np.ndarray | None
    design: CovariateDesign
    notes: dict
    has_person_time: bool
    exposure_name: str
    person_time_by_group: dict

    @property
    def n(self) -> int:
        return len(self.events)

    @property
    def total_events(self) -> int:
        return int(round(float(self.events.sum())))

    def base(self, confidence: float) -> dict:
        """The Estimate fields every result from these rows shares."""
        return {"n": self.n, "events": self.total_events, "confidence": confidence,
                "dropped": self.design.dropped}


def _prepare(
    events: object,
    person_time: object | None,
    treatment: object,
    covariates: pd.DataFrame | None,
    clusters: object | None,
    exposure_name: str,
) -> _CountData:
    """Validate the inputs and build the rows analysed (ValueError for invalid input)."""
    y_all = as_finite(events, "events")
    observed_y = y_all[~np.isnan(y_all)]
    if (observed_y < 0).any() or (observed_y != np.round(observed_y)).any():
        raise ValueError("events must be non-negative whole numbers (counts)")
    t_all = as_binary(treatment, "treatment")
    if len(t_all) != len(y_all):
        raise ValueError("events and treatment differ in length")
    if person_time is None:
        pt_all = np.ones(len(y_all))
    else:
        pt_all = as_finite(person_time, "person_time")
        if len(pt_all) != len(y_all):
            raise ValueError("events and person_time differ in length")
        if (pt_all[~np.isnan(pt_all)] < 0).any():
            raise ValueError("person_time must be non-negative")
        if ((pt_all == 0) & (y_all > 0)).any():
            raise ValueError("events counted over zero person-time: check the follow-up")
    cluster_all = None
    if clusters is not None:
        cluster_all = pd.Series(np.asarray(clusters, dtype=object))
        if len(cluster_all) != len(y_all):
            raise ValueError("events and clusters differ in length")
        if cluster_all.isna().any():
            raise ValueError(f"{int(cluster_all.isna().sum())} rows have no cluster; give "
                             "every row its cluster (area) or leave them out first")
    observed = ~np.isnan(y_all) & ~np.isnan(t_all) & ~np.isnan(pt_all)
    zero_time = observed & (pt_all == 0)
    # Rows and person-time per group before rows without person-time are left out.
    person_time_by_group = {
        label: (int((observed & arm).sum()), float(pt_all[observed & arm].sum()))
        for label, arm in (("treated", t_all == 1), ("comparison", t_all == 0))
    }
    # A row without person-time adds nothing to a Poisson likelihood (its events are 0).
    design = build_covariate_design(covariates, len(y_all), observed & ~zero_time)
    if exposure_name in design.covariates.columns or exposure_name == "const":
        raise ValueError(f"exposure_name {exposure_name!r} is also a covariate term; rename one")
    keep = design.kept_rows
    t = t_all[keep]
    exog = pd.concat(
        [pd.DataFrame({"const": np.ones(len(t)), exposure_name: t}),
         design.covariates.reset_index(drop=True)], axis=1,
    )
    notes = {"rows_missing_outcome_or_treatment": int((~observed).sum()),
             "rows_zero_person_time": int(zero_time.sum()),
             "exposure_name": exposure_name}
    return _CountData(
        events=y_all[keep], log_offset=np.log(pt_all[keep]), treatment=t, exog=exog,
        clusters=None if cluster_all is None else cluster_all[keep].to_numpy(),
        design=design, notes=notes, has_person_time=person_time is not None,
        exposure_name=exposure_name, person_time_by_group=person_time_by_group,
    )


def _check_identified(data: _CountData) -> None:
    """NotEstimable when a group lacks person-time or events, or treatment is aliased."""
    for label, (rows, total) in data.person_time_by_group.items():
        if data.has_person_time and rows > 0 and total == 0:
            raise NotEstimable(f"no person-time in the {label} group: no rate to compare")
    require_both_groups(data.treatment, minimum=1)
    if data.total_events == 0:
        raise NotEstimable("no events in either group: the rate ratio is 0/0")
    for label, arm in (("treated", data.treatment == 1), ("comparison", data.treatment == 0)):
        if data.events[arm].sum() == 0:
            consequence = "infinite" if label == "comparison" else "0"
            raise NotEstimable(
                f"zero cell: no events in the {label} group, so the rate ratio is "
                f"{consequence} and the Poisson maximum-likelihood estimate does not exist",
                kind="zero_cell",
            )
    require_treatment_identified(data.treatment, data.design.covariates)


def _check_covariance(cov_type: str, clusters: object | None) -> None:
    if cov_type not in COVARIANCE_TYPES:
        raise ValueError(f"cov_type must be one of {COVARIANCE_TYPES}, not {cov_type!r}")
    if cov_type == "cluster" and clusters is None:
        raise ValueError("cov_type='cluster' needs clusters (the area of each row)")
    if cov_type != "cluster" and clusters is not None:
        raise ValueError("clusters were given: use cov_type='cluster' to cluster by them")


# --------------------------------------------------------------------------- the fit


@dataclass(frozen=True)
class _PoissonFit:
    """A converged Poisson fit: coefficients, design, fitted counts, scores, information."""

    params: pd.Series
    exog: pd.DataFrame
    fitted: np.ndarray
    events: np.ndarray
    weights: np.ndarray
    log_likelihood: float

    def scores(self) -> np.ndarray:
        """Each row's score w_i x_i (y_i - mu_i) (n x k)."""
        return self.exog.to_numpy() * (self.weights * (self.events - self.fitted))[:, None]

    def information(self) -> np.ndarray:
        """sum w_i mu_i x_i x_i' (observed = expected for the canonical log link)."""
        exog = self.exog.to_numpy()
        return (exog * (self.weights * self.fitted)[:, None]).T @ exog


def _fit_poisson(data: _CountData, weights: np.ndarray | None = None) -> _PoissonFit:
    """Fit the Poisson GLM; NotEstimable for non-convergence or a diverging coefficient.

    By `poisson_irls` (statsmodels' IRLS, step for step, on the normal equations); a fit it
    declines (a singular or non-finite system) goes to statsmodels' own GLM, as before.
    """
    fitted_by_irls = poisson_irls(data.events, data.exog.to_numpy(), data.log_offset, weights)
    if fitted_by_irls is None:
        params_array, fitted, log_likelihood, converged = _statsmodels_poisson(data, weights)
    else:
        params_array, fitted, log_likelihood, converged = fitted_by_irls
    if not converged:
        raise NotEstimable("Poisson model did not converge")
    params = pd.Series(params_array, index=data.exog.columns)
    if not np.all(np.isfinite(params)):
        raise NotEstimable("Poisson model: non-finite coefficients")
    diverging = [str(name) for name, value in params.drop("const").items()
                 if abs(value) > _HUGE_COEFFICIENT]
    if diverging:
        raise NotEstimable(
            f"Poisson model: coefficients diverging ({', '.join(diverging)}): some covariate "
            "pattern has no events, so the maximum-likelihood estimate does not exist",
            kind="no_mle",
        )
    w = np.ones(data.n) if weights is None else np.asarray(weights, dtype=float)
    return _PoissonFit(params, data.exog, fitted, data.events, w, log_likelihood)


def _statsmodels_poisson(data: _CountData, weights: np.ndarray | None
                         ) -> tuple[np.ndarray, np.ndarray, float, bool]:
    """statsmodels' Poisson GLM: coefficients, fitted counts, log-likelihood, converged."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            # the design's values (statsmodels fits the same array; the fit is labelled below)
            result = GLM(data.events, data.exog.to_numpy(), family=families.Poisson(),
                         offset=data.log_offset, var_weights=weights).fit(maxiter=100)
        except (np.linalg.LinAlgError, ValueError) as error:
            raise NotEstimable(f"Poisson model: the fit failed ({error})") from error
    converged = bool(result.converged) and not any(
        issubclass(w.category, ConvergenceWarning) for w in caught)
    found = (np.asarray(result.params), np.asarray(result.fittedvalues), float(result.llf), converged)
    # statsmodels' model and results refer to each other: the fit's copies of the design
    # (~900 MB for the DiD's 500,000 rows) are freed here, not when the collector next runs
    del result
    gc.collect(1)
    return found


def _sandwich(influence: np.ndarray, data: _CountData, cov_type: str) -> np.ndarray:
    """sum of outer products of per-row (or per-cluster) influences, with the factor."""
    n, k = data.exog.shape
    if cov_type == "cluster":
        codes, _ = pd.factorize(pd.Series(data.clusters))
        n_clusters = int(codes.max()) + 1
        summed = np.zeros((n_clusters, influence.shape[1]))
        np.add.at(summed, codes, influence)
        factor = n_clusters / (n_clusters - 1) * (n - 1) / (n - k)
        return factor * summed.T @ summed
    factor = n / (n - k) if cov_type == "HC1" else 1.0
    return factor * influence.T @ influence


def _n_clusters(data: _CountData, cov_type: str) -> int | None:
    if cov_type != "cluster":
        return None
    n_clusters = int(pd.Series(data.clusters).nunique())
    if n_clusters < 2:
        raise NotEstimable(f"only {n_clusters} cluster: a cluster-robust variance needs at "
                           "least two (use cov_type='HC0' or more areas)")
    return n_clusters


def _check_degrees_of_freedom(data: _CountData, cov_type: str) -> None:
    n, k = data.exog.shape
    if cov_type in ("HC1", "cluster") and n <= k:
        raise NotEstimable(f"{n} rows for {k} coefficients: no {cov_type} small-sample factor")


def _coefficient_covariance(fit: _PoissonFit, data: _CountData, cov_type: str) -> np.ndarray:
    bread = np.linalg.inv(fit.information())
    if cov_type == "nonrobust":
        return bread
    return bread @ _sandwich(fit.scores(), data, cov_type) @ bread


def _coefficient_table(fit: _PoissonFit, covariance: np.ndarray) -> dict:
    se = np.sqrt(np.clip(np.diag(covariance), 0, None))
    return {str(name): {"coef": float(b), "se": float(s), "rate_ratio": float(np.exp(b))}
            for name, b, s in zip(fit.params.index, fit.params, se, strict=True)}


def _flags(n_clusters: int | None) -> tuple[str, ...]:
    return ("few_areas",) if n_clusters is not None and n_clusters < _FEW_CLUSTERS else ()


def _measures(data: _CountData) -> tuple[str, str]:
    if data.has_person_time:
        return "rate_ratio", "rate_difference"
    return "count_ratio", "count_difference"


def _group_summary(data: _CountData, weights: np.ndarray | None = None) -> dict:
    """Events, person-time and crude (or weighted) rates per group, for `details`."""
    w = np.ones(data.n) if weights is None else weights
    person_time = np.exp(data.log_offset)
    summary = {}
    for label, arm in (("treated", data.treatment == 1), ("comparison", data.treatment == 0)):
        events = float((w * data.events)[arm].sum())
        time = float((w * person_time)[arm].sum())
        summary[f"events_{label}"] = events
        summary[f"person_time_{label}"] = time
        summary[f"rate_{label}"] = events / time if time > 0 else None
    return summary


def _wald(measure: str, method: str, value: float, se: float, log: bool, z: float,
          base: dict, **fields: object) -> Estimate:
    """A ratio (log scale) or difference with its Wald interval and p, or no interval if se = 0."""
    centre = math.log(value) if log else value
    if se == 0:
        return Estimate(measure, method, value, se=None, log_scale=log,
                        reason="the variance is zero (with one row per group, aggregated "
                        "counts, the sandwich has nothing to go on: use cov_type='nonrobust')",
                        **base, **fields)
    low, high = centre - z * se, centre + z * se
    if log:
        low, high = math.exp(low), math.exp(high)
    return Estimate(measure, method, value, low, high, float(2 * stats.norm.sf(abs(centre / se))),
                    se=se, log_scale=log, **base, **fields)


# --------------------------------------------------------------------------- public


def poisson_rate_ratio(
    events: object,
    person_time: object | None,
    treatment: object,
    covariates: pd.DataFrame | None = None,
    *,
    cov_type: CovarianceType = "HC0",
    clusters: object | None = None,
    exposure_name: str = "treatment",
    confidence: float = 0.95,
) -> Estimate:
    """Rate ratio (treated vs comparison) from a Poisson model with a log person-time offset.

    Parameters
    ----------
    events : array_like of int
        Events counted per child (e.g. emergency contacts), non-negative whole numbers;
        missing = left out.
    person_time : array_like of float or None
        Each child's time at risk in the rate's unit (child-years, so the rate is per
        child-year); missing = left out; rows with zero person-time (and so no events)
        add nothing and are left out, counted. None for a count without person-time
        (the ratio of mean counts; see `count_ratio`).
    treatment : array_like of 0/1
        1 for an intervention child (missing = left out).
    covariates : pandas.DataFrame, optional
        Covariates per child, in the same order (categoricals dummy-coded; incomplete
        rows, constant and aliased terms dropped and reported in `dropped`).
    cov_type : {"HC0", "HC1", "cluster", "nonrobust"}, optional
        The coefficient covariance (see the module docstring); the HC0 sandwich by default.
    clusters : array_like, optional
        The cluster (area) of each child; required for, and only for, "cluster".
    exposure_name : str, optional
        The treatment term's name in the coefficient table (`details["coefficients"]`).
    confidence : float, optional
        Confidence level, 0.95 by default.

    Returns
    -------
    Estimate
        measure "rate_ratio" ("count_ratio" without person-time), method "poisson":
        exp(coefficient) with its Wald interval and p, `se` on the log scale, `events` the
        total count, `n` the rows (children) analysed, `n_clusters` when clustered,
        `dropped`; `details` has the coefficient table (rows "const", `exposure_name`,
        the covariate terms: coef, se, rate_ratio), the events, person-time and crude
        rates per group, the log-likelihood and `cov_type`. Not estimable, with the
        reason, when a group has no children, no person-time or no events, treatment is
        determined by the covariates, a coefficient diverges, the fit does not converge,
        or there is only one cluster.

    Raises
    ------
    ValueError
        If events are not non-negative whole numbers, person-time is negative (or zero
        with events), treatment is not 0/1, the lengths differ, `cov_type` is unknown or
        does not match `clusters`, a cluster is missing, `exposure_name` clashes with a
        covariate term, or `confidence` is not between 0 and 1.

    Examples
    --------
    Without covariates the model is saturated: the ratio is the crude (e1/T1) / (e0/T0)
    and its model-based log SE √(1/e1 + 1/e0). Stata's `iri 41 15 28010 19017` example
    (one row per group):

    >>> from pipeline.stats.counts import poisson_rate_ratio
    >>> result = poisson_rate_ratio([41, 15], [28010, 19017], [1, 0], cov_type="nonrobust")
    >>> round(result.estimate, 6), round(result.se, 4), round((1 / 41 + 1 / 15) ** 0.5, 4)
    (1.855759, 0.3018, 0.3018)

    Child-level data: the intervention children had 1, 1, 1, 0 contacts over 2 years
    each (3 per 8 child-years), the comparison children 0, 2, 3, 1 over 1 year each (6
    per 4 child-years): 0.375 / 1.5 = 0.25. The HC0 variance of the log ratio is the sum
    over groups of (squared residuals) / events², 0.75/9 + 5/36, an SE of 0.4714:

    >>> events = [1, 1, 1, 0, 0, 2, 3, 1]
    >>> years = [2, 2, 2, 2, 1, 1, 1, 1]
    >>> treated = [1, 1, 1, 1, 0, 0, 0, 0]
    >>> poisson_rate_ratio(events, years, treated).summary()
    'rate_ratio (poisson): 0.25 (95% CI 0.09924 to 0.6298), p = 0.00327, n = 8'
    >>> poisson_rate_ratio([0, 0, 1, 2], [1, 1, 1, 1], [1, 1, 0, 0]).flags
    ('zero_cell',)
    """
    check_confidence(confidence)
    _check_covariance(cov_type, clusters)
    data = _prepare(events, person_time, treatment, covariates, clusters, exposure_name)
    ratio_measure, _ = _measures(data)
    return _rate_ratio(data, ratio_measure, METHOD, cov_type, confidence)


def _rate_ratio(data: _CountData, measure: str, method: str, cov_type: str,
                confidence: float, weights: np.ndarray | None = None,
                extra: dict | None = None) -> Estimate:
    base = data.base(confidence)
    details = dict(data.notes) | {"cov_type": cov_type} | (extra or {})
    try:
        _check_identified(data)
        _check_degrees_of_freedom(data, cov_type)
        n_clusters = _n_clusters(data, cov_type)
        fit = _fit_poisson(data, weights)
        covariance = _coefficient_covariance(fit, data, cov_type)
    except NotEstimable as reason:
        return Estimate.not_estimable(measure, method, reason,
                                      details=details | _group_summary(data, weights), **base)
    position = list(data.exog.columns).index(data.exposure_name)
    coef = float(fit.params.iloc[position])
    model_based = np.linalg.inv(fit.information())[position, position]
    se = _standard_error(covariance[position, position], model_based)
    details |= _group_summary(data, weights) | {
        "log_rate_ratio": coef,
        "log_likelihood": fit.log_likelihood,
        "coefficients": _coefficient_table(fit, covariance),
        "reference_distribution": "normal",
    }
    z = float(stats.norm.ppf(0.5 + confidence / 2))
    return _wald(measure, method, math.exp(coef), se, True, z, base, details=details,
                 n_clusters=n_clusters, flags=_flags(n_clusters))


def poisson_rate_difference(
    events: object,
    person_time: object | None,
    treatment: object,
    covariates: pd.DataFrame | None = None,
    *,
    cov_type: CovarianceType = "HC0",
    clusters: object | None = None,
    exposure_name: str = "treatment",
    confidence: float = 0.95,
) -> Estimate:
    """Rate difference (treated minus comparison) by standardisation over a Poisson fit.

    The rates predicted at one unit of person-time with treatment set to 1 and to 0 for
    every child analysed, averaged; without covariates exactly e1/T1 - e0/T0. The
    delta-method variance is that of the stacked estimating equations (see the module
    docstring) with the chosen coefficient covariance.

    Parameters
    ----------
    events : array_like of int
        Events counted per child, non-negative whole numbers; missing = left out.
    person_time : array_like of float or None
        Each child's time at risk in the rate's unit (child-years: the difference is then
        in events per child-year); None for a count without person-time (a difference in
        mean counts per child).
    treatment : array_like of 0/1
        1 for an intervention child (missing = left out).
    covariates : pandas.DataFrame, optional
        Covariates per child, in the same order.
    cov_type : {"HC0", "HC1", "cluster", "nonrobust"}, optional
        The coefficient covariance; the HC0 sandwich by default.
    clusters : array_like, optional
        The cluster (area) of each child; required for, and only for, "cluster".
    exposure_name : str, optional
        The treatment term's name in the coefficient table.
    confidence : float, optional
        Confidence level, 0.95 by default.

    Returns
    -------
    Estimate
        measure "rate_difference" ("count_difference" without person-time), method
        "poisson": the difference in events per unit of person-time with its Wald interval
        and p; `details` has both standardised rates ("rate_treated_standardised",
        "rate_comparison_standardised"). Not estimable in the cases `poisson_rate_ratio`
        lists (with no events in a group the crude difference still exists, but the model
        has no estimate).

    Raises
    ------
    ValueError
        As `poisson_rate_ratio`.

    Examples
    --------
    Stata's `iri 41 15 28010 19017`: difference .000675 per person-year, 95% CI .0000749
    to .0012751 (the model-based variance e1/T1² + e0/T0²):

    >>> from pipeline.stats.counts import poisson_rate_difference
    >>> result = poisson_rate_difference([41, 15], [28010, 19017], [1, 0], cov_type="nonrobust")
    >>> round(result.estimate, 6), round(result.ci_low, 7), round(result.ci_high, 7)
    (0.000675, 7.49e-05, 0.0012751)
    """
    check_confidence(confidence)
    _check_covariance(cov_type, clusters)
    data = _prepare(events, person_time, treatment, covariates, clusters, exposure_name)
    _, measure = _measures(data)
    base = data.base(confidence)
    details = dict(data.notes) | {"cov_type": cov_type} | _group_summary(data)
    try:
        _check_identified(data)
        _check_degrees_of_freedom(data, cov_type)
        n_clusters = _n_clusters(data, cov_type)
        fit = _fit_poisson(data)
    except NotEstimable as reason:
        return Estimate.not_estimable(measure, METHOD, reason, details=details, **base)
    rates, covariance, model_based = _standardised_rates(fit, data, cov_type)
    gradient = np.array([1.0, -1.0])
    se = _standard_error(gradient @ covariance @ gradient, gradient @ model_based @ gradient)
    details |= {"rate_treated_standardised": float(rates[0]),
                "rate_comparison_standardised": float(rates[1]),
                "standardised_over": "every child analysed",
                "interval": "delta method", "reference_distribution": "normal"}
    z = float(stats.norm.ppf(0.5 + confidence / 2))
    return _wald(measure, METHOD, float(rates[0] - rates[1]), se, False, z, base,
                 details=details, n_clusters=n_clusters, flags=_flags(n_clusters))


def _standardised_rates(fit: _PoissonFit, data: _CountData,
                        cov_type: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Mean predicted rates at T = 1 and T = 0, their 2 x 2 covariance and its model-based one.

    Each row's influence on the two means: through the coefficients, G I^-1 s_i (G the
    gradient of the means), and as a member of the population averaged over,
    (r_i - mean) / n. "nonrobust" uses the model-based covariance for the first part.
    """
    exog = data.exog
    as_treated = exog.assign(**{data.exposure_name: 1.0}).to_numpy()
    as_untreated = exog.assign(**{data.exposure_name: 0.0}).to_numpy()
    beta = fit.params.to_numpy()
    r1, r0 = np.exp(as_treated @ beta), np.exp(as_untreated @ beta)
    n = data.n
    rates = np.array([r1.mean(), r0.mean()])
    gradient = np.vstack([r1 @ as_treated, r0 @ as_untreated]) / n
    population = (np.column_stack([r1, r0]) - rates) / n
    bread = np.linalg.inv(fit.information())
    model_based = gradient @ bread @ gradient.T + population.T @ population
    if cov_type == "nonrobust":
        return rates, model_based, model_based
    influence = fit.scores() @ bread @ gradient.T + population
    return rates, _sandwich(influence, data, cov_type), model_based


def _standard_error(variance: float, model_based_variance: float) -> float:
    """The SE, 0 when the variance is rounding beside the model-based one (aggregated rows)."""
    if variance <= _NEGLIGIBLE_VARIANCE * model_based_variance:
        return 0.0
    return float(np.sqrt(variance))


def count_ratio(
    counts: object,
    treatment: object,
    covariates: pd.DataFrame | None = None,
    *,
    cov_type: CovarianceType = "HC0",
    clusters: object | None = None,
    exposure_name: str = "treatment",
    confidence: float = 0.95,
) -> Estimate:
    """Ratio of mean counts (treated vs comparison) per child, e.g. deft at three years.

    The Poisson model of `poisson_rate_ratio` without an offset (every child observed
    once, for the same time); with the robust (HC0) covariance by default, since counts
    of decayed teeth are far more variable than Poisson (most children have none).

    Parameters
    ----------
    counts : array_like of int
        The count per child (decayed, extracted and filled teeth), non-negative whole
        numbers; missing = left out.
    treatment : array_like of 0/1
        1 for an intervention child (missing = left out).
    covariates : pandas.DataFrame, optional
        Covariates per child, in the same order.
    cov_type : {"HC0", "HC1", "cluster", "nonrobust"}, optional
        The coefficient covariance; the HC0 sandwich by default.
    clusters : array_like, optional
        The cluster (area) of each child; required for, and only for, "cluster".
    exposure_name : str, optional
        The treatment term's name in the coefficient table.
    confidence : float, optional
        Confidence level, 0.95 by default.

    Returns
    -------
    Estimate
        measure "count_ratio", method "poisson": the ratio of mean counts with its
        interval, as `poisson_rate_ratio`.

    Raises
    ------
    ValueError
        As `poisson_rate_ratio`.

    Examples
    --------
    Mean deft 0.5 among intervention children and 1.5 among the others: a ratio of 1/3.

    >>> from pipeline.stats.counts import count_ratio
    >>> deft = [0, 0, 1, 1, 0, 3, 2, 1]
    >>> round(count_ratio(deft, [1, 1, 1, 1, 0, 0, 0, 0]).estimate, 4)
    0.3333
    """
    return poisson_rate_ratio(counts, None, treatment, covariates, cov_type=cov_type,
                              clusters=clusters, exposure_name=exposure_name,
                              confidence=confidence)


@dataclass(frozen=True)
class OverdispersionCheck:
    """Negative binomial (NB2) rate ratio, its dispersion and the LR test against Poisson.

    The test is a `Test`: `statistic` is the likelihood-ratio statistic
    LR = 2 (ll_NB - ll_Poisson), method "likelihood_ratio_boundary", reference
    "chibar2_01": its p is half the chi-square(1) upper tail because alpha = 0 lies on the
    boundary (1 when LR = 0).

    Attributes
    ----------
    rate_ratio : Estimate
        The NB2 rate ratio (method "negative_binomial") with its model-based Wald
        interval; `details` carries alpha and the coefficient table.
    alpha : float or None
        The dispersion: Var(Y) = mu + alpha mu^2; 0 is Poisson (also when the counts
        vary less than Poisson: alpha cannot be negative).
    alpha_se : float or None
        Its model-based standard error; None at the boundary alpha = 0.
    test : Test
        The likelihood-ratio test of alpha = 0.

    Examples
    --------
    See `overdispersion_check`.

    >>> from pipeline.stats.counts import overdispersion_check
    >>> check = overdispersion_check([0, 0, 1, 9, 0, 7, 0, 12], None, [1, 1, 1, 1, 0, 0, 0, 0])
    >>> check.test.method, check.test.reference, check.test.df
    ('likelihood_ratio_boundary', 'chibar2_01', 1)
    """

    rate_ratio: Estimate
    alpha: float | None
    alpha_se: float | None
    test: Test

    @property
    def overdispersed(self) -> bool | None:
        """Whether the test rejects alpha = 0 at 5% (None when there is no test)."""
        return None if self.test.p_value is None else self.test.p_value < 0.05

    def summary(self) -> str:
        """The NB rate ratio, alpha and the LR test, as text."""
        if self.test.p_value is None:
            return f"{self.rate_ratio.summary()}\n  overdispersion test: {self.test.reason}"
        return (f"{self.rate_ratio.summary()}\n  alpha = {self.alpha:.4g}; "
                f"LR test of alpha = 0: chibar2(01) = {self.test.statistic:.4g}, "
                f"p = {self.test.p_value:.3g}")


def overdispersion_check(
    events: object,
    person_time: object | None,
    treatment: object,
    covariates: pd.DataFrame | None = None,
    *,
    exposure_name: str = "treatment",
    confidence: float = 0.95,
) -> OverdispersionCheck:
    """Negative binomial (NB2) fit with the Poisson model's offset, and the LR test of alpha = 0.

    A small p says the counts vary more than Poisson: the model-based Poisson interval is
    then too narrow (the robust one of `poisson_rate_ratio` stays valid), and the NB rate
    ratio is an alternative estimate. alpha is found on the profile likelihood, which
    settles the boundary case (alpha = 0: the NB fit is the Poisson fit, LR = 0, p = 1);
    Newton steps on the full NB2 likelihood then give the estimates and the
    observed-information covariance, as Stata's `nbreg`.

    Parameters
    ----------
    events : array_like of int
        Events counted per child, non-negative whole numbers; missing = left out.
    person_time : array_like of float or None
        Each child's time at risk in the rate's unit (child-years); None for counts
        without person-time.
    treatment : array_like of 0/1
        1 for an intervention child (missing = left out).
    covariates : pandas.DataFrame, optional
        Covariates per child, in the same order.
    exposure_name : str, optional
        The treatment term's name in the coefficient table.
    confidence : float, optional
        Confidence level, 0.95 by default.

    Returns
    -------
    OverdispersionCheck
        The NB rate ratio, alpha (and its SE) and the likelihood-ratio test (a
        `Test`, see the class). Not estimable, with the reason, in the cases of
        `poisson_rate_ratio` or when the NB fit does not converge.

    Raises
    ------
    ValueError
        As `poisson_rate_ratio`.

    Examples
    --------
    Counts far more spread than Poisson (most 0, a few near 10): alpha well above 0 and
    a small p.

    >>> from pipeline.stats.counts import overdispersion_check
    >>> check = overdispersion_check([0, 0, 1, 9, 0, 7, 0, 12, 0, 1, 0, 8],
    ...                              None, [1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0])
    >>> check.alpha > 1, check.test.p_value < 0.01
    (True, True)
    """
    check_confidence(confidence)
    data = _prepare(events, person_time, treatment, covariates, None, exposure_name)
    measure, _ = _measures(data)
    base = data.base(confidence)
    details = dict(data.notes) | _group_summary(data)
    method = "likelihood_ratio_boundary"
    try:
        _check_identified(data)
        poisson = _fit_poisson(data)
        negative_binomial = _fit_negative_binomial(data, poisson)
    except NotEstimable as reason:
        blank = Estimate.not_estimable(measure, METHOD_NEGATIVE_BINOMIAL, reason,
                                       details=details, **base)
        return OverdispersionCheck(blank, None, None,
                                   Test.not_estimable(method, reason, reference="chibar2_01", df=1))
    params, se, log_likelihood = negative_binomial
    names = [*data.exog.columns, "alpha"]
    position = names.index(data.exposure_name)
    alpha = float(params[-1])
    alpha_se = None if se[-1] is None else float(se[-1])
    statistic = max(0.0, 2 * (log_likelihood - poisson.log_likelihood))
    p_value = 0.5 * float(stats.chi2.sf(statistic, 1)) if statistic > 0 else 1.0
    test = Test(statistic, 1, None, p_value, method, reference="chibar2_01", tested=("alpha",),
                     subject="dispersion parameter",
                     details={"log_likelihood_negative_binomial": log_likelihood,
                              "log_likelihood_poisson": poisson.log_likelihood})
    coefficients = {name: {"coef": float(b), "se": None if s is None else float(s)}
                    for name, b, s in zip(names, params, se, strict=True)}
    details |= {"alpha": alpha, "alpha_se": alpha_se, "log_likelihood": log_likelihood,
                "log_rate_ratio": float(params[position]), "coefficients": coefficients,
                "cov_type": "model-based (observed information)",
                "reference_distribution": "normal"}
    if alpha == 0:
        details["note"] = ("alpha at its boundary 0: no overdispersion, the negative binomial "
                           "fit is the Poisson fit (model-based covariance)")
    z = float(stats.norm.ppf(0.5 + confidence / 2))
    rate_ratio = _wald(measure, METHOD_NEGATIVE_BINOMIAL, math.exp(params[position]),
                       float(se[position]), True, z, base, details=details)
    return OverdispersionCheck(rate_ratio, alpha, alpha_se, test)


def _fit_negative_binomial(data: _CountData, poisson: _PoissonFit) -> tuple[list, list, float]:
    """NB2 parameters (coefficients, alpha), their SEs and the log-likelihood.

    alpha is first found on the profile likelihood (GLM fits at fixed alpha, a bounded
    search over log alpha), which handles the boundary: when the profile is highest at
    the smallest alpha and no higher than Poisson's, alpha is 0 and the fit is the Poisson
    one (alpha's SE None). Otherwise Newton steps on the full NB2 likelihood from there
    give the estimates and the observed-information covariance, as Stata's `nbreg`.
    """

    exog, start = data.exog.to_numpy(), poisson.params.to_numpy()

    def fixed_alpha_fit(alpha: float) -> tuple[np.ndarray, float]:
        """The GLM at this alpha: by statsmodels' IRLS on the normal equations
        (`negative_binomial_irls`), or statsmodels' own GLM where those are singular."""
        found = negative_binomial_irls(data.events, exog, data.log_offset, alpha, start)
        if found is not None:
            return found[0], found[1]
        family = families.NegativeBinomial(alpha=alpha)
        fit = GLM(data.events, exog, family=family, offset=data.log_offset).fit(
            start_params=start, maxiter=100, tol=1e-10)
        params, log_likelihood = np.asarray(fit.params), float(fit.llf)
        # statsmodels' model and results refer to each other, so each fit's arrays stay until
        # the cycle collector runs (~300 MB a fit of 500,000 rows): the search makes ~30 fits
        del fit
        gc.collect(1)
        return params, log_likelihood

    def negative_profile(log_alpha: float) -> float:
        return -fixed_alpha_fit(math.exp(log_alpha))[1]

    with warnings.catch_warnings(record=True):
        warnings.simplefilter("always")
        search = optimize.minimize_scalar(negative_profile, bounds=_LOG_ALPHA_BOUNDS,
                                          method="bounded", options={"xatol": 1e-6})
        if (-search.fun - poisson.log_likelihood <= _LOG_LIKELIHOOD_TOLERANCE
                or search.x <= _LOG_ALPHA_BOUNDS[0] + 1e-3):
            bread = np.linalg.inv(poisson.information())
            return ([*poisson.params.to_numpy(), 0.0], [*np.sqrt(np.diag(bread)), None],
                    poisson.log_likelihood)
        at_search = fixed_alpha_fit(math.exp(search.x))[0]
        model = NegativeBinomial(data.events, data.exog, offset=data.log_offset,
                                 loglike_method="nb2")
        try:
            result = model.fit(start_params=np.append(at_search, math.exp(search.x)),
                               method="newton", maxiter=100, disp=False)
        except (np.linalg.LinAlgError, ValueError) as error:
            raise NotEstimable(f"negative binomial model: the fit failed ({error})") from error
    params, se = np.asarray(result.params), np.asarray(result.bse)
    converged = result.mle_retvals.get("converged", False)
    if not (converged and np.all(np.isfinite(params)) and np.all(np.isfinite(se))
            and params[-1] > 0):
        raise NotEstimable("negative binomial model did not converge")
    return list(params), list(se), float(result.llf)


def iptw_rate_ratio(
    events: object,
    person_time: object | None,
    treatment: object,
    covariates: pd.DataFrame,
    *,
    estimand: Literal["ATE", "ATT"] = "ATE",
    cov_type: Literal["HC0", "HC1", "cluster"] = "HC0",
    clusters: object | None = None,
    confidence: float = 0.95,
) -> Estimate:
    """Marginal rate ratio by inverse probability of treatment weighting (weighted Poisson).

    Propensity scores from `pipeline.stats.weighting.propensity_scores`, weights from
    `iptw_weights` (stabilised ATE, or ATT); then a weighted Poisson model of the count on
    treatment alone with the log person-time offset, so that the ratio is that of the
    weighted rates, (sum w y / sum w T) treated over comparison.

    The robust sandwich treats the weights as known. For the ATE that is conservative
    (estimating the propensity score makes IPW more efficient; Hirano, Imbens & Ridder
    2003); for the ATT there is no such ordering (Reifeis & Hudgens 2022), so read the
    ATT interval as approximate. The model-based Poisson variance is never valid with
    weights and is not offered.

    Parameters
    ----------
    events : array_like of int
        Events counted per child, non-negative whole numbers; missing = left out.
    person_time : array_like of float or None
        Each child's time at risk in the rate's unit (child-years); None for counts
        without person-time.
    treatment : array_like of 0/1
        1 for an intervention child (missing = left out).
    covariates : pandas.DataFrame
        The confounders of the propensity model, one row per child.
    estimand : {"ATE", "ATT"}, optional
        The population the weights stand for; everyone by default ("ate" is accepted).
    cov_type : {"HC0", "HC1", "cluster"}, optional
        The sandwich; HC0 by default.
    clusters : array_like, optional
        The cluster (area) of each child; required for, and only for, "cluster".
    confidence : float, optional
        Confidence level, 0.95 by default.

    Returns
    -------
    Estimate
        measure "rate_ratio" ("count_ratio" without person-time), method "iptw": the
        weighted rate ratio with its robust interval; `details` has the estimand, the
        weighted events, person-time and rates per group and the Kish effective sample
        sizes. Not estimable, with the reason, in the cases of `poisson_rate_ratio` or
        when the propensity model separates (no overlap).

    Raises
    ------
    ValueError
        As `poisson_rate_ratio`, or if the estimand is unknown.

    Examples
    --------
    Firstborns (6 of 10 treated) have more contacts. Within each birth order the rate
    ratio is 0.5; the weighted (ATE) ratio is 0.5 as well, where the crude one is not:

    >>> from pipeline.stats.counts import iptw_rate_ratio, poisson_rate_ratio
    >>> import pandas as pd
    >>> firstborn = [1] * 10 + [0] * 10
    >>> treated = [1] * 6 + [0] * 4 + [1] * 4 + [0] * 6
    >>> contacts = [1] * 6 + [2] * 4 + [0, 1, 0, 1] + [1] * 6
    >>> years = [1] * 20
    >>> weighted = iptw_rate_ratio(contacts, years, treated, pd.DataFrame({"firstborn": firstborn}))
    >>> round(weighted.estimate, 4), round(poisson_rate_ratio(contacts, years, treated).estimate, 4)
    (0.5, 0.5714)
    """
    check_confidence(confidence)
    estimand_upper = str(estimand).upper()
    if estimand_upper not in ("ATE", "ATT"):
        raise ValueError(f"estimand must be ATE or ATT, not {estimand!r}")
    if cov_type == "nonrobust":
        raise ValueError("the model-based variance is not valid with weights: use HC0, HC1 "
                         "or cluster")
    _check_covariance(cov_type, clusters)
    data = _prepare(events, person_time, treatment, None, clusters, "treatment")
    # The propensity model's rows: every row analysable for the outcome, with covariates.
    usable = data.design.kept_rows
    t_for_scores = np.where(usable, as_binary(treatment, "treatment"), np.nan)
    design = build_covariate_design(covariates, len(usable), usable)
    data = _select(data, design)
    measure, _ = _measures(data)
    extra = {"estimand": estimand_upper, "se_type": "robust sandwich, weights treated as known"}
    try:
        scores = propensity_scores(t_for_scores, covariates)[design.kept_rows]
    except NotEstimable as reason:
        return Estimate.not_estimable(measure, METHOD_IPTW, reason,
                                      details=dict(data.notes) | extra,
                                      **data.base(confidence))
    t = data.treatment
    weights = iptw_weights(t, scores, estimand_upper)
    extra |= {"ess_intervention": kish_effective_sample_size(weights[t == 1]),
              "ess_comparison": kish_effective_sample_size(weights[t == 0])}
    return _rate_ratio(data, measure, METHOD_IPTW, cov_type, confidence, weights, extra)


def _select(data: _CountData, design: CovariateDesign) -> _CountData:
    """The rows the propensity design keeps, reporting what it dropped (the outcome model
    itself has treatment only)."""
    within = design.kept_rows[data.design.kept_rows]
    return replace(
        data, events=data.events[within], log_offset=data.log_offset[within],
        treatment=data.treatment[within], exog=data.exog.loc[within].reset_index(drop=True),
        clusters=None if data.clusters is None else data.clusters[within], design=design,
    )
