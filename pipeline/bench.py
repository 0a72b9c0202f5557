"""`hembesok bench`: per-stage seconds, rows per second and peak memory (SPEC §12).

Each stage runs in its own process (`hembesok run --stages S --force`), so its peak
resident memory is its own (read from os.wait4). The clean stage is also compared with the
time pyarrow needs just to parse the same raw CSV files, the SPEC's yardstick (within 3x).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pyarrow.csv as pacsv

from pipeline.config import load_study
from pipeline.stages.ingest import detect_delimiter, detect_encoding

TARGETS = {"seconds": 180.0, "peak_gb": 8.0, "clean_vs_parse": 3.0}  # SPEC §12, for 1M children
BENCH_STAGES = ("clean", "cohort", "compare")


@dataclass(frozen=True)
class StageTiming:
    """One stage's wall time, rows handled and peak resident memory."""

    stage: str
    seconds: float
    rows: int
    peak_mb: float

    @property
    def rows_per_second(self) -> float:
        return self.rows / self.seconds if self.seconds > 0 else float("nan")


def run_stage_process(study: Path, root: Path, stage: str) -> tuple[float, float]:
    """Run one stage in a child process; (seconds, peak resident MB)."""
    command = [sys.executable, "-m", "pipeline", "run", str(study), "--root", str(root),
               "--stages", *(("ingest", "clean") if stage == "clean" else (stage,)), "--force", "--quiet"]
    started = time.perf_counter()
    child = subprocess.Popen(command)
    _, status, usage = os.wait4(child.pid, 0)
    child.returncode = os.waitstatus_to_exitcode(status)
    seconds = time.perf_counter() - started
    if child.returncode != 0:
        raise RuntimeError(f"stage {stage} failed (exit {child.returncode}); run it alone to see why: "
                           + " ".join(command))
    return seconds, usage.ru_maxrss / 1024  # ru_maxrss is in kB on Linux


def parse_seconds(study: Path) -> float:
    """Seconds pyarrow needs to parse the study's CSV exports as text (the SPEC's yardstick)."""
    config = load_study(study)
    started = time.perf_counter()
    for table in config.inputs:
        path = config.input_path(table)
        if path.suffix.lower() != ".csv":
            continue
        encoding = detect_encoding(path)
        with path.open(encoding=encoding, errors="replace") as handle:
            delimiter = detect_delimiter(handle.readline())
        pacsv.read_csv(path, read_options=pacsv.ReadOptions(
            encoding="utf8" if encoding.startswith("utf-8") else encoding),
            parse_options=pacsv.ParseOptions(delimiter=delimiter))
    return time.perf_counter() - started


def benchmark(study: Path, root: Path) -> tuple[list[StageTiming], float]:
    """Time every analysis stage of a study (each in its own process); also the raw parse time."""
    clean_dir = load_study(study).data_clean_dir(root)
    timings = []
    for stage in BENCH_STAGES:
        seconds, peak = run_stage_process(study, root, stage)
        timings.append(StageTiming(stage, seconds, _rows(clean_dir, stage), peak))
    return timings, parse_seconds(study)


def _rows(clean_dir: Path, stage: str) -> int:
    """Rows a stage handled: clean rows for clean, children for cohort and compare."""
    stamp = json.loads((clean_dir / ("clean" if stage == "clean" else "cohort") / "_stage.json").read_text())
    rows = stamp.get("rows", {})
    return int(sum(rows.values())) if stage == "clean" else int(rows.get("children", 0))


def report(timings: list[StageTiming], parse: float, children: int) -> str:
    """A plain table of the timings with the SPEC's targets (scaled to 1M children)."""
    lines = [f"{'stage':<10} {'seconds':>9} {'rows':>12} {'rows/s':>12} {'peak MB':>9}"]
    for t in timings:
        lines.append(f"{t.stage:<10} {t.seconds:>9.1f} {t.rows:>12,} {t.rows_per_second:>12,.0f} "
                     f"{t.peak_mb:>9,.0f}")
    total = sum(t.seconds for t in timings)
    peak = max(t.peak_mb for t in timings)
    clean = next(t for t in timings if t.stage == "clean")
    scale = 1_000_000 / max(children, 1)
    lines += [
        f"{'total':<10} {total:>9.1f}",
        "",
        f"raw CSV parse with pyarrow: {parse:.1f} s; clean (ingest + clean) is {clean.seconds / parse:.1f}x "
        f"that (target within {TARGETS['clean_vs_parse']:.0f}x)" if parse > 0 else "no CSV inputs to parse",
        f"peak memory {peak / 1024:.2f} GB (target under {TARGETS['peak_gb']:.0f} GB at 1M children)",
        f"total {total:.0f} s for {children:,} children; linear projection to 1M children: "
        f"{total * scale:.0f} s (target under {TARGETS['seconds']:.0f} s)",
    ]
    return "\n".join(lines)
