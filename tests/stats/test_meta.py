"""Random-effects meta-analysis against metafor's published BCG vaccine results.

The data are the 13 BCG vaccine trials of Colditz et al. (1994, JAMA 271:698), metafor's
`dat.bcg` (metadat package, data-raw/dat.bcg.txt). Each trial's log risk ratio and its
sampling variance are computed here by hand, as metafor's
`escalc(measure="RR", ai=tpos, bi=tneg, ci=cpos, di=cneg)`. The expected values are metafor's
printed output, to its printed digits (the tolerance is half a unit of the last digit):

- [rma.uni]  https://wviechtb.github.io/metafor/reference/rma.uni.html, examples
  (`rma(yi, vi, data=dat, method="REML")` and `method="FE"`), also printed in metadat's
  dat.bcg help page;
- [README]   metafor's README.md (github.com/wviechtb/metafor, commit 71ae8f5a),
  `rma(yi, vi, data=dat, test="knha")` and `predict(res, transf=exp, digits=2)`;
- [predict]  https://wviechtb.github.io/metafor/reference/predict.rma.html,
  `predict(res, digits=2)` for the REML model; metadat's dat.bcg help page,
  `predict(res, transf=exp)`;
- [metan]    metafor tests/testthat/test_misc_metan_vs_rma.uni_with_dat.bcg.r (metafor
  against Stata's metan: the DL and FE models);
- [confint]  metafor tests/testthat/test_misc_confint.r (Q-profile interval of tau² and
  H² of the DL model);
- [influence] metafor tests/testthat/test_misc_influence.r (weight of trial 1 in the REML
  model, in percent).
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from pipeline.stats.meta import meta_analysis

# tpos, tneg, cpos, cneg: TB cases and non-cases among vaccinated and control participants.
BCG = {
    "Aronson 1948": (4, 119, 11, 128),
    "Ferguson & Simes 1949": (6, 300, 29, 274),
    "Rosenthal et al 1960": (3, 228, 11, 209),
    "Hart & Sutherland 1977": (62, 13536, 248, 12619),
    "Frimodt-Moller et al 1973": (33, 5036, 47, 5761),
    "Stein & Aronson 1953": (180, 1361, 372, 1079),
    "Vandiviere et al 1973": (8, 2537, 10, 619),
    "TPT Madras 1980": (505, 87886, 499, 87892),
    "Coetzee & Berjak 1968": (29, 7470, 45, 7232),
    "Rosenthal et al 1961": (17, 1699, 65, 1600),
    "Comstock et al 1974": (186, 50448, 141, 27197),
    "Comstock & Webster 1969": (5, 2493, 3, 2338),
    "Comstock et al 1976": (27, 16886, 29, 17825),
}


def _printed(value: float, decimals: int) -> object:
    """`value` as printed to `decimals` places: equal within half a unit of the last digit."""
    return pytest.approx(value, abs=0.5 * 10**-decimals)


def _bcg() -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Log risk ratios, their standard errors and the trial labels."""
    a, b, c, d = (np.array(column, dtype=float) for column in zip(*BCG.values(), strict=True))
    log_rr = np.log(a / (a + b)) - np.log(c / (c + d))
    variance = 1 / a - 1 / (a + b) + 1 / c - 1 / (c + d)
    return log_rr, np.sqrt(variance), list(BCG)


def test_bcg_reml_with_the_normal_interval_matches_metafor():
    y, se, labels = _bcg()
    result = meta_analysis(y, se, labels=labels, method="REML", interval="normal")
    pooled = result.pooled
    # [rma.uni]: tau^2 0.3132, I^2 92.22%, H^2 12.86, Q(df = 12) = 152.2330,
    # estimate -0.7145, se 0.1798, zval -3.9744, ci.lb -1.0669, ci.ub -0.3622
    assert result.tau2 == _printed(0.3132, 4)
    assert result.i2 == _printed(92.22, 2)
    assert result.h2 == _printed(12.86, 2)
    assert (result.q, result.q_df) == (_printed(152.2330, 4), 12)
    assert pooled.estimate == _printed(-0.7145, 4)
    assert pooled.se == _printed(0.1798, 4)
    assert pooled.details["statistic"] == _printed(-3.9744, 4)
    assert (pooled.ci_low, pooled.ci_high) == (_printed(-1.0669, 4), _printed(-0.3622, 4))
    assert (pooled.measure, pooled.method, pooled.n, pooled.df) == (
        "pooled", "random_effects_reml_normal", 13, None)
    # [predict]: pi.lb -1.87, pi.ub 0.44 (digits=2); transf=exp: pi.lb 0.1546, pi.ub 1.5490
    assert (result.prediction_low, result.prediction_high) == (_printed(-1.87, 2), _printed(0.44, 2))
    assert math.exp(result.prediction_low) == _printed(0.1546, 4)
    assert math.exp(result.prediction_high) == _printed(1.5490, 4)
    # [confint]: Q-profile interval of tau^2 0.1197 to 1.1115 (it does not depend on the
    # estimator of tau^2, so the DL model's interval is the REML model's)
    assert result.tau2_ci == (_printed(0.1197, 4), _printed(1.1115, 4))
    # [influence]: trial 1 has weight 5.0595% (5.05948307931551)
    assert result.weights[0] == _printed(5.0595, 4)
    assert sum(result.weights) == pytest.approx(100)
    assert result.labels == tuple(labels) and result.excluded == ()


