"""Difference-in-differences for counts and rates: Poisson ratio of rate ratios, rate difference.

`poisson_did` — the DiD on the multiplicative scale. A Poisson GLM (log link) of each
child's events with log(person-time) as offset,

    log E[events] = log(person_time) + b0 + b1 * treated_area + b2 * post
                    + b3 * treated_area:post (+ covariates),

or with area and/or period fixed effects in place of the arm and post dummies, exactly as
`pipeline.stats.did` builds its linear model. exp(b3) is the ratio of rate ratios:
(rate after / rate before in the intervention areas) / (the same in the comparison areas).
Without covariates the 2 x 2 model is saturated and exp(b3) = (e11/T11 / e10/T10) /
(e01/T01 / e00/T00) exactly (first index: treated area, second: post; e events, T
person-time). Parallel trends are then assumed on the log-rate scale, which for rates
(contacts per child-year) is usually the more natural one; `rate_difference_did` gives the
additive version (a weighted linear DiD of rates) for comparison.

Inference, as `did.py` on the log scale:
- cluster-robust (CR1) by area: the Poisson sandwich with scores summed within areas and
  the factor G/(G - 1) (n - 1)/(n - K) (statsmodels' GLM `cov_type="cluster"`), t with
  G - 1 df; the SE is never below the child-level HC1 one (flag "widened_to_child_level");
- with fewer than 30 areas a restricted wild cluster score bootstrap (Kline & Santos
  2012, J Econometric Methods 1:23; Roodman et al. 2019, Stata Journal 19:4, §3.4) gives
  the p and, by inverting the same test over the null value, the interval
  (`WildClusterScoreBootstrap`), never narrower than the HC1 interval nor with a smaller p;
- with one area in an arm the area-level variance of b3 is degenerate: the point estimate
  only, with the reason (flag "point_estimate_only").

The score bootstrap. Under H0: b3 = b the model is refitted with b3 fixed at b (b x_k
joins the offset). Its per-area scores S_g = sum_{i in g} x_i (y_i - mu_i) and
information H = sum_g H_g, H_g = sum_{i in g} mu_i x_i x_i', give the one-step
(Newton) departure from H0, d = H^-1 sum_g S_g, whose k-th element is the statistic's
numerator; each bootstrap replicate multiplies the area scores by the area's weight v_g
(Rademacher or Webb, enumerated when few; no refit), and its numerator is
sum_g v_g q_g with q_g = (H^-1 S_g)_k. The denominator is the CR1 SE of that
numerator computed from the replicate's own "unrestricted" scores:

- `recentre="hessian"` (default): S*_g = v_g S_g - H_g H^-1 sum_h v_h S_h, the scores
  a one-step re-estimation would leave; for a linear model (identity link) this is the
  WCR of `did.WildClusterBootstrap` exactly (same t, same p);
- `recentre="share"`: S*_g = v_g S_g - (n_g / n) sum_h v_h S_h, Roodman's `boottest`
  (boottest.mata: scores "recentered" by each cluster's share of the observations),
  which reproduces boottest's published score-bootstrap t (tests/stats/test_did_counts.py).

The observed statistic is the replicate with every v_g = 1 (a robust score/LM-type t), so
the p counts |t*| >= |t| with that replicate included, as in `did.py`.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd
from scipy import stats

from pipeline.stats._design import (
    areas_in_both_arms,
    as_binary,
    both_arms_reason,
    build_covariate_design,
    full_column_rank,
    row_patterns,
    zero_one,
)
from pipeline.stats.counts import _CountData, _fit_poisson, _sandwich
from pipeline.stats.did import (
    COLLAPSE_SHARE,
    DEFAULT_SEED,
    FEW_CLUSTERS,
    FEW_TREATED_CLUSTERS,
    DidResult,
    cluster_weight_draws,
    difference_in_differences,
    inverted_test_bound,
)
from pipeline.stats.proportions import check_confidence
from pipeline.stats.results import Estimate, NotEstimable

METHOD = "poisson_did"
_INTERACTION = "treated_area:post"
# A restricted fit whose coefficients run beyond this (log scale) has no finite MLE.
_HUGE_COEFFICIENT = 15.0


class WildClusterScoreBootstrap:
    """Restricted wild cluster score bootstrap-t of H0: coefficient k = b in a Poisson GLM.

    See the module docstring for the statistic. The model is refitted once per null
    value b (the restricted fit); the replicates need no refit, and the same weight draws
    serve every b, so `interval` inverts one test.

    Parameters
    ----------
    events : numpy.ndarray
        The outcome per row (counts for "poisson", any number for "linear").
    log_offset : numpy.ndarray
        log(person-time) per row (zeros without person-time).
    x : numpy.ndarray
        The design (n × K), intercept included, of full column rank.
    k : int
        The column of `x` whose coefficient is tested.
    clusters : numpy.ndarray of int
        Cluster codes 0 .. G − 1.
    weights : {"webb", "rademacher"}, optional
        The cluster weights (`did.cluster_weight_draws`).
    reps : int, optional
        Replicates (every pattern when there are no more).
    seed : int, optional
        Seed of the draws.
    recentre : {"hessian", "share"}, optional
        How a replicate's scores are recentred for its denominator (module docstring).
    family : {"poisson", "linear"}, optional
        The Poisson GLM (default), or least squares (identity link) — with "hessian" the
        WCR itself, with "share" boottest's score bootstrap after `regress`.
    counts : numpy.ndarray, optional
        Poisson only: how many children each row sums — children of one cluster with the
        same regressors, their events added and `log_offset` the log of their person-time
        added. Every restricted fit's scores and information are sums over children, so
        the test is the children's; n in the CR1 factor and the shares count children.

    Attributes
    ----------
    n_clusters : int
        G.
    how : str
        The weights and whether they were enumerated or drawn.

    Raises
    ------
    ValueError
        If `recentre`, `family` or `weights` is unknown, or `counts` come with "linear".

    Examples
    --------
    Four areas of which two intervention, one row per area and period (events over 100
    child-years each): with the rate ratio of the comparison areas at 1 and of the
    intervention areas at about 0.5, H0: b = 0 is tested over the 16 sign patterns; the
    patterns all +1 and all −1 reproduce the observed |t|, so p cannot go below 2/16.

    >>> import numpy as np
    >>> from pipeline.stats.did_counts import WildClusterScoreBootstrap
    >>> events = np.array([40.0, 20, 50, 26, 30, 31, 45, 44])  # A before, after; B ...; D
    >>> treated, post = np.repeat([1.0, 1, 0, 0], 2), np.tile([0.0, 1], 4)
    >>> x = np.column_stack([np.ones(8), treated, post, treated * post])
    >>> test = WildClusterScoreBootstrap(events, np.log(np.full(8, 100.0)), x, 3,
    ...                                  np.repeat([0, 1, 2, 3], 2), weights="rademacher")
    >>> test.how
    'all 16 Rademacher sign patterns enumerated'
    >>> round(test.statistic(0.0), 3), test.p_value(0.0)
    (-15.686, 0.125)
    """

    def __init__(self, events: np.ndarray, log_offset: np.ndarray, x: np.ndarray, k: int,
                 clusters: np.ndarray, *, weights: Literal["webb", "rademacher"] = "webb",
                 reps: int = 9999, seed: int = DEFAULT_SEED,
                 recentre: Literal["hessian", "share"] = "hessian",
                 family: Literal["poisson", "linear"] = "poisson",
                 counts: np.ndarray | None = None) -> None:
        if recentre not in ("hessian", "share"):
            raise ValueError(f"recentre must be 'hessian' or 'share', not {recentre!r}")
        if family not in ("poisson", "linear"):
            raise ValueError(f"family must be 'poisson' or 'linear', not {family!r}")
        if counts is not None and family != "poisson":
            raise ValueError("counts need family='poisson': least squares on sums is not the "
                             "children's fit")
        self.events, self.log_offset = np.asarray(events, float), np.asarray(log_offset, float)
        self.x, self.k = np.asarray(x, float), k
        self.clusters = np.asarray(clusters)
        self.recentre, self.family = recentre, family
        n, n_params = self.x.shape
        self.n_clusters = int(self.clusters.max() + 1)
        self._rows = (_Cells.of(self.x, self.clusters, self.n_clusters, self.k)
                      if family == "poisson" else None) or _Dense(self.x, self.clusters,
                                                                  self.n_clusters)
        if counts is None:
            per_cluster = np.bincount(self.clusters, minlength=self.n_clusters).astype(float)
        else:
            per_cluster = np.bincount(self.clusters, weights=counts, minlength=self.n_clusters)
            n = float(np.sum(counts))  # children
        self.correction = self.n_clusters / (self.n_clusters - 1) * (n - 1) / (n - n_params)
        self._share = per_cluster / n
        self._draws, self.how = cluster_weight_draws(self.n_clusters, weights, reps, seed)
        self._others = self._rows.without(self.k)  # the restricted fits' design
        self._start: tuple[float, np.ndarray, np.ndarray] | None = None
        self._cache: dict[float, tuple[float, np.ndarray]] = {}

    def _restricted_mean(self, null: float) -> np.ndarray:
        """The fitted means of the model with coefficient k fixed at `null`."""
        others = self._others
        offset = self.log_offset + null * self.x[:, self.k]
        if self.family == "linear":
            shifted = self.events - offset
            return offset + others.x @ np.linalg.lstsq(others.x, shifted, rcond=None)[0]
        start = None
        if self._start is not None:  # the last fit, moved along its path to this null
            last_null, last_params, slope = self._start
            start = last_params + slope * (null - last_null)
        params, information = _poisson_newton(self.events, others, offset, start)
        if params is None or np.abs(params[1:]).max(initial=0) > _HUGE_COEFFICIENT:
            raise NotEstimable(f"the Poisson model with the DiD term fixed at {null:.4g} has no "
                               "finite maximum-likelihood estimate")
        mean = np.exp(offset + others.dot(params))
        # d params / d null = -H^-1 (sum of mu x x_k): the implicit function of the score
        slope = -np.linalg.solve(information, others.t_dot(mean * self.x[:, self.k]))
        self._start = (null, params, slope)
        return mean

    def _replicates(self, null: float) -> tuple[float, np.ndarray]:
        """The observed statistic and every replicate's t for H0: coefficient k = null."""
        if null in self._cache:
            return self._cache[null]
        mean = self._restricted_mean(null)
        curvature = np.ones_like(mean) if self.family == "linear" else mean
        scores = self._rows.cluster_sums(self.events - mean)  # G x K
        information = self._rows.gram(curvature)
        row = np.linalg.solve(information, np.eye(len(information))[self.k])  # (H^-1)_k.
        q = scores @ row  # each area's contribution to the one-step departure
        if self.recentre == "hessian":
            # a' H_g (a = row k of H^-1) for each area g, then H^-1 and the area scores:
            # coupling[g, h] = a' H_g H^-1 S_h
            h_row = self._rows.cluster_sums(self._rows.dot(row) * curvature)
            coupling = h_row @ np.linalg.solve(information, scores.T)
        else:
            coupling = np.outer(self._share, q)
        parts = np.diag(q) - coupling  # replicate v: area scores of the numerator (parts @ v)
        ones = np.ones(self.n_clusters)
        observed = self._t(q @ ones, parts @ ones)
        boot = self._t(q @ self._draws, parts @ self._draws)
        self._cache[null] = (observed, boot)
        return observed, boot

    def _t(self, numerator: np.ndarray | float, parts: np.ndarray) -> np.ndarray:
        with np.errstate(divide="ignore", invalid="ignore"):
            return numerator / np.sqrt(self.correction * (parts**2).sum(0))

    def statistic(self, null: float = 0.0) -> float:
        """The observed score-bootstrap t of H0: coefficient k = `null` (every weight 1)."""
        observed = float(self._replicates(null)[0])
        if not np.isfinite(observed):
            raise NotEstimable("the observed score statistic is undefined (zero variance)")
        return observed

    def p_value(self, null: float = 0.0) -> float:
        """Two-sided bootstrap p of H0: coefficient k = `null`."""
        observed, boot = self._replicates(null)
        if not np.isfinite(observed):
            raise NotEstimable("the observed score statistic is undefined (zero variance)")
        boot = np.abs(boot[np.isfinite(boot)])
        if boot.size == 0:
            raise NotEstimable("every bootstrap score statistic was undefined")
        return float(np.mean(boot >= abs(observed) * (1 - 1e-9)))

    def interval(self, estimate: float, se: float, confidence: float = 0.95, *,
                 search: float = 30.0) -> tuple[float | None, float | None]:
        """The values of the coefficient (log scale) the test does not reject at 1 − confidence.

        Bisection from the estimate outwards in steps of `se` (`did.inverted_test_bound`),
        0 tried first on its side; a bound is None when nothing within `search` SEs is
        rejected (the interval is unbounded there), or when the restricted model has no
        finite estimate before a rejected value is found.
        """
        alpha = 1 - confidence

        def p_or_one(null: float) -> float:
            try:
                return self.p_value(null)
            except NotEstimable:
                return 1.0  # cannot reject where the restricted model does not exist

        return tuple(inverted_test_bound(p_or_one, estimate, se, direction, alpha,
                                         search=search, tolerance=1e-6)
                     for direction in (-1.0, 1.0))

    def note(self, p_value: float) -> str:
        """One line saying how the p-value was obtained."""
        return (f"wild cluster score bootstrap-t p = {p_value:.3g} (restricted, null imposed; "
                f"{self.recentre} recentring; {self.how}; {self.n_clusters} clusters)")


