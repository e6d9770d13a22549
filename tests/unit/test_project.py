"""A project's imgexp.toml: read into a Project, every mistake one error naming the file, the key and the fix."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from imgexp import Settings
from imgexp.errors import InvalidProject
from imgexp.prepare import prepare
from imgexp.project import VERIFY_TIMEOUT_SECONDS, load_project

GOOD = """
python = "3.11"
out = "results"
[[strategy]]
name = "current"
dockerfile = "Dockerfile"
[[strategy]]
name = "lean"
dockerfile = "imgexp/Dockerfile.lean"
target = "final"
build_args = { APP = "web" }
[verify]
commands = ["python3 -c 'import app'"]
timeout = 5
"""


def _project(folder: Path, definition: str) -> Path:
    (folder / "imgexp").mkdir(parents=True, exist_ok=True)
    (folder / "Dockerfile").write_text("FROM ${PYTHON_SLIM_IMAGE}\n")
    (folder / "imgexp" / "Dockerfile.lean").write_text("FROM ${PYTHON_SLIM_IMAGE} AS final\n")
    (folder / "imgexp.toml").write_text(definition)
    return folder


def test_a_definition_is_read_with_its_paths_absolute(tmp_path: Path) -> None:
    project = load_project(_project(tmp_path, GOOD))
    assert project.context == tmp_path.resolve()
    assert project.out == (tmp_path / "results").resolve()
    assert [s.name for s in project.strategies] == ["current", "lean"]
    lean = project.strategies[1]
    assert (lean.dockerfile, lean.target, lean.build_args) == (
        (tmp_path / "imgexp" / "Dockerfile.lean").resolve(),
        "final",
        {"APP": "web"},
    )
    assert (project.verify_commands, project.verify_timeout, project.verify_imports) == (
        ("python3 -c 'import app'",),
        5,
        True,
    )


def test_defaults_fill_what_a_definition_leaves_out(tmp_path: Path) -> None:
    project = load_project(_project(tmp_path, '[[strategy]]\nname = "current"\ndockerfile = "Dockerfile"\n'))
    assert (project.python, project.out, project.verify_commands) == (None, None, ())
    assert project.verify_timeout == VERIFY_TIMEOUT_SECONDS
    assert prepare(Settings(project=tmp_path)).out == tmp_path.resolve() / "imgexp-results"  # never the write-up's


ONE = '[[strategy]]\nname = "current"\ndockerfile = "Dockerfile"\n'


@pytest.mark.parametrize(
    ("definition", "key", "says"),
    [
        pytest.param(None, "(file)", "imgexp init", id="no-definition"),
        pytest.param("python = 3.11\n[[strategy]", "(file)", "not valid TOML", id="bad-toml"),
        pytest.param('pyhton = "3.11"\n' + ONE, "pyhton", "unknown key", id="unknown-top-key"),
        pytest.param("python = 3.11\n" + ONE, "python", "is not a string", id="wrong-type"),
        pytest.param('context = "nowhere"\n' + ONE, "context", "is not a folder", id="no-context"),
        pytest.param('out = "r"\n', "strategy", "no [[strategy]]", id="no-strategy"),
        pytest.param(ONE + 'taget = "x"\n', "strategy[0].taget", "unknown key", id="unknown-strategy-key"),
        pytest.param('[[strategy]]\nname = "a"\n', "strategy[0].dockerfile", "missing", id="no-dockerfile-key"),
        pytest.param(
            '[[strategy]]\nname = "a"\ndockerfile = "Dockerfile.gone"\n',
            "strategy[0].dockerfile",
            "does not exist",
            id="dockerfile-missing",
        ),
        pytest.param(ONE + ONE, "strategy.name", "named twice", id="same-name"),
        pytest.param(ONE + "build_args = { N = 1 }\n", "strategy[0].build_args.N", "Quote", id="arg-not-string"),
        pytest.param(ONE + "[verify]\ncomands = []\n", "verify.comands", "unknown key", id="unknown-verify-key"),
        pytest.param(ONE + '[verify]\ncommands = "pytest"\n', "verify.commands", "not an array", id="one-command"),
        pytest.param(ONE + "[verify]\ncommands = [1]\n", "verify.commands", "as strings", id="command-not-string"),
        pytest.param(ONE + "[verify]\ntimeout = true\n", "verify.timeout", "not an integer", id="timeout-bool"),
        pytest.param(ONE + "[verify]\ntimeout = 0\n", "verify.timeout", "not positive", id="timeout-zero"),
        pytest.param(ONE + '[verify]\nimports = "no"\n', "verify.imports", "true or false", id="imports-text"),
    ],
)
def test_each_mistake_is_one_error_naming_the_file_and_key(
    tmp_path: Path, definition: str | None, key: str, says: str
) -> None:
    _project(tmp_path, definition or "")
    if definition is None:
        (tmp_path / "imgexp.toml").unlink()
    with pytest.raises(InvalidProject) as raised:
        load_project(tmp_path)
    assert raised.value.key == key
    assert str(tmp_path / "imgexp.toml") in str(raised.value)
    assert says in str(raised.value)


def test_settings_take_the_definition_where_options_are_left_at_their_defaults(tmp_path: Path) -> None:
    folder = _project(tmp_path, GOOD.replace('"3.11"', '"3.12"'))
    assert Settings(project=folder).python == "3.11" and Settings(project=folder).project == folder  # nothing read
    prepared = prepare(Settings(project=folder))
    assert (prepared.settings.python, prepared.out) == ("3.12", (folder / "results").resolve())
    assert [s.name for s in prepared.strategies] == ["current", "lean"]
    assert prepared.strategies[1].target == "final" and prepared.strategies[1].build_args == {"APP": "web"}
    assert prepared.requirements.names == ()  # no requirements.txt in the project: nothing to import
    assert [s.name for s in prepare(Settings(project=folder, strategies="all")).strategies] == ["current", "lean"]
    given = prepare(Settings(project=folder, python="3.10", out=tmp_path / "other", strategies="lean"))
    assert (given.settings.python, given.out, [s.name for s in given.strategies]) == (
        "3.10",
        tmp_path / "other",
        ["lean"],
    )


def test_the_projects_requirements_are_the_import_checks_unless_imports_is_false(tmp_path: Path) -> None:
    folder = _project(tmp_path, ONE)
    (folder / "requirements.txt").write_text("flask\n")
    assert prepare(Settings(project=folder)).requirements.names == ("flask",)
    (folder / "imgexp.toml").write_text(ONE + "[verify]\nimports = false\n")
    assert prepare(Settings(project=folder)).requirements.names == ()


def test_a_strategy_the_definition_lacks_is_an_error_naming_those_it_has(tmp_path: Path) -> None:
    with pytest.raises(InvalidProject, match="no strategy named 'slim' \\(it has current\\)"):
        prepare(Settings(project=_project(tmp_path, ONE), strategies="slim"))


def test_the_python_a_dockerfile_starts_from_is_the_runs_unless_told_otherwise(tmp_path: Path) -> None:
    folder = _project(tmp_path, ONE)
    (folder / "Dockerfile").write_text("FROM python:3.12-slim\n")
    assert prepare(Settings(project=folder)).settings.python == "3.12"
    with pytest.raises(InvalidProject, match=re.escape('starts FROM python:3.12. Set python = "3.12"')) as raised:
        prepare(Settings(project=folder, python="3.10"))
    assert raised.value.key == "python"
