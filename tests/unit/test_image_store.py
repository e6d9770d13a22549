"""Which image store an engine uses, and what the containerd store changes in the figures (no engine)."""

from __future__ import annotations

import pandas as pd
import pytest

from imgexp.engine.client import CONTAINERD_STORE, image_store
from imgexp.measure.layertar import DIR, FILE, LINK, WHITEOUT, LayerScan, SavedImage
from imgexp.measure.scan import CONTENT_STORE_METHOD, ESTIMATE_METHOD, EXACT_METHOD, compressed_method, unpacked_size

#: /info of Docker 26 with the containerd snapshotter on, and of one on the overlay2 graph driver
CONTAINERD_INFO = {"Driver": "overlayfs", "DriverStatus": [["driver-type", "io.containerd.snapshotter.v1"]]}
OVERLAY2_INFO = {"Driver": "overlay2", "DriverStatus": [["Backing Filesystem", "extfs"], ["Supports d_type", "true"]]}


@pytest.mark.parametrize(
    ("info", "store"),
    [
        (CONTAINERD_INFO, CONTAINERD_STORE),
        (OVERLAY2_INFO, "overlay2"),
        ({"Driver": "vfs", "DriverStatus": None}, "vfs"),
        ({}, "unknown"),
    ],
)
def test_the_image_store_is_read_from_the_driver_status(info: dict, store: str) -> None:
    assert image_store(info) == store


def _layers(*exact: bool) -> pd.DataFrame:
    return pd.DataFrame({"compressed_exact": list(exact)})


def test_the_method_says_where_exact_sizes_come_from_and_which_layers_are_estimated() -> None:
    assert compressed_method(_layers(True, True), CONTAINERD_STORE) == CONTENT_STORE_METHOD
    assert compressed_method(_layers(True), "overlay2") == EXACT_METHOD
    assert compressed_method(_layers(False, False), CONTAINERD_STORE) == ESTIMATE_METHOD
    mixed = compressed_method(_layers(False, True, True), CONTAINERD_STORE)
    assert mixed.startswith(ESTIMATE_METHOD) and mixed.endswith(
        f"2 of 3 layers held compressed: {CONTENT_STORE_METHOD}"
    )


def test_the_unpacked_size_counts_files_and_symlink_targets_as_overlay2_does() -> None:
    base = LayerScan("base", entries=[("usr", DIR, 0), ("usr/a", FILE, 1000), ("usr/l", LINK, 5)])
    added = LayerScan("added", entries=[("usr/a", WHITEOUT, 0), ("opt/b", FILE, 200), ("opt/hard", LINK, 0)])
    sizes = unpacked_size(SavedImage(layers=[base, added], config={}), base_layers=1)
    assert sizes == {"size_bytes": 1205, "size": "1.21kB", "base_bytes": 1005, "added_bytes": 200}
