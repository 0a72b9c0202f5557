"""IPTW: weights, Kish effective sample size, weighted effects and their sandwich SEs.

The reference values below never come from `pipeline.stats.weighting` itself:
- hand formulas (saturated propensity model; weights-known HC0 variance);
- a generic stacked-estimating-equation sandwich written here in numpy, with the
  Jacobian taken by numerical differentiation (Stefanski & Boos 2002, Am Stat 56:29);
- statsmodels' `TreatmentEffect` GMM, whose IPW standard errors are tested against Stata's
  `teffects ipw` in statsmodels' own suite, on the Cattaneo (2010) birthweight data;
- a seeded nonparametric bootstrap that refits the propensity (and outcome) model;
- a seeded simulation with a true effect computed by Gauss–Hermite quadrature.
"""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

from pipeline.stats.regression import logistic_adjusted_effects
from pipeline.stats.weighting import (
    iptw_effect,
    iptw_weights,
    kish_effective_sample_size,
    weight_diagnostics,
)

# Hand-built: one binary confounder z. (z, treated): (children, events).
CELLS = {(0, 0): (40, 8), (0, 1): (10, 4), (1, 0): (20, 10), (1, 1): (30, 21)}


def _sample() -> tuple[np.ndarray, np.ndarray, pd.DataFrame]:
    z, t, y = [], [], []
    for (stratum, arm), (children, events) in CELLS.items():
        z += [stratum] * children
        t += [arm] * children
        y += [1] * events + [0] * (children - events)
    return np.array(y), np.array(t), pd.DataFrame({"z": z})


# --------------------------------------------------------------------------- reference tools


def _expit(eta: np.ndarray) -> np.ndarray:
    return 1 / (1 + np.exp(-eta))


def _newton_logit(
    columns: list[np.ndarray],
    y: np.ndarray,
    weights: np.ndarray | None = None,
    start: np.ndarray | None = None,
) -> np.ndarray:
    """(Weighted) logistic MLE by Newton–Raphson; batched over leading axes (bootstrap)."""
    k = len(columns)
    shape = y.shape[:-1] + (k,)
    beta = np.zeros(shape) if start is None else np.broadcast_to(start, shape).copy()
    w = np.ones_like(y) if weights is None else weights
    for _ in range(50):
        p = _expit(sum(c * beta[..., [j]] for j, c in enumerate(columns)))
        gradient = np.stack([(c * w * (y - p)).sum(-1) for c in columns], -1)
        curvature = w * p * (1 - p)
        hessian = np.empty(shape + (k,))
        for i in range(k):
            for j in range(i, k):
                hessian[..., i, j] = hessian[..., j, i] = (columns[i] * columns[j] * curvature).sum(-1)
        step = np.linalg.solve(hessian, gradient[..., None])[..., 0]
        beta = beta + step
        if np.abs(step).max() < 1e-11:
            return beta
    raise AssertionError("reference Newton fit did not converge")


def _numerical_sandwich(psi, theta: np.ndarray) -> np.ndarray:
    """A^-1 B A^-T / n with A the numerically differentiated mean of psi (central differences)."""
    values = psi(theta)
    n, q = values.shape
    jacobian = np.empty((q, q))
    for j in range(q):
        step = 1e-5 * max(1.0, abs(theta[j]))
        up, down = theta.copy(), theta.copy()
        up[j] += step
        down[j] -= step
        jacobian[:, j] = (psi(up).mean(0) - psi(down).mean(0)) / (2 * step)
    bread = np.linalg.inv(jacobian)
    return bread @ (values.T @ values / n) @ bread.T / n


def _raw_weights(t: np.ndarray, ps: np.ndarray, estimand: str) -> np.ndarray:
    if estimand == "ATE":
        return t / ps + (1 - t) / (1 - ps)
    return t + (1 - t) * ps / (1 - ps)


# --------------------------------------------------------------------------- weights and ESS


