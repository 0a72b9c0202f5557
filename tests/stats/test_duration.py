"""Durations: grouped-time PH hazard ratio (vs a person-period cloglog GLM and a
simulation), RMST and its difference (hand computation, survRM2's printed example), and
the RMST difference-in-differences with its area bootstrap."""

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from statsmodels.stats.sandwich_covariance import cov_cluster

from pipeline.stats.duration import (
    discrete_time_hazard_ratio,
    restricted_mean_survival,
    rmst_did,
    rmst_difference,
)

CUTS = np.array([0, 30, 91, 152, 213, 305, 426], dtype=float)
# Assessment windows in days, as in Socialstyrelsen's breastfeeding statistics.
WINDOWS = [(0, 18), (42, 82), (105, 143), (167, 213), (227, 274), (335, 426)]

# Freireich et al. (1963) 6-MP remission data (weeks; 1 = relapse), as in test_survival.
MP_TIME = [6, 6, 6, 6, 7, 9, 10, 10, 11, 13, 16, 17, 19, 20, 22, 23, 25, 32, 32, 34, 35]
MP_EVENT = [1, 1, 1, 0, 1, 0, 1, 0, 0, 1, 1, 0, 0, 0, 1, 1, 0, 0, 0, 0, 0]
PLACEBO_TIME = [1, 1, 2, 2, 3, 4, 4, 5, 5, 8, 8, 8, 8, 11, 11, 12, 12, 15, 17, 22, 23]

