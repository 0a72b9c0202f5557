"""Event study and logistic DiD: hand computations, independent statsmodels fits, reasons."""

import time

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
import statsmodels.formula.api as smf
from scipy import stats
from statsmodels.stats.sandwich_covariance import cov_cluster

from pipeline.stats.did_models import TABLE_COLUMNS, event_study, logistic_did


def _expit(values: np.ndarray) -> np.ndarray:
    return 1 / (1 + np.exp(-values))


def _from_cells(cells: dict[tuple[str, int, int], tuple[int, int]]) -> pd.DataFrame:
    """Children from (area, treated, period) -> (children, events), events first."""
    rows = [
        {"area": area, "treated": treated, "period": period, "y": int(i < events)}
        for (area, treated, period), (children, events) in cells.items()
        for i in range(children)
    ]
    return pd.DataFrame(rows)


def _panel(seed: int, *, treated_areas: int, comparison_areas: int, periods: range,
           children: tuple[int, int] = (30, 60), effect: float = 0.0,
           shock_sd: float = 0.0) -> pd.DataFrame:
    """Children per area x period (unequal numbers), linear probabilities with area and period
    effects and `effect` added in intervention areas from period 0."""
    rng = np.random.default_rng(seed)
    rows = []
    n_areas = treated_areas + comparison_areas
    for a in range(n_areas):
        treated = int(a < treated_areas)
        area_effect = rng.normal(0, 0.05)
        for k in periods:
            risk = (0.55 + area_effect + 0.01 * k + rng.normal(0, shock_sd)
                    + effect * treated * (k >= 0))
            count = int(rng.integers(*children))
            outcome = rng.binomial(1, np.clip(risk, 0.02, 0.98), count)
            rows.append(pd.DataFrame({"area": f"a{a:02d}", "treated": treated, "period": k,
                                      "y": outcome}))
    frame = pd.concat(rows, ignore_index=True)
    frame["post"] = (frame["period"] >= 0).astype(int)
    return frame


def _name(k: int) -> str:
    return f"at_{'m' if k < 0 else 'p'}{abs(k)}"


def _with_event_dummies(frame: pd.DataFrame, reference: int = -1) -> tuple[pd.DataFrame, dict]:
    """The frame with treated x 1[period = k] columns for every k but the reference."""
    names = {}
    out = frame.copy()
    for k in sorted(frame["period"].unique()):
        if k != reference:
            names[k] = _name(k)
            out[names[k]] = frame["treated"] * (frame["period"] == k)
    return out, names


# --- event study -------------------------------------------------------------------------


def test_two_periods_one_area_per_arm_equal_the_difference_of_cell_means() -> None:
    cells = {("T", 1, -1): (25, 10), ("T", 1, 0): (20, 15),
             ("C", 0, -1): (40, 12), ("C", 0, 0): (30, 12)}
    frame = _from_cells(cells)
    result = event_study(frame["y"], frame["treated"], frame["period"], frame["area"])
    expected = (15 / 20 - 10 / 25) - (12 / 30 - 12 / 40)
    assert result.coefficients[0].estimate == pytest.approx(expected, abs=1e-12)
    table = result.table.set_index("period")
    assert table.loc[0, "estimate"] == pytest.approx(expected, abs=1e-12)
    assert table.loc[-1, "estimate"] == 0 and pd.isna(table.loc[-1, "ci_low"])
    assert bool(table.loc[-1, "reference"]) and bool(table.loc[-1, "pre"])
    assert table.loc[0, "n_intervention"] == 20 and table.loc[0, "n_comparison"] == 30
    assert list(result.table.columns) == TABLE_COLUMNS
    # one area per arm: the labelled child-level fallback, normal reference
    assert "NOT clustered" in result.se_type
    assert any("one area in an arm" in c for c in result.caveats)
    hc1 = smf.ols("y ~ treated * C(period)", frame).fit(cov_type="HC1")
    se = hc1.bse["treated:C(period)[T.0]"]
    assert result.coefficients[0].se == pytest.approx(se, rel=1e-9)
    assert result.coefficients[0].ci_low == pytest.approx(expected - stats.norm.isf(0.025) * se)


