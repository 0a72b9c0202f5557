"""Report figures (matplotlib, drawn with Agg) from the stage tables, in Swedish or English.

Each function returns a `ReportFigure` (a matplotlib Figure that IPython displays as PNG
whatever the backend) and takes `language`. Figures are made for paper: fonts of at least
9 pt, groups told apart by colour (dark blue and orange keep apart in greyscale), marker and
line style, axes labelled with units. A suppressed group or value is marked with text
("uppgift undertryckt (<5)") and never drawn. No pyplot: figures hold no global state, so
reports can be rendered in parallel. Each figure carries a digest of what it was drawn from,
so that the reports of one run draw a figure they have in common once.
"""

from __future__ import annotations

import codecs
import math
import os
import textwrap
from collections.abc import Sequence
from typing import Any

import matplotlib
import matplotlib.dates
import matplotlib.lines
import matplotlib.patches
import numpy as np
import pandas as pd
from matplotlib import cbook
from matplotlib.axes import Axes
from matplotlib.backends import backend_agg
from matplotlib.backends.backend_agg import FigureCanvasAgg, RendererAgg
from matplotlib.backends.backend_mixed import MixedModeRenderer
from matplotlib.backends.backend_svg import FigureCanvasSVG, RendererSVG
from matplotlib.collections import LineCollection
from matplotlib.container import ErrorbarContainer
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties, fontManager, get_font
from matplotlib.markers import TICKLEFT
from matplotlib.ticker import FixedLocator, FuncFormatter, MaxNLocator, NullLocator
from matplotlib.transforms import ScaledTranslation, blended_transform_factory

from pipeline import tables, text
from pipeline.figure_keys import keyed, release
from pipeline.indicators import time_to_event
from pipeline.report_html import PNG_DPI, figure_images
from pipeline.stats import funnel_limits
from pipeline.text import format_number, label, phrase, to_number
from pipeline.text.narrative_words import MONITORING_WORDS

DAYS_PER_MONTH = 30.4375
FONT_SIZE = 10
SMALL_FONT_SIZE = 9  # the smallest text on any figure
RC = {"font.size": FONT_SIZE, "axes.titlesize": 11, "axes.labelsize": FONT_SIZE,
      "xtick.labelsize": SMALL_FONT_SIZE, "ytick.labelsize": SMALL_FONT_SIZE,
      "legend.fontsize": SMALL_FONT_SIZE, "font.family": "DejaVu Sans", "axes.spines.top": False,
      "axes.spines.right": False,
      # titles just above their axes: where matplotlib would put them, no axis having ticks on
      # top, without measuring every axes of the figure again for it on every pass
      "axes.titley": 1.0}
GROUP_STYLES: dict[str, dict[str, Any]] = {
    "intervention": {"color": "#08306b", "marker": "o", "linestyle": "-"},        # dark blue
    "comparison": {"color": "#f28e2b", "marker": "s", "linestyle": "--"},         # orange
    "intervention_pre": {"color": "#6b8fc7", "marker": "^", "linestyle": ":"},    # light blue
    "comparison_pre": {"color": "#7f4f14", "marker": "D", "linestyle": "-."},     # brown
}
SERIES_STYLES: list[dict[str, Any]] = [
    {"color": "#08306b", "marker": "o", "linestyle": "-"},
    {"color": "#f28e2b", "marker": "s", "linestyle": "--"},
    {"color": "#555555", "marker": "^", "linestyle": ":"},
    {"color": "#7f4f14", "marker": "D", "linestyle": "-."},
]
METHOD_MARKERS = {"crude": "o", "regression": "s", "iptw": "^", "did": "D", "did_unadjusted": "d",
                  "cox": "v"}
SUPPRESSED_GID = "suppressed"
GRID_COLOR, GRID_WIDTH = "#dddddd", 0.6


# The settings besides a string, its font properties and the dpi that its extent on an Agg
# renderer depends on: hinting, kerning and the fonts a generic family ("sans-serif") names.
FONT_SETTINGS = ("text.hinting", "text.hinting_factor", "text.kerning_factor", "font.serif",
                 "font.sans-serif", "font.cursive", "font.fantasy", "font.monospace")
_MEASURED_MAX = 50_000  # text extents kept per process; emptied when full
FontHeights = tuple[float, float, float] | tuple[None, None, None]  # ascent, descent, line gap


class _KeptMeasures:
    """Text extents and font heights kept for the process, not per renderer: what a renderer
    measures of a text depends only on the string, its font properties, the dpi it measures at
    (`_measure_dpi`) and `FONT_SETTINGS`, so the measurements are the same numbers, taken once.
    Math and TeX text are measured by the renderer itself. Each renderer class keeps its own
    (`_extents`, `_heights`): Agg measures hinted glyphs, a vector renderer unhinted outlines."""

    _extents: dict[tuple[Any, ...], tuple[float, float, float]]
    _heights: dict[tuple[Any, ...], FontHeights]

    def _keep_settings(self) -> None:
        self._settings = tuple(_hashable(matplotlib.rcParams[name]) for name in FONT_SETTINGS
                               if name in matplotlib.rcParams)

    def _measure_dpi(self) -> float:
        raise NotImplementedError

    def get_text_width_height_descent(self, s: str, prop: FontProperties, ismath: Any) -> Any:
        if ismath:
            return super().get_text_width_height_descent(s, prop, ismath)  # type: ignore[misc]
        key = (s, prop, self._measure_dpi(), self._settings)
        extent = self._extents.get(key)
        if extent is None:
            extent = super().get_text_width_height_descent(s, prop, ismath)  # type: ignore[misc]
            _keep(self._extents, (s, prop.copy(), *key[2:]), extent)
        return extent

    def _get_font_height_metrics(self, prop: FontProperties) -> Any:
        """The ascent, descent and line gap of `prop`'s font, as `Text._get_layout` (matplotlib
        3.10 and later) computes them when a renderer does not give them: from the font's OS/2
        or hhea table. Looked up once for each font, not for each text on each pass."""
        key = (prop, self._measure_dpi(), self._settings)
        heights = self._heights.get(key)
        if heights is None:
            heights = _font_height_metrics(prop, self._measure_dpi())
            _keep(self._heights, (prop.copy(), *key[1:]), heights)
        return heights


