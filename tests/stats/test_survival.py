"""Survival: Kaplan–Meier, log-rank, Cox with PH test, Turnbull NPMLE."""

import numpy as np
import pandas as pd
import pytest
from statsmodels.duration.hazard_regression import PHReg

from pipeline.stats.survival import (
    cox_hazard_ratio,
    kaplan_meier,
    log_rank_test,
    midpoint_kaplan_meier,
    proportional_hazards_test,
    turnbull,
)

# Freireich et al. (1963) 6-MP remission data (R MASS::gehan; Kleinbaum & Klein,
# Survival Analysis, ch. 2): remission times in weeks, 1 = relapse.
MP_TIME = [6, 6, 6, 6, 7, 9, 10, 10, 11, 13, 16, 17, 19, 20, 22, 23, 25, 32, 32, 34, 35]
MP_EVENT = [1, 1, 1, 0, 1, 0, 1, 0, 0, 1, 1, 0, 0, 0, 1, 1, 0, 0, 0, 0, 0]
PLACEBO_TIME = [1, 1, 2, 2, 3, 4, 4, 5, 5, 8, 8, 8, 8, 11, 11, 12, 12, 15, 17, 22, 23]
TIME = np.array(MP_TIME + PLACEBO_TIME, dtype=float)
EVENT = np.array(MP_EVENT + [1] * 21, dtype=float)
PLACEBO = np.array([0] * 21 + [1] * 21, dtype=float)


def test_kaplan_meier_6mp_textbook_values() -> None:
    # Kleinbaum & Klein, Table 2.? (6-MP group): S(6)=0.8571, S(7)=0.8067, S(10)=0.7529,
    # S(13)=0.6902, S(16)=0.6275, S(22)=0.5378, S(23)=0.4482; median 23 weeks; R
    # survfit prints median 23, 0.95 LCL 13, UCL NA.
    curve = kaplan_meier(MP_TIME, MP_EVENT)
    at_events = curve.survival_at([6, 7, 10, 13, 16, 22, 23])["survival"]
    assert at_events.to_numpy() == pytest.approx(
        [0.8571, 0.8067, 0.7529, 0.6902, 0.6275, 0.5378, 0.4482], abs=1e-4
    )
    assert curve.median.estimate == 23
    assert curve.median.ci_low == 13
    assert curve.median.ci_high is None
    assert "upper_limit_not_reached" in curve.median.flags
    row = curve.table.set_index("time").loc[6.0]
    assert (row["at_risk"], row["events"], row["censored"]) == (21, 3, 1)
    assert curve.at_risk([0, 10, 20, 30])["at_risk"].tolist() == [21, 15, 8, 4]


def test_kaplan_meier_log_log_interval_matches_greenwood_by_hand() -> None:
    # Kalbfleisch & Prentice (2002) log-log interval: S^exp(+-z sqrt(V)/log S), with V
    # Greenwood's sum d/(n(n-d)). At t = 13: risk sets 21, 17, 15, 12 with 3, 1, 1, 1 events.
    greenwood = 3 / (21 * 18) + 1 / (17 * 16) + 1 / (15 * 14) + 1 / (12 * 11)
    survival = 18 / 21 * 16 / 17 * 14 / 15 * 11 / 12
    theta = 1.959964 * np.sqrt(greenwood) / np.log(survival)
    row = kaplan_meier(MP_TIME, MP_EVENT).survival_at([13.0]).iloc[0]
    assert row["ci_low"] == pytest.approx(survival ** np.exp(-theta), abs=1e-6)
    assert row["ci_high"] == pytest.approx(survival ** np.exp(theta), abs=1e-6)


def test_log_rank_6mp_vs_placebo() -> None:
    # Kleinbaum & Klein ch. 2: log-rank chi-square 16.79 on 1 df; O/E for 6-MP 9 / 19.25.
    result = log_rank_test(TIME, EVENT, PLACEBO)
    assert result.statistic == pytest.approx(16.79, abs=0.01)
    assert result.df == 1
    assert result.details["table"].loc[0, "expected"] == pytest.approx(19.25, abs=0.01)
    assert result.details["table"].loc[0, "observed"] == 9