def test_bcg_reml_with_hksj_matches_metafor_test_knha():
    y, se, _ = _bcg()
    result = meta_analysis(y, se)  # REML and HKSJ are the defaults
    pooled = result.pooled
    # [README] rma(yi, vi, data=dat, test="knha"): estimate -0.7145, se 0.1808, tval -3.9522,
    # df 12, pval 0.0019, ci.lb -1.1084, ci.ub -0.3206
    assert pooled.method == "random_effects_reml_hksj"
    assert pooled.estimate == _printed(-0.7145, 4)
    assert pooled.se == _printed(0.1808, 4)
    assert pooled.details["statistic"] == _printed(-3.9522, 4)
    assert pooled.df == 12
    assert pooled.p_value == _printed(0.0019, 4)
    assert (pooled.ci_low, pooled.ci_high) == (_printed(-1.1084, 4), _printed(-0.3206, 4))
    # [README] predict(res, transf=exp, digits=2): pred 0.49, ci 0.33 to 0.73, pi 0.14 to 1.76
    # (metafor's prediction interval under test="knha" uses t with k - 1 df and the
    # HKSJ-scaled SE)
    assert [round(math.exp(value), 2) for value in (
        pooled.estimate, pooled.ci_low, pooled.ci_high,
        result.prediction_low, result.prediction_high)] == [0.49, 0.33, 0.73, 0.14, 1.76]
    # the factor q is 1.0113 here, so the ad hoc floor at 1 changes nothing
    assert pooled.details["hksj_scale"] > 1
    # and it is the squared ratio of the printed knha and z standard errors, 0.1808 / 0.1798
    assert result.hksj_factor == pytest.approx((0.1808 / 0.1798) ** 2, abs=2e-3)
    assert meta_analysis(y, se, hksj_floor=True).pooled.se == pytest.approx(pooled.se)


def test_bcg_dersimonian_laird_and_fixed_effect_match_metafor():
    y, se, _ = _bcg()
    dl = meta_analysis(y, se, method="DL", interval="normal")
    # [metan] method="DL": tau2 0.3088, estimate -0.7141, ci -1.0644 to -0.3638, zval -3.9952,
    # I2 92.1173; [confint]: H2 12.6861
    assert dl.tau2 == _printed(0.3088, 4)
    assert dl.pooled.estimate == _printed(-0.7141, 4)
    assert (dl.pooled.ci_low, dl.pooled.ci_high) == (_printed(-1.0644, 4), _printed(-0.3638, 4))
    assert dl.pooled.details["statistic"] == _printed(-3.9952, 4)
    assert dl.i2 == _printed(92.1173, 4)
    assert dl.h2 == _printed(12.6861, 4)

    fe = meta_analysis(y, se, method="FE", interval="normal")
    # [rma.uni] method="FE": estimate -0.4303, se 0.0405, zval -10.6247, ci -0.5097 to
    # -0.3509, I^2 92.12%, H^2 12.69, Q(df = 12) = 152.2330 ([metan] gives the same)
    for fixed in (fe.pooled, fe.fixed, dl.fixed):
        assert fixed.method == "fixed_effect_normal"
        assert fixed.estimate == _printed(-0.4303, 4)
        assert fixed.se == _printed(0.0405, 4)
        assert fixed.details["statistic"] == _printed(-10.6247, 4)
        assert (fixed.ci_low, fixed.ci_high) == (_printed(-0.5097, 4), _printed(-0.3509, 4))
    assert (fe.tau2, fe.tau2_ci) == (0.0, None)
    assert (fe.i2, fe.h2) == (_printed(92.12, 2), _printed(12.69, 2))
    assert fe.q == _printed(152.2330, 4)


def test_sites_without_an_estimate_or_a_positive_se_are_listed_and_left_out():
    y, se, labels = _bcg()
    with_gaps = meta_analysis([*y, None, 0.3], [*se, 0.2, 0.0],
                              labels=[*labels, "Kommun X", "Kommun Y"])
    assert with_gaps.excluded == (
        ("Kommun X", "estimate missing"),
        ("Kommun Y", "standard error is 0 (the site would get all the weight)"))
    assert with_gaps.k == 13 and with_gaps.labels == tuple(labels)
    without = meta_analysis(y, se, labels=labels)
    assert with_gaps.pooled == without.pooled
    assert (with_gaps.tau2, with_gaps.weights) == (without.tau2, without.weights)
    assert "excluded Kommun Y: standard error is 0" in with_gaps.summary()
    # NaN is missing too; a negative standard error is named as such
    assert meta_analysis([0.1, float("nan"), 0.2], [0.1, 0.1, -0.1]).excluded == (
        (2, "estimate missing"), (3, "standard error is negative"))


