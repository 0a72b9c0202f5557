"""Parsers of raw export text: hand examples per accepted form, and property tests showing
that no parser raises on any text, loses a row or reorders rows."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.parsing import (
    TEXT_DTYPE,
    as_text,
    blank_text,
    coded_text,
    factorize_text,
    is_coded,
    month_first,
    parse_booleans,
    parse_categories,
    parse_dates,
    parse_integers,
    parse_numbers,
    parse_professions,
)
from pipeline.privacy import parse_personnummer
from pipeline.schema import CATEGORY_VARIANTS

MARCH_4 = pd.Timestamp("2021-03-04")
BREASTFEEDING = CATEGORY_VARIANTS["breastfeeding"]


def one(parser, value, *args):
    parsed, failed = parser(pd.Series([value], dtype=object), *args)
    return as_text(parsed).iloc[0], bool(failed.iloc[0])  # a category's as its text


# --- dates ---------------------------------------------------------------------------------

@pytest.mark.parametrize("raw", [
    "2021-03-04", "20210304", "2021-03-04 10:15", "2021-03-04 10:15:00", "2021-03-04T10:15:00",
    "2021-03-04T10:15:00.250Z", "04/03/2021", "4/3/2021", "04.03.2021", "04-03-2021",
    "2021/03/04", "2021-3-4", "  2021-03-04  ", "44259", "44259.0", "44259,75",
    "2021-03-04 00:00:00",  # str() of a spreadsheet datetime
    "2021-03-04 14.15", "04.03.2021 14.15.30", "2021-03-04 9.05",  # a time as Swedish writes it
    # the month by name, as a spreadsheet's Swedish date format writes it (a tester's were rejected)
    "4 mars 2021", "4 mar 2021", "4 mar. 2021", "04 MARS 2021", "4 March 2021", "4. mars 2021 10.15",
])
def test_dates_accepted(raw):
    assert one(parse_dates, raw) == (MARCH_4, False)


def test_dates_from_spreadsheet_objects():
    values = pd.Series([dt.datetime(2021, 3, 4, 10, 15), dt.date(2021, 3, 4), 44259.0, 44259],
                       dtype=object)
    parsed, failed = parse_dates(values)
    assert parsed.tolist() == [MARCH_4] * 4
    assert not failed.any()


@pytest.mark.parametrize("raw", [
    "2021-02-30", "2021-13-01", "03/14/2021", "31/04/2021", "2021-03-04 25:00", "2021-03-04 10:61",
    "12345", "99999", "4 marsch 2021", "30 februari 2021", "4 mars 21", "04/03/21", "2021-03",
    "1799-12-31", "2201-01-01",
    "nästa vecka", "2021-03-04x", "0", "2021-03-04 24.15", "2021-03-04 10.75", "2021-03-04 10.1",
])
def test_dates_failed(raw):
    value, failed = one(parse_dates, raw)
    assert pd.isna(value) and failed


def test_dates_leap_day_and_excel_epoch():
    assert one(parse_dates, "2020-02-29") == (pd.Timestamp("2020-02-29"), False)
    assert one(parse_dates, "29/02/2021")[1]
    assert one(parse_dates, "20000") == (pd.Timestamp("1954-10-03"), False)
    assert one(parse_dates, "80000") == (pd.Timestamp("2119-01-11"), False)
    assert one(parse_dates, "19999")[1]


def test_blank_is_missing_not_failed():
    for parser in (parse_dates, parse_numbers, parse_integers, parse_booleans, parse_professions):
        parsed, failed = parser(pd.Series([None, "", "   ", np.nan, "\u00a0"], dtype=object))
        assert parsed.isna().all()
        assert not failed.any()


@pytest.mark.parametrize(("unit", "raw", "expected"), [
    ("weeks", "38+2", 38 + 2 / 7), ("weeks", "38 + 0", 38.0), ("weeks", "v38+2", 38 + 2 / 7),
    ("weeks", "38 v 2 d", 38 + 2 / 7), ("weeks", "38v2d", 38 + 2 / 7), ("weeks", "38 veckor", 38.0),
    ("weeks", "v. 39", 39.0), ("weeks", "38,5", 38.5), ("weeks", "38+2 dagar", 38 + 2 / 7),
    ("g", "3500 g", 3500.0), ("g", "3 500 gram", 3500.0), ("g", "3,5 kg", 3500.0), ("g", "3.25kg", 3250.0),
    ("years", "30 år", 30.0), ("years", "30 ar", 30.0), ("years", "29,5 år", 29.5),
])
def test_numbers_with_their_unit(unit, raw, expected):
    value, failed = parse_numbers(pd.Series([raw], dtype="str"), unit)
    assert not failed.iloc[0] and value.iloc[0] == pytest.approx(expected)


@pytest.mark.parametrize(("unit", "raw"), [
    ("weeks", "38+7"), ("weeks", "38 d"), ("weeks", "38+2+1"), ("weeks", "3500 g"), ("g", "30 år"),
    ("g", "3500 kr"), ("years", "38+2"), (None, "38+2"), (None, "3500 g"),
])
def test_numbers_with_another_unit_fail(unit, raw):
    value, failed = parse_numbers(pd.Series([raw], dtype="str"), unit)
    assert failed.iloc[0] and pd.isna(value.iloc[0])


def test_a_column_written_month_first_is_told_from_one_with_typing_errors():
    # American order: 06/24/2021 has no month 24, and no value has a first number over 12.
    # 6/4/2021 and 07.01.2021 would be read as 6 April and 7 January: 2 dates swapped; 05/05 is
    # the same either way, and a blank and an ISO date say nothing
    us = pd.Series(["6/4/2021", None, "06/24/2021", "07.01.2021", "05/05/2021", "2021-03-04",
                    "12/31/2021"], dtype="str")
    found = month_first(us)
    assert found is not None
    assert (found.row, found.value, found.swapped) == (2, "06/24/2021", 2)
    # Swedish order with one typing error (13 as a month beside 27 as a day): not month first,
    # the error is rejected on its own; so is a column where no value tells the order apart
    assert month_first(pd.Series(["27/1/2022", "06/24/2021", "6/4/2021"], dtype="str")) is None
    assert month_first(pd.Series(["6/4/2021", "07/01/2021"], dtype="str")) is None
    # a second number that is no day of the first as a month (02/30) is no evidence either
    assert month_first(pd.Series(["02/30/2021", "6/4/2021"], dtype="str")) is None
    # nor is one such date in a column written year first or as serial numbers: a typing error
    assert month_first(pd.Series(["2021-06-24"] * 3 + ["44371", "06/15/2021"], dtype="str")) is None
    assert month_first(pd.Series(["2021-06-24", "06/15/2021", "6/4/2021"], dtype="str")) is not None
    # a ninth of a column month first among ISO dates and compact ones (a review's export: 173
    # dates read swapped without a word): five such rows or more tell it, four do not
    mixed = ["2021-06-24", "20210703"] * 20 + ["06/15/2021", "03/04/2021", "01/02/2021", "11/05/2021"]
    assert month_first(pd.Series(mixed, dtype="str")) is None
    found = month_first(pd.Series([*mixed, "02/03/2021"], dtype="str"))
    assert (found.row, found.value, found.swapped) == (40, "06/15/2021", 4)


def test_dates_dtype_and_index():
    values = pd.Series(["2021-03-04", "bad", None], index=[10, 5, 0], dtype="str")
    parsed, failed = parse_dates(values)
    assert parsed.dtype == "datetime64[us]"
    assert failed.dtype == bool
    assert list(parsed.index) == [10, 5, 0] and list(failed.index) == [10, 5, 0]
    assert failed.tolist() == [False, True, False]


# --- numbers -------------------------------------------------------------------------------

@pytest.mark.parametrize(("raw", "expected"), [
    ("3450", 3450.0), ("3450,5", 3450.5), ("3450.5", 3450.5), ("3 450", 3450.0),
    ("3 450,5", 3450.5), ("3\u00a0450", 3450.0), ("3\u2009450,5", 3450.5),
    ("3\u202f450", 3450.0), ("1 234 567", 1234567.0), (" 12 ", 12.0), ("-2,5", -2.5),
    ("\u22122,5", -2.5), ("+4", 4.0), ("1.234,5", 1234.5), ("1.234.567", 1234567.0),
    ("1,234.5", 1234.5), (",5", 0.5), ("1,5e3", 1500.0), ("0", 0.0),
    ("1,234", 1.234), ("1.234", 1.234),  # a single separator is a decimal separator
])
def test_numbers_accepted(raw, expected):
    assert one(parse_numbers, raw) == (pytest.approx(expected), False)


@pytest.mark.parametrize("raw", ["abc", "12 34", "3,4,5", "1.23.4", "3 kg", "nan", "inf",
                                 "1e999", "--3", "3-", "1 2345", "#N/A"])
def test_numbers_failed(raw):
    value, failed = one(parse_numbers, raw)
    assert np.isnan(value) and failed


def test_numbers_dtype():
    parsed, _ = parse_numbers(pd.Series(["1", None]))
    assert parsed.dtype == np.float64


@pytest.mark.parametrize(("raw", "expected"), [
    ("3", 3), ("3,0", 3), ("3.0", 3), ("1 200", 1200), ("-2", -2), ("\u22122", -2),
])
def test_integers_accepted(raw, expected):
    assert one(parse_integers, raw) == (expected, False)


@pytest.mark.parametrize("raw", ["3,5", "3.25", "x", "1e300"])
def test_integers_failed(raw):
    value, failed = one(parse_integers, raw)
    assert value is pd.NA and failed


def test_integers_dtype():
    parsed, _ = parse_integers(pd.Series(["1", None, "x"]))
    assert parsed.dtype == "Int64"


# --- categories, booleans, professions -----------------------------------------------------

@pytest.mark.parametrize(("raw", "expected"), [
    ("helt ammad", "exclusive"), ("Helt ammad.", "exclusive"), ("  HELT   AMMAD ", "exclusive"),
    ("Helamning", "exclusive"), ("exclusive", "exclusive"), ("Övervägande ammad", "predominant"),
    ("overvagande ammad", "predominant"), ("Delvis", "partial"), ("ingen amning", "none"),
    ("helt\u00a0ammad", "exclusive"), ("o\u0308verva\u0308gande ammad", "predominant"),
])
def test_categories_accepted(raw, expected):
    assert one(parse_categories, raw, BREASTFEEDING) == (expected, False)


def test_categories_with_dots_in_the_variant():
    result = CATEGORY_VARIANTS["language_result"]
    assert one(parse_categories, "U.A.", result) == ("no_remark", False)
    assert one(parse_categories, "u.a", result) == ("no_remark", False)


def test_categories_unknown_fail():
    parsed, failed = parse_categories(pd.Series(["ammar lite", "helt ammad", None]), BREASTFEEDING)
    assert parsed.tolist() == [pd.NA, "exclusive", pd.NA]
    assert failed.tolist() == [True, False, False]
    # coded: a code a row (one byte: a handful of categories), its text as text
    assert is_coded(parsed) and parsed.cat.codes.dtype == np.int8
    assert as_text(parsed).tolist() == [pd.NA, "exclusive", pd.NA] and as_text(parsed).dtype == TEXT_DTYPE


def test_categories_spelled_differently_share_one_code():
    parsed, _ = parse_categories(pd.Series(["Helt ammad.", "delvis ammad", " HELT  AMMAD", "", "helt ammad"],
                                           index=[5, 6, 7, 8, 9]), BREASTFEEDING)
    assert list(parsed.cat.categories) == ["exclusive", "partial"]
    assert parsed.cat.codes.tolist() == [0, 1, 0, -1, 0] and parsed.index.tolist() == [5, 6, 7, 8, 9]


def test_booleans():
    parsed, failed = parse_booleans(pd.Series(["Ja", "nej", "X", "1", "0", "JA.", "kanske", None]))
    assert parsed.tolist() == [True, False, True, True, False, True, pd.NA, pd.NA]
    assert failed.tolist() == [False] * 6 + [True, False]
    assert parsed.dtype == "boolean"


@pytest.mark.parametrize(("raw", "expected"), [
    ("BVC-sjuksköterska, föräldrarådgivare", "bvc_nurse|parental_advisor"),
    ("Föräldrarådgivare; BVC-sjuksköterska", "bvc_nurse|parental_advisor"),
    ("ssk/tolk", "bvc_nurse|interpreter"),
    ("BVC-ssk + Barnmorska", "bvc_nurse|midwife"),
    ("BVC-sjuksköterska och föräldrarådgivare", "bvc_nurse|parental_advisor"),
    ("nurse and", None),
    ("bvc_nurse and dental", "bvc_nurse|dental"),
    ("ssk, SSK, bvc-sjuksköterska", "bvc_nurse"),
    ("Tandvård", "dental"), ("brobyggare, pedagog,", "bridge_builder|pedagogue"),
])
def test_professions(raw, expected):
    value, failed = one(parse_professions, raw)
    if expected is None:
        assert value is pd.NA and failed
    else:
        assert (value, failed) == (expected, False)


def test_professions_any_unknown_item_fails_the_row():
    parsed, failed = parse_professions(pd.Series(["ssk, trollkarl", ",", "ssk"]))
    assert parsed.tolist() == [pd.NA, pd.NA, "bvc_nurse"]
    assert failed.tolist() == [True, True, False]


# --- properties: never raise, never lose or reorder a row ----------------------------------

PARSERS = {
    "dates": parse_dates,
    "numbers": parse_numbers,
    "integers": parse_integers,
    "categories": lambda values: parse_categories(values, BREASTFEEDING),
    "booleans": parse_booleans,
    "professions": parse_professions,
}

VALID = {  # a raw value and what it parses to, per parser
    "dates": [("2021-03-04", MARCH_4), ("04/03/2021", MARCH_4), ("44259", MARCH_4),
              ("20210304", MARCH_4), ("2020-02-29 23:59", pd.Timestamp("2020-02-29"))],
    "numbers": [("3 450,5", 3450.5), ("-1,25", -1.25), ("1.234,5", 1234.5), ("7", 7.0)],
    "integers": [("3", 3), ("3,0", 3), ("1 200", 1200), ("-4", -4)],
    "categories": [("Helt ammad", "exclusive"), ("delamning", "partial"), ("Ej ammad.", "none")],
    "booleans": [("ja", True), ("NEJ", False), ("x", True)],
    "professions": [("BVC-ssk, tolk", "bvc_nurse|interpreter"), ("barnmorska", "midwife")],
}

raw_values = st.lists(st.one_of(st.none(), st.text(), st.sampled_from(["", " ", "\u00a0"])),
                      max_size=30)
HYPOTHESIS = settings(max_examples=150, deadline=None)  # the file runs in well under 20 s


def shuffled_index(n: int, seed: int) -> pd.Index:
    return pd.Index(np.random.default_rng(seed).permutation(n) * 3 + 100)


@pytest.mark.parametrize("kind", list(PARSERS))
@HYPOTHESIS
@given(raw=raw_values, seed=st.integers(0, 1000), dtype=st.sampled_from([object, "str"]))
def test_parsers_never_raise_and_keep_rows(kind, raw, seed, dtype):
    values = pd.Series(raw, index=shuffled_index(len(raw), seed), dtype=dtype)
    parsed, failed = PARSERS[kind](values)
    assert parsed.index.equals(values.index) and failed.index.equals(values.index)
    assert failed.dtype == bool
    blank = values.isna() | values.str.strip().eq("")
    assert not failed[blank].any()
    assert parsed[blank].isna().all()
    assert parsed[failed].isna().all()


@pytest.mark.parametrize("kind", list(PARSERS))
@HYPOTHESIS
@given(raw=raw_values)
def test_parsed_is_missing_exactly_where_blank_or_failed(kind, raw):
    """What ingest relies on to reject a required value as missing or unparseable: a value
    parses to missing if and only if its text is blank (stripped as an export's arrow text
    is) or it failed."""
    values = pd.Series(raw, dtype=object)
    parsed, failed = PARSERS[kind](values)
    blank = values.astype(pd.StringDtype()).str.strip().eq("").fillna(True).to_numpy(dtype=bool)
    assert parsed.isna().to_numpy(dtype=bool).tolist() == (blank | failed.to_numpy()).tolist()


@pytest.mark.parametrize("kind", list(PARSERS))
@HYPOTHESIS
@given(data=st.data())
def test_valid_values_survive_mixing_with_garbage(kind, data):
    cells = data.draw(st.lists(st.one_of(
        st.tuples(st.just(True), st.sampled_from(VALID[kind])),
        st.tuples(st.just(False), st.one_of(st.none(), st.text()))), max_size=30))
    raw = [value[0] if is_valid else value for is_valid, value in cells]
    values = pd.Series(raw, index=shuffled_index(len(raw), 7), dtype=object)
    parsed, failed = PARSERS[kind](values)
    assert parsed.index.equals(values.index)
    for position, (is_valid, value) in enumerate(cells):
        if is_valid:
            assert parsed.iloc[position] == value[1]
            assert not failed.iloc[position]


@HYPOTHESIS
@given(raw=raw_values, seed=st.integers(0, 1000))
def test_personnummer_never_raises_and_keeps_rows(raw, seed):
    values = pd.Series(raw, index=shuffled_index(len(raw), seed), dtype=object)
    parsed = parse_personnummer(values, dt.date(2024, 6, 30))
    assert parsed.index.equals(values.index)
    assert parsed["error"].isna().eq(parsed["normalised"].notna()).all()


@HYPOTHESIS
@given(data=st.data())
def test_personnummer_valid_values_survive_mixing(data):
    valid = [("811218-9876", "198112189876"), ("19811218-9876", "198112189876"),
             ("701063-2391", "197010632391"), ("240630+1230", "192406301230")]
    cells = data.draw(st.lists(st.one_of(
        st.tuples(st.just(True), st.sampled_from(valid)),
        st.tuples(st.just(False), st.one_of(st.none(), st.text()))), max_size=30))
    raw = [value[0] if is_valid else value for is_valid, value in cells]
    parsed = parse_personnummer(pd.Series(raw, index=shuffled_index(len(raw), 3), dtype=object),
                                dt.date(2024, 6, 30))
    for position, (is_valid, value) in enumerate(cells):
        if is_valid:
            assert parsed["normalised"].iloc[position] == value[1]
            assert parsed["error"].iloc[position] is pd.NA


# --- coded columns (a CSV column as read: each row's code into the distinct texts) ------------

def _coded(values: list) -> pd.Series:
    """`values` as the CSV reader holds them: codes in order of appearance, None as -1."""
    texts = list(dict.fromkeys(v for v in values if v is not None))
    codes = np.array([-1 if v is None else texts.index(v) for v in values], dtype=np.int32)
    return coded_text(codes, pa.array(texts, pa.string()))


CODED_CASES = [
    (parse_dates, ["2021-03-04", " 2021-03-04", "", None, "31/02/2021", "2021-03-04", "44259"]),
    (parse_integers, ["3", " 3 ", "x", "", None, "-1", "3"]),
    (parse_numbers, ["1,5", "1.5", "", "abc", None, "2"]),
    (parse_booleans, ["ja", "Nej", " ", None, "kanske", "ja"]),
    (parse_professions, ["BVC-sjuksköterska", "BVC-sjuksköterska, läkare", "", None, "okänd"]),
]


@pytest.mark.parametrize(("parser", "values"), CODED_CASES)
def test_a_coded_column_parses_as_its_text(parser, values):
    coded = _coded(values)
    assert is_coded(coded)
    text = pd.Series(values, dtype=TEXT_DTYPE)
    parsed, failed = parser(coded)
    expected, expected_failed = parser(text)
    pd.testing.assert_series_equal(parsed, expected)
    pd.testing.assert_series_equal(failed, expected_failed)


def test_a_coded_column_as_text_blank_and_factorized():
    values = ["b", " ", "a", None, "b", "", "a "]
    coded = _coded(values)
    assert as_text(coded).tolist() == ["b", " ", "a", pd.NA, "b", "", "a "]
    assert as_text(coded).dtype == TEXT_DTYPE
    assert blank_text(coded).tolist() == [False, True, False, True, False, True, False]
    assert blank_text(pd.Series(values, dtype=TEXT_DTYPE)).tolist() == blank_text(coded).tolist()
    codes, text = factorize_text(coded)
    # distinct texts stripped, in order of appearance; blanks and missing are -1
    assert text.tolist() == ["b", "", "a", "", "a"]
    assert codes.tolist() == [0, -1, 2, -1, 0, -1, 4]
    assert as_text(pd.Series(["x"], dtype=TEXT_DTYPE)).tolist() == ["x"]  # text stays as it is
    numbers = pd.Series(pd.Categorical([3, 1, 3]))  # a categorical of numbers is not coded text
    assert not is_coded(numbers)
    assert factorize_text(numbers)[0].tolist() == [0, 1, 0]


def test_the_marks_a_spreadsheet_keeps_text_with_are_read_through() -> None:
    """An export that wrote every cell as ="…" (or with a leading ') to keep it text lost every
    date and dose to rejects."""
    dates, failed = parse_dates(pd.Series(['="2021-03-04"', "'2021-03-04", "2021-03-04"]))
    assert dates.tolist() == [MARCH_4] * 3 and not failed.any()
    numbers, failed = parse_integers(pd.Series(['="3"', "'2", "1"]))
    assert numbers.tolist() == [3, 2, 1] and not failed.any()
    assert parse_dates(pd.Series(['=DATUM(2021;3;4)']))[1].all()  # a formula is no value
