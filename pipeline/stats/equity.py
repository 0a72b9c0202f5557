"""Equity: does the programme's effect differ between subgroups of children? (additive scale)

Exploratory, not confirmatory (SPEC §7): every result here carries the flag
"exploratory"; subgroup contrasts were not the studies' primary questions, there are
several of them, and none is adjusted for multiplicity.

Why the additive scale. The public-health question is whether the programme narrows an
absolute gap: an effect of +5 percentage points for children of mothers born outside
Europe and +5 points for the others leaves the gap where it was, whatever the odds ratios
say. Interaction on the risk-difference scale is the one that answers it (Rothman,
Greenland & Lash, Modern Epidemiology, ch. 5; VanderWeele & Knol 2014, Epidemiol Methods
3:33). A difference-in-differences is itself a difference of risk differences, so its
subgroup contrast is a third difference on the same scale (the triple difference, Gruber
1994, AER 84:622; Olden & Møen 2022, Econometrics J 25:531), not a ratio. The logistic
likelihood-ratio test in `regression.interaction_test` answers the multiplicative question.

`triple_difference` (the `did` design): the linear probability model

    y = area_a + period_t
        + sum_l S_l * (g_l + h_l * post + k_l * treated_area)
        + b * treated_area:post + sum_l c_l * treated_area:post:S_l (+ covariates) + e,

S_l = 1 for a child of subgroup level l (l beyond the reference, the first estimable
level). Each level has its own mean, its own change over the periods and its own
intervention-comparison difference; the area and period effects are shared. The DiD is
b in the reference level and b + c_l in level l; c_l (the triple difference) is how much
larger the DiD is in level l than in the reference. With the post dummy, no covariates and
one area per arm the model is saturated in the 2 x 2 x L cells and b + c_l equals
(p_l,treated,post - p_l,treated,pre) - (p_l,comparison,post - p_l,comparison,pre).
The area effects are absorbed by demeaning within areas (Frisch-Waugh-Lovell: the same
coefficients and residuals as with one dummy per area, without an n x areas matrix); the
small-sample factors count them as parameters, as a dummy fit in statsmodels does.

Inference as in did.py: cluster-robust (CR1) covariance by area, factor
G/(G-1) * (N-1)/(N-K), t with G-1 df, each standard error raised to the child-level HC1
one when smaller (`did.at_least_child_level`). The joint test that the DiD is the same in
every level (H0: all c_l = 0) is the Wald F with the CR1 covariance on (q, G-1) df; it is
never more significant than the same F with the HC1 covariance (the larger p is reported),
the joint counterpart of the floor, so with two levels F = t^2 of the single difference.
With one area in an arm the cluster-robust covariance is degenerate and the labelled HC1
result (normal / chi-square reference) is the fallback. No wild bootstrap here: with few
areas (< 10) read every p as indicative.

`additive_interaction` (two-group designs): the risk difference within each level and the
Wald test that they are equal, from the saturated linear probability model
y ~ treated * subgroup with HC1 covariance. Saturated, its HC0 covariance is exactly that of
independent risk differences with Wald variances, sum of p(1-p)/n; HC1 multiplies it by
N/(N-2L) (N children, L levels). That closed form is what is computed (no regression fit):
estimates, intervals (normal) and the chi-square test (L-1 df) all come from it, so with
two levels the joint p is the p of the single difference. Intervals are Wald intervals,
unlike the crude rows' Newcombe intervals (`effects.risk_difference`).

Children with an unknown subgroup are left out and counted; a level lacking children in
one of its cells is reported as not estimable, with the reason, and left out of the fit.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any, ClassVar

import numpy as np
import pandas as pd
from scipy import stats

from pipeline.stats._design import (
    areas_in_both_arms,
    as_binary,
    both_arms_reason,
    build_covariate_design,
    clearly_full_rank,
    row_patterns,
    varies_within,
)
from pipeline.stats.did import (
    COLLAPSE_SHARE,
    FEW_CLUSTERS,
    VERY_FEW_CLUSTERS,
    at_least_child_level,
)
from pipeline.stats.proportions import check_confidence
from pipeline.stats.results import Dropped, Estimate, Test

EXPLORATORY = "exploratory"
TRIPLE_METHOD = "triple_difference"
ADDITIVE_METHOD = "additive_interaction"
_LEVELS = "differences between subgroup levels"  # what the joint test of a subgroup tests

# Flags a result may carry; the report words them in its own language.
FLAG_TEXT = {
    EXPLORATORY: "exploratory subgroup analysis, not confirmatory (no multiplicity adjustment)",
    "few_clusters": f"fewer than {FEW_CLUSTERS} areas: cluster-robust standard errors may be "
    "too small (Cameron, Gelbach & Miller 2008)",
    "very_few_clusters": f"fewer than {VERY_FEW_CLUSTERS} areas: cluster-robust standard "
    "errors are unreliable; treat intervals and p-values as indicative only",
    "child_level_fallback": "one area in an arm: HC1 standard errors, NOT clustered by area "
    "(anti-conservative whenever areas differ beyond chance)",
    "se_raised_to_child_level": "some cluster-robust standard errors were below the "
    "child-level HC1 ones and were raised to them",
    "boundary_proportion": "a group has no events or only events in some level: its Wald "
    "variance is zero and the interval rests on the other group alone",
}

TABLE_COLUMNS = [
    "level", "measure", "method", "reference", "estimate", "ci_low", "ci_high", "p_value",
    "n_intervention", "n_comparison", "p_joint", "reason", "exploratory",
]

# Relative size below which a column is taken as a combination of the columns before it.
_ALIAS_TOLERANCE = 1e-9


@dataclass(frozen=True, kw_only=True)
class _SubgroupEffects:
    """Effect within each subgroup level, each level's difference from the reference, joint test.

    `by_level` and `differences` are keyed by level name in level order; `cells` holds the
    children and events in each level x group (x period) cell the estimates rest on.
    """

    by_level: dict[str, Estimate]
    differences: dict[str, Estimate]
    joint: Test
    reference: str | None
    cells: pd.DataFrame
    n: int
    n_unknown_subgroup: int
    n_dropped_missing: int
    flags: tuple[str, ...] = (EXPLORATORY,)

    title: ClassVar[str] = ""

    @property
    def exploratory(self) -> bool:
        """Whether the result is flagged exploratory (always, in this module)."""
        return EXPLORATORY in self.flags

    @property
    def label(self) -> str:
        """"exploratory" or "confirmatory"."""
        return EXPLORATORY if self.exploratory else "confirmatory"

    def table(self) -> pd.DataFrame:
        """One row per level (effect within it) and per non-reference level (difference)."""
        rows = []
        for level, estimate in self.by_level.items():
            rows.append(self._row(level, estimate, None))
        for level, estimate in self.differences.items():
            rows.append(self._row(level, estimate, self.reference))
        return pd.DataFrame(rows, columns=TABLE_COLUMNS)

    def _row(self, level: str, estimate: Estimate, reference: str | None) -> dict[str, Any]:
        return {
            "level": level, "measure": estimate.measure, "method": estimate.method,
            "reference": reference, "estimate": estimate.estimate, "ci_low": estimate.ci_low,
            "ci_high": estimate.ci_high, "p_value": estimate.p_value,
            "n_intervention": estimate.details.get("n_intervention"),
            "n_comparison": estimate.details.get("n_comparison"),
            "p_joint": self.joint.p_value, "reason": estimate.reason,
            "exploratory": self.exploratory,
        }

    def summary(self) -> str:
        """Each level's effect, the differences, the joint test and the notes, as text."""
        lines = [f"{self.title} — {self.label}; n = {self.n} "
                 f"({self.n_unknown_subgroup} with unknown subgroup and "
                 f"{self.n_dropped_missing} with missing data left out); "
                 f"reference level: {self.reference}"]
        lines += [f"  {level}: {estimate.summary()}" for level, estimate in self.by_level.items()]
        lines += [f"  {level} minus {self.reference}: {estimate.summary()}"
                  for level, estimate in self.differences.items()]
        lines.append("  " + self.joint.summary())
        lines += [f"  note: {FLAG_TEXT.get(flag, flag)}" for flag in self.flags]
        return "\n".join(lines)


