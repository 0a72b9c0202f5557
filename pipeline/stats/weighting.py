"""Inverse probability of treatment weighting (IPTW) for a binary outcome.

Propensity scores come from a logistic regression of treatment on the covariates.
Weights (Hernán & Robins, Causal Inference: What If, ch. 12; Austin & Stuart 2015):

- ATT (default): treated children weight 1; comparison children ps / (1 - ps), rescaled
  so that the comparison weights sum to the number of comparison children;
- ATE, stabilised: treated P(T=1) / ps, comparison P(T=0) / (1 - ps).

Rescaling within a group changes neither the weighted (Hájek) means nor their variance; it
only makes the weights readable (mean 1 per group) for the diagnostics. The Kish effective
sample size of each group is in every estimate's `details` ("ess_intervention",
"ess_comparison") and in the diagnostics table.

The effect is the difference (and ratio, and odds ratio) of the weighted risks in the two
groups. Its standard error is the empirical sandwich of a stacked M-estimator (Stefanski &
Boos 2002, Am Stat 56:29): the score equations of the logistic propensity model stacked
with the estimating equations of the two weighted means, so that it accounts for the
propensity scores having been estimated (Lunceford & Davidian 2004, Stat Med 23:2937,
for the ATE; Reifeis & Hudgens 2022, Am J Epidemiol 191:1092, for the ATT). The derivatives
are analytic: the weights are functions of the propensity model's linear predictor, with
d log w / d eta = -(1 - ps) for treated and ps for comparison children (ATE), and 0 and 1
(ATT). `cov_type` "HC1" (default) multiplies the sandwich by n / (n - q), q the number of
parameters in the stack (propensity coefficients, outcome-model coefficients if any, and
the two risks) — the MacKinnon & White (1985) degrees-of-freedom factor carried over to
the whole stack, a deliberately conservative choice for small pilots (with 53 children
and 8 covariate terms it widens the interval by about 12 % over HC0); "HC0" applies no
factor, as statsmodels' `TreatmentEffect` and Stata's `teffects` do. The risk ratio and
odds ratio follow from the two risks' joint covariance by the delta method on the log
scale.

The earlier standard error — a weighted regression of the outcome on treatment with a
robust (HC) covariance, which treats the weights as known — is kept in the plain IPTW
estimates' `details` ("se_weights_known"; "se_log_weights_known" for the ratios). For the
ATE, with a correctly specified propensity model, the stacked sandwich is asymptotically
no larger: estimating the propensity score, even when it is known, makes IPW more
efficient (Hirano, Imbens & Ridder 2003, Econometrica 71:1161; Lunceford & Davidian
2004), so the weights-known interval is conservative. For the ATT there is no such
ordering: the correction can make the standard error larger or smaller (Reifeis & Hudgens
2022) — the tests show one case of each — so the weights-known number is not a safe
stand-in.

Doubly robust option (`doubly_robust=True`): inverse-probability-weighted regression
adjustment (IPWRA; Wooldridge 2007, J Econometrics 141:1281; Stata's `teffects ipwra`;
the "weighted regression" double-robust estimator of Kang & Schafer 2007, Stat Sci
22:523, and Robins et al. 2007, Stat Sci 22:544). A logistic outcome model
logit P(Y=1) = b0 + b_T T + b_X' X is fitted by weighted maximum likelihood with the
(unnormalised) IPTW weights — ATT: 1 and ps / (1 - ps); ATE: 1 / ps and 1 / (1 - ps) — and
its predicted risks with T set to 1 and to 0 are averaged over the target population (the
treated for the ATT, everyone for the ATE). Because the model has an intercept and a
treatment term, its weighted residuals sum to zero within each group, which makes the
estimate consistent when either the propensity model or the outcome model is right. Its
standard error is the sandwich of the stack of propensity score, weighted outcome score and
the two standardised means.

What the standard error does not account for: clustering of children within areas; with
`truncate_quantile` the caps are treated as fixed constants (the capped children's weights
then have no derivative), and with `trim_propensity` the trimming boundary is treated as
fixed — both standard approximations.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd
from scipy import stats
from scipy.special import expit
from statsmodels.regression.linear_model import WLS

from pipeline.stats._design import (
    CovariateDesign,
    as_binary,
    build_covariate_design,
    require_both_groups,
    require_treatment_identified,
)
from pipeline.stats.regression import LogisticFit, fit_logistic
from pipeline.stats.results import Estimate, NotEstimable

Estimand = Literal["ATT", "ATE"]
METHOD = "iptw"
METHOD_DOUBLY_ROBUST = "ipwra"

# A (group-normalised) weight above this is "extreme" (Cole & Hernán 2008 flag weights
# far from a mean of 1; 10 is a common working threshold).
EXTREME_WEIGHT = 10.0
# A Kish effective sample size below this share of the group's n is flagged.
LOW_ESS_SHARE = 0.5


def _fit_propensity(t: np.ndarray, design: CovariateDesign) -> LogisticFit:
    """Logistic propensity model of treatment on the design's covariates (with intercept)."""
    require_both_groups(t)
    require_treatment_identified(t, design.covariates)
    exog = pd.concat(
        [pd.DataFrame({"const": np.ones(len(t))}), design.covariates.reset_index(drop=True)],
        axis=1,
    )
    try:
        return fit_logistic(t, exog, what="propensity model", by_pattern=True)
    except NotEstimable as reason:
        raise NotEstimable(
            f"{reason} (in the propensity model this means some covariate pattern occurs in "
            "only one group: no overlap, so weighting cannot make the groups comparable)",
            kind=reason.kind,
        ) from None


