"""Atomic writes, hashing, the stage cache and the run lock (SPEC §5, §11).

Outputs of a stage are written into a temporary folder beside their destination and then
swapped in by rename, so an interrupted run leaves the previous outputs whole. A stage
records the hash of what it was computed from; a rerun with the same hash does no work.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import errno
import hashlib
import json
import math
import os
import platform
import re
import shutil
import signal
import subprocess
import tempfile
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
from filelock import FileLock, Timeout

from pipeline.errors import HembesokError
from pipeline.parsing import as_text_columns, coded_columns

STAMP = "_stage.json"
# Beside a folder that atomic_folder replaces: ".<name>.tmp-<random>" while it is built,
# ".<name>.old-<pid>" for the previous folder while the new one is swapped in.
STAGING, SET_ASIDE = ".tmp-", ".old-"
# A write that failed for want of space or permission: why, and what the user can do.
WRITE_FAILURES = {
    errno.ENOSPC: ("the disk is full", "Free space on that disk"),
    errno.EDQUOT: ("your disk quota is used up", "Free space within your quota"),
    errno.EROFS: ("the file system is read-only", "Make it writable"),
    errno.EACCES: ("permission denied", "Make the folder writable for you (e.g. chmod -R u+w)"),
    errno.EPERM: ("operation not permitted", "Make the folder writable for you (e.g. chmod -R u+w)"),
}
# What the package's behaviour depends on: code, presets and the report templates.
CODE_SUFFIXES = (".py", ".yml", ".j2", ".css", ".json")


def file_sha256(path: Path) -> str:
    """SHA-256 of a file's bytes, read in blocks."""
    digest = hashlib.sha256()
    with Path(path).open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def json_sha256(value: Any) -> str:
    """SHA-256 of a value's canonical JSON."""
    return hashlib.sha256(json.dumps(value, sort_keys=True, default=str).encode()).hexdigest()


def code_version() -> str:
    """A hash of the package's own source, so that a code change invalidates the cache."""
    digest = hashlib.sha256()
    package = Path(__file__).parent
    for path in sorted(package.rglob("*")):
        if path.suffix in CODE_SUFFIXES and "__pycache__" not in path.parts:
            digest.update(str(path.relative_to(package)).encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


@contextlib.contextmanager
def atomic_folder(destination: Path) -> Iterator[Path]:
    """Yield a temporary folder that replaces `destination` whole when the block succeeds.

    The swap is two renames (the old folder aside, the new one in), with Ctrl-C and SIGTERM
    held until both are done; a kill between them is repaired by `recover_folder`.
    """
    destination = Path(destination)
    destination.parent.mkdir(parents=True, exist_ok=True)
    staging: Path | None = None
    try:
        with signals_held():  # a Ctrl-C as it is made would leave it behind, not known to be ours
            staging = Path(tempfile.mkdtemp(prefix=f".{destination.name}{STAGING}", dir=destination.parent))
        staging.chmod(folder_mode())  # mkdtemp makes 0700; outputs follow the umask
        yield staging
        staging.chmod(folder_mode())  # a copytree into it copies the old folder's mode
    except BaseException:
        if staging is not None:
            shutil.rmtree(staging, ignore_errors=True)
        raise
    previous = destination.with_name(f".{destination.name}{SET_ASIDE}{os.getpid()}")
    with signals_held():
        try:
            if destination.exists():
                destination.rename(previous)
            staging.rename(destination)
        except OSError:  # e.g. a read-only parent: the previous folder goes back where it was
            if previous.exists() and not destination.exists():
                previous.rename(destination)
            shutil.rmtree(staging, ignore_errors=True)
            raise
    shutil.rmtree(previous, ignore_errors=True)


def recover_folder(destination: Path) -> list[str]:
    """Undo what a killed run left beside `destination` (call it holding the study's lock).

    A run killed between the two renames of `atomic_folder` left `destination` missing and
    the previous folder set aside: it is put back. Staging folders (and a previous folder
    that was swapped out) are removed. Returns what was done, in words.
    """
    destination = Path(destination)
    if not destination.parent.is_dir():
        return []
    left = re.compile(rf"^\.{re.escape(destination.name)}(?:{re.escape(STAGING)}[a-z0-9_]{{8}}"
                      rf"|(?P<set_aside>{re.escape(SET_ASIDE)}\d+))$")
    found = {path: left.match(path.name) for path in destination.parent.iterdir()}
    leftovers = sorted((path for path, match in found.items() if match),
                       key=lambda path: path.stat().st_mtime)
    set_aside = [path for path in leftovers if found[path]["set_aside"]]
    done = []
    if set_aside and not destination.exists():
        set_aside[-1].rename(destination)
        leftovers.remove(set_aside[-1])
        done.append(f"{destination}: put back the previous folder, which a killed run had set aside "
                    f"while swapping in its own")
    for path in leftovers:
        shutil.rmtree(path, ignore_errors=True)
    if leftovers:
        done.append(f"{destination.parent}: removed {len(leftovers)} staging folder(s) "
                    f"left by an interrupted run")
    return done


@contextlib.contextmanager
def signals_held() -> Iterator[None]:
    """Hold Ctrl-C and SIGTERM until the block is done (they are delivered after it)."""
    if not hasattr(signal, "pthread_sigmask"):  # Windows: no signal masks
        yield
        return
    held = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT, signal.SIGTERM})
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, held)


