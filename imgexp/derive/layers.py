"""An image's files as its overlay2 layers hold them: what given layers added, and paths looked up through all of them.

Read from the engine's layer store (imgexp.audit.elf.layer_diffs gives each layer's ``diff``
folder). A lookup follows symbolic links the way the kernel would inside the container
(``/lib`` -> ``usr/lib`` on merged-/usr Debian), always inside the image, never the host.
"""

from __future__ import annotations

import os
import posixpath
import stat
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

#: symbolic links followed at most on the way to one path, as the kernel's limit
_MAX_LINKS = 40


@dataclass(frozen=True)
class Added:
    """A path the user's layers added (or changed), as the container sees it."""

    path: str
    """absolute, inside the image"""
    kind: str
    """file, dir or link"""
    size: int
    layer: int
    """index of the layer that holds it"""


@dataclass(frozen=True)
class Layered:
    """The layers of one image, bottom first, as ``diff`` folders of the layer store."""

    diffs: tuple[Path, ...]

    def _entry(self, path: str) -> tuple[int, os.stat_result] | None:
        """The top-most layer holding ``path`` (absolute, no link in it) and its stat; None if absent or whited out."""
        relative = path.lstrip("/")
        for index in range(len(self.diffs) - 1, -1, -1):
            full = os.path.join(self.diffs[index], relative)
            try:
                info = os.lstat(full)
            except OSError:
                if self._hidden(index, relative):
                    return None
                continue
            if stat.S_ISCHR(info.st_mode) and info.st_rdev == 0:  # a whiteout: deleted here
                return None
            return index, info
        return None

    def _hidden(self, index: int, relative: str) -> bool:
        """Whether a parent of ``relative`` is an opaque or whited-out folder in layer ``index``."""
        parent = relative
        while "/" in parent:
            parent = parent.rsplit("/", 1)[0]
            folder = os.path.join(self.diffs[index], parent)
            try:
                if os.getxattr(folder, "trusted.overlay.opaque") == b"y":
                    return True
            except OSError:
                pass
        return False

    def resolve(self, path: str) -> str | None:
        """``path`` with every symbolic link in it followed, inside the image; None when it does not exist."""
        walked = self.walk(path)
        return walked[-1] if walked else None

    def walk(self, path: str) -> list[str]:
        """Each symbolic link met on the way to ``path`` (its parents resolved), then the real path; [] when absent."""
        parts = [p for p in path.split("/") if p]
        done = "/"
        links: list[str] = []
        while parts:
            step = posixpath.join(done, parts.pop(0))
            found = self._entry(step)
            if found is None:
                return []
            index, info = found
            if stat.S_ISLNK(info.st_mode):
                if len(links) >= _MAX_LINKS:
                    return []
                links.append(step)
                target = os.readlink(os.path.join(self.diffs[index], step.lstrip("/")))
                parts = [p for p in target.split("/") if p] + parts
                done = "/" if target.startswith("/") else done
                continue
            done = posixpath.normpath(step)
        return [*links, done]

    def exists(self, path: str) -> bool:
        return self.resolve(path) is not None

    def host_path(self, path: str) -> Path | None:
        """The file holding ``path`` (resolved) in the layer store, to read; None when absent."""
        real = self.resolve(path)
        found = self._entry(real) if real else None
        return None if found is None else Path(self.diffs[found[0]]) / real.lstrip("/")  # type: ignore[union-attr]

    def listdir(self, path: str) -> list[str]:
        """Names in the folder ``path`` (resolved) as the container sees them."""
        real = self.resolve(path)
        if real is None:
            return []
        names: set[str] = set()
        gone: set[str] = set()
        for index in range(len(self.diffs) - 1, -1, -1):
            folder = os.path.join(self.diffs[index], real.lstrip("/"))
            try:
                entries = list(os.scandir(folder))
            except OSError:
                continue
            for entry in entries:
                if entry.name in names or entry.name in gone:
                    continue
                info = entry.stat(follow_symlinks=False)
                (gone if stat.S_ISCHR(info.st_mode) and info.st_rdev == 0 else names).add(entry.name)
            if self._hidden(index, real.lstrip("/") + "/x"):
                break
        return sorted(names)

    def added(self, first: int) -> dict[str, Added]:
        """Every path layers ``first`` and above hold, as the container sees it (the top-most copy)."""
        found: dict[str, Added] = {}
        for index in range(first, len(self.diffs)):
            for added in _walk(self.diffs[index], index):
                if added.kind == "gone":
                    for path in [p for p in found if p == added.path or p.startswith(added.path + "/")]:
                        del found[path]
                else:
                    found[added.path] = added
        return found


def _walk(diff: Path, layer: int) -> Iterator[Added]:
    root = str(diff)
    for folder, dirs, files in os.walk(root):
        inside = "/" + os.path.relpath(folder, root) if folder != root else ""
        for name in dirs + files:
            full = os.path.join(folder, name)
            info = os.lstat(full)
            path = f"{inside}/{name}"
            if stat.S_ISCHR(info.st_mode) and info.st_rdev == 0:
                yield Added(path, "gone", 0, layer)
            elif stat.S_ISLNK(info.st_mode):
                yield Added(path, "link", 0, layer)
            elif stat.S_ISDIR(info.st_mode):
                yield Added(path, "dir", 0, layer)
            else:
                yield Added(path, "file", info.st_size, layer)
