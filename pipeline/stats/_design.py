"""Design matrices for the regression-type methods (logistic, IPTW, DiD).

Covariates arrive as a DataFrame of any mix of numeric, boolean and categorical columns;
this module dummy-codes the categorical ones, drops rows with missing values (and counts
them), drops constant and aliased columns (and names them), so that every method sees a
full-rank numeric design and can say what it did.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from pipeline.stats.results import NotEstimable

# Relative tolerance for deciding that a column is a linear combination of earlier ones.
_RANK_TOLERANCE = 1e-9
# Share of a column's length left once earlier columns are projected out, below which it
# counts as their linear combination (exact collinearity leaves rounding, about 1e-15).
_ALIAS_TOLERANCE = 1e-7


@dataclass(frozen=True)
class CovariateDesign:
    """Numeric, full-rank covariates aligned with the rows kept for analysis."""

    covariates: pd.DataFrame
    kept_rows: np.ndarray
    n_dropped_missing: int
    dropped_constant: tuple[str, ...]
    dropped_aliased: tuple[str, ...]

    def notes(self) -> dict[str, object]:
        """What was dropped, for a result's `details`."""
        return {
            "rows_dropped_missing": self.n_dropped_missing,
            "covariates_dropped_constant": list(self.dropped_constant),
            "covariates_dropped_aliased": list(self.dropped_aliased),
        }


def as_binary(values: object, name: str) -> np.ndarray:
    """Coerce a 0/1 or boolean vector to floats (NaN kept for missing); reject other codes."""
    array = pd.Series(values).astype("Float64").to_numpy(dtype="float64", na_value=np.nan)
    observed = array[~np.isnan(array)]
    bad = np.setdiff1d(np.unique(observed), [0.0, 1.0])
    if bad.size:
        raise ValueError(f"{name} must be 0/1 or boolean; found values {bad[:5].tolist()}")
    return array


def dummy_code(covariates: pd.DataFrame) -> pd.DataFrame:
    """Numeric columns as floats; categorical, string and boolean columns as 0/1 dummies.

    The first level of a categorical (its first category, or the first value in sorted
    order for strings) is the reference and gets no column.
    """
    columns: dict[str, np.ndarray] = {}
    for column in covariates.columns:
        values = covariates[column]
        if pd.api.types.is_bool_dtype(values) or pd.api.types.is_numeric_dtype(values):
            columns[str(column)] = values.astype("float64").to_numpy(dtype=float,
                                                                     na_value=np.nan)
            continue
        categorical = values.astype("category")
        codes = categorical.cat.codes.to_numpy()
        for code, level in enumerate(categorical.cat.categories[1:], start=1):
            dummy = (codes == code).astype(float)
            dummy[codes < 0] = np.nan
            columns[f"{column}_{level}"] = dummy
    return pd.DataFrame(columns, index=covariates.index)


def build_covariate_design(
    covariates: pd.DataFrame | None, n_rows: int, also_required: np.ndarray | None = None
) -> CovariateDesign:
    """Dummy-code covariates, drop incomplete rows, constant and aliased columns.

    `also_required` is a boolean mask of rows that must be kept out anyway (for example
    rows with a missing outcome); those are not counted as dropped for covariates.
    """
    usable = np.ones(n_rows, dtype=bool) if also_required is None else also_required.copy()
    if covariates is None or covariates.shape[1] == 0:
        empty = pd.DataFrame(index=pd.RangeIndex(int(usable.sum())))
        return CovariateDesign(empty, usable, 0, (), ())
    if len(covariates) != n_rows:
        raise ValueError(f"covariates have {len(covariates)} rows; expected {n_rows}")
    coded = dummy_code(covariates.reset_index(drop=True))
    complete = ~coded.isna().any(axis=1).to_numpy()
    n_dropped = int((usable & ~complete).sum())
    kept = usable & complete
    coded = coded.loc[kept].reset_index(drop=True)

    constant = tuple(c for c in coded.columns if coded[c].nunique(dropna=True) <= 1)
    coded = coded.drop(columns=list(constant))

    aliased: list[str] = []
    retained: list[str] = []
    # Gram–Schmidt against the intercept and the columns kept so far (twice, for numerical
    # stability): a column whose remainder is negligible beside its own length is a linear
    # combination of earlier ones. One pass over the columns, no decomposition per column.
    basis = [np.full(len(coded), 1 / np.sqrt(max(len(coded), 1)))]
    for column in coded.columns:
        values = coded[column].to_numpy(dtype=float)
        remainder = values.copy()
        for _ in range(2):
            for vector in basis:
                remainder -= (vector @ remainder) * vector
        length = np.linalg.norm(remainder)
        if length > _ALIAS_TOLERANCE * max(np.linalg.norm(values), 1e-300):
            basis.append(remainder / length)
            retained.append(column)
        else:
            aliased.append(column)
    return CovariateDesign(coded[retained], kept, n_dropped, constant, tuple(aliased))


def _rank(matrix: np.ndarray) -> int:
    """Numerical rank, with a tolerance relative to the largest singular value."""
    if matrix.size == 0:
        return 0
    singular = np.linalg.svd(matrix, compute_uv=False)
    return int((singular > _RANK_TOLERANCE * singular[0]).sum())


def require_treatment_identified(treatment: np.ndarray, covariates: pd.DataFrame) -> None:
    """Raise NotEstimable when treatment is a linear function of the covariates."""
    base = np.column_stack([np.ones(len(treatment)), covariates.to_numpy()])
    if _rank(np.column_stack([base, treatment])) <= _rank(base):
        raise NotEstimable(
            "treatment is fully determined by the covariates (for example a covariate that "
            "coincides with the area or group), so its effect cannot be separated from them"
        )


def require_both_groups(treatment: np.ndarray, minimum: int = 2) -> None:
    """Raise NotEstimable when a treatment group has fewer than `minimum` children."""
    n_treated = int((treatment == 1).sum())
    n_control = int((treatment == 0).sum())
    for label, count in (("treated", n_treated), ("comparison", n_control)):
        if count == 0:
            raise NotEstimable(f"the {label} group is empty")
        if count < minimum:
            raise NotEstimable(
                f"the {label} group has only {count} child; at least {minimum} are needed"
            )
