"""Outcome indicators of SPEC §6: the one registry of everything about an indicator.

An `Indicator` carries its id, family and kind, the age window it is assessed in, the age
from which the programme's contacts can no longer shape it, for whom it is defined, how a
time-to-event indicator is censored, shown and compared (`TimeToEvent`), and its words in
both report languages. study.yml's `primary_indicators` is checked against the registry,
every later stage iterates over it, and the compare stage and the reports branch on these
properties, never on an indicator's id. The rules that compute each indicator live in the
family's module (breastfeeding.py, vaccination.py, language.py); a new indicator is one
entry here plus its rule there.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Literal

from pipeline.indicators.breastfeeding import POINTS
from pipeline.indicators.vaccination import ROTA_ELIGIBLE_FROM
from pipeline.words import Words

Family = Literal["breastfeeding", "vaccination", "language", "healthcare", "dental"]
# binary: a share of children; survival: a time to an event; count: a number per child (deft);
# rate: a number of events per child over the time it was followed (contacts per child-year)
Kind = Literal["binary", "survival", "count", "rate"]

# Breastfeeding duration is imputed at the midpoint of its interval where a single time is needed.
MIDPOINT_WEANING = ("weaning age imputed at the midpoint between the last 'breastfed' and the "
                    "first 'weaned' assessment")


@dataclass(frozen=True)
class TimeToEvent:
    """How a survival indicator is censored, drawn and compared.

    `rising`: the event is what the programme hopes for sooner (an MMR dose), so curves show
    the share who had it and a landmark counts it; otherwise (weaning) they show the share
    still without it. A landmark DiD compares the share at `landmark_days` (and at each of
    `landmark_ages`); the restricted mean runs to `rmst_horizon`. An interval-censored
    indicator (known only between two assessments) is compared by the discrete-time model on
    the intervals between `cut_points`. The English strings word effects.csv's notes.
    """

    censoring: Literal["right", "interval"]
    rising: bool
    # survival table points (first, last, step): MMR is due at 18 months, so to 900 days;
    # breastfeeding is assessed up to 12 months (window to 426 days), after which the
    # Turnbull bounds say nothing, so to 450
    grid_days: tuple[int, int, int]
    landmark_days: int
    landmark_ages: tuple[int, ...]
    rmst_horizon: int
    earlier: str  # what a hazard ratio above 1 means happened earlier ("vaccinated earlier")
    rmst_measures: str  # what the restricted mean counts ("days without MMR")
    landmark_measure: str  # indicators.csv's measure of the landmark share, with {days}
    landmark_note: str  # the landmark share in effects.csv's note, with {days}
    landmark_words: Words  # the landmark share on page one
    landmark_share: Words  # the landmark share in a technical note, with {days}
    verdict_higher: Words  # a hazard ratio above 1 beyond chance, with {p} and {correction}
    verdict_lower: Words
    cut_points: tuple[int, ...] = ()  # interval-censored: the discrete-time model's intervals (days)
    # what a hazard ratio above 1 means, on page one (a bare 0.78 said nothing of its direction)
    above_one: Words = Words("", "")
    # the binary indicator that is the share at `landmark_days` (MMR by 24 months): the landmark
    # takes its values, so that the two count the very same children and publishing hides a
    # count under either name alike (a DiD hidden as vacc_mmr1_24m was published as vacc_mmr1_age)
    landmark_is: str = ""

    @property
    def interval_censored(self) -> bool:
        return self.censoring == "interval"

    @property
    def grid(self) -> range:
        """The ages (days) at which the survival table shows the curves."""
        first, last, step = self.grid_days
        return range(first, last + 1, step)


@dataclass(frozen=True)
class Indicator:
    """One indicator: what it is, for whom and when it is assessed, and its words."""

    id: str
    family: Family
    kind: Kind
    words: Words
    meaning: str  # one line in English (the cohort's data dictionary)
    window_days: tuple[int, int] | None = None  # the age window of its assessment, both inclusive
    outcome_from_days: int = 0  # only contacts whose window closes before this age are its dose
    born_from: dt.date | None = None  # defined only for children born from this date
    stable_parts: tuple[str, ...] = ()  # where born_from splits a DiD's periods: defined as all of these
    time_to_event: TimeToEvent | None = None
    # the optional export it is computed from (pipeline.schema); None: the core exports. A study
    # without that export has no such indicator (`present`).
    source: str | None = None
    # a rate: the cohort's column of events per child and of the years each child was followed
    count_column: str | None = None
    exposure_column: str | None = None

    @property
    def columns(self) -> tuple[str, ...]:
        """The cohort columns that hold it (a rate: its events and its follow-up time)."""
        if self.kind == "rate":
            return (self.count_column or self.id, self.exposure_column or f"{self.id}_years")
        return (self.id,)

    @property
    def definition(self) -> str:
        """Its meaning, with the assessment window where it has one."""
        if self.window_days is None:
            return self.meaning
        return f"{self.meaning} ({self.window_days[0]}–{self.window_days[1]} days)"


def _breastfeeding_point(id_: str, point: str, meaning: str, words: Words) -> Indicator:
    """A breastfeeding indicator at one of Socialstyrelsen's points: its window (and the age
    from which contacts cannot shape it) is the point's window in breastfeeding.POINTS."""
    window = POINTS[point][1:]
    return Indicator(id_, "breastfeeding", "binary", words, meaning, window_days=window,
                     outcome_from_days=window[0])


