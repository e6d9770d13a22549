"""A Dockerfile read by BuildKit's parser into plain values, its FROM lines evaluated as BuildKit does."""

from __future__ import annotations

from pathlib import Path

import pytest

from imgexp.dockerfile import Command, Mount, Pair, expand, parse, parse_text, platform_args
from imgexp.errors import InvalidStrategy

#: a project in the shape of Docker's `docker init` Python template (written here, not copied)
DOCKER_INIT = (
    Path(__file__).parents[1] / "integration" / "data" / "projects" / "dockerinit" / "Dockerfile"
).read_text()


@pytest.mark.parametrize(
    ("text", "build_args", "bases"),
    [
        pytest.param("FROM python:3.11-slim\n", {}, ["python:3.11-slim"], id="literal"),
        pytest.param(DOCKER_INIT, {}, ["python:3.11-slim"], id="docker-init"),
        pytest.param(DOCKER_INIT, {"PYTHON_VERSION": "3.13"}, ["python:3.13-slim"], id="build-arg-overrides"),
        pytest.param(
            "ARG PYTHON_VERSION=3.11\nARG BASE_IMAGE=python:${PYTHON_VERSION}-slim\nFROM ${BASE_IMAGE} AS builder\n"
            "FROM ${BASE_IMAGE}\n",
            {},
            ["python:3.11-slim", "python:3.11-slim"],
            id="nested-reference",
        ),
        pytest.param(
            "ARG PYTHON_VERSION=3.11\nARG BASE_IMAGE=python:${PYTHON_VERSION}-slim\nFROM ${BASE_IMAGE}\n",
            {"PYTHON_VERSION": "3.9"},
            ["python:3.9-slim"],
            id="nested-reference-overridden",
        ),
        pytest.param("ARG V\nFROM python:${V:-3.13}\n", {}, ["python:3.13"], id="default-when-unset"),
        pytest.param("ARG V=\nFROM python:${V:-3.13}\n", {}, ["python:3.13"], id="default-when-empty"),
        pytest.param("ARG V=\nFROM python${V-:3.9}\n", {}, ["python"], id="dash-only-when-unset"),
        pytest.param("ARG V=3.9\nFROM python:$V-slim\n", {}, ["python:3.9-slim"], id="no-braces"),
        pytest.param(
            "FROM python:3.11\nARG V=3.9\nFROM python:${V:-3.13}\n",
            {},
            ["python:3.11", "python:3.13"],
            id="stage-args-are-not-global",
        ),
        pytest.param("FROM python:3.11 AS b\nFROM B\n", {}, ["python:3.11", "B"], id="stage-any-case"),
        pytest.param("FROM ${BASE_IMAGE}\n", {"BASE_IMAGE": "x"}, [""], id="undeclared-is-empty"),
    ],
)
def test_from_evaluated_as_buildkit_does(text: str, build_args: dict[str, str], bases: list[str]) -> None:
    parsed = parse_text(text, build_args)
    assert [s.base_ref for s in parsed.stages] == bases


def test_docker_init_template_model() -> None:
    parsed = parse_text(DOCKER_INIT)
    stage = parsed.final
    assert [(a.name, a.default, a.value) for a in parsed.args] == [("PYTHON_VERSION", "3.11", "3.11")]
    assert (stage.name, stage.base, stage.line) == ("base", "python:${PYTHON_VERSION}-slim", 6)
    assert stage.env == (Pair("PYTHONDONTWRITEBYTECODE", "1", 9), Pair("PYTHONUNBUFFERED", "1", 10))
    assert [(a.name, a.value) for a in stage.args] == [("UID", "10001")]
    assert (stage.workdir, stage.user, stage.expose) == ("/app", "appuser", ("8000",))
    assert stage.cmd == Command(("python3 -m uvicorn hello:app --host=0.0.0.0 --port=8000",), exec_form=False, line=35)
    assert [(s.keyword, s.line, s.end_line) for s in stage.steps] == [
        ("RUN", 16, 23),
        ("RUN", 25, 27),
        ("COPY", 31, 31),
    ]
    assert stage.steps[1].mounts == (
        Mount("cache", {"target": "/root/.cache/pip"}),
        Mount("bind", {"source": "requirements.txt", "target": "requirements.txt"}),
    )
    assert stage.steps[1].args == ("python -m pip install -r requirements.txt",)


