"""The dose the programme delivered as an outcome (issue 13): programme contacts received per
family, by the family's background.

`contacts_received` (planned contacts received, `pipeline.indicators.implementation`) is a
count per child of an accepting family in the intervention group: the population fidelity.csv
counts. Whether some families receive fewer contacts than others (those needing an interpreter,
mothers born outside Europe, short education) is the equity question of delivery, and it is a
continuous outcome: `dose_received` gives, for every family and per level of each background
variable, the families, the contacts and the mean per family with its t interval, and each
level's difference from the largest level (the reference) with Welch's interval and p
(`pipeline.stats.mean_difference`). Descriptive, as the dose-response rows are: families differ
in more than the variable, and the contacts a family receives also follow its own engagement
and the age its child has reached (a child not yet due every contact has fewer).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from scipy import stats as scipy_stats

from pipeline.outputs import output_table
from pipeline.stages.compare.context import _attempt, subgroup_levels
from pipeline.stats import mean_difference

# The background variables delivery is described by (the equity subgroups and the interpreter).
DOSE_VARIABLES = ("mother_region", "education", "interpreter_needed")


def dose_received_table(population: pd.DataFrame) -> pd.DataFrame:
    """dose_received.csv: contacts received per family of the intervention group that accepted,
    in all and by each background variable's levels (see the module docstring)."""
    table = output_table("dose_received")
    accepted = (population["group"].astype("string").eq("intervention").fillna(False)
                & population["accepted"].astype("boolean").fillna(False)).to_numpy(dtype=bool)
    families = population[accepted].reset_index(drop=True)
    if families.empty or "contacts_received" not in families.columns:
        return table.frame([])
    contacts = pd.to_numeric(families["contacts_received"]).to_numpy(dtype=float, na_value=np.nan)
    rows = [_level_row("all", "all", contacts)]
    for variable in (v for v in DOSE_VARIABLES if v in families.columns):
        levels = subgroup_levels(families, variable)
        if variable == "interpreter_needed":  # a boolean: "true" / "false", as the level words
            levels = families[variable].astype("boolean").map({True: "true", False: "false"}).astype("string")
        names = sorted(str(level) for level in levels.dropna().unique())
        if not names:
            continue
        sizes = {name: int(levels.eq(name).fillna(False).sum()) for name in names}
        reference = max(names, key=lambda name: (sizes[name], name))
        in_reference = levels.eq(reference).fillna(False).to_numpy(dtype=bool)
        for name in names:
            in_level = levels.eq(name).fillna(False).to_numpy(dtype=bool)
            row = _level_row(variable, name, contacts[in_level]) | {"reference": reference}
            if name != reference:
                result, reason = _attempt(mean_difference, contacts[in_level], contacts[in_reference])
                if result is not None and result.estimable:
                    row |= {"difference": result.estimate, "difference_ci_low": result.ci_low,
                            "difference_ci_high": result.ci_high, "p_value": result.p_value}
                else:
                    row["note"] = str(reason or result.reason)
            rows.append(row)
    return table.frame(rows)


def _level_row(variable: str, level: str, contacts: np.ndarray) -> dict[str, Any]:
    values = contacts[~np.isnan(contacts)]
    row: dict[str, Any] = {"variable": variable, "level": level, "n": len(values),
                           "contacts": int(values.sum())}
    if len(values):
        row["estimate"] = float(values.mean())
    if len(values) > 1 and values.std(ddof=1) > 0:
        low, high = scipy_stats.t.interval(0.95, len(values) - 1, loc=values.mean(),
                                           scale=scipy_stats.sem(values))
        row |= {"ci_low": float(low), "ci_high": float(high)}
    return row
