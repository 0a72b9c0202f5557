"""p-charts and funnel plots against hand arithmetic, a textbook example and exact binomials."""

from fractions import Fraction
from math import comb

import numpy as np
import pytest

from pipeline.stats.monitoring import funnel_limits, funnel_plot, p_chart
from pipeline.stats.results import FLAGS, NotEstimable

# ---------------------------------------------------------------------------------- p-chart


def test_p_chart_limits_and_flags_by_hand():
    # Baseline p̄ = 50/500 = 0.10, so √(p̄(1 − p̄)) = √0.09 = 0.3 and the limits are
    #   n = 100: 0.10 ± 3·0.3/10 = 0.10 ± 0.09  -> (0.01, 0.19)
    #   n = 25:  0.10 ± 3·0.3/5  = 0.10 ± 0.18  -> (−0.08, 0.28), lower truncated to 0
    #   n = 400: 0.10 ± 3·0.3/20 = 0.10 ± 0.045 -> (0.055, 0.145)
    events = [20, 0, 10, 0, 8, 60, 20]
    children = [100, 100, 100, 25, 25, 400, 400]
    chart = p_chart(events, children, baseline_events=[10] * 5, baseline_denominators=[100] * 5)
    assert chart.centre == pytest.approx(0.10)
    assert (chart.baseline_events, chart.baseline_denominator, chart.baseline_given) == (50, 500, True)
    assert chart.lower == pytest.approx([0.01, 0.01, 0.01, 0.0, 0.0, 0.055, 0.055])
    assert chart.upper == pytest.approx([0.19, 0.19, 0.19, 0.28, 0.28, 0.145, 0.145])
    # 0.20 > 0.19; 0 < 0.01; 0.10 within; 0/25 = 0 is not below a lower limit of 0;
    # 8/25 = 0.32 > 0.28; 60/400 = 0.15 > 0.145; 20/400 = 0.05 < 0.055
    assert chart.outside == ("above", "below", "", "", "above", "above", "below")
    assert chart.note == "" and chart.runs == ()


def test_p_chart_centre_defaults_to_the_points_themselves():
    # p̄ = (5 + 15)/(100 + 100) = 0.10
    chart = p_chart([5, 15], [100, 100])
    assert chart.centre == pytest.approx(0.10)
    assert (chart.baseline_events, chart.baseline_denominator, chart.baseline_given) == (20, 200, False)


def test_p_chart_matches_montgomery_orange_juice_cans():
    # Montgomery, Introduction to Statistical Quality Control, Example 7.1 (Table 7.1): 30
    # samples of n = 50 frozen orange juice cans, nonconforming cans per sample. The counts
    # total 347, reproducing the printed p̄ = 347/1500 = 0.2313; the printed limits are
    # UCL = 0.4102 and LCL = 0.0524 (0.410239, 0.231333, 0.052428 in a spreadsheet copy of the
    # example); samples 15 (22/50 = 0.44) and 23 (24/50 = 0.48) lie above the UCL.
    nonconforming = [12, 15, 8, 10, 4, 7, 16, 9, 14, 10, 5, 6, 17, 12, 22,
                     8, 10, 5, 13, 11, 20, 18, 24, 15, 9, 12, 7, 13, 9, 6]
    assert sum(nonconforming) == 347
    chart = p_chart(nonconforming, [50] * 30)
    assert round(chart.centre, 4) == 0.2313
    assert set(chart.upper.round(4)) == {0.4102} and set(chart.lower.round(4)) == {0.0524}
    assert [i + 1 for i, side in enumerate(chart.outside) if side] == [15, 23]
    assert chart.runs == ()
    # The example goes on to drop samples 15 and 23 (assignable causes) from the baseline:
    # p̄ = (347 − 22 − 24)/1400 = 301/1400 = 0.2150, 3·√(0.215·0.785/50) = 0.17430, so
    # UCL = 0.3893 and LCL = 0.0407; sample 21 (20/50 = 0.40) now lies above the UCL too.
    kept = [i for i in range(30) if i not in (14, 22)]
    revised = p_chart(nonconforming, [50] * 30, baseline_events=[nonconforming[i] for i in kept],
                      baseline_denominators=[50] * len(kept))
    assert round(revised.centre, 4) == 0.2150
    assert round(revised.upper[0], 4) == 0.3893 and round(revised.lower[0], 4) == 0.0407
    assert [i + 1 for i, side in enumerate(revised.outside) if side] == [15, 21, 23]


