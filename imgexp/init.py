"""``imgexp init``: an experiment definition for a user's project.

The project's own Dockerfile (found where projects keep one, or named) is strategy ``current``,
referenced and never modified; the definition records it and the build context. By default it
asks for the strategies derived from current's built image (``derive``, imgexp.derive:
multi-stage, distilled, minimal) and nothing else is written. With ``templates``, today's
template strategies are written too, for a project with no working Dockerfile yet: they
install its dependencies (a uv.lock with uv, else a poetry.lock at its locked
versions, else requirements.txt, else the pyproject.toml project itself with pip) into a
virtualenv: ``slim`` on the slim python image; ``multi-stage``, built on the full image and
copied onto the slim one; ``lean``, as multi-stage but the virtualenv has no pip of its own and
no .pyc files (the builder's pip fills it). Each keeps the project's WORKDIR, EXPOSE, CMD and
ENTRYPOINT. No file is ever overwritten.
"""

from __future__ import annotations

import json
import os
import re
import sys
from pathlib import Path

from . import dockerfile as parser
from .errors import InvalidProject
from .project import DEFINITION, DERIVATIONS
from .strategies import official_image

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

FOLDER = "imgexp"
#: the template strategies ``--templates`` writes
TEMPLATES = ("slim", "multi-stage", "lean")
DEFAULT_PYTHON = "3.11"
#: where projects keep their Dockerfile: these folders of the project ...
DOCKERFILE_FOLDERS = (".", "docker", "deploy", "build")
#: ... and these names in them
DOCKERFILE_NAMES = ("Dockerfile", "*.Dockerfile", "Dockerfile.*")
#: files those names match that are no Dockerfile (BuildKit's per-Dockerfile ignore file, notes)
_NOT_DOCKERFILES = (".dockerignore", ".md", ".txt")
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
#: a poetry.lock is installed at its locked versions: Poetry (with its export plugin, from a tool venv removed in
#: the same step) writes the main group's locked pins with their hashes, pip installs exactly those, then the
#: project itself without dependencies unless it is an application (package-mode = false)
_POETRY_INSTALL = (
    "ARG IMGEXP_CA_URL\n"
    "RUN . ./.imgexp-ca.sh && python3 -m venv /opt/imgexp-tools"
    " && /opt/imgexp-tools/bin/pip install --no-cache-dir poetry poetry-plugin-export"
    " && POETRY_CACHE_DIR=/tmp/imgexp-poetry /opt/imgexp-tools/bin/poetry export --only main"
    " --format requirements.txt --output /tmp/imgexp-locked.txt && rm -rf /opt/imgexp-tools /tmp/imgexp-poetry"
    " && {make_venv} && {pip} -r /tmp/imgexp-locked.txt{project} && rm /tmp/imgexp-locked.txt\n"
)
#: how multi-stage, then lean, make the virtualenv and install into it (lean: no pip of its own, no .pyc)
_POETRY_PIP = (
    ("python3 -m venv {venv}", "{venv}/bin/pip install --no-cache-dir"),
    (
        "python3 -m venv --without-pip {venv}",
        "python3 -m pip --python {venv}/bin/python install --no-cache-dir --no-compile",
    ),
)
_LEAN_INSTALL = (
    "ARG IMGEXP_CA_URL\n"
    "RUN . ./.imgexp-ca.sh && python3 -m venv --without-pip {venv}"
    " && python3 -m pip --python {venv}/bin/python install --no-cache-dir --no-compile {what}\n"
)


