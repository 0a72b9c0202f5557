"""The site package (`hembesok share`): a completed run's published aggregates in one zip.

`outputs/<study>/share/<study>-site.zip` holds

- `estimates.csv`: per indicator the summary's headline (the design's own estimate: the DiD
  under `did`, the adjusted estimate otherwise) with its interval, p-values, the numbers of
  children per group, verdict and suppression, as `tables/summary.csv` publishes them for the
  whole study, plus `se`: the standard error on the scale that is pooled (a ratio's log);
- `proportions.csv`: the share with the outcome per group and period, with its counts, as
  published (a hidden count stays "<5" or blank, a bound stays a bound);
- `site.json`: label, study, programme, design, extraction date, `min_cell`, the indicator
  definitions' version and per-indicator fingerprints (`pipeline.indicators.definition`),
  and how the standard errors were derived;
- `manifest.json`: the run's manifest as published (code version, input hashes, config);
- `README.md`: what the package holds, in Swedish and English.

Nothing is recomputed from data: every number is read from `outputs/<study>/tables/`, which
the publish step has already protected, except `se`, derived from the published interval:
(high - low) / (2 x 1.96), on the log scale for a ratio (Cochrane Handbook 6.3.1). For an
asymmetric interval (the wild cluster bootstrap's test inversion of a DiD) that is the mean
of its two halves; the bootstrap interval is conservative with few areas (README,
"How honest the intervals are"), so this SE is too, which makes pooled intervals wider, never
narrower. Before anything is written the package's files are scanned
(`package_problems`): the output scan for personnummer, a scan for pseudonyms, and every count
for a value from 1 to min_cell - 1; one hit and no package is written.
"""

from __future__ import annotations

import hashlib
import io
import json
import math
import os
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
from scipy import stats

from pipeline import __version__, privacy, store
from pipeline.config import Study, load_study
from pipeline.errors import HembesokError
from pipeline.indicators import DEFINITIONS_VERSION, INDICATOR_IDS, definition
from pipeline.publish import scan_file_for_personnummer
from pipeline.text.cells import to_number
from pipeline.text.pooling import SHARE_README
from pipeline.text.words import LANGUAGES, Words

PACKAGE_FORMAT = 1
PACKAGE_KIND = "hembesok site package"
MEMBERS = ("README.md", "site.json", "estimates.csv", "proportions.csv", "manifest.json")
Z_95 = float(stats.norm.isf(0.025))
# Ratios are pooled as their logs (pipeline.figures.RATIO_MEASURES draws them on a log scale).
LOG_SCALE_MEASURES = ("risk_ratio", "odds_ratio", "hazard_ratio", "rate_ratio", "count_ratio")
# summary.csv's columns that estimates.csv keeps (its whole-study rows), in this order.
ESTIMATE_COLUMNS = ("indicator", "primary", "kind", "design", "analysis", "method", "measure",
                    "estimate", "ci_low", "ci_high", "p_value", "p_adjusted", "multiplicity",
                    "n_intervention", "n_comparison", "verdict", "reason", "caveats", "suppressed",
                    "suppression")
GROUPS = ("intervention", "comparison", "intervention_pre", "comparison_pre")
# The period each design's groups were born in (the summary's *_pre groups: before the start).
PERIODS = {"did": {"intervention": "after_start", "comparison": "after_start",
                   "intervention_pre": "before_start", "comparison_pre": "before_start"},
           "historical": {"intervention": "after_start", "comparison": "before_start"},
           "concurrent": {"intervention": "study_period", "comparison": "study_period"}}
PROPORTION_COLUMNS = ("n_denominator", "events", "proportion", "proportion_bound")
# Counts in the package: each is a published count (a number of 0 or from min_cell, or "<5").
COUNT_COLUMNS = ("n_intervention", "n_comparison", "n_denominator", "events")
SE_DERIVATION = ("(ci_high - ci_low) / (2 x 1.959964) of the published 95% interval, on the log "
                 "scale for ratios (Cochrane Handbook 6.3.1); for an asymmetric interval the mean of "
                 "its two halves")
_ZIP_TIME = (1980, 1, 1, 0, 0, 0)  # fixed member times: the same contents give the same bytes


@dataclass(frozen=True)
class SitePackage:
    """A site package as read back (`read_package`): where it is, its metadata and tables."""

    path: Path
    sha256: str
    site: dict
    estimates: pd.DataFrame
    proportions: pd.DataFrame
    manifest: dict

    @property
    def label(self) -> str:
        return str(self.site["label"])