# Vaccination: the age (days) the last dose of a series is due in the Swedish programme
# (DTaP-IPV-Hib and PCV 3, 5 and 12 months; MMR 18 months; rotavirus from 6 weeks, so its
# window opens then); language: the screening at 2.5 years.
_LAST_DOSE_DUE = {"dtp3": 365, "pcv3": 365, "mmr1": 548, "rota": 42}
_SCREENING_DUE = 913

INDICATORS: tuple[Indicator, ...] = (
    _breastfeeding_point("bf_any_1w", "1w", "any breastfeeding at 1 week",
                         Words("Amning (hel eller delvis) vid 1 vecka", "Any breastfeeding at 1 week")),
    _breastfeeding_point("bf_any_2m", "2m", "any breastfeeding at 2 months",
                         Words("Amning (hel eller delvis) vid 2 månader", "Any breastfeeding at 2 months")),
    _breastfeeding_point("bf_any_4m", "4m", "any breastfeeding at 4 months",
                         Words("Amning (hel eller delvis) vid 4 månader", "Any breastfeeding at 4 months")),
    _breastfeeding_point("bf_any_6m", "6m", "any breastfeeding at 6 months",
                         Words("Amning (hel eller delvis) vid 6 månader", "Any breastfeeding at 6 months")),
    _breastfeeding_point("bf_any_12m", "12m", "any breastfeeding at 12 months",
                         Words("Amning (hel eller delvis) vid 12 månader", "Any breastfeeding at 12 months")),
    _breastfeeding_point("bf_excl_2m", "2m", "exclusive breastfeeding at 2 months",
                         Words("Helamning vid 2 månader", "Exclusive breastfeeding at 2 months")),
    _breastfeeding_point("bf_excl_4m", "4m", "exclusive breastfeeding at 4 months",
                         Words("Helamning vid 4 månader", "Exclusive breastfeeding at 4 months")),
    Indicator(
        "bf_duration", "breastfeeding", "survival", Words("Amningens längd", "Duration of breastfeeding"),
        "age at weaning from any breastfeeding (interval-censored)",
        time_to_event=TimeToEvent(
            censoring="interval", rising=False, grid_days=(0, 450, 15), landmark_days=183,
            landmark_ages=(61, 122, 183), rmst_horizon=365, earlier="weaned earlier",
            above_one=Words("över 1: slutade amma tidigare i interventionsgruppen",
                            "above 1: weaned earlier in the intervention group"),
            rmst_measures="days breastfed", landmark_measure="turnbull_share_breastfed_at_{days}_days",
            landmark_note=(f"landmark: share still breastfed at {{days}} days ({MIDPOINT_WEANING}; "
                           "children last seen breastfed before {days} days are excluded)"),
            landmark_words=Words("andel som fortfarande ammas vid 6 månader",
                                 "share still breastfed at 6 months"),
            landmark_share=Words("andel som ammas vid {days} dagar", "share breastfed at {days} days"),
            verdict_higher=Words(
                sv=("avvänjningen skedde tidigare med programmet (kortare amning), mer än slumpen rimligen "
                    "kan förklara (justerat {p}, {correction})"),
                en=("weaning came earlier with the programme (shorter breastfeeding), more than chance "
                    "would plausibly explain (adjusted {p}, {correction})")),
            verdict_lower=Words(
                sv=("avvänjningen skedde senare med programmet (längre amning), mer än slumpen rimligen "
                    "kan förklara (justerat {p}, {correction})"),
                en=("weaning came later with the programme (longer breastfeeding), more than chance would "
                    "plausibly explain (adjusted {p}, {correction})")),
            # in the gaps between Socialstyrelsen's windows, so no assessment falls on a cut point
            cut_points=(0, 30, 94, 155, 220, 305, 426))),
    Indicator("vacc_dtp3_24m", "vaccination", "binary",
              Words("DTP-polio-Hib, 3 doser vid 24 månader", "DTaP-IPV-Hib, 3 doses by 24 months"),
              "3 doses of DTaP-IPV-Hib by 24 months", outcome_from_days=_LAST_DOSE_DUE["dtp3"]),
    Indicator("vacc_pcv3_24m", "vaccination", "binary",
              Words("Pneumokockvaccin, 3 doser vid 24 månader", "Pneumococcal vaccine, 3 doses by 24 months"),
              "3 doses of pneumococcal vaccine by 24 months", outcome_from_days=_LAST_DOSE_DUE["pcv3"]),
    Indicator("vacc_mmr1_24m", "vaccination", "binary", Words("MMR vid 24 månader", "MMR at 24 months"),
              "1 dose of MMR by 24 months", outcome_from_days=_LAST_DOSE_DUE["mmr1"]),
    Indicator("vacc_rota_complete", "vaccination", "binary",
              Words("Rotavirusvaccin, fullständig serie", "Rotavirus vaccine, complete series"),
              f"complete rotavirus series (children born from {ROTA_ELIGIBLE_FROM.isoformat()})",
              outcome_from_days=_LAST_DOSE_DUE["rota"], born_from=ROTA_ELIGIBLE_FROM),
    Indicator("vacc_full_24m", "vaccination", "binary",
              Words("Fullvaccinerad vid 24 månader", "Fully vaccinated at 24 months"),
              "DTaP3, PCV3 and MMR1 by 24 months, and a complete rotavirus series if born from "
              f"{ROTA_ELIGIBLE_FROM.isoformat()}", outcome_from_days=_LAST_DOSE_DUE["mmr1"],
              stable_parts=("vacc_dtp3_24m", "vacc_pcv3_24m", "vacc_mmr1_24m")),
    Indicator("vacc_mmr1_timely", "vaccination", "binary",
              Words("MMR i tid (vid 20 månader)", "MMR on time (by 20 months)"), "MMR by 20 months",
              outcome_from_days=_LAST_DOSE_DUE["mmr1"]),
    Indicator(
        "vacc_mmr1_age", "vaccination", "survival",
        Words("Ålder vid MMR-vaccination", "Age at MMR vaccination"), "age at the first MMR dose",
        time_to_event=TimeToEvent(
            censoring="right", rising=True, grid_days=(0, 900, 30), landmark_days=730,
            landmark_ages=(548, 608, 730), rmst_horizon=730, earlier="vaccinated earlier",
            landmark_is="vacc_mmr1_24m",
            above_one=Words("över 1: vaccinerade tidigare i interventionsgruppen",
                            "above 1: vaccinated earlier in the intervention group"),
            rmst_measures="days without MMR", landmark_measure="km_share_vaccinated_by_{days}_days",
            landmark_note=("landmark: share with MMR by {days} days, among children followed to {days} "
                           "days or vaccinated before"),
            landmark_words=Words("Andel vaccinerade vid 24 månader", "Share vaccinated by 24 months"),
            landmark_share=Words("andel vaccinerade vid {days} dagar", "share vaccinated by {days} days"),
            verdict_higher=Words(
                sv=("vaccinationen skedde tidigare med programmet, mer än slumpen rimligen kan förklara "
                    "(justerat {p}, {correction})"),
                en=("vaccination came earlier with the programme, more than chance would plausibly "
                    "explain (adjusted {p}, {correction})")),
            verdict_lower=Words(
                sv=("vaccinationen skedde senare med programmet, mer än slumpen rimligen kan förklara "
                    "(justerat {p}, {correction})"),
                en=("vaccination came later with the programme, more than chance would plausibly explain "
                    "(adjusted {p}, {correction})")))),
    Indicator("lang_screened", "language", "binary",
              Words("Språkscreening genomförd", "Language screening done"),
              "language screening at 2.5 or 3 years done", outcome_from_days=_SCREENING_DUE),
    Indicator("lang_no_deviation", "language", "binary",
              Words("Språkscreening utan anmärkning", "Language screening without remark"),
              "no deviation, among those screened", outcome_from_days=_SCREENING_DUE),
    Indicator("lang_referred", "language", "binary",
              Words("Remiss till logoped", "Referred to a speech therapist"),
              "referred to a speech and language therapist", outcome_from_days=_SCREENING_DUE),
    Indicator("lang_deviation_detected", "language", "binary",
              Words("Språkavvikelse upptäckt (bland alla barn i åldern)",
                    "Language deviation found (among all children of the age)"),
              "deviation found at the screening, among all children due for it",
              outcome_from_days=_SCREENING_DUE),
)

