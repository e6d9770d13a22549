"""Bad input and broken images: each gives one clear error or a recorded failure, and loses nothing."""

from __future__ import annotations

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


def test_failing_run_step_names_strategy_step_and_log_and_keeps_earlier_rows(
    tmp_path: Path, small_requirements: Path, writeup_ca: str
) -> None:
    folder = _dockerfiles(
        tmp_path / "dockerfiles",
        slim=SLIM,
        broken=SLIM + 'RUN echo "about to fail on purpose" && exit 3\n',
    )
    out = tmp_path / "out"
    with pytest.raises(imgexp.BuildFailed) as caught:
        imgexp.run(
            requirements=small_requirements,
            strategies=["slim", "broken"],
            out=out,
            dockerfiles=folder,
            ca_bundle=writeup_ca,
            progress=False,
        )
    error = caught.value
    assert error.strategy == "broken"
    assert "RUN echo" in error.step and "exit 3" in error.step
    assert "about to fail on purpose" in error.log_tail
    assert "exit code: 3" in str(error)  # BuildKit's words (the classic builder's: "returned a non-zero code: 3")
    kept = pd.read_csv(out / "results.csv")
    assert kept["strategy"].tolist() == ["slim"] and kept["verified"].all()


def test_requirement_not_on_the_index_is_named(tmp_path: Path) -> None:
    requirements = tmp_path / "requirements.txt"
    requirements.write_text("python-dateutil\nimgexp-no-such-distribution-3f9a\n")
    with pytest.raises(imgexp.RequirementNotOnIndex) as caught:
        imgexp.run(requirements=requirements, strategies=["slim"], out=tmp_path / "out", progress=False)
    assert caught.value.requirement == "imgexp-no-such-distribution-3f9a"
    assert caught.value.strategy == "slim"
    assert "imgexp-no-such-distribution-3f9a" in str(caught.value)


def test_an_image_whose_import_fails_is_a_recorded_result(
    tmp_path: Path, small_requirements: Path, writeup_ca: str
) -> None:
    broken_import = (
        "RUN for init in /opt/$VENV_NAME/lib/python3*/site-packages/dateutil/__init__.py; do "
        "echo 'raise ImportError(\"broken on purpose by the test\")' > $init; done\n"
    )
    folder = _dockerfiles(tmp_path / "dockerfiles", broken_import=SLIM + broken_import)
    results = imgexp.run(
        requirements=small_requirements,
        strategies=["broken-import"],
        out=tmp_path / "out",
        dockerfiles=folder,
        ca_bundle=writeup_ca,
        progress=False,
    )
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
    assert stderr.startswith(
        f"imgexp: error: The Docker engine at {engine.host} stopped answering while building strategy 'slow' "
    ), stderr
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
