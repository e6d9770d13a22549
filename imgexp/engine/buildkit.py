"""Building through BuildKit: the docker CLI's ``buildx build``, as ``docker build`` does today.

docker-py has no BuildKit (docker/docker-py#2230), so imgexp runs the CLI with the build
context as a tar on stdin and ``--progress=plain``, and reads the plain progress: each
step's first line goes to the log as it starts, ``CACHED`` lines count cached steps, the
image id comes from ``--iidfile``. docs/dependencies.md says why not python-on-whales.
"""

from __future__ import annotations

import collections
import functools
import os
import re
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import IO, Literal

import docker

from ..errors import BuildFailed, BuildkitUnavailable
from .build import LOG_TAIL_LINES, BuildOutcome, fail_build, image_id_of, record_built
from .cleanup import Ledger
from .client import docker_host
from .context import BuildContext, read_file, with_file

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
    client: docker.DockerClient,
    strategy: str,
    context: BuildContext,
    tag: str | None,
    buildargs: dict[str, str],
    labels: dict[str, str],
    nocache: bool = False,
    log: Callable[[str], None] | None = None,
    target: str | None = None,
    dockerfile: str = "Dockerfile",
    secrets: dict[str, Path] | None = None,
) -> BuildOutcome:
    """Build ``context`` with BuildKit into the engine's image store, tagged ``tag`` (None: untagged).

    ``secrets`` maps a secret id to the file a ``RUN --mount=type=secret,id=...`` step reads;
    BuildKit mounts it for that step only, so it is in no layer and no history. The other
    parameters, what goes to the Ledger and what is raised are as for imgexp.engine.build.build_image.

    When the frontend image of the Dockerfile's ``# syntax=`` line cannot be fetched (no
    registry), the line is dropped from the context's copy and the engine's built-in frontend
    reads the file; ``BuildOutcome.frontend`` says so. If the built-in frontend cannot read the
    file either (no step ran), BuildFailed names the line.
    """

    def once(sent: BuildContext) -> BuildOutcome:
        return _build_once(client, strategy, sent, tag, buildargs, labels, nocache, log, target, dockerfile, secrets)

    try:
        return once(context)
    except BuildFailed as failed:
        text = read_file(context, dockerfile).decode(errors="surrogateescape")
        directive = syntax_directive(text)
        if directive is None or not frontend_unreachable(failed.message, directive[1]):
            raise
    number, image = directive
    if log:
        log(f"[{strategy}] frontend {image} (Dockerfile line {number}) cannot be fetched: the built-in one reads it")
    lines = text.splitlines(keepends=True)
    lines[number - 1] = f"# imgexp: the built-in frontend reads this file ({image} could not be fetched)\n"
    builtin = with_file(context, dockerfile, "".join(lines).encode(errors="surrogateescape"))
    try:
        outcome = once(builtin)
    except BuildFailed as failed:
        if failed.step:  # a step ran and failed: the frontend read the file
            raise
        raise BuildFailed(
            strategy,
            failed.step,
            failed.log_tail,
            f"the Dockerfile's line {number} asks for the frontend {image}, which could not be fetched (no registry "
            f"answers), and the engine's built-in frontend failed on the file: {failed.message}. Make {image} "
            "available to the engine (a registry, or `docker load` of it), or write the file with syntax the "
            "built-in frontend reads",
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


def _build_once(
    client: docker.DockerClient,
    strategy: str,
    context: BuildContext,
    tag: str | None,
    buildargs: dict[str, str],
    labels: dict[str, str],
    nocache: bool,
    log: Callable[[str], None] | None,
    target: str | None,
    dockerfile: str,
    secrets: dict[str, Path] | None,
) -> BuildOutcome:
    ledger = Ledger.of(client)
    previous = image_id_of(client, tag) if tag else ""
    with tempfile.TemporaryDirectory(prefix="imgexp-buildx-") as scratch:
        iidfile = Path(scratch) / "iid"
        # --load: the image lands in the engine's store whichever buildx builder is selected
        argv = ["docker", "buildx", "build", "--load", "--progress=plain", "--network=host", f"--iidfile={iidfile}"]
        argv += ["--file", dockerfile] + (["--target", target] if target else []) + (["--no-cache"] if nocache else [])
        argv += [f"--build-arg={k}={v}" for k, v in buildargs.items()]
        argv += [f"--label={k}={v}" for k, v in labels.items()]
        argv += [f"--secret=id={k},src={v}" for k, v in (secrets or {}).items()]
        argv += [f"--tag={tag}"] if tag else []
        started = time.monotonic()
        steps, cached, step, tail = _run(client, strategy, [*argv, "-"], context.tar, log)
        image_id = iidfile.read_text().strip() if iidfile.is_file() else ""
    if not image_id:
        fail_build(client, strategy, step, tail, "buildx ended without writing the image id")
    record_built(ledger, previous, image_id)
    return BuildOutcome(image_id, time.monotonic() - started, steps, cached)


def _run(
    client: docker.DockerClient, strategy: str, argv: list[str], tar: bytes, log: Callable[[str], None] | None
) -> tuple[int, int, str, collections.deque[str]]:
    """Run buildx with the context on stdin; (steps, cached steps, last step, log tail). Raises on failure."""
    tail: collections.deque[str] = collections.deque(maxlen=LOG_TAIL_LINES)
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
                line = raw.decode(errors="replace").rstrip("\n")
                if match := _STEP.match(line):
                    if match.group(1) not in names:
                        names[match.group(1)] = step = f"[{line.split('[', 1)[1]}"
                        if log:
                            log(f"[{strategy}] {step}")
                elif match := _CACHED.match(line):
                    cached.add(match.group(1))
                elif match := _ERROR.match(line):
                    step, error = names.get(match.group(1) or "", step), match.group(2)
                if line.strip():
                    tail.append(line)
        except BaseException:  # Ctrl-C, or a failing log: never leave buildx building on its own
            proc.kill()
            raise
        writer.join()
    if proc.returncode != 0:
        fail_build(client, strategy, step, tail, error or f"docker buildx build exited with {proc.returncode}")
    made = {n for n, name in names.items() if not name.split("] ", 1)[-1].upper().startswith("FROM ")}
    return len(names), len(cached & made), step, tail  # a FROM is never "cached", as with the classic builder


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
