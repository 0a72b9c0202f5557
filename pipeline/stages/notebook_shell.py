"""A report's notebook executed in the report worker's own process: papermill's parameters and
cell bookkeeping, IPython's execution, no Jupyter kernel.

A kernel of its own (a process per report worker, talked to over ZeroMQ) cost each worker
its start and a second import of pandas, matplotlib and the pipeline, some 1.5 CPU-seconds
of the demo's 32, and kept the worker waiting while it started; here the worker executes the
cells itself, in an IPython shell, and starts with the pipeline already imported when the
run has imported it.

A cell's outputs are what nbclient writes into a notebook from an IPython kernel's messages:
each `display()` a display_data output (the mime bundle of IPython's formatters), a last
expression's value an execute_result numbered as the cell, `print` and warnings stream
outputs (`stdout`, `stderr`; what a library writes to the process's own file descriptors
too), an exception an error output with IPython's traceback. Consecutive writes to a stream
are one output, as nbconvert would join them. Between reports the shell is put back in the
state of a fresh kernel (`NotebookShell.fresh`).
"""

from __future__ import annotations

import contextlib
import functools
import gc
import importlib
import io
import logging
import os
import signal
import sys
import tempfile
import warnings
from collections.abc import Iterator
from typing import Any

ENGINE = "hembesok-in-process"

# what a new interpreter's warnings filters are (Python's defaults; a kernel's IPython adds
# the __main__ one), so that a worker forked from a run (or from a test, which records
# warnings) shows a notebook's warnings as a kernel of its own would
FRESH_FILTERS = (("default", DeprecationWarning, "__main__"), ("ignore", DeprecationWarning, ""),
                 ("ignore", PendingDeprecationWarning, ""), ("ignore", ImportWarning, ""),
                 ("ignore", ResourceWarning, ""))


# what the report notebook imports (its first cell) and the shell needs: imported by the run
# before it forks its report workers, which then start with them (`preload`)
NOTEBOOK_MODULES = ("IPython.core.interactiveshell", "nbformat", "papermill", "pipeline.figures",
                    "pipeline.followup", "pipeline.narrative", "pipeline.report_html", "pipeline.tables",
                    "pipeline.text")


def preload() -> None:
    """Import what every report needs, once, in the process its workers are forked from,
    rather than once in each worker (a second each)."""
    os.environ.setdefault("MPLBACKEND", "Agg")  # read when matplotlib is imported
    for module in NOTEBOOK_MODULES:
        importlib.import_module(module)


class CellTimeout(Exception):
    """A cell ran longer than the report's execution timeout."""


class NotebookShell:
    """The IPython shell a report worker executes notebooks in, one report after another."""

    def __init__(self) -> None:
        from traitlets.config import Config

        os.environ.setdefault("MPLBACKEND", "Agg")
        _fresh_process_state()
        config = Config()
        config.HistoryManager.hist_file = ":memory:"  # as nbclient starts a kernel: no history file
        self.shell = _shell_class().instance(config=config)
        # what C code and subprocesses write to the process's stdout and stderr while a cell runs
        self._descriptors = {name: tempfile.TemporaryFile() for name in ("stdout", "stderr")}

    def fresh(self) -> NotebookShell:
        """The shell as a fresh kernel's: an empty namespace and execution counts from 1 (a new
        session); every warning shown again (changing the filters empties each module's
        registry of warnings already shown); matplotlib's settings as its rc file gives them and
        no pyplot figures. The modules imported stay imported, and what is left once the last
        report's garbage is collected (the modules, mostly) is frozen out of the garbage
        collector's passes, which otherwise walk it again and again while a report draws."""
        self.shell.reset(new_session=True)
        with warnings.catch_warnings():
            pass
        warnings.onceregistry.clear()
        if "matplotlib.pyplot" in sys.modules:
            sys.modules["matplotlib.pyplot"].close("all")
        if "matplotlib" in sys.modules:
            sys.modules["matplotlib"].rc_file_defaults()
        gc.freeze()
        return self

    def run_cell(self, source: str, timeout: float | None) -> tuple[list, int]:
        """Execute one cell; its outputs and its execution count."""
        self.shell.outputs = outputs = []
        count = self.shell.execution_count
        streams = {name: _Stream(outputs, name) for name in ("stdout", "stderr")}
        with self._caught(streams), _time_limit(timeout):
            self.shell.run_cell(source, store_history=True)
        return outputs, count

    @contextlib.contextmanager
    def _caught(self, streams: dict[str, _Stream]) -> Iterator[None]:
        """sys.stdout and sys.stderr, and the process's descriptors 1 and 2, into `streams`."""
        saved_streams = sys.stdout, sys.stderr
        sys.stdout.flush()
        sys.stderr.flush()
        saved = {}
        for number, name in ((1, "stdout"), (2, "stderr")):
            kept = self._descriptors[name]
            kept.seek(0)
            kept.truncate()
            saved[number] = os.dup(number)
            os.dup2(kept.fileno(), number)
        sys.stdout, sys.stderr = streams["stdout"], streams["stderr"]
        try:
            yield
        finally:
            sys.stdout, sys.stderr = saved_streams
            for number, name in ((1, "stdout"), (2, "stderr")):
                os.dup2(saved[number], number)
                os.close(saved[number])
                kept = self._descriptors[name]
                kept.seek(0)
                written = kept.read()
                if written:
                    streams[name].write(written.decode("utf-8", errors="replace"))


