"""Missingness tables, multiple imputation by chained equations, Rubin's rules."""

import math
import warnings

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from scipy import stats

from pipeline.stats.imputation import (
    impute_covariates,
    missingness_table,
    pool_estimates,
    pool_rubin,
)
from pipeline.stats.results import Estimate, NotEstimable

Z95 = 1.959963984540054  # normal 97.5% quantile

# --------------------------------------------------------------------------- missingness


def test_missingness_table_counts_by_arm_and_period():
    frame = pd.DataFrame(
        {
            "arm": ["I", "I", "I", "C", "C", "C", "C"],
            "period": ["pre", "pre", "post", "pre", "post", "post", "post"],
            "parity": [1, np.nan, 3, np.nan, np.nan, 6, 7],
            "region": ["a", "b", None, "d", "e", "f", None],
        }
    )
    table = missingness_table(frame, ["parity", "region"], ["arm", "period"])
    # counted by hand: C/post rows 5-7 (parity missing in row 5, region in row 7), C/pre
    # row 4 (parity), I/post row 3 (region), I/pre rows 1-2 (parity in row 2)
    expected = pd.DataFrame(
        {
            "arm": ["C", "C", "C", "C", "I", "I", "I", "I"],
            "period": ["post", "post", "pre", "pre", "post", "post", "pre", "pre"],
            "variable": ["parity", "region"] * 4,
            "n": [3, 3, 1, 1, 1, 1, 2, 2],
            "missing": [1, 1, 1, 0, 0, 1, 1, 0],
        }
    )
    expected["share_missing"] = expected["missing"] / expected["n"]
    pd.testing.assert_frame_equal(table, expected, check_dtype=False)


def test_missingness_table_without_groups_and_with_a_missing_group_value():
    frame = pd.DataFrame({"arm": ["I", None, "C", "C"], "parity": [np.nan, np.nan, 2.0, np.nan]})
    overall = missingness_table(frame, ["parity"], [])
    assert overall.to_dict("records") == [
        {"variable": "parity", "n": 4, "missing": 3, "share_missing": 0.75}
    ]
    by_arm = missingness_table(frame, ["parity"], ["arm"])
    assert len(by_arm) == 3  # C, I and the child whose arm is unknown
    unknown = by_arm[by_arm["arm"].isna()].iloc[0]
    assert (unknown["n"], unknown["missing"]) == (1, 1)
    assert by_arm["n"].sum() == 4


def test_missingness_table_rejects_unknown_columns():
    with pytest.raises(ValueError, match="no column"):
        missingness_table(pd.DataFrame({"a": [1]}), ["b"], [])


# --------------------------------------------------------------------------- Rubin's rules


def test_rubin_hand_computation():
    # m = 4: Qbar = 46/4 = 11.5; Ubar = 16/4 = 4; B = (2.25 + .25 + .25 + 2.25)/3 = 5/3;
    # T = 4 + (5/4)(5/3) = 73/12; r = (25/12)/4 = 25/48; lambda = (25/12)/(73/12) = 25/73;
    # Rubin df = 3 / lambda^2 = 15987/625; gamma = (r + 2/(df + 3)) / (r + 1) = 84425/217321
    pooled = pool_rubin([10, 12, 11, 13], [4, 4, 5, 3])
    assert isinstance(pooled, Estimate)
    assert (pooled.measure, pooled.method, pooled.confidence) == ("estimate", "rubins_rules", 0.95)
    details = pooled.details
    assert details["imputations"] == 4
    assert pooled.estimate == pytest.approx(11.5)
    assert details["variance_within"] == pytest.approx(4.0)
    assert details["variance_between"] == pytest.approx(5 / 3)
    assert details["variance_total"] == pytest.approx(73 / 12)
    assert pooled.se == pytest.approx(math.sqrt(73 / 12))
    assert not pooled.log_scale
    assert details["relative_increase_variance"] == pytest.approx(25 / 48)
    assert details["proportion_variance_missing"] == pytest.approx(25 / 73)
    assert pooled.df == pytest.approx(15987 / 625)
    assert details["df_method"] == "Rubin (1987)" and details["df_complete"] is None
    assert details["fraction_missing_information"] == pytest.approx(84425 / 217321)
    assert details["statistic"] == pytest.approx(11.5 / math.sqrt(73 / 12))
    half_width = stats.t.ppf(0.975, 15987 / 625) * math.sqrt(73 / 12)
    assert pooled.ci_low == pytest.approx(11.5 - half_width)
    assert pooled.ci_high == pytest.approx(11.5 + half_width)
    assert pooled.p_value == pytest.approx(2 * stats.t.sf(11.5 / math.sqrt(73 / 12), 15987 / 625))


