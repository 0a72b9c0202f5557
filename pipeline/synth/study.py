"""The study folder: `write_synthetic_study` writes the exports chunk by chunk, study.yml
and truth.json."""

from __future__ import annotations

import json
import re
import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from pipeline import privacy
from pipeline.followup import optional, part_modules
from pipeline.synth.care import _care_area_effects, _care_events, _dental_events, _draw_care
from pipeline.synth.mess import _children_frame, _event_frame, _plant_children, _plant_events
from pipeline.synth.outcomes import (
    _area_effects,
    _breastfeeding_events,
    _draw_outcomes,
    _language_events,
    _vaccination_events,
    _visit_events,
)
from pipeline.synth.parameters import (
    _CHUNK_CHILDREN,
    _DATE_FORMAT_LABELS,
    _TABLE_STREAM,
    BORN_FROM,
    BORN_TO,
    COMPARISON_AREAS,
    DATE_FORMATS,
    DEFAULT_CARE_EFFECTS,
    DEFAULT_EFFECTS,
    EXTRACTION_DATE,
    INTERVENTION_AREAS,
    OPTIONAL_TABLES,
    PROGRAMME_START,
    _Export,
    _exports,
)
from pipeline.synth.population import _Calendar, _draw_children, _PersonnummerFactory
from pipeline.synth.truth import (
    CARE_INDICATORS,
    _accumulate_care_truth,
    _accumulate_truth,
    _RateTruth,
    _Truth,
    _truth_document,
)
from pipeline.synth.writers import _CsvWriter, _XlsxWriter


@dataclass
class SynthResult:
    """What `write_synthetic_study` wrote: paths and rows per table."""

    out_dir: Path
    study_file: Path
    truth_file: Path
    files: dict[str, Path]
    rows: dict[str, int]
    n_children: int
    seed: int
    seconds: float = 0.0
    planted: dict[str, dict[str, object]] = field(default_factory=dict)


