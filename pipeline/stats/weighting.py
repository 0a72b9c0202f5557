"""Inverse probability of treatment weighting (IPTW) for a binary outcome.

Propensity scores come from a logistic regression of treatment on the covariates.
Weights (Hernán & Robins, Causal Inference: What If, ch. 12; Austin & Stuart 2015):

- ATT (default): treated children weight 1; comparison children ps / (1 - ps), rescaled
  so that the comparison weights sum to the number of comparison children;
- ATE, stabilised: treated P(T=1) / ps, comparison P(T=0) / (1 - ps).

Rescaling within a group changes neither the weighted means nor their sandwich variance;
it only makes the weights readable (mean 1 per group) for the diagnostics.

The effect is a weighted least-squares regression of the outcome on treatment (intercept
= weighted risk in the comparison group, slope = weighted risk difference) with a
heteroskedasticity-robust sandwich covariance (HC1 by default; HC0 on request). The risk
ratio and odds ratio follow from the two weighted risks and that covariance by the delta
method (on the log scale), which equals the sandwich of a weighted log-binomial or
logistic fit of the same saturated model.

What the standard error does and does not account for: the sandwich treats the weights as
known. It ignores that the propensity scores were estimated. For the ATE that makes the
interval conservative (too wide; Lunceford & Davidian 2004, Stat Med 23:2937). For the
ATT there is no such guarantee — it can be either too wide or too narrow (Reifeis &
Hudgens 2022, Am J Epidemiol 191:1092) — so read it as approximate. It does not account
for clustering of children within areas either.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd
import statsmodels.api as sm
from scipy import stats

from pipeline.stats._design import (
    as_binary,
    build_covariate_design,
    require_both_groups,
    require_treatment_identified,
)
from pipeline.stats.regression import fit_logistic
from pipeline.stats.results import Estimate, NotEstimable

Estimand = Literal["ATT", "ATE"]
METHOD = "iptw"

# A (group-normalised) weight above this is "extreme" (Cole & Hernán 2008 flag weights
# far from a mean of 1; 10 is a common working threshold).
EXTREME_WEIGHT = 10.0
# A Kish effective sample size below this share of the group's n is flagged.
LOW_ESS_SHARE = 0.5


def propensity_scores(treatment: object, covariates: pd.DataFrame) -> np.ndarray:
    """P(treated | covariates) from a logistic model; NaN for rows with missing values.

    Raises NotEstimable when covariates separate the groups (no overlap) or the fit fails.
    """
    t_all = as_binary(treatment, "treatment")
    design = build_covariate_design(covariates, len(t_all), ~np.isnan(t_all))
    t = t_all[design.kept_rows]
    require_both_groups(t)
    require_treatment_identified(t, design.covariates)
    exog = pd.concat(
        [pd.DataFrame({"const": np.ones(len(t))}), design.covariates.reset_index(drop=True)],
        axis=1,
    )
    try:
        fit = fit_logistic(t, exog, what="propensity model")
    except NotEstimable as reason:
        raise NotEstimable(
            f"{reason} (in the propensity model this means some covariate pattern occurs in "
            "only one group: no overlap, so weighting cannot make the groups comparable)"
        ) from None
    scores = np.full(len(t_all), np.nan)
    scores[design.kept_rows] = fit.fitted
    return scores


def iptw_weights(
    treatment: np.ndarray, propensity: np.ndarray, estimand: Estimand = "ATT"
) -> np.ndarray:
    """ATT weights (controls ps/(1-ps)) or stabilised ATE weights, mean 1 within each group."""
    t = np.asarray(treatment, dtype=float)
    ps = np.asarray(propensity, dtype=float)
    if estimand == "ATT":
        weights = np.where(t == 1, 1.0, ps / (1 - ps))
    elif estimand == "ATE":
        share_treated = t.mean()
        weights = np.where(t == 1, share_treated / ps, (1 - share_treated) / (1 - ps))
    else:
        raise ValueError(f"estimand must be ATT or ATE, not {estimand!r}")
    for arm in (t == 1, t == 0):
        weights[arm] = weights[arm] / weights[arm].mean()
    return weights


def kish_effective_sample_size(weights: np.ndarray) -> float:
    """Kish's effective sample size (sum w)^2 / sum w^2."""
    w = np.asarray(weights, dtype=float)
    return float(w.sum() ** 2 / (w**2).sum())


