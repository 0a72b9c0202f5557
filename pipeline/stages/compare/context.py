"""The compare stage's shared ground: the analysis population (`_Context`), the DiD cells
(`_DidCells`), covariates, subgroups, each indicator as an outcome, and one effects row."""

from __future__ import annotations

import copy
import functools
from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import Any

import numpy as np
import pandas as pd

from pipeline.config import Study
from pipeline.indicators import Indicator, TimeToEvent, present
from pipeline.indicators import indicator as indicator_entry
from pipeline.indicators.vaccination import ROTA_ELIGIBLE_FROM
from pipeline.outputs import output_table
from pipeline.stats import FLAGS, Estimate, NotEstimable, dummy_code

# The indicator kinds the comparison methods take (a share; a time to an event); counts and
# rates are compared by their own rows (pipeline.stages.compare.counts).
COMPARED_KINDS = ("binary", "survival")

GROUPS = ("intervention", "comparison")
DID_GROUPS = ("intervention", "comparison", "intervention_pre", "comparison_pre")


# Mother's region of birth for equity rows: Nordic-born mothers (outside Sweden) are few in
# every study area, so they are grouped with Swedish-born mothers.
REGION_GROUPS = {"sweden": "sweden_nordic", "nordic": "sweden_nordic", "europe": "europe",
                 "outside_europe": "outside_europe"}
SUBGROUP_VARIABLES = ("mother_region", "education")


def _in_area(frame: pd.DataFrame, area: str, design: str = "did") -> pd.DataFrame:
    """Children of one intervention area and every comparison child (area-level contrasts);
    under `historical` the area's own children alone, born after and before the start (its
    comparison group is the area itself before the start, not every intervention area's)."""
    own = frame["area"].astype("string").eq(area).fillna(False)
    if design == "historical":
        return frame[own.to_numpy(dtype=bool)].reset_index(drop=True)
    comparison = frame["group"].astype("string").str.startswith("comparison").fillna(False)
    keep = (own | comparison).to_numpy(dtype=bool)
    return frame[keep].reset_index(drop=True)


def _rows_in(cohort: pd.DataFrame, groups: Sequence[str], columns: Sequence[str] | None = None
             ) -> pd.DataFrame:
    """The cohort's children whose `group` is one of `groups`, renumbered from 0 (only the
    `columns` given, else every column)."""
    keep = cohort["group"].isin(groups).fillna(False).to_numpy(dtype=bool)
    return (cohort if columns is None else cohort[list(columns)])[keep].reset_index(drop=True)


def analysed_columns(cohort: pd.DataFrame) -> list[str]:
    """The cohort's columns that the analyses of its children read: all but the reasons a
    child is outside an indicator's denominator (`<indicator>_excluded`, which the
    missing-data table reads from the cohort itself) and the pseudonym. Two thirds of the
    cohort's text columns: at a million children each text column taken for a subset of
    children costs as much as ten columns of numbers."""
    return [column for column in cohort.columns
            if column != "child_id" and not column.endswith("_excluded")]


