"""Difference-in-differences rows of design `did`: the DiD (with its design-based checks),
the logistic and restricted-mean DiDs, the event study and the area tables."""

from __future__ import annotations

import contextlib
from collections.abc import Collection, Mapping
from typing import Any

import numpy as np
import pandas as pd

from pipeline.indicators import MIDPOINT_WEANING, time_to_event
from pipeline.indicators import indicator as indicator_entry
from pipeline.outputs import output_table
from pipeline.stages.compare.context import (
    _attempt,
    _Context,
    _course,
    _design_note,
    _DidCells,
    _row,
    _survival_data,
    by_stable_parts,
    half_year_bins,
    landmark_note,
)
from pipeline.stats import (
    Estimate,
    area_checks,
    area_period_cells,
    difference_in_differences,
    event_study,
    logistic_did,
    pairwise_did,
    placebo_p,
    rmst_did,
)


def _did_row(context: _Context, did: _DidCells, indicator: str,
             adjusted: bool = True, randomisation: bool = False,
             landmark: int | None = None) -> dict[str, Any]:
    """Area × period difference-in-differences (design `did`), inference by area.

    Two-way fixed effects: area fixed effects (not an arm dummy, so a changing mix of areas
    is not read as an effect) and birth half-year fixed effects, with the DiD term
    intervention area × after the start; `adjusted` adds the study's covariates (method
    `did`), else method `did_unadjusted`. A survival indicator enters as its landmark
    proportion (`landmark_outcome`). With fewer than 30 areas the wild cluster bootstrap
    gives the p-value and the interval that inverts the same test, never narrower than the
    child-level one; with a single area in an arm no interval is reliable, so the point
    estimate is given without one (the HC1 interval is kept in `note` only). `landmark`
    (days) gives a survival indicator's DiD at that age (analysis `landmark`).
    """
    y, inside, stable_note = did.outcome(indicator, landmark)
    y, treated_area, post = y[inside], did.treated_area[inside], did.post[inside]
    covariates = did.coded_covariates[inside].reset_index(drop=True) if adjusted else None
    complete = did.complete[inside] if adjusted else np.ones(int(inside.sum()), dtype=bool)
    in_area = treated_area[complete] == 1
    e1, e0 = int(y[complete][in_area].sum()), int(y[complete][~in_area].sum())
    n1, n0 = int(in_area.sum()), int((~in_area).sum())
    result, error = _attempt(lambda: difference_in_differences(
        y, treated_area, post, did.area_labels[inside], covariates, area_effects=True,
        period_effects=did.half_year_labels[inside]))
    notes = [(context.adjusted_for if adjusted else "no covariates")
             + " (linear probability model: area and birth half-year fixed effects, "
               "intervention area x after the start)"]
    flags = []
    if (course := time_to_event(indicator)) is not None:
        notes.insert(0, landmark_note(indicator, landmark))
        flags += ["landmark", *(["midpoint_imputed"] if course.interval_censored else [])]
    if stable_note:
        notes.insert(0, stable_note)
    estimate = None
    if result is not None:
        estimate = result.preferred
        cells = result.cells
        counts = [f"{'intervention' if a else 'comparison'} areas {'post' if p else 'pre'}: "
                  f"{int(events)}/{int(n)}"
                  for (a, p), events, n in zip(cells.index, cells["events"], cells["n"], strict=True)]
        notes.append("cells " + ", ".join(counts))
        notes.append(f"{result.n_clusters} areas ({result.n_clusters_treated} intervention)")
        clustered = result.clustered
        if result.wild_bootstrap is not None:
            notes.append(f"p and interval: {result.wild_bootstrap_note}; the interval inverts "
                         "the same test")
            if "widened_to_child_level" in estimate.flags:
                notes.append("interval and p widened to the child-level HC1 ones (never narrower)")
            if "interval_unbounded" in estimate.flags:
                notes.append("the bootstrap interval is unbounded: too few areas to bound it")
            if clustered.estimable:
                notes.append(f"cluster-robust CR1 SE by area, t with {result.n_clusters - 1} df: "
                             f"interval {clustered.ci_low:.4g} to {clustered.ci_high:.4g}, "
                             f"p = {clustered.p_value:.3g} (too narrow with few areas)")
        elif clustered.estimable:
            notes.append(f"cluster-robust CR1 SE by area, t with {result.n_clusters - 1} df")
            if "widened_to_child_level" in estimate.flags:
                notes.append("SE raised to the child-level HC1 one (never narrower)")
        elif estimate.estimable:
            hc1 = estimate
            notes.append(f"{clustered.reason}; no interval is reliable with one area in an arm; "
                         f"the HC1 interval (NOT clustered by area) would be {hc1.ci_low:.4g} to "
                         f"{hc1.ci_high:.4g}, p = {hc1.p_value:.3g}")
            estimate = Estimate(hc1.measure, hc1.method, hc1.estimate, n=hc1.n, events=hc1.events,
                                dropped=hc1.dropped, flags=("hc1_not_clustered",))
        notes += list(result.caveats)
        flags += result.flags
        if estimate.estimable and (design := _design_note(estimate)):
            notes.append(design)
    row = _row(indicator, estimate, measure="did", method="did" if adjusted else "did_unadjusted",
               analysis="itt", n_intervention=n1, n_comparison=n0, reason=error, events=(e1, e0),
               note="; ".join(notes), flags=flags)
    if result is not None:
        row["n_areas_intervention"] = result.n_clusters_treated
        row["n_areas_comparison"] = result.n_clusters - result.n_clusters_treated
    if landmark is not None:
        row |= {"analysis": "landmark", "landmark_days": landmark}
    if randomisation and row["estimate"] is not None:
        row |= _randomisation(y, did.area_labels[inside], post, treated_area, covariates,
                              did.half_year_labels[inside], row["estimate"])
    return row


