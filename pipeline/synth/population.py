"""The children of one chunk: birth, area, family covariates, programme status, personnummer."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd

from pipeline.synth.parameters import (
    _FMT_CELL,
    _FMT_COMPACT,
    _FMT_DMY,
    _FMT_ISO,
    _FMT_TIME,
    _XLSX_DATE_MARK,
    ACCEPT_PROBABILITY,
    ACCEPT_PROBABILITY_INTERPRETER,
    AREA_SHARES,
    BORN_FROM,
    BORN_TO,
    EDUCATION_BY_REGION,
    EDUCATION_SHIFT_INTERVENTION,
    EXTRACTION_DATE,
    FIRST_CHILD_BY_REGION,
    FIRST_IN_SWEDEN_IF_ABROAD,
    INTERPRETER_BY_REGION,
    INTERVENTION_AREAS,
    MESS_MIN_FIRST_CHUNK,
    MESS_RATE,
    MOTHER_AGE_BY_REGION,
    MOVE_OUT_PROBABILITY,
    PROGRAMME_START,
    REGION_BY_AREA,
)

# --- small vectorised helpers ---------------------------------------------------------------

def _days(date: dt.date) -> int:
    return (date - dt.date(1970, 1, 1)).days


def _draw_categories(rng: np.random.Generator, probabilities: np.ndarray) -> np.ndarray:
    """One category per row from a row-wise probability matrix (n, k)."""
    cumulative = np.cumsum(probabilities, axis=1)
    u = rng.random(len(probabilities))[:, None] * cumulative[:, -1:]
    return np.minimum((u >= cumulative).sum(axis=1), probabilities.shape[1] - 1)


def _draw_fixed(rng: np.random.Generator, shares: tuple[float, ...] | np.ndarray,
                n: int) -> np.ndarray:
    cumulative = np.cumsum(np.asarray(shares, dtype=float))
    cumulative /= cumulative[-1]
    return np.minimum(np.searchsorted(cumulative, rng.random(n), side="right"), len(cumulative) - 1)


def _luhn(digits: np.ndarray) -> np.ndarray:
    """Check digits for rows of 9 digits (YYMMDDNNN): weights 2,1,2,…; digit sums of products."""
    products = digits * np.array([2, 1, 2, 1, 2, 1, 2, 1, 2])
    total = (products // 10 + products % 10).sum(axis=1)
    return (10 - total % 10) % 10


# --- calendar and personnummer --------------------------------------------------------------

class _Calendar:
    """Date strings for every day the generator can write, by format (lookup, not strftime)."""

    first = _days(BORN_FROM) - 800
    last = _days(EXTRACTION_DATE) + 800
    times = tuple(f" {h:02d}:{m:02d}" for h in range(8, 17) for m in (0, 15, 30, 45))

    def __init__(self) -> None:
        dates = pd.date_range(pd.Timestamp(self.first, unit="D"), pd.Timestamp(self.last, unit="D"),
                              freq="D")
        self.iso = np.asarray(dates.strftime("%Y-%m-%d"), dtype=object)
        self.compact = np.asarray(dates.strftime("%Y%m%d"), dtype=object)
        self.day_first = np.asarray(dates.strftime("%d/%m/%Y"), dtype=object)
        self.short = np.asarray(dates.strftime("%y%m%d"), dtype=object)
        self.year = dates.year.to_numpy()
        self.month = dates.month.to_numpy()
        self.day = dates.day.to_numpy()
        self.with_time = np.add.outer(self.iso, np.array(self.times, dtype=object)).ravel()
        self.cell = np.array([_XLSX_DATE_MARK + s for s in self.iso], dtype=object)

    def format(self, day: np.ndarray, fmt: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """Date strings of absolute days (days since 1970) in per-row format codes."""
        index = day - self.first
        out = np.empty(len(day), dtype=object)
        for code, table in ((_FMT_ISO, self.iso), (_FMT_COMPACT, self.compact),
                            (_FMT_DMY, self.day_first), (_FMT_CELL, self.cell)):
            rows = fmt == code
            out[rows] = table[index[rows]]
        rows = np.flatnonzero(fmt == _FMT_TIME)
        slot = rng.integers(0, len(self.times), len(rows))
        out[rows] = self.with_time[index[rows] * len(self.times) + slot]
        return out


class _PersonnummerFactory:
    """Unique synthetic personnummer: a serial counter per (birth day, sex) across chunks.

    Serials 0..449 of a (day, sex) are children of the study; 450..499 are reserved for
    numbers that must be valid but belong to no child in the children table. A factory for
    the optional exports' planted rows starts its reserved serials at `reserved_from` (475),
    so that it leaves the core exports' counters, and so their bytes, as they were.
    """

    natural_limit = 450
    reserved_limit = 500

    def __init__(self, calendar: _Calendar, reserved_from: int = natural_limit) -> None:
        self.calendar = calendar
        n_days = _days(BORN_TO) - _days(BORN_FROM) + 1
        self.natural = np.zeros((n_days, 2), dtype=np.int64)
        self.reserved = np.full((n_days, 2), reserved_from, dtype=np.int64)

    def _serials(self, counter: np.ndarray, birth: np.ndarray, male: np.ndarray,
                 limit: int) -> np.ndarray:
        key = (birth - _days(BORN_FROM)) * 2 + male.astype(np.int64)
        order = np.argsort(key, kind="stable")
        sorted_key = key[order]
        starts = np.r_[0, np.flatnonzero(np.diff(sorted_key)) + 1]
        rank_sorted = np.arange(len(key)) - np.repeat(starts, np.diff(np.r_[starts, len(key)]))
        rank = np.empty(len(key), dtype=np.int64)
        rank[order] = rank_sorted
        flat = counter.reshape(-1)
        serial = flat[key] + rank
        np.add.at(flat, key, 1)
        if len(serial) and serial.max() >= limit:
            raise ValueError("too many children for the birth-date range: at most "
                             f"{self.natural_limit} per birth day and sex")
        return serial

    def numbers(self, birth: np.ndarray, male: np.ndarray, coordination: np.ndarray,
                reserved: bool = False) -> tuple[np.ndarray, np.ndarray]:
        """(n, 3) strings in PNR_FORMS and the (n, 10) digit matrix, for new numbers."""
        counter, limit = ((self.reserved, self.reserved_limit) if reserved
                          else (self.natural, self.natural_limit))
        serial = self._serials(counter, birth, male, limit)
        # serial k -> NNN: two digits k // 5, then the sex digit (odd for boys)
        sex_digit = 2 * (serial % 5) + male.astype(np.int64)
        nnn = (serial // 5) * 10 + sex_digit
        index = birth - self.calendar.first
        year = self.calendar.year[index]
        month = self.calendar.month[index]
        day = self.calendar.day[index] + np.where(coordination, 60, 0)
        yy = year % 100
        digits = np.stack([yy // 10, yy % 10, month // 10, month % 10, day // 10, day % 10,
                           nnn // 100, (nnn // 10) % 10, nnn % 10], axis=1)
        check = _luhn(digits)
        digits = np.concatenate([digits, check[:, None]], axis=1)
        return self.strings(year, digits), digits

    @staticmethod
    def strings(year: np.ndarray, digits: np.ndarray) -> np.ndarray:
        text = np.array(["".join(map(str, row)) for row in digits.tolist()], dtype=object)
        century = np.array([str(y // 100) for y in year.tolist()], dtype=object)
        date6 = np.array([t[:6] for t in text], dtype=object)
        tail = np.array([t[6:] for t in text], dtype=object)
        forms = np.empty((len(text), 3), dtype=object)
        forms[:, 0] = century + date6 + "-" + tail
        forms[:, 1] = century + text
        forms[:, 2] = date6 + "-" + tail
        return forms


# --- one chunk of children -----------------------------------------------------------------

@dataclass
class _Children:
    """One chunk of children: attributes as arrays (index = position in the chunk)."""

    birth: np.ndarray
    male: np.ndarray
    area: np.ndarray
    region: np.ndarray
    education: np.ndarray
    interpreter: np.ndarray
    mother_age: np.ndarray
    first_child: np.ndarray
    first_in_sweden: np.ndarray
    eligible: np.ndarray
    exposed: np.ndarray
    accepted: np.ndarray
    offered: np.ndarray
    moved: np.ndarray  # absolute day of moving out; a large number when the child stayed
    coordination: np.ndarray
    pnr: np.ndarray  # (n, 3) forms
    pnr_digits: np.ndarray
    group: np.ndarray  # index into GROUPS; -1 when not eligible
    terms: np.ndarray
    years: np.ndarray

    def __len__(self) -> int:
        return len(self.birth)

    def alive_until(self) -> np.ndarray:
        """Last day (exclusive) on which events can be recorded: move-out or after extraction."""
        return np.minimum(self.moved, _days(EXTRACTION_DATE) + 1)


GROUPS = ("intervention", "comparison", "intervention_pre", "comparison_pre")
_NEVER = 10**7


def _draw_children(rng: np.random.Generator, n: int, pnr: _PersonnummerFactory,
                   first_chunk: bool = False) -> _Children:
    born_from, born_to = _days(BORN_FROM), _days(BORN_TO)
    birth = born_from + rng.integers(0, born_to - born_from + 1, n)
    male = rng.random(n) < 0.512
    area = _draw_fixed(rng, AREA_SHARES, n)
    in_intervention = area < len(INTERVENTION_AREAS)
    region = _draw_categories(rng, REGION_BY_AREA[area])
    education_p = EDUCATION_BY_REGION[region].copy()
    shift = np.where(in_intervention, EDUCATION_SHIFT_INTERVENTION, 0.0)
    shift = np.minimum(shift, education_p[:, 2])
    education_p[:, 0] += shift
    education_p[:, 2] -= shift
    education = _draw_categories(rng, education_p)
    interpreter = rng.random(n) < INTERPRETER_BY_REGION[region]
    first_child = rng.random(n) < FIRST_CHILD_BY_REGION[region]
    first_in_sweden = first_child | ((region != 0) & (rng.random(n) < FIRST_IN_SWEDEN_IF_ABROAD))
    eligible = first_child | first_in_sweden
    age = rng.normal(MOTHER_AGE_BY_REGION[region] - 2.5 * first_child, 5.0)
    age = np.clip(age, 16.0, 48.0)
    decimal_age = rng.random(n) < 0.3
    mother_age = np.where(decimal_age, np.round(age, 1), np.floor(age))
    moved = rng.random(n) < MOVE_OUT_PROBABILITY
    move_day = birth + rng.integers(20, 1600, n)
    moved &= move_day <= _days(EXTRACTION_DATE)
    moved_day = np.where(moved, move_day, _NEVER)
    after_start = birth >= _days(PROGRAMME_START)
    exposed = eligible & in_intervention & after_start
    offered = np.where(exposed, birth + rng.integers(1, 8, n), -1)
    accept_p = np.where(interpreter, ACCEPT_PROBABILITY_INTERPRETER, ACCEPT_PROBABILITY)
    accepted = exposed & (rng.random(n) < accept_p)
    coordination = rng.random(n) < MESS_RATE * 1.5
    if first_chunk:  # a few coordination numbers among children old enough for every table
        old = np.flatnonzero((birth < _days(dt.date(2020, 1, 1))) & ~moved)
        coordination[old[:MESS_MIN_FIRST_CHUNK]] = True
    forms, digits = pnr.numbers(birth, male, coordination)
    group = np.where(~eligible, -1,
                     np.where(in_intervention, 0, 1) + np.where(after_start, 0, 2))
    terms = np.stack([region == 1, region == 2, region == 3, education == 0, education == 2,
                      (mother_age - 30.0) / 5.0, interpreter, male,
                      (region == 3) & in_intervention], axis=1).astype(float)
    years = (birth - _days(PROGRAMME_START)) / 365.25
    return _Children(birth, male, area, region, education, interpreter, mother_age, first_child,
                     first_in_sweden, eligible, exposed, accepted, offered, moved_day, coordination,
                     forms, digits, group, terms, years)
