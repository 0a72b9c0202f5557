"""Collaboration ratings between the professions (issue 12, item 2): the `samverkan` export.

In Stockholm's outer-city project (STIS) the conditions for collaboration were rated on nine
dimensions, about six times per district, by parental advisors, open pre-school staff and
child and maternal health care. The export has one row per rating: district (`omrade`),
occasion (`tillfalle`), the respondent's profession (`yrkesgrupp`), dimension (`dimension`)
and score (`poang`). This part shows each district's mean per dimension at each occasion as a
radar chart, the change from the first to the last occasion with an interval, and whether the
districts draw closer (the spread between district means per occasion).

Decisions (a reviewer will ask):

- Scale. Scores are on SCORE_SCALE, 1 to 10, higher meaning better conditions for
  collaboration (the usual form of a nine-dimension self-rating "spider"). A study on another
  scale changes the constant; the scale is not read from study.yml or the export, so that one
  number governs validation, the radar's axis and the report's wording. A score outside it is
  not guessed at (a 0 may mean "no answer", an 11 a typing error): `reject_out_of_range`
  returns such rows as rejects with reason `score_out_of_range`, for the clean stage to
  account; `compute` refuses rows that were not checked. Half points are allowed (some tools
  average two items); the occasion is a whole number counting the survey rounds, 1 first.
- Respondents. The export has no respondent id, so each respondent is taken to rate each
  dimension at most once (one survey form each). The respondents of one profession in a
  district at an occasion are the most ratings any dimension got from that profession; the
  district's respondents are the sum over professions. A dimension's mean rests on the
  respondents who rated it (`respondents` in collaboration_means). Counts per profession are
  not published, only which professions answered (`professions`): in a district they are
  mostly below min_cell, and their sums would force hiding district totals, and with them
  whole lines of the radar, for a breakdown the evaluation does not need. For the same
  reason there is no "all districts" total: a sum over districts would give back a district
  hidden as "<5" unless another were hidden with it.
- Missing is missing. A dimension nobody rated in a district at an occasion is a row with 0
  respondents and a blank mean, never a 0 score; the radar leaves a gap in that occasion's
  line (NaN vertex) and its legend names the missing dimension. A mean hidden by small-cell
  suppression is a gap too, named as hidden.
- Change. Per district and dimension, the mean at the district's last occasion less the mean at
  its first, with a Welch t interval (95 %) and p. Respondents differ between occasions (staff
  come and go, and who answers is not recorded), so the two occasions are independent samples
  rather than pairs: nothing links a rating at the first occasion to one at the last, and were
  some respondents the same people, their positive correlation would make the independent-
  samples interval wider than a paired one, never narrower. Welch rather than pooled variance
  because the spread of ratings often changes as collaboration settles. No p is adjusted for
  the many district × dimension comparisons (7 × 9 in STIS): the intervals describe, and the
  report says that some will exclude 0 by chance. Ratings are ordinal; a mean and a t interval
  on a 10-point scale with at least min_cell respondents are the usual, robust summary.
  A dimension not rated at either end, fewer than 2 ratings, or ratings all equal at both ends
  give no interval, with a `note` saying why.
- Convergence. The spread between districts at an occasion is the standard deviation (and the
  range) of the district means of a dimension, over the districts whose mean can be published
  (at least min_cell respondents: a spread over a hidden mean would give it back). It is
  descriptive: the districts are all of the programme's districts, not a sample, and with seven
  of them a bootstrap over districts would be coarse and too narrow. Part of the observed
  spread is sampling noise within districts; `sd_sampling`, the root mean of the districts'
  squared standard errors (s²/n), is about the spread that district means would show if the
  districts were truly equal, so a spread near it says the districts do not measurably differ.
  collaboration_convergence compares the study's first and last occasions over the districts
  with a published mean at both (the same districts, so that a district joining or leaving
  does not pass for convergence): `narrower` when the SD fell by at least SPREAD_TOLERANCE,
  `wider` when it rose by that much, else `unchanged`; `not_comparable` with fewer than two
  such districts.

What the framework wires beyond the part contract: VOCABULARIES into schema.CATEGORY_VARIANTS
(the `yrkesgrupp` spellings), NEW_COLUMN_KINDS into outputs.COLUMN_KINDS, REJECT_REASONS into
the reason labels, `reject_out_of_range` on the clean rows (its rejects into the accounting),
and the area spellings of `omrade` as for the other exports. The section's figures are named
`collaboration_radar_<district>` (the district folded to a-z, 0-9 and "_"); its first block
is the section heading (TITLE).

The Welch interval of a change is `pipeline.stats.continuous.mean_difference` (the statistics
API every method shares); the spread between districts is descriptive and computed here.
"""

from __future__ import annotations

import datetime as dt
import math
import re
import textwrap
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from pipeline import text
from pipeline.figure_keys import keyed
from pipeline.followup import Block, FigureBlock, TableBlock, Text
from pipeline.outputs import (
    COUNT,
    DISTRICT_ROWS,
    LABEL,
    STUDY_ROWS,
    TEXT,
    OutputTable,
)
from pipeline.parsing import fold_label, normalise_labels
from pipeline.publish.cells import Render, _blank, _count, _mark, _Pass, _shown_column, _text
from pipeline.schema import Column, Table
from pipeline.text import format_estimate, format_number, format_p, suppressed_marker, to_number
from pipeline.words import Words, check_language

if TYPE_CHECKING:
    from pipeline.config import Study
    from pipeline.figures import ReportFigure

# --- the scale and the export -------------------------------------------------------------------

SCORE_SCALE: tuple[float, float] = (1.0, 10.0)  # lowest and highest score; higher is better
SPREAD_TOLERANCE = 0.05  # a change of the between-district SD smaller than this is "unchanged"
CONFIDENCE = 0.95
TABLE = "collaboration"

# The respondent's profession, as a survey tool spells it (lower case, single spaces) -> code:
# the three groups (BVC and MVC together as "child and maternal health care") or other.
RESPONDENT_PROFESSION_VARIANTS: dict[str, str] = {
    "föräldrarådgivare": "parental_advisor",
    "foraldraradgivare": "parental_advisor",
    "föräldrarådgivare socialtjänst": "parental_advisor",
    "förebyggande socialtjänst": "parental_advisor",
    "socialtjänst": "parental_advisor",
    "socialtjänsten": "parental_advisor",
    "parental advisor": "parental_advisor",
    "parental_advisor": "parental_advisor",
    "öppen förskola": "open_preschool",
    "öppna förskolan": "open_preschool",
    "personal öppen förskola": "open_preschool",
    "personal i öppen förskola": "open_preschool",
    "förskollärare öppen förskola": "open_preschool",
    "pedagog öppen förskola": "open_preschool",
    "öf": "open_preschool",
    "open pre-school": "open_preschool",
    "open_preschool": "open_preschool",
    "bvc": "child_maternal_health",
    "mvc": "child_maternal_health",
    "bvc/mvc": "child_maternal_health",
    "bvc och mvc": "child_maternal_health",
    "bvc-sjuksköterska": "child_maternal_health",
    "barnmorska": "child_maternal_health",
    "barnhälsovård": "child_maternal_health",
    "barnhälsovården": "child_maternal_health",
    "mödrahälsovård": "child_maternal_health",
    "mödrahälsovården": "child_maternal_health",
    "barn- och mödrahälsovård": "child_maternal_health",
    "barn- och mödrahälsovården": "child_maternal_health",
    "child and maternal health care": "child_maternal_health",
    "child_maternal_health": "child_maternal_health",
    "annan": "other",
    "annat": "other",
    "övrig": "other",
    "övriga": "other",
    "other": "other",
}
# New category vocabularies of this export, for schema.CATEGORY_VARIANTS (key -> variants).
VOCABULARIES: dict[str, dict[str, str]] = {"collaboration_profession": RESPONDENT_PROFESSION_VARIANTS}

