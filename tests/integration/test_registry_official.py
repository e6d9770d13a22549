"""`--base-source official`, for real: the official names served by the loopback registry as a Hub mirror.

The stand-ins are pushed to the loopback registry as ``library/python:3.11-slim`` and
``library/python:3.11``: where Docker Hub keeps the official images. A dedicated engine
(never the shared one) is started with that registry as its ``registry-mirrors``, so its
pulls of ``python:3.11-slim`` get them, and the Dockerfiles stay as they are. The run's
rows must say official (not a stand-in), with the digest the engine pulled: the manifest's.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from pathlib import Path

import docker
import pytest

from imgexp.engine import bases

from ..helpers import imgexp_run
from .engines import DedicatedEngine, dedicated_engine
from .registries import loopback_registry, manifest, push

OFFICIAL = {"slim": "3.11-slim", "full": "3.11"}


@pytest.fixture(scope="module")
def served(client: docker.DockerClient) -> dict[str, str]:
    """Each stand-in pushed under its official name into the loopback registry; tag -> manifest digest."""
    registry = loopback_registry()
    digests = {}
    for kind, tag in OFFICIAL.items():
        reference = f"{registry}/library/python:{tag}"
        push(client, bases.resolve(client, kind, "3.11", "standin").image, reference)
        digests[tag] = manifest(reference)[1]
    return digests


@pytest.fixture(scope="module")
def mirrored(tmp_path_factory: pytest.TempPathFactory, client: docker.DockerClient) -> Iterator[DedicatedEngine]:
    with dedicated_engine(tmp_path_factory.mktemp("mirrored"), client, mirror=loopback_registry()) as engine:
        yield engine


def test_the_official_path_builds_on_the_images_the_mirror_serves(
    served: dict[str, str], mirrored: DedicatedEngine, tmp_path: Path, small_requirements: Path
) -> None:
    out = tmp_path / "out"
    command = imgexp_run(small_requirements, "base,slim", out, "--base-source", "official", "--quiet")
    done = subprocess.run(command, env=mirrored.env, capture_output=True, text=True, timeout=1800)
    assert done.returncode == 0, done.stdout + done.stderr
    rows = {row["strategy"]: row for row in json.loads((out / "results.json").read_text())["rows"]}
    for strategy, tag in (("base", "3.11"), ("slim", "3.11-slim")):
        row = rows[strategy]
        assert row["status"] == "ok" and row["verified"], row
        assert row["base_image"] == f"python:{tag}"
        assert row["base_standin"] is False
        assert row["base_digest"] == f"python@{served[tag]}"
    pulled = mirrored.client.images.get("python:3.11-slim")
    assert pulled.attrs["RepoDigests"] == [f"python@{served['3.11-slim']}"]
