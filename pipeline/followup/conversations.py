"""Counselling conversations (råd- och stödsamtal): how many, with how many families, and
which parents took part (issue 12, part 1).

Stockholm's outer-city project (STIS) followed its counselling conversations per district in
a common digital structure: a mother took part in over 90 % of them, a father in about 40 %,
and when one parent came, 88 % were mothers; Linköping's family centres reported about 24
individual contacts a month per centre. This part gives those figures for a study's own
export `samtal` (one row per conversation), per district and over time:

- `conversations_by_area`: per district and for all districts, over the whole period:
  conversations, families reached, conversations per district and month (exact Poisson
  interval), the shares with the mother and with the father present, and of conversations
  with exactly one parent, the share where it was the mother (Wilson intervals);
- `conversations_by_month`: conversations per district and month (exact Poisson interval for
  the month's count) and the families reached that month;
- `conversation_attendance`: per district and quarter, the shares with the mother and with the
  father present (Wilson), the trend over time.

Rules (a reviewer will ask):
- A family is its family id where the export gives one, else its child (the pseudonym of the
  personnummer): first-time parents have one child. Families are counted once per district
  and period; the study-wide count is of distinct families (a family met in two districts
  counts once).
- A district's months run from the month of its first conversation to the extraction date
  (its last month counts the days up to that date). Conversations per month are the
  district's conversations over those months; for all districts together, per district and
  month (the conversations over the sum of the districts' months), as a family centre's
  monthly figure is read.
- Presence: a conversation's mother and father are present or not as the export says (ja/nej,
  1/0, x, in any case). A district whose column only ever ticks (ja or x) and never says no is
  a tick-box export: its blank cells are "not present". Elsewhere a blank is unknown, and a
  conversation counts in the shares only when both parents' presence is known.
- The conversation type (samtalstyp) is kept in the clean data but not published: its
  wording is each system's own.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from pipeline import stats, text  # stats loads a method (and statsmodels) when it is called
from pipeline.figure_keys import keyed
from pipeline.followup import Block, FigureBlock, TableBlock, Text
from pipeline.outputs import COUNT, DISTRICT_ROWS, TEXT, OutputTable
from pipeline.publish.cells import Render, _blank, _mark, _Pass, _shown_column, _text
from pipeline.schema import Column, Table
from pipeline.tables import records
from pipeline.text import EN_DASH, format_count, format_estimate, format_number, format_percent, to_number
from pipeline.words import Words

ALL = "all"  # the row of all districts together

EXPORT = Table(
    "conversations",
    "counselling conversation",
    (
        Column("personnummer", "personnummer", "personnummer",
               description="the child's personnummer (or give familj_id)"),
        Column("family_id", "familj_id", "identifier",
               description="the family's id in the source system (or give personnummer)",
               label=Words("Familjens pseudonym", "Family's pseudonym")),
        Column("conversation_date", "datum", "date", required=True,
               description="date of the conversation",
               label=Words("Samtalsdatum", "Date of the conversation")),
        Column("area", "omrade", "text", required=True, description="district (stadsdel/område)"),
        Column("conversation_kind", "samtalstyp", "text", description="kind of conversation, as written",
               label=Words("Samtalstyp", "Kind of conversation")),
        Column("mother_present", "mamma_narvarande", "boolean", description="the mother took part",
               label=Words("Mamma närvarande", "Mother present")),
        Column("father_present", "pappa_narvarande", "boolean", description="the father took part",
               label=Words("Pappa närvarande", "Father present")),
    ),
    required=False,
    title=Words("Råd- och stödsamtal", "Counselling conversations"),
    rows=Words("samtal", "conversations"),
    file="samtal",
    identified_by=("personnummer", "family_id"),
)

# The kinds of this part's own output columns (families, a count, is one of the catalog's).
# This part's rows of the reports' methods appendix.
METHODS: tuple[tuple[Words, Words], ...] = (
    (Words(sv=("Råd- och stödsamtal: andelar med mamma och med pappa närvarande med Wilsons intervall; "
               "samtal per område och månad med exakt Poissonintervall"),
           en=("Counselling conversations: shares with the mother and with the father present with "
               "Wilson intervals; conversations per area and month with exact Poisson intervals")),
     Words("Wilson 1927; Garwood 1936", "Wilson 1927; Garwood 1936")),
)

NEW_COLUMN_KINDS: dict[str, str] = {
    **dict.fromkeys(("first_month", "month", "quarter"), TEXT),
    **dict.fromkeys(("conversations", "recorded", "with_mother", "with_father", "one_parent",
                     "one_parent_mother", "days_observed"), COUNT),
}
SUPPRESSION = ("conversations or families of a district and period below min_cell (shown as \"<5\"); "
               "districts add up to all, months and quarters to the period, the parents present to "
               "the conversations: a count that would reveal a hidden one is hidden too, with every "
               "share, rate and interval resting on it")

BY_AREA = OutputTable(
    "conversations_by_area", "followup",
    tuple("area first_month months conversations conversations_per_month conversations_per_month_ci_low "
          "conversations_per_month_ci_high families recorded with_mother share_with_mother "
          "share_with_mother_ci_low share_with_mother_ci_high with_father share_with_father "
          "share_with_father_ci_low share_with_father_ci_high one_parent one_parent_mother "
          "share_one_parent_mother share_one_parent_mother_ci_low share_one_parent_mother_ci_high".split()),
    Words("Råd- och stödsamtal per område", "Counselling conversations by area"),
    Words("områden", "areas"), SUPPRESSION, DISTRICT_ROWS)
BY_MONTH = OutputTable(
    "conversations_by_month", "followup",
    tuple("area month days_observed conversations conversations_ci_low conversations_ci_high "
          "families".split()),
    Words("Råd- och stödsamtal per område och månad", "Counselling conversations by area and month"),
    Words("område-månader", "area-months"), SUPPRESSION, DISTRICT_ROWS)
ATTENDANCE = OutputTable(
    "conversation_attendance", "followup",
    tuple("area quarter conversations recorded with_mother share_with_mother share_with_mother_ci_low "
          "share_with_mother_ci_high with_father share_with_father share_with_father_ci_low "
          "share_with_father_ci_high".split()),
    Words("Föräldrarnas närvaro vid samtalen per kvartal", "Parents present at the conversations by quarter"),
    Words("område-kvartal", "area-quarters"), SUPPRESSION, DISTRICT_ROWS)
OUTPUTS = (BY_AREA, BY_MONTH, ATTENDANCE)

# The shares: (share column, numerator column, denominator column).
SHARES = (("share_with_mother", "with_mother", "recorded"), ("share_with_father", "with_father", "recorded"),
          ("share_one_parent_mother", "one_parent_mother", "one_parent"))
# Who came, as disjoint kinds of conversation; every count published is a sum of them.
ATTENDED = ("mother_only", "father_only", "both", "neither", "unrecorded")  # unrecorded: not both known


# --- compute --------------------------------------------------------------------------------------

def compute(export: pd.DataFrame, study: Any) -> dict[str, pd.DataFrame]:
    """The clean export to the three tables (before suppression); see the module's rules."""
    conversations = attendance(export)
    end = pd.Timestamp(study.extraction_date)
    areas = [ALL, *area_order(conversations["area"], study.design.areas)]
    first = conversations.groupby("area")["month"].min().to_dict()
    first[ALL] = min(first.values(), default=end.to_period("M"))
    # every conversation twice: in its district and in all districts together
    both = pd.concat([conversations.assign(area=ALL), conversations], ignore_index=True)
    return {BY_AREA.name: by_area(both, areas, first, end), BY_MONTH.name: by_month(both, areas, first, end),
            ATTENDANCE.name: by_quarter(both, areas, first, end)}


