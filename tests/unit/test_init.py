"""imgexp init: what it writes for a project, the Python it picks, and its refusals."""

from __future__ import annotations

from pathlib import Path

import pytest

from imgexp import Settings
from imgexp.cli import main
from imgexp.errors import InvalidProject
from imgexp.init import init_project

DOCKERFILE = 'FROM python:3.12-slim\nWORKDIR /srv\nCOPY . .\nRUN pip install .\nEXPOSE 8000\nCMD ["python", "app.py"]\n'


def _project(folder: Path, dependencies: str = "pyproject.toml", dockerfile: str = DOCKERFILE) -> Path:
    (folder / "Dockerfile").write_text(dockerfile)
    (folder / dependencies).write_text('[project]\nname = "app"\nversion = "1"\n')
    return folder


def test_init_writes_a_definition_that_loads_and_strategies_that_keep_the_projects_workdir_and_cmd(
    tmp_path: Path,
) -> None:
    folder = _project(tmp_path)
    written = init_project(folder)
    assert [p.relative_to(folder).as_posix() for p in written] == [
        "imgexp.toml",
        "imgexp/Dockerfile.slim",
        "imgexp/Dockerfile.multi-stage",
        "imgexp/Dockerfile.lean",
    ]
    settings = Settings(project=folder)
    assert [s.name for s in settings.chosen] == ["current", "slim", "multi-stage", "lean"]
    assert settings.python == "3.12"  # the Dockerfile's
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
    init_project(folder)
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
    init_project(folder)
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
        init_project(tmp_path)
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
