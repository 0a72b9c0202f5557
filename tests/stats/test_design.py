"""The covariate design: which columns are constant or aliased, decided from the columns'
cross-products where that is beyond doubt and by Gram–Schmidt on the columns otherwise."""

import numpy as np
import pandas as pd
import pytest

from pipeline.stats import _design
from pipeline.stats._design import build_covariate_design, full_column_rank


def _covariates(n: int = 6000, seed: int = 3) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame({
        "region": pd.Categorical(rng.choice(["Norr", "Mitt", "Syd"], n)),
        "age": rng.normal(31, 5, n).round(1),
        "sex": pd.Categorical(rng.choice(["flicka", "pojke"], n)),
    })


def test_independent_columns_are_decided_from_the_cross_products_as_by_gram_schmidt() -> None:
    covariates = _covariates()
    design = build_covariate_design(covariates, len(covariates))
    coded = _design._coded_columns(covariates)
    names = list(coded)
    matrix = np.column_stack([np.ones(len(covariates)), *coded.values()])
    assert _design.clearly_full_rank(matrix)
    assert _design._independent_by_gram_schmidt(coded, names, len(covariates)) == names
    assert design.covariates.columns.tolist() == ["region_Norr", "region_Syd", "age", "sex_pojke"]
    assert design.dropped_aliased == ()


@pytest.mark.parametrize(("extra", "aliased"), [
    # exactly a combination of earlier columns: Gram–Schmidt's remainder is rounding noise
    (lambda c: 2 * c["age"] + 1, ("age_again",)),
    # off a combination by 1e-5 of its length: not aliased (above 1e-7), too near to judge
    # from the cross-products, so judged on the column
    (lambda c: c["age"] + 1e-5 * np.linalg.norm(c["age"]) / np.sqrt(len(c))
     * np.sin(np.arange(len(c))), ()),
])
def test_a_column_near_or_at_a_combination_of_others_is_left_to_gram_schmidt(extra, aliased) -> None:
    covariates = _covariates()
    covariates["age_again"] = extra(covariates)
    coded = _design._coded_columns(covariates)
    assert not _design.clearly_full_rank(np.column_stack([np.ones(len(covariates)), *coded.values()]))
    design = build_covariate_design(covariates, len(covariates))
    assert design.dropped_aliased == aliased
    assert ("age_again" in design.covariates.columns) == (not aliased)


def test_full_column_rank_is_numpys_matrix_rank() -> None:
    rng = np.random.default_rng(4)
    x = np.column_stack([np.ones(500), rng.normal(size=(500, 3))])
    assert full_column_rank(x) and np.linalg.matrix_rank(x) == 4
    exact = np.column_stack([x, x[:, 1] - x[:, 2]])
    assert not full_column_rank(exact) and np.linalg.matrix_rank(exact) == 4
    near = np.column_stack([x, x[:, 1] + 1e-6 * rng.normal(size=500)])  # ill conditioned, full rank
    assert full_column_rank(near) and np.linalg.matrix_rank(near) == 5


def test_treatment_determined_by_a_combination_of_covariates_is_not_estimable() -> None:
    """Treatment equal to the sum of two dummies (areas of one arm coded as two levels) is
    determined by the covariates though no one covariate equals it; a random treatment is
    not. With fewer children than columns, treatment equal to a covariate is found too."""
    from pipeline.stats.results import NotEstimable

    rng = np.random.default_rng(3)
    level = rng.integers(0, 3, 1_000)
    covariates = pd.DataFrame({"level_1": (level == 1).astype(float), "level_2": (level == 2).astype(float),
                               "age": rng.normal(30, 5, 1_000)})
    with pytest.raises(NotEstimable, match="fully determined by the covariates"):
        _design.require_treatment_identified((level > 0).astype(float), covariates)
    _design.require_treatment_identified((rng.random(1_000) < 0.5).astype(float), covariates)
    with pytest.raises(NotEstimable, match="fully determined by the covariates"):
        _design.require_treatment_identified(np.array([1.0, 0.0]),
                                             pd.DataFrame({"x": [1.0, 0.0], "y": [3.0, 5.0]}))


