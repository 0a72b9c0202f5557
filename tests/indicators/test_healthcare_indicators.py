"""Healthcare use and dental health (issue 13) on hand-made children whose answers are known by
construction: person-time cut by the 24-month birthday, moving out and the extraction date, and
the dental examination nearest 3 years."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
from studykit import write_study

from pipeline.config import load_study
from pipeline.errors import ConfigError
from pipeline.indicators import indicator, present
from pipeline.indicators.healthcare import care_indicators, dental_indicators


def children_frame(rows: dict[str, tuple[str, str | None]]) -> pd.DataFrame:
    """child_id -> (birth date, moved-out date or None)."""
    return pd.DataFrame({
        "child_id": pd.Series(list(rows), dtype="str"),
        "birth_date": pd.to_datetime([birth for birth, _ in rows.values()]),
        "moved_out_date": pd.to_datetime([moved for _, moved in rows.values()]),
    })


CARE_CHILDREN = children_frame({
    "A": ("2021-01-01", None),  # followed to its 24-month birthday, 2023-01-01: 730 days
    "B": ("2022-01-15", "2022-07-15"),  # moved out: followed 2022-01-15 to 2022-07-15, 181 days
    "C": ("2023-03-10", None),  # extraction 2024-06-30 (that day counted): 479 days
    "D": ("2021-06-01", None),  # no contacts: 730 days, 0 contacts
})
CONTACTS = pd.DataFrame({
    "child_id": ["A", "A", "A", "A", "A", "B", "B", "B", "C", "Z"],
    "contact_date": pd.to_datetime(["2021-03-01", "2022-12-31", "2023-01-01", "2021-05-01", "2022-01-10",
                                    "2022-03-01", "2022-07-15", "2022-08-01", "2024-06-30", "2022-01-01"]),
    "care_type": ["emergency", "emergency", "emergency", "primary", "inpatient",
                  "emergency", "emergency", "emergency", "emergency", "emergency"],
})


def test_person_time_and_emergency_contacts_by_hand() -> None:
    result = care_indicators(CARE_CHILDREN, CONTACTS, dt.date(2024, 6, 30))
    # A: 2021-03-01 and 2022-12-31 count; 2023-01-01 is the 24-month birthday itself, not followed
    # B: 2022-03-01 counts; the moving-out day and after do not. C: the extraction day counts.
    assert result["care_emergency_contacts_24m"].tolist() == [2, 1, 1, 0]
    assert result["care_followup_years_24m"].tolist() == pytest.approx(
        [730 / 365.25, 181 / 365.25, 479 / 365.25, 730 / 365.25])
    # the crude rate per child-year: 4 contacts over 2,120 days
    rate = result["care_emergency_contacts_24m"].sum() / result["care_followup_years_24m"].sum()
    assert rate == pytest.approx(4 / (2120 / 365.25))


def test_binary_care_indicators_need_the_whole_two_years() -> None:
    result = care_indicators(CARE_CHILDREN, CONTACTS, dt.date(2024, 6, 30))
    assert result["care_any_emergency_24m"].tolist() == [True, pd.NA, pd.NA, False]
    assert result["care_any_emergency_24m_excluded"].tolist() == [pd.NA, "moved_out", "not_reached_age",
                                                                  pd.NA]
    assert result["care_inpatient_24m"].tolist() == [True, pd.NA, pd.NA, False]


DENTAL_CHILDREN = children_frame({
    "E": ("2021-01-01", None),  # 30 months 2023-07-01, 36 months 2024-01-01, 48 months 2025-01-01
    "F": ("2021-02-01", None),  # booked, not examined
    "G": ("2021-03-15", None),
    "H": ("2022-01-01", None),  # 48 months on 2026-01-01, after the extraction; not examined yet
    "I": ("2021-01-01", "2024-06-01"),  # examined after 36 months, then moved out
    "J": ("2022-01-01", None),  # examined at 34 months only: a later examination might be nearer
    "K": ("2022-01-01", None),  # examined at 37 months: no later examination can be nearer
    "L": ("2021-01-01", "2024-06-01"),  # moved out before 48 months, examined only at 33 months
})
EXAMS = pd.DataFrame({
    "child_id": ["E", "E", "E", "F", "G", "I", "J", "K", "L"],
    "exam_date": pd.to_datetime(["2023-06-30", "2023-12-01", "2024-02-01", "2024-02-01", "2024-03-20",
                                 "2024-01-05", "2024-11-15", "2025-02-01", "2023-10-01"]),
    "deft": pd.array([5, 0, 2, None, 0, 3, 1, 4, 2], dtype="Int64"),
    "examined": pd.array([True, True, None, False, True, True, True, True, True], dtype="boolean"),
})


def test_the_examination_nearest_three_years() -> None:
    result = dental_indicators(DENTAL_CHILDREN, EXAMS, dt.date(2025, 6, 30))
    # E: 2023-06-30 is before the 30-month birthday; 2023-12-01 and 2024-02-01 are both 31 days
    # from the 36-month birthday, so the later is used: deft 2
    def values(column: str) -> list:
        return result[column].astype(object).where(result[column].notna(), None).tolist()
    assert values("dental_deft_3y") == [2, None, 0, None, 3, None, 4, None]
    assert values("dental_caries_3y") == [True, None, False, None, True, None, True, None]
    assert result["dental_caries_3y_excluded"].fillna("").tolist() == [
        "", "no_assessment", "", "not_reached_age", "", "not_reached_age", "", "moved_out"]


def test_indicators_of_an_export_not_given_are_not_present() -> None:
    care = care_indicators(CARE_CHILDREN, CONTACTS, dt.date(2024, 6, 30))
    core = {i.id for i in present(["bf_any_6m"]) if i.source is not None}
    assert core == set()
    with_care = {i.id for i in present(care.columns) if i.source is not None}
    assert with_care == {"care_emergency_rate_24m", "care_any_emergency_24m", "care_inpatient_24m"}
    assert indicator("care_emergency_rate_24m").columns == ("care_emergency_contacts_24m",
                                                           "care_followup_years_24m")


def test_a_primary_indicator_of_an_export_not_given_is_refused(tmp_path) -> None:
    study = {"primary_indicators": ["vacc_mmr1_24m", "dental_caries_3y"]}
    with pytest.raises(ConfigError, match="'dental_caries_3y' is computed from the export 'tandhalsa' "
                                          r"\(dental\), which `inputs:` does not name"):
        load_study(write_study(tmp_path / "s", {}, study=study))
