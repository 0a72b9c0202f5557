"""The published tables, each declared once: the output-side twin of `schema.py`.

Every table that a run writes to `outputs/<study>/tables/` is an `OutputTable` here: the
stage that makes it, its columns and their kinds, how it is protected (a small-cell
suppression rule in `pipeline.publish`, or none because it counts export rows rather than
children), which rows an area report shows, and its title in both report languages.
Publishing refuses a table that is not here; the compare stage builds its frames from the
columns declared here; the reports load the tables listed here; and every run writes the
catalog itself as `tables/data_dictionary.csv`. Adding an output table is one entry below
plus the function that computes it (and, unless it counts export rows, its publisher).

A follow-up part (`pipeline.followup`) declares its tables in its own module (`OUTPUTS`, of
stage "followup"); `CATALOG` and `TABLE_NAMES` hold them after the tables declared here.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import pandas as pd

from pipeline.followup import WithParts, by_name
from pipeline.words import Words

# Column kinds: what a column holds, which decides its type in the stage's frame.
LABEL = "label"  # a canonical id or flag, kept as the stage wrote it (indicator, method, primary)
TEXT = "text"  # free text or a name; blank rather than missing (note, area, reason)
COUNT = "count"  # children, events or rows: a nullable integer
NUMBER = "number"  # an estimate, proportion, p-value or time: a float
KINDS = (LABEL, TEXT, COUNT, NUMBER)

# Which rows an area report shows (SPEC §9).
AREA_ROWS = "area rows"  # an `area` column with "all" and each intervention area: the area's rows
STUDY_ROWS = "study rows"  # the whole study only: shown whole, and the area report says so
ALL_AREAS = "all areas"  # every area's rows, shown whole (the design; the data-quality tables)
# an `area` column naming each district (and "all" for the total): the study report shows every
# row, an area report its own district's rows (the follow-up parts' tables by district)
DISTRICT_ROWS = "district rows"

COUNTS_EXPORT_ROWS = "counts export rows, not children: published as it is"

# One kind per column name, whichever table it is in (a column name means one thing).
COLUMN_KINDS: dict[str, str] = {
    **dict.fromkeys((
        "indicator", "measure", "method", "analysis", "covariate", "group", "statistic",
        "contacts_band", "primary", "adjusted", "pre", "reference", "step", "table",
        "source_file", "column", "issue", "balanced", "status", "part",
        "outside", "run", "baseline", "classification", "change",
    ), LABEL),
    **dict.fromkeys((
        "note", "subgroup", "multiplicity", "level", "rating_before", "rating_after", "area",
        "kind", "design", "verdict", "reason", "caveats", "reason_detail", "sensitivity_method",
        "arm", "half_year", "half_year_start", "period", "born_from", "born_to",
        "intervention_area", "comparison_area", "left_out_area", "placebo_area", "variable",
        "flags", "area_in_export", "read_as", "nearest_area", "year", "covers",
        "quarter", "quarter_start", "quarter_end", "previous_run", "previous_extraction",
    ), TEXT),
    **dict.fromkeys((
        "n_intervention", "n_comparison", "events_intervention", "events_comparison", "at_risk",
        "events", "n", "n_per_group_needed", "n_per_group_needed_corrected", "contacts_min",
        "contacts_max", "n_areas_intervention", "n_areas_comparison", "half_years_from_start",
        "landmark_days", "missing", "n_denominator_intervention", "n_denominator_comparison",
        "n_denominator_intervention_pre", "n_denominator_comparison_pre",
        "events_intervention_pre", "events_comparison_pre", "children", "areas_per_arm_needed",
        "contacts_counted", "n_denominator", "n_numerator", "order", "rows", "rows_read",
        "rows_clean", "rows_rejected", "rows_duplicate", "families", "contacts",
        "quarters", "baseline_children", "baseline_events", "previous_children", "new_children",
        "previous_n", "previous_events",
    ), COUNT),
}


# Every column's kind: the ones above, then those the follow-up parts add for their own tables
# (pipeline.followup: `NEW_COLUMN_KINDS`), imported on the first lookup of a column not above.
ALL_COLUMN_KINDS: Mapping[str, str] = WithParts(
    COLUMN_KINDS, lambda part: getattr(part, "NEW_COLUMN_KINDS", {}), "column kind")


@dataclass(frozen=True)
class OutputTable:
    """One published table: who makes it, what it holds, how it is protected and shown."""

    name: str  # its file stem in tables/
    stage: str  # the stage that returns it: "clean", "cohort", "compare" or "followup"
    columns: tuple[str, ...]  # as the stage returns them, in order (publishing may add some)
    title: Words
    rows: Words  # what one row is, as the manifest counts them ("effect rows")
    suppression: str  # the small-cell rule in words, or COUNTS_EXPORT_ROWS
    areas: str = AREA_ROWS

    @property
    def counts_export_rows(self) -> bool:
        """Published without suppression: its counts are rows of an export, not children."""
        return self.suppression == COUNTS_EXPORT_ROWS

    def kind(self, column: str) -> str:
        """The kind of one of the table's columns (a number unless declared otherwise)."""
        return ALL_COLUMN_KINDS.get(column, NUMBER)

    def frame(self, rows: Iterable[Mapping[str, Any]]) -> pd.DataFrame:
        """The table from row records: the declared columns in order, each typed by its kind
        (text blank rather than missing, counts as nullable integers, numbers as floats; a
        value that is not a number in a number column raises)."""
        rows = list(rows)
        columns = list(self.columns)
        frame = pd.DataFrame(rows, columns=columns) if rows else pd.DataFrame(columns=columns)
        for column in columns:
            kind = self.kind(column)
            if kind == TEXT:
                frame[column] = frame[column].astype("string").fillna("")
            elif kind == COUNT:
                frame[column] = pd.array(frame[column].astype("Float64"), dtype="Int64")
            elif kind == NUMBER:
                frame[column] = pd.to_numeric(frame[column], errors="raise").astype("float64")
        return frame


