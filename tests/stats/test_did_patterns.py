"""The linear DiD on distinct rows with counts (issue 14) gives the children's own numbers.

Children with the same design row, outcome, weight and area are one pattern with a count;
the fit, HC1, CR1 and the wild cluster bootstrap are then sums over patterns. Checked here
against the row-level path (every child a row of its own, the bootstrap on every child) and
statsmodels OLS/WLS on seeded studies with covariates, with and without weights.
"""

from dataclasses import fields

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

from pipeline.stats import did
from pipeline.stats.did import WildClusterBootstrap, difference_in_differences

RTOL = 1e-10


def _study(children: int = 20_000, seed: int = 14, weighted: bool = False) -> pd.DataFrame:
    """12 areas (5 intervention), 8 birth half-years (the last 4 after the start), three
    categorical covariates (smoking sometimes missing); a 0/1 outcome, or with `weighted`
    contacts per year of follow-up and the years (few distinct values) as weights."""
    rng = np.random.default_rng(seed)
    area = rng.integers(0, 12, children)
    half_year = rng.integers(0, 8, children)
    frame = pd.DataFrame({
        "area": np.array([f"area{a:02d}" for a in range(12)])[area],
        "treated_area": (area < 5).astype(int),
        "post": (half_year >= 4).astype(int),
        "half_year": np.array([f"{2019 + h // 2}H{h % 2 + 1}" for h in range(8)])[half_year],
        "parity": pd.Categorical(rng.choice(["1", "2", "3+"], children)),
        "education": rng.choice(["compulsory", "upper_secondary", "university"], children),
        "smoker": pd.array(rng.random(children) < 0.1, dtype="boolean"),
    })
    frame.loc[rng.random(children) < 0.02, "smoker"] = pd.NA
    effect = 0.02 * frame["treated_area"] * frame["post"] + 0.01 * area + 0.02 * half_year
    if weighted:
        frame["years"] = rng.choice([0.25, 0.5, 1.0, 1.5], children)
        frame["outcome"] = rng.poisson((0.8 + effect) * frame["years"]) / frame["years"]
    else:
        frame["outcome"] = (rng.random(children) < 0.35 + effect).astype(int)
    return frame


def _did(frame: pd.DataFrame, **options: object) -> did.DidResult:
    weighted = "years" in frame
    return difference_in_differences(
        frame["outcome"], frame["treated_area"], frame["post"], frame["area"],
        frame[["parity", "education", "smoker"]], area_effects=True,
        period_effects=frame["half_year"], bootstrap_reps=999,
        outcome_kind="continuous" if weighted else "binary",
        weights=frame["years"] if weighted else None, **options)


def _on_rows_and_patterns(monkeypatch: pytest.MonkeyPatch, frame: pd.DataFrame,
                          **options: object) -> tuple[did.DidResult, did.DidResult]:
    """The DiD by the row-level path (statsmodels) and by the pattern path."""
    monkeypatch.setattr(did, "COLLAPSE_SHARE", 0.0)  # never collapse
    rows = _did(frame, **options)
    monkeypatch.setattr(did, "COLLAPSE_SHARE", 1.0)  # always collapse
    patterns = _did(frame, **options)
    return rows, patterns


def _assert_same(rows: object, patterns: object, where: str = "result", *,
                 rtol: float = RTOL) -> None:
    """Equal, floats to `rtol` (the order of summation differs), everything else exactly."""
    if isinstance(rows, pd.DataFrame):
        pd.testing.assert_frame_equal(rows, patterns, check_exact=rtol == 0, rtol=rtol)
    elif hasattr(rows, "__dataclass_fields__"):
        assert type(rows) is type(patterns), where
        for field in fields(rows):
            _assert_same(getattr(rows, field.name), getattr(patterns, field.name),
                         f"{where}.{field.name}", rtol=rtol)
    elif isinstance(rows, dict):
        assert rows.keys() == patterns.keys(), where
        for key in rows:
            _assert_same(rows[key], patterns[key], f"{where}[{key!r}]", rtol=rtol)
    elif isinstance(rows, (tuple, list)):
        assert len(rows) == len(patterns), where
        for i, (row, pattern) in enumerate(zip(rows, patterns, strict=True)):
            _assert_same(row, pattern, f"{where}[{i}]", rtol=rtol)
    elif isinstance(rows, float) and not isinstance(patterns, bool):
        assert patterns == (pytest.approx(rows, rel=rtol, abs=1e-300) if rtol else rows), where
    else:
        assert rows == patterns, where


