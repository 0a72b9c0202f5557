"""Display tables for the reports: the stage's CSV tables turned into labelled, formatted frames.

Every function takes a table as written by the pipeline (counts may be suppressed strings such
as "<5", proportions and estimates blank where suppressed) and a language, and returns a
DataFrame of display strings with headers in that language. Nothing here computes a statistic.
"""

from __future__ import annotations

import html as html_lib
import io
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

import pandas as pd

from pipeline import followup, narrative, text
from pipeline.indicators import INDICATORS
from pipeline.outputs import AREA_ROWS, CATALOG, DISTRICT_ROWS, STUDY_ROWS, with_areas
from pipeline.publish.formulas import unescape_frame
from pipeline.stats.balance import ADJUSTMENT_MAX, SATISFIED_MAX
from pipeline.text import (
    EN_DASH,
    format_count,
    format_estimate,
    format_number,
    format_p,
    format_percent,
    label,
    phrase,
    records,
    suppressed_marker,
    to_number,
)
from pipeline.words import Words

PERCENTAGE_POINT_MEASURES = ("risk_difference", "did")
RATIO_MEASURES = ("risk_ratio", "odds_ratio", "hazard_ratio")


def __getattr__(name: str) -> Any:
    """AREA_TABLES: the tables with an `area` column ("all" or an intervention area);
    STUDY_TABLES: those for the whole study; DISTRICT_TABLES: those by district (an area
    report shows its own district's rows). Read from the catalog when asked, since the
    follow-up parts' tables join it only once the parts are imported."""
    kinds = {"AREA_TABLES": AREA_ROWS, "STUDY_TABLES": STUDY_ROWS, "DISTRICT_TABLES": DISTRICT_ROWS}
    if name in kinds:
        return with_areas(kinds[name])
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


@dataclass
class RunTables:
    """The outputs of one run as read from its folder: tables by name and the manifest.

    `written`: the tables whose files the run wrote (a follow-up part's only when the study
    gave its export); `own_district`: the tables by district cut to an area report's own
    district's rows."""

    folder: Path
    tables: dict[str, pd.DataFrame]
    manifest: dict[str, Any]
    area: str = "all"
    not_by_area: list[str] = field(default_factory=list)
    written: frozenset[str] = frozenset()
    own_district: list[str] = field(default_factory=list)

    def __getitem__(self, name: str) -> pd.DataFrame:
        return self.tables.get(name, pd.DataFrame())

    @property
    def config(self) -> dict[str, Any]:
        """The study configuration recorded in the manifest."""
        return self.manifest.get("config") or {}

    @property
    def min_cell(self) -> int:
        """The study's small-cell threshold (default 5)."""
        return int(self.config.get("min_cell") or text.DEFAULT_MIN_CELL)


def read_table(path: Path) -> pd.DataFrame:
    """Read one output CSV; suppressed counts ("<5") stay strings, blanks become missing, and
    text escaped against spreadsheet formulas ("'=…") is read as the original text."""
    return _parsed(path.read_bytes())


def _parsed(content: bytes) -> pd.DataFrame:
    return unescape_frame(pd.read_csv(io.BytesIO(content), encoding="utf-8"))


# Each table this process has read, by path: its file's bytes and the frame parsed from them
# (`_read_once`); forgotten all at once past READ_KEPT paths (a run has some 70 tables).
_READ: dict[Path, tuple[bytes, pd.DataFrame]] = {}
READ_KEPT = 400


def _read_once(path: Path) -> pd.DataFrame:
    """`read_table(path)`, parsed again only when the file's bytes differ from what this
    process last parsed there; a copy, so that a report changing its frames changes no other's.

    A report worker executes report after report of one run, and each reads every table of
    the run (`load_run`): 0.13 CPU-seconds of parsing per report, 0.006 once parsed (a
    study with 14 areas: 31 reports, 4 CPU-seconds less). Compared by content, not by the
    file's time or size, which a table rewritten within the same clock tick keeps."""
    content = path.read_bytes()
    kept = _READ.get(path)
    if kept is None or kept[0] != content:
        if len(_READ) >= READ_KEPT:
            _READ.clear()
        kept = _READ[path] = (content, _parsed(content))
    return kept[1].copy()


def load_run(run_folder: str | Path) -> RunTables:
    """Read `run_folder/tables/*.csv` and `run_folder/manifest.json`; absent tables are empty."""
    folder = Path(run_folder)
    tables_dir = folder / "tables"
    if not tables_dir.is_dir():
        raise FileNotFoundError(f"{tables_dir} does not exist; run the study first (hembesok run STUDY)")
    written = frozenset(name for name in CATALOG if (tables_dir / f"{name}.csv").is_file())
    tables = {name: _read_once(tables_dir / f"{name}.csv") if name in written else pd.DataFrame()
              for name in CATALOG}
    manifest_path = folder / "manifest.json"
    manifest = json.loads(manifest_path.read_text(encoding="utf-8")) if manifest_path.is_file() else {}
    return RunTables(folder, tables, manifest, written=written)


def for_area(run: RunTables, area: str) -> RunTables:
    """The run restricted to one intervention area ("all": the whole study).

    indicators: the intervention groups' rows for the area and the comparison groups' rows for
    all comparison areas; flow, fidelity, effects, summary and balance: the area's rows (for
    "all", the whole study's). Tables without per-area rows are kept whole and listed in
    `not_by_area` so that the report can say so.
    """
    area = area or "all"
    tables = dict(run.tables)
    own_district = [] if area == "all" else list(with_areas(DISTRICT_ROWS))
    for name in (*with_areas(AREA_ROWS), *own_district):
        frame = tables.get(name, pd.DataFrame())
        if name in ("indicators", "count_outcomes"):  # the area's own groups, the whole comparison
            tables[name] = area_indicator_rows(frame, area)
        elif "area" in frame.columns:
            in_area = (frame["area"].astype("string") == area).fillna(False)
            tables[name] = frame[in_area].reset_index(drop=True)
    not_by_area = [n for n in with_areas(STUDY_ROWS)
                   if area != "all" and not tables.get(n, pd.DataFrame()).empty]
    return RunTables(run.folder, tables, run.manifest, area, not_by_area, run.written,
                     [n for n in own_district if n in run.written])


@dataclass(frozen=True)
class FollowupSection:
    """A follow-up part the run has tables of, with its tables as this report shows them."""

    part: ModuleType
    tables: dict[str, pd.DataFrame]
    own_district: bool  # an area report: the tables by district hold only the area's own rows

    def blocks(self, language: str, *, technical: bool) -> list[followup.Block]:
        """The part's section (`section` of its module) in `language`."""
        return self.part.section(self.tables, language, technical=technical)


