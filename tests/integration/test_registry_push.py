"""`imgexp run --push`: each verified image is pushed and its row's pull size is the manifest's, to the byte."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
import requests

import imgexp

from .registries import loopback_registry


@pytest.mark.parametrize("strategy", ["slim", "multi-stage"])
def test_pushed_rows_carry_the_manifest_pull_size(strategy: str, small_requirements: Path, tmp_path: Path) -> None:
    registry = loopback_registry()
    prefix = f"{registry}/imgexp-test-{uuid.uuid4().hex[:8]}"
    results = imgexp.run(
        requirements=small_requirements, strategies=[strategy], out=tmp_path, push=prefix, progress=False
    ).set_index("strategy")
    row = results.loc[strategy]
    assert row["verified"]
    repository, digest = row["pushed"].split("@")
    assert repository == f"{prefix}/{strategy}"
    accept = "application/vnd.docker.distribution.manifest.v2+json"
    url = f"http://{registry}/v2/{repository.partition('/')[2]}/manifests/{digest}"
    manifest = requests.get(url, headers={"Accept": accept}, timeout=30).json()
    assert row["compressed_bytes"] == sum({layer["digest"]: layer["size"] for layer in manifest["layers"]}.values())
    assert row["compressed_exact"] and manifest["config"]["digest"] == row["image_id"]
    assert row["estimated_compressed_bytes"] > 0
    assert "manifest pushed to" in row["compressed_method"]
