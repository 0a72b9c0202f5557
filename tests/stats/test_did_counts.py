"""DiD for continuous and count outcomes: linear DiD of means and rates, Poisson ratio of rate
ratios, the wild cluster score bootstrap; hand values and boottest's published example."""

from itertools import product

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from scipy import stats

from pipeline.stats.did import WildClusterBootstrap, difference_in_differences
from pipeline.stats.did_counts import (
    WildClusterScoreBootstrap,
    _Cells,
    _Dense,
    _poisson_newton,
    poisson_did,
    rate_difference_did,
)
from tests.stats.test_boottest_example import CLUSTERS, DESIGN, HAS_INSURANCE, PATTERNS, TIES


def _count_panel(n_areas_per_arm: int, seed: int = 3, children: int = 30,
                 ratio: float = 1.0) -> pd.DataFrame:
    """Areas x periods, children with 0.5-2 years of follow-up, Poisson contacts with area
    effects; the intervention multiplies the rate by `ratio` after the start."""
    rng = np.random.default_rng(seed)
    rows = []
    for area in range(2 * n_areas_per_arm):
        treated = int(area < n_areas_per_arm)
        level = 0.8 * np.exp(rng.normal(0, 0.2))
        for post in (0, 1):
            years = rng.uniform(0.5, 2.0, children)
            rate = level * 1.1**post * 1.2**treated * (ratio if treated and post else 1.0)
            rows.append(pd.DataFrame({"area": f"a{area}", "treated": treated, "post": post,
                                      "years": years, "contacts": rng.poisson(rate * years)}))
    return pd.concat(rows, ignore_index=True)


# ----------------------------------------------------------------- linear DiD, continuous


def test_continuous_did_is_the_hand_computed_difference_of_cell_means() -> None:
    # decayed, extracted and filled teeth per child in each treated_area x post cell, the
    # children of each arm spread over three areas
    rng = np.random.default_rng(1)
    sizes = {(1, 1): 23, (1, 0): 31, (0, 1): 27, (0, 0): 19}
    frame = pd.concat([pd.DataFrame({"d": d, "p": p, "deft": rng.poisson(1.5 + d - p, size) + 0.0})
                       for (d, p), size in sizes.items()], ignore_index=True)
    frame["area"] = [f"{d}-{i % 3}" for i, d in enumerate(frame["d"])]
    result = difference_in_differences(frame["deft"], frame["d"], frame["p"], frame["area"],
                                       outcome_kind="continuous")
    means = frame.groupby(["d", "p"])["deft"].mean()
    expected = (means[1, 1] - means[1, 0]) - (means[0, 1] - means[0, 0])
    assert result.heteroskedasticity_robust.estimate == pytest.approx(expected, abs=1e-12)
    assert result.preferred.estimate == pytest.approx(expected, abs=1e-12)
    assert result.cells.loc[(1, 0), "mean"] == pytest.approx(means[1, 0])
    assert result.preferred.events is None and result.outcome_kind == "continuous"
    assert "DiD of means" in result.summary()
    with pytest.raises(ValueError, match="0/1"):  # binary callers keep their check
        difference_in_differences(frame["deft"], frame["d"], frame["p"], frame["area"])
    with pytest.raises(ValueError, match="outcome_kind"):
        difference_in_differences(frame["deft"], frame["d"], frame["p"], frame["area"],
                                  outcome_kind="count")


def test_a_zero_one_outcome_gives_the_same_inference_as_binary_or_continuous() -> None:
    frame = _count_panel(3, children=20)
    frame["any_contact"] = (frame["contacts"] > 0).astype(int)
    args = (frame["any_contact"], frame["treated"], frame["post"], frame["area"])
    binary = difference_in_differences(*args, bootstrap_reps=999)
    continuous = difference_in_differences(*args, bootstrap_reps=999, outcome_kind="continuous")
    for one, other in ((binary.preferred, continuous.preferred),
                       (binary.clustered, continuous.clustered)):
        assert (one.estimate, one.ci_low, one.ci_high, one.p_value) == (
            other.estimate, other.ci_low, other.ci_high, other.p_value)


