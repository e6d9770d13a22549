"""Which earlier row a rerun reuses: a failed one whose key is unchanged, without looking for an image."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace
from typing import Any, cast

import docker
import pytest
from docker.errors import ImageNotFound

from imgexp.experiment import MEASUREMENT_VERSION, _reusable, image_version
from imgexp.results import write_json

KEY = "a" * 64


def _engine(images: set[str]) -> docker.DockerClient:
    def get(image_id: str) -> SimpleNamespace:
        if image_id not in images:
            raise ImageNotFound(image_id)
        return SimpleNamespace(id=image_id)

    return cast(docker.DockerClient, SimpleNamespace(images=SimpleNamespace(get=get)))


@pytest.mark.parametrize(
    ("row", "key", "images", "reused"),
    [
        pytest.param({"status": "failed"}, KEY, set(), True, id="failed-unchanged"),
        pytest.param({"status": "failed"}, "b" * 64, set(), False, id="failed-changed"),
        pytest.param({"status": "ok", "image_id": "sha256:1"}, KEY, {"sha256:1"}, True, id="ok-image-kept"),
        pytest.param({"status": "ok", "image_id": "sha256:1"}, KEY, set(), False, id="ok-image-gone"),
        pytest.param({"status": "failed", "measurement_version": 1}, KEY, set(), False, id="failed-older-imgexp"),
    ],
)
def test_a_rerun_reuses_an_unchanged_failure_and_an_unchanged_image(
    tmp_path: Path, row: dict[str, Any], key: str, images: set[str], reused: bool
) -> None:
    path = tmp_path / "rows" / "s.json"
    write_json(path, {"strategy": "s", "key": KEY, "measurement_version": MEASUREMENT_VERSION, **row})
    assert (_reusable(_engine(images), path, key) is not None) == reused


def test_an_image_tag_names_its_key_and_its_results_folder(tmp_path: Path) -> None:
    key, other_key = "a" * 64, "b" * 64
    tag = image_version(key, tmp_path / "results")
    assert tag.startswith(key[:12] + "-") and len(tag) == 19
    assert image_version(key, tmp_path / "x" / ".." / "results") == tag  # one folder, however written
    assert image_version(key, tmp_path / "other") != tag  # two folders, two tags for one key
    assert image_version(other_key, tmp_path / "results") != tag