# Mayo Clinic PBC trial, the 312 randomised patients (R survival::pbc rows 1-312), as
# days:status:trt (status 2 = death; trt 1 = D-penicillamine, 2 = placebo). survRM2's
# vignette (rmst2.sample.data(): years = days / 365.25, arm = trt == 1) prints for tau = 10:
# RMST arm 1 7.146 (se 0.283), arm 0 7.283 (se 0.295); difference -0.137
# (95% CI -0.939 to 0.665), p = 0.738.
PBC_312 = """
    400:2:1 4500:0:1 1012:2:1 1925:2:1 1504:1:2 2503:2:2 1832:0:2 2466:2:2 2400:2:1 51:2:2 3762:2:2
    304:2:2 3577:0:2 1217:2:2 3584:2:1 3672:0:2 769:2:2 131:2:1 4232:0:1 1356:2:2 3445:0:2 673:2:1
    264:2:2 4079:2:1 4127:0:2 1444:2:2 77:2:2 549:2:2 4509:0:2 321:2:2 3839:2:2 4523:0:2 3170:2:2
    3933:0:1 2847:2:2 3611:0:2 223:2:1 3244:2:2 2297:2:1 4467:0:1 1350:2:1 4453:0:2 4556:0:1
    3428:2:2 4025:0:2 2256:2:1 2576:0:2 4427:0:2 708:2:2 2598:2:1 3853:2:2 2386:2:1 1000:2:1
    1434:2:1 1360:2:1 1847:2:2 3282:2:1 4459:0:1 2224:2:1 4365:0:1 4256:0:2 3090:2:2 859:2:2
    1487:2:2 3992:0:1 4191:2:1 2769:2:2 4039:0:1 1170:2:1 3458:0:1 4196:0:2 4184:0:2 4190:0:2
    1827:2:1 1191:2:1 71:2:1 326:2:2 1690:2:1 3707:0:1 890:2:2 2540:2:1 3574:2:1 4050:0:1 4032:0:2
    3358:2:2 1657:2:1 198:2:1 2452:0:2 1741:2:1 2689:2:1 460:2:2 388:2:1 3913:0:1 750:2:1 130:2:2
    3850:0:1 611:2:2 3823:0:1 3820:0:2 552:2:2 3581:0:2 3099:0:1 110:2:2 3086:2:1 3092:1:2 3222:2:1
    3388:0:2 2583:2:1 2504:0:2 2105:2:1 2350:1:1 3445:2:2 980:2:1 3395:2:2 3422:0:2 3336:0:1
    1083:2:1 2288:2:1 515:2:1 2033:1:1 191:2:2 3297:0:1 971:2:1 3069:0:1 2468:1:2 824:2:1 3255:0:2
    1037:2:1 3239:0:1 1413:2:2 850:2:2 2944:0:1 2796:2:2 3149:0:2 3150:0:1 3098:0:1 2990:0:1
    1297:2:1 2106:0:2 3059:0:1 3050:0:1 2419:2:2 786:2:2 943:2:2 2976:0:2 2615:0:2 2995:0:1 1427:2:2
    762:2:1 2891:0:2 2870:0:1 1152:2:1 2863:0:1 140:2:1 2666:0:2 853:2:2 2835:0:2 2475:1:1 1536:2:2
    2772:0:2 2797:0:2 186:2:2 2055:2:1 264:2:2 1077:2:1 2721:0:2 1682:2:1 2713:0:2 1212:2:2 2692:0:1
    2574:0:1 2301:0:2 2657:0:1 2644:0:1 2624:0:2 1492:2:1 2609:0:2 2580:0:1 2573:0:2 2563:0:2
    2556:0:1 2555:0:1 2241:1:2 974:2:2 2527:0:1 1576:2:1 733:2:2 2332:0:1 2456:0:2 2504:0:1 216:2:2
    2443:0:1 797:2:2 2449:0:1 2330:0:1 2363:0:1 2365:0:1 2357:0:2 1592:0:1 2318:0:2 2294:0:2
    2272:0:1 2221:0:2 2090:2:2 2081:2:1 2255:0:1 2171:0:1 904:2:1 2216:0:2 2224:0:2 2195:0:2
    2176:0:2 2178:0:1 1786:2:2 1080:2:2 2168:0:1 790:2:2 2170:0:1 2157:0:2 1235:2:1 2050:0:2 597:2:2
    334:2:1 1945:0:1 2022:0:1 1978:0:2 999:2:1 1967:0:2 348:2:1 1979:0:2 1165:2:2 1951:0:1 1932:0:1
    1776:0:2 1882:0:2 1908:0:1 1882:0:1 1874:0:2 694:2:1 1831:0:1 837:1:2 1810:0:1 930:2:2 1690:2:1
    1790:0:2 1435:1:1 732:1:1 1785:0:2 1783:0:1 1769:0:2 1457:0:1 1770:0:1 1765:0:1 737:1:1 1735:0:2
    1701:0:1 1614:0:1 1702:0:1 1615:0:2 1656:0:2 1677:0:2 1666:0:2 1301:1:2 1542:1:2 1084:1:2
    1614:0:1 179:2:1 1191:2:1 1363:0:2 1568:0:1 1569:0:2 1525:0:1 1558:0:2 1447:1:1 1349:0:1
    1481:0:1 1434:0:2 1420:0:2 1433:0:2 1412:0:1 41:2:1 1455:0:2 1030:0:2 1418:0:2 1401:0:1 1408:0:1
    1234:0:1 1067:1:2 799:2:1 1363:0:1 901:1:1 1329:0:2 1320:0:2 1302:0:1 877:1:1 1321:0:2 533:1:1
    1300:0:2 1293:0:1 207:2:2 1295:0:2 1271:0:1 1250:0:2 1230:0:1 1216:0:2 1216:0:2 1149:0:2
    1153:0:1 994:0:2 939:0:1 839:0:1 788:0:2
"""


def _pbc() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rows = np.array([token.split(":") for token in PBC_312.split()], dtype=float)
    return rows[:, 0] / 365.25, (rows[:, 1] == 2).astype(float), (rows[:, 2] == 1).astype(float)


# --------------------------------------------------------------------------- grouped-time PH


def _on_grid_data(seed: int = 1, n: int = 600) -> pd.DataFrame:
    """Children whose (left, right] lies inside one grid interval, or censored at a cut."""
    rng = np.random.default_rng(seed)
    interval = rng.integers(1, len(CUTS), n)  # event interval (1-based)
    censored = rng.random(n) < 0.3
    censored_at = rng.integers(1, len(CUTS), n)
    inset = rng.integers(0, 5, n)  # assessments a few days inside the interval
    return pd.DataFrame(
        {
            "left": np.where(censored, CUTS[censored_at], CUTS[interval - 1] + inset),
            "right": np.where(censored, np.nan, CUTS[interval] - inset),
            "treated": rng.integers(0, 2, n),
            "mother_age": rng.normal(30, 5, n),
            "area": rng.integers(0, 8, n),
            "interval": np.where(censored, censored_at, interval),
            "event": (~censored).astype(int),
        }
    )