def _logistic_did_row(context: _Context, did: _DidCells, indicator: str) -> dict[str, Any]:
    """The check on the scale: a logistic DiD (area and birth half-year effects, the
    covariates) whose effect on the intervention areas after the start is standardised to a
    risk difference by g-computation (method `logistic_did`, measure `did`)."""
    y, inside, _ = did.outcome(indicator)
    treated_area, post = did.treated_area[inside], did.post[inside]
    covariates = did.coded_covariates[inside].reset_index(drop=True)
    complete = did.complete[inside]
    in_area = treated_area[complete] == 1
    result, error = _attempt(lambda: logistic_did(
        y[inside], treated_area, post, did.area_labels[inside], covariates,
        period_effects=did.half_year_labels[inside]))
    estimate = None if result is None else result.att
    notes = ["check on the scale: logistic model with area and birth half-year effects, "
             + context.adjusted_for + "; effect on the intervention areas after the start as a "
             "risk difference (g-computation), delta-method SE clustered by area, never below "
             "the child level"]
    if result is not None:
        if result.odds_ratio.estimable:
            notes.append(f"odds ratio {result.odds_ratio.estimate:.3g}")
        notes += list(result.caveats)
    y_used = y[inside][complete]
    return _row(indicator, estimate, measure="did", method="logistic_did", analysis="itt",
                n_intervention=int(in_area.sum()), n_comparison=int((~in_area).sum()),
                reason=error, events=(int(np.nansum(y_used[in_area])),
                                      int(np.nansum(y_used[~in_area]))),
                note="; ".join(notes))