def init_project(
    folder: str | Path,
    dockerfile: str | Path | None = None,
    context: str | Path | None = None,
    templates: bool = False,
) -> list[Path]:
    """Write ``imgexp.toml`` (derived strategies); with ``templates``, ``imgexp/Dockerfile.<template>`` too.

    Parameters
    ----------
    folder
        The project: where ``imgexp.toml`` and ``imgexp/`` are written.
    dockerfile
        Its Dockerfile, relative to ``folder``; None finds the only one where projects keep one
        (``find_dockerfile``).
    context
        The build context, relative to ``folder`` (default: ``folder``): where the Dockerfile's
        COPY lines read from, and where the dependency files are looked for (a ``uv.lock`` with its
        ``pyproject.toml``, a ``poetry.lock`` with its ``pyproject.toml``, a ``requirements.txt`` or
        a ``pyproject.toml``).
    templates
        Also write the template strategies, which install the dependency file.

    Returns
    -------
    list of Path
        The files written.

    Raises
    ------
    InvalidProject
        When the project has no Dockerfile, several and none named, no dependency file imgexp can
        read, or a file it would write exists already (nothing is written then).
    """
    folder = Path(folder).expanduser().resolve()
    found = find_dockerfile(folder, dockerfile)
    root = _context(folder, context)
    definition = folder / DEFINITION
    if not templates:
        return _write({definition: _definition(_relative(found, folder), _relative(root, folder), derived=True)})
    text = found.read_text()
    python = _python(root, found)
    install, lean_install = _install_steps(root)
    kept = "".join(line + "\n" for line in text.splitlines() if _KEPT.match(line))
    workdir = "" if re.search(r"^\s*WORKDIR\s", kept, re.IGNORECASE | re.MULTILINE) else "WORKDIR /app\n"
    runtime = (
        f"FROM python:{python}-slim\n{workdir}{_first_workdir(kept)}COPY --from=build {_VENV} {_VENV}\n"
        f"COPY . .\nENV PATH={_VENV}/bin:$PATH\n{_without_workdir(kept)}"
    )
    files = {
        definition: _definition(_relative(found, folder), _relative(root, folder), derived=False),
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
    return _write(files)


def _write(files: dict[Path, str]) -> list[Path]:
    """Write each file; InvalidProject, and nothing written, when any of them exists."""
    existing = [str(path) for path in files if path.exists()]
    if existing:
        raise InvalidProject(
            existing[0], "(file)", "exists already", "imgexp init never overwrites: move it away, or edit it yourself"
        )
    for path, content in files.items():
        path.parent.mkdir(exist_ok=True)
        path.write_text(content)
    return list(files)


def find_dockerfile(folder: Path, given: str | Path | None = None) -> Path:
    """The project's Dockerfile: ``given`` (relative to ``folder``), else the only file named as
    ``DOCKERFILE_NAMES`` in one of ``DOCKERFILE_FOLDERS``.

    Raises
    ------
    InvalidProject
        When ``given`` is no file, or none is found, or several are (each listed): name one with --dockerfile.
    """
    if given is not None:
        path = (folder / Path(given).expanduser()).resolve()
        if not path.is_file():
            raise InvalidProject(
                str(path), "--dockerfile", "no such file", "Name the Dockerfile relative to the project"
            )
        return path
    found = sorted(
        {
            path
            for sub in DOCKERFILE_FOLDERS
            for pattern in DOCKERFILE_NAMES
            for path in (folder / sub).glob(pattern)
            if path.is_file() and not path.name.endswith(_NOT_DOCKERFILES)
        }
    )
    looked = ", ".join(f"{sub}/{name}".removeprefix("./") for sub in DOCKERFILE_FOLDERS for name in DOCKERFILE_NAMES)
    if not found:
        raise InvalidProject(
            str(folder),
            "(Dockerfile)",
            f"no Dockerfile (looked for {looked})",
            "Name yours with --dockerfile PATH, or run imgexp init in the folder of your Dockerfile",
        )
    if len(found) > 1:
        names = ", ".join(_relative(p, folder) for p in found)
        raise InvalidProject(
            str(folder),
            "(Dockerfile)",
            f"{len(found)} Dockerfiles: {names}",
            "Name the one to measure with --dockerfile PATH (e.g. --dockerfile " + _relative(found[0], folder) + ")",
        )
    return found[0]


def _context(folder: Path, given: str | Path | None) -> Path:
    """The build context: ``given`` relative to ``folder``, else ``folder``; InvalidProject when no folder."""
    root = (folder / Path(given).expanduser()).resolve() if given is not None else folder
    if not root.is_dir():
        raise InvalidProject(str(root), "--context", "no such folder", "Name the build context relative to the project")
    return root


def _install_steps(root: Path) -> tuple[str, str]:
    """The steps that install the project's dependencies into the virtualenv, as multi-stage and as lean
    install them: from a uv.lock, a poetry.lock, a requirements.txt or the pyproject.toml project."""
    if (root / "pyproject.toml").is_file() and (root / "uv.lock").is_file():
        install = _UV_INSTALL.format(venv=_VENV)
        return install, install
    if (root / "pyproject.toml").is_file() and (root / "poetry.lock").is_file():
        application = _poetry_application(root / "pyproject.toml")
        steps = []
        for make_venv, pip in _POETRY_PIP:
            pip = pip.format(venv=_VENV)
            project = "" if application else f" && {pip} --no-deps ."
            steps.append(_POETRY_INSTALL.format(make_venv=make_venv.format(venv=_VENV), pip=pip, project=project))
        return steps[0], steps[1]
    if (root / "requirements.txt").is_file():
        what = "-r requirements.txt"
    elif (root / "pyproject.toml").is_file():
        what = "."
    else:
        raise InvalidProject(
            str(root),
            "(dependencies)",
            "neither requirements.txt nor pyproject.toml",
            "Add one of them: imgexp installs the dependencies from it",
        )
    return _INSTALL.format(venv=_VENV, what=what), _LEAN_INSTALL.format(venv=_VENV, what=what)


def _poetry_application(pyproject: Path) -> bool:
    """Whether a Poetry project is an application, not a package (``[tool.poetry] package-mode = false``)."""
    try:
        data = tomllib.loads(pyproject.read_text())
    except tomllib.TOMLDecodeError as exc:
        raise InvalidProject(str(pyproject), "(file)", f"not valid TOML ({exc})", "Fix the TOML syntax") from exc
    return data.get("tool", {}).get("poetry", {}).get("package-mode", True) is False


def _relative(path: Path, folder: Path) -> str:
    """``path`` as imgexp.toml names it: relative to the project folder, with / separators."""
    return Path(os.path.relpath(path, folder)).as_posix()


def _python(root: Path, dockerfile: Path) -> str:
    """The Python of the project: the first official python image its Dockerfile's FROM lines name (ARGs
    evaluated as BuildKit does), else .python-version, else 3.11."""
    for stage in parser.parse(dockerfile).stages:
        official = official_image(stage.base_ref, dockerfile) if stage.base_stage is None else None
        if official and official.python:
            return official.python
    pinned = root / ".python-version"
    if pinned.is_file() and (match := _VERSION.match(pinned.read_text())):
        return match.group(1)
    return DEFAULT_PYTHON


def _first_workdir(kept: str) -> str:
    return next((line + "\n" for line in kept.splitlines() if line.upper().lstrip().startswith("WORKDIR")), "")


def _without_workdir(kept: str) -> str:
    return "".join(line + "\n" for line in kept.splitlines() if not line.upper().lstrip().startswith("WORKDIR"))


def _definition(dockerfile: str, context: str, derived: bool) -> str:
    derive = (
        "# strategies imgexp derives from your built image (docs/projects.md), written to imgexp-results/derived/\n"
        f"derive = {json.dumps(list(DERIVATIONS))}\n"
    )
    templates = "".join(
        f'\n[[strategy]]\nname = "{name}"\ndockerfile = "{FOLDER}/Dockerfile.{name}"\n' for name in TEMPLATES
    )
    return f"""# imgexp's experiment definition for this project (docs/projects.md); `imgexp run --project .`
context = "{context}"
{derive if derived else ""}
[[strategy]]
name = "current"
dockerfile = "{dockerfile}"
{"" if derived else templates}
[verify]
# shell commands run in every image with no network; each must exit 0, e.g. "python -m myservice --help"
commands = []
timeout = 60
imports = true
"""
