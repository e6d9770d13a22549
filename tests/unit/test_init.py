"""imgexp init: what it writes for a project, the Python it picks, and its refusals."""

from __future__ import annotations

from pathlib import Path

import pytest

from imgexp import Settings
from imgexp.cli import main
from imgexp.errors import InvalidProject
from imgexp.init import find_dockerfile, init_project
from imgexp.prepare import prepare

DOCKERFILE = 'FROM python:3.12-slim\nWORKDIR /srv\nCOPY . .\nRUN pip install .\nEXPOSE 8000\nCMD ["python", "app.py"]\n'


def _project(folder: Path, dependencies: str = "pyproject.toml", dockerfile: str = DOCKERFILE) -> Path:
    (folder / "Dockerfile").write_text(dockerfile)
    (folder / dependencies).write_text('[project]\nname = "app"\nversion = "1"\n')
    return folder


def test_init_writes_a_definition_that_loads_and_strategies_that_keep_the_projects_workdir_and_cmd(
    tmp_path: Path,
) -> None:
    folder = _project(tmp_path)
    written = init_project(folder, templates=True)
    assert [p.relative_to(folder).as_posix() for p in written] == [
        "imgexp.toml",
        "imgexp/Dockerfile.slim",
        "imgexp/Dockerfile.multi-stage",
        "imgexp/Dockerfile.lean",
    ]
    prepared = prepare(Settings(project=folder))
    assert [s.name for s in prepared.strategies] == ["current", "slim", "multi-stage", "lean"]
    assert prepared.settings.python == "3.12"  # the Dockerfile's
    assert (folder / "Dockerfile").read_text() == DOCKERFILE
    multi = (folder / "imgexp" / "Dockerfile.multi-stage").read_text()
    assert "FROM python:3.12 AS build" in multi and "FROM python:3.12-slim\n" in multi
    assert "pip install --no-cache-dir .\n" in multi
    lean = (folder / "imgexp" / "Dockerfile.lean").read_text()
    assert "python3 -m venv --without-pip /opt/venv" in lean and "--no-compile .\n" in lean
    for text in (multi, lean, (folder / "imgexp" / "Dockerfile.slim").read_text()):
        assert "WORKDIR /srv\n" in text and text.endswith('EXPOSE 8000\nCMD ["python", "app.py"]\n')


def test_a_uv_lock_is_synced_with_uv_and_wins_over_requirements(tmp_path: Path) -> None:
    folder = _project(tmp_path, "requirements.txt", DOCKERFILE)
    (folder / "pyproject.toml").write_text('[project]\nname = "x"\nversion = "1"\n')
    (folder / "uv.lock").write_text("version = 1\n")
    init_project(folder, templates=True)
    for name in ("slim", "multi-stage", "lean"):
        text = (folder / "imgexp" / f"Dockerfile.{name}").read_text()
        assert "uv sync --frozen --no-dev" in text and "rm -rf /opt/imgexp-tools" in text
        assert "pip install --no-cache-dir -r requirements.txt" not in text


@pytest.mark.parametrize(
    ("dependencies", "dockerfile", "extra", "python", "install", "workdir"),
    [
        pytest.param("requirements.txt", DOCKERFILE, {}, "3.12", "-r requirements.txt", "/srv", id="requirements"),
        pytest.param(
            "pyproject.toml", "FROM ubuntu:24.04\n", {".python-version": "3.10.4\n"}, "3.10", ".", "/app", id="pin"
        ),
        pytest.param("pyproject.toml", "FROM ubuntu:24.04\n", {}, "3.11", ".", "/app", id="default"),
    ],
)
def test_the_python_and_the_install_come_from_the_project(
    tmp_path: Path,
    dependencies: str,
    dockerfile: str,
    extra: dict[str, str],
    python: str,
    install: str,
    workdir: str,
) -> None:
    folder = _project(tmp_path, dependencies, dockerfile)
    for name, text in extra.items():
        (folder / name).write_text(text)
    init_project(folder, templates=True)
    slim = (folder / "imgexp" / "Dockerfile.slim").read_text()
    assert f"FROM python:{python}-slim\nWORKDIR {workdir}\n" in slim
    assert f"pip install --no-cache-dir {install}\n" in slim


@pytest.mark.parametrize(
    ("files", "says"),
    [
        pytest.param({"pyproject.toml": ""}, "no Dockerfile", id="no-dockerfile"),
        pytest.param({"Dockerfile": "FROM python:3.11\n"}, "neither requirements.txt nor pyproject.toml", id="no-deps"),
        pytest.param(
            {"Dockerfile": "FROM python:3.11\n", "requirements.txt": "", "imgexp.toml": "# mine\n"},
            "exists already",
            id="never-overwrites",
        ),
    ],
)
def test_bad_input_is_one_error_and_writes_nothing(tmp_path: Path, files: dict[str, str], says: str) -> None:
    for name, text in files.items():
        (tmp_path / name).write_text(text)
    with pytest.raises(InvalidProject, match=says):
        init_project(tmp_path, templates=True)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(files)
    assert all((tmp_path / name).read_text() == text for name, text in files.items())


