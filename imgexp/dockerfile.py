"""A Dockerfile as plain values, read by BuildKit's own parser and evaluated as BuildKit evaluates it.

The ``dockerfile`` package wraps BuildKit's Go parser (line continuations, the escape directive,
heredocs, JSON and shell forms as BuildKit reads them); this module turns its instructions into a
typed model: global ARGs, then each stage with its base (as written and as evaluated), its ARGs,
ENV, WORKDIR, USER, EXPOSE, ENTRYPOINT, CMD, HEALTHCHECK, LABELs and each RUN/COPY/ADD with its
flags and mounts, every one with its source lines.

What is evaluated, as BuildKit does before a build: each FROM's image and ``--platform`` (with the
global ARGs, the build args given, and BuildKit's automatic platform ARGs), and each ARG's value.
Everything else is kept as written (quotes and ``$references`` intact), so a line written back into
another Dockerfile means what it meant in this one; ``expand`` evaluates a word where needed.

The API (stable, for the strategies and the derivations built on them): ``parse``, ``parse_text``,
``expand``, and the dataclasses ``Dockerfile``, ``Stage``, ``Arg``, ``Pair``, ``Step``, ``Mount``,
``Command``, ``Healthcheck``.
"""

from __future__ import annotations

import platform as host
import posixpath
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import dockerfile as buildkit

from .errors import InvalidStrategy

#: the stage name BuildKit gives no image: an empty filesystem
SCRATCH = "scratch"
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_MACHINES = {"x86_64": "amd64", "amd64": "amd64", "aarch64": "arm64", "arm64": "arm64"}


@dataclass(frozen=True)
class Arg:
    """An ``ARG NAME[=default]`` declaration."""

    name: str
    default: str | None
    """The default as written (quotes and references intact); None when it has none."""
    value: str | None
    """What the build uses: the build arg given, else the default evaluated, else (in a stage) the
    global ARG's value of that name; None when unset."""
    line: int


@dataclass(frozen=True)
class Pair:
    """One ``key=value`` of an ENV or LABEL instruction, both as written."""

    key: str
    value: str
    line: int


@dataclass(frozen=True)
class Mount:
    """One ``RUN --mount=...``: its type (bind, cache, secret, ssh, tmpfs) and its other options."""

    type: str
    options: dict[str, str] = field(default_factory=dict)
    """Every other option as written: ``target``, ``source``, ``from``, ``id``, ``rw`` (a bare flag: "")."""


@dataclass(frozen=True)
class Step:
    """A RUN, COPY or ADD instruction."""

    keyword: str
    """RUN, COPY or ADD."""
    line: int
    end_line: int
    text: str
    """The instruction as written, continuation lines included."""
    args: tuple[str, ...]
    """RUN: the command (one string in shell form, its words in exec form); COPY/ADD: sources, then
    the destination."""
    exec_form: bool
    flags: tuple[str, ...]
    """Its flags as written: ``--from=builder``, ``--chown=app``, ``--mount=...``, ``--link``."""
    heredocs: tuple[str, ...] = ()
    """The bodies of its heredocs (``RUN <<EOF``), in order."""

    def flag(self, name: str) -> str | None:
        """The value of ``--name=value`` (the last given), "" for a bare ``--name``, None when absent."""
        found = None
        for flag in self.flags:
            key, sep, value = flag.removeprefix("--").partition("=")
            if key == name:
                found = value if sep else ""
        return found

    @property
    def from_stage(self) -> str | None:
        """COPY/ADD ``--from``: a stage name, index or image; None when it copies from the context."""
        return self.flag("from") if self.keyword != "RUN" else None

    @property
    def mounts(self) -> tuple[Mount, ...]:
        """Its ``--mount`` flags, in order."""
        mounts = []
        for flag in self.flags:
            if flag.startswith("--mount="):
                options = dict(_option(o) for o in flag.removeprefix("--mount=").split(",") if o)
                kind = options.pop("type", "bind")
                mounts.append(Mount(kind, options))
        return tuple(mounts)


@dataclass(frozen=True)
class Command:
    """An ENTRYPOINT, CMD or HEALTHCHECK's command: its words in exec form, one string in shell form."""

    args: tuple[str, ...]
    exec_form: bool
    line: int


@dataclass(frozen=True)
class Healthcheck:
    """A HEALTHCHECK: its command (None for ``HEALTHCHECK NONE``) and options (``--interval=30s``)."""

    command: Command | None
    options: tuple[str, ...]
    line: int


