"""Reading a pip requirements file into the distribution names the import check needs."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from packaging.requirements import InvalidRequirement, Requirement

from .errors import ImgexpError, RequirementsNotFound

#: pip's comment rule: ``#`` at the start of a line or after whitespace starts a comment
_COMMENT = re.compile(r"(^|\s+)#.*$")


@dataclass(frozen=True)
class Requirements:
    path: Path
    names: tuple[str, ...]
    """Distribution names, in file order (options, comments and -r/-c lines skipped)."""
    sha256: str
    markers: dict[str, tuple[str, ...]] = field(default_factory=dict)
    """name -> the environment markers of its lines (``; python_version < "3.12"``), for the
    names whose every line has one; a name with an unconditional line is always checked"""


def read_requirements(path: str | Path) -> Requirements:
    """Parse a requirements file as pip reads it; a requirement pip would reject is one clear error naming its line.

    Parameters
    ----------
    path
        A pip requirements file. Comments, ``\\`` continuations and options (``-r``, ``--index-url``,
        ``--hash`` after a requirement, ...) are read as pip reads them and skipped.
    """
    path = Path(path)
    if not path.is_file():
        raise RequirementsNotFound(str(path))
    names: list[str] = []
    conditions: dict[str, list[str | None]] = {}
    for number, line in _logical_lines(path.read_text()):
        if not line or line.startswith("-"):
            continue
        line = _without_options(line)
        try:
            requirement = Requirement(line)
        except InvalidRequirement as exc:
            raise ImgexpError(f"{path}:{number}: {line!r} is not a valid requirement ({exc})") from exc
        if requirement.name not in conditions:
            names.append(requirement.name)
        conditions.setdefault(requirement.name, []).append(
            None if requirement.marker is None else str(requirement.marker)
        )
    markers = {name: tuple(m for m in lines if m) for name, lines in conditions.items() if all(lines)}
    return Requirements(path, tuple(names), hashlib.sha256(path.read_bytes()).hexdigest(), markers)


def _logical_lines(text: str) -> Iterator[tuple[int, str]]:
    """(first line number, text) of each line as pip reads it: ``\\`` continuations joined, comments removed."""
    start, parts = 0, list[str]()
    for number, raw in enumerate(text.splitlines(), start=1):
        if not parts:
            start = number
        if raw.endswith("\\") and not _COMMENT.match(raw):
            parts.append(raw[:-1])
            continue
        parts.append(" " + raw if _COMMENT.match(raw) else raw)
        yield start, _COMMENT.sub("", "".join(parts)).strip()
        parts = []
    if parts:
        yield start, _COMMENT.sub("", "".join(parts)).strip()


def _without_options(line: str) -> str:
    """The requirement before the options pip reads after it on its line (``--hash=...``)."""
    tokens = line.split(" ")
    for index, token in enumerate(tokens):
        if token.startswith("-"):
            return " ".join(tokens[:index]).strip()
    return line