def test_many_periods_one_area_per_arm_are_differences_of_changes_from_the_reference() -> None:
    counts = {-3: (30, 12, 50, 20), -2: (28, 14, 45, 20), -1: (26, 10, 40, 16),
              0: (24, 18, 44, 19), 1: (22, 17, 50, 22)}  # n_T, events_T, n_C, events_C
    cells = {}
    for k, (n_t, e_t, n_c, e_c) in counts.items():
        cells[("T", 1, k)] = (n_t, e_t)
        cells[("C", 0, k)] = (n_c, e_c)
    frame = _from_cells(cells)
    result = event_study(frame["y"], frame["treated"], frame["period"], frame["area"])

    def p(k: int, arm: int) -> float:
        n_t, e_t, n_c, e_c = counts[k]
        return e_t / n_t if arm else e_c / n_c

    for k in (-3, -2, 0, 1):
        expected = (p(k, 1) - p(-1, 1)) - (p(k, 0) - p(-1, 0))
        assert result.coefficients[k].estimate == pytest.approx(expected, abs=1e-12)
    assert result.pre_trend.tested == (-3, -2)
    assert result.pre_trend.df_denominator is None  # chi-square reference (HC1 fallback)


def test_constant_area_shares_make_each_coefficient_the_did_of_arm_means() -> None:
    # Two areas per arm; each area keeps the same share of its arm in every period, so the
    # area effects change nothing and b_k is the DiD of the arm means (did_inference's note).
    rng = np.random.default_rng(3)
    sizes = {"t1": 1, "t2": 2, "c1": 3, "c2": 1}  # children per period = 20 x size
    cells = {}
    for area, size in sizes.items():
        for k in (-2, -1, 0, 1):
            children = 20 * size
            cells[(area, int(area.startswith("t")), k)] = (children, int(rng.integers(3, children)))
    frame = _from_cells(cells)
    result = event_study(frame["y"], frame["treated"], frame["period"], frame["area"])
    means = frame.groupby(["treated", "period"])["y"].mean()
    for k in (-2, 0, 1):
        expected = (means[1, k] - means[1, -1]) - (means[0, k] - means[0, -1])
        assert result.coefficients[k].estimate == pytest.approx(expected, abs=1e-12)


def test_coefficients_ses_and_joint_test_match_an_independent_statsmodels_fit() -> None:
    frame = _panel(11, treated_areas=3, comparison_areas=5, periods=range(-3, 3), effect=0.08,
                   shock_sd=0.03)
    frame["mother_born_abroad"] = np.random.default_rng(2).binomial(1, 0.3, len(frame))
    result = event_study(frame["y"], frame["treated"], frame["period"], frame["area"],
                         frame[["mother_born_abroad"]])
    wide, names = _with_event_dummies(frame)
    formula = ("y ~ C(area) + C(period, Treatment(-1)) + " + " + ".join(names.values())
               + " + mother_born_abroad")
    groups = pd.factorize(frame["area"])[0]
    clustered = smf.ols(formula, wide).fit(cov_type="cluster", cov_kwds={"groups": groups},
                                           use_t=True)
    hc1 = smf.ols(formula, wide).fit(cov_type="HC1")
    t_crit = stats.t.isf(0.025, 7)
    for k, name in names.items():
        found = result.coefficients[k]
        assert found.estimate == pytest.approx(clustered.params[name], abs=1e-10)
        assert found.details["se_cluster_robust"] == pytest.approx(clustered.bse[name], rel=1e-8)
        assert found.details["se_hc1"] == pytest.approx(hc1.bse[name], rel=1e-8)
        se = max(clustered.bse[name], hc1.bse[name])  # never narrower than child level
        assert found.se == pytest.approx(se, rel=1e-8)
        assert found.ci_high - found.estimate == pytest.approx(t_crit * se, rel=1e-8)
        assert found.p_value == pytest.approx(2 * stats.t.sf(abs(found.estimate) / se, 7),
                                              rel=1e-7)

    pre = [names[k] for k in (-3, -2)]
    plain = clustered.f_test(", ".join(f"{c} = 0" for c in pre))
    joint = result.pre_trend
    assert joint.details["unadjusted_statistic"] == pytest.approx(float(plain.fvalue), rel=1e-7)
    assert joint.details["unadjusted_p_value"] == pytest.approx(float(plain.pvalue), rel=1e-7)
    # Hotelling T^2 with the variances floored at HC1, by hand
    b = clustered.params[pre].to_numpy()
    v = clustered.cov_params().loc[pre, pre].to_numpy()
    raise_to = np.maximum(np.sqrt(np.diag(v)), hc1.bse[pre].to_numpy()) / np.sqrt(np.diag(v))
    wald = b @ np.linalg.solve(v * np.outer(raise_to, raise_to), b)
    g, q = 8, 2
    assert (joint.df, joint.df_denominator) == (q, g - q)
    assert joint.statistic == pytest.approx(wald * (g - q) / (q * (g - 1)), rel=1e-8)
    assert joint.p_value == pytest.approx(stats.f.sf(joint.statistic, q, g - q), rel=1e-8)
    assert "joint test of 2 pre-start" in result.summary()


