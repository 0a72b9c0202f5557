"""Design matrices for the regression-type methods (logistic, IPTW, DiD).

Covariates arrive as a DataFrame of any mix of numeric, boolean and categorical columns;
this module dummy-codes the categorical ones, drops rows with missing values (and counts
them), drops constant and aliased columns (and names them), so that every method sees a
full-rank numeric design and can say what it did.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import pandas as pd

from pipeline.stats._irls import cross_product
from pipeline.stats.results import Dropped, NotEstimable

# Relative tolerance for deciding that a column is a linear combination of earlier ones.
_RANK_TOLERANCE = 1e-9
# Share of a column's length left once earlier columns are projected out, below which it
# counts as their linear combination (exact collinearity leaves rounding, about 1e-15).
_ALIAS_TOLERANCE = 1e-7
# A remainder above this share of its column's length is independent beyond doubt when
# judged from the cross-products (`clearly_full_rank`): their rounding moves the squared
# share by far less than 1e-6 even on a million rows.
_CLEARLY_INDEPENDENT = 1e-3
# X'X's smallest eigenvalue at least this share of its largest (X's condition number at most
# 1,000): X is far from rank-deficient by numpy's matrix_rank (singular values below
# rows x eps of the largest), and least squares by the normal equations is accurate.
WELL_CONDITIONED = 1e-6


@dataclass(frozen=True)
class CovariateDesign:
    """Numeric, full-rank covariates aligned with the rows kept for analysis.

    Attributes
    ----------
    covariates : pandas.DataFrame
        The coded covariates of the kept rows (index 0 .. kept − 1).
    kept_rows : numpy.ndarray of bool
        Which of the original rows are analysed.
    n_dropped_missing : int
        Rows dropped for a missing covariate (not counting rows excluded anyway).
    dropped_constant, dropped_aliased : tuple of str
        Columns dropped as constant, or as linear combinations of earlier ones.

    Examples
    --------
    See `build_covariate_design`.

    >>> import pandas as pd
    >>> from pipeline.stats._design import build_covariate_design
    >>> build_covariate_design(pd.DataFrame({"parity": [1, None, 2]}), 3).dropped
    Dropped(rows_missing=1, constant=(), aliased=())
    """

    covariates: pd.DataFrame
    kept_rows: np.ndarray
    n_dropped_missing: int
    dropped_constant: tuple[str, ...]
    dropped_aliased: tuple[str, ...]

    @property
    def dropped(self) -> Dropped:
        """What was dropped, for a result's `dropped`."""
        return Dropped(self.n_dropped_missing, self.dropped_constant, self.dropped_aliased)


def as_binary(values: object, name: str) -> np.ndarray:
    """Coerce a 0/1 or boolean vector to floats (NaN kept for missing); reject other codes.

    Parameters
    ----------
    values : array_like
        0/1 numbers or booleans, with missing values as None, NaN or pandas.NA.
    name : str
        The variable's name in the error message.

    Returns
    -------
    numpy.ndarray
        Floats 0.0 and 1.0, NaN where missing.

    Raises
    ------
    ValueError
        If a value is other than 0, 1, True, False or missing.

    Examples
    --------
    >>> from pipeline.stats._design import as_binary
    >>> as_binary([1, 0, None, True], "outcome").tolist()
    [1.0, 0.0, nan, 1.0]
    >>> as_binary([0, 1, 2], "outcome")
    Traceback (most recent call last):
    ...
    ValueError: outcome must be 0/1 or boolean; found values [2.0]
    """
    array = _as_floats(values)
    observed = array[~np.isnan(array)]
    if not ((observed == 0.0) | (observed == 1.0)).all():
        bad = np.setdiff1d(np.unique(observed), [0.0, 1.0])
        raise ValueError(f"{name} must be 0/1 or boolean; found values {bad[:5].tolist()}")
    return array


def as_labels(values: object) -> pd.Series:
    """Labels (areas, say) as a Series indexed from 0; a numpy vector of objects is taken as
    it is (its strings are not converted to a string array, which costs more than the
    methods' use of them).

    Parameters
    ----------
    values : array_like
        A label per row (missing as None, NaN or pandas.NA).

    Returns
    -------
    pandas.Series
        The labels, index 0 .. n − 1 (object dtype for a numpy vector of objects).

    Examples
    --------
    >>> import numpy as np
    >>> from pipeline.stats._design import as_labels
    >>> as_labels(np.array(["A", None], dtype=object)).isna().tolist()
    [False, True]
    """
    if isinstance(values, np.ndarray) and values.dtype == object:
        return pd.Series(values, dtype=object)
    return pd.Series(values).reset_index(drop=True)


