"""Complier effects: CACE and the fuzzy DiD (Wald-DID) against hand computations and statsmodels."""

import math

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from scipy import stats
from statsmodels.sandbox.regression.gmm import IV2SLS

from pipeline.stats.complier import complier_effect, fuzzy_did
from pipeline.stats.did import difference_in_differences


def _children(cells: dict[tuple[int, int], tuple[int, int, int]]) -> pd.DataFrame:
    """Children from (arm, period) -> (children, accepted, events among accepted, others).

    Cells are given as (n, accepted, events_accepted, events_declined).
    """
    rows = []
    for (arm, period), (n, accepted, events_accepted, events_declined) in cells.items():
        for i in range(n):
            took_up = int(i < accepted)
            event = int(i < events_accepted) if took_up else int(i - accepted < events_declined)
            area = f"{'t' if arm else 'c'}{i % 2}"  # two areas per arm
            rows.append({"z": arm, "post": period, "d": took_up, "y": event, "area": area})
    return pd.DataFrame(rows)


# Intervention arm: 100 children, 75 accepted (36 of them with the event), 25 declined
# (10 events) -> 46 events. Comparison arm: 100 children, 40 events, nobody can accept.
HAND_TABLE = {(1, 0): (100, 75, 36, 10), (0, 0): (100, 0, 0, 40)}


def test_cace_by_hand_on_a_two_by_two_table() -> None:
    frame = _children(HAND_TABLE)
    result = complier_effect(frame["y"], frame["z"], frame["d"])
    # ITT = 46/100 - 40/100 = 0.06; acceptance pi = 75/100 = 0.75; CACE = 0.06/0.75 = 0.08.
    assert result.measure == "risk_difference" and result.method == "cace"
    assert result.estimate == pytest.approx(0.08, abs=1e-12)
    assert result.details["itt"] == pytest.approx(0.06, abs=1e-12)
    assert result.details["acceptance_intervention"] == 0.75
    assert result.details["acceptance_difference"] == pytest.approx(0.75, abs=1e-12)
    assert result.details["one_sided"] is True
    assert (result.n, result.events) == (200, 86)
    # Delta method for b = ITT/pi (plug-in variances, n in the denominator):
    #   Var(p1) = .46*.54/100 = .002484, Var(p0) = .40*.60/100 = .0024, Var(ITT) = .004884
    #   Var(pi) = .75*.25/100 = .001875
    #   Cov(p1, pi) = (P(Y=1, D=1 | arm 1) - p1*pi)/100 = (.36 - .46*.75)/100 = .00015
    #   Var(b) = [Var(ITT) - 2b Cov + b^2 Var(pi)] / pi^2
    #          = [.004884 - 2*.08*.00015 + .0064*.001875] / .5625 = .004872/.5625
    se_delta = math.sqrt(0.004872 / 0.5625)  # 0.0930663
    # The IV's HC1 sandwich is this delta-method SE times sqrt(n/(n - k)), n = 200, k = 2.
    se_hc1 = se_delta * math.sqrt(200 / 198)  # 0.0935351
    assert result.se == pytest.approx(se_hc1, rel=1e-12)
    z = stats.norm.isf(0.025)
    assert result.ci_low == pytest.approx(0.08 - z * se_hc1, rel=1e-12)
    assert result.ci_high == pytest.approx(0.08 + z * se_hc1, rel=1e-12)
    assert result.p_value == pytest.approx(2 * stats.norm.sf(0.08 / se_hc1), rel=1e-12)


def _trial(n: int, seed: int, *, effect: float = 0.1, acceptance: float = 0.7) -> pd.DataFrame:
    """Randomised offer; compliers (who would accept) have a higher baseline risk.

    The effect of the programme on compliers is `effect`; never-takers are unaffected, so
    the CACE is `effect` while a per-protocol contrast is biased by the selection.
    """
    rng = np.random.default_rng(seed)
    z = rng.integers(0, 2, n)
    complier = rng.random(n) < acceptance
    education = rng.integers(0, 3, n)
    baseline = 0.25 + 0.15 * complier + 0.05 * education
    y = (rng.random(n) < baseline + effect * (complier & (z == 1))).astype(int)
    d = (complier & (z == 1)).astype(int)
    return pd.DataFrame({"y": y, "z": z, "d": d, "education": education,
                         "parity": rng.integers(1, 4, n),
                         "region": rng.choice(["nordic", "europe", "outside"], n)})


