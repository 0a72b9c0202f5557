"""Area selection by Care Need Index (issue 12, item 4): which areas qualify for the programme.

Solna offers the Rinkeby model in areas chosen by Care Need Index and needs more than 100
newborns a year across them. This part reads the optional export `omraden` (area, CNI, births
per year), applies the rule stated in study.yml (`area_selection:`, an `AreaSelectionRules`)
and publishes the reasoning, area by area, as one table.

Care Need Index. CNI (Sundquist et al., "Care Need Index, a useful tool for the distribution
of primary health care resources", J Epidemiol Community Health 2003;57:347-352) is an area
deprivation index: seven socio-economic shares of an area's population (elderly people living
alone, children under five, unemployed people aged 16-64, single parents, people who moved
in, people aged 25-64 with low education, people born in Eastern Europe, Asia, Africa or
Latin America), weighted by how much Swedish GPs rated each to add to their workload. Regions
use it, computed by Statistics Sweden, to weight primary care payments. A HIGHER CNI MEANS A
GREATER EXPECTED NEED: the index is on a positive scale, usually relative to the national
average (1 = as the country; SCB's regional CNI) or to 100 in the original paper, so a rule's
threshold must be stated on the scale of the export. An area ranks before another when its
CNI is higher.

The rule. `cni_above` keeps areas whose CNI is strictly above the threshold ("above 1.5":
an area at exactly 1.5 does not qualify). `min_newborns_per_year` ranks the areas still in
play from the highest CNI down and takes them until MORE THAN that many newborns a year are
covered: an area qualifies when the areas ranked above it cover no more than the target
(exactly 100 newborns is not "more than 100", so the next area is still needed). `max_areas`
stops after that many areas. A study may state any of them together; each area's reason says
which one decided it.

Ties. Areas with the same CNI are one step of the ranking: they share a rank (competition
ranking, "1, 2, 2, 4") and one cumulative total (every area of CNI at least theirs). A cut
that falls inside such a step (the newborn target reached, or `max_areas` passed, by some but
not all of the tied areas) takes all of them with `tie_rule: include_all` (the default), and
their reason says so: two areas of equal measured need cannot be told apart by the rule, an
order among them (alphabetical, file order) would be arbitrary, and leaving all of them out
would break the newborn target. The price, more newborns or one area more than `max_areas`,
is stated in the report. `tie_rule: error` stops the run instead, naming the tied areas, for a
study that must decide such a tie itself. A step is "at the cut" when it has more than one area
and takes the total past the target, or the number of areas past `max_areas`; whether fewer of
its areas would have done is not asked, as the answer would tell a reader more about their
births than the published table shows.

Missing CNI. A blank or unreadable CNI is never read as 0 or as low need (that would quietly
put the areas with the least complete statistics last). With `missing_cni: exclude` (the
default) the area is not ranked and not selected, and is listed with that reason, so that the
committee sees that the rule could not judge it; with `missing_cni: error` the run stops,
naming the areas. Births per year likewise: where the rule counts newborns, an area without a
usable number (blank, unreadable or negative) cannot be counted toward the target and is
listed, not ranked (`missing_births: exclude`), or stops the run (`error`); under a rule that
does not count newborns it qualifies on its CNI and is left out of the cumulative total. An
area given twice with different values is listed and not ranked (`conflicting_rows`).

Areas in the export and the design. Export areas are read as the rest of the pipeline reads
them (`pipeline.stages.clean.harmonise_areas`: design areas matched ignoring accents, case and
spacing, then study.yml `area_map`). Each row says whether the area is an intervention or
comparison area of the design (`arm`) and `design_check` compares the rule with the study:
`selected_intervention` (the programme runs where the rule points), `not_selected_intervention`
(an intervention area the rule does not select; one missing from the export is listed with
reason `not_in_export`), `selected_comparison` and `selected_outside_study` (the rule points
to an area where the programme does not run). The report says whether the intervention areas
are exactly the areas the rule selects: a check a committee can act on.

Publishing. Births per year count children: a count of 1..min_cell-1 is shown as "<5". The
cumulative totals would give a hidden count back by subtraction (the total after an area less
the total before it), and so would the rule's own cut: an area whose reason says that it takes
the total past 100, after areas covering 97, has more than 3 newborns, so a "<5" there is 4.
The publisher therefore links, in the run's one suppression pass (`pipeline.privacy.LinkedCells`),
each step's total to the step before plus its areas' births, and states what the reasons
reveal about the totals at the cut (no more than the target before it, more than the target
after it) as sums with pinned constants and unknown non-negative slacks, so that the pass
hides as many further totals or births as it takes for no hidden count to be worked out.
The rule table (`area_selection_rule`) counts nothing and is published as it is; it must be
published in the same pass as `area_selection`, whose publisher reads the target from it.
"""

from __future__ import annotations

import math
import unicodedata
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Literal

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from pipeline import text
from pipeline.errors import ConfigError, InputFileError
from pipeline.followup import Block, TableBlock, Text
from pipeline.outputs import ALL_AREAS, COUNT, LABEL, TEXT, OutputTable
from pipeline.parsing import fold_label
from pipeline.publish.cells import Render, _count, _mark, _Pass, _shown_column
from pipeline.schema import Column, Table
from pipeline.words import Words

# --- the rule (study.yml `area_selection:`) ------------------------------------------------------


