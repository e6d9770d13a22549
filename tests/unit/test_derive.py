"""imgexp.derive without an engine: the builder stage, the written Dockerfile, completeness, ELF, the definition."""

from __future__ import annotations

import sys
from dataclasses import replace
from pathlib import Path

import pandas as pd
import pytest

from imgexp.attribution import smallest_working
from imgexp.derive.complete import completeness
from imgexp.derive.elfdeps import read_dynamic
from imgexp.derive.holdings import Config, read_config
from imgexp.derive.plan import BUILDER, Copy, Plan
from imgexp.derive.render import builder_text, render
from imgexp.errors import InvalidProject
from imgexp.init import init_project
from imgexp.project import load_project
from imgexp.report.labels import waterfall_steps
from imgexp.results import results_frame


@pytest.mark.parametrize(
    ("dockerfile", "name", "last_from"),
    [
        ("FROM python:3.11\nRUN true\n", BUILDER, f"FROM python:3.11 AS {BUILDER}"),
        ("FROM python:3.11 AS build\nFROM python:3.11-slim AS app\n", "app", "FROM python:3.11-slim AS app"),
        (
            "ARG V=3.11\nFROM --platform=$BUILDPLATFORM python:${V}\n",
            BUILDER,
            f"FROM --platform=$BUILDPLATFORM python:${{V}} AS {BUILDER}",
        ),
        (  # a heredoc's FROM line is no stage: BuildKit's parser says which lines are
            "FROM python:3.11\nRUN <<EOF\ncat > notes <<NOTES\nFROM here\nNOTES\nEOF\n",
            BUILDER,
            f"FROM python:3.11 AS {BUILDER}",
        ),
    ],
)
def test_the_users_final_stage_is_the_builder_named_only_when_unnamed(
    dockerfile: str, name: str, last_from: str
) -> None:
    text, got = builder_text(dockerfile)
    assert got == name
    assert [line for line in text.splitlines() if line.startswith("FROM ")][-1 if "<<" not in text else 0] == last_from


def test_a_strategys_target_stage_is_the_builder_as_it_is() -> None:
    dockerfile = "FROM python:3.11 AS build\nFROM python:3.11-slim AS app\nFROM app AS debug\n"
    assert builder_text(dockerfile, "app") == (dockerfile, "app")


CONFIG = Config(
    env=(("GREETING", "hello"),),
    workdir="/app",
    user="app",
    exposed=("8000/tcp",),
    cmd=("gunicorn", "app:app"),
    labels=(("org.opencontainers.image.title", "greeter"),),
)
PLAN = Plan(
    "multi-stage",
    "python:3.11-slim",
    BUILDER,
    (
        Copy(("/usr/local/lib/python3.11/site-packages",), "the installed distributions: flask==3.1.0"),
        Copy(("/usr/local/bin/flask", "/usr/local/bin/gunicorn"), "their console scripts"),
    ),
    packages=("libpq5",),
    account=("app:x:1000:1000::/home/app:/bin/sh", "app:x:1000:"),
)


@pytest.mark.parametrize(
    "line",
    [
        f"FROM python:3.11 AS {BUILDER}\n",
        "FROM python:3.11-slim\n",
        "RUN apt-get update && apt-get install -y --no-install-recommends libpq5 && rm -rf /var/lib/apt/lists/*\n",
        "# the installed distributions: flask==3.1.0\n"
        f"COPY --from={BUILDER} /usr/local/lib/python3.11/site-packages /usr/local/lib/python3.11/site-packages\n",
        f"COPY --from={BUILDER} /usr/local/bin/flask /usr/local/bin/gunicorn /usr/local/bin/\n",
        "RUN echo app:x:1000:1000::/home/app:/bin/sh >> /etc/passwd && echo app:x:1000: >> /etc/group\n",
        'ENV GREETING="hello"\nWORKDIR /app\nEXPOSE 8000/tcp\n',
        'LABEL "org.opencontainers.image.title"="greeter"\nUSER app\n',
        'CMD ["gunicorn", "app:app"]\n',
    ],
)
def test_a_plan_is_written_as_plain_copies_each_with_why(line: str) -> None:
    assert line in render(PLAN, 'FROM python:3.11\nCMD ["gunicorn", "app:app"]\n', CONFIG)


