"""The report machinery: papermill parameters, committee vs technical HTML, failures named."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest
from studykit import write_study

from pipeline.config import load_study
from pipeline.errors import HembesokError
from pipeline.stages import report


def notebook(tmp_path: Path, body: str) -> Path:
    nb = nbformat.v4.new_notebook()
    parameters = nbformat.v4.new_code_cell(
        'study = "x"\nrun_folder = "."\nlanguage = "sv"\narea = "all"\naudience = "committee"')
    parameters.metadata["tags"] = ["parameters"]
    nb.cells = [parameters, nbformat.v4.new_code_cell(body)]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    path = tmp_path / "evaluation.ipynb"
    nbformat.write(nb, path)
    return path


@pytest.fixture
def study(tmp_path: Path):
    return load_study(write_study(tmp_path / "s", {}))


def test_reports_for_study_and_areas_in_both_languages(study, tmp_path, monkeypatch) -> None:
    monkeypatch.setattr(report, "notebook_path", lambda: notebook(
        tmp_path, 'SECRET_CODE_MARKER = 1\nprint(f"report {language} {area} {audience}")'))
    written = report.render_reports(study, tmp_path, tmp_path / "reports", tmp_path / "failed", jobs=2)
    names = sorted(p.name for p in written)
    assert names == sorted(["tiny_study_sv.html", "tiny_study_en.html", "tiny_norrby_sv.html",
                            "tiny_norrby_en.html", "tiny_study_en_technical.html"])
    committee = (tmp_path / "reports" / "tiny_norrby_sv.html").read_text()
    assert "report sv Norrby committee" in committee
    assert "SECRET_CODE_MARKER" not in committee  # no input cells in the committee version
    technical = (tmp_path / "reports" / "tiny_study_en_technical.html").read_text()
    assert "SECRET_CODE_MARKER" in technical and "report en all technical" in technical


def test_failing_notebook_names_cell_and_error(study, tmp_path, monkeypatch) -> None:
    monkeypatch.setattr(report, "notebook_path", lambda: notebook(tmp_path, 'raise ValueError("boom")'))
    with pytest.raises(HembesokError) as raised:
        report.render_reports(study, tmp_path, tmp_path / "reports", tmp_path / "failed")
    message = str(raised.value)
    assert "cell 2 (`raise ValueError(\"boom\")`) raised ValueError: boom" in message
    kept = tmp_path / "failed" / "tiny_study_sv.ipynb"
    assert kept.is_file() and str(kept) in message


def test_slug() -> None:
    assert report.slug("Söderängen") == "soderangen" and report.slug("Västra Ryd") == "vastra-ryd"