class ReportRenderer(_KeptMeasures, RendererAgg):
    """An Agg renderer whose text measurements (`_KeptMeasures`) and drawn glyphs (`draw_text`)
    are kept for the process, not per renderer.

    matplotlib measures each text anew on each renderer, and a figure gets one for its layout
    and another for its PNG (another size), while the figures of a report share most of their
    tick labels and words.
    """

    _extents: dict[tuple[Any, ...], tuple[float, float, float]] = {}
    _heights: dict[tuple[Any, ...], FontHeights] = {}
    _layouts: dict[tuple[Any, ...], tuple[tuple[Any, int, float, float], ...]] = {}  # `draw_text`
    _bitmaps: dict[tuple[Any, ...], tuple[np.ndarray, int, int]] = {}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._keep_settings()

    def _measure_dpi(self) -> float:
        return self.dpi

    def draw_text(self, gc: Any, x: float, y: float, s: str, prop: FontProperties, angle: float,
                  ismath: Any = False, mtext: Any = None) -> None:
        """Draw a text as Agg does (matplotlib 3.11: glyph by glyph), with each string's glyph
        layout and each glyph's bitmap kept for the process rather than made anew.

        A glyph's bitmap depends on its font, size, dpi, hinting, rotation and where its pen
        position falls within a pixel (FreeType's 26.6 fixed point: 1/64 of a pixel), and a
        whole pixel further on it is the same bitmap one pixel further on (the outline is
        moved by whole pixels, exactly, before it is rasterised); so the bitmap is made once
        for each such fraction and drawn where the glyph falls. The pixels are Agg's own.
        Math, TeX and a matplotlib without the glyph-by-glyph path are drawn by Agg itself.
        """
        if ismath or not _GLYPH_BY_GLYPH:
            return super().draw_text(gc, x, y, s, prop, angle, ismath=ismath, mtext=mtext)
        features = mtext.get_fontfeatures() if mtext is not None else None
        language = mtext.get_language() if mtext is not None else None
        hinting = backend_agg.get_hinting_flag()
        key = (s, prop, self.dpi, self._settings, _hashable(features), _hashable(language), hinting)
        items = self._layouts.get(key)
        if items is None:
            font = self._prepare_font(prop)
            items = tuple((item.ft_object, item.glyph_index, item.x, item.y)
                          for item in font._layout(s, flags=hinting, features=features, language=language))
            _keep(self._layouts, (s, prop.copy(), *key[2:]), items)
        self._draw_glyphs(gc, x, y, angle, prop.get_size_in_points(), items, hinting)

    def _draw_glyphs(self, gc: Any, x: float, y: float, angle: float, size: float,
                     items: tuple[tuple[Any, int, float, float], ...], hinting: Any) -> None:
        """`RendererAgg._draw_text_glyphs_and_boxes` for plain glyphs (no slant, no stretch,
        no boxes), each glyph's bitmap from `_bitmaps` (see `draw_text`)."""
        cos, sin = math.cos(math.radians(angle)), math.sin(math.radians(angle))
        matrix = (0x10000 * np.array([[cos, -sin], [sin, cos]])).round().astype(int)
        antialiased = bool(gc.get_antialiased())
        mode = backend_agg.RenderMode.NORMAL if antialiased else backend_agg.RenderMode.MONO
        shape = (angle, self.dpi, size, hinting, antialiased)
        height = self.height
        for font, glyph_index, dx, dy in items:  # dy is upwards; FreeType's y is upwards too
            pen_x = round(0x40 * (x + dx * cos - dy * sin))
            pen_y = round(0x40 * (height - y + dx * sin + dy * cos))
            key = (font, glyph_index, pen_x & 0x3F, pen_y & 0x3F, shape)
            bitmap = self._bitmaps.get(key)
            if bitmap is None:
                font.set_size(size, self.dpi)
                font._set_transform(matrix, [pen_x & 0x3F, pen_y & 0x3F])
                rendered = font._render_glyph(glyph_index, hinting, mode)
                buffer = rendered.buffer
                if not antialiased:
                    buffer *= 0xff
                bitmap = (buffer, rendered.left, rendered.top)
                _keep(self._bitmaps, key, bitmap)
            buffer, left, top = bitmap
            # draw_text_image's y is downwards and the bitmap's bottom side
            self._renderer.draw_text_image(buffer, left + (pen_x >> 6),
                                           int(height) - (top + (pen_y >> 6)) + buffer.shape[0], 0, gc)


def _forget_fonts_after_fork() -> None:
    """In a forked process, let go of the glyph layouts and bitmaps `ReportRenderer` kept: they
    hold the parent's FreeType fonts, whose open font file the child shares with the parent
    and with every other child, at one read position. Two report workers reading glyphs through
    them at once read each other's bytes: "FT_Load_Glyph failed with error 0x14: invalid
    outline", or a wrong glyph drawn without an error. matplotlib forgets its own fonts at a
    fork for the same reason (`font_manager._get_font`), so the child opens its own."""
    ReportRenderer._layouts.clear()
    ReportRenderer._bitmaps.clear()


os.register_at_fork(after_in_child=_forget_fonts_after_fork)

# matplotlib 3.11 draws a text glyph by glyph, in Python, where earlier versions drew it as one
# bitmap in C++: `ReportRenderer.draw_text` does the same drawing with its work kept.
_GLYPH_BY_GLYPH = (hasattr(RendererAgg, "_draw_text_glyphs_and_boxes")
                   and hasattr(RendererAgg, "_prepare_font") and hasattr(backend_agg, "RenderMode"))


def _font_height_metrics(prop: FontProperties, dpi: float) -> FontHeights:
    find = getattr(fontManager, "_find_fonts_by_props", None)  # private: None lets matplotlib look
    if find is None:
        return None, None, None
    font = get_font(find(prop))
    for table_name, gap_key, ascent_key, descent_key in (
            ("OS/2", "sTypoLineGap", "sTypoAscender", "sTypoDescender"),
            ("hhea", "lineGap", "ascent", "descent")):
        table = font.get_sfnt_table(table_name)
        if table is None:
            continue
        scale = 1 / font.get_sfnt_table("head")["unitsPerEm"] * prop.get_size_in_points() * dpi / 72
        return table[ascent_key] * scale, -table[descent_key] * scale, table[gap_key] * scale
    return None, None, None


def _hashable(value: Any) -> Any:
    return tuple(value) if isinstance(value, list) else value


def _keep(kept: dict[tuple[Any, ...], Any], key: tuple[Any, ...], value: Any) -> None:
    if len(kept) >= _MEASURED_MAX:
        kept.clear()
    kept[key] = value


class ReportSVGRenderer(_KeptMeasures, RendererSVG):
    """matplotlib's SVG renderer with its text measurements kept for the process
    (`_KeptMeasures`): the SVG of a report figure is drawn after its PNG, and laying out its
    texts again took some 40 % of the SVG's time. It measures at 72 dpi, as matplotlib's."""

    _extents: dict[tuple[Any, ...], tuple[float, float, float]] = {}
    _heights: dict[tuple[Any, ...], FontHeights] = {}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._keep_settings()

    def _measure_dpi(self) -> float:
        return 72.0  # the figure's dpi while it is drawn as SVG, and the renderer's points_to_pixels


class ReportSVGCanvas(FigureCanvasSVG):
    """An SVG canvas that draws with a `ReportSVGRenderer` (`report_html.figure_images` puts it
    under a report figure for its SVG, and the figure's own canvas back afterwards)."""

    def print_svg(self, filename: Any, *, bbox_inches_restore: Any = None, metadata: Any = None,
                  **_other: Any) -> None:
        """`FigureCanvasSVG.print_svg`, drawn by a `ReportSVGRenderer`: the same bytes. The other
        keywords `savefig` passes (dpi, colours, orientation) are not SVG's, as there."""
        with cbook.open_file_cm(filename, "w", encoding="utf-8") as out:
            if not cbook.file_requires_unicode(out):
                out = codecs.getwriter("utf-8")(out)
            dpi = self.figure.dpi
            self.figure.dpi = 72
            width, height = self.figure.get_size_inches()
            renderer = MixedModeRenderer(
                self.figure, width, height, dpi,
                ReportSVGRenderer(width * 72, height * 72, out, image_dpi=dpi, metadata=metadata),
                bbox_inches_restore=bbox_inches_restore)
            self.figure.draw(renderer)
            renderer.finalize()


class ReportCanvas(FigureCanvasAgg):
    """An Agg canvas that draws with a `ReportRenderer` (and its figure's SVG is drawn on a
    `ReportSVGCanvas`)."""

    svg_canvas_class = ReportSVGCanvas

    def get_renderer(self) -> ReportRenderer:
        width, height = self.get_width_height(physical=True)
        key = width, height, self.figure.dpi
        if self._lastKey != key:
            self.renderer = ReportRenderer(width, height, self.figure.dpi)
            self._lastKey = key
        return self.renderer


class ReportFigure(Figure):
    """A Figure with an Agg canvas that shows itself as PNG in a notebook (`display(fig)`).

    `inputs_key` is a digest of what it was drawn from, set by the figure functions here
    (`keyed`): two figures with the same key look the same, so the reports of one run draw
    such a figure once (`report_html.figure_html`, `cache`).
    """

    inputs_key: str | None = None

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        ReportCanvas(self)

    def to_png(self, dpi: int = PNG_DPI) -> bytes:
        """The figure as PNG bytes, cropped to what is drawn (the at-risk table included)."""
        return figure_images(self, dpi=dpi)[0]

    def _repr_png_(self) -> bytes:
        return self.to_png()


def _new_figure(width: float, height: float) -> ReportFigure:
    return ReportFigure(figsize=(width, height), layout="constrained")


def _style_axes(ax: Axes, language: str, *, percent_axis: str | None = None) -> None:
    ax.tick_params(labelsize=SMALL_FONT_SIZE)
    ax.grid(True, axis="both", color=GRID_COLOR, linewidth=GRID_WIDTH)
    ax.set_axisbelow(True)
    formatter = FuncFormatter(
        lambda value, _pos: format_number(value, language, 0 if float(value).is_integer() else 1))
    if percent_axis in ("x", "both"):
        ax.xaxis.set_major_formatter(formatter)
    if percent_axis in ("y", "both"):
        ax.yaxis.set_major_formatter(formatter)