def test_person_time_weighted_did_is_the_difference_of_cell_rates() -> None:
    frame = _count_panel(4)
    result = rate_difference_did(frame["contacts"], frame["years"], frame["treated"],
                                 frame["post"], frame["area"], wild_bootstrap=False)
    totals = frame.groupby(["treated", "post"])[["contacts", "years"]].sum()
    rate = totals["contacts"] / totals["years"]
    expected = (rate[1, 1] - rate[1, 0]) - (rate[0, 1] - rate[0, 0])
    assert result.clustered.estimate == pytest.approx(expected, abs=1e-12)
    assert result.cells.loc[(0, 1), "mean"] == pytest.approx(rate[0, 1])
    assert result.cells.loc[(0, 1), "weight"] == pytest.approx(totals.loc[(0, 1), "years"])
    # the cluster-robust and HC1 SEs are statsmodels' WLS ones
    d, p = frame["treated"].to_numpy(float), frame["post"].to_numpy(float)
    x = np.column_stack([np.ones(len(d)), d, p, d * p])
    wls = sm.WLS((frame["contacts"] / frame["years"]).to_numpy(), x,
                 weights=frame["years"].to_numpy())
    groups = pd.factorize(frame["area"])[0]
    clustered = wls.fit(cov_type="cluster", cov_kwds={"groups": groups})
    assert result.clustered.se == pytest.approx(clustered.bse[3], rel=1e-10)
    assert result.heteroskedasticity_robust.se == pytest.approx(
        wls.fit(cov_type="HC1").bse[3], rel=1e-10)


def test_weighted_wild_bootstrap_equals_brute_force_refitting_of_the_weighted_model() -> None:
    # WCR of the WLS fit, by refitting statsmodels' WLS with CR1 on null-imposed data for
    # every Rademacher sign pattern of 6 areas: y* = X b_r + v_g u_r (weights unchanged)
    frame = _count_panel(3, children=12)
    rate = (frame["contacts"] / frame["years"]).to_numpy()
    w = frame["years"].to_numpy()
    d, p = frame["treated"].to_numpy(float), frame["post"].to_numpy(float)
    x = np.column_stack([np.ones(len(d)), d, p, d * p])
    groups = pd.factorize(frame["area"])[0]

    def cluster_t(outcome: np.ndarray) -> float:
        fit = sm.WLS(outcome, x, weights=w).fit(cov_type="cluster", cov_kwds={"groups": groups})
        return fit.params[3] / fit.bse[3]

    restricted = sm.WLS(rate, x[:, :3], weights=w).fit()
    observed = cluster_t(rate)
    boot = [cluster_t(restricted.fittedvalues + np.array(v)[groups] * restricted.resid)
            for v in product((-1.0, 1.0), repeat=6)]
    brute = float(np.mean(np.abs(boot) >= abs(observed) * (1 - 1e-9)))
    # WLS is OLS on y√w, X√w: the WCR of the transformed model is the weighted WCR
    root = np.sqrt(w)
    transformed = WildClusterBootstrap(rate * root, x * root[:, None], 3, groups,
                                       weights="rademacher")
    assert transformed.p_value(0.0) == pytest.approx(brute, abs=1e-12)
    result = difference_in_differences(rate, d, p, frame["area"], outcome_kind="continuous",
                                       weights=w, bootstrap_weights="rademacher")
    assert "all 64 Rademacher" in result.wild_bootstrap_note
    # the published p is never below the child-level HC1 one (as for a binary outcome)
    assert result.wild_bootstrap_p == pytest.approx(
        max(brute, result.heteroskedasticity_robust.p_value), abs=1e-12)


def test_weights_are_validated_and_zero_weights_left_out() -> None:
    frame = _count_panel(2, children=5)
    rate = frame["contacts"] / frame["years"]
    args = (rate, frame["treated"], frame["post"], frame["area"])
    with pytest.raises(ValueError, match="non-negative"):
        difference_in_differences(*args, outcome_kind="continuous", weights=-frame["years"])
    with pytest.raises(ValueError, match="length"):
        difference_in_differences(*args, outcome_kind="continuous", weights=[1.0, 2.0])
    zero = frame["years"].where(frame.index != 0, 0.0)
    assert difference_in_differences(*args, outcome_kind="continuous", weights=zero,
                                     wild_bootstrap=False).clustered.n == len(frame) - 1


