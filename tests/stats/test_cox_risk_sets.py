"""pipeline.stats._cox: statsmodels' Cox model with its risk sets made by numpy is statsmodels'
model: every attribute the same arrays, and the same fit to the last bit."""

import numpy as np
import pytest
from statsmodels.duration.hazard_regression import PHReg, PHSurvivalTime

from pipeline.stats._cox import CoxModel, SurvivalTimes


def _data(seed: int, n: int = 400, early_censoring: bool = True) -> tuple[np.ndarray, ...]:
    """Whole-day times (many ties), a fifth censored, some censored before the first event."""
    rng = np.random.default_rng(seed)
    exog = np.column_stack([rng.integers(0, 2, n), rng.normal(size=n), rng.integers(0, 3, n)])
    time = rng.integers(1, 60, n).astype(float)
    status = (rng.uniform(size=n) < 0.8).astype(float)
    if early_censoring:  # censored before the first event: left out by statsmodels
        first = time[status == 1].min()
        time[:5], status[:5] = first - 0.5, 0.0
    return time, status, exog


def _same(ours: object, theirs: object) -> None:
    assert type(ours) is type(theirs) or (
        isinstance(ours, np.generic) and isinstance(theirs, np.generic))
    if isinstance(theirs, list):
        assert len(ours) == len(theirs)
        for a, b in zip(ours, theirs, strict=True):
            _same(a, b)
    elif isinstance(theirs, np.ndarray):
        assert ours.dtype == theirs.dtype and ours.shape == theirs.shape
        np.testing.assert_array_equal(ours, theirs)
    else:
        assert ours == theirs or (ours is None and theirs is None)


@pytest.mark.parametrize("seed", [1, 2, 3])
@pytest.mark.parametrize("early_censoring", [True, False])
def test_risk_sets_are_statsmodels_own(seed: int, early_censoring: bool) -> None:
    time, status, exog = _data(seed, early_censoring=early_censoring)
    ours, theirs = SurvivalTimes(time, status, exog), PHSurvivalTime(time, status, exog)
    assert sorted(vars(ours)) == sorted(vars(theirs))
    for name, value in vars(theirs).items():
        _same(getattr(ours, name), value)
    assert ours.n_obs == len(time) - (5 if early_censoring else 0)


def test_every_child_with_the_event_at_one_time() -> None:
    time = np.array([3.0, 3.0, 3.0, 5.0, 1.0])
    status = np.array([1.0, 1.0, 0.0, 0.0, 0.0])  # the child censored at 1 is left out
    ours = SurvivalTimes(time, status, np.ones((5, 1)))
    theirs = PHSurvivalTime(time, status, np.ones((5, 1)))
    for name, value in vars(theirs).items():
        _same(getattr(ours, name), value)
    assert ours.ufailt[0].tolist() == [3.0] and ours.ufailt_ix[0][0].tolist() == [0, 1]


@pytest.mark.parametrize("ties", ["efron", "breslow"])
def test_the_fit_is_statsmodels_to_the_last_bit(ties: str) -> None:
    time, status, exog = _data(7)
    ours = CoxModel(time, exog, status=status, ties=ties)
    theirs = PHReg(time, exog, status=status, ties=ties)
    assert sorted(vars(ours)) == sorted(vars(theirs))
    for name, value in vars(theirs).items():
        if name not in ("surv", "data"):
            _same(getattr(ours, name), value)
    fit, reference = ours.fit(disp=False), theirs.fit(disp=False)
    np.testing.assert_array_equal(fit.params, reference.params)
    np.testing.assert_array_equal(fit.bse, reference.bse)
    np.testing.assert_array_equal(fit.schoenfeld_residuals, reference.schoenfeld_residuals)


def test_what_it_does_not_handle_is_statsmodels_own() -> None:
    time, status, exog = _data(4)
    strata = np.arange(len(time)) % 2
    ours = SurvivalTimes(time, status, exog, strata=strata)
    theirs = PHSurvivalTime(time, status, exog, strata=strata)
    assert ours.nstrat == theirs.nstrat == 2
    for name, value in vars(theirs).items():
        _same(getattr(ours, name), value)