def test_children_as_patterns_with_a_continuous_covariate_are_the_childrens_own_fit() -> None:
    """The event study sums its children pattern by pattern, the mother's age by each
    child's deviation from its pattern's mean: coefficients, HC1 and CR1 as statsmodels'
    fit of every child's own row."""
    from pipeline.stats.did_models import _EventStudyChildren

    frame = _panel(17, treated_areas=3, comparison_areas=5, periods=range(-3, 3),
                   children=(60, 120), effect=0.06, shock_sd=0.03)
    rng = np.random.default_rng(5)
    frame["mother_born_abroad"] = rng.binomial(1, 0.3, len(frame))
    frame["mother_age"] = rng.normal(30, 5, len(frame)).round(1)
    covariates = frame[["mother_born_abroad", "mother_age"]]
    children = _EventStudyChildren.of(frame["y"].to_numpy(float), frame["treated"].to_numpy(float),
                                      frame["period"].to_numpy(), pd.factorize(frame["area"])[0],
                                      pd.factorize(frame["period"], sort=True)[0], covariates)
    assert children.pattern is not None and len(children.counts) < len(frame) / 10
    result = event_study(frame["y"], frame["treated"], frame["period"], frame["area"], covariates)
    wide, names = _with_event_dummies(frame)
    formula = ("y ~ C(area) + C(period, Treatment(-1)) + " + " + ".join(names.values())
               + " + mother_born_abroad + mother_age")
    groups = pd.factorize(frame["area"])[0]
    clustered = smf.ols(formula, wide).fit(cov_type="cluster", cov_kwds={"groups": groups})
    hc1 = smf.ols(formula, wide).fit(cov_type="HC1")
    for k, name in names.items():
        found = result.coefficients[k]
        assert found.estimate == pytest.approx(clustered.params[name], abs=1e-10)
        assert found.details["se_cluster_robust"] == pytest.approx(clustered.bse[name], rel=1e-8)
        assert found.details["se_hc1"] == pytest.approx(hc1.bse[name], rel=1e-8)
    pre = [names[k] for k in (-3, -2)]
    plain = clustered.f_test(", ".join(f"{c} = 0" for c in pre))
    assert result.pre_trend.details["unadjusted_statistic"] == pytest.approx(float(plain.fvalue),
                                                                              rel=1e-7)


def test_a_known_additive_effect_is_recovered_and_pre_periods_are_flat() -> None:
    frame = _panel(5, treated_areas=10, comparison_areas=10, periods=range(-4, 4),
                   children=(150, 200), effect=0.10)
    result = event_study(frame["y"], frame["treated"], frame["period"], frame["area"])
    post = result.table[result.table["period"] >= 0]
    pre = result.table[(result.table["period"] < -1)]
    # SE about 0.02 per coefficient: 0.05 is 2.5 SE
    assert np.allclose(post["estimate"].to_numpy(float), 0.10, atol=0.05)
    assert np.allclose(pre["estimate"].to_numpy(float), 0.0, atol=0.05)
    pooled = float(post["estimate"].mean())
    assert pooled == pytest.approx(0.10, abs=0.025)
    assert result.n_clusters == 20 and result.n_clusters_treated == 10
    assert result.pre_trend.estimable


