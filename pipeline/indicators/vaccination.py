"""Vaccination indicators (SPEC §6) from the clean antigen doses.

Rules and their sources (the Public Health Agency's national vaccination programme for
children: DTaP-IPV-Hib(-HepB) and PCV at 3, 5 and 12 months, MMR at 18 months,
rotavirus at 6 weeks and 3 months for children born from 2019-09-01):
- Ages in calendar months: the n-month birthday is the birth date plus n calendar
  months, clipped to the month's end (DateOffset(months=n); a child born 29 Feb 2020
  turns 24 months on 28 Feb 2022). A dose given ON the birthday counts as given by it.
- `vacc_dtp3_24m`: at least 3 DTaP doses by the 24-month birthday; `vacc_pcv3_24m`: at
  least 3 PCV doses by it; `vacc_mmr1_24m`: at least one MMR dose by it; `vacc_full_24m`:
  all three, and for children born from 2019-09-01 also a complete rotavirus series
  (SPEC §6: "all of the above"). Denominator: reached the 24-month birthday by the extraction date (that
  day included) and not moved out before it.
- `vacc_mmr1_timely`: an MMR dose by the 20-month birthday (the dose is due at 18
  months); denominator: reached the 20-month birthday, not moved out before it.
- `vacc_rota_complete`: only children born on or after 2019-09-01, when rotavirus
  vaccine entered the national programme (others <NA> `not_eligible_birth_date`).
  Complete when the doses given by day 243 reach the series length of the product used:
  Rotarix 2, RotaTeq 3; a child given mixed products or a dose whose product is not
  recorded needs 3 (the conservative rule of the product information). Denominator:
  reached 243 days (8 months; after RotaTeq's last dose, due by 32 weeks = 224 days),
  not moved out before. Doses after day 243 are not counted (none should be given).
  Eligibility is checked first, then moving out, then age.
- A child with no doses at all, in a denominator, is unvaccinated (False), not missing:
  the vaccination register records every dose given.
- `vacc_mmr1_age`: age in days at the first MMR dose, time 0 = birth, every child
  included; censored at the earlier of the extraction date and the moved-out date (a
  dose after moving out is not observed follow-up and does not count as an event).
  Columns `vacc_mmr1_age_days` (event or censoring age) and `vacc_mmr1_age_event`.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from pipeline.indicators.common import (
    NOT_ELIGIBLE_BIRTH_DATE,
    REASON_CODE,
    Cohort,
    binary_columns,
    cohort,
    day_number,
    day_numbers,
    denominator_reasons,
    per_child_min,
    positions_in,
)
from pipeline.vaccines import PRODUCTS

ROTA_ELIGIBLE_FROM = dt.date(2019, 9, 1)  # rotavirus in the national programme from this birth date
ROTA_AGE_DAYS = 243  # 8 months: after the latest age a series may be completed (RotaTeq, 32 weeks)
ROTA_SERIES_DEFAULT = 3  # mixed or unrecorded products: the longer, RotaTeq, schedule
COVERAGE_MONTHS = 24
ANTIGENS = ("dtp", "pcv", "mmr", "rota")  # the antigens the indicators count doses of
TIMELY_MMR_MONTHS = 20


def vaccination_indicators(children: pd.DataFrame, antigen_doses: pd.DataFrame,
                           extraction_date: dt.date, *, kids: Cohort | None = None
                           ) -> pd.DataFrame:
    """One row per child: the vaccination indicators with their denominators."""
    kids = cohort(children, extraction_date) if kids is None else kids  # build_cohort shares one
    position = kids.positions(antigen_doses["child_id"])
    dose_day = day_numbers(antigen_doses["dose_date"])
    usable = (position >= 0) & ~np.isnan(dose_day)
    position, dose_day = position[usable], dose_day[usable]
    # each dose's antigen as its place in ANTIGENS (-1: another), looked up once: a boolean
    # selection of the 16M texts and a lookup per indicator took five times as long
    antigen = positions_in(antigen_doses["antigen"], list(ANTIGENS))[usable]

    birthday_24m = kids.birthday(COVERAGE_MONTHS)
    birthday_20m = kids.birthday(TIMELY_MMR_MONTHS)

    # whether each dose was given by the child's 24- and 20-month birthday, compared once for
    # every antigen (16M doses at a million children)
    by_24m = dose_day <= birthday_24m[position]
    by_20m = dose_day <= birthday_20m[position]

    def doses_by(name: str, given_by: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        of_antigen = antigen == ANTIGENS.index(name)
        return np.bincount(position[of_antigen & given_by], minlength=kids.size), of_antigen

    dtp, _ = doses_by("dtp", by_24m)
    pcv, _ = doses_by("pcv", by_24m)
    mmr, is_mmr = doses_by("mmr", by_24m)
    mmr_timely, _ = doses_by("mmr", by_20m)

    columns: dict[str, object] = {}
    reason_24m = denominator_reasons(kids, birthday_24m)
    columns.update(binary_columns("vacc_dtp3_24m", dtp >= 3, reason_24m))
    columns.update(binary_columns("vacc_pcv3_24m", pcv >= 3, reason_24m))
    columns.update(binary_columns("vacc_mmr1_24m", mmr >= 1, reason_24m))
    rota = _rota_complete(kids, antigen_doses, usable, position, dose_day, antigen)
    columns.update(rota)
    rota_eligible = kids.birth_day >= day_number(ROTA_ELIGIBLE_FROM)
    rota_done = pd.array(rota["vacc_rota_complete"], dtype="boolean").fillna(False).to_numpy(dtype=bool)
    rota_ok = rota_done | ~rota_eligible
    full = (dtp >= 3) & (pcv >= 3) & (mmr >= 1) & rota_ok
    columns.update(binary_columns("vacc_full_24m", full, reason_24m))
    columns.update(binary_columns("vacc_mmr1_timely", mmr_timely >= 1,
                                  denominator_reasons(kids, birthday_20m)))

    first_mmr = per_child_min(position[is_mmr], dose_day[is_mmr], kids.size)
    censor_day = np.minimum(kids.extraction_day, kids.moved_out_day)
    event = first_mmr <= censor_day
    columns["vacc_mmr1_age_days"] = np.where(event, first_mmr, censor_day) - kids.birth_day
    columns["vacc_mmr1_age_event"] = event
    return kids.frame(columns)


def _rota_complete(kids: Cohort, antigen_doses: pd.DataFrame, usable: np.ndarray,
                   position: np.ndarray, dose_day: np.ndarray, antigen: np.ndarray
                   ) -> dict[str, object]:
    """`vacc_rota_complete`: doses by day 243 against the series length of the products."""
    end_day = kids.birth_day + ROTA_AGE_DAYS
    counted = (antigen == ANTIGENS.index("rota")) & (dose_day <= end_day[position])
    series = _series_doses(antigen_doses)[usable]
    doses = np.bincount(position[counted], minlength=kids.size)
    needs_long_series = np.bincount(position[counted & (series != 2)], minlength=kids.size) > 0
    required = np.where(needs_long_series, ROTA_SERIES_DEFAULT, 2)
    reason = denominator_reasons(kids, end_day)
    reason[kids.birth_day < day_number(ROTA_ELIGIBLE_FROM)] = REASON_CODE[NOT_ELIGIBLE_BIRTH_DATE]
    return binary_columns("vacc_rota_complete", (doses > 0) & (doses >= required), reason)


def _series_doses(antigen_doses: pd.DataFrame) -> np.ndarray:
    """Rotavirus series length of each dose's product (0 when unknown or not rotavirus)."""
    if "rota_series_doses" in antigen_doses.columns:
        series = antigen_doses["rota_series_doses"]
    else:
        series = antigen_doses["product"].map(
            lambda name: PRODUCTS[name].rota_series_doses if name in PRODUCTS else None)
    return np.asarray(pd.to_numeric(series).to_numpy(dtype=np.int64, na_value=0))