def _row_labels(ax: Axes, rows: Sequence[tuple[str, bool]]) -> None:
    """Label the rows of a figure drawn one row per value of y (the first row at the top, y =
    len(rows) - 1; bold where the flag is set) as y's tick labels look, with their tick marks
    and grid lines, but without an axis tick per row.

    A forest plot has a row per indicator and method (18 for the demo's vaccinations), and
    matplotlib makes each tick of five artists and measures and draws each on every pass: a
    fifth of the time a forest figure took. Here the labels are texts, the tick marks one line
    of markers and the grid lines one collection; the pixels are the ticks' (a proportions
    figure's the same; a forest's but for the antialiasing of the marks where they meet the
    spine)."""
    ax.set_yticks([])
    ys = np.arange(len(rows))[::-1]
    at_axis = ax.get_yaxis_transform()  # x in axes coordinates, y in data
    params = matplotlib.rcParams
    length, pad = params["ytick.major.size"], params["ytick.major.pad"]
    shifted = at_axis + ScaledTranslation(-(length + pad) / 72, 0, ax.figure.dpi_scale_trans)
    for y, (row_text, bold) in zip(ys, rows, strict=True):
        ax.text(0, y, row_text, transform=shifted, ha="right", va="center_baseline", fontsize=SMALL_FONT_SIZE,
                fontweight="bold" if bold else "normal", color=params["ytick.color"])
    if len(rows):
        ax.plot(np.zeros(len(rows)), ys, transform=at_axis, linestyle="none", marker=TICKLEFT,
                markersize=length, markeredgewidth=params["ytick.major.width"], color=params["ytick.color"],
                clip_on=False, zorder=2.01)
        ax.add_collection(LineCollection([[(0, y), (1, y)] for y in ys], transform=at_axis, colors=GRID_COLOR,
                                         linewidths=GRID_WIDTH, zorder=0.5), autolim=False)


def _only_shares_labelled(axis: Any) -> None:
    """No tick label beyond 0-100 % on a share axis whose margin goes past 100 (a point at 100 %
    drawn whole): "102" is not a share."""
    shown = axis.get_major_formatter()
    axis.set_major_formatter(FuncFormatter(
        lambda value, position: shown(value, position) if -1e-9 <= value <= 100 + 1e-9 else ""))


def _wrap(label_text: str, width: int = 34) -> str:
    return "\n".join(textwrap.wrap(label_text, width)) or label_text


def _suppressed_label(language: str, min_cell: int) -> str:
    return phrase("suppressed_short", language, min_cell=min_cell)


def _mark_suppressed(ax: Axes, x: float, y: float, message: str, *, transform: Any = None,
                     ha: str = "left", color: str = "#333333") -> None:
    ax.text(x, y, message, ha=ha, va="center", fontsize=SMALL_FONT_SIZE, style="italic", color=color,
            gid=SUPPRESSED_GID, transform=transform if transform is not None else ax.transData)


def _min_cell(values: Sequence[Any], min_cell: int) -> int:
    return text.min_cell_of(*values, default=min_cell)


# --- proportions ------------------------------------------------------------------------------

@keyed
def proportions_figure(indicators: pd.DataFrame, indicator_ids: Sequence[str], language: str, *,
                       groups: Sequence[str] = ("intervention", "comparison"), area: str = "all",
                       title: str | None = None, min_cell: int = text.DEFAULT_MIN_CELL) -> ReportFigure:
    """Share with 95% interval per group (dot and error bar), one row per indicator."""
    text.check_language(language)
    rows = tables.area_indicator_rows(indicators, area)
    with matplotlib.rc_context(RC):
        figure = _new_figure(8.0, 1.2 + 0.55 * len(indicator_ids) * max(1, len(groups)) ** 0.5)
        ax = figure.subplots()
        offsets = np.linspace(-0.18, 0.18, len(groups)) if len(groups) > 1 else np.zeros(1)
        # every group with a row is in the legend, its point drawn or not: a group shown only by
        # its bounds and small-count notes (an area's comparison group) was missing from it
        legend: dict[str, Any] = {}
        for position, indicator in enumerate(indicator_ids):
            y_base = len(indicator_ids) - 1 - position
            for offset, group in zip(offsets, groups, strict=True):
                match = rows[(rows["indicator"] == indicator) & (rows["group"] == group)] \
                    if rows is not None and not rows.empty else pd.DataFrame()
                if match.empty:
                    continue
                row = tables.records(match.head(1))[0]
                y = y_base - offset
                style = GROUP_STYLES.get(group, SERIES_STYLES[2])
                group_label = label("group", group, language)
                legend.setdefault(group, matplotlib.lines.Line2D(
                    [], [], marker=style["marker"], color=style["color"], markersize=7, linestyle="none"))
                bound = text.format_bound(row.get("proportion_bound"), language)
                if to_number(row.get("proportion")) is None and bound:
                    # Only a bound is published ("> 95 %"): an arrow from it towards 0 or 100
                    # says where the share lies, with no point and no interval.
                    edge = float(str(row["proportion_bound"]).strip()[1:]) * 100
                    end = 100.0 if str(row["proportion_bound"]).strip().startswith(">") else 0.0
                    ax.annotate("", xy=(end, y), xytext=(edge, y), gid=f"{group}_bound",
                                arrowprops={"arrowstyle": "-|>", "color": style["color"], "lw": 1.6,
                                            "shrinkA": 0, "shrinkB": 0})
                    ax.plot([edge], [y], marker="|", markersize=9, color=style["color"], linestyle="none",
                            gid=f"{group}_bound")
                    towards_middle = edge - 1.5 if end > edge else edge + 1.5
                    _mark_suppressed(ax, towards_middle, y, f"{group_label}: {bound}", color=style["color"],
                                     ha="right" if end > edge else "left")
                    continue
                if text.row_is_suppressed(row, ("n_numerator", "n_denominator")) or \
                        to_number(row.get("proportion")) is None:
                    threshold = _min_cell([row.get("n_numerator"), row.get("n_denominator")], min_cell)
                    message = (f"{group_label}: " + text.suppression_phrase(
                        row.get("suppression"), language, threshold, short=True)
                        if text.row_is_suppressed(row, ("n_numerator", "n_denominator"))
                        else f"{group_label}: {phrase('no_data', language)}")
                    _mark_suppressed(ax, 1.0, y, message, color=style["color"])
                    continue
                share = to_number(row["proportion"]) * 100
                low, high = to_number(row.get("ci_low")), to_number(row.get("ci_high"))
                error = None
                if low is not None and high is not None:
                    error = [[share - low * 100], [high * 100 - share]]
                container = ax.errorbar([share], [y], xerr=error, fmt=style["marker"], color=style["color"],
                                        markersize=7, capsize=3, elinewidth=1.4)
                container[0].set_gid(group)
                if not isinstance(legend[group], ErrorbarContainer):
                    legend[group] = container
        _row_labels(ax, [(_wrap(label("indicator", i, language)), False) for i in indicator_ids])
        ax.set_xlim(0, 100)
        ax.set_ylim(-0.6, len(indicator_ids) - 0.4)
        ax.set_xlabel(label("axis", "share", language))
        _style_axes(ax, language, percent_axis="x")
        if legend:
            shown = [group for group in groups if group in legend]
            ax.legend([legend[group] for group in shown],
                      [label("group", group, language) for group in shown],
                      loc="lower center", bbox_to_anchor=(0.5, 1.0), ncol=len(shown), frameon=False)
        if title:
            figure.suptitle(title, fontsize=11)
    return figure


# --- survival ----------------------------------------------------------------------------------

SURVIVAL_POINTS = ("km_point", "turnbull_point")