def _table(name: str, stage: str, columns: str, title: Words, rows: Words, suppression: str,
           areas: str = AREA_ROWS) -> OutputTable:
    return OutputTable(name, stage, tuple(columns.split()), title, rows, suppression, areas)


# Suppression rules in words (the rules themselves are pipeline.publish.PUBLISHERS).
# Every rule hides counts of 1 to min_cell - 1 and, by secondary suppression over all the run's
# tables together, any count from which a hidden one could be worked out.
_PROPORTIONS = ("children, events or children without the event below min_cell: the count and "
                "its proportion hidden (a bound shown where safe)")
_ESTIMATES = ("an estimate resting on a group whose children, events or children without the "
              "event are hidden or small: estimate, interval and p-values blank")

# In publishing order: the clean stage's, the cohort stage's, then the compare stage's tables,
# effects before summary (whose headline is blank where its effects row is).
OUTPUT_TABLES: tuple[OutputTable, ...] = (
    _table("data_quality", "clean", "table source_file rows_read rows_clean rows_rejected "
           "rows_duplicate balanced",
           Words("Datakvalitet: radernas redovisning", "Data quality: row accounting"),
           Words("rader", "rows"), COUNTS_EXPORT_ROWS, ALL_AREAS),
    _table("rejects_by_reason", "clean", "table source_file reason rows",
           Words("Avvisade rader per orsak", "Rejected rows by reason"), Words("rader", "rows"),
           COUNTS_EXPORT_ROWS, ALL_AREAS),
    _table("missingness", "clean", "table column rows missing share_missing",
           Words("Saknade värden per kolumn", "Missing values by column"), Words("rader", "rows"),
           COUNTS_EXPORT_ROWS, ALL_AREAS),
    _table("value_issues", "clean", "table source_file column issue rows",
           Words("Värden som inte kunde tolkas", "Values that could not be read"), Words("rader", "rows"),
           COUNTS_EXPORT_ROWS, ALL_AREAS),
    # children by an area the design names in another spelling, or not at all: it counts
    # children of an area, so small counts are hidden as in every table of children
    _table("area_spellings", "clean", "source_file area_in_export children status read_as nearest_area "
           "similarity", Words("Områden i barnexporten som inte stavas som i designen",
                               "Areas in the children export not spelled as in the design"),
           Words("stavningar", "spellings"),
           "an export spelling's children below min_cell (shown as \"<5\")", ALL_AREAS),
    _table("indicators", "cohort", "indicator group area measure n_denominator n_numerator proportion "
           "ci_low ci_high", Words("Indikatorer per grupp", "Indicators by group"),
           Words("indikatorrader", "indicator rows"), _PROPORTIONS),
    _table("flow", "cohort", "area order step children share_of_previous",
           Words("Barnens väg genom programmet", "Children's flow through the programme"),
           Words("flödessteg", "flow steps"), "a step's children below min_cell; so are those "
           "who left between steps (its share of the previous step blank)"),
    _table("fidelity", "cohort", "area measure value",
           Words("Genomförande enligt plan", "Delivery as planned"),
           Words("genomförandemått", "fidelity measures"),
           "counts of children or contacts below min_cell, with the "
           "shares and means resting on them; all of an area's values when its children are hidden"),
    _table("design", "compare", "arm area period born_from born_to group children",
           Words("Studiens design", "The study's design"), Words("designceller", "design cells"),
           "an area × period cell of fewer than min_cell children", ALL_AREAS),
    _table("effects", "compare", "indicator measure method estimate ci_low ci_high p_value p_adjusted "
           "n_intervention n_comparison note analysis subgroup p_interaction multiplicity "
           "events_intervention events_comparison area n_areas_intervention n_areas_comparison "
           "adjusted p_randomisation p_floor p_placebo p_placebo_floor landmark_days ess_comparison flags",
           Words("Effektskattningar", "Effect estimates"), Words("effektrader", "effect rows"), _ESTIMATES),
    # the dose delivered as an outcome (issue 13): contacts received per family by background
    _table("dose_received", "compare", "variable level reference n contacts estimate ci_low ci_high "
           "difference difference_ci_low difference_ci_high p_value note",
           Words("Programkontakter per familj efter bakgrund", "Programme contacts per family by background"),
           Words("rader", "rows"),
           "families or contacts below min_cell: the count hidden with the mean and the difference resting "
           "on it; a variable's levels add up to the families that accepted (fidelity's children)",
           STUDY_ROWS),
    # count and rate outcomes (issue 13): what each group shows and the programme's effect
    _table("count_outcomes", "compare", "indicator group area measure n events person_years estimate "
           "ci_low ci_high sd", Words("Vårdkontakter och tandhälsa per grupp",
                                      "Healthcare use and dental health by group"),
           Words("grupprader", "group rows"),
           "children or events below min_cell: the count hidden with the rate or mean resting on it; "
           "an intervention group's areas add up to the whole group"),
    _table("count_effects", "compare", "indicator area analysis measure method estimate ci_low ci_high "
           "p_value n_intervention n_comparison reason flags note",
           Words("Effekter på vårdkontakter och tandhälsa", "Effects on healthcare use and dental health"),
           Words("effektrader", "effect rows"),
           "an estimate resting on a group whose children or events are hidden or small in "
           "count_outcomes: estimate, interval and p blank"),
    _table("summary", "compare", "indicator area primary kind design analysis method measure estimate "
           "ci_low ci_high p_value p_adjusted multiplicity n_intervention n_comparison verdict reason "
           "caveats reason_detail proportion_intervention proportion_comparison "
           "n_denominator_intervention n_denominator_comparison events_intervention "
           "events_comparison proportion_intervention_pre proportion_comparison_pre "
           "n_denominator_intervention_pre n_denominator_comparison_pre events_intervention_pre "
           "events_comparison_pre sensitivity_method sensitivity_estimate sensitivity_ci_low "
           "sensitivity_ci_high pretrend_estimate pretrend_ci_low pretrend_ci_high pretrend_p "
           "n_areas_intervention n_areas_comparison adjusted p_randomisation p_floor "
           "no_pandemic_estimate no_pandemic_ci_low no_pandemic_ci_high p_placebo p_placebo_floor "
           "logistic_estimate logistic_ci_low logistic_ci_high pretrend_joint_p",
           Words("Sammanfattning per indikator", "Summary by indicator"),
           Words("sammanfattningsrader", "summary rows"),
           "observed shares as in indicators; the headline blank "
           "(verdict suppressed) where its effects row is or a group it rests on is hidden or small"),
    _table("dose_response", "compare", "indicator contacts_band contacts_min contacts_max n events "
           "proportion ci_low ci_high contacts_counted", Words("Dos–respons", "Dose–response"),
           Words("dos–responsrader", "dose–response rows"), _PROPORTIONS, STUDY_ROWS),
    _table("trends", "compare", "indicator arm half_year half_year_start period n events proportion "
           "ci_low ci_high", Words("Utveckling per födelsehalvår", "Trends by half-year of birth"),
           Words("trendpunkter", "trend points"), _PROPORTIONS, STUDY_ROWS),
    _table("did_cells", "compare", "indicator area arm period children events proportion",
           Words("Område × period", "Area × period"), Words("område × period-celler", "area × period cells"),
           _PROPORTIONS, STUDY_ROWS),
    _table("did_areas", "compare", "indicator analysis intervention_area comparison_area left_out_area "
           "placebo_area n_areas_intervention n_areas_comparison did_unadjusted did_adjusted adjusted "
           "reason", Words("Skillnad-i-skillnader per område", "Difference-in-differences by area"),
           Words("DiD per område", "DiDs by area"),
           "a DiD resting on an area × period cell hidden or small in did_cells", STUDY_ROWS),
    _table("event_study", "compare", "indicator half_years_from_start half_year estimate ci_low ci_high "
           "p_value n_intervention n_comparison pre reference adjusted pretrend_p note",
           Words("Eventstudie per födelsehalvår", "Event study by half-year of birth"),
           Words("eventstudiekoefficienter", "event-study coefficients"), _ESTIMATES, STUDY_ROWS),
    _table("missing_data", "compare", "arm period kind variable n missing share_missing",
           Words("Saknade värden per grupp", "Missing values by group"),
           Words("saknade värden", "missing values"),
           "missing counts as proportions of n; an indicator's known children linked to its denominator "
           "in the other tables", STUDY_ROWS),
    _table("balance", "compare", "area covariate level measure value_before value_after smd_before "
           "smd_after rating_before rating_after n_intervention n_comparison note n_level_intervention "
           "n_level_comparison", Words("Jämförbarhet mellan grupperna", "Balance between the groups"),
           Words("jämförbarhetsrader", "balance rows"),
           "a covariate level with a hidden count, or few children without it, loses its balance values; "
           "children with a covariate known plus those without it add up to the group, linked to "
           "missing_data and the group sizes, so no hidden count follows by subtraction"),
    _table("survival", "compare", "indicator group statistic time survival ci_low ci_high at_risk events "
           "survival_lower survival_upper p_value n method note",
           Words("Tid till händelse", "Time to event"), Words("kurvpunkter", "curve points"),
           "curves on a coarsened grid: a point is kept only where events, leavers and censored children "
           "since the last kept point are 0 or at least min_cell; a curve cut where fewer than min_cell "
           "children are at risk, blank where its events are hidden; a group below min_cell blank with "
           "its log-rank p",
           STUDY_ROWS),
    _table("power", "compare", "indicator p_comparison n_intervention n_comparison mdd mdd_decrease "
           "difference_named n_per_group_needed n_per_group_needed_corrected note icc "
           "children_per_area mdd_areas mdd_decrease_areas areas_per_arm_needed",
           Words("Statistisk styrka", "Statistical power"), Words("styrkerader", "power rows"),
           "group sizes as in indicators; the detectable difference blank where a group size is hidden, "
           "p_comparison where its events or the rest are",
           STUDY_ROWS),
    # issue 12: only when study.yml gives `costs:` (else written empty); the study's costs are
    # not split by area, so an area report shows them whole
    _table("costs", "compare", "part year covers indicator method measure cost_sek families contacts "
           "cost_per_family cost_per_contact children children_measured cost_per_child effect effect_ci_low "
           "effect_ci_high additional_children additional_ci_low additional_ci_high "
           "cost_per_additional_child ci_low ci_high status reason flags caveats note",
           Words("Kostnader per år, per familj, per kontakt och per ytterligare barn",
                 "Costs per year, per family, per contact and per additional child"),
           Words("kostnadsrader", "cost rows"),
           "families, contacts and children below min_cell, with the costs per family, contact or "
           "child resting on them; years add up to the total, linked to fidelity and flow; the "
           "cost per additional child blank where the summary's headline or the children are",
           STUDY_ROWS),
    # issue 15: monitoring over time (a p-chart per intervention area by birth quarter) and across
    # areas (a funnel plot); an area report shows its own area's chart
    _table("control_chart", "compare", "indicator area group period half_year quarter quarter_start "
           "quarter_end quarters children events proportion centre lower upper outside run baseline "
           "baseline_children baseline_events note",
           Words("Styrdiagram per födelsekvartal och interventionsområde",
                 "Control charts by birth quarter and intervention area"),
           Words("kvartalspunkter", "quarter points"),
           "a quarter with fewer than min_cell children in the denominator pooled with the other quarter "
           "of its half-year; then as indicators: children, events or children without the event below "
           "min_cell hidden with the share, its limits where the children are hidden, and whether it lies "
           "outside them or in a run; quarters add up to the area's period (did_cells, indicators) and, "
           "over the intervention areas, to the half-years of trends", DISTRICT_ROWS),
    _table("funnel", "compare", "indicator area arm group children events proportion target lower_95 "
           "upper_95 lower_998 upper_998 classification note",
           Words("Trattdiagram: områdena efter start", "Funnel plots: the areas after the start"),
           Words("områdesrader", "area rows"),
           "as indicators: an area's children, events or children without the event below min_cell hidden "
           "with its share, limits where its children are hidden, and its classification; areas add up to "
           "their group, and the target (all areas together) is blank if its counts would have to be hidden",
           ALL_AREAS),
    # issue 15: what changed since the previous run (read from the outputs it published)
    _table("changes", "compare", "change indicator area group half_year measure previous_run "
           "previous_extraction previous_children children new_children previous_n n previous_events events "
           "previous_value current_value previous_ci_low previous_ci_high difference note",
           Words("Ändringar sedan förra rapporten", "Changes since the previous report"),
           Words("ändringar", "changes"),
           "differences between figures both runs published; new children below min_cell shown as \"<5\" "
           "with a second count of the row hidden", STUDY_ROWS),
)
# Every published table: those declared above, then each follow-up part's OUTPUTS (imported on
# the first lookup of a table not declared here).
CATALOG: Mapping[str, OutputTable] = WithParts({table.name: table for table in OUTPUT_TABLES},
                                               lambda part: by_name(part.OUTPUTS), "output table")


