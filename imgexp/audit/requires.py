"""What the installed distributions of an image require of each other, read from their METADATA.

Each visible ``*.dist-info/METADATA`` (its Name, Version, Provides-Extra and Requires-Dist
lines, kept by the layer reader) is one installed distribution. Its requirements are read
with ``packaging`` and their markers evaluated for its environment's Python on the image's
platform. A requirement is met within the environment it is installed in: a venv (a folder
with ``pyvenv.cfg``, plus the system's site directories when it includes them), or the
system's site directories of one Python version (``/usr/lib/python3/dist-packages`` joins
every system version, as Debian's ``python3`` reads it).

Extras as pip treats them: a requirement that names extras (``requests[socks]``) brings
the extras' requirements too; and since pip records no extras it was asked for, an extra
whose requirements are all installed in the environment counts as asked for.
"""

from __future__ import annotations

import posixpath
import re
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field

from packaging.markers import InvalidMarker, UndefinedComparison, UndefinedEnvironmentName
from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name

_SITE = re.compile(r"^(?P<prefix>.*?)/?lib/python(?P<version>\d+\.\d+)/(?:site|dist)-packages$")
_DEBIAN_SITE = re.compile(r"^(?:usr/)?lib/python3/dist-packages$")
#: docker's architecture -> Python's platform.machine() on Linux
_MACHINES = {"amd64": "x86_64", "arm64": "aarch64", "386": "i686", "arm": "armv7l", "ppc64le": "ppc64le"}


@dataclass(frozen=True)
class Distribution:
    """An installed distribution: where, its names, and its requirements (Requires-Dist)."""

    site: str
    """its site directory (no leading slash)"""
    name: str
    """as its METADATA spells it"""
    version: str
    requires: tuple[Requirement, ...] = ()
    extras: tuple[str, ...] = ()

    @property
    def key(self) -> str:
        return canonicalize_name(self.name)

    def __str__(self) -> str:
        return f"{self.name} {self.version}"


@dataclass(frozen=True)
class Environment:
    """The site directories one interpreter reads, and the Python version its markers see."""

    sites: tuple[str, ...]
    python: str
    """X.Y; empty when unknown (every marker on the version then holds)"""
    distributions: list[Distribution] = field(default_factory=list)


def distributions(metadata: Mapping[str, str], files: Mapping[str, tuple[int, int]]) -> list[Distribution]:
    """The distributions whose METADATA (path -> its kept lines) is visible in ``files``."""
    found = []
    for path, text in sorted(metadata.items()):
        if path not in files:
            continue  # a later layer removed or replaced this distribution
        fields: defaultdict[str, list[str]] = defaultdict(list)
        for line in text.splitlines():
            key, _, value = line.partition(":")
            fields[key.strip()].append(value.strip())
        if not fields["Name"]:
            continue
        requires = []
        for text_requirement in fields["Requires-Dist"]:
            try:
                requires.append(Requirement(text_requirement))
            except InvalidRequirement:
                continue  # pip would not install it either; nothing it names can be known to be required
        found.append(
            Distribution(
                site=posixpath.dirname(posixpath.dirname(path)),
                name=fields["Name"][0],
                version=(fields["Version"] or [""])[0],
                requires=tuple(requires),
                extras=tuple(canonicalize_name(extra) for extra in fields["Provides-Extra"]),
            )
        )
    return found


