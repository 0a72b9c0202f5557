"""Pooling site packages (`hembesok pool`): compatibility, then one meta-analysis per indicator.

Packages are pooled only when they count the same things: the same version of the indicator
definitions, the same definition of every indicator two of them carry (`site.json`'s
fingerprints, which include `language_screening` for the language indicators), the same
programme family, and distinct sites. Otherwise `check_compatible` refuses with every
difference named, and in which package.

Per indicator each site's headline estimate enters on its pooling scale (a ratio as its log)
with the SE its package derived from its interval, and `pipeline.stats.meta_analysis` gives
the random-effects estimate (REML, HKSJ interval), the fixed-effect one as sensitivity, I²,
tau² and the prediction interval. A site without a usable estimate is listed with its reason
(`LEFT_OUT` ids), never silently dropped. Verdicts follow the single-site summary's rule: Holm
across the primary indicators and Benjamini–Hochberg across the others; "higher" or "lower"
only when the adjusted p is below 0.05 *and* the interval excludes no effect.

The interval the report gives (and `pooled.csv`'s `random_effects` row, the verdict and the
adjusted p) is the HKSJ interval with its factor q floored at 1: Knapp & Hartung's (2003) "ad
hoc" modification, metafor's `test="adhoc"` (Röver, Knapp & Friede 2015; Jackson et al. 2017
recommend an HKSJ interval never narrower than the normal one). Unfloored (metafor's
`test="knha"`) the interval keeps its coverage at 95 % on average
(tests/stats/test_meta_coverage.py), but when sites agree more closely than their own SEs say,
q < 1 makes it narrower than the sites' uncertainty allows (three sites with ±14- to ±25-point
intervals and nearly equal estimates gave the demo's bf_any_12m 8.3 (6.8 to 9.8) while the
fixed effect gave -1.4 to 18.0). Floored, it is never narrower than the random-effects normal
interval, so never narrower than the fixed effect's; it errs on the wide side. The unfloored
numbers stay in `pooled.csv` (row `random_effects_unfloored`), and the verdict's reason is
`sites_agree_closely` when only the floor puts no effect inside the interval.

Two more rules for what a reader is told:

- no prediction interval with fewer than `MIN_SITES_PREDICTION` (3) sites: two sites cannot
  say where a third site's effect would fall (Higgins, Thompson & Spiegelhalter 2009 use t with
  k - 2 df, which needs k >= 3; with tau² = 0 metafor's interval from two sites is the
  confidence interval again);
- an interval wider than `UNINFORMATIVE_POINTS` (100 percentage points for a difference of
  proportions, half the range from -100 to 100 a difference can take), or for a ratio one whose
  upper limit is more than `UNINFORMATIVE_RATIO` (100) times its lower, is `uninformative`: the
  report says in words that the pooled sites cannot tell, and gives the numbers only in its
  tables and figures.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

import pandas as pd

from pipeline.errors import HembesokError
from pipeline.indicators import INDICATOR_IDS
from pipeline.multisite.package import LOG_SCALE_MEASURES, SitePackage, published_number
from pipeline.stats import MetaAnalysis, benjamini_hochberg, holm, meta_analysis
from pipeline.summary import repeated_from

ALPHA = 0.05
# Fewer sites than this give no prediction interval for a new site (see the module docstring).
MIN_SITES_PREDICTION = 3
# An interval wider than this many proportion units (100 percentage points) for a difference,
# or whose upper limit is more than this many times its lower for a ratio, says nothing.
UNINFORMATIVE_POINTS = 1.0
UNINFORMATIVE_RATIO = 100.0


@dataclass(frozen=True)
class SiteEstimate:
    """One site's estimate of one indicator, as it enters the pooling (or why it does not)."""

    site: str
    estimate: float | None  # as published (a ratio as a ratio)
    ci_low: float | None
    ci_high: float | None
    se: float | None  # on the pooling scale
    measure: str
    design: str
    n_intervention: str  # as published ("<5" stays "<5")
    n_comparison: str
    left_out: str | None = None  # a LEFT_OUT id
    detail: dict[str, str] = field(default_factory=dict)  # what the LEFT_OUT words need
    verdict: str = ""  # the site's own verdict and reason, as its summary.csv gives them
    reason: str = ""
    # the indicator's children per group as the site's report counts them (proportions.csv's
    # n_denominator, as published): `intervention` and `comparison` are its two groups (under a
    # DiD both born after the start), `*_pre` a DiD's children born before the start
    children: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class PooledIndicator:
    """One indicator pooled over the sites."""

    indicator: str
    primary: bool
    measure: str
    log_scale: bool
    sites: tuple[SiteEstimate, ...]
    meta: MetaAnalysis  # REML, HKSJ with its factor floored at 1: what the report gives
    unfloored: MetaAnalysis | None = None  # the same without the floor (metafor's test="knha")
    p_adjusted: float | None = None
    multiplicity: str = ""
    verdict: str = "not_estimable"
    reason: str = ""
    tested_as: str = ""  # the indicator whose hypothesis this is over again, in whose family it is tested

    @property
    def pooled_sites(self) -> tuple[SiteEstimate, ...]:
        return tuple(s for s in self.sites if s.left_out is None)

    @property
    def prediction(self) -> tuple[float, float] | None:
        """The prediction interval for a new site on the published scale; None with fewer than
        `MIN_SITES_PREDICTION` sites or without an interval."""
        meta = self.meta
        if meta.k < MIN_SITES_PREDICTION or meta.prediction_low is None or meta.prediction_high is None:
            return None
        return self.natural(meta.prediction_low), self.natural(meta.prediction_high)

    @property
    def uninformative(self) -> bool:
        """True when the pooled interval spans so much of the possible range that it says
        nothing: wider than 100 percentage points, or a ratio's limits more than 100-fold apart."""
        pooled = self.meta.pooled
        if pooled.ci_low is None or pooled.ci_high is None:
            return False
        if self.log_scale:
            return pooled.ci_high - pooled.ci_low > math.log(UNINFORMATIVE_RATIO)
        return pooled.ci_high - pooled.ci_low > UNINFORMATIVE_POINTS

    def natural(self, value: float | None) -> float | None:
        """A value on the pooling scale back on the published one (a log ratio as a ratio)."""
        if value is None:
            return None
        return math.exp(value) if self.log_scale else value

    @property
    def children(self) -> tuple[int, int] | None:
        """The pooled sites' intervention and comparison groups, summed: the children the sites'
        reports count in them (under a DiD those born after the start; the children born before
        it are the trend's baseline, not children who could have had the programme). None when
        no site is pooled or a count is not published as a number ("<5", or no proportions)."""
        counts = [[published_number(site.children.get(group)) for site in self.pooled_sites]
                  for group in ("intervention", "comparison")]
        if not self.pooled_sites or any(n is None for group in counts for n in group):
            return None
        return int(sum(counts[0])), int(sum(counts[1]))