@dataclass(frozen=True, kw_only=True)
class TripleDifferenceResult(_SubgroupEffects):
    """DiD within each subgroup level (measure "did"), triple differences, joint F test.

    `coefficients`: the non-area terms of the model with their CR1 and HC1 standard errors;
    `n_clusters` / `n_clusters_treated`: the areas the fit rests on.

    Attributes
    ----------
    by_level : dict of str to Estimate
        The effect within each subgroup level, in level order (0-1 scale).
    differences : dict of str to Estimate
        Each non-reference level's effect minus the reference level's.
    joint : Test
        The test that the effect is the same in every estimable level.
    reference : str or None
        The reference level (the first estimable one).
    cells : pandas.DataFrame
        Children and events in each level × group (× period) cell.
    n : int
        Children in the fit.
    n_unknown_subgroup, n_dropped_missing : int
        Children left out for an unknown subgroup, or for other missing data.
    flags : tuple of str
        What is special about the result ("exploratory" always; see FLAG_TEXT).
    n_clusters, n_clusters_treated : int
        Areas in the fit, and intervention areas among them.
    coefficients : pandas.DataFrame
        The non-area terms: coef, se_cluster, se_hc1.

    Examples
    --------
    See `triple_difference`; `table()` gives one row per level and per difference.

    >>> from pipeline.stats.equity import triple_difference
    >>> blank = triple_difference([1, 0], [1, 0], [1, 1], ["x", "x"], ["A", "B"])
    >>> blank.reference is None, blank.joint.p_value is None
    (True, True)
    """

    n_clusters: int
    n_clusters_treated: int
    coefficients: pd.DataFrame = field(default_factory=pd.DataFrame)

    title: ClassVar[str] = "Triple difference (DiD by subgroup, linear probability)"