EXPORT = Table(
    TABLE,
    "rating: one respondent's score on one dimension at one occasion",
    (
        Column("area", "omrade", "text", required=True,
               description="district (stadsdel/område) whose collaboration is rated",
               label=Words("Område", "Area")),
        Column("occasion", "tillfalle", "integer", required=True,
               description="survey round, a whole number counting from 1 (the first)",
               label=Words("Tillfälle", "Occasion")),
        Column("profession", "yrkesgrupp", "category", vocabulary="collaboration_profession",
               description="respondent's profession: parental_advisor / open_preschool / "
                           "child_maternal_health / other",
               label=Words("Yrkesgrupp", "Profession")),
        Column("dimension", "dimension", "text", required=True,
               description="the collaboration dimension rated, as the survey names it",
               label=Words("Dimension", "Dimension")),
        Column("score", "poang", "number", required=True,
               description=f"score on the scale {SCORE_SCALE[0]:g}-{SCORE_SCALE[1]:g}, higher is better",
               label=Words("Poäng", "Score")),
    ),
    required=False,
    title=Words("Samverkan", "Collaboration"),
    rows=Words("skattningar", "ratings"),
    file="samverkan",
)

# Rejects this part adds at clean (reason code -> words, for text.REASON_LABELS).
REJECT_REASONS: dict[str, Words] = {
    "score_out_of_range": Words(f"Poäng utanför skalan {SCORE_SCALE[0]:g}–{SCORE_SCALE[1]:g}",
                                f"Score outside the scale {SCORE_SCALE[0]:g}–{SCORE_SCALE[1]:g}"),
}
REJECT_COLUMNS = ["table", "source_file", "source_row", "reason", "column", "value"]

# --- the published tables -----------------------------------------------------------------------

# Column kinds of this part's columns that outputs.COLUMN_KINDS does not know (the rest are there
# already: area and note text, p_value and the like numbers).
# This part's rows of the reports' methods appendix.
METHODS: tuple[tuple[Words, Words], ...] = (
    (Words(sv=("Samverkansskattningar: förändring från första till sista tillfället med Welchs "
               "t-intervall (olika svarande vid tillfällena); spridning mellan områden som "
               "standardavvikelsen av områdenas medelvärden, beskrivande"),
           en=("Collaboration ratings: change from the first to the last occasion with Welch's t "
               "interval (different respondents at each occasion); spread between areas as the "
               "standard deviation of the area means, descriptive")),
     Words("Welch 1947", "Welch 1947")),
)

NEW_COLUMN_KINDS: dict[str, str] = {
    "occasion": LABEL,
    "occasion_first": LABEL,
    "occasion_last": LABEL,
    "professions": LABEL,
    "spread_change": LABEL,
    "dimension": TEXT,
    "respondents": COUNT,
    "respondents_first": COUNT,
    "respondents_last": COUNT,
    "districts": COUNT,
}

MEANS, RESPONDENTS, CHANGE, SPREAD, CONVERGENCE = (
    "collaboration_means", "collaboration_respondents", "collaboration_change", "collaboration_spread",
    "collaboration_convergence")
_HIDDEN_MEANS = ("a dimension's respondents below min_cell (\"<5\"), its mean and SD blank; "
                 "a count hidden so that another cannot be worked out, its mean and SD blank too")
OUTPUTS: tuple[OutputTable, ...] = (
    OutputTable(MEANS, "followup", ("area", "occasion", "dimension", "respondents", "mean", "sd"),
                Words("Samverkan: medelvärde per område, tillfälle och dimension",
                      "Collaboration: mean by area, occasion and dimension"),
                Words("medelvärden", "means"), _HIDDEN_MEANS, DISTRICT_ROWS),
    OutputTable(RESPONDENTS, "followup", ("area", "occasion", "respondents", "professions"),
                Words("Samverkan: svarande per område och tillfälle",
                      "Collaboration: respondents by area and occasion"),
                Words("svarandeantal", "respondent counts"),
                "respondents below min_cell (\"<5\"); the professions that answered are listed, "
                "not counted", DISTRICT_ROWS),
    OutputTable(CHANGE, "followup", ("area", "dimension", "occasion_first", "occasion_last",
                                     "respondents_first", "respondents_last", "mean_first", "mean_last",
                                     "difference", "ci_low", "ci_high", "df", "p_value", "note"),
                Words("Samverkan: förändring från första till sista tillfället",
                      "Collaboration: change from the first to the last occasion"),
                Words("förändringar", "changes"),
                "respondents as in collaboration_means; means, difference, interval and p blank "
                "where either occasion's respondents are hidden", DISTRICT_ROWS),
    OutputTable(SPREAD, "followup", ("occasion", "dimension", "districts", "mean_of_means", "sd_between",
                                     "min_mean", "max_mean", "range_between", "sd_sampling"),
                Words("Samverkan: spridning mellan områden per tillfälle",
                      "Collaboration: spread between areas by occasion"),
                Words("spridningsmått", "spread measures"),
                "only districts whose mean is published; the row blank when one of them is "
                "hidden to protect another count", STUDY_ROWS),
    OutputTable(CONVERGENCE, "followup", ("dimension", "occasion_first", "occasion_last", "districts",
                                          "sd_first", "sd_last", "sd_change", "range_first", "range_last",
                                          "spread_change"),
                Words("Samverkan: närmar sig områdena varandra?",
                      "Collaboration: do the areas converge?"),
                Words("dimensioner", "dimensions"),
                "as collaboration_spread, over the districts with a published mean at both occasions",
                STUDY_ROWS),
)

# --- words --------------------------------------------------------------------------------------