def copy_tree(source: Path, target: Path) -> None:
    """Copy a folder's contents into an existing folder, files with their times and modes.

    Unlike shutil.copytree, the first copy that fails raises its own OSError (a full disk
    keeps its errno and file name, for a message that says so).
    """
    for path in sorted(Path(source).rglob("*")):  # a folder sorts before what it holds
        copied = Path(target) / path.relative_to(source)
        if path.is_dir():
            copied.mkdir(exist_ok=True)
        else:
            shutil.copy2(path, copied)


def current_umask() -> int:
    """The process's umask: from /proc on Linux, else by setting and restoring it (no getter)."""
    with contextlib.suppress(OSError, ValueError, StopIteration):
        with open("/proc/self/status", encoding="ascii") as status:
            return int(next(line for line in status if line.startswith("Umask:")).split()[1], 8)
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def folder_mode() -> int:
    """The mode a new folder gets under the user's umask, as `mkdir` would give it.

    So that colleagues on a shared server can read the outputs when the umask lets them
    (a temporary folder would otherwise stay private, 0700).
    """
    return 0o777 & ~current_umask()


# The rows of a parquet row group as `write_parquet` writes them (pyarrow's default)
ROW_GROUP_ROWS = 1024 * 1024


def write_parquet(frame: pd.DataFrame, path: Path) -> None:
    """Parquet with a stable layout, so the same data gives the same bytes. A coded column
    (`parsing.coded_text`) is written as its text, a row group at a time (`write_parquet_parts`)."""
    if coded_columns(frame):
        write_parquet_parts([frame], path)
    else:
        table = pa.Table.from_pandas(frame, preserve_index=False)  # as DataFrame.to_parquet
        pq.write_table(table, path, **parquet_options(table.schema))


def write_parquet_parts(parts: Iterable[pd.DataFrame], path: Path) -> None:
    """A table given in parts (in row order, at least one, with one set of columns) written
    one part at a time: the bytes `write_parquet` writes of the parts joined, when each part
    but the last has ROW_GROUP_ROWS rows (so that each is one of its row groups). A table
    made part by part (the antigen doses: 16M rows at a million children) need never be
    whole in memory.

    A part's coded columns (`parsing.coded_text`: a clean event table's categories, child ids
    and source file) are written as their text, a row group's rows at a time, so that their
    text is never made for every row: a million children's 12M visits hold 0.2 GB of such
    codes, which were 1.3 GB of text. The file is the one their text would have given."""
    writer = None
    try:
        for part in parts:
            for rows in _as_text_in_row_groups(part):
                table = pa.Table.from_pandas(rows, preserve_index=False)  # as DataFrame.to_parquet
                del rows
                if writer is None:
                    writer = pq.ParquetWriter(path, table.schema, **parquet_options(table.schema))
                writer.write_table(table)
                del table
    finally:
        if writer is not None:
            writer.close()


def parquet_options(schema: pa.Schema) -> dict[str, Any]:
    """How every parquet file of a run is written: zstd, with statistics (each row group's
    minimum, maximum and missing values) for the columns that are not text. A text column's
    are the smallest and largest pseudonym or category of each row group, which narrow no
    search (pseudonyms are random, and every row group holds every category), and they were
    a quarter of the time taken to write a million children's 13M visits (2.1 -> 1.6 s)."""
    text = (pa.types.is_string, pa.types.is_large_string)
    return {"compression": "zstd",
            "write_statistics": [field.name for field in schema if not any(is_(field.type) for is_ in text)]}


