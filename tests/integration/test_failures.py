"""Bad input and broken images: each gives one clear error or a recorded failure, and loses nothing."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

import imgexp
from imgexp.engine.client import connect
from imgexp.paths import DEFAULT_DOCKERFILES

from ..helpers import REPO

SLIM = (REPO / "dockerfiles" / "Dockerfile.slim").read_text()


def _dockerfiles(folder: Path, **strategies_text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in strategies_text.items():
        (folder / f"Dockerfile.{name.replace('_', '-')}").write_text(text)
    return folder


def test_missing_dockerfile_names_the_file_and_the_choices(tmp_path: Path, small_requirements: Path) -> None:
    with pytest.raises(imgexp.StrategyNotFound) as caught:
        imgexp.run(requirements=small_requirements, strategy_names=["nope"], out=tmp_path, progress=False)
    message = str(caught.value)
    assert str(DEFAULT_DOCKERFILES / "Dockerfile.nope") in message
    assert "base, slim, multi-stage" in message


def test_missing_requirements_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(imgexp.RequirementsNotFound, match="does-not-exist.txt"):
        imgexp.run(requirements=tmp_path / "does-not-exist.txt", out=tmp_path, progress=False)


def test_no_engine_reachable_names_the_address_and_the_fix(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    host = f"unix://{tmp_path}/no-engine.sock"
    monkeypatch.setenv("DOCKER_HOST", host)
    with pytest.raises(imgexp.EngineUnavailable) as caught:
        connect()
    assert caught.value.docker_host == host
    assert host in str(caught.value) and "dockerd" in str(caught.value)
    done = subprocess.run(
        [sys.executable, "-m", "imgexp", "run", "--out", str(tmp_path)],
        capture_output=True, text=True, env={**os.environ, "DOCKER_HOST": host},
    )
    assert done.returncode == 1
    assert done.stderr.startswith("imgexp: error: No Docker engine answered at " + host)
    assert "Traceback" not in done.stderr


def test_failing_run_step_names_strategy_step_and_log_and_keeps_earlier_rows(
    tmp_path: Path, small_requirements: Path, writeup_run
) -> None:
    folder = _dockerfiles(
        tmp_path / "dockerfiles",
        slim=SLIM,
        broken=SLIM + 'RUN echo "about to fail on purpose" && exit 3\n',
    )
    out = tmp_path / "out"
    with pytest.raises(imgexp.BuildFailed) as caught:
        imgexp.run(requirements=small_requirements, strategy_names=["slim", "broken"], out=out,
                   dockerfiles=folder, ca_bundle=writeup_run_ca(writeup_run), progress=False)
    error = caught.value
    assert error.strategy == "broken"
    assert "RUN echo" in error.step and "exit 3" in error.step
    assert "about to fail on purpose" in error.log_tail
    assert "returned a non-zero code: 3" in str(error)
    kept = pd.read_csv(out / "results.csv")
    assert kept["strategy"].tolist() == ["slim"] and kept["verified"].all()


def test_requirement_not_on_the_index_is_named(tmp_path: Path) -> None:
    requirements = tmp_path / "requirements.txt"
    requirements.write_text("python-dateutil\nimgexp-no-such-distribution-3f9a\n")
    with pytest.raises(imgexp.RequirementNotOnIndex) as caught:
        imgexp.run(requirements=requirements, strategy_names=["slim"], out=tmp_path / "out", progress=False)
    assert caught.value.requirement == "imgexp-no-such-distribution-3f9a"
    assert caught.value.strategy == "slim"
    assert "imgexp-no-such-distribution-3f9a" in str(caught.value)


def test_an_image_whose_import_fails_is_a_recorded_result(tmp_path: Path, small_requirements: Path, writeup_run) -> None:
    broken_import = (
        "RUN for init in /opt/$VENV_NAME/lib/python3*/site-packages/dateutil/__init__.py; do "
        "echo 'raise ImportError(\"broken on purpose by the test\")' > $init; done\n"
    )
    folder = _dockerfiles(tmp_path / "dockerfiles", broken_import=SLIM + broken_import)
    results = imgexp.run(requirements=small_requirements, strategy_names=["broken-import"], out=tmp_path / "out",
                         dockerfiles=folder, ca_bundle=writeup_run_ca(writeup_run), progress=False)
    row = results.iloc[0]
    assert row["status"] == "ok" and not row["verified"]
    assert "python-dateutil: import dateutil: ImportError: broken on purpose by the test" in row["verify_error"]


def test_no_standin_for_a_python_version_names_the_versions_on_offer(tmp_path: Path, small_requirements: Path) -> None:
    with pytest.raises(imgexp.NoStandinForPython) as caught:
        imgexp.run(requirements=small_requirements, python="3.10", base_source="standin", out=tmp_path, progress=False)
    assert "3.10" in str(caught.value) and "3.11" in str(caught.value)


def test_an_interrupted_run_keeps_finished_rows_and_resumes(tmp_path: Path, small_requirements: Path, writeup_run) -> None:
    folder = _dockerfiles(
        tmp_path / "dockerfiles",
        slim=SLIM,
        slow=SLIM + f"RUN echo {tmp_path.name} && sleep 8\n",
    )
    out = tmp_path / "out"
    command = [sys.executable, "-m", "imgexp", "run", "--requirements", str(small_requirements),
               "--strategies", "slim,slow", "--out", str(out), "--dockerfiles", str(folder),
               "--ca-bundle", str(writeup_run_ca(writeup_run)), "--quiet"]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 300
    while not (out / "rows" / "slim.json").exists():
        assert process.poll() is None, process.communicate()
        assert time.monotonic() < deadline
        time.sleep(0.2)
    time.sleep(2)  # now inside the slow build
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


def writeup_run_ca(writeup_run) -> str:
    """The CA bundle of the session's write-up run, so these builds share its cache."""
    out, _ = writeup_run
    return json.loads((out / "results.json").read_text())["provenance"]["ca_bundle"]



