"""A run's derivations: after ``current`` has built, write, build and check each derived strategy, then recommend one.

Each derivation is one row: built, verified and measured as any strategy, or ``failed`` with
its reason. Every row says whether it is complete (it holds every distribution of current's
pip freeze at its version and every large file under current's WORKDIR); the recommendation
is the smallest verified complete one.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import docker

from ..audit.elf import layer_diffs
from ..engine.verify import verify_image
from ..errors import BuildFailed, ImgexpError
from ..strategies import Strategy, parse
from ..units import human_size
from . import derive
from .complete import completeness, large_files
from .layers import Layered

#: results folder -> where derived Dockerfiles are written (never the project's own files)
FOLDER = "derived"
#: how much of a failed build's step and log a row's reason keeps
REASON_CHARS = 600
#: the derivations from the project's own build down, each with what it changes (imgexp.attribution.waterfall)
CHAIN: tuple[tuple[str, str], ...] = (
    ("current", "your Dockerfile, as it builds"),
    ("multi-stage", "what your layers added that the service needs, copied onto the slim base"),
    ("distilled", "no bytecode caches, test suites, docs, unneeded pip or debug symbols in what is copied"),
    ("minimal", "FROM scratch: the interpreter, its stdlib and the libraries it all loads instead of the slim base"),
)


@dataclass(frozen=True)
class Recommendation:
    """The smallest verified complete strategy, against current."""

    strategy: str
    size_bytes: int
    current_bytes: int
    compressed_bytes: int | None
    current_compressed_bytes: int | None
    dockerfile: Path | None
    diff: str

    def lines(self) -> list[str]:
        share = 100 * self.size_bytes / self.current_bytes
        said = [
            f"recommended: {self.strategy}, {human_size(self.size_bytes)} on disk, {share:.0f} % of current's "
            f"{human_size(self.current_bytes)} (saves {human_size(self.current_bytes - self.size_bytes)})"
        ]
        if self.compressed_bytes and self.current_compressed_bytes:
            said.append(
                f"pull: {human_size(self.compressed_bytes)} against {human_size(self.current_compressed_bytes)} "
                f"(saves {human_size(self.current_compressed_bytes - self.compressed_bytes)})"
            )
        return said


def derived_rows(
    client: docker.DockerClient,
    current: tuple[Strategy, dict[str, Any]],
    names: tuple[str, ...],
    slim_id: str,
    python: str,
    out: Path,
    smoke: bool,
    build: Callable[[Strategy], dict[str, Any]],
) -> list[dict[str, Any]]:
    """One row per derivation of the built ``current`` (its strategy and row); ``build`` runs a strategy to its row."""
    strategy, row = current
    if row.get("status") != "ok":
        return [
            _failed(n, f"current did not build, so there is nothing to derive from ({row.get('reason')})")
            for n in names
        ]
    try:
        made = derive(
            client,
            (row["image_id"], row["base_id"]),
            slim_id,
            strategy.dockerfile.read_text(),
            python,
            out / FOLDER,
            names,
            smoke,
            strategy.target,
        )
    except (ImgexpError, OSError) as exc:
        return [_failed(n, str(exc)) for n in names]
    rows = []
    for derived in made:
        if derived.dockerfile is None:
            rows.append(_failed(derived.name, derived.reason))
            continue
        try:
            made_strategy = replace(
                parse(derived.name, derived.dockerfile, default_python="python3", literal=True),
                build_args=dict(strategy.build_args),
            )
            rows.append(build(made_strategy))
        except ImgexpError as exc:
            rows.append(_failed(derived.name, _reason(exc)))
    return rows


def mark_complete(client: docker.DockerClient, rows: list[dict[str, Any]], current: dict[str, Any]) -> None:
    """Set ``complete`` and ``missing`` on every built row, against ``current``'s."""
    if current.get("status") != "ok":
        return
    workdir = client.api.inspect_image(current["image_id"])["Config"].get("WorkingDir") or ""
    wanted = _large(client, current["image_id"], workdir)
    # what current's base carries already (Debian's python3-* on a full base) is not the user's build
    base = set(verify_image(client, current["base_id"], "python3", ()).freeze) if current.get("base_id") else set()
    freeze = [d for d in current.get("pip_freeze") or [] if d not in base]
    for row in rows:
        if row.get("status") != "ok":
            row.update(complete=False, missing="")
            continue
        found = completeness(
            freeze, list(row.get("pip_freeze") or []), wanted, _large(client, row["image_id"], workdir)
        )
        row.update(complete=found.complete, missing=" ".join(found.missing))


def _large(client: docker.DockerClient, image_id: str, workdir: str) -> dict[str, int]:
    diffs = layer_diffs(client, image_id)
    return large_files(Layered(tuple(diffs)), workdir) if diffs else {}


def recommend(
    rows: list[dict[str, Any]], current: dict[str, Any], user_dockerfile: Path, out: Path
) -> Recommendation | None:
    """The smallest verified complete row, with the unified diff of its Dockerfile against the user's."""
    fit = [r for r in rows if r.get("status") == "ok" and r.get("verified") and r.get("complete")]
    if not fit or current.get("status") != "ok":
        return None
    best = min(fit, key=lambda r: int(r["size_bytes"]))
    path = out / FOLDER / f"Dockerfile.{best['strategy']}"
    dockerfile = path if path.is_file() else (user_dockerfile if best is current else None)
    diff = ""
    if dockerfile is not None and dockerfile != user_dockerfile:
        diff = "".join(
            difflib.unified_diff(
                user_dockerfile.read_text().splitlines(keepends=True),
                dockerfile.read_text().splitlines(keepends=True),
                fromfile=user_dockerfile.name,
                tofile=str(dockerfile.name),
            )
        )
    return Recommendation(
        best["strategy"],
        int(best["size_bytes"]),
        int(current["size_bytes"]),
        best.get("compressed_bytes"),
        current.get("compressed_bytes"),
        dockerfile,
        diff,
    )


def _reason(exc: ImgexpError) -> str:
    """The error's own words; for a failed build, its step and the lines where its command said what went wrong
    (imgexp.engine.buildlog; not the Dockerfile excerpt)."""
    if isinstance(exc, BuildFailed):
        said = "\n".join(exc.said) or exc.message
        return f"failed to build at {exc.step[:REASON_CHARS]}: {said[-REASON_CHARS:]}"
    return str(exc)[:REASON_CHARS]


def _failed(name: str, reason: str) -> dict[str, Any]:
    import datetime as dt

    return {
        "strategy": name,
        "description": "",
        "status": "failed",
        "reason": reason,
        "verified": False,
        "complete": False,
        "missing": "",
        "measured_at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
    }
