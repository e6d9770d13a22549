"""Building one strategy's image on the engine, with streamed progress and clear failures."""

from __future__ import annotations

import io
import re
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NoReturn

import docker
import requests
import urllib3
from docker.errors import APIError, ImageNotFound

from ..errors import BuildFailed, EngineStopped, RequirementNotOnIndex
from .buildlog import classic_output, plain, quoted
from .cleanup import Ledger
from .client import answers, docker_host
from .context import BuildContext

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
class BuildRequest:
    """One build, as both builders take it: what to build and how the engine is asked to build it."""

    strategy: str
    """The strategy's name, which errors and log lines carry."""
    context: BuildContext
    tag: str | None
    """The tag the image gets; None leaves it untagged."""
    buildargs: dict[str, str] = field(default_factory=dict)
    labels: dict[str, str] = field(default_factory=dict)
    nocache: bool = False
    target: str | None = None
    """The stage to build; None builds the last."""
    dockerfile: str = "Dockerfile"
    """The Dockerfile inside the context (a project's is imgexp.engine.context.PROJECT_DOCKERFILE)."""
    secrets: dict[str, Path] = field(default_factory=dict)
    """BuildKit only: secret id -> the file a ``RUN --mount=type=secret`` step reads (in no layer)."""


@dataclass(frozen=True)
class BuildOutcome:
    image_id: str
    seconds: float
    steps: int
    cached_steps: int
    ran_steps: int
    """Steps that ran rather than came from the build cache (FROMs aside): 0 for a build wholly cached."""
    frontend: str = ""
    """How BuildKit read the Dockerfile when not as asked: its ``# syntax=`` image could not be had."""
    log: str = ""
    """The build's whole log, as the builder wrote it."""


def build_image(
    client: docker.DockerClient, request: BuildRequest, log: Callable[[str], None] | None = None
) -> BuildOutcome:
    """Build ``request`` with the Engine API's classic builder; each Dockerfile step goes to ``log`` as it starts.

    Every image the build makes, and the one it takes the tag from, goes to the engine's
    Ledger (imgexp.engine.cleanup). Raises BuildFailed (RequirementNotOnIndex when pip found
    no such requirement), naming the strategy, the failing step and the lines where its
    command said what went wrong, with the whole log; EngineStopped when the engine went
    away during the build.
    """
    strategy, tag = request.strategy, request.tag
    lines: list[str] = []
    step, steps, froms, cached, made, built = "", 0, 0, 0, False, ""
    started = time.monotonic()
    try:
        ledger = Ledger.of(client)
        previous = image_id_of(client, tag) if tag else ""
        chunks = client.api.build(
            fileobj=io.BytesIO(request.context.tar),
            custom_context=True,
            dockerfile=request.dockerfile,
            target=request.target,
            tag=tag,
            buildargs=request.buildargs,
            labels=request.labels,
            nocache=request.nocache,
            rm=True,
            forcerm=True,
            network_mode="host",
            decode=True,
        )
        for kind, text in _events(chunks):
            if kind == "error":
                output = classic_output(lines)
                lines.append(f"ERROR: {text}")
                fail_build(client, strategy, step, lines, output, text)
            line = plain(text)
            lines.append(line)
            image = _IMAGE.match(line)
            if _STEP.match(line):
                step, steps, made = line, steps + 1, not _FROM.match(line)
                froms += not made
                if log:
                    log(f"[{strategy}] {line}")
            elif line.strip() == "---> Using cache":
                cached, made = cached + 1, False
            elif image and made:
                ledger.record(image.group(1))
            if line.startswith("Successfully built "):
                built = line.removeprefix("Successfully built ").strip()
        if not built:  # an engine shutting down may end the log with no error
            ended = "the engine ended the build's log before the image was built"
            fail_build(client, strategy, step, lines, classic_output(lines), ended)
        image_id = str(client.images.get(tag or built).id)
    except APIError as exc:  # the engine refused the build outright (bad Dockerfile syntax...)
        fail_build(client, strategy, step or "the Dockerfile", lines, [], exc.explanation or str(exc))
    except CONNECTION_LOST as exc:
        raise EngineStopped(docker_host(), strategy, step, f"the build's connection broke: {exc}") from exc
    record_built(ledger, previous, image_id)
    ran = steps - froms - cached
    return BuildOutcome(image_id, time.monotonic() - started, steps, cached, ran, log=_text(lines))


def _events(chunks: Iterable[dict[str, Any]]) -> Iterator[tuple[str, str]]:
    """``("line", text)`` for each whole line of the Engine API's build log and ``("error", message)`` for its
    error: a line may come in pieces, or its newline in a chunk of its own."""
    pending = ""
    for chunk in chunks:
        if "error" in chunk:
            if pending:
                yield "line", pending
            pending = ""
            yield "error", str(chunk["error"]).strip()
            continue
        *whole, pending = (pending + chunk.get("stream", "")).split("\n")
        for line in whole:
            yield "line", line
    if pending:
        yield "line", pending


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
    client: docker.DockerClient, strategy: str, step: str, lines: list[str], output: list[str], message: str
) -> NoReturn:
    """Raise what stopped a build: the engine going away, else the step's own failure (both builders).

    ``lines`` is the whole log, ``output`` the failing step's own output, from which the
    reason quotes (imgexp.engine.buildlog.quoted).
    """
    if not answers(client):
        raise EngineStopped(docker_host(), strategy, step, "a ping gets no answer")
    said = quoted(output)
    missing = _NOT_ON_INDEX.search("\n".join(output))
    if missing:
        raise RequirementNotOnIndex(strategy, step, _text(lines), message, said, missing.group(1))
    raise BuildFailed(strategy, step, _text(lines), message, said)


def _text(lines: list[str]) -> str:
    return "\n".join(lines) + "\n" if lines else ""
