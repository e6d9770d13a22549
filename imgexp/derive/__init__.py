"""Strategies derived from the user's own build: what ``current`` measurably holds, re-based smaller.

``derive`` reads the built image's layers (imgexp.derive.holdings), plans each derivation
(imgexp.derive.plan) and writes it as a Dockerfile whose builder is the user's Dockerfile,
unchanged (imgexp.derive.render). ``completeness`` says what a derived image lacks of current's.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import docker

from ..audit.elf import layer_diffs
from ..errors import ImgexpError
from ..project import DERIVATIONS as NAMES
from .holdings import Holdings, read_config, read_holdings
from .layers import Layered
from .plan import plan
from .render import render

__all__ = ["NAMES", "Derived", "derive", "read_current"]


@dataclass(frozen=True)
class Derived:
    """One derivation: its Dockerfile, written, or why it could not be made."""

    name: str
    dockerfile: Path | None
    reason: str = ""


def read_current(client: docker.DockerClient, image_id: str, base_id: str) -> tuple[Holdings, Layered]:
    """What the image ``image_id`` holds above its final stage's base ``base_id``, and its layers."""
    diffs = layer_diffs(client, image_id)
    if diffs is None:
        raise ImgexpError(
            "Cannot derive: the engine's overlay2 layer store is not readable here. Run imgexp as root beside "
            "the engine (overlay2 storage driver), or leave derive out of imgexp.toml"
        )
    base_layers = len(client.api.inspect_image(base_id)["RootFS"]["Layers"]) if base_id else 0
    base = (client.api.inspect_image(base_id)["Config"] or {}) if base_id else {}
    image = Layered(tuple(diffs))
    config = read_config(client.api.inspect_image(image_id), base)
    return read_holdings(image, base_layers, config), image


def derive(
    client: docker.DockerClient,
    current: tuple[str, str],
    slim_id: str,
    dockerfile: str,
    python: str,
    folder: Path,
    names: tuple[str, ...] = NAMES,
    smoke: bool = False,
    target: str | None = None,
) -> list[Derived]:
    """Write ``folder/Dockerfile.<name>`` for each derivation of the image ``current`` (image id, its base's id).

    ``slim_id`` is the slim base the derived stages start FROM; ``dockerfile`` the user's
    Dockerfile's text, whose stage ``target`` (else its last) is the builder; ``smoke``: whether shell
    commands verify images.
    A derivation that cannot be made is returned with its reason, never raised.
    """
    holdings, image = read_current(client, *current)
    slim_diffs = layer_diffs(client, slim_id) or []
    slim = Layered(tuple(slim_diffs))
    folder.mkdir(parents=True, exist_ok=True)
    made = []
    for name in names:
        try:
            text = render(plan(name, holdings, slim, python, image, smoke), dockerfile, holdings.config, target)
        except (ValueError, OSError, ImgexpError) as exc:
            made.append(Derived(name, None, f"could not derive {name}: {exc}"))
            continue
        path = folder / f"Dockerfile.{name}"
        temporary = path.with_suffix(".tmp")
        temporary.write_text(text)
        temporary.replace(path)
        made.append(Derived(name, path))
    return made