def propensity_scores(treatment: object, covariates: pd.DataFrame) -> np.ndarray:
    """P(treated | covariates) from a logistic model; NaN for rows with missing values.

    Raises NotEstimable when covariates separate the groups (no overlap) or the fit fails.

    Parameters
    ----------
    treatment : array_like of 0/1
        1 for an intervention child (missing = no score).
    covariates : pandas.DataFrame
        Covariates per child, in the same order (categoricals dummy-coded).

    Returns
    -------
    numpy.ndarray
        The propensity score per child (0-1), NaN where a value is missing.

    Raises
    ------
    NotEstimable
        If a group has fewer than two children, treatment is determined by the covariates,
        or the fit separates (no overlap) or does not converge.
    ValueError
        If `treatment` is not 0/1 or the covariates have another number of rows.

    Examples
    --------
    With one binary covariate the model is saturated: the score is the share treated in
    each level, 6/10 and 4/10.

    >>> import numpy as np
    >>> import pandas as pd
    >>> # 6 of the 10 first-born children are in the intervention group, 4 of the 10 others
    >>> covariates = pd.DataFrame({"first_child": np.repeat([1, 1, 0, 0], [6, 4, 4, 6])})
    >>> treatment = np.repeat([1, 0, 1, 0], [6, 4, 4, 6])
    >>> from pipeline.stats.weighting import propensity_scores
    >>> scores = propensity_scores(treatment, covariates)
    >>> sorted(set(np.round(scores, 4).tolist()))
    [0.4, 0.6]
    """
    t_all = as_binary(treatment, "treatment")
    design = build_covariate_design(covariates, len(t_all), ~np.isnan(t_all))
    fit = _fit_propensity(t_all[design.kept_rows], design)
    scores = np.full(len(t_all), np.nan)
    scores[design.kept_rows] = fit.fitted
    return scores


def _raw_weights(
    treatment: np.ndarray, propensity: np.ndarray, estimand: Estimand
) -> tuple[np.ndarray, np.ndarray]:
    """Unnormalised weights and d log(weight) / d(propensity linear predictor) per child."""
    t = np.asarray(treatment, dtype=float)
    ps = np.asarray(propensity, dtype=float)
    if estimand == "ATT":
        weights = np.where(t == 1, 1.0, ps / (1 - ps))
        log_slope = np.where(t == 1, 0.0, 1.0)
    elif estimand == "ATE":
        weights = np.where(t == 1, 1 / ps, 1 / (1 - ps))
        log_slope = np.where(t == 1, -(1 - ps), ps)
    else:
        raise ValueError(f"estimand must be ATT or ATE, not {estimand!r}")
    return weights, log_slope


def _mean_one_within_groups(weights: np.ndarray, treatment: np.ndarray) -> np.ndarray:
    scaled = np.asarray(weights, dtype=float).copy()
    for arm in (treatment == 1, treatment == 0):
        scaled[arm] = scaled[arm] / scaled[arm].mean()
    return scaled


def iptw_weights(
    treatment: np.ndarray, propensity: np.ndarray, estimand: Estimand = "ATT"
) -> np.ndarray:
    """ATT weights (controls ps/(1-ps)) or stabilised ATE weights, mean 1 within each group.

    (Stabilising multiplies a group's weights by a constant, so after rescaling to mean 1
    stabilised and unstabilised weights coincide.)

    Parameters
    ----------
    treatment : numpy.ndarray
        1 for an intervention child, 0 otherwise.
    propensity : numpy.ndarray
        The propensity score per child (0-1, exclusive).
    estimand : {"ATT", "ATE"}, optional
        The population the weights make the groups resemble.

    Returns
    -------
    numpy.ndarray
        The weight per child, mean 1 within each group.

    Raises
    ------
    ValueError
        If the estimand is unknown.

    Examples
    --------
    ATT: comparison children weigh ps / (1 − ps), 0.6/0.4 = 1.5 and 0.4/0.6 = 2/3 (their
    mean over the 10 comparison children is already 1).

    >>> import numpy as np
    >>> import pandas as pd
    >>> # 6 of the 10 first-born children are in the intervention group, 4 of the 10 others
    >>> covariates = pd.DataFrame({"first_child": np.repeat([1, 1, 0, 0], [6, 4, 4, 6])})
    >>> treatment = np.repeat([1, 0, 1, 0], [6, 4, 4, 6])
    >>> from pipeline.stats.weighting import iptw_weights
    >>> weights = iptw_weights(treatment, np.repeat([0.6, 0.4], 10))
    >>> np.round(weights[treatment == 0], 4).tolist()
    [1.5, 1.5, 1.5, 1.5, 0.6667, 0.6667, 0.6667, 0.6667, 0.6667, 0.6667]
    """
    t = np.asarray(treatment, dtype=float)
    weights, _ = _raw_weights(t, propensity, estimand)
    return _mean_one_within_groups(weights, t)