def as_text(labels: pd.Series) -> pd.Series:
    """Labels to be coded in the sorted order of their text: a categorical whose categories
    are texts in sorted order as it is (coding it sorts by its categories, the same order,
    without converting every label), anything else as a string array.

    Parameters
    ----------
    labels : pandas.Series
        A label per row (missing as NA).

    Returns
    -------
    pandas.Series
        The labels as they are (such a categorical) or as strings.

    Examples
    --------
    >>> import pandas as pd
    >>> from pipeline.stats._design import as_text
    >>> labels = pd.Series(pd.Categorical(["2020-03", "2019-09", None]))
    >>> pd.factorize(as_text(labels), sort=True)[0].tolist()
    [1, 0, -1]
    >>> pd.factorize(as_text(labels.astype(object)), sort=True)[0].tolist()
    [1, 0, -1]
    """
    if isinstance(labels.dtype, pd.CategoricalDtype):
        categories = labels.cat.categories
        if (categories.inferred_type == "string" and categories.is_monotonic_increasing
                and not labels.cat.ordered):
            return labels
    return labels.astype("string")


def as_finite(values: object, name: str) -> np.ndarray:
    """Coerce numbers (or booleans) to floats (NaN kept for missing); reject infinite values.

    Parameters
    ----------
    values : array_like
        Numbers or booleans, with missing values as None, NaN or pandas.NA.
    name : str
        The variable's name in the error message.

    Returns
    -------
    numpy.ndarray
        Floats, NaN where missing.

    Raises
    ------
    ValueError
        If a value is not a number or is infinite.

    Examples
    --------
    >>> from pipeline.stats._design import as_finite
    >>> as_finite([3, 0, None, 1.5, True], "outcome").tolist()
    [3.0, 0.0, nan, 1.5, 1.0]
    >>> as_finite([1, float("inf")], "outcome")
    Traceback (most recent call last):
    ...
    ValueError: outcome has infinite values
    """
    try:
        array = _as_floats(values)
    except (TypeError, ValueError) as error:
        raise ValueError(f"{name} must be numeric ({error})") from error
    if np.isinf(array).any():
        raise ValueError(f"{name} has infinite values")
    return array


def _as_floats(values: object) -> np.ndarray:
    """Numbers or booleans as a new float array, NaN where missing (None, NaN or pandas.NA).

    A numpy vector of numbers or booleans is converted directly, to the floats the nullable
    route gives (the statistics are called with such vectors many times over).
    """
    if isinstance(values, np.ndarray) and values.ndim == 1 and values.dtype.kind in "biuf":
        return values.astype(float)
    return pd.Series(values).astype("Float64").to_numpy(dtype="float64", na_value=np.nan)


def dummy_code(covariates: pd.DataFrame) -> pd.DataFrame:
    """Numeric columns as floats; categorical, string and boolean columns as 0/1 dummies.

    The first level of a categorical (its first category, or the first value in sorted
    order for strings) is the reference and gets no column.

    Parameters
    ----------
    covariates : pandas.DataFrame
        Covariates of any mix of numeric, boolean, categorical and text columns.

    Returns
    -------
    pandas.DataFrame
        Float columns: numeric ones as they are, one "column_level" dummy per non-reference
        level (NaN where the covariate is missing).

    Examples
    --------
    >>> import pandas as pd
    >>> from pipeline.stats._design import dummy_code
    >>> coded = dummy_code(pd.DataFrame({"parity": [1, 2, 3], "smoker": ["no", "yes", None]}))
    >>> coded.columns.tolist(), coded["smoker_yes"].tolist()
    (['parity', 'smoker_yes'], [0.0, 1.0, nan])
    """
    return pd.DataFrame(_coded_columns(covariates), index=covariates.index)


def _coded_columns(covariates: pd.DataFrame) -> dict[str, np.ndarray]:
    """`dummy_code`'s columns as float arrays by name (no frame is built)."""
    columns: dict[str, np.ndarray] = {}
    for column, values in covariates.items():
        if values.dtype == np.float64:  # as it is (the frames the compare stage passes)
            columns[str(column)] = values.to_numpy()
            continue
        if pd.api.types.is_bool_dtype(values) or pd.api.types.is_numeric_dtype(values):
            columns[str(column)] = values.astype("float64").to_numpy(dtype=float,
                                                                     na_value=np.nan)
            continue
        categorical = (values.array if isinstance(values.dtype, pd.CategoricalDtype)
                       else values.astype("category").array)
        codes = categorical.codes
        for code, level in enumerate(categorical.categories.tolist()[1:], start=1):
            dummy = (codes == code).astype(float)
            dummy[codes < 0] = np.nan
            columns[f"{column}_{level}"] = dummy
    return columns


