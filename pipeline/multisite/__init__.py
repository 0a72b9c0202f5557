"""Many sites, one answer (issue 15): share a site's results, pool several sites' results.

`package` writes and reads a site package (`hembesok share`): a zip of a completed run's
published, small-cell-protected aggregates, with no row-level data; `pool` checks that
packages are compatible and pools each indicator's estimates with a random-effects
meta-analysis (`hembesok pool`); `report` writes the pooled tables, forest plots and the
pooled report in Swedish and English. Only estimates travel between sites, never children.
"""
