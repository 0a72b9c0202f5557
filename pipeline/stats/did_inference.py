"""Few-area inference for a difference-in-differences.

With a handful of areas every model-based p (cluster-robust t, even the wild cluster
bootstrap) rests on asymptotics in the number of areas. This module gives what a
reader can check without them:

- `randomisation_inference`: how unusual the observed DiD is among the DiDs obtained by
  calling every other set of areas (as many as there are intervention areas) the
  intervention arm — Fisher's randomisation test applied to areas (MacKinnon & Webb 2020,
  J Econometrics 218:435; Young 2019, QJE 134:557). It is exact when, before the data were
  seen, every such assignment was as likely as the one made; it is coarse: the p cannot go
  below the design's floor (see below);
- `area_period_cells`: children, events and proportion in each area before and after;
- `pairwise_did`: each intervention area against each comparison area;
- `leave_one_area_out`: the DiD without each area in turn;
- `placebo_areas` and `placebo_p`: each comparison area in turn as a placebo intervention
  area, and where the observed DiD falls among those placebo DiDs.

The DiD is the linear model with area fixed effects,

    y = area effects + b_post * post + b * treated_area:post (+ covariates) + e,

whose b is the DiD of pipeline/stats/did.py when each area keeps its share of its arm's
children in both periods (and without covariates); the area effects stop a change in the
mix of areas between periods from passing for an effect. Two areas alone make the model
saturated, so a pairwise DiD is exactly (p_a,post - p_a,pre) - (p_c,post - p_c,pre).
For a 0/1 outcome it is the linear probability model; the randomisation test, the
leave-one-out and the placebo areas take any numeric outcome (a count such as decayed
teeth, a measurement), whose DiD is one of means. The cells and the pairwise DiDs count
events, so they take a 0/1 outcome only.

The randomisation statistic is by default the t of b with CR1 standard errors clustered
by area (the coefficient is available with `statistic="coefficient"`). Both tests are
exact under the sharp null of no effect in any area when the assignment is exchangeable;
the studentised one is preferred because (i) it stays asymptotically valid when only the
average effect is zero or the arms differ in variance, where the coefficient's permutation
distribution does not (Chung & Romano 2013, Ann Stat 41:484), and (ii) with areas of
unequal size the coefficient of an assignment that puts large or noisy areas in the
intervention arm is more dispersed; dividing by its own standard error puts every
assignment on one scale, which MacKinnon & Webb (2020) find makes randomisation
inference less sensitive to treated areas that differ in size from the others.

The floor. With G areas of which G1 are intervention areas there are C(G, G1) assignments,
and the p (the share of assignments with |statistic| >= |observed|, the observed one
included) is at least 1 / C(G, G1). When G1 = G / 2 the complement of an assignment is
itself an assignment, and swapping the arms only flips the sign of the DiD column once the
area effects and post are in the model (treated:post + comparison:post = post), so b and
its t change sign and |statistic| ties in pairs: the floor is 2 / C(G, G1). Two of four
areas: 6 assignments, 3 distinct |DiD|, p >= 2/6 = 1/3; one of four: 1/4; three of eight:
1/56; four of eight: 2/70. A design whose floor is above the chosen alpha cannot support
a significance claim, whatever the model-based p says.

Speed: the area effects, post and covariates are the same for every assignment, so b and
its per-area scores are quadratic forms in the 0/1 vector of intervention areas
(Frisch-Waugh-Lovell); every assignment is a few matrix products, no refitting.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cached_property
from itertools import combinations, pairwise
from typing import Any, Literal

import numpy as np
import pandas as pd

from pipeline.stats._design import (
    as_binary,
    as_finite,
    as_labels,
    both_arms_reason,
    build_covariate_design,
    coded_areas_in_both_arms,
)
from pipeline.stats.did import DEFAULT_SEED
from pipeline.stats.results import Dropped, Test

ARMS = ("intervention", "comparison")
PERIODS = ("pre", "post")
MAX_ENUMERATED = 10_000
DEFAULT_SAMPLES = 9_999
# Relative tolerance for ties between |statistics| (an assignment and its complement tie
# exactly in theory) and for a DiD column that vanishes once the covariates are removed.
_TOLERANCE = 1e-9
# Elements of the per-chunk G x G x S array when scoring many assignments at once.
_CHUNK_ELEMENTS = 2_000_000

CELL_COLUMNS = ["area", "arm", "period", "children", "events", "proportion"]
PAIRWISE_COLUMNS = [
    "intervention_area", "comparison_area", "did", "change_intervention", "change_comparison",
    "children_intervention_pre", "children_intervention_post", "children_comparison_pre",
    "children_comparison_post", "children", "reason",
]
PLACEBO_COLUMNS = ["placebo_area", "n_areas_comparison", "children", "did_unadjusted",
                   "did_adjusted", "reason"]
LEAVE_ONE_OUT_COLUMNS = [
    "left_out_area", "left_out_arm", "n_areas_intervention", "n_areas_comparison", "children",
    "did_unadjusted", "did_adjusted", "reason",
]


def randomisation_inference(
    outcome: object,
    area: object,
    post: object,
    treated_area: object,
    covariates: pd.DataFrame | None = None,
    *,
    statistic: Literal["t", "coefficient"] = "t",
    max_enumerated: int = MAX_ENUMERATED,
    n_samples: int = DEFAULT_SAMPLES,
    seed: int = DEFAULT_SEED,
) -> Test:
    """Two-sided randomisation test of the area-effects DiD over assignments of areas to arms.

    `outcome` is any number per child (0/1, a count such as decayed teeth, a measurement):
    the linear area-effects DiD is a difference of mean changes whatever the outcome.
    `post` and `treated_area` are 0/1 per child (`treated_area` constant within an area).
    All C(G, G1) assignments are enumerated when there are at most `max_enumerated`;
    otherwise `n_samples` random ones (with replacement, seeded) are compared and
    p = (1 + extreme) / (1 + n_samples). Children with a missing covariate are left out
    (counted in `details["dropped"]`).

    Parameters
    ----------
    outcome : array_like of numbers
        The outcome per child: finite numbers or booleans (missing = left out).
    area : array_like
        The area label per child.
    post : array_like of 0/1
        1 for a child born after the programme start.
    treated_area : array_like of 0/1
        1 for a child in an intervention area (constant within an area).
    covariates : pandas.DataFrame, optional
        Covariates per child, in the same order, for the adjusted DiD; children with a
        missing covariate are left out (counted in `details`).
    statistic : {"t", "coefficient"}, optional
        Compare the CR1 t of the DiD (default, preferred) or the DiD itself.
    max_enumerated : int, optional
        Enumerate every assignment when there are at most this many (10,000).
    n_samples : int, optional
        Random assignments compared otherwise (9,999).
    seed : int, optional
        Seed of the random assignments.

    Returns
    -------
    Test
        Method and reference "randomisation": `statistic` the observed CR1 t (or the DiD
        itself for "coefficient"; `covariance` says which), `p_value`, `p_floor` the
        smallest p the design allows — 1 / C(G, G1), or 2 / C(G, G1) when the arms are of
        equal size (enumerated), or 1 / the assignments compared (sampled) — and `n` the
        children. `details`: "estimate" (the observed area-effects DiD, on the outcome's
        scale), "statistic" ("t" or "coefficient"), "n_assignments" (compared, the
        observed one included), "n_possible_assignments" (C(G, G1)), "enumerated",
        "seed" (of the sample; None when enumerated), "n_areas", "n_areas_intervention",
        "n_undefined" (assignments left out for an undefined statistic), "adjusted",
        "complement_is_an_assignment" and "dropped" (what the covariate design left out).
        Not estimable, with the reason, when an arm has no area, an area lacks a period,
        the DiD term is collinear with the covariates, or the t is undefined (as with one
        area per arm; `details["estimate"]` still holds the DiD).

    Raises
    ------
    ValueError
        If an outcome is not a number or infinite, `post` or `treated_area` is other
        than 0/1, the inputs differ in length, an area is labelled both intervention and
        comparison, `statistic` is unknown, or `max_enumerated` or `n_samples` is below 1.

    Examples
    --------
    Two of four areas: 6 assignments, and each assignment's complement flips the sign of
    the DiD, so p cannot go below 2/6 whatever the data say.

    >>> import numpy as np
    >>> def cells(*events):  # events among 10 children, cell by cell
    ...     return np.concatenate([np.repeat([1, 0], [k, 10 - k]) for k in events])
    >>> area = np.repeat(["A", "B", "C", "D"], 20)  # 10 children before, 10 after, per area
    >>> treated_area = np.repeat([1, 1, 0, 0], 20)
    >>> post = np.tile(np.repeat([0, 1], 10), 4)
    >>> outcome = cells(4, 6, 3, 6, 4, 4, 5, 5)  # area A before, after; B before, after; ...
    >>> from pipeline.stats.did_inference import randomisation_inference
    >>> test = randomisation_inference(outcome, area, post, treated_area)
    >>> round(test.details["estimate"], 4), test.details["n_assignments"], round(test.p_value, 4)
    (0.25, 6, 0.3333)
    >>> test.can_reach(0.05)
    False
    >>> print(test.summary())  # doctest: +NORMALIZE_WHITESPACE
    randomisation test of 1 DiD term: statistic = 5.927, p = 0.333, p cannot go below 0.333
    (cluster-robust CR1 by area), n = 80

    The outcome may be a count: decayed teeth rise by 1.5 and 0.5 in the intervention
    areas, by 0 and -1 in the comparison areas, so the DiD of the mean changes is
    (1.5 + 0.5) / 2 - (0 - 1) / 2 = 1.5 teeth, the largest |DiD| of the 6 assignments
    with its complement's:

    >>> teeth = np.repeat([1.0, 2.5, 1.0, 1.5, 1.0, 1.0, 3.0, 2.0], 10)  # A before, after; ...
    >>> test = randomisation_inference(teeth, area, post, treated_area, statistic="coefficient")
    >>> round(test.statistic, 4), round(test.p_value, 4)
    (1.5, 0.3333)
    """
    if statistic not in ("t", "coefficient"):
        raise ValueError(f"statistic must be 't' or 'coefficient', not {statistic!r}")
    if max_enumerated < 1 or n_samples < 1:
        raise ValueError("max_enumerated and n_samples must be at least 1")
    return _randomisation_test(_Panel.build(outcome, area, post, treated_area, covariates),
                               statistic, max_enumerated, n_samples, seed)


def arm_randomisation(outcome: object, area: object, treated_area: object, *,
                      max_enumerated: int = MAX_ENUMERATED, n_samples: int = DEFAULT_SAMPLES,
                      seed: int = DEFAULT_SEED) -> Test:
    """Two-sided randomisation test of a concurrent comparison over the assignments of areas
    to arms.

    The statistic is the difference in the outcome's mean between the children of the areas
    assigned to the intervention arm and the children of the others (children pooled within
    each arm, unadjusted), for every way of choosing as many areas as have the programme: the
    test of the sharp null that the programme changed no child's outcome, with the area as the
    unit that was assigned. A concurrent comparison's children-level p takes the children as
    independent, so a difference between areas that were always different reads as an effect;
    this test asks whether the areas with the programme stand out among every choice of areas.
    All C(G, G1) assignments are enumerated when there are at most `max_enumerated`, otherwise
    `n_samples` random ones (seeded) and p = (1 + extreme) / (1 + n_samples). Its `p_floor`
    is the smallest p any data could give: 1 / C(G, G1) (2 / C(G, G1) when G = 2 G1, as each
    assignment's complement is as extreme).

    Parameters
    ----------
    outcome : array_like of numbers
        The outcome per child (0/1 for a share); missing = left out.
    area : array_like
        The area per child.
    treated_area : array_like of 0/1
        1 for a child of an area with the programme (constant within an area).
    max_enumerated, n_samples, seed : int, optional
        When to sample instead of enumerating, how many, and the generator's seed.

    Returns
    -------
    Test
        The observed difference as `statistic`, its p and `p_floor`; not estimable (with the
        reason) without an area in each arm, or with an area in both.

    Examples
    --------
    Four areas of 10 children, A and B with the programme: 9, 8, 5 and 4 children with the
    outcome. The observed difference is 17/20 - 9/20 = 0.40; of the 6 ways of choosing two
    areas, {A, B} and {C, D} give a difference as large (0.40 and -0.40), so p = 2/6:

    >>> import numpy as np
    >>> from pipeline.stats.did_inference import arm_randomisation
    >>> area = np.repeat(list("ABCD"), 10)
    >>> outcome = np.concatenate([np.arange(10) < k for k in (9, 8, 5, 4)]).astype(float)
    >>> test = arm_randomisation(outcome, area, np.isin(area, ["A", "B"]).astype(float))
    >>> round(test.statistic, 4), round(test.p_value, 4), round(test.p_floor, 4)
    (0.4, 0.3333, 0.3333)
    """
    y = as_finite(outcome, "outcome")
    treated = as_binary(treated_area, "treated_area")
    labels = as_labels(area)
    if not len(y) == len(treated) == len(labels):
        raise ValueError("outcome, area and treated_area differ in length")
    kept = ~(np.isnan(y) | np.isnan(treated) | labels.isna().to_numpy())
    codes, names = pd.factorize(labels[kept], sort=True)
    y, treated = y[kept], treated[kept]
    n_areas = len(names)
    children = np.bincount(codes, minlength=n_areas).astype(float)
    sums = np.bincount(codes, weights=y, minlength=n_areas)
    in_arm = np.bincount(codes, weights=treated, minlength=n_areas)
    common = {"reference": "randomisation", "n": int(kept.sum()), "subject": "difference between arms"}
    both = [str(names[a]) for a in range(n_areas) if 0 < in_arm[a] < children[a]]
    n_treated = int((in_arm > 0).sum())
    if both or n_treated in (0, n_areas):
        reason = (f"area(s) {', '.join(both)} in both arms" if both
                  else "both arms need at least one area")
        return Test.not_estimable("randomisation", reason, **common)
    n_possible = math.comb(n_areas, n_treated)
    symmetric = 2 * n_treated == n_areas
    if n_possible <= max_enumerated:
        chosen = np.array(list(combinations(range(n_areas), n_treated)), dtype=np.intp)
        enumerated = True
    else:
        rng = np.random.default_rng(seed)
        chosen = np.argsort(rng.random((n_samples, n_areas)), axis=1)[:, :n_treated]
        enumerated = False
    vectors = np.zeros((n_areas, len(chosen)))
    vectors[chosen.T, np.arange(len(chosen))] = 1.0

    def differences(assigned: np.ndarray) -> np.ndarray:
        n1, s1 = children @ assigned, sums @ assigned
        return s1 / n1 - (sums.sum() - s1) / (children.sum() - n1)

    observed = float(differences((in_arm > 0).astype(float)[:, None])[0])
    values = differences(vectors)
    scale = max(abs(observed), float(np.abs(values).max(initial=0.0)))
    extreme = int((np.abs(values) >= abs(observed) - _TOLERANCE * scale).sum())
    if enumerated:  # the observed assignment is one of those enumerated
        p_value, p_floor = extreme / len(values), (2 if symmetric else 1) / len(values)
    else:
        p_value, p_floor = (extreme + 1) / (len(values) + 1), 1 / (len(values) + 1)
    return Test(observed, None, None, p_value, "randomisation", p_floor=p_floor, **common,
                details={"n_areas": n_areas, "n_areas_intervention": n_treated,
                         "n_possible_assignments": n_possible, "enumerated": enumerated,
                         "seed": None if enumerated else seed})


def _randomisation_test(panel: _Panel, statistic: Literal["t", "coefficient"],
                        max_enumerated: int, n_samples: int, seed: int) -> Test:
    """`randomisation_inference` of a panel."""
    n_areas, n_treated = panel.n_areas, int(panel.treated.sum())
    n_possible = math.comb(n_areas, n_treated)
    symmetric = 2 * n_treated == n_areas
    details = {"statistic": statistic, "n_possible_assignments": n_possible,
               "n_areas": n_areas, "n_areas_intervention": n_treated,
               "adjusted": panel.covariates.shape[1] > 0,
               "complement_is_an_assignment": symmetric, "dropped": panel.dropped}
    common = {"reference": "randomisation", "n": panel.n, "tested": ("treated_area:post",),
              "subject": "DiD term",
              "covariance": "cluster-robust CR1 by area" if statistic == "t" else None}

    def not_estimable(reason: str, estimate: float | None = None) -> Test:
        return Test.not_estimable(
            "randomisation", reason, **common,
            details={"estimate": estimate, **details, "n_assignments": 0, "enumerated": False,
                     "seed": None, "n_undefined": 0})

    if n_treated in (0, n_areas):
        return not_estimable(f"no {ARMS[1] if n_treated else ARMS[0]} area: both arms need "
                             "at least one area")
    one_period = panel.areas_missing_a_period()
    if one_period:
        return not_estimable(
            f"area(s) {', '.join(map(str, one_period))} have children in only one period: an "
            "area must be seen before and after to show a change, and an area without one "
            "would still count as a slot in every assignment, faking a finer floor")

    scorer = _AssignmentScorer(panel, adjusted=True)
    observed_vector = panel.treated.astype(float)[:, None]
    estimate, observed = (float(v[0]) for v in scorer.statistics(observed_vector, statistic))
    if not math.isfinite(estimate):
        return not_estimable("the DiD term is collinear with the covariates (for example "
                             "a covariate that coincides with the intervention areas after "
                             "the start)")
    if not math.isfinite(observed):
        return not_estimable("the cluster-robust t is undefined: the area scores cancel (as "
                             "with one area in each arm); statistic='coefficient' still "
                             "gives a p", estimate)

    if n_possible <= max_enumerated:
        chosen = np.array(list(combinations(range(n_areas), n_treated)), dtype=np.intp)
        enumerated, used_seed = True, None
    else:
        rng = np.random.default_rng(seed)
        chosen = np.argsort(rng.random((n_samples, n_areas)), axis=1)[:, :n_treated]
        enumerated, used_seed = False, seed
    vectors = np.zeros((n_areas, len(chosen)))
    vectors[chosen.T, np.arange(len(chosen))] = 1.0
    values = scorer.statistics(vectors, statistic)[1]
    defined = values[np.isfinite(values)]
    scale = max(abs(observed), float(np.abs(defined).max(initial=0.0)))
    extreme = int((np.abs(defined) >= abs(observed) - _TOLERANCE * scale).sum())
    n_undefined = len(values) - len(defined)
    if enumerated:  # the observed assignment is one of those enumerated
        n_assignments = len(defined)
        p_value = extreme / n_assignments
        p_floor = (2 if symmetric else 1) / n_assignments
    else:
        n_assignments = len(defined) + 1
        p_value = (extreme + 1) / n_assignments
        p_floor = 1 / n_assignments
    return Test(observed, None, None, p_value, "randomisation", p_floor=p_floor, **common,
                details={"estimate": estimate, **details, "n_assignments": n_assignments,
                         "enumerated": enumerated, "seed": used_seed,
                         "n_undefined": n_undefined})


def area_period_cells(outcome: object, area: object, post: object,
                      treated_area: object) -> pd.DataFrame:
    """Children, events and proportion in each area before and after the start.

    One row per area and period (intervention areas first, then comparison; `pre` before
    `post`); an empty cell is kept with 0 children and no proportion.

    Parameters
    ----------
    outcome : array_like of 0/1
        The outcome per child (missing = left out).
    area : array_like
        The area label per child.
    post : array_like of 0/1
        1 for a child born after the programme start.
    treated_area : array_like of 0/1
        1 for a child in an intervention area (constant within an area).

    Returns
    -------
    pandas.DataFrame
        Columns area, arm ("intervention" or "comparison"), period ("pre" or "post"),
        children, events, proportion (0-1, missing for an empty cell).

    Raises
    ------
    ValueError
        If a 0/1 input has other values, the inputs differ in length, or an area is
        labelled both intervention and comparison.

    Examples
    --------
    >>> import numpy as np
    >>> def cells(*events):  # events among 10 children, cell by cell
    ...     return np.concatenate([np.repeat([1, 0], [k, 10 - k]) for k in events])
    >>> area = np.repeat(["A", "B", "C", "D"], 20)  # 10 children before, 10 after, per area
    >>> treated_area = np.repeat([1, 1, 0, 0], 20)
    >>> post = np.tile(np.repeat([0, 1], 10), 4)
    >>> outcome = cells(4, 6, 3, 6, 4, 4, 5, 5)  # area A before, after; B before, after; ...
    >>> from pipeline.stats.did_inference import area_period_cells
    >>> table = area_period_cells(outcome, area, post, treated_area)
    >>> table[["area", "period", "events"]].head(2).values.tolist()
    [['A', 'pre', 4], ['A', 'post', 6]]
    >>> [float(p) for p in table["proportion"]]
    [0.4, 0.6, 0.3, 0.6, 0.4, 0.4, 0.5, 0.5]
    """
    # events and proportions: a 0/1 outcome only (the panel itself takes any number)
    return _Panel.build(as_binary(outcome, "outcome"), area, post, treated_area).cells()


def pairwise_did(outcome: object, area: object, post: object,
                 treated_area: object) -> pd.DataFrame:
    """Every unadjusted DiD of one intervention area against one comparison area.

    did = (p_a,post - p_a,pre) - (p_c,post - p_c,pre) from the area x period cells, with
    the children in each of the four cells; no DiD (and a reason) where a cell is empty.

    Parameters
    ----------
    outcome : array_like of 0/1
        The outcome per child (missing = left out).
    area : array_like
        The area label per child.
    post : array_like of 0/1
        1 for a child born after the programme start.
    treated_area : array_like of 0/1
        1 for a child in an intervention area (constant within an area).

    Returns
    -------
    pandas.DataFrame
        One row per intervention × comparison area pair: intervention_area,
        comparison_area, did, change_intervention, change_comparison, the children in the
        four cells, children, reason.

    Raises
    ------
    ValueError
        If a 0/1 input has other values, the inputs differ in length, or an area is
        labelled both intervention and comparison.

    Examples
    --------
    Area A rises by 0.2 and B by 0.3; comparison areas C and D do not change:

    >>> import numpy as np
    >>> def cells(*events):  # events among 10 children, cell by cell
    ...     return np.concatenate([np.repeat([1, 0], [k, 10 - k]) for k in events])
    >>> area = np.repeat(["A", "B", "C", "D"], 20)  # 10 children before, 10 after, per area
    >>> treated_area = np.repeat([1, 1, 0, 0], 20)
    >>> post = np.tile(np.repeat([0, 1], 10), 4)
    >>> outcome = cells(4, 6, 3, 6, 4, 4, 5, 5)  # area A before, after; B before, after; ...
    >>> from pipeline.stats.did_inference import pairwise_did
    >>> table = pairwise_did(outcome, area, post, treated_area)
    >>> [(a, c, round(float(d), 4)) for a, c, d in
    ...  table[["intervention_area", "comparison_area", "did"]].itertuples(index=False)]
    [('A', 'C', 0.2), ('A', 'D', 0.2), ('B', 'C', 0.3), ('B', 'D', 0.3)]
    """
    panel = _Panel.build(as_binary(outcome, "outcome"), area, post, treated_area)
    children, proportions = panel.children_and_proportions()
    rows = []
    for first in np.flatnonzero(panel.treated):
        for second in np.flatnonzero(~panel.treated):
            row: dict[str, Any] = {"intervention_area": panel.labels[first],
                                   "comparison_area": panel.labels[second]}
            changes = []
            for code, name in ((first, "intervention"), (second, "comparison")):
                for column, period in enumerate(PERIODS):
                    row[f"children_{name}_{period}"] = int(children[code, column])
                before, after = proportions[code]
                change = None if np.isnan(before) or np.isnan(after) else float(after - before)
                row[f"change_{name}"] = change
                changes.append(change)
            row["children"] = sum(row[f"children_{name}_{period}"]
                                  for name in ("intervention", "comparison") for period in PERIODS)
            empty = [f"{panel.labels[code]} {period}" for code in (first, second)
                     for column, period in enumerate(PERIODS) if children[code, column] == 0]
            row["did"] = None if empty else changes[0] - changes[1]
            row["reason"] = f"no children in {', '.join(empty)}" if empty else None
            rows.append(row)
    return _table(rows, PAIRWISE_COLUMNS, {"did": "Float64", "change_intervention": "Float64",
                                           "change_comparison": "Float64", "reason": "string"})


def leave_one_area_out(outcome: object, area: object, post: object, treated_area: object,
                       covariates: pd.DataFrame | None = None) -> pd.DataFrame:
    """The area-effects DiD re-estimated without each area in turn.

    `did_unadjusted` without and `did_adjusted` with the covariates (no value when none are
    given); both on the children with complete covariates, so that they differ only by the
    adjustment. An arm left with no area gives no DiD and says so in `reason`. The outcome
    may be any number (0/1, a count, a measurement): the linear DiD is a difference of mean
    changes.

    Parameters
    ----------
    outcome : array_like of numbers
        The outcome per child: finite numbers or booleans (missing = left out).
    area : array_like
        The area label per child.
    post : array_like of 0/1
        1 for a child born after the programme start.
    treated_area : array_like of 0/1
        1 for a child in an intervention area (constant within an area).
    covariates : pandas.DataFrame, optional
        Covariates per child, in the same order; children with a missing covariate are
        left out of both DiD columns.

    Returns
    -------
    pandas.DataFrame
        One row per area left out: left_out_area, left_out_arm, n_areas_intervention,
        n_areas_comparison, children, did_unadjusted, did_adjusted, reason.

    Raises
    ------
    ValueError
        If an outcome is not a number or infinite, `post` or `treated_area` is other than
        0/1, the inputs differ in length, or an area is labelled both intervention and
        comparison.

    Examples
    --------
    Without A only B's rise of 0.3 is left, without B only A's 0.2:

    >>> import numpy as np
    >>> def cells(*events):  # events among 10 children, cell by cell
    ...     return np.concatenate([np.repeat([1, 0], [k, 10 - k]) for k in events])
    >>> area = np.repeat(["A", "B", "C", "D"], 20)  # 10 children before, 10 after, per area
    >>> treated_area = np.repeat([1, 1, 0, 0], 20)
    >>> post = np.tile(np.repeat([0, 1], 10), 4)
    >>> outcome = cells(4, 6, 3, 6, 4, 4, 5, 5)  # area A before, after; B before, after; ...
    >>> from pipeline.stats.did_inference import leave_one_area_out
    >>> table = leave_one_area_out(outcome, area, post, treated_area)
    >>> [round(float(d), 4) for d in table["did_unadjusted"]]
    [0.3, 0.2, 0.25, 0.25]
    """
    return _leave_one_out_table(_Panel.build(outcome, area, post, treated_area, covariates))


def _leave_one_out_table(panel: _Panel) -> pd.DataFrame:
    """`leave_one_area_out` of a panel."""
    adjusted = panel.covariates.shape[1] > 0
    blocks = panel.blocks
    rows = []
    for code, label in enumerate(panel.labels):
        remaining = np.delete(np.arange(panel.n_areas), code)
        arm = ARMS[0] if panel.treated[code] else ARMS[1]
        n_treated = int(panel.treated[remaining].sum())
        row: dict[str, Any] = {
            "left_out_area": label, "left_out_arm": arm, "n_areas_intervention": n_treated,
            "n_areas_comparison": len(remaining) - n_treated,
            "children": blocks.children(remaining),
            "did_unadjusted": None, "did_adjusted": None, "reason": None,
        }
        if n_treated == 0 or n_treated == len(remaining):
            empty = ARMS[0] if n_treated == 0 else ARMS[1]
            row["reason"] = f"no {empty} area left without {label}"
        else:
            arms = panel.treated[remaining]
            unadjusted = blocks.did(remaining, arms, adjusted=False)
            row["did_unadjusted"] = unadjusted
            if adjusted:
                row["did_adjusted"] = blocks.did(remaining, arms, adjusted=True)
            if unadjusted is None or (adjusted and row["did_adjusted"] is None):
                row["reason"] = (f"without {label} no area is seen in both periods in one "
                                 "arm, or the DiD term is collinear with the covariates")
        rows.append(row)
    return _table(rows, LEAVE_ONE_OUT_COLUMNS, {"did_unadjusted": "Float64",
                                                "did_adjusted": "Float64", "reason": "string"})


def placebo_areas(outcome: object, area: object, post: object, treated_area: object,
                  covariates: pd.DataFrame | None = None) -> pd.DataFrame:
    """Each comparison area in turn as a placebo intervention area (in-space placebos).

    The intervention areas are left out; the area-effects DiD of one comparison area against
    all the other comparison areas shows how large a DiD an area without the programme
    shows by chance (Abadie, Diamond & Hainmueller 2010, JASA 105:493). `did_adjusted` adds
    the covariates (no value when none are given). The outcome may be any number (0/1, a
    count, a measurement): the linear DiD is a difference of mean changes. See `placebo_p`.

    Parameters
    ----------
    outcome : array_like of numbers
        The outcome per child: finite numbers or booleans (missing = left out).
    area : array_like
        The area label per child.
    post : array_like of 0/1
        1 for a child born after the programme start.
    treated_area : array_like of 0/1
        1 for a child in an intervention area (constant within an area).
    covariates : pandas.DataFrame, optional
        Covariates per child, in the same order; children with a missing covariate are
        left out of both DiD columns.

    Returns
    -------
    pandas.DataFrame
        One row per comparison area: placebo_area, n_areas_comparison (the others),
        children, did_unadjusted, did_adjusted, reason.

    Raises
    ------
    ValueError
        If an outcome is not a number or infinite, `post` or `treated_area` is other than
        0/1, the inputs differ in length, or an area is labelled both intervention and
        comparison.

    Examples
    --------
    Neither comparison area changes, so each placebo DiD against the other is 0:

    >>> import numpy as np
    >>> def cells(*events):  # events among 10 children, cell by cell
    ...     return np.concatenate([np.repeat([1, 0], [k, 10 - k]) for k in events])
    >>> area = np.repeat(["A", "B", "C", "D"], 20)  # 10 children before, 10 after, per area
    >>> treated_area = np.repeat([1, 1, 0, 0], 20)
    >>> post = np.tile(np.repeat([0, 1], 10), 4)
    >>> outcome = cells(4, 6, 3, 6, 4, 4, 5, 5)  # area A before, after; B before, after; ...
    >>> from pipeline.stats.did_inference import placebo_areas
    >>> table = placebo_areas(outcome, area, post, treated_area)
    >>> [(a, round(float(d), 4)) for a, d in zip(table["placebo_area"], table["did_unadjusted"])]
    [('C', 0.0), ('D', 0.0)]
    """
    return _placebo_table(_Panel.build(outcome, area, post, treated_area, covariates))


def _placebo_table(panel: _Panel) -> pd.DataFrame:
    """`placebo_areas` of a panel."""
    adjusted = panel.covariates.shape[1] > 0
    blocks = panel.blocks
    comparison = np.flatnonzero(~panel.treated)
    children = blocks.children(comparison)
    rows = []
    for code in comparison:
        row: dict[str, Any] = {
            "placebo_area": panel.labels[code], "n_areas_comparison": len(comparison) - 1,
            "children": children, "did_unadjusted": None, "did_adjusted": None, "reason": None,
        }
        if len(comparison) < 2:
            row["reason"] = "no other comparison area to compare with"
        else:
            arms = comparison == code
            row["did_unadjusted"] = blocks.did(comparison, arms, adjusted=False)
            if adjusted:
                row["did_adjusted"] = blocks.did(comparison, arms, adjusted=True)
            if row["did_unadjusted"] is None:
                row["reason"] = f"{panel.labels[code]} is not seen in both periods"
        rows.append(row)
    return _table(rows, PLACEBO_COLUMNS, {"did_unadjusted": "Float64", "did_adjusted": "Float64",
                                          "reason": "string"})


AREA_CHECKS = ("randomisation", "leave_one_out", "placebo_areas")


def area_checks(outcome: object, area: object, post: object, treated_area: object,
                covariates: pd.DataFrame | None = None, *,
                checks: tuple[str, ...] = AREA_CHECKS,
                each_intervention_area: bool = False) -> dict[str, Any]:
    """Several few-area checks of the same children, from one panel of them.

    `randomisation_inference` (with its defaults), `leave_one_area_out` and `placebo_areas`
    each build the panel of children with every input observed (and the covariate design);
    asking for the checks together builds it once.

    Parameters
    ----------
    outcome, area, post, treated_area, covariates
        As `randomisation_inference`.
    checks : tuple of str, optional
        Which checks, in the order made: "randomisation", "leave_one_out", "placebo_areas"
        (all by default).
    each_intervention_area : bool, optional
        Also the randomisation test and the placebo areas of each intervention area alone
        with every comparison area (an area's own DiD), from the same panel: an area's
        children are reduced once for all of them, not once per such contrast.

    Returns
    -------
    dict
        Each check by name: the randomisation `Test`, the leave-one-out and placebo tables;
        with `each_intervention_area`, "intervention_areas": for each intervention area's
        label, its "randomisation" and "placebo_areas", as `area_checks` of its children
        and the comparison areas' would give them when the covariates' columns are the same
        there (a column left constant among those children changes nothing but rounding).

    Raises
    ------
    ValueError
        As the checks do, or for an unknown check.

    Examples
    --------
    >>> import numpy as np
    >>> def cells(*events):  # events among 10 children, cell by cell
    ...     return np.concatenate([np.repeat([1, 0], [k, 10 - k]) for k in events])
    >>> area = np.repeat(["A", "B", "C", "D"], 20)  # 10 children before, 10 after, per area
    >>> treated_area = np.repeat([1, 1, 0, 0], 20)
    >>> post = np.tile(np.repeat([0, 1], 10), 4)
    >>> outcome = cells(4, 6, 3, 6, 4, 4, 5, 5)  # area A before, after; B before, after; ...
    >>> from pipeline.stats.did_inference import area_checks
    >>> found = area_checks(outcome, area, post, treated_area)
    >>> round(found["randomisation"].p_value, 4), found["placebo_areas"]["placebo_area"].tolist()
    (0.3333, ['C', 'D'])

    Area A alone against C and D, as the checks of those children alone find it:

    >>> each = area_checks(outcome, area, post, treated_area, each_intervention_area=True)
    >>> alone = each["intervention_areas"]["A"]
    >>> own = area != "B"
    >>> by_itself = area_checks(outcome[own], area[own], post[own], treated_area[own])
    >>> alone["randomisation"].reason == by_itself["randomisation"].reason
    True
    >>> alone["placebo_areas"].equals(by_itself["placebo_areas"])
    True
    """
    unknown = set(checks) - set(AREA_CHECKS)
    if unknown:
        raise ValueError(f"unknown area checks {sorted(unknown)}; choose from {AREA_CHECKS}")
    panel = _Panel.build(outcome, area, post, treated_area, covariates)
    found: dict[str, Any] = {name: _check(panel, name) for name in checks}
    if each_intervention_area:
        comparison = np.flatnonzero(~panel.treated)
        found["intervention_areas"] = {
            panel.labels[code]: {name: _check(panel.restricted(np.r_[code, comparison]), name)
                                 for name in ("randomisation", "placebo_areas")}
            for code in np.flatnonzero(panel.treated)}
    return found


def _check(panel: _Panel, name: str) -> Test | pd.DataFrame:
    """One of `AREA_CHECKS` of a panel (the randomisation test with its defaults)."""
    if name == "randomisation":
        return _randomisation_test(panel, "t", MAX_ENUMERATED, DEFAULT_SAMPLES, DEFAULT_SEED)
    return _leave_one_out_table(panel) if name == "leave_one_out" else _placebo_table(panel)


def placebo_p(estimate: float | None, placebo_estimates: object) -> Test:
    """Where the observed DiD falls among placebo DiDs: a test with its p and floor.

    p is the share of the areas — the observed estimate and the k placebo ones — whose
    |DiD| is at least the observed |DiD|; the floor is 1 / (k + 1). Each placebo is one
    area; an estimate pooled over several intervention areas averages out some of the
    area-level noise, so the comparison is conservative for it.

    Parameters
    ----------
    estimate : float or None
        The observed DiD.
    placebo_estimates : array_like of float
        The placebo DiDs (e.g. `placebo_areas`' did_unadjusted); missing ones are ignored.

    Returns
    -------
    Test
        Method "placebo_areas", reference "randomisation": `statistic` the observed DiD,
        `p_value` (1 + placebos with |DiD| >= |estimate|) / (1 + k), `p_floor`
        1 / (1 + k). `details`: "n_placebos" (k), "n_at_least_as_large" and
        "placebo_estimates" (the k DiDs compared). Not estimable, with the reason, without
        an estimate or without a placebo DiD.

    Examples
    --------
    One of three placebos (0.3) is at least as large as the observed 0.25: p = (1 + 1) / 4.

    >>> from pipeline.stats.did_inference import placebo_p
    >>> test = placebo_p(0.25, [0.0, -0.1, 0.3])
    >>> test.p_value, test.p_floor, test.details["n_at_least_as_large"]
    (0.5, 0.25, 1)
    >>> test.summary()
    'placebo-area test of 1 DiD term: statistic = 0.25, p = 0.5, p cannot go below 0.25'
    >>> placebo_p(0.25, [None]).reason
    'no placebo DiD: no comparison area gives one'
    """
    values = pd.Series(placebo_estimates, dtype="Float64").dropna().to_numpy(dtype=float)
    common = {"reference": "randomisation", "tested": ("treated_area:post",),
              "subject": "DiD term"}
    if estimate is None or not np.isfinite(estimate):
        return Test.not_estimable("placebo_areas", "no observed DiD to compare with the "
                                  "placebo ones", **common, details={"n_placebos": values.size})
    if not values.size:
        return Test.not_estimable("placebo_areas", "no placebo DiD: no comparison area gives "
                                  "one", **common, details={"estimate": float(estimate),
                                                            "n_placebos": 0})
    at_least = int((np.abs(values) >= abs(estimate) * (1 - _TOLERANCE)).sum())
    return Test(float(estimate), None, None, float((1 + at_least) / (1 + values.size)),
                "placebo_areas", p_floor=1 / (1 + values.size), **common,
                details={"n_placebos": values.size, "n_at_least_as_large": at_least,
                         "placebo_estimates": tuple(values.tolist())})


@dataclass(frozen=True)
class _Panel:
    """Children with observed outcome, period, area (and covariates), areas coded 0..G-1."""

    y: np.ndarray
    post: np.ndarray
    area: np.ndarray
    labels: tuple[Any, ...]
    treated: np.ndarray  # per area code
    covariates: np.ndarray  # n x p, p may be 0 (a `restricted` panel: 0 x p, its blocks hold them)
    dropped: Dropped

    @classmethod
    def build(cls, outcome: object, area: object, post: object, treated_area: object,
              covariates: pd.DataFrame | None = None) -> _Panel:
        """The panel of children with every input observed; the outcome any finite number."""
        y_all = as_finite(outcome, "outcome")
        post_all = as_binary(post, "post")
        treated_all = as_binary(treated_area, "treated_area")
        area_all = as_labels(area)
        if not len(y_all) == len(post_all) == len(treated_all) == len(area_all):
            raise ValueError("outcome, area, post and treated_area differ in length")
        observed = ~(np.isnan(y_all) | np.isnan(post_all) | np.isnan(treated_all)
                     | area_all.isna().to_numpy())
        design = build_covariate_design(covariates, len(y_all), observed)
        keep = design.kept_rows
        codes, labels = pd.factorize(area_all[keep], sort=True)
        if inconsistent := coded_areas_in_both_arms(codes, labels, treated_all[keep]):
            raise ValueError(both_arms_reason(inconsistent))
        treated = np.bincount(codes, weights=treated_all[keep] == 1, minlength=len(labels)) > 0
        # intervention areas first, then comparison, each in label order
        order = np.argsort(~treated, kind="stable")
        recode = np.empty(len(order), dtype=np.intp)
        recode[order] = np.arange(len(order))
        return cls(y_all[keep], post_all[keep], recode[codes],
                   tuple(labels[order]), treated[order],
                   design.covariates.to_numpy(dtype=float), design.dropped)

    @property
    def n(self) -> int:
        return len(self.y)

    @property
    def n_areas(self) -> int:
        return len(self.labels)

    def _counts(self) -> tuple[np.ndarray, np.ndarray]:
        """Children and events by area (rows) and period (columns pre, post)."""
        cell = self.area * 2 + self.post.astype(np.intp)
        children = np.bincount(cell, minlength=2 * self.n_areas).reshape(-1, 2)
        events = np.bincount(cell, weights=self.y, minlength=2 * self.n_areas).reshape(-1, 2)
        return children, np.rint(events).astype(np.int64)

    def children_and_proportions(self) -> tuple[np.ndarray, np.ndarray]:
        """Children and the proportion with the outcome (NaN in an empty cell) by area
        (rows) and period (columns pre, post)."""
        children, events = self._counts()
        return children, _proportions(children, events)

    def cells(self) -> pd.DataFrame:
        children, events = self._counts()
        proportion = _proportions(children, events)
        table = pd.DataFrame({
            "area": np.repeat(np.array(self.labels, dtype=object), 2),
            "arm": np.repeat(np.where(self.treated, ARMS[0], ARMS[1]), 2),
            "period": np.tile(PERIODS, self.n_areas),
            "children": children.ravel().astype(np.int64),
            "events": events.ravel(),
            "proportion": pd.array(proportion.ravel(), dtype="Float64"),
        }, columns=CELL_COLUMNS)
        return table

    def areas_missing_a_period(self) -> list[Any]:
        children, _ = self._counts()
        return [self.labels[g] for g in np.flatnonzero((children == 0).any(axis=1))]

    def restricted(self, codes: np.ndarray) -> _Panel:
        """The children of the areas `codes` (ascending: intervention areas stay first) as a
        panel of their own, their areas coded 0.. in the same order, and its blocks taken
        from this panel's: an area's block is made from its own children alone (their
        columns demeaned within the area), so it is the block a panel of these areas would
        make of them with the same columns. Its covariates keep their columns but no rows:
        its checks read them only from its blocks (a million children's rows taken again for
        each area and indicator were most of the restriction's time: 2.2 -> 0.3 s)."""
        codes = np.asarray(codes, dtype=np.intp)
        if np.any(np.diff(codes) <= 0):
            raise ValueError("restricted: the area codes must be ascending")
        recode = np.full(self.n_areas, -1, dtype=np.intp)
        recode[codes] = np.arange(len(codes))
        kept = recode[self.area] >= 0
        panel = _Panel(self.y[kept], self.post[kept], recode[self.area[kept]],
                       tuple(self.labels[code] for code in codes), self.treated[codes],
                       self.covariates[:0], self.dropped)
        blocks = self.blocks
        rows = recode[blocks.area] >= 0
        panel.__dict__["blocks"] = _AreaBlocks(blocks.rows[rows], recode[blocks.area[rows]],
                                               blocks.sizes[codes])  # the cached property
        return panel

    @cached_property
    def blocks(self) -> _AreaBlocks:
        """The children reduced to a few rows per area for the area-effects fits."""
        return _AreaBlocks.of(self)


@dataclass(frozen=True)
class _AreaBlocks:
    """Each area's children as at most 2 + p rows with the same cross-products.

    With area effects every check is a least-squares fit on columns demeaned within each
    area, and over any set of areas with any arms it depends on the children only through
    each area's cross-products of its demeaned [post, covariates, y]: a DiD column is post
    in an intervention area and 0 in a comparison one, and each residual, restricted to one
    area, is a combination of that area's columns. The triangular factor R of an area's
    demeaned columns (A = QR) has the same cross-products (A'A = R'R), so the fits on the
    stacked R of the areas give the same coefficients and the same residual sums, in total
    and per area, up to rounding: the children are reduced once, and each leave-one-out and
    placebo DiD and the randomisation test's scorer is a fit on a few hundred rows instead
    of every child (issue 14).
    """

    rows: np.ndarray  # the areas' R factors stacked; columns post, covariates, y
    area: np.ndarray  # the area code of each row
    sizes: np.ndarray  # children per area code

    @classmethod
    def of(cls, panel: _Panel) -> _AreaBlocks:
        """The blocks of a panel's children: [post, covariates, y] put in area order (stable:
        each area's children in their order), each area's rows minus their means (which
        absorbs the area effects), and each area's R factor.

        Made in one array of the children's size, demeaned in place area by area: a million
        children's columns demeaned and then put in order took four such arrays, most of
        the time going to the fresh memory. The means are bincount's sums in the children's
        order, which the stable order keeps within each area."""
        columns = [panel.post, *panel.covariates.T, panel.y]
        sizes = np.bincount(panel.area, minlength=panel.n_areas)
        means = np.column_stack([np.bincount(panel.area, weights=column, minlength=panel.n_areas)
                                 for column in columns]) / np.maximum(sizes, 1)[:, None]
        # the area codes as 16-bit integers, which numpy's stable sort orders by radix (the
        # same order: a million children's 8-byte codes took 20 times as long)
        codes = panel.area.astype(np.int16) if panel.n_areas <= np.iinfo(np.int16).max else panel.area
        order = np.argsort(codes, kind="stable")
        ordered = np.empty((panel.n, len(columns)), order="F")  # a column at a time
        for position, column in enumerate(columns):
            np.take(column, order, out=ordered[:, position], mode="clip")  # unbuffered
        factors = []
        for code, (start, stop) in enumerate(pairwise(np.cumsum([0, *sizes]))):
            part = ordered[start:stop]
            part -= means[code]
            factors.append(np.linalg.qr(part, mode="r"))
        area = np.repeat(np.arange(panel.n_areas), [len(factor) for factor in factors])
        return cls(np.vstack(factors), area, sizes)

    def children(self, codes: np.ndarray) -> int:
        return int(self.sizes[codes].sum())

    def design(self, adjusted: bool, keep: np.ndarray | slice = np.s_[:]) -> np.ndarray:
        """Post (and the covariates) with the area effects absorbed, as these rows."""
        return self.rows[keep, : self.rows.shape[1] - 1 if adjusted else 1]

    @staticmethod
    def cutoff(children: int, design: np.ndarray) -> float:
        """numpy's default rcond for the children's own design: the rank as theirs."""
        return np.finfo(float).eps * max(children, design.shape[1])

    def did(self, codes: np.ndarray, treated: np.ndarray, adjusted: bool) -> float | None:
        """The area-effects DiD coefficient of the areas `codes` with arms `treated` (one
        per code), or None when the DiD term is not identified."""
        keep = np.isin(self.area, codes)
        rows, design = self.rows[keep], self.design(adjusted, keep)
        term = rows[:, 0] * np.isin(self.area[keep], codes[treated])
        raw = np.column_stack([rows[:, -1], term])
        cutoff = self.cutoff(self.children(codes), design)
        residual = raw - design @ np.linalg.lstsq(design, raw, rcond=cutoff)[0]
        y_residual, w = residual[:, 0], residual[:, 1]
        if w @ w <= _TOLERANCE * max(raw[:, 1] @ raw[:, 1], 1e-300):
            return None
        return float(w @ y_residual / (w @ w))


def _table(rows: list[dict[str, Any]], columns: list[str], types: dict[str, str]) -> pd.DataFrame:
    """The rows as a frame of `columns`, those named in `types` of that dtype (built column by
    column: typing a finished frame costs more than the rest of a table's work)."""
    if not rows:  # the untyped columns as an empty frame has them
        return pd.DataFrame(rows, columns=columns).astype(types)
    values = {column: [row[column] for row in rows] for column in columns}
    return pd.DataFrame({column: pd.array(values[column], dtype=types[column])
                         if column in types else values[column] for column in columns},
                        columns=columns)


def _proportions(children: np.ndarray, events: np.ndarray) -> np.ndarray:
    """Events / children, NaN where there are no children."""
    return np.divide(events, children, out=np.full(children.shape, np.nan), where=children > 0)


class _AssignmentScorer:
    """b and its CR1 t for any 0/1 vector v of intervention areas, without refitting.

    With Z = [area effects, post, covariates] fixed, FWL gives b = w'y~ / w'w with
    y~ = M_Z y and w = M_Z (treated:post) = W v, where column h of W is M_Z of
    (area h):post. Hence b = a'v / v'Bv (a = W'y~, B = W'W), the residual is y~ - b w, and
    the score of area g is sum_{i in g} w_i e_i = (P v)_g - b v'Q_g v with
    P[g, h] = sum_{i in g} W_ih y~_i and Q_g = W_g'W_g. The CR1 variance of b is
    G/(G-1) (N-1)/(N-K) sum_g score_g^2 / (v'Bv)^2, as statsmodels' cluster covariance.
    """

    def __init__(self, panel: _Panel, adjusted: bool) -> None:
        n, n_areas, blocks = panel.n, panel.n_areas, panel.blocks  # sums over areas' rows
        design = blocks.design(adjusted)
        in_area = np.zeros((len(blocks.area), n_areas))
        in_area[np.arange(len(blocks.area)), blocks.area] = 1.0
        raw = np.column_stack([blocks.rows[:, -1], in_area * blocks.rows[:, :1]])
        coefficients, _, rank, _ = np.linalg.lstsq(design, raw, rcond=blocks.cutoff(n, design))
        residual = raw - design @ coefficients
        y_residual, w = residual[:, 0], residual[:, 1:]
        self.a = w.T @ y_residual
        self.b = w.T @ w
        self.p = in_area.T @ (w * y_residual[:, None])
        self.q = np.stack([w[blocks.area == g].T @ w[blocks.area == g] for g in range(n_areas)])
        n_parameters = n_areas + rank + 1
        self.correction = (n_areas / (n_areas - 1) * (n - 1) / (n - n_parameters)
                           if n_areas > 1 and n > n_parameters else math.nan)
        # a DiD column this much smaller than before removing Z is not identified
        self.identified_at = _TOLERANCE * float(np.sum(raw[:, 1:] ** 2, axis=0).max(initial=0))

    def statistics(self, vectors: np.ndarray,
                   statistic: Literal["t", "coefficient"]) -> tuple[np.ndarray, np.ndarray]:
        """(b, statistic) for each column of `vectors` (areas x assignments); NaN if undefined."""
        n_areas = vectors.shape[0]
        chunk = max(1, _CHUNK_ELEMENTS // (n_areas * n_areas))
        coefficients, values = [], []
        for start in range(0, vectors.shape[1], chunk):
            v = vectors[:, start:start + chunk]
            denominator = np.einsum("hs,hs->s", v, self.b @ v)
            identified = denominator > self.identified_at * np.maximum(v.sum(0), 1)
            with np.errstate(divide="ignore", invalid="ignore"):
                b = np.where(identified, (self.a @ v) / denominator, np.nan)
                if statistic == "coefficient":
                    values.append(b)
                else:
                    explained = self.p @ v
                    fitted = b * np.einsum("ghs,hs->gs", np.tensordot(self.q, v, axes=(2, 0)), v)
                    scores = explained - fitted
                    sum_squares = (scores**2).sum(0)
                    cancelled = sum_squares <= (_TOLERANCE**2) * (
                        (explained**2).sum(0) + (fitted**2).sum(0))
                    se = np.sqrt(self.correction * sum_squares) / denominator
                    values.append(np.where(cancelled, np.nan, b / se))
            coefficients.append(b)
        return np.concatenate(coefficients), np.concatenate(values)