def _row_design(frame: pd.DataFrame, covariates: tuple[str, ...] = ("parity", "education")
                ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The children's design (area and half-year effects, the DiD term, the covariates and
    smoking), outcome and area codes, complete cases only, and their weights (ones when
    unweighted)."""
    frame = frame[frame["smoker"].notna()].reset_index(drop=True)
    dummies = pd.get_dummies(
        frame[["area", "half_year", *covariates]].astype(str)
        .assign(smoker=frame["smoker"].astype(bool).astype(str)),
        drop_first=True, dtype=float)
    did_term = (frame["treated_area"] * frame["post"]).to_numpy(float)
    x = np.column_stack([np.ones(len(frame)), did_term, dummies.to_numpy()])
    weights = frame["years"].to_numpy() if "years" in frame else np.ones(len(frame))
    return (x, frame["outcome"].to_numpy(float), pd.factorize(frame["area"])[0], weights)


@pytest.mark.parametrize("weighted", [False, True])
def test_patterns_give_every_number_of_the_row_level_fit(monkeypatch: pytest.MonkeyPatch,
                                                        weighted: bool) -> None:
    frame = _study(weighted=weighted)
    rows, patterns = _on_rows_and_patterns(monkeypatch, frame)
    assert patterns.wild_bootstrap is not None and patterns.clustered.estimable
    _assert_same(rows, patterns)
    assert rows.wild_bootstrap_note == patterns.wild_bootstrap_note


@pytest.mark.parametrize("collapse", [1.0, 0.0])
@pytest.mark.parametrize("weighted", [False, True])
def test_patterns_and_rows_give_statsmodels_hc1_and_cluster_robust_results(
        monkeypatch: pytest.MonkeyPatch, weighted: bool, collapse: float) -> None:
    # 20,000 children in a few thousand patterns, or every child a row of its own
    monkeypatch.setattr(did, "COLLAPSE_SHARE", collapse)
    frame = _study(weighted=weighted)
    x, y, areas, weights = _row_design(frame)
    result = _did(frame, wild_bootstrap=False)
    fit = sm.WLS(y, x, weights=weights).fit()
    hc1 = fit.get_robustcov_results(cov_type="HC1")
    clustered = fit.get_robustcov_results(cov_type="cluster", groups=areas)
    assert result.heteroskedasticity_robust.estimate == pytest.approx(fit.params[1], rel=RTOL)
    assert result.heteroskedasticity_robust.se == pytest.approx(hc1.bse[1], rel=RTOL)
    assert result.clustered.se == pytest.approx(clustered.bse[1], rel=RTOL)
    assert result.clustered.p_value == pytest.approx(clustered.pvalues[1], rel=RTOL)
    assert result.clustered.n == len(y)


def test_a_singular_design_and_one_area_per_arm_say_the_same_on_patterns(
        monkeypatch: pytest.MonkeyPatch) -> None:
    frame = _study(children=4_000)
    frame["in_area00"] = (frame["area"] == "area00").astype(float)  # aliased with area effects
    monkeypatch.setattr(did, "COLLAPSE_SHARE", 1.0)
    singular = difference_in_differences(
        frame["outcome"], frame["treated_area"], frame["post"], frame["area"],
        frame[["parity", "in_area00"]], area_effects=True, period_effects=frame["half_year"])
    assert singular.preferred.reason == ("singular design: a covariate is collinear with area "
                                         "or period")
    two_areas = frame[frame["area"].isin(["area00", "area11"])]
    rows, patterns = _on_rows_and_patterns(monkeypatch, two_areas)
    assert not patterns.clustered.estimable and patterns.preferred.estimable
    _assert_same(rows, patterns)


@pytest.mark.parametrize("weighted", [False, True])
def test_wild_cluster_bootstrap_on_patterns_is_the_bootstrap_of_the_children(
        weighted: bool) -> None:
    x, y, areas, weights = _row_design(_study(children=8_000, weighted=weighted), ("parity",))
    root = np.sqrt(weights)  # WLS: the bootstrap of the model on y√w and X√w
    x, y = x * root[:, None], y * root
    on_rows = WildClusterBootstrap(y, x, 1, areas, reps=9999)
    keys = pd.DataFrame(np.column_stack([x, y, areas]))
    first = ~keys.duplicated().to_numpy()
    counts = keys.groupby(list(keys.columns), sort=False).size().to_numpy()
    assert first.sum() < len(y) / 2  # the test collapses
    on_patterns = WildClusterBootstrap(y[first], x[first], 1, areas[first], reps=9999,
                                       counts=counts)
    assert on_patterns.estimate == pytest.approx(on_rows.estimate, rel=RTOL)
    assert on_patterns.se == pytest.approx(on_rows.se, rel=RTOL)
    for null in (0.0, on_rows.estimate / 2, -on_rows.estimate, 3 * on_rows.estimate):
        assert on_patterns.p_value(null) == on_rows.p_value(null)
    assert on_patterns.interval(0.95) == pytest.approx(on_rows.interval(0.95), rel=RTOL)
    assert on_patterns.note(0.5) == on_rows.note(0.5)


@pytest.mark.parametrize("continuous", [("mother_age",), ("mother_age", "income")])
def test_a_continuous_covariate_enters_by_its_sums_within_the_patterns(
        monkeypatch: pytest.MonkeyPatch, continuous: tuple[str, ...]) -> None:
    # nearly every child has an age of their own; the patterns of the other columns hold the
    # ages' means and scatter (_with_spread), and every number is the children's: statsmodels'
    # OLS with HC1 and cluster-robust SEs, and the row-level path's bootstrap p and interval
    frame = _study(children=6_000)
    rng = np.random.default_rng(2)
    frame["mother_age"] = rng.normal(29, 5, len(frame)).round(1)
    frame["income"] = rng.lognormal(10, 0.5, len(frame)).round(-2)
    frame["outcome"] = (rng.random(len(frame)) < 0.2 + 0.01 * (frame["mother_age"] - 20)
                        + 0.03 * frame["treated_area"] * frame["post"]).astype(int)
    names = ["parity", "smoker", *continuous]

    def fit(**options: object) -> did.DidResult:
        return difference_in_differences(
            frame["outcome"], frame["treated_area"], frame["post"], frame["area"],
            frame[names], area_effects=True, period_effects=frame["half_year"],
            bootstrap_reps=999, **options)

    spreads = []
    with_spread = did._with_spread
    monkeypatch.setattr(did, "_with_spread", lambda *a: spreads.append(1) or with_spread(*a))
    on_sums = fit()
    assert spreads  # the sufficient statistics were used
    assert 0.001 < on_sums.wild_bootstrap_p < 0.9  # a p of the bootstrap's own
    complete = frame[frame["smoker"].notna()].reset_index(drop=True)
    x, y, areas, _ = _row_design(complete, ("parity",))
    x = np.column_stack([x, complete[list(continuous)].to_numpy(float)])
    ols = sm.OLS(y, x).fit()
    assert on_sums.clustered.estimate == pytest.approx(ols.params[1], rel=RTOL)
    assert on_sums.heteroskedasticity_robust.se == pytest.approx(
        ols.get_robustcov_results(cov_type="HC1").bse[1], rel=RTOL)
    assert on_sums.clustered.se == pytest.approx(
        ols.get_robustcov_results(cov_type="cluster", groups=areas).bse[1], rel=RTOL)
    monkeypatch.setattr(did, "COLLAPSE_SHARE", 0.0)  # every child a row of its own
    on_rows = fit()
    _assert_same(on_rows, on_sums)
    assert on_rows.wild_bootstrap_note == on_sums.wild_bootstrap_note


def test_a_missing_period_label_is_a_pattern_of_its_own(monkeypatch: pytest.MonkeyPatch) -> None:
    frame = _study(children=4_000)
    frame["half_year"] = frame["half_year"].astype(object)
    frame.loc[frame.index % 97 == 0, "half_year"] = None  # no period dummy: the reference's
    rows, patterns = _on_rows_and_patterns(monkeypatch, frame)
    _assert_same(rows, patterns)
