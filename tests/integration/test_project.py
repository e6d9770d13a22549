"""A user's project built for real: its folder is the context, its .dockerignore holds, its commands verify."""

from __future__ import annotations

import uuid
from pathlib import Path

import docker
import pytest

import imgexp
from imgexp.engine import standins

DEFINITION = """
out = "results"
[[strategy]]
name = "current"
dockerfile = "Dockerfile"
[[strategy]]
name = "broken"
dockerfile = "Dockerfile"
build_args = { APP_MAIN = "missing.py" }
[verify]
commands = ["python3 /srv/app/$APP_MAIN", "test ! -e /srv/app/notes.log"]
timeout = 30
"""
DOCKERFILE = """\
ARG PYTHON_SLIM_IMAGE=python:3.11-slim
FROM ${PYTHON_SLIM_IMAGE}
ARG APP_MAIN=main.py
ENV APP_MAIN=$APP_MAIN
COPY . /srv/app
CMD ["python3", "/srv/app/main.py"]
"""


@pytest.fixture()
def project(tmp_path: Path) -> Path:
    """A project whose source is unique to this test, so that its builds really run."""
    (tmp_path / "main.py").write_text(f"print('ok {uuid.uuid4().hex}')\n")
    (tmp_path / "notes.log").write_text("local only\n")
    (tmp_path / ".dockerignore").write_text("*.log\nresults\n")
    (tmp_path / "Dockerfile").write_text(DOCKERFILE)
    (tmp_path / "imgexp.toml").write_text(DEFINITION)
    return tmp_path


def test_a_project_builds_from_its_folder_and_its_commands_verify_it(
    client: docker.DockerClient, project: Path
) -> None:
    results = imgexp.run(project=project, base_source="standin", ca_bundle="", progress=False).set_index("strategy")
    current, broken = results.loc["current"], results.loc["broken"]
    assert bool(current["verified"]), current["verify_error"]
    assert "$ python3 /srv/app/$APP_MAIN (exit 0)\nok " in current["verify_output"]
    assert "test ! -e /srv/app/notes.log (exit 0)" in current["verify_output"]  # ignored: not in the image
    assert not bool(broken["verified"])
    assert "verify command 'python3 /srv/app/$APP_MAIN' failed (exit 2)" in broken["verify_error"]
    assert "missing.py" in broken["verify_error"]
    assert (project / "results" / "results.csv").is_file()
    assert results.attrs["provenance"]["baseline"] == "current"

    (project / "notes.log").write_text("edited, and ignored\n")
    again = imgexp.run(project=project, base_source="standin", ca_bundle="", strategies="current", progress=False)
    assert bool(again.loc[0, "reused"])

    (project / "main.py").write_text("print('edited')\n")
    edited = imgexp.run(project=project, base_source="standin", ca_bundle="", strategies="current", progress=False)
    assert not bool(edited.loc[0, "reused"])
    assert "(exit 0)\nedited" in edited.loc[0, "verify_output"]


def test_a_command_past_its_timeout_is_a_recorded_failure(client: docker.DockerClient, project: Path) -> None:
    (project / "imgexp.toml").write_text(
        '[[strategy]]\nname = "current"\ndockerfile = "Dockerfile"\n[verify]\ncommands = ["sleep 30"]\ntimeout = 2\n'
    )
    results = imgexp.run(project=project, out=project / "slow", base_source="standin", ca_bundle="", progress=False)
    assert not bool(results.loc[0, "verified"])
    assert "verify command 'sleep 30' failed (timed out after 2s)" in results.loc[0, "verify_error"]


def test_a_literal_python_from_builds_on_the_stand_in_and_says_so(client: docker.DockerClient, project: Path) -> None:
    literal = DOCKERFILE.replace(
        "ARG PYTHON_SLIM_IMAGE=python:3.11-slim\nFROM ${PYTHON_SLIM_IMAGE}", "FROM python:3.11-slim"
    )
    (project / "Dockerfile").write_text(literal)
    results = imgexp.run(project=project, strategies="current", base_source="standin", ca_bundle="", progress=False)
    row = results.loc[0]
    assert bool(row["verified"]), row["verify_error"]
    assert bool(row["base_standin"]) and row["base_image"] == standins.tag_for("slim", "3.11")
    assert (project / "Dockerfile").read_text() == literal  # the user's file is untouched