def attendance(export: pd.DataFrame) -> pd.DataFrame:
    """One row per conversation: area, month, quarter, family, and who came (one of ATTENDED)."""
    family = export["family_id"].astype("string").fillna(export["child_id"].astype("string"))
    mother = present(export["mother_present"], export["area"])
    father = present(export["father_present"], export["area"])
    known = (mother.notna() & father.notna()).to_numpy(dtype=bool)
    mother = mother.fillna(False).to_numpy(dtype=bool)
    father = father.fillna(False).to_numpy(dtype=bool)
    month = pd.to_datetime(export["conversation_date"]).dt.to_period("M")
    return pd.DataFrame({
        "area": export["area"].astype(str).to_numpy(), "month": month.to_numpy(),
        "quarter": month.dt.asfreq("Q").to_numpy(), "family": family.to_numpy(),
        "mother_only": known & mother & ~father, "father_only": known & ~mother & father,
        "both": known & mother & father, "neither": known & ~mother & ~father, "unrecorded": ~known})


def present(values: pd.Series, area: pd.Series) -> pd.Series:
    """A presence column with a tick-box district's blanks read as "no" (the module's rules)."""
    values = values.astype("boolean")
    districts = area.to_numpy()
    ticks = values.eq(True).fillna(False).groupby(districts).transform("any").to_numpy(dtype=bool)
    says_no = values.eq(False).fillna(False).groupby(districts).transform("any").to_numpy(dtype=bool)
    return values.mask(values.isna().to_numpy(dtype=bool) & ticks & ~says_no, False)


def area_order(areas: pd.Series, design_areas: Sequence[str]) -> list[str]:
    """The export's districts: the design's in its order, then the others alphabetically."""
    found = set(areas.dropna().astype(str))
    return [a for a in design_areas if a in found] + sorted(found - set(design_areas))


def months_observed(first: pd.Period, end: pd.Timestamp) -> pd.DataFrame:
    """The months from `first` to the extraction date's: the days of each observed, and that
    as a share of the month (1 for every month but a last one cut by the extraction date)."""
    months = pd.period_range(first, end.to_period("M"), freq="M")
    last_day = np.minimum(months.end_time.normalize(), end)
    days = np.asarray((last_day - months.start_time).days + 1, dtype=np.int64)
    return pd.DataFrame({"month": months, "days_observed": days,
                         "fraction": days / np.asarray(months.days_in_month, dtype=float)})


def tally(conversations: pd.DataFrame, by: list[str]) -> pd.DataFrame:
    """The counts the tables show, per group of `by`: conversations, families (distinct) and
    the sums of who came (recorded, with the mother, with the father, one parent, the mother alone)."""
    grouped = conversations.groupby(by, sort=False)
    came = grouped[list(ATTENDED)].sum().astype(np.int64)
    return pd.DataFrame({
        "conversations": grouped.size(), "families": grouped["family"].nunique(),
        "recorded": came[["mother_only", "father_only", "both", "neither"]].sum(axis=1),
        "with_mother": came["mother_only"] + came["both"], "with_father": came["father_only"] + came["both"],
        "one_parent": came["mother_only"] + came["father_only"], "one_parent_mother": came["mother_only"]})