class AreaSelectionRules(BaseModel):
    """Which areas qualify for the programme, as study.yml states it (`area_selection:`)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    # strictly above this CNI (on the export's scale); None: no threshold
    cni_above: float | None = Field(default=None, allow_inf_nan=False)
    rank_by: Literal["cni"] = "cni"
    # ranked until MORE THAN this many newborns a year are covered; None: no newborn target
    min_newborns_per_year: int | None = Field(default=None, ge=0)
    max_areas: int | None = Field(default=None, ge=1)
    tie_rule: Literal["include_all", "error"] = "include_all"
    missing_cni: Literal["exclude", "error"] = "exclude"
    missing_births: Literal["exclude", "error"] = "exclude"

    @field_validator("cni_above", mode="before")
    @classmethod
    def _decimal_comma(cls, value: Any) -> Any:
        """"1,5" as a Swedish user writes it is 1.5."""
        if isinstance(value, str):
            return value.strip().replace(",", ".")
        return value

    @model_validator(mode="after")
    def _some_rule(self) -> AreaSelectionRules:
        if self.cni_above is None and self.min_newborns_per_year is None and self.max_areas is None:
            raise ValueError("no rule is stated, so no area could be told from another; "
                             "give cni_above (a CNI threshold), min_newborns_per_year (rank by CNI "
                             "until more than this many newborns a year are covered), max_areas, "
                             "or several of them, e.g. 'cni_above: 1.5' and "
                             "'min_newborns_per_year: 100'")
        return self

    @property
    def counts_newborns(self) -> bool:
        """Whether the rule counts newborns toward a target (and so needs births per year)."""
        return self.min_newborns_per_year is not None


def rules_from(study: Any) -> AreaSelectionRules | None:
    """The study's area-selection rules (`study.area_selection`), or None when it states none.

    Accepts the validated model or the raw mapping of study.yml; a wrong mapping raises
    ConfigError with one line per problem, naming the key.
    """
    value = getattr(study, "area_selection", None)
    if value is None or isinstance(value, AreaSelectionRules):
        return value
    if not isinstance(value, Mapping):
        raise ConfigError([f"area_selection: expected a mapping of rules (cni_above, "
                           f"min_newborns_per_year, max_areas, tie_rule, missing_cni, "
                           f"missing_births), not {type(value).__name__}"])
    try:
        return AreaSelectionRules.model_validate(dict(value))
    except ValidationError as error:
        raise ConfigError([_problem(item) for item in error.errors()]) from None


def _problem(item: Mapping[str, Any]) -> str:
    """One pydantic error as a line naming the key under area_selection."""
    location = ".".join(["area_selection", *(str(part) for part in item["loc"])])
    if item["type"] == "extra_forbidden":
        return (f"{location}: unknown key; allowed keys: "
                f"{list(AreaSelectionRules.model_fields)}")
    message = str(item["msg"]).removeprefix("Value error, ")
    given = item.get("input")
    shown = "" if isinstance(given, dict | list) else f" (given: {given!r})"
    return f"{location}: {message}{shown}"


# --- the export, the outputs ---------------------------------------------------------------------

EXPORT = Table(
    "areas",
    "area (Care Need Index and births per year)",
    (
        Column("area", "omrade", "text", required=True,
               description="area (stadsdel/område), matched to the design's areas as in the children export",
               label=Words("Område", "Area")),
        Column("cni", "cni", "number",
               description="Care Need Index of the area (higher: greater expected need); blank when not "
                           "known (listed, never read as low need)",
               label=Words("CNI", "CNI")),
        Column("births_per_year", "fodda_per_ar", "integer",
               description="children born per year in the area (population statistics)",
               label=Words("Födda per år", "Births per year")),
    ),
    required=False,
    title=Words("Områden och vårdbehov (CNI)", "Areas and care need (CNI)"),
    rows=Words("områden", "areas"),
    file="omraden",
)

SELECTION, RULE = "area_selection", "area_selection_rule"

# Column kinds of this part's new columns (the rest are in pipeline.outputs.COLUMN_KINDS: area,
# reason and arm are text; cni is a number).
# This part's rows of the reports' methods appendix.
METHODS: tuple[tuple[Words, Words], ...] = (
    (Words(sv=("Urval av områden efter vårdbehovsindex (Care Need Index, CNI): rangordning från högsta "
               "CNI enligt studiefilens regel; lika CNI delar plats och tas med tillsammans"),
           en=("Area selection by Care Need Index (CNI): ranked from the highest CNI under the study "
               "file's rule; areas of equal CNI share a rank and are taken together")),
     Words("Sundquist m.fl. 2003", "Sundquist et al. 2003")),
)

NEW_COLUMN_KINDS: dict[str, str] = {
    "births_per_year": COUNT,
    "cumulative_births": COUNT,
    "rank": COUNT,
    "qualifies": LABEL,
    "design_check": LABEL,
    "rule": LABEL,
    "setting": TEXT,
}


OUTPUTS: tuple[OutputTable, ...] = (
    OutputTable(
        SELECTION, "followup",
        ("area", "cni", "births_per_year", "rank", "cumulative_births", "qualifies", "reason", "arm",
         "design_check"),
        Words("Områdesurval efter Care Need Index (CNI)", "Area selection by Care Need Index (CNI)"),
        Words("områden", "areas"),
        "an area's births per year below min_cell (shown as \"<5\"); a cumulative total or another "
        "area's births hidden where differences between totals, or the rule's cut (no more than the "
        "newborn target before it, more after it), would narrow a hidden count",
        ALL_AREAS,
    ),
    OutputTable(
        RULE, "followup", ("rule", "setting"),
        Words("Regeln för områdesurvalet", "The area selection rule"),
        Words("regelrader", "rule rows"),
        "counts nothing (the study's rule and whether its newborn target was reached, which "
        "area_selection's suppression allows for): published as it is",
        ALL_AREAS,
    ),
)

# Reason codes, in the order of the walk down the ranking (words: REASONS).
QUALIFYING = ("qualifies_above_threshold", "qualifies_within_max", "qualifies_coverage_needed",
              "qualifies_reaches_coverage", "tied_at_cut", "qualifies_births_unknown")
# the reasons of areas in the ranked walk, whose cumulative total is shown
WALKED = ("qualifies_above_threshold", "qualifies_within_max", "qualifies_coverage_needed",
          "qualifies_reaches_coverage", "tied_at_cut", "coverage_reached", "max_areas_reached")
NOT_QUALIFYING = ("not_above_threshold", "coverage_reached", "max_areas_reached", "cni_missing",
                  "births_unusable", "conflicting_rows", "not_in_export")
DESIGN_CHECKS = ("selected_intervention", "not_selected_intervention", "selected_comparison",
                 "selected_outside_study")
COVERAGE = ("reached", "not_reached")


# --- compute ----------------------------------------------------------------------------------------

def compute(export: pd.DataFrame, study: Any) -> dict[str, pd.DataFrame]:
    """The clean `omraden` export to the reasoning table and the rule table, by the study's rule.

    Raises ConfigError when the study states no rule or `tie_rule: error` meets a tie at the
    cut, InputFileError when `missing_cni` / `missing_births: error` meets a missing value.
    """
    rules = rules_from(study)
    if rules is None:
        raise ConfigError(["area_selection: the areas export (omraden) is given but study.yml states "
                           "no rule for choosing areas; add e.g. 'area_selection: {cni_above: 1.5, "
                           "min_newborns_per_year: 100}', or remove the export from inputs"])
    design = study.design
    areas = _as_design_areas(export, design.areas, getattr(study, "area_map", {}) or {})
    selection, coverage = select_areas(areas, rules, intervention_areas=design.intervention_areas,
                                       comparison_areas=design.comparison_areas)
    return {SELECTION: selection, RULE: rule_table(rules, coverage)}


def _as_design_areas(export: pd.DataFrame, design_areas: Sequence[str],
                     area_map: Mapping[str, str]) -> pd.DataFrame:
    """The export's area, CNI and births, its areas spelled as the design spells them."""
    # imported here: pipeline.config imports this module for AreaSelectionRules, and the clean
    # stage imports pipeline.config
    from pipeline.stages.clean import harmonise_areas

    frame = pd.DataFrame({
        "area": export["area"].astype("string"),
        "cni": pd.to_numeric(export["cni"], errors="raise") if "cni" in export else np.nan,
        "births_per_year": (export["births_per_year"].astype("Int64") if "births_per_year" in export
                            else pd.array([pd.NA] * len(export), dtype="Int64")),
    }, index=export.index)
    frame["area"] = harmonise_areas(frame["area"], list(design_areas), area_map)
    return frame.reset_index(drop=True)


