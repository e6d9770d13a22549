"""A user's project: its experiment definition ``imgexp.toml``, read and checked.

The definition names the build context, the Python version, the results folder, each
strategy (a Dockerfile of the project, an optional target stage and build args) and how
each final image is verified. Every problem is one InvalidProject naming the file, the key
and the fix.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import InvalidProject

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

DEFINITION = "imgexp.toml"
VERIFY_TIMEOUT_SECONDS = 60
_TOP: dict[str, type] = {
    "context": str,
    "python": str,
    "out": str,
    "strategy": list,
    "verify": dict,
    "derive": list,
}
#: the strategies imgexp derives from the project's built ``current`` (imgexp.derive)
DERIVATIONS = ("multi-stage", "distilled", "minimal")
_STRATEGY: dict[str, type] = {"name": str, "dockerfile": str, "target": str, "build_args": dict}
_VERIFY: dict[str, type] = {"commands": list, "timeout": int, "imports": bool}
_TYPE_NAMES: dict[type, str] = {
    str: "a string",
    list: "an array",
    dict: "a table",
    int: "an integer",
    bool: "true or false",
}


@dataclass(frozen=True)
class ProjectStrategy:
    """One way of building the project: a Dockerfile, its target stage and build args."""

    name: str
    dockerfile: Path
    target: str | None = None
    build_args: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Project:
    """A project's experiment definition, its paths absolute."""

    folder: Path
    definition: Path
    context: Path
    python: str | None
    out: Path | None
    strategies: tuple[ProjectStrategy, ...]
    verify_commands: tuple[str, ...] = ()
    verify_timeout: int = VERIFY_TIMEOUT_SECONDS
    verify_imports: bool = True
    derive: tuple[str, ...] = ()
    """derivations (DERIVATIONS) to write and run after the first strategy has built"""


def load_project(folder: str | Path) -> Project:
    """Read and check ``folder/imgexp.toml``.

    Parameters
    ----------
    folder
        The project folder holding ``imgexp.toml``.

    Raises
    ------
    InvalidProject
        When the file is missing or unreadable, a key is unknown or of the wrong type, or a
        strategy's Dockerfile does not exist.
    """
    folder = Path(folder).expanduser().resolve()
    path = folder / DEFINITION
    if not path.is_file():
        raise InvalidProject(
            str(path), "(file)", "no experiment definition", f"Write one, or run `imgexp init {folder}`"
        )
    try:
        data = tomllib.loads(path.read_text())
    except tomllib.TOMLDecodeError as exc:
        raise InvalidProject(str(path), "(file)", f"not valid TOML ({exc})", "Fix the TOML syntax") from exc
    _check_keys(path, "", data, _TOP)
    context = (folder / data.get("context", ".")).resolve()
    if not context.is_dir():
        raise InvalidProject(str(path), "context", f"{context} is not a folder", "Name a folder of the project")
    tables = data.get("strategy", [])
    if not tables:
        raise InvalidProject(
            str(path),
            "strategy",
            "no [[strategy]] table",
            'Add one: [[strategy]] name = "current" dockerfile = "Dockerfile"',
        )
    chosen = [_strategy(path, folder, number, table) for number, table in enumerate(tables)]
    names = [s.name for s in chosen]
    doubled = sorted({n for n in names if names.count(n) > 1})
    if doubled:
        raise InvalidProject(
            str(path), "strategy.name", f"{', '.join(doubled)} named twice", "Give each strategy its own name"
        )
    verify = data.get("verify", {})
    _check_keys(path, "verify.", verify, _VERIFY)
    commands = verify.get("commands", [])
    if not all(isinstance(c, str) and c.strip() for c in commands):
        raise InvalidProject(
            str(path), "verify.commands", "holds something other than a command", "List shell commands as strings"
        )
    derive = data.get("derive", [])
    unknown = [d for d in derive if d not in DERIVATIONS]
    if unknown or len(set(derive)) != len(derive):
        raise InvalidProject(
            str(path),
            "derive",
            f"{unknown[0] if unknown else 'a name twice'} is not a derivation",
            f"List each of {', '.join(DERIVATIONS)} at most once",
        )
    clash = [d for d in derive if d in names]
    if clash:
        raise InvalidProject(
            str(path),
            "derive",
            f"{clash[0]!r} is also a [[strategy]] name",
            "Rename that strategy, or drop it from derive",
        )
    timeout = verify.get("timeout", VERIFY_TIMEOUT_SECONDS)
    if timeout <= 0:
        raise InvalidProject(str(path), "verify.timeout", f"{timeout} is not positive", "Give seconds, e.g. 60")
    return Project(
        folder=folder,
        definition=path,
        context=context,
        python=data.get("python"),
        out=(folder / data["out"]).resolve() if "out" in data else None,
        strategies=tuple(chosen),
        verify_commands=tuple(commands),
        verify_timeout=timeout,
        verify_imports=verify.get("imports", True),
        derive=tuple(derive),
    )


def _strategy(path: Path, folder: Path, number: int, table: Any) -> ProjectStrategy:
    where = f"strategy[{number}]."
    if not isinstance(table, dict):
        raise InvalidProject(str(path), "strategy", "is not an array of tables", "Write each one as [[strategy]]")
    _check_keys(path, where, table, _STRATEGY)
    for key in ("name", "dockerfile"):
        if key not in table:
            raise InvalidProject(str(path), where + key, "missing", f"Give every [[strategy]] a {key}")
    dockerfile = (folder / table["dockerfile"]).resolve()
    if not dockerfile.is_file():
        raise InvalidProject(
            str(path),
            where + "dockerfile",
            f"{dockerfile} does not exist",
            "Name a Dockerfile relative to the project folder",
        )
    args = table.get("build_args", {})
    bad = [k for k, v in args.items() if not isinstance(v, str)]
    if bad:
        raise InvalidProject(
            str(path), f"{where}build_args.{bad[0]}", "is not a string", 'Quote the value: KEY = "value"'
        )
    return ProjectStrategy(table["name"], dockerfile, table.get("target"), dict(args))


def _check_keys(path: Path, prefix: str, table: dict[str, Any], expected: dict[str, type]) -> None:
    """InvalidProject for the first key of ``table`` that is unknown or of the wrong type."""
    for key, value in table.items():
        if key not in expected:
            known = ", ".join(expected)
            raise InvalidProject(str(path), prefix + key, "unknown key", f"Use one of {known}")
        kind = expected[key]
        if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
            raise InvalidProject(
                str(path), prefix + key, f"{value!r} is not {_TYPE_NAMES[kind]}", f"Give {_TYPE_NAMES[kind]}"
            )
