"""Random-effects meta-analysis of per-site effect estimates.

Each site (a municipality, say) reports one effect estimate and its standard error, e.g.
its own difference-in-differences; `meta_analysis` pools them without pooling any
child-level data. The model is the normal-normal random-effects model

    y_i = mu + u_i + e_i,   u_i ~ N(0, tau²),   e_i ~ N(0, v_i),   v_i = SE_i² (known),

fitted in two steps as metafor's `rma.uni` fits it (Viechtbauer 2010, J Stat Softw 36(3)):
tau² first, then mu as the weighted mean with weights w_i = 1 / (v_i + tau²) and variance
1 / sum w_i.

tau² (`method`):

- "REML" (default): restricted maximum likelihood by Fisher scoring, as `rma.uni`
  (Viechtbauer 2005, J Educ Behav Stat 30:261). From Hedges' estimator (the sample variance
  of the y_i less the mean v_i, at least 0) each step adds
  (y'PPy - tr P) / tr(PP), with P = W - w w' / sum w, W = diag(w_i), halving a step that
  would take tau² below 0, until tau² moves less than 1e-10 (metafor stops at 1e-5); and,
  as metafor, tau² = 0 when the restricted likelihood is higher there.
- "DL": DerSimonian & Laird (1986, Control Clin Trials 7:177):
  max(0, (Q - (k - 1)) / (sum w - sum w² / sum w)) with w_i = 1 / v_i.
- "FE": the fixed-effect (common-effect) model, tau² = 0.

The interval for mu (`interval`):

- "HKSJ" (default): Hartung & Knapp (2001, Stat Med 20:3875), Sidik & Jonkman (2002, Stat
  Med 21:3153): the variance 1 / sum w_i is multiplied by
  q = sum w_i (y_i - mu)² / (k - 1), and the interval and p come from t with k - 1 df.
  q is NOT floored at 1 by default, as in metafor's `test="knha"`, so with sites that agree
  more than their standard errors say the HKSJ interval is narrower than the normal one;
  `hksj_floor=True` applies the "ad hoc" modification max(1, q) (Röver, Knapp & Friede
  2015, BMC Med Res Methodol 15:99; metafor's `test="adhoc"`).
- "normal": the Wald interval mu ± z · SE and its z test.

Heterogeneity: Cochran's Q = sum (y_i - mu_FE)² / v_i on k - 1 df (always with the
fixed-effect weights, as metafor); I² and H² as metafor defines them: for a random-effects
model I² = 100 tau² / (tau² + s²) and H² = (tau² + s²) / s², with the "typical" within-site
variance s² = (k - 1) sum w / ((sum w)² - sum w²), w_i = 1 / v_i (Higgins & Thompson 2002,
Stat Med 21:1539); for the fixed-effect model I² = max(0, 100 (Q - (k - 1)) / Q) and
H² = Q / (k - 1). The interval for tau² is the Q-profile interval (Viechtbauer 2007, Stat
Med 26:37): the tau² at which the generalised Q, sum (y_i - mu)² / (v_i + tau²), equals
the chi-square(k - 1) quantiles.

The prediction interval for the effect in a new site is, as metafor's `predict()`,
mu ± c · sqrt(tau² + SE²), with SE the interval's own (HKSJ-scaled) standard error and c
the interval's own critical value: t with k - 1 df for "HKSJ", z for "normal" (metafor's
default `predict()`, not the t(k - 2) interval of Higgins, Thompson & Spiegelhalter 2009).

Why not statsmodels' `combine_effects`: it has no REML, and (statsmodels 0.15) its
DerSimonian-Laird tau² is not truncated at 0, so a negative tau² reaches the weights. The
three estimators are a few lines each here, on one code path.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
from scipy import optimize, stats

from pipeline.stats._design import as_finite
from pipeline.stats.proportions import check_confidence
from pipeline.stats.results import Estimate, NotEstimable, Test

_METHODS = ("REML", "DL", "FE")
_INTERVALS = ("HKSJ", "normal")

# Fisher scoring for REML stops when tau² moves less than this (metafor's threshold is 1e-5),
# or fails after this many steps (metafor's maxiter).
_REML_TOLERANCE = 1e-10
_REML_MAX_ITERATIONS = 100
# metafor sets tau² = 0 when the restricted log-likelihood there is higher by more than this
# (its `tol`, .Machine$double.eps^0.25).
_LIKELIHOOD_TOLERANCE = np.finfo(float).eps ** 0.25
# A weighted residual sum of squares this small means every estimate is the same: metafor
# then sets the HKSJ factor to 0 (.Machine$double.eps).
_ZERO_RESIDUALS = np.finfo(float).eps


@dataclass(frozen=True)
class MetaAnalysis:
    """Pooled effect of several sites, their heterogeneity, weights and the sites left out.

    Attributes
    ----------
    pooled : Estimate
        measure "pooled", method "random_effects_<tau² method>_<interval>" (e.g.
        "random_effects_reml_hksj"; "fixed_effect_normal" for method "FE"): mu with its
        interval, p, `se` (HKSJ-scaled for "HKSJ"), `df` (k - 1 for "HKSJ") and `n` = the
        number of sites pooled (sites, not children: a meta-analysis sees no child-level
        data). Not estimable, with the reason, with fewer than 2 sites.
    fixed : Estimate
        The inverse-variance fixed-effect estimate with its normal interval (method
        "fixed_effect_normal"): the sensitivity analysis. With one site it is that site's
        own estimate and interval.
    heterogeneity : Test
        Cochran's Q test (method "cochran_q", reference chi-square with k - 1 df).
    tau2 : float or None
        The between-site variance (0 for method "FE"); None with fewer than 2 sites.
    tau2_ci : tuple of float or None
        Its Q-profile interval at the same confidence level; (0, 0) when even tau² = 0
        fits the sites better than the chi-square says; None for method "FE".
    i2 : float or None
        I² in percent (see the module docstring for how, as metafor).
    h2 : float or None
        H², at least 1.
    prediction_low, prediction_high : float or None
        The prediction interval for the true effect in a new site, as metafor's
        `predict()`; None where `pooled` has no interval.
    k : int
        Sites pooled (after exclusions).
    weights : tuple of float
        Each pooled site's weight in percent (the random-effects weights 1 / (v_i + tau²),
        or 1 / v_i for "FE"), in the order of `labels`.
    labels : tuple
        The pooled sites' labels.
    excluded : tuple of (label, reason)
        Sites left out, each with the reason in words (a missing estimate, a missing or
        non-positive standard error).
    hksj_factor : float or None
        The Hartung-Knapp factor q that scaled the pooled variance (floored at 1 with
        `hksj_floor`); None for the normal interval or with fewer than 2 sites.

    Examples
    --------
    See `meta_analysis`.

    >>> from pipeline.stats.meta import meta_analysis
    >>> result = meta_analysis([0.1, 0.3, None], [0.1, 0.1, 0.1], labels=["A", "B", "C"])
    >>> result.k, result.labels, result.excluded
    (2, ('A', 'B'), (('C', 'estimate missing'),))
    """

    pooled: Estimate
    fixed: Estimate
    heterogeneity: Test
    tau2: float | None
    tau2_ci: tuple[float, float] | None
    i2: float | None
    h2: float | None
    prediction_low: float | None
    prediction_high: float | None
    k: int
    weights: tuple[float, ...]
    labels: tuple[Hashable, ...]
    excluded: tuple[tuple[Hashable, str], ...]
    hksj_factor: float | None = None

    @property
    def q(self) -> float | None:
        """Cochran's Q."""
        return self.heterogeneity.statistic

    @property
    def q_df(self) -> int | None:
        """Q's degrees of freedom, k - 1."""
        return self.heterogeneity.df

    @property
    def q_p(self) -> float | None:
        """Q's p-value, from chi-square(k - 1)."""
        return self.heterogeneity.p_value

    def summary(self) -> str:
        """The pooled and fixed-effect estimates, heterogeneity and exclusions, as text."""
        lines = [self.pooled.summary()]
        if self.tau2 is not None:
            text = f"  tau² = {self.tau2:.4g}"
            if self.tau2_ci is not None:
                text += f" ({self.pooled.confidence:.0%} CI {self.tau2_ci[0]:.4g} to {self.tau2_ci[1]:.4g})"
            lines.append(f"{text}, I² = {self.i2:.1f}%, H² = {self.h2:.4g}")
        lines.append(f"  {self.heterogeneity.summary()}")
        if self.prediction_low is not None:
            lines.append(f"  prediction interval {self.prediction_low:.4g} to {self.prediction_high:.4g}")
        lines.append(f"  fixed effect: {self.fixed.summary()}")
        lines += [f"  excluded {label}: {reason}" for label, reason in self.excluded]
        return "\n".join(lines)


