"""Equity on the additive scale: DiD by subgroup (triple difference) and additive interaction."""

import numpy as np
import pandas as pd
import pytest
import statsmodels.formula.api as smf
from scipy import stats

from pipeline.stats.equity import additive_interaction, triple_difference


def _cells_to_children(cells: dict[tuple, tuple[int, int]], keys: tuple[str, ...]) -> pd.DataFrame:
    """One row per child from {cell key: (children, events)}."""
    rows = []
    for key, (children, events) in cells.items():
        rows += [dict(zip(keys, key, strict=True)) | {"y": int(i < events)}
                 for i in range(children)]
    return pd.DataFrame(rows)


def _panel(seed: int, *, areas_per_arm: int = 5, children: int = 60, effects: dict | None = None,
           area_sd: float = 0.04) -> pd.DataFrame:
    """Areas x 4 birth half-years x 2 subgroups; DiD `effects[level]` on the risk scale."""
    effects = effects or {"a": 0.05, "b": 0.15}
    rng = np.random.default_rng(seed)
    frames = []
    for area in range(2 * areas_per_arm):
        treated = int(area < areas_per_arm)
        area_effect = rng.normal(0, area_sd)
        for half in range(4):
            post = int(half >= 2)
            level = rng.choice(["a", "b"], size=children, p=[0.6, 0.4])
            risk = (0.45 + area_effect + 0.02 * half + 0.08 * (level == "b")
                    - 0.04 * (level == "b") * post + 0.03 * (level == "b") * treated
                    + treated * post * np.where(level == "a", effects["a"], effects["b"]))
            frames.append(pd.DataFrame({
                "area": f"area{area}", "treated_area": treated, "half": f"h{half}", "post": post,
                "level": level, "x1": rng.normal(size=children),
                "y": rng.binomial(1, np.clip(risk, 0.01, 0.99)),
            }))
    return pd.concat(frames, ignore_index=True)


# --- triple difference --------------------------------------------------------------------


def test_saturated_within_level_did_and_triple_difference_equal_hand_cell_means() -> None:
    # One area per arm, two periods, three levels, no covariates: the model is saturated in
    # the 2 x 2 x 3 cells. (level, treated_area, post): (children, events), chosen by hand.
    cells = {
        ("a", 1, 1): (20, 15), ("a", 1, 0): (25, 10), ("a", 0, 1): (30, 12), ("a", 0, 0): (40, 12),
        ("b", 1, 1): (16, 12), ("b", 1, 0): (18, 6), ("b", 0, 1): (22, 11), ("b", 0, 0): (24, 10),
        ("c", 1, 1): (10, 3), ("c", 1, 0): (12, 6), ("c", 0, 1): (14, 7), ("c", 0, 0): (15, 9),
    }
    frame = _cells_to_children(cells, ("level", "treated_area", "post"))
    frame["area"] = np.where(frame["treated_area"] == 1, "north", "south")
    result = triple_difference(frame["y"], frame["treated_area"], frame["post"], frame["level"],
                               frame["area"])
    did_a = (15 / 20 - 10 / 25) - (12 / 30 - 12 / 40)
    did_b = (12 / 16 - 6 / 18) - (11 / 22 - 10 / 24)
    did_c = (3 / 10 - 6 / 12) - (7 / 14 - 9 / 15)
    assert result.reference == "a"
    assert result.by_level["a"].estimate == pytest.approx(did_a, abs=1e-12)
    assert result.by_level["b"].estimate == pytest.approx(did_b, abs=1e-12)
    assert result.by_level["c"].estimate == pytest.approx(did_c, abs=1e-12)
    assert result.differences["b"].estimate == pytest.approx(did_b - did_a, abs=1e-12)
    assert result.differences["c"].estimate == pytest.approx(did_c - did_a, abs=1e-12)
    assert result.by_level["b"].measure == "did"
    assert result.by_level["b"].method == "triple_difference"
    # one area per arm: the labelled child-level fallback, not a cluster-robust result
    assert "child_level_fallback" in result.flags
    assert "NOT clustered" in result.by_level["b"].details["se_type"]
    assert result.joint.df_denominator is None