def _rmst_did_row(did: _DidCells, indicator: str) -> dict[str, Any]:
    """DiD of the restricted mean time to the event (days, up to the indicator's
    `rmst_horizon`) from Kaplan–Meier curves of the four area x period groups; interval and p
    from a bootstrap that resamples areas within each arm (method `kaplan_meier`, measure
    `rmst_did`)."""
    course = _course(indicator)
    time, event, kept = _survival_data(did.cells, indicator)
    horizon = course.rmst_horizon
    treated_area, post = did.treated_area[kept], did.post[kept]
    result, error = _attempt(lambda: rmst_did(time, event, treated_area, post, did.area_labels[kept],
                                              horizon))
    notes = [f"restricted mean {course.rmst_measures} up to {horizon} days: DiD of the four "
             "Kaplan–Meier areas, area bootstrap within arms (coarse with few areas); unadjusted"]
    flags = []
    if course.interval_censored:
        notes.append(MIDPOINT_WEANING)
        flags.append("midpoint_imputed")
    if course.rising:
        notes.append(f"negative: {course.earlier} in the intervention areas")
    in_area = treated_area == 1
    return _row(indicator, result, measure="rmst_did", method="kaplan_meier", analysis="itt",
                n_intervention=int(in_area.sum()), n_comparison=int((~in_area).sum()),
                reason=error, events=(int(event[in_area].sum()), int(event[~in_area].sum())),
                note="; ".join(notes), flags=flags)


def event_study_table(context: _Context, did_cells: pd.DataFrame) -> pd.DataFrame:
    """DiD coefficients by birth half-year relative to the start (the last half-year before
    it is the reference), area and half-year effects and the covariates; one block per
    indicator (a survival indicator at its landmark). The joint test of the pre-start
    coefficients is `pretrend_p` (and summary.csv's `pretrend_joint_p`)."""
    did = context.did(did_cells)
    start = pd.Timestamp(context.study.design.programme_start)
    born = pd.to_datetime(did.cells["birth_date"])
    period = half_year_index(born, start)
    rows = []
    for indicator in context.indicators:
        y, inside, _ = did.outcome(indicator.id)
        result, error = _attempt(event_study, y[inside], did.treated_area[inside],
                                 period[inside], did.area_labels[inside],
                                 did.coded_covariates[inside].reset_index(drop=True))
        if result is None or not result.estimable:
            continue
        labels = _label_of_each(period[inside], did.half_year[inside])
        note = result.pre_trend.summary()
        for record in result.table.to_dict("records"):
            rows.append({"indicator": indicator.id,
                         "half_years_from_start": int(record["period"]),
                         "half_year": labels.get(record["period"], ""),
                         "estimate": record["estimate"], "ci_low": record["ci_low"],
                         "ci_high": record["ci_high"], "p_value": record["p_value"],
                         "n_intervention": record["n_intervention"],
                         "n_comparison": record["n_comparison"], "pre": bool(record["pre"]),
                         "reference": bool(record["reference"]),
                         "adjusted": bool(context.covariate_names),
                         "pretrend_p": result.pre_trend.p_value,
                         "note": "; ".join(x for x in (note, _text_or_empty(record["reason"]))
                                           if x)})
    return output_table("event_study").frame(rows)


def _text_or_empty(value: object) -> str:
    return "" if value is None or pd.isna(value) else str(value)


def _label_of_each(period: np.ndarray, labels: np.ndarray) -> dict[int, Any]:
    """`dict(zip(period, labels))` (each period's label at its last child) without a Python
    step per child: a million children's pairs took 45 ms, once per indicator."""
    if not len(period):
        return {}
    low = int(period.min())
    last = np.full(int(period.max()) - low + 1, -1)
    np.maximum.at(last, period - low, np.arange(len(period)))
    found = np.flatnonzero(last >= 0)
    return dict(zip((found + low).tolist(), labels[last[found]].tolist(), strict=True))


def half_year_index(birth: pd.Series, programme_start: pd.Timestamp) -> np.ndarray:
    """Each birth's half-year relative to the programme start: 0 the first half-year from
    the start, -1 the half-year before it (the bins of `half_year_bins`)."""
    bins = half_year_bins(birth, programme_start)
    months = (bins.dt.year - programme_start.year) * 12 + (bins.dt.month - programme_start.month)
    return np.floor_divide(months.to_numpy(dtype=float), 6).astype(int)


