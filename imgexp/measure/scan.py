"""An image's size as the engine reports it, and one pass over its layer tars: pull size, layers, waste, packages.

The layer tars come from the engine's overlay2 store where this process can read it
(imgexp.measure.layerstore, the same bytes without the engine's temporary copy), else from one
streamed `docker save` (imgexp.measure.savestream).

``scan_and_record`` is what an experiment calls for each built image: it writes the
per-layer and per-package tables beside the results (``<out>/layers/<strategy>.csv``,
``<out>/packages/<strategy>.csv``) and returns the figures of the results row. On the
containerd image store those include the sizes (``unpacked_size``), which replace the
engine's there.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import docker
import pandas as pd

from ..engine.bases import BaseImage
from ..engine.client import CONTAINERD_STORE, image_store
from ..results import write_csv
from ..units import human_size
from .gzipsize import ENGINE_PUSH_RATIO, GZIP_LEVEL, SAMPLED_UNITS, UNIT_BYTES, as_pushed
from .layercache import LayerCache
from .layerstore import SOURCE as STORE_SOURCE
from .layerstore import open_store, read_stored
from .layertar import FILE, LINK, SavedImage
from .packages import package_frame, package_summary
from .savestream import read_saved, save_chunks
from .waste import replay

LAYER_COLUMNS = [
    "index",
    "created_by",
    "origin",
    "tar_bytes",
    "file_bytes",
    "files",
    "compressed_bytes",
    "compressed_exact",
    "wasted_bytes",
    "diff_id",
]
ESTIMATE_METHOD = (
    f"estimate: gzip level {GZIP_LEVEL} (the registry push default) of each uncompressed layer tar, "
    f"in {UNIT_BYTES >> 10} KiB units; in a layer of over {SAMPLED_UNITS} units, {SAMPLED_UNITS} are deflated "
    f"and the rest predicted from an ISA-L pass; times {ENGINE_PUSH_RATIO}, as the engine's push (Go's gzip) "
    "emits more than zlib (imgexp.measure.gzipsize)"
)
EXACT_METHOD = "exact: size of each layer's compressed blob"
CONTENT_STORE_METHOD = "exact: blob sizes (containerd content store)"
SAVE_SOURCE = "docker save"


@dataclass(frozen=True)
class ImageScan:
    layers: pd.DataFrame
    """one row per filesystem layer, bottom first (see LAYER_COLUMNS)"""
    packages: pd.DataFrame
    """one row per installed distribution (see imgexp.measure.packages)"""
    figures: dict[str, Any]
    """the results row's columns"""


@dataclass(frozen=True)
class ImageSize:
    size_bytes: int
    """What `docker images` shows (the image's Size: every layer's uncompressed bytes)."""
    base_bytes: int
    added_bytes: int
    """Bytes on top of the final stage's base image."""
    layers: int
    """Filesystem layers (RootFS), base layers included."""


def image_size(client: docker.DockerClient, image_id: str, base: BaseImage) -> ImageSize:
    """Size of an image and what it adds to its base."""
    attrs = client.images.get(image_id).attrs
    size = int(attrs["Size"])
    return ImageSize(
        size_bytes=size,
        base_bytes=base.size_bytes,
        added_bytes=size - base.size_bytes,
        layers=len(attrs.get("RootFS", {}).get("Layers", [])),
    )


def scan_image(
    client: docker.DockerClient,
    image_id: str,
    base: BaseImage,
    cache: LayerCache | None = None,
    layer_store: bool = True,
) -> ImageScan:
    """Read the image's layer tars once (from the layer store when ``layer_store`` and readable) and measure."""
    store = image_store(client.info())
    saved, source = read_image(client, image_id, cache, layer_store)
    base_layers = _base_layer_count(client, saved, base)
    final = replay([layer.entries for layer in saved.layers])
    layers = layer_frame(saved, base_layers, final.wasted_by_layer)
    records = {path: text for layer in saved.layers for path, text in layer.records.items()}
    packages = package_frame(final.files, records)
    distinct = layers.drop_duplicates("diff_id")
    compressed = int(distinct["compressed_bytes"].sum())
    exact = bool(distinct["compressed_exact"].all())
    figures = {
        **(unpacked_size(saved, base_layers) if store == CONTAINERD_STORE else {}),
        "compressed_bytes": compressed,
        "compressed": human_size(compressed),
        "compressed_exact": exact,
        "compressed_method": compressed_method(distinct, store),
        "layers_read_from": source,
        "image_store": store,
        "unique_compressed_bytes": int(distinct.loc[distinct["origin"] == "added", "compressed_bytes"].sum()),
        "wasted_bytes": final.wasted_bytes,
        "efficiency": round(final.efficiency, 6),
        **package_summary(packages),
    }
    return ImageScan(layers=layers, packages=packages, figures=figures)


def unpacked_size(saved: SavedImage, base_layers: int) -> dict[str, Any]:
    """size_bytes, size, base_bytes and added_bytes counted from the layers as the overlay2 graph driver counts them.

    On the containerd image store the engine's image Size is its content: the compressed
    blobs (Docker 26's ``docker image inspect``), so it cannot be compared with overlay2's.
    Each layer's regular files (a hard-linked file once) and symlinks (their targets'
    length) are summed instead, as overlay2 sizes each layer's ``diff`` folder.
    """
    per_layer = [sum(size for _, kind, size in layer.entries if kind in (FILE, LINK)) for layer in saved.layers]
    size, base = sum(per_layer), sum(per_layer[:base_layers])
    return {"size_bytes": size, "size": human_size(size), "base_bytes": base, "added_bytes": size - base}


