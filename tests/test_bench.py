"""The benchmark's study and yardstick: every export CSV, the same children and rows as the
demo's mixed formats, and a raw parse that covers every input file (never a timing)."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
import yaml

from pipeline import synth
from pipeline.bench import ParseTiming, parse_seconds
from pipeline.config import load_study

N = 400


@pytest.fixture(scope="module")
def studies(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The same seed and size written as usual (visits and language as XLSX sheets at this
    size) and CSV only."""
    folder = tmp_path_factory.mktemp("bench")
    mixed = synth.write_synthetic_study(folder / "mixed", n_children=N, seed=3).out_dir
    csv_only = synth.write_synthetic_study(folder / "csv", n_children=N, seed=3, csv_only=True).out_dir
    return mixed, csv_only


def _inputs(folder: Path) -> dict[str, str]:
    specs = yaml.safe_load((folder / "study.yml").read_text(encoding="utf-8"))["inputs"]
    return {table: spec if isinstance(spec, str) else spec["file"] for table, spec in specs.items()}


def _table(file: str) -> str:
    return {"amning.csv": "breastfeeding", "vaccinationer.csv": "vaccinations"}[file]


def test_csv_only_study_has_no_workbook(studies: tuple[Path, Path]) -> None:
    mixed, csv_only = studies
    assert {"besok.xlsx", "sprak.xlsx"} <= {p.name for p in mixed.iterdir()}
    assert not list(csv_only.glob("*.xlsx"))
    files = _inputs(csv_only)
    assert files["visits"] == "besok.csv" and files["language"] == "sprak.csv"
    assert all(name.endswith(".csv") for name in files.values())
    assert set(files) == set(_inputs(mixed))


def test_csv_only_study_has_the_same_rows(studies: tuple[Path, Path]) -> None:
    mixed, csv_only = studies
    truth = {folder: json.loads((folder / "truth.json").read_text(encoding="utf-8"))
             for folder in studies}
    assert ({t: f["rows"] for t, f in truth[mixed]["files"].items()}
            == {t: f["rows"] for t, f in truth[csv_only]["files"].items()})
    assert truth[mixed]["indicators"] == truth[csv_only]["indicators"]
    language = (csv_only / "sprak.csv").read_text(encoding="utf-8").splitlines()
    assert len(language) - 1 == truth[mixed]["files"]["language"]["rows"]  # one header line
    assert (mixed / "barn.csv").read_bytes() == (csv_only / "barn.csv").read_bytes()
    for name, sep in (("amning.csv", ","), ("vaccinationer.csv", ";")):  # exported alike in both
        rows = [pd.read_csv(folder / name, sep=sep, dtype=str, keep_default_na=False,
                            encoding="utf-8-sig") for folder in studies]
        # only a planted unknown child's (reserved) number may differ: the visits' date
        # formats, drawn before it, differ between a sheet and a CSV file
        assert rows[0].drop(columns="personnummer").equals(rows[1].drop(columns="personnummer"))
        assert (rows[0]["personnummer"] != rows[1]["personnummer"]).sum() <= truth[mixed][
            "planted"][_table(name)]["unknown_child"]


def test_parse_covers_every_input_of_a_csv_only_study(studies: tuple[Path, Path]) -> None:
    _, csv_only = studies
    parsed = parse_seconds(csv_only)
    files = _inputs(csv_only)
    assert sorted(parsed.files) == sorted(files.values()) and parsed.not_parsed == ()
    assert parsed.bytes == sum((csv_only / name).stat().st_size for name in files.values())
    assert parsed.describe().startswith(f"raw CSV parse with pyarrow: {parsed.seconds:.1f} s "
                                        f"({len(files)} files, ")


def test_parse_names_the_inputs_it_cannot_parse(studies: tuple[Path, Path]) -> None:
    mixed, _ = studies
    parsed = parse_seconds(mixed)
    assert sorted(parsed.not_parsed) == ["besok.xlsx", "sprak.xlsx"]
    assert "besok.xlsx" not in parsed.files
    assert parsed.describe().endswith("not parsed (not CSV): besok.xlsx, sprak.xlsx")


def test_no_csv_inputs_is_said() -> None:
    assert ParseTiming(0.0, (), 0, ("besok.xlsx",)).describe() == "no CSV inputs to parse"


def test_the_report_shows_each_stage_s_cpu_seconds_and_their_sum() -> None:
    """Two stages' seconds, rows, rows per second (rows / seconds), peak MB and CPU-seconds,
    their total seconds and CPU-seconds (hand-summed), and the parse with its CPU-seconds."""
    from pipeline.bench import StageTiming, report

    timings = [StageTiming("clean", 10.0, 1_000_000, 3_215.4, 18.25),
               StageTiming("cohort", 4.0, 1_000, 512.0, 5.5)]
    parse = ParseTiming(2.0, ("a.csv", "b.csv"), 3_000_000, (), 4.4)
    assert report(timings, parse, 1_000).splitlines()[:6] == [
        "1,000 children",
        "stage        seconds         rows       rows/s   peak MB    CPU-s",
        "clean           10.0    1,000,000      100,000     3,215     18.2",
        "cohort           4.0        1,000          250       512      5.5",
        "total           14.0                                         23.8",
        "raw CSV parse with pyarrow: 2.0 s (2 files, 3.0 MB), 4.4 CPU-s"]