@dataclass(frozen=True, kw_only=True)
class AdditiveInteractionResult(_SubgroupEffects):
    """Risk difference within each level, interaction contrasts and the joint Wald test.

    Attributes
    ----------
    by_level : dict of str to Estimate
        The effect within each subgroup level, in level order (0-1 scale).
    differences : dict of str to Estimate
        Each non-reference level's effect minus the reference level's.
    joint : Test
        The test that the effect is the same in every estimable level.
    reference : str or None
        The reference level (the first estimable one).
    cells : pandas.DataFrame
        Children and events in each level × group (× period) cell.
    n : int
        Children in the fit.
    n_unknown_subgroup, n_dropped_missing : int
        Children left out for an unknown subgroup, or for other missing data.
    flags : tuple of str
        What is special about the result ("exploratory" always; see FLAG_TEXT).

    Examples
    --------
    See `additive_interaction`; `table()` gives one row per level and per contrast.

    >>> from pipeline.stats.equity import additive_interaction
    >>> result = additive_interaction([1, 0, 1, 0] * 5, [1, 1, 0, 0] * 5, ["a"] * 20)
    >>> result.table()[["level", "measure", "estimate"]].values.tolist()
    [['a', 'risk_difference', 0.0]]
    """

    title: ClassVar[str] = "Additive interaction (risk difference by subgroup)"


