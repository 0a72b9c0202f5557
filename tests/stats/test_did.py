"""Difference-in-differences: estimate, clustered SEs, wild bootstrap, few-cluster caveats."""

from itertools import product

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

from pipeline.stats.did import (
    WildClusterBootstrap,
    _restricted_residuals,
    difference_in_differences,
    wild_cluster_bootstrap_p,
)


def _panel(n_areas_per_arm: int, seed: int = 5, children: int = 40) -> pd.DataFrame:
    """Areas x periods, children per cell, outcome with area effects and a true DiD of 0.1."""
    rng = np.random.default_rng(seed)
    rows = []
    for area in range(2 * n_areas_per_arm):
        treated = int(area < n_areas_per_arm)
        area_effect = rng.normal(0, 0.05)
        for post in (0, 1):
            p = 0.4 + area_effect + 0.05 * post + 0.02 * treated + 0.1 * treated * post
            outcome = rng.binomial(1, np.clip(p, 0.01, 0.99), children)
            rows += [
                {"area": f"area{area}", "treated_area": treated, "post": post, "y": v}
                for v in outcome
            ]
    return pd.DataFrame(rows)


def test_did_equals_difference_of_differences_on_a_hand_built_table() -> None:
    # Cells (treated_area, post): (children, events) chosen by hand.
    cells = {(1, 1): (20, 15), (1, 0): (25, 10), (0, 1): (30, 12), (0, 0): (40, 12)}
    rows = []
    for (d, p), (children, events) in cells.items():
        area = f"{'t' if d else 'c'}{children % 2}"
        rows += [{"d": d, "p": p, "area": area, "y": int(i < events)} for i in range(children)]
    frame = pd.DataFrame(rows)
    result = difference_in_differences(frame["y"], frame["d"], frame["p"], frame["area"])
    expected = (15 / 20 - 10 / 25) - (12 / 30 - 12 / 40)
    assert result.heteroskedasticity_robust.estimate == pytest.approx(expected, abs=1e-12)
    assert result.cells.loc[(1, 1), "proportion"] == pytest.approx(0.75)


def test_cluster_robust_se_matches_hand_cr1() -> None:
    frame = _panel(n_areas_per_arm=4)
    result = difference_in_differences(
        frame["y"], frame["treated_area"], frame["post"], frame["area"], wild_bootstrap=False
    )
    # Hand CR1 (Cameron & Miller 2015, eq. 11 with the Stata/statsmodels small-sample
    # factor G/(G-1) * (N-1)/(N-K)): (X'X)^-1 [sum_g X_g' e_g e_g' X_g] (X'X)^-1.
    d, p = frame["treated_area"].to_numpy(float), frame["post"].to_numpy(float)
    x = np.column_stack([np.ones(len(d)), d, p, d * p])
    y = frame["y"].to_numpy(float)
    bread = np.linalg.inv(x.T @ x)
    residual = y - x @ bread @ x.T @ y
    groups = pd.factorize(frame["area"])[0]
    meat = sum(np.outer(s, s) for s in (x[groups == g].T @ residual[groups == g] for g in range(8)))
    n, k, g = len(y), 4, 8
    covariance = g / (g - 1) * (n - 1) / (n - k) * bread @ meat @ bread
    assert result.clustered.se == pytest.approx(np.sqrt(covariance[3, 3]), rel=1e-10)
    assert result.clustered.details["reference_distribution"] == "t with 7 df"
    assert any("only 8 areas" in c for c in result.caveats)


def test_two_areas_give_reason_and_labelled_hc1_fallback() -> None:
    frame = _panel(n_areas_per_arm=1)
    result = difference_in_differences(
        frame["y"], frame["treated_area"], frame["post"], frame["area"]
    )
    assert not result.clustered.estimable
    assert "one area in an arm" in result.clustered.reason
    fallback = result.preferred
    assert fallback is result.heteroskedasticity_robust
    assert "NOT clustered" in fallback.details["se_type"]
    d, p = frame["treated_area"].to_numpy(float), frame["post"].to_numpy(float)
    x = np.column_stack([np.ones(len(d)), d, p, d * p])
    reference = sm.OLS(frame["y"].to_numpy(float), x).fit(cov_type="HC1")
    assert fallback.se == pytest.approx(reference.bse[3], rel=1e-10)


