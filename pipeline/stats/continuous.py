"""Effects of treatment on a continuous outcome: differences in means, crude and adjusted.

Every method returns one `Estimate` with measure "mean_difference" (treated minus
comparison, in the outcome's own units: grams, days, points on a scale):

- `mean_difference`: Welch's t interval and test (or Student's pooled one), as R's
  `t.test` and `scipy.stats.ttest_ind`;
- `bootstrap_mean_difference`: a BCa or percentile bootstrap interval, resampling within
  each group (Efron & Tibshirani 1993, An Introduction to the Bootstrap, ch. 13-14), for
  skewed outcomes in small groups;
- `linear_adjusted_effect`: least squares of the outcome on treatment and covariates,
  standardised over a population (regression standardisation, g-computation), with a
  classical, heteroskedasticity-robust (HC0/HC1) or cluster-robust standard error;
- `iptw_mean_difference`: the difference of inverse-probability-weighted means, with the
  propensity model and weights of `pipeline.stats.weighting`.

The standardised mean difference of `linear_adjusted_effect` is the mean over the
standardisation population of each child's predicted outcome with treatment set to 1
minus that with treatment set to 0. Its variance is the empirical sandwich of the stacked
estimating equations (least-squares score; the mean of the predictions over the
population standardised over), as `pipeline.stats.regression` does for the logistic
model (Stefanski & Boos 2002, Am Stat 56:29). With `interactions=True` this is the
regression-adjustment estimator of Stata's `teffects ra` (a separate linear model in each
group is the same fit as one model with all treatment × covariate terms), whose printed
standard errors it reproduces with `cov_type="HC0"`. Without interactions every child's
predicted difference is the treatment coefficient, so the estimate and its standard error
are the coefficient's, whatever the estimand.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, replace
from typing import Literal

import numpy as np
import pandas as pd
from scipy import special, stats

from pipeline.stats._design import (
    as_binary,
    as_finite,
    build_covariate_design,
    require_both_groups,
    require_treatment_identified,
)
from pipeline.stats.did import DEFAULT_SEED, FEW_CLUSTERS
from pipeline.stats.results import Estimate, NotEstimable
from pipeline.stats.weighting import (
    _mean_one_within_groups,
    _sandwich,
    _Stack,
    _weighting,
    _weights_known_covariance,
    weight_diagnostics,
)

MEASURE = "mean_difference"
# Resampled values the bootstrap holds at once (and its jackknife, via scipy's `batch`): 16 MB
# of float64, whatever the number of children
RESAMPLED_VALUES = 2**21
LinearCovariance = Literal["classical", "HC0", "HC1", "cluster"]
Estimand = Literal["ATE", "ATT", "ATC"]


def _check_confidence(confidence: float) -> None:
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must lie between 0 and 1, not {confidence}")


def _observed(values: object, name: str) -> tuple[np.ndarray, int]:
    """The non-missing values and how many were missing."""
    array = as_finite(values, name)
    missing = np.isnan(array)
    return array[~missing], int(missing.sum())


def _require_variation(treated: np.ndarray, control: np.ndarray) -> None:
    """Raise NotEstimable when neither group's outcome varies (no variance, no interval)."""
    if np.ptp(treated) == 0 and np.ptp(control) == 0:
        raise NotEstimable(
            f"the outcome does not vary within either group (every treated child "
            f"{treated[0]:g}, every comparison child {control[0]:g}): with no variance there "
            "is no standard error, interval or test; check that the outcome column holds "
            "measurements, not a constant or a code"
        )


def _group_details(treated: np.ndarray, control: np.ndarray) -> dict[str, float | int]:
    details: dict[str, float | int] = {"n_treated": len(treated), "n_control": len(control)}
    for label, values in (("treated", treated), ("control", control)):
        if len(values):
            details[f"mean_{label}"] = float(values.mean())
        if len(values) > 1:
            details[f"sd_{label}"] = float(values.std(ddof=1))
    return details