def followup_sections(run: RunTables) -> list[FollowupSection]:
    """The follow-up parts whose tables the run wrote (the study gave their export), in
    report order; a part whose export was not given has no section."""
    sections = []
    for part in followup.part_modules():
        names = [table.name for table in part.OUTPUTS]
        if any(name in run.written for name in names):
            sections.append(FollowupSection(part, {name: run[name] for name in names},
                                            any(name in run.own_district for name in names)))
    return sections


def area_indicator_rows(indicators: pd.DataFrame, area: str) -> pd.DataFrame:
    """Rows of indicators.csv for a report: for an area, the intervention groups' rows of that area
    and the comparison groups' rows for all comparison areas, or the area's own where it has
    comparison rows (`historical`: the area before the start); for "all", the whole-study rows."""
    if indicators is None or indicators.empty or "area" not in indicators.columns:
        return indicators
    own_area = indicators["group"].astype("string").str.startswith("intervention").fillna(False)
    row_area = indicators["area"].astype("string")
    if area == "all":
        wanted = row_area == "all"
    else:
        compared_in_area = (~own_area & (row_area == area)).fillna(False)
        comparison_area = area if compared_in_area.any() else "all"
        wanted = (own_area & (row_area == area)) | (~own_area & (row_area == comparison_area))
    return indicators[wanted.fillna(False)].reset_index(drop=True)


def areas_in(run: RunTables) -> list[str]:
    """The intervention areas that have their own rows in flow.csv (for area reports)."""
    flow = run["flow"]
    if "area" not in flow.columns:
        return []
    return sorted(a for a in flow["area"].dropna().astype(str).unique() if a != "all")


def chart_areas(run: RunTables) -> list[str]:
    """The intervention areas with a control chart in the run (control_chart.csv; an area
    report's own area only), in the table's order."""
    charts = run["control_chart"]
    if charts.empty or "area" not in charts.columns:
        return []
    return [str(a) for a in dict.fromkeys(charts["area"].dropna())]


def primary_indicators(run: RunTables) -> list[str]:
    """The study's primary indicators, as recorded in the manifest's config."""
    return list(run.config.get("primary_indicators") or [])


def indicator_kinds(run: RunTables) -> dict[str, str]:
    """{indicator: "binary"/"survival"} for the indicators the run has results for, primary first."""
    present = set(run["indicators"].get("indicator", pd.Series(dtype=object)).dropna().astype(str))
    present |= set(run["effects"].get("indicator", pd.Series(dtype=object)).dropna().astype(str))
    kinds = {i.id: i.kind for i in INDICATORS if i.id in present}
    primary = [i for i in primary_indicators(run) if i in kinds]
    return {**{i: kinds[i] for i in primary}, **{i: k for i, k in kinds.items() if i not in primary}}


def indicators_by_family(run: RunTables, kind: str = "binary") -> dict[str, list[str]]:
    """{family: [indicator ids of `kind` the run has results for]} in registry order."""
    kinds = indicator_kinds(run)
    families: dict[str, list[str]] = {}
    for indicator in INDICATORS:
        if kinds.get(indicator.id) == kind:
            families.setdefault(indicator.family, []).append(indicator.id)
    return families


def html(frame: pd.DataFrame, caption: str | None = None) -> str:
    """A display frame as a plain HTML table without the index (cells escaped).

    In a table of `WIDE_TABLE` columns or more, the long words of the headers get soft hyphens
    (`breakable`): printed on A4, such a table's headers break there, with a hyphen, where the
    column is narrower than the word, not after any letter."""
    if len(frame.columns) >= WIDE_TABLE:
        frame = frame.rename(columns=lambda column: breakable(str(column)))
    body = frame.to_html(index=False, border=0, escape=True, na_rep=EN_DASH, classes="hembesok")
    if caption:
        body = body.replace("<thead>", f"<caption>{html_lib.escape(caption)}</caption>\n<thead>", 1)
    return body


# the columns from which a printed table's headers may break inside a word (report.css says the same)
WIDE_TABLE = 7
SOFT_HYPHEN = "\u00ad"
# Where the long words of the report's own column headers may break: hyphenation by hand, as a
# dictionary would give it (compounds at their parts), for what no browser offline can do
_SYLLABLES = (
    "ad-di-tion-al an-märk-ning bak-grunds-fak-tor com-pari-son dif-fer-ence genom-för-da "
    "inter-ven-tion jäm-för-else under-grupp ytter-li-gare as-sign-ments de-tect-able dubb-let-ter "
    "du-pli-cates event-stu-die före-gående in-de-pen-dent inter-ac-tion inter-ak-tion "
    "inter-ven-tions-grup-pen jäm-för-else-grup-pen per-cent-age placebo-om-rå-den procent-en-heter "
    "program-kon-tak-ter stand-ard-ised stand-ard-ise-rade till-del-ning-ar upp-täck-bara "
    # the pooled report's overview (`pipeline.multisite.report`)
    "sam-man-vägd käns-lig-hets-ana-lys pre-dik-tions-in-ter-vall pre-dic-tion sen-si-tiv-ity")
_BREAKS = {word.replace("-", ""): word for word in _SYLLABLES.split()}
_LONG_WORD = re.compile(r"[^\W\d_]{10,}")


def breakable(header: str) -> str:
    """`header` with a soft hyphen at the syllable breaks of each long word the reports' headers
    use (`_SYLLABLES`; another word is left whole). A browser shows a hyphen there only where
    it breaks the word.

    >>> breakable("n intervention").split(SOFT_HYPHEN)
    ['n inter', 'ven', 'tion']
    >>> breakable("Jämförelsegruppen").split(SOFT_HYPHEN)
    ['Jäm', 'för', 'else', 'grup', 'pen']
    >>> breakable("p för interaktion, Maskinvara") == "p för inter\u00adak\u00adtion, Maskinvara"
    True
    """
    def hyphenated(match: re.Match[str]) -> str:
        word = match.group()
        broken = _BREAKS.get(word.lower())
        if broken is None:
            return word
        out, at = [], 0
        for part in broken.split("-"):  # the word's own letters (its capitals kept), part by part
            out.append(word[at:at + len(part)])
            at += len(part)
        return SOFT_HYPHEN.join(out)
    return _LONG_WORD.sub(hyphenated, header)


def _headers(columns: Iterable[str], language: str) -> dict[str, str]:
    return {c: label("header", c, language) for c in columns}


def _display(rows: list[dict[str, str]], columns: Sequence[str], language: str) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=list(columns), dtype=object)
    return frame.rename(columns=_headers(columns, language))


# The reasons of an adjusted estimate that count its own children (those with complete covariates)
COMPLETE_CASE_REASONS = ("small_group", "few_events", "few_without")


