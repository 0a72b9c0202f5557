"""Synthetic sites (issue 15): K municipalities' studies with one common programme effect and
site-level heterogeneity, for `hembesok pool`.

Each site is an ordinary synthetic study (`write_synthetic_study`, its own seed, so its own
children, area effects and exports) in `<out>/<name>-site<i>/`. On the scale of the design's
headline, the difference-in-differences of the primary indicators, site i's true effect is

    did_i = common + u_i,   u_i ~ N(0, tau²),

drawn once from the seed (`SITE_COMMON_DID`, `tau`). The generator plants effects as odds
ratios among accepting families, so each site's odds ratio of the indicator's outcome family
is solved for (`_calibrated_odds_ratios`) such that the site's own expected DiD (truth.json's
`did_expected`, the value `tests/test_summary_truth.py` holds the pipeline to) equals did_i.
The solve uses the very children, outcomes and assessments the site's exports are written
from: the children and their draws come from random streams that do not depend on the effect,
and the expected DiD is (intervention - intervention_pre) - (comparison - comparison_pre) of
expected proportions, of which only the exposed children's share moves with the odds ratio.

`<out>/truth.json` records the common effect, tau, every site's seed, drawn deviation, target
and achieved DiD and its odds ratios; each site folder has its own truth.json as any study.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy import optimize

from pipeline.synth.outcomes import (
    _area_effects,
    _breastfeeding_events,
    _draw_outcomes,
    _language_events,
    _vaccination_events,
)
from pipeline.synth.parameters import _CHUNK_CHILDREN, _TABLE_STREAM, DEFAULT_EFFECTS, GENERATOR_VERSION
from pipeline.synth.population import GROUPS, _Calendar, _Children, _draw_children, _PersonnummerFactory
from pipeline.synth.study import SynthResult, write_synthetic_study
from pipeline.synth.truth import _accumulate_truth, _Truth

# The common true programme effect on each primary indicator, as a DiD of proportions: about
# what the single demo study's default odds ratios give (its truth.json's did_expected).
SITE_COMMON_DID: dict[str, float] = {"vacc_mmr1_24m": 0.06, "bf_any_6m": 0.07,
                                     "lang_no_deviation": 0.04}
SITE_TAU = 0.02  # SD of the sites' true DiDs around the common effect (2 percentage points)
# The outcome family whose odds ratio carries each indicator's effect (parameters.DEFAULT_EFFECTS).
SITE_FAMILIES: dict[str, str] = {"vacc_mmr1_24m": "vacc_mmr1", "bf_any_6m": "bf_any",
                                 "lang_no_deviation": "lang_no_deviation"}
# Odds ratios searched for a site's target DiD; a target outside what they reach is met at the
# nearest end and truth.json says so ("achieved" differs from "target").
ODDS_RATIO_RANGE = (0.05, 20.0)
_SITES_STREAM = 1_000_003  # the seed's stream of the site deviations (none of the tables' streams)


@dataclass
class SitesResult:
    """What `write_synthetic_sites` wrote: the sites' studies and the common truth.json."""

    out_dir: Path
    truth_file: Path
    sites: list[SynthResult]
    seconds: float = 0.0


def site_seed(seed: int, site: int) -> int:
    """The seed of site `site` (1-based) of a multi-site synthesis with `seed`."""
    return seed * 1000 + site