def test_att_weights_by_hand() -> None:
    # ps in stratum z is n1z / nz: z=0: 10/50, z=1: 30/50. Control weight ps/(1-ps) is
    # 10/40 = 0.25 in z=0 and 30/20 = 1.5 in z=1; normalised to mean 1 over the 60
    # controls: total raw weight 40*0.25 + 20*1.5 = 40, so 0.375 and 2.25.
    y, t, covariates = _sample()
    result = iptw_effect(y, t, covariates)
    controls = result.weights[t == 0]
    z = covariates["z"].to_numpy()[t == 0]
    assert np.allclose(controls[z == 0], 0.375)
    assert np.allclose(controls[z == 1], 2.25)
    assert np.allclose(result.weights[t == 1], 1.0)
    # Kish ESS by hand: (sum w)^2 / sum w^2 = 60^2 / (40*0.375^2 + 20*2.25^2) = 3600/106.875.
    ess = result.diagnostics.table.loc["comparison", "ess"]
    assert ess == pytest.approx(3600 / 106.875)
    assert kish_effective_sample_size(controls) == pytest.approx(3600 / 106.875)
    # ... and as plain numbers on the result and in every estimate's details.
    assert result.ess_comparison == pytest.approx(3600 / 106.875)
    assert result.ess_intervention == pytest.approx(40.0)  # ATT: treated weights all 1
    for estimate in (result.risk_difference, result.risk_ratio, result.odds_ratio):
        assert estimate.details["ess_comparison"] == pytest.approx(3600 / 106.875)
        assert estimate.details["ess_intervention"] == pytest.approx(40.0)


def test_att_risk_difference_equals_standardisation_to_the_treated() -> None:
    # With a single binary confounder, IPTW-ATT reweights controls to the treated
    # z-distribution exactly: RD = sum_z (n1z/n1) (p1z - p0z) = (10*0.2 + 30*0.2)/40.
    y, t, covariates = _sample()
    result = iptw_effect(y, t, covariates, estimand="ATT")
    expected = (10 * (4 / 10 - 8 / 40) + 30 * (21 / 30 - 10 / 20)) / 40
    assert result.risk_difference.estimate == pytest.approx(expected, abs=1e-10)
    # Same number as g-computation with the saturated outcome model (regression module).
    gcomp = logistic_adjusted_effects(y, t, covariates, estimand="ATT", interactions=True)
    assert result.risk_difference.estimate == pytest.approx(gcomp.risk_difference.estimate)
    risk_treated = 25 / 40
    risk_control = risk_treated - expected
    assert result.risk_ratio.estimate == pytest.approx(risk_treated / risk_control)


def test_ate_weights_known_hc0_sandwich_by_hand() -> None:
    """The earlier SE (weights treated as known) is still reported, in details."""
    y, t, covariates = _sample()
    result = iptw_effect(y, t, covariates, estimand="ATE", cov_type="HC0")
    expected = 0.5 * (4 / 10 - 8 / 40) + 0.5 * (21 / 30 - 10 / 20)
    assert result.risk_difference.estimate == pytest.approx(expected, abs=1e-10)
    # Sandwich of a difference of two weighted means (HC0): per group
    # sum w_i^2 (y_i - m)^2 / (sum w_i)^2, summed over groups.
    w = result.weights
    variance = 0.0
    for arm in (0, 1):
        in_arm = t == arm
        mean = np.average(y[in_arm], weights=w[in_arm])
        variance += (w[in_arm] ** 2 * (y[in_arm] - mean) ** 2).sum() / w[in_arm].sum() ** 2
    assert result.risk_difference.details["se_weights_known"] == pytest.approx(
        np.sqrt(variance), rel=1e-10
    )


def test_stabilised_ate_weights_match_definition() -> None:
    t = np.array([1, 1, 0, 0, 0])
    ps = np.array([0.5, 0.25, 0.5, 0.25, 0.2])
    weights = iptw_weights(t, ps, "ATE")
    raw_treated = 0.4 / ps[:2]
    raw_control = 0.6 / (1 - ps[2:])
    assert np.allclose(weights[:2], raw_treated / raw_treated.mean())
    assert np.allclose(weights[2:], raw_control / raw_control.mean())


# --------------------------------------------------------------------------- sandwich SEs


