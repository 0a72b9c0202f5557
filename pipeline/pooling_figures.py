"""The pooled report's figure: a forest plot of one indicator over the sites (issue 15).

Drawn from `pooled.csv` (`pipeline.multisite.pool.pooled_table`) with the conventions of
`pipeline.figures`: a `ReportFigure` drawn with Agg, its fonts and grid. Each pooled site is a
square sized by its weight with its 95 % interval; a site that is not pooled is named with
"not included" and nothing drawn; below them the pooled (random-effects) estimate as a
diamond spanning its interval, the prediction interval for a new site as a dashed bar, and
the fixed-effect estimate as a hollow diamond. The pooled diamond is the interval the report
gives (`pooled.csv`'s `random_effects` row: the HKSJ factor floored at 1); with fewer than 3
sites the prediction row says there are too few sites instead of drawing one. Differences in
percentage points around 0, on an axis that stops a little beyond -100 and 100 (no difference of
two shares lies further out; an interval that does is drawn to the edge with an arrowhead, its
numbers written beside it); ratios on a log scale around 1.
"""

from __future__ import annotations

import math

import matplotlib
import matplotlib.patches
import pandas as pd
from matplotlib.ticker import FuncFormatter
from matplotlib.transforms import blended_transform_factory

from pipeline import tables, text
from pipeline.figures import RC, SMALL_FONT_SIZE, ReportFigure, _mark_suppressed, _style_axes, _wrap
from pipeline.multisite.pool import MIN_SITES_PREDICTION
from pipeline.narrative import landmark_name
from pipeline.text import format_estimate, format_interval, format_number, format_percent, label, to_number
from pipeline.text.pooling import FOREST_WORDS

SITE_COLOR = "#444444"
POOLED_COLOR = "#08306b"  # the intervention blue of pipeline.figures
PREDICTION_COLOR = "#f28e2b"
# The points axis stops here (percentage points): a difference of two shares lies within ±100.
POINTS_LIMIT = 105.0


def pooled_name(indicator: str, language: str, *, ratio: bool = False) -> str:
    """The indicator's name as the pooled report gives it: a time-to-event indicator pooled as a
    difference is the DiD of its landmark share, which its name alone does not say
    (`narrative.landmark_name`, as the study report's page one words it)."""
    return label("indicator", indicator, language) if ratio else landmark_name(indicator, language)


