"""Inspecting any image: found locally or in its registry, read once, measured as imgexp measures its own builds.

A local image's layers are read as for a build (imgexp.measure.scan.read_image: the layer
store or a streamed `docker save`, each layer through the layer cache); an image that is
not local is read from its registry, with no engine (imgexp.registry: manifest, config,
each layer blob streamed through the same reader and cache). Either is replayed to the
final filesystem, and the findings drawn from it (imgexp.audit.findings).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import docker
import pandas as pd
from docker.errors import ImageNotFound, InvalidRepository

from ..engine.client import CONTAINERD_STORE, image_store
from ..errors import ImageUnavailable
from ..measure.layercache import LayerCache
from ..measure.layertar import SavedImage
from ..measure.packages import package_frame, package_summary
from ..measure.scan import STORE_SOURCE, layer_frame, read_image, unpacked_size
from ..measure.waste import replay
from ..registry.client import RegistryOptions
from ..registry.errors import RegistryError
from ..registry.image import RemoteImage, open_remote, read_layers
from ..units import human_size
from .elf import StoredLayer, stored_layers, strippable_files
from .findings import find, interpreters, provenance_of
from .origin import NO_BASE, Base, find_base, given_base, local_base
from .packagedb import installed, package_bytes

#: the columns of an inspected image's summary (inspect.json's ``images``), and what each holds
IMAGE_COLUMNS: dict[str, str] = {
    "image": "the image as named on the command line",
    "image_id": "its id",
    "platform": "os/architecture from the image config",
    "size_bytes": (
        "image size as `docker images` shows it on overlay2 (docker image inspect .Size); on the containerd "
        "store or read from a registry, the layers' files summed as overlay2 counts them: its Size once pulled"
    ),
    "size": "size_bytes in docker's units",
    "compressed_bytes": (
        "pull size: each distinct layer gzip-compressed (or its compressed blob), summed; read from a registry, "
        "its manifest's layer sizes, summed"
    ),
    "compressed": "compressed_bytes in docker's units",
    "compressed_exact": "True when compressed_bytes is the size of compressed blobs; False when it is an estimate",
    "layers": "filesystem layers",
    "layers_read_from": "where the layer tars were read: the engine's overlay2 layer store or `docker save`",
    "image_store": "where the engine keeps images: overlay2 (the graph driver) or containerd; registry: read from one",
    "repo_digest": "for an image read from a registry: registry/repository@manifest digest (empty: a local image)",
    "wasted_bytes": "file bytes in a layer that a later layer overwrote or deleted, each hidden copy counted once",
    "efficiency": "1 - wasted_bytes / bytes of regular files summed over all layers",
    "site_packages_bytes": "bytes of every file under site-packages/dist-packages",
    "pycache_bytes": "of site_packages_bytes: __pycache__ directories and .pyc files",
    "tests_bytes": "of site_packages_bytes: files under tests/ or test/ directories",
    "extensions_bytes": "of site_packages_bytes: compiled extensions and vendored shared libraries (.so)",
    "python": "each Python installation found (version and prefix), space-separated; empty: no Python",
    "base": "the base image the findings' base parts name (empty: none found, every byte counts as added)",
    "base_id": "its id",
    "base_layers": "how many of the image's bottom layers are the base's",
    "base_found": "how the base was found: given (--base), or the longest layer prefix among local images",
    "findings_bytes": "bytes the findings account for, summed (each byte in one finding at most)",
    "findings_pct": "findings_bytes against size_bytes, in %",
    "notes": "what the reader should know: no Python found, a platform other than linux/amd64",
}
#: image_store of an image read from a registry
REGISTRY_STORE = "registry"
#: the columns of inspect.csv: one row per image and finding
FINDINGS_CSV_COLUMNS: dict[str, str] = {
    "image": "the image as named on the command line",
    "kind": "the kind of finding (imgexp.audit.findings.KINDS; `imgexp check --forbid` takes these names)",
    "origin": "added (by the image's own layers: the fix applies) or base (the base's layers: fix names the base)",
    "bytes": "bytes the finding accounts for, measured in the image: what the fix removes",
    "files": "visible files it accounts for (empty for wasted: hidden copies)",
    "share_pct": "bytes against the image's size_bytes, in %",
    "title": "what the kind is",
    "detail": "what it is made of here, largest first (packages, folders, distributions)",
    "fix": "the Dockerfile change that removes it; for the base part, the base it comes with and a smaller one",
    "instruction": "the instructions (history created_by) of the layers that brought its bytes, most bytes first",
    "required_by": "distributions of the kind that an installed one requires in its environment, and what requires "
    "each (Requires-Dist): never offered for removal",
    "required_bytes": "bytes of those required distributions: not in bytes",
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


@dataclass(frozen=True)
class ImageSource:
    """Where an inspected image's layers came from, and what that source says of it."""

    saved: SavedImage
    image_id: str
    size_bytes: int
    platform: str
    layers_read_from: str
    image_store: str
    stored: list[StoredLayer] | None = None
    """each layer's overlay2 folder and cache key, where readable (for the debug-symbol finding)"""
    remote: RemoteImage | None = None
    """the registry's manifest and config, for an image read from a registry"""


