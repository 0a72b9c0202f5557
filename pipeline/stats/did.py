"""Difference-in-differences for a binary or continuous outcome (linear model).

    y = b0 + b1 * treated_area + b2 * post + b3 * treated_area:post (+ covariates) + e

b3 is the DiD estimate on the risk-difference scale. Without covariates the model is
saturated and b3 = (p11 - p10) - (p01 - p00) exactly (first index: treated area,
second: post period).

A continuous or count outcome (`outcome_kind="continuous"`: a dental deft count, home
visits received) goes through the same model and the same inference; b3 is then the DiD
of means in the outcome's own units ((m11 - m10) - (m01 - m00) without covariates).
`weights` (e.g. each child's person-time) make it weighted least squares: with the rate
events / person-time as outcome and person-time as weight, each cell's weighted mean is
the cell's rate (sum of events / sum of person-time), so b3 is the DiD of rates, a rate
difference DiD per unit of person-time (see `pipeline.stats.did_counts` for the ratio of
rate ratios). Every inference below carries over to weights unchanged, because WLS is OLS
on y√w and X√w: statsmodels' WLS cluster-robust and HC1 covariances are those of the
transformed model, and the WCR bootstraps the transformed model (as `boottest` does with
aweights), i.e. it multiplies the restricted residuals of the weighted fit by the cluster
weights.

Inference:
- cluster-robust (CR1) standard errors by area — statsmodels `cov_type="cluster"`, with
  the small-sample factor G/(G-1) * (N-1)/(N-K) and t reference with G-1 df;
- with fewer than 30 areas the cluster-robust SE is known to be too small (Bertrand,
  Duflo & Mullainathan 2004, QJE 119:249; Cameron, Gelbach & Miller 2008, REStat 90:414),
  so the wild cluster bootstrap-t gives both the p-value and the interval: restricted
  (null imposed), Webb six-point weights by default (Webb 2023, Can J Econ 56:839; for
  very few clusters) or Rademacher (enumerated exactly when there are few enough
  patterns), with a fixed seed; the interval inverts the same test (Roodman, MacKinnon,
  Nielsen & Webb 2019, Stata Journal 19:4), so it excludes 0 exactly when p < 0.05. With
  very few clusters the interval can be unbounded, and is then reported without bounds;
- with one area per arm (two clusters) the cluster-robust SE is not estimable (the
  cluster scores are identically zero); the heteroskedasticity-robust (HC1) result is
  then the explicitly labelled fallback — it ignores correlation within areas and is
  anti-conservative whenever areas differ beyond chance.

Computation: children with the same design row, outcome, weight and area are one pattern
with a count (200,000 children with categorical covariates make a few thousand). The fit,
HC1, CR1 and the bootstrap are sums over children, so they are computed on the patterns
with the counts as frequency weights: the same numbers up to the order of summation. A
covariate that is not 0/1 (mother's age) is left out of the patterns and enters by its mean
and scatter within each pattern (`_with_spread`): X'X and X'y summed within each area are
then the children's, and so is every sum the fit, CR1 and the bootstrap take; HC1 is summed
over the children. When patterns do not at least halve the rows, the children's rows are
fitted as they are, each with count 1. Either way the fit is statsmodels' (the SVD of the
weighted design and its pseudo-inverse), and the covariances are formed for the DiD
coefficient only (issue 14).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from functools import lru_cache
from itertools import product
from typing import Literal

import numpy as np
import pandas as pd
from scipy import linalg, sparse, stats

from pipeline.stats._design import (
    WELL_CONDITIONED,
    as_binary,
    as_finite,
    as_labels,
    as_text,
    both_arms_reason,
    build_covariate_design,
    coded_areas_in_both_arms,
    column_codes,
    distinct_count,
    level_dummies,
    pattern_spread,
    zero_one,
)
from pipeline.stats._irls import weighted_least_squares
from pipeline.stats.results import Estimate, NotEstimable

METHOD = "did"
MEASURE = "did"
FEW_CLUSTERS = 30
VERY_FEW_CLUSTERS = 10
FEW_TREATED_CLUSTERS = 5  # fewer treated areas: even the wild bootstrap may misstate p
# The linear DiD is fitted on distinct rows with counts when they are at most this share
# of the children (see "Computation" above)
COLLAPSE_SHARE = 0.5
DEFAULT_SEED = 20_240_601

_WEBB_POINTS = np.array([-np.sqrt(1.5), -1.0, -np.sqrt(0.5), np.sqrt(0.5), 1.0, np.sqrt(1.5)])


@dataclass(frozen=True)
class DidResult:
    """DiD estimate with cluster-robust and HC1 inference, bootstrap p-value and caveats.

    Attributes
    ----------
    clustered : Estimate
        The DiD with the cluster-robust (CR1) interval and t p-value (not estimable with
        one area in an arm); `details` carries the wild bootstrap p when it ran.
    heteroskedasticity_robust : Estimate
        The same DiD with the child-level HC1 interval: the labelled fallback.
    wild_bootstrap_p : float or None
        The wild cluster bootstrap-t p-value, when run.
    wild_bootstrap_note : str or None
        How the bootstrap was run (weights, patterns or draws, seed), or why it failed.
    n_clusters, n_clusters_treated : int
        Areas in all and in the intervention arm.
    caveats : tuple of str
        Warnings for the reader (few areas, few treated areas).
    cells : pandas.DataFrame
        Children, events and proportion per treated_area × post cell.
    wild_bootstrap : Estimate or None
        The DiD with the bootstrap p and its test-inversion interval (never narrower than
        the HC1 one), when the bootstrap ran.
    outcome_kind : {"binary", "continuous"}
        The outcome's kind: the DiD is on the risk-difference scale, or of means in the
        outcome's own units.

    Examples
    --------
    >>> from pipeline.stats.did import difference_in_differences
    >>> import numpy as np
    >>> result = difference_in_differences(
    ...     np.repeat([1, 0, 1, 0, 1, 0, 1, 0], [6, 4, 3, 7, 5, 5, 5, 5]),
    ...     np.repeat([1, 0], 20), np.tile(np.repeat([1, 0], 10), 2), np.repeat(["A", "C"], 20))
    >>> result.clustered.estimable, round(result.preferred.estimate, 4)
    (False, 0.3)
    """

    clustered: Estimate
    heteroskedasticity_robust: Estimate
    wild_bootstrap_p: float | None
    wild_bootstrap_note: str | None
    n_clusters: int
    n_clusters_treated: int
    caveats: tuple[str, ...]
    cells: pd.DataFrame = field(default_factory=pd.DataFrame)
    wild_bootstrap: Estimate | None = None
    outcome_kind: Literal["binary", "continuous"] = "binary"

    @property
    def flags(self) -> tuple[str, ...]:
        """The caveats as `FLAGS` ids: "few_areas" (fewer than 30), "few_treated_areas"
        (fewer than 5 intervention areas); none when the result carries no caveats."""
        found = []
        if not self.caveats:
            return ()
        if self.n_clusters < FEW_CLUSTERS:
            found.append("few_areas")
        if 0 < self.n_clusters_treated < FEW_TREATED_CLUSTERS:
            found.append("few_treated_areas")
        return tuple(found)

    @property
    def preferred(self) -> Estimate:
        """The result whose interval and p come from one procedure, best first.

        With few areas, the wild cluster bootstrap (p and the interval that inverts the
        same test); else the cluster-robust result; else the labelled HC1 fallback.
        """
        if self.wild_bootstrap is not None:
            return self.wild_bootstrap
        if self.clustered.estimable:
            return at_least_child_level(self.clustered, self.heteroskedasticity_robust)
        return self.heteroskedasticity_robust

    def summary(self) -> str:
        """The estimate under each inference, the bootstrap note and the caveats, as text."""
        model = ("linear probability" if self.outcome_kind == "binary"
                 else "linear, DiD of means in the outcome's units")
        lines = [
            f"Difference-in-differences ({model}), {self.n_clusters} areas "
            f"({self.n_clusters_treated} treated)",
            "  cluster-robust: " + self.clustered.summary(),
            "  HC1 (not clustered): " + self.heteroskedasticity_robust.summary(),
        ]
        if self.wild_bootstrap_note:
            lines.append("  " + self.wild_bootstrap_note)
        lines += [f"  caveat: {c}" for c in self.caveats]
        return "\n".join(lines)


def difference_in_differences(
    outcome: object,
    treated_area: object,
    post: object,
    area: object,
    covariates: pd.DataFrame | None = None,
    *,
    area_effects: bool = False,
    period_effects: object = None,
    wild_bootstrap: bool | None = None,
    bootstrap_weights: Literal["webb", "rademacher"] = "webb",
    bootstrap_reps: int = 9999,
    seed: int = DEFAULT_SEED,
    confidence: float = 0.95,
    outcome_kind: Literal["binary", "continuous"] = "binary",
    weights: object = None,
) -> DidResult:
    """DiD on the risk-difference scale (or of means) with SEs clustered by area.

    `treated_area` and `post` are 0/1 per child; `area` labels the cluster. The wild
    cluster bootstrap runs by default when there are fewer than 30 areas.

    `area_effects=True` replaces the arm dummy by area fixed effects, so that a shift in the
    mix of areas between the periods is not read as an effect; `period_effects` (a label per
    child, e.g. the birth half-year) replaces the post dummy by period fixed effects, so that
    a common trend within the periods is absorbed. The DiD term is treated_area × post in
    every specification (two-way fixed effects with one start date for all treated areas).

    Parameters
    ----------
    outcome : array_like of 0/1
        The outcome per child (missing = left out).
    treated_area : array_like of 0/1
        1 for a child in an intervention area (constant within an area).
    post : array_like of 0/1
        1 for a child born after the programme start.
    area : array_like
        The area (cluster) label per child.
    covariates : pandas.DataFrame, optional
        Covariates per child, in the same order (complete cases are analysed).
    area_effects : bool, optional
        Area fixed effects instead of the arm dummy.
    period_effects : array_like, optional
        A period label per child (e.g. birth half-year) for period fixed effects.
    wild_bootstrap : bool, optional
        Run the wild cluster bootstrap; by default when there are fewer than 30 areas.
    bootstrap_weights : {"webb", "rademacher"}, optional
        The bootstrap's cluster weights (Webb by default).
    bootstrap_reps : int, optional
        Bootstrap draws (all weight patterns are enumerated when there are no more).
    seed : int, optional
        Seed of the bootstrap draws.
    confidence : float, optional
        Confidence level, 0.95 by default.
    outcome_kind : {"binary", "continuous"}, optional
        "binary" (default): `outcome` must be 0/1 and the DiD is on the risk-difference
        scale. "continuous": any finite number (a count, a score, a rate), the DiD of
        means in the outcome's own units; `cells` then shows each cell's mean.
    weights : array_like of float, optional
        A non-negative weight per child (e.g. person-time, to analyse a rate per
        child-year as a weighted linear DiD of rates); missing or zero = left out. The
        fit is then weighted least squares and every inference uses the weighted fit.

    Returns
    -------
    DidResult
        The DiD (0-1 scale for a binary outcome, the outcome's units for a continuous
        one) under cluster-robust, HC1 and (with few areas) wild bootstrap inference,
        with the cell table and caveats; `preferred` is the one to report. The estimates
        are not estimable, with the reason, when a cell of the treated_area × post table
        is empty, an area switches arm, or the design is singular.

    Raises
    ------
    ValueError
        If a 0/1 input has other values, a continuous outcome or a weight is infinite, a
        weight is negative, `outcome_kind` is unknown, or the inputs differ in length.

    Examples
    --------
    Four areas of 20 children; the proportion rises from 0.35 to 0.60 in the intervention
    areas and stays at 0.45 in the comparison areas: DiD (0.60 − 0.35) − (0.45 − 0.45).

    >>> import numpy as np
    >>> def cells(*events):  # events among 10 children, cell by cell
    ...     return np.concatenate([np.repeat([1, 0], [k, 10 - k]) for k in events])
    >>> area = np.repeat(["A", "B", "C", "D"], 20)  # 10 children before, 10 after, per area
    >>> treated_area = np.repeat([1, 1, 0, 0], 20)
    >>> post = np.tile(np.repeat([0, 1], 10), 4)
    >>> outcome = cells(4, 6, 3, 6, 4, 4, 5, 5)  # area A before, after; B before, after; ...
    >>> from pipeline.stats.did import difference_in_differences
    >>> result = difference_in_differences(outcome, treated_area, post, area)
    >>> result.cells["proportion"].tolist()
    [0.6, 0.35, 0.45, 0.45]
    >>> result.wild_bootstrap_note.split(" (")[0]  # 70 of the 1296 Webb patterns of 4 areas
    'wild cluster bootstrap-t p = 0.054'
    >>> preferred = result.preferred  # the bootstrap, never below the child-level HC1 p
    >>> round(preferred.estimate, 4), round(preferred.p_value, 4)
    (0.25, 0.2667)

    A continuous outcome (decayed, extracted and filled teeth at three years): means 2.0
    and 0.75 before and after in the intervention areas, 1.0 and 1.5 in the comparison
    areas, so the DiD is (0.75 − 2.0) − (1.5 − 1.0) = −1.75 teeth:

    >>> deft = np.repeat([1.0, 2, 0, 1, 2, 3, 1, 1, 1, 1, 0, 2, 0, 2, 2, 2], 5)  # A, B, C, D
    >>> result = difference_in_differences(deft, treated_area, post, area,
    ...                                    outcome_kind="continuous")
    >>> result.cells["mean"].tolist()
    [0.75, 2.0, 1.5, 1.0]
    >>> round(result.preferred.estimate, 4)
    -1.75
    """
    if outcome_kind == "binary":
        y_all = as_binary(outcome, "outcome")
    elif outcome_kind == "continuous":
        y_all = as_finite(outcome, "outcome")
    else:
        raise ValueError(f"outcome_kind must be 'binary' or 'continuous', not {outcome_kind!r}")
    d_all = as_binary(treated_area, "treated_area")
    p_all = as_binary(post, "post")
    area_all = as_labels(area)
    if not len(y_all) == len(d_all) == len(p_all) == len(area_all):
        raise ValueError("outcome, treated_area, post and area differ in length")
    observed = ~(np.isnan(y_all) | np.isnan(d_all) | np.isnan(p_all) | area_all.isna().to_numpy())
    w_all = None
    if weights is not None:
        w_all = as_finite(weights, "weights")
        if len(w_all) != len(y_all):
            raise ValueError("weights and outcome differ in length")
        if (w_all[~np.isnan(w_all)] < 0).any():
            raise ValueError("weights must be non-negative")
        observed &= ~np.isnan(w_all) & (np.nan_to_num(w_all) > 0)
    design = build_covariate_design(covariates, len(y_all), observed)
    keep = design.kept_rows
    y, d, p = y_all[keep], d_all[keep], p_all[keep]
    w = None if w_all is None else w_all[keep]
    # areas as codes into their sorted labels (for the arm check), clusters numbered in order
    # of appearance (the design's area columns follow that order)
    area_codes, area_labels = pd.factorize(area_all[keep], sort=True)
    clusters = pd.factorize(area_codes)[0]
    n = len(y)
    n_clusters = int(clusters.max() + 1) if n else 0
    n_treated_clusters = distinct_count(clusters[d == 1], n_clusters)
    base = {"n": n, "events": int(y.sum()) if outcome_kind == "binary" else None,
            "confidence": confidence, "dropped": design.dropped}

    cells = _cells(y, d, p) if outcome_kind == "binary" and w is None else _mean_cells(y, d, p, w)
    empty = [cell for cell, count in zip(_CELLS, cells["n"].tolist(), strict=True) if count == 0]
    inconsistent = coded_areas_in_both_arms(area_codes, area_labels, d)
    reason = None
    if empty:
        which = ", ".join(f"{a}/{b}" for a, b in empty)
        reason = NotEstimable(f"empty cell(s) in the area-by-period table: {which}",
                              kind="empty_cell")
    elif inconsistent:
        reason = NotEstimable(both_arms_reason(inconsistent))
    if reason:
        blank = Estimate.not_estimable(MEASURE, METHOD, reason, **base)
        return DidResult(blank, blank, None, None, n_clusters, n_treated_clusters, (), cells,
                         outcome_kind=outcome_kind)

    period = None
    if period_effects is not None:
        # the labels as text, coded in sorted order (NaN: a missing label)
        codes = pd.factorize(as_text(as_labels(period_effects)[keep]), sort=True)[0]
        period = np.where(codes >= 0, codes, np.nan)
    # Children with the same design row, outcome, weight and area are one pattern with a
    # count: every sum the fit, HC1, CR1 and the bootstrap need is then a sum over patterns.
    # A covariate that is not 0/1 (mother's age) is left out of the patterns and enters by
    # its sums within each (`_with_spread`); not with weights.
    covariate_values = design.covariates.to_numpy()
    continuous = np.array([] if w is not None else
                          [j for j, column in enumerate(covariate_values.T) if not zero_one(column)],
                          dtype=np.intp)
    binary = np.ones(covariate_values.shape[1], dtype=bool)
    binary[continuous] = False
    found = _patterns([clusters, *([] if period is None else [period]),
                       *_as_bits(covariate_values, binary,
                                 [d, p, *([y] if outcome_kind == "binary" else [])]),
                       *([] if outcome_kind == "binary" else [y]), *([] if w is None else [w])],
                      most=COLLAPSE_SHARE * n)
    rows, counts = np.s_[:], None  # every child
    if found is not None:
        pattern, counts = found
        rows = np.zeros(len(counts), dtype=np.intp)
        rows[pattern] = np.arange(n)  # one child of each pattern
    x, k = _did_design(clusters[rows], d[rows], p[rows],
                       None if period is None else period[rows],
                       covariate_values[rows], area_effects)
    y_fit, w_fit, clusters_fit = y[rows], None if w is None else w[rows], clusters[rows]
    spread = None
    if found is not None and len(continuous):
        x, y_fit, clusters_fit, counts, spread = _with_spread(
            x, y_fit, clusters_fit, counts, pattern, covariate_values[:, continuous],
            k + 1 + continuous)
    fit = _fit(x, y_fit, w_fit, np.ones(n) if counts is None else counts, clusters_fit, k,
               spread)
    if fit is None:
        blank = Estimate.not_estimable(
            MEASURE,
            METHOD,
            "singular design: a covariate is collinear with area or period",
            **base,
        )
        return DidResult(blank, blank, None, None, n_clusters, n_treated_clusters, (), cells,
                         outcome_kind=outcome_kind)

    z = stats.norm.ppf(0.5 + confidence / 2)
    hc1 = _estimate(
        fit.estimate,
        fit.hc1_se,
        z,
        base,
        {
            "se_type": "HC1 heteroskedasticity-robust, NOT clustered by area",
            "note": "fallback: ignores correlation of children within areas; anti-conservative "
            "when areas differ beyond chance",
        },
    )

    caveats = _caveats(n_clusters, n_treated_clusters)
    n_control_clusters = n_clusters - n_treated_clusters
    if n_treated_clusters < 2 or n_control_clusters < 2:
        clustered = Estimate.not_estimable(
            MEASURE,
            METHOD,
            f"cluster-robust SE not estimable with {n_treated_clusters} treated and "
            f"{n_control_clusters} comparison area(s): with one area in an arm the area "
            "effect cannot be separated from the treatment effect and the clustered "
            "variance of the DiD term is degenerate; see the HC1 fallback",
            **base,
        )
        return DidResult(clustered, hc1, None, None, n_clusters, n_treated_clusters, caveats, cells,
                         outcome_kind=outcome_kind)

    t_crit = stats.t.ppf(0.5 + confidence / 2, n_clusters - 1)
    clustered = _estimate(
        fit.estimate,
        fit.cluster_se,
        t_crit,
        base | {"n_clusters": n_clusters},
        {
            "se_type": "cluster-robust CR1 by area",
            "reference_distribution": f"t with {n_clusters - 1} df",
        },
        df=n_clusters - 1,
    )

    run_bootstrap = n_clusters < FEW_CLUSTERS if wild_bootstrap is None else wild_bootstrap
    boot_p = boot_note = None
    bootstrapped = None
    if run_bootstrap:
        try:
            root_w = np.ones(len(y_fit)) if w is None else np.sqrt(w_fit)  # WLS: y√w, X√w
            bootstrap = WildClusterBootstrap(
                y_fit * root_w, x * root_w[:, None], k, clusters_fit, weights=bootstrap_weights,
                reps=bootstrap_reps, seed=seed, counts=counts, children=n
            )
            boot_p = bootstrap.p_value(0.0)
            boot_note = bootstrap.note(boot_p)
            low, high = bootstrap.interval(confidence)
            # never narrower than the child-level (HC1) interval, nor a smaller p: with very
            # few areas the bootstrap distribution can be degenerate and too confident
            widened = hc1.estimable and (
                (low is not None and low > hc1.ci_low) or (high is not None and high < hc1.ci_high)
                or boot_p < hc1.p_value)
            if hc1.estimable:
                low = None if low is None else min(low, hc1.ci_low)
                high = None if high is None else max(high, hc1.ci_high)
                boot_p = max(boot_p, hc1.p_value)
            flags = ["wild_bootstrap"]
            if widened:
                flags.append("widened_to_child_level")
            if low is None or high is None:
                flags.append("interval_unbounded")
            bootstrapped = Estimate(
                MEASURE, METHOD, clustered.estimate, low, high, boot_p,
                details={
                    "se_type": "wild cluster bootstrap-t (restricted), interval by test "
                    "inversion",
                    "wild_bootstrap": boot_note,
                    "cluster_robust_ci": (clustered.ci_low, clustered.ci_high),
                    "cluster_robust_p": clustered.p_value,
                },
                flags=tuple(flags), se=clustered.se, n_clusters=n_clusters, **base,
            )
        except NotEstimable as error:
            boot_note = f"wild cluster bootstrap not estimable: {error}"
        clustered = replace(clustered, details=clustered.details
                            | {"wild_bootstrap_p": boot_p, "wild_bootstrap": boot_note})
    return DidResult(
        clustered, hc1, boot_p, boot_note, n_clusters, n_treated_clusters, caveats, cells,
        bootstrapped, outcome_kind,
    )


def at_least_child_level(clustered: Estimate, hc1: Estimate) -> Estimate:
    """The cluster-robust result, its SE raised to the child-level HC1 SE when smaller.

    Children in one area are positively correlated, so a cluster-robust SE below the
    child-level one is the noise of few clusters, not information (issue 9).

    Parameters
    ----------
    clustered : Estimate
        A cluster-robust result with its `se` (and `n_clusters` for the t df).
    hc1 : Estimate
        The child-level HC1 result of the same coefficient, with its `se`.

    Returns
    -------
    Estimate
        `clustered` itself when its SE is at least the HC1 SE (or either is missing);
        otherwise the same estimate with the interval and t p-value (G − 1 df) recomputed
        from the HC1 SE and flagged "widened_to_child_level", the cluster-robust SE kept
        as `details["cluster_robust_se"]`.

    Examples
    --------
    A cluster-robust SE of 0.1 (interval ± 2 SE) below a child-level SE of 0.125: the
    interval becomes 0.25 ± 2 · 0.125, the p that of t = 2 on 5 df.

    >>> from pipeline.stats.did import at_least_child_level
    >>> from pipeline.stats.results import Estimate
    >>> clustered = Estimate("did", "did", 0.25, 0.05, 0.45, 0.02, se=0.1, n_clusters=6)
    >>> hc1 = Estimate("did", "did", 0.25, 0.005, 0.495, 0.045, se=0.125)
    >>> floored = at_least_child_level(clustered, hc1)
    >>> round(floored.ci_low, 4), round(floored.ci_high, 4), round(floored.p_value, 4)
    (0.0, 0.5, 0.1019)
    >>> floored.flags
    ('widened_to_child_level',)
    """
    se, floor = clustered.se, hc1.se if hc1.estimable else None
    if se is None or floor is None or se >= floor:
        return clustered
    critical = (clustered.ci_high - clustered.estimate) / se
    df = (clustered.n_clusters or 2) - 1
    statistic = clustered.estimate / floor
    return replace(
        clustered.with_flags("widened_to_child_level"),
        ci_low=clustered.estimate - critical * floor, ci_high=clustered.estimate + critical * floor,
        p_value=float(2 * stats.t.sf(abs(statistic), df)), se=floor,
        details=clustered.details | {"cluster_robust_se": se},
    )


def _estimate(
    coef: float,
    se: float,
    critical: float,
    base: dict,
    details: dict,
    df: int | None = None,
) -> Estimate:
    if not np.isfinite(se) or se <= 0:
        return Estimate.not_estimable(
            MEASURE, METHOD, "standard error is zero or undefined", details=details, **base
        )
    stat = coef / se
    p_value = 2 * (stats.t.sf(abs(stat), df) if df else stats.norm.sf(abs(stat)))
    return Estimate(
        MEASURE,
        METHOD,
        coef,
        coef - critical * se,
        coef + critical * se,
        float(p_value),
        se=se,
        details=details,
        **base,
    )


@dataclass(frozen=True)
class _DidFit:
    """The DiD coefficient of the least-squares fit with its HC1 and CR1 (by area) SEs."""

    estimate: float
    hc1_se: float
    cluster_se: float


def _patterns(columns: list[object], most: float) -> tuple[np.ndarray, np.ndarray] | None:
    """Each row's pattern (rows equal in every column share one) and each pattern's count;
    None as soon as there are more than `most` patterns (a continuous column, say)."""
    key, size = np.zeros(len(columns[0]), dtype=np.int64), 1
    for column in columns:
        codes, levels = column_codes(column)
        key, size = key * levels + codes, size * levels
        if size > most:  # renumber the patterns so far: keeps the key small, counts them
            key, seen = pd.factorize(key)
            size = len(seen)
            if size > most:
                return None
    pattern, _ = pd.factorize(key)
    return pattern, np.bincount(pattern).astype(float)


def _as_bits(matrix: np.ndarray, columns: np.ndarray, vectors: list[np.ndarray]) -> list[np.ndarray]:
    """0/1 columns (the `columns` of `matrix` and the `vectors`) as one whole number per row
    whose bits they are: the same patterns as the columns themselves (`_patterns`), from one
    product with the powers of two instead of a pass per column (exact: a sum of distinct
    powers of two below 2**53). The columns as they are when there are more than 52."""
    width = int(columns.sum())
    if width + len(vectors) > 52:
        return [*matrix[:, columns].T, *vectors]
    powers = np.zeros(matrix.shape[1])
    powers[columns] = 2.0 ** np.arange(width)
    key = matrix @ powers if width else np.zeros(len(matrix))
    for shift, vector in enumerate(vectors, start=width):
        key += vector * 2.0**shift
    return [key.astype(np.int64)]


@dataclass(frozen=True)
class _Spread:
    """How the children of each pattern spread around its mean row in the columns left out
    of the patterns (`_with_spread`): the first `patterns` rows of the design are the
    patterns' mean rows, `pattern` is each child's, `deviations` each child's values minus
    its pattern's means in `columns` (children x columns)."""

    patterns: int
    pattern: np.ndarray
    deviations: np.ndarray
    columns: np.ndarray


