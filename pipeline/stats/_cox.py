"""statsmodels' Cox model (`PHReg`) with its risk sets found by numpy rather than row by row.

`PHSurvivalTime`, which `PHReg` builds before it fits, finds each child's place among the
distinct event times in Python loops over the children (a `searchsorted` call per child):
at register scale that was half of a Cox fit's time (0.4-0.8 s per fit of some 300,000
children, six fits in the compare stage). `SurvivalTimes` makes the same attributes (the
same arrays, in the same order) with whole-array numpy for what the pipeline fits — one
stratum, no entry times, no offset — and leaves every other case to statsmodels. `CoxModel`
is `PHReg` with it; the fit itself is statsmodels' own. `tests/test_cox_risk_sets.py`
checks every attribute against statsmodels' on data with ties and early censoring.
"""

from __future__ import annotations

import numpy as np
from statsmodels.duration.hazard_regression import PHReg, PHSurvivalTime
from statsmodels.tools.validation import string_like


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
    >>> bool(ours.params[0] == theirs.params[0] and ours.bse[0] == theirs.bse[0])
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
