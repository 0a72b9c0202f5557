"""Issue 15's test of pooling: over 200 synthetic multi-site replicates the pooled 95 %
interval covers the common true effect 93–97 % of the time.

Why this test, and at this level. What `hembesok pool` promises a committee is an interval for
the mean effect across sites; it is honest when it covers that mean as often as it says. The
test follows the estimates along the path they take between real sites, and nothing else:
each site's DiD is computed by the project's own DiD function on the site's simulated children
(`pipeline.stats.did.difference_in_differences`), published as the summary publishes it (an
estimate and a 95 % interval, six significant digits), turned into a site package's
estimates.csv (`package.estimates_table`, which derives the SE from the interval), and pooled by
`pool.pool_indicator`, the meta-analysis `hembesok pool` runs per indicator (REML, HKSJ).
Whole synthetic studies per site would take minutes a replicate; the aggregate level keeps all
of that path in under 30 s.

Each replicate has five sites (municipalities) whose true DiDs are common + N(0, tau²), with
tau = 3 percentage points, different baseline shares and trends, and 120 to 400 children per
area and period, so their SEs differ. A site has one intervention and one comparison area,
so its DiD's interval is the child-level (HC1) one, whose coverage is nominal: the test is of
the pooling, not of few-cluster inference (tests/stats/test_did_coverage.py covers that). With
200 replicates the coverage of a 95 % interval is 0.95 ± 0.015 (one SE), so 0.93–0.97 allows
about 1.3 SEs; the seed is fixed, so the test is deterministic. Checked beyond the test with
2,000 replicates of the same design (seed 1): 0.948; with the HKSJ factor floored
at 1 (what the verdict also asks, pool.py) 0.987.

The report gives the floored interval (pool.py: unfloored, sites that agree closely make it
narrower than their own uncertainty allows), so the 93–97 % promise is the unfloored HKSJ
interval's (kept in pooled.csv, row random_effects_unfloored), and the interval a reader sees
is held to what Knapp and Hartung's floor promises: never below the nominal 95 %.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from pipeline.multisite.package import SitePackage, estimates_table
from pipeline.multisite.pool import pool_indicator
from pipeline.stats.did import difference_in_differences
from pipeline.stats.meta import _tau2_reml, _tau2_reml_root, meta_analysis

COMMON, TAU, SITES, REPLICATES, SEED = 0.06, 0.03, 5, 200, 20240615
INDICATOR = "vacc_mmr1_24m"


def _site_summary_row(rng: np.random.Generator, true_did: float) -> dict[str, str]:
    """One site's summary row as published, from the project's DiD on its simulated children."""
    n = int(rng.integers(120, 401))
    comparison_pre = rng.uniform(0.55, 0.80)
    intervention_pre = comparison_pre - rng.uniform(0.0, 0.10)
    trend = rng.uniform(-0.03, 0.03)
    shares = np.array([intervention_pre, intervention_pre + trend + true_did,
                       comparison_pre, comparison_pre + trend])
    treated, post = np.repeat([1, 1, 0, 0], n), np.tile(np.repeat([0, 1], n), 2)
    outcome = (rng.random(4 * n) < np.repeat(shares, n)).astype(int)
    did = difference_in_differences(outcome, treated, post, np.where(treated == 1, "I", "C"),
                                    wild_bootstrap=False).heteroskedasticity_robust
    return {"indicator": INDICATOR, "area": "all", "primary": "True", "kind": "binary", "design": "did",
            "analysis": "itt", "method": "did", "measure": "did", "estimate": f"{did.estimate:.6g}",
            "ci_low": f"{did.ci_low:.6g}", "ci_high": f"{did.ci_high:.6g}",
            "p_value": f"{did.p_value:.6g}", "n_intervention": str(2 * n), "n_comparison": str(2 * n),
            "verdict": "unclear", "reason": "", "suppressed": "False", "suppression": ""}


def _packages(rows: list[dict[str, str]]) -> list[SitePackage]:
    """The sites' packages as `read_package` gives them, with estimates.csv made by the share
    code from the published rows (one call for all sites: it is the slow part)."""
    estimates = estimates_table(pd.DataFrame(rows))
    return [SitePackage(path=Path(f"site{i}.zip"), sha256="", site={"label": f"site{i}", "min_cell": 5},
                        estimates=estimates.iloc[[i]], proportions=pd.DataFrame(), manifest={})
            for i in range(len(rows))]


def test_pooled_interval_covers_the_common_effect_in_93_to_97_percent_of_replicates() -> None:
    rng = np.random.default_rng(SEED)
    covered, covered_floored, widths = 0, 0, []
    for _ in range(REPLICATES):
        true = COMMON + TAU * rng.standard_normal(SITES)
        pooled = pool_indicator(INDICATOR, True, _packages([_site_summary_row(rng, e) for e in true]))
        estimate, reported = pooled.unfloored.pooled, pooled.meta.pooled
        assert pooled.meta.k == SITES and estimate.method == "random_effects_reml_hksj"
        assert reported.method == "random_effects_reml_hksj_floor"
        covered += estimate.ci_low <= COMMON <= estimate.ci_high
        covered_floored += reported.ci_low <= COMMON <= reported.ci_high
        widths.append(estimate.ci_high - estimate.ci_low)
    coverage = covered / REPLICATES
    assert 0.93 <= coverage <= 0.97, (coverage, float(np.median(widths)))
    assert covered_floored / REPLICATES >= 0.95


def test_reml_that_fisher_scoring_only_circles_is_found_by_the_score_root() -> None:
    """Fisher scoring from Hedges' start oscillates around this tau² in steps that shrink by
    about 8 % each; it used to give up after 100 steps ("did not converge"), in about 1 of 700
    simulated eight-site meta-analyses. The fallback finds the maximum of the restricted
    likelihood (checked against a bounded search of the likelihood itself)."""
    from scipy import optimize

    from pipeline.stats.meta import _restricted_loglik

    y = np.array([0.15696553, 0.0520108, 0.10711187, 0.10528454, 0.08907417, 0.06354655, 0.14064258,
                  0.09161798])
    se = np.array([0.02329118, 0.04196287, 0.04542559, 0.04767148, 0.04845561, 0.05866609, 0.04979545,
                   0.04272163])
    tau2, iterations = _tau2_reml(y, se**2)
    best = optimize.minimize_scalar(lambda t: -_restricted_loglik(y, se**2, t), bounds=(0, 0.01),
                                    method="bounded", options={"xatol": 1e-13})
    assert iterations > 100
    assert abs(tau2 - best.x) < 1e-8 and abs(tau2 - _tau2_reml_root(y, se**2)) < 1e-14
    assert meta_analysis(y, se).pooled.estimable