def meta_analysis(
    estimates: object,
    standard_errors: object,
    *,
    labels: Sequence[Hashable] | None = None,
    method: Literal["REML", "DL", "FE"] = "REML",
    interval: Literal["HKSJ", "normal"] = "HKSJ",
    hksj_floor: bool = False,
    confidence: float = 0.95,
) -> MetaAnalysis:
    """Random-effects meta-analysis of one estimate and standard error per site.

    Pool on the scale where each site's estimate is roughly normal: a risk difference or
    DiD as it is, a ratio as its log (and exponentiate the result). A site with a missing
    estimate, or a missing, zero or negative standard error, is left out and listed in
    `excluded` with the reason. The methods are described in the module docstring.

    Parameters
    ----------
    estimates : array_like of float
        One estimate per site; None or NaN where a site has none.
    standard_errors : array_like of float
        Their standard errors, in the same order; None or NaN where missing.
    labels : sequence, optional
        A label per site (municipality names), distinct; 1, 2, ... by default.
    method : {"REML", "DL", "FE"}, optional
        The tau² estimator: REML (default), DerSimonian-Laird, or none (fixed effect).
    interval : {"HKSJ", "normal"}, optional
        Hartung-Knapp-Sidik-Jonkman t interval (default; random-effects methods only) or
        the normal (Wald) interval.
    hksj_floor : bool, optional
        Floor the HKSJ factor q at 1 (the "ad hoc" modification); False by default, as
        metafor's `test="knha"`.
    confidence : float, optional
        Confidence level of the intervals for mu, tau² and the prediction, 0.95 by default.

    Returns
    -------
    MetaAnalysis
        The pooled estimate, the fixed-effect estimate, Q, tau², I², H², the prediction
        interval, the weights and the excluded sites. With fewer than 2 sites the pooled
        estimate is not estimable, with the reason.

    Raises
    ------
    ValueError
        If the estimates and standard errors differ in number, a value is not a number or
        is infinite, the labels are not one per site or not distinct, `method` or
        `interval` is unknown, "HKSJ" is asked of the fixed-effect model, or `confidence` is
        not between 0 and 1.

    Examples
    --------
    Four districts' DiD estimates pooled; a fifth has no standard error and is left out:

    >>> from pipeline.stats.meta import meta_analysis
    >>> result = meta_analysis([0.01, 0.12, -0.03, 0.09, 0.05], [0.03, 0.04, 0.05, 0.035, None],
    ...                        labels=["Solna", "Rinkeby", "Kista", "Husby", "Tensta"])
    >>> print(result.summary())
    pooled (random_effects_reml_hksj): 0.04994 (95% CI -0.05674 to 0.1566), p = 0.233, n = 4
      tau² = 0.002797 (95% CI 0 to 0.06522), I² = 66.4%, H² = 2.978
      heterogeneity test (Cochran's Q): chi-square = 8.706 on 3 df, p = 0.0335
      prediction interval -0.1493 to 0.2492
      fixed effect: pooled (fixed_effect_normal): 0.04999 (95% CI 0.01392 to 0.08606), p = 0.00661, n = 4
      excluded Tensta: standard error missing
    >>> [round(weight, 1) for weight in result.weights]
    [28.9, 24.3, 20.2, 26.6]
    """
    y_all = as_finite(estimates, "estimates")
    se_all = as_finite(standard_errors, "standard_errors")
    if y_all.shape != se_all.shape:
        raise ValueError(f"{y_all.size} estimates and {se_all.size} standard errors: give one "
                         "of each per site")
    all_labels = _site_labels(labels, y_all.size)
    if method not in _METHODS:
        raise ValueError(f"method must be one of {_METHODS}, not {method!r}")
    if interval not in _INTERVALS:
        raise ValueError(f"interval must be one of {_INTERVALS}, not {interval!r}")
    if method == "FE" and interval == "HKSJ":
        raise ValueError('the fixed-effect model takes interval="normal": the HKSJ adjustment is '
                         "for random-effects models")
    check_confidence(confidence)

    reasons = [_exclusion_reason(estimate, se) for estimate, se in zip(y_all, se_all, strict=True)]
    kept = np.array([reason is None for reason in reasons], dtype=bool)
    excluded = tuple((label, reason) for label, reason in zip(all_labels, reasons, strict=True)
                     if reason is not None)
    y, v = y_all[kept], se_all[kept] ** 2
    sites = tuple(label for label, keep in zip(all_labels, kept, strict=True) if keep)
    k = int(kept.sum())

    name = _method_name(method, interval, hksj_floor)
    common: dict[str, Any] = {"n": k, "confidence": confidence}
    fixed = (_fixed_effect(y, v, confidence) if k else Estimate.not_estimable(
        "pooled", "fixed_effect_normal", _too_few_reason(k, sites), **common))
    sites_and_fixed: dict[str, Any] = {"fixed": fixed, "k": k, "labels": sites, "excluded": excluded}
    no_heterogeneity: dict[str, Any] = dict.fromkeys(
        ("tau2", "tau2_ci", "i2", "h2", "prediction_low", "prediction_high"))
    if k < 2:
        return MetaAnalysis(
            pooled=Estimate.not_estimable("pooled", name, _too_few_reason(k, sites), **common),
            heterogeneity=Test.not_estimable(
                "cochran_q", "fewer than 2 sites: no heterogeneity to test", reference="chi2",
                df=max(k - 1, 0)),
            weights=(100.0,) * k, **no_heterogeneity, **sites_and_fixed)

    w_fixed = 1 / v
    q = _generalised_q(y, v, 0.0)
    df = k - 1
    heterogeneity = Test(q, df, None, float(stats.chi2.sf(q, df)), "cochran_q", reference="chi2",
                         details={"sites": k})
    try:
        tau2, iterations = _tau2(y, v, q, method)
    except NotEstimable as reason:
        return MetaAnalysis(
            pooled=Estimate.not_estimable("pooled", name, reason, **common),
            heterogeneity=heterogeneity, weights=_percentages(w_fixed), **no_heterogeneity,
            **sites_and_fixed)
    if method == "FE":
        i2 = max(0.0, 100 * (q - df) / q) if q > 0 else 0.0
        h2 = q / df
    else:
        typical = float(df * w_fixed.sum() / (w_fixed.sum() ** 2 - (w_fixed**2).sum()))
        i2 = 100 * tau2 / (tau2 + typical)
        h2 = (tau2 + typical) / typical

    w = 1 / (v + tau2)
    mu = float(w @ y / w.sum())
    variance = 1 / float(w.sum())
    details: dict[str, Any] = {"tau2": tau2, "tau2_method": method, "sites": k}
    if iterations is not None:
        details["reml_iterations"] = iterations
    if interval == "HKSJ":
        residuals = float(w @ (y - mu) ** 2)
        scale = residuals / df if residuals > _ZERO_RESIDUALS else 0.0
        if hksj_floor:
            scale = max(1.0, scale)
        details |= {"hksj_scale": scale, "hksj_floor": hksj_floor,
                    "interval": f"Hartung-Knapp-Sidik-Jonkman, t with {df} df"
                    + (", factor floored at 1" if hksj_floor else "")}
        se = math.sqrt(scale * variance)
    else:
        details["interval"] = "normal (Wald)"
        se = math.sqrt(variance)
    reference = stats.t(df) if interval == "HKSJ" else stats.norm()
    critical = float(reference.isf((1 - confidence) / 2))
    t_df = float(df) if interval == "HKSJ" else None

    if se == 0:
        pooled = Estimate(
            "pooled", name, mu, se=0.0, df=t_df, flags=("no_p_zero_variance",), details=details,
            reason="every site has the same estimate, so the HKSJ factor is 0 and its interval "
            "has no width; none is given (hksj_floor=True or interval=\"normal\" give one)",
            **common)
        prediction_low = prediction_high = None
    else:
        statistic = mu / se
        details["statistic"] = statistic
        pooled = Estimate("pooled", name, mu, mu - critical * se, mu + critical * se,
                          p_value=float(2 * reference.sf(abs(statistic))), se=se, df=t_df,
                          details=details, **common)
        spread = critical * math.sqrt(tau2 + se**2)
        prediction_low, prediction_high = mu - spread, mu + spread

    return MetaAnalysis(
        pooled=pooled, heterogeneity=heterogeneity, tau2=tau2,
        tau2_ci=None if method == "FE" else _q_profile_interval(y, v, tau2, confidence),
        i2=i2, h2=h2, prediction_low=prediction_low, prediction_high=prediction_high,
        weights=_percentages(w), hksj_factor=scale if interval == "HKSJ" else None,
        **sites_and_fixed)