TITLE = Words("Samverkan mellan yrkesgrupperna", "Collaboration between the professions")
PROFESSION_LABELS: dict[str, Words] = {
    "parental_advisor": Words("Föräldrarådgivare", "Parental advisors"),
    "open_preschool": Words("Personal i öppen förskola", "Open pre-school staff"),
    "child_maternal_health": Words("Barn- och mödrahälsovård", "Child and maternal health care"),
    "other": Words("Annan yrkesgrupp", "Other profession"),
    "unknown": Words("Yrkesgrupp ej angiven", "Profession not recorded"),
    "all": Words("Alla svarande", "All respondents"),
}
NOTE_LABELS: dict[str, Words] = {
    "one_occasion": Words("Området har bara ett tillfälle", "The area has one occasion only"),
    "not_rated_first": Words("Dimensionen skattades inte vid första tillfället",
                             "The dimension was not rated at the first occasion"),
    "not_rated_last": Words("Dimensionen skattades inte vid sista tillfället",
                            "The dimension was not rated at the last occasion"),
    "too_few": Words("Färre än 2 svar vid ett tillfälle: inget intervall",
                     "Fewer than 2 ratings at an occasion: no interval"),
    "no_variance": Words("Alla svar lika vid båda tillfällena: inget intervall",
                         "All ratings equal at both occasions: no interval"),
}
SPREAD_CHANGE_LABELS: dict[str, Words] = {
    "narrower": Words("Minskade", "Narrowed"),
    "wider": Words("Ökade", "Widened"),
    "unchanged": Words("Oförändrad", "Unchanged"),
    "not_comparable": Words("Kan inte jämföras", "Cannot be compared"),
}
COLUMN_HEADERS: dict[str, Words] = {
    "area": Words("Område", "Area"),
    "dimension": Words("Dimension", "Dimension"),
    "profession": Words("Yrkesgrupp", "Profession"),
    "first_to_last": Words("Medelvärde första → sista", "Mean first → last"),
    "occasions": Words("Tillfällen", "Occasions"),
    "change": Words("Förändring (95\u00a0% KI)", "Change (95% CI)"),
    "respondents_first": Words("Svarande första", "Respondents first"),
    "respondents_last": Words("Svarande sista", "Respondents last"),
    "df": Words("Frihetsgrader", "Degrees of freedom"),
    "p": Words("p", "p"),
    "note": Words("Anmärkning", "Note"),
    "sd_first": Words("Spridning första tillfället (SD)", "Spread at the first occasion (SD)"),
    "sd_last": Words("Spridning sista tillfället (SD)", "Spread at the last occasion (SD)"),
    "range_first_last": Words("Variationsbredd första → sista", "Range first → last"),
    "spread_change": Words("Skillnaden mellan områdena", "Difference between areas"),
    "districts": Words("Områden", "Areas"),
    "sd_sampling": Words("Väntad spridning av slumpen (SD)", "Spread expected by chance (SD)"),
}
OCCASION = Words("Tillfälle {number}", "Occasion {number}")
PHRASES: dict[str, Words] = {
    "intro": Words(
        "Förutsättningarna för samverkan skattades av {professions} i {districts} vid "
        "{occasions} ({respondents} besvarade enkäter), på en skala från {low} till "
        "{high} där ett högre värde betyder bättre förutsättningar. Diagrammen visar områdenas "
        "medelvärde per dimension och tillfälle; en dimension som saknas lämnar ett avbrott i "
        "linjen och räknas aldrig som noll.",
        "The conditions for collaboration were rated by {professions} in {districts} on "
        "{occasions} ({respondents} completed questionnaires), on a scale from {low} to "
        "{high} where a higher value means better conditions. The charts show each area's mean "
        "per dimension and occasion; a missing dimension leaves a gap in the line and is never "
        "counted as zero."),
    "and": Words("och", "and"),
    "radar_caption": Words(
        "{area}: medelvärde per dimension vid varje tillfälle (skala {low}–{high}, högre är bättre). "
        "Streckad linje: första tillfället; heldragen: sista. Ett avbrott i en linje betyder att "
        "dimensionen saknas vid det tillfället: den skattades inte, eller vilar på färre än "
        "{min_cell} svarande och visas inte.",
        "{area}: mean per dimension at each occasion (scale {low}–{high}, higher is better). "
        "Dashed line: the first occasion; solid: the last. A gap in a line means the dimension is "
        "missing at that occasion: it was not rated, or rests on fewer than {min_cell} "
        "respondents and is not shown."),
    "radar_alt": Words(
        "Spindeldiagram för {area} med {dimensions} dimensioner och {occasions} tillfällen. "
        "Medelvärden vid första tillfället: {first}. Vid sista tillfället: {last}.",
        "Radar chart for {area} with {dimensions} dimensions and {occasions} occasions. "
        "Means at the first occasion: {first}. At the last occasion: {last}."),
    "missing_legend": Words("saknas: {dimensions}", "missing: {dimensions}"),
    "hidden_legend": Words("dolt (färre än {min_cell} svarande): {dimensions}",
                           "hidden (fewer than {min_cell} respondents): {dimensions}"),
    "all_dimensions": Words("alla dimensioner", "all dimensions"),
    "not_shown": Words("visas inte", "not shown"),
    "change_caption": Words(
        "Förändring av medelvärdet från områdets första till dess sista tillfälle, med 95\u00a0% "
        "konfidensintervall (Welch). Ett streck: dimensionen saknas vid ett av tillfällena eller "
        "vilar på färre än {min_cell} svarande.",
        "Change in the mean from the area's first to its last occasion, with 95% confidence "
        "interval (Welch). A dash: the dimension is missing at one of the occasions or rests on "
        "fewer than {min_cell} respondents."),
    # the change sentence, composed of the clauses that have something to say
    "change_up": Words(
        "Mellan första och sista tillfället steg medelvärdet, med ett intervall helt över noll, i "
        "{up} av {pairs} jämförelser (område och dimension)",
        "Between the first and last occasion the mean rose, with an interval wholly above zero, in "
        "{up} of {pairs} comparisons (area and dimension)"),
    "change_up_all": Words(
        "Mellan första och sista tillfället steg medelvärdet, med ett intervall helt över noll, i "
        "alla {pairs} jämförelser (område och dimension)",
        "Between the first and last occasion the mean rose, with an interval wholly above zero, in "
        "all {pairs} comparisons (area and dimension)"),
    "change_up_none": Words(
        "Mellan första och sista tillfället steg medelvärdet inte i någon av {pairs} jämförelser "
        "(område och dimension) med ett intervall helt över noll",
        "Between the first and last occasion the mean rose with an interval wholly above zero in "
        "none of {pairs} comparisons (area and dimension)"),
    "change_down": Words(", och sjönk, med ett intervall helt under noll, i {down}",
                         ", and fell, with an interval wholly below zero, in {down}"),
    "change_other": Words("; övriga {other} förändringar kan bero på slumpen",
                          "; the other {other} changes may be chance"),
    "change_other_one": Words("; den övriga förändringen kan bero på slumpen",
                              "; the other change may be chance"),
    "change_chance": Words(
        "Med så många jämförelser väntas någon enstaka av slumpen ha ett intervall som inte "
        "omfattar noll.",
        "With so many comparisons, an odd one is expected to have an interval excluding zero by "
        "chance."),
    "no_change": Words("Inget område har skattats vid mer än ett tillfälle, så ingen förändring kan visas.",
                       "No area was rated on more than one occasion, so no change can be shown."),
    "convergence_caption": Words(
        "Spridningen mellan områdenas medelvärden (standardavvikelse) vid tillfälle {first} och "
        "{last}, över de områden som har ett visat medelvärde vid båda.",
        "The spread between the areas' means (standard deviation) at occasion {first} and "
        "{last}, over the areas with a shown mean at both."),
    "convergence_sentence": Words(
        "Spridningen mellan områdena minskade för {narrower} och ökade för {wider} av "
        "{dimensions} dimensioner från tillfälle {first} till tillfälle {last}.",
        "The spread between the areas narrowed for {narrower} and widened for {wider} of "
        "{dimensions} dimensions from occasion {first} to occasion {last}."),
    "spread_caption": Words(
        "Spridning mellan områdenas medelvärden per tillfälle: standardavvikelse (antal områden). "
        "Den spridning som slumpen ensam skulle ge, om områdena var lika, visas i tabellen "
        "collaboration_spread (sd_sampling).",
        "Spread between the areas' means by occasion: standard deviation (number of "
        "areas). The spread that chance alone would give, were the areas equal, is in "
        "the table collaboration_spread (sd_sampling)."),
    "respondents_caption": Words(
        "Svarande per område och tillfälle ({small} betyder färre än {min_cell}; ett tomt fält är "
        "dolt för att skydda ett annat tal).",
        "Respondents by area and occasion ({small} means fewer than {min_cell}; a blank is "
        "hidden to protect another count)."),
    "professions_caption": Words(
        "Antal områden där yrkesgruppen fanns bland de svarande, per tillfälle (hur många ur varje "
        "yrkesgrupp som svarade visas inte: i ett område är det oftast färre än {min_cell}).",
        "Number of areas where the profession was among the respondents, by occasion (how many "
        "of each profession answered is not shown: in an area it is mostly fewer than "
        "{min_cell})."),
    "of": Words("{part} av {whole}", "{part} of {whole}"),
    "methods": Words(
        "Metod. Varje rad i exporten är en svarandes poäng på en dimension vid ett tillfälle. "
        "Ett områdes medelvärde per dimension och tillfälle vilar på dem som skattade dimensionen; "
        "medelvärden som vilar på färre än {min_cell} svarande visas inte. Förändringen från "
        "första till sista tillfället skattas som skillnaden mellan två oberoende stickprov med "
        "Welchs t-intervall: de svarande skiljer sig mellan tillfällena och ingen koppling mellan "
        "dem finns i exporten, och skulle några vara samma personer blir intervallet bredare, "
        "inte smalare, än ett parat. Inga p-värden är justerade för de många jämförelserna. "
        "Poängen är ordinala; medelvärde och t-intervall är en vedertagen sammanfattning på en "
        "skala från {low} till {high}. Spridningen mellan områden är standardavvikelsen för områdenas "
        "medelvärden och är beskrivande: områdena är programmets alla områden, inte ett "
        "urval. Jämförelsen mellan första och sista tillfället görs över samma områden; en "
        "skillnad under {tolerance} poäng räknas som oförändrad.",
        "Method. Each row of the export is one respondent's score on one dimension at one "
        "occasion. An area's mean per dimension and occasion rests on those who rated the "
        "dimension; means resting on fewer than {min_cell} respondents are not shown. The change "
        "from the first to the last occasion is estimated as the difference between two "
        "independent samples with Welch's t interval: the respondents differ between occasions "
        "and nothing in the export links them, and were some the same people the interval would "
        "be wider, not narrower, than a paired one. No p-value is adjusted for the many "
        "comparisons. The scores are ordinal; a mean and a t interval are the usual summary on a "
        "scale from {low} to {high}. The spread between areas is the standard deviation of the "
        "areas' means and is descriptive: the areas are all of the programme's areas, "
        "not a sample. The first and last occasions are compared over the same areas; a "
        "difference below {tolerance} points counts as unchanged."),
}

