"""Same numbers (issue 14): the speed work may change how the pipeline computes, never what it
writes. A 20,000-child synthetic study (seed 14) is run from its raw exports through compare
and followup, and every CSV table under outputs/<study>/ is checked against the fingerprints
recorded before the speed work began (`same_numbers_20000.json`), together with the rows the
clean stage kept per table (the row accounting).

A table matches when its bytes do; failing that, when its numbers agree to 12 significant
digits (a float summed in another order may differ in its last digits: each number is
written with 12 significant digits and the text hashed again). Nothing looser passes.

To record the fingerprints anew after a change that is meant to change a number, run
`HEMBESOK_RECORD_SAME_NUMBERS=1 pytest tests/test_same_numbers.py` and say in the commit why
the numbers changed. To see what differs, run the same study with the code before and
after and compare the two roots with `python scripts/same_outputs.py BEFORE AFTER`.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import re
from pathlib import Path

import pytest

from pipeline.cli import main

CHILDREN, SEED = 20_000, 14
STAGES = ("ingest", "clean", "cohort", "compare", "followup")
RECORDED = Path(__file__).with_name("same_numbers_20000.json")
_NUMBER = re.compile(r"-?(?:\d+\.\d*|\.\d+|\d+)(?:[eE][-+]?\d+)?")


def exact_digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def rounded_digest(text: str) -> str:
    """The table's digest with every number that is a whole field written to 12 significant
    digits (an integer or text field is kept as it is)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    for row in csv.reader(io.StringIO(text)):
        writer.writerow([_rounded(field) for field in row])
    return exact_digest(out.getvalue())


def _rounded(field: str) -> str:
    if not _NUMBER.fullmatch(field) or field.lstrip("-").isdigit():
        return field
    value = float(field)
    text = "0" if value == 0 else f"{value:.12g}"
    return text if "." in text or "e" in text else f"{text}.0"  # still written as a float


def fingerprint(root: Path, study: str) -> dict[str, object]:
    """Every CSV table's two digests and line count, and the clean stage's rows per table."""
    outputs = root / "outputs" / study
    tables = {}
    for path in sorted(outputs.rglob("*.csv")):
        text = path.read_text(encoding="utf-8")
        tables[path.relative_to(outputs).as_posix()] = {
            "lines": text.count("\n"), "sha256": exact_digest(text),
            "sha256_12_digits": rounded_digest(text)}
    stamp = json.loads((root / "data_clean" / study / "clean" / "_stage.json").read_text())
    return {"children": CHILDREN, "seed": SEED, "clean_rows": stamp["rows"], "tables": tables}


def test_rounded_digest_ignores_only_digits_beyond_the_twelfth() -> None:
    # 0.1 + 0.2 summed in another order: 0.30000000000000004 against 0.3
    assert rounded_digest("a,b\nx,0.30000000000000004\n") == rounded_digest("a,b\nx,0.3\n")
    assert rounded_digest("a,b\nx,0.300000000001\n") != rounded_digest("a,b\nx,0.3\n")
    assert rounded_digest("a,b\nx,12\n") != rounded_digest("a,b\nx,12.0\n")  # ints kept as text
    assert rounded_digest("a\n-0.0\n") == rounded_digest("a\n0.0\n")


@pytest.mark.slow
def test_every_table_of_a_20000_child_study_is_unchanged(tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    from pipeline.stages import clean

    folder = tmp_path / "data_raw" / "same20k"
    assert main(["synth", "--out", str(folder), "--children", str(CHILDREN), "--seed", str(SEED),
                 "--quiet"]) == 0
    # two processes: the clean stage's exports and the compare stage's pieces in forked
    # workers (whatever the size of the exports) give the numbers recorded when each ran in
    # one process
    monkeypatch.setattr(clean, "PROCESS_MIN_EXPORT_BYTES", 0)
    assert main(["run", str(folder), "--root", str(tmp_path), "--quiet", "--jobs", "2",
                 "--stages", *STAGES]) == 0
    found = fingerprint(tmp_path, "same20k")
    if os.environ.get("HEMBESOK_RECORD_SAME_NUMBERS") == "1":
        RECORDED.write_text(json.dumps(found, indent=1, sort_keys=True) + "\n", encoding="utf-8")
        pytest.skip(f"fingerprints recorded in {RECORDED.name}")
    recorded = json.loads(RECORDED.read_text(encoding="utf-8"))
    assert found["clean_rows"] == recorded["clean_rows"]
    assert sorted(found["tables"]) == sorted(recorded["tables"])
    changed = [name for name, table in found["tables"].items()
               if table["sha256"] != recorded["tables"][name]["sha256"]
               and table["sha256_12_digits"] != recorded["tables"][name]["sha256_12_digits"]]
    assert changed == [], f"tables whose numbers changed: {changed}"
