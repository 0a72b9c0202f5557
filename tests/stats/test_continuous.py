"""Continuous outcomes: Welch/Student t, bootstrap, OLS with g-computation, IPTW means.

The reference values never come from `pipeline.stats.continuous` itself:
- R's printed output for `t.test` on the sleep data and `lm` on Dobson's plant weights;
- Stata's printed `teffects ra` output on the Cattaneo (2010) birthweight data, as
  stored in statsmodels' own test suite (results_teffects.py);
- statsmodels' OLS covariances (HC1, cluster) and `TreatmentEffect` GMM, computed here;
- hand formulas: a percentile and a BCa bootstrap written out in numpy with the same
  resamples, g-computation by separate least-squares fits in each group, and the
  identity IPTW = covariate standardisation when the propensity model is saturated.
"""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from scipy import stats

from pipeline.stats import continuous
from pipeline.stats.continuous import (
    bootstrap_mean_difference,
    iptw_mean_difference,
    linear_adjusted_effect,
    mean_difference,
)

# Student (1908), R's `sleep`: extra hours of sleep with drug 1 ("group 1") and drug 2.
SLEEP_1 = [0.7, -1.6, -0.2, -1.2, -0.1, 3.4, 3.7, 0.8, 0.0, 2.0]
SLEEP_2 = [1.9, 0.8, 1.1, 0.1, -0.1, 4.4, 5.5, 1.6, 4.6, 3.4]

# Dobson (1983, An Introduction to Statistical Modelling, Table 7.1), R's `PlantGrowth`:
# dried plant weights (g) under a control and two treatments. ctrl and trt1 are also the
# `ctl` and `trt` vectors of the example in R's ?lm.
PLANT_CTRL = [4.17, 5.58, 5.18, 6.11, 4.50, 4.61, 5.17, 4.53, 5.33, 5.14]
PLANT_TRT1 = [4.81, 4.17, 4.41, 3.59, 5.87, 3.83, 6.03, 4.89, 4.32, 4.69]
PLANT_TRT2 = [6.31, 5.12, 5.54, 5.50, 5.37, 5.29, 4.92, 6.15, 5.80, 5.26]

# Efron & Tibshirani (1993, An Introduction to the Bootstrap, Table 2.1): survival days of
# mice after a test surgery; means 86.86 and 56.22, difference 30.63. Right-skewed.
MICE_TREATED = [94, 197, 16, 38, 99, 141, 23]
MICE_CONTROL = [52, 104, 146, 10, 51, 30, 40, 27, 46]


# --- Welch and Student t ---------------------------------------------------------------


def test_welch_matches_r_t_test_on_sleep_data():
    """R: `t.test(extra ~ group, data = sleep)` (the example in R's ?t.test) prints

        Welch Two Sample t-test
        t = -1.8608, df = 17.776, p-value = 0.07939
        95 percent confidence interval: -3.3654832  0.2054832
        mean in group 1 mean in group 2
                   0.75            2.33
    """
    result = mean_difference(SLEEP_1, SLEEP_2)
    assert (result.measure, result.method) == ("mean_difference", "welch")
    assert result.estimate == pytest.approx(0.75 - 2.33)
    assert result.details["mean_treated"] == pytest.approx(0.75)
    assert result.details["mean_control"] == pytest.approx(2.33)
    assert round(result.details["t"], 4) == -1.8608
    assert round(result.details["df"], 3) == 17.776
    assert round(result.p_value, 5) == 0.07939
    assert (round(result.ci_low, 7), round(result.ci_high, 7)) == (-3.3654832, 0.2054832)
    assert result.estimate / result.se == pytest.approx(result.details["t"])
    assert (result.n, result.confidence) == (20, 0.95)


def test_student_pooled_matches_r_t_test_var_equal():
    """R: `t.test(extra ~ group, data = sleep, var.equal = TRUE)` prints

        Two Sample t-test
        t = -1.8608, df = 18, p-value = 0.07919
        95 percent confidence interval: -3.363874  0.203874
    """
    result = mean_difference(SLEEP_1, SLEEP_2, equal_var=True)
    assert result.method == "student"
    assert round(result.details["t"], 4) == -1.8608
    assert result.details["df"] == 18
    assert round(result.p_value, 5) == 0.07919
    assert (round(result.ci_low, 6), round(result.ci_high, 6)) == (-3.363874, 0.203874)


def test_interval_at_other_levels_is_the_t_interval():
    result = mean_difference(SLEEP_1, SLEEP_2, confidence=0.90)
    critical = stats.t.ppf(0.95, result.details["df"])
    assert (result.ci_low, result.ci_high) == pytest.approx(
        (result.estimate - critical * result.se, result.estimate + critical * result.se))
    assert result.confidence == 0.90


