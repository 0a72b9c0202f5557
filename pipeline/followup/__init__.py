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

A part module may also define, when it needs them (each optional):

- `VOCABULARIES`: {vocabulary: {export spelling: canonical code}} for its export's category
  columns (`Column.vocabulary`), beside `pipeline.schema.CATEGORY_VARIANTS`;
- `reject_rows(export) -> (kept, rejects)`: the clean export's rows its own rules refuse (a
  score off its scale), as rejects with `pipeline.stages.ingest.REJECT_COLUMNS` and its own
  reasons; called at clean, after the checks every export gets, so that they are accounted;
- `REJECT_REASONS`: {reason: Words} of those reasons;
- `NEW_COLUMN_KINDS`: {column: kind} of its output columns that
  `pipeline.outputs.COLUMN_KINDS` does not know (a column name keeps one kind everywhere);
- `STUDY_SETTINGS`: {study.yml key: type}, the settings of study.yml it reads (a pydantic
  model, say); `pipeline.config.Study` validates each and holds it as `study.<key>` (None when the
  study file does not give it), and only the followup stage's cache depends on them;
- `SYNTHETIC_SETTINGS`: {study.yml key: value} that `hembesok synth` writes for its export;
- `SYNTHETIC_AREAS = "all"`: its synthetic export covers every design area (intervention
  areas first), not only the intervention areas.
- `METHODS`: ((method, reference), ...) as `Words` pairs, its rows of the reports' methods
  appendix (as `pipeline.text.METHODS`), shown when its section is.

A part module must not import `pipeline.config` when it is imported (the study file's model
takes the parts' STUDY_SETTINGS from them; type hints under `typing.TYPE_CHECKING`).

`PARTS` lists the modules; adding a part is one module and one entry there.

How the rest of the package takes a part, from these names alone (nothing else names a part):

- the input contract: `pipeline.schema.TABLES` holds each part's `EXPORT` beside the core
  tables (and `pipeline.schema.VOCABULARIES` its vocabularies), so study.yml may name it under
  `inputs:` (and `column_map:`), and ingest, clean (with its `reject_rows`), `data_quality`
  and `hembesok validate` treat it as they treat the core tables;
- study.yml: `pipeline.config.Study` has a field for each of the parts' STUDY_SETTINGS;
- the outputs catalog: `pipeline.outputs.CATALOG` holds each part's `OUTPUTS` (typed with
  `NEW_COLUMN_KINDS`), and `pipeline.publish.PUBLISHERS` its `PUBLISHERS`, so its tables are
  published by the same small-cell suppression and written as CSV and XLSX;
- the `followup` stage (`pipeline.stages.followup`): for each part whose export the study
  gives, `compute` on the clean export, then publishing;
- the reports: one notebook cell shows the `section` of each part whose tables the run
  wrote (`pipeline.tables.followup_sections`); the words of its export, columns and reject
  reasons reach the data-quality appendix and the manifest;
- `hembesok synth`: writes each part's `synthetic` export beside the core exports and names
  it in study.yml, with its SYNTHETIC_SETTINGS (`study_areas`: the design's intervention
  areas, where the programme and its follow-up run, or every design area with
  SYNTHETIC_AREAS = "all"; `start`, `end`: the programme's start and the extraction date;
  `rng` a stream of the study's seed of the part's own).

The registries are collected lazily (`part_modules`, `WithParts`): a part module imports
`pipeline.schema`, `pipeline.outputs` and `pipeline.publish` to declare itself, so those
modules must not import the parts while they are themselves being imported. This module
therefore imports nothing of the package at import time.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from types import ModuleType
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
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
    name: str  # its name in the part (its file in figures/ is named after its caption)


Block = Text | TableBlock | FigureBlock

# the part modules, in report order
PARTS: tuple[str, ...] = ("conversations", "collaboration", "area_selection")

# What a part module must define (the contract above).
CONTRACT = ("EXPORT", "OUTPUTS", "compute", "PUBLISHERS", "section", "synthetic")


def part_modules() -> tuple[ModuleType, ...]:
    """The modules of PARTS, imported on first use (then Python's module cache), in report order."""
    return tuple(_checked(importlib.import_module(f"{__name__}.{name}")) for name in PARTS)


def _checked(module: ModuleType) -> ModuleType:
    """The module, if it defines what the contract asks of a part."""
    missing = [name for name in CONTRACT if not hasattr(module, name)]
    if missing:
        raise TypeError(f"follow-up part {module.__name__} lacks {missing}; a part module defines "
                        f"{list(CONTRACT)} (see pipeline.followup)")
    return module


def part_of_export(table: str) -> ModuleType | None:
    """The part module whose EXPORT is raw table `table`, if any."""
    return next((part for part in part_modules() if part.EXPORT.name == table), None)


def optional(part: ModuleType, name: str, default: Any = None) -> Any:
    """One of a part's optional names (the contract above), or `default` when it has none."""
    return getattr(part, name, default)


V = TypeVar("V")
_NONE = object()


class WithParts(Mapping[str, V]):
    """A registry's core entries (declared in its own module), then those each part module
    gives (`of_part(module)`), in PARTS order.

    Looking up a core entry never imports a part, so a core module may read its own registry
    while it is being imported; the parts are imported the first time a part's entry, the
    length or the whole registry is asked for. A part may reuse no other entry's name (unless
    both say the same: two parts typing one column alike).
    """

    def __init__(self, core: Mapping[str, V], of_part: Callable[[ModuleType], Mapping[str, V]],
                 what: str) -> None:
        self.core = core
        self._of_part = of_part
        self._what = what

    def parts(self) -> dict[str, V]:
        """The entries the parts give (importing the parts). A name another entry already
        has is refused, unless both say the same (two parts typing a column alike)."""
        entries: dict[str, V] = {}
        for module in part_modules():
            for name, value in self._of_part(module).items():
                earlier = self.core.get(name, entries.get(name, _NONE))
                if earlier is not _NONE and earlier != value:
                    raise ValueError(f"{module.__name__} declares {self._what} {name!r}, which "
                                     "another registry entry already has: give it another name")
                if name not in self.core:
                    entries[name] = value
        return entries

    def __getitem__(self, name: str) -> V:
        if name in self.core:
            return self.core[name]
        return self.parts()[name]

    def __iter__(self) -> Iterator[str]:
        yield from self.core
        yield from self.parts()

    def __len__(self) -> int:
        return len(self.core) + len(self.parts())

    def __repr__(self) -> str:
        return f"WithParts({self._what}: {list(self)})"


def by_name(items: Any) -> dict[str, Any]:
    """{item.name: item} of a part's tables (its EXPORT or OUTPUTS)."""
    items = items if isinstance(items, tuple | list) else (items,)
    return {item.name: item for item in items}