def _with_shares(counts: Mapping[str, Any], shares: Sequence[tuple[str, str, str]]) -> dict[str, Any]:
    """Each share with its Wilson interval (none where its denominator is 0)."""
    row: dict[str, Any] = {}
    for share, events, n in shares:
        estimate = stats.proportion(int(counts[events]), int(counts[n]))
        row.update({share: estimate.estimate, f"{share}_ci_low": estimate.ci_low,
                    f"{share}_ci_high": estimate.ci_high})
    return row


def by_area(both: pd.DataFrame, areas: Sequence[str], first: Mapping[str, pd.Period],
            end: pd.Timestamp) -> pd.DataFrame:
    """conversations_by_area: all districts together, then each district, over the whole period."""
    months = {area: float(months_observed(first[area], end)["fraction"].sum()) for area in areas[1:]}
    months[ALL] = sum(months.values())
    counts = tally(both, ["area"])
    rows = []
    for area in areas:
        row = counts.loc[area]
        rate = stats.poisson_rate(int(row["conversations"]), months[area])
        rows.append({"area": area, "first_month": str(first[area]), "months": round(months[area], 2),
                     **row.to_dict(), "conversations_per_month": rate.estimate,
                     "conversations_per_month_ci_low": rate.ci_low,
                     "conversations_per_month_ci_high": rate.ci_high, **_with_shares(row, SHARES)})
    return BY_AREA.frame(rows)


def by_month(both: pd.DataFrame, areas: Sequence[str], first: Mapping[str, pd.Period],
             end: pd.Timestamp) -> pd.DataFrame:
    """conversations_by_month: every month of each district from its first (0 where none took
    place), with an exact Poisson interval for the month's count."""
    counts = tally(both, ["area", "month"])
    rows = []
    for area in areas:
        for month in months_observed(first[area], end).itertuples(index=False):
            found = (area, month.month) in counts.index
            number = int(counts.at[(area, month.month), "conversations"]) if found else 0
            interval = stats.poisson_rate(number)
            rows.append({"area": area, "month": str(month.month), "days_observed": month.days_observed,
                         "conversations": number, "conversations_ci_low": interval.ci_low,
                         "conversations_ci_high": interval.ci_high,
                         "families": int(counts.at[(area, month.month), "families"]) if found else 0})
    return BY_MONTH.frame(rows)


def by_quarter(both: pd.DataFrame, areas: Sequence[str], first: Mapping[str, pd.Period],
               end: pd.Timestamp) -> pd.DataFrame:
    """conversation_attendance: the parents present per district and quarter, from its first."""
    counts = tally(both, ["area", "quarter"])
    columns = ["conversations", "recorded", "with_mother", "with_father"]
    rows = []
    for area in areas:
        for quarter in pd.period_range(first[area].asfreq("Q"), end.to_period("Q"), freq="Q"):
            row = (counts.loc[(area, quarter), columns] if (area, quarter) in counts.index
                   else pd.Series(0, index=columns))
            rows.append({"area": area, "quarter": str(quarter), **row.to_dict(),
                         **_with_shares(row, SHARES[:2])})
    return ATTENDANCE.frame(rows)


# --- small-cell suppression -------------------------------------------------------------------------
# Every count is a cell keyed ("conversations", what, area, period), period "period" (the whole
# period), a month ("2021-03") or a quarter ("2021Q1"), so that one count shown in two tables is
# one cell. The published counts are sums of who came (ATTENDED: unpublished cells); districts
# add up to all, months to their quarter and to the period, quarters to the period. Families are
# distinct: all districts' are at most the districts' sum (a family met in two counts once).

Cells = dict[tuple[str, str, str], int]  # (what, area, period) -> cell


def _key(what: str, area: str, period: str) -> tuple:
    return ("conversations", what, area, period)


def _cost(area: str, period: str) -> int:
    """Totals cost more to hide: all districts, and the whole period."""
    return (3 if area == ALL else 1) + (1 if period == "period" else 0)


def _add(p: _Pass, cells: Cells, what: str, area: str, period: str, value: object, *,
         published: bool = True) -> int:
    cell = p.count(_key(what, area, period), value, published=published, cost=_cost(area, period))
    cells[what, area, period] = cell
    return cell


def _row_cells(p: _Pass, cells: Cells, area: str, period: str, row: Mapping[str, Any],
               columns: Sequence[str]) -> tuple[dict[str, int], dict[str, int]]:
    """One row's published counts as cells, with who came behind them: recorded = with the
    mother + without her, = with the father + without him; with the one-parent counts (whole
    period) every kind of who came is a cell.
    Returns the row's cells by column and the rest (n - events) of each of its shares."""
    count = {c: int(row[c]) for c in columns}
    mine = {c: _add(p, cells, c, area, period, count[c]) for c in columns}
    # conversations without both presences recorded (conversations - recorded) count export rows
    # lacking a value, as the data-quality tables do, not people: not a cell to protect
    rests = {}
    for share, events, n in SHARES[:2]:
        rest = _add(p, cells, f"without_{events}", area, period, count[n] - count[events], published=False)
        p.relate(mine[n], [mine[events], rest])
        rests[share] = rest
    if "one_parent" in count:
        mother_only = mine["one_parent_mother"]
        father_only = _add(p, cells, "father_only", area, period,
                           count["one_parent"] - count["one_parent_mother"], published=False)
        both = _add(p, cells, "both", area, period, count["with_mother"] - count["one_parent_mother"],
                    published=False)
        neither = _add(p, cells, "neither", area, period,
                       count["recorded"] - count["with_mother"] - p.cells.values[father_only],
                       published=False)
        p.relate(mine["one_parent"], [mother_only, father_only])
        p.relate(mine["with_mother"], [mother_only, both])
        p.relate(mine["with_father"], [father_only, both])
        p.relate(mine["recorded"], [mother_only, father_only, both, neither])
        rests["share_one_parent_mother"] = father_only
    return mine, rests


