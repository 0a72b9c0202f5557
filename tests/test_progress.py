"""Progress a person can see (issue 14, point 5): a bar redrawn in place on a terminal, one
line per step in a log, nothing with --quiet."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest

from pipeline.cli import main
from pipeline.progress import bar, printer, step_message


def test_a_terminal_draws_one_line_redrawn_until_the_last_step() -> None:
    out = io.StringIO()
    say = printer(out, interactive=True)
    say("compare: running …")
    for done in (1, 2, 3, 4):
        say(step_message("compare", done, 4, f"indicator {done}"))
    say("compare: done")
    text = out.getvalue()
    assert text.startswith("compare: running …\n")
    assert text.count("\r") == 4 and text.count("\n") == 3  # the bar's line ends once, at 4/4
    assert f"compare: {bar(2, 4)} 2/4 indicator 2" in text
    assert bar(2, 4).count("#") == 12 and bar(4, 4) == "[" + "#" * 24 + "]"
    assert text.endswith("compare: done\n")


def test_a_message_in_the_middle_of_a_bar_starts_a_new_line() -> None:
    out = io.StringIO()
    say = printer(out, interactive=True)
    say(step_message("ingest", 1, 3, "barn.csv"))
    say("a warning")
    assert out.getvalue().split("\n")[-2] == "a warning"


def test_a_log_gets_one_plain_line_per_step() -> None:
    out = io.StringIO()
    say = printer(out, interactive=False)
    for done in (1, 2):
        say(step_message("clean", done, 2, "visits"))
    assert out.getvalue() == "clean: 1/2 visits\nclean: 2/2 visits\n"


def test_a_run_reports_each_file_table_and_indicator_and_is_silent_when_quiet(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = tmp_path / "data_raw" / "p"
    assert main(["synth", "--out", str(folder), "--children", "300", "--seed", "3", "--quiet"]) == 0
    assert main(["run", str(folder), "--root", str(tmp_path), "--stages", "ingest", "clean"]) == 0
    lines = capsys.readouterr().out.splitlines()
    # each file read and each table cleaned, numbered as they are done (the exports after the
    # children are cleaned in two processes, in the order of their size)
    files = {"barn.csv", "besok.xlsx", "amning.csv", "vaccinationer.csv", "sprak.xlsx",
             "vardkontakter.csv", "tandhalsa.csv", "samtal.csv", "samverkan.csv", "omraden.csv"}
    tables = {"children", "visits", "breastfeeding", "vaccinations", "language", "care_contacts",
              "dental", "conversations", "collaboration", "areas"}
    for step, names in (("ingest", files), ("clean", tables)):
        told = [line.removeprefix(f"{step}: ").split(" ", 1) for line in lines
                if line.startswith(f"{step}: ")]
        assert [count for count, _ in told] == [f"{k}/10" for k in range(1, 11)], step
        assert {name for _, name in told} == names, step
    assert lines.index("clean: 1/10 children") < lines.index("ingest: 2/10 " + next(
        line.split()[-1] for line in lines if line.startswith("ingest: 2/10")))
    assert main(["run", str(folder), "--root", str(tmp_path), "--stages", "ingest", "clean",
                 "--force", "--quiet"]) == 0
    assert capsys.readouterr().out == ""
    log = (tmp_path / "outputs" / "p" / "run.log").read_text(encoding="utf-8")
    assert re.search(r"ingest: \d+/10 besok\.xlsx\n", log)  # the run log keeps one line per step
