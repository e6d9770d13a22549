"""What the tests share that is not a fixture: the repository, the notebooks, the small requirement they build."""

from __future__ import annotations

import sys
from pathlib import Path

import nbformat

from imgexp.engine import standins
from imgexp.paths import NOTEBOOKS

REPO = Path(__file__).resolve().parent.parent
HOST_CA_BUNDLE = Path("/etc/ssl/certs/ca-certificates.crt")
#: small, pure Python, and its import name (dateutil) is not its distribution name
SMALL_REQUIREMENT = "python-dateutil"
WRITEUP_STRATEGIES = ("base", "slim", "multi-stage")
#: every strategy dockerfiles/ ships
SHIPPED_STRATEGIES = (
    *WRITEUP_STRATEGIES,
    *("alpine", "docker-init", "minimal", "minimal-stripped", "multi-stage-cachemount", "multi-stage-lean"),
    *("multi-stage-nopycache", "multi-stage-uv", "slim-nocompiler"),
)
NOTEBOOK_FILES = sorted(NOTEBOOKS.glob("*.ipynb"))
#: how the tags of the stand-ins and of their roots begin
STANDIN_TAGS = (f"{standins.STANDIN_REPOSITORY}:", f"{standins.ROOT_REPOSITORY}:")


def dirt(notebook: nbformat.NotebookNode) -> list[str]:
    """What makes a notebook unfit to commit: outputs, execution counts, execution metadata."""
    found = []
    for number, cell in enumerate(notebook.cells):
        if cell.get("outputs"):
            found.append(f"cell {number} has outputs")
        if cell.get("execution_count") is not None:
            found.append(f"cell {number} has an execution_count")
        recorded = [key for key in ("execution", "papermill", "ExecuteTime") if key in cell.metadata]
        found += [f"cell {number} has {key} metadata" for key in recorded]
    found += [f"notebook has {key} metadata" for key in ("papermill", "widgets") if key in notebook.metadata]
    return found


def imgexp_run(requirements: Path, strategies: str, out: Path, *options: str) -> list[str]:
    """The command line of `imgexp run` (this interpreter's) on ``requirements`` into ``out``, then ``options``."""
    return [sys.executable, "-m", "imgexp", "run", "--requirements", str(requirements), "--strategies", strategies,
            "--out", str(out), *options]  # fmt: skip
