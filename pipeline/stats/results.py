"""Results objects shared by every statistical method.

Modelled on statsmodels' results classes: a method returns an object that carries its
estimate, interval, the n it rests on and — where no estimate can be made — the reason.
A result is never an infinite or NaN number passed off as an estimate.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any


class NotEstimable(Exception):
    """Raised inside a method when an estimate cannot be made; carries the reason."""


@dataclass(frozen=True)
class Estimate:
    """A point estimate with its confidence interval, or a reason why there is none.

    `estimate`, `ci_low`, `ci_high` are finite floats or all None; when None, `reason`
    says why (for example "zero cell: no events in the comparison group").
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

    def __post_init__(self) -> None:
        for name in ("estimate", "ci_low", "ci_high", "p_value"):
            value = getattr(self, name)
            if value is not None and not math.isfinite(value):
                raise ValueError(
                    f"{self.measure}/{self.method}: {name} is {value}; a method must return "
                    "None with a reason instead of a non-finite number"
                )
        if self.estimate is None and not self.reason:
            raise ValueError(f"{self.measure}/{self.method}: no estimate and no reason given")

    @property
    def estimable(self) -> bool:
        return self.estimate is not None

    @classmethod
    def not_estimable(cls, measure: str, method: str, reason: str, **kwargs: Any) -> Estimate:
        return cls(measure=measure, method=method, estimate=None, reason=reason, **kwargs)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def summary(self) -> str:
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