def test_barnard_rubin_hand_computation():
    # same data, complete-data df 10: nu_obs = (11/13) 10 (1 - 25/73) = 5280/949;
    # nu = 1 / (1/nu_old + 1/nu_obs) with nu_old = 15987/625 (Barnard & Rubin 1999, eq. 3)
    pooled = pool_rubin([10, 12, 11, 13], [4, 4, 5, 3], df_complete=10)
    assert pooled.df == pytest.approx(1 / (625 / 15987 + 949 / 5280))
    assert pooled.df == pytest.approx(4.569775877786423)
    assert pooled.df < 10  # never more than the complete data would have
    assert pooled.details["variance_total"] == pytest.approx(73 / 12)  # the df change nothing else
    assert pooled.details["df_method"] == "Barnard-Rubin (1999)"
    assert pooled.details["df_complete"] == 10.0


def test_rubin_sas_mianalyze_example_inputs():
    # SAS/STAT MIANALYZE Example "Reading Means and Standard Errors from a DATA= Data Set"
    # (Fitness data, 5 imputations, EDF=30): means and standard errors of Oxygen.
    # Ubar = mean(se^2) = 0.930854, B = 0.0414705, T = Ubar + 1.2 B = 0.980619 (by hand);
    # Barnard-Rubin df with nu_com = 30: 26.30.
    oxygen = [47.0120, 47.2407, 47.4995, 47.1485, 47.0042]
    se = [0.95984, 0.93540, 1.00766, 0.95439, 0.96528]
    pooled = pool_rubin(oxygen, np.square(se), df_complete=30, measure="mean")
    assert pooled.estimate == pytest.approx(47.18098)
    assert pooled.details["variance_within"] == pytest.approx(0.930854, abs=1e-6)
    assert pooled.details["variance_between"] == pytest.approx(0.0414705, abs=1e-7)
    assert pooled.details["variance_total"] == pytest.approx(0.980619, abs=1e-6)
    assert pooled.df == pytest.approx(26.30, abs=0.01)
    assert pooled.details["fraction_missing_information"] == pytest.approx(0.1155, abs=1e-4)


def test_rubin_published_amos_worked_example():
    # IBM SPSS Amos 21 User's Guide, Example 31 (p. 472): m = 10, Ubar = 0.0233, B = 0.0085,
    # Qbar = 1.172 give T = 0.0326, SE = 0.1807, t = 6.49 and df = 109 (Rubin 1987).
    # Ten estimates with exactly that mean and between-imputation variance:
    spread = np.array([1.0, -1.0] * 5) * math.sqrt(0.0085 * 9 / 10)
    pooled = pool_rubin(1.172 + spread, [0.0233] * 10)
    assert pooled.details["variance_between"] == pytest.approx(0.0085)
    assert pooled.details["variance_total"] == pytest.approx(0.0326, abs=1e-4)
    assert pooled.se == pytest.approx(0.1807, abs=1e-4)
    assert pooled.details["statistic"] == pytest.approx(6.49, abs=0.005)
    assert 109 <= pooled.df < 110


def test_no_between_imputation_variance():
    # B = 0: Rubin's df are infinite (normal reference, so no t df: None); Barnard-Rubin's
    # equal their limit n (n + 1) / (n + 3) (mice test BARNARD-RUBIN-004)
    rubin = pool_rubin([2.0, 2.0, 2.0], [0.25, 0.25, 0.25])
    assert rubin.df is None
    assert rubin.details["fraction_missing_information"] == 0.0
    assert rubin.ci_low == pytest.approx(2.0 - Z95 * 0.5)
    assert rubin.ci_high == pytest.approx(2.0 + Z95 * 0.5)
    assert rubin.p_value == pytest.approx(2 * stats.norm.sf(2.0 / 0.5))
    small = pool_rubin([2.0, 2.0, 2.0], [0.25, 0.25, 0.25], df_complete=100)
    assert small.df == pytest.approx(100 * 101 / 103)