def _poisson_newton(events: np.ndarray, x: _Dense | _Cells, offset: np.ndarray,
                    start: np.ndarray | None, max_iterations: int = 100
                    ) -> tuple[np.ndarray | None, np.ndarray]:
    """The Poisson GLM's maximum-likelihood coefficients by Newton's method (IRLS), and the
    information at the last step; None when it does not converge to finite values.

    As statsmodels' IRLS (the same start, mu = (y + mean y) / 2, without `start`), but each
    step solves the normal equations instead of refitting a weighted least squares with a
    pseudo-inverse, and the iterations run until a step moves no coefficient by 1e-9 (the
    next would move it by less than rounding): the restricted fits of the score bootstrap's
    test inversion are many, and this is where their time went (issue 14). `x` is the
    design's rows (`_Dense`) or their cells (`_Cells`).
    """
    if start is None:
        mean = (events + events.mean()) / 2
        linear = np.log(mean)
    else:
        linear = offset + x.dot(start)
        mean = np.exp(linear)
    with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
        for _ in range(max_iterations):
            information = x.gram(mean)
            working = linear - offset + (events - mean) / mean
            try:
                params = np.linalg.solve(information, x.t_dot(mean * working))
            except np.linalg.LinAlgError:
                return None, information
            if not np.all(np.isfinite(params)):
                return None, information
            step = np.inf if start is None else np.abs(params - start).max()
            linear = offset + x.dot(params)
            mean = np.exp(linear)
            start = params
            if step < 1e-9:
                return params, information
    return None, information


