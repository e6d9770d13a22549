"""The build context sent to the engine: a Dockerfile, the requirements and imgexp's two scripts,
or a project folder as its .dockerignore leaves it."""

from __future__ import annotations

import hashlib
import io
import os
import tarfile
from dataclasses import dataclass
from pathlib import Path

from docker.utils.build import exclude_paths

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
    return _pack(members, {})


#: where a project's context carries the strategy's Dockerfile and the CA helper
PROJECT_DOCKERFILE = ".imgexp.Dockerfile"
PROJECT_CA_SCRIPT = ".imgexp-ca.sh"
#: a project context larger than this gets a warning naming its largest paths
LARGE_CONTEXT_BYTES = 1 << 30


def make_project_context(
    folder: Path, dockerfile: bytes, ca_script: Path = CA_SCRIPT, also_ignore: tuple[str, ...] = ()
) -> BuildContext:
    """Pack a project folder as ``docker build`` would send it, deterministically.

    Parameters
    ----------
    folder
        The build context: every path its ``.dockerignore`` does not exclude (docker-py's
        own matcher, imgexp.engine.build's library), with fixed mtimes and owners.
    dockerfile
        The text of the strategy's Dockerfile (its literal python images rewritten, see
        imgexp.strategies.parse), added as ``.imgexp.Dockerfile``; the file on disk is untouched.
    ca_script
        The CA helper, added as ``.imgexp-ca.sh``.
    also_ignore
        More .dockerignore patterns (the results folder, when it lies in the context).
    """
    folder = Path(folder)
    ignore = folder / ".dockerignore"
    patterns = [*(_ignore_patterns(ignore.read_text()) if ignore.is_file() else []), *also_ignore]
    files: dict[str, tuple[bytes, int]] = {}
    folders: dict[str, int] = {}
    for name in sorted(exclude_paths(str(folder), patterns, dockerfile=PROJECT_DOCKERFILE)):
        path = folder / name
        if path.is_symlink() or not (path.is_file() or path.is_dir()):
            continue
        mode = path.stat().st_mode & 0o777
        if path.is_dir():
            folders[name] = mode
        else:
            files[name] = (path.read_bytes(), mode)
    files[PROJECT_DOCKERFILE] = (dockerfile, 0o644)
    files[PROJECT_CA_SCRIPT] = (Path(ca_script).read_bytes(), 0o644)
    return _pack(files, folders)


def largest_paths(context: BuildContext, count: int = 5) -> list[tuple[str, int]]:
    """The ``count`` largest files of a context, largest first, with their sizes."""
    with tarfile.open(fileobj=io.BytesIO(context.tar)) as tar:
        sizes = [(m.name, m.size) for m in tar.getmembers() if m.isfile()]
    return sorted(sizes, key=lambda pair: -pair[1])[:count]


def read_file(context: BuildContext, name: str) -> bytes:
    """One file of a context; b"" when it has none of that name."""
    with tarfile.open(fileobj=io.BytesIO(context.tar)) as tar:
        try:
            member = tar.extractfile(name)
        except KeyError:
            return b""
        return member.read() if member else b""


def with_file(context: BuildContext, name: str, data: bytes) -> BuildContext:
    """The same context with the file ``name`` holding ``data`` (added if missing)."""
    files: dict[str, tuple[bytes, int]] = {}
    folders: dict[str, int] = {}
    with tarfile.open(fileobj=io.BytesIO(context.tar)) as tar:
        for member in tar.getmembers():
            if member.isdir():
                folders[member.name] = member.mode
            elif (handle := tar.extractfile(member)) is not None:
                files[member.name] = (handle.read(), member.mode)
    files[name] = (data, files.get(name, (b"", 0o644))[1])
    return _pack(files, folders)


def _ignore_patterns(text: str) -> list[str]:
    """The patterns of a .dockerignore, as docker-py's own client reads them."""
    return [line.strip() for line in text.splitlines() if line.strip() and not line.strip().startswith("#")]


def _pack(files: dict[str, tuple[bytes, int]], folders: dict[str, int]) -> BuildContext:
    """A tar of ``folders`` and ``files`` in name order, mtime 0, owner root."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for name in sorted({*files, *folders}):
            info = tarfile.TarInfo(name.replace(os.sep, "/"))
            info.mtime = 0
            if name in folders:
                info.type, info.mode = tarfile.DIRTYPE, folders[name]
                tar.addfile(info)
            else:
                data, info.mode = files[name]
                info.size = len(data)
                tar.addfile(info, io.BytesIO(data))
    data = buffer.getvalue()
    return BuildContext(tar=data, sha256=hashlib.sha256(data).hexdigest())