def test_coefficients_and_standard_errors_equal_an_independent_statsmodels_fit() -> None:
    frame = _panel(seed=11)
    frame.loc[frame.index % 97 == 0, "level"] = None  # unknown subgroup: left out
    result = triple_difference(frame["y"], frame["treated_area"], frame["post"], frame["level"],
                               frame["area"], frame[["x1"]], period_effects=frame["half"])

    known = frame.dropna(subset=["level"]).assign(s_b=lambda f: (f["level"] == "b").astype(float))
    formula = ("y ~ C(area) + C(half) + s_b + s_b:post + s_b:treated_area "
               "+ treated_area:post + treated_area:post:s_b + x1")
    clustered = smf.ols(formula, known).fit(
        cov_type="cluster", cov_kwds={"groups": pd.factorize(known["area"])[0]}, use_t=True)
    hc1 = smf.ols(formula, known).fit(cov_type="HC1")
    ours = result.coefficients
    for mine, theirs in [("treated_area:post", "treated_area:post"),
                         ("treated_area:post:subgroup[b]", "treated_area:post:s_b"),
                         ("subgroup[b]:treated_area", "s_b:treated_area"),
                         ("covariate[x1]", "x1")]:
        assert ours.loc[mine, "coef"] == pytest.approx(clustered.params[theirs], rel=1e-9)
        assert ours.loc[mine, "se_cluster"] == pytest.approx(clustered.bse[theirs], rel=1e-9)
        assert ours.loc[mine, "se_hc1"] == pytest.approx(hc1.bse[theirs], rel=1e-9)
    assert result.n == len(known)
    assert result.n_unknown_subgroup == frame["level"].isna().sum()
    assert result.by_level["b"].estimate == pytest.approx(
        clustered.params["treated_area:post"] + clustered.params["treated_area:post:s_b"], rel=1e-9)
    # joint F with the CR1 covariance on (1, G-1) df, as statsmodels' f_test
    f_test = clustered.f_test("treated_area:post:s_b = 0")
    assert result.joint.details["unadjusted_statistic"] == pytest.approx(float(f_test.fvalue), rel=1e-9)
    assert result.joint.df_denominator == int(f_test.df_denom) == 9


def test_children_fitted_as_distinct_rows_with_counts_equal_statsmodels(
        monkeypatch: pytest.MonkeyPatch) -> None:
    # no covariate: the 4,800 children are a few hundred distinct (area, half-year, level,
    # arm, outcome) rows, fitted with their counts; statsmodels fits every child
    from pipeline.stats import equity

    distinct = []
    patterns = equity.row_patterns
    monkeypatch.setattr(equity, "row_patterns",
                        lambda keys: (found := patterns(keys), distinct.append(len(found[1])))[0])
    frame = _panel(seed=5, children=120)
    result = triple_difference(frame["y"], frame["treated_area"], frame["post"], frame["level"],
                               frame["area"], period_effects=frame["half"])
    assert distinct and distinct[0] < len(frame) / 10
    known = frame.assign(s_b=lambda f: (f["level"] == "b").astype(float))
    formula = ("y ~ C(area) + C(half) + s_b + s_b:post + s_b:treated_area "
               "+ treated_area:post + treated_area:post:s_b")
    clustered = smf.ols(formula, known).fit(
        cov_type="cluster", cov_kwds={"groups": pd.factorize(known["area"])[0]}, use_t=True)
    hc1 = smf.ols(formula, known).fit(cov_type="HC1")
    for mine, theirs in [("treated_area:post", "treated_area:post"),
                         ("treated_area:post:subgroup[b]", "treated_area:post:s_b"),
                         ("subgroup[b]:post", "s_b:post")]:
        assert result.coefficients.loc[mine, "coef"] == pytest.approx(clustered.params[theirs],
                                                                      rel=1e-9)
        assert result.coefficients.loc[mine, "se_cluster"] == pytest.approx(
            clustered.bse[theirs], rel=1e-9)
        assert result.coefficients.loc[mine, "se_hc1"] == pytest.approx(hc1.bse[theirs], rel=1e-9)
    f_test = clustered.f_test("treated_area:post:s_b = 0")
    assert result.joint.details["unadjusted_statistic"] == pytest.approx(float(f_test.fvalue),
                                                                         rel=1e-9)