def _checks_of(data: tuple, extra: pd.DataFrame, rows: np.ndarray) -> dict[str, Any] | None:
    """The randomisation test and placebo areas of the children `rows` of `data` (outcome,
    area, post, treated area) with the model terms `extra`; None where they cannot be made
    (as `_randomisation` gives none)."""
    try:
        return area_checks(*(part[rows] for part in data), extra[rows].reset_index(drop=True),
                           checks=("randomisation", "placebo_areas"))
    except (ValueError, np.linalg.LinAlgError):
        return None


def _randomisation(y: np.ndarray, area: pd.Categorical, post: np.ndarray, treated_area: np.ndarray,
                   covariates: pd.DataFrame | None, half_year: pd.Categorical,
                   estimate: float) -> dict[str, Any]:
    """Design-based checks of a DiD under the same model (area and half-year effects, the
    covariates): randomisation inference over every assignment of areas to the arms (its p
    and the smallest p the design allows), and where the estimate falls among the DiDs of
    each comparison area as a placebo intervention area (its p and floor)."""
    extra = _model_terms(covariates, half_year)
    try:
        checks = area_checks(y, area, post, treated_area, extra,
                             checks=("randomisation", "placebo_areas"))
    except (ValueError, np.linalg.LinAlgError):
        return {}
    return design_based_p(checks, estimate)


def design_based_p(checks: dict[str, Any], estimate: float) -> dict[str, Any]:
    """A DiD row's design-based p-values from its area checks (`area_checks`' randomisation
    test and placebo table): p_randomisation and p_floor, p_placebo and p_placebo_floor."""
    found: dict[str, Any] = {}
    test = checks["randomisation"]
    found["p_floor"] = test.p_floor
    if test.estimable:
        found["p_randomisation"] = test.p_value
    placebo_test = placebo_p(estimate, checks["placebo_areas"]["did_adjusted"])
    if placebo_test.estimable:
        found |= {"p_placebo": placebo_test.p_value, "p_placebo_floor": placebo_test.p_floor}
    return found


def _model_terms(covariates: pd.DataFrame | None, half_year: pd.Categorical) -> pd.DataFrame:
    """The DiD model's terms besides area and the DiD term: birth half-year effects and the
    covariates, as covariates for the design-based checks (which add area effects and post).

    A dummy per half-year the children were born in but the first (in sorted order), as
    `pd.get_dummies(..., drop_first=True)` codes the half-years' texts, made from the
    categorical's codes (a child without a half-year 0 in every column)."""
    codes = half_year.codes
    present = np.flatnonzero(np.bincount(codes[codes >= 0], minlength=len(half_year.categories)))
    halves = pd.DataFrame({f"half_year_{half_year.categories[level]}": (codes == level).astype(float)
                           for level in present[1:]}, index=pd.RangeIndex(len(codes)))
    return halves if covariates is None else pd.concat([covariates, halves], axis=1)