def select_areas(areas: pd.DataFrame, rules: AreaSelectionRules, *,
                 intervention_areas: Sequence[str] = (), comparison_areas: Sequence[str] = ()
                 ) -> tuple[pd.DataFrame, str]:
    """The reasoning table (one row per area) and whether the newborn target was reached
    ("reached", "not_reached", or "" for a rule without one).

    `areas` has area, cni (NaN when not known) and births_per_year (NA when not known), areas
    spelled as the design spells them. Rows come in ranking order (CNI from the highest, ties
    by name), then the areas that could not be ranked, by name.
    """
    rows = _one_row_per_area(areas)
    _stop_on_missing(rows, rules)
    known = rows["cni"].notna() & ~rows["conflict"]
    cni = rows["cni"].where(known)
    rows["rank"] = pd.array([1 + int((cni > value).sum()) if ok else None
                             for value, ok in zip(cni, known, strict=True)], dtype="Int64")
    births_ok = rows["births_per_year"].notna() & rows["births_per_year"].fillna(0).ge(0)
    above = known & (cni > rules.cni_above if rules.cni_above is not None else known)
    walked = above & (births_ok | (not rules.counts_newborns))
    reason = pd.Series("", index=rows.index, dtype=object)
    reason[rows["conflict"]] = "conflicting_rows"
    reason[~rows["conflict"] & rows["cni"].isna()] = "cni_missing"
    reason[known & ~above] = "not_above_threshold"
    reason[above & ~walked] = "births_unusable"
    cumulative = pd.array([None] * len(rows), dtype="Int64")
    coverage = _walk(rows, walked, births_ok, rules, reason, cumulative)
    rows["cumulative_births"] = cumulative
    rows["births_per_year"] = rows["births_per_year"].where(births_ok)
    rows["reason"] = reason
    rows["qualifies"] = reason.isin(QUALIFYING)
    rows = pd.concat([rows, _missing_intervention_areas(rows, intervention_areas)], ignore_index=True)
    rows["arm"] = _arms(rows["area"], intervention_areas, comparison_areas)
    rows["design_check"] = _design_checks(rows["qualifies"], rows["arm"])
    ranked = rows["rank"].notna()
    rows = pd.concat([rows[ranked].sort_values(["rank", "area"], kind="stable"),
                      rows[~ranked].sort_values("area", kind="stable")])
    table = _output(SELECTION)
    return table.frame(rows[list(table.columns)].to_dict("records")), coverage


def _one_row_per_area(areas: pd.DataFrame) -> pd.DataFrame:
    """One row per area (matched ignoring accents, case and spacing): rows giving one area the
    same values are one row; rows giving it different values are flagged `conflict`."""
    frame = areas[["area", "cni", "births_per_year"]].copy()
    frame = frame[frame["area"].notna() & frame["area"].str.strip().ne("")]
    frame["key"] = [fold_label(area) for area in frame["area"]]
    frame["cni"] = frame["cni"].astype("float64")
    frame["births_per_year"] = frame["births_per_year"].astype("Int64")
    distinct = frame.drop_duplicates(["key", "cni", "births_per_year"])
    conflict = distinct["key"].duplicated(keep=False)
    rows = distinct[~distinct["key"].duplicated()].copy()
    rows["conflict"] = rows["key"].isin(distinct.loc[conflict, "key"])
    rows.loc[rows["conflict"], "cni"] = np.nan
    rows["births_per_year"] = rows["births_per_year"].mask(rows["conflict"])
    return rows.reset_index(drop=True)


def _stop_on_missing(rows: pd.DataFrame, rules: AreaSelectionRules) -> None:
    """InputFileError for missing values that the rule says stop the run."""
    no_cni = rows.loc[rows["cni"].isna() & ~rows["conflict"], "area"].tolist()
    if no_cni and rules.missing_cni == "error":
        raise InputFileError(f"areas export (omraden): CNI is missing or unreadable for {_names(no_cni)}; "
                             "add their Care Need Index to the export, or set "
                             "'area_selection: missing_cni: exclude' to list them as not ranked")
    if not rules.counts_newborns or rules.missing_births != "error":
        return
    births = rows["births_per_year"]
    no_births = rows.loc[~rows["conflict"] & (births.isna() | births.fillna(0).lt(0)), "area"].tolist()
    if no_births:
        raise InputFileError(f"areas export (omraden): births per year (fodda_per_ar) are missing, "
                             f"unreadable or negative for {_names(no_births)}, and the rule counts "
                             "newborns; add a whole number of births a year for them, or set "
                             "'area_selection: missing_births: exclude' to list them as not ranked")


