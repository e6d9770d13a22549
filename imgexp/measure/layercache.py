"""A cache of per-layer scans, keyed by a content-derived name of the layer.

`docker save` names a layer that is not the image's top one by a digest of its chain ID
(the digests of its content and of every layer under it) and, in the OCI layout, a blob
by the digest of its bytes; the layer store's layers are named ``chain-<chain ID>``: the
same name always means the same bytes. So a base layer scanned once (its gzip count is
the slow part) is not scanned again for every image on that base. Top layers of a save
stream are named after the whole image config; they are cached as well and simply never
asked for again by another image.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

from ..results import write_atomic
from .gzipsize import GzipSizer
from .layertar import ChunkCursor, LayerScan, scan_layer

CACHE_VERSION = 6
_SAFE = re.compile(r"[^A-Za-z0-9._-]+")


def default_cache_dir() -> Path:
    """$IMGEXP_CACHE_DIR, else $XDG_CACHE_HOME/imgexp/layers, else ~/.cache/imgexp/layers."""
    if os.environ.get("IMGEXP_CACHE_DIR"):
        return Path(os.environ["IMGEXP_CACHE_DIR"])
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "imgexp" / "layers"


class LayerCache:
    """Scans stored as one JSON file per layer name and size."""

    def __init__(self, directory: Path | None = None) -> None:
        self.directory = Path(directory) if directory else default_cache_dir()

    def _path(self, member: str, size: int) -> Path:
        return self.directory / f"{_SAFE.sub('_', member)}-{size}.json"

    def get(self, member: str, size: int) -> LayerScan | None:
        path = self._path(member, size)
        try:
            data = json.loads(path.read_text())
        except (FileNotFoundError, json.JSONDecodeError):
            return None
        if data.get("version") != CACHE_VERSION:
            return None
        return LayerScan(
            member=member,
            tar_bytes=data["tar_bytes"],
            blob_bytes=size,
            compressed_bytes=data["compressed_bytes"],
            compressed_exact=data["compressed_exact"],
            entries=[(path, kind, size) for path, kind, size in data["entries"]],
            records=data["records"],
            package_db=data["package_db"],
        )

    def put(self, scan: LayerScan) -> None:
        data = {
            "version": CACHE_VERSION,
            "tar_bytes": scan.tar_bytes,
            "compressed_bytes": scan.compressed_bytes,
            "compressed_exact": scan.compressed_exact,
            "entries": scan.entries,
            "records": scan.records,
            "package_db": scan.package_db,
        }
        write_atomic(self._path(scan.member, scan.blob_bytes), json.dumps(data, separators=(",", ":")))


def cached_scan(name: str, size: int, cursor: ChunkCursor, sizer: GzipSizer, cache: LayerCache | None) -> LayerScan:
    """The layer's scan from ``cache`` (its bytes left unread), else scanned at the cursor and stored there."""
    scan = cache.get(name, size) if cache else None
    if scan is None:
        scan = scan_layer(name, size, cursor, sizer)
        if cache:
            cache.put(scan)
    return scan
