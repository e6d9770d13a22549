"""Building through BuildKit: the docker CLI's ``buildx build``, as ``docker build`` does today.

docker-py has no BuildKit (docker/docker-py#2230), so imgexp runs the CLI with the build
context as a tar on stdin and ``--progress=plain``, and reads the plain progress: each
step's first line goes to the log as it starts, ``CACHED`` lines count cached steps, the
image id comes from ``--iidfile``. docs/dependencies.md says why not python-on-whales.
"""

from __future__ import annotations

import functools
import os
import re
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import IO, Literal

import docker

from ..errors import BuildFailed, BuildkitUnavailable
from .build import BuildOutcome, BuildRequest, fail_build, image_id_of, record_built
from .buildlog import buildkit_output, plain
from .cleanup import Ledger
from .client import docker_host
from .context import read_file, with_file

CLASSIC = "classic builder through docker-py (Engine API /build)"
#: a step's first line: ``#5 [builder 2/3] RUN pip install ...`` (not ``[internal]`` ones)
_STEP = re.compile(r"^#(\d+) \[(?!internal\])[^\]]*\d+/\d+\] (.*)$")
_CACHED = re.compile(r"^#(\d+) CACHED$")
#: a failure: ``#7 ERROR: ...`` names the step (stages run side by side), ``ERROR: ...`` the build
_ERROR = re.compile(r"^(?:#(\d+) )?ERROR: (.*)$")
#: how BuildKit says it could not fetch an image (the frontend a ``# syntax=`` line names, or a base)
_UNRESOLVED = re.compile(r"failed to resolve source metadata for (\S+?):? ")
#: a parser directive naming the frontend image; directives come before any other line
_DIRECTIVE = re.compile(r"^#\s*([a-z]+)\s*=\s*(\S*)\s*$", re.IGNORECASE)


#: ``auto`` builds with BuildKit where the docker CLI has buildx, as ``docker build`` does
Builder = Literal["auto", "buildkit", "classic"]


def choose_builder(asked: Builder) -> Literal["buildkit", "classic"]:
    """The builder a run uses: ``auto`` is buildkit when buildx is there, else classic;
    ``buildkit`` without buildx raises BuildkitUnavailable."""
    if asked == "classic" or (asked == "auto" and buildx_version() is None):
        return "classic"
    require_buildx()
    return "buildkit"


def describe_builder(builder: str) -> str:
    """The builder as provenance names it."""
    if builder == "buildkit":
        return f"BuildKit through docker buildx {buildx_version()} (docker buildx build, the docker CLI plugin)"
    return CLASSIC


@functools.cache
def buildx_version() -> str | None:
    """``docker buildx version``'s version word, or None when the docker CLI or its buildx plugin is missing."""
    try:
        done = subprocess.run(["docker", "buildx", "version"], capture_output=True, text=True, timeout=60)
    except (FileNotFoundError, subprocess.TimeoutExpired):
        return None
    words = done.stdout.split()
    return words[1] if done.returncode == 0 and len(words) > 1 else None


def require_buildx() -> str:
    """The buildx version; BuildkitUnavailable naming the packages to install when there is none."""
    found = buildx_version()
    if found is None:
        raise BuildkitUnavailable()
    return found


def buildx_build(
    client: docker.DockerClient, request: BuildRequest, log: Callable[[str], None] | None = None
) -> BuildOutcome:
    """Build ``request`` with BuildKit into the engine's image store.

    ``request.secrets`` maps a secret id to the file a ``RUN --mount=type=secret,id=...`` step
    reads; BuildKit mounts it for that step only, so it is in no layer and no history. What
    goes to ``log``, to the Ledger and what is raised are as for imgexp.engine.build.build_image.

    When the frontend image of the Dockerfile's ``# syntax=`` line cannot be fetched (no
    registry), the line is dropped from the context's copy and the engine's built-in frontend
    reads the file; ``BuildOutcome.frontend`` says so. If the built-in frontend cannot read the
    file either (no step ran), BuildFailed names the line.
    """
    strategy, dockerfile = request.strategy, request.dockerfile
    try:
        return _build_once(client, request, log)
    except BuildFailed as failed:
        text = read_file(request.context, dockerfile).decode(errors="surrogateescape")
        directive = syntax_directive(text)
        if directive is None or not frontend_unreachable(failed.message, directive[1]):
            raise
    number, image = directive
    if log:
        log(f"[{strategy}] frontend {image} (Dockerfile line {number}) cannot be fetched: the built-in one reads it")
    lines = text.splitlines(keepends=True)
    lines[number - 1] = f"# imgexp: the built-in frontend reads this file ({image} could not be fetched)\n"
    builtin = with_file(request.context, dockerfile, "".join(lines).encode(errors="surrogateescape"))
    try:
        outcome = _build_once(client, replace(request, context=builtin), log)
    except BuildFailed as failed:
        if failed.step:  # a step ran and failed: the frontend read the file
            raise
        raise BuildFailed(
            strategy,
            failed.step,
            failed.log,
            f"the Dockerfile's line {number} asks for the frontend {image}, which could not be fetched (no registry "
            f"answers), and the engine's built-in frontend failed on the file: {failed.message}. Make {image} "
            "available to the engine (a registry, or `docker load` of it), or write the file with syntax the "
            "built-in frontend reads",
            failed.said,
        ) from failed
    return replace(outcome, frontend=f"built-in ({image} could not be fetched)")