def _suppressed_text(row: Mapping[str, Any], language: str, min_cell: int, *count_columns: str) -> str:
    """What a suppressed figure shows: its bound ("> 95 %") where the table gives one, else why
    it is hidden (the row's `suppression`: "fewer than 5 without the outcome", "hidden to
    protect small counts", …)."""
    bound = text.format_bound(row.get("proportion_bound"), language)
    if bound:
        return bound
    threshold = text.min_cell_of(*(row.get(c) for c in count_columns), default=min_cell)
    said = text.suppression_phrase(row.get("suppression"), language, threshold, short=True)
    if row.get("suppression") in COMPLETE_CASE_REASONS and text.is_true(row.get("adjusted")):
        said += text.phrase("suppressed_among_complete", language)  # its own children, not the table's
    return said


def _shown_count(value: Any, language: str, hide: bool) -> str:
    """A count; when its row is suppressed but the count is not yet a marker, a dash."""
    if hide and suppressed_marker(value) is None:
        return EN_DASH
    return format_count(value, language)


def _share_with_interval(row: Mapping[str, Any], language: str) -> str:
    """"94 % (91–97)"; the share alone without an interval; its bound ("> 95 %", no interval)
    where a small count hides it; a dash without a share."""
    if to_number(row.get("proportion")) is None:
        return text.format_bound(row.get("proportion_bound"), language) or EN_DASH
    share = format_percent(row["proportion"], language)
    if to_number(row.get("ci_low")) is None or to_number(row.get("ci_high")) is None:
        return share
    interval = text.format_interval(row["ci_low"], row["ci_high"], language, scale=100, prefix=False)
    return f"{share} ({interval})"


# --- results ----------------------------------------------------------------------------------

def indicator_table(indicators: pd.DataFrame, language: str, *, indicators_shown: Sequence[str] | None = None,
                    groups: Sequence[str] = ("intervention", "comparison"),
                    min_cell: int = text.DEFAULT_MIN_CELL) -> pd.DataFrame:
    """Share with 95% CI and counts per indicator and group (rows of indicators.csv)."""
    rows = []
    frame = indicators
    if indicators_shown is not None and not frame.empty:
        order = {ind: i for i, ind in enumerate(indicators_shown)}
        frame = frame[frame["indicator"].isin(list(indicators_shown))]
        frame = frame.assign(_order=frame["indicator"].map(order)).sort_values("_order", kind="stable")
    for row in records(frame):
        if row.get("group") not in groups:
            continue
        suppressed = text.row_is_suppressed(row, ("n_numerator", "n_denominator"))
        share = (_suppressed_text(row, language, min_cell, "n_numerator", "n_denominator") if suppressed
                 else _share_with_interval(row, language))
        rows.append({"indicator": label("indicator", row["indicator"], language),
                     "group": label("group", row["group"], language),
                     "proportion": share,
                     "events": _shown_count(row.get("n_numerator"), language, suppressed),
                     "n": format_count(row.get("n_denominator"), language)})
    return _display(rows, ["indicator", "group", "proportion", "events", "n"], language)


def _estimate_text(row: Mapping[str, Any], language: str, min_cell: int) -> str:
    """The estimate with its interval; publishing blanks one that would reveal a hidden count
    (an adjusted estimate can stand beside counts hidden in its row)."""
    if to_number(row.get("estimate")) is None:
        if text.row_is_suppressed(row, ("events_intervention", "events_comparison")):
            return _suppressed_text(row, language, min_cell, "events_intervention", "events_comparison")
        return phrase("not_estimable", language)
    if row.get("measure") in PERCENTAGE_POINT_MEASURES:
        return format_estimate(row["estimate"], row.get("ci_low"), row.get("ci_high"), language, 1, scale=100)
    return format_estimate(row["estimate"], row.get("ci_low"), row.get("ci_high"), language, 2)


def _effect_rows(effects: pd.DataFrame, analysis: str | None, subgroups: bool) -> pd.DataFrame:
    if effects is None or effects.empty:
        return pd.DataFrame()
    frame = effects
    if analysis is not None and "analysis" in frame.columns:
        frame = frame[frame["analysis"] == analysis]
    if "subgroup" in frame.columns:
        has_subgroup = frame["subgroup"].notna() & (frame["subgroup"].astype("string") != "")
        frame = frame[has_subgroup] if subgroups else frame[~has_subgroup]
    return frame


def effects_table(effects: pd.DataFrame, language: str, *, analysis: str | None = "itt",
                  measures: Sequence[str] | None = ("risk_difference", "did", "hazard_ratio"),
                  methods: Sequence[str] | None = None, indicators_shown: Sequence[str] | None = None,
                  audience: str = "committee", min_cell: int = text.DEFAULT_MIN_CELL) -> pd.DataFrame:
    """Effects: indicator, measure, method, estimate (95% CI), p, adjusted p, n per group.

    Differences are in percentage points, ratios as they are. A technical report adds the
    analysis and a note in the report's language (effects.csv keeps the full English notes).
    """
    frame = _effect_rows(effects, analysis, subgroups=False)
    if not frame.empty:
        if measures is not None:
            frame = frame[frame["measure"].isin(list(measures))]
        if methods is not None:
            frame = frame[frame["method"].isin(list(methods))]
        if indicators_shown is not None:
            frame = frame[frame["indicator"].isin(list(indicators_shown))]
    rows = []
    for row in records(frame):
        rows.append({"indicator": label("indicator", row["indicator"], language),
                     "measure": label("measure", row["measure"], language),
                     "method": label("method", row["method"], language),
                     "analysis": label("analysis", row.get("analysis") or "itt", language),
                     "area": phrase("whole_study", language) if (row.get("area") or "all") == "all"
                     else row["area"],
                     "estimate": _estimate_text(row, language, min_cell),
                     "p": format_p(row.get("p_value"), language),
                     "p_adjusted": format_p(row.get("p_adjusted"), language),
                     "n_intervention": format_count(row.get("n_intervention"), language),
                     "n_comparison": format_count(row.get("n_comparison"), language),
                     "note": narrative.effect_note(row, language)})
    columns = ["indicator", "measure", "method", "estimate", "p", "p_adjusted", "n_intervention",
               "n_comparison"]
    if audience == "technical":
        columns = columns[:3] + ["analysis", "area"] + columns[3:] + ["note"]
    return _display(rows, columns, language)


# Count and rate outcomes (count_outcomes, count_effects): the committee sees the design's DiD
# (under `did`), the unadjusted and the adjusted effect; the technical report every method. A
# rate difference is per child-year in the table and shown per 100 child-years.
COUNT_HEADLINE_METHODS = ("did", "poisson", "poisson_adjusted", "welch", "linear_adjusted")
PER_100_MEASURES = ("rate_difference",)


COUNT_RATIO_MEASURES = ("rate_ratio", "count_ratio")


def count_ratios_shown(effects: pd.DataFrame, indicators: Sequence[str], methods: Sequence[str]) -> bool:
    """Whether the count effects hold a ratio of these indicators by these methods (the figure of
    ratios has something to draw): a DiD of deft is a difference in means alone."""
    if effects is None or effects.empty:
        return False
    return bool((effects["indicator"].isin(list(indicators)) & effects["measure"].isin(COUNT_RATIO_MEASURES)
                 & effects["method"].isin(list(methods))).any())