def _percentages(weights: np.ndarray) -> tuple[float, ...]:
    """Each weight as a percentage of their sum."""
    return tuple(float(weight) for weight in 100 * weights / weights.sum())


def _method_name(method: str, interval: str, hksj_floor: bool) -> str:
    """The pooled Estimate's method: model, tau² estimator and interval."""
    if method == "FE":
        return "fixed_effect_normal"
    floor = "_floor" if hksj_floor and interval == "HKSJ" else ""
    return f"random_effects_{method.lower()}_{interval.lower()}{floor}"


def _site_labels(labels: Sequence[Hashable] | None, n: int) -> tuple[Hashable, ...]:
    """The sites' labels, 1..n by default; one per site and distinct."""
    if labels is None:
        return tuple(range(1, n + 1))
    labels = tuple(labels)
    if len(labels) != n:
        raise ValueError(f"{len(labels)} labels for {n} sites: give one label per site")
    if len(set(labels)) != n:
        raise ValueError("site labels must be distinct")
    return labels


def _exclusion_reason(estimate: float, se: float) -> str | None:
    """Why a site cannot be pooled, in words; None if it can."""
    problems = []
    if math.isnan(estimate):
        problems.append("estimate missing")
    if math.isnan(se):
        problems.append("standard error missing")
    elif se == 0:
        problems.append("standard error is 0 (the site would get all the weight)")
    elif se < 0:
        problems.append("standard error is negative")
    return "; ".join(problems) or None


