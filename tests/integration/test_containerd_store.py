"""The containerd image store: the same small image measured on it and on overlay2.

A dedicated engine with the containerd snapshotter on (tests/integration/engines.py)
runs beside the shared overlay2 engine, so every run of the tests covers both stores. A
small image is built once on the overlay2 engine and copied into the containerd one with
its layers gzip-compressed, as a pull leaves them in the content store: the same layers
(the same diff IDs) in both stores.
"""

from __future__ import annotations

import io
import json
import tarfile
import uuid
from collections.abc import Iterator

import docker
import pandas as pd
import pytest

from imgexp.engine import bases
from imgexp.engine.client import CONTAINERD_STORE, describe_engine
from imgexp.measure.scan import CONTENT_STORE_METHOD, ImageScan, ImageSize, image_size, scan_image

from .engines import DedicatedEngine, dedicated_engine

#: a venv (pip's dist-info: per-package figures), a symlink, and a file a later layer deletes (waste)
DOCKERFILE = """\
FROM {base}
RUN python3 -m venv /opt/venv && ln -s /opt/venv/bin/python3 /usr/local/bin/venv-python \\
 && head -c 300000 /dev/urandom > /opt/scratch.bin
RUN rm /opt/scratch.bin && echo kept > /opt/kept.txt
"""
#: the per-layer columns that depend on how the layers are stored
STORED = ["compressed_bytes", "compressed_exact"]


@pytest.fixture(scope="module")
def containerd_engine(
    tmp_path_factory: pytest.TempPathFactory, client: docker.DockerClient
) -> Iterator[DedicatedEngine]:
    with dedicated_engine(tmp_path_factory.mktemp("containerd"), client, containerd_store=True) as engine:
        yield engine


@pytest.fixture(scope="module")
def small_image(client: docker.DockerClient, containerd_engine: DedicatedEngine) -> Iterator[str]:
    """A small image built on the overlay2 engine and copied into the containerd one; removed after."""
    tag = f"imgexp-test/containerd-store:{uuid.uuid4().hex[:12]}"
    slim = bases.resolve(client, "slim", "3.11", "standin")
    dockerfile = io.BytesIO(DOCKERFILE.format(base=slim.image).encode())
    client.images.build(fileobj=dockerfile, tag=tag, rm=True, forcerm=True, network_mode="none")
    try:
        containerd_engine.load_compressed(client, tag)
        yield tag
    finally:
        client.images.remove(tag, force=True)


def _scan(engine: docker.DockerClient, tag: str) -> tuple[ImageScan, int]:
    """The image's scan (no layer cache: each store's layers read for real) and the engine's Size."""
    slim = bases.resolve(engine, "slim", "3.11", "standin")
    image_id = engine.images.get(tag).id
    return scan_image(engine, image_id, slim, cache=None), image_size(engine, image_id, slim).size_bytes


def _listed_layer_blobs(engine: docker.DockerClient, tag: str) -> list[dict]:
    """The layer descriptors of the image's manifest, as the engine's `docker save` (OCI layout) lists them."""
    blobs: dict[str, bytes] = {}
    with tarfile.open(fileobj=io.BytesIO(b"".join(engine.api.get_image(tag))), mode="r:") as saved:
        for member in saved:
            if member.isfile() and member.size < 1 << 20:
                blobs[member.name] = saved.extractfile(member).read()  # type: ignore[union-attr]
    descriptor = json.loads(blobs["index.json"])["manifests"][0]
    document = json.loads(blobs["blobs/" + descriptor["digest"].replace(":", "/")])
    while "manifests" in document:  # an image index: its first (platform) manifest
        document = json.loads(blobs["blobs/" + document["manifests"][0]["digest"].replace(":", "/")])
    return list(document["layers"])


def test_the_store_is_detected_and_recorded(client: docker.DockerClient, containerd_engine: DedicatedEngine) -> None:
    assert describe_engine(containerd_engine.client)["image_store"] == CONTAINERD_STORE
    assert describe_engine(client)["image_store"] == client.info()["Driver"]