def test_cace_equals_two_stage_least_squares_step_by_step() -> None:
    frame = _trial(400, seed=11)
    y, z, d = (frame[c].to_numpy(float) for c in ("y", "z", "d"))
    result = complier_effect(y, z, d)
    # Stage 1: take-up on the offer; stage 2: outcome on the fitted take-up (statsmodels OLS).
    first = sm.OLS(d, sm.add_constant(z)).fit()
    x_hat = sm.add_constant(first.fittedvalues)
    second = sm.OLS(y, x_hat).fit()
    assert result.estimate == pytest.approx(second.params[1], abs=1e-12)
    # Its HC1 SE must use the structural residuals y - b0 - b1*d (not y - X_hat b, which
    # statsmodels' second-stage HC1 would use): bread (X_hat'X_hat)^-1 from statsmodels.
    residual = y - second.params[0] - second.params[1] * d
    meat = (x_hat * residual[:, None] ** 2).T @ x_hat
    covariance = 400 / 398 * second.normalized_cov_params @ meat @ second.normalized_cov_params
    assert result.se == pytest.approx(math.sqrt(covariance[1, 1]), rel=1e-10)
    # The ratio form of the same estimate: ITT / acceptance difference.
    itt = y[z == 1].mean() - y[z == 0].mean()
    assert result.estimate == pytest.approx(itt / d[z == 1].mean(), abs=1e-12)


def test_cace_with_covariates_matches_statsmodels_iv2sls() -> None:
    frame = _trial(600, seed=3)
    covariates = frame[["education", "parity", "region"]]
    result = complier_effect(frame["y"], frame["z"], frame["d"], covariates)
    controls = pd.get_dummies(covariates.astype({"region": "category"}), columns=["region"],
                              drop_first=True, dtype=float)
    exog = sm.add_constant(controls)
    iv = IV2SLS(frame["y"].astype(float), exog.assign(d=frame["d"].astype(float)),
                exog.assign(z=frame["z"].astype(float))).fit()
    assert result.estimate == pytest.approx(iv.params["d"], abs=1e-8)
    # HC1 SE by statsmodels alone: with one instrument the IV score is the reduced-form
    # score of y - b*d, so SE(b) = HC1 SE of z in OLS(y - b*d ~ z + X) / first-stage coef.
    instruments = exog.assign(z=frame["z"].astype(float))
    first = sm.OLS(frame["d"].astype(float), instruments).fit()
    transformed = sm.OLS(frame["y"] - iv.params["d"] * frame["d"], instruments).fit(cov_type="HC1")
    assert result.se == pytest.approx(transformed.bse["z"] / first.params["z"],
                                                 rel=1e-8)
    assert result.details["acceptance_difference"] == pytest.approx(first.params["z"], abs=1e-10)
    # Indirect least squares: the estimate is exactly the adjusted ITT / adjusted take-up.
    assert result.estimate == pytest.approx(
        result.details["itt"] / result.details["acceptance_difference"], abs=1e-12)
    assert sorted(result.details["adjusted_for"]) == sorted(controls.columns)


@pytest.mark.parametrize(
    ("y", "z", "d", "covariates", "words"),
    [
        ([1, 0, 1, 0, 1, 0], [1, 1, 1, 0, 0, 0], [0, 0, 0, 0, 0, 0], None, "nobody took up"),
        ([1, 1, 1, 1, 1, 1], [1, 1, 1, 0, 0, 0], [1, 0, 1, 0, 0, 0], None, "same outcome"),
        ([1, 0, 1, 0], [1, 1, 1, 1], [1, 0, 1, 0], None, "no children in the comparison"),
        ([1, 0, 1, 0, 1, 0], [1, 1, 1, 0, 0, 0], [1, 0, 1, 0, 0, 0],
         pd.DataFrame({"area_code": [7, 7, 7, 3, 3, 3]}), "determined by the covariates"),
    ],
)
def test_cace_not_estimable_gives_the_reason(y, z, d, covariates, words) -> None:
    result = complier_effect(y, z, d, covariates)
    assert not result.estimable
    assert words in result.reason
    assert result.measure == "risk_difference" and result.method == "cace"


