"""Building one strategy's image on the engine, with streamed progress and clear failures."""

from __future__ import annotations

import collections
import re
import time
from collections.abc import Callable
from dataclasses import dataclass

import docker
from docker.errors import APIError

from ..errors import BuildFailed, RequirementNotOnIndex

LOG_TAIL_LINES = 25
_STEP = re.compile(r"^Step \d+/\d+ : ")
_NOT_ON_INDEX = re.compile(
    r"(?:No matching distribution found for|Could not find a version that satisfies the requirement) (\S+)"
)


@dataclass(frozen=True)
class BuildOutcome:
    image_id: str
    seconds: float
    steps: int
    cached_steps: int


def build_image(
    client: docker.DockerClient,
    strategy: str,
    context: bytes,
    tag: str,
    buildargs: dict[str, str],
    labels: dict[str, str],
    nocache: bool = False,
    log: Callable[[str], None] | None = None,
) -> BuildOutcome:
    """Build ``context`` as ``tag``; each Dockerfile step goes to ``log`` as it starts.

    Raises BuildFailed (RequirementNotOnIndex when pip found no such requirement),
    naming the strategy, the failing step and the last lines of the log.
    """
    tail: collections.deque[str] = collections.deque(maxlen=LOG_TAIL_LINES)
    step, steps, cached = "", 0, 0
    started = time.monotonic()
    try:
        chunks = client.api.build(
            fileobj=context,
            custom_context=True,
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
                _fail(strategy, step, tail, chunk["error"].strip())
            for line in chunk.get("stream", "").splitlines():
                if _STEP.match(line):
                    step, steps = line, steps + 1
                    if log:
                        log(f"[{strategy}] {line}")
                elif line.strip() == "---> Using cache":
                    cached += 1
                if line.strip():
                    tail.append(line)
    except APIError as exc:  # the engine refused the build outright (bad Dockerfile syntax...)
        _fail(strategy, step or "the Dockerfile", tail, exc.explanation or str(exc))
    image = client.images.get(tag)
    return BuildOutcome(image.id, time.monotonic() - started, steps, cached)


def _fail(strategy: str, step: str, tail: collections.deque[str], message: str) -> None:
    log_tail = "\n".join(tail)
    missing = _NOT_ON_INDEX.search(log_tail)
    if missing:
        raise RequirementNotOnIndex(strategy, step, log_tail, message, missing.group(1))
    raise BuildFailed(strategy, step, log_tail, message)
