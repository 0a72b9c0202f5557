"""pipeline.stats._cox: statsmodels' Cox model with its risk sets made by numpy is statsmodels'
model: every attribute the same arrays; with Breslow ties the same fit to the last bit, with
Efron's (summed as whole arrays) the same likelihood, score, Hessian and fit to 1e-12."""

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
def test_the_fit_is_statsmodels(ties: str) -> None:
    time, status, exog = _data(7)
    ours = CoxModel(time, exog, status=status, ties=ties)
    theirs = PHReg(time, exog, status=status, ties=ties)
    assert sorted(vars(ours)) == sorted(vars(theirs))
    for name, value in vars(theirs).items():
        if name not in ("surv", "data"):
            _same(getattr(ours, name), value)
    fit, reference = ours.fit(disp=False), theirs.fit(disp=False)
    if ties == "breslow":  # statsmodels' own sums: to the last bit
        np.testing.assert_array_equal(fit.params, reference.params)
        np.testing.assert_array_equal(fit.bse, reference.bse)
        np.testing.assert_array_equal(fit.schoenfeld_residuals, reference.schoenfeld_residuals)
    else:  # Efron's summed in another order (`_EfronTerms`)
        np.testing.assert_allclose(fit.params, reference.params, rtol=1e-12)
        np.testing.assert_allclose(fit.bse, reference.bse, rtol=1e-12)
        np.testing.assert_allclose(fit.llf, reference.llf, rtol=1e-12)
        np.testing.assert_allclose(fit.schoenfeld_residuals, reference.schoenfeld_residuals,
                                   rtol=1e-12, atol=1e-12)


def _heavy_ties(seed: int) -> tuple[np.ndarray, ...]:
    """Up to 60 events at one time among 600 children over 12 distinct times, censoring at
    event times and between them, a binary, a normal and a skewed covariate."""
    rng = np.random.default_rng(seed)
    n = 600
    time = rng.integers(1, 13, n).astype(float)
    time[rng.uniform(size=n) < 0.1] += 0.5  # censored between two event times
    status = ((rng.uniform(size=n) < 0.7) & (time == np.floor(time))).astype(float)
    exog = np.column_stack([rng.integers(0, 2, n), rng.normal(size=n), rng.exponential(size=n)])
    return time, status, exog


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_efron_sums_are_statsmodels_loops(seed: int) -> None:
    time, status, exog = _heavy_ties(seed)
    ours = CoxModel(time, exog, status=status, ties="efron")
    theirs = PHReg(time, exog, status=status, ties="efron")
    assert ours._efron_sums() is not None  # the arrays, not statsmodels' loop
    for params in (np.zeros(3), np.array([0.4, -0.3, 0.2]), np.array([-2.0, 1.5, 0.7])):
        np.testing.assert_allclose(ours.loglike(params), theirs.loglike(params), rtol=1e-13)
        np.testing.assert_allclose(ours.score(params), theirs.score(params), rtol=1e-12, atol=1e-10)
        np.testing.assert_allclose(ours.hessian(params), theirs.hessian(params), rtol=1e-12)


def test_efron_sums_by_hand() -> None:
    """Two events tied at time 1 among three children (x = 0, 1, 2), the third censored at 2,
    b = 0: each e = 1, the risk set R0 = 3 and the tied events F0 = 2, so Efron's denominators
    are 3 and 3 - 2/2 = 2 and the log partial likelihood is -log 3 - log 2; the score is
    (0 + 1) - [(0 + 1 + 2) / 3 + ((0 + 1 + 2) - (0 + 1) / 2) / 2] = 1 - (1 + 1.25) = -1.25."""
    model = CoxModel(np.array([1.0, 1.0, 2.0]), np.array([[0.0], [1.0], [2.0]]),
                     status=np.array([1.0, 1.0, 0.0]), ties="efron")
    assert model.loglike(np.zeros(1)) == pytest.approx(-np.log(3) - np.log(2), rel=1e-15)
    assert model.score(np.zeros(1)) == pytest.approx([-1.25], rel=1e-15)
    # Hessian: -[R2 (1/3 + 1/2) - F2 (1/2)/2 - (R1/3)^2 - ((R1 - F1/2)/2)^2], with
    # R1 = 3, R2 = 0 + 1 + 4 = 5, F1 = 1, F2 = 1: -[25/6 - 1/4 - 1 - 25/16]
    assert model.hessian(np.zeros(1))[0, 0] == pytest.approx(-(25 / 6 - 1 / 4 - 1 - 25 / 16), rel=1e-15)


def test_what_it_does_not_handle_is_statsmodels_own() -> None:
    time, status, exog = _data(4)
    strata = np.arange(len(time)) % 2
    ours = SurvivalTimes(time, status, exog, strata=strata)
    theirs = PHSurvivalTime(time, status, exog, strata=strata)
    assert ours.nstrat == theirs.nstrat == 2
    for name, value in vars(theirs).items():
        _same(getattr(ours, name), value)