def count_indicators_by_family(run: RunTables) -> dict[str, list[str]]:
    """{family: [count and rate indicator ids the run has groups for]} in registry order."""
    groups = run["count_outcomes"]
    present = set(groups["indicator"]) if not groups.empty else set()
    families: dict[str, list[str]] = {}
    for indicator in INDICATORS:
        if indicator.id in present:
            families.setdefault(indicator.family, []).append(indicator.id)
    return families


def count_outcomes_table(groups: pd.DataFrame, language: str, *, indicators_shown: Sequence[str],
                         min_cell: int = text.DEFAULT_MIN_CELL, design: str | None = None) -> pd.DataFrame:
    """Per indicator and group: children, events, child-years, and the rate per 100 child-years
    or the mean count with its 95% interval. `design`: the study's design type, whose
    comparison group the area column names (`_group_areas`)."""
    rows = []
    frame = groups[groups["indicator"].isin(list(indicators_shown))] if not groups.empty else groups
    for row in records(frame):
        if to_number(row.get("estimate")) is None:
            shown = (_suppressed_text(row, language, min_cell, "n", "events")
                     if text.row_is_suppressed(row, ("n", "events")) else phrase("not_estimable", language))
        else:
            shown = format_estimate(row["estimate"], row.get("ci_low"), row.get("ci_high"), language, 1)
        rows.append({"indicator": label("indicator", row["indicator"], language),
                     "group": label("group", row["group"], language),
                     "area": _group_areas(row, language, design),
                     "children": format_count(row.get("n"), language),
                     "count_total": format_count(row.get("events"), language),
                     "measure": label("measure", row["measure"], language),
                     "estimate": shown})
    return _display(rows, ["indicator", "group", "area", "children", "count_total", "measure", "estimate"],
                    language)


def _group_areas(row: Mapping[str, Any], language: str, design: str | None = None) -> str:
    """The areas of a group's row: its own area, or the arm's areas together (an area report's
    comparison rows are all the comparison areas', not the whole study's). Under `historical`
    there are no comparison areas: the comparison group is the intervention areas' children
    born before the start, an area report's the area's own ("Norrbyåsen before the start"), and
    its intervention group the same areas' children born after it ("Norrbyåsen after the start")."""
    area = row.get("area") or "all"
    arm = str(row.get("group") or "").split("_")[0]
    if design == "historical" and arm in ("comparison", "intervention"):
        # the same areas' children before and after the start ("Norrbyåsen" alone read as the
        # whole area beside "Norrbyåsen före start")
        when = "before" if arm == "comparison" else "after"
        return (phrase(f"all_intervention_areas_{when}_start", language) if area == "all"
                else phrase(f"area_{when}_start", language, area=area))
    if area != "all":
        return str(area)
    return phrase(f"all_{arm}_areas", language) if arm in ("intervention", "comparison") \
        else phrase("whole_study", language)


def count_effects_table(effects: pd.DataFrame, language: str, *, indicators_shown: Sequence[str],
                        methods: Sequence[str] | None = COUNT_HEADLINE_METHODS, audience: str = "committee",
                        min_cell: int = text.DEFAULT_MIN_CELL) -> pd.DataFrame:
    """Effects on counts and rates: the ratio and the difference (a rate's per 100 child-years)
    with 95% intervals and p, per method; a technical report adds the area and the note."""
    frame = effects if effects is not None else pd.DataFrame()
    if not frame.empty:
        frame = frame[frame["indicator"].isin(list(indicators_shown))]
        if methods is not None:
            frame = frame[frame["method"].isin(list(methods))]
        areas = frame["area"].astype("string").fillna("all").replace("", "all")
        if audience != "technical" and areas.eq("all").any():  # the study report: the whole study
            frame = frame[areas.eq("all").to_numpy(dtype=bool)]  # (an area report has its own rows)
    rows = []
    for row in records(frame):
        if to_number(row.get("estimate")) is None:
            shown = (_suppressed_text(row, language, min_cell, "n_intervention", "n_comparison")
                     if text.row_is_suppressed(row, ("n_intervention", "n_comparison"))
                     else phrase("not_estimable", language))
        else:
            scale = 100 if row["measure"] in PER_100_MEASURES else 1
            shown = format_estimate(row["estimate"], row.get("ci_low"), row.get("ci_high"), language, 2,
                                    scale=scale)
        rows.append({"indicator": label("indicator", row["indicator"], language),
                     "measure": label("measure", row["measure"], language),
                     "method": label("method", row["method"], language),
                     "area": phrase("whole_study", language) if (row.get("area") or "all") == "all"
                     else row["area"],
                     "estimate": shown, "p": format_p(row.get("p_value"), language),
                     "n_intervention": format_count(row.get("n_intervention"), language),
                     "n_comparison": format_count(row.get("n_comparison"), language)})
    columns = ["indicator", "measure", "method", "estimate", "p", "n_intervention", "n_comparison"]
    if audience == "technical":  # every area; the dispersion of the negative binomial is in the CSV
        columns = columns[:3] + ["area"] + columns[3:]
    return _display(rows, columns, language)


def _variable_key(row: Mapping[str, Any]) -> tuple[str, ...]:
    """The rows one interaction test covers: an indicator's subgroups of one variable (by method
    and area, where the rows have them)."""
    variable = str(row["subgroup"]).split("=", 1)[0]
    return (str(row["indicator"]), variable, str(row.get("method") or ""), str(row.get("area") or ""))


def _estimates_shown_by_variable(frame: pd.DataFrame) -> dict[tuple[str, ...], int]:
    """How many subgroup rows of each interaction test (`_variable_key`) have an estimate."""
    shown: dict[tuple[str, ...], int] = {}
    for row in records(frame):
        key = _variable_key(row)
        shown[key] = shown.get(key, 0) + (to_number(row.get("estimate")) is not None)
    return shown


def subgroup_table(effects: pd.DataFrame, language: str, *, indicators_shown: Sequence[str] | None = None,
                   min_cell: int = text.DEFAULT_MIN_CELL) -> pd.DataFrame:
    """Equity: the crude risk difference in each subgroup, with the interaction test's p."""
    frame = _effect_rows(effects, "subgroup", subgroups=True)
    if not frame.empty and indicators_shown is not None:
        frame = frame[frame["indicator"].isin(list(indicators_shown))]
    # the interaction test compares the subgroups' differences: with fewer than two of them shown
    # (the others hidden or not estimable) its p says they differ where the reader sees no difference
    shown = _estimates_shown_by_variable(frame)
    rows = [{"indicator": label("indicator", row["indicator"], language),
             "subgroup": text.subgroup_label(row["subgroup"], language),
             "estimate": _estimate_text(row, language, min_cell),
             "p": format_p(row.get("p_value"), language),
             "p_interaction": format_p(row.get("p_interaction") if shown[_variable_key(row)] >= 2 else None,
                                       language),
             "n_intervention": format_count(row.get("n_intervention"), language),
             "n_comparison": format_count(row.get("n_comparison"), language)}
            for row in records(frame)]
    return _display(rows, ["indicator", "subgroup", "estimate", "p", "p_interaction", "n_intervention",
                           "n_comparison"], language)