# ---------------------------------------------------- boottest's published example (continuous)


def test_score_bootstrap_reproduces_boottests_published_score_t_on_a_continuous_outcome() -> None:
    # droodman/boottest, "unit tests.log" (commit 13473f8): on test/collapsed.dta (the share
    # insured, a continuous outcome) after `regress hasinsurance selfemployed post post_self,
    # cluster(year)`, `boottest (post_self=.04), boottype(score) reps(9999) weight(mammen)`
    # prints "Score bootstrap-t ... t(7) = 1.8479"; the wild bootstrap of the same test
    # prints t(7) = 2.0194. boottest recentres the scores by cluster shares ("share"); the
    # "hessian" recentring reproduces the WCR exactly, t and p.
    share = WildClusterScoreBootstrap(HAS_INSURANCE, np.zeros(16), DESIGN, 3, CLUSTERS,
                                      weights="rademacher", recentre="share", family="linear")
    assert share.statistic(0.04) == pytest.approx(1.8479, abs=5e-5)
    hessian = WildClusterScoreBootstrap(HAS_INSURANCE, np.zeros(16), DESIGN, 3, CLUSTERS,
                                        weights="rademacher", family="linear")
    assert hessian.statistic(0.04) == pytest.approx(2.0194, abs=5e-5)
    wcr = WildClusterBootstrap(HAS_INSURANCE, DESIGN, 3, CLUSTERS, weights="rademacher")
    for null in (0.0, 0.04, 0.07):
        assert hessian.p_value(null) == pytest.approx(wcr.p_value(null), abs=1e-12)
    # boottest's WCR p of post_self = .04: 0.0703 without the two exact ties (b9dad85)
    assert hessian.p_value(0.04) - TIES / PATTERNS == pytest.approx(0.0703, abs=5e-5)


# ------------------------------------------------------------------------------ Poisson DiD


def test_poisson_did_is_the_hand_computed_ratio_of_rate_ratios_in_a_saturated_2x2() -> None:
    frame = _count_panel(3)
    result = poisson_did(frame["contacts"], frame["years"], frame["treated"], frame["post"],
                         frame["area"], bootstrap_reps=999)
    totals = frame.groupby(["treated", "post"])[["contacts", "years"]].sum()
    rate = totals["contacts"] / totals["years"]
    expected = (rate[1, 1] / rate[1, 0]) / (rate[0, 1] / rate[0, 0])
    assert result.estimate == pytest.approx(expected, rel=1e-8)
    assert result.measure == "ratio_of_rate_ratios" and result.log_scale
    assert result.details["cells"].loc[(1, 1), "rate"] == pytest.approx(rate[1, 1])
    assert result.flags[0] == "wild_bootstrap" and "few_areas" in result.flags
    assert result.ci_low < result.estimate < result.ci_high
    # without person-time: the ratio of the ratios of mean counts
    no_time = poisson_did(frame["contacts"], None, frame["treated"], frame["post"],
                          frame["area"], wild_bootstrap=False)
    means = frame.groupby(["treated", "post"])["contacts"].mean()
    assert no_time.estimate == pytest.approx(
        (means[1, 1] / means[1, 0]) / (means[0, 1] / means[0, 0]), rel=1e-8)
    assert no_time.measure == "ratio_of_count_ratios"


