"""hadolint on a Dockerfile: its findings as rows, a file it cannot read as one finding, none without it."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from imgexp.lint import LINT_COLUMNS, lint_dockerfile, load_lint, write_lint


def test_findings_are_rows_with_the_rule_and_its_line(tmp_path: Path) -> None:
    dockerfile = tmp_path / "Dockerfile"
    dockerfile.write_text("FROM debian\nRUN apt-get update && apt-get install -y curl\n")
    findings = lint_dockerfile(dockerfile)
    assert findings is not None and list(findings.columns) == list(LINT_COLUMNS)
    by_code = dict(zip(findings["code"], findings["line"], strict=True))
    assert by_code["DL3006"] == 1  # FROM without a tag
    assert by_code["DL3008"] == 2  # apt-get install without pinned versions
    write_lint(tmp_path, "s", findings)
    assert load_lint(tmp_path, "s")["code"].tolist() == findings["code"].tolist()


def test_a_file_hadolint_cannot_parse_or_read_is_one_error_finding(tmp_path: Path) -> None:
    dockerfile = tmp_path / "Dockerfile"
    dockerfile.write_text("FROM debian:12\nFOO bar\n")
    unparsed, unread = lint_dockerfile(dockerfile), lint_dockerfile(tmp_path / "missing")
    assert unparsed is not None and unparsed[["line", "code", "level"]].values.tolist() == [[2, "DL1000", "error"]]
    assert unread is not None and unread[["code", "level"]].values.tolist() == [["hadolint", "error"]]


def test_without_hadolint_nothing_is_linted(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A machine without hadolint, for real: nothing beside the interpreter, nothing on PATH."""
    monkeypatch.setattr(sys, "executable", str(tmp_path / "python"))
    monkeypatch.setenv("PATH", str(tmp_path))
    assert lint_dockerfile(tmp_path / "Dockerfile") is None
    assert load_lint(tmp_path, "s") is None
