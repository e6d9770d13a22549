"""Proving an image works: import every requirement inside it and read what is installed;
run a project's own verify commands in it."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field

import docker
from docker.errors import APIError, ContainerError, ImageNotFound
from packaging.markers import Marker
from requests.exceptions import ConnectionError as RequestsConnectionError
from requests.exceptions import ReadTimeout

#: Runs inside the image with its own interpreter. It maps each distribution to the
#: top-level modules it installs (a distribution's import name is not always its own
#: name: python-dateutil -> dateutil), imports them, lists installed distributions, and
#: reports the values of PEP 508's environment markers, so markers are judged for the image.
_PROBE = r"""
import importlib, importlib.metadata as md, json, os, platform, re, sys
MARKER = "IMGEXP-VERIFY "
norm = lambda name: re.sub(r"[-_.]+", "-", name).lower()
modules = {}
if hasattr(md, "packages_distributions"):
    for module, dists in md.packages_distributions().items():
        for dist in dists:
            modules.setdefault(norm(dist), set()).add(module)
else:  # Python 3.9: what packages_distributions reads there since 3.10
    for d in md.distributions():
        top = (d.read_text("top_level.txt") or "").split() or {
            f.parts[0] if len(f.parts) > 1 else f.with_suffix("").name for f in d.files or () if f.suffix == ".py"
        }
        modules.setdefault(norm(d.metadata["Name"]), set()).update(top)
installed = {norm(d.metadata["Name"]): (d.metadata["Name"], d.version) for d in md.distributions()}
imports = {}
for name in json.loads(sys.argv[1]):
    if norm(name) not in installed:
        imports[name] = {"modules": [], "error": f"distribution {name} is not installed"}
        continue
    names = sorted(m for m in modules.get(norm(name), ()) if m.isidentifier() and not m.startswith("_"))
    error = None
    for module in names:
        try:
            importlib.import_module(module)
        except BaseException as exc:
            error = f"import {module}: {type(exc).__name__}: {exc}"
            break
    imports[name] = {"modules": names, "error": error}
implementation = sys.implementation
version = "{0.major}.{0.minor}.{0.micro}".format(implementation.version)
if implementation.version.releaselevel != "final":
    version += implementation.version.releaselevel[0] + str(implementation.version.serial)
