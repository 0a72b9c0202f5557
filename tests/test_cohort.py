"""Cohort base: eligibility, groups under each design, flow and fidelity on hand-made children."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from studykit import write_study

from pipeline.config import load_study
from pipeline.stages.cohort import cohort_base, fidelity_table, flow_table, indicator_table

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
    base["all_contacts"] = [False, True, False, False, True, False, False]  # never accepted
    flow = flow_table(base)
    steps = flow[flow["area"] == "all"].set_index("step")["children"].to_dict()
    # born from the start in intervention areas: a, e (born 2021-04-01); eligible: a only
    assert steps == {"born_in_intervention_areas": 2, "eligible": 1, "offered": 1, "accepted": 1,
                     "at_least_one_contact": 1, "all_planned_contacts": 0}


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
