"""Check that two runs of the same study produced the same outputs (issue 10's refactors
must not change one published number).

    python scripts/same_outputs.py BEFORE_ROOT AFTER_ROOT

BEFORE_ROOT and AFTER_ROOT are `--root` folders of `hembesok run` on the same data_raw/
study (e.g. one from a clean clone of the commit before a change, one after). Every file
under them is compared: parquet tables by content, every other file byte for byte (XLSX
files are written byte-identically for identical tables); the run log, manifest and stage
stamps, which record times and the code version, are skipped. Exit status 1 on any
difference.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd

SKIPPED = {"run.log", "manifest.json", "_stage.json", ".stages.json"}


def differences(before: Path, after: Path) -> tuple[int, list[str]]:
    """(files compared, relative paths that differ or are missing after)."""
    compared, differ = 0, []
    for path in sorted(p for p in before.rglob("*") if p.is_file() and p.name not in SKIPPED):
        other = after / path.relative_to(before)
        compared += 1
        if not other.is_file():
            same = False
        elif path.suffix == ".parquet":
            same = pd.read_parquet(path).equals(pd.read_parquet(other))
        else:
            same = path.read_bytes() == other.read_bytes()
        if not same:
            differ.append(str(path.relative_to(before)))
    return compared, differ


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print(__doc__)
        return 2
    compared, differ = differences(Path(argv[0]), Path(argv[1]))
    for name in differ:
        print(f"differs: {name}")
    print(f"{compared} files compared, {len(differ)} differ")
    return 1 if differ else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
