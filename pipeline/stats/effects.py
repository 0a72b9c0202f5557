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
from pipeline.stats.results import Estimate, NotEstimable, Test

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

    Parameters
    ----------
    events1 : int
        Children with the event in the intervention group (group 1).
    n1 : int
        Children in the intervention group.
    events0 : int
        Children with the event in the comparison group (group 0).
    n0 : int
        Children in the comparison group.
    confidence : float, optional
        Confidence level, 0.95 by default.

    Returns
    -------
    Estimate
        measure "risk_difference", method "crude": `estimate` p1 − p0 (on 0-1; 0.05 is 5
        percentage points), the Newcombe interval, `n` = n1 + n0, `events`; the counts in
        `details`. Not estimable when a group has no children.

    Raises
    ------
    ValueError
        If the counts are not whole numbers with 0 <= events <= n, or `confidence` is not
        between 0 and 1.

    Examples
    --------
    6 of 10 intervention and 3 of 10 comparison children: 0.6 − 0.3 = 0.3.

    >>> from pipeline.stats.effects import risk_difference
    >>> risk_difference(6, 10, 3, 10).summary()
    'risk_difference (crude): 0.3 (95% CI -0.1177 to 0.6011), n = 20'
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

    Parameters
    ----------
    events1 : int
        Children with the event in the intervention group (group 1).
    n1 : int
        Children in the intervention group.
    events0 : int
        Children with the event in the comparison group (group 0).
    n0 : int
        Children in the comparison group.
    confidence : float, optional
        Confidence level, 0.95 by default.

    Returns
    -------
    Estimate
        measure "risk_ratio", method "crude": `estimate` p1 / p0 with the Katz interval.
        Not estimable, with the reason, when a group is empty or has no events; without an
        interval when every child in both groups had the event.

    Raises
    ------
    ValueError
        If the counts are not whole numbers with 0 <= events <= n, or `confidence` is not
        between 0 and 1.

    Examples
    --------
    0.6 / 0.3 = 2, SE(log RR) = √(1/6 − 1/10 + 1/3 − 1/10) = √0.3, interval
    2 · exp(±1.96 · 0.5477):

    >>> from pipeline.stats.effects import risk_ratio
    >>> result = risk_ratio(6, 10, 3, 10)
    >>> result.estimate, round(result.ci_low, 3), round(result.ci_high, 3)
    (2.0, 0.684, 5.851)
    >>> risk_ratio(6, 10, 0, 10).estimable
    False
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
            NotEstimable("zero cell: no events in the comparison group, so the risk ratio is "
                         "infinite", kind="zero_cell"),
            **common,
        )
    if events1 == 0:
        return Estimate.not_estimable(
            measure, method,
            NotEstimable("zero cell: no events in the intervention group, so the risk ratio is 0 "
                         "and its log-scale interval undefined", kind="zero_cell"),
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
        se=se_log,
        log_scale=True,
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

    Parameters
    ----------
    events1 : int
        Children with the event in the intervention group (group 1).
    n1 : int
        Children in the intervention group.
    events0 : int
        Children with the event in the comparison group (group 0).
    n0 : int
        Children in the comparison group.
    method : {"woolf", "exact_conditional"}, optional
        Woolf's logit interval (default) or the exact conditional estimate and interval.
    confidence : float, optional
        Confidence level, 0.95 by default.

    Returns
    -------
    Estimate
        measure "odds_ratio", method as given: the odds ratio with its interval (and
        Fisher's p for the exact method). Not estimable, with the reason, when a group is
        empty, when a cell is zero (Woolf) or when the conditional estimate is infinite.

    Raises
    ------
    ValueError
        If the counts are not whole numbers with 0 <= events <= n, the method is unknown,
        or `confidence` is not between 0 and 1.

    Examples
    --------
    Cells a, b, c, d = 6, 4, 3, 7: (6 · 7) / (4 · 3) = 3.5, SE(log OR) = √(1/6 + 1/4 + 1/3
    + 1/7) = 0.9449:

    >>> from pipeline.stats.effects import odds_ratio
    >>> odds_ratio(6, 10, 3, 10).summary()
    'odds_ratio (woolf): 3.5 (95% CI 0.5492 to 22.3), n = 20'
    >>> odds_ratio(6, 10, 1, 10, method="exact_conditional").summary()
    'odds_ratio (exact_conditional): 11.64 (95% CI 0.9488 to 687.9), p = 0.0573, n = 20'
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
            NotEstimable("zero cell (" + "; ".join(zero_cells) + "): the Woolf interval is "
                         "undefined", kind="zero_cell"),
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
        se=se_log,
        log_scale=True,
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
            reason = NotEstimable("zero cell: the conditional odds ratio is infinite "
                                  f"(table {a}, {b} / {c}, {d})", kind="zero_cell")
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


def association_test(table: Any) -> Test:
    """Test of independence: Fisher's exact if any expected count is < 5, else chi-square.

    Rows are groups, columns outcome categories. Pearson's chi-square is used without
    Yates' continuity correction (the correction is conservative and redundant now that
    small tables go to the exact test). Fisher's two-sided p sums the probabilities of all
    tables no more likely than the observed one, as R's fisher.test; tables larger than
    2×2 use scipy's Freeman–Halton extension.

    Parameters
    ----------
    table : array_like of int
        Counts of children, one row per group and one column per outcome category (at
        least 2 × 2), e.g. [[events1, n1 − events1], [events0, n0 − events0]].

    Returns
    -------
    Test
        `method` says which ran ("fisher_exact", reference "exact", no statistic; or
        "pearson_chi_square", X² `statistic` on `df`), `p_value`, `n`, and
        `details["min_expected"]`, the smallest expected count that chose it. With a group
        without children, method "none" and a reason; when every child has the same
        outcome, Fisher's p = 1.

    Raises
    ------
    ValueError
        If the table is not two-dimensional with at least 2 rows and 2 columns, or a cell
        is negative, fractional or not finite.

    Examples
    --------
    Expected counts 22.5 and 27.5, so chi-square: X² = 7.5² · (2/22.5 + 2/27.5) = 9.091.

    >>> from pipeline.stats.effects import association_test
    >>> association_test([[30, 20], [15, 35]]).summary()
    'chi-square test: chi-square = 9.091 on 1 df, p = 0.00257, n = 100'
    >>> test = association_test([[6, 4], [3, 7]])  # an expected count of 4.5 < 5
    >>> test.method, test.details["min_expected"], test.summary()
    ('fisher_exact', 4.5, "Fisher's exact test: p = 0.37, n = 20")
    """
    counts = np.asarray(table)
    if counts.ndim != 2 or min(counts.shape) < 2:
        raise ValueError(f"need a table with at least 2 rows and 2 columns, got {counts.shape}")
    if not np.all(np.isfinite(counts)) or np.any(counts < 0) or np.any(counts != np.round(counts)):
        raise ValueError("table cells must be non-negative whole numbers")
    counts = counts.astype(np.int64)
    n = int(counts.sum())
    if np.any(counts.sum(axis=1) == 0):
        return Test.not_estimable("none", "a group has no children", reference="exact", n=n)
    if np.any(counts.sum(axis=0) == 0):
        # All children share one outcome: the conditional distribution has a single
        # table, so Fisher's exact p is 1 (as R's fisher.test reports).
        return Test(None, None, None, 1.0, "fisher_exact", reference="exact", n=n,
                    details={"min_expected": 0.0})
    expected = expected_freq(counts)
    min_expected = float(expected.min())
    if min_expected < MIN_EXPECTED_FOR_CHI_SQUARE:
        p_value = float(stats.fisher_exact(counts).pvalue)
        return Test(None, None, None, min(1.0, p_value), "fisher_exact", reference="exact",
                    n=n, details={"min_expected": min_expected})
    chi2 = stats.chi2_contingency(counts, correction=False)
    return Test(float(chi2.statistic), int(chi2.dof), None, float(chi2.pvalue),
                "pearson_chi_square", reference="chi2", n=n,
                details={"min_expected": min_expected})


FISHER_ALTERNATIVES = ("two-sided", "less", "greater")


def fisher_exact_test(table: Any, alternative: str = "two-sided",
                      confidence: float = 0.95) -> Test:
    """Fisher's exact test of a 2 × 2 table, two-sided or one-sided, with the odds ratio.

    For a directional question decided in advance (does the programme raise the share
    breastfed?); `association_test` remains the two-sided test the pipeline reports. The
    p-value is scipy's `fisher_exact`; the conditional odds ratio and its exact interval
    are scipy's `odds_ratio(kind="conditional")`, both as R's `fisher.test`. The two-sided
    p sums the probabilities of all tables no more likely than the observed one.

    Parameters
    ----------
    table : array_like of int
        Counts of children, 2 × 2: [[events1, n1 − events1], [events0, n0 − events0]].
    alternative : {"two-sided", "less", "greater"}, optional
        The alternative hypothesis about the table's odds ratio; two-sided by default.
    confidence : float, optional
        Confidence level of the odds ratio's interval, 0.95 by default.

    Returns
    -------
    Test
        Method "fisher_exact", reference "exact" (no statistic): the p-value for
        `alternative` and n. `details["odds_ratio"]` is the conditional maximum-likelihood
        odds ratio (R's `fisher.test` "sample estimates") as an `Estimate` with its exact
        interval: one-sided for a one-sided alternative (from 0 for "less"; `ci_high` None,
        unbounded, for "greater"); not estimable, with the reason, when it is infinite or
        0/0. `details["sample_odds_ratio"]` is ad / bc (None when b or c is 0). With a
        column without children p = 1 and no odds ratio (every child shares one outcome);
        no test when a group has no children.

    Raises
    ------
    ValueError
        If the table is not 2 × 2 of non-negative whole numbers, the alternative is
        unknown, or `confidence` is not between 0 and 1.

    Examples
    --------
    Fisher's lady tasting tea (R's `?fisher.test`, TeaTasting): 3 of 4 milk-first cups
    identified. The hypergeometric probabilities of 0 to 4 correct are 1, 16, 36, 16, 1
    in 70, so p = 17/70 one-sided ("greater") and 34/70 two-sided:

    >>> from pipeline.stats.effects import fisher_exact_test
    >>> tea = [[3, 1], [1, 3]]
    >>> [round(fisher_exact_test(tea, side).p_value, 4) for side in ("two-sided", "greater", "less")]
    [0.4857, 0.2429, 0.9857]
    >>> fisher_exact_test(tea).details["sample_odds_ratio"]
    9.0
    >>> greater = fisher_exact_test(tea, alternative="greater")
    >>> greater.summary()
    "Fisher's exact test (greater): p = 0.243, n = 8"
    >>> greater.details["odds_ratio"].summary()
    'odds_ratio (exact_conditional): 6.408, n = 8'
    >>> round(greater.details["odds_ratio"].ci_low, 4), greater.details["odds_ratio"].ci_high
    (0.3136, None)
    """
    check_confidence(confidence)
    if alternative not in FISHER_ALTERNATIVES:
        raise ValueError(f"alternative must be one of {FISHER_ALTERNATIVES}, not {alternative!r}")
    counts = np.asarray(table)
    if counts.shape != (2, 2):
        raise ValueError(f"need a 2 × 2 table, got shape {counts.shape}")
    if not np.all(np.isfinite(counts)) or np.any(counts < 0) or np.any(counts != np.round(counts)):
        raise ValueError("table cells must be non-negative whole numbers")
    counts = counts.astype(np.int64)
    n = int(counts.sum())
    common: dict[str, Any] = {"reference": "exact", "alternative": alternative, "n": n}
    if np.any(counts.sum(axis=1) == 0):
        return Test.not_estimable("fisher_exact", "a group has no children", **common)
    odds: dict[str, Any] = {"n": n, "confidence": confidence,
                            "details": {"alternative": alternative}}
    if np.any(counts.sum(axis=0) == 0):
        # One possible table given the margins: p = 1, the odds ratio is 0/0.
        blank = Estimate.not_estimable("odds_ratio", "exact_conditional",
                                       "every child has the same outcome: no odds ratio", **odds)
        return Test(None, None, None, 1.0, "fisher_exact", **common,
                    details={"odds_ratio": blank, "sample_odds_ratio": None})
    p_value = min(1.0, float(stats.fisher_exact(counts, alternative=alternative).pvalue))
    (a, b), (c, d) = counts.tolist()
    sample = a * d / (b * c) if b * c > 0 else None
    conditional = scipy_odds_ratio(counts, kind="conditional")
    interval = conditional.confidence_interval(confidence_level=confidence,
                                               alternative=alternative)
    estimate = float(conditional.statistic)
    if math.isfinite(estimate):
        high = float(interval.high)
        odds_ratio = Estimate("odds_ratio", "exact_conditional", estimate, float(interval.low),
                              high if math.isfinite(high) else None, **odds)
    else:
        odds_ratio = Estimate.not_estimable(
            "odds_ratio", "exact_conditional", NotEstimable(
                f"zero cell: the conditional odds ratio is infinite (table {a}, {b} / {c}, {d}),"
                " so none is given", kind="zero_cell"), **odds)
    return Test(None, None, None, p_value, "fisher_exact", **common,
                details={"odds_ratio": odds_ratio, "sample_odds_ratio": sample})


@dataclass(frozen=True)
class ProportionComparison:
    """Proportions in both groups with the crude effects and a test, for one indicator.

    Attributes
    ----------
    intervention, comparison : Estimate
        Each group's proportion with its interval.
    risk_difference, risk_ratio, odds_ratio : Estimate
        The crude effects, each carrying the test's p-value.
    test : Test
        Fisher's exact or Pearson's chi-square test (`association_test`).

    Examples
    --------
    >>> from pipeline.stats.effects import compare_proportions
    >>> bundle = compare_proportions(30, 50, 15, 50)
    >>> [round(effect.estimate, 4) for effect in bundle.effects]
    [0.3, 2.0, 3.5]
    """

    intervention: Estimate
    comparison: Estimate
    risk_difference: Estimate
    risk_ratio: Estimate
    odds_ratio: Estimate
    test: Test

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

    Parameters
    ----------
    events1 : int
        Children with the event in the intervention group (group 1).
    n1 : int
        Children in the intervention group.
    events0 : int
        Children with the event in the comparison group (group 0).
    n0 : int
        Children in the comparison group.
    confidence : float, optional
        Confidence level of every interval, 0.95 by default.
    interval_method : str, optional
        The proportions' interval, as `proportion`'s `method` ("wilson" by default).

    Returns
    -------
    ProportionComparison
        The two proportions, the three effects (each with the test's p) and the test.

    Raises
    ------
    ValueError
        If the counts are not whole numbers with 0 <= events <= n, `confidence` is not
        between 0 and 1, or the interval method is unknown.

    Examples
    --------
    30 of 50 against 15 of 50: risk difference 0.3, risk ratio 2, odds ratio
    (30 · 35) / (20 · 15) = 3.5, all with the chi-square test's p:

    >>> from pipeline.stats.effects import compare_proportions
    >>> print(compare_proportions(30, 50, 15, 50).summary())
    intervention: proportion (wilson): 0.6 (95% CI 0.4618 to 0.7239), n = 50
    comparison: proportion (wilson): 0.3 (95% CI 0.191 to 0.4375), n = 50
    risk_difference (crude): 0.3 (95% CI 0.1051 to 0.465), p = 0.00257, n = 100
    risk_ratio (crude): 2 (95% CI 1.237 to 3.232), p = 0.00257, n = 100
    odds_ratio (woolf): 3.5 (95% CI 1.529 to 8.012), p = 0.00257, n = 100
    chi-square test: chi-square = 9.091 on 1 df, p = 0.00257, n = 100
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
                       details={**effect.details, "p_value_test": test.method})

    return ProportionComparison(
        intervention=proportion(events1, n1, interval_method, confidence),
        comparison=proportion(events0, n0, interval_method, confidence),
        risk_difference=with_test(risk_difference(events1, n1, events0, n0, confidence)),
        risk_ratio=with_test(risk_ratio(events1, n1, events0, n0, confidence)),
        odds_ratio=with_test(odds),
        test=test,
    )
