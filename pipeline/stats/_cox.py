"""statsmodels' Cox model (`PHReg`) with its risk sets found by numpy rather than row by row,
and its Efron likelihood, score and information summed over the children as whole arrays.

`PHSurvivalTime`, which `PHReg` builds before it fits, finds each child's place among the
distinct event times in Python loops over the children (a `searchsorted` call per child):
at register scale that was half of a Cox fit's time (0.4-0.8 s per fit of some 300,000
children, six fits in the compare stage). `SurvivalTimes` makes the same attributes (the
same arrays, in the same order) with whole-array numpy for what the pipeline fits — one
stratum, no entry times, no offset — and leaves every other case to statsmodels. `CoxModel`
is `PHReg` with it; the fit itself is statsmodels' own Newton steps. `tests/stats/test_cox_risk_sets.py`
checks every attribute against statsmodels' on data with ties and early censoring.

statsmodels sums the Efron log partial likelihood, its gradient and Hessian in a Python loop
over the distinct event times, with einsum over each time's children (half of the compare
stage's Cox fits at a million children). Where every child enters at time 0 in one stratum,
as in every model the pipeline fits, `CoxModel` sums the same terms over whole arrays: each
child's weight in the risk sets it belongs to is a cumulative sum over the event times, so
the Hessian's sum over risk sets is one weighted cross product X'VX over the children; the
rest are sums per event time. The same quantities in another order of summation: equal to
statsmodels' to 1e-12 (tested).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import sparse
from statsmodels.duration.hazard_regression import PHReg, PHSurvivalTime
from statsmodels.tools.validation import string_like

from pipeline.stats._irls import BLOCK_BYTES


class SurvivalTimes(PHSurvivalTime):
    """`PHSurvivalTime` of one stratum without entry times or offset, made by numpy (see the
    module); any other case is statsmodels' own.

    Parameters
    ----------
    time, status, exog, strata, entry, offset
        As statsmodels' `PHSurvivalTime`.

    Examples
    --------
    The child censored at day 1, before the first event, is left out; the two events at
    day 3 share a distinct time, and every child left is at risk there:

    >>> import numpy as np
    >>> from pipeline.stats._cox import SurvivalTimes
    >>> times = SurvivalTimes(np.array([3.0, 3.0, 5.0, 1.0, 4.0]),
    ...                       np.array([1.0, 1.0, 0.0, 0.0, 1.0]), np.ones((5, 1)))
    >>> times.n_obs, times.ufailt[0].tolist(), [ix.tolist() for ix in times.ufailt_ix[0]]
    (4, [3.0, 4.0], [[0, 1], [2]])
    """

    def __init__(self, time, status, exog, strata=None, entry=None, offset=None):  # noqa: ANN001
        if strata is not None or entry is not None or offset is not None or not np.any(status == 1):
            super().__init__(time, status, exog, strata, entry, offset)
            return
        strata = np.zeros(len(time), dtype=np.int32)
        entry = np.zeros(len(time))
        self._check(time, status, strata, entry)
        self.nstrat_orig = 1
        self.nstrat = 1
        self.stratum_names = list(np.unique(strata))
        # every child enters at 0, before the last event; those censored before the first
        # event are left out; the rest ordered by time as statsmodels orders them
        rows = np.arange(len(time), dtype=np.int32)
        rows = rows[time >= time[status == 1].min()]
        rows = rows[np.argsort(time[rows])]
        self.stratum_rows = [rows]
        self.offset_s = None
        self.n_obs = len(rows)
        self.time_s, self.exog_s = self._split(time), self._split(exog)
        self.status_s, self.entry_s = self._split(status), self._split(entry)
        times, entries = self.time_s[0], self.entry_s[0]
        failed = np.flatnonzero(self.status_s[0] == 1)
        distinct = np.unique(times[failed])
        self.ufailt = [distinct]
        # each list: the children at each distinct event time (in order of position, as
        # statsmodels appends them), an empty array where there are none
        self.ufailt_ix = [_by_time(failed, np.searchsorted(distinct, times[failed]), len(distinct))]
        entering = np.searchsorted(distinct, times, "right") - 1
        at_risk = np.flatnonzero(entering >= 0)
        self.risk_enter = [_by_time(at_risk, entering[at_risk], len(distinct))]
        self.risk_exit = [_by_time(np.arange(len(entries)), np.searchsorted(distinct, entries),
                                   len(distinct))]


def _by_time(positions: np.ndarray, slot: np.ndarray, slots: int) -> list[np.ndarray]:
    """`positions` grouped by `slot` (0 .. slots - 1), each group in the positions' order, as
    int32 arrays, one per slot."""
    order = np.argsort(slot, kind="stable")
    bounds = np.searchsorted(slot[order], np.arange(1, slots))
    return [part.astype(np.int32) for part in np.split(positions[order], bounds)]


class CoxModel(PHReg):
    """`PHReg(endog, exog, status=status, ties=ties)` with `SurvivalTimes` (see the module);
    as statsmodels' constructor, which it follows line by line.

    Parameters
    ----------
    endog, exog, status, ties
        As statsmodels' `PHReg`: the times, the covariates, 1 for an event and 0 for a
        censored time, and "breslow" or "efron" ties.

    Examples
    --------
    >>> import numpy as np
    >>> from statsmodels.duration.hazard_regression import PHReg
    >>> from pipeline.stats._cox import CoxModel
    >>> times, status = np.array([2.0, 3, 3, 5, 6, 8]), np.array([1.0, 1, 0, 1, 1, 0])
    >>> exog = np.array([[0.0], [1], [0], [1], [0], [1]])
    >>> ours = CoxModel(times, exog, status=status, ties="efron").fit(disp=False)
    >>> theirs = PHReg(times, exog, status=status, ties="efron").fit(disp=False)
    >>> bool(np.allclose(ours.params, theirs.params, rtol=1e-12, atol=0)
    ...      and np.allclose(ours.bse, theirs.bse, rtol=1e-12, atol=0))
    True
    """

    def __init__(self, endog, exog, status, ties: str = "breslow") -> None:  # noqa: ANN001
        super(PHReg, self).__init__(endog, exog, status=status, entry=None, strata=None,
                                    offset=None, missing="drop")
        self.status = np.asarray(self.status)
        self.surv = SurvivalTimes(self.endog, self.status, self.exog, self.strata, self.entry,
                                  self.offset)
        self.nobs = len(self.endog)
        self.groups = None
        self.missing = "drop"
        rank = np.linalg.matrix_rank(self.exog)  # statsmodels finds it twice
        self.df_resid = float(self.exog.shape[0] - rank)
        self.df_model = float(rank)
        self.ties = string_like(ties, "ties", options=("efron", "breslow"))

    def efron_loglike(self, params):  # noqa: ANN001, ANN201 - statsmodels' signature
        """statsmodels' Efron log partial likelihood, as whole arrays where `_EfronSums` can."""
        sums = self._efron_sums()
        if sums is None:
            return super().efron_loglike(params)
        return sums.at(params).loglike

    def efron_gradient(self, params):  # noqa: ANN001, ANN201
        """statsmodels' Efron score, as whole arrays where `_EfronSums` can."""
        sums = self._efron_sums()
        if sums is None:
            return super().efron_gradient(params)
        return sums.at(params).gradient()

    def efron_hessian(self, params):  # noqa: ANN001, ANN201
        """statsmodels' Efron Hessian, as whole arrays where `_EfronSums` can."""
        sums = self._efron_sums()
        if sums is None:
            return super().efron_hessian(params)
        return sums.at(params).hessian()

    def _efron_sums(self) -> _EfronSums | None:
        if "_efron" not in self.__dict__:  # after the constructor: its attributes are PHReg's
            self.__dict__["_efron"] = _EfronSums.of(self.surv)
        return self.__dict__["_efron"]


