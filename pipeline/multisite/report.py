"""`hembesok pool`'s outputs: pooled tables, forest plots and the pooled report (sv and en).

`write_pooled` reads the site packages, pools them (`pipeline.multisite.pool`) and writes the
`--out` folder whole (built in a staging folder, scanned for personnummer like every output,
then swapped in):

- `tables/pooled.csv` (per indicator the random-effects and fixed-effect rows and each site's
  row with its weight or why it is not pooled) and `tables/sites.csv` (the sites, their
  designs and the packages' provenance);
- `figures/pooled_<language>/`: a forest plot per indicator as PNG and SVG;
- `reports/pooled_sv.html` and `pooled_en.html`, generated directly in Python (no notebook:
  nothing here needs a kernel) with the report pages' stylesheet, and their PDFs printed by
  the report stage's headless Chromium when one is installed;
- `manifest.json`: the packages (file, SHA-256, site, study, code version), this code's
  version and the methods.
"""

from __future__ import annotations

import datetime as dt
import html
import json
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from pipeline import __version__, store, tables, text
from pipeline.multisite.package import SitePackage, read_package
from pipeline.multisite.pool import (
    MIN_SITES_PREDICTION,
    UNINFORMATIVE_POINTS,
    UNINFORMATIVE_RATIO,
    PooledIndicator,
    SiteEstimate,
    pool_packages,
    pooled_table,
    sites_table,
)
from pipeline.narrative import correction_words, interval_text
from pipeline.pooling_figures import forest_plot, pooled_name
from pipeline.report_html import figure_html, table_html
from pipeline.stats.results import Estimate
from pipeline.text import format_date, format_interval, format_number, format_p, format_percent, label
from pipeline.text.narrative_words import WORDS as NARRATIVE_WORDS
from pipeline.text.pooling import LEFT_OUT, METHOD_WORDS, POOL_HEADERS, POOL_WORDS, VERDICT_CELLS

LANGUAGES = ("sv", "en")
STYLESHEET = Path(__file__).resolve().parents[1] / "report_templates" / "hembesok" / "report.css"
FEW_SITES = 5  # below this many sites the report says that heterogeneity is poorly estimated
I2_BANDS = ((30.0, "i2_small"), (60.0, "i2_moderate"), (float("inf"), "i2_large"))


@dataclass
class PooledOutputs:
    """What `write_pooled` wrote, and one line per primary indicator for the terminal."""

    folder: Path
    sites: list[str]
    tables: Path
    figures: Path
    reports: list[Path] = field(default_factory=list)
    lines: list[str] = field(default_factory=list)
    pdf_problem: str | None = None
    cached: bool = False


