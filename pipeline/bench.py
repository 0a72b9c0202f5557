"""`hembesok bench`: per-stage seconds, rows per second and peak memory (SPEC §12).

Each stage runs in its own process (`hembesok run --stages S --force`), twice: once timed,
and once for its peak memory, as asv times and measures memory in separate runs of a
benchmark, since the samples slow what they measure (they walk the page tables of the
stage's processes: at a million children some 90 ms a sample, one to two seconds of the
compare stage's 45). The timed run gives the seconds and the CPU time (user and system, of
the stage's process and the workers it waited for: how much of the two cores' time the
seconds took, and what a faster stage would have to save); it runs first, after the stage
before, as in a run of the pipeline. The memory run gives the peak: the most the stage's
processes held together (a stage forks workers for its pieces), sampled as the
proportional set size of the process and its workers (Linux; pages the workers share with
it counted once) up to four times a second, as often as the samples take no more than a
twentieth of one core (at a million children about every 2 s), and never less than the
largest single process's peak resident memory (os.wait4), where that is known: the kernel
starts a child's at the peak of the process that started it, so one at or below the bench's
own says nothing of the stage. Its seconds are printed too. The clean
stage is also compared with the time pyarrow needs just to parse the same raw CSV files,
the SPEC's yardstick (3x): every input of the study, which the bench writes as CSV only, so
that clean reads nothing the yardstick does not (a workbook takes far longer to read than
the same rows as CSV). The parse runs in the bench's own process, whose transparent huge
pages are off as the stages' are (`parallel.without_huge_pages`, set by the command line):
the same conditions for both (on the bench machine the parse takes 2.5x as long with them).
Its CPU time is its threads' together (pyarrow's defaults: a thread per core). Every input
is read once before the first timing (`read_inputs_once`), so that the clean stage, timed
first, and the parse, timed last, both find the exports in the page cache: a study written by
an earlier bench, whose exports other work has since pushed out of the cache, otherwise
times clean partly on the disk's speed and the parse on memory's (at a million children, about
half the exports out of the cache and other work beside it: 64.2 s against 39.7 for its
second run).
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pyarrow.csv as pacsv

from pipeline.config import load_study
from pipeline.stages.ingest import detect_delimiter, detect_encoding

# Issue 14's targets at 1M children on a 2-core machine: seconds for ingest + clean + cohort +
# compare, each stage's peak resident memory, clean against a plain pyarrow parse of the same
# files, and the cohort and compare stages on their own.
TARGETS = {"seconds": 120.0, "peak_gb": 4.0, "clean_vs_parse": 3.0, "cohort_seconds": 20.0,
           "compare_seconds": 45.0}
TARGET_CHILDREN = 1_000_000
REFERENCE_CHILDREN = 100_000  # one national birth cohort: the size time must grow linearly from
BENCH_STAGES = ("clean", "cohort", "compare")
JOBS = os.cpu_count() or 1  # processes a stage may use (the compare stage's pieces), as a run does


@dataclass(frozen=True)
class StageTiming:
    """One stage's wall time, rows handled, peak resident memory and CPU time (user and
    system, of the stage's process and every worker it waited for); the seconds of the run
    that sampled its memory."""

    stage: str
    seconds: float
    rows: int
    peak_mb: float
    cpu_seconds: float = float("nan")
    sampled_seconds: float = float("nan")  # of the run that sampled its memory

    @property
    def rows_per_second(self) -> float:
        return self.rows / self.seconds if self.seconds > 0 else float("nan")


def run_stage_process(study: Path, root: Path, stage: str, *, sample_memory: bool = True
                      ) -> tuple[float, float, float]:
    """Run one stage in a child process; (seconds, peak MB of it and its workers together,
    CPU-seconds of it and its workers: `measured_process`)."""
    command = [sys.executable, "-m", "pipeline", "run", str(study), "--root", str(root),
               "--stages", *(("ingest", "clean") if stage == "clean" else (stage,)), "--force", "--quiet",
               "--jobs", str(JOBS)]
    seconds, peak, cpu, returncode = measured_process(command, sample_memory=sample_memory)
    if returncode != 0:
        raise RuntimeError(f"stage {stage} failed (exit {returncode}); run it alone to see why: "
                           + " ".join(command))
    return seconds, peak, cpu


def measured_process(command: list[str], *, sample_memory: bool = True) -> tuple[float, float, float, int]:
    """Run a command; (seconds, peak MB of it and its workers together, CPU-seconds, exit
    code). The CPU time is the user and system time the kernel counts for the process and
    for every process it waited for (a stage waits for its workers), as `time` prints it.
    Without `sample_memory` the peak is the largest single process's alone (os.wait4), 0
    when it is not above this process's own (see the module's docstring)."""
    # a child's peak resident memory as the kernel reports it starts at this process's own
    # (exec keeps the high-water mark of the memory it replaces: the bench's, which wrote a
    # synthetic study and parsed another); above it, it is the child's
    inherited = _own_peak_kb()
    started = time.perf_counter()
    child = subprocess.Popen(command)
    together = 0.0
    while True:
        waited, status, usage = os.wait4(child.pid, os.WNOHANG if sample_memory else 0)
        if waited:
            break
        sampled = time.perf_counter()
        together = max(together, tree_memory_mb(child.pid))
        # a sample walks every page table of the stage's processes (90 ms at a million
        # children, holding their memory maps meanwhile): taken every quarter second, it
        # took 7 s of the compare stage's 63; at most SAMPLE_SHARE of one core is taken
        time.sleep(max(SAMPLE_SECONDS, (time.perf_counter() - sampled) / SAMPLE_SHARE))
    child.returncode = os.waitstatus_to_exitcode(status)
    seconds = time.perf_counter() - started
    # what the child inherited is this process's high-water mark when it forked, which the
    # start of the child itself may raise past the reading above (by a few hundred kB: a
    # stage that held less was once reported at the bench's own 448.6 MB, against 448.4)
    inherited = max(inherited, _own_peak_kb())
    largest = usage.ru_maxrss if usage.ru_maxrss > inherited else 0
    return (seconds, max(together, largest / 1024),  # ru_maxrss is in kB on Linux
            usage.ru_utime + usage.ru_stime, child.returncode)


def _own_peak_kb() -> int:
    """This process's own peak resident memory in kB (Linux's VmHWM: its memory's high-water
    mark, which a child's starts at); elsewhere getrusage's, which may be higher (on Linux it
    also keeps what this process's own start inherited)."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


SAMPLE_SECONDS = 0.25  # the shortest time between two samples of a stage's memory
SAMPLE_SHARE = 0.05  # the share of one core the samples may take (see run_stage_process)


def tree_memory_mb(pid: int) -> float:
    """The proportional set size of a process and all its descendants, in MB (0 where /proc
    does not say: not Linux, or the process just ended). PSS shares each page among the
    processes that map it, so memory a forked worker still shares with its parent counts once."""
    total, pending = 0, [pid]
    while pending:
        process = pending.pop()
        try:
            with open(f"/proc/{process}/smaps_rollup", encoding="ascii") as rollup:
                total += next((int(line.split()[1]) for line in rollup if line.startswith("Pss:")), 0)
            for task in os.listdir(f"/proc/{process}/task"):
                with open(f"/proc/{process}/task/{task}/children", encoding="ascii") as children:
                    pending += [int(child) for child in children.read().split()]
        except (OSError, ValueError):
            continue
    return total / 1024


@dataclass(frozen=True)
class ParseTiming:
    """The yardstick: seconds pyarrow took to parse the study's CSV inputs, which files and
    how many bytes, and the inputs it could not parse (not CSV)."""

    seconds: float
    files: tuple[str, ...]
    bytes: int
    not_parsed: tuple[str, ...] = ()
    cpu_seconds: float = float("nan")  # of all pyarrow's threads

    def describe(self) -> str:
        """'raw CSV parse with pyarrow: 1.2 s (10 files, 190.1 MB), 2.5 CPU-s', naming what
        was left out."""
        if not self.files:
            return "no CSV inputs to parse"
        line = (f"raw CSV parse with pyarrow: {self.seconds:.1f} s ({len(self.files)} files, "
                f"{self.bytes / 1e6:,.1f} MB), {self.cpu_seconds:.1f} CPU-s")
        return line + (f"; not parsed (not CSV): {', '.join(self.not_parsed)}" if self.not_parsed else "")


def parse_seconds(study: Path) -> ParseTiming:
    """Time pyarrow parsing every CSV input of the study as text (the SPEC's yardstick).

    Each file's encoding and delimiter are found first, outside the timing: the yardstick is
    the parse alone."""
    config = load_study(study)
    paths = [config.input_path(table) for table in config.inputs]
    csv_paths = [path for path in paths if path.suffix.lower() == ".csv"]
    options = [_parse_options(path) for path in csv_paths]
    started, cpu = time.perf_counter(), time.process_time()
    for path, (read_options, parse_options) in zip(csv_paths, options, strict=True):
        pacsv.read_csv(path, read_options=read_options, parse_options=parse_options)
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    return ParseTiming(seconds, tuple(path.name for path in csv_paths),
                       sum(path.stat().st_size for path in csv_paths),
                       tuple(path.name for path in paths if path not in csv_paths), cpu)


def _parse_options(path: Path) -> tuple[pacsv.ReadOptions, pacsv.ParseOptions]:
    """pyarrow's options for one CSV export: its encoding and its delimiter."""
    encoding = detect_encoding(path)
    with path.open(encoding=encoding, errors="replace") as handle:
        delimiter = detect_delimiter(handle.readline())
    return (pacsv.ReadOptions(encoding="utf8" if encoding.startswith("utf-8") else encoding),
            pacsv.ParseOptions(delimiter=delimiter))


def benchmark(study: Path, root: Path) -> tuple[list[StageTiming], ParseTiming]:
    """Time every analysis stage of a study (each in its own process), then run it again for
    its peak memory (see the module's docstring); also the raw parse time."""
    clean_dir = load_study(study).data_clean_dir(root)
    read_inputs_once(study)
    timings = []
    for stage in BENCH_STAGES:
        seconds, _, cpu = run_stage_process(study, root, stage, sample_memory=False)
        sampled_seconds, peak, _ = run_stage_process(study, root, stage)
        timings.append(StageTiming(stage, seconds, _rows(clean_dir, stage), peak, cpu, sampled_seconds))
    return timings, parse_seconds(study)


def read_inputs_once(study: Path, block: int = 1 << 24) -> int:
    """Read every input file of the study through once (untimed), so that each timing starts
    with them in the page cache; the bytes read."""
    config = load_study(study)
    total = 0
    for table in config.inputs:
        with config.input_path(table).open("rb", buffering=0) as handle:
            while chunk := handle.read(block):
                total += len(chunk)
    return total


def _rows(clean_dir: Path, stage: str) -> int:
    """Rows a stage handled: clean rows for clean, children for cohort and compare."""
    stamp = json.loads((clean_dir / ("clean" if stage == "clean" else "cohort") / "_stage.json").read_text())
    rows = stamp.get("rows", {})
    return int(sum(rows.values())) if stage == "clean" else int(rows.get("children", 0))


def report(timings: list[StageTiming], parse: ParseTiming, children: int) -> str:
    """A plain table of one size's timings: seconds, rows, rows per second, peak memory, and
    the CPU-seconds behind the seconds (user and system, every process of the stage)."""
    lines = [f"{children:,} children",
             f"{'stage':<10} {'seconds':>9} {'rows':>12} {'rows/s':>12} {'peak MB':>9} {'CPU-s':>8}"]
    for t in timings:
        lines.append(f"{t.stage:<10} {t.seconds:>9.1f} {t.rows:>12,} {t.rows_per_second:>12,.0f} "
                     f"{t.peak_mb:>9,.0f} {t.cpu_seconds:>8.1f}")
    lines.append(f"{'total':<10} {sum(t.seconds for t in timings):>9.1f} {'':>12} {'':>12} {'':>9} "
                 f"{sum(t.cpu_seconds for t in timings):>8.1f}")
    lines.append(parse.describe())
    sampled = [t for t in timings if t.sampled_seconds == t.sampled_seconds]  # not NaN
    if sampled:
        lines.append("peak MB: from a second run of each stage, sampling its memory (its seconds: "
                     + ", ".join(f"{t.stage} {t.sampled_seconds:.1f}" for t in sampled) + ")")
    lines.append(f"processes: {JOBS} (--jobs; the compare stage splits its work over them)")
    return "\n".join(lines)


def verdict(timings: list[StageTiming], parse: ParseTiming, children: int,
            reference: tuple[list[StageTiming], int] | None = None) -> str:
    """Each target of issue 14 against what was measured: met, missed, or (for another size
    than 1M children) the linear projection to 1M that it is judged on."""
    scale = TARGET_CHILDREN / max(children, 1)
    at_target = children == TARGET_CHILDREN
    seconds = {t.stage: t.seconds for t in timings}
    total = sum(seconds.values())
    peak_gb = max(t.peak_mb for t in timings) / 1024

    def line(what: str, value: float, target: float, unit: str, projected: bool) -> str:
        shown = value * scale if projected and not at_target else value
        how = "" if at_target or not projected else f" (projected to 1M from {value:.1f} {unit})"
        mark = "met" if shown < target else "MISSED"
        return f"  {what:<34} {shown:>8.1f} {unit:<3} target < {target:g} {unit:<3} {mark}{how}"

    lines = ["targets (issue 14, 1M children, 2 cores):",
             line("ingest + clean + cohort + compare", total, TARGETS["seconds"], "s", True),
             line("cohort", seconds.get("cohort", 0.0), TARGETS["cohort_seconds"], "s", True),
             line("compare", seconds.get("compare", 0.0), TARGETS["compare_seconds"], "s", True),
             line("peak memory of any stage", peak_gb, TARGETS["peak_gb"], "GB", False)
             + ("" if at_target else " (at this size; memory is checked at 1M)")]
    if parse.files and parse.seconds > 0:
        ratio = seconds.get("clean", 0.0) / parse.seconds
        mark = "met" if ratio <= TARGETS["clean_vs_parse"] else "MISSED"
        lines.append(f"  {'clean / pyarrow parse':<34} {ratio:>8.1f} x   target <= "
                     f"{TARGETS['clean_vs_parse']:g} x   {mark}")
    if reference is not None:
        small, small_children = reference
        small_total = sum(t.seconds for t in small)
        growth = total / small_total if small_total > 0 else float("nan")
        children_ratio = children / small_children
        lines.append(f"  {'linear in children':<34} {growth:>8.1f} x   for {children_ratio:g}x the "
                     f"children ({small_children:,} -> {children:,}): "
                     f"{growth / children_ratio:.2f} of linear")
    return "\n".join(lines)