def kish_effective_sample_size(weights: np.ndarray) -> float:
    """Kish's effective sample size (sum w)^2 / sum w^2.

    Parameters
    ----------
    weights : numpy.ndarray
        The weights of one group's children.

    Returns
    -------
    float
        The number of equally weighted children with the same precision.

    Examples
    --------
    (1 + 1 + 2)² / (1 + 1 + 4) = 16/6:

    >>> from pipeline.stats.weighting import kish_effective_sample_size
    >>> round(kish_effective_sample_size([1, 1, 2]), 4)
    2.6667
    """
    w = np.asarray(weights, dtype=float)
    return float(w.sum() ** 2 / (w**2).sum())


@dataclass(frozen=True)
class WeightDiagnostics:
    """Per-group weight distribution, Kish effective sample size, and warnings.

    Attributes
    ----------
    table : pandas.DataFrame
        One row per group ("treated", "comparison"): n, sum, mean, min, p01, p05, p50,
        p95, p99, max, ess, ess_share.
    warnings : tuple of str
        Extreme weights (above 10 times the group mean) and low effective sample sizes
        (below half the group).

    Examples
    --------
    See `weight_diagnostics`.

    >>> import numpy as np
    >>> from pipeline.stats.weighting import weight_diagnostics
    >>> treatment = np.array([1, 1, 0, 0, 0, 0])  # one comparison child weighs 30
    >>> weight_diagnostics(treatment, np.array([1.0, 1.0, 1.0, 1.0, 1.0, 30.0])).warnings
    ('comparison: effective sample size 1.2 is under 50% of the 4 children',)
    """

    table: pd.DataFrame
    warnings: tuple[str, ...]

    def summary(self) -> str:
        """The table and the warnings, as text."""
        text = self.table.round(3).to_string()
        if self.warnings:
            text += "\nWarnings:\n" + "\n".join(f"  - {w}" for w in self.warnings)
        return text


def weight_diagnostics(treatment: np.ndarray, weights: np.ndarray) -> WeightDiagnostics:
    """Min, max, percentiles and Kish ESS of the weights in each group; flag extremes.

    Parameters
    ----------
    treatment : numpy.ndarray
        1 for an intervention child, 0 otherwise (both groups present).
    weights : numpy.ndarray
        The weight per child.

    Returns
    -------
    WeightDiagnostics
        The distribution of the weights per group and the warnings.

    Examples
    --------
    The comparison weights of `iptw_weights`' example: 4 × 1.5 and 6 × 2/3, an effective
    sample size of 10² / (4 · 2.25 + 6 · 4/9) = 8.571 of 10.

    >>> import numpy as np
    >>> import pandas as pd
    >>> # 6 of the 10 first-born children are in the intervention group, 4 of the 10 others
    >>> covariates = pd.DataFrame({"first_child": np.repeat([1, 1, 0, 0], [6, 4, 4, 6])})
    >>> treatment = np.repeat([1, 0, 1, 0], [6, 4, 4, 6])
    >>> from pipeline.stats.weighting import iptw_weights, weight_diagnostics
    >>> weights = iptw_weights(treatment, np.repeat([0.6, 0.4], 10))
    >>> weight_diagnostics(treatment, weights).table[["n", "ess"]].round(3).values.tolist()
    [[10.0, 10.0], [10.0, 8.571]]
    """
    t = np.asarray(treatment, dtype=float)
    w = np.asarray(weights, dtype=float)
    rows = []
    found: list[str] = []
    for label, arm in (("treated", t == 1), ("comparison", t == 0)):
        group = w[arm]
        scaled = group / group.mean()
        ess = kish_effective_sample_size(group)
        rows.append(
            {
                "group": label,
                "n": int(arm.sum()),
                "sum": float(group.sum()),
                "mean": float(group.mean()),
                "min": float(group.min()),
                "p01": float(np.percentile(group, 1)),
                "p05": float(np.percentile(group, 5)),
                "p50": float(np.percentile(group, 50)),
                "p95": float(np.percentile(group, 95)),
                "p99": float(np.percentile(group, 99)),
                "max": float(group.max()),
                "ess": ess,
                "ess_share": ess / arm.sum(),
            }
        )
        if scaled.max() > EXTREME_WEIGHT:
            found.append(
                f"{label}: largest weight is {scaled.max():.1f} times the group mean "
                f"(> {EXTREME_WEIGHT:g}); a few children dominate — consider truncation"
            )
        if ess < LOW_ESS_SHARE * arm.sum():
            found.append(
                f"{label}: effective sample size {ess:.1f} is under "
                f"{LOW_ESS_SHARE:.0%} of the {int(arm.sum())} children"
            )
    return WeightDiagnostics(pd.DataFrame(rows).set_index("group"), tuple(found))