@keyed
def survival_figure(survival: pd.DataFrame, indicator: str, language: str, *,
                    groups: Sequence[str] = ("intervention", "comparison"), at_risk_every_days: int = 90,
                    min_cell: int = text.DEFAULT_MIN_CELL) -> ReportFigure:
    """Kaplan–Meier (or Turnbull) curves per group with numbers at risk below.

    An indicator whose event is hoped for sooner (`rising`: vacc_mmr1_age) is drawn as the
    share with the event (1 − S, vaccinated) against age in months, with its pointwise
    interval; another (bf_duration) as the share still without it (S, still breastfed).
    """
    text.check_language(language)
    course = time_to_event(indicator)
    rising = course is not None and course.rising
    points = survival[(survival["indicator"] == indicator) & survival["statistic"].isin(SURVIVAL_POINTS)] \
        if survival is not None and not survival.empty else pd.DataFrame()
    with matplotlib.rc_context(RC):
        figure = _new_figure(8.0, 5.6)
        ax, risk_ax = figure.subplots(2, 1, gridspec_kw={"height_ratios": [4, 0.35 + 0.3 * len(groups)]},
                                      sharex=False)
        max_months = 0.0
        risk_rows: dict[str, dict[float, Any]] = {}
        notes: list[tuple[str, str]] = []
        for index, group in enumerate(groups):
            part = points[points["group"] == group].sort_values("time") if not points.empty else points
            style = GROUP_STYLES.get(group, SERIES_STYLES[index % len(SERIES_STYLES)])
            group_label = label("group", group, language)
            records = tables.records(part)
            risk_rows[group] = {to_number(r.get("time")): r.get("at_risk") for r in records
                                if to_number(r.get("time")) is not None}
            months = np.array([(to_number(r.get("time")) or 0) / DAYS_PER_MONTH for r in records])
            if len(months):
                max_months = max(max_months, float(months.max()))
            # A suppressed point (its events or numbers at risk 1..min_cell-1) is left out, not drawn.
            hidden = np.array([text.row_is_suppressed(r, ("events", "n")) for r in records], dtype=bool)
            values = _shown_values(records, "survival", hidden)
            threshold = _min_cell([r.get(c) for r in records for c in ("at_risk", "events", "n")], min_cell)
            if not records or np.all(np.isnan(values)):
                message = (_suppressed_label(language, threshold) if hidden.any()
                           else phrase("no_data", language))
                _mark_suppressed(ax, 0.02, 0.12 + 0.09 * index, f"{group_label}: {message}",
                                 transform=ax.transAxes, color=style["color"])
                continue
            if hidden.any():  # said under the numbers at risk, where no curve runs through it
                partly = phrase("partly_suppressed", language, min_cell=threshold)
                notes.append((f"{group_label}: {partly}", style["color"]))
            shown = (1 - values) * 100 if rising else values * 100
            ax.step(months, shown, where="post", color=style["color"], linestyle=style["linestyle"],
                    linewidth=2, label=group_label, gid=group)
            low = _shown_values(records, "ci_low", hidden)
            high = _shown_values(records, "ci_high", hidden)
            if not np.all(np.isnan(low)):
                band_low, band_high = ((1 - high) * 100, (1 - low) * 100) if rising \
                    else (low * 100, high * 100)
                ax.fill_between(months, band_low, band_high, step="post", color=style["color"], alpha=0.15,
                                linewidth=0)
            marker_every = max(1, len(months) // 8)
            ax.plot(months[::marker_every], shown[::marker_every], linestyle="none", marker=style["marker"],
                    color=style["color"], markersize=5, gid=f"{group}_markers")
        ax.set_ylim(0, 100)
        upper = max(3.0, math.ceil(max_months / 3) * 3)
        ticks = np.arange(0, upper + 0.1, 3 if upper <= 36 else 6)
        for axis in (ax, risk_ax):
            axis.set_xlim(0, upper)
            axis.xaxis.set_major_locator(FixedLocator(ticks))
        ax.set_ylabel(label("axis", "share_vaccinated" if rising else "share_breastfed", language))
        ax.set_xlabel(label("axis", "age_months", language))
        ax.set_title(label("indicator", indicator, language), fontsize=11)
        _style_axes(ax, language, percent_axis="both")
        if ax.get_lines():
            ax.legend(loc="upper left" if rising else "upper right", frameon=False)
        _at_risk_table(risk_ax, risk_rows, groups, language, at_risk_every_days)
        for line, (note, color) in enumerate(notes):
            risk_ax.annotate(note, (0, 0), xycoords="axes fraction", xytext=(0, -4 - 13 * line),
                             textcoords="offset points", va="top", fontsize=SMALL_FONT_SIZE, style="italic",
                             color=color, gid=SUPPRESSED_GID)
    return figure


def _shown_values(records: list[dict[str, Any]], column: str, hidden: np.ndarray) -> np.ndarray:
    """A column as floats, NaN where blank or where the row is suppressed."""
    values = [to_number(r.get(column)) for r in records]
    shown = [np.nan if h or v is None else v for v, h in zip(values, hidden, strict=True)]
    return np.array(shown, dtype=float)


def _at_risk_table(ax: Axes, risk_rows: dict[str, dict[float, Any]], groups: Sequence[str],
                   language: str, every_days: float) -> None:
    """Numbers at risk under the curves, one row per group: every `every_days` days, the number
    of the published time nearest to it (within half that), written at that time.

    The published curve need not have a row at each mark: a row whose count would tell a small
    number of children apart from its neighbour's is not published, and a Turnbull curve is kept
    where it changes. Counts only at the marks' own days left gaps under the curves (the demo's
    breastfeeding: none at 3 months in either group)."""
    ax.set_ylim(-0.5, len(groups) - 0.5)
    ax.set_yticks(range(len(groups)))
    ax.set_yticklabels([label("group", g, language) for g in reversed(groups)])
    last_day = ax.get_xlim()[1] * DAYS_PER_MONTH + 1e-9
    marks = np.arange(0, last_day, every_days)
    for index, group in enumerate(groups):
        style = GROUP_STYLES.get(group, SERIES_STYLES[index % len(SERIES_STYLES)])
        ax.get_yticklabels()[len(groups) - 1 - index].set_color(style["color"])
        counts = risk_rows.get(group, {})
        times = np.array(sorted(t for t in counts if t <= last_day), dtype=float)
        written = -every_days
        for mark in marks:
            # the published time nearest the mark, not crowding the number before it
            near = times[(np.abs(times - mark) <= every_days / 2) & (times - written >= 0.6 * every_days)]
            if not len(near):
                continue
            time = written = near[np.argmin(np.abs(near - mark))]
            ax.text(time / DAYS_PER_MONTH, len(groups) - 1 - index, text.format_count(counts[time], language),
                    ha="center", va="center", fontsize=SMALL_FONT_SIZE, color=style["color"])
    ax.set_title(label("axis", "at_risk", language), fontsize=SMALL_FONT_SIZE, loc="left")
    ax.tick_params(axis="x", labelbottom=False, length=0, labelsize=SMALL_FONT_SIZE)
    ax.tick_params(axis="y", length=0, labelsize=SMALL_FONT_SIZE, pad=16)
    for spine in ax.spines.values():
        spine.set_visible(False)


# --- forest plot --------------------------------------------------------------------------------

# Measures shown on a log scale around 1 (a forest of ratios).
RATIO_MEASURES = ("risk_ratio", "odds_ratio", "hazard_ratio", "rate_ratio", "count_ratio")
# a ratio axis's ticks: each below 1 the inverse of one above it, so that the scale reads evenly
RATIO_TICKS = (0.01, 0.02, 0.05, 0.1, 0.2, 0.25, 0.5, 0.67, 0.8, 1.0, 1.25, 1.5, 2.0, 4.0, 5.0, 10.0, 20.0,
               50.0, 100.0)


@keyed
def forest_figure(effects: pd.DataFrame, language: str, *, indicators_shown: Sequence[str] | None = None,
                  measures: Sequence[str] = ("risk_difference", "did"),
                  methods: Sequence[str] = ("crude", "regression", "iptw", "did", "did_unadjusted"),
                  analysis: str = "itt", min_cell: int = text.DEFAULT_MIN_CELL) -> ReportFigure:
    """Effects with 95% intervals, one row per indicator and method, a vertical line at no effect.

    Risk differences (and difference-in-differences) in percentage points around 0; ratios
    (odds, risk or hazard ratios) on a log scale around 1.
    """
    text.check_language(language)
    ratio = all(m in RATIO_MEASURES for m in measures)
    frame = effects if effects is not None else pd.DataFrame()
    if not frame.empty:
        frame = frame[frame["measure"].isin(list(measures)) & frame["method"].isin(list(methods))]
        if "analysis" in frame.columns:
            frame = frame[frame["analysis"] == analysis]
        if "subgroup" in frame.columns:
            frame = frame[frame["subgroup"].isna() | (frame["subgroup"].astype("string") == "")]
        if indicators_shown is not None:
            frame = frame[frame["indicator"].isin(list(indicators_shown))]
    order = list(indicators_shown) if indicators_shown is not None else list(dict.fromkeys(frame.get(
        "indicator", pd.Series(dtype=object))))
    layout: list[tuple[str, dict[str, Any] | None]] = []  # (label, row or None for a heading)
    for indicator in order:
        rows = tables.records(frame[frame["indicator"] == indicator]) if not frame.empty else []
        rows.sort(key=lambda r: list(methods).index(r["method"]) if r["method"] in methods else 99)
        if not rows:
            continue
        layout.append((label("indicator", indicator, language), None))
        layout += [(label("method", r["method"], language), r) for r in rows]
    with matplotlib.rc_context(RC):
        figure = _new_figure(9.0, 1.2 + 0.32 * max(len(layout), 2))
        ax = figure.subplots()
        null = 1.0 if ratio else 0.0
        scale = 1.0 if ratio else 100.0
        ax.axvline(null, color="#333333", linewidth=1.2, zorder=1)
        text_transform = blended_transform_factory(ax.transAxes, ax.transData)
        drawn = False
        for position, (_row_label, row) in enumerate(layout):
            y = len(layout) - 1 - position
            if row is None:
                continue
            style_marker = METHOD_MARKERS.get(row["method"], "o")
            estimate = to_number(row.get("estimate"))
            if estimate is None and text.row_is_suppressed(row, ("events_intervention",
                                                                 "events_comparison")):
                # why, in the effects table's words ("hidden to protect small counts", …)
                message = text.suppression_phrase(row.get("suppression"), language, _min_cell(
                    [row.get("events_intervention"), row.get("events_comparison")], min_cell), short=True)
                _mark_suppressed(ax, 1.02, y, message, transform=text_transform)
                continue
            if estimate is None or (ratio and estimate <= 0):
                _mark_suppressed(ax, 1.02, y, phrase("not_estimable", language), transform=text_transform)
                continue
            low, high = to_number(row.get("ci_low")), to_number(row.get("ci_high"))
            color = GROUP_STYLES["intervention"]["color"] if row["method"] == "crude" else "#444444"
            if low is not None and high is not None and (not ratio or low > 0):
                ax.plot([low * scale, high * scale], [y, y], color=color, linewidth=1.6, zorder=2,
                        gid=f"{row['indicator']}:{row['method']}")
            ax.plot([estimate * scale], [y], marker=style_marker, color=color, markersize=7, linestyle="none",
                    zorder=3)
            drawn = True
            decimals = 2 if ratio else 1
            ax.text(1.02, y, text.format_estimate(estimate, low, high, language, decimals, scale=1 if ratio
                                                  else 100),
                    transform=text_transform, va="center", fontsize=SMALL_FONT_SIZE)
        _row_labels(ax, [(_wrap(lbl, 40), row is None) for lbl, row in layout])
        ax.set_ylim(-0.7, max(len(layout), 1) - 0.3)
        if ratio:
            ax.set_xscale("log")
            ax.set_xlabel(label("axis", "ratio", language))
            low, high = ax.get_xlim()
            # ratios a reader can place an interval against: the log scale's own ticks are
            # decades, and an axis from 0.6 to 1.4 had one labelled tick (1.00)
            shown = [tick for tick in RATIO_TICKS if low <= tick <= high]
            if len(shown) > 7:  # every other one, 1 (no effect) among them
                shown = shown[(RATIO_TICKS.index(1.0) - RATIO_TICKS.index(shown[0])) % 2::2]
            if len(shown) >= 2:  # else (ratios beyond 0.01-100) the log scale's own decades
                ax.xaxis.set_major_locator(FixedLocator(shown))
                ax.xaxis.set_minor_locator(NullLocator())
            else:
                ax.xaxis.set_minor_formatter(FuncFormatter(lambda v, _p: ""))
            ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _p: format_number(v, language, 2)))
            ax.tick_params(labelsize=SMALL_FONT_SIZE)
            ax.grid(True, axis="x", color=GRID_COLOR, linewidth=GRID_WIDTH)
        else:
            did_only = bool(layout) and all(r is None or r.get("measure") == "did" for _, r in layout)
            ax.set_xlabel(_wrap(label("axis", "did_pp" if did_only else "difference_pp", language), 90))
            _style_axes(ax, language, percent_axis="x")
        if not drawn:  # every row hidden: no scale to read ("0,0 0,0 0 0,0 0,0" around the line at 0)
            ax.xaxis.set_major_locator(NullLocator())
            ax.xaxis.set_minor_locator(NullLocator())
        if not layout:
            _mark_suppressed(ax, 0.5, 0.5, phrase("none", language), transform=ax.transAxes, ha="center")
    return figure