def level_dummies(labels: object) -> np.ndarray:
    """0/1 float columns for every level of `labels` but the first, levels in sorted order (a
    missing label is 0 in every column).

    The values of `pd.get_dummies(labels, drop_first=True, dtype=float)`, built as a matrix
    directly: the fixed-effects designs need them many times over.

    Parameters
    ----------
    labels : numpy.ndarray or pandas.Series
        A label per row (missing as None, NaN or pandas.NA).

    Returns
    -------
    numpy.ndarray
        Rows × (levels − 1) floats, one column per level after the first in sorted order.

    Examples
    --------
    >>> import numpy as np
    >>> from pipeline.stats._design import level_dummies
    >>> level_dummies(np.array(["b", "a", None, "c"], dtype=object)).tolist()
    [[1.0, 0.0], [0.0, 0.0], [0.0, 0.0], [0.0, 1.0]]
    """
    codes, levels = pd.factorize(labels, sort=True)
    matrix = np.zeros((len(codes), max(len(levels) - 1, 0)))
    rows = np.flatnonzero(codes > 0)
    matrix[rows, codes[rows] - 1] = 1.0
    return matrix


def build_covariate_design(
    covariates: pd.DataFrame | None, n_rows: int, also_required: np.ndarray | None = None
) -> CovariateDesign:
    """Dummy-code covariates, drop incomplete rows, constant and aliased columns.

    `also_required` is a boolean mask of rows that must be kept out anyway (for example
    rows with a missing outcome); those are not counted as dropped for covariates.

    Parameters
    ----------
    covariates : pandas.DataFrame or None
        Covariates per row (None or no columns: no covariates).
    n_rows : int
        Rows of the analysis (children).
    also_required : numpy.ndarray of bool, optional
        Rows usable for other reasons (True = usable); the others are kept out uncounted.

    Returns
    -------
    CovariateDesign
        The coded, full-rank covariates of the kept rows and what was dropped.

    Raises
    ------
    ValueError
        If the covariates do not have `n_rows` rows.

    Examples
    --------
    Row 4 lacks smoking and is dropped; "sweden" is constant and "parity_again" a copy of
    "parity":

    >>> import pandas as pd
    >>> from pipeline.stats._design import build_covariate_design
    >>> covariates = pd.DataFrame({"parity": [1, 2, 1, 3, 2], "parity_again": [1, 2, 1, 3, 2],
    ...                            "sweden": [1] * 5,
    ...                            "smoker": ["no", "yes", "no", None, "no"]})
    >>> design = build_covariate_design(covariates, 5)
    >>> design.covariates.columns.tolist(), design.kept_rows.tolist()
    (['parity', 'smoker_yes'], [True, True, True, False, True])
    >>> design.dropped_constant, design.dropped_aliased
    (('sweden',), ('parity_again',))
    """
    usable = np.ones(n_rows, dtype=bool) if also_required is None else also_required.copy()
    if covariates is None or covariates.shape[1] == 0:
        empty = pd.DataFrame(index=pd.RangeIndex(int(usable.sum())))
        return CovariateDesign(empty, usable, 0, (), ())
    if len(covariates) != n_rows:
        raise ValueError(f"covariates have {len(covariates)} rows; expected {n_rows}")
    # the coded columns as arrays: one frame is built, of the columns retained
    coded = _coded_columns(covariates)
    complete = np.ones(n_rows, dtype=bool)
    for values in coded.values():
        complete &= ~np.isnan(values)
    n_dropped = int((usable & ~complete).sum())
    kept = usable & complete
    n_kept = int(kept.sum())
    # The kept rows of the intercept and each coded column, a row each of one array: the
    # design's columns as the rank check reads them (`rows.T`) and, for the columns retained,
    # the values as the frame stores them (column by column), copied once.
    names = list(coded)
    rows = np.empty((len(names) + 1, n_kept))
    rows[0] = 1.0  # the intercept, which every design has first
    # one take of the kept rows from all the columns at once ("clip": unbuffered; the
    # indices are in range): a third of the time of a compress per column at register scale
    np.take(_stacked(covariates, coded), np.flatnonzero(kept), axis=1, out=rows[1:], mode="clip")
    coded = dict(zip(names, rows[1:], strict=True))

    constant = tuple(c for c, values in coded.items() if _is_constant(values))

    candidates = [column for column in coded if column not in constant]
    if constant:
        rows = rows[[0, *(1 + names.index(column) for column in candidates)]]
    if clearly_full_rank(rows.T):
        retained = candidates
    else:  # a column at or near a combination of others: decided on the columns themselves
        retained = _independent_by_gram_schmidt(coded, candidates, n_kept)
    aliased = [column for column in candidates if column not in retained]
    # column labels as a frame of the coded columns would have them (none coded: a RangeIndex);
    # the values taken by the frame rather than copied (a million rows: a tenth of a second a fit)
    labels = _column_labels(tuple(retained)) if coded else pd.RangeIndex(0)
    if retained == candidates:  # the rows already hold them, in order
        by_column = rows[1:]
    elif retained:
        by_column = np.vstack([coded[column] for column in retained])
    else:
        by_column = np.empty((0, n_kept))
    frame = pd.DataFrame(by_column.T, index=pd.RangeIndex(n_kept), columns=labels, copy=False)
    return CovariateDesign(frame, kept, n_dropped, constant, tuple(aliased))


