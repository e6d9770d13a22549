"""A project's build context: the folder as its .dockerignore leaves it, packed so equal inputs give equal digests."""

from __future__ import annotations

import io
import os
import tarfile
from collections.abc import Callable
from pathlib import Path

import pytest

from imgexp.engine.context import (
    PROJECT_CA_SCRIPT,
    PROJECT_DOCKERFILE,
    largest_paths,
    make_context,
    make_project_context,
    read_file,
    with_file,
)


def _folder(root: Path) -> Path:
    (root / "app").mkdir(parents=True)
    (root / "app" / "main.py").write_text("print('hi')\n")
    (root / "notes.log").write_text("noise\n")
    (root / ".venv").mkdir()
    (root / ".venv" / "big").write_bytes(b"x" * 10_000)
    (root / ".dockerignore").write_text("# local only\n*.log\n.venv\n")
    (root / "Dockerfile").write_text("FROM ${PYTHON_SLIM_IMAGE}\nCOPY . /app\n")
    return root


def _names(data: bytes) -> list[str]:
    with tarfile.open(fileobj=io.BytesIO(data)) as tar:
        return [m.name for m in tar.getmembers()]


def test_the_context_holds_what_dockerignore_leaves_and_the_dockerfile_under_a_fixed_name(tmp_path: Path) -> None:
    folder = _folder(tmp_path)
    names = _names(make_project_context(folder, (folder / "Dockerfile").read_bytes()).tar)
    assert sorted(names) == sorted(
        [".dockerignore", "Dockerfile", "app", "app/main.py", PROJECT_DOCKERFILE, PROJECT_CA_SCRIPT]
    )


@pytest.mark.parametrize(
    ("change", "same"),
    [
        pytest.param(lambda root: os.utime(root / "app" / "main.py", (1, 1)), True, id="mtime-only"),
        pytest.param(lambda root: (root / "notes.log").write_text("other\n"), True, id="ignored-file"),
        pytest.param(lambda root: (root / ".venv" / "new").write_text("x"), True, id="ignored-folder"),
        pytest.param(lambda root: (root / "app" / "main.py").write_text("print(2)\n"), False, id="source-file"),
        pytest.param(lambda root: (root / "app" / "new.py").write_text(""), False, id="new-file"),
        pytest.param(lambda root: (root / "app" / "main.py").chmod(0o755), False, id="mode"),
    ],
)
def test_the_digest_changes_with_what_the_build_sees_and_nothing_else(
    tmp_path: Path, change: Callable[[Path], object], same: bool
) -> None:
    folder = _folder(tmp_path)
    before = make_project_context(folder, (folder / "Dockerfile").read_bytes()).sha256
    change(folder)
    assert (make_project_context(folder, (folder / "Dockerfile").read_bytes()).sha256 == before) is same


def test_largest_paths_come_largest_first(tmp_path: Path) -> None:
    folder = _folder(tmp_path)
    (folder / ".dockerignore").unlink()
    biggest = largest_paths(make_project_context(folder, (folder / "Dockerfile").read_bytes()), count=1)
    assert biggest == [(".venv/big", 10_000)]


def test_also_ignore_leaves_the_results_folder_out(tmp_path: Path) -> None:
    folder = _folder(tmp_path)
    (folder / "imgexp-results").mkdir()
    (folder / "imgexp-results" / "results.csv").write_text("a,b\n")
    dockerfile = (folder / "Dockerfile").read_bytes()
    names = _names(make_project_context(folder, dockerfile, also_ignore=("imgexp-results",)).tar)
    assert not [n for n in names if n.startswith("imgexp-results")]


def test_with_file_replaces_one_file_and_keeps_the_rest(tmp_path: Path) -> None:
    dockerfile, requirements = tmp_path / "Dockerfile", tmp_path / "requirements.txt"
    dockerfile.write_text("FROM scratch\n")
    requirements.write_text("pandas\n")
    context = make_context(dockerfile, requirements)
    changed = with_file(context, "requirements.txt", b"pandas\ntomli\n")
    assert read_file(changed, "requirements.txt") == b"pandas\ntomli\n"
    assert read_file(changed, "Dockerfile") == b"FROM scratch\n"
    assert changed.sha256 != context.sha256
    assert with_file(changed, "requirements.txt", b"pandas\n").sha256 == context.sha256  # deterministic
    assert read_file(context, "uv.lock") == b""  # a file the context does not hold