def _link(p: _Pass, cells: Cells, *, within: Mapping[str, str] | None = None) -> None:
    """Districts add up to all in every period (families: at most, see `_distinct_total`); with
    `within` (a row's period -> the longer period it lies in, e.g. a month's quarter), the rows
    of an area add up to the longer periods and to the whole period."""
    districts: dict[tuple[str, str], list[int]] = {}
    for (what, area, period), cell in cells.items():
        if area != ALL:
            districts.setdefault((what, period), []).append(cell)
    for (what, period), parts in districts.items():
        total = cells.get((what, ALL, period))
        if total is not None and what == "families":
            _distinct_total(p, total, parts)
        elif total is not None:
            p.relate(total, parts)
    if within is None:
        return
    longer: dict[tuple[str, str, str], list[int]] = {}
    for (what, area, period), cell in cells.items():
        if what == "families":  # distinct over time: no sum
            continue
        for outer in dict.fromkeys((within[period], "period")):
            longer.setdefault((what, area, outer), []).append(cell)
    for (what, area, outer), parts in longer.items():
        total = sum(p.cells.values[c] for c in parts)
        p.relate(p.count(_key(what, area, outer), total, published=False, cost=_cost(area, outer)), parts)


def _distinct_total(p: _Pass, total: int, parts: list[int]) -> None:
    """A distinct count over districts: the districts' sum = the total + those counted twice."""
    summed = sum(p.cells.values[c] for c in parts)
    whole = p.cells.add(summed, published=False)
    p.relate(whole, parts)
    overlap = summed - p.cells.values[total]
    p.relate(whole, [total, p.cells.add(overlap, published=False)] if overlap else [total])


def _render(p: _Pass, frame: pd.DataFrame, cells: list[dict[str, int]], rests: list[dict[str, int]],
            resting: Mapping[str, Sequence[str]]) -> Render:
    """Counts shown, "<5" or blank; what rests on a count (`resting`: count column -> columns)
    blank with it; a share and its interval blank where one of its counts is hidden or its rest
    small; rows marked."""
    def render(hidden: np.ndarray) -> pd.DataFrame:
        published = frame.copy()
        row_hidden = np.zeros(len(frame), dtype=bool)
        for column in cells[0] if cells else ():
            column_hidden = np.array([hidden[row[column]] for row in cells], dtype=bool)
            published[column] = _shown_column(frame[column], column_hidden, p.min_cell)
            row_hidden |= column_hidden
            _blank(published, column_hidden, resting.get(column, ()))
        for share, events, n in SHARES:
            if share in frame.columns:
                unsafe = np.array([hidden[row[events]] or hidden[row[n]] or p.small(rest[share])
                                   for row, rest in zip(cells, rests, strict=True)], dtype=bool)
                _blank(published, unsafe, [share, f"{share}_ci_low", f"{share}_ci_high"])
                row_hidden |= unsafe
        small = ["small_count" if any(p.small(c) for c in row.values()) else "secondary" for row in cells]
        return _mark(published, row_hidden, small)
    return render


def _publish_by_area(p: _Pass, frame: pd.DataFrame) -> Render:
    """Districts and all over the whole period."""
    cells: Cells = {}
    rows = [_row_cells(p, cells, _text(r["area"]), "period", r, COUNTED_BY_AREA)
            for r in frame.to_dict("records")]
    _link(p, cells)
    return _render(p, frame, [r[0] for r in rows], [r[1] for r in rows],
                   {"conversations": ("conversations_per_month", "conversations_per_month_ci_low",
                                      "conversations_per_month_ci_high")})


def _publish_by_month(p: _Pass, frame: pd.DataFrame) -> Render:
    """Months add up to their quarter and to the period; districts to all."""
    cells: Cells = {}
    rows = [{c: _add(p, cells, c, _text(r["area"]), _text(r["month"]), r[c]) for c in ("conversations",
                                                                                      "families")}
            for r in frame.to_dict("records")]
    quarters = {_text(m): str(pd.Period(_text(m), freq="M").asfreq("Q")) for m in frame["month"]}
    _link(p, cells, within=quarters)
    return _render(p, frame, rows, [{} for _ in rows],
                   {"conversations": ("conversations_ci_low", "conversations_ci_high")})


def _publish_attendance(p: _Pass, frame: pd.DataFrame) -> Render:
    """Quarters add up to the period, districts to all."""
    cells: Cells = {}
    rows = [_row_cells(p, cells, _text(r["area"]), _text(r["quarter"]), r, COUNTED_BY_QUARTER)
            for r in frame.to_dict("records")]
    _link(p, cells, within={q: "period" for q in map(_text, frame["quarter"])})
    return _render(p, frame, [r[0] for r in rows], [r[1] for r in rows], {})


COUNTED_BY_AREA = ("conversations", "families", "recorded", "with_mother", "with_father", "one_parent",
                   "one_parent_mother")
COUNTED_BY_QUARTER = ("conversations", "recorded", "with_mother", "with_father")
PUBLISHERS = {BY_AREA.name: _publish_by_area, BY_MONTH.name: _publish_by_month,
              ATTENDANCE.name: _publish_attendance}


