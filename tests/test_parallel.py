"""pipeline.parallel: pieces of a stage in forked processes give what they give in one."""

import os
import threading

import numpy as np
import pyarrow as pa
import pyarrow.compute
import pytest

from pipeline.parallel import can_fork, freed_memory_kept, run_pieces

needs_fork = pytest.mark.skipif(not can_fork(), reason="no fork on this platform")


def _pieces(data: np.ndarray) -> list:
    # closures over data the workers did not receive: a forked worker already holds it
    return [lambda i=i: (float(data[i::5].sum()), os.getpid()) for i in range(5)]


@pytest.mark.parametrize("jobs", [1, 2])
def test_results_come_back_in_the_pieces_order(jobs: int) -> None:
    data = np.arange(1000.0)
    finished: list[int] = []
    results = run_pieces(_pieces(data), jobs, finished.append)
    # sum of i, i+5, ..., i+995: 200 terms, mean (i + i + 995) / 2
    assert [total for total, _ in results] == [200 * (2 * i + 995) / 2 for i in range(5)]
    assert sorted(finished) == [0, 1, 2, 3, 4]
    in_this_process = {pid for _, pid in results} == {os.getpid()}
    assert in_this_process is (jobs == 1 or not can_fork())


@needs_fork
def test_an_error_in_a_piece_is_raised_in_the_run() -> None:
    def broken() -> None:
        raise ValueError("piece 2 cannot be computed")

    with pytest.raises(ValueError, match="piece 2 cannot be computed"):
        run_pieces([lambda: 1, broken, lambda: 3], jobs=2)
    # and the next run starts clean
    assert run_pieces([lambda: 1, lambda: 2], jobs=2) == [1, 2]


@needs_fork
def test_pieces_start_in_the_order_given_and_come_back_in_their_own() -> None:
    """Two processes, four pieces of 0.3 s started last-first: each process takes the next
    piece in that order when it is free, so pieces 3 and 2 start first (together, in either
    order: which process begins first is the machine's) and 1 and 0 only once one of them is
    done; the results are still in the pieces' order."""
    import time

    def piece(i: int) -> tuple[int, float]:
        started = time.monotonic()  # one clock for every process (CLOCK_MONOTONIC)
        time.sleep(0.3)
        return i, started

    results = run_pieces([lambda i=i: piece(i) for i in range(4)], jobs=2, order=[3, 2, 1, 0])
    assert [i for i, _ in results] == [0, 1, 2, 3]
    starts = {i: started for i, started in results}
    assert set(sorted(starts, key=starts.get)[:2]) == {3, 2}
    assert min(starts[1], starts[0]) >= min(starts[3], starts[2]) + 0.29  # after a piece was done
    with pytest.raises(ValueError, match="each of the 2 pieces once"):
        run_pieces([lambda: 1, lambda: 2], jobs=2, order=[0, 0])


def test_an_error_with_problems_reaches_the_run_as_raised() -> None:
    """A ConfigError travels back from a worker pickled: its message is the one raised."""
    import pickle

    from pipeline.errors import ConfigError

    error = ConfigError(["design.intervention_areas: 'Norbyåsen' is not an area"], source="x/study.yml")
    again = pickle.loads(pickle.dumps(error))
    assert str(again) == str(error) == ("x/study.yml: 1 problem(s)\n"
                                        "  - design.intervention_areas: 'Norbyåsen' is not an area")
    assert again.problems == error.problems and again.source == "x/study.yml"


@needs_fork
def test_what_a_worker_scanned_is_known_to_the_run(tmp_path, monkeypatch) -> None:
    """A parquet table written and scanned in a worker (as the clean stage's are) is not
    scanned again by the run's own scan: its findings came back with the piece. A file with
    other bytes is scanned anew."""
    import pandas as pd
    from studykit import pnr

    from pipeline.publish import scan

    number = pnr("20190311", "123")
    tables = [tmp_path / "a.parquet", tmp_path / "b.parquet"]

    def written(index: int) -> int:
        pd.DataFrame({"note": [f"ring {number}" if index else "ok", "x"]}).to_parquet(tables[index])
        scan.scan_ahead([tables[index]])
        return index

    assert run_pieces([lambda i=i: written(i) for i in range(2)], jobs=2) == [0, 1]
    monkeypatch.setattr(scan, "_scanned", lambda *_: pytest.fail("scanned again"))
    assert scan.scan_file_for_personnummer(tables[0]) == []
    assert scan.scan_file_for_personnummer(tables[1]) == ["########-####"]
    monkeypatch.undo()
    pd.DataFrame({"note": [number]}).to_parquet(tables[0])
    assert scan.scan_file_for_personnummer(tables[0]) == ["########-####"]


