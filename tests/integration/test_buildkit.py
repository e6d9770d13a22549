"""BuildKit builds: what only BuildKit reads builds offline, and the CA stays out of the image."""

from __future__ import annotations

import re
from pathlib import Path

import docker
import pandas as pd
import pytest

import imgexp

from .test_ca_bundle import _assert_no_bundle

#: a `# syntax=` line (its frontend cannot be pulled here), cache, bind and secret mounts, a heredoc
BUILDKIT_DOCKERFILE = """\
# syntax=docker/dockerfile:1
# imgexp.description: every BuildKit-only form a user's Dockerfile commonly has
ARG PYTHON_SLIM_IMAGE=python:3.11-slim
FROM ${PYTHON_SLIM_IMAGE}
ARG VENV_NAME=my_project
RUN --mount=type=cache,target=/root/.cache/pip \\
    --mount=type=bind,source=requirements.txt,target=/r/requirements.txt \\
    --mount=type=bind,source=imgexp-ca.sh,target=/r/imgexp-ca.sh \\
    --mount=type=secret,id=imgexp-ca \\
    set -eu; . /r/imgexp-ca.sh; python3 -m venv /opt/$VENV_NAME; /opt/$VENV_NAME/bin/pip install -r /r/requirements.txt
RUN <<EOT
set -e
echo "written by a heredoc" > /heredoc.txt
EOT
"""


@pytest.fixture(scope="module")
def buildkit_run(
    tmp_path_factory: pytest.TempPathFactory, small_requirements: Path, marker_ca_bundle: tuple[Path, bytes]
) -> pd.DataFrame:
    dockerfiles = tmp_path_factory.mktemp("dockerfiles")
    (dockerfiles / "Dockerfile.buildkit").write_text(BUILDKIT_DOCKERFILE)
    return imgexp.run(
        requirements=small_requirements,
        dockerfiles=dockerfiles,
        strategies=["buildkit"],
        out=tmp_path_factory.mktemp("buildkit"),
        ca_bundle=marker_ca_bundle[0],
        builder="buildkit",
        progress=False,
    )


def test_a_dockerfile_with_every_buildkit_form_builds_offline_and_verifies(
    client: docker.DockerClient, buildkit_run: pd.DataFrame
) -> None:
    row = buildkit_run.iloc[0]
    assert row["verified"] and row["builder"] == "buildkit"
    assert row["frontend"] == "built-in (docker/dockerfile:1 could not be fetched)"
    assert buildkit_run.attrs["provenance"]["engine"]["builder"].startswith("BuildKit")
    heredoc = client.containers.run(row["image_id"], ["cat", "/heredoc.txt"], remove=True, network_disabled=True)
    assert heredoc == b"written by a heredoc\n"
    # the mounts left nothing behind: no pip cache, no requirements.txt in the image
    listing = client.containers.run(
        row["image_id"], ["sh", "-c", "ls -A /root/.cache/pip /r 2>/dev/null | wc -l"], remove=True
    )
    assert listing.strip() == b"0"


def test_the_ca_secret_is_in_no_layer_and_no_history(
    client: docker.DockerClient, buildkit_run: pd.DataFrame, marker_ca_bundle: tuple[Path, bytes]
) -> None:
    _assert_no_bundle(client, buildkit_run, marker_ca_bundle[1])


def test_syntax_the_builtin_frontend_cannot_read_is_one_error_naming_the_line(
    tmp_path: Path, small_requirements: Path
) -> None:
    dockerfiles = tmp_path / "dockerfiles"
    dockerfiles.mkdir()
    (dockerfiles / "Dockerfile.labs").write_text(
        "# syntax=docker/dockerfile:1.7-labs\nARG PYTHON_SLIM_IMAGE=python:3.11-slim\n"
        "FROM ${PYTHON_SLIM_IMAGE}\nCOPY --parents requirements.txt /x/\n"
    )
    results = imgexp.run(
        requirements=small_requirements,
        dockerfiles=dockerfiles,
        strategies=["labs"],
        out=tmp_path / "out",
        builder="buildkit",
        progress=False,
    )
    row = results.iloc[0]
    assert row["status"] == "failed"
    assert re.search(r"line 1 asks for the frontend docker/dockerfile:1\.7-labs", row["reason"])
    assert "unknown flag" in row["reason"]
