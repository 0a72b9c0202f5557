"""Cohort base: eligibility, groups under each design, flow and fidelity on hand-made children."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from studykit import write_study

from pipeline.config import load_study
from pipeline.stages.cohort import (
    build_cohort,
    cohort_base,
    cohort_from_events,
    fidelity_table,
    flow_table,
    indicator_table,
)

# programme_start 2021-01-01 for these tests; born_from 2020-01-01, born_to 2023-12-31
CHILDREN = pd.DataFrame({
    "child_id": ["a", "b", "c", "d", "e", "f", "g"],
    "birth_date": pd.to_datetime(["2021-02-01", "2020-06-01", "2021-03-01", "2020-05-01",
                                  "2021-04-01", "2019-06-01", "2021-05-01"]),
    "area": ["Norrby", "Norrby", "Söderby", "Söderby", "Norrby", "Norrby", "Elsewhere"],
    "first_child": pd.array([True, True, False, True, None, True, True], dtype="boolean"),
    "first_child_in_sweden": pd.array([False, False, True, False, None, False, False], dtype="boolean"),
    "moved_out_date": pd.to_datetime([None, "2022-01-01", None, None, None, None, None]),
    "offered_date": pd.to_datetime(["2021-02-10", None, None, None, None, None, None]),
    "accepted": pd.array([True, None, None, None, None, None, None], dtype="boolean"),
    **{c: None for c in ("mother_region", "education", "mother_age", "interpreter_needed", "child_sex",
                         "birth_weight_g", "gestational_weeks")},
})


@pytest.fixture
def study(tmp_path: Path):
    def make(kind: str):
        design = {"type": kind, "intervention_areas": ["Norrby"],
                  "comparison_areas": [] if kind == "historical" else ["Söderby"],
                  "programme_start": "2021-01-01", "born_from": "2020-01-01", "born_to": "2023-12-31"}
        return load_study(write_study(tmp_path / kind, {}, study={"design": design}))
    return make


def test_eligibility_either_flag_and_unknown(study) -> None:
    base = cohort_base(study("did"), CHILDREN).set_index("child_id")
    # c is eligible only as a first child in Sweden; e has both flags missing: unknown, not eligible
    assert base["eligible"].to_dict() == {"a": True, "b": True, "c": True, "d": True, "e": False,
                                          "f": True, "g": True}
    assert base.loc["e", "eligibility_unknown"] and not base.loc["a", "eligibility_unknown"]
    # f born before born_from, g in an area outside the design: not in the study
    assert base["in_study"].to_dict() == {"a": True, "b": True, "c": True, "d": True, "e": False,
                                          "f": False, "g": False}


def test_groups_under_each_design(study) -> None:
    expected = {
        "concurrent": {"a": "intervention", "b": None, "c": "comparison", "d": None},
        "historical": {"a": "intervention", "b": "comparison", "c": None, "d": None},
        "did": {"a": "intervention", "b": "intervention_pre", "c": "comparison", "d": "comparison_pre"},
    }
    for kind, groups in expected.items():
        base = cohort_base(study(kind), CHILDREN).set_index("child_id")
        got = {child: (None if pd.isna(value) else value) for child, value in base["group"].items()
               if child in groups}
        assert got == groups, kind
        assert base["group"].equals(base[f"group_{kind}"])
    did = cohort_base(study("did"), CHILDREN).set_index("child_id")
    assert did.loc["a", "exposed"] and not did.loc["b", "exposed"] and not did.loc["c", "exposed"]


def test_flow_steps_are_nested(study) -> None:
    base = cohort_base(study("did"), CHILDREN)
    base["any_contact"] = [True, True, True, False, True, False, False]  # b, e had contacts but
    base["all_contacts"] = pd.array([False, True, False, False, True, None, None],  # never
                                    dtype="boolean")  # accepted; <NA>: not due every contact
    flow = flow_table(base)
    steps = flow[flow["area"] == "all"].set_index("step")["children"].to_dict()
    # born from the start in intervention areas: a, e (born 2021-04-01); eligible: a only
    assert steps == {"born_in_intervention_areas": 2, "eligible": 1, "offered": 1, "accepted": 1,
                     "at_least_one_contact": 1, "due_all_contacts": 1, "all_planned_contacts": 0}


def test_fidelity_shares(study) -> None:
    base = cohort_base(study("did"), CHILDREN)
    dose = {"contacts_due": 6, "contacts_received": 4, "contacts_on_time": 3, "contacts_joint": 2,
            "contacts_interpreter": 1, "contacts_mother": 4, "contacts_father": 2, "contacts_both": 2,
            "contacts_extra": 1}
    for column, value in dose.items():
        base[column] = [value] + [0] * (len(base) - 1)
    fidelity = fidelity_table(base, 6)
    values = fidelity[fidelity["area"] == "all"].set_index("measure")["value"].to_dict()
    assert values["children"] == 1 and values["share_of_due_received"] == pytest.approx(4 / 6, abs=1e-4)
    assert values["share_received_on_time"] == 0.75 and values["share_joint"] == 0.5
    assert values["share_with_father"] == 0.5


def test_the_share_received_is_of_the_contacts_due_and_says_so(study) -> None:
    """A child old enough for 4 of the programme's 6 contacts, who received 3: 3 of the 4 due
    (75 %), not of the 6 planned (50 %), and the report's row says "due" (a review read "Share of
    planned contacts received 86 %" beside 6 planned and 4.7 received per child: 79 % of those)."""
    from pipeline.text.labels import label

    base = cohort_base(study("did"), CHILDREN)
    for column in ("contacts_due", "contacts_received", "contacts_on_time", "contacts_joint",
                   "contacts_interpreter", "contacts_mother", "contacts_father", "contacts_both",
                   "contacts_extra"):
        base[column] = [{"contacts_due": 4, "contacts_received": 3}.get(column, 0)] + [0] * (len(base) - 1)
    fidelity = fidelity_table(base, 6)
    values = fidelity[fidelity["area"] == "all"].set_index("measure")["value"].to_dict()
    assert values["contacts_planned_per_child"] == 6 and values["share_of_due_received"] == 0.75
    assert label("fidelity", "share_of_due_received", "en") == "Share of contacts due that were received"
    assert label("fidelity", "share_of_due_received", "sv") == (
        "Andel av kontakterna som borde ha skett som genomförts")  # "Kontakter som borde ha skett"
    assert label("fidelity", "contacts_due", "sv") == "Kontakter som borde ha skett"