def compressed_method(distinct: pd.DataFrame, store: str) -> str:
    """How the pull size of these distinct layers was found: blob sizes, an estimate, or both."""
    exact = int(distinct["compressed_exact"].sum())
    blobs = CONTENT_STORE_METHOD if store == CONTAINERD_STORE else EXACT_METHOD
    if exact == len(distinct):
        return blobs
    if exact == 0:
        return ESTIMATE_METHOD
    return f"{ESTIMATE_METHOD}; {exact} of {len(distinct)} layers held compressed: {blobs}"


def read_image(
    client: docker.DockerClient, image_id: str, cache: LayerCache | None = None, layer_store: bool = True
) -> tuple[SavedImage, str]:
    """The image's layers, read once from the layer store (when ``layer_store`` and readable), else from
    `docker save`; and which of the two (``layers_read_from``)."""
    store = open_store(client) if layer_store else None
    saved = read_stored(store, client.api.inspect_image(image_id)["Id"], cache) if store else None
    if saved:
        return saved, STORE_SOURCE
    return read_saved(save_chunks(client, image_id), cache=cache), SAVE_SOURCE


def scan_and_record(
    client: docker.DockerClient, image_id: str, base: BaseImage, out: Path, strategy: str
) -> dict[str, Any]:
    """Scan the image, write its layer and package tables under ``out``, return the row's figures."""
    scan = scan_image(client, image_id, base, LayerCache())
    write_csv(Path(out) / "layers" / f"{strategy}.csv", scan.layers)
    write_csv(Path(out) / "packages" / f"{strategy}.csv", scan.packages)
    return scan.figures


def load_layers(out: str | Path, strategy: str | None = None) -> pd.DataFrame:
    """The per-layer tables of a run, one strategy's or all with a ``strategy`` column.

    Parameters
    ----------
    out
        The run's results folder (the tables are ``<out>/layers/<strategy>.csv``).
    strategy
        One strategy's table; None: every strategy's, one after the other.
    """
    return _load(Path(out) / "layers", strategy)


def load_packages(out: str | Path, strategy: str | None = None) -> pd.DataFrame:
    """The per-package tables of a run, one strategy's or all with a ``strategy`` column.

    Parameters
    ----------
    out
        The run's results folder (the tables are ``<out>/packages/<strategy>.csv``).
    strategy
        One strategy's table; None: every strategy's, one after the other.
    """
    return _load(Path(out) / "packages", strategy)


def _load(folder: Path, strategy: str | None) -> pd.DataFrame:
    paths = [folder / f"{strategy}.csv"] if strategy else sorted(folder.glob("*.csv"))
    missing = [p for p in paths if not p.is_file()]
    if missing or not paths:
        raise FileNotFoundError(
            f"no table {missing[0] if missing else folder / '*.csv'}: run `imgexp run --out {folder.parent}` "
            "with that strategy first"
        )
    frames = [pd.read_csv(p, keep_default_na=False).assign(strategy=p.stem) for p in paths]
    return pd.concat(frames, ignore_index=True)


def _base_layer_count(client: docker.DockerClient, saved: SavedImage, base: BaseImage) -> int:
    """How many bottom layers the image shares with its base (0 for FROM scratch)."""
    if not base.image_id:
        return 0
    base_ids = client.images.get(base.image_id).attrs.get("RootFS", {}).get("Layers", [])
    ids = saved.config.get("rootfs", {}).get("diff_ids", [])
    shared = 0
    for mine, theirs in zip(ids, base_ids, strict=False):
        if mine != theirs:
            break
        shared += 1
    return shared


def layer_frame(saved: SavedImage, base_layers: int, wasted: list[int]) -> pd.DataFrame:
    history = [h for h in saved.config.get("history", []) if not h.get("empty_layer")]
    diff_ids = saved.config.get("rootfs", {}).get("diff_ids", [])
    rows = []
    for index, layer in enumerate(saved.layers):
        rows.append(
            {
                "index": index,
                "created_by": _instruction(history[index].get("created_by", "")) if index < len(history) else "",
                "origin": "base" if index < base_layers else "added",
                "tar_bytes": layer.tar_bytes,
                "file_bytes": sum(size for _, kind, size in layer.entries if kind == "file"),
                "files": sum(1 for _, kind, _ in layer.entries if kind == "file"),
                "compressed_bytes": layer.compressed_bytes
                if layer.compressed_exact
                else as_pushed(layer.compressed_bytes),
                "compressed_exact": layer.compressed_exact,
                "wasted_bytes": wasted[index],
                "diff_id": diff_ids[index] if index < len(diff_ids) else layer.member,
            }
        )
    return pd.DataFrame(rows, columns=LAYER_COLUMNS)


def _instruction(created_by: str) -> str:
    """`/bin/sh -c #(nop)  ENV X=1` -> `ENV X=1`; `|1 A=b /bin/sh -c cmd` -> `RUN cmd`; BuildKit's
    `RUN /bin/sh -c cmd # buildkit` -> `RUN cmd`."""
    text = created_by.strip().removesuffix("# buildkit").strip()
    if "#(nop)" in text:
        return text.split("#(nop)", 1)[1].strip()
    if "/bin/sh -c " in text:
        return "RUN " + text.split("/bin/sh -c ", 1)[1].strip()
    return text
