"""Wasted bytes: file bytes a layer ships that a later layer overwrites or deletes.

Layers are replayed bottom first. When a later layer writes a path again, removes it
(a whiteout), hides a directory (an opaque whiteout) or turns a file into a directory,
the bytes of the copy that can no longer be seen are wasted: every pull downloads them,
no container can read them. Each hidden copy counts once; the copy that stays visible is
not waste (dive counts it too, wagoodman/dive#684). As the OCI image spec says, a whiteout
or an opaque marker hides only what lower layers hold: what its own layer writes stays,
wherever in the layer's tar the marker comes (moby/moby#17766).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from .layertar import DIR, FILE, LINK, OPAQUE, WHITEOUT

Entry = tuple[str, str, int]


@dataclass(frozen=True)
class FinalFilesystem:
    """What a container sees, and what the layers carried that it cannot see."""

    files: dict[str, tuple[int, int]]
    """path -> (layer index, bytes) of every visible regular file"""
    wasted_by_layer: list[int]
    """bytes of each layer hidden by a later one"""
    layer_file_bytes: int
    """bytes of regular files summed over every layer"""

    @property
    def wasted_bytes(self) -> int:
        return sum(self.wasted_by_layer)

    @property
    def efficiency(self) -> float:
        """``1 - wasted_bytes / layer_file_bytes``: the share of shipped file bytes a container can see.

        1.0 for an image whose layers hide nothing (and for one with no file bytes at all).
        """
        return 1.0 - self.wasted_bytes / self.layer_file_bytes if self.layer_file_bytes else 1.0


def _parent(path: str) -> str:
    """posixpath.dirname of a normalised relative path (no "//", no trailing "/"), without its cost."""
    cut = path.rfind("/")
    return path[:cut] if cut > 0 else ""


def replay(layers: Sequence[Iterable[Entry]]) -> FinalFilesystem:
    """Apply each layer's entries (path, kind, bytes) in order, as overlayfs would."""
    files: dict[str, tuple[int, int]] = {}
    children: defaultdict[str, set[str]] = defaultdict(set)
    wasted = [0] * len(layers)
    shipped = 0
    fresh: set[str] = set()
    """paths the current layer writes, and their parents"""

    def forget(path: str) -> None:
        """Remove ``path`` and everything under it, counting hidden file bytes as waste."""
        if path in files:
            layer, size = files.pop(path)
            wasted[layer] += size
        for child in children.pop(path, ()):
            forget(child)
        children.get(_parent(path), set()).discard(path)
        fresh.discard(path)

    def hide(path: str) -> None:
        """A whiteout of ``path``: forget what lower layers hold there, keep what this layer writes."""
        if path not in fresh:
            forget(path)
            return
        for child in list(children.get(path, ())):
            hide(child)

    def place(path: str) -> None:
        while path and path not in fresh:
            fresh.add(path)
            parent = _parent(path)
            children[parent].add(path)
            path = parent

    for index, entries in enumerate(layers):
        fresh.clear()
        for path, kind, size in entries:
            if kind == OPAQUE:
                for child in list(children.get(path, ())):
                    hide(child)
            elif kind == WHITEOUT:
                hide(path)
            elif kind == DIR:
                if path in files:
                    forget(path)
                place(path)
            elif kind in (FILE, LINK):
                if path in files or path in children:
                    forget(path)
                place(path)
                if kind == FILE:
                    files[path] = (index, size)
                    shipped += size
    return FinalFilesystem(files=files, wasted_by_layer=wasted, layer_file_bytes=shipped)