def triple_difference(
    outcome: object,
    treated_area: object,
    post: object,
    subgroup: object,
    area: object,
    covariates: pd.DataFrame | None = None,
    *,
    period_effects: object = None,
    confidence: float = 0.95,
) -> TripleDifferenceResult:
    """The DiD within each subgroup level, their differences and a joint test (additive scale).

    `outcome`, `treated_area`, `post` are 0/1 per child, `area` the cluster label,
    `subgroup` the level per child (missing = unknown; a categorical's first category, or
    the first in sorted order, is the reference). `period_effects` (a label per child, such
    as the birth half-year, with `post` constant within each label) replaces the post dummy
    by period fixed effects.

    Parameters
    ----------
    outcome : array_like of 0/1
        The outcome per child (missing = left out).
    treated_area : array_like of 0/1
        1 for a child in an intervention area (constant within an area).
    post : array_like of 0/1
        1 for a child born after the programme start.
    subgroup : array_like
        The subgroup level per child (missing = unknown, left out and counted).
    area : array_like
        The area (cluster) label per child.
    covariates : pandas.DataFrame, optional
        Covariates per child, in the same order (complete cases are analysed).
    period_effects : array_like, optional
        A period label per child for period fixed effects.
    confidence : float, optional
        Confidence level, 0.95 by default.

    Returns
    -------
    TripleDifferenceResult
        The DiD in each level (measure "did"), each level's triple difference from the
        reference (measure "triple_difference"), the joint F test, flags. A level lacking
        children in one of its four cells is not estimable, with the reason; everything is
        when no level is complete, an area switches arm or the design is singular.

    Raises
    ------
    ValueError
        If a 0/1 input has other values, the inputs differ in length, `post` varies within
        a period label, or `confidence` is not between 0 and 1.

    Examples
    --------
    Four areas; in subgroup x the intervention areas rise by 0.2 and 0.3 and the
    comparison areas stay put (DiD 0.25), in subgroup y they rise by 0.1 each (DiD 0.1):
    triple difference 0.1 − 0.25.

    >>> import numpy as np
    >>> from pipeline.stats.equity import triple_difference
    >>> def cells(*events):  # events among 10 children, cell by cell
    ...     return np.concatenate([np.repeat([1, 0], [k, 10 - k]) for k in events])
    >>> area = np.repeat(["A", "B", "C", "D"], 40)
    >>> treated_area = np.repeat([1, 1, 0, 0], 40)
    >>> post = np.tile(np.repeat([0, 1, 0, 1], 10), 4)
    >>> subgroup = np.tile(np.repeat(["x", "x", "y", "y"], 10), 4)
    >>> # per area (A, B, C, D): x before, x after, y before, y after
    >>> outcome = cells(4, 6, 4, 5, 3, 6, 3, 4, 4, 4, 4, 4, 5, 5, 6, 6)
    >>> result = triple_difference(outcome, treated_area, post, subgroup, area)
    >>> [(level, measure, round(float(value), 4)) for level, measure, value
    ...  in result.table()[["level", "measure", "estimate"]].itertuples(index=False)]
    [('x', 'did', 0.25), ('y', 'did', 0.1), ('y', 'triple_difference', -0.15)]
    >>> result.exploratory
    True
    """
    check_confidence(confidence)
    y_all = as_binary(outcome, "outcome")
    d_all = as_binary(treated_area, "treated_area")
    p_all = as_binary(post, "post")
    area_all = pd.Series(area).reset_index(drop=True)
    codes_all, levels = _subgroup_codes(subgroup)
    period_all = None if period_effects is None else pd.Series(period_effects).reset_index(drop=True)
    lengths = {len(y_all), len(d_all), len(p_all), len(area_all), len(codes_all)}
    if period_all is not None:
        lengths.add(len(period_all))
    if len(lengths) != 1:
        raise ValueError("outcome, treated_area, post, subgroup, area (and period_effects) "
                         "differ in length")
    observed = ~(np.isnan(y_all) | np.isnan(d_all) | np.isnan(p_all) | area_all.isna().to_numpy())
    if period_all is not None:
        observed &= period_all.notna().to_numpy()
    known = observed & (codes_all >= 0)
    design = build_covariate_design(covariates, len(y_all), known)
    keep = design.kept_rows
    y, d, p, codes = y_all[keep], d_all[keep], p_all[keep], codes_all[keep]
    areas = area_all[keep].reset_index(drop=True)
    periods = None if period_all is None else period_all[keep].reset_index(drop=True)
    common = {
        "n_unknown_subgroup": int((observed & ~known).sum()),
        "n_dropped_missing": int((~observed).sum()) + design.n_dropped_missing,
    }
    if periods is not None:
        _require_post_constant_within_period(p, periods)

    cell_index = codes * 4 + d.astype(int) * 2 + p.astype(int)
    n_cells = np.bincount(cell_index, minlength=4 * len(levels)).reshape(len(levels), 2, 2)
    events = np.bincount(cell_index, weights=y, minlength=4 * len(levels)).reshape(len(levels), 2, 2)
    cells = _did_cells(levels, n_cells, events)
    counts = {level: {"n_intervention": int(n_cells[j, 1].sum()),
                      "n_comparison": int(n_cells[j, 0].sum())} for j, level in enumerate(levels)}
    reasons = {level: _empty_did_cells(n_cells[j]) for j, level in enumerate(levels)}
    estimable = [j for j, level in enumerate(levels) if reasons[level] is None]
    fitted = np.isin(codes, estimable)
    clusters, area_names = pd.factorize(areas[fitted])
    n_clusters = len(area_names)
    n_clusters_treated = int(np.unique(clusters[d[fitted] == 1]).size)
    n_fitted = int(fitted.sum())

    def blank(reason: str, level_reasons: dict[str, str | None]) -> TripleDifferenceResult:
        by_level = {level: _not_estimable("did", TRIPLE_METHOD, level_reasons[level] or reason,
                                          counts[level], confidence) for level in levels}
        return TripleDifferenceResult(
            by_level=by_level, differences={},
            joint=Test.not_estimable("wald", reason, reference="F", subject=_LEVELS),
            reference=None, cells=cells, n=n_fitted, n_clusters=n_clusters,
            n_clusters_treated=n_clusters_treated, **common)

    if not estimable:
        return blank("no subgroup level has children in all four area-by-period cells", reasons)
    if inconsistent := areas_in_both_arms(areas[fitted], d[fitted]):
        return blank(both_arms_reason(inconsistent), dict.fromkeys(levels))

    reference = levels[estimable[0]]
    others = [levels[j] for j in estimable[1:]]
    in_fit = design.covariates.reset_index(drop=True).loc[fitted].reset_index(drop=True)
    period_fit = None if periods is None else periods[fitted].reset_index(drop=True)
    # Children with the same area, period, subgroup, arm, covariates and outcome are one row
    # with their count (a few hundred rows unless a covariate takes many values): the fit,
    # HC1 and CR1 are sums over children, so sums over these rows with the counts
    found = row_patterns(np.column_stack([
        clusters, *([] if period_fit is None else [pd.factorize(period_fit)[0]]),
        codes[fitted], d[fitted], p[fitted], in_fit.to_numpy(dtype=float), y[fitted]]))
    rows, row_children = np.s_[:], np.ones(n_fitted)
    if len(found[1]) <= COLLAPSE_SHARE * n_fitted:
        rows, row_children = found[1], np.bincount(found[0]).astype(float)
    columns = _triple_columns(d[fitted][rows], p[fitted][rows], codes[fitted][rows], levels,
                              estimable, None if period_fit is None else period_fit.iloc[rows])
    n_design = len(columns)
    columns |= {f"covariate[{c}]": in_fit[c].to_numpy(dtype=float)[rows] for c in in_fit.columns}
    names = list(columns)
    x = np.column_stack(list(columns.values()))
    x_within = _demean(x, clusters[rows], n_clusters, row_children)
    y_within = _demean(y[fitted][rows][:, None], clusters[rows], n_clusters, row_children)[:, 0]
    # Gram–Schmidt on the rows only when the cross-products cannot tell (`clearly_full_rank`),
    # each row times the square root of its count: the children's cross-products
    root = np.sqrt(row_children)[:, None]
    aliased = ([] if clearly_full_rank(x_within * root, np.linalg.norm(x * root, axis=0))
               else _aliased_columns(x_within * root, x * root))
    if any(j < n_design for j in aliased):
        which = ", ".join(names[j] for j in aliased if j < n_design)
        return blank(f"singular design: {which} is determined by the area, period and "
                     "subgroup terms", dict.fromkeys(levels))
    absorbed = [names[j] for j in aliased]
    names = [name for j, name in enumerate(names) if j not in aliased]
    x_within = np.delete(x_within, aliased, axis=1)
    n_params = x_within.shape[1] + n_clusters  # area effects (with the intercept) count
    if n_fitted <= n_params:
        return blank(f"{n_fitted} children for {n_params} parameters", reasons)

    beta, hc1, cr1 = _least_squares(x_within, y_within, clusters[rows], n_clusters, n_params,
                                    row_children)
    clustered = n_clusters_treated >= 2 and n_clusters - n_clusters_treated >= 2

    flags = [EXPLORATORY]
    if clustered:
        flags += ["very_few_clusters"] if n_clusters < VERY_FEW_CLUSTERS else (
            ["few_clusters"] if n_clusters < FEW_CLUSTERS else [])
    else:
        flags.append("child_level_fallback")
    notes = {
        "covariates_absorbed_by_area_or_period": absorbed, "n_clusters": n_clusters,
        "n_clusters_treated": n_clusters_treated, "area_effects": "absorbed (within areas)",
        "period_effects": "post dummy" if periods is None else "period fixed effects",
        EXPLORATORY: True,
    }
    inference = _Inference(beta, cr1 if clustered else None, hc1, n_clusters, confidence, notes,
                           dropped=design.dropped)
    did_column = names.index("treated_area:post")
    level_rows = {level: np.where(codes[fitted] == levels.index(level))[0]
                  for level in [reference, *others]}

    by_level: dict[str, Estimate] = {}
    differences: dict[str, Estimate] = {}
    for level in levels:
        if reasons[level] is not None:
            by_level[level] = _not_estimable("did", TRIPLE_METHOD, reasons[level], counts[level],
                                             confidence)
            continue
        contrast = np.zeros(len(names))
        contrast[did_column] = 1.0
        if level != reference:
            contrast[names.index(_ddd_name(level))] = 1.0
        rows = level_rows[level]
        by_level[level] = inference.estimate(
            "did", contrast, counts[level] | {"level": level},
            n=len(rows), events=int(y[fitted][rows].sum()))
    for level in others:
        contrast = np.zeros(len(names))
        contrast[names.index(_ddd_name(level))] = 1.0
        rows = np.concatenate([level_rows[level], level_rows[reference]])
        pair = {key: counts[level][key] + counts[reference][key] for key in counts[level]}
        differences[level] = inference.estimate(
            "triple_difference", contrast, pair | {"level": level, "reference": reference},
            n=len(rows), events=int(y[fitted][rows].sum()))
    restrictions = np.zeros((len(others), len(names)))
    for row, level in enumerate(others):
        restrictions[row, names.index(_ddd_name(level))] = 1.0
    joint = inference.joint(restrictions, tuple(others))

    if any("widened_to_child_level" in e.flags
           for e in [*by_level.values(), *differences.values()]):
        flags.append("se_raised_to_child_level")
    # a sandwich's diagonal is not negative; summed over patterns, a coefficient whose cluster
    # scores cancel can come out a rounding error below 0 (-1e-18): its standard error is 0
    coefficients = pd.DataFrame({
        "coef": beta,
        "se_cluster": np.sqrt(np.maximum(np.diag(cr1), 0.0)) if cr1 is not None else np.nan,
        "se_hc1": np.sqrt(np.maximum(np.diag(hc1), 0.0)),
    }, index=pd.Index(names, name="term"))
    return TripleDifferenceResult(
        by_level=by_level, differences=differences, joint=joint, reference=reference,
        cells=cells, n=n_fitted, n_clusters=n_clusters, n_clusters_treated=n_clusters_treated,
        coefficients=coefficients, flags=tuple(flags), **common)