def _with_spread(x: np.ndarray, y: np.ndarray, clusters: np.ndarray, counts: np.ndarray,
                 pattern: np.ndarray, values: np.ndarray, columns: np.ndarray
                 ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, _Spread]:
    """The children as sufficient statistics when some columns (`columns` of `x`, the
    children's `values`) vary within the patterns of the others: each pattern's row with
    those columns at their mean (counting the pattern's children), plus rows of zeros but
    for the within-pattern scatter of those columns (count 1, outcome 0; one per nonzero
    eigenvalue of the scatter).

    Every sum the fit, CR1 and the wild bootstrap take is linear in X'X and X'y summed
    within an area, and these rows have the children's: for a pattern of n children with
    mean m and scatter S, n (d, m)(d, m)' + (0, L)(0, L)' with LL' = S is the children's
    sum of their rows' outer products, and n y (d, m) their sum of y x (y is the same in a
    pattern). Exact, and a few thousand rows where a million children have an age each;
    HC1 (a fourth moment) is taken over the children from `_Spread` (`_fit`)."""
    means, deviations, scatter, of = pattern_spread(pattern, counts, values)
    x = x.copy()
    x[:, columns] = means
    extra = np.zeros((len(of), x.shape[1]))
    extra[:, columns] = scatter
    spread = _Spread(len(counts), pattern, deviations, columns)
    return (np.asfortranarray(np.vstack([x, extra])), np.concatenate([y, np.zeros(len(of))]),
            np.concatenate([clusters, clusters[of]]),
            np.concatenate([counts, np.ones(len(of))]), spread)