def test_missing_values_are_left_out_and_counted():
    result = mean_difference([*SLEEP_1, None], [np.nan, *SLEEP_2])
    assert round(result.p_value, 5) == 0.07939
    assert (result.details["missing_treated"], result.details["missing_control"]) == (1, 1)
    assert result.n == 20


@pytest.mark.parametrize("function", [mean_difference, bootstrap_mean_difference])
def test_empty_or_single_child_group_is_not_estimable(function):
    empty = function([], SLEEP_2)
    assert not empty.estimable and "treated group is empty" in empty.reason
    single = function(SLEEP_1, [2.0])
    assert not single.estimable and "comparison group has only 1 child" in single.reason
    assert single.ci_low is None and single.p_value is None


@pytest.mark.parametrize("function", [mean_difference, bootstrap_mean_difference])
def test_constant_outcome_in_both_groups_is_not_estimable(function):
    result = function([3.0, 3.0, 3.0], [3.0, 3.0])
    assert not result.estimable
    assert "does not vary within either group" in result.reason
    # One constant group is fine: the other group's variance carries the interval.
    assert function([3.0, 3.0, 3.0], [2.0, 2.5, 4.0]).estimable


def test_non_numeric_outcome_is_an_error():
    with pytest.raises(ValueError, match="outcome_treated must be numeric"):
        mean_difference(["a", "b"], [1.0, 2.0])
    with pytest.raises(ValueError, match="infinite"):
        mean_difference([1.0, np.inf], [1.0, 2.0])


# --- Bootstrap -------------------------------------------------------------------------


def _hand_resamples(treated, control, replicates, seed):
    """Independent resampling within each group, treated first, as scipy.stats.bootstrap
    draws it (one (replicates × n) block of indices per sample, in order)."""
    treated, control = np.asarray(treated, float), np.asarray(control, float)
    rng = np.random.default_rng(seed)
    treated_index = rng.integers(0, len(treated), (replicates, len(treated)))
    control_index = rng.integers(0, len(control), (replicates, len(control)))
    return treated[treated_index].mean(axis=1) - control[control_index].mean(axis=1)


def test_percentile_interval_equals_hand_computed_quantiles_of_the_same_resamples():
    replicates, seed = 4999, 7
    result = bootstrap_mean_difference(MICE_TREATED, MICE_CONTROL, replicates=replicates,
                                       seed=seed, method="percentile")
    differences = _hand_resamples(MICE_TREATED, MICE_CONTROL, replicates, seed)
    assert (result.ci_low, result.ci_high) == pytest.approx(
        tuple(np.quantile(differences, [0.025, 0.975])), rel=1e-12)
    assert result.se == pytest.approx(differences.std(ddof=1), rel=1e-12)
    assert result.method == "bootstrap_percentile" and result.p_value is None


@pytest.mark.parametrize("method", ["bca", "percentile"])
def test_bootstrap_drawn_in_blocks_is_scipys_bootstrap_to_the_bit(monkeypatch, method):
    """Replicates drawn a few rows at a time give what one call of scipy.stats.bootstrap gives
    (all resamples at once): the same replicates, so the same percentile interval and SE,
    exactly; the BCa interval of these whole-number outcomes, whose jackknife is computed from
    the sums (`_bca_of_counts`), to the last digits of the quantiles' interpolation."""
    rng = np.random.default_rng(5)
    treated, control = rng.poisson(1.3, 301).astype(float), rng.poisson(0.9, 452).astype(float)
    monkeypatch.setattr(continuous, "RESAMPLED_VALUES", 1000)  # 2-3 rows a block, 2 children a batch
    result = bootstrap_mean_difference(treated, control, replicates=999, seed=21, method=method)
    scipy_result = stats.bootstrap((treated, control), lambda t, c, axis: t.mean(axis) - c.mean(axis),
                                   n_resamples=999, vectorized=True, paired=False,
                                   method="BCa" if method == "bca" else "percentile",
                                   rng=np.random.default_rng(21))
    if method == "bca":
        np.testing.assert_allclose((result.ci_low, result.ci_high), scipy_result.confidence_interval,
                                   rtol=1e-13)
    else:
        assert (result.ci_low, result.ci_high) == tuple(scipy_result.confidence_interval)
    assert result.se == scipy_result.standard_error


