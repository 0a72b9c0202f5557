"""Two companions to the pooled linear DiD of `did.py`: an event study and a logistic DiD.

`event_study` — the DiD period by period (linear probability model):

    y = area effects + period effects + sum_{k != r} b_k * treated_area * 1[period = k]
        (+ covariates) + e

`period` is the birth half-year relative to the programme start (-2, -1 before; 0, 1, ...
after) and r the reference period (-1, the last half-year before the start, by default).
b_k is the DiD between period k and r on the risk-difference scale; the arm's main
effect is absorbed by the area effects. With one area per arm and no covariates the model
is saturated and b_k = (p_T,k - p_T,r) - (p_C,k - p_C,r) exactly (T: intervention arm,
C: comparison arm). The pre-start coefficients (k < 0) are the check on parallel trends:
each with its interval, and jointly by a Wald F test.

Inference, as `did.py`: cluster-robust CR1 by area (statsmodels `cov_type="cluster"`) with
t on G - 1 df, each coefficient's SE raised to the child-level HC1 SE where that is larger
(`did.at_least_child_level`); with one area in an arm the clustered variance is
degenerate and HC1 with the normal reference is the labelled fallback. No bootstrap is
run per coefficient (speed); the pooled effect's wild cluster bootstrap is in `did.py`.

The joint test of the pre-start coefficients is the Wald statistic W = b' V^-1 b of their
q coefficients. The plain cluster-robust version, W / q on F(q, G - 1) with V the CR1
covariance (Stata's `test` after `regress, vce(cluster)`), over-rejects badly with few
areas (Pustejovsky & Tipton 2018, J Bus Econ Stat 36:672): in simulations made for this
module (10 areas of which 4 intervention, 6 pre-start coefficients, 10,000 children, no
pre-trend) it rejected at 5 % in about half of the data sets. Two corrections bring it to
about 7-11 % there (about 6 % with 30 areas): V's variances are raised to the child-level
HC1 ones where smaller, as for each coefficient (correlations kept from CR1), and W is
referred as Hotelling's T^2 of G cluster scores, W (G - q) / (q (G - 1)) on F(q, G - q).
The plain test is kept beside it (`details["unadjusted_*"]`). The test needs q < G (the CR1
covariance has rank at most G - 1); with few areas a small p is a warning, not proof.

`logistic_did` — the "check on the scale". Linear parallel trends on a bounded outcome
can mislead (a comparison arm near 97 % MMR coverage cannot rise as much as one near 80 %),
so the same design is fitted on the log-odds scale:

    logit P(y = 1) = area effects + period effects + b * treated_area * post (+ covariates)

with period effects for the labels in `period_effects` (e.g. birth half-year) or the post
dummy. It reports exp(b), the conditional odds ratio, and the ATT on the risk-difference
scale by g-computation over the children in intervention areas after the start:
mean(p_hat as fitted) - mean(p_hat with b set to 0), comparable with the linear DiD.

Its interval is the delta method, g' V g with g the gradient of the ATT in the
coefficients and V their CR1 covariance by area (statsmodels' `cov_cluster`, the
covariance of GLM `cov_type="cluster"`); the SE is never below the one from the HC1
covariance (HC0 x n / (n - K); statsmodels GLM's "HC1" is HC0). The variance is
conditional on the children standardised over (coefficient uncertainty only, as Stata's
`margins, vce(delta)`), as is the linear DiD's. Reference distribution as `did.py`: t
on G - 1 df for the cluster-robust result, normal for the HC1 fallback with one area in
an arm. With area effects an area (or period) whose children all have, or all lack, the
outcome separates the model; it is then not estimable, with the areas named.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats
from statsmodels.stats.sandwich_covariance import cov_cluster

from pipeline.stats._design import (
    areas_in_both_arms,
    as_binary,
    both_arms_reason,
    build_covariate_design,
    distinct_count,
    pattern_spread,
    row_patterns,
    sorted_distinct,
    varies_within,
    zero_one,
)
from pipeline.stats._irls import cross_product
from pipeline.stats.did import (
    COLLAPSE_SHARE,
    FEW_CLUSTERS,
    VERY_FEW_CLUSTERS,
    _patterns,
    at_least_child_level,
)
from pipeline.stats.proportions import check_confidence
from pipeline.stats.regression import fit_logistic
from pipeline.stats.results import Dropped, Estimate, NotEstimable, Test

MEASURE = "did"
METHOD_EVENT_STUDY = "event_study"
METHOD_LOGISTIC_DID = "logistic_did"

TABLE_COLUMNS = [
    "period", "estimate", "ci_low", "ci_high", "p_value", "se", "n_intervention",
    "n_comparison", "pre", "reference", "reason",
]
_INTERACTION = "treated_area:post"
_NO_PRE_PERIOD = "no pre-start period besides the reference has children in both arms"
_PRE = "pre-start coefficient(s)"  # what an event study's joint test tests
# Smallest eigenvalue, relative to the largest, of the Gram matrix of the design's
# unit-length columns below which the design counts as singular.
_RANK_TOLERANCE = 1e-11


@dataclass(frozen=True)
class EventStudyResult:
    """Event-study coefficients per period, the joint pre-trend test, and caveats.

    `table` has one row per period observed (the reference row with estimate 0 and no
    interval) and the columns of TABLE_COLUMNS; `coefficients` the same as `Estimate`
    objects for every period but the reference. `reason` is set when nothing could be
    estimated at all.

    Attributes
    ----------
    table : pandas.DataFrame
        One row per period: period, estimate, ci_low, ci_high, p_value, se,
        n_intervention, n_comparison, pre, reference, reason.
    coefficients : dict of int to Estimate
        The DiD of each period against the reference (0-1 scale).
    pre_trend : Test
        The joint test that the pre-start coefficients are zero.
    reference : int
        The reference period.
    n, events : int
        Children analysed and children with the event.
    n_clusters, n_clusters_treated : int
        Areas in all and in the intervention arm.
    se_type : str
        The standard errors used.
    caveats : tuple of str
        Warnings for the reader.
    confidence : float
        Confidence level of the intervals.
    reason : str or None
        Why nothing could be estimated.
    details : dict
        What was adjusted for, and children left out for a missing outcome, arm or period.
    dropped : Dropped or None
        What the covariate design left out.

    Examples
    --------
    See `event_study`.

    >>> from pipeline.stats.did_models import event_study
    >>> event_study([1, 0], [1, 0], [0, 0], ["A", "B"]).estimable
    False
    """

    table: pd.DataFrame
    coefficients: dict[int, Estimate]
    pre_trend: Test
    reference: int
    n: int
    events: int
    n_clusters: int
    n_clusters_treated: int
    se_type: str
    caveats: tuple[str, ...] = ()
    confidence: float = 0.95
    reason: str | None = None
    details: dict[str, Any] = field(default_factory=dict)
    dropped: Dropped | None = None

    @property
    def estimable(self) -> bool:
        """Whether anything could be estimated."""
        return self.reason is None

    def summary(self) -> str:
        """The per-period table, the joint pre-trend test and the caveats, as text."""
        lines = [
            f"Event study (linear probability), {self.n_clusters} areas "
            f"({self.n_clusters_treated} intervention), n = {self.n}, reference period "
            f"{self.reference}"
        ]
        if not self.estimable:
            return "\n".join([*lines, f"  not estimable — {self.reason}"])
        lines.append(f"  {self.se_type}; {self.confidence:.0%} intervals")
        lines.append(f"  {'period':>6} {'estimate':>9} {'interval':>21} {'p':>7} "
                     f"{'n int.':>7} {'n comp.':>7}")
        for row in self.table.itertuples(index=False):
            counts = f"{row.n_intervention:>7} {row.n_comparison:>7}"
            if row.reference:
                lines.append(f"  {row.period:>6} {0:>9.4f} {'(reference)':>21} {'':>7} {counts}")
            elif pd.isna(row.estimate):
                lines.append(f"  {row.period:>6} not estimable: {row.reason}")
            else:
                interval = f"{row.ci_low:.4f} to {row.ci_high:.4f}"
                lines.append(f"  {row.period:>6} {row.estimate:>9.4f} {interval:>21} "
                             f"{row.p_value:>7.3g} {counts}")
        lines.append("  " + self.pre_trend.summary())
        lines += [f"  caveat: {c}" for c in self.caveats]
        return "\n".join(lines)


@dataclass(frozen=True)
class LogisticDidResult:
    """Logistic DiD: the odds ratio of treated_area x post and the g-computation ATT.

    `coefficients` has every term's coefficient with its model-based, cluster-robust
    and HC1 SEs (empty when not estimable).

    Attributes
    ----------
    att : Estimate
        measure "did": the g-computation ATT on the risk-difference scale (0-1).
    odds_ratio : Estimate
        The conditional odds ratio exp(b) of treated_area × post.
    n_clusters, n_clusters_treated : int
        Areas in all and in the intervention arm.
    caveats : tuple of str
        Warnings for the reader.
    coefficients : pandas.DataFrame
        Every term's coef, se_model, se_cluster_robust and se_hc1.

    Examples
    --------
    See `logistic_did`.

    >>> from pipeline.stats.did_models import logistic_did
    >>> logistic_did([1, 0, 1, 0], [1, 1, 0, 0], [0, 1, 0, 1], ["A", "A", "B", "B"]).att.estimable
    False
    """

    att: Estimate
    odds_ratio: Estimate
    n_clusters: int
    n_clusters_treated: int
    caveats: tuple[str, ...] = ()
    coefficients: pd.DataFrame = field(default_factory=pd.DataFrame)

    def summary(self) -> str:
        """The ATT, the odds ratio and the caveats, as text."""
        lines = [
            f"Difference-in-differences (logistic, area and period effects), "
            f"{self.n_clusters} areas ({self.n_clusters_treated} intervention)",
            "  ATT, risk difference (g-computation): " + self.att.summary(),
            "  conditional odds ratio: " + self.odds_ratio.summary(),
        ]
        lines += [f"  caveat: {c}" for c in self.caveats]
        return "\n".join(lines)


def event_study(
    outcome: object,
    treated_area: object,
    period: object,
    area: object,
    covariates: pd.DataFrame | None = None,
    *,
    reference: int = -1,
    confidence: float = 0.95,
) -> EventStudyResult:
    """DiD per period relative to `reference`, with area and period fixed effects.

    `outcome` and `treated_area` are 0/1 per child, `period` a whole number per child
    (birth half-year relative to the programme start), `area` labels the cluster. A period
    in which an arm has no children gets a row with a reason instead of an estimate.

    Parameters
    ----------
    outcome : array_like of 0/1
        The outcome per child (missing = left out).
    treated_area : array_like of 0/1
        1 for a child in an intervention area.
    period : array_like of int
        The period per child in whole half-years relative to the start (-2, -1 before; 0,
        1, ... after).
    area : array_like
        The area (cluster) label per child.
    covariates : pandas.DataFrame, optional
        Covariates per child, in the same order (complete cases are analysed).
    reference : int, optional
        The reference period, -1 (the last half-year before the start) by default.
    confidence : float, optional
        Confidence level, 0.95 by default.

    Returns
    -------
    EventStudyResult
        The DiD of each period against the reference with its interval, the joint
        pre-trend test and caveats. Not estimable (with `reason`) when an arm is empty, an
        area switches arm, the outcome does not vary, the reference period lacks an arm,
        no other period has both arms, or the design is singular.

    Raises
    ------
    ValueError
        If a 0/1 input has other values, `period` has fractional values, the inputs
        differ in length, or `confidence` is not between 0 and 1.

    Examples
    --------
    The intervention arm's proportion by half-year is 0.35, 0.40, 0.60, 0.65, the
    comparison arm's 0.45, 0.40, 0.45, 0.55: against period -1, the DiDs are
    (0.35 − 0.40) − (0.45 − 0.40) = −0.1, then 0.15 and 0.1.

    >>> import numpy as np
    >>> def cells(*events):  # events among 10 children, cell by cell
    ...     return np.concatenate([np.repeat([1, 0], [k, 10 - k]) for k in events])
    >>> area = np.repeat(["A", "B", "C", "D"], 40)  # 10 children per area and half-year
    >>> treated_area = np.repeat([1, 1, 0, 0], 40)
    >>> period = np.tile(np.repeat([-2, -1, 0, 1], 10), 4)
    >>> outcome = cells(4, 4, 6, 7, 3, 4, 6, 6, 4, 4, 4, 5, 5, 4, 5, 6)  # A: -2, -1, 0, 1; B: ...
    >>> from pipeline.stats.did_models import event_study
    >>> result = event_study(outcome, treated_area, period, area)
    >>> [(int(p), round(float(b), 4)) for p, b in zip(result.table["period"], result.table["estimate"])]
    [(-2, -0.1), (-1, 0.0), (0, 0.15), (1, 0.1)]
    >>> result.pre_trend.tested, round(result.pre_trend.p_value, 3)
    ((-2,), 0.687)
    """
    check_confidence(confidence)
    y_all = as_binary(outcome, "outcome")
    d_all = as_binary(treated_area, "treated_area")
    k_all = _whole_numbers(period, "period")
    area_all = pd.Series(area).reset_index(drop=True)
    if not len(y_all) == len(d_all) == len(k_all) == len(area_all):
        raise ValueError("outcome, treated_area, period and area differ in length")
    observed = ~(np.isnan(y_all) | np.isnan(d_all) | np.isnan(k_all)
                 | area_all.isna().to_numpy())
    design = build_covariate_design(covariates, len(y_all), observed)
    keep = design.kept_rows
    y, d, k = y_all[keep], d_all[keep], k_all[keep].astype(int)
    clusters = pd.factorize(area_all[keep])[0]
    n = len(y)
    n_clusters = int(clusters.max() + 1) if n else 0
    n_treated = distinct_count(clusters[d == 1], n_clusters)
    n_control = n_clusters - n_treated
    periods, period_index = sorted_distinct(k)
    n_int = np.bincount(period_index, weights=d, minlength=len(periods)).astype(int)
    n_comp = np.bincount(period_index, minlength=len(periods)) - n_int
    notes = {"rows_missing_outcome_arm_period_or_area": int((~observed).sum())}
    base = {"n": n, "events": int(y.sum()), "confidence": confidence, "dropped": design.dropped}

    # Which periods get a coefficient, and why the others do not.
    period_reasons: dict[int, str] = {}
    for p, a, c in zip(periods, n_int, n_comp, strict=True):
        if p == reference:
            continue
        if a == 0:
            period_reasons[int(p)] = f"no children in the intervention areas in period {p}"
        elif c == 0:
            period_reasons[int(p)] = f"no children in the comparison areas in period {p}"
    estimable_periods = [int(p) for p in periods if p != reference and p not in period_reasons]

    def not_estimable(reason: str) -> EventStudyResult:
        coefficients = {int(p): Estimate.not_estimable(MEASURE, METHOD_EVENT_STUDY, reason,
                                                       details=dict(notes), **base)
                        for p in periods if p != reference}
        table = _table(periods, n_int, n_comp, reference, coefficients)
        pre = tuple(p for p in coefficients if p < 0)
        joint = Test.not_estimable("wald", reason, reference="F", df=len(pre), tested=pre,
                                   subject=_PRE)
        return EventStudyResult(table, coefficients, joint, reference, n, base["events"],
                                n_clusters, n_treated, "none", (), confidence, reason, notes,
                                design.dropped)

    try:
        _require_arms(y, d, area_all[keep])
        if reference not in periods:
            raise NotEstimable(f"no children in the reference period {reference}")
        at_reference = periods == reference
        if n_int[at_reference][0] == 0 or n_comp[at_reference][0] == 0:
            arm = "intervention" if n_int[at_reference][0] == 0 else "comparison"
            raise NotEstimable(f"no children in the {arm} areas in the reference period "
                               f"{reference}: every period is compared with it")
        if not estimable_periods:
            raise NotEstimable(f"no period besides the reference {reference} has children in "
                               "both arms")
        children = _EventStudyChildren.of(y, d, k, clusters, period_index, design.covariates)
        exog = _event_study_exog(d[children.rows], k[children.rows], clusters[children.rows],
                                 periods, reference, estimable_periods,
                                 design.covariates.iloc[children.rows])
        gram = children.gram(exog)
        _require_full_rank(gram)
    except NotEstimable as error:
        return not_estimable(str(error))

    first = exog.shape[1] - design.covariates.shape[1] - len(estimable_periods)
    columns = np.arange(first, first + len(estimable_periods))
    # Least squares by the normal equations (the design is dummies and checked to be of
    # full rank): an SVD of 10,000 x 40 costs more than everything else together.
    bread = np.linalg.inv(gram)
    params = bread @ children.cross(exog)
    clustered_ok = n_treated >= 2 and n_control >= 2
    cov_hc1, cov_robust = children.sandwiches(exog, params, bread, clustered_ok)
    caveats = _caveats(n_clusters, n_treated, clustered_ok, "per-period intervals")
    if clustered_ok:
        df: int | None = n_clusters - 1
        se_type = ("cluster-robust CR1 by area, t with "
                   f"{df} df, each SE at least the child-level HC1 SE")
    else:
        df = None
        se_type = "HC1 heteroskedasticity-robust, NOT clustered by area (one area in an arm)"
    critical, critical_hc1 = _critical(confidence, df), _critical(confidence, None)
    se_hc1, se_robust = np.sqrt(np.diag(cov_hc1)), np.sqrt(np.diag(cov_robust))
    coefficients: dict[int, Estimate] = {}
    for p in periods:
        p = int(p)
        if p == reference:
            continue
        counts = {"n_intervention": int(n_int[periods == p][0]),
                  "n_comparison": int(n_comp[periods == p][0])}
        if p in period_reasons:
            coefficients[p] = Estimate.not_estimable(
                MEASURE, METHOD_EVENT_STUDY, period_reasons[p],
                details=notes | counts | {"period": p}, **base)
            continue
        column = columns[estimable_periods.index(p)]
        details = notes | counts | {"period": p, "reference_period": reference,
                                    "se_hc1": float(se_hc1[column])}
        child_level = _wald(float(params[column]), float(se_hc1[column]),
                            critical_hc1, None, METHOD_EVENT_STUDY, base,
                            details | {"se_type": "HC1"})
        if not clustered_ok:
            coefficients[p] = _relabel(child_level, se_type)
            continue
        clustered = _wald(float(params[column]), float(se_robust[column]), critical, df,
                          METHOD_EVENT_STUDY, base | {"n_clusters": n_clusters},
                          details | {"se_cluster_robust": float(se_robust[column])})
        coefficients[p] = _relabel(at_least_child_level(clustered, child_level), se_type)

    pre = [p for p in estimable_periods if p < 0]
    pre_columns = columns[[estimable_periods.index(p) for p in pre]]
    joint = _joint_test(params[pre_columns], cov_robust[np.ix_(pre_columns, pre_columns)],
                        cov_hc1[np.ix_(pre_columns, pre_columns)], tuple(pre),
                        n_clusters if clustered_ok else None)
    table = _table(periods, n_int, n_comp, reference, coefficients)
    return EventStudyResult(
        table, coefficients, joint, reference, n, base["events"], n_clusters, n_treated,
        se_type, caveats, confidence, None,
        notes | {"adjusted_for": list(design.covariates.columns)}, design.dropped,
    )


def logistic_did(
    outcome: object,
    treated_area: object,
    post: object,
    area: object,
    covariates: pd.DataFrame | None = None,
    *,
    period_effects: object = None,
    confidence: float = 0.95,
) -> LogisticDidResult:
    """Logistic DiD with area and period effects: odds ratio and g-computation ATT.

    `outcome`, `treated_area` and `post` are 0/1 per child, `area` labels the cluster;
    `period_effects` (a label per child, e.g. the birth half-year, which must determine
    `post`) replaces the post dummy by period fixed effects. The ATT is the mean over the
    children in intervention areas after the start of the fitted risk minus the risk with
    the treated_area x post term removed.

    Parameters
    ----------
    outcome : array_like of 0/1
        The outcome per child (missing = left out).
    treated_area : array_like of 0/1
        1 for a child in an intervention area.
    post : array_like of 0/1
        1 for a child born after the programme start.
    area : array_like
        The area (cluster) label per child.
    covariates : pandas.DataFrame, optional
        Covariates per child, in the same order (complete cases are analysed).
    period_effects : array_like, optional
        A period label per child (within which `post` is constant) for period effects.
    confidence : float, optional
        Confidence level, 0.95 by default.

    Returns
    -------
    LogisticDidResult
        The ATT (risk-difference scale) and the conditional odds ratio with their
        intervals; both not estimable, with the reason, when an arm or a cell is empty, the
        outcome does not vary, the model separates or does not converge.

    Raises
    ------
    ValueError
        If a 0/1 input has other values, the inputs differ in length, `period_effects`
        has missing labels or labels within which `post` varies, or `confidence` is not
        between 0 and 1.

    Examples
    --------
    One area per arm, so the model is saturated: the intervention area rises from 0.4
    (odds 2/3) to 0.6 (odds 1.5), the comparison area stays at 0.5, so the odds ratio is
    1.5 / (2/3) = 2.25 and, without the programme, the intervention area would have
    stayed at 0.4: ATT 0.2.

    >>> import numpy as np
    >>> from pipeline.stats.did_models import logistic_did
    >>> outcome = np.repeat([1, 0, 1, 0, 1, 0, 1, 0], [4, 6, 6, 4, 5, 5, 5, 5])
    >>> area = np.repeat(["A", "C"], 20)  # 10 children before and 10 after in each
    >>> treated_area = np.repeat([1, 0], 20)
    >>> post = np.tile(np.repeat([0, 1], 10), 2)
    >>> result = logistic_did(outcome, treated_area, post, area)
    >>> round(result.odds_ratio.estimate, 4), round(result.att.estimate, 4)
    (2.25, 0.2)
    """
    check_confidence(confidence)
    y_all = as_binary(outcome, "outcome")
    d_all = as_binary(treated_area, "treated_area")
    t_all = as_binary(post, "post")
    area_all = pd.Series(area).reset_index(drop=True)
    if not len(y_all) == len(d_all) == len(t_all) == len(area_all):
        raise ValueError("outcome, treated_area, post and area differ in length")
    observed = ~(np.isnan(y_all) | np.isnan(d_all) | np.isnan(t_all)
                 | area_all.isna().to_numpy())
    design = build_covariate_design(covariates, len(y_all), observed)
    keep = design.kept_rows
    labels_all = _period_labels(period_effects, keep, t_all[keep])
    # An area (or period) whose children all have, or all lack, the outcome is fitted
    # exactly by its own effect (the coefficient runs off to infinity): it carries no
    # information on the DiD term, and its children's risks are 0 or 1 with or without it,
    # adding 0 to the ATT. It is left out of the fit (as Stata's logit does; leaving one out
    # can make another constant, so repeat) and counted in the ATT's denominator.
    # (areas and periods by their texts, each child coded once)
    groupings = (("area", *_text_codes(area_all[keep])), ("period", *_text_codes(labels_all)))
    y_kept = y_all[keep]
    fitted_rows = np.ones(len(y_kept), dtype=bool)
    left_out: dict[str, list[str]] = {"area": [], "period": []}
    while True:
        found = False
        for kind, codes, texts in groupings:
            children, _, constant = _constant_groups(y_kept[fitted_rows], codes[fitted_rows],
                                                     len(texts))
            if 0 < constant.sum() < (children > 0).sum():
                fitted_rows &= ~constant[codes]
                left_out[kind] += texts[constant].tolist()
                found = True
        if not found:
            break
    n_standardised_all = int(((d_all[keep] == 1) & (t_all[keep] == 1)).sum())
    keep = keep.copy()
    keep[np.flatnonzero(keep)[~fitted_rows]] = False
    covariates_fitted = design.covariates.reset_index(drop=True)[fitted_rows].reset_index(
        drop=True)
    y, d, t = y_all[keep], d_all[keep], t_all[keep]
    area_labels = area_all[keep].reset_index(drop=True)
    clusters = pd.factorize(area_labels)[0]
    labels = labels_all[fitted_rows].reset_index(drop=True)
    n = len(y)
    n_clusters = int(clusters.max() + 1) if n else 0
    n_treated = len(np.unique(clusters[d == 1]))
    n_control = n_clusters - n_treated
    standardised = (d == 1) & (t == 1)
    details: dict[str, Any] = {
        "areas_left_out_constant_outcome": left_out["area"],
        "periods_left_out_constant_outcome": left_out["period"],
        "n_standardised_in_left_out_areas": n_standardised_all - int(standardised.sum()),
        "rows_missing_outcome_arm_post_or_area": int((~observed).sum()),
        "n_clusters": n_clusters,
        "n_clusters_treated": n_treated,
        "period_effects": "labels" if period_effects is not None else "post dummy",
        "adjusted_for": list(design.covariates.columns),
        "n_standardised_over": int(standardised.sum()),
    }
    base = {"n": n, "events": int(y.sum()), "confidence": confidence, "dropped": design.dropped}
    clustered_ok = n_treated >= 2 and n_control >= 2

    try:
        _require_arms(y, d, area_labels)
        for arm, a in (("intervention", 1), ("comparison", 0)):
            for when, p in (("after", 1), ("before", 0)):
                if not ((d == a) & (t == p)).any():
                    raise NotEstimable(f"no children in the {arm} areas {when} the start")
        _require_no_separation(y, standardised, area_labels, labels,
                               "period" if period_effects is not None else "post =")
        # Children with the same regressors and outcome are fitted as one row with their
        # count: the likelihood, its score and information are the children's, an area's
        # rows stay in the area (area is a regressor), so the estimate, the sandwiches and
        # the ATT are those of the children; at a million children half as many rows.
        covariate_values = covariates_fitted.to_numpy(dtype=float)
        pattern, first = row_patterns(np.column_stack(
            [clusters, pd.factorize(labels)[0], d, t, covariate_values, y]))
        counts = np.bincount(pattern).astype(float)
        exog = _logistic_exog(d[first], t[first], clusters[first],
                              labels.iloc[first].reset_index(drop=True),
                              covariates_fitted.iloc[first].reset_index(drop=True))
        design = exog.to_numpy()
        # a decision only: BLAS's fast product
        _require_full_rank(design.T @ (design * counts[:, None]))
        fit = fit_logistic(y[first], exog, what="logistic DiD", counts=counts)
    except NotEstimable as error:
        return LogisticDidResult(
            Estimate.not_estimable(MEASURE, METHOD_LOGISTIC_DID, error,
                                   details=dict(details), **base),
            Estimate.not_estimable("odds_ratio", METHOD_LOGISTIC_DID, error,
                                   details=dict(details), **base),
            n_clusters, n_treated,
        )

    bread = fit.covariance.to_numpy()  # inverse information: the logit's bread
    scores = design * (y[first] - fit.fitted)[:, None]  # one child's of each row
    cov_hc1, cov_robust = _sandwiches(scores, bread, clusters[first] if clustered_ok else None,
                                      counts)
    if clustered_ok:
        df: int | None = n_clusters - 1
        se_type = (f"cluster-robust CR1 by area, t with {df} df, SE at least the one from "
                   "the HC1 covariance")
    else:
        df = None
        se_type = "HC1 heteroskedasticity-robust, NOT clustered by area (one area in an arm)"
    critical = _critical(confidence, df)
    details |= {"se_type": se_type,
                "reference_distribution": "normal" if df is None else f"t with {df} df"}
    if clustered_ok:
        base |= {"n_clusters": n_clusters}

    # Odds ratio of the interaction, on the log-odds scale.
    j = exog.columns.get_loc(_INTERACTION)
    coef = float(fit.params.iloc[j])
    se_or = _floored_se(cov_robust[j, j] if clustered_ok else None, cov_hc1[j, j])
    log_or = _wald(coef, se_or.pop("se"), critical, df, METHOD_LOGISTIC_DID, base,
                   details | se_or | {"log_odds_ratio": coef})
    odds_ratio = (
        Estimate("odds_ratio", METHOD_LOGISTIC_DID, float(np.exp(coef)),
                 float(np.exp(log_or.ci_low)), float(np.exp(log_or.ci_high)), log_or.p_value,
                 se=log_or.se, log_scale=True, details=log_or.details, **base)
        if log_or.estimable else
        Estimate.not_estimable("odds_ratio", METHOD_LOGISTIC_DID, log_or.reason,
                               details=log_or.details, **base)
    )

    # ATT on the risk-difference scale by g-computation, delta-method interval.
    standardised_rows = standardised[first]
    x_fitted = design[standardised_rows]
    x_without = x_fitted.copy()
    x_without[:, j] = 0.0
    children = counts[standardised_rows]  # each row's children
    beta = fit.params.to_numpy()
    risk_fitted = _expit(x_fitted @ beta)
    risk_without = _expit(x_without @ beta)
    n_fitted = children.sum()
    mean_fitted, mean_without = children @ risk_fitted / n_fitted, children @ risk_without / n_fitted
    # children of intervention areas left out (every child with the outcome) add 0
    share_fitted = float(n_fitted) / max(n_standardised_all, 1)
    att_value = float(mean_fitted - mean_without) * share_fitted
    gradient = ((children * risk_fitted * (1 - risk_fitted)) @ x_fitted
                - (children * risk_without * (1 - risk_without)) @ x_without
                ) / max(n_standardised_all, 1)
    se_att = _floored_se(gradient @ cov_robust @ gradient if clustered_ok else None,
                         gradient @ cov_hc1 @ gradient)
    att = _wald(att_value, se_att.pop("se"), critical, df, METHOD_LOGISTIC_DID, base,
                details | se_att | {
                    "risk_as_fitted": float(mean_fitted),
                    "risk_without_programme": float(mean_without),
                    "scale": "risk difference, g-computation over the children in "
                    "intervention areas after the start",
                    "interval": "delta method, conditional on the children standardised over",
                })

    coefficients = pd.DataFrame({
        "coef": fit.params,
        "se_model": np.sqrt(np.diag(bread)),
        "se_cluster_robust": np.sqrt(np.diag(cov_robust)) if clustered_ok else None,
        "se_hc1": np.sqrt(np.diag(cov_hc1)),
    }, index=exog.columns).astype("Float64")
    caveats = _caveats(n_clusters, n_treated, clustered_ok, "the intervals")
    for kind, groups in left_out.items():
        if groups:
            caveats += (f"{len(groups)} {kind}(s) where every child had, or no child had, the "
                        f"outcome left out of the fit ({', '.join(groups)}): they carry no "
                        "information on the odds ratio and add 0 to the ATT",)
    return LogisticDidResult(att, odds_ratio, n_clusters, n_treated, caveats, coefficients)


def _whole_numbers(values: object, name: str) -> np.ndarray:
    """Whole numbers as floats (NaN for missing); reject fractions and text."""
    try:
        array = pd.to_numeric(pd.Series(values)).astype("Float64").to_numpy(
            dtype="float64", na_value=np.nan)
    except (TypeError, ValueError) as error:
        raise ValueError(f"{name} must be whole numbers ({error})") from error
    present = array[~np.isnan(array)]
    fractional = present[present != np.round(present)]
    if fractional.size:
        raise ValueError(f"{name} must be whole numbers; found {np.unique(fractional)[:5].tolist()}")
    return array


def _require_arms(y: np.ndarray, d: np.ndarray, areas: object) -> None:
    """Raise NotEstimable unless both arms have children, areas keep their arm, y varies."""
    if len(y) == 0:
        raise NotEstimable("no children with an outcome, arm, period, area and covariates")
    if inconsistent := areas_in_both_arms(areas, d):
        raise NotEstimable(both_arms_reason(inconsistent))
    for arm, value in (("intervention", 1), ("comparison", 0)):
        if not (d == value).any():
            raise NotEstimable(f"no children in {arm} areas")
    if np.all(y == y[0]):
        raise NotEstimable("every child had the same outcome: no variation to estimate an "
                           "effect or its interval from")


@dataclass(frozen=True)
class _EventStudyChildren:
    """The event study's children as patterns (`did._patterns`): children with the same area,
    arm, period, 0/1 covariates and outcome are one row with their count, and a covariate
    that is not 0/1 (the mother's age) enters at its pattern's mean, each child by its
    deviation from it. The fit needs X'X and X'y, HC1 the children's sum of e² x x' and CR1
    each area's sum of e x: each a sum over the patterns of their children's moments (of the
    deviations and residuals), exact up to rounding, on some ten thousand rows instead of a
    million (`tests/stats/test_did_models.py` checks them against the children's own rows).
    Every child a row of its own where the patterns would be more than half of them."""

    rows: np.ndarray | slice  # the first child of each pattern (every child: a slice)
    counts: np.ndarray  # children per row
    y: np.ndarray  # each row's outcome
    clusters: np.ndarray  # each row's area
    n: int  # children
    n_covariates: int  # the design's last columns
    continuous: np.ndarray  # the positions of the covariates that are not 0/1 among them
    pattern: np.ndarray | None = None  # each child's row (None: a row per child)
    means: np.ndarray | None = None  # patterns x continuous covariates
    deviations: np.ndarray | None = None  # children x continuous: value minus its pattern's mean

    @classmethod
    def of(cls, y: np.ndarray, d: np.ndarray, k: np.ndarray, clusters: np.ndarray,
           period_index: np.ndarray, covariates: pd.DataFrame) -> _EventStudyChildren:
        n = len(y)
        values = covariates.to_numpy(dtype=float)
        continuous = np.array([j for j, column in enumerate(values.T) if not zero_one(column)],
                              dtype=np.intp)
        found = _patterns([clusters, d, period_index, *np.delete(values, continuous, axis=1).T, y],
                          most=COLLAPSE_SHARE * n)
        if found is None:
            return cls(np.s_[:], np.ones(n), y, clusters, n, values.shape[1], continuous[:0])
        pattern, counts = found
        rows = np.zeros(len(counts), dtype=np.intp)
        rows[pattern] = np.arange(n)  # one child of each pattern
        means = deviations = None
        if len(continuous):
            means, deviations, _, _ = pattern_spread(pattern, counts, values[:, continuous])
        return cls(rows, counts, y[rows], clusters[rows], n, values.shape[1], continuous,
                   pattern, means, deviations)

    def _spread(self, exog: np.ndarray) -> np.ndarray:
        """The design's columns of the continuous covariates."""
        return exog.shape[1] - self.n_covariates + self.continuous

    def _rows(self, exog: np.ndarray) -> np.ndarray:
        """The rows' design, each continuous covariate at its pattern's mean."""
        if self.means is None:
            return exog
        exog = exog.copy()
        exog[:, self._spread(exog)] = self.means
        return exog

    def gram(self, exog: np.ndarray) -> np.ndarray:
        """X'X of the children: each pattern's mean row counted for its children, plus the
        children's scatter around it."""
        x = self._rows(exog)
        if self.pattern is None:  # every child a row
            return cross_product(x)
        gram = cross_product(x, x * self.counts[:, None])
        if self.deviations is not None:
            spread = self._spread(exog)
            gram[np.ix_(spread, spread)] += cross_product(self.deviations)
        return gram

    def cross(self, exog: np.ndarray) -> np.ndarray:
        """X'y of the children (y is the same within a pattern, the deviations sum to 0)."""
        return (self.counts * self.y) @ self._rows(exog)

    def sandwiches(self, exog: np.ndarray, params: np.ndarray, bread: np.ndarray,
                   clustered_ok: bool) -> tuple[np.ndarray, np.ndarray]:
        """`_sandwiches` of the children's scores e x (HC1 and CR1 by area; HC1 twice
        without clusters), their meats summed pattern by pattern."""
        x = self._rows(exog)
        residual = self.y - x @ params  # each pattern's mean row's
        if self.pattern is None:
            return _sandwiches(x * residual[:, None], bread, self.clusters if clustered_ok else None)
        n, n_params, n_rows = self.n, x.shape[1], len(self.counts)
        spread = self._spread(exog)
        child = residual[self.pattern]  # each child's residual: its pattern's, moved by its deviations
        if self.deviations is not None:
            child = child - self.deviations @ params[spread]
        squared = child**2

        def summed(weights: np.ndarray) -> np.ndarray:
            return np.bincount(self.pattern, weights=weights, minlength=n_rows)

        # HC1: sum e² (m + D)(m + D)' = m m' sum e² + m (sum e² D)' + its transpose + sum e² D D'
        meat = cross_product(x, x * summed(squared)[:, None])
        if self.deviations is not None:
            mixed = cross_product(x, np.column_stack([summed(squared * column)
                                                      for column in self.deviations.T]))
            meat[:, spread] += mixed
            meat[spread, :] += mixed.T
            meat[np.ix_(spread, spread)] += cross_product(self.deviations * squared[:, None],
                                                          self.deviations)
        cov_hc1 = bread @ meat @ bread * (n / (n - n_params))
        if not clustered_ok:
            return cov_hc1, cov_hc1
        # CR1: each pattern's children's scores summed, e (m + D) (a pattern lies in one area)
        scores = x * summed(child)[:, None]
        if self.deviations is not None:
            scores[:, spread] += np.column_stack([summed(child * column)
                                                  for column in self.deviations.T])
        return cov_hc1, _cluster_robust(scores, bread, self.clusters, n)


def _event_study_exog(d: np.ndarray, k: np.ndarray, clusters: np.ndarray, periods: np.ndarray,
                      reference: int, estimable: list[int],
                      covariates: pd.DataFrame) -> np.ndarray:
    """Constant, area dummies, period dummies (reference left out), interactions, covariates."""
    n = len(d)
    n_clusters = int(clusters.max() + 1)
    area_dummies = np.zeros((n, n_clusters))
    area_dummies[np.arange(n), clusters] = 1.0
    others = [p for p in periods if p != reference]
    period_dummies = (k[:, None] == np.array(others, dtype=int)[None, :]).astype(float)
    interactions = d[:, None] * (k[:, None] == np.array(estimable, dtype=int)[None, :])
    return np.column_stack([np.ones(n), area_dummies[:, 1:], period_dummies, interactions,
                            covariates.to_numpy(dtype=float)])


def _period_labels(period_effects: object, keep: np.ndarray, post: np.ndarray) -> pd.Series:
    """Period labels of the analysed children (the post dummy when none are given)."""
    if period_effects is None:
        return pd.Series(post.astype(int))
    labels = pd.Series(period_effects).reset_index(drop=True)
    if len(labels) != len(keep):
        raise ValueError(f"period_effects has {len(labels)} labels; expected {len(keep)}")
    labels = labels[keep].reset_index(drop=True)
    if labels.isna().any():
        raise ValueError("period_effects has missing labels among the analysed children")
    if varies_within(post, labels):
        raise ValueError("post varies within a period_effects label: the labels must be "
                         "periods that lie wholly before or after the start (e.g. birth "
                         "half-year)")
    return labels


def _text_codes(labels: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Each child's code among the distinct texts (str) of `labels` in sorted order, and those
    texts: the labels factorised once (a categorical by its codes), only the distinct ones
    written as text (a missing label would be a group of its own; logistic_did's areas and
    periods have none)."""
    codes, levels = pd.factorize(labels, use_na_sentinel=False)
    texts = np.array([str(level) for level in levels], dtype=object)
    recode, distinct = pd.factorize(texts, sort=True)
    return recode[codes], np.asarray(distinct, dtype=object)


def _constant_groups(y: np.ndarray, codes: np.ndarray,
                     n_groups: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per group code of 0/1 outcomes `y`: its children, those with the outcome, and whether
    it has children who all have, or all lack, the outcome."""
    children = np.bincount(codes, minlength=n_groups)
    events = np.bincount(codes, weights=y, minlength=n_groups)
    return children, events, (children > 0) & ((events == 0) | (events == children))


def _require_no_separation(y: np.ndarray, standardised: np.ndarray, areas: pd.Series,
                           labels: pd.Series, label_name: str) -> None:
    """Name the areas, periods or the intervention-after cell whose outcomes do not vary.

    Such a group's fixed effect (or the DiD term) has no finite maximum-likelihood value.
    """
    found = []

    def state(children: int, outcome: float) -> str:
        return (f"all {children} children have the outcome" if outcome == 1
                else f"none of {children} children has the outcome")

    for what, groups in (("area", areas), (label_name, labels)):
        # the groups in sorted order, each child coded once (a categorical from its codes)
        codes, levels = pd.factorize(groups, sort=True)
        known = codes >= 0
        children, events, constant = _constant_groups(y[known], codes[known], len(levels))
        for code in np.flatnonzero(constant):
            found.append(f"{what} {levels[code]}: "
                         f"{state(int(children[code]), float(events[code] > 0))}")
    cell = y[standardised]
    if cell.size and np.all(cell == cell[0]):
        found.append(f"intervention areas after the start: {state(cell.size, cell[0])}")
    if found:
        raise NotEstimable(
            "separation — " + "; ".join(found) + ". The logistic model with area and period "
            "effects then has no finite estimate (the linear DiD is unaffected)",
            kind="separation")


def _logistic_exog(d: np.ndarray, t: np.ndarray, clusters: np.ndarray, labels: pd.Series,
                   covariates: pd.DataFrame) -> pd.DataFrame:
    """Constant, area dummies, period dummies, the DiD term and covariates."""
    return pd.concat([
        pd.DataFrame({"const": np.ones(len(d))}),
        pd.get_dummies(pd.Series(clusters), prefix="area", drop_first=True, dtype=float),
        pd.get_dummies(labels.astype("string"), prefix="period", drop_first=True, dtype=float),
        pd.DataFrame({_INTERACTION: d * t}),
        covariates.reset_index(drop=True),
    ], axis=1)


def _require_full_rank(gram: np.ndarray) -> None:
    """Raise NotEstimable when the columns of a design X are linearly dependent.

    Takes X'X: the eigenvalues of the Gram matrix of X's columns scaled to unit length are
    cheap for a tall design, and exact collinearity gives one at rounding level.
    """
    scale = np.sqrt(np.diag(gram))
    if np.any(scale == 0):
        raise NotEstimable("singular design: a column of the design is all zero")
    eigenvalues = np.linalg.eigvalsh(gram / np.outer(scale, scale))
    if eigenvalues[0] < _RANK_TOLERANCE * eigenvalues[-1]:
        raise NotEstimable("singular design: a covariate is collinear with area or period, "
                           "or areas and periods overlap too little to separate their effects")


def _sandwiches(scores: np.ndarray, bread: np.ndarray, clusters: np.ndarray | None,
                counts: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """HC1 and CR1-by-area covariances from per-child scores (HC1 twice without clusters).

    HC1: bread (sum_i s_i s_i') bread x n / (n - K); CR1 by statsmodels' `cov_cluster`,
    which its OLS and GLM fits use for `cov_type="cluster"`: the per-area sums of the
    scores, factor G / (G - 1) (n - 1) / (n - K). With `counts`, a row of `scores` is the
    score of each of its `counts` children, n their sum.
    """
    if counts is None:
        n, k = scores.shape
        cov_hc1 = bread @ cross_product(scores) @ bread * (n / (n - k))
        if clusters is None:
            return cov_hc1, cov_hc1
        return cov_hc1, cov_cluster((scores, bread), clusters, use_correction=True)
    n, k = float(counts.sum()), scores.shape[1]
    summed = scores * counts[:, None]  # the row's children's scores added up
    cov_hc1 = bread @ cross_product(summed, scores) @ bread * (n / (n - k))
    if clusters is None:
        return cov_hc1, cov_hc1
    return cov_hc1, _cluster_robust(summed, bread, clusters, n)


def _cluster_robust(summed: np.ndarray, bread: np.ndarray, clusters: np.ndarray,
                    n: float) -> np.ndarray:
    """CR1 from rows of scores that each sum several children's (`summed`; `n` children in
    all): statsmodels' `cov_cluster` of the rows, with its factor for the children."""
    k = summed.shape[1]
    cov_robust = cov_cluster((summed, bread), clusters, use_correction=False)
    n_groups = len(np.unique(clusters))
    return cov_robust * (n_groups / (n_groups - 1.0) * ((n - 1.0) / float(n - k)))  # as cov_cluster


def _expit(values: np.ndarray) -> np.ndarray:
    return 1 / (1 + np.exp(-values))


def _floored_se(var_robust: float | None, var_hc1: float) -> dict[str, Any]:
    """The cluster-robust SE raised to the HC1 one when smaller (HC1 alone when None)."""
    se_hc1 = float(np.sqrt(max(var_hc1, 0.0)))
    if var_robust is None:
        return {"se": se_hc1, "se_cluster_robust": None, "se_hc1": se_hc1,
                "se_floor_applied": False}
    se_robust = float(np.sqrt(max(var_robust, 0.0)))
    return {"se": max(se_robust, se_hc1), "se_cluster_robust": se_robust, "se_hc1": se_hc1,
            "se_floor_applied": se_hc1 > se_robust}


def _critical(confidence: float, df: int | None) -> float:
    tail = (1 - confidence) / 2
    return float(stats.norm.isf(tail) if df is None else stats.t.isf(tail, df))


def _wald(value: float, se: float, critical: float, df: int | None, method: str, base: dict,
          details: dict) -> Estimate:
    """Estimate +- critical x SE with a two-sided p (t on df, or normal when df is None)."""
    if not np.isfinite(se) or se <= 0:
        return Estimate.not_estimable(MEASURE, method, "standard error is zero or undefined",
                                      details=details, **base)
    statistic = abs(value / se)
    p_value = 2 * (stats.norm.sf(statistic) if df is None else stats.t.sf(statistic, df))
    return Estimate(MEASURE, method, value, value - critical * se, value + critical * se,
                    float(p_value), se=se, details=details, **base)


def _relabel(estimate: Estimate, se_type: str) -> Estimate:
    return replace(estimate, details=estimate.details | {"se_type": se_type})


def _joint_test(b: np.ndarray, covariance: np.ndarray, covariance_hc1: np.ndarray,
                pre: tuple[int, ...], n_clusters: int | None) -> Test:
    """Wald test that the pre-start coefficients `b` are all zero (see the module docstring).

    With areas as clusters: W = b' V^-1 b with V the CR1 covariance whose variances are
    raised to the HC1 ones where smaller (correlations kept), referred as Hotelling's T^2,
    F = W (G - q) / (q (G - 1)) on (q, G - q) df; the unadjusted test is the plain CR1 one,
    W / q on F(q, G - 1), which over-rejects badly with few areas. `n_clusters` None means
    the HC1 fallback: `covariance` is then the HC1 one, F = W / q on chi-square(q) / q.
    """
    q = len(pre)
    if n_clusters is None:
        label = "HC1, NOT clustered by area; chi-square reference"
    else:
        label = ("cluster-robust CR1 by area, variances at least HC1, Hotelling T^2 "
                 "small-sample F")

    common = {"reference": "F", "covariance": label, "tested": pre, "subject": _PRE}

    def none(reason: str) -> Test:
        return Test.not_estimable("wald", reason, df=q, **common)

    if q == 0:
        return none(_NO_PRE_PERIOD)
    if n_clusters is None:
        if np.linalg.matrix_rank(covariance) < q:
            return none("the covariance of the pre-start coefficients is singular")
        statistic = float(b @ np.linalg.solve(covariance, b)) / q
        return Test(statistic, q, None, float(stats.chi2.sf(statistic * q, q)), "wald", **common)
    if q >= n_clusters:
        return none(f"{q} pre-start coefficients but only {n_clusters} areas: the cluster-robust "
                    "covariance has rank at most G - 1, so their joint test is undefined")
    if np.linalg.matrix_rank(covariance) < q:
        return none("the cluster-robust covariance of the pre-start coefficients is singular")
    se = np.sqrt(np.diag(covariance))
    raise_to = np.maximum(se, np.sqrt(np.diag(covariance_hc1))) / se
    floored = covariance * np.outer(raise_to, raise_to)
    wald = float(b @ np.linalg.solve(floored, b))
    statistic = wald * (n_clusters - q) / (q * (n_clusters - 1))
    unadjusted = float(b @ np.linalg.solve(covariance, b)) / q
    return Test(statistic, q, n_clusters - q, float(stats.f.sf(statistic, q, n_clusters - q)),
                "wald", **common, details={
                    "unadjusted_statistic": unadjusted,
                    "unadjusted_p_value": float(stats.f.sf(unadjusted, q, n_clusters - 1))})


def _table(periods: np.ndarray, n_int: np.ndarray, n_comp: np.ndarray, reference: int,
           coefficients: dict[int, Estimate]) -> pd.DataFrame:
    """One row per period: the coefficient (0 at the reference), interval, p, children."""
    found = [coefficients.get(int(p)) for p in periods]

    def column(get: object) -> pd.arrays.FloatingArray:
        return pd.array([None if e is None else get(e) for e in found], dtype="Float64")

    estimate = column(lambda e: e.estimate)
    estimate[periods == reference] = 0.0
    return pd.DataFrame({
        "period": periods.astype("int64"),
        "estimate": estimate,
        "ci_low": column(lambda e: e.ci_low),
        "ci_high": column(lambda e: e.ci_high),
        "p_value": column(lambda e: e.p_value),
        "se": column(lambda e: e.se),
        "n_intervention": n_int.astype("int64"),
        "n_comparison": n_comp.astype("int64"),
        "pre": periods < 0,
        "reference": periods == reference,
        "reason": ["reference period (0 by definition)" if e is None else e.reason
                   for e in found],
    }, columns=TABLE_COLUMNS)


def _caveats(n_clusters: int, n_treated: int, clustered: bool, what: str) -> tuple[str, ...]:
    found = []
    if not clustered:
        found.append(
            f"{n_treated} intervention and {n_clusters - n_treated} comparison area(s): with "
            "one area in an arm the cluster-robust variance is degenerate, so "
            f"{what} use HC1 standard errors, which ignore the correlation of children within "
            "areas and are anti-conservative whenever areas differ beyond chance")
    elif n_clusters < VERY_FEW_CLUSTERS:
        found.append(
            f"only {n_clusters} areas: cluster-robust standard errors are unreliable with "
            "fewer than about 10 clusters and tend to be too small (Cameron, Gelbach & Miller "
            f"2008); {what} are at least as wide as the child-level ones but indicative only; "
            "see the pooled DiD's wild cluster bootstrap")
    elif n_clusters < FEW_CLUSTERS:
        found.append(
            f"only {n_clusters} areas (< 30): cluster-robust standard errors may be too small "
            f"(Cameron, Gelbach & Miller 2008); {what} use t with {n_clusters - 1} df")
    if clustered and n_clusters < FEW_CLUSTERS and what == "per-period intervals":
        found.append(
            f"the joint pre-start test rests on {n_clusters} areas: it uses variances at least "
            "the child-level ones and Hotelling's small-sample F, yet may still reject too "
            "often (about 1 in 10 at 5 % with 10 areas in simulations); the plain "
            "cluster-robust F rejects far more often and is given only for reference")
    if clustered and n_treated < 5:
        found.append(
            f"only {n_treated} intervention areas: with few treated clusters cluster-robust "
            "inference can misstate the uncertainty (MacKinnon & Webb 2017)")
    return tuple(found)