def _stacked(covariates: pd.DataFrame, coded: dict[str, np.ndarray]) -> np.ndarray:
    """The coded columns as the rows of one array (columns x rows): the frame's own values,
    transposed, when every column is a float as it is coded (the compare stage's frames: one
    block, so no copy), else the coded columns stacked."""
    if len(coded) == covariates.shape[1] and (covariates.dtypes == np.float64).all():
        return covariates.to_numpy().T
    return np.vstack(list(coded.values())) if coded else np.empty((0, len(covariates)))


@lru_cache(maxsize=256)
def _column_labels(names: tuple[str, ...]) -> pd.Index:
    """A design's column labels, made once per set of names (an Index is immutable, and the
    same designs recur across a study's many fits)."""
    return pd.Index(list(names), dtype="str")


def _independent_by_gram_schmidt(coded: dict[str, np.ndarray], candidates: list[str],
                                 n_rows: int) -> list[str]:
    """The columns that are not linear combinations of the intercept and the columns before
    them: Gram–Schmidt against those kept so far (twice, for numerical stability); a column
    whose remainder is below `_ALIAS_TOLERANCE` of its own length is aliased. Each pass
    projects on all the kept columns at once (two matrix-vector products)."""
    retained: list[str] = []
    basis = np.empty((len(candidates) + 1, n_rows))  # orthonormal rows, the first `found` in use
    basis[0] = 1 / np.sqrt(max(n_rows, 1))
    found = 1
    for column in candidates:
        values = coded[column]
        remainder = values.copy()
        for _ in range(2):
            remainder -= (basis[:found] @ remainder) @ basis[:found]
        length = np.linalg.norm(remainder)
        if length > _ALIAS_TOLERANCE * max(np.linalg.norm(values), 1e-300):
            basis[found] = remainder / length
            found += 1
            retained.append(column)
    return retained


def clearly_full_rank(matrix: np.ndarray, sizes: np.ndarray | None = None) -> bool:
    """Whether Gram–Schmidt in column order would keep every column of `matrix`, as far as the
    columns' cross-products can tell: True when each column's remainder (after removing its
    projection on the columns before it) is above `_CLEARLY_INDEPENDENT` of its size
    (`sizes`, the columns' own lengths by default).

    One product M'M (a tenth of the time of a Gram–Schmidt pass over a million rows per
    column) and its Cholesky factor L: the remainders' lengths are L's diagonal. Their
    rounding error is a small multiple of rows x eps of the column's squared length at
    worst, so a remainder above `_CLEARLY_INDEPENDENT` is surely above the alias
    tolerances; False leaves the decision to Gram–Schmidt on the columns themselves (a
    column at or near a combination of others).

    Parameters
    ----------
    matrix : numpy.ndarray
        The columns, rows x columns.
    sizes : numpy.ndarray, optional
        The length each remainder is compared with, per column.

    Returns
    -------
    bool
        True when every column is clearly independent of those before it.

    Examples
    --------
    >>> import numpy as np
    >>> clearly_full_rank(np.array([[1.0, 0], [1, 1], [1, 2]]))
    True
    >>> clearly_full_rank(np.array([[1.0, 2], [1, 2], [1, 2.000001]]))
    False
    """
    if matrix.shape[1] == 0:
        return True
    gram = cross_product(matrix)
    sizes = np.sqrt(np.diag(gram)) if sizes is None else np.asarray(sizes, dtype=float)
    try:
        remainders = np.abs(np.diag(np.linalg.cholesky(gram)))
    except np.linalg.LinAlgError:
        return False
    return bool(np.all(remainders > _CLEARLY_INDEPENDENT * sizes))


def _is_constant(values: np.ndarray) -> bool:
    """At most one distinct value (the column of a kept row set, which has no NaN)."""
    return values.size == 0 or bool((values == values[0]).all())


def _rank(matrix: np.ndarray) -> int:
    """Numerical rank, with a tolerance relative to the largest singular value."""
    if matrix.size == 0:
        return 0
    singular = np.linalg.svd(matrix, compute_uv=False)
    return int((singular > _RANK_TOLERANCE * singular[0]).sum())


