"""Offline stand-ins for the official python images, built the way docker-library builds them.

Where no registry can be reached, imgexp builds ``python:<v>`` and ``python:<v>-slim`` itself.
Two root filesystems come from mmdebstrap through ``docker import``: a slim one as
``debian:<release>-slim`` is (minbase, no docs, man pages or locales) and a full one close to
``buildpack-deps:<release>``, which ``python:<v>`` is built on. Then a ``docker build``
(BuildKit) of the recipe in ``standin/Dockerfile`` compiles CPython's upstream release, as
Debian's mirror serves it (imgexp.engine.debsource checks it through the signed Release
file), into /usr/local with the official images' configure options, on the full root, and
installs the same /usr/local into both: the slim one gets only the Debian libraries its
binaries load, and its binaries stripped. See docs/how-it-works.md.

They are tagged ``imgexp/python:<v>-<release>`` and ``imgexp/python:<v>-slim-<release>``
(the roots ``imgexp/standin-root:<release>[-slim]``), never ``python:*``, and labelled
``imgexp.role=standin``. They trust what the host trusts: the host bundle's certificates that
Debian's store lacks go into the system store, and ``/etc/pip.conf`` points pip at it, so an
unmodified Dockerfile's ``RUN pip install`` works behind a TLS-intercepting proxy. The labels
``imgexp.standin.recipe`` (with a digest of the recipe) and ``imgexp.standin.host-ca`` (the
bundle's sha256) say how a stand-in was made; bases.resolve rebuilds an older one.
"""

from __future__ import annotations

import collections
import contextlib
import hashlib
import json
import shlex
import shutil
import subprocess
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path
from typing import IO

import docker
from docker.errors import DockerException, ImageNotFound

from ..errors import BuildFailed, StandinBootstrapFailed
from . import debsource
from .build import BuildOutcome, BuildRequest
from .buildkit import buildx_build, require_buildx
from .context import PROJECT_DOCKERFILE, make_project_context

#: Python version -> the Debian release whose python3.X source package carries its upstream tarball
DEBIAN_RELEASES = {"3.9": "bullseye", "3.11": "bookworm", "3.13": "trixie"}
STANDIN_REPOSITORY = "imgexp/python"
ROOT_REPOSITORY = "imgexp/standin-root"
RECIPE = Path(__file__).resolve().parent / "standin"
#: configure's optimisation options; none: docs/how-it-works.md gives the bootstrap times measured both ways
OPTIMIZATIONS = ""
#: the Debian package with a wheel of `wheel`, which python:<v> has beside pip and setuptools up to 3.11
_WHEEL_FROM = {"bullseye": "python-wheel-common", "bookworm": "python3-wheel-whl"}
#: what python:<v> and python:<v>-slim install at run time on their Debian base
_RUNTIME = ["ca-certificates", "netbase", "tzdata"]
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
]
#: what python:<v> adds to buildpack-deps, and what the recipe compiles against (--with-system-expat)
_PYTHON_BUILD_DEPS = ["libbluetooth-dev", "tk-dev", "uuid-dev", "libexpat1-dev"]
#: kind of stand-in -> the Debian packages of its root (the full root also compiles CPython)
PACKAGES = {"full": _BUILDPACK_DEPS + _PYTHON_BUILD_DEPS + _RUNTIME, "slim": _RUNTIME}


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
#: merged /usr as the official debian images have it, set up by mmdebstrap where the release wants it: without
#: it, bookworm's minbase installs the usrmerge package, which pulls in perl (46 MB)
_MERGED_USR = "/usr/share/mmdebstrap/hooks/maybe-merged-usr"
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
    """The stand-in's tag, as the official one with its Debian release: imgexp/python:3.11-slim-bookworm."""
    return f"{STANDIN_REPOSITORY}:{python}{'-slim' if kind == 'slim' else ''}-{DEBIAN_RELEASES[python]}"


def root_tag(kind: str, release: str) -> str:
    """The tag of a stand-in's root filesystem: imgexp/standin-root:bookworm or :bookworm-slim."""
    return f"{ROOT_REPOSITORY}:{release}{'-slim' if kind == 'slim' else ''}"


def packages(kind: str, release: str) -> list[str]:
    """The Debian packages of a root."""
    wheel = [_WHEEL_FROM[release]] if kind == "full" and release in _WHEEL_FROM else []
    return PACKAGES[kind] + wheel


def command(kind: str, release: str, mirror: str | None = None) -> list[str]:
    """The mmdebstrap command that writes a root filesystem as a tar to stdout."""
    argv = ["mmdebstrap", "--variant=minbase", "--include=" + ",".join(packages(kind, release))]
    argv += [f"--hook-dir={_MERGED_USR}"]
    argv += [f"--aptopt={opt}" for opt in _APT_OPTIONS]
    if kind == "slim":
        argv += [f"--dpkgopt={opt}" for opt in _SLIM_DPKG_OPTIONS]
    return [*argv, release, "-", mirror or debsource.mirror()]


def build_args(kind: str, python: str) -> dict[str, str]:
    """The recipe's build args but the ones that name what was fetched (PYTHON_VERSION)."""
    release = DEBIAN_RELEASES[python]
    return {
        "FULL_ROOT": root_tag("full", release),
        "SLIM_ROOT": root_tag("slim", release),
        "OPTIMIZATIONS": OPTIMIZATIONS,
        "WHEEL_FROM": _WHEEL_FROM.get(release, ""),
    }