def _walk(rows: pd.DataFrame, walked: pd.Series, births_ok: pd.Series, rules: AreaSelectionRules,
          reason: pd.Series, cumulative: Any) -> str:
    """Down the ranking, a step of tied areas at a time: each walked area's reason and
    cumulative births (filled in place); returns the coverage ("reached", "not_reached", "")."""
    target, most = rules.min_newborns_per_year, rules.max_areas
    births = rows["births_per_year"].where(births_ok).fillna(0).astype("int64")
    covered = areas_taken = 0
    covered_by_qualifying = 0
    cni = rows["cni"].where(walked)
    for value in sorted(cni.dropna().unique(), reverse=True):
        index = rows.index[cni.eq(value)]
        covered_before, taken_before = covered, areas_taken
        covered += int(births[index].sum())
        areas_taken += len(index)
        for row in index:
            if births_ok[row]:
                cumulative[row] = covered
        if target is not None and covered_before > target:
            reason[index] = "coverage_reached"
            continue
        if most is not None and taken_before >= most:
            reason[index] = "max_areas_reached"
            continue
        covered_by_qualifying = covered
        at_cut = len(index) > 1 and ((target is not None and covered > target)
                                     or (most is not None and areas_taken > most))
        if at_cut and rules.tie_rule == "error":
            raise ConfigError([f"area_selection: {_names(rows.loc[index, 'area'])} have the same CNI "
                               f"({rows.loc[index[0], 'cni']:g}) at the cut of the rule, which cannot "
                               "choose between them; set 'tie_rule: include_all' to take all of them, "
                               "or change the rule (cni_above, min_newborns_per_year, max_areas)"])
        reason[index] = ("tied_at_cut" if at_cut
                         else "qualifies_reaches_coverage" if target is not None and covered > target
                         else "qualifies_coverage_needed" if target is not None
                         else "qualifies_within_max" if most is not None
                         else "qualifies_above_threshold")
        unknown = [row for row in index if not births_ok[row] and reason[row] != "tied_at_cut"]
        reason[unknown] = "qualifies_births_unknown"
    if target is None:
        return ""
    return "reached" if covered_by_qualifying > target else "not_reached"


def _missing_intervention_areas(rows: pd.DataFrame, intervention_areas: Sequence[str]) -> pd.DataFrame:
    """A row for each intervention area of the design that the export does not give."""
    given = set(rows["key"])
    missing = [area for area in intervention_areas if fold_label(area) not in given]
    return pd.DataFrame({"area": missing, "key": [fold_label(a) for a in missing],
                         "cni": np.nan, "births_per_year": pd.array([pd.NA] * len(missing), dtype="Int64"),
                         "rank": pd.array([pd.NA] * len(missing), dtype="Int64"),
                         "cumulative_births": pd.array([pd.NA] * len(missing), dtype="Int64"),
                         "reason": "not_in_export", "qualifies": False})


def _arms(area: pd.Series, intervention_areas: Sequence[str], comparison_areas: Sequence[str]
          ) -> list[str]:
    arm = {**dict.fromkeys(comparison_areas, "comparison"),
           **dict.fromkeys(intervention_areas, "intervention")}
    return [arm.get(name, "") for name in area]


def _design_checks(qualifies: pd.Series, arm: pd.Series) -> list[str]:
    """How the rule's choice compares with the design, area by area (DESIGN_CHECKS or "")."""
    checks = {(True, "intervention"): "selected_intervention",
              (False, "intervention"): "not_selected_intervention",
              (True, "comparison"): "selected_comparison", (True, ""): "selected_outside_study"}
    return [checks.get((bool(q), a), "") for q, a in zip(qualifies, arm, strict=True)]


def rule_table(rules: AreaSelectionRules, coverage: str) -> pd.DataFrame:
    """The rule as stated, one setting a row (blank where not set), and the coverage reached."""
    settings = {**{name: _setting(getattr(rules, name)) for name in AreaSelectionRules.model_fields},
                "coverage": coverage}
    return _output(RULE).frame({"rule": name, "setting": value} for name, value in settings.items())


def _setting(value: Any) -> str:
    return "" if value is None else repr(value) if isinstance(value, float) else str(value)


def _output(name: str) -> OutputTable:
    return next(table for table in OUTPUTS if table.name == name)


def _names(areas: Any) -> str:
    return ", ".join(f"'{area}'" for area in areas)


# --- publishing -------------------------------------------------------------------------------------

def _publish_area_selection(p: _Pass, frame: pd.DataFrame) -> Render:
    """Births per year of each area, small ones hidden; the cumulative totals linked to them
    and to the cut the reasons reveal, so that no hidden count can be worked out."""
    rule = p.frames.get(RULE)
    if rule is None:
        raise ValueError(f"{SELECTION} must be published in one pass with {RULE}: the newborn "
                         "target in it decides what the reasons reveal about the totals")
    target = text.to_number(dict(zip(rule["rule"], rule["setting"], strict=True))
                            .get("min_newborns_per_year"))
    births_cells: list[int | None] = []
    for row in frame.to_dict("records"):
        known = not pd.isna(row["births_per_year"])
        births_cells.append(p.count((SELECTION, "births", fold_label(str(row["area"]))),
                                    row["births_per_year"]) if known else None)
    in_walk = frame["cumulative_births"].notna().to_numpy()
    ranks = pd.to_numeric(frame["rank"]).fillna(0).astype("int64").to_numpy()
    cumulative_cells: list[int | None] = [None] * len(frame)
    previous: int | None = None
    steps: list[tuple[int, int]] = []  # (cell, value) of each step's total, down the ranking
    for rank in dict.fromkeys(r for r, w in zip(ranks, in_walk, strict=True) if w):
        members = np.flatnonzero(in_walk & (ranks == rank))
        value = _count(frame["cumulative_births"].iloc[members[0]])
        cell = p.count((SELECTION, "cumulative", int(rank)), value)
        parts = [births_cells[m] for m in members if births_cells[m] is not None]
        p.relate(cell, [previous, *parts] if previous is not None else parts)
        for m in members:
            cumulative_cells[m] = cell
        steps.append((cell, value))
        previous = cell
    if target is not None:
        _cut_relations(p, steps, int(target))

    def render(hidden: np.ndarray) -> pd.DataFrame:
        published = frame.copy()
        births_hidden = np.array([c is not None and bool(hidden[c]) for c in births_cells], dtype=bool)
        totals_hidden = np.array([c is not None and bool(hidden[c]) for c in cumulative_cells], dtype=bool)
        published["births_per_year"] = _shown_column(frame["births_per_year"], births_hidden, p.min_cell)
        published["cumulative_births"] = _shown_column(frame["cumulative_births"], totals_hidden,
                                                       p.min_cell)
        small = [any(c is not None and p.small(c) for c in cells)
                 for cells in zip(births_cells, cumulative_cells, strict=True)]
        return _mark(published, births_hidden | totals_hidden,
                     ["small_count" if s else "secondary" for s in small])
    return render


