"""Shared building blocks of the indicator modules: child positions, day numbers, denominators.

Every indicator function works on numpy arrays aligned with the children table: an event's
child is turned into its row position in `children` once (a pyarrow hash lookup), dates
into whole day numbers, and per-child results are gathered with `bincount` and
`ufunc.at` reductions instead of a loop over children. This is what keeps the national
scale (1M children, 12M visits) within seconds.

Denominator rule (SPEC §6): a child is outside an indicator's denominator when it moved
out before the indicator's age (plus its window) was reached (`moved_out`), or when it had
not reached that age by the extraction date (`not_reached_age`); "by" is inclusive, so the
age reached on the extraction date counts, and moving out on the very day the age is
reached does not exclude. When both apply, `moved_out` is given, since it is the reason
that will never change with a later extraction.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

# Reasons a child is outside a binary indicator's denominator (`<indicator>_excluded`).
NOT_REACHED_AGE = "not_reached_age"
MOVED_OUT = "moved_out"
NO_ASSESSMENT = "no_assessment"
NOT_ELIGIBLE_BIRTH_DATE = "not_eligible_birth_date"
NOT_SCREENED = "not_screened"
EXCLUSION_REASONS: tuple[str, ...] = (NOT_REACHED_AGE, MOVED_OUT, NO_ASSESSMENT,
                                      NOT_ELIGIBLE_BIRTH_DATE, NOT_SCREENED)
IN_DENOMINATOR = -1  # reason code of a child inside the denominator
REASON_CODE: dict[str, int] = {reason: code for code, reason in enumerate(EXCLUSION_REASONS)}

_EXCLUDED_DTYPE = pd.StringDtype()  # nullable string: <NA> inside the denominator


@dataclass(frozen=True)
class Cohort:
    """The children table as aligned arrays: ids, birth and moved-out day numbers."""

    child_id: pd.Index
    birth_day: np.ndarray  # float64 day numbers (days since 1970-01-01)
    moved_out_day: np.ndarray  # float64; +inf when the child has not moved out
    extraction_day: float
    child_text: pa.Array  # child_id as an arrow array: the lookup table of `positions`
    _birthdays: dict[int, np.ndarray] = field(default_factory=dict, repr=False, compare=False)

    @property
    def size(self) -> int:
        return len(self.child_id)

    def birthday(self, months: int) -> np.ndarray:
        """Day number of each child's `months`-month birthday (`add_months` of the birth day),
        computed once per age for all the indicators that share the Cohort (read only): they
        ask for 8 ages 13 times, 40 ms each at a million children."""
        if months not in self._birthdays:
            days = add_months(self.birth_day, months)
            days.flags.writeable = False
            self._birthdays[months] = days
        return self._birthdays[months]

    def positions(self, event_child_id: pd.Series) -> np.ndarray:
        """Row position in the children table of each event's child (-1: unknown child)."""
        return positions_in(event_child_id, self.child_text)

    def age_days(self, positions: np.ndarray, event_day: np.ndarray) -> np.ndarray:
        """Age in whole days at each event (event day minus birth day)."""
        return event_day - self.birth_day[positions]

    def frame(self, columns: dict[str, object]) -> pd.DataFrame:
        """A result frame indexed by child_id, one row per child in the children's order."""
        return pd.DataFrame(columns, index=self.child_id)


def cohort(children: pd.DataFrame, extraction_date: dt.date) -> Cohort:
    """Validate the children table and turn it into aligned arrays."""
    for column in ("child_id", "birth_date"):
        if column not in children.columns:
            raise ValueError(f"children table has no '{column}' column; indicators need the clean "
                             "children table (one row per child with child_id and birth_date)")
    ids = pd.Index(children["child_id"], name="child_id")
    child_text = _arrow_text(ids)
    if pc.count_distinct(child_text, mode="all").as_py() != len(ids):
        repeated = ids[ids.duplicated()].unique()[:5].tolist()
        raise ValueError(f"children table has repeated child_id values (e.g. {repeated}); "
                         "it must hold one row per child, as the clean stage writes it")
    birth = day_numbers(children["birth_date"])
    if np.isnan(birth).any():
        raise ValueError(f"{int(np.isnan(birth).sum())} children have no birth_date; the "
                         "clean stage derives it from the personnummer: run the indicators "
                         "on clean data")
    if "moved_out_date" in children.columns:
        moved = day_numbers(children["moved_out_date"])
        moved[np.isnan(moved)] = np.inf
    else:
        moved = np.full(len(ids), np.inf)
    return Cohort(ids, birth, moved, day_number(extraction_date), child_text)