def test_a_period_missing_in_one_arm_gets_a_reason_and_the_rest_are_estimated() -> None:
    frame = _panel(8, treated_areas=3, comparison_areas=3, periods=range(-3, 3))
    frame = frame[~((frame["treated"] == 1) & (frame["period"] == 2))
                  & ~((frame["treated"] == 0) & (frame["period"] == -3))]
    result = event_study(frame["y"], frame["treated"], frame["period"], frame["area"])
    table = result.table.set_index("period")
    assert pd.isna(table.loc[2, "estimate"])
    assert table.loc[2, "reason"] == "no children in the intervention areas in period 2"
    assert table.loc[-3, "reason"] == "no children in the comparison areas in period -3"
    assert table.loc[2, "n_intervention"] == 0 and table.loc[-3, "n_comparison"] == 0
    assert not result.coefficients[2].estimable
    for k in (-2, 0, 1):
        assert result.coefficients[k].estimable
    assert result.pre_trend.tested == (-2,)
    assert "not estimable: no children in the intervention areas" in result.summary()


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        (lambda f: f.assign(treated=np.where(f.index % 2 == 0, 1, f["treated"])),
         "labelled both intervention and comparison"),
        (lambda f: f[f["period"] != -1], "no children in the reference period -1"),
        (lambda f: f[~((f["period"] == -1) & (f["treated"] == 1))],
         "no children in the intervention areas in the reference period"),
        (lambda f: f[f["treated"] == 1], "no children in comparison areas"),
        (lambda f: f.assign(y=1), "every child had the same outcome"),
        (lambda f: f[f["period"] == -1], "no period besides the reference"),
        (lambda f: f.assign(x=f["area"].str[1:].astype(int)), "singular design"),
    ],
)
def test_degenerate_event_studies_give_reasons(change, reason) -> None:
    frame = change(_panel(4, treated_areas=2, comparison_areas=2, periods=range(-2, 2)))
    covariates = frame[["x"]] if "x" in frame else None
    result = event_study(frame["y"], frame["treated"], frame["period"], frame["area"],
                         covariates)
    assert not result.estimable
    assert reason in result.reason
    assert all(not e.estimable and reason in e.reason for e in result.coefficients.values())
    assert "not estimable" in result.summary()


def test_too_many_pre_periods_for_the_areas_and_bad_periods() -> None:
    frame = _panel(6, treated_areas=2, comparison_areas=2, periods=range(-6, 2))
    result = event_study(frame["y"], frame["treated"], frame["period"], frame["area"])
    assert result.estimable
    assert not result.pre_trend.estimable
    assert "rank at most G - 1" in result.pre_trend.reason
    with pytest.raises(ValueError, match="whole numbers"):
        event_study(frame["y"], frame["treated"], frame["period"] + 0.5, frame["area"])


def test_ten_thousand_children_ten_areas_fourteen_periods_is_fast() -> None:
    rng = np.random.default_rng(1)
    n = 10_000
    area = rng.integers(0, 10, n)
    period = rng.integers(-7, 7, n)
    treated = (area < 4).astype(int)
    y = rng.binomial(1, 0.6 + 0.08 * treated * (period >= 0))
    event_study(y, treated, period, area)  # warm up
    elapsed = []
    for _ in range(3):
        start = time.perf_counter()
        result = event_study(y, treated, period, area)
        elapsed.append(time.perf_counter() - start)
    assert len(result.table) == 14
    assert min(elapsed) < 0.5


