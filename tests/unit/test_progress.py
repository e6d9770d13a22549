"""Progress on stderr: quiet is not silent, a line per finished strategy either way."""

from __future__ import annotations

import pytest

from imgexp.experiment import finished_line
from imgexp.progress import Progress


@pytest.mark.parametrize("enabled", [True, False])
def test_a_finished_strategy_is_one_line_on_stderr_whether_or_not_progress_is_shown(
    enabled: bool, capsys: pytest.CaptureFixture[str]
) -> None:
    progress = Progress(enabled)
    progress.log("[slim] [2/3] RUN pip install")
    progress.finished("[slim] ok: 120MB, verified, 41.2 s")
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.splitlines() == (["[slim] [2/3] RUN pip install"] if enabled else []) + [
        "[slim] ok: 120MB, verified, 41.2 s"
    ]


def test_progress_is_off_in_ci(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CI", "true")
    assert not Progress().enabled


@pytest.mark.parametrize(
    ("row", "line"),
    [
        ({"strategy": "slim", "status": "ok", "size": "120MB", "verified": True}, "[slim] ok: 120MB, verified, 41.2 s"),
        (
            {"strategy": "slim", "status": "ok", "size": "120MB", "verified": False, "reused": True},
            "[slim] ok: 120MB, verification FAILED, 41.2 s, reused",
        ),
        (
            {"strategy": "c", "status": "failed", "reason": "build failed at [2/2] RUN gcc (exit code: 1)\nerror: x"},
            "[c] failed after 41.2 s: build failed at [2/2] RUN gcc (exit code: 1)\n    error: x",
        ),
        (
            {"strategy": "c", "status": "failed", "reason": "r", "reused": True, "measured_at": "2026-12-03T18:00"},
            "[c] failed (unchanged since 2026-12-03T18:00: not built again; --rebuild tries): r",
        ),
        ({"strategy": "a", "status": "not-run", "reason": "no base"}, "[a] not-run: no base"),
    ],
)
def test_a_finished_line_says_name_status_size_and_seconds(row: dict[str, object], line: str) -> None:
    assert finished_line(row, 41.23) == line
