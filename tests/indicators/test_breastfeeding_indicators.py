"""Breastfeeding indicators on hand-made children whose answers are known by construction.

The extraction date is 2024-06-30 throughout; ages are days since birth.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from pipeline.indicators import INDICATORS
from pipeline.indicators.breastfeeding import breastfeeding_indicators

EXTRACTION = dt.date(2024, 6, 30)
BORN = pd.Timestamp("2023-01-01")  # about 18 months old at extraction: every point reached


def children_frame(rows: dict[str, tuple[pd.Timestamp, pd.Timestamp | None]]) -> pd.DataFrame:
    """child_id -> (birth date, moved-out date or None)."""
    return pd.DataFrame({
        "child_id": pd.Series(list(rows), dtype="str"),
        "birth_date": pd.to_datetime([birth for birth, _ in rows.values()]),
        "moved_out_date": pd.to_datetime([moved for _, moved in rows.values()]),
    })


def assessments(rows: list[tuple[str, pd.Timestamp, int, str]]) -> pd.DataFrame:
    """(child, birth date, age in days, status) -> the clean breastfeeding table."""
    return pd.DataFrame({
        "child_id": pd.Series([r[0] for r in rows], dtype="str"),
        "assessment_date": pd.to_datetime([r[1] + pd.Timedelta(days=r[2]) for r in rows]),
        "bf_status": pd.Series([r[3] for r in rows], dtype="str"),
    })


def days_before_extraction(days: int) -> pd.Timestamp:
    return pd.Timestamp(EXTRACTION) - pd.Timedelta(days=days)


def test_one_row_per_child_with_every_binary_indicator_and_its_exclusion():
    result = breastfeeding_indicators(children_frame({"a": (BORN, None), "b": (BORN, None)}),
                                      assessments([("a", BORN, 7, "exclusive")]), EXTRACTION)
    binary = [i.id for i in INDICATORS if i.family == "breastfeeding" and i.kind == "binary"]
    assert list(result.index) == ["a", "b"] and result.index.name == "child_id"
    for indicator in binary:
        assert result[indicator].dtype == "boolean"
        assert f"{indicator}_excluded" in result
    assert {"bf_duration_left_days", "bf_duration_right_days", "bf_duration_censoring",
            "bf_relactation"} <= set(result.columns)


def test_denominator_needs_the_window_end_reached_and_no_move_before_it():
    # bf_any_6m's window ends at day 213. Each child has a partial assessment at day 183.
    on_day = days_before_extraction(213)  # 213 days old on the extraction date: reached
    short = days_before_extraction(212)  # 212 days old: one day short
    over = days_before_extraction(214)  # 214 days old: reached a day earlier
    kids = {
        "reached_on_extraction": (on_day, None),
        "one_day_short": (short, None),
        "one_day_over": (over, None),
        "moved_day_212": (BORN, BORN + pd.Timedelta(days=212)),  # moved before the end: out
        "moved_day_213": (BORN, BORN + pd.Timedelta(days=213)),  # moved on the end day: in
        "moved_and_young": (short, short + pd.Timedelta(days=100)),  # both: moved_out wins
    }
    rows = [(child, birth, 183, "partial") for child, (birth, _) in kids.items()]
    result = breastfeeding_indicators(children_frame(kids), assessments(rows), EXTRACTION)
    expected = {"reached_on_extraction": (True, None), "one_day_short": (None, "not_reached_age"),
                "one_day_over": (True, None), "moved_day_212": (None, "moved_out"),
                "moved_day_213": (True, None), "moved_and_young": (None, "moved_out")}
    for child, (value, reason) in expected.items():
        got = result.loc[child, "bf_any_6m"]
        assert (got is pd.NA) if value is None else got == value, child
        got_reason = result.loc[child, "bf_any_6m_excluded"]
        assert (got_reason is pd.NA) if reason is None else got_reason == reason, child


@pytest.mark.parametrize(("age", "in_window"),
                         [(166, False), (167, True), (213, True), (214, False)])
def test_window_bounds_of_6_months_are_inclusive(age, in_window):
    # The 6-month window is 167–213 days. An assessment outside it leaves a child in
    # follow-up without an assessment: missing (no_assessment), not a failure.
    result = breastfeeding_indicators(children_frame({"c": (BORN, None)}),
                                      assessments([("c", BORN, age, "partial")]), EXTRACTION)
    if in_window:
        assert result.loc["c", "bf_any_6m"] == True  # noqa: E712 (a pandas scalar)
        assert result.loc["c", "bf_any_6m_excluded"] is pd.NA
    else:
        assert result.loc["c", "bf_any_6m"] is pd.NA
        assert result.loc["c", "bf_any_6m_excluded"] == "no_assessment"


def test_closest_assessment_to_the_nominal_age_wins_and_a_tie_goes_to_the_later():
    # 6 months: nominal day 183.
    # closest: none at 170 (13 days off) and exclusive at 190 (7 off) -> 190 -> True.
    # tie_later_yes: none at 180 and partial at 186, both 3 days off -> the later -> True.
    # tie_later_no: partial at 180 and none at 186 -> the later (none) -> False.
    kids = {"closest": (BORN, None), "tie_later_yes": (BORN, None), "tie_later_no": (BORN, None)}
    rows = [("closest", BORN, 170, "none"), ("closest", BORN, 190, "exclusive"),
            ("tie_later_yes", BORN, 180, "none"), ("tie_later_yes", BORN, 186, "partial"),
            ("tie_later_no", BORN, 180, "partial"), ("tie_later_no", BORN, 186, "none")]
    result = breastfeeding_indicators(children_frame(kids), assessments(rows), EXTRACTION)
    assert result["bf_any_6m"].tolist() == [True, True, False]


def test_exclusive_means_exclusive_only_and_any_includes_predominant_and_partial():
    kids = {status: (BORN, None) for status in ("exclusive", "predominant", "partial", "none")}
    rows = [(status, BORN, 61, status) for status in kids]
    result = breastfeeding_indicators(children_frame(kids), assessments(rows), EXTRACTION)
    assert result["bf_any_2m"].tolist() == [True, True, True, False]
    assert result["bf_excl_2m"].tolist() == [True, False, False, False]


def test_child_without_any_assessment_is_missing_not_a_failure():
    # In follow-up at every point, no assessment at all: every point <NA> no_assessment,
    # and the weaning age is unknown (no bounds, no censoring kind).
    result = breastfeeding_indicators(children_frame({"none_recorded": (BORN, None)}),
                                      assessments([]), EXTRACTION)
    row = result.loc["none_recorded"]
    for indicator in ("bf_any_1w", "bf_any_2m", "bf_any_4m", "bf_any_6m", "bf_any_12m",
                      "bf_excl_2m", "bf_excl_4m"):
        assert row[indicator] is pd.NA
        assert row[f"{indicator}_excluded"] == "no_assessment"
    assert np.isnan(row["bf_duration_left_days"]) and np.isnan(row["bf_duration_right_days"])
    assert row["bf_duration_censoring"] is pd.NA
    assert not row["bf_relactation"]


def test_feb_29_birth_counts_ages_in_days():
    # Born 2020-02-29; an assessment on 2020-03-07 is day 7 (1-week window) and
    # 2020-08-29 is day 182 (6-month window).
    leap = pd.Timestamp("2020-02-29")
    frame = pd.DataFrame({"child_id": pd.Series(["leap", "leap"], dtype="str"),
                          "assessment_date": pd.to_datetime(["2020-03-07", "2020-08-29"]),
                          "bf_status": pd.Series(["exclusive", "none"], dtype="str")})
    result = breastfeeding_indicators(children_frame({"leap": (leap, None)}), frame, EXTRACTION)
    assert result.loc["leap", "bf_any_1w"] == True  # noqa: E712
    assert result.loc["leap", "bf_any_6m"] == False  # noqa: E712
    assert (result.loc["leap", "bf_duration_left_days"],
            result.loc["leap", "bf_duration_right_days"]) == (7, 182)


def test_weaning_age_is_interval_or_right_censored():
    kids = {name: (BORN, None) for name in ("weaned", "never", "still", "relactation")}
    rows = [
        # weaned between the last "yes" (61) and the first "no" (122): interval (61, 122]
        ("weaned", BORN, 7, "exclusive"), ("weaned", BORN, 61, "partial"),
        ("weaned", BORN, 122, "none"), ("weaned", BORN, 183, "none"),
        # "no" at the first assessment (day 7): interval (0, 7]
        ("never", BORN, 7, "none"),
        # still breastfed at the last assessment (183): right-censored at 183
        ("still", BORN, 7, "exclusive"), ("still", BORN, 61, "exclusive"),
        ("still", BORN, 183, "partial"),
        # "yes" after the first "no" is ignored for the interval (7, 61] and flagged
        ("relactation", BORN, 7, "exclusive"), ("relactation", BORN, 61, "none"),
        ("relactation", BORN, 122, "partial"),
    ]
    result = breastfeeding_indicators(children_frame(kids), assessments(rows), EXTRACTION)
    assert result["bf_duration_left_days"].tolist() == [61, 0, 183, 7]
    right = result["bf_duration_right_days"]
    assert right[["weaned", "never", "relactation"]].tolist() == [122, 7, 61]
    assert np.isnan(right["still"])
    assert result["bf_duration_censoring"].tolist() == ["interval", "interval", "right", "interval"]
    assert result["bf_relactation"].tolist() == [False, False, False, True]


def test_unknown_status_is_an_error_naming_the_values():
    with pytest.raises(ValueError, match="helt ammad"):
        breastfeeding_indicators(children_frame({"a": (BORN, None)}),
                                 assessments([("a", BORN, 7, "helt ammad")]), EXTRACTION)
