"""The report notebook executed in the report worker's own process gives the outputs a Jupyter
kernel gives (papermill with its own nbclient engine and a python3 kernel is the reference)."""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import papermill
import pytest

from pipeline.stages import notebook_shell
from pipeline.stages.notebook_shell import NotebookShell, register_engine

CELLS = [
    "from IPython.display import HTML, Markdown, display\n"
    "display(Markdown('**fet** text'))\ndisplay(HTML('<b>tabell</b>'))",
    "print('a')\nprint('b', end='')\nprint('c')",
    "import warnings\nwarnings.warn('careful')\nprint('after the warning')",
    "1 + 1",
    "value = 3\nvalue;",
    "import os\nos.write(2, b'written to descriptor 2\\n');",
    "",  # not executed, as nbclient leaves a blank cell
    "{'a': 1}",
    "1 / 0",
    "print('never run')",
]


def notebook(path: Path) -> Path:
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("language = 'sv'", metadata={"tags": ["parameters"]}),
                *(nbformat.v4.new_code_cell(source) for source in CELLS)]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, path)
    return path


def shown(nb: nbformat.NotebookNode) -> list:
    """Each cell's count and outputs: an error by its name and value; each stream's writes
    joined, after the other outputs (a kernel sends what a stream holds when it flushes it,
    so that stdout and stderr interleave by its timing); a warning without the name the
    cell's code is compiled under (a kernel's temporary file, the shell's <ipython-input-…>)."""
    cells = []
    for cell in nb.cells:
        outputs, streams = [], {}
        for output in cell.get("outputs", []):
            if output.output_type == "stream":
                streams.setdefault(output.name, []).append(
                    re.sub(r"^\S+:\d+: (\w+Warning)", r"<cell>: \1", output.text, flags=re.M))
            elif output.output_type == "error":
                outputs.append(("error", output.ename, output.evalue))
            else:
                outputs.append((output.output_type, dict(output.data), dict(output.metadata),
                                output.get("execution_count")))
        outputs += [("stream", name, "".join(texts)) for name, texts in sorted(streams.items())]
        cells.append((cell.get("execution_count"), outputs))
    return cells


def test_cells_executed_in_the_worker_show_what_a_kernel_shows(tmp_path: Path) -> None:
    source = notebook(tmp_path / "probe.ipynb")
    with pytest.raises(papermill.PapermillExecutionError) as by_kernel:
        papermill.execute_notebook(str(source), str(tmp_path / "kernel.ipynb"), kernel_name="python3",
                                   progress_bar=False, parameters={"language": "en"})
    with pytest.raises(papermill.PapermillExecutionError) as in_process:
        papermill.execute_notebook(str(source), str(tmp_path / "shell.ipynb"), kernel_name="python3",
                                   progress_bar=False, parameters={"language": "en"},
                                   engine_name=register_engine(), shell=NotebookShell().fresh())
    kernel = nbformat.read(tmp_path / "kernel.ipynb", as_version=4)
    shell = nbformat.read(tmp_path / "shell.ipynb", as_version=4)
    # (papermill puts a cell saying where it failed first, the parameters it injects third)
    # what C code writes to descriptor 2 reaches a kernel's notebook only when its pipe is read
    # before the cell ends (not here); the shell puts it in the cell's stderr
    descriptor = 3 + CELLS.index("import os\nos.write(2, b'written to descriptor 2\\n');")
    assert [cell for i, cell in enumerate(shown(shell)) if i != descriptor] == \
        [cell for i, cell in enumerate(shown(kernel)) if i != descriptor]
    # spelled out, so that a change on both sides is seen too
    counted = shown(shell)
    assert [count for count, _ in counted] == [None, 1, 2, 3, 4, 5, 6, 7, 8, None, 9, None, 10, None]
    markdown = {"text/markdown": "**fet** text", "text/plain": "<IPython.core.display.Markdown object>"}
    assert counted[3][1][0] == ("display_data", markdown, {}, None)
    assert counted[4][1] == [("stream", "stdout", "a\nbc\n")]
    warned = "<cell>: UserWarning: careful\n  warnings.warn('careful')\n"
    assert counted[5][1] == [("stream", "stderr", warned), ("stream", "stdout", "after the warning\n")]
    assert counted[6][1] == [("execute_result", {"text/plain": "2"}, {}, 6)]
    assert counted[7][1] == [] and counted[8][1] == [("stream", "stderr", "written to descriptor 2\n")]
    assert counted[12][1] == [("error", "ZeroDivisionError", "division by zero")]
    # papermill names the failing cell alike, and the page's language is IPython's
    assert (in_process.value.ename, in_process.value.exec_count) == (by_kernel.value.ename, 10)
    assert shell.metadata.language_info == kernel.metadata.language_info
    assert shell.metadata.papermill.parameters == {"language": "en"}


