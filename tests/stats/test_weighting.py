"""IPTW: weights, Kish effective sample size, weighted effects and sandwich SEs."""

import numpy as np
import pandas as pd
import pytest

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


def test_ate_risk_difference_and_hc0_sandwich_by_hand() -> None:
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
    assert result.risk_difference.details["se"] == pytest.approx(np.sqrt(variance), rel=1e-10)


def test_stabilised_ate_weights_match_definition() -> None:
    t = np.array([1, 1, 0, 0, 0])
    ps = np.array([0.5, 0.25, 0.5, 0.25, 0.2])
    weights = iptw_weights(t, ps, "ATE")
    raw_treated = 0.4 / ps[:2]
    raw_control = 0.6 / (1 - ps[2:])
    assert np.allclose(weights[:2], raw_treated / raw_treated.mean())
    assert np.allclose(weights[2:], raw_control / raw_control.mean())


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


def test_propensity_separation_is_not_estimable() -> None:
    # Covariate x > 0 exactly identifies the treated: no overlap.
    x = np.array([-3.0, -2, -1.5, -1, 1, 1.5, 2, 3])
    treated = (x > 0).astype(int)
    result = iptw_effect([0, 1, 0, 1, 1, 0, 1, 1], treated, pd.DataFrame({"x": x}))
    assert not result.risk_difference.estimable
    assert "separation" in result.risk_difference.reason
    assert "overlap" in result.risk_difference.reason


def test_zero_cell_gives_reason_for_ratios() -> None:
    y, t, covariates = _sample()
    y = np.where(t == 1, 0, y)  # no events among the treated
    result = iptw_effect(y, t, covariates)
    assert not result.risk_ratio.estimable
    assert "zero cell" in result.risk_ratio.reason
    assert "note" in result.risk_difference.details


def test_one_child_group_gives_reason() -> None:
    result = iptw_effect([0, 1, 0, 1], [1, 0, 0, 0], pd.DataFrame({"x": [1.0, 2, 3, 4]}))
    assert not result.risk_difference.estimable
    assert "only 1 child" in result.risk_difference.reason
