"""Sizes as the engine reports them: the image, its base, and each layer."""

from __future__ import annotations

from dataclasses import dataclass

import docker
import pandas as pd

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


def layer_table(client: docker.DockerClient, image_id: str, base: BaseImage) -> pd.DataFrame:
    """One row per history entry, oldest first: the instruction, its bytes, and whether the base made it.

    Entries of zero bytes (ENV, ARG, LABEL...) are kept, as `docker history` shows them.
    """
    history = list(reversed(client.images.get(image_id).history()))
    base_entries = len(client.images.get(base.image_id).history()) if base.image_id else 0
    rows = [
        {
            "index": index,
            "created_by": _instruction(entry.get("CreatedBy", "")),
            "size_bytes": int(entry.get("Size", 0)),
            "origin": "base" if index < base_entries else "added",
        }
        for index, entry in enumerate(history)
    ]
    return pd.DataFrame(rows, columns=["index", "created_by", "size_bytes", "origin"])


def _instruction(created_by: str) -> str:
    """`/bin/sh -c #(nop)  ENV X=1` -> `ENV X=1`; `|1 A=b /bin/sh -c cmd` -> `RUN cmd`."""
    text = created_by.strip()
    if "#(nop)" in text:
        return text.split("#(nop)", 1)[1].strip()
    if "/bin/sh -c " in text:
        return "RUN " + text.split("/bin/sh -c ", 1)[1].strip()
    return text
