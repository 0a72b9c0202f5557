"""The demo's pooled report (issue 15): three synthetic municipalities run, shared and pooled.

`prepare_sites` writes (or reuses) `data_raw/demo_sites/` with `hembesok synth --sites`'s
generator and runs each site through compare (no follow-up parts and no reports: the pooled
report needs only each site's summary) with the ordinary runner, several sites at a time;
`share_and_pool` shares each as `Kommun 1` … and pools them into `outputs/demo_pooled/`.
`make demo` prepares the sites in a background process while it runs the main demo study
(`sites_in_background`), then shares and pools. Every step is cached as the runner caches a
study: a rerun with nothing changed writes nothing.
"""

from __future__ import annotations

import contextlib
import importlib
import json
import multiprocessing
import os
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import IO

from pipeline import privacy
from pipeline.errors import HembesokError
from pipeline.multisite.package import write_site_package
from pipeline.multisite.report import PooledOutputs, write_pooled
from pipeline.parallel import can_fork

DEMO_SITES = 3
DEMO_SITE_CHILDREN = 1500
DEMO_SITES_SEED = 15
SITE_STAGES = ("ingest", "clean", "cohort", "compare")  # what share needs: the summary
BACKGROUND_NICENESS = 10  # of the process preparing the municipalities beside the main demo study
STDOUT, STDERR = 1, 2  # the standard streams' file descriptors


def run_sites(study_folders: Sequence[Path], root: Path, jobs: int = 1,
              stages: Sequence[str] = SITE_STAGES, progress: Callable[[str], None] = lambda _: None) -> None:
    """Run several studies' `stages` with the ordinary runner. With `jobs` > 1 the studies run
    side by side, all at once, sharing the `jobs` processes (each study's compare stage gets
    `jobs // len(study_folders)`, at least one: in-process): they reach their one-process
    steps (ingest, clean, publishing) at different times and keep every core busy to the end,
    where a last study run alone would leave cores idle. Three demo municipalities on two
    cores took some 12 % more CPU time when each forked two compare workers of its own (the
    workers' start and the results sent back), alternately measured: 39-53 CPU-seconds
    against 34-44."""
    from pipeline.runner import run_study

    if jobs <= 1 or len(study_folders) < 2:
        for folder in study_folders:
            run_study(folder, root, stages=list(stages), jobs=jobs)
            progress(f"site {Path(folder).name}: run")
        return
    # the stages' modules imported once, here, rather than by each forked worker
    for stage in stages:
        importlib.import_module(f"pipeline.stages.{stage}")
    each = max(1, jobs // len(study_folders))
    with ProcessPoolExecutor(max_workers=len(study_folders),
                             mp_context=multiprocessing.get_context("fork") if can_fork() else None) as pool:
        futures = [pool.submit(run_study, folder, root, stages=list(stages), jobs=each)
                   for folder in study_folders]
        for folder, future in zip(study_folders, futures, strict=True):
            future.result()
            progress(f"site {Path(folder).name}: run")


def prepare_sites(root: Path, jobs: int = 1, progress: Callable[[str], None] = lambda _: None) -> list[Path]:
    """Write (or reuse) the demo's synthetic municipalities and run them; their study folders."""
    from pipeline.synth import GENERATOR_VERSION
    from pipeline.synth.sites import write_synthetic_sites

    folder = root / "data_raw" / "demo_sites"
    wanted = {"sites": DEMO_SITES, "n_children_per_site": DEMO_SITE_CHILDREN, "seed": DEMO_SITES_SEED,
              "generator_version": GENERATOR_VERSION}
    truth = folder / "truth.json"
    current = json.loads(truth.read_text(encoding="utf-8")) if truth.is_file() else {}
    if {key: current.get(key) for key in wanted} != wanted:
        progress(f"writing {DEMO_SITES} synthetic municipalities ({DEMO_SITE_CHILDREN:,} children each) "
                 f"to {folder} …")
        write_synthetic_sites(folder, DEMO_SITES, n_children=DEMO_SITE_CHILDREN, seed=DEMO_SITES_SEED,
                              name="demo", progress=progress)
    sites = [folder / f"demo-site{number}" for number in range(1, DEMO_SITES + 1)]
    run_sites(sites, root, jobs=jobs, progress=progress)
    return sites


def share_and_pool(root: Path, jobs: int = 1, progress: Callable[[str], None] = lambda _: None
                   ) -> PooledOutputs:
    """Share the (run) demo municipalities as Kommun 1 … and pool them into outputs/demo_pooled."""
    sites = [root / "data_raw" / "demo_sites" / f"demo-site{n}" for n in range(1, DEMO_SITES + 1)]
    packages = [write_site_package(site, root, label=f"Kommun {number}")
                for number, site in enumerate(sites, start=1)]
    return write_pooled(packages, root / "outputs" / "demo_pooled", jobs=jobs, progress=progress)


def demo_pooled(root: Path, jobs: int = 1, progress: Callable[[str], None] = lambda _: None) -> PooledOutputs:
    """Write, run, share and pool the demo's synthetic municipalities; the pooled outputs."""
    prepare_sites(root, jobs, progress)
    return share_and_pool(root, jobs, progress)


@contextlib.contextmanager
def sites_in_background(root: Path, jobs: int = 1) -> Iterator[Callable[[], None]]:
    """Prepare the demo's municipalities in a process of their own, at a lower priority
    (`BACKGROUND_NICENESS`), while the caller runs the main demo study; yields `wait`,
    which waits for it and raises HembesokError with its message if it failed. The process is
    stopped if the caller's block fails or is interrupted.

    Where processes can be forked, it is this one forked, with the stages' modules imported
    first (the main study needs them too): a new interpreter would import them all again, two
    CPU-seconds of a demo that keeps both cores busy throughout."""
    errors = tempfile.TemporaryFile(mode="w+", encoding="utf-8")  # a file: a pipe could fill and block
    if can_fork():
        for module in ("pipeline.runner", "pipeline.synth.sites",
                       *(f"pipeline.stages.{stage}" for stage in SITE_STAGES)):
            importlib.import_module(module)
        process: _Background = _Forked(root, jobs, errors)
    else:
        process = _Started(root, jobs, errors)
    finished = False

    def wait() -> None:
        nonlocal finished
        code = process.wait()
        finished = True
        if code != 0:
            errors.seek(0)
            last = [line for line in errors.read().splitlines() if line.strip()][-3:]
            raise HembesokError("the demo's synthetic municipalities could not be prepared: "
                                + (" / ".join(last) or f"exit code {code}"))

    try:
        yield wait
    finally:
        if not finished:
            process.stop()  # the runner stops as on Ctrl-C: previous outputs left whole
        errors.close()


class _Background:
    """The process preparing the municipalities: `wait` for its exit code, or `stop` it."""

    def wait(self, timeout: float | None = None) -> int | None:
        raise NotImplementedError

    def terminate(self) -> None:
        raise NotImplementedError

    def kill(self) -> None:
        raise NotImplementedError

    def stop(self) -> None:
        """Stop it as Ctrl-C would (SIGTERM), killed if it has not stopped within 30 s."""
        if self.wait(0) is not None:
            return
        self.terminate()
        if self.wait(30) is None:
            self.kill()
            self.wait()


class _Forked(_Background):
    """This process forked to run `_prepare_in_background`."""

    def __init__(self, root: Path, jobs: int, errors: IO[str]) -> None:
        context = multiprocessing.get_context("fork")
        sys.stdout.flush()  # what this process has yet to print is not the forked one's to print
        sys.stderr.flush()
        self.process = context.Process(target=_prepare_in_background, name="hembesok-demo-sites",
                                       args=(Path(root).resolve(), jobs, errors))
        self.process.start()

    def wait(self, timeout: float | None = None) -> int | None:
        self.process.join(timeout)
        return self.process.exitcode

    def terminate(self) -> None:
        self.process.terminate()

    def kill(self) -> None:
        self.process.kill()


class _Started(_Background):
    """`python -m pipeline.multisite.demo ROOT JOBS` (where processes cannot be forked)."""

    def __init__(self, root: Path, jobs: int, errors: IO[str]) -> None:
        command = [sys.executable, "-m", "pipeline.multisite.demo", str(Path(root).resolve()), str(jobs)]
        self.process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                        stderr=errors, cwd=Path.cwd())

    def wait(self, timeout: float | None = None) -> int | None:
        try:
            return self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            return None

    def terminate(self) -> None:
        self.process.terminate()

    def kill(self) -> None:
        self.process.kill()


