"""The `Words` every vocabulary is made of, the report languages and typographic characters.

Logic elsewhere uses the package's canonical English ids; what a report shows for them lives
in the vocabularies of `pipeline.text` (and in the indicator and output registries), each
entry a `Words(sv=..., en=...)`, so that no entry can exist in one language only.
"""

from __future__ import annotations

from collections.abc import Mapping

from pipeline.words import LANGUAGES, Words, check_language

NBSP = "\u00a0"  # no-break space: before "%" and between groups of thousands
MINUS = "\u2212"
EN_DASH = "\u2013"

__all__ = ["EN_DASH", "LANGUAGES", "MINUS", "NBSP", "Words", "check_language", "in_language"]


def in_language(vocabulary: Mapping[str, Words], language: str) -> dict[str, str]:
    """A vocabulary of `Words` as plain strings in `language` (key -> words)."""
    check_language(language)
    return {key: words.in_(language) for key, words in vocabulary.items()}
