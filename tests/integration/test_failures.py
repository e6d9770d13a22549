"""Bad input and broken images: each gives one clear error or a recorded failure, and loses nothing."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import docker
import pandas as pd
import pytest

import imgexp

from ..helpers import REPO, imgexp_run
from .engines import DedicatedEngine, dedicated_engine

SLIM = (REPO / "dockerfiles" / "Dockerfile.slim").read_text()


def _dockerfiles(folder: Path, **strategies_text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in strategies_text.items():
        (folder / f"Dockerfile.{name.replace('_', '-')}").write_text(text)
    return folder


def _run_one(tmp_path: Path, requirements: Path, ca_bundle: str, name: str, steps: str) -> pd.DataFrame:
    """imgexp.run of one strategy: the write-up's slim, then ``steps``."""
    folder = _dockerfiles(tmp_path / "dockerfiles", **{name: SLIM + steps})
    return imgexp.run(
        requirements=requirements,
        strategies=[name],
        out=tmp_path / "out",
        dockerfiles=folder,
        ca_bundle=ca_bundle,
        progress=False,
    )


#: a RUN step that compiles a C file including a header that is nowhere: gcc's own words say so
COMPILE = (
    "# imgexp.description: Compiles a C file that includes a header that does not exist.\n"
    "ARG PYTHON_IMAGE=python:3.11\nFROM ${PYTHON_IMAGE}\n"
    "RUN printf '#include <stdio.h>\\n#include <imgexp_missing.h>\\nint main(void) { return 0; }\\n' > /probe.c"
    ' && echo "compiling probe.c" && gcc -c /probe.c -o /probe.o\n'
)
GCC_SAYS = "/probe.c:2:10: fatal error: imgexp_missing.h: No such file or directory"


@pytest.mark.parametrize("builder", ["buildkit", "classic"])
def test_a_failed_build_is_a_row_quoting_the_compiler_and_the_others_run(
    tmp_path: Path, small_requirements: Path, writeup_ca: str, builder: str
) -> None:
    folder = _dockerfiles(tmp_path / "dockerfiles", slim=SLIM, compile=COMPILE, after=SLIM + f"RUN echo {builder}\n")
    out = tmp_path / "out"
    command = imgexp_run(
        small_requirements, "slim,compile,after", out, "--dockerfiles", str(folder), "--ca-bundle", writeup_ca,
        "--builder", builder, "--quiet",
    )  # fmt: skip
    done = subprocess.run(command, capture_output=True, text=True)
    assert done.returncode == 3, done.stderr  # a strategy failed to build: cli.EXIT_FAILED
    results = pd.read_csv(out / "results.csv")
    assert results["strategy"].tolist() == ["slim", "compile", "after"]
    assert results["status"].tolist() == ["ok", "failed", "ok"] and results["verified"].tolist() == [True, False, True]
    reason = results.loc[1, "reason"].splitlines()
    assert reason[0].startswith("build failed at ") and "RUN printf" in reason[0] and "exit code: 1" in reason[0]
    assert GCC_SAYS in reason  # the compiler's own line, on a line of its own
    assert reason[-1] == "the whole build log: logs/compile.log" and results.loc[1, "build_log"] == "logs/compile.log"
    assert not any(">>>" in line or "failed to solve" in line or "Dockerfile:" in line for line in reason)
    log = (out / "logs" / "compile.log").read_text()
    assert GCC_SAYS in log and "compiling probe.c" in log
    assert (out / "logs" / "slim.log").is_file()  # every build's log is kept
    assert "[compile] failed after " in done.stderr and GCC_SAYS in done.stderr  # the terminal shows it
    assert "[slim] ok: " in done.stderr and "[after] ok: " in done.stderr  # a line per finished strategy
    assert "FAILED" in done.stdout and GCC_SAYS in done.stdout  # the table too
    assert "Traceback" not in done.stderr
    rows = json.loads((out / "results.json").read_text())["rows"]
    assert [r["status"] for r in rows] == ["ok", "failed", "ok"]

    again = subprocess.run(command, capture_output=True, text=True)  # unchanged: the failure is not built again
    assert again.returncode == 3, again.stderr
    rerun = pd.read_csv(out / "results.csv")
    assert rerun["reused"].tolist() == [True, True, True] and rerun.loc[1, "reason"] == results.loc[1, "reason"]
    assert "[compile] failed (unchanged since" in again.stderr