def test_run_of_eight_on_one_side_is_detected_and_seven_is_not():
    # p̄ = 0.10 from the baseline; 12/100 = 0.12 lies above the centre but within (0.01, 0.19),
    # 8/100 = 0.08 below it, so only the run rule can signal.
    eight = p_chart([8] + [12] * 8 + [8], [100] * 10, baseline_events=50, baseline_denominators=500)
    assert eight.runs == ((1, 2, 3, 4, 5, 6, 7, 8),)
    assert set(eight.outside) == {""}
    assert eight.to_frame()["run"].tolist() == [""] + ["above"] * 8 + [""]
    seven = p_chart([8] + [12] * 7 + [8], [100] * 9, baseline_events=50, baseline_denominators=500)
    assert seven.runs == ()
    below = p_chart([12] + [8] * 9, [100] * 10, baseline_events=50, baseline_denominators=500)
    assert below.runs == (tuple(range(1, 10)),)
    assert below.to_frame()["run"].tolist() == [""] + ["below"] * 9


def test_run_is_broken_by_a_point_on_the_centre_line_but_not_by_an_empty_quarter():
    # 10/100 = 0.10 is on the centre line: 4 + 4 above it is no run of 8. A quarter without
    # children is not a point on the chart, so the 8 points around it run on.
    on_line = p_chart([12] * 4 + [10] + [12] * 4, [100] * 9, baseline_events=50,
                      baseline_denominators=500)
    assert on_line.runs == ()
    empty = p_chart([12] * 4 + [0] + [12] * 4, [100] * 4 + [0] + [100] * 4, baseline_events=50,
                    baseline_denominators=500)
    assert empty.runs == ((0, 1, 2, 3, 5, 6, 7, 8),)


def test_p_chart_point_without_children_has_no_proportion_limits_or_flag():
    chart = p_chart([20, 0], [100, 0], baseline_events=50, baseline_denominators=500)
    assert np.isnan(chart.proportion[1]) and np.isnan(chart.lower[1]) and np.isnan(chart.upper[1])
    assert chart.outside == ("above", "")
    row = chart.to_frame().iloc[1]
    assert row["reason"] == "no children in the denominator (n = 0)" and row["outside"] == ""


@pytest.mark.parametrize(("baseline", "centre", "note"),
                         [((0, 400), 0.0, "centre_is_zero"), ((400, 400), 1.0, "centre_is_one")])
def test_collapsed_limits_are_noted_not_flagged(baseline, centre, note):
    # With p̄ = 0 or 1, √(p̄(1 − p̄)/n) = 0: every point off the line would be "outside".
    chart = p_chart([3, 50, 97, 100], [100] * 4, baseline_events=baseline[0],
                    baseline_denominators=baseline[1])
    assert chart.centre == centre
    assert set(chart.lower) == set(chart.upper) == {centre}
    assert set(chart.outside) == {""} and chart.runs == ()
    assert chart.note == note and note in FLAGS
    assert set(chart.to_frame()["note"]) == {note}


def test_p_chart_frame_has_one_row_per_point():
    frame = p_chart([20, 10], [100, 100], baseline_events=50, baseline_denominators=500).to_frame()
    assert list(frame.columns) == ["point", "events", "denominator", "proportion", "centre", "lower",
                                   "upper", "outside", "run", "reason", "note"]
    assert frame["proportion"].tolist() == [0.2, 0.1] and frame["outside"].tolist() == ["above", ""]


def test_p_chart_results_cannot_be_changed():
    chart = p_chart([20, 10], [100, 100])
    with pytest.raises(ValueError, match="read-only"):
        chart.upper[0] = 1.0


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"events": [11], "denominators": [10]}, "exceed the number of children"),
    ({"events": [1, 2], "denominators": [10]}, "2 event counts but 1 denominators"),
    ({"events": [1.5], "denominators": [10]}, "whole number"),
    ({"events": [-1], "denominators": [10]}, "non-negative"),
    ({"events": [None], "denominators": [10]}, "missing"),
    ({"events": [], "denominators": []}, "no counts"),
    ({"events": [1], "denominators": [10], "baseline_events": 5}, "both baseline_events"),
    ({"events": [1], "denominators": [10], "sigma": 0}, "sigma"),
    ({"events": [1], "denominators": [10], "run_length": 1}, "run_length"),
])
def test_p_chart_rejects_invalid_input(kwargs, message):
    with pytest.raises(ValueError, match=message):
        p_chart(**kwargs)


def test_p_chart_without_baseline_children_is_not_estimable():
    with pytest.raises(NotEstimable, match="no children in the baseline"):
        p_chart([0, 0], [0, 0])

# ----------------------------------------------------------------------------------- funnel


def _spiegelhalter_limit(theta: Fraction, n: int, p: Fraction) -> float:
    """Spiegelhalter (2005) appendix A.1.1 in exact rational arithmetic (no scipy): r_p the
    smallest r with F(r) >= p, α = (F(r_p) − p)/(F(r_p) − F(r_p − 1)), limit (r_p − α)/n,
    kept within [0, 1]."""
    below = cdf = Fraction(0)
    for r in range(n + 1):
        below, cdf = cdf, cdf + comb(n, r) * theta**r * (1 - theta) ** (n - r)
        if cdf >= p:
            alpha = (cdf - p) / (cdf - below)
            return min(1.0, max(0.0, float((r - alpha) / n)))
    raise AssertionError("F(n) = 1 >= p always")