class _Dense:
    """The score bootstrap's design as rows: each sum over them a product with the matrix."""

    def __init__(self, x: np.ndarray, clusters: np.ndarray, n_clusters: int) -> None:
        self.x, self._clusters, self._n_clusters = x, clusters, n_clusters

    @functools.cached_property
    def _indicator(self) -> np.ndarray:
        """Rows x clusters, 0/1 (made when first summed by: the restricted fits' design is not)."""
        indicator = np.zeros((len(self.x), self._n_clusters))
        indicator[np.arange(len(self.x)), self._clusters] = 1.0
        return indicator

    def without(self, column: int) -> _Dense:
        """The design without one column (the restricted fits')."""
        return _Dense(np.delete(self.x, column, axis=1), self._clusters, self._n_clusters)

    def dot(self, params: np.ndarray) -> np.ndarray:
        """X b."""
        return self.x @ params

    def t_dot(self, values: np.ndarray) -> np.ndarray:
        """X' v."""
        return self.x.T @ values

    def gram(self, weights: np.ndarray) -> np.ndarray:
        """X' W X."""
        return (self.x * weights[:, None]).T @ self.x

    def cluster_sums(self, values: np.ndarray) -> np.ndarray:
        """Each cluster's sum of v x (clusters x columns)."""
        return self._indicator.T @ (self.x * values[:, None])


