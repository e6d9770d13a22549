"""Image references as docker reads them: ``[registry/]repository[:tag][@sha256:digest]``.

The first path component names a registry when it holds a ``.`` or a ``:`` or is
``localhost``; otherwise the image is Docker Hub's, where a one-component name is an
official image (``python`` -> ``library/python``).
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass

from .errors import InvalidReference

DOCKER_HUB = "docker.io"
#: where Docker Hub's distribution API answers
DOCKER_HUB_API = "registry-1.docker.io"
DEFAULT_TAG = "latest"
_COMPONENT = re.compile(r"^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$")
_TAG = re.compile(r"^[\w][\w.-]{0,127}$")
_DIGEST = re.compile(r"^[a-z0-9]+(?:[+._-][a-z0-9]+)*:[0-9a-fA-F]{32,}$")


@dataclass(frozen=True)
class Reference:
    """One image in one registry."""

    registry: str
    """host[:port] as written (docker.io for Docker Hub)"""
    repository: str
    tag: str | None
    digest: str | None

    @property
    def api_host(self) -> str:
        """host[:port] where the registry's /v2/ API answers."""
        return DOCKER_HUB_API if self.registry == DOCKER_HUB else self.registry

    @property
    def identifier(self) -> str:
        """What the manifest is asked for by: the digest if given, else the tag."""
        return self.digest or self.tag or DEFAULT_TAG

    @property
    def loopback(self) -> bool:
        """True for a registry on this machine (localhost, 127.0.0.0/8, ::1)."""
        host = self.registry.rsplit(":", 1)[0] if not self.registry.endswith("]") else self.registry
        host = host.strip("[]")
        if host == "localhost":
            return True
        try:
            return ipaddress.ip_address(host).is_loopback
        except ValueError:
            return False

    def __str__(self) -> str:
        name = f"{self.registry}/{self.repository}"
        return name + (f":{self.tag}" if self.tag else "") + (f"@{self.digest}" if self.digest else "")


def parse_reference(text: str) -> Reference:
    """The Reference ``text`` names; InvalidReference when it does not parse."""
    rest, _, digest = text.partition("@")
    if digest and not _DIGEST.match(digest):
        raise InvalidReference(text, f"{digest!r} is not a digest (algorithm:hex)")
    name, tag = rest, None
    last = rest.rsplit("/", 1)[-1]
    if ":" in last:
        name, tag = rest.rsplit(":", 1)
        if not _TAG.match(tag):
            raise InvalidReference(text, f"{tag!r} is not a tag")
    first, slash, remainder = name.partition("/")
    if slash and ("." in first or ":" in first or first == "localhost"):
        registry, path = first, remainder
    else:
        registry, path = DOCKER_HUB, name
        if "/" not in path:
            path = f"library/{path}"
    if not path or not all(_COMPONENT.match(part) for part in path.split("/")):
        raise InvalidReference(text, f"{path!r} is not a repository name (lowercase, digits, '.', '_', '-', '/')")
    return Reference(registry, path, tag or (None if digest else DEFAULT_TAG), digest or None)
