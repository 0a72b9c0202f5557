"""Results make their own rows (issue 10, item 4): typed fields instead of a details dict
read by key, flags instead of English notes, and kinds of reason that travel as flags."""

from __future__ import annotations

import ast
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from pipeline.stages.compare.context import Reason, _attempt, _row
from pipeline.stats.did import difference_in_differences
from pipeline.stats.effects import odds_ratio, risk_ratio
from pipeline.stats.regression import logistic_adjusted_effects
from pipeline.stats.results import FLAGS, Dropped, Estimate, NotEstimable, Test

PIPELINE = Path(__file__).resolve().parents[2] / "pipeline"


def test_nothing_outside_the_statistics_reads_a_results_details() -> None:
    # The pipeline reads the typed fields (se, n_clusters, dropped, flags); `details` is for a
    # reader in a notebook. Any `.details` attribute outside pipeline/stats breaks that.
    readers = []
    for path in PIPELINE.rglob("*.py"):
        if "stats" in path.relative_to(PIPELINE).parts:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Attribute) and node.attr == "details":
                readers.append(f"{path.relative_to(PIPELINE)}:{node.lineno}")
    assert readers == []


def test_a_kind_of_reason_becomes_a_flag() -> None:
    # no events in the comparison group: the risk ratio (1/10)/(0/10) is infinite
    result = risk_ratio(1, 10, 0, 10)
    assert not result.estimable and result.flags == ("zero_cell",)
    assert "zero cell" in result.reason
    # a reason of no known kind gives no flag
    assert risk_ratio(0, 10, 0, 10).flags == ()
    with pytest.raises(ValueError, match="unknown kind"):
        NotEstimable("x", kind="not_a_flag")


def test_separation_raised_inside_a_model_reaches_the_published_row() -> None:
    # every treated child has the outcome: treatment separates the outcome
    y = np.array([1.0] * 10 + [1.0, 0.0] * 5)
    t = np.repeat([1.0, 0.0], 10)
    effects = logistic_adjusted_effects(y, t, pd.DataFrame(index=range(20)))
    assert effects.risk_difference.flags == ("zero_cell",)
    row = _row("vacc_mmr1_24m", effects.risk_difference, measure="risk_difference",
               method="regression", analysis="itt", n_intervention=10, n_comparison=10)
    assert row["flags"] == "zero_cell" and row["estimate"] is None

    def separated() -> None:
        raise NotEstimable("outcome model: complete separation", kind="separation")

    result, reason = _attempt(separated)
    assert result is None and isinstance(reason, Reason) and reason.kind == "separation"
    assert reason == "not estimable: outcome model: complete separation"
    row = _row("vacc_mmr1_24m", None, measure="did", method="did", analysis="itt",
               n_intervention=10, n_comparison=10, reason=reason, flags=("landmark",))
    # flags in the order FLAGS declares them, whatever order they were given in
    assert row["flags"] == "landmark;separation"
    assert list(FLAGS).index("landmark") < list(FLAGS).index("separation")


def test_a_ratio_carries_its_log_scale_standard_error() -> None:
    # Woolf: 30/20 against 15/35, se(log OR) = sqrt(1/30 + 1/20 + 1/15 + 1/35)
    result = odds_ratio(30, 50, 15, 50)
    assert result.log_scale
    assert result.se == pytest.approx(np.sqrt(1 / 30 + 1 / 20 + 1 / 15 + 1 / 35), rel=1e-12)
    assert np.log(result.ci_high) - np.log(result.estimate) == pytest.approx(1.959964 * result.se,
                                                                           rel=1e-6)


def test_a_did_says_what_it_dropped_and_how_it_was_clustered() -> None:
    rng = np.random.default_rng(3)
    areas = np.repeat(np.arange(8), 50)
    treated = (areas < 4).astype(float)
    post = np.tile(np.repeat([0.0, 1.0], 25), 8)
    y = (rng.random(400) < 0.3 + 0.1 * treated * post).astype(float)
    parity = pd.DataFrame({"parity": np.where(np.arange(400) % 40 == 0, np.nan, 1.0 + (areas % 2))})
    result = difference_in_differences(y, treated, post, areas, parity, wild_bootstrap=False)
    assert result.clustered.n_clusters == 8
    # every 40th child has no parity: 10 children left out
    assert result.clustered.dropped == Dropped(rows_missing=10)
    assert result.heteroskedasticity_robust.n_clusters is None
    half_width = result.clustered.ci_high - result.clustered.estimate
    assert result.clustered.se > 0 and half_width == pytest.approx(
        result.clustered.se * 2.364624, rel=1e-5)  # t(0.975, 7 df)


def test_estimate_refuses_a_non_finite_standard_error() -> None:
    with pytest.raises(ValueError, match="se is nan"):
        Estimate("did", "did", 0.1, se=float("nan"))


def test_one_test_shape_for_every_family() -> None:
    from pipeline.stats import counts, did_models, effects, equity, regression, results, survival
    for module in (counts, did_models, effects, equity, regression, survival):
        assert module.Test is results.Test


def test_a_test_with_a_floor_says_whether_it_can_reach_alpha() -> None:
    # 2 of 4 areas: 6 assignments paired by sign, so p cannot go below 2/6
    coarse = Test(0.5, None, None, 1 / 3, "randomisation", reference="randomisation",
                  p_floor=1 / 3)
    assert not coarse.can_reach(0.05) and coarse.can_reach(0.5)
    assert coarse.to_row()["p_floor"] == pytest.approx(1 / 3)
    assert "p cannot go below 0.333" in coarse.summary()
    # a test on a continuous reference has no floor
    assert Test(9.091, 1, None, 0.00257, "pearson_chi_square", reference="chi2").can_reach()
    with pytest.raises(ValueError, match="p_floor"):
        Test(0.5, None, None, 0.5, "randomisation", reference="randomisation", p_floor=0.0)
    with pytest.raises(ValueError, match="p_floor is nan"):
        Test(0.5, None, None, 0.5, "randomisation", reference="randomisation",
             p_floor=float("nan"))