def _did_design(clusters: np.ndarray, d: np.ndarray, p: np.ndarray, period: np.ndarray | None,
                covariates: np.ndarray, area_effects: bool) -> tuple[np.ndarray, int]:
    """The design: intercept, area effects or the arm, period effects (`period`: each row's
    period as its label's rank, NaN if missing) or post, the DiD term and the covariates
    (dummy columns depend only on which levels occur, not on how often), and the DiD term's
    column.

    Column-major, as a frame of these columns gives its values: the fit's matrix products
    then add in the same order.
    """
    parts = [np.ones((len(d), 1)),
             level_dummies(clusters) if area_effects else d[:, None],
             p[:, None] if period is None else level_dummies(period)]
    k = sum(part.shape[1] for part in parts)
    parts += [(d * p)[:, None], covariates]
    return np.asfortranarray(np.hstack(parts)), k


def _singular(singular_values: np.ndarray, n_rows: float, n_params: int) -> bool:
    """Rank below the columns, as numpy's matrix_rank decides it for an n_rows x n_params design."""
    tolerance = singular_values.max() * max(n_rows, n_params) * np.finfo(float).eps
    return bool((singular_values > tolerance).sum() < n_params)


def _fit(x: np.ndarray, y: np.ndarray, w: np.ndarray | None, counts: np.ndarray,
         clusters: np.ndarray, k: int, spread: _Spread | None = None) -> _DidFit | None:
    """statsmodels' OLS (WLS with `w`) with its HC1 and CR1 SEs of coefficient k, on rows
    that stand for `counts` children each (distinct rows, or every child with counts 1);
    None if the design is singular.

    WLS with weights count × w is the children's fit (X'WX and X'Wy are sums over
    children), and the pseudo-inverse of the √(count × w)-weighted rows has the singular
    values of the children's design: statsmodels' own SVD and pseudo-inverse, of which
    the covariances need only row k (statsmodels forms both K x K sandwiches, and its model
    and results objects, a third of a DiD's time at register scale; issue 14). A
    well-conditioned design is solved by the normal equations instead
    (`_well_conditioned_fit`), to the same digits in a tenth of the time. HC1 and CR1
    use the children's n; their meats are sums over children of w² e² x x' and, per area,
    of w e x: sums over rows with the counts. With `spread` (unweighted) the rows are
    `_with_spread`'s sufficient statistics, and HC1's meat is summed over the children.
    """
    n = float(counts.sum()) if spread is None else float(len(spread.pattern))
    n_params = x.shape[1]
    w = np.ones(len(y)) if w is None else w
    root = np.sqrt(counts * w)
    solved = _well_conditioned_fit(x, y, counts * w, k)
    if solved is not None:
        params, inverse_k = solved
        row = root * (x @ inverse_k)  # (X'WX)^-1_k x'_r root_r for each row r
    else:
        u, s, vt = np.linalg.svd(x * root[:, None], full_matrices=False)
        if _singular(s, n, n_params):
            return None
        pinv = vt.T @ ((1.0 / s)[:, None] * u.T)  # as statsmodels forms it: the same digits
        params = pinv @ (root * y)  # (X'WX)^-1 X'Wy
        row = pinv[k]  # (X'WX)^-1_k x'_r root_r for each row r
        inverse_k = vt.T @ (vt[:, k] / s**2)
    residual = y - x @ params
    if spread is None:
        hc1_variance = n / (n - n_params) * float(row**2 @ (w * residual**2))
    else:  # each child's x_i (X'X)^-1_k and residual: its pattern's, moved by its deviations
        first = np.s_[:spread.patterns]
        leverage = ((x[first] @ inverse_k)[spread.pattern]
                    + spread.deviations @ inverse_k[spread.columns])
        child_residual = (residual[first][spread.pattern]
                          - spread.deviations @ params[spread.columns])
        hc1_variance = n / (n - n_params) * float(leverage**2 @ child_residual**2)
    n_clusters = int(clusters.max() + 1)
    scores = np.bincount(clusters, weights=row * root * residual, minlength=n_clusters)
    correction = n_clusters / (n_clusters - 1) * (n - 1) / (n - n_params)
    return _DidFit(float(params[k]), float(np.sqrt(hc1_variance)),
                   float(np.sqrt(correction * (scores**2).sum())))