def write_pooled(package_paths: Sequence[Path], out: Path, *, jobs: int = 1, force: bool = False,
                 progress: Callable[[str], None] = lambda _: None) -> PooledOutputs:
    """Pool site packages into `out` (replaced whole): tables, forest plots (drawn by `jobs`
    processes), reports, manifest. Nothing is written when `out` already holds the pooling of
    the same packages by the same code (unless `force`)."""
    from pipeline.runner import scan_outputs
    from pipeline.stages.report import KeptBrowser, pdf_browser

    packages = [read_package(Path(path)) for path in package_paths]
    progress(f"pool: {len(packages)} site packages read")
    pooled = pool_packages(packages)
    frame, sites = pooled_table(pooled), sites_table(packages)
    out = Path(out)
    result = PooledOutputs(out, [p.label for p in packages], out / "tables", out / "figures",
                           lines=[_terminal_line(item) for item in pooled if item.primary])
    manifest = _manifest(packages)
    if not force and _pooled_already(out, manifest["stamp"]):
        progress(f"pool: nothing changed, {out} kept")
        result.reports = [out / "reports" / f"pooled_{language}.html" for language in LANGUAGES]
        result.cached = True
        return result
    with store.atomic_folder(out) as staging:
        (staging / "tables").mkdir()
        store.write_csv(frame, staging / "tables" / "pooled.csv")
        store.write_csv(sites, staging / "tables" / "sites.csv")
        (staging / "reports").mkdir()
        progress(f"pool: forest plots of {len(pooled)} indicators in {len(LANGUAGES)} languages")
        browser = pdf_browser()
        printer = KeptBrowser(browser) if browser is not None else None
        if printer is None:
            result.pdf_problem = "no headless Chromium (apt-get install chromium): HTML only"
        else:
            printer.start()  # it starts while the forest plots are drawn
        try:
            all_jobs = [job for language in LANGUAGES for job in forest_jobs(pooled, language)]
            folders = {language: staging / "figures" / f"pooled_{language}" for language in LANGUAGES}
            drawn = render_forests(frame, all_jobs, folders, workers=jobs)
            written = []
            for language in LANGUAGES:
                progress(f"pool: report ({language})")
                forests = {indicator: shown for (lang, indicator), shown in drawn.items() if lang == language}
                page = pooled_report_html(pooled, frame, packages, language, forests=forests)
                path = staging / "reports" / f"pooled_{language}.html"
                path.write_text(page, encoding="utf-8")
                written.append(path)
            for path in written:
                if printer is not None:
                    progress(f"pool: printing {path.with_suffix('.pdf').name}")
                    problem = printer.print_pdf(path, path.with_suffix(".pdf"))
                    result.pdf_problem = problem or result.pdf_problem
        finally:
            if printer is not None:
                printer.close()
        (staging / "manifest.json").write_text(
            json.dumps(manifest, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        scan_outputs(staging)
    result.reports = [out / "reports" / path.name for path in written]
    return result


def _pooled_already(out: Path, stamp: str) -> bool:
    """True when `out` holds a complete pooling with this stamp (packages and code)."""
    try:
        manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return manifest.get("stamp") == stamp and all(
        (out / "reports" / f"pooled_{language}.html").is_file() for language in LANGUAGES)


def _manifest(packages: Sequence[SitePackage]) -> dict:
    code = store.code_version()
    return {
        "stamp": store.json_sha256({"code": code, "packages": [(p.path.name, p.sha256) for p in packages]}),
        "pooled": [p.label for p in packages],
        "created": dt.datetime.now().isoformat(timespec="seconds"),
        "hembesok_version": __version__,
        "code": {"source_sha256": code, "git_commit": store.git_commit()},
        "method": "random-effects meta-analysis per indicator: REML tau², Hartung-Knapp-Sidik-Jonkman "
                  "interval (t, k - 1 df) with its factor floored at 1 (Knapp & Hartung's ad hoc "
                  "modification; unfloored in pooled.csv's random_effects_unfloored rows), no "
                  "prediction interval below 3 sites, fixed effect (inverse variance, normal) as "
                  "sensitivity; site SEs derived from their published 95% intervals",
        "packages": [{"file": p.path.name, "sha256": p.sha256, "site": p.label, "study": p.site["study"],
                      "definitions_version": p.site["definitions"]["version"],
                      "code_version": (p.manifest.get("code") or {}).get("source_sha256"),
                      "inputs_sha256": p.manifest.get("inputs_sha256")} for p in packages],
    }


def _terminal_line(item: PooledIndicator) -> str:
    """One line in English for the terminal: the pooled estimate, I² and prediction interval."""
    pooled, meta = item.meta.pooled, item.meta
    if pooled.estimate is None or pooled.ci_low is None:
        return f"{item.indicator}: not pooled ({pooled.reason or 'no interval'})"
    unit = "" if item.log_scale else " pp"
    shown = f"{_shown(item, pooled.estimate, pooled.ci_low, pooled.ci_high, 'en')}{unit}"
    prediction = "" if item.prediction is None else (
        f", prediction interval {_interval_only(item, *item.prediction, 'en', natural=True)}")
    return (f"{item.indicator}: {shown} from {meta.k} sites, I² {format_percent(meta.i2 / 100, 'en')}"
            f"{prediction}; {item.verdict}")


# --- the report page ------------------------------------------------------------------------

def pooled_report_html(pooled: Sequence[PooledIndicator], frame: pd.DataFrame,
                       packages: Sequence[SitePackage], language: str,
                       figures_dir: Path | None = None, forests: dict[str, str] | None = None) -> str:
    """The pooled report in `language` as one self-contained HTML page; `forests` holds each
    indicator's figure HTML when `render_forests` drew them already (else they are drawn here)."""
    text.check_language(language)
    if forests is None:
        forests = {f.indicator: _render_forest(frame, f, figures_dir) for f in forest_jobs(pooled, language)}
    k = len(packages)
    site_programme = packages[0].site["programme"]
    # a package before programme titles per language has its study's language's only
    programme = ((site_programme.get("titles") or {}).get(language) or site_programme["title"]
                 or site_programme["name"])
    title = _say("title", language, k=k, programme=programme)
    parts = [f"<h1>{html.escape(title)}</h1>"]
    if any((package.manifest.get("config") or {}).get("synthetic") for package in packages):
        # as each site's report says it (the pooled report of the demo's sites said nothing: a review)
        parts.append(f"<p><strong>{html.escape(text.phrase('synthetic', language))}</strong></p>")
    parts += [_p(_say(key, language, k=k)) for key in ("what_pooled", "what_estimate_means",
                                                        "what_heterogeneity")]
    if k < FEW_SITES:
        parts.append(_p(_say("few_sites", language, k=k, df=k - 1)))
    designs = sorted({p.site["design"]["type"] for p in packages})
    tables_shown = iter(range(1, 100))
    parts.append(f"<h2>{html.escape(_say('sites_title', language))}</h2>")
    if len(designs) > 1:
        parts.append(_p(_say("mixed_designs", language,
                             designs=", ".join(label("design", d, language) for d in designs))))
    parts.append(table_html(_sites_table_html(packages, pooled, language), next(tables_shown),
                            _say("sites_caption", language), language))
    for primary, key in ((True, "main_title"), (False, "other_title")):
        items = [item for item in pooled if item.primary == primary]
        if not items:
            continue
        parts.append(f"<h2>{html.escape(_say(key, language))}</h2>")
        caption = _with_unit(_say("main_caption" if primary else "overview_caption", language), items,
                             language)
        # the family the adjusted p column is corrected in (Holm over the primary indicators, BH
        # over the others), as the text names it
        family = next((item for item in items if item.multiplicity), None)
        if family is not None:
            caption = _say("caption_correction", language, caption=caption,
                           correction=_correction(family, pooled, language))
        parts.append(table_html(_overview_html(items, pooled, language, _historical(packages)),
                                next(tables_shown), caption, language))
        for item in items:
            name = pooled_name(item.indicator, language, ratio=item.log_scale)
            parts.append(f"<h3>{html.escape(name)}</h3>")
            parts += [_p(sentence) for sentence in indicator_sentences(item, pooled, language)]
            parts.append(forests.get(item.indicator, ""))  # no figure where no site has an estimate
    parts.append(f"<h2>{html.escape(_say('methods_title', language))}</h2>")
    parts.append(table_html(_methods_html(language), next(tables_shown), _say("methods_title", language),
                            language))
    parts.append(f"<h2>{html.escape(_say('provenance_title', language))}</h2>")
    parts.append(_p(_say("provenance", language)))
    parts.append(table_html(_provenance_html(packages, language), next(tables_shown),
                            _say("provenance_caption", language), language))
    parts.append(_p(_say("files", language, files="tables/pooled.csv, tables/sites.csv")))
    return _page("\n".join(parts), title, language)


@dataclass(frozen=True)
class ForestJob:
    """One forest plot of the report: its indicator, language, figure number and words."""

    indicator: str
    language: str
    number: int
    caption: str
    alt: str
    name: str  # the indicator's name in `language`: the figure's files are named after it


def forest_jobs(pooled: Sequence[PooledIndicator], language: str) -> list[ForestJob]:
    """The report's forest plots in `language`, numbered in the order the page shows them
    (primary indicators first, as `pooled` is ordered)."""
    jobs = []
    shown = [item for item in sorted(pooled, key=lambda i: not i.primary) if item.meta.k > 0]
    for number, item in enumerate(shown, start=1):  # none of an indicator no site estimates
        name = pooled_name(item.indicator, language, ratio=item.log_scale)
        caption = ("forest_caption" if item.meta.k >= MIN_SITES_PREDICTION
                   else "forest_caption_few" if item.meta.k >= 2 else "forest_caption_one")
        jobs.append(ForestJob(item.indicator, language, number, _say(caption, language, indicator=name),
                              _say("forest_alt" if item.meta.k >= 2 else "forest_alt_one", language,
                                   indicator=name, k=item.meta.k, estimate=_estimate_words(item, language)),
                              name))
    return jobs


def render_forests(frame: pd.DataFrame, jobs: Sequence[ForestJob], figures_dirs: dict[str, Path],
                   workers: int = 1) -> dict[tuple[str, str], str]:
    """Draw every forest plot (its PNG and SVG files, and its HTML): {(language, indicator): html}.

    Drawing is most of the pooling's time (about 0.3 s a figure, two languages), so with
    `workers` > 1 the figures are drawn by that many forked processes."""
    if workers <= 1 or len(jobs) < 2:
        return {(j.language, j.indicator): _render_forest(frame, j, figures_dirs[j.language]) for j in jobs}
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    batches = [list(jobs[start::workers]) for start in range(workers)]
    with ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("fork")) as pool:
        drawn = pool.map(_render_batch, [frame] * workers, batches, [figures_dirs] * workers)
        return {key: value for part in drawn for key, value in part.items()}


def _render_batch(frame: pd.DataFrame, jobs: list[ForestJob], figures_dirs: dict[str, Path]
                  ) -> dict[tuple[str, str], str]:
    return {(j.language, j.indicator): _render_forest(frame, j, figures_dirs[j.language]) for j in jobs}


def _render_forest(frame: pd.DataFrame, job: ForestJob, figures_dir: Path | None) -> str:
    figure = forest_plot(frame, job.indicator, job.language)
    try:
        return figure_html(figure, job.number, job.caption, job.alt, job.language, figures_dir,
                           name=job.name)
    finally:
        figure.clear()


def indicator_sentences(item: PooledIndicator, pooled: Sequence[PooledIndicator],
                        language: str) -> list[str]:
    """What the report says of one indicator: the pooled effect and its verdict, how much sites
    differ (I², prediction interval), the fixed-effect sensitivity and the sites left out."""
    name = pooled_name(item.indicator, language, ratio=item.log_scale)
    meta, re = item.meta, item.meta.pooled
    sentences: list[str] = []
    kept = item.pooled_sites
    # no spread between sites, as the page says it ("I² = 0 %"): REML's Fisher scoring can stop
    # a hair above 0, where the prediction interval is the mean's all the same
    no_spread = meta.i2 is not None and round(meta.i2) == 0
    if meta.k == 0:
        sentences.append(_say("no_site", language, indicator=name))
    elif meta.k == 1:
        site = kept[0]
        sentences.append(_say("one_site", language, indicator=name, site=site.site,
                              estimate=_value(item, site.estimate, language),
                              interval=_interval(item, site.ci_low, site.ci_high, language)))
        sentences.append(_site_verdict(item, site, language))
    elif re.ci_low is None or re.estimate is None:
        sentences.append(_say("no_width", language, indicator=name,
                              estimate=_value(item, item.natural(re.estimate), language)))
    else:
        if item.uninformative:  # the interval says nothing: words here, the numbers in the table
            why = (_say("too_wide_ratio", language, limit=format_number(UNINFORMATIVE_RATIO, language))
                   if item.log_scale else _say("too_wide_points", language,
                                               limit=format_number(UNINFORMATIVE_POINTS * 100, language)))
            sentences.append(_say("pooled_too_wide", language, indicator=name, k=meta.k, why=why))
            if meta.k == 2:  # the sites' own intervals may be narrow: the width is the method's
                sentences.append(_say("too_wide_two_sites", language))
        else:
            sentences.append(_say("pooled", language, indicator=name, k=meta.k,
                                  estimate=_estimate_words(item, language),
                                  interval=_interval(item, item.natural(re.ci_low), item.natural(re.ci_high),
                                                     language)))
        sentences.append(_verdict_sentence(item, pooled, language))
        i2 = format_percent(meta.i2 / 100, language)
        if no_spread:
            sentences.append(_say("i2_none", language, i2=i2))
        elif meta.tau2_ci is not None and meta.tau2_ci[0] is not None and meta.tau2_ci[0] <= 0:
            # I² from a few sites says little: with a between-site variance whose interval
            # reaches zero, "69 % of the spread is real (large differences)" overstated it
            sentences.append(_say("i2_uncertain", language, i2=i2, k=meta.k))
        else:
            size = next(key for limit, key in I2_BANDS if meta.i2 < limit)
            sentences.append(_say("i2_some", language, i2=i2, size=_say(size, language)))
        if meta.k < MIN_SITES_PREDICTION:
            sentences.append(_say("prediction_too_few", language, k=meta.k, minimum=MIN_SITES_PREDICTION))
        elif item.prediction is not None:
            low, high = item.prediction
            if item.log_scale:
                sentences.append(_say("prediction_ratio", language, low=format_number(low, language, 2),
                                      high=format_number(high, language, 2)))
            else:  # beyond -100 to 100 percentage points the interval bounds nothing
                key = "prediction_unbounded" if low < -1 or high > 1 else "prediction"
                sentences.append(_say(key, language, low=format_number(low * 100, language),
                                      high=format_number(high * 100, language),
                                      unit=NARRATIVE_WORDS["pp"].in_(language)))
            null = 1.0 if item.log_scale else 0.0
            # the spread the variance between sites may have by its interval (on the model's scale)
            widest = (None if meta.tau2_ci is None or meta.tau2_ci[1] is None
                      else 1.96 * math.sqrt(max(float(meta.tau2_ci[1]), 0.0)))
            if no_spread:  # "between -18 and 37", the interval of the mean again: say why
                sentences.append(_say("prediction_as_interval", language, k=meta.k))
                if widest and not item.log_scale:
                    # "between 2 and 15" read as every new site gaining, where τ's interval allowed
                    # a spread of ±15 points (a review: the truth's τ was 5 points)
                    # as an interval wider than 100 points says nothing (`prediction_unbounded`)
                    key = "prediction_widest_unbounded" if widest > 0.5 else "prediction_widest"
                    sentences.append(_say(key, language, spread=format_number(widest * 100, language),
                                          unit=NARRATIVE_WORDS["pp"].in_(language)))
            reach = (item.natural(re.estimate - widest), item.natural(re.estimate + widest)) \
                if widest and no_spread else (low, high)
            if (min(low, reach[0]) <= null <= max(high, reach[1])
                    and not (item.natural(re.ci_low) <= null <= item.natural(re.ci_high))):
                sentences.append(_say("prediction_sign", language))
    fe = meta.fixed
    if meta.k >= 2 and fe.estimate is not None:
        sentences.append(_say("fixed", language, estimate=_value(item, item.natural(fe.estimate), language),
                              interval=_interval(item, item.natural(fe.ci_low), item.natural(fe.ci_high),
                                                 language)))
        if _clear_of_null(fe) and not _clear_of_null(re):
            # with no spread between sites estimated, the two differ only in how the pooling's
            # own uncertainty is counted (t with k - 1 df against the normal)
            key = "fixed_narrower_no_spread" if no_spread else "fixed_narrower"
            sentences.append(_say(key, language, null=format_number(1 if item.log_scale else 0, language)))
    for site in item.sites:
        if site.left_out is not None:
            sentences.append(_say("left_out", language, site=site.site,
                                  reason=left_out_words(site, language)))
    return sentences


def _clear_of_null(estimate: Estimate) -> bool:
    """An interval (on the pooling scale, where no effect is 0) that does not include no effect."""
    low, high = estimate.ci_low, estimate.ci_high
    return low is not None and high is not None and not (low <= 0 <= high)


def _verdict_key(item: PooledIndicator) -> str:
    """Which verdict the report gives (`pool._verdict`): higher, lower, not_after_correction,
    agree_closely or chance. One key for the sentence and the overview's cell, so the two agree."""
    if item.reason == "sites_agree_closely":
        return "agree_closely"
    if item.verdict in ("higher", "lower"):
        return item.verdict
    if item.reason == "not_significant_after_correction":
        return "not_after_correction"
    return "chance"


def _says_verdict(item: PooledIndicator) -> bool:
    """True where the report gives the pooled estimate a verdict: two or more sites pooled
    into an estimate with an interval (one site's is its own report's; see `indicator_sentences`)."""
    pooled = item.meta.pooled
    return item.meta.k >= 2 and pooled.estimate is not None and pooled.ci_low is not None


def _correction(item: PooledIndicator, pooled: Sequence[PooledIndicator], language: str) -> str:
    """The correction `item` was adjusted by, in words ("Holms korrektion för 3
    huvudindikatorer"): one tested as another's hypothesis (`PooledIndicator.tested_as`) is in
    that one's family."""
    tested = next((p for p in pooled if p.indicator == item.tested_as), item)
    family = [p for p in pooled if p.multiplicity == tested.multiplicity]
    return correction_words(tested.multiplicity, len(family), language)


def _verdict_sentence(item: PooledIndicator, pooled: Sequence[PooledIndicator], language: str) -> str:
    """The verdict in words; an effect is called more than chance only when the interval
    excludes no effect and the adjusted p is below 0.05 (`pool._verdict`)."""
    key = _verdict_key(item)
    if key in ("higher", "lower", "not_after_correction"):
        p = text.p_stated(format_p(item.p_adjusted, language))
        return _say(f"verdict_{key}", language, p=p, correction=_correction(item, pooled, language))
    return _say(f"verdict_{key}", language)


def _site_verdict(item: PooledIndicator, site: SiteEstimate, language: str) -> str:
    """What the one site's own report concluded: its estimate alone reads as an effect where
    that report, with its own test, said it could be chance (a 2-area study's 49 points)."""
    if site.verdict in ("higher", "lower"):
        return _say("site_verdict_clear", language, site=site.site)
    why = {"design_cannot_reach_significance": "site_why_design",
           "not_significant_after_correction": "site_why_correction",
           "interval_includes_null": "site_why_interval"}.get(site.reason)
    null = format_number(1 if item.log_scale else 0, language)
    return _say("site_verdict_chance", language, site=site.site,
                why=_say(why, language, null=null) if why else "")


def left_out_words(site, language: str) -> str:  # noqa: ANN001 - a pool.SiteEstimate
    """Why a site's estimate is not pooled, in words."""
    detail, key = dict(site.detail), site.left_out
    if key == "not_estimable" and (detail.get("verdict") == "suppressed" or detail.get("suppression")):
        key = "suppressed"  # the suppression phrase says "not shown: …" in full
        detail = {"reason": text.suppression_phrase(detail.get("suppression") or detail.get("reason"),
                                                    language, int(detail.get("min_cell") or
                                                                  text.DEFAULT_MIN_CELL))}
    elif key == "not_estimable":
        detail = {"reason": label("reason", detail.get("reason") or "", language)
                  or text.phrase("not_estimable", language)}
    elif key == "other_measure":
        detail = {name: label("measure", value, language) for name, value in detail.items()}
    return LEFT_OUT[key].in_(language).format(**detail)


def _estimate_words(item: PooledIndicator, language: str) -> str:
    return _value(item, item.natural(item.meta.pooled.estimate), language)


def _value(item: PooledIndicator, value: float | None, language: str) -> str:
    """An estimate as a sentence writes it: "6 procentenheter", or a ratio "1,25"."""
    if value is None:
        return text.EN_DASH
    if item.log_scale:
        return format_number(value, language, 2)
    number = format_number(value * 100, language)
    unit = "pp_one" if number.lstrip(text.MINUS) == "1" else "pp"  # "1 percentage point", as page one says
    return f"{number}{text.NBSP}{NARRATIVE_WORDS[unit].in_(language)}"  # kept on one line


def _interval(item: PooledIndicator, low: float | None, high: float | None, language: str) -> str:
    """"95 % KI 18–78", each bound on its side of no effect ("−0,4 till 22,6", not "0–23")."""
    if low is None or high is None:
        return format_interval(low, high, language)
    if item.log_scale:
        return interval_text(low, high, 1.0, language, decimals=2, most=3)
    return interval_text(low, high, 0.0, language, scale=100, decimals=0, most=1)


def _say(key: str, language: str, **values: object) -> str:
    return POOL_WORDS[key].in_(language).format(**values)


def _p(sentence: str) -> str:
    return f"<p>{html.escape(sentence)}</p>"


def _headers(keys: Sequence[str], language: str) -> list[str]:
    return [POOL_HEADERS[key].in_(language) for key in keys]


def _table(rows: list[list[str]], keys: Sequence[str], language: str) -> str:
    frame = pd.DataFrame(rows, columns=_headers(keys, language), dtype=object)
    return frame.to_html(index=False, border=0, escape=True, classes="hembesok")


def _sites_table_html(packages: Sequence[SitePackage], pooled: Sequence[PooledIndicator],
                      language: str) -> str:
    first = next((item for item in pooled if item.primary), pooled[0] if pooled else None)
    rows = []
    for package in packages:
        design = package.site["design"]
        site = next((s for s in first.sites if s.site == package.label), None) if first else None
        children = text.EN_DASH if site is None else _groups_cell(site, language)
        rows.append([package.label, label("design", design["type"], language),
                     f"{len(design['intervention_areas'])} + {len(design['comparison_areas'])}",
                     f"{format_date(design['born_from'], language)} {text.EN_DASH} "
                     f"{format_date(design['born_to'], language)}",
                     format_date(package.site["extraction_date"], language), children])
    headers = _headers(("site", "design", "areas", "born", "extraction", "children"), language)
    headers[-1] = headers[-1].format(indicator=label("indicator", first.indicator, language) if first else "")
    return pd.DataFrame(rows, columns=headers, dtype=object).to_html(index=False, border=0, escape=True,
                                                                    classes="hembesok")


def _groups_cell(site: SiteEstimate, language: str) -> str:
    """A site's children in an indicator as its report's page one counts them: "118 / 154"
    (intervention / comparison), and under a DiD "; före start 156 / 194"."""
    counts = site.children
    if not counts.get("intervention") and not counts.get("comparison"):
        return text.EN_DASH
    def pair(groups: tuple[str, str]) -> str:
        return " / ".join(format_number(counts.get(group, ""), language) for group in groups)

    cell = pair(("intervention", "comparison"))
    if counts.get("intervention_pre") or counts.get("comparison_pre"):
        cell += _say("children_before", language, counts=pair(("intervention_pre", "comparison_pre")))
    return cell


def _historical(packages: Sequence[SitePackage]) -> bool:
    """True when a site compares with children born before the start (design `historical`)."""
    return any(p.site["design"]["type"] == "historical" for p in packages)


def _with_unit(caption: str, items: Sequence[PooledIndicator], language: str) -> str:
    """The overview's caption with what its effects are in: percentage points, or ratios for
    the indicators pooled on the log scale (named when the table holds both)."""
    ratios = [pooled_name(item.indicator, language, ratio=True) for item in items if item.log_scale]
    if not ratios:
        return _say("unit_points", language, caption=caption)
    if len(ratios) == len(items):
        return _say("unit_ratios", language, caption=caption)
    return _say("unit_mixed", language, caption=caption, ratios=", ".join(ratios))


def _overview_html(items: Sequence[PooledIndicator], pooled: Sequence[PooledIndicator], language: str,
                   historical: bool = False) -> str:
    """One row per indicator: sites and children, the pooled effect with its adjusted p and
    verdict (as the text words them), I², the prediction interval and the fixed effect."""
    rows = []
    for item in items:
        meta, re, fe = item.meta, item.meta.pooled, item.meta.fixed
        rows.append([
            pooled_name(item.indicator, language, ratio=item.log_scale), _sites_cell(item, language),
            _shown(item, re.estimate, re.ci_low, re.ci_high, language),
            _p_adjusted_cell(item, pooled, language), _verdict_cell(item, language),
            text.EN_DASH if meta.i2 is None else format_percent(meta.i2 / 100, language),
            _prediction_cell(item, language),
            _shown(item, fe.estimate, fe.ci_low, fe.ci_high, language) if meta.k >= 2 else text.EN_DASH,
        ])
    headers = [*_headers(("indicator", "sites_historical" if historical else "sites", "pooled"), language),
               label("header", "p_adjusted", language), *_headers(("verdict", "i2", "prediction", "fixed"),
                                                                  language)]
    # eight columns: printed, their headers break at soft hyphens (`tables.html`), not after any letter
    return tables.html(pd.DataFrame(rows, columns=headers, dtype=object))


def _sites_cell(item: PooledIndicator, language: str) -> str:
    """The sites pooled and their children: "3 (403 / 532)", the sums of the pooled sites'
    intervention and comparison groups as their reports count them (under a DiD born after the
    start; `PooledIndicator.children`); the number of sites alone where a count is not published."""
    children = item.children
    if children is None:
        return str(item.meta.k)
    intervention, comparison = (text.format_count(n, language) for n in children)
    return f"{item.meta.k} ({intervention} / {comparison})"


def _p_adjusted_cell(item: PooledIndicator, pooled: Sequence[PooledIndicator], language: str) -> str:
    """The adjusted p the verdict rests on, or a dash where the report gives no pooled verdict;
    one tested as another indicator's hypothesis says which ("0,091 (som för MMR …)")."""
    if not _says_verdict(item) or item.p_adjusted is None:
        return text.EN_DASH
    shown = format_p(item.p_adjusted, language)
    if item.tested_as:
        other = pooled_name(item.tested_as, language, ratio=item.log_scale)
        return _say("p_tested_as", language, p=shown, indicator=other)
    return shown


def _verdict_cell(item: PooledIndicator, language: str) -> str:
    """The verdict the text gives (`_verdict_sentence`), in a few words; a dash where it gives none."""
    if not _says_verdict(item):
        return text.EN_DASH
    return VERDICT_CELLS[_verdict_key(item)].in_(language)


def _shown(item: PooledIndicator, estimate: float | None, low: float | None, high: float | None,
           language: str) -> str:
    if estimate is None:
        return text.EN_DASH
    scale = 1 if item.log_scale else 100
    return text.format_estimate(item.natural(estimate), item.natural(low), item.natural(high), language,
                                2 if item.log_scale else 1, scale=scale)


def _prediction_cell(item: PooledIndicator, language: str) -> str:
    """The overview's prediction interval: the numbers, "too few sites" below 3 pooled sites
    (with 2, say why none is given), or a dash."""
    if item.prediction is not None:
        return _interval_only(item, *item.prediction, language, natural=True)
    if 2 <= item.meta.k < MIN_SITES_PREDICTION:
        return _say("too_few_to_predict", language)
    return text.EN_DASH


def _interval_only(item: PooledIndicator, low: float, high: float, language: str,
                   natural: bool = False) -> str:
    """An interval without "95 % KI"; `low` and `high` on the pooling scale unless `natural`."""
    scale = 1 if item.log_scale else 100
    if not natural:
        low, high = item.natural(low), item.natural(high)
    return format_interval(low, high, language, 2 if item.log_scale else 1, scale, prefix=False)


def _methods_html(language: str) -> str:
    rows = [[METHOD_WORDS[key].in_(language), METHOD_WORDS[f"{key}_reference"].in_(language)]
            for key in ("random_effects", "fixed_effect", "heterogeneity", "standard_errors",
                        "multiplicity", "compatibility")]
    return _table(rows, ("method", "reference"), language)


def _provenance_html(packages: Sequence[SitePackage], language: str) -> str:
    rows = [[p.label, p.path.name, p.sha256[:16], _code_version(p),
             str(p.site["definitions"]["version"])] for p in packages]
    return _table(rows, ("site", "package", "sha256", "code", "definitions"), language)


def _code_version(package: SitePackage) -> str:
    return str((package.manifest.get("code") or {}).get("source_sha256", ""))


def _page(body: str, title: str, language: str) -> str:
    """A self-contained page with the reports' own stylesheet (nothing loaded from elsewhere)."""
    css = STYLESHEET.read_text(encoding="utf-8")
    return (f'<!DOCTYPE html>\n<html lang="{language}">\n<head>\n<meta charset="utf-8">\n'
            '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
            '<meta name="generator" content="hembesok">\n'
            f"<title>{html.escape(title)}</title>\n<style>\n{css}\n</style>\n</head>\n"
            f'<body class="report report-committee">\n<main>\n{body}\n</main>\n</body>\n</html>\n')