def additive_interaction(
    outcome: object, treated: object, subgroup: object, confidence: float = 0.95
) -> AdditiveInteractionResult:
    """Risk difference within each subgroup level and the Wald test that they are equal.

    `outcome` and `treated` are 0/1 per child; `subgroup` the level (missing = unknown; the
    first level is the reference). Saturated linear probability model, HC1 covariance,
    in closed form (see the module docstring).

    Parameters
    ----------
    outcome : array_like of 0/1
        The outcome per child (missing = left out).
    treated : array_like of 0/1
        1 for an intervention child.
    subgroup : array_like
        The subgroup level per child (missing = unknown, left out and counted).
    confidence : float, optional
        Confidence level, 0.95 by default.

    Returns
    -------
    AdditiveInteractionResult
        The risk difference in each level (0-1 scale), each level's difference from the
        reference (measure "interaction_contrast"), the joint chi-square test, flags. A
        level without children in a group, or without variation, is not estimable.

    Raises
    ------
    ValueError
        If `outcome` or `treated` is not 0/1, the inputs differ in length, or `confidence`
        is not between 0 and 1.

    Examples
    --------
    6 of 10 against 3 of 10 in level a (0.3), 5 of 10 against 4 of 10 in level b (0.1).
    Level a's variance 0.6 · 0.4/10 + 0.3 · 0.7/10 = 0.045 times the HC1 factor 40/36 is
    0.05, so its interval is 0.3 ± 1.96 · √0.05:

    >>> import numpy as np
    >>> from pipeline.stats.equity import additive_interaction
    >>> outcome = np.repeat([1, 0] * 4, [6, 4, 3, 7, 5, 5, 4, 6])
    >>> treated = np.tile(np.repeat([1, 0], 10), 2)
    >>> subgroup = np.repeat(["a", "b"], 20)
    >>> result = additive_interaction(outcome, treated, subgroup)
    >>> level_a = result.by_level["a"]
    >>> [round(float(value), 4) for value in (level_a.estimate, level_a.ci_low, level_a.ci_high)]
    [0.3, -0.1383, 0.7383]
    >>> round(result.differences["b"].estimate, 4)
    -0.2
    """
    check_confidence(confidence)
    y_all = as_binary(outcome, "outcome")
    t_all = as_binary(treated, "treated")
    codes_all, levels = _subgroup_codes(subgroup)
    if not len(y_all) == len(t_all) == len(codes_all):
        raise ValueError("outcome, treated and subgroup differ in length")
    observed = ~(np.isnan(y_all) | np.isnan(t_all))
    known = observed & (codes_all >= 0)
    y, t, codes = y_all[known], t_all[known].astype(int), codes_all[known]
    common = {"n_unknown_subgroup": int((observed & ~known).sum()),
              "n_dropped_missing": int((~observed).sum())}

    cell_index = codes * 2 + t
    n_cells = np.bincount(cell_index, minlength=2 * len(levels)).reshape(len(levels), 2)
    events = np.bincount(cell_index, weights=y, minlength=2 * len(levels)).reshape(len(levels), 2)
    cells = pd.DataFrame([
        {"level": level, "treated": arm, "n": int(n_cells[j, arm]),
         "events": int(events[j, arm]),
         "proportion": events[j, arm] / n_cells[j, arm] if n_cells[j, arm] else None}
        for j, level in enumerate(levels) for arm in (1, 0)])
    with np.errstate(divide="ignore", invalid="ignore"):
        risk = events / n_cells
        cell_variance = risk * (1 - risk) / n_cells  # HC0 variance of a cell proportion
    counts = {level: {"n_intervention": int(n_cells[j, 1]), "n_comparison": int(n_cells[j, 0]),
                      "events_intervention": int(events[j, 1]),
                      "events_comparison": int(events[j, 0])} for j, level in enumerate(levels)}
    reasons: dict[str, str | None] = {}
    for j, level in enumerate(levels):
        if n_cells[j].sum() == 0:
            reasons[level] = "no children in this subgroup"
        elif n_cells[j, 1] == 0 or n_cells[j, 0] == 0:
            group = "intervention" if n_cells[j, 1] == 0 else "comparison"
            reasons[level] = f"no children in the {group} group in this subgroup"
        elif cell_variance[j].sum() == 0:
            reasons[level] = ("every child in each group has the same outcome (no events or "
                              "only events), so the Wald variance is zero")
        else:
            reasons[level] = None
    estimable = [j for j, level in enumerate(levels) if reasons[level] is None]
    n_fitted = int(n_cells[estimable].sum())
    n_params = 2 * len(estimable)
    if estimable and n_fitted <= n_params:
        reasons |= dict.fromkeys((levels[j] for j in estimable),
                                 f"{n_fitted} children for {n_params} parameters")
        estimable = []
    flags = [EXPLORATORY]
    if not estimable:
        by_level = {level: _not_estimable("risk_difference", ADDITIVE_METHOD, reasons[level],
                                          counts[level], confidence) for level in levels}
        return AdditiveInteractionResult(
            by_level=by_level, differences={},
            joint=Test.not_estimable("wald", "no subgroup level is estimable", reference="F",
                                     subject=_LEVELS),
            reference=None, cells=cells, n=0, flags=tuple(flags), **common)

    hc1_factor = n_fitted / (n_fitted - n_params)
    difference = risk[estimable, 1] - risk[estimable, 0]
    covariance = np.diag(hc1_factor * cell_variance[estimable].sum(axis=1))
    reference = levels[estimable[0]]
    names = [levels[j] for j in estimable]
    notes = {"se_type": "HC1 (saturated linear probability model treated x subgroup)",
             "hc1_factor": hc1_factor, EXPLORATORY: True}
    inference = _Inference(difference, None, covariance, 0, confidence, notes)
    if (cell_variance[estimable] == 0).any():
        flags.append("boundary_proportion")

    by_level = {}
    for j, level in enumerate(levels):
        if reasons[level] is not None:
            by_level[level] = _not_estimable("risk_difference", ADDITIVE_METHOD, reasons[level],
                                             counts[level], confidence)
            continue
        contrast = np.zeros(len(names))
        contrast[names.index(level)] = 1.0
        by_level[level] = inference.estimate(
            "risk_difference", contrast, counts[level] | {"level": level},
            n=int(n_cells[j].sum()), events=int(events[j].sum()), method=ADDITIVE_METHOD)
    differences = {}
    restrictions = np.zeros((len(names) - 1, len(names)))
    for row, level in enumerate(names[1:]):
        contrast = np.zeros(len(names))
        contrast[[names.index(level), 0]] = (1.0, -1.0)
        restrictions[row] = contrast
        j, r = levels.index(level), estimable[0]
        pair = {key: counts[level][key] + counts[reference][key] for key in counts[level]}
        differences[level] = inference.estimate(
            "interaction_contrast", contrast, pair | {"level": level, "reference": reference},
            n=int(n_cells[[j, r]].sum()), events=int(events[[j, r]].sum()),
            method=ADDITIVE_METHOD)
    return AdditiveInteractionResult(
        by_level=by_level, differences=differences,
        joint=inference.joint(restrictions, tuple(differences)), reference=reference,
        cells=cells, n=n_fitted, flags=tuple(flags), **common)