def test_minimal_makes_the_tmp_folder_scratch_lacks_writable_by_every_user() -> None:
    minimal = replace(PLAN, name="minimal", base="scratch", source=f"{BUILDER}-root", packages=(), removals=True)
    written = render(minimal, 'FROM python:3.11\nCMD ["gunicorn", "app:app"]\n', CONFIG)
    gathered, _, rest = written.partition("| tar -C /imgexp-root -xf -\n")
    assert rest.startswith("# an empty /tmp") and "RUN mkdir -m 1777 /imgexp-root/tmp\n" in rest
    assert "tmp" not in gathered.split("tar -C / -cf -")[1].split()  # the builder's /tmp and its leftovers: not


def test_the_config_leaves_out_what_the_base_sets_alike_and_imgexps_labels() -> None:
    image = {
        "Config": {
            "Env": ["PATH=/x", "LANG=C.UTF-8", "A=1"],
            "Labels": {"imgexp.key": "k", "b": "2", "c": "3"},
            "WorkingDir": "/app",
            "Cmd": ["python"],
        }
    }
    config = read_config(image, {"Env": ["LANG=C.UTF-8", "PATH=/usr/bin"], "Labels": {"c": "3"}})
    assert config.env == (("PATH", "/x"), ("A", "1"))
    assert config.labels == (("b", "2"),)
    assert config.path == "/x"


@pytest.mark.parametrize(
    ("freeze", "files", "complete", "missing"),
    [
        (["a==1", "b==2"], {"/app/big.bin": 2 << 20}, True, ()),
        (["a==1"], {"/app/big.bin": 2 << 20}, False, ("b==2",)),
        (["a==1", "b==3"], {"/app/big.bin": 2 << 20}, False, ("b==2",)),
        (["a==1", "b==2"], {}, False, ("/app/big.bin (2097152 bytes)",)),
    ],
)
def test_complete_means_every_distribution_at_its_version_and_every_large_file(
    freeze: list[str], files: dict[str, int], complete: bool, missing: tuple[str, ...]
) -> None:
    found = completeness(["a==1", "b==2"], freeze, {"/app/big.bin": 2 << 20}, files)
    assert (found.complete, found.missing) == (complete, missing)


def test_an_executable_says_its_loader_and_the_libraries_it_needs() -> None:
    with open(sys.executable, "rb") as file:
        dynamic = read_dynamic(file)
    assert dynamic is not None and dynamic.interpreter and dynamic.interpreter.startswith("/lib")
    assert any(name.startswith("libc.so") for name in dynamic.needed) or "libpython" in " ".join(dynamic.needed)
    with open(__file__, "rb") as file:
        assert read_dynamic(file) is None


@pytest.mark.parametrize(
    ("derive", "says"),
    [('["smallest"]', "smallest is not a derivation"), ('["minimal", "minimal"]', "a name twice")],
)
def test_a_bad_derive_list_is_one_error(tmp_path: Path, derive: str, says: str) -> None:
    (tmp_path / "Dockerfile").write_text("FROM python:3.11\n")
    (tmp_path / "imgexp.toml").write_text(
        f'derive = {derive}\n[[strategy]]\nname = "current"\ndockerfile = "Dockerfile"\n'
    )
    with pytest.raises(InvalidProject, match=says):
        load_project(tmp_path)


def test_init_asks_for_the_derivations_by_default_and_writes_no_template(tmp_path: Path) -> None:
    (tmp_path / "Dockerfile").write_text("FROM python:3.11\n")
    assert init_project(tmp_path) == [tmp_path / "imgexp.toml"]
    assert load_project(tmp_path).derive == ("multi-stage", "distilled", "minimal")


def test_a_run_that_derived_shows_the_waterfall_through_the_derivations() -> None:
    rows = [
        {"strategy": name, "status": "ok", "verified": True, "complete": True, "size_bytes": size}
        for name, size in (("current", 1000), ("multi-stage", 300), ("distilled", 250), ("minimal", 100))
    ]
    steps = waterfall_steps(results_frame(rows, {"baseline": "current"}), "size_bytes")
    assert isinstance(steps, pd.DataFrame)
    assert list(steps["strategy"]) == ["current", "multi-stage", "distilled", "minimal"]
    assert list(steps["delta_bytes"]) == [1000, -700, -50, -150]


def test_an_incomplete_row_is_never_the_smallest_working_one() -> None:
    rows = [
        {"strategy": "current", "status": "ok", "verified": True, "complete": True, "size_bytes": 1000},
        {"strategy": "minimal", "status": "ok", "verified": True, "complete": False, "size_bytes": 100},
    ]
    assert smallest_working(results_frame(rows, {}))["strategy"] == "current"