def _balance_rows(balance: pd.DataFrame | None, area: str | None) -> pd.DataFrame | None:
    """balance.csv's rows for one area ("all" by default) when it has rows for several."""
    if balance is None or balance.empty or "area" not in balance.columns:
        return balance
    areas = balance["area"].fillna("all").astype(str).replace("", "all")
    return balance[(areas == (area or "all")).to_numpy()] if areas.nunique() > 1 else balance


def table_one(balance: pd.DataFrame, language: str, *, audience: str = "committee",
              area: str | None = None, min_cell: int = text.DEFAULT_MIN_CELL) -> pd.DataFrame:
    """Table 1: the number that is rated, before and after weighting, with its WWC/HomVEE
    rating: the Cox index for a yes/no covariate or a category, Hedges' g for a measurement
    (balance.csv's value_before/value_after; its `measure` says which). The technical report
    adds Austin's standardised mean difference, which propensity-score papers report."""
    rows = []
    for row in records(_balance_rows(balance, area)):
        level = row.get("level")
        hidden = text.row_is_suppressed(row) and to_number(row.get("value_before")) is None
        rows.append({"covariate": label("covariate", row["covariate"], language),
                     "level": label("level", level, language) if level is not None else EN_DASH,
                     "value_before": _suppressed_text(row, language, min_cell, "n_level_intervention",
                                                      "n_level_comparison", "n_intervention",
                                                      "n_comparison")
                     if hidden else _rated_value(row.get("value_before"), language),
                     "value_after": _rated_value(row.get("value_after"), language),
                     "rating_before": EN_DASH if hidden
                     else label("rating", row.get("rating_before"), language),
                     "rating_after": EN_DASH if hidden
                     else label("rating", row.get("rating_after"), language),
                     "smd_before": format_number(row.get("smd_before"), language, 2),
                     "smd_after": format_number(row.get("smd_after"), language, 2)})
    columns = ["covariate", "level", "value_before", "value_after", "rating_before", "rating_after"]
    if audience == "technical":
        columns += ["smd_before", "smd_after"]
    return _display(rows, columns, language)


def _rated_value(value: Any, language: str) -> str:
    """A rated standardised difference with two decimals, or as many more (up to four) as it
    takes not to show it on a rating's threshold: 0.0476 ("satisfied") as 0,048 and −0.0543
    ("adjustment required") as −0,054, not both as 0,05 beside different ratings."""
    number = to_number(value)
    decimals = 2
    while (number is not None and decimals < 4
           and round(abs(number), decimals) in (SATISFIED_MAX, ADJUSTMENT_MAX)
           and abs(number) not in (SATISFIED_MAX, ADJUSTMENT_MAX)):
        decimals += 1
    return format_number(value, language, decimals)


def balance_counts(balance: pd.DataFrame, area: str | None = None) -> tuple[Any, Any]:
    """(n_intervention, n_comparison) that Table 1 rests on, as written (may be "<5"): the
    largest per group (a covariate with missing values counts fewer children)."""
    balance = _balance_rows(balance, area)
    if balance is None or balance.empty:
        return None, None

    def largest(column: str) -> Any:
        values = [v for v in balance.get(column, pd.Series(dtype=object)) if not text.is_missing(v)]
        numbers = [v for v in values if to_number(v) is not None]
        return max(numbers, key=to_number) if numbers else (values[0] if values else None)

    return largest("n_intervention"), largest("n_comparison")


# why an interval-censored median (weaning between two assessments: Turnbull's) has no interval
NO_TURNBULL_INTERVAL = Words("(inget intervall: avvänjningen ligger mellan två bedömningar)",
                            "(no interval: weaning lies between two assessments)")


def survival_table(survival: pd.DataFrame, language: str) -> pd.DataFrame:
    """Medians (months, with interval where there is one) per group and the log-rank p."""
    rows = []
    if survival is None or survival.empty:
        return _display(rows, ["indicator", "group", "median", "n", "events", "log_rank"], language)
    for indicator in survival["indicator"].dropna().unique():
        part = survival[survival["indicator"] == indicator]
        log_rank = part[part["statistic"] == "log_rank"]
        p_value = log_rank["p_value"].iloc[0] if not log_rank.empty else None
        for row in records(part[part["statistic"] == "median"]):
            if text.row_is_suppressed(row, ("events", "n")):
                median = _suppressed_text(row, language, text.DEFAULT_MIN_CELL, "events", "n")
            else:
                median = format_estimate(text.days_to_months(row.get("time")),
                                         text.days_to_months(row.get("ci_low")),
                                         text.days_to_months(row.get("ci_high")), language, 1)
                if row.get("method") == "turnbull" and to_number(row.get("ci_low")) is None \
                        and to_number(row.get("time")) is not None:
                    median += " " + NO_TURNBULL_INTERVAL.in_(language)
            rows.append({"indicator": label("indicator", indicator, language),
                         "group": label("group", row["group"], language), "median": median,
                         "n": format_count(row.get("n"), language),
                         "events": format_count(row.get("events"), language),
                         "log_rank": format_p(p_value, language)})
    return _display(rows, ["indicator", "group", "median", "n", "events", "log_rank"], language)


# which contacts a dose-response row counts ("3+" of breastfeeding at 6 months is all 3 planned
# before 6 months, not 3 or more of the programme's 6)
COUNTED_CONTACTS = (Words("(räknar de {n} kontakter som planeras före mätåldern)",
                          "(counting the {n} contacts planned before the age measured)"),
                    Words("(räknar den {n} kontakt som planeras före mätåldern)",
                          "(counting the {n} contact planned before the age measured)"))


def contacts_band_text(row: Mapping[str, Any]) -> str:
    """A dose-response band as shown: "0–2", "5+"; an open band from the number of contacts
    counted is all of them ("3+" of 3 counted: "3")."""
    band = str(row.get("contacts_band"))
    counted = to_number(row.get("contacts_counted"))
    if counted is not None and band.endswith("+") and to_number(row.get("contacts_min")) == counted:
        band = band[:-1]
    return band.replace("-", EN_DASH)


