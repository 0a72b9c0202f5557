"""Numbered figures and tables for the report page, and the figures as files (SPEC §8, §9).

The report notebook shows each figure with `figure_html` and each table with `table_html`:
a figure is embedded as PNG (the page loads nothing from elsewhere) with its alt text and a
numbered caption ("Figur 3. …" / "Figure 3. …"); when the report stage gives a figures
folder, the same figure is also written there as PNG and SVG, named after its caption, for
researchers to put in their own reports.
"""

from __future__ import annotations

import base64
import contextlib
import html
import io
import os
import re
import struct
import unicodedata
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import matplotlib
import numpy as np
from matplotlib import rc_context, rcParams
from matplotlib.figure import Figure
from matplotlib.ticker import FixedLocator, Locator, NullLocator
from PIL import Image

from pipeline.figure_keys import Drawing
from pipeline.text.words import Words

# Words of the caption labels; every other report word lives in pipeline.text.
CAPTION_WORDS: dict[str, Words] = {"figure": Words("Figur", "Figure"), "table": Words("Tabell", "Table")}
PNG_DPI = 150
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
# zlib's level for the figures' pixels: 3 compresses a report's figures in under half the time
# of the default 6 (the demo's 136 PNGs: 0.8 against 1.8 CPU-seconds, the largest single item
# of the report workers' own time) for files some 17 % larger (12.3 against 10.5 MB)
PNG_ZLIB_LEVEL = 3
CSS_DPI = 96  # CSS pixels per inch: a figure is shown at the size it was drawn
MAX_SLUG_CHARS = 80
# SVG with text as text (searchable, editable, and read by the output scan) and fixed ids
# and no date, so that the same figure gives the same bytes.
SVG_RC = {"svg.fonttype": "none", "svg.hashsalt": "hembesok"}
# No layout engine at all (not even "none", which savefig still prepares a layout for): a
# figure whose layout is solved is saved without another draw before the one that counts.
NO_LAYOUT_RC = {"figure.autolayout": False, "figure.constrained_layout.use": False}


def slug(text: str, max_chars: int = MAX_SLUG_CHARS) -> str:
    """An ASCII file-name part: 'Söderängen' -> 'soderangen'; long text cut at a word."""
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    name = re.sub(r"[^a-z0-9]+", "-", folded.lower()).strip("-")
    if len(name) > max_chars:
        name = name[:max_chars].rsplit("-", 1)[0]
    return name or "area"


def caption_label(kind: str, number: int, language: str) -> str:
    """'Figur 3' / 'Figure 3', 'Tabell 2' / 'Table 2' (kind is 'figure' or 'table')."""
    return f"{CAPTION_WORDS[kind].in_(language)} {number}"


def figure_html(fig: Figure | Drawing, number: int, caption: str, alt: str, language: str,
                figures_dir: str | Path | None = None, *, name: str | None = None,
                cache: str | Path | None = None) -> str:
    """A <figure> with the PNG embedded (alt text) and a numbered <figcaption>.

    With `figures_dir`, also writes `<figures_dir>/<slug of "Figur 3 caption">.png` and
    `.svg` (of "Figur 3 <name>" when a `name` is given; the report names every figure, a
    follow-up part's too, after its caption, in the report's language). With `cache`, a
    folder the reports of one run share, a figure with an `inputs_key` (`figures.ReportFigure`)
    is drawn once for them all: its images are kept there under the key for the next report
    that shows it. The figure is not closed: the caller closes it. A `Drawing`
    (`figures.<function>.later(...)`) is drawn only when the cache does not have its images,
    and released afterwards.
    """
    label = caption_label("figure", number, language)
    png, svg = _shared_images(fig, cache, svg=figures_dir is not None)
    if figures_dir is not None:
        _write_images(f"{label} {name or caption}", figures_dir, png, svg)
    width, height = _png_size(png)
    shown_width, shown_height = (round(v * CSS_DPI / PNG_DPI) for v in (width, height))
    source = base64.b64encode(png).decode("ascii")
    return (f'<figure class="report-figure" id="{slug(label)}">\n'
            f'<img src="data:image/png;base64,{source}" alt="{html.escape(alt, quote=True)}" '
            f'width="{shown_width}" height="{shown_height}">\n'
            f'<figcaption><span class="caption-label">{html.escape(label)}.</span> '
            f"{html.escape(caption)}</figcaption>\n</figure>")


def table_html(frame_html: str, number: int, caption: str, language: str) -> str:
    """An HTML table (e.g. from `tables.html`) in a <figure> with the caption "Tabell 2. …" above it.

    A <figcaption> rather than a <caption>, so that the caption spans the text width however
    narrow the table; a caption the table already has is dropped.
    """
    label = caption_label("table", number, language)
    table = re.sub(r"<caption\b[^>]*>.*?</caption>\s*", "", frame_html, count=1, flags=re.S)
    return (f'<figure class="report-table" id="{slug(label)}">\n'
            f'<figcaption><span class="caption-label">{html.escape(label)}.</span> '
            f"{html.escape(caption)}</figcaption>\n{table.strip()}\n</figure>")