def _cut_relations(p: _Pass, steps: list[tuple[int, int]], target: int) -> None:
    """What the reasons say of the totals at the cut, as sums a reader can use: the last total
    of no more than the target is at most the target, the first above it at least target + 1.
    (Totals rise down the ranking, so these two bound all the others.) Each bound is a pinned
    constant beside an unknown non-negative slack; both sides are raised by min_cell so that
    no constant is itself a small count."""
    offset = p.count((SELECTION, "constant", "offset"), p.min_cell, hideable=False)
    below = [(cell, value) for cell, value in steps if value <= target]
    above = [(cell, value) for cell, value in steps if value > target]
    if below:
        cell, value = below[-1]
        bound = p.count((SELECTION, "constant", "at_most", target), target + p.min_cell, hideable=False)
        slack = p.cells.add(target - value, published=False)
        p.relate(bound, [cell, offset, slack])
    if above:
        cell, value = above[0]
        bound = p.count((SELECTION, "constant", "at_least", target + 1), target + 1 + p.min_cell,
                        hideable=False)
        shifted = p.cells.add(value + p.min_cell, published=False)
        slack = p.cells.add(value - target - 1, published=False)
        p.relate(shifted, [cell, offset])
        p.relate(shifted, [bound, slack])


def _publish_rule(p: _Pass, frame: pd.DataFrame) -> Render:
    """The rule counts nothing: published as it is."""
    return lambda hidden: frame.copy()


PUBLISHERS: dict[str, Callable[[_Pass, pd.DataFrame], Render]] = {
    SELECTION: _publish_area_selection, RULE: _publish_rule}


# --- the report section --------------------------------------------------------------------------

TITLE = Words("Områdesurval efter Care Need Index", "Area selection by Care Need Index")

HEADERS: dict[str, Words] = {
    "area": Words("Område", "Area"),
    "cni": Words("CNI", "CNI"),
    "births_per_year": Words("Födda per år", "Births per year"),
    "rank": Words("Rang", "Rank"),
    "cumulative_births": Words("Födda per år, sammanlagt", "Births per year, cumulative"),
    "qualifies": Words("Uppfyller regeln", "Qualifies"),
    "reason": Words("Skäl", "Reason"),
    "arm": Words("I studien", "In the study"),
    "rule": Words("Regel", "Rule"),
    "setting": Words("Värde", "Setting"),
}

REASONS: dict[str, Words] = {
    "qualifies_above_threshold": Words("CNI över gränsen {threshold}", "CNI above the threshold {threshold}"),
    "qualifies_within_max": Words("bland de {max_areas} områdena med högst CNI",
                                  "among the {max_areas} areas with the highest CNI"),
    "qualifies_coverage_needed": Words(
        "behövs: områdena före täcker inte fler än {target} nyfödda per år",
        "needed: the areas ranked above cover no more than {target} newborns a year"),
    "qualifies_reaches_coverage": Words(
        "med detta område täcks fler än {target} nyfödda per år",
        "with this area more than {target} newborns a year are covered"),
    "tied_at_cut": Words(
        "samma CNI som ett annat område vid gränsen: alla med samma CNI tas med",
        "same CNI as another area at the cut: all areas of equal CNI are included"),
    "qualifies_births_unknown": Words(
        "uppfyller regeln på sitt CNI; antal födda saknas och räknas inte i summan",
        "qualifies on its CNI; births per year missing, not counted in the total"),
    "not_above_threshold": Words("CNI inte över gränsen {threshold}",
                                 "CNI not above the threshold {threshold}"),
    "coverage_reached": Words(
        "målet, fler än {target} nyfödda per år, nås redan av områden med högre CNI",
        "the target of more than {target} newborns a year is already met by areas of higher CNI"),
    "max_areas_reached": Words(
        "redan {max_areas} områden med högre CNI",
        "already {max_areas} areas of higher CNI"),
    "cni_missing": Words(
        "CNI saknas: rangordnas inte och väljs inte (tolkas inte som lågt behov)",
        "CNI missing: not ranked and not selected (not read as low need)"),
    "births_unusable": Words(
        "antal födda saknas eller är ogiltigt: kan inte räknas mot målet, rangordnas inte",
        "births per year missing or invalid: cannot count toward the target, not ranked"),
    "conflicting_rows": Words(
        "flera rader med olika värden i exporten: rangordnas inte",
        "several rows with different values in the export: not ranked"),
    "not_in_export": Words("interventionsområde som saknas i exporten",
                           "intervention area missing from the export"),
}

ARMS: dict[str, Words] = {
    "intervention": Words("interventionsområde", "intervention area"),
    "comparison": Words("jämförelseområde", "comparison area"),
}

RULE_NAMES: dict[str, Words] = {
    "cni_above": Words("CNI över", "CNI above"),
    "rank_by": Words("Rangordnas efter", "Ranked by"),
    "min_newborns_per_year": Words("Fler än så många nyfödda per år", "More than this many newborns a year"),
    "max_areas": Words("Högst antal områden", "At most this many areas"),
    "tie_rule": Words("Lika CNI vid gränsen", "Equal CNI at the cut"),
    "missing_cni": Words("CNI saknas", "CNI missing"),
    "missing_births": Words("Antal födda saknas", "Births missing"),
    "coverage": Words("Målet för nyfödda", "The newborn target"),
}

SETTINGS: dict[str, Words] = {
    "cni": Words("CNI, högst först", "CNI, highest first"),
    "include_all": Words("alla tas med", "all included"),
    "error": Words("körningen stoppas", "the run stops"),
    "exclude": Words("området rangordnas inte", "the area is not ranked"),
    "reached": Words("nås", "reached"),
    "not_reached": Words("nås inte", "not reached"),
}