def test_pre_trend_test_keeps_close_to_its_size_with_few_areas() -> None:
    # No pre-trend: the plain CR1 F(q, G - 1) rejects far too often with 10 areas and 4 pre
    # coefficients; the floored Hotelling version should stay near 5 %.
    rng = np.random.default_rng(17)
    plain, adjusted = [], []
    for _ in range(80):
        area = rng.integers(0, 10, 1_500)
        period = rng.integers(-5, 3, 1_500)
        treated = (area < 4).astype(int)
        y = rng.binomial(1, 0.5 + 0.01 * period)
        joint = event_study(y, treated, period, area).pre_trend
        plain.append(joint.details["unadjusted_p_value"] < 0.05)
        adjusted.append(joint.p_value < 0.05)
    assert np.mean(adjusted) <= 0.12
    assert np.mean(plain) > np.mean(adjusted)


# --- logistic DiD ------------------------------------------------------------------------


def test_logistic_two_by_two_gives_the_odds_ratio_and_counterfactual_of_the_cells() -> None:
    cells = {("T", 1, 0): (25, 10), ("T", 1, 1): (20, 15),
             ("C", 0, 0): (40, 12), ("C", 0, 1): (30, 12)}
    frame = _from_cells(cells).rename(columns={"period": "post"})
    result = logistic_did(frame["y"], frame["treated"], frame["post"], frame["area"])

    def logit(p: float) -> float:
        return np.log(p / (1 - p))

    p11, p10, p01, p00 = 15 / 20, 10 / 25, 12 / 30, 12 / 40
    # saturated: the counterfactual has the intervention arm's pre odds times the
    # comparison arm's change in odds
    counterfactual = _expit(logit(p10) + logit(p01) - logit(p00))
    assert result.att.estimate == pytest.approx(p11 - counterfactual, abs=1e-7)
    odds_ratio = np.exp(logit(p11) - logit(p10) - logit(p01) + logit(p00))
    assert result.odds_ratio.estimate == pytest.approx(odds_ratio, rel=1e-7)
    assert result.att.measure == "did" and result.att.method == "logistic_did"
    assert result.odds_ratio.measure == "odds_ratio"
    # one area per arm: HC1, normal reference, labelled
    assert result.att.details["reference_distribution"] == "normal"
    assert "NOT clustered" in result.att.details["se_type"]
    assert any("one area in an arm" in c for c in result.caveats)
    # Woolf's SE of the log odds ratio is the model-based one of the saturated logit; HC0
    # equals it here, and HC1 = HC0 x sqrt(n / (n - 4))
    woolf = np.sqrt(sum(1 / v for v in (15, 5, 10, 15, 12, 18, 12, 28)))
    n = 115
    assert result.odds_ratio.se == pytest.approx(woolf * np.sqrt(n / (n - 4)),
                                                            rel=1e-6)


