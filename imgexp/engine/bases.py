"""Base images: the official python images where they can be had, offline stand-ins otherwise."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any, Literal

import docker
from docker.errors import DockerException, ImageNotFound
from docker.models.images import Image

from ..errors import BaseUnavailable, LiteralBaseUnavailable, NoStandinForPython
from . import standins
from .ca import find_ca_bundle

SYSTEM_CA_BUNDLE = Path("/etc/ssl/certs/ca-certificates.crt")
BaseSource = Literal["auto", "official", "standin"]
#: kind of base -> (build arg that names it, official tag for a Python version)
KINDS = {
    "full": ("PYTHON_IMAGE", "python:{python}"),
    "slim": ("PYTHON_SLIM_IMAGE", "python:{python}-slim"),
    "alpine": ("PYTHON_ALPINE_IMAGE", "python:{python}-alpine"),
}


@dataclass(frozen=True)
class BaseImage:
    """A base image as used in one experiment."""

    kind: str
    image: str
    image_id: str
    size_bytes: int
    standin: bool
    origin: str
    digest: str
    host_ca: str = ""  # a stand-in's imgexp.standin.host-ca: the sha256 of the host CA bundle it trusts

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


#: the kind of base of an image a project's FROM names literally: this prefix, then the image
LITERAL = "image:"


def build_arg(kind: str) -> str:
    """The Dockerfile build arg that names this kind of base."""
    return KINDS[kind][0]


def resolve(
    client: docker.DockerClient,
    kind: str,
    python: str,
    source: BaseSource,
    log: Callable[[str], None] | None = None,
) -> BaseImage:
    """Find, pull or bootstrap the base image of one kind.

    A literal image (kind ``image:<ref>``) is used as it is, local or pulled.
    ``official`` uses python:<v> (local, else pulled); ``standin`` uses imgexp's stand-in,
    built as the official image is (local and of the current recipe, else bootstrapped,
    trusting the host's CA bundle); ``auto`` tries official first, then stand-in.
    """
    if kind == "scratch":
        return BaseImage("scratch", "scratch", "", 0, False, "empty (FROM scratch)", "")
    if kind.startswith(LITERAL):  # used as it is: local, else pulled; never a stand-in
        ref = kind.removeprefix(LITERAL)
        image, reason = _local_or_pulled(client, ref, log)
        if image is None:
            raise LiteralBaseUnavailable(ref, reason)
        return replace(_describe("image", ref, image, standin=False), origin="the image a FROM line names")
    official = KINDS[kind][1].format(python=python)
    reason = ""
    if source in ("auto", "official"):
        image, reason = _local_or_pulled(client, official, log)
        if image is not None:
            return _describe(kind, official, image, standin=False)
        if source == "official" or kind not in standins.PACKAGES:
            raise BaseUnavailable(kind, official, reason)
    if kind not in standins.PACKAGES:
        raise BaseUnavailable(kind, official, "imgexp makes no offline stand-in for this kind")
    if python not in standins.DEBIAN_RELEASES:
        raise NoStandinForPython(python, list(standins.DEBIAN_RELEASES), reason or "stand-ins were asked for")
    tag = standins.tag_for(kind, python)
    bundle = host_ca_bundle()
    wanted = {"imgexp.standin.recipe": standins.recipe(kind, python)}
    wanted["imgexp.standin.host-ca"] = standins.host_ca_label(bundle)
    try:
        image = client.images.get(tag)
        stale = {key for key, value in wanted.items() if (image.labels or {}).get(key) != value}
    except ImageNotFound:
        image, stale = None, set()
    if image is None or stale:
        if log:
            why = f"its {' and '.join(sorted(stale))} changed" if stale else "none is local"
            log(f"bootstrapping stand-in {tag}: CPython from source on Debian's packages ({why}; minutes)")
        standins.bootstrap(client, kind, python, log=log, ca_bundle=bundle)
        if image is not None:  # the old one, untagged now: gone unless images built on it keep it
            with contextlib.suppress(DockerException):
                client.images.remove(str(image.attrs["Id"]))
        image = client.images.get(tag)
    return _describe(kind, tag, image, standin=True)


def host_ca_bundle() -> Path | None:
    """What the host trusts: its configured bundle (find_ca_bundle), else its system store's, else none.

    Not the run's ``ca_bundle`` option: a stand-in is shared by every run on the engine.
    """
    return find_ca_bundle() or (SYSTEM_CA_BUNDLE if SYSTEM_CA_BUNDLE.is_file() else None)


def _local_or_pulled(
    client: docker.DockerClient, ref: str, log: Callable[[str], None] | None
) -> tuple[Image | None, str]:
    try:
        return client.images.get(ref), ""
    except ImageNotFound:
        pass
    try:
        if log:
            log(f"pulling {ref}")
        repository, _, tag = ref.partition(":")
        return client.images.pull(repository, tag=tag), ""
    except DockerException as exc:
        detail = getattr(exc, "explanation", None) or str(exc).strip().splitlines()[0]
        return None, f"{ref} is not local and could not be pulled ({detail})"


def _describe(kind: str, ref: str, image: Image, standin: bool) -> BaseImage:
    labels = image.labels or {}
    digests = image.attrs.get("RepoDigests") or []
    origin = f"stand-in: {labels.get('imgexp.standin.recipe', 'Debian packages')}" if standin else "official image"
    image_id = str(image.attrs["Id"])
    return BaseImage(
        kind=kind,
        image=ref,
        image_id=image_id,
        size_bytes=int(image.attrs["Size"]),
        standin=standin,
        origin=origin,
        digest=str(digests[0]) if digests else image_id,
        host_ca=labels.get("imgexp.standin.host-ca", "") if standin else "",
    )
