"""Missing covariates: how many, multiple imputation by chained equations, Rubin's rules.

The adjusted analyses drop every child with a missing covariate (complete-case analysis,
`_design.build_covariate_design`). That loses children, and it biases an estimate when
whether a covariate is missing depends on the outcome (White & Carlin 2010, Stat Med
29:2920). Multiple imputation keeps every child:

- `missingness_table`: how many values are missing, per variable and group;
- `impute_covariates`: m completed copies of the covariates by chained equations (MICE;
  van Buuren & Groothuis-Oudshoorn 2011, J Stat Softw 45(3); van Buuren, Flexible
  Imputation of Missing Data, 2nd ed. 2018, ch. 3-4). Each incomplete covariate is drawn
  in turn from a model given all the others and the fully observed `auxiliary` columns.
  The outcome must be among those: an imputation model without it imputes covariates
  unrelated to the outcome and biases their effects towards zero (Moons et al. 2006,
  J Clin Epidemiol 59:1092; White, Royston & Wood 2011, Stat Med 30:377);
- `pool_rubin` / `pool_estimates`: the m analyses combined by Rubin's rules (Rubin 1987,
  Multiple Imputation for Nonresponse in Surveys, ch. 3) with the Barnard & Rubin (1999,
  Biometrika 86:948) degrees of freedom when the complete-data degrees of freedom are known.

The models, per kind of column:

- numeric: predictive mean matching (Little 1988, J Bus Econ Stat 6:287; mice's "pmm",
  type-1 matching). A linear regression on the rows where the column is observed
  (ridge 1e-5 x diag(X'X), as mice); sigma^2 and the coefficients are drawn from their
  posterior (sigma*^2 = RSS / chi^2(n_obs - p), beta* ~ N(beta_hat, sigma*^2 (X'X)^-1)), the
  missing rows' predictions use beta*, the observed rows' beta_hat, and each missing value
  is copied from one of the 5 observed rows with the closest prediction (ties broken at
  random). Imputed values are always values that occur in the data (whole grams, whole
  parities), within their range; a 0/1 number stays 0/1 (make it boolean or categorical
  for a logistic model instead);
- boolean, categorical and text: a logistic (two levels) or multinomial logistic (more)
  regression, the first observed level the reference; the coefficients are drawn from the
  normal approximation to their posterior, N(beta_hat, H^-1) at the posterior mode, and
  each missing value from the categorical distribution that beta* gives.

Separation and rare categories. A category seen a handful of times is often perfectly
predicted by some area or period, and its maximum-likelihood coefficient is infinite. The
slopes (not the intercepts) therefore get a normal prior N(0, 1.25^2) on the scale of
standardised predictors, which keeps every estimate finite and changes nothing noticeable
when the data are informative: the normal counterpart of the weakly informative default
of Gelman, Jakulin, Pittau & Su (2008, Ann Appl Stat 2:1360), Cauchy(0, 2.5) for inputs
scaled to sd 0.5. mice handles the same problem by augmenting the data with pseudo-
observations (White, Daniel & Royston 2010, Comput Stat Data Anal 54:2267). Should a model
still fail (the Newton iterations do not converge, or a matrix is singular), that column's
missing values in that iteration are drawn at random from its observed values, and the
count is reported in `ImputedCovariates.fallbacks`.

Levels never observed keep their place among a categorical's categories but are never
imputed; an ordered categorical is imputed as if unordered (mice would use a proportional-
odds model). Each of the m imputations is its own chain of `iterations` rounds, started
from random draws of the observed values, with its own random stream spawned from `seed`:
imputation j does not depend on m, and the same seed gives the same imputations.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Sequence
from dataclasses import dataclass, replace
from typing import Any, Literal

import numpy as np
import pandas as pd
from scipy import linalg, stats

from pipeline.stats._design import build_covariate_design, row_patterns
from pipeline.stats._irls import SINGLE_THREAD_PRODUCT
from pipeline.stats.did import DEFAULT_SEED
from pipeline.stats.results import Estimate, NotEstimable

MISSINGNESS_COLUMNS = ["variable", "n", "missing", "share_missing"]

# Most levels a categorical covariate may have (mice's maxcat).
_MAX_LEVELS = 50
# Donors per missing value in predictive mean matching (mice's default).
_DONORS = 5
# Ridge added to X'X in the linear model, relative to its diagonal (mice's default).
_LINEAR_RIDGE = 1e-5
# Prior sd of a slope per sd of its predictor in the (multinomial) logistic models.
_SLOPE_PRIOR_SD = 1.25
# Newton iterations for the logistic models, and the Newton decrement (squared distance to
# the mode in posterior sds) that counts as converged.
_MAX_NEWTON = 50
_NEWTON_TOLERANCE = 1e-6
# A Newton step shorter than this (decrement, squared posterior sds) keeps the curvature.
_REUSE_CURVATURE = 0.25
# A predictor whose sd among the fitting rows is below this (relative) is left out of that fit.
_CONSTANT_TOLERANCE = 1e-10


# --------------------------------------------------------------------------- missingness


def missingness_table(
    frame: pd.DataFrame, variables: Sequence[str], groups: Sequence[str] = ()
) -> pd.DataFrame:
    """Children, missing values and share missing per variable in each combination of groups.

    One row per combination of the group columns present in the data (a missing group value
    is a group of its own) and variable, in the order given: the group columns, then
    `variable`, `n`, `missing`, `share_missing`.

    Parameters
    ----------
    frame : pandas.DataFrame
        One row per child.
    variables : sequence of str
        The columns whose missing values are counted, each once.
    groups : sequence of str, optional
        Columns to count within (e.g. "group", "period"); none for one row per variable.

    Returns
    -------
    pandas.DataFrame
        The group columns, then variable, n (children), missing (count), share_missing
        (0-1).

    Raises
    ------
    ValueError
        If a column is not in `frame`, a variable is listed twice, or a group column is
        named like an output column.

    Examples
    --------
    >>> import pandas as pd
    >>> from pipeline.stats.imputation import missingness_table
    >>> frame = pd.DataFrame({"group": ["intervention"] * 3 + ["comparison"] * 2,
    ...                       "birth_weight_g": [3100, None, 3500, None, None],
    ...                       "parity": [1, 2, None, 1, 3]})
    >>> table = missingness_table(frame, ["birth_weight_g", "parity"], ["group"])
    >>> table.round(3).values.tolist()  # doctest: +NORMALIZE_WHITESPACE
    [['comparison', 'birth_weight_g', 2, 2, 1.0], ['comparison', 'parity', 2, 0, 0.0],
     ['intervention', 'birth_weight_g', 3, 1, 0.333], ['intervention', 'parity', 3, 1, 0.333]]
    """
    variables, groups = list(variables), list(groups)
    absent = [name for name in variables + groups if name not in frame.columns]
    if absent:
        raise ValueError(f"missingness_table: no column(s) {absent} in the data")
    if len(set(variables)) != len(variables):
        raise ValueError("missingness_table: a variable is listed twice")
    clash = set(groups) & set(MISSINGNESS_COLUMNS)
    if clash:
        raise ValueError(f"missingness_table: group column(s) {sorted(clash)} clash with output columns")

    missing = frame[variables].isna().to_numpy()
    if groups:
        keys = [frame[name] for name in groups]
        grouped = pd.DataFrame(missing, index=frame.index).groupby(
            keys, observed=True, dropna=False, sort=True
        )
        counts = grouped.sum().to_numpy(dtype="int64")
        group_sizes = grouped.size()
        sizes = group_sizes.to_numpy(dtype="int64")
        levels = [group_sizes.index.get_level_values(i) for i in range(len(groups))]
    else:
        counts = missing.sum(axis=0, dtype="int64")[None, :]
        sizes = np.array([len(frame)], dtype="int64")
        levels = []
    n_variables = len(variables)
    table = pd.DataFrame(
        {name: level.repeat(n_variables) for name, level in zip(groups, levels, strict=True)}
    )
    table["variable"] = np.tile(np.array(variables, dtype=object), len(sizes))
    table["n"] = np.repeat(sizes, n_variables)
    table["missing"] = counts.ravel()
    with np.errstate(invalid="ignore", divide="ignore"):
        table["share_missing"] = table["missing"] / table["n"]
    return table


# --------------------------------------------------------------------------- imputation


class ImputedCovariates(list[pd.DataFrame]):
    """The m completed copies of the covariates (a list of DataFrames) and how they were made.

    `methods`: the model of each imputed column ("pmm", "logistic", "multinomial logistic"
    or "single level" when only one value was ever observed); `n_imputed`: how many values
    of each were filled in; `fallbacks`: per column, in how many of the m x iterations draws
    the model failed and the values were drawn at random from the observed ones (normally 0).

    Parameters
    ----------
    completed : sequence of pandas.DataFrame
        The m completed copies.
    methods, n_imputed, fallbacks : dict
        Per imputed column: its model, values filled in, and model failures.
    iterations : int
        Rounds of the chained equations per imputation.
    seed : int or None
        The seed the imputations were drawn with.

    Examples
    --------
    See `impute_covariates`; `notes()` is what a result's `details` carries.

    >>> import pandas as pd
    >>> from pipeline.stats.imputation import ImputedCovariates
    >>> frames = ImputedCovariates([pd.DataFrame({"parity": [1, 2]})] * 2, methods={},
    ...                            n_imputed={}, fallbacks={}, iterations=10, seed=1)
    >>> len(frames), frames.notes()["imputations"]
    (2, 2)
    """

    def __init__(
        self,
        completed: Sequence[pd.DataFrame],
        *,
        methods: dict[Hashable, str],
        n_imputed: dict[Hashable, int],
        fallbacks: dict[Hashable, int],
        iterations: int,
        seed: int | None,
    ) -> None:
        super().__init__(completed)
        self.methods = methods
        self.n_imputed = n_imputed
        self.fallbacks = fallbacks
        self.iterations = iterations
        self.seed = seed

    def notes(self) -> dict[str, Any]:
        """What was imputed and how, for a result's `details`."""
        return {
            "missing_data": "multiple imputation by chained equations",
            "imputations": len(self),
            "iterations": self.iterations,
            "seed": self.seed,
            "imputed_values": {str(k): v for k, v in self.n_imputed.items()},
            "imputation_methods": {str(k): v for k, v in self.methods.items()},
            "imputation_fallbacks": {str(k): v for k, v in self.fallbacks.items()},
        }