def test_cluster_robust_se_is_statsmodels_glm_cluster_covariance() -> None:
    frame = _count_panel(16, children=10)  # 32 areas: no bootstrap by default
    covariates = pd.DataFrame({"boy": np.arange(len(frame)) % 2})
    result = poisson_did(frame["contacts"], frame["years"], frame["treated"], frame["post"],
                         frame["area"], covariates, area_effects=True)
    area_dummies = pd.get_dummies(frame["area"], drop_first=True, dtype=float)
    d, p = frame["treated"].to_numpy(float), frame["post"].to_numpy(float)
    exog = np.column_stack([np.ones(len(d)), area_dummies, p, d * p, covariates["boy"]])
    model = sm.GLM(frame["contacts"].to_numpy(), exog, family=sm.families.Poisson(),
                   offset=np.log(frame["years"].to_numpy()))
    groups = pd.factorize(frame["area"])[0]
    clustered = model.fit(cov_type="cluster", cov_kwds={"groups": groups})
    k = exog.shape[1] - 2
    assert np.log(result.estimate) == pytest.approx(clustered.params[k], rel=1e-7)
    assert result.details["se_cluster_robust"] == pytest.approx(clustered.bse[k], rel=1e-6)
    assert result.n_clusters == 32 and "wild_bootstrap" not in result.flags
    # the reported SE is the CR1 one unless the child-level one is larger
    n, n_params = len(d), exog.shape[1]
    hc1 = np.sqrt(model.fit(cov_type="HC0").cov_params()[k, k] * n / (n - n_params))
    assert result.details["se_hc1"] == pytest.approx(hc1, rel=1e-6)
    assert result.se == pytest.approx(max(clustered.bse[k], hc1), rel=1e-6)
    # the interval is the t interval on G - 1 = 31 df on the log scale
    critical = stats.t.ppf(0.975, 31)
    assert np.log(result.ci_high) == pytest.approx(clustered.params[k] + critical * result.se,
                                                   rel=1e-6)


def test_score_statistic_matches_a_hand_computation_on_a_tiny_example() -> None:
    # 4 areas, one row per area and period; H0: b3 = 0.1 (b3 x_k joins the offset)
    events = np.array([40.0, 20, 50, 26, 30, 31, 45, 44])
    years = np.array([100.0, 90, 120, 100, 80, 85, 110, 100])
    d, p = np.repeat([1.0, 1, 0, 0], 2), np.tile([0.0, 1], 4)
    x = np.column_stack([np.ones(8), d, p, d * p])
    areas = np.repeat([0, 1, 2, 3], 2)
    null = 0.1
    restricted = sm.GLM(events, x[:, :3], family=sm.families.Poisson(),
                        offset=np.log(years) + null * x[:, 3]).fit()
    mu = restricted.fittedvalues
    scores = np.array([x[areas == g].T @ (events - mu)[areas == g] for g in range(4)])
    hessians = [x[areas == g].T @ (mu[areas == g, None] * x[areas == g]) for g in range(4)]
    inverse = np.linalg.inv(sum(hessians))
    departure = inverse @ scores.sum(0)  # one Newton step from the restricted fit
    # unrestricted scores the step leaves in each area, and their CR1 variance of b3
    left = [scores[g] - hessians[g] @ departure for g in range(4)]
    variance = 4 / 3 * 7 / 4 * sum((inverse @ s)[3] ** 2 for s in left)
    by_hand = departure[3] / np.sqrt(variance)
    test = WildClusterScoreBootstrap(events, np.log(years), x, 3, areas, weights="rademacher")
    assert test.statistic(null) == pytest.approx(by_hand, rel=1e-6)
    # every sign pattern by hand: v_g S_g perturbed, then the same step and variance
    boot = []
    for v in product((-1.0, 1.0), repeat=4):
        perturbed = scores * np.array(v)[:, None]
        step = inverse @ perturbed.sum(0)
        left = [perturbed[g] - hessians[g] @ step for g in range(4)]
        boot.append(step[3] / np.sqrt(4 / 3 * 7 / 4 * sum((inverse @ s)[3] ** 2 for s in left)))
    expected = np.mean(np.abs(boot) >= abs(by_hand) * (1 - 1e-9))
    assert test.p_value(null) == pytest.approx(expected, abs=1e-12)