def test_indicator_table_wilson_and_small_cells() -> None:
    cohort = pd.DataFrame({"group": ["intervention"] * 10 + ["comparison"] * 10, "area": ["X"] * 20})
    for column in ("bf_any_1w",):
        cohort[column] = pd.array([True] * 8 + [False] * 2 + [True] * 5 + [False] * 5, dtype="boolean")
    from pipeline.indicators import INDICATORS
    for indicator in INDICATORS:
        if indicator.kind == "binary" and indicator.id not in cohort:
            cohort[indicator.id] = pd.array([None] * 20, dtype="boolean")
    cohort["vacc_mmr1_age_days"] = float("nan")
    cohort["bf_duration_censoring"] = pd.array([None] * 20, dtype="string")
    table = indicator_table(cohort)
    row = table[(table["indicator"] == "bf_any_1w") & (table["group"] == "intervention")
                & (table["area"] == "all")].iloc[0]
    # Wilson 95% interval for 8/10: 0.4902 to 0.9433 (Newcombe 1998, method 3 formula)
    assert (row["n_denominator"], row["n_numerator"]) == (10, 8)
    assert row["ci_low"] == pytest.approx(0.4902, abs=1e-4)
    assert row["ci_high"] == pytest.approx(0.9433, abs=1e-4)
    # published: 2 children without the outcome is below min_cell, so 8 and the share are hidden
    # (8 is not small itself: it is blanked, not shown as "<5")
    from pipeline.publish import publish_table
    published = publish_table("indicators", table, 5)
    row = published[(published["indicator"] == "bf_any_1w") & (published["group"] == "intervention")
                    & (published["area"] == "all")].iloc[0]
    assert row["suppressed"] and pd.isna(row["n_numerator"]) and pd.isna(row["proportion"])
    other = published[(published["indicator"] == "bf_any_1w") & (published["group"] == "comparison")
                      & (published["area"] == "all")].iloc[0]
    assert not other["suppressed"] and int(other["n_numerator"]) == 5


