"""Shared fixtures: one small synthetic study run through every stage, reports included."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pipeline.cli import main


@pytest.fixture(scope="session")
def small_study(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, dict]:
    """(root, study folder, truth) of a 600-child synthetic study after `hembesok run`."""
    root = tmp_path_factory.mktemp("e2e")
    folder = root / "data_raw" / "small"
    assert main(["synth", "--out", str(folder), "--children", "600", "--seed", "7", "--quiet"]) == 0
    assert main(["run", str(folder), "--root", str(root), "--quiet", "--jobs", "2"]) == 0
    return root, folder, json.loads((folder / "truth.json").read_text())
