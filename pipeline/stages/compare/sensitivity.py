"""Sensitivity and secondary rows: complier and per-protocol effects, the placebo DiD,
the DiD without the pandemic births or with filled windows, multiple imputation."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np
import pandas as pd

from pipeline.config import Study
from pipeline.indicators import Indicator
from pipeline.stages.compare.context import (
    _attempt,
    _Context,
    _DidCells,
    _group_counts,
    _row,
    did_outcome,
)
from pipeline.stages.compare.did_rows import _did_row
from pipeline.stages.compare.itt import _crude_rows, _regression_rows
from pipeline.stats import (
    at_least_child_level,
    complier_effect,
    difference_in_differences,
    fuzzy_did,
    impute_covariates,
    logistic_adjusted_effects,
    pool_rubin,
)


def _complier_rows(context: _Context, did_cells: pd.DataFrame | None,
                   indicator: str) -> list[dict[str, Any]]:
    """The effect on families who take the programme up (analysis `complier`).

    CACE (method `cace`): the covariate-adjusted ITT divided by the acceptance share, as a
    just-identified IV with the offer as the instrument; design `did` adds the fuzzy DiD
    (method `fuzzy_did`, Wald-DID: the DiD of the outcome over the DiD of take-up, area and
    birth half-year fixed effects, SE clustered by area and never below the child level).
    Acceptance unknown in the intervention group leaves the child out (counted in `note`).
    """
    y, inside = context.outcome(indicator)
    accepted = context.population["accepted"].astype("boolean")
    took_up = np.where(context.treated, accepted.astype("Float64").to_numpy(
        dtype=float, na_value=np.nan), 0.0)
    used = inside & ~np.isnan(took_up)
    unknown = int((inside & np.isnan(took_up)).sum())
    rows = []
    result, error = _attempt(lambda: complier_effect(
        y[used], context.treated[used].astype(float), took_up[used],
        context.coded_covariates[used].reset_index(drop=True)))
    e1, n1, e0, n0 = _group_counts(y[used], context.treated[used])
    notes = ["effect on families who accepted: ITT divided by the acceptance share (IV, HC1)",
             context.adjusted_for]
    if unknown:
        notes.append(f"{unknown} intervention children with acceptance unknown left out")
    if result is not None and "weak_instrument" in result.flags:
        notes.append("weak instrument: few families accepted")
    rows.append(_row(indicator, result, measure="risk_difference", method="cace",
                     analysis="complier", n_intervention=n1, n_comparison=n0, reason=error,
                     events=(e1, e0), note="; ".join(notes)))
    if did_cells is not None:
        did = context.did(did_cells)
        y_did, known, _ = did.outcome(indicator)
        accepted_did = did.cells["accepted"].astype("boolean").astype("Float64").to_numpy(
            dtype=float, na_value=np.nan)
        exposed = (did.treated_area == 1) & (did.post == 1)
        take = np.where(exposed, accepted_did, 0.0)
        keep = known & ~np.isnan(take)
        fuzzy, error = _attempt(lambda: fuzzy_did(
            y_did[keep], did.treated_area[keep], did.post[keep], take[keep], did.area_labels[keep],
            did.coded_covariates[keep].reset_index(drop=True), area_effects=True,
            period_effects=did.half_year_labels[keep]))
        in_area = did.treated_area[keep] == 1
        rows.append(_row(indicator, fuzzy, measure="risk_difference", method="fuzzy_did",
                         analysis="complier", n_intervention=int(in_area.sum()),
                         n_comparison=int((~in_area).sum()), reason=error,
                         events=(int(np.nansum(y_did[keep][in_area])),
                                 int(np.nansum(y_did[keep][~in_area]))),
                         note="effect on families who accepted: DiD of the outcome over the DiD "
                              "of take-up (Wald-DID, de Chaisemartin & D'Haultfoeuille 2018); "
                              + context.adjusted_for))
    return rows


def _per_protocol(context: _Context, indicator: str) -> list[dict[str, Any]]:
    """Accepting families in the intervention group vs the comparison group: a selected
    comparison (families who say yes differ from those who do not), kept as secondary; the
    complier rows estimate the effect on families who accept."""
    y, inside = context.outcome(indicator)
    rows_used = inside & (context.accepted | ~context.treated)
    note = "intervention: families that accepted the programme"
    rows = _crude_rows(indicator, y[rows_used], context.treated[rows_used],
                       analysis="per_protocol", measures=("risk_difference",), note=note)
    regression = _regression_rows(context, indicator, y, rows_used, context.treated,
                                  analysis="per_protocol", measures=("risk_difference",))
    for row in regression:
        row["note"] = f"{note}; {row['note']}"
    return rows + regression


def _placebo_rows(context: _Context, did_cells: pd.DataFrame, study: Study,
                  indicator: Indicator) -> list[dict[str, Any]]:
    """A placebo DiD among children born before the start: a fake start halfway through.

    Parallel trends cannot be tested after the start, but a DiD between the earlier and the
    later pre-start cohorts should be near 0; one whose interval excludes 0 makes the
    design's estimate doubtful.
    """
    fake_start = placebo_start(study)

    def before_start() -> pd.DataFrame:
        pre = did_cells[did_cells["did_period"].astype("string").eq("pre").fillna(False)
                        .to_numpy(dtype=bool)].reset_index(drop=True)
        return pre.assign(did_period=np.where(pre["birth_date"] >= fake_start, "post", "pre"))

    placebo = context.did_subset("placebo", did_cells, before_start)
    if placebo is None:
        return []
    row = _did_row(context, placebo, indicator.id)
    row["analysis"] = "placebo"
    row["note"] = (f"placebo: children born before the start, fake start {fake_start.date()} "
                   f"(halfway); {row['note']}")
    row["area"] = context.area
    return [row]


# Births in the COVID-19 pandemic years: child health services changed their visits, and
# vaccination and breastfeeding support with them, in every area at once.
PANDEMIC_BIRTHS = (pd.Timestamp("2020-01-01"), pd.Timestamp("2021-12-31"))


def _without_pandemic(context: _Context, did_cells: pd.DataFrame,
                      indicator: Indicator) -> list[dict[str, Any]]:
    """The DiD again without the children born in 2020–2021 (sensitivity, analysis
    `no_pandemic`); not estimable, with the reason, when a period has no other births.

    Only the group sizes are published with it: its event counts would differ from the
    main DiD's by the pandemic-born children's."""
    def outside_pandemic() -> pd.DataFrame:
        birth = pd.to_datetime(did_cells["birth_date"])
        return did_cells[~birth.between(*PANDEMIC_BIRTHS).to_numpy(dtype=bool)].reset_index(
            drop=True)

    cells = context.did_subset("no_pandemic", did_cells, outside_pandemic)
    if cells is None:
        return []
    row = _did_row(context, cells, indicator.id)
    row["analysis"] = "no_pandemic"
    row["events_intervention"] = row["events_comparison"] = None
    row["note"] = f"sensitivity: children born in 2020–2021 left out; {row['note']}"
    return [row]


def _with_filled_windows(context: _Context, did_cells: pd.DataFrame,
                         indicator: Indicator) -> list[dict[str, Any]]:
    """A breastfeeding point's DiD again with the points that a child's other assessments
    determine filled in (`<id>_filled`; sensitivity, analysis `filled_windows`): if families
    skip a visit for a reason (weaned, they stop coming), the filled values are the better
    guess; if at random, the unfilled ones. Group sizes only, as for `no_pandemic`."""
    filled = f"{indicator.id}_filled"
    if filled not in did_cells.columns or not did_cells[filled].notna().any():
        return []
    cells = did_cells.assign(**{indicator.id: did_cells[indicator.id].astype("boolean")
                                .fillna(did_cells[filled].astype("boolean"))})
    row = _did_row(context, context.did(did_cells).with_outcomes(cells), indicator.id)
    count = int((did_cells[indicator.id].isna() & did_cells[filled].notna()).sum())
    row["analysis"] = "filled_windows"
    row["events_intervention"] = row["events_comparison"] = None
    row["note"] = (f"sensitivity: {count} points without an assessment in the window filled "
                   f"from the child's other assessments; {row['note']}")
    return [row]


MI_IMPUTATIONS = 10


def _multiple_imputation(context: _Context, did: _DidCells | None,
                         indicator: Indicator) -> list[dict[str, Any]]:
    """The headline again with missing covariates multiply imputed (sensitivity, analysis
    `multiple_imputation`): chained equations with the outcome, arm, area and (design `did`)
    birth half-year in every imputation model, MI_IMPUTATIONS data sets, Rubin's rules. Design
    `did`: the adjusted DiD's coefficient and its SE (clustered by area, never below the
    child level; t with areas - 1 df); other designs: the regression ATT risk difference.
    Only for primary indicators (it refits the model on every data set); nothing when no
    covariate is missing. Group sizes only, as for `no_pandemic`."""
    if indicator.kind != "binary" and did is None:
        return []
    frame = context.population if did is None else did.cells
    covariates = context.covariates if did is None else did.covariates
    if did is None:  # as the design's own estimate takes it (a historical design's stable parts)
        y, inside = context.outcome(indicator.id)
        arm = context.treated.astype(float)
    else:
        y, inside, _ = did_outcome(frame, indicator.id)
        arm = did.treated_area * did.post
    covariates = covariates[inside].reset_index(drop=True)
    if not covariates.isna().any().any():
        return []
    area = frame["area"].astype("string").fillna("").to_numpy(dtype=object)[inside]
    auxiliary = pd.DataFrame({"outcome": y[inside], "arm": arm[inside],
                              "area": pd.Series(area, dtype="string").astype("category")})
    if did is not None:  # a two-group design has no periods
        auxiliary["period"] = pd.Series(did.half_year[inside], dtype="string").astype("category")
    imputed, error = _attempt(impute_covariates, covariates, auxiliary, m=MI_IMPUTATIONS)
    estimates, variances, df_complete = [], [], None
    for completed in imputed or []:
        if did is None:
            fit, fit_error = _attempt(logistic_adjusted_effects, y[inside],
                                      context.treated[inside].astype(float), completed,
                                      estimand="ATT")
            result = None if fit is None else fit.risk_difference
        else:
            fit, fit_error = _attempt(difference_in_differences, y[inside],
                                      did.treated_area[inside], did.post[inside],
                                      did.area_labels[inside], completed, area_effects=True,
                                      period_effects=did.half_year_labels[inside],
                                      wild_bootstrap=False)
            result, df_complete = None, None
            if fit is not None and fit.clustered.estimable:
                result = at_least_child_level(fit.clustered, fit.heteroskedasticity_robust)
                df_complete = fit.n_clusters - 1
            elif fit is not None:  # one area in an arm: the labelled child-level fallback
                result = fit.heteroskedasticity_robust
        if result is None or not result.estimable or result.se is None:
            error = fit_error or (result.reason if result is not None else "not estimable")
            break
        estimates.append(result.estimate)
        variances.append(result.se ** 2)
    measure = "did" if did is not None else "risk_difference"
    estimate = None
    if len(estimates) == MI_IMPUTATIONS:
        pooled = pool_rubin(estimates, variances, df_complete=df_complete, measure=measure,
                            method="multiple_imputation")
        estimate = replace(pooled, n=int(inside.sum()))
    treated = (did.treated_area if did is not None else context.treated.astype(float))[inside]
    missing = int(covariates.isna().any(axis=1).sum())
    row = _row(indicator.id, estimate, measure=measure,
               method="did" if did is not None else "regression",
               analysis="multiple_imputation", n_intervention=int((treated == 1).sum()),
               n_comparison=int((treated == 0).sum()),
               reason=None if estimate is not None else f"not estimable: {error}",
               note=(f"sensitivity: {missing} children with a missing covariate kept, covariates "
                     f"imputed {MI_IMPUTATIONS} times by chained equations (outcome, arm, area "
                     "and birth half-year in every imputation model), Rubin's rules; the main "
                     "analysis leaves them out"))
    return [row]


def placebo_start(study: Study) -> pd.Timestamp:
    """The fake start of the placebo DiD: halfway between born_from and the programme start."""
    start, first = pd.Timestamp(study.design.programme_start), pd.Timestamp(study.design.born_from)
    return (first + (start - first) / 2).normalize()
