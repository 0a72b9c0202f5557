"""Derive a study of many areas from the demo's exports (issue 14's "14 areas x 2 languages").

    python scripts/many_areas.py data_raw/demo OUT_FOLDER
    hembesok run OUT_FOLDER --root ROOT --jobs 2

Each child of the demo's children export is moved to a half of its area, "<area> A" or
"<area> B" by row (every other row): the demo's 10 areas become 20. Its 2 intervention areas
and the first 5 of its comparison areas (both halves of each) are the new study's 14
intervention areas, the other 6 halves its comparison areas; the report stage then makes 31
reports (a study and 14 area reports in each language, and the technical one) and 30 PDFs.
The programme's follow-up exports (conversations, collaboration, areas), which name the
demo's own areas, are left out. The children export keeps its encoding, separator and line
ends (Latin-1, `;`, CRLF in the demo): only the area field of each row is changed.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import yaml

FOLLOW_UP = ("conversations", "collaboration", "areas")
ENCODING = "latin-1"  # the demo's children export (a hostile export: not UTF-8)
AREA_FIELD = 3  # omrade, the fourth field of barn.csv


def split_children(text: str) -> str:
    """The children export with each row's area followed by " A" or " B", row by row."""
    lines = text.split("\r\n")
    rows = []
    for number, line in enumerate(lines[1:]):
        fields = line.split(";")
        if len(fields) > AREA_FIELD:
            fields[AREA_FIELD] = f"{fields[AREA_FIELD]} {'AB'[number % 2]}"
        rows.append(";".join(fields))
    return "\r\n".join([lines[0], *rows])


def many_areas(demo: Path, out: Path) -> dict:
    """Write the derived study to `out` (replaced if there); returns its study.yml."""
    shutil.rmtree(out, ignore_errors=True)
    shutil.copytree(demo, out)
    study = yaml.safe_load((out / "study.yml").read_text(encoding="utf-8"))
    children = out / study["inputs"]["children"]
    children.write_bytes(split_children(children.read_bytes().decode(ENCODING)).encode(ENCODING))
    design = study["design"]
    intervention = [*design["intervention_areas"], *design["comparison_areas"][:5]]
    comparison = design["comparison_areas"][5:]
    design["intervention_areas"] = [f"{area} {half}" for area in intervention for half in "AB"]
    design["comparison_areas"] = [f"{area} {half}" for area in comparison for half in "AB"]
    study["name"] = out.name
    for part in FOLLOW_UP:
        given = study["inputs"].pop(part, None)
        if given is not None:
            (out / (given if isinstance(given, str) else given["file"])).unlink(missing_ok=True)
    study.pop("area_selection", None)
    (out / "study.yml").write_text(yaml.safe_dump(study, allow_unicode=True, sort_keys=False),
                                   encoding="utf-8")
    return study


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    made = many_areas(Path(sys.argv[1]), Path(sys.argv[2]))
    print(f"{sys.argv[2]}: {len(made['design']['intervention_areas'])} intervention and "
          f"{len(made['design']['comparison_areas'])} comparison areas")