@dataclass(frozen=True)
class Stage:
    """One stage: from its FROM to the next. Its fields are what its own instructions set; a stage
    FROM an earlier stage inherits that one's (``Dockerfile.lineage``)."""

    index: int
    name: str | None
    """Its ``AS`` name as written; None when it has none."""
    base: str
    """The FROM image as written: ``${BASE_IMAGE}``, ``python:3.11-slim``, ``builder``."""
    base_ref: str
    """The FROM image evaluated: ``python:3.11-slim``, an earlier stage's name, or ``scratch``; empty when it
    evaluates to nothing (an ARG declared with no default and given no build arg: BuildKit refuses that)."""
    base_stage: int | None
    """The index of the earlier stage it starts from; None when it starts from an image or scratch."""
    platform: str | None
    """The ``--platform`` flag as written (``$BUILDPLATFORM``); None when it has none."""
    platform_ref: str | None
    """The ``--platform`` flag evaluated (``linux/amd64``)."""
    line: int
    args: tuple[Arg, ...] = ()
    env: tuple[Pair, ...] = ()
    labels: tuple[Pair, ...] = ()
    workdir: str | None = None
    """The working folder its WORKDIRs leave (relative ones joined), as written; None when unset."""
    user: str | None = None
    expose: tuple[str, ...] = ()
    entrypoint: Command | None = None
    cmd: Command | None = None
    healthcheck: Healthcheck | None = None
    steps: tuple[Step, ...] = ()
    """Its RUN, COPY and ADD instructions, in order."""


@dataclass(frozen=True)
class Dockerfile:
    """A parsed Dockerfile: the ARGs before the first FROM, then its stages."""

    path: Path | None
    args: tuple[Arg, ...]
    stages: tuple[Stage, ...]
    build_args: dict[str, str] = field(default_factory=dict)
    """The build args it was evaluated with."""

    @property
    def final(self) -> Stage:
        """The last stage (what a build without a target makes)."""
        return self.stages[-1]

    def stage(self, name_or_index: str | int) -> Stage:
        """A stage by its name (any case, as BuildKit matches them) or index; KeyError when none."""
        for stage in self.stages:
            if name_or_index == stage.index or (
                isinstance(name_or_index, str) and stage.name and stage.name.lower() == name_or_index.lower()
            ):
                return stage
        raise KeyError(name_or_index)

    def lineage(self, stage: Stage) -> tuple[Stage, ...]:
        """The stages ``stage`` is built on, the one starting from an image first, ``stage`` last."""
        chain = [stage]
        while chain[0].base_stage is not None:
            chain.insert(0, self.stages[chain[0].base_stage])
        return tuple(chain)


def platform_args(target: str | None = None) -> dict[str, str]:
    """BuildKit's automatic platform ARGs for this host (BUILDPLATFORM, TARGETARCH, ...).

    ``target`` is the platform built for (``linux/arm64``); None builds for the host's.
    """
    machine = host.machine().lower()
    build = f"linux/{_MACHINES.get(machine, machine)}"
    values: dict[str, str] = {}
    for prefix, value in (("BUILD", build), ("TARGET", target or build)):
        os_, _, rest = value.partition("/")
        arch, _, variant = rest.partition("/")
        values |= {f"{prefix}PLATFORM": value, f"{prefix}OS": os_, f"{prefix}ARCH": arch, f"{prefix}VARIANT": variant}
    return values


def parse(path: str | Path, build_args: Mapping[str, str] | None = None) -> Dockerfile:
    """Read and evaluate a Dockerfile.

    Parameters
    ----------
    path
        The Dockerfile.
    build_args
        Build args over the ARG defaults (a strategy's ``build_args``).

    Raises
    ------
    InvalidStrategy
        When BuildKit's parser rejects it, it has no FROM, an instruction comes before the first
        FROM that only ARG may, or a FROM line is malformed; the message names the line.
    """
    path = Path(path)
    return parse_text(path.read_text(), build_args, path)


