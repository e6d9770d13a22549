"""Choosing the builder, reading BuildKit's plain progress and a Dockerfile's syntax directive (no engine)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

import imgexp
from imgexp.engine import buildkit
from imgexp.errors import BuildkitUnavailable, InvalidStrategy


@pytest.fixture
def no_docker_cli(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    """A PATH with no docker on it: a machine without the docker CLI, for real."""
    monkeypatch.setenv("PATH", str(tmp_path))
    buildkit.buildx_version.cache_clear()
    yield
    buildkit.buildx_version.cache_clear()


def test_without_buildx_auto_is_classic_and_buildkit_is_one_error_naming_the_package(no_docker_cli: None) -> None:
    assert buildkit.buildx_version() is None
    assert buildkit.choose_builder("auto") == "classic"
    assert buildkit.choose_builder("classic") == "classic"
    with pytest.raises(BuildkitUnavailable, match=r"apt-get install docker-cli docker-buildx.*--builder classic"):
        buildkit.choose_builder("buildkit")


def test_a_buildkit_strategy_under_the_classic_builder_fails_before_any_build(tmp_path: Path) -> None:
    """run() refuses it before it connects to an engine (none is needed here)."""
    with pytest.raises(
        InvalidStrategy, match=r"Dockerfile.docker-init: line \d+ \(RUN --mount=type=cache.*needs BuildKit"
    ):
        imgexp.run(strategies=["docker-init"], builder="classic", out=tmp_path, progress=False)


@pytest.mark.parametrize(
    ("text", "found"),
    [
        pytest.param("# syntax=docker/dockerfile:1\nFROM x\n", (1, "docker/dockerfile:1"), id="first-line"),
        pytest.param(
            "# escape=`\n#SYNTAX = docker/dockerfile:1.7\nFROM x\n", (2, "docker/dockerfile:1.7"), id="second"
        ),
        pytest.param("# a comment\n# syntax=docker/dockerfile:1\nFROM x\n", None, id="after-a-comment-it-is-text"),
        pytest.param("FROM x\n# syntax=docker/dockerfile:1\n", None, id="after-an-instruction"),
        pytest.param("FROM x\n", None, id="none"),
    ],
)
def test_the_syntax_directive_is_read_as_buildkit_reads_directives(text: str, found: tuple[int, str] | None) -> None:
    assert buildkit.syntax_directive(text) == found


@pytest.mark.parametrize(
    ("line", "step"),
    [
        ("#5 [builder 2/4] RUN pip install -r r.txt", "RUN pip install -r r.txt"),
        (
            "#4 [stage-1 1/3] FROM docker.io/imgexp/python-standin:3.11-slim",
            "FROM docker.io/imgexp/python-standin:3.11-slim",
        ),
        ("#1 [internal] load build definition from Dockerfile", None),
        ("#5 0.123 Collecting pandas", None),
    ],
)
def test_a_step_is_a_numbered_stage_line(line: str, step: str | None) -> None:
    match = buildkit._STEP.match(line)
    assert (match.group(2) if match else None) == step


def test_the_frontend_is_unreachable_only_when_its_own_metadata_cannot_be_resolved() -> None:
    unresolved = "failed to solve: failed to resolve source metadata for {}: failed to do request: Head ..."
    assert buildkit.frontend_unreachable(unresolved.format("docker.io/docker/dockerfile:1"), "docker/dockerfile:1")
    # a base image that cannot be fetched is not the frontend's failure: no second build without the line
    base = unresolved.format("docker.io/library/python:3.12-slim")
    assert not buildkit.frontend_unreachable(base, "docker/dockerfile:1")
    assert not buildkit.frontend_unreachable('failed to solve: process "/bin/sh -c false" did not complete', "x")
