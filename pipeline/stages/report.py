"""Stage 5, report: execute the evaluation notebook with papermill, render HTML and PDF.

One report for the whole study and one per intervention area, each in Swedish and
English, for the committee (no code, no tracebacks, no warnings); plus a technical version
of the whole-study report in the study's language that shows the code. Reports are
executed in parallel (`--jobs`) by worker processes forked from the run once it has imported
what the notebook needs; each executes its notebooks itself, with papermill and an IPython shell
put back in a fresh kernel's state before each report (`notebook_shell`: no Jupyter kernel to
start, no second import of the pipeline). Each executed notebook is made into its page (and
PDF, by one kept headless browser) in the run's process while the workers go on to the next
notebooks, so that the workers never wait for a page to be written or printed. A failing
notebook stops the run with the cell and the error named; the executed notebook is kept
for debugging.

The HTML is self-contained and loads nothing from the internet (our own nbconvert template
in pipeline/report_templates/, with screen and A4 print styles). Each committee report is
also printed to PDF beside its HTML with headless Chromium when it is installed; without
it the stage says how to get PDFs and goes on. The figures of committee report
`reports/<name>.html` are written as PNG and SVG to `figures/<name>/` (notebook parameter
`figures_dir`). A figure that several reports show (the technical report shows most of the
Swedish study report's; an area report shows the study report's figures of tables not made
by area) is drawn once: the reports share a folder of drawn figures (`figure_cache`), removed
when they are rendered.
"""

from __future__ import annotations

import base64
import contextlib
import dataclasses
import fcntl
import functools
import gc
import json
import os
import re
import select
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor, ThreadPoolExecutor
from importlib import resources
from pathlib import Path
from typing import Any

from pipeline import text
from pipeline.config import Study
from pipeline.errors import HembesokError
from pipeline.parallel import die_with_parent, dying_with_this_process, first_done, stop_workers
from pipeline.progress import step_message
from pipeline.publish import scan_ahead
from pipeline.report_html import slug
from pipeline.stages.notebook_shell import NotebookShell, preload, register_engine
from pipeline.store import WRITE_FAILURES

NOTEBOOK = "evaluation.ipynb"
LANGUAGES = ("sv", "en")
KERNEL = "python3"
EXECUTION_TIMEOUT_S = 600
TEMPLATES = Path(__file__).resolve().parents[1] / "report_templates"
TEMPLATE = "hembesok"
BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
PDF_TIMEOUT_S = 180
# Headless printing: no sandbox (root in containers), no network, no profile left behind;
# both spellings of "no header and footer" (older and newer Chromium), unknown flags are ignored.
BROWSER_FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--no-first-run", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--disable-extensions")
PDF_FLAGS = (*BROWSER_FLAGS, "--no-pdf-header-footer", "--print-to-pdf-no-header")
# What --print-to-pdf asks of Chromium's Page.printToPDF (its headless command handler): the
# page's own @page size (A4), backgrounds, no header and footer; a kept browser asks the same.
PRINT_OPTIONS = {"printBackground": True, "preferCSSPageSize": True, "displayHeaderFooter": False}
PDF_DATES = re.compile(rb"/(?:CreationDate|ModDate) ?\(D:[0-9Z+\-']*\)")  # in the information dictionary
PDF_NODE_NAMES = re.compile(rb"\(node(\d{8})\)")  # the tagged PDF's structure element names
NO_BROWSER = ("PDFs not made: headless Chromium is not installed (on Debian/Ubuntu: "
              "sudo apt-get install chromium); the HTML reports are complete without it")
TECHNICAL_TITLE = {"sv": "teknisk rapport", "en": "technical report"}
FIGURE_CACHE = ".figure-cache"  # in the reports folder while the reports are rendered


@dataclasses.dataclass(frozen=True)
class ReportJob:
    """One report to render: its parameters and where the HTML (and PDF) go."""

    name: str
    language: str
    area: str
    audience: str
    after: str | None = None  # a report whose figures this one shows: rendered first (see _scheduled)

    @property
    def html_name(self) -> str:
        return f"{self.name}.html"

    @property
    def pdf_name(self) -> str:
        return f"{self.name}.pdf"

    @property
    def committee(self) -> bool:
        return self.audience == "committee"