def test_logistic_matches_smf_logit_g_computation_and_a_numerical_delta_method() -> None:
    frame = _panel(21, treated_areas=3, comparison_areas=4, periods=range(-2, 3), effect=0.08,
                   children=(20, 40), shock_sd=0.03)
    rng = np.random.default_rng(9)
    frame["mother_age"] = rng.normal(31, 5, len(frame))
    frame["half_year"] = frame["period"].map(lambda k: f"h{k + 10}")
    frame["did"] = frame["treated"] * frame["post"]
    result = logistic_did(frame["y"], frame["treated"], frame["post"], frame["area"],
                          frame[["mother_age"]], period_effects=frame["half_year"])

    formula = "y ~ C(area) + C(half_year) + did + mother_age"
    fit = smf.logit(formula, frame).fit(disp=0, tol=1e-12)
    target = frame[frame["did"] == 1]
    by_hand = fit.predict(target).mean() - fit.predict(target.assign(did=0)).mean()
    assert result.att.estimate == pytest.approx(by_hand, abs=1e-7)
    assert result.odds_ratio.estimate == pytest.approx(np.exp(fit.params["did"]), rel=1e-6)
    assert result.att.details["n_standardised_over"] == len(target)

    groups = pd.factorize(frame["area"])[0]
    glm = smf.glm(formula, frame, family=sm.families.Binomial())
    v_cluster = glm.fit(cov_type="cluster", cov_kwds={"groups": groups}).cov_params().to_numpy()
    n, k = fit.model.exog.shape
    v_hc1 = glm.fit(cov_type="HC0").cov_params().to_numpy() * n / (n - k)

    # numerical derivative of the g-computation in the test's own parameterisation
    exog = fit.model.exog
    names = list(fit.params.index)
    rows = (frame["did"] == 1).to_numpy()
    as_fitted = exog[rows]
    without = as_fitted.copy()
    without[:, names.index("did")] = 0.0

    def att(beta: np.ndarray) -> float:
        return float(_expit(as_fitted @ beta).mean() - _expit(without @ beta).mean())

    beta = fit.params.to_numpy()
    step = 1e-6
    gradient = np.array([(att(beta + step * e) - att(beta - step * e)) / (2 * step)
                         for e in np.eye(len(beta))])
    se_cluster = np.sqrt(gradient @ v_cluster @ gradient)
    se_hc1 = np.sqrt(gradient @ v_hc1 @ gradient)
    assert result.att.details["se_cluster_robust"] == pytest.approx(se_cluster, rel=1e-5)
    assert result.att.details["se_hc1"] == pytest.approx(se_hc1, rel=1e-5)
    se = max(se_cluster, se_hc1)
    t_crit = stats.t.isf(0.025, 6)
    assert result.att.ci_low == pytest.approx(by_hand - t_crit * se, rel=1e-5)
    assert result.att.ci_high == pytest.approx(by_hand + t_crit * se, rel=1e-5)
    assert result.att.p_value == pytest.approx(2 * stats.t.sf(abs(by_hand) / se, 6), rel=1e-4)

    j = names.index("did")
    se_log_or = max(np.sqrt(v_cluster[j, j]), np.sqrt(v_hc1[j, j]))
    assert result.odds_ratio.se == pytest.approx(se_log_or, rel=1e-6)
    assert result.odds_ratio.ci_low == pytest.approx(
        np.exp(fit.params["did"] - t_crit * se_log_or), rel=1e-5)
    assert result.att.details["reference_distribution"] == "t with 6 df"
    assert result.coefficients.loc["treated_area:post", "coef"] == pytest.approx(
        fit.params["did"], rel=1e-6)


