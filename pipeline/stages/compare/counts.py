"""The compare stage's count and rate outcomes (issue 13): healthcare contacts per child-year and
decayed, extracted and filled teeth at three years.

Two tables, made only when the cohort holds such an indicator (its export was given):

- `count_outcomes`, what each group shows: for a rate, the children followed, their events,
  the child-years they were followed and the rate per 100 child-years with Garwood's exact
  Poisson interval; for a count, the children assessed, the sum and mean of their counts with
  a t interval of the mean and the standard deviation. Rows: each group of the design
  (intervention and comparison, and before the start under `did`) for the whole study, and
  the intervention groups per intervention area (an area report shows its own area's rows
  beside the whole comparison group's, as for the shares); under `historical`, whose
  comparison group is the intervention areas' children born before the start, the comparison
  group per intervention area too (an area report shows the area's own children before the
  start, as its estimates compare them).
- `count_effects`, the programme's effect, one row per method, for the whole study and per
  intervention area (its children against every comparison child; under `historical`
  against its own children born before the start):
  - a rate: the rate ratio from a Poisson model with the log of the child-years as offset and
    a robust (sandwich) SE, crude (`poisson`), covariate-adjusted (`poisson_adjusted`) and by IPTW
    (`iptw`); the rate difference per child-year by regression standardisation of the crude
    model (`poisson`, measure `rate_difference`); the negative binomial rate ratio as the check
    of overdispersion (`negative_binomial`, with its dispersion and the likelihood-ratio test
    of none in `note`);
  - a count: the mean difference with Welch's interval (`welch`) and a BCa bootstrap interval
    for the skewed counts (`bootstrap_bca`), adjusted by regression standardisation
    (`linear_adjusted`, HC1) and by IPTW (`iptw`), and the ratio of mean counts from a Poisson
    model with robust SE (`poisson`, measure `count_ratio`).
  Each is an `Estimate` of `pipeline.stats`, its row made by `Estimate.to_row`; data a method
  cannot estimate from give the row its reason. Under `did` the design's own estimate comes
  first (method `did`: area and birth half-year fixed effects with the covariates; for a rate
  the Poisson ratio of rate ratios with a wild cluster score bootstrap and the rate difference
  as a child-years-weighted linear DiD, for a count the linear DiD of means, both with the
  wild cluster bootstrap with fewer than 30 areas), and the methods above compare the groups
  after the start (as the binary indicators' secondary methods do); its n are the children of
  the intervention and comparison areas in both periods with every covariate known.

The population of a rate is every child of the group with follow-up time (a child followed
for part of the two years counts for that part); of a count, the children in its denominator
(examined within the window, the examination settled: `pipeline.indicators.healthcare`).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from pipeline.config import Study
from pipeline.indicators import Indicator, present
from pipeline.outputs import output_table
from pipeline.stages.compare.context import (
    DID_GROUPS,
    GROUPS,
    _attempt,
    _Context,
    _in_area,
    _rows_in,
    analysed_columns,
)
from pipeline.stats import (
    Estimate,
    bootstrap_mean_difference,
    count_ratio,
    difference_in_differences,
    iptw_mean_difference,
    iptw_rate_ratio,
    linear_adjusted_effect,
    mean_difference,
    overdispersion_check,
    poisson_did,
    poisson_rate,
    poisson_rate_difference,
    poisson_rate_ratio,
    rate_difference_did,
)

COUNT_KINDS = ("count", "rate")
PER_CHILD_YEARS = 100  # rates are shown per 100 child-years
BOOTSTRAP_SEED = 20260  # the bootstrap's fixed stream: the same data give the same interval


def count_outcome_tables(study: Study, cohort: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """count_outcomes and count_effects (empty when the cohort holds no count or rate)."""
    analysed = analysed_columns(cohort)
    groups = _rows_in(cohort, DID_GROUPS if study.design.type == "did" else GROUPS, analysed)
    population = _rows_in(cohort, GROUPS, analysed)
    effect_rows = []
    for area in ("all", *study.design.intervention_areas):
        in_area = population if area == "all" else _in_area(population, area, study.design.type)
        did_cells = None
        if study.design.type == "did":
            did_cells = groups if area == "all" else _in_area(groups, area, study.design.type)
        effect_rows += count_effect_rows(_Context(study, in_area, area=area), did_cells)
    return count_tables(count_outcome_rows(study, groups), effect_rows)


def count_tables(outcome_rows: list[dict[str, Any]],
                 effect_rows: list[dict[str, Any]]) -> dict[str, pd.DataFrame]:
    """The two tables of `count_outcome_rows` and of `count_effect_rows` (the whole study's,
    then each intervention area's)."""
    return {"count_outcomes": output_table("count_outcomes").frame(outcome_rows),
            "count_effects": output_table("count_effects").frame(effect_rows)}


def count_outcome_rows(study: Study, groups: pd.DataFrame) -> list[dict[str, Any]]:
    """count_outcomes' rows: what each group of `groups` (the children of the design's groups,
    before the start too under `did`) shows of each count and rate, in all areas and in each
    intervention area (the comparison group's too under `historical`)."""
    return [row for indicator in present(groups.columns, COUNT_KINDS)
            for row in _group_rows(study, groups, indicator)]


def count_effect_rows(context: _Context, did_cells: pd.DataFrame | None) -> list[dict[str, Any]]:
    """count_effects' rows of one context (the whole study, or an intervention area with every
    comparison child): per count and rate the design's DiD (with `did_cells`, the context's
    area x period cells) and the comparisons after the start."""
    rows = []
    for indicator in present(context.population.columns, COUNT_KINDS):
        if did_cells is not None:
            rows += _did_rows(context, context.did(did_cells), indicator)
        rows += _effect_rows(context, indicator)
    return rows


def _values(frame: pd.DataFrame, indicator: Indicator) -> tuple[np.ndarray, np.ndarray | None, np.ndarray]:
    """(counts, child-years or None, whether the child counts) of an indicator in `frame`."""
    if indicator.kind == "rate":
        count_column, years_column = indicator.columns
        years = pd.to_numeric(frame[years_column]).to_numpy(dtype=float, na_value=np.nan)
        counts = pd.to_numeric(frame[count_column]).to_numpy(dtype=float, na_value=np.nan)
        return counts, years, ~np.isnan(counts) & (years > 0)
    counts = pd.to_numeric(frame[indicator.id]).to_numpy(dtype=float, na_value=np.nan)
    return counts, None, ~np.isnan(counts)


def _group_rows(study: Study, groups: pd.DataFrame, indicator: Indicator) -> list[dict[str, Any]]:
    rows = []
    group = groups["group"].astype("string")
    area = groups["area"].astype("string")
    for name in (DID_GROUPS if study.design.type == "did" else GROUPS):
        in_group = group.eq(name).fillna(False).to_numpy(dtype=bool)
        areas = ["all"]
        if name.startswith("intervention") or study.design.type == "historical":
            # historical: the comparison group is the intervention areas' before the start,
            # each area's own being what its effect rows compare with (`_in_area`)
            areas += list(study.design.intervention_areas)
        for where in areas:
            keep = in_group & (area.eq(where).fillna(False).to_numpy(dtype=bool) if where != "all" else True)
            rows.append(_describe(indicator, groups[keep], name, where))
    return rows


def _describe(indicator: Indicator, frame: pd.DataFrame, group: str, area: str) -> dict[str, Any]:
    """One group's children, events and rate (per 100 child-years) or mean count."""
    counts, years, used = _values(frame, indicator)
    n, events = int(used.sum()), int(np.nansum(counts[used]))
    row: dict[str, Any] = {"indicator": indicator.id, "group": group, "area": area, "n": n,
                           "events": events}
    if indicator.kind == "rate":
        person_years = float(years[used].sum())
        row |= {"measure": f"rate_per_{PER_CHILD_YEARS}_child_years", "person_years": person_years}
        if person_years > 0:
            rate = poisson_rate(events, person_years / PER_CHILD_YEARS)
            row |= {"estimate": rate.estimate, "ci_low": rate.ci_low, "ci_high": rate.ci_high}
        return row
    row["measure"] = "mean"
    if n:
        values = counts[used]
        row |= {"estimate": float(values.mean()), "sd": float(values.std(ddof=1)) if n > 1 else None}
        if n > 1 and values.std(ddof=1) > 0:  # a t interval of the mean
            low, high = stats.t.interval(0.95, n - 1, loc=values.mean(), scale=stats.sem(values))
            row |= {"ci_low": float(low), "ci_high": float(high)}
    return row


def _effect_rows(context: _Context, indicator: Indicator) -> list[dict[str, Any]]:
    counts, years, used = _values(context.population, indicator)
    treated = context.treated
    keys = {"indicator": indicator.id, "area": context.area, "analysis": "itt",
            "n_intervention": int((used & treated).sum()), "n_comparison": int((used & ~treated).sum())}
    complete = used & context.complete
    covariates = context.coded_covariates[complete].reset_index(drop=True)
    if indicator.kind == "rate":
        crude = (counts[used], years[used], treated[used])
        adjusted = (counts[complete], years[complete], treated[complete], covariates)
        attempts: list[tuple[str, str, Any, tuple, dict]] = [
            ("rate_ratio", "poisson", poisson_rate_ratio, crude, {}),
            ("rate_difference", "poisson", poisson_rate_difference, crude, {}),
            ("rate_ratio", "poisson_adjusted", poisson_rate_ratio, adjusted, {}),
            ("rate_ratio", "iptw", iptw_rate_ratio, adjusted, {}),
        ]
    else:
        groups = (counts[used & treated], counts[used & ~treated])
        adjusted = (counts[complete], treated[complete], covariates)
        attempts = [
            ("mean_difference", "welch", mean_difference, groups, {}),
            ("mean_difference", "bootstrap_bca", bootstrap_mean_difference, groups, {"seed": BOOTSTRAP_SEED}),
            ("mean_difference", "linear_adjusted", linear_adjusted_effect, adjusted, {}),
            ("mean_difference", "iptw", iptw_mean_difference, adjusted, {}),
            ("count_ratio", "poisson", count_ratio, (counts[used], treated[used]), {}),
        ]
    rows = []
    for measure, method, function, args, options in attempts:
        result, reason = _attempt(function, *args, **options)
        rows.append(_row(result, reason, measure, method, keys))
    if indicator.kind == "rate":
        check, reason = _attempt(overdispersion_check, counts[used], years[used], treated[used])
        result = None if check is None else check.rate_ratio
        row = _row(result, reason, "rate_ratio", "negative_binomial", keys)
        if check is not None and check.test.p_value is not None:
            row["note"] = (f"dispersion alpha {check.alpha:.3g}; likelihood-ratio test of no "
                           f"overdispersion p = {check.test.p_value:.3g}")
        rows.append(row)
    return rows


def _did_rows(context: _Context, did: Any, indicator: Indicator) -> list[dict[str, Any]]:
    """The design's own estimate under `did`: area and birth half-year fixed effects, the
    covariates, intervention area x after the start, inference by area (with fewer than 30
    areas the wild cluster bootstrap: score bootstrap for the Poisson model). A rate: the ratio
    of rate ratios (Poisson, child-years as offset) and the rate difference (a linear DiD of
    rates weighted by child-years); a count: the DiD of means."""
    counts, years, used = _values(did.cells, indicator)
    keep = used & did.complete
    treated_area, post = did.treated_area[keep], did.post[keep]
    design = (treated_area, post, did.area_labels[keep], did.coded_covariates[keep].reset_index(drop=True))
    effects = {"area_effects": True, "period_effects": did.half_year_labels[keep]}
    keys = {"indicator": indicator.id, "area": context.area, "analysis": "itt",
            "n_intervention": int((keep & (did.treated_area == 1)).sum()),  # with every covariate
            "n_comparison": int((keep & (did.treated_area == 0)).sum())}
    if indicator.kind == "rate":
        attempts = [("rate_ratio", lambda: poisson_did(counts[keep], years[keep], *design, **effects)),
                    ("rate_difference", lambda: _by_area(rate_difference_did(counts[keep], years[keep],
                                                                             *design, **effects)))]
    else:
        attempts = [("mean_difference", lambda: _by_area(difference_in_differences(
            counts[keep], *design, outcome_kind="continuous", **effects)))]
    rows = []
    for measure, make in attempts:
        result, reason = _attempt(make)
        rows.append(_row(result, reason, measure, "did", keys))
    return rows


def _by_area(result: Any) -> Estimate:
    """A linear DiD's estimate with inference by area; with one area in an arm no interval is
    reliable, so the point estimate alone (flag `hc1_not_clustered`), as the binary DiD rows
    and `poisson_did` give it."""
    estimate = result.preferred
    if not result.clustered.estimable and estimate.estimable:
        estimate = Estimate(estimate.measure, estimate.method, estimate.estimate, n=estimate.n,
                            dropped=estimate.dropped, flags=("hc1_not_clustered",))
    return estimate.with_flags(*result.flags)  # few areas, few intervention areas


def _row(result: Estimate | None, reason: Any, measure: str, method: str,
         keys: dict[str, Any]) -> dict[str, Any]:
    if result is None:
        return keys | {"measure": measure, "method": method, "note": str(reason),
                       "flags": getattr(reason, "kind", None) or ""}
    row = result.to_row(**keys)
    row["measure"], row["method"] = measure, method  # the table's names, whatever the function's
    return row