def test_every_instruction_kept() -> None:
    text = (
        "FROM --platform=$BUILDPLATFORM python:3.11 AS builder\n"
        "RUN pip wheel -w /wheels .\n"
        "FROM python:3.11-slim@sha256:" + "a" * 64 + "\n"
        'LABEL org.opencontainers.image.title=app version="1 0"\n'
        "WORKDIR /srv\nWORKDIR app\n"
        "RUN --mount=type=bind,from=builder,source=/wheels,target=/wheels pip install /wheels/*.whl\n"
        "COPY --from=builder --chown=app /wheels /w\n"
        "ADD https://example.org/x.tar.gz /x\n"
        'ENTRYPOINT ["/entrypoint.sh"]\nCMD ["gunicorn", "app:app"]\n'
        'HEALTHCHECK --interval=30s CMD ["curl", "-f", "http://localhost/"]\n'
        "EXPOSE 8000/tcp 9000\n"
        "RUN <<EOF\necho hi\nEOF\n"
    )
    parsed = parse_text(text)
    builder, final = parsed.stages
    assert (builder.platform, builder.platform_ref) == ("$BUILDPLATFORM", platform_args()["BUILDPLATFORM"])
    assert final.base_ref.endswith("a" * 64) and final.base_stage is None
    assert final.labels == (Pair("org.opencontainers.image.title", "app", 4), Pair("version", '"1 0"', 4))
    assert final.workdir == "/srv/app"
    run, copy, add, heredoc = final.steps
    assert run.mounts[0] == Mount("bind", {"from": "builder", "source": "/wheels", "target": "/wheels"})
    assert (copy.from_stage, copy.flag("chown"), copy.args) == ("builder", "app", ("/wheels", "/w"))
    assert (add.keyword, add.from_stage) == ("ADD", None)
    assert final.entrypoint == Command(("/entrypoint.sh",), exec_form=True, line=10)
    assert final.cmd == Command(("gunicorn", "app:app"), exec_form=True, line=11)
    assert final.healthcheck is not None and final.healthcheck.options == ("--interval=30s",)
    assert final.healthcheck.command == Command(("curl", "-f", "http://localhost/"), exec_form=True, line=12)
    assert final.expose == ("8000/tcp", "9000")
    assert heredoc.heredocs == ("echo hi\n",)
    assert parsed.lineage(final) == (final,)


def test_lineage_and_stage_lookup() -> None:
    parsed = parse_text("FROM python:3.11 AS base\nFROM base AS build\nFROM build\n")
    assert [s.index for s in parsed.lineage(parsed.final)] == [0, 1, 2]
    assert parsed.stage("BUILD").index == 1 and parsed.stage(0).name == "base"
    with pytest.raises(KeyError):
        parsed.stage("nope")


@pytest.mark.parametrize(
    ("word", "expanded"),
    [
        ("${A:-x}", "a"),
        ("${B:-${A}y}", "ay"),
        ("${B-unset}", ""),
        ("${C-unset}", "unset"),
        ("${A:+set}", "set"),
        ("${B:+set}", ""),
        ("${B+set}", "set"),
        ("'$A'", "$A"),
        ('"$A"z', "az"),
        ("$A.$C", "a."),
        ("\\$A", "$A"),
        ("cost$", "cost$"),
    ],
)
def test_expand(word: str, expanded: str) -> None:
    assert expand(word, {"A": "a", "B": ""}) == expanded


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("RUN echo\n", "comes before the first FROM"),
        ("# nothing\n", "BuildKit's parser rejects it: file with no instructions"),
        ("ARG V=1\n", "no FROM line"),
        ("ARG V\nFROM python:${V:?required}\n", "V is not set (required)"),
        ("ARG V=3\nFROM python:${V%.*}\n", "modifier imgexp does not evaluate"),
        ("ARG V=3\nFROM python:${V\n", "unclosed"),
        ("FROM python:3.11 AS\n", "FROM [--platform=...] IMAGE [AS NAME]"),
    ],
)
def test_errors_name_the_problem(text: str, message: str) -> None:
    with pytest.raises(InvalidStrategy, match="Dockerfile") as caught:
        parse_text(text)
    assert message in str(caught.value)


def test_parse_reads_the_file(tmp_path: Path) -> None:
    path = tmp_path / "Dockerfile"
    path.write_text(DOCKER_INIT)
    parsed = parse(path, {"PYTHON_VERSION": "3.9"})
    assert (parsed.path, parsed.final.base_ref, parsed.build_args) == (
        path,
        "python:3.9-slim",
        {"PYTHON_VERSION": "3.9"},
    )


def test_platform_args_for_a_target() -> None:
    values = platform_args("linux/arm64/v8")
    assert (values["TARGETOS"], values["TARGETARCH"], values["TARGETVARIANT"]) == ("linux", "arm64", "v8")
    assert values["BUILDPLATFORM"].startswith("linux/")