def _too_few_reason(k: int, sites: tuple[Hashable, ...]) -> str:
    """Why fewer than two sites cannot be pooled."""
    if k == 0:
        return "no site has both an estimate and a positive standard error"
    return (f"only one site ({sites[0]}) can be pooled: there is nothing to pool its estimate "
            "with, and no heterogeneity to estimate")


def _fixed_effect(y: np.ndarray, v: np.ndarray, confidence: float) -> Estimate:
    """Inverse-variance fixed-effect estimate with its normal interval and z test."""
    w = 1 / v
    mu = float(w @ y / w.sum())
    se = math.sqrt(1 / float(w.sum()))
    z = float(stats.norm.isf((1 - confidence) / 2))
    return Estimate("pooled", "fixed_effect_normal", mu, mu - z * se, mu + z * se,
                    p_value=float(2 * stats.norm.sf(abs(mu / se))), n=len(y),
                    confidence=confidence, se=se,
                    details={"statistic": mu / se, "interval": "normal (Wald)", "sites": len(y)})


def _generalised_q(y: np.ndarray, v: np.ndarray, tau2: float) -> float:
    """sum (y_i - mu)² / (v_i + tau²) with mu the weighted mean: Cochran's Q at tau² = 0."""
    w = 1 / (v + tau2)
    return float(w @ (y - w @ y / w.sum()) ** 2)


