"""Offline stand-ins for the official python images, bootstrapped from Debian's packages.

Where no registry can be reached, imgexp builds two base images with mmdebstrap and
imports them with ``docker import``: a full one close to ``buildpack-deps`` (what the
official ``python:<v>`` image is built on) and a slim one from Debian's minbase. Both
are cleaned as the official debian images are (no .deb cache, no apt lists, the same
apt clean-up config), the slim one also drops docs, man pages and locales as
``debian:<release>-slim`` does. They are tagged ``imgexp/python-standin:<v>[-slim]``,
never ``python:*``, and labelled ``imgexp.role=standin``.

Like the official images, both have ``python`` and ``pip`` on PATH, pip installed (with
setuptools and wheel up to 3.11; from Debian's own wheels, no .pyc) and allow ``pip install``
into their Python (Debian's PEP 668 ``EXTERNALLY-MANAGED`` marker is removed). They trust what the
host trusts: the certificates of the host's CA bundle that Debian's lacks are added to the
system store, and ``/etc/pip.conf`` points pip at that store, so an unmodified Dockerfile's
``RUN pip install`` works behind a TLS-intercepting proxy. The labels
``imgexp.standin.recipe`` (with a digest of the recipe) and ``imgexp.standin.host-ca``
(the bundle's sha256) say how a stand-in was made; bases.resolve rebuilds an older one.
"""

from __future__ import annotations

import collections
import hashlib
import json
import os
import shlex
import subprocess
import threading
from collections.abc import Callable
from pathlib import Path
from typing import IO

import docker

from ..errors import StandinBootstrapFailed

#: Python version -> the Debian release whose python3 it is
DEBIAN_RELEASES = {"3.9": "bullseye", "3.11": "bookworm", "3.13": "trixie"}
STANDIN_REPOSITORY = "imgexp/python-standin"
DEFAULT_MIRROR = "http://deb.debian.org/debian"

_PYTHON = ["python3", "python3-venv", "python-is-python3", "ca-certificates", "netbase", "tzdata"]
#: what brings pip: Debian's wheels, which the recipe installs; bullseye's python3-pip (no PEP 668 marker
#: there; apt leaves out its recommends, a compiler and python3-dev, as mmdebstrap installs none)
_PIP_PACKAGES = {
    "bullseye": ["python3-pip"],
    "bookworm": ["python3-pip-whl", "python3-setuptools-whl", "python3-wheel-whl"],
    "trixie": ["python3-pip-whl"],
}
#: the distributions python:<v> has in its system Python (from 3.12 on, pip alone)
_DISTRIBUTIONS = {"bookworm": "pip setuptools wheel", "trixie": "pip"}
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
#: kind of stand-in -> its packages but those that bring pip (packages() adds them)
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


#: pip trusts the system store, to which the host's CA is added
_PIP_CONF = "printf '[global]\\ncert = /etc/ssl/certs/ca-certificates.crt\\n' > /etc/pip.conf\n"
#: pip, setuptools and wheel into the system Python from Debian's wheels, as python:<v> has them
_PIP = (
    """set -e
rm -f /usr/lib/python3*/EXTERNALLY-MANAGED
set -- /usr/share/python-wheels/pip-*.whl
python3 "$1/pip" install --quiet --no-index --no-compile --no-cache-dir \\
    --find-links /usr/share/python-wheels {distributions}
"""
    + _PIP_CONF
    + "rm -rf /root/.cache\n"
)
#: bullseye's python3-pip has pip3 only: pip beside it
_PIP_COMMAND = (
    """set -e
[ -e /usr/bin/pip ] || ln -s /usr/bin/pip3 /usr/local/bin/pip
"""
    + _PIP_CONF
)
#: hooks run in the root filesystem with a clean environment (the host's PIP_* and SSL_* stay out) and no .pyc
_CHROOT = (
    'chroot "$1" env -i PYTHONDONTWRITEBYTECODE=1 PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'
)
HOST_CA_IN_ROOT = "/tmp/imgexp-host-ca.pem"
#: the host bundle's certificates that the stand-in's store lacks, into its local store
_SPLIT_CA = f"""import re
pem = re.compile(r"-----BEGIN CERTIFICATE-----.*?-----END CERTIFICATE-----", re.S)
have = {{"".join(c.split()) for c in pem.findall(open("/etc/ssl/certs/ca-certificates.crt").read())}}
new = [c for c in pem.findall(open("{HOST_CA_IN_ROOT}").read()) if "".join(c.split()) not in have]
for i, cert in enumerate(new):
    open(f"/usr/local/share/ca-certificates/imgexp-host-{{i}}.crt", "w").write(cert + "\\n")
"""


