"""The build context sent to the engine: a Dockerfile, the requirements and the install script."""

from __future__ import annotations

import hashlib
import io
import tarfile
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class BuildContext:
    """A deterministic tar (fixed mtimes and owners), so equal inputs give equal digests."""

    tar: bytes
    sha256: str


def make_context(dockerfile: Path, requirements: Path, install_script: Path) -> BuildContext:
    """Pack ``Dockerfile``, ``requirements.txt`` and ``install_requirements.sh`` at the context root."""
    members = {
        "Dockerfile": (Path(dockerfile).read_bytes(), 0o644),
        "requirements.txt": (Path(requirements).read_bytes(), 0o644),
        "install_requirements.sh": (Path(install_script).read_bytes(), 0o755),
    }
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for name, (data, mode) in members.items():
            info = tarfile.TarInfo(name)
            info.size, info.mode, info.mtime = len(data), mode, 0
            tar.addfile(info, io.BytesIO(data))
    data = buffer.getvalue()
    return BuildContext(tar=data, sha256=hashlib.sha256(data).hexdigest())
