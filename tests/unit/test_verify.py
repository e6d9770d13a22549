"""The import check without an engine: the probe run by this interpreter, and markers judged for the image.

``verify_image`` only creates, starts, waits for, reads and removes one container; a stand-in
client that replays a probe report is enough to test how it reads the report and the markers.
"""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import dataclass, field

import pytest
from docker.errors import APIError
from packaging.markers import default_environment

from imgexp.engine.verify import _PROBE, MARKER, verify_image

#: an image's interpreter that is not this one: markers must be judged against it, not the host
IMAGE_ENVIRONMENT = {
    "implementation_name": "cpython",
    "implementation_version": "2.7.18",
    "os_name": "posix",
    "platform_machine": "aarch64",
    "platform_release": "6.1.0",
    "platform_system": "Linux",
    "platform_version": "#1 SMP",
    "python_full_version": "2.7.18",
    "platform_python_implementation": "CPython",
    "python_version": "2.7",
    "sys_platform": "linux",
}


@pytest.fixture(scope="module")
def probe_report() -> dict:
    """The probe's report when this interpreter runs it, as the image's interpreter would."""
    names = ["packaging", "python-dateutil", "imgexp-no-such-distribution"]
    done = subprocess.run(
        [sys.executable, "-c", _PROBE, json.dumps(names)], capture_output=True, text=True, timeout=120, check=True
    )
    lines = [line for line in done.stdout.splitlines() if line.startswith(MARKER)]
    assert len(lines) == 1, done.stdout + done.stderr
    return json.loads(lines[0].removeprefix(MARKER))


def test_the_probe_reports_every_marker_variable_as_packaging_sees_it(probe_report: dict) -> None:
    """packaging fills a missing variable from the host: the probe must give all of them, for the image."""
    assert probe_report["environment"] == default_environment()
    assert probe_report["python"] == sys.version.split()[0]


def test_the_probe_imports_by_module_name_and_names_what_is_missing(probe_report: dict) -> None:
    imports = probe_report["imports"]
    assert imports["packaging"] == {"modules": ["packaging"], "error": None}
    assert imports["python-dateutil"] == {"modules": ["dateutil"], "error": None}
    assert imports["imgexp-no-such-distribution"] == {
        "modules": [],
        "error": "distribution imgexp-no-such-distribution is not installed",
    }
    import packaging

    assert f"packaging=={packaging.__version__}" in probe_report["freeze"]


@dataclass
class _Container:
    stdout: str
    stderr: str = ""
    status: int = 0
    removed: bool = False

    def start(self) -> None:
        pass

    def wait(self, timeout: int) -> dict:
        return {"StatusCode": self.status}

    def logs(self, stdout: bool, stderr: bool) -> bytes:
        return (self.stdout if stdout else self.stderr).encode()

    def remove(self, force: bool) -> None:
        self.removed = True


@dataclass
class _Client:
    """What verify_image uses of docker.DockerClient: ``containers.create``."""

    container: _Container | None
    created: list[dict] = field(default_factory=list)

    @property
    def containers(self) -> _Client:
        return self

    def create(self, image: str, **options: object) -> _Container:
        if self.container is None:
            raise APIError("no such image")
        self.created.append({"image": image, **options})
        return self.container


def _report(imports: dict[str, str | None], environment: dict[str, str] = IMAGE_ENVIRONMENT) -> str:
    body = {
        "python": environment["python_full_version"],
        "environment": environment,
        "imports": {name: {"modules": [name.replace("-", "_")], "error": error} for name, error in imports.items()},
        "freeze": ["a==1"],
    }
    return "some other output\n" + MARKER + json.dumps(body) + "\n"


@pytest.mark.parametrize(
    ("imports", "markers", "verified", "error", "not_applicable"),
    [
        pytest.param({"a": None, "b": None}, None, True, "", (), id="all-import"),
        pytest.param({"a": None, "b": "ImportError: x"}, None, False, "b: ImportError: x", (), id="one-fails"),
        pytest.param(
            {"a": None, "b": "not installed"},
            {"b": ('python_version >= "3"',)},
            True,
            "",
            ("b",),
            id="false-in-the-image-though-true-on-the-host",
        ),
        pytest.param(
            {"a": None, "b": "not installed"},
            {"b": ('python_version < "3"',)},
            False,
            "b: not installed",
            (),
            id="true-in-the-image",
        ),
        pytest.param(
            {"a": None, "b": "boom"},
            {"b": ('sys_platform == "win32"', 'platform_machine == "aarch64"')},
            False,
            "b: boom",
            (),
            id="one-marker-of-several-true",
        ),
        pytest.param(
            {"a": "x", "b": "y"},
            {"a": ('os_name == "nt"',), "b": ('os_name == "nt"',)},
            True,
            "",
            ("a", "b"),
            id="every-requirement-excluded",
        ),
        pytest.param({"a": "first", "b": "second"}, None, False, "a: first; b: second", (), id="errors-joined"),
    ],
)
def test_markers_are_judged_for_the_image(
    imports: dict, markers: dict | None, verified: bool, error: str, not_applicable: tuple
) -> None:
    container = _Container(_report(imports))
    client = _Client(container)
    check = verify_image(client, "sha256:img", "/venv/bin/python", tuple(imports), markers)  # type: ignore[arg-type]
    assert (check.verified, check.error, check.not_applicable) == (verified, error, not_applicable)
    assert set(check.imports) == set(imports) - set(not_applicable)
    assert check.python_version == "2.7.18" and check.freeze == ("a==1",)
    assert container.removed
    created = client.created[0]
    assert created["image"] == "sha256:img" and created["network_disabled"] is True
    assert created["command"][0] == "/venv/bin/python" and json.loads(created["command"][-1]) == list(imports)


@pytest.mark.parametrize(
    ("container", "expected"),
    [
        pytest.param(None, "could not create a container of the image: no such image", id="create-fails"),
        pytest.param(
            _Container("", "exec /venv/bin/python: no such file", status=127),
            "/venv/bin/python exited with 127: exec /venv/bin/python: no such file",
            id="exit-code",
        ),
        pytest.param(_Container("hello\n"), "/venv/bin/python printed no import report: hello", id="no-report"),
    ],
)
def test_a_broken_image_is_an_unverified_result_not_an_exception(container: _Container | None, expected: str) -> None:
    check = verify_image(_Client(container), "img", "/venv/bin/python", ("a",))  # type: ignore[arg-type]
    assert not check.verified
    assert check.error == expected
    if container is not None:
        assert container.removed