def forest_plot(pooled: pd.DataFrame, indicator: str, language: str) -> ReportFigure:
    """Forest plot of `indicator` from pooled.csv: sites, pooled diamond, prediction interval."""
    text.check_language(language)
    rows = pooled[pooled["indicator"] == indicator]
    sites = tables.records(rows[rows["row"] == "site"])
    random = next(iter(tables.records(rows[rows["row"] == "random_effects"])), {})
    fixed = next(iter(tables.records(rows[rows["row"] == "fixed_effect"])), {})
    ratio = (random.get("scale") or (sites[0].get("scale") if sites else "")) == "log"
    scale, null = (1.0, 1.0) if ratio else (100.0, 0.0)
    decimals = 2 if ratio else 1

    def words(key: str, **values: object) -> str:
        return FOREST_WORDS[key].in_(language).format(**values)

    layout = [(str(site["site"]), "site", site) for site in sites]
    layout += [("", "gap", {}), (words("pooled"), "pooled", random),
               (words("prediction"), "prediction", random), (words("fixed"), "fixed", fixed)]
    with matplotlib.rc_context(RC):
        figure = ReportFigure(figsize=(9.0, 1.6 + 0.38 * len(layout)), layout="constrained")
        ax = figure.subplots()
        ax.axvline(null, color="#333333", linewidth=1.2, zorder=1)
        right = blended_transform_factory(ax.transAxes, ax.transData)
        drawn = []
        for position, (_name, kind, row) in enumerate(layout):
            y = len(layout) - 1 - position
            estimate = to_number(row.get("estimate"))
            low, high = to_number(row.get("ci_low")), to_number(row.get("ci_high"))
            if kind == "site":
                if row.get("reason") or estimate is None:
                    _mark_suppressed(ax, 1.02, y, words("not_pooled"), transform=right)
                    continue
                weight = to_number(row.get("weight_percent"))  # None: nothing pooled, no weight
                if low is not None and high is not None:
                    ax.plot([low * scale, high * scale], [y, y], color=SITE_COLOR, linewidth=1.4, zorder=2)
                    drawn += [low * scale, high * scale]
                size = 4 + 10 * math.sqrt((100.0 if weight is None else weight) / 100)
                ax.plot([estimate * scale], [y], marker="s", color=SITE_COLOR, linestyle="none",
                        markersize=size, zorder=3, gid=f"site:{row['site']}")
                drawn.append(estimate * scale)
                shown = format_estimate(estimate, low, high, language, decimals, scale=scale)
                if weight is not None:
                    shown += "   " + words("weight", weight=format_percent(weight / 100, language))
                ax.text(1.02, y, shown, transform=right, va="center", fontsize=SMALL_FONT_SIZE)
            elif kind in ("pooled", "fixed"):
                if estimate is None:
                    _mark_suppressed(ax, 1.02, y, text.phrase("not_estimable", language), transform=right)
                    continue
                lo, hi = (low, high) if low is not None and high is not None else (estimate, estimate)
                points = [(lo * scale, y), (estimate * scale, y + 0.28), (hi * scale, y),
                          (estimate * scale, y - 0.28)]
                ax.add_patch(matplotlib.patches.Polygon(
                    points, closed=True, zorder=3, gid=kind, linewidth=1.4, edgecolor=POOLED_COLOR,
                    facecolor=POOLED_COLOR if kind == "pooled" else "white"))
                drawn += [lo * scale, hi * scale]
                ax.text(1.02, y, format_estimate(estimate, low, high, language, decimals, scale=scale),
                        transform=right, va="center", fontsize=SMALL_FONT_SIZE,
                        fontweight="bold" if kind == "pooled" else "normal")
            elif kind == "prediction":
                low, high = to_number(row.get("prediction_low")), to_number(row.get("prediction_high"))
                sites_pooled = to_number(row.get("n_sites"))
                if (low is None or high is None) and sites_pooled is not None and (
                        2 <= sites_pooled < MIN_SITES_PREDICTION):
                    _mark_suppressed(ax, 1.02, y, words("too_few_to_predict"), transform=right)
                    continue
                if low is None or high is None:
                    continue
                ax.plot([low * scale, high * scale], [y, y], color=PREDICTION_COLOR, linewidth=2,
                        linestyle="--", zorder=2, gid="prediction")
                ax.plot([low * scale, high * scale], [y, y], color=PREDICTION_COLOR, marker="|",
                        markersize=10, linestyle="none", zorder=2)
                drawn += [low * scale, high * scale]
                ax.text(1.02, y, format_interval(low, high, language, decimals, scale, prefix=False),
                        transform=right, va="center", fontsize=SMALL_FONT_SIZE, color=PREDICTION_COLOR)
        ax.set_yticks(range(len(layout)))
        ax.set_yticklabels([_wrap(name, 36) for name, _, _ in reversed(layout)])
        for tick, (_, kind, _) in zip(ax.get_yticklabels(), reversed(layout), strict=True):
            if kind == "pooled":
                tick.set_fontweight("bold")
        ax.set_ylim(-0.7, len(layout) - 0.3)
        ax.set_title(pooled_name(indicator, language, ratio=ratio), fontsize=11)
        if ratio:
            ax.set_xscale("log")
            ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _p: format_number(v, language, 2)))
            ax.xaxis.set_minor_formatter(FuncFormatter(lambda v, _p: ""))
            ax.set_xlabel(words("axis_ratio"))
            ax.grid(True, axis="x", color="#dddddd", linewidth=0.6)
        else:
            _style_axes(ax, language, percent_axis="x")
            ax.grid(False, axis="y")
            ax.set_xlabel(f"{words('axis_points')}\n{words('favours')}")
            if drawn:
                reach = min(max(abs(v) for v in drawn) * 1.08 or 1.0, POINTS_LIMIT)
                ax.set_xlim(-reach, reach)
                _mark_off_scale(ax, layout, scale, reach)
        ax.tick_params(axis="y", length=0)
    return figure


def _mark_off_scale(ax: matplotlib.axes.Axes, layout: list, scale: float, reach: float) -> None:
    """An arrowhead just inside the axis' edge where an interval runs beyond it (drawn clipped):
    white on the pooled diamond, in the bar's colour on a bar."""
    for position, (_name, kind, row) in enumerate(layout):
        if kind == "gap" or (kind == "site" and row.get("reason")):
            continue
        y = len(layout) - 1 - position
        names = ("prediction_low", "prediction_high") if kind == "prediction" else ("ci_low", "ci_high")
        color = {"prediction": PREDICTION_COLOR, "site": SITE_COLOR, "pooled": "white"}.get(
            kind, POOLED_COLOR)
        for name, side, marker in ((names[0], -1, "<"), (names[1], 1, ">")):
            value = to_number(row.get(name))
            if value is not None and value * scale * side > reach:
                ax.plot([side * reach * 0.975], [y], marker=marker, color=color, markersize=7,
                        linestyle="none", zorder=4, gid=f"off_scale:{kind}")