@dataclass(frozen=True)
class IPTWResult:
    """IPTW effects with the weights and their diagnostics.

    Attributes
    ----------
    risk_difference, risk_ratio, odds_ratio : Estimate
        The weighted effects with stacked-sandwich intervals.
    estimand : str
        "ATT" or "ATE".
    n : int
        Children with complete data.
    n_dropped_missing : int
        Children left out for a missing covariate.
    diagnostics : WeightDiagnostics or None
        The weights' distribution per group.
    weights, propensity : numpy.ndarray or None
        The weights and propensity scores used.
    doubly_robust : bool
        Whether the estimate is the IPWRA one.

    Examples
    --------
    See `iptw_effect`.

    >>> import numpy as np
    >>> import pandas as pd
    >>> # 6 of the 10 first-born children are in the intervention group, 4 of the 10 others
    >>> covariates = pd.DataFrame({"first_child": np.repeat([1, 1, 0, 0], [6, 4, 4, 6])})
    >>> treatment = np.repeat([1, 0, 1, 0], [6, 4, 4, 6])
    >>> # outcome: first-born 4 of 6 intervention, 2 of 4 comparison; others 2 of 4, 2 of 6
    >>> outcome = np.repeat([1, 0] * 4, [4, 2, 2, 2, 2, 2, 2, 4])
    >>> from pipeline.stats.weighting import iptw_effect
    >>> result = iptw_effect(outcome, treatment, covariates)
    >>> round(result.ess_intervention, 3), round(result.ess_comparison, 3)
    (10.0, 8.571)
    """

    risk_difference: Estimate
    risk_ratio: Estimate
    odds_ratio: Estimate
    estimand: str
    n: int
    n_dropped_missing: int
    diagnostics: WeightDiagnostics | None
    weights: np.ndarray | None = None
    propensity: np.ndarray | None = None
    doubly_robust: bool = False

    @property
    def ess_intervention(self) -> float | None:
        """Kish effective sample size of the intervention (treated) group's weights."""
        return self._ess("treated")

    @property
    def ess_comparison(self) -> float | None:
        """Kish effective sample size of the comparison group's weights."""
        return self._ess("comparison")

    def _ess(self, group: str) -> float | None:
        if self.diagnostics is None or group not in self.diagnostics.table.index:
            return None
        return float(self.diagnostics.table.loc[group, "ess"])

    def summary(self) -> str:
        """The three effects and the weight diagnostics, as text."""
        kind = "IPWRA, doubly robust" if self.doubly_robust else "IPTW"
        lines = [
            f"{kind} ({self.estimand}), n = {self.n} "
            f"({self.n_dropped_missing} rows dropped for missing values)",
            "  " + self.risk_difference.summary(),
            "  " + self.risk_ratio.summary(),
            "  " + self.odds_ratio.summary(),
        ]
        if self.diagnostics is not None:
            lines.append(self.diagnostics.summary())
        return "\n".join(lines)


@dataclass(frozen=True)
class _Weighted:
    """The propensity fit and the raw weights of the rows kept (`inside`) after trimming."""

    fit: LogisticFit
    ps: np.ndarray
    inside: np.ndarray
    raw: np.ndarray
    log_slope: np.ndarray


def _weighting(t: np.ndarray, design: CovariateDesign, estimand: str, trim_propensity: float | None,
               truncate_quantile: float | None, notes: dict, base: dict) -> _Weighted:
    """The propensity model, trimming and truncation that every IPTW method shares: records in
    `notes` what was trimmed or truncated and sets `base["n"]` to the children kept; raises
    NotEstimable when the model cannot be fitted or trimming leaves a group empty."""
    fit = _fit_propensity(t, design)
    ps = fit.fitted
    inside = np.ones(len(t), dtype=bool)
    if trim_propensity is not None:
        inside = (ps >= trim_propensity) & (ps <= 1 - trim_propensity)
        notes["trimmed_propensity_outside"] = [trim_propensity, 1 - trim_propensity]
        notes["rows_trimmed"] = int((~inside).sum())
        base["n"] = int(inside.sum())
        try:
            require_both_groups(t[inside])
        except NotEstimable as reason:
            raise NotEstimable(f"after propensity trimming: {reason}") from reason
    raw, log_slope = _raw_weights(t, ps, estimand)
    if truncate_quantile is not None:
        raw, capped = _truncate(raw, t, inside, truncate_quantile)
        log_slope = np.where(capped, 0.0, log_slope)
        notes["truncated_at_quantile"] = truncate_quantile
        notes["rows_truncated"] = int(capped.sum())
    return _Weighted(fit, ps, inside, raw, log_slope)