def test_cace_take_up_equal_in_both_arms_is_not_estimable() -> None:
    # Two-sided: half accept in both arms, so the offer changes nobody's take-up.
    result = complier_effect([1, 0, 1, 0, 1, 0, 0, 1], [1, 1, 1, 1, 0, 0, 0, 0],
                             [1, 1, 0, 0, 1, 1, 0, 0])
    assert not result.estimable and "no compliers" in result.reason
    assert result.details["one_sided"] is False


def test_missing_acceptance_is_0_where_not_offered_and_dropped_where_offered() -> None:
    frame = _children(HAND_TABLE)
    accepted = frame["d"].astype("Float64")
    accepted[frame["z"] == 0] = pd.NA  # the comparison arm is never asked
    result = complier_effect(frame["y"], frame["z"], accepted)
    assert result.estimate == pytest.approx(0.08, abs=1e-12)
    assert result.details["acceptance_missing_not_offered_taken_as_0"] == 100
    accepted[0] = pd.NA  # an accepting intervention child with the event: unknown take-up
    result = complier_effect(frame["y"], frame["z"], accepted)
    assert result.details["rows_dropped_missing_acceptance"] == 1 and result.n == 199
    # 45/99 - 40/100 over 74/99, by hand
    assert result.estimate == pytest.approx((45 / 99 - 0.40) / (74 / 99), abs=1e-12)


def test_weak_first_stage_is_flagged() -> None:
    # 1 of 100 offered families accepted: first-stage F = t^2 well below 10.
    frame = _children({(1, 0): (100, 1, 1, 40), (0, 0): (100, 0, 0, 40)})
    result = complier_effect(frame["y"], frame["z"], frame["d"])
    assert "weak_instrument" in result.flags
    assert result.details["first_stage_f"] < 10


def test_cace_simulation_recovers_the_complier_effect_and_covers_it() -> None:
    # One large trial: the per-protocol contrast is biased by selection, the CACE is not.
    frame = _trial(20_000, seed=2024, effect=0.1)
    result = complier_effect(frame["y"], frame["z"], frame["d"])
    assert abs(result.estimate - 0.1) < 3 * result.se
    assert result.se < 0.02
    per_protocol = frame.loc[frame["d"] == 1, "y"].mean() - frame.loc[frame["z"] == 0, "y"].mean()
    # Compliers' baseline is 0.15 above never-takers', so 0.15 * (1 - 0.7) = 0.045 above the
    # comparison arm's average: the per-protocol contrast is biased by about that much.
    assert per_protocol - 0.1 > 0.03
    # Coverage of the 95 % interval over 200 seeded trials of 1,000 children.
    covered = 0
    for seed in range(200):
        replicate = _trial(1_000, seed=10_000 + seed, effect=0.1)
        estimate = complier_effect(replicate["y"], replicate["z"], replicate["d"])
        covered += estimate.ci_low <= 0.1 <= estimate.ci_high
    assert 0.91 <= covered / 200 <= 0.99


# Fuzzy DiD cells (treated_area, post): (children, accepted, events accepted, events declined).
# Intervention areas after the start: 40 children, 30 accepted (22 events), 10 declined
# (4 events) -> 26/40. Before: 16/40. Comparison areas: 18/40 after, 14/40 before.
FUZZY_TABLE = {(1, 1): (40, 30, 22, 4), (1, 0): (40, 0, 0, 16),
               (0, 1): (40, 0, 0, 18), (0, 0): (40, 0, 0, 14)}


def test_fuzzy_did_on_a_hand_made_table() -> None:
    frame = _children(FUZZY_TABLE)
    result = fuzzy_did(frame["y"], frame["z"], frame["post"], frame["d"], frame["area"])
    # DiD of the outcome: (26/40 - 16/40) - (18/40 - 14/40) = 0.25 - 0.10 = 0.15
    # DiD of take-up:     (30/40 - 0) - (0 - 0) = 0.75;      Wald-DID = 0.15/0.75 = 0.2
    assert result.method == "fuzzy_did" and result.measure == "risk_difference"
    assert result.estimate == pytest.approx(0.2, abs=1e-12)
    assert result.details["did_outcome"] == pytest.approx(0.15, abs=1e-12)
    assert result.details["did_take_up"] == pytest.approx(0.75, abs=1e-12)
    assert result.details["take_up_intervention_post"] == 0.75
    assert result.details["sharp"] is True and result.n_clusters == 4


