"""Programme dose and fidelity per child (SPEC §6, implementation): which planned contacts
of the programme each child received, on time, jointly, with an interpreter, and who of
the parents took part.

Rules:
- Only visits with status "done" count; cancelled and no-show visits never do. Phone
  contacts never match a planned contact (a programme's contacts are home or clinic).
- Matching: each planned contact is matched to at most one done visit of the same kind,
  and each visit to at most one contact. A contact's catchment runs from the midpoint
  between the previous contact's target age and its own to the midpoint between its own
  and the next one's, among the contacts of the same kind (a home visit is never taken
  from a clinic contact, so clinic contacts do not split home catchments); the first
  contact of a kind starts at age 0 and the last ends at its window's upper bound + 90
  days (inclusive). Catchments are half-open, [from, to): a visit exactly at a midpoint
  belongs to the later contact. Catchments of one kind do not overlap, which makes the
  matching one-to-one. Of the visits in a catchment the one closest to the target age is
  matched; on a tie the one on time, then the earlier.
- On time: the matched visit's age (visit date minus birth date, days) lies within the
  contact's window, both bounds inclusive.
- Due: the child reached the contact's window end (birth + upper bound) by the extraction
  date (that day included) and did not move out before it. Received and due are counted
  independently: a contact received early by a child not yet due still counts as received.
- Joint: every profession the contact expects is recorded at the matched visit (missing
  professions: not joint). Interpreter: `interpreter_used` is True (missing: False).
  Mother: parents_present "mother" or "both"; father: "father" or "both"; both: "both".
- Extra: done visits of a kind the programme plans (home/clinic) that match no contact.
- All contacts: every planned contact received. Like an indicator (SPEC §6) it has a
  denominator: the children due every contact, i.e. who reached the latest window end of
  the programme's contacts by the extraction date and did not move out before it. For any
  other child `all_contacts` is <NA> and `all_contacts_excluded` says why
  (`not_reached_age`, `moved_out`): a child too young for its last contacts has not
  failed to receive them. The flow table counts this denominator as its own step.

Columns: contacts_planned, contacts_due, contacts_received, contacts_on_time,
contacts_joint, contacts_interpreter, contacts_mother, contacts_father, contacts_both,
contacts_extra, any_contact, all_contacts (received == planned, <NA> when not due every
contact) and all_contacts_excluded, and per contact contact_<id>_due,
contact_<id>_received, contact_<id>_on_time.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from pipeline.config import Contact, Programme
from pipeline.indicators.common import (
    IN_DENOMINATOR,
    Cohort,
    binary_columns,
    cohort,
    day_numbers,
    denominator_reasons,
    first_per_child,
    flag,
    text_equals,
)

LAST_CATCHMENT_EXTRA_DAYS = 90  # the last contact of a kind catches visits until window end + 90


def catchments(programme: Programme) -> dict[str, tuple[float, float]]:
    """Contact id -> [from, to) age in days of the visits that may match it (see rules)."""
    bounds: dict[str, tuple[float, float]] = {}
    for kind in ("home", "clinic"):
        contacts = sorted((c for c in programme.contacts if c.kind == kind),
                          key=lambda c: (c.target_age_days, c.window_days))
        for index, contact in enumerate(contacts):
            start = 0.0 if index == 0 else (contacts[index - 1].target_age_days
                                            + contact.target_age_days) / 2
            if index == len(contacts) - 1:
                # ages are whole days: [from, high + 90.5) holds high + 90 itself
                end = contact.window_days[1] + LAST_CATCHMENT_EXTRA_DAYS + 0.5
            else:
                end = (contact.target_age_days + contacts[index + 1].target_age_days) / 2
            bounds[contact.id] = (float(start), float(end))
    return bounds


def programme_dose(children: pd.DataFrame, visits: pd.DataFrame, programme: Programme,
                   extraction_date: dt.date, *, kids: Cohort | None = None) -> pd.DataFrame:
    """One row per child: planned contacts due, received, on time, joint, and who attended."""
    kids = cohort(children, extraction_date) if kids is None else kids  # build_cohort shares one
    kinds = sorted({c.kind for c in programme.contacts})
    kind = np.full(len(visits), -1, dtype=np.int8)  # index into kinds, -1 for phone
    for code, name in enumerate(kinds):
        kind[text_equals(visits["visit_kind"], name)] = code
    rows = np.flatnonzero(text_equals(visits["visit_status"], "done") & (kind >= 0))
    position = kids.positions(visits["child_id"])[rows]
    day = day_numbers(visits["visit_date"])[rows]
    known = (position >= 0) & ~np.isnan(day)
    rows, position = rows[known], position[known]
    age = kids.age_days(position, day[known])
    kind = kind[rows]
    # Attributes of the done programme visits, in the order of `rows`; read once from the
    # full columns, which is cheaper than taking a copy of the visits table.
    attended = {name: values[rows] for name, values in _attendance(visits).items()}
    profession_codes, profession_sets = _profession_sets(_column(visits, "professions", "string"))
    professions = (profession_codes[rows], profession_sets)
    catchment = catchments(programme)

    size = kids.size
    counts = {name: np.zeros(size, dtype=np.int64) for name in (
        "contacts_due", "contacts_received", "contacts_on_time", "contacts_joint",
        "contacts_interpreter", "contacts_mother", "contacts_father", "contacts_both")}
    per_contact: dict[str, np.ndarray] = {}
    matched_visits = np.zeros(len(rows), dtype=bool)
    for contact in programme.contacts:
        start, end = catchment[contact.id]
        low, high = contact.window_days
        candidate = np.flatnonzero((kind == kinds.index(contact.kind))
                                   & (age >= start) & (age < end))
        candidate_age = age[candidate]
        late_or_early = ((candidate_age < low) | (candidate_age > high)).astype(np.int64)
        best = candidate[first_per_child(position[candidate],
                                         np.abs(candidate_age - contact.target_age_days),
                                         late_or_early, candidate_age)]
        matched_visits[best] = True
        child = position[best]
        received = np.zeros(size, dtype=bool)
        received[child] = True
        on_time = np.zeros(size, dtype=bool)
        on_time[child] = (age[best] >= low) & (age[best] <= high)
        due = denominator_reasons(kids, kids.birth_day + high) == IN_DENOMINATOR
        joint = _has_professions(professions, best, contact)
        per_contact[f"contact_{contact.id}_due"] = due
        per_contact[f"contact_{contact.id}_received"] = received
        per_contact[f"contact_{contact.id}_on_time"] = on_time
        counts["contacts_due"] += due
        counts["contacts_received"] += received
        counts["contacts_on_time"] += on_time
        for name, matched_flag in (("contacts_joint", joint),
                                   ("contacts_interpreter", attended["interpreter"][best]),
                                   ("contacts_mother", attended["mother"][best]),
                                   ("contacts_father", attended["father"][best]),
                                   ("contacts_both", attended["both"][best])):
            counts[name] += np.bincount(child[matched_flag], minlength=size)

    planned = len(programme.contacts)
    columns: dict[str, object] = {"contacts_planned": np.full(size, planned, dtype=np.int64)}
    columns.update(counts)
    columns["contacts_extra"] = np.bincount(position[~matched_visits], minlength=size)
    columns["any_contact"] = counts["contacts_received"] > 0
    last_window_end = max(contact.window_days[1] for contact in programme.contacts)
    columns.update(binary_columns("all_contacts", counts["contacts_received"] == planned,
                                  denominator_reasons(kids, kids.birth_day + last_window_end)))
    columns.update(per_contact)
    return kids.frame(columns)


def _attendance(visits: pd.DataFrame) -> dict[str, np.ndarray]:
    """Per visit: interpreter used, mother / father / both present."""
    parents = _column(visits, "parents_present", "string")
    both = text_equals(parents, "both")
    return {"interpreter": flag(_column(visits, "interpreter_used", "boolean")),
            "mother": text_equals(parents, "mother") | both,
            "father": text_equals(parents, "father") | both,
            "both": both}


def _column(frame: pd.DataFrame, name: str, dtype: str) -> pd.Series:
    """An optional column of the visits table, all missing when the export lacks it."""
    if name in frame.columns:
        return frame[name]
    return pd.Series(pd.NA, index=frame.index, dtype=dtype)


def _profession_sets(professions: pd.Series) -> tuple[np.ndarray, list[frozenset[str]]]:
    """Each visit's code into the distinct profession sets (-1: none recorded), and the sets;
    "a|b" texts are split once per distinct text, not once per visit."""
    codes, uniques = pd.factorize(professions, use_na_sentinel=True)
    return codes, [frozenset(str(text).split("|")) for text in uniques]


def _has_professions(professions: tuple[np.ndarray, list[frozenset[str]]], visits: np.ndarray,
                     contact: Contact) -> np.ndarray:
    """True where a visit's professions include every profession the contact expects."""
    codes, sets = professions
    expected = frozenset(contact.professions)
    complete = np.array([expected <= present for present in sets] + [False], dtype=bool)
    return complete[codes[visits]]  # code -1 (nothing recorded) picks the trailing False
