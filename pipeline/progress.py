"""Progress a person can see: a bar per step on a terminal, one line per step in a log.

A stage says how far it has come through the run's `progress` callable, as every message, in
the form `step_message` writes ("compare: 3/15 vacc_mmr1_24m"), so that the run log keeps one
line per step and the command line can draw it as a bar that is redrawn in place. `--quiet`
prints nothing; output that is not a terminal (a log, a pipe, CI) gets the plain lines.
"""

from __future__ import annotations

import re
import shutil
import sys
from collections.abc import Callable
from typing import TextIO

STEP = re.compile(r"^(?P<stage>[\w +]+): (?P<done>\d+)/(?P<total>\d+) (?P<label>.*)$")
BAR_WIDTH = 24


def step_message(stage: str, done: int, total: int, label: str) -> str:
    """The message of one step: "compare: 3/15 vacc_mmr1_24m".

    >>> step_message("ingest + clean", 2, 9, "besok.csv")
    'ingest + clean: 2/9 besok.csv'
    """
    return f"{stage}: {done}/{total} {label}"


def bar(done: int, total: int, width: int = BAR_WIDTH) -> str:
    """A text bar of `width` characters, filled in proportion.

    >>> bar(3, 12, 8)
    '[##......]'
    """
    filled = round(width * done / total) if total else width
    return "[" + "#" * filled + "." * (width - filled) + "]"


def printer(stream: TextIO | None = None, *, interactive: bool | None = None
            ) -> Callable[[str], None]:
    """A `progress` callable for the command line.

    On a terminal a step message is drawn as a bar on one line, redrawn in place until its
    stage's last step (or another message) ends the line; elsewhere every message is a line
    of its own.
    """
    out = stream or sys.stdout
    live = out.isatty() if interactive is None else interactive
    open_line = [False]

    def say(message: str) -> None:
        found = STEP.match(message) if live else None
        if found is None:
            if open_line[0]:
                out.write("\n")
                open_line[0] = False
            out.write(message + "\n")
            out.flush()
            return
        done, total = int(found["done"]), int(found["total"])
        columns = shutil.get_terminal_size((100, 20)).columns
        line = f"{found['stage']}: {bar(done, total)} {done}/{total} {found['label']}"
        out.write("\r" + line[:columns - 1].ljust(columns - 1))
        open_line[0] = done < total
        if not open_line[0]:
            out.write("\n")
        out.flush()

    return say
