"""Few-area DiD inference: randomisation p, its floor, area x period cells, pairwise DiDs,
leave-one-area-out, placebo areas — each against a hand computation or statsmodels refits,
for a 0/1 outcome and for a count or continuous one."""

from itertools import combinations

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from scipy import stats

from pipeline.stats.did import difference_in_differences
from pipeline.stats.did_inference import (
    area_period_cells,
    leave_one_area_out,
    pairwise_did,
    placebo_areas,
    placebo_p,
    randomisation_inference,
)

# The hand-made design: four areas, four children in each area and period.
# Events out of 4, before -> after, and the change in each area's proportion:
#   A (intervention) 1 -> 3   +0.50
#   B (intervention) 2 -> 3   +0.25
#   C (comparison)   2 -> 2    0.00
#   D (comparison)   3 -> 2   -0.25
# Every area has the same children in both periods, so the area-effects DiD is the mean
# change of the areas called intervention minus the mean change of the others; the
# changes sum to 0.5, so DiD(S) = sum of the changes in S - 0.25.
HAND_EVENTS = {"A": (1, 3), "B": (2, 3), "C": (2, 2), "D": (3, 2)}
HAND_CHANGE = {"A": 0.5, "B": 0.25, "C": 0.0, "D": -0.25}


def _hand_design(treated: tuple[str, ...] = ("A", "B")) -> pd.DataFrame:
    rows = []
    for area, events in HAND_EVENTS.items():
        for post, count in enumerate(events):
            rows += [{"area": area, "post": post, "treated_area": int(area in treated),
                      "y": int(child < count)} for child in range(4)]
    return pd.DataFrame(rows)


