"""Shared fixtures: one small synthetic study run through every stage, reports included."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path

import pytest
from filelock import FileLock

from pipeline.cli import main


@pytest.fixture(scope="session")
def small_study(tmp_path_factory: pytest.TempPathFactory, worker_id: str) -> tuple[Path, Path, dict]:
    """(root, study folder, truth) of a 600-child synthetic study after `hembesok run`.

    Built once per test run: under pytest-xdist the first worker that needs it builds it in
    the run's shared temporary folder while any other waits on a file lock (each worker
    building its own cost two minutes of CPU). Tests only read it.
    """
    return _built_study(tmp_path_factory, worker_id, "small")


@pytest.fixture(scope="session")
def concurrent_study(tmp_path_factory: pytest.TempPathFactory, worker_id: str) -> tuple[Path, Path, dict]:
    """(root, study folder, truth) of the same 600 children as `small_study` under the design
    `concurrent` (the intervention areas against the comparison areas, children born after
    the start only), after `hembesok run`: a report whose rows carry no caveat at all."""
    def concurrent(folder: Path) -> None:
        study = folder / "study.yml"
        text = study.read_text(encoding="utf-8")
        start = re.search(r"programme_start: (\S+)", text).group(1)
        text = re.sub(r"(?m)^  type: did$", "  type: concurrent", text)
        text = re.sub(r"(?m)^  born_from: \S+$", f"  born_from: {start}", text)
        assert "type: concurrent" in text and f"born_from: {start}" in text
        study.write_text(text, encoding="utf-8")

    return _built_study(tmp_path_factory, worker_id, "concurrent", concurrent)


def _built_study(tmp_path_factory: pytest.TempPathFactory, worker_id: str, name: str,
                 change: Callable[[Path], None] | None = None) -> tuple[Path, Path, dict]:
    shared = tmp_path_factory.getbasetemp()
    if worker_id != "master":  # each worker's base folder sits in the run's own folder
        shared = shared.parent
    root = shared / f"{name}_study"
    folder = root / "data_raw" / name
    built = root / "built"
    with FileLock(str(shared / f"{name}_study.lock")):
        if not built.exists():
            assert main(["synth", "--out", str(folder), "--children", "600", "--seed", "7", "--quiet"]) == 0
            if change is not None:
                change(folder)
            assert main(["run", str(folder), "--root", str(root), "--quiet", "--jobs", "2"]) == 0
            built.touch()
    return root, folder, json.loads((folder / "truth.json").read_text())