@dataclasses.dataclass(frozen=True)
class Rendered:
    """What rendering one report gave: its files, or why it failed."""

    job: ReportJob
    html: Path | None = None
    pdf: Path | None = None
    error: str | None = None  # the notebook failed: the run stops
    pdf_problem: str | None = None  # no PDF: said, never a failure

    @property
    def files(self) -> list[Path]:
        return [path for path in (self.html, self.pdf) if path is not None]


@dataclasses.dataclass(frozen=True)
class Executed:
    """One report's notebook as a worker executed it, or why it could not be executed."""

    job: ReportJob
    notebook: Any = None  # the executed NotebookNode
    error: str | None = None


def notebook_path() -> Path:
    """The evaluation notebook: notebooks/ beside the package (a checkout) or packaged."""
    beside = Path(__file__).resolve().parents[2] / "notebooks" / NOTEBOOK
    if beside.is_file():
        return beside
    return Path(str(resources.files("pipeline").joinpath(f"notebooks/{NOTEBOOK}")))


def report_jobs(study: Study) -> list[ReportJob]:
    """The study report and one per intervention area, sv and en; one technical version."""
    jobs = []
    for area in ("all", *study.design.intervention_areas):
        for language in LANGUAGES:
            place = "study" if area == "all" else slug(area)
            jobs.append(ReportJob(f"{study.name}_{place}_{language}", language, area, "committee"))
    jobs.append(ReportJob(f"{study.name}_study_{study.language}_technical", study.language, "all",
                          "technical", after=f"{study.name}_study_{study.language}"))
    return jobs


def report_title(study_title: str | None, job: ReportJob) -> str:
    """The page's <title>: the study's title (or a generic one), " – <area>" for an area report."""
    title = (study_title or "").strip() or text.phrase("title_fallback", job.language)
    if job.area != "all":
        title += f" \u2013 {job.area}"
    if not job.committee:
        title += f" ({TECHNICAL_TITLE[job.language]})"
    return title


def pdf_browser() -> str | None:
    """The headless browser that prints PDFs (Debian's `chromium`), or None when none is installed."""
    for name in BROWSERS:
        found = shutil.which(name)
        if found:
            return found
    return None


def render_reports(study: Study, run_folder: Path, reports_dir: Path, failed_dir: Path,
                   jobs: int = 1, *, figures_dir: Path | None = None, run_label: str | None = None,
                   progress: Callable[[str], None] = lambda _: None) -> list[Path]:
    """Execute and render every report (HTML, and PDF for the committee); return the files written.

    `run_folder` is where the notebook reads the run's tables (the staged outputs during a
    run); `run_label` is the folder shown in its place (the real outputs/<study>).
    `figures_dir` receives each committee report's figures in a subfolder named after it.
    Raises HembesokError naming the failing cell when a notebook fails.
    """
    reports_dir.mkdir(parents=True, exist_ok=True)
    browser = pdf_browser()
    all_jobs = report_jobs(study)
    if browser is None:
        progress(f"report: {NO_BROWSER}")
    # in the staged run folder, so that the technical report shows it under `run_label`
    figure_cache = reports_dir / FIGURE_CACHE
    shutil.rmtree(figure_cache, ignore_errors=True)  # figures drawn by other code
    figure_cache.mkdir()
    work = [(job, str(run_folder), str(reports_dir), str(failed_dir), study.name,
             str(figures_dir / job.name) if figures_dir is not None and job.committee else None,
             str(figure_cache))
            for job in all_jobs]
    results: dict[str, Rendered] = {}
    printer = KeptBrowser(browser) if browser else None
    if printer is not None:
        printer.start()  # it starts while the first notebooks run

    def finish(executed: Executed) -> Rendered | Future[Rendered]:
        """The report's HTML written and scanned; a committee report's PDF then printed on
        the printing thread (the future of that), so that the next page need not wait for it."""
        job = executed.job
        if executed.error is not None:
            return Rendered(job, error=executed.error)
        figures = figures_dir / job.name if figures_dir is not None and job.committee else None
        title = report_title(study.title_in(job.language), job)
        page, rendered = write_html(executed.notebook, job, run_folder=str(run_folder),
                                    reports_dir=reports_dir, title=title, run_label=run_label)
        # the run scans every output for personnummer before it publishes: these files now,
        # while notebooks still run, rather than all of them at the end
        drawn = [path for path in figures.iterdir() if path.is_file()] if figures and figures.is_dir() else []
        scan_ahead([rendered.html, *sorted(drawn)])
        if printer is None or not job.committee:
            return rendered
        return printing.submit(print_page, page, rendered, printer, figures)

    def done(rendered: Rendered) -> None:
        results[rendered.job.name] = rendered
        if rendered.error is None:
            made = " + ".join(path.suffix.lstrip(".").upper() for path in rendered.files)
            progress(step_message("report", len(results), len(work), f"{rendered.job.name} ({made})"))
            if rendered.pdf_problem:
                progress(f"report: {rendered.job.name}: PDF not made: {rendered.pdf_problem}")

    # pages are written one at a time, and PDFs printed one at a time, in this process while
    # the notebooks run; each thread starts with its first task, after the workers are forked
    # (a thread importing a module while the run forks leaves the worker that lock, held)
    pages = ThreadPoolExecutor(max_workers=1, thread_name_prefix="report-pages")
    printing = ThreadPoolExecutor(max_workers=1, thread_name_prefix="report-pdfs")
    written: list[Future] = []
    try:
        # in worker processes even with --jobs 1: a notebook's code never runs in the run's process
        with _workers(max(jobs, 1)) as pool:
            for executed in _scheduled(pool, work, max(jobs, 1)):
                written.append(pages.submit(finish, executed))
                _report_done(written, done)
        for future in written:
            done(_rendered(future))  # a page that could not be written raises here
    finally:
        pages.shutdown(wait=True, cancel_futures=True)
        printing.shutdown(wait=True, cancel_futures=True)
        if printer is not None:
            printer.close()
        shutil.rmtree(figure_cache, ignore_errors=True)
    ordered = [results[job.name] for job in all_jobs]
    problems = [rendered.error for rendered in ordered if rendered.error]
    if problems:
        raise HembesokError("report failed:\n" + "\n".join(problems))
    return [path for rendered in ordered for path in rendered.files]