def test_bca_interval_equals_hand_computed_bca_of_the_same_resamples():
    """BCa (Efron & Tibshirani 1993, eq. 14.10-14.15) written out for a difference of means.

    Bias correction z0 = Φ⁻¹(share of replicates below the estimate, ties counted half).
    Acceleration from the jackknife within each group: leaving out child i of a group
    moves the difference by (x_i − mean)/(n − 1) with the group's sign, so the scaled
    jackknife influence values are the centred observations d_i (negated for the
    comparison group) and a = Σ_g Σ_i d_i³/n_g³ / (6 (Σ_g Σ_i d_i²/n_g²)^{3/2}).
    """
    replicates, seed, confidence = 9999, 11, 0.95
    result = bootstrap_mean_difference(MICE_TREATED, MICE_CONTROL, confidence, replicates, seed)
    differences = _hand_resamples(MICE_TREATED, MICE_CONTROL, replicates, seed)
    treated, control = np.asarray(MICE_TREATED, float), np.asarray(MICE_CONTROL, float)
    estimate = treated.mean() - control.mean()
    z0 = stats.norm.ppf(((differences < estimate).sum() + (differences <= estimate).sum())
                        / (2 * replicates))
    d1, d0 = treated - treated.mean(), -(control - control.mean())
    n1, n0 = len(d1), len(d0)
    acceleration = ((d1**3).sum() / n1**3 + (d0**3).sum() / n0**3) / (
        6 * ((d1**2).sum() / n1**2 + (d0**2).sum() / n0**2) ** 1.5)
    assert acceleration > 0  # the treated group's long right tail

    def level(z_alpha):
        return stats.norm.cdf(z0 + (z0 + z_alpha) / (1 - acceleration * (z0 + z_alpha)))

    z = stats.norm.ppf(0.975)
    expected = np.quantile(differences, [level(-z), level(z)])
    assert (result.ci_low, result.ci_high) == pytest.approx(tuple(expected), rel=1e-10)
    assert result.method == "bootstrap_bca"
    assert result.estimate == pytest.approx(30.63, abs=0.005)  # Efron & Tibshirani's 30.63
    assert result.details["mean_treated"] == pytest.approx(86.86, abs=0.005)
    assert result.details["mean_control"] == pytest.approx(56.22, abs=0.005)


def test_bootstrap_se_is_close_to_the_ideal_bootstrap_se():
    """The ideal bootstrap SE of a difference of means is the plug-in √(σ̂₁²/n₁ + σ̂₀²/n₀),
    σ̂² with divisor n (Efron & Tibshirani 1993, §5.2): 26.91 days for the mice."""
    result = bootstrap_mean_difference(MICE_TREATED, MICE_CONTROL)
    ideal = np.sqrt(np.var(MICE_TREATED) / 7 + np.var(MICE_CONTROL) / 9)
    assert round(ideal, 2) == 26.91
    assert result.se == pytest.approx(ideal, rel=0.03)


@pytest.mark.parametrize("method", ["bca", "percentile"])
def test_bootstrap_interval_contains_the_welch_estimate_and_is_reproducible(method):
    result = bootstrap_mean_difference(SLEEP_1, SLEEP_2, seed=3, method=method)
    welch = mean_difference(SLEEP_1, SLEEP_2)
    assert result.estimate == pytest.approx(welch.estimate)
    assert result.ci_low < welch.estimate < result.ci_high
    # Close to Welch's interval for these roughly symmetric data, a little narrower.
    assert result.ci_low == pytest.approx(welch.ci_low, abs=0.5)
    assert result.ci_high == pytest.approx(welch.ci_high, abs=0.5)
    again = bootstrap_mean_difference(SLEEP_1, SLEEP_2, seed=3, method=method)
    assert (again.ci_low, again.ci_high, again.se) == (result.ci_low, result.ci_high, result.se)
    other = bootstrap_mean_difference(SLEEP_1, SLEEP_2, seed=4, method=method)
    assert (other.ci_low, other.ci_high) != (result.ci_low, result.ci_high)
    assert result.details["seed"] == 3 and result.details["replicates"] == 9999


def test_bootstrap_arguments_are_checked():
    with pytest.raises(ValueError, match="method"):
        bootstrap_mean_difference(SLEEP_1, SLEEP_2, method="basic")
    with pytest.raises(ValueError, match="replicates"):
        bootstrap_mean_difference(SLEEP_1, SLEEP_2, replicates=0)


# --- Linear regression -----------------------------------------------------------------


