"""Stage followup: the programme's follow-up parts (issue 12) on their optional exports.

Each part of `pipeline.followup.PARTS` whose export the study names under `inputs:` turns
the clean export (written by the clean stage beside the core tables) into its published
tables (`compute`); a part whose export is not given is skipped: no tables, no report
section, no error. The tables are published like every other (`pipeline.publish`, with the
parts' PUBLISHERS), in a pass of their own: they count conversations and families of the
part's export, which no table of the study's children shows.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import pandas as pd

from pipeline.config import Study
from pipeline.errors import HembesokError
from pipeline.followup import part_modules


def given_exports(study: Study) -> tuple[str, ...]:
    """The follow-up parts' exports that the study names under `inputs:`, in PARTS order."""
    return tuple(part.EXPORT.name for part in part_modules() if part.EXPORT.name in study.inputs)


def read_exports(study: Study, clean_folder: Path) -> dict[str, pd.DataFrame]:
    """The clean exports of the parts the study gives, from the clean stage's folder."""
    names = given_exports(study)
    missing = [n for n in names if not (clean_folder / f"{n}.parquet").is_file()]
    if missing:
        raise HembesokError(f"{clean_folder}: clean tables {missing} are missing; run the clean stage "
                            "first (hembesok run STUDY --stages clean followup)")
    return {name: pd.read_parquet(clean_folder / f"{name}.parquet") for name in names}


def followup(study: Study, exports: Mapping[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """The published tables (before suppression) of every part whose export is given."""
    tables: dict[str, pd.DataFrame] = {}
    for part in part_modules():
        export = exports.get(part.EXPORT.name)
        if export is None:
            continue
        computed = part.compute(export, study)
        declared = {table.name for table in part.OUTPUTS}
        if set(computed) != declared:
            raise ValueError(f"{part.__name__}.compute returned {sorted(computed)}; its OUTPUTS "
                             f"declare {sorted(declared)}")
        tables.update(computed)
    return tables


def part_tables() -> tuple[str, ...]:
    """Every table a part can publish (removed from the outputs before a run writes its own,
    so that a table of an export no longer given does not linger)."""
    return tuple(table.name for part in part_modules() for table in part.OUTPUTS)