def _well_conditioned_fit(x: np.ndarray, y: np.ndarray, weights: np.ndarray,
                          k: int) -> tuple[np.ndarray, np.ndarray] | None:
    """`_fit`'s coefficients and row k of (X'WX)^-1 by the normal equations, when
    the weighted design is well conditioned; None otherwise (and `_fit` takes the SVD).

    X'WX in blocks and its Cholesky factor cost a tenth of the SVD of a design of a
    million rows, and where X'WX's eigenvalues are within `WELL_CONDITIONED` of
    each other the design is far from rank-deficient by matrix_rank's measure (singular
    values below n x eps of the largest) and the normal equations, refined, agree with the
    pseudo-inverse to about 1e-13 (tests/stats/test_did.py checks both ways against each
    other and statsmodels). A near-singular design goes the SVD's way, which decides its
    rank as statsmodels does."""
    solved = weighted_least_squares(x, y, weights)
    if solved is None:
        return None
    params, factor = solved
    lower = np.tril(factor[0]) if factor[1] else np.triu(factor[0]).T
    eigenvalues = np.linalg.eigvalsh(lower @ lower.T)
    if not eigenvalues[0] > WELL_CONDITIONED * eigenvalues[-1]:
        return None
    unit = np.zeros(x.shape[1])
    unit[k] = 1.0
    return params, linalg.cho_solve(factor, unit)  # row k of (X'WX)^-1