def test_classical_se_matches_r_lm_example_dobson():
    """R's ?lm example, `lm.D9 <- lm(weight ~ group)` on ctl/trt, prints

                    Estimate Std. Error t value Pr(>|t|)
        (Intercept)   5.0320     0.2202  22.850 9.55e-15 ***
        groupTrt     -0.3710     0.3114  -1.191    0.249
        Residual standard error: 0.6964 on 18 degrees of freedom
    """
    result = linear_adjusted_effect(PLANT_CTRL + PLANT_TRT1, [0] * 10 + [1] * 10,
                                    cov_type="classical", exposure_name="groupTrt")
    assert round(result.estimate, 4) == -0.3710
    assert round(result.se, 4) == 0.3114
    assert round(result.p_value, 3) == 0.249
    assert result.details["df"] == 18
    table = result.details["coefficients"]
    assert table.index.tolist() == ["const", "groupTrt"]
    assert (round(table.loc["const", "coef"], 4), round(table.loc["const", "se"], 4)) == (
        5.0320, 0.2202)
    assert round(table.loc["const", "t"], 2) == 22.85
    assert table.loc["groupTrt", "t"] == pytest.approx(-1.191, abs=5e-4)


def test_classical_se_with_a_covariate_matches_r_lm_plant_growth():
    """R: `summary(lm(weight ~ group, data = PlantGrowth))` prints

                    Estimate Std. Error t value Pr(>|t|)
        (Intercept)   5.0320     0.1971  25.527   <2e-16 ***
        grouptrt1    -0.3710     0.2788  -1.331   0.1944
        grouptrt2     0.4940     0.2788   1.772   0.0877 .
        Residual standard error: 0.6234 on 27 degrees of freedom

    Here trt2 is the exposure and the trt1 indicator a covariate (same model).
    """
    weight = PLANT_CTRL + PLANT_TRT1 + PLANT_TRT2
    trt2 = [0] * 20 + [1] * 10
    covariates = pd.DataFrame({"grouptrt1": [0] * 10 + [1] * 10 + [0] * 10})
    result = linear_adjusted_effect(weight, trt2, covariates, cov_type="classical",
                                    exposure_name="grouptrt2")
    assert (round(result.estimate, 4), round(result.se, 4)) == (0.4940, 0.2788)
    assert round(result.p_value, 4) == 0.0877
    assert result.details["df"] == 27
    table = result.details["coefficients"].round(4)
    assert table.index.tolist() == ["const", "grouptrt2", "grouptrt1"]
    assert table.loc["grouptrt1", ["coef", "se", "p_value"]].tolist() == [-0.3710, 0.2788, 0.1944]
    assert table.loc["const", ["coef", "se"]].tolist() == [5.0320, 0.1971]
    assert round(result.details["coefficients"].loc["grouptrt2", "t"], 3) == 1.772
    # Classical and t-based: the interval is estimate ± t(27) × SE.
    assert result.ci_high - result.estimate == pytest.approx(stats.t.ppf(0.975, 27) * result.se)


def test_hc1_for_two_equal_groups_reproduces_r_t_tests_on_sleep_data():
    """With two groups of equal size the HC1 variance n/(n−2) Σ_g (n_g−1)/n_g · s_g²/n_g
    equals Welch's (and the pooled) s₁²/n₁ + s₀²/n₀ exactly, so t = −1.8608 as R prints;
    with n − 2 = 18 df the interval is R's `var.equal = TRUE` one, -3.363874 to 0.203874."""
    result = linear_adjusted_effect(SLEEP_1 + SLEEP_2, [1] * 10 + [0] * 10)
    assert result.details["cov_type"] == "HC1"
    assert round(result.estimate / result.se, 4) == -1.8608
    assert round(result.p_value, 5) == 0.07919
    assert (round(result.ci_low, 6), round(result.ci_high, 6)) == (-3.363874, 0.203874)


def _seeded_frame(n=120, clusters=8, seed=5):
    rng = np.random.default_rng(seed)
    area = rng.integers(0, clusters, n)
    parity = rng.integers(0, 4, n).astype(float)
    smoker = rng.random(n) < 0.3
    treatment = (rng.random(n) < 0.3 + 0.1 * parity / 3).astype(float)
    area_effect = rng.normal(0, 80, clusters)[area]
    weight = (3400 - 150 * smoker + 40 * parity + 60 * treatment + 30 * treatment * parity
              + area_effect + rng.normal(0, 300, n) * (1 + treatment))
    covariates = pd.DataFrame({"parity": parity, "smoker": smoker})
    return weight, treatment, covariates, area