def test_log_rank_expected_events_with_ties_and_censoring_at_an_event_time() -> None:
    # Hand count. a: events at 1, 2, 3; b: censored at 1, event at 3. At time 1 all 5 are at
    # risk (a 3, b 2), 1 death; at 2 a 2, b 1, 1 death; at 3 a 1, b 1, 2 deaths (censoring at
    # an event time counts as at risk then). Expected a = 3/5 + 2/3 + 2·1/2, b = 2/5 + 1/3 + 1.
    table = log_rank_test([1, 1, 2, 3, 3], [1, 0, 1, 1, 1], ["a", "b", "a", "b", "a"]).details["table"]
    assert table["observed"].tolist() == [3, 1] and table["n"].tolist() == [3, 2]
    assert table["expected"].tolist() == pytest.approx([3 / 5 + 2 / 3 + 1, 2 / 5 + 1 / 3 + 1], abs=1e-12)


@pytest.mark.parametrize(
    ("ties", "coef", "se"), [("efron", 1.5721, 0.4124), ("breslow", 1.5092, 0.4096)]
)
def test_cox_6mp_matches_r_coxph(ties: str, coef: float, se: float) -> None:
    # R: coxph(Surv(time, cens) ~ treat, data = MASS::gehan, ties = ...):
    # Efron coef 1.572 (se 0.412), HR 4.82; Breslow coef 1.509 (se 0.410), HR 4.52.
    result = cox_hazard_ratio(TIME, EVENT, PLACEBO, ties=ties)
    assert result.hazard_ratio.details["log_hazard_ratio"] == pytest.approx(coef, abs=1e-4)
    assert result.hazard_ratio.se == pytest.approx(se, abs=1e-4)
    assert result.ph_test.p_value > 0.5  # no evidence against PH in these data


def test_ph_test_formula_by_hand_without_ties() -> None:
    # Grambsch & Therneau (1994) / R cox.zph (survival < 3.0) with transform "identity",
    # recomputed here from scratch: Schoenfeld residual = x of the failing child minus the
    # risk-set weighted mean of x; chi2 = d V (sum g r)^2 / sum g^2 for one covariate.
    rng = np.random.default_rng(2)
    n = 60
    x = rng.binomial(1, 0.5, n).astype(float)
    time = rng.exponential(1 / np.exp(0.7 * x)) + rng.uniform(0, 1e-6, n)
    event = (rng.uniform(size=n) < 0.8).astype(float)
    fit = PHReg(time, x[:, None], status=event).fit(disp=False)
    beta, variance = fit.params[0], fit.cov_params()[0, 0]
    event_times, residuals = [], []
    for i in np.flatnonzero(event == 1):
        at_risk = time >= time[i]
        weights = np.exp(beta * x[at_risk])
        residuals.append(x[i] - np.sum(weights * x[at_risk]) / weights.sum())
        event_times.append(time[i])
    g = np.array(event_times) - np.mean(event_times)
    chi2 = variance * len(g) * np.dot(g, residuals) ** 2 / np.sum(g**2)
    test = proportional_hazards_test(fit, time, event, transform="identity", names=["x"])
    assert test.details["table"].loc["x", "chi2"] == pytest.approx(chi2, rel=1e-8)