def iptw_effect(
    outcome: object,
    treatment: object,
    covariates: pd.DataFrame,
    *,
    estimand: Estimand = "ATT",
    truncate_quantile: float | None = None,
    trim_propensity: float | None = None,
    cov_type: Literal["HC0", "HC1"] = "HC1",
    confidence: float = 0.95,
    doubly_robust: bool = False,
) -> IPTWResult:
    """Weighted risk difference, risk ratio and odds ratio with stacked-sandwich intervals.

    The standard errors account for the estimated propensity scores (module docstring);
    the weights-known ones are in `details` for comparison. `doubly_robust=True` gives the
    IPW regression adjustment (IPWRA) estimate instead, with the outcome model's covariates
    the same as the propensity model's.

    `truncate_quantile` (e.g. 0.99) caps each group's weights at that quantile of the
    group (Cole & Hernán 2008); `trim_propensity` (e.g. 0.05) drops children with a
    propensity outside [a, 1 - a] (Crump et al. 2009), which changes the population the
    estimate refers to. Both are reported in `details`.

    Parameters
    ----------
    outcome : array_like of 0/1
        The outcome per child (missing = left out).
    treatment : array_like of 0/1
        1 for an intervention child (missing = left out).
    covariates : pandas.DataFrame
        The propensity model's covariates per child, in the same order.
    estimand : {"ATT", "ATE"}, optional
        The population the effect refers to; the treated by default.
    truncate_quantile : float, optional
        Cap each group's weights at this quantile (e.g. 0.99).
    trim_propensity : float, optional
        Drop children with a propensity outside [a, 1 − a] (e.g. 0.05).
    cov_type : {"HC0", "HC1"}, optional
        The sandwich's small-sample factor (HC1 by default).
    confidence : float, optional
        Confidence level, 0.95 by default.
    doubly_robust : bool, optional
        Give the IPW regression adjustment (IPWRA) estimate instead.

    Returns
    -------
    IPTWResult
        The weighted risk difference (0-1), risk ratio and odds ratio with intervals and
        p-values, the weights and their diagnostics. All not estimable, with the reason,
        when a group is too small, the propensity model separates (no overlap) or fails,
        or the outcome model fails.

    Raises
    ------
    ValueError
        If `outcome` or `treatment` is not 0/1, they differ in length, the covariates have
        another number of rows, or `estimand` or `cov_type` is unknown.

    Examples
    --------
    With one binary covariate the weighting standardises the comparison group to the
    intervention group's mix (6 first-born of 10): 0.6 · 2/4 + 0.4 · 2/6 = 0.4333
    against the intervention group's 6/10, a risk difference of 1/6.

    >>> import numpy as np
    >>> import pandas as pd
    >>> # 6 of the 10 first-born children are in the intervention group, 4 of the 10 others
    >>> covariates = pd.DataFrame({"first_child": np.repeat([1, 1, 0, 0], [6, 4, 4, 6])})
    >>> treatment = np.repeat([1, 0, 1, 0], [6, 4, 4, 6])
    >>> # outcome: first-born 4 of 6 intervention, 2 of 4 comparison; others 2 of 4, 2 of 6
    >>> outcome = np.repeat([1, 0] * 4, [4, 2, 2, 2, 2, 2, 2, 4])
    >>> from pipeline.stats.weighting import iptw_effect
    >>> result = iptw_effect(outcome, treatment, covariates)
    >>> round(result.risk_difference.estimate, 4), round(result.risk_ratio.estimate, 4)
    (0.1667, 1.3846)
    """
    return iptw_effects(outcome, treatment, covariates, estimand=estimand,
                        truncate_quantile=truncate_quantile, trim_propensity=trim_propensity,
                        cov_type=cov_type, confidence=confidence,
                        doubly_robust=(doubly_robust,))[0]


def iptw_effects(
    outcome: object,
    treatment: object,
    covariates: pd.DataFrame,
    *,
    estimand: Estimand = "ATT",
    truncate_quantile: float | None = None,
    trim_propensity: float | None = None,
    cov_type: Literal["HC0", "HC1"] = "HC1",
    confidence: float = 0.95,
    doubly_robust: tuple[bool, ...] = (False, True),
) -> list[IPTWResult]:
    """`iptw_effect` for each `doubly_robust` value (IPTW, IPWRA) from one propensity model.

    The covariate design, the propensity model, trimming, truncation and the weights'
    diagnostics are made once for all of them.

    Parameters
    ----------
    outcome, treatment, covariates, estimand, truncate_quantile, trim_propensity, cov_type, confidence
        As `iptw_effect`.
    doubly_robust : tuple of bool, optional
        One result per value: False IPTW, True IPWRA.

    Returns
    -------
    list of IPTWResult
        One per `doubly_robust` value, in its order, each as `iptw_effect` gives it.

    Raises
    ------
    ValueError
        As `iptw_effect`.

    Examples
    --------
    >>> import numpy as np
    >>> import pandas as pd
    >>> covariates = pd.DataFrame({"first_child": np.repeat([1, 1, 0, 0], [6, 4, 4, 6])})
    >>> treatment = np.repeat([1, 0, 1, 0], [6, 4, 4, 6])
    >>> outcome = np.repeat([1, 0] * 4, [4, 2, 2, 2, 2, 2, 2, 4])
    >>> from pipeline.stats.weighting import iptw_effects
    >>> [round(r.risk_difference.estimate, 4) for r in iptw_effects(outcome, treatment, covariates)]
    [0.1667, 0.1667]
    """
    if estimand not in ("ATT", "ATE"):
        raise ValueError(f"estimand must be ATT or ATE, not {estimand!r}")
    if cov_type not in ("HC0", "HC1"):
        raise ValueError(f"cov_type must be HC0 or HC1, not {cov_type!r}")
    y_all = as_binary(outcome, "outcome")
    t_all = as_binary(treatment, "treatment")
    if len(y_all) != len(t_all):
        raise ValueError("outcome and treatment differ in length")
    observed = ~np.isnan(y_all) & ~np.isnan(t_all)
    design = build_covariate_design(covariates, len(y_all), observed)
    keep = design.kept_rows
    y, t = y_all[keep], t_all[keep]
    # what the weighting records (trimming, truncation, the children kept) is each result's
    weighting_notes: dict = {}
    weighting_base = {"n": int(keep.sum()), "confidence": confidence, "dropped": design.dropped}
    shared, failure = None, None
    try:
        weighted = _weighting(t, design, estimand, trim_propensity, truncate_quantile,
                              weighting_notes, weighting_base)
    except NotEstimable as reason:
        failure = reason
    else:
        inside = weighted.inside
        weights = _mean_one_within_groups(weighted.raw[inside], t[inside])
        shared = _Shared(weighted, weights, weight_diagnostics(t[inside], weights),
                         _Stack(weighted.fit.exog.to_numpy(), t, weighted.ps, inside,
                                weighted.raw, weighted.log_slope))
    results = []
    for robust in doubly_robust:
        notes = {"estimand": estimand, "se_type": _se_type(robust, cov_type),
                 "estimator": _ESTIMATOR[robust], **weighting_notes}
        base = dict(weighting_base)
        if failure is not None:
            results.append(_failed(failure, robust, estimand, design, notes, base))
        else:
            results.append(_iptw_result(y, t, design, shared, robust, estimand, cov_type,
                                        confidence, notes, base))
    return results