def check_compatible(packages: Sequence[SitePackage]) -> None:
    """Refuse packages that cannot be pooled, naming every difference and its packages."""
    problems = []
    if len(packages) < 2:
        problems.append(f"pooling needs at least 2 site packages, {len(packages)} given")
    for label, holders in _grouped(packages, lambda p: p.label).items():
        if len(holders) > 1:
            problems.append(f"{len(holders)} packages are labelled '{label}' ({_names(holders)}): one "
                            "site twice, or share each with its own --label")
    for kind, key in (("indicator definitions version", lambda p: p.site["definitions"]["version"]),
                      ("programme", lambda p: p.site["programme"]["family"])):
        groups = _grouped(packages, key)
        if len(groups) > 1:
            problems.append(f"the {kind} differs: " + "; ".join(
                f"{value} in {_names(holders)}" for value, holders in groups.items()))
    if not any("definitions version" in p for p in problems):
        for indicator in _indicators(packages):
            carrying = [p for p in packages if indicator in p.site["definitions"]["indicators"]]
            groups = _grouped(carrying, lambda p, i=indicator: p.site["definitions"]["indicators"][i])
            if len(groups) > 1:
                screening = indicator.startswith("lang_")
                problems.append(f"indicator {indicator} is defined differently: " + "; ".join(
                    f"{_names(holders)}" + (f" (language_screening: {holders[0].site['language_screening']})"
                                            if screening else "")
                    for holders in groups.values()))
    if problems:
        raise HembesokError("the site packages cannot be pooled: " + " | ".join(problems))


def _grouped(packages: Sequence[SitePackage], key) -> dict[object, list[SitePackage]]:  # noqa: ANN001
    groups: dict[object, list[SitePackage]] = {}
    for package in packages:
        groups.setdefault(key(package), []).append(package)
    return groups


def _names(packages: Sequence[SitePackage]) -> str:
    return ", ".join(p.path.name for p in packages)