def mean_difference(
    outcome_treated: object,
    outcome_control: object,
    confidence: float = 0.95,
    *,
    equal_var: bool = False,
) -> Estimate:
    """Difference of two means with Welch's t interval and test (Student's if `equal_var`).

    Welch's test does not assume equal variances in the two groups (Welch 1947,
    Biometrika 34:28); its degrees of freedom are Satterthwaite's approximation. It is
    R's `t.test` default and `scipy.stats.ttest_ind(equal_var=False)`.

    Parameters
    ----------
    outcome_treated : array_like of float
        The outcome of each treated (intervention) child, in the outcome's units (e.g.
        grams, days); missing values (None, NaN) are left out and counted.
    outcome_control : array_like of float
        The outcome of each comparison child, in the same units.
    confidence : float, optional
        Confidence level of the interval, 0.95 by default.
    equal_var : bool, optional
        Pool the two variances (Student's t, n − 2 df) instead of Welch's test.

    Returns
    -------
    Estimate
        measure "mean_difference", method "welch" (or "student"): treated minus comparison
        mean in the outcome's units, its t interval, two-sided p and standard error;
        `details` holds the t statistic, its df ("df"), and each group's n, mean and SD.
        Not estimable, with the reason, when a group has fewer than 2 children or neither
        group's outcome varies.

    Raises
    ------
    ValueError
        If an outcome is not numeric or infinite, or `confidence` is not between 0 and 1.

    Examples
    --------
    The sleep data of Student (1908), as in R's `t.test(extra ~ group, data = sleep)`:
    extra hours of sleep with two drugs.

    >>> from pipeline.stats.continuous import mean_difference
    >>> drug_1 = [0.7, -1.6, -0.2, -1.2, -0.1, 3.4, 3.7, 0.8, 0.0, 2.0]
    >>> drug_2 = [1.9, 0.8, 1.1, 0.1, -0.1, 4.4, 5.5, 1.6, 4.6, 3.4]
    >>> result = mean_difference(drug_1, drug_2)
    >>> result.summary()
    'mean_difference (welch): -1.58 (95% CI -3.365 to 0.2055), p = 0.0794, n = 20'
    >>> round(result.details["df"], 3)
    17.776
    >>> mean_difference([3.0, 3.0], [2.0, 2.0]).reason  # doctest: +ELLIPSIS
    'the outcome does not vary within either group ...'
    """
    _check_confidence(confidence)
    method = "student" if equal_var else "welch"
    treated, missing_treated = _observed(outcome_treated, "outcome_treated")
    control, missing_control = _observed(outcome_control, "outcome_control")
    details: dict[str, object] = {
        **_group_details(treated, control),
        "missing_treated": missing_treated,
        "missing_control": missing_control,
    }
    base = {"n": len(treated) + len(control), "confidence": confidence}
    try:
        require_both_groups(np.repeat([1, 0], [len(treated), len(control)]))
        _require_variation(treated, control)
    except NotEstimable as reason:
        return Estimate.not_estimable(MEASURE, method, reason, details=details, **base)
    with warnings.catch_warnings():
        if np.ptp(treated) == 0 or np.ptp(control) == 0:
            # scipy warns of precision loss for a group of identical values; its variance is
            # exactly zero, which both t statistics handle.
            warnings.filterwarnings("ignore", "Precision loss", RuntimeWarning)
        test = stats.ttest_ind(treated, control, equal_var=equal_var)
    interval = test.confidence_interval(confidence)
    n1, n0 = len(treated), len(control)
    v1, v0 = treated.var(ddof=1), control.var(ddof=1)
    if equal_var:
        pooled = ((n1 - 1) * v1 + (n0 - 1) * v0) / (n1 + n0 - 2)
        se = float(np.sqrt(pooled * (1 / n1 + 1 / n0)))
    else:
        se = float(np.sqrt(v1 / n1 + v0 / n0))
    details |= {"t": float(test.statistic), "df": float(test.df)}
    return Estimate(
        MEASURE,
        method,
        float(treated.mean() - control.mean()),
        float(interval.low),
        float(interval.high),
        float(test.pvalue),
        se=se,
        df=float(test.df),
        details=details,
        **base,
    )


def _difference_of_means(treated: np.ndarray, control: np.ndarray, axis: int = -1) -> np.ndarray:
    return treated.mean(axis=axis) - control.mean(axis=axis)


@dataclass(frozen=True)
class _Replicates:
    """Replicates drawn beforehand, as `scipy.stats.bootstrap(bootstrap_result=...)` takes them."""

    bootstrap_distribution: np.ndarray


