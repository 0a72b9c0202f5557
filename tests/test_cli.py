"""The command line: help on every command, power answers, python -m pipeline, --version; what a
run leaves behind: manifest timings and run.log across cached reruns, permissions under the umask."""

from __future__ import annotations

import json
import os
import re
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from pipeline.cli import main
from pipeline.runner import ANALYSIS_STAGES

COMMANDS = ("synth", "validate", "run", "share", "pool", "demo", "power", "bench")


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
    assert main(["bench", "--children", "300", "--reference", "150", "--root", str(tmp_path),
                 "--quiet"]) == 0
    out = capsys.readouterr().out
    lines = out.splitlines()
    for line_start in ("clean", "cohort", "compare", "total"):
        assert sum(line.startswith(line_start) for line in lines) == 2, line_start  # both sizes
    assert "rows/s" in out and "peak MB" in out and "raw CSV parse with pyarrow" in out
    assert f"processes: {os.cpu_count() or 1} (--jobs" in out
    assert lines.index("150 children") < lines.index("300 children")
    clean_rows = [line.split()[2] for line in lines if line.startswith("clean ")]
    assert int(clean_rows[1].replace(",", "")) > int(clean_rows[0].replace(",", "")) > 150
    verdicts = [line.split()[0] for line in lines[lines.index("targets (issue 14, 1M children, "
                                                              "2 cores):") + 1:]]
    assert verdicts == ["ingest", "cohort", "compare", "peak", "clean", "linear"]
    assert "for 2x the children (150 -> 300)" in out and "projected to 1M" in out


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    from pipeline import __version__

    with pytest.raises(SystemExit) as stop:
        main(["--version"])
    assert stop.value.code == 0
    assert capsys.readouterr().out.strip() == f"hembesok {__version__}"
    assert re.fullmatch(r"\d+\.\d+\.\d+.*", __version__)


@pytest.fixture
def synthetic_run(tmp_path: Path):
    """A small synthetic study and a function that runs its analysis stages under `tmp_path`."""
    folder = tmp_path / "data_raw" / "mini"
    assert main(["synth", "--out", str(folder), "--children", "300", "--seed", "3", "--quiet"]) == 0

    def run(*extra: str) -> int:
        return main(["run", str(folder), "--root", str(tmp_path), "--stages", *ANALYSIS_STAGES, *extra])

    return tmp_path, run


def test_cached_rerun_keeps_timings_and_appends_to_the_log(synthetic_run, capsys) -> None:
    root, run = synthetic_run
    capsys.readouterr()
    assert run("--quiet") == 0
    assert capsys.readouterr().out == ""  # --quiet: no progress
    manifest_file, log_file = root / "outputs/mini/manifest.json", root / "outputs/mini/run.log"
    first = json.loads(manifest_file.read_text())["stages"]
    first_log = log_file.read_text()
    assert {s["status"] for s in first} == {"ran"} and all(s["ran_at"] for s in first)
    assert run() == 0  # nothing changed: every stage cached
    out = capsys.readouterr().out
    assert out.count("nothing changed, cached") == len(ANALYSIS_STAGES) - 1  # ingest + clean is one
    again = json.loads(manifest_file.read_text())["stages"]
    assert [s["status"] for s in again] == ["cached"] * len(first)
    assert [(s["stage"], s["seconds"], s["ran_at"], s["rows"]) for s in again] == \
        [(s["stage"], s["seconds"], s["ran_at"], s["rows"]) for s in first]
    log = log_file.read_text()
    assert log.startswith(first_log) and log.count("run of mini") == 2
    assert "ingest + clean: nothing changed, cached" in log[len(first_log):]
    assert run("--quiet", "--stages", "cohort", "--force") == 0  # one stage: the others keep theirs
    forced = {s["stage"]: s for s in json.loads(manifest_file.read_text())["stages"]}
    assert list(forced) == [s["stage"] for s in first] and forced["cohort"]["status"] == "ran"
    assert forced["compare"]["seconds"] == first[2]["seconds"]


def test_outputs_follow_the_umask(synthetic_run) -> None:
    # 027, not the usual 022: group and other bits that differ from the default show that
    # the modes follow the umask rather than a fixed 0644/0755
    umask = 0o027
    root, run = synthetic_run
    previous = os.umask(umask)
    try:  # the writes of every stage go through the same store functions: cohort stands for them
        assert run("--quiet", "--stages", "ingest", "clean", "cohort") == 0
        assert run("--quiet", "--stages", "cohort", "--force") == 0  # a rerun over published outputs
    finally:
        os.umask(previous)
    for base in (root / "outputs" / "mini", root / "data_clean" / "mini"):
        for path in [base, *base.rglob("*")]:
            expected = (0o777 if path.is_dir() else 0o666) & ~umask
            assert stat.S_IMODE(path.stat().st_mode) == expected, (path, oct(path.stat().st_mode))


def test_power_with_areas_as_clusters(capsys: pytest.CaptureFixture[str]) -> None:
    # Issue 9's example: 2 + 2 areas of 200 children a period cannot detect 5 pp (60% -> 65%),
    # although 1471 + 1471 independent children would. Power by the Murray / Hooper DiD
    # variance on the area-level t test (2 df), as tests/stats/test_power.py checks by hand.
    from pipeline.stats.power import cluster_power

    assert main(["power", "--proportion", "0.6", "--difference", "0.05",
                 "--areas-intervention", "2", "--areas-comparison", "2",
                 "--children-per-area", "200", "--icc", "0.01", "--cac", "0.8"]) == 0
    out = capsys.readouterr().out
    assert "1471 intervention and 1471 comparison children" in out  # the independent answer
    expected = cluster_power(0.6, 0.05, 2, 2, 200, 0.01, cac=0.8)
    assert f"detected with {expected:.0%} power" in out and expected < 0.1
    assert "2 degrees of freedom" in out
    assert "no number of children per area is enough" in out
    assert "22 intervention areas and 22 comparison areas" in out


def test_power_with_areas_without_a_difference(capsys: pytest.CaptureFixture[str]) -> None:
    # Without --difference or --n1/--n2 the independent answer is for the same children.
    assert main(["power", "--proportion", "0.6", "--areas-intervention", "2",
                 "--areas-comparison", "8", "--children-per-area", "200", "--icc", "0.01"]) == 0
    out = capsys.readouterr().out
    assert "Groups of 400 (intervention) and 1600 (comparison) children" in out
    assert "smallest detectable rise" in out


def test_power_areas_need_all_their_options(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["power", "--proportion", "0.6", "--difference", "0.05", "--icc", "0.01"]) == 2
    assert "--areas-intervention" in capsys.readouterr().err