def _person_period_glm(data: pd.DataFrame):
    """Independent fit: one row per child and interval at risk, binomial GLM, cloglog."""
    rows = [
        (child, j, int(row.event == 1 and j == row.interval))
        for child, row in enumerate(data.itertuples())
        for j in range(1, int(row.interval) + 1)
    ]
    periods = pd.DataFrame(rows, columns=["child", "interval", "y"])
    exog = pd.get_dummies(periods["interval"], prefix="interval", dtype=float)
    exog["treated"] = data["treated"].to_numpy()[periods["child"]]
    exog["mother_age"] = data["mother_age"].to_numpy()[periods["child"]]
    family = sm.families.Binomial(link=sm.families.links.CLogLog())
    model = sm.GLM(periods["y"], exog, family=family)
    start = model.fit(tol=1e-13, maxiter=200).params.to_numpy()
    fit = model.fit(method="newton", start_params=start, tol=1e-12, maxiter=100)
    return fit, data["area"].to_numpy()[periods["child"]]


def test_on_grid_data_equals_person_period_cloglog_glm() -> None:
    # On-grid intervals make S(c_{k-1}) - S(c_k) the product of person-period Bernoulli
    # terms, so the two likelihoods are the same function of the same parameters.
    data = _on_grid_data()
    result = discrete_time_hazard_ratio(
        data["left"], data["right"], data["treated"], data[["mother_age"]], cut_points=CUTS
    )
    glm, _ = _person_period_glm(data)
    params, bse = glm.params.to_numpy(), glm.bse.to_numpy()  # observed information (newton)
    assert result.converged
    assert result.coefficients["coef"].to_numpy() == pytest.approx(params[-2:], abs=1e-6)
    assert result.coefficients["se"].to_numpy() == pytest.approx(bse[-2:], abs=1e-6)
    assert result.baseline["log_log_hazard"].to_numpy() == pytest.approx(params[:-2], abs=1e-6)
    assert result.baseline["se"].to_numpy() == pytest.approx(bse[:-2], abs=1e-6)
    assert result.log_likelihood == pytest.approx(glm.llf, abs=1e-6)
    hr = result.hazard_ratio
    assert (hr.measure, hr.method) == ("hazard_ratio", "discrete_time")
    assert hr.estimate == pytest.approx(np.exp(params[-2]), rel=1e-6)
    z = 1.959963984540054
    assert hr.ci_low == pytest.approx(np.exp(params[-2] - z * bse[-2]), rel=1e-6)
    assert hr.p_value == pytest.approx(glm.pvalues.iloc[-2], rel=1e-5)
    assert (hr.n, hr.events) == (600, int(data["event"].sum()))
    assert result.baseline["hazard"].to_numpy() == pytest.approx(
        1 - np.exp(-np.exp(params[:-2])), abs=1e-6
    )
    assert "discrete_time" in hr.summary() and "baseline hazard" in result.summary()