def write_figure_files(fig: Figure, name: str, figures_dir: str | Path) -> tuple[Path, Path]:
    """Write the figure as `<figures_dir>/<slug of name>.png` and `.svg`; returns both paths."""
    return _write_images(name, figures_dir, *figure_images(fig, svg=True))


def figure_images(fig: Figure, *, dpi: int = PNG_DPI, svg: bool = False) -> tuple[bytes, bytes | None]:
    """The figure as PNG (at `dpi`) and, with `svg`, as SVG, both cropped to what is drawn.

    What `savefig(bbox_inches="tight")` does, done once for both files: the layout solved and
    the box around what is drawn measured at the PNG's resolution, then each file drawn once,
    in that box, with the layout as solved. The PNG has the same pixels as savefig's and the
    SVG shows the same layout; savefig would draw each file twice and solve the layout for each.
    Once the layout is solved, each axis's ticks are where its locator puts them and stay there:
    they are computed once, not on each of the passes that follow (`_ticks_kept`).
    """
    engine = fig.get_layout_engine()
    shown_dpi = fig.dpi
    with contextlib.ExitStack() as kept:
        kept.enter_context(_tick_work_shared(fig))
        fig.dpi = dpi
        try:
            if fig.axes and engine is not None:  # as a draw would, without drawing every artist
                engine.execute(fig)
            kept.enter_context(_ticks_kept(fig))
            box = fig.get_tightbbox().padded(rcParams["savefig.pad_inches"])
        finally:
            fig.dpi = shown_dpi
        with rc_context(NO_LAYOUT_RC):
            fig.set_layout_engine(None)  # the layout just solved stays as it is
        try:
            pixels = io.BytesIO()
            fig.savefig(pixels, format="rgba", dpi=dpi, bbox_inches=box)
            png = _png(pixels.getbuffer(), (int(box.width * dpi), int(box.height * dpi)), dpi)
            if not svg:
                return png, None
            vector = io.BytesIO()
            canvas = fig.canvas
            svg_canvas = getattr(canvas, "svg_canvas_class", None)  # figures.ReportCanvas's: kept measures
            try:
                if svg_canvas is not None:
                    svg_canvas(fig)  # the figure's canvas while it is drawn as SVG
                with rc_context(SVG_RC):
                    fig.savefig(vector, format="svg", bbox_inches=box, metadata={"Date": None})
            finally:
                fig.set_canvas(canvas)
            return png, vector.getvalue()
        finally:
            if engine is not None:
                fig.set_layout_engine(engine)


def _png(rgba: memoryview, size: tuple[int, int], dpi: int) -> bytes:
    """PNG bytes of an Agg canvas's RGBA pixels, with what matplotlib writes beside them (its
    Software text, the dpi), but RGB when every pixel is opaque, as a report's figures are.

    Written here with zlib rather than by Pillow: Pillow chooses a filter for every row, which
    takes half of its time, and a figure's flat colours and sharp edges compress better with
    none (filter type 0 on every row: some 10 % fewer bytes in half the time). The pixels are
    the same; a PNG reader needs nothing else."""
    width, height = size
    # every alpha 255: each pixel as a little-endian word is at least 0xFF000000 (one contiguous pass)
    opaque = bool((np.frombuffer(rgba, dtype="<u4", count=width * height) >= 0xFF000000).all())
    if opaque:  # the alpha bytes dropped by Pillow's C loop: a third of numpy's strided copy's time
        pixels = np.asarray(Image.frombuffer("RGBA", size, rgba, "raw", "RGBA", 0, 1).convert("RGB"))
    else:
        pixels = np.frombuffer(rgba, dtype=np.uint8, count=width * height * 4)
    rows = np.empty((height, 1 + width * (3 if opaque else 4)), dtype=np.uint8)
    rows[:, 0] = 0  # each row's filter: none
    rows[:, 1:] = pixels.reshape(height, -1)
    per_metre = round(dpi / 0.0254)
    software = f"Matplotlib version{matplotlib.__version__}, https://matplotlib.org/"
    return b"".join([
        PNG_SIGNATURE,
        _png_chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2 if opaque else 6, 0, 0, 0)),
        _png_chunk(b"pHYs", struct.pack(">IIB", per_metre, per_metre, 1)),
        _png_chunk(b"tEXt", b"Software\0" + software.encode("latin-1")),
        _png_chunk(b"IDAT", zlib.compress(rows, PNG_ZLIB_LEVEL)),
        _png_chunk(b"IEND", b"")])


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


@contextlib.contextmanager
def _tick_work_shared(fig: Figure) -> Iterator[None]:
    """Each axis's ticks and tick-label boxes computed once per measure or draw of the axis.

    matplotlib's `Axis.get_tightbbox` and `Axis.draw` update the axis's ticks and measure
    their labels, then place the axis label, which (`_get_tick_boxes_siblings`) updates and
    measures them again for every axis its label is aligned with, itself included: the same
    work twice for nothing in between (5 % of the report workers' time, the layout solving
    each axis twice). Within one such call of an axis, its `_update_ticks` and
    `_get_ticklabel_bboxes` now give what they gave the first time in that call; outside
    one, and for the other axes of an alignment group, they work as before. The same ticks,
    labels and pixels (`tests/test_report_stage.py`: the PNG is savefig's, with and
    without aligned labels; the SVG matplotlib's own bytes)."""
    axes = [axis for ax in fig.axes for axis in getattr(ax, "_axis_map", {}).values()]
    for axis in axes:
        _share_tick_work(axis)
    try:
        yield
    finally:
        for axis in axes:
            for name in _SHARED_TICK_WORK:
                axis.__dict__.pop(name, None)