def test_exact_limits_by_hand_at_small_n():
    # Binomial(4, 1/2): F(0..4) = 1, 5, 11, 15, 16 sixteenths.
    #   p = 0.975: r = 4, α = (1 − 0.975)/(1 − 15/16) = 0.4   -> (4 − 0.4)/4 = 0.9
    #   p = 0.999: r = 4, α = 0.001/(1/16) = 0.016            -> (4 − 0.016)/4 = 0.996
    #   p = 0.025: r = 0, α = (1/16 − 0.025)/(1/16) = 0.6     -> −0.6/4 < 0, so 0
    # Binomial(10, 1/2): F(1) = 11/1024, F(2) = 56/1024, F(7) = 968/1024, F(8) = 1013/1024.
    #   p = 0.025: r = 2, α = (56 − 25.6)/45 = 0.675556       -> (2 − 0.675556)/10 = 0.132444
    #   p = 0.975: r = 8, α = (1013 − 998.4)/45 = 0.324444    -> (8 − 0.324444)/10 = 0.767556
    limits = funnel_limits(0.5, [4, 10])
    assert limits.levels == (0.95, 0.998) and limits.method == "exact"
    assert limits.upper[0] == pytest.approx([0.9, 0.767556], abs=1e-6)
    assert limits.lower[0] == pytest.approx([0.0, 0.132444], abs=1e-6)
    assert limits.upper[1, 0] == pytest.approx(0.996)
    assert limits.lower[1, 0] == 0.0


@pytest.mark.parametrize("n", [20, 50, 200])
def test_exact_limits_match_exact_binomial_arithmetic(n):
    # θ = 0.8 = 4/5 exactly; p = 0.025, 0.975 (95 %) and 0.001, 0.999 (99.8 %).
    theta = Fraction(4, 5)
    limits = funnel_limits(0.8, [n])
    for row, (low, high) in enumerate([(Fraction(1, 40), Fraction(39, 40)),
                                       (Fraction(1, 1000), Fraction(999, 1000))]):
        assert limits.lower[row, 0] == pytest.approx(_spiegelhalter_limit(theta, n, low), abs=1e-12)
        assert limits.upper[row, 0] == pytest.approx(_spiegelhalter_limit(theta, n, high), abs=1e-12)


def test_exact_lower_limit_flags_only_tails_below_p():
    # Binomial(50, 1/2): a count is below the 95 % lower limit exactly when P(Y <= y) < 0.025
    # (the interpolated limit lies in ((r_p − 1)/n, r_p/n]).
    lower = funnel_limits(0.5, [50]).lower[0, 0]
    for y in range(51):
        tail = Fraction(sum(comb(50, k) for k in range(y + 1)), 2**50)
        assert (y / 50 < lower) == (tail < Fraction(1, 40)), y


def test_exact_upper_limit_is_spiegelhalters_not_the_tail_probability():
    # The same interpolation at the upper end puts the limit in ((r_p − 1)/n, r_p/n], so r_p
    # itself lies above it: at n = 10, θ = 1/2 the 95 % upper limit is 0.7676 and 8/10 is
    # flagged, though P(Y >= 8) = 56/1024 = 0.0547 > 0.025. This is the method as published
    # (and as Stata's funnelcompar computes it); Seaton & Manktelow (BMC Med Res Methodol
    # 2012;12:98) show the same anticonservative upper tail for Poisson limits.
    funnel = funnel_plot([8, 5], [10, 10], target=0.5)
    assert funnel.classification[0] == "above 95 %"
    assert Fraction(sum(comb(10, k) for k in range(8, 11)), 1024) == Fraction(56, 1024)


def test_normal_limits_by_hand():
    # θ = 0.8, n = 100: √(0.8·0.2/100) = 0.04; z = 1.959964 (95 %), 3.090232 (99.8 %)
    #   0.8 ± 0.0783986 -> (0.7216014, 0.8783986); 0.8 ± 0.1236093 -> (0.6763907, 0.9236093)
    limits = funnel_limits(0.8, [100], method="normal")
    assert limits.lower[:, 0] == pytest.approx([0.7216014, 0.6763907], abs=1e-7)
    assert limits.upper[:, 0] == pytest.approx([0.8783986, 0.9236093], abs=1e-7)
    # θ = 0.9, n = 4: 0.9 + 1.96·0.15 = 1.194, kept at 1
    assert funnel_limits(0.9, [4], method="normal").upper[0, 0] == 1.0