def test_a_fit_the_trust_region_search_leaves_short_is_finished_by_newton_steps(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # trust-exact may stop ("a bad approximation caused failure to predict improvement")
    # with the score just above the tolerance, on some machines' BLAS kernels and not on
    # others; the fit must then still end at the maximum, not be reported as not converged
    from scipy import optimize

    import pipeline.stats.duration as duration

    full_search = optimize.minimize

    def stops_after_one(*args, **kwargs):
        kwargs["options"] = {**kwargs["options"], "maxiter": 1}
        return full_search(*args, **kwargs)

    monkeypatch.setattr(duration.optimize, "minimize", stops_after_one)
    data = _on_grid_data()
    result = discrete_time_hazard_ratio(
        data["left"], data["right"], data["treated"], data[["mother_age"]], cut_points=CUTS
    )
    glm, _ = _person_period_glm(data)
    assert result.converged and result.iterations > 1
    assert result.coefficients["coef"].to_numpy() == pytest.approx(glm.params.to_numpy()[-2:],
                                                                    abs=1e-8)
    assert result.log_likelihood == pytest.approx(glm.llf, abs=1e-8)


def test_cluster_robust_matches_statsmodels_sandwich() -> None:
    # A child's score is the sum of its person-period scores, so clustering either data
    # set by area gives the same sandwich; statsmodels without its (N-1)/(N-K) factor,
    # times G/(G-1).
    data = _on_grid_data(seed=5)
    result = discrete_time_hazard_ratio(
        data["left"],
        data["right"],
        data["treated"],
        data[["mother_age"]],
        cut_points=CUTS,
        cluster=data["area"],
    )
    glm, area_per_row = _person_period_glm(data)
    covariance = cov_cluster(glm, area_per_row, use_correction=False) * 8 / 7
    assert result.coefficients["se"].to_numpy() == pytest.approx(
        np.sqrt(np.diag(covariance))[-2:], abs=1e-6
    )
    assert result.n_clusters == 8
    assert result.hazard_ratio.details["interval"] == "Wald, t with 7 df"
    assert any("8 clusters" in caveat for caveat in result.caveats)


def test_off_grid_ends_are_rounded_outwards() -> None:
    # (40, 80] lies inside (30, 91]; (10, 100] rounds to (0, 152]; censored at 200 counts
    # as censored at 152; an exact time 91 belongs to (30, 91].
    data = _on_grid_data(seed=2, n=300)
    base = discrete_time_hazard_ratio(
        data["left"], data["right"], data["treated"], cut_points=CUTS
    )
    moved = data.copy()
    on_30_91 = (moved["left"] == 30) & (moved["right"] == 91)
    moved.loc[on_30_91, ["left", "right"]] = [40.0, 80.0]
    moved.loc[moved.index[on_30_91][:3], ["left", "right"]] = [91.0, 91.0]
    censored_152 = (moved["left"] == 152) & moved["right"].isna()
    moved.loc[censored_152, "left"] = 200.0
    shifted = discrete_time_hazard_ratio(
        moved["left"], moved["right"], moved["treated"], cut_points=CUTS
    )
    assert on_30_91.sum() > 3 and censored_152.sum() > 0
    assert shifted.hazard_ratio.estimate == pytest.approx(base.hazard_ratio.estimate, rel=1e-9)
    assert shifted.log_likelihood == pytest.approx(base.log_likelihood, rel=1e-12)


def test_exact_event_at_the_first_cut_point_counts_in_the_first_interval() -> None:
    """A child weaned on the day of birth (never breastfed, assessed that day: left = right =
    0) has no interval of its own; rounded outwards it is weaned in (0, c1], exactly as a
    child known weaned by c1. A national cohort's records hold such a child; it stopped the
    compare stage before."""
    data = _on_grid_data(seed=3, n=300)
    first = (data["left"] == CUTS[0]) & (data["right"] == CUTS[1])
    assert first.sum() > 2
    base = discrete_time_hazard_ratio(data["left"], data["right"], data["treated"], cut_points=CUTS)
    moved = data.copy()
    moved.loc[moved.index[first][:2], "right"] = float(CUTS[0])
    at_start = discrete_time_hazard_ratio(moved["left"], moved["right"], moved["treated"], cut_points=CUTS)
    assert at_start.hazard_ratio.estimate == base.hazard_ratio.estimate
    assert at_start.log_likelihood == base.log_likelihood
    assert at_start.hazard_ratio.details["events_at_start_in_first_interval"] == 2
    assert base.hazard_ratio.details["events_at_start_in_first_interval"] == 0


def test_hazard_beyond_the_last_passed_cut_point_is_not_estimated() -> None:
    # Nobody is known to have passed 152 event-free, so S(152) = 0 maximises the
    # likelihood: events in (91, 152] only say "passed 91"; (91, 152] is not estimated.
    rng = np.random.default_rng(4)
    n = 400
    kind = rng.integers(0, 3, n)
    left = np.choose(kind, [0.0, 30.0, 91.0])
    right = np.choose(kind, [30.0, 91.0, 152.0])
    right = np.where((kind == 2) & (rng.random(n) < 0.5), np.nan, right)
    treated = rng.integers(0, 2, n)
    result = discrete_time_hazard_ratio(left, right, treated, cut_points=[0, 30, 91, 152])
    beyond = int(((kind == 2) & ~np.isnan(right)).sum())
    assert result.hazard_ratio.details["events_beyond_identified_grid"] == beyond
    assert result.events == int((kind < 2).sum())
    assert np.isnan(result.baseline["hazard"].iloc[-1])
    assert "not estimated" in result.baseline["note"].iloc[-1]


def test_interval_where_no_event_can_lie_has_hazard_zero() -> None:
    data = _on_grid_data(seed=3, n=400)
    # Move every event of (91, 152] to (152, 213]: no event can lie in (91, 152] any more.
    moved = data["interval"] == 3
    data.loc[moved & (data["event"] == 1), ["left", "right"]] = [152.0, 213.0]
    result = discrete_time_hazard_ratio(
        data["left"], data["right"], data["treated"], cut_points=CUTS
    )
    row = result.baseline.iloc[2]
    assert row["hazard"] == 0 and "no event" in row["note"]
    assert result.hazard_ratio.details["intervals_without_events"] == [[91.0, 152.0]]
    assert result.hazard_ratio.estimable


def _weaning_data(seed: int, n: int = 4000, hazard_ratio: float = 0.7):
    """Weibull weaning ages (proportional hazards), assessed once in each window (85%)."""
    rng = np.random.default_rng(seed)
    treated = rng.integers(0, 2, n)
    # S(t) = exp(-(t / 220)^1.3 * HR^treated)
    weaning = 220.0 * (-np.log(rng.random(n)) / hazard_ratio**treated) ** (1 / 1.3)
    ages = np.column_stack([rng.integers(a, b + 1, n) for a, b in WINDOWS]).astype(float)
    ages[rng.random(ages.shape) > 0.85] = np.nan
    # Missed assessments (NaN) compare False both ways, so they are neither yes nor no.
    last_yes = np.where(ages < weaning[:, None], ages, -np.inf).max(axis=1)
    first_no = np.where(ages >= weaning[:, None], ages, np.inf).min(axis=1)
    left = np.where(np.isinf(last_yes), 0.0, last_yes)  # weaned by the first assessment
    right = np.where(np.isinf(first_no), np.nan, first_no)  # still breastfed at the last
    return left, right, treated


def test_simulated_hazard_ratio_is_recovered_from_assessment_windows() -> None:
    left, right, treated = _weaning_data(seed=20240601)
    result = discrete_time_hazard_ratio(left, right, treated, cut_points=CUTS)
    hr = result.hazard_ratio
    assert result.converged
    assert hr.ci_low < 0.7 < hr.ci_high
    assert hr.estimate == pytest.approx(0.7, abs=0.06)


def test_hazard_ratio_not_estimable_without_events_in_a_group() -> None:
    left = np.array([0, 30, 30, 91, 0, 30], dtype=float)
    right = np.array([30, 91, np.nan, np.nan, np.nan, np.nan])
    treated = np.array([0, 0, 0, 0, 1, 1])
    result = discrete_time_hazard_ratio(left, right, treated, cut_points=[0, 30, 91])
    assert not result.hazard_ratio.estimable
    assert "no events in the treated group" in result.hazard_ratio.reason
    assert result.coefficients.empty
    assert "not estimable" in result.summary()


def test_exposure_row_is_named_after_the_variable_passed_in() -> None:
    # the saturated one-interval example of the docstring: HR log(1 - 0.5) / log(1 - 0.75)
    left = [0] * 4 + [10] * 4 + [0] * 6 + [10] * 2
    right = [10] * 4 + [np.inf] * 4 + [10] * 6 + [np.inf] * 2
    treated = [1] * 8 + [0] * 8
    named = discrete_time_hazard_ratio(left, right, treated, cut_points=[0, 10],
                                       exposure_name="home_visits")
    assert list(named.coefficients.index) == ["home_visits"]
    assert named.coefficients.loc["home_visits", "hazard_ratio"] == pytest.approx(0.5)
    assert discrete_time_hazard_ratio(left, right, treated, cut_points=[0, 10]
                                      ).coefficients.index[0] == "treated"
    with pytest.raises(ValueError, match="'parity', the exposure's name"):
        discrete_time_hazard_ratio(left, right, treated, pd.DataFrame({"parity": [1] * 16}),
                                   cut_points=[0, 10], exposure_name="parity")


def test_hazard_ratio_rejects_times_before_the_grid() -> None:
    with pytest.raises(ValueError, match="before the first cut point"):
        discrete_time_hazard_ratio([5.0], [20.0], [1], cut_points=[10, 30])
    with pytest.raises(ValueError, match="strictly increasing"):
        discrete_time_hazard_ratio([0.0], [20.0], [1], cut_points=[0, 30, 30])


# --------------------------------------------------------------------------- RMST


def _mp_curve_by_hand() -> dict[float, float]:
    """6-MP Kaplan–Meier just after each relapse time: risk sets 21, 17, 15, 12, 11, 7, 6."""
    steps = [(6, 21, 3), (7, 17, 1), (10, 15, 1), (13, 12, 1), (16, 11, 1), (22, 7, 1), (23, 6, 1)]
    curve, survival = {}, 1.0
    for time, at_risk, deaths in steps:
        survival *= 1 - deaths / at_risk
        curve[time] = survival
    return curve


def test_rmst_6mp_area_under_the_step_function_by_hand() -> None:
    s = _mp_curve_by_hand()
    # Rectangles up to tau = 35 (last follow-up, censored): widths between relapse times.
    area = (
        6 * 1.0 + 1 * s[6] + 3 * s[7] + 3 * s[10] + 3 * s[13] + 6 * s[16] + 1 * s[22]
        + 12 * s[23]
    )
    # Greenwood plug-in: A_k^2 d_k / (n_k (n_k - d_k)), A_k the area from t_k to tau.
    after = {
        23: 12 * s[23],
        22: 1 * s[22] + 12 * s[23],
        16: 6 * s[16] + 1 * s[22] + 12 * s[23],
    }
    after[13] = 3 * s[13] + after[16]
    after[10] = 3 * s[10] + after[13]
    after[7] = 3 * s[7] + after[10]
    after[6] = 1 * s[6] + after[7]
    variance = (
        after[6] ** 2 * 3 / (21 * 18) + after[7] ** 2 / (17 * 16) + after[10] ** 2 / (15 * 14)
        + after[13] ** 2 / (12 * 11) + after[16] ** 2 / (11 * 10) + after[22] ** 2 / (7 * 6)
        + after[23] ** 2 / (6 * 5)
    )
    result = restricted_mean_survival(MP_TIME, MP_EVENT, tau=35)
    assert (result.measure, result.method) == ("rmst", "kaplan_meier")
    assert result.estimate == pytest.approx(area, abs=1e-12)
    assert result.se == pytest.approx(np.sqrt(variance), abs=1e-12)
    assert result.ci_low == pytest.approx(area - 1.959963984540054 * np.sqrt(variance))
    # tau between relapse times: 6 + 1 s6 + 3 s7 + 3 s10 + 3 s13 + (20 - 16) s16.
    partial = 6 + s[6] + 3 * s[7] + 3 * s[10] + 3 * s[13] + 4 * s[16]
    assert restricted_mean_survival(MP_TIME, MP_EVENT, tau=20).estimate == pytest.approx(partial)


def test_rmst_without_censoring_is_the_mean_of_truncated_times() -> None:
    # Placebo arm: every child relapsed, the last at 23. Then the KM area is the sample mean
    # of min(T, tau), and the Greenwood variance is sum (x - mean)^2 / n^2.
    x = np.minimum(np.array(PLACEBO_TIME, dtype=float), 23)
    result = restricted_mean_survival(PLACEBO_TIME, [1] * 21, tau=23)
    assert result.estimate == pytest.approx(182 / 21, abs=1e-12)
    assert result.se == pytest.approx(
        np.sqrt(((x - x.mean()) ** 2).sum() / 21**2), abs=1e-12
    )
    truncated = np.minimum(x, 10)
    assert restricted_mean_survival(PLACEBO_TIME, [1] * 21, tau=10).estimate == pytest.approx(
        truncated.mean()
    )


def test_rmst_not_estimable_beyond_follow_up() -> None:
    result = restricted_mean_survival(MP_TIME, MP_EVENT, tau=36)
    assert not result.estimable and "beyond the last follow-up" in result.reason
    # A curve that reached 0 is defined beyond its last time.
    assert restricted_mean_survival(PLACEBO_TIME, [1] * 21, tau=30).estimate == pytest.approx(
        182 / 21
    )


def test_rmst_difference_matches_survrm2_printed_pbc_example() -> None:
    time, status, arm = _pbc()
    assert (len(time), int(arm.sum()), int(status.sum())) == (312, 158, 125)
    result = rmst_difference(time, status, arm, tau=10)
    assert (result.measure, result.method) == ("rmst_difference", "kaplan_meier")
    assert result.details["rmst_group_1"] == pytest.approx(7.146, abs=5e-4)
    assert result.details["se_group_1"] == pytest.approx(0.283, abs=5e-4)
    assert result.details["rmst_group_0"] == pytest.approx(7.283, abs=5e-4)
    assert result.details["se_group_0"] == pytest.approx(0.295, abs=5e-4)
    assert result.estimate == pytest.approx(-0.137, abs=5e-4)
    assert result.ci_low == pytest.approx(-0.939, abs=5e-4)
    assert result.ci_high == pytest.approx(0.665, abs=5e-4)
    assert result.p_value == pytest.approx(0.738, abs=5e-4)
    assert result.n == 312


def test_rmst_difference_6mp_vs_placebo_by_hand() -> None:
    s = _mp_curve_by_hand()
    mp_area = 6 + s[6] + 3 * s[7] + 3 * s[10] + 3 * s[13] + 6 * s[16] + s[22]  # up to 23
    group = [1] * 21 + [0] * 21
    result = rmst_difference(MP_TIME + PLACEBO_TIME, MP_EVENT + [1] * 21, group, tau=23)
    assert result.estimate == pytest.approx(mp_area - 182 / 21, abs=1e-12)
    assert result.p_value < 0.01


# --------------------------------------------------------------------------- RMST DiD


def _did_data(seed: int = 11, per_cell: int = 60) -> pd.DataFrame:
    """Four areas (A, B intervention; C, D comparison), exponential times, censoring."""
    rng = np.random.default_rng(seed)
    frames = []
    for area, treated, scale in (("A", 1, 150), ("B", 1, 180), ("C", 0, 160), ("D", 0, 140)):
        for post in (0, 1):
            weaning = rng.exponential(scale * (1.4 if treated and post else 1.0), per_cell)
            follow_up = rng.uniform(200, 500, per_cell)
            frames.append(
                pd.DataFrame(
                    {
                        "time": np.round(np.minimum(weaning, follow_up)),
                        "event": (weaning <= follow_up).astype(int),
                        "area": area,
                        "treated_area": treated,
                        "post": post,
                    }
                )
            )
    return pd.concat(frames, ignore_index=True)


def _cell_rmst(data: pd.DataFrame, tau: float, **where: int) -> float:
    chosen = np.ones(len(data), dtype=bool)
    for column, value in where.items():
        chosen &= data[column].to_numpy() == value
    cell = data[chosen]
    return restricted_mean_survival(cell["time"], cell["event"], tau).estimate


def _run_did(data: pd.DataFrame, tau: float = 180, **kwargs: object):
    kwargs.setdefault("min_areas_for_interval", 2)  # the bootstrap itself, on 2 + 2 areas
    return rmst_did(
        data["time"], data["event"], data["treated_area"], data["post"], data["area"], tau,
        **kwargs,
    )


def test_rmst_did_point_estimate_is_the_hand_combination_of_four_rmsts() -> None:
    data = _did_data()
    cells = {
        (arm, post): _cell_rmst(data, 180, treated_area=arm, post=post)
        for arm in (0, 1)
        for post in (0, 1)
    }
    expected = (cells[1, 1] - cells[1, 0]) - (cells[0, 1] - cells[0, 0])
    result = _run_did(data, reps=199, seed=3)
    assert (result.measure, result.method) == ("rmst_did", "kaplan_meier")
    assert result.estimate == pytest.approx(expected, abs=1e-10)
    assert result.details["rmst"]["treated_post"] == pytest.approx(cells[1, 1], abs=1e-10)
    assert result.ci_low <= result.estimate <= result.ci_high
    assert result.n == len(data)


def test_rmst_did_bootstrap_is_reproducible_and_draws_whole_areas() -> None:
    data = _did_data()
    first = _run_did(data, reps=999, seed=7)
    again = _run_did(data, reps=999, seed=7)
    other = _run_did(data, reps=999, seed=8)
    assert (first.ci_low, first.ci_high, first.p_value) == (
        again.ci_low, again.ci_high, again.p_value
    )
    assert first.se == again.se
    assert first.se != other.se
    # Two areas per arm: an arm's draw is {A, A}, {A, B} or {B, B}, so every replicate is
    # one of 9 DiDs, each computable from the resampled children directly. The 2.5% and
    # 97.5% quantiles of 999 replicates fall inside runs of tied values.
    possible = []
    for treated_draw in (("A", "A"), ("A", "B"), ("B", "B")):
        for comparison_draw in (("C", "C"), ("C", "D"), ("D", "D")):
            sample = pd.concat(
                [data[data["area"] == a] for a in treated_draw + comparison_draw],
                ignore_index=True,
            )
            cells = {
                (arm, post): _cell_rmst(sample, 180, treated_area=arm, post=post)
                for arm in (0, 1)
                for post in (0, 1)
            }
            possible.append((cells[1, 1] - cells[1, 0]) - (cells[0, 1] - cells[0, 0]))
    possible = np.array(possible)
    assert np.min(np.abs(possible - first.ci_low)) < 1e-9
    assert np.min(np.abs(possible - first.ci_high)) < 1e-9


def test_rmst_did_interval_collapses_when_areas_are_identical() -> None:
    # B is a copy of A and D a copy of C: every resample has the same curves.
    data = _did_data()
    twins = []
    for source, copy in (("A", "B"), ("C", "D")):
        twin = data[data["area"] == source].assign(area=copy)
        twins.append(twin)
    data = pd.concat([data[data["area"].isin(["A", "C"])], *twins], ignore_index=True)
    result = _run_did(data, reps=99, seed=1)
    assert result.ci_low == pytest.approx(result.estimate, abs=1e-9)
    assert result.ci_high == pytest.approx(result.estimate, abs=1e-9)


def test_rmst_did_point_estimate_only_with_one_area_in_an_arm() -> None:
    data = _did_data()
    data = data[data["area"] != "B"]
    result = _run_did(data, reps=99)
    assert result.ci_low is None and result.ci_high is None and result.p_value is None
    assert "fewer than 2 areas in the treated arm" in result.reason
    expected = (
        _cell_rmst(data, 180, treated_area=1, post=1) - _cell_rmst(data, 180, treated_area=1, post=0)
    ) - (
        _cell_rmst(data, 180, treated_area=0, post=1) - _cell_rmst(data, 180, treated_area=0, post=0)
    )
    assert result.estimate == pytest.approx(expected, abs=1e-10)


def test_rmst_did_gives_no_interval_with_fewer_areas_than_the_bootstrap_needs() -> None:
    data = _did_data()  # 2 + 2 areas: below the default of 5 per arm
    result = _run_did(data, reps=99, min_areas_for_interval=5)
    assert result.estimate is not None and result.ci_low is None and result.p_value is None
    assert "fewer than 5 areas in the treated and comparison arm" in result.reason


def test_rmst_did_rejects_an_area_in_both_arms() -> None:
    data = _did_data()
    data.loc[data.index[0], "treated_area"] = 0  # first child of A called comparison
    with pytest.raises(ValueError, match=r"area\(s\) A are labelled both intervention"):
        _run_did(data, reps=9)


def test_rmst_did_not_estimable_beyond_follow_up() -> None:
    result = _run_did(_did_data(), tau=600, reps=9)
    assert not result.estimable and "beyond the follow-up" in result.reason