@pytest.mark.parametrize("recentre", ["hessian", "share"])
def test_score_bootstrap_on_summed_children_is_the_childrens(recentre) -> None:
    """Children of one area with the same regressors summed into one row (events and
    person-time added, `counts` children): the Poisson scores and information are sums over
    children, so the statistic, p-values and interval are those of every child's row."""
    frame = _count_panel(4, seed=8, children=25, ratio=0.8)
    frame["girl"] = np.arange(len(frame)) % 2
    d, p = frame["treated"].to_numpy(float), frame["post"].to_numpy(float)
    x = np.column_stack([np.ones(len(d)), d, p, d * p, frame["girl"]])
    areas = pd.factorize(frame["area"])[0]
    children = WildClusterScoreBootstrap(frame["contacts"].to_numpy(float),
                                         np.log(frame["years"].to_numpy()), x, 3, areas,
                                         reps=999, recentre=recentre)
    summed = frame.groupby(["area", "treated", "post", "girl"], sort=False).agg(
        contacts=("contacts", "sum"), years=("years", "sum"), children=("contacts", "size"))
    summed = summed.reset_index()
    assert len(summed) == 32 and summed["children"].sum() == len(frame) == 400
    sd, sp = summed["treated"].to_numpy(float), summed["post"].to_numpy(float)
    rows = WildClusterScoreBootstrap(
        summed["contacts"].to_numpy(float), np.log(summed["years"].to_numpy()),
        np.column_stack([np.ones(len(sd)), sd, sp, sd * sp, summed["girl"]]), 3,
        pd.factorize(summed["area"])[0], reps=999, recentre=recentre,
        counts=summed["children"].to_numpy(float))
    for null in (0.0, -0.2, 0.1):
        assert rows.statistic(null) == pytest.approx(children.statistic(null), rel=1e-10)
        assert rows.p_value(null) == children.p_value(null)
    np.testing.assert_allclose(rows.interval(-0.2, 0.1), children.interval(-0.2, 0.1),
                               rtol=1e-9)
    with pytest.raises(ValueError, match="counts need family='poisson'"):
        WildClusterScoreBootstrap(summed["contacts"].to_numpy(float), np.zeros(len(sd)),
                                  np.ones((len(sd), 1)), 0, np.zeros(len(sd), int),
                                  family="linear", counts=summed["children"].to_numpy(float))


def test_score_bootstrap_p_is_roughly_uniform_under_the_null() -> None:
    p_values = []
    for seed in range(150):
        frame = _count_panel(5, seed=seed, children=8)  # 10 areas, no programme effect
        d, p = frame["treated"].to_numpy(float), frame["post"].to_numpy(float)
        x = np.column_stack([np.ones(len(d)), d, p, d * p])
        test = WildClusterScoreBootstrap(frame["contacts"].to_numpy(float),
                                         np.log(frame["years"].to_numpy()), x, 3,
                                         pd.factorize(frame["area"])[0], weights="webb", reps=399,
                                         seed=seed)
        p_values.append(test.p_value(0.0))
    p_values = np.array(p_values)
    assert 0.01 <= np.mean(p_values < 0.05) <= 0.11
    assert 0.04 <= np.mean(p_values < 0.10) <= 0.18
    assert stats.kstest(p_values, "uniform").pvalue > 0.01


def test_not_estimable_and_point_estimate_only_cases_say_why() -> None:
    frame = _count_panel(2, children=10)
    args = (frame["years"], frame["treated"], frame["post"], frame["area"])
    no_events = frame["contacts"].where(~((frame["treated"] == 1) & (frame["post"] == 1)), 0)
    zero = poisson_did(no_events, *args)
    assert not zero.estimable and zero.flags == ("zero_cell",)
    assert "intervention areas after" in zero.reason
    empty = frame[~((frame["treated"] == 0) & (frame["post"] == 0))]
    result = poisson_did(empty["contacts"], empty["years"], empty["treated"], empty["post"],
                         empty["area"])
    assert result.flags == ("empty_cell",) and "comparison areas before" in result.reason
    one_area = frame["contacts"].where(frame["area"] != "a0", 0)
    fixed = poisson_did(one_area, *args, area_effects=True)
    assert fixed.flags == ("zero_cell",) and "area(s) a0" in fixed.reason
    # one intervention area: the point estimate only, with the reason
    single = frame[frame["area"] != "a1"]
    only = poisson_did(single["contacts"], single["years"], single["treated"], single["post"],
                       single["area"])
    assert only.estimable and only.ci_low is None and only.p_value is None
    assert only.flags[0] == "point_estimate_only" and "one area in an arm" in only.reason
    with pytest.raises(ValueError, match="whole numbers"):
        poisson_did(frame["contacts"] + 0.5, *args)
    with pytest.raises(ValueError, match="zero person-time"):
        poisson_did(frame["contacts"] + 1, frame["years"] * 0, *args[1:])