@dataclass
class _Incomplete:
    """One covariate with missing values, coded for modelling."""

    name: Hashable
    kind: Literal["numeric", "categorical"]
    missing: np.ndarray  # bool, n
    observed: np.ndarray  # numeric: float values; categorical: level codes 0..K-1
    n_levels: int = 0
    representative: np.ndarray | None = None  # categorical: a row position holding each level
    width: int = 0  # columns it contributes as a predictor
    centre: float = 0.0
    scale: float = 1.0

    @property
    def method(self) -> str:
        if self.kind == "numeric":
            return "pmm"
        if self.n_levels == 1:
            return "single level"
        return "logistic" if self.n_levels == 2 else "multinomial logistic"

    def as_predictor(self, current: np.ndarray) -> np.ndarray:
        """The column(s) this covariate contributes to the other covariates' models."""
        if self.kind == "numeric":
            return ((current - self.centre) / self.scale)[:, None]
        return (current[:, None] == np.arange(1, self.n_levels)).astype(float)


def impute_covariates(
    covariates: pd.DataFrame,
    auxiliary: pd.DataFrame,
    *,
    m: int = 20,
    iterations: int = 10,
    seed: int | None = DEFAULT_SEED,
) -> ImputedCovariates:
    """m completed copies of `covariates`, missing values drawn by chained equations.

    `auxiliary` holds fully observed columns that enter every imputation model as
    predictors and are not imputed: the outcome (required for unbiased effects, see the
    module notes), arm, area, period. Rows are matched by position. Columns without
    missing values are copied and used as predictors. Each returned frame has the index,
    columns, dtypes and categories of `covariates`; observed values are never changed.

    Parameters
    ----------
    covariates : pandas.DataFrame
        The covariates per child, with missing values (numeric, boolean, categorical or
        text columns).
    auxiliary : pandas.DataFrame
        Fully observed predictors per child, in the same order: at least the outcome.
    m : int, optional
        Imputations (completed copies), 20 by default.
    iterations : int, optional
        Rounds of the chained equations per imputation, 10 by default.
    seed : int or None, optional
        Seed; the same seed gives the same imputations, and imputation j does not depend
        on m.

    Returns
    -------
    ImputedCovariates
        A list of m completed DataFrames with `methods`, `n_imputed`, `fallbacks`,
        `iterations`, `seed` and `notes()`.

    Raises
    ------
    ValueError
        If m or iterations is below 1, the frames differ in rows, covariate names repeat,
        an auxiliary column has missing values, or a covariate is missing for every child.

    Examples
    --------
    Birth weight (grams) is imputed by predictive mean matching, so every imputed weight
    is one observed in another child; smoking, with two levels, by logistic regression:

    >>> import pandas as pd
    >>> covariates = pd.DataFrame({
    ...     "birth_weight_g": [3100, None, 3500, 2900, 3300, None, 3600, 3000],
    ...     "smoker": pd.Categorical(["no", "yes", None, "no", "no", "yes", "no", None]),
    ... })
    >>> auxiliary = pd.DataFrame({"outcome": [1, 0, 1, 0, 1, 0, 1, 1]})
    >>> from pipeline.stats.imputation import impute_covariates
    >>> imputed = impute_covariates(covariates, auxiliary, m=3, iterations=2, seed=1)
    >>> len(imputed), imputed.methods, imputed.n_imputed
    (3, {'birth_weight_g': 'pmm', 'smoker': 'logistic'}, {'birth_weight_g': 2, 'smoker': 2})
    >>> any(frame.isna().any().any() for frame in imputed)
    False
    >>> set(imputed[0]["birth_weight_g"]) <= set(covariates["birth_weight_g"].dropna())
    True
    """
    if m < 1 or iterations < 1:
        raise ValueError(f"m ({m}) and iterations ({iterations}) must be at least 1")
    if len(covariates) != len(auxiliary):
        raise ValueError(
            f"covariates have {len(covariates)} rows and auxiliary {len(auxiliary)}; "
            "they must describe the same children in the same order"
        )
    if covariates.columns.duplicated().any():
        raise ValueError("covariates have duplicate column names")
    aux_missing = auxiliary.isna().sum()
    if aux_missing.any():
        named = ", ".join(f"{k} ({v})" for k, v in aux_missing[aux_missing > 0].items())
        raise ValueError(
            f"auxiliary variables must be fully observed; missing values in: {named}. "
            "Impute them as covariates, or drop those children first"
        )
    n = len(covariates)
    column_missing = covariates.isna()
    empty = [str(c) for c in covariates.columns if n and column_missing[c].all()]
    if empty:
        raise NotEstimable(
            f"covariate(s) {empty} are missing for every child; there is nothing to impute "
            "them from — drop them from the analysis"
        )

    incomplete = [
        _code_incomplete(c, covariates[c]) for c in covariates.columns if column_missing[c].any()
    ]
    if not incomplete:
        return ImputedCovariates(
            [covariates.copy() for _ in range(m)],
            methods={}, n_imputed={}, fallbacks={}, iterations=iterations, seed=seed,
        )
    complete_columns = [c for c in covariates.columns if not column_missing[c].any()]
    fixed = _fixed_predictors(auxiliary, covariates[complete_columns], n)

    streams = [np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(m)]
    fallbacks = {spec.name: 0 for spec in incomplete}
    completed: list[pd.DataFrame] = []
    # the fixed predictors' part of each design does not change between rounds or imputations
    fixed_parts = {spec.name: _standardised(fixed, spec.missing, intercept=True) for spec in incomplete}
    fits: dict[Hashable, dict[bytes | None, Any]] = {spec.name: {} for spec in incomplete}
    for rng in streams:
        values, failed = _run_chain(incomplete, fixed_parts, iterations, rng, fits)
        for name, count in failed.items():
            fallbacks[name] += count
        completed.append(_fill(covariates, incomplete, values))
    return ImputedCovariates(
        completed,
        methods={spec.name: spec.method for spec in incomplete},
        n_imputed={spec.name: int(spec.missing.sum()) for spec in incomplete},
        fallbacks=fallbacks,
        iterations=iterations,
        seed=seed,
    )


