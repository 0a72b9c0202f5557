"""Logistic regression: adjusted odds ratio and g-computation risk difference."""

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from statsmodels.tools.numdiff import approx_fprime

from pipeline.stats.regression import fit_logistic, logistic_adjusted_effects
from pipeline.stats.results import NotEstimable

# Spector & Mazzeo (1980) teaching-method data, as bundled with statsmodels and used in
# Greene, Econometric Analysis, Table 21.1 (5th ed.): GRADE on GPA, TUCE and PSI.
GPA = [
    2.66,
    2.89,
    3.28,
    2.92,
    4.00,
    2.86,
    2.76,
    2.87,
    3.03,
    3.92,
    2.63,
    3.32,
    3.57,
    3.26,
    3.53,
    2.74,
    2.75,
    2.83,
    3.12,
    3.16,
    2.06,
    3.62,
    2.89,
    3.51,
    3.54,
    2.83,
    3.39,
    2.67,
    3.65,
    4.00,
    3.10,
    2.39,
]
TUCE = [
    20,
    22,
    24,
    12,
    21,
    17,
    17,
    21,
    25,
    29,
    20,
    23,
    23,
    25,
    26,
    19,
    25,
    19,
    23,
    25,
    22,
    28,
    14,
    26,
    24,
    27,
    17,
    24,
    21,
    23,
    21,
    19,
]
PSI = [
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    1,
    1,
    1,
    1,
    1,
    1,
    1,
    1,
    1,
    1,
    1,
    1,
    1,
    1,
]
GRADE = [
    0,
    0,
    0,
    0,
    1,
    0,
    0,
    0,
    0,
    1,
    0,
    0,
    0,
    1,
    0,
    0,
    0,
    0,
    0,
    1,
    0,
    1,
    0,
    0,
    1,
    1,
    1,
    0,
    1,
    1,
    0,
    1,
]


def test_adjusted_odds_ratio_matches_published_spector_logit() -> None:
    # Reference: Greene (2003) Table 21.1 / statsmodels' results_discrete (R glm):
    # PSI coefficient 2.378688, SE 1.064564.
    result = logistic_adjusted_effects(GRADE, PSI, pd.DataFrame({"gpa": GPA, "tuce": TUCE}))
    odds_ratio = result.odds_ratio
    assert odds_ratio.details["log_odds_ratio"] == pytest.approx(2.378688, abs=1e-5)
    assert odds_ratio.se == pytest.approx(1.064564, abs=1e-5)
    assert odds_ratio.estimate == pytest.approx(np.exp(2.378688), rel=1e-5)
    assert odds_ratio.ci_low == pytest.approx(np.exp(2.378688 - 1.959964 * 1.064564), rel=1e-4)
    assert result.coefficients.loc["gpa", "coef"] == pytest.approx(2.826113, abs=1e-5)
    assert result.n == 32 and odds_ratio.events == 11


def test_robust_coefficient_covariance_equals_statsmodels_hc0() -> None:
    """HC0 sandwich of the Spector logit = statsmodels' GLM cov_type="HC0"; HC1 = n/(n-k) x."""
    covariates = pd.DataFrame({"gpa": GPA, "tuce": TUCE})
    exog = np.column_stack([np.ones(32), PSI, GPA, TUCE])  # const, treatment, covariates
    reference = sm.GLM(GRADE, exog, family=sm.families.Binomial()).fit(cov_type="HC0")
    result = logistic_adjusted_effects(GRADE, PSI, covariates)
    assert np.allclose(result.coefficients["se_robust"], reference.bse, rtol=1e-6)
    assert result.odds_ratio.details["se_robust"] == pytest.approx(reference.bse[1], rel=1e-6)
    assert result.odds_ratio.se == pytest.approx(1.064564, abs=1e-5)  # model-based
    hc1 = logistic_adjusted_effects(GRADE, PSI, covariates, cov_type="HC1")
    assert np.allclose(hc1.coefficients["se_robust"], reference.bse * np.sqrt(32 / 28), rtol=1e-6)