class _Context:
    """The analysis population with its treatment vector, covariates and subgroups, built once."""

    def __init__(self, study: Study, population: pd.DataFrame, area: str = "all") -> None:
        self.study = study
        self.area = area
        self.population = population
        # the indicators the cohort holds that these methods compare (a study without an
        # optional export has none of its indicators)
        self.indicators = present(population.columns, COMPARED_KINDS)
        self.treated = population["group"].eq("intervention").to_numpy(dtype=bool)
        self.covariate_names = tuple(study.covariates)
        self.covariates = covariate_frame(population, self.covariate_names)
        self.complete = ~self.covariates.isna().any(axis=1).to_numpy()
        # as the methods' designs code them, once (the methods take a coded frame as it is)
        self.coded_covariates = dummy_code(self.covariates)
        accepted = population["accepted"].astype("boolean").fillna(False).to_numpy(dtype=bool)
        self.accepted = self.treated & accepted
        self.subgroups = {variable: subgroup_codes(population, variable)
                          for variable in SUBGROUP_VARIABLES if variable in population.columns}
        self._outcomes: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        self._did: dict[Any, _DidCells] = {}

    @functools.cached_property
    def area_codes(self) -> np.ndarray:
        """Each child's area as a code (NaN: none), made once, for the tests over areas."""
        codes = pd.factorize(self.population["area"])[0].astype(float)
        codes[codes < 0] = np.nan
        return codes

    def did(self, cells: pd.DataFrame) -> _DidCells:
        """The DiD view of `cells`, built once per frame."""
        if id(cells) not in self._did:
            self._did[id(cells)] = _DidCells(cells, self)
        return self._did[id(cells)]

    def did_subset(self, name: str, cells: pd.DataFrame,
                   make: Callable[[], pd.DataFrame]) -> _DidCells | None:
        """The DiD view of a subset of `cells` that `make` selects (built once per name and
        frame); None when the subset is empty."""
        key = (name, id(cells))
        if key not in self._did:
            subset = make()
            self._did[key] = None if subset.empty else _DidCells(subset, self)
        return self._did[key]

    def outcome(self, indicator: str) -> tuple[np.ndarray, np.ndarray]:
        """The indicator as 0/1 floats and its denominator mask (cached). A historical design
        compares children born before and after the start, as a DiD does: an indicator whose
        definition changed in between (fully vaccinated: rotavirus from births of 2019-09-01)
        is taken by its stable parts then, as `did_outcome` takes it."""
        if indicator not in self._outcomes:
            if self.study.design.type == "historical" and indicator_entry(indicator).stable_parts:
                y, inside, _ = did_outcome(self.population, indicator)
                self._outcomes[indicator] = (y, inside)
            else:
                self._outcomes[indicator] = binary_outcome(self.population, indicator)
        return self._outcomes[indicator]

    @property
    def adjusted_for(self) -> str:
        names = ", ".join(self.covariate_names) or "no covariates"
        return f"adjusted for {names}"


class _DidCells:
    """The four area x period cells of design `did`, with their covariates, built once."""

    def __init__(self, cells: pd.DataFrame, context: _Context) -> None:
        self.cells = cells
        self.treated_area = cells["did_area"].eq("intervention").to_numpy(dtype=float)
        self.post = cells["did_period"].eq("post").to_numpy(dtype=float)
        start = pd.Timestamp(context.study.design.programme_start)
        # each distinct half-year written once (a few dozen), not once per child
        bins, firsts = pd.factorize(half_year_bins(pd.to_datetime(cells["birth_date"]), start),
                                    use_na_sentinel=False)
        half_years = np.asarray(firsts.strftime("%Y-%m"), dtype=object)
        self.half_year = half_years[bins]
        # each child's area and half-year as categoricals (categories in sorted order), as
        # every DiD fit takes them: coded from their categories, not by hashing every child's
        # text once per fit
        self.area_labels = _categorical(*pd.factorize(cells["area"], use_na_sentinel=False))
        self.half_year_labels = _categorical(bins, half_years)
        self.covariates = covariate_frame(cells, context.covariate_names)
        self.complete = ~self.covariates.isna().any(axis=1).to_numpy()
        self.coded_covariates = dummy_code(self.covariates)  # as for the context's
        self._outcomes: dict[tuple[str, int | None], tuple[np.ndarray, np.ndarray, str]] = {}
        self._subgroups: dict[str, tuple[np.ndarray, list[str]]] = {}

    def with_outcomes(self, cells: pd.DataFrame) -> _DidCells:
        """The same children with `cells` holding other values of their outcomes (a filled
        indicator): areas, periods, covariates and subgroups shared, outcomes made anew."""
        view = copy.copy(self)
        view.cells = cells
        view._outcomes = {}
        view._subgroups = dict(self._subgroups)
        return view

    def subgroup_codes(self, variable: str) -> tuple[np.ndarray, list[str]]:
        """`subgroup_codes` of these cells, made once per variable (the codes read-only)."""
        if variable not in self._subgroups:
            codes, levels = subgroup_codes(self.cells, variable)
            codes.flags.writeable = False
            self._subgroups[variable] = (codes, levels)
        return self._subgroups[variable]

    def outcome(self, indicator: str,
                landmark: int | None = None) -> tuple[np.ndarray, np.ndarray, str]:
        """`did_outcome` of these cells, made once per indicator and landmark (the arrays are
        shared: read-only)."""
        key = (indicator, landmark)
        if key not in self._outcomes:
            y, inside, note = did_outcome(self.cells, indicator, landmark)
            y.flags.writeable = inside.flags.writeable = False
            self._outcomes[key] = (y, inside, note)
        return self._outcomes[key]


