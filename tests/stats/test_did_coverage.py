"""DiD inference by simulation: coverage of the headline interval, uniformity of the
randomisation p.

One data-generating process for both: areas x birth half-years (two before the start in
2020H1, two after), a few hundred children per area, each area with its own level and its
own shock in every half-year (so children of one area are correlated beyond what the area
and period effects absorb: the within-area correlation the clustered inference is for), a
common trend, and a binary outcome whose probability is

    0.45 + level[area] + trend[half-year] + shock[area, half-year] + DiD * intervention * post

The effect is additive on the probability scale and no probability needs clipping, so the
linear probability model with area and half-year effects is exactly right and its DiD term
targets the DiD of the process exactly: the truth an interval must cover is `TRUE_DID`,
with no link or collapsibility question.

Coverage (Monte Carlo error sqrt(.95 * .05 / 600) = 0.9 points, so 93-97 % is about +-2.2
standard errors around 95 %), seeds fixed before the first run. Observed share of intervals
covering the truth, headline (raw CR1; child-level HC1):

    8 + 24 areas (cluster-robust)   these 600 replicates  94.7 % (92.7; 90.7)
                                    2 000 others          94.0 % (92.3; 90.2)
    6 + 20 areas (wild bootstrap)   these 600 replicates  94.0 % (90.7; 88.5)
                                    2 000 others          95.4 % (91.2; 89.7)
                                    1 000 others, 9 999 bootstrap draws 95.8 %
    2 + 8 areas (wild bootstrap)    1 000 others          99.7 %, median width 0.48

So the headline holds its level with 26 or 32 areas, and the floor at the child-level SE
lifts CR1 from 92 to 94 %; with 2 intervention areas the restricted wild bootstrap is very
conservative (MacKinnon & Webb 2017, J Appl Econometrics 32:233), which is why that design
is not asserted here.
"""

from itertools import combinations
from math import comb

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from pipeline.stats.did import difference_in_differences
from pipeline.stats.did_inference import randomisation_inference

pytestmark = pytest.mark.slow

HALF_YEARS = ("2019H1", "2019H2", "2020H1", "2020H2")
START = HALF_YEARS.index("2020H1")
TRUE_DID = 0.06
COVERAGE_REPLICATES = 600
UNIFORMITY_REPLICATES = 400


def _study(n_intervention: int, n_comparison: int, seed: list[int],
           did: float = TRUE_DID) -> pd.DataFrame:
    """One child per row: area, birth half-year, post, treated_area, y (the first
    `n_intervention` areas are the intervention areas; every area is drawn alike)."""
    rng = np.random.default_rng(seed)
    n_areas, n_halves = n_intervention + n_comparison, len(HALF_YEARS)
    children = rng.integers(50, 101, size=(n_areas, n_halves))
    intervention_after = np.outer(np.arange(n_areas) < n_intervention,
                                  np.arange(n_halves) >= START)
    risk = (0.45 + rng.uniform(-0.12, 0.12, size=(n_areas, 1))   # area level
            + np.array([0.0, 0.01, 0.03, 0.04])                  # common trend
            + rng.uniform(-0.06, 0.06, size=(n_areas, n_halves))  # area x half-year shock
            + did * intervention_after)
    assert 0 < risk.min() and risk.max() < 1  # nothing clipped: the linear model is exact
    cell = np.repeat(np.arange(n_areas * n_halves), children.ravel())
    area, half = np.divmod(cell, n_halves)
    return pd.DataFrame({
        "area": area,
        "half_year": np.array(HALF_YEARS)[half],
        "post": (half >= START).astype(int),
        "treated_area": (area < n_intervention).astype(int),
        "y": (rng.random(len(cell)) < risk.ravel()[cell]).astype(int),
    })