def _random_design(n_areas: int, n_treated: int, seed: int, effect: float = 0.0,
                   covariates: bool = False) -> pd.DataFrame:
    """Areas of unequal size with area and area x period shocks; no effect unless given."""
    rng = np.random.default_rng(seed)
    sizes = rng.integers(8, 40, size=(n_areas, 2))
    area = np.repeat(np.arange(n_areas * 2) // 2, sizes.ravel())
    post = np.repeat(np.tile([0, 1], n_areas), sizes.ravel())
    treated = (area < n_treated).astype(int)
    shock = rng.normal(0, 0.08, n_areas)[area] + rng.normal(0, 0.04, 2 * n_areas)[area * 2 + post]
    frame = pd.DataFrame({"area": [f"area{a:02d}" for a in area], "post": post,
                          "treated_area": treated})
    risk = 0.4 + 0.05 * post + shock + effect * treated * post
    if covariates:
        frame["birth_weight_z"] = rng.normal(size=len(area))
        frame["parity"] = rng.choice(["first", "second", "later"], size=len(area))
        risk = risk + 0.05 * frame["birth_weight_z"].to_numpy()
    frame["y"] = (rng.random(len(area)) < np.clip(risk, 0.02, 0.98)).astype(int)
    return frame


def _ri(frame: pd.DataFrame, covariates: pd.DataFrame | None = None, **options: object):
    return randomisation_inference(frame["y"], frame["area"], frame["post"],
                                   frame["treated_area"], covariates, **options)


def _statsmodels_did(frame: pd.DataFrame, treated_areas: set, covariates: list[str] = ()) -> tuple:
    """(b, CR1 t) of the area-effects DiD by a full statsmodels fit."""
    x = pd.get_dummies(frame["area"], dtype=float)
    x["post"] = frame["post"].astype(float)
    x["did"] = frame["area"].isin(treated_areas).astype(float) * x["post"]
    for name in covariates:
        column = frame[name]
        x = pd.concat([x, column.astype(float) if pd.api.types.is_numeric_dtype(column)
                       else pd.get_dummies(column, prefix=name, drop_first=True, dtype=float)],
                      axis=1)
    fit = sm.OLS(frame["y"].astype(float), x).fit(
        cov_type="cluster", cov_kwds={"groups": pd.factorize(frame["area"])[0]})
    return float(fit.params["did"]), float(fit.tvalues["did"])


def test_randomisation_p_on_the_hand_design_by_hand() -> None:
    # The 6 ways of calling 2 of the 4 areas "intervention" and their DiDs:
    #   {A,B} 0.75 - 0.25 = +0.50     {B,C} 0.25 - 0.25 =  0.00
    #   {A,C} 0.50 - 0.25 = +0.25     {B,D} 0.00 - 0.25 = -0.25
    #   {A,D} 0.25 - 0.25 =  0.00     {C,D} -0.25 - 0.25 = -0.50
    # |DiD| >= 0.50: {A,B}, {C,D}            -> p = 2/6 (the floor)
    # |DiD| >= 0.25: all but {A,D} and {B,C} -> p = 4/6
    # |DiD| >= 0:    all                     -> p = 6/6
    for treated, expected_did, expected_p in ((("A", "B"), 0.5, 2 / 6),
                                              (("A", "C"), 0.25, 4 / 6),
                                              (("A", "D"), 0.0, 1.0)):
        result = _ri(_hand_design(treated), statistic="coefficient")
        assert result.details["estimate"] == pytest.approx(expected_did, abs=1e-12)
        assert result.statistic == pytest.approx(expected_did, abs=1e-12)
        assert result.p_value == pytest.approx(expected_p, abs=1e-12), treated
        assert result.details["n_assignments"] == result.details["n_possible_assignments"] == 6
        assert result.details["enumerated"] and result.details["seed"] is None
        assert result.p_floor == pytest.approx(1 / 3)
        assert result.method == result.reference == "randomisation" and result.n == 32


def test_hand_design_estimate_is_the_did_of_did_py_and_of_a_statsmodels_fit() -> None:
    frame = _hand_design()
    result = _ri(frame)
    pooled = difference_in_differences(frame["y"], frame["treated_area"], frame["post"],
                                       frame["area"], wild_bootstrap=False)
    b, t = _statsmodels_did(frame, {"A", "B"})
    assert result.details["estimate"] == pytest.approx(0.5, abs=1e-12)
    assert pooled.heteroskedasticity_robust.estimate == pytest.approx(0.5, abs=1e-12)
    assert b == pytest.approx(0.5, abs=1e-12)
    assert result.statistic == pytest.approx(t, rel=1e-9)


def test_estimate_is_did_py_when_each_area_keeps_its_share_of_its_arm() -> None:
    # Area B three times and C twice as large as the others, in both periods: the area
    # effects change nothing, and the pooled DiD of did.py is the area-effects DiD.
    frame = _hand_design()
    frame = pd.concat([frame, frame[frame["area"] == "B"], frame[frame["area"] == "B"],
                       frame[frame["area"] == "C"]], ignore_index=True)
    pooled = difference_in_differences(frame["y"], frame["treated_area"], frame["post"],
                                       frame["area"], wild_bootstrap=False)
    # pooled by hand: intervention (A + 3 B) events 3 + 3*3 of 16 after, 1 + 3*2 of 16
    # before; comparison (2 C + D) events 2*2 + 2 of 12 after, 2*2 + 3 of 12 before
    expected = (12 / 16 - 7 / 16) - (6 / 12 - 7 / 12)
    assert pooled.heteroskedasticity_robust.estimate == pytest.approx(expected, abs=1e-12)
    assert _ri(frame).details["estimate"] == pytest.approx(expected, abs=1e-12)


@pytest.mark.parametrize("with_covariates", [False, True])
def test_studentised_p_equals_refitting_every_assignment_with_statsmodels(
        with_covariates: bool) -> None:
    frame = _random_design(7, 3, seed=11, effect=0.1, covariates=with_covariates)
    names = ["birth_weight_z", "parity"] if with_covariates else []
    result = _ri(frame, frame[names] if names else None)
    observed_b, observed_t = _statsmodels_did(frame, {"area00", "area01", "area02"}, names)
    areas = sorted(frame["area"].unique())
    refitted = [_statsmodels_did(frame, set(s), names) for s in combinations(areas, 3)]
    t_values = np.abs([t for _, t in refitted])
    b_values = np.abs([b for b, _ in refitted])
    assert result.details["estimate"] == pytest.approx(observed_b, rel=1e-9)
    assert result.statistic == pytest.approx(observed_t, rel=1e-9)
    assert result.details["n_assignments"] == 35
    assert result.p_value == pytest.approx(np.mean(t_values >= abs(observed_t) * (1 - 1e-9)))
    coefficient = _ri(frame, frame[names] if names else None, statistic="coefficient")
    assert coefficient.p_value == pytest.approx(np.mean(b_values >= abs(observed_b) * (1 - 1e-9)))
    assert result.details["adjusted"] is with_covariates


@pytest.mark.parametrize(("n_areas", "n_treated", "floor"), [
    (4, 2, 2 / 6),  # the "2 of 4 areas: p cannot go below 1/3"
    (4, 1, 1 / 4),  # no complement among the assignments: no pairing
    (8, 3, 1 / 56),
    (8, 4, 2 / 70),
])
def test_floor_is_one_over_distinct_assignments(n_areas: int, n_treated: int,
                                                floor: float) -> None:
    # A large effect makes the observed assignment the most extreme, so p is the floor.
    frame = _random_design(n_areas, n_treated, seed=3, effect=0.6)
    for statistic in ("t", "coefficient"):
        result = _ri(frame, statistic=statistic)
        assert result.p_floor == pytest.approx(floor)
        assert result.p_value == pytest.approx(floor)
        assert result.can_reach(0.05) is (floor <= 0.05)
    assert result.details["complement_is_an_assignment"] is (2 * n_treated == n_areas)


def test_equal_arms_tie_in_pairs_even_with_covariates() -> None:
    # With 4 of 8 areas each |t| occurs for an assignment and its complement, so every p
    # is an even number of 70ths.
    frame = _random_design(8, 4, seed=5, covariates=True)
    labels = sorted(frame["area"].unique())
    for treated in (labels[:4], labels[::2], [labels[0], labels[3], labels[5], labels[6]]):
        relabelled = frame.assign(treated_area=frame["area"].isin(treated).astype(int))
        p_value = _ri(relabelled, relabelled[["birth_weight_z", "parity"]]).p_value
        assert round(p_value * 70) % 2 == 0
        assert p_value * 70 == pytest.approx(round(p_value * 70), abs=1e-9)


def test_enumerates_up_to_the_limit_and_samples_beyond_it() -> None:
    frame = _random_design(8, 3, seed=8, effect=0.08)
    exact = _ri(frame, max_enumerated=56)
    assert exact.details["enumerated"] and exact.details["n_assignments"] == 56
    assert exact.details["seed"] is None
    sampled = _ri(frame, max_enumerated=55, n_samples=4999, seed=123)
    assert not sampled.details["enumerated"]
    assert sampled.details["seed"] == 123
    assert sampled.details["n_assignments"] == 5000
    assert sampled.details["n_possible_assignments"] == 56
    assert sampled.p_floor == pytest.approx(1 / 5000)
    tolerance = 4 * np.sqrt(exact.p_value * (1 - exact.p_value) / 5000) + 1 / 5000
    assert sampled.p_value == pytest.approx(exact.p_value, abs=tolerance)
    assert _ri(frame, max_enumerated=55, n_samples=4999, seed=123).p_value == sampled.p_value
    assert "p cannot go below 0.0002" in sampled.summary()


def test_designs_without_a_p_say_why() -> None:
    frame = _hand_design()
    one_arm = _ri(frame.assign(treated_area=1))
    assert one_arm.p_value is None and "no comparison area" in one_arm.reason

    without_pre = frame[~((frame["area"] == "C") & (frame["post"] == 0))]
    missing = _ri(without_pre)
    assert missing.p_value is None and "C" in missing.reason and "one period" in missing.reason

    two_areas = frame[frame["area"].isin(["A", "C"])]
    studentised = _ri(two_areas)
    assert studentised.p_value is None and "undefined" in studentised.reason
    assert studentised.details["estimate"] == pytest.approx(0.5)
    assert studentised.summary().startswith("randomisation test of 1 DiD term: not estimable")
    coefficient = _ri(two_areas, statistic="coefficient")
    assert coefficient.p_value == 1.0 and coefficient.p_floor == 1.0
    assert not coefficient.can_reach(0.05)

    collinear = frame.assign(intervention_after=frame["treated_area"] * frame["post"])
    aliased = _ri(collinear, collinear[["intervention_after"]])
    assert aliased.p_value is None and "collinear" in aliased.reason
    loo = leave_one_area_out(collinear["y"], collinear["area"], collinear["post"],
                             collinear["treated_area"], collinear[["intervention_after"]])
    assert loo["did_adjusted"].isna().all() and loo["reason"].str.contains("collinear").all()

    with pytest.raises(ValueError, match="constant within an area"):
        _ri(frame.assign(treated_area=frame["post"]))


# A count outcome (decayed teeth per child), four children in each area and period, and
# the change in each area's mean:
#   A (intervention) 0 0 1 3 (mean 1) -> 2 3 1 4 (2.5)   +1.5
#   B (intervention) 2 0 1 1 (1)      -> 1 2 1 2 (1.5)   +0.5
#   C (comparison)   0 4 0 0 (1)      -> 1 1 1 1 (1)      0.0
#   D (comparison)   5 2 3 2 (3)      -> 2 2 1 3 (2)     -1.0
# Balanced, so the DiD of calling S "intervention" is the mean change in S minus the mean
# change in the others: the changes sum to 1, so DiD(S) = sum of the changes in S - 0.5.
TEETH = {"A": ((0, 0, 1, 3), (2, 3, 1, 4)), "B": ((2, 0, 1, 1), (1, 2, 1, 2)),
         "C": ((0, 4, 0, 0), (1, 1, 1, 1)), "D": ((5, 2, 3, 2), (2, 2, 1, 3))}


def _teeth_design(treated: tuple[str, ...] = ("A", "B")) -> pd.DataFrame:
    return pd.DataFrame([{"area": area, "post": post, "treated_area": int(area in treated),
                          "y": teeth}
                         for area, periods in TEETH.items()
                         for post, values in enumerate(periods) for teeth in values])


def test_randomisation_p_of_a_count_outcome_by_hand() -> None:
    # The 6 assignments and their DiDs (sum of the changes in S - 0.5):
    #   {A,B} 2.0 - 0.5 = +1.5     {B,C} 0.5 - 0.5 =  0.0
    #   {A,C} 1.5 - 0.5 = +1.0     {B,D} -0.5 - 0.5 = -1.0
    #   {A,D} 0.5 - 0.5 =  0.0     {C,D} -1.0 - 0.5 = -1.5
    # |DiD| >= 1.5: {A,B}, {C,D}            -> p = 2/6 (the floor)
    # |DiD| >= 1.0: all but {A,D} and {B,C} -> p = 4/6
    for treated, expected_did, expected_p in ((("A", "B"), 1.5, 2 / 6),
                                              (("A", "C"), 1.0, 4 / 6),
                                              (("B", "C"), 0.0, 1.0)):
        frame = _teeth_design(treated)
        # a child without a dental record is left out
        frame = pd.concat([frame, pd.DataFrame({"area": ["A"], "post": [1],
                                                "treated_area": [int("A" in treated)],
                                                "y": [None]})], ignore_index=True)
        result = _ri(frame, statistic="coefficient")
        assert result.statistic == pytest.approx(expected_did, abs=1e-12), treated
        assert result.details["estimate"] == pytest.approx(expected_did, abs=1e-12)
        assert result.p_value == pytest.approx(expected_p, abs=1e-12), treated
        assert result.p_floor == pytest.approx(2 / 6)
        assert result.n == 32 and result.details["n_assignments"] == 6
    # the studentised test and the area-effects model of a full statsmodels fit agree
    frame = _teeth_design()
    b, t = _statsmodels_did(frame, {"A", "B"})
    studentised = _ri(frame)
    assert studentised.details["estimate"] == pytest.approx(b, rel=1e-9)
    assert studentised.statistic == pytest.approx(t, rel=1e-9)
    # booleans are numbers too: a 0/1 outcome as True/False gives the 0/1 answer
    hand = _hand_design()
    as_bool = _ri(hand.assign(y=hand["y"].astype(bool)), statistic="coefficient")
    assert as_bool.statistic == pytest.approx(0.5, abs=1e-12)


def test_placebo_areas_and_leave_one_out_take_a_count_outcome() -> None:
    # intervention A alone: each comparison area's change minus the mean change of the
    # two others
    frame = _teeth_design(treated=("A",))
    placebo = placebo_areas(frame["y"], frame["area"], frame["post"], frame["treated_area"])
    expected = {"B": 0.5 - (0.0 - 1.0) / 2, "C": 0.0 - (0.5 - 1.0) / 2,
                "D": -1.0 - (0.5 + 0.0) / 2}
    for row in placebo.itertuples():
        assert row.did_unadjusted == pytest.approx(expected[row.placebo_area], abs=1e-12)
    # observed DiD of A: 1.5 - (0.5 + 0 - 1) / 3 = 1.5 + 1/6; no placebo is as large
    observed = _ri(frame, statistic="coefficient").statistic
    assert observed == pytest.approx(1.5 + 1 / 6, abs=1e-12)
    test = placebo_p(observed, placebo["did_unadjusted"])
    assert test.p_value == pytest.approx(1 / 4) and test.p_floor == pytest.approx(1 / 4)
    loo = leave_one_area_out(frame["y"], frame["area"], frame["post"], frame["treated_area"])
    by_area = loo.set_index("left_out_area")["did_unadjusted"]
    assert by_area["D"] == pytest.approx(1.5 - (0.5 + 0.0) / 2, abs=1e-12)


def test_a_continuous_outcome_gives_the_p_of_refitting_every_assignment() -> None:
    frame = _random_design(6, 2, seed=17)
    rng = np.random.default_rng(17)
    frame["y"] = 3.2 + 0.4 * frame["post"] + rng.normal(0, 1.0, len(frame))
    result = _ri(frame)
    areas = sorted(frame["area"].unique())
    t_values = np.abs([_statsmodels_did(frame, set(s))[1] for s in combinations(areas, 2)])
    observed_t = _statsmodels_did(frame, {"area00", "area01"})[1]
    assert result.statistic == pytest.approx(observed_t, rel=1e-9)
    assert result.p_value == pytest.approx(np.mean(t_values >= abs(observed_t) * (1 - 1e-9)))
    assert result.p_floor == pytest.approx(1 / 15)


def test_outcome_must_be_finite_numbers_and_the_cells_still_need_0_1() -> None:
    frame = _teeth_design()
    with pytest.raises(ValueError, match="outcome has infinite values"):
        _ri(frame.assign(y=frame["y"].where(frame.index > 0, np.inf)))
    with pytest.raises(ValueError, match="outcome must be numeric"):
        _ri(frame.assign(y="many"))
    with pytest.raises(ValueError, match="post must be 0/1"):
        _ri(frame.assign(post=frame["post"] * 2))
    # the cells count events and give proportions: a count is not one
    with pytest.raises(ValueError, match="outcome must be 0/1"):
        area_period_cells(frame["y"], frame["area"], frame["post"], frame["treated_area"])
    with pytest.raises(ValueError, match="outcome must be 0/1"):
        pairwise_did(frame["y"], frame["area"], frame["post"], frame["treated_area"])


def test_area_period_cells_count_children_and_events() -> None:
    frame = _hand_design()
    cells = area_period_cells(frame["y"], frame["area"], frame["post"], frame["treated_area"])
    assert list(cells.columns) == ["area", "arm", "period", "children", "events", "proportion"]
    assert cells["area"].tolist() == ["A", "A", "B", "B", "C", "C", "D", "D"]
    assert cells["arm"].tolist() == ["intervention"] * 4 + ["comparison"] * 4
    assert cells["period"].tolist() == ["pre", "post"] * 4
    assert cells["children"].tolist() == [4] * 8
    assert cells["events"].tolist() == [1, 3, 2, 3, 2, 2, 3, 2]
    assert cells["proportion"].tolist() == pytest.approx([e / 4 for e in [1, 3, 2, 3, 2, 2, 3, 2]])


def test_pairwise_dids_are_differences_of_cell_proportions() -> None:
    frame = _hand_design()
    # make B unbalanced: two more children after the start, one with the event (4/6)
    extra = pd.DataFrame({"area": "B", "post": 1, "treated_area": 1, "y": [1, 0]})
    frame = pd.concat([frame, extra], ignore_index=True)
    table = pairwise_did(frame["y"], frame["area"], frame["post"], frame["treated_area"])
    by_pair = table.set_index(["intervention_area", "comparison_area"])
    # (p_a,post - p_a,pre) - (p_c,post - p_c,pre)
    expected = {("A", "C"): (3 / 4 - 1 / 4) - (2 / 4 - 2 / 4),
                ("A", "D"): (3 / 4 - 1 / 4) - (2 / 4 - 3 / 4),
                ("B", "C"): (4 / 6 - 2 / 4) - (2 / 4 - 2 / 4),
                ("B", "D"): (4 / 6 - 2 / 4) - (2 / 4 - 3 / 4)}
    assert len(table) == 4
    for pair, did in expected.items():
        assert by_pair.loc[pair, "did"] == pytest.approx(did, abs=1e-12)
    assert by_pair.loc[("B", "D"), "children_intervention_post"] == 6
    assert by_pair.loc[("B", "D"), "children"] == 18
    assert by_pair.loc[("A", "C"), "change_comparison"] == pytest.approx(0.0)
    assert table["reason"].isna().all()


def test_pairwise_did_with_an_empty_cell_has_no_value_and_a_reason() -> None:
    frame = _hand_design()
    frame = frame[~((frame["area"] == "D") & (frame["post"] == 1))]
    table = pairwise_did(frame["y"], frame["area"], frame["post"], frame["treated_area"])
    with_d = table[table["comparison_area"] == "D"]
    assert with_d["did"].isna().all()
    assert (with_d["reason"] == "no children in D post").all()
    assert table.loc[table["comparison_area"] == "C", "did"].notna().all()


def test_leave_one_area_out_on_the_hand_design_by_hand() -> None:
    frame = _hand_design()
    table = leave_one_area_out(frame["y"], frame["area"], frame["post"], frame["treated_area"])
    # balanced, so the DiD is the mean change of the intervention areas left minus that of
    # the comparison areas left
    expected = {"A": 0.25 - (0.0 - 0.25) / 2, "B": 0.5 - (0.0 - 0.25) / 2,
                "C": (0.5 + 0.25) / 2 - (-0.25), "D": (0.5 + 0.25) / 2 - 0.0}
    by_area = table.set_index("left_out_area")
    for area, did in expected.items():
        assert by_area.loc[area, "did_unadjusted"] == pytest.approx(did, abs=1e-12)
    assert by_area["did_adjusted"].isna().all()  # no covariates given
    assert by_area.loc["A", "n_areas_intervention"] == 1
    assert by_area.loc["A", "children"] == 24


def test_leave_one_area_out_equals_statsmodels_on_the_remaining_areas() -> None:
    frame = _random_design(6, 3, seed=21, effect=0.1, covariates=True)
    names = ["birth_weight_z", "parity"]
    table = leave_one_area_out(frame["y"], frame["area"], frame["post"], frame["treated_area"],
                               frame[names])
    treated = {"area00", "area01", "area02"}
    for row in table.itertuples():
        rest = frame[frame["area"] != row.left_out_area]
        assert row.did_unadjusted == pytest.approx(_statsmodels_did(rest, treated)[0], rel=1e-9)
        assert row.did_adjusted == pytest.approx(_statsmodels_did(rest, treated, names)[0],
                                                 rel=1e-9)
        assert row.children == len(rest)


def test_leave_one_area_out_says_when_an_arm_is_left_empty() -> None:
    frame = _hand_design(treated=("A",))
    table = leave_one_area_out(frame["y"], frame["area"], frame["post"], frame["treated_area"])
    row = table.set_index("left_out_area").loc["A"]
    assert pd.isna(row["did_unadjusted"])
    assert row["reason"] == "no intervention area left without A"
    assert table["did_unadjusted"].notna().sum() == 3


def test_placebo_areas_on_the_hand_design_by_hand() -> None:
    # intervention A alone: B, C, D are the comparison areas; each in turn against the two
    # others (balanced, so its change minus the mean change of the two others)
    frame = _hand_design(treated=("A",))
    table = placebo_areas(frame["y"], frame["area"], frame["post"], frame["treated_area"])
    expected = {"B": 0.25 - (0.0 - 0.25) / 2, "C": 0.0 - (0.25 - 0.25) / 2,
                "D": -0.25 - (0.25 + 0.0) / 2}
    by_area = table.set_index("placebo_area")
    assert list(by_area.index) == ["B", "C", "D"]  # A is never a placebo
    for area, did in expected.items():
        assert by_area.loc[area, "did_unadjusted"] == pytest.approx(did, abs=1e-12)
        assert by_area.loc[area, "children"] == 24  # A's children left out
    assert (by_area["n_areas_comparison"] == 2).all()
    assert by_area["did_adjusted"].isna().all()


def test_placebo_areas_equal_statsmodels_with_covariates() -> None:
    frame = _random_design(7, 2, seed=5, covariates=True)
    names = ["birth_weight_z", "parity"]
    table = placebo_areas(frame["y"], frame["area"], frame["post"], frame["treated_area"],
                          frame[names])
    comparison = frame[frame["treated_area"] == 0]
    assert len(table) == 5
    for row in table.itertuples():
        unadjusted = _statsmodels_did(comparison, {row.placebo_area})[0]
        assert row.did_unadjusted == pytest.approx(unadjusted, rel=1e-9)
        adjusted = _statsmodels_did(comparison, {row.placebo_area}, names)[0]
        assert row.did_adjusted == pytest.approx(adjusted, rel=1e-9)


def test_placebo_p_is_the_rank_among_the_areas() -> None:
    # observed 0.1; placebos 0.05, -0.2, 0.1: two at least as large, so (1 + 2) / (1 + 3)
    test = placebo_p(0.1, [0.05, -0.2, 0.1])
    assert (test.p_value, test.p_floor) == (pytest.approx(0.75), pytest.approx(0.25))
    assert test.method == "placebo_areas" and test.reference == "randomisation"
    assert test.statistic == 0.1
    assert test.details["n_placebos"] == 3 and test.details["n_at_least_as_large"] == 2
    largest = placebo_p(0.3, [0.05, -0.2, 0.1])
    assert (largest.p_value, largest.p_floor) == (pytest.approx(0.25), pytest.approx(0.25))
    assert not largest.can_reach(0.05)
    none = placebo_p(0.1, [None, None])
    assert not none.estimable and none.p_floor is None and "no placebo DiD" in none.reason
    assert not placebo_p(None, [0.05]).estimable


def test_randomisation_p_is_uniform_under_no_effect() -> None:
    # 3 of 8 areas: 56 assignments, no pairing. With no effect and areas exchangeable (sizes
    # and shocks drawn alike for every area) the observed |t| is equally likely to hold any
    # rank among the 56, so P(p <= k/56) = k/56 (ties, which would only lower it, have
    # probability 0 here).
    p_values = np.array([_ri(_random_design(8, 3, seed=1000 + rep)).p_value
                         for rep in range(200)])
    assert set(np.round(p_values * 56, 6)) <= set(range(1, 57))
    for k, alpha in ((2, 0.05), (14, 0.25)):  # P(p <= 0.05) = 2/56, P(p <= 0.25) = 14/56
        share = np.mean(p_values <= alpha)
        assert stats.binomtest(int(round(share * 200)), 200, k / 56).pvalue > 0.001, alpha
    # Kolmogorov-Smirnov-type: largest gap between the empirical CDF and k/56 on the grid
    grid = np.arange(1, 57) / 56
    gap = np.abs((p_values[:, None] <= grid + 1e-9).mean(0) - grid).max()
    assert gap < 1.95 / np.sqrt(200)  # the 0.1% Kolmogorov critical value


def test_arm_randomisation_counts_every_choice_of_areas_by_hand() -> None:
    """Four areas of 10 children, A and B with the programme, 9, 8, 5 and 4 with the outcome: the
    six choices of two areas give differences 0.40, 0.10, 0, 0, -0.10, -0.40 (17/20 - 9/20,
    14/20 - 12/20, ...), two as large as the observed 0.40: p = 2/6, also its floor (each choice's
    complement is as extreme). With one of five areas the floor is 1/5, and an area with children
    in both arms has no test."""
    from pipeline.stats.did_inference import arm_randomisation

    area = np.repeat(list("ABCD"), 10)
    outcome = np.concatenate([np.arange(10) < k for k in (9, 8, 5, 4)]).astype(float)
    test = arm_randomisation(outcome, area, np.isin(area, ["A", "B"]).astype(float))
    assert test.statistic == pytest.approx(0.40)
    assert test.p_value == pytest.approx(2 / 6) and test.p_floor == pytest.approx(2 / 6)
    # C alone against A, B and D: 0.5 against (9 + 8 + 4) / 30 = 0.7, a difference of -0.2;
    # choosing A gives 0.9 - 17/30 = 0.333, B 0.8 - 18/30 = 0.2, D 0.4 - 22/30 = -0.333: all
    # four as large, p = 1, floor 1/4
    one = arm_randomisation(outcome, area, (area == "C").astype(float))
    assert one.statistic == pytest.approx(0.5 - 21 / 30)
    assert one.p_value == pytest.approx(1.0) and one.p_floor == pytest.approx(1 / 4)
    # D alone (-0.333): only A and D as large, p = 2/4
    assert arm_randomisation(outcome, area, (area == "D").astype(float)).p_value == pytest.approx(2 / 4)
    # a missing outcome leaves that child out (A: 9 of 9 known)
    missing = outcome.copy()
    missing[9] = np.nan
    assert arm_randomisation(missing, area, np.isin(area, ["A", "B"]).astype(float)).statistic == \
        pytest.approx(17 / 19 - 9 / 20)
    mixed = np.isin(area, ["A", "B"]).astype(float)
    mixed[25] = 1.0  # a child of C in the intervention arm
    assert not arm_randomisation(outcome, area, mixed).estimable
    # sampled instead of enumerated: p from (1 + extreme) / (1 + samples), seeded
    sampled = arm_randomisation(outcome, area, np.isin(area, ["A", "B"]).astype(float), max_enumerated=3,
                                n_samples=999, seed=1)
    assert sampled.p_floor == pytest.approx(1 / 1000) and abs(sampled.p_value - 1 / 3) < 0.05
