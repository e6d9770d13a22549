"""Strategies: a strategy is a file dockerfiles/Dockerfile.<name> with a one-line header.

The header is a comment line ``# imgexp.description: ...``. Which base images a
strategy uses is read from its FROM lines: each names one of the base build args
(``PYTHON_IMAGE``, ``PYTHON_SLIM_IMAGE``, ``PYTHON_ALPINE_IMAGE``), an earlier stage, or scratch.
Dropping a new Dockerfile into the folder adds a strategy; no code changes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from pathlib import Path

from .engine.bases import KINDS, LITERAL
from .errors import DockerfilesNotFound, InvalidStrategy, StrategyNotFound
from .paths import DEFAULT_DOCKERFILES
from .project import ProjectStrategy

#: build arg naming a base image -> the kind of base it is
BASE_ARGS = {arg: kind for kind, (arg, _) in KINDS.items()}
#: the order in which the write-up's strategies come first in a table
WRITEUP_ORDER = ("base", "slim", "multi-stage")

_FROM = re.compile(r"^\s*FROM\s+(?:--platform=\S+\s+)?(\S+)(?:\s+AS\s+(\S+))?", re.IGNORECASE)
#: an official python image a project's FROM may name literally: -> its Python version and kind of base
_OFFICIAL = re.compile(r"^(?:docker\.io/)?(?:library/)?python:(\d+\.\d+)(?:-(slim|alpine))?$", re.IGNORECASE)
_ARG_REF = re.compile(r"^\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?$")
#: the id of a secret a RUN step mounts
_SECRET = re.compile(r"--mount=(?=[^\s]*type=secret)[^\s]*?\bid=([\w.-]+)", re.IGNORECASE)
#: the secrets imgexp hands to BuildKit builds, and what each holds
PROVIDED_SECRETS = {"imgexp-ca": "the CA bundle pip needs to reach the index (imgexp.engine.ca), when there is one"}
_HEADER = re.compile(r"^#\s*imgexp\.(\w+)\s*:\s*(.*?)\s*$")
#: what only BuildKit builds: flags of RUN and COPY/ADD the classic builder rejects, and heredocs
_BUILDKIT_ONLY = re.compile(
    r"^\s*(?:RUN\s+(?:--\S+\s+)*--(?:mount|network|security)\b"
    r"|(?:COPY|ADD)\s+(?:--\S+\s+)*--(?:link|chmod|parents|exclude)\b"
    r"|(?:RUN|COPY|ADD)\b.*(?<!<)<<-?[\"']?[A-Za-z_]\w*)",
    re.IGNORECASE,
)


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
    """A project's Dockerfile with each literal python image turned into its base build arg: the text
    the build context carries (the file on disk is untouched); None when nothing was rewritten."""


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
    parsed = parse(strategy.name, strategy.dockerfile, default_python="python3", literal=True)
    return replace(parsed, target=strategy.target, build_args=dict(strategy.build_args))


def parse(name: str, path: Path, default_python: str = "/opt/$VENV_NAME/bin/python", literal: bool = False) -> Strategy:
    """Parse the header and FROM lines of a Dockerfile.

    Parameters
    ----------
    name
        The strategy's name.
    path
        Its Dockerfile.
    default_python
        The import check's interpreter when no ``# imgexp.python:`` header names one.
    literal
        Accept ``FROM python:<version>[-slim|-alpine]`` (a project's Dockerfile): such a line is
        rewritten to the base build arg in ``Strategy.rewritten``, so imgexp can substitute a stand-in.
    """
    header: dict[str, str] = {}
    stage_kind: dict[str, str] = {}
    kinds: list[str] = []
    final_kind = ""
    lines = path.read_text().splitlines(keepends=True)
    versions: set[str] = set()
    literal_kinds: list[str] = []
    first_from = None
    buildkit_line: str | None = None
    secrets: list[str] = []
    for number, line in enumerate(lines, start=1):
        if buildkit_line is None and _BUILDKIT_ONLY.match(line):
            buildkit_line = f"line {number} ({line.strip()})"
        secrets += [m for m in _SECRET.findall(line) if m not in secrets]
        if match := _HEADER.match(line):
            header[match.group(1).lower()] = match.group(2)
        elif match := _FROM.match(line):
            image, stage = match.group(1), match.group(2)
            first_from = number if first_from is None else first_from
            official = _OFFICIAL.match(image) if literal and image.lower() not in stage_kind else None
            if official:
                kind = official.group(2) or "full"
                versions.add(official.group(1))
                literal_kinds += [] if kind in literal_kinds else [kind]
                start, end = match.span(1)
                lines[number - 1] = line[:start] + "${" + KINDS[kind][0] + "}" + line[end:]
            else:
                kind = _kind_of(image, stage_kind, path, literal)
            if kind not in kinds:
                kinds.append(kind)
            if stage:
                stage_kind[stage.lower()] = kind
            final_kind = kind
    if not final_kind or first_from is None:
        raise InvalidStrategy(str(path), "no FROM line")
    if len(versions) > 1:
        raise InvalidStrategy(
            str(path), f"FROM lines name python images of {', '.join(sorted(versions))}: use one Python version"
        )
    rewritten = None
    if versions:
        version = next(iter(versions))
        declared = "".join(f"ARG {KINDS[k][0]}={KINDS[k][1].format(python=version)}\n" for k in literal_kinds)
        rewritten = "".join(lines[: first_from - 1]) + declared + "".join(lines[first_from - 1 :])
    return Strategy(
        name=name,
        dockerfile=path,
        description=header.get("description", ""),
        base_kind=final_kind,
        base_kinds=tuple(kinds),
        python=header.get("python", default_python),
        literal_python=next(iter(versions)) if versions else None,
        rewritten=rewritten,
        buildkit_line=buildkit_line,
        secrets=tuple(secrets),
    )


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


def _kind_of(image: str, stage_kind: dict[str, str], path: Path, literal: bool = False) -> str:
    if image.lower() in stage_kind:
        return stage_kind[image.lower()]
    if image.lower() == "scratch":
        return "scratch"
    match = _ARG_REF.match(image)
    if match and match.group(1) in BASE_ARGS:
        return BASE_ARGS[match.group(1)]
    if literal and "$" not in image:  # a project's own image (ubuntu:24.04, python:3.11.9-slim): used as it is
        return LITERAL + image
    raise InvalidStrategy(
        str(path),
        f"FROM {image} names no base build arg; start each stage FROM one of "
        f"{', '.join('${' + a + '}' for a in BASE_ARGS)} or an earlier stage (a project's Dockerfile "
        "may also name any image literally: python:<version>[-slim|-alpine], swapped for a stand-in "
        "where it cannot be had, or another image, used as it is), so imgexp can swap official images "
        "and offline stand-ins",
    )
