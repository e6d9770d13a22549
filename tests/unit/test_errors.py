"""Bad input found before any engine is asked: each is one clear error that names the thing and the fix."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

import imgexp
from imgexp.engine.client import connect
from imgexp.paths import DEFAULT_DOCKERFILES

from ..helpers import SMALL_REQUIREMENT


@pytest.fixture
def small_requirements_file(tmp_path: Path) -> Path:
    path = tmp_path / "requirements.txt"
    path.write_text(f"{SMALL_REQUIREMENT}\n")
    return path


def test_missing_dockerfile_names_the_file_and_the_choices(tmp_path: Path, small_requirements_file: Path) -> None:
    with pytest.raises(imgexp.StrategyNotFound) as caught:
        imgexp.run(requirements=small_requirements_file, strategies=["nope"], out=tmp_path, progress=False)
    message = str(caught.value)
    assert str(DEFAULT_DOCKERFILES / "Dockerfile.nope") in message
    assert "base, slim, multi-stage" in message


def test_missing_requirements_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(imgexp.RequirementsNotFound, match=r"does-not-exist\.txt"):
        imgexp.run(requirements=tmp_path / "does-not-exist.txt", out=tmp_path, progress=False)


def test_no_engine_reachable_names_the_address_and_the_fix(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    host = f"unix://{tmp_path}/no-engine.sock"
    monkeypatch.setenv("DOCKER_HOST", host)
    with pytest.raises(imgexp.EngineUnavailable) as caught:
        connect()
    assert caught.value.docker_host == host
    assert host in str(caught.value) and "dockerd" in str(caught.value)
    done = subprocess.run(
        [sys.executable, "-m", "imgexp", "run", "--out", str(tmp_path)],
        capture_output=True,
        text=True,
        env={**os.environ, "DOCKER_HOST": host},
    )
    assert done.returncode == 1
    assert done.stderr.startswith("imgexp: error: No Docker engine answered at " + host)
    assert "Traceback" not in done.stderr


def test_a_missing_strategy_folder_names_it_and_the_fix(tmp_path: Path, small_requirements_file: Path) -> None:
    with pytest.raises(imgexp.DockerfilesNotFound) as caught:
        imgexp.run(requirements=small_requirements_file, out=tmp_path, dockerfiles=tmp_path / "nope", progress=False)
    assert str(tmp_path / "nope") in str(caught.value) and "pip install -e ." in str(caught.value)


def test_a_missing_ca_bundle_names_it_and_where_it_came_from(
    tmp_path: Path, small_requirements_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("IMGEXP_CA_BUNDLE", str(tmp_path / "gone.pem"))
    with pytest.raises(imgexp.CaBundleNotFound) as caught:
        imgexp.run(requirements=small_requirements_file, out=tmp_path, progress=False)
    assert caught.value.path == str(tmp_path / "gone.pem")
    assert caught.value.source == "IMGEXP_CA_BUNDLE"


def test_a_missing_libarchive_names_the_library_and_how_to_install_it() -> None:
    """LIBARCHIVE pointing nowhere is how libarchive-c fails on a machine without the C library; the command line
    imports the layer reader as it starts."""
    done = subprocess.run(
        [sys.executable, "-m", "imgexp", "--help"],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "LIBARCHIVE": "/nonexistent/libarchive.so"},
    )
    assert done.returncode == 1
    last = done.stderr.strip().splitlines()[-1]
    assert last.startswith("ImportError: imgexp reads layers with libarchive")
    assert "apt-get install libarchive13" in last and "LIBARCHIVE" in last
