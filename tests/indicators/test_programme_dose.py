"""Programme dose: matching done visits to planned contacts, on hand-made visits.

The programme below has two home contacts and one clinic contact; its home catchments are
[0, 35.5) for hv1 (target 10) and [35.5, 172.5] for hv2 (target 61, window 40–82, last
home contact: until 82 + 90 days); the clinic catchment is [0, 242.5] for cv1. The
extraction date is 2024-06-30 and children born 2023-01-01 are due every contact.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd

from pipeline.config import Contact, Programme, load_preset
from pipeline.indicators.implementation import catchments, programme_dose

EXTRACTION = dt.date(2024, 6, 30)
BORN = pd.Timestamp("2023-01-01")
JOINT = ("bvc_nurse", "parental_advisor")
PROGRAMME = Programme(name="test", contacts=(
    Contact(id="hv1", kind="home", target_age_days=10, window_days=(0, 28), professions=JOINT),
    Contact(id="hv2", kind="home", target_age_days=61, window_days=(40, 82), professions=JOINT),
    Contact(id="cv1", kind="clinic", target_age_days=122, window_days=(92, 152),
            professions=("bvc_nurse",)),
))
BOTH = "bvc_nurse|parental_advisor"


def children_frame(rows: dict[str, tuple[pd.Timestamp, pd.Timestamp | None]]) -> pd.DataFrame:
    return pd.DataFrame({
        "child_id": pd.Series(list(rows), dtype="str"),
        "birth_date": pd.to_datetime([birth for birth, _ in rows.values()]),
        "moved_out_date": pd.to_datetime([moved for _, moved in rows.values()]),
    })


def visits(rows: list[tuple]) -> pd.DataFrame:
    """(child, age days, kind, status, professions, parents, interpreter) -> clean visits."""
    return pd.DataFrame({
        "child_id": pd.Series([r[0] for r in rows], dtype="str"),
        "visit_date": pd.to_datetime([BORN + pd.Timedelta(days=r[1]) for r in rows]),
        "visit_kind": pd.Series([r[2] for r in rows], dtype="str"),
        "visit_status": pd.Series([r[3] for r in rows], dtype="str"),
        "professions": pd.Series([r[4] for r in rows], dtype="str"),
        "parents_present": pd.Series([r[5] for r in rows], dtype="str"),
        "interpreter_used": pd.array([r[6] for r in rows], dtype="boolean"),
    })


def run(rows: list[tuple], kids: dict | None = None) -> pd.DataFrame:
    kids = kids or {child: (BORN, None) for child in dict.fromkeys(r[0] for r in rows)}
    return programme_dose(children_frame(kids), visits(rows), PROGRAMME, EXTRACTION)


def test_every_contact_on_time_jointly_and_who_attended():
    # Three visits, each in its contact's window with the expected professions: all
    # received, on time and joint; the interpreter at one; mother at hv1 and both at hv2.
    result = run([("full", 10, "home", "done", BOTH, "mother", True),
                  ("full", 61, "home", "done", BOTH, "both", False),
                  ("full", 122, "clinic", "done", "bvc_nurse", None, None)]).loc["full"]
    assert result[["contacts_planned", "contacts_due", "contacts_received", "contacts_on_time",
                   "contacts_joint", "contacts_interpreter", "contacts_mother",
                   "contacts_father", "contacts_both", "contacts_extra"]].tolist() == [
        3, 3, 3, 3, 3, 1, 2, 1, 1, 0]
    assert result["any_contact"] and result["all_contacts"]
    assert result["contact_hv1_received"] and result["contact_cv1_on_time"]


def test_visits_read_as_categories_match_as_texts():
    # The cohort stage reads the visits' codes as categories (and child_id as an arrow
    # dictionary; pipeline.runner.CleanEvents):
    # the same dose as from texts; a cancelled visit and a phone call count for nothing.
    rows = [("a", 10, "home", "done", BOTH, "mother", True),
            ("a", 61, "home", "cancelled", BOTH, "both", False),
            ("a", 122, "clinic", "done", "bvc_nurse", "father", None),
            ("b", 12, "phone", "done", None, None, None)]
    kids = {child: (BORN, None) for child in ("a", "b")}
    texts = visits(rows)
    codes = texts.astype({name: "category" for name in (
        "child_id", "visit_kind", "visit_status", "professions", "parents_present")})
    from_texts = programme_dose(children_frame(kids), texts, PROGRAMME, EXTRACTION)
    from_codes = programme_dose(children_frame(kids), codes, PROGRAMME, EXTRACTION)
    assert from_codes.equals(from_texts)
    assert from_codes["contacts_received"].tolist() == [2, 0]
    assert from_codes["contacts_joint"].tolist() == [2, 0]
    assert from_codes["contacts_father"].tolist() == [1, 0]


def test_two_visits_in_one_catchment_match_once_and_the_other_is_extra():
    # Home visits at 55 and 65 (6 and 4 days from hv2's target 61): 65 is matched, 55 is
    # extra. A phone call never counts, not even as extra.
    result = run([("two", 55, "home", "done", BOTH, "mother", False),
                  ("two", 65, "home", "done", BOTH, "mother", False),
                  ("two", 20, "phone", "done", "bvc_nurse", "mother", False)]).loc["two"]
    assert result["contacts_received"] == 1 and result["contact_hv2_received"]
    assert result["contacts_extra"] == 1
    assert not result["contact_hv1_received"]


def test_unplanned_visit_outside_every_catchment_is_extra_not_received():
    # A home visit at day 300 lies beyond hv2's catchment (ends at 172): extra only.
    result = run([("extra", 300, "home", "done", BOTH, "both", False)]).loc["extra"]
    assert result["contacts_received"] == 0 and result["contacts_extra"] == 1
    assert not result["any_contact"]


def test_cancelled_and_no_show_visits_never_count():
    result = run([("cancelled", 10, "home", "cancelled", BOTH, "mother", False),
                  ("cancelled", 61, "home", "no_show", BOTH, "mother", False)]).loc["cancelled"]
    assert result["contacts_received"] == 0 and result["contacts_extra"] == 0
    assert not result["contact_hv1_received"] and not result["any_contact"]


def test_late_visit_is_received_but_not_on_time():
    # Day 100 is in hv2's catchment but after its window (40–82).
    result = run([("late", 100, "home", "done", BOTH, "father", False)]).loc["late"]
    assert result["contact_hv2_received"] and not result["contact_hv2_on_time"]
    assert (result["contacts_received"], result["contacts_on_time"]) == (1, 0)
    assert (result["contacts_father"], result["contacts_mother"]) == (1, 0)


def test_nurse_alone_is_not_a_joint_visit_and_missing_professions_neither():
    result = run([("nurse_only", 10, "home", "done", "bvc_nurse", "mother", False),
                  ("nurse_only", 61, "home", "done", None, "mother", False),
                  ("nurse_only", 122, "clinic", "done", "bvc_nurse|dental", "mother", False)])
    # hv1 lacks the advisor, hv2 records no professions; cv1 expects the nurse only: joint.
    assert result.loc["nurse_only", "contacts_joint"] == 1


def test_visit_of_the_wrong_kind_does_not_match():
    # A clinic visit at day 10 does not fulfil the home contact hv1. It lies in the
    # catchment of cv1 (the only clinic contact: [0, 242.5]), so it is matched to cv1,
    # before cv1's window (92–152): received, not on time.
    result = run([("clinic_early", 10, "clinic", "done", "bvc_nurse", "mother", False)])
    row = result.loc["clinic_early"]
    assert not row["contact_hv1_received"]
    assert row["contact_cv1_received"] and not row["contact_cv1_on_time"]


def test_contacts_due_follow_window_ends_and_moving_out():
    # young: 30 days old at extraction -> hv1 (ends day 28) due, hv2 (82) and cv1 (152) not.
    # moved: moved out on day 100 -> hv1 and hv2 due, cv1 not. Neither has visits.
    young = pd.Timestamp(EXTRACTION) - pd.Timedelta(days=30)
    kids = {"young": (young, None), "moved": (BORN, BORN + pd.Timedelta(days=100))}
    result = programme_dose(children_frame(kids), visits([]), PROGRAMME, EXTRACTION)
    assert result["contacts_due"].tolist() == [1, 2]
    assert result["contact_cv1_due"].tolist() == [False, False]
    assert result["contacts_received"].tolist() == [0, 0]
    # neither is due every contact, so "all contacts" is not theirs to fail: <NA> with a reason
    assert result["all_contacts"].isna().all()
    assert result["all_contacts_excluded"].tolist() == ["not_reached_age", "moved_out"]


def test_all_contacts_counts_only_children_due_every_contact():
    # The last window end is cv1's 152 days. "due" is 152 days old at extraction (that day
    # included) and missed cv1: a real failure. "short" is 151 days old, has hv1 and hv2 and
    # no cv1 yet: not a failure. "complete_early" had all three by 130 days but is 140 days
    # old: not yet due, so outside the denominator (<NA>) although complete, as a child
    # vaccinated at 18 months is outside a 24-month indicator until it is 24 months old.
    births = {"due": 152, "short": 151, "complete_early": 140}
    kids = {child: (pd.Timestamp(EXTRACTION) - pd.Timedelta(days=age), None)
            for child, age in births.items()} | {"done": (BORN, None)}
    hv1, hv2, cv1 = ((10, "home", BOTH), (61, "home", BOTH), (122, "clinic", "bvc_nurse"))
    frame = visits([(child, age, kind, "done", professions, "mother", False)
                    for child, received in (("due", (hv1, hv2)), ("short", (hv1, hv2)),
                                            ("complete_early", (hv1, hv2, cv1)),
                                            ("done", (hv1, hv2, cv1)))
                    for age, kind, professions in received])
    # visits() dates visits from BORN; date each from its own child's birth
    frame["visit_date"] += frame["child_id"].map({child: birth - BORN for child, (birth, _) in kids.items()})
    result = programme_dose(children_frame(kids), frame, PROGRAMME, EXTRACTION)
    assert result["contacts_received"].tolist() == [2, 2, 3, 3]
    assert [None if value is pd.NA else bool(value) for value in result["all_contacts"]] == [
        False, None, None, True]
    assert [None if value is pd.NA else value for value in result["all_contacts_excluded"]] == [
        None, "not_reached_age", "not_reached_age", None]


def test_tie_prefers_the_visit_on_time_then_the_earlier():
    # Visits at 15 (mother) and 25 (father) are both 5 days from the target 20.
    # Window 20–40: only 25 is on time, so 25 is matched (father, on time).
    # Window 10–40: both on time, so the earlier, 15, is matched (mother).
    frame = visits([("tie", 15, "home", "done", None, "mother", None),
                    ("tie", 25, "home", "done", None, "father", None)])
    for window, parent in (((20, 40), "contacts_father"), ((10, 40), "contacts_mother")):
        programme = Programme(name="tie", contacts=(Contact(
            id="hv", kind="home", target_age_days=20, window_days=window, professions=()),))
        result = programme_dose(children_frame({"tie": (BORN, None)}), frame, programme,
                                EXTRACTION).loc["tie"]
        assert result["contact_hv_on_time"] and result["contacts_extra"] == 1
        assert result[parent] == 1, window


def test_home_catchments_are_not_split_by_clinic_contacts():
    # Skäggetorp: home hv3 (122) is followed by clinic cv1 (183) and home hv4 (243); the
    # home catchment boundary is the midpoint of 122 and 243.
    bounds = catchments(Programme.model_validate(load_preset("skaggetorp")))
    assert bounds["hv3_4m"] == ((61 + 122) / 2, (122 + 243) / 2)
    assert bounds["cv1_6m"] == (0.0, (183 + 548) / 2)
    assert bounds["cv2_18m"] == ((183 + 548) / 2, 593 + 90.5)