# --- flow ----------------------------------------------------------------------------------------

@keyed
def flow_figure(flow: pd.DataFrame, language: str, *, area: str = "all",
                min_cell: int = text.DEFAULT_MIN_CELL) -> ReportFigure:
    """The flow of families: one horizontal bar per step, from born in the areas to all contacts."""
    text.check_language(language)
    frame = flow if flow is not None else pd.DataFrame()
    if not frame.empty and "area" in frame.columns:
        frame = frame[frame["area"].astype("string") == area]
    if not frame.empty and "order" in frame.columns:
        frame = frame.sort_values("order")
    rows = tables.records(frame)
    with matplotlib.rc_context(RC):
        figure = _new_figure(8.0, 1.0 + 0.5 * max(len(rows), 2))
        ax = figure.subplots()
        counts = [to_number(r.get("children")) for r in rows]
        largest = max([c for c in counts if c is not None] or [1])
        color = GROUP_STYLES["intervention"]["color"]
        for position, (row, count) in enumerate(zip(rows, counts, strict=True)):
            y = len(rows) - 1 - position
            if count is None:
                message = (text.suppression_phrase(row.get("suppression"), language,
                                                   _min_cell([row.get("children")], min_cell), short=True)
                           if text.suppressed_marker(row.get("children")) is not None
                           else phrase("no_data", language))
                _mark_suppressed(ax, largest * 0.01, y, message)
                continue
            ax.barh([y], [count], color=color, height=0.6, gid=str(row.get("step")))
            share = to_number(row.get("share_of_previous"))
            note = text.format_count(count, language)
            if share is not None:
                note += f" ({text.format_percent(share, language)})"
            ax.text(count + largest * 0.01, y, note, va="center", fontsize=SMALL_FONT_SIZE)
        ax.set_yticks(range(len(rows)))
        ax.set_yticklabels([_wrap(tables.flow_step(r["step"], language, area), 36) for r in reversed(rows)])
        ax.set_xlim(0, largest * 1.22)
        ax.set_xlabel(label("axis", "families", language))
        _style_axes(ax, language, percent_axis="x")
        ax.grid(False, axis="y")
    return figure


# --- dose-response ------------------------------------------------------------------------------

