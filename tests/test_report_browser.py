"""The rendered HTML as a reader sees it: headless Chromium loads it, every image loads, no error text.

Needs Debian's `chromium`; `.ci/run` installs it when missing so CI runs this test. On a
machine without it the test is skipped with that reason.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

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
