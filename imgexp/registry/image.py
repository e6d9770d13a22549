"""An image in a registry: its manifest (chosen from an index by platform), its config, its layer blobs.

Every byte is checked against the digest that names it: the manifest (when asked for by
digest), the config, and each layer blob while it streams through imgexp's layer reader
(imgexp.measure.layertar), so a corrupt blob fails before anything is measured or cached.
The pull size is exact: the sizes of the manifest's distinct layer blobs, summed.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from ..measure.gzipsize import GzipSizer
from ..measure.layercache import LayerCache, cached_scan
from ..measure.layertar import ChunkCursor, LayerScan, SavedImage
from .client import RegistryClient, RegistryOptions, chunks
from .errors import BlobDigestMismatch, PlatformNotInIndex, UnsupportedManifest
from .reference import Reference, parse_reference

OCI_INDEX = "application/vnd.oci.image.index.v1+json"
DOCKER_LIST = "application/vnd.docker.distribution.manifest.list.v2+json"
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
INDEXES = (OCI_INDEX, DOCKER_LIST)
MANIFESTS = (OCI_MANIFEST, DOCKER_MANIFEST)
ACCEPT = ", ".join((*MANIFESTS, *INDEXES))


@dataclass(frozen=True)
class Blob:
    """A descriptor: what a manifest says of one blob."""

    digest: str
    size: int
    media_type: str = ""


@dataclass(frozen=True)
class RemoteImage:
    """One platform's image in a registry, as its manifest and config describe it."""

    reference: Reference
    digest: str
    """the manifest's digest (what ``repository@digest`` pulls)"""
    config: dict[str, Any]
    config_digest: str
    """the image id an engine gives it after the pull"""
    layers: tuple[Blob, ...]

    @property
    def pull_bytes(self) -> int:
        """Exact pull size: the distinct layer blobs' sizes, summed, as the manifest gives them."""
        return sum({layer.digest: layer.size for layer in self.layers}.values())

    @property
    def pinned(self) -> str:
        """``registry/repository@digest``: this very manifest."""
        return f"{self.reference.registry}/{self.reference.repository}@{self.digest}"

    @property
    def platform(self) -> str:
        return "/".join(part for part in (self.config.get("os"), self.config.get("architecture")) if part)


def open_remote(text: str, options: RegistryOptions | None = None) -> tuple[RegistryClient, RemoteImage]:
    """The image the reference ``text`` names in its registry, its manifest and config read and verified."""
    options = options or RegistryOptions()
    reference = parse_reference(text)
    client = RegistryClient(reference, options)
    manifest, digest = _manifest(client, reference.identifier, verify=reference.digest is not None)
    media_type = manifest.get("mediaType", "")
    if media_type in INDEXES or (not media_type and "manifests" in manifest):
        chosen = choose_platform(str(reference), manifest, options.platform)
        manifest, digest = _manifest(client, chosen, verify=True)
        media_type = manifest.get("mediaType", "")
    if media_type not in MANIFESTS and not (not media_type and "config" in manifest):
        raise UnsupportedManifest(str(reference), media_type)
    config_blob = _blob(manifest["config"])
    config_bytes = client.get(f"blobs/{config_blob.digest}").content
    _check(str(reference), config_blob.digest, config_bytes)
    layers = tuple(_blob(layer) for layer in manifest.get("layers", []))
    return client, RemoteImage(reference, digest, json.loads(config_bytes), config_blob.digest, layers)


def choose_platform(reference: str, index: dict[str, Any], platform: str) -> str:
    """The digest of the index's manifest for ``platform`` (os/architecture[/variant]); PlatformNotInIndex if none."""
    wanted = platform.split("/")
    offered = []
    for entry in index.get("manifests", []):
        spec = entry.get("platform") or {}
        parts = [spec.get("os", ""), spec.get("architecture", ""), spec.get("variant", "")]
        name = "/".join(part for part in parts if part)
        if spec.get("os") == "unknown":  # attestations (BuildKit's provenance), not images
            continue
        offered.append(name)
        if parts[: len(wanted)] == wanted:
            return str(entry["digest"])
    raise PlatformNotInIndex(reference, platform, offered)


def read_layers(
    client: RegistryClient, image: RemoteImage, cache: LayerCache | None = None, sizer: GzipSizer | None = None
) -> SavedImage:
    """Each layer blob streamed (digest-checked) through the layer reader, or taken from ``cache``.

    Layers are read side by side, a thread per core: hashing and decompressing run in C,
    mostly without the GIL.
    """
    own = sizer is None
    sizer = sizer or GzipSizer()

    def scan(layer: Blob) -> LayerScan:
        blob = _verified(client, str(image.reference), layer)
        try:
            scanned = cached_scan(layer.digest, layer.size, ChunkCursor(blob), sizer, cache)
        except ValueError:  # a damaged stream: when its bytes are not the blob's, that is the error to tell
            for _ in blob:  # the rest of it, hashed: BlobDigestMismatch at its end
                pass
            raise
        return dataclasses.replace(scanned, compressed_bytes=layer.size, compressed_exact=True)

    try:
        with ThreadPoolExecutor(max(1, min(len(image.layers), os.cpu_count() or 1))) as pool:
            scans = list(pool.map(scan, image.layers))
    finally:
        if own:
            sizer.close()
    return SavedImage(layers=scans, config=image.config)


def _verified(client: RegistryClient, reference: str, layer: Blob) -> Iterator[bytes]:
    """The blob's bytes; BlobDigestMismatch raised before its last chunk when they do not hash to its digest.

    Requested only when first read (a cached layer is never fetched). The check runs once
    ``layer.size`` bytes have arrived, before they are handed on, since a reader stops
    there; a blob that ends short is checked at its end.
    """
    algorithm, _, _ = layer.digest.partition(":")
    hasher = hashlib.new(algorithm)
    length = 0
    for chunk in chunks(client.get(f"blobs/{layer.digest}", stream=True)):
        hasher.update(chunk)
        length += len(chunk)
        if length >= layer.size:
            _compare(reference, layer.digest, hasher, length)
        yield chunk
        if length >= layer.size:
            return
    _compare(reference, layer.digest, hasher, length)


def _manifest(client: RegistryClient, identifier: str, verify: bool) -> tuple[dict[str, Any], str]:
    """The manifest (or index) at ``identifier`` and its digest; checked against it when ``verify``."""
    body = client.get(f"manifests/{identifier}", accept=ACCEPT).content
    digest = f"sha256:{hashlib.sha256(body).hexdigest()}"
    if verify:
        _check(str(client.reference), identifier, body)
    return json.loads(body), digest


def _blob(descriptor: dict[str, Any]) -> Blob:
    return Blob(str(descriptor["digest"]), int(descriptor["size"]), str(descriptor.get("mediaType", "")))


def _check(reference: str, digest: str, data: bytes) -> None:
    hasher = hashlib.new(digest.partition(":")[0])
    hasher.update(data)
    _compare(reference, digest, hasher, len(data))


def _compare(reference: str, digest: str, hasher: Any, length: int) -> None:
    actual = f"{hasher.name}:{hasher.hexdigest()}"
    if actual != digest:
        raise BlobDigestMismatch(reference, digest, actual, length)