# --- the whole cohort on hand-made tables: flow that honours age, language per child ------------

EXTRACTION = pd.Timestamp("2024-06-30")  # studykit's extraction date
LAST_WINDOW_END = 501  # Rinkeby (studykit's programme): hv6_15m's window ends at 501 days
RINKEBY_TARGETS = (10, 61, 122, 243, 335, 456)  # the six home contacts' target ages, days


def children_table(rows: dict[str, dict]) -> pd.DataFrame:
    """Clean children: eligible first children in Norrby, offered and accepting, unless a row
    says otherwise (birth_date, moved_out_date, accepted, area)."""
    def column(name: str, default: object) -> list:
        return [row.get(name, default) for row in rows.values()]
    return pd.DataFrame({
        "child_id": list(rows),
        "birth_date": pd.to_datetime(column("birth_date", None)),
        "area": column("area", "Norrby"),
        "first_child": pd.array([True] * len(rows), dtype="boolean"),
        "first_child_in_sweden": pd.array([False] * len(rows), dtype="boolean"),
        "moved_out_date": pd.to_datetime(column("moved_out_date", None)),
        "offered_date": pd.to_datetime(column("birth_date", None)),
        "accepted": pd.array(column("accepted", True), dtype="boolean"),
        **{c: None for c in ("mother_region", "education", "mother_age", "interpreter_needed",
                             "child_sex", "birth_weight_g", "gestational_weeks")},
    })


def home_visits(children: pd.DataFrame, ages: dict[str, tuple[int, ...]]) -> pd.DataFrame:
    """Done joint home visits at the given ages (days) per child."""
    birth = children.set_index("child_id")["birth_date"]
    rows = [(child, birth[child] + pd.Timedelta(days=age)) for child, child_ages in ages.items()
            for age in child_ages]
    return pd.DataFrame({
        "child_id": [child for child, _ in rows],
        "visit_date": pd.to_datetime([date for _, date in rows]),
        "visit_kind": "home", "visit_status": "done", "professions": "bvc_nurse|parental_advisor",
        "parents_present": "mother", "interpreter_used": pd.array([False] * len(rows), dtype="boolean"),
    })


def whole_cohort(study, children: pd.DataFrame, visits: pd.DataFrame | None = None,
                 language: pd.DataFrame | None = None) -> pd.DataFrame:
    """build_cohort with no breastfeeding or vaccination records."""
    return build_cohort(study, children,
                        home_visits(children, {}) if visits is None else visits,
                        no_assessments(), no_doses(),
                        screening_table([]) if language is None else language)


def no_assessments() -> pd.DataFrame:
    return pd.DataFrame({"child_id": pd.Series([], dtype="str"), "assessment_date": pd.to_datetime([]),
                         "bf_status": pd.Series([], dtype="str")})


def no_doses() -> pd.DataFrame:
    return pd.DataFrame({"child_id": pd.Series([], dtype="str"), "dose_date": pd.to_datetime([]),
                         "antigen": pd.Series([], dtype="str"),
                         "rota_series_doses": pd.Series([], dtype="Int64")})