def parse_text(text: str, build_args: Mapping[str, str] | None = None, path: Path | None = None) -> Dockerfile:
    """``parse`` for a Dockerfile's text; ``path`` names it in errors."""
    where = str(path or "Dockerfile")
    given = dict(build_args or {})
    try:
        commands = buildkit.parse_string(text)
    except buildkit.GoParseError as exc:
        raise InvalidStrategy(where, f"BuildKit's parser rejects it: {exc}") from exc
    automatic = platform_args()
    global_args: list[Arg] = []
    known = dict(automatic)  # what a FROM line may use: the platform ARGs, then the global ARGs
    stages: list[_StageBuilder] = []
    for command in commands:
        if command.cmd.upper() == "FROM":
            stages.append(_from(command, known, stages, where))
        elif not stages:
            if command.cmd.upper() != "ARG":
                raise InvalidStrategy(
                    where,
                    f"line {command.start_line} ({command.original.strip()}) comes before the first FROM, "
                    "where only ARG may: move it after a FROM",
                )
            for arg in _args(command, known, given, {}, where):
                global_args.append(arg)
                if arg.value is not None:
                    known[arg.name] = arg.value
        else:
            stages[-1].add(command, given, known, where)
    if not stages:
        raise InvalidStrategy(where, "no FROM line: a Dockerfile starts each stage FROM an image or an earlier stage")
    return Dockerfile(path, tuple(global_args), tuple(s.stage() for s in stages), given)


def expand(word: str, values: Mapping[str, str], where: str = "Dockerfile") -> str:
    """A word with its ``$NAME``, ``${NAME}``, ``${NAME:-default}``, ``${NAME-default}``,
    ``${NAME:+alternative}``, ``${NAME+alternative}`` and ``${NAME:?message}`` references evaluated
    (nested ones too) and its quotes removed, as BuildKit's shell lexer evaluates a FROM or ARG word.

    An unset name is empty; single quotes keep ``$`` literal; a backslash escapes the next character.
    """
    out: list[str] = []
    position = 0
    quote = ""
    while position < len(word):
        char = word[position]
        if quote == "'" and char != "'":
            out.append(char)
        elif char in "'\"" and quote in ("", char):
            quote = "" if quote else char
        elif char == "\\" and position + 1 < len(word) and (not quote or word[position + 1] in '"$\\'):
            position += 1
            out.append(word[position])
        elif char == "$":
            text, position = _reference(word, position, values, where)
            out.append(text)
            continue
        else:
            out.append(char)
        position += 1
    return "".join(out)


def _reference(word: str, start: int, values: Mapping[str, str], where: str) -> tuple[str, int]:
    """The value of the reference at ``word[start]`` (a ``$``) and the position after it."""
    rest = word[start + 1 :]
    if not rest.startswith("{"):
        name = _NAME.match(rest)
        return (values.get(name.group(), ""), start + 1 + name.end()) if name else ("$", start + 1)
    end = _closing_brace(word, start + 1)
    if end < 0:
        raise InvalidStrategy(where, f"{word}: an unclosed ${{ (close it with }})")
    inner = word[start + 2 : end]
    name = _NAME.match(inner)
    if not name:
        raise InvalidStrategy(where, f"{word}: ${{{inner}}} names no variable (write ${{NAME}})")
    operator = re.match(r":?[-+?]", inner[name.end() :])
    if name.end() == len(inner):
        return values.get(name.group(), ""), end + 1
    if not operator:
        raise InvalidStrategy(
            where,
            f"{word}: ${{{inner}}} uses a modifier imgexp does not evaluate (it evaluates :-, -, :+, +, :?): "
            "write the value out, or pass it in the strategy's build_args",
        )
    value = values.get(name.group())
    set_ = value is not None and (value != "" or not operator.group().startswith(":"))
    other = expand(inner[name.end() + operator.end() :], values, where)
    kind = operator.group()[-1]
    if kind == "-":
        return (value if set_ else other) or "", end + 1
    if kind == "+":
        return (other if set_ else ""), end + 1
    if not set_:
        raise InvalidStrategy(
            where, f"{word}: {name.group()} is not set ({other or 'required'}): give it a default or a build arg"
        )
    return value or "", end + 1


def _closing_brace(word: str, opening: int) -> int:
    depth = 0
    for position in range(opening, len(word)):
        if word[position] == "{":
            depth += 1
        elif word[position] == "}":
            depth -= 1
            if depth == 0:
                return position
    return -1


def _option(text: str) -> tuple[str, str]:
    key, _, value = text.partition("=")
    return key.strip().lower(), value.strip()


