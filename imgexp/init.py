"""``imgexp init``: an experiment definition and derived strategies for a user's project.

The project's own Dockerfile is strategy ``current``, referenced and never modified. The
derived strategies install its dependencies (a uv.lock with uv, else requirements.txt, else
the pyproject.toml project itself with pip) into a virtualenv: ``slim`` on the slim python image; ``multi-stage``,
built on the full image and copied onto the slim one; ``lean``, as multi-stage but the
virtualenv has no pip of its own and no .pyc files (the builder's pip fills it). Each keeps
the project's WORKDIR, EXPOSE, CMD and ENTRYPOINT. No file is ever overwritten.
"""

from __future__ import annotations

import re
from pathlib import Path

from .errors import InvalidProject
from .project import DEFINITION

FOLDER = "imgexp"
DEFAULT_PYTHON = "3.11"
_FROM_PYTHON = re.compile(r"^\s*FROM\s+(?:--\S+\s+)*(?:docker\.io/)?(?:library/)?python:(\d+\.\d+)", re.IGNORECASE)
_KEPT = re.compile(r"^\s*(WORKDIR|CMD|ENTRYPOINT|EXPOSE)\s", re.IGNORECASE)
_VERSION = re.compile(r"^\s*(\d+\.\d+)")
_VENV = "/opt/venv"
_INSTALL = (
    "ARG IMGEXP_CA_URL\n"
    "RUN . ./.imgexp-ca.sh && python3 -m venv {venv} && {venv}/bin/pip install --no-cache-dir {what}\n"
)
#: a uv.lock is installed as it locks it: uv (from a tool venv removed in the same step) syncs the
#: project and its locked dependencies, no dev group, into the virtualenv; uv writes no .pyc and no pip
_UV_INSTALL = (
    "ARG IMGEXP_CA_URL\n"
    "RUN . ./.imgexp-ca.sh && python3 -m venv /opt/imgexp-tools"
    " && /opt/imgexp-tools/bin/pip install --no-cache-dir uv"
    " && UV_PROJECT_ENVIRONMENT={venv} UV_PYTHON_DOWNLOADS=never /opt/imgexp-tools/bin/uv sync --frozen --no-dev"
    " --no-editable --no-cache --python python3 && rm -rf /opt/imgexp-tools\n"
)
_LEAN_INSTALL = (
    "ARG IMGEXP_CA_URL\n"
    "RUN . ./.imgexp-ca.sh && python3 -m venv --without-pip {venv}"
    " && python3 -m pip --python {venv}/bin/python install --no-cache-dir --no-compile {what}\n"
)


def init_project(folder: str | Path) -> list[Path]:
    """Write ``imgexp.toml`` and ``imgexp/Dockerfile.{slim,multi-stage,lean}`` for a project.

    Parameters
    ----------
    folder
        The project: its ``Dockerfile``, and a ``uv.lock`` with its ``pyproject.toml``, a
        ``requirements.txt`` or a ``pyproject.toml``.

    Returns
    -------
    list of Path
        The files written.

    Raises
    ------
    InvalidProject
        When the project has no Dockerfile or no dependency file imgexp can read, or a file
        it would write exists already (nothing is written then).
    """
    folder = Path(folder).expanduser().resolve()
    dockerfile = folder / "Dockerfile"
    if not dockerfile.is_file():
        raise InvalidProject(
            str(dockerfile), "(file)", "no Dockerfile", "Run imgexp init in the folder of your Dockerfile"
        )
    uv = (folder / "uv.lock").is_file() and (folder / "pyproject.toml").is_file()
    if uv:
        what = "uv.lock"
    elif (folder / "requirements.txt").is_file():
        what = "-r requirements.txt"
    elif (folder / "pyproject.toml").is_file():
        what = "."
    else:
        raise InvalidProject(
            str(folder),
            "(dependencies)",
            "neither requirements.txt nor pyproject.toml",
            "Add one of them: imgexp installs the dependencies from it",
        )
    text = dockerfile.read_text()
    python = _python(folder, text)
    kept = "".join(line + "\n" for line in text.splitlines() if _KEPT.match(line))
    workdir = "" if re.search(r"^\s*WORKDIR\s", kept, re.IGNORECASE | re.MULTILINE) else "WORKDIR /app\n"
    install = _UV_INSTALL.format(venv=_VENV) if uv else _INSTALL.format(venv=_VENV, what=what)
    lean_install = install if uv else _LEAN_INSTALL.format(venv=_VENV, what=what)
    runtime = (
        f"FROM python:{python}-slim\n{workdir}{_first_workdir(kept)}COPY --from=build {_VENV} {_VENV}\n"
        f"COPY . .\nENV PATH={_VENV}/bin:$PATH\n{_without_workdir(kept)}"
    )
    files = {
        folder / DEFINITION: _definition(),
        folder / FOLDER / "Dockerfile.slim": (
            "# imgexp.description: The project's dependencies in a virtualenv on the slim python image.\n"
            f"FROM python:{python}-slim\n{workdir}{_first_workdir(kept)}COPY . .\n{install}"
            f"ENV PATH={_VENV}/bin:$PATH\n{_without_workdir(kept)}"
        ),
        folder / FOLDER / "Dockerfile.multi-stage": (
            "# imgexp.description: The virtualenv built on the full python image, copied onto the slim one.\n"
            f"FROM python:{python} AS build\n{workdir}{_first_workdir(kept)}COPY . .\n{install}{runtime}"
        ),
        folder / FOLDER / "Dockerfile.lean": (
            "# imgexp.description: Multi-stage, the virtualenv without its own pip and without .pyc files.\n"
            f"FROM python:{python} AS build\n{workdir}{_first_workdir(kept)}COPY . .\n"
            f"{lean_install}{runtime}"
        ),
    }
    existing = [str(path) for path in files if path.exists()]
    if existing:
        raise InvalidProject(
            existing[0], "(file)", "exists already", "imgexp init never overwrites: move it away, or edit it yourself"
        )
    for path, content in files.items():
        path.parent.mkdir(exist_ok=True)
        path.write_text(content)
    return list(files)


def _python(folder: Path, dockerfile: str) -> str:
    """The Python of the project: its Dockerfile's FROM python:<v>, else .python-version, else 3.11."""
    for line in dockerfile.splitlines():
        if match := _FROM_PYTHON.match(line):
            return match.group(1)
    pinned = folder / ".python-version"
    if pinned.is_file() and (match := _VERSION.match(pinned.read_text())):
        return match.group(1)
    return DEFAULT_PYTHON


def _first_workdir(kept: str) -> str:
    return next((line + "\n" for line in kept.splitlines() if line.upper().lstrip().startswith("WORKDIR")), "")


def _without_workdir(kept: str) -> str:
    return "".join(line + "\n" for line in kept.splitlines() if not line.upper().lstrip().startswith("WORKDIR"))


def _definition() -> str:
    return f"""# imgexp's experiment definition for this project (docs/projects.md); `imgexp run --project .`
[[strategy]]
name = "current"
dockerfile = "Dockerfile"

[[strategy]]
name = "slim"
dockerfile = "{FOLDER}/Dockerfile.slim"

[[strategy]]
name = "multi-stage"
dockerfile = "{FOLDER}/Dockerfile.multi-stage"

[[strategy]]
name = "lean"
dockerfile = "{FOLDER}/Dockerfile.lean"

[verify]
# shell commands run in every image with no network; each must exit 0, e.g. "python -m myservice --help"
commands = []
timeout = 60
imports = true
"""
