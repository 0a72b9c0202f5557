"""Crude effect measures and tests for a binary outcome in two independent groups.

Group 1 is the intervention group, group 0 the comparison group; every measure compares
intervention with comparison (difference = p1 − p0, ratios = group 1 over group 0).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
from scipy import stats
from scipy.stats.contingency import expected_freq
from scipy.stats.contingency import odds_ratio as scipy_odds_ratio
from statsmodels.stats.proportion import confint_proportions_2indep

from pipeline.stats.proportions import check_confidence, check_counts, proportion
from pipeline.stats.results import Estimate

# Fisher's exact test replaces chi-square when any expected count falls below this
# (Cochran's rule, as in the spec §7).
MIN_EXPECTED_FOR_CHI_SQUARE = 5.0


def _counts(events1: int, n1: int, events0: int, n0: int) -> dict[str, Any]:
    """Validate the two groups' counts and return them for an Estimate's details."""
    check_counts(events1, n1, "intervention group")
    check_counts(events0, n0, "comparison group")
    return {"events_intervention": int(events1), "n_intervention": int(n1),
            "events_comparison": int(events0), "n_comparison": int(n0)}


def _empty_group_reason(n1: int, n0: int) -> str | None:
    """Reason an effect cannot be estimated because a group has no children, else None."""
    if n1 == 0 and n0 == 0:
        return "no children in either group"
    if n1 == 0:
        return "no children in the intervention group"
    if n0 == 0:
        return "no children in the comparison group"
    return None


def risk_difference(
    events1: int, n1: int, events0: int, n0: int, confidence: float = 0.95
) -> Estimate:
    """Risk difference p1 − p0 with Newcombe's hybrid score interval (method 10, 1998).

    The hybrid score interval combines the two Wilson intervals, so it stays inside [−1, 1]
    and is defined with zero cells, where the Wald interval collapses.
    """
    counts = _counts(events1, n1, events0, n0)
    check_confidence(confidence)
    details = {**counts, "ci_method": "newcombe_hybrid_score"}
    common: dict[str, Any] = {"n": n1 + n0, "events": events1 + events0,
                              "confidence": confidence, "details": details}
    if reason := _empty_group_reason(n1, n0):
        return Estimate.not_estimable("risk_difference", "crude", reason, **common)
    ci_low, ci_high = confint_proportions_2indep(
        events1, n1, events0, n0, compare="diff", method="newcomb", alpha=1 - confidence
    )
    return Estimate(
        measure="risk_difference",
        method="crude",
        estimate=events1 / n1 - events0 / n0,
        ci_low=max(-1.0, float(ci_low)),
        ci_high=min(1.0, float(ci_high)),
        **common,
    )


def risk_ratio(
    events1: int, n1: int, events0: int, n0: int, confidence: float = 0.95
) -> Estimate:
    """Risk ratio p1 / p0 with the Katz log interval (Katz et al. 1978).

    SE(log RR) = sqrt(1/a − 1/n1 + 1/c − 1/n0). With no events in a group the log risk
    ratio is undefined, so the result is not estimable (the risk difference still is).
    """
    counts = _counts(events1, n1, events0, n0)
    check_confidence(confidence)
    details = {**counts, "ci_method": "katz_log"}
    common: dict[str, Any] = {"n": n1 + n0, "events": events1 + events0,
                              "confidence": confidence, "details": details}
    measure, method = "risk_ratio", "crude"
    if reason := _empty_group_reason(n1, n0):
        return Estimate.not_estimable(measure, method, reason, **common)
    if events1 == 0 and events0 == 0:
        return Estimate.not_estimable(
            measure, method, "no events in either group: the risk ratio is 0/0", **common
        )
    if events0 == 0:
        return Estimate.not_estimable(
            measure, method,
            "zero cell: no events in the comparison group, so the risk ratio is infinite",
            **common,
        )
    if events1 == 0:
        return Estimate.not_estimable(
            measure, method,
            "zero cell: no events in the intervention group, so the risk ratio is 0 and "
            "its log-scale interval undefined",
            **common,
        )
    ratio = (events1 / n1) / (events0 / n0)
    se_log = math.sqrt(1 / events1 - 1 / n1 + 1 / events0 - 1 / n0)
    if se_log == 0:
        # Only when every child in both groups had the event: ratio exactly 1, no spread.
        return Estimate(
            measure=measure, method=method, estimate=ratio,
            reason="every child in both groups had the event: the Katz interval has zero "
            "width, so none is given",
            **common,
        )
    z = stats.norm.isf((1 - confidence) / 2)
    return Estimate(
        measure=measure,
        method=method,
        estimate=ratio,
        ci_low=ratio * math.exp(-z * se_log),
        ci_high=ratio * math.exp(z * se_log),
        **common,
    )


def odds_ratio(
    events1: int, n1: int, events0: int, n0: int, method: str = "woolf",
    confidence: float = 0.95,
) -> Estimate:
    """Odds ratio, intervention vs comparison: Woolf logit interval or exact conditional.

    `method="woolf"`: sample odds ratio ad/bc with SE(log OR) = sqrt(1/a + 1/b + 1/c + 1/d);
    not estimable when any cell is zero. `method="exact_conditional"`: conditional maximum
    likelihood estimate with the exact (Cornfield) interval and Fisher's exact p-value, as
    R's fisher.test; estimable with a zero cell as long as the estimate is finite.
    """
    counts = _counts(events1, n1, events0, n0)
    check_confidence(confidence)
    if method not in ("woolf", "exact_conditional"):
        raise ValueError(f"unknown odds-ratio method {method!r}; use 'woolf' or "
                         "'exact_conditional'")
    details = {**counts, "ci_method": "woolf_logit" if method == "woolf" else
               "exact_conditional"}
    common: dict[str, Any] = {"n": n1 + n0, "events": events1 + events0,
                              "confidence": confidence, "details": details}
    measure = "odds_ratio"
    if reason := _empty_group_reason(n1, n0):
        return Estimate.not_estimable(measure, method, reason, **common)
    a, b, c, d = events1, n1 - events1, events0, n0 - events0
    if method == "exact_conditional":
        return _odds_ratio_exact(a, b, c, d, confidence, common)
    zero_cells = [label for label, cell in (
        ("no events in the intervention group", a),
        ("every child in the intervention group had the event", b),
        ("no events in the comparison group", c),
        ("every child in the comparison group had the event", d),
    ) if cell == 0]
    if zero_cells:
        return Estimate.not_estimable(
            measure, method,
            "zero cell (" + "; ".join(zero_cells) + "): the Woolf interval is undefined",
            **common,
        )
    log_or = math.log(a * d / (b * c))
    se_log = math.sqrt(1 / a + 1 / b + 1 / c + 1 / d)
    z = stats.norm.isf((1 - confidence) / 2)
    return Estimate(
        measure=measure,
        method=method,
        estimate=math.exp(log_or),
        ci_low=math.exp(log_or - z * se_log),
        ci_high=math.exp(log_or + z * se_log),
        **common,
    )


def _odds_ratio_exact(
    a: int, b: int, c: int, d: int, confidence: float, common: dict[str, Any]
) -> Estimate:
    """Conditional MLE odds ratio with its exact interval and Fisher's p (scipy)."""
    table = [[a, b], [c, d]]
    result = scipy_odds_ratio(table, kind="conditional")
    interval = result.confidence_interval(confidence_level=confidence)
    numbers = (float(result.statistic), float(interval.low), float(interval.high))
    if not all(math.isfinite(x) for x in numbers):
        if a + c == 0 or b + d == 0:
            reason = "every child in both groups had the same outcome: no odds ratio"
        else:
            reason = ("zero cell: the conditional odds ratio is infinite "
                      f"(table {a}, {b} / {c}, {d})")
        return Estimate.not_estimable("odds_ratio", "exact_conditional", reason, **common)
    p_value = float(stats.fisher_exact(table).pvalue)
    return Estimate(
        measure="odds_ratio",
        method="exact_conditional",
        estimate=numbers[0],
        ci_low=numbers[1],
        ci_high=numbers[2],
        p_value=min(1.0, p_value),
        **common,
    )


