"""Where an image's bytes came from: the base it was built on, and the instruction that made each layer.

The base is the image named by ``imgexp inspect --base`` (local, or read from its registry;
for imgexp's own builds, the base id on the results row); else the local image whose layers
are the longest prefix of this one's (by diff id), the image itself and images imgexp built
left out. Its layers are the base's bytes; every layer above them is what the build added.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass
from typing import Any

import docker
from docker.errors import ImageNotFound, InvalidRepository

from ..engine import bases, standins

#: how the base was found, as the summary says it
GIVEN, LOCAL_PREFIX, NONE = "given (--base)", "the longest layer prefix among local images", "none found"
_BUILD_ROLE = "build"
#: the kinds of finding a slim variant of a full base leaves out (it has no compilers, headers, docs or
#: Debian's second Python)
SLIM_DROPS = frozenset({"compiler", "headers", "docs", "interpreters"})
_VERSIONED_PYTHON = re.compile(r"^(?P<version>\d+\.\d+)")


@dataclass(frozen=True)
class Base:
    """The base of an image: its name, id, how many of the image's bottom layers are its, how it was found."""

    image: str
    image_id: str
    layers: int
    how: str
    smaller: str = ""
    """a smaller variant of the base that leaves out compilers, headers, docs (SLIM_DROPS); empty if none known"""

    @property
    def known(self) -> bool:
        return self.layers > 0


NO_BASE = Base("", "", 0, NONE)


def local_base(client: docker.DockerClient, given: str, config: dict[str, Any]) -> Base | None:
    """The base ``given`` (a reference or id) names among the local images, for the image whose config is
    ``config``; None when no local image has that name."""
    try:
        attrs = client.api.inspect_image(given)
    except (ImageNotFound, InvalidRepository):
        return None
    return _describe(given, attrs, _shared(_diff_ids(config), _layers(attrs)), GIVEN)


def find_base(client: docker.DockerClient, image_id: str, config: dict[str, Any]) -> Base:
    """The base of the image ``image_id`` (its ``config``: rootfs diff ids, created): the local image whose
    layers are the longest prefix of its own; NO_BASE if none."""
    layers = _diff_ids(config)
    best: tuple[int, str, dict[str, Any]] | None = None
    for summary in client.api.images():
        if summary["Id"] == image_id or (summary.get("Labels") or {}).get("imgexp.role") == _BUILD_ROLE:
            continue
        try:
            candidate = client.api.inspect_image(summary["Id"])
        except ImageNotFound:  # removed since the listing (a run beside this one): not this image's base
            continue
        theirs = _layers(candidate)
        if not theirs or layers[: len(theirs)] != theirs:
            continue
        if len(theirs) == len(layers) and candidate.get("Created", "") >= config.get("created", ""):
            continue  # the same layers: a base only if it was made first (FROM it, then only ENV, LABEL, ...)
        name = _name(candidate)
        if best is None or (len(theirs), bool(name), name) > (best[0], bool(best[1]), best[1]):
            best = (len(theirs), name, candidate)
    if best is None:
        return NO_BASE
    return _describe(best[1] or best[2]["Id"], best[2], best[0], LOCAL_PREFIX)


def given_base(given: str, config: dict[str, Any], base_id: str, base_config: dict[str, Any]) -> Base:
    """The base ``given`` names, known by its image config (read from a registry) and the digest of it, for the
    image whose config is ``config``."""
    attrs = {"Id": base_id, "Config": base_config.get("config") or {}}
    return _describe(given, attrs, _shared(_diff_ids(config), _diff_ids(base_config)), GIVEN)


def smaller_base(image: str, python: str) -> str:
    """The slim variant of a full python base (the official image or imgexp's stand-in), else ""."""
    repository, _, tag = image.rpartition(":")
    if not repository or "slim" in tag or "alpine" in tag:
        return ""
    version = match.group("version") if (match := _VERSIONED_PYTHON.match(tag)) else python
    if version in standins.DEBIAN_RELEASES and image == standins.tag_for("full", version):
        return standins.tag_for("slim", version)
    if image == bases.KINDS["full"][1].format(python=version):
        return bases.KINDS["slim"][1].format(python=version)
    if repository.rsplit("/", 1)[-1] in ("python", "debian") and tag:
        head, dash, release = tag.partition("-")
        return f"{repository}:{head}-slim{dash}{release}"
    return ""


def row_base(row: dict[str, Any]) -> str | None:
    """The base id an imgexp results row names (``base_id``), for ``inspect_image(base=...)``; None for scratch."""
    return str(row.get("base_id") or "") or None


def _describe(image: str, attrs: dict[str, Any], shared: int, how: str) -> Base:
    env = (attrs.get("Config") or {}).get("Env") or []
    version = next((v.removeprefix("PYTHON_VERSION=") for v in env if v.startswith("PYTHON_VERSION=")), "")
    python = match.group("version") if (match := _VERSIONED_PYTHON.match(version)) else ""
    return Base(image, str(attrs["Id"]), shared, how, smaller_base(image, python))


def _diff_ids(config: dict[str, Any]) -> list[str]:
    """An image config's layers, bottom first."""
    return list((config.get("rootfs") or {}).get("diff_ids") or [])


def _layers(attrs: dict[str, Any]) -> list[str]:
    return list((attrs.get("RootFS") or {}).get("Layers") or [])


def _shared(mine: list[str], theirs: list[str]) -> int:
    """How many bottom layers two images have in common."""
    return sum(1 for _ in itertools.takewhile(lambda pair: pair[0] == pair[1], zip(mine, theirs, strict=False)))


def _name(attrs: dict[str, Any]) -> str:
    """The image's first tag (sorted), or "" when it has none."""
    tags = sorted(tag for tag in attrs.get("RepoTags") or [] if tag != "<none>:<none>")
    return tags[0] if tags else ""
