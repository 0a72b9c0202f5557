"""Count and rate outcomes (issue 13): Poisson rate ratio and difference, NB2 overdispersion,
IPTW rate ratio; and the two additions beside them, Fisher's exact test with an alternative
and the Cox likelihood-ratio test. Published worked examples first, then hand checks and
the cases without an estimate."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from pipeline.stats.counts import (
    count_ratio,
    iptw_rate_ratio,
    overdispersion_check,
    poisson_rate_difference,
    poisson_rate_ratio,
)
from pipeline.stats.effects import association_test, fisher_exact_test
from pipeline.stats.survival import cox_hazard_ratio, cox_likelihood_ratio_test

# McCullagh & Nelder (1989, §6.3.2) ship damage data, as in statsmodels'
# discrete/tests/results/ships.csv: ship type, year of construction (coded 1-4), months of
# service, damage incidents, operated 1975-79. Six cells have no service (missing).
NA = np.nan
SHIP = np.repeat([1, 2, 3, 4, 5], 8)
YR_CON = np.tile(np.repeat([1, 2, 3, 4], 2), 5)
OP_75_79 = np.tile([0, 1], 20)
SERVICE = np.array([
    127, 63, 1095, 1095, 1512, 3353, NA, 2244,
    44882, 17176, 28609, 20370, 7064, 13099, NA, 7117,
    1179, 552, 781, 676, 783, 1948, NA, 274,
    251, 105, 288, 192, 349, 1208, NA, 2051,
    45, NA, 789, 437, 1157, 2161, NA, 542,
])
ACCIDENT = np.array([
    0, 0, 3, 4, 6, 18, NA, 11,
    39, 29, 58, 53, 12, 44, NA, 18,
    1, 1, 0, 1, 6, 2, NA, 1,
    0, 0, 0, 0, 2, 11, NA, 4,
    0, NA, 7, 7, 5, 12, NA, 1,
])
N_SHIPS, K_SHIPS = 34, 3  # complete cells; coefficients (const, op_75_79, yr_con)


def _ships(cov_type: str) -> object:
    return poisson_rate_ratio(
        ACCIDENT, SERVICE, OP_75_79, pd.DataFrame({"yr_con": YR_CON}), cov_type=cov_type,
        clusters=SHIP if cov_type == "cluster" else None, exposure_name="op_75_79",
    )


# --------------------------------------------------------------------------- Poisson


def test_crude_rate_ratio_and_difference_reproduce_stata_iri() -> None:
    """Stata's `iri 41 15 28010 19017` (stata.com, "Incidence-rate ratio calculator"):
    rates .0014638 and .0007888, "Inc. rate diff. .000675 [.0000749, .0012751]",
    "Inc. rate ratio 1.855759" (its interval there is the exact one, not checked here).

    The difference's interval is the Wald one with variance e1/T1² + e0/T0², which is what
    the saturated Poisson model's model-based variance gives; the ratio's log SE is
    √(1/e1 + 1/e0) (hand check)."""
    ratio = poisson_rate_ratio([41, 15], [28010, 19017], [1, 0], cov_type="nonrobust")
    assert ratio.estimate == pytest.approx(1.855759, abs=5e-7)
    assert ratio.se == pytest.approx(math.sqrt(1 / 41 + 1 / 15), rel=1e-9)
    assert ratio.measure == "rate_ratio" and ratio.method == "poisson" and ratio.log_scale
    assert ratio.events == 56 and ratio.n == 2
    assert ratio.details["rate_treated"] == pytest.approx(0.0014638, abs=5e-8)
    assert ratio.details["rate_comparison"] == pytest.approx(0.0007888, abs=5e-8)

    difference = poisson_rate_difference([41, 15], [28010, 19017], [1, 0], cov_type="nonrobust")
    assert difference.estimate == pytest.approx(41 / 28010 - 15 / 19017, rel=1e-9)
    assert difference.estimate == pytest.approx(0.000675, abs=5e-7)
    assert difference.ci_low == pytest.approx(0.0000749, abs=5e-8)
    assert difference.ci_high == pytest.approx(0.0012751, abs=5e-8)
    assert difference.se == pytest.approx(math.sqrt(41 / 28010**2 + 15 / 19017**2), rel=1e-9)


def test_rothman_blind_cancer_rates_with_90_percent_intervals() -> None:
    """Rothman, Epidemiology: An Introduction, ch. 9, "Example: Confidence Limits for
    Incidence Rate Difference and Incidence Rate Ratio" (Table 9-2, Feychting et al.):
    136 cancers in 22,050 person-years among the blind, 1,709 in 127,650 among the
    severely visually impaired. Printed: rate difference −7.2 per 1000 person-years,
    90% CI −8.2 to −6.2; rate ratio 0.46, 90% CI 0.40 to 0.53."""
    events, years, blind = [136, 1709], [22050, 127650], [1, 0]
    difference = poisson_rate_difference(events, years, blind, cov_type="nonrobust",
                                         confidence=0.90)
    per_1000 = [1000 * x for x in (difference.estimate, difference.ci_low, difference.ci_high)]
    assert per_1000 == pytest.approx([-7.2, -8.2, -6.2], abs=0.05)
    ratio = poisson_rate_ratio(events, years, blind, cov_type="nonrobust", confidence=0.90)
    assert [ratio.estimate, ratio.ci_low, ratio.ci_high] == pytest.approx(
        [0.46, 0.40, 0.53], abs=0.005)
    assert ratio.confidence == 0.90


def test_ships_poisson_with_exposure_matches_stata_model_based() -> None:
    """Stata `poisson accident yr_con op_75_79, exposure(service)` on the ship data
    (statsmodels' discrete/tests/results/results_count_robust_cluster.py,
    results_poisson_exposure_nonrobust): op_75_79 b = .35592229608495,
    se = .12151759298719; yr_con b = .30633819450439, se = .05790831365493;
    ll = −91.28727940081573, N = 34."""
    result = _ships("nonrobust")
    assert result.details["log_rate_ratio"] == pytest.approx(0.35592229608495, rel=1e-7)
    assert result.estimate == pytest.approx(math.exp(0.35592229608495), rel=1e-7)
    assert result.se == pytest.approx(0.12151759298719, rel=1e-6)
    yr_con = result.details["coefficients"]["yr_con"]
    assert yr_con["coef"] == pytest.approx(0.30633819450439, rel=1e-7)
    assert yr_con["se"] == pytest.approx(0.05790831365493, rel=1e-6)
    assert set(result.details["coefficients"]) == {"const", "op_75_79", "yr_con"}
    assert result.details["log_likelihood"] == pytest.approx(-91.28727940081573, rel=1e-9)
    assert result.n == N_SHIPS
    assert result.details["rows_missing_outcome_or_treatment"] == 6
    assert result.events == 356


@pytest.mark.parametrize(
    ("cov_type", "stata_se", "to_ours"),
    [
        # Stata vce(robust) after poisson multiplies HC0 by N/(N−1).
        ("HC0", 0.16103531267836, (N_SHIPS - 1) / N_SHIPS),
        # Our HC1 is HC0 · N/(N−k) (MacKinnon–White, as pipeline.stats.regression).
        ("HC1", 0.16103531267836, (N_SHIPS - 1) / (N_SHIPS - K_SHIPS)),
        # Stata vce(cluster ship) multiplies by G/(G−1); ours (CR1) also by (N−1)/(N−k).
        ("cluster", 0.09213163536669, (N_SHIPS - 1) / (N_SHIPS - K_SHIPS)),
    ],
)
def test_ships_robust_and_clustered_se_match_stata(cov_type: str, stata_se: float,
                                                   to_ours: float) -> None:
    """Stata `poisson accident yr_con op_75_79, exposure(service) vce(robust)`:
    op_75_79 se = .16103531267836; `vce(cluster ship)`: se = .09213163536669, N_clust = 5
    (statsmodels' results_poisson_exposure_hc1 and results_poisson_exposure_clu). Stata's
    small-sample factors differ from ours by the stated constants, which are undone here,
    as statsmodels' own test_sandwich_cov.py does."""
    result = _ships(cov_type)
    assert result.details["log_rate_ratio"] == pytest.approx(0.35592229608495, rel=1e-7)
    assert result.se == pytest.approx(stata_se * math.sqrt(to_ours), rel=1e-6)
    if cov_type == "cluster":
        assert result.n_clusters == 5
        assert "few_areas" in result.flags
    else:
        assert result.n_clusters is None and result.flags == ()


def test_ships_negative_binomial_matches_stata_nbreg() -> None:
    """Stata `nbreg accident yr_con op_75_79, exposure(service)` (statsmodels'
    results_negbin_exposure_nonrobust): op_75_79 b = .17127003537767,
    se = .27580549562862; yr_con b = .28503762550355; alpha = .2457422083490335
    (se .12608018984282); ll = −82.49115612464289, Poisson ll_c = −91.28727940081573;
    LR test of alpha = 0: chi2_c = 17.5922465523457, p = Prob >= chibar2 = half the
    chi-square(1) tail."""
    check = overdispersion_check(ACCIDENT, SERVICE, OP_75_79, pd.DataFrame({"yr_con": YR_CON}),
                                 exposure_name="op_75_79")
    rate_ratio = check.rate_ratio
    assert rate_ratio.method == "negative_binomial"
    assert rate_ratio.details["log_rate_ratio"] == pytest.approx(0.17127003537767, rel=1e-6)
    assert rate_ratio.se == pytest.approx(0.27580549562862, rel=1e-6)
    assert rate_ratio.details["coefficients"]["yr_con"]["coef"] == pytest.approx(
        0.28503762550355, rel=1e-6)
    assert check.alpha == pytest.approx(0.2457422083490335, rel=1e-6)
    assert check.alpha_se == pytest.approx(0.12608018984282, rel=1e-5)
    assert rate_ratio.details["log_likelihood"] == pytest.approx(-82.49115612464289, rel=1e-9)
    test = check.test
    assert test.chi_square == pytest.approx(17.5922465523457, rel=1e-6)
    assert test.df == 1 and test.df_denominator is None and test.reference == "chibar2_01"
    assert test.method == "likelihood_ratio_boundary"
    assert test.p_value == pytest.approx(0.5 * stats.chi2.sf(17.5922465523457, 1), rel=1e-5)
    assert check.overdispersed


def test_overdispersion_at_the_boundary_is_the_poisson_fit() -> None:
    """Counts less spread than Poisson (every child 1 or 2 contacts): the NB2 likelihood is
    highest at alpha = 0, so LR = 0, p = 1 and the NB estimate is the Poisson one."""
    check = overdispersion_check([1, 1, 1, 1, 2, 2, 2, 2], None, [1, 1, 1, 1, 0, 0, 0, 0])
    poisson = poisson_rate_ratio([1, 1, 1, 1, 2, 2, 2, 2], None, [1, 1, 1, 1, 0, 0, 0, 0],
                                 cov_type="nonrobust")
    assert check.alpha == 0.0 and check.alpha_se is None
    assert check.test.chi_square == 0.0 and check.test.p_value == 1.0
    assert not check.overdispersed
    assert check.rate_ratio.estimate == pytest.approx(0.5)
    assert check.rate_ratio.se == pytest.approx(poisson.se)


# --------------------------------------------------------------------------- hand checks

# Child-level contacts: intervention 1, 1, 1, 0 over 2 years each; comparison 0, 2, 3, 1
# over 1 year each.
CONTACTS = np.array([1, 1, 1, 0, 0, 2, 3, 1])
YEARS = np.array([2, 2, 2, 2, 1, 1, 1, 1], dtype=float)
TREATED = np.array([1, 1, 1, 1, 0, 0, 0, 0])


def test_child_level_hc0_variance_by_hand() -> None:
    """Saturated model: rates 3/8 and 6/4; the HC0 variance of a group's log rate is the
    sum of squared residuals (y − rate·T)² over the squared events, and of its rate that
    sum over the squared person-time."""
    residual_sq = {1: ((CONTACTS - 0.375 * YEARS) ** 2)[TREATED == 1].sum(),
                   0: ((CONTACTS - 1.5 * YEARS) ** 2)[TREATED == 0].sum()}
    ratio = poisson_rate_ratio(CONTACTS, YEARS, TREATED)
    assert ratio.estimate == pytest.approx(0.25)
    assert ratio.se == pytest.approx(math.sqrt(residual_sq[1] / 9 + residual_sq[0] / 36))
    difference = poisson_rate_difference(CONTACTS, YEARS, TREATED)
    assert difference.estimate == pytest.approx(0.375 - 1.5)
    assert difference.se == pytest.approx(math.sqrt(residual_sq[1] / 64 + residual_sq[0] / 16))
    hc1 = poisson_rate_ratio(CONTACTS, YEARS, TREATED, cov_type="HC1")
    assert hc1.se == pytest.approx(ratio.se * math.sqrt(8 / 6))


def test_rate_difference_without_covariates_is_the_crude_difference() -> None:
    rng = np.random.default_rng(13)
    treated = rng.integers(0, 2, 300)
    years = rng.uniform(0.2, 3.0, 300)
    contacts = rng.poisson(years * np.where(treated == 1, 0.8, 1.2))
    difference = poisson_rate_difference(contacts, years, treated)
    crude = (contacts[treated == 1].sum() / years[treated == 1].sum()
             - contacts[treated == 0].sum() / years[treated == 0].sum())
    assert difference.estimate == pytest.approx(crude, rel=1e-9)
    # With a covariate the standardised difference averages the predicted rates.
    covariates = pd.DataFrame({"firstborn": rng.integers(0, 2, 300)})
    adjusted = poisson_rate_difference(contacts, years, treated, covariates)
    rates = (adjusted.details["rate_treated_standardised"],
             adjusted.details["rate_comparison_standardised"])
    assert adjusted.estimate == pytest.approx(rates[0] - rates[1])
    assert adjusted.ci_low < adjusted.estimate < adjusted.ci_high


def test_count_ratio_is_the_poisson_model_without_offset() -> None:
    """deft at three years: mean 0.5 vs 1.5, ratio 1/3; the same as person-time 1 each."""
    deft = np.array([0, 0, 1, 1, 0, 3, 2, 1])
    result = count_ratio(deft, TREATED)
    assert result.measure == "count_ratio"
    assert result.estimate == pytest.approx(1 / 3)
    with_unit_time = poisson_rate_ratio(deft, np.ones(8), TREATED)
    assert with_unit_time.measure == "rate_ratio"
    assert result.se == pytest.approx(with_unit_time.se)
    assert poisson_rate_difference(deft, None, TREATED).measure == "count_difference"


def test_covariate_design_reports_what_was_dropped() -> None:
    covariates = pd.DataFrame({"firstborn": [1, 0, 1, 0, 1, 0, None, 0],
                               "sweden": [1] * 8})
    result = poisson_rate_ratio(CONTACTS, YEARS, TREATED, covariates)
    assert result.n == 7
    assert result.dropped.rows_missing == 1 and result.dropped.constant == ("sweden",)
    assert set(result.details["coefficients"]) == {"const", "treatment", "firstborn"}


def test_iptw_rate_ratio_is_the_ratio_of_weighted_rates() -> None:
    """Saturated propensity model (ps 0.6 for firstborns, 0.4 for the others): ATE weights
    1/ps and 1/(1 − ps); the weighted Poisson ratio is (Σ w y / Σ w T) treated over
    comparison, and its HC0 log-scale variance Σ w² (y − rate T)² / (Σ w y)² per group."""
    firstborn = np.repeat([1, 0], 10)
    treated = np.array([1] * 6 + [0] * 4 + [1] * 4 + [0] * 6)
    contacts = np.array([1, 2, 0, 1, 1, 1, 2, 2, 3, 1, 0, 1, 0, 1, 1, 1, 2, 0, 1, 1])
    years = np.linspace(0.5, 2.4, 20)
    covariates = pd.DataFrame({"firstborn": firstborn})
    ps = np.where(firstborn == 1, 0.6, 0.4)
    for estimand, weight in (("ATE", np.where(treated == 1, 1 / ps, 1 / (1 - ps))),
                             ("ATT", np.where(treated == 1, 1.0, ps / (1 - ps)))):
        result = iptw_rate_ratio(contacts, years, treated, covariates, estimand=estimand)
        rate = {arm: (weight * contacts)[treated == arm].sum() / (weight * years)[treated == arm].sum()
                for arm in (0, 1)}
        assert result.estimate == pytest.approx(rate[1] / rate[0], rel=1e-8)
        variance = sum(
            ((weight * (contacts - rate[arm] * years)) ** 2)[treated == arm].sum()
            / (weight * contacts)[treated == arm].sum() ** 2 for arm in (0, 1))
        assert result.se == pytest.approx(math.sqrt(variance), rel=1e-8)
        assert result.method == "iptw" and result.details["estimand"] == estimand
    assert iptw_rate_ratio(contacts, years, treated, covariates, estimand="ate").estimable


# --------------------------------------------------------------------------- no estimate


def test_no_events_in_a_group_is_a_zero_cell() -> None:
    result = poisson_rate_ratio([0, 0, 2, 1], [1, 2, 1, 1], [1, 1, 0, 0])
    assert not result.estimable and result.flags == ("zero_cell",)
    assert "no events in the treated group" in result.reason
    assert "does not exist" in result.reason
    difference = poisson_rate_difference([0, 0, 2, 1], [1, 2, 1, 1], [1, 1, 0, 0])
    assert not difference.estimable
    none_at_all = poisson_rate_ratio([0, 0, 0, 0], [1, 2, 1, 1], [1, 1, 0, 0])
    assert "no events in either group" in none_at_all.reason
    check = overdispersion_check([0, 0, 2, 1], [1, 2, 1, 1], [1, 1, 0, 0])
    assert not check.rate_ratio.estimable and not check.test.estimable


def test_zero_person_time_and_one_cluster_have_reasons() -> None:
    no_time = poisson_rate_ratio([1, 2, 0, 0], [1, 1, 0, 0], [1, 1, 0, 0])
    assert not no_time.estimable
    assert no_time.reason == "no person-time in the comparison group: no rate to compare"
    some_zero = poisson_rate_ratio([1, 2, 0, 3, 1], [1, 1, 0, 1, 2], [1, 1, 0, 0, 0])
    assert some_zero.n == 4 and some_zero.details["rows_zero_person_time"] == 1
    one_area = poisson_rate_ratio(CONTACTS, YEARS, TREATED, cov_type="cluster",
                                  clusters=["A"] * 8)
    assert not one_area.estimable and "only 1 cluster" in one_area.reason
    aggregated = poisson_rate_ratio([41, 15], [28010, 19017], [1, 0])  # HC0, one row a group
    assert aggregated.estimate == pytest.approx(1.855759, abs=5e-7)
    assert aggregated.ci_low is None and "cov_type='nonrobust'" in aggregated.reason


def test_invalid_inputs_raise() -> None:
    with pytest.raises(ValueError, match="non-negative whole numbers"):
        poisson_rate_ratio([1, -1], [1, 1], [1, 0])
    with pytest.raises(ValueError, match="zero person-time"):
        poisson_rate_ratio([1, 1], [0, 1], [1, 0])
    with pytest.raises(ValueError, match="cov_type='cluster'"):
        poisson_rate_ratio(CONTACTS, YEARS, TREATED, clusters=SHIP[:8])
    with pytest.raises(ValueError, match="needs clusters"):
        poisson_rate_ratio(CONTACTS, YEARS, TREATED, cov_type="cluster")
    with pytest.raises(ValueError, match="not valid with weights"):
        iptw_rate_ratio(CONTACTS, YEARS, TREATED, pd.DataFrame({"x": range(8)}),
                        cov_type="nonrobust")


# --------------------------------------------------------------------------- Fisher


@pytest.mark.parametrize(
    ("alternative", "p_value"), [("two-sided", 0.4857), ("greater", 0.2429), ("less", 0.9857)]
)
def test_fisher_tea_tasting(alternative: str, p_value: float) -> None:
    """R `?fisher.test`, TeaTasting = matrix(c(3, 1, 1, 3), nrow = 2) (Agresti 2002,
    p. 91): `fisher.test(TeaTasting)` prints p-value = 0.4857, odds ratio 6.408309;
    `alternative = "greater"` p-value = 0.2429 with 95 percent CI 0.3135693 to Inf.
    "less" is 1 − P(4 correct) = 1 − 1/70 = 0.9857 (hypergeometric 1, 16, 36, 16, 1 in 70)."""
    result = fisher_exact_test([[3, 1], [1, 3]], alternative)
    assert result.p_value == pytest.approx(p_value, abs=5e-5)
    assert result.method == "fisher_exact" and result.alternative == alternative
    odds = result.details["odds_ratio"]
    assert odds.estimate == pytest.approx(6.408309, rel=1e-5)
    assert result.details["sample_odds_ratio"] == 9.0
    if alternative == "greater":
        assert odds.ci_low == pytest.approx(0.3135693, rel=1e-4)
        assert odds.ci_high is None  # unbounded above
    if alternative == "less":
        assert odds.ci_low == 0.0


def test_fisher_convictions_one_and_two_sided() -> None:
    """R `?fisher.test`, Convictions = matrix(c(2, 10, 15, 3), nrow = 2) (Fisher 1962):
    `alternative = "less"` prints p-value = 0.0004652, 95 percent CI 0.0000000 to
    0.2849601, odds ratio 0.04693661; two-sided p-value = 0.0005367, CI upper 0.363182271.
    (R's two-sided lower limit 0.003325764 is found by uniroot with a loose tolerance;
    scipy's 0.0033172 puts 2.5 % in the tail more exactly, so it is not compared.)"""
    convictions = [[2, 15], [10, 3]]
    less = fisher_exact_test(convictions, "less")
    assert less.p_value == pytest.approx(0.0004652, abs=5e-8)
    odds = less.details["odds_ratio"]
    assert (odds.ci_low, odds.ci_high) == (0.0, pytest.approx(0.2849601, rel=1e-5))
    assert odds.estimate == pytest.approx(0.04693661, rel=1e-5)
    both = fisher_exact_test(convictions)
    assert both.p_value == pytest.approx(0.0005367, abs=5e-8)
    assert both.details["odds_ratio"].ci_high == pytest.approx(0.363182271, rel=1e-4)


def test_fisher_edge_cases_and_association_test_unchanged() -> None:
    infinite = fisher_exact_test([[5, 0], [0, 5]], "greater")
    assert infinite.p_value == pytest.approx(1 / 252)  # 1 / C(10, 5)
    odds = infinite.details["odds_ratio"]
    assert not odds.estimable and "infinite" in odds.reason and odds.flags == ("zero_cell",)
    assert fisher_exact_test([[0, 3], [0, 4]]).p_value == 1.0
    assert fisher_exact_test([[0, 0], [1, 2]]).p_value is None
    with pytest.raises(ValueError, match="alternative"):
        fisher_exact_test([[3, 1], [1, 3]], "two.sided")
    with pytest.raises(ValueError, match="2 × 2"):
        fisher_exact_test([[1, 2, 3], [4, 5, 6]])
    assert association_test([[3, 1], [1, 3]]).p_value == pytest.approx(0.4857, abs=5e-5)


# --------------------------------------------------------------------------- Cox LR

# R survival's aml (leukemia) data: weeks to relapse, maintained vs not maintained.
AML_TIME = [9, 13, 13, 18, 23, 28, 31, 34, 45, 48, 161,
            5, 5, 8, 8, 12, 16, 23, 27, 30, 33, 43, 45]
AML_STATUS = [1, 1, 0, 1, 1, 0, 1, 1, 0, 1, 0,
              1, 1, 1, 1, 1, 0, 1, 1, 1, 1, 1, 1]
AML_NONMAINTAINED = [0] * 11 + [1] * 12


def test_cox_likelihood_ratio_aml_matches_r_coxph() -> None:
    """R `coxph(Surv(time, status) ~ x, data = aml)` prints: xNonmaintained coef 0.9155,
    exp(coef) 2.4981, se(coef) 0.5119, p 0.0737; "Likelihood ratio test=3.38 on 1 df,
    p=0.06581"; n= 23, number of events= 18."""
    test = cox_likelihood_ratio_test(AML_TIME, AML_STATUS, AML_NONMAINTAINED)
    assert test.statistic == pytest.approx(3.38, abs=0.005)
    assert test.chi_square == test.statistic  # a chi-square reference
    assert test.p_value == pytest.approx(0.06581, abs=5e-6)
    assert (test.df, test.df_denominator, test.method, test.reference) == (
        1, None, "likelihood_ratio", "chi2")
    assert test.n == 23 and test.details["events"] == 18
    hazard_ratio = cox_hazard_ratio(AML_TIME, AML_STATUS, AML_NONMAINTAINED).hazard_ratio
    assert hazard_ratio.details["log_hazard_ratio"] == pytest.approx(0.9155, abs=5e-5)
    assert hazard_ratio.se == pytest.approx(0.5119, abs=5e-5)
    assert hazard_ratio.p_value == pytest.approx(0.0737, abs=5e-5)


def test_cox_likelihood_ratio_with_covariates_model_and_treatment() -> None:
    """The model test has one df per term; the treatment test is the nested comparison,
    LR(model) − LR(covariates alone) (likelihood ratios add over nested models)."""
    rng = np.random.default_rng(3)
    covariates = pd.DataFrame({"age": rng.normal(size=23)})
    model = cox_likelihood_ratio_test(AML_TIME, AML_STATUS, AML_NONMAINTAINED, covariates)
    treatment = cox_likelihood_ratio_test(AML_TIME, AML_STATUS, AML_NONMAINTAINED, covariates,
                                          tested="treatment")
    assert model.df == 2 and treatment.df == 1
    assert model.tested == ("treatment", "age") and treatment.tested == ("treatment",)
    covariate_only = 2 * (treatment.details["log_likelihood_reduced"]
                          - model.details["log_likelihood_reduced"])
    assert model.statistic == pytest.approx(treatment.statistic + covariate_only)
    no_events = cox_likelihood_ratio_test([1, 2, 3, 4], [0, 0, 1, 1], [1, 1, 0, 0])
    assert not no_events.estimable and "no events in the treated group" in no_events.reason


@pytest.mark.parametrize(("n", "offset", "weighted"), [(400, False, False), (3000, True, False),
                                                       (3000, True, True)])
def test_poisson_fit_is_statsmodels_irls_to_rounding(n, offset, weighted) -> None:
    # the register-scale fit (normal equations, no copies of the design) against statsmodels'
    # GLM it replaces, on overdispersed counts with person-time, case weights, area dummies
    # and a continuous covariate: the same iterations, so the same coefficients to rounding
    import statsmodels.api as sm

    from pipeline.stats._irls import poisson_irls

    rng = np.random.default_rng(n)
    area = rng.integers(0, 6, n)
    exog = np.column_stack([np.ones(n), (area[:, None] == np.arange(1, 6)).astype(float),
                            rng.integers(0, 2, n), rng.normal(29, 5, n)])
    log_time = np.log(rng.uniform(0.2, 3.0, n)) if offset else None
    mean = np.exp(exog @ np.array([-0.5, 0.1, -0.2, 0.3, 0.0, 0.2, 0.4, 0.01])
                  + (0 if log_time is None else log_time))
    events = rng.negative_binomial(2, 2 / (2 + mean)).astype(float)
    weights = rng.uniform(0.5, 2.0, n) if weighted else None
    expected = sm.GLM(events, exog, family=sm.families.Poisson(), offset=log_time,
                      var_weights=weights).fit(maxiter=100)
    params, fitted, log_likelihood, converged = poisson_irls(events, exog, log_time, weights)
    assert converged and expected.converged
    np.testing.assert_allclose(params, expected.params, rtol=1e-11, atol=1e-13)
    np.testing.assert_allclose(fitted, expected.fittedvalues, rtol=1e-11)
    assert log_likelihood == pytest.approx(float(expected.llf), rel=1e-12)


def test_poisson_fit_leaves_a_singular_design_to_statsmodels() -> None:
    from pipeline.stats._irls import poisson_irls

    exog = np.column_stack([np.ones(6), [0, 0, 1, 1, 0, 1], [0, 0, 2, 2, 0, 2]]).astype(float)
    assert poisson_irls(np.array([1.0, 2, 3, 4, 0, 2]), exog, None, None) is None


@pytest.mark.parametrize("alpha", [0.01, 0.5, 3.0])
def test_negative_binomial_fit_at_fixed_alpha_is_statsmodels_irls_to_rounding(alpha) -> None:
    # the overdispersion check's profile search fits the NB2 GLM at ~30 values of alpha:
    # each fit against statsmodels' GLM it replaces, from the Poisson fit as both start
    import statsmodels.api as sm

    from pipeline.stats._irls import negative_binomial_irls, poisson_irls

    rng = np.random.default_rng(3)
    n = 3000
    exog = np.column_stack([np.ones(n), rng.integers(0, 2, n), rng.normal(29, 5, n)])
    log_time = np.log(rng.uniform(0.2, 3.0, n))
    mean = np.exp(exog @ np.array([-0.5, 0.3, 0.01]) + log_time)
    events = rng.negative_binomial(2, 2 / (2 + mean)).astype(float)
    start = poisson_irls(events, exog, log_time, None)[0]
    expected = sm.GLM(events, exog, family=sm.families.NegativeBinomial(alpha=alpha),
                      offset=log_time).fit(start_params=start, maxiter=100, tol=1e-10)
    params, log_likelihood, converged = negative_binomial_irls(events, exog, log_time, alpha, start)
    assert converged and expected.converged
    np.testing.assert_allclose(params, expected.params, rtol=1e-11)
    assert log_likelihood == pytest.approx(float(expected.llf), rel=1e-13)