def test_barnard_rubin_tends_to_rubin_for_large_samples():
    rubin = pool_rubin([10, 12, 11, 13], [4, 4, 5, 3])
    huge = pool_rubin([10, 12, 11, 13], [4, 4, 5, 3], df_complete=1e12)
    assert huge.df == pytest.approx(rubin.df, rel=1e-6)


def test_rubin_rejects_bad_input():
    with pytest.raises(ValueError, match="at least 2"):
        pool_rubin([1.0], [0.1])
    with pytest.raises(ValueError, match="one of each"):
        pool_rubin([1.0, 2.0], [0.1])
    with pytest.raises(ValueError, match="negative"):
        pool_rubin([1.0, 2.0], [0.1, -0.1])
    with pytest.raises(ValueError, match="finite"):
        pool_rubin([1.0, np.nan], [0.1, 0.1])
    with pytest.raises(NotEstimable, match="within-imputation variance is 0"):
        pool_rubin([1.0, 2.0], [0.0, 0.0])
    with pytest.raises(ValueError, match="must be positive"):
        pool_rubin([1.0, 2.0], [0.1, 0.1], df_complete=0)


def _wald(measure: str, centre: float, se: float, log: bool = False, **kwargs) -> Estimate:
    low, high = centre - Z95 * se, centre + Z95 * se
    if log:
        centre, low, high = math.exp(centre), math.exp(low), math.exp(high)
    return Estimate(measure, "regression", centre, low, high, 0.5, n=200, **kwargs)


def test_pool_estimates_recovers_se_from_symmetric_intervals():
    results = [_wald("risk_difference", q, math.sqrt(u)) for q, u in [(10, 4), (12, 4), (11, 5), (13, 3)]]
    pooled = pool_estimates(results)
    # the hand computation above: Qbar 11.5, T 73/12, df 15987/625
    half_width = stats.t.ppf(0.975, 15987 / 625) * math.sqrt(73 / 12)
    assert pooled.measure == "risk_difference"
    assert pooled.estimate == pytest.approx(11.5)
    assert pooled.ci_low == pytest.approx(11.5 - half_width)
    assert pooled.ci_high == pytest.approx(11.5 + half_width)
    assert pooled.n == 200
    assert pooled.se == pytest.approx(math.sqrt(73 / 12))
    assert pooled.df == pytest.approx(15987 / 625)
    assert pooled.details["variance_total"] == pytest.approx(73 / 12)
    assert pooled.details["imputations"] == 4
    assert pooled.details["se_recovered_from"] == "interval half-width / z"


def test_pool_estimates_pools_ratios_on_the_log_scale():
    # log odds ratios 0.1 .. 0.4 with SE 0.2: the example above divided by 100 in variance,
    # so lambda and df are unchanged: T = 73/1200, df = 15987/625
    results = [_wald("odds_ratio", q, 0.2, log=True) for q in (0.1, 0.3, 0.2, 0.4)]
    pooled = pool_estimates(results, scale="log")
    half_width = stats.t.ppf(0.975, 15987 / 625) * math.sqrt(73 / 1200)
    assert pooled.estimate == pytest.approx(math.exp(0.25))
    assert pooled.ci_low == pytest.approx(math.exp(0.25 - half_width))
    assert pooled.ci_high == pytest.approx(math.exp(0.25 + half_width))
    assert pooled.log_scale
    assert pooled.se == pytest.approx(math.sqrt(73 / 1200))  # on the log scale
    assert pooled.p_value == pytest.approx(2 * stats.t.sf(0.25 / math.sqrt(73 / 1200), 15987 / 625))
    assert (pooled.measure, pooled.method, pooled.n) == ("odds_ratio", "regression", 200)
    with pytest.raises(ValueError, match="log scale"):
        pool_estimates(results)


def test_pool_estimates_rejects_asymmetric_intervals():
    clipped = Estimate("proportion", "wilson", 0.02, 0.005, 0.08, n=50)
    with pytest.raises(ValueError, match="not symmetric"):
        pool_estimates([clipped, clipped])


