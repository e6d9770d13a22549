"""The options of a run: plain values, normalised and checked when made, reading no file.

What a run prepares from them (the project's definition, requirements, strategies, CA
bundle, builder) is imgexp.prepare's job.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any, get_args

from .engine.bases import BaseSource
from .engine.buildkit import Builder
from .errors import ImgexpError
from .paths import DATA, DEFAULT_DOCKERFILES, DEFAULT_REQUIREMENTS
from .results import DEFAULT_OUT

#: where the host's configuration lives: published pages show such paths whole
_SYSTEM = (Path("/etc"), Path("/usr"))


@dataclass(frozen=True)
class Settings:
    """Every option of a run, each default declared here and nowhere else; checked when made.

    Paths are made absolute (from the working folder) and strategies a tuple (None for all).
    Nothing is read here: imgexp.prepare.prepare reads what the options name.

    Parameters
    ----------
    requirements
        The pip requirements file installed into every image.
    strategies
        Names of the strategies to run (``dockerfiles/Dockerfile.<name>``), in order, or
        one string of them separated by commas; None (or ``"all"``) runs every strategy in the folder.
    python
        Python version of the base images (the Python Debian ships, so that official and
        stand-in figures compare).
    base_source
        ``official`` python images, offline ``standin`` bases, or ``auto``: official when available.
    dockerfiles
        The folder of strategies.
    venv_name
        The venv under /opt inside the images.
    ca_bundle
        CA bundle handed to pip inside builds, never kept in an image; None finds the
        host's (imgexp.engine.ca.find_ca_bundle), "" builds without one.
    out
        The results folder, made if missing; a rerun reuses each row whose inputs are unchanged.
    rebuild
        Build without the cache and measure again (a failed build is tried again too).
    timings
        Build without the cache, then rebuild with it, then rebuild with one requirement added
        (imgexp.experiment.CHANGED_REQUIREMENT), to record cold, warm and changed-dependency build
        times (slow: every strategy is built from scratch).
    builder
        ``buildkit`` (the docker CLI's ``buildx build``), ``classic`` (the Engine API's builder,
        the write-up's era), or ``auto``: BuildKit where buildx is installed, as ``docker build``.
    progress
        Show each build step and a bar on stderr; None: when stderr is a terminal and $CI is
        unset. Either way, a line per finished strategy goes to stderr.
    project
        A project folder holding an experiment definition ``imgexp.toml`` (docs/projects.md):
        its strategies, context and verification. Its ``python`` (else the version its
        Dockerfiles start FROM) and ``out`` (else ``imgexp-results`` in the project) apply
        where those options are left at their defaults. Its requirements.txt, if any, is the
        import check's (``requirements`` left at its default; ``[verify] imports = false``: none).
    push
        ``REGISTRY/PREFIX``: push each verified image there and take its pull size, exactly, from the
        registry's manifest (imgexp.registry.push); None: the gzip estimate.

    Raises
    ------
    ImgexpError
        When an option's value cannot work (an unknown base source or builder); the message names the fix.
    """

    requirements: Path = DEFAULT_REQUIREMENTS
    strategies: tuple[str, ...] | None = None
    python: str = "3.11"
    base_source: BaseSource = "auto"
    dockerfiles: Path = DEFAULT_DOCKERFILES
    venv_name: str = "python-poc"
    ca_bundle: str | None = None
    out: Path = DEFAULT_OUT
    rebuild: bool = False
    timings: bool = False
    builder: Builder = "auto"
    progress: bool | None = None
    project: Path | None = None
    push: str | None = None

    def __post_init__(self) -> None:
        normal = {
            "requirements": _absolute(self.requirements),
            "dockerfiles": _absolute(self.dockerfiles),
            "out": _absolute(self.out),
            "ca_bundle": str(_absolute(self.ca_bundle)) if self.ca_bundle else self.ca_bundle,
            "strategies": _names(self.strategies),
            "project": _absolute(self.project) if self.project is not None else None,
        }
        for name, value in normal.items():
            object.__setattr__(self, name, value)
        if self.base_source not in get_args(BaseSource):
            offered = ", ".join(get_args(BaseSource))
            raise ImgexpError(f"Unknown base source {self.base_source!r}: pick one of {offered}")
        if self.builder not in get_args(Builder):
            raise ImgexpError(f"Unknown builder {self.builder!r}: pick one of {', '.join(get_args(Builder))}")

    def shown(self) -> dict[str, str]:
        """Every option as published pages show it: paths from the repository or ``out`` (see shown_path)."""
        shown = {f.name: str(getattr(self, f.name)) for f in fields(self)}
        for name in ("requirements", "dockerfiles", "out", "ca_bundle", "project"):
            if getattr(self, name):
                shown[name] = shown_path(getattr(self, name), self.out)
        shown["strategies"] = ", ".join(self.strategies) if self.strategies else "all"
        return shown


def default(option: str) -> Any:
    """The default of one Settings option."""
    return next(f.default for f in fields(Settings) if f.name == option)


def shown_path(path: str | Path, out: Path) -> str:
    """``path`` as published pages show it, with no trace of the machine that made them.

    Inside the repository (imgexp.paths.DATA): relative to it; inside ``out``: relative to
    it; under /etc or /usr, the host's configuration: whole; anywhere else: its name only.
    """
    path = Path(path)
    for root in (DATA, out):
        if path != root and path.is_relative_to(root):
            return str(path.relative_to(root))
    return str(path) if any(path.is_relative_to(s) for s in _SYSTEM) else path.name


def _absolute(path: str | Path) -> Path:
    return Path(path).expanduser().resolve()


def _names(strategies: str | tuple[str, ...] | list[str] | None) -> tuple[str, ...] | None:
    """``"base,slim"`` or a list -> a tuple of names; None or ``"all"`` -> None (every strategy)."""
    if strategies is None:
        return None
    if isinstance(strategies, str):
        if strategies.strip() == "all":
            return None
        return tuple(name.strip() for name in strategies.split(",") if name.strip())
    return tuple(strategies)