@pytest.mark.parametrize("cov_type", ["HC0", "HC1", "classical"])
def test_coefficient_table_matches_statsmodels_ols(cov_type):
    weight, treatment, covariates, _ = _seeded_frame()
    result = linear_adjusted_effect(weight, treatment, covariates, cov_type=cov_type,
                                    exposure_name="home_visits")
    exog = sm.add_constant(pd.DataFrame({"home_visits": treatment}).join(
        covariates.astype(float)))
    reference = sm.OLS(weight, exog).fit(cov_type="nonrobust" if cov_type == "classical"
                                         else cov_type)
    table = result.details["coefficients"]
    assert table.index.tolist() == ["const", "home_visits", "parity", "smoker"]
    np.testing.assert_allclose(table["coef"], reference.params, rtol=1e-10)
    np.testing.assert_allclose(table["se"], reference.bse, rtol=1e-10)
    assert result.estimate == pytest.approx(reference.params["home_visits"], rel=1e-10)
    assert result.se == pytest.approx(reference.bse["home_visits"], rel=1e-10)


def test_cluster_se_matches_statsmodels_cluster_covariance():
    weight, treatment, covariates, area = _seeded_frame()
    result = linear_adjusted_effect(weight, treatment, covariates, cov_type="cluster",
                                    clusters=area)
    exog = sm.add_constant(pd.DataFrame({"treatment": treatment}).join(covariates.astype(float)))
    reference = sm.OLS(weight, exog).fit(cov_type="cluster", cov_kwds={"groups": area},
                                         use_t=True)
    assert result.se == pytest.approx(reference.bse["treatment"], rel=1e-10)
    assert result.p_value == pytest.approx(reference.pvalues["treatment"], rel=1e-8)
    low, high = reference.conf_int().loc["treatment"]
    assert (result.ci_low, result.ci_high) == pytest.approx((low, high), rel=1e-10)
    assert result.n_clusters == 8 and result.details["df"] == 7
    assert result.flags == ("few_areas",)
    # With interactions the coefficient part of the variance is statsmodels' cluster
    # covariance carried through the gradient of the standardised difference.
    interacted = linear_adjusted_effect(weight, treatment, covariates, cov_type="cluster",
                                        clusters=area, interactions=True)
    design = exog.assign(**{f"treatment:{c}": treatment * covariates[c].astype(float)
                            for c in covariates})
    reference = sm.OLS(weight, design).fit(cov_type="cluster", cov_kwds={"groups": area})
    gradient = np.zeros(design.shape[1])
    gradient[1] = 1.0
    gradient[4:] = covariates.astype(float).mean().to_numpy()
    assert interacted.details["se_covariates_fixed"] == pytest.approx(
        np.sqrt(gradient @ reference.cov_params().to_numpy() @ gradient), rel=1e-10)
    assert interacted.estimate == pytest.approx(gradient @ reference.params.to_numpy(), rel=1e-10)


@pytest.mark.parametrize("estimand", ["ATE", "ATT", "ATC"])
def test_g_computation_equals_mean_predicted_difference_by_hand(estimand):
    """With interactions the fit equals a separate least-squares line in each group; the
    estimate is the mean over the population of prediction(treated) − prediction(comparison).
    Without interactions it is the treatment coefficient for every estimand."""
    treatment = np.array([1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0], dtype=float)
    parity = np.array([0, 1, 2, 3, 1, 0, 0, 1, 2, 2, 3], dtype=float)
    days = np.array([30, 41, 49, 62, 39, 20, 23, 26, 30, 33, 35], dtype=float)
    covariates = pd.DataFrame({"parity": parity})

    def line(arm):
        x = np.column_stack([np.ones(int((treatment == arm).sum())), parity[treatment == arm]])
        return np.linalg.lstsq(x, days[treatment == arm], rcond=None)[0]

    (a1, b1), (a0, b0) = line(1), line(0)
    over = {"ATE": np.ones(11, bool), "ATT": treatment == 1, "ATC": treatment == 0}[estimand]
    by_hand = np.mean((a1 + b1 * parity[over]) - (a0 + b0 * parity[over]))
    result = linear_adjusted_effect(days, treatment, covariates, interactions=True,
                                    estimand=estimand)
    assert result.estimate == pytest.approx(by_hand, rel=1e-12)
    assert result.details["mean_under_control"] == pytest.approx(
        np.mean(a0 + b0 * parity[over]), rel=1e-12)
    assert result.details["coefficients"].index.tolist() == [
        "const", "treatment", "parity", "treatment:parity"]
    plain = linear_adjusted_effect(days, treatment, covariates, estimand=estimand)
    coefficient = sm.OLS(days, sm.add_constant(np.column_stack([treatment, parity]))).fit(
        cov_type="HC1")
    assert plain.estimate == pytest.approx(coefficient.params[1], rel=1e-12)
    assert plain.se == pytest.approx(coefficient.bse[1], rel=1e-10)