def local_source(client: docker.DockerClient | None, ref: str, cache: LayerCache | None) -> ImageSource | None:
    """The local image ``ref`` names, read from its engine; None when no engine answers or it has none."""
    if client is None:
        return None
    try:
        attrs = client.images.get(ref).attrs
    except (ImageNotFound, InvalidRepository):
        return None
    saved, source = read_image(client, attrs["Id"], cache)
    store = image_store(client.info())
    return ImageSource(
        saved=saved,
        image_id=attrs["Id"],
        size_bytes=unpacked_size(saved, 0)["size_bytes"] if store == CONTAINERD_STORE else int(attrs["Size"]),
        platform=f"{attrs.get('Os', '')}/{attrs.get('Architecture', '')}",
        layers_read_from=source,
        image_store=store,
        stored=stored_layers(client, attrs["Id"]) if source == STORE_SOURCE else None,
    )


def registry_source(ref: str, options: RegistryOptions | None, cache: LayerCache | None) -> ImageSource:
    """The image ``ref`` names, read from its registry (no engine involved), sized as overlay2 counts it."""
    client, remote = open_remote(ref, options)
    saved = read_layers(client, remote, cache)
    return ImageSource(
        saved=saved,
        image_id=remote.config_digest,
        size_bytes=unpacked_size(saved, 0)["size_bytes"],
        platform=remote.platform,
        layers_read_from=f"registry {remote.reference.registry}",
        image_store=REGISTRY_STORE,
        remote=remote,
    )


def _base(
    client: docker.DockerClient | None, image: ImageSource, given: str | None, options: RegistryOptions | None
) -> Base:
    """The base ``given`` names (a local image, else read from its registry: manifest and config, no layer), else
    the local image whose layers are the longest prefix of the image's; NO_BASE with no engine."""
    config = image.saved.config
    if not given:
        return find_base(client, image.image_id, config) if client is not None else NO_BASE
    local = local_base(client, given, config) if client is not None else None
    if local is not None:
        return local
    try:
        _, remote = open_remote(given, options)
    except RegistryError as error:
        raise ImageUnavailable(
            given, f"the base given by --base is neither a local image nor in its registry ({error})"
        ) from error
    return given_base(given, config, remote.config_digest, remote.config)


def inspect_image(
    client: docker.DockerClient | None,
    ref: str,
    cache: LayerCache | None = None,
    options: RegistryOptions | None = None,
    base: str | None = None,
) -> Inspection:
    """Measure the image ``ref`` names (local to ``client``'s engine, else read from its registry) and find
    what in it could go; ``base`` names the local image it was built on (else the one found, imgexp.audit.origin)."""
    image = local_source(client, ref, cache)
    if image is None:
        try:
            image = registry_source(ref, options, cache)
        except RegistryError as error:
            raise ImageUnavailable(ref, str(error)) from error
    saved = image.saved
    found_base = _base(client, image, base, options)
    final = replay([layer.entries for layer in saved.layers])
    records = {path: text for layer in saved.layers for path, text in layer.records.items()}
    package_db = {path: text for layer in saved.layers for path, text in layer.package_db.items()}
    layers = layer_frame(saved, found_base.layers, final.wasted_by_layer)
    packages = package_frame(final.files, records)
    size = image.size_bytes
    system = installed(package_db, final.files)
    stored = image.stored
    entries = [layer.entries for layer in saved.layers]
    strippable = strippable_files(final.files, stored, entries, cache) if stored else {}
    metadata = {path: text for layer in saved.layers for path, text in layer.metadata.items()}
    provenance = provenance_of(found_base, layers, metadata, final.files, image.platform.rsplit("/", 1)[-1])
    findings = find(final, records, system, size, strippable, provenance)
    found = interpreters(final.files)
    platform = image.platform
    notes = []
    if stored is None:
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
        "image_id": image.image_id,
        "platform": platform,
        "size_bytes": size,
        "size": human_size(size),
        "compressed_bytes": compressed,
        "compressed": human_size(compressed),
        "compressed_exact": bool(distinct["compressed_exact"].all()),
        "layers": len(layers),
        "layers_read_from": image.layers_read_from,
        "image_store": image.image_store,
        "repo_digest": image.remote.pinned if image.remote else "",
        "wasted_bytes": final.wasted_bytes,
        "efficiency": round(final.efficiency, 6),
        **package_summary(packages),
        "python": " ".join(f"{i.version}:/{i.prefix}" for i in found),
        "base": found_base.image,
        "base_id": found_base.image_id,
        "base_layers": found_base.layers,
        "base_found": found_base.how,
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