class _Inference:
    """Wald estimates and joint tests for linear contrasts of one coefficient vector.

    With a cluster-robust covariance: t (F) with G-1 df, never narrower than the child-level
    HC1 result; without one: the HC1 covariance with normal (chi-square) reference.
    """

    def __init__(self, beta: np.ndarray, cluster: np.ndarray | None, hc1: np.ndarray,
                 n_clusters: int, confidence: float, notes: dict[str, Any], *,
                 dropped: Dropped | None = None) -> None:
        self.beta, self.cluster, self.hc1 = beta, cluster, hc1
        self.n_clusters, self.confidence, self.notes = n_clusters, confidence, notes
        self.dropped = dropped

    def estimate(self, measure: str, contrast: np.ndarray, extra: dict[str, Any], *, n: int,
                 events: int, method: str = TRIPLE_METHOD) -> Estimate:
        base = {"n": n, "events": events, "confidence": self.confidence,
                "dropped": self.dropped}
        value = float(contrast @ self.beta)
        z = stats.norm.ppf(0.5 + self.confidence / 2)
        child_level = _wald(measure, method, value, _se(contrast, self.hc1), z, None, base,
                            self.notes | extra)
        if self.cluster is None:
            if self.n_clusters:  # a DiD that has areas but too few per arm
                return replace(child_level, details=child_level.details | {
                    "se_type": "HC1 heteroskedasticity-robust, NOT clustered by area",
                    "note": "fallback: one area in an arm, so the cluster-robust variance is "
                    "degenerate; ignores correlation of children within areas"})
            return child_level
        df = self.n_clusters - 1
        clustered = _wald(measure, method, value, _se(contrast, self.cluster),
                          stats.t.ppf(0.5 + self.confidence / 2, df), df,
                          base | {"n_clusters": self.n_clusters},
                          self.notes | extra | {"se_type": "cluster-robust CR1 by area",
                                                "reference_distribution": f"t with {df} df"})
        if not clustered.estimable:
            return clustered
        return at_least_child_level(clustered, child_level)

    def joint(self, restrictions: np.ndarray, levels: tuple[str, ...]) -> Test:
        """Wald test that the differences of these levels from the reference are all 0."""
        q = restrictions.shape[0]
        if self.cluster is None:
            what = "HC1 Wald, chi-square reference" + (
                ", NOT clustered by area" if self.n_clusters else "")
        else:
            what = "Wald F, cluster-robust CR1 by area, never above the child-level HC1 F"
        common = {"reference": "F", "covariance": what, "subject": _LEVELS}
        if q == 0:
            return Test.not_estimable("wald", "fewer than two subgroup levels are estimable",
                                      **common)
        value = restrictions @ self.beta
        f_child = _wald_f(value, restrictions @ self.hc1 @ restrictions.T)
        if f_child is None:
            return Test.not_estimable("wald", "the covariance of the differences is singular",
                                      df=q, tested=levels, **common)
        if self.cluster is None:
            return Test(f_child, q, None, float(stats.chi2.sf(q * f_child, q)), "wald",
                        tested=levels, **common)
        df = self.n_clusters - 1
        f_cluster = _wald_f(value, restrictions @ self.cluster @ restrictions.T)
        if f_cluster is None:
            return Test.not_estimable(
                "wald", f"the cluster-robust covariance of {q} differences from "
                f"{self.n_clusters} areas is singular (too few areas for this many levels)",
                df=q, tested=levels, **common)
        statistic = min(f_cluster, f_child)  # never more significant than at child level
        p_cluster = float(stats.f.sf(f_cluster, q, df))
        return Test(statistic, q, df, float(stats.f.sf(statistic, q, df)), "wald",
                    tested=levels, **common,
                    details={"unadjusted_statistic": f_cluster, "unadjusted_p_value": p_cluster,
                             "f_child_level_hc1": f_child,
                             "raised_to_child_level": f_child < f_cluster})