def write_synthetic_sites(out_dir: Path, sites: int, n_children: int = 2000, seed: int = 1,
                          name: str = "sites", tau: float = SITE_TAU,
                          common: dict[str, float] | None = None,
                          progress: Callable[[str], None] | None = None) -> SitesResult:
    """Write `sites` synthetic site studies under `out_dir` with a common true DiD and
    heterogeneity `tau` between sites, and `out_dir/truth.json`; same seed, same bytes."""
    started = time.perf_counter()
    if sites < 1:
        raise ValueError(f"sites must be at least 1, got {sites}")
    if not tau >= 0:
        raise ValueError(f"tau must be 0 or more, got {tau}")
    common_did = dict(SITE_COMMON_DID)
    for indicator, value in (common or {}).items():
        if indicator not in SITE_FAMILIES:
            raise ValueError(f"unknown indicator '{indicator}': use one of {', '.join(SITE_FAMILIES)}")
        common_did[indicator] = float(value)
    say = progress or (lambda _message: None)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    indicators = list(SITE_FAMILIES)
    deviations = np.random.default_rng([seed, _SITES_STREAM]).standard_normal((sites, len(indicators)))
    written, records = [], []
    for index in range(sites):
        number = index + 1
        study_name, folder_seed = f"{name}-site{number}", site_seed(seed, number)
        say(f"synth: site {number}/{sites} ({study_name})")
        curves = _did_curves(n_children, folder_seed)
        target = {indicator: common_did[indicator] + tau * float(deviations[index, position])
                  for position, indicator in enumerate(indicators)}
        odds_ratios = {indicator: curves[indicator].odds_ratio_for(target[indicator])
                       for indicator in indicators}
        result = write_synthetic_study(
            out_dir / study_name, n_children=n_children, seed=folder_seed, name=study_name,
            effects={SITE_FAMILIES[i]: odds_ratios[i] for i in indicators},
            title=f"Syntetisk kommun {number}")
        site_truth = json.loads(result.truth_file.read_text(encoding="utf-8"))["indicators"]
        records.append({
            "site": number, "name": study_name, "folder": study_name, "seed": folder_seed,
            "deviation": {i: _round(tau * float(deviations[index, p])) for p, i in enumerate(indicators)},
            "target_did": {i: _round(target[i]) for i in indicators},
            "did_expected": {i: site_truth[i]["did_expected"] for i in indicators},
            "att_itt": {i: site_truth[i]["att_itt"] for i in indicators},
            "odds_ratio_among_accepting": {SITE_FAMILIES[i]: _round(odds_ratios[i]) for i in indicators},
            "n": {i: site_truth[i]["n"] for i in indicators},
        })
        written.append(result)
    truth_file = out_dir / "truth.json"
    document = _truth_document(name, seed, sites, n_children, tau, common_did, records)
    truth_file.write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    seconds = time.perf_counter() - started
    say(f"synth: {sites} sites of {n_children:,} children written to {out_dir} in {seconds:.1f} s")
    return SitesResult(out_dir=out_dir, truth_file=truth_file, sites=written, seconds=seconds)


def _truth_document(name: str, seed: int, sites: int, n_children: int, tau: float,
                    common_did: dict[str, float], records: list[dict]) -> dict[str, object]:
    achieved = {i: [r["did_expected"][i] for r in records] for i in SITE_FAMILIES}
    return {
        "generator": "pipeline.synth.sites",
        "generator_version": GENERATOR_VERSION,
        "seed": seed,
        "sites": sites,
        "n_children_per_site": n_children,
        "name": name,
        "scale": "difference-in-differences of expected proportions (each site's truth.json "
                 "did_expected): (intervention - intervention_pre) - (comparison - comparison_pre)",
        "model": "did_site = common + u_site, u_site ~ N(0, tau²) drawn from the seed per site and "
                 "indicator; each site's odds ratio of the indicator's outcome family (among "
                 "accepting families) is solved for so that its did_expected equals did_site",
        "common_did": {i: _round(v) for i, v in common_did.items()},
        "tau": _round(tau),
        "families": dict(SITE_FAMILIES),
        "mean_site_did": {i: _round(float(np.mean(v))) for i, v in achieved.items()},
        "definitions": {
            "common_did": "the mean of the distribution of true site effects: what the pooled "
                          "random-effects estimate estimates",
            "mean_site_did": "the mean of these sites' own true DiDs (differs from common_did by "
                             "the drawn deviations)",
            "target_did": "common_did + deviation; did_expected is what the site's exports were "
                          "generated with (equal to target_did unless the odds ratio hit "
                          f"{ODDS_RATIO_RANGE})",
        },
        "site_list": records,
    }