def test_a_cell_that_runs_over_its_time_fails_and_names_it(tmp_path: Path) -> None:
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("import time\ntime.sleep(60)"), nbformat.v4.new_code_cell("2")]
    nbformat.write(nb, tmp_path / "slow.ipynb")
    with pytest.raises(papermill.PapermillExecutionError) as raised:
        papermill.execute_notebook(str(tmp_path / "slow.ipynb"), str(tmp_path / "out.ipynb"),
                                   kernel_name="python3", progress_bar=False, engine_name=register_engine(),
                                   shell=NotebookShell().fresh(), execution_timeout=0.5)
    assert (raised.value.ename, raised.value.evalue) == ("CellTimeout", "the cell ran longer than 0.5 s")
    assert nbformat.read(tmp_path / "out.ipynb", as_version=4).cells[-1].outputs == []  # not run


def test_a_fresh_shell_forgets_the_report_before(tmp_path: Path) -> None:
    shell = NotebookShell().fresh()
    assert shell.run_cell("kept = 1\nimport matplotlib\nmatplotlib.rcParams['font.size'] = 99", None)[1] == 1
    shell.fresh()
    outputs, count = shell.run_cell("(globals().get('kept'), matplotlib.rcParams['font.size'] "
                                    "if 'matplotlib' in globals() else None)", None)
    assert count == 1 and outputs[0].data["text/plain"] == "(None, None)"
    outputs, _ = shell.run_cell("import matplotlib\nmatplotlib.rcParams['font.size']", None)
    assert outputs[0].data["text/plain"] == "10.0"


def test_what_a_cell_writes_to_the_descriptors_of_its_streams_is_its_output() -> None:
    """A library writing to sys.stdout's descriptor (as C code or a subprocess would) is the
    cell's stdout, after what Python printed; nothing reaches the worker's own terminal."""
    shell = NotebookShell().fresh()
    outputs, _ = shell.run_cell("import os, subprocess, sys\nprint('printed')\n"
                                "os.write(sys.stdout.fileno(), b'by descriptor\\n')\n"
                                "subprocess.run(['echo', 'by a subprocess'], check=True);", None)
    assert [(o.output_type, o.name, o.text) for o in outputs] == [
        ("stream", "stdout", "printed\nby descriptor\nby a subprocess\n")]


@pytest.mark.parametrize(("kind", "fields"), [
    ("stream", {"name": "stderr", "text": "varning\n"}),
    ("display_data", {"data": {"text/html": "<p>Figur 1</p>", "image/png": "iVBORw0KGgo="},
                      "metadata": {"image/png": {"width": 640}}}),
    ("execute_result", {"data": {"text/plain": "42"}, "metadata": {}, "execution_count": 3}),
    ("error", {"ename": "ValueError", "evalue": "no rows", "traceback": ["line 1", "line 2"]}),
])
def test_an_output_is_what_nbformat_makes_of_it(kind: str, fields: dict) -> None:
    made, expected = notebook_shell.output(kind, **fields), nbformat.v4.new_output(kind, **fields)
    assert made == expected
    assert isinstance(made, nbformat.NotebookNode) and made.output_type == kind
    assert all(type(made[key]) is type(expected[key]) for key in expected)  # nested nodes too
    nbformat.validate(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(outputs=[made])]))