def write_synthetic_study(out_dir: Path, n_children: int = 2000, seed: int = 1, name: str = "demo",
                          effects: dict[str, float] | None = None,
                          progress: Callable[[str], None] | None = None,
                          care_effects: dict[str, float] | None = None,
                          title: str | None = None, csv_only: bool = False) -> SynthResult:
    """Write a synthetic study folder (exports, study.yml, truth.json); same seed, same bytes.

    `effects` are the programme's odds ratios of the core outcomes (DEFAULT_EFFECTS),
    `care_effects` its rate and odds ratios of healthcare use and dental health
    (DEFAULT_CARE_EFFECTS), both among accepting families. `title` is study.yml's title
    (default "Syntetisk demonstrationsstudie"). `csv_only` writes every export as CSV (for
    `hembesok bench`, whose yardstick is a plain parse of CSV files): the same children and
    rows, with the visits and language exported as a study too large for a sheet has them."""
    started = time.perf_counter()
    if n_children < 1:
        raise ValueError(f"n_children must be at least 1, got {n_children}")
    effects_used = _effects(DEFAULT_EFFECTS, effects, "odds ratio")
    care_effects_used = _effects(DEFAULT_CARE_EFFECTS, care_effects, "rate or odds ratio")
    say = progress or (lambda _message: None)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    exports = _exports(n_children, csv_only)
    calendar = _Calendar()
    pnr = _PersonnummerFactory(calendar)
    writers = {table: (_XlsxWriter if e.is_xlsx else _CsvWriter)(out_dir / e.file, e)
               for table, e in exports.items()}
    truth = _Truth()
    planted: dict[str, dict[str, object]] = {}
    formats = {table: np.zeros(len(DATE_FORMATS), dtype=np.int64) for table in exports}
    rows_written = dict.fromkeys(exports, 0)
    rows_natural = dict.fromkeys(exports, 0)
    decimal_comma = 0
    n_chunks = -(-n_children // _CHUNK_CHILDREN)
    synthetic_children: list[np.ndarray] = []  # normalised personnummer, for the marker
    area_effects = _area_effects(seed)
    care_area_effects = _care_area_effects(seed)
    care_truth, emergency_rate = _Truth(CARE_INDICATORS), _RateTruth()
    care_pnr = _PersonnummerFactory(calendar, reserved_from=475)  # leaves the core's counters be
    try:
        for chunk in range(n_chunks):
            size = min(_CHUNK_CHILDREN, n_children - chunk * _CHUNK_CHILDREN)
            first = chunk == 0

            def stream(table: str, chunk: int = chunk) -> np.random.Generator:
                return np.random.default_rng([seed, chunk, _TABLE_STREAM[table]])

            kids = _draw_children(stream("children"), size, pnr, first)
            outcomes = _draw_outcomes(stream("outcomes"), kids, effects_used, area_effects)
            frame, fmt, decimals = _children_frame(stream("children_rows"), kids, calendar,
                                                   exports["children"])
            decimal_comma += decimals
            rows_natural["children"] += len(frame)
            frame, fmt, counts = _plant_children(stream("mess"), frame, fmt, kids, pnr, calendar,
                                                 first)
            _add_counts(planted, "children", counts)
            _write(writers["children"], frame, fmt, formats["children"], rows_written, "children")
            synthetic_children.append(kids.pnr[:, 1])

            bf_events, bf_age = _breastfeeding_events(stream("breastfeeding"), kids, outcomes)
            vacc_events = _vaccination_events(stream("vaccinations"), kids, outcomes)
            lang_events, lang = _language_events(stream("language"), kids, outcomes)
            visit_events = _visit_events(stream("visits"), kids)
            _accumulate_truth(truth, kids, outcomes, bf_age, lang, bf_events, vacc_events)
            # the optional exports: their own streams and personnummer counters
            care = _draw_care(kids, care_effects_used, care_area_effects)
            care_events = _care_events(stream("care_contacts"), kids, care)
            dental_events = _dental_events(stream("dental"), kids, care)
            _accumulate_care_truth(care_truth, emergency_rate, kids, care, care_events,
                                   dental_events)
            for table, events, numbers in (("visits", visit_events, pnr), ("breastfeeding", bf_events, pnr),
                                           ("vaccinations", vacc_events, pnr), ("language", lang_events, pnr),
                                           *zip(OPTIONAL_TABLES, (care_events, dental_events),
                                                (care_pnr, care_pnr), strict=True)):
                rng = np.random.default_rng([seed, chunk, _TABLE_STREAM[table], 1])
                frame, fmt = _event_frame(table, rng, events, kids, calendar, exports[table])
                rows_natural[table] += len(frame)
                coordination_rows = int(kids.coordination[events.child].sum())
                frame, fmt, counts = _plant_events(table, rng, frame, fmt, events, kids, numbers,
                                                   calendar, first)
                counts["samordningsnummer"] = coordination_rows
                _add_counts(planted, table, counts)
                _write(writers[table], frame, fmt, formats[table], rows_written, table)
            done = chunk * _CHUNK_CHILDREN + size
            say(f"synth: chunk {chunk + 1}/{n_chunks} ({done:,} children)")
    finally:
        for writer in writers.values():
            writer.close()
    for table, export in exports.items():
        planted[table].update({
            "file": export.file,
            "rows_written": rows_written[table],
            "rows_natural": rows_natural[table],
            "date_formats": {_DATE_FORMAT_LABELS[f]: int(c)
                             for f, c in zip(DATE_FORMATS, formats[table], strict=True) if c},
            "decimal_comma": decimal_comma if table == "children" else 0,
        })
    privacy.write_synthetic_marker(out_dir, pd.Series(np.concatenate(synthetic_children)))
    followup = _write_followup_exports(out_dir, seed)
    study_file = out_dir / "study.yml"
    study_file.write_text(_study_yaml(name, exports, followup, title), encoding="utf-8")
    truth_file = out_dir / "truth.json"
    document = _truth_document(name=name, seed=seed, n_children=n_children,
                               chunk_children=_CHUNK_CHILDREN, effects=effects_used,
                               area_effects=area_effects, truth=truth, exports=exports,
                               rows_written=rows_written, planted=planted,
                               care_effects=care_effects_used, care_area_effects=care_area_effects,
                               care_truth=care_truth, emergency_rate=emergency_rate)
    document["followup"] = {table: {"file": file, "rows_written": rows}
                            for table, (file, rows) in followup.items()}
    text = json.dumps(document, indent=2, ensure_ascii=False) + "\n"
    truth_file.write_text(text, encoding="utf-8")
    seconds = time.perf_counter() - started
    say(f"synth: {n_children:,} children written to {out_dir} in {seconds:.1f} s")
    return SynthResult(out_dir=out_dir, study_file=study_file, truth_file=truth_file,
                       files={**{table: out_dir / e.file for table, e in exports.items()},
                              **{table: out_dir / file for table, (file, _) in followup.items()}},
                       rows={**rows_written, **{table: rows for table, (_, rows) in followup.items()}},
                       n_children=n_children, seed=seed, seconds=seconds,
                       planted=planted)


def _effects(defaults: dict[str, float], given: dict[str, float] | None,
             kind: str) -> dict[str, float]:
    """The defaults with the given effects in their place; an unknown name or a ratio that is
    not positive is refused."""
    used = dict(defaults)
    for key, value in (given or {}).items():
        if key not in defaults:
            raise ValueError(f"unknown effect '{key}': use one of {', '.join(defaults)}")
        if not value > 0:
            raise ValueError(f"effect '{key}' must be a positive {kind}, got {value}")
        used[key] = float(value)
    return used


def _write_followup_exports(out_dir: Path, seed: int) -> dict[str, tuple[str, int]]:
    """Each follow-up part's synthetic export (pipeline.followup), written as Swedish Excel's
    "CSV UTF-8" (semicolons, a byte-order mark, CRLF): {table: (file, rows)}. Each part draws
    from a stream of the seed of its own, so that a part added or changed leaves the core
    exports and the other parts' exports as they were."""
    written = {}
    for part in part_modules():
        export = part.EXPORT
        rng = np.random.default_rng([seed, zlib.crc32(export.name.encode("utf-8"))])
        areas = ((*INTERVENTION_AREAS, *COMPARISON_AREAS) if optional(part, "SYNTHETIC_AREAS") == "all"
                 else INTERVENTION_AREAS)
        frame = part.synthetic(rng, areas, PROGRAMME_START, EXTRACTION_DATE)
        file = f"{export.file or export.name}.csv"
        frame.to_csv(out_dir / file, sep=";", index=False, encoding="utf-8-sig", lineterminator="\r\n")
        written[export.name] = (file, len(frame))
    return written


def _study_yaml(name: str, exports: dict[str, _Export],
                followup: dict[str, tuple[str, int]] | None = None, title: str | None = None) -> str:
    quoted = name if re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.-]*", name) else json.dumps(name)
    # a title per report language: the English reports are headed in English
    title = ("{sv: Syntetisk demonstrationsstudie, en: Synthetic demonstration study}" if title is None
             else json.dumps(title, ensure_ascii=False))

    def entry(table: str) -> str:
        export = exports[table]
        return f"{{file: {export.file}, sheet: {export.sheet}}}" if export.sheet else export.file

    return "\n".join([
        f"name: {quoted}",
        f"title: {title}",
        "programme: rinkeby",
        f"extraction_date: {EXTRACTION_DATE.isoformat()}",
        "language: sv",
        "synthetic: true",
        "eligibility: {first_child: true, first_child_in_sweden: true}",
        "design:",
        "  type: did",
        f"  intervention_areas: [{', '.join(INTERVENTION_AREAS)}]",
        f"  comparison_areas: [{', '.join(COMPARISON_AREAS)}]",
        f"  programme_start: {PROGRAMME_START.isoformat()}",
        f"  born_from: {BORN_FROM.isoformat()}",
        f"  born_to: {BORN_TO.isoformat()}",
        "covariates: [mother_region, education, mother_age, interpreter_needed, child_sex]",
        "primary_indicators: [vacc_mmr1_24m, bf_any_6m, lang_no_deviation]",
        "min_cell: 5",
        "inputs:",
        *(f"  {table}: {entry(table)}" for table in ("children", "visits", "breastfeeding",
                                                     "vaccinations", "language")),
        *(f"  {table}: {entry(table)}   # optional: healthcare use and dental health"
          for table in OPTIONAL_TABLES),
        *(f"  {table}: {file}   # optional: the programme's follow-up (pipeline.followup)"
          for table, (file, _) in (followup or {}).items()),
        "column_map: {visits: {Besöksdatum: datum}}   # this export names the date Besöksdatum",
        *_COSTS_YAML,
        *(f"{key}: {json.dumps(value, ensure_ascii=False)}   # for the follow-up part {part.__name__}"
          for part in part_modules() if part.EXPORT.name in (followup or {})
          for key, value in optional(part, "SYNTHETIC_SETTINGS", {}).items()),
        "",
    ])