def test_flow_counts_all_planned_contacts_only_among_children_due_every_contact(study) -> None:
    # Rinkeby's last contact window ends at 501 days. Every child is eligible, offered and
    # (but for "declined") accepting, born in Norrby after the programme start.
    old = "2022-01-01"  # 911 days old at extraction: due every contact
    on_the_day = (EXTRACTION - pd.Timedelta(days=LAST_WINDOW_END)).date().isoformat()
    day_after = (EXTRACTION - pd.Timedelta(days=LAST_WINDOW_END - 1)).date().isoformat()
    aged_460 = (EXTRACTION - pd.Timedelta(days=460)).date().isoformat()
    kids = {
        "old_all": {"birth_date": old},  # every contact: due, all
        "old_some": {"birth_date": old},  # three contacts: due, not all (a real shortfall)
        "on_the_day": {"birth_date": on_the_day},  # 501 days old on the extraction day: due
        "one_day_short": {"birth_date": day_after},  # 500 days: not yet due, not a failure
        "young": {"birth_date": "2023-12-01"},  # 212 days: not due
        "early_complete": {"birth_date": aged_460},  # all six by 460 days, but not yet due
        "moved_before": {"birth_date": old, "moved_out_date": "2023-04-01"},  # 455 days: not due
        "moved_on_the_day": {"birth_date": old, "moved_out_date": "2023-05-17"},  # 501: due
        "declined": {"birth_date": old, "accepted": False},
    }
    children = children_table(kids)
    every = RINKEBY_TARGETS
    visits = home_visits(children, {
        "old_all": every, "old_some": every[:3], "on_the_day": every[:1],
        "one_day_short": every, "young": every[:3], "early_complete": every,
        "moved_before": every[:5], "moved_on_the_day": every})
    cohort = whole_cohort(study("did"), children, visits).set_index("child_id")
    excluded = {child: None if pd.isna(reason) else reason
                for child, reason in cohort["all_contacts_excluded"].items()}
    assert excluded == {
        "old_all": None, "old_some": None, "on_the_day": None, "one_day_short": "not_reached_age",
        "young": "not_reached_age", "early_complete": "not_reached_age",
        "moved_before": "moved_out", "moved_on_the_day": None, "declined": None}

    flow = flow_table(cohort.reset_index())
    steps = flow[flow["area"] == "all"].set_index("step")
    assert steps["children"].to_dict() == {
        "born_in_intervention_areas": 9, "eligible": 9, "offered": 9, "accepted": 8,
        "at_least_one_contact": 8,
        # old_all, old_some, on_the_day, moved_on_the_day
        "due_all_contacts": 4,
        # old_all and moved_on_the_day; early_complete and one_day_short are not yet due
        "all_planned_contacts": 2}
    assert steps.loc["due_all_contacts", "share_of_previous"] == 0.5
    assert steps.loc["all_planned_contacts", "share_of_previous"] == 0.5
    assert flow["order"].tolist() == [1, 2, 3, 4, 5, 6, 7] * 2  # "all" and Norrby


def screening_table(rows: list[tuple[str, str, str, str, bool]]) -> pd.DataFrame:
    """(child, date, screening, result, referred) -> the clean language table."""
    return pd.DataFrame({
        "child_id": pd.Series([r[0] for r in rows], dtype="str"),
        "screening_date": pd.to_datetime([r[1] for r in rows]),
        "screening": pd.Series([r[2] for r in rows], dtype="str"),
        "result": pd.Series([r[3] for r in rows], dtype="str"),
        "referred_speech_therapist": pd.array([r[4] for r in rows], dtype="boolean"),
    })


LANGUAGE = ("lang_screened", "lang_no_deviation", "lang_referred")