def _indicators(packages: Sequence[SitePackage]) -> list[str]:
    """Every indicator some package has: primary ones first (in the first package's order),
    then the registry's order."""
    primary = [i for p in packages for i in p.site["primary_indicators"]]
    present = {i for p in packages for i in p.estimates["indicator"]}
    ordered = list(dict.fromkeys(i for i in primary if i in present))
    return ordered + [i for i in INDICATOR_IDS if i in present and i not in ordered] + sorted(
        present - set(INDICATOR_IDS) - set(ordered))


def pool_packages(packages: Sequence[SitePackage]) -> list[PooledIndicator]:
    """One pooled result per indicator (`check_compatible` first), with verdicts."""
    check_compatible(packages)
    primary_ids = {i for p in packages for i in p.site["primary_indicators"]}
    pooled = [pool_indicator(indicator, indicator in primary_ids, packages)
              for indicator in _indicators(packages)]
    return _with_verdicts(pooled)


def pool_indicator(indicator: str, primary: bool, packages: Sequence[SitePackage]) -> PooledIndicator:
    """One indicator's meta-analysis over the packages (no compatibility check, no verdict)."""
    rows = {p.label: _estimate_row(p, indicator) for p in packages}
    usable = [r["measure"] for r in rows.values()
              if r is not None and published_number(r["estimate"]) is not None]
    first_measure = next((r["measure"] for r in rows.values() if r is not None), "")
    measure = Counter(usable).most_common(1)[0][0] if usable else first_measure
    log_scale = measure in LOG_SCALE_MEASURES
    sites = tuple(_site_estimate(p.label, rows[p.label], measure, int(p.site["min_cell"]),
                                 _children(p, indicator)) for p in packages)
    kept = [s for s in sites if s.left_out is None]
    estimates, ses = [_on_scale(s.estimate, log_scale) for s in kept], [s.se for s in kept]
    labels = [s.site for s in kept]
    meta = meta_analysis(estimates, ses, labels=labels, method="REML", interval="HKSJ", hksj_floor=True)
    unfloored = meta_analysis(estimates, ses, labels=labels, method="REML", interval="HKSJ")
    return PooledIndicator(indicator, primary, measure, log_scale, sites, meta, unfloored)


def _on_scale(value: float | None, log_scale: bool) -> float | None:
    if value is None:
        return None
    return math.log(value) if log_scale else value


def _estimate_row(package: SitePackage, indicator: str) -> dict | None:
    rows = package.estimates[package.estimates["indicator"] == indicator]
    return None if rows.empty else rows.iloc[0].to_dict()


def _children(package: SitePackage, indicator: str) -> dict[str, str]:
    """{group: children} of `indicator` from the package's proportions.csv, as published."""
    table = package.proportions
    if table.empty or not {"indicator", "group", "n_denominator"} <= set(table.columns):
        return {}
    rows = table[table["indicator"] == indicator]
    return {str(group): "" if pd.isna(n) else str(n)
            for group, n in zip(rows["group"], rows["n_denominator"], strict=True)}


def _site_estimate(label: str, row: dict | None, measure: str, min_cell: int,
                   children: dict[str, str] | None = None) -> SiteEstimate:
    if row is None:
        return SiteEstimate(label, None, None, None, None, "", "", "", "", left_out="no_estimate",
                            children=children or {})
    estimate, se = published_number(row["estimate"]), published_number(row["se"])
    common = {"site": label, "estimate": estimate, "ci_low": published_number(row["ci_low"]),
              "ci_high": published_number(row["ci_high"]), "se": se, "measure": row["measure"],
              "design": row["design"], "n_intervention": row["n_intervention"],
              "n_comparison": row["n_comparison"], "verdict": row["verdict"], "reason": row["reason"],
              "children": children or {}}
    if estimate is None:
        return SiteEstimate(**common, left_out="not_estimable",
                            detail={"verdict": row["verdict"], "reason": row["reason"],
                                    "suppression": row["suppression"], "min_cell": str(min_cell)})
    if row["measure"] != measure:
        return SiteEstimate(**common, left_out="other_measure",
                            detail={"measure": row["measure"], "common": measure})
    if se is None or se <= 0:
        return SiteEstimate(**common, left_out="no_interval")
    return SiteEstimate(**common)