def package_path(study: Study, root: Path) -> Path:
    """Where `hembesok share` writes a study's package: outputs/<study>/share/<study>-site.zip."""
    return study.outputs_dir(root) / "share" / f"{study.name}-site.zip"


def write_site_package(study_path: Path, root: Path, label: str | None = None) -> Path:
    """Build, scan and write a completed run's site package; returns its path.

    Refuses (HembesokError) when the study has not been run, when its outputs are older than
    its exports or settings, or when the scan finds anything."""
    study = load_study(study_path)
    outputs = study.outputs_dir(root)
    tables = outputs / "tables"
    manifest_file = outputs / "manifest.json"
    if not (tables / "summary.csv").is_file() or not manifest_file.is_file():
        raise HembesokError(
            f"{outputs} holds no completed run of study '{study.name}' (no tables/summary.csv and "
            f"manifest.json): run `hembesok run {study_path}` first, then share")
    manifest = json.loads(manifest_file.read_text(encoding="utf-8"))
    _check_current(study, study_path, manifest)
    files = site_package_files(study, pd.read_csv(tables / "summary.csv", dtype=str,
                                                  keep_default_na=False),
                               manifest_file.read_bytes(), label or study.name)
    with tempfile.TemporaryDirectory(prefix=".hembesok-share-") as staging:
        for name, content in files.items():
            (Path(staging) / name).write_bytes(content)
        problems = package_problems(Path(staging), study.min_cell)
    if problems:
        raise HembesokError("the site package was not written: the scan found "
                            + "; ".join(problems[:10])
                            + ("; …" if len(problems) > 10 else "")
                            + f". Nothing in {outputs / 'share'} was changed")
    target = package_path(study, root)
    if _same_package(target, files):
        return target  # a cached rerun: only the manifest's run time and timings are new
    target.parent.mkdir(parents=True, exist_ok=True)
    staged = target.with_name(f".{target.name}.tmp-{os.getpid()}")
    try:
        staged.write_bytes(zip_bytes(files))
        staged.replace(target)
    finally:
        staged.unlink(missing_ok=True)
    return target


# What a rerun with nothing changed rewrites in the manifest (runner.write_manifest).
_RUN_TIMES = ("created", "stages")


def _same_package(path: Path, files: dict[str, bytes]) -> bool:
    """True when the package at `path` holds these files, its manifest differing at most in the
    run's time and stage timings (so that a cached rerun keeps the package, and its checksum)."""
    if not path.is_file():
        return False
    try:
        with zipfile.ZipFile(path) as archive:
            old = {name: archive.read(name) for name in archive.namelist()}
    except (OSError, zipfile.BadZipFile):
        return False
    if set(old) != set(files) or any(old[n] != files[n] for n in files if n != "manifest.json"):
        return False

    def timeless(manifest: bytes) -> dict:
        return {k: v for k, v in json.loads(manifest).items() if k not in _RUN_TIMES}

    return timeless(old["manifest.json"]) == timeless(files["manifest.json"])


def _check_current(study: Study, study_path: Path, manifest: dict) -> None:
    """The published outputs must be those of the exports and settings as they are now."""
    from pipeline.runner import REPORT_SETTINGS, input_hashes  # the runner imports much

    now = input_hashes(study)
    then = manifest.get("inputs_sha256") or {}
    changed = sorted(name for name in set(now) | set(then) if now.get(name) != then.get(name))
    config_now, config_then = study.public_config(), manifest.get("config") or {}
    settings = sorted(key for key in set(config_now) | set(config_then)
                      if key not in REPORT_SETTINGS and _jsonable(config_now.get(key))
                      != _jsonable(config_then.get(key)))
    if changed or settings:
        what = ([f"the export(s) {', '.join(changed)}"] if changed else []) + (
            [f"the setting(s) {', '.join(settings)} of study.yml"] if settings else [])
        raise HembesokError(
            f"the outputs of study '{study.name}' are from an earlier run: {' and '.join(what)} "
            f"changed since. Run `hembesok run {study_path}` again, then share")


def _jsonable(value: object) -> object:
    return json.loads(json.dumps(value, default=str, sort_keys=True))


