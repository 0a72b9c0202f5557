"""One thing said in each report language: the `Words` every vocabulary is made of.

Logic elsewhere uses the package's canonical English ids; what a report shows for them lives
in the vocabularies of `pipeline.text`, each entry a `Words(sv=..., en=...)`, so that no entry
can exist in one language only.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

LANGUAGES = ("sv", "en")
NBSP = "\u00a0"  # no-break space: before "%" and between groups of thousands
MINUS = "\u2212"
EN_DASH = "\u2013"


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


def check_language(language: str) -> str:
    """Return `language` if it is one the reports are written in, else raise ValueError."""
    if language not in LANGUAGES:
        raise ValueError(f"language must be one of {LANGUAGES}, not {language!r}")
    return language


def in_language(vocabulary: Mapping[str, Words], language: str) -> dict[str, str]:
    """A vocabulary of `Words` as plain strings in `language` (key -> words)."""
    check_language(language)
    return {key: words.in_(language) for key, words in vocabulary.items()}
