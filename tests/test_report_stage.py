"""The report machinery: papermill parameters, committee vs technical HTML, PDFs, figures and
tables with numbered captions, failures named."""

from __future__ import annotations

import base64
import io
import os
import re
import stat
from pathlib import Path
from typing import Any

import matplotlib
import nbformat
import numpy as np
import pandas as pd
import PIL.Image
import pytest
from matplotlib.backends.backend_agg import RendererAgg
from matplotlib.figure import Figure
from studykit import pnr, write_study

from pipeline import figure_keys, figures, report_html
from pipeline.config import load_study
from pipeline.errors import HembesokError
from pipeline.publish import scan_file_for_personnummer
from pipeline.stages import report

# A stand-in for headless Chromium: writes a one-page PDF where --print-to-pdf= says.
FAKE_BROWSER = """#!/bin/sh
for arg in "$@"; do
  case "$arg" in --print-to-pdf=*) out="${arg#--print-to-pdf=}";; esac
done
printf '%%PDF-1.4\n1 0 obj <</Type /Page>> endobj\n%%%%EOF\n' > "$out"
"""
# External resources a page would load when opened: script, style sheet, font, image, frame.
EXTERNAL_LOAD = re.compile(r"<(?!a\b)[a-z]+\b[^>]*\b(?:src|href)\s*=\s*[\"']?\s*(?:https?:)?//"
                           r"|url\(\s*[\"']?\s*(?:https?:)?//|@import", re.I)


def notebook(tmp_path: Path, body: str) -> Path:
    nb = nbformat.v4.new_notebook()
    parameters = nbformat.v4.new_code_cell(
        'study = "x"\nrun_folder = "."\nlanguage = "sv"\narea = "all"\naudience = "committee"\n'
        "figures_dir = None\nfigure_cache = None")
    parameters.metadata["tags"] = ["parameters"]
    nb.cells = [parameters, nbformat.v4.new_code_cell(body)]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    path = tmp_path / "evaluation.ipynb"
    nbformat.write(nb, path)
    return path


def use_notebook(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, body: str) -> None:
    """The report stage executes this notebook (written once: parallel workers read it)."""
    path = notebook(tmp_path, body)
    monkeypatch.setattr(report, "notebook_path", lambda: path)


@pytest.fixture
def study(tmp_path: Path):
    return load_study(write_study(tmp_path / "s", {}))


@pytest.fixture
def no_browser(monkeypatch) -> None:
    monkeypatch.setattr(report, "pdf_browser", lambda: None)


@pytest.fixture
def fake_browser(monkeypatch, tmp_path: Path) -> Path:
    browser = tmp_path / "bin" / "chromium"
    browser.parent.mkdir()
    browser.write_text(FAKE_BROWSER)
    browser.chmod(browser.stat().st_mode | stat.S_IXUSR)
    monkeypatch.setattr(report, "pdf_browser", lambda: str(browser))
    return browser


def test_reports_for_study_and_areas_in_both_languages(study, tmp_path, monkeypatch, no_browser) -> None:
    use_notebook(monkeypatch, tmp_path,
                 'SECRET_CODE_MARKER = 1\nprint(f"report {language} {area} {audience}")')
    said: list[str] = []
    written = report.render_reports(study, tmp_path, tmp_path / "reports", tmp_path / "failed", jobs=2,
                                    progress=said.append)
    names = sorted(p.name for p in written)
    assert names == sorted(["tiny_study_sv.html", "tiny_study_en.html", "tiny_norrby_sv.html",
                            "tiny_norrby_en.html", "tiny_study_en_technical.html"])
    committee = (tmp_path / "reports" / "tiny_norrby_sv.html").read_text()
    assert "report sv Norrby committee" in committee
    assert "SECRET_CODE_MARKER" not in committee  # no input cells in the committee version
    technical = (tmp_path / "reports" / "tiny_study_en_technical.html").read_text()
    assert "SECRET_CODE_MARKER" in technical and "report en all technical" in technical
    # one line that PDFs were not made and how to get them, then one line per report
    assert [line for line in said if "PDFs not made" in line] == [f"report: {report.NO_BROWSER}"]
    assert "apt-get install chromium" in report.NO_BROWSER
    finished = [line for line in said if re.match(r"report: \d/5 ", line)]  # one step per report
    assert sorted(line.split()[2] for line in finished) == sorted(p.stem for p in written)


# What a report could inherit from the one before it in the same kernel: a variable, a matplotlib
# setting, the execution count, and a library's warning (shown once per kernel unless reset).
LEAK_PROBE = """\
import os, sys, types, matplotlib
if "warner" not in sys.modules:
    warner = sys.modules["warner"] = types.ModuleType("warner")
    exec("import warnings\\ndef warn():\\n    warnings.warn('a library warning')", warner.__dict__)
print(f"kernel {os.getpid()} report {language} {area}: earlier {globals().get('earlier')}, "
      f"font size {matplotlib.rcParams['font.size']}, count {get_ipython().execution_count}, "
      f"frozen {__import__('gc').get_freeze_count() > 0}")
earlier = f"{language} {area}"
matplotlib.rcParams["font.size"] = 99
sys.modules["warner"].warn()
"""