def _misspecified_sample(n: int = 500, discrete: bool = False
                         ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Outcome with an x^2 term that the fitted model (T + x) leaves out; with `discrete`, x
    in steps of a half (some 13 values: the 500 children fall into about 50 patterns of
    treatment, x and outcome, which the model fits as counted rows)."""
    rng = np.random.default_rng(21)
    x = rng.normal(size=n)
    if discrete:
        x = np.round(2 * x) / 2
    t = rng.binomial(1, 1 / (1 + np.exp(-0.6 * x))).astype(float)
    y = rng.binomial(1, 1 / (1 + np.exp(-(-1.0 + 1.0 * x**2 + 0.7 * t)))).astype(float)
    return y, t, x


def _standardisation_pieces(y, t, x, estimand):
    """Design, reference fit (statsmodels Logit), counterfactual designs and population."""
    exog = np.column_stack([np.ones(len(y)), t, x])
    beta = np.asarray(sm.Logit(y, exog).fit(disp=0, method="newton", tol=1e-12).params)
    as_treated, as_untreated = exog.copy(), exog.copy()
    as_treated[:, 1], as_untreated[:, 1] = 1.0, 0.0
    over = {"ATT": t == 1, "ATE": np.ones(len(y), bool), "ATC": t == 0}[estimand]
    return exog, beta, as_treated, as_untreated, over


@pytest.mark.parametrize("discrete", [False, True])
@pytest.mark.parametrize("estimand", ["ATT", "ATE", "ATC"])
def test_standardised_se_equals_numerically_differentiated_stacked_sandwich(estimand, discrete) -> None:
    """Delta-method SE = sandwich of the stacked estimating equations, Jacobian numerical.

    Stack: logistic score x_i (y_i - p_i); standardised risks 1{i in S} (p_k(x_i) - mu_k).
    The model is misspecified (x^2 omitted), so the cross term and the robust coefficient
    covariance both matter. The reference sums over every child; the estimator, where
    children share their x, treatment and outcome, over the patterns with their counts.
    """
    y, t, x = _misspecified_sample(discrete=discrete)
    patterns = len(np.unique(np.column_stack([y, t, x]), axis=0))
    assert patterns < 60 if discrete else patterns == 500
    exog, beta, as_treated, as_untreated, over = _standardisation_pieces(y, t, x, estimand)

    def expit(eta):
        return 1 / (1 + np.exp(-eta))

    def psi(theta):
        b, mu1, mu0 = theta[:3], theta[3], theta[4]
        return np.column_stack(
            [
                exog * (y - expit(exog @ b))[:, None],
                over * (expit(as_treated @ b) - mu1),
                over * (expit(as_untreated @ b) - mu0),
            ]
        )

    risks = [expit(as_treated[over] @ beta).mean(), expit(as_untreated[over] @ beta).mean()]
    theta = np.concatenate([beta, risks])
    n = len(y)
    jacobian = approx_fprime(theta, lambda value: psi(value).mean(0), centered=True)
    bread = np.linalg.inv(jacobian)
    values = psi(theta)
    covariance = (bread @ (values.T @ values / n) @ bread.T / n)[3:, 3:]

    result = logistic_adjusted_effects(y, t, pd.DataFrame({"x": x}), estimand=estimand)
    rd = result.risk_difference
    assert rd.estimate == pytest.approx(risks[0] - risks[1], rel=1e-7)
    assert rd.se == pytest.approx(
        np.sqrt(covariance[0, 0] + covariance[1, 1] - 2 * covariance[0, 1]), rel=1e-5
    )
    gradient = np.array([1 / risks[0], -1 / risks[1]])
    assert result.risk_ratio.se == pytest.approx(
        np.sqrt(gradient @ covariance @ gradient), rel=1e-5
    )
    assert result.risk_untreated.se == pytest.approx(np.sqrt(covariance[1, 1]), rel=1e-5)
    hc1 = logistic_adjusted_effects(y, t, pd.DataFrame({"x": x}), estimand=estimand, cov_type="HC1")
    assert hc1.risk_difference.se == pytest.approx(rd.se * np.sqrt(n / (n - 3)))


def test_nonrobust_option_restores_the_model_based_delta_method() -> None:
    """cov_type="nonrobust": g' V g with V the inverse information, plus the population part."""
    y, t, x = _misspecified_sample()
    exog, beta, as_treated, as_untreated, over = _standardisation_pieces(y, t, x, "ATT")
    information_inverse = np.asarray(sm.Logit(y, exog).fit(disp=0).cov_params())
    p1 = 1 / (1 + np.exp(-(as_treated[over] @ beta)))
    p0 = 1 / (1 + np.exp(-(as_untreated[over] @ beta)))
    gradient = (p1 * (1 - p1)) @ as_treated[over] / over.sum() - (
        p0 * (1 - p0)
    ) @ as_untreated[over] / over.sum()
    variance = gradient @ information_inverse @ gradient + np.var(p1 - p0) / over.sum()
    covariates = pd.DataFrame({"x": x})
    earlier = logistic_adjusted_effects(y, t, covariates, cov_type="nonrobust").risk_difference
    assert earlier.se == pytest.approx(np.sqrt(variance), rel=1e-5)
    default = logistic_adjusted_effects(y, t, covariates).risk_difference
    assert default.details["se_model_based"] == pytest.approx(np.sqrt(variance), rel=1e-5)
    assert default.details["coefficient_covariance"] == "HC0"


def _stratified_sample() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Binary confounder z; cell counts (children, events) chosen by hand."""
    cells = {  # (z, treated): (children, events)
        (0, 0): (40, 8),
        (0, 1): (10, 4),
        (1, 0): (20, 10),
        (1, 1): (30, 21),
    }
    z, t, y = [], [], []
    for (stratum, arm), (children, events) in cells.items():
        z += [stratum] * children
        t += [arm] * children
        y += [1] * events + [0] * (children - events)
    return np.array(y), np.array(t), np.array(z)


def test_standardised_risk_difference_equals_hand_standardisation() -> None:
    # Truth by construction: with the saturated model (T, z, T:z) the g-computation RD is the
    # stratum-specific difference averaged over the standardisation population.
    y, t, z = _stratified_sample()
    covariates = pd.DataFrame({"z": z})
    p1 = {0: 4 / 10, 1: 21 / 30}
    p0 = {0: 8 / 40, 1: 10 / 20}
    att = logistic_adjusted_effects(y, t, covariates, estimand="ATT", interactions=True)
    # Treated: 10 in z=0, 30 in z=1.
    assert att.risk_difference.estimate == pytest.approx(
        (10 * (p1[0] - p0[0]) + 30 * (p1[1] - p0[1])) / 40, abs=1e-8
    )
    ate = logistic_adjusted_effects(y, t, covariates, estimand="ATE", interactions=True)
    weights = {0: 50 / 100, 1: 50 / 100}
    expected_rd = sum(weights[s] * (p1[s] - p0[s]) for s in (0, 1))
    assert ate.risk_difference.estimate == pytest.approx(expected_rd, abs=1e-8)
    # Delta-method variance by hand: binomial variance of each cell proportion weighted by
    # the stratum share, plus the variance of the stratum differences over the population.
    counts = {(0, 1): 10, (0, 0): 40, (1, 1): 30, (1, 0): 20}
    model_part = sum(
        weights[s] ** 2
        * (p1[s] * (1 - p1[s]) / counts[(s, 1)] + p0[s] * (1 - p0[s]) / counts[(s, 0)])
        for s in (0, 1)
    )
    differences = np.array([p1[0] - p0[0]] * 50 + [p1[1] - p0[1]] * 50)
    population_part = differences.var() / 100
    assert ate.risk_difference.se == pytest.approx(
        np.sqrt(model_part + population_part), rel=1e-6
    )
    assert ate.risk_difference.details["se_model_only"] == pytest.approx(
        np.sqrt(model_part), rel=1e-6
    )
    # Saturated model: the sandwich and the model-based covariance coincide, and so do the
    # robust and the earlier (model-based) standard errors.
    assert ate.risk_difference.details["se_model_based"] == pytest.approx(
        np.sqrt(model_part + population_part), rel=1e-6
    )


def test_categorical_dummies_constant_columns_and_missing_rows_are_reported() -> None:
    rng = np.random.default_rng(3)
    n = 300
    region = rng.choice(["europe", "africa", "asia"], n)
    treatment = rng.binomial(1, 0.5, n)
    outcome = rng.binomial(1, 0.3 + 0.2 * treatment)
    covariates = pd.DataFrame(
        {
            "region": pd.Series(region, dtype="object"),
            "constant": 1.0,
            "age": np.where(np.arange(n) < 7, np.nan, rng.normal(30, 5, n)),
        }
    )
    result = logistic_adjusted_effects(outcome, treatment, covariates)
    assert result.n == n - 7
    assert result.n_dropped_missing == 7
    assert result.odds_ratio.dropped.constant == ("constant",)
    assert {"region_asia", "region_europe"} <= set(result.coefficients.index)


@pytest.mark.parametrize(
    ("outcome", "treatment", "fragment"),
    [
        ([0, 0, 0, 0, 1, 1, 0, 1], [1, 1, 1, 1, 0, 0, 0, 0], "zero cell: no events in the treated"),
        ([0, 1, 0, 1, 0, 1], [1, 0, 0, 0, 0, 0], "only 1 child"),
        ([0, 0, 0, 0], [1, 1, 0, 0], "no events at all"),
    ],
)
def test_small_cells_give_reasons(outcome, treatment, fragment) -> None:
    result = logistic_adjusted_effects(outcome, treatment)
    for estimate in (result.odds_ratio, result.risk_difference, result.risk_ratio):
        assert not estimate.estimable
        assert fragment in estimate.reason


def test_complete_separation_by_a_covariate_is_not_estimable() -> None:
    # The covariate predicts the outcome perfectly; treatment alone does not.
    outcome = [0, 0, 1, 1, 0, 0, 1, 1]
    treatment = [0, 1, 0, 1, 0, 1, 0, 1]
    covariate = pd.DataFrame({"x": outcome})
    result = logistic_adjusted_effects(outcome, treatment, covariate)
    assert not result.odds_ratio.estimable
    assert "separation" in result.odds_ratio.reason


def test_treatment_aliased_with_a_covariate_is_not_estimable() -> None:
    treatment = [0, 1, 0, 1, 0, 1, 0, 1]
    result = logistic_adjusted_effects(
        [0, 1, 1, 0, 1, 0, 1, 1], treatment, pd.DataFrame({"area": ["a", "b"] * 4})
    )
    assert not result.risk_difference.estimable
    assert "determined by the covariates" in result.risk_difference.reason


def test_interaction_test_equals_full_likelihood_ratio_test() -> None:
    """The cell-count LR test of treatment x subgroup equals the test from two full GLM fits."""
    import statsmodels.api as sm
    from scipy import stats as scipy_stats

    from pipeline.stats.regression import interaction_test

    rng = np.random.default_rng(5)
    n = 600
    treated = rng.integers(0, 2, n)
    level = rng.choice(["a", "b", "c"], n)
    risk = 0.4 + 0.15 * treated * (level == "b") + 0.1 * (level == "c")
    outcome = (rng.random(n) < risk).astype(float)
    test = interaction_test(outcome, treated, level)
    assert test.reason is None and (test.df, test.method) == (2, "likelihood_ratio")
    dummies = pd.get_dummies(pd.Series(level), drop_first=True, dtype=float)
    main = np.column_stack([np.ones(n), treated, dummies])
    full = np.column_stack([main, dummies.to_numpy() * treated[:, None]])
    fit_main = sm.GLM(outcome, main, family=sm.families.Binomial()).fit()
    fit_full = sm.GLM(outcome, full, family=sm.families.Binomial()).fit()
    expected = scipy_stats.chi2.sf(2 * (fit_full.llf - fit_main.llf), 2)
    assert test.p_value == pytest.approx(expected, rel=1e-6)
    assert test.statistic == pytest.approx(2 * (fit_full.llf - fit_main.llf), rel=1e-6)


def test_logistic_slope_equals_statsmodels_fit() -> None:
    """Odds ratio per contact equals exp(coef) of the same statsmodels logit (reference fit)."""
    import statsmodels.api as sm

    from pipeline.stats.regression import logistic_slope

    rng = np.random.default_rng(9)
    n = 400
    contacts = rng.integers(0, 7, n).astype(float)
    x = rng.integers(0, 2, n)
    outcome = (rng.random(n) < 1 / (1 + np.exp(-(-1 + 0.2 * contacts + 0.5 * x)))).astype(float)
    result = logistic_slope(outcome, contacts, pd.DataFrame({"x": x}))
    reference = sm.Logit(outcome, np.column_stack([np.ones(n), contacts, x])).fit(disp=0)
    assert result.estimate == pytest.approx(np.exp(reference.params[1]), rel=1e-6)
    low, high = np.exp(reference.conf_int()[1])
    assert (result.ci_low, result.ci_high) == (pytest.approx(low, rel=1e-5), pytest.approx(high, rel=1e-5))


def test_exposure_row_is_named_after_the_variable_passed_in() -> None:
    """The coefficient table names the exposure (and its interactions) as the caller does;
    the numbers are those of the default name."""
    rng = np.random.default_rng(13)
    treated = rng.integers(0, 2, 300)
    parity = rng.integers(0, 3, 300).astype(float)
    outcome = (rng.random(300) < 0.3 + 0.2 * treated).astype(float)
    covariates = pd.DataFrame({"parity": parity})
    default = logistic_adjusted_effects(outcome, treated, covariates, interactions=True)
    named = logistic_adjusted_effects(outcome, treated, covariates, interactions=True,
                                      exposure_name="home_visits")
    assert named.coefficients.index.tolist() == ["const", "home_visits", "parity",
                                                 "home_visits:parity"]
    assert named.coefficients.to_numpy().tolist() == default.coefficients.to_numpy().tolist()
    assert named.risk_difference == default.risk_difference
    with pytest.raises(ValueError, match="also a covariate"):
        logistic_adjusted_effects(outcome, treated, covariates, exposure_name="parity")


def test_children_fitted_as_counted_rows_give_the_childrens_fit() -> None:
    """Four rows with their children's counts fit as the 100 children do: the saturated 2 x 2
    table's log odds ratio log((30/20) / (15/35)) = log 3.5 with Woolf's SE
    sqrt(1/30 + 1/20 + 1/15 + 1/35) = 0.4226 (statsmodels' inverse information is taken at
    IRLS's last weights, so to 6 digits), and the same covariances as the children's fit."""
    outcome = np.array([1, 0, 1, 0])
    exog = pd.DataFrame({"const": 1.0, "treatment": [1, 1, 0, 0]})
    counts = np.array([30, 20, 15, 35])
    counted = fit_logistic(outcome, exog, what="outcome model", counts=counts)
    children = fit_logistic(np.repeat(outcome, counts),
                            exog.loc[np.repeat(range(4), counts)].reset_index(drop=True),
                            what="outcome model")
    assert counted.params["treatment"] == pytest.approx(np.log(3.5), rel=1e-12)
    woolf = np.sqrt(1 / 30 + 1 / 20 + 1 / 15 + 1 / 35)
    assert np.sqrt(counted.covariance.loc["treatment", "treatment"]) == pytest.approx(
        woolf, rel=1e-6)
    # saturated: the sandwich (at the estimate) equals the inverse information, Woolf's
    assert counted.sandwich_covariance().loc["treatment", "treatment"] == pytest.approx(
        woolf**2, rel=1e-12)
    np.testing.assert_allclose(counted.params, children.params, rtol=1e-12)
    np.testing.assert_allclose(counted.covariance, children.covariance, rtol=1e-12)
    np.testing.assert_allclose(counted.information(), children.information(), rtol=1e-12)
    for kind in ("HC0", "HC1"):
        np.testing.assert_allclose(counted.sandwich_covariance(kind),
                                   children.sandwich_covariance(kind), rtol=1e-12)


@pytest.mark.parametrize("kind", ["plain", "case_weights", "counts"])
@pytest.mark.parametrize("blocks", ["one", "eight"])
def test_logistic_fit_is_statsmodels_irls_to_rounding(kind, blocks, monkeypatch) -> None:
    # the fit every logistic model uses (normal equations, no copies of the design) against
    # statsmodels' GLM it replaces: same steps, so the same coefficients, covariance and
    # fitted risks to rounding, with inverse-probability-like case weights or children
    # counted per row (frequency weights); each step's sums taken over the 2,000 rows at
    # once, or in blocks of 256 rows (the smallest block: 8 blocks, the last one short)
    import statsmodels.api as sm

    from pipeline.stats import _irls
    from pipeline.stats._irls import logistic_irls

    if blocks == "eight":
        monkeypatch.setattr(_irls, "BLOCK_BYTES", 1)

    rng = np.random.default_rng(7)
    n = 2000
    area = rng.integers(0, 5, n)
    exog = np.column_stack([np.ones(n), (area[:, None] == np.arange(1, 5)).astype(float),
                            rng.integers(0, 2, n), rng.normal(29, 5, n)])
    risk = 1 / (1 + np.exp(-(exog @ np.array([-1.0, 0.2, -0.3, 0.1, 0.4, 0.5, 0.03]))))
    outcome = (rng.random(n) < risk).astype(float)
    weights = rng.uniform(0.5, 3.0, n) if kind == "case_weights" else None
    counts = rng.integers(1, 5, n).astype(float) if kind == "counts" else None
    expected = sm.GLM(outcome, exog, family=sm.families.Binomial(), var_weights=weights,
                      freq_weights=counts).fit(maxiter=100)
    found = logistic_irls(outcome, exog, weights, counts)
    assert found.converged and expected.converged and not found.perfect_prediction
    np.testing.assert_allclose(found.params, expected.params, rtol=1e-11, atol=1e-13)
    np.testing.assert_allclose(found.covariance, expected.cov_params(), rtol=1e-10, atol=1e-15)
    np.testing.assert_allclose(found.fitted, expected.fittedvalues, rtol=1e-11)


@pytest.mark.parametrize("weighted", [False, True])
def test_a_fit_by_pattern_is_the_fit_of_every_child(weighted) -> None:
    # 3,000 children with an area (5 levels), a 0/1 covariate and an age in whole years: the
    # fit of their distinct rows with counts gives, per child, what the fit of every child
    # gives (coefficients, covariance, fitted risks, sandwich); weights that differ within a
    # row of regressors and outcome split it (here a weight per child where `weighted`)
    rng = np.random.default_rng(11)
    n = 3000
    area = rng.integers(0, 5, n)
    exog = pd.DataFrame(np.column_stack([np.ones(n), (area[:, None] == np.arange(1, 5)).astype(float),
                                         rng.integers(0, 2, n), rng.integers(20, 40, n)]),
                        columns=["const", "a1", "a2", "a3", "a4", "x", "age"])
    outcome = (rng.random(n) < 1 / (1 + np.exp(-(exog.to_numpy() @ [-1, 0.2, -0.3, 0.1, 0.4, 0.5, 0.02])))
               ).astype(float)
    weights = rng.choice([0.5, 1.0, 2.0], n) if weighted else None
    every = fit_logistic(outcome, exog, what="model", weights=weights)
    by_pattern = fit_logistic(outcome, exog, what="model", weights=weights, by_pattern=True)
    patterns = len(exog.assign(y=outcome, w=1.0 if weights is None else weights).drop_duplicates())
    assert patterns < (1500 if weighted else 900)  # children share rows
    np.testing.assert_allclose(by_pattern.params, every.params, rtol=1e-10, atol=1e-13)
    np.testing.assert_allclose(by_pattern.covariance, every.covariance, rtol=1e-10, atol=1e-15)
    np.testing.assert_allclose(by_pattern.fitted, every.fitted, rtol=1e-10)
    np.testing.assert_allclose(by_pattern.sandwich_covariance("HC1"), every.sandwich_covariance("HC1"),
                               rtol=1e-9, atol=1e-15)
    assert by_pattern.exog is exog and by_pattern.counts is None and len(by_pattern.outcome) == n


def test_logistic_fit_flags_an_outcome_predicted_perfectly() -> None:
    # outcome 1 exactly when x > 0: statsmodels warns of perfect separation, and so does the fit
    from pipeline.stats._irls import logistic_irls

    x = np.linspace(-2, 2, 40)
    found = logistic_irls((x > 0).astype(float), np.column_stack([np.ones(40), x]), None, None)
    assert found.perfect_prediction
    with pytest.raises(NotEstimable, match="separation"):
        fit_logistic((x > 0).astype(float), pd.DataFrame({"const": 1.0, "x": x}), what="model")


def test_cross_product_in_blocks_is_the_whole_product() -> None:
    # 1,000,003 rows: blocks of 2^18 / (7 x 3) rows do not divide them; the sum of the
    # blocks' products is M'N, and M'M without `other` (exact on small integers)
    from pipeline.stats._irls import cross_product

    rng = np.random.default_rng(9)
    m = rng.integers(-3, 4, (1_000_003, 7)).astype(float)
    other = rng.integers(-3, 4, (1_000_003, 3)).astype(float)
    assert np.array_equal(cross_product(m, other), m.T @ other)
    assert np.array_equal(cross_product(m), m.T @ m)