def test_a_stage_s_cpu_seconds_count_the_workers_it_waited_for() -> None:
    """measured_process: a process that spins 0.4 CPU-seconds itself and waits for a forked
    worker that spins 0.6 used at least 1.0 between them (by construction: each spins until
    its own process_time has grown so much); a failing command's exit code is returned."""
    import sys

    from pipeline.bench import measured_process

    spin = "import time\nstart = time.process_time()\nwhile time.process_time() - start < {}: pass\n"
    program = ("import os\n"
               "pid = os.fork()\n"
               "if pid == 0:\n"
               + "".join(f"    {line}\n" for line in spin.format(0.6).splitlines())
               + "    os._exit(0)\n"
               + spin.format(0.4)
               + "os.waitpid(pid, 0)\n")
    seconds, peak, cpu, returncode = measured_process([sys.executable, "-c", program])
    assert returncode == 0 and peak > 0
    assert 1.0 <= cpu < seconds * 2 + 0.5  # two cores at most, and the interpreters' start-up
    assert measured_process([sys.executable, "-c", "raise SystemExit(3)"])[3] == 3


@pytest.mark.skipif(not Path("/proc/self/smaps_rollup").exists(), reason="needs Linux /proc")
def test_memory_of_a_stage_counts_its_workers_together() -> None:
    """tree_memory_mb: a process holding 150 MB whose forked worker writes 100 MB of its own
    holds at least 250 MB together, which neither holds alone."""
    import os
    import signal
    import subprocess
    import sys

    from pipeline.bench import tree_memory_mb

    holder = subprocess.Popen([sys.executable, "-c", (
        "import os, time\n"
        "held = bytearray(150 * 2**20)\n"
        "if os.fork() == 0:\n"
        "    own = bytearray(100 * 2**20)\n"
        "    print('ready', flush=True)\n"
        "time.sleep(60)\n")], stdout=subprocess.PIPE, text=True, start_new_session=True)
    try:
        assert holder.stdout.readline().strip() == "ready"  # the worker holds its 100 MB
        assert 250 <= tree_memory_mb(holder.pid) < 400
    finally:
        os.killpg(holder.pid, signal.SIGKILL)
        holder.wait()


def test_seconds_come_from_a_run_without_memory_samples_and_the_peak_from_one_with(
        studies: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch) -> None:
    """benchmark: each stage is run first without sampling its memory (its seconds and
    CPU-seconds are the timings) and then with (its peak, and its seconds as the report's
    last line shows them)."""
    from pipeline import bench

    runs = []

    def run(study: Path, root: Path, stage: str, *, sample_memory: bool = True) -> tuple[float, float, float]:
        runs.append((stage, sample_memory))
        return (11.0, 111.0, 21.0) if not sample_memory else (12.5, 3_900.0, 23.0)

    monkeypatch.setattr(bench, "run_stage_process", run)
    monkeypatch.setattr(bench, "_rows", lambda clean_dir, stage: 1_000)
    read_once = bench.read_inputs_once
    monkeypatch.setattr(bench, "read_inputs_once",
                        lambda study: runs.append(("read inputs", read_once(study))))
    timings, parse = bench.benchmark(studies[1], studies[1].parent)
    config = load_study(studies[1])
    every_byte = sum(config.input_path(table).stat().st_size for table in config.inputs)
    assert runs == [("read inputs", every_byte),  # before the first timing, every input whole
                    ("clean", False), ("clean", True), ("cohort", False), ("cohort", True),
                    ("compare", False), ("compare", True)]
    assert [(t.seconds, t.peak_mb, t.cpu_seconds, t.sampled_seconds) for t in timings] == \
        [(11.0, 3_900.0, 21.0, 12.5)] * 3
    assert bench.report(timings, parse, N).splitlines()[-2] == (
        "peak MB: from a second run of each stage, sampling its memory (its seconds: "
        "clean 12.5, cohort 12.5, compare 12.5)")


def test_a_timed_run_takes_no_memory_samples(monkeypatch: pytest.MonkeyPatch) -> None:
    """measured_process(sample_memory=False) never walks the processes' memory (the samples
    would slow what it times); with sampling, a process that runs half a second is sampled."""
    import sys

    from pipeline import bench

    samples = []
    monkeypatch.setattr(bench, "tree_memory_mb", lambda pid: samples.append(pid) or 0.0)
    program = [sys.executable, "-c", "import time; time.sleep(0.5)"]
    seconds, _, _, returncode = bench.measured_process(program, sample_memory=False)
    assert returncode == 0 and seconds >= 0.5 and samples == []
    bench.measured_process(program)
    assert samples


def test_a_stage_s_peak_is_not_the_peak_of_the_process_that_started_it() -> None:
    """The kernel starts a child's peak resident memory (ru_maxrss) at its parent's: a bench
    that has held 300 MB must not report 300 MB for a child that holds some 10, and a child
    that holds more than the bench ever did is reported as it is. The bench is a fresh
    interpreter, which starts with the high-water mark of this test process (as large as
    the tests before made it) in its own getrusage: the floor is its memory's own (VmHWM)."""
    import subprocess
    import sys

    bench = (
        "import sys\n"
        "from pipeline.bench import measured_process\n"
        "held = bytearray(300 * 2**20)\n"
        "held[::4096] = b'x' * len(held[::4096])\n"  # resident, not just reserved
        "big = 'held = bytearray(500 * 2**20); held[::4096] = b\"x\" * len(held[::4096])'\n"
        "for program in ('pass', big):\n"
        "    print(measured_process([sys.executable, '-c', program], sample_memory=False)[1])\n")
    small, large = map(float, subprocess.run([sys.executable, "-c", bench], capture_output=True,
                                             text=True, check=True).stdout.split())
    assert small < 100
    assert large >= 500