def _code_incomplete(name: Hashable, series: pd.Series) -> _Incomplete:
    missing = series.isna().to_numpy()
    if pd.api.types.is_numeric_dtype(series.dtype) and not pd.api.types.is_bool_dtype(series.dtype):
        values = series.to_numpy(dtype="float64", na_value=np.nan)
        observed = values[~missing]
        sd = float(observed.std())
        return _Incomplete(
            name, "numeric", missing, observed, width=1 if sd > 0 else 0,
            centre=float(observed.mean()), scale=sd if sd > 0 else 1.0,
        )
    present = series[~missing]
    if isinstance(series.dtype, pd.CategoricalDtype):
        seen = set(present.unique())
        levels = [level for level in series.cat.categories if level in seen]
    else:
        unique = list(pd.unique(present))
        try:
            levels = sorted(unique)
        except TypeError:  # mixed types: keep the order of first appearance
            levels = unique
    if len(levels) > _MAX_LEVELS:
        raise NotEstimable(
            f"covariate {name!r} has {len(levels)} distinct values; a categorical covariate "
            f"may have at most {_MAX_LEVELS} (is it a number or date stored as text?)"
        )
    codes = pd.Categorical(present.to_numpy(dtype=object), categories=levels).codes.astype(np.int64)
    observed_rows = np.flatnonzero(~missing)
    first = np.unique(codes, return_index=True)[1]
    return _Incomplete(
        name, "categorical", missing, codes, n_levels=len(levels),
        representative=observed_rows[first], width=len(levels) - 1,
    )