def _resampled_means(sample: np.ndarray, replicates: int, rng: np.random.Generator) -> np.ndarray:
    """The mean of each of `replicates` bootstrap resamples of `sample`.

    The indices are the ones `scipy.stats.bootstrap` draws (one (replicates, n) block from
    `rng`, sample after sample), drawn a block of rows at a time: a Generator's integers
    come in the same order whatever the block, and each row's mean is the same, so the
    replicates are scipy's to the bit while memory stays at RESAMPLED_VALUES values (scipy
    holds replicates x n indices and values: 2 GB for 14,000 children).
    """
    n = len(sample)
    rows = max(1, RESAMPLED_VALUES // n)
    means = np.empty(replicates)
    for start in range(0, replicates, rows):
        stop = min(start + rows, replicates)
        means[start:stop] = sample[rng.integers(0, n, (stop - start, n))].mean(axis=-1)
    return means


@dataclass(frozen=True)
class _Interval:
    """What `bootstrap_mean_difference` reads of `scipy.stats.bootstrap`'s result."""

    confidence_interval: tuple[float, float]
    standard_error: float


def _bca_of_counts(treated: np.ndarray, control: np.ndarray, replicated: np.ndarray,
                   confidence: float) -> _Interval | None:
    """scipy's BCa interval of a difference of means (`scipy.stats.bootstrap`'s
    `_bca_interval`, Efron & Tibshirani 1993 eq. 14.15 and 15.36) for whole-number outcomes
    (counts, as decayed, extracted and filled teeth), with the jackknife's leave-one-out means
    as (sum − x_i) / (n − 1) instead of a mean over each of the n resamples of n − 1 children:
    scipy's jackknife is n² values (half of the interval's time for a million children's
    dental counts). The sums of whole numbers are exact in any order, so each leave-one-out
    mean is scipy's to the bit; the interval is the replicates' linearly interpolated
    quantiles at the BCa percentiles, as scipy's, equal to its interval but for the
    interpolation's last digits (`tests/stats/test_continuous.py`: to 1e-13). None for other
    outcomes (scipy's own then); warns DegenerateDataWarning as scipy does where the interval
    cannot be computed."""
    if not all(np.all(np.mod(sample, 1) == 0) and np.abs(sample).sum() < 2.0**52
               for sample in (treated, control)):
        return None
    theta_hat = treated.mean() - control.mean()
    below = np.count_nonzero(replicated < theta_hat) + np.count_nonzero(replicated <= theta_hat)
    z0_hat = special.ndtri(float(below) / (2 * len(replicated)))
    # each sample's jackknife: the statistic with one of its children left out, in order
    left_out = [(treated.sum() - treated) / (len(treated) - 1) - control.mean(),
                treated.mean() - (control.sum() - control) / (len(control) - 1)]
    nums, dens = [], []
    for theta_hat_i in left_out:
        n = float(len(theta_hat_i))
        u = (n - 1) * (np.mean(theta_hat_i) - theta_hat_i)
        nums.append(np.sum(u**3) / n**3)
        dens.append(np.sum(u**2) / n**2)
    a_hat = 1 / 6 * sum(nums) / sum(dens) ** (3 / 2)
    z_alpha = float(special.ndtri((1 - confidence) / 2))
    with np.errstate(invalid="ignore"):  # an infinite bias correction: no percentile (below)
        alphas = [special.ndtr(z0_hat + num / (1 - a_hat * num))
                  for num in (z0_hat + z_alpha, z0_hat - z_alpha)]
    # no percentile (every replicate on one side of the estimate, say): no interval, as scipy
    low, high = (np.nan, np.nan) if np.isnan(alphas).any() else np.quantile(replicated, alphas)
    if np.isnan(low) or np.isnan(high):
        warnings.warn(stats.DegenerateDataWarning(
            "The BCa confidence interval cannot be calculated. This problem is known to occur "
            "when the distribution is degenerate or the statistic is np.min."), stacklevel=2)
    return _Interval((float(low), float(high)), float(np.std(replicated, ddof=1)))


def bootstrap_mean_difference(
    outcome_treated: object,
    outcome_control: object,
    confidence: float = 0.95,
    replicates: int = 9999,
    seed: int = DEFAULT_SEED,
    method: Literal["bca", "percentile"] = "bca",
) -> Estimate:
    """Difference of two means with a bootstrap interval (BCa or percentile), for skewed data.

    Each replicate resamples the treated children with replacement and, independently,
    the comparison children (`scipy.stats.bootstrap` with `paired=False`), so the group
    sizes stay fixed. The BCa interval (Efron 1987, JASA 82:171; Efron & Tibshirani 1993,
    ch. 14) corrects the percentile interval for bias and skewness; its acceleration comes
    from the jackknife within each group. Both are somewhat too narrow in very small
    groups (below about 10 children), where Welch's interval is the safer choice.

    There is no p-value: a bootstrap interval does not come with a test of no difference
    (a permutation or bootstrap test would need the null imposed on the resampling).

    Parameters
    ----------
    outcome_treated : array_like of float
        The outcome of each treated child, in the outcome's units; missing values are
        left out and counted.
    outcome_control : array_like of float
        The outcome of each comparison child, in the same units.
    confidence : float, optional
        Confidence level of the interval, 0.95 by default.
    replicates : int, optional
        Bootstrap resamples, 9999 by default.
    seed : int, optional
        Seed of the random resampling; the same seed gives the same interval.
    method : {"bca", "percentile"}, optional
        The interval: bias-corrected and accelerated (default) or plain percentile.

    Returns
    -------
    Estimate
        measure "mean_difference", method "bootstrap_bca" or "bootstrap_percentile": the
        difference of means in the outcome's units, the bootstrap interval, and as `se`
        the standard deviation of the replicates; no p-value. `details` holds the
        replicates, seed and each group's n, mean and SD. Not estimable, with the reason,
        when a group has fewer than 2 children, neither group's outcome varies, or the
        BCa interval cannot be computed.

    Raises
    ------
    ValueError
        If an outcome is not numeric, `method` is unknown, `replicates` is below 1 or
        `confidence` is not between 0 and 1.

    Examples
    --------
    Survival days of mice after a test surgery (Efron & Tibshirani 1993, Table 2.1):

    >>> from pipeline.stats.continuous import bootstrap_mean_difference
    >>> treated = [94, 197, 16, 38, 99, 141, 23]
    >>> control = [52, 104, 146, 10, 51, 30, 40, 27, 46]
    >>> result = bootstrap_mean_difference(treated, control, seed=1)
    >>> round(result.estimate, 2), result.ci_low < result.estimate < result.ci_high
    (30.63, True)
    >>> result == bootstrap_mean_difference(treated, control, seed=1)  # same seed, same interval
    True
    """
    _check_confidence(confidence)
    if method not in ("bca", "percentile"):
        raise ValueError(f"method must be 'bca' or 'percentile', not {method!r}")
    if int(replicates) != replicates or replicates < 1:
        raise ValueError(f"replicates must be a positive whole number, not {replicates}")
    label = f"bootstrap_{method}"
    treated, missing_treated = _observed(outcome_treated, "outcome_treated")
    control, missing_control = _observed(outcome_control, "outcome_control")
    details: dict[str, object] = {
        **_group_details(treated, control),
        "missing_treated": missing_treated,
        "missing_control": missing_control,
        "replicates": int(replicates),
        "seed": seed,
        "resampling": "independently within each group",
    }
    base = {"n": len(treated) + len(control), "confidence": confidence}
    try:
        require_both_groups(np.repeat([1, 0], [len(treated), len(control)]))
        _require_variation(treated, control)
        with warnings.catch_warnings():
            warnings.simplefilter("error", stats.DegenerateDataWarning)
            try:
                rng = np.random.default_rng(seed)
                replicated = (_resampled_means(treated, int(replicates), rng)
                              - _resampled_means(control, int(replicates), rng))
                counted = (_bca_of_counts(treated, control, replicated, confidence)
                           if method == "bca" else None)
                result = counted or stats.bootstrap(
                    (treated, control),
                    _difference_of_means,
                    n_resamples=0,
                    bootstrap_result=_Replicates(replicated),
                    vectorized=True,
                    paired=False,
                    confidence_level=confidence,
                    method="BCa" if method == "bca" else "percentile",
                    batch=max(1, RESAMPLED_VALUES // max(len(treated), len(control))),
                )
            except stats.DegenerateDataWarning as warning:
                raise NotEstimable(
                    f"the BCa interval cannot be computed ({warning}); use "
                    "method='percentile' or Welch's interval"
                ) from None
    except NotEstimable as reason:
        return Estimate.not_estimable(MEASURE, label, reason, details=details, **base)
    low, high = result.confidence_interval
    return Estimate(
        MEASURE,
        label,
        float(treated.mean() - control.mean()),
        float(low),
        float(high),
        None,
        se=float(result.standard_error),
        details=details,
        **base,
    )


def _counterfactual(exog: pd.DataFrame, exposure_name: str, value: float) -> np.ndarray:
    """The design with everyone's exposure (and its interaction terms) set to `value`."""
    counterfactual = exog.copy()
    counterfactual[exposure_name] = value
    prefix = f"{exposure_name}:"
    for column in exog.columns:
        if column.startswith(prefix):
            counterfactual[column] = value * exog[column.removeprefix(prefix)]
    return counterfactual.to_numpy()


def _linear_exog(
    treatment: np.ndarray, covariates: pd.DataFrame, exposure_name: str, interactions: bool
) -> tuple[pd.DataFrame, tuple[str, ...], tuple[str, ...]]:
    """Intercept, exposure, covariates and (optionally) exposure × covariate terms.

    Interaction terms that are constant (a covariate that is zero in every treated child)
    or aliased (a covariate that varies in one group only) are dropped and named.
    """
    covariates = covariates.reset_index(drop=True)
    terms = pd.concat([pd.DataFrame({exposure_name: treatment}), covariates], axis=1)
    constant: tuple[str, ...] = ()
    aliased: tuple[str, ...] = ()
    if interactions and covariates.shape[1]:
        products = covariates.mul(treatment, axis=0).add_prefix(f"{exposure_name}:")
        checked = build_covariate_design(pd.concat([terms, products], axis=1), len(treatment))
        terms, constant, aliased = (
            checked.covariates, checked.dropped_constant, checked.dropped_aliased)
    exog = pd.concat([pd.DataFrame({"const": np.ones(len(treatment))}), terms], axis=1)
    return exog, constant, aliased


def linear_adjusted_effect(
    outcome: object,
    treatment: object,
    covariates: pd.DataFrame | None = None,
    *,
    cov_type: LinearCovariance = "HC1",
    clusters: object | None = None,
    exposure_name: str = "treatment",
    interactions: bool = False,
    estimand: Estimand = "ATE",
    confidence: float = 0.95,
) -> Estimate:
    """Covariate-adjusted mean difference by least squares and regression standardisation.

    Fits `Y = b0 + b_T T + b_X' X (+ b_TX' T X) + e` by ordinary least squares and
    averages each child's predicted Y(1) − Y(0) over the standardisation population:
    everyone (ATE), the treated (ATT) or the comparison children (ATC). Without
    interactions that average is b_T for every estimand; with `interactions=True` it is
    b_T + mean(X)' b_TX over the population, which lets the effect differ with the
    covariates (regression adjustment, as Stata's `teffects ra`).

    Standard error: the delta method applied to the stacked estimating equations of the
    coefficients and the two standardised means (module docstring). This counts both the
    coefficients' uncertainty and that of the covariate mix being averaged over, so that
    the interval refers to the population the children were sampled from, as
    `teffects ra` and `pipeline.stats.regression` do; the coefficient part alone (the
    covariates taken as fixed, as Stata's `margins` by default) is in
    `details["se_covariates_fixed"]`. It is written out rather than taken from
    statsmodels' `t_test` of the linear combination, which gives only that
    fixed-covariate part.

    `cov_type` "classical" is the textbook homoskedastic OLS variance (R's `lm`,
    Stata's `regress`); "HC0" the plain sandwich (`teffects`); "HC1" (default) the
    sandwich times n / (n − k) (Stata's `regress, vce(robust)`); "cluster" the
    cluster-robust sandwich by `clusters` with the factor G/(G − 1) · (n − 1)/(n − k)
    (Stata's `vce(cluster)`, statsmodels' `cov_type="cluster"`). The interval and p use
    Student's t with n − k df, or G − 1 df for "cluster".

    Parameters
    ----------
    outcome : array_like of float
        The outcome per child in its units (e.g. grams); missing values are left out.
    treatment : array_like of 0/1
        1 for an intervention child (missing = left out).
    covariates : pandas.DataFrame, optional
        Covariates per child, in the same order: categoricals are dummy-coded, constant
        and aliased columns dropped, rows with a missing value dropped (all reported in
        `dropped`).
    cov_type : {"classical", "HC0", "HC1", "cluster"}, optional
        The variance behind the interval; HC1 by default.
    clusters : array_like, optional
        The cluster (e.g. area) of each child; required with, and only with,
        `cov_type="cluster"`. Missing = left out.
    exposure_name : str, optional
        The name of the treatment term in the coefficient table (`details`), e.g.
        "home_visits"; interaction terms are named "<exposure_name>:<covariate>".
    interactions : bool, optional
        Add exposure × covariate terms.
    estimand : {"ATE", "ATT", "ATC"}, optional
        The population standardised over; everyone by default.
    confidence : float, optional
        Confidence level, 0.95 by default.

    Returns
    -------
    Estimate
        measure "mean_difference", method "regression": the standardised difference in
        the outcome's units with its t interval, p and se; `n_clusters` with "cluster".
        `details` holds the coefficient table ("coefficients": coef, se, t, p_value with
        the exposure's row named `exposure_name`), the standardised means
        ("mean_under_treatment", "mean_under_control") and their standard errors, the
        reference df and "se_covariates_fixed". Not estimable, with the reason, when a
        group has fewer than 2 children, treatment is determined by the covariates, there
        are no more children than coefficients, the model fits every outcome exactly, or
        all children are in one cluster. Flag "few_areas" with fewer than 30 clusters.

    Raises
    ------
    ValueError
        If the outcome is not numeric, treatment not 0/1, lengths differ, `cov_type` or
        `estimand` is unknown, clusters are missing for (or given without)
        `cov_type="cluster"`, or a covariate is named like the exposure or "const".

    Examples
    --------
    Plant weights (Dobson 1983; R's PlantGrowth), the second treatment against the
    control with the first treatment's plants as a covariate level, as in R's
    `summary(lm(weight ~ group, data = PlantGrowth))`: 0.4940 (SE 0.2788).

    >>> import pandas as pd
    >>> from pipeline.stats.continuous import linear_adjusted_effect
    >>> weight = [4.17, 5.58, 5.18, 6.11, 4.50, 4.61, 5.17, 4.53, 5.33, 5.14,   # ctrl
    ...           4.81, 4.17, 4.41, 3.59, 5.87, 3.83, 6.03, 4.89, 4.32, 4.69,   # trt1
    ...           6.31, 5.12, 5.54, 5.50, 5.37, 5.29, 4.92, 6.15, 5.80, 5.26]   # trt2
    >>> trt2 = [0] * 20 + [1] * 10
    >>> trt1 = pd.DataFrame({"trt1": [0] * 10 + [1] * 10 + [0] * 10})
    >>> result = linear_adjusted_effect(weight, trt2, trt1, cov_type="classical",
    ...                                 exposure_name="trt2")
    >>> round(result.estimate, 4), round(result.se, 4), round(result.p_value, 4)
    (0.494, 0.2788, 0.0877)
    >>> result.details["coefficients"].index.tolist()
    ['const', 'trt2', 'trt1']
    """
    _check_confidence(confidence)
    if cov_type not in ("classical", "HC0", "HC1", "cluster"):
        raise ValueError(f"cov_type must be classical, HC0, HC1 or cluster, not {cov_type!r}")
    if estimand not in ("ATE", "ATT", "ATC"):
        raise ValueError(f"estimand must be ATE, ATT or ATC, not {estimand!r}")
    if (cov_type == "cluster") != (clusters is not None):
        raise ValueError("clusters are needed for, and used only with, cov_type='cluster'")
    y_all = as_finite(outcome, "outcome")
    t_all = as_binary(treatment, "treatment")
    if len(y_all) != len(t_all):
        raise ValueError("outcome and treatment differ in length")
    observed = ~np.isnan(y_all) & ~np.isnan(t_all)
    notes: dict[str, object] = {
        "rows_missing_outcome_or_treatment": int((~observed).sum()),
        "exposure": exposure_name,
        "estimand": estimand,
        "interactions": interactions,
        "cov_type": cov_type,
    }
    cluster_all = None
    if clusters is not None:
        cluster_all = pd.Series(np.asarray(clusters, dtype=object))
        if len(cluster_all) != len(y_all):
            raise ValueError("clusters and outcome differ in length")
        notes["rows_missing_cluster"] = int((observed & cluster_all.isna().to_numpy()).sum())
        observed &= cluster_all.notna().to_numpy()
    design = build_covariate_design(covariates, len(y_all), observed)
    clashing = {exposure_name, "const"} & set(design.covariates.columns)
    if clashing or exposure_name == "const":
        raise ValueError(f"a covariate is named like the exposure or the intercept "
                         f"({sorted(clashing) or ['const']}); rename it")
    keep = design.kept_rows
    y, t = y_all[keep], t_all[keep]
    n = len(y)
    base: dict[str, object] = {"n": n, "confidence": confidence, "dropped": design.dropped}
    codes = None
    if cluster_all is not None:
        codes = pd.factorize(cluster_all[keep])[0]
        base["n_clusters"] = int(codes.max() + 1) if n else 0
    try:
        require_both_groups(t)
        require_treatment_identified(t, design.covariates)
        exog, constant, aliased = _linear_exog(t, design.covariates, exposure_name, interactions)
        base["dropped"] = replace(
            design.dropped,
            constant=design.dropped.constant + constant,
            aliased=design.dropped.aliased + aliased,
        )
        k = exog.shape[1]
        if n <= k:
            raise NotEstimable(f"{n} children for {k} coefficients: too few for a standard error")
        if codes is not None and base["n_clusters"] < 2:
            raise NotEstimable(
                "all children are in one cluster: a cluster-robust variance needs at least two "
                "(use cov_type='HC1' if the children can be treated as independent)"
            )
        fit = _LinearFit(exog, y, codes, cov_type)
    except NotEstimable as reason:
        return Estimate.not_estimable(MEASURE, "regression", reason, details=notes, **base)

    over = {"ATE": np.ones(n, dtype=bool), "ATT": t == 1, "ATC": t == 0}[estimand]
    means, covariance, fixed = fit.standardised(
        _counterfactual(exog.loc[over], exposure_name, 1.0),
        _counterfactual(exog.loc[over], exposure_name, 0.0),
        over,
    )
    contrast = np.array([1.0, -1.0])
    effect = float(contrast @ means)
    se = float(np.sqrt(max(contrast @ covariance @ contrast, 0.0)))
    df = fit.df
    critical = stats.t.ppf(0.5 + confidence / 2, df)
    details = notes | {
        "df": df,
        "coefficients": fit.table(),
        "mean_under_treatment": float(means[0]),
        "mean_under_control": float(means[1]),
        "se_mean_under_treatment": float(np.sqrt(covariance[0, 0])),
        "se_mean_under_control": float(np.sqrt(covariance[1, 1])),
        "se_covariates_fixed": float(np.sqrt(max(contrast @ fixed @ contrast, 0.0))),
        "n_standardised_over": int(over.sum()),
    }
    flags = ("few_areas",) if codes is not None and base["n_clusters"] < FEW_CLUSTERS else ()
    return Estimate(
        MEASURE,
        "regression",
        effect,
        effect - critical * se,
        effect + critical * se,
        float(2 * stats.t.sf(abs(effect / se), df)),
        se=se,
        details=details,
        flags=flags,
        **base,
    )


class _LinearFit:
    """An OLS fit with the covariance of its coefficients and of standardised means.

    Each child's influence on an estimate is a row of `influence`; the robust variances
    are sums of their squares (HC0), times n / (n − k) (HC1), or sums of squares of the
    clusters' totals times G/(G − 1) · (n − 1)/(n − k) (cluster).
    """

    def __init__(self, exog: pd.DataFrame, outcome: np.ndarray, clusters: np.ndarray | None,
                 cov_type: str) -> None:
        self.exog = exog
        x = exog.to_numpy()
        self.params, *_ = np.linalg.lstsq(x, outcome, rcond=None)
        self.residual = outcome - x @ self.params
        scale = max(float(np.abs(outcome).max()), 1.0)
        if np.abs(self.residual).max() <= 1e-10 * scale:
            raise NotEstimable(
                "the model reproduces every child's outcome exactly (for example the outcome "
                "is constant within each group): there is no residual variance, so no "
                "standard error"
            )
        self.bread = np.linalg.inv(x.T @ x)
        self.n, self.k = x.shape
        self.clusters = clusters
        self.cov_type = cov_type
        self.n_clusters = int(clusters.max() + 1) if clusters is not None else None
        self.df = self.n_clusters - 1 if cov_type == "cluster" else self.n - self.k
        # d params = bread @ sum_i x_i e_i: each child's influence on the coefficients.
        self.coefficient_influence = (x * self.residual[:, None]) @ self.bread

    def _robust(self, influence: np.ndarray) -> np.ndarray:
        """Sum of outer products of the influence rows, with the cov_type's factor."""
        n, k = self.n, self.k
        if self.cov_type == "cluster":
            totals = np.zeros((self.n_clusters, influence.shape[1]))
            np.add.at(totals, self.clusters, influence)
            g = self.n_clusters
            return totals.T @ totals * g / (g - 1) * (n - 1) / (n - k)
        factor = n / (n - k) if self.cov_type == "HC1" else 1.0
        return influence.T @ influence * factor

    def covariance(self) -> np.ndarray:
        """The coefficients' covariance of the cov_type."""
        if self.cov_type == "classical":
            sigma2 = self.residual @ self.residual / (self.n - self.k)
            return sigma2 * self.bread
        return self._robust(self.coefficient_influence)

    def standardised(
        self, as_treated: np.ndarray, as_untreated: np.ndarray, over: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The two standardised means, their covariance, and its coefficient part alone."""
        gradient = np.vstack([as_treated.mean(axis=0), as_untreated.mean(axis=0)])
        means = gradient @ self.params
        predicted = np.column_stack([as_treated @ self.params, as_untreated @ self.params])
        as_population = np.zeros((self.n, 2))
        as_population[over] = (predicted - means) / over.sum()
        fixed = gradient @ self.covariance() @ gradient.T
        if self.cov_type == "classical":
            covariance = fixed + as_population.T @ as_population
        else:
            covariance = self._robust(self.coefficient_influence @ gradient.T + as_population)
        return means, covariance, fixed

    def table(self) -> pd.DataFrame:
        """coef, se, t and p_value of every term (the cov_type's variance, t on df)."""
        se = np.sqrt(np.diag(self.covariance()))
        t = self.params / se
        return pd.DataFrame(
            {"coef": self.params, "se": se, "t": t,
             "p_value": 2 * stats.t.sf(np.abs(t), self.df)},
            index=self.exog.columns,
        )


def iptw_mean_difference(
    outcome: object,
    treatment: object,
    covariates: pd.DataFrame,
    *,
    estimand: Literal["ATE", "ATT"] = "ATE",
    cov_type: Literal["HC0", "HC1"] = "HC1",
    truncate_quantile: float | None = None,
    trim_propensity: float | None = None,
    confidence: float = 0.95,
) -> Estimate:
    """Difference of inverse-probability-weighted means, with a stacked-sandwich interval.

    The propensity model (logistic, on the covariates) and the weights are those of
    `pipeline.stats.weighting` (`propensity_scores`, `iptw_weights`): ATE weights
    1/ps and 1/(1 − ps), ATT weights 1 and ps/(1 − ps); the means are the weighted (Hájek)
    means of each group. The standard error is the M-estimation sandwich of the propensity
    score equations stacked with the two weighted means (as `iptw_effect`), so it accounts
    for the propensity scores having been estimated; `cov_type="HC0"` applies no
    small-sample factor (as statsmodels' `TreatmentEffect` and Stata's `teffects ipw`),
    "HC1" multiplies by n / (n − q), q the parameters in the stack. The simpler
    weighted-least-squares robust SE, which treats the weights as known (conservative for
    the ATE, either way for the ATT), is in `details["se_weights_known"]`. Neither
    accounts for clustering within areas.

    Parameters
    ----------
    outcome : array_like of float
        The outcome per child in its units (e.g. grams); missing values are left out.
    treatment : array_like of 0/1
        1 for an intervention child (missing = left out).
    covariates : pandas.DataFrame
        The propensity model's covariates per child, in the same order.
    estimand : {"ATE", "ATT"}, optional
        The population the difference refers to; everyone by default.
    cov_type : {"HC0", "HC1"}, optional
        The sandwich's small-sample factor (HC1 by default).
    truncate_quantile : float, optional
        Cap each group's weights at this quantile (e.g. 0.99).
    trim_propensity : float, optional
        Leave out children with a propensity outside [a, 1 − a] (e.g. 0.05); this changes
        the population the estimate refers to.
    confidence : float, optional
        Confidence level, 0.95 by default.

    Returns
    -------
    Estimate
        measure "mean_difference", method "iptw": the weighted difference in the outcome's
        units with its normal (Wald) interval, p and se; `details` holds the two weighted
        means, "se_weights_known", the Kish effective sample sizes and any weight
        warnings. Not estimable, with the reason, when a group has fewer than 2 children,
        the propensity model separates (no overlap) or fails, or the outcome does not vary
        within either group.

    Raises
    ------
    ValueError
        If the outcome is not numeric, treatment not 0/1, lengths differ, the covariates
        have another number of rows, or `estimand` or `cov_type` is unknown.

    Examples
    --------
    With one binary covariate the propensity is the share treated at each level (6/10
    of first-born children, 4/10 of the others), and the ATE weighting standardises both
    groups to the whole sample (half first-born): 0.5 · (3.4 − 3.2) + 0.5 · (3.6 − 3.3)
    = 0.25 kg.

    >>> import numpy as np
    >>> import pandas as pd
    >>> from pipeline.stats.continuous import iptw_mean_difference
    >>> first_child = pd.DataFrame({"first_child": np.repeat([1, 1, 0, 0], [6, 4, 4, 6])})
    >>> treatment = np.repeat([1, 0, 1, 0], [6, 4, 4, 6])
    >>> birth_weight_kg = np.concatenate([3.4 + np.tile([-0.2, 0.2], 3), 3.2 + np.tile([-0.2, 0.2], 2),
    ...                                   3.6 + np.tile([-0.2, 0.2], 2), 3.3 + np.tile([-0.2, 0.2], 3)])
    >>> result = iptw_mean_difference(birth_weight_kg, treatment, first_child)
    >>> round(result.estimate, 4), result.method
    (0.25, 'iptw')
    """
    _check_confidence(confidence)
    if estimand not in ("ATE", "ATT"):
        raise ValueError(f"estimand must be ATE or ATT, not {estimand!r}")
    if cov_type not in ("HC0", "HC1"):
        raise ValueError(f"cov_type must be HC0 or HC1, not {cov_type!r}")
    y_all = as_finite(outcome, "outcome")
    t_all = as_binary(treatment, "treatment")
    if len(y_all) != len(t_all):
        raise ValueError("outcome and treatment differ in length")
    observed = ~np.isnan(y_all) & ~np.isnan(t_all)
    design = build_covariate_design(covariates, len(y_all), observed)
    keep = design.kept_rows
    y, t = y_all[keep], t_all[keep]
    base: dict[str, object] = {"n": len(y), "confidence": confidence, "dropped": design.dropped}
    notes: dict[str, object] = {
        "estimand": estimand,
        "rows_missing_outcome_or_treatment": int((~observed).sum()),
        "se_type": f"M-estimation sandwich ({cov_type}) of the propensity model stacked with "
        "the two weighted means: accounts for the estimated propensity scores",
    }

    def fail(reason: str | NotEstimable) -> Estimate:
        return Estimate.not_estimable(MEASURE, "iptw", reason, details=notes, **base)

    try:
        weighted = _weighting(t, design, estimand, trim_propensity, truncate_quantile, notes, base)
    except NotEstimable as reason:
        return fail(reason)
    propensity_fit, ps, inside = weighted.fit, weighted.ps, weighted.inside
    raw, log_slope = weighted.raw, weighted.log_slope
    t_in, y_in = t[inside], y[inside]
    try:
        _require_variation(y_in[t_in == 1], y_in[t_in == 0])
    except NotEstimable as reason:
        return fail(reason)
    weights = _mean_one_within_groups(raw[inside], t_in)
    diagnostics = weight_diagnostics(t_in, weights)
    means = np.array(
        [np.average(y_in[t_in == arm], weights=weights[t_in == arm]) for arm in (1, 0)]
    )
    stack = _Stack(propensity_fit.exog.to_numpy(), t, ps, inside, raw, log_slope)
    psi, jacobian = stack.weighted_means(y, means)
    try:
        covariance = _sandwich(psi, jacobian, cov_type)[-2:, -2:]
    except NotEstimable as reason:
        return fail(reason)
    contrast = np.array([1.0, -1.0])
    known = _weights_known_covariance(y_in, t_in, weights, cov_type)
    se = float(np.sqrt(max(contrast @ covariance @ contrast, 0.0)))
    effect = float(contrast @ means)
    z = stats.norm.ppf(0.5 + confidence / 2)
    details = notes | {
        "mean_treated": float(means[0]),
        "mean_control": float(means[1]),
        "se_weights_known": float(np.sqrt(contrast @ known @ contrast)),
        "ess_intervention": float(diagnostics.table.loc["treated", "ess"]),
        "ess_comparison": float(diagnostics.table.loc["comparison", "ess"]),
        "weight_warnings": list(diagnostics.warnings),
    }
    return Estimate(
        MEASURE,
        "iptw",
        effect,
        effect - z * se,
        effect + z * se,
        float(2 * stats.norm.sf(abs(effect / se))),
        se=se,
        details=details,
        **base,
    )
