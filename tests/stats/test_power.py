"""Power, sample size and minimum detectable difference for two proportions, with children
as independent units and with areas as clusters."""

import math

import numpy as np
import pytest
from scipy import stats
from statsmodels.stats.proportion import samplesize_proportions_2indep_onetail

from pipeline.stats.power import (
    areas_needed,
    cluster_power,
    design_effect,
    did_design_effect,
    estimate_icc,
    minimum_detectable_did,
    minimum_detectable_difference,
    power_two_proportions,
    sample_size_two_proportions,
    simulate_cluster_power,
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


def test_sample_size_refuses_a_power_any_group_size_reaches():
    # Below 50 % power with far more variance under H1 than under H0 (p .001 -> .5, a
    # thousand comparison children per intervention child) z_{α/2}·σ0 + z_β·σ1 < 0:
    # statsmodels gives n = 0, which is no plan (the hand formula squared the negative sum).
    with pytest.raises(ValueError, match="at least 50 %"):
        sample_size_two_proportions(0.001, 0.499, ratio=0.001, power=0.40)


# --------------------------------------------------------------------------- areas as clusters


def test_design_effects_by_hand():
    # Kish: 1 + (m − 1)ρ; m = 10, 20, 40, 80 at ρ = 0.017 give 1.153, 1.323, 1.663, 2.343.
    for m, expected in ((10, 1.153), (20, 1.323), (40, 1.663), (80, 2.343)):
        assert design_effect(m, 0.017) == pytest.approx(expected, abs=1e-12)
    # Eldridge et al. (2006): 1 + ((cv² + 1) m − 1) ρ; m = 20, cv = 0.5, ρ = 0.05:
    # 1 + (1.25 · 20 − 1) · 0.05 = 1 + 24 · 0.05 = 2.2.
    assert design_effect(20, 0.05, cv_cluster_size=0.5) == pytest.approx(2.2, abs=1e-12)
    # DiD change over two cross-sections, m = 200, ρ = 0.01, CAC = 0.8:
    # 1 + (200 · 0.2 − 1) · 0.01 = 1.39. The same by Teerenstra et al. (2012) / Hooper et al.
    # (2016): r = mρCAC / (1 + (m − 1)ρ) = 1.6 / 2.99, factor (1 + (m − 1)ρ)(1 − r) = 2.99 − 1.6.
    assert did_design_effect(200, 0.01, 0.8) == pytest.approx(1.39, abs=1e-12)
    r = 200 * 0.01 * 0.8 / 2.99
    assert did_design_effect(200, 0.01, 0.8) == pytest.approx(2.99 * (1 - r), abs=1e-12)
    # CAC = 0: the DiD pays the full design effect twice; CAC = 1: only the children's part.
    assert did_design_effect(200, 0.01, 0.0) == pytest.approx(design_effect(200, 0.01))
    assert did_design_effect(200, 0.01, 1.0) == pytest.approx(1 - 0.01)


def test_cluster_sample_size_matches_clusterpower_documented_examples():
    # R clusterPower::cpa.binary (Donner & Klar 2000; checked by its authors against PASS11,
    # the NIH GRT calculator and CRTSize::n4props), documented examples, normal reference:
    #   cpa.binary(nsubjects = 10, p1 = .1, p2 = .2, ICC = .1) -> nclusters > 37, i.e. 38 per arm;
    #   cpa.binary(nsubjects = 10, nclusters = 38, p1 = .1, ICC = .1) -> p2 = 0.198922.
    needed = areas_needed(0.10, 0.10, 10, 0.10, design="concurrent", reference="normal")
    print("clusterPower cpa.binary: 38 clusters per arm; ours:", needed.areas_intervention_needed)
    assert (needed.areas_intervention_needed, needed.areas_comparison_needed) == (38, 38)
    found = minimum_detectable_did(0.10, 38, 38, 10, 0.10, design="concurrent", reference="normal")
    print("clusterPower cpa.binary: p2 = 0.198922; ours:", 0.10 + found.increase)
    assert 0.10 + found.increase == pytest.approx(0.198922, abs=2e-6)


def test_cluster_power_t_reference_by_hand():
    # The same design on the area-level t test (df = 2·38 − 2 = 74) falls just short with 38
    # areas per arm: SE = √((.09 + .16) · 1.9 / 380) = 0.035355, ncp = 2.8284,
    # P(t'(74, 2.8284) > t(.975, 74)) = 0.79718; so 39 areas per arm are needed.
    se = math.sqrt(0.25 * 1.9 / 380)
    by_hand = stats.nct.sf(stats.t.isf(0.025, 74), 74, 0.1 / se)
    assert by_hand == pytest.approx(0.79718, abs=1e-5)
    assert cluster_power(0.1, 0.1, 38, 38, 10, 0.1, design="concurrent") == pytest.approx(
        by_hand, abs=2e-6)  # ours adds the far tail (wrong-direction rejections), 1e-6 here
    assert areas_needed(0.1, 0.1, 10, 0.1, design="concurrent").areas_intervention_needed == 39


def test_cluster_power_reduces_to_r_power_t_test():
    # R: power.t.test(n = 20, delta = 1) -> power = 0.8689528 (R's own example). The same test:
    # 20 + 20 areas, 0.45 -> 0.55 (equal variances 0.2475), ICC 0 and 24.75 children per area,
    # so an area's proportion has SD √(0.2475 / 24.75) = 0.1 = the difference.
    assert cluster_power(0.45, 0.10, 20, 20, 24.75, 0.0, design="concurrent") == pytest.approx(
        0.8689528, abs=1e-6)


def test_fixed_areas_follow_hemming_feasibility_rule():
    # Hemming et al. (2011, BMC Med Res Methodol 11:102): with k clusters per arm, enough
    # children per cluster exist iff k > n_I · ρ, n_I the per-arm n under individual
    # randomisation (normal reference). 0.3 -> 0.4, ρ = 0.05:
    # n_I = (1.959964 + 0.841621)² (.21 + .24) / .01 = 353.2 per arm, n_I ρ = 17.66.
    n_individual = (stats.norm.isf(0.025) + stats.norm.ppf(0.8)) ** 2 * (0.21 + 0.24) / 0.01
    assert n_individual * 0.05 == pytest.approx(17.66, abs=0.01)
    short = areas_needed(0.3, 0.1, 50, 0.05, design="concurrent", reference="normal",
                         areas_intervention=17, areas_comparison=17)
    assert short.children_per_area_needed is None
    assert "no number of children per area" in short.reason
    assert short.power_limit_children < 0.80
    enough = areas_needed(0.3, 0.1, 50, 0.05, design="concurrent", reference="normal",
                          areas_intervention=18, areas_comparison=18)
    assert enough.children_per_area_needed is not None
    assert cluster_power(0.3, 0.1, 18, 18, enough.children_per_area_needed, 0.05,
                         design="concurrent", reference="normal") >= 0.80
    assert cluster_power(0.3, 0.1, 18, 18, enough.children_per_area_needed - 1, 0.05,
                         design="concurrent", reference="normal") < 0.80


def _did_power_by_hand(p, difference, k1, k0, m, icc, cac):
    """Murray (1998) / Hooper et al. (2016) change-score variance, cell by cell, and the t test."""
    v0, v1 = p * (1 - p), (p + difference) * (1 - p - difference)
    per_cell = (1 - icc) / m + icc  # = (1 + (m − 1)ρ) / m
    shared = icc * cac  # covariance of an area's two period means, per unit variance
    var_intervention = (v0 + v1) * per_cell - 2 * math.sqrt(v0 * v1) * shared
    var_comparison = 2 * v0 * (per_cell - shared)
    ncp = difference / math.sqrt(var_intervention / k1 + var_comparison / k0)
    df = k1 + k0 - 2
    critical = stats.t.isf(0.025, df)
    return stats.nct.sf(critical, df, ncp) + stats.nct.cdf(-critical, df, ncp)


def test_two_plus_two_areas_cannot_detect_five_points():
    # Issue 9's example: 2 + 2 areas, 200 children per area and period, 60% -> 65%, ICC 0.01,
    # CAC 0.8. By hand: cell variance factor 0.99/200 + 0.01 = 0.01495, shared 0.008;
    # intervention change 0.4675·0.01495 − 2·√(.24·.2275)·0.008 = 0.003493, comparison
    # 2·.24·0.00695 = 0.003336; SE = √((0.003493 + 0.003336)/2) = 0.0584, ncp = 0.856 on 2 df.
    power = cluster_power(0.6, 0.05, 2, 2, 200, 0.01, cac=0.8)
    by_hand = _did_power_by_hand(0.6, 0.05, 2, 2, 200, 0.01, 0.8)
    print(f"2 + 2 areas, 5 pp: power {power:.4f} (by hand {by_hand:.4f})")
    assert power == pytest.approx(by_hand, abs=1e-10)
    assert power == pytest.approx(0.0845, abs=5e-4)
    # Counting the 400 + 400 children as independent would promise far more.
    assert power_two_proportions(0.6, 0.65, 400, 400) > 0.25
    # What 2 + 2 areas can detect: about 31 pp; with 100 children no rise at all.
    found = minimum_detectable_did(0.6, 2, 2, 200, 0.01)
    assert found.degrees_of_freedom == 2 and 0.30 < found.increase < 0.32
    small = minimum_detectable_did(0.6, 2, 2, 100, 0.01)
    assert small.increase is None and "no rise up to 100 %" in small.reason
    # And more children cannot fix it: the variation between areas stays.
    needed = areas_needed(0.6, 0.05, 200, 0.01, areas_intervention=2, areas_comparison=2)
    assert needed.children_per_area_needed is None and needed.comparison_areas_needed is None
    assert needed.power_with_study_areas == pytest.approx(power)
    assert needed.areas_intervention_needed == needed.areas_comparison_needed == 22
    assert cluster_power(0.6, 0.05, 21, 21, 200, 0.01) < 0.8 <= cluster_power(
        0.6, 0.05, 22, 22, 200, 0.01)


def test_simulation_agrees_with_analytic_power_for_many_areas():
    # 20 + 20 areas of 100 children a period, 30% -> 36%, ICC 0.02, CAC 0.8; 2,000 studies:
    # the simulated share of rejections within 3 Monte Carlo SEs of the analytic power.
    analytic = cluster_power(0.3, 0.06, 20, 20, 100, 0.02)
    simulated = simulate_cluster_power(0.3, 0.06, 20, 20, 100, 0.02, simulations=2000, seed=11)
    print(f"analytic {analytic:.3f}, {simulated.summary()}")
    assert 0.4 < analytic < 0.9
    assert simulated.power == pytest.approx(analytic, abs=3 * simulated.monte_carlo_se)
    assert simulated.mean_estimate == pytest.approx(0.06, abs=0.003)
    concurrent = cluster_power(0.3, 0.06, 20, 20, 100, 0.02, design="concurrent")
    by_simulation = simulate_cluster_power(0.3, 0.06, 20, 20, 100, 0.02, design="concurrent",
                                           simulations=2000, seed=12)
    assert by_simulation.power == pytest.approx(concurrent, abs=3 * by_simulation.monte_carlo_se)


def test_area_level_test_keeps_its_level_with_two_plus_two_areas():
    # No effect, 2 + 2 areas, ICC 0.05: the t test on area changes rejects about 5% of the
    # time (a child-level test would reject far more often).
    null = simulate_cluster_power(0.5, 0.0, 2, 2, 150, 0.05, simulations=4000, seed=5)
    assert null.power == pytest.approx(0.05, abs=3 * math.sqrt(0.05 * 0.95 / 4000))


def test_simulated_power_for_the_two_plus_two_example():
    analytic = cluster_power(0.6, 0.05, 2, 2, 200, 0.01)
    simulated = simulate_cluster_power(0.6, 0.05, 2, 2, 200, 0.01, simulations=2000, seed=3)
    assert simulated.power == pytest.approx(analytic, abs=3 * simulated.monte_carlo_se)
    assert simulated.power < 0.15
    again = simulate_cluster_power(0.6, 0.05, 2, 2, 200, 0.01, simulations=2000, seed=3)
    assert again == simulated  # seeded


def test_minimum_detectable_did_by_simulation_near_analytic():
    analytic = minimum_detectable_did(0.3, 10, 10, 100, 0.02)
    simulated = minimum_detectable_did(0.3, 10, 10, 100, 0.02, method="simulation",
                                       simulations=1000, seed=2)
    # Power changes by about 10 points per point of difference here, so 1,000 studies pin the
    # difference to within about half a point.
    assert simulated.increase == pytest.approx(analytic.increase, abs=0.006)
    assert simulated.decrease == pytest.approx(analytic.decrease, abs=0.006)
    assert cluster_power(0.3, analytic.increase, 10, 10, 100, 0.02) == pytest.approx(0.8, abs=1e-6)


def test_no_degrees_of_freedom_is_said_plainly():
    found = minimum_detectable_did(0.6, 1, 1, 500, 0.01)
    assert found.increase is None and found.decrease is None
    assert "no degrees of freedom" in found.reason
    with pytest.raises(ValueError, match="degrees of freedom"):
        cluster_power(0.6, 0.05, 1, 1, 500, 0.01)


def test_icc_anova_estimator_by_hand():
    # Areas of 4 children with 2, 1 and 3 events: MSB = (14/4 − 36/12)/2 = 0.25,
    # MSW = (6 − 3.5)/9 = 0.2778, n0 = 4, ρ = (0.25 − 0.2778)/(0.25 + 3·0.2778) = −0.02564,
    # truncated at 0.
    estimate = estimate_icc([1, 1, 0, 0, 1, 0, 0, 0, 1, 1, 1, 0], list("aaaabbbbcccc"))
    assert estimate.icc_unbounded == pytest.approx(-1 / 39, abs=1e-12)
    assert estimate.icc == 0.0 and (estimate.areas, estimate.children, estimate.n0) == (3, 12, 4)
    # Unequal areas: n = 2, 3, 5 with 2, 0, 1 events. ΣY²/n = 2 + 0 + .2 = 2.2, (ΣY)²/N = .9,
    # MSB = 1.3/2 = .65, MSW = (3 − 2.2)/7 = .114286, n0 = (10 − 38/10)/2 = 3.1,
    # ρ = (.65 − .114286)/(.65 + 2.1 · .114286) = .535714/.89 = 0.601926.
    unequal = estimate_icc([1, 1, 0, 0, 0, 1, 0, 0, 0, 0], [1, 1, 2, 2, 2, 3, 3, 3, 3, 3])
    assert unequal.icc == pytest.approx(0.535714286 / 0.89, abs=1e-8)
    assert unequal.n0 == pytest.approx(3.1)


def test_icc_recovered_from_data_with_known_icc():
    # Beta-binomial areas: P ~ Beta(p (1/ρ − 1), (1 − p)(1/ρ − 1)) has ICC exactly ρ = 0.05;
    # 400 areas of 40 children. The ANOVA estimator's SD is about 0.006 here.
    rng = np.random.default_rng(2024)
    scale = 1 / 0.05 - 1
    truth = rng.beta(0.3 * scale, 0.7 * scale, size=400)
    outcome = (rng.random((400, 40)) < truth[:, None]).astype(int).ravel()
    area = np.repeat([f"area {i}" for i in range(400)], 40)
    estimate = estimate_icc(outcome, area)
    assert estimate.icc == pytest.approx(0.05, abs=0.018)
    assert (estimate.areas, estimate.children) == (400, 16000)
    # Independent children: the estimate is near 0 (and never below it).
    flat = estimate_icc((rng.random(16000) < 0.3).astype(int), area)
    assert 0 <= flat.icc < 0.01


@pytest.mark.parametrize(
    "outcome, area",
    [([1, 0, np.nan, 1], [1, 1, 2, 2]), ([1, 2, 0, 1], [1, 1, 2, 2]), ([1, 0, 1], [1, 1, 1]),
     ([1, 0], [1, 2])],
)
def test_icc_rejects_unusable_data(outcome, area):
    with pytest.raises(ValueError):
        estimate_icc(outcome, area)