def __getattr__(name: str) -> Any:
    """TABLE_NAMES: every published table's name, in publishing order (the parts' last)."""
    if name == "TABLE_NAMES":
        return tuple(CATALOG)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def output_table(name: str) -> OutputTable:
    """The catalog entry of table `name`; ValueError naming the fix for a table not declared."""
    if name not in CATALOG:
        raise ValueError(f"output table {name!r} is not in the outputs catalog; declare it in "
                         "pipeline.outputs.OUTPUT_TABLES, or in a follow-up part's OUTPUTS (its "
                         "stage, columns, suppression rule, area rows and title) before publishing it")
    return CATALOG[name]


def tables_of(stage: str) -> tuple[str, ...]:
    """The names of the tables a stage returns, in publishing order."""
    return tuple(t.name for t in CATALOG.values() if t.stage == stage)


def with_areas(areas: str) -> tuple[str, ...]:
    """The tables whose rows an area report treats as `areas` (AREA_ROWS, STUDY_ROWS, ALL_AREAS,
    DISTRICT_ROWS)."""
    return tuple(t.name for t in CATALOG.values() if t.areas == areas)


def data_dictionary() -> pd.DataFrame:
    """The catalog as a table (one row per column of each published table), written with the
    tables so that a reader of the CSV files knows what each holds and how it was protected."""
    rows = [{"table": t.name, "title_sv": t.title.sv, "title_en": t.title.en, "stage": t.stage,
             "column": column, "kind": t.kind(column), "areas": t.areas, "suppression": t.suppression}
            for t in CATALOG.values() for column in t.columns]
    return pd.DataFrame(rows)
