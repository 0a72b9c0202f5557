"""The shared building blocks of the indicators: calendar months, lookups, selections."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from pipeline.indicators.common import (
    add_months,
    binary_columns,
    cohort,
    day_numbers,
    first_per_child,
    positions_in,
    text_equals,
)


@pytest.mark.parametrize("months", [1, 11, 12, 20, 24, 30, 36, 42, -5])
def test_add_months_is_pandas_date_offset_for_every_day_of_two_centuries(months):
    # Month ends, 29 February and century leap rules (1900 is not a leap year, 2000 is):
    # every day from 1900 to 2100 against pandas' DateOffset(months=n).
    dates = pd.Series(pd.date_range("1900-01-01", "2100-12-31"))
    expected = day_numbers(dates + pd.DateOffset(months=months))
    assert np.array_equal(add_months(day_numbers(dates), months), expected)


def test_add_months_keeps_missing_dates_missing():
    shifted = add_months(np.array([np.nan, 0.0]), 24)  # day 0 is 1970-01-01
    assert np.isnan(shifted[0])
    assert shifted[1] == day_numbers(pd.Series(pd.to_datetime(["1972-01-01"])))[0]


def test_a_cohorts_birthdays_are_calendar_months_from_birth():
    # Born 29 February 2020: 24 months on 28 February 2022; born 31 March: 1 month on 30 April.
    children = pd.DataFrame({"child_id": ["leap", "march"],
                             "birth_date": pd.to_datetime(["2020-02-29", "2021-03-31"])})
    kids = cohort(children, dt.date(2024, 1, 1))
    expected = {24: ["2022-02-28", "2023-03-31"], 1: ["2020-03-29", "2021-04-30"]}
    for months, dates in expected.items():
        birthdays = kids.birthday(months)
        assert birthdays.tolist() == day_numbers(pd.Series(pd.to_datetime(dates))).tolist()
        assert kids.birthday(months).tolist() == birthdays.tolist()  # asked again: the same


@pytest.mark.parametrize("unit", ["s", "ms", "us", "ns"])
def test_day_numbers_drop_the_time_of_day_in_every_unit(unit):
    # Day 0 is 1970-01-01; a time of day is dropped, before 1970 too (the day it falls on).
    dates = pd.Series(pd.to_datetime(["1970-01-01 00:00:00", "1969-12-31 23:59:59", "1969-12-31 00:00:00",
                                      "2021-03-01 12:00:00", None, "1900-03-01 06:00:00"])
                      ).astype(f"datetime64[{unit}]")
    numbers = day_numbers(dates)
    assert numbers[[0, 1, 2, 3, 5]].tolist() == [0, -1, -1, 18687, -25508] and np.isnan(numbers[4])


def test_positions_of_unknown_and_missing_values_are_minus_one():
    values = pd.Series(["b", None, "x", "a"], dtype="str")
    assert positions_in(values, ["a", "b"]).tolist() == [1, -1, -1, 0]
    assert text_equals(values, "a", "b").tolist() == [True, False, False, True]
    assert text_equals(values, "x").tolist() == [False, False, True, False]


def test_positions_of_ids_read_as_a_category_are_the_positions_of_the_texts():
    """Ids given as a category (the cohort stage reads event tables' codes so) are looked up once."""
    values = pd.Series(["b", None, "x", "a", "b", "c"], dtype="category")
    assert values.cat.categories.tolist() == ["a", "b", "c", "x"]  # codes are not positions in known
    assert positions_in(values, ["c", "a", "b"]).tolist() == [2, -1, -1, 1, 2, 0]
    assert positions_in(values.iloc[[5, 0]], ["c", "a", "b"]).tolist() == [0, 2]


def test_ids_read_as_an_arrow_dictionary_have_the_positions_and_values_of_the_texts():
    """The cohort stage reads event tables' child_id as an arrow dictionary, one per row group
    (pipeline.runner.CleanEvents): the row groups' dictionaries differ, and may hold a
    text the other lacks or not at all."""
    groups = [["b", None, "x", "a"], ["c", "b"], [None]]
    chunks = pa.chunked_array([pa.array(group, type=pa.large_string()).dictionary_encode()
                               for group in groups])
    assert chunks.num_chunks == 3 and chunks.chunk(1).dictionary.to_pylist() == ["c", "b"]
    values = pd.Series(pd.arrays.ArrowExtensionArray(chunks))
    assert positions_in(values, ["c", "a", "b"]).tolist() == [2, -1, -1, 1, 0, 2, -1]
    assert text_equals(values, "b", "x").tolist() == [True, False, True, False, False, True, False]
    assert text_equals(values, "c").tolist() == [False, False, False, False, True, False, False]
    nothing = pd.Series(pd.arrays.ArrowExtensionArray(pa.chunked_array(
        [], type=pa.dictionary(pa.int32(), pa.large_string()))))
    assert positions_in(nothing, ["a"]).tolist() == [] and text_equals(nothing, "a").tolist() == []


def test_texts_read_as_a_category_compare_as_the_texts():
    """The cohort stage reads event tables' texts (antigen, visit status, …) as categories."""
    texts = pd.Series(["mmr", None, "dtp", "mmr", "rota"], dtype="str")
    codes = texts.astype("category")
    assert text_equals(codes, "mmr").tolist() == [True, False, False, True, False]
    assert text_equals(codes, "dtp", "rota").tolist() == text_equals(texts, "dtp", "rota").tolist()
    assert text_equals(codes.iloc[[4, 1, 3]], "mmr").tolist() == [False, False, True]
    nothing = pd.Series([None, None], dtype="str").astype("category")  # no categories at all
    assert text_equals(nothing, "mmr").tolist() == [False, False]
    assert positions_in(nothing, ["a"]).tolist() == [-1, -1]


@pytest.mark.parametrize("spread", [100, 2**40])  # packed into one int64 / too wide: lexsort
def test_first_per_child_is_the_lexicographic_minimum_per_child(spread):
    rng = np.random.default_rng(7)
    n = 2_000
    position = rng.integers(0, 300, n)
    first_key = rng.integers(0, 5, n) * (spread // 100)
    second_key = rng.integers(-50, 50, n)
    chosen = first_per_child(position, first_key, second_key)
    frame = pd.DataFrame({"position": position, "first": first_key, "second": second_key,
                          "row": np.arange(n)})
    expected = (frame.sort_values(["position", "first", "second", "row"])
                .drop_duplicates("position")["row"].to_numpy())
    assert np.array_equal(np.sort(chosen), np.sort(expected))


def test_binary_columns_mark_the_denominator():
    reason = np.array([-1, 1, -1], dtype=np.int8)  # in, moved_out, in
    columns = binary_columns("x", np.array([True, True, False]), reason)
    assert columns["x"].tolist() == [True, pd.NA, False]
    assert columns["x_excluded"].tolist() == [pd.NA, "moved_out", pd.NA]


def test_children_must_be_unique_and_have_birth_dates():
    repeated = pd.DataFrame({"child_id": ["a", "a"],
                             "birth_date": pd.to_datetime(["2020-01-01"] * 2)})
    with pytest.raises(ValueError, match="repeated child_id"):
        cohort(repeated, dt.date(2024, 1, 1))
    undated = pd.DataFrame({"child_id": ["a"], "birth_date": pd.to_datetime([None])})
    with pytest.raises(ValueError, match="no birth_date"):
        cohort(undated, dt.date(2024, 1, 1))