def _with_verdicts(pooled: list[PooledIndicator]) -> list[PooledIndicator]:
    """Adjusted p (Holm across primary, BH across the others) and each indicator's verdict."""
    # an indicator whose pooled estimate is another's over again (age at MMR's DiD at 24 months:
    # MMR by 24 months') is that one's hypothesis: tested once, in that one's family (a review read
    # one pooled estimate with adjusted p 0.091 as primary and 0.43 as secondary)
    headlines = {item.indicator: {"measure": item.measure, "estimate": item.meta.pooled.estimate}
                 for item in pooled}
    # pooled from neither (one site each) they are still one hypothesis, not two untested p = 1
    # in two families (Benjamini-Hochberg over 19 where the sites' reports correct over 18)
    twins = {indicator: other for indicator, headline in headlines.items()
             if (other := repeated_from(indicator, headline, headlines, unestimated=True)) is not None}
    adjusted: dict[str, float | None] = {}
    for primary, adjust in ((True, holm), (False, benjamini_hochberg)):
        family = [p for p in pooled if p.primary == primary and p.indicator not in twins]
        for item, p_adjusted in zip(family, adjust([item.meta.pooled.p_value for item in family]),
                                    strict=True):
            adjusted[item.indicator] = p_adjusted
    primaries = {item.indicator: item.primary for item in pooled}
    out = []
    for item in pooled:
        tested_as = twins.get(item.indicator, item.indicator)
        p_adjusted = adjusted.get(tested_as)
        verdict, reason = _verdict(item.meta, item.unfloored, p_adjusted)
        out.append(PooledIndicator(item.indicator, item.primary, item.measure, item.log_scale, item.sites,
                                   item.meta, item.unfloored, p_adjusted,
                                   "" if item.indicator in twins
                                   else "holm_primary" if primaries[tested_as] else "bh_secondary",
                                   verdict, reason, twins.get(item.indicator, "")))
    return out


def _verdict(meta: MetaAnalysis, unfloored: MetaAnalysis | None, p_adjusted: float | None
             ) -> tuple[str, str]:
    """(verdict, reason) as summary.csv words them: higher/lower only beyond chance after
    correction *and* with the reported interval (HKSJ factor floored at 1) on one side of no
    effect (0 on the pooling scale). When only the floor puts no effect inside the interval the
    reason is `sites_agree_closely`, which the reader must hear of before the correction for
    many comparisons (the unfloored interval would have looked clear)."""
    pooled = meta.pooled
    if pooled.estimate is None or not math.isfinite(pooled.estimate):
        return "not_estimable", "too_few_sites"
    if pooled.ci_low is None or pooled.ci_high is None:
        return "unclear", "no_interval"
    if pooled.ci_low <= 0 <= pooled.ci_high:
        narrow = unfloored.pooled if unfloored is not None else pooled
        if narrow.ci_low is not None and narrow.ci_high is not None and not (
                narrow.ci_low <= 0 <= narrow.ci_high):
            return "unclear", "sites_agree_closely"
        return "unclear", "interval_includes_null"
    if p_adjusted is None or p_adjusted >= ALPHA:
        return "unclear", "not_significant_after_correction"
    return ("higher" if pooled.estimate > 0 else "lower"), ""


POOLED_COLUMNS = ("indicator", "primary", "row", "site", "design", "measure", "scale", "estimate", "ci_low",
                  "ci_high", "se", "weight_percent", "p_value", "p_adjusted", "multiplicity", "n_sites",
                  "hksj_factor",
                  "tau2", "tau2_ci_low", "tau2_ci_high", "i2", "h2", "q", "q_df", "q_p",
                  "prediction_low", "prediction_high", "n_intervention", "n_comparison",
                  "children_intervention", "children_comparison", "verdict", "reason", "reason_detail")