def _cattaneo() -> pd.DataFrame:
    try:
        import statsmodels.treatment.tests as shipped_tests
    except ImportError:
        pytest.skip("statsmodels was installed without its test data")
    path = Path(shipped_tests.__file__).parent / "results" / "cataneo2.csv"
    if not path.exists():
        pytest.skip("statsmodels was installed without its test data")
    return pd.read_csv(path)


@pytest.mark.parametrize(("estimand", "effect", "se", "pomean", "pomean_se"), [
    ("ATE", -239.63921146434, 23.82402100183, 3403.2422719355, 9.5252071796205),
    ("ATT", -223.30165083857, 22.742195167601, 3360.9613730608, 12.757489072993),
])
def test_interacted_g_computation_reproduces_stata_teffects_ra(estimand, effect, se, pomean,
                                                              pomean_se):
    """Stata [TE] teffects ra, example 1 (Cattaneo 2010 birthweight data, n = 4642):
    `teffects ra (bweight prenatal1 mmarried mage fbaby) (mbsmoke)` prints for the ATE
    r1vs0.mbsmoke −239.6392 (robust SE 23.82402) and POmean nonsmoker 3403.242 (9.525207);
    with `atet`, −223.3017 (22.7422) and 3360.961 (12.75749). Full-precision values as
    stored in statsmodels' treatment/tests/results/results_teffects.py."""
    data = _cattaneo()
    covariates = data[["prenatal1_", "mmarried_", "mage", "fbaby_"]]
    result = linear_adjusted_effect(data["bweight"], data["mbsmoke_"], covariates,
                                    interactions=True, cov_type="HC0", estimand=estimand,
                                    exposure_name="mbsmoke")
    assert result.estimate == pytest.approx(effect, rel=1e-9)
    assert result.se == pytest.approx(se, rel=1e-8)
    assert result.details["mean_under_control"] == pytest.approx(pomean, rel=1e-9)
    assert result.details["se_mean_under_control"] == pytest.approx(pomean_se, rel=1e-8)
    assert result.n == 4642
    # Counting the covariate mix as sampled adds to the fixed-covariate (margins) SE.
    assert result.details["se_covariates_fixed"] < result.se


def test_aliased_interaction_is_dropped_and_named():
    treatment = np.array([1, 1, 1, 1, 0, 0, 0, 0, 0], dtype=float)
    # "twin" is 0 for every treated child: its interaction term is identically zero.
    covariates = pd.DataFrame({"twin": [0, 0, 0, 0, 1, 0, 1, 0, 0],
                               "parity": [1, 2, 3, 1, 2, 1, 3, 2, 1]})
    days = np.array([30, 35, 44, 31, 20, 25, 29, 24, 22], dtype=float)
    result = linear_adjusted_effect(days, treatment, covariates, interactions=True,
                                    exposure_name="visited")
    assert result.estimable
    assert result.dropped.constant == ("visited:twin",)
    assert result.details["coefficients"].index.tolist() == [
        "const", "visited", "twin", "parity", "visited:parity"]


def test_missing_and_dropped_covariates_are_reported():
    weight, treatment, covariates, _ = _seeded_frame()
    covariates = covariates.assign(sweden=1.0, parity_again=covariates["parity"])
    covariates.loc[3, "parity"] = np.nan
    weight = weight.copy()
    weight[5] = np.nan
    result = linear_adjusted_effect(weight, treatment, covariates)
    assert result.dropped.rows_missing == 1
    assert result.dropped.constant == ("sweden",)
    assert result.dropped.aliased == ("parity_again",)
    assert result.details["rows_missing_outcome_or_treatment"] == 1
    assert result.n == 118


def test_regression_not_estimable_cases():
    area = ["A"] * 6
    one_cluster = linear_adjusted_effect([1.0, 2, 3, 4, 5, 7], [1, 1, 1, 0, 0, 0],
                                         cov_type="cluster", clusters=area)
    assert not one_cluster.estimable and "one cluster" in one_cluster.reason
    constant = linear_adjusted_effect([5.0, 5, 5, 5, 5, 5], [1, 1, 1, 0, 0, 0])
    assert not constant.estimable and "no residual variance" in constant.reason
    empty = linear_adjusted_effect([1.0, 2, 3], [0, 0, 0])
    assert not empty.estimable and "treated group is empty" in empty.reason
    determined = linear_adjusted_effect([1.0, 2, 3, 4, 5, 7], [1, 1, 1, 0, 0, 0],
                                        pd.DataFrame({"north": [1, 1, 1, 0, 0, 0]}))
    assert not determined.estimable and "determined by the covariates" in determined.reason
    saturated = linear_adjusted_effect([1.0, 2, 4], [1, 0, 0],
                                       pd.DataFrame({"parity": [1.0, 2, 3]}))
    assert not saturated.estimable