def test_fast_wild_bootstrap_equals_brute_force_refitting() -> None:
    # Reference implementation: refit OLS with statsmodels' CR1 for every Rademacher sign
    # pattern (all 2^6 enumerated) on null-imposed data, as in Cameron, Gelbach & Miller
    # (2008) "wild cluster bootstrap-t with H0 imposed".
    frame = _panel(n_areas_per_arm=3, children=15)
    d, p = frame["treated_area"].to_numpy(float), frame["post"].to_numpy(float)
    x = np.column_stack([np.ones(len(d)), d, p, d * p])
    y = frame["y"].to_numpy(float)
    groups = pd.factorize(frame["area"])[0]
    fast_p, note = wild_cluster_bootstrap_p(y, x, 3, groups, weights="rademacher", reps=9999)
    assert "all 64 Rademacher" in note
    assert fast_p == pytest.approx(_brute_force_p(y, x, groups, 0.0), abs=1e-12)


def test_few_clusters_runs_webb_bootstrap_by_default_with_fixed_seed() -> None:
    frame = _panel(n_areas_per_arm=2)
    first = difference_in_differences(
        frame["y"], frame["treated_area"], frame["post"], frame["area"], bootstrap_reps=999
    )
    second = difference_in_differences(
        frame["y"], frame["treated_area"], frame["post"], frame["area"], bootstrap_reps=999
    )
    assert first.wild_bootstrap_p is not None
    assert first.wild_bootstrap_p == second.wild_bootstrap_p
    assert "Webb" in first.wild_bootstrap_note
    assert any("only 4 areas" in c and "unreliable" in c for c in first.caveats)
    assert first.clustered.details["wild_bootstrap_p"] == first.wild_bootstrap_p


def test_empty_cell_gives_reason() -> None:
    frame = _panel(n_areas_per_arm=2)
    frame = frame[~((frame["treated_area"] == 1) & (frame["post"] == 1))]
    result = difference_in_differences(
        frame["y"], frame["treated_area"], frame["post"], frame["area"]
    )
    assert not result.preferred.estimable
    assert "empty cell" in result.preferred.reason


def _brute_force_p(y: np.ndarray, x: np.ndarray, groups: np.ndarray, null: float) -> float:
    """Restricted wild cluster bootstrap-t p for H0: b3 = null by refitting every Rademacher
    pattern with statsmodels (Cameron, Gelbach & Miller 2008; Roodman et al. 2019, §3)."""

    def cluster_t(outcome: np.ndarray) -> float:
        fit = sm.OLS(outcome, x).fit(cov_type="cluster", cov_kwds={"groups": groups})
        return (fit.params[3] - null) / fit.bse[3]

    observed = cluster_t(y)
    shifted = y - null * x[:, 3]
    restricted = sm.OLS(shifted, x[:, :3]).fit()
    n_groups = groups.max() + 1
    boot = [
        cluster_t(restricted.fittedvalues + null * x[:, 3]
                  + np.array(signs)[groups] * restricted.resid)
        for signs in product((-1.0, 1.0), repeat=n_groups)
    ]
    return float(np.mean(np.abs(boot) >= abs(observed) * (1 - 1e-9)))