environment = {
    "implementation_name": implementation.name, "implementation_version": version,
    "os_name": os.name, "platform_machine": platform.machine(), "platform_release": platform.release(),
    "platform_system": platform.system(), "platform_version": platform.version(),
    "python_full_version": platform.python_version(),
    "platform_python_implementation": platform.python_implementation(),
    "python_version": ".".join(platform.python_version_tuple()[:2]), "sys_platform": sys.platform,
}
print(MARKER + json.dumps({
    "python": sys.version.split()[0],
    "environment": environment,
    "imports": imports,
    "freeze": sorted(f"{n}=={v}" for n, v in installed.values()),
}))
"""
MARKER = "IMGEXP-VERIFY "
VERIFY_TIMEOUT_SECONDS = 600
ERROR_TAIL_CHARS = 2000


@dataclass(frozen=True)
class Verification:
    verified: bool
    error: str
    python_version: str = ""
    imports: dict[str, list[str]] = field(default_factory=dict)
    """distribution -> the modules imported for it"""
    not_applicable: tuple[str, ...] = ()
    """requirements whose environment marker is false in the image (pip skips them; so does the check)"""
    freeze: tuple[str, ...] = ()
    """``name==version`` of every distribution the interpreter sees (pip freeze, without pip)"""


def verify_image(
    client: docker.DockerClient,
    image_id: str,
    python: str,
    requirements: tuple[str, ...],
    markers: Mapping[str, tuple[str, ...]] | None = None,
) -> Verification:
    """Run the image without a network and import each requirement with ``python``.

    A requirement whose environment markers (``markers``: name -> the markers of its lines)
    are all false for the image's interpreter is not checked. A failed import, a missing interpreter or a crash
    is a Verification with verified=False and the error, never an exception.
    """
    command = [python, "-c", _PROBE, json.dumps(list(requirements))]
    try:
        container = client.containers.create(
            image_id, command=command, entrypoint=[], network_disabled=True, labels={"imgexp.role": "verify"}
        )
    except APIError as exc:
        return Verification(False, f"could not create a container of the image: {exc}")
    try:
        container.start()
        status = container.wait(timeout=VERIFY_TIMEOUT_SECONDS)
        stdout = container.logs(stdout=True, stderr=False).decode(errors="replace")
        stderr = container.logs(stdout=False, stderr=True).decode(errors="replace")
    except (APIError, ContainerError, ImageNotFound, ReadTimeout) as exc:
        return Verification(False, f"could not run {python} in the image: {exc}")
    finally:
        container.remove(force=True)
    if status.get("StatusCode") != 0:
        detail = (stderr or stdout).strip()[-ERROR_TAIL_CHARS:]
        return Verification(False, f"{python} exited with {status.get('StatusCode')}: {detail}")
    reports = [line.removeprefix(MARKER) for line in stdout.splitlines() if line.startswith(MARKER)]
    if not reports:
        return Verification(
            False, f"{python} printed no import report: {(stderr or stdout).strip()[-ERROR_TAIL_CHARS:]}"
        )
    report = json.loads(reports[-1])
    environment = report["environment"]
    skipped = tuple(n for n, ms in (markers or {}).items() if not any(Marker(m).evaluate(environment) for m in ms))
    checked = {name: r for name, r in report["imports"].items() if name not in skipped}
    errors = [f"{name}: {r['error']}" for name, r in checked.items() if r["error"]]
    return Verification(
        verified=not errors,
        error="; ".join(errors),
        python_version=report["python"],
        imports={name: r["modules"] for name, r in checked.items()},
        not_applicable=skipped,
        freeze=tuple(report["freeze"]),
    )


#: how much of each verify command's output a row keeps
OUTPUT_TAIL_CHARS = 500


@dataclass(frozen=True)
class CommandsOutcome:
    """What a project's verify commands did in one image."""

    passed: bool
    error: str
    """the first failing command, how it failed, and its output's tail; "" when all passed"""
    output: str
    """each command run (``$ command (exit N)``) with its output's tail, in order"""


def run_commands(
    client: docker.DockerClient, image_id: str, commands: tuple[str, ...], timeout: int
) -> CommandsOutcome:
    """Run each shell command in its own container of the image, with no network, until one fails.

    Parameters
    ----------
    client
        The engine.
    image_id
        The image to run them in; each runs as ``sh -c COMMAND`` in the image's working folder and
        environment, its entrypoint skipped.
    commands
        Shell commands; each must exit 0.
    timeout
        Seconds each may run before it is killed and counts as failed.

    A command not found, running past ``timeout`` or exiting non-zero is a failed outcome naming
    it with its output's tail, never an exception.
    """
    shown: list[str] = []
    for command in commands:
        status, output = _run_one(client, image_id, command, timeout)
        tail = output.strip()[-OUTPUT_TAIL_CHARS:]
        shown.append(f"$ {command} ({status})\n{tail}".rstrip())
        if status != "exit 0":
            return CommandsOutcome(False, f"verify command {command!r} failed ({status}): {tail}", "\n".join(shown))
    return CommandsOutcome(True, "", "\n".join(shown))


def _run_one(client: docker.DockerClient, image_id: str, command: str, timeout: int) -> tuple[str, str]:
    """``exit N``, ``timed out after Ns`` or ``could not run``, and the command's output."""
    try:
        container = client.containers.create(
            image_id,
            command=["sh", "-c", command],
            entrypoint=[],
            network_disabled=True,
            labels={"imgexp.role": "verify"},
        )
    except APIError as exc:
        return "could not run", f"could not create a container of the image: {exc}"
    try:
        container.start()
        try:
            code = container.wait(timeout=timeout).get("StatusCode")
            status = f"exit {code}"
        except (ReadTimeout, RequestsConnectionError):  # how docker-py's wait times out, by version
            container.kill()
            status = f"timed out after {timeout}s"
        output = container.logs(stdout=True, stderr=True).decode(errors="replace")
    except (APIError, ContainerError, ImageNotFound) as exc:
        return "could not run", str(exc)
    finally:
        container.remove(force=True)
    return status, output
