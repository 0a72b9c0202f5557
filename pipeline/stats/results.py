"""Results objects shared by every statistical method.

Modelled on statsmodels' results classes: a method returns an object that carries its
estimate, interval, the n it rests on and — where no estimate can be made — the reason.
A result is never an infinite or NaN number passed off as an estimate.

Two result types: every estimate is an `Estimate`, every test a `Test`. A method that fits
a model with several results (a Cox fit and its PH test, an event study's coefficients and
pre-trend test) returns a small container of these.
"""

from __future__ import annotations

import math
from dataclasses import KW_ONLY, asdict, dataclass, field, replace
from typing import Any


class NotEstimable(ValueError):
    """Raised inside a method when these data cannot give an estimate; carries the reason.

    A ValueError, since the values given are what stops the method; but the pipeline turns
    only this one into a published "not estimable" note, so that any other ValueError (a
    programming error such as arrays of different lengths) stops the run instead of being
    published as a reason.

    Most public methods catch it and return a result that is not estimable, with the
    reason as its `reason` (see `Estimate.not_estimable`); the few that let it through
    say so under Raises.

    Examples
    --------
    >>> from pipeline.stats.results import NotEstimable
    >>> try:
    ...     raise NotEstimable("no events in the comparison group")
    ... except NotEstimable as reason:
    ...     print(reason)
    no events in the comparison group

    A reason of a known kind says so, as one of the `FLAGS` ids; a result made from it
    (`Estimate.not_estimable`) carries the kind as a flag, so that a report words it in
    its own language:

    >>> NotEstimable("zero cell: no events in the comparison group", kind="zero_cell").kind
    'zero_cell'
    """

    def __init__(self, reason: str, *, kind: str | None = None) -> None:
        super().__init__(reason)
        if kind is not None and kind not in FLAGS:
            raise ValueError(f"unknown kind of reason {kind!r}; declare it in "
                             "pipeline.stats.results.FLAGS")
        self.kind = kind


# What a result's `flags` may say, each a fact a report words in its own language (the
# technical notes of pipeline.narrative) rather than an English note. A row lists its flags
# in this order: what was compared first, then how the interval and p were made.
FLAGS: dict[str, str] = {
    "landmark": "a time-to-event indicator compared as its share at a landmark age",
    "midpoint_imputed": "event ages known between two assessments taken at the midpoint",
    "p_fisher_exact": "the p-value is Fisher's exact test's",
    "p_chi_square": "the p-value is the chi-square test's",
    "p_log_rank": "the p-value is the log-rank test's",
    "wild_bootstrap": "p-value and interval from one wild cluster bootstrap test",
    "widened_to_child_level": "interval and p widened to the child-level (HC1) ones, never narrower",
    "interval_unbounded": "the bootstrap interval cannot be bounded with so few areas",
    "hc1_not_clustered": "one area in an arm: no reliable interval (the HC1 one is not clustered)",
    "few_areas": "fewer than 30 areas: cluster-robust inference is uncertain",
    "few_treated_areas": "fewer than 5 intervention areas: even the wild bootstrap may misstate p",
    "point_estimate_only": "too few areas for a reliable interval: the point estimate only",
    "separation": "not estimable: complete separation",
    "zero_cell": "not estimable: a zero cell",
    "empty_cell": "not estimable: an empty cell in the area × period table",
    "no_mle": "not estimable: the maximum-likelihood estimate does not exist",
    "weak_instrument": "weak instrument: few families took the programme up (first-stage F < 10)",
    "upper_limit_not_reached": "the upper confidence limit is not reached within follow-up",
    "lower_limit_not_estimable": "the lower confidence limit cannot be estimated",
    "no_p_zero_variance": "no p-value: the variance is zero",
    "few_areas_per_arm": "fewer than 5 areas in an arm: the bootstrap over areas is coarse and "
    "its interval tends to be too narrow",
    "one_group_no_variance": "a group has no events (or only events): the sandwich variance of "
    "its weighted risk is zero, so the interval reflects the other group only and is too narrow",
    # why there is no cost per additional child (pipeline.stats.costs.cost_per_outcome)
    "interval_includes_zero": "the effect's interval includes zero (no additional child), so the "
    "cost per additional child could be any amount, however large",
    "effect_below_zero": "the effect's whole interval lies below zero: the programme did not "
    "improve this outcome, so there is no cost per additional child",
    "no_effect_estimate": "the effect could not be estimated",
    "no_effect_interval": "the effect has no confidence interval, so the cost per additional "
    "child has none either",
    "not_additive": "the effect is a ratio, which does not say how many more children reached "
    "the outcome",
    "no_children": "no children the effect applies to",
    # why a p-chart or funnel plot flags nothing (pipeline.stats.monitoring)
    "centre_is_zero": "the centre line (or target) is 0: with no variation the control limits "
    "collapse onto it, so no point is flagged",
    "centre_is_one": "the centre line (or target) is 1: with no variation the control limits "
    "collapse onto it, so no point is flagged",
}