PHRASES: dict[str, Words] = {
    "heading": Words("Urval av områden efter vårdbehov (CNI)", "Area selection by care need (CNI)"),
    "cni": Words(
        "Care Need Index (CNI) är ett socioekonomiskt index för ett område (Sundquist m.fl. 2003), "
        "som regionerna använder för att fördela resurser till primärvården. Det väger samman bland "
        "annat andelen arbetslösa, ensamstående föräldrar, barn under fem år, personer med kort "
        "utbildning och nyinflyttade. Högre CNI betyder större förväntat vårdbehov.",
        "The Care Need Index (CNI) is a socio-economic index of an area (Sundquist et al. 2003) that "
        "Swedish regions use to allocate primary care resources. It combines, among others, the shares "
        "of unemployed people, single parents, children under five, people with little education and "
        "people who recently moved in. A higher CNI means a greater expected need for care."),
    "rule": Words("Regeln i studiefilen: {parts}.", "The rule in the study file: {parts}."),
    "rule_threshold": Words("ett område ska ha CNI över {threshold}",
                            "an area must have a CNI above {threshold}"),
    "rule_coverage": Words("områdena rangordnas från högst CNI och tas med tills fler än {target} "
                           "nyfödda per år omfattas",
                           "areas are ranked from the highest CNI and taken until more than {target} "
                           "newborns a year are covered"),
    "rule_max": Words("högst {max_areas} områden väljs", "at most {max_areas} areas are chosen"),
    "rule_ties": Words("områden med samma CNI vid gränsen tas med allihop",
                       "areas with the same CNI at the cut are all included"),
    "and": Words("och", "and"),
    "none_qualify": Words("Inget område uppfyller regeln.", "No area qualifies under the rule."),
    "qualify": Words("{count} av exportens {total} områden uppfyller regeln: {areas}.",
                     "{count} of the export's {total} areas qualify: {areas}."),
    "covered": Words("Tillsammans föds där {births} barn per år.",
                     "Together, {births} children a year are born there."),
    "covered_hidden": Words("Hur många barn som föds där redovisas inte, eftersom ett litet antal "
                            "annars skulle kunna räknas fram.",
                            "How many children are born there is not shown, as a small number could "
                            "otherwise be worked out."),
    "reached": Words("Målet, fler än {target} nyfödda per år, nås.",
                     "The target of more than {target} newborns a year is met."),
    "not_reached": Words("Målet, fler än {target} nyfödda per år, nås inte med de områden som "
                         "uppfyller regeln.",
                         "The target of more than {target} newborns a year is not met by the areas "
                         "that qualify."),
    "tied": Words("{areas} har samma CNI vid gränsen och tas alla med, så att områden med lika stort "
                  "behov behandlas lika; sammanlagt uppfyller {count} områden regeln.",
                  "{areas} have the same CNI at the cut and are all included, so that areas of equal "
                  "need are treated alike; in all, {count} areas qualify."),
    "tied_over_max": Words("Det är fler än regelns högsta antal, {max_areas}.",
                           "That is more than the rule's maximum of {max_areas}."),
    "cni_missing": Words("CNI saknas för {areas}, som därför inte rangordnas eller väljs; ett saknat "
                         "CNI tolkas inte som lågt behov: be regionen om uppgiften.",
                         "CNI is missing for {areas}, which is therefore not ranked or selected; a "
                         "missing CNI is not read as low need: ask the region for it."),
    "births_unusable": Words("Antal födda per år saknas eller är ogiltigt för {areas}; de kan inte "
                             "räknas mot målet och rangordnas inte.",
                             "Births per year are missing or invalid for {areas}; they cannot count "
                             "toward the target and are not ranked."),
    "conflicting_rows": Words("{areas} står flera gånger i exporten med olika värden och rangordnas "
                              "inte; rätta exporten.",
                              "{areas} appear more than once in the export with different values and "
                              "are not ranked; correct the export."),
    "design_agrees": Words("Studiens interventionsområden ({areas}) är just de områden som regeln väljer.",
                           "The study's intervention areas ({areas}) are exactly the areas the rule "
                           "selects."),
    "design_not_selected": Words("Interventionsområden som regeln inte väljer: {areas}.",
                                 "Intervention areas the rule does not select: {areas}."),
    "design_selected_elsewhere": Words("Områden som regeln väljer men där programmet inte bedrivs: "
                                       "{areas}.",
                                       "Areas the rule selects where the programme does not run: "
                                       "{areas}."),
    "caption": Words("Områdena i rangordning efter CNI, med skälet till att de uppfyller regeln eller "
                     "inte.", "The areas ranked by CNI, with the reason each qualifies or not."),
    "rule_caption": Words("Regeln som den står i studiefilen.", "The rule as stated in the study file."),
    "hidden": Words("dolt", "hidden"),
    "yes": Words("ja", "yes"),
    "no": Words("nej", "no"),
    "method": Words(
        "Metod. Ett område uppfyller en CNI-gräns när dess CNI är strikt över gränsen. Områdena "
        "rangordnas efter CNI från det högsta; områden med samma CNI får samma rang (1, 2, 2, 4) och "
        "samma sammanlagda antal födda (alla områden med minst deras CNI). Ett saknat CNI räknas "
        "aldrig som 0.",
        "Method. An area meets a CNI threshold when its CNI is strictly above it. Areas are ranked "
        "by CNI from the highest; areas of equal CNI share a rank (1, 2, 2, 4) and a cumulative total "
        "(every area of at least their CNI). A missing CNI is never counted as 0."),
    "method_target": Words(
        "Ett område behövs för målet när områdena före det täcker högst målet: exakt {target} "
        "nyfödda är inte fler än {target}.",
        "An area is needed for the target when the areas ranked above it cover no more than the "
        "target: exactly {target} newborns is not more than {target}."),
    "method_suppression_general": Words(
        "Små antal födda visas som \"<\" och studiens gräns för små tal; en summa eller ett annat "
        "antal döljs (\"dolt\") där det annars, genom skillnader eller regelns gräns, skulle gå att "
        "räkna fram ett dolt antal.",
        "Small numbers of births are shown as \"<\" and the study's small-number threshold; a total "
        "or another count is hidden (\"hidden\") where differences or the rule's cut would otherwise "
        "give a hidden count back."),
    "method_suppression": Words(
        "Antal födda under {min_cell} visas som \"<{min_cell}\"; en summa eller ett annat antal "
        "döljs (\"dolt\") där det annars, genom skillnader eller regelns gräns, skulle gå att räkna "
        "fram ett dolt antal.",
        "Births below {min_cell} are shown as \"<{min_cell}\"; a total or another count is hidden "
        "(\"hidden\") where differences or the rule's cut would otherwise give a hidden count back."),
}