def test_a_cluster_se_that_is_zero_in_exact_arithmetic_is_zero_not_missing() -> None:
    """The docstring's four areas: the two comparison areas change alike in both subgroups,
    so the subgroup-by-period term's cluster scores cancel and its CR1 standard error is 0
    (statsmodels: 1.9e-9, rounding); summed over patterns it came out -6e-18 squared, which
    must give 0 and no warning, not NaN."""
    import warnings

    events = (4, 6, 4, 5, 3, 6, 3, 4, 4, 4, 4, 4, 5, 5, 6, 6)  # per area: x before, after, y before, after
    outcome = np.concatenate([np.repeat([1, 0], [k, 10 - k]) for k in events])
    area = np.repeat(["A", "B", "C", "D"], 40)
    treated_area = np.repeat([1, 1, 0, 0], 40)
    post = np.tile(np.repeat([0, 1, 0, 1], 10), 4)
    subgroup = np.tile(np.repeat(["x", "x", "y", "y"], 10), 4)
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        result = triple_difference(outcome, treated_area, post, subgroup, area)
    frame = pd.DataFrame({"y": outcome, "t": treated_area, "post": post, "s": (subgroup == "y").astype(int),
                          "area": area})
    reference = smf.ols("y ~ C(area) + post + s + s:post + s:t + t:post + t:post:s", frame).fit(
        cov_type="cluster", cov_kwds={"groups": pd.factorize(frame["area"])[0]})
    se = result.coefficients["se_cluster"]
    assert se["subgroup[y]:post"] == pytest.approx(reference.bse["s:post"], abs=1e-8)
    assert se["subgroup[y]:post"] >= 0
    assert se["treated_area:post:subgroup[y]"] == pytest.approx(reference.bse["t:post:s"], rel=1e-9)


def test_joint_f_for_two_levels_is_the_square_of_the_single_t() -> None:
    for areas_per_arm in (4, 1):  # cluster-robust (t with G-1 df) and the HC1 fallback
        frame = _panel(seed=3, areas_per_arm=areas_per_arm)
        result = triple_difference(frame["y"], frame["treated_area"], frame["post"],
                                   frame["level"], frame["area"])
        difference = result.differences["b"]
        t = difference.estimate / difference.se
        assert result.joint.df == 1
        assert result.joint.statistic == pytest.approx(t**2, rel=1e-9)
        assert result.joint.p_value == pytest.approx(difference.p_value, rel=1e-9)


def test_cluster_robust_se_is_never_below_the_child_level_one() -> None:
    # No area effect at all: the CR1 SE of some contrast falls below the HC1 one by chance.
    frame = _panel(seed=8, areas_per_arm=3, area_sd=0.0)
    result = triple_difference(frame["y"], frame["treated_area"], frame["post"], frame["level"],
                               frame["area"])
    estimates = [*result.by_level.values(), *result.differences.values()]
    raised = [e for e in estimates if "widened_to_child_level" in e.flags]
    assert raised, "the seed should give at least one cluster-robust SE below the HC1 SE"
    assert "se_raised_to_child_level" in result.flags
    hc1 = result.coefficients["se_hc1"]
    difference = result.differences["b"]
    assert difference.se >= hc1["treated_area:post:subgroup[b]"] * (1 - 1e-12)
    t_crit = stats.t.ppf(0.975, 5)
    assert difference.ci_high - difference.estimate == pytest.approx(
        t_crit * difference.se, rel=1e-9)
    # the joint test is floored the same way: still F = t^2 of the raised t, same p
    assert result.joint.details["raised_to_child_level"]
    assert result.joint.statistic == pytest.approx(
        (difference.estimate / difference.se) ** 2, rel=1e-9)
    assert result.joint.p_value == pytest.approx(difference.p_value, rel=1e-9)


def test_seeded_simulation_recovers_the_subgroup_specific_effects() -> None:
    frame = _panel(seed=2024, areas_per_arm=6, children=250, effects={"a": 0.04, "b": 0.16})
    result = triple_difference(frame["y"], frame["treated_area"], frame["post"], frame["level"],
                               frame["area"], period_effects=frame["half"])
    assert result.by_level["a"].estimate == pytest.approx(0.04, abs=0.03)
    assert result.by_level["b"].estimate == pytest.approx(0.16, abs=0.03)
    assert result.differences["b"].estimate == pytest.approx(0.12, abs=0.04)
    assert result.differences["b"].ci_low < 0.12 < result.differences["b"].ci_high
    assert result.joint.p_value < 0.05
    assert result.exploratory