@dataclass(frozen=True)
class _EfronSums:
    """One stratum's children ordered by time, each entering at 0: the children entering
    the risk set at event time i (those with times from the i-th distinct event time up to
    the next) are the rows `starts[i]` up to `starts[i + 1]`, and every risk set is a
    suffix of the rows. `events` 1 for a child whose event is at its time."""

    exog: np.ndarray
    events: np.ndarray
    starts: np.ndarray
    tied: np.ndarray  # events per distinct event time

    @classmethod
    def of(cls, surv: PHSurvivalTime) -> _EfronSums | None:
        """The sums' structure, or None where statsmodels' loop is needed (strata, entry
        times, an offset, or risk sets that are not contiguous rows)."""
        if surv.nstrat != 1 or surv.offset_s is not None or np.any(surv.entry_s[0] != 0):
            return None
        entering, failing = surv.risk_enter[0], surv.ufailt_ix[0]
        sizes = np.fromiter(map(len, entering), dtype=np.int64, count=len(entering))
        n = len(surv.time_s[0])
        if (not len(sizes) or sizes.sum() != n or np.any(sizes == 0)
                or not np.array_equal(np.concatenate(entering), np.arange(n))):
            return None
        starts = np.concatenate([[0], np.cumsum(sizes)[:-1]])
        events = np.zeros(n)
        events[np.concatenate(failing)] = 1.0
        tied = np.fromiter(map(len, failing), dtype=np.int64, count=len(failing))
        return cls(surv.exog_s[0], events, starts, tied)

    def at(self, params: np.ndarray) -> _EfronTerms:
        return _EfronTerms(self, np.asarray(params, dtype=float))