class _Cells:
    """The score bootstrap's design as cells: the rows of one cluster with the same 0/1
    columns are a cell, and the columns that are not 0/1 (the mother's age) are kept per
    row. Each product of the Newton steps and the replicates is then a sum over the rows
    of a few weighted columns (np.bincount by cell) and a product over the cells: a million
    children's rate, 181,654 rows of 32 columns in 5,040 cells, its 53 restricted fits and
    their replicates 4.1 -> 0.9 s (issue 14). Exact up to the order of the additions
    (tests/stats/test_did_counts.py checks it against `_Dense`)."""

    def __init__(self, cell: np.ndarray, discrete: np.ndarray, continuous: np.ndarray,
                 positions: tuple[np.ndarray, np.ndarray], clusters: np.ndarray,
                 cell_indicator: np.ndarray) -> None:
        self._cell, self._n_cells = cell, len(discrete)
        self._discrete = discrete  # cells x 0/1 columns
        self._continuous = continuous  # rows x other columns, each contiguous
        self._at, self._other_at = positions  # each kind's columns in the design
        self._n_columns = len(self._at) + len(self._other_at)
        self._clusters, self._cell_indicator = clusters, cell_indicator  # cells x clusters, 0/1

    @classmethod
    def of(cls, x: np.ndarray, clusters: np.ndarray, n_clusters: int, kept: int) -> _Cells | None:
        """The cells of `x`, or None when they would be more than half its rows or column
        `kept` (the one the restricted fits leave out) is not 0/1."""
        zero_ones = np.array([zero_one(column) for column in x.T])
        if not zero_ones[kept]:
            return None
        at, other_at = np.flatnonzero(zero_ones), np.flatnonzero(~zero_ones)
        cell, first = row_patterns(np.column_stack([clusters, x[:, at]]))
        if len(first) > COLLAPSE_SHARE * len(x):
            return None
        cell_indicator = np.zeros((len(first), n_clusters))
        cell_indicator[np.arange(len(first)), clusters[first]] = 1.0
        return cls(cell, x[first][:, at], np.asfortranarray(x[:, other_at]), (at, other_at),
                   clusters, cell_indicator)

    def without(self, column: int) -> _Cells:
        """The design without one of its 0/1 columns (the restricted fits')."""
        keep = self._at != column
        at = self._at[keep]
        return _Cells(self._cell, np.ascontiguousarray(self._discrete[:, keep]), self._continuous,
                      (at - (at > column), self._other_at - (self._other_at > column)),
                      self._clusters, self._cell_indicator)

    def _by_cell(self, values: np.ndarray) -> np.ndarray:
        return np.bincount(self._cell, weights=values, minlength=self._n_cells)

    def dot(self, params: np.ndarray) -> np.ndarray:
        """X b."""
        product = (self._discrete @ params[self._at])[self._cell]
        if len(self._other_at):
            product += self._continuous @ params[self._other_at]
        return product

    def t_dot(self, values: np.ndarray) -> np.ndarray:
        """X' v."""
        product = np.empty(self._n_columns)
        product[self._at] = self._by_cell(values) @ self._discrete
        product[self._other_at] = values @ self._continuous
        return product

    def gram(self, weights: np.ndarray) -> np.ndarray:
        """X' W X: the 0/1 columns' block from each cell's summed weight, their products with
        the others from each cell's weighted sums of them, the others' own from the rows."""
        gram = np.empty((self._n_columns, self._n_columns))
        at, other_at = self._at, self._other_at
        gram[np.ix_(at, at)] = (self._discrete * self._by_cell(weights)[:, None]).T @ self._discrete
        if len(other_at):
            weighted = self._continuous * weights[:, None]
            summed = np.column_stack([self._by_cell(column) for column in weighted.T])
            mixed = self._discrete.T @ summed
            gram[np.ix_(at, other_at)] = mixed
            gram[np.ix_(other_at, at)] = mixed.T
            gram[np.ix_(other_at, other_at)] = weighted.T @ self._continuous
        return gram

    def cluster_sums(self, values: np.ndarray) -> np.ndarray:
        """Each cluster's sum of v x (clusters x columns)."""
        sums = np.empty((self._cell_indicator.shape[1], self._n_columns))
        sums[:, self._at] = self._cell_indicator.T @ (self._discrete * self._by_cell(values)[:, None])
        for position, column in zip(self._other_at, self._continuous.T, strict=True):
            sums[:, position] = np.bincount(self._clusters, weights=values * column,
                                            minlength=len(sums))
        return sums


