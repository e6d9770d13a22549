"""Whether a derived image holds all that ``current`` holds: every distribution at its version, every large file."""

from __future__ import annotations

import os
import posixpath
import stat
from dataclasses import dataclass

from .layers import Layered

#: a file under current's WORKDIR at least this large must be in a derived image for it to be complete
LARGE_FILE_BYTES = 1 << 20


@dataclass(frozen=True)
class Completeness:
    complete: bool
    missing: tuple[str, ...]
    """``name==version`` of each distribution of current's pip freeze it lacks, then each large file it lacks"""


def large_files(image: Layered, folder: str) -> dict[str, int]:
    """Regular files of at least LARGE_FILE_BYTES under ``folder``, as the container sees them -> their bytes."""
    found: dict[str, int] = {}
    if not folder or folder == "/":
        return found
    pending = [folder]
    while pending:
        current = pending.pop()
        for name in image.listdir(current):
            path = posixpath.join(current, name)
            host = image.host_path(path)
            if host is None or image.resolve(path) != path:
                continue
            info = os.lstat(host)
            if stat.S_ISDIR(info.st_mode):
                pending.append(path)
            elif stat.S_ISREG(info.st_mode) and info.st_size >= LARGE_FILE_BYTES:
                found[path] = info.st_size
    return found


def completeness(
    current_freeze: list[str], freeze: list[str], current_files: dict[str, int], files: dict[str, int]
) -> Completeness:
    """What a derived image (``freeze``, its large ``files``) lacks of current's."""
    lacking = [d for d in current_freeze if d not in set(freeze)]
    lacking += [f"{path} ({size} bytes)" for path, size in sorted(current_files.items()) if path not in files]
    return Completeness(not lacking, tuple(lacking))