# Healthcare use and dental health (issue 13; pipeline.indicators.healthcare), from optional exports.
_CARE, _DENTAL = "care_contacts", "dental"
INDICATORS += (
    Indicator("care_emergency_rate_24m", "healthcare", "rate",
              Words("Akuta vårdkontakter per barnår, 0–24 månader",
                    "Emergency care contacts per child-year, 0–24 months"),
              "emergency care contacts per child-year followed, birth to 24 months", source=_CARE,
              count_column="care_emergency_contacts_24m", exposure_column="care_followup_years_24m"),
    Indicator("care_any_emergency_24m", "healthcare", "binary",
              Words("Minst en akut vårdkontakt före 24 månader",
                    "At least one emergency contact by 24 months"),
              "at least one emergency care contact before 24 months", source=_CARE),
    Indicator("care_inpatient_24m", "healthcare", "binary",
              Words("Inlagd på sjukhus före 24 månader", "Admitted to hospital by 24 months"),
              "at least one inpatient stay before 24 months", source=_CARE),
    Indicator("dental_caries_3y", "dental", "binary",
              Words("Karies vid 3 år (deft > 0)", "Caries at 3 years (deft > 0)"),
              "deft above 0 at the dental examination nearest 3 years (30–48 months), among those examined",
              source=_DENTAL, outcome_from_days=_SCREENING_DUE),
    Indicator("dental_deft_3y", "dental", "count",
              Words("Karierade, extraherade och fyllda tänder (deft) vid 3 år",
                    "Decayed, extracted and filled teeth (deft) at 3 years"),
              "deft at the dental examination nearest 3 years (30–48 months), among those examined",
              source=_DENTAL, outcome_from_days=_SCREENING_DUE),
)