def test_fuzzy_did_with_take_up_outside_the_offer_is_the_general_ratio() -> None:
    # As above but 4 of the 40 comparison children after the start took the programme up
    # (2 of them with the event, so the comparison cell still has 18 events):
    # DiD of take-up = 0.75 - 4/40 = 0.65; Wald-DID = 0.15/0.65.
    cells = FUZZY_TABLE | {(0, 1): (40, 4, 2, 16)}
    frame = _children(cells)
    result = fuzzy_did(frame["y"], frame["z"], frame["post"], frame["d"], frame["area"])
    assert result.estimate == pytest.approx(0.15 / 0.65, abs=1e-12)
    assert result.details["sharp"] is False and result.details["take_up_outside_offer"] == 4


def _areas(n_per_arm: int, children: int, seed: int, effect: float = 0.1) -> pd.DataFrame:
    """Areas x periods; in intervention areas after the start, families with a higher
    baseline risk accept more often; the programme raises the outcome of acceptors by
    `effect`. Area effects and a common trend, parallel without the programme."""
    rng = np.random.default_rng(seed)
    n_areas = 2 * n_per_arm
    area = np.repeat(np.arange(n_areas), 2 * children)
    post = np.tile(np.repeat([0, 1], children), n_areas)
    arm = (area < n_per_arm).astype(int)
    area_effect = rng.normal(0, 0.05, n_areas)[area]
    risk_factor = rng.random(len(area)) < 0.4
    baseline = 0.30 + area_effect + 0.04 * post + 0.15 * risk_factor
    accepts = arm * post * (rng.random(len(area)) < np.where(risk_factor, 0.8, 0.5))
    y = rng.random(len(area)) < np.clip(baseline + effect * accepts, 0, 1)
    return pd.DataFrame({
        "y": y.astype(int), "z": arm, "post": post, "d": accepts.astype(int),
        "area": [f"area{i}" for i in area], "half_year": rng.integers(0, 2, len(area)) + 2 * post,
        "risk_factor": risk_factor.astype(int)})


def test_fuzzy_did_se_equals_statsmodels_cluster_robust_reduced_form() -> None:
    frame = _areas(4, 60, seed=8)
    result = fuzzy_did(frame["y"], frame["z"], frame["post"], frame["d"], frame["area"])
    g, t = frame["z"].astype(float), frame["post"].astype(float)
    instruments = pd.DataFrame({"const": 1.0, "g": g, "t": t, "gt": g * t})
    first = sm.OLS(frame["d"].astype(float), instruments).fit()
    reduced = sm.OLS(frame["y"].astype(float), instruments).fit()
    assert result.estimate == pytest.approx(reduced.params["gt"] / first.params["gt"], abs=1e-12)
    # CR1 by area (statsmodels: G/(G-1) * (N-1)/(N-K)) of the reduced form of y - b*d
    # over the first stage: the IV's clustered SE, exactly.
    transformed = sm.OLS(frame["y"] - result.estimate * frame["d"], instruments).fit(
        cov_type="cluster", cov_kwds={"groups": pd.factorize(frame["area"])[0]})
    se_cluster = transformed.bse["gt"] / first.params["gt"]
    assert result.details["se_cluster_robust"] == pytest.approx(se_cluster, rel=1e-10)
    hc1 = sm.OLS(frame["y"] - result.estimate * frame["d"], instruments).fit(cov_type="HC1")
    assert result.details["se_hc1"] == pytest.approx(hc1.bse["gt"] / first.params["gt"], rel=1e-10)
    assert result.se == max(result.details["se_cluster_robust"],
                                       result.details["se_hc1"])
    half_width = stats.t.isf(0.025, 7) * result.se
    assert result.ci_high - result.estimate == pytest.approx(half_width, rel=1e-12)