@keyed
def dose_response_figure(dose_response: pd.DataFrame, indicator_ids: Sequence[str], language: str, *,
                         min_cell: int = text.DEFAULT_MIN_CELL) -> ReportFigure:
    """Share (95% CI) by band of programme contacts received: a panel per indicator, titled with
    it, each on its own bands in their order.

    Indicators are banded by the contacts a child could have had by their age (breastfeeding at
    6 months: 0, 1, 2, 3+; MMR at 24 months: 0, 1-2, 3-4, 5+), so bands are not shared: on
    one axis they were mixed into one nonsensical order ("0, 1+, 1, 2+, 2, 3+, 1-2, …"),
    with the shares of an indicator whose points were all hidden told apart by colour alone.
    A hidden share is marked at its band with why, in the dose-response table's words; a band
    without children says so."""
    text.check_language(language)
    frame = dose_response if dose_response is not None else pd.DataFrame()
    shown = [i for i in indicator_ids if not frame.empty and (frame["indicator"] == i).any()]
    style = GROUP_STYLES["intervention"]
    with matplotlib.rc_context(RC):
        figure = _new_figure(8.0, 0.9 + 2.1 * max(len(shown), 1))
        axes = figure.subplots(max(len(shown), 1), 1, sharey=True, squeeze=False)[:, 0]
        for ax, indicator in zip(axes, shown, strict=False):
            rows = tables.records(frame[frame["indicator"] == indicator])
            bands = list(dict.fromkeys(tables.contacts_band_text(row) for row in rows))
            xs, ys, lows, highs = [], [], [], []
            for row in rows:
                x = bands.index(tables.contacts_band_text(row))
                note_height = 12 if x % 2 == 0 else 30  # neighbouring bands' notes apart
                if text.row_is_suppressed(row, ("events", "n")):
                    message = text.suppression_phrase(row.get("suppression"), language, _min_cell(
                        [row.get("events"), row.get("n")], min_cell), short=True)
                    _mark_suppressed(ax, x, note_height, message, ha="center")
                    continue
                share = to_number(row.get("proportion"))
                if share is None:
                    none = "no_children" if to_number(row.get("n")) == 0 else "no_data"
                    _mark_suppressed(ax, x, note_height, phrase(none, language), ha="center")
                    continue
                xs.append(x)
                ys.append(share * 100)
                lows.append(share * 100 - (to_number(row.get("ci_low")) or share) * 100)
                highs.append((to_number(row.get("ci_high")) or share) * 100 - share * 100)
            if xs:
                ax.errorbar(xs, ys, yerr=[lows, highs], fmt=style["marker"], color=style["color"],
                            markersize=7, capsize=3, gid=indicator)
            ax.set_title(label("indicator", indicator, language), loc="left", fontsize=FONT_SIZE)
            ax.set_xticks(range(len(bands)))
            ax.set_xticklabels(bands)
            ax.set_xlim(-0.6, max(len(bands), 1) - 0.4)
            ax.set_ylabel(label("axis", "share", language))
            _style_axes(ax, language, percent_axis="y")
        axes[0].set_ylim(0, 100)
        axes[-1].set_xlabel(label("axis", "contacts", language))
        if not shown:
            _mark_suppressed(axes[0], 0.5, 0.5, phrase("none", language), transform=axes[0].transAxes,
                             ha="center")
    return figure


# --- design and trends -----------------------------------------------------------------------------

@keyed
def design_figure(design: pd.DataFrame, language: str, *, area: str = "all") -> ReportFigure:
    """Who is compared with whom: one box per area and birth period with its children.

    Rows are areas (intervention areas first), columns the periods before and after the
    programme start; the boxes of the intervention group are dark, the comparison group's
    light, and a suppressed count is shown as it is published ("<5").
    """
    text.check_language(language)
    frame = design if design is not None else pd.DataFrame()
    if not frame.empty and area != "all":
        frame = frame[(frame["arm"] == "comparison") | (frame["area"] == area)]
    areas = list(dict.fromkeys(frame.get("area", pd.Series(dtype=object))))
    periods = [p for p in ("pre", "post") if not frame.empty and (frame["period"] == p).any()]
    fills = {"intervention": GROUP_STYLES["intervention"]["color"], "comparison": "#fbd3a6",
             "intervention_pre": "#c6d4ea", "comparison_pre": "#f1e3d0"}
    with matplotlib.rc_context(RC):
        figure = _new_figure(7.5, 0.9 + 0.55 * max(len(areas), 1))
        ax = figure.subplots()
        for row in tables.records(frame):
            x, y = periods.index(row["period"]), len(areas) - 1 - areas.index(row["area"])
            group = str(row.get("group") or "")
            fill = fills.get(group, "#eeeeee")
            ax.add_patch(matplotlib.patches.FancyBboxPatch(
                (x + 0.04, y + 0.08), 0.92, 0.84, boxstyle="round,pad=0.0,rounding_size=0.06",
                facecolor=fill, edgecolor="#555555", linewidth=0.8))
            words = label("group", group, language) if group else ""
            count = text.format_count(row.get("children"), language)
            ax.text(x + 0.5, y + 0.5, f"{count} {label('header', 'children', language).lower()}\n{words}",
                    ha="center", va="center", fontsize=SMALL_FONT_SIZE,
                    color="white" if group == "intervention" else "#111111")
        ax.set_xlim(0, max(len(periods), 1))
        ax.set_ylim(0, max(len(areas), 1))
        ax.set_xticks([i + 0.5 for i in range(len(periods))])
        ax.set_xticklabels([phrase(f"period_{p}", language) for p in periods])
        ax.set_yticks([len(areas) - 1 - i + 0.5 for i in range(len(areas))])
        ax.set_yticklabels(areas)
        ax.tick_params(length=0)
        for side in ("left", "bottom"):
            ax.spines[side].set_visible(False)
        ax.set_xlabel(label("axis", "birth_period", language))
        ax.set_ylabel(label("header", "area", language))
    return figure


def _half_year_panel(ax: Axes, indicator: str, start: pd.Timestamp, y_axis: str, hidden: int,
                     language: str) -> None:
    """A panel over birth half-years: the programme start marked, years on the x axis, the
    indicator as title, and how many half-years are hidden for privacy."""
    ax.axvline(start, color="#333333", linewidth=1.0, linestyle="--")
    ax.text(start, 0.97, " " + phrase("programme_start", language), transform=
            blended_transform_factory(ax.transData, ax.transAxes), fontsize=SMALL_FONT_SIZE,
            va="top")
    ax.xaxis.set_major_locator(matplotlib.dates.YearLocator())
    ax.xaxis.set_major_formatter(matplotlib.dates.DateFormatter("%Y"))
    ax.set_title(label("indicator", indicator, language), loc="left", fontsize=FONT_SIZE)
    # on two lines where it is long: "Skillnad-i-skillnader (procentenheter)" in one ran beyond
    # its panel and over the next panel's label
    ax.set_ylabel(_wrap(label("axis", y_axis, language), 24))
    _style_axes(ax, language, percent_axis="y")
    if hidden:
        _mark_suppressed(ax, 0.99, 0.05, phrase("hidden_half_years", language, count=hidden),
                         transform=ax.transAxes, ha="right")


@keyed
def trends_figure(trends: pd.DataFrame, indicator_ids: Sequence[str], language: str, *,
                  programme_start: str, min_cell: int = text.DEFAULT_MIN_CELL) -> ReportFigure:
    """Each indicator's share by birth half-year in intervention and comparison areas.

    One panel per indicator, a vertical line at the programme start: parallel lines before
    the start are what a difference-in-differences assumes. Suppressed half-years are left
    out (and said so under the panel).
    """
    text.check_language(language)
    frame = trends if trends is not None else pd.DataFrame()
    shown = [i for i in indicator_ids if not frame.empty and (frame["indicator"] == i).any()]
    start = pd.Timestamp(programme_start)
    with matplotlib.rc_context(RC):
        figure = _new_figure(9.0, 2.6 * max(len(shown), 1))
        axes = figure.subplots(max(len(shown), 1), 1, squeeze=False, sharex=True)[:, 0]
        for ax, indicator in zip(axes, shown, strict=False):
            rows = frame[frame["indicator"] == indicator]
            hidden = 0
            for arm in ("intervention", "comparison"):
                arm_rows = tables.records(rows[rows["arm"] == arm])
                points = [(pd.Timestamp(r["half_year_start"]) + pd.Timedelta(days=91),
                           to_number(r.get("proportion")), to_number(r.get("ci_low")),
                           to_number(r.get("ci_high"))) for r in arm_rows]
                style = GROUP_STYLES[arm]
                # a hidden half-year is left out, not drawn at its bound: a point at "> 80 %"
                # would read as 80 % beside shares drawn where they are; and the line and band
                # break there, rather than run across it as if it had been seen
                hidden += sum(p[1] is None for p in points)
                if all(p[1] is None for p in points):
                    continue
                draw_series(ax, points, style, gap=HALF_YEAR_GAP, label=phrase(f"arm_{arm}", language))
            _half_year_panel(ax, indicator, start, "share", hidden, language)
        axes[-1].set_xlabel(label("axis", "birth_half_year", language))
        handles, names = axes[0].get_legend_handles_labels()
        if handles:
            figure.legend(handles, names, loc="outside upper center", ncol=2, frameon=False)
        if not shown:
            _mark_suppressed(axes[0], 0.5, 0.5, phrase("none", language), transform=axes[0].transAxes,
                             ha="center")
    return figure


HALF_YEAR_GAP = pd.Timedelta(days=200)  # more than a half-year between two points: one missing


