"""The Dockerfiles users write, unmodified, build on the stand-ins as on the official images.

`pip install` straight into the image's Python, `pip install .` of a pyproject project, and a
virtualenv built in one stage and copied into another: each a strategy of one project, built
with no CA bundle handed to the build (``ca_bundle=""``), so pip reaches the index through the
stand-in's own trust store, which holds the host's CA (TLS interception here).

And projects in the shapes of real public ones (data/projects/<shape>), each a small service with
its own Dockerfile and an imgexp.toml whose smoke command starts the service and checks its HTTP
answer, built as they are with `imgexp run --project` (on a copy, so results land in the test's folder).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import uuid
from pathlib import Path

import docker
import pytest

import imgexp
from imgexp.engine import bases, standins

from ..helpers import SMALL_REQUIREMENT

DEFINITION = """
[[strategy]]
name = "requirements"
dockerfile = "Dockerfile"
[[strategy]]
name = "pyproject"
dockerfile = "Dockerfile.pyproject"
[[strategy]]
name = "venv"
dockerfile = "Dockerfile.venv"
[verify]
commands = ["pip --version", "python -c 'import app; print(app.main())'"]
imports = false
"""
DOCKERFILES = {
    "Dockerfile": """\
FROM python:3.11-slim
WORKDIR /app
COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt
COPY . .
CMD ["python", "-c", "import app; print(app.main())"]
""",
    "Dockerfile.pyproject": """\
FROM python:3.11
WORKDIR /app
COPY . .
RUN pip install --upgrade pip && pip install .
CMD ["python", "-c", "import app; print(app.main())"]
""",
    "Dockerfile.venv": """\
FROM python:3.11 AS build
RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH
COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt

FROM python:3.11-slim
COPY --from=build /opt/venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH
WORKDIR /app
COPY . .
CMD ["python", "-c", "import app; print(app.main())"]
""",
}
PYPROJECT = """[project]
name = "dateapp"
version = "0.1.0"
dependencies = ["python-dateutil"]
[build-system]
requires = ["setuptools>=61"]
build-backend = "setuptools.build_meta"
[tool.setuptools]
py-modules = ["app"]
"""


def test_common_user_dockerfiles_build_and_run_on_the_stand_ins(client: docker.DockerClient, tmp_path: Path) -> None:
    unique = uuid.uuid4().hex  # in every context: the builds really run
    (tmp_path / "app.py").write_text(f"from dateutil import parser\n\n\ndef main():\n    return {unique!r}\n")
    (tmp_path / "requirements.txt").write_text(f"{SMALL_REQUIREMENT}\n")
    (tmp_path / "pyproject.toml").write_text(PYPROJECT)
    (tmp_path / "imgexp.toml").write_text(DEFINITION)
    for name, text in DOCKERFILES.items():
        (tmp_path / name).write_text(text)
    results = imgexp.run(project=tmp_path, base_source="standin", ca_bundle="", progress=False)
    for row in results.itertuples():
        assert row.verified, f"{row.strategy}: {row.verify_error}"
        assert row.base_standin and unique in row.verify_output
    frozen = results.set_index("strategy")["pip_freeze"]
    assert any(line.startswith("dateapp==") for line in str(frozen["pyproject"]).split())
    host_ca = bases.host_ca_bundle()
    assert host_ca is not None
    for base in results.attrs["provenance"]["bases"].values():
        assert base["host_ca"] == hashlib.sha256(host_ca.read_bytes()).hexdigest()


@pytest.mark.parametrize("python", ["3.9", "3.13"])
def test_the_other_pythons_stand_ins_take_a_plain_pip_install(
    client: docker.DockerClient, tmp_path: Path, python: str
) -> None:
    if os.environ.get("IMGEXP_TEST_ALL_STANDINS") != "1":
        pytest.skip(
            f"the {python} stand-ins (compiled from source) are built only on request (IMGEXP_TEST_ALL_STANDINS=1)"
        )
    (tmp_path / "app.py").write_text(f"import dateutil\n\n\ndef main():\n    return {uuid.uuid4().hex!r}\n")
    (tmp_path / "requirements.txt").write_text(f"{SMALL_REQUIREMENT}\n")
    (tmp_path / "imgexp.toml").write_text('[[strategy]]\nname = "current"\ndockerfile = "Dockerfile"\n')
    (tmp_path / "Dockerfile").write_text(DOCKERFILES["Dockerfile"].replace("python:3.11-slim", f"python:{python}-slim"))
    row = imgexp.run(project=tmp_path, base_source="standin", ca_bundle="", progress=False).iloc[0]
    assert row["verified"], row["verify_error"]
    assert row["base_image"] == standins.tag_for("slim", python) and row["python_version"].startswith(python)


def test_a_local_image_named_literally_is_used_as_it_is_and_a_missing_one_is_one_clear_error(
    client: docker.DockerClient, tmp_path: Path
) -> None:
    local = f"imgexp-test/company-base:{uuid.uuid4().hex[:8]}"
    slim = bases.resolve(client, "slim", "3.11", "standin")
    client.api.tag(slim.image_id, *local.split(":"))
    try:
        (tmp_path / "Dockerfile").write_text(f'FROM {local}\nCOPY . /app\nCMD ["python3", "/app/main.py"]\n')
        (tmp_path / "Dockerfile.missing").write_text("FROM imgexp-test/not-here:1\nCOPY . /app\n")
        (tmp_path / "main.py").write_text(f"print({uuid.uuid4().hex!r})\n")
        (tmp_path / "imgexp.toml").write_text(
            '[[strategy]]\nname = "current"\ndockerfile = "Dockerfile"\n'
            '[[strategy]]\nname = "missing"\ndockerfile = "Dockerfile.missing"\n'
            '[verify]\ncommands = ["python3 /app/main.py"]\n'
        )
        results = imgexp.run(project=tmp_path, ca_bundle="", progress=False).set_index("strategy")
    finally:
        client.images.remove(local)
    current, missing = results.loc["current"], results.loc["missing"]
    assert current["verified"], current["verify_error"]
    assert current["base_image"] == local and not current["base_standin"] and current["base_id"] == slim.image_id
    assert current["base_kind"] == "image"
    assert missing["status"] != "ok"
    assert "imgexp-test/not-here:1, named by a FROM line, is not available" in missing["reason"]
    assert "`docker pull` or `docker load` imgexp-test/not-here:1 first" in missing["reason"]


PROJECTS = Path(__file__).parent / "data" / "projects"
#: shape -> the images its stages start FROM, as the row's base_asked says (ARGs evaluated)
ASKED = {
    "argfrom": "python:3.11-slim",
    "cext": "python:3.11-slim",
    "dockerdir": "python:3.11-slim",
    "dockerinit": "python:3.11-slim",
    "poetry": "python:3.11-slim",
    "sitepackages": "python:3.11-slim",
    "uv": "python:3.11-slim",
}


def test_every_project_shape_is_tested() -> None:
    assert sorted(p.name for p in PROJECTS.iterdir() if p.is_dir()) == sorted(ASKED)


@pytest.mark.parametrize("shape", sorted(ASKED))
def test_a_project_as_it_is_builds_on_the_stand_ins_and_answers_its_smoke_test(tmp_path: Path, shape: str) -> None:
    project = tmp_path / shape
    shutil.copytree(PROJECTS / shape, project)
    run = subprocess.run(
        [sys.executable, "-m", "imgexp", "run", "--project", str(project), "--base-source", "standin", "--quiet"],
        capture_output=True,
        text=True,
    )
    assert run.returncode == 0, run.stderr[-3000:] + run.stdout[-3000:]
    (row,) = json.loads((project / "imgexp-results" / "results.json").read_text())["rows"]
    assert row["strategy"] == "current" and row["verified"], row["verify_error"]
    assert row["base_asked"] == ASKED[shape] and row["base_standin"]
    assert "(exit 0)" in row["verify_output"]


#: FROM forms no registry can serve here: strategy -> (its Dockerfile's FROM part, what base_asked says)
FROM_FORMS = {
    "pinned": ("FROM python:3.11.9-slim-bookworm", "python:3.11.9-slim-bookworm"),
    "floating": ("FROM --platform=$BUILDPLATFORM python:slim", "python:slim"),
    "digest": (
        "FROM docker.io/library/python:3.11-slim@sha256:" + "0" * 64,
        "docker.io/library/python:3.11-slim@sha256:" + "0" * 64,
    ),
    "templated": ("ARG V=3.11\nARG BASE=python:${V}-slim\nFROM ${BASE} AS app", "python:3.11-slim"),
}


def test_from_forms_no_registry_serves_build_on_the_stand_in_of_their_minor(
    client: docker.DockerClient, tmp_path: Path
) -> None:
    definition = ""
    for name, (start, _) in FROM_FORMS.items():
        (tmp_path / f"Dockerfile.{name}").write_text(f"{start}\nRUN python3 -c 'import sys; print(sys.version)' > /v\n")
        definition += f'[[strategy]]\nname = "{name}"\ndockerfile = "Dockerfile.{name}"\n'
    (tmp_path / "imgexp.toml").write_text(definition + '[verify]\ncommands = ["grep -q ^3.11 /v"]\n')
    (tmp_path / "unique").write_text(uuid.uuid4().hex)
    results = imgexp.run(project=tmp_path, ca_bundle="", progress=False).set_index("strategy")
    slim = bases.resolve(client, "slim", "3.11", "standin")
    for name, (_, asked) in FROM_FORMS.items():
        row = results.loc[name]
        assert row["verified"], f"{name}: {row['verify_error']}"
        assert (row["base_asked"], row["base_image"], row["base_id"]) == (asked, slim.image, slim.image_id)
        assert row["base_standin"] and row["base_kind"] == "slim"
