"""Stage 5, report: execute the evaluation notebook with papermill and render HTML.

One report for the whole study and one per intervention area, each in Swedish and
English, for the committee (no code, no tracebacks, no warnings); plus a technical version
of the whole-study report in the study's language that shows the code. Reports are
rendered in parallel (`--jobs`). A failing notebook stops the run with the cell and the
error named; the executed notebook is kept for debugging.
"""

from __future__ import annotations

import contextlib
import os
import re
import sys
import unicodedata
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from pipeline.config import Study
from pipeline.errors import HembesokError

NOTEBOOK = "evaluation.ipynb"
LANGUAGES = ("sv", "en")
KERNEL = "python3"
EXECUTION_TIMEOUT_S = 600


@dataclass(frozen=True)
class ReportJob:
    """One report to render: its parameters and where the HTML goes."""

    name: str
    language: str
    area: str
    audience: str

    @property
    def html_name(self) -> str:
        return f"{self.name}.html"


def notebook_path() -> Path:
    """The evaluation notebook: notebooks/ beside the package (a checkout) or packaged."""
    beside = Path(__file__).resolve().parents[2] / "notebooks" / NOTEBOOK
    if beside.is_file():
        return beside
    return Path(str(resources.files("pipeline").joinpath(f"notebooks/{NOTEBOOK}")))


def slug(text: str) -> str:
    """An ASCII file-name part: 'Söderängen' -> 'soderangen'."""
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", folded.lower()).strip("-") or "area"


def report_jobs(study: Study) -> list[ReportJob]:
    """The study report and one per intervention area, sv and en; one technical version."""
    jobs = []
    for area in ("all", *study.design.intervention_areas):
        for language in LANGUAGES:
            place = "study" if area == "all" else slug(area)
            jobs.append(ReportJob(f"{study.name}_{place}_{language}", language, area, "committee"))
    jobs.append(ReportJob(f"{study.name}_study_{study.language}_technical", study.language, "all",
                          "technical"))
    return jobs


def render_reports(study: Study, run_folder: Path, reports_dir: Path, failed_dir: Path,
                   jobs: int = 1) -> list[Path]:
    """Execute and render every report; raise HembesokError naming the failing cell."""
    reports_dir.mkdir(parents=True, exist_ok=True)
    work = [(job, str(run_folder), str(reports_dir), str(failed_dir), study.name)
            for job in report_jobs(study)]
    if jobs <= 1:
        results = [_render(*item) for item in work]
    else:
        with ProcessPoolExecutor(max_workers=jobs) as pool:
            results = list(pool.map(_render_star, work))
    problems = [message for _, message in results if message]
    if problems:
        raise HembesokError("report failed:\n" + "\n".join(problems))
    return [Path(path) for path, _ in results]


def _render_star(item: tuple) -> tuple[str, str | None]:
    return _render(*item)


def _render(job: ReportJob, run_folder: str, reports_dir: str, failed_dir: str,
            study: str) -> tuple[str, str | None]:
    """Execute one notebook and write its HTML; returns (html path, error message or None)."""
    import nbformat
    import papermill
    from papermill.exceptions import PapermillExecutionError

    executed = Path(reports_dir) / f".{job.name}.ipynb"
    os.environ.setdefault("MPLBACKEND", "Agg")
    try:
        with _kernel_stderr_quiet():
            papermill.execute_notebook(
                str(notebook_path()), str(executed), kernel_name=KERNEL, progress_bar=False,
                parameters={"study": study, "run_folder": run_folder, "language": job.language,
                            "area": job.area, "audience": job.audience},
                execution_timeout=EXECUTION_TIMEOUT_S, log_output=False)
    except PapermillExecutionError as error:
        kept = _keep_failed(executed, Path(failed_dir), job)
        first_line = (error.source or "").strip().splitlines()[0] if (error.source or "").strip() else ""
        return "", (f"  {job.name}: cell {_original_cell_number(error.source, error.cell_index)} "
                    f"(`{first_line[:80]}`) raised {error.ename}: {error.evalue}\n"
                    f"    executed notebook kept at {kept}")
    except Exception as error:  # a kernel that will not start, a missing notebook
        return "", f"  {job.name}: could not execute the notebook ({type(error).__name__}: {error})"
    notebook = nbformat.read(executed, as_version=4)
    executed.unlink()
    html = Path(reports_dir) / job.html_name
    html.write_text(to_html(notebook, committee=job.audience == "committee"), encoding="utf-8")
    return str(html), None


@contextlib.contextmanager
def _kernel_stderr_quiet() -> Iterator[None]:
    """Silence the kernel process's start-up chatter on the terminal (it inherits fd 2)."""
    sys.stderr.flush()
    saved = os.dup(2)
    with open(os.devnull, "w") as devnull:
        os.dup2(devnull.fileno(), 2)
        try:
            yield
        finally:
            os.dup2(saved, 2)
            os.close(saved)


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


def to_html(notebook, committee: bool) -> str:  # noqa: ANN001 - an nbformat NotebookNode
    """Self-contained HTML (figures embedded); the committee version without code or errors."""
    from nbconvert import HTMLExporter

    if committee:
        for cell in notebook.cells:
            if cell.cell_type == "code":
                cell.outputs = [o for o in cell.get("outputs", []) if not (
                    o.get("output_type") == "error"
                    or (o.get("output_type") == "stream" and o.get("name") == "stderr"))]
    exporter = HTMLExporter(template_name="lab", embed_images=True)
    exporter.exclude_input = committee
    exporter.exclude_input_prompt = True
    exporter.exclude_output_prompt = True
    body, _ = exporter.from_notebook_node(notebook)
    return body