def test_poisson_interval_excludes_one_exactly_when_the_bootstrap_p_is_below_five_percent() -> None:
    verdicts = set()
    for seed in range(8):  # a true ratio of 0.75 in 3 + 3 areas: p = 0.018 for seed 6 only
        frame = _count_panel(3, seed=seed, children=40, ratio=0.75)
        result = poisson_did(frame["contacts"], frame["years"], frame["treated"], frame["post"],
                             frame["area"], bootstrap_reps=999)
        assert result.flags[0] == "wild_bootstrap"
        assert result.ci_low is not None and result.ci_high is not None
        excludes_one = result.ci_low > 1 or result.ci_high < 1
        assert excludes_one == (result.p_value < 0.05), seed
        assert result.ci_low < result.estimate < result.ci_high
        verdicts.add(excludes_one)
    assert verdicts == {True, False}


def test_restricted_poisson_newton_fit_is_statsmodels_glm_fit() -> None:
    # the score bootstrap's restricted fits by Newton's method: statsmodels' coefficients,
    # from its own start and from a start moved along the path of the null
    frame = _count_panel(3, seed=11)
    codes = pd.factorize(frame["area"])[0]
    x = np.column_stack([np.ones(len(frame)), np.eye(6)[codes][:, 1:], frame["post"]])
    offset = np.log(frame["years"].to_numpy()) + 0.3 * (frame["treated"] * frame["post"]).to_numpy()
    events = frame["contacts"].to_numpy(float)
    expected = sm.GLM(events, x, family=sm.families.Poisson(), offset=offset).fit(tol=1e-14)
    cold, _ = _poisson_newton(events, _Dense(x, codes, 6), offset, None)
    warm, _ = _poisson_newton(events, _Dense(x, codes, 6), offset,
                              np.asarray(expected.params) + 0.05)
    np.testing.assert_allclose(cold, expected.params, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(warm, expected.params, rtol=1e-12, atol=1e-12)


def _with_mothers_age(seed: int) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    """A count panel of 8 areas with a 0/1 covariate and the mother's age (one decimal,
    so that the rows of an area with the same 0/1 columns differ by age), its design
    (constant, arm, period, DiD term, girl, age) and area codes."""
    frame = _count_panel(4, seed=seed, children=60, ratio=0.8)
    rng = np.random.default_rng(seed)
    frame["girl"] = rng.integers(0, 2, len(frame))
    frame["age"] = np.round(rng.normal(30, 5, len(frame)), 1)
    frame["contacts"] = rng.poisson(frame["years"] * np.exp(-0.5 + 0.02 * (frame["age"] - 30)))
    d, p = frame["treated"].to_numpy(float), frame["post"].to_numpy(float)
    x = np.column_stack([np.ones(len(d)), d, p, d * p, frame["girl"], frame["age"]])
    return frame, x, pd.factorize(frame["area"])[0]


def test_cells_of_a_design_with_a_continuous_covariate_are_its_rows() -> None:
    # the rows of an area with the same 0/1 columns as one cell, the age per row: every sum
    # the Newton steps and replicates need equals the rows' own product (by rounding)
    frame, x, areas = _with_mothers_age(seed=21)
    rng = np.random.default_rng(5)
    weights, params = rng.uniform(0.1, 3.0, len(x)), rng.normal(0, 0.3, x.shape[1])
    cells = _Cells.of(x, areas, 8, kept=3)
    assert cells is not None and cells._n_cells == 8 * 2 * 2  # area x period x girl (arm: area)
    indicator = np.eye(8)[areas]
    for design, rows in ((cells, x), (cells.without(3), np.delete(x, 3, axis=1))):
        np.testing.assert_allclose(design.dot(params[:rows.shape[1]]), rows @ params[:rows.shape[1]],
                                   rtol=1e-13)
        np.testing.assert_allclose(design.t_dot(weights), rows.T @ weights, rtol=1e-13)
        np.testing.assert_allclose(design.gram(weights), rows.T @ (weights[:, None] * rows),
                                   rtol=1e-13)
        np.testing.assert_allclose(design.cluster_sums(weights),
                                   indicator.T @ (rows * weights[:, None]), rtol=1e-12, atol=1e-12)
    # a restricted fit on the cells is statsmodels' GLM fit of the rows
    offset = np.log(frame["years"].to_numpy()) - 0.2 * x[:, 3]
    events = frame["contacts"].to_numpy(float)
    expected = sm.GLM(events, np.delete(x, 3, axis=1), family=sm.families.Poisson(),
                      offset=offset).fit(tol=1e-14)
    fitted, _ = _poisson_newton(events, cells.without(3), offset, None)
    np.testing.assert_allclose(fitted, expected.params, rtol=1e-10)
    # no cells where the column left out is not 0/1, or the cells would be most of the rows
    assert _Cells.of(x, areas, 8, kept=5) is None
    assert _Cells.of(np.column_stack([x, rng.integers(0, 2, (len(x), 8))]), areas, 8, 3) is None


def test_score_bootstrap_on_cells_is_the_rows_bootstrap() -> None:
    frame, x, areas = _with_mothers_age(seed=22)
    events, log_years = frame["contacts"].to_numpy(float), np.log(frame["years"].to_numpy())
    on_cells = WildClusterScoreBootstrap(events, log_years, x, 3, areas, reps=999)
    on_rows = WildClusterScoreBootstrap(events, log_years, x, 3, areas, reps=999)
    on_rows._rows, on_rows._others = _Dense(x, areas, 8), _Dense(np.delete(x, 3, axis=1), areas, 8)
    assert isinstance(on_cells._rows, _Cells)
    for null in (0.0, -0.3, 0.2):
        assert on_cells.statistic(null) == pytest.approx(on_rows.statistic(null), rel=1e-10)
        assert on_cells.p_value(null) == on_rows.p_value(null)
    np.testing.assert_allclose(on_cells.interval(-0.2, 0.1), on_rows.interval(-0.2, 0.1),
                               rtol=1e-9)


def _exog_by_get_dummies(rows, area_effects: bool) -> pd.DataFrame:  # noqa: ANN001
    """The Poisson DiD's design as it was made before it was built as one matrix: pandas'
    dummies of the areas and periods concatenated with the other columns."""
    from pipeline.stats import did_counts

    n = len(rows.events)
    parts = [pd.DataFrame({"const": np.ones(n)})]
    parts.append(pd.get_dummies(pd.Series(rows.clusters), prefix="area", drop_first=True, dtype=float)
                 if area_effects else pd.DataFrame({"treated_area": rows.treated}))
    parts.append(pd.get_dummies(rows.periods, prefix="period", drop_first=True, dtype=float)
                 if rows.periods is not None else pd.DataFrame({"post": rows.post}))
    parts += [pd.DataFrame({did_counts._INTERACTION: rows.treated * rows.post}),
              rows.design.covariates.reset_index(drop=True)]
    frame = pd.concat(parts, axis=1)
    return pd.DataFrame(frame.to_numpy(dtype=float), columns=frame.columns, copy=False)


@pytest.mark.parametrize(("area_effects", "periods"), list(product([True, False], repeat=2)))
def test_the_design_is_pandas_dummies_of_areas_and_periods(area_effects: bool, periods: bool) -> None:
    from dataclasses import replace

    from pipeline.stats import did_counts

    rng = np.random.default_rng(8)
    n = 400
    areas = pd.Series(rng.choice(list("ABCDEFG"), n))
    half_year = pd.Series(rng.choice(["2019H1", "2019H2", "2020H1", "2021H2", "2018H2"], n))
    covariates = pd.DataFrame({"age": rng.normal(30, 5, n),
                               "education": rng.choice(["low", "mid", "high"], n),
                               "smoker": rng.integers(0, 2, n)})
    treated_area = areas.isin(["A", "B", "C"]).astype(float)
    after = half_year.isin(["2020H1", "2021H2"]).astype(float)
    rows = did_counts._rows(rng.poisson(2, n), rng.uniform(0.5, 2, n), treated_area, after, areas,
                            covariates, period_effects=half_year)
    if not periods:
        rows = replace(rows, periods=None)
    built, expected = did_counts._exog(rows, area_effects), _exog_by_get_dummies(rows, area_effects)
    pd.testing.assert_frame_equal(built, expected, check_exact=True)
    assert built.columns.tolist()[:2] == ["const", "area_1" if area_effects else "treated_area"]
    assert built.to_numpy().flags.f_contiguous  # summed column by column, as before