def test_fuzzy_did_with_fixed_effects_is_the_ratio_of_the_two_did_regressions() -> None:
    # With area and half-year fixed effects and a covariate, the Wald-DID is the DiD
    # coefficient of the outcome over the DiD coefficient of take-up (indirect least
    # squares), each from the project's DiD regression.
    frame = _areas(3, 50, seed=4)
    covariates = frame[["risk_factor"]]
    options = {"area_effects": True, "period_effects": frame["half_year"],
               "wild_bootstrap": False}
    outcome = difference_in_differences(frame["y"], frame["z"], frame["post"], frame["area"],
                                        covariates, **options)
    take_up = difference_in_differences(frame["d"], frame["z"], frame["post"], frame["area"],
                                        covariates, **options)
    result = fuzzy_did(frame["y"], frame["z"], frame["post"], frame["d"], frame["area"],
                       covariates, area_effects=True, period_effects=frame["half_year"])
    expected = (outcome.heteroskedasticity_robust.estimate
                / take_up.heteroskedasticity_robust.estimate)
    assert result.estimate == pytest.approx(expected, abs=1e-10)
    assert result.details["did_take_up"] == pytest.approx(
        take_up.heteroskedasticity_robust.estimate, abs=1e-10)


def test_fuzzy_did_one_area_per_arm_gives_no_interval() -> None:
    frame = _areas(1, 80, seed=1)
    result = fuzzy_did(frame["y"], frame["z"], frame["post"], frame["d"], frame["area"])
    assert result.estimable and result.ci_low is None and result.p_value is None
    assert "one area in an arm" in result.reason


@pytest.mark.parametrize(
    ("change", "words"),
    [
        ({"d": 0}, "nobody took up"),
        ({"y": 1}, "same outcome"),
    ],
)
def test_fuzzy_did_not_estimable_gives_the_reason(change, words) -> None:
    frame = _children(FUZZY_TABLE).assign(**change)
    result = fuzzy_did(frame["y"], frame["z"], frame["post"], frame["d"], frame["area"])
    assert not result.estimable and words in result.reason


def test_fuzzy_did_empty_cell_and_area_switching_arm() -> None:
    frame = _children(FUZZY_TABLE)
    no_pre_comparison = frame[~((frame["z"] == 0) & (frame["post"] == 0))]
    result = fuzzy_did(no_pre_comparison["y"], no_pre_comparison["z"], no_pre_comparison["post"],
                       no_pre_comparison["d"], no_pre_comparison["area"])
    assert not result.estimable and "comparison_pre" in result.reason
    switched = frame.assign(area=frame["area"].str[-1])  # t0 and c0 merged into area "0"
    result = fuzzy_did(switched["y"], switched["z"], switched["post"], switched["d"],
                       switched["area"])
    assert not result.estimable and "labelled both intervention and comparison" in result.reason


def test_fuzzy_did_simulation_recovers_the_effect_on_takers() -> None:
    # 10 + 10 areas, 100 children per area and period; acceptors are selected on a risk
    # factor (+0.15 baseline), which a DiD among acceptors would mistake for an effect.
    # Over 200 seeded studies the mean estimate is within 0.015 of the truth (its Monte
    # Carlo SE is about 0.004) and the 95 % interval covers the truth 91-99 % of the time.
    estimates, covered = [], 0
    for seed in range(200):
        frame = _areas(10, 100, seed=1_000 + seed, effect=0.1)
        result = fuzzy_did(frame["y"], frame["z"], frame["post"], frame["d"], frame["area"])
        estimates.append(result.estimate)
        covered += result.ci_low <= 0.1 <= result.ci_high
    assert abs(np.mean(estimates) - 0.1) < 0.015
    assert 0.91 <= covered / 200 <= 0.99


def test_an_instrument_matrix_short_of_full_rank_is_a_singular_design() -> None:
    # _fit_iv's check (after the covariates' own): [exog, offer] of rank 2 of 3 by numpy's
    # matrix_rank is not estimable; exog that only tracks the offer closely is
    from pipeline.stats.complier import _fit_iv
    from pipeline.stats.results import NotEstimable

    frame = _children(HAND_TABLE)
    y, d, z = (frame[c].to_numpy(dtype=float) for c in ("y", "d", "z"))
    with pytest.raises(NotEstimable, match="singular design"):
        _fit_iv(y, d, z, np.column_stack([np.ones(len(z)), 2 * z]), None)
    nearly = np.column_stack([np.ones(len(z)), z + np.linspace(-0.01, 0.01, len(z))])
    assert _fit_iv(y, d, z, nearly, None).estimate == pytest.approx(
        IV2SLS(y, np.column_stack([nearly, d]), np.column_stack([nearly, z])).fit().params[-1], rel=1e-9)