@dataclass(frozen=True)
class Dropped:
    """What a covariate design left out before the fit.

    Attributes
    ----------
    rows_missing : int
        Children left out for a missing covariate.
    constant : tuple of str
        Covariate terms left out for being constant.
    aliased : tuple of str
        Covariate terms left out for being collinear with the design.

    Examples
    --------
    >>> from pipeline.stats.results import Dropped
    >>> Dropped(2, ("parity",)).anything
    True
    """

    rows_missing: int = 0
    constant: tuple[str, ...] = ()
    aliased: tuple[str, ...] = ()

    @property
    def anything(self) -> bool:
        """Whether any child or term was left out."""
        return bool(self.rows_missing or self.constant or self.aliased)


@dataclass(frozen=True)
class Estimate:
    """A point estimate with its confidence interval, or a reason why there is none.

    `estimate`, `ci_low`, `ci_high` are finite floats or all None; when None, `reason`
    says why (for example "zero cell: no events in the comparison group").

    Attributes
    ----------
    measure : str
        What is estimated: "proportion", "risk_difference", "risk_ratio", "odds_ratio",
        "did", "hazard_ratio", "rmst", ...
    method : str
        How: "crude", "wilson", "regression", "iptw", "did", "cox", ...
    estimate : float or None
        The point estimate on the measure's own scale (a proportion or risk difference on
        0-1, a ratio unlogged, a survival time in the time's units, e.g. days); None when
        not estimable.
    ci_low, ci_high : float or None
        The confidence interval; None when there is none (`reason` then says why).
    p_value : float or None
        Two-sided p-value of no effect, when the method gives one.
    n : int or None
        Children the estimate rests on.
    events : int or None
        Children with the event among them.
    confidence : float
        Confidence level of the interval (0.95).
    reason : str or None
        Why there is no estimate, or no interval, in words a reader can act on.
    details : dict
        Method-specific diagnostics for a reader in a notebook (the means and SDs of a
        balance statistic, a model's other coefficients, the bootstrap's settings). The
        pipeline itself reads only the typed fields, never `details`.
    flags : tuple of str
        Facts about how the estimate was made that a report words in its own language,
        as ids of `FLAGS` (e.g. "point_estimate_only"), instead of English notes.
    se : float or None
        Standard error on the scale the interval is built on: the estimate's own scale,
        the log scale for a ratio (`log_scale`).
    log_scale : bool
        Whether `se` (and the interval's symmetry) is on the log scale.
    n_clusters : int or None
        Areas the standard error is clustered by, when it is.
    dropped : Dropped or None
        What the covariate design left out, for methods that adjust.
    df : float or None
        Degrees of freedom of the t reference the interval and p come from (Welch's, or the
        clusters' less one), when they come from a t distribution.

    Raises
    ------
    ValueError
        If `estimate`, `ci_low`, `ci_high` or `p_value` is infinite or NaN, or if there is
        neither an estimate nor a reason.

    Examples
    --------
    >>> from pipeline.stats.results import Estimate
    >>> Estimate("risk_difference", "crude", 0.2, 0.05, 0.35, n=100).summary()
    'risk_difference (crude): 0.2 (95% CI 0.05 to 0.35), n = 100'
    >>> blank = Estimate.not_estimable("risk_ratio", "crude", "no events in either group")
    >>> blank.estimable, blank.reason
    (False, 'no events in either group')
    """

    measure: str
    method: str
    estimate: float | None
    ci_low: float | None = None
    ci_high: float | None = None
    p_value: float | None = None
    n: int | None = None
    events: int | None = None
    confidence: float = 0.95
    reason: str | None = None
    details: dict[str, Any] = field(default_factory=dict)
    flags: tuple[str, ...] = ()
    se: float | None = None
    log_scale: bool = False
    n_clusters: int | None = None
    dropped: Dropped | None = None
    df: float | None = None

    def __post_init__(self) -> None:
        for name in ("estimate", "ci_low", "ci_high", "p_value", "se"):
            value = getattr(self, name)
            if value is not None and not math.isfinite(value):
                raise ValueError(
                    f"{self.measure}/{self.method}: {name} is {value}; a method must return "
                    "None with a reason instead of a non-finite number"
                )
        if self.estimate is None and not self.reason:
            raise ValueError(f"{self.measure}/{self.method}: no estimate and no reason given")
        unknown = sorted(set(self.flags) - set(FLAGS))
        if unknown:
            raise ValueError(f"{self.measure}/{self.method}: unknown flags {unknown}; declare them "
                             "in pipeline.stats.results.FLAGS")

    @property
    def estimable(self) -> bool:
        """Whether there is a point estimate."""
        return self.estimate is not None

    @classmethod
    def not_estimable(cls, measure: str, method: str, reason: str | NotEstimable,
                      **kwargs: Any) -> Estimate:
        """A result without an estimate, saying why; `kwargs` are the other fields.

        A `NotEstimable` reason of a known kind adds its kind to the flags.

        >>> from pipeline.stats.results import Estimate, NotEstimable
        >>> Estimate.not_estimable("risk_ratio", "katz", NotEstimable(
        ...     "zero cell: no events", kind="zero_cell")).flags
        ('zero_cell',)
        """
        kind = getattr(reason, "kind", None)
        if kind is not None:
            kwargs["flags"] = (*kwargs.get("flags", ()), kind)
        return cls(measure=measure, method=method, estimate=None, reason=str(reason), **kwargs)

    def with_flags(self, *flags: str) -> Estimate:
        """The same result with these flags added (once each)."""
        return replace(self, flags=tuple(dict.fromkeys((*self.flags, *flags))))

    def to_row(self, **keys: Any) -> dict[str, Any]:
        """The estimate as one table row, as statsmodels' `summary_frame()` gives one.

        measure, method, estimate, ci_low, ci_high, p_value, n, events, reason and flags
        (joined by ";"), then `keys` (indicator, analysis, …), which may also override the
        measure or method a table shows. A result without an estimate has no interval
        or p-value either.

        Examples
        --------
        >>> from pipeline.stats.results import Estimate
        >>> row = Estimate("risk_difference", "wald", 0.2, 0.05, 0.35, p_value=0.01).to_row(
        ...     indicator="vacc_mmr1_24m", method="crude")
        >>> row["indicator"], row["method"], row["estimate"], row["ci_high"], row["flags"]
        ('vacc_mmr1_24m', 'crude', 0.2, 0.35, '')
        """
        shown = self.estimable
        return {"measure": self.measure, "method": self.method, "estimate": self.estimate,
                "ci_low": self.ci_low if shown else None, "ci_high": self.ci_high if shown else None,
                "p_value": self.p_value if shown else None, "n": self.n, "events": self.events,
                "reason": self.reason or "", "flags": ";".join(self.flags), **keys}

    def to_dict(self) -> dict[str, Any]:
        """Every field as a dict (`details` included)."""
        return asdict(self)

    def summary(self) -> str:
        """One line: measure, method, estimate, interval, p and n."""
        if not self.estimable:
            return f"{self.measure} ({self.method}): not estimable — {self.reason}"
        text = f"{self.measure} ({self.method}): {self.estimate:.4g}"
        if self.ci_low is not None and self.ci_high is not None:
            text += f" ({self.confidence:.0%} CI {self.ci_low:.4g} to {self.ci_high:.4g})"
        if self.p_value is not None:
            text += f", p = {self.p_value:.3g}"
        if self.n is not None:
            text += f", n = {self.n}"
        return text