def test_the_command_prints_what_it_wrote_and_the_next_command(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["init", str(_project(tmp_path))]) == 0
    printed = capsys.readouterr().out
    assert f"wrote {tmp_path / 'imgexp.toml'}" in printed
    assert f"imgexp run --project {tmp_path}" in printed
    assert main(["init", str(tmp_path)]) == 1  # a second time: refused, nothing overwritten


@pytest.mark.parametrize(
    ("files", "found"),
    [
        pytest.param(["Dockerfile"], "Dockerfile", id="root"),
        pytest.param(["docker/Dockerfile"], "docker/Dockerfile", id="docker-folder"),
        pytest.param(["deploy/app.Dockerfile"], "deploy/app.Dockerfile", id="named-dockerfile"),
        pytest.param(["build/Dockerfile.prod"], "build/Dockerfile.prod", id="dockerfile-suffix"),
        pytest.param(["Dockerfile", "Dockerfile.dockerignore"], "Dockerfile", id="its-ignore-file-is-no-dockerfile"),
        pytest.param(["src/Dockerfile"], None, id="elsewhere-not-looked-for"),
    ],
)
def test_the_dockerfile_is_found_where_projects_keep_one(tmp_path: Path, files: list[str], found: str | None) -> None:
    for name in files:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(DOCKERFILE)
    if found is None:
        with pytest.raises(InvalidProject, match=r"no Dockerfile \(looked for Dockerfile, \*.Dockerfile.*--dockerfile"):
            find_dockerfile(tmp_path)
    else:
        assert find_dockerfile(tmp_path) == tmp_path / found


def test_several_dockerfiles_are_listed_with_the_flag_that_picks_one(tmp_path: Path) -> None:
    for name in ("Dockerfile", "docker/Dockerfile", "Dockerfile.dev"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(DOCKERFILE)
    with pytest.raises(InvalidProject) as caught:
        init_project(tmp_path)
    message = str(caught.value)
    assert "3 Dockerfiles: Dockerfile, Dockerfile.dev, docker/Dockerfile" in message and "--dockerfile" in message
    assert sorted(p.name for p in tmp_path.iterdir()) == ["Dockerfile", "Dockerfile.dev", "docker"]


def test_a_dockerfile_in_a_folder_with_the_repository_root_as_context(tmp_path: Path) -> None:
    """The shape of a Django project's docker/Dockerfile: the definition records both, the context's files count."""
    (tmp_path / "docker").mkdir()
    (tmp_path / "docker" / "Dockerfile").write_text("ARG PY=3.13\nFROM python:${PY}-slim AS build\nFROM build\n")
    (tmp_path / "requirements.txt").write_text("django\n")
    assert main(["init", str(tmp_path), "--dockerfile", "docker/Dockerfile", "--context", ".", "--templates"]) == 0
    prepared = prepare(Settings(project=tmp_path))
    assert prepared.definition is not None and prepared.definition.context == tmp_path
    assert prepared.strategies[0].dockerfile == tmp_path / "docker" / "Dockerfile"
    assert prepared.settings.python == "3.13"
    definition = (tmp_path / "imgexp.toml").read_text()
    assert 'context = "."\n' in definition and 'dockerfile = "docker/Dockerfile"\n' in definition
    assert "-r requirements.txt" in (tmp_path / "imgexp" / "Dockerfile.slim").read_text()


@pytest.mark.parametrize(
    ("args", "says"),
    [
        pytest.param({"dockerfile": "docker/Dockerfile"}, "--dockerfile: no such file", id="no-such-dockerfile"),
        pytest.param({"dockerfile": "Dockerfile", "context": "src"}, "--context: no such folder", id="no-such-context"),
    ],
)
def test_a_named_path_that_is_not_there_is_one_error(tmp_path: Path, args: dict[str, str], says: str) -> None:
    _project(tmp_path)
    with pytest.raises(InvalidProject, match=says):
        init_project(tmp_path, **args)
    assert not (tmp_path / "imgexp.toml").exists()


@pytest.mark.parametrize(
    ("pyproject", "project_installed"),
    [
        pytest.param('[tool.poetry]\nname = "app"\nversion = "1"\n', True, id="package"),
        pytest.param("[tool.poetry]\npackage-mode = false\n", False, id="application"),
    ],
)
def test_a_poetry_lock_is_exported_and_installed_at_its_locked_versions(
    tmp_path: Path, pyproject: str, project_installed: bool
) -> None:
    folder = _project(tmp_path, "requirements.txt")
    (folder / "pyproject.toml").write_text(pyproject)
    (folder / "poetry.lock").write_text("# locked\n")
    init_project(folder, templates=True)
    for name in ("slim", "multi-stage", "lean"):
        text = (folder / "imgexp" / f"Dockerfile.{name}").read_text()
        assert "poetry export --only main --format requirements.txt" in text and "rm -rf /opt/imgexp-tools" in text
        assert "-r /tmp/imgexp-locked.txt" in text and "-r requirements.txt" not in text
        assert ("--no-deps ." in text) == project_installed
    assert "--without-pip /opt/venv" in (folder / "imgexp" / "Dockerfile.lean").read_text()
