"""Power, sample size and minimum detectable difference for two proportions."""

import pytest
from statsmodels.stats.proportion import samplesize_proportions_2indep_onetail

from pipeline.stats.power import (
    minimum_detectable_difference,
    power_two_proportions,
    sample_size_two_proportions,
)


def test_sample_size_matches_r_power_prop_test():
    # R: power.prop.test(p1 = .50, p2 = .75, power = .90) -> n = 76.7 per group (76.70692
    # to more digits, as quoted in statsmodels' test_proportion.py::test_power_2indep).
    # For equal groups R's formula (strict = FALSE) is Fleiss's without continuity correction.
    size = sample_size_two_proportions(0.50, 0.25, power=0.90)
    assert size.n_comparison_unrounded == pytest.approx(76.70692, abs=1e-5)
    assert (size.n_comparison, size.n_intervention, size.total) == (77, 77, 154)


def test_sample_size_matches_r_for_power_one_half():
    # R: power.prop.test(p1 = .50, p2 = .65, power = .50) -> n = 83.4373 (statsmodels'
    # test_power_2indep).
    size = sample_size_two_proportions(0.50, 0.15, power=0.50)
    assert size.n_comparison_unrounded == pytest.approx(83.4373, abs=0.05)


def test_continuity_corrected_sample_size_by_hand():
    # Fleiss, Levin & Paik (2003) ch. 4 formulas (correction of Fleiss, Tytun & Ury 1980), p0 = .25,
    # p1 = .50, alpha .05 two-sided, power .80: p̄ = .375,
    # n' = [1.959964·√(2·.375·.625) + 0.841621·√(.25·.75 + .5·.5)]² / .25²
    #    = [1.959964·0.684653 + 0.841621·0.661438]² / .0625 = (1.341895 + 0.556681)² / .0625
    #    = 57.67 -> 58;  n = n'/4·[1 + √(1 + 4/(57.67·.25))]² = 14.418·(1 + 1.130221)² = 65.4
    #    -> 66.
    size = sample_size_two_proportions(0.25, 0.25)
    assert size.n_comparison_unrounded == pytest.approx(57.67, abs=0.01)
    assert (size.n_comparison, size.n_comparison_corrected) == (58, 66)
    assert size.total_corrected == 132


def test_unequal_groups_match_statsmodels():
    # Reference implementation: statsmodels samplesize_proportions_2indep_onetail, where
    # nobs1 is our comparison group, prop2 our intervention proportion and ratio = n2/n1.
    size = sample_size_two_proportions(0.10, 0.10, ratio=2.0)
    reference = samplesize_proportions_2indep_onetail(
        -0.10, 0.20, 0.80, ratio=2.0, alpha=0.05, alternative="two-sided")
    assert size.n_comparison_unrounded == pytest.approx(reference, rel=1e-10)
    assert size.n_intervention == pytest.approx(2 * reference, abs=1)


def test_power_matches_stata_examples():
    # Stata [PSS] power twoproportions, as quoted in statsmodels' test_power_2indep:
    # p 0.015 vs 0.001 with 550 per group -> power 0.7415600; p 0.1 vs 0.2 with 154 and
    # 308 children -> 0.7995659211532175.
    assert power_two_proportions(0.015, 0.001, 550, 550) == pytest.approx(0.7415600, abs=1e-7)
    assert power_two_proportions(0.10, 0.20, 308, 154) == pytest.approx(
        0.7995659211532175, abs=1e-9)


def test_minimum_detectable_difference_inverts_r_example():
    # R's 76.70692 per group gives 90% power for .50 -> .75, so at 77 per group the minimum
    # detectable rise is just under .25 and, at p = .5, the fall is the same by symmetry.
    detectable = minimum_detectable_difference(0.50, 77, 77, power=0.90)
    assert detectable.difference == pytest.approx(0.25, abs=0.002)
    assert detectable.difference < 0.25
    assert detectable.decrease == pytest.approx(detectable.increase, abs=1e-6)
    assert detectable.reason is None


def test_minimum_detectable_difference_reaches_the_power_in_both_directions():
    # A Linköping-sized pilot: 53 intervention vs 60 comparison children, MMR at 86%.
    detectable = minimum_detectable_difference(0.86, 53, 60)
    rise = power_two_proportions(0.86, 0.86 + detectable.increase, 53, 60)
    fall = power_two_proportions(0.86, 0.86 - detectable.decrease, 53, 60)
    assert rise == pytest.approx(0.80, abs=1e-6) and fall == pytest.approx(0.80, abs=1e-6)
    # Near 100% the variance is small, so a rise is detectable sooner than a fall.
    assert detectable.increase < detectable.decrease
    assert "increase" in detectable.summary()


def test_unreachable_difference_gives_reason():
    tiny = minimum_detectable_difference(0.86, 3, 2)
    assert tiny.increase is None and tiny.decrease is None
    assert "100 %" in tiny.reason
    floor = minimum_detectable_difference(0.0, 12, 12)
    assert floor.decrease is None and floor.increase is not None
    empty = minimum_detectable_difference(0.5, 0, 12)
    assert empty.difference is None and "no children" in empty.reason


def test_sample_size_for_a_fall():
    # A negative difference is a fall from p_comparison; the formula is symmetric in
    # (p0, p1), so .75 -> .50 needs what .50 -> .75 needs.
    fall = sample_size_two_proportions(0.75, -0.25, power=0.90)
    assert fall.n_comparison_unrounded == pytest.approx(76.70692, abs=1e-5)
    assert "0.75 -> 0.5" in fall.summary()


@pytest.mark.parametrize(
    "kwargs",
    [
        {"p_comparison": 0.9, "difference": 0.2},
        {"p_comparison": 0.5, "difference": 0.0},
        {"p_comparison": 1.2, "difference": -0.3},
        {"p_comparison": 0.5, "difference": 0.1, "ratio": 0},
        {"p_comparison": 0.5, "difference": 0.1, "power": 1.0},
        {"p_comparison": 0.5, "difference": 0.1, "alpha": 0},
    ],
)
def test_invalid_design_raises(kwargs):
    with pytest.raises(ValueError):
        sample_size_two_proportions(**kwargs)
