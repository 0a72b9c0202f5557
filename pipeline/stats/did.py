"""Difference-in-differences for a binary outcome (linear probability model).

    y = b0 + b1 * treated_area + b2 * post + b3 * treated_area:post (+ covariates) + e

b3 is the DiD estimate on the risk-difference scale. Without covariates the model is
saturated and b3 = (p11 - p10) - (p01 - p00) exactly (first index: treated area,
second: post period).

Inference:
- cluster-robust (CR1) standard errors by area — statsmodels `cov_type="cluster"`, with
  the small-sample factor G/(G-1) * (N-1)/(N-K) and t reference with G-1 df;
- with fewer than 30 areas the cluster-robust SE is known to be too small (Bertrand,
  Duflo & Mullainathan 2004, QJE 119:249; Cameron, Gelbach & Miller 2008, REStat 90:414),
  so a wild cluster bootstrap-t p-value is added: restricted (null b3 = 0 imposed),
  Webb six-point weights by default (Webb 2023, Can J Econ 56:839; for very few clusters)
  or Rademacher (enumerated exactly when 2^G is small), with a fixed seed;
- with one area per arm (two clusters) the cluster-robust SE is not estimable (the
  cluster scores are identically zero); the heteroskedasticity-robust (HC1) result is
  then the explicitly labelled fallback — it ignores correlation within areas and is
  anti-conservative whenever areas differ beyond chance.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from itertools import product
from typing import Literal

import numpy as np
import pandas as pd
import statsmodels.api as sm
from scipy import stats
from statsmodels.regression.linear_model import RegressionResultsWrapper

from pipeline.stats._design import as_binary, build_covariate_design
from pipeline.stats.results import Estimate, NotEstimable

METHOD = "did"
MEASURE = "did"
FEW_CLUSTERS = 30
VERY_FEW_CLUSTERS = 10
DEFAULT_SEED = 20_240_601

_WEBB_POINTS = np.array([-np.sqrt(1.5), -1.0, -np.sqrt(0.5), np.sqrt(0.5), 1.0, np.sqrt(1.5)])


@dataclass(frozen=True)
class DidResult:
    """DiD estimate with cluster-robust and HC1 inference, bootstrap p-value and caveats."""

    clustered: Estimate
    heteroskedasticity_robust: Estimate
    wild_bootstrap_p: float | None
    wild_bootstrap_note: str | None
    n_clusters: int
    n_clusters_treated: int
    caveats: tuple[str, ...]
    cells: pd.DataFrame = field(default_factory=pd.DataFrame)

    @property
    def preferred(self) -> Estimate:
        """The cluster-robust result when estimable, else the labelled HC1 fallback."""
        return self.clustered if self.clustered.estimable else self.heteroskedasticity_robust

    def summary(self) -> str:
        lines = [
            f"Difference-in-differences (linear probability), {self.n_clusters} areas "
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
    wild_bootstrap: bool | None = None,
    bootstrap_weights: Literal["webb", "rademacher"] = "webb",
    bootstrap_reps: int = 9999,
    seed: int = DEFAULT_SEED,
    confidence: float = 0.95,
) -> DidResult:
    """DiD on the risk-difference scale with SEs clustered by area.

    `treated_area` and `post` are 0/1 per child; `area` labels the cluster. The wild
    cluster bootstrap runs by default when there are fewer than 30 areas.
    """
    y_all = as_binary(outcome, "outcome")
    d_all = as_binary(treated_area, "treated_area")
    p_all = as_binary(post, "post")
    area_all = pd.Series(area).reset_index(drop=True)
    if not len(y_all) == len(d_all) == len(p_all) == len(area_all):
        raise ValueError("outcome, treated_area, post and area differ in length")
    observed = ~(np.isnan(y_all) | np.isnan(d_all) | np.isnan(p_all) | area_all.isna().to_numpy())
    design = build_covariate_design(covariates, len(y_all), observed)
    keep = design.kept_rows
    y, d, p = y_all[keep], d_all[keep], p_all[keep]
    clusters = pd.factorize(area_all[keep])[0]
    n = len(y)
    n_clusters = int(clusters.max() + 1) if n else 0
    treated_clusters = np.unique(clusters[d == 1])
    n_treated_clusters = len(treated_clusters)
    notes = design.notes()
    base = {"n": n, "events": int(y.sum()), "confidence": confidence}

    cells = _cells(y, d, p)
    empty = cells[cells["n"] == 0]
    inconsistent = _areas_switching_arm(clusters, d)
    reason = None
    if not empty.empty:
        which = ", ".join(f"{a}/{b}" for a, b in empty.index)
        reason = f"empty cell(s) in the area-by-period table: {which}"
    elif inconsistent:
        reason = (
            "some areas are labelled both treated and comparison; treated_area must be "
            "constant within an area"
        )
    if reason:
        blank = Estimate.not_estimable(MEASURE, METHOD, reason, details=notes, **base)
        return DidResult(blank, blank, None, None, n_clusters, n_treated_clusters, (), cells)

    exog = pd.concat(
        [
            pd.DataFrame({"const": 1.0, "treated_area": d, "post": p, "treated_area:post": d * p}),
            design.covariates.reset_index(drop=True),
        ],
        axis=1,
    )
    x = exog.to_numpy()
    k = exog.columns.get_loc("treated_area:post")
    if np.linalg.matrix_rank(x) < x.shape[1]:
        blank = Estimate.not_estimable(
            MEASURE,
            METHOD,
            "singular design: a covariate is collinear with area or period",
            details=notes,
            **base,
        )
        return DidResult(blank, blank, None, None, n_clusters, n_treated_clusters, (), cells)

    z = stats.norm.ppf(0.5 + confidence / 2)
    hc1_fit = sm.OLS(y, x).fit(cov_type="HC1")
    hc1 = _estimate(
        hc1_fit,
        k,
        z,
        base,
        notes
        | {
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
            details=notes,
            **base,
        )
        return DidResult(clustered, hc1, None, None, n_clusters, n_treated_clusters, caveats, cells)

    cluster_fit = sm.OLS(y, x).fit(cov_type="cluster", cov_kwds={"groups": clusters}, use_t=True)
    t_crit = stats.t.ppf(0.5 + confidence / 2, n_clusters - 1)
    clustered = _estimate(
        cluster_fit,
        k,
        t_crit,
        base,
        notes
        | {
            "se_type": "cluster-robust CR1 by area",
            "reference_distribution": f"t with {n_clusters - 1} df",
            "n_clusters": n_clusters,
        },
        df=n_clusters - 1,
    )

    run_bootstrap = n_clusters < FEW_CLUSTERS if wild_bootstrap is None else wild_bootstrap
    boot_p = boot_note = None
    if run_bootstrap:
        try:
            boot_p, boot_note = wild_cluster_bootstrap_p(
                y, x, k, clusters, weights=bootstrap_weights, reps=bootstrap_reps, seed=seed
            )
        except NotEstimable as error:
            boot_note = f"wild cluster bootstrap not estimable: {error}"
        clustered = Estimate(
            **(
                clustered.to_dict()
                | {
                    "details": clustered.details
                    | {"wild_bootstrap_p": boot_p, "wild_bootstrap": boot_note}
                }
            )
        )
    return DidResult(
        clustered, hc1, boot_p, boot_note, n_clusters, n_treated_clusters, caveats, cells
    )


def _estimate(
    fit: RegressionResultsWrapper,
    k: int,
    critical: float,
    base: dict,
    details: dict,
    df: int | None = None,
) -> Estimate:
    coef = float(fit.params[k])
    se = float(fit.bse[k])
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
        details=details | {"se": se},
        **base,
    )


def _cells(y: np.ndarray, d: np.ndarray, p: np.ndarray) -> pd.DataFrame:
    """Children, events and proportion in each treated_area x post cell."""
    rows = []
    for area_arm, period in product((1, 0), (1, 0)):
        in_cell = (d == area_arm) & (p == period)
        count = int(in_cell.sum())
        events = int(y[in_cell].sum())
        rows.append(
            {
                "treated_area": area_arm,
                "post": period,
                "n": count,
                "events": events,
                "proportion": events / count if count else None,
            }
        )
    return pd.DataFrame(rows).set_index(["treated_area", "post"])


def _areas_switching_arm(clusters: np.ndarray, d: np.ndarray) -> bool:
    frame = pd.DataFrame({"cluster": clusters, "d": d})
    return bool((frame.groupby("cluster")["d"].nunique() > 1).any())


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
    if 0 < n_treated < 5:
        found.append(
            f"only {n_treated} treated area(s): with few treated clusters even the wild "
            "cluster bootstrap can misstate the p-value (MacKinnon & Webb 2017)"
        )
    return tuple(found)


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

    WCR (Cameron, Gelbach & Miller 2008; MacKinnon & Webb): residuals of the model fitted
    with coefficient k set to 0 are multiplied by one weight per cluster; each bootstrap
    sample is refitted and its CR1 t-statistic compared with the observed one. Because the
    design is fixed, the bootstrap coefficient and its cluster score are linear in the
    cluster weights, so all replicates are computed as matrix products (no refitting).
    Rademacher weights are enumerated exactly when 2^G <= reps.
    """
    n, n_params = x.shape
    n_clusters = int(clusters.max() + 1)
    xtx_inv = np.linalg.inv(x.T @ x)
    a_k = (xtx_inv @ x.T)[k]  # beta_k = a_k . y
    h = x @ xtx_inv[:, k]  # (X'X)^-1 row k spread over observations: c' X_g' e_g = sum h e
    correction = n_clusters / (n_clusters - 1) * (n - 1) / (n - n_params)

    def t_statistic(beta_k: np.ndarray, score_by_cluster: np.ndarray) -> np.ndarray:
        variance = correction * (score_by_cluster**2).sum(axis=0)
        with np.errstate(divide="ignore", invalid="ignore"):
            return beta_k / np.sqrt(variance)

    residual = y - x @ (xtx_inv @ (x.T @ y))
    observed_scores = np.bincount(clusters, weights=h * residual, minlength=n_clusters)
    observed_t = t_statistic(np.array([a_k @ y]), observed_scores[:, None])[0]
    if not np.isfinite(observed_t):
        raise NotEstimable("the observed cluster-robust t-statistic is undefined")

    restricted_x = np.delete(x, k, axis=1)
    restricted_beta, *_ = np.linalg.lstsq(restricted_x, y, rcond=None)
    restricted_residual = y - restricted_x @ restricted_beta
    # y* = fitted_restricted + v[g] * u: beta*_k = sum_g v_g q_g (the fitted part has
    # beta_k = 0), and the unrestricted residual e* = M (v[g] * u) gives per-cluster scores
    # S v with S = diag(sum_g h u) - H, H[g, g'] = sum_{i in g} h_i (X A_{g'} u_{g'})_i.
    indicator = np.zeros((n, n_clusters))
    indicator[np.arange(n), clusters] = 1.0
    u_by_cluster = indicator * restricted_residual[:, None]  # n x G
    q = a_k @ u_by_cluster
    projected = x @ (xtx_inv @ (x.T @ u_by_cluster))  # n x G
    score_matrix = np.diag(
        np.bincount(clusters, weights=h * restricted_residual, minlength=n_clusters)
    )
    score_matrix -= indicator.T @ (h[:, None] * projected)

    if weights == "rademacher" and 2**n_clusters <= reps:
        draws = np.array(list(product((-1.0, 1.0), repeat=n_clusters))).T
        how = f"all {draws.shape[1]} Rademacher sign patterns enumerated"
    else:
        rng = np.random.default_rng(seed)
        if weights == "rademacher":
            draws = rng.choice([-1.0, 1.0], size=(n_clusters, reps))
        elif weights == "webb":
            draws = rng.choice(_WEBB_POINTS, size=(n_clusters, reps))
        else:
            raise ValueError(f"bootstrap weights must be 'webb' or 'rademacher', not {weights!r}")
        how = f"{reps} draws of {weights.capitalize()} weights, seed {seed}"
    boot_t = t_statistic(q @ draws, score_matrix @ draws)
    boot_t = boot_t[np.isfinite(boot_t)]
    if boot_t.size == 0:
        raise NotEstimable("every bootstrap t-statistic was undefined")
    # A draw that reproduces the data (all weights +1) ties with the observed t; the
    # relative tolerance keeps rounding from deciding such ties.
    p_value = float(np.mean(np.abs(boot_t) >= abs(observed_t) * (1 - 1e-9)))
    note = (
        f"wild cluster bootstrap-t p = {p_value:.3g} (restricted, null imposed; {how}; "
        f"{n_clusters} clusters)"
    )
    return p_value, note