def dose_response_table(dose_response: pd.DataFrame, language: str, *,
                        indicators_shown: Sequence[str] | None = None,
                        min_cell: int = text.DEFAULT_MIN_CELL) -> pd.DataFrame:
    """Share (95% CI) by band of contacts received, intervention children of accepting families."""
    frame = dose_response
    if frame is not None and not frame.empty and indicators_shown is not None:
        frame = frame[frame["indicator"].isin(list(indicators_shown))]
    rows = []
    for row in records(frame):
        suppressed = text.row_is_suppressed(row, ("events", "n"))
        if suppressed:
            share = _suppressed_text(row, language, min_cell, "events", "n")
        else:
            share = _share_with_interval(row, language)
        counted = to_number(row.get("contacts_counted"))
        indicator = label("indicator", row["indicator"], language)
        if counted is not None:  # the bands count only the contacts planned before the outcome's age
            words = COUNTED_CONTACTS[counted == 1]
            indicator += " " + words.format(language, n=format_count(counted, language))
        rows.append({"indicator": indicator,
                     "contacts_band": contacts_band_text(row),
                     "proportion": share, "events": _shown_count(row.get("events"), language, suppressed),
                     "n": format_count(row.get("n"), language)})
    return _display(rows, ["indicator", "contacts_band", "proportion", "events", "n"], language)


# --- implementation -------------------------------------------------------------------------

# an area report's first step is its own area's children, not the intervention areas'
BORN_IN_AREA = Words("Födda i {area} efter start", "Born in {area} after the start")


def flow_step(step: str, language: str, area: str = "all") -> str:
    """A step of the flow in words; the first, in an area's report, names the area."""
    if step == "born_in_intervention_areas" and area != "all":
        return BORN_IN_AREA.format(language, area=area)
    return label("flow", step, language)


def flow_table(flow: pd.DataFrame, language: str, *, area: str = "all") -> pd.DataFrame:
    """The flow of families: step, children, share of the previous step."""
    frame = flow.sort_values("order") if flow is not None and "order" in flow.columns else flow
    rows = []
    for row in records(frame):
        children = format_count(row.get("children"), language)
        if (to_number(row.get("children")) is None and suppressed_marker(row.get("children")) is None
                and text.row_is_suppressed(row, ("children",))):
            # why the step has no number ("dold för att skydda små tal"), not a dash with none
            children = _suppressed_text(row, language, text.DEFAULT_MIN_CELL, "children")
        rows.append({"step": flow_step(row["step"], language, area), "children": children,
                     "share_of_previous": format_percent(row.get("share_of_previous"), language)
                     if to_number(row.get("share_of_previous")) is not None else EN_DASH})
    return _display(rows, ["step", "children", "share_of_previous"], language)


def _fidelity_value(measure: str, value: Any, language: str) -> str:
    if suppressed_marker(value) is not None:
        return str(value)
    if measure.startswith("share_"):
        return format_percent(value, language)
    if measure.startswith("mean_"):
        return format_number(value, language, 1)
    return format_count(value, language)


def fidelity_table(fidelity: pd.DataFrame, language: str) -> pd.DataFrame:
    """Implementation and fidelity measures with their values (shares as %)."""
    rows = [{"item": label("fidelity", row["measure"], language),
             "value": _fidelity_value(str(row["measure"]), row.get("value"), language)}
            for row in records(fidelity)]
    return _display(rows, ["item", "value"], language)


def dose_received_table(dose: pd.DataFrame, language: str, *,
                        min_cell: int = text.DEFAULT_MIN_CELL) -> pd.DataFrame:
    """Programme contacts received per family, in all and by background: families, the mean
    (95% CI), the difference from the largest level (95% CI) and its p."""
    rows = []
    for row in records(dose):
        variable, level = str(row["variable"]), str(row["level"])
        if to_number(row.get("estimate")) is None:
            mean = (_suppressed_text(row, language, min_cell, "n", "contacts")
                    if text.row_is_suppressed(row, ("n", "contacts")) else EN_DASH)
        else:
            mean = format_estimate(row["estimate"], row.get("ci_low"), row.get("ci_high"), language, 1)
        if level == str(row.get("reference") or ""):
            difference = phrase("reference_level", language)
        elif to_number(row.get("difference")) is None:
            difference = EN_DASH
        else:
            difference = format_estimate(row["difference"], row.get("difference_ci_low"),
                                         row.get("difference_ci_high"), language, 1)
        rows.append({"covariate": phrase("all_families", language) if variable == "all"
                     else label("covariate", variable, language),
                     "level": "" if level == "all" else label("level", level, language),
                     "families": format_count(row.get("n"), language), "mean_contacts": mean,
                     "difference_from_reference": difference,
                     "p": format_p(row.get("p_value"), language)})
    columns = ["covariate", "level", "families", "mean_contacts", "difference_from_reference", "p"]
    return _display(rows, columns, language)


def power_by_areas(shown: pd.DataFrame, language: str) -> bool:
    """Whether `power_table`'s table has its columns with areas as clusters (the report's intro
    speaks of them only then)."""
    header = label("header", "mdd_areas", language)
    return any(str(column).startswith(header) for column in shown.columns)


def power_table(power: pd.DataFrame, language: str) -> pd.DataFrame:
    """Minimum detectable differences (80% power, two-sided 5%) and sample sizes needed."""
    def pp(value: Any) -> str:
        number = to_number(value)
        return EN_DASH if number is None else format_number(number * 100, language, 1)

    def detectable(row: Mapping[str, Any], column: str, computed: bool) -> str:
        """A detectable change; blank where it was computed: no change within the scale (up to
        100 %, down to 0 %) reaches the power, "out of reach"; else (hidden, not computed) a dash."""
        if to_number(row.get(column)) is not None:
            return pp(row.get(column))
        return phrase("out_of_reach", language) if computed else EN_DASH

    rows = []
    for row in records(power):
        by_children = to_number(row.get("p_comparison")) is not None and not text.row_is_suppressed(row)
        by_areas = by_children and to_number(row.get("icc")) is not None
        rows.append({
            "indicator": label("indicator", row["indicator"], language),
            "p_comparison": _suppressed_text(row, language, text.DEFAULT_MIN_CELL)
            if text.row_is_suppressed(row) else format_percent(row.get("p_comparison"), language),
            "n_intervention": format_count(row.get("n_intervention"), language),
            "n_comparison": format_count(row.get("n_comparison"), language),
            # a rise and a fall, in one cell: an indicator the programme hopes to lower (caries,
            # emergency contacts) is judged by its fall, which a rise's figure alone did not show
            "mdd": f"{detectable(row, 'mdd', by_children)} / {detectable(row, 'mdd_decrease', by_children)}",
            "mdd_areas": (f"{detectable(row, 'mdd_areas', by_areas)} / "
                          f"{detectable(row, 'mdd_decrease_areas', by_areas)}"),
            "difference_named": pp(row.get("difference_named")),
            "n_per_group_needed": format_count(
                row.get("n_per_group_needed_corrected", row.get("n_per_group_needed")), language),
            "areas_per_arm_needed": format_count(row.get("areas_per_arm_needed"), language)})
    columns = ["indicator", "p_comparison", "n_intervention", "n_comparison", "mdd", "mdd_areas",
               "difference_named", "n_per_group_needed", "areas_per_arm_needed"]
    if all(row["mdd_areas"] == f"{EN_DASH} / {EN_DASH}" for row in rows):
        columns = [c for c in columns if c not in ("mdd_areas", "areas_per_arm_needed")]
    frame = _display(rows, columns, language)
    unit = f" ({phrase('pp', language)})"
    return frame.rename(columns={label("header", c, language): label("header", c, language) + unit
                                 for c in ("mdd", "mdd_areas", "difference_named")})


