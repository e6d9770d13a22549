"""Building one strategy's image on the engine, with streamed progress and clear failures."""

from __future__ import annotations

import collections
import io
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import NoReturn

import docker
import requests
import urllib3
from docker.errors import APIError, ImageNotFound

from ..errors import BuildFailed, EngineStopped, RequirementNotOnIndex
from .cleanup import Ledger
from .client import answers, docker_host

LOG_TAIL_LINES = 25
_STEP = re.compile(r"^Step \d+/\d+ : ")
_FROM = re.compile(r"^Step \d+/\d+ : FROM ", re.IGNORECASE)
#: the log line naming a step's image: made by the step unless it came from the cache or FROM
_IMAGE = re.compile(r"^\s*---> ([0-9a-f]{12})$")
#: how a call to the engine breaks when the engine goes away (an APIError is one too: check the engine answers)
CONNECTION_LOST = (requests.RequestException, urllib3.exceptions.HTTPError, ConnectionError)
_NOT_ON_INDEX = re.compile(
    r"(?:No matching distribution found for|Could not find a version that satisfies the requirement) (\S+)"
)


@dataclass(frozen=True)
class BuildOutcome:
    image_id: str
    seconds: float
    steps: int
    cached_steps: int
    frontend: str = ""
    """How BuildKit read the Dockerfile when not as asked: its ``# syntax=`` image could not be had."""


def build_image(
    client: docker.DockerClient,
    strategy: str,
    context: bytes,
    tag: str | None,
    buildargs: dict[str, str],
    labels: dict[str, str],
    nocache: bool = False,
    log: Callable[[str], None] | None = None,
    target: str | None = None,
    dockerfile: str = "Dockerfile",
) -> BuildOutcome:
    """Build ``context`` as ``tag`` (None: untagged); each Dockerfile step goes to ``log`` as it starts.

    ``dockerfile`` names the Dockerfile inside the context (a project's is
    imgexp.engine.context.PROJECT_DOCKERFILE) and ``target`` the stage to build (None: the last).

    Every image the build makes, and the one it takes ``tag`` from, goes to the engine's
    Ledger (imgexp.engine.cleanup). Raises BuildFailed (RequirementNotOnIndex when pip found
    no such requirement), naming the strategy, the failing step and the last lines of the
    log; EngineStopped when the engine went away during the build.
    """
    tail: collections.deque[str] = collections.deque(maxlen=LOG_TAIL_LINES)
    step, steps, cached, made, built = "", 0, 0, False, ""
    started = time.monotonic()
    try:
        ledger = Ledger.of(client)
        previous = image_id_of(client, tag) if tag else ""
        chunks = client.api.build(
            fileobj=io.BytesIO(context),
            custom_context=True,
            dockerfile=dockerfile,
            target=target,
            tag=tag,
            buildargs=buildargs,
            labels=labels,
            nocache=nocache,
            rm=True,
            forcerm=True,
            network_mode="host",
            decode=True,
        )
        for chunk in chunks:
            if "error" in chunk:
                fail_build(client, strategy, step, tail, chunk["error"].strip())
            for line in chunk.get("stream", "").splitlines():
                image = _IMAGE.match(line)
                if _STEP.match(line):
                    step, steps, made = line, steps + 1, not _FROM.match(line)
                    if log:
                        log(f"[{strategy}] {line}")
                elif line.strip() == "---> Using cache":
                    cached, made = cached + 1, False
                elif image and made:
                    ledger.record(image.group(1))
                if line.startswith("Successfully built "):
                    built = line.removeprefix("Successfully built ").strip()
                if line.strip():
                    tail.append(line)
        if not built:  # an engine shutting down may end the log with no error
            fail_build(client, strategy, step, tail, "the engine ended the build's log before the image was built")
        image_id = str(client.images.get(tag or built).id)
    except APIError as exc:  # the engine refused the build outright (bad Dockerfile syntax...)
        fail_build(client, strategy, step or "the Dockerfile", tail, exc.explanation or str(exc))
    except CONNECTION_LOST as exc:
        raise EngineStopped(docker_host(), strategy, step, f"the build's connection broke: {exc}") from exc
    record_built(ledger, previous, image_id)
    return BuildOutcome(image_id, time.monotonic() - started, steps, cached)


def record_built(ledger: Ledger, previous: str, image_id: str) -> None:
    """Put in the Ledger the image a build made and the one its tag named before (``previous``);
    the run's clean-up removes whichever of them ends up dangling, as `imgexp clean` does."""
    ledger.record(image_id)
    if previous and previous != image_id:
        ledger.record(previous)


def image_id_of(client: docker.DockerClient, tag: str) -> str:
    """The id of the image ``tag`` names now, or "" when there is none."""
    try:
        return str(client.images.get(tag).id)
    except ImageNotFound:
        return ""


def fail_build(
    client: docker.DockerClient, strategy: str, step: str, tail: collections.deque[str], message: str
) -> NoReturn:
    """Raise what stopped a build: the engine going away, else the step's own failure (both builders)."""
    if not answers(client):
        raise EngineStopped(docker_host(), strategy, step, "a ping gets no answer")
    log_tail = "\n".join(tail)
    missing = _NOT_ON_INDEX.search(log_tail)
    if missing:
        raise RequirementNotOnIndex(strategy, step, log_tail, message, missing.group(1))
    raise BuildFailed(strategy, step, log_tail, message)