# --- validation ---------------------------------------------------------------------------------


def out_of_range(scores: pd.Series) -> pd.Series:
    """Whether each score lies outside SCORE_SCALE (a missing score is not out of range)."""
    low, high = SCORE_SCALE
    values = pd.to_numeric(scores, errors="raise").astype("float64")
    return ((values < low) | (values > high)).fillna(False).astype(bool)


def reject_out_of_range(export: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The export's rows with a score on the scale, and the others as rejects (REJECT_COLUMNS,
    reason `score_out_of_range`) for the clean stage to account."""
    bad = out_of_range(export["score"]).to_numpy()
    rows = export.loc[bad]
    rejects = pd.DataFrame({
        "table": TABLE,
        "source_file": rows["source_file"].to_numpy() if "source_file" in rows else "",
        "source_row": rows["source_row"].to_numpy() if "source_row" in rows else pd.NA,
        "reason": "score_out_of_range",
        "column": "score",
        "value": rows["score"].map(lambda v: f"{v:g}").to_numpy(),
    }, columns=REJECT_COLUMNS)
    return export.loc[~bad].reset_index(drop=True), rejects.reset_index(drop=True)


# --- statistics ---------------------------------------------------------------------------------


# --- compute ------------------------------------------------------------------------------------


def _swedish_key(name: str) -> str:
    """Sort key putting å, ä, ö after z, in that order, as the Swedish alphabet does."""
    return name.lower().translate(str.maketrans({"å": "{", "ä": "|", "ö": "}"}))


def _ratings(export: pd.DataFrame) -> pd.DataFrame:
    """The clean export as this part reads it: area, occasion, profession, dimension (one
    spelling per dimension, the first seen), dimension order and score. Raises ValueError for
    rows a clean stage would not have passed."""
    needed = [c.name for c in EXPORT.required_columns]
    absent = [c for c in needed if c not in export.columns]
    if absent:
        raise ValueError(f"collaboration export lacks column(s) {absent}")
    blank = export[needed].isna().any(axis=1)
    if blank.any():
        raise ValueError(f"collaboration export has {int(blank.sum())} row(s) with a required value "
                         f"missing ({needed}); the clean stage rejects them")
    bad = out_of_range(export["score"])
    if bad.any():
        raise ValueError(f"collaboration export has {int(bad.sum())} score(s) outside the scale "
                         f"{SCORE_SCALE[0]:g}–{SCORE_SCALE[1]:g}; reject them at clean with "
                         "collaboration.reject_out_of_range")
    spelled = export["dimension"].astype("string").str.strip()
    key = normalise_labels(spelled)
    order = {k: i for i, k in enumerate(dict.fromkeys(key))}
    first_spelling = spelled.groupby(key, sort=False).first()
    profession = (export["profession"].astype("string") if "profession" in export.columns
                  else pd.Series(pd.NA, index=export.index, dtype="string")).fillna("unknown")
    return pd.DataFrame({
        "area": export["area"].astype("string").str.strip().to_numpy(),
        "occasion": pd.to_numeric(export["occasion"]).astype("int64").to_numpy(),
        "profession": profession.to_numpy(),
        "dimension": key.map(first_spelling).to_numpy(),
        "dimension_order": key.map(order).astype("int64").to_numpy(),
        "score": pd.to_numeric(export["score"]).astype("float64").to_numpy(),
    })


def _frame(name: str, frame: pd.DataFrame) -> pd.DataFrame:
    """The part's table `name` from a frame: its declared columns, typed as the catalog types them."""
    table = _output(name)
    return table.frame(frame.reindex(columns=list(table.columns)).to_dict("records"))


def _output(name: str) -> OutputTable:
    return next(t for t in OUTPUTS if t.name == name)


def _means(ratings: pd.DataFrame, areas: list[str], dimensions: list[str]) -> pd.DataFrame:
    """Every district × its occasions × every dimension: respondents, mean and SD (0 and blank
    where the dimension was not rated)."""
    grid = (ratings[["area", "occasion"]].drop_duplicates()
            .merge(pd.DataFrame({"dimension": dimensions}), how="cross"))
    summary = (ratings.groupby(["area", "occasion", "dimension"], sort=False)["score"]
               .agg(respondents="count", mean="mean", sd=lambda s: s.std(ddof=1)).reset_index())
    means = grid.merge(summary, on=["area", "occasion", "dimension"], how="left")
    means["respondents"] = means["respondents"].fillna(0)
    means["_area"] = means["area"].map({a: i for i, a in enumerate(areas)})
    means["_dimension"] = means["dimension"].map({d: i for i, d in enumerate(dimensions)})
    means = means.sort_values(["_area", "occasion", "_dimension"], kind="stable")
    return _frame(MEANS, means)


def _respondents(ratings: pd.DataFrame, areas: list[str]) -> pd.DataFrame:
    """Respondents per district and occasion: per profession the most ratings any dimension got
    from it, summed over professions; and the professions that answered, in PROFESSION_LABELS
    order, joined by '|'."""
    per_dimension = ratings.groupby(["area", "occasion", "profession", "dimension"]).size()
    per_profession = (per_dimension.groupby(level=["area", "occasion", "profession"]).max()
                      .rename("respondents").reset_index())
    order = {p: i for i, p in enumerate(PROFESSION_LABELS)}
    per_profession = per_profession.sort_values("profession", key=lambda s: s.map(order), kind="stable")
    table = per_profession.groupby(["area", "occasion"], as_index=False).agg(
        respondents=("respondents", "sum"), professions=("profession", "|".join))
    table = table.assign(_area=table["area"].map({a: i for i, a in enumerate(areas)}))
    table = table.sort_values(["_area", "occasion"], kind="stable")
    return _frame(RESPONDENTS, table)


def _change_row(area: str, dimension: str, first: int, last: int, before: np.ndarray,
                after: np.ndarray) -> dict[str, Any]:
    row: dict[str, Any] = {"area": area, "dimension": dimension, "occasion_first": first,
                           "occasion_last": last, "respondents_first": len(before),
                           "respondents_last": len(after),
                           "mean_first": before.mean() if len(before) else np.nan,
                           "mean_last": after.mean() if len(after) else np.nan, "note": ""}
    if first == last:
        row["note"] = "one_occasion"
    elif not len(before):
        row["note"] = "not_rated_first"
    elif not len(after):
        row["note"] = "not_rated_last"
    else:
        row["difference"] = row["mean_last"] - row["mean_first"]
        if len(before) < 2 or len(after) < 2:
            row["note"] = "too_few"
        elif before.var() == 0 and after.var() == 0:
            row["note"] = "no_variance"
        else:
            from pipeline.stats import mean_difference  # statsmodels: only where a change is estimated

            welch = mean_difference(after, before, confidence=CONFIDENCE)  # last less first
            row.update(difference=welch.estimate, ci_low=welch.ci_low, ci_high=welch.ci_high,
                       df=welch.df, p_value=welch.p_value)
    return row


