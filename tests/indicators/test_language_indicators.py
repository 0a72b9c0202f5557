"""Language indicators on hand-made children whose answers are known by construction.

The extraction date is 2024-06-30 throughout. Children born 2020-06-01 are 48 months old
then: past every screening window.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from pipeline.indicators.language import language_indicators

EXTRACTION = dt.date(2024, 6, 30)
BORN = "2020-06-01"  # 30 months: 2022-12-01, 36 months: 2023-06-01, 42 months: 2023-12-01


def children_frame(rows: dict[str, tuple[str, str | None]]) -> pd.DataFrame:
    """child_id -> (birth date, moved-out date or None)."""
    return pd.DataFrame({
        "child_id": pd.Series(list(rows), dtype="str"),
        "birth_date": pd.to_datetime([birth for birth, _ in rows.values()]),
        "moved_out_date": pd.to_datetime([moved for _, moved in rows.values()]),
    })


def screenings(rows: list[tuple[str, str, str, str, bool | None]]) -> pd.DataFrame:
    """(child, date, screening, result, referred) -> the clean language table."""
    return pd.DataFrame({
        "child_id": pd.Series([r[0] for r in rows], dtype="str"),
        "screening_date": pd.to_datetime([r[1] for r in rows]),
        "screening": pd.Series([r[2] for r in rows], dtype="str"),
        "result": pd.Series([r[3] for r in rows], dtype="str"),
        "referred_speech_therapist": pd.array([r[4] for r in rows], dtype="boolean"),
    })


def cells(result: pd.DataFrame, column: str) -> list[bool | str | None]:
    """A column as plain Python values (None for <NA>)."""
    return [None if v is pd.NA else (v if isinstance(v, str) else bool(v)) for v in result[column]]


def test_denominator_is_the_window_end_of_the_latest_screening_in_use():
    # "any" and "36m": the 42-month birthday. 2020-12-30 + 42 months = 2024-06-30 (reached
    # on the extraction day); 2020-12-31 + 42 months is clipped to 2024-06-30 as well;
    # 2021-01-01 reaches it on 2024-07-01 (not reached). "30m": the 36-month birthday, so a
    # child born 2021-01-01 is in.
    kids = {"on": ("2020-12-30", None), "clipped": ("2020-12-31", None),
            "short": ("2021-01-01", None), "moved_before": (BORN, "2023-11-30"),
            "moved_on": (BORN, "2023-12-01")}
    result = language_indicators(children_frame(kids), screenings([]), EXTRACTION)
    assert cells(result, "lang_screened_excluded") == [
        None, None, "not_reached_age", "moved_out", None]
    assert cells(result, "lang_screened") == [False, False, None, None, False]
    thirty = language_indicators(children_frame(kids), screenings([]), EXTRACTION, screening="30m")
    assert cells(thirty, "lang_screened_excluded") == [None, None, None, None, None]


@pytest.mark.parametrize(("date", "counts"), [
    ("2023-04-30", False),  # the day before the 35-month birthday (the window opens a month early)
    ("2023-05-01", True),  # on the 35-month birthday
    ("2023-06-01", True),  # on the 36-month birthday
    ("2023-12-01", True),  # on the 42-month birthday
    ("2023-12-02", False),  # after the window
])
def test_36_month_window_bounds_are_inclusive(date, counts):
    result = language_indicators(children_frame({"c": (BORN, None)}),
                                 screenings([("c", date, "36m", "no_remark", False)]),
                                 EXTRACTION, screening="36m")
    assert cells(result, "lang_screened") == [counts]
    assert cells(result, "lang_no_deviation_excluded") == [None if counts else "not_screened"]


def test_any_uses_the_36_month_screening_when_both_exist():
    # 30m deviation (2023-01-10) and 36m no remark (2023-07-10): "any" uses the 36m result,
    # "30m" the 30m one, "36m" the 36m one.
    kids = {"both": (BORN, None)}
    rows = [("both", "2023-01-10", "30m", "deviation", True),
            ("both", "2023-07-10", "36m", "no_remark", False)]
    for screening, no_deviation, referred in (("any", True, False), ("30m", False, True),
                                              ("36m", True, False)):
        result = language_indicators(children_frame(kids), screenings(rows), EXTRACTION,
                                     screening=screening)
        assert cells(result, "lang_screened") == [True]
        assert cells(result, "lang_no_deviation") == [no_deviation], screening
        assert cells(result, "lang_referred") == [referred], screening


def test_not_done_is_not_screened_and_a_valid_30m_then_counts_under_any():
    # not_done_only: a 36m "not_done" record -> not screened; outcome indicators not_screened.
    # fallback: 30m deviation plus 36m not_done -> screened by the 30m, with a deviation.
    kids = {"not_done_only": (BORN, None), "fallback": (BORN, None), "no_records": (BORN, None)}
    rows = [("not_done_only", "2023-07-10", "36m", "not_done", None),
            ("fallback", "2023-01-10", "30m", "deviation", None),
            ("fallback", "2023-07-10", "36m", "not_done", None)]
    result = language_indicators(children_frame(kids), screenings(rows), EXTRACTION)
    assert cells(result, "lang_screened") == [False, True, False]
    assert cells(result, "lang_no_deviation") == [None, False, None]
    assert cells(result, "lang_no_deviation_excluded") == ["not_screened", None, "not_screened"]
    # the referral value is missing for the fallback child: counted as not referred
    assert cells(result, "lang_referred") == [None, False, None]
    assert cells(result, "lang_referred_excluded") == ["not_screened", None, "not_screened"]


def test_18_month_screening_is_not_used():
    result = language_indicators(children_frame({"c": (BORN, None)}),
                                 screenings([("c", "2021-12-01", "18m", "no_remark", False)]),
                                 EXTRACTION)
    assert cells(result, "lang_screened") == [False]


def test_unknown_screening_choice_is_an_error():
    with pytest.raises(ValueError, match="language_screening"):
        language_indicators(children_frame({"c": (BORN, None)}), screenings([]), EXTRACTION,
                            screening="24m")


def test_each_child_counts_its_own_screening_type_under_any():
    # Two children of one area, one screened at 2.5 years and one at 3: under "any" each
    # keeps its own result; nothing about the other child's type is used.
    kids = {"thirty": (BORN, None), "thirty_six": (BORN, None)}
    rows = [("thirty", "2022-12-10", "30m", "deviation", True),
            ("thirty_six", "2023-06-10", "36m", "no_remark", False)]
    result = language_indicators(children_frame(kids), screenings(rows), EXTRACTION)
    assert cells(result, "lang_screened") == [True, True]
    assert cells(result, "lang_no_deviation") == [False, True]
    assert cells(result, "lang_referred") == [True, False]
    for child, row in zip(kids, rows, strict=True):
        alone = language_indicators(children_frame({child: kids[child]}), screenings([row]),
                                    EXTRACTION)
        assert alone.loc[child].equals(result.loc[child]), child


def test_under_any_the_denominator_ignores_whether_a_child_was_screened():
    # Born 2021-04-15: 38 months old at extraction, past the 2.5-year window (36-month
    # birthday 2024-04-15), not past the 3-year one (42 months: 2024-10-15). Screened at 2.5
    # years or not, it is outside the "any" denominator until its 42-month birthday: counting
    # the screened ones sooner would fill the 36-42-month ages with successes only, and its
    # 2.5-year result could still give way to a 3-year one. Under "30m" both are in.
    kids = {"screened": ("2021-04-15", None), "unscreened": ("2021-04-15", None)}
    rows = [("screened", "2023-10-20", "30m", "no_remark", False)]
    result = language_indicators(children_frame(kids), screenings(rows), EXTRACTION)
    assert cells(result, "lang_screened") == [None, None]
    assert cells(result, "lang_screened_excluded") == ["not_reached_age", "not_reached_age"]
    thirty = language_indicators(children_frame(kids), screenings(rows), EXTRACTION, screening="30m")
    assert cells(thirty, "lang_screened") == [True, False]