def test_regression_arguments_are_checked():
    with pytest.raises(ValueError, match="cov_type"):
        linear_adjusted_effect([1.0, 2], [1, 0], cov_type="HC3")
    with pytest.raises(ValueError, match="clusters"):
        linear_adjusted_effect([1.0, 2], [1, 0], cov_type="cluster")
    with pytest.raises(ValueError, match="clusters"):
        linear_adjusted_effect([1.0, 2], [1, 0], clusters=["a", "b"])
    with pytest.raises(ValueError, match="named like the exposure"):
        linear_adjusted_effect([1.0, 2, 3, 4], [1, 1, 0, 0],
                               pd.DataFrame({"treatment": [1, 2, 3, 5]}))
    with pytest.raises(ValueError, match="0/1"):
        linear_adjusted_effect([1.0, 2], [1, 2])


# --- IPTW ------------------------------------------------------------------------------

# One binary covariate (first child): the logistic propensity model is saturated, so the
# weighted means are exactly the covariate-standardised means.
# (first_child, treated): outcome values (days of exclusive breastfeeding, say).
IPTW_CELLS = {
    (1, 1): [110, 130, 150, 120, 140, 160],
    (1, 0): [100, 90, 120, 110],
    (0, 1): [80, 100, 90, 70],
    (0, 0): [60, 75, 65, 70, 55, 85],
}


def _iptw_table():
    rows = [(x, t, y) for (x, t), values in IPTW_CELLS.items() for y in values]
    frame = pd.DataFrame(rows, columns=["first_child", "treated", "days"])
    return frame


@pytest.mark.parametrize("estimand", ["ATE", "ATT"])
def test_iptw_equals_covariate_standardised_difference(estimand):
    frame = _iptw_table()
    mean = {cell: np.mean(values) for cell, values in IPTW_CELLS.items()}
    size = {cell: len(values) for cell, values in IPTW_CELLS.items()}
    if estimand == "ATE":  # standardise to everyone: 10 first-born, 10 others
        share = {x: (size[(x, 1)] + size[(x, 0)]) / 20 for x in (0, 1)}
    else:  # to the treated: 6 first-born, 4 others
        share = {x: size[(x, 1)] / 10 for x in (0, 1)}
    standardised = sum(share[x] * (mean[(x, 1)] - mean[(x, 0)]) for x in (0, 1))
    result = iptw_mean_difference(frame["days"], frame["treated"], frame[["first_child"]],
                                  estimand=estimand)
    assert result.estimate == pytest.approx(standardised, rel=1e-9)
    assert result.details["mean_control"] == pytest.approx(
        sum(share[x] * mean[(x, 0)] for x in (0, 1)), rel=1e-9)
    assert (result.measure, result.method, result.n) == ("mean_difference", "iptw", 20)


def test_iptw_weights_known_se_is_the_weighted_least_squares_hc_se():
    frame = _iptw_table()
    result = iptw_mean_difference(frame["days"], frame["treated"], frame[["first_child"]],
                                  cov_type="HC0")
    # ATE weights 1/ps and 1/(1 - ps), ps = 0.6 for first-born and 0.4 for the others.
    ps = np.where(frame["first_child"] == 1, 0.6, 0.4)
    weights = np.where(frame["treated"] == 1, 1 / ps, 1 / (1 - ps))
    wls = sm.WLS(frame["days"], sm.add_constant(frame["treated"].astype(float)),
                 weights=weights).fit(cov_type="HC0")
    assert result.estimate == pytest.approx(wls.params["treated"], rel=1e-9)
    assert result.details["se_weights_known"] == pytest.approx(wls.bse["treated"], rel=1e-9)
    # Estimating the propensity makes the ATE more precise (Hirano, Imbens & Ridder 2003).
    assert result.se < result.details["se_weights_known"]