def _changes(ratings: pd.DataFrame, areas: list[str], dimensions: list[str]) -> pd.DataFrame:
    """Per district and dimension: the district's last occasion against its first (Welch)."""
    scores = {key: group.to_numpy() for key, group in
              ratings.groupby(["area", "occasion", "dimension"], sort=False)["score"]}
    empty = np.zeros(0)
    rows = []
    for area in areas:
        occasions = ratings.loc[ratings["area"] == area, "occasion"]
        first, last = int(occasions.min()), int(occasions.max())
        for dimension in dimensions:
            rows.append(_change_row(area, dimension, first, last, scores.get((area, first, dimension), empty),
                                    scores.get((area, last, dimension), empty)))
    return _frame(CHANGE, pd.DataFrame(rows))


def _spread_of(means: pd.DataFrame) -> dict[str, float]:
    """SD, range and the like of district means (rows with mean, sd and respondents)."""
    values = means["mean"].to_numpy(dtype=float)
    k = len(values)
    squared_se = (means["sd"].to_numpy(dtype=float) ** 2 / means["respondents"].to_numpy(dtype=float))
    return {"districts": k, "mean_of_means": values.mean() if k else np.nan,
            "sd_between": values.std(ddof=1) if k >= 2 else np.nan,
            "min_mean": values.min() if k else np.nan, "max_mean": values.max() if k else np.nan,
            "range_between": values.max() - values.min() if k >= 2 else np.nan,
            "sd_sampling": math.sqrt(np.nanmean(squared_se)) if k >= 2 and
            not np.isnan(squared_se).all() else np.nan}


def _published_means(means: pd.DataFrame, min_cell: int) -> pd.DataFrame:
    """The means a report can show: at least min_cell respondents."""
    respondents = means["respondents"].astype("float64")
    return means.loc[(respondents >= min_cell) & means["mean"].notna()]


def _spreads(means: pd.DataFrame, min_cell: int, dimensions: list[str]) -> pd.DataFrame:
    shown = _published_means(means, min_cell)
    rows = [{"occasion": occasion, "dimension": dimension,
             **_spread_of(shown[(shown["occasion"] == occasion) & (shown["dimension"] == dimension)])}
            for occasion in sorted(means["occasion"].unique()) for dimension in dimensions]
    return _frame(SPREAD, pd.DataFrame(rows))


def _convergence(means: pd.DataFrame, min_cell: int, dimensions: list[str]) -> pd.DataFrame:
    """Per dimension, the spread at the study's first and last occasion over the same districts."""
    shown = _published_means(means, min_cell)
    first, last = int(means["occasion"].min()), int(means["occasion"].max())
    rows = []
    for dimension in dimensions:
        at = {o: shown[(shown["occasion"] == o) & (shown["dimension"] == dimension)].set_index("area")
              for o in (first, last)}
        both = [a for a in at[first].index if a in at[last].index]
        before, after = (_spread_of(at[o].loc[both].reset_index()) for o in (first, last))
        change = after["sd_between"] - before["sd_between"]
        if first == last or len(both) < 2:
            verdict = "not_comparable"
        elif abs(change) < SPREAD_TOLERANCE:
            verdict = "unchanged"
        else:
            verdict = "narrower" if change < 0 else "wider"
        rows.append({"dimension": dimension, "occasion_first": first, "occasion_last": last,
                     "districts": len(both), "sd_first": before["sd_between"], "sd_last": after["sd_between"],
                     "sd_change": change, "range_first": before["range_between"],
                     "range_last": after["range_between"], "spread_change": verdict})
    return _frame(CONVERGENCE, pd.DataFrame(rows))


def compute(export: pd.DataFrame, study: Study) -> dict[str, pd.DataFrame]:
    """The clean `samverkan` export's rows to this part's tables, before suppression.

    The spread tables use only means resting on at least `study.min_cell` respondents, since
    a spread over a mean that is not published would give it back.
    """
    if export.empty:
        return {t.name: t.frame([]) for t in OUTPUTS}
    ratings = _ratings(export)
    areas = sorted(ratings["area"].unique(), key=_swedish_key)
    dimensions = list(ratings.sort_values("dimension_order", kind="stable")["dimension"].unique())
    means = _means(ratings, areas, dimensions)
    return {
        MEANS: means,
        RESPONDENTS: _respondents(ratings, areas),
        CHANGE: _changes(ratings, areas, dimensions),
        SPREAD: _spreads(means, study.min_cell, dimensions),
        CONVERGENCE: _convergence(means, study.min_cell, dimensions),
    }


# --- publishing ---------------------------------------------------------------------------------


def _occasion(value: object) -> int:
    return int(float(value))


def _respondents_key(area: str, occasion: object) -> tuple:
    return ("collaboration", "respondents", area, _occasion(occasion))


def _ratings_key(area: str, occasion: object, dimension: str) -> tuple:
    return ("collaboration", "ratings", area, _occasion(occasion), dimension)


def _link(p: _Pass) -> None:
    """Register the pass's collaboration counts once for all its tables: a dimension's
    respondents are part of its district's at that occasion (the rest, who skipped the
    dimension, is not published), so a district total hidden hides the dimensions that
    everyone rated with it."""
    if p.facts.get("collaboration_linked"):
        return
    p.facts["collaboration_linked"] = True
    totals: dict[tuple[str, int], int] = {}
    if RESPONDENTS in p.frames:
        for r in p.frames[RESPONDENTS].to_dict("records"):
            totals[(_text(r["area"]), _occasion(r["occasion"]))] = p.count(
                _respondents_key(_text(r["area"]), r["occasion"]), r["respondents"], cost=2)
    if MEANS in p.frames:
        for r in p.frames[MEANS].to_dict("records"):
            cell = p.count(_ratings_key(_text(r["area"]), r["occasion"], _text(r["dimension"])),
                           r["respondents"])
            total = totals.get((_text(r["area"]), _occasion(r["occasion"])))
            if total is not None:
                p.sum_up(total, [cell])


def _publish_means(p: _Pass, frame: pd.DataFrame) -> Render:
    """Respondents per dimension as counts of people; mean and SD blank with a hidden count."""
    _link(p)
    ids = np.array([p.count(_ratings_key(_text(r["area"]), r["occasion"], _text(r["dimension"])),
                             r["respondents"]) for r in frame.to_dict("records")], dtype=np.int64)

    def render(hidden: np.ndarray) -> pd.DataFrame:
        published = frame.copy()
        rows = hidden[ids] if len(ids) else np.zeros(0, dtype=bool)
        published["respondents"] = _shown_column(frame["respondents"], rows, p.min_cell)
        _blank(published, rows, ["mean", "sd"])
        return _mark(published, rows, ["small_group" if p.small(int(c)) else "secondary" for c in ids])
    return render


def _publish_respondents(p: _Pass, frame: pd.DataFrame) -> Render:
    """Respondents per district and occasion, counts of people; the professions as listed."""
    _link(p)
    ids = np.array([p.count(_respondents_key(_text(r["area"]), r["occasion"]), r["respondents"], cost=2)
                    for r in frame.to_dict("records")], dtype=np.int64)

    def render(hidden: np.ndarray) -> pd.DataFrame:
        published = frame.copy()
        rows = hidden[ids] if len(ids) else np.zeros(0, dtype=bool)
        published["respondents"] = _shown_column(frame["respondents"], rows, p.min_cell)
        return _mark(published, rows, ["small_count" if p.small(int(c)) else "secondary" for c in ids])
    return render


