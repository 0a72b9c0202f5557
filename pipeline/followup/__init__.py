"""Programme follow-up beyond child outcomes (issue 12): each part is one module here.

A part follows the programme's own work rather than the children's health: counselling
conversations and who attends them (`conversations`), collaboration ratings between the
professions (`collaboration`), the areas that qualify for the programme by Care Need Index
(`area_selection`). Each reads one optional export and appears in the reports only when
that export is given.

A part module defines, at module level:

- `EXPORT`: the optional raw export, a `pipeline.schema.Table` with `required=False`
  (its columns, Swedish default headers and kinds, as for the core tables);
- `OUTPUTS`: its published tables, `pipeline.outputs.OutputTable`s of stage "followup";
- `compute(export, study) -> dict[str, pandas.DataFrame]`: the clean export's rows (canonical
  columns; `child_id` in place of a personnummer) to the published tables, by name, before
  small-cell suppression;
- `PUBLISHERS`: the suppression rule of each table that counts children or families;
- `section(tables, language, *, technical) -> list[Block]`: what its report section shows,
  in the report's language (blocks below), from the published tables;
- `synthetic(rng, study_areas, start, end) -> pandas.DataFrame`: the export as a municipal
  system would write it (Swedish headers and spellings), for `hembesok synth`.

`PARTS` lists the modules; adding a part is one module and one entry there.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
from matplotlib.figure import Figure


@dataclass(frozen=True)
class Text:
    """Markdown for the report, in its language."""

    markdown: str


@dataclass(frozen=True)
class TableBlock:
    """A table for the report: the frame as shown (labels in the report's language)."""

    frame: pd.DataFrame
    caption: str


@dataclass(frozen=True)
class FigureBlock:
    """A figure for the report, with its caption and a text alternative."""

    figure: Figure
    caption: str
    alt: str
    name: str  # its file stem in figures/


Block = Text | TableBlock | FigureBlock

PARTS: tuple[str, ...] = ()  # the part modules, in report order
