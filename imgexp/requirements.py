"""Reading a pip requirements file into the distribution names the import check needs."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

from packaging.requirements import InvalidRequirement, Requirement

from .errors import ImgexpError, RequirementsNotFound


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
    """Parse a requirements file; a line pip would reject is one clear error naming it."""
    path = Path(path)
    if not path.is_file():
        raise RequirementsNotFound(str(path))
    names: list[str] = []
    conditions: dict[str, list[str | None]] = {}
    for number, raw in enumerate(path.read_text().splitlines(), start=1):
        line = raw.split(" #", 1)[0].strip()
        if not line or line.startswith(("#", "-")):
            continue
        try:
            requirement = Requirement(line)
        except InvalidRequirement as exc:
            raise ImgexpError(f"{path}:{number}: {line!r} is not a valid requirement ({exc})") from exc
        if requirement.name not in conditions:
            names.append(requirement.name)
        conditions.setdefault(requirement.name, []).append(None if requirement.marker is None else str(requirement.marker))
    markers = {name: tuple(m for m in lines if m) for name, lines in conditions.items() if all(lines)}
    return Requirements(path, tuple(names), hashlib.sha256(path.read_bytes()).hexdigest(), markers)
