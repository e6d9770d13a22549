"""Inspecting any image: found locally (or pulled), read once, measured as imgexp measures its own builds.

The layers are read as for a build (imgexp.measure.scan.read_image: the layer store or a
streamed `docker save`, each layer through the layer cache), replayed to the final
filesystem, and the findings drawn from it (imgexp.audit.findings).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import docker
import pandas as pd
import requests
from docker.errors import DockerException, ImageNotFound
from docker.models.images import Image
from docker.utils import parse_repository_tag

from ..engine.client import CONTAINERD_STORE, image_store
from ..errors import ImageUnavailable
from ..measure.layercache import LayerCache
from ..measure.packages import package_frame, package_summary
from ..measure.scan import STORE_SOURCE, layer_frame, read_image, unpacked_size
from ..measure.waste import replay
from ..units import human_size
from .elf import layer_diffs, strippable_files
from .findings import find, interpreters
from .packagedb import installed, package_bytes

#: the columns of an inspected image's summary (inspect.json's ``images``), and what each holds
IMAGE_COLUMNS: dict[str, str] = {
    "image": "the image as named on the command line",
    "image_id": "its id",
    "platform": "os/architecture from the image config",
    "size_bytes": (
        "image size as `docker images` shows it on overlay2 (docker image inspect .Size); on the containerd "
        "store, the layers' files summed as overlay2 counts them (its Size is the compressed content)"
    ),
    "size": "size_bytes in docker's units",
    "compressed_bytes": "pull size: each distinct layer gzip-compressed (or its compressed blob), summed",
    "compressed": "compressed_bytes in docker's units",
    "compressed_exact": "True when compressed_bytes is the size of compressed blobs; False when it is an estimate",
    "layers": "filesystem layers",
    "layers_read_from": "where the layer tars were read: the engine's overlay2 layer store or `docker save`",
    "image_store": "where the engine keeps images: overlay2 (the graph driver) or containerd",
    "wasted_bytes": "file bytes in a layer that a later layer overwrote or deleted, each hidden copy counted once",
    "efficiency": "1 - wasted_bytes / bytes of regular files summed over all layers",
    "site_packages_bytes": "bytes of every file under site-packages/dist-packages",
    "pycache_bytes": "of site_packages_bytes: __pycache__ directories and .pyc files",
    "tests_bytes": "of site_packages_bytes: files under tests/ or test/ directories",
    "extensions_bytes": "of site_packages_bytes: compiled extensions and vendored shared libraries (.so)",
    "python": "each Python installation found (version and prefix), space-separated; empty: no Python",
    "findings_bytes": "bytes the findings account for, summed (each byte in one finding at most)",
    "findings_pct": "findings_bytes against size_bytes, in %",
    "notes": "what the reader should know: no Python found, a platform other than linux/amd64",
}
#: the columns of inspect.csv: one row per image and finding
FINDINGS_CSV_COLUMNS: dict[str, str] = {
    "image": "the image as named on the command line",
    "kind": "the kind of finding (imgexp.audit.findings.KINDS; `imgexp check --forbid` takes these names)",
    "bytes": "bytes the finding accounts for, measured in the image",
    "files": "visible files it accounts for (empty for wasted: hidden copies)",
    "share_pct": "bytes against the image's size_bytes, in %",
    "title": "what the kind is",
    "detail": "what it is made of here, largest first (packages, folders, distributions)",
    "fix": "the Dockerfile change that removes it",
}


@dataclass(frozen=True)
class Inspection:
    """One image, measured: its summary (IMAGE_COLUMNS), layers, packages and findings."""

    summary: dict[str, Any]
    layers: pd.DataFrame
    packages: pd.DataFrame
    findings: pd.DataFrame
    notes: list[str] = field(default_factory=list)
    files: dict[str, int] = field(default_factory=dict)
    """every visible regular file -> its bytes"""
    system: dict[str, tuple[str, int]] = field(default_factory=dict)
    """each system package (dpkg, apk) -> (version, bytes of its visible files)"""


def local_or_pulled(client: docker.DockerClient, ref: str) -> Image:
    """The local image ``ref`` names, else the one a registry gives; ImageUnavailable when neither."""
    try:
        return client.images.get(ref)
    except ImageNotFound:
        pass
    repository, tag = parse_repository_tag(ref)
    try:
        return client.images.pull(repository, tag=tag or "latest")
    except (DockerException, requests.RequestException) as error:
        detail = getattr(error, "explanation", None) or str(error).strip().splitlines()[0]
        raise ImageUnavailable(ref, f"no registry answered or it has no such image ({detail})") from error


def inspect_image(client: docker.DockerClient, ref: str, cache: LayerCache | None = None) -> Inspection:
    """Measure the image ``ref`` names and find what in it could go."""
    image = local_or_pulled(client, ref)
    attrs = image.attrs
    saved, source = read_image(client, attrs["Id"], cache)
    final = replay([layer.entries for layer in saved.layers])
    records = {path: text for layer in saved.layers for path, text in layer.records.items()}
    package_db = {path: text for layer in saved.layers for path, text in layer.package_db.items()}
    layers = layer_frame(saved, 0, final.wasted_by_layer).drop(columns="origin")
    packages = package_frame(final.files, records)
    store = image_store(client.info())
    size = unpacked_size(saved, 0)["size_bytes"] if store == CONTAINERD_STORE else int(attrs["Size"])
    system = installed(package_db, final.files)
    diffs = layer_diffs(client, attrs["Id"]) if source == STORE_SOURCE else None
    strippable = strippable_files(final.files, diffs) if diffs else {}
    findings = find(final, records, system, size, strippable)
    found = interpreters(final.files)
    platform = f"{attrs.get('Os', '')}/{attrs.get('Architecture', '')}"
    notes = []
    if diffs is None:
        notes.append("debug symbols not measured: the layers were not read from a readable overlay2 store")
    if not found:
        notes.append("no Python found: no standard library (lib/pythonX.Y/os.py) in the image")
    if platform != "linux/amd64":
        notes.append(f"platform {platform}, not linux/amd64: its files are measured, none of it was run")
    distinct = layers.drop_duplicates("diff_id")
    compressed = int(distinct["compressed_bytes"].sum())
    covered = int(findings["bytes"].sum())
    summary = {
        "image": ref,
        "image_id": attrs["Id"],
        "platform": platform,
        "size_bytes": size,
        "size": human_size(size),
        "compressed_bytes": compressed,
        "compressed": human_size(compressed),
        "compressed_exact": bool(distinct["compressed_exact"].all()),
        "layers": len(layers),
        "layers_read_from": source,
        "image_store": store,
        "wasted_bytes": final.wasted_bytes,
        "efficiency": round(final.efficiency, 6),
        **package_summary(packages),
        "python": " ".join(f"{i.version}:/{i.prefix}" for i in found),
        "findings_bytes": covered,
        "findings_pct": round(100.0 * covered / size, 2) if size else 0.0,
        "notes": "; ".join(notes),
    }
    return Inspection(
        summary=summary,
        layers=layers,
        packages=packages,
        findings=findings,
        notes=notes,
        files={path: size for path, (_, size) in final.files.items()},
        system={name: (p.version, package_bytes(p, final.files)) for name, p in system.items()},
    )