def _round(value: float) -> float:
    return round(float(value), 10)


@dataclass
class _DidCurve:
    """One indicator's expected DiD in one site as a function of the programme's log odds ratio:
    did(b) = did0 + sum over the exposed of [accepted] (expit(l + b) - expit(l)) / exposed."""

    did0: float
    logits: np.ndarray  # logit of the untreated probability of each accepting exposed child
    n_exposed: int

    def did(self, log_or: float) -> float:
        if self.n_exposed == 0:
            return self.did0
        change = _expit(self.logits + log_or) - _expit(self.logits)
        return self.did0 + float(change.sum()) / self.n_exposed

    def odds_ratio_for(self, target: float) -> float:
        """The odds ratio whose expected DiD is `target` (the nearest end of ODDS_RATIO_RANGE
        when none in it is)."""
        low, high = (math.log(v) for v in ODDS_RATIO_RANGE)
        if self.did(low) >= target:
            return ODDS_RATIO_RANGE[0]
        if self.did(high) <= target:
            return ODDS_RATIO_RANGE[1]
        return math.exp(optimize.brentq(lambda b: self.did(b) - target, low, high, xtol=1e-12))


def _expit(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


class _RecordingTruth(_Truth):
    """The truth's sums, plus each exposed child's untreated logit and acceptance per indicator."""

    def __init__(self, indicators: Sequence[str]) -> None:
        super().__init__()
        self.wanted = set(indicators)
        self.logits: dict[str, list[np.ndarray]] = {i: [] for i in indicators}

    def add(self, indicator: str, kids: _Children, mask: np.ndarray, p_actual: np.ndarray,
            p_untreated: np.ndarray, p_treated: np.ndarray, realised: np.ndarray) -> None:
        super().add(indicator, kids, mask, p_actual, p_untreated, p_treated, realised)
        if indicator in self.wanted:
            exposed_accepting = mask & (kids.group == GROUPS.index("intervention")) & kids.accepted
            p = p_untreated[exposed_accepting]
            self.logits[indicator].append(np.log(p) - np.log1p(-p))


def _did_curves(n_children: int, seed: int) -> dict[str, _DidCurve]:
    """Each primary indicator's DiD-against-odds-ratio curve in the study `write_synthetic_study`
    writes with this size and seed: the same children, outcome draws and assessments, drawn
    from the same streams, without the exports, mess or optional tables."""
    truth = _RecordingTruth(list(SITE_FAMILIES))
    pnr = _PersonnummerFactory(_Calendar())
    area_effects = _area_effects(seed)
    for chunk in range(-(-n_children // _CHUNK_CHILDREN)):
        size = min(_CHUNK_CHILDREN, n_children - chunk * _CHUNK_CHILDREN)

        def stream(table: str, chunk: int = chunk) -> np.random.Generator:
            return np.random.default_rng([seed, chunk, _TABLE_STREAM[table]])

        kids = _draw_children(stream("children"), size, pnr, chunk == 0)
        outcomes = _draw_outcomes(stream("outcomes"), kids, DEFAULT_EFFECTS, area_effects)
        bf_events, bf_age = _breastfeeding_events(stream("breastfeeding"), kids, outcomes)
        vacc_events = _vaccination_events(stream("vaccinations"), kids, outcomes)
        _, lang = _language_events(stream("language"), kids, outcomes)
        _accumulate_truth(truth, kids, outcomes, bf_age, lang, bf_events, vacc_events)
    summary = truth.summary()
    curves = {}
    for indicator in SITE_FAMILIES:
        entry = summary[indicator]
        expected = entry["expected"]
        untreated = entry["expected_untreated_intervention"]
        did0 = ((untreated - expected["intervention_pre"])
                - (expected["comparison"] - expected["comparison_pre"]))
        curves[indicator] = _DidCurve(did0, np.concatenate(truth.logits[indicator]), entry["n_exposed"])
    return curves