INDICATOR_IDS: tuple[str, ...] = tuple(i.id for i in INDICATORS)
# the optional exports indicators are computed from, in registry order
INDICATOR_SOURCES: tuple[str, ...] = tuple(dict.fromkeys(i.source for i in INDICATORS if i.source))
_BY_ID: dict[str, Indicator] = {i.id: i for i in INDICATORS}


def indicator(indicator_id: str) -> Indicator:
    """The registry entry of an indicator id; KeyError naming the known ids otherwise."""
    try:
        return _BY_ID[indicator_id]
    except KeyError:
        raise KeyError(f"unknown indicator {indicator_id!r}; known: {', '.join(INDICATOR_IDS)}") from None


def present(columns: object, kinds: tuple[str, ...] | None = None) -> tuple[Indicator, ...]:
    """The indicators a cohort holds (by its `columns`), of `kinds` (all by default): every core
    one, and those of an optional export only when the study gave it (the cohort then has their
    columns)."""
    have = set(columns)
    return tuple(i for i in INDICATORS if (i.source is None or set(i.columns) <= have)
                 and (kinds is None or i.kind in kinds))


def time_to_event(indicator_id: str) -> TimeToEvent | None:
    """How a survival indicator is followed; None for another kind or an unknown id."""
    entry = _BY_ID.get(indicator_id)
    return None if entry is None else entry.time_to_event


# The version of the indicator definitions: windows, denominators and the rules of each family's
# module. A site package (`hembesok share`) carries it, and `hembesok pool` pools only packages
# of one version. Raise it with any change to a rule that changes what an indicator counts.
DEFINITIONS_VERSION = "1"


def definition(indicator_id: str, language_screening: str) -> dict[str, object]:
    """What defines an indicator's value for a child, as data: its registry entry's rule fields
    (not its words) and, for the language family, the study's `language_screening`. Two sites
    whose definitions are equal count the indicator alike."""
    entry = indicator(indicator_id)
    course = entry.time_to_event
    record: dict[str, object] = {
        "id": entry.id, "family": entry.family, "kind": entry.kind, "meaning": entry.meaning,
        "window_days": list(entry.window_days) if entry.window_days else None,
        "outcome_from_days": entry.outcome_from_days,
        "born_from": entry.born_from.isoformat() if entry.born_from else None,
        "stable_parts": list(entry.stable_parts), "source": entry.source,
        "time_to_event": None if course is None else {
            "censoring": course.censoring, "rising": course.rising,
            "landmark_days": course.landmark_days, "cut_points": list(course.cut_points)},
    }
    if entry.family == "language":
        record["language_screening"] = language_screening
    return record