def full_column_rank(matrix: np.ndarray) -> bool:
    """Whether numpy's matrix_rank finds `matrix` (rows x columns) of full column rank.

    Decided from X'X (one pass over the rows, a tenth of an SVD's time on a million rows)
    when its eigenvalues are within `WELL_CONDITIONED` of each other; a design nearer to
    rank-deficient is given to matrix_rank itself.

    Parameters
    ----------
    matrix : numpy.ndarray
        The design, rows x columns.

    Returns
    -------
    bool
        True when its rank is its number of columns.

    Examples
    --------
    >>> import numpy as np
    >>> full_column_rank(np.array([[1.0, 0], [1, 1], [1, 2]]))
    True
    >>> full_column_rank(np.array([[1.0, 2], [1, 2], [1, 2]]))
    False
    """
    matrix = np.asarray(matrix, dtype=float)
    return well_conditioned(cross_product(matrix)) or bool(
        np.linalg.matrix_rank(matrix) == matrix.shape[1])


def well_conditioned(gram: np.ndarray) -> bool:
    """Whether a design's X'X has its eigenvalues within `WELL_CONDITIONED` of each other:
    then the design is surely of full column rank (`full_column_rank`'s first decision).

    Parameters
    ----------
    gram : numpy.ndarray
        X'X of a design (columns x columns), or the same sum over its rows' patterns.

    Returns
    -------
    bool
        True when the smallest eigenvalue is above `WELL_CONDITIONED` times the largest.

    Examples
    --------
    >>> import numpy as np
    >>> well_conditioned(np.array([[2.0, 1], [1, 2]])), well_conditioned(np.ones((2, 2)))
    (True, False)
    """
    eigenvalues = np.linalg.eigvalsh(gram)
    return bool(eigenvalues.size and eigenvalues[0] > WELL_CONDITIONED * eigenvalues[-1])


def zero_one(values: np.ndarray) -> bool:
    """Every value is 0 or 1 (a dummy, a 0/1 outcome).

    Parameters
    ----------
    values : numpy.ndarray
        Numbers (a column of a design).

    Returns
    -------
    bool
        True when each is 0 or 1.

    Examples
    --------
    >>> import numpy as np
    >>> zero_one(np.array([0.0, 1.0, 1.0])), zero_one(np.array([0.0, 27.3]))
    (True, False)
    """
    return bool(((values == 0) | (values == 1)).all())