def draw_series(ax: Axes, points: Sequence[tuple[Any, float | None, float | None, float | None]],
                style: dict[str, Any], *, gap: Any, scale: float = 100.0, label: str | None = None,
                markersize: float = 5) -> None:
    """A series over time, its (time, value, low, high) points drawn as a line with markers and
    its intervals as a band, both broken where a value is hidden (None) or a point is missing
    (more than `gap` from the one before), rather than run across it as if it had been seen; a
    point alone between gaps has its interval as a bar. Values and bounds are drawn times
    `scale` (shares in percent); a missing bound is the value."""
    points = sorted(points, key=lambda p: p[0])
    xs: list = []
    drawn: list[tuple[float, float, float]] = []
    for x, value, low, high in points:
        if xs and x - xs[-1] > gap:
            xs.append(xs[-1] + (x - xs[-1]) / 2)
            drawn.append((np.nan, np.nan, np.nan))
        xs.append(x)
        drawn.append((np.nan, np.nan, np.nan) if value is None else
                     (value * scale, (low if low is not None else value) * scale,
                      (high if high is not None else value) * scale))
    values, lows, highs = (np.array(column, dtype=float) for column in zip(*drawn, strict=True))
    ax.plot(xs, values, color=style["color"], marker=style["marker"], linestyle=style["linestyle"],
            markersize=markersize, label=label)
    ax.fill_between(xs, lows, highs, color=style["color"], alpha=0.12, linewidth=0)
    seen = ~np.isnan(values)
    alone = [i for i in np.flatnonzero(seen)
             if (i == 0 or not seen[i - 1]) and (i == len(xs) - 1 or not seen[i + 1])]
    if alone:
        ax.vlines([xs[i] for i in alone], lows[alone], highs[alone], color=style["color"], alpha=0.12,
                  linewidth=6)


@keyed
def event_study_figure(event_study: pd.DataFrame, indicator_ids: Sequence[str], language: str, *,
                       programme_start: str) -> ReportFigure:
    """The DiD by birth half-year relative to the last half-year before the start (event
    study), with 95 % intervals: before the start the points should lie around 0 (parallel
    trends); after it they show how the difference grew. Blank (suppressed) points are left
    out and said so under the panel."""
    text.check_language(language)
    frame = event_study if event_study is not None else pd.DataFrame()
    shown = [i for i in indicator_ids if not frame.empty and (frame["indicator"] == i).any()]
    start = pd.Timestamp(programme_start)
    with matplotlib.rc_context(RC):
        figure = _new_figure(9.0, 2.6 * max(len(shown), 1))
        axes = figure.subplots(max(len(shown), 1), 1, squeeze=False, sharex=True)[:, 0]
        for ax, indicator in zip(axes, shown, strict=False):
            rows = tables.records(frame[frame["indicator"] == indicator])
            points = [(pd.Timestamp(str(r["half_year"]) + "-01") + pd.Timedelta(days=91),
                       to_number(r.get("estimate")), to_number(r.get("ci_low")),
                       to_number(r.get("ci_high"))) for r in rows]
            hidden = sum(p[1] is None for p in points)
            points = [p for p in points if p[1] is not None]
            style = GROUP_STYLES["intervention"]
            for x, _, low, high in points:
                if low is not None and high is not None:
                    ax.plot([x, x], [low * 100, high * 100], color=style["color"], linewidth=1.2)
            ax.plot([p[0] for p in points], [p[1] * 100 for p in points], color=style["color"],
                    marker="o", linestyle="none", markersize=5)
            ax.axhline(0, color="#333333", linewidth=0.8)
            _half_year_panel(ax, indicator, start, "did_by_half_year", hidden, language)
        axes[-1].set_xlabel(label("axis", "birth_half_year", language))
        if not shown:
            _mark_suppressed(axes[0], 0.5, 0.5, phrase("none", language), transform=axes[0].transAxes,
                             ha="center")
    return figure


# --- over time and across areas (issue 15) --------------------------------------------------------

FLAGGED_STYLE = {"color": "#c0392b", "marker": "X", "markersize": 9}  # red cross: outside the limits
FUNNEL_LINES = {"95": ":", "998": "--"}  # 95 % dotted, 99.8 % dashed


def _monitoring_word(key: str, language: str, **values: Any) -> str:
    return MONITORING_WORDS[key].format(language, **values)


def _chart_rows(control_chart: pd.DataFrame | None, area: str) -> pd.DataFrame:
    """The rows of control_chart.csv that an area's chart is drawn from (numbered from 0)."""
    if control_chart is None or control_chart.empty:
        return pd.DataFrame()
    return control_chart[control_chart["area"].astype(str) == area].reset_index(drop=True)


# the study report's chart of an area and the area report's (whose table holds only the
# area's rows) are one figure, drawn once
@keyed(drawn_from=lambda given: {**given,
                                  "control_chart": _chart_rows(given["control_chart"], given["area"])})
def control_chart_figure(control_chart: pd.DataFrame, indicator_ids: Sequence[str], language: str, *,
                         area: str, programme_start: str) -> ReportFigure:
    """One intervention area's control charts (control_chart.csv), a panel per indicator: the
    share of each point drawn across the birth quarters it covers, the centre line, the 3-sigma
    limits of each point, points outside them as red crosses and points of a run ringed.
    Suppressed points are left out and counted under the panel; a chart whose centre line is
    suppressed is drawn without centre and limits, and says so."""
    text.check_language(language)
    frame = _chart_rows(control_chart, area)
    shown = [i for i in indicator_ids if not frame.empty and (frame["indicator"] == i).any()]
    start = pd.Timestamp(programme_start)
    style = GROUP_STYLES["intervention"]
    with matplotlib.rc_context(RC):
        figure = _new_figure(9.0, 2.7 * max(len(shown), 1))
        axes = figure.subplots(max(len(shown), 1), 1, squeeze=False, sharex=True)[:, 0]
        for ax, indicator in zip(axes, shown, strict=False):
            rows = tables.records(frame[frame["indicator"] == indicator])
            hidden = 0
            for row in rows:
                first = pd.Timestamp(row["quarter_start"])
                last = pd.Timestamp(row["quarter_end"]) + pd.Timedelta(days=1)
                middle = first + (last - first) / 2
                lower, upper = to_number(row.get("lower")), to_number(row.get("upper"))
                if lower is not None and upper is not None:
                    ax.hlines([lower * 100, upper * 100], first, last, colors="#555555", linestyles="--",
                              linewidth=1.0, label=_monitoring_word("limits", language))
                share = to_number(row.get("proportion"))
                if share is None:
                    hidden += 1
                    continue
                ax.hlines(share * 100, first, last, colors=style["color"], linewidth=1.0, alpha=0.5)
                outside = str(row.get("outside") or "") in ("above", "below")
                ax.plot([middle], [share * 100], linestyle="none", gid="outside" if outside else "point",
                        label=_monitoring_word("outside_marker" if outside else "share_point", language),
                        **(FLAGGED_STYLE if outside else {"color": style["color"], "marker": style["marker"],
                                                          "markersize": 6}))
                if str(row.get("run") or "") in ("above", "below"):
                    ax.plot([middle], [share * 100], linestyle="none", marker="o", markersize=13,
                            markerfacecolor="none", markeredgecolor="#777777",
                            label=_monitoring_word("run_marker", language))
            centre = next((to_number(r["centre"]) for r in rows if to_number(r.get("centre")) is not None),
                          None)
            if centre is not None:
                ax.axhline(centre * 100, color="#333333", linewidth=1.2,
                           label=_monitoring_word("centre", language))
            else:
                _mark_suppressed(ax, 0.01, 0.12, _monitoring_word("no_limits", language),
                                 transform=ax.transAxes)
            _time_panel(ax, indicator, start, language)
            if hidden:
                _mark_suppressed(ax, 0.99, 0.05, _monitoring_word(
                    "hidden_chart_points" + ("_one" if hidden == 1 else ""), language, count=hidden),
                                 transform=ax.transAxes, ha="right")
            low, high = ax.get_ylim()
            ax.set_ylim(max(low, -2), min(high, 100) + 3)  # room for a point at 100 %
        axes[-1].set_xlabel(label("axis", "birth_quarter", language))
        _legend_once(figure, axes)
        if not shown:
            _mark_suppressed(axes[0], 0.5, 0.5, phrase("none", language), transform=axes[0].transAxes,
                             ha="center")
    return figure