def test_a_failed_step_that_names_no_error_quotes_its_last_lines(
    tmp_path: Path, small_requirements: Path, writeup_ca: str
) -> None:
    results = _run_one(
        tmp_path, small_requirements, writeup_ca, "broken", 'RUN echo "about to fail on purpose" && exit 3\n'
    )
    reason = results.loc[0, "reason"].splitlines()
    assert results.loc[0, "status"] == "failed" and "exit code: 3" in reason[0] and 'RUN echo "about' in reason[0]
    assert reason[1:] == ["about to fail on purpose", "the whole build log: logs/broken.log"]


def test_requirement_not_on_the_index_is_a_failed_row_quoting_pip(tmp_path: Path) -> None:
    requirements = tmp_path / "requirements.txt"
    requirements.write_text("python-dateutil\nimgexp-no-such-distribution-3f9a\n")
    results = imgexp.run(requirements=requirements, strategies=["slim"], out=tmp_path / "out", progress=False)
    row = results.iloc[0]
    assert row["status"] == "failed"
    assert "pip found no distribution for 'imgexp-no-such-distribution-3f9a'" in row["reason"]
    assert "ERROR: No matching distribution found for imgexp-no-such-distribution-3f9a" in row["reason"].splitlines()


def test_an_image_whose_import_fails_is_a_recorded_result(
    tmp_path: Path, small_requirements: Path, writeup_ca: str
) -> None:
    broken_import = (
        "RUN for init in /opt/$VENV_NAME/lib/python3*/site-packages/dateutil/__init__.py; do "
        "echo 'raise ImportError(\"broken on purpose by the test\")' > $init; done\n"
    )
    results = _run_one(tmp_path, small_requirements, writeup_ca, "broken-import", broken_import)
    row = results.iloc[0]
    assert row["status"] == "ok" and not row["verified"]
    assert "python-dateutil: import dateutil: ImportError: broken on purpose by the test" in row["verify_error"]


def test_no_standin_for_a_python_version_names_the_versions_on_offer(tmp_path: Path, small_requirements: Path) -> None:
    with pytest.raises(imgexp.NoStandinForPython) as caught:
        imgexp.run(requirements=small_requirements, python="3.10", base_source="standin", out=tmp_path, progress=False)
    assert "3.10" in str(caught.value) and "3.11" in str(caught.value)


def test_an_interrupted_run_keeps_finished_rows_and_resumes(
    tmp_path: Path, small_requirements: Path, writeup_ca: str
) -> None:
    folder = _dockerfiles(
        tmp_path / "dockerfiles",
        slim=SLIM,
        slow=SLIM + f"RUN echo {tmp_path.name} && sleep 30\n",
    )
    out = tmp_path / "out"
    command = imgexp_run(
        small_requirements, "slim,slow", out, "--dockerfiles", str(folder), "--ca-bundle", writeup_ca, "--quiet"
    )
    # SIGINT as a terminal's Ctrl-C delivers it, even where this test runs with SIGINT ignored (a background
    # job of a shell without job control): Python turns it into KeyboardInterrupt only if it is not ignored
    process = subprocess.Popen(
        command,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    _wait_for(process, f"{tmp_path.name} && sleep 30")  # inside the slow build, slim's row written
    assert (out / "rows" / "slim.json").exists()
    process.send_signal(signal.SIGINT)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 130, stderr
    assert "run the same command again to resume" in stderr
    kept = pd.read_csv(out / "results.csv")
    assert kept["strategy"].tolist() == ["slim"]
    assert not (out / "rows" / "slow.json").exists()

    resumed = subprocess.run(command, capture_output=True, text=True)
    assert resumed.returncode == 0, resumed.stderr
    final = pd.read_csv(out / "results.csv")
    assert final["strategy"].tolist() == ["slim", "slow"]
    assert final["reused"].tolist() == [True, False]
    assert final.loc[0, "image_id"] == kept.loc[0, "image_id"]


@pytest.fixture
def writeup_ca(writeup_run: tuple[Path, pd.DataFrame], marker_ca_bundle: tuple[Path, bytes]) -> str:
    """The CA bundle of the session's write-up run (built first), so these builds share its cache."""
    return str(marker_ca_bundle[0])


def test_an_unknown_kind_of_base_is_one_clear_error() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "imgexp", "bases", "--kinds", "tiny"], capture_output=True, text=True, check=False
    )
    assert done.returncode == 1
    assert done.stderr.strip() == "imgexp: error: Unknown kind of base 'tiny': --kinds takes full, slim, alpine"


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory, client: docker.DockerClient) -> Iterator[DedicatedEngine]:
    with dedicated_engine(tmp_path_factory.mktemp("engine"), client) as started:
        yield started


