"""A cache of per-layer scans, keyed by a content-derived name of the layer.

`docker save` names a layer that is not the image's top one by a digest of its chain ID
(the digests of its content and of every layer under it) and, in the OCI layout, a blob
by the digest of its bytes; the layer store's layers are named ``chain-<chain ID>``: the
same name always means the same bytes. So a base layer scanned once (its gzip count is
the slow part) is not scanned again for every image on that base. Top layers of a save
stream are named after the whole image config; they are cached as well and simply never
asked for again by another image.

A key is that name and a stamp of what was read: the member's size in a save stream; the
size, change time and inode of the layer's tar-split record in the layer store (a layer
registered again, or a record rewritten, is read again). Beside a layer's scan, work that
only some commands need (``imgexp inspect``'s ELF sections) is kept as a named part of the
same key, so it too is done once per layer.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

from ..results import write_atomic
from .gzipsize import GzipSizer
from .layertar import ChunkCursor, LayerScan, scan_layer

CACHE_VERSION = 9
_SAFE = re.compile(r"[^A-Za-z0-9._-]+")


def default_cache_dir() -> Path:
    """$IMGEXP_CACHE_DIR, else $XDG_CACHE_HOME/imgexp/layers, else ~/.cache/imgexp/layers."""
    if os.environ.get("IMGEXP_CACHE_DIR"):
        return Path(os.environ["IMGEXP_CACHE_DIR"])
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "imgexp" / "layers"


def layer_key(name: str, stamp: object) -> str:
    """The cache key of the layer ``name`` as read at ``stamp`` (a size, or a file's stat figures)."""
    return f"{name}-{stamp}"


class LayerCache:
    """Scans stored as one JSON file per layer key; a layer's other parts as ``<key>.<part>.json``."""

    def __init__(self, directory: Path | None = None) -> None:
        self.directory = Path(directory) if directory else default_cache_dir()

    def _path(self, key: str, part: str = "") -> Path:
        return self.directory / f"{_SAFE.sub('_', key)}{'.' + part if part else ''}.json"

    def _read(self, path: Path) -> dict[str, Any] | None:
        try:
            data = json.loads(path.read_text())
        except (FileNotFoundError, json.JSONDecodeError):
            return None
        return data if isinstance(data, dict) and data.get("version") == CACHE_VERSION else None

    def get(self, key: str, member: str) -> LayerScan | None:
        """The scan stored under ``key`` (for the layer named ``member`` in this read), or None."""
        data = self._read(self._path(key))
        if data is None:
            return None
        paths, kinds, sizes = data["entries"]
        return LayerScan(
            member=member,
            tar_bytes=data["tar_bytes"],
            blob_bytes=data["blob_bytes"],
            compressed_bytes=data["compressed_bytes"],
            compressed_exact=data["compressed_exact"],
            entries=list(zip(paths, kinds, sizes, strict=True)),
            records=data["records"],
            package_db=data["package_db"],
            metadata=data["metadata"],
        )

    def put(self, key: str, scan: LayerScan) -> None:
        entries = [
            [path for path, _, _ in scan.entries],
            [k for _, k, _ in scan.entries],
            [s for *_, s in scan.entries],
        ]
        data = {
            "version": CACHE_VERSION,
            "tar_bytes": scan.tar_bytes,
            "blob_bytes": scan.blob_bytes,
            "compressed_bytes": scan.compressed_bytes,
            "compressed_exact": scan.compressed_exact,
            "entries": entries,
            "records": scan.records,
            "package_db": scan.package_db,
            "metadata": scan.metadata,
        }
        write_atomic(self._path(key), json.dumps(data, separators=(",", ":")))

    def get_part(self, key: str, part: str) -> dict[str, Any] | None:
        """The layer's ``part`` stored under ``key`` (see put_part), or None."""
        data = self._read(self._path(key, part))
        return None if data is None else data["data"]

    def put_part(self, key: str, part: str, data: dict[str, Any]) -> None:
        """Keep ``data`` (JSON-able), worked out from the layer ``key`` names, as its ``part``."""
        write_atomic(self._path(key, part), json.dumps({"version": CACHE_VERSION, "data": data}))


def cached_scan(name: str, size: int, cursor: ChunkCursor, sizer: GzipSizer, cache: LayerCache | None) -> LayerScan:
    """The layer's scan from ``cache`` (its bytes left unread), else scanned at the cursor and stored there."""
    key = layer_key(name, size)
    scan = cache.get(key, name) if cache else None
    if scan is None:
        scan = scan_layer(name, size, cursor, sizer)
        if cache:
            cache.put(key, scan)
    return scan