@pytest.mark.parametrize(("estimand", "effect_group"), [("ATE", "all"), ("ATT", 1)])
def test_iptw_matches_statsmodels_treatment_effect_on_cattaneo_birthweight(estimand,
                                                                          effect_group):
    """Birthweight (g) by maternal smoking, logistic propensity on the covariates of Stata's
    [TE] teffects ipw example. statsmodels' `TreatmentEffect.ipw` solves the same stacked
    moments by GMM with an HC0 covariance (its own suite checks it against Stata)."""
    from statsmodels.treatment.treatment_effects import TreatmentEffect

    data = _cattaneo()
    covariates = data[["mmarried_", "mage", "mage2", "fbaby_", "medu"]]
    treated = data["mbsmoke_"].to_numpy(dtype=float)
    weight = data["bweight"].to_numpy(dtype=float)
    propensity_model = sm.Logit(treated, sm.add_constant(covariates)).fit(disp=0)
    outcome_model = sm.OLS(weight, np.ones((len(weight), 1)))  # only its endog is used
    reference = TreatmentEffect(outcome_model, treated, results_select=propensity_model).ipw(
        effect_group=effect_group)
    result = iptw_mean_difference(weight, treated, covariates, estimand=estimand,
                                  cov_type="HC0")
    assert result.estimate == pytest.approx(reference.results_gmm.params[0], rel=1e-6)
    assert result.details["mean_control"] == pytest.approx(reference.results_gmm.params[1],
                                                           rel=1e-6)
    assert result.se == pytest.approx(reference.results_gmm.bse[0], rel=1e-4)
    hc1 = iptw_mean_difference(weight, treated, covariates, estimand=estimand)
    assert hc1.se > result.se


def test_iptw_not_estimable_cases():
    frame = _iptw_table()
    constant = iptw_mean_difference(np.full(20, 100.0), frame["treated"],
                                    frame[["first_child"]])
    assert not constant.estimable and "does not vary" in constant.reason
    separated = iptw_mean_difference(frame["days"], frame["treated"],
                                     frame[["treated"]].rename(columns={"treated": "north"}))
    assert not separated.estimable
    one_child = iptw_mean_difference([1.0, 2, 3], [1, 0, 0], pd.DataFrame({"x": [1.0, 2, 3]}))
    assert not one_child.estimable and "only 1 child" in one_child.reason
    with pytest.raises(ValueError, match="estimand"):
        iptw_mean_difference(frame["days"], frame["treated"], frame[["first_child"]],
                             estimand="ATC")


@pytest.mark.filterwarnings("ignore:invalid value encountered:RuntimeWarning")  # scipy's, degenerate
def test_bca_of_counts_is_scipys_bca_interval() -> None:
    """Whole-number outcomes: the BCa interval with the jackknife's leave-one-out means from
    the sums is scipy's `bootstrap(method="BCa")` interval on the same replicates (to
    rounding in the quantiles' interpolation), its SE scipy's; other outcomes go to scipy."""
    from pipeline.stats import continuous

    rng = np.random.default_rng(1)
    for _ in range(8):
        n_treated, n_control = rng.integers(15, 2_000, 2)
        treated = rng.poisson(rng.uniform(0.2, 4.0), n_treated).astype(float)
        control = rng.poisson(rng.uniform(0.2, 4.0), n_control).astype(float)
        draws = np.random.default_rng(7)
        replicated = (continuous._resampled_means(treated, 2_000, draws)
                      - continuous._resampled_means(control, 2_000, draws))
        counted = continuous._bca_of_counts(treated, control, replicated, 0.9)
        scipys = stats.bootstrap((treated, control), continuous._difference_of_means,
                                 n_resamples=0, bootstrap_result=continuous._Replicates(replicated),
                                 vectorized=True, paired=False, confidence_level=0.9, method="BCa")
        np.testing.assert_allclose(counted.confidence_interval, scipys.confidence_interval,
                                   rtol=1e-13, atol=1e-15)
        assert counted.standard_error == scipys.standard_error
    halves = np.array([0.5, 1.0, 2.0])
    assert continuous._bca_of_counts(halves, np.array([1.0, 2.0, 3.0]), np.zeros(9), 0.95) is None
    # every replicate above the estimate: no BCa percentile, the warning scipy gives
    treated, control = np.array([0.0, 0, 0, 1, 7]), np.array([0.0, 1, 1, 2])
    above = np.full(99, 5.0)
    with pytest.warns(stats.DegenerateDataWarning, match="BCa confidence interval cannot"):
        counted = continuous._bca_of_counts(treated, control, above, 0.95)
    assert np.isnan(counted.confidence_interval).all()
    with pytest.warns(stats.DegenerateDataWarning, match="BCa confidence interval cannot"):
        stats.bootstrap((treated, control), continuous._difference_of_means, n_resamples=0,
                        bootstrap_result=continuous._Replicates(above), vectorized=True,
                        paired=False, method="BCa")
