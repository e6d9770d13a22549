"""Offline stand-ins for the official python images, bootstrapped from Debian's packages.

Where no registry can be reached, imgexp builds two base images with mmdebstrap and
imports them with ``docker import``: a full one close to ``buildpack-deps`` (what the
official ``python:<v>`` image is built on) and a slim one from Debian's minbase. Both
are cleaned as the official debian images are (no .deb cache, no apt lists, the same
apt clean-up config), the slim one also drops docs, man pages and locales as
``debian:<release>-slim`` does. They are tagged ``imgexp/python-standin:<v>[-slim]``,
never ``python:*``, and labelled ``imgexp.role=standin``.
"""

from __future__ import annotations

import collections
import json
import os
import shlex
import subprocess
import threading
from collections.abc import Callable
from typing import IO

import docker

from ..errors import StandinBootstrapFailed

#: Python version -> the Debian release whose python3 it is
DEBIAN_RELEASES = {"3.11": "bookworm"}
STANDIN_REPOSITORY = "imgexp/python-standin"
DEFAULT_MIRROR = "http://deb.debian.org/debian"

_PYTHON = ["python3", "python3-venv", "python-is-python3", "ca-certificates", "netbase", "tzdata"]
#: buildpack-deps:<release> (curl, scm and full layers), which python:<v> is built on
_BUILDPACK_DEPS = [
    "curl",
    "gnupg",
    "wget",
    "git",
    "mercurial",
    "openssh-client",
    "subversion",
    "procps",
    "autoconf",
    "automake",
    "bzip2",
    "default-libmysqlclient-dev",
    "dpkg-dev",
    "file",
    "g++",
    "gcc",
    "imagemagick",
    "libbz2-dev",
    "libc6-dev",
    "libcurl4-openssl-dev",
    "libdb-dev",
    "libevent-dev",
    "libffi-dev",
    "libgdbm-dev",
    "libglib2.0-dev",
    "libgmp-dev",
    "libjpeg-dev",
    "libkrb5-dev",
    "liblzma-dev",
    "libmagickcore-dev",
    "libmagickwand-dev",
    "libmaxminddb-dev",
    "libncurses5-dev",
    "libncursesw5-dev",
    "libpng-dev",
    "libpq-dev",
    "libreadline-dev",
    "libsqlite3-dev",
    "libssl-dev",
    "libtool",
    "libwebp-dev",
    "libxml2-dev",
    "libxslt1-dev",
    "libyaml-dev",
    "make",
    "patch",
    "unzip",
    "xz-utils",
    "zlib1g-dev",
    "python3-dev",
]
PACKAGES = {"full": _BUILDPACK_DEPS + _PYTHON, "slim": _PYTHON}

#: apt settings of the official debian images (debuerreotype): no .deb cache, no lists bloat
_REMOVE_DEBS = "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"
_APT_OPTIONS = [
    f'DPkg::Post-Invoke {{ "{_REMOVE_DEBS}"; }}',
    f'APT::Update::Post-Invoke {{ "{_REMOVE_DEBS}"; }}',
    'Dir::Cache::pkgcache ""',
    'Dir::Cache::srcpkgcache ""',
    'Acquire::Languages "none"',
    'Acquire::GzipIndexes "true"',
    'APT::AutoRemove::SuggestsImportant "false"',
]
#: what debian:<release>-slim leaves out
_SLIM_DPKG_OPTIONS = [
    "path-exclude=/usr/share/doc/*",
    "path-include=/usr/share/doc/*/copyright",
    "path-exclude=/usr/share/info/*",
    "path-exclude=/usr/share/linda/*",
    "path-exclude=/usr/share/lintian/overrides/*",
    "path-exclude=/usr/share/locale/*",
    "path-exclude=/usr/share/man/*",
    "path-exclude=/usr/share/groff/*",
]


def tag_for(kind: str, python: str) -> str:
    """The stand-in's tag: imgexp/python-standin:3.11 or :3.11-slim."""
    return f"{STANDIN_REPOSITORY}:{python}{'-slim' if kind == 'slim' else ''}"


def command(kind: str, python: str) -> list[str]:
    """The mmdebstrap command that writes the stand-in's root filesystem as a tar to stdout."""
    release = DEBIAN_RELEASES[python]
    argv = ["mmdebstrap", "--variant=minbase", "--include=" + ",".join(PACKAGES[kind])]
    argv += [f"--aptopt={opt}" for opt in _APT_OPTIONS]
    if kind == "slim":
        argv += [f"--dpkgopt={opt}" for opt in _SLIM_DPKG_OPTIONS]
    mirror = os.environ.get("IMGEXP_DEBIAN_MIRROR") or DEFAULT_MIRROR
    return [*argv, release, "-", mirror]


def bootstrap(
    client: docker.DockerClient,
    kind: str,
    python: str,
    log: Callable[[str], None] | None = None,
) -> str:
    """Build the stand-in for one kind of base and return its image id.

    The root filesystem streams from mmdebstrap straight into the engine's import,
    so no tarball is kept on disk or in memory.
    """
    tag = tag_for(kind, python)
    argv = command(kind, python)
    recipe = f"mmdebstrap --variant=minbase {DEBIAN_RELEASES[python]} + {len(PACKAGES[kind])} packages"
    changes = [
        "ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
        "ENV LANG=C.UTF-8",
        'CMD ["python3"]',
        "LABEL imgexp.role=standin",
        f"LABEL imgexp.standin.kind={kind}",
        f"LABEL imgexp.standin.python={python}",
        f'LABEL imgexp.standin.recipe="{recipe}"',
    ]
    tail: collections.deque[str] = collections.deque(maxlen=30)
    try:
        proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    except FileNotFoundError as exc:
        raise StandinBootstrapFailed(tag, shlex.join(argv), f"{argv[0]} is not installed") from exc
    with proc:
        assert proc.stdout is not None and proc.stderr is not None
        progress = _drain(proc.stderr, tail, log)
        try:
            answer = client.api.import_image(src=proc.stdout, changes=changes, stream_src=True)
        except docker.errors.APIError as exc:
            proc.kill()
            progress.join()
            raise StandinBootstrapFailed(tag, shlex.join(argv), "\n".join(tail) or str(exc)) from exc
        proc.wait()
        progress.join()
    image_id = _imported_id(answer)
    if proc.returncode != 0 or not image_id:
        if image_id:  # the engine imported a truncated root filesystem: never keep it
            client.images.remove(image_id, force=True)
        raise StandinBootstrapFailed(tag, shlex.join(argv), "\n".join(tail) or str(answer))
    repository, _, image_tag = tag.rpartition(":")
    client.api.tag(image_id, repository, image_tag)
    return image_id


def _imported_id(answer: str) -> str:
    """The image id in the engine's answer to an import (JSON lines, the last with the id)."""
    for line in reversed(answer.splitlines()):
        if line.strip():
            status = json.loads(line).get("status", "")
            return status if status.startswith("sha256:") else ""
    return ""


def _drain(stream: IO[bytes], tail: collections.deque[str], log: Callable[[str], None] | None) -> threading.Thread:
    """Read mmdebstrap's progress in a thread (its stdout is the tarball)."""

    def read() -> None:
        for raw in stream:
            line = raw.decode(errors="replace").rstrip()
            tail.append(line)
            if log:
                log(line)

    thread = threading.Thread(target=read, daemon=True)
    thread.start()
    return thread
