"""Check that two runs of the same study produced the same outputs (issue 10's refactors
must not change one published number).

    python scripts/same_outputs.py BEFORE_ROOT AFTER_ROOT

BEFORE_ROOT and AFTER_ROOT are `--root` folders of `hembesok run` on the same data_raw/
study (e.g. one from a clean clone of the commit before a change, one after). Every file
under them is compared: parquet tables and XLSX workbooks by content (the cells and their
types as read back), every other file byte for byte; the run log, manifest and stage
stamps, which record times and the code version, are skipped, and in an HTML report what
differs between any two runs is masked: notebook cell ids, and in the manifest appendix the
run's time, folder, code checksum, git commit and stage seconds. Exit status 1 on any
difference.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pandas as pd

SKIPPED = {"run.log", "manifest.json", "_stage.json", ".stages.json"}
SKIPPED_SUFFIXES = {".pdf"}  # printed from the HTML reports (compared) by Chromium, with its own dates
_MANIFEST_HEADING = re.compile(r"<h2 id=\"(Appendix-C|Bilaga-C)")
_RUN_FACTS = [
    (re.compile(r'id="cell-id=[0-9a-f]+"'), 'id="cell-id"'),
    (re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d"), "TIME"),
    (re.compile(r"<td>[0-9a-f]{16}</td>"), "<td>CHECKSUM</td>"),
    (re.compile(r"<tr>\s*<td>(Git commit|Git-version \(commit\))</td>\s*<td>[0-9a-f]{40}</td>"
                r"\s*</tr>\s*"), ""),
    (re.compile(r"<td>\d+[.,]\d\d</td>"), "<td>SECONDS</td>"),
]


def _sheets(path: Path) -> dict[str, list[list[object]]]:
    """An XLSX workbook's cells as read back (values and their types), sheet by sheet."""
    frames = pd.read_excel(path, sheet_name=None, header=None, engine="openpyxl")
    return {name: frame.astype(object).where(frame.notna(), None).values.tolist()
            for name, frame in frames.items()}


def _report_text(path: Path, root: Path) -> str:
    """An HTML report with what differs between any two runs of the same code masked."""
    text = path.read_text(encoding="utf-8").replace(str(root), "ROOT")
    match = _MANIFEST_HEADING.search(text)
    head, tail = (text[:match.start()], text[match.start():]) if match else (text, "")
    head = _RUN_FACTS[0][0].sub(_RUN_FACTS[0][1], head)
    for pattern, replacement in _RUN_FACTS:
        tail = pattern.sub(replacement, tail)
    return head + tail


def differences(before: Path, after: Path) -> tuple[int, list[str]]:
    """(files compared, relative paths that differ or are missing after)."""
    compared, differ = 0, []
    for path in sorted(p for p in before.rglob("*") if p.is_file() and p.name not in SKIPPED
                       and p.suffix not in SKIPPED_SUFFIXES):
        other = after / path.relative_to(before)
        compared += 1
        if not other.is_file():
            same = False
        elif path.suffix == ".parquet":
            same = pd.read_parquet(path).equals(pd.read_parquet(other))
        elif path.suffix == ".xlsx":
            same = _sheets(path) == _sheets(other)
        elif path.suffix == ".html":
            same = _report_text(path, before) == _report_text(other, after)
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
