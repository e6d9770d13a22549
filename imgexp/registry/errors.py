"""What can go wrong reading an image from a registry: each error names the registry or image and the fix."""

from __future__ import annotations

from ..errors import ImgexpError


class RegistryError(ImgexpError):
    """Base class of the registry errors below."""


class InvalidReference(RegistryError):
    """A reference that does not parse as [registry/]repository[:tag][@digest]."""

    def __init__(self, reference: str, problem: str) -> None:
        self.reference = reference
        super().__init__(
            f"{reference!r} is not an image reference ({problem}). Write [REGISTRY/]REPOSITORY[:TAG][@sha256:DIGEST], "
            "e.g. 127.0.0.1:5000/myapp:1.0 or python:3.11-slim."
        )


class RegistryUnavailable(RegistryError):
    """Nothing answered at the registry's address."""

    def __init__(self, registry: str, reason: str) -> None:
        self.registry = registry
        super().__init__(
            f"No registry answered at {registry} ({reason}). Start it (the loopback one: `bash scripts/registry.sh "
            "start`), check the address in the reference, or use a local image (docker images)."
        )


class NotInRegistry(RegistryError):
    """The registry answered and has no such repository, tag or digest."""

    def __init__(self, reference: str, registry: str, repository: str, code: str) -> None:
        self.reference = reference
        super().__init__(
            f"{reference}: the registry at {registry} has no such image ({code}). Check the repository and tag "
            f"(its tags: `skopeo list-tags docker://{registry}/{repository}`), or push the image there first "
            "(docker push)."
        )


class RegistryDenied(RegistryError):
    """The registry refused the credentials (401) or the access (403)."""

    def __init__(self, reference: str, registry: str, status: int, had_credentials: bool) -> None:
        self.reference = reference
        self.status = status
        why = "refused the credentials in ~/.docker/config.json" if had_credentials else "needs credentials"
        if status == 403:
            why = "denied access to it with the credentials given"
        super().__init__(
            f"{reference}: the registry at {registry} {why} (HTTP {status}). Log in with `docker login {registry}` "
            "(imgexp reads ~/.docker/config.json, or $DOCKER_CONFIG/config.json), with an account that may pull it."
        )


class UntrustedCertificate(RegistryError):
    """The registry's TLS certificate is not signed by a CA this machine (or --ca-cert) trusts."""

    def __init__(self, registry: str, reason: str) -> None:
        self.registry = registry
        super().__init__(
            f"The registry at {registry} presented a TLS certificate that is not trusted ({reason}). Pass its CA "
            "with --ca-cert FILE (PEM), add that CA to the system's (update-ca-certificates), or, for a registry "
            "you trust on your own network, --insecure."
        )


class PlatformNotInIndex(RegistryError):
    """The image index lists no manifest for the platform asked for."""

    def __init__(self, reference: str, platform: str, offered: list[str]) -> None:
        self.reference = reference
        self.platform = platform
        super().__init__(
            f"{reference} has no image for {platform}: its index offers {', '.join(offered) or 'none'}. "
            "Pass --platform with one of those."
        )


class BlobDigestMismatch(RegistryError):
    """A blob's bytes do not hash to the digest the manifest gives: corrupt in the registry or on the way."""

    def __init__(self, reference: str, digest: str, actual: str, length: int) -> None:
        self.reference = reference
        self.digest = digest
        self.actual = actual
        super().__init__(
            f"{reference}: blob {digest} arrived as {length} bytes hashing to {actual}; nothing was measured. "
            "Push the image again (the registry's copy is corrupt), or check what sits between you and the registry."
        )


class UnsupportedManifest(RegistryError):
    """The registry returned a manifest of a kind imgexp does not read (schema 1, an artifact)."""

    def __init__(self, reference: str, media_type: str) -> None:
        self.reference = reference
        super().__init__(
            f"{reference}: a manifest of type {media_type or 'unknown'}, which imgexp does not read. imgexp reads "
            "OCI and Docker schema 2 images and indexes: push the image again with a current docker or skopeo."
        )