def test_ph_test_detects_crossing_hazards() -> None:
    # Treated: high early hazard then none; comparison: constant hazard.
    rng = np.random.default_rng(4)
    n = 300
    treated = np.repeat([1.0, 0.0], n // 2)
    early = rng.uniform(0, 1, n // 2)
    time = np.concatenate([early, rng.exponential(1.5, n // 2)])
    event = np.ones(n)
    result = cox_hazard_ratio(time, event, treated)
    assert result.ph_test.details["table"].loc["treatment", "p_value"] < 0.001


def test_survival_edge_cases_give_reasons() -> None:
    empty = kaplan_meier([], [])
    assert not empty.median.estimable and "empty" in empty.median.reason
    censored = kaplan_meier([3, 5, 8], [0, 0, 0])
    assert not censored.median.estimable and "no events" in censored.median.reason
    assert censored.table["survival"].eq(1.0).all()
    not_reached = kaplan_meier([1, 2, 3, 4, 5], [1, 0, 0, 0, 0])
    assert "median not reached" in not_reached.median.reason
    no_events_in_arm = cox_hazard_ratio([1, 2, 3, 4], [1, 1, 0, 0], [0, 0, 1, 1])
    assert not no_events_in_arm.hazard_ratio.estimable
    assert "no events in the treated group" in no_events_in_arm.hazard_ratio.reason
    one_child = cox_hazard_ratio([1, 2, 3, 4], [1, 1, 1, 1], [0, 0, 0, 1])
    assert "only one child" in one_child.hazard_ratio.reason
    assert log_rank_test([1, 2], [0, 0], [0, 1]).reason == "no events in any group"


def test_turnbull_hand_example() -> None:
    # Hand derivation. Children: A (0,1], B (0,2], C (1,2], D (3, inf).
    # Ordered endpoints 0L 1R 1L 2R 3L infR give innermost intervals I1=(0,1], I2=(1,2],
    # I3=(3,inf). A covers I1; B covers I1,I2; C covers I2; D covers I3, so the likelihood
    # is p1 (p1+p2) p2 p3. For p3 = s, p1 = p2 = (1-s)/2 maximise it, leaving (1-s)^3 s,
    # maximal at s = 1/4: NPMLE mass (3/8, 3/8, 1/4); S(1)=5/8, S(2)=1/4; the median lies
    # in (1, 2] (reported as its midpoint 1.5).
    result = turnbull([0, 0, 1, 3], [1, 2, 2, np.nan])
    assert result.table["left"].tolist() == [0, 1, 3]
    assert result.table["probability"].to_numpy() == pytest.approx([3 / 8, 3 / 8, 1 / 4], abs=1e-6)
    survival = result.survival_at([1.0, 2.0, 2.5])
    assert survival["survival_upper"].to_numpy() == pytest.approx([5 / 8, 1 / 4, 1 / 4], abs=1e-6)
    assert result.median.estimate == pytest.approx(1.5)
    assert result.median.details["median_bounds"] == [1.0, 2.0]


def test_turnbull_reduces_to_kaplan_meier_for_right_censored_data() -> None:
    # Turnbull (1976) / Efron (1967): with exact and right-censored times only, the
    # self-consistent NPMLE is the Kaplan–Meier estimate. 6-MP group: events exact
    # [t, t], censored (t, inf).
    time = np.array(MP_TIME, dtype=float)
    right = np.where(np.array(MP_EVENT) == 1, time, np.inf)
    result = turnbull(time, right)
    grid = [6, 7, 10, 13, 16, 22, 23, 30]
    km = kaplan_meier(MP_TIME, MP_EVENT).survival_at(grid)["survival"].to_numpy()
    assert result.survival_at(grid)["survival_upper"].to_numpy() == pytest.approx(km, abs=1e-6)
    assert result.median.estimate == pytest.approx(23.0)


def test_turnbull_median_not_reached_and_bootstrap_interval() -> None:
    still_breastfed = turnbull([60, 120, 180, 30], [np.nan, np.nan, np.nan, 60])
    assert not still_breastfed.median.estimable
    assert "median not reached" in still_breastfed.median.reason
    rng = np.random.default_rng(8)
    weaning = rng.gamma(3, 70, 80)
    visits = np.array([0, 14, 60, 120, 180, 240, 365])
    last_yes = visits[np.searchsorted(visits, weaning) - 1]
    first_no = np.where(
        weaning > 365, np.nan, visits[np.minimum(np.searchsorted(visits, weaning), len(visits) - 1)]
    )
    result = turnbull(last_yes, first_no, bootstrap_reps=50, seed=1)
    assert result.median.ci_low <= result.median.estimate <= result.median.ci_high
    midpoint = midpoint_kaplan_meier(last_yes, first_no)
    assert "approximation" in midpoint.method


def test_turnbull_empty_group() -> None:
    result = turnbull([], [])
    assert not result.median.estimable and "empty" in result.median.reason
    frame = pd.DataFrame({"left": [], "right": []})
    assert len(turnbull(frame["left"], frame["right"]).table) == 0


# Breast cosmesis data, radiotherapy-only arm (Finkelstein & Wolfe 1985, Biometrics 41:933),
# months, as listed in SAS/STAT's PROC ICLIFETEST "Getting Started" and R's MLEcens
# `cosmesis`; NaN = no deterioration by the last visit (right-censored).
COSMESIS_RT = [
    (45, np.nan), (25, 37), (37, np.nan), (6, 10), (46, np.nan), (0, 5), (0, 7), (26, 40),
    (18, np.nan), (46, np.nan), (46, np.nan), (24, np.nan), (46, np.nan), (27, 34),
    (36, np.nan), (7, 16), (36, 44), (5, 11), (17, np.nan), (46, np.nan), (19, 35), (7, 14),
    (36, 48), (17, 25), (37, 44), (37, np.nan), (24, np.nan), (0, 8), (40, np.nan),
    (32, np.nan), (4, 11), (17, 25), (33, np.nan), (15, np.nan), (46, np.nan), (19, 26),
    (11, 15), (11, 18), (37, np.nan), (22, np.nan), (38, np.nan), (34, np.nan), (46, np.nan),
    (5, 12), (36, np.nan), (46, np.nan),
]  # fmt: skip


def kuhn_tucker_gradient(left: object, right: object, table: pd.DataFrame) -> np.ndarray:
    """d_j = mean over children of a_ij / P_i, from a dense incidence built independently.

    The log-likelihood is concave in the masses, so d_j <= 1 for every innermost interval,
    with equality where the mass is positive, certifies the NPMLE (Gentleman & Geyer 1994).
    """
    lower = np.asarray(left, dtype=float)
    upper = np.nan_to_num(np.asarray(right, dtype=float), nan=np.inf)
    exact = lower == upper
    q, p = table["left"].to_numpy(), table["right"].to_numpy()
    q_open = table["left_open"].to_numpy(dtype=bool)
    # Child i's interval (lower, upper] (or [t, t]) contains innermost interval j.
    starts_inside = (lower[:, None] < q[None, :]) | (
        (lower[:, None] == q[None, :]) & (exact[:, None] | q_open[None, :])
    )
    incidence = (starts_inside & (p[None, :] <= upper[:, None])).astype(float)
    probability = incidence @ table["probability"].to_numpy()
    return (incidence / probability[:, None]).mean(axis=0)


def assert_is_npmle(left: object, right: object, result) -> None:
    assert result.converged
    gradient = kuhn_tucker_gradient(left, right, result.table)
    mass = result.table["probability"].to_numpy()
    assert gradient.max() <= 1 + 1e-8
    assert gradient[mass > 1e-6] == pytest.approx(1.0, abs=1e-6)
    assert mass.sum() == pytest.approx(1.0, abs=1e-12)
    assert (mass >= 0).all()


def test_turnbull_breast_cosmesis_radiotherapy_only() -> None:
    # Innermost intervals by hand from the ordered endpoints: (4,5], (6,7], (7,8], (11,12],
    # (15,16], (17,18], (24,25], (25,26], (33,34], (34,35], (36,37], (38,40], (40,44],
    # (46,48]. The masses are certified by the Kuhn–Tucker conditions and agree to 2e-12
    # with Turnbull's self-consistency EM iterated to a Kuhn–Tucker gap of 1e-12.
    left, right = (np.array(column, dtype=float) for column in zip(*COSMESIS_RT, strict=True))
    result = turnbull(left, right)
    table = result.table
    assert table["left"].tolist() == [4, 6, 7, 11, 15, 17, 24, 25, 33, 34, 36, 38, 40, 46]
    assert table["right"].tolist() == [5, 7, 8, 12, 16, 18, 25, 26, 34, 35, 37, 40, 44, 48]
    assert_is_npmle(left, right, result)
    expected = [0.0463, 0.0334, 0.0887, 0.0708, 0, 0, 0.0926, 0, 0.0818, 0, 0, 0.1209, 0, 0.4656]
    assert table["probability"].to_numpy() == pytest.approx(expected, abs=1e-4)
    assert result.median.estimate == pytest.approx(39.0)  # S crosses 0.5 in (38, 40]
    assert result.iterations < 50


def weaning_visits(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Last age still breastfed and first age weaned (NaN: still breastfed at the last visit)."""
    rng = np.random.default_rng(seed)
    ages = np.array([7, 61, 122, 183, 244, 365]) + rng.integers(-14, 15, (n, 6))
    ages = np.sort(np.where(rng.uniform(size=ages.shape) < 0.85, ages, 10_000), axis=1)
    weaning = np.ceil(rng.gamma(1.6, 140, n))
    last_yes = np.where(ages < weaning[:, None], ages, 0).max(axis=1).astype(float)
    first_no = np.where(ages >= weaning[:, None], ages, 10_000).min(axis=1).astype(float)
    return last_yes, np.where(first_no < 10_000, first_no, np.nan)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_turnbull_meets_kuhn_tucker_conditions_on_mixed_data(seed: int) -> None:
    # Exact times (some tied with interval ends), intervals sharing ends, and right-censoring.
    rng = np.random.default_rng(seed)
    left = rng.integers(0, 20, 60).astype(float)
    right = left + rng.integers(0, 6, 60)
    right[rng.uniform(size=60) < 0.2] = np.nan
    assert_is_npmle(left, right, turnbull(left, right))


def test_turnbull_weaning_cohort_converges_quickly_and_depends_only_on_shares() -> None:
    # Integer-day assessments around 7, 61, 122, 183, 244 and 365 days: Turnbull's EM
    # needs tens of thousands of iterations on data like these.
    last_yes, first_no = weaning_visits(2_000, seed=9)
    result = turnbull(last_yes, first_no)
    assert result.iterations < 50
    assert_is_npmle(last_yes, first_no, result)
    # Every child counted three times: the same likelihood up to a constant factor.
    tripled = turnbull(np.tile(last_yes, 3), np.tile(first_no, 3))
    assert tripled.table["probability"].to_numpy() == pytest.approx(
        result.table["probability"].to_numpy(), abs=1e-9
    )
    assert tripled.median.estimate == result.median.estimate


def test_turnbull_survives_a_run_whose_mass_vanishes() -> None:
    """Regression: weaning ages of 7,065 synthetic children (hembesok synth, 100k study, one
    comparison area) on which a Newton step once left an observation with probability 0 in
    floating point, and the next linear solve failed. The fit must converge to finite masses."""
    from pathlib import Path

    data = np.load(Path(__file__).parents[1] / "fixtures" / "turnbull_vanishing_run.npz")
    left = np.repeat(data["left"].astype(float), data["count"])
    right = np.repeat(np.where(data["right"] < 0, np.nan, data["right"].astype(float)), data["count"])
    result = turnbull(left, right)
    assert result.converged and len(left) == 7065
    assert np.isfinite(result.table["probability"]).all()
    assert result.table["probability"].sum() == pytest.approx(1.0)


def test_a_proportional_hazards_test_with_all_events_at_one_time_says_why_there_is_none() -> None:
    # every event on day 5: g(t) is constant, so the Grambsch–Therneau statistic is 0/0
    time = np.array([5.0, 5, 5, 5, 9, 9, 9, 9])
    event = np.array([1, 1, 1, 1, 0, 0, 0, 0])
    result = cox_hazard_ratio(time, event, np.array([1.0, 0, 1, 0, 1, 0, 1, 0]))
    assert not result.ph_test.estimable and "do not vary" in result.ph_test.reason
    assert not result.ph_tests["treatment"].estimable


def test_the_exposure_row_is_named_after_the_variable_passed_in() -> None:
    time = np.array([2, 3, 5, 7, 8, 1, 2, 4, 4, 6], dtype=float)
    event = np.array([1, 1, 0, 1, 1, 1, 1, 1, 1, 1])
    treatment = np.array([1] * 5 + [0] * 5, dtype=float)
    plain = cox_hazard_ratio(time, event, treatment)
    named = cox_hazard_ratio(time, event, treatment, exposure_name="home_visits")
    assert list(named.coefficients.index) == ["home_visits"] and set(named.ph_tests) == {"home_visits"}
    assert named.hazard_ratio.estimate == plain.hazard_ratio.estimate  # 0.3035, as R's coxph
    with pytest.raises(ValueError, match="also a covariate term"):
        cox_hazard_ratio(time, event, treatment, pd.DataFrame({"age": np.arange(10.0)}), exposure_name="age")