@dataclass(frozen=True)
class _Rows:
    """The rows analysed: events, log person-time, arm, period, area codes, covariates."""

    events: np.ndarray
    log_offset: np.ndarray
    treated: np.ndarray
    post: np.ndarray
    areas: pd.Series
    clusters: np.ndarray
    periods: pd.Series | None
    design: object
    notes: dict


def _rows(events: object, person_time: object | None, treated_area: object, after: object,
          areas: object, covariates: pd.DataFrame | None, period_effects: object) -> _Rows:
    """Validate the inputs (ValueError) and keep the complete rows with person-time."""
    y_all = pd.Series(events).astype("Float64").to_numpy(dtype="float64", na_value=np.nan)
    present = y_all[~np.isnan(y_all)]
    if np.isinf(present).any() or (present < 0).any() or (present != np.round(present)).any():
        raise ValueError("events must be non-negative whole numbers (counts)")
    d_all = as_binary(treated_area, "treated_area")
    p_all = as_binary(after, "after")
    area_all = pd.Series(areas).reset_index(drop=True)
    n = len(y_all)
    if person_time is None:
        t_all = np.ones(n)
    else:
        t_all = pd.Series(person_time).astype("Float64").to_numpy(dtype="float64",
                                                                   na_value=np.nan)
        if len(t_all) != n:
            raise ValueError("events and person_time differ in length")
        if np.isinf(t_all).any() or (t_all[~np.isnan(t_all)] < 0).any():
            raise ValueError("person_time must be finite and non-negative")
        if ((t_all == 0) & (y_all > 0)).any():
            raise ValueError("events counted over zero person-time: check the follow-up")
    if not len(d_all) == len(p_all) == len(area_all) == n:
        raise ValueError("events, treated_area, after and areas differ in length")
    observed = ~(np.isnan(y_all) | np.isnan(d_all) | np.isnan(p_all) | np.isnan(t_all)
                 | area_all.isna().to_numpy())
    zero_time = observed & (t_all == 0)
    design = build_covariate_design(covariates, n, observed & ~zero_time)
    keep = design.kept_rows
    labels = None
    if period_effects is not None:
        labels = pd.Series(period_effects).reset_index(drop=True)
        if len(labels) != n:
            raise ValueError(f"period_effects has {len(labels)} labels; expected {n}")
        labels = labels[keep].reset_index(drop=True).astype("string")
        if labels.isna().any():
            raise ValueError("period_effects has missing labels among the analysed rows")
    kept_areas = area_all[keep].reset_index(drop=True)
    return _Rows(y_all[keep], np.log(t_all[keep]), d_all[keep], p_all[keep], kept_areas,
                 pd.factorize(kept_areas)[0], labels, design,
                 {"rows_missing": int((~observed).sum()),
                  "rows_zero_person_time": int(zero_time.sum())})


def _cells(rows: _Rows) -> pd.DataFrame:
    """Rows, events, person-time and rate per treated_area × post cell."""
    person_time = np.exp(rows.log_offset)
    table = []
    for arm in (1, 0):
        for period in (1, 0):
            cell = (rows.treated == arm) & (rows.post == period)
            events, time = float(rows.events[cell].sum()), float(person_time[cell].sum())
            table.append({"treated_area": arm, "post": period, "n": int(cell.sum()),
                          "events": int(round(events)), "person_time": time,
                          "rate": events / time if time > 0 else None})
    return pd.DataFrame(table).set_index(["treated_area", "post"])


def _require_events(rows: _Rows, cells: pd.DataFrame, area_effects: bool) -> None:
    """NotEstimable when a cell, an area (with area effects) or a period has no events."""
    names = {(1, 1): "intervention areas after", (1, 0): "intervention areas before",
             (0, 1): "comparison areas after", (0, 0): "comparison areas before"}
    empty = [names[key] for key, row in cells.iterrows() if row["n"] == 0]
    if empty:
        raise NotEstimable(f"empty cell(s) in the area-by-period table: {', '.join(empty)}",
                           kind="empty_cell")
    if inconsistent := areas_in_both_arms(rows.areas, rows.treated):
        raise NotEstimable(both_arms_reason(inconsistent))
    zero = [names[key] for key, row in cells.iterrows() if row["events"] == 0]
    if zero:
        raise NotEstimable(
            f"zero cell: no events in the {', '.join(zero)} the start, so a rate ratio is 0 "
            "or infinite and the Poisson maximum-likelihood estimate does not exist",
            kind="zero_cell")
    coded = [rows.clusters] if area_effects else []
    if rows.periods is not None:
        coded.append(pd.factorize(rows.periods)[0])
    if all((np.bincount(codes, weights=rows.events) > 0).all() for codes in coded):
        return  # every area and period has events (the texts below name those without)
    groups = [("area", rows.areas.astype(str))] if area_effects else []
    if rows.periods is not None:
        groups.append(("period", rows.periods.astype(str)))
    for what, labels in groups:
        totals = pd.Series(rows.events).groupby(labels.to_numpy()).sum()
        if (totals == 0).any():
            raise NotEstimable(
                f"zero cell: no events in {what}(s) {', '.join(totals.index[totals == 0])}: "
                f"the {what}'s fixed effect has no finite estimate; leave it out or use "
                f"fewer {what} effects", kind="zero_cell")