@dataclass(frozen=True)
class WeightDiagnostics:
    """Per-group weight distribution, Kish effective sample size, and warnings."""

    table: pd.DataFrame
    warnings: tuple[str, ...]

    def summary(self) -> str:
        text = self.table.round(3).to_string()
        if self.warnings:
            text += "\nWarnings:\n" + "\n".join(f"  - {w}" for w in self.warnings)
        return text


def weight_diagnostics(treatment: np.ndarray, weights: np.ndarray) -> WeightDiagnostics:
    """Min, max, percentiles and Kish ESS of the weights in each group; flag extremes."""
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
    """IPTW effects with the weights and their diagnostics."""

    risk_difference: Estimate
    risk_ratio: Estimate
    odds_ratio: Estimate
    estimand: str
    n: int
    n_dropped_missing: int
    diagnostics: WeightDiagnostics | None
    weights: np.ndarray | None = None
    propensity: np.ndarray | None = None

    def summary(self) -> str:
        lines = [
            f"IPTW ({self.estimand}), n = {self.n} "
            f"({self.n_dropped_missing} rows dropped for missing values)",
            "  " + self.risk_difference.summary(),
            "  " + self.risk_ratio.summary(),
            "  " + self.odds_ratio.summary(),
        ]
        if self.diagnostics is not None:
            lines.append(self.diagnostics.summary())
        return "\n".join(lines)


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
) -> IPTWResult:
    """Weighted risk difference, risk ratio and odds ratio with robust (sandwich) intervals.

    `truncate_quantile` (e.g. 0.99) caps each group's weights at that quantile of the
    group (Cole & Hernán 2008); `trim_propensity` (e.g. 0.05) drops children with a
    propensity outside [a, 1 - a] (Crump et al. 2009), which changes the population the
    estimate refers to. Both are reported in `details`.
    """
    y_all = as_binary(outcome, "outcome")
    t_all = as_binary(treatment, "treatment")
    if len(y_all) != len(t_all):
        raise ValueError("outcome and treatment differ in length")
    observed = ~np.isnan(y_all) & ~np.isnan(t_all)
    design = build_covariate_design(covariates, len(y_all), observed)
    n = int(design.kept_rows.sum())
    base = {"n": n, "confidence": confidence}
    notes = design.notes() | {"estimand": estimand, "se_type": cov_type}

    def fail(reason: str, diagnostics: WeightDiagnostics | None = None) -> IPTWResult:
        blank = [
            Estimate.not_estimable(m, METHOD, reason, details=dict(notes), **base)
            for m in ("risk_difference", "risk_ratio", "odds_ratio")
        ]
        return IPTWResult(
            *blank,
            estimand=estimand,
            n=n,
            n_dropped_missing=design.n_dropped_missing,
            diagnostics=diagnostics,
        )

    try:
        masked_t = np.where(observed, t_all, np.nan)
        ps_all = propensity_scores(masked_t, covariates)
    except NotEstimable as reason:
        return fail(str(reason))
    keep = design.kept_rows
    y, t, ps = y_all[keep], t_all[keep], ps_all[keep]
    if trim_propensity is not None:
        inside = (ps >= trim_propensity) & (ps <= 1 - trim_propensity)
        notes["trimmed_propensity_outside"] = [trim_propensity, 1 - trim_propensity]
        notes["rows_trimmed"] = int((~inside).sum())
        y, t, ps = y[inside], t[inside], ps[inside]
        n = len(y)
        base["n"] = n
        try:
            require_both_groups(t)
        except NotEstimable as reason:
            return fail(f"after propensity trimming: {reason}")
    weights = iptw_weights(t, ps, estimand)
    if truncate_quantile is not None:
        weights = _truncate(weights, t, truncate_quantile)
        notes["truncated_at_quantile"] = truncate_quantile
    diagnostics = weight_diagnostics(t, weights)
    notes["weight_warnings"] = list(diagnostics.warnings)
    base["events"] = int(y.sum())

    exog = np.column_stack([np.ones(n), t])
    fit = sm.WLS(y, exog, weights=weights).fit(cov_type=cov_type)
    beta = np.asarray(fit.params)
    cov = np.asarray(fit.cov_params())
    # Weighted risks: comparison = b0, treated = b0 + b1.
    to_risks = np.array([[1.0, 1.0], [1.0, 0.0]])
    risks = to_risks @ beta
    # Exact 0/1 where a group has no events (or only events), free of rounding noise.
    for row, arm in ((0, t == 1), (1, t == 0)):
        if y[arm].sum() in (0, arm.sum()):
            risks[row] = float(y[arm].mean())
    risk_cov = to_risks @ cov @ to_risks.T
    z = stats.norm.ppf(0.5 + confidence / 2)
    notes["risk_treated"] = float(risks[0])
    notes["risk_comparison"] = float(risks[1])

    rd_se = float(np.sqrt(cov[1, 1]))
    rd_details = notes | {"se": rd_se}
    if np.any((risks <= 0) | (risks >= 1)):
        rd_details["note"] = (
            "a group has no events (or only events): the sandwich variance of its weighted "
            "risk is zero, so the interval reflects the other group only and is too narrow"
        )
    if rd_se == 0:
        risk_difference = Estimate.not_estimable(
            "risk_difference",
            METHOD,
            "the outcome does not vary within either group: the sandwich variance is zero",
            details=rd_details,
            **base,
        )
    else:
        rd = float(beta[1])
        risk_difference = Estimate(
            "risk_difference",
            METHOD,
            rd,
            rd - z * rd_se,
            rd + z * rd_se,
            float(2 * stats.norm.sf(abs(rd / rd_se))),
            details=rd_details,
            **base,
        )
    risk_ratio = _ratio("risk_ratio", risks, risk_cov, z, base, notes)
    odds_ratio = _ratio("odds_ratio", risks, risk_cov, z, base, notes)
    return IPTWResult(
        risk_difference,
        risk_ratio,
        odds_ratio,
        estimand=estimand,
        n=n,
        n_dropped_missing=design.n_dropped_missing,
        diagnostics=diagnostics,
        weights=weights,
        propensity=ps,
    )