def _tau2(y: np.ndarray, v: np.ndarray, q: float, method: str) -> tuple[float, int | None]:
    """tau² by `method`, and the REML iterations (None for the others)."""
    if method == "FE":
        return 0.0, None
    if method == "DL":
        w = 1 / v
        return max(0.0, float((q - (len(y) - 1)) / (w.sum() - (w @ w) / w.sum()))), None
    return _tau2_reml(y, v)


def _tau2_reml(y: np.ndarray, v: np.ndarray) -> tuple[float, int]:
    """REML tau² by Fisher scoring, as metafor's rma.uni for a model with an intercept only.

    With P = W - w w' / sum w the step is (y'PPy - tr P) / tr(PP) (Viechtbauer 2005); for
    the intercept-only model Py = w (y - mu), tr P = sum w - sum w² / sum w and
    tr(PP) = sum w² - 2 sum w³ / sum w + (sum w² / sum w)².
    """
    tau2 = max(0.0, float(np.var(y, ddof=1) - v.mean()))  # Hedges' estimator starts, as metafor
    iterations = 0
    while True:
        iterations += 1
        if iterations > _REML_MAX_ITERATIONS:
            # Fisher scoring can circle the maximum in slowly shrinking steps (it would reach
            # metafor's 1e-5 but not 1e-10 in 100 steps): the same estimate, the root of the
            # REML score equation, is then found by bracketing instead.
            tau2 = _tau2_reml_root(y, v)
            break
        step = _reml_score(y, v, tau2) / _reml_information(v, tau2)
        while tau2 + step < 0:  # step-halving keeps tau² >= 0, as metafor
            step = step / 2 if tau2 > 0 else 0.0
        tau2 += step
        if abs(step) < _REML_TOLERANCE:
            break
    if tau2 > 0 and _restricted_loglik(y, v, 0.0) - _restricted_loglik(y, v, tau2) > _LIKELIHOOD_TOLERANCE:
        tau2 = 0.0  # Fisher scoring stopped at a local maximum (metafor warns and does the same)
    return tau2, iterations