@dataclass(frozen=True)
class _Shared:
    """What IPTW and IPWRA of one propensity model share: the weighting, the weights of the
    children kept (mean 1 within each group), their diagnostics and the propensity model's
    estimating equations."""

    weighted: _Weighted
    weights: np.ndarray
    diagnostics: WeightDiagnostics
    stack: _Stack


def _failed(reason: str | NotEstimable, doubly_robust: bool, estimand: str,
            design: CovariateDesign, notes: dict, base: dict,
            diagnostics: WeightDiagnostics | None = None) -> IPTWResult:
    """The result when there is no estimate: every measure not estimable, with the reason."""
    method = METHOD_DOUBLY_ROBUST if doubly_robust else METHOD
    blank = [
        Estimate.not_estimable(m, method, reason, details=dict(notes), **base)
        for m in ("risk_difference", "risk_ratio", "odds_ratio")
    ]
    return IPTWResult(
        *blank,
        estimand=estimand,
        n=int(base["n"]),
        n_dropped_missing=design.n_dropped_missing,
        diagnostics=diagnostics,
        doubly_robust=doubly_robust,
    )


def _iptw_result(y: np.ndarray, t: np.ndarray, design: CovariateDesign, shared: _Shared,
                 doubly_robust: bool, estimand: str, cov_type: str, confidence: float,
                 notes: dict, base: dict) -> IPTWResult:
    """One estimator (IPTW, or IPWRA when `doubly_robust`) over the shared weighting."""
    method = METHOD_DOUBLY_ROBUST if doubly_robust else METHOD
    n = int(base["n"])
    ps, inside, raw = shared.weighted.ps, shared.weighted.inside, shared.weighted.raw
    weights, diagnostics, stack = shared.weights, shared.diagnostics, shared.stack
    t_in, y_in = t[inside], y[inside]
    notes["weight_warnings"] = list(diagnostics.warnings)
    notes["ess_intervention"] = float(diagnostics.table.loc["treated", "ess"])
    notes["ess_comparison"] = float(diagnostics.table.loc["comparison", "ess"])
    base["events"] = int(y_in.sum())

    known_cov = None
    if doubly_robust:
        outcome_exog = pd.concat(
            [pd.DataFrame({"const": 1.0, "treatment": t}), design.covariates], axis=1
        )
        try:
            outcome_fit = fit_logistic(
                y_in, outcome_exog.loc[inside], what="weighted outcome model", weights=raw[inside],
                by_pattern=True,
            )
        except NotEstimable as reason:
            return _failed(reason, doubly_robust, estimand, design, notes, base, diagnostics)
        target = inside & (t == 1) if estimand == "ATT" else inside
        risks, psi, jacobian = stack.standardised(
            y, outcome_exog.to_numpy(), outcome_fit.params.to_numpy(), target
        )
    else:
        risks = np.array(
            [np.average(y_in[t_in == arm], weights=weights[t_in == arm]) for arm in (1, 0)]
        )
        # Exact 0/1 where a group has no events (or only events), free of rounding noise.
        for row, arm in ((0, t_in == 1), (1, t_in == 0)):
            if y_in[arm].sum() in (0, arm.sum()):
                risks[row] = float(y_in[arm].mean())
        psi, jacobian = stack.weighted_means(y, risks)
        known_cov = _weights_known_covariance(y_in, t_in, weights, cov_type)
    try:
        risk_cov = _sandwich(psi, jacobian, cov_type)[-2:, -2:]
    except NotEstimable as reason:
        return _failed(reason, doubly_robust, estimand, design, notes, base, diagnostics)
    z = stats.norm.ppf(0.5 + confidence / 2)
    notes["risk_treated"] = float(risks[0])
    notes["risk_comparison"] = float(risks[1])

    contrast = np.array([1.0, -1.0])
    rd_se = float(np.sqrt(max(contrast @ risk_cov @ contrast, 0.0)))
    rd_details = dict(notes)
    if known_cov is not None:
        rd_details["se_weights_known"] = float(np.sqrt(contrast @ known_cov @ contrast))
    rd_flags = ("one_group_no_variance",) if np.any((risks <= 0) | (risks >= 1)) else ()
    if rd_se == 0:
        risk_difference = Estimate.not_estimable(
            "risk_difference",
            method,
            "the outcome does not vary within either group: the sandwich variance is zero",
            details=rd_details,
            flags=rd_flags,
            **base,
        )
    else:
        rd = float(risks[0] - risks[1])
        risk_difference = Estimate(
            "risk_difference",
            method,
            rd,
            rd - z * rd_se,
            rd + z * rd_se,
            float(2 * stats.norm.sf(abs(rd / rd_se))),
            se=rd_se,
            details=rd_details,
            flags=rd_flags,
            **base,
        )
    ratio_args = (risks, risk_cov, known_cov, z, base, notes, method)
    return IPTWResult(
        risk_difference,
        _ratio("risk_ratio", *ratio_args),
        _ratio("odds_ratio", *ratio_args),
        estimand=estimand,
        n=n,
        n_dropped_missing=design.n_dropped_missing,
        diagnostics=diagnostics,
        weights=weights,
        propensity=ps[inside],
        doubly_robust=doubly_robust,
    )