def _args(
    command: buildkit.Command,
    values: Mapping[str, str],
    given: Mapping[str, str],
    global_values: Mapping[str, str],
    where: str,
) -> list[Arg]:
    """The ARG declarations of one ARG instruction (it may declare several)."""
    declared = []
    scope = dict(values)
    for word in command.value:
        name, sep, default = word.partition("=")
        if name in given:
            value: str | None = given[name]
        elif sep:
            value = expand(default, scope, where)
        else:
            value = global_values.get(name)
        if value is not None:
            scope[name] = value
        declared.append(Arg(name, default if sep else None, value, command.start_line))
    return declared


def _from(
    command: buildkit.Command, known: Mapping[str, str], stages: list[_StageBuilder], where: str
) -> _StageBuilder:
    words = command.value
    if len(words) not in (1, 3) or (len(words) == 3 and words[1].lower() != "as"):
        raise InvalidStrategy(
            where,
            f"line {command.start_line} ({command.original.strip()}): write FROM [--platform=...] IMAGE [AS NAME]",
        )
    platform = next((f.partition("=")[2] for f in command.flags if f.startswith("--platform=")), None)
    ref = expand(words[0], known, where)
    earlier = next((s.index for s in stages if s.name and s.name.lower() == ref.lower()), None)
    return _StageBuilder(
        index=len(stages),
        name=words[2] if len(words) == 3 else None,
        base=words[0],
        base_ref=ref,
        base_stage=earlier,
        platform=platform,
        platform_ref=expand(platform, known, where) if platform is not None else None,
        line=command.start_line,
    )


@dataclass
class _StageBuilder:
    """A stage while its instructions are read."""

    index: int
    name: str | None
    base: str
    base_ref: str
    base_stage: int | None
    platform: str | None
    platform_ref: str | None
    line: int
    args: list[Arg] = field(default_factory=list)
    env: list[Pair] = field(default_factory=list)
    labels: list[Pair] = field(default_factory=list)
    workdir: str | None = None
    user: str | None = None
    expose: list[str] = field(default_factory=list)
    entrypoint: Command | None = None
    cmd: Command | None = None
    healthcheck: Healthcheck | None = None
    steps: list[Step] = field(default_factory=list)

    def add(self, command: buildkit.Command, given: Mapping[str, str], outer: Mapping[str, str], where: str) -> None:
        """Take in one instruction of the stage; ``outer`` holds the global and platform ARGs' values."""
        keyword, line, words = command.cmd.upper(), command.start_line, command.value
        if keyword == "ARG":
            scope = {a.name: a.value for a in self.args if a.value is not None}
            self.args += _args(command, scope, given, outer, where)
        elif keyword in ("ENV", "LABEL"):
            pairs = [Pair(words[i], words[i + 1], line) for i in range(0, len(words) - 1, 2)]
            (self.env if keyword == "ENV" else self.labels).extend(pairs)
        elif keyword == "WORKDIR":
            self.workdir = posixpath.join(self.workdir or "/", words[0])
        elif keyword == "USER":
            self.user = words[0]
        elif keyword == "EXPOSE":
            self.expose += words
        elif keyword == "ENTRYPOINT":
            self.entrypoint = Command(tuple(words), command.json, line)
        elif keyword == "CMD":
            self.cmd = Command(tuple(words), command.json, line)
        elif keyword == "HEALTHCHECK":
            check = Command(tuple(words[1:]), command.json, line) if words and words[0].upper() == "CMD" else None
            self.healthcheck = Healthcheck(check, tuple(command.flags), line)
        elif keyword in ("RUN", "COPY", "ADD"):
            heredocs = tuple(h.content for h in command.heredocs)
            self.steps.append(
                Step(
                    keyword,
                    line,
                    command.end_line,
                    command.original,
                    tuple(words),
                    command.json,
                    command.flags,
                    heredocs,
                )
            )

    def stage(self) -> Stage:
        """The finished stage."""
        return Stage(
            index=self.index,
            name=self.name,
            base=self.base,
            base_ref=self.base_ref,
            base_stage=self.base_stage,
            platform=self.platform,
            platform_ref=self.platform_ref,
            line=self.line,
            args=tuple(self.args),
            env=tuple(self.env),
            labels=tuple(self.labels),
            workdir=self.workdir,
            user=self.user,
            expose=tuple(self.expose),
            entrypoint=self.entrypoint,
            cmd=self.cmd,
            healthcheck=self.healthcheck,
            steps=tuple(self.steps),
        )
