"""Standardised differences and WWC ratings, worked by hand (arithmetic in comments).

Formulas: What Works Clearinghouse Procedures and Standards Handbook v5.0 (2022),
appendix on effect sizes — Hedges' g with ω = 1 − 3/(4N − 9), Cox index = ω·LOR/1.65;
Austin PC (2009) Stat Med 28:3083–3107 for the standardised mean difference; Austin PC &
Stuart EA (2015) Stat Med 34:3661–3679 for weighted means and variances.
"""

import math

import numpy as np
import pytest

from pipeline.stats.balance import (
    baseline_difference,
    cox_index,
    equivalence_rating,
    hedges_g,
    standardised_mean_difference,
)


def _binary(events: int, n: int) -> np.ndarray:
    return np.r_[np.ones(events), np.zeros(n - events)]


def test_hedges_g_by_hand():
    # Intervention 2, 4, 6, 8: mean 5, s² = (9+1+1+9)/3 = 6.6667. Comparison 1, 3, 5: mean 3,
    # s² = (4+0+4)/2 = 4. Pooled s² = (3·6.6667 + 2·4)/5 = 5.6, s = 2.366432.
    # ω = 1 − 3/(4·7 − 9) = 16/19 = 0.842105. g = 0.842105·2/2.366432 = 0.711709.
    result = hedges_g([2, 4, 6, 8], [1, 3, 5])
    assert result.estimate == pytest.approx(0.711709, abs=1e-6)
    assert result.details["sd_pooled"] == pytest.approx(math.sqrt(5.6))
    assert result.details["small_sample_correction"] == pytest.approx(16 / 19)
    assert equivalence_rating(result.estimate) == "not_satisfied"
    assert (result.method, result.n) == ("unweighted", 7)


def test_cox_index_by_hand():
    # 30/100 vs 20/100: ln(.3/.7) − ln(.2/.8) = −0.847298 + 1.386294 = 0.538997;
    # / 1.65 = 0.326665; ω = 1 − 3/791 = 0.996207; d = 0.325426.
    result = cox_index(_binary(30, 100), _binary(20, 100))
    assert result.estimate == pytest.approx(0.325426, abs=1e-6)
    assert result.details["zero_cell_correction"] is False
    assert equivalence_rating(result.estimate) == "not_satisfied"


def test_cox_index_adds_a_half_to_zero_cells():
    # 0/10 vs 1/10: cells + 0.5 -> p1 = 0.5/11, p0 = 1.5/11;
    # ln(0.5/10.5) − ln(1.5/9.5) = −3.044522 + 1.845827 = −1.198695; / 1.65 = −0.726482;
    # ω = 1 − 3/71 = 0.957746; d = −0.695786.
    result = cox_index(np.zeros(10), _binary(1, 10))
    assert result.estimate == pytest.approx(-0.695786, abs=1e-6)
    assert result.details["zero_cell_correction"] is True
    # No one with the characteristic in either group of equal size: no difference.
    assert cox_index(np.zeros(10), np.zeros(10)).estimate == pytest.approx(0.0)


def test_austin_smd_binary_by_hand():
    # (0.3 − 0.2) / √((0.21 + 0.16)/2) = 0.1/√0.185 = 0.232495.
    result = standardised_mean_difference(_binary(30, 100), _binary(20, 100))
    assert result.estimate == pytest.approx(0.232495, abs=1e-6)
    assert result.details["binary"] is True


def test_austin_smd_continuous_by_hand():
    # (5 − 3) / √((6.6667 + 4)/2) = 2/√5.3333 = 0.866025 (no small-sample correction).
    result = standardised_mean_difference([2, 4, 6, 8], [1, 3, 5])
    assert result.estimate == pytest.approx(0.866025, abs=1e-6)