def _a_64_mb_array_is_on_the_heap() -> bool:
    """Whether a 64 MB array of this process lies in its heap ([heap] in /proc/self/maps)."""
    array = np.ones(8 * 2**20)  # 64 MB: over glibc's largest mmap threshold (32 MB)
    with open("/proc/self/maps", encoding="ascii") as maps:
        spans = [line.split()[0].split("-") for line in maps if line.rstrip().endswith("[heap]")]
    address = array.ctypes.data
    return any(int(start, 16) <= address < int(end, 16) for start, end in spans)


@needs_fork
@pytest.mark.skipif(not os.path.exists("/proc/self/maps"), reason="needs Linux /proc")
def test_workers_that_keep_freed_memory_take_large_arrays_from_their_heap() -> None:
    """keep_freed_memory: a worker's 64 MB array comes from its heap (kept and reused when
    freed), not from pages mapped for it alone, as it does without (glibc)."""
    import platform

    if platform.libc_ver()[0] != "glibc":
        pytest.skip("glibc only")
    assert run_pieces([_a_64_mb_array_is_on_the_heap] * 3, jobs=2, keep_freed_memory=True) == [True] * 3
    assert run_pieces([_a_64_mb_array_is_on_the_heap] * 3, jobs=2) == [False] * 3
    # arrow's arrays too: from glibc (kept) in those workers, from arrow's own pool elsewhere
    own_pool = pa.default_memory_pool().backend_name
    assert run_pieces([_an_arrow_array_is_from_glibc] * 2, jobs=2, keep_freed_memory=True) == [True] * 2
    assert run_pieces([_an_arrow_array_is_from_glibc] * 2, jobs=2) == [own_pool == "system"] * 2
    assert pa.default_memory_pool().backend_name == own_pool  # the run's own process: as it was


@needs_fork
@pytest.mark.skipif(not os.path.exists("/proc/self/maps"), reason="needs Linux /proc")
def test_memory_kept_for_a_block_is_handed_back_after_it() -> None:
    """freed_memory_kept (the cohort stage): within the block large arrays come from the heap
    and arrow's from glibc; after it, neither, as before the block (checked in a worker, so
    that this process is left alone)."""
    import platform

    if platform.libc_ver()[0] != "glibc":
        pytest.skip("glibc only")

    def kept_then_given_back() -> list[bool]:
        before = [_a_64_mb_array_is_on_the_heap(), _an_arrow_array_is_from_glibc()]
        with freed_memory_kept() as kept:
            within = [_a_64_mb_array_is_on_the_heap(), _an_arrow_array_is_from_glibc()]
        return [kept, *before, *within, _a_64_mb_array_is_on_the_heap(), _an_arrow_array_is_from_glibc()]

    own_pool = pa.default_memory_pool().backend_name == "system"
    assert run_pieces([kept_then_given_back] * 2, jobs=2)[0] == \
        [True, False, own_pool, True, True, False, own_pool]


def _an_arrow_array_is_from_glibc() -> bool:
    """Whether a new arrow array's memory comes from the system allocator (glibc's malloc)."""
    pool = pa.default_memory_pool()
    before = pool.bytes_allocated()
    array = pa.compute.multiply(pa.array(np.arange(2**20)), 2)  # a new buffer (pa.array wraps numpy's)
    return pool.backend_name == "system" and pool.bytes_allocated() - before >= array.nbytes


@needs_fork
def test_an_error_in_a_piece_stops_the_pieces_still_running(tmp_path) -> None:
    """When a piece fails, a piece still running in the other process is stopped before the
    error reaches the run: it writes nothing afterwards (the clean stage's staging folder is
    removed as the error goes on)."""
    import time

    late = tmp_path / "written-after-the-error.txt"

    def slow() -> None:
        time.sleep(1.0)
        late.write_text("too late")

    def broken() -> None:
        time.sleep(0.2)  # the slow piece has started in the other process
        raise ValueError("the visits export cannot be read")

    with pytest.raises(ValueError, match="cannot be read"):
        run_pieces([slow, broken], jobs=2)
    time.sleep(1.5)
    assert not late.exists()


def test_an_interrupt_lost_on_the_way_is_raised_by_the_wait_for_the_pieces() -> None:
    """`interrupted` (set by the command line's Ctrl-C / SIGTERM handler) makes the wait for a
    stage's pieces raise KeyboardInterrupt, though the interrupt itself was swallowed; unset,
    the wait returns what is done."""
    from concurrent.futures import Future

    from pipeline import parallel

    never, done = Future(), Future()
    done.set_result(1)
    assert parallel.first_done([never, done]) == ({done}, {never})
    later = threading.Timer(2, never.set_result, (2,))  # without the flag the wait ends here
    parallel.interrupted.set()
    later.start()
    try:
        with pytest.raises(KeyboardInterrupt):
            parallel.first_done([never])
    finally:
        parallel.interrupted.clear()
        later.join()


