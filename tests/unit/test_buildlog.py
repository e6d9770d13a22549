"""The lines a failed build's reason quotes, read from real logs of both builders.

tests/unit/data/buildlogs/ holds the logs imgexp's builders wrote for real failing builds on
Docker 26.1.5 (BuildKit through buildx 0.13.1, and the classic builder) on 2026-12-03, one
Dockerfile each: a C file including a header that is nowhere (gcc); a pip install of a C
extension on the slim stand-in, which lacks CPython's headers (pythonh: `imgexp run --project`,
the case of issue 16); a pip install of a distribution that does not exist (pipmissing); a pip
install of a package whose C extension does not compile (pipext); an apt install of a package
that does not exist (apt); a command that is not there (shell).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from imgexp.engine.buildlog import buildkit_output, classic_output, exit_code, quoted, the_machines_fault

LOGS = Path(__file__).parent / "data" / "buildlogs"
GCC = "hello.c:2:10: fatal error: imgexp_missing.h: No such file or directory"
NOT_FOUND = "ERROR: No matching distribution found for imgexp-no-such-distribution-3f9a"
EXTENSION = "broken.c:2:10: fatal error: imgexp_missing.h: No such file or directory"
PIP_BLOCK = "\u00d7 python setup.py bdist_wheel did not run successfully."
APT = "Unable to locate package imgexp-no-such-package"
SHELL = "/bin/sh: 1: imgexp-no-such-command: not found"
PYTHON_H = "demo.c:1:10: fatal error: Python.h: No such file or directory"
GCC_FAILED = "error: command '/usr/bin/x86_64-linux-gnu-gcc' failed with exit code 1"


def _said(case: str, builder: str) -> tuple[str, ...]:
    lines = (LOGS / f"{case}.{builder}.log").read_text().splitlines()
    if builder == "buildkit":
        return quoted(buildkit_output(lines))
    return quoted(classic_output(lines[:-1]))  # the builder reads the output before it adds the engine's error


@pytest.mark.parametrize("builder", ["buildkit", "classic"])
@pytest.mark.parametrize(
    ("case", "says", "first"),
    [
        pytest.param("gcc", [GCC], GCC, id="compiler"),
        pytest.param("pipmissing", ["ERROR: Could not find a version that satisfies the requirement "
                     "imgexp-no-such-distribution-3f9a (from versions: none)", NOT_FOUND], None, id="pip-no-such"),
        pytest.param("pipext", [PIP_BLOCK, "\u2502 exit code: 1", EXTENSION, GCC_FAILED], PIP_BLOCK, id="pip-ext"),
        pytest.param("apt", [], None, id="apt"),
        pytest.param("pythonh", [PIP_BLOCK, PYTHON_H, GCC_FAILED], PIP_BLOCK, id="python-h"),
        pytest.param("shell", [SHELL], SHELL, id="shell"),
    ],
)  # fmt: skip
def test_the_reason_quotes_the_failing_commands_own_words(
    case: str, builder: str, says: list[str], first: str | None
) -> None:
    said = _said(case, builder)
    assert all(line in said for line in says), said
    assert first is None or said[0] == first
    assert any(APT in line for line in said) == (case == "apt")
    assert len(said) == len(set(said))  # pip repeats the compiler's line: quoted once
    for line in said:  # never BuildKit's own lines: its excerpt, the Dockerfile, its summary
        assert not line.startswith((">>>", "Dockerfile:", "------", "#")) and "failed to solve" not in line
        assert "did not complete successfully" not in line and "returned a non-zero code" not in line
        assert "\x1b" not in line


def test_output_that_names_no_error_is_quoted_by_its_last_lines() -> None:
    output = [f"line {n}" for n in range(8)] + [""]
    assert quoted(output) == ("line 3", "line 4", "line 5", "line 6", "line 7")


def test_buildkit_output_is_the_failing_vertex_only() -> None:
    lines = ["#5 [a 2/2] RUN make", "#5 0.1 error: not this one", "#6 [b 2/2] RUN gcc", "#6 0.2 this one",
             "#5 DONE 0.3s", "#6 ERROR: process ...", "------", " > [b 2/2] RUN gcc:", "0.2 this one"]  # fmt: skip
    assert buildkit_output(lines) == ["this one"]


@pytest.mark.parametrize(
    ("message", "shown"),
    [
        ('process "/bin/sh -c echo \\"a: b\\" && gcc" did not complete successfully: exit code: 1', "exit code: 1"),
        ('failed to solve: process "/bin/sh -c x" did not complete successfully: exit code: 127', "exit code: 127"),
        ("The command '/bin/sh -c apt-get install x' returned a non-zero code: 100", "exit code: 100"),
        ("pip found no distribution for 'x' (exit code: 1)", "pip found no distribution for 'x' (exit code: 1)"),
        ("failed to solve: dockerfile parse error on line 2: unknown instruction: RUNN", None),
    ],
)
def test_the_builders_own_word_on_a_failed_step_is_its_exit_code(message: str, shown: str | None) -> None:
    assert exit_code(message) == (shown or message)


#: a failure's reason -> whether the machine (not the build's inputs) failed it, so a rerun tries it again
MACHINE_OR_INPUTS = {
    "E: You don't have enough free space in /var/cache/apt/archives/.": True,
    "write /var/lib/docker/tmp/x: no space left on device": True,
    "Temporary failure resolving 'deb.debian.org'": True,
    "NewConnectionError: Failed to establish a new connection: [Errno 111] Connection refused": True,
    "ERROR: Could not install packages due to an OSError: Read timed out.": True,
    GCC: False,
    NOT_FOUND: False,
    APT: False,
    "EOFError: marshal data too short": False,
}


@pytest.mark.parametrize(("reason", "machine"), MACHINE_OR_INPUTS.items(), ids=range(len(MACHINE_OR_INPUTS)))
def test_a_failure_the_machine_caused_is_told_from_one_of_the_inputs(reason: str, machine: bool) -> None:
    assert the_machines_fault(f"build failed at [2/2] RUN x (exit code: 1)\n{reason}") is machine
