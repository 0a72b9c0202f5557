"""Parsers of raw export text: dates, numbers, integers, categories, booleans, professions.

Every parser takes a Series of text (object or str dtype, or coded: `coded_text`) and
returns `(parsed, failed)`, both with the input's index and length: `failed` is True only
where a non-blank value could not be parsed; NA, empty and whitespace-only values are
missing (NA in `parsed`), not failed; `parsed` is missing nowhere else (ingest finds a
required value's blanks by it). No parser raises on any text, drops a row or reorders rows.

At national scale a column has millions of rows but few distinct values, so each parser
works on the unique values (`factorize_text`) with vectorised pyarrow/numpy operations and
spreads the results back over the rows (`spread`).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from pipeline.schema import CATEGORY_VARIANTS, PROFESSION_VARIANTS

TEXT_DTYPE = pd.StringDtype("pyarrow")  # nullable string (pd.NA), for codes and working text
DATETIME_DTYPE = "datetime64[us]"  # pandas' own default resolution; the time part is dropped

# A year outside this range is a typo (0021, 2201), not a date an export can hold; the bound
# also keeps every parsed date convertible to datetime64[ns] by downstream code.
YEAR_MIN, YEAR_MAX = 1800, 2199

# Excel stores a date as days since 1899-12-30 (the epoch that absorbs its 1900 leap-year
# bug for every date after 1900-02-28). Only 20000-80000 (1954-10-03 to 2119-01-11) is taken
# as a serial, so that ordinary small numbers are never read as dates.
EXCEL_EPOCH = np.datetime64("1899-12-30", "D")
EXCEL_SERIAL_MIN, EXCEL_SERIAL_MAX = 20000, 80000

# Unicode spaces that exports use (non-breaking, thin, narrow no-break, figure space). Kept
# as literal characters so the patterns read the same in Python's re and in RE2 (pyarrow).
_SPACES = "\u00a0\u2007\u2009\u202f"
_ANY_SPACE = f"[\\s{_SPACES}\u1680\u2000-\u200a\u2028\u2029\u205f\u3000]"
_MINUS_SIGNS = "[\u2212\u2012\u2013\u2014\ufe63\uff0d]"  # Unicode minus and dashes -> "-"


# --- shared machinery ----------------------------------------------------------------------

def factorize_text(values: pd.Series) -> tuple[np.ndarray, pd.Series]:
    """Codes per row and the unique values as stripped text; blank values get code -1.

    `text` (nullable pyarrow string, no NA, RangeIndex) holds one entry per unique raw
    value; `codes[i]` is the position of row i's value in `text`, or -1 where the row is
    NA, empty or whitespace-only. Non-string objects (numbers or datetimes from a
    spreadsheet) are turned into their `str()` text.
    """
    codes, uniques = factorized(values)
    text = pd.Series(uniques).astype(TEXT_DTYPE).str.strip()
    blank = text.eq("").to_numpy(dtype=bool, na_value=True)
    if blank.any():
        codes = np.where(blank[np.maximum(codes, 0)] & (codes >= 0), -1, codes)
    return np.asarray(codes, dtype=np.intp), text.reset_index(drop=True)


# The marks a spreadsheet export puts round a value to keep it text, which Excel shows without
# them: '2021-06-04 and ="0012". What they hold is the value.
_TEXT_MARKS = re.compile(r"^(?:'(?P<quoted>.*)|=\"(?P<formula>.*)\")$")


def unmarked(text: pd.Series) -> pd.Series:
    """Distinct texts (`factorize_text`'s) with the text marks taken off ('198112189876,
    ="2021-06-04"): an export that wrote every cell so lost every date and personnummer to
    rejects. Only the texts starting with one are touched."""
    strings = arrow_text(text)
    marked = pc.or_(pc.starts_with(strings, "'"), pc.starts_with(strings, "=")).to_numpy(zero_copy_only=False)
    if not marked.any():
        return text
    text = text.copy()
    text[marked] = text[marked].str.replace(
        _TEXT_MARKS, lambda match: match["quoted"] if match["quoted"] is not None else match["formula"],
        regex=True).str.strip()
    return text


def factorized(values: pd.Series) -> tuple[np.ndarray, object]:
    """`pd.factorize(values)`: codes (-1 for NA) and the distinct values in order of appearance.
    Arrow text is encoded by arrow directly, its codes widened once: pandas copied them twice
    on the way (0.7-0.8 s -> 0.6 s for a million children's 13M visit personnummer). A coded
    column (`coded_text`: a CSV column as read) has its codes already: its distinct texts in
    order of appearance, perhaps with blank ones left only by rows dropped as blank."""
    if is_coded(values):
        return values.cat.codes.to_numpy().astype(np.intp), _distinct_texts(values)
    data = pa.array(values.array) if isinstance(values.array, pd.arrays.ArrowStringArray) else None
    if not isinstance(data, pa.Array):  # not arrow text, or in chunks (their dictionaries differ)
        return pd.factorize(values, use_na_sentinel=True)
    encoded = pc.dictionary_encode(data, null_encoding="mask")
    indices = encoded.indices.fill_null(-1) if encoded.indices.null_count else encoded.indices
    return (indices.to_numpy(zero_copy_only=False).astype(np.intp),
            pd.arrays.ArrowStringArray(encoded.dictionary))


def coded_text(codes: np.ndarray, texts: pa.Array) -> pd.Series:
    """A text column held as each row's code into its distinct `texts` (-1: missing).

    A CSV column as read: a national export's columns have millions of rows but few distinct
    texts (a visit's kind, status, date), and the parsers work on the distinct texts anyway, so
    the rows' text is never made (13M visits: 0.4 GB of codes instead of 1.5 GB of text)."""
    categories = pd.Index(pd.arrays.ArrowStringArray(texts.cast(pa.large_string())))
    return pd.Series(pd.Categorical.from_codes(codes, dtype=pd.CategoricalDtype(categories)),
                     copy=False)


def is_coded(values: pd.Series) -> bool:
    """Whether a text column is held as codes into its distinct texts (`coded_text`): a
    categorical of text (any other categorical is factorized as pandas does)."""
    return (isinstance(values.dtype, pd.CategoricalDtype)
            and pd.api.types.is_string_dtype(values.dtype.categories.dtype))


def as_text(values: pd.Series) -> pd.Series:
    """A text column as text (a coded column's codes looked up, as text of its texts' dtype;
    any other as it is), with its index and name."""
    if not is_coded(values):
        return values
    return pd.Series(values.cat.categories.array.take(values.cat.codes.to_numpy(), allow_fill=True),
                     index=values.index, name=values.name, copy=False)


def coded_columns(frame: pd.DataFrame) -> list[str]:
    """The names of a frame's coded columns (`coded_text`)."""
    return [name for name, column in frame.items() if is_coded(column)]


def as_text_columns(frame: pd.DataFrame) -> pd.DataFrame:
    """`frame` with its coded columns as text (`as_text`); `frame` itself when it has none."""
    coded = coded_columns(frame)
    return frame.assign(**{name: as_text(frame[name]) for name in coded}) if coded else frame


def coded_results(found: object, codes: np.ndarray, values: pd.Series) -> pd.Series:
    """A parser's text results, one per distinct text (`found`: missing where none), taken to
    the rows (`codes`, -1: none) as a coded column: several distinct texts may give one result
    (`Helt ammad.`, `helt ammad`), so the results are coded by their own distinct values.
    A category's rows are millions and its results a handful: 1-byte codes, not their text."""
    result_codes, results = pd.factorize(pd.array(found, dtype=TEXT_DTYPE), use_na_sentinel=True)
    row_codes = np.append(result_codes, -1)[codes]  # code -1 (blank): the -1 appended
    parsed = coded_text(row_codes, pa.array(results, type=pa.large_string()))
    parsed.index, parsed.name = values.index, values.name
    return parsed


def blank_text(values: pd.Series) -> np.ndarray:
    """Missing, empty or whitespace-only cells of a text column (looked at once per distinct
    text when it is coded)."""
    if not is_coded(values):
        return (values.isna() | values.str.strip().eq("")).to_numpy(dtype=bool)
    texts = pd.Series(_distinct_texts(values))
    blank = np.append(texts.str.strip().eq("").to_numpy(dtype=bool), True)  # code -1: missing
    return blank[values.cat.codes.to_numpy()]


def _distinct_texts(values: pd.Series) -> pd.arrays.ArrowStringArray:
    """A coded column's distinct texts (its categories), as arrow text."""
    return pd.arrays.ArrowStringArray(pa.array(values.cat.categories.array))


def spread(unique_values: object, codes: np.ndarray, fill_value: object = None) -> object:
    """The per-unique results taken back to one value per row; code -1 takes `fill_value`."""
    return pd.api.extensions.take(unique_values, codes, allow_fill=True, fill_value=fill_value)


def arrow_text(text: pd.Series) -> pa.LargeStringArray:
    """Text from `factorize_text` as one contiguous arrow large_string array."""
    array = pa.array(text.astype(TEXT_DTYPE).array)
    if isinstance(array, pa.ChunkedArray):
        array = array.combine_chunks() if array.num_chunks else pa.array([], pa.large_string())
    return array.cast(pa.large_string()) if array.type != pa.large_string() else array


def _subset(strings: pa.Array, positions: np.ndarray) -> pa.Array:
    """The strings at these positions (all of them without a copy)."""
    return strings if len(positions) == len(strings) else strings.take(pa.array(positions))


def _fullmatch(strings: pa.Array, pattern: str) -> np.ndarray:
    matched = pc.match_substring_regex(strings, f"^(?:{pattern})$")
    return matched.to_numpy(zero_copy_only=False).astype(bool)


def _result(parsed: object, failed_unique: np.ndarray, codes: np.ndarray,
            values: pd.Series, dtype: object) -> tuple[pd.Series, pd.Series]:
    parsed_rows = pd.Series(spread(parsed, codes), index=values.index, name=values.name,
                            dtype=dtype)
    return parsed_rows, _failed_rows(failed_unique, codes, values)


def _failed_rows(failed_unique: np.ndarray, codes: np.ndarray, values: pd.Series) -> pd.Series:
    return pd.Series(spread(np.asarray(failed_unique, dtype=bool), codes, fill_value=False),
                     index=values.index, name=values.name, dtype=bool)


def _ints(strings: pa.Array) -> np.ndarray:
    """Digit strings (an empty string counts as 0) as int64."""
    filled = pc.if_else(pc.equal(strings, ""), "0", strings)
    return pc.cast(filled, pa.int64()).to_numpy(zero_copy_only=False)


def days_in_month(year: np.ndarray, month: np.ndarray) -> np.ndarray:
    """Length of each month in the proleptic Gregorian calendar (0 for a month outside 1-12)."""
    lengths = np.array([0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31])
    leap = (year % 4 == 0) & ((year % 100 != 0) | (year % 400 == 0))
    valid_month = (month >= 1) & (month <= 12)
    days = lengths[np.where(valid_month, month, 0)]
    return days + ((month == 2) & leap)


def make_dates(year: np.ndarray, month: np.ndarray, day: np.ndarray) -> np.ndarray:
    """datetime64[D] from year, month and day arrays that are already known to be valid."""
    months = (np.asarray(year, dtype=np.int64) - 1970) * 12 + np.asarray(month, dtype=np.int64) - 1
    first = months.astype("datetime64[M]").astype("datetime64[D]")
    return first + (np.asarray(day, dtype=np.int64) - 1).astype("timedelta64[D]")


# --- dates ---------------------------------------------------------------------------------

# a time of day after a date, its parts after ':' or, as Swedish writes them, '.' (14.15)
_TIME = (r"(?:(?:[ T]|\s+)(?P<hh>[0-9]{1,2})[:.](?P<mi>[0-9]{2})"
         r"(?:[:.](?P<ss>[0-9]{2})(?:[.,][0-9]+)?)?(?:Z|[+-][0-9]{2}:?[0-9]{2})?)?")
_DATE_PATTERNS = (
    rf"(?P<y>[0-9]{{4}})-(?P<m>[0-9]{{1,2}})-(?P<d>[0-9]{{1,2}}){_TIME}",  # 2021-03-04[ 10:15[:00]]
    rf"(?P<y>[0-9]{{4}})(?P<m>[0-9]{{2}})(?P<d>[0-9]{{2}}){_TIME}",  # 20210304
    rf"(?P<y>[0-9]{{4}})/(?P<m>[0-9]{{1,2}})/(?P<d>[0-9]{{1,2}}){_TIME}",  # 2021/03/04
    rf"(?P<y>[0-9]{{4}})\.(?P<m>[0-9]{{1,2}})\.(?P<d>[0-9]{{1,2}}){_TIME}",  # 2021.03.04
    rf"(?P<d>[0-9]{{1,2}})/(?P<m>[0-9]{{1,2}})/(?P<y>[0-9]{{4}}){_TIME}",  # 04/03/2021, 4/3/2021
    rf"(?P<d>[0-9]{{1,2}})\.(?P<m>[0-9]{{1,2}})\.(?P<y>[0-9]{{4}}){_TIME}",  # 04.03.2021
    rf"(?P<d>[0-9]{{1,2}})-(?P<m>[0-9]{{1,2}})-(?P<y>[0-9]{{4}}){_TIME}",  # 04-03-2021
)
_EXCEL_SERIAL = r"(?P<serial>[0-9]{5})(?:[.,][0-9]+)?"  # 44259, 44259.0, 44259,5
# a month by its Swedish (or English) name or abbreviation, as a spreadsheet's Swedish date format
# writes it: "5 jan 2023", "5 jan. 2023", "18 februari 2023" (a tester's were all rejected)
_NAMED_MONTH = (rf"(?P<d>[0-9]{{1,2}})\.?[ {_SPACES}]+(?P<name>[^\W\d_]+)\.?[ {_SPACES}]+"
                rf"(?P<y>[0-9]{{4}}){_TIME}")
MONTH_NAMES = {name: month for month, names in enumerate((
    ("jan", "januari", "january"), ("feb", "febr", "februari", "february"), ("mar", "mars", "march"),
    ("apr", "april"), ("maj", "may"), ("jun", "juni", "june"), ("jul", "juli", "july"),
    ("aug", "augusti", "august"), ("sep", "sept", "september"), ("okt", "oct", "oktober", "october"),
    ("nov", "november"), ("dec", "december")), start=1) for name in names}


def parse_dates(values: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Dates as datetime64[us] at midnight, and a failed mask.

    Accepted (surrounding whitespace ignored):
    - year first: `2021-03-04`, `2021-3-4`, `20210304`, `2021/03/04`, `2021.03.04`;
    - day first (Swedish/European order, never month first): `04/03/2021`, `4/3/2021`,
      `04.03.2021`, `04-03-2021`;
    - any of these followed by a time, which is checked and dropped: `2021-03-04 10:15`,
      `2021-03-04 10:15:00`, `2021-03-04T10:15:00`, `...10:15:00.123`, `...Z` / `...+01:00`,
      and as Swedish writes a time, `2021-03-04 10.15`, `04.03.2021 10.15.00`;
    - day, month by its Swedish or English name or abbreviation, year: `4 mars 2021`,
      `4 mar. 2021`, `4 March 2021`;
    - an Excel serial day number, as when a date cell is read as a number: `44259`,
      `44259.0` (a fraction, the time of day, is dropped); only 20000-80000.
    Fails: anything else, impossible dates (`2021-02-30`, month 13), impossible times
    (`25:00`), years outside 1800-2199, month-first dates whose "month" exceeds 12.
    """
    codes, text = factorize_text(values)
    text = unmarked(text)
    strings = arrow_text(text)
    n = len(text)
    year = np.zeros(n, dtype=np.int64)
    month = np.zeros(n, dtype=np.int64)
    day = np.zeros(n, dtype=np.int64)
    time_ok = np.ones(n, dtype=bool)
    matched = np.zeros(n, dtype=bool)
    for pattern in _DATE_PATTERNS:  # each tried on the values no pattern before it matched
        unmatched = np.flatnonzero(~matched)
        if not len(unmatched):
            break
        extracted = pc.extract_regex(_subset(strings, unmatched), f"^{pattern}$")
        found = extracted.is_valid().to_numpy(zero_copy_only=False)
        if not found.any():
            continue
        hit = np.zeros(n, dtype=bool)
        hit[unmatched[found]] = True
        fields = extracted.filter(pa.array(found))
        year[hit] = _ints(fields.field("y"))
        month[hit] = _ints(fields.field("m"))
        day[hit] = _ints(fields.field("d"))
        time_ok[hit] = _times_ok(fields)
        matched |= hit
    unmatched = np.flatnonzero(~matched)
    if len(unmatched):
        extracted = pc.extract_regex(_subset(strings, unmatched), f"^{_NAMED_MONTH}$")
        found = extracted.is_valid().to_numpy(zero_copy_only=False)
        if found.any():
            fields = extracted.filter(pa.array(found))
            named = np.array([MONTH_NAMES.get(name.lower(), 0)
                              for name in fields.field("name").to_pylist()], dtype=np.int64)
            hit = np.zeros(n, dtype=bool)
            hit[unmatched[found]] = True
            year[hit], month[hit], day[hit] = _ints(fields.field("y")), named, _ints(fields.field("d"))
            time_ok[hit] = _times_ok(fields)
            matched |= hit
    valid = (matched & time_ok & (year >= YEAR_MIN) & (year <= YEAR_MAX) & (month >= 1)
             & (day >= 1) & (day <= days_in_month(year, month)))
    dates = np.full(n, np.datetime64("NaT"), dtype="datetime64[D]")
    dates[valid] = make_dates(year[valid], month[valid], day[valid])

    unmatched = np.flatnonzero(~matched)
    if len(unmatched):
        extracted = pc.extract_regex(_subset(strings, unmatched), f"^{_EXCEL_SERIAL}$")
        found = extracted.is_valid().to_numpy(zero_copy_only=False)
        serial_hit = np.zeros(n, dtype=bool)
        serial_hit[unmatched[found]] = True
        serial = np.zeros(n, dtype=np.int64)
        serial[serial_hit] = _ints(extracted.filter(pa.array(found)).field("serial"))
        serial_ok = serial_hit & (serial >= EXCEL_SERIAL_MIN) & (serial <= EXCEL_SERIAL_MAX)
        dates[serial_ok] = EXCEL_EPOCH + serial[serial_ok].astype("timedelta64[D]")
        valid |= serial_ok

    return _result(dates.astype(DATETIME_DTYPE), ~valid, codes, values, DATETIME_DTYPE)


def _times_ok(fields: pa.StructArray) -> np.ndarray:
    """Whether each matched date's time of day (`_TIME`; none is 0:00) is a possible one."""
    return ((_ints(fields.field("hh")) <= 23) & (_ints(fields.field("mi")) <= 59)
            & (_ints(fields.field("ss")) <= 60))


# the day-first forms of `_DATE_PATTERNS` (04/03/2021, 04.03.2021, 04-03-2021)
_DAY_FIRST_PATTERNS = _DATE_PATTERNS[4:]


@dataclass(frozen=True)
class MonthFirst:
    """A date column written month first (12/31/2021): its first value that reads only so,
    where, and how many other values `parse_dates` would read with day and month swapped."""
    row: int  # position of the first value that reads only month first
    value: str
    swapped: int


def double_encoded(text: str) -> str | None:
    """What `text` was before its UTF-8 bytes were read as Windows-1252 ('NorrbyÃ¥sen' ->
    'Norrbyåsen': saved so again on the way, or read so by a wrong `encoding:`), or None when it
    does not read so.

    >>> double_encoded("Ã¶vervÃ¤gande ammad"), double_encoded("övervägande ammad")
    ('övervägande ammad', None)
    """
    try:
        repaired = text.encode("cp1252").decode("utf-8")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return None
    return repaired if repaired != text else None


# dates written d/m/y or m/d/y that tell a column month first among dates written otherwise
MONTH_FIRST_ROWS = 5


def month_first(values: pd.Series) -> MonthFirst | None:
    """Whether a date column is written month first, as an American spreadsheet writes it.

    `parse_dates` reads "04/03/2021" day first, as Swedish systems write it. In a column of
    month-first dates that rejects every date after the 12th of its month ("03/13/2021": no
    month 13) and reads the rest with day and month swapped, without a word. So: the column is
    month first when most of its values, or `MONTH_FIRST_ROWS` of them at least, are written
    day/month/year or month/day/year, some reads only month first (its second number 13-31, a
    possible day of its first as a month) and none only day first (its first number over 12).
    A column with both holds typing errors, rejected one by one, as does one written otherwise
    but for a few such dates (2021-06-24, an Excel serial number, and one 06/15/2021); a column
    with neither cannot tell (every day 12 or less) and is read day first. Five dates written
    day first show a day over 12 in all but one column in a hundred, so five or more with none
    are month first even among dates written otherwise (a review's export wrote one date in
    nine so, and 173 were read swapped).
    """
    codes, text = factorize_text(values)
    text = unmarked(text)
    strings = arrow_text(text)
    first = np.zeros(len(text), dtype=np.int64)
    second = np.zeros(len(text), dtype=np.int64)
    year = np.zeros(len(text), dtype=np.int64)
    for pattern in _DAY_FIRST_PATTERNS:
        extracted = pc.extract_regex(strings, f"^{pattern}$")
        found = np.flatnonzero(extracted.is_valid().to_numpy(zero_copy_only=False) & (first == 0))
        if len(found):
            fields = extracted.take(pa.array(found))
            first[found], second[found] = _ints(fields.field("d")), _ints(fields.field("m"))
            year[found] = _ints(fields.field("y"))
    possible_month = (first >= 1) & (first <= 12)
    only_month_first = possible_month & (second > 12) & (second <= days_in_month(year, np.clip(first, 1, 12)))
    only_day_first = (first > 12) & (second >= 1) & (second <= 12)
    written = codes >= 0
    either_way = (first > 0)[codes] & written  # written d/m/y or m/d/y
    slashed = int(either_way.sum())
    if (only_day_first.any() or not only_month_first.any()
            or (2 * slashed <= written.sum() and slashed < MONTH_FIRST_ROWS)):
        return None
    in_rows = only_month_first[codes] & written
    row = int(np.flatnonzero(in_rows)[0])
    ambiguous = possible_month & (second >= 1) & (second <= 12) & (first != second)
    swapped = int((ambiguous[codes] & written).sum())
    return MonthFirst(row=row, value=str(text.iloc[codes[row]]), swapped=swapped)


# --- numbers -------------------------------------------------------------------------------

_SIGN = "[+-]?"
_PLAIN = rf"{_SIGN}(?:[0-9]+(?:[.,][0-9]*)?|[.,][0-9]+)(?:[eE][+-]?[0-9]+)?"  # 3450,5  -3.2e4
_SPACE_GROUPED = rf"{_SIGN}[0-9]{{1,3}}(?:[ {_SPACES}][0-9]{{3}})+(?:[.,][0-9]+)?"  # 3 450,5
# 1.234,5 and 1.234.567 (a lone 1.234 is a decimal point, by _PLAIN)
_DOT_GROUPED = rf"{_SIGN}[0-9]{{1,3}}(?:(?:\.[0-9]{{3}})+,[0-9]+|(?:\.[0-9]{{3}}){{2,}})"
# 1,234.5 and 1,234,567 (a lone 1,234 is a decimal comma, by _PLAIN)
_COMMA_GROUPED = rf"{_SIGN}[0-9]{{1,3}}(?:(?:,[0-9]{{3}})+\.[0-9]+|(?:,[0-9]{{3}}){{2,}})"


def _numbers_unique(text: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Parsed float per unique text and whether it parsed."""
    strings = pc.replace_substring_regex(arrow_text(text), _MINUS_SIGNS, "-")
    plain = _fullmatch(strings, _PLAIN)
    spaced = _fullmatch(strings, _SPACE_GROUPED)
    dotted = _fullmatch(strings, _DOT_GROUPED)
    commaed = _fullmatch(strings, _COMMA_GROUPED)
    ok = plain | spaced | dotted | commaed
    # Canonical "-1234.5": drop the thousands separator of each form, then decimal comma -> point.
    no_spaces = pc.replace_substring_regex(strings, f"[ {_SPACES}]", "")
    no_dots = pc.replace_substring(no_spaces, ".", "")
    canonical = pc.if_else(pa.array(dotted), no_dots, no_spaces)
    canonical = pc.if_else(pa.array(commaed), pc.replace_substring(canonical, ",", ""), canonical)
    canonical = pc.replace_substring(canonical, ",", ".")
    numbers = np.full(len(text), np.nan)
    numbers[ok] = pc.cast(canonical.filter(pa.array(ok)), pa.float64()).to_numpy(
        zero_copy_only=False)
    ok &= np.isfinite(numbers)
    numbers[~ok] = np.nan
    return numbers, ok


def parse_numbers(values: pd.Series, unit: str | None = None) -> tuple[pd.Series, pd.Series]:
    """Decimal numbers as float64, and a failed mask.

    Accepted (surrounding whitespace ignored): `3450`, `3450,5` / `3450.5` (decimal comma or
    point), `,5`, `-2` / `+2` / `−2` (Unicode minus), `1,5e3`; thousands grouped by a space,
    non-breaking space, thin or narrow no-break space (`3 450`, `3 450,5`); dot thousands
    with a decimal comma (`1.234,5`, `1.234.567`); comma thousands with a decimal point
    (`1,234.5`, `1,234,567`). A single separator is always decimal: `1.234` and `1,234` are
    both 1.234. A column's `unit` (`UNITS`) also reads the number written with that unit,
    converted to it: `3500 g`, `3,5 kg` (grams), `30 år` (years), and weeks as Swedish
    records write a pregnancy's length, weeks + days (`38+2`: 38 2/7 weeks; `38 v 2 d`,
    `v38`). Fails: anything else (other units, letters, `12 34`, `nan`, values overflowing to
    infinity).
    """
    codes, text = factorize_text(values)
    text = unmarked(text)
    numbers, ok = _numbers_unique(text)
    if unit is not None and not ok.all():
        left = np.flatnonzero(~ok)
        numbers[left], ok[left] = _numbers_with_unit(text.iloc[left], unit)
    return _result(numbers, ~ok, codes, values, np.float64)


# What a number column's values may be written with, per unit: (pattern with the number as
# group "n" and, for weeks, the days as "d"; what the number is multiplied by).
_NUMBER = r"(?P<n>[0-9][0-9 .,]*)"
UNITS: dict[str, tuple[tuple[str, float], ...]] = {
    "g": ((rf"{_NUMBER}\s*(?:g|gr|gram)", 1.0), (rf"{_NUMBER}\s*(?:kg|kilo)", 1000.0)),
    "years": ((rf"{_NUMBER}\s*(?:år|ar|years?)", 1.0),),
    # 38+2, 38 + 2, 38+2 d, v38+2, 38 v 2 d, 38v2d, 38 veckor, v38, v. 38
    "weeks": ((r"(?:v\.?\s*)?(?P<n>[0-9]{1,2})\s*(?:v|veckor|w|weeks)?\s*"
               r"(?:\+\s*(?P<d>[0-6])\s*(?:d|dagar)?|(?P<d2>[0-6])\s*(?:d|dagar))?", 1.0),),
}


def _numbers_with_unit(text: pd.Series, unit: str) -> tuple[np.ndarray, np.ndarray]:
    """`_numbers_unique` of texts written with `unit` (`UNITS`), converted to it."""
    numbers, ok = np.full(len(text), np.nan), np.zeros(len(text), dtype=bool)
    labels = text.astype(TEXT_DTYPE).str.lower().str.strip()
    for pattern, factor in UNITS[unit]:
        found = labels.str.extract(f"^{pattern}$")
        matched = found["n"].notna().to_numpy() & ~ok
        if not matched.any():
            continue
        value, parsed = _numbers_unique(found["n"][matched].str.strip().reset_index(drop=True))
        days = np.zeros(int(matched.sum()))
        for column in ("d", "d2"):
            if column in found:
                days += pd.to_numeric(found[column][matched], errors="coerce").fillna(0).to_numpy()
        rows = np.flatnonzero(matched)[parsed]
        numbers[rows] = value[parsed] * factor + days[parsed] / 7
        ok[rows] = True
    return numbers, ok


def parse_integers(values: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Whole numbers as nullable Int64, and a failed mask.

    Accepted: every form of `parse_numbers` whose value is whole (`3`, `3,0`, `3.0`,
    `1 200`); fails where it has a fraction (`3,5`) or exceeds 2**53 in magnitude (beyond
    which a float no longer holds every whole number).
    """
    codes, text = factorize_text(values)
    text = unmarked(text)
    numbers, ok = _numbers_unique(text)
    ok &= (np.floor(numbers) == numbers) & (np.abs(numbers) <= 2.0**53)
    integers = pd.array(np.where(ok, numbers, 0).astype(np.int64), dtype="Int64")
    integers[~ok] = pd.NA
    return _result(integers, ~ok, codes, values, "Int64")


# --- categories ----------------------------------------------------------------------------

def normalise_labels(text: pd.Series) -> pd.Series:
    """Labels compared case- and spacing-insensitively: NFC, lower case, single spaces,
    no surrounding spaces and no trailing full stop (`" Helt  ammad. "` -> `"helt ammad"`)."""
    return (text.astype(TEXT_DTYPE).str.normalize("NFC").str.lower()
            .str.replace(f"{_ANY_SPACE}+", " ", regex=True)
            .str.replace(r"^ +|[ .]+$", "", regex=True))


def _fold_diacritics(labels: pd.Series) -> pd.Series:
    return labels.str.normalize("NFKD").str.replace("[\u0300-\u036f]", "", regex=True)


def fold_labels(text: pd.Series) -> pd.Series:
    """Labels compared ignoring accents as well as case and spacing: `normalise_labels`, then
    the diacritics dropped (`" NORRBYÅSEN "`, `"Norrbyasen"` -> `"norrbyasen"`; å, ä -> a,
    ö -> o, é -> e). Used where a name, not a code, is matched: areas."""
    return _fold_diacritics(normalise_labels(text))


def fold_label(text: str) -> str:
    """`fold_labels` of one name (for a study file's handful of names)."""
    return str(fold_labels(pd.Series([text], dtype=object)).iloc[0])


def area_keys(names: pd.Series) -> pd.Series:
    """Area names as they are matched: `fold_labels` (accents, case, spacing) with no space left,
    so that 'Söder ängen' is Söderängen (a tester's export split the name). A hyphen counts."""
    return fold_labels(names).str.replace(" ", "", regex=False)


def area_key(name: str) -> str:
    """`area_keys` of one name (the study file's areas and area_map)."""
    return str(area_keys(pd.Series([name], dtype=object)).iloc[0])


@dataclass(frozen=True)
class _Vocabulary:
    """Normalised labels and their codes, as arrow arrays for a vectorised lookup."""

    labels: pa.Array
    codes: pa.Array

    @classmethod
    def of(cls, mapping: Mapping[str, str]) -> _Vocabulary:
        return cls(pa.array(list(mapping), pa.large_string()), pa.array(list(mapping.values())))

    def find(self, labels: pa.Array) -> np.ndarray:
        positions = pc.index_in(labels, value_set=self.labels)
        return pc.take(self.codes, positions).to_numpy(zero_copy_only=False)


def _vocabularies(variants: Mapping[str, str]) -> tuple[_Vocabulary, _Vocabulary]:
    """Exact normalised spellings, and diacritic-free ones kept only where unambiguous."""
    return _vocabularies_cached(tuple(variants.items()))


@functools.lru_cache(maxsize=64)
def _vocabularies_cached(variants: tuple[tuple[str, str], ...]
                         ) -> tuple[_Vocabulary, _Vocabulary]:
    pairs = [*variants, *((code, code) for code in dict.fromkeys(code for _, code in variants))]
    labels = normalise_labels(pd.Series([label for label, _ in pairs], dtype=object))
    exact: dict[str, str] = {}
    for label, (raw_label, code) in zip(labels, pairs, strict=True):
        if exact.setdefault(label, code) != code:
            raise ValueError(f"spelling variant {raw_label!r} maps to both {exact[label]!r} "
                             f"and {code!r}")
    folded: dict[str, str | None] = {}
    for label, code in zip(_fold_diacritics(pd.Series(list(exact), dtype=TEXT_DTYPE)),
                           exact.values(), strict=True):
        folded[label] = code if folded.get(label, code) == code else None
    unambiguous = {label: code for label, code in folded.items() if code is not None}
    return _Vocabulary.of(exact), _Vocabulary.of(unambiguous)


def _lookup(labels: pd.Series, variants: Mapping[str, str]) -> pd.arrays.StringArray:
    """Code per normalised label, by position (NA where unknown): exact spelling first,
    then with the diacritics dropped on both sides (`Overvagande ammad`, `forskollarare`)."""
    exact, folded = _vocabularies(variants)
    found = exact.find(arrow_text(labels.astype(TEXT_DTYPE)))
    unknown = pd.isna(found)
    if unknown.any():
        found[unknown] = folded.find(arrow_text(_fold_diacritics(labels[unknown])))
    return pd.array(found, dtype=TEXT_DTYPE)


def parse_categories(values: pd.Series, variants: Mapping[str, str]
                     ) -> tuple[pd.Series, pd.Series]:
    """Canonical category codes (nullable string), and a failed mask.

    Accepted: any spelling in `variants` (e.g. `CATEGORY_VARIANTS["breastfeeding"]`) or a
    canonical code itself, compared after normalising case, Unicode form (NFC), internal
    and surrounding whitespace and trailing full stops (`"Helt ammad."`, `" HELT  AMMAD"`);
    where that finds nothing, the same with Swedish diacritics dropped on both sides
    (`"overvagande ammad"`) when that spelling is unambiguous. Fails: anything else.
    """
    codes, found = _categories(values, variants)
    return coded_results(found, codes, values), _failed_rows(found.isna(), codes, values)


def _categories(values: pd.Series, variants: Mapping[str, str]) -> tuple[np.ndarray, pd.arrays.StringArray]:
    """`parse_categories`' codes of the distinct texts and the category of each (NA: unknown)."""
    codes, text = factorize_text(values)
    text = unmarked(text)
    return codes, _lookup(normalise_labels(text), variants)


def parse_booleans(values: pd.Series, variants: Mapping[str, str] | None = None
                   ) -> tuple[pd.Series, pd.Series]:
    """Yes/no as nullable boolean, and a failed mask.

    Accepted: the spellings of `CATEGORY_VARIANTS["boolean"]` (ja / nej, j / n, yes / no,
    1 / 0, true / false, sant / falskt, x for a ticked box), or of `variants` (codes "true" and
    "false"), in any case, with the normalisation of `parse_categories`. Fails: anything else.
    """
    codes, found = _categories(values, CATEGORY_VARIANTS["boolean"] if variants is None else variants)
    flags = pd.Series(found).eq("true").astype("boolean").array  # NA stays NA
    return _result(flags, found.isna(), codes, values, "boolean")


# --- professions ---------------------------------------------------------------------------

_PROFESSION_SEPARATORS = (f"{_ANY_SPACE}*(?:[,;/+&]|{_ANY_SPACE}+(?:och|and){_ANY_SPACE}+)"
                          f"{_ANY_SPACE}*")


def parse_professions(values: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Professions present as canonical codes, sorted, de-duplicated, joined by `|`.

    Accepted: a list separated by `,` `;` `/` `+` `&`, " och " or " and " (any case),
    each item a spelling in `PROFESSION_VARIANTS` or a canonical code, normalised as in
    `parse_categories` ("BVC-sjuksköterska, Föräldrarådgivare" ->
    "bvc_nurse|parental_advisor"); empty items (a trailing comma) are ignored. Fails (and
    the parsed value is NA) when any item is unknown or the list has no item at all.
    """
    codes, text = factorize_text(values)
    text = unmarked(text)
    items = text.str.lower().str.split(_PROFESSION_SEPARATORS, regex=True).explode()
    owner = items.index.to_numpy()  # position of the unique value each item came from
    labels = normalise_labels(items.astype(object).fillna("")).reset_index(drop=True)
    keep = labels.ne("").to_numpy(dtype=bool)
    found = pd.Series(_lookup(labels[keep], PROFESSION_VARIANTS), index=owner[keep])
    has_unknown = found.isna().groupby(level=0).any()
    failed = has_unknown.reindex(text.index, fill_value=True).to_numpy(dtype=bool)
    joined = (found.dropna().groupby(level=0)
              .agg(lambda row: "|".join(sorted(set(row))))
              .reindex(text.index).astype(TEXT_DTYPE).mask(failed, pd.NA))
    return coded_results(joined.array, codes, values), _failed_rows(failed, codes, values)