def test_bootstrap_interval_inverts_the_same_test_as_brute_force_refitting() -> None:
    frame = _panel(n_areas_per_arm=3, children=15)
    d, p = frame["treated_area"].to_numpy(float), frame["post"].to_numpy(float)
    x = np.column_stack([np.ones(len(d)), d, p, d * p])
    y = frame["y"].to_numpy(float)
    groups = pd.factorize(frame["area"])[0]
    boot = WildClusterBootstrap(y, x, 3, groups, weights="rademacher", reps=9999)
    for null in (-0.2, 0.05, 0.3):
        assert boot.p_value(null) == pytest.approx(_brute_force_p(y, x, groups, null), abs=1e-12)
    low, high = boot.interval(0.95)
    assert low is not None and high is not None and low < boot.estimate < high
    # just inside each bound the brute-force test does not reject at 5%, just outside it does
    width = high - low
    for bound, outward in ((low, -1.0), (high, 1.0)):
        assert _brute_force_p(y, x, groups, bound - outward * 1e-3 * width) >= 0.05
        assert _brute_force_p(y, x, groups, bound + outward * 1e-3 * width) < 0.05


def test_bootstrap_interval_excludes_zero_exactly_when_p_is_below_five_percent() -> None:
    verdicts = set()
    for seed in range(12):  # a true DiD of 0.1: some seeds reject, some do not (0.051 is one)
        frame = _panel(n_areas_per_arm=3, seed=seed, children=300)
        result = difference_in_differences(
            frame["y"], frame["treated_area"], frame["post"], frame["area"], bootstrap_reps=999
        )
        headline = result.preferred
        assert headline is result.wild_bootstrap
        assert headline.p_value == result.wild_bootstrap_p
        assert headline.ci_low is not None and headline.ci_high is not None
        excludes_zero = headline.ci_low > 0 or headline.ci_high < 0
        assert excludes_zero == (headline.p_value < 0.05), seed
        verdicts.add(excludes_zero)
    assert verdicts == {True, False}


def test_interval_never_narrower_than_the_child_level_hc1() -> None:
    widened = 0
    for seed in range(12):
        frame = _panel(n_areas_per_arm=2, seed=seed, children=60)
        result = difference_in_differences(
            frame["y"], frame["treated_area"], frame["post"], frame["area"], bootstrap_reps=999
        )
        headline, hc1 = result.preferred, result.heteroskedasticity_robust
        assert headline.p_value >= hc1.p_value - 1e-15
        if headline.ci_low is not None:
            assert headline.ci_low <= hc1.ci_low + 1e-15
        if headline.ci_high is not None:
            assert headline.ci_high >= hc1.ci_high - 1e-15
        widened += "widened_to_child_level" in headline.flags
    assert widened > 0  # the floor is exercised, not only passed through


def test_cluster_robust_se_is_raised_to_the_child_level() -> None:
    frame = _panel(n_areas_per_arm=20, children=30)
    result = difference_in_differences(
        frame["y"], frame["treated_area"], frame["post"], frame["area"], wild_bootstrap=False
    )
    headline, hc1 = result.preferred, result.heteroskedasticity_robust
    assert headline.se == pytest.approx(max(result.clustered.se,
                                                       hc1.se))
    assert headline.ci_high - headline.ci_low >= result.clustered.ci_high - result.clustered.ci_low


def test_area_and_period_fixed_effects_recover_a_did_that_an_arm_dummy_misses() -> None:
    # Two intervention and two comparison areas; area I1 has many more children after the
    # start than before, and a higher level: with an arm dummy the changing mix of areas
    # looks like an effect; with area fixed effects the DiD is the true 0.
    rows = []
    levels = {"I0": 0.3, "I1": 0.7, "C0": 0.3, "C1": 0.7}
    sizes = {("I0", 0): 100, ("I0", 1): 100, ("I1", 0): 20, ("I1", 1): 180,
             ("C0", 0): 100, ("C0", 1): 100, ("C1", 0): 100, ("C1", 1): 100}
    for (area, post), size in sizes.items():
        events = round(levels[area] * size)
        rows += [{"area": area, "d": int(area.startswith("I")), "post": post,
                  "y": int(i < events)} for i in range(size)]
    frame = pd.DataFrame(rows)
    plain = difference_in_differences(frame["y"], frame["d"], frame["post"], frame["area"],
                                      wild_bootstrap=False)
    fixed = difference_in_differences(frame["y"], frame["d"], frame["post"], frame["area"],
                                      area_effects=True, wild_bootstrap=False)
    # arm dummy: intervention (30 + 14)/120 before and (30 + 126)/280 after; comparison .5 and .5
    assert plain.heteroskedasticity_robust.estimate == pytest.approx(156 / 280 - 44 / 120, abs=1e-9)
    assert fixed.heteroskedasticity_robust.estimate == pytest.approx(0.0, abs=1e-9)
    halves = np.where(frame["post"] == 1, "2021-03", "2020-03")
    with_periods = difference_in_differences(frame["y"], frame["d"], frame["post"], frame["area"],
                                             area_effects=True, period_effects=halves,
                                             wild_bootstrap=False)
    assert with_periods.heteroskedasticity_robust.estimate == pytest.approx(0.0, abs=1e-9)