class _EfronTerms:
    """The Efron sums at one set of coefficients (statsmodels' `efron_*` loops' terms).

    At the i-th distinct event time with m tied events, R the risk set's sums of e = exp(x'b)
    (R0), e x (R1) and e x x' (R2), F the same sums over the m children with the event, and
    c_k = R0 - (k / m) F0 for k = 0 .. m - 1, statsmodels' loops add
    log likelihood  sum(x'b over the events) - sum_k log c_k,
    gradient        sum(x over the events) - sum_k (R1 - (k/m) F1) / c_k,
    Hessian         -[R2 s1 - F2 sJ - sum_k (R1 - (k/m) F1)(R1 - (k/m) F1)' / c_k^2]
    with s1 = sum_k 1 / c_k and sJ = sum_k (k/m) / c_k. A child at risk from the first event
    time up to time i(child) adds to R2 at each of those times: its weight in
    sum_i s1_i R2_i is the cumulative sum of s1 up to i(child), so that sum is one weighted
    cross product over the children, and so is sum_i sJ_i F2_i."""

    def __init__(self, sums: _EfronSums, params: np.ndarray) -> None:
        self.sums = sums
        linear = sums.exog @ params
        linear -= linear.max()  # as statsmodels: the sums scale, the ratios do not
        self.exp = np.exp(linear)
        self.events_linear = float(linear @ sums.events)
        tied = sums.tied
        r0 = np.cumsum(np.add.reduceat(self.exp, sums.starts)[::-1])[::-1]
        f0 = np.add.reduceat(self.exp * sums.events, sums.starts)
        tie_starts = np.concatenate([[0], np.cumsum(tied)[:-1]])
        k = np.arange(tied.sum()) - np.repeat(tie_starts, tied)
        share = k / np.repeat(tied, tied)  # statsmodels' J: arange(m) / m at each time
        c = np.repeat(r0, tied) - share * np.repeat(f0, tied)
        self.log_c = float(np.log(c).sum())
        inverse = 1.0 / c

        def per_time(values: np.ndarray) -> np.ndarray:
            return np.add.reduceat(values, tie_starts)

        self.s1, self.s_share = per_time(inverse), per_time(share * inverse)
        squared = inverse * inverse
        self.a, self.b = per_time(squared), per_time(share * squared)
        self.c = per_time(share * share * squared)

    @property
    def loglike(self) -> float:
        return self.events_linear - self.log_c

    def _row_weights(self) -> np.ndarray:
        """Each child's weight in sum_i s1_i R1_i - sum_i sJ_i F1_i (and in the R2, F2 sums)."""
        sums = self.sums
        slot = np.repeat(np.arange(len(sums.starts)), np.diff(np.append(sums.starts, len(self.exp))))
        return self.exp * (np.cumsum(self.s1)[slot] - sums.events * self.s_share[slot])

    def gradient(self) -> np.ndarray:
        x = self.sums.exog
        return self.sums.events @ x - self._row_weights() @ x

    def hessian(self) -> np.ndarray:
        sums, x = self.sums, self.sums.exog
        weights = self._row_weights()
        rows = max(256, BLOCK_BYTES // (8 * max(x.shape[1], 1)))
        information = np.zeros((x.shape[1], x.shape[1]))
        for start in range(0, len(x), rows):  # X'VX a block of rows at a time
            block = x[start:start + rows]
            information += (block * weights[start:start + rows, None]).T @ block
        # each event time's sums of e x over its risk set (R1) and its events (F1)
        indptr = np.append(sums.starts, len(x))
        columns = np.arange(len(x))
        at_time = sparse.csr_matrix((self.exp, columns, indptr), shape=(len(sums.starts), len(x)))
        r1 = np.cumsum((at_time @ x)[::-1], axis=0)[::-1]
        at_time.data = self.exp * sums.events
        f1 = at_time @ x
        cross = (r1 * self.b[:, None]).T @ f1
        information -= ((r1 * self.a[:, None]).T @ r1 - cross - cross.T
                        + (f1 * self.c[:, None]).T @ f1)
        return -information
