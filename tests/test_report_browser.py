"""The rendered HTML as a reader sees it: headless Chromium loads it, every image loads, no error text;
nothing is loaded from the internet; each committee report's PDF (printed by the report stage with
headless Chromium) is A4 with pages, and no table is wider than the printed page.

Needs Debian's `chromium`; `.ci/run` installs it when missing so CI runs this test. On a
machine without it the test is skipped with that reason.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from pipeline.stages import report as report_stage

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = pytest.mark.skipif(
    CHROMIUM is None, reason="headless Chromium is not installed (Debian package 'chromium'; "
                             ".ci/run installs it so that CI runs this test)")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--allow-file-access-from-files", "--virtual-time-budget=20000"]
ERROR_TEXT = ("Traceback", "NameError", "KeyError", "ValueError", "TypeError", "Exception", "nan%", "NaN")

# A wrapper page that opens the report in an iframe and writes what it finds into its own DOM.
PROBE = """<!doctype html><html><body><pre id="result">pending</pre>
<iframe id="report" src="{src}" style="width:1200px;height:800px"></iframe>
<script>
document.getElementById('report').addEventListener('load', () => {{
  const doc = document.getElementById('report').contentDocument;
  const images = Array.from(doc.images);
  const broken = images.filter(i => !(i.complete && i.naturalWidth > 0)).length;
  document.getElementById('result').textContent =
    'images=' + images.length + ' broken=' + broken + ' text=' + doc.body.innerText.length;
}});
</script></body></html>"""


# The print layout: the report opened in a frame as wide as an A4 page less the @page margins
# (CSS px at 96 dpi, as Chromium prints), with the page's print rules switched on for every
# medium; then every table and image is measured against the frame's width.
PRINT_PROBE = """<!doctype html><html><body><pre id="result">pending</pre>
<iframe id="report" src="{src}" style="width:{width}px;height:1100px;border:0"></iframe>
<script>
document.getElementById('report').addEventListener('load', () => {{
  const doc = document.getElementById('report').contentDocument;
  let printRules = 0;
  for (const sheet of doc.styleSheets) {{
    for (const rule of sheet.cssRules) {{
      if (rule.media && /print/.test(rule.media.mediaText)) {{ rule.media.mediaText = 'all'; printRules++; }}
    }}
  }}
  doc.documentElement.style.overflow = 'hidden';  // a printed page has no scroll bar
  const page = doc.documentElement.clientWidth;
  const wide = Array.from(doc.querySelectorAll('table, img, figure, pre'))
    .filter(e => e.getBoundingClientRect().right > page + 0.5 || e.scrollWidth > e.clientWidth + 1)
    .map(e => e.tagName + ':' + Math.round(e.getBoundingClientRect().width));
  document.getElementById('result').textContent = 'rules=' + printRules + ' page=' + page
    + ' tables=' + doc.querySelectorAll('table').length + ' scroll=' + doc.documentElement.scrollWidth
    + ' wide=' + (wide.join(',') || 'none');
}});
</script></body></html>"""
A4_MM = (210.0, 297.0)
PAGE_MARGINS = re.compile(r"@page\s*{[^}]*margin:\s*([\d.]+)mm\s+([\d.]+)mm(?:\s+[\d.]+mm\s+([\d.]+)mm)?")
A4_PT = tuple(mm / 25.4 * 72 for mm in A4_MM)
EXTERNAL_LOAD = re.compile(r"<(?!a\b)[a-z]+\b[^>]*\b(?:src|href)\s*=\s*[\"']?\s*(?:https?:)?//"
                           r"|url\(\s*[\"']?\s*(?:https?:)?//|@import", re.I)


def chromium(args: list[str], profile: Path) -> subprocess.CompletedProcess:
    return subprocess.run([CHROMIUM, *FLAGS, f"--user-data-dir={profile}", *args],
                          capture_output=True, text=True, timeout=120)


@pytest.fixture(scope="module")
def reports(small_study) -> list[Path]:
    root, _, _ = small_study
    found = sorted((root / "outputs" / "small" / "reports").glob("*.html"))
    assert found, "no reports rendered"
    return found


def test_reports_render_in_chromium(reports: list[Path], tmp_path: Path) -> None:
    for report in reports:
        body = report.read_text(encoding="utf-8").split("<body", 1)[-1]
        visible = re.sub(r"data:image/[a-z]+;base64,[A-Za-z0-9+/=]+", "", body)  # not the image bytes
        # the technical version shows code, which may name exceptions; a traceback is never allowed
        markers = ("Traceback",) if "technical" in report.name else ERROR_TEXT
        for marker in markers:
            assert marker not in visible, (report.name, marker)
        probe = tmp_path / f"probe_{report.stem}.html"
        probe.write_text(PROBE.format(src=report.as_uri()), encoding="utf-8")
        done = chromium(["--dump-dom", probe.as_uri()], tmp_path / "profile")
        assert done.returncode == 0, done.stderr[-2000:]
        result = done.stdout.split('<pre id="result">', 1)[1].split("</pre>", 1)[0]
        counts = dict(part.split("=") for part in result.split())
        assert int(counts["images"]) >= 3, (report.name, result)
        assert counts["broken"] == "0", (report.name, result)
        assert int(counts["text"]) > 1000, (report.name, result)


def test_screenshot(reports: list[Path], tmp_path: Path) -> None:
    shot = tmp_path / "report.png"
    report = next(r for r in reports if r.name.endswith("_study_sv.html"))
    done = chromium([f"--screenshot={shot}", "--window-size=1280,2400", report.as_uri()], tmp_path / "p")
    assert done.returncode == 0, done.stderr[-2000:]
    assert shot.is_file() and shot.stat().st_size > 20_000  # a blank page is a few kB


def committee(reports: list[Path]) -> list[Path]:
    return [r for r in reports if "technical" not in r.name]


def test_html_loads_nothing_from_elsewhere(reports: list[Path]) -> None:
    for report in reports:
        page = report.read_text(encoding="utf-8")
        found = EXTERNAL_LOAD.search(page)
        assert found is None, (report.name, found and found.group())
        assert "http://" not in page and "https://" not in page, report.name  # no external URL at all


def test_committee_reports_have_a4_pdfs_with_pages(reports: list[Path]) -> None:
    for report in committee(reports):
        pdf = report.with_suffix(".pdf")
        assert pdf.is_file(), f"no PDF beside {report.name}"
        data = pdf.read_bytes()
        assert data.startswith(b"%PDF-") and data.rstrip().endswith(b"%%EOF"), pdf.name
        pages = len(re.findall(rb"/Type\s*/Page(?![A-Za-z])", data))
        assert pages >= 3, (pdf.name, pages)
        boxes = {tuple(float(v) for v in box.split()[2:])
                 for box in re.findall(rb"/MediaBox\s*\[([^\]]+)\]", data)}
        assert boxes and all(abs(w - A4_PT[0]) < 2 and abs(h - A4_PT[1]) < 2 for w, h in boxes), boxes
    assert not list(reports[0].parent.glob("*technical*.pdf"))  # the technical version is not printed


def test_no_table_wider_than_the_printed_page(reports: list[Path], tmp_path: Path) -> None:
    for report in committee(reports):
        page = report.read_text(encoding="utf-8")
        margins = PAGE_MARGINS.search(page)
        assert margins, "the report has no @page margins"
        right = float(margins.group(2))
        left = float(margins.group(3) or right)
        width = round((A4_MM[0] - left - right) / 25.4 * 96)
        probe = tmp_path / f"print_{report.stem}.html"
        probe.write_text(PRINT_PROBE.format(src=report.as_uri(), width=width), encoding="utf-8")
        done = chromium(["--dump-dom", probe.as_uri()], tmp_path / "profile")
        assert done.returncode == 0, done.stderr[-2000:]
        result = done.stdout.split('<pre id="result">', 1)[1].split("</pre>", 1)[0]
        found = dict(part.split("=", 1) for part in result.split())
        assert int(found["rules"]) >= 1, (report.name, result)  # the print rules were applied
        assert int(found["page"]) == width and int(found["tables"]) >= 5, (report.name, result)
        assert found["wide"] == "none" and int(found["scroll"]) <= width, (report.name, result)


def _without_node_numbers(pdf: Path) -> bytes:
    return re.sub(rb"\(node\d{8}\)", b"(node)", pdf.read_bytes())


def test_a_kept_browser_prints_the_pdf_print_to_pdf_prints(reports: list[Path], tmp_path: Path) -> None:
    """The report stage keeps one browser per worker, driven over the DevTools pipe; a PDF it
    prints is the same bytes as one printed by a browser of its own with --print-to-pdf, but
    for the numbers naming the tagged PDF's structure elements (`/ID (node00000150)`, and
    the table cells' `/Headers` and the ID tree that refer to them): they are Chromium's DOM
    node numbers, which in some prints came out one apart whichever browser prints. The stage
    numbers them from 1 (`stable_pdf`), which makes a print one apart the same bytes; the
    names stay masked here in case some print numbers its nodes otherwise than one apart."""
    kept = report_stage.KeptBrowser(CHROMIUM)
    try:
        for report in committee(reports)[:2]:
            assert kept.print_pdf(report, tmp_path / f"kept_{report.name}.pdf") is None
            assert kept.process is not None and kept.drivable  # the kept browser printed it
            assert report_stage.print_pdf(report, tmp_path / f"own_{report.name}.pdf", CHROMIUM) is None
            assert _without_node_numbers(tmp_path / f"kept_{report.name}.pdf") == \
                _without_node_numbers(tmp_path / f"own_{report.name}.pdf")
        profile = Path(kept.profile)
    finally:
        kept.close()
    assert kept.process is None and not profile.exists()


def test_a_browser_leaves_no_folder_of_its_own_behind(tmp_path: Path) -> None:
    """The folder Chromium makes for its single-instance socket (linked from the profile's
    SingletonSocket) goes with the browser, kept or printing one PDF: stopped by a signal, the
    browser left one in the temporary folder per run."""
    import os
    import time

    page = tmp_path / "page.html"
    page.write_text("<p>Barn i Norrbyåsen</p>", encoding="utf-8")
    browser = report_stage.KeptBrowser(CHROMIUM)
    assert browser.print_pdf(page, tmp_path / "kept.pdf") is None
    link = Path(browser.profile) / "SingletonSocket"
    for _ in range(100):  # the browser makes its socket a moment after it starts
        if link.is_symlink():
            break
        time.sleep(0.05)
    socket_folder = Path(os.readlink(link)).parent
    assert socket_folder.is_dir() and socket_folder.name.startswith("org.chromium.")
    browser.close()
    assert not socket_folder.exists()

    made: list[Path] = []
    remove = report_stage.remove_singleton_folder

    def noting(profile: str | Path) -> None:  # the folder, if print_pdf's browser made one
        if (Path(profile) / "SingletonSocket").is_symlink():
            made.append(Path(os.readlink(Path(profile) / "SingletonSocket")).parent)
        remove(profile)

    report_stage.remove_singleton_folder = noting
    try:
        assert report_stage.print_pdf(page, tmp_path / "once.pdf", CHROMIUM) is None
    finally:
        report_stage.remove_singleton_folder = remove
    assert not any(folder.exists() for folder in made)