def _as_text_in_row_groups(frame: pd.DataFrame) -> Iterator[pd.DataFrame]:
    """`frame` with its coded columns as text: whole when it has none, else in parts of
    ROW_GROUP_ROWS rows (a parquet file's row groups), each made when it is asked for."""
    if not coded_columns(frame):
        yield frame
        return
    for start in range(0, max(len(frame), 1), ROW_GROUP_ROWS):
        yield as_text_columns(frame.iloc[start:start + ROW_GROUP_ROWS])


@contextlib.contextmanager
def parquet_written_meanwhile(frame: pd.DataFrame, path: Path) -> Iterator[None]:
    """Write `frame` as `write_parquet` does (the same bytes) on a thread of its own while the
    block runs; the file is whole (or its write's error raised) when the block is done.

    pyarrow encodes and compresses without holding the GIL, so the block's work goes on beside
    it: a million children's cohort (116 columns) takes 1.5 s to write, about as long as its
    published tables take to compute. The frame is turned into an arrow table here, before
    the block, so the thread reads only that table, which nothing can change."""
    frame = as_text_columns(frame)
    table = pa.Table.from_pandas(frame, preserve_index=False)  # as DataFrame.to_parquet
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="write-parquet") as writer:
        written = writer.submit(pq.write_table, table, path, **parquet_options(table.schema))
        del table  # the thread's reference is the last: freed when it is written
        yield
        written.result()


def write_csv(frame: pd.DataFrame, path: Path) -> None:
    """A tidy CSV (UTF-8, comma, ISO dates) with a stable float format (`csv_number`)."""
    frame.to_csv(path, index=False, lineterminator="\n", float_format=csv_number,
                 date_format="%Y-%m-%d")


# From this size on a number is written whole, not to 6 significant digits.
WHOLE_FROM = 1e6


def csv_number(value: float) -> str:
    """A published table's float: 6 significant digits, and from a million on in whole units,
    so that no digit left of the decimal point is lost (a budget of 1,234,567 kronor was
    written 1.23457e+06, and the report read back 1,234,570).

    >>> csv_number(0.0823456789), csv_number(1234567.8), csv_number(1800000.0), csv_number(12.0)
    ('0.0823457', '1234568', '1800000', '12')
    """
    return f"{value:.6g}" if abs(value) < WHOLE_FROM or not math.isfinite(value) else f"{value:.0f}"


def read_stamp(folder: Path) -> dict[str, Any] | None:
    path = Path(folder) / STAMP
    return json.loads(path.read_text()) if path.is_file() else None


def write_stamp(folder: Path, stamp: dict[str, Any]) -> None:
    (Path(folder) / STAMP).write_text(json.dumps(stamp, indent=2, sort_keys=True) + "\n")


def package_versions() -> dict[str, str]:
    """Versions of Python and of the packages the numbers depend on."""
    from importlib import metadata

    versions = {"python": platform.python_version()}
    for name in ("hembesok", "numpy", "pandas", "pyarrow", "scipy", "statsmodels", "matplotlib",
                 "papermill", "nbconvert", "openpyxl", "xlsxwriter", "pydantic"):
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "not installed"
    return versions


def git_commit() -> str | None:
    """The commit of the package's checkout, when it is one (else None)."""
    try:
        done = subprocess.run(["git", "-C", str(Path(__file__).parent), "rev-parse", "HEAD"],
                              capture_output=True, text=True, timeout=5, check=False)
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout.strip() or None if done.returncode == 0 else None


def manifest(*, study_name: str, config: dict[str, Any], inputs: dict[str, str], code: str,
             stages: list[dict[str, Any]]) -> dict[str, Any]:
    """manifest.json: what produced the outputs (inputs, config, code, packages, stages)."""
    return {"study": study_name, "created": dt.datetime.now().isoformat(timespec="seconds"),
            "inputs_sha256": inputs, "config": config,
            "code": {"source_sha256": code, "git_commit": git_commit()},
            "packages": package_versions(), "stages": stages,
            "row_counts": {s["stage"]: s.get("rows", {}) for s in stages}}


@contextlib.contextmanager
def study_lock(root: Path, study_name: str) -> Iterator[None]:
    """One run of a study at a time: a second concurrent run fails at once with a message."""
    lock_dir = Path(root) / "data_clean"
    lock_dir.mkdir(parents=True, exist_ok=True)
    lock = FileLock(str(lock_dir / f".{study_name}.lock"))
    try:
        lock.acquire(timeout=0)
    except Timeout:
        raise HembesokError(f"another run of study '{study_name}' is in progress (lock "
                            f"{lock.lock_file}); wait for it to finish") from None
    try:
        yield
    finally:
        lock.release()