# --- costs ------------------------------------------------------------------------------------

def _cost_note(row: Mapping[str, Any], language: str, min_cell: int) -> str:
    """A costs row's reason and flags in words, then study.yml's note; why a figure is hidden."""
    codes = [str(row.get("reason") or ""), *str(row.get("flags") or "").split(";")]
    parts = [label("cost", code, language) for code in codes if code]
    if text.is_true(row.get("suppressed")):
        parts.append(text.suppression_phrase(row.get("suppression"), language, min_cell, short=True))
    note = "; ".join(parts)
    if row.get("note"):
        note = f"{note}. {row['note']}" if note else str(row["note"])
    return note[:1].upper() + note[1:]


def costs_table(costs: pd.DataFrame, language: str, *,
                min_cell: int = text.DEFAULT_MIN_CELL) -> pd.DataFrame:
    """costs.csv's years and total: cost, what it covers, families and contacts with the costs
    per family and per contact (kronor); a dash where a figure is hidden or cannot be had."""
    rows = []
    for row in records(costs):
        part = row.get("part")
        if part not in ("year", "total"):
            continue
        year = str(row.get("year") or "")
        rows.append({
            "year": phrase("cost_total", language, years=year) if part == "total" else year,
            "covers": row.get("covers") or "", "cost_sek": format_number(row.get("cost_sek"), language),
            "families": format_count(row.get("families"), language),
            "cost_per_family": format_number(row.get("cost_per_family"), language),
            "contacts": format_count(row.get("contacts"), language),
            "cost_per_contact": format_number(row.get("cost_per_contact"), language),
            "note": _cost_note(row, language, min_cell)})
    return _display(rows, ["year", "covers", "cost_sek", "families", "cost_per_family", "contacts",
                           "cost_per_contact", "note"], language)


def cost_per_outcome_table(costs: pd.DataFrame, language: str, *,
                           min_cell: int = text.DEFAULT_MIN_CELL) -> pd.DataFrame:
    """costs.csv's primary indicators: effect, children, additional children and the cost per
    additional child with their intervals, or why there is none."""
    rows = []
    for row in records(costs):
        if row.get("part") != "outcome":
            continue
        additive = row.get("measure") in PERCENTAGE_POINT_MEASURES
        rows.append({
            "indicator": label("indicator", row["indicator"], language),
            "effect": format_estimate(row.get("effect"), row.get("effect_ci_low"), row.get("effect_ci_high"),
                                      language, 1, scale=100) if additive else EN_DASH,
            "children_intervention": format_count(row.get("children"), language),
            "children_measured": format_count(row.get("children_measured"), language),
            "additional_children": format_estimate(row.get("additional_children"),
                                                   row.get("additional_ci_low"),
                                                   row.get("additional_ci_high"), language, 0),
            # rounded to three significant figures: a ratio of estimates has no more
            "cost_per_additional_child": format_estimate(
                narrative.about(row.get("cost_per_additional_child")), narrative.about(row.get("ci_low")),
                narrative.about(row.get("ci_high")), language, 0),
            "note": _cost_note(row, language, min_cell)})
    return _display(rows, ["indicator", "effect", "children_intervention", "children_measured",
                           "additional_children", "cost_per_additional_child", "note"], language)


# --- appendices -------------------------------------------------------------------------------

def data_quality_table(data_quality: pd.DataFrame, language: str) -> pd.DataFrame:
    """Rows read, clean, rejected and exact duplicates per raw file."""
    columns = ["table", "source_file", "rows_read", "rows_clean", "rows_rejected", "rows_duplicate"]
    rows = [{"table": label("table", row["table"], language), "source_file": row.get("source_file") or "",
             **{c: format_count(row.get(c), language) for c in columns[2:]}}
            for row in records(data_quality)]
    return _display(rows, columns, language)


def rejects_table(rejects_by_reason: pd.DataFrame, language: str) -> pd.DataFrame:
    """Rejected rows by file and reason."""
    rows = [{"table": label("table", row["table"], language), "source_file": row.get("source_file") or "",
             "reason": label("reason", row["reason"], language),
             "rows": format_count(row.get("rows"), language)}
            for row in records(rejects_by_reason)]
    return _display(rows, ["table", "source_file", "reason", "rows"], language)


def value_issues_table(value_issues: pd.DataFrame, language: str) -> pd.DataFrame:
    """Values of accepted rows that could not be read as written, by file, column and what was
    done with them: set missing, masked, or read by the study's value_map."""
    rows = [{"table": label("table", row["table"], language), "source_file": row.get("source_file") or "",
             "column": label("column", row["column"], language),
             "issue": text.value_issue_label(row["issue"], language),
             "rows": format_count(row.get("rows"), language)}
            for row in records(value_issues)]
    return _display(rows, ["table", "source_file", "column", "issue", "rows"], language)


def missingness_table(missingness: pd.DataFrame, language: str, *, only_missing: bool = True) -> pd.DataFrame:
    """Missing values per column of the clean tables (by default only columns with any missing)."""
    frame = missingness
    if frame is not None and not frame.empty and only_missing:
        any_missing = [(to_number(v) or 0) > 0 or suppressed_marker(v) is not None for v in frame["missing"]]
        frame = frame[any_missing]
    rows = [{"table": label("table", row["table"], language),
             "column": label("column", row["column"], language),
             "rows": format_count(row.get("rows"), language),
             "missing": format_count(row.get("missing"), language),
             "share_missing": format_percent(row.get("share_missing"), language, 1)}
            for row in records(frame)]
    return _display(rows, ["table", "column", "rows", "missing", "share_missing"], language)


MISSING_GROUPS = (("intervention", "pre"), ("intervention", "post"), ("comparison", "pre"),
                  ("comparison", "post"))