@pytest.mark.skipif(not os.path.exists("/proc/self/status"), reason="needs Linux /proc")
def test_huge_pages_are_off_for_the_process_and_the_processes_it_starts() -> None:
    """without_huge_pages: the kernel's own account of a process started afterwards (its
    /proc status) says it may not have transparent huge pages; one started before, may
    (checked in a process of its own, so that this one is left alone)."""
    import subprocess
    import sys

    code = ("import ctypes, subprocess\n"
            "from pipeline.parallel import without_huge_pages\n"
            # allowed again first: this test process may have had them turned off (cli.main)
            "ctypes.CDLL(None).prctl(41, 0, 0, 0, 0)\n"
            "def enabled():\n"
            "    status = subprocess.run(['cat', '/proc/self/status'], capture_output=True,"
            " text=True).stdout\n"
            "    return [line.split()[1] for line in status.splitlines()"
            " if line.startswith('THP_enabled')]\n"
            "before = enabled()\n"
            "print(before, without_huge_pages(), enabled())\n")
    printed = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                             check=True).stdout.strip()
    if printed.startswith("[]"):
        pytest.skip("this kernel's /proc status does not say (THP_enabled: Linux 5.0 on)")
    if printed.startswith("['0']"):
        pytest.skip("this system allows no process transparent huge pages")
    assert printed == "['1'] True ['0']"


def test_the_command_line_turns_huge_pages_off_unless_told_to_keep_them(monkeypatch) -> None:
    """Every command (here one that fails at once: no such study) turns them off first;
    HEMBESOK_HUGE_PAGES=1 keeps them."""
    from pipeline import cli, parallel

    turned_off = []
    monkeypatch.setattr(parallel, "without_huge_pages", lambda: turned_off.append(True) or True)
    monkeypatch.delenv(parallel.HUGE_PAGES_ENV, raising=False)
    assert cli.main(["validate", "/nonexistent/study"]) == 1
    assert turned_off == [True]
    monkeypatch.setenv(parallel.HUGE_PAGES_ENV, "1")
    assert cli.main(["validate", "/nonexistent/study"]) == 1
    assert turned_off == [True]


@needs_fork
def test_the_runs_objects_are_left_out_of_the_workers_collections() -> None:
    """run_pieces freezes the run's objects before it forks (each worker finds them in the
    permanent generation, not collected: no page of theirs written) and unfreezes them after."""
    import gc

    objects = len(gc.get_objects())
    frozen = run_pieces([gc.get_freeze_count] * 2, jobs=2)
    assert min(frozen) >= objects * 0.9  # (what the run made after counting: not frozen yet)
    assert gc.get_freeze_count() == 0


@needs_fork
def test_forked_is_called_here_once_the_workers_hold_their_copies() -> None:
    held = {"data": np.arange(1000.0)}
    calls: list[int] = []

    def piece(i: int) -> float:
        return float(held["data"][i::5].sum())  # each worker's own copy, taken at the fork

    def let_go() -> None:
        calls.append(os.getpid())
        held.clear()  # in this process only

    results = run_pieces([lambda i=i: piece(i) for i in range(5)], 2, forked=let_go)
    assert results == [200 * (2 * i + 995) / 2 for i in range(5)]
    assert calls == [os.getpid()] and held == {}


def test_forked_is_not_called_when_the_pieces_run_here() -> None:
    calls: list[int] = []
    assert run_pieces([lambda: 1, lambda: 2], 1, forked=lambda: calls.append(1)) == [1, 2]
    assert calls == []


@pytest.mark.skipif(not can_fork(), reason="the pieces run in this process")
def test_a_worker_starts_without_importing_the_report_stage() -> None:
    """A compare or clean worker sets itself to die with the run (`die_with_parent`) without
    importing the report stage, matplotlib with it (0.4-0.7 CPU-seconds in each worker): a
    fresh interpreter, whose run has not imported them either, asks its workers."""
    import subprocess
    import sys

    program = ("import sys\n"
               "from pipeline.parallel import run_pieces\n"
               "def imported():\n"
               "    return sorted(m for m in ('pipeline.stages.report', 'matplotlib') if m in sys.modules)\n"
               "print(run_pieces([imported, imported], jobs=2), imported())\n")
    done = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[[], []] []"