def test_the_fuzzy_did_design_is_the_frame_of_its_dummies_column_by_column() -> None:
    # constant, area dummies (numbers in sorted order, first dropped), period dummies (texts
    # in sorted order, first dropped, from a categorical as from text), covariates: the values
    # pd.get_dummies gives, stored column by column as that frame's to_numpy is (the fit's
    # products then sum in the same order: the same numbers to the last digit)
    from pipeline.stats.complier import _did_exog

    clusters = np.array([2, 0, 1, 1, 0, 2])
    periods = ["2020-07", "2019-01", "2020-01", "2019-01", "2020-07", "2020-01"]
    covariates = pd.DataFrame({"age": [30.0, 25, 41, 33, 28, 36]})
    keep = np.ones(6, dtype=bool)
    expected = pd.concat([pd.DataFrame({"const": np.ones(6)}),
                          pd.get_dummies(pd.Series(clusters), drop_first=True, dtype=float),
                          pd.get_dummies(pd.Series(periods, dtype="string"), drop_first=True,
                                         dtype=float),
                          covariates], axis=1).to_numpy(dtype=float)
    for labels in (periods, pd.Categorical(periods)):
        exog = _did_exog(np.zeros(6), np.zeros(6), clusters, keep, labels, True, covariates)
        np.testing.assert_array_equal(exog, expected)
        assert exog.flags["F_CONTIGUOUS"]
    assert expected[:, 3].tolist() == [0, 0, 1, 0, 0, 1]  # 2020-01: the first period after 2019-01


def test_fuzzy_did_on_patterns_with_the_mothers_age_is_every_childs_fit(monkeypatch) -> None:
    """Children with the same area, 0/1 regressors, offer, take-up and outcome are summed as
    one pattern and the mother's age enters by each child's deviation from its pattern's
    mean (`_IvChildren`): the estimate and its CR1 and HC1 SEs are those of every child's
    row, and the CR1 SE statsmodels' clustered SE of the transformed reduced form."""
    from pipeline.stats import complier

    frame = _areas(4, 150, seed=12)
    frame["age"] = np.round(np.random.default_rng(3).normal(30, 5, len(frame)), 1)
    covariates = frame[["risk_factor", "age"]]
    arguments = (frame["y"], frame["z"], frame["post"], frame["d"], frame["area"], covariates)
    offer = (frame["z"] * frame["post"]).to_numpy(float)
    exog = np.column_stack([np.ones(len(frame)), frame["z"], frame["post"],
                            covariates.to_numpy(float)])
    children = complier._IvChildren.of(frame["y"].to_numpy(float), frame["d"].to_numpy(float),
                                       offer, exog, pd.factorize(frame["area"])[0])
    assert children is not None and len(children.counts) <= 8 * 2 * 2 * 2 * 2  # area x post x risk x d x y
    on_patterns = fuzzy_did(*arguments)
    monkeypatch.setattr(complier._IvChildren, "of", classmethod(lambda cls, *_: None))
    on_rows = fuzzy_did(*arguments)
    assert on_patterns.estimate == pytest.approx(on_rows.estimate, rel=1e-10)
    for se in ("se_cluster_robust", "se_hc1", "did_outcome_se", "did_take_up_se"):
        assert on_patterns.details[se] == pytest.approx(on_rows.details[se], rel=1e-10), se
    instruments = pd.DataFrame(np.column_stack([exog, offer]),
                               columns=["const", "z", "post", "risk", "age", "gt"])
    transformed = sm.OLS(frame["y"] - on_patterns.estimate * frame["d"], instruments).fit(
        cov_type="cluster", cov_kwds={"groups": pd.factorize(frame["area"])[0]})
    first = sm.OLS(frame["d"], instruments).fit()
    assert on_patterns.details["se_cluster_robust"] == pytest.approx(
        transformed.bse["gt"] / first.params["gt"], rel=1e-9)