def test_one_kernel_renders_every_report_as_a_fresh_kernel_would(study, tmp_path, monkeypatch,
                                                                 no_browser) -> None:
    use_notebook(monkeypatch, tmp_path, LEAK_PROBE)
    report.render_reports(study, tmp_path, tmp_path / "reports", tmp_path / "failed")  # --jobs 1
    pages = {path.stem: path.read_text() for path in (tmp_path / "reports").glob("*.html")}
    # (not up to the line's end: the kernel may flush print's newline after the warning's stderr)
    seen = {name: re.search(r"kernel (\d+) report (\w+) (\w+): "
                            r"(earlier .*?, font size \S+, count \d+, frozen \w+)", page).groups()
            for name, page in pages.items()}
    assert len({kernel for kernel, *_ in seen.values()}) == 1  # one kernel, five reports
    assert seen["tiny_norrby_en"][1:3] == ("en", "Norrby") and seen["tiny_study_sv"][1:3] == ("sv", "all")
    # as a kernel of its own shows (the count papermill's cells leave: checked against one), with
    # what the kernel held before the report frozen out of the garbage collector's passes
    assert {state for *_, state in seen.values()} == {"earlier None, font size 10.0, count 4, frozen True"}
    # the technical report (the last one rendered) shows the warning, as it would rendered alone
    assert "a library warning" in pages["tiny_study_en_technical"]


def test_page_language_title_and_nothing_loaded_from_elsewhere(study, tmp_path, monkeypatch,
                                                              no_browser) -> None:
    use_notebook(monkeypatch, tmp_path,
                 'from IPython.display import Markdown, display\n'
                 'display(Markdown("## Rubrik\\n\\nText $x$ and a [link](https://example.org)."))')
    report.render_reports(study, tmp_path, tmp_path / "reports", tmp_path / "failed")
    for name, lang, title in (("tiny_study_sv", "sv", "Tiny test study"),
                              ("tiny_norrby_en", "en", "Tiny test study \u2013 Norrby"),
                              ("tiny_study_en_technical", "en", "Tiny test study (technical report)")):
        page = (tmp_path / "reports" / f"{name}.html").read_text(encoding="utf-8")
        assert f'<html lang="{lang}">' in page and f"<title>{title}</title>" in page, name
        assert not EXTERNAL_LOAD.search(page), (name, EXTERNAL_LOAD.search(page))
        for cdn in ("require.js", "mathjax", "mermaid", "cdnjs", "unpkg", "jsdelivr"):
            assert cdn not in page.lower(), (name, cdn)
        assert "<h2" in page and "Rubrik" in page  # markdown outputs are rendered
        # print styles: A4, headings kept with what follows, figures and table rows never split
        assert re.search(r"@page\s*{\s*size:\s*A4", page)
        assert "break-after: avoid" in page and "break-inside: avoid" in page


def test_report_title_falls_back_to_a_generic_title() -> None:
    job = report.ReportJob("x_norrby_sv", "sv", "Norrby", "committee")
    assert report.report_title("", job) == "Utvärdering av utökat hembesöksprogram \u2013 Norrby"
    english = report.ReportJob("x_study_en", "en", "all", "committee")
    assert report.report_title(None, english) == "Evaluation of an extended home-visiting programme"


def test_technical_report_starts_when_its_study_report_is_done_and_after_every_other_report(
        monkeypatch) -> None:
    """Two workers, five reports: the technical version (most of its figures are the Swedish
    study report's, taken from the figure cache) waits for that report and for every other
    report to have started: it has no PDF, so the last committee PDF is printed beside it."""
    import threading
    import time
    from concurrent.futures import ThreadPoolExecutor

    seconds = {"s_study_sv": 0.3, "s_study_en": 0.05, "s_a_sv": 2.0, "s_a_en": 0.05,
               "s_study_sv_technical": 0.05}
    started, ended, lock = [], set(), threading.Lock()

    def execute(job: report.ReportJob) -> report.Executed:
        with lock:
            started.append((job.name, job.after is None or job.after in ended))
        time.sleep(seconds[job.name])
        with lock:
            ended.add(job.name)
        return report.Executed(job)

    monkeypatch.setattr(report, "_execute", execute)
    study = report.ReportJob("s_study_sv", "sv", "all", "committee")
    work = [(job,) for job in (study, report.ReportJob("s_study_en", "en", "all", "committee"),
                               report.ReportJob("s_a_sv", "sv", "A", "committee"),
                               report.ReportJob("s_a_en", "en", "A", "committee"),
                               report.ReportJob("s_study_sv_technical", "sv", "all", "technical",
                                                after="s_study_sv"))]
    with ThreadPoolExecutor(2) as pool:
        yielded = [rendered.job.name for rendered in report._scheduled(pool, work, 2)]
    assert sorted(yielded) == sorted(seconds)
    # study_en is done first: an area report takes its place, the technical one is not ready;
    # study_sv is done next, and the other area report goes before the technical one
    assert [name for name, _ in started] == ["s_study_sv", "s_study_en", "s_a_sv", "s_a_en",
                                             "s_study_sv_technical"]
    assert all(ready for _, ready in started)  # nothing started before what it waits for


