"""The demo's municipalities prepared beside the main study (`multisite.demo.sites_in_background`):
in a forked process where processes can be forked, else in a new interpreter; its result or
its error's last lines come back to `wait`, and it is stopped when the demo stops first."""

from __future__ import annotations

import io
import os
import sys
import threading
import time
from pathlib import Path

import pytest

from pipeline.errors import HembesokError
from pipeline.multisite import demo
from pipeline.parallel import can_fork

pytestmark = pytest.mark.skipif(not can_fork(), reason="the forked background process")


def test_the_forked_process_prepares_the_sites_at_a_lower_priority(tmp_path: Path,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    def prepare(root: Path, jobs: int) -> None:
        print("progress nobody reads")  # the forked process's output goes nowhere
        (root / "prepared").write_text(f"{jobs} {os.getpid()} {os.getpriority(os.PRIO_PROCESS, 0)}")

    monkeypatch.setattr(demo, "prepare_sites", prepare)
    with demo.sites_in_background(tmp_path, jobs=2) as wait:
        wait()
    jobs, pid, niceness = (int(word) for word in (tmp_path / "prepared").read_text().split())
    assert jobs == 2 and pid != os.getpid()
    assert niceness == min(19, os.getpriority(os.PRIO_PROCESS, 0) + demo.BACKGROUND_NICENESS)  # 19: the most


def test_an_error_comes_back_to_wait_without_a_personnummer(tmp_path: Path,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    def prepare(root: Path, jobs: int) -> None:
        raise HembesokError("demo-site2: barn.csv could not be read (19800101-1234 in row 3)")

    monkeypatch.setattr(demo, "prepare_sites", prepare)
    with demo.sites_in_background(tmp_path) as wait, pytest.raises(HembesokError) as raised:
        wait()
    message = str(raised.value)
    assert message.startswith("the demo's synthetic municipalities could not be prepared: error: demo-site2")
    assert "19800101-1234" not in message and "barn.csv could not be read" in message


def test_the_process_is_stopped_when_the_demo_stops_first(tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    def prepare(root: Path, jobs: int) -> None:
        (root / "started").write_text(str(os.getpid()))
        try:
            time.sleep(60)
        except KeyboardInterrupt:  # SIGTERM, as the runner takes it: the cleanup runs
            (root / "stopped").write_text("as on Ctrl-C")
            raise

    monkeypatch.setattr(demo, "prepare_sites", prepare)
    began = time.monotonic()
    with pytest.raises(RuntimeError, match="the main study failed"), demo.sites_in_background(tmp_path):
        while not (tmp_path / "started").exists():
            if time.monotonic() - began > 30:
                pytest.fail("the forked process did not begin to prepare the sites in 30 s")
            time.sleep(0.02)
        raise RuntimeError("the main study failed")
    assert time.monotonic() - began < 30
    assert (tmp_path / "stopped").read_text() == "as on Ctrl-C"
    with pytest.raises(ProcessLookupError):
        os.kill(int((tmp_path / "started").read_text()), 0)  # gone, and reaped


class _HeldAtTheFork(io.StringIO):
    """A stream whose lock another thread held when the process forked (a test runner's thread
    printing): in the forked process a flush of it waits for ever, in this one it does not."""

    def __init__(self, descriptor: int) -> None:
        super().__init__()
        self.pid, self.descriptor = os.getpid(), descriptor

    def fileno(self) -> int:
        return self.descriptor

    def flush(self) -> None:
        if os.getpid() != self.pid:
            threading.Event().wait()
        super().flush()


def test_the_process_is_stopped_though_its_streams_were_held_at_the_fork(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Once seen in the whole suite: the forked process did not end on SIGTERM and was killed
    after the 30 s grace, its exit waiting on a stream's lock copied from the fork."""
    monkeypatch.setattr(sys, "stdout", _HeldAtTheFork(1))
    monkeypatch.setattr(sys, "stderr", _HeldAtTheFork(2))
    test_the_process_is_stopped_when_the_demo_stops_first(tmp_path, monkeypatch)


def test_where_processes_cannot_fork_a_new_interpreter_prepares_them(tmp_path: Path,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """`python -m pipeline.multisite.demo ROOT JOBS` (no fork: Windows): its failure's last
    lines come back to wait (here a root that is a file, where no study folder can be made)."""
    monkeypatch.setattr(demo, "can_fork", lambda: False)
    root = tmp_path / "not-a-folder"
    root.write_text("a file", encoding="utf-8")
    with demo.sites_in_background(root) as wait, pytest.raises(HembesokError) as raised:
        wait()
    assert str(raised.value).startswith("the demo's synthetic municipalities could not be prepared: ")
    assert "NotADirectoryError" in str(raised.value) or "FileExistsError" in str(raised.value)