@pytest.mark.parametrize("estimand", ["ATE", "ATT"])
def test_saturated_propensity_sandwich_equals_stratified_variance_by_hand(estimand: str) -> None:
    """With a saturated propensity model IPTW is post-stratification; its variance by hand.

    The stacked sandwich then equals the variance of the efficient influence function
    (Hahn 1998, Econometrica 66:315; Hirano, Imbens & Ridder 2003, Econometrica 71:1161),
    which per stratum z (v = p(1 - p), d_z = p1z - p0z, RD the estimate) is
      ATE: sum_z [n_z^2 v1z / n1z + n_z^2 v0z / n0z + n_z (d_z - RD)^2] / n^2,
      ATT: sum_z [n1z v1z + n1z^2 v0z / n0z + n1z (d_z - RD)^2] / n1^2.
    """
    y, t, covariates = _sample()
    risk = {cell: events / children for cell, (children, events) in CELLS.items()}
    size = {cell: children for cell, (children, _) in CELLS.items()}
    v = {cell: p * (1 - p) for cell, p in risk.items()}
    d = {z: risk[(z, 1)] - risk[(z, 0)] for z in (0, 1)}
    n_z = {z: size[(z, 0)] + size[(z, 1)] for z in (0, 1)}
    if estimand == "ATE":
        rd = sum(n_z[z] * d[z] for z in (0, 1)) / 100
        variance = sum(
            n_z[z] ** 2 * v[(z, 1)] / size[(z, 1)]
            + n_z[z] ** 2 * v[(z, 0)] / size[(z, 0)]
            + n_z[z] * (d[z] - rd) ** 2
            for z in (0, 1)
        ) / 100**2
    else:
        rd = sum(size[(z, 1)] * d[z] for z in (0, 1)) / 40
        variance = sum(
            size[(z, 1)] * v[(z, 1)]
            + size[(z, 1)] ** 2 * v[(z, 0)] / size[(z, 0)]
            + size[(z, 1)] * (d[z] - rd) ** 2
            for z in (0, 1)
        ) / 40**2
    result = iptw_effect(y, t, covariates, estimand=estimand, cov_type="HC0").risk_difference
    assert result.estimate == pytest.approx(rd, abs=1e-10)
    assert result.se == pytest.approx(np.sqrt(variance), rel=1e-9)
    # HC1 multiplies the variance by n / (n - q); q = 2 propensity coefficients + 2 risks.
    hc1 = iptw_effect(y, t, covariates, estimand=estimand).risk_difference
    assert hc1.se == pytest.approx(np.sqrt(variance * 100 / 96), rel=1e-9)
    # Here estimating the propensity narrows the interval, for the ATE as theory says.
    assert result.se < result.details["se_weights_known"]