_ESTIMATOR = {
    False: "IPTW: difference of weighted (Hajek) risks",
    True: "IPWRA: weighted logistic outcome model (treatment + covariates), standardised "
    "over the target population (doubly robust)",
}


def _se_type(doubly_robust: bool, cov_type: str) -> str:
    models = "propensity model, weighted outcome model" if doubly_robust else "propensity model"
    factor = ", times n/(n - q)" if cov_type == "HC1" else ""
    return (
        f"M-estimation sandwich ({cov_type}{factor}) of the stacked estimating equations "
        f"({models} and the two risks): accounts for the estimated propensity scores"
    )


def _truncate(
    weights: np.ndarray, treatment: np.ndarray, inside: np.ndarray, quantile: float
) -> tuple[np.ndarray, np.ndarray]:
    """Cap each group's weights at the group's `quantile`; also say which were capped.

    The quantile is taken over the children kept after any trimming. Capping the raw
    weights and then rescaling to mean 1 equals capping the rescaled ones.
    """
    capped = weights.copy()
    was_capped = np.zeros(len(weights), dtype=bool)
    for arm in (treatment == 1, treatment == 0):
        cap = np.quantile(weights[arm & inside], quantile)
        was_capped |= arm & (weights > cap)
        capped[arm] = np.minimum(weights[arm], cap)
    return capped, was_capped