def _cells(y: np.ndarray, d: np.ndarray, p: np.ndarray) -> pd.DataFrame:
    """Children, events and proportion in each treated_area x post cell (0/1 d, p and y:
    counted by cell number, the events whole numbers in any order of summing)."""
    cell = (1 - d) * 2 + (1 - p)  # the cells' order in _CELLS: (1, 1), (1, 0), (0, 1), (0, 0)
    counts = np.bincount(cell.astype(np.intp), minlength=4).tolist()
    events = np.rint(np.bincount(cell.astype(np.intp), weights=y, minlength=4)).astype(int).tolist()
    proportions = [e / count if count else None for e, count in zip(events, counts, strict=True)]
    return pd.DataFrame({"n": counts, "events": events, "proportion": proportions},
                        index=_CELL_INDEX)


# (treated_area, post) of the four cells, in the order of `_cells` and `_mean_cells`
_CELLS = list(product((1, 0), (1, 0)))
_CELL_INDEX = pd.MultiIndex.from_tuples(_CELLS, names=["treated_area", "post"])


def _mean_cells(y: np.ndarray, d: np.ndarray, p: np.ndarray,
                w: np.ndarray | None) -> pd.DataFrame:
    """Children, (total weight) and mean outcome in each treated_area x post cell.

    With weights the mean is the weighted one (a rate when y is events / person-time and
    w the person-time), the mean the weighted DiD is made of.
    """
    rows = []
    for area_arm, period in _CELLS:
        in_cell = (d == area_arm) & (p == period)
        row = {"treated_area": area_arm, "post": period, "n": int(in_cell.sum())}
        if w is not None:
            row["weight"] = float(w[in_cell].sum())
        row["mean"] = (float(np.average(y[in_cell], weights=None if w is None else w[in_cell]))
                       if in_cell.any() else None)
        rows.append(row)
    return pd.DataFrame(rows).set_index(["treated_area", "post"])


