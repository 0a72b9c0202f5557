"""Independent pieces of one stage's work, run in processes forked from the stage (SPEC §12).

The compare stage's indicators, intervention areas and design tables do not depend on each
other: on a 2-core machine two processes halve the stage. The workers are forked, so they
start with the stage's data already in memory (shared, not copied, until written) and the
pieces need not be picklable; only their results travel back. Each piece computes what it
would compute alone (every bootstrap has its own seed), so the tables are the same whatever
the number of processes; the results come back in the pieces' order, with what each piece
scanned for personnummer (a clean table written in a worker is not scanned again).
"""

from __future__ import annotations

import contextlib
import functools
import gc
import multiprocessing
import os
import signal
import sys
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from typing import Any

from pipeline.publish import scan

# The pieces of the run in progress, read by the forked workers (set just before they fork).
_PIECES: Sequence[Callable[[], Any]] = ()

# Set by the command line's Ctrl-C and SIGTERM handler (cli._terminate_as_interrupt), cleared
# when a command starts: `first_done` raises KeyboardInterrupt once it is set.
interrupted = threading.Event()


def can_fork() -> bool:
    """Forked workers are available (Linux, macOS); elsewhere the pieces run one by one."""
    return "fork" in multiprocessing.get_all_start_methods()


def available_memory() -> int | None:
    """Bytes of memory the system can give without swapping (Linux's MemAvailable), or None
    where it does not say."""
    try:
        with open("/proc/meminfo", encoding="ascii") as meminfo:
            for line in meminfo:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        return None
    return None


def run_pieces(pieces: Sequence[Callable[[], Any]], jobs: int,
               done: Callable[[int], None] = lambda _: None,
               order: Sequence[int] | None = None, keep_freed_memory: bool = False,
               forked: Callable[[], None] | None = None) -> list[Any]:
    """Each piece's result, in the pieces' order; `done(i)` as piece i finishes.

    With `jobs` > 1 the pieces run in up to `jobs` forked processes, started in `order`
    (the pieces' indices; default as given): the longest first, so that the processes
    finish together. An error in a piece stops the others and is raised here. With
    `keep_freed_memory` each process keeps the memory its pieces free, for their next arrays
    (`reuse_freed_memory`): faster, and each process holds its largest need to the end.
    `forked` is called in this process once the processes are forked (not when the pieces
    run here): to let go of what only they need, each having its own copy.
    """
    if jobs <= 1 or len(pieces) <= 1 or not can_fork():
        results = []
        for index, piece in enumerate(pieces):
            results.append(piece())
            done(index)
        return results
    global _PIECES
    _PIECES = pieces
    hand_back_freed_memory()  # what this process freed: not counted again in each worker
    # the run's objects left out of the workers' garbage collections, which would write to
    # each of them and so copy their pages into every worker (the compare stage's peak at a
    # million children 4,057-4,062 -> 3,994-4,001 MB, two runs each); collected again once
    # the pieces are done
    gc.freeze()
    pool = ProcessPoolExecutor(max_workers=min(jobs, len(pieces)),
                               mp_context=multiprocessing.get_context("fork"),
                               initializer=_worker_started, initargs=(os.getpid(), keep_freed_memory))
    results: list[Any] = [None] * len(pieces)
    try:
        started = list(range(len(pieces))) if order is None else list(order)
        if sorted(started) != list(range(len(pieces))):
            raise ValueError(f"order must name each of the {len(pieces)} pieces once, not {started}")
        futures = {pool.submit(_run_piece, index): index for index in started}
        if forked is not None:  # a pool that forks starts all its processes with the first piece
            forked()
        pending = set(futures)
        while pending:
            finished, pending = first_done(pending)
            for future in finished:
                results[futures[future]], scanned = future.result()  # raises the piece's error
                scan.remember(scanned)
                done(futures[future])
    except BaseException:
        stop_workers(pool)
        raise
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
        _PIECES = ()
        gc.unfreeze()
    return results


