"""The CA bundle handed to pip during builds is in no layer of any final image, under either builder.

Every strategy reaches it through requirements/imgexp-ca.sh, sourced by the RUN step
that installs (directly, or through the install script): under BuildKit from the secret
imgexp-ca where the step mounts it, else from the loopback server. The write-up's three
come from the shared ``writeup_run`` (BuildKit) and are built again with the classic
builder here; the others are built here with the same marker bundle.
"""

from __future__ import annotations

import io
import json
import tarfile
import tempfile
from collections.abc import Iterator
from pathlib import Path

import docker
import pandas as pd
import pytest

import imgexp
from imgexp import strategies
from imgexp.engine.context import make_context
from imgexp.measure.savestream import save_chunks

from ..helpers import WRITEUP_STRATEGIES


def _marker_lines(certificate: bytes) -> list[bytes]:
    """Base64 lines of the marker certificate's body: text no other file has."""
    body = [line for line in certificate.splitlines() if line and not line.startswith(b"-----")]
    return body[2:-2]


def _layer_files(client: docker.DockerClient, image: str) -> Iterator[tuple[str, bytes]]:
    """Every regular file of every layer of an image, from `docker save`.

    The layers are the ones manifest.json lists: `<id>/layer.tar` before Docker 25, OCI
    blobs (`blobs/sha256/<digest>`, gzip-compressed on the containerd image store) since.
    """
    with tempfile.TemporaryFile() as saved_file:
        for chunk in save_chunks(client, image):
            saved_file.write(chunk)
        saved_file.seek(0)
        with tarfile.open(fileobj=saved_file) as saved:
            manifest = saved.extractfile("manifest.json")
            assert manifest is not None
            layers = json.load(manifest)[0]["Layers"]
            assert layers, "the saved image lists no layers"
            for name in layers:
                layer = saved.extractfile(name)
                assert layer is not None
                with tarfile.open(fileobj=layer, mode="r:*") as files:
                    for item in files:
                        if item.isfile():
                            handle = files.extractfile(item)
                            assert handle is not None
                            yield f"{name}:{item.name}", handle.read()


def _holders(client: docker.DockerClient, image: str, markers: list[bytes]) -> list[str]:
    return [name for name, data in _layer_files(client, image) if any(m in data for m in markers)]


@pytest.fixture(scope="module")
def other_run(
    tmp_path_factory: pytest.TempPathFactory, small_requirements: Path, marker_ca_bundle: tuple[Path, bytes]
) -> pd.DataFrame:
    """Every strategy beyond the write-up's, built with the marker bundle (alpine only where a registry is)."""
    others = [name for name in strategies.available() if name not in WRITEUP_STRATEGIES]
    return imgexp.run(
        requirements=small_requirements,
        strategies=others,
        out=tmp_path_factory.mktemp("others"),
        ca_bundle=marker_ca_bundle[0],
        progress=False,
    )


def _assert_no_bundle(client: docker.DockerClient, results: pd.DataFrame, certificate: bytes) -> None:
    markers = _marker_lines(certificate)
    assert markers
    for row in results.itertuples():
        assert row.verified  # pip reached the index through the bundle and the image works
        assert _holders(client, row.image_id, markers) == [], row.strategy
        history = str(client.images.get(row.image_id).history()) + str(client.images.get(row.image_id).attrs)
        assert not any(m.decode() in history for m in markers)


def test_ca_bundle_bytes_are_in_no_layer_and_no_history(
    client: docker.DockerClient, writeup_run: tuple[Path, pd.DataFrame], marker_ca_bundle: tuple[Path, bytes]
) -> None:
    _assert_no_bundle(client, writeup_run[1], marker_ca_bundle[1])


def test_the_classic_builder_keeps_the_bundle_out_too(
    client: docker.DockerClient,
    tmp_path_factory: pytest.TempPathFactory,
    small_requirements: Path,
    marker_ca_bundle: tuple[Path, bytes],
) -> None:
    """The loopback server of the classic builder (BuildKit's secret is covered by the runs above)."""
    classic = imgexp.run(
        requirements=small_requirements,
        strategies=list(WRITEUP_STRATEGIES),
        out=tmp_path_factory.mktemp("classic"),
        ca_bundle=marker_ca_bundle[0],
        builder="classic",
        progress=False,
    )
    assert set(classic["builder"]) == {"classic"}
    _assert_no_bundle(client, classic, marker_ca_bundle[1])


def test_no_other_strategy_keeps_the_bundle(
    client: docker.DockerClient, other_run: pd.DataFrame, marker_ca_bundle: tuple[Path, bytes]
) -> None:
    built = other_run[other_run["status"] == "ok"]
    not_run = set(other_run["strategy"]) - set(built["strategy"])
    assert not_run <= {"alpine"}  # alpine needs the official image from a registry
    assert not built.empty
    _assert_no_bundle(client, built, marker_ca_bundle[1])


def test_the_scan_finds_the_bundle_where_it_is_copied(
    client: docker.DockerClient,
    writeup_run: tuple[Path, pd.DataFrame],
    marker_ca_bundle: tuple[Path, bytes],
    tmp_path: Path,
) -> None:
    """Control: the same scan does find the marker in an image that COPYs the bundle."""
    slim_base = writeup_run[1].set_index("strategy").loc["slim", "base_image"]
    dockerfile = tmp_path / "Dockerfile"
    dockerfile.write_text(f"FROM {slim_base}\nCOPY requirements.txt /etc/leaked-ca.pem\n")
    context = make_context(dockerfile, marker_ca_bundle[0])
    image, _ = client.images.build(
        fileobj=io.BytesIO(context.tar),
        custom_context=True,
        rm=True,
        labels={"imgexp.role": "build"},
        network_mode="host",
    )
    try:
        holders = _holders(client, image.id, _marker_lines(marker_ca_bundle[1]))
        assert [h.split(":", 1)[1] for h in holders] == ["etc/leaked-ca.pem"]
    finally:
        client.images.remove(image.id, force=True)