def test_restricted_residuals_are_the_least_squares_residuals_of_the_children() -> None:
    # the wild bootstrap's restricted fits from the normal equations with refinement:
    # weighted least squares on the rows (each row a count of children), as lstsq gives it
    rng = np.random.default_rng(5)
    n = 400
    x = np.column_stack([np.ones(n), rng.normal(30, 5, n), rng.random((n, 3)) < 0.3,
                         rng.random(n) < 0.5]).astype(float)
    counts = rng.integers(1, 6, n).astype(float)
    targets = np.column_stack([rng.random(n) < 0.4, x[:, 5]]).astype(float)
    cx = x * counts[:, None]
    found = _restricted_residuals(x, cx, x.T @ cx, 5, targets)
    others, root = np.delete(x, 5, axis=1), np.sqrt(counts)[:, None]
    expected = targets - others @ np.linalg.lstsq(others * root, targets * root, rcond=None)[0]
    np.testing.assert_allclose(found, expected, rtol=0, atol=1e-12)


def test_the_normal_equations_give_the_svd_fit_and_a_near_singular_design_the_svd():
    # _fit solves a well-conditioned design by the normal equations (_well_conditioned_fit):
    # the same coefficient and HC1 / CR1 SEs as statsmodels' OLS with counts as frequency
    # weights; a design with a column nearly the sum of two others goes the SVD's way
    from statsmodels.stats.sandwich_covariance import cov_cluster

    from pipeline.stats import did

    rng = np.random.default_rng(12)
    n = 5000
    area = rng.integers(0, 8, n)
    post = rng.integers(0, 2, n).astype(float)
    treated = (area < 3).astype(float)
    age = rng.normal(31, 5, n)
    x = np.column_stack([np.ones(n), treated * post, post, np.eye(8)[area][:, 1:], age])
    y = 0.4 + 0.1 * treated * post + 0.01 * (age - 31) + rng.normal(0, 0.5, n)
    counts = rng.integers(1, 4, n).astype(float)  # distinct rows standing for 1 to 3 children
    assert did._well_conditioned_fit(x, y, counts, 1) is not None
    fast = did._fit(x, y, None, counts, area, 1)
    children = np.repeat(np.arange(n), counts.astype(int))
    ols = sm.OLS(y[children], x[children]).fit()
    assert fast.estimate == pytest.approx(ols.params[1], rel=1e-12)
    assert fast.hc1_se == pytest.approx(np.sqrt(ols.get_robustcov_results("HC1").cov_params()[1, 1]),
                                        rel=1e-10)
    assert fast.cluster_se == pytest.approx(np.sqrt(cov_cluster(ols, area[children])[1, 1]), rel=1e-10)

    nearly = np.column_stack([x, x[:, 2] + x[:, 3] + 1e-9 * rng.normal(size=n)])
    assert did._well_conditioned_fit(nearly, y, counts, 1) is None
    by_svd = did._fit(nearly, y, None, counts, area, 1)
    rank = np.linalg.matrix_rank(nearly)
    assert (by_svd is None) == (rank < nearly.shape[1])