def _publish_change(p: _Pass, frame: pd.DataFrame) -> Render:
    """The two occasions' respondents are the means table's cells; what rests on them is blank
    with them."""
    _link(p)
    records = frame.to_dict("records")
    ends = np.array([[p.count(_ratings_key(_text(r["area"]), r[f"occasion_{end}"], _text(r["dimension"])),
                              r[f"respondents_{end}"]) for end in ("first", "last")] for r in records],
                    dtype=np.int64).reshape(-1, 2)

    def render(hidden: np.ndarray) -> pd.DataFrame:
        published = frame.copy()
        end_hidden = hidden[ends] if len(ends) else np.zeros((0, 2), dtype=bool)
        for k, end in enumerate(("first", "last")):
            published[f"respondents_{end}"] = _shown_column(frame[f"respondents_{end}"], end_hidden[:, k],
                                                            p.min_cell)
            _blank(published, end_hidden[:, k], [f"mean_{end}"])
        rows = end_hidden.any(axis=1)
        _blank(published, rows, ["difference", "ci_low", "ci_high", "df", "p_value"])
        return _mark(published, rows, ["small_group" if p.small(int(a)) or p.small(int(b)) else "secondary"
                                       for a, b in ends])
    return render


def _contributing(p: _Pass, occasion: object, dimension: str) -> dict[str, int] | None:
    """The cells of the district means (by district) that a spread at this occasion and
    dimension may rest on: those with a mean and at least min_cell respondents. None when the
    means table is not in the pass."""
    if MEANS not in p.frames:
        return None
    means = p.frames[MEANS]
    rows = means[(means["occasion"].map(_occasion) == _occasion(occasion))
                 & (means["dimension"].astype("string") == dimension) & means["mean"].notna()
                 & (means["respondents"].astype("float64") >= p.min_cell)]
    return {_text(r["area"]): p.count(_ratings_key(_text(r["area"]), r["occasion"], dimension),
                                      r["respondents"]) for r in rows.to_dict("records")}


def _unsafe(cells: dict[str, int] | None, districts: object, hidden: np.ndarray) -> bool:
    """Whether a spread must be blank: it rests on other districts than the publishable means
    (computed with another min_cell), or on a mean hidden to protect another count."""
    if cells is None:
        return False
    return len(cells) != _count(districts) or bool(hidden[list(cells.values())].any())


def _publish_spread(p: _Pass, frame: pd.DataFrame) -> Render:
    """Counts districts, not people: shown as it is, unless a mean it rests on is hidden."""
    _link(p)
    records = frame.to_dict("records")
    cells = [_contributing(p, r["occasion"], _text(r["dimension"])) for r in records]
    values = ["mean_of_means", "sd_between", "min_mean", "max_mean", "range_between", "sd_sampling"]

    def render(hidden: np.ndarray) -> pd.DataFrame:
        published = frame.copy()
        rows = np.array([_unsafe(c, r["districts"], hidden) for c, r in zip(cells, records, strict=True)],
                        dtype=bool)
        _blank(published, rows, values)
        return _mark(published, rows, ["secondary"] * len(rows))
    return render


def _publish_convergence(p: _Pass, frame: pd.DataFrame) -> Render:
    """As the spread, over the districts with a publishable mean at both occasions."""
    _link(p)
    records = frame.to_dict("records")
    cells: list[dict[str, int] | None] = []
    for r in records:
        first, last = (_contributing(p, r[f"occasion_{end}"], _text(r["dimension"]))
                       for end in ("first", "last"))
        if first is None or last is None:
            cells.append(None)
            continue
        both = [a for a in first if a in last]
        cells.append({**{f"{a}/first": first[a] for a in both}, **{f"{a}/last": last[a] for a in both}})
    values = ["sd_first", "sd_last", "sd_change", "range_first", "range_last"]

    def render(hidden: np.ndarray) -> pd.DataFrame:
        published = frame.copy()
        rows = np.array([_unsafe(c, 2 * _count(r["districts"]), hidden) if c is not None else False
                         for c, r in zip(cells, records, strict=True)], dtype=bool)
        _blank(published, rows, values)
        published["spread_change"] = published["spread_change"].astype(object).mask(rows, "")
        return _mark(published, rows, ["secondary"] * len(rows))
    return render


PUBLISHERS = {
    MEANS: _publish_means,
    RESPONDENTS: _publish_respondents,
    CHANGE: _publish_change,
    SPREAD: _publish_spread,
    CONVERGENCE: _publish_convergence,
}

# --- the report section -------------------------------------------------------------------------

FIRST_STYLE = {"color": "#f28e2b", "linestyle": "--", "linewidth": 2.0, "marker": "s", "markersize": 5}
LAST_STYLE = {"color": "#08306b", "linestyle": "-", "linewidth": 2.4, "marker": "o", "markersize": 5}
BETWEEN_GREYS = ("#9e9e9e", "#7a7a7a", "#5c5c5c", "#bdbdbd")  # the occasions in between, thin


def _number(value: object, language: str, decimals: int = 1) -> str:
    return format_number(value, language, decimals)


def _min_cell(tables: Mapping[str, pd.DataFrame]) -> int:
    values = [v for name in (MEANS, RESPONDENTS, CHANGE) if name in tables
              for column in ("respondents", "respondents_first", "respondents_last")
              if column in tables[name] for v in tables[name][column]]
    return text.min_cell_of(*values)


def _status(respondents: object, mean: object) -> str:
    """How a published mean reads: shown, not rated (0 respondents) or hidden."""
    if to_number(mean) is not None:
        return "shown"
    if suppressed_marker(respondents) is None and to_number(respondents) == 0:
        return "not_rated"
    return "hidden"


def _slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", fold_label(name)).strip("_") or "area"


def _listing(names: Sequence[str], language: str) -> str:
    names = list(names)
    if len(names) <= 1:
        return "".join(names)
    return f"{', '.join(names[:-1])} {PHRASES['and'].in_(language)} {names[-1]}"


def _legend_label(occasion: int, statuses: Sequence[str], dimensions: Sequence[str], language: str,
                  min_cell: int) -> str:
    label = OCCASION.format(language, number=occasion)
    for status, key in (("not_rated", "missing_legend"), ("hidden", "hidden_legend")):
        names = [d for d, s in zip(dimensions, statuses, strict=True) if s == status]
        if len(names) == len(dimensions):
            names = [PHRASES["all_dimensions"].in_(language)]
        if names:
            label += f" – {PHRASES[key].format(language, dimensions=', '.join(names), min_cell=min_cell)}"
    return "\n".join(textwrap.wrap(label, 60))


@keyed
def radar_figure(means: pd.DataFrame, area: str, language: str, *, min_cell: int = text.DEFAULT_MIN_CELL
                 ) -> ReportFigure:
    """One district's means per dimension, one closed line per occasion on polar axes.

    `means` is collaboration_means as published. A dimension without a shown mean is a NaN
    vertex, so the line has a gap there (never a 0), and the occasion's legend entry says
    which dimension is missing or hidden. The first occasion is dashed orange, the last solid
    dark blue, those in between thin grey: the change reads in greyscale print too.
    """
    import matplotlib  # imported here: the study file's parts are read by every stage, few draw

    from pipeline.figures import RC, SMALL_FONT_SIZE, ReportFigure

    check_language(language)
    rows = means[means["area"].astype("string") == area]
    dimensions = list(dict.fromkeys(rows["dimension"].astype(str)))
    occasions = sorted({_occasion(o) for o in rows["occasion"]})
    angles = np.linspace(0, 2 * np.pi, len(dimensions), endpoint=False)
    low, high = SCORE_SCALE
    # the title placed by matplotlib above the labels round the rim (RC fixes it just above
    # the axes, which on polar axes is over the top label)
    with matplotlib.rc_context({**RC, "axes.titley": None}):
        figure = ReportFigure(figsize=(6.3, 6.6), layout="constrained")
        ax = figure.add_subplot(projection="polar")
        ax.set_theta_offset(np.pi / 2)
        ax.set_theta_direction(-1)
        for k, occasion in enumerate(occasions):
            at = rows[rows["occasion"].map(_occasion) == occasion]
            at = at.set_index(at["dimension"].astype(str)).reindex(dimensions)
            statuses = [_status(r, m) for r, m in zip(at["respondents"], at["mean"], strict=True)]
            values = np.array([to_number(m) if s == "shown" else np.nan
                               for m, s in zip(at["mean"], statuses, strict=True)], dtype=float)
            if occasion == occasions[-1]:
                style = LAST_STYLE
            elif occasion == occasions[0]:
                style = FIRST_STYLE
            else:
                style = {"color": BETWEEN_GREYS[(k - 1) % len(BETWEEN_GREYS)], "linestyle": ":",
                         "linewidth": 1.2, "marker": ".", "markersize": 5}
            ax.plot(np.append(angles, 2 * np.pi), np.append(values, values[:1]),
                    label=_legend_label(occasion, statuses, dimensions, language, min_cell),
                    zorder=3 if occasion in (occasions[0], occasions[-1]) else 2, **style)
        ax.set_xticks(angles)
        ax.set_xticklabels(["\n".join(textwrap.wrap(d, 16)) for d in dimensions], fontsize=SMALL_FONT_SIZE)
        ax.set_ylim(low, high)
        step = 1 if high - low <= 6 else 2 if high - low <= 12 else 5
        ticks = [t for t in np.arange(0, high + step / 2, step) if t >= low]
        ax.set_yticks(ticks)
        ax.set_yticklabels([_number(t, language, 0) for t in ticks], fontsize=SMALL_FONT_SIZE,
                           color="#555555")
        ax.set_rlabel_position(180 / len(dimensions))  # between the first two spokes
        ax.grid(color="#dddddd", linewidth=0.6)
        ax.set_title(area, pad=18)
        ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.08), ncol=2 if len(occasions) > 3 else 1,
                  frameon=False, fontsize=SMALL_FONT_SIZE)
    return figure


