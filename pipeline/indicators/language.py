"""Language-development indicators (SPEC §6) from the child health services' language
screening at 2.5 years (30 months) or 3 years (36 months); which one a region uses varies,
so a study chooses `screening`: "30m", "36m" or "any" (study.yml `language_screening`).

Rules:
- Windows in calendar months (birth date plus n months, clipped to the month's end, as
  for vaccination): the 30-month screening counts when done from the 29-month to the
  36-month birthday, the 36-month screening from the 35-month to the 42-month birthday;
  both bounds inclusive. A screening visit is often booked a few weeks before the
  nominal age, hence the month before it. The 18-month screening is not used.
- A screening counts as done only with a result, "no_remark" (utan anmärkning) or
  "deviation" (avvikelse); "not_done" (ej genomförd) counts as not screened.
- "any": each child counts its own screening, whichever type it is: when a child has a
  valid screening of each kind, the 36-month one is used (the later, more informative
  assessment). Within one kind, the latest valid screening in the window is used. What
  other children had never matters: there is no screening type per area or region, so a
  child screened at 2.5 years in an area where most were screened at 3 (or the reverse,
  or after moving between regions) keeps its result.
- Denominator of all three: the child reached the window end of the latest screening
  type in use by the extraction date (that day included) and did not move out before it:
  the 36-month birthday for "30m", the 42-month birthday for "36m" and "any". The rule
  looks only at the child's birth date, moving-out date and the extraction date, never
  at its screening records. Why, under "any", not "a screened child counts from its own
  screening, an unscreened one from 42 months": among children between 36 and 42 months
  only the screened would be in the denominator, so `lang_screened` would be biased
  upwards (every such child a success), and a 30-month result could still be replaced by
  a later 36-month one, so a child's value would change between extractions. The price
  is that under "any" children aged 36–42 months wait for the next extraction even if
  they were screened at 2.5 years; a study whose region screens only at 2.5 years should
  say `language_screening: 30m` to count them six months sooner.
- `lang_screened`: a valid screening in the window; a child in the denominator with no
  screening records at all is not screened (False).
- `lang_no_deviation`: the screening's result is "no_remark", among screened children
  (others <NA> `not_screened`).
- `lang_deviation_detected`: a deviation found at the screening, among ALL children in the
  denominator (not screened counts as not found). It does not condition on being
  screened, which the programme itself may change, so it is the comparable outcome across
  groups; `lang_no_deviation` and `lang_referred` (among the screened) are secondary.
- `lang_referred`: referred to a speech and language therapist at that screening, among
  screened children. A missing referral value counts as not referred (False): the record
  of a referral is what the child health record holds, its absence means none was made.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

import numpy as np
import pandas as pd

from pipeline.indicators.common import (
    IN_DENOMINATOR,
    NOT_SCREENED,
    REASON_CODE,
    Cohort,
    binary_columns,
    cohort,
    day_numbers,
    denominator_reasons,
    first_per_child,
    flag,
    text_equals,
)

Screening = Literal["any", "30m", "36m"]
# screening -> window in months of age (from, to), both bounds inclusive
WINDOWS: dict[str, tuple[int, int]] = {"30m": (29, 36), "36m": (35, 42)}
SCREENED_RESULTS = ("no_remark", "deviation")


# The language indicators' shared counts, which publishing links (pipeline.publish.cells): an
# indicator among the children screened has lang_screened's numerator for its denominator, and
# lang_deviation_detected has lang_screened's denominator (all children of the screening's age).
DENOMINATOR_IS_EVENTS_OF = {"lang_no_deviation": "lang_screened", "lang_referred": "lang_screened"}
SAME_DENOMINATOR = (frozenset({"lang_screened", "lang_deviation_detected"}),)

def language_indicators(children: pd.DataFrame, language: pd.DataFrame, extraction_date: dt.date,
                        screening: Screening = "any", *, kids: Cohort | None = None) -> pd.DataFrame:
    """One row per child: the language indicators for the screening(s) in use."""
    if screening not in ("any", "30m", "36m"):
        raise ValueError(f"screening must be 'any', '30m' or '36m' (study.yml language_screening), "
                         f"not {screening!r}")
    in_use = ("30m", "36m") if screening == "any" else (screening,)
    kids = cohort(children, extraction_date) if kids is None else kids  # build_cohort shares one
    position = kids.positions(language["child_id"])
    day = day_numbers(language["screening_date"])
    valid = (position >= 0) & ~np.isnan(day) & text_equals(language["result"], *SCREENED_RESULTS)
    preference = np.full(len(language), -1, dtype=np.int64)  # lower is preferred
    safe_position = np.where(position >= 0, position, 0)
    for rank, kind in enumerate(sorted(in_use, key=lambda k: WINDOWS[k], reverse=True)):
        start, end = WINDOWS[kind]
        in_window = ((day >= kids.birthday(start)[safe_position])
                     & (day <= kids.birthday(end)[safe_position]))
        preference[valid & text_equals(language["screening"], kind) & in_window] = rank
    used = np.flatnonzero(preference >= 0)
    chosen = used[first_per_child(position[used], preference[used], -day[used])]
    chosen_position = position[chosen]

    screened = np.zeros(kids.size, dtype=bool)
    screened[chosen_position] = True
    no_deviation = np.zeros(kids.size, dtype=bool)
    no_deviation[chosen_position] = text_equals(language["result"].iloc[chosen], "no_remark")
    deviation = screened & ~no_deviation
    referred = np.zeros(kids.size, dtype=bool)
    referred[chosen_position] = flag(language["referred_speech_therapist"].iloc[chosen])

    window_end_months = max(WINDOWS[kind][1] for kind in in_use)
    reason = denominator_reasons(kids, kids.birthday(window_end_months))
    among_screened = reason.copy()
    among_screened[(reason == IN_DENOMINATOR) & ~screened] = REASON_CODE[NOT_SCREENED]
    columns: dict[str, object] = {}
    columns.update(binary_columns("lang_screened", screened, reason))
    columns.update(binary_columns("lang_no_deviation", no_deviation, among_screened))
    columns.update(binary_columns("lang_referred", referred, among_screened))
    columns.update(binary_columns("lang_deviation_detected", deviation, reason))
    return kids.frame(columns)