def _exog(rows: _Rows, area_effects: bool) -> pd.DataFrame:
    """Constant, arm dummy or area dummies, post or period dummies, the DiD term, covariates.

    The frame `pd.get_dummies` of the areas and periods (levels sorted, the first left out)
    concatenated with the other columns gives, with its column names, built as one matrix of
    floats directly: the fit, its information and scores, the rank check and the bootstrap
    each ask for the values, which a frame of many blocks copies every time (a million
    children's 0.2 GB). Column by column (Fortran order), as that frame's values were, so that
    the products sum in the same order."""
    n = len(rows.events)
    names: list[str] = ["const"]
    columns: list[np.ndarray | float] = [1.0]
    by_level = (("area", rows.clusters, "treated_area", rows.treated, area_effects),
                ("period", rows.periods, "post", rows.post, rows.periods is not None))
    for prefix, labels, alone, values, effects in by_level:
        if not effects:  # the arm or the period as one column
            names.append(alone)
            columns.append(values)
            continue
        codes, levels = pd.factorize(labels, sort=True)  # as get_dummies orders its columns
        names += [f"{prefix}_{level}" for level in levels[1:]]
        columns += [codes == code for code in range(1, len(levels))]
    covariates = rows.design.covariates
    names += [_INTERACTION, *covariates.columns]
    columns += [rows.treated * rows.post,
                *(covariates[name].to_numpy(dtype=float) for name in covariates)]
    exog = np.empty((n, len(names)), order="F")
    for position, values in enumerate(columns):
        exog[:, position] = values
    return pd.DataFrame(exog, columns=names, copy=False)


