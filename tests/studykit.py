"""Small hand-made studies for tests: a study.yml and five tiny exports in a folder (and an
optional export, such as the conversations of pipeline.followup, when `inputs` names it)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import yaml

from pipeline import privacy


def luhn_check_digit(nine_digits: str) -> int:
    """Check digit over YYMMDDNNN: weights 2,1,2,…, digit sums of products (SKV 704)."""
    total = 0
    for position, char in enumerate(nine_digits):
        product = int(char) * (2 if position % 2 == 0 else 1)
        total += product // 10 + product % 10
    return (10 - total % 10) % 10


def pnr(yyyymmdd: str, serial: str) -> str:
    """A synthetic, Luhn-valid 12-digit personnummer YYYYMMDD-NNNC."""
    return f"{yyyymmdd}-{serial}{luhn_check_digit(yyyymmdd[2:] + serial)}"


def bad_check(number: str) -> str:
    """The same number with a wrong check digit."""
    return number[:-1] + str((int(number[-1]) + 1) % 10)


STUDY = {
    "name": "tiny",
    "title": "Tiny test study",
    "programme": "rinkeby",
    "extraction_date": "2024-06-30",
    "language": "en",
    "synthetic": True,
    "design": {"type": "concurrent", "intervention_areas": ["Norrby"], "comparison_areas": ["Söderby"],
               "programme_start": "2020-01-01", "born_from": "2020-01-01", "born_to": "2023-12-31"},
    "primary_indicators": ["vacc_mmr1_24m"],
    "inputs": {"children": "barn.csv", "visits": "besok.csv", "breastfeeding": "amning.csv",
               "vaccinations": "vaccinationer.csv", "language": "sprak.csv"},
}

HEADERS = {
    "children": "personnummer;omrade;forstfodd;mor_fodelseregion;utbildning;tolkbehov;mor_alder;fodelsevikt",
    "visits": "personnummer;datum;besokstyp;status;yrkesgrupper;narvarande;tolk",
    "breastfeeding": "personnummer;datum;amning",
    "vaccinations": "personnummer;datum;vaccin;dos",
    "language": "personnummer;datum;screening;resultat;remiss_logoped",
    "conversations": "personnummer;familj_id;datum;omrade;samtalstyp;mamma_narvarande;pappa_narvarande",
}


def write_study(folder: Path, rows: dict[str, list[str]], *, study: dict | None = None,
                encoding: str = "utf-8") -> Path:
    """Write study.yml and one ';'-separated CSV per table (header + the given lines)."""
    folder.mkdir(parents=True, exist_ok=True)
    config = {**STUDY, **(study or {})}
    (folder / "study.yml").write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
    for table, file in config["inputs"].items():
        if table not in HEADERS:  # an export the test writes itself
            continue
        lines = [HEADERS[table], *rows.get(table, [])]
        (folder / file).write_text("\n".join(lines) + "\n", encoding=encoding)
    if config.get("synthetic"):  # the marker `hembesok synth` leaves, so the demo key is allowed
        numbers = [line.split(";")[0] for line in rows.get("children", [])]
        privacy.write_synthetic_marker(folder, pd.Series(numbers, dtype=object))
    return folder
