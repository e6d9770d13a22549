"""Reading a build's log, on a fake engine: which images it made, and what stopped it.

tests/integration/test_failures.py stops a real engine (SIGTERM) in the middle of a build;
here the log is scripted, to cover what a real engine does rarely on cue: the connection
breaking mid-stream (a killed engine), and a failing step while the engine still answers.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any, cast

import docker
import pytest
import requests
import urllib3
from docker.errors import ImageNotFound

from imgexp.engine.build import BuildOutcome, BuildRequest, _events, build_image
from imgexp.engine.cleanup import Ledger
from imgexp.engine.context import BuildContext
from imgexp.errors import BuildFailed, EngineStopped

BASE, CACHED, MADE, FINAL, OLD = "77d5bde40d06", "069d7ae668e2", "8008f926563a", "cb873237be2c", "95d2bbcec2fd"
LOG = [
    "Step 1/4 : FROM imgexp/python-standin:3.11-slim",
    f" ---> {BASE}",
    "Step 2/4 : RUN mkdir requirements",
    " ---> Using cache",
    f" ---> {CACHED}",
    "Step 3/4 : RUN pip install -r requirements.txt",
    " ---> Running in 4f59f6b3aae8",
    "Collecting six",
    "Removing intermediate container 4f59f6b3aae8",
    f" ---> {MADE}",
    "Step 4/4 : LABEL imgexp.strategy=slim",
    " ---> Running in 97864ef16b9d",
    f" ---> {FINAL}",
    f"Successfully built {FINAL}",
    "Successfully tagged imgexp/slim:test",
]


class FakeEngine:
    """Answers what build_image asks: its log, then the tag's image; pings only while ``answering``."""

    def __init__(self, log: list[str], end: BaseException | dict[str, str] | None = None, answering: bool = True):
        self.tagged = OLD
        self.api = SimpleNamespace(
            base_url="http+docker://localhost", build=lambda **_: self._log(log, end), get=self._ping
        )
        self.images = SimpleNamespace(get=self._image)
        self.answering = answering

    def info(self) -> dict[str, str]:
        return {"ID": "FAKE:ENGINE"}

    def _log(self, log: list[str], end: BaseException | dict[str, str] | None) -> Iterator[dict[str, Any]]:
        yield from ({"stream": line + "\n"} for line in log)
        if isinstance(end, BaseException):
            raise end
        if end:
            yield end
        self.tagged = FINAL

    def _image(self, tag: str) -> SimpleNamespace:
        if not self.tagged:
            raise ImageNotFound(tag)
        return SimpleNamespace(id=f"sha256:{self.tagged}{'0' * 52}")

    def _ping(self, url: str, timeout: float) -> SimpleNamespace:
        if not self.answering:
            raise requests.ConnectionError("('Connection aborted.', FileNotFoundError(2, 'No such file or directory'))")
        return SimpleNamespace(ok=True)


@pytest.fixture(autouse=True)
def ledger_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path))


def _build(engine: FakeEngine) -> BuildOutcome:
    request = BuildRequest("slim", BuildContext(b"", ""), "imgexp/slim:test")
    return build_image(cast(docker.DockerClient, engine), request)


def _recorded(engine: FakeEngine) -> set[str]:
    return Ledger.of(cast(docker.DockerClient, engine)).ids()


def test_the_ledger_holds_the_images_the_build_made_and_the_one_it_took_its_tag_from() -> None:
    engine = FakeEngine(LOG)
    outcome = _build(engine)
    assert outcome.image_id.startswith(f"sha256:{FINAL}")
    assert (outcome.steps, outcome.cached_steps, outcome.ran_steps) == (4, 1, 2)  # FROM, a cached step, two that ran
    assert _recorded(engine) == {MADE, FINAL, OLD}  # not the base (FROM), not the cached step's


def test_a_connection_broken_mid_build_is_the_engine_stopping() -> None:
    broken = urllib3.exceptions.ProtocolError("Connection broken: IncompleteRead(0 bytes read)")
    engine = FakeEngine(LOG[:8], end=broken, answering=False)
    with pytest.raises(EngineStopped) as caught:
        _build(engine)
    assert caught.value.strategy == "slim" and caught.value.step == "Step 3/4 : RUN pip install -r requirements.txt"
    assert "IncompleteRead" in caught.value.reason
    assert _recorded(engine) == set()


@pytest.mark.parametrize("answering", [True, False])
def test_a_step_killed_as_the_engine_stops_is_not_the_steps_failure(answering: bool) -> None:
    killed = {"error": "The command '/bin/sh -c pip install -r requirements.txt' returned a non-zero code: 137"}
    engine = FakeEngine(LOG[:8], end=killed, answering=answering)
    with pytest.raises(BuildFailed if answering else EngineStopped) as caught:
        _build(engine)
    assert "Step 3/4 : RUN pip install -r requirements.txt" in str(caught.value)
    assert ("non-zero code: 137" in str(caught.value)) == answering


def test_a_log_ending_before_the_image_was_built_is_no_build() -> None:
    engine = FakeEngine(LOG[:10], answering=False)
    with pytest.raises(EngineStopped):
        _build(engine)
    assert _recorded(engine) == {MADE}


def test_a_failing_step_quotes_its_own_output_and_keeps_the_whole_log() -> None:
    """The classic builder wraps a step's stderr in colours; the reason quotes the step's lines without them."""
    output = ["Collecting six", "\x1b[91mERROR: No matching distribution found for imgexp-no-such-3f9a", "\x1b[0m"]
    failed = {"error": "The command '/bin/sh -c pip install -r requirements.txt' returned a non-zero code: 1"}
    engine = FakeEngine(LOG[:7] + output, end=failed)
    with pytest.raises(BuildFailed) as caught:
        _build(engine)
    assert caught.value.said == ("ERROR: No matching distribution found for imgexp-no-such-3f9a",)
    assert caught.value.step == "Step 3/4 : RUN pip install -r requirements.txt"
    assert caught.value.log.startswith("Step 1/4 : FROM ") and "\x1b" not in caught.value.log
    assert caught.value.log.endswith(f"ERROR: {failed['error']}\n")


def test_the_engines_log_is_read_in_whole_lines() -> None:
    """The Engine API sends a step's line and its newline apart, and a long line in pieces."""
    chunks = [{"stream": "Step 1/2 : FROM x"}, {"stream": "\n"}, {"stream": "Coll"}, {"stream": "ecting six\n\nok"}]
    chunks += [{"error": "The command '/bin/sh -c x' returned a non-zero code: 1\n"}]
    assert list(_events(chunks)) == [
        ("line", "Step 1/2 : FROM x"),
        ("line", "Collecting six"),
        ("line", ""),
        ("line", "ok"),
        ("error", "The command '/bin/sh -c x' returned a non-zero code: 1"),
    ]