def test_unknown_subgroup_counted_and_level_with_an_empty_cell_not_estimable() -> None:
    frame = _panel(seed=5, areas_per_arm=2)
    frame["level"] = frame["level"].astype(object)
    frame.loc[frame.index[:30], "level"] = None
    # Level "c" has children only in comparison areas; "a" (the first) loses its treated
    # post cell, so the reference falls to "b".
    extra = frame.iloc[:10].assign(level="c", treated_area=0, area="area3")
    frame = pd.concat([frame, extra], ignore_index=True)
    frame = frame[~((frame["level"] == "a") & (frame["treated_area"] == 1) & (frame["post"] == 1))]
    result = triple_difference(frame["y"], frame["treated_area"], frame["post"], frame["level"],
                               frame["area"])
    assert result.n_unknown_subgroup == 30
    assert not result.by_level["a"].estimable
    assert "intervention areas after the start" in result.by_level["a"].reason
    assert not result.by_level["c"].estimable
    assert result.by_level["b"].estimable
    assert result.reference == "b"
    assert result.differences == {}
    assert result.joint.p_value is None and "fewer than two" in result.joint.reason
    table = result.table()
    assert list(table["level"]) == ["a", "b", "c"]
    assert table.loc[table["level"] == "a", "reason"].item().startswith("no children in")


def test_area_level_covariate_is_absorbed_and_named() -> None:
    frame = _panel(seed=6, areas_per_arm=3)
    frame["area_size"] = frame["area"].str[-1].astype(float)  # constant within an area
    plain = triple_difference(frame["y"], frame["treated_area"], frame["post"], frame["level"],
                              frame["area"])
    with_size = triple_difference(frame["y"], frame["treated_area"], frame["post"],
                                  frame["level"], frame["area"], frame[["area_size"]])
    assert with_size.differences["b"].estimate == pytest.approx(plain.differences["b"].estimate)
    assert with_size.differences["b"].details["covariates_absorbed_by_area_or_period"] == [
        "covariate[area_size]"]


def test_inconsistent_labels() -> None:
    frame = _panel(seed=4, areas_per_arm=2)
    switching = frame.assign(treated_area=np.where(frame.index == 0, 1 - frame["treated_area"],
                                                   frame["treated_area"]))
    result = triple_difference(switching["y"], switching["treated_area"], switching["post"],
                               switching["level"], switching["area"])
    assert not result.by_level["a"].estimable
    assert "constant within an area" in result.by_level["a"].reason
    with pytest.raises(ValueError, match="constant within each period"):
        triple_difference(frame["y"], frame["treated_area"], frame["post"], frame["level"],
                          frame["area"], period_effects=frame["area"])


# --- additive interaction (two-group designs) ----------------------------------------------


def _two_group(cells: dict[tuple[str, int], tuple[int, int]]) -> pd.DataFrame:
    return _cells_to_children(cells, ("level", "treated"))


def test_additive_interaction_variance_is_the_hand_wald_formula_times_hc1_factor() -> None:
    cells = {("low", 1): (40, 30), ("low", 0): (50, 25), ("high", 1): (60, 51), ("high", 0): (45, 36)}
    frame = _two_group(cells)
    result = additive_interaction(frame["y"], frame["treated"], frame["level"])
    # Levels in sorted order: "high" is the reference.
    assert result.reference == "high"
    rd_low, rd_high = 30 / 40 - 25 / 50, 51 / 60 - 36 / 45
    wald = sum(p * (1 - p) / n for p, n in [(30 / 40, 40), (25 / 50, 50), (51 / 60, 60),
                                            (36 / 45, 45)])
    n = 40 + 50 + 60 + 45
    contrast = result.differences["low"]
    assert contrast.measure == "interaction_contrast"
    assert contrast.estimate == pytest.approx(rd_low - rd_high, abs=1e-12)
    assert contrast.se ** 2 == pytest.approx(wald * n / (n - 4), rel=1e-12)
    # HC0 (factor removed) is exactly the difference of independent Wald risk differences
    assert contrast.se ** 2 / contrast.details["hc1_factor"] == pytest.approx(
        wald, rel=1e-12)
    assert result.by_level["low"].estimate == pytest.approx(rd_low, abs=1e-12)
    z = contrast.estimate / contrast.se
    assert contrast.p_value == pytest.approx(2 * stats.norm.sf(abs(z)), rel=1e-12)
    # two levels: the joint chi-square is z^2 and its p the contrast's p
    assert result.joint.statistic == pytest.approx(z**2, rel=1e-12)
    assert result.joint.p_value == pytest.approx(contrast.p_value, rel=1e-12)