def missing_data_table(missing_data: pd.DataFrame, language: str) -> pd.DataFrame:
    """Share missing of each indicator and covariate with any missing value, by arm and
    period (before/after the start): the pattern a reader needs to judge complete-case
    analyses; a share hidden for privacy shows its bound."""
    frame = missing_data if missing_data is not None else pd.DataFrame()
    rows = []
    for variable, block in (frame.groupby("variable", sort=False) if not frame.empty else []):
        cells = {(r["arm"], r["period"]): r for r in records(block)}
        if all((to_number(r.get("missing")) or 0) == 0 and suppressed_marker(r.get("missing")) is None
               for r in cells.values()):
            continue
        kind = str(block["kind"].iloc[0])
        row = {"variable": label("indicator" if kind == "indicator" else "covariate", variable,
                                 language)}
        for arm, period in MISSING_GROUPS:
            cell = cells.get((arm, period))
            key = f"missing_{arm}_{period}"
            if cell is None:
                row[key] = EN_DASH
            elif text.row_is_suppressed(cell, ("missing", "n")):
                row[key] = _suppressed_text(cell, language, text.DEFAULT_MIN_CELL, "missing", "n")
            else:
                row[key] = (f"{format_percent(cell.get('share_missing'), language, 1)} "
                            f"({format_count(cell.get('missing'), language)}/"
                            f"{format_count(cell.get('n'), language)})")
        rows.append(row)
    # the groups the design has (a historical study's areas before and after the start, a
    # concurrent one's after it), not a column of dashes for each it lacks
    studied = set(zip(frame["arm"], frame["period"], strict=True)) if not frame.empty else set()
    columns = ["variable", *(f"missing_{arm}_{period}" for arm, period in MISSING_GROUPS
                             if (arm, period) in studied or not studied)]
    return _display(rows, columns, language)


def design_checks_table(summary: pd.DataFrame, did_areas: pd.DataFrame, language: str, *,
                        indicators_shown: Sequence[str]) -> pd.DataFrame:
    """For each indicator shown, the headline DiD beside what checks it without a model of
    the few areas: the logistic check on the scale, the randomisation p over assignments of
    areas (with the smallest p the design allows), where it falls among the comparison areas
    as placebo intervention areas, the range of the DiD leaving out one area at a time, and
    the joint test of the event study's pre-start coefficients."""
    def p_with_floor(p: Any, floor: Any) -> str:
        if to_number(p) is None:
            return EN_DASH
        return f"{format_p(p, language)} (≥ {format_p(floor, language)})"

    whole = summary[summary["area"].astype(str).eq("all")] if summary is not None and not summary.empty \
        else pd.DataFrame()
    rows = []
    for row in records(whole):
        if row["indicator"] not in indicators_shown:
            continue
        left_out = [] if did_areas is None or did_areas.empty else [
            to_number(v) for v in did_areas.loc[did_areas["indicator"].eq(row["indicator"])
                                                & did_areas["analysis"].eq("leave_one_out"),
                                                "did_adjusted"]]
        left_out = [v for v in left_out if v is not None]
        estimate = (_estimate_text(row | {"measure": "did"}, language, text.DEFAULT_MIN_CELL)
                    if to_number(row.get("estimate")) is not None else EN_DASH)
        logistic = (format_estimate(row["logistic_estimate"], row.get("logistic_ci_low"),
                                    row.get("logistic_ci_high"), language, 1, scale=100)
                    if to_number(row.get("logistic_estimate")) is not None else EN_DASH)
        rows.append({
            "indicator": label("indicator", row["indicator"], language),
            "estimate": estimate, "logistic": logistic,
            "p_randomisation": p_with_floor(row.get("p_randomisation"), row.get("p_floor")),
            "p_placebo": p_with_floor(row.get("p_placebo"), row.get("p_placebo_floor")),
            "leave_one_out": (f"{format_number(min(left_out) * 100, language, 1)} {EN_DASH} "
                              f"{format_number(max(left_out) * 100, language, 1)}"
                              if left_out else EN_DASH),
            "pretrend_joint_p": format_p(row.get("pretrend_joint_p"), language)
            if to_number(row.get("pretrend_joint_p")) is not None else EN_DASH,
        })
    return _display(rows, ["indicator", "estimate", "logistic", "p_randomisation", "p_placebo",
                           "leave_one_out", "pretrend_joint_p"], language)


def methods_table(language: str, run: RunTables | None = None) -> pd.DataFrame:
    """The methods appendix: each method with its reference; with a run, also the methods of
    the sections it has (its costs, the follow-up parts whose tables it wrote: their METHODS)."""
    extra: list = []
    design = None
    if run is not None:
        extra += text.COUNT_METHODS if not run["count_effects"].empty else ()
        extra += text.COST_METHODS if not run["costs"].empty else ()
        for section in followup_sections(run):
            extra += followup.optional(section.part, "METHODS", ())
        summary = run["summary"]
        if not summary.empty and "design" in summary:  # the DiD's methods under did alone
            design = str(summary["design"].iloc[0])
    rows = [{"what": method, "reference": reference}
            for method, reference in text.methods(language, extra, design)]
    return _display(rows, ["what", "reference"], language)


# the compare stage's tables made under the did design alone (empty under the others)
DID_ONLY_TABLES = ("did_cells", "did_areas", "event_study")


def manifest_tables(manifest: Mapping[str, Any], language: str, *,
                    run_label: str | None = None) -> dict[str, pd.DataFrame]:
    """The run's manifest as four tables: code version, inputs with hashes, packages, stage rows.

    Which data and which code made the report, and nothing of when or how fast: the run's
    time, stage seconds and whether a stage was reused stay in manifest.json, so that the same
    inputs and code give the same report, byte for byte. `run_label` is the run folder to
    show (the published outputs/<study>, not a staging copy).
    """
    code = manifest.get("code") or {}
    items = [("study", manifest.get("study")), ("run_folder", run_label), *code.items()]
    code_rows = [{"item": label("manifest", key, language), "value": str(value)}
                 for key, value in items if value is not None]
    inputs = [{"file": name, "sha256": digest}
              for name, digest in sorted((manifest.get("inputs_sha256") or {}).items())]
    packages = [{"package": name, "version": str(version)}
                for name, version in (manifest.get("packages") or {}).items()]
    design = ((manifest.get("config") or {}).get("design") or {}).get("type", "did")
    # a table only the DiD makes is left out under another design (not "0 event-study coefficients")
    not_made = () if design == "did" else DID_ONLY_TABLES
    stages = [{"stage": label("manifest", s.get("stage", ""), language),
               "rows": ", ".join(f"{format_count(count, language)} {_rows_word(name, language)}"
                                 for name, count in (s.get("rows") or {}).items()
                                 if not (name in not_made and count == 0))}
              for s in manifest.get("stages") or []]
    return {"code": _display(code_rows, ["item", "value"], language),
            "inputs": _display(inputs, ["file", "sha256"], language),
            "packages": _display(packages, ["package", "version"], language),
            "stages": _display(stages, ["stage", "rows"], language)}


def _rows_word(name: str, language: str) -> str:
    """What a stage's row count of `name` counts: an output table's rows, or clean rows."""
    table = CATALOG.get(name)
    return table.rows.in_(language) if table is not None else label("manifest", name, language)
