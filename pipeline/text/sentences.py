"""Sentences and headings built from the vocabularies: suppressed figures, report titles."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pipeline.text.cells import DEFAULT_MIN_CELL
from pipeline.text.labels import label, output_table_name, section_title
from pipeline.text.phrases import PHRASES, phrase
from pipeline.words import title_in_language


def suppression_phrase(reason: Any, language: str, min_cell: int = DEFAULT_MIN_CELL, *,
                       short: bool = False) -> str:
    """What a suppressed figure says, by why it was suppressed: a published table's
    `suppression` (small_group, few_events, few_without, small_count, secondary), so that a
    group of 134 is never called "fewer than 5 children"; general words for another reason."""
    base = "suppressed_short" if short else "suppressed"
    key = f"{base}_{reason}" if isinstance(reason, str) and reason else base
    return phrase(key if key in PHRASES else base, language, min_cell=min_cell)


def suppressed_sentence(indicator: str, language: str, min_cell: int = DEFAULT_MIN_CELL,
                        reason: Any = None) -> str:
    """"MMR vid 24 månader redovisas inte: i minst en av grupperna var det färre än 5 barn som inte
    hade utfallet." (`reason`: the row's `suppression`; without it, the general words). The
    name is the subject ("… redovisas inte", "… is not shown"), not a heading before a second
    colon ("Språkscreening genomförd: redovisas inte: …")."""
    name, said = label("indicator", indicator, language), suppression_phrase(reason, language, min_cell)
    for lead, joined in (("redovisas inte", " "), ("not shown", " is ")):
        if said.startswith(lead):
            return f"{name}{joined}{said}."
    return f"{name}: {said}."


def heading(key: str, language: str, level: int = 2) -> str:
    """A markdown heading for a report section."""
    return f"{'#' * level} {section_title(key, language)}"


def title_markdown(title: str | Mapping[str, str] | None, study: str, language: str, *, area: str = "all",
                   design: str | None = None, synthetic: bool = False) -> str:
    """The report's title block: title (study.yml's, or its title in `language`: one per
    language), area, design and a warning for synthetic data."""
    lines = [f"# {title_in_language(title, language) or phrase('title_fallback', language)}", ""]
    if area and area != "all":
        lines += [f"## {area}", ""]
    if design:
        # an area's report of a historical design compares one area with itself
        kind = "historical_area" if design == "historical" and area != "all" else design
        lines += [f"*{phrase('design', language)}: {label('design', kind, language)}.*", ""]
    if synthetic:
        lines += [f"**{phrase('synthetic', language)}**", ""]
    return "\n".join(lines).rstrip()


def area_note(table: str, language: str) -> str:
    """Says that an output table has no per-area rows (in an area report)."""
    return phrase("no_area_rows", language, table=output_table_name(table, language))
