"""Single proportions against published worked examples."""

import pytest

from pipeline.stats.proportions import proportion

# Newcombe RG (1998). Two-sided confidence intervals for the single proportion: comparison
# of seven methods. Statistics in Medicine 17:857–872, Table I: method 3 (Wilson score) and
# method 5 (Clopper–Pearson exact), to 4 decimals.
NEWCOMBE_1998_SINGLE = [
    # events, n, Wilson, Clopper–Pearson
    (81, 263, (0.2553, 0.3662), (0.2527, 0.3676)),
    (15, 148, (0.0624, 0.1605), (0.0578, 0.1617)),
    (0, 20, (0.0000, 0.1611), (0.0000, 0.1684)),
    (1, 29, (0.0061, 0.1718), (0.0009, 0.1776)),
]


@pytest.mark.parametrize(("events", "n", "wilson", "clopper_pearson"), NEWCOMBE_1998_SINGLE)
def test_intervals_match_newcombe_1998(events, n, wilson, clopper_pearson):
    for method, expected in (("wilson", wilson), ("clopper_pearson", clopper_pearson)):
        result = proportion(events, n, method=method)
        assert result.estimate == pytest.approx(events / n)
        assert (result.ci_low, result.ci_high) == pytest.approx(expected, abs=5e-5)
        assert (result.n, result.events) == (n, events)


def test_wilson_matches_apsac_study():
    # Clinical Biostatistics course notes (bookdown.org/charlotte_micheloud93/
    # Clinical_Biostatistics), Example 8.1 / Table 8.1, APSAC study (Meinertz et al. 1988):
    # deaths 9/162 and 19/151, 95% Wilson CIs 3.0–10.2% and 8.2–18.8%.
    apsac, heparin = proportion(9, 162), proportion(19, 151)
    assert (round(apsac.ci_low * 100, 1), round(apsac.ci_high * 100, 1)) == (3.0, 10.2)
    assert (round(heparin.ci_low * 100, 1), round(heparin.ci_high * 100, 1)) == (8.2, 18.8)


def test_all_events_gives_upper_limit_one():
    # Newcombe 1998 symmetry: 20/20 mirrors 0/20, so the Wilson interval is 0.8389 to 1.
    result = proportion(20, 20)
    assert (result.ci_low, result.ci_high) == pytest.approx((1 - 0.1611, 1.0), abs=5e-5)
    assert result.ci_high == 1.0


def test_no_children_is_not_estimable():
    result = proportion(0, 0)
    assert not result.estimable
    assert "n = 0" in result.reason
    assert result.n == 0


def test_one_child_is_estimable():
    result = proportion(1, 1, method="clopper_pearson")
    # Clopper–Pearson for 1/1: lower limit = (alpha/2)^(1/n) = 0.025.
    assert (result.estimate, result.ci_low, result.ci_high) == pytest.approx((1, 0.025, 1))


def test_confidence_level_is_used():
    # Wilson 99% interval is wider than the 95% one and records its level.
    narrow, wide = proportion(81, 263), proportion(81, 263, confidence=0.99)
    assert wide.ci_low < narrow.ci_low and wide.ci_high > narrow.ci_high
    assert wide.confidence == 0.99


@pytest.mark.parametrize(("events", "n"), [(5, 4), (-1, 4), (1, -2), (1.5, 4)])
def test_impossible_counts_raise(events, n):
    with pytest.raises(ValueError):
        proportion(events, n)


def test_unknown_method_raises():
    with pytest.raises(ValueError, match="unknown interval method"):
        proportion(1, 4, method="bayes")