def _wait_for(process: subprocess.Popen[str], running: str) -> None:
    """Wait (up to 5 min) until a process whose command line holds ``running`` runs on this host.

    Build steps of both builders and verification containers all run as host processes
    (BuildKit's steps are no containers the Engine API lists).
    """
    deadline = time.monotonic() + 300
    while subprocess.run(["pgrep", "-f", running], capture_output=True).returncode != 0:
        assert process.poll() is None, process.communicate()
        assert time.monotonic() < deadline
        time.sleep(0.2)


@pytest.mark.parametrize("builder", ["buildkit", "classic"])
def test_an_engine_stopping_mid_build_is_named_as_such_and_the_run_resumes(
    engine: DedicatedEngine, tmp_path: Path, small_requirements: Path, builder: str
) -> None:
    """The engine stops as `systemctl stop docker` stops it, during a RUN step, which then ends with code 137.

    A dedicated engine (tests/integration/engines.py): stopping the shared one would break every other build on it.
    The engine gives the step's container 10 s to stop before it kills it, so the step sleeps longer than that.
    """
    slow_step = f"RUN echo {tmp_path.name} && sleep 15"
    folder = _dockerfiles(tmp_path / "dockerfiles", slim=SLIM, slow=f"{SLIM}{slow_step}\n")
    out = tmp_path / "out"
    command = imgexp_run(
        small_requirements, "slim,slow", out, "--dockerfiles", str(folder), "--base-source", "standin", "--quiet",
        "--builder", builder,
    )  # fmt: skip
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=engine.env)
    _wait_for(process, f"{tmp_path.name} && sleep 15")
    engine.stop()
    _, stderr = process.communicate(timeout=120)
    assert process.returncode == 1, stderr
    assert stderr.splitlines()[0].startswith("[slim] ok: "), stderr  # the strategy finished before it
    assert stderr.splitlines()[1].startswith(
        f"imgexp: error: The Docker engine at {engine.host} stopped answering while building strategy 'slow' "
    ), stderr  # a run-level error, not a failed row
    assert f'{slow_step}" (a ping gets no answer), so that step did not fail on its own' in stderr
    assert "finished before it are kept" in stderr and "run the same command" in stderr
    assert "non-zero code" not in stderr and "Traceback" not in stderr
    assert pd.read_csv(out / "results.csv")["strategy"].tolist() == ["slim"]

    engine.start()
    resumed = subprocess.run(command, capture_output=True, text=True, env=engine.env)
    assert resumed.returncode == 0, resumed.stderr
    final = pd.read_csv(out / "results.csv")
    assert final["strategy"].tolist() == ["slim", "slow"] and final["reused"].tolist() == [True, False]


def test_an_engine_stopping_while_an_image_is_verified_is_named_as_such(
    engine: DedicatedEngine, tmp_path: Path
) -> None:
    """A project's verify command sleeps; the engine stops under it: one error, no traceback, earlier rows kept."""
    (tmp_path / "Dockerfile").write_text(f"FROM python:3.11-slim\nRUN echo {tmp_path.name}\n")
    (tmp_path / "imgexp.toml").write_text(
        '[[strategy]]\nname = "current"\ndockerfile = "Dockerfile"\n\n'
        f'[verify]\ncommands = ["sleep 40 # {tmp_path.name}"]\ntimeout = 120\nimports = false\n'
    )
    command = [sys.executable, "-m", "imgexp", "run", "--project", str(tmp_path), "--base-source", "standin", "--quiet"]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=engine.env)
    _wait_for(process, f"sleep 40 # {tmp_path.name}")
    engine.stop()
    try:
        _, stderr = process.communicate(timeout=120)
    finally:
        engine.start()
    assert process.returncode == 1, stderr
    assert stderr.startswith(
        f"imgexp: error: The Docker engine at {engine.host} stopped answering while building strategy 'current' "
        'at "checking, verifying or measuring its image"'
    ), stderr
    assert "Traceback" not in stderr
