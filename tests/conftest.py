"""Shared fixtures: one small synthetic study run through every stage, reports included."""

from __future__ import annotations

import json
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
    shared = tmp_path_factory.getbasetemp()
    if worker_id != "master":  # each worker's base folder sits in the run's own folder
        shared = shared.parent
    root = shared / "small_study"
    folder = root / "data_raw" / "small"
    built = root / "built"
    with FileLock(str(shared / "small_study.lock")):
        if not built.exists():
            assert main(["synth", "--out", str(folder), "--children", "600", "--seed", "7", "--quiet"]) == 0
            assert main(["run", str(folder), "--root", str(root), "--quiet", "--jobs", "2"]) == 0
            built.touch()
    return root, folder, json.loads((folder / "truth.json").read_text())