def pooled_table(pooled: Sequence[PooledIndicator]) -> pd.DataFrame:
    """pooled.csv: per indicator the random-effects row the report gives (HKSJ factor floored at
    1, `hksj_factor` as used), the same without the floor (`random_effects_unfloored`, metafor's
    test="knha", `hksj_factor` as computed) and the fixed-effect row (none with one site:
    `too_few_sites`, as the report's tables and forest plot show it), then one row per site (its
    estimate as published, SE on the pooling scale, weight, or why it is not pooled). Estimates
    and intervals are on the published scale (ratios as ratios); `se` and tau² on the pooling
    scale (`scale`: additive, or log). No prediction interval with fewer than 3 sites.

    `n_intervention`/`n_comparison` are the children each site's estimate rests on (under a DiD
    both periods'); `children_intervention`/`children_comparison` the site's intervention and
    comparison groups as its report counts them (under a DiD born after the start), summed over
    the pooled sites on the random-effects row, as the report's overview gives them."""
    rows = []
    for item in pooled:
        scale = "log" if item.log_scale else "additive"
        common = {"indicator": item.indicator, "primary": item.primary, "measure": item.measure,
                  "scale": scale}
        for name, meta in (("random_effects", item.meta), ("random_effects_unfloored", item.unfloored)):
            if meta is None:
                continue
            re = meta.pooled
            tau_ci = meta.tau2_ci or (None, None)
            prediction = (item.natural(meta.prediction_low), item.natural(meta.prediction_high)) if (
                meta.k >= MIN_SITES_PREDICTION) else (None, None)
            reported = name == "random_effects"
            children = item.children if reported else None
            rows.append({**common, "row": name, "estimate": item.natural(re.estimate),
                         "ci_low": item.natural(re.ci_low), "ci_high": item.natural(re.ci_high), "se": re.se,
                         "p_value": re.p_value, "p_adjusted": item.p_adjusted if reported else None,
                         "multiplicity": item.multiplicity if reported else "", "n_sites": meta.k,
                         "hksj_factor": meta.hksj_factor, "tau2": meta.tau2,
                         "tau2_ci_low": tau_ci[0], "tau2_ci_high": tau_ci[1], "i2": meta.i2, "h2": meta.h2,
                         "q": meta.q, "q_df": meta.q_df, "q_p": meta.q_p,
                         "prediction_low": prediction[0], "prediction_high": prediction[1],
                         "children_intervention": children[0] if children else None,
                         "children_comparison": children[1] if children else None,
                         "verdict": item.verdict if reported else "",
                         "reason": item.reason if reported else "", "reason_detail": re.reason or ""})
        meta, fe = item.meta, item.meta.fixed
        if meta.k < 2:  # one site's estimate again, not a pooling of sites: as the report's "–"
            rows.append({**common, "row": "fixed_effect", "n_sites": meta.k, "reason": "too_few_sites"})
        else:
            rows.append({**common, "row": "fixed_effect", "estimate": item.natural(fe.estimate),
                         "ci_low": item.natural(fe.ci_low), "ci_high": item.natural(fe.ci_high),
                         "se": fe.se, "p_value": fe.p_value, "n_sites": meta.k,
                         "reason_detail": fe.reason or ""})
        # a weight is a share of a pooled estimate: none where fewer than two sites are pooled
        weights = dict(zip(meta.labels, meta.weights, strict=True)) if meta.k >= 2 else {}
        for site in item.sites:
            rows.append({**common, "row": "site", "site": site.site, "design": site.design,
                         "measure": site.measure or item.measure, "estimate": site.estimate,
                         "ci_low": site.ci_low, "ci_high": site.ci_high, "se": site.se,
                         "weight_percent": weights.get(site.site),
                         "n_intervention": site.n_intervention, "n_comparison": site.n_comparison,
                         "children_intervention": site.children.get("intervention", ""),
                         "children_comparison": site.children.get("comparison", ""),
                         "reason": site.left_out or "",
                         "reason_detail": "; ".join(f"{k}={v}" for k, v in site.detail.items() if v)})
    return pd.DataFrame(rows, columns=list(POOLED_COLUMNS))


def sites_table(packages: Sequence[SitePackage]) -> pd.DataFrame:
    """sites.csv: each package's site, study, programme, design, periods and provenance."""
    rows = []
    for package in packages:
        site, design = package.site, package.site["design"]
        code = package.manifest.get("code") or {}
        rows.append({
            "site": package.label, "study": site["study"], "title": site["title"],
            "programme": site["programme"]["name"], "design": design["type"],
            "intervention_areas": len(design["intervention_areas"]),
            "comparison_areas": len(design["comparison_areas"]),
            "programme_start": design["programme_start"], "born_from": design["born_from"],
            "born_to": design["born_to"], "extraction_date": site["extraction_date"],
            "min_cell": site["min_cell"], "language_screening": site["language_screening"],
            "definitions_version": site["definitions"]["version"],
            "hembesok_version": site["hembesok_version"],
            "code_version": code.get("source_sha256", ""), "git_commit": code.get("git_commit") or "",
            "inputs": len(package.manifest.get("inputs_sha256") or {}),
            "package": package.path.name, "package_sha256": package.sha256,
        })
    return pd.DataFrame(rows)