def pattern_spread(pattern: np.ndarray, counts: np.ndarray, values: np.ndarray
                   ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """How the children of each pattern spread in columns left out of the patterns (an age):
    each pattern's means, each child's deviations from its pattern's means, and rows whose
    outer products add up to each pattern's scatter, with the pattern of each.

    A least-squares model needs the children only through sums of outer products of their
    rows (within an area, say): a pattern of n children with means m and scatter
    S = sum (v - m)(v - m)' adds n (d, m)(d, m)' + S to them, and S is the sum of the outer
    products of the returned rows sqrt(eigenvalue) x eigenvector (one per nonzero
    eigenvalue of S), so the pattern's mean row counted n times and these rows with zeros
    elsewhere stand for its children exactly.

    Parameters
    ----------
    pattern : numpy.ndarray of int
        Each child's pattern, 0 .. patterns − 1.
    counts : numpy.ndarray
        The children of each pattern.
    values : numpy.ndarray
        The columns left out of the patterns, children x columns.

    Returns
    -------
    means : numpy.ndarray
        Patterns x columns.
    deviations : numpy.ndarray
        Children x columns: each child's values minus its pattern's means.
    rows : numpy.ndarray
        The scatter's rows (rows x columns).
    of : numpy.ndarray of int
        The pattern of each of those rows.

    Examples
    --------
    >>> import numpy as np
    >>> means, deviations, rows, of = pattern_spread(
    ...     np.array([0, 0, 1]), np.array([2.0, 1.0]), np.array([[20.0], [30.0], [25.0]]))
    >>> means.ravel().tolist(), rows.ravel().tolist(), of.tolist()  # 2 x 25^2 + 50 = 20^2 + 30^2
    ([25.0, 25.0], [7.0710678118654755], [0])
    """
    n_patterns, m = len(counts), values.shape[1]
    sums = np.column_stack([np.bincount(pattern, weights=column, minlength=n_patterns)
                            for column in values.T])
    means = sums / counts[:, None]
    deviations = values - means[pattern]
    scatter = np.empty((n_patterns, m, m))
    for a in range(m):
        for b in range(a, m):
            scatter[:, a, b] = scatter[:, b, a] = np.bincount(
                pattern, weights=deviations[:, a] * deviations[:, b], minlength=n_patterns)
    if m == 1:
        roots, vectors = scatter[:, :, 0], np.ones((n_patterns, 1, 1))
    else:
        roots, vectors = np.linalg.eigh(scatter)
    rows, of = [], []
    for j in range(m):
        has = np.flatnonzero(roots[:, j] > 0)
        rows.append(vectors[has, :, j] * np.sqrt(roots[has, j])[:, None])
        of.append(has)
    return means, deviations, np.vstack(rows), np.concatenate(of)


def row_patterns(keys: np.ndarray | Sequence[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """The distinct rows of `keys` (rows x values, or its columns as a sequence of arrays, which
    are then not copied into one): each row's pattern, numbered in order of first appearance,
    and the first row of each pattern.

    Models whose regressors take few values can fit each pattern once with its count (or
    its sums) instead of every child. Each column's values are numbered and the numbers
    combined into one integer per row (renumbered before it could overflow), which is
    numbered again: no sort of the rows.

    Parameters
    ----------
    keys : numpy.ndarray or sequence of numpy.ndarray
        The values that make a pattern, one row per child (no missing values), or its
        columns.

    Returns
    -------
    pattern : numpy.ndarray of int
        Each row's pattern, 0 .. patterns − 1 in order of first appearance.
    first : numpy.ndarray of int
        The first row of each pattern, ascending (the pattern's row `first[p]`).

    Examples
    --------
    >>> import numpy as np
    >>> pattern, first = row_patterns(np.array([[1.0, 0], [2, 0], [1, 0], [1, 1]]))
    >>> pattern.tolist(), first.tolist()
    ([0, 1, 0, 2], [0, 1, 3])
    """
    columns = np.asarray(keys).T if isinstance(keys, np.ndarray) else keys
    combined = np.zeros(len(columns[0]) if len(columns) else len(keys), dtype=np.int64)
    for column in columns:
        # any one-to-one coding of a column's values gives the same patterns, numbered
        # below by first appearance
        codes, levels = column_codes(column)
        if combined.max(initial=0) >= np.iinfo(np.int64).max // max(levels, 1):
            combined = pd.factorize(combined)[0].astype(np.int64)
        combined = combined * levels + codes
    pattern = pd.factorize(combined)[0]
    # a row is the first of its pattern where its number exceeds every earlier one
    first = np.ones(len(pattern), dtype=bool)
    first[1:] = pattern[1:] > np.maximum.accumulate(pattern)[:-1]
    return pattern, np.flatnonzero(first)


def column_codes(column: object) -> tuple[np.ndarray, int]:
    """A column as codes 0 .. levels − 1 and the number of levels (missing is a level): a
    0/1 column of floats (a dummy), floats that are whole numbers in a small range (ages in
    years) and a column of small non-negative integers (area codes) are coded without
    hashing; any other is factorised.

    Parameters
    ----------
    column : array_like
        One column's values.

    Returns
    -------
    codes : numpy.ndarray of int
        Each value's code (equal values, equal codes; missing values one code of their own).
    levels : int
        How many codes there can be (at least the distinct values: 2 for a 0/1 column, the
        largest + 1 for small integers).

    Examples
    --------
    >>> import numpy as np
    >>> codes, levels = column_codes(np.array([1.0, 0.0, 1.0]))
    >>> codes.tolist(), levels
    ([1, 0, 1], 2)
    >>> codes, levels = column_codes(np.array([2.5, np.nan, 2.5]))
    >>> codes.tolist(), levels
    ([0, 1, 0], 2)
    """
    if getattr(column, "dtype", None) == np.float64:
        values = np.asarray(column)
        if zero_one(values):
            return values.astype(np.int64), 2
        whole = _whole_number_codes(values)
        if whole is not None:
            return whole
    elif isinstance(column, np.ndarray) and column.dtype.kind in "iu" and column.size:
        low, high = int(column.min()), int(column.max())
        if low >= 0 and high < 2 * column.size:  # codes already (clusters numbered 0, 1, ...)
            return column.astype(np.int64, copy=False), high + 1
    codes, levels = pd.factorize(column, use_na_sentinel=False)
    return codes, len(levels)


def _whole_number_codes(values: np.ndarray) -> tuple[np.ndarray, int] | None:
    """`column_codes` of floats that are whole numbers in a range at most twice their count
    (a mother's age in years, a count), missing values a code of their own: each value less
    the smallest, without hashing (a million values: 1.5 ms where factorising takes 9).
    None for any other column."""
    missing = np.isnan(values)
    any_missing = bool(missing.any())
    present = values[~missing] if any_missing else values
    if present.size == 0:
        return None
    low, high = float(present.min()), float(present.max())
    if not (math.isfinite(low) and math.isfinite(high)) or high - low >= 2 * values.size:
        return None
    if not np.array_equal(np.floor(present), present):
        return None
    shifted = values - low
    if any_missing:
        shifted[missing] = high - low + 1  # one more level: the missing values'
    return shifted.astype(np.int64), int(high - low) + 1 + any_missing


def sorted_distinct(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """`np.unique(values, return_inverse=True)` for whole numbers (event times, codes): by
    counting each value rather than sorting a million of them, where their range is at most
    a few times their number (a general array is np.unique's).

    Parameters
    ----------
    values : numpy.ndarray
        Integers, one per row.

    Returns
    -------
    distinct : numpy.ndarray
        The distinct values, sorted.
    inverse : numpy.ndarray of intp
        Each row's position in `distinct`.

    Examples
    --------
    >>> import numpy as np
    >>> distinct, inverse = sorted_distinct(np.array([3, -1, 3, 0]))
    >>> distinct.tolist(), inverse.tolist()
    ([-1, 0, 3], [2, 0, 2, 1])
    """
    if values.dtype.kind not in "iu" or values.ndim != 1 or not values.size:
        return np.unique(values, return_inverse=True)
    low, high = int(values.min()), int(values.max())
    if high - low >= 4 * values.size:
        return np.unique(values, return_inverse=True)
    shifted = values - low if low else values
    present = np.bincount(shifted, minlength=high - low + 1) > 0
    position = np.cumsum(present) - 1
    return (np.flatnonzero(present) + low).astype(values.dtype, copy=False), position[shifted]


def distinct_count(codes: np.ndarray, levels: int) -> int:
    """How many of the codes 0 .. levels − 1 occur in `codes` (`len(np.unique(codes))`
    without sorting them).

    Parameters
    ----------
    codes : numpy.ndarray of int
        Codes from 0 to `levels` − 1 (clusters numbered 0, 1, ...).
    levels : int
        How many codes there can be.

    Returns
    -------
    int
        The number of distinct codes in `codes`.

    Examples
    --------
    >>> import numpy as np
    >>> distinct_count(np.array([4, 0, 4]), 5)
    2
    """
    return int(np.count_nonzero(np.bincount(codes, minlength=levels))) if len(codes) else 0


def varies_within(values: np.ndarray, labels: object) -> list[object]:
    """The labels (sorted, as grouping by them orders them) within which the 0/1 `values`
    are not all the same; each label coded once (a categorical by its codes).

    Parameters
    ----------
    values : numpy.ndarray
        0/1 values, one per child (e.g. born after the start).
    labels : array_like
        A label per child (e.g. the birth half-year); a missing label belongs to none.

    Returns
    -------
    list
        The labels whose children do not all have the same value; empty when none.

    Examples
    --------
    >>> import numpy as np
    >>> varies_within(np.array([0.0, 1, 1, 1]), np.array(["b", "b", "a", "a"]))
    ['b']
    """
    codes, levels = pd.factorize(pd.Series(labels), sort=True)
    known = codes >= 0
    ones = np.bincount(codes[known], weights=values[known], minlength=len(levels))
    children = np.bincount(codes[known], minlength=len(levels))
    return [levels[code] for code in np.flatnonzero((ones > 0) & (ones < children))]


def require_treatment_identified(treatment: np.ndarray, covariates: pd.DataFrame) -> None:
    """Raise NotEstimable when treatment is a linear function of the covariates.

    Parameters
    ----------
    treatment : numpy.ndarray
        0/1 treatment per row.
    covariates : pandas.DataFrame
        The coded covariates of the same rows.

    Raises
    ------
    NotEstimable
        If treatment is determined by the intercept and covariates.

    Examples
    --------
    >>> import numpy as np
    >>> import pandas as pd
    >>> from pipeline.stats._design import require_treatment_identified
    >>> treatment = np.array([1.0, 1.0, 0.0, 0.0])
    >>> require_treatment_identified(treatment, pd.DataFrame({"parity": [1.0, 2.0, 1.0, 3.0]}))
    >>> north = pd.DataFrame({"north": [1.0, 1.0, 0.0, 0.0]})  # the treated areas
    >>> require_treatment_identified(treatment, north)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    pipeline.stats.results.NotEstimable: treatment is fully determined by the covariates ...
    """
    # The ranks of [intercept, covariates, treatment] and of [intercept, covariates], from the
    # singular values of one R factor (A = QR: R has A's singular values, and its leading
    # block is the R of the columns before treatment): one pass over the children instead of
    # two SVDs of them.
    columns = np.empty((len(treatment), covariates.shape[1] + 2), order="F")
    columns[:, 0] = 1.0
    columns[:, 1:-1] = covariates.to_numpy()
    columns[:, -1] = treatment
    if len(columns) >= columns.shape[1]:
        factor = np.linalg.qr(columns, mode="r")
        determined = _rank(factor) <= _rank(factor[:-1, :-1])
    else:  # fewer children than columns: R is not square
        determined = _rank(columns) <= _rank(columns[:, :-1])
    if determined:
        raise NotEstimable(
            "treatment is fully determined by the covariates (for example a covariate that "
            "coincides with the area or group), so its effect cannot be separated from them"
        )


def require_both_groups(treatment: np.ndarray, minimum: int = 2) -> None:
    """Raise NotEstimable when a treatment group has fewer than `minimum` children.

    Parameters
    ----------
    treatment : numpy.ndarray
        0/1 treatment per child.
    minimum : int, optional
        Children needed in each group, 2 by default.

    Raises
    ------
    NotEstimable
        If a group is empty or smaller than `minimum`.

    Examples
    --------
    >>> import numpy as np
    >>> from pipeline.stats._design import require_both_groups
    >>> require_both_groups(np.array([1, 1, 0, 0]))
    >>> require_both_groups(np.array([1, 0, 0]))
    Traceback (most recent call last):
    ...
    pipeline.stats.results.NotEstimable: the treated group has only 1 child; at least 2 are needed
    """
    n_treated = int((treatment == 1).sum())
    n_control = int((treatment == 0).sum())
    for label, count in (("treated", n_treated), ("comparison", n_control)):
        if count == 0:
            raise NotEstimable(f"the {label} group is empty")
        if count < minimum:
            raise NotEstimable(
                f"the {label} group has only {count} child; at least {minimum} are needed"
            )


def areas_in_both_arms(areas: object, treated: np.ndarray) -> list[object]:
    """The areas whose children are labelled both intervention (1) and comparison (0).

    Every DiD-family method needs the arm constant within an area; each says so with
    `both_arms_reason`.

    Parameters
    ----------
    areas : array_like
        The area of each child (labels or codes).
    treated : numpy.ndarray
        1 for a child in an intervention area, 0 in a comparison area.

    Returns
    -------
    list
        The areas labelled both ways, in sorted order; empty when every area keeps its arm.

    Examples
    --------
    >>> import numpy as np
    >>> from pipeline.stats._design import areas_in_both_arms
    >>> areas_in_both_arms(np.array(["A", "A", "B", "B"]), np.array([1.0, 0.0, 0.0, 0.0]))
    ['A']
    """
    if not isinstance(areas, (pd.Series, pd.Index, pd.Categorical)):
        areas = np.asarray(areas, dtype=object)  # labels of any kind, without a string copy
    return coded_areas_in_both_arms(*pd.factorize(areas, sort=True), treated)


def coded_areas_in_both_arms(codes: np.ndarray, names: object, treated: np.ndarray) -> list[object]:
    """`areas_in_both_arms` of areas already factorized (codes into the sorted `names`).

    Parameters
    ----------
    codes : numpy.ndarray of int
        Each child's area as a code into `names` (as `pandas.factorize(..., sort=True)`).
    names : array_like
        The area labels, in sorted order.
    treated : numpy.ndarray
        1 for a child in an intervention area, 0 in a comparison area.

    Returns
    -------
    list
        The areas labelled both ways, in sorted order; empty when every area keeps its arm.

    Examples
    --------
    >>> import numpy as np
    >>> from pipeline.stats._design import coded_areas_in_both_arms
    >>> coded_areas_in_both_arms(np.array([0, 0, 1, 1]), ["A", "B"], np.array([1.0, 0.0, 0.0, 0.0]))
    ['A']
    """
    size = np.bincount(codes, minlength=len(names))
    in_arm = np.bincount(codes, weights=np.asarray(treated, dtype=float), minlength=len(names))
    return [names[c] for c in np.flatnonzero((in_arm > 0) & (in_arm < size))]


def both_arms_reason(areas: list[object]) -> str:
    """Why a DiD cannot use areas labelled both intervention and comparison.

    Parameters
    ----------
    areas : list
        The areas labelled both ways (`areas_in_both_arms`).

    Returns
    -------
    str
        The reason, naming the areas and what to fix.

    Examples
    --------
    >>> from pipeline.stats._design import both_arms_reason
    >>> both_arms_reason(["A"])
    'area(s) A are labelled both intervention and comparison; treated_area must be constant within an area'
    """
    return (f"area(s) {', '.join(map(str, areas))} are labelled both intervention and "
            "comparison; treated_area must be constant within an area")