def poisson_did(
    events: object,
    person_time: object | None,
    treated_area: object,
    after: object,
    areas: object,
    covariates: pd.DataFrame | None = None,
    *,
    area_effects: bool = False,
    period_effects: object = None,
    wild_bootstrap: bool | None = None,
    bootstrap_weights: Literal["webb", "rademacher"] = "webb",
    bootstrap_reps: int = 9999,
    seed: int = DEFAULT_SEED,
    recentre: Literal["hessian", "share"] = "hessian",
    confidence: float = 0.95,
) -> Estimate:
    """Ratio of rate ratios from a Poisson DiD with a log person-time offset, clustered by area.

    Parameters
    ----------
    events : array_like of int
        Events per child (e.g. emergency contacts), non-negative whole numbers;
        missing = left out.
    person_time : array_like of float or None
        Each child's time at risk (child-years); missing = left out; zero (with no
        events) = left out, counted. None: no offset (a ratio of mean-count ratios).
    treated_area : array_like of 0/1
        1 for a child in an intervention area (constant within an area).
    after : array_like of 0/1
        1 for a child born after the programme start.
    areas : array_like
        The area (cluster) of each child.
    covariates : pandas.DataFrame, optional
        Covariates per child, in the same order (complete cases analysed).
    area_effects : bool, optional
        Area fixed effects instead of the arm dummy.
    period_effects : array_like, optional
        A period label per child (e.g. birth half-year) for period fixed effects.
    wild_bootstrap : bool, optional
        Run the wild cluster score bootstrap; by default with fewer than 30 areas.
    bootstrap_weights : {"webb", "rademacher"}, optional
        The bootstrap's area weights (Webb by default).
    bootstrap_reps : int, optional
        Replicates (every pattern when there are no more).
    seed : int, optional
        Seed of the draws.
    recentre : {"hessian", "share"}, optional
        The score bootstrap's recentring (module docstring); "share" is boottest's.
    confidence : float, optional
        Confidence level, 0.95 by default.

    Returns
    -------
    Estimate
        measure "ratio_of_rate_ratios" ("ratio_of_count_ratios" without person-time),
        method "poisson_did": exp(b3) with `se` on the log scale. With fewer than 30 areas
        (or `wild_bootstrap=True`) the p is the score bootstrap's and the interval inverts
        it (flag "wild_bootstrap", "interval_unbounded" when it cannot be bounded);
        otherwise the CR1 Wald interval with t on G − 1 df. Never narrower than the
        child-level HC1 interval ("widened_to_child_level"). Flags "few_areas" and
        "few_treated_areas" as in `did.py`. With one area in an arm: the point estimate
        only, with the reason ("point_estimate_only"). `details` holds the cells (events,
        person-time, rate), the coefficient, the CR1, HC1 and model-based SEs, the CR1
        interval and p, and the bootstrap note. Not estimable, with the reason, when a
        cell is empty or has no events ("empty_cell", "zero_cell"), an area (with area
        effects) or period has no events, an area switches arm, the design is singular
        or the fit does not converge.

    Raises
    ------
    ValueError
        If events are not non-negative whole numbers, person-time is negative (or zero
        with events), a 0/1 input has other values, the lengths differ, a period label is
        missing, or `confidence` is not between 0 and 1.

    Examples
    --------
    Four areas, each seen over 100 child-years before and after the start. In the
    intervention areas the rate of emergency contacts falls from 0.45 to 0.23 per
    child-year (46 / 200), in the comparison areas it stays about 0.375 (75 / 200 after,
    75 / 200 before): the ratio of rate ratios is (46 / 90) / (75 / 75) = 0.511.

    >>> import numpy as np
    >>> from pipeline.stats.did_counts import poisson_did
    >>> events = [40, 20, 50, 26, 30, 31, 45, 44]  # one row per area and period: A before, ...
    >>> areas = np.repeat(["A", "B", "C", "D"], 2)
    >>> treated, after = np.repeat([1, 1, 0, 0], 2), np.tile([0, 1], 4)
    >>> result = poisson_did(events, [100] * 8, treated, after, areas)
    >>> round(result.estimate, 4), result.details["cells"]["events"].tolist()
    (0.5111, [46, 90, 75, 75])
    >>> result.details["wild_bootstrap"].split(" (")[0]  # all 1296 Webb patterns of 4 areas
    'wild cluster score bootstrap-t p = 0.0278'

    With four areas the p is raised to the child-level (HC1) one, and no ratio below the
    estimate is rejected: the interval has no lower bound.

    >>> round(result.p_value, 3), result.ci_low, result.flags
    (0.123, None, ('wild_bootstrap', 'widened_to_child_level', 'interval_unbounded',
                   'few_areas', 'few_treated_areas'))

    A cell without events has no ratio:

    >>> poisson_did([0, 3, 2, 2], None, [1, 1, 0, 0], [0, 1, 0, 1], ["A", "A", "C", "C"]).flags
    ('zero_cell',)
    """
    check_confidence(confidence)
    rows = _rows(events, person_time, treated_area, after, areas, covariates, period_effects)
    measure = "ratio_of_rate_ratios" if person_time is not None else "ratio_of_count_ratios"
    cells = _cells(rows)
    n = len(rows.events)
    n_clusters = int(rows.clusters.max() + 1) if n else 0
    n_treated = len(np.unique(rows.clusters[rows.treated == 1]))
    n_control = n_clusters - n_treated
    base = {"n": n, "events": int(round(float(rows.events.sum()))), "confidence": confidence,
            "dropped": rows.design.dropped}
    details = dict(rows.notes) | {"cells": cells, "n_clusters_treated": n_treated,
                                  "area_effects": area_effects,
                                  "period_effects": "labels" if rows.periods is not None
                                  else "post dummy"}
    try:
        _require_events(rows, cells, area_effects)
        exog = _exog(rows, area_effects)
        # matrix_rank's decision from X'X; the array let go before the fit (held through it,
        # a million rows' 0.2 GB made the fit's own arrays fresh memory: slower, not faster)
        if not full_column_rank(exog.to_numpy()):
            raise NotEstimable("singular design: a covariate is collinear with area or period")
        data = _CountData(events=rows.events, log_offset=rows.log_offset,
                          treatment=rows.treated * rows.post, exog=exog,
                          clusters=rows.clusters, design=rows.design, notes={},
                          has_person_time=person_time is not None, exposure_name=_INTERACTION,
                          person_time_by_group={})
        fit = _fit_poisson(data)
    except NotEstimable as reason:
        return Estimate.not_estimable(measure, METHOD, reason, details=details, **base)

    k = exog.columns.get_loc(_INTERACTION)
    coef = float(fit.params.iloc[k])
    bread = np.linalg.inv(fit.information())
    scores = fit.scores()
    n_params = exog.shape[1]
    se_hc1 = float(np.sqrt((bread @ _sandwich(scores, data, "HC1") @ bread)[k, k]))
    details |= {"log_ratio": coef, "se_model": float(np.sqrt(bread[k, k])), "se_hc1": se_hc1,
                "coefficients": dict(zip(exog.columns, map(float, fit.params), strict=True))}
    flags = []
    if n_clusters < FEW_CLUSTERS:
        flags.append("few_areas")
    if 0 < n_treated < FEW_TREATED_CLUSTERS:
        flags.append("few_treated_areas")
    if n_treated < 2 or n_control < 2:
        return Estimate(
            measure, METHOD, math.exp(coef),
            reason=f"{n_treated} intervention and {n_control} comparison area(s): with one "
            "area in an arm the area effect cannot be separated from the programme's and the "
            "cluster-robust variance of the DiD term is degenerate, so there is no reliable "
            "interval (the child-level HC1 one ignores the correlation within areas)",
            flags=("point_estimate_only", *flags), se=None, log_scale=True,
            details=details, **base)
    if n <= n_params:
        return Estimate.not_estimable(measure, METHOD, f"{n} rows for {n_params} coefficients",
                                      details=details, **base)

    se_cluster = float(np.sqrt((bread @ _sandwich(scores, data, "cluster") @ bread)[k, k]))
    df = n_clusters - 1
    critical = float(stats.t.ppf(0.5 + confidence / 2, df))
    se = max(se_cluster, se_hc1)
    widened = se_hc1 > se_cluster
    cluster_p = float(2 * stats.t.sf(abs(coef / se), df))
    low, high = coef - critical * se, coef + critical * se
    details |= {"se_cluster_robust": se_cluster,
                "se_type": "cluster-robust CR1 by area (at least the HC1 SE)",
                "reference_distribution": f"t with {df} df",
                "cluster_robust_ci": (math.exp(low), math.exp(high)),
                "cluster_robust_p": cluster_p}
    run_bootstrap = n_clusters < FEW_CLUSTERS if wild_bootstrap is None else wild_bootstrap
    if run_bootstrap:
        try:
            # children of one area with the same regressors are one row, their events and
            # person-time summed: the restricted fits' scores and information are the
            # children's, on fewer rows (a million children's rate: 503,534 -> 181,654)
            x = exog.to_numpy()
            pattern, first = row_patterns(np.column_stack([rows.clusters, x]))
            bootstrap = WildClusterScoreBootstrap(
                np.bincount(pattern, weights=rows.events),
                np.log(np.bincount(pattern, weights=np.exp(rows.log_offset))), x[first], k,
                rows.clusters[first], weights=bootstrap_weights, reps=bootstrap_reps,
                seed=seed, recentre=recentre, counts=np.bincount(pattern).astype(float))
            boot_p = bootstrap.p_value(0.0)
            details["wild_bootstrap"] = bootstrap.note(boot_p)
            boot_low, boot_high = bootstrap.interval(coef, se_cluster, confidence)
        except NotEstimable as error:
            details["wild_bootstrap"] = f"wild cluster score bootstrap not estimable: {error}"
        else:
            # never narrower than the child-level (HC1) interval, nor a smaller p
            hc1_low, hc1_high = coef - critical * se_hc1, coef + critical * se_hc1
            hc1_p = float(2 * stats.t.sf(abs(coef / se_hc1), df))
            widened = ((boot_low is not None and boot_low > hc1_low)
                       or (boot_high is not None and boot_high < hc1_high) or boot_p < hc1_p)
            low = None if boot_low is None else min(boot_low, hc1_low)
            high = None if boot_high is None else max(boot_high, hc1_high)
            cluster_p = max(boot_p, hc1_p)
            flags.insert(0, "wild_bootstrap")
            if low is None or high is None:
                flags.insert(1, "interval_unbounded")
            details["se_type"] = ("wild cluster score bootstrap (restricted), interval by "
                                  "test inversion on the log scale")
    if widened:
        flags.insert(flags.index("wild_bootstrap") + 1 if "wild_bootstrap" in flags else 0,
                     "widened_to_child_level")
    order = ["wild_bootstrap", "widened_to_child_level", "interval_unbounded", "few_areas",
             "few_treated_areas"]
    return Estimate(
        measure, METHOD, math.exp(coef),
        None if low is None else math.exp(low), None if high is None else math.exp(high),
        cluster_p, se=se, log_scale=True, n_clusters=n_clusters,
        flags=tuple(sorted(flags, key=order.index)), details=details, **base)


