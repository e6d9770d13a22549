"""`imgexp run --push REGISTRY/PREFIX`: push a verified image and take its exact pull size from the manifest.

The engine pushes (its own compression: what a user's `docker push` gives), then the
manifest is read back from the registry: the row's pull size becomes the sum of its
distinct layer sizes (``compressed_exact`` True), and the estimate it replaces is kept
beside it (``estimated_compressed_bytes``) so the model can be checked against pushes.
"""

from __future__ import annotations

from typing import Any

import docker
import requests
from docker.errors import DockerException

from ..errors import ImgexpError
from ..units import human_size
from .image import open_remote


class PushFailed(ImgexpError):
    """The engine could not push an image to the registry --push names."""

    def __init__(self, reference: str, reason: str) -> None:
        self.reference = reference
        super().__init__(
            f"Pushing {reference} failed ({reason}). Start the registry (`bash scripts/registry.sh start` for "
            "127.0.0.1:5000), `docker login` to it, or pass another --push REGISTRY/PREFIX (a registry off this "
            "machine without TLS must be in the engine's insecure-registries)."
        )


def pushed_figures(
    client: docker.DockerClient, image_id: str, prefix: str, name: str, tag: str, estimate: int
) -> dict[str, Any]:
    """Push ``image_id`` as ``PREFIX/NAME:TAG``; the row's figures from the registry's manifest.

    ``estimate`` is the row's gzip estimate of the pull size, kept for comparison.
    """
    repository = f"{prefix.rstrip('/')}/{name.lower()}"
    reference = f"{repository}:{tag}"
    try:
        client.images.get(image_id).tag(repository, tag)
        for line in client.api.push(repository, tag=tag, stream=True, decode=True):
            if "error" in line:
                raise PushFailed(reference, str(line["error"]))
    except (DockerException, requests.RequestException) as error:
        raise PushFailed(reference, str(error).splitlines()[0]) from error
    finally:
        client.api.remove_image(reference, noprune=True)  # the tag only: the image keeps its own
    _, remote = open_remote(reference)
    if remote.config_digest != image_id:
        raise PushFailed(reference, f"the registry holds {remote.config_digest}, not the image pushed ({image_id})")
    exact = remote.pull_bytes
    return {
        "pushed": remote.pinned,
        "compressed_bytes": exact,
        "compressed": human_size(exact),
        "compressed_exact": True,
        "compressed_method": f"exact: layer sizes in the manifest pushed to {remote.reference.registry}",
        "estimated_compressed_bytes": estimate,
    }
