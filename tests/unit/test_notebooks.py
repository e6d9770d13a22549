"""The notebooks as committed: clean, parameterized with imgexp.Settings' defaults, a kernel that exists."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from imgexp.paths import DATA, NOTEBOOKS
from imgexp.report.execute import COMPARE_NOTEBOOK, DIFF_NOTEBOOK, INSPECT_NOTEBOOK, STRATEGY_NOTEBOOK
from imgexp.settings import default

from ..helpers import NOTEBOOK_FILES, dirt

BIN = Path(sys.executable).parent


def test_the_report_notebooks_are_there() -> None:
    assert {STRATEGY_NOTEBOOK, COMPARE_NOTEBOOK, INSPECT_NOTEBOOK, DIFF_NOTEBOOK} <= set(NOTEBOOK_FILES)


@pytest.mark.parametrize("path", NOTEBOOK_FILES, ids=lambda p: p.name)
def test_notebook_is_committed_clean(path: Path) -> None:
    problems = dirt(nbformat.read(path, as_version=4))
    assert not problems, (
        f"{path} is not clean: {'; '.join(problems)}. "
        f"Run: jupyter nbconvert --clear-output --inplace {path.relative_to(NOTEBOOKS.parent)}"
    )


@pytest.mark.parametrize("path", NOTEBOOK_FILES, ids=lambda p: p.name)
def test_notebook_has_a_parameters_cell(path: Path) -> None:
    tagged = [c for c in nbformat.read(path, as_version=4).cells if "parameters" in c.metadata.get("tags", [])]
    assert len(tagged) == 1


def test_the_kernel_the_notebooks_name_is_installed() -> None:
    listing = subprocess.run(
        [BIN / "jupyter", "kernelspec", "list", "--json"], capture_output=True, text=True, check=True
    )
    installed = set(json.loads(listing.stdout)["kernelspecs"])
    named = {nbformat.read(p, as_version=4).metadata.kernelspec.name for p in NOTEBOOK_FILES}
    assert named <= installed, f"notebooks name kernels {named - installed} that are not installed"


@pytest.mark.parametrize("path", [STRATEGY_NOTEBOOK, COMPARE_NOTEBOOK], ids=lambda p: p.name)
def test_notebook_defaults_are_the_settings_defaults(path: Path) -> None:
    """A parameter the notebook shares with imgexp.Settings has Settings' default (paths from the repository)."""
    cell = next(c for c in nbformat.read(path, as_version=4).cells if "parameters" in c.metadata.get("tags", []))
    values: dict[str, object] = {}
    exec(cell.source, values)
    for name in ("python", "base_source", "venv_name", "ca_bundle"):
        assert values[name] == default(name), name
    assert DATA / str(values["dockerfiles"]) == default("dockerfiles")


@pytest.mark.parametrize("path", NOTEBOOK_FILES, ids=lambda p: p.name)
def test_notebook_code_has_no_line_over_100_characters(path: Path) -> None:
    code = [c.source for c in nbformat.read(path, as_version=4).cells if c.cell_type == "code"]
    assert not [line for source in code for line in source.splitlines() if len(line) > 100]


def test_inspect_notebook_takes_an_image_and_checks_one_stable_line() -> None:
    notebook = nbformat.read(INSPECT_NOTEBOOK, as_version=4)
    cell = next(c for c in notebook.cells if "parameters" in c.metadata.get("tags", []))
    values: dict[str, object] = {}
    exec(cell.source, values)
    assert isinstance(values["image"], str) and values["image"]
    checked = [c for c in notebook.cells if "nbval-check-output" in c.metadata.get("tags", [])]
    assert [c.source for c in checked] == ["print(inspection.verdict(inspected))"]