def section(tables: Mapping[str, pd.DataFrame], language: str, *, technical: bool) -> list[Block]:
    """The report section: what CNI is, the rule, which areas qualify and why, whether they are
    the study's intervention areas, and the reasoning table; the technical report adds the rule
    as stated and the method. Nothing when the study gave no areas export."""
    selection, rule = _published(tables, SELECTION), _published(tables, RULE)
    if selection is None:
        return []
    text.check_language(language)
    rows = [{k: (None if text.is_missing(v) else v) for k, v in row.items()}
            for row in selection.to_dict("records")]
    settings = _settings(rule, language)
    markers = [row.get(c) for row in rows for c in ("births_per_year", "cumulative_births")
               if text.suppressed_marker(row.get(c)) is not None]
    blocks: list[Block] = [Text(f"## {PHRASES['heading'].in_(language)}"),
                           Text(PHRASES["cni"].in_(language) + " " + _rule_sentence(settings, language)),
                           Text(_result_paragraphs(rows, settings, language)),
                           TableBlock(_reasoning_frame(rows, settings, language),
                                      PHRASES["caption"].in_(language))]
    if technical:
        blocks += [TableBlock(_rule_frame(rule, language), PHRASES["rule_caption"].in_(language)),
                   Text(_method(settings, markers, language))]
    return blocks


def _published(tables: Mapping[str, pd.DataFrame], name: str) -> pd.DataFrame | None:
    """A published table by name; None when absent or empty (a dict, or the reports' RunTables,
    which gives an empty frame for a table the run did not write)."""
    try:
        frame = tables[name]
    except KeyError:
        return None
    return None if frame is None or frame.empty else frame


def _method(settings: Mapping[str, str], markers: Sequence[Any], language: str) -> str:
    """The technical report's method paragraph: ranking, the target, small numbers (the
    threshold named when a "<5" in the table shows it)."""
    keys = ["method", *(["method_target"] if settings.get("target") else []),
            "method_suppression" if markers else "method_suppression_general"]
    min_cell = text.min_cell_of(*markers)
    return " ".join(PHRASES[key].format(language, min_cell=min_cell, **settings) for key in keys)


def _settings(rule: pd.DataFrame | None, language: str) -> dict[str, str]:
    """The rule's settings by name, numbers formatted for the report (threshold, target,
    max_areas, tie_rule, coverage)."""
    pairs = [] if rule is None or rule.empty else zip(rule["rule"], rule["setting"], strict=True)
    raw = {str(r): "" if text.is_missing(s) else str(s) for r, s in pairs}
    threshold = text.to_number(raw.get("cni_above"))
    target = text.to_number(raw.get("min_newborns_per_year"))
    most = text.to_number(raw.get("max_areas"))
    return {"threshold": "" if threshold is None
            else text.format_number(threshold, language, _decimals([threshold])),
            "target": "" if target is None else text.format_count(target, language),
            "max_areas": "" if most is None else text.format_count(most, language),
            "tie_rule": raw.get("tie_rule", ""), "coverage": raw.get("coverage", "")}


def _rule_sentence(settings: Mapping[str, str], language: str) -> str:
    parts = [PHRASES[key].format(language, **settings) for key, setting in
             (("rule_threshold", "threshold"), ("rule_coverage", "target"), ("rule_max", "max_areas"))
             if settings.get(setting)]
    if settings.get("tie_rule") == "include_all":
        parts.append(PHRASES["rule_ties"].in_(language))
    return PHRASES["rule"].format(language, parts="; ".join(parts)) if parts else ""


def _result_paragraphs(rows: list[dict[str, Any]], settings: Mapping[str, str], language: str) -> str:
    """Which areas qualify and the newborns they cover; ties and missing values; the design
    check: a paragraph each."""
    qualifying = [row for row in rows if text.is_true(row.get("qualifies"))]
    given = [row for row in rows if row.get("reason") != "not_in_export"]
    sentences = [PHRASES["qualify"].format(language, count=len(qualifying), total=len(given),
                                           areas=_listed([r["area"] for r in qualifying], language))
                 if qualifying else PHRASES["none_qualify"].in_(language)]
    walked = [row for row in qualifying if row.get("reason") in WALKED]
    if walked and settings.get("target"):
        last = walked[-1].get("cumulative_births")
        sentences.append(PHRASES["covered"].format(language, births=text.format_count(last, language))
                         if text.to_number(last) is not None else PHRASES["covered_hidden"].in_(language))
    if settings.get("coverage") in COVERAGE:
        sentences.append(PHRASES[settings["coverage"]].format(language, **settings))
    paragraphs = [sentences]
    sentences = []
    tied = [row["area"] for row in rows if row.get("reason") == "tied_at_cut"]
    if tied:
        sentences.append(PHRASES["tied"].format(language, areas=_listed(tied, language),
                                                count=len(qualifying)))
        most = text.to_number(settings.get("max_areas"))
        if most is not None and len(qualifying) > most:
            sentences.append(PHRASES["tied_over_max"].format(language, **settings))
    for reason in ("cni_missing", "births_unusable", "conflicting_rows"):
        areas = [row["area"] for row in rows if row.get("reason") == reason]
        if areas:
            sentences.append(PHRASES[reason].format(language, areas=_listed(areas, language)))
    paragraphs += [sentences, _design_sentences(rows, language)]
    return "\n\n".join(" ".join(paragraph) for paragraph in paragraphs if paragraph)