def test_logistic_fitted_on_covariate_patterns_equals_statsmodels_on_every_child() -> None:
    """The logistic DiD fits each pattern of regressors and outcome once, with its count;
    its estimates and both sandwiches are those of statsmodels' GLM on every child's row
    (children share patterns: a few areas and periods, a coarse mother's age, two sexes),
    with statsmodels' bread (its inverse information, from IRLS's last weights) and
    `cov_cluster` on the children's scores."""
    frame = _panel(41, treated_areas=3, comparison_areas=3, periods=range(-2, 2),
                   children=(60, 90), effect=0.1)
    rng = np.random.default_rng(5)
    frame["mother_age"] = rng.integers(25, 29, len(frame)).astype(float)
    frame["girl"] = rng.integers(0, 2, len(frame)).astype(float)
    frame["did"] = frame["treated"] * frame["post"]
    result = logistic_did(frame["y"], frame["treated"], frame["post"], frame["area"],
                          frame[["mother_age", "girl"]], period_effects=frame["period"])

    exog = pd.concat([
        pd.DataFrame({"const": np.ones(len(frame))}),
        pd.get_dummies(frame["area"], drop_first=True, dtype=float),
        pd.get_dummies(frame["period"].astype(str), drop_first=True, dtype=float),
        frame[["did", "mother_age", "girl"]]], axis=1).to_numpy()
    assert len(np.unique(np.column_stack([exog, frame["y"]]), axis=0)) < len(frame) / 4
    y = frame["y"].to_numpy()
    fit = sm.GLM(y, exog, family=sm.families.Binomial()).fit()
    bread = fit.cov_params()
    scores = exog * (y - fit.mu)[:, None]
    v_cluster = cov_cluster((scores, bread), pd.factorize(frame["area"])[0])
    n, k = exog.shape
    v_hc1 = bread @ scores.T @ scores @ bread * n / (n - k)
    j = 1 + 5 + 3  # const, 5 area and 3 period dummies, then the DiD term
    rows = frame["did"].to_numpy() == 1
    without = exog[rows].copy()
    without[:, j] = 0.0
    risk, risk_without = fit.predict(exog[rows]), fit.predict(without)
    gradient = (((risk * (1 - risk)) @ exog[rows] - (risk_without * (1 - risk_without)) @ without)
                / rows.sum())

    assert result.odds_ratio.estimate == pytest.approx(np.exp(fit.params[j]), rel=1e-10)
    assert result.att.estimate == pytest.approx(risk.mean() - risk_without.mean(), rel=1e-10)
    assert result.att.details["se_cluster_robust"] == pytest.approx(
        np.sqrt(gradient @ v_cluster @ gradient), rel=1e-10)
    assert result.att.details["se_hc1"] == pytest.approx(
        np.sqrt(gradient @ v_hc1 @ gradient), rel=1e-10)
    assert result.odds_ratio.details["se_cluster_robust"] == pytest.approx(
        np.sqrt(v_cluster[j, j]), rel=1e-10)
    assert result.odds_ratio.details["se_hc1"] == pytest.approx(np.sqrt(v_hc1[j, j]), rel=1e-10)
    np.testing.assert_allclose(result.coefficients["coef"].to_numpy(dtype=float), fit.params,
                               rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(result.coefficients["se_model"].to_numpy(dtype=float),
                               np.sqrt(np.diag(bread)), rtol=1e-10)
    assert result.att.n == len(frame) and result.att.events == frame["y"].sum()
    assert result.att.details["n_standardised_over"] == rows.sum()


def test_logistic_recovers_a_known_odds_ratio_and_its_att() -> None:
    rng = np.random.default_rng(33)
    rows = []
    for a in range(12):
        treated = int(a < 6)
        area_effect = rng.normal(0, 0.3)
        for k in range(-2, 2):
            count = 200
            eta = 0.2 + area_effect + 0.1 * k
            risk_without = _expit(np.full(count, eta))
            risk = _expit(eta + 0.6 * treated * (k >= 0))
            rows.append(pd.DataFrame({
                "area": a, "treated": treated, "post": int(k >= 0), "period": k,
                "y": rng.binomial(1, risk, count),
                "true_effect": (risk - risk_without) * treated * (k >= 0)}))
    frame = pd.concat(rows, ignore_index=True)
    result = logistic_did(frame["y"], frame["treated"], frame["post"], frame["area"],
                          period_effects=frame["period"])
    true_att = frame.loc[(frame["treated"] == 1) & (frame["post"] == 1), "true_effect"].mean()
    se = result.att.se  # about 0.02
    assert result.att.estimate == pytest.approx(true_att, abs=3 * se)
    assert result.odds_ratio.ci_low < np.exp(0.6) < result.odds_ratio.ci_high
    assert result.att.ci_low < true_att < result.att.ci_high


def test_an_area_where_every_child_has_the_outcome_is_left_out_and_adds_zero() -> None:
    frame = _panel(13, treated_areas=3, comparison_areas=3, periods=range(-2, 2))

    def fit(data: pd.DataFrame):
        return logistic_did(data["y"], data["treated"], data["post"], data["area"])

    for area, treated in (("a00", True), ("a05", False)):
        changed = frame.assign(y=np.where(frame["area"] == area, 1, frame["y"]))
        full, without = fit(changed), fit(changed[changed["area"] != area])
        assert full.odds_ratio.estimate == pytest.approx(without.odds_ratio.estimate, rel=1e-9)
        standardised = (changed["treated"] == 1) & (changed["post"] == 1)
        # the left-out area's children after the start: risk 1 with or without the programme
        share = (standardised & (changed["area"] != area)).sum() / standardised.sum()
        expected = without.att.estimate * (share if treated else 1.0)
        assert full.att.estimate == pytest.approx(expected, rel=1e-9)
        assert full.att.details["areas_left_out_constant_outcome"] == [area]
        assert any(area in caveat for caveat in full.caveats)


def test_a_period_where_every_child_has_the_outcome_is_left_out_and_adds_zero() -> None:
    frame = _panel(17, treated_areas=3, comparison_areas=3, periods=range(-2, 3))
    changed = frame.assign(y=np.where(frame["period"] == 1, 1, frame["y"]))

    def fit(data: pd.DataFrame):
        return logistic_did(data["y"], data["treated"], data["post"], data["area"],
                            period_effects=data["period"])

    full, without = fit(changed), fit(changed[changed["period"] != 1])
    standardised = (changed["treated"] == 1) & (changed["post"] == 1)
    share = (standardised & (changed["period"] != 1)).sum() / standardised.sum()
    assert full.att.estimate == pytest.approx(without.att.estimate * share, rel=1e-9)
    assert full.att.details["periods_left_out_constant_outcome"] == ["1"]


def test_areas_left_out_are_named_as_text_in_text_order_categorical_or_not() -> None:
    # areas 2 and 10 (numbers) both without variation: named "10", "2" (text order, as the
    # labels are written), the same whether the areas come as numbers or as a categorical
    frame = _panel(19, treated_areas=3, comparison_areas=3, periods=range(-2, 2))
    numbers = frame["area"].str[1:].astype(int).replace({4: 10})  # areas 0, 1, 2 | 3, 10, 5
    changed = frame.assign(y=np.where(numbers.isin([2, 10]), 0, frame["y"]))
    for area in (numbers, pd.Categorical(numbers)):
        result = logistic_did(changed["y"], changed["treated"], changed["post"], area)
        assert result.att.details["areas_left_out_constant_outcome"] == ["10", "2"]


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        (lambda f: f.assign(y=np.where((f["treated"] == 1) & (f["post"] == 1), 1, f["y"])),
         "intervention areas after the start: all"),
        (lambda f: f.assign(y=0), "every child had the same outcome"),
        (lambda f: f[~((f["treated"] == 0) & (f["post"] == 1))],
         "no children in the comparison areas after the start"),
        (lambda f: f.assign(treated=np.where(f.index % 3 == 0, 1, f["treated"])),
         "labelled both intervention and comparison"),
        (lambda f: f.assign(x=(f["area"] == "a00").astype(float)), "singular design"),
        (lambda f: f.assign(x=f["y"] + 0.0), "separation"),
    ],
)
def test_degenerate_logistic_dids_give_reasons(change, reason) -> None:
    frame = change(_panel(13, treated_areas=2, comparison_areas=2, periods=range(-2, 2)))
    covariates = frame[["x"]] if "x" in frame else None
    result = logistic_did(frame["y"], frame["treated"], frame["post"], frame["area"],
                          covariates)
    for estimate in (result.att, result.odds_ratio):
        assert not estimate.estimable
        assert reason in estimate.reason
    assert "not estimable" in result.summary()