def test_exact_limits_approach_normal_limits_for_large_n():
    exact = funnel_limits(0.8, [100_000])
    normal = funnel_limits(0.8, [100_000], method="normal")
    assert exact.lower == pytest.approx(normal.lower, abs=1e-3)
    assert exact.upper == pytest.approx(normal.upper, abs=1e-3)


def test_funnel_classifies_units_at_95_and_99_8_percent():
    # θ = 1/2, n = 50; exact one-sided tails (sums of C(50, k)/2^50), each well inside its band
    # so that the interpolation's one count of leeway cannot move it:
    #   40/50: P(Y >= 40) = 1.2e-5 < 0.001               -> above 99.8 %
    #   35/50: P(Y >= 35) = 0.0033, P(Y >= 36) = 0.0013  -> above 95 % only
    #   25/50: the target                               -> within
    #   15/50: P(Y <= 15) = 0.0033                      -> below 95 % only
    #   10/50: P(Y <= 10) = 1.2e-5                      -> below 99.8 %
    for y, tail in [(40, 1.2e-5), (35, 0.0033), (36, 0.0013)]:
        assert float(Fraction(sum(comb(50, k) for k in range(y, 51)), 2**50)) == pytest.approx(
            tail, rel=0.05)
    funnel = funnel_plot([40, 35, 25, 15, 10], [50] * 5, target=0.5)
    assert funnel.classification == ("above 99.8 %", "above 95 %", "within", "below 95 %",
                                     "below 99.8 %")
    assert funnel.target_given and funnel.note == ""


def test_funnel_target_defaults_to_the_overall_proportion():
    # (30 + 50)/(100 + 100) = 0.4
    funnel = funnel_plot([30, 50], [100, 100])
    assert funnel.target == pytest.approx(0.4) and not funnel.target_given
    assert funnel.limits.upper[0, 0] == funnel_limits(0.4, [100]).upper[0, 0]


def test_funnel_unit_without_children_is_not_classified():
    funnel = funnel_plot([40, 0, 25], [50, 0, 50], target=0.5)
    assert funnel.classification == ("above 99.8 %", "", "within")
    assert funnel.reasons == ("", "no children in the denominator (n = 0)", "")
    assert np.isnan(funnel.proportion[1]) and np.isnan(funnel.limits.lower[:, 1]).all()
    frame = funnel.to_frame()
    assert list(frame.columns) == ["unit", "events", "denominator", "proportion", "target",
                                   "lower_95", "upper_95", "lower_99.8", "upper_99.8",
                                   "classification", "reason", "note"]
    assert frame.loc[1, "reason"] == "no children in the denominator (n = 0)"
    # the drawing curve starts at the smallest denominator with children
    assert funnel.curve.denominators.tolist() == [50]


def test_funnel_without_any_children_is_not_estimable():
    with pytest.raises(NotEstimable, match="no unit has any children"):
        funnel_plot([0, 0], [0, 0])


def test_funnel_curve_spans_the_denominators():
    small = funnel_plot([5, 20], [10, 30])
    assert small.curve.denominators.tolist() == list(range(10, 31))
    assert small.curve.upper[:, 0] == pytest.approx(funnel_limits(small.target, [10]).upper[:, 0])
    wide = funnel_plot([5, 50_000], [10, 100_000], grid_points=200)
    grid = wide.curve.denominators
    assert grid[0] == 10 and grid[-1] == 100_000 and 150 <= len(grid) <= 200
    assert (np.diff(grid) > 0).all()
    frame = wide.curve.to_frame()
    assert list(frame.columns) == ["denominator", "target", "lower_95", "upper_95", "lower_99.8",
                                   "upper_99.8"]
    assert (frame["lower_99.8"] <= frame["lower_95"]).all()
    assert (frame["upper_95"] <= frame["upper_99.8"]).all()


def test_funnel_with_target_one_notes_collapsed_limits():
    funnel = funnel_plot([50, 40], [50, 50], target=1.0)
    assert funnel.note == "centre_is_one"
    assert funnel.classification == ("", "")
    assert (funnel.limits.lower == 1.0).all() and (funnel.limits.upper == 1.0).all()


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"target": 1.5}, "target must be a proportion"),
    ({"target": 0.5, "method": "wilson"}, "unknown funnel method"),
    ({"target": 0.5, "levels": (95,)}, "levels must lie between 0 and 1"),
])
def test_funnel_limits_reject_invalid_input(kwargs, message):
    with pytest.raises(ValueError, match=message):
        funnel_limits(denominators=[10], **kwargs)


def test_funnel_limits_reject_fractional_denominators():
    with pytest.raises(ValueError, match="denominator 1: n must be a whole number"):
        funnel_limits(0.5, [10, 10.5])
