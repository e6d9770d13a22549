"""The example project, examples/shortlinks: imgexp init on a copy, then imgexp run --project on it.

Its Dockerfile is written the common way (python:3.11, `COPY . .`, a plain `RUN pip install`,
pip's cache kept) and builds unmodified; every strategy derived from it must pass the example's
smoke commands and be complete, and the recommended one must be at most 40 % of the project's own image.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import docker

from imgexp.project import load_project

from ..helpers import REPO

EXAMPLE = REPO / "examples" / "shortlinks"
IMGEXP = [sys.executable, "-m", "imgexp"]


def test_init_refuses_to_overwrite_the_checked_in_definition(tmp_path: Path) -> None:
    copy = shutil.copytree(EXAMPLE, tmp_path / "shortlinks", ignore=shutil.ignore_patterns("imgexp-results"))
    init = subprocess.run([*IMGEXP, "init", str(copy)], capture_output=True, text=True)
    assert init.returncode != 0 and "exists already" in init.stderr
    assert (copy / "imgexp.toml").read_text() == (EXAMPLE / "imgexp.toml").read_text()


def test_init_then_run_on_the_example_verifies_every_strategy(client: docker.DockerClient, tmp_path: Path) -> None:
    copy = shutil.copytree(
        EXAMPLE, tmp_path / "shortlinks", ignore=shutil.ignore_patterns("imgexp.toml", "imgexp-results")
    )
    subprocess.run([*IMGEXP, "init", str(copy)], capture_output=True, text=True, check=True)
    commands = list(load_project(EXAMPLE).verify_commands)
    definition = copy / "imgexp.toml"
    definition.write_text(definition.read_text().replace("commands = []", f"commands = {json.dumps(commands)}"))
    assert definition.read_text() == (EXAMPLE / "imgexp.toml").read_text()

    run = subprocess.run(
        [*IMGEXP, "run", "--project", str(copy), "--base-source", "standin", "--quiet"], capture_output=True, text=True
    )
    assert run.returncode == 0, run.stderr + run.stdout
    rows = {row["strategy"]: row for row in json.loads((copy / "imgexp-results" / "results.json").read_text())["rows"]}
    assert list(rows) == ["current", "multi-stage", "distilled", "minimal"]
    for name, row in rows.items():
        assert row["verified"], f"{name}: {row['verify_error']}"
        assert row["complete"], f"{name} lacks {row['missing']}"
        assert "$ python -m shortlinks --self-check (exit 0)\nshortlinks: self-check passed" in row["verify_output"]
        assert "$ gunicorn --check-config shortlinks.app:app (exit 0)" in row["verify_output"]
    recommended = rows[
        json.loads((copy / "imgexp-results" / "results.json").read_text())["provenance"]["recommendation"]["strategy"]
    ]
    assert recommended["size_bytes"] == min(row["size_bytes"] for row in rows.values())
    assert recommended["size_bytes"] <= 0.40 * rows["current"]["size_bytes"]
    assert "its Dockerfile: " in run.stdout and "+++ Dockerfile." in run.stdout
