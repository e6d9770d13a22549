"""The wheel works on its own: built, installed into a fresh venv, run from another folder.

It needs PyPI (the build backend and imgexp's dependencies) and, for the one build, the
engine. About 30 s with a warm pip cache and a warm build cache.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from ..helpers import NOTEBOOK_FILES, REPO, SHIPPED_STRATEGIES, SMALL_REQUIREMENT


def _run(args: list[str | Path], cwd: Path) -> str:
    """Run a command with no trace of the checkout in its environment; its stdout."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV", "PYTHONHOME")}
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    done = subprocess.run([str(a) for a in args], cwd=cwd, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, f"{args} failed:\n{done.stdout}\n{done.stderr}"
    return done.stdout


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A fresh venv (no system site-packages) holding the wheel built from the checkout; (venv, a folder to run in)."""
    root = tmp_path_factory.mktemp("wheel")
    elsewhere = root / "elsewhere"
    elsewhere.mkdir()
    _run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", root / "dist", REPO], cwd=elsewhere)
    (wheel,) = (root / "dist").glob("imgexp-*.whl")
    venv = root / "venv"
    _run([sys.executable, "-m", "venv", venv], cwd=elsewhere)
    _run([venv / "bin" / "python", "-m", "pip", "install", "-q", wheel], cwd=elsewhere)
    return venv, elsewhere


def test_the_installed_package_is_not_the_checkout(installed: tuple[Path, Path]) -> None:
    venv, elsewhere = installed
    where = _run([venv / "bin" / "python", "-c", "import imgexp; print(imgexp.__file__)"], cwd=elsewhere)
    assert Path(where.strip()).is_relative_to(venv)


def test_the_wheel_carries_notebooks_dockerfiles_and_requirements(installed: tuple[Path, Path]) -> None:
    venv, elsewhere = installed
    script = "from imgexp import paths; print(paths.DATA, paths.PACKAGE, sep='\\n')"
    data, package = (Path(line) for line in _run([venv / "bin" / "python", "-c", script], cwd=elsewhere).split())
    assert data == package / "_data"
    assert {p.name for p in (data / "notebooks").glob("*.ipynb")} == {p.name for p in NOTEBOOK_FILES}
    assert {"compare.ipynb", "strategy.ipynb", "inspect.ipynb", "diff.ipynb"} <= {p.name for p in NOTEBOOK_FILES}
    shipped = {p.name.removeprefix("Dockerfile.") for p in (data / "dockerfiles").glob("Dockerfile.*")}
    assert shipped == set(SHIPPED_STRATEGIES)
    for name in ("requirements.txt", "install_requirements.sh", "imgexp-ca.sh"):
        assert (data / "requirements" / name).read_bytes() == (REPO / "requirements" / name).read_bytes()
    # every file a build context needs is found through the installed package's defaults
    script = (
        "from imgexp.engine.context import make_context; from imgexp.paths import DEFAULT_DOCKERFILES as d, "
        "DEFAULT_REQUIREMENTS as r; print(len(make_context(d / 'Dockerfile.slim', r).tar))"
    )
    assert int(_run([venv / "bin" / "python", "-c", script], cwd=elsewhere)) > 0


def test_imgexp_runs_from_another_folder(installed: tuple[Path, Path]) -> None:
    venv, elsewhere = installed
    assert "--requirements" in _run([venv / "bin" / "imgexp", "run", "--help"], cwd=elsewhere)
    listed = _run([venv / "bin" / "imgexp", "strategies"], cwd=elsewhere)
    for name in SHIPPED_STRATEGIES:  # as a whole word: multi-stage is not multi-stage-lean
        assert re.search(rf"(?<![\w-]){re.escape(name)}(?![\w-])", listed), f"{name} not listed:\n{listed}"


def test_an_installed_imgexp_builds_a_strategy_from_its_own_files(installed: tuple[Path, Path]) -> None:
    """The Dockerfile and the CA helper come from the wheel; the same requirements every time keep it cached."""
    venv, elsewhere = installed
    (elsewhere / "requirements.txt").write_text(f"{SMALL_REQUIREMENT}\n")
    args = ["run", "--strategies", "multi-stage-lean", "--requirements", "requirements.txt", "--out", "out", "--quiet"]
    _run([venv / "bin" / "imgexp", *args], cwd=elsewhere)
    (row,) = pd.read_csv(elsewhere / "out" / "results.csv").itertuples()
    assert (row.strategy, row.status, row.verified) == ("multi-stage-lean", "ok", True)
