"""What a run prepares from its Settings before it builds: the project's definition, the
requirements, the strategies, the CA bundle and the builder; then, with an engine, the bases.

Every file an option names is read here, once, and every error it can raise is raised
before anything is built.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Literal

import docker

from .engine import bases
from .engine.buildkit import choose_builder
from .engine.ca import find_ca_bundle
from .engine.standins import PACKAGES as STANDIN_KINDS
from .errors import BaseUnavailable, ImgexpError, InvalidProject
from .paths import DEFAULT_REQUIREMENTS
from .progress import Progress
from .project import Project, load_project
from .requirements import Requirements, read_requirements
from .settings import Settings, default
from .strategies import Strategy, check_builder, from_project, load_all

#: a project's results folder, in the project, when neither its definition nor --out names one
PROJECT_OUT = "imgexp-results"


@dataclass(frozen=True)
class Prepared:
    """A run's Settings and what was read from them."""

    settings: Settings
    """The options as the run uses them: a project's ``python`` and ``out`` where they were left at their defaults."""
    definition: Project | None
    """The project's experiment definition; None without a project."""
    requirements: Requirements
    """What the import check imports."""
    strategies: tuple[Strategy, ...]
    """The strategies, read from their Dockerfiles, in the order they run."""
    ca_bundle: Path | None
    """The CA bundle handed to pip inside builds (imgexp.engine.ca.find_ca_bundle); None: none."""
    builder: Literal["buildkit", "classic"]
    """The builder every strategy is built with."""

    @property
    def out(self) -> Path:
        return self.settings.out


@dataclass(frozen=True)
class Bases:
    """The bases a run's strategies start FROM, resolved on its engine."""

    resolved: dict[str, bases.BaseImage]
    missing: dict[str, BaseUnavailable]
    """Kinds with no stand-in that cannot be had here: their strategies are ``not-run`` rows."""


def prepare(settings: Settings) -> Prepared:
    """Read what ``settings`` name; raise, naming the fix, whatever cannot work, before anything is built.

    Raises
    ------
    RequirementsNotFound, StrategyNotFound, DockerfilesNotFound, InvalidStrategy, InvalidProject,
    CaBundleNotFound, BuildkitUnavailable, ImgexpError
    """
    definition = load_project(settings.project) if settings.project is not None else None
    if definition is not None:
        settings = _adopt(settings, definition)
    _check_out(settings.out)
    names = settings.strategies
    if definition is None:
        reqs = read_requirements(settings.requirements)
        chosen = tuple(load_all(list(names) if names else None, settings.dockerfiles))
    else:
        reqs = _project_requirements(definition, settings.requirements)
        chosen = _project_strategies(definition, names)
        literal = sorted({s.literal_python for s in chosen if s.literal_python})
        if definition.python is None and settings.python == default("python") and len(literal) == 1:
            settings = replace(settings, python=literal[0])  # the Python its Dockerfiles start FROM
        _check_python(definition, chosen, settings.python)
    bundle = find_ca_bundle(settings.ca_bundle)
    builder = choose_builder(settings.builder)
    for strategy in chosen:
        check_builder(strategy, builder)
    return Prepared(settings, definition, reqs, chosen, bundle, builder)


def resolve_bases(client: docker.DockerClient, prepared: Prepared, console: Progress) -> Bases:
    """Every base the strategies need; kinds with no stand-in that cannot be had are returned as missing."""
    found = Bases({}, {})
    settings = prepared.settings
    for kind in sorted({kind for s in prepared.strategies for kind in s.base_kinds}):
        try:
            found.resolved[kind] = bases.resolve(client, kind, settings.python, settings.base_source, log=console.log)
        except BaseUnavailable as exc:
            if kind in STANDIN_KINDS:  # full and slim can always be had: not having them is an error
                raise
            found.missing[kind] = exc
    return found


def _adopt(settings: Settings, definition: Project) -> Settings:
    """Take the definition's python and out where those options are left at their defaults."""
    if definition.python is not None and settings.python == default("python"):
        settings = replace(settings, python=definition.python)
    if settings.out == Path(default("out")).resolve():  # never the write-up's folder
        settings = replace(settings, out=definition.out or definition.folder / PROJECT_OUT)
    return settings


def _project_requirements(definition: Project, requirements: Path) -> Requirements:
    """What the import check imports in a project's images: none when ``[verify] imports = false``;
    else the ``requirements`` option when given, else the context's requirements.txt if there is one."""
    if definition.verify_imports:
        given = requirements if requirements != DEFAULT_REQUIREMENTS else definition.context / "requirements.txt"
        if given.is_file() or requirements != DEFAULT_REQUIREMENTS:
            return read_requirements(given)
    text = definition.definition.read_bytes()
    return Requirements(path=definition.definition, names=(), sha256=hashlib.sha256(text).hexdigest())


def _project_strategies(definition: Project, names: tuple[str, ...] | None) -> tuple[Strategy, ...]:
    """The definition's strategies, or those of them named, in the order named."""
    offered = {s.name: s for s in definition.strategies}
    unknown = [n for n in names or () if n not in offered]
    if unknown:
        raise InvalidProject(
            str(definition.definition),
            "strategy.name",
            f"no strategy named {unknown[0]!r} (it has {', '.join(offered)})",
            "Pass --strategies with names of its [[strategy]] tables, or leave it out to run them all",
        )
    return tuple(from_project(offered[n]) for n in (names or offered))


def _check_python(definition: Project, chosen: tuple[Strategy, ...], python: str) -> None:
    """InvalidProject when a strategy starts FROM python:<version> of another version than the run's."""
    for strategy in chosen:
        if strategy.literal_python not in (None, python):
            raise InvalidProject(
                str(definition.definition),
                "python",
                f"{python} here, but {strategy.dockerfile.name} (strategy {strategy.name!r}) starts FROM "
                f"python:{strategy.literal_python}",
                f'Set python = "{strategy.literal_python}" (or pass --python): one Python version per run',
            )


def _check_out(out: Path) -> None:
    """ImgexpError when a file stands where the results folder ``out`` is, or would be made."""
    blocker = next(p for p in (out, *out.parents) if p.exists())
    if not blocker.is_dir():
        where = "is a file" if blocker == out else f"cannot be made: {blocker} is a file"
        raise ImgexpError(
            f"The results folder {out} {where}. Pass --out (out= in Python) a folder: "
            "a new one is made, an earlier run's is resumed."
        )