def _report_done(written: list[Future], done: Callable[[Rendered], None]) -> None:
    """Say each report whose page is written (and PDF printed), in the order executed (taken
    off `written`)."""
    while written and written[0].done() and _finished(written[0].result()):
        done(_rendered(written.pop(0)))


def _finished(result: Rendered | Future[Rendered]) -> bool:
    return not isinstance(result, Future) or result.done()


def _rendered(future: Future) -> Rendered:
    """A report's `Rendered`, once its page is written and its PDF, if it has one, printed."""
    result = future.result()
    return result.result() if isinstance(result, Future) else result


def _scheduled(pool: ProcessPoolExecutor, work: list[tuple], jobs: int) -> Iterator[Executed]:
    """Execute `work` on `jobs` workers, yielding each report's notebook as it is executed.

    A report with `after` (the technical version: most of its figures are the study report's)
    starts only once that report is done, so that it takes their images from the figure cache
    instead of drawing them a second time beside it, and after every other report has started.
    The technical version has no PDF: when it ends the stage, its page is written at once,
    while the committee reports' last PDFs are printed beside it on the other core. Started
    before the last area reports (as until the fifteenth session), one of those ended the
    stage with its PDF printed alone: the demo's report stage 0.7 s longer (README).
    """
    waiting = list(work)
    running: dict[Future, ReportJob] = {}
    finished: set[str] = set()
    names = {item[0].name for item in work}
    while waiting or running:
        while waiting and len(running) < jobs:
            ready = [item for item in waiting if item[0].after in finished or item[0].after not in names]
            if not ready:
                break
            item = next((i for i in ready if i[0].after is None), ready[0])
            waiting.remove(item)
            running[pool.submit(_execute, *item)] = item[0]
        completed, _ = first_done(running)
        for future in completed:
            finished.add(running.pop(future).name)
            yield future.result()