def test_each_child_keeps_its_own_screening_whatever_its_area_mostly_had(study) -> None:
    # language_screening: any (studykit's default). Norrby screens mostly at 2.5 years
    # (a, b, c), Söderby mostly at 3 (e, f, g); d and h had the other area's type, i had both.
    # Before, d and h were counted as not screened: their area's majority type was imposed.
    born = "2021-02-01"  # 41 months old at extraction: not yet in the "any" denominator
    ripe = "2020-06-01"  # 48 months old: in it (30 months: 2022-12-01, 36: 2023-06-01)
    kids = {child: {"birth_date": ripe, "area": area} for child, area in (
        ("a", "Norrby"), ("b", "Norrby"), ("c", "Norrby"), ("d", "Norrby"), ("i", "Norrby"),
        ("none", "Norrby"), ("e", "Söderby"), ("f", "Söderby"), ("g", "Söderby"), ("h", "Söderby"))}
    kids["young"] = {"birth_date": born, "area": "Norrby"}
    children = children_table(kids)
    rows = [("a", "2022-12-10", "30m", "no_remark", False),
            ("b", "2022-12-10", "30m", "no_remark", False),
            ("c", "2022-12-10", "30m", "no_remark", False),
            ("d", "2023-06-10", "36m", "deviation", True),  # 3 years in a 2.5-year area
            ("i", "2022-12-10", "30m", "no_remark", False),  # both: the 3-year one counts
            ("i", "2023-06-10", "36m", "deviation", False),
            ("e", "2023-06-10", "36m", "no_remark", False),
            ("f", "2023-06-10", "36m", "no_remark", False),
            ("g", "2023-06-10", "36m", "no_remark", False),
            ("h", "2022-12-10", "30m", "deviation", True),  # 2.5 years in a 3-year area
            ("young", "2023-08-10", "30m", "no_remark", False)]
    cohort = whole_cohort(study("did"), children, language=screening_table(rows)).set_index("child_id")
    values = {child: tuple(None if pd.isna(cohort.at[child, c]) else bool(cohort.at[child, c])
                           for c in LANGUAGE) for child in cohort.index}
    assert values == {
        "a": (True, True, False), "b": (True, True, False), "c": (True, True, False),
        "d": (True, False, True), "i": (True, False, False), "none": (False, None, None),
        "e": (True, True, False), "f": (True, True, False), "g": (True, True, False),
        "h": (True, False, True),
        "young": (None, None, None)}  # 41 months: "any" waits for the 42-month birthday
    assert cohort.at["young", "lang_screened_excluded"] == "not_reached_age"

    # No child's result depends on another child's records: each alone gives the same.
    for child in cohort.index:
        alone = whole_cohort(study("did"), children,
                             language=screening_table([r for r in rows if r[0] == child]))
        assert alone.set_index("child_id").loc[child, list(LANGUAGE)].equals(
            cohort.loc[child, list(LANGUAGE)]), child


def test_a_cohort_of_event_tables_given_one_at_a_time_is_the_whole_cohort(study) -> None:
    # The cohort stage hands the event tables over one at a time (runner.CleanEvents): in any
    # order, the cohort's columns come in the parts' order; a table no part is computed from
    # is refused.
    kids = {"a": {"birth_date": "2020-06-01"}, "b": {"birth_date": "2023-12-01"}}  # 48, 7 months
    children = children_table(kids)
    visits = home_visits(children, {"a": RINKEBY_TARGETS[:2], "b": RINKEBY_TARGETS[:1]})
    language = screening_table([("a", "2022-12-10", "30m", "no_remark", False)])
    whole = whole_cohort(study("did"), children, visits, language)
    tables = {"language": language, "antigen_doses": no_doses(), "visits": visits,
              "breastfeeding": no_assessments()}
    one_at_a_time = cohort_from_events(study("did"), children, iter(tables.items()))
    assert one_at_a_time.equals(whole)
    assert one_at_a_time["contacts_received"].tolist() == [2, 1]
    assert one_at_a_time["lang_screened"].tolist()[0] and pd.isna(one_at_a_time.at[1, "lang_screened"])
    with pytest.raises(ValueError, match="no cohort part is computed from a table named 'costs'"):
        cohort_from_events(study("did"), children, [("costs", visits)])