def rate_difference_did(
    events: object,
    person_time: object,
    treated_area: object,
    after: object,
    areas: object,
    covariates: pd.DataFrame | None = None,
    **options: object,
) -> DidResult:
    """DiD of rates (events per unit person-time) as a person-time-weighted linear DiD.

    Each child's rate events / person-time, weighted by person-time, through
    `did.difference_in_differences(..., outcome_kind="continuous", weights=person_time)`:
    without covariates the DiD is (r11 − r10) − (r01 − r00), each r a cell's total events
    over its total person-time, with the same cluster-robust and WCR inference as a binary
    DiD. Children without person-time are left out.

    Parameters
    ----------
    events : array_like of int
        Events per child.
    person_time : array_like of float
        Each child's time at risk (the rate's unit: child-years gives a rate per child-year).
    treated_area, after, areas, covariates
        As `poisson_did`.
    **options
        Passed on to `difference_in_differences` (area_effects, period_effects,
        wild_bootstrap, bootstrap_weights, bootstrap_reps, seed, confidence).

    Returns
    -------
    DidResult
        The rate difference DiD (events per unit person-time) with cluster-robust, HC1
        and, with few areas, WCR inference; `cells` has each cell's person-time ("weight")
        and rate ("mean").

    Raises
    ------
    ValueError
        If person-time is negative or events are negative, or as
        `difference_in_differences`.

    Examples
    --------
    The data of `poisson_did`'s example: (0.23 − 0.45) − (0.375 − 0.375) = −0.22 contacts
    per child-year.

    >>> import numpy as np
    >>> from pipeline.stats.did_counts import rate_difference_did
    >>> events = [40, 20, 50, 26, 30, 31, 45, 44]
    >>> areas = np.repeat(["A", "B", "C", "D"], 2)
    >>> treated, after = np.repeat([1, 1, 0, 0], 2), np.tile([0, 1], 4)
    >>> result = rate_difference_did(events, [100] * 8, treated, after, areas,
    ...                              wild_bootstrap=False)
    >>> result.cells["mean"].round(4).tolist(), round(result.clustered.estimate, 4)
    ([0.23, 0.45, 0.375, 0.375], -0.22)
    """
    counts = pd.Series(events).astype("Float64").to_numpy(dtype="float64", na_value=np.nan)
    time = pd.Series(person_time).astype("Float64").to_numpy(dtype="float64", na_value=np.nan)
    if (counts[~np.isnan(counts)] < 0).any() or (time[~np.isnan(time)] < 0).any():
        raise ValueError("events and person_time must be non-negative")
    if len(counts) != len(time):
        raise ValueError("events and person_time differ in length")
    with np.errstate(divide="ignore", invalid="ignore"):
        rate = np.where(time > 0, counts / time, np.nan)
    return difference_in_differences(rate, treated_area, after, areas, covariates,
                                     outcome_kind="continuous", weights=time, **options)
