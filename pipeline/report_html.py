"""Numbered figures and tables for the report page, and the figures as files (SPEC §8, §9).

The report notebook shows each figure with `figure_html` and each table with `table_html`:
a figure is embedded as PNG (the page loads nothing from elsewhere) with its alt text and a
numbered caption ("Figur 3. …" / "Figure 3. …"); when the report stage gives a figures
folder, the same figure is also written there as PNG and SVG, named after its caption, for
researchers to put in their own reports.
"""

from __future__ import annotations

import base64
import html
import io
import re
import struct
import unicodedata
from pathlib import Path

from matplotlib import rc_context
from matplotlib.figure import Figure

from pipeline.text.words import Words

# Words of the caption labels; every other report word lives in pipeline.text.
CAPTION_WORDS: dict[str, Words] = {"figure": Words("Figur", "Figure"), "table": Words("Tabell", "Table")}
PNG_DPI = 150
CSS_DPI = 96  # CSS pixels per inch: a figure is shown at the size it was drawn
MAX_SLUG_CHARS = 80
# SVG with text as text (searchable, editable, and read by the output scan) and fixed ids
# and no date, so that the same figure gives the same bytes.
SVG_RC = {"svg.fonttype": "none", "svg.hashsalt": "hembesok"}


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


def figure_html(fig: Figure, number: int, caption: str, alt: str, language: str,
                figures_dir: str | Path | None = None, *, name: str | None = None) -> str:
    """A <figure> with the PNG embedded (alt text) and a numbered <figcaption>.

    With `figures_dir`, also writes `<figures_dir>/<slug of "Figur 3 caption">.png` and
    `.svg` (of "Figur 3 <name>" when the figure has a `name` of its own, as a follow-up
    part's figures do). The figure is not closed: the caller closes it.
    """
    label = caption_label("figure", number, language)
    png = _png_bytes(fig)
    if figures_dir is not None:
        write_figure_files(fig, f"{label} {name or caption}", figures_dir, png=png)
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


def write_figure_files(fig: Figure, name: str, figures_dir: str | Path, *,
                       png: bytes | None = None) -> tuple[Path, Path]:
    """Write the figure as `<figures_dir>/<slug of name>.png` and `.svg`; returns both paths."""
    folder = Path(figures_dir)
    folder.mkdir(parents=True, exist_ok=True)
    stem = slug(name)
    png_path, svg_path = folder / f"{stem}.png", folder / f"{stem}.svg"
    png_path.write_bytes(png if png is not None else _png_bytes(fig))
    buffer = io.BytesIO()
    # the SVG keeps the layout the PNG was drawn with (constrained layout is not solved again:
    # half the SVG's time, and the two files show the same layout)
    engine = fig.get_layout_engine()
    if engine is not None:
        fig.set_layout_engine("none")
    try:
        with rc_context(SVG_RC):
            fig.savefig(buffer, format="svg", bbox_inches="tight", metadata={"Date": None})
    finally:
        if engine is not None:
            fig.set_layout_engine(engine)
    svg_path.write_bytes(buffer.getvalue())
    return png_path, svg_path


def _png_bytes(fig: Figure) -> bytes:
    if hasattr(fig, "to_png"):  # figures.ReportFigure: cropped to what is drawn
        return fig.to_png(dpi=PNG_DPI)
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=PNG_DPI, bbox_inches="tight")
    return buffer.getvalue()


def _png_size(png: bytes) -> tuple[int, int]:
    """(width, height) in pixels from the PNG's IHDR chunk."""
    if png[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError("not a PNG image")
    return struct.unpack(">II", png[16:24])