def test_committee_reports_get_a_pdf_and_figures_folder(study, tmp_path, monkeypatch, fake_browser) -> None:
    use_notebook(monkeypatch, tmp_path, "print(repr(figures_dir), repr(figure_cache))")
    written = report.render_reports(study, tmp_path, tmp_path / "reports", tmp_path / "failed", jobs=2,
                                    figures_dir=tmp_path / "figures")
    pdfs = sorted(p.name for p in written if p.suffix == ".pdf")
    assert pdfs == sorted(["tiny_study_sv.pdf", "tiny_study_en.pdf", "tiny_norrby_sv.pdf",
                           "tiny_norrby_en.pdf"])
    assert all((tmp_path / "reports" / name).read_bytes().startswith(b"%PDF-") for name in pdfs)
    committee = (tmp_path / "reports" / "tiny_norrby_en.html").read_text()
    assert str(tmp_path / "figures" / "tiny_norrby_en") in committee  # figures/<report name>/
    technical = (tmp_path / "reports" / "tiny_study_en_technical.html").read_text()
    assert "None" in technical and not (tmp_path / "reports" / "tiny_study_en_technical.pdf").exists()
    # every report, in either worker, was given the same folder of shared figures, gone afterwards
    shared = tmp_path / "reports" / report.FIGURE_CACHE
    assert all(str(shared) in (tmp_path / "reports" / p.name).read_text() for p in written
               if p.suffix == ".html")
    assert not shared.exists()


def test_a_browser_that_fails_costs_the_pdf_not_the_run(study, tmp_path, monkeypatch) -> None:
    broken = tmp_path / "chromium"
    broken.write_text("#!/bin/sh\necho 'cannot open display' >&2\nexit 3\n")
    broken.chmod(0o755)
    monkeypatch.setattr(report, "pdf_browser", lambda: str(broken))
    use_notebook(monkeypatch, tmp_path, "print('ok')")
    said: list[str] = []
    written = report.render_reports(study, tmp_path, tmp_path / "reports", tmp_path / "failed",
                                    progress=said.append)
    assert all(p.suffix == ".html" for p in written) and len(written) == 5
    problems = [line for line in said if "PDF not made" in line]
    assert len(problems) == 4 and "exited with 3 (cannot open display)" in problems[0]


def test_staging_folder_is_shown_as_the_real_outputs_folder() -> None:
    staged = "/data/outputs/.demo.tmp-abc123"
    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell(f'run_folder = "{staged}"\nfigures_dir = "{staged}/figures/x"')
    cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text=f"read {staged}/tables\n"),
                    nbformat.v4.new_output("display_data", data={"text/markdown": f"`{staged}`"})]
    nb.cells = [cell]
    nb.metadata["papermill"] = {"parameters": {"run_folder": staged}}
    report.show_folder_as(nb, staged, "outputs/demo")
    assert cell.source == 'run_folder = "outputs/demo"\nfigures_dir = "outputs/demo/figures/x"'
    assert cell.outputs[0]["text"] == "read outputs/demo/tables\n"
    assert cell.outputs[1]["data"]["text/markdown"] == "`outputs/demo`"
    assert nb.metadata["papermill"]["parameters"]["run_folder"] == "outputs/demo"


# --- numbered figures and tables ----------------------------------------------------------------

def small_figure(label: str = "Andel ammade") -> Figure:
    fig = Figure(figsize=(4, 2.5))
    ax = fig.subplots()
    ax.bar(["Intervention", "Jämförelse"], [0.64, 0.58])
    ax.set_title(label)
    return fig


def test_figure_html_embeds_png_with_alt_text_and_numbered_caption(tmp_path: Path) -> None:
    fig = small_figure()
    shown = report_html.figure_html(fig, 3, "Andel ammade vid 6 månader", "Staplar: 64 % mot 58 % <b>",
                                    "sv", figures_dir=tmp_path / "fig")
    assert shown.startswith('<figure class="report-figure" id="figur-3">')
    assert 'alt="Staplar: 64 % mot 58 % &lt;b&gt;"' in shown
    assert '<figcaption><span class="caption-label">Figur 3.</span> Andel ammade vid 6 månader</figcaption>' \
        in shown
    png = base64.b64decode(re.search(r'src="data:image/png;base64,([^"]+)"', shown).group(1))
    assert png.startswith(b"\x89PNG")
    width = int(re.search(r'width="(\d+)"', shown).group(1))
    assert width == pytest.approx(4 * 96, rel=0.25)  # shown at the size it was drawn, not 150 dpi
    files = sorted(p.name for p in (tmp_path / "fig").iterdir())
    assert files == ["figur-3-andel-ammade-vid-6-manader.png", "figur-3-andel-ammade-vid-6-manader.svg"]
    assert (tmp_path / "fig" / files[0]).read_bytes() == png
    svg = (tmp_path / "fig" / files[1]).read_text(encoding="utf-8")
    assert svg.lstrip().startswith("<?xml") and "Andel ammade" in svg  # text kept as text
    english = report_html.figure_html(fig, 1, "Share breastfed", "Bars", "en")
    assert '<span class="caption-label">Figure 1.</span> Share breastfed' in english