def _design_sentences(rows: list[dict[str, Any]], language: str) -> list[str]:
    """Whether the study's intervention areas are those the rule selects."""
    def areas(*checks: str) -> list[str]:  # in the table's order: by rank
        return [row["area"] for row in rows if row.get("design_check") in checks]

    not_selected = areas("not_selected_intervention")
    elsewhere = areas("selected_comparison", "selected_outside_study")
    agreeing = areas("selected_intervention")
    if agreeing and not not_selected and not elsewhere:
        return [PHRASES["design_agrees"].format(language, areas=_listed(agreeing, language))]
    sentences = []
    if not_selected:
        sentences.append(PHRASES["design_not_selected"].format(language,
                                                               areas=_listed(not_selected, language)))
    if elsewhere:
        sentences.append(PHRASES["design_selected_elsewhere"].format(language,
                                                                     areas=_listed(elsewhere, language)))
    return sentences


def _reasoning_frame(rows: list[dict[str, Any]], settings: Mapping[str, str], language: str) -> pd.DataFrame:
    """The reasoning table as the report shows it, in the report's language."""
    decimals = _decimals([text.to_number(row.get("cni")) for row in rows])
    shown = []
    for row in rows:
        hidden = text.is_true(row.get("suppressed"))
        shown.append({
            "area": str(row["area"]),
            "cni": text.format_number(row.get("cni"), language, decimals),
            "births_per_year": _count_cell(row.get("births_per_year"), hidden, language),
            "rank": text.format_count(row.get("rank"), language),
            "cumulative_births": _count_cell(row.get("cumulative_births"),
                                             hidden and row.get("reason") in WALKED, language),
            "qualifies": PHRASES["yes" if text.is_true(row.get("qualifies")) else "no"].in_(language),
            "reason": REASONS[str(row["reason"])].format(language, **settings),
            "arm": ARMS[row["arm"]].in_(language) if row.get("arm") in ARMS else text.EN_DASH,
        })
    columns = list(shown[0]) if shown else list(HEADERS)[:8]
    return pd.DataFrame(shown, columns=columns).rename(
        columns={c: HEADERS[c].in_(language) for c in columns})


def _count_cell(value: Any, hidden_row: bool, language: str) -> str:
    """A count as shown: "<5" as it is; blank in a row with hidden figures is "hidden"."""
    if value is None and hidden_row:
        return PHRASES["hidden"].in_(language)
    return text.format_count(value, language)


def _rule_frame(rule: pd.DataFrame | None, language: str) -> pd.DataFrame:
    """The rule table in the report's language (settings not stated are left out)."""
    records = [] if rule is None else rule.to_dict("records")
    shown = [{"rule": RULE_NAMES[str(r["rule"])].in_(language),
              "setting": _setting_words(str(r["rule"]), r["setting"], language)}
             for r in records if not text.is_missing(r.get("setting")) and str(r["rule"]) in RULE_NAMES]
    return pd.DataFrame(shown, columns=["rule", "setting"]).rename(
        columns={c: HEADERS[c].in_(language) for c in ("rule", "setting")})


def _setting_words(rule: str, setting: Any, language: str) -> str:
    if str(setting) in SETTINGS:
        return SETTINGS[str(setting)].in_(language)
    number = text.to_number(setting)
    if number is None:
        return str(setting)
    return text.format_number(number, language, 0 if rule != "cni_above" else _decimals([number]))


def _decimals(values: Sequence[float | None]) -> int:
    """The fewest decimals (1 to 6) that show each CNI as given, so that two CNIs that differ
    never look tied."""
    numbers = [v for v in values if v is not None and math.isfinite(v)]
    for decimals in range(1, 7):
        if all(abs(round(v, decimals) - v) < 1e-9 for v in numbers):
            return decimals
    return 6


def _listed(names: Sequence[str], language: str) -> str:
    """"A, B och C" / "A, B and C"."""
    names = [str(n) for n in names]
    if len(names) < 2:
        return "".join(names)
    return f"{', '.join(names[:-1])} {PHRASES['and'].in_(language)} {names[-1]}"


# --- the synthetic export --------------------------------------------------------------------------

# Areas of the municipality outside the synthetic study: one without a CNI, one sharing a
# study area's CNI (a tie), one small and affluent (a few births a year: "<5" when published).
_OTHER_AREAS = ("Hagalund", "Ekbacken", "Strandvik")
SYNTHETIC_RULES: dict[str, Any] = {"cni_above": 1.5, "min_newborns_per_year": 100}  # for study.yml


def synthetic(rng: np.random.Generator, study_areas: Sequence[str], start: Any, end: Any) -> pd.DataFrame:
    """The `omraden` export as region or municipal statistics give it: Swedish headers, CNI
    with a decimal comma (blank where not known), births per year a mean over the years from
    `start` to `end`, rounded.

    `study_areas` from the most to the least deprived (the synthetic study lists its
    intervention areas first, then its comparison areas from the most deprived): their CNI
    falls from about 2.6 along that order. Three areas outside the study are added: one
    without a CNI, one tied with a study area, one small and affluent; the second study area
    is spelled in capitals without accents, as exports do.
    """
    years = max(1, round((pd.Timestamp(end) - pd.Timestamp(start)).days / 365.25))
    count = len(study_areas)
    cni = np.round(2.6 - 1.9 * np.arange(count) / max(count - 1, 1) + rng.normal(0, 0.08, count), 2)
    means = rng.uniform(45, 75, count)
    births = [int(round(rng.poisson(mean, years).mean())) for mean in means]
    names = list(study_areas)
    if count > 1:
        names[1] = _without_accents(names[1]).upper()
    tie = cni[count // 2] if count else 1.2
    other_cni = [np.nan, tie, 0.55]
    other_births = [int(round(rng.poisson(mean, years).mean()))
                    for mean in [*rng.uniform(45, 75, 2), 3.0]]
    all_cni = [*cni, *other_cni]
    return pd.DataFrame({
        "omrade": [*names, *_OTHER_AREAS],
        "cni": ["" if np.isnan(value) else f"{value:.2f}".replace(".", ",") for value in all_cni],
        "fodda_per_ar": [str(b) for b in [*births, *other_births]],
    })


def _without_accents(name: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", name) if not unicodedata.combining(c))


# The part contract's optional names: study.yml's `area_selection:` rules, the synthetic
# study's rules, and the synthetic export over every area (not only the design's).
STUDY_SETTINGS = {"area_selection": AreaSelectionRules}
SYNTHETIC_SETTINGS = {"area_selection": SYNTHETIC_RULES}
SYNTHETIC_AREAS = "all"
