"""What clean does once per distinct value, or with integer codes, gives what the plain
row-by-row computation gives: personnummer checked and pseudonymised over several tables,
duplicate keys, sort orders and dose numbers."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from pipeline import parsing, privacy
from pipeline.stages.clean import key_codes, repeated, rows_moved, sort_codes, sort_order

KEY = b"a-test-key-of-sufficient-length-0123456789"
EXTRACTION = dt.date(2024, 6, 30)
# one child in four forms (with spaces, with a typographic dash), another child, a
# samordningsnummer (day + 60), a bad check digit, letters, a blank and a missing value; the
# check digits computed by hand (Luhn over YYMMDDNNN)
CHILDREN = ["20181218-9874", "181218-9874", " 201812189874 ", "181218\u20139874", "20180704-1577",
            "20181278-9871", "20181218-9873", "abc", "", None]


def _plain(values: list[str | None]) -> pd.DataFrame:
    checked = privacy.parse_personnummer(pd.Series(values, dtype=object), EXTRACTION)
    return checked.assign(child_id=privacy.pseudonymise(checked["normalised"], KEY))


def test_register_gives_what_each_table_alone_gives() -> None:
    register = privacy.PersonnummerRegister(EXTRACTION, privacy.Pseudonymiser(KEY))
    tables = [CHILDREN, CHILDREN[::-1] + ["20180704-1577"], ["181218-9874", "20190101-0007", None]]
    for values in tables:
        codes, distinct = register(pd.Series(values, dtype=object))
        rows = privacy.personnummer_rows(distinct, codes, pd.RangeIndex(len(values)))
        expected = _plain(values)
        pd.testing.assert_frame_equal(rows[expected.columns], expected)
    assert rows["child_id"].iloc[0] == _plain(["20181218-9874"])["child_id"].iloc[0]
    assert rows["error"].iloc[2] == "pnr_missing"


def test_the_examples_are_what_they_say() -> None:
    errors = _plain(CHILDREN)["error"]
    assert errors.iloc[:6].isna().all()
    assert errors.iloc[6:].tolist() == ["pnr_check_digit", "pnr_bad_characters", "pnr_missing",
                                        "pnr_missing"]


def test_one_child_one_pseudonym_whatever_the_form() -> None:
    register = privacy.PersonnummerRegister(EXTRACTION, privacy.Pseudonymiser(KEY))
    codes, distinct = register(pd.Series(CHILDREN[:4], dtype=object))
    rows = privacy.personnummer_rows(distinct, codes, pd.RangeIndex(4))
    assert rows["child_id"].nunique() == 1 and rows["error"].isna().all()


def test_pseudonymiser_remembers_without_changing_a_pseudonym() -> None:
    numbers = pd.Series(["201812189874", "201807041577", None, "201812189874"])
    pseudonyms = privacy.Pseudonymiser(KEY)
    first, again = pseudonyms(numbers), pseudonyms(numbers.iloc[::-1])
    pd.testing.assert_series_equal(first, privacy.pseudonymise(numbers, KEY))
    assert again.tolist()[::-1][:2] == first.tolist()[:2] and again.isna().sum() == 1


def test_key_codes_group_rows_as_duplicated_does() -> None:
    frame = pd.DataFrame({
        "child_id": pd.array(["a", "a", "b", "a", None, None, "a"], dtype="string"),
        "date": pd.to_datetime(["2021-01-01", "2021-01-01", "2021-01-01", "2021-01-02", None,
                                None, None]),
        "kind": pd.array(["x", "x", "x", "x", "y", "y", "x"], dtype="string"),
    })
    group = key_codes(frame, ["child_id", "date", "kind"])
    shared = np.bincount(group)[group] > 1
    assert shared.tolist() == frame.duplicated(keep=False).tolist()
    assert shared.tolist() == [True, True, False, False, True, True, False]


def test_repeated_marks_the_rows_whose_code_another_row_among_them_has() -> None:
    codes = np.array([5, 3, 5, 9, 3, 7, 7, 1])
    among = np.array([True, True, True, True, False, True, False, True])
    # 5 twice among them; 3 and 7 once among them (their other rows are not); 9 and 1 once
    assert repeated(codes, among).tolist() == [True, False, True, False, False, False, False, False]
    rng = np.random.default_rng(3)
    codes, among = rng.integers(0, 400, 1000), rng.random(1000) < 0.7
    expected = np.zeros(1000, dtype=bool)
    expected[among] = pd.Series(codes[among]).duplicated(keep=False).to_numpy()
    assert (repeated(codes, among) == expected).all()


@pytest.mark.parametrize("seed", [1, 2])
def test_sort_order_sorts_as_sort_values(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n = 500
    frame = pd.DataFrame({
        "child_id": pd.array(rng.choice(["bq", "bc", "tt", "kd", None], n), dtype="string"),
        "dose_date": pd.to_datetime(rng.integers(0, 30, n), unit="D").where(rng.random(n) > 0.1),
        "product": pd.array(rng.choice(["Priorix", "MMR", "Hexyon"], n), dtype="string"),
    })
    order = sort_order(*(sort_codes(frame[c]) for c in frame.columns))
    expected = frame.sort_values(list(frame.columns), kind="stable")
    pd.testing.assert_frame_equal(frame.iloc[order], expected)


@pytest.mark.parametrize("seed", [1, 2])
def test_a_coded_column_sorts_as_its_text(seed: int) -> None:
    """A coded column (codes into texts in another order than theirs as text, one not used,
    missing rows) sorts as its text: sort_codes ranks the texts, not the codes."""
    rng = np.random.default_rng(seed)
    n = 500
    texts = ["kd", "bq", "tt", "unused", "bc", "Bz", "å"]
    codes = rng.choice([-1, 0, 1, 2, 4, 5, 6], n)
    coded = pd.DataFrame({"child_id": parsing.coded_text(codes, pa.array(texts, pa.large_string())),
                          "day": rng.integers(0, 5, n)})
    text = coded.assign(child_id=parsing.as_text(coded["child_id"]))
    order = sort_order(*(sort_codes(coded[c]) for c in coded.columns))
    pd.testing.assert_frame_equal(text.iloc[order], text.sort_values(["child_id", "day"], kind="stable"))


def test_rows_moved_are_the_rows_iloc_takes_and_leave_the_frame_empty() -> None:
    """rows_moved takes what `iloc` takes (values, dtypes, index), a column at a time, and
    leaves the frame it took them from without columns."""
    frame = pd.DataFrame({
        "child_id": pd.Series(["a", "b", None, "d"], dtype="string"),
        "source_row": [2, 3, 4, 5], "visit_number_text": pd.Series(["1", None, "3", "4"], dtype="str"),
        "visit_date": pd.to_datetime(["2021-01-01", "2021-02-01", None, "2021-03-01"]).as_unit("us"),
        "interpreter_used": pd.array([True, None, False, True], dtype="boolean"),
        "visit_number": pd.array([1, None, 3, 4], dtype="Int64"), "other": [9, 8, 7, 6],
        "coordination_number": [True, False, False, True]}, index=[10, 11, 12, 13])
    expected = frame.iloc[[0, 2, 3]]
    moved = rows_moved(frame, np.array([0, 2, 3]))
    pd.testing.assert_frame_equal(moved, expected, check_exact=True)
    assert moved.index.tolist() == [10, 12, 13] and moved["visit_number"].tolist()[1] == 3
    assert frame.shape == (4, 0)