def test_weighted_by_hand():
    # Intervention 0, 10 with weights 1, 3: mean = 30/4 = 7.5; Σw(x − x̄)² = 56.25 + 3·6.25
    # = 75; Σw − Σw²/Σw = 4 − 10/4 = 1.5; s² = 50. Comparison 0, 10 unit weights: mean 5,
    # s² = 50. Austin SMD = 2.5/√50 = 0.353553. Hedges' g: pooled s² = (1·50 + 1·50)/2 = 50,
    # ω = 1 − 3/7 = 4/7, g = 4/7 · 0.353553 = 0.202031.
    args = ([0, 10], [0, 10], [1, 3], [1, 1])
    assert standardised_mean_difference(*args).estimate == pytest.approx(0.353553, abs=1e-6)
    weighted = hedges_g(*args)
    assert weighted.estimate == pytest.approx(0.202031, abs=1e-6)
    assert weighted.method == "weighted"


def test_unit_weights_equal_unweighted():
    rng = np.random.default_rng(1)
    treated, control = rng.normal(1, 2, 30), rng.normal(0, 2, 40)
    for measure in (hedges_g, standardised_mean_difference):
        assert measure(treated, control, np.ones(30), np.ones(40)).estimate == pytest.approx(
            measure(treated, control).estimate)


def test_weighted_cox_uses_weighted_proportions():
    # Weights 3 on the one child with the characteristic, 1 on the other three: weighted
    # p1 = 3/6 = .5; comparison 1/4 = .25. LOR = ln(1) − ln(1/3) = 1.098612; / 1.65 =
    # 0.665826; ω = 1 − 3/23 = 0.869565; d = 0.578979.
    result = cox_index([1, 0, 0, 0], [1, 0, 0, 0], [3, 1, 1, 1], [1, 1, 1, 1])
    assert result.estimate == pytest.approx(0.578979, abs=1e-6)


@pytest.mark.parametrize(
    ("d", "rating"),
    [(0.0, "satisfied"), (0.05, "satisfied"), (-0.05, "satisfied"),
     (0.0501, "adjustment_required"), (0.25, "adjustment_required"),
     (-0.2501, "not_satisfied"), (1.3, "not_satisfied"), (None, "not_estimable")],
)
def test_equivalence_rating_thresholds(d, rating):
    # WWC / HomVEE: |d| ≤ .05 satisfied; .05 < |d| ≤ .25 needs adjustment; > .25 not.
    assert equivalence_rating(d) == rating


def test_baseline_difference_picks_the_wwc_measure():
    assert baseline_difference(_binary(3, 10), _binary(5, 10)).measure == "cox_index"
    continuous = baseline_difference([2, 4, 6, 8], [1, 3, 5])
    assert continuous.measure == "hedges_g"
    assert equivalence_rating(continuous.estimate) == "not_satisfied"
    assert baseline_difference([1, 0, 1], [0, 1, 1], binary=False).measure == "hedges_g"


def test_group_of_one_child_is_not_estimable():
    for measure in (hedges_g, cox_index, standardised_mean_difference):
        result = measure([1.0], [0.0, 1.0])
        assert not result.estimable and "at least two" in result.reason
    assert equivalence_rating(baseline_difference([], [1.0, 2.0]).estimate) == "not_estimable"


def test_no_variation_is_not_estimable():
    assert "no variation" in hedges_g([3, 3, 3], [3, 3]).reason
    separated = standardised_mean_difference([1, 1, 1], [0, 0, 0])
    assert "differ completely" in separated.reason


def test_missing_values_are_dropped_and_counted():
    result = hedges_g([2, 4, math.nan, 6, 8], [1, 3, 5, math.nan])
    assert result.estimate == pytest.approx(0.711709, abs=1e-6)
    assert (result.details["n_missing_intervention"],
            result.details["n_missing_comparison"]) == (1, 1)


def test_bad_inputs_raise():
    with pytest.raises(ValueError, match="both groups"):
        hedges_g([1, 2], [1, 2], weights_intervention=[1, 1])
    with pytest.raises(ValueError, match="weights"):
        hedges_g([1, 2], [1, 2], [1, -1], [1, 1])
    with pytest.raises(ValueError, match="binary"):
        cox_index([1, 2, 3], [0, 1, 1])