def test_figure_files_are_stable_and_scanned(tmp_path: Path) -> None:
    first = report_html.write_figure_files(small_figure(), "Figur 1 A", tmp_path / "a")
    second = report_html.write_figure_files(small_figure(), "Figur 1 A", tmp_path / "b")
    assert [p.read_bytes() for p in first] == [p.read_bytes() for p in second]  # no dates, fixed ids
    leaked = report_html.write_figure_files(small_figure(pnr("19811218", "987")), "Figur 2 B", tmp_path)
    assert scan_file_for_personnummer(leaked[1]) == ["########-####"]  # the SVG's text is read


FLOW = pd.DataFrame({"area": ["all", "all"], "order": [1, 2],
                     "step": ["born_in_intervention_areas", "eligible"], "children": [111, 67],
                     "share_of_previous": [None, 0.6036]})


def test_a_figure_is_keyed_by_what_it_is_drawn_from() -> None:
    key = figures.flow_figure(FLOW, "sv").inputs_key
    assert key is not None
    assert figures.flow_figure(FLOW.copy(), "sv", area="all").inputs_key == key  # defaults spelled out
    assert figures.flow_figure(FLOW, "en").inputs_key != key
    assert figures.flow_figure(FLOW.assign(children=[111, 68]), "sv").inputs_key != key
    assert figures.flow_figure(FLOW, "sv", min_cell=10).inputs_key != key
    assert figures.flow_figure(FLOW.assign(children=[{1}, {2}]), "sv").inputs_key is None  # not hashable



CHART = pd.DataFrame({
    "indicator": ["bf_any_6m"] * 4, "area": ["Norrbyåsen", "Norrbyåsen", "Söderängen", "Söderängen"],
    "quarter_start": ["2020-09-01", "2020-12-01"] * 2, "quarter_end": ["2020-11-30", "2021-02-28"] * 2,
    "proportion": [0.5, 0.6, 0.4, 0.45], "centre": [0.55] * 4, "lower": [0.2] * 4, "upper": [0.9] * 4,
    "outside": [None] * 4, "run": [None] * 4})


def test_an_areas_chart_is_one_figure_from_the_whole_table_or_the_areas_rows(tmp_path: Path) -> None:
    # the study report passes the whole table, the area report only the area's rows (for_area)
    def chart(frame: pd.DataFrame, area: str) -> Any:
        return figures.control_chart_figure.later(frame, ["bf_any_6m"], "sv", area=area,
                                                  programme_start="2020-09-01")

    own = CHART[CHART["area"] == "Söderängen"]
    assert chart(CHART, "Söderängen").inputs_key == chart(own, "Söderängen").inputs_key
    assert chart(CHART, "Söderängen").inputs_key != chart(CHART, "Norrbyåsen").inputs_key
    assert chart(CHART, "Söderängen").inputs_key != chart(
        CHART.assign(proportion=[0.5, 0.6, 0.4, 0.5]), "Söderängen").inputs_key
    # what the key promises: the same images
    whole, alone = (report_html.figure_images(figure, svg=True)
                    for figure in (figures.control_chart_figure(frame, ["bf_any_6m"], "sv", area="Söderängen",
                                                                programme_start="2020-09-01")
                                   for frame in (CHART, own)))
    assert whole == alone
    cache = tmp_path / "cache"
    cache.mkdir()
    first = report_html.figure_html(chart(CHART, "Söderängen"), 21, "Söderängen", "Diagram", "sv",
                                    cache=cache)
    untouched = figure_keys.Drawing(lambda: pytest.fail("drawn again"), chart(own, "Söderängen").inputs_key)
    assert report_html.figure_html(untouched, 21, "Söderängen", "Diagram", "sv", cache=cache) == first


def test_a_closed_figure_holds_no_artists() -> None:
    figure = figures.trends_figure(pd.DataFrame(), ["bf_6m"], "sv", programme_start="2021-01-01")
    figure.suptitle("Trender")
    figures.close(figure)
    assert figure.axes == [] and figure.texts == [] and figure.legends == []
    assert figure.get_children() == [figure.patch]

def test_reports_sharing_a_cache_draw_a_figure_once(tmp_path: Path, monkeypatch) -> None:
    cache = tmp_path / "cache"
    cache.mkdir()
    first = report_html.figure_html(figures.flow_figure(FLOW, "sv"), 3, "Flöde", "Staplar", "sv",
                                    figures_dir=tmp_path / "a", cache=cache)
    key = figures.flow_figure(FLOW, "sv").inputs_key
    assert sorted(p.name for p in cache.iterdir()) == [f"{key}.png", f"{key}.svg"]
    monkeypatch.setattr(report_html, "figure_images", lambda *_a, **_k: pytest.fail("drawn again"))
    again = report_html.figure_html(figures.flow_figure(FLOW, "sv"), 3, "Flöde", "Staplar", "sv",
                                    figures_dir=tmp_path / "b", cache=cache)
    assert again == first
    assert [p.read_bytes() for p in sorted((tmp_path / "a").iterdir())] == \
        [p.read_bytes() for p in sorted((tmp_path / "b").iterdir())]
    monkeypatch.undo()
    unkeyed = small_figure()  # a figure of no figure function is drawn every time
    assert report_html.figure_html(unkeyed, 1, "A", "B", "sv", cache=cache).startswith("<figure")
    assert len(list(cache.iterdir())) == 2