def first_done(futures: Iterable[Future]) -> tuple[set[Future], set[Future]]:
    """`wait(futures, return_when=FIRST_COMPLETED)` that wakes every fifth of a second: the
    kernel may hand Ctrl-C or SIGTERM to any thread of the process (the pool's own threads
    too), and the main thread, which raises it, does so only once it runs Python code again:
    a wait without a timeout slept through it until a piece was done (58 s in the test whose
    pieces wait a minute; the compare stage's pieces take that long at a million children)."""
    while True:
        if interrupted.is_set():  # raised before, and lost in code that swallowed it
            raise KeyboardInterrupt
        finished, pending = wait(futures, timeout=0.2, return_when=FIRST_COMPLETED)
        if finished:
            return finished, pending


def stop_workers(pool: ProcessPoolExecutor) -> None:
    """Kill a pool's workers and wait until they are gone, its pending work cancelled: on an
    error, so that what a worker's piece would still write (a clean table, a report) cannot
    land in a staging folder the caller removes next. The workers are taken before
    `shutdown`, which lets go of the executor's list of its processes."""
    workers = list((getattr(pool, "_processes", None) or {}).values())
    for worker in workers:
        worker.kill()
    pool.shutdown(wait=False, cancel_futures=True)
    for worker in workers:
        worker.join()