def _prepare_in_background(root: Path, jobs: int, errors: IO[str]) -> None:
    """The forked process: its output to nowhere and its errors to `errors`, as `_main`'s.

    Written through streams of its own: a stream's lock is copied by the fork as it stood, and
    one that another thread of the caller held then (a test runner's thread printing) would
    never be let go in this process, whose flush of it at its exit would wait for ever."""
    with open(os.devnull, "w", encoding="utf-8") as nowhere:
        os.dup2(nowhere.fileno(), STDOUT)
    os.dup2(errors.fileno(), STDERR)
    sys.stdout = open(STDOUT, "w", encoding="utf-8", closefd=False)  # noqa: SIM115 (to the exit)
    sys.stderr = open(STDERR, "w", encoding="utf-8", errors="backslashreplace", closefd=False)  # noqa: SIM115
    sys.exit(_prepare(root, jobs))


def _main(argv: Sequence[str]) -> int:
    """`python -m pipeline.multisite.demo ROOT JOBS`: prepare_sites, as sites_in_background runs it
    where processes cannot be forked."""
    return _prepare(Path(argv[0]), int(argv[1]))


def _prepare(root: Path, jobs: int) -> int:
    """prepare_sites at a lower priority; the exit code (an error's message on stderr)."""
    from pipeline.cli import _terminate_as_interrupt

    # the main demo study goes first: its stages (the reports above all) are what the user
    # waits for, and the municipalities fill the cores whenever it leaves one idle
    if hasattr(os, "nice"):  # not on Windows
        os.nice(BACKGROUND_NICENESS)
    try:
        with _terminate_as_interrupt():
            prepare_sites(root, jobs)
    except HembesokError as error:
        print(f"error: {privacy.mask_text(str(error))}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(_main(sys.argv[1:]))