def test_a_drawing_is_drawn_only_when_no_report_has_drawn_it(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    cache.mkdir()
    later = figures.flow_figure.later(FLOW, "sv", area="all")
    assert later.inputs_key == figures.flow_figure(FLOW.copy(), "sv").inputs_key
    first = report_html.figure_html(later, 3, "Flöde", "Staplar", "sv", figures_dir=tmp_path / "a",
                                    cache=cache)
    assert first == report_html.figure_html(figures.flow_figure(FLOW, "sv"), 3, "Flöde", "Staplar", "sv")
    untouched = figure_keys.Drawing(lambda: pytest.fail("drawn again"), later.inputs_key)
    assert report_html.figure_html(untouched, 3, "Flöde", "Staplar", "sv", figures_dir=tmp_path / "b",
                                   cache=cache) == first
    with later.drawn() as figure:
        assert figure.inputs_key == later.inputs_key and figure.axes
    assert figure.axes == []  # released

def test_table_html_numbers_the_caption() -> None:
    frame = "<table border=\"0\" class=\"dataframe hembesok\">\n<thead><tr><th>A</th></tr></thead></table>"
    shown = report_html.table_html(frame, 2, "Jämförbarhet mellan grupperna", "sv")
    assert shown == ('<figure class="report-table" id="tabell-2">\n<figcaption><span class="caption-label">'
                     f"Tabell 2.</span> Jämförbarhet mellan grupperna</figcaption>\n{frame}\n</figure>")
    captioned = frame.replace("<thead>", "<caption>Old</caption><thead>")
    replaced = report_html.table_html(captioned, 1, "Balance & <b>", "en")
    assert "Old" not in replaced and "<caption>" not in replaced
    assert "Table 1.</span> Balance &amp; &lt;b&gt;</figcaption>" in replaced
    with pytest.raises(ValueError, match="language"):
        report_html.caption_label("table", 1, "de")


def test_failing_notebook_names_cell_and_error(study, tmp_path, monkeypatch) -> None:
    use_notebook(monkeypatch, tmp_path, 'raise ValueError("boom")')
    with pytest.raises(HembesokError) as raised:
        report.render_reports(study, tmp_path, tmp_path / "reports", tmp_path / "failed")
    message = str(raised.value)
    assert "cell 2 (`raise ValueError(\"boom\")`) raised ValueError: boom" in message
    kept = tmp_path / "failed" / "tiny_study_sv.ipynb"
    assert kept.is_file() and str(kept) in message


def test_slug() -> None:
    assert report.slug("Söderängen") == "soderangen" and report.slug("Västra Ryd") == "vastra-ryd"


def test_a_printed_pdf_keeps_no_print_time_and_names_its_structure_from_1(tmp_path: Path) -> None:
    """Two prints of one page that differ only in their dates and in Chromium's DOM node numbers
    (every one one higher in the second) come out the same bytes, of the same length (the
    cross-reference offsets stay valid), the names numbered from 1 in their order."""
    def printed(first: int, date: bytes) -> bytes:
        return (b"%PDF-1.4\n1 0 obj <</CreationDate (D:" + date + b") /ModDate (D:" + date + b")>>\n"
                b"2 0 obj <</S /TD /ID (node%08d) /Headers [(node%08d)]>>\n" % (first + 2, first)
                + b"3 0 obj <</IDTree <</Limits [(node%08d) (node%08d)] /Names [(node%08d) 2 0 R "
                  b"(node%08d) 4 0 R]>>>>\n%%%%EOF\n" % (first, first + 2, first, first + 2))
    one, two = tmp_path / "one.pdf", tmp_path / "two.pdf"
    one.write_bytes(printed(150, b"20241202052935+00'00'"))
    two.write_bytes(printed(151, b"20251203101010+00'00'"))
    lengths = one.stat().st_size, two.stat().st_size
    report.stable_pdf(one)
    report.stable_pdf(two)
    assert one.read_bytes() == two.read_bytes()
    assert (one.stat().st_size, two.stat().st_size) == lengths
    assert b"(node00000003) /Headers [(node00000001)]" in one.read_bytes()
    assert b"/Limits [(node00000001) (node00000003)]" in one.read_bytes()
    assert b"D:2024" not in one.read_bytes() and b"D:2025" not in two.read_bytes()


def panels_over_time(figure: Figure) -> Figure:
    """Two panels over birth dates sharing their years, one on a log scale, with a legend and
    a title of two lines: what the report's figures have that their fast paths touch."""
    first, second = figure.subplots(2, 1, sharex=True)
    dates = pd.date_range("2019-01-01", periods=12, freq="QS")
    first.plot(dates, [40 + i for i in range(12)], marker="o", label="Intervention")
    first.plot(dates, [38 + i / 2 for i in range(12)], marker="s", label="Jämförelse")
    second.plot(dates, [0.5 + i / 10 for i in range(12)])
    second.set_yscale("log")
    first.set_title("Andel ammade\nvid 6 månader", loc="left")
    second.set_xlabel("Födelsekvartal")
    first.text(dates[3], 41, "programstart", fontsize=9, style="italic")
    figure.legend(loc="outside upper center", ncol=2)
    return figure


def test_report_figure_images_have_the_pixels_and_layout_of_a_plain_tight_savefig() -> None:
    """figure_images (its renderer's kept text extents, ticks kept once the layout is solved, an
    RGB PNG) against matplotlib's own savefig(bbox_inches="tight") of the same figure."""
    plain = panels_over_time(Figure(figsize=(6, 4), layout="constrained"))
    drawn = io.BytesIO()
    plain.savefig(drawn, format="png", dpi=report_html.PNG_DPI, bbox_inches="tight")
    expected = np.asarray(PIL.Image.open(drawn).convert("RGBA"))
    for _ in range(2):  # the second time with the text extents the first kept
        figure = panels_over_time(figures.ReportFigure(figsize=(6, 4), layout="constrained"))
        locators = [ax.xaxis.get_major_locator() for ax in figure.axes]
        png, svg = report_html.figure_images(figure, svg=True)
        image = PIL.Image.open(io.BytesIO(png))
        assert image.mode == "RGB"  # every pixel opaque: no alpha channel to store
        assert np.array_equal(np.asarray(image.convert("RGBA")), expected)
        assert [ax.xaxis.get_major_locator() for ax in figure.axes] == locators  # given back
        assert svg is not None and b"programstart" in svg
    plain_svg = io.BytesIO()
    with matplotlib.rc_context(report_html.SVG_RC):
        plain.savefig(plain_svg, format="svg", bbox_inches="tight", metadata={"Date": None})
    assert _svg_words(svg) == _svg_words(plain_svg.getvalue())  # the same ticks, labels and words


def test_report_figure_images_share_tick_work_only_within_one_axis_call() -> None:
    """With labels aligned across panels (each y label placed from both panels' tick labels)
    and without, figure_images' axes update and measure their ticks once per call of their
    own: the PNG has savefig's pixels, and afterwards the axes are matplotlib's again."""
    for aligned in (False, True):
        def made(figure: Figure, aligned: bool = aligned) -> Figure:
            figure = panels_over_time(figure)
            figure.axes[0].set_ylabel("Barn")
            figure.axes[1].set_ylabel("Kvot")
            figure.axes[1].set_ylim(0.1, 1000)  # wider tick labels than the panel above
            if aligned:
                figure.align_ylabels()
            return figure

        plain = made(Figure(figsize=(6, 4), layout="constrained"))
        drawn = io.BytesIO()
        plain.savefig(drawn, format="png", dpi=report_html.PNG_DPI, bbox_inches="tight")
        figure = made(figures.ReportFigure(figsize=(6, 4), layout="constrained"))
        png, _ = report_html.figure_images(figure)
        assert np.array_equal(np.asarray(PIL.Image.open(io.BytesIO(png)).convert("RGBA")),
                              np.asarray(PIL.Image.open(drawn).convert("RGBA")))
        for ax in figure.axes:
            for axis in (ax.xaxis, ax.yaxis):
                assert not set(report_html._SHARED_TICK_WORK) & set(vars(axis))


def test_report_figure_svg_has_the_bytes_of_matplotlib_s_own_svg(monkeypatch: pytest.MonkeyPatch) -> None:
    """figure_images draws a report figure's SVG on a `figures.ReportSVGCanvas` (text measures
    kept for the process): the bytes of matplotlib's own SVG canvas drawing the same figure in
    the same box, the second time from the kept measures too; the figure keeps its canvas."""
    def svg_of(kept: bool) -> bytes:
        monkeypatch.setattr(figures.ReportCanvas, "svg_canvas_class",
                            figures.ReportSVGCanvas if kept else None)
        figure = panels_over_time(figures.ReportFigure(figsize=(6, 4), layout="constrained"))
        figure.axes[1].set_ylabel("Kvot (log)\nper år", rotation=90)
        figure.axes[1].text(0.5, 0.5, r"$\chi^2 = 3{,}1$", transform=figure.axes[1].transAxes)
        canvas = figure.canvas
        svg = report_html.figure_images(figure, svg=True)[1]
        assert figure.canvas is canvas and isinstance(canvas, figures.ReportCanvas)
        assert svg is not None
        return svg

    plain = svg_of(kept=False)
    figures.ReportSVGRenderer._extents.clear()
    assert svg_of(kept=True) == plain
    assert figures.ReportSVGRenderer._extents  # measured once, kept
    assert svg_of(kept=True) == plain


def test_png_holds_the_pixels_given_rgb_when_opaque_with_dpi_and_software() -> None:
    """Pixels written by hand (a 3x2 canvas), read back by Pillow: the same values, RGB when
    every pixel is opaque and RGBA when one is not, the dpi and matplotlib's Software text."""
    opaque = np.array([[[255, 0, 0, 255], [0, 255, 0, 255], [0, 0, 255, 255]],
                       [[0, 0, 0, 255], [255, 255, 255, 255], [12, 34, 56, 255]]], dtype=np.uint8)
    image = PIL.Image.open(io.BytesIO(report_html._png(memoryview(opaque.tobytes()), (3, 2), 150)))
    assert image.mode == "RGB" and image.size == (3, 2)
    assert np.array_equal(np.asarray(image), opaque[:, :, :3])
    assert [round(d) for d in image.info["dpi"]] == [150, 150]
    assert image.info["Software"] == f"Matplotlib version{matplotlib.__version__}, https://matplotlib.org/"
    see_through = opaque.copy()
    see_through[1, 2, 3] = 0
    image = PIL.Image.open(io.BytesIO(report_html._png(memoryview(see_through.tobytes()), (3, 2), 96)))
    assert image.mode == "RGBA" and np.array_equal(np.asarray(image), see_through)
    assert report_html._png_size(report_html._png(memoryview(opaque.tobytes()), (3, 2), 96)) == (3, 2)


def _svg_words(svg: bytes) -> list[str]:
    return re.findall(r">([^<]+)</text>", svg.decode("utf-8"))


def test_report_renderer_measures_text_as_agg_does() -> None:
    """The kept text extents and font heights of `figures.ReportRenderer` against a plain Agg
    renderer's measurements, for texts of several lines, sizes, weights and styles and math."""
    texts = [("Andel ammade", {}), ("Amning\nvid 6 mån (%)", {"fontsize": 11, "fontweight": "bold"}),
             ("uppgift undertryckt (<5)", {"fontsize": 9, "style": "italic"}), (r"$\chi^2$ = 3,1", {}),
             ("1 234", {"rotation": 90, "fontfamily": "sans-serif"}), ("", {})]
    for dpi in (72, 150):
        extents = []
        for renderer_class in (RendererAgg, figures.ReportRenderer, figures.ReportRenderer):
            figure = Figure(dpi=dpi)
            renderer = renderer_class(400, 300, dpi)
            extents.append([figure.text(0.1, 0.5, words, **style).get_window_extent(renderer).bounds
                            for words, style in texts])
        assert extents[1] == extents[0] and extents[2] == extents[0]


def test_report_renderer_draws_text_with_the_pixels_of_agg() -> None:
    """`figures.ReportRenderer.draw_text` (each glyph's bitmap kept for where it falls within a
    pixel, drawn again where it falls) against a plain Agg renderer, pixel for pixel: one text
    in every combination of rotation (0, 90, 30 degrees), size, antialiasing and start within a
    pixel (quarters across, halves up), so that a kept bitmap that left out any of them would be
    drawn for another; bold, italic and math texts; and the same figure again from the kept
    bitmaps."""
    def drawn(renderer_class: type) -> np.ndarray:
        figure = Figure(figsize=(6, 4), dpi=150)  # 900 x 600 pixels
        for number in range(144):
            x = 20 + (number % 12) * 72 + (number // 18) % 4 / 4
            y = 20 + (number // 12) * 46 + (number // 72) / 2
            figure.text(x / 900, y / 600, "Åke 5,5 mån (%)", rotation=(0, 90, 30)[number % 3],
                        fontsize=(9, 10, 11)[number // 3 % 3], antialiased=number // 9 % 2 == 0)
        figure.text(0.3, 0.97, "Amning vid 6 mån", fontweight="bold", style="italic")
        figure.text(0.7, 0.97, r"$\chi^2 = 3{,}1$")
        renderer = renderer_class(900, 600, 150)
        figure.draw(renderer)
        return np.asarray(renderer.buffer_rgba()).copy()

    expected = drawn(RendererAgg)
    figures.ReportRenderer._bitmaps.clear()
    assert np.array_equal(drawn(figures.ReportRenderer), expected)
    assert np.array_equal(drawn(figures.ReportRenderer), expected)  # from the kept bitmaps


@pytest.mark.parametrize("committee", [True, False])
def test_the_page_parses_to_what_nbconvert_writes_with_its_own_last_pass(committee: bool) -> None:
    # to_html skips nbconvert's BeautifulSoup pass over the page (report._page_not_reparsed);
    # parsed and written again as that pass does, its page is nbconvert's, byte for byte
    from bs4 import BeautifulSoup
    from nbconvert import HTMLExporter

    png = base64.b64encode(small_figure_png()).decode("ascii")
    executed = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_markdown_cell("## Sammanfattning\n\nAndel ammade: 64 % mot 58 % <br> & mer"),
        nbformat.v4.new_code_cell("show()", outputs=[
            nbformat.v4.new_output("display_data", data={"text/html": report_html.figure_html(
                small_figure(), 1, "Andel ammade", "Staplar: 64 % mot 58 %", "sv")}),
            nbformat.v4.new_output("display_data", data={"image/png": png, "text/plain": "<Figure>"}),
            nbformat.v4.new_output("stream", name="stdout", text="tabell klar\n"),
            nbformat.v4.new_output("execute_result", execution_count=1,
                                   data={"text/html": "<table><tr><td>1&nbsp;234</td></tr></table>"}),
        ]),
    ])
    ours = report.to_html(nbformat.from_dict(executed), committee=committee, title="Rapport")
    theirs = HTMLExporter(template_name=report.TEMPLATE, extra_template_basedirs=[str(report.TEMPLATES)],
                          exclude_input=committee, exclude_input_prompt=True, exclude_output_prompt=True
                          ).from_notebook_node(nbformat.from_dict(executed), resources={"report": {
                              "language": "sv", "title": "Rapport",
                              "audience": "committee" if committee else "technical"}})[0]
    assert str(BeautifulSoup(ours, features="html.parser")) == theirs
    # the process's exporters serve page after page: one of the other kind and language between
    other = report.to_html(nbformat.from_dict(executed), committee=not committee, language="en",
                           title="Report")
    assert '<html lang="en">' in other and "<title>Report</title>" in other
    assert report.to_html(nbformat.from_dict(executed), committee=committee, title="Rapport") == ours
    assert ours.count("<img") == 2 and 'alt="No description has been provided for this image"' in ours
    assert 'alt="Staplar: 64 % mot 58 %"' in ours


def small_figure_png() -> bytes:
    return report_html.figure_images(small_figure())[0]


def test_report_workers_are_gone_when_the_run_stops_on_an_error() -> None:
    """An error in the run stops the report workers before it goes on (killed and waited
    for), rather than leaving them to finish their notebooks into a removed staging folder."""
    import os
    import time

    with pytest.raises(RuntimeError, match="the run stops"):
        with report._workers(2) as pool:
            pool.submit(time.sleep, 30)
            pids = [worker.pid for worker in list(pool._processes.values())]
            raise RuntimeError("the run stops")
    assert pids
    for pid in pids:
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)


def test_the_pdf_shows_each_figure_as_its_svg_file(tmp_path) -> None:
    """Chromium prints a copy of the page whose figures are their SVG files (vector drawings
    in the PDF); a figure without one keeps its PNG, the page itself keeps every PNG, and
    the copy is gone once printed."""
    figures = tmp_path / "figures" / "r"
    figures.mkdir(parents=True)
    for name in ("figur-1-antal-barn.svg", "figur-1-antal-barn.png", "figur-12-andel.svg"):
        (figures / name).write_text("<svg/>")
    page = "".join(f'<figure class="report-figure" id="figur-{n}">\n<img src="data:image/png;base64,'
                   f'{code}" alt="a" width="10" height="5">\n</figure>\n'
                   for n, code in ((1, "AAAA"), (2, "BBBB"), (12, "CCCC")))
    html = tmp_path / "r.html"
    html.write_text(page)
    with report._printed_page(page, html, figures) as printed:
        text = printed.read_text()
        assert printed.parent == html.parent and printed.name.startswith(".") and printed != html
        assert f'<img src="{(figures / "figur-1-antal-barn.svg").resolve().as_uri()}" alt="a"' in text
        assert f'src="{(figures / "figur-12-andel.svg").resolve().as_uri()}"' in text
        assert "base64,AAAA" not in text and "base64,CCCC" not in text
        assert 'id="figur-2">\n<img src="data:image/png;base64,BBBB"' in text  # no SVG: its PNG
    assert not printed.exists() and html.read_text() == page
    with report._printed_page(page, html, None) as printed:
        assert printed == html


def _text_figure(seed: int) -> figures.ReportFigure:
    """A figure of many texts in several sizes and angles (the glyphs of a report's names)."""
    figure = figures.ReportFigure(figsize=(6, 4))
    ax = figure.add_subplot()
    rng = np.random.default_rng(seed)
    for i in range(40):
        ax.text(rng.random(), rng.random(), f"Åsbyhöjden Kvarnbäcken Söderängen {i}",
                fontsize=6 + int(rng.integers(10)), rotation=int(rng.integers(0, 90)))
    return figure


@pytest.mark.skipif(not hasattr(os, "fork"), reason="the report workers are forked only where fork exists")
def test_forked_report_workers_draw_text_with_fonts_of_their_own() -> None:
    """The report workers are forked from the run's process. Glyph layouts kept by
    `ReportRenderer` hold FreeType fonts, whose open font file a forked child shares with its
    parent and siblings at one read position: two workers drawing through the parent's fonts
    at once read each other's bytes ("FT_Load_Glyph failed with error 0x14: invalid outline",
    which stopped a study's reports after the test run had drawn figures in that process, or a
    wrong glyph). Each child must start without them, and draw the parent's very pixels."""
    expected = [report_html.figure_images(_text_figure(seed))[0] for seed in range(3)]
    assert figures.ReportRenderer._layouts  # the parent keeps its glyph layouts (and fonts)
    children = []
    for _ in range(2):
        pid = os.fork()
        if pid == 0:  # pragma: no cover - the child reports by its exit code
            code = 3 if figures.ReportRenderer._layouts or figures.ReportRenderer._bitmaps else 0
            try:
                for i in range(30):
                    if code == 0 and report_html.figure_images(_text_figure(i % 3))[0] != expected[i % 3]:
                        code = 1
            except Exception:  # noqa: BLE001 - any failure is the child's answer
                code = 2
            os._exit(code)
        children.append(pid)
    codes = [os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]) for pid in children]
    assert codes == [0, 0]  # 3: the parent's fonts inherited, 2: FreeType failed, 1: other pixels
