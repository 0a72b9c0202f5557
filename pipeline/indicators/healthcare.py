"""Healthcare use and dental health (issue 13, SPEC §6) from the optional exports
`vardkontakter` (care_contacts) and `tandhalsa` (dental).

The Rinkeby model's evaluations followed how often children needed emergency and other
healthcare in their first two years, and their dental health at three years (caries).

Healthcare use, 0–24 months:
- Follow-up time. A child is followed from birth to the earliest of its 24-month birthday
  (calendar months, as every age limit here), the day it moved out and the day after the
  extraction date (that day counted): `care_followup_years_24m` = those days / 365.25. A
  contact counts when it falls on a followed day (from birth, before the end): a contact on
  the moving-out day is not counted, as that day is not followed either. Every child of the
  children table is followed, so the rate uses every child's time, whole or cut short.
- `care_emergency_contacts_24m`: emergency contacts (vårdform akut) in the followed days;
  `care_emergency_rate_24m` is their rate per child-year, compared as a count with the
  follow-up time as exposure (a Poisson model's offset): the indicator's value per child
  is the count, its exposure the years.
- `care_any_emergency_24m`, `care_inpatient_24m` (binary): at least one emergency contact,
  and at least one inpatient stay (slutenvård), before the 24-month birthday; among the
  children followed the whole time (SPEC §6's denominator: reached 24 months by the
  extraction date and not moved out before it), as a share of children needs everyone's
  whole two years.
- A contact registered twice the same day for the same care form is one contact (the clean
  stage's duplicate rule).

Dental health at 3 years:
- The examination nearest the 36-month birthday within 30–48 months (both inclusive), among
  the rows that record an examination (a deft given, `undersokt` not "nej"); of two equally
  near, the later.
- Denominator: the children whose nearest examination is settled, so that a later extraction
  cannot change their value: those examined in the window on or after their 36-month
  birthday (no later examination can be nearer), and those who reached 48 months by the
  extraction date without moving out before (the window has closed). A child of the second
  kind without an examination in the window is outside the outcome (`no_assessment`), as a
  caries share can only be of children examined. A child examined only before 36 months
  waits for the window to close (a later examination might be nearer), as does a child not
  yet examined (`not_reached_age`; `moved_out` when it moved before 48 months). Waiting for
  every child's 48-month birthday instead would leave the children born in the year and a
  half before an extraction out altogether, although most of them are examined after 36
  months; the children counted early are those whose examination came at or after 36 months
  in both arms alike.
- `dental_caries_3y` (binary): deft > 0 at that examination; `dental_deft_3y` (count): its
  deft (0–20, the clean stage rejects other values).
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from pipeline.indicators.common import (
    IN_DENOMINATOR,
    NO_ASSESSMENT,
    REASON_CODE,
    Cohort,
    binary_columns,
    cohort,
    day_numbers,
    first_per_child,
    text_equals,
)
from pipeline.indicators.common import denominator_reasons as _denominator

DAYS_PER_YEAR = 365.25
CARE_MONTHS = 24
DENTAL_WINDOW = (30, 48)  # months of age, both inclusive
DENTAL_TARGET = 36  # the examination nearest this age is used


def care_indicators(children: pd.DataFrame, contacts: pd.DataFrame,
                    extraction_date: dt.date, *, kids: Cohort | None = None) -> pd.DataFrame:
    """One row per child: emergency contacts and follow-up years 0–24 months, and the binary
    indicators of any emergency contact and any inpatient stay (see the module docstring)."""
    kids = cohort(children, extraction_date) if kids is None else kids  # build_cohort shares one
    limit = kids.birthday(CARE_MONTHS)
    end = np.minimum(np.minimum(limit, kids.moved_out_day), kids.extraction_day + 1)
    followed_days = np.maximum(end - kids.birth_day, 0)
    position = kids.positions(contacts["child_id"])
    day = day_numbers(contacts["contact_date"])
    known = (position >= 0) & ~np.isnan(day)
    safe = np.where(known, position, 0)
    followed = known & (day >= kids.birth_day[safe]) & (day < end[safe])
    before_limit = known & (day >= kids.birth_day[safe]) & (day < limit[safe])
    emergency = text_equals(contacts["care_type"], "emergency")
    inpatient = text_equals(contacts["care_type"], "inpatient")
    count = np.bincount(position[followed & emergency], minlength=kids.size).astype(np.int64)
    any_emergency = np.bincount(position[before_limit & emergency], minlength=kids.size) > 0
    any_inpatient = np.bincount(position[before_limit & inpatient], minlength=kids.size) > 0
    reason = _denominator(kids, limit)
    columns: dict[str, object] = {
        "care_emergency_contacts_24m": pd.array(count, dtype="Int64"),
        "care_followup_years_24m": followed_days / DAYS_PER_YEAR,
    }
    columns.update(binary_columns("care_any_emergency_24m", any_emergency, reason))
    columns.update(binary_columns("care_inpatient_24m", any_inpatient, reason))
    return kids.frame(columns)


def dental_indicators(children: pd.DataFrame, dental: pd.DataFrame,
                      extraction_date: dt.date, *, kids: Cohort | None = None) -> pd.DataFrame:
    """One row per child: caries (deft > 0) and deft at the examination nearest 3 years (see
    the module docstring)."""
    kids = cohort(children, extraction_date) if kids is None else kids  # build_cohort shares one
    position = kids.positions(dental["child_id"])
    day = day_numbers(dental["exam_date"])
    deft = pd.to_numeric(dental["deft"]).to_numpy(dtype=np.float64, na_value=np.nan)
    examined = ~(dental["examined"].astype("boolean").eq(False).fillna(False).to_numpy(dtype=bool)
                 if "examined" in dental.columns else np.zeros(len(dental), dtype=bool))
    valid = (position >= 0) & ~np.isnan(day) & ~np.isnan(deft) & examined
    safe = np.where(valid, position, 0)
    low, high = DENTAL_WINDOW
    in_window = (valid & (day >= kids.birthday(low)[safe])
                 & (day <= kids.birthday(high)[safe]))
    rows = np.flatnonzero(in_window)
    target = kids.birthday(DENTAL_TARGET)[position[rows]]
    chosen = rows[first_per_child(position[rows], np.abs(day[rows] - target), -day[rows])]
    has_exam = np.zeros(kids.size, dtype=bool)
    has_exam[position[chosen]] = True
    value = np.zeros(kids.size, dtype=np.float64)
    value[position[chosen]] = deft[chosen]
    settled = np.zeros(kids.size, dtype=bool)  # examined at or after the 36-month birthday
    settled[position[chosen]] = day[chosen] >= kids.birthday(DENTAL_TARGET)[position[chosen]]
    reason = _denominator(kids, kids.birthday(high))
    reason[(reason == IN_DENOMINATOR) & ~has_exam] = REASON_CODE[NO_ASSESSMENT]
    reason[settled] = IN_DENOMINATOR
    columns: dict[str, object] = {}
    columns.update(binary_columns("dental_caries_3y", value > 0, reason))
    outside = reason != IN_DENOMINATOR
    columns["dental_deft_3y"] = pd.arrays.IntegerArray(value.astype(np.int64), outside)
    columns["dental_deft_3y_excluded"] = columns["dental_caries_3y_excluded"]
    return kids.frame(columns)