def test_a_missing_strategy_folder_names_it_and_the_fix(tmp_path: Path, small_requirements: Path) -> None:
    with pytest.raises(imgexp.DockerfilesNotFound) as caught:
        imgexp.run(requirements=small_requirements, out=tmp_path, dockerfiles=tmp_path / "nope", progress=False)
    assert str(tmp_path / "nope") in str(caught.value) and "pip install -e ." in str(caught.value)


def test_a_missing_ca_bundle_names_it_and_where_it_came_from(
    tmp_path: Path, small_requirements: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("IMGEXP_CA_BUNDLE", str(tmp_path / "gone.pem"))
    with pytest.raises(imgexp.CaBundleNotFound) as caught:
        imgexp.run(requirements=small_requirements, out=tmp_path, progress=False)
    assert caught.value.path == str(tmp_path / "gone.pem")
    assert caught.value.source == "IMGEXP_CA_BUNDLE"


def test_an_unknown_kind_of_base_is_one_clear_error() -> None:
    done = subprocess.run([sys.executable, "-m", "imgexp", "bases", "--kinds", "tiny"],
                          capture_output=True, text=True, check=False)
    assert done.returncode == 1
    assert done.stderr.strip() == "imgexp: error: Unknown kind of base 'tiny': --kinds takes full, slim, alpine"


def test_a_missing_libarchive_names_the_library_and_how_to_install_it() -> None:
    """LIBARCHIVE pointing nowhere is how libarchive-c fails on a machine without the C library."""
    done = subprocess.run([sys.executable, "-c", "import imgexp"], capture_output=True, text=True, check=False,
                          env={**os.environ, "LIBARCHIVE": "/nonexistent/libarchive.so"})
    assert done.returncode == 1
    last = done.stderr.strip().splitlines()[-1]
    assert last.startswith("ImportError: imgexp reads layers with libarchive")
    assert "apt-get install libarchive13" in last and "LIBARCHIVE" in last
