"""Crude effects and tests for two groups against published worked examples."""

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.stats.effects import (
    association_test,
    compare_proportions,
    odds_ratio,
    risk_difference,
    risk_ratio,
)
from pipeline.stats.results import Estimate

# Newcombe RG (1998). Interval estimation for the difference between independent
# proportions: comparison of eleven methods. Statistics in Medicine 17:873–890, Table II,
# method 10 (hybrid score). Examples (a) and (b) are also checked by the R package propint.
NEWCOMBE_1998_DIFFERENCE = [
    (56, 70, 48, 80, (0.0524, 0.3339)),
    (9, 10, 3, 10, (0.1705, 0.8090)),
    (5, 56, 0, 29, (-0.0381, 0.1926)),
    (0, 10, 0, 20, (-0.1611, 0.2775)),
    (0, 10, 0, 10, (-0.2775, 0.2775)),
    (10, 10, 0, 20, (0.6791, 1.0000)),
    (10, 10, 0, 10, (0.6075, 1.0000)),
]


@pytest.mark.parametrize(("e1", "n1", "e0", "n0", "expected"), NEWCOMBE_1998_DIFFERENCE)
def test_risk_difference_matches_newcombe_1998(e1, n1, e0, n0, expected):
    result = risk_difference(e1, n1, e0, n0)
    assert result.estimate == pytest.approx(e1 / n1 - e0 / n0)
    assert (result.ci_low, result.ci_high) == pytest.approx(expected, abs=5e-5)
    assert result.details["ci_method"] == "newcombe_hybrid_score"
    assert result.n == n1 + n0


# Fagerland MW, Lydersen S, Laake P (2015). Recommended confidence intervals for two
# independent binomial proportions. Stat Methods Med Res 24:224–254: worked example 7/34 vs
# 1/34 (as tabulated in statsmodels' test_proportion.py::test_confint_2indep).
FAGERLAND = (7, 34, 1, 34)


def test_fagerland_2015_example():
    assert (risk_difference(*FAGERLAND).ci_low, risk_difference(*FAGERLAND).ci_high) == (
        pytest.approx((0.019, 0.340), abs=0.0015))
    katz = risk_ratio(*FAGERLAND)  # Katz log: 0.91 to 54
    assert katz.estimate == pytest.approx(7.0)
    assert (round(katz.ci_low, 2), round(katz.ci_high)) == (0.91, 54)
    woolf = odds_ratio(*FAGERLAND)  # Woolf logit: 0.99 to 74
    assert woolf.estimate == pytest.approx(7 * 33 / (27 * 1))
    assert (round(woolf.ci_low, 2), round(woolf.ci_high)) == (0.99, 74)
    exact = odds_ratio(*FAGERLAND, method="exact_conditional")  # Cornfield: 0.97 to 397
    assert (round(exact.ci_low, 2), round(exact.ci_high)) == (0.97, 397)


def test_physicians_health_study():
    # Agresti A (2002). Categorical Data Analysis, 2nd ed., §2.2–2.3 and §3.1: myocardial
    # infarction in 189/11034 on placebo vs 104/11037 on aspirin. Difference 0.0077,
    # relative risk 1.82, odds ratio 1.83 with Woolf interval (1.44, 2.33).
    assert risk_difference(189, 11034, 104, 11037).estimate == pytest.approx(0.0077, abs=5e-5)
    assert risk_ratio(189, 11034, 104, 11037).estimate == pytest.approx(1.82, abs=0.005)
    woolf = odds_ratio(189, 11034, 104, 11037)
    assert (round(woolf.estimate, 2), round(woolf.ci_low, 2), round(woolf.ci_high, 2)) == (
        1.83, 1.44, 2.33)


def test_katz_interval_by_hand():
    # 56/70 vs 48/80: RR = 0.8/0.6 = 1.3333; SE(log RR) = √(1/56 − 1/70 + 1/48 − 1/80)
    # = √(0.017857 − 0.014286 + 0.020833 − 0.0125) = √0.011905 = 0.109109;
    # limits 1.3333·exp(∓1.959964·0.109109) = 1.0766, 1.6512 (statsmodels method="log"
    # gives the same, 1.07663 to 1.65125).
    result = risk_ratio(56, 70, 48, 80)
    assert result.details["ci_method"] == "katz_log"
    assert (result.estimate, result.ci_low, result.ci_high) == pytest.approx(
        (1.333333, 1.076626, 1.651249), abs=1e-5)


def test_fisher_exact_on_tea_tasting():
    # Fisher RA (1935), The Design of Experiments: the lady tasting tea, [[3, 1], [1, 3]];
    # R's fisher.test(TeaTasting) (?fisher.test example): two-sided p = 0.4857, conditional
    # MLE odds ratio 6.408309.
    test = association_test([[3, 1], [1, 3]])
    assert test.method == "fisher_exact"
    assert test.p_value == pytest.approx(0.4857, abs=5e-5)
    assert test.details["min_expected"] == 2
    exact = odds_ratio(3, 4, 1, 4, method="exact_conditional")
    assert exact.estimate == pytest.approx(6.408309, rel=1e-5)
    assert exact.p_value == pytest.approx(0.4857, abs=5e-5)


def test_chi_square_without_correction_by_hand():
    # 56/70 vs 48/80: X² = N(ad − bc)² / (r1 r2 c1 c2)
    # = 150·(56·32 − 14·48)² / (70·80·104·46) = 150·1120² / 26 790 400 = 7.0234, df 1.
    test = association_test([[56, 14], [48, 32]])
    assert test.method == "pearson_chi_square"
    assert test.statistic == pytest.approx(7.0234, abs=1e-4)
    assert test.df == 1