def covariate_frame(frame: pd.DataFrame, names: Sequence[str]) -> pd.DataFrame:
    """Covariates ready for the stats design: booleans as 0/1 floats, text as categoricals.

    Mother's region of birth enters grouped (sweden_nordic / europe / outside_europe), as in
    the equity rows: the few Nordic-born mothers otherwise separate high-coverage outcomes.
    """
    columns: dict[str, Any] = {}
    for name in names:
        values = subgroup_levels(frame, name) if name == "mother_region" else frame[name]
        if pd.api.types.is_bool_dtype(values):
            columns[name] = values.astype("Float64").to_numpy(dtype="float64", na_value=np.nan)
        elif pd.api.types.is_numeric_dtype(values):
            columns[name] = values.astype("float64").to_numpy()
        else:
            codes, levels = pd.factorize(values.astype("string"), sort=True)
            columns[name] = pd.Categorical.from_codes(codes, categories=[str(x) for x in levels])
    return pd.DataFrame(columns, index=pd.RangeIndex(len(frame)))


def _categorical(codes: np.ndarray, distinct: object) -> pd.Categorical:
    """`pd.Categorical(distinct[codes])` (categories sorted, a missing value missing) from the
    few distinct values (each distinct once in `distinct`), not a text hashed per child."""
    levels = pd.Categorical(np.asarray(distinct, dtype=object))
    return pd.Categorical.from_codes(levels.codes[codes], dtype=levels.dtype)


def subgroup_levels(frame: pd.DataFrame, variable: str) -> pd.Series:
    """The equity subgroup of each child (mother's region grouped; education as coded)."""
    values = frame[variable].astype("string")
    if variable == "mother_region":  # each distinct region grouped once, not each child's
        codes, regions = pd.factorize(values)
        grouped = pd.Series(regions).map(REGION_GROUPS).astype("string").array
        values = pd.Series(grouped.take(codes, allow_fill=True), index=values.index,
                           name=values.name).astype("string")
    return values


def subgroup_codes(frame: pd.DataFrame, variable: str) -> tuple[np.ndarray, list[str]]:
    """Each child's subgroup as a code into the sorted level names (-1 when unknown)."""
    codes, levels = pd.factorize(subgroup_levels(frame, variable), sort=True)
    return codes, [str(level) for level in levels]


def half_year_bins(birth: pd.Series, programme_start: pd.Timestamp) -> pd.Series:
    """The first day of each birth's six-month bin, bins counted from the programme start.

    A bin starts on the start date plus a multiple of six months (before or after it), so a
    bin holds children born either all before or all after the start.
    """
    return birth_bins(birth, programme_start, 6)


def birth_bins(birth: pd.Series, programme_start: pd.Timestamp, months: int) -> pd.Series:
    """The first day of each birth's bin of `months` months, bins counted from the programme
    start (6: half-years; 3: quarters, two to a half-year), so that no bin mixes children born
    before and after the start."""
    elapsed = (birth.dt.year - programme_start.year) * 12 + (birth.dt.month - programme_start.month)
    k = np.floor_divide(elapsed.to_numpy(), months)

    def firsts(bins: np.ndarray) -> np.ndarray:
        unique, where = np.unique(bins, return_inverse=True)
        days = [programme_start + pd.DateOffset(months=int(months * i)) for i in unique]
        return np.array(days, dtype="datetime64[ns]")[where]

    first = firsts(k)
    early = birth.to_numpy() < first  # born in the bin's first month before the start's day
    k[early] -= 1
    return pd.Series(firsts(k), index=birth.index)