def _time_panel(ax: Axes, indicator: str, start: pd.Timestamp, language: str) -> None:
    """A panel over birth dates: the programme start marked, years on the x axis, the indicator
    as title, the share as y axis."""
    ax.axvline(start, color="#333333", linewidth=1.0, linestyle="--")
    ax.text(start, 0.97, " " + phrase("programme_start", language), transform=
            blended_transform_factory(ax.transData, ax.transAxes), fontsize=SMALL_FONT_SIZE, va="top")
    ax.xaxis.set_major_locator(matplotlib.dates.YearLocator())
    ax.xaxis.set_major_formatter(matplotlib.dates.DateFormatter("%Y"))
    ax.set_title(label("indicator", indicator, language), loc="left", fontsize=FONT_SIZE)
    ax.set_ylabel(label("axis", "share", language))
    _style_axes(ax, language, percent_axis="y")


def _legend_once(figure: Figure, axes: Sequence[Axes]) -> None:
    """One legend above the panels, each label once (in the order first drawn)."""
    entries: dict[str, Any] = {}
    for ax in axes:
        for handle, name in zip(*ax.get_legend_handles_labels(), strict=True):
            entries.setdefault(name, handle)
    if entries:
        figure.legend(list(entries.values()), list(entries), loc="outside upper center",
                      ncol=min(len(entries), 3), frameon=False)


@keyed
def funnel_figure(funnel: pd.DataFrame, indicator_ids: Sequence[str], language: str, *,
                  area: str = "all") -> ReportFigure:
    """Funnel plots (funnel.csv), a panel per indicator: each area's share against its children
    (intervention areas as dark blue circles, comparison areas as orange squares), the share of
    all areas together, and the 95 % (dotted) and 99.8 % (dashed) limits drawn over the range of
    children (`pipeline.stats.funnel_limits`, the published target). Areas outside the 95 %
    limits are named; in an area report that area is named and drawn larger. Suppressed areas
    are left out and counted."""
    text.check_language(language)
    frame = funnel if funnel is not None else pd.DataFrame()
    shown = [i for i in indicator_ids if not frame.empty and (frame["indicator"] == i).any()]
    with matplotlib.rc_context(RC):
        figure = _new_figure(9.0, 3.0 * max(len(shown), 1))
        axes = figure.subplots(max(len(shown), 1), 1, squeeze=False)[:, 0]
        for ax, indicator in zip(axes, shown, strict=False):
            rows = tables.records(frame[frame["indicator"] == indicator])
            target = next((to_number(r["target"]) for r in rows if to_number(r.get("target")) is not None),
                          None)
            sizes = [to_number(r.get("children")) for r in rows]
            sizes = [n for n in sizes if n]
            if target is not None and sizes:
                grid = np.unique(np.linspace(min(sizes), max(sizes), 120).round().astype(int))
                limits = funnel_limits(target, grid.tolist())
                for row, level in enumerate(limits.levels):
                    suffix = f"{level * 100:g}".replace(".", "")
                    for bound in (limits.lower[row], limits.upper[row]):
                        ax.plot(grid, bound * 100, color="#555555", linewidth=1.0,
                                linestyle=FUNNEL_LINES.get(suffix, "-"),
                                label=_monitoring_word(f"limit_{suffix}", language))
                ax.axhline(target * 100, color="#333333", linewidth=1.2,
                           label=_monitoring_word("target", language))
            else:
                _mark_suppressed(ax, 0.01, 0.12, _monitoring_word("no_target", language),
                                 transform=ax.transAxes)
            hidden = 0
            drawn_sizes = set()
            to_name: list[tuple[float, float, str, bool]] = []
            # every intervention area named where there are few; among many, those outside
            many = sum(str(r.get("arm")) == "intervention" and to_number(r.get("proportion")) is not None
                       for r in rows) > FUNNEL_NAMED_AREAS
            for row in rows:
                share, children = to_number(row.get("proportion")), to_number(row.get("children"))
                if share is None or children is None:
                    hidden += 1
                    continue
                drawn_sizes.add(children)
                arm = str(row.get("arm") or "comparison")
                own = area != "all" and str(row["area"]) == area
                marker = GROUP_STYLES.get(arm, SERIES_STYLES[2])
                ax.plot([children], [share * 100], linestyle="none", marker=marker["marker"],
                        color=marker["color"], markersize=6, label=phrase(f"arm_{arm}", language))
                if own:  # the report's own area: ringed and named in bold
                    ax.plot([children], [share * 100], linestyle="none", marker="o", markersize=14,
                            markerfacecolor="none", markeredgecolor="#000000", gid="own_area")
                outside = str(row.get("classification") or "") not in ("", "within", "nan")
                if own or outside or (arm == "intervention" and not many):
                    to_name.append((children, share * 100, str(row["area"]), own))
            ax.set_title(label("indicator", indicator, language), loc="left", fontsize=FONT_SIZE)
            ax.set_ylabel(label("axis", "share", language))
            ax.set_xlabel(label("axis", "children_in_area", language))
            _style_axes(ax, language, percent_axis="y")
            low, high = ax.get_ylim()
            # without limits to frame them, a few areas' shares on the whole scale
            ax.set_ylim(*((max(low, -2), min(high, 100) + 3) if target is not None else (-2, 103)))
            _only_shares_labelled(ax.yaxis)
            # whole children (not 4.9 of them), at the steps matplotlib's own locator takes
            ax.xaxis.set_major_locator(MaxNLocator(nbins="auto", steps=[1, 2, 2.5, 5, 10], integer=True))
            if len(drawn_sizes) == 1 and (target is None or len(set(sizes)) == 1):
                ax.set_xlim(0, max(drawn_sizes) * 1.25 + 1)  # one size: not an axis of tenths of a child
            _name_points(ax, to_name)
            if hidden:
                _mark_suppressed(ax, 0.99, 0.05, _monitoring_word(
                    "hidden_areas" + ("_one" if hidden == 1 else ""), language, count=hidden),
                                 transform=ax.transAxes, ha="right")
        _legend_once(figure, axes)
        if not shown:
            _mark_suppressed(axes[0], 0.5, 0.5, phrase("none", language), transform=axes[0].transAxes,
                             ha="center")
    return figure


FUNNEL_NAMED_AREAS = 6  # a funnel names every intervention area up to this many, else those outside
# where a point's name may go, in points from it: right and a little above, below, higher, lower
NAME_OFFSETS = ((5, 3), (5, -11), (5, 15), (5, -23), (5, 27), (5, -35))


def _name_points(ax: Axes, points: Sequence[tuple[float, float, str, bool]]) -> None:
    """Name each (x, y, name, bold) point at the first of NAME_OFFSETS where its name does not
    cover one already written (their boxes estimated from the font size, in the axes as laid
    out now), else at the first: areas of a size and share alike had their names on top of
    each other (the 14-area study's MMR: seven at 100 %)."""
    ax.get_xlim(), ax.get_ylim()  # the view as autoscaled
    to_points = 72 / ax.figure.dpi
    written: list[tuple[float, float, float, float]] = []
    for x, y, name, bold in points:
        px, py = (v * to_points for v in ax.transData.transform((x, y)))
        width, height = 0.62 * SMALL_FONT_SIZE * len(name), 1.15 * SMALL_FONT_SIZE
        boxes = [(px + dx, py + dy, px + dx + width, py + dy + height) for dx, dy in NAME_OFFSETS]
        free = [i for i, box in enumerate(boxes) if not any(
            box[0] < other[2] and other[0] < box[2] and box[1] < other[3] and other[1] < box[3]
            for other in written)]
        chosen = free[0] if free else 0
        written.append(boxes[chosen])
        ax.annotate(name, (x, y), xytext=NAME_OFFSETS[chosen], textcoords="offset points",
                    fontsize=SMALL_FONT_SIZE, fontweight="bold" if bold else "normal")


def close(figure: Figure) -> None:
    """Release a figure's artists once it has been shown (figures are not held by pyplot)."""
    release(figure)


def axis_labels(figure: Figure) -> list[tuple[str, str]]:
    """(x label, y label) of each axes of a figure (for checks that every axis is labelled)."""
    return [(ax.get_xlabel(), ax.get_ylabel()) for ax in figure.axes]
