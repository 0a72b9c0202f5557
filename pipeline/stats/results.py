"""Results objects shared by every statistical method.

Modelled on statsmodels' results classes: a method returns an object that carries its
estimate, interval, the n it rests on and — where no estimate can be made — the reason.
A result is never an infinite or NaN number passed off as an estimate.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field, replace
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


@dataclass(frozen=True)
class JointTest:
    """Wald test that several contrasts are all zero, or the reason there is none.

    One shape for every joint test (pre-start coefficients of an event study, equal effects
    across subgroup levels): `statistic` is F = W / q for W the Wald statistic of q
    restrictions, on F(q, `df_denominator`), or on chi-square(q) / q when `df_denominator`
    is None (then `chi_square` is W itself).

    Attributes
    ----------
    statistic : float or None
        The F statistic, W / q.
    df_numerator : int or None
        q, the restrictions tested.
    df_denominator : int or None
        The F's denominator df; None for a chi-square reference.
    p_value : float or None
        The p-value; None, with `reason`, when there is no test.
    method : str
        Which covariance and reference the test used.
    tested : tuple
        What is tested, one entry per restriction (periods, subgroup levels).
    subject : str
        What `tested` holds, in words, for `summary` ("pre-start coefficient(s)").
    unadjusted_statistic, unadjusted_p_value : float or None
        A plainer version of the test, for reference only (e.g. without the small-sample
        adjustment).
    reason : str or None
        Why there is no test.
    details : dict
        The statistics behind the reported one.

    Examples
    --------
    >>> from pipeline.stats.results import JointTest
    >>> JointTest(0.197, 1, 3, 0.687, "CR1", (-2,), "pre-start coefficient(s)").summary()
    'joint test of 1 pre-start coefficient(s): F(1, 3) = 0.197, p = 0.687 (CR1)'
    >>> round(JointTest(2.0, 2, None, 0.135, "HC1").chi_square, 1)
    4.0
    """

    statistic: float | None
    df_numerator: int | None
    df_denominator: int | None
    p_value: float | None
    method: str
    tested: tuple[Any, ...] = ()
    subject: str = "restriction(s)"
    unadjusted_statistic: float | None = None
    unadjusted_p_value: float | None = None
    reason: str | None = None
    details: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.p_value is None and not self.reason:
            raise ValueError("joint test: no p-value and no reason given")

    @classmethod
    def not_estimable(cls, method: str, reason: str, **kwargs: Any) -> JointTest:
        """No test, with the reason; `kwargs` are the other fields."""
        return cls(None, kwargs.pop("df_numerator", None), None, None, method, reason=reason,
                   **kwargs)

    @property
    def estimable(self) -> bool:
        """Whether there is a p-value."""
        return self.p_value is not None

    @property
    def chi_square(self) -> float | None:
        """The Wald chi-square W = q F (for a chi-square reference)."""
        if self.statistic is None or self.df_numerator is None:
            return None
        return self.statistic * self.df_numerator

    def summary(self) -> str:
        """One line: F, its df and p, or why there is no test."""
        head = f"joint test of {len(self.tested)} {self.subject}" if self.tested else "joint test"
        if not self.estimable:
            return f"{head}: not estimable — {self.reason}"
        df = "inf" if self.df_denominator is None else str(self.df_denominator)
        return (f"{head}: F({self.df_numerator}, {df}) = {self.statistic:.3g}, "
                f"p = {self.p_value:.3g} ({self.method})")
