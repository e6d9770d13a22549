"""Fixtures of the integration tests: a real engine, and one real run of the write-up's strategies.

The tests build real images on the engine that DOCKER_HOST (or the default socket)
names; `bash scripts/setup.sh` starts one. A small requirement keeps them quick.
"""

from __future__ import annotations

import subprocess
import uuid
from pathlib import Path

import docker
import pandas as pd
import pytest

import imgexp
from imgexp.engine.client import connect

from ..helpers import HOST_CA_BUNDLE, SMALL_REQUIREMENT, WRITEUP_STRATEGIES


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every test in this folder needs a Docker engine: mark it ``engine``."""
    for item in items:
        if "integration" in item.path.parts:
            item.add_marker(pytest.mark.engine)


@pytest.fixture(scope="session")
def client() -> docker.DockerClient:
    return connect()


@pytest.fixture(scope="session")
def marker_ca_bundle(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, bytes]:
    """The host's CA bundle plus a freshly made certificate that exists nowhere else."""
    folder = tmp_path_factory.mktemp("ca")
    key, cert = folder / "marker.key", folder / "marker.pem"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-subj",
            f"/CN=imgexp-test-marker-{uuid.uuid4().hex}",
            "-keyout",
            str(key),
            "-out",
            str(cert),
        ],
        check=True,
        capture_output=True,
    )
    bundle = folder / "bundle.pem"
    bundle.write_bytes(HOST_CA_BUNDLE.read_bytes() + cert.read_bytes())
    return bundle, cert.read_bytes()


@pytest.fixture(scope="session")
def small_requirements(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A one-package requirements file, unique to this test session so that its builds really run."""
    path = tmp_path_factory.mktemp("reqs") / "requirements.txt"
    path.write_text(f"# imgexp test session {uuid.uuid4().hex}\n{SMALL_REQUIREMENT}\n")
    return path


@pytest.fixture(scope="session")
def writeup_run(
    tmp_path_factory: pytest.TempPathFactory, small_requirements: Path, marker_ca_bundle: tuple[Path, bytes]
) -> tuple[Path, pd.DataFrame]:
    """The write-up's three strategies, built for real with the marker CA bundle handed to pip."""
    out = tmp_path_factory.mktemp("writeup")
    results = imgexp.run(
        requirements=small_requirements,
        strategies=list(WRITEUP_STRATEGIES),
        out=out,
        ca_bundle=marker_ca_bundle[0],
        progress=False,
    )
    return out, results