@dataclass(frozen=True)
class AssociationTest:
    """Result of a test of independence in a contingency table, saying which test ran."""

    test: str  # "fisher_exact" or "pearson_chi_square"; "none" when not possible
    p_value: float | None
    statistic: float | None = None  # Pearson X²; None for Fisher's test
    df: int | None = None
    min_expected: float | None = None
    n: int | None = None
    reason: str | None = None

    def summary(self) -> str:
        if self.p_value is None:
            return f"association test: not possible — {self.reason}"
        text = f"{self.test}: p = {self.p_value:.3g}"
        if self.statistic is not None:
            text += f" (X² = {self.statistic:.4g}, df = {self.df})"
        text += f", smallest expected count {self.min_expected:.3g}, n = {self.n}"
        return text


def association_test(table: Any) -> AssociationTest:
    """Test of independence: Fisher's exact if any expected count is < 5, else chi-square.

    Rows are groups, columns outcome categories. Pearson's chi-square is used without
    Yates' continuity correction (the correction is conservative and redundant now that
    small tables go to the exact test). Fisher's two-sided p sums the probabilities of all
    tables no more likely than the observed one, as R's fisher.test; tables larger than
    2×2 use scipy's Freeman–Halton extension.
    """
    counts = np.asarray(table)
    if counts.ndim != 2 or min(counts.shape) < 2:
        raise ValueError(f"need a table with at least 2 rows and 2 columns, got {counts.shape}")
    if not np.all(np.isfinite(counts)) or np.any(counts < 0) or np.any(counts != np.round(counts)):
        raise ValueError("table cells must be non-negative whole numbers")
    counts = counts.astype(np.int64)
    n = int(counts.sum())
    if np.any(counts.sum(axis=1) == 0):
        return AssociationTest("none", None, n=n, reason="a group has no children")
    if np.any(counts.sum(axis=0) == 0):
        # All children share one outcome: the conditional distribution has a single
        # table, so Fisher's exact p is 1 (as R's fisher.test reports).
        return AssociationTest("fisher_exact", 1.0, min_expected=0.0, n=n)
    expected = expected_freq(counts)
    min_expected = float(expected.min())
    if min_expected < MIN_EXPECTED_FOR_CHI_SQUARE:
        p_value = float(stats.fisher_exact(counts).pvalue)
        return AssociationTest("fisher_exact", min(1.0, p_value), min_expected=min_expected,
                               n=n)
    chi2 = stats.chi2_contingency(counts, correction=False)
    return AssociationTest(
        "pearson_chi_square", float(chi2.pvalue), statistic=float(chi2.statistic),
        df=int(chi2.dof), min_expected=min_expected, n=n,
    )


