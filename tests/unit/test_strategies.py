"""Strategies read from their Dockerfiles: the header, the bases their FROM lines name, clear errors."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from imgexp import strategies
from imgexp.errors import DockerfilesNotFound, InvalidStrategy, StrategyNotFound
from imgexp.paths import DEFAULT_DOCKERFILES
from imgexp.project import ProjectStrategy

DEFAULT_PYTHON = "/opt/$VENV_NAME/bin/python"


def _write(folder: Path, name: str, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"Dockerfile.{name}"
    path.write_text(text)
    return path


@pytest.mark.parametrize(
    ("text", "base_kind", "base_kinds"),
    [
        pytest.param("FROM ${PYTHON_IMAGE}\n", "full", ("full",), id="braces"),
        pytest.param("FROM $PYTHON_SLIM_IMAGE\n", "slim", ("slim",), id="no-braces"),
        pytest.param(
            "ARG PYTHON_ALPINE_IMAGE=python:3.11-alpine\nFROM ${PYTHON_ALPINE_IMAGE}\n",
            "alpine",
            ("alpine",),
            id="alpine-with-default",
        ),
        pytest.param(
            "FROM ${PYTHON_IMAGE} AS build\nRUN make\nFROM ${PYTHON_SLIM_IMAGE}\nCOPY --from=build /a /a\n",
            "slim",
            ("full", "slim"),
            id="two-bases",
        ),
        pytest.param(
            "FROM ${PYTHON_SLIM_IMAGE} AS builder\nFROM builder AS rootfs\nFROM rootfs\n",
            "slim",
            ("slim",),
            id="stage-of-a-stage",
        ),
        pytest.param(
            "from ${PYTHON_SLIM_IMAGE} as Builder\nFROM BUILDER\n",
            "slim",
            ("slim",),
            id="keywords-and-stage-names-in-any-case",
        ),
        pytest.param(
            "FROM ${PYTHON_SLIM_IMAGE} AS builder\nFROM scratch\nCOPY --from=builder / /\n",
            "scratch",
            ("slim", "scratch"),
            id="scratch-final",
        ),
        pytest.param(
            "FROM --platform=linux/amd64 ${PYTHON_IMAGE} AS b\nFROM --platform=$BUILDPLATFORM b\n",
            "full",
            ("full",),
            id="platform-flag",
        ),
        pytest.param("  FROM ${PYTHON_IMAGE}\n", "full", ("full",), id="indented"),
        pytest.param("# FROM python:3.11\nFROM ${PYTHON_IMAGE}\n", "full", ("full",), id="commented-from-ignored"),
        pytest.param(
            "FROM ${PYTHON_SLIM_IMAGE} AS a\nFROM ${PYTHON_IMAGE} AS b\nFROM a\n",
            "slim",
            ("slim", "full"),
            id="final-from-an-earlier-stage",
        ),
    ],
)
def test_bases_are_read_from_the_from_lines(tmp_path: Path, text: str, base_kind: str, base_kinds: tuple) -> None:
    path = _write(tmp_path, "s", text)
    strategy = strategies.parse("s", path)
    assert (strategy.base_kind, strategy.base_kinds) == (base_kind, base_kinds)
    assert strategy.name == "s" and strategy.dockerfile == path


@pytest.mark.parametrize(
    ("header", "description", "python"),
    [
        pytest.param("", "", DEFAULT_PYTHON, id="none"),
        pytest.param("# imgexp.description: Small and fast.\n", "Small and fast.", DEFAULT_PYTHON, id="description"),
        pytest.param("#imgexp.description:Tight  \n", "Tight", DEFAULT_PYTHON, id="no-spaces-trailing-stripped"),
        pytest.param("# imgexp.Description: Mixed case key\n", "Mixed case key", DEFAULT_PYTHON, id="key-any-case"),
        pytest.param(
            "# imgexp.description: d\n# imgexp.python: /usr/bin/python3\n", "d", "/usr/bin/python3", id="python"
        ),
        pytest.param("# description: not a header\n", "", DEFAULT_PYTHON, id="plain-comment"),
        pytest.param("# imgexp.description: a: b: c\n", "a: b: c", DEFAULT_PYTHON, id="colons-in-the-value"),
    ],
)
def test_header(tmp_path: Path, header: str, description: str, python: str) -> None:
    strategy = strategies.parse("s", _write(tmp_path, "s", header + "FROM ${PYTHON_IMAGE}\n"))
    assert (strategy.description, strategy.python) == (description, python)


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        pytest.param("FROM python:3.11-slim\n", "line 1 (FROM python:3.11-slim)", id="a-tag"),
        pytest.param("FROM ${OTHER_IMAGE}\n", "line 1 (FROM ${OTHER_IMAGE})", id="another-arg"),
        pytest.param(
            "FROM builder\nFROM ${PYTHON_IMAGE} AS builder\n",
            "line 1 (FROM builder)",
            id="stage-used-before-it-is-made",
        ),
        pytest.param("FROM ${PYTHON_IMAGE}-extra\n", "line 1 (FROM ${PYTHON_IMAGE}-extra)", id="arg-with-suffix"),
    ],
)
def test_a_from_line_without_a_base_arg_names_the_file_and_the_fix(tmp_path: Path, text: str, problem: str) -> None:
    path = _write(tmp_path, "bad", text)
    with pytest.raises(InvalidStrategy) as caught:
        strategies.parse("bad", path)
    message = str(caught.value)
    assert caught.value.dockerfile == str(path)
    assert message.startswith(f"{path}: {problem} names no base build arg; start each stage FROM one of ")
    for arg in ("${PYTHON_IMAGE}", "${PYTHON_SLIM_IMAGE}", "${PYTHON_ALPINE_IMAGE}"):
        assert arg in message
    assert "or an earlier stage" in message


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("", "BuildKit's parser rejects it: file with no instructions"),
        ("# FROM ${PYTHON_IMAGE}\n", "BuildKit's parser rejects it: file with no instructions"),
        ("ARG A=1\n", "no FROM line: a Dockerfile starts each stage FROM an image or an earlier stage"),
        ("# imgexp.description: x\nRUN true\n", "line 2 (RUN true) comes before the first FROM, where only ARG may"),
    ],
)
def test_no_from_line_is_invalid(tmp_path: Path, text: str, problem: str) -> None:
    path = _write(tmp_path, "empty", text)
    with pytest.raises(InvalidStrategy) as caught:
        strategies.parse("empty", path)
    assert str(caught.value).startswith(f"{path}: {problem}")


def test_load_reads_the_named_file(tmp_path: Path) -> None:
    _write(tmp_path, "one", "# imgexp.description: One.\nFROM ${PYTHON_SLIM_IMAGE}\n")
    strategy = strategies.load("one", tmp_path)
    assert strategy == strategies.Strategy(
        "one", tmp_path / "Dockerfile.one", "One.", "slim", ("slim",), DEFAULT_PYTHON
    )


def test_a_missing_strategy_names_the_file_and_what_is_on_offer(tmp_path: Path) -> None:
    for name in ("zeta", "slim", "alpha"):
        _write(tmp_path, name, "FROM ${PYTHON_IMAGE}\n")
    with pytest.raises(StrategyNotFound) as caught:
        strategies.load("nope", tmp_path)
    assert caught.value.dockerfile == str(tmp_path / "Dockerfile.nope")
    assert caught.value.available == ["slim", "alpha", "zeta"]
    assert f"{tmp_path / 'Dockerfile.nope'} does not exist" in str(caught.value)
    assert "Strategies on offer: slim, alpha, zeta" in str(caught.value)


def test_an_empty_folder_offers_none(tmp_path: Path) -> None:
    with pytest.raises(StrategyNotFound, match="Strategies on offer: none"):
        strategies.load("base", tmp_path)


@pytest.mark.parametrize("call", [strategies.load, strategies.load_all], ids=["load", "load_all"])
def test_a_missing_folder_names_it_and_the_fix(tmp_path: Path, call) -> None:
    folder = tmp_path / "no-such-folder"
    with pytest.raises(DockerfilesNotFound) as caught:
        call("base", folder) if call is strategies.load else call(None, folder)
    assert caught.value.folder == str(folder)
    assert str(folder) in str(caught.value) and "--dockerfiles" in str(caught.value)


def test_load_all_reads_every_strategy_in_order_or_the_named_ones(tmp_path: Path) -> None:
    for name in ("x", "slim", "base"):
        _write(tmp_path, name, "FROM ${PYTHON_IMAGE}\n")
    assert [s.name for s in strategies.load_all(None, tmp_path)] == ["base", "slim", "x"]
    assert [s.name for s in strategies.load_all(["x", "base"], tmp_path)] == ["x", "base"]
    with pytest.raises(StrategyNotFound):
        strategies.load_all(["x", "gone"], tmp_path)


@pytest.mark.parametrize(
    ("files", "expected"),
    [
        pytest.param([], [], id="empty"),
        pytest.param(["multi-stage", "slim", "base"], ["base", "slim", "multi-stage"], id="writeup-order"),
        pytest.param(["zz", "minimal", "aa", "slim"], ["slim", "aa", "minimal", "zz"], id="writeup-first-then-by-name"),
        pytest.param(["b", "a"], ["a", "b"], id="no-writeup-strategy"),
    ],
)
def test_available_puts_the_writeups_three_first(tmp_path: Path, files: list[str], expected: list[str]) -> None:
    for name in files:
        _write(tmp_path, name, "FROM ${PYTHON_IMAGE}\n")
    (tmp_path / "Dockerfile").write_text("FROM ${PYTHON_IMAGE}\n")  # no strategy name: not a strategy
    (tmp_path / "README.md").write_text("not a strategy")
    assert strategies.available(tmp_path) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("base,slim", ["base", "slim"], id="two"),
        pytest.param(" base , slim ,, ", ["base", "slim"], id="spaces-and-empty-items"),
        pytest.param("slim", ["slim"], id="one"),
        pytest.param("", [], id="empty"),
        pytest.param("all", ["base", "multi-stage", "other"], id="all"),
        pytest.param("  all ", ["base", "multi-stage", "other"], id="all-with-spaces"),
        pytest.param("other,all", ["other", "all"], id="all-among-names-is-a-name"),
    ],
)
def test_parse_names(tmp_path: Path, text: str, expected: list[str]) -> None:
    for name in ("other", "multi-stage", "base"):
        _write(tmp_path, name, "FROM ${PYTHON_IMAGE}\n")
    assert strategies.parse_names(text, tmp_path) == expected


#: the shipped strategies: what their final stage starts from, and every base any stage uses
SHIPPED = {
    "base": ("full", ("full",)),
    "slim": ("slim", ("slim",)),
    "multi-stage": ("slim", ("slim",)),
    "alpine": ("alpine", ("alpine",)),
    "docker-init": ("slim", ("slim",)),
    "multi-stage-cachemount": ("slim", ("slim",)),
    "minimal": ("scratch", ("slim", "scratch")),
    "minimal-stripped": ("scratch", ("slim", "scratch")),
    "multi-stage-lean": ("slim", ("slim",)),
    "multi-stage-nopycache": ("slim", ("slim",)),
    "multi-stage-uv": ("slim", ("slim",)),
    "slim-nocompiler": ("slim", ("slim",)),
}


def test_the_shipped_strategies_are_all_there_with_the_writeups_first() -> None:
    names = strategies.available(DEFAULT_DOCKERFILES)
    assert names[:3] == ["base", "slim", "multi-stage"]
    assert sorted(names) == sorted(SHIPPED)


@pytest.mark.parametrize("name", sorted(SHIPPED))
def test_each_shipped_strategy_parses_with_a_description(name: str) -> None:
    strategy = strategies.load(name, DEFAULT_DOCKERFILES)
    assert (strategy.base_kind, strategy.base_kinds) == SHIPPED[name]
    assert len(strategy.description) > 20


@pytest.mark.parametrize(
    ("line", "buildkit"),
    [
        pytest.param("RUN --mount=type=cache,target=/root/.cache pip install -r r.txt", True, id="run-mount"),
        pytest.param("run --network=none make", True, id="run-network-any-case"),
        pytest.param("RUN --security=insecure make", True, id="run-security"),
        pytest.param("COPY --link . /app", True, id="copy-link"),
        pytest.param("COPY --chown=1000 --chmod=755 run.sh /", True, id="copy-chmod-after-chown"),
        pytest.param("RUN <<EOF", True, id="run-heredoc"),
        pytest.param("COPY <<-'EOF' /etc/app.conf", True, id="copy-heredoc"),
        pytest.param("RUN pip install --no-cache-dir -r requirements.txt", False, id="plain-run"),
        pytest.param("COPY --chown=1000:1000 --from=build /opt /opt", False, id="classic-copy-flags"),
        pytest.param("RUN echo --mount is only text here", False, id="flag-words-in-a-command"),
        pytest.param("RUN test 1 -lt 2", False, id="less-than"),
        pytest.param("RUN bash -c 'cat <<<\"text\"'", False, id="herestring"),
        pytest.param("# RUN --mount=type=cache pip install", False, id="comment"),
    ],
)
def test_buildkit_only_syntax_is_one_error_naming_the_line_under_the_classic_builder(
    tmp_path: Path, line: str, buildkit: bool
) -> None:
    body = "x\nEOF\n" if "<<EOF" in line or "<<-'EOF'" in line else ""  # a heredoc's body and its end
    strategy = strategies.parse("s", _write(tmp_path, "s", f"FROM ${{PYTHON_IMAGE}}\n{line}\n{body}"))
    strategies.check_builder(strategy, "buildkit")  # BuildKit builds all of them
    if not buildkit:
        assert strategy.buildkit_line is None
        strategies.check_builder(strategy, "classic")
        return
    with pytest.raises(InvalidStrategy, match=f"line 2 \\({re.escape(line)}\\) needs BuildKit.*--builder buildkit"):
        strategies.check_builder(strategy, "classic")


@pytest.mark.parametrize(
    ("line", "secrets"),
    [
        pytest.param("RUN --mount=type=secret,id=imgexp-ca pip install x", ("imgexp-ca",), id="provided"),
        pytest.param("RUN --mount=id=imgexp-ca,type=secret,required=true x", ("imgexp-ca",), id="id-first"),
        pytest.param("RUN --mount=type=cache,id=pip,target=/c --mount=type=secret,id=token x", ("token",), id="second"),
        pytest.param("RUN --mount=type=cache,id=pip,target=/root/.cache x", (), id="cache-id-is-no-secret"),
    ],
)
def test_secret_mounts_are_read_and_unknown_ones_are_one_error(tmp_path: Path, line: str, secrets: tuple) -> None:
    strategy = strategies.parse("s", _write(tmp_path, "s", f"FROM ${{PYTHON_IMAGE}}\n{line}\n"))
    assert strategy.secrets == secrets
    if secrets == ("token",):
        with pytest.raises(
            InvalidStrategy, match=r"mounts the secret 'token', which imgexp does not provide.*imgexp-ca"
        ):
            strategies.check_builder(strategy, "buildkit")
    else:
        strategies.check_builder(strategy, "buildkit")


@pytest.mark.parametrize(
    ("text", "kinds", "version", "declared"),
    [
        pytest.param(
            "FROM python:3.12-slim\n", ("slim",), "3.12", "ARG PYTHON_SLIM_IMAGE=python:3.12-slim\n", id="slim"
        ),
        pytest.param("FROM python:3.11\n", ("full",), "3.11", "ARG PYTHON_IMAGE=python:3.11\n", id="full"),
        pytest.param(
            "FROM docker.io/library/python:3.11-alpine\n",
            ("alpine",),
            "3.11",
            "ARG PYTHON_ALPINE_IMAGE=docker.io/library/python:3.11-alpine\n",
            id="alpine-fully-named",
        ),
        pytest.param(
            "# syntax=docker/dockerfile:1\nFROM python:3.11 AS build\nFROM python:3.11-slim\nCOPY --from=build /a /a\n",
            ("full", "slim"),
            "3.11",
            "ARG PYTHON_IMAGE=python:3.11\nARG PYTHON_SLIM_IMAGE=python:3.11-slim\n",
            id="two-stages-directive-kept-first",
        ),
    ],
)
def test_a_projects_literal_python_from_becomes_its_base_build_arg(
    tmp_path: Path, text: str, kinds: tuple[str, ...], version: str, declared: str
) -> None:
    path = _write(tmp_path, "s", text)
    strategy = strategies.parse("s", path, literal=True)
    assert (strategy.base_kinds, strategy.literal_python) == (kinds, version)
    assert strategy.rewritten is not None and declared in strategy.rewritten
    assert all("${PYTHON_" in line for line in strategy.rewritten.splitlines() if line.startswith("FROM"))
    assert strategy.rewritten.startswith(text.split("FROM")[0] + declared)  # a parser directive stays first
    assert path.read_text() == text  # the file on disk is untouched


@pytest.mark.parametrize(
    ("text", "literal", "says"),
    [
        pytest.param("FROM python:3.11-slim\n", False, "names no base build arg", id="not-in-a-shipped-strategy"),
        pytest.param("FROM ubuntu:24.04\n", False, "names no base build arg", id="another-image-shipped"),
        pytest.param("FROM python:3.11 AS a\nFROM python:3.12-slim\n", True, "one Python version", id="two-versions"),
        pytest.param(
            "ARG V=3.11\nFROM python:${V} AS a\nFROM python:3.13-slim\n", True, "one Python version", id="two-via-arg"
        ),
        pytest.param(
            "ARG BASE\nFROM ${BASE}\n", True, r"line 2 \(FROM \$\{BASE\}\) evaluates to no image", id="unset-arg"
        ),
        pytest.param(
            "FROM python:3.11-slim-bullseye\n",
            True,
            "names Debian bullseye, but imgexp's stand-in of Python 3.11 is on bookworm; the stand-ins are "
            "python:3.9-slim-bullseye, python:3.11-slim-bookworm, python:3.13-slim-trixie",
            id="release-of-no-stand-in",
        ),
        pytest.param(
            "FROM python:3.13-bookworm\n", True, "names Debian bookworm, but .* 3.13 is on trixie", id="full-release"
        ),
    ],
)
def test_other_literal_images_are_refused(tmp_path: Path, text: str, literal: bool, says: str) -> None:
    with pytest.raises(InvalidStrategy, match=says):
        strategies.parse("s", _write(tmp_path, "s", text), literal=literal)


@pytest.mark.parametrize(
    "image",
    ["ubuntu:24.04", "python:3.11-windowsservercore", "gcr.io/distroless/python3-debian12", "example.org/python:3.11"],
)
def test_a_projects_other_images_are_used_as_they_are(tmp_path: Path, image: str) -> None:
    text = f"FROM python:3.11 AS build\nFROM {image}\nCOPY --from=build /usr /usr\n"
    strategy = strategies.parse("s", _write(tmp_path, "s", text), literal=True)
    assert strategy.base_kinds == ("full", f"image:{image}") and strategy.base_kind == f"image:{image}"
    assert strategy.rewritten is not None and f"FROM {image}\n" in strategy.rewritten


#: every FROM form users write: (Dockerfile, build args, kinds, Python named, what was asked, FROM lines rewritten)
FROM_FORMS = [
    pytest.param(
        "ARG PYTHON_VERSION=3.11\nFROM python:${PYTHON_VERSION}-slim as base\n",
        {},
        ("slim",),
        "3.11",
        "python:3.11-slim",
        ["FROM ${PYTHON_SLIM_IMAGE} as base"],
        id="docker-init-template",
    ),
    pytest.param(
        "ARG PYTHON_VERSION=3.11\nARG BASE_IMAGE=python:${PYTHON_VERSION}-slim\nFROM ${BASE_IMAGE} AS builder\n"
        "FROM ${BASE_IMAGE} AS runtime\n",
        {},
        ("slim",),
        "3.11",
        "python:3.11-slim",
        ["FROM ${PYTHON_SLIM_IMAGE} AS builder", "FROM ${PYTHON_SLIM_IMAGE} AS runtime"],
        id="nested-base-image-arg",
    ),
    pytest.param(
        "ARG PYTHON_VERSION=3.11\nARG BASE_IMAGE=python:${PYTHON_VERSION}-slim\nFROM ${BASE_IMAGE}\n",
        {"PYTHON_VERSION": "3.13"},
        ("slim",),
        "3.13",
        "python:3.13-slim",
        ["FROM ${PYTHON_SLIM_IMAGE}"],
        id="build-args-override",
    ),
    pytest.param(
        "FROM python:3.11.9-slim-bookworm\n",
        {},
        ("slim",),
        "3.11",
        "python:3.11.9-slim-bookworm",
        ["FROM ${PYTHON_SLIM_IMAGE}"],
        id="pinned-with-release",
    ),
    pytest.param(
        "FROM python:3.13-slim-trixie\n",
        {},
        ("slim",),
        "3.13",
        "python:3.13-slim-trixie",
        ["FROM ${PYTHON_SLIM_IMAGE}"],
        id="trixie",
    ),
    pytest.param(
        "FROM python:3.9-bullseye\n",
        {},
        ("full",),
        "3.9",
        "python:3.9-bullseye",
        ["FROM ${PYTHON_IMAGE}"],
        id="full-with-release",
    ),
    pytest.param(
        "FROM python:3.13.0rc2-slim\n",
        {},
        ("slim",),
        "3.13",
        "python:3.13.0rc2-slim",
        ["FROM ${PYTHON_SLIM_IMAGE}"],
        id="release-candidate",
    ),
    pytest.param(
        "FROM python:slim\n", {}, ("slim",), None, "python:slim", ["FROM ${PYTHON_SLIM_IMAGE}"], id="floating-slim"
    ),
    pytest.param("FROM python:3\n", {}, ("full",), None, "python:3", ["FROM ${PYTHON_IMAGE}"], id="floating-major"),
    pytest.param("FROM python\n", {}, ("full",), None, "python", ["FROM ${PYTHON_IMAGE}"], id="no-tag"),
    pytest.param("FROM python:latest\n", {}, ("full",), None, "python:latest", ["FROM ${PYTHON_IMAGE}"], id="latest"),
    pytest.param(
        "FROM --platform=$BUILDPLATFORM python:3.11-slim AS build\nFROM python:3.11-slim\nCOPY --from=build /a /a\n",
        {},
        ("slim",),
        "3.11",
        "python:3.11-slim",
        ["FROM --platform=$BUILDPLATFORM ${PYTHON_SLIM_IMAGE} AS build", "FROM ${PYTHON_SLIM_IMAGE}"],
        id="platform-flag-kept",
    ),
    pytest.param(
        "FROM python:3.11-slim@sha256:" + "0" * 64 + "\n",
        {},
        ("slim",),
        "3.11",
        "python:3.11-slim@sha256:" + "0" * 64,
        ["FROM ${PYTHON_SLIM_IMAGE}"],
        id="digest",
    ),
    pytest.param(
        "FROM docker.io/library/python:3.11 AS b\nFROM b\n",
        {},
        ("full",),
        "3.11",
        "docker.io/library/python:3.11",
        ["FROM ${PYTHON_IMAGE} AS b", "FROM b"],
        id="registry-prefix",
    ),
    pytest.param(
        "FROM python:3.11-alpine3.20\n",
        {},
        ("alpine",),
        "3.11",
        "python:3.11-alpine3.20",
        ["FROM ${PYTHON_ALPINE_IMAGE}"],
        id="alpine-release",
    ),
    pytest.param(
        "ARG BASE=ubuntu:24.04\nFROM python:3.11 AS build\nFROM ${BASE}\n",
        {},
        ("full", "image:ubuntu:24.04"),
        "3.11",
        "python:3.11; ubuntu:24.04",
        ["FROM ${PYTHON_IMAGE} AS build", "FROM ${BASE}"],
        id="another-image-through-an-arg",
    ),
]


@pytest.mark.parametrize(("text", "build_args", "kinds", "python", "asked", "froms"), FROM_FORMS)
def test_every_from_form_users_write(
    tmp_path: Path,
    text: str,
    build_args: dict[str, str],
    kinds: tuple[str, ...],
    python: str | None,
    asked: str,
    froms: list[str],
) -> None:
    strategy = strategies.parse("s", _write(tmp_path, "s", text), literal=True, build_args=build_args)
    assert (strategy.base_kinds, strategy.literal_python, strategy.base_asked) == (kinds, python, asked)
    assert strategy.rewritten is not None
    assert [line for line in strategy.rewritten.splitlines() if line.upper().startswith("FROM")] == froms


def test_a_projects_build_args_reach_its_from_lines(tmp_path: Path) -> None:
    path = _write(tmp_path, "s", "ARG PYTHON_VERSION=3.11\nFROM python:${PYTHON_VERSION}-slim\n")
    strategy = strategies.from_project(ProjectStrategy("current", path, build_args={"PYTHON_VERSION": "3.9"}))
    assert (strategy.literal_python, strategy.base_asked, strategy.build_args) == (
        "3.9",
        "python:3.9-slim",
        {"PYTHON_VERSION": "3.9"},
    )
