"""Sizes as the engine reports them: the image and what it adds to its base."""

from __future__ import annotations

from dataclasses import dataclass

import docker

from .bases import BaseImage


@dataclass(frozen=True)
class ImageSize:
    size_bytes: int
    """What `docker images` shows (the image's Size: every layer's uncompressed bytes)."""
    base_bytes: int
    added_bytes: int
    """Bytes on top of the final stage's base image."""
    layers: int
    """Filesystem layers (RootFS), base layers included."""


def image_size(client: docker.DockerClient, image_id: str, base: BaseImage) -> ImageSize:
    """Size of an image and what it adds to its base."""
    attrs = client.images.get(image_id).attrs
    size = int(attrs["Size"])
    return ImageSize(
        size_bytes=size,
        base_bytes=base.size_bytes,
        added_bytes=size - base.size_bytes,
        layers=len(attrs.get("RootFS", {}).get("Layers", [])),
    )