def _caveats(n_clusters: int, n_treated: int) -> tuple[str, ...]:
    found = []
    if n_clusters < VERY_FEW_CLUSTERS:
        found.append(
            f"only {n_clusters} areas: cluster-robust standard errors are unreliable with "
            "fewer than about 10 clusters and tend to be far too small (Bertrand, Duflo & "
            "Mullainathan 2004; Cameron, Gelbach & Miller 2008); rely on the wild cluster "
            "bootstrap p-value and treat any interval as indicative only"
        )
    elif n_clusters < FEW_CLUSTERS:
        found.append(
            f"only {n_clusters} areas (< 30): cluster-robust standard errors may be too small "
            "(Cameron, Gelbach & Miller 2008); t with G-1 df is used and a wild cluster "
            "bootstrap p-value is given"
        )
    if 0 < n_treated < FEW_TREATED_CLUSTERS:
        found.append(
            f"only {n_treated} treated area(s): with few treated clusters even the wild "
            "cluster bootstrap can misstate the p-value (MacKinnon & Webb 2017)"
        )
    return tuple(found)


class WildClusterBootstrap:
    """The restricted wild cluster bootstrap-t test of H0: coefficient k = b, for any b.

    WCR (Cameron, Gelbach & Miller 2008; MacKinnon & Webb 2017): residuals of the model
    fitted with coefficient k fixed at b are multiplied by one weight per cluster; each
    bootstrap sample is refitted and its CR1 t-statistic for H0 compared with the observed
    one. Because the design is fixed, the bootstrap coefficient and its cluster scores are
    linear in the cluster weights and in b, so every replicate for every b is a matrix
    product (no refitting), and the same weight draws serve every b. The confidence
    interval is the set of b that the test does not reject (test inversion, as Stata's
    `boottest` and R's `fwildclusterboot` do; Roodman et al. 2019), so it excludes 0
    exactly when the p-value for b = 0 is below 1 - confidence.

    Ties: a replicate counts against H0 when |t*| >= |t| (boottest counts |t*| > |t|). When
    every weight pattern is enumerated, the all-equal patterns reproduce the observed |t|
    exactly, so the p here is larger by their share (2 / 2^G with Rademacher weights) and
    the interval a little wider: the cautious side, checked against boottest's published
    example in tests/stats/test_boottest_example.py.

    Parameters
    ----------
    y : numpy.ndarray
        The outcome, one value per child (or per pattern of children, with `counts`).
    x : numpy.ndarray
        The design matrix (one row per child or pattern × K), intercept included, of full
        column rank.
    k : int
        The column of `x` whose coefficient is tested.
    clusters : numpy.ndarray of int
        Cluster codes 0 .. G − 1 per child (or pattern).
    weights : {"webb", "rademacher"}, optional
        The cluster weights; all 6^G (Webb) or 2^G (Rademacher) patterns are enumerated when
        there are at most `reps`, otherwise `reps` are drawn.
    reps : int, optional
        Bootstrap draws, 9999 by default.
    seed : int, optional
        Seed of the draws.
    counts : numpy.ndarray, optional
        How many children each row stands for, when the rows are the distinct (x, y,
        cluster) patterns of the children: every sum over children is then a sum over
        patterns, so the test is the children's own; one child a row by default.
    children : float, optional
        How many children the rows stand for (the CR1 factor's n), when not the counts'
        sum: rows with the children's sums of outer products (`_with_spread`), some of
        which stand for no child of their own.

    Attributes
    ----------
    estimate : float
        The coefficient k.
    se : float
        Its CR1 cluster-robust standard error.
    n_clusters : int
        G.
    how : str
        The weights and whether they were enumerated or drawn (with the seed).

    Raises
    ------
    NotEstimable
        If the observed cluster-robust t-statistic is undefined (zero SE); `p_value` also
        raises it when every bootstrap t is undefined.

    Examples
    --------
    The DiD of `difference_in_differences`'s example (0.25) as a regression on
    [1, treated_area, post, treated_area × post]; with 4 areas every one of the 6^4 Webb
    patterns is used, so p is a share of 1296:

    >>> import numpy as np
    >>> def cells(*events):  # events among 10 children, cell by cell
    ...     return np.concatenate([np.repeat([1, 0], [k, 10 - k]) for k in events])
    >>> area = np.repeat(["A", "B", "C", "D"], 20)  # 10 children before, 10 after, per area
    >>> treated_area = np.repeat([1, 1, 0, 0], 20)
    >>> post = np.tile(np.repeat([0, 1], 10), 4)
    >>> outcome = cells(4, 6, 3, 6, 4, 4, 5, 5)  # area A before, after; B before, after; ...
    >>> from pipeline.stats.did import WildClusterBootstrap
    >>> x = np.column_stack([np.ones(80), treated_area, post, treated_area * post])
    >>> test = WildClusterBootstrap(outcome.astype(float), x, 3, np.repeat([0, 1, 2, 3], 20))
    >>> round(test.estimate, 4), round(test.p_value(0.0) * 1296)
    (0.25, 70)
    >>> [round(bound, 3) for bound in test.interval(0.95)]
    [-0.053, 0.553]

    The same children as 16 patterns (area × period × outcome) with their counts:

    >>> events = np.array([4, 6, 3, 6, 4, 4, 5, 5])  # per area-period cell, as above
    >>> first = np.arange(0, 80, 10)  # each cell's first child (an event), first non-event
    >>> rows = np.column_stack([first, first + events]).ravel()
    >>> counts = np.column_stack([events, 10 - events]).ravel()
    >>> patterns = WildClusterBootstrap(outcome[rows].astype(float), x[rows], 3,
    ...                                 np.repeat([0, 1, 2, 3], 20)[rows], counts=counts)
    >>> len(rows), round(patterns.p_value(0.0) * 1296)
    (16, 70)
    """

    def __init__(self, y: np.ndarray, x: np.ndarray, k: int, clusters: np.ndarray, *,
                 weights: Literal["webb", "rademacher"] = "webb", reps: int = 9999,
                 seed: int = DEFAULT_SEED, counts: np.ndarray | None = None,
                 children: float | None = None) -> None:
        n, n_params = x.shape
        # with counts, each sum over children below is a sum over rows of count x term
        cx, cy = x, y
        if counts is not None:
            counts = np.asarray(counts, dtype=float)
            n = float(counts.sum())
            cx, cy = x * counts[:, None], y * counts
        if children is not None:
            n = float(children)
        n_clusters = int(clusters.max() + 1)
        xtx = x.T @ cx
        xtx_inv = np.linalg.inv(xtx)
        a_k = x @ xtx_inv[k]  # beta_k = a_k . y, summed over the children (row k of (X'X)^-1 X')
        h = x @ xtx_inv[:, k]  # cluster score of coefficient k: sum over the cluster of h e
        ch = h if counts is None else h * counts
        self.correction = n_clusters / (n_clusters - 1) * (n - 1) / (n - n_params)
        self.n_clusters = n_clusters
        self.estimate = float(a_k @ cy)
        residual = y - x @ (xtx_inv @ (cx.T @ y))
        observed_scores = np.bincount(clusters, weights=ch * residual, minlength=n_clusters)
        self.se = float(np.sqrt(self.correction * (observed_scores**2).sum()))
        if not np.isfinite(self.se) or self.se <= 0:
            raise NotEstimable("the observed cluster-robust t-statistic is undefined")

        # Under H0: beta_k = b the restricted residuals are u(b) = u0 - b w, with
        # u0 = M_{-k} y and w = M_{-k} x_k. For y* = X_{-k} beta_r(b) + b x_k + v[g] u(b):
        # beta*_k - b = sum_g v_g q_g(b), and the unrestricted residual M (v[g] u(b)) gives
        # per-cluster scores S(b) v with S = diag(sum_g h u) - H, H[g, g'] =
        # sum_{i in g} h_i (X A_{g'} u_{g'})_i. q and S are linear in u, hence in b.
        u0, w = _restricted_residuals(x, cx, xtx, k, np.column_stack([y, x[:, k]])).T
        # children of each row in each cluster: one entry per row, so sums over a cluster's
        # rows are sparse products (rows x columns, not rows x columns x clusters)
        indicator = sparse.csr_array((np.ones(len(y)) if counts is None else counts,
                                      (np.arange(len(y)), clusters)), shape=(len(y), n_clusters))

        def parts(u: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
            # u_by_cluster = indicator * u (rows x G): u summed over the row's children
            by_cluster = indicator.T @ (x * u[:, None])  # G x K: x' u_by_cluster, transposed
            projected = x @ (xtx_inv @ by_cluster.T)  # rows x G
            scores = np.diag(np.bincount(clusters, weights=ch * u, minlength=n_clusters))
            q = indicator.T @ (a_k * u)  # a_k' u_by_cluster
            return q, scores - indicator.T @ (h[:, None] * projected)

        q0, s0 = parts(u0)
        q1, s1 = parts(w)
        draws, self.how = cluster_weight_draws(n_clusters, weights, reps, seed)
        # numerator (q0 - b q1) v; squared score norm |(S0 - b S1) v|^2 = A - 2bB + b^2 C
        self._num0, self._num1 = q0 @ draws, q1 @ draws
        sv0, sv1 = s0 @ draws, s1 @ draws
        self._a, self._b, self._c = (sv0**2).sum(0), (sv0 * sv1).sum(0), (sv1**2).sum(0)

    def p_value(self, null: float = 0.0) -> float:
        """Two-sided bootstrap p-value of H0: coefficient = `null`."""
        observed = abs(self.estimate - null) / self.se
        variance = self.correction * (self._a - 2 * null * self._b + null**2 * self._c)
        with np.errstate(divide="ignore", invalid="ignore"):
            boot_t = np.abs(self._num0 - null * self._num1) / np.sqrt(variance)
        boot_t = boot_t[np.isfinite(boot_t)]
        if boot_t.size == 0:
            raise NotEstimable("every bootstrap t-statistic was undefined")
        # A draw that reproduces the data (all weights +1) ties with the observed t; the
        # relative tolerance keeps rounding from deciding such ties.
        return float(np.mean(boot_t >= observed * (1 - 1e-9)))

    def interval(self, confidence: float = 0.95, *, search: float = 100.0,
                 tolerance: float = 1e-7) -> tuple[float | None, float | None]:
        """The values of the coefficient that the test does not reject at 1 - confidence.

        Each bound is found by bisection between a value not rejected and one rejected; 0
        is tried first on its side of the estimate, so the interval excludes 0 exactly
        when `p_value(0)` < 1 - confidence. A bound is None when no value within
        `search` standard errors (and beyond 0) is rejected: the interval is unbounded,
        which happens with very few clusters.
        """
        alpha = 1 - confidence
        return (self._bound(-1.0, alpha, search, tolerance),
                self._bound(1.0, alpha, search, tolerance))

    def _bound(self, direction: float, alpha: float, search: float,
               tolerance: float) -> float | None:
        return inverted_test_bound(self.p_value, self.estimate, self.se, direction, alpha,
                                   search=search, tolerance=tolerance)

    def note(self, p_value: float) -> str:
        """One line saying how the p-value was obtained."""
        return (f"wild cluster bootstrap-t p = {p_value:.3g} (restricted, null imposed; "
                f"{self.how}; {self.n_clusters} clusters)")


def _restricted_residuals(x: np.ndarray, cx: np.ndarray, xtx: np.ndarray, k: int,
                          targets: np.ndarray) -> np.ndarray:
    """The residuals of least squares of each column of `targets` on x without column k,
    summed over children (cx: x times each row's count; xtx = x'cx).

    The normal equations come from x'cx, already formed; two steps of iterative refinement
    (each solving for the correction from the residuals left) take the residuals to the
    accuracy of a least-squares solver, without an SVD of the rows (issue 14).
    """
    others = np.delete(np.arange(x.shape[1]), k)
    gram, restricted, weighted = xtx[np.ix_(others, others)], x[:, others], cx[:, others]
    residuals = targets.copy()
    for _ in range(3):  # the solve, then two refinements
        residuals -= restricted @ np.linalg.solve(gram, weighted.T @ residuals)
    return residuals


def wild_cluster_bootstrap_p(
    y: np.ndarray,
    x: np.ndarray,
    k: int,
    clusters: np.ndarray,
    *,
    weights: Literal["webb", "rademacher"] = "webb",
    reps: int = 9999,
    seed: int = DEFAULT_SEED,
) -> tuple[float, str]:
    """Two-sided restricted wild cluster bootstrap-t p-value for H0: coefficient k = 0.

    Parameters
    ----------
    y, x, k, clusters, weights, reps, seed
        As `WildClusterBootstrap`.

    Returns
    -------
    p_value : float
        The bootstrap p-value.
    note : str
        How it was obtained (weights, enumeration or draws with the seed, clusters).

    Raises
    ------
    NotEstimable
        If the observed or every bootstrap t-statistic is undefined.

    Examples
    --------
    Two of the 16 Rademacher sign patterns of four areas (all +1 and all −1) reproduce
    the observed |t| exactly, and no other pattern reaches it:

    >>> import numpy as np
    >>> from pipeline.stats.did import wild_cluster_bootstrap_p
    >>> y = np.repeat([1.0, 0.0, 1.0, 0.0, 1.0, 0.0, 1.0, 0.0] * 2,
    ...               [4, 6, 6, 4, 3, 7, 6, 4, 4, 6, 4, 6, 5, 5, 5, 5])
    >>> treated_area = np.repeat([1, 1, 0, 0], 20)
    >>> post = np.tile(np.repeat([0, 1], 10), 4)
    >>> x = np.column_stack([np.ones(80), treated_area, post, treated_area * post])
    >>> p, note = wild_cluster_bootstrap_p(y, x, 3, np.repeat([0, 1, 2, 3], 20),
    ...                                    weights="rademacher")
    >>> p
    0.125
    """
    bootstrap = WildClusterBootstrap(y, x, k, clusters, weights=weights, reps=reps, seed=seed)
    p_value = bootstrap.p_value(0.0)
    return p_value, bootstrap.note(p_value)


@lru_cache(maxsize=32)
def cluster_weight_draws(
    n_clusters: int,
    weights: Literal["webb", "rademacher"] = "webb",
    reps: int = 9999,
    seed: int = DEFAULT_SEED,
) -> tuple[np.ndarray, str]:
    """The wild bootstrap's cluster weights: every pattern when there are few enough, else draws.

    One place for the weights of every wild cluster bootstrap in the package (the linear
    WCR of `WildClusterBootstrap`, the score bootstrap of `pipeline.stats.did_counts`).
    The draws are a function of the arguments, so they are made once per arguments and
    shared (read-only): a study's DiDs draw the same weights many times over.

    Parameters
    ----------
    n_clusters : int
        G, the clusters (areas).
    weights : {"webb", "rademacher"}, optional
        Webb's six-point weights (±√1.5, ±1, ±√0.5; Webb 2023) or Rademacher signs (±1).
    reps : int, optional
        All 6^G (Webb) or 2^G (Rademacher) patterns are enumerated when there are at most
        this many; otherwise this many are drawn.
    seed : int, optional
        Seed of the draws.

    Returns
    -------
    draws : numpy.ndarray
        G × B weights, one column per bootstrap replicate.
    how : str
        The weights and whether they were enumerated or drawn (with the seed).

    Raises
    ------
    ValueError
        If `weights` is neither "webb" nor "rademacher".

    Examples
    --------
    >>> from pipeline.stats.did import cluster_weight_draws
    >>> draws, how = cluster_weight_draws(3, "rademacher")
    >>> draws.shape, how
    ((3, 8), 'all 8 Rademacher sign patterns enumerated')
    >>> cluster_weight_draws(8, "webb", reps=999)[1]
    '999 draws of Webb weights, seed 20240601'
    """
    if weights == "rademacher" and 2**n_clusters <= reps:
        draws = np.array(list(product((-1.0, 1.0), repeat=n_clusters))).T
        how = f"all {draws.shape[1]} Rademacher sign patterns enumerated"
    elif weights == "webb" and 6**n_clusters <= reps:
        draws = np.array(list(product(_WEBB_POINTS, repeat=n_clusters))).T
        how = f"all {draws.shape[1]} Webb weight patterns enumerated"
    else:
        rng = np.random.default_rng(seed)
        if weights == "rademacher":
            draws = rng.choice([-1.0, 1.0], size=(n_clusters, reps))
        elif weights == "webb":
            draws = rng.choice(_WEBB_POINTS, size=(n_clusters, reps))
        else:
            raise ValueError(f"bootstrap weights must be 'webb' or 'rademacher', not {weights!r}")
        how = f"{reps} draws of {weights.capitalize()} weights, seed {seed}"
    draws.flags.writeable = False  # shared by every caller with these arguments
    return draws, how


def inverted_test_bound(
    p_value: Callable[[float], float],
    estimate: float,
    se: float,
    direction: float,
    alpha: float,
    *,
    search: float = 100.0,
    tolerance: float = 1e-7,
) -> float | None:
    """One bound of a test-inversion interval: the last value not rejected at `alpha`.

    Walks from the estimate (p = 1 there) in `direction` (−1 lower, +1 upper) in doubling
    steps of `se` until a value is rejected, then bisects. 0 is tried first when it lies
    on this side, so the interval excludes 0 exactly when `p_value(0)` < alpha.

    Parameters
    ----------
    p_value : callable
        The test's p-value for H0: parameter = b, as a function of b.
    estimate, se : float
        The point estimate and a standard error setting the step.
    direction : float
        −1 for the lower bound, +1 for the upper.
    alpha : float
        1 − confidence.
    search : float, optional
        No bound (None) when nothing within this many SEs beyond the estimate (and 0)
        is rejected.
    tolerance : float, optional
        Bisection stops when the bracket is below this many SEs.

    Returns
    -------
    float or None
        The bound, or None when the interval is unbounded on this side.

    Examples
    --------
    The normal test of an estimate 1.0 with SE 0.5 gives back the Wald bound 1 − 1.96 · 0.5:

    >>> from scipy import stats
    >>> from pipeline.stats.did import inverted_test_bound
    >>> def p(b):
    ...     return 2 * stats.norm.sf(abs(1.0 - b) / 0.5)
    >>> round(inverted_test_bound(p, 1.0, 0.5, -1.0, 0.05), 4)
    0.02
    """
    accepted = estimate  # p = 1 at the estimate itself
    rejected = None
    if direction * (0.0 - estimate) > 0:  # 0 lies on this side: try it first
        if p_value(0.0) < alpha:
            rejected = 0.0
        else:
            accepted = 0.0
    step = se
    while rejected is None:
        candidate = accepted + direction * step
        if abs(candidate - estimate) > search * se + abs(estimate):
            return None
        if p_value(candidate) < alpha:
            rejected = candidate
        else:
            accepted = candidate
            step *= 2
    while abs(rejected - accepted) > tolerance * max(se, 1e-12):
        middle = (accepted + rejected) / 2
        if middle in (accepted, rejected):  # the bracket is one float wide
            break
        if p_value(middle) < alpha:
            rejected = middle
        else:
            accepted = middle
    return float(accepted)