def did_area_tables(context: _Context, did_cells: pd.DataFrame
                    ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """What a reader can check without any model of the few-area DiD, per indicator.

    `did_cells`: children, events and proportion in each area before and after the start
    (the indicator as the DiD defines it). `did_areas`: every pairwise DiD (one intervention
    area against one comparison area, unadjusted cell arithmetic), the DiD without each
    area in turn, and each comparison area as a placebo intervention area; `did_unadjusted`
    with area effects and post only, `did_adjusted` with the headline's model (birth
    half-year effects and the covariates).
    """
    cells, areas, _ = did_area_checks(context, did_cells)
    return cells, areas


def areas_checked_together(context: _Context, did_cells: pd.DataFrame) -> dict[str, set[str]]:
    """For each intervention area, the indicators whose area DiD row takes its design-based
    checks from the whole study's panel ("DiD by area", `did_area_checks`' `alone`) rather
    than from a panel of its own in the area's piece: all of them when the area's piece has
    exactly the children of the area and of the comparison areas (as `_in_area` chooses them,
    by the comparison groups), but an indicator that `did_outcome` defines by its stable parts
    in one set of children and not in the other. Each area's children then come to the same
    panel rows as in the whole study's, and each area's block of them (`area_checks`) is made
    once instead of once per intervention area and again for the whole study."""
    did = context.did(did_cells)
    comparison = did_cells["group"].astype("string").str.startswith("comparison").fillna(
        False).to_numpy(dtype=bool)
    births = did_cells["birth_date"]
    areas = did_cells["area"].astype("string")
    # whether each indicator is taken by its stable parts among all children (once, not per area)
    entries = {indicator.id: indicator_entry(indicator.id) for indicator in context.indicators}
    whole = {name: by_stable_parts(entry, births) for name, entry in entries.items()}
    chosen: dict[str, set[str]] = {}
    for area in context.study.design.intervention_areas:
        own = areas.eq(area).fillna(False).to_numpy(dtype=bool)
        piece = own | comparison
        if not np.array_equal(piece, own | (did.treated_area == 0)):
            continue  # a comparison group's child counted in an intervention area, or the reverse
        piece_births = births[piece]
        chosen[area] = {name for name, entry in entries.items()
                        if whole[name] == by_stable_parts(entry, piece_births)}
    return chosen


def did_area_checks(context: _Context, did_cells: pd.DataFrame, randomisation: bool = False,
                    alone: Mapping[str, Collection[str]] | None = None,
                    ) -> tuple[pd.DataFrame, pd.DataFrame, dict[tuple[str, str], dict[str, Any]]]:
    """`did_area_tables`, and with `randomisation` the area checks of DiD rows
    (`design_based_p`: the randomisation test and the placebo areas, from the same panel of
    children as the tables, built once for all), by area and indicator: the whole study's
    ("all") and, for each intervention area in `alone` (`areas_checked_together`), those of
    its own DiD row for the indicators it names."""
    did = context.did(did_cells)
    cells, areas, checked = [], [], {}
    wanted = ("leave_one_out", "placebo_areas", *(("randomisation",) if randomisation else ()))
    for indicator in context.indicators:
        y, inside, _ = did.outcome(indicator.id)
        data = (y[inside], did.area_labels[inside], did.post[inside], did.treated_area[inside])
        extra = _model_terms(did.coded_covariates[inside].reset_index(drop=True),
                             did.half_year_labels[inside])
        each = [area for area, ids in (alone or {}).items() if randomisation and indicator.id in ids]
        pairs = checks = None  # an area in both arms, or no child: the effects rows say why
        with contextlib.suppress(ValueError, np.linalg.LinAlgError):
            cells.append(area_period_cells(*data).assign(indicator=indicator.id))
            pairs = pairwise_did(*data).rename(columns={"did": "did_unadjusted"})
        with contextlib.suppress(ValueError, np.linalg.LinAlgError):
            checks = area_checks(*data, extra, checks=wanted, each_intervention_area=bool(each))
        if randomisation and checks is not None:
            checked["all", indicator.id] = {name: checks[name]
                                            for name in ("randomisation", "placebo_areas")}
        for area in each:
            found = (checks or {}).get("intervention_areas", {}).get(area)
            if found is None:  # from the area's children and the comparison areas' alone
                found = _checks_of(data, extra, (data[1] == area) | (data[3] == 0))
            if found is not None:
                checked[area, indicator.id] = found
        if pairs is None or checks is None:
            continue
        areas += [pairs.assign(analysis="pairwise"),
                  checks["leave_one_out"].assign(analysis="leave_one_out"),
                  checks["placebo_areas"].assign(analysis="placebo_area")]
        for frame in areas[-3:]:
            frame["indicator"] = indicator.id
            # as for effects.csv: a model with covariates is not cell arithmetic
            frame["adjusted"] = bool(context.covariate_names)
    cell_rows = [r for frame in cells for r in frame.to_dict("records")]
    area_rows = [r for frame in areas for r in frame.to_dict("records")]
    return (output_table("did_cells").frame(cell_rows),
            output_table("did_areas").frame(area_rows), checked)