# The Axis methods `_share_tick_work` shadows on an axis while its figure is saved.
_SHARED_TICK_WORK = ("get_tightbbox", "draw", "_update_ticks", "_get_ticklabel_bboxes")


def _share_tick_work(axis: Any) -> None:
    calls: list[dict] = []  # the work done in the axis's call in progress, if any
    own = {name: getattr(axis, name) for name in _SHARED_TICK_WORK}  # the bound class methods

    def within_one_call(method: str) -> Any:
        def call(*args: Any, **kwargs: Any) -> Any:
            calls.append({})
            try:
                return own[method](*args, **kwargs)
            finally:
                calls.pop()
        return call

    def update_ticks() -> Any:
        if not calls:
            return own["_update_ticks"]()
        if "ticks" not in calls[-1]:
            calls[-1]["ticks"] = own["_update_ticks"]()
        return calls[-1]["ticks"]

    def ticklabel_bboxes(ticks: Any, renderer: Any = None) -> Any:
        if not calls:
            return own["_get_ticklabel_bboxes"](ticks, renderer)
        key = ("bboxes", id(ticks), id(renderer))
        if key not in calls[-1]:
            calls[-1][key] = (ticks, own["_get_ticklabel_bboxes"](ticks, renderer))
        return calls[-1][key][1]

    axis.get_tightbbox = within_one_call("get_tightbbox")
    axis.draw = within_one_call("draw")
    axis._update_ticks = update_ticks
    axis._get_ticklabel_bboxes = ticklabel_bboxes


@contextlib.contextmanager
def _ticks_kept(fig: Figure) -> Iterator[None]:
    """Each rectilinear axis's tick locations fixed where its locator puts them now, and its
    locators given back afterwards.

    Every pass over a figure (its box, each file) asks each axis's locator again, and a shared
    axis asks for its siblings' too: a date axis runs dateutil's rrule each time. With the
    layout solved, the axes have their final size and limits, so the answers are the same."""
    kept: dict[int, tuple[Any, Locator]] = {}
    for ax in fig.axes:
        if ax.name != "rectilinear":  # polar axes wrap their locators
            continue
        for axis in (ax.xaxis, ax.yaxis):
            for ticker in (axis.major, axis.minor):
                locator = ticker.locator
                if id(ticker) in kept or isinstance(locator, (FixedLocator, NullLocator)):
                    continue
                kept[id(ticker)] = (ticker, locator)
                fixed = FixedLocator(locator())
                fixed.set_axis(axis)
                ticker.locator = fixed
    try:
        yield
    finally:
        for ticker, locator in kept.values():
            ticker.locator = locator


def _shared_images(fig: Figure | Drawing, cache: str | Path | None, *,
                   svg: bool) -> tuple[bytes, bytes | None]:
    """`figure_images`, taken from `cache` when another report drew a figure with the same key."""
    key = getattr(fig, "inputs_key", None)
    if cache is None or key is None:
        return _images(fig, svg=svg)
    kept = {suffix: Path(cache) / f"{key}.{suffix}" for suffix in ("png", "svg")}
    if kept["png"].is_file() and (kept["svg"].is_file() or not svg):
        return kept["png"].read_bytes(), kept["svg"].read_bytes() if svg else None
    png, vector = _images(fig, svg=svg)
    for suffix, image in (("svg", vector), ("png", png)):  # the PNG last: it says the entry is there
        if image is not None:
            partial = kept[suffix].with_name(f".{os.getpid()}.{kept[suffix].name}")
            partial.write_bytes(image)
            partial.replace(kept[suffix])  # whole files only: reports run in parallel
    return png, vector


def _images(fig: Figure | Drawing, *, svg: bool) -> tuple[bytes, bytes | None]:
    if not isinstance(fig, Drawing):
        return figure_images(fig, svg=svg)
    with fig.drawn() as figure:
        return figure_images(figure, svg=svg)


def _write_images(name: str, figures_dir: str | Path, png: bytes, svg: bytes) -> tuple[Path, Path]:
    folder = Path(figures_dir)
    folder.mkdir(parents=True, exist_ok=True)
    stem = slug(name)
    png_path, svg_path = folder / f"{stem}.png", folder / f"{stem}.svg"
    png_path.write_bytes(png)
    svg_path.write_bytes(svg)
    return png_path, svg_path


def _png_size(png: bytes) -> tuple[int, int]:
    """(width, height) in pixels from the PNG's IHDR chunk."""
    if png[:8] != PNG_SIGNATURE:
        raise ValueError("not a PNG image")
    return struct.unpack(">II", png[16:24])