@dataclass(frozen=True)
class _Stack:
    """Estimating equations of the propensity model and what is stacked on it.

    Parameters in order: propensity coefficients a, then (doubly robust) outcome-model
    coefficients b, then the risk under treatment and the risk under no treatment. Each
    method returns the per-child estimating functions (n x q) and the mean of their
    derivatives (q x q), all analytic. Rows outside `inside` (trimmed) contribute only
    their propensity score equation.
    """

    ps_exog: np.ndarray
    treatment: np.ndarray
    propensity: np.ndarray
    inside: np.ndarray
    weights: np.ndarray
    log_slope: np.ndarray

    def _propensity_block(self) -> tuple[np.ndarray, np.ndarray]:
        x, ps = self.ps_exog, self.propensity
        psi = x * (self.treatment - ps)[:, None]
        jacobian = -(x * (ps * (1 - ps))[:, None]).T @ x / len(ps)
        return psi, jacobian

    def weighted_means(
        self, outcome: np.ndarray, risks: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """IPTW: sum w_i 1{group} (y_i - risk) = 0 for each group, stacked on the score."""
        psi_a, jac_aa = self._propensity_block()
        n, k = psi_a.shape
        y = np.where(self.inside, outcome, 0.0)
        psi = np.zeros((n, k + 2))
        jacobian = np.zeros((k + 2, k + 2))
        psi[:, :k], jacobian[:k, :k] = psi_a, jac_aa
        for row, arm in ((k, self.treatment == 1), (k + 1, self.treatment == 0)):
            in_arm = self.inside & arm
            psi[:, row] = np.where(in_arm, self.weights * (y - risks[row - k]), 0.0)
            # d w / d a = w * log_slope * x
            jacobian[row, :k] = (psi[:, row] * self.log_slope) @ self.ps_exog / n
            jacobian[row, row] = -np.where(in_arm, self.weights, 0.0).sum() / n
        return psi, jacobian

    def standardised(
        self,
        outcome: np.ndarray,
        outcome_exog: np.ndarray,
        coefficients: np.ndarray,
        target: np.ndarray,
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """IPWRA: weighted logistic score, then the means of the predicted risks over target.

        `outcome_exog` has the intercept in column 0 and treatment in column 1.
        Returns the two risks, the estimating functions and their mean derivative.
        """
        psi_a, jac_aa = self._propensity_block()
        n, k = psi_a.shape
        m = outcome_exog.shape[1]
        q = k + m + 2
        w = np.where(self.inside, self.weights, 0.0)
        y = np.where(self.inside, outcome, 0.0)
        fitted = expit(outcome_exog @ coefficients)
        psi = np.zeros((n, q))
        jacobian = np.zeros((q, q))
        psi[:, :k], jacobian[:k, :k] = psi_a, jac_aa
        residual = w * (y - fitted)
        psi[:, k : k + m] = outcome_exog * residual[:, None]
        # d psi_b / d a: the weight's derivative, w * log_slope * x_ps
        weighted_exog = outcome_exog * (residual * self.log_slope)[:, None]
        jacobian[k : k + m, :k] = weighted_exog.T @ self.ps_exog / n
        curvature = w * fitted * (1 - fitted)
        jacobian[k : k + m, k : k + m] = -(outcome_exog * curvature[:, None]).T @ outcome_exog / n
        risks = np.zeros(2)
        for index, value in ((0, 1.0), (1, 0.0)):
            counterfactual = outcome_exog.copy()
            counterfactual[:, 1] = value
            predicted = expit(counterfactual @ coefficients)
            risks[index] = predicted[target].mean()
            row = k + m + index
            psi[:, row] = np.where(target, predicted - risks[index], 0.0)
            slope = np.where(target, predicted * (1 - predicted), 0.0)
            jacobian[row, k : k + m] = slope @ counterfactual / n
            jacobian[row, row] = -target.sum() / n
        return risks, psi, jacobian


def _sandwich(psi: np.ndarray, jacobian: np.ndarray, cov_type: str) -> np.ndarray:
    """Empirical sandwich A^-1 B A^-T / n of a stacked M-estimator; HC1 times n/(n - q)."""
    n, q = psi.shape
    bread = np.linalg.inv(jacobian)
    covariance = bread @ (psi.T @ psi / n) @ bread.T / n
    if cov_type == "HC1":
        if n <= q:
            raise NotEstimable(
                f"{n} children for {q} estimated parameters (propensity model, outcome model "
                "and the two risks): too few for a standard error"
            )
        covariance *= n / (n - q)
    return covariance


def _weights_known_covariance(
    y: np.ndarray, t: np.ndarray, weights: np.ndarray, cov_type: str
) -> np.ndarray:
    """Covariance of (risk treated, risk comparison) treating the weights as known.

    The earlier standard error: weighted least squares of the outcome on treatment with a
    heteroskedasticity-robust covariance, statsmodels' `WLS(...).fit(cov_type)` taken to
    the two risks. With treatment the only regressor each risk is its group's weighted mean
    and the sandwich is diagonal: sum(w^2 e^2) / sum(w)^2 within each group, times
    n / (n - 2) for HC1 (equal to statsmodels' to 1e-12, tested), without a WLS model of the
    children (its whitened copies and pseudo-inverse were most of the time).
    """
    treated = t == 1
    if not treated.any() or treated.all():  # one group: statsmodels' own (rank-deficient) fit
        exog = np.column_stack([np.ones(len(y)), t])
        fit = WLS(y, exog, weights=weights).fit(cov_type=cov_type)
        to_risks = np.array([[1.0, 1.0], [1.0, 0.0]])
        return to_risks @ np.asarray(fit.cov_params()) @ to_risks.T
    variances = []
    for group in (treated, ~treated):
        w, outcome = weights[group], y[group]
        total = w.sum()
        residual = outcome - (w @ outcome) / total
        variances.append(float(np.sum((w * residual) ** 2)) / total**2)
    scale = len(y) / (len(y) - 2) if cov_type == "HC1" else 1.0
    return np.diag(variances) * scale


def _ratio(
    measure: str,
    risks: np.ndarray,
    risk_cov: np.ndarray,
    known_cov: np.ndarray | None,
    z: float,
    base: dict,
    notes: dict,
    method: str = METHOD,
) -> Estimate:
    """Risk or odds ratio of the weighted risks with a delta-method interval on the log scale."""
    if np.any(risks <= 0) or (measure == "odds_ratio" and np.any(risks >= 1)):
        which = "no events" if np.any(risks <= 0) else "only events"
        return Estimate.not_estimable(
            measure,
            method,
            NotEstimable(f"zero cell: {which} in a group, so the {measure.replace('_', ' ')} "
                         "is 0 or infinite", kind="zero_cell"),
            details=dict(notes),
            **base,
        )
    if measure == "risk_ratio":
        log_value = np.log(risks[0]) - np.log(risks[1])
        gradient = np.array([1 / risks[0], -1 / risks[1]])
    else:
        log_value = np.log(risks[0] / (1 - risks[0])) - np.log(risks[1] / (1 - risks[1]))
        gradient = np.array([1 / (risks[0] * (1 - risks[0])), -1 / (risks[1] * (1 - risks[1]))])
    se = float(np.sqrt(max(gradient @ risk_cov @ gradient, 0.0)))
    if se == 0:
        return Estimate.not_estimable(
            measure, method, "the sandwich variance is zero", details=dict(notes), **base
        )
    details = dict(notes)
    if known_cov is not None:
        details["se_log_weights_known"] = float(np.sqrt(gradient @ known_cov @ gradient))
    return Estimate(
        measure,
        method,
        float(np.exp(log_value)),
        float(np.exp(log_value - z * se)),
        float(np.exp(log_value + z * se)),
        float(2 * stats.norm.sf(abs(log_value / se))),
        se=se,
        log_scale=True,
        details=details,
        **base,
    )