def day_number(date: dt.date) -> float:
    """Whole days since 1970-01-01 of one date."""
    return float((dt.date(date.year, date.month, date.day) - dt.date(1970, 1, 1)).days)


def positions_in(values: pd.Series, known: pd.Index | pd.Series | list[str] | pa.Array
                 ) -> np.ndarray:
    """Position of each text in `known` (-1 when missing or absent), by pyarrow hashing:
    a few times faster than pandas' index lookups on millions of pyarrow strings. Texts
    given as a category or an arrow dictionary (the cohort stage reads event tables' texts
    so, and their child_id) are looked up once per distinct text."""
    if _is_category(values):
        return _per_category(values, lambda texts: positions_in(texts, known), missing=-1)
    if _is_arrow_dictionary(values):
        return _per_dictionary_entry(values, lambda texts: positions_in(texts, known), missing=-1)
    found = pc.index_in(_arrow_text(values), value_set=_arrow_text(known))
    return found.fill_null(-1).to_numpy(zero_copy_only=False).astype(np.int64, copy=False)


def _is_category(values: object) -> bool:
    return isinstance(getattr(values, "dtype", None), pd.CategoricalDtype)


def _is_arrow_dictionary(values: object) -> bool:
    dtype = getattr(values, "dtype", None)
    return isinstance(dtype, pd.ArrowDtype) and pa.types.is_dictionary(dtype.pyarrow_dtype)


def _per_category(values: pd.Series, compute: Callable[[pd.Series], np.ndarray],
                  missing: object) -> np.ndarray:
    """`compute` of a category column, computed once per category and spread to the rows
    by their codes (`missing` where a value is missing): a million children's 16M doses
    name 7 antigens."""
    per_category = compute(pd.Series(values.cat.categories))
    # a missing value's code -1 picks the trailing `missing`: one gather, no mask (a masked
    # assignment took 0.6 s of a million children's 16M doses)
    return np.append(per_category, missing).astype(per_category.dtype)[values.cat.codes.to_numpy()]


def _per_dictionary_entry(values: pd.Series, compute: Callable[[pa.Array], np.ndarray],
                          missing: object) -> np.ndarray:
    """`compute` of a column held as an arrow dictionary (`pd.ArrowDtype`), computed once per
    entry of its row groups' dictionaries and spread to the rows by their indices (`missing`
    where a value is missing).

    The dictionaries are joined end to end, not unified: a million children's 12M visits name
    each child in one row group or two, so a joined dictionary is hardly longer than a unified
    one, and joining hashes nothing (unifying took 0.6 s of the visits' 0.8; as a pandas
    category the same unification and the check that its categories are distinct, 1.4 s)."""
    chunks = pa.array(values.array)  # ArrowExtensionArray.__arrow_array__: the chunked array
    if isinstance(chunks, pa.Array):
        chunks = pa.chunked_array([chunks])
    dictionaries = [chunk.dictionary for chunk in chunks.chunks]
    per_entry = compute(pa.concat_arrays(dictionaries) if dictionaries
                        else pa.array([], type=chunks.type.value_type))
    rows = np.empty(len(chunks), dtype=per_entry.dtype)
    entry = row = 0
    for chunk in chunks.chunks:
        size = len(chunk.dictionary)
        # a missing value's null index takes the trailing `missing`, as in `_per_category`
        of_chunk = np.append(per_entry[entry:entry + size], missing).astype(per_entry.dtype)
        np.take(of_chunk, chunk.indices.fill_null(size).to_numpy(zero_copy_only=False),
                out=rows[row:row + len(chunk)])
        entry, row = entry + size, row + len(chunk)
    return rows