@contextlib.contextmanager
def _workers(jobs: int) -> Iterator[ProcessPoolExecutor]:
    """Worker processes that die with the run: killed when the run stops on an error, Ctrl-C or
    SIGTERM (rather than left to finish their notebooks into a removed staging folder), and,
    on Linux, by the kernel when the run itself is killed."""
    preload()
    pool = ProcessPoolExecutor(max_workers=jobs, initializer=_worker_started, initargs=(os.getpid(),))
    try:
        yield pool
    except BaseException:
        stop_workers(pool)
        raise
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def _worker_started(run_pid: int) -> None:
    """A report worker: dies with the run; Ctrl-C and SIGTERM are the run's to handle. Its
    session serves every report the worker executes. What it inherits from the run (the
    modules `preload` imported, some 190,000 objects) is frozen out of the garbage collector's
    passes at once: the first report's fresh shell would otherwise walk it all (80 ms)."""
    global _WORKER_SESSION
    gc.freeze()
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    die_with_parent(run_pid)
    _WORKER_SESSION = ReportSession()


_WORKER_SESSION: ReportSession | None = None


def _execute(*item: object) -> Executed:
    """Execute one report's notebook in a worker, with the worker's session."""
    assert _WORKER_SESSION is not None, "a report worker starts with _worker_started"
    return _WORKER_SESSION.execute(*item)  # type: ignore[arg-type]


class ReportSession:
    """What executes one report's notebook after another, in a report worker's own process
    (`notebook_shell`). One per worker."""

    def __init__(self) -> None:
        self.shell = NotebookShell()

    def execute(self, job: ReportJob, run_folder: str, reports_dir: str, failed_dir: str, study: str,
                figures_dir: str | None, figure_cache: str | None) -> Executed:
        """Execute one report's notebook with papermill (its page is `write_html`'s)."""
        import papermill
        from papermill.exceptions import PapermillExecutionError

        executed = Path(reports_dir) / f".{job.name}.ipynb"
        if figures_dir is not None:
            shutil.rmtree(figures_dir, ignore_errors=True)  # figures of an earlier run of this report
        try:
            # the executed notebook is written once, at the end (or when a cell fails), not
            # after every cell as papermill does by default
            notebook = papermill.execute_notebook(
                str(notebook_path()), str(executed), kernel_name=KERNEL, progress_bar=False,
                parameters={"study": study, "run_folder": run_folder, "language": job.language,
                            "area": job.area, "audience": job.audience, "figures_dir": figures_dir,
                            "figure_cache": figure_cache},
                request_save_on_cell_execute=False, log_output=False,
                engine_name=register_engine(), shell=self.shell.fresh(),
                execution_timeout=EXECUTION_TIMEOUT_S)
        except PapermillExecutionError as error:
            kept = _keep_failed(executed, Path(failed_dir), job)
            first_line = (error.source or "").strip().splitlines()[0] if (error.source or "").strip() else ""
            return Executed(job, error=(
                f"  {job.name}: cell {_original_cell_number(error.source, error.cell_index)} "
                f"(`{first_line[:80]}`) raised {error.ename}: {error.evalue}\n"
                f"    executed notebook kept at {kept}"))
        except Exception as error:  # a missing notebook, a shell that could not start
            if isinstance(error, OSError) and error.errno in WRITE_FAILURES:
                raise  # a full disk, a read-only folder: the run names the folder
            return Executed(job, error=f"  {job.name}: could not execute the notebook "
                                       f"({type(error).__name__}: {error})")
        executed.unlink()
        return Executed(job, notebook)


def write_html(notebook, job: ReportJob, *, run_folder: str, reports_dir: Path, title: str,  # noqa: ANN001
               run_label: str | None) -> tuple[str, Rendered]:
    """Write an executed report's HTML; returns the page and what was written."""
    stable_cell_ids(notebook)
    if run_label:
        show_folder_as(notebook, run_folder, run_label)
    html = Path(reports_dir) / job.html_name
    page = to_html(notebook, committee=job.committee, language=job.language, title=title)
    html.write_text(page, encoding="utf-8")
    return page, Rendered(job, html=html)


def print_page(page: str, rendered: Rendered, printer: KeptBrowser, figures: Path | None = None) -> Rendered:
    """Print a written report page (`write_html`) to PDF beside its HTML, its figures as the
    SVG files in `figures`, the report's figure folder, where they are there; the PDF is
    scanned as the HTML was."""
    html = rendered.html
    pdf = html.with_name(rendered.job.pdf_name)
    with _printed_page(page, html, figures) as printed:
        problem = printer.print_pdf(printed, pdf)
    if problem:
        return dataclasses.replace(rendered, pdf_problem=problem)
    scan_ahead([pdf])
    return dataclasses.replace(rendered, pdf=pdf)