def test_chi_square_matches_r_documentation():
    # R ?chisq.test example (Agresti 2007, p. 39, party identification by gender):
    # X-squared = 30.07, df = 2, p-value = 2.954e-07.
    test = association_test([[762, 327, 468], [484, 239, 477]])
    assert test.method == "pearson_chi_square"
    assert test.statistic == pytest.approx(30.07, abs=0.005)
    assert test.df == 2
    assert test.p_value == pytest.approx(2.954e-07, rel=1e-3)


def test_fisher_chosen_when_an_expected_count_is_below_five():
    # 7/34 vs 1/34: expected events per group (8·34/68) = 4 < 5.
    assert association_test([[7, 27], [1, 33]]).method == "fisher_exact"
    # 10/40 vs 10/40: expected 10 everywhere, so chi-square.
    assert association_test([[10, 30], [10, 30]]).method == "pearson_chi_square"


def test_association_test_edge_tables():
    assert association_test([[0, 0], [3, 4]]).p_value is None  # an empty group
    no_events = association_test([[0, 10], [0, 10]])
    assert (no_events.method, no_events.p_value) == ("fisher_exact", 1.0)
    with pytest.raises(ValueError):
        association_test([[1, 2, 3]])
    with pytest.raises(ValueError):
        association_test([[1, -2], [3, 4]])


def _assert_finite_or_reasoned(estimate: Estimate) -> None:
    """Every estimate either has finite numbers or says why it has none."""
    if estimate.estimable:
        numbers = [estimate.estimate, estimate.ci_low, estimate.ci_high, estimate.p_value]
        assert all(math.isfinite(x) for x in numbers if x is not None)
        if estimate.ci_low is not None:
            assert estimate.ci_low <= estimate.estimate + 1e-9
            assert estimate.estimate <= estimate.ci_high + 1e-9
    else:
        assert estimate.reason


SMALL_CELLS = [
    (0, 10, 5, 10),  # zero events in the intervention group
    (5, 10, 0, 10),  # zero events in the comparison group
    (0, 10, 0, 10),  # zero events in both
    (10, 10, 10, 10),  # every child had the event in both
    (1, 1, 0, 1),  # one child per group
    (0, 1, 0, 1),
    (0, 0, 3, 4),  # an empty group
    (0, 0, 0, 0),
]


@pytest.mark.parametrize("counts", SMALL_CELLS)
def test_small_cells_never_crash_or_give_non_finite_numbers(counts):
    comparison = compare_proportions(*counts)
    for estimate in (comparison.intervention, comparison.comparison, *comparison.effects):
        _assert_finite_or_reasoned(estimate)
    assert comparison.summary()


def test_zero_cell_in_one_group():
    # The risk difference exists (Newcombe's interval is defined with zero cells); the risk
    # ratio and Woolf odds ratio do not; the bundle falls back to the exact conditional OR.
    comparison = compare_proportions(0, 10, 5, 10)
    assert comparison.risk_difference.estimate == pytest.approx(-0.5)
    assert comparison.risk_difference.ci_high < 0
    assert "no events in the intervention group" in comparison.risk_ratio.reason
    assert comparison.odds_ratio.method == "exact_conditional"
    assert comparison.odds_ratio.estimate == 0
    assert "zero cell" in comparison.odds_ratio.details["woolf_not_estimable"]
    assert "zero cell" in odds_ratio(0, 10, 5, 10).reason
    assert "infinite" in risk_ratio(5, 10, 0, 10).reason
    assert not compare_proportions(5, 10, 0, 10).odds_ratio.estimable


def test_zero_events_in_both_groups():
    comparison = compare_proportions(0, 10, 0, 10)
    assert comparison.risk_difference.estimate == 0
    assert "either group" in comparison.risk_ratio.reason
    assert not comparison.odds_ratio.estimable
    assert comparison.test.p_value == 1.0


def test_all_events_in_both_groups_gives_ratio_without_interval():
    result = risk_ratio(10, 10, 10, 10)
    assert result.estimate == 1.0 and result.ci_low is None and "zero width" in result.reason


def test_empty_group_is_not_estimable():
    for result in (risk_difference(0, 0, 3, 4), risk_ratio(2, 5, 0, 0), odds_ratio(0, 0, 0, 0)):
        assert not result.estimable
        assert "no children" in result.reason


def test_compare_proportions_carries_the_test_p_value():
    comparison = compare_proportions(56, 70, 48, 80)
    assert comparison.intervention.estimate == pytest.approx(0.8)
    for effect in comparison.effects:
        assert effect.p_value == comparison.test.p_value
        assert effect.details["p_value_test"] == "pearson_chi_square"


def test_invalid_counts_raise():
    with pytest.raises(ValueError, match="intervention group"):
        risk_difference(11, 10, 1, 10)
    with pytest.raises(ValueError, match="method"):
        odds_ratio(1, 10, 1, 10, method="mantel_haenszel")


counts = st.integers(min_value=0, max_value=25).flatmap(
    lambda n: st.tuples(st.integers(0, n), st.just(n)))


@settings(max_examples=150, deadline=None)
@given(counts, counts)
def test_any_counts_give_finite_results_or_reasons(group1, group0):
    comparison = compare_proportions(*group1, *group0)
    for estimate in (comparison.intervention, comparison.comparison, *comparison.effects):
        _assert_finite_or_reasoned(estimate)
    p = comparison.test.p_value
    assert p is None or 0 <= p <= 1
