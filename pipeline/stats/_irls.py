"""statsmodels' IRLS for the Poisson, logistic and NB2 (fixed alpha) GLMs, step for step,
without its copies of the design.

statsmodels' `GLM(...).fit()` starts at its family's first guess of the means, then repeats
a weighted least-squares step (the working response and weights of the family and link)
until the deviance changes by at most 1e-8 from one step to the next, and reports the last
step's coefficients and the inverse of that step's X'WX. It solves each step by an SVD of
the weighted rows and holds some eight copies of the design meanwhile: at register scale (a
million children's DiD, 35 columns) over a gigabyte and most of the fit's time (issue 14).

Here each step solves the same least-squares problem by its normal equations X'WX b = X'Wz
(X'WX summed over blocks of rows, so that no weighted copy of the design is made) with two
rounds of iterative refinement, which bring the solution to a least-squares solver's
accuracy. The same steps from the same start therefore give statsmodels' coefficients to
rounding (tests compare them to 1e-11). Where the normal equations are singular or a value
is not finite, the functions return None and the caller fits with statsmodels, whose
least-squares step behaves differently there.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import linalg, special

# statsmodels' GLM.fit defaults: at most 100 steps, converged when the deviance changes by
# at most 1e-8 (absolute) from one step to the next
MAX_STEPS, TOLERANCE = 100, 1e-8
# Bytes of design per block of rows in `weighted_least_squares`: a block, its weighted copy
# and its products stay in the processor's cache while each is used (a million rows of 35
# columns: 0.17 s a solve in 1 MB blocks, 0.26-0.29 s in 18 MB ones).
BLOCK_BYTES = 2**20
# A product of m x n x k below this is one that OpenBLAS computes on one thread.
SINGLE_THREAD_PRODUCT = 2**18
_EPS = np.finfo(float).eps


@dataclass(frozen=True)
class IrlsFit:
    """What a GLM fit gives: coefficients, the inverse of the last step's X'WX (the
    model-based covariance at scale 1), fitted means, and how the iterations ended.

    Attributes
    ----------
    params : numpy.ndarray
        The coefficients, in the design's column order.
    covariance : numpy.ndarray
        The inverse of the last step's X'WX (statsmodels' `cov_params()` of the fit).
    fitted : numpy.ndarray
        The fitted mean of each row.
    converged : bool
        Whether the deviance settled within statsmodels' 100 steps.
    perfect_prediction : bool
        Whether a step fitted every outcome within 1e-8 (statsmodels warns then).

    Examples
    --------
    >>> import numpy as np
    >>> from pipeline.stats._irls import logistic_irls
    >>> fit = logistic_irls(np.array([1.0, 0, 0, 1]), np.ones((4, 1)), None, None)
    >>> round(float(fit.params[0]), 6), round(float(fit.covariance[0, 0]), 6), fit.converged
    (0.0, 1.0, True)
    """

    params: np.ndarray
    covariance: np.ndarray
    fitted: np.ndarray
    converged: bool
    perfect_prediction: bool = False  # statsmodels' PerfectSeparationWarning: fitted = outcome


def poisson_irls(events: np.ndarray, exog: np.ndarray, log_offset: np.ndarray | None,
                 weights: np.ndarray | None) -> tuple[np.ndarray, np.ndarray, float, bool] | None:
    """The Poisson GLM (log link) as statsmodels fits it, with `log_offset` and variance
    (case) weights: (coefficients, fitted counts, log-likelihood, converged), or None.

    The first guess is mu = (y + mean y) / 2; each step has weights w mu and working
    response eta + (y - mu) / mu - offset.

    Parameters
    ----------
    events : numpy.ndarray
        The count of each row.
    exog : numpy.ndarray
        The design (rows x coefficients), intercept included.
    log_offset : numpy.ndarray or None
        log person-time of each row (None: no offset).
    weights : numpy.ndarray or None
        Case weights (statsmodels' `var_weights`).

    Returns
    -------
    tuple or None
        (coefficients, fitted counts, log-likelihood, converged); None when the normal
        equations are singular or a value is not finite.

    Examples
    --------
    Two groups of two children with 2 and 4, and 6 and 8 events: the means are 3 and 7, so
    the rate ratio is 7 / 3.

    >>> import numpy as np
    >>> from pipeline.stats._irls import poisson_irls
    >>> exog = np.column_stack([np.ones(4), [0.0, 0, 1, 1]])
    >>> params, fitted, _, converged = poisson_irls(np.array([2.0, 4, 6, 8]), exog, None, None)
    >>> [round(float(v), 4) for v in np.exp(params)], converged
    ([3.0, 2.3333], True)
    """
    y = np.asarray(events, dtype=float)
    offset = 0.0 if log_offset is None else np.asarray(log_offset, dtype=float)
    case = np.ones(len(y)) if weights is None else np.asarray(weights, dtype=float)
    if not _finite(y, exog, offset, case):
        return None
    mu = (y + y.mean()) / 2.0
    lin_pred = np.log(np.clip(mu, _EPS, np.inf))

    def deviance(mu: np.ndarray) -> float:  # 2 sum w (y log(y / mu) - (y - mu)), y / mu >= eps
        return float(np.sum(2 * (y * np.log(np.clip(y / mu, _EPS, np.inf)) - (y - mu)) * case))

    def step(mu: np.ndarray, lin_pred: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        slope = 1.0 / np.clip(mu, _EPS, np.inf)  # the log link's derivative
        return case * (1.0 / (slope**2 * np.abs(mu))), lin_pred + slope * (y - mu) - offset

    fit = _iterate(exog, y, mu, lin_pred, deviance, step, np.exp,
                   lambda params: exog @ params + offset)
    if fit is None:
        return None
    mu = fit.fitted
    with np.errstate(all="ignore"):
        log_likelihood = float(np.sum(case * (y * np.log(mu) - mu - special.gammaln(y + 1))))
    return fit.params, mu, log_likelihood, fit.converged


def negative_binomial_irls(events: np.ndarray, exog: np.ndarray, log_offset: np.ndarray | None,
                           alpha: float, start: np.ndarray, tolerance: float = 1e-10
                           ) -> tuple[np.ndarray, float, bool] | None:
    """The NB2 GLM at a fixed alpha (log link) as statsmodels fits it from `start`, with the
    deviance rule at `tolerance`: (coefficients, log-likelihood, converged), or None.

    Each step has weights 1 / (mu^-2 (mu + alpha mu^2)) and working response
    eta + (y - mu) / mu - offset, mu floored at eps in both.

    Parameters
    ----------
    events, exog, log_offset
        As `poisson_irls`.
    alpha : float
        The NB2 dispersion (variance mu + alpha mu^2).
    start : numpy.ndarray
        The coefficients to start from (the Poisson fit's).
    tolerance : float
        The deviance change at which the steps stop.

    Returns
    -------
    tuple or None
        (coefficients, log-likelihood, converged); None when the normal equations are
        singular or a value is not finite.

    Examples
    --------
    One group: the mean count (2) is the fitted mean whatever alpha is.

    >>> import numpy as np
    >>> from pipeline.stats._irls import negative_binomial_irls
    >>> params, _, converged = negative_binomial_irls(np.array([0.0, 1, 2, 5]), np.ones((4, 1)),
    ...                                               None, 0.5, np.zeros(1))
    >>> round(float(np.exp(params[0])), 6), converged
    (2.0, True)
    """
    y = np.asarray(events, dtype=float)
    offset = 0.0 if log_offset is None else np.asarray(log_offset, dtype=float)
    if not _finite(y, exog, offset, start):
        return None
    lin_pred = exog @ start + offset
    with np.errstate(all="ignore"):
        mu = np.exp(lin_pred)
    inverse_alpha = 1 / alpha

    def deviance(mu: np.ndarray) -> float:
        shifted = y + inverse_alpha
        return float(np.sum(2 * (y * np.log(np.clip(y / mu, _EPS, np.inf))
                                 - shifted * np.log(shifted / (mu + inverse_alpha)))))

    def step(mu: np.ndarray, lin_pred: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        floored = np.clip(mu, _EPS, np.inf)
        slope = 1.0 / floored
        return 1.0 / (slope**2 * (floored + alpha * floored**2)), lin_pred + slope * (y - mu) - offset

    fit = _iterate(exog, y, mu, lin_pred, deviance, step, np.exp,
                   lambda params: exog @ params + offset, tolerance=tolerance)
    if fit is None:
        return None
    mu = fit.fitted
    with np.errstate(all="ignore"):
        log_likelihood = float(np.sum(
            y * np.log(alpha * mu) - (y + inverse_alpha) * np.log(1 + alpha * mu)
            + special.gammaln(y + inverse_alpha) - special.gammaln(inverse_alpha)
            - special.gammaln(y + 1)))
    return fit.params, log_likelihood, fit.converged


def logistic_irls(outcome: np.ndarray, exog: np.ndarray, weights: np.ndarray | None,
                  counts: np.ndarray | None) -> IrlsFit | None:
    """The logistic GLM as statsmodels fits it, with variance (case) weights and frequency
    weights (`counts`), or None.

    The first guess is mu = (y + 0.5) / 2; each step has weights w f / (g'(mu)^2 mu (1 - mu))
    and working response eta + g'(mu) (y - mu), g the logit with mu clipped to [eps, 1 - eps].

    Parameters
    ----------
    outcome : numpy.ndarray
        The 0/1 outcome of each row.
    exog : numpy.ndarray
        The design (rows x coefficients), intercept included.
    weights : numpy.ndarray or None
        Case weights (statsmodels' `var_weights`), e.g. inverse probability weights.
    counts : numpy.ndarray or None
        How many children each row stands for (statsmodels' `freq_weights`).

    Returns
    -------
    IrlsFit or None
        The fit; None when the normal equations are singular or a value is not finite.

    Examples
    --------
    30 of 50 treated and 15 of 50 untreated children with the outcome, as four counted rows:
    the slope is log((30/20) / (15/35)) = log 3.5, its SE sqrt(1/30 + 1/20 + 1/15 + 1/35).

    >>> import numpy as np
    >>> from pipeline.stats._irls import logistic_irls
    >>> exog = np.column_stack([np.ones(4), [1.0, 1, 0, 0]])
    >>> fit = logistic_irls(np.array([1.0, 0, 1, 0]), exog, None, np.array([30.0, 20, 15, 35]))
    >>> round(float(fit.params[1]), 4), round(float(np.sqrt(fit.covariance[1, 1])), 4)
    (1.2528, 0.4226)
    """
    y = np.asarray(outcome, dtype=float)
    case = np.ones(len(y)) if weights is None else np.asarray(weights, dtype=float)
    frequency = np.ones(len(y)) if counts is None else np.asarray(counts, dtype=float)
    if not _finite(y, exog, case, frequency):
        return None
    prior = frequency * case

    def clipped(p: np.ndarray) -> np.ndarray:
        return np.clip(p, _EPS, 1.0 - _EPS)

    mu = (y + 0.5) / 2
    start = clipped(mu)
    lin_pred = np.log(start / (1.0 - start))

    def deviance(mu: np.ndarray) -> float:  # the ratios floored at eps, as the family does
        ratio = np.clip(y / (mu + 1e-20), _EPS, np.inf)
        other = np.clip((1.0 - y) / (1.0 - mu + 1e-20), _EPS, np.inf)
        return float(np.sum(2 * (y * np.log(ratio) + (1 - y) * np.log(other)) * frequency * case))

    def step(mu: np.ndarray, lin_pred: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        p = clipped(mu)
        slope = 1.0 / (p * (1 - p))
        return prior * (1.0 / (slope**2 * (p * (1 - p)))), lin_pred + slope * (y - mu)

    return _iterate(exog, y, mu, lin_pred, deviance, step, lambda eta: 1.0 / (1.0 + np.exp(-eta)),
                    lambda params: exog @ params, check_prediction=True)


def _iterate(exog, y, mu, lin_pred, deviance, step, mean, predictor, *,  # noqa: ANN001
             check_prediction: bool = False, tolerance: float = TOLERANCE) -> IrlsFit | None:
    """statsmodels' `_fit_irls` loop: step, new means, deviance, until it settles.

    Floating-point warnings (an exp overflowing as a fit separates) are not printed: the
    callers judge the fit by its coefficients and fitted means, as they judged statsmodels'
    (whose warnings they caught)."""
    with np.errstate(all="ignore"):
        return _steps(exog, y, mu, lin_pred, deviance, step, mean, predictor, check_prediction,
                      tolerance)


def _steps(exog, y, mu, lin_pred, deviance, step, mean, predictor,  # noqa: ANN001
           check_prediction: bool, tolerance: float) -> IrlsFit | None:
    current = deviance(mu)
    if np.isnan(current):
        return None
    perfect, converged, solved = False, False, None
    for _ in range(MAX_STEPS):
        irls_weights, working = step(mu, lin_pred)
        if not _finite(irls_weights, working):
            return None
        solved = weighted_least_squares(exog, working, irls_weights)
        if solved is None:
            return None
        lin_pred = predictor(solved[0])
        mu = mean(lin_pred)
        perfect |= check_prediction and bool(np.allclose(mu - y, 0))
        previous, current = current, deviance(mu)
        if abs(previous - current) <= tolerance:
            converged = True
            break
    params, factor = solved
    covariance = linalg.cho_solve(factor, np.eye(len(params)))
    return IrlsFit(params, covariance, mu, converged, perfect)


def weighted_least_squares(x: np.ndarray, z: np.ndarray, w: np.ndarray
                           ) -> tuple[np.ndarray, tuple] | None:
    """argmin sum w (z - x b)^2 by the normal equations and two refinements, with the
    Cholesky factor of X'WX; None if X'WX is singular.

    Parameters
    ----------
    x : numpy.ndarray
        The design (rows x coefficients).
    z : numpy.ndarray
        The response of each row.
    w : numpy.ndarray
        The weight of each row.

    Returns
    -------
    tuple or None
        (coefficients, scipy's Cholesky factor of X'WX), or None if X'WX is singular.

    Examples
    --------
    >>> import numpy as np
    >>> from pipeline.stats._irls import weighted_least_squares
    >>> x = np.column_stack([np.ones(3), [0.0, 1, 2]])
    >>> params, _ = weighted_least_squares(x, np.array([1.0, 2, 3]), np.ones(3))
    >>> [round(float(b), 6) for b in params]
    [1.0, 1.0]
    """
    rows = max(256, BLOCK_BYTES // (8 * max(x.shape[1], 1)))
    blocks = [slice(start, start + rows) for start in range(0, len(x), rows)]
    gram, right = np.zeros((x.shape[1], x.shape[1])), np.zeros(x.shape[1])
    weighted_z = w * z
    for block in blocks:  # X'WX and X'Wz while the block is in cache
        gram += (x[block] * w[block, None]).T @ x[block]
        right += weighted_z[block] @ x[block]
    try:
        factor = linalg.cho_factor(gram)
    except linalg.LinAlgError:
        return None
    params = linalg.cho_solve(factor, right)
    for _ in range(2):  # refinement: solve for what the residuals still hold
        right = np.zeros(x.shape[1])
        for block in blocks:
            right += (w[block] * (z[block] - x[block] @ params)) @ x[block]
        params += linalg.cho_solve(factor, right)
    return (params, factor) if np.all(np.isfinite(params)) else None


def cross_product(matrix: np.ndarray, other: np.ndarray | None = None) -> np.ndarray:
    """M'M (M'N with `other`) for a tall M, summed over blocks of rows.

    Each block's product stays below the size at which OpenBLAS splits it across threads
    (`SINGLE_THREAD_PRODUCT`): a product this thin (p x n times n x q) is dominated by the
    threads' start-up and synchronisation otherwise, which on a busy machine can make it a
    hundred times slower. Eight times faster than einsum's own loop on a million rows.

    Parameters
    ----------
    matrix : numpy.ndarray
        M, rows x p.
    other : numpy.ndarray, optional
        N, rows x q (M itself by default).

    Returns
    -------
    numpy.ndarray
        The p x q matrix M'N.

    Examples
    --------
    >>> import numpy as np
    >>> cross_product(np.array([[1.0, 2.0], [3.0, 4.0]])).tolist()
    [[10.0, 14.0], [14.0, 20.0]]
    """
    other = matrix if other is None else other
    rows = max(64, SINGLE_THREAD_PRODUCT // max(matrix.shape[1] * other.shape[1], 1))
    total = np.zeros((matrix.shape[1], other.shape[1]))
    for start in range(0, len(matrix), rows):
        total += matrix[start:start + rows].T @ other[start:start + rows]
    return total


def _finite(*arrays: np.ndarray | float) -> bool:
    return all(bool(np.all(np.isfinite(array))) for array in arrays)