# --- the report section -----------------------------------------------------------------------------

WORDS: dict[str, Words] = {
    "heading": Words("Råd- och stödsamtal", "Counselling conversations"),
    "intro": Words(
        sv=("Programmets personal håller råd- och stödsamtal med familjerna. Här redovisas hur många samtal "
            "som hölls i varje område, hur många familjer de nådde och vilka föräldrar som var med."),
        en=("The programme's staff hold counselling conversations with the families. This section shows "
            "how many conversations were held in each area, how many families they reached and which "
            "parents took part."),
    ),
    "summary_all": Words(
        sv=("Från {first_month} till uttaget hölls {conversations} samtal med {families} familjer, i "
            "genomsnitt {per_month} samtal per område och månad ({interval})."),
        en=("From {first_month} to the extraction, {conversations} conversations were held with {families} "
            "families, on average {per_month} conversations per area and month ({interval})."),
    ),
    "summary_area": Words(
        sv=("Från {first_month} till uttaget hölls {conversations} samtal med {families} familjer, i "
            "genomsnitt {per_month} samtal per månad ({interval})."),
        en=("From {first_month} to the extraction, {conversations} conversations were held with {families} "
            "families, on average {per_month} conversations a month ({interval})."),
    ),
    "summary_parents": Words(  # the shares' denominator: the conversations with both presences known
        sv="En mamma var med i {mother} av samtalen där närvaron är känd och en pappa i {father}.",
        en="A mother took part in {mother} of the conversations whose presence is known and a father in "
           "{father}.",
    ),
    "summary_one_parent": Words(
        sv="När bara en förälder kom var det mamman i {share} av samtalen.",
        en="When only one parent came, it was the mother in {share} of the conversations.",
    ),
    "summary_hidden": Words(
        sv=("Några av uppgifterna redovisas inte, eftersom de bygger på färre än {min_cell} samtal "
            "eller familjer."),
        en=("Some figures are not shown, because they rest on fewer than {min_cell} conversations "
            "or families."),
    ),
    "methods": Words(
        sv=("Metod: andelarna har Wilsons 95-procentiga konfidensintervall; antalet samtal per månad har "
            "exakta Poissonintervall (Garwood), som förutsätter att samtalen sker oberoende av varandra "
            "i jämn takt. En familj räknas med sitt familje-id, annars med barnets pseudonymiserade "
            "personnummer. Ett samtal räknas i andelarna bara när det är känt om både mamman och pappan "
            "var med; i ett område vars export bara kryssar i närvaro och aldrig anger nej läses en tom "
            "ruta som att föräldern inte var med."),
        en=("Method: the shares have Wilson 95% confidence intervals; the conversations per month have "
            "exact Poisson intervals (Garwood), which assume that conversations take place independently "
            "at a steady rate. A family is counted by its family id, otherwise by the child's "
            "pseudonymised personnummer. A conversation counts in the shares only when it is known "
            "whether both the mother and the father took part; in an area whose export only ticks "
            "presence and never says no, a blank cell is read as the parent not taking part."),
    ),
    "all_areas": Words("Alla områden", "All areas"),
    "quarter": Words("{year} kv. {number}", "{year} Q{number}"),
    "figure_caption": Words(
        sv=("Råd- och stödsamtal per månad och område (95\u00a0% KI), och andelen samtal där mamman "
            "respektive pappan var med, per kvartal (95\u00a0% KI)."),
        en=("Counselling conversations per month and area (95% CI), and the share of conversations "
            "with the mother and with the father present, by quarter (95% CI)."),
    ),
    "figure_alt": Words(
        sv=("Linjediagram: antal samtal per månad i varje område med konfidensband, och under det "
            "andelen samtal med mamman och med pappan närvarande per kvartal."),
        en=("Line charts: conversations per month in each area with confidence bands, and below it the "
            "share of conversations with the mother and with the father present by quarter."),
    ),
    "table_by_area": Words("Råd- och stödsamtal per område under hela perioden.",
                           "Counselling conversations by area over the whole period."),
    "table_attendance": Words("Föräldrarnas närvaro vid samtalen per område och kvartal.",
                              "Parents present at the conversations by area and quarter."),
    "table_by_month": Words("Råd- och stödsamtal per område och månad (95\u00a0% KI för antalet).",
                            "Counselling conversations by area and month (95% CI for the count)."),
    "hidden_points": Words("{count} punkter redovisas inte (små tal)",
                           "{count} points not shown (small numbers)"),
    "hidden_points_one": Words("1 punkt redovisas inte (små tal)", "1 point not shown (small numbers)"),
    "axis_month": Words("Månad", "Month"),
    "axis_conversations": Words("Samtal per månad", "Conversations per month"),
    "axis_share": Words("Andel av samtalen (%)", "Share of conversations (%)"),
    "mother": Words("Mamma med", "Mother present"),
    "father": Words("Pappa med", "Father present"),
}

