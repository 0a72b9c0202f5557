"""The wild cluster bootstrap against boottest's published difference-in-differences example.

Source: David Roodman's `boottest` for Stata (Roodman, MacKinnon, Nielsen & Webb 2019,
"Fast and wild: bootstrap inference in Stata using boottest", Stata Journal 19:4-60),
https://github.com/droodman/boottest — the first example of its help file (boottest.sthlp)
and the output the repository publishes for it in "unit tests.log" (commit 13473f8, the
first results after the listing of the do-file):

    use collapsed       (test/collapsed.dta: share insured by year x self-employment)
    regress hasinsurance selfemployed post post_self, cluster(year)
    boottest post_self=.04
      Warning: with 8 bootstrap clusters, the number of replications, 999, exceeds the
      universe of Rademacher draws, 2^8 = 256. Sampling each once.
      Wild bootstrap-t, null imposed, 256 replications, ... Rademacher weights:
        t(7) = 2.0194    Prob>|t| = 0.0742
        95% confidence set for null hypothesis expression: [.03874, .07098]
    boottest {post_self=.04} {post}
      post:  t(7) = -5.5821    Prob>|t| = 0.0000
        95% confidence set for null hypothesis expression: [-.02978, -.01306]

A DiD with 8 clusters: all 2^8 Rademacher patterns are enumerated, so the published numbers
involve no random numbers and can be reproduced exactly, up to two conventions:

- Ties. With the null imposed, the patterns (1, ..., 1) and (-1, ..., -1) rebuild the data
  and its mirror image, so their |t*| equals the observed |t| exactly. boottest counts only
  |t*| > |t| (boottest.mata, `getp`: `rowsum(-abs(tmp) :> -abs(*pDist))`), so rounding
  decides whether these two ties count: over the versions of its log the same test shows
  0.0703 = 18/256 (e.g. commit b9dad85) and 0.0742 = 19/256 (e.g. 13473f8).
  `WildClusterBootstrap` counts both (|t*| >= |t|), so its p is boottest's + 2/256.
- Interval bounds. boottest's root search (`boottest::search`) stops once p is within 1/B
  of alpha, or when the step function defeats its monotonicity check, so its bounds are
  exact to about one step of the p-function, not to the printed digits: for the same data
  its log shows [.03815, .07148] (c7daf57, 2021), [.0384, .07148] (e110656, January 2023)
  and [.03874, .07098] (since). `WildClusterBootstrap.interval` bisects to the step itself.
"""

import numpy as np
import pytest

from pipeline.stats.did import WildClusterBootstrap, wild_cluster_bootstrap_p

# test/collapsed.dta of droodman/boottest: 16 rows, one per year (1983-1990) and
# self-employment status; hasinsurance is stored by Stata as float32, written here as the
# shortest decimal that reads back to the same float32 (so the regression sees the same
# doubles as Stata does). post = year >= 1988, post_self = post * selfemployed.
YEARS = np.repeat(np.arange(1983, 1991), 2)
SELF_EMPLOYED = np.tile([0.0, 1.0], 8)
HAS_INSURANCE = np.array([
    "0.87550783", "0.7104426",   # 1983: employed, self-employed
    "0.87950325", "0.73782974",  # 1984
    "0.8717851", "0.70701325",   # 1985
    "0.87094826", "0.71200234",  # 1986
    "0.87239945", "0.7190174",   # 1987
    "0.8586542", "0.76657754",   # 1988
    "0.8543781", "0.74206126",   # 1989
    "0.84707814", "0.7457418",   # 1990
], dtype=np.float32).astype(np.float64)
POST = (YEARS >= 1988).astype(float)
COLUMNS = ("_cons", "selfemployed", "post", "post_self")
DESIGN = np.column_stack([np.ones(16), SELF_EMPLOYED, POST, POST * SELF_EMPLOYED])
CLUSTERS = YEARS - 1983
PATTERNS = 2**8
TIES = 2  # the patterns (1, ..., 1) and (-1, ..., -1)


def _bootstrap(column: str) -> WildClusterBootstrap:
    return WildClusterBootstrap(HAS_INSURANCE, DESIGN, COLUMNS.index(column), CLUSTERS,
                                weights="rademacher", reps=9999)


def test_every_sign_pattern_is_enumerated_and_the_cluster_robust_t_is_boottests() -> None:
    # boottest's t is the CR1 t with the small-sample factor G/(G-1) (N-1)/(N-K), as here
    for column, null, published_t in (("post_self", 0.04, 2.0194), ("post", 0.0, -5.5821)):
        boot = _bootstrap(column)
        assert boot.how == "all 256 Rademacher sign patterns enumerated"
        assert (boot.estimate - null) / boot.se == pytest.approx(published_t, abs=5e-5)


def test_p_is_boottests_plus_the_two_patterns_that_tie_exactly() -> None:
    post_self = _bootstrap("post_self").p_value(0.04)
    assert post_self == pytest.approx(20 / PATTERNS, abs=1e-12)
    # boottest's p without the two ties (b9dad85) and with one of them (13473f8)
    assert post_self - TIES / PATTERNS == pytest.approx(0.0703, abs=5e-5)
    assert post_self - 1 / PATTERNS == pytest.approx(0.0742, abs=5e-5)

    post, note = wild_cluster_bootstrap_p(HAS_INSURANCE, DESIGN, COLUMNS.index("post"),
                                          CLUSTERS, weights="rademacher", reps=9999)
    assert "all 256 Rademacher sign patterns enumerated" in note
    # boottest: Prob>|t| = 0.0000, no pattern beyond the observed |t| and no tie counted
    assert post - TIES / PATTERNS == pytest.approx(0.0, abs=5e-5)


@pytest.mark.parametrize(("column", "published"), [
    ("post_self", (0.03874, 0.07098)),  # unit tests.log, 13473f8
    ("post_self", (0.0384, 0.07148)),   # unit tests.log, e110656
    ("post_self", (0.03815, 0.07148)),  # unit tests.log, c7daf57
    ("post", (-0.02978, -0.01306)),     # unit tests.log, 13473f8
])
def test_interval_inverts_the_same_test_as_boottest(column: str,
                                                    published: tuple[float, float]) -> None:
    boot = _bootstrap(column)
    # boottest rejects when fewer than 5 % of the 256 |t*| exceed |t|; the pipeline's p
    # adds the 2 ties, so boottest's 95 % set is the pipeline's set at level
    # 1 - (0.05 + 2/256), bisected to the step of the p-function itself
    low, high = boot.interval(1 - (0.05 + TIES / PATTERNS))
    # (0.03821, 0.07128) for post_self and (-0.02934, -0.01294) for post. boottest's bounds
    # are exact to about one step of the p-function (module docstring): its published
    # versions differ from each other by up to 0.08 SE and from these by up to 0.12 SE
    for mine, theirs in zip((low, high), published, strict=True):
        assert mine == pytest.approx(theirs, abs=0.15 * boot.se)
    # the pipeline's own 95 % interval counts the ties too, so it holds boottest's set
    own_low, own_high = boot.interval(0.95)
    assert own_low <= low < boot.estimate < high <= own_high