def _wald(measure: str, method: str, value: float, se: float, critical: float, df: int | None,
          base: dict[str, Any], details: dict[str, Any]) -> Estimate:
    if not np.isfinite(se) or se <= 0:
        return Estimate.not_estimable(measure, method, "standard error is zero or undefined",
                                      details=details, **base)
    statistic = value / se
    p_value = 2 * (stats.t.sf(abs(statistic), df) if df else stats.norm.sf(abs(statistic)))
    return Estimate(measure, method, value, value - critical * se, value + critical * se,
                    float(p_value), se=se, details=details, **base)


def _se(contrast: np.ndarray, covariance: np.ndarray) -> float:
    return float(np.sqrt(max(contrast @ covariance @ contrast, 0.0)))


def _wald_f(value: np.ndarray, covariance: np.ndarray) -> float | None:
    """(R b)' (R V R')^-1 (R b) / q, or None when R V R' is not positive definite."""
    eigenvalues = np.linalg.eigvalsh(covariance)
    if eigenvalues.min() <= _ALIAS_TOLERANCE * max(eigenvalues.max(), 0.0):
        return None
    return float(value @ np.linalg.solve(covariance, value) / len(value))


def _not_estimable(measure: str, method: str, reason: str, counts: dict[str, int],
                   confidence: float) -> Estimate:
    n = counts["n_intervention"] + counts["n_comparison"]
    return Estimate.not_estimable(measure, method, reason, n=n, confidence=confidence,
                                  details=dict(counts) | {EXPLORATORY: True})


def _subgroup_codes(subgroup: object) -> tuple[np.ndarray, list[str]]:
    """Codes into the level names (-1 = unknown): a categorical's order, else sorted."""
    categorical = pd.Series(subgroup).reset_index(drop=True).astype("category")
    return (categorical.cat.codes.to_numpy(dtype=int),
            [str(level) for level in categorical.cat.categories])