def test_pool_estimates_rejects_a_mix_of_measures():
    with pytest.raises(ValueError, match="different measures"):
        pool_estimates([_wald("risk_difference", 0.1, 0.05), _wald("odds_ratio", 0.1, 0.05)])


def test_pool_estimates_not_estimable_when_one_imputation_is_not():
    fine = _wald("risk_difference", 0.1, 0.05)
    failed = Estimate.not_estimable("risk_difference", "regression", "complete separation", n=200)
    pooled = pool_estimates([fine, failed, fine])
    assert not pooled.estimable
    assert "imputation 2 of 3" in pooled.reason and "separation" in pooled.reason


# --------------------------------------------------------------------------- imputation

REGIONS = ["Sweden", "Europe", "Outside Europe"]


def _study_with_outcome_dependent_missingness(seed: int, n: int):
    """A linear probability model with known coefficients; covariates missing at random
    given the outcome (children with the outcome far more often lack birth weight)."""
    rng = np.random.default_rng(seed)
    arm = rng.integers(0, 2, n)
    region = rng.choice(3, n, p=[0.6, 0.25, 0.15])
    x = rng.uniform(0, 1, n)
    risk = 0.1 + 0.5 * x + 0.1 * arm + 0.15 * (region == 1) - 0.05 * (region == 2)
    outcome = (rng.random(n) < risk).astype(int)
    full = pd.DataFrame(
        {
            "birth_weight": np.round(2500 + 2000 * x),  # grams; +1 kg raises the risk by 0.25
            "region": pd.Categorical.from_codes(region, REGIONS),
        }
    )
    covariates = full.copy()
    covariates.loc[rng.random(n) < np.where(outcome == 1, 0.6, 0.05), "birth_weight"] = np.nan
    covariates.loc[rng.random(n) < np.where(outcome == 1, 0.4, 0.05), "region"] = np.nan
    return full, covariates, pd.DataFrame({"outcome": outcome, "arm": arm})


def _lpm_design(covariates: pd.DataFrame, arm: pd.Series) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "const": 1.0,
            "birth_weight_kg": covariates["birth_weight"] / 1000,
            "arm": arm,
            "europe": (covariates["region"] == "Europe").astype(float),
        }
    ).assign(outside=(covariates["region"] == "Outside Europe").astype(float))


def test_multiple_imputation_removes_complete_case_bias():
    truth = {"birth_weight_kg": 0.25, "europe": 0.15}
    full, covariates, auxiliary = _study_with_outcome_dependent_missingness(seed=7, n=3000)
    outcome, arm = auxiliary["outcome"], auxiliary["arm"]

    complete = covariates.notna().all(axis=1).to_numpy()
    cc = sm.OLS(outcome[complete], _lpm_design(covariates, arm)[complete]).fit(cov_type="HC1")
    cc_low, cc_high = cc.conf_int().loc["birth_weight_kg"]
    assert not cc_low <= truth["birth_weight_kg"] <= cc_high  # complete cases are biased

    imputed = impute_covariates(covariates, auxiliary, m=20, iterations=10, seed=11)
    fits = [sm.OLS(outcome, _lpm_design(c, arm)).fit(cov_type="HC1") for c in imputed]
    for name, true_value in truth.items():
        pooled = pool_rubin(
            [f.params[name] for f in fits], [f.bse[name] ** 2 for f in fits],
            df_complete=len(outcome) - 5, measure="coefficient", method="multiple_imputation",
        )
        assert pooled.ci_low <= true_value <= pooled.ci_high, name
        assert abs(pooled.estimate - true_value) < 2.5 * pooled.se, name
        assert 0 < pooled.details["fraction_missing_information"] < 1
    cc_bias = abs(cc.params["birth_weight_kg"] - truth["birth_weight_kg"])
    mi_estimate = np.mean([f.params["birth_weight_kg"] for f in fits])
    assert abs(mi_estimate - truth["birth_weight_kg"]) < cc_bias / 2

    # the share of children born in Europe: biased among observed values, restored by MI
    full_share = (full["region"] == "Europe").mean()
    imputed_share = np.mean([(c["region"] == "Europe").mean() for c in imputed])
    assert abs(imputed_share - full_share) < 0.015