def test_pull_size_is_the_sum_of_the_layer_blobs_the_engine_lists(
    containerd_engine: DedicatedEngine, small_image: str
) -> None:
    scan, _ = _scan(containerd_engine.client, small_image)
    layers = _listed_layer_blobs(containerd_engine.client, small_image)
    assert all(layer["mediaType"].endswith(("tar+gzip", "tar.gzip")) for layer in layers), layers
    distinct = {layer["digest"]: layer["size"] for layer in layers}
    assert scan.figures["compressed_bytes"] == sum(distinct.values())
    assert scan.figures["compressed_exact"] is True
    assert scan.figures["compressed_method"] == CONTENT_STORE_METHOD
    assert scan.figures["image_store"] == CONTAINERD_STORE
    assert list(scan.layers["compressed_bytes"]) == [layer["size"] for layer in layers]


@pytest.fixture(scope="module")
def loaded(tmp_path_factory: pytest.TempPathFactory, client: docker.DockerClient, small_image: str) -> ImageSize:
    """The small image's size on an overlay2 engine of its own that received its layers as tars (`docker load`,
    as a pull does): its Size, and its slim stand-in's, as that engine reports them."""
    with dedicated_engine(tmp_path_factory.mktemp("overlay2"), client) as fresh:
        fresh.load(client, small_image)
        slim = bases.resolve(fresh.client, "slim", "3.11", "standin")
        return image_size(fresh.client, fresh.client.images.get(small_image).id, slim)


def test_size_is_what_overlay2_reports_once_it_received_the_layers(
    client: docker.DockerClient, containerd_engine: DedicatedEngine, small_image: str, loaded: ImageSize
) -> None:
    """Counted from the layers: the Size of an engine that pulled or loaded the image; the building engine's own
    Size leaves out the symlinks of the layers BuildKit made there (imgexp.measure.scan.unpacked_size)."""
    on_containerd, _ = _scan(containerd_engine.client, small_image)
    _, built_size = _scan(client, small_image)
    sizes = ("size_bytes", "base_bytes", "added_bytes")
    assert {k: on_containerd.figures[k] for k in sizes} == {k: getattr(loaded, k) for k in sizes}
    assert built_size < loaded.size_bytes  # the symlinks (the venv's, the image's) of BuildKit's layers


def test_every_other_figure_matches_the_overlay2_store(
    client: docker.DockerClient, containerd_engine: DedicatedEngine, small_image: str
) -> None:
    on_containerd, _ = _scan(containerd_engine.client, small_image)
    on_overlay2, _ = _scan(client, small_image)
    assert on_overlay2.figures["image_store"] == "overlay2"
    same = set(on_overlay2.figures) - {"compressed_bytes", "compressed", "compressed_exact", "compressed_method"}
    same -= {"unique_compressed_bytes", "layers_read_from", "image_store"}
    assert {k: on_containerd.figures[k] for k in same} == {k: on_overlay2.figures[k] for k in same}
    pd.testing.assert_frame_equal(on_containerd.layers.drop(columns=STORED), on_overlay2.layers.drop(columns=STORED))
    pd.testing.assert_frame_equal(on_containerd.packages, on_overlay2.packages)
    slim = bases.resolve(client, "slim", "3.11", "standin").image
    base_wasted = _scan(containerd_engine.client, slim)[0].figures["wasted_bytes"]  # the stand-in's own steps
    assert on_containerd.figures["wasted_bytes"] - base_wasted == 300000
    # the same tars: the overlay2 estimate against the gzip blobs they were compressed into here
    estimate, exact = on_overlay2.layers["compressed_bytes"], on_containerd.layers["compressed_bytes"]
    assert abs(estimate.sum() / exact.sum() - 1) < 0.02, (list(estimate), list(exact))
    assert on_containerd.figures["site_packages_bytes"] > 0