HEADERS: dict[str, Words] = {
    "area": Words("Område", "Area"),
    "first_month": Words("Första månad", "First month"),
    "months": Words("Områdesmånader", "Area-months"),
    "month": Words("Månad", "Month"),
    "quarter": Words("Kvartal", "Quarter"),
    "conversations": Words("Samtal", "Conversations"),
    "conversations_ci": Words("Samtal (95\u00a0% KI)", "Conversations (95% CI)"),
    "families": Words("Familjer", "Families"),
    "conversations_per_month": Words("Samtal per månad (95\u00a0% KI)", "Conversations a month (95% CI)"),
    "recorded": Words("Samtal med känd närvaro", "Conversations with presence known"),
    "with_mother": Words("Mamma med (antal)", "Mother present (number)"),
    "share_with_mother": Words("Mamma med (95\u00a0% KI)", "Mother present (95% CI)"),
    "with_father": Words("Pappa med (antal)", "Father present (number)"),
    "share_with_father": Words("Pappa med (95\u00a0% KI)", "Father present (95% CI)"),
    "one_parent": Words("En förälder (antal)", "One parent (number)"),
    "share_one_parent_mother": Words("Mamman, när en förälder kom (95\u00a0% KI)",
                                     "The mother, when one parent came (95% CI)"),
}


def section(tables: Mapping[str, pd.DataFrame], language: str, *, technical: bool) -> list[Block]:
    """The report's section on counselling conversations, from the published tables (an area
    report's: its own district's rows)."""
    text.check_language(language)
    by_area, by_month = tables.get(BY_AREA.name, pd.DataFrame()), tables.get(BY_MONTH.name, pd.DataFrame())
    attendance_rows = tables.get(ATTENDANCE.name, pd.DataFrame())
    words = {key: value.in_(language) for key, value in WORDS.items()}
    blocks: list[Block] = [Text(f"## {words['heading']}\n\n{words['intro']}")]
    if by_area.empty:
        return [*blocks, Text(text.phrase("none", language))]
    min_cell = text.min_cell_of(*by_area.to_numpy().ravel(), *by_month.to_numpy().ravel())
    blocks.append(Text(summary_markdown(by_area, language, min_cell)))
    blocks.append(FigureBlock(conversations_figure(by_month, attendance_rows, language),
                              words["figure_caption"], words["figure_alt"], "conversations"))
    blocks.append(TableBlock(by_area_display(by_area, language, technical=technical, min_cell=min_cell),
                             words["table_by_area"]))
    if technical:
        blocks.append(TableBlock(attendance_display(attendance_rows, language, min_cell),
                                 words["table_attendance"]))
        blocks.append(TableBlock(by_month_display(by_month, language), words["table_by_month"]))
        blocks.append(Text(words["methods"]))
    return blocks


def _headline_row(by_area: pd.DataFrame) -> dict[str, Any]:
    """All districts' row, or an area report's own district's."""
    rows = [r for r in records(by_area) if r.get("area") == ALL] or records(by_area)
    return rows[0]


def summary_markdown(by_area: pd.DataFrame, language: str, min_cell: int = text.DEFAULT_MIN_CELL) -> str:
    """The section's sentences: how many conversations and families, how many a month, who came."""
    row = _headline_row(by_area)
    sentences = []
    hidden = text.is_true(row.get("suppressed"))
    per_month = to_number(row.get("conversations_per_month"))
    if per_month is not None:
        key = "summary_all" if row.get("area") == ALL else "summary_area"
        sentences.append(WORDS[key].format(
            language, first_month=text.format_month(row.get("first_month"), language),
            conversations=format_count(row.get("conversations"), language),
            families=format_count(row.get("families"), language),
            per_month=format_number(per_month, language, 1),
            interval=text.format_interval(row.get("conversations_per_month_ci_low"),
                                          row.get("conversations_per_month_ci_high"), language, 1)))
    mother, father = (to_number(row.get(f"share_with_{who}")) for who in ("mother", "father"))
    if mother is not None and father is not None:
        sentences.append(WORDS["summary_parents"].format(language, mother=format_percent(mother, language),
                                                         father=format_percent(father, language)))
    one_parent = to_number(row.get("share_one_parent_mother"))
    if one_parent is not None:
        sentences.append(WORDS["summary_one_parent"].format(language,
                                                            share=format_percent(one_parent, language)))
    if hidden or len(sentences) < 3:
        sentences.append(WORDS["summary_hidden"].format(language, min_cell=min_cell))
    return " ".join(sentences)


def _area_name(area: Any, language: str) -> str:
    return WORDS["all_areas"].in_(language) if area == ALL else _text(area)


def _share(row: Mapping[str, Any], share: str, language: str, min_cell: int) -> str:
    """"90 % (88–92)"; where the share is hidden, why."""
    if to_number(row.get(share)) is None:
        if text.is_true(row.get("suppressed")):
            return text.suppression_phrase(row.get("suppression"), language, min_cell, short=True)
        return EN_DASH
    interval = text.format_interval(row.get(f"{share}_ci_low"), row.get(f"{share}_ci_high"), language,
                                    scale=100, prefix=False)
    return f"{format_percent(row[share], language)} ({interval})"


def _display(rows: list[dict[str, str]], columns: Sequence[str], language: str) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=list(columns), dtype=object)
    return frame.rename(columns={c: HEADERS[c].in_(language) for c in columns})


def by_area_display(by_area: pd.DataFrame, language: str, *, technical: bool = False,
                    min_cell: int = text.DEFAULT_MIN_CELL) -> pd.DataFrame:
    """conversations_by_area as the report shows it (the technical report with the counts)."""
    columns = ["area", "conversations", "families", "conversations_per_month", "share_with_mother",
               "share_with_father", "share_one_parent_mother"]
    if technical:
        columns[1:1] = ["first_month", "months"]
        columns[5:5] = ["recorded", "with_mother", "with_father", "one_parent"]
    rows = []
    for row in records(by_area):
        shown = {c: format_count(row.get(c), language) for c in columns if BY_AREA.kind(c) == COUNT}
        rate = (format_estimate(row.get("conversations_per_month"), row.get("conversations_per_month_ci_low"),
                                row.get("conversations_per_month_ci_high"), language, 1)
                if to_number(row.get("conversations_per_month")) is not None else EN_DASH)
        rows.append({**shown, "area": _area_name(row.get("area"), language),
                     "first_month": _text(row.get("first_month")),
                     "months": format_number(row.get("months"), language, 1), "conversations_per_month": rate,
                     **{share: _share(row, share, language, min_cell) for share, _, _ in SHARES}})
    return _display(rows, columns, language)


