"""The images imgexp's builds leave untagged, recorded so that a run leaves no litter and `imgexp clean` finds it.

The classic builder keeps an image for every step, and some end up untagged with no child
(dangling): the last image of a multi-stage build's builder stages (the build's labels go
on its final stage only), and an image a rebuild took its tag from (``--timings``,
``--rebuild``). Each build records every image it makes, and one it takes its tag from, in
a ledger per engine under $XDG_STATE_HOME/imgexp. A run removes the dangling ones its own
process recorded when it ends; ``imgexp clean`` removes those of every run. An image not in
the ledger is never removed: a user's own dangling images stay, even when built FROM a
stand-in or an imgexp image (whose labels they inherit).
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path

import docker
from docker.errors import APIError

from ..errors import LedgerNotWritable
from ..results import write_atomic


def short_id(image_id: str) -> str:
    """The 12 hex digits by which the engine's build log and `docker images` name an image."""
    return image_id.removeprefix("sha256:")[:12]


@dataclass(frozen=True)
class Ledger:
    """The images imgexp's builds made on one engine: a line each, ``<short id> <pid> <unix time>``."""

    path: Path

    @classmethod
    def of(cls, client: docker.DockerClient) -> Ledger:
        """The ledger of the engine ``client`` talks to."""
        engine = str(client.info().get("ID") or "engine").replace(":", "").replace("/", "")
        state = os.environ.get("XDG_STATE_HOME") or Path.home() / ".local" / "state"
        return cls(Path(state) / "imgexp" / f"images-{engine}.tsv")

    def record(self, image_id: str) -> None:
        """Append ``image_id``, made by this process now."""
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self.path.open("a") as ledger:
                ledger.write(f"{short_id(image_id)}\t{os.getpid()}\t{time.time():.0f}\n")
        except OSError as exc:
            raise LedgerNotWritable(str(self.path), exc.strerror or str(exc)) from exc

    def ids(self, pid: int | None = None) -> set[str]:
        """The short ids recorded (by process ``pid`` only, when given)."""
        if not self.path.is_file():
            return set()
        lines = [line.split("\t") for line in self.path.read_text().splitlines()]
        return {line[0] for line in lines if len(line) == 3 and (pid is None or line[1] == str(pid))}

    def forget_gone(self, client: docker.DockerClient) -> None:
        """Forget the recorded images that are no longer in the engine."""
        if self.path.is_file():
            present = {short_id(image_id) for image_id in client.api.images(all=True, quiet=True)}
            lines = self.path.read_text().splitlines(keepends=True)
            write_atomic(self.path, "".join(line for line in lines if line.split("\t")[0] in present))


def leftovers(client: docker.DockerClient, ids: set[str]) -> list[str]:
    """The full ids of the dangling images (untagged, no child image) among ``ids``."""
    # the summaries, not the models: images.list() inspects each image after listing, and fails on one that
    # another run removed in between
    dangling = [str(image_id) for image_id in client.api.images(filters={"dangling": True}, quiet=True)]
    return [image_id for image_id in dangling if short_id(image_id) in ids]


def remove(client: docker.DockerClient, image_id: str) -> str:
    """Remove an untagged image and its parents no other image needs; why the engine refused, or ""."""
    try:
        client.images.remove(image_id)
    except APIError as exc:  # a container uses it, or it went with a child removed before
        return "" if exc.status_code == 404 else str(exc.explanation or exc)
    return ""


def remove_leftovers(client: docker.DockerClient) -> None:
    """Remove the dangling images this process's builds made: what a run ends with and no longer needs.

    Other processes' images are left alone (a run going on beside may still need its builder stages).
    """
    for image_id in leftovers(client, Ledger.of(client).ids(pid=os.getpid())):
        remove(client, image_id)


def tagged(client: docker.DockerClient, roles: list[str]) -> list[tuple[str, str]]:
    """(image id, tag) of every tag imgexp gave an image labelled with one of ``roles``.

    Only tags under imgexp/ count: an image built FROM an imgexp image inherits its labels, not its tags.
    """
    images = [image for role in roles for image in client.api.images(filters={"label": f"imgexp.role={role}"})]
    return [
        (str(image["Id"]), tag) for image in images for tag in image.get("RepoTags") or [] if tag.startswith("imgexp/")
    ]
