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
    markers: dict[str, str] = field(default_factory=dict)
    """name -> environment marker, for the requirements that have one (``; python_version < "3.12"``)"""


def read_requirements(path: str | Path) -> Requirements:
    """Parse a requirements file; a line pip would reject is one clear error naming it."""
    path = Path(path)
    if not path.is_file():
        raise RequirementsNotFound(str(path))
    names: list[str] = []
    markers: dict[str, str] = {}
    for number, raw in enumerate(path.read_text().splitlines(), start=1):
        line = raw.split(" #", 1)[0].strip()
        if not line or line.startswith(("#", "-")):
            continue
        try:
            requirement = Requirement(line)
        except InvalidRequirement as exc:
            raise ImgexpError(f"{path}:{number}: {line!r} is not a valid requirement ({exc})") from exc
        names.append(requirement.name)
        if requirement.marker is not None:
            markers[requirement.name] = str(requirement.marker)
    return Requirements(path, tuple(names), hashlib.sha256(path.read_bytes()).hexdigest(), markers)