def _truncate(weights: np.ndarray, treatment: np.ndarray, quantile: float) -> np.ndarray:
    """Cap each group's weights at the group's `quantile` (then rescale to mean 1)."""
    capped = weights.copy()
    for arm in (treatment == 1, treatment == 0):
        cap = np.quantile(capped[arm], quantile)
        capped[arm] = np.minimum(capped[arm], cap)
        capped[arm] /= capped[arm].mean()
    return capped


def _ratio(
    measure: str, risks: np.ndarray, risk_cov: np.ndarray, z: float, base: dict, notes: dict
) -> Estimate:
    """Risk or odds ratio of the weighted risks with a delta-method interval on the log scale."""
    if np.any(risks <= 0) or (measure == "odds_ratio" and np.any(risks >= 1)):
        which = "no events" if np.any(risks <= 0) else "only events"
        return Estimate.not_estimable(
            measure,
            METHOD,
            f"zero cell: {which} in a group, so the {measure.replace('_', ' ')} is 0 or infinite",
            details=dict(notes),
            **base,
        )
    if measure == "risk_ratio":
        log_value = np.log(risks[0]) - np.log(risks[1])
        gradient = np.array([1 / risks[0], -1 / risks[1]])
    else:
        log_value = np.log(risks[0] / (1 - risks[0])) - np.log(risks[1] / (1 - risks[1]))
        gradient = np.array([1 / (risks[0] * (1 - risks[0])), -1 / (risks[1] * (1 - risks[1]))])
    se = float(np.sqrt(gradient @ risk_cov @ gradient))
    if se == 0:
        return Estimate.not_estimable(
            measure, METHOD, "the sandwich variance is zero", details=dict(notes), **base
        )
    return Estimate(
        measure,
        METHOD,
        float(np.exp(log_value)),
        float(np.exp(log_value - z * se)),
        float(np.exp(log_value + z * se)),
        float(2 * stats.norm.sf(abs(log_value / se))),
        details=notes | {"se_log": se},
        **base,
    )
