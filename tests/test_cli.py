"""The command line: help on every command, power answers, python -m pipeline."""

from __future__ import annotations

import subprocess
import sys

import pytest

from pipeline.cli import main

COMMANDS = ("synth", "validate", "run", "demo", "power", "bench")


@pytest.mark.parametrize("command", COMMANDS)
def test_help_on_every_command(command: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as stop:
        main([command, "--help"])
    assert stop.value.code == 0
    assert "usage: hembesok" in capsys.readouterr().out


def test_module_entry_point() -> None:
    done = subprocess.run([sys.executable, "-m", "pipeline", "--help"], capture_output=True, text=True)
    assert done.returncode == 0
    assert all(command in done.stdout for command in COMMANDS)


def test_power_children_needed(capsys: pytest.CaptureFixture[str]) -> None:
    # R: power.prop.test(p1 = 0.5, p2 = 0.75, power = 0.9) gives n = 76.7 per group -> 77.
    assert main(["power", "--proportion", "0.5", "--difference", "0.25", "--power", "0.9"]) == 0
    assert "77 intervention and 77 comparison children" in capsys.readouterr().out


def test_power_detectable_difference_is_consistent(capsys: pytest.CaptureFixture[str]) -> None:
    # The difference found for n = 77 per group at 90% power must be about 0.25 (the case above).
    assert main(["power", "--proportion", "0.5", "--n1", "77", "--n2", "77", "--power", "0.9"]) == 0
    out = capsys.readouterr().out
    increase = float(out.split("increase ")[1].split(",")[0])
    assert increase == pytest.approx(0.25, abs=0.003)


def test_power_needs_a_question(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["power", "--proportion", "0.86"]) == 2
    assert "give --difference" in capsys.readouterr().err


def test_bench_reports_every_stage(tmp_path, capsys: pytest.CaptureFixture[str]) -> None:
    # Runs the stages on a tiny synthetic study; checks the report's shape, never a timing.
    assert main(["bench", "--children", "300", "--root", str(tmp_path), "--quiet"]) == 0
    out = capsys.readouterr().out
    for line_start in ("clean", "cohort", "compare", "total"):
        assert any(line.startswith(line_start) for line in out.splitlines()), line_start
    assert "rows/s" in out and "peak MB" in out and "raw CSV parse with pyarrow" in out
    clean_rows = next(line for line in out.splitlines() if line.startswith("clean")).split()[2]
    assert int(clean_rows.replace(",", "")) > 300