def _arrow_text(values: pd.Index | pd.Series | list[str] | pa.Array) -> pa.Array:
    if isinstance(values, pa.Array) and values.type == pa.large_string():
        return values
    if isinstance(values, pa.Array) and pa.types.is_string(values.type):  # a dictionary's entries
        return values.cast(pa.large_string())
    array = pa.array(pd.Series(values, copy=False).astype(pd.StringDtype("pyarrow")).array)
    if isinstance(array, pa.ChunkedArray):
        array = array.combine_chunks()
    return array.cast(pa.large_string())


# Ticks of a day in the units pandas keeps dates in (and in days)
_TICKS_PER_DAY: dict[np.dtype, int] = {
    np.dtype(f"datetime64[{unit}]"): int(np.timedelta64(1, "D") // np.timedelta64(1, unit))
    for unit in ("D", "s", "ms", "us", "ns")}


def day_numbers(dates: pd.Series) -> np.ndarray:
    """Whole days since 1970-01-01 as float64 (NaN for a missing date); any time is dropped."""
    if not pd.api.types.is_datetime64_any_dtype(dates):
        dates = pd.to_datetime(dates)
    values = np.asarray(dates.to_numpy())
    if values.dtype not in _TICKS_PER_DAY:  # a time zone's Timestamps
        values = values.astype("datetime64[D]")
    # the ticks floor-divided into days, as a cast to datetime64[D] floors them: one pass over
    # 16M doses' dates where the cast and its conversion took two, twice as long
    numbers = (values.view(np.int64) // _TICKS_PER_DAY[values.dtype]).astype(np.float64)
    numbers[np.isnat(values)] = np.nan
    return numbers


def add_months(day: np.ndarray, months: int) -> np.ndarray:
    """Day numbers shifted by calendar months, clipped to the month's end (= DateOffset).

    A child born on 31 March reaches 24 months on 31 March two years on; one born on
    29 February 2020 reaches 24 months on 28 February 2022 (the month has no 29th), as in
    pandas' DateOffset(months=n) and the Swedish rule for periods counted in months
    (lag 1930:173: a period ending on a day the month lacks ends on its last day).
    Integer calendar arithmetic (proleptic Gregorian), a few times faster than numpy's
    datetime64 month casts on a million birth dates.
    """
    missing = np.isnan(day)
    year, month, day_of_month = _civil_from_days(np.where(missing, 0, day).astype(np.int64))
    total = year * 12 + (month - 1) + months
    month_start = _days_from_civil(total // 12, total % 12 + 1)
    next_month_start = _days_from_civil((total + 1) // 12, (total + 1) % 12 + 1)
    shifted = (month_start + np.minimum(day_of_month, next_month_start - month_start) - 1
               ).astype(np.float64)
    shifted[missing] = np.nan
    return shifted


def _civil_from_days(days: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(year, month, day) of day numbers since 1970-01-01 (H. Hinnant's civil_from_days)."""
    z = days + 719468
    era = z // 146097
    day_of_era = z - era * 146097
    year_of_era = (day_of_era - day_of_era // 1460 + day_of_era // 36524
                   - day_of_era // 146096) // 365
    day_of_year = day_of_era - (365 * year_of_era + year_of_era // 4 - year_of_era // 100)
    shifted_month = (5 * day_of_year + 2) // 153  # March = 0
    day_of_month = day_of_year - (153 * shifted_month + 2) // 5 + 1
    month = np.where(shifted_month < 10, shifted_month + 3, shifted_month - 9)
    year = year_of_era + era * 400 + (month <= 2)
    return year, month, day_of_month


def _days_from_civil(year: np.ndarray, month: np.ndarray) -> np.ndarray:
    """Day number of the first day of (year, month) (H. Hinnant's days_from_civil)."""
    year = year - (month <= 2)
    era = year // 400
    year_of_era = year - era * 400
    day_of_year = (153 * ((month + 9) % 12) + 2) // 5
    day_of_era = year_of_era * 365 + year_of_era // 4 - year_of_era // 100 + day_of_year
    return era * 146097 + day_of_era - 719468


def denominator_reasons(cohort: Cohort, end_day: np.ndarray) -> np.ndarray:
    """Reason codes (IN_DENOMINATOR or an exclusion) for an indicator whose age + window
    ends on `end_day` per child: moved out before it, else not reached it by extraction."""
    reason = np.full(cohort.size, IN_DENOMINATOR, dtype=np.int8)
    reason[cohort.extraction_day < end_day] = REASON_CODE[NOT_REACHED_AGE]
    reason[cohort.moved_out_day < end_day] = REASON_CODE[MOVED_OUT]
    return reason


def binary_columns(indicator: str, value: np.ndarray, reason: np.ndarray) -> dict[str, object]:
    """`indicator` (nullable boolean, <NA> outside the denominator) and `indicator_excluded`."""
    outside = reason != IN_DENOMINATOR
    flags = pd.arrays.BooleanArray(np.asarray(value, dtype=bool) & ~outside, outside)
    labels = pa.array(list(EXCLUSION_REASONS), type=pa.large_string())
    excluded = labels.take(pa.array(reason.astype(np.int32), mask=~outside))
    return {indicator: flags, f"{indicator}_excluded": pd.array(excluded, dtype=_EXCLUDED_DTYPE)}


def per_child_min(positions: np.ndarray, values: np.ndarray, size: int,
                  empty: float = np.inf) -> np.ndarray:
    """Smallest value per child (`empty` for a child with no value)."""
    result = np.full(size, empty, dtype=np.float64)
    np.minimum.at(result, positions, values)
    return result


def per_child_max(positions: np.ndarray, values: np.ndarray, size: int,
                  empty: float = -np.inf) -> np.ndarray:
    """Largest value per child (`empty` for a child with no value)."""
    result = np.full(size, empty, dtype=np.float64)
    np.maximum.at(result, positions, values)
    return result


def first_per_child(positions: np.ndarray, *keys: np.ndarray) -> np.ndarray:
    """Indices of the one row per child that sorts first by `keys` (first key most
    significant), e.g. the visit closest to a contact's target age.

    Keys are whole numbers (ages, distances, ranks); when they fit, they are packed with
    the position (and the row number, to break full ties by input order) into one int64
    and sorted once, several times faster than a lexsort over the separate keys.
    """
    columns = [np.asarray(positions, dtype=np.int64),
               *(np.asarray(key).astype(np.int64) for key in keys),
               np.arange(len(positions), dtype=np.int64)]
    packed = _pack(columns)
    order = np.argsort(packed) if packed is not None else np.lexsort(columns[::-1])
    ordered = positions[order]
    first = np.ones(len(order), dtype=bool)
    first[1:] = ordered[1:] != ordered[:-1]
    return order[first]


def _pack(columns: list[np.ndarray]) -> np.ndarray | None:
    """The columns packed into one sortable int64 (first most significant), or None when
    their ranges do not fit in 62 bits."""
    if len(columns[0]) == 0:
        return np.zeros(0, dtype=np.int64)
    packed = np.zeros(len(columns[0]), dtype=np.int64)
    bits = 0
    for column in columns:
        low = int(column.min())
        width = int(column.max()) - low + 1
        bits += max(width - 1, 1).bit_length()
        if bits > 62:
            return None
        packed = packed * width + (column - low)
    return packed


def text_equals(values: pd.Series, *accepted: str) -> np.ndarray:
    """Boolean array: the text is one of `accepted` (False for a missing value)."""
    if _is_category(values):
        return _per_category(values, lambda texts: text_equals(texts, *accepted), missing=False)
    if _is_arrow_dictionary(values):
        return _per_dictionary_entry(values, lambda texts: text_equals(texts, *accepted),
                                     missing=False)
    text = _arrow_text(values)
    if len(accepted) == 1:
        found = pc.equal(text, pa.scalar(accepted[0], type=pa.large_string()))
    else:
        found = pc.is_in(text, value_set=pa.array(list(accepted), type=pa.large_string()))
    return found.fill_null(False).to_numpy(zero_copy_only=False)


def flag(values: pd.Series) -> np.ndarray:
    """A nullable boolean column as a numpy bool array; a missing value counts as False."""
    return np.asarray(values.astype("boolean").fillna(False).to_numpy(dtype=bool))