@dataclass(frozen=True)
class ProportionComparison:
    """Proportions in both groups with the crude effects and a test, for one indicator."""

    intervention: Estimate
    comparison: Estimate
    risk_difference: Estimate
    risk_ratio: Estimate
    odds_ratio: Estimate
    test: AssociationTest

    @property
    def effects(self) -> tuple[Estimate, Estimate, Estimate]:
        return (self.risk_difference, self.risk_ratio, self.odds_ratio)

    def summary(self) -> str:
        lines = [f"intervention: {self.intervention.summary()}",
                 f"comparison: {self.comparison.summary()}"]
        lines += [effect.summary() for effect in self.effects]
        lines.append(self.test.summary())
        return "\n".join(lines)


def compare_proportions(
    events1: int, n1: int, events0: int, n0: int, confidence: float = 0.95,
    interval_method: str = "wilson",
) -> ProportionComparison:
    """Both proportions, risk difference, risk ratio, odds ratio and a test, in one bundle.

    Each effect carries the association test's p-value (`details["p_value_test"]` names
    the test). The odds ratio is Woolf's; where a zero cell leaves it undefined, the exact
    conditional odds ratio is given instead if it is finite (spec §7: exact methods where
    counts are small), with `details["woolf_not_estimable"]` saying why.
    """
    test = association_test([[events1, n1 - events1], [events0, n0 - events0]])
    odds = odds_ratio(events1, n1, events0, n0, "woolf", confidence)
    if not odds.estimable:
        exact = odds_ratio(events1, n1, events0, n0, "exact_conditional", confidence)
        if exact.estimable:
            odds = replace(exact, details={**exact.details,
                                           "woolf_not_estimable": odds.reason})

    def with_test(effect: Estimate) -> Estimate:
        if not effect.estimable or test.p_value is None:
            return effect
        return replace(effect, p_value=test.p_value,
                       details={**effect.details, "p_value_test": test.test})

    return ProportionComparison(
        intervention=proportion(events1, n1, interval_method, confidence),
        comparison=proportion(events0, n0, interval_method, confidence),
        risk_difference=with_test(risk_difference(events1, n1, events0, n0, confidence)),
        risk_ratio=with_test(risk_ratio(events1, n1, events0, n0, confidence)),
        odds_ratio=with_test(odds),
        test=test,
    )
