"""Outcome and implementation indicators of SPEC §6: ids, kinds and ages.

The registry is the one list of indicator ids; study.yml's `primary_indicators` is checked
against it and every later stage iterates over it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal


@dataclass(frozen=True)
class Indicator:
    """An indicator id with its family, kind and a one-line definition."""

    id: str
    family: Literal["breastfeeding", "vaccination", "language"]
    kind: Literal["binary", "survival"]
    definition: str


INDICATORS: tuple[Indicator, ...] = (
    Indicator("bf_any_1w", "breastfeeding", "binary", "any breastfeeding at 1 week (0–18 days)"),
    Indicator("bf_any_2m", "breastfeeding", "binary", "any breastfeeding at 2 months (42–82 days)"),
    Indicator("bf_any_4m", "breastfeeding", "binary", "any breastfeeding at 4 months (105–143 days)"),
    Indicator("bf_any_6m", "breastfeeding", "binary", "any breastfeeding at 6 months (167–213 days)"),
    Indicator("bf_any_12m", "breastfeeding", "binary", "any breastfeeding at 12 months (335–426 days)"),
    Indicator("bf_excl_2m", "breastfeeding", "binary", "exclusive breastfeeding at 2 months (42–82 days)"),
    Indicator("bf_excl_4m", "breastfeeding", "binary", "exclusive breastfeeding at 4 months (105–143 days)"),
    Indicator(
        "bf_duration",
        "breastfeeding",
        "survival",
        "age at weaning from any breastfeeding (interval-censored)",
    ),
    Indicator("vacc_dtp3_24m", "vaccination", "binary", "3 doses of DTaP-IPV-Hib by 24 months"),
    Indicator("vacc_pcv3_24m", "vaccination", "binary", "3 doses of pneumococcal vaccine by 24 months"),
    Indicator("vacc_mmr1_24m", "vaccination", "binary", "1 dose of MMR by 24 months"),
    Indicator(
        "vacc_rota_complete",
        "vaccination",
        "binary",
        "complete rotavirus series (children born from 2019-09-01)",
    ),
    Indicator(
        "vacc_full_24m",
        "vaccination",
        "binary",
        "DTaP3, PCV3 and MMR1 by 24 months, and a complete rotavirus series if born from 2019-09-01",
    ),
    Indicator("vacc_mmr1_timely", "vaccination", "binary", "MMR by 20 months"),
    Indicator("vacc_mmr1_age", "vaccination", "survival", "age at the first MMR dose"),
    Indicator("lang_screened", "language", "binary", "language screening at 2.5 or 3 years done"),
    Indicator("lang_no_deviation", "language", "binary", "no deviation, among those screened"),
    Indicator("lang_referred", "language", "binary", "referred to a speech and language therapist"),
    Indicator("lang_deviation_detected", "language", "binary",
              "deviation found at the screening, among all children due for it"),
)

INDICATOR_IDS: tuple[str, ...] = tuple(i.id for i in INDICATORS)