def _fixed_predictors(auxiliary: pd.DataFrame, complete: pd.DataFrame, n: int) -> np.ndarray:
    """Auxiliary and complete covariates, dummy-coded, without constant or aliased columns."""
    both = pd.concat(
        [auxiliary.reset_index(drop=True).add_prefix("aux:"), complete.reset_index(drop=True)],
        axis=1,
    )
    design = build_covariate_design(both, n)
    return design.covariates.to_numpy(dtype="float64")


def _run_chain(
    incomplete: list[_Incomplete],
    fixed_parts: dict[Hashable, tuple[np.ndarray, np.ndarray]],
    iterations: int,
    rng: np.random.Generator,
    fits: dict[Hashable, dict[bytes | None, Any]],
) -> tuple[dict[Hashable, np.ndarray], dict[Hashable, int]]:
    """One chain: start from random observed values, then `iterations` rounds of draws.

    `fixed_parts` holds each incomplete column's design of the fixed predictors (observed
    rows, missing rows). A column whose predictors are all fixed (no other column is
    imputed) has the same model in every round of every chain: its fit is the same function
    of the same data (and, categorical, of its warm start), so `fits` keeps it by its start
    for the rounds and chains that follow."""
    current: dict[Hashable, np.ndarray] = {}
    for spec in incomplete:
        full = np.empty(len(spec.missing), dtype=spec.observed.dtype)
        full[~spec.missing] = spec.observed
        full[spec.missing] = rng.choice(spec.observed, size=int(spec.missing.sum()))
        current[spec.name] = full
    warm: dict[Hashable, np.ndarray | None] = {spec.name: None for spec in incomplete}
    failed = {spec.name: 0 for spec in incomplete}
    for _ in range(iterations):
        for spec in incomplete:
            n_missing = int(spec.missing.sum())
            x_obs, x_mis = fixed_parts[spec.name]
            others = [o.as_predictor(current[o.name]) for o in incomplete if o is not spec and o.width]
            if others:
                dynamic_obs, dynamic_mis = _standardised(np.hstack(others), spec.missing)
                x_obs, x_mis = np.hstack([x_obs, dynamic_obs]), np.hstack([x_mis, dynamic_mis])
            try:
                if spec.kind != "numeric" and spec.n_levels == 1:
                    drawn = np.zeros(n_missing, dtype=np.int64)
                else:
                    start = None if spec.kind == "numeric" else warm[spec.name]
                    key = None if start is None else start.tobytes()
                    fit = fits[spec.name].get(key) if not others else None
                    if fit is None:
                        fit = (_fit_linear(spec.observed, x_obs) if spec.kind == "numeric"
                               else _fit_multinomial(spec.observed, spec.n_levels, x_obs, start))
                        if not others:
                            fits[spec.name][key] = fit
                    if spec.kind == "numeric":
                        drawn = spec.observed[_pmm_donors(fit, x_mis, rng)]
                    else:
                        drawn = _draw_categorical(spec.n_levels, fit, x_mis, rng)
                        warm[spec.name] = fit[0]
            except (np.linalg.LinAlgError, _NotConverged):
                drawn = rng.choice(spec.observed, size=n_missing)
                warm[spec.name] = None
                failed[spec.name] += 1
            current[spec.name][spec.missing] = drawn
    return current, failed


def _standardised(
    predictors: np.ndarray, missing: np.ndarray, *, intercept: bool = False
) -> tuple[np.ndarray, np.ndarray]:
    """Predictors standardised over the observed rows, constant ones left out: (obs, mis)."""
    observed = predictors[~missing]
    centre = observed.mean(axis=0)
    scale = observed.std(axis=0)
    keep = scale > _CONSTANT_TOLERANCE * np.maximum(1.0, np.abs(centre))
    centre, scale = centre[keep], scale[keep]

    def design(rows: np.ndarray) -> np.ndarray:
        standard = (rows[:, keep] - centre) / scale
        return np.column_stack([np.ones(len(rows)), standard]) if intercept else standard

    return design(observed), design(predictors[missing])