def site_package_files(study: Study, summary: pd.DataFrame, manifest: bytes,
                       label: str) -> dict[str, bytes]:
    """The package's files from the published summary (read as text, as published) and the
    run's manifest: {name: bytes}. Pure: no file is read or written."""
    whole = summary[summary["area"] == "all"] if "area" in summary.columns else summary
    estimates = estimates_table(whole)
    proportions = proportions_table(whole, study.design.type)
    indicators = [i for i in estimates["indicator"] if i in INDICATOR_IDS]
    site = {
        "format": PACKAGE_FORMAT,
        "kind": PACKAGE_KIND,
        "label": label,
        "study": study.name,
        "title": study.title_in(study.language),
        "hembesok_version": __version__,
        "programme": {"name": study.programme.name, "family": study.programme.name,
                      "title": study.programme.title_in(study.language),
                      "titles": {language: study.programme.title_in(language) for language in LANGUAGES},
                      "planned_contacts": len(study.programme.contacts)},
        "design": {"type": study.design.type,
                   "intervention_areas": list(study.design.intervention_areas),
                   "comparison_areas": list(study.design.comparison_areas),
                   "programme_start": study.design.programme_start.isoformat(),
                   "born_from": study.design.born_from.isoformat(),
                   "born_to": study.design.born_to.isoformat()},
        "extraction_date": study.extraction_date.isoformat(),
        "primary_indicators": list(study.primary_indicators),
        "min_cell": study.min_cell,
        "language_screening": study.language_screening,
        "definitions": {"version": DEFINITIONS_VERSION,
                        "indicators": {i: definition_fingerprint(i, study.language_screening)
                                       for i in indicators}},
        "standard_error": SE_DERIVATION,
    }
    return {
        "README.md": readme(site).encode("utf-8"),
        "site.json": (json.dumps(site, indent=2, ensure_ascii=False) + "\n").encode("utf-8"),
        "estimates.csv": _csv(estimates),
        "proportions.csv": _csv(proportions),
        "manifest.json": manifest,
    }


def definition_fingerprint(indicator_id: str, language_screening: str) -> str:
    """A short hash of what defines an indicator (`pipeline.indicators.definition`)."""
    return store.json_sha256(definition(indicator_id, language_screening))[:16]


def estimates_table(summary: pd.DataFrame) -> pd.DataFrame:
    """estimates.csv: the summary's whole-study rows (as published, text) with `se` and `scale`."""
    table = summary.reindex(columns=list(ESTIMATE_COLUMNS), fill_value="")
    ses, scales = [], []
    for row in table.itertuples(index=False):
        log_scale = row.measure in LOG_SCALE_MEASURES
        scales.append("log" if log_scale else "additive")
        se = standard_error_from_interval(published_number(row.ci_low), published_number(row.ci_high),
                                          log_scale=log_scale)
        ses.append("" if se is None else f"{se:.6g}")
    return table.assign(se=ses, scale=scales).reset_index(drop=True)


def standard_error_from_interval(low: float | None, high: float | None, *, log_scale: bool = False,
                                 confidence: float = 0.95) -> float | None:
    """The standard error of a normal estimate whose `confidence` interval is (low, high):
    (high - low) / (2 z), on the log scale when `log_scale`; None when the interval is missing,
    empty or (for a ratio) not positive. For an asymmetric interval it is the mean of the two
    half-widths over z, i.e. the SE of the symmetric interval of the same width.

    >>> from pipeline.multisite.package import standard_error_from_interval
    >>> round(standard_error_from_interval(-0.02, 0.18), 6)
    0.051021
    """
    if low is None or high is None or not math.isfinite(low) or not math.isfinite(high):
        return None
    if log_scale:
        if low <= 0 or high <= 0:
            return None
        low, high = math.log(low), math.log(high)
    if high <= low:
        return None
    return (high - low) / (2 * float(stats.norm.isf((1 - confidence) / 2)))


def proportions_table(summary: pd.DataFrame, design: str) -> pd.DataFrame:
    """proportions.csv: one row per indicator, group and period, as the summary publishes them."""
    periods = PERIODS.get(design, PERIODS["did"])
    rows = []
    for record in summary.to_dict("records"):
        for group, period in periods.items():
            values = {column: record.get(f"{column}_{group}", "") for column in PROPORTION_COLUMNS}
            if not any(str(v).strip() for v in values.values()):
                continue
            rows.append({"indicator": record["indicator"], "group": group, "period": period, **values})
    return pd.DataFrame(rows, columns=["indicator", "group", "period", *PROPORTION_COLUMNS])


def published_number(value: object) -> float | None:
    """A published cell as a finite number; None when blank, hidden ("<5") or a bound (">0.95")."""
    number = to_number(value)
    return number if number is not None and math.isfinite(number) else None


def _csv(frame: pd.DataFrame) -> bytes:
    buffer = io.StringIO()
    frame.to_csv(buffer, index=False, lineterminator="\n")
    return buffer.getvalue().encode("utf-8")