def binary_outcome(frame: pd.DataFrame, indicator: str) -> tuple[np.ndarray, np.ndarray]:
    """The indicator as 0/1 floats and the mask of children inside its denominator."""
    y = frame[indicator].astype("boolean").to_numpy(dtype="float64", na_value=np.nan)
    return y, ~np.isnan(y)


def did_outcome(cells: pd.DataFrame, indicator: str,
                landmark: int | None = None) -> tuple[np.ndarray, np.ndarray, str]:
    """The indicator as a DiD compares it: defined the same way before and after the start.

    `vacc_full_24m` asks for a complete rotavirus series only of children born from
    2019-09-01 (when rotavirus entered the national programme); when the DiD's children
    include earlier births, "fully vaccinated" is taken as DTaP3 + PCV3 + MMR1 for every
    child, so that the definition does not change between the periods. `vacc_rota_complete`
    is defined only for births from 2019-09-01, so its DiD compares those alone (and is not
    estimable, with the reason, when no child before the start was eligible). A survival
    indicator enters as its landmark proportion (at `landmark` days, else its default
    landmark). Returns (0/1 values, known, note).
    """
    entry = indicator_entry(indicator)
    if entry.time_to_event is not None:
        y, inside = landmark_outcome(cells, indicator, landmark)
        return y, inside, ""
    stable = by_stable_parts(entry, cells["birth_date"])
    if stable:
        parts = [binary_outcome(cells, name) for name in entry.stable_parts]
        inside = np.logical_and.reduce([known for _, known in parts])
        y = np.where(inside, np.logical_and.reduce([v == 1 for v, _ in parts]), np.nan)
        return y.astype(float), inside, _defined_note(entry, stable)
    y, inside = binary_outcome(cells, indicator)
    return y, inside, _defined_note(entry, stable)


def design_note(design: str, frame: pd.DataFrame, indicator: str) -> str:
    """How `design_outcome` took an indicator where that is not its plain definition (its
    stable parts, or its births from a date only: `did_outcome`'s note), else "". The control
    charts' centre line of fully vaccinated (without rotavirus) differed from indicators.csv's
    share without a word (a review)."""
    if design not in ("did", "historical"):
        return ""
    entry = indicator_entry(indicator)
    if entry.time_to_event is not None:
        return ""
    return _defined_note(entry, by_stable_parts(entry, frame["birth_date"]))


def _defined_note(entry: Indicator, stable: bool) -> str:
    """`did_outcome`'s note of a binary indicator (not a time-to-event one); `stable`: whether it
    is taken by its stable parts (`by_stable_parts`)."""
    if stable:
        return ("fully vaccinated defined as DTaP3 + PCV3 + MMR1 by 24 months in both periods "
                "(rotavirus entered the national vaccination programme for births from 2019-09-01, after "
                "some of the children before the start)")
    return (f"children born from {entry.born_from.isoformat()} only, in both periods (rotavirus in "
            "the programme)" if entry.born_from is not None else "")


def design_outcome(design: str, frame: pd.DataFrame, indicator: str) -> tuple[np.ndarray, np.ndarray]:
    """0/1 values and the denominator mask of a binary indicator as `design` defines it: both
    designs that compare children born before and after the start (`did`, `historical`) take
    an indicator whose definition changed in between by its stable parts."""
    if design in ("did", "historical"):
        y, inside, _ = did_outcome(frame, indicator)
        return y, inside
    return binary_outcome(frame, indicator)


