"""Breastfeeding indicators on hand-made children whose answers are known by construction.

The extraction date is 2024-06-30 throughout; ages are days since birth.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from pipeline.indicators import INDICATORS
from pipeline.indicators.breastfeeding import BINARY, breastfeeding_indicators

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
        assert result[f"{indicator}_filled"].dtype == "boolean"
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


@pytest.mark.parametrize(("age", "status", "expected"),
                         [(166, "partial", None), (167, "partial", True), (213, "none", False),
                          (214, "none", None)])
def test_window_bounds_of_6_months_are_inclusive(age, status, expected):
    # The 6-month window is 167–213 days. Outside it, an assessment that does not determine
    # the point ("any" before the window, "none" after it) leaves a child in follow-up
    # without an assessment: missing (no_assessment), not a failure.
    result = breastfeeding_indicators(children_frame({"c": (BORN, None)}),
                                      assessments([("c", BORN, age, status)]), EXTRACTION)
    assert result.loc["c", "bf_any_6m_filled"] is pd.NA
    if expected is None:
        assert result.loc["c", "bf_any_6m"] is pd.NA
        assert result.loc["c", "bf_any_6m_excluded"] == "no_assessment"
    else:
        assert result.loc["c", "bf_any_6m"] == expected
        assert result.loc["c", "bf_any_6m_excluded"] is pd.NA


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
    for indicator in BINARY:
        assert row[indicator] is pd.NA
        assert row[f"{indicator}_excluded"] == "no_assessment"
        assert row[f"{indicator}_filled"] is pd.NA
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


def point_values(result: pd.DataFrame, child: str, *indicators: str) -> list[tuple]:
    """(value, exclusion reason, filled value), None for <NA>, of a child's indicators."""
    row = result.loc[child]
    return [(None if row[i] is pd.NA else bool(row[i]),
             None if row[f"{i}_excluded"] is pd.NA else row[f"{i}_excluded"],
             None if row[f"{i}_filled"] is pd.NA else bool(row[f"{i}_filled"]))
            for i in indicators]


def test_a_later_any_before_any_none_fills_the_points_between_with_yes():
    # Breastfed at 1 week and at 6 months, nothing at 2 and 4 months: with no relactation
    # it was breastfed all along, so any at 2 and 4 months is filled yes (the indicator
    # itself stays missing). Exclusive is not filled from "any" (a partial status says
    # nothing of exclusivity before it).
    kids = {"gap": (BORN, None), "after_only": (BORN, None)}
    rows = [("gap", BORN, 7, "exclusive"), ("gap", BORN, 183, "partial"),
            # the 1-week window has nothing before it: a later "any" is all that fills it
            ("after_only", BORN, 61, "predominant")]
    result = breastfeeding_indicators(children_frame(kids), assessments(rows), EXTRACTION)
    assert point_values(result, "gap", "bf_any_1w", "bf_any_2m", "bf_any_4m", "bf_any_6m",
                        "bf_any_12m") == [(True, None, None), (None, "no_assessment", True),
                                          (None, "no_assessment", True), (True, None, None),
                                          (None, "no_assessment", None)]
    assert point_values(result, "gap", "bf_excl_2m", "bf_excl_4m") == [
        (None, "no_assessment", None)] * 2
    assert point_values(result, "after_only", "bf_any_1w") == [(None, "no_assessment", True)]


def test_an_earlier_none_fills_the_later_points_with_no():
    # Weaned at 2 months and not assessed again: no breastfeeding, exclusive or any, at
    # every later point, filled; the 2-month point itself is assessed, not filled.
    result = breastfeeding_indicators(children_frame({"weaned": (BORN, None)}),
                                      assessments([("weaned", BORN, 7, "partial"),
                                                   ("weaned", BORN, 61, "none")]), EXTRACTION)
    assert point_values(result, "weaned", "bf_any_2m", "bf_any_4m", "bf_any_6m", "bf_any_12m",
                        "bf_excl_2m", "bf_excl_4m") == [
        (False, None, None), (None, "no_assessment", False), (None, "no_assessment", False),
        (None, "no_assessment", False), (False, None, None), (None, "no_assessment", False)]


def test_what_the_assessments_do_not_determine_stays_missing():
    kids = {name: (BORN, None) for name in ("relactation", "weaned_between", "exclusive_later",
                                            "partial_earlier")}
    rows = [
        # "none" at 2 months, "partial" at 6 months: relactation, so the "none" fills nothing
        # and the "partial" (after a "none") fills nothing either
        ("relactation", BORN, 7, "exclusive"), ("relactation", BORN, 61, "none"),
        ("relactation", BORN, 183, "partial"),
        # "any" at 2 months, "none" at 6 months: weaned somewhere between, 4 months unknown
        ("weaned_between", BORN, 61, "partial"), ("weaned_between", BORN, 183, "none"),
        # exclusive at 1 week and 4 months: exclusive at 2 months is not filled (it can stop
        # and restart), any at 2 months is
        ("exclusive_later", BORN, 7, "exclusive"), ("exclusive_later", BORN, 122, "exclusive"),
        # partial at 1 week, none later: exclusive at 2 months is not filled as no (early
        # supplements often stop), any at 2 months is not determined
        ("partial_earlier", BORN, 7, "partial"),
    ]
    result = breastfeeding_indicators(children_frame(kids), assessments(rows), EXTRACTION)
    missing = (None, "no_assessment", None)
    assert point_values(result, "relactation", "bf_any_4m", "bf_any_12m", "bf_excl_4m") == [
        missing] * 3
    assert result.loc["relactation", "bf_relactation"]
    assert point_values(result, "weaned_between", "bf_any_4m", "bf_excl_4m") == [missing] * 2
    assert point_values(result, "exclusive_later", "bf_any_2m", "bf_excl_2m") == [
        (None, "no_assessment", True), missing]
    assert point_values(result, "partial_earlier", "bf_any_2m", "bf_excl_2m") == [missing] * 2


def test_children_outside_the_denominator_are_never_filled():
    # Weaned at 2 months. One child is 200 days old at extraction: 4 months (window end 143)
    # is filled, 6 months (213) is not reached. One moved out at day 150: 6 months is
    # moved_out though the "none" would determine it.
    young = days_before_extraction(200)
    kids = {"young": (young, None), "moved": (BORN, BORN + pd.Timedelta(days=150))}
    rows = [("young", young, 61, "none"), ("moved", BORN, 61, "none")]
    result = breastfeeding_indicators(children_frame(kids), assessments(rows), EXTRACTION)
    for child in kids:
        assert point_values(result, child, "bf_any_4m") == [(None, "no_assessment", False)]
    assert point_values(result, "young", "bf_any_6m", "bf_any_12m") == [
        (None, "not_reached_age", None)] * 2
    assert point_values(result, "moved", "bf_any_6m", "bf_any_12m") == [
        (None, "moved_out", None)] * 2


def test_unknown_status_is_an_error_naming_the_values():
    with pytest.raises(ValueError, match="helt ammad"):
        breastfeeding_indicators(children_frame({"a": (BORN, None)}),
                                 assessments([("a", BORN, 7, "helt ammad")]), EXTRACTION)
