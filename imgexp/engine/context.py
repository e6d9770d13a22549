"""The build context sent to the engine: a Dockerfile, the requirements and imgexp's two scripts."""

from __future__ import annotations

import hashlib
import io
import tarfile
from dataclasses import dataclass
from pathlib import Path

from ..paths import CA_SCRIPT, INSTALL_SCRIPT


@dataclass(frozen=True)
class BuildContext:
    """A deterministic tar (fixed mtimes and owners), so equal inputs give equal digests."""

    tar: bytes
    sha256: str


def make_context(
    dockerfile: Path,
    requirements: Path,
    install_script: Path = INSTALL_SCRIPT,
    ca_script: Path = CA_SCRIPT,
) -> BuildContext:
    """Pack the files a strategy's Dockerfile may COPY, all at the context root.

    Parameters
    ----------
    dockerfile
        The strategy's Dockerfile, packed as ``Dockerfile``.
    requirements
        The pip requirements file, packed as ``requirements.txt``.
    install_script
        The write-up's install script, packed as ``install_requirements.sh``.
    ca_script
        The CA helper, packed as ``imgexp-ca.sh``: each RUN step that installs from PyPI
        sources it to fetch the CA bundle named by the build arg ``IMGEXP_CA_URL`` and to
        remove it when the step ends.
    """
    members = {
        "Dockerfile": (Path(dockerfile).read_bytes(), 0o644),
        "requirements.txt": (Path(requirements).read_bytes(), 0o644),
        "install_requirements.sh": (Path(install_script).read_bytes(), 0o755),
        "imgexp-ca.sh": (Path(ca_script).read_bytes(), 0o644),
    }
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for name, (data, mode) in members.items():
            info = tarfile.TarInfo(name)
            info.size, info.mode, info.mtime = len(data), mode, 0
            tar.addfile(info, io.BytesIO(data))
    data = buffer.getvalue()
    return BuildContext(tar=data, sha256=hashlib.sha256(data).hexdigest())