def readme(site: dict) -> str:
    """README.md of a package: what it holds, in Swedish, then in English."""
    below = int(site["min_cell"]) - 1
    values = {"label": site["label"], "version": site["hembesok_version"], "study": site["study"],
              "programme": site["programme"]["title"] or site["programme"]["name"],
              "extraction_date": site["extraction_date"], "design": site["design"]["type"],
              "min_cell": site["min_cell"], "below": below}
    parts = []
    for language in ("sv", "en"):
        programme = (site["programme"].get("titles") or {}).get(language) or values["programme"]

        def say(key: str, language: str = language, programme: str = programme) -> str:
            words: Words = SHARE_README[key]
            return words.in_(language).format(**(values | {"programme": programme}))

        parts += [f"# {say('title')}", "", say("intro"), "", f"## {say('contents')}", "",
                  *(f"- {say(key)}" for key in ("estimates", "proportions", "site", "manifest")), "",
                  f"## {say('protection_title')}", "", say("protection"), "",
                  f"## {say('se_title')}", "", say("se"), "", ""]
    return "\n".join(parts).rstrip("\n") + "\n"


def zip_bytes(files: dict[str, bytes]) -> bytes:
    """The files as a zip with fixed member times and order: same contents, same bytes."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name in sorted(files):
            info = zipfile.ZipInfo(name, date_time=_ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            archive.writestr(info, files[name])
    return buffer.getvalue()


def package_problems(folder: Path, min_cell: int) -> list[str]:
    """What a package's files must not hold, each in words: a personnummer-like string (the
    output scan of pipeline.publish), a pseudonym-like string, or a count from 1 to
    min_cell - 1 in a count column. Empty when the files may be shared."""
    problems = []
    for path in sorted(p for p in Path(folder).rglob("*") if p.is_file()):
        hits = scan_file_for_personnummer(path)
        if hits:
            problems.append(f"{len(hits)} personnummer-like string(s) in {path.name} (e.g. {hits[0]})")
        if path.suffix.lower() in (".csv", ".json", ".md", ".txt"):
            pseudonyms = privacy.find_pseudonym_like(path.read_text(encoding="utf-8", errors="replace"))
            if pseudonyms:
                problems.append(f"{len(pseudonyms)} pseudonym-like string(s) in {path.name}")
        if path.suffix.lower() == ".csv":
            problems += _small_counts(path, min_cell)
    return problems


def _small_counts(path: Path, min_cell: int) -> list[str]:
    """Counts from 1 to min_cell - 1 in a CSV's count columns ("<5" is how they are published)."""
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    found = []
    for column in (c for c in frame.columns if c in COUNT_COLUMNS):
        for position, value in enumerate(frame[column]):
            number = published_number(value)
            if number is not None and 0 < number < min_cell:
                where = frame["indicator"].iloc[position] if "indicator" in frame.columns else position + 2
                found.append(f"a count below {min_cell} in {path.name}, column {column} ({where}): {value}")
    return found


def read_package(path: Path) -> SitePackage:
    """A site package read back, its format checked; HembesokError naming the file otherwise."""
    path = Path(path)
    if not path.is_file():
        raise HembesokError(f"{path}: no such site package (make one with `hembesok share`)")
    data = path.read_bytes()
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = set(archive.namelist())
            missing = [m for m in MEMBERS if m not in names]
            if missing:
                raise HembesokError(f"{path} is not a complete site package: {', '.join(missing)} "
                                    "missing (make one with `hembesok share`)")
            members = {name: archive.read(name) for name in MEMBERS}
    except zipfile.BadZipFile:
        raise HembesokError(f"{path} is not a zip file; a site package is the "
                            "<study>-site.zip that `hembesok share` writes") from None
    site = json.loads(members["site.json"])
    if site.get("kind") != PACKAGE_KIND or site.get("format") != PACKAGE_FORMAT:
        raise HembesokError(f"{path}: package format {site.get('format')!r}, this hembesok reads "
                            f"format {PACKAGE_FORMAT}; share the site again with this version")
    with tempfile.TemporaryDirectory(prefix=".hembesok-pool-") as staging:
        for name, content in members.items():
            (Path(staging) / name).write_bytes(content)
        problems = package_problems(Path(staging), int(site.get("min_cell") or 5))
    if problems:
        raise HembesokError(f"{path} is refused: the scan found " + "; ".join(problems[:10]))

    def table(name: str) -> pd.DataFrame:
        return pd.read_csv(io.BytesIO(members[name]), dtype=str, keep_default_na=False)

    return SitePackage(path=path, sha256=hashlib.sha256(data).hexdigest(), site=site,
                       estimates=table("estimates.csv"), proportions=table("proportions.csv"),
                       manifest=json.loads(members["manifest.json"]))