@dataclass(frozen=True)
class _LinearFit:
    """The normal linear model of a numeric column on its predictors (observed rows): what
    the predictive mean matching of each round draws from."""

    chol: np.ndarray  # Cholesky factor of X'X (ridged)
    beta_hat: np.ndarray
    residual_ss: float
    df: int
    predicted: np.ndarray  # X beta_hat, per observed row


def _fit_linear(y_obs: np.ndarray, x_obs: np.ndarray) -> _LinearFit:
    xtx = _weighted_crossproducts(x_obs, np.ones((len(x_obs), 1)))[0]
    precision = xtx + np.diag(_LINEAR_RIDGE * np.diag(xtx))
    chol = linalg.cholesky(precision, lower=True)
    beta_hat = linalg.cho_solve((chol, True), x_obs.T @ y_obs)
    residual = y_obs - x_obs @ beta_hat
    return _LinearFit(chol, beta_hat, float(residual @ residual), max(len(y_obs) - x_obs.shape[1], 1),
                      x_obs @ beta_hat)


def _pmm_donors(fit: _LinearFit, x_mis: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Positions (among the observed rows) of the donor for each missing row."""
    sigma = math.sqrt(fit.residual_ss / rng.chisquare(fit.df))
    beta_star = fit.beta_hat + sigma * linalg.solve_triangular(
        fit.chol.T, rng.standard_normal(len(fit.beta_hat)), lower=False
    )
    return _match(fit.predicted, x_mis @ beta_star, rng)


def _weighted_crossproducts(x: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """X' diag(w_j) X for each column w_j of `weights`, as a (k, p, p) array.

    Summed over blocks of rows so that each product stays below the size at which
    OpenBLAS splits it across threads (m x n x k = 2^18): a product this thin (p x n times
    n x p) is dominated by the threads' start-up and synchronisation otherwise, which on
    a busy machine made the imputation a hundred times slower.
    """
    n, p = x.shape
    rows = max(64, SINGLE_THREAD_PRODUCT // (p * p))
    total = np.zeros((weights.shape[1], p, p))
    for start in range(0, n, rows):
        block = x[start:start + rows]
        block_weights = weights[start:start + rows]
        for j in range(weights.shape[1]):
            total[j] += (block.T * block_weights[:, j]) @ block
    return total


def _match(predicted_obs: np.ndarray, predicted_mis: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """For each missing row, the position of a donor among the observed rows.

    The donor is drawn from the `_DONORS` observed rows with the closest predictions;
    rows tied with the last of those are equally likely, for each missing row separately
    (as mice's matcher). The search runs over the distinct predictions, so that when all
    predictors are categorical the hundreds of children sharing a prediction are all
    eligible, not just the few next to where the missing row's prediction would sort.
    """
    order = np.argsort(predicted_obs, kind="stable")
    values, first, counts = np.unique(predicted_obs[order], return_index=True, return_counts=True)
    n_mis = len(predicted_mis)
    rows = np.arange(n_mis)
    donors = min(_DONORS, len(predicted_obs))
    width = min(2 * donors, len(values))  # the nearest rows lie within `donors` values each side
    start = np.clip(np.searchsorted(values, predicted_mis) - donors, 0, len(values) - width)
    window = start[:, None] + np.arange(width)
    distance = np.abs(values[window] - predicted_mis[:, None])
    size = counts[window]
    by_distance = np.argsort(distance, axis=1, kind="stable")
    reached = np.cumsum(np.take_along_axis(size, by_distance, axis=1), axis=1) >= donors
    radius = np.take_along_axis(distance, by_distance, axis=1)[rows, reached.argmax(axis=1)]
    closer = size * (distance < radius[:, None])  # fewer than `donors` rows in all
    tied = size * (distance == radius[:, None])
    # one of the `donors` nearest: a closer row with probability n_closer / donors, else a tied one
    use_closer = rng.integers(0, donors, n_mis) < closer.sum(axis=1)
    eligible = np.where(use_closer[:, None], closer, tied)
    cumulative = np.cumsum(eligible, axis=1)
    draw = np.floor(rng.random(n_mis) * cumulative[:, -1]).astype(np.int64)
    slot = (cumulative > draw[:, None]).argmax(axis=1)
    offset = draw - (cumulative[rows, slot] - eligible[rows, slot])
    return order[first[window[rows, slot]] + offset]


class _NotConverged(Exception):
    """The Newton iterations of a logistic imputation model did not converge."""


def _draw_categorical(
    n_levels: int,
    fit: tuple[np.ndarray, np.ndarray],
    x_mis: np.ndarray,
    rng: np.random.Generator,
) -> np.ndarray:
    """Levels for the missing rows from a (multinomial) logistic model with drawn coefficients
    (`fit`: `_fit_multinomial`'s mode and Cholesky factor)."""
    beta_hat, chol = fit
    p, q = beta_hat.shape
    noise = linalg.solve_triangular(chol.T, rng.standard_normal(p * q), lower=False)
    beta_star = beta_hat + noise.reshape(q, p).T
    probabilities = _softmax_and_normaliser(x_mis @ beta_star)[0]
    cumulative = np.cumsum(probabilities, axis=1)
    drawn = (cumulative < rng.random(len(x_mis))[:, None]).sum(axis=1)
    return np.minimum(drawn, n_levels - 1)


def _softmax_and_normaliser(eta: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Level probabilities (reference first) and log(1 + sum(exp(eta))) per row."""
    top = np.maximum(eta.max(axis=1), 0.0)
    full = np.empty((len(eta), eta.shape[1] + 1))
    full[:, 0] = np.exp(-top)
    np.exp(eta - top[:, None], out=full[:, 1:])
    total = full.sum(axis=1)
    full /= total[:, None]
    return full, top + np.log(total)


def _fit_multinomial(
    codes: np.ndarray, n_levels: int, x: np.ndarray, start: np.ndarray | None
) -> tuple[np.ndarray, np.ndarray]:
    """Posterior mode (p x (K-1)) and the Cholesky factor of the posterior precision.

    Newton-Raphson with step halving on the penalised log-likelihood; the slopes (all rows
    but the intercept) carry the N(0, `_SLOPE_PRIOR_SD`^2) prior. Converged when the Newton
    decrement g' H^-1 g (the squared distance to the mode in posterior sds) is below
    `_NEWTON_TOLERANCE`. The precision returned is the one at the mode or at a point within
    half a posterior sd of it (`_REUSE_CURVATURE`): the Hessian changes there by O(1/sqrt(n))
    of itself. Ordered level by level: the p coefficients of level 1, then level 2, ...

    Fitted on its sufficient statistics: the distinct rows of `x` with each level's count
    among the children who share the row. Children who share every predictor share their
    probabilities, so the log-likelihood, its gradient and its Hessian are sums over the
    distinct rows weighted by those counts: the same function, in a fraction of the work
    when the predictors are categorical (tens of thousands of distinct rows among a
    million children).
    """
    p, q = x.shape[1], n_levels - 1
    inverse, first = row_patterns(x)
    patterns = x[first]
    tallies = np.bincount(inverse * n_levels + codes, minlength=len(patterns) * n_levels)
    tallies = tallies.reshape(len(patterns), n_levels).astype(float)
    sizes = tallies.sum(axis=1)
    events = tallies[:, 1:]  # per distinct row, the children at each level but the reference
    xt = np.ascontiguousarray(patterns.T)
    penalty = np.full(p, 1.0 / _SLOPE_PRIOR_SD**2)
    penalty[0] = 0.0
    pairs = [(a, b) for a in range(q) for b in range(a, q)]

    def evaluate(b: np.ndarray) -> tuple[float, np.ndarray, np.ndarray]:
        eta = patterns @ b
        probabilities, normaliser = _softmax_and_normaliser(eta)
        probabilities = probabilities[:, 1:]
        value = (events * eta).sum() - sizes @ normaliser - 0.5 * (penalty[:, None] * b**2).sum()
        gradient = (xt @ (events - sizes[:, None] * probabilities) - penalty[:, None] * b).T.ravel()
        return float(value), probabilities, gradient

    def precision_factor(probabilities: np.ndarray) -> np.ndarray:
        weights = np.column_stack(
            [sizes * probabilities[:, a] * ((a == b) - probabilities[:, b]) for a, b in pairs]
        )
        blocks = _weighted_crossproducts(patterns, weights)
        hessian = np.empty((p * q, p * q))
        for k, (a, b) in enumerate(pairs):
            hessian[a * p:(a + 1) * p, b * p:(b + 1) * p] = blocks[k]
            hessian[b * p:(b + 1) * p, a * p:(a + 1) * p] = blocks[k].T
        hessian[np.diag_indices_from(hessian)] += np.tile(penalty, q)
        return linalg.cholesky(hessian, lower=True)

    beta = start if start is not None and start.shape == (p, q) else np.zeros((p, q))
    current, probabilities, gradient = evaluate(beta)
    chol = precision_factor(probabilities)
    for _ in range(_MAX_NEWTON):
        step_flat = linalg.cho_solve((chol, True), gradient)
        decrement = float(gradient @ step_flat)
        if decrement < _NEWTON_TOLERANCE:
            return beta, chol
        step = step_flat.reshape(q, p).T
        for _ in range(30):  # step halving: the penalised likelihood must not decrease
            trial = evaluate(beta + step)
            if trial[0] >= current - 1e-12 * abs(current):
                break
            step = step / 2
        else:
            raise _NotConverged
        beta = beta + step
        current, probabilities, gradient = trial
        if decrement >= _REUSE_CURVATURE:
            chol = precision_factor(probabilities)
    raise _NotConverged


def _fill(
    covariates: pd.DataFrame, incomplete: list[_Incomplete], values: dict[Hashable, np.ndarray]
) -> pd.DataFrame:
    """A copy of `covariates` with each incomplete column's missing values filled in."""
    completed = covariates.copy()
    for spec in incomplete:
        original = covariates[spec.name]
        positions = np.flatnonzero(spec.missing)
        imputed = values[spec.name][spec.missing]
        array = original.array.copy()
        if spec.kind == "categorical":  # copy the level from a row that has it: same dtype
            array[positions] = original.array.take(spec.representative[imputed])
        else:  # observed values (pmm donors), so the cast back to the dtype is exact
            array[positions] = imputed
        completed[spec.name] = pd.Series(array, index=covariates.index, name=spec.name)
    return completed


# --------------------------------------------------------------------------- Rubin's rules


def pool_rubin(
    estimates: Sequence[float],
    variances: Sequence[float],
    *,
    df_complete: float | None = None,
    confidence: float = 0.95,
    measure: str = "estimate",
    method: str = "rubins_rules",
) -> Estimate:
    """Pool one scalar estimate and its variance per imputed data set (m >= 2) by Rubin's rules.

    `variances` are the squared standard errors. The pooled estimate Q-bar is the mean of
    the m; its variance T = U-bar + (1 + 1/m) B, with U-bar the mean of the m variances
    (within) and B the variance of the m estimates (between). The interval and p use a t
    distribution: with `df_complete` — the complete-data degrees of freedom, what the
    analysis would have had without missing values (N - k for a regression with k
    coefficients on N children; mice's `dfcom`) — its degrees of freedom are Barnard &
    Rubin's (1999), which never exceed `df_complete`; otherwise Rubin's (1987)
    (m - 1) / lambda^2, right for large samples. Rubin's df are infinite when B = 0: the
    reference is then the normal, and the result's `df` is None (as for every estimate
    whose interval is not from a t distribution).

    The result's `details` hold the pooling quantities (Rubin 1987, ch. 3):
    `variance_within` (U-bar), `variance_between` (B), `variance_total` (T);
    `relative_increase_variance` r = (1 + 1/m) B / U-bar; `proportion_variance_missing`
    lambda = (1 + 1/m) B / T; `fraction_missing_information`
    gamma = (r + 2/(df + 3)) / (r + 1) (eq. 3.1.10); `statistic`, the t = Q-bar / √T;
    `imputations` (m); `df_complete`; `df_method`, "Rubin (1987)" or "Barnard-Rubin (1999)";
    and `interval`, in words.

    Parameters
    ----------
    estimates : sequence of float
        The estimate from each imputed data set (on the scale to pool on, e.g. log odds).
    variances : sequence of float
        Their squared standard errors, one per imputation.
    df_complete : float, optional
        The complete-data degrees of freedom; Barnard & Rubin's df when given.
    confidence : float, optional
        Confidence level, 0.95 by default.
    measure, method : str, optional
        What was pooled and how, as the Estimate names them (e.g. "did",
        "multiple_imputation"); a generic "estimate" by "rubins_rules" by default.

    Returns
    -------
    Estimate
        The pooled estimate with its t interval and p; `se` √T, `df` the t's degrees of
        freedom (None for the normal); the pooling quantities in `details`.

    Raises
    ------
    ValueError
        If there are fewer than 2 imputations, the lengths differ, a value is not finite, a
        variance is negative, `confidence` is not between 0 and 1, or `df_complete` is not
        positive.
    NotEstimable
        If every variance is 0.

    Examples
    --------
    Estimates 0.1, 0.2, 0.3, each with variance 0.01: U-bar = 0.01, B = 0.01,
    T = 0.01 + (1 + 1/3) · 0.01, lambda = 0.0133/0.0233 = 4/7, df = 2 / lambda² = 6.125,
    r = 0.0133/0.01 = 4/3, gamma = (4/3 + 2/9.125) / (7/3) = 0.665.

    >>> from pipeline.stats.imputation import pool_rubin
    >>> pooled = pool_rubin([0.1, 0.2, 0.3], [0.01, 0.01, 0.01], measure="risk_difference")
    >>> round(pooled.estimate, 4), round(pooled.details["variance_total"], 6), round(pooled.df, 3)
    (0.2, 0.023333, 6.125)
    >>> pooled.summary()
    'risk_difference (rubins_rules): 0.2 (95% CI -0.1719 to 0.5719), p = 0.237'
    >>> round(pooled.details["fraction_missing_information"], 3), pooled.details["imputations"]
    (0.665, 3)
    """
    q = np.asarray(estimates, dtype="float64")
    u = np.asarray(variances, dtype="float64")
    if q.ndim != 1 or q.shape != u.shape:
        raise ValueError(f"{q.size} estimates and {u.size} variances: give one of each per imputation")
    m = len(q)
    if m < 2:
        raise ValueError("Rubin's rules need at least 2 imputations")
    if not (np.isfinite(q).all() and np.isfinite(u).all()):
        raise ValueError("estimates and variances must be finite")
    if (u < 0).any():
        raise ValueError("variances must not be negative")
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must be between 0 and 1, not {confidence}")
    if df_complete is not None and not df_complete > 0:
        raise ValueError(f"complete-data degrees of freedom must be positive, not {df_complete}")

    qbar = float(q.mean())
    ubar = float(u.mean())
    b = float(q.var(ddof=1))
    t = ubar + (1 + 1 / m) * b
    if ubar <= 0:
        raise NotEstimable(
            "every within-imputation variance is 0; Rubin's rules need each analysis's "
            "squared standard error"
        )
    lam = (1 + 1 / m) * b / t
    r = (1 + 1 / m) * b / ubar
    if df_complete is None:
        df = (m - 1) / lam**2 if lam > 0 else math.inf
        df_method = "Rubin (1987)"
    else:
        # Barnard & Rubin (1999) eq. 3, written as in mice's barnard.rubin() so that
        # lambda = 0 gives its limit n (n + 1) / (n + 3) rather than 0/0.
        n = df_complete
        observed = (1 - lam) * (n + 1) * n
        df = (m - 1) * observed / ((n + 3) * (m - 1) + lam**2 * observed)
        df_method = "Barnard-Rubin (1999)"
    fmi = (r + 2 / (df + 3)) / (r + 1)
    se = math.sqrt(t)
    critical = float(stats.t.ppf(0.5 + confidence / 2, df))
    statistic = qbar / se
    return Estimate(
        measure=measure,
        method=method,
        estimate=qbar,
        ci_low=qbar - critical * se,
        ci_high=qbar + critical * se,
        p_value=float(2 * stats.t.sf(abs(statistic), df)),
        confidence=confidence,
        se=se,
        df=None if math.isinf(df) else float(df),
        details={
            "statistic": statistic,
            "variance_within": ubar,
            "variance_between": b,
            "variance_total": t,
            "relative_increase_variance": r,
            "proportion_variance_missing": lam,
            "fraction_missing_information": float(fmi),
            "imputations": m,
            "df_complete": None if df_complete is None else float(df_complete),
            "df_method": df_method,
            "interval": f"Rubin's rules, t with {df_method} df",
        },
    )


def _exponentiated(pooled: Estimate) -> Estimate:
    """A result pooled on the log scale with its estimate and interval back-transformed (a
    ratio); `se` and `df` stay those of the log scale, which `log_scale` says."""
    return replace(pooled, estimate=math.exp(pooled.estimate), ci_low=math.exp(pooled.ci_low),
                   ci_high=math.exp(pooled.ci_high), log_scale=True)


# Relative tolerance for calling an interval symmetric about its estimate.
_SYMMETRY_TOLERANCE = 1e-6


def pool_estimates(
    results: Sequence[Estimate],
    *,
    scale: Literal["identity", "log"] = "identity",
    df_complete: float | None = None,
) -> Estimate:
    """Pool one Estimate per imputed data set by Rubin's rules.

    Each standard error is recovered from the Estimate's interval as half its width over
    the normal quantile of its confidence level: the interval must be a Wald interval,
    estimate +/- z x SE, symmetric on the pooling scale. `scale="log"` pools ratios (odds,
    risk, hazard ratios) on the log scale, where their Wald intervals are symmetric, and
    returns the pooled ratio and interval back-transformed. An interval built on a t
    reference (the area-clustered DiD) would have its SE overstated by t/z: pool such
    results with `pool_rubin` from their coefficients and standard errors instead. A
    result that cannot be estimated in any imputation makes the pooled one not estimable.
    `df_complete`: the complete-data degrees of freedom, as in `pool_rubin`.

    Parameters
    ----------
    results : sequence of Estimate
        One result per imputation, of the same measure and confidence level, each with a
        Wald interval.
    scale : {"identity", "log"}, optional
        Pool on the estimate's own scale, or on the log scale (ratios).
    df_complete : float, optional
        The complete-data degrees of freedom.

    Returns
    -------
    Estimate
        The pooled estimate with its Rubin's-rules interval and p (back-transformed for
        `scale="log"`, `se` on the log scale); the pooling quantities in `details`, as
        `pool_rubin` gives them. Not estimable when any imputation's result is not.

    Raises
    ------
    ValueError
        If there are no results, they differ in measure or confidence, `scale` is unknown,
        a ratio is pooled on the identity scale, a result has no interval, an interval is
        not symmetric on the pooling scale, or a log-scale value is not positive.

    Examples
    --------
    Three risk differences 0.1, 0.2, 0.3, each ± 1.96 · 0.1, pool as in `pool_rubin`:

    >>> from pipeline.stats.imputation import pool_estimates
    >>> from pipeline.stats.results import Estimate
    >>> z = 1.959963984540054
    >>> results = [Estimate("risk_difference", "crude", e, e - z * 0.1, e + z * 0.1)
    ...            for e in (0.1, 0.2, 0.3)]
    >>> pool_estimates(results).summary()
    'risk_difference (crude): 0.2 (95% CI -0.1719 to 0.5719), p = 0.237'
    """
    if not results:
        raise ValueError("no results to pool")
    first = results[0]
    measures = {r.measure for r in results}
    if len(measures) > 1:
        raise ValueError(f"cannot pool different measures together: {sorted(measures)}")
    confidences = {r.confidence for r in results}
    if len(confidences) > 1:
        raise ValueError(f"results have different confidence levels: {sorted(confidences)}")
    base = {
        "n": first.n if all(r.n == first.n for r in results) else None,
        "events": first.events if all(r.events == first.events for r in results) else None,
    }
    for i, result in enumerate(results, start=1):
        if not result.estimable:
            return Estimate.not_estimable(
                first.measure, first.method,
                f"not estimable in imputation {i} of {len(results)}: {result.reason}",
                confidence=first.confidence, details={"imputations": len(results)}, **base,
            )
    if scale not in ("identity", "log"):
        raise ValueError(f"scale must be 'identity' or 'log', not {scale!r}")
    ratio = first.measure.endswith("ratio") or first.log_scale
    if ratio and scale == "identity":
        raise ValueError(
            f"{first.measure} is a ratio; its interval is symmetric on the log scale only: "
            "pool it with scale='log'"
        )
    z = float(stats.norm.ppf(0.5 + first.confidence / 2))
    points, variances = [], []
    for i, result in enumerate(results, start=1):
        if result.ci_low is None or result.ci_high is None:
            raise ValueError(f"imputation {i}: the result has no interval to recover its SE from")
        values = np.array([result.estimate, result.ci_low, result.ci_high], dtype="float64")
        if scale == "log":
            if (values <= 0).any():
                raise ValueError(f"imputation {i}: scale='log' needs a positive estimate and interval")
            values = np.log(values)
        centre, low, high = values
        upper, lower = high - centre, centre - low
        if abs(upper - lower) > _SYMMETRY_TOLERANCE * max(high - low, np.finfo(float).tiny):
            raise ValueError(
                f"imputation {i}: the interval {result.ci_low:.6g} to {result.ci_high:.6g} is not "
                f"symmetric about {result.estimate:.6g} on the {scale} scale, so it is not "
                "estimate +/- z x SE (a score, exact or clipped interval); pool the estimates "
                "and their standard errors with pool_rubin"
            )
        points.append(centre)
        variances.append(((high - low) / (2 * z)) ** 2)
    pooled = pool_rubin(points, variances, df_complete=df_complete, confidence=first.confidence,
                        measure=first.measure, method=first.method)
    pooled = replace(pooled, details=pooled.details | {
        "se_recovered_from": "interval half-width / z"}, **base)
    return _exponentiated(pooled) if scale == "log" else pooled