def root_recipe(kind: str, release: str) -> str:
    """What a root's label imgexp.standin.recipe holds: a summary and a digest of its mmdebstrap command."""
    argv = command(kind, release)[:-1]  # the mirror is where, not what
    digest = hashlib.sha256(json.dumps(argv).encode()).hexdigest()[:12]
    return f"mmdebstrap --variant=minbase {release} + {len(packages(kind, release))} packages (recipe {digest})"


def recipe(kind: str, python: str) -> str:
    """What a stand-in's label imgexp.standin.recipe holds: a summary and a digest of the whole recipe."""
    release = DEBIAN_RELEASES[python]
    files = [(RECIPE / name).read_text() for name in sorted(_RECIPE_FILES)]
    roots = [root_recipe(root, release) for root in ("full", kind)]
    digest = hashlib.sha256(json.dumps([files, roots, build_args(kind, python), kind]).encode()).hexdigest()[:12]
    on = "the full root" if kind == "full" else "the slim root, compiled on the full one"
    return f"CPython from Debian {release}'s python{python} upstream tarball into /usr/local on {on} (recipe {digest})"


def host_ca_label(ca_bundle: Path | None) -> str:
    """What the label imgexp.standin.host-ca holds: the sha256 of the host's bundle, or none."""
    return hashlib.sha256(ca_bundle.read_bytes()).hexdigest() if ca_bundle is not None else "none"


#: the files of standin/ that the build reads
_RECIPE_FILES = ("Dockerfile", "trust-host-ca.py")


def bootstrap(
    client: docker.DockerClient,
    kind: str,
    python: str,
    log: Callable[[str], None] | None = None,
    ca_bundle: Path | None = None,
) -> str:
    """Build the stand-in for one kind of base, trusting ``ca_bundle`` too, and return its image id.

    The compile stage is BuildKit's cache: the second kind reuses it.
    """
    tag = tag_for(kind, python)
    labels = {
        "imgexp.role": "standin",
        "imgexp.standin.kind": kind,
        "imgexp.standin.python": python,
        "imgexp.standin.recipe": recipe(kind, python),
        "imgexp.standin.host-ca": host_ca_label(ca_bundle),
    }
    return build(client, python, kind, tag, labels, ca_bundle, log).image_id


def build(
    client: docker.DockerClient,
    python: str,
    target: str,
    tag: str,
    labels: dict[str, str],
    ca_bundle: Path | None = None,
    log: Callable[[str], None] | None = None,
    nocache: bool = False,
) -> BuildOutcome:
    """Build the recipe's ``target`` stage for ``python`` as ``tag``, labelled ``labels`` and the source's URL.

    Fetches (or takes from the cache) CPython's checked tarball and makes the roots the
    recipe needs when they are missing or of another recipe.
    """
    require_buildx()
    release = DEBIAN_RELEASES[python]
    source, tarball = debsource.fetch(release, f"python{python}")
    if log:
        log(f"CPython {source.version}: {source.file.name}, checked against {release}'s signed InRelease")
    for root in dict.fromkeys(("full", "slim" if target == "slim" else "full")):
        ensure_root(client, root, release, log)
    with tempfile.TemporaryDirectory(prefix="imgexp-standin-") as scratch:
        folder = Path(scratch)
        shutil.copyfile(tarball, folder / "SOURCE")
        shutil.copyfile(RECIPE / "trust-host-ca.py", folder / "trust-host-ca.py")
        (folder / "host-ca.pem").write_bytes(ca_bundle.read_bytes() if ca_bundle is not None else b"")
        context = make_project_context(folder, (RECIPE / "Dockerfile").read_bytes())
    args = {**build_args(target, python), "SOURCE": "SOURCE", "PYTHON_VERSION": source.version}
    labels = {**labels, "imgexp.standin.source": f"{source.url} sha256:{source.file.sha256}"}
    try:
        request = BuildRequest(tag, context, tag, args, labels, nocache, target, PROJECT_DOCKERFILE)
        return buildx_build(client, request, log)
    except BuildFailed as failed:
        how = f"docker buildx build --target {target} of {RECIPE / 'Dockerfile'}"
        raise StandinBootstrapFailed(tag, how, "\n".join(failed.said) or failed.message) from failed


def ensure_root(client: docker.DockerClient, kind: str, release: str, log: Callable[[str], None] | None = None) -> str:
    """The id of the root of ``kind`` for ``release``: the local one when of the current recipe, else a new one."""
    tag = root_tag(kind, release)
    try:
        old = client.images.get(tag)
    except ImageNotFound:
        old = None
    if old is not None and (old.labels or {}).get("imgexp.standin.recipe") == root_recipe(kind, release):
        return str(old.id)
    if log:
        log(f"bootstrapping {tag} from Debian's packages (mmdebstrap; a minute or two)")
    image_id = import_root(client, kind, release, log)
    if old is not None:  # untagged now: gone unless a stand-in built on it keeps it
        with contextlib.suppress(DockerException):
            client.images.remove(str(old.id))
    return image_id


def import_root(client: docker.DockerClient, kind: str, release: str, log: Callable[[str], None] | None = None) -> str:
    """Write a root filesystem with mmdebstrap, import it, tag it, and return its image id.

    The root filesystem streams from mmdebstrap straight into the engine's import,
    so no tarball is kept on disk or in memory.
    """
    tag = root_tag(kind, release)
    argv = command(kind, release)
    changes = [
        "ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
        'CMD ["bash"]',
        "LABEL imgexp.role=standin",
        f"LABEL imgexp.standin.root={kind}",
        f'LABEL imgexp.standin.recipe="{root_recipe(kind, release)}"',
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
