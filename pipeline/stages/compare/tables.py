"""The compare stage's other tables: summary, missing data, trends, design, balance, power."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from pipeline.config import Study
from pipeline.indicators import Indicator, present
from pipeline.outputs import output_table
from pipeline.stages.compare.context import (
    COMPARED_KINDS,
    DID_GROUPS,
    GROUPS,
    _attempt,
    _Context,
    _group_counts,
    _in_area,
    _interval_censored,
    _rows_in,
    analysed_columns,
    binary_outcome,
    design_outcome,
    did_outcome,
    half_year_bins,
    landmark_outcome,
)
from pipeline.stats import (
    DEFAULT_CAC,
    NotEstimable,
    areas_needed,
    baseline_difference,
    equivalence_rating,
    estimate_icc,
    iptw_weights,
    minimum_detectable_did,
    minimum_detectable_difference,
    missingness_table,
    propensity_scores,
    proportion,
    sample_size_two_proportions,
    standardised_mean_difference,
)
from pipeline.summary import (
    ALPHA,
    FEW_CHILDREN,
    PRE_TREND_ALPHA,
    RELIABLE_AREAS_PER_ARM,
    corrected_floor,
    headline,
    repeated_from,
    verdict,
)

# --------------------------------------------------------------------------- summary


def summary_table(study: Study, effects: pd.DataFrame, cohort: pd.DataFrame,
                  trends: pd.DataFrame, events: pd.DataFrame | None = None,
                  observed: dict[tuple[str, str], tuple[dict[str, Any], bool]] | None = None
                  ) -> pd.DataFrame:
    """One row per indicator and area: the design's headline, its verdict and what was seen.

    See `pipeline.summary` for the rules. The observed columns are the shares in each group
    (for `did` also before the start), never the effect: `observed_by_area`'s, made here
    unless the caller made them already (the compare stage, among its pieces).
    """
    design = study.design.type
    # the rows a summary row reads, grouped once by analysis, indicator and area: the ITT
    # rows (no subgroup), the analyses without pandemic births and the placebo starts
    read = effects[(effects["analysis"].eq("itt") & effects["subgroup"].eq(""))
                   | effects["analysis"].isin(("no_pandemic", "placebo"))]
    by_analysis: dict[tuple[str, str, str], list[dict[str, Any]]] = {}
    for record in read.to_dict("records"):
        key = (record["analysis"], record["indicator"], record["area"])
        by_analysis.setdefault(key, []).append(record)
    if observed is None:
        observed = observed_by_area(study, cohort)
    holm = holm_family_sizes(effects)
    rows = []
    for area in ("all", *study.design.intervention_areas):
        for indicator in present(cohort.columns, COMPARED_KINDS):
            row = _summary_row(study, design, indicator, area, by_analysis,
                               observed[(area, indicator.id)], holm.get(area, 1))
            if area == "all" and events is not None:
                row["pretrend_joint_p"] = _pretrend_joint_p(events, indicator.id)
            rows.append(row)
    # an indicator whose headline is another's over again (age at MMR's DiD at 24 months: MMR by
    # 24 months'; `same_headline_as`) has that one's verdict: its p is that one's, adjusted in
    # that one's family, whose floor the verdict also reads
    by_area: dict[str, dict[str, dict[str, Any]]] = {}
    for row in rows:
        by_area.setdefault(row["area"], {})[row["indicator"]] = row
    for row in rows:
        same_area = by_area[row["area"]]
        if (twin := repeated_from(row["indicator"], row, same_area)) is not None:
            row |= {key: same_area[twin].get(key) for key in ("verdict", "reason", "reason_detail")}
    return output_table("summary").frame(rows)


def observed_by_area(study: Study, cohort: pd.DataFrame, in_groups: pd.DataFrame | None = None
                     ) -> dict[tuple[str, str], tuple[dict[str, Any], bool]]:
    """What each compared indicator's groups show, by (area, indicator): denominator, events
    and share per group (`_observed`), and whether its definition changed within the study
    (the caveat "stable_definition", `did` and `historical`: both compare children born before
    and after the start). `in_groups`: the cohort's children in
    DID_GROUPS with the analysed columns, when the caller has them already (a million
    children's take of them costs over half a second)."""
    design = study.design.type
    if in_groups is None:
        in_groups = _rows_in(cohort, DID_GROUPS, analysed_columns(cohort))
    seen = {}
    for area in ("all", *study.design.intervention_areas):
        groups = in_groups if area == "all" else _in_area(in_groups, area, design)
        # each group's children, found once per area rather than once per indicator
        in_group = {name: groups["group"].eq(name).fillna(False).to_numpy(dtype=bool)
                    for name in (DID_GROUPS if design == "did" else GROUPS)}
        for indicator in present(cohort.columns, COMPARED_KINDS):
            seen[(area, indicator.id)] = _observed(groups, indicator, design, in_group)
    return seen


def _pretrend_joint_p(events: pd.DataFrame, indicator: str) -> float | None:
    """The event study's joint test of the pre-start coefficients of an indicator."""
    values = events.loc[events["indicator"].eq(indicator), "pretrend_p"].dropna()
    return float(values.iloc[0]) if len(values) else None


def holm_family_sizes(effects: pd.DataFrame) -> dict[str, int]:
    """By area, how many indicators Holm's correction of the primary indicators took (one not
    estimable counts, as p = 1: `stats.holm`)."""
    family = effects[effects["multiplicity"].eq("holm_primary")]
    return {str(area): int(size) for area, size in family.groupby("area", sort=False).size().items()}


def _summary_row(study: Study, design: str, indicator: Indicator, area: str,
                 by_analysis: dict[tuple[str, str, str], list[dict[str, Any]]],
                 observed: tuple[dict[str, Any], bool], holm_size: int = 1) -> dict[str, Any]:
    """One indicator's summary row in one area; `by_analysis`: the effects rows of analyses
    itt (no subgroup), no_pandemic and placebo by (analysis, indicator, area); `observed`:
    its groups' shares and whether its definition changed (`observed_by_area`); `holm_size`:
    how many indicators the area's Holm correction took (`corrected_floor`)."""
    chosen = headline(design, indicator.kind, _interval_censored(indicator))
    row_of = {(r["method"], r["measure"]): r
              for r in by_analysis.get(("itt", indicator.id, area), [])}
    head = row_of.get((chosen.method, chosen.measure))
    row: dict[str, Any] = {"indicator": indicator.id, "area": area, "kind": indicator.kind,
                           "primary": indicator.id in study.primary_indicators,
                           "analysis": "itt", "method": chosen.method, "measure": chosen.measure,
                           "design": design}
    caveats = []
    if head is None:
        row |= {"verdict": "not_estimable", "reason": "not_estimable",
                "reason_detail": "the design's estimate was not computed"}
    else:
        for column in ("estimate", "ci_low", "ci_high", "p_value", "p_adjusted", "multiplicity",
                       "n_intervention", "n_comparison", "n_areas_intervention",
                       "n_areas_comparison", "adjusted", "p_randomisation", "p_floor",
                       "p_placebo", "p_placebo_floor"):
            row[column] = head.get(column)
        row["verdict"], row["reason"] = verdict(head["estimate"], head["ci_low"],
                                                head["ci_high"], head["p_adjusted"],
                                                chosen.measure)
        if row["verdict"] == "not_estimable":
            row["reason_detail"] = head.get("note", "")
        if design == "did":
            caveats += _did_caveats(head)
            floor = corrected_floor(head.get("p_floor"), head.get("multiplicity"), holm_size)
            if row["verdict"] in ("higher", "lower") and floor is not None and floor > ALPHA:
                # the design cannot support a significance claim, whatever the model says: not
                # even after the correction for the family's other indicators
                row["verdict"], row["reason"] = "unclear", "design_cannot_reach_significance"
    if chosen.sensitivity_method is not None:
        check = row_of.get((chosen.sensitivity_method, chosen.sensitivity_measure))
        if check is not None:
            row |= {"sensitivity_method": chosen.sensitivity_method,
                    "sensitivity_estimate": check["estimate"],
                    "sensitivity_ci_low": check["ci_low"], "sensitivity_ci_high": check["ci_high"]}
    if design == "did":
        check = row_of.get(("logistic_did", "did"))
        if check is not None:
            row |= {"logistic_estimate": check["estimate"], "logistic_ci_low": check["ci_low"],
                    "logistic_ci_high": check["ci_high"]}
        without = by_analysis.get(("no_pandemic", indicator.id, area))
        if without:
            check = without[0]
            row |= {"no_pandemic_estimate": check["estimate"],
                    "no_pandemic_ci_low": check["ci_low"], "no_pandemic_ci_high": check["ci_high"]}
        pre = by_analysis.get(("placebo", indicator.id, area))
        if pre:
            test = pre[0]
            row |= {"pretrend_estimate": test["estimate"], "pretrend_ci_low": test["ci_low"],
                    "pretrend_ci_high": test["ci_high"], "pretrend_p": test["p_value"]}
            if pd.notna(test["p_value"]) and test["p_value"] < PRE_TREND_ALPHA:
                caveats.append("pre_trends_differ")
    if design == "concurrent":
        # areas against areas, with intervals that take each child as independent of the others
        # (the DiD's are cluster-robust by area): said once on page one (`narrative`)
        row["n_areas_intervention"] = 1 if area != "all" else len(study.design.intervention_areas)
        row["n_areas_comparison"] = len(study.design.comparison_areas)
        caveats.append("areas_not_clustered")
        # Its children-level p cannot tell the programme from how areas differ anyway: a test
        # over which areas had the programme could give 1 in comb(areas, intervention areas) at
        # the lowest. Where that floor (after the family's correction) is above 5 %, no
        # significance claim (an area's report, 1 of 10 areas: 0.1; its page one called a
        # 9-point fall "larger than chance", p = 0.034, where the truth was a rise).
        treated, compared = row["n_areas_intervention"], row["n_areas_comparison"]
        if treated and compared and pd.isna(row.get("p_floor")):  # a test's own, else the areas'
            # (two-sided: where the arms are as many areas each, a choice's complement is as extreme)
            row["p_floor"] = (2 if treated == compared else 1) / math.comb(treated + compared, treated)
        floor = corrected_floor(row.get("p_floor"), row.get("multiplicity"), holm_size)
        if row["verdict"] in ("higher", "lower") and floor is not None and floor > ALPHA:
            row["verdict"], row["reason"] = "unclear", "design_cannot_reach_significance"
        elif row["verdict"] in ("higher", "lower") and pd.notna(row.get("p_randomisation")) \
                and row["p_randomisation"] >= ALPHA:
            # the areas with the programme do not stand out among every choice of as many areas
            # (a 6,000-child study: rotavirus 6 points lower, "larger than chance", where the
            # truth was no effect and the intervention areas sat among the comparison areas)
            row["verdict"], row["reason"] = "unclear", "areas_differ_as_much"
    shares, changed_definition = observed
    row |= shares
    if changed_definition:
        caveats.append("stable_definition")
    if min(row["n_denominator_intervention"], row["n_denominator_comparison"]) < FEW_CHILDREN:
        caveats.append("few_children")
    row["caveats"] = ";".join(caveats)
    return row


def _did_caveats(head: dict[str, Any]) -> list[str]:
    caveats = []
    treated, comparison = head.get("n_areas_intervention"), head.get("n_areas_comparison")
    if pd.notna(treated) and pd.notna(comparison):
        floor = head.get("p_floor")
        if min(treated, comparison) < 2:
            caveats.append("one_area_in_arm")
        elif min(treated, comparison) < RELIABLE_AREAS_PER_ARM:
            # no method gives a reliable interval when not even a randomisation test over
            # the areas can reach 5 %; with more areas only the few treated ones make it shaky.
            # Without the test's floor (not run: an area without children after the start), the
            # areas' own: one assignment in comb(areas, treated) (s5's language screening, 2 of
            # 10 areas, was "very uncertain with only 10 areas" beside "only 2 areas" elsewhere)
            if floor is None or pd.isna(floor):
                floor = 1 / math.comb(int(treated + comparison), int(treated))
            reachable = floor <= ALPHA
            caveats.append("few_treated_areas" if reachable else "very_few_areas")
        elif treated + comparison < 30:
            caveats.append("few_areas")
    if pd.notna(head.get("estimate")) and (pd.isna(head.get("ci_low"))
                                           or pd.isna(head.get("ci_high"))):
        flags = str(head.get("flags") or "").split(";")
        caveats.append("interval_unbounded" if "interval_unbounded" in flags else "no_interval")
    return caveats


def _observed(groups: pd.DataFrame, indicator: Indicator, design: str,
              in_group: dict[str, np.ndarray]) -> tuple[dict[str, Any], bool]:
    """Denominator, events and share per group (`in_group`: each group's children): what was
    seen (not the effect); and whether the indicator's definition changed within the study
    (`did` and `historical`: its stable parts are compared then)."""
    changed_definition = False
    if design in ("did", "historical"):  # as the DiD defines it, the same before and after the start
        y, inside, changed = did_outcome(groups, indicator.id)
        changed_definition = bool(indicator.stable_parts and changed)
    elif indicator.time_to_event is not None:
        y, inside = landmark_outcome(groups, indicator.id)
    else:
        y, inside = binary_outcome(groups, indicator.id)
    found: dict[str, Any] = {}
    for name, children in in_group.items():
        counted = inside & children
        n, events = int(counted.sum()), int(np.nansum(y[counted]))
        found[f"n_denominator_{name}"] = n
        found[f"events_{name}"] = events
        found[f"proportion_{name}"] = events / n if n else None
    return found, changed_definition


def missing_data_table(study: Study, cohort: pd.DataFrame) -> pd.DataFrame:
    """Missing values of each indicator and covariate by arm and period (SPEC §7).

    An indicator counts the children followed up to its age (its denominator and those
    missing only for want of an assessment: `no_assessment`); a covariate counts every child
    of the group. `arm` is the area's arm, `period` before or after the start: under
    `historical` every child is of an intervention area, its comparison group born before the
    start (they read as comparison children after the start).
    """
    indicators = [indicator.id for indicator in present(cohort.columns, ("binary",))]
    read = ["group", *indicators, *(f"{name}_excluded" for name in indicators), *study.covariates]
    # only the columns read: the cohort's every column taken for the children costs a second
    # at a million children
    groups = _rows_in(cohort, DID_GROUPS if study.design.type == "did" else GROUPS,
                      [column for column in dict.fromkeys(read) if column in cohort.columns])
    group = groups["group"].astype("string")
    if study.design.type == "historical":  # intervention areas: born after / before the start
        arm = np.full(len(groups), "intervention")
        period = np.where(group.eq("comparison").fillna(False).to_numpy(dtype=bool), "pre", "post")
    else:
        arm = np.where(group.str.startswith("intervention").fillna(False).to_numpy(dtype=bool),
                       "intervention", "comparison")
        period = np.where(group.str.endswith("_pre").fillna(False).to_numpy(dtype=bool), "pre", "post")
    frame = pd.DataFrame({"arm": arm, "period": period})
    tables = []
    for indicator in present(cohort.columns, ("binary",)):
        if indicator.id not in groups.columns:
            continue
        followed = groups[indicator.id].notna()
        if f"{indicator.id}_excluded" in groups.columns:
            excluded = groups[f"{indicator.id}_excluded"].astype("string")
            followed |= excluded.eq("no_assessment").fillna(False)
        part = frame[followed.to_numpy(dtype=bool)].assign(
            **{indicator.id: groups.loc[followed.to_numpy(dtype=bool), indicator.id].to_numpy()})
        tables.append(missingness_table(part, [indicator.id], ["arm", "period"])
                      .assign(kind="indicator"))
    names = [name for name in study.covariates if name in groups.columns]
    if names:
        tables.append(missingness_table(frame.assign(**{n: groups[n].to_numpy() for n in names}),
                                        names, ["arm", "period"]).assign(kind="covariate"))
    rows = [r for table in tables for r in table.to_dict("records")]
    return output_table("missing_data").frame(rows)


# --------------------------------------------------------------------------- trends and design


def trends_table(cohort: pd.DataFrame, study: Study) -> pd.DataFrame:
    """Each indicator's share by birth half-year in intervention and comparison areas.

    For the parallel-trends figure: every child in the study (both periods), by the area
    arm (`area_group`) and the half-year of birth; survival indicators at their landmark.
    Half-years are counted from the programme start (`half_year_bins`), so no half-year mixes
    children born before and after it; `half_year` is its first month ("2020-09").
    """
    in_study = cohort[cohort["in_study"].fillna(False).to_numpy(dtype=bool)].reset_index(drop=True)
    programme_start = pd.Timestamp(study.design.programme_start)
    start = half_year_bins(pd.to_datetime(in_study["birth_date"]), programme_start)
    # each child's cell (arm, half-year) as one code, numbered in the cells' sorted order, made
    # once: a cell per indicator is then a count of codes, not a group-by of a million rows
    cells, cell_of = _arm_half_year_cells(in_study["area_group"].astype("string").fillna(""), start)
    rows = []
    for indicator in present(cohort.columns, COMPARED_KINDS):
        if study.design.type in ("did", "historical"):  # as the DiD defines it, before and after
            y, inside, _ = did_outcome(in_study, indicator.id)
        elif indicator.time_to_event is not None:
            y, inside = landmark_outcome(in_study, indicator.id)
        else:
            y, inside = binary_outcome(in_study, indicator.id)
        counted = np.asarray(inside, dtype=bool) & (cell_of >= 0)
        sizes = np.bincount(cell_of[counted], minlength=len(cells))
        totals = np.bincount(cell_of[counted], weights=np.asarray(y, dtype=float)[counted],
                             minlength=len(cells))
        for (arm_name, half_year, first_day), size, total in zip(cells, sizes, totals, strict=True):
            if not arm_name or not size:
                continue
            n, events = int(size), int(total)
            share = proportion(events, n)
            rows.append({"indicator": indicator.id, "arm": arm_name, "half_year": half_year,
                         "half_year_start": first_day.date().isoformat(),
                         "period": "post" if first_day >= programme_start else "pre",
                         "n": n, "events": events, "proportion": share.estimate,
                         "ci_low": share.ci_low, "ci_high": share.ci_high})
    return output_table("trends").frame(rows)


def _arm_half_year_cells(arm: pd.Series, start: pd.Series
                         ) -> tuple[list[tuple[str, str, pd.Timestamp]], np.ndarray]:
    """The (arm, half-year, its first day) cells in sorted order, as a group-by sorts them,
    and each child's cell (−1 for a child without a birth half-year, which a group-by drops).
    A half-year's "YYYY-MM" sorts as its first day does, so the cells sort by arm and day."""
    arm_code, arms = pd.factorize(arm, sort=True)
    day_code, days = pd.factorize(start, sort=True)  # a missing day: −1
    cell_code = np.where(day_code >= 0, arm_code * len(days) + day_code, -1)
    present_codes, cell_of = np.unique(cell_code, return_inverse=True)
    if len(present_codes) and present_codes[0] < 0:  # the children without a half-year
        cell_of = cell_of - 1
        present_codes = present_codes[1:]
    cells = [(str(arms[code // len(days)]), days[code % len(days)].strftime("%Y-%m"),
              days[code % len(days)]) for code in present_codes]
    return cells, cell_of.ravel()


def design_table(cohort: pd.DataFrame, study: Study) -> pd.DataFrame:
    """Who is compared with whom: children in the design's groups per area and period."""
    design = study.design
    # the children in a group: their area, period and group (only what a cell reads)
    grouped = cohort.loc[cohort["group"].notna().to_numpy(dtype=bool), ["area", "period", "group"]]
    area, period_of = grouped["area"].astype("string"), grouped["period"].astype("string")
    first, start = pd.Timestamp(design.born_from), pd.Timestamp(design.programme_start)
    last = pd.Timestamp(design.born_to)
    rows = []
    for arm, areas in (("intervention", design.intervention_areas),
                       ("comparison", design.comparison_areas)):
        for name in areas:
            for period, born_from, born_to in (("pre", first, start - pd.Timedelta(days=1)),
                                               ("post", start, last)):
                cell = grouped[area.eq(name).fillna(False).to_numpy(dtype=bool)
                               & period_of.eq(period).fillna(False).to_numpy(dtype=bool)]
                if cell.empty and not _period_in_design(design.type, arm, period):
                    continue
                rows.append({"arm": arm, "area": name, "period": period,
                             "born_from": born_from.date().isoformat(),
                             "born_to": born_to.date().isoformat(),
                             "group": cell["group"].iloc[0] if len(cell) else "",
                             "children": len(cell)})
    return output_table("design").frame(rows)


def _period_in_design(design: str, arm: str, period: str) -> bool:
    """Whether an arm x period cell belongs to the design's comparison at all."""
    if design == "did":
        return True
    if design == "concurrent":
        return period == "post"
    return arm == "intervention"  # historical: the intervention areas before and after


# --------------------------------------------------------------------------- balance


def balance_table(context: _Context) -> pd.DataFrame:
    """WWC standardised differences and Austin SMDs per covariate (level), before and after."""
    treated = context.treated
    weights, reason = None, None
    try:
        scores = propensity_scores(treated.astype(float), context.covariates)
        usable = ~np.isnan(scores)
        weights = np.full(len(treated), np.nan)
        weights[usable] = iptw_weights(treated[usable], scores[usable], "ATT")
    except NotEstimable as error:
        reason = f"no weights: {error}"
    rows = []
    for name in context.covariate_names:
        column = context.covariates[name]
        if isinstance(column.dtype, pd.CategoricalDtype):
            present = column.notna().to_numpy()
            pieces = [(str(level), np.where(present, (column == level).to_numpy(dtype=float),
                                            np.nan), True) for level in column.cat.categories]
        else:
            values = column.to_numpy(dtype=float)
            observed = values[~np.isnan(values)]
            is_binary = bool(np.isin(observed, (0.0, 1.0)).all())
            pieces = [("true" if is_binary else "", values, is_binary)]
        for level, values, binary in pieces:
            rows.append(_balance_row(name, level, values, binary, treated, weights, reason)
                        | {"area": context.area})
    return output_table("balance").frame(rows)


def _balance_row(name: str, level: str, values: np.ndarray, binary: bool, treated: np.ndarray,
                 weights: np.ndarray | None, reason: str | None) -> dict[str, Any]:
    x1, x0 = values[treated], values[~treated]
    before = baseline_difference(x1, x0, binary=binary)
    smd_before = standardised_mean_difference(x1, x0, binary=binary)
    after = smd_after = None
    notes = [] if before.estimable else [f"before: {before.reason}"]
    if weights is not None:
        # Children without a propensity score (missing covariates) carry weight 0 after.
        w = np.nan_to_num(weights, nan=0.0)
        w1, w0 = w[treated], w[~treated]
        after = baseline_difference(x1, x0, w1, w0, binary=binary)
        smd_after = standardised_mean_difference(x1, x0, w1, w0, binary=binary)
        if not after.estimable:
            notes.append(f"after: {after.reason}")
    elif reason:
        notes.append(reason)
    return {
        "covariate": name, "level": level,
        "measure": "cox_index" if binary else "hedges_g",
        "value_before": before.estimate,
        "value_after": None if after is None else after.estimate,
        "smd_before": smd_before.estimate,
        "smd_after": None if smd_after is None else smd_after.estimate,
        "rating_before": equivalence_rating(before.estimate),
        "rating_after": equivalence_rating(None if after is None else after.estimate),
        "n_intervention": int((~np.isnan(x1)).sum()), "n_comparison": int((~np.isnan(x0)).sum()),
        "note": "; ".join(notes),
        # children with the level: published so that small-cell suppression can protect them
        "n_level_intervention": int(np.nansum(x1)) if binary else None,
        "n_level_comparison": int(np.nansum(x0)) if binary else None,
    }


# --------------------------------------------------------------------------- power


def power_table(population: pd.DataFrame, named_difference: float,
                study: Study | None = None) -> pd.DataFrame:
    """Minimum detectable difference (80% power, two-sided 5%) and n for a named difference.

    `mdd`/`n_per_group_needed` count children as independent; the programme is assigned by
    area, so with a study the `*_areas` columns plan with areas as clusters
    (`minimum_detectable_did`, analytic, area-level t test): the intra-area correlation is
    estimated from the data (children after the start, by area; truncated at 0), children per
    area is the mean per area and period, and the cluster autocorrelation across periods is
    the planning default (0.8). With few areas that answer is the honest one. With a study,
    each indicator is defined as its design defines it (`design_outcome`: a historical study
    plans fully vaccinated by its stable parts, as it compares them).
    """
    treated = population["group"].eq("intervention").to_numpy(dtype=bool)
    area = population["area"].astype("string").fillna("").to_numpy(dtype=object)
    rows = []
    for indicator in (i.id for i in present(population.columns, ("binary",))):
        y, inside = (binary_outcome(population, indicator) if study is None
                     else design_outcome(study.design.type, population, indicator))
        e1, n1, e0, n0 = _group_counts(y[inside], treated[inside])
        row: dict[str, Any] = {"indicator": indicator, "n_intervention": n1, "n_comparison": n0,
                               "difference_named": named_difference}
        notes = []
        if n0 == 0:
            rows.append(row | {"note": "no children in the comparison group: no baseline "
                                       "proportion to plan from"})
            continue
        p0 = e0 / n0
        row["p_comparison"] = p0
        detectable = minimum_detectable_difference(p0, n1, n0)
        row["mdd"], row["mdd_decrease"] = detectable.increase, detectable.decrease
        if detectable.reason:
            notes.append(detectable.reason)
        difference = named_difference if p0 + named_difference <= 1 else -named_difference
        if difference != named_difference:
            notes.append(f"p_comparison + {named_difference:g} exceeds 1: sample size is for a "
                         f"fall of {named_difference:g}")
        needed, error = _attempt(lambda: sample_size_two_proportions(p0, difference))  # noqa: B023
        if needed is not None:
            row["n_per_group_needed"] = needed.n_comparison
            row["n_per_group_needed_corrected"] = needed.n_comparison_corrected
            notes.append("equal groups; corrected: Fleiss–Tytun–Ury continuity correction")
        else:
            notes.append(f"sample size {error}")
        if study is not None:
            row |= _cluster_power(study, area, y, inside, p0, difference, notes)
        rows.append(row | {"note": "; ".join(notes)})
    return output_table("power").frame(rows)


def _cluster_power(study: Study, area: np.ndarray, y: np.ndarray, inside: np.ndarray,
                   p0: float, difference: float, notes: list[str]) -> dict[str, Any]:
    """The minimum detectable difference and areas needed with areas as clusters (`area`: each
    child's area, "" where unknown)."""
    design = "did" if study.design.type == "did" else "concurrent"
    areas_1, areas_0 = len(study.design.intervention_areas), len(study.design.comparison_areas)
    if study.design.type == "historical" or min(areas_1, areas_0) < 1:
        return {}
    known = inside & (area != "")
    try:
        icc = estimate_icc(y[known], area[known]).icc
    except NotEstimable as error:
        notes.append(f"no intra-area correlation: {error}")
        return {}
    per_area = float(np.bincount(pd.factorize(area[known])[0]).mean())
    found: dict[str, Any] = {"icc": icc, "children_per_area": per_area}
    if areas_1 + areas_0 < 3:  # the area-level t test has areas - 2 degrees of freedom
        notes.append(f"with areas as clusters: {areas_1} + {areas_0} areas leave the area-level "
                     "test no degrees of freedom")
        return found
    detectable = minimum_detectable_did(p0, areas_1, areas_0, per_area, icc, design=design)
    if detectable is not None:
        found["mdd_areas"], found["mdd_decrease_areas"] = detectable.increase, detectable.decrease
        if detectable.reason:
            notes.append(f"with areas as clusters: {detectable.reason}")
    needed = None
    if 0 <= p0 + difference <= 1:
        needed = areas_needed(p0, difference, per_area, icc, design=design)
    if needed is not None:
        found["areas_per_arm_needed"] = needed.areas_intervention_needed
        if needed.reason:
            notes.append(f"areas needed: {needed.reason}")
    notes.append(f"areas as clusters: {areas_1} + {areas_0} areas, intra-area correlation "
                 f"{icc:.3f} (estimated), cluster autocorrelation {DEFAULT_CAC} (planning value)")
    return found