@pytest.mark.parametrize("seed", range(5))
def test_sorted_distinct_and_distinct_count_are_numpys_unique(seed: int) -> None:
    rng = np.random.default_rng(seed)
    # event times around the start, a wide range (np.unique's own path), and one value
    for values in (rng.integers(-6, 7, 5000), rng.integers(0, 10**9, 50), np.array([3, 3])):
        distinct, inverse = _design.sorted_distinct(values)
        expected, expected_inverse = np.unique(values, return_inverse=True)
        assert distinct.dtype == expected.dtype and inverse.dtype == expected_inverse.dtype
        np.testing.assert_array_equal(distinct, expected)
        np.testing.assert_array_equal(inverse, expected_inverse)
    codes = rng.integers(0, 7, rng.integers(0, 40))
    assert _design.distinct_count(codes, 7) == len(np.unique(codes))


def test_the_subgroup_levels_present_are_those_pandas_keeps() -> None:
    from pipeline.stages.compare.dose_equity import _levels_present

    levels = ["utanför Europa", "Europa", "Sverige/Norden"]
    codes = np.array([2, 0, 2, 2, 0])  # "Europa" absent
    expected = pd.Categorical.from_codes(codes, categories=pd.Index(levels, dtype=object)
                                         ).remove_unused_categories()
    present = _levels_present(codes, levels)
    assert present.categories.tolist() == ["utanför Europa", "Sverige/Norden"]
    assert present.codes.tolist() == [1, 0, 1, 1, 0] == expected.codes.tolist()
    assert present.categories.equals(expected.categories) and present.dtype == expected.dtype


@pytest.mark.parametrize("seed", range(6))
def test_column_codes_number_equal_values_alike_and_row_patterns_are_a_sorts(seed: int) -> None:
    """Whole-number floats (ages in years, with missing values) are coded without hashing;
    codes must be equal exactly where values are (missing alike) and lie in 0 .. levels − 1,
    and the row patterns built from them must be the ones a sort of the rows finds, numbered
    by first appearance, whichever columns take which path."""
    rng = np.random.default_rng(seed)
    n = 2_000
    ages = rng.integers(16, 46, n).astype(float)
    ages[rng.random(n) < 0.05] = np.nan
    columns = [
        ages,
        rng.integers(-3, 4, n).astype(float) * (1 if seed % 2 else -1),  # whole, around zero
        np.where(rng.random(n) < 0.5, 0.0, -0.0),  # one value, two signs of zero
        rng.choice([0.5, 1.5, 2.5], n),  # not whole: factorised
        rng.choice([0.0, 10.0 ** 9], n),  # whole, but a range far beyond the count: factorised
        (rng.random(n) < 0.3).astype(float),  # a dummy
        rng.integers(0, 12, n),  # area codes
    ]
    for column in columns:
        codes, levels = _design.column_codes(column)
        assert codes.min() >= 0 and codes.max() < levels
        same_value = pd.Series(column).fillna(np.inf).to_numpy()
        for i in rng.integers(0, n, 40):
            assert np.array_equal(codes == codes[i], same_value == same_value[i])
    assert _design._whole_number_codes(ages) is not None  # the ages took the new path
    assert _design._whole_number_codes(columns[3]) is None and _design._whole_number_codes(columns[4]) is None
    pattern, first = _design.row_patterns(columns)
    rows = np.column_stack([pd.Series(c).fillna(np.inf).to_numpy(dtype=float) + 0.0 for c in columns])
    _, by_sort = np.unique(rows, axis=0, return_inverse=True)
    order = pd.factorize(by_sort.ravel())[0]  # the sort's patterns numbered by first appearance
    assert np.array_equal(pattern, order)
    assert np.array_equal(first, np.sort(np.unique(pattern, return_index=True)[1]))