def test_additive_interaction_equals_statsmodels_lpm_with_hc1() -> None:
    rng = np.random.default_rng(17)
    n = 3000
    frame = pd.DataFrame({"treated": rng.integers(0, 2, n),
                          "level": rng.choice(["europe", "outside_europe", "sweden"], n)})
    risk = 0.6 + 0.05 * frame["treated"] + 0.1 * frame["treated"] * (frame["level"] == "sweden")
    frame["y"] = rng.binomial(1, risk)
    result = additive_interaction(frame["y"], frame["treated"], frame["level"])
    fit = smf.ols("y ~ treated * C(level)", frame).fit(cov_type="HC1")
    term = "treated:C(level)[T.sweden]"
    assert result.by_level["europe"].estimate == pytest.approx(fit.params["treated"], rel=1e-9)
    assert result.by_level["europe"].se == pytest.approx(fit.bse["treated"], rel=1e-9)
    assert result.differences["sweden"].estimate == pytest.approx(fit.params[term], rel=1e-9)
    assert result.differences["sweden"].se == pytest.approx(fit.bse[term], rel=1e-9)
    joint = fit.wald_test(f"{term} = 0, treated:C(level)[T.outside_europe] = 0", use_f=False,
                          scalar=True)
    assert result.joint.chi_square == pytest.approx(float(joint.statistic), rel=1e-9)
    assert result.joint.p_value == pytest.approx(float(joint.pvalue), rel=1e-9)


def test_additive_interaction_recovers_a_known_subgroup_effect() -> None:
    rng = np.random.default_rng(99)
    n = 40_000
    level = rng.choice(["born_in_europe", "born_outside_europe"], n, p=[0.7, 0.3])
    treated = rng.integers(0, 2, n)
    effect = np.where(level == "born_outside_europe", 0.12, 0.02)
    y = rng.binomial(1, 0.7 - 0.1 * (level == "born_outside_europe") + effect * treated)
    result = additive_interaction(y, treated, level)
    assert result.by_level["born_in_europe"].estimate == pytest.approx(0.02, abs=0.015)
    assert result.by_level["born_outside_europe"].estimate == pytest.approx(0.12, abs=0.025)
    contrast = result.differences["born_outside_europe"]
    assert contrast.ci_low < 0.10 < contrast.ci_high
    assert result.joint.p_value < 0.001


def test_additive_interaction_unknown_and_unestimable_levels_and_table() -> None:
    cells = {("a", 1): (20, 10), ("a", 0): (20, 5), ("b", 1): (15, 9), ("b", 0): (0, 0),
             ("c", 1): (10, 10), ("c", 0): (12, 12)}
    frame = _two_group(cells)
    frame = pd.concat([frame, pd.DataFrame({"level": [None] * 7, "treated": 1, "y": 1})],
                      ignore_index=True)
    result = additive_interaction(frame["y"], frame["treated"], frame["level"])
    assert result.n_unknown_subgroup == 7
    assert result.n == 40
    assert "no children in the comparison group" in result.by_level["b"].reason
    assert "Wald variance is zero" in result.by_level["c"].reason
    assert result.joint.p_value is None
    table = result.table()
    assert list(table.columns[:10]) == ["level", "measure", "method", "reference", "estimate",
                                        "ci_low", "ci_high", "p_value", "n_intervention",
                                        "n_comparison"]
    assert "p_joint" in table.columns and table["exploratory"].all()
    assert table.loc[table["level"] == "b", "n_intervention"].item() == 15
    assert "exploratory" in result.summary()
    assert result.label == "exploratory"