def _worker_started(run_pid: int, keep_freed_memory: bool = False) -> None:
    """A worker dies with the run; Ctrl-C and SIGTERM are the run's to handle."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    die_with_parent(run_pid)
    if keep_freed_memory:
        reuse_freed_memory()


PR_SET_PDEATHSIG = 1  # prctl(2): the signal a process gets when its parent dies


def die_with_parent(parent_pid: int | None = None) -> None:
    """Have Linux kill this process when its parent dies, even by SIGKILL (which runs no
    handler: the children must be told beforehand). Elsewhere it does nothing.

    Called in a worker, and in a browser process between fork and exec (the
    setting survives exec). `parent_pid`, when given, catches a parent that died first.
    """
    if not sys.platform.startswith("linux"):
        return
    _prctl()(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    if parent_pid is not None and os.getppid() != parent_pid:
        os._exit(1)


@functools.cache
def _prctl() -> Callable[..., int]:
    import ctypes

    return ctypes.CDLL(None, use_errno=True).prctl


def dying_with_this_process() -> Callable[[], None] | None:
    """A `preexec_fn` that makes a child process die with this one (Linux; else None)."""
    if not sys.platform.startswith("linux"):
        return None
    _prctl()  # looked up here: between fork and exec the child only calls it
    parent = os.getpid()
    return lambda: die_with_parent(parent)


# glibc's mallopt parameters (malloc.h) and their defaults
_M_TRIM_THRESHOLD, _M_MMAP_MAX = -1, -4
_DEFAULT_TRIM_THRESHOLD, _DEFAULT_MMAP_MAX = 128 * 1024, 65536


def reuse_freed_memory() -> bool:
    """Make this process keep the memory it frees and give it to its next arrays (glibc;
    False elsewhere, where nothing changes).

    glibc gives each array over 32 MB (a million children's design matrix is 80) fresh pages
    from the system and hands them back when it is freed; the kernel clears every fresh
    page: the kernel's time was a fifth of the compare stage's CPU time at a million
    children, two thirds of it in `clear_page` alone (perf). Kept on the process's heap (no
    mmap, no trimming) the pages are cleared once: the stage took 84 s instead of 91, its
    processes together 6.0 GB at their peak instead of 5.2.

    Arrow's arrays (pandas' text columns, their takes) then come from glibc too: arrow's own
    pool (mimalloc) hands freed memory back within milliseconds, and the compare stage's
    processes spent 12-23 s of kernel time at a million children where they spend 8-9 now
    (52 s instead of 53-60, each process 0.25 GB less at its peak). The clean stage's
    processes are not kept so: it made them slower (50-51 s -> 54-58 s) and 1.1-1.4 GB larger."""
    libc = _glibc()
    kept = libc is not None and bool(libc.mallopt(_M_MMAP_MAX, 0)) and bool(
        libc.mallopt(_M_TRIM_THRESHOLD, 2**31 - 1))
    if kept:
        import pyarrow as pa
        pa.set_memory_pool(pa.system_memory_pool())
    return kept


@contextlib.contextmanager
def freed_memory_kept() -> Iterator[bool]:
    """`reuse_freed_memory` for the block only (whether it could be done): after it, what the
    process kept is handed back (`malloc_trim`), and glibc's limits (at their defaults) and
    arrow's memory pool are as before, so that a stage kept so leaves the run's process no
    larger for the stages after it (glibc's mmap threshold then stays at its 128 KB instead of
    rising with the arrays freed: the run's own process maps its larger arrays afresh)."""
    import pyarrow as pa

    pool = pa.default_memory_pool()
    kept = reuse_freed_memory()
    try:
        yield kept
    finally:
        if kept:
            pa.set_memory_pool(pool)
            libc = _glibc()
            libc.mallopt(_M_MMAP_MAX, _DEFAULT_MMAP_MAX)
            libc.mallopt(_M_TRIM_THRESHOLD, _DEFAULT_TRIM_THRESHOLD)
            libc.malloc_trim(0)


# Linux's prctl options (linux/prctl.h): transparent huge pages off for a process and what it
# starts, and whether they are
_PR_SET_THP_DISABLE, _PR_GET_THP_DISABLE = 41, 42
# Set to 1 to keep the system's transparent huge pages in a run (to measure them, say)
HUGE_PAGES_ENV = "HEMBESOK_HUGE_PAGES"


def without_huge_pages() -> bool:
    """Turn transparent huge pages off for this process and every process it forks or starts
    (Linux's PR_SET_THP_DISABLE, inherited across fork and exec); whether they are off.

    numpy and arrow's allocator ask the kernel for huge pages for their large arrays, and the
    kernel clears each 2 MB page when it is first touched, however little of it is used before
    it is freed: on the 2-core bench machine a plain pyarrow parse of a million children's
    CSV exports took 13.8-15.5 s with them and 5.4-6.7 s without (three runs each, alternately),
    the cohort stage 13.7-15.2 s and 11.2-13.8 s, the clean stage as long either way with its
    peak 0.1-0.3 GB lower (3,773-3,894 MB against 3,864-4,177). Nothing changes where the
    system has none, or off Linux (False)."""
    if not sys.platform.startswith("linux"):
        return False
    import ctypes
    import ctypes.util

    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)
        return libc.prctl(_PR_SET_THP_DISABLE, 1, 0, 0, 0) == 0 and libc.prctl(
            _PR_GET_THP_DISABLE, 0, 0, 0, 0) == 1
    except (OSError, AttributeError):
        return False


def hand_back_freed_memory() -> None:
    """Hand the system the memory this process has freed but glibc keeps for its next arrays
    (`malloc_trim`; nothing elsewhere): before a process forks workers (`run_pieces`), which
    would each hold it too. After the clean stage's children, 0.2 GB of the run's 1.0 GB."""
    libc = _glibc()
    if libc is not None:
        libc.malloc_trim(0)


def _glibc() -> Any:
    """The C library, when it is glibc (its `mallopt` and `malloc_trim`); None elsewhere."""
    import ctypes
    import ctypes.util

    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c"))
        return libc if libc.gnu_get_libc_version() and libc.mallopt and libc.malloc_trim else None
    except (OSError, AttributeError, TypeError):
        return None


def _run_piece(index: int) -> tuple[Any, dict]:
    """A piece's result, and what it scanned for personnummer (`scan.remember`): a clean table
    written and scanned in a worker is not scanned again by the run."""
    mark = scan.scanned_count()
    return _PIECES[index](), scan.findings_since(mark)