def _mixed_covariates(seed: int = 3, n: int = 400) -> tuple[pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    covariates = pd.DataFrame(
        {
            "region": pd.Categorical(
                rng.choice(["Sweden", "Nordic", "Outside Europe"], n),
                categories=["Sweden", "Nordic", "Europe", "Outside Europe"],  # Europe unobserved
            ),
            "education": pd.Categorical(
                rng.choice(["compulsory", "upper", "higher"], n),
                categories=["compulsory", "upper", "higher"], ordered=True,
            ),
            "parity": pd.array(rng.integers(0, 4, n), dtype="Int64"),
            "birth_weight": rng.normal(3500, 450, n).round(),
            "smoker": pd.array(rng.random(n) < 0.2, dtype="boolean"),
            "language": pd.array(rng.choice(["sv", "ar", "so"], n), dtype="string"),
            "gestation_weeks": rng.normal(39, 1.5, n).astype("float32"),
            "complete": rng.normal(size=n),
        },
        index=pd.RangeIndex(1000, 1000 + n, name="child"),
    )
    for column in covariates.columns.drop("complete"):
        covariates.loc[rng.random(n) < 0.15, column] = None
    auxiliary = pd.DataFrame({"outcome": rng.random(n) < 0.3, "area": rng.choice(list("ABCD"), n)})
    return covariates, auxiliary


def test_completed_data_keep_dtypes_categories_and_observed_values():
    covariates, auxiliary = _mixed_covariates()
    imputed = impute_covariates(covariates, auxiliary, m=3, iterations=3, seed=1)
    assert len(imputed) == 3
    assert imputed.notes()["imputations"] == 3
    assert imputed.methods == {
        "region": "multinomial logistic", "education": "multinomial logistic",
        "parity": "pmm", "birth_weight": "pmm", "smoker": "logistic",
        "language": "multinomial logistic", "gestation_weeks": "pmm",
    }
    assert imputed.n_imputed == covariates.isna().sum()[imputed.n_imputed.keys()].to_dict()
    observed = covariates.notna()
    for completed in imputed:
        pd.testing.assert_index_equal(completed.index, covariates.index)
        pd.testing.assert_series_equal(completed.dtypes, covariates.dtypes)
        assert not completed.isna().any().any()
        assert completed["region"].cat.categories.tolist() == covariates["region"].cat.categories.tolist()
        assert completed["education"].cat.ordered
        for column in covariates.columns:
            kept = completed[column][observed[column]]
            pd.testing.assert_series_equal(kept, covariates[column][observed[column]])
            # every imputed value is one that was observed (pmm donors; observed levels)
            assert set(completed[column]) <= set(covariates[column].dropna())
        assert "Europe" not in set(completed["region"])


def test_pmm_draws_from_every_child_sharing_a_prediction():
    # with only categorical predictors hundreds of observed children share each prediction;
    # each missing value must be able to take any of them as donor (hot deck within cells),
    # not only the few that sort next to the prediction
    rng = np.random.default_rng(12)
    n = 2000
    outcome = rng.integers(0, 2, n)
    birth_weight = rng.normal(3500, 450, n).round(1)
    birth_weight[rng.random(n) < 0.3] = np.nan
    covariates = pd.DataFrame({"birth_weight": birth_weight})
    imputed = impute_covariates(covariates, pd.DataFrame({"outcome": outcome}), m=1, seed=3)[0]
    missing = np.isnan(birth_weight)
    for group in (0, 1):
        values = imputed["birth_weight"][missing & (outcome == group)]
        assert values.nunique() > len(values) / 2


def test_same_seed_same_imputations_and_imputation_j_does_not_depend_on_m():
    covariates, auxiliary = _mixed_covariates()
    first = impute_covariates(covariates, auxiliary, m=2, iterations=2, seed=5)
    again = impute_covariates(covariates, auxiliary, m=3, iterations=2, seed=5)
    other = impute_covariates(covariates, auxiliary, m=2, iterations=2, seed=6)
    for a, b in zip(first, again[:2], strict=True):
        pd.testing.assert_frame_equal(a, b)
    assert not first[0].equals(other[0])
    assert not first[0].equals(first[1])


def test_nothing_missing_gives_m_copies():
    covariates = pd.DataFrame({"parity": [0, 1, 2, 1], "region": pd.Categorical(list("abab"))})
    auxiliary = pd.DataFrame({"outcome": [0, 1, 1, 0]})
    imputed = impute_covariates(covariates, auxiliary, m=4)
    assert len(imputed) == 4 and imputed.methods == {}
    for completed in imputed:
        pd.testing.assert_frame_equal(completed, covariates)
    imputed[0].loc[0, "parity"] = 9
    assert covariates.loc[0, "parity"] == 0  # copies, not views


def test_rare_category_with_separation_does_not_crash():
    # 4 children in 2 000 have level "none", all in area D with the outcome: the logistic
    # MLE is infinite; the slope prior keeps it finite and the draw proceeds
    rng = np.random.default_rng(8)
    n = 2000
    area = rng.choice(list("ABC"), n)
    area[:4] = "D"
    outcome = rng.random(n) < 0.3
    outcome[:4] = True
    education = rng.choice(["compulsory", "upper", "higher"], n).astype(object)
    education[:4] = "none"
    covariates = pd.DataFrame({"education": pd.Series(education, dtype="category"),
                               "parity": rng.integers(0, 4, n).astype(float)})
    covariates.loc[rng.random(n) < 0.15, "education"] = np.nan
    covariates.loc[[0, 1], "education"] = "none"
    covariates.loc[[2, 3], "education"] = np.nan  # two missing in the separated cell
    covariates.loc[rng.random(n) < 0.1, "parity"] = np.nan
    auxiliary = pd.DataFrame({"outcome": outcome, "area": area})
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        imputed = impute_covariates(covariates, auxiliary, m=5, iterations=5, seed=2)
    assert imputed.fallbacks == {"education": 0, "parity": 0}
    for completed in imputed:
        assert not completed.isna().any().any()
        assert set(completed["education"]) <= {"compulsory", "upper", "higher", "none"}


def test_a_level_seen_once_and_a_single_observed_level():
    covariates = pd.DataFrame(
        {
            "region": ["Sweden"] * 30 + [None] * 5,
            "smoker": [True] + [False] * 29 + [None] * 5,
        }
    )
    auxiliary = pd.DataFrame({"outcome": [0, 1] * 17 + [1]})
    imputed = impute_covariates(covariates, auxiliary, m=2, iterations=2, seed=4)
    assert imputed.methods == {"region": "single level", "smoker": "logistic"}
    assert all((c["region"] == "Sweden").all() for c in imputed)


def test_column_entirely_missing_is_an_error():
    covariates = pd.DataFrame({"parity": [1.0, np.nan], "region": [None, None]})
    with pytest.raises(ValueError, match=r"\['region'\] are missing for every child"):
        impute_covariates(covariates, pd.DataFrame({"outcome": [0, 1]}))


def test_auxiliary_must_be_complete_and_aligned():
    covariates = pd.DataFrame({"parity": [1.0, np.nan, 2.0]})
    with pytest.raises(ValueError, match="fully observed.*outcome"):
        impute_covariates(covariates, pd.DataFrame({"outcome": [0, np.nan, 1]}))
    with pytest.raises(ValueError, match="same children"):
        impute_covariates(covariates, pd.DataFrame({"outcome": [0, 1]}))


def test_multinomial_imputation_model_fitted_on_distinct_rows_is_the_child_level_model():
    # The categorical imputation model is fitted on the distinct predictor rows with counts
    # (sufficient statistics). At its mode the child-level penalised score (statsmodels'
    # MNLogit score, one term per child, minus the prior's) is zero, and its precision is
    # MNLogit's child-level information plus the prior's.
    from pipeline.stats._design import row_patterns
    from pipeline.stats.imputation import _SLOPE_PRIOR_SD, _fit_multinomial

    rng = np.random.default_rng(5)
    n = 3000
    region, education = rng.integers(0, 4, n), rng.integers(0, 3, n)
    x = np.column_stack([np.ones(n), region == 1, region == 2, region == 3, education - 1.0])
    eta = np.column_stack([0.3 * x[:, 1] - 0.5 * x[:, 4], -0.4 + 0.8 * x[:, 2] + 0.2 * x[:, 4]])
    cumulative = np.cumsum(np.exp(np.column_stack([np.zeros(n), eta])), axis=1)
    codes = (cumulative / cumulative[:, -1:] < rng.random(n)[:, None]).sum(axis=1)
    inverse, first = row_patterns(x)
    assert len(first) == 12 and (x[first][inverse] == x).all()

    mode, _ = _fit_multinomial(codes, 3, x, None)
    again, chol = _fit_multinomial(codes, 3, x, mode)  # started at the mode: its precision there
    assert (again == mode).all()
    model = sm.MNLogit(codes, x)
    penalty = np.r_[0.0, np.full(4, 1 / _SLOPE_PRIOR_SD**2)]
    score = model.score(mode.ravel(order="F")) - np.tile(penalty, 2) * mode.ravel(order="F")
    precision = -model.hessian(mode.ravel(order="F")) + np.diag(np.tile(penalty, 2))
    assert np.abs(score).max() < 1e-3  # the Newton decrement is below 1e-6 at the mode
    np.testing.assert_allclose(chol @ chol.T, precision, rtol=1e-10, atol=1e-8)
    # and the mode is MNLogit's maximum likelihood, pulled by the prior by O(1/n)
    np.testing.assert_allclose(mode.ravel(order="F"), model.fit(disp=0).params.ravel(order="F"),
                               atol=0.02)


@pytest.mark.parametrize("column", ["education", "mother_age"])
def test_a_column_with_fixed_predictors_is_fitted_once_per_start_with_the_same_imputations(
        monkeypatch, column):
    # With one incomplete column its model is the same in every round and every imputation:
    # impute_covariates keeps its fits (pure functions of data and warm start) instead of
    # fitting them again. The imputations are those of a run that fits every time.
    from pipeline.stats import imputation

    rng = np.random.default_rng(21)
    n = 4000
    covariates = pd.DataFrame({
        "education": pd.Categorical(rng.choice(["low", "middle", "high"], n)),
        "mother_age": rng.integers(18, 45, n).astype(float),
        "child_sex": pd.Categorical(rng.choice(["girl", "boy"], n)),
    })
    covariates.loc[rng.random(n) < 0.15, column] = np.nan
    auxiliary = pd.DataFrame({"outcome": rng.integers(0, 2, n).astype(float)})

    calls, used = [], []  # the fits made; the fit each draw used
    for name in ("_fit_multinomial", "_fit_linear"):
        fit = getattr(imputation, name)
        monkeypatch.setattr(imputation, name,
                            lambda *args, _fit=fit: calls.append(1) or _fit(*args))
    for name in ("_draw_categorical", "_pmm_donors"):
        draw = getattr(imputation, name)
        monkeypatch.setattr(imputation, name, lambda *args, _draw=draw, _name=name: used.append(
            np.concatenate([np.ravel(a) for a in (args[1] if _name == "_draw_categorical" else (
                args[0].chol, args[0].beta_hat, args[0].predicted))])) or _draw(*args))
    kept = impute_covariates(covariates, auxiliary, m=4, iterations=10, seed=3)
    assert 1 <= len(calls) <= 5  # not 40: once per distinct warm start (once for pmm)
    used_kept, used = used, []

    class Forgetful(dict):
        def __setitem__(self, key, value):
            pass

    run_chain = imputation._run_chain
    monkeypatch.setattr(imputation, "_run_chain", lambda incomplete, parts, iterations, rng, fits:
                        run_chain(incomplete, parts, iterations, rng, {k: Forgetful() for k in fits}))
    calls.clear()
    every_time = impute_covariates(covariates, auxiliary, m=4, iterations=10, seed=3)
    assert len(calls) == 40
    assert len(used) == len(used_kept) == 40
    assert all(np.array_equal(a, b) for a, b in zip(used_kept, used, strict=True))  # bit for bit
    for a, b in zip(kept, every_time, strict=True):
        pd.testing.assert_frame_equal(a, b)
    assert not kept[0].equals(kept[1])
