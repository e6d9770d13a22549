"""imgexp init on a project, then imgexp run --project on it: real builds that install from PyPI."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import uuid
from pathlib import Path

import docker

from imgexp.project import tomllib  # tomli before Python 3.11

APP = """from dateutil import parser


def main() -> str:
    return parser.parse("28 November 2026").date().isoformat()
"""
PYPROJECT = """[project]
name = "dateapp"
version = "0.1.0"
requires-python = ">=3.11"
dependencies = ["python-dateutil"]

[build-system]
requires = ["setuptools>=61"]
build-backend = "setuptools.build_meta"

[tool.setuptools]
py-modules = ["app"]
"""
#: the common way: pip straight into the image's Python (the stand-ins allow it, as python:3.11-slim does)
DOCKERFILE = """FROM python:3.11-slim
WORKDIR /srv
COPY . .
RUN pip install --no-cache-dir .
CMD ["python3", "-c", "import app; print(app.main())"]
"""
SMOKE = "python3 -c 'import app; assert app.main() == \"2026-11-28\"'"


def test_init_then_run_builds_verifies_and_measures_every_strategy(
    client: docker.DockerClient, tmp_path: Path, marker_ca_bundle: tuple[Path, bytes]
) -> None:
    (tmp_path / "app.py").write_text(APP + f"# {uuid.uuid4().hex}\n")  # unique: its builds really run
    (tmp_path / "pyproject.toml").write_text(PYPROJECT)
    (tmp_path / "Dockerfile").write_text(DOCKERFILE)
    imgexp = [sys.executable, "-m", "imgexp"]
    init = subprocess.run([*imgexp, "init", "--templates", str(tmp_path)], capture_output=True, text=True, check=True)
    assert f"imgexp run --project {tmp_path}" in init.stdout
    definition = tmp_path / "imgexp.toml"
    definition.write_text(definition.read_text().replace("commands = []", f"commands = [{json.dumps(SMOKE)}]"))
    run = subprocess.run(
        [*imgexp, "run", "--project", str(tmp_path), "--base-source", "standin", "--quiet",
         "--ca-bundle", str(marker_ca_bundle[0])],
        capture_output=True,
        text=True,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr + run.stdout
    rows = {
        row["strategy"]: row for row in json.loads((tmp_path / "imgexp-results" / "results.json").read_text())["rows"]
    }
    assert list(rows) == ["current", "slim", "multi-stage", "lean"]
    for name in rows:
        assert rows[name]["verified"], rows[name]["verify_error"]
        assert rows[name]["base_standin"] and any(f.startswith("python-dateutil==") for f in rows[name]["pip_freeze"])
    assert "vs current" in run.stdout and "multi-stage" in run.stdout


def test_a_uv_lock_is_installed_with_uv_at_its_locked_versions(
    tmp_path: Path, marker_ca_bundle: tuple[Path, bytes]
) -> None:
    """uv.lock (tests/integration/data/dateapp.uv.lock, made by `uv lock` for PYPROJECT) wins over pip."""
    (tmp_path / "app.py").write_text(APP + f"# {uuid.uuid4().hex}\n")
    (tmp_path / "pyproject.toml").write_text(PYPROJECT)
    (tmp_path / "Dockerfile").write_text(DOCKERFILE)
    lock = (Path(__file__).parent / "data" / "dateapp.uv.lock").read_text()
    (tmp_path / "uv.lock").write_text(lock)
    imgexp = [sys.executable, "-m", "imgexp"]
    subprocess.run([*imgexp, "init", "--templates", str(tmp_path)], capture_output=True, text=True, check=True)
    assert "uv sync --frozen --no-dev" in (tmp_path / "imgexp" / "Dockerfile.lean").read_text()
    definition = tmp_path / "imgexp.toml"
    definition.write_text(definition.read_text().replace("commands = []", f"commands = [{json.dumps(SMOKE)}]"))
    rows = _run_strategies(tmp_path, marker_ca_bundle[0])
    locked = {package["version"] for package in tomllib.loads(lock)["package"]}
    for row in rows:
        assert row["verified"], row["verify_error"]
        pins = dict(f.partition("==")[::2] for f in row["pip_freeze"])
        versions = {pins[name] for name in ("python-dateutil", "tzdata") if name in pins}
        assert versions and versions <= locked, row["pip_freeze"]
        assert "uv" not in pins  # the tool venv went in the same step


def test_a_poetry_lock_is_installed_at_its_locked_versions(
    tmp_path: Path, marker_ca_bundle: tuple[Path, bytes]
) -> None:
    """The Poetry project of data/projects (its poetry.lock made by `poetry lock` from PyPI), its own
    imgexp.toml left out: init's strategies install the lock's main group, not its dev group, nor Poetry."""
    project = tmp_path / "quotes"
    shutil.copytree(Path(__file__).parent / "data" / "projects" / "poetry", project)
    (project / "imgexp.toml").unlink()
    imgexp = [sys.executable, "-m", "imgexp"]
    subprocess.run([*imgexp, "init", "--templates", str(project)], capture_output=True, text=True, check=True)
    assert "poetry export --only main" in (project / "imgexp" / "Dockerfile.lean").read_text()
    locked = {p["name"]: p["version"] for p in tomllib.loads((project / "poetry.lock").read_text())["package"]}
    for row in _run_strategies(project, marker_ca_bundle[0], "lean"):  # slim's step differs by its pip alone
        assert row["verified"], row["verify_error"]
        pins = dict(f.partition("==")[::2] for f in row["pip_freeze"])
        assert pins["bottle"] == locked["bottle"] and pins["quotes"] == "0.1.0"
        assert "iniconfig" not in pins and "poetry" not in pins  # no dev group; the tool venv went in its step


def _run_strategies(project: Path, ca_bundle: Path, strategies: str = "slim,lean") -> list[dict]:
    """``imgexp run --project`` of some of init's strategies on the stand-ins: its rows."""
    run = subprocess.run(
        [sys.executable, "-m", "imgexp", "run", "--project", str(project), "--strategies", strategies,
         "--base-source", "standin", "--quiet", "--ca-bundle", str(ca_bundle)],
        capture_output=True,
        text=True,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr + run.stdout
    return json.loads((project / "imgexp-results" / "results.json").read_text())["rows"]