def environments(found: list[Distribution], files: Mapping[str, tuple[int, int]]) -> list[Environment]:
    """The environments ``found`` lie in: each venv, and the system's site directories per Python version."""
    venvs: dict[str, bool] = {}
    for path in files:
        if posixpath.basename(path) == "pyvenv.cfg":
            venvs[posixpath.dirname(path)] = False
    grouped: dict[tuple[str, str], set[str]] = defaultdict(set)
    for site in {d.site for d in found}:
        match = _SITE.match(site)
        prefix, version = (match.group("prefix"), match.group("version")) if match else ("", "")
        if prefix in venvs:
            grouped[(prefix, version)].add(site)
        else:
            grouped[("", version)].add(site)
    debian = grouped.pop(("", ""), set())
    system_versions = {version for prefix, version in grouped if not prefix}
    for version in system_versions or ({""} if debian else set()):
        grouped[("", version)] |= debian
    made = []
    for (_, version), sites in sorted(grouped.items()):
        made.append(Environment(tuple(sorted(sites)), version, [d for d in found if d.site in sites]))
    return made


def required_by(
    found: list[Distribution], files: Mapping[str, tuple[int, int]], architecture: str = "amd64"
) -> dict[tuple[str, str], list[str]]:
    """(site, canonical name) -> the distributions (``name version``) that require it, in its environment.

    Only distributions that something installed requires are keys; a distribution does not
    require itself. ``architecture`` is the image's (docker's name: amd64, arm64, ...).
    """
    required: dict[tuple[str, str], set[str]] = defaultdict(set)
    for environment in environments(found, files):
        for target, requirers in _required_in(environment, architecture).items():
            for copy in environment.distributions:
                if copy.key == target:
                    required[(copy.site, copy.key)] |= {str(r) for r in requirers if r.key != target}
    return {key: sorted(names) for key, names in required.items() if names}


def environment_of(found: list[Distribution], files: Mapping[str, tuple[int, int]]) -> dict[str, int]:
    """Site directory -> the number of its environment (environments() order), for every site ``found`` uses."""
    return {site: number for number, env in enumerate(environments(found, files)) for site in env.sites}


def _required_in(environment: Environment, architecture: str) -> dict[str, list[Distribution]]:
    """Canonical name -> the distributions of the environment that require it, extras followed to a fixpoint."""
    installed = {d.key for d in environment.distributions}
    asked: dict[str, set[str]] = {
        d.key: {""} | _complete_extras(d, installed, environment, architecture) for d in environment.distributions
    }
    grown = True
    requirers: dict[str, list[Distribution]] = defaultdict(list)
    while grown:
        grown = False
        requirers.clear()
        for dist in environment.distributions:
            for requirement in dist.requires:
                if not any(_applies(requirement, extra, environment, architecture) for extra in asked[dist.key]):
                    continue
                target = canonicalize_name(requirement.name)
                if target not in installed:
                    continue
                requirers[target].append(dist)
                wanted = {canonicalize_name(extra) for extra in requirement.extras} - asked[target]
                if wanted:
                    asked[target] |= wanted
                    grown = True
    return requirers


def _complete_extras(dist: Distribution, installed: set[str], environment: Environment, architecture: str) -> set[str]:
    """The extras of ``dist`` whose own requirements are all installed: pip keeps no record of extras asked for."""
    complete = set()
    for extra in dist.extras:
        own = [
            canonicalize_name(r.name)
            for r in dist.requires
            if _applies(r, extra, environment, architecture) and not _applies(r, "", environment, architecture)
        ]
        if own and all(name in installed for name in own):
            complete.add(extra)
    return complete


def _applies(requirement: Requirement, extra: str, environment: Environment, architecture: str) -> bool:
    """Whether the requirement's marker holds for this extra ("" for none) and the environment's Python."""
    if requirement.marker is None:
        return extra == ""
    values = {
        "extra": extra,
        "sys_platform": "linux",
        "platform_system": "Linux",
        "os_name": "posix",
        "platform_machine": _MACHINES.get(architecture, architecture),
        "implementation_name": "cpython",
        "platform_python_implementation": "CPython",
    }
    if environment.python:
        values |= {"python_version": environment.python, "python_full_version": environment.python + ".0"}
    try:
        return requirement.marker.evaluate(values)
    except (InvalidMarker, UndefinedComparison, UndefinedEnvironmentName):
        return True  # when in doubt, required: never offer for removal what might be needed
