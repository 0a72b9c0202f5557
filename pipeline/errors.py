"""Exceptions with messages a user can act on."""

from __future__ import annotations


class HembesokError(Exception):
    """Base class: every error meant for the user; the CLI prints its message without a traceback."""


class ConfigError(HembesokError):
    """study.yml is wrong: unknown key, wrong type, missing file, unknown area or indicator."""

    def __init__(self, problems: list[str], source: str = "study.yml") -> None:
        self.problems = list(problems)
        self.source = source
        lines = [f"{source}: {len(self.problems)} problem(s)"] + [f"  - {p}" for p in self.problems]
        super().__init__("\n".join(lines))

    def __reduce__(self) -> tuple[type[ConfigError], tuple[list[str], str]]:
        """Pickled with its problems (an error raised in a forked worker reaches the run)."""
        return type(self), (self.problems, self.source)


class InputFileError(HembesokError):
    """A raw file cannot be used (unreadable, empty, missing a required column); stops the run."""


class KeyMissingError(HembesokError):
    """No pseudonymisation key is available for a study with real data."""


class OutputScanError(HembesokError):
    """A personnummer-like string was found in an output file."""
