"""Dose-response (contacts received among accepting families) and equity subgroup rows."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from pipeline.indicators import indicator as indicator_entry
from pipeline.stages.compare.context import (
    SUBGROUP_VARIABLES,
    _attempt,
    _Context,
    _row,
)
from pipeline.stages.compare.itt import _crude_rows
from pipeline.stats import additive_interaction, logistic_slope, proportion, triple_difference

OPEN_ENDED = 1_000_000  # upper end of the last band of contacts received


def contacts_before(context: _Context, indicator: str) -> tuple[np.ndarray, list[str]]:
    """Contacts received per child among the programme's contacts whose window closes before
    the indicator's outcome can be shaped (its `outcome_from_days`), and those contacts' ids."""
    start = indicator_entry(indicator).outcome_from_days
    counted = [c.id for c in context.study.programme.contacts if c.window_days[1] < start]
    received = np.zeros(len(context.population))
    for contact in counted:
        column = f"contact_{contact}_received"
        if column in context.population.columns:
            received += context.population[column].astype("boolean").fillna(False).to_numpy(
                dtype=float)
    return received, counted


def _dose_response(context: _Context, indicator: str) -> tuple[dict[str, Any], list[dict]]:
    """Outcome by contacts received before the outcome's window, among accepting families:
    descriptive (a risk table by band and an odds ratio per contact with its interval, no
    p-value: families who receive more visits differ in engagement, so neither is an effect)."""
    y, inside = context.outcome(indicator)
    rows_used = inside & context.accepted
    contacts, counted = contacts_before(context, indicator)
    y_used, dose = y[rows_used], contacts[rows_used]
    covariates = context.coded_covariates[rows_used].reset_index(drop=True)
    complete = context.complete[rows_used]
    if counted:
        result, error = _attempt(lambda: logistic_slope(y_used, dose, covariates))
    else:
        result, error = None, "not estimable: no programme contact is due before the outcome"
    note = (f"descriptive: odds ratio per additional contact received, counting the "
            f"{len(counted)} contact(s) due before the outcome ({', '.join(counted) or 'none'}), "
            f"among children of accepting families in the intervention group; "
            f"{context.adjusted_for}; no p-value: the number of contacts a family receives "
            "also reflects its engagement")
    row = _row(indicator, result, measure="odds_ratio", method="regression",
               analysis="dose_response", n_intervention=int(complete.sum()), n_comparison=0,
               reason=error, events=(int(y_used[complete].sum()), 0), note=note)
    row["p_value"] = None
    table = _dose_table(indicator, y_used, dose, len(counted)) if counted else []
    return row, table


def contact_bands(planned: int) -> list[tuple[str, int, int]]:
    """Bands of contacts received: none, then thirds of the planned contacts (label, min, max)."""
    cuts = sorted({0, *(math.ceil(planned * k / 3) for k in (1, 2, 3))})
    bands = [("0", 0, 0)]
    for low, high in zip(cuts[:-1], cuts[1:], strict=True):
        bands.append((f"{low + 1}" if low + 1 == high else f"{low + 1}-{high}", low + 1, high))
    _, low, _ = bands[-1]
    bands[-1] = (f"{low}+", low, OPEN_ENDED)
    return bands


def _dose_table(indicator: str, y: np.ndarray, dose: np.ndarray, planned: int) -> list[dict]:
    rows = []
    for label, low, high in contact_bands(max(planned, 1)):
        in_band = (dose >= low) & (dose <= high)
        n, events = int(in_band.sum()), int(np.nansum(y[in_band]))
        share = proportion(events, n)
        rows.append({"indicator": indicator, "contacts_band": label, "contacts_min": low,
                     "contacts_max": None if high == OPEN_ENDED else high, "n": n, "events": events,
                     "proportion": share.estimate, "ci_low": share.ci_low,
                     "ci_high": share.ci_high, "contacts_counted": planned})
    return rows


def _subgroups(context: _Context, did_cells: pd.DataFrame | None,
               indicator: str) -> list[dict[str, Any]]:
    """Equity (analysis `subgroup`, exploratory): the effect within each level of mother's
    region and of education, on the additive scale of the design's own estimate.

    Design `did`: the DiD within each level from one triple-difference model (area and birth
    half-year effects, each level with its own area-arm and period contrasts; method
    `triple_difference`), `p_interaction` the joint test that the DiD is the same in every
    level (clustered by area, never below the child level). Other designs: the crude risk
    difference within each level, `p_interaction` the Wald test that the risk differences
    are equal (linear probability model, HC1). Both unadjusted, like the crude rows.
    """
    if did_cells is not None:
        return _subgroup_dids(context, did_cells, indicator)
    y, inside = context.outcome(indicator)
    rows = []
    for variable, (codes, levels) in context.subgroups.items():
        known = inside & (codes >= 0)
        test, error = _attempt(additive_interaction, y[known], context.treated[known],
                               np.asarray(levels, dtype=object)[codes[known]])
        p_interaction = None if test is None else test.joint.p_value
        note = _interaction_note(variable, "risk differences", test, error)
        for code, level in enumerate(levels):
            in_level = known & (codes == code)
            rows += _crude_rows(indicator, y[in_level], context.treated[in_level],
                                analysis="subgroup", measures=("risk_difference",),
                                subgroup=f"{variable}={level}", p_interaction=p_interaction,
                                note=note)
    return rows


def _interaction_note(variable: str, what: str, test: Any, error: str | None) -> str:
    p = None if test is None else test.joint.p_value
    if p is None:
        reason = error or (test.joint.reason if test is not None else "") or "not estimable"
        return f"exploratory; test that the {what} are equal across {variable}: {reason}"
    return (f"exploratory; test that the {what} are equal across {variable} (additive scale): "
            f"p = {p:.3g}")


def _levels_present(codes: np.ndarray, levels: object) -> pd.Categorical:
    """`pd.Categorical.from_codes(codes, levels).remove_unused_categories()`, the levels
    present found by counting the codes rather than sorting them."""
    present = np.bincount(codes, minlength=len(levels)) > 0
    return pd.Categorical.from_codes((np.cumsum(present) - 1)[codes],
                                     categories=pd.Index(levels, dtype=object)[present])


def _subgroup_dids(context: _Context, did_cells: pd.DataFrame,
                   indicator: str) -> list[dict[str, Any]]:
    did = context.did(did_cells)
    y, inside, _ = did.outcome(indicator)
    rows = []
    for variable in SUBGROUP_VARIABLES:
        if variable not in did.cells.columns:
            continue
        codes, levels = did.subgroup_codes(variable)
        known = inside & (codes >= 0)
        # the levels of these children as a categorical (the sorted levels they have), which
        # the triple difference codes as it is, rather than a text per child
        level_of = _levels_present(codes[known], levels)
        result, error = _attempt(triple_difference, y[known], did.treated_area[known],
                                 did.post[known], level_of, did.area_labels[known],
                                 period_effects=did.half_year_labels[known])
        p_interaction = None if result is None else result.joint.p_value
        note = _interaction_note(variable, "DiDs", result, error)
        for code, level in enumerate(levels):
            in_level = known & (codes == code)
            in_area = did.treated_area[in_level] == 1
            estimate = None if result is None else result.by_level.get(level)
            rows.append(_row(indicator, estimate, measure="did", method="triple_difference",
                             analysis="subgroup", n_intervention=int(in_area.sum()),
                             n_comparison=int((~in_area).sum()), reason=error,
                             subgroup=f"{variable}={level}", p_interaction=p_interaction,
                             events=(int(np.nansum(y[in_level][in_area])),
                                     int(np.nansum(y[in_level][~in_area]))),
                             note=note + "; DiD within the subgroup (area and birth half-year "
                                         "effects), unadjusted"))
    return rows