def syntax_directive(text: str) -> tuple[int, str] | None:
    """The line number and image of a Dockerfile's ``# syntax=`` parser directive, if it has one."""
    for number, line in enumerate(text.splitlines(), start=1):
        match = _DIRECTIVE.match(line)
        if not match:
            return None  # directives end at the first line that is not one
        if match.group(1).lower() == "syntax":
            return number, match.group(2)
    return None


def _build_once(client: docker.DockerClient, request: BuildRequest, log: Callable[[str], None] | None) -> BuildOutcome:
    ledger = Ledger.of(client)
    tag = request.tag
    previous = image_id_of(client, tag) if tag else ""
    with tempfile.TemporaryDirectory(prefix="imgexp-buildx-") as scratch:
        iidfile = Path(scratch) / "iid"
        # --load: the image lands in the engine's store whichever buildx builder is selected
        argv = ["docker", "buildx", "build", "--load", "--progress=plain", "--network=host", f"--iidfile={iidfile}"]
        argv += ["--file", request.dockerfile] + (["--target", request.target] if request.target else [])
        argv += ["--no-cache"] if request.nocache else []
        argv += [f"--build-arg={k}={v}" for k, v in request.buildargs.items()]
        argv += [f"--label={k}={v}" for k, v in request.labels.items()]
        argv += [f"--secret=id={k},src={v}" for k, v in request.secrets.items()]
        argv += [f"--tag={tag}"] if tag else []
        started = time.monotonic()
        read = _run(client, request.strategy, [*argv, "-"], request.context.tar, log)
        image_id = iidfile.read_text().strip() if iidfile.is_file() else ""
    if not image_id:
        fail_build(client, request.strategy, read.step, read.lines, [], "buildx ended without writing the image id")
    record_built(ledger, previous, image_id)
    seconds, text = time.monotonic() - started, "\n".join(read.lines) + "\n"
    return BuildOutcome(image_id, seconds, read.steps, read.cached, read.ran, log=text)


@dataclass(frozen=True)
class _Read:
    """What a successful buildx run's plain progress said."""

    steps: int
    cached: int
    ran: int
    step: str
    lines: list[str]


def _run(
    client: docker.DockerClient, strategy: str, argv: list[str], tar: bytes, log: Callable[[str], None] | None
) -> _Read:
    """Run buildx with the context on stdin and read its plain progress. Raises on failure, quoting the
    failing step's own output (imgexp.engine.buildlog.buildkit_output), not BuildKit's excerpt of it."""
    lines: list[str] = []
    names: dict[str, str] = {}
    cached: set[str] = set()
    step, error = "", ""
    env = {**os.environ, "DOCKER_HOST": docker_host(), "BUILDX_NO_DEFAULT_ATTESTATIONS": "1"}
    try:
        proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env)
    except FileNotFoundError as exc:
        raise BuildkitUnavailable() from exc
    with proc:
        assert proc.stdin is not None and proc.stdout is not None
        writer = _feed(proc.stdin, tar)
        try:
            for raw in proc.stdout:
                line = plain(raw.decode(errors="replace"))
                lines.append(line)
                if match := _STEP.match(line):
                    if match.group(1) not in names:
                        names[match.group(1)] = step = f"[{line.split('[', 1)[1]}"
                        if log:
                            log(f"[{strategy}] {step}")
                elif match := _CACHED.match(line):
                    cached.add(match.group(1))
                elif match := _ERROR.match(line):
                    step, error = names.get(match.group(1) or "", step), match.group(2)
        except BaseException:  # Ctrl-C, or a failing log: never leave buildx building on its own
            proc.kill()
            raise
        writer.join()
    if proc.returncode != 0:
        message = error or f"docker buildx build exited with {proc.returncode}"
        fail_build(client, strategy, step, lines, buildkit_output(lines), message)
    made = {n for n, name in names.items() if not name.split("] ", 1)[-1].upper().startswith("FROM ")}
    # a FROM is never "cached", as with the classic builder
    return _Read(len(names), len(cached & made), len(made - cached), step, lines)


def frontend_unreachable(message: str, image: str) -> bool:
    """Whether a failed build's message says the frontend ``image`` (a ``# syntax=`` line's) could not be
    fetched; a base image that could not be is another failure."""
    match = _UNRESOLVED.search(message)
    return match is not None and _normal(match.group(1)) == _normal(image)


def _normal(image: str) -> str:
    """``docker/dockerfile:1`` and ``docker.io/docker/dockerfile:1`` alike."""
    return image.removeprefix("docker.io/").removeprefix("library/")


def _feed(stdin: IO[bytes], data: bytes) -> threading.Thread:
    """Write the context to buildx's stdin in a thread (buildx reads it while it prints progress)."""

    def write() -> None:
        try:
            stdin.write(data)
            stdin.close()
        except (OSError, ValueError):  # buildx stopped reading, or was killed: its exit code says why
            pass

    thread = threading.Thread(target=write, daemon=True)
    thread.start()
    return thread
