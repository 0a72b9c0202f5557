"""The same words in each report language: the shape every vocabulary entry has.

The registries (indicators, output tables) and the vocabularies of `pipeline.text` all say
what they show as `Words(sv=..., en=...)`, so that nothing can exist in one language only.
This module depends on nothing else in the package, so that any registry can use it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

LANGUAGES = ("sv", "en")


def check_language(language: str) -> str:
    """Return `language` if it is one the reports are written in, else raise ValueError."""
    if language not in LANGUAGES:
        raise ValueError(f"language must be one of {LANGUAGES}, not {language!r}")
    return language


def title_in_language(title: str | Mapping[str, str] | None, language: str) -> str:
    """A study.yml title for a report in `language`: the title itself, or from a title per
    language that language's (else the other's, so that no report goes without its title)."""
    if isinstance(title, Mapping):
        return str(title.get(language) or next((t for t in title.values() if t), ""))
    return title or ""


@dataclass(frozen=True, slots=True)
class Words:
    """The same words in Swedish and English."""

    sv: str
    en: str

    def in_(self, language: str) -> str:
        """The words in `language` ("sv" or "en"); ValueError for another language."""
        return self.sv if check_language(language) == "sv" else self.en

    def format(self, language: str, **values: object) -> str:
        """The words in `language` with their `{placeholders}` filled in."""
        return self.in_(language).format(**values)
