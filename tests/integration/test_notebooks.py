"""The notebooks: committed clean, runnable with their defaults (nbval), and clear about bad parameters."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import nbformat

from imgexp.paths import NOTEBOOKS
from imgexp.report.execute import COMPARE_NOTEBOOK, STRATEGY_NOTEBOOK

from ..helpers import NOTEBOOK_FILES, dirt

BIN = Path(sys.executable).parent
#: the results folder the notebooks that run an experiment write by default
DEMO_OUT = "reports/demo"
CHECK_OUTPUT = "nbval-check-output"
#: what the cell tagged CHECK_OUTPUT must print with the notebooks' default parameters
EXPECTED_OUTPUT = {
    "strategy.ipynb": "multi-stage: every requirement imports inside the image (python-dateutil)\n",
    "compare.ipynb": "smallest first: multi-stage < slim < base; every image works\n",
    "inspect.ipynb": "imgexp/python:3.11-slim-bookworm: linux/amd64, Python 3.11\n",
    "diff.ipynb": "imgexp/python:3.11-slim-bookworm -> imgexp/python:3.11-bookworm: distribution 1, file 20, "
    "finding 7, image 2, layer 6, system-package 427\n",
}


def test_bad_strategy_stops_papermill_with_a_clear_message(tmp_path: Path) -> None:
    out = tmp_path / "bad-strategy.ipynb"
    run = _papermill(STRATEGY_NOTEBOOK, out, "-p", "strategy", "no-such-strategy")
    assert run.returncode != 0
    error = _error_output(out)
    assert error.ename == "StrategyNotFound"
    assert "no-such-strategy" in error.evalue and "Strategies on offer: base, slim, multi-stage" in error.evalue
    assert "StrategyNotFound" in run.stderr


def test_missing_requirements_stops_papermill_with_a_clear_message(tmp_path: Path) -> None:
    out = tmp_path / "bad-requirements.ipynb"
    missing = tmp_path / "no-such-requirements.txt"
    run = _papermill(COMPARE_NOTEBOOK, out, "-p", "requirements", str(missing))
    assert run.returncode != 0
    error = _error_output(out)
    assert error.ename == "RequirementsNotFound"
    assert str(missing) in error.evalue


def test_dirt_is_found_in_an_executed_notebook(tmp_path: Path) -> None:
    out = tmp_path / "executed.ipynb"
    _papermill(STRATEGY_NOTEBOOK, out, "-p", "strategy", "no-such-strategy")
    assert dirt(nbformat.read(out, as_version=4))


def test_nbval_runs_both_notebooks_with_their_defaults(tmp_path: Path) -> None:
    """nbval in lax mode; the cell tagged CHECK_OUTPUT must print EXPECTED_OUTPUT. Every default is kept but the
    results folder, which is the test's (the default is reports/demo in the checkout)."""
    for path in NOTEBOOK_FILES:
        notebook = nbformat.read(path, as_version=4)
        parameters = next(c for c in notebook.cells if "parameters" in c.metadata.get("tags", []))
        parameters.source = parameters.source.replace(f'out = "{DEMO_OUT}"', f'out = "{tmp_path / "demo"}"')
        assert DEMO_OUT not in parameters.source, f"{path.name}: its results folder is not the one replaced"
        checked = [c for c in notebook.cells if CHECK_OUTPUT in c.metadata.get("tags", [])]
        assert len(checked) == 1, f"{path.name}: expected one cell tagged {CHECK_OUTPUT}"
        checked[0].outputs = [nbformat.v4.new_output("stream", name="stdout", text=EXPECTED_OUTPUT[path.name])]
        checked[0].execution_count = 1  # nbval compares only cells that were run
        nbformat.write(notebook, tmp_path / path.name)
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "--nbval-lax", "-p", "no:cacheprovider", "-q", str(tmp_path)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-2000:]
    assert "passed" in run.stdout and "failed" not in run.stdout


def _papermill(notebook: Path, out: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [BIN / "papermill", "--no-progress-bar", str(notebook), str(out), *args],
        capture_output=True,
        text=True,
        cwd=NOTEBOOKS,
    )


def _error_output(executed: Path) -> nbformat.NotebookNode:
    notebook = nbformat.read(executed, as_version=4)
    assert "An Exception was encountered" in "".join(c.source for c in notebook.cells if c.cell_type == "markdown")
    errors = [o for c in notebook.cells if c.cell_type == "code" for o in c.outputs if o.output_type == "error"]
    assert len(errors) == 1
    return errors[0]