_EMBEDDED_FIGURE = re.compile(
    r'(<figure class="report-figure" id="(?P<label>[^"]+)">\s*<img src=")data:image/png;base64,[^"]*"')


@contextlib.contextmanager
def _printed_page(page: str, html: Path, figures: Path | None) -> Iterator[Path]:
    """The page Chromium prints: the report's own HTML, but each figure whose SVG file is in
    `figures` (`figure_html` writes "<label>-<caption>.svg" beside the PNG) shown as that file.

    The PDF then holds the figures as vector drawings, as sharp as the page's text, and its
    text can be searched; and Chromium need not decode each PNG and compress its pixels again
    into the PDF: the demo's study report 3.0 MB -> 1.4 MB, about 0.4 s less of Chromium's
    time per report. The HTML itself keeps its embedded PNGs (one self-contained file). The
    SVG's text is in DejaVu Sans, matplotlib's font, which Debian's fontconfig installs
    (fonts-dejavu-core). A temporary file beside the HTML, removed once printed."""
    svgs = {path.name: path for path in figures.glob("*.svg")} if figures and figures.is_dir() else {}

    def vector(match: re.Match) -> str:
        prefix = f"{match['label']}-"
        found = [path for name, path in svgs.items() if name.startswith(prefix)]
        return f'{match[1]}{found[0].resolve().as_uri()}"' if len(found) == 1 else match[0]

    printed = _EMBEDDED_FIGURE.sub(vector, page) if svgs else page
    if printed == page:
        yield html
        return
    with tempfile.NamedTemporaryFile("w", encoding="utf-8", dir=html.parent, prefix=f".{html.stem}-",
                                     suffix=".html", delete=False) as handle:
        handle.write(printed)
    try:
        yield Path(handle.name)
    finally:
        Path(handle.name).unlink(missing_ok=True)