def test_one_site_is_reported_as_it_is_without_pooling_or_heterogeneity():
    result = meta_analysis([0.12, None], [0.05, 0.04], labels=["Solna", "Kista"])
    assert not result.pooled.estimable
    assert "only one site (Solna)" in result.pooled.reason
    assert "no heterogeneity" in result.pooled.reason
    # the fixed-effect estimate of one site is that site's own estimate and normal interval
    assert result.fixed.estimate == 0.12
    assert result.fixed.ci_low == pytest.approx(0.12 - 1.959964 * 0.05, abs=1e-6)
    assert not result.heterogeneity.estimable
    assert (result.k, result.tau2, result.i2, result.weights) == (1, None, None, (100.0,))
    nothing = meta_analysis([None], [0.1])
    assert not nothing.pooled.estimable and not nothing.fixed.estimable
    assert nothing.k == 0 and nothing.excluded == ((1, "estimate missing"),)


def test_two_sites_with_equal_standard_errors():
    # With equal sampling variances v, REML's tau² is the sample variance less v (the
    # balanced one-way random-effects model; Viechtbauer 2005): 0.5 - 0.01 = 0.49. Then
    # mu = 0.5, SE = sqrt((0.49 + 0.01) / 2) = 0.5, q = (2 * 0.25 / 0.5) / 1 = 1, and the
    # HKSJ interval is 0.5 ± t(0.975; 1) · 0.5, t(0.975; 1) = tan(0.475 π) (Cauchy).
    result = meta_analysis([0.0, 1.0], [0.1, 0.1])
    assert result.tau2 == pytest.approx(0.49, abs=1e-9)
    half_width = math.tan(0.475 * math.pi) * 0.5
    assert result.pooled.estimate == pytest.approx(0.5)
    assert result.pooled.se == pytest.approx(0.5)
    assert (result.pooled.ci_low, result.pooled.ci_high) == (
        pytest.approx(0.5 - half_width), pytest.approx(0.5 + half_width))
    assert result.pooled.df == 1
    # s² = v, so I² = 100 · 0.49 / 0.5 = 98 and H² = 0.5 / 0.01 = 50; Q = 50 on 1 df, whose
    # chi-square tail is erfc(√25)
    assert (result.i2, result.h2) == (pytest.approx(98), pytest.approx(50))
    assert (result.q, result.q_df) == (pytest.approx(50), 1)
    assert result.q_p == pytest.approx(math.erfc(5))
    assert result.weights == (pytest.approx(50), pytest.approx(50))


def test_identical_estimates_have_no_heterogeneity():
    for method in ("REML", "DL"):
        result = meta_analysis([0.2, 0.2, 0.2], [0.1, 0.2, 0.3], method=method)
        assert (result.tau2, result.i2, result.h2) == (0.0, 0.0, 1.0)
        assert result.q == pytest.approx(0.0, abs=1e-12) and result.q_p == pytest.approx(1.0)
        assert result.tau2_ci == (0.0, 0.0)
        assert result.pooled.estimate == pytest.approx(0.2)
        # the HKSJ factor is 0: no interval of zero width is passed off as one
        assert result.pooled.ci_low is None and result.pooled.p_value is None
        assert "same estimate" in result.pooled.reason
        assert result.pooled.flags == ("no_p_zero_variance",)
        assert result.prediction_low is None
    floored = meta_analysis([0.2, 0.2, 0.2], [0.1, 0.2, 0.3], hksj_floor=True).pooled
    normal = meta_analysis([0.2, 0.2, 0.2], [0.1, 0.2, 0.3], interval="normal").pooled
    assert floored.method == "random_effects_reml_hksj_floor"
    assert floored.se == pytest.approx(normal.se)
    assert floored.ci_low < normal.ci_low  # t(2), not z


def test_invalid_input_is_an_error():
    with pytest.raises(ValueError, match="2 estimates and 3 standard errors"):
        meta_analysis([0.1, 0.2], [0.1, 0.1, 0.1])
    with pytest.raises(ValueError, match="distinct"):
        meta_analysis([0.1, 0.2], [0.1, 0.1], labels=["A", "A"])
    with pytest.raises(ValueError, match='interval="normal"'):
        meta_analysis([0.1, 0.2], [0.1, 0.1], method="FE")
    with pytest.raises(ValueError, match="method must be one of"):
        meta_analysis([0.1, 0.2], [0.1, 0.1], method="PM")
    with pytest.raises(ValueError, match="infinite"):
        meta_analysis([0.1, float("inf")], [0.1, 0.1])
