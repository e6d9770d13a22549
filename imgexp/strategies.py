"""Strategies: a strategy is a file dockerfiles/Dockerfile.<name> with a one-line header.

The header is a comment line ``# imgexp.description: ...``. Which base images a
strategy uses is read from its FROM lines, as BuildKit evaluates them (imgexp.dockerfile): each
names one of the base build args (``PYTHON_IMAGE``, ``PYTHON_SLIM_IMAGE``, ``PYTHON_ALPINE_IMAGE``),
an earlier stage, or scratch. A project's Dockerfile may also name an official python image in any
form users write (``official_image``), which becomes its base build arg in the context's copy, or
any other image, used as it is. Dropping a new Dockerfile into the folder adds a strategy; no code
changes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from pathlib import Path

from . import dockerfile
from .engine import standins
from .engine.bases import KINDS, LITERAL
from .errors import DockerfilesNotFound, InvalidStrategy, StrategyNotFound
from .paths import DEFAULT_DOCKERFILES
from .project import ProjectStrategy

#: build arg naming a base image -> the kind of base it is
BASE_ARGS = {arg: kind for kind, (arg, _) in KINDS.items()}
#: the order in which the write-up's strategies come first in a table
WRITEUP_ORDER = ("base", "slim", "multi-stage")

#: an official python image as users name it: registry and namespace optional, tag and digest optional
_OFFICIAL = re.compile(
    r"^(?:(?:docker\.io|index\.docker\.io|registry-1\.docker\.io)/)?(?:library/)?python"
    r"(?::(?P<tag>[A-Za-z0-9_.-]+))?(?:@sha256:[0-9a-f]{64})?$"
)
_TAG_VERSION = re.compile(r"^(\d+)(?:\.(\d+)(?:\.\d+)?(?:(?:a|b|rc)\d+)?)?$")
_ALPINE = re.compile(r"^alpine(?:\d+\.\d+)?$")
#: Debian releases the official python images' tags name
DEBIAN_NAMES = ("buster", "bullseye", "bookworm", "trixie", "forky")
_ARG_REF = re.compile(r"^\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?$")
_FROM_IMAGE = re.compile(r"^(\s*FROM\s+(?:--\S+\s+)*)(\S+)", re.IGNORECASE)
#: the secrets imgexp hands to BuildKit builds, and what each holds
PROVIDED_SECRETS = {"imgexp-ca": "the CA bundle pip needs to reach the index (imgexp.engine.ca), when there is one"}
_HEADER = re.compile(r"^#\s*imgexp\.(\w+)\s*:\s*(.*?)\s*$")


@dataclass(frozen=True)
class Strategy:
    """One way of building the image, read from its Dockerfile."""

    name: str
    dockerfile: Path
    description: str
    base_kind: str
    """Kind of base the final stage starts from (full, slim or alpine): sizes are added on top of it."""
    base_kinds: tuple[str, ...]
    """Every kind of base any stage starts from."""
    python: str
    """Interpreter inside the final image that the import check runs; $VENV_NAME is expanded."""
    target: str | None = None
    """The stage to build (a project's ``target``); None builds the last."""
    build_args: dict[str, str] = field(default_factory=dict)
    """Build args of the strategy's own (a project's ``build_args``)."""
    literal_python: str | None = None
    """The Python version of the official python images a project's FROM lines name literally."""
    buildkit_line: str | None = None
    """The first line only BuildKit builds (``line N (text)``), or None."""
    secrets: tuple[str, ...] = ()
    """Ids of the secrets its ``RUN --mount=type=secret`` steps mount."""
    rewritten: str | None = None
    """A project's Dockerfile with each official python image its FROM lines name (literally or through
    ARGs) turned into its base build arg: the text the build context carries (the file on disk is
    untouched); None when nothing was rewritten."""
    base_asked: str = ""
    """The images a project's stages start FROM, as BuildKit evaluates them (``python:3.11.9-slim-bookworm``;
    ``; ``-separated, in stage order): what was asked, where ``stage_bases`` says what was used."""


def available(dockerfiles: Path = DEFAULT_DOCKERFILES) -> list[str]:
    """Names of the strategies in a folder, the write-up's three first."""
    names = [p.name.removeprefix("Dockerfile.") for p in Path(dockerfiles).glob("Dockerfile.*")]
    return sorted(names, key=lambda n: (WRITEUP_ORDER.index(n) if n in WRITEUP_ORDER else len(WRITEUP_ORDER), n))


def parse_names(text: str, dockerfiles: Path = DEFAULT_DOCKERFILES) -> list[str]:
    """``base,slim`` -> ["base", "slim"]; ``all`` -> every strategy in the folder."""
    if text.strip() == "all":
        return available(dockerfiles)
    return [name.strip() for name in text.split(",") if name.strip()]


def load(name: str, dockerfiles: Path = DEFAULT_DOCKERFILES) -> Strategy:
    """Read one strategy; StrategyNotFound names the file it looked for and what exists."""
    if not Path(dockerfiles).is_dir():
        raise DockerfilesNotFound(str(dockerfiles))
    path = Path(dockerfiles) / f"Dockerfile.{name}"
    if not path.is_file():
        raise StrategyNotFound(name, str(path), available(dockerfiles))
    return parse(name, path)


def load_all(names: list[str] | None = None, dockerfiles: Path = DEFAULT_DOCKERFILES) -> list[Strategy]:
    """The named strategies, or every strategy in the folder."""
    if not Path(dockerfiles).is_dir():
        raise DockerfilesNotFound(str(dockerfiles))
    return [load(n, dockerfiles) for n in (names or available(dockerfiles))]


def from_project(strategy: ProjectStrategy) -> Strategy:
    """A project's strategy, read from its Dockerfile; the import check runs ``python3`` on PATH unless its
    header names another interpreter (``# imgexp.python: ...``)."""
    args = dict(strategy.build_args)
    parsed = parse(strategy.name, strategy.dockerfile, default_python="python3", literal=True, build_args=args)
    return replace(parsed, target=strategy.target, build_args=args)


def parse(
    name: str,
    path: Path,
    default_python: str = "/opt/$VENV_NAME/bin/python",
    literal: bool = False,
    build_args: dict[str, str] | None = None,
) -> Strategy:
    """Read a strategy from its Dockerfile: the header, and each stage's base as BuildKit evaluates it.

    Parameters
    ----------
    name
        The strategy's name.
    path
        Its Dockerfile.
    default_python
        The import check's interpreter when no ``# imgexp.python:`` header names one.
    literal
        Accept any image a FROM names (a project's Dockerfile). An official python image, in any of
        the forms users write it (``official_image``), is rewritten to its base build arg in
        ``Strategy.rewritten``, so imgexp can substitute a stand-in; another image is used as it is.
    build_args
        The strategy's build args, over the Dockerfile's ARG defaults.
    """
    text = path.read_text()
    parsed = dockerfile.parse_text(text, build_args, path)
    lines = text.splitlines(keepends=True)
    header = {m.group(1).lower(): m.group(2) for m in map(_HEADER.match, lines) if m}
    kinds: list[str] = []
    stage_kinds: list[str] = []
    asked: list[str] = []
    literal_kinds: dict[str, str] = {}  # kind -> the first image asked of it
    versions: set[str] = set()
    for stage in parsed.stages:
        official = None
        if stage.base_stage is not None:
            kind = stage_kinds[stage.base_stage]
        elif (arg := _ARG_REF.match(stage.base)) and arg.group(1) in BASE_ARGS:
            kind = BASE_ARGS[arg.group(1)]
        elif stage.base_ref.lower() == dockerfile.SCRATCH:
            kind = "scratch"
        else:
            official = official_image(stage.base_ref, path) if literal and stage.base_ref else None
            kind = official.kind if official else _image_kind(stage, path, literal)
            asked += [stage.base_ref] if stage.base_ref not in asked else []
        if official:
            versions.update([official.python] if official.python else [])
            literal_kinds.setdefault(kind, stage.base_ref)
            lines[stage.line - 1] = _with_base_arg(lines[stage.line - 1], stage, kind, path)
        stage_kinds.append(kind)
        kinds += [] if kind in kinds else [kind]
    if len(versions) > 1:
        raise InvalidStrategy(
            str(path), f"FROM lines name python images of {', '.join(sorted(versions))}: use one Python version"
        )
    rewritten = None
    if literal_kinds:
        first_from = parsed.stages[0].line
        declared = "".join(f"ARG {KINDS[k][0]}={image}\n" for k, image in literal_kinds.items())
        rewritten = "".join(lines[: first_from - 1]) + declared + "".join(lines[first_from - 1 :])
    steps = [step for stage in parsed.stages for step in stage.steps]
    buildkit_only = next((s for s in steps if _buildkit_only(s)), None)
    secrets = [m.options["id"] for s in steps for m in s.mounts if m.type == "secret" and "id" in m.options]
    return Strategy(
        name=name,
        dockerfile=path,
        description=header.get("description", ""),
        base_kind=stage_kinds[-1],
        base_kinds=tuple(kinds),
        python=header.get("python", default_python),
        literal_python=next(iter(versions)) if versions else None,
        rewritten=rewritten,
        buildkit_line=f"line {buildkit_only.line} ({lines[buildkit_only.line - 1].strip()})" if buildkit_only else None,
        secrets=tuple(dict.fromkeys(secrets)),
        base_asked="; ".join(asked),
    )


@dataclass(frozen=True)
class OfficialImage:
    """An official python image as a FROM names it: the kind of base, its Python and Debian release."""

    kind: str
    """full, slim or alpine."""
    python: str | None
    """The Python minor it names (``3.11`` of ``python:3.11.9``); None for a floating tag (``python:slim``,
    ``python:3``, ``python:latest``): the run's Python is used."""
    release: str | None
    """The Debian release it names (``bookworm`` of ``python:3.11-slim-bookworm``); None when it names none."""


def official_image(ref: str, path: Path) -> OfficialImage | None:
    """What an image reference names, when it is an official python image in a form users write.

    Accepted: ``[docker.io/][library/]python[:TAG][@sha256:...]`` where TAG is a version (``3``,
    ``3.11``, ``3.11.9``, ``3.13.0rc2``) or ``latest``, then ``slim`` or ``alpine[X.Y]``, then a Debian
    release, each part optional (``python:3.13-slim-trixie``, ``python:slim``, ``python:3.11-bookworm``).
    Anything else (``python:3.11-windowsservercore``, ``ubuntu:24.04``) is None: not an official python
    base imgexp has a stand-in for.

    Raises
    ------
    InvalidStrategy
        When the tag names a Debian release other than the one imgexp's stand-in of that Python is on.
    """
    match = _OFFICIAL.match(ref)
    if not match:
        return None
    words = (match.group("tag") or "latest").split("-")
    version = _TAG_VERSION.match(words[0])
    if version or words[0] == "latest":
        words = words[1:]
    kind, release = "full", None
    for word in words:
        if word == "slim" and kind == "full" and release is None:
            kind = "slim"
        elif _ALPINE.match(word) and kind == "full" and release is None:
            kind = "alpine"
        elif word in DEBIAN_NAMES and release is None and kind != "alpine":
            release = word
        else:
            return None
    python = f"{version.group(1)}.{version.group(2)}" if version and version.group(2) else None
    if python and release and standins.DEBIAN_RELEASES.get(python, release) != release:
        offered = ", ".join(f"python:{v}-slim-{r}" for v, r in standins.DEBIAN_RELEASES.items())
        raise InvalidStrategy(
            str(path),
            f"FROM {ref} names Debian {release}, but imgexp's stand-in of Python {python} is on "
            f"{standins.DEBIAN_RELEASES[python]}; the stand-ins are {offered} (and their full images): "
            "name one of those, or drop the release from the tag",
        )
    return OfficialImage(kind, python, release)


def _with_base_arg(line: str, stage: dockerfile.Stage, kind: str, path: Path) -> str:
    """A FROM line with its image replaced by the kind's base build arg, flags and name kept."""
    match = _FROM_IMAGE.match(line)
    if not match or match.group(2) != stage.base:
        raise InvalidStrategy(
            str(path), f"line {stage.line}: write the FROM instruction on one line, so imgexp can swap its image"
        )
    return line[: match.start(2)] + "${" + KINDS[kind][0] + "}" + line[match.end(2) :]


def _buildkit_only(step: dockerfile.Step) -> bool:
    """Whether a step uses what only BuildKit builds: RUN --mount/--network/--security, COPY/ADD
    --link/--chmod/--parents/--exclude, or a heredoc."""
    names = {flag.removeprefix("--").partition("=")[0] for flag in step.flags}
    only = {"mount", "network", "security"} if step.keyword == "RUN" else {"link", "chmod", "parents", "exclude"}
    return bool(names & only or step.heredocs)


def check_builder(strategy: Strategy, builder: str) -> None:
    """InvalidStrategy when a strategy cannot build with ``builder`` (classic or buildkit):
    BuildKit-only syntax under the classic builder, or a secret imgexp does not provide."""
    if builder == "classic" and strategy.buildkit_line:
        raise InvalidStrategy(
            str(strategy.dockerfile),
            f"{strategy.buildkit_line} needs BuildKit, and this run builds with the classic builder: run it with "
            "--builder buildkit (the default where docker buildx is installed), or write the step without it",
        )
    unknown = [s for s in strategy.secrets if s not in PROVIDED_SECRETS]
    if builder == "buildkit" and unknown:
        offered = "; ".join(f"{k}: {v}" for k, v in PROVIDED_SECRETS.items())
        raise InvalidStrategy(
            str(strategy.dockerfile),
            f"strategy {strategy.name!r} mounts the secret {unknown[0]!r}, which imgexp does not provide. It provides "
            f"{offered}; mount that id, or drop the mount",
        )


def _image_kind(stage: dockerfile.Stage, path: Path, literal: bool) -> str:
    """The kind of a base that is neither a base build arg, an earlier stage, scratch nor an official
    python image: a project's own image (used as it is), else an error."""
    where = f"line {stage.line} (FROM {stage.base})"
    if literal and not stage.base_ref:
        raise InvalidStrategy(
            str(path),
            f"{where} evaluates to no image: declare the ARG before the first FROM with a default "
            "(ARG BASE_IMAGE=python:3.11-slim), or give it in the strategy's build_args",
        )
    if literal:  # a project's own image (ubuntu:24.04, gcr.io/distroless/python3): used as it is
        return LITERAL + stage.base_ref
    raise InvalidStrategy(
        str(path),
        f"{where} names no base build arg; start each stage FROM one of "
        f"{', '.join('${' + a + '}' for a in BASE_ARGS)} or an earlier stage (a project's Dockerfile "
        "may also name any image, literally or through ARGs: an official python image, swapped for a "
        "stand-in where it cannot be had, or another image, used as it is), so imgexp can swap official "
        "images and offline stand-ins",
    )