def _means_listing(rows: pd.DataFrame, dimensions: Sequence[str], language: str) -> str:
    at = rows.set_index("dimension").reindex(dimensions)
    not_shown = PHRASES["not_shown"].in_(language)
    return "; ".join(f"{d} {_number(m, language) if to_number(m) is not None else not_shown}"
                     for d, m in zip(dimensions, at["mean"], strict=True))


def _radar_blocks(means: pd.DataFrame, language: str, min_cell: int) -> list[Block]:
    blocks: list[Block] = []
    low, high = (_number(v, language, 0) for v in SCORE_SCALE)
    used: set[str] = set()
    for area in dict.fromkeys(means["area"].astype(str)):
        district = means[means["area"].astype(str) == area].reset_index(drop=True)  # as an area report has it
        rows = district.assign(dimension=lambda f: f["dimension"].astype(str))
        dimensions = list(dict.fromkeys(rows["dimension"]))
        occasions = sorted({_occasion(o) for o in rows["occasion"]})
        first = rows[rows["occasion"].map(_occasion) == occasions[0]]
        last = rows[rows["occasion"].map(_occasion) == occasions[-1]]
        name = f"collaboration_radar_{_slug(area)}"
        while name in used:
            name += "_"
        used.add(name)
        blocks.append(FigureBlock(
            radar_figure(district, area, language, min_cell=min_cell),
            PHRASES["radar_caption"].format(language, area=area, low=low, high=high, min_cell=min_cell),
            PHRASES["radar_alt"].format(language, area=area, dimensions=len(dimensions),
                                        occasions=len(occasions),
                                        first=_means_listing(first, dimensions, language),
                                        last=_means_listing(last, dimensions, language)),
            name))
    return blocks


def _header(key: str, language: str) -> str:
    return COLUMN_HEADERS[key].in_(language)


def _count_text(value: object, language: str) -> str:
    return text.format_count(value, language) if not text.is_missing(value) else ""


def _change_table(change: pd.DataFrame, language: str, technical: bool) -> pd.DataFrame:
    rows = []
    for r in change.to_dict("records"):
        means = (f"{_number(r['mean_first'], language)} → {_number(r['mean_last'], language)}")
        occasions = f"{_occasion(r['occasion_first'])} → {_occasion(r['occasion_last'])}"
        row = {_header("area", language): _text(r["area"]),
               _header("dimension", language): _text(r["dimension"]),
               _header("occasions", language): occasions,
               _header("first_to_last", language): means,
               _header("change", language): format_estimate(r["difference"], r["ci_low"], r["ci_high"],
                                                            language, 1)}
        if technical:
            row.update({_header("respondents_first", language): _count_text(r["respondents_first"], language),
                        _header("respondents_last", language): _count_text(r["respondents_last"], language),
                        _header("df", language): _number(r["df"], language),
                        _header("p", language): format_p(r["p_value"], language)})
        note = _text(r.get("note"))
        row[_header("note", language)] = NOTE_LABELS[note].in_(language) if note in NOTE_LABELS else ""
        rows.append(row)
    return pd.DataFrame(rows)


def _change_sentence(change: pd.DataFrame, language: str) -> str:
    low = change["ci_low"].map(to_number)
    high = change["ci_high"].map(to_number)
    estimable = low.notna() & high.notna()
    if not estimable.any():
        return PHRASES["no_change"].in_(language)
    pairs, up = int(estimable.sum()), int((estimable & (low > 0)).sum())
    down = int((estimable & (high < 0)).sum())
    lead = "change_up_all" if up == pairs else "change_up_none" if up == 0 else "change_up"
    clauses = [PHRASES[lead].format(language, up=up, pairs=pairs)]
    if down:
        clauses.append(PHRASES["change_down"].format(language, down=down))
    other = pairs - up - down
    if other:
        clauses.append(PHRASES["change_other_one" if other == 1 else "change_other"].format(
            language, other=other))
    return "".join(clauses) + ". " + PHRASES["change_chance"].in_(language)


def _convergence_table(convergence: pd.DataFrame, language: str) -> pd.DataFrame:
    rows = []
    for r in convergence.to_dict("records"):
        verdict = _text(r["spread_change"])
        rows.append({
            _header("dimension", language): _text(r["dimension"]),
            _header("districts", language): _count_text(r["districts"], language),
            _header("sd_first", language): _number(r["sd_first"], language, 2),
            _header("sd_last", language): _number(r["sd_last"], language, 2),
            _header("range_first_last", language):
                f"{_number(r['range_first'], language)} → {_number(r['range_last'], language)}",
            _header("spread_change", language):
                SPREAD_CHANGE_LABELS[verdict].in_(language) if verdict in SPREAD_CHANGE_LABELS else "",
        })
    return pd.DataFrame(rows)


def _spread_table(spread: pd.DataFrame, language: str) -> pd.DataFrame:
    """Dimensions by occasion: SD of district means (number of districts)."""
    cells = spread.assign(
        occasion=spread["occasion"].map(lambda o: OCCASION.format(language, number=_occasion(o))),
        cell=[f"{_number(sd, language, 2)} ({_count_text(k, language)})"
              for sd, k in zip(spread["sd_between"], spread["districts"], strict=True)])
    table = cells.pivot(index="dimension", columns="occasion", values="cell")
    table = table.reindex(index=list(dict.fromkeys(spread["dimension"].astype(str))),
                          columns=list(dict.fromkeys(cells["occasion"])))
    return table.rename_axis(index=_header("dimension", language), columns=None).reset_index()