def _reml_score(y: np.ndarray, v: np.ndarray, tau2: float) -> float:
    """y'PPy - tr P at tau²: twice the REML score, 0 at the estimate (Viechtbauer 2005)."""
    w = 1 / (v + tau2)
    total = w.sum()
    weighted_residuals = w * (y - w @ y / total)
    return float(weighted_residuals @ weighted_residuals - (total - (w @ w) / total))


def _reml_information(v: np.ndarray, tau2: float) -> float:
    """tr(PP) at tau²: twice the expected information, the Fisher scoring step's denominator."""
    w = 1 / (v + tau2)
    total, squares = w.sum(), w @ w
    return float(squares - 2 * (w**3).sum() / total + (squares / total) ** 2)


def _tau2_reml_root(y: np.ndarray, v: np.ndarray) -> float:
    """The REML tau² as the root of the score equation, bracketed from 0 upwards (0 when the
    score is not positive there: the likelihood falls from tau² = 0)."""
    if _reml_score(y, v, 0.0) <= 0:
        return 0.0
    high = max(float(np.var(y, ddof=1)), float(v.max()), 1e-12)
    while _reml_score(y, v, high) > 0:
        high *= 10
        if high > 1e12:
            raise NotEstimable('the REML estimate of tau² could not be bracketed; try method="DL"')
    return float(optimize.brentq(lambda t: _reml_score(y, v, t), 0.0, high, xtol=1e-14, rtol=1e-12))


def _restricted_loglik(y: np.ndarray, v: np.ndarray, tau2: float) -> float:
    """The restricted log-likelihood of tau², up to a constant."""
    w = 1 / (v + tau2)
    mu = w @ y / w.sum()
    return float(-0.5 * (np.log(v + tau2).sum() + math.log(w.sum()) + w @ (y - mu) ** 2))


def _q_profile_interval(y: np.ndarray, v: np.ndarray, tau2: float,
                        confidence: float) -> tuple[float, float]:
    """Q-profile interval for tau² (Viechtbauer 2007): where the generalised Q meets the
    chi-square(k - 1) quantiles; a bound is 0 when Q at tau² = 0 is already below its quantile.

    The generalised Q falls from Cochran's Q at tau² = 0 towards 0, so each bound is the one
    root of Q(tau²) = quantile, bracketed from above as metafor (at least 100 or 10 tau²)."""
    df = len(y) - 1
    alpha = 1 - confidence
    q0 = _generalised_q(y, v, 0.0)

    def bound(target: float) -> float:
        if q0 <= target:
            return 0.0
        high = max(100.0, 10 * tau2)
        while _generalised_q(y, v, high) > target:
            high *= 10
        return float(optimize.brentq(lambda t: _generalised_q(y, v, t) - target, 0.0, high,
                                     xtol=1e-12, rtol=1e-12))

    return bound(float(stats.chi2.isf(alpha / 2, df))), bound(float(stats.chi2.ppf(alpha / 2, df)))