def test_period_labels_must_lie_wholly_before_or_after_the_start() -> None:
    frame = _panel(14, treated_areas=2, comparison_areas=2, periods=range(-2, 2))
    with pytest.raises(ValueError, match="post varies within a period_effects label"):
        logistic_did(frame["y"], frame["treated"], frame["post"], frame["area"],
                     period_effects=frame["period"].abs())


def test_an_area_whose_children_all_have_the_outcome_is_named_with_its_children() -> None:
    """The separation check names each area and period whose children's outcomes do not
    vary, in sorted order, with their children (logistic_did leaves such areas and periods
    out before it; the check guards the fit that follows)."""
    from pipeline.stats.did_models import NotEstimable, _require_no_separation

    y = np.array([1, 1, 1, 0, 1, 0, 0, 0, 1, 0], dtype=float)
    areas = pd.Series(["Öby", "Öby", "Öby", "Ås", "Ås", "Bro", "Bro", "Bro", "Ås", None])
    periods = pd.Series(["2021-03", "2021-09"] * 5)
    with pytest.raises(NotEstimable) as raised:
        _require_no_separation(y, np.zeros(10, dtype=bool), areas, periods, "period")
    assert str(raised.value).startswith(
        "separation — area Bro: none of 3 children has the outcome; "
        "area Öby: all 3 children have the outcome. ")
    _require_no_separation(y[3:5], np.zeros(2, dtype=bool), areas[3:5].reset_index(drop=True),
                           pd.Series(["a", "b"]).iloc[[0, 0]].reset_index(drop=True), "period")