def output(output_type: str, **fields: Any) -> Any:
    """A cell's output as nbformat's `new_output(output_type, **fields)` makes it, given every
    field (as each call here gives them), but without checking it against the notebook schema:
    that check (jsonschema, over the whole output: a figure's page and its image) was 1.5 % of
    the report workers' time. The notebook written is checked whole, as papermill writes it."""
    from nbformat import from_dict

    return from_dict({"output_type": output_type, **fields})


class _Stream(io.TextIOBase):
    """A cell's stdout or stderr: writes become its stream outputs."""

    def __init__(self, outputs: list, name: str) -> None:
        self.outputs, self.name = outputs, name

    def write(self, text: str) -> int:
        if not isinstance(text, str):
            raise TypeError(f"write() argument must be str, not {type(text).__name__}")
        if not text:
            return 0
        last = self.outputs[-1] if self.outputs else None
        if last is not None and last.output_type == "stream" and last.name == self.name:
            last.text += text
        else:
            self.outputs.append(output("stream", name=self.name, text=text))
        return len(text)

    def writable(self) -> bool:
        return True

    def fileno(self) -> int:
        """The process's own descriptor of this stream, which the cell's capture holds too."""
        return 1 if self.name == "stdout" else 2

    @property
    def encoding(self) -> str:
        return "utf-8"


@contextlib.contextmanager
def _time_limit(seconds: float | None) -> Iterator[None]:
    """Raise CellTimeout in the cell when it runs longer than `seconds` (the main thread only)."""
    if not seconds:
        yield
        return

    def over(*_args: object) -> None:
        raise CellTimeout(f"the cell ran longer than {seconds:g} s")

    previous = signal.signal(signal.SIGALRM, over)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def _fresh_process_state() -> None:
    """Warnings and logging as a new interpreter has them: a worker forked from a run or from a
    test inherits its filters, its way of showing warnings and its log handlers."""
    warnings.resetwarnings()
    for action, category, module in reversed(FRESH_FILTERS):
        warnings.filterwarnings(action, category=category, module=module)
    warnings.showwarning = _show_warning
    logging.root.handlers.clear()  # the last-resort handler writes to the cell's stderr


def _show_warning(message: Warning | str, category: type[Warning], filename: str, lineno: int,
                  file: Any = None, line: str | None = None) -> None:
    (file or sys.stderr).write(warnings.formatwarning(message, category, filename, lineno, line))


@functools.cache
def _shell_class() -> type:
    """An InteractiveShell whose displays, results and tracebacks become the running cell's
    outputs (one class, and one instance of it, per process: IPython's shell is a singleton)."""
    from IPython.core.displayhook import DisplayHook
    from IPython.core.displaypub import DisplayPublisher
    from IPython.core.interactiveshell import InteractiveShell
    from traitlets import Type

    class Publisher(DisplayPublisher):
        def publish(self, data: dict, metadata: dict | None = None, source: Any = None, *,  # noqa: ARG002
                    transient: dict | None = None, update: bool = False, **_kw: Any) -> None:  # noqa: ARG002
            self.shell.outputs.append(output("display_data", data=data, metadata=metadata or {}))

        def clear_output(self, wait: bool = False) -> None:  # noqa: ARG002
            self.shell.outputs.clear()

    class ResultHook(DisplayHook):
        def write_output_prompt(self) -> None:
            pass

        def write_format_data(self, format_dict: dict, md_dict: dict | None = None) -> None:
            self.shell.outputs.append(output("execute_result", data=format_dict, metadata=md_dict or {},
                                             execution_count=self.prompt_count))

        def finish_displayhook(self) -> None:
            pass

    class Shell(InteractiveShell):
        display_pub_class = Type(Publisher)
        displayhook_class = Type(ResultHook)
        outputs: list = []

        def _showtraceback(self, etype: type, evalue: BaseException, stb: list[str]) -> None:
            self.outputs.append(output("error", ename=str(etype.__name__), evalue=str(evalue),
                                       traceback=stb))

    return Shell


def register_engine() -> str:
    """Register (once per process) and name the papermill engine that executes on a
    NotebookShell (passed as `shell=`): papermill's own bookkeeping of parameters, cell
    metadata and errors, through its documented engine registry."""
    from papermill.engines import Engine, papermill_engines

    if ENGINE in papermill_engines._engines:
        return ENGINE

    class InProcessEngine(Engine):
        @classmethod
        def execute_managed_notebook(cls, nb_man, kernel_name, *, shell: NotebookShell,  # noqa: ANN001, ANN206, ARG003
                                     execution_timeout: float | None = None, **_unused: Any):
            for index, cell in enumerate(nb_man.nb.cells):
                nb_man.cell_start(cell, index)
                failed = False
                try:
                    if cell.cell_type == "code" and cell.source.strip():  # as nbclient: blank cells not run
                        cell.outputs, cell.execution_count = shell.run_cell(cell.source, execution_timeout)
                        failed = any(output.output_type == "error" for output in cell.outputs)
                        if failed:
                            nb_man.cell_exception(cell, index)
                finally:
                    nb_man.cell_complete(cell, index)
                if failed:
                    break
            nb_man.nb.metadata["language_info"] = _language_info()

    papermill_engines.register(ENGINE, InProcessEngine)
    return ENGINE


def _language_info() -> dict:
    """What an IPython kernel says of its language (kernel_info), as nbclient records it."""
    from ipykernel.ipkernel import IPythonKernel

    return dict(IPythonKernel.language_info)