@pytest.mark.parametrize(("n_intervention", "n_comparison", "headline"), [
    (8, 24, "cluster-robust CR1 by area"),  # 32 areas: CR1, never below the child-level SE
    (6, 20, "wild cluster bootstrap-t (restricted), interval by test inversion"),  # < 30
])
def test_headline_interval_covers_the_true_did_in_95_percent_of_studies(
        n_intervention: int, n_comparison: int, headline: str) -> None:
    covered, estimates = 0, []
    for replicate in range(COVERAGE_REPLICATES):
        frame = _study(n_intervention, n_comparison, seed=[7, n_intervention, replicate])
        result = difference_in_differences(
            frame["y"], frame["treated_area"], frame["post"], frame["area"],
            area_effects=True, period_effects=frame["half_year"], bootstrap_reps=999)
        estimate = result.preferred
        assert estimate.details["se_type"] == headline
        low = -np.inf if estimate.ci_low is None else estimate.ci_low
        high = np.inf if estimate.ci_high is None else estimate.ci_high
        covered += low <= TRUE_DID <= high
        estimates.append(estimate.estimate)
    # the target is exact: the estimates average to the true DiD within Monte Carlo error
    spread = np.std(estimates, ddof=1) / np.sqrt(COVERAGE_REPLICATES)
    assert np.mean(estimates) == pytest.approx(TRUE_DID, abs=4 * spread)
    assert 0.93 <= covered / COVERAGE_REPLICATES <= 0.97, covered


def _randomisation_p(frame: pd.DataFrame, intervention: set[str] | None = None):
    treated = (frame["treated_area"] if intervention is None
               else frame["area"].isin(intervention).astype(int))
    return randomisation_inference(frame["y"], frame["area"], frame["post"], treated)


@pytest.mark.parametrize(("n_intervention", "n_comparison"), [(3, 7), (4, 4)])
def test_randomisation_p_over_the_assignments_of_one_study_is_exactly_uniform(
        n_intervention: int, n_comparison: int) -> None:
    # Under the sharp null (no child's outcome depends on which areas are called
    # intervention) the outcomes are the same whatever the assignment; if the assignment
    # was drawn uniformly from the C(G, G1) possible ones, p is the rank of the drawn one's
    # |t| among all of them, so P(p <= k / C) = k / C exactly (Lehmann & Romano 2005,
    # Testing Statistical Hypotheses, theorem 15.2.1). With equal arms an assignment and
    # its complement tie, and each value 2k / C is taken by exactly two assignments.
    frame = _study(n_intervention, n_comparison, seed=[11, n_intervention], did=0.0)
    areas = sorted(frame["area"].unique())
    n_assignments = comb(len(areas), n_intervention)
    ranks = []
    for intervention in combinations(areas, n_intervention):
        result = _randomisation_p(frame, set(intervention))
        assert result.details["enumerated"]
        assert result.details["n_assignments"] == n_assignments
        assert result.p_value >= result.p_floor
        ranks.append(round(result.p_value * n_assignments))
    if 2 * n_intervention == len(areas):  # 4 of 8: 2/70, 2/70, 4/70, 4/70, ..., 70/70
        expected = [2 * k for k in range(1, n_assignments // 2 + 1) for _ in range(2)]
    else:  # 3 of 10: 1/120, 2/120, ..., 120/120
        expected = list(range(1, n_assignments + 1))
    assert sorted(ranks) == expected


def test_randomisation_p_is_uniform_under_no_effect_over_replicates() -> None:
    # 3 intervention + 7 comparison areas, exchangeable: 120 assignments, floor 1/120, and
    # 0.1, 0.2 and 0.5 lie on the grid (12, 24 and 60 of 120): P(p <= alpha) = alpha
    results = [_randomisation_p(_study(3, 7, seed=[13, replicate], did=0.0))
               for replicate in range(UNIFORMITY_REPLICATES)]
    p_values = np.array([result.p_value for result in results])
    assert all(result.details["enumerated"] for result in results)
    assert all(result.p_floor == pytest.approx(1 / 120) for result in results)
    assert p_values.min() >= 1 / 120 - 1e-12
    assert np.allclose(p_values * 120, np.round(p_values * 120), atol=1e-9)
    for alpha in (0.1, 0.2, 0.5):
        rejected = int((p_values <= alpha + 1e-12).sum())
        # two-sided binomial test of P(p <= alpha) = alpha at 0.001 (0.003 for all three)
        assert stats.binomtest(rejected, UNIFORMITY_REPLICATES, alpha).pvalue > 0.001, (
            alpha, rejected)