def _simulated(n: int, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Outcome, treatment, a continuous and a binary confounder."""
    rng = np.random.default_rng(seed)
    x1 = rng.normal(size=n)
    x2 = rng.binomial(1, 0.4, n).astype(float)
    t = rng.binomial(1, _expit(-0.4 + 0.9 * x1 + 0.6 * x2)).astype(float)
    y = rng.binomial(1, _expit(-0.6 + 1.5 * x1 - 0.7 * x2 + 0.5 * t)).astype(float)
    return y, t, x1, x2


@pytest.mark.parametrize(
    ("estimand", "doubly_robust", "options"),
    [
        ("ATE", False, {}),
        ("ATT", False, {}),
        ("ATE", True, {}),
        ("ATT", True, {}),
        ("ATE", False, {"truncate_quantile": 0.95}),
        ("ATT", True, {"trim_propensity": 0.1}),
    ],
)
def test_sandwich_equals_numerically_differentiated_stacked_sandwich(
    estimand: str, doubly_robust: bool, options: dict
) -> None:
    """Analytic stacked sandwich = generic one written here, Jacobian by finite differences.

    Stack (Lunceford & Davidian 2004; Reifeis & Hudgens 2022): logistic score
    x_i (t_i - e_i); IPTW: w_i 1{t_i = k} (y_i - mu_k) for k = 1, 0; IPWRA: the weighted
    logistic score w_i z_i (y_i - m_i) of the outcome model, then m_k(x_i) - mu_k over the
    target population. Truncation caps and the trimming set are held fixed (as documented).
    """
    y, t, x1, x2 = _simulated(400, seed=8)
    n = len(y)
    ps_columns = [np.ones(n), x1, x2]
    ps_exog = np.column_stack(ps_columns)
    alpha = _newton_logit(ps_columns, t)
    ps = _expit(ps_exog @ alpha)
    inside = np.ones(n, dtype=bool)
    if "trim_propensity" in options:
        a = options["trim_propensity"]
        inside = (ps >= a) & (ps <= 1 - a)
    caps = {}
    if "truncate_quantile" in options:
        raw = _raw_weights(t, ps, estimand)
        for arm in (0, 1):
            caps[arm] = np.quantile(raw[(t == arm) & inside], options["truncate_quantile"])

    def weights_at(alpha_value: np.ndarray) -> np.ndarray:
        raw = _raw_weights(t, _expit(ps_exog @ alpha_value), estimand)
        for arm, cap in caps.items():
            raw = np.where(t == arm, np.minimum(raw, cap), raw)
        return np.where(inside, raw, 0.0)

    k = len(ps_columns)
    target = inside & ((t == 1) | (estimand == "ATE"))
    out_exog = np.column_stack([np.ones(n), t, x1, x2])
    as_treated, as_untreated = out_exog.copy(), out_exog.copy()
    as_treated[:, 1], as_untreated[:, 1] = 1.0, 0.0
    if doubly_robust:
        w = weights_at(alpha)
        beta = _newton_logit([c[inside] for c in out_exog.T], y[inside], w[inside])
        risks = [_expit(as_treated[target] @ beta).mean(), _expit(as_untreated[target] @ beta).mean()]
        theta = np.concatenate([alpha, beta, risks])

        def psi(theta_value: np.ndarray) -> np.ndarray:
            a, b, mu1, mu0 = theta_value[:k], theta_value[k:-2], theta_value[-2], theta_value[-1]
            w = weights_at(a)
            return np.column_stack(
                [
                    ps_exog * (t - _expit(ps_exog @ a))[:, None],
                    out_exog * (w * (y - _expit(out_exog @ b)))[:, None],
                    target * (_expit(as_treated @ b) - mu1),
                    target * (_expit(as_untreated @ b) - mu0),
                ]
            )
    else:
        w = weights_at(alpha)
        risks = [np.average(y[t == arm], weights=w[t == arm]) for arm in (1, 0)]
        theta = np.concatenate([alpha, risks])

        def psi(theta_value: np.ndarray) -> np.ndarray:
            a, mu1, mu0 = theta_value[:k], theta_value[-2], theta_value[-1]
            w = weights_at(a)
            return np.column_stack(
                [ps_exog * (t - _expit(ps_exog @ a))[:, None], w * t * (y - mu1),
                 w * (1 - t) * (y - mu0)]
            )

    covariance = _numerical_sandwich(psi, theta)[-2:, -2:]
    contrast = np.array([1.0, -1.0])
    frame = pd.DataFrame({"x1": x1, "x2": x2})
    result = iptw_effect(
        y, t, frame, estimand=estimand, doubly_robust=doubly_robust, cov_type="HC0", **options
    )
    rd = result.risk_difference
    assert rd.method == ("ipwra" if doubly_robust else "iptw")
    assert rd.estimate == pytest.approx(risks[0] - risks[1], abs=1e-9)
    assert rd.se == pytest.approx(np.sqrt(contrast @ covariance @ contrast), rel=1e-6)
    gradient = np.array([1 / risks[0], -1 / risks[1]])  # log risk ratio, delta method
    assert result.risk_ratio.se == pytest.approx(
        np.sqrt(gradient @ covariance @ gradient), rel=1e-6
    )


def _cattaneo() -> pd.DataFrame:
    try:
        import statsmodels.treatment.tests as shipped_tests
    except ImportError:
        pytest.skip("statsmodels was installed without its test data")
    path = Path(shipped_tests.__file__).parent / "results" / "cataneo2.csv"
    if not path.exists():
        pytest.skip("statsmodels was installed without its test data")
    return pd.read_csv(path)


@pytest.mark.parametrize(("estimand", "effect_group"), [("ATE", "all"), ("ATT", 1)])
def test_matches_statsmodels_treatment_effect_gmm_on_cattaneo_data(estimand, effect_group) -> None:
    """Low birthweight by maternal smoking (Cattaneo 2010 data, n = 4642), logistic PS.

    statsmodels' `TreatmentEffect.ipw` solves the same stacked moments (propensity score
    and normalised weighted means) as a just-identified GMM, with HC0 covariance and
    numerical derivatives; its standard errors reproduce Stata's `teffects ipw`.
    """
    from statsmodels.treatment.treatment_effects import TreatmentEffect

    data = _cattaneo()
    covariates = data[["mmarried_", "mage", "mage2", "fbaby_", "medu"]]
    treated = data["mbsmoke_"].to_numpy(dtype=float)
    low_weight = data["lbweight"].to_numpy(dtype=float)
    propensity_model = sm.Logit(treated, sm.add_constant(covariates)).fit(disp=0)
    outcome_model = sm.OLS(low_weight, np.ones((len(low_weight), 1)))  # only its endog is used
    reference = TreatmentEffect(outcome_model, treated, results_select=propensity_model).ipw(
        effect_group=effect_group
    )
    result = iptw_effect(low_weight, treated, covariates, estimand=estimand, cov_type="HC0")
    rd = result.risk_difference
    assert rd.estimate == pytest.approx(reference.results_gmm.params[0], rel=1e-6)
    assert rd.details["risk_comparison"] == pytest.approx(reference.results_gmm.params[1], rel=1e-6)
    assert rd.se == pytest.approx(reference.results_gmm.bse[0], rel=1e-4)
    # For the ATT the correction can go either way: here the stacked sandwich is LARGER
    # than the weights-known SE, whereas in the hand-built CELLS example it is smaller.
    if estimand == "ATT":
        assert rd.se > rd.details["se_weights_known"]


def test_sandwich_agrees_with_a_bootstrap_that_refits_the_models() -> None:
    """2000 bootstrap replicates (n = 1000) refitting the propensity and outcome models.

    Monte Carlo error of a bootstrap SD with B = 2000 is about 1/sqrt(2B) = 1.6 %, so 10 % is
    a generous margin for a correct SE; the weights-known SE misses it (too wide here).
    """
    y, t, x1, x2 = _simulated(1000, seed=2024)
    n, replicates = len(y), 2000
    rows = np.random.default_rng(99).integers(0, n, (replicates, n))
    yb, tb, x1b, x2b = y[rows], t[rows], x1[rows], x2[rows]
    ones = np.ones_like(yb)
    alpha_full = _newton_logit([np.ones(n), x1, x2], t)
    alpha = _newton_logit([ones, x1b, x2b], tb, start=alpha_full)
    ps = _expit(alpha[:, [0]] + alpha[:, [1]] * x1b + alpha[:, [2]] * x2b)
    frame = pd.DataFrame({"x1": x1, "x2": x2})
    for estimand in ("ATE", "ATT"):
        w = _raw_weights(tb, ps, estimand)
        iptw = (w * tb * yb).sum(1) / (w * tb).sum(1) - (w * (1 - tb) * yb).sum(1) / (
            w * (1 - tb)
        ).sum(1)
        columns = [ones, tb, x1b, x2b]
        beta_full = _newton_logit(
            [np.ones(n), t, x1, x2], y, _raw_weights(t, _expit(alpha_full[0] + alpha_full[1] * x1
                                                               + alpha_full[2] * x2), estimand)
        )
        beta = _newton_logit(columns, yb, w, start=beta_full)
        target = ones if estimand == "ATE" else tb
        linear = beta[:, [0]] + beta[:, [2]] * x1b + beta[:, [3]] * x2b
        effect = _expit(linear + beta[:, [1]]) - _expit(linear)
        ipwra = (effect * target).sum(1) / target.sum(1)

        plain = iptw_effect(y, t, frame, estimand=estimand, cov_type="HC0").risk_difference
        assert plain.se == pytest.approx(iptw.std(ddof=1), rel=0.10)
        assert abs(plain.details["se_weights_known"] / iptw.std(ddof=1) - 1) > 0.15
        robust = iptw_effect(
            y, t, frame, estimand=estimand, cov_type="HC0", doubly_robust=True
        ).risk_difference
        assert robust.se == pytest.approx(ipwra.std(ddof=1), rel=0.10)


# --------------------------------------------------------------------------- double robustness

# x ~ N(0, 1); every model below is fitted with x entered linearly. In "outcome model wrong"
# the propensity is logistic-linear (right) and the outcome has x^2 and T*x terms (wrong);
# in "propensity model wrong" the propensity is logistic in exp(x) (wrong) and the outcome
# logistic-linear in T and x (right).
SCENARIOS = {
    "outcome model wrong": (
        lambda x: _expit(-0.3 + 0.8 * x),
        lambda x, t: _expit(-1.5 + 1.5 * x**2 - 1.0 * x + t * (0.2 + 1.5 * x)),
    ),
    "propensity model wrong": (
        lambda x: _expit(1.5 * np.exp(x) - 2.5),
        lambda x, t: _expit(-0.5 + 1.5 * x + 0.6 * t),
    ),
}


def _true_effect(propensity, risk, estimand: str) -> float:
    """ATE or ATT risk difference by Gauss–Hermite quadrature over x ~ N(0, 1)."""
    nodes, mass = np.polynomial.hermite_e.hermegauss(100)
    mass = mass / mass.sum()
    difference = risk(nodes, 1) - risk(nodes, 0)
    if estimand == "ATE":
        return float((mass * difference).sum())
    return float((mass * propensity(nodes) * difference).sum() / (mass * propensity(nodes)).sum())


def _single_model_estimate(y, t, x, estimand: str, which: str) -> float:
    """IPTW alone, or g-computation alone (both with x linear): the non-robust comparators."""
    ones = np.ones_like(x)
    if which == "iptw":
        alpha = _newton_logit([ones, x], t)
        w = _raw_weights(t, _expit(alpha[0] + alpha[1] * x), estimand)
        return np.average(y[t == 1], weights=w[t == 1]) - np.average(y[t == 0], weights=w[t == 0])
    beta = _newton_logit([ones, t, x], y)
    over = ones.astype(bool) if estimand == "ATE" else t == 1
    linear = beta[0] + beta[2] * x[over]
    return float((_expit(linear + beta[1]) - _expit(linear)).mean())


@pytest.mark.parametrize("scenario", list(SCENARIOS))
def test_doubly_robust_estimate_is_unbiased_when_one_model_is_right(scenario: str) -> None:
    """Mean over 10 replicates of n = 4000 lies within 3 Monte Carlo SEs of the true effect.

    Monte Carlo SE = the replicates' mean sandwich SE / sqrt(10) (the sandwich is checked
    against the bootstrap above; 10 replicates estimate their own SD too roughly). The
    single-model estimator that relies on the wrong model lies more than 3 Monte Carlo SEs
    away on the same replicates, so the check has teeth.
    """
    propensity, risk = SCENARIOS[scenario]
    wrong = "regression" if scenario == "outcome model wrong" else "iptw"
    replicates = 10
    rng = np.random.default_rng(17)
    estimates = {(e, m): [] for e in ("ATE", "ATT") for m in ("ipwra", "single", "se")}
    for _ in range(replicates):
        x = rng.normal(size=4000)
        t = rng.binomial(1, propensity(x)).astype(float)
        y = rng.binomial(1, risk(x, t)).astype(float)
        for estimand in ("ATE", "ATT"):
            result = iptw_effect(
                y, t, pd.DataFrame({"x": x}), estimand=estimand, doubly_robust=True
            ).risk_difference
            estimates[(estimand, "ipwra")].append(result.estimate)
            estimates[(estimand, "se")].append(result.se)
            estimates[(estimand, "single")].append(_single_model_estimate(y, t, x, estimand, wrong))
    for estimand in ("ATE", "ATT"):
        truth = _true_effect(propensity, risk, estimand)
        monte_carlo_se = np.mean(estimates[(estimand, "se")]) / np.sqrt(replicates)
        robust_bias = np.mean(estimates[(estimand, "ipwra")]) - truth
        single_bias = np.mean(estimates[(estimand, "single")]) - truth
        assert abs(robust_bias) < 3 * monte_carlo_se, (estimand, robust_bias, monte_carlo_se)
        assert abs(single_bias) > 3 * monte_carlo_se, (estimand, single_bias, monte_carlo_se)


# --------------------------------------------------------------------------- edge cases


def test_extreme_weights_are_flagged_and_truncation_caps_them() -> None:
    t = np.array([1] * 20 + [0] * 20)
    weights = np.array([1.0] * 20 + [0.1] * 19 + [30.0])
    diagnostics = weight_diagnostics(t, weights)
    assert any("largest weight" in w for w in diagnostics.warnings)
    assert any("effective sample size" in w for w in diagnostics.warnings)

    rng = np.random.default_rng(11)
    n = 400
    x = rng.normal(size=n)
    treated = rng.binomial(1, 1 / (1 + np.exp(-2.5 * x)))
    outcome = rng.binomial(1, 0.3 + 0.1 * treated)
    untrimmed = iptw_effect(outcome, treated, pd.DataFrame({"x": x}))
    truncated = iptw_effect(outcome, treated, pd.DataFrame({"x": x}), truncate_quantile=0.95)
    assert truncated.weights.max() < untrimmed.weights.max()
    assert truncated.risk_difference.details["truncated_at_quantile"] == 0.95
    assert truncated.ess_comparison > untrimmed.ess_comparison


def test_propensity_separation_is_not_estimable() -> None:
    # Covariate x > 0 exactly identifies the treated: no overlap.
    x = np.array([-3.0, -2, -1.5, -1, 1, 1.5, 2, 3])
    treated = (x > 0).astype(int)
    for doubly_robust in (False, True):
        result = iptw_effect([0, 1, 0, 1, 1, 0, 1, 1], treated, pd.DataFrame({"x": x}),
                             doubly_robust=doubly_robust)
        assert not result.risk_difference.estimable
        assert "separation" in result.risk_difference.reason
        assert "overlap" in result.risk_difference.reason


def test_zero_cell_gives_reason_for_ratios() -> None:
    y, t, covariates = _sample()
    y = np.where(t == 1, 0, y)  # no events among the treated
    result = iptw_effect(y, t, covariates)
    assert not result.risk_ratio.estimable
    assert "zero cell" in result.risk_ratio.reason
    assert "one_group_no_variance" in result.risk_difference.flags
    assert "zero_cell" in result.risk_ratio.flags
    # The doubly robust outcome model cannot be fitted: treatment separates the outcome.
    robust = iptw_effect(y, t, covariates, doubly_robust=True)
    assert not robust.risk_difference.estimable
    assert "weighted outcome model" in robust.risk_difference.reason
    assert robust.diagnostics is not None


def test_one_child_group_gives_reason() -> None:
    result = iptw_effect([0, 1, 0, 1], [1, 0, 0, 0], pd.DataFrame({"x": [1.0, 2, 3, 4]}))
    assert not result.risk_difference.estimable
    assert "only 1 child" in result.risk_difference.reason


def test_the_weights_known_covariance_is_the_wls_sandwich_by_hand_and_statsmodels() -> None:
    """Treated y = 1, 0 with weights 1, 1: mean 0.5, sum(w^2 e^2) = 0.5, over 2^2: 0.125.
    Comparison y = 1, 0, 0 with weights 2, 1, 1: mean 0.5, w e = 1, -0.5, -0.5, so 1.5 / 4^2
    = 0.09375. HC1 scales both by n / (n - 2) = 5 / 3. statsmodels' WLS gives the same."""
    from pipeline.stats.weighting import _weights_known_covariance

    y, t = np.array([1.0, 0, 1, 0, 0]), np.array([1.0, 1, 0, 0, 0])
    w = np.array([1.0, 1, 2, 1, 1])
    np.testing.assert_allclose(_weights_known_covariance(y, t, w, "HC0"), np.diag([0.125, 0.09375]))
    np.testing.assert_allclose(_weights_known_covariance(y, t, w, "HC1"),
                               np.diag([0.125, 0.09375]) * 5 / 3)
    rng = np.random.default_rng(7)
    y, t = (rng.random(2000) < 0.3).astype(float), (rng.random(2000) < 0.4).astype(float)
    w = rng.gamma(2, 1, 2000)
    to_risks = np.array([[1.0, 1.0], [1.0, 0.0]])
    for cov_type in ("HC0", "HC1"):
        fit = sm.WLS(y, np.column_stack([np.ones(len(y)), t]), weights=w).fit(cov_type=cov_type)
        expected = to_risks @ np.asarray(fit.cov_params()) @ to_risks.T
        np.testing.assert_allclose(_weights_known_covariance(y, t, w, cov_type), expected,
                                   rtol=1e-12, atol=1e-15)