def _respondents_tables(respondents: pd.DataFrame, language: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Respondents by district and occasion, and in how many districts each profession answered
    at each occasion (districts, not people: nothing to hide)."""
    frame = respondents.assign(
        occasion=respondents["occasion"].map(lambda o: OCCASION.format(language, number=_occasion(o))),
        area=respondents["area"].astype(str),
        cell=respondents["respondents"].map(lambda v: _count_text(v, language)))
    occasions = list(dict.fromkeys(frame["occasion"]))
    by_district = (frame.pivot(index="area", columns="occasion", values="cell")
                   .reindex(index=list(dict.fromkeys(frame["area"])), columns=occasions).fillna(""))
    answered = frame.assign(profession=frame["professions"].astype(str).str.split("|")).explode("profession")
    answered = answered[answered["profession"].isin(list(PROFESSION_LABELS))]
    districts = frame.groupby("occasion")["area"].nunique()
    counts = answered.groupby(["profession", "occasion"])["area"].nunique()
    professions = [p for p in PROFESSION_LABELS if p in set(answered["profession"])]
    by_profession = pd.DataFrame(
        [[PROFESSION_LABELS[p].in_(language)]
         + [PHRASES["of"].format(language, part=int(counts.get((p, o), 0)), whole=int(districts[o]))
            for o in occasions] for p in professions],
        columns=[_header("profession", language), *occasions])
    return (by_district.rename_axis(index=_header("area", language), columns=None).reset_index(),
            by_profession)


def _intro(means: pd.DataFrame, respondents: pd.DataFrame | None, language: str) -> str:
    professions: list[str] = []
    answers = PHRASES["not_shown"].in_(language)
    if respondents is not None and len(respondents):
        listed = {p for cell in respondents["professions"].astype(str) for p in cell.split("|")}
        professions = [w.in_(language).lower() for p, w in PROFESSION_LABELS.items()
                       if p in listed and p not in ("unknown", "all")]
        numbers = [to_number(v) for v in respondents["respondents"]]
        if None not in numbers:
            answers = text.format_count(sum(numbers), language)
    low, high = (_number(v, language, 0) for v in SCORE_SCALE)
    return PHRASES["intro"].format(
        language,
        professions=_listing(professions, language) or PROFESSION_LABELS["all"].in_(language).lower(),
        districts=_counted(means["area"].nunique(), DISTRICT_WORDS, language),
        occasions=_counted(means["occasion"].map(_occasion).nunique(), OCCASION_WORDS, language),
        respondents=answers, low=low, high=high)


# "1 område", "2 områden" ("i 1 områden vid 6 tillfällen" in an area report)
DISTRICT_WORDS = (Words("område", "area"), Words("områden", "areas"))
OCCASION_WORDS = (Words("tillfälle", "occasion"), Words("tillfällen", "occasions"))


def _counted(count: int, nouns: tuple[Words, Words], language: str) -> str:
    return f"{text.format_count(count, language)} {nouns[count != 1].in_(language)}"


def section(tables: Mapping[str, pd.DataFrame], language: str, *, technical: bool) -> list[Block]:
    """The report section from the published tables; nothing when there are no ratings."""
    check_language(language)
    means = tables.get(MEANS)
    if means is None or means.empty:
        return []
    min_cell = _min_cell(tables)
    respondents = tables.get(RESPONDENTS)
    blocks: list[Block] = [Text(f"## {TITLE.in_(language)}"), Text(_intro(means, respondents, language))]
    blocks += _radar_blocks(means, language, min_cell)
    change = tables.get(CHANGE)
    if change is not None and len(change):
        blocks.append(Text(_change_sentence(change, language)))
        blocks.append(TableBlock(_change_table(change, language, technical),
                                 PHRASES["change_caption"].format(language, min_cell=min_cell)))
    convergence = tables.get(CONVERGENCE)
    # the spread between districts is the whole study's: not in an area report, whose tables by
    # district hold its own district alone (its Table 6 said "Districts 2" beneath a note that
    # the tables by area show only the area's own figures)
    if convergence is not None and len(convergence) and means["area"].nunique() > 1:
        verdicts = convergence["spread_change"].astype(str)
        first, last = (_occasion(convergence[c].iloc[0]) for c in ("occasion_first", "occasion_last"))
        compared = verdicts.isin(["narrower", "wider", "unchanged"])
        if compared.any():
            blocks.append(Text(PHRASES["convergence_sentence"].format(
                language, narrower=int((verdicts == "narrower").sum()),
                wider=int((verdicts == "wider").sum()),
                dimensions=int(compared.sum()), first=first, last=last)))
        blocks.append(TableBlock(_convergence_table(convergence, language),
                                 PHRASES["convergence_caption"].format(language, first=first, last=last)))
    if technical:
        spread = tables.get(SPREAD)
        if spread is not None and len(spread) and means["area"].nunique() > 1:
            blocks.append(TableBlock(_spread_table(spread, language),
                                     PHRASES["spread_caption"].in_(language)))
        if respondents is not None and len(respondents):
            by_district, by_profession = _respondents_tables(respondents, language)
            small = f"<{min_cell}"
            blocks.append(TableBlock(by_district, PHRASES["respondents_caption"].format(
                language, small=small, min_cell=min_cell)))
            blocks.append(TableBlock(by_profession, PHRASES["professions_caption"].format(
                language, min_cell=min_cell)))
        low, high = (_number(v, language, 0) for v in SCORE_SCALE)
        blocks.append(Text(PHRASES["methods"].format(
            language, min_cell=min_cell, tolerance=_number(SPREAD_TOLERANCE, language, 2), low=low,
            high=high)))
    return blocks


# --- synthetic data -----------------------------------------------------------------------------

# Nine dimensions for the synthetic export only (made-up names of the kind such a survey uses).
# (the dimensions as a survey names them: shown as written in both report languages)
SYNTHETIC_DIMENSIONS = (
    "Gemensamt mål", "Förankring hos ledningen", "Kunskap om varandras uppdrag", "Tillit",
    "Kommunikation", "Gemensamma rutiner", "Tid, resurser", "Lokaler", "Uppföljning",
)
SYNTHETIC_SPELLINGS: dict[str, tuple[str, ...]] = {
    "parental_advisor": ("Föräldrarådgivare", "föräldrarådgivare", "Förebyggande socialtjänst"),
    "open_preschool": ("Öppen förskola", "Öppna förskolan", "öppen förskola"),
    "child_maternal_health": ("BVC", "MVC", "BVC/MVC", "Barnhälsovård"),
}
SYNTHETIC_MAX_OCCASIONS = 6


def synthetic(rng: np.random.Generator, study_areas: Sequence[str], start: dt.date, end: dt.date
              ) -> pd.DataFrame:
    """A `samverkan` export as a survey tool writes it: Swedish headers, text cells, mixed
    spellings of the professions. One survey round each half-year from `start` to `end` (2 to
    6); 1–6 respondents per profession and round. Districts start apart and draw closer:
    the lower a district's starting level, the faster it rises. One district skips one
    dimension at one middle occasion (a page of the form left out), so that the report shows
    a missing dimension."""
    headers = [c.header for c in EXPORT.columns]
    areas = list(study_areas)
    if not areas:
        return pd.DataFrame(columns=headers)
    half_years = max(0, (end.year - start.year) * 2 + (end.month - start.month) // 6)
    occasions = int(min(SYNTHETIC_MAX_OCCASIONS, max(2, half_years + 1)))
    low, high = SCORE_SCALE
    dimension_shift = rng.normal(0, 0.5, len(SYNTHETIC_DIMENSIONS))
    skipped = (int(rng.integers(len(areas))), int(rng.integers(2, occasions)) if occasions > 2 else 2,
               int(rng.integers(len(SYNTHETIC_DIMENSIONS))))
    rows = []
    for a, area in enumerate(areas):
        level = rng.normal(5.0, 1.0)
        gain = (7.5 - level) / (occasions - 1)  # districts converge towards 7.5
        for occasion in range(1, occasions + 1):
            for spellings in SYNTHETIC_SPELLINGS.values():
                for _ in range(int(rng.integers(1, 7))):
                    person = rng.normal(0, 0.8)
                    spelling = spellings[int(rng.integers(len(spellings)))]
                    for d, dimension in enumerate(SYNTHETIC_DIMENSIONS):
                        if (a, occasion, d) == skipped:
                            continue
                        true = level + gain * (occasion - 1) + dimension_shift[d] + person
                        score = int(np.clip(np.rint(true + rng.normal(0, 1.2)), low, high))
                        rows.append([area, str(occasion), spelling, dimension, str(score)])
    return pd.DataFrame(rows, columns=headers)


reject_rows = reject_out_of_range  # the part contract's name for its rejects at clean
