"""Vaccination indicators on hand-made children whose answers are known by construction.

The extraction date is 2024-06-30 throughout.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd

from pipeline.indicators import INDICATORS
from pipeline.indicators.vaccination import vaccination_indicators

EXTRACTION = dt.date(2024, 6, 30)
SERIES = {"rotarix": 2, "rotateq": 3}


def children_frame(rows: dict[str, tuple[str, str | None]]) -> pd.DataFrame:
    """child_id -> (birth date, moved-out date or None)."""
    return pd.DataFrame({
        "child_id": pd.Series(list(rows), dtype="str"),
        "birth_date": pd.to_datetime([birth for birth, _ in rows.values()]),
        "moved_out_date": pd.to_datetime([moved for _, moved in rows.values()]),
    })


def doses(rows: list[tuple[str, str, str, str]]) -> pd.DataFrame:
    """(child, antigen, date, product) -> the clean antigen_doses table, numbered by date."""
    frame = pd.DataFrame({
        "child_id": pd.Series([r[0] for r in rows], dtype="str"),
        "antigen": pd.Series([r[1] for r in rows], dtype="str"),
        "dose_date": pd.to_datetime([r[2] for r in rows]),
        "product": pd.Series([r[3] for r in rows], dtype="str"),
    })
    frame = frame.sort_values(["child_id", "antigen", "dose_date"], kind="stable")
    frame["dose_number"] = frame.groupby(["child_id", "antigen"]).cumcount() + 1
    frame["rota_series_doses"] = pd.array(frame["product"].map(SERIES).tolist(), dtype="Int64")
    return frame.reset_index(drop=True)


def primary_series(child: str, birth: str, third_dtp: str | None = None) -> list[tuple]:
    """The national programme by 24 months: DTaP and PCV at 3, 5 and 12 months, MMR at 18
    months, and Rotarix at 6 weeks and 3 months for children born from 2019-09-01."""
    born = pd.Timestamp(birth)
    at = {m: str((born + pd.DateOffset(months=m)).date()) for m in (3, 5, 12, 18)}
    rota = ([(child, "rota", str((born + pd.Timedelta(days=42)).date()), "rotarix"),
             (child, "rota", at[3], "rotarix")] if born >= pd.Timestamp("2019-09-01") else [])
    return rota + [(child, "dtp", at[3], "infanrix_hexa"), (child, "dtp", at[5], "infanrix_hexa"),
            (child, "dtp", third_dtp or at[12], "infanrix_hexa"),
            (child, "pcv", at[3], "prevenar_13"), (child, "pcv", at[5], "prevenar_13"),
            (child, "pcv", at[12], "prevenar_13"), (child, "mmr", at[18], "mmr_vaxpro")]


def value(result: pd.DataFrame, child: str, column: str) -> bool | str | None:
    """One cell as a plain Python value (None for <NA>)."""
    got = result.loc[child, column]
    if got is pd.NA:
        return None
    return got if isinstance(got, str) else bool(got)


def test_columns_follow_the_registry():
    result = vaccination_indicators(children_frame({"a": ("2021-01-01", None)}), doses([]),
                                    EXTRACTION)
    binary = [i.id for i in INDICATORS if i.family == "vaccination" and i.kind == "binary"]
    for indicator in binary:
        assert result[indicator].dtype == "boolean" and f"{indicator}_excluded" in result
    assert {"vacc_mmr1_age_days", "vacc_mmr1_age_event"} <= set(result.columns)


def test_24_month_denominator_edges():
    # The 24-month birthday of a child born 2022-06-30 is the extraction date: reached.
    # Born 2022-07-01: its birthday is the day after extraction: not reached.
    # Moved out the day before the birthday: out; on the birthday: in.
    kids = {"on": ("2022-06-30", None), "short": ("2022-07-01", None),
            "over": ("2022-06-29", None),
            "moved_before": ("2021-01-10", "2023-01-09"), "moved_on": ("2021-01-10", "2023-01-10")}
    rows = [r for child, (birth, _) in kids.items() for r in primary_series(child, birth)]
    result = vaccination_indicators(children_frame(kids), doses(rows), EXTRACTION)
    assert [value(result, c, "vacc_full_24m") for c in kids] == [True, None, True, None, True]
    assert [value(result, c, "vacc_full_24m_excluded") for c in kids] == [
        None, "not_reached_age", None, "moved_out", None]
    # all three 24-month indicators share the denominator
    assert result["vacc_dtp3_24m_excluded"].equals(result["vacc_mmr1_24m_excluded"])


def test_full_coverage_needs_rotavirus_only_for_eligible_birth_dates():
    # SPEC §6: vacc_full_24m is "all of the above", rotavirus included where the child's
    # birth date makes it part of the programme (born from 2019-09-01).
    kids = {"old_no_rota": ("2019-08-31", None), "new_no_rota": ("2019-09-01", None),
            "new_rota": ("2019-09-01", None)}
    rows = ([r for r in primary_series("old_no_rota", "2019-08-31")]
            + [r for r in primary_series("new_no_rota", "2019-09-01") if r[1] != "rota"]
            + primary_series("new_rota", "2019-09-01"))
    result = vaccination_indicators(children_frame(kids), doses(rows), EXTRACTION)
    assert [value(result, c, "vacc_full_24m") for c in kids] == [True, False, True]


def test_dose_on_the_birthday_counts_and_a_day_after_does_not():
    # Third DTaP on the 24-month birthday (2023-03-15 for a child born 2021-03-15): counted.
    # On 2023-03-16: too late, only 2 doses by 24 months -> False, and so not fully vaccinated.
    kids = {"on_birthday": ("2021-03-15", None), "day_after": ("2021-03-15", None)}
    rows = (primary_series("on_birthday", "2021-03-15", third_dtp="2023-03-15")
            + primary_series("day_after", "2021-03-15", third_dtp="2023-03-16"))
    result = vaccination_indicators(children_frame(kids), doses(rows), EXTRACTION)
    assert result["vacc_dtp3_24m"].tolist() == [True, False]
    assert result["vacc_full_24m"].tolist() == [True, False]
    assert result["vacc_pcv3_24m"].tolist() == [True, True]


def test_feb_29_birth_turns_24_months_on_feb_28():
    # Born 2020-02-29: the 24-month birthday is 2022-02-28 (no 29th), the 20-month one
    # 2021-10-29. MMR on 2022-02-28 counts by 24 months; on 2022-03-01 it does not.
    kids = {"mmr_feb_28": ("2020-02-29", None), "mmr_mar_1": ("2020-02-29", None),
            "mmr_oct_29": ("2020-02-29", None), "mmr_oct_30": ("2020-02-29", None)}
    rows = [(child, "mmr", date, "priorix") for child, date in (
        ("mmr_feb_28", "2022-02-28"), ("mmr_mar_1", "2022-03-01"),
        ("mmr_oct_29", "2021-10-29"), ("mmr_oct_30", "2021-10-30"))]
    result = vaccination_indicators(children_frame(kids), doses(rows), EXTRACTION)
    assert result["vacc_mmr1_24m"].tolist() == [True, False, True, True]
    assert result["vacc_mmr1_timely"].tolist() == [False, False, True, False]


def test_timely_mmr_uses_its_own_20_month_denominator():
    # Born 2022-10-30: 20 months on 2024-06-30 (reached), 24 months not reached.
    result = vaccination_indicators(
        children_frame({"young": ("2022-10-30", None), "younger": ("2022-10-31", None)}),
        doses([("young", "mmr", "2024-05-01", "priorix")]), EXTRACTION)
    assert value(result, "young", "vacc_mmr1_timely") is True
    assert value(result, "young", "vacc_mmr1_24m_excluded") == "not_reached_age"
    # 2022-10-31 + 20 months = 2024-06-30 (June has no 31st): reached on the extraction day
    assert value(result, "younger", "vacc_mmr1_timely") is False


def test_rotavirus_series_by_product_and_birth_date():
    # Rotarix needs 2 doses, RotaTeq 3; mixed or unspecified products need 3. Children born
    # before 2019-09-01 are not eligible; 2019-09-01 is.
    born = "2019-09-01"
    kids = {"not_eligible": ("2019-08-31", None), "rotarix_2": (born, None),
            "rotateq_2": (born, None), "rotateq_3": (born, None), "mixed_2": (born, None),
            "mixed_3": (born, None), "unspecified_2": (born, None), "none_given": (born, None),
            "rotarix_day_243": (born, None), "rotarix_day_244": (born, None)}
    dates = ("2019-10-15", "2019-12-01", "2020-01-10")  # days 44, 91 and 131 of a 2019-09-01 birth

    def series(child: str, *products: str, last_date: str | None = None) -> list[tuple]:
        given = list(zip(dates, products, strict=False))
        if last_date:
            given[-1] = (last_date, given[-1][1])
        return [(child, "rota", date, product) for date, product in given]

    rows = (series("not_eligible", "rotarix", "rotarix")
            + series("rotarix_2", "rotarix", "rotarix")
            + series("rotateq_2", "rotateq", "rotateq")
            + series("rotateq_3", "rotateq", "rotateq", "rotateq")
            + series("mixed_2", "rotarix", "rotateq")
            + series("mixed_3", "rotarix", "rotateq", "rotarix")
            + series("unspecified_2", "rotavirus_unspecified", "rotavirus_unspecified")
            # a second dose on day 243 (2020-05-01) counts; on day 244 it is after the
            # 8-month cut-off and does not
            + series("rotarix_day_243", "rotarix", "rotarix", last_date="2020-05-01")
            + series("rotarix_day_244", "rotarix", "rotarix", last_date="2020-05-02"))
    result = vaccination_indicators(children_frame(kids), doses(rows), EXTRACTION)
    assert [value(result, c, "vacc_rota_complete") for c in kids] == [
        None, True, False, True, False, True, False, False, True, False]
    assert value(result, "not_eligible", "vacc_rota_complete_excluded") == "not_eligible_birth_date"


def test_rotavirus_denominator_is_243_days():
    on_day = str((pd.Timestamp(EXTRACTION) - pd.Timedelta(days=243)).date())
    short = str((pd.Timestamp(EXTRACTION) - pd.Timedelta(days=242)).date())
    kids = {"on": (on_day, None), "short": (short, None)}
    rows = [(c, "rota", str((pd.Timestamp(b) + pd.Timedelta(days=d)).date()), "rotarix")
            for c, (b, _) in kids.items() for d in (42, 90)]
    result = vaccination_indicators(children_frame(kids), doses(rows), EXTRACTION)
    assert value(result, "on", "vacc_rota_complete") is True
    assert value(result, "short", "vacc_rota_complete_excluded") == "not_reached_age"


def test_child_without_doses_is_unvaccinated_not_missing():
    result = vaccination_indicators(children_frame({"none": ("2021-01-01", None)}), doses([]),
                                    EXTRACTION)
    for indicator in ("vacc_dtp3_24m", "vacc_pcv3_24m", "vacc_mmr1_24m", "vacc_full_24m",
                      "vacc_mmr1_timely", "vacc_rota_complete"):
        assert value(result, "none", indicator) is False, indicator
        assert value(result, "none", f"{indicator}_excluded") is None
    # never vaccinated: censored at the extraction date, 2021-01-01 -> 2024-06-30 = 1276 days
    assert result.loc["none", "vacc_mmr1_age_days"] == 1276
    assert not result.loc["none", "vacc_mmr1_age_event"]


def test_mmr_age_is_censored_at_moving_out():
    # moved_first: moved out on day 400, MMR given on day 500 (after leaving): censored at 400.
    # vaccinated: MMR on day 550, never moved: event at 550.
    # dose_on_move_day: MMR on the moving-out day (day 540): an event at 540.
    born = pd.Timestamp("2021-01-01")

    def day(n: int) -> str:
        return str((born + pd.Timedelta(days=n)).date())

    kids = {"moved_first": ("2021-01-01", day(400)), "vaccinated": ("2021-01-01", None),
            "dose_on_move_day": ("2021-01-01", day(540))}
    rows = [("moved_first", "mmr", day(500), "priorix"), ("vaccinated", "mmr", day(550), "priorix"),
            ("vaccinated", "mmr", day(1200), "priorix"),
            ("dose_on_move_day", "mmr", day(540), "priorix")]
    result = vaccination_indicators(children_frame(kids), doses(rows), EXTRACTION)
    assert result["vacc_mmr1_age_days"].tolist() == [400, 550, 540]
    assert result["vacc_mmr1_age_event"].tolist() == [False, True, True]


def test_doses_read_as_categories_count_as_texts():
    # The cohort stage reads antigen and product as categories (and child_id as an arrow
    # dictionary; pipeline.runner.CleanEvents): the same indicators as from texts. Child
    # "full" has the whole programme, "two_dtp" lacks its third DTaP, "none" has no dose.
    kids = {"full": ("2021-03-15", None), "two_dtp": ("2021-03-15", None), "none": ("2021-03-15", None)}
    rows = primary_series("full", "2021-03-15") + [
        r for r in primary_series("two_dtp", "2021-03-15") if r[1] != "dtp" or r[2] < "2022-03-15"]
    texts = doses(rows)
    codes = texts.astype({"child_id": "category", "antigen": "category", "product": "category"})
    from_texts = vaccination_indicators(children_frame(kids), texts, EXTRACTION)
    from_codes = vaccination_indicators(children_frame(kids), codes, EXTRACTION)
    assert from_codes.equals(from_texts)
    assert from_codes["vacc_dtp3_24m"].tolist() == [True, False, False]
    assert from_codes["vacc_full_24m"].tolist() == [True, False, False]
    assert from_codes["vacc_mmr1_24m"].tolist() == [True, True, False]
