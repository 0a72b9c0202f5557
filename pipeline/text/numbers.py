"""Numbers as the reports print them, in Swedish or English.

Swedish number formats follow Språkrådet's recommendations (Svenska skrivregler): decimal
comma, a no-break space before "%" and between groups of thousands, a true minus sign
(U+2212), "95 % KI", "procentenheter"; an interval with a negative bound is written with
"till" rather than a dash ("−14 till −2").
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from pipeline.text.cells import suppressed_marker, to_number
from pipeline.text.phrases import phrase
from pipeline.text.words import EN_DASH, MINUS, NBSP, check_language


def round_half_up(value: float, decimals: int) -> Decimal:
    """`value` rounded half away from zero (as people round), without binary-float surprises."""
    quantum = Decimal(1).scaleb(-decimals)
    return Decimal(repr(float(value))).quantize(quantum, rounding=ROUND_HALF_UP)


def format_number(value: Any, language: str, decimals: int = 0) -> str:
    """A number in the language's format: sv "12 345,6" and "−3"; en "12,345.6" and "−3".

    Blank or NaN gives "–"; a suppressed count ("<5") is returned as it is.
    """
    check_language(language)
    if suppressed_marker(value) is not None:
        return str(value).strip()
    number = to_number(value)
    if number is None:
        return EN_DASH
    rounded = round_half_up(number, decimals)
    negative = rounded < 0
    digits = f"{abs(rounded):,.{decimals}f}"  # "12,345.6"
    if language == "sv":
        digits = digits.replace(",", NBSP).replace(".", ",")
    return (MINUS if negative else "") + digits


def format_count(value: Any, language: str) -> str:
    """A count of children or rows; "<5" stays "<5"."""
    return format_number(value, language, 0)


MONTH_NAMES: dict[str, tuple[str, ...]] = {
    "sv": ("januari", "februari", "mars", "april", "maj", "juni", "juli", "augusti", "september",
           "oktober", "november", "december"),
    "en": ("January", "February", "March", "April", "May", "June", "July", "August", "September",
           "October", "November", "December"),
}


def format_date(value: Any, language: str) -> str:
    """A date as a sentence writes it: "1 september 2020" / "1 September 2020"."""
    day = dt.date.fromisoformat(str(value)[:10])
    month = MONTH_NAMES[check_language(language)][day.month - 1]
    return f"{day.day}\u00a0{month} {day.year}"  # never broken between the day and its month


def format_month(value: Any, language: str) -> str:
    """A month ("2020-09", or a date in it) as a sentence writes it: "september 2020"."""
    year, month = (int(part) for part in str(value)[:7].split("-"))
    return f"{MONTH_NAMES[check_language(language)][month - 1]} {year}"


def format_percent(share: Any, language: str, decimals: int = 0, sign: bool = True) -> str:
    """A share 0–1 as a percentage: 0.9412 -> sv "94 %", en "94%"; `sign=False` drops the "%".

    Never "100 %" for less than all nor "0 %" for more than none where one or two decimals
    more tell them apart (9,002 of 9,009 families: "99,9 %", not "100 %")."""
    if suppressed_marker(share) is not None:
        return str(share).strip()
    number = to_number(share)
    if number is None:
        return EN_DASH
    decimals = next((places for places in range(decimals, decimals + 3)
                     if not _looks_whole_or_none(number, places)), decimals)
    digits = format_number(number * 100, language, decimals)
    if not sign:
        return digits
    return digits + (NBSP + "%" if language == "sv" else "%")


def _looks_whole_or_none(share: float, decimals: int) -> bool:
    """Whether a share short of 1 (above 0) rounds to 100 % (0 %) at `decimals`."""
    rounded = round_half_up(share * 100, decimals)
    return bool((rounded == 100 and share < 1) or (rounded == 0 and share > 0))


def format_interval(low: Any, high: Any, language: str, decimals: int = 0, scale: float = 1.0,
                    prefix: bool = True) -> str:
    """"95 % KI 2–14" / "95% CI 2 to 14"; with a negative bound sv uses "till": "−14 till −2"."""
    lo, hi = to_number(low), to_number(high)
    if lo is None or hi is None:
        body = EN_DASH
    else:
        lo_text = format_number(lo * scale, language, decimals)
        hi_text = format_number(hi * scale, language, decimals)
        if language == "sv" and not (lo_text.startswith(MINUS) or hi_text.startswith(MINUS)):
            body = f"{lo_text}{EN_DASH}{hi_text}"
        else:
            body = f"{lo_text} {phrase('to', language)} {hi_text}"
    return f"{phrase('ci', language)}\u00a0{body}" if prefix else body  # "CI" kept with its bounds


def format_estimate(estimate: Any, low: Any, high: Any, language: str, decimals: int = 0,
                    scale: float = 1.0) -> str:
    """"8 (2–14)": an estimate with its interval in brackets, no "95 % KI" prefix."""
    if to_number(estimate) is None:
        return EN_DASH
    value = format_number(to_number(estimate) * scale, language, decimals)
    if to_number(low) is None or to_number(high) is None:
        return value
    return f"{value} ({format_interval(low, high, language, decimals, scale, prefix=False)})"


def format_p(p: Any, language: str) -> str:
    """A p-value: "<0,001", "0,022", "0,25" (sv) / "<0.001", "0.022", "0.25" (en)."""
    number = to_number(p)
    if number is None:
        return EN_DASH
    if number < 0.001:
        return "<" + format_number(0.001, language, 3)
    return format_number(number, language, 3 if number < 0.1 else 2)


def p_stated(text: str) -> str:
    """A p-value's text (`format_p`) as a sentence states it: "p = 0,008", and "p < 0,001"
    for "<0,001" (never "p = <0,001"), with no-break spaces, so that a line never ends at
    "p" or at its sign."""
    relation, value = ("<", text[1:]) if text.startswith("<") else ("=", text)
    return f"p{NBSP}{relation}{NBSP}{value}"


def days_to_months(days: Any) -> float | None:
    """Age in days as months (30.4375 days a month)."""
    number = to_number(days)
    return None if number is None else number / 30.4375


def format_bound(bound: Any, language: str, *, words: bool = False) -> str:
    """A published `proportion_bound` (">0.95", "<0.05") as a percentage: sv "> 95 %", en
    ">95%"; `words=True` for a sentence: "över 95 %" / "over 95%". "" when there is none."""
    match = re.fullmatch(r"\s*([<>])\s*([0-9]*\.?[0-9]+)\s*", bound) if isinstance(bound, str) else None
    if match is None:
        return ""
    share = format_percent(float(match[2]), language)
    if words:
        return f"{phrase('bound_above' if match[1] == '>' else 'bound_below', language)} {share}"
    return f"{match[1]}{NBSP if language == 'sv' else ''}{share}"