# The reference distributions a `Test` refers its statistic to; `statistic` is always that
# distribution's statistic.
REFERENCES: dict[str, str] = {
    "F": "F(df, df_denominator); df_denominator None is F(df, inf) = chi-square(df) / df",
    "chi2": "chi-square(df)",
    "chibar2_01": "the 50:50 mixture of chi-square(0) and chi-square(1) (a parameter on its "
    "boundary)",
    "normal": "the standard normal (z)",
    "exact": "the exact conditional distribution of the table (no statistic)",
    "randomisation": "the statistic's distribution over reassignments of areas to arms (or "
    "over placebo areas); no parametric reference",
}

# How `summary` names a test, by method.
_TEST_TITLES: dict[str, str] = {
    "wald": "joint test",
    "likelihood_ratio": "likelihood-ratio test",
    "likelihood_ratio_boundary": "likelihood-ratio test",
    "log_rank": "log-rank test",
    "fisher_exact": "Fisher's exact test",
    "pearson_chi_square": "chi-square test",
    "grambsch_therneau": "proportional-hazards test (Grambsch–Therneau)",
    "randomisation": "randomisation test",
    "placebo_areas": "placebo-area test",
    "cochran_q": "heterogeneity test (Cochran's Q)",
}


@dataclass(frozen=True)
class Test:
    """A hypothesis test: its statistic, df, p and method, or the reason there is none.

    The one result type of every test in the package, as `Estimate` is of every estimate.
    `statistic` is the statistic of the named `reference` distribution: F for an F test
    (a Wald statistic W of q restrictions is stated as F = W / q on F(q, inf) when its
    reference is chi-square(q), so that F(q, G − q) and F(q, inf) read alike), chi-square
    for a chi-square test, z for a normal one, none for an exact test, and the observed
    statistic for a randomisation test (whose p is the share of reassignments with a
    statistic at least as extreme).

    Attributes
    ----------
    statistic : float or None
        The test statistic on `reference`'s scale; None for an exact test or when there is
        no test.
    df : int or float or None
        Numerator df of an F, df of a chi-square; None for normal and exact references.
    df_denominator : int or float or None
        The F's denominator df; None for F(df, inf) and every other reference.
    p_value : float or None
        The p-value for `alternative`; None, with `reason`, when there is no test.
    method : str
        Which test: "wald", "likelihood_ratio", "likelihood_ratio_boundary", "log_rank",
        "fisher_exact", "pearson_chi_square", "grambsch_therneau", "randomisation",
        "placebo_areas", "cochran_q"; "none" when no test could be chosen.
    reference : str
        The reference distribution, a key of `REFERENCES`.
    covariance : str or None
        For a Wald test or a studentised randomisation test, the covariance it used (e.g.
        "cluster-robust CR1 by area").
    alternative : str
        "two-sided", "less" or "greater".
    p_floor : float or None
        The smallest p the test could give, for a test with a discrete reference (a
        randomisation test: 1 / the reassignments compared, or twice that when each ties
        with its mirror image); None when any p can be reached. See `can_reach`.
    n : int or None
        Children the test rests on, when known.
    tested : tuple
        What is tested, one entry per restriction (periods, subgroup levels, terms).
    subject : str
        What `tested` holds, in words, for `summary` ("pre-start coefficient(s)").
    reason : str or None
        Why there is no test.
    details : dict
        Method-specific extras for a reader in a notebook: the smallest expected count
        that chose a contingency-table test, the per-group observed and expected events of
        a log-rank test, the per-covariate rows of a proportional-hazards test, a plainer
        unadjusted version of a test, log-likelihoods.

    Raises
    ------
    ValueError
        If `statistic`, `p_value` or `p_floor` is infinite or NaN, `p_floor` is not in
        (0, 1], there is neither a p-value nor a reason, or the reference is unknown.

    Examples
    --------
    >>> from pipeline.stats.results import Test
    >>> Test(0.197, 1, 3, 0.687, "wald", reference="F", covariance="CR1", tested=(-2,),
    ...      subject="pre-start coefficient(s)").summary()
    'joint test of 1 pre-start coefficient(s): F(1, 3) = 0.197, p = 0.687 (CR1)'
    >>> round(Test(2.0, 2, None, 0.135, "wald", reference="F").chi_square, 1)
    4.0
    >>> Test(0.615, 1, None, 0.433, "log_rank", reference="chi2", n=4).summary()
    'log-rank test: chi-square = 0.615 on 1 df, p = 0.433, n = 4'

    A randomisation test over the 6 ways of calling 2 of 4 areas the intervention arm
    cannot give p below 2/6, so it cannot support a claim at 0.05:

    >>> coarse = Test(0.25, None, None, 1 / 3, "randomisation", reference="randomisation",
    ...               p_floor=1 / 3, n=80)
    >>> coarse.summary()
    'randomisation test: statistic = 0.25, p = 0.333, p cannot go below 0.333, n = 80'
    >>> coarse.can_reach(0.05)
    False
    """

    __test__ = False  # not a pytest test class

    statistic: float | None
    df: int | float | None
    df_denominator: int | float | None
    p_value: float | None
    method: str
    _: KW_ONLY
    reference: str
    covariance: str | None = None
    alternative: str = "two-sided"
    p_floor: float | None = None
    n: int | None = None
    tested: tuple[Any, ...] = ()
    subject: str = "restriction(s)"
    reason: str | None = None
    details: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for name in ("statistic", "p_value", "p_floor"):
            value = getattr(self, name)
            if value is not None and not math.isfinite(value):
                raise ValueError(f"{self.method} test: {name} is {value}; a test must return "
                                 "None with a reason instead of a non-finite number")
        if self.p_floor is not None and not 0 < self.p_floor <= 1:
            raise ValueError(f"{self.method} test: p_floor is {self.p_floor}, not in (0, 1]")
        if self.p_value is None and not self.reason:
            raise ValueError(f"{self.method} test: no p-value and no reason given")
        if self.reference not in REFERENCES:
            raise ValueError(f"{self.method} test: unknown reference {self.reference!r}; "
                             f"one of {sorted(REFERENCES)}")

    @classmethod
    def not_estimable(cls, method: str, reason: str | NotEstimable, *, reference: str,
                      **kwargs: Any) -> Test:
        """No test, with the reason; `kwargs` are the other fields (df, tested, n, …)."""
        return cls(None, kwargs.pop("df", None), kwargs.pop("df_denominator", None), None,
                   method, reference=reference, reason=str(reason), **kwargs)

    @property
    def estimable(self) -> bool:
        """Whether there is a p-value."""
        return self.p_value is not None

    def can_reach(self, alpha: float = 0.05) -> bool:
        """Whether the test could give p <= alpha at all: its floor, if any, is at most alpha.

        A randomisation test over few reassignments cannot (2 of 4 areas: p >= 1/3), and
        then no p it gives can support a claim at `alpha`, whatever a model-based p says.
        True for a test without a floor; says nothing of whether there is a p
        (`estimable`).
        """
        return self.p_floor is None or self.p_floor <= alpha

    @property
    def chi_square(self) -> float | None:
        """The chi-square statistic: itself, or df · F for an F(df, inf) reference."""
        if self.statistic is None:
            return None
        if self.reference in ("chi2", "chibar2_01"):
            return self.statistic
        if self.reference == "F" and self.df_denominator is None and self.df is not None:
            return self.statistic * self.df
        return None

    def to_row(self, **keys: Any) -> dict[str, Any]:
        """The test as one table row: method, reference, statistic, df, p, its floor, n,
        reason; `keys`.

        >>> from pipeline.stats.results import Test
        >>> row = Test(9.091, 1, None, 0.00257, "pearson_chi_square", reference="chi2",
        ...            n=100).to_row(indicator="vacc_mmr1_24m")
        >>> row["method"], row["statistic"], row["p_value"], row["indicator"]
        ('pearson_chi_square', 9.091, 0.00257, 'vacc_mmr1_24m')
        """
        return {"method": self.method, "reference": self.reference,
                "statistic": self.statistic, "df": self.df,
                "df_denominator": self.df_denominator, "p_value": self.p_value,
                "p_floor": self.p_floor, "alternative": self.alternative, "n": self.n,
                "reason": self.reason or "",
                **keys}

    def to_dict(self) -> dict[str, Any]:
        """Every field as a dict (`details` included)."""
        return asdict(self)

    def summary(self) -> str:
        """One line: the statistic on its reference, p (and its floor) and n, or why there is
        no test."""
        head = _TEST_TITLES.get(self.method, f"{self.method} test")
        if self.tested:
            head += f" of {len(self.tested)} {self.subject}"
        if self.alternative != "two-sided":
            head += f" ({self.alternative})"
        if not self.estimable:
            return f"{head}: not estimable — {self.reason}"
        parts = []
        if self.statistic is not None:
            if self.reference == "F":
                df = "inf" if self.df_denominator is None else str(self.df_denominator)
                parts.append(f"F({self.df}, {df}) = {self.statistic:.3g}")
            elif self.reference == "chi2":
                parts.append(f"chi-square = {self.statistic:.4g} on {self.df} df")
            elif self.reference == "chibar2_01":
                parts.append(f"chibar2(01) = {self.statistic:.4g}")
            elif self.reference == "randomisation":
                parts.append(f"statistic = {self.statistic:.4g}")
            else:
                parts.append(f"z = {self.statistic:.4g}")
        parts.append(f"p = {self.p_value:.3g}")
        if self.p_floor is not None:
            parts.append(f"p cannot go below {self.p_floor:.3g}")
        text = f"{head}: " + ", ".join(parts)
        if self.covariance:
            text += f" ({self.covariance})"
        if self.n is not None:
            text += f", n = {self.n}"
        return text