def by_stable_parts(entry: Indicator, birth_date: pd.Series) -> bool:
    """Whether `did_outcome` takes an indicator with `stable_parts` as those parts for children
    born on these dates: when any was born before rotavirus entered the national vaccination programme."""
    return bool(entry.stable_parts) and bool(
        (pd.to_datetime(birth_date) < pd.Timestamp(ROTA_ELIGIBLE_FROM)).any())


def _course(indicator: str) -> TimeToEvent:
    """How a survival indicator is followed (its registry entry's `time_to_event`)."""
    course = indicator_entry(indicator).time_to_event
    if course is None:
        raise ValueError(f"{indicator} is not a time-to-event indicator")
    return course


def landmark_note(indicator: str, landmark: int | None = None) -> str:
    """What a landmark proportion is, in words (effects.csv's note). A survival indicator
    enters a DiD as the share with its event state at a landmark age (its default one unless
    given)."""
    course = _course(indicator)
    days = course.landmark_days if landmark is None else landmark
    if days == course.landmark_days and course.landmark_is:
        return (f"landmark: share with {indicator_entry(course.landmark_is).meaning}, among children "
                "followed to that age")
    return course.landmark_note.format(days=days)


def landmark_outcome(frame: pd.DataFrame, indicator: str,
                     landmark: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """A survival indicator as a 0/1 state at a landmark age (its default one unless given),
    and the children it is known for.

    Known only for children followed to the landmark (old enough at the extraction date and
    not moved out before it), as a binary indicator's denominator: counting a child with an
    early event but short follow-up, while dropping one without, would bias the share.
    A `rising` indicator (vacc_mmr1_age): 1 = the event by the landmark (vaccinated); at its
    default landmark it is its `landmark_is` indicator (MMR by 24 months, whose 24-month
    birthday is day 730 or 731), so that both count the very same children.
    Otherwise (bf_duration): 1 = still without the event at the landmark (still breastfed:
    last breastfed assessment at or after it, or weaning age — the midpoint between the last
    breastfed and the first weaned assessment — after it), 0 = the event before it (weaned);
    unknown when last seen without it before the landmark.
    """
    course = _course(indicator)
    landmark = course.landmark_days if landmark is None else landmark
    if landmark == course.landmark_days and course.landmark_is in frame.columns:
        return binary_outcome(frame, course.landmark_is)  # the same children, counted alike
    time, event, kept = _survival_data(frame, indicator)
    values = np.full(len(frame), np.nan)
    state = np.full(len(time), np.nan)
    if not course.rising:
        state[time >= landmark] = 1.0
        state[(time < landmark) & (event == 1)] = 0.0
    else:
        state[:] = ((time <= landmark) & (event == 1)).astype(float)
    values[kept] = state
    values[follow_up_days(frame) < landmark] = np.nan
    return values, ~np.isnan(values)


def follow_up_days(frame: pd.DataFrame) -> np.ndarray:
    """Days each child was followed: to the extraction date, or to moving out if earlier."""
    days = frame["age_at_extraction_days"].astype("Float64").to_numpy(dtype=float, na_value=np.nan)
    moved = pd.to_datetime(frame["moved_out_date"])
    until_move = (moved - pd.to_datetime(frame["birth_date"])).dt.days.to_numpy(dtype=float,
                                                                              na_value=np.nan)
    return np.fmin(days, until_move)


def _survival_data(frame: pd.DataFrame, indicator: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(time, event, rows kept) for a survival indicator; an interval-censored one
    (bf_duration) by midpoint imputation."""
    if _course(indicator).interval_censored:
        left, right = _interval_bounds(frame, indicator)
        kept = ~np.isnan(left)
        weaned = ~np.isnan(right)
        time = np.where(weaned, (left + np.where(weaned, right, 0.0)) / 2, left)
        return time[kept], weaned[kept].astype(float), kept
    time = frame[f"{indicator}_days"].to_numpy(dtype=float)
    event = frame[f"{indicator}_event"].astype("boolean")
    kept = ~np.isnan(time) & event.notna().to_numpy(dtype=bool)
    return time[kept], event.to_numpy(dtype=float, na_value=np.nan)[kept], kept


def _interval_bounds(frame: pd.DataFrame, indicator: str) -> tuple[np.ndarray, np.ndarray]:
    """An interval-censored indicator's bounds (days; right NaN: right-censored)."""
    return (frame[f"{indicator}_left_days"].to_numpy(dtype=float),
            frame[f"{indicator}_right_days"].to_numpy(dtype=float))


def _interval_censored(indicator: Indicator) -> bool:
    return indicator.time_to_event is not None and indicator.time_to_event.interval_censored


# --------------------------------------------------------------------------- effect rows


def _row(indicator: str, result: Estimate | None, *, measure: str, method: str,
         analysis: str, n_intervention: int, n_comparison: int, note: str = "",
         reason: str | None = None, subgroup: str = "", events: tuple[int, int] | None = None,
         p_value: float | None = None, p_interaction: float | None = None,
         flags: Sequence[str] = ()) -> dict[str, Any]:
    """One effects row from an Estimate (or from a reason when there is none): the result's
    own row (`Estimate.to_row`) with the table's keys, its reason and `note` in the note, and
    its flags with `flags` (and, when not estimable, the kind of reason) in `flags`, in the
    order `FLAGS` declares them."""
    if result is None or reason is not None:
        result = Estimate.not_estimable(measure, method, reason or (result.reason if result else None)
                                        or "not estimable")
    if p_value is not None and result.estimable:
        result = replace(result, p_value=p_value)
    notes = "; ".join(n for n in (result.reason, note) if n)
    flags = sorted({*result.flags, *flags}, key=_FLAG_ORDER.index)
    row = result.to_row(
        indicator=indicator, measure=measure, method=method, p_adjusted=None,
        n_intervention=int(n_intervention), n_comparison=int(n_comparison), note=notes,
        analysis=analysis,
        subgroup=subgroup, p_interaction=p_interaction, multiplicity="",
        events_intervention=None if events is None else int(events[0]),
        events_comparison=None if events is None else int(events[1]),
        flags=";".join(flags))
    return {column: value for column, value in row.items() if column in _EFFECT_COLUMNS}


_FLAG_ORDER = list(FLAGS)  # a row's flags in the order they are declared
_EFFECT_COLUMNS = frozenset(output_table("effects").columns)  # a result's row without n, events, reason


class Reason(str):
    """Why there is no estimate, in words, with the kind of reason (a `FLAGS` id) if known."""

    kind: str | None = None

    def __new__(cls, text: str, kind: str | None = None) -> Reason:
        reason = super().__new__(cls, text)
        reason.kind = kind
        return reason


def _attempt(make: Callable[..., Any], *args: Any, **kwargs: Any) -> tuple[Any, Reason | None]:
    """Run a statistical method (with these arguments); data it cannot estimate from
    (`NotEstimable`) become a reason, with its kind, instead of a crash. Any other error is a
    bug and stops the run rather than being published as a reason."""
    try:
        return make(*args, **kwargs), None
    except NotEstimable as error:
        return None, Reason(f"not estimable: {error}", error.kind)


def _design_note(result: Estimate) -> str:
    """What the covariate design dropped, in words."""
    dropped = result.dropped
    if dropped is None:
        return ""
    parts = []
    if dropped.rows_missing:
        parts.append(f"{dropped.rows_missing} children dropped for missing covariates")
    for terms, label in ((dropped.constant, "constant"), (dropped.aliased, "collinear")):
        if terms:
            parts.append(f"{label} covariate terms dropped: {', '.join(terms)}")
    return "; ".join(parts)


def _group_counts(y: np.ndarray, treated: np.ndarray) -> tuple[int, int, int, int]:
    """(events, n) in the intervention group, then in the comparison group."""
    return (int(np.nansum(y[treated])), int(treated.sum()),
            int(np.nansum(y[~treated])), int((~treated).sum()))