class KeptBrowser:
    """Headless Chromium kept open to print report after report: one browser start per run
    rather than one per PDF (a start costs over a second, more than half of printing a report),
    and one tab, taken from report to report (a tab of its own per PDF cost a tenth of the
    browser's time printing: a page process started and stopped each time).

    Driven over the DevTools protocol on a pipe (`--remote-debugging-pipe`: no port, nothing
    beyond the standard library) and printed with the options Chromium's own `--print-to-pdf`
    uses, so that a PDF is the same bytes either way. A browser that cannot be driven so (an
    old Chromium, a stand-in script) prints each PDF with `--print-to-pdf` (`print_pdf`), as
    does a kept browser that fails: the next report starts a new one.
    """

    def __init__(self, browser: str) -> None:
        self.browser = browser
        self.process: subprocess.Popen | None = None
        self.profile = ""
        self.commands = self.answers = -1  # our ends of the pipes to and from the browser
        self.received = bytearray()
        self.last_id = 0
        self.loaded: set[str] = set()  # the sessions whose page has loaded
        self.tab: str | None = None  # the session of the tab that prints, once opened
        self.drivable = True  # until the browser proves not to be
        self.printed = False

    def start(self) -> None:
        """Start the browser if it is not running (it starts while the caller goes on)."""
        if self.process is not None or not self.drivable:
            return
        self.profile = tempfile.mkdtemp(prefix="hembesok-chromium-")
        to_browser, self.commands = os.pipe()
        self.answers, from_browser = os.pipe()
        # The browser reads commands on its fd 3 and answers on fd 4; its ends are first moved
        # above both so that putting one in place cannot overwrite the other.
        ends = [fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, 10) for fd in (to_browser, from_browser)]
        os.close(to_browser)
        os.close(from_browser)
        dying = dying_with_this_process()

        def in_child() -> None:
            if dying is not None:
                dying()
            os.dup2(ends[0], 3)  # dup2 makes both inheritable; every other descriptor the
            os.dup2(ends[1], 4)  # run holds is close-on-exec (PEP 446), hence close_fds=False

        try:
            self.process = subprocess.Popen(
                [self.browser, *BROWSER_FLAGS, "--remote-debugging-pipe", f"--user-data-dir={self.profile}",
                 "about:blank"], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL, close_fds=False, preexec_fn=in_child)
        except OSError:
            self.drivable = False
            self.close()
        finally:
            for fd in ends:
                os.close(fd)

    def print_pdf(self, html: Path, pdf: Path) -> str | None:
        """Print an HTML report to PDF, as `print_pdf` does; None when written, else why not."""
        self.start()
        if self.process is not None:
            try:
                self._print(html, pdf)
            except (OSError, ValueError, RuntimeError, KeyError):  # a browser that cannot be driven
                self.drivable = self.printed
                self.close()
            else:
                self.printed = True
                if pdf.read_bytes()[:5] == b"%PDF-":
                    stable_pdf(pdf)
                    return None
        return print_pdf(html, pdf, self.browser)

    def close(self) -> None:
        """Stop the browser and remove its profile."""
        process, self.process = self.process, None
        for fd in (self.commands, self.answers):
            if fd >= 0:
                os.close(fd)
        self.commands = self.answers = -1
        self.received.clear()
        self.loaded.clear()
        self.tab = None
        if process is not None:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        if self.profile:
            remove_singleton_folder(self.profile)
            for _ in range(20):  # a helper process of the browser may still write a last file
                shutil.rmtree(self.profile, ignore_errors=True)
                if not os.path.exists(self.profile):
                    break
                time.sleep(0.05)
            self.profile = ""

    def _print(self, html: Path, pdf: Path) -> None:
        deadline = time.monotonic() + PDF_TIMEOUT_S
        pdf.unlink(missing_ok=True)
        if self.tab is None:
            target = self._call(deadline, "Target.createTarget", url="about:blank")["targetId"]
            session = self._call(deadline, "Target.attachToTarget", targetId=target,
                                 flatten=True)["sessionId"]
            self._call(deadline, "Page.enable", session=session)
            self.tab = session
        session = self.tab
        self.loaded.discard(session)  # the last report's page
        opened = self._call(deadline, "Page.navigate", session=session, url=Path(html).resolve().as_uri())
        if opened.get("errorText"):
            raise RuntimeError(f"{html} could not be opened ({opened['errorText']})")
        while session not in self.loaded:
            self._receive(deadline)
        stream = self._call(deadline, "Page.printToPDF", session=session, transferMode="ReturnAsStream",
                            **PRINT_OPTIONS)["stream"]
        with pdf.open("wb") as out:
            while True:
                chunk = self._call(deadline, "IO.read", session=session, handle=stream, size=1 << 20)
                out.write(base64.b64decode(chunk["data"]) if chunk.get("base64Encoded")
                          else chunk["data"].encode("utf-8"))
                if chunk.get("eof"):
                    break
        self._call(deadline, "IO.close", session=session, handle=stream)

    def _call(self, deadline: float, method: str, *, session: str | None = None, **params: object) -> dict:
        """Send a DevTools command and wait for its answer (events in between are noted)."""
        self.last_id += 1
        command = {"id": self.last_id, "method": method, "params": params}
        if session is not None:
            command["sessionId"] = session
        data = json.dumps(command).encode() + b"\0"
        while data:
            data = data[os.write(self.commands, data):]
        while True:
            answer = self._receive(deadline)
            if answer.get("id") == self.last_id:
                if "error" in answer:
                    raise RuntimeError(f"{method}: {answer['error'].get('message')}")
                return answer.get("result", {})

    def _receive(self, deadline: float) -> dict:
        """The browser's next message (NUL-terminated JSON)."""
        while (end := self.received.find(b"\0")) < 0:
            ready, _, _ = select.select([self.answers], [], [], max(0.0, deadline - time.monotonic()))
            if not ready:
                raise TimeoutError(f"no answer from the browser in {PDF_TIMEOUT_S} s")
            chunk = os.read(self.answers, 1 << 20)
            if not chunk:
                raise ConnectionError("the browser closed the pipe")
            self.received += chunk
        message = json.loads(self.received[:end])
        del self.received[:end + 1]
        if message.get("method") == "Page.loadEventFired":
            self.loaded.add(message.get("sessionId"))
        return message


def remove_singleton_folder(profile: str | Path) -> None:
    """Remove the folder Chromium made beside a profile for its single-instance socket
    (`/tmp/org.chromium.Chromium.XXXXXX`, which the profile's SingletonSocket links into),
    once the browser has exited: a browser stopped by a signal leaves it behind, one per
    run and report printed."""
    link = Path(profile) / "SingletonSocket"
    try:
        folder = Path(os.readlink(link)).parent
    except OSError:  # no socket (the browser never started), or not a link
        return
    if folder.name.startswith("org.chromium.") and folder.is_dir():
        shutil.rmtree(folder, ignore_errors=True)