def _quarter_name(quarter: Any, language: str) -> str:
    """"2021Q1" -> sv "2021 kv. 1", en "2021 Q1"."""
    year, _, number = _text(quarter).partition("Q")
    return WORDS["quarter"].format(language, year=year, number=number) if number else _text(quarter)


def attendance_display(attendance_rows: pd.DataFrame, language: str,
                       min_cell: int = text.DEFAULT_MIN_CELL) -> pd.DataFrame:
    """conversation_attendance as the technical report shows it."""
    columns = ["area", "quarter", "conversations", "recorded", "share_with_mother", "share_with_father"]
    rows = [{"area": _area_name(row.get("area"), language),
             "quarter": _quarter_name(row.get("quarter"), language),
             "conversations": format_count(row.get("conversations"), language),
             "recorded": format_count(row.get("recorded"), language),
             **{share: _share(row, share, language, min_cell) for share, _, _ in SHARES[:2]}}
            for row in records(attendance_rows)]
    return _display(rows, columns, language)


def by_month_display(by_month: pd.DataFrame, language: str) -> pd.DataFrame:
    """conversations_by_month as the technical report shows it."""
    rows = []
    for row in records(by_month):
        count = row.get("conversations")
        shown = (format_estimate(count, row.get("conversations_ci_low"), row.get("conversations_ci_high"),
                                 language) if to_number(count) is not None else format_count(count, language))
        rows.append({"area": _area_name(row.get("area"), language), "month": _text(row.get("month")),
                     "conversations_ci": shown, "families": format_count(row.get("families"), language)})
    return _display(rows, ["area", "month", "conversations_ci", "families"], language)


# more than a month (a quarter) between two points of a series: one is missing, and the line breaks
MONTH_GAP, QUARTER_GAP = pd.Timedelta(days=45), pd.Timedelta(days=120)


@keyed
def conversations_figure(by_month: pd.DataFrame, attendance_rows: pd.DataFrame, language: str) -> Any:
    """Conversations per month in each district with their intervals (all districts together
    only when there is no district's own row), and below, the shares with the mother and with
    the father present by quarter (all districts together, else the district's own). A hidden
    point is left out, and said so."""
    import matplotlib
    import matplotlib.dates

    from pipeline import figures

    monthly = records(by_month)
    areas = list(dict.fromkeys(r["area"] for r in monthly if r["area"] != ALL)) or [ALL]
    quarterly = records(attendance_rows)
    own = [r["area"] for r in quarterly if r["area"] != ALL]
    headline = ALL if len(own) < len(quarterly) or not own else own[0]
    with matplotlib.rc_context(figures.RC):
        figure = figures.ReportFigure(figsize=(9.0, 6.0), layout="constrained")
        top, bottom = figure.subplots(2, 1, sharex=True)
        hidden = 0
        for index, area in enumerate(areas):
            points = [(pd.Period(_text(r["month"]), freq="M").to_timestamp() + pd.Timedelta(days=14),
                       to_number(r["conversations"]), to_number(r.get("conversations_ci_low")),
                       to_number(r.get("conversations_ci_high"))) for r in monthly if r["area"] == area]
            hidden += sum(p[1] is None for p in points)
            style = figures.SERIES_STYLES[index % len(figures.SERIES_STYLES)]
            if all(p[1] is None for p in points):
                continue
            # broken where a month is hidden or missing, not drawn across it
            figures.draw_series(top, points, style, gap=MONTH_GAP, scale=1.0,
                                label=_area_name(area, language), markersize=3)
        top.set_ylabel(WORDS["axis_conversations"].in_(language))
        top.set_ylim(bottom=0)
        for index, who in enumerate(("mother", "father")):
            points = [(pd.Period(_text(r["quarter"]), freq="Q").to_timestamp() + pd.Timedelta(days=45),
                       to_number(r.get(f"share_with_{who}")), to_number(r.get(f"share_with_{who}_ci_low")),
                       to_number(r.get(f"share_with_{who}_ci_high")))
                      for r in quarterly if r["area"] == headline]
            hidden += sum(p[1] is None for p in points)
            style = figures.SERIES_STYLES[index]
            if all(p[1] is None for p in points):
                continue
            figures.draw_series(bottom, points, style, gap=QUARTER_GAP, label=WORDS[who].in_(language),
                                markersize=4)
        bottom.set_ylim(0, 100)
        bottom.set_ylabel(WORDS["axis_share"].in_(language))
        bottom.set_xlabel(WORDS["axis_month"].in_(language))
        bottom.xaxis.set_major_locator(matplotlib.dates.YearLocator())
        bottom.xaxis.set_major_formatter(matplotlib.dates.DateFormatter("%Y"))
        for ax in (top, bottom):
            figures._style_axes(ax, language)
            if ax.get_legend_handles_labels()[0]:
                ax.legend(frameon=False, loc="upper left", bbox_to_anchor=(1.0, 1.0))
        if hidden:
            figures._mark_suppressed(bottom, 0.99, 0.05,
                                     WORDS["hidden_points" + ("_one" if hidden == 1 else "")].format(
                                         language, count=hidden),
                                     transform=bottom.transAxes, ha="right")
    return figure


