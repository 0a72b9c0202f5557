"""Poisson intervals for counts and rates against published tables."""

from __future__ import annotations

import pytest

from pipeline.stats.rates import poisson_rate


@pytest.mark.parametrize(("count", "low", "high"), [
    (0, 0.0, 3.689), (1, 0.0253, 5.572), (10, 4.795, 18.390), (24, 15.377, 35.710)])
def test_exact_limits_are_the_tabulated_ones(count: int, low: float, high: float) -> None:
    """Garwood's exact 95 % limits as tabulated (e.g. Sahai & Khurshid 1993; Ulm 1990)."""
    estimate = poisson_rate(count)
    assert (round(estimate.ci_low, 4 if low < 1 else 3), round(estimate.ci_high, 3)) == (low, high)


def test_a_rate_divides_count_and_limits_by_the_exposure() -> None:
    per_month = poisson_rate(24, 3)
    assert per_month.estimate == 8.0 and per_month.events == 24
    assert per_month.ci_low == pytest.approx(15.3773 / 3, abs=1e-4)
    assert per_month.ci_high == pytest.approx(35.7101 / 3, abs=1e-4)


def test_the_score_interval_solves_the_score_equation() -> None:
    """(x - m)^2 / m = z^2 at both limits m (Wilson's idea for a count): x = 10 gives
    x + z^2/2 -/+ z sqrt(x + z^2/4)."""
    z = 1.959964
    estimate = poisson_rate(10, method="score")
    centre, half = 10 + z * z / 2, z * (10 + z * z / 4) ** 0.5
    assert (estimate.ci_low, estimate.ci_high) == pytest.approx((centre - half, centre + half), abs=1e-5)


def test_bad_input_is_refused() -> None:
    with pytest.raises(ValueError, match="non-negative whole number"):
        poisson_rate(-1)
    with pytest.raises(ValueError, match="unknown interval method"):
        poisson_rate(3, method="wald")
    assert not poisson_rate(3, 0).estimable