def print_pdf(html: Path, pdf: Path, browser: str) -> str | None:
    """Print an HTML report to PDF (A4, the page's print styles) with headless Chromium.

    Returns None when the PDF was written, else what went wrong (never raises: a missing
    PDF is reported, not a failed run).
    """
    pdf.unlink(missing_ok=True)
    with tempfile.TemporaryDirectory(prefix="hembesok-chromium-") as profile:
        try:
            done = subprocess.run(
                [browser, *PDF_FLAGS, f"--user-data-dir={profile}", f"--print-to-pdf={pdf}",
                 Path(html).resolve().as_uri()],
                capture_output=True, text=True, timeout=PDF_TIMEOUT_S, check=False,
                stdin=subprocess.DEVNULL, preexec_fn=dying_with_this_process())
        except (OSError, subprocess.SubprocessError) as error:
            return f"{Path(browser).name} could not be run ({type(error).__name__}: {error})"
        finally:
            remove_singleton_folder(profile)
    if pdf.is_file() and pdf.read_bytes()[:5] == b"%PDF-":
        stable_pdf(pdf)
        return None
    pdf.unlink(missing_ok=True)
    last = (done.stderr or "").strip().splitlines()[-1:] or ["no output"]
    return f"{Path(browser).name} exited with {done.returncode} ({last[0][:200]})"


def stable_cell_ids(notebook) -> None:  # noqa: ANN001 - a NotebookNode
    """Give the cells papermill added (the injected parameters) ids of their own, in place of
    the random ones nbformat gives, so that the same run renders the same HTML bytes.

    The cells of the notebook as written keep their ids (cell-01, …)."""
    import nbformat

    written = {cell.get("id") for cell in nbformat.read(notebook_path(), as_version=4).cells}
    for position, cell in enumerate(notebook.cells):
        if cell.get("id") not in written:
            tags = cell.get("metadata", {}).get("tags") or ["added"]
            cell["id"] = f"{tags[0]}-{position}"


def stable_pdf(pdf: Path) -> None:
    """Make a printed PDF the same bytes whenever the same report is printed. First, blank
    the creation and modification dates Chromium writes into its information dictionary (the run's time is in
    manifest.json). Spaces of the same length keep every byte offset of the file valid.

    The names of the tagged PDF's structure elements (`(node00000143)`: Chromium's DOM node
    numbers, in the elements' /ID, the table cells' /Headers and the ID tree) are numbered
    from 1 as well: in some prints of the same page every node number came out one higher.
    The names keep their width, so the offsets stay valid, and their order, so the ID tree
    stays sorted."""
    printed = pdf.read_bytes()
    blanked = PDF_DATES.sub(lambda match: b" " * len(match[0]), printed)
    numbers = [int(found) for found in PDF_NODE_NAMES.findall(blanked)]
    if numbers and (first := min(numbers)) != 1:
        blanked = PDF_NODE_NAMES.sub(lambda match: b"(node%08d)" % (int(match[1]) - first + 1), blanked)
    if blanked != printed:
        pdf.write_bytes(blanked)


def show_folder_as(notebook, run_folder: str, run_label: str) -> None:  # noqa: ANN001 - a NotebookNode
    """Show `run_label` wherever the executed notebook shows `run_folder` (a staging folder).

    The report stage reads the run's staged outputs, which become outputs/<study> only when
    the run succeeds; the report should name the folder where its reader finds them.
    """
    def shown(value):  # noqa: ANN001, ANN202 - str or list of str
        if isinstance(value, str):
            return value.replace(run_folder, run_label)
        if isinstance(value, list):
            return [shown(item) for item in value]
        return value

    for cell in notebook.cells:
        cell.source = shown(cell.source)
        for output in cell.get("outputs", []):
            if "text" in output:
                output["text"] = shown(output["text"])
            for mime, value in (output.get("data") or {}).items():
                if mime.startswith("text/"):
                    output["data"][mime] = shown(value)
    parameters = notebook.metadata.get("papermill", {}).get("parameters")
    if parameters:
        for key, value in parameters.items():
            parameters[key] = shown(value)