def _require_post_constant_within_period(post: np.ndarray, periods: pd.Series) -> None:
    if varying := varies_within(post, periods):
        raise ValueError(f"post must be constant within each period label; it varies within "
                         f"{[str(v) for v in varying[:5]]}")


def _did_cells(levels: list[str], n_cells: np.ndarray, events: np.ndarray) -> pd.DataFrame:
    rows = [{"level": level, "treated_area": arm, "post": period, "n": int(n_cells[j, arm, period]),
             "events": int(events[j, arm, period]),
             "proportion": (events[j, arm, period] / n_cells[j, arm, period]
                            if n_cells[j, arm, period] else None)}
            for j, level in enumerate(levels) for arm in (1, 0) for period in (1, 0)]
    return pd.DataFrame(rows, columns=["level", "treated_area", "post", "n", "events",
                                       "proportion"])


def _empty_did_cells(n_cells: np.ndarray) -> str | None:
    """Why a level's DiD cannot be estimated (an empty area-by-period cell), else None."""
    if n_cells.sum() == 0:
        return "no children in this subgroup"
    empty = [f"{'intervention' if arm else 'comparison'} areas "
             f"{'after' if period else 'before'} the start"
             for arm in (1, 0) for period in (1, 0) if n_cells[arm, period] == 0]
    return "no children in: " + "; ".join(empty) if empty else None


def _ddd_name(level: str) -> str:
    return f"treated_area:post:subgroup[{level}]"


def _triple_columns(d: np.ndarray, p: np.ndarray, codes: np.ndarray, levels: list[str],
                    estimable: list[int], periods: pd.Series | None) -> dict[str, np.ndarray]:
    """Period, subgroup and DiD columns of the model, before the area effects are absorbed."""
    columns: dict[str, np.ndarray] = {}
    if periods is None:
        columns["post"] = p
    else:
        labels = periods.astype("string").reset_index(drop=True)
        for label in sorted(labels.unique())[1:]:
            columns[f"period[{label}]"] = (labels == label).to_numpy(dtype=float)
    others = estimable[1:]
    for j in others:
        in_level = (codes == j).astype(float)
        columns[f"subgroup[{levels[j]}]"] = in_level
        columns[f"subgroup[{levels[j]}]:post"] = in_level * p
        columns[f"subgroup[{levels[j]}]:treated_area"] = in_level * d
    columns["treated_area:post"] = d * p
    for j in others:
        columns[_ddd_name(levels[j])] = d * p * (codes == j)
    return columns


def _least_squares(x: np.ndarray, y: np.ndarray, clusters: np.ndarray, n_clusters: int,
                   n_params: int, counts: np.ndarray
                   ) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """OLS coefficients with HC1 and CR1 (by area; None with one area) covariances, of rows
    that stand for `counts` children each (equal children: every sum a sum over rows).

    `n_params` counts the absorbed area effects too, so the small-sample factors n/(n-K)
    and G/(G-1) (n-1)/(n-K) are those of the fit with one dummy per area.
    """
    n = float(counts.sum())
    counted = x * counts[:, None]
    bread = np.linalg.inv(x.T @ counted)
    beta = bread @ (counted.T @ y)
    scores = x * (y - x @ beta)[:, None]
    hc1 = n / (n - n_params) * bread @ (scores.T @ (scores * counts[:, None])) @ bread
    if n_clusters < 2:
        return beta, hc1, None
    by_area = np.column_stack([np.bincount(clusters, weights=scores[:, j] * counts,
                                           minlength=n_clusters)
                               for j in range(scores.shape[1])])
    factor = n_clusters / (n_clusters - 1) * (n - 1) / (n - n_params)
    return beta, hc1, factor * bread @ (by_area.T @ by_area) @ bread


def _demean(x: np.ndarray, clusters: np.ndarray, n_clusters: int,
            counts: np.ndarray) -> np.ndarray:
    """Each column less its area mean over the children (rows standing for `counts` each):
    absorbs the area fixed effects and the intercept."""
    size = np.bincount(clusters, weights=counts, minlength=n_clusters)
    means = np.column_stack([np.bincount(clusters, weights=x[:, j] * counts,
                                         minlength=n_clusters) / size
                             for j in range(x.shape[1])])
    return x - means[clusters]


def _aliased_columns(x_within: np.ndarray, x: np.ndarray) -> list[int]:
    """Columns that, once the area effects are absorbed, are combinations of earlier ones.

    Gram-Schmidt in column order (twice, for accuracy): what is left of a column after
    removing its projection on the columns kept before it is compared with the column's
    size before absorption, so the model's own terms are kept ahead of covariates.
    """
    basis = np.empty((x_within.shape[1], x_within.shape[0]))  # the first `kept` rows in use
    kept, aliased = 0, []
    for j in range(x_within.shape[1]):
        rest = x_within[:, j].copy()
        for _ in range(2):
            rest -= (basis[:kept] @ rest) @ basis[:kept]
        size = np.linalg.norm(rest)
        if size <= _ALIAS_TOLERANCE * max(float(np.linalg.norm(x[:, j])), 1e-300):
            aliased.append(j)
        else:  # into a basis made once (growing it column by column copied it each time)
            basis[kept] = rest / size
            kept += 1
    return aliased
