"""Complier effects: the effect of taking up the programme, not of being offered it.

Families in an intervention area are offered the programme; only some accept. The
intention-to-treat (ITT) effect is the effect of the offer. The effect among the families
who take the programme up when offered (the compliers) is the ITT scaled by the share who
take it up — never a contrast of accepting families with everyone else (the old
"per-protocol" contrast), which compares families that selected themselves.

- `complier_effect`: the complier average causal effect (CACE; Angrist, Imbens & Rubin
  1996, JASA 91:444), the ratio of the ITT risk difference to the difference in take-up
  between the arms (Bloom 1984, Eval Rev 8:225, for one-sided non-compliance, where the
  denominator is the take-up share in the intervention arm).
- `fuzzy_did`: the Wald-DID (de Chaisemartin & D'Haultfœuille 2018, Rev Econ Stud
  85:999), the DiD of the outcome divided by the DiD of take-up, when the programme is
  offered in some areas from a start date.

Both are computed as a just-identified instrumental-variable (two-stage least squares)
regression — instrument: the offer (arm, or arm × post); endogenous regressor: take-up —
which gives exactly the ratio above without covariates and its covariate-adjusted version
with them (Angrist & Pischke 2009, Mostly Harmless Econometrics §4.1). With one instrument
and one endogenous regressor the IV coefficient is exactly the reduced-form (ITT)
coefficient divided by the first-stage (take-up) coefficient; both are in `details`.

The standard error is the IV sandwich (Z'X)⁻¹ [Σ s s'] (X'Z)⁻¹ with scores s = z·u built
from the structural residuals u = y − X b: per child with the HC1 factor n/(n − k) for the
CACE, per area with the CR1 factor G/(G − 1)·(n − 1)/(n − k) for the fuzzy DiD. Without
covariates the CACE's HC0 version equals the delta-method SE of the ratio with plug-in
variances, so HC1 = delta method × sqrt(n/(n − 2)).

Assumptions (what a reader must accept for the number to be the complier effect): the
offer is as good as random given the covariates (CACE) or parallel trends in the outcome
without the programme (fuzzy DiD); the offer changes outcomes only through take-up
(exclusion: no effect on families who decline, e.g. through area-wide activities); no
family takes the programme up only because it is *not* offered (monotonicity, automatic
when the comparison arm cannot take it up).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from pipeline.stats._design import (
    areas_in_both_arms,
    as_binary,
    as_text,
    both_arms_reason,
    build_covariate_design,
    full_column_rank,
    level_dummies,
    pattern_spread,
    require_treatment_identified,
    well_conditioned,
    zero_one,
)
from pipeline.stats._irls import cross_product
from pipeline.stats.did import COLLAPSE_SHARE, _patterns
from pipeline.stats.proportions import check_confidence
from pipeline.stats.results import Estimate, NotEstimable

MEASURE = "risk_difference"
METHOD_CACE = "cace"
METHOD_FUZZY_DID = "fuzzy_did"
# First-stage F below this flags a weak instrument (Staiger & Stock 1997, Econometrica
# 65:557; with one instrument the robust F is the effective F of Montiel Olea & Pflueger
# 2013, as recommended by Andrews, Stock & Sun 2019, Annu Rev Econ 11:727).
WEAK_INSTRUMENT_F = 10.0
# Fewer areas than this: cluster-robust SEs tend to be too small (as in did.py).
FEW_CLUSTERS = 30
# A take-up difference smaller than this is treated as none (floating-point zero).
_NO_TAKE_UP_DIFFERENCE = 1e-12


@dataclass(frozen=True)
class _IvFit:
    """A just-identified IV fit: the effect, reduced form and first stage, with robust SEs."""

    estimate: float
    se: float
    itt: float
    itt_se: float
    first_stage: float
    first_stage_se: float
    hc1: _IvFit | None = None  # the same fit with HC1 SEs, when asked for beside CR1 ones


def _robust_variance(influence: np.ndarray, k: int, clusters: np.ndarray | None) -> float:
    """The sandwich variance of one coefficient, b · Σ s s' · b (b: its row of the bread),
    with scores s = z·residual per child (HC1) or summed per area (CR1), from each child's
    influence b · s = (z·b)·residual: summed per area, so no rows x columns scores are formed."""
    n = len(influence)
    if clusters is None:
        return n / (n - k) * float(influence @ influence)
    n_clusters = int(clusters.max() + 1)
    by_area = np.bincount(clusters, weights=influence, minlength=n_clusters)
    return n_clusters / (n_clusters - 1) * (n - 1) / (n - k) * float(by_area @ by_area)


@dataclass(frozen=True)
class _IvChildren:
    """The IV's children as patterns: children with the same area, 0/1 regressors, offer,
    take-up and outcome are one row with their count, a regressor that is not 0/1 (the
    mother's age) at its pattern's mean, each child by its deviation from it (as the event
    study's `_EventStudyChildren`). Z'Z, Z'X, Z'y and Z'd are then sums over the patterns and
    their children's scatter; each child's influence on an SE is its pattern's, moved by its
    deviations. A million children's fuzzy DiD (34 columns): some 0.15 s instead of 0.5."""

    z: np.ndarray  # each pattern's instruments [exog, offer] (patterns x k)
    x: np.ndarray  # each pattern's regressors [exog, take-up]
    y: np.ndarray
    take_up: np.ndarray
    counts: np.ndarray  # children per pattern
    pattern: np.ndarray  # each child's
    spread: np.ndarray  # the columns not 0/1, as positions in z and x
    deviations: np.ndarray | None  # children x spread: value minus its pattern's mean

    @classmethod
    def of(cls, y: np.ndarray, take_up: np.ndarray, offer: np.ndarray, exog: np.ndarray,
           clusters: np.ndarray | None) -> _IvChildren | None:
        """The patterns, or None when they would be more than half the children."""
        binary = np.array([zero_one(column) for column in exog.T], dtype=bool)
        spread = np.flatnonzero(~binary)
        # the 0/1 columns as views (np.delete would copy the design: 0.26 GB at a million)
        keys = [*([] if clusters is None else [clusters]),
                *(exog[:, j] for j in np.flatnonzero(binary)), offer, take_up, y]
        found = _patterns(keys, most=COLLAPSE_SHARE * len(y))
        if found is None:
            return None
        pattern, counts = found
        first = np.zeros(len(counts), dtype=np.intp)
        first[pattern] = np.arange(len(y))  # one child of each pattern
        rows = exog[first]
        deviations = None
        if len(spread):
            means, deviations, _, _ = pattern_spread(pattern, counts, exog[:, spread])
            rows[:, spread] = means
        return cls(np.column_stack([rows, offer[first]]), np.column_stack([rows, take_up[first]]),
                   y[first], take_up[first], counts, pattern, spread, deviations)

    def cross(self, left: np.ndarray, right: np.ndarray) -> np.ndarray:
        """The children's L'R for two of z and x (each pattern's mean rows counted for its
        children, plus their scatter in the columns not 0/1, which z and x share)."""
        product = cross_product(left, right * self.counts[:, None])
        if self.deviations is not None:
            product[np.ix_(self.spread, self.spread)] += cross_product(self.deviations)
        return product

    def each_child(self, rows: np.ndarray, params: np.ndarray) -> np.ndarray:
        """Each child's row of `rows` (z or x) times `params`."""
        product = (rows @ params)[self.pattern]
        if self.deviations is not None:
            product += self.deviations @ params[self.spread]
        return product


def _fit_iv(
    y: np.ndarray, take_up: np.ndarray, offer: np.ndarray, exog: np.ndarray,
    clusters: np.ndarray | None, *, with_hc1: bool = False,
) -> _IvFit:
    """y on [exog, take_up] instrumented by [exog, offer]; the last coefficient is the effect.

    SEs clustered by `clusters` (HC1 when None); `with_hc1` adds the HC1 ones as `hc1`, from
    the same fit. The children are summed as patterns (`_IvChildren`) where they are few and
    their Z'Z is clearly of full rank (else every child's row is used, and its rank decided)."""
    n, k = len(y), exog.shape[1] + 1
    children = _IvChildren.of(y, take_up, offer, exog, clusters)
    if children is not None:
        ztz = children.cross(children.z, children.z)
        if not well_conditioned(ztz):
            children = None
    if children is None:
        z = np.column_stack([exog, offer])
        x = np.column_stack([exog, take_up])
        if not full_column_rank(z):
            raise NotEstimable("singular design: a covariate is collinear with the offer of the "
                               "programme or with another covariate")
        ztz, ztx, zty, ztd = z.T @ z, z.T @ x, z.T @ y, z.T @ take_up
    else:
        z, x = children.z, children.x
        ztx = children.cross(z, x)
        zty, ztd = z.T @ (children.counts * children.y), z.T @ (children.counts * children.take_up)
    if n <= k:
        raise NotEstimable(f"{n} children for {k} parameters: too few to estimate")
    ztz_inv = np.linalg.inv(ztz)
    reduced_form = ztz_inv @ zty
    first_stage = ztz_inv @ ztd
    if abs(first_stage[-1]) < _NO_TAKE_UP_DIFFERENCE:
        raise NotEstimable("take-up does not differ with the offer (given the covariates): "
                           "there are no compliers to estimate an effect for")
    bread = np.linalg.inv(ztx)
    params = bread @ zty

    def influence(row: np.ndarray, outcome: str, rows: np.ndarray, fitted: np.ndarray) -> np.ndarray:
        """Each child's (z·row)·(outcome − rows·fitted)."""
        if children is None:
            return (z @ row) * ((y if outcome == "y" else take_up) - rows @ fitted)
        own = children.y if outcome == "y" else children.take_up
        return children.each_child(z, row) * (own[children.pattern]
                                               - children.each_child(rows, fitted))

    influences = (influence(bread[-1], "y", x, params), influence(ztz_inv[-1], "y", z, reduced_form),
                  influence(ztz_inv[-1], "take_up", z, first_stage))

    def with_ses(by: np.ndarray | None) -> _IvFit:
        effect, itt, first = (np.sqrt(_robust_variance(each, k, by)) for each in influences)
        return _IvFit(float(params[-1]), float(effect), float(reduced_form[-1]), float(itt),
                      float(first_stage[-1]), float(first))

    fit = with_ses(clusters)
    return replace(fit, hc1=with_ses(None)) if with_hc1 else fit


def _first_stage_f(fit: _IvFit) -> float | None:
    """First-stage strength: the robust F (= t², one instrument)."""
    return (fit.first_stage / fit.first_stage_se) ** 2 if fit.first_stage_se > 0 else None


def _weak_instrument(fit: _IvFit) -> tuple[str, ...]:
    """The flag "weak_instrument" when the first-stage F is below 10."""
    f = _first_stage_f(fit)
    return ("weak_instrument",) if f is not None and f < WEAK_INSTRUMENT_F else ()


def _take_up_where_offered(
    accepted: object, offered: np.ndarray, name: str
) -> tuple[np.ndarray, int]:
    """Take-up as 0/1; missing where the programme was not offered is 0 (and counted).

    Where the programme is not offered (comparison arm, or before the start) a family
    cannot take it up, so a missing value there is a structural 0, not an unknown.
    """
    values = as_binary(accepted, name)
    fill = np.isnan(values) & (offered == 0)
    values[fill] = 0.0
    return values, int(fill.sum())


def complier_effect(
    outcome: object,
    assigned: object,
    accepted: object,
    covariates: pd.DataFrame | None = None,
    *,
    confidence: float = 0.95,
) -> Estimate:
    """Complier average causal effect (CACE) on the risk-difference scale, with a Wald interval.

    `outcome`, `assigned` (1 = intervention arm, offered the programme) and `accepted`
    (1 = the family took it up) are 0/1 per child. CACE = ITT / (take-up in the intervention
    arm − take-up in the comparison arm); with one-sided non-compliance (nobody in the
    comparison arm can take it up) the denominator is the intervention arm's acceptance
    share (Angrist, Imbens & Rubin 1996). With `covariates` it is the just-identified IV
    with the covariates as exogenous regressors. SE: HC1 sandwich of the IV; interval and
    p from the normal distribution.

    Rows with a missing outcome or assignment are left out; a missing `accepted` in the
    comparison arm is taken as 0 (not offered), in the intervention arm the child is left
    out — both counted in `details`.

    Parameters
    ----------
    outcome : array_like of 0/1
        The outcome per child (1 = event; missing = left out).
    assigned : array_like of 0/1
        1 for a child in the intervention arm (offered the programme), 0 in the comparison
        arm.
    accepted : array_like of 0/1
        1 when the family took the programme up.
    covariates : pandas.DataFrame, optional
        Covariates per child, one row per child in the same order (categoricals are
        dummy-coded; a child with a missing covariate is left out and counted).
    confidence : float, optional
        Confidence level, 0.95 by default.

    Returns
    -------
    Estimate
        measure "risk_difference", method "cace": the complier effect (0-1 scale) with its
        normal interval and p; `details` has the ITT ("itt"), the take-up difference
        ("acceptance_difference"), the first-stage F and "weak_instrument" flag, the
        take-up counts, what was left out. Not estimable, with the reason, when an arm is
        empty, nobody took the programme up, the outcome does not vary, or treatment is
        collinear with the covariates.

    Raises
    ------
    ValueError
        If `outcome`, `assigned` or `accepted` is not 0/1, they differ in length, the
        covariates have another number of rows, or `confidence` is not between 0 and 1.

    Examples
    --------
    12 of 20 children in the intervention arm and 8 of 20 in the comparison arm had the
    outcome (ITT 0.2); half the intervention families took the programme up and nobody
    else could (missing take-up in the comparison arm counts as 0): CACE = 0.2 / 0.5.

    >>> from pipeline.stats.complier import complier_effect
    >>> outcome = [1] * 12 + [0] * 8 + [1] * 8 + [0] * 12
    >>> assigned = [1] * 20 + [0] * 20
    >>> accepted = [1] * 8 + [0] * 4 + [1] * 2 + [0] * 6 + [None] * 20
    >>> result = complier_effect(outcome, assigned, accepted)
    >>> round(result.estimate, 4), round(result.details["itt"], 4), result.details["one_sided"]
    (0.4, 0.2, True)
    """
    check_confidence(confidence)
    y_all = as_binary(outcome, "outcome")
    z_all = as_binary(assigned, "assigned")
    if not len(y_all) == len(z_all) == len(pd.Series(accepted)):
        raise ValueError("outcome, assigned and accepted differ in length")
    d_all, filled = _take_up_where_offered(accepted, z_all, "accepted")
    missing_take_up = int((np.isnan(d_all) & ~np.isnan(y_all) & ~np.isnan(z_all)).sum())
    observed = ~(np.isnan(y_all) | np.isnan(z_all) | np.isnan(d_all))
    design = build_covariate_design(covariates, len(y_all), observed)
    keep = design.kept_rows
    y, z, d = y_all[keep], z_all[keep], d_all[keep]
    n_intervention, n_comparison = int((z == 1).sum()), int((z == 0).sum())
    accepted_intervention = int(d[z == 1].sum())
    accepted_comparison = int(d[z == 0].sum())
    details: dict[str, Any] = {
        "n_intervention": n_intervention,
        "n_comparison": n_comparison,
        "accepted_intervention": accepted_intervention,
        "accepted_comparison": accepted_comparison,
        "acceptance_intervention": accepted_intervention / n_intervention
        if n_intervention else None,
        "acceptance_comparison": accepted_comparison / n_comparison if n_comparison else None,
        "one_sided": accepted_comparison == 0,
        "rows_dropped_missing_acceptance": missing_take_up,
        "acceptance_missing_not_offered_taken_as_0": filled,
        "adjusted_for": list(design.covariates.columns),
    }
    base: dict[str, Any] = {"n": len(y), "events": int(y.sum()), "confidence": confidence,
                            "dropped": design.dropped}

    try:
        if n_intervention == 0:
            raise NotEstimable("no children in the intervention arm")
        if n_comparison == 0:
            raise NotEstimable("no children in the comparison arm")
        if accepted_intervention == 0 and accepted_comparison == 0:
            raise NotEstimable("nobody took up the programme: there are no compliers, so the "
                               "complier effect is 0/0")
        if np.all(y == y[0]):
            raise NotEstimable("every child had the same outcome: no variation to estimate "
                               "an effect or its interval from")
        require_treatment_identified(z, design.covariates)
        exog = np.column_stack([np.ones(len(y)), design.covariates.to_numpy()])
        fit = _fit_iv(y, d, z, exog, clusters=None)
    except NotEstimable as reason:
        return Estimate.not_estimable(MEASURE, METHOD_CACE, reason, details=details, **base)

    details |= {
        "itt": fit.itt,
        "itt_se": fit.itt_se,
        "acceptance_difference": fit.first_stage,
        "acceptance_difference_se": fit.first_stage_se,
        "first_stage_f": _first_stage_f(fit),
        "se_type": "HC1 heteroskedasticity-robust sandwich of the just-identified IV",
    }
    base["flags"] = _weak_instrument(fit)
    if not np.isfinite(fit.se) or fit.se <= 0:
        return Estimate.not_estimable(MEASURE, METHOD_CACE, "standard error is zero or "
                                      "undefined", details=details, **base)
    critical = float(stats.norm.isf((1 - confidence) / 2))
    return Estimate(
        MEASURE, METHOD_CACE, fit.estimate,
        fit.estimate - critical * fit.se, fit.estimate + critical * fit.se,
        float(2 * stats.norm.sf(abs(fit.estimate / fit.se))),
        se=fit.se, details=details, **base,
    )


def fuzzy_did(
    outcome: object,
    treated_area: object,
    post: object,
    accepted: object,
    area: object,
    covariates: pd.DataFrame | None = None,
    *,
    area_effects: bool = False,
    period_effects: object = None,
    confidence: float = 0.95,
) -> Estimate:
    """Wald-DID: DiD of the outcome / DiD of take-up, with an SE clustered by area.

    `outcome`, `treated_area`, `post` and `accepted` are 0/1 per child, `area` labels the
    cluster. Without covariates or fixed effects the estimate is exactly
    [(ȳ11 − ȳ10) − (ȳ01 − ȳ00)] / [(d̄11 − d̄10) − (d̄01 − d̄00)] (first index: treated area,
    second: post); it is computed as the IV regression of the outcome on take-up with
    treated_area and post (or area and period fixed effects, as `did.py`'s
    `area_effects` / `period_effects`) and covariates as exogenous regressors and
    treated_area × post as the instrument.

    Interpretation (de Chaisemartin & D'Haultfœuille 2018): under parallel trends in the
    outcome without the programme, the Wald-DID is the effect among the families who took
    the programme up because it was offered only if (a) the effect of the programme is
    stable over time and (b) the same in treated and comparison areas, for any family
    taking it up outside the intervention areas after the start. With no take-up before
    the start anywhere and none in comparison areas (`details["sharp"]`), (a) and (b)
    concern nobody and hold trivially: the estimate is then the effect on the families who
    took the programme up in the intervention areas after the start. A missing `accepted`
    where the programme was not offered is taken as 0 (counted in `details`).

    Inference as `did.py`: CR1 by area, t with G − 1 df, the SE never below the
    child-level HC1 SE; with a single area in an arm the clustered SE is degenerate and
    only the point estimate is given. With few areas the interval is indicative (see the
    DiD's wild bootstrap and randomisation inference on the reduced form).

    Parameters
    ----------
    outcome : array_like of 0/1
        The outcome per child (missing = left out).
    treated_area : array_like of 0/1
        1 for a child in an intervention area (constant within an area).
    post : array_like of 0/1
        1 for a child born after the programme start.
    accepted : array_like of 0/1
        1 when the family took the programme up.
    area : array_like
        The area (cluster) label per child.
    covariates : pandas.DataFrame, optional
        Covariates per child, in the same order (complete cases are analysed).
    area_effects : bool, optional
        Area fixed effects instead of the arm dummy.
    period_effects : array_like, optional
        A period label per child (e.g. birth half-year) for period fixed effects instead
        of the post dummy.
    confidence : float, optional
        Confidence level, 0.95 by default.

    Returns
    -------
    Estimate
        measure "risk_difference", method "fuzzy_did": the Wald-DID (0-1 scale) with its t
        interval and p; `details` has the DiD of the outcome ("did_outcome") and of take-up
        ("did_take_up"), take-up per cell, "sharp", the first-stage F, the areas. Without
        an interval (reason given) with one area in an arm; not estimable when a cell is
        empty, an area switches arm, nobody took the programme up or the outcome does not
        vary.

    Raises
    ------
    ValueError
        If a 0/1 input has other values, the inputs differ in length, `period_effects`
        has missing or mismatched labels, or `confidence` is not between 0 and 1.

    Examples
    --------
    Four areas of 20 children (10 before and 10 after the start). The outcome rises from
    4 and 3 of 10 to 6 of 10 in the two intervention areas and stays put in the comparison
    areas (DiD 0.25); half the intervention families take the programme up after the start
    (take-up DiD 0.5): Wald-DID 0.25 / 0.5.

    >>> import numpy as np
    >>> from pipeline.stats.complier import fuzzy_did
    >>> def cells(*events):  # events among 10 children, cell by cell
    ...     return np.concatenate([np.repeat([1, 0], [k, 10 - k]) for k in events])
    >>> area = np.repeat(["A", "B", "C", "D"], 20)
    >>> treated_area = np.repeat([1, 1, 0, 0], 20)
    >>> post = np.tile(np.repeat([0, 1], 10), 4)
    >>> outcome = cells(4, 6, 3, 6, 4, 4, 5, 5)  # area A before, after; B before, after; ...
    >>> accepted = cells(0, 5, 0, 5, 0, 0, 0, 0)
    >>> result = fuzzy_did(outcome, treated_area, post, accepted, area)
    >>> round(result.estimate, 4), round(result.details["did_outcome"], 4), result.details["sharp"]
    (0.5, 0.25, True)
    """
    check_confidence(confidence)
    y_all = as_binary(outcome, "outcome")
    g_all = as_binary(treated_area, "treated_area")
    t_all = as_binary(post, "post")
    area_all = pd.Series(area).reset_index(drop=True)
    if not len(y_all) == len(g_all) == len(t_all) == len(area_all) == len(pd.Series(accepted)):
        raise ValueError("outcome, treated_area, post, accepted and area differ in length")
    d_all, filled = _take_up_where_offered(accepted, g_all * t_all, "accepted")
    observed = ~(np.isnan(y_all) | np.isnan(g_all) | np.isnan(t_all) | np.isnan(d_all)
                 | area_all.isna().to_numpy())
    missing_take_up = int((np.isnan(d_all) & ~np.isnan(y_all)).sum())
    design = build_covariate_design(covariates, len(y_all), observed)
    keep = design.kept_rows
    y, g, t, d = y_all[keep], g_all[keep], t_all[keep], d_all[keep]
    clusters = pd.factorize(area_all[keep])[0]
    n = len(y)
    n_clusters = int(clusters.max() + 1) if n else 0
    n_clusters_treated = len(np.unique(clusters[g == 1]))
    cells = {f"{arm}_{period}": (g == a) & (t == p)
             for arm, a in (("intervention", 1), ("comparison", 0))
             for period, p in (("post", 1), ("pre", 0))}
    take_up_outside = int(d[~((g == 1) & (t == 1))].sum())
    details: dict[str, Any] = {
        **{f"take_up_{cell}": float(d[mask].mean()) if mask.any() else None
           for cell, mask in cells.items()},
        "take_up_outside_offer": take_up_outside,
        "sharp": take_up_outside == 0,
        "rows_dropped_missing_acceptance": missing_take_up,
        "acceptance_missing_not_offered_taken_as_0": filled,
        "n_clusters": n_clusters,
        "n_clusters_treated": n_clusters_treated,
        "few_clusters": n_clusters < FEW_CLUSTERS,
        "area_effects": area_effects,
        "period_effects": period_effects is not None,
        "adjusted_for": list(design.covariates.columns),
    }
    base: dict[str, Any] = {"n": n, "events": int(y.sum()), "confidence": confidence,
                            "dropped": design.dropped}

    try:
        empty = [cell for cell, mask in cells.items() if not mask.any()]
        if empty:
            raise NotEstimable("empty cell(s) in the area-by-period table: " + ", ".join(empty),
                               kind="empty_cell")
        if inconsistent := areas_in_both_arms(area_all[keep], g):
            raise NotEstimable(both_arms_reason(inconsistent))
        if not d.any():
            raise NotEstimable("nobody took up the programme: there are no compliers, so the "
                               "fuzzy DiD is 0/0")
        if np.all(y == y[0]):
            raise NotEstimable("every child had the same outcome: no variation to estimate "
                               "an effect or its interval from")
        exog = _did_exog(g, t, clusters, keep, period_effects, area_effects, design.covariates)
        clustered_ok = n_clusters_treated >= 2 and n_clusters - n_clusters_treated >= 2
        fit = _fit_iv(y, d, g * t, exog, clusters if clustered_ok else None,
                      with_hc1=clustered_ok)
        hc1 = fit.hc1 if clustered_ok else fit
    except NotEstimable as reason:
        return Estimate.not_estimable(MEASURE, METHOD_FUZZY_DID, reason, details=details,
                                      **base)

    details |= {"did_outcome": fit.itt, "did_outcome_se": fit.itt_se,
                "did_take_up": fit.first_stage, "did_take_up_se": fit.first_stage_se,
                "first_stage_f": _first_stage_f(fit), "se_hc1": hc1.se}
    base["flags"] = _weak_instrument(fit)
    if not clustered_ok:
        return Estimate(
            MEASURE, METHOD_FUZZY_DID, fit.estimate,
            reason=f"no interval: {n_clusters_treated} treated and "
            f"{n_clusters - n_clusters_treated} comparison area(s); with one area in an arm "
            "the clustered variance is degenerate and a child-level interval would ignore "
            "the correlation within areas",
            details=details, **base,
        )
    se = max(fit.se, hc1.se)
    if not np.isfinite(se) or se <= 0:
        return Estimate.not_estimable(MEASURE, METHOD_FUZZY_DID, "standard error is zero or "
                                      "undefined", details=details, **base)
    df = n_clusters - 1
    critical = float(stats.t.isf((1 - confidence) / 2, df))
    details |= {
        "se_cluster_robust": fit.se,
        "se_floor_applied": bool(hc1.se > fit.se),
        "se_type": "CR1 cluster-robust by area of the just-identified IV, never below the "
        "child-level HC1",
        "reference_distribution": f"t with {df} df",
    }
    return Estimate(
        MEASURE, METHOD_FUZZY_DID, fit.estimate,
        fit.estimate - critical * se, fit.estimate + critical * se,
        float(2 * stats.t.sf(abs(fit.estimate / se), df)),
        se=se, n_clusters=n_clusters, details=details, **base,
    )


def _did_exog(
    g: np.ndarray, t: np.ndarray, clusters: np.ndarray, keep: np.ndarray,
    period_effects: object, area_effects: bool, covariates: pd.DataFrame,
) -> np.ndarray:
    """The DiD's exogenous regressors: constant, arm (or areas), post (or periods), covariates
    (the dummies of a level after the first in sorted order, as `pd.get_dummies` with
    drop_first codes the areas' numbers and the periods' texts)."""
    n = len(g)
    parts = [np.ones((n, 1)), level_dummies(clusters) if area_effects else g[:, None]]
    if period_effects is not None:
        labels = pd.Series(period_effects).reset_index(drop=True)
        if len(labels) != len(keep):
            raise ValueError(f"period_effects has {len(labels)} labels; expected {len(keep)}")
        labels = labels[keep].reset_index(drop=True)
        if labels.isna().any():
            raise ValueError("period_effects has missing labels among the analysed children")
        parts.append(level_dummies(as_text(labels)))
    else:
        parts.append(t[:, None])
    parts.append(covariates.to_numpy(dtype=float))
    # stored column by column (Fortran order), as the frame of these columns gave them: the
    # fit's products then sum in the same order
    exog = np.empty((n, sum(part.shape[1] for part in parts)), order="F")
    np.concatenate(parts, axis=1, out=exog)
    return exog