def _original_cell_number(source: str, fallback: int) -> int:
    """1-based number of the failing cell in the notebook as written (found by its source)."""
    import nbformat

    cells = nbformat.read(notebook_path(), as_version=4).cells
    for number, cell in enumerate(cells, start=1):
        if cell.cell_type == "code" and cell.source == source:
            return number
    return fallback + 1


def _keep_failed(executed: Path, failed_dir: Path, job: ReportJob) -> Path:
    failed_dir.mkdir(parents=True, exist_ok=True)
    kept = failed_dir / f"{job.name}.ipynb"
    if executed.exists():
        executed.replace(kept)
    return kept


def to_html(notebook, committee: bool, *, language: str = "sv", title: str = "") -> str:  # noqa: ANN001
    """Self-contained HTML (figures embedded, nothing loaded from elsewhere) with print styles.

    The committee version has no code, no errors and no warnings. `language` is the page's
    `<html lang>`; `title` its `<title>`.
    """
    if committee:
        for cell in notebook.cells:
            if cell.cell_type == "code":
                cell.outputs = [o for o in cell.get("outputs", []) if not (
                    o.get("output_type") == "error"
                    or (o.get("output_type") == "stream" and o.get("name") == "stderr"))]
    resources = {"report": {"language": language, "title": title or text.phrase("title_fallback", language),
                            "audience": "committee" if committee else "technical"}}
    with _page_not_reparsed():
        body, _ = _html_exporter(committee).from_notebook_node(notebook, resources=resources)
    return body


@functools.cache
def _html_exporter(committee: bool) -> Any:
    """The HTML exporter of committee pages (no code) or of technical ones, one of each per
    process: a new exporter loads and compiles the page's templates again (0.06 of a
    committee page's 0.13 s). An exporter's settings are these; what a page shows comes with
    its notebook and resources."""
    from nbconvert import HTMLExporter

    exporter = HTMLExporter(template_name=TEMPLATE, extra_template_basedirs=[str(TEMPLATES)])
    exporter.exclude_input = committee
    exporter.exclude_input_prompt = True
    exporter.exclude_output_prompt = True
    return exporter


@contextlib.contextmanager
def _page_not_reparsed() -> Iterator[None]:
    """nbconvert's HTML exporter with its last pass made without parsing the page.

    That pass parses the whole rendered page with BeautifulSoup (html.parser) and writes it
    out again, only to give alt text to images without it and tabindex to the cells of
    JupyterLab's own page (`.jp-Notebook ...`, which this template does not have): over a
    second of a report's time in its worker, on pages of megabytes of embedded figures.
    `_PageAsIs` does the same for this template's pages (tests/test_report_stage.py checks
    that the page parses to what nbconvert writes); a selector it does not know stops the
    report, so that a new nbconvert pass is not skipped unnoticed."""
    import nbconvert.exporters.html as exporter_module

    parse = exporter_module.BeautifulSoup
    exporter_module.BeautifulSoup = _PageAsIs
    try:
        yield
    finally:
        exporter_module.BeautifulSoup = parse


class _PageAsIs:
    """The stand-in for BeautifulSoup in `_page_not_reparsed`: the page as rendered, with an
    image without alt text given nbconvert's."""

    # what nbconvert's pass selects (nbconvert 7.x): images without alt text (given it in
    # __str__), and JupyterLab's cells, which this template's pages do not have
    SELECTORS = frozenset({"img:not([alt])", ".jp-Notebook div.jp-Cell-inputWrapper",
                           ".jp-Notebook div.jp-OutputArea-output"})
    NO_ALT = re.compile(r"<img(?![^>]*\salt=)(?=[\s>/])")

    def __init__(self, page: str, features: str | None = None) -> None:
        self.page = page

    def select(self, selector: str) -> list:
        if selector not in self.SELECTORS:
            raise RuntimeError(f"nbconvert's HTML exporter selects {selector!r}, which "
                               "hembesok's report stage does not know (pipeline/stages/report.py, "
                               "_PageAsIs)")
        return []  # the images without alt text get it in __str__

    def __str__(self) -> str:
        return self.NO_ALT.sub('<img alt="No description has been provided for this image"', self.page)