# The programme's costs in kronor per year (issue 12), at the level of Solna's budget of about
# 2 MSEK a year; the start year from September only.
# (What a cost covers is the study's own text, shown as written in both report languages.)
_STAFF = "personal: BVC-sjuksköterska, föräldrarådgivare"
_COSTS = ((2020, 600_000, f"{_STAFF}; från september"), (2020, 150_000, "utbildning, uppstart"),
          (2021, 1_800_000, _STAFF), (2021, 200_000, "tolk, resor, material"),
          (2022, 1_850_000, _STAFF), (2022, 200_000, "tolk, resor, material"),
          (2023, 1_900_000, _STAFF), (2023, 220_000, "tolk, resor, material"))
_COSTS_YAML = ("costs:", *(f"  - {{year: {year}, amount_sek: {amount}, covers: '{covers}'}}"
                           for year, amount, covers in _COSTS))


def _add_counts(planted: dict[str, dict[str, object]], table: str, counts: dict[str, int]) -> None:
    target = planted.setdefault(table, {})
    for key, value in counts.items():
        target[key] = int(target.get(key, 0)) + int(value)


def _write(writer: _CsvWriter | _XlsxWriter, frame: pd.DataFrame, fmt: np.ndarray,
           format_counts: np.ndarray, rows_written: dict[str, int], table: str) -> None:
    writer.write(frame)
    valid = fmt[fmt >= 0]
    format_counts += np.bincount(valid, minlength=len(DATE_FORMATS))
    rows_written[table] += len(frame)