# --- the synthetic export -----------------------------------------------------------------------------

# Who came, as STIS reported (mother in over 90 %, father in about 40 %, 88 % mothers when one
# parent came): mother only, father only, both, neither (another carer).
SYNTHETIC_ATTENDANCE = (0.579, 0.079, 0.321, 0.021)
SYNTHETIC_PER_MONTH = 26.0  # conversations a month in a district at full pace (about 24 a month
# on average over the year: Linköping's family centres), less in July and around Christmas
SYNTHETIC_SEASON = {7: 0.45, 8: 0.8, 12: 0.8}
SYNTHETIC_RAMP = (0.4, 0.65, 0.85)  # the first months of a district's programme
SYNTHETIC_NEW_FAMILIES = 9.0  # families starting conversations in a month; each for about half a year
SYNTHETIC_KINDS = ("Rådgivande samtal", "Stödsamtal", "Uppföljande samtal")
# how each district's system writes yes and no (the third a tick-box export: x or blank)
SYNTHETIC_SPELLINGS = (("ja", "nej"), ("1", "0"), ("x", ""))
SYNTHETIC_DATE_FORMATS = (("%Y-%m-%d", 0.85), ("%Y%m%d", 0.1), ("%d/%m/%Y", 0.05))


def synthetic(rng: np.random.Generator, study_areas: Sequence[str], start: dt.date, end: dt.date
              ) -> pd.DataFrame:
    """The samtal export of the programme's districts from `start` to `end`, as a municipal
    system writes it: Swedish headers, yes/no spelled as each district's system does (ja/nej in
    any case, 1/0, x), mixed date formats, a few presences not recorded."""
    months = pd.period_range(pd.Timestamp(start), pd.Timestamp(end), freq="M")
    parts = []
    for index, area in enumerate(study_areas):
        yes, no = SYNTHETIC_SPELLINGS[index % len(SYNTHETIC_SPELLINGS)]
        started: list[int] = []  # the month (index) each family started in
        for number, month in enumerate(months):
            started += [number] * int(rng.poisson(SYNTHETIC_NEW_FAMILIES))
            active = [f for f, first in enumerate(started) if number - first < 6]
            pace = SYNTHETIC_SEASON.get(month.month, 1.0) * (
                SYNTHETIC_RAMP[number] if number < len(SYNTHETIC_RAMP) else 1.0)
            count = int(rng.poisson(SYNTHETIC_PER_MONTH * pace)) if active else 0
            last = min(month.days_in_month, (pd.Timestamp(end) - month.start_time).days + 1)
            day = rng.integers(1, last + 1, count)
            came = rng.choice(4, size=count, p=SYNTHETIC_ATTENDANCE)
            parts.append(pd.DataFrame({
                "date": month.start_time + pd.to_timedelta(day - 1, unit="D"), "omrade": area,
                "family": np.asarray(active)[rng.integers(0, len(active), count)] if count else [],
                "came": came, "samtalstyp": rng.choice(len(SYNTHETIC_KINDS), size=count, p=(0.5, 0.3, 0.2)),
                "unrecorded": rng.random(count) < 0.015, "area_index": index, "upper": rng.random(count),
                "format": rng.choice(len(SYNTHETIC_DATE_FORMATS), size=count,
                                     p=[share for _, share in SYNTHETIC_DATE_FORMATS])}))
    rows = pd.concat(parts, ignore_index=True).sort_values(["date", "area_index", "family"], kind="stable")
    spellings = [SYNTHETIC_SPELLINGS[i % len(SYNTHETIC_SPELLINGS)] for i in rows["area_index"]]
    mother = rows["came"].isin((0, 2)).to_numpy()
    father = rows["came"].isin((1, 2)).to_numpy()

    def spelled(flags: np.ndarray) -> list[str]:
        words = [(yes if flag else no) for flag, (yes, no) in zip(flags, spellings, strict=True)]
        # ja/nej as people type them: Ja, JA now and then
        return [w.upper() if u < 0.03 else w.capitalize() if u < 0.15 else w
                for w, u in zip(words, rows["upper"], strict=True)]

    unrecorded = rows["unrecorded"].to_numpy()
    return pd.DataFrame({
        "familj_id": [f"{_area_code(area)}-{family + 1:05d}"
                      for area, family in zip(rows["omrade"], rows["family"], strict=True)],
        "datum": [d.strftime(SYNTHETIC_DATE_FORMATS[f][0]) for d, f in zip(rows["date"], rows["format"],
                                                                          strict=True)],
        "omrade": rows["omrade"].to_numpy(),
        "samtalstyp": [SYNTHETIC_KINDS[k] for k in rows["samtalstyp"]],
        "mamma_narvarande": np.where(unrecorded & (rows["upper"].to_numpy() < 0.5), "", spelled(mother)),
        "pappa_narvarande": np.where(unrecorded & (rows["upper"].to_numpy() >= 0.5), "", spelled(father)),
    })


def _area_code(area: str) -> str:
    """A district's letters in a family id: 'Söderängen' -> 'SOD'."""
    import unicodedata

    folded = unicodedata.normalize("NFKD", area).encode("ascii", "ignore").decode().upper()
    return "".join(ch for ch in folded if ch.isalpha())[:3] or "OMR"
