"""Recovery (issue 11): a run killed in any stage leaves the previous outputs whole and no
process behind, and the next run cleans up after it and succeeds; SIGTERM is Ctrl-C; a full
disk or a read-only folder gets one message naming the folder; two study folders cannot
share a name; a title change reruns the report alone; the same run gives the same bytes."""

from __future__ import annotations

import contextlib
import ctypes
import errno
import hashlib
import os
import queue
import shutil
import signal
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import pytest
import yaml

from pipeline import runner, store
from pipeline.cli import main
from pipeline.stages import report as report_stage

LINUX = sys.platform.startswith("linux")
STUDY = "t"
MARK = "HEMBESOK_RECOVERY_TEST"  # in the environment of a run and of every process it starts


@pytest.fixture(scope="module")
def compared(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A root whose study `t` was run through compare: the previous outputs every test starts
    from (as a copy). 120 synthetic children, a concurrent design with one intervention area
    (five reports), so that every stage takes seconds."""
    root = tmp_path_factory.mktemp("recovery")
    folder = root / "data_raw" / STUDY
    assert main(["synth", "--out", str(folder), "--children", "120", "--seed", "3", "--quiet"]) == 0
    config = yaml.safe_load((folder / "study.yml").read_text(encoding="utf-8"))
    config["design"].update(type="concurrent", intervention_areas=["Norrbyåsen"],
                            comparison_areas=["Åsbyhöjden", "Tallmyra"])
    (folder / "study.yml").write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
    assert main(["run", str(folder), "--root", str(root), "--quiet",
                 "--stages", "ingest", "clean", "cohort", "compare"]) == 0
    return root


@pytest.fixture
def root(compared: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "root"
    shutil.copytree(compared, copy)
    return copy


def digests(folder: Path) -> dict[str, str]:
    """Every file under a folder (hidden ones too) with its SHA-256."""
    return {str(path.relative_to(folder)): hashlib.sha256(path.read_bytes()).hexdigest()
            for path in sorted(folder.rglob("*")) if path.is_file()}


def leftovers(root: Path) -> list[str]:
    """Staging and set-aside folders of study t (outputs/.t.tmp-…, data_clean/t/.cohort.old-…)."""
    found = [*(root / "outputs").glob(f".{STUDY}.*-*"), *(root / "data_clean" / STUDY).glob(".*.*-*")]
    return sorted(str(path.relative_to(root)) for path in found if path.is_dir())


def marked_processes(mark: str) -> list[str]:
    """Live (not zombie) processes with MARK=mark in their environment, from /proc."""
    alive = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            environ = (entry / "environ").read_bytes().split(b"\0")
            state = (entry / "stat").read_text().rsplit(")", 1)[1].split()[0]
            command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:  # gone meanwhile, or not ours to read
            continue
        if f"{MARK}={mark}".encode() in environ and state not in ("Z", "X"):
            alive.append(f"{entry.name}: {command[:100]}")
    return alive


def children_of(pid: int) -> list[int]:
    """All descendants of a process, from /proc."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                parents[int(entry.name)] = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, ValueError):
                continue
    found, frontier = [], [pid]
    while frontier:
        kids = [child for child, parent in parents.items() if parent in frontier]
        found += kids
        frontier = kids
    return found


def command_line(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


# A run whose stage `HEMBESOK_HELD_STAGE` waits a minute once it has begun (its staging
# folder made; in the compare stage each piece, so that its workers are running): a signal
# sent when the stage says "running" then always lands in that stage, however loaded the
# machine (the 120 children's stages take a second or two, and a loaded test machine has
# been seen to send it only after the compare stage had ended).
HOLD = """
import os, sys, time
from pipeline import runner
from pipeline.stages import compare

held = os.environ["HEMBESOK_HELD_STAGE"]

def slowly(work):
    return lambda *args: (time.sleep(60), work(*args))[1]

stage, run_pieces = runner._stage, compare.run_pieces

def held_stage(name, folder, staged, stamp, force, progress, compute, published):
    if name == held and held != "compare":
        compute = slowly(compute)
    return stage(name, folder, staged, stamp, force, progress, compute, published)

def held_pieces(pieces, *args, **kwargs):
    return run_pieces([slowly(piece) for piece in pieces], *args, **kwargs)

runner._stage = held_stage
if held == "compare":
    compare.run_pieces = held_pieces
from pipeline.cli import main
sys.exit(main(sys.argv[1:]))
"""


class Run:
    """`hembesok run` of study t in a subprocess (no browser on PATH: no PDFs), its progress
    read line by line as it comes; with `held`, that stage waits a minute once begun (HOLD)."""

    def __init__(self, root: Path, *args: str, held: str | None = None) -> None:
        self.mark = uuid.uuid4().hex
        start = ["-c", HOLD] if held else ["-m", "pipeline"]
        extra = {MARK: self.mark, **({"HEMBESOK_HELD_STAGE": held} if held else {})}
        self.process = subprocess.Popen(
            [sys.executable, *start, "run", f"data_raw/{STUDY}", "--root", ".", *args],
            cwd=root, env=run_env(root, extra), stdout=subprocess.PIPE,
            stderr=subprocess.PIPE, text=True)
        self.lines: queue.Queue[str] = queue.Queue()
        self.stdout: list[str] = []
        self.stderr: list[str] = []
        threading.Thread(target=lambda: [self.lines.put(line) for line in self.process.stdout],
                         daemon=True).start()
        # (the pipes stay open while any process of the run lives: read them aside)
        self.stderr_read = threading.Thread(target=lambda: self.stderr.extend(self.process.stderr),
                                            daemon=True)
        self.stderr_read.start()

    def wait_for(self, text: str, timeout: float = 60) -> None:
        """Read progress until a line holds `text`."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                line = self.lines.get(timeout=0.05)
            except queue.Empty:
                assert self.process.poll() is None, f"the run ended before '{text}': {self.stdout}"
                continue
            self.stdout.append(line)
            if text in line:
                return
        raise AssertionError(f"no '{text}' in {timeout} s: {self.stdout}")

    def wait_for_notebooks(self, count: int, timeout: float = 60) -> list[int]:
        """Wait until `count` report workers of the run execute notebook cells (a cell's
        descriptor 2 goes to the file that catches what it writes there, a deleted temporary
        file); the run's processes then."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            processes = children_of(self.process.pid)
            executing = 0
            for pid in processes:
                with contextlib.suppress(OSError):
                    executing += os.readlink(f"/proc/{pid}/fd/2").endswith("(deleted)")
            if executing >= count:
                return processes
            time.sleep(0.05)
        raise AssertionError(f"{count} worker(s) did not execute notebooks in {timeout} s")

    def stop(self, signum: int) -> tuple[int, str]:
        """Send a signal; (exit code, stderr) when it has ended."""
        self.process.send_signal(signum)
        return self.ended()

    def ended(self) -> tuple[int, str]:
        """(exit code, stderr) once the run has ended (in at most a minute)."""
        code = self.process.wait(timeout=60)
        self.stderr_read.join(timeout=5)
        return code, "".join(self.stderr)

    def thread_taking(self, signum: int, timeout: float = 60) -> int:
        """A thread of the run other than its main one that does not block `signum` and sleeps
        on a lock (one of the pool's, once the stage has started it: a thread woken from a
        system call, as the pool's manager waiting on its pipes would be, wakes Python in it),
        as /proc shows them."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for task in Path(f"/proc/{self.process.pid}/task").iterdir():
                with contextlib.suppress(OSError, StopIteration):
                    status = (task / "status").read_text()
                    blocked = int(next(line for line in status.splitlines()
                                       if line.startswith("SigBlk:")).split()[1], 16)
                    if (int(task.name) != self.process.pid and not blocked & (1 << (signum - 1))
                            and (task / "wchan").read_text().startswith("futex")):
                        return int(task.name)
            time.sleep(0.05)
        raise AssertionError(f"no thread but the main one takes signal {signum} in {timeout} s")

    def stop_through(self, thread: int, signum: int) -> tuple[int, str]:
        """`stop`, the signal sent to one thread of the run (tgkill), as the kernel may
        deliver a signal sent to the process (Ctrl-C in a terminal) to any of its threads."""
        libc = ctypes.CDLL(None, use_errno=True)
        assert libc.tgkill(self.process.pid, thread, signum) == 0, os.strerror(ctypes.get_errno())
        return self.ended()

    def survivors(self, timeout: float = 5) -> list[str]:
        """Processes of the run still alive `timeout` seconds on (none, when all went with it)."""
        deadline = time.monotonic() + timeout
        while (alive := marked_processes(self.mark)) and time.monotonic() < deadline:
            time.sleep(0.1)
        return alive


def run_env(root: Path, extra: dict[str, str] | None = None) -> dict[str, str]:
    """The environment of a run in a subprocess: this checkout's package, no browser on PATH
    (no PDFs: quicker)."""
    bare = root.parent / "no-browser-bin"
    bare.mkdir(exist_ok=True)
    package = str(Path(__file__).resolve().parents[1])
    return {**os.environ, **(extra or {}), "PATH": str(bare),
            "PYTHONPATH": os.pathsep.join(filter(None, [package, os.environ.get("PYTHONPATH")]))}


LABELS = {stage.key: stage.label for stage in runner.PIPELINE}


# (stage, what the run prints when it starts it, --stages of the killed and of the next run)
KILLS = [("clean", "ingest + clean: running", ["ingest", "clean"]),
         ("cohort", "cohort: running", ["cohort"]),
         ("compare", "compare: running", ["compare"]),
         ("report", "report: rendering 5 reports", ["report"])]


@pytest.mark.skipif(not LINUX, reason="children that die with a SIGKILLed run need Linux (prctl)")
@pytest.mark.parametrize(("stage", "started", "stages"), KILLS, ids=[k[0] for k in KILLS])
def test_a_run_killed_in_each_stage_leaves_outputs_whole_and_no_process(
        root: Path, stage: str, started: str, stages: list[str], monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture) -> None:
    before = digests(root / "outputs" / STUDY)
    run = Run(root, "--force", "--jobs", "2", "--stages", *stages,
              held=None if stage == "report" else LABELS[stage])
    run.wait_for(started)
    if stage == "report":
        run.wait_for_notebooks(2)  # workers are executing notebooks
    code, _ = run.stop(signal.SIGKILL)
    assert code == -signal.SIGKILL
    assert run.survivors() == []  # the workers: gone with the run
    assert digests(root / "outputs" / STUDY) == before

    # the next run (in this process, to be quick: one of the reports)
    few_reports(monkeypatch)
    capsys.readouterr()
    assert main(["run", str(root / "data_raw" / STUDY), "--root", str(root), "--stages", *stages]) == 0
    shown = capsys.readouterr().out
    assert "removed 1 staging folder(s) left by an interrupted run" in shown
    assert leftovers(root) == []
    if stage == "report":
        assert f"{LABELS[stage]}: running" in shown
        assert [path.name for path in (root / "outputs" / STUDY / "reports").iterdir()] == \
            [f"{REPORT}.html"]
    else:  # nothing changed: the next run reuses the stage and publishes the same tables
        assert f"{LABELS[stage]}: nothing changed, cached" in shown
        assert {k: v for k, v in digests(root / "outputs" / STUDY).items()
                if k not in ("manifest.json", "run.log")} == \
            {k: v for k, v in before.items() if k not in ("manifest.json", "run.log")}


@pytest.mark.skipif(not LINUX, reason="children that die with a SIGKILLed run need Linux (prctl)")
def test_a_kill_between_the_two_renames_of_the_swap_is_repaired(root: Path,
                                                                capsys: pytest.CaptureFixture) -> None:
    before = digests(root / "outputs" / STUDY)
    # kill the run right after outputs/t was set aside, before the new one is renamed in
    killer = (
        "import os, pathlib, signal, sys\n"
        "rename = pathlib.Path.rename\n"
        "def rename_then_die(self, target):\n"
        "    moved = rename(self, target)\n"
        f"    if pathlib.Path(target).name.startswith('.{STUDY}.old-'):\n"
        "        os.kill(os.getpid(), signal.SIGKILL)\n"
        "    return moved\n"
        "pathlib.Path.rename = rename_then_die\n"
        "from pipeline.cli import main\n"
        f"main(['run', 'data_raw/{STUDY}', '--root', '.', '--force', '--stages', 'ingest', 'clean'])\n")
    killed = subprocess.run([sys.executable, "-c", killer], cwd=root, capture_output=True, text=True,
                            timeout=120, env=run_env(root))
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    # what the kill left: no outputs/t, the previous one set aside, the new one staged
    assert sorted(path.name.rsplit("-", 1)[0] for path in (root / "outputs").iterdir()) == \
        [f".{STUDY}.old", f".{STUDY}.tmp"]

    capsys.readouterr()
    assert main(["run", str(root / "data_raw" / STUDY), "--root", str(root), "--stages", "ingest",
                 "clean"]) == 0
    shown = capsys.readouterr().out
    assert f"{root / 'outputs' / STUDY}: put back the previous folder" in shown
    assert leftovers(root) == []
    after = digests(root / "outputs" / STUDY)
    assert {k: v for k, v in after.items() if k not in ("manifest.json", "run.log")} == \
        {k: v for k, v in before.items() if k not in ("manifest.json", "run.log")}


@pytest.mark.skipif(not LINUX, reason="children that die with a SIGKILLed run need Linux (prctl)")
def test_sigterm_is_handled_like_ctrl_c(root: Path) -> None:
    before = digests(root / "outputs" / STUDY)
    run = Run(root, "--force", "--stages", "compare", held="compare")
    run.wait_for("compare: running")
    ctrl_c = run.stop(signal.SIGINT)
    assert ctrl_c == (130, "interrupted; previous outputs are left whole\n")
    assert leftovers(root) == []
    # SIGTERM while report workers execute notebooks: the same, and they go too
    run = Run(root, "--force", "--jobs", "2", "--stages", "report")
    run.wait_for("report: rendering 5 reports")
    run.wait_for_notebooks(2)
    assert run.stop(signal.SIGTERM) == ctrl_c
    assert run.survivors() == []
    assert leftovers(root) == []  # the run removed its own staging folders
    assert digests(root / "outputs" / STUDY) == before


@pytest.mark.skipif(not LINUX, reason="a signal sent to one thread (tgkill) needs Linux")
def test_ctrl_c_taken_by_another_thread_stops_the_run_at_once(root: Path) -> None:
    """The kernel hands a signal sent to the run to any of its threads that does not block it;
    taken by one of the pool's threads while the main thread waits for the pieces, it stopped
    the run only when the pieces were done (a minute here). The main thread now wakes to
    raise it."""
    before = digests(root / "outputs" / STUDY)
    run = Run(root, "--force", "--jobs", "2", "--stages", "compare", held="compare")
    run.wait_for("compare: running")
    thread = run.thread_taking(signal.SIGINT)
    sent = time.monotonic()
    assert run.stop_through(thread, signal.SIGINT) == (130, "interrupted; previous outputs are left whole\n")
    assert time.monotonic() - sent < 30  # not after the pieces' minute
    assert run.survivors() == []
    assert leftovers(root) == []
    assert digests(root / "outputs" / STUDY) == before


def test_two_study_folders_with_one_name_are_refused(root: Path, capsys: pytest.CaptureFixture) -> None:
    first, second = root / "data_raw" / STUDY, root / "data_raw" / "copy"
    shutil.copytree(first, second)
    before = digests(root / "outputs" / STUDY)
    capsys.readouterr()
    # validate says so as run does (it said "ok: the study can be run"), and records nothing
    assert main(["validate", str(second), "--root", str(root)]) == 1
    assert f"two study folders are named '{STUDY}'" in capsys.readouterr().err
    assert main(["run", str(second), "--root", str(root), "--quiet", "--stages", "ingest", "clean"]) == 1
    message = capsys.readouterr().err
    assert f"two study folders are named '{STUDY}'" in message
    assert str(first) in message and str(second) in message and "name:" in message
    assert digests(root / "outputs" / STUDY) == before
    # once the first folder is gone (moved, renamed), the name is free
    shutil.rmtree(first)
    assert main(["run", str(second), "--root", str(root), "--quiet", "--stages", "ingest", "clean"]) == 0


def _raise(error: OSError):  # noqa: ANN202 - a stand-in for a write
    def write(*_args, **_kwargs) -> None:
        raise error
    return write


def _no_space(errno_: int, file: Path, copied_from: Path | None = None) -> OSError:
    """The OSError a write gets (a copy names its source first, then what it wrote)."""
    if copied_from is not None:
        return OSError(errno_, os.strerror(errno_), str(copied_from), None, str(file))
    return OSError(errno_, os.strerror(errno_), str(file))


# (what fails, the error it raises, where the message says, what it tells the user to do)
FAILED_WRITES = {
    # a full disk while the previous outputs are copied into the run's staging folder
    "disk full in outputs (copy)": ((shutil, "copy2"), lambda root: _no_space(
        errno.ENOSPC, root / "outputs" / f".{STUDY}.tmp-x" / "manifest.json",
        copied_from=root / "outputs" / STUDY / "manifest.json"),
        "outputs", "the disk is full", "Free space on that disk"),
    # a full disk while a table is written into the staged outputs
    "disk full in outputs": ((runner, "write_xlsx"), lambda root: _no_space(
        errno.ENOSPC, root / "outputs" / f".{STUDY}.tmp-x" / "tables" / "a.xlsx"),
        "outputs", "the disk is full", "Free space on that disk"),
    # a read-only data_clean/ when a stage writes its tables
    "read-only data_clean": ((store, "write_parquet"), lambda root: _no_space(
        errno.EROFS, root / "data_clean" / STUDY / "x.parquet"),
        "data_clean", "the file system is read-only", "Make it writable"),
    "no permission in data_clean": ((store, "write_parquet"), lambda root: PermissionError(
        errno.EACCES, os.strerror(errno.EACCES), str(root / "data_clean" / STUDY / "x.parquet")),
        "data_clean", "permission denied", "chmod -R u+w"),
    # a failed write() names no file: both folders are named
    "disk full, no file named": ((store, "write_stamp"), lambda root: OSError(
        errno.ENOSPC, os.strerror(errno.ENOSPC)),
        "data_clean or outputs", "the disk is full", "Free space on that disk"),
}


@pytest.mark.parametrize("case", FAILED_WRITES)
def test_a_folder_that_cannot_be_written_gets_one_message(
        root: Path, case: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture) -> None:
    (module, name), error, where, why, remedy = FAILED_WRITES[case]
    before = digests(root / "outputs" / STUDY)
    monkeypatch.setattr(module, name, _raise(error(root)))
    capsys.readouterr()
    code = main(["run", str(root / "data_raw" / STUDY), "--root", str(root), "--quiet", "--force",
                 "--stages", "ingest", "clean"])
    message = capsys.readouterr().err
    monkeypatch.undo()
    assert code == 1
    folders = " or ".join(str(root / folder) for folder in where.split(" or "))
    assert message.startswith(f"error: cannot write to {folders}: {why}") and remedy in message
    assert "Traceback" not in message and message.count("\n") == 1  # one message, one line
    assert f"the previous outputs in {root / 'outputs' / STUDY} are left whole" in message
    assert digests(root / "outputs" / STUDY) == before
    assert leftovers(root) == []


REPORT = f"{STUDY}_norrbyasen_en"  # the one report the in-process runs make (with figures and manifest)


def few_reports(patch: pytest.MonkeyPatch) -> None:
    """Make runs in this process quicker: one committee report of the five, no PDF."""
    every = report_stage.report_jobs
    patch.setattr(report_stage, "report_jobs", lambda study: [
        job for job in every(study) if job.name == REPORT])
    patch.setattr(report_stage, "pdf_browser", lambda: None)


@pytest.fixture(scope="module")
def reported(compared: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of `compared` with its report published."""
    root = tmp_path_factory.mktemp("reported") / "root"
    shutil.copytree(compared, root)
    with pytest.MonkeyPatch.context() as patch:
        few_reports(patch)
        assert main(["run", str(root / "data_raw" / STUDY), "--root", str(root), "--quiet"]) == 0
    return root


def report_files(root: Path) -> dict[str, str]:
    """The report's HTML and its figure files, with their SHA-256."""
    outputs = root / "outputs" / STUDY
    return {**digests(outputs / "reports"),
            **{f"figures/{name}": digest for name, digest in digests(outputs / "figures").items()}}


def test_reports_are_byte_identical_across_two_runs(reported: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    first = report_files(reported)
    assert [name for name in first if not name.startswith("figures/")] == [f"{REPORT}.html"]
    assert any(name.endswith(".svg") for name in first) and any(name.endswith(".png") for name in first)
    few_reports(monkeypatch)
    assert main(["run", str(reported / "data_raw" / STUDY), "--root", str(reported), "--quiet",
                 "--force", "--stages", "report"]) == 0
    assert report_files(reported) == first
    page = (reported / "outputs" / STUDY / "reports" / f"{REPORT}.html").read_text(encoding="utf-8")
    assert 'id="cell-id=injected-parameters-1"' in page  # papermill's cell, not a random id
    assert "Appendix C" in page and "Created" not in page and "Seconds" not in page  # no times


def test_a_title_change_reruns_the_report_alone(reported: Path, tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    root = tmp_path / "root"
    shutil.copytree(reported, root)
    study_file = root / "data_raw" / STUDY / "study.yml"
    config = yaml.safe_load(study_file.read_text(encoding="utf-8"))
    study_file.write_text(yaml.safe_dump({**config, "title": "Hembesök i Norrbyåsen"}, allow_unicode=True),
                          encoding="utf-8")
    stamps = {stage.key: store.read_stamp(root / "data_clean" / STUDY / stage.key)
              for stage in runner.PIPELINE}
    few_reports(monkeypatch)
    summary = runner.run_study(root / "data_raw" / STUDY, root)
    assert [(s.stage, s.status) for s in summary.stages] == [
        ("ingest + clean", "cached"), ("cohort", "cached"), ("compare", "cached"), ("followup", "cached"),
        ("report", "ran")]
    for key in ("clean", "cohort", "compare", "followup"):
        assert store.read_stamp(root / "data_clean" / STUDY / key) == stamps[key]
    assert store.read_stamp(root / "data_clean" / STUDY / "report") != stamps["report"]
    page = (root / "outputs" / STUDY / "reports" / f"{REPORT}.html").read_text(encoding="utf-8")
    assert "<title>Hembesök i Norrbyåsen – Norrbyåsen</title>" in page