def tag_for(kind: str, python: str) -> str:
    """The stand-in's tag: imgexp/python-standin:3.11 or :3.11-slim."""
    return f"{STANDIN_REPOSITORY}:{python}{'-slim' if kind == 'slim' else ''}"


def packages(kind: str, python: str) -> list[str]:
    """The Debian packages of a stand-in."""
    return PACKAGES[kind] + _PIP_PACKAGES[DEBIAN_RELEASES[python]]


def command(kind: str, python: str, ca_bundle: Path | None = None) -> list[str]:
    """The mmdebstrap command that writes the stand-in's root filesystem as a tar to stdout."""
    release = DEBIAN_RELEASES[python]
    argv = ["mmdebstrap", "--variant=minbase", "--include=" + ",".join(packages(kind, python))]
    argv += [f"--aptopt={opt}" for opt in _APT_OPTIONS]
    if kind == "slim":
        argv += [f"--dpkgopt={opt}" for opt in _SLIM_DPKG_OPTIONS]
    pip = _PIP.format(distributions=_DISTRIBUTIONS[release]) if release in _DISTRIBUTIONS else _PIP_COMMAND
    argv += [f"--customize-hook={_CHROOT} sh -c {shlex.quote(pip)}"]
    if ca_bundle is not None:
        argv += [
            f"--customize-hook=upload {ca_bundle} {HOST_CA_IN_ROOT}",
            f"--customize-hook={_CHROOT} python3 -c {shlex.quote(_SPLIT_CA)}",
            f'--customize-hook=rm -f "$1{HOST_CA_IN_ROOT}" && {_CHROOT} update-ca-certificates',
        ]
    mirror = os.environ.get("IMGEXP_DEBIAN_MIRROR") or DEFAULT_MIRROR
    return [*argv, release, "-", mirror]


def recipe(kind: str, python: str) -> str:
    """What the label imgexp.standin.recipe holds: a summary and a digest of the recipe."""
    argv = command(kind, python)[:-1]  # the mirror is where, not what
    digest = hashlib.sha256(json.dumps([argv, _changes(kind, python)]).encode()).hexdigest()[:12]
    release = DEBIAN_RELEASES[python]
    pip = _DISTRIBUTIONS.get(release, "pip setuptools wheel").replace(" ", ", ")
    return f"mmdebstrap --variant=minbase {release} + {len(packages(kind, python))} packages + {pip} (recipe {digest})"


def host_ca_label(ca_bundle: Path | None) -> str:
    """What the label imgexp.standin.host-ca holds: the sha256 of the host's bundle, or none."""
    return hashlib.sha256(ca_bundle.read_bytes()).hexdigest() if ca_bundle is not None else "none"


def _changes(kind: str, python: str) -> list[str]:
    """The image config of a stand-in, as docker import's changes (labels but the recipe's own)."""
    return [
        "ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
        "ENV LANG=C.UTF-8",
        'CMD ["python3"]',
        "LABEL imgexp.role=standin",
        f"LABEL imgexp.standin.kind={kind}",
        f"LABEL imgexp.standin.python={python}",
    ]


def bootstrap(
    client: docker.DockerClient,
    kind: str,
    python: str,
    log: Callable[[str], None] | None = None,
    ca_bundle: Path | None = None,
) -> str:
    """Build the stand-in for one kind of base, trusting ``ca_bundle`` too, and return its image id.

    The root filesystem streams from mmdebstrap straight into the engine's import,
    so no tarball is kept on disk or in memory.
    """
    tag = tag_for(kind, python)
    argv = command(kind, python, ca_bundle)
    changes = [
        *_changes(kind, python),
        f'LABEL imgexp.standin.recipe="{recipe(kind, python)}"',
        f"LABEL imgexp.standin.host-ca={host_ca_label(ca_bundle)}",
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
