"""An experiment: build, verify and measure each strategy, keeping every finished row.

Each finished strategy is written at once to ``<out>/rows/<strategy>.json``, and
``results.csv``/``results.json`` are rewritten after it, each atomically; a rerun
reuses a row whose key (Dockerfile, context, build args, base ids, requirement
names) is unchanged and whose image still exists, so an interrupted run resumes.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import docker
import pandas as pd
from docker.errors import ImageNotFound

from . import __version__, strategies
from .engine import bases
from .engine.build import build_image
from .engine.ca import find_ca_bundle
from .engine.ca import serve as serve_ca
from .engine.client import connect, describe_engine
from .engine.context import make_context
from .engine.standins import PACKAGES as STANDIN_KINDS
from .engine.verify import verify_image
from .errors import BaseUnavailable
from .measure.scan import image_size, scan_and_record
from .paths import DEFAULT_DOCKERFILES, DEFAULT_REQUIREMENTS, INSTALL_SCRIPT
from .progress import Progress
from .requirements import Requirements, read_requirements
from .results import DEFAULT_OUT, read_json, results_frame, write_json, write_results
from .units import human_size

#: bump when what a row holds changes: rows of an older version are measured again
MEASUREMENT_VERSION = 6
#: the Python that Debian ships, so that official and stand-in figures compare
DEFAULT_PYTHON = "3.11"
DEFAULT_VENV_NAME = "python-poc"
HOW_MEASURED = (
    "built by imgexp on the engine below; size_bytes is the engine's image Size "
    "(what `docker images` shows); verified by importing every requirement inside the image "
    "with no network"
)

def run(
    requirements: str | Path = DEFAULT_REQUIREMENTS,
    strategy_names: list[str] | None = None,
    python: str = DEFAULT_PYTHON,
    out: str | Path = DEFAULT_OUT,
    base_source: bases.BaseSource = "auto",
    ca_bundle: str | Path | None = None,
    dockerfiles: str | Path = DEFAULT_DOCKERFILES,
    venv_name: str = DEFAULT_VENV_NAME,
    rebuild: bool = False,
    timings: bool = False,
    progress: bool | None = None,
    client: docker.DockerClient | None = None,
) -> pd.DataFrame:
    """Build, verify and measure each strategy; return the results, one row per strategy.

    ``ca_bundle`` is handed to pip inside builds and never lands in an image; None finds
    the host's (imgexp.engine.ca.find_ca_bundle), and "" turns it off. ``rebuild`` builds without the
    cache; ``timings`` does too, then rebuilds with it, to record cold and warm build
    times (slow: every strategy is built from scratch). ``progress`` None means on
    when stderr is a terminal and $CI is unset. The frame's ``attrs["provenance"]`` holds
    what results.json holds.
    """
    reqs = read_requirements(requirements)
    chosen = strategies.load_all(strategy_names, Path(dockerfiles))
    bundle = find_ca_bundle(ca_bundle)
    out = Path(out)
    client = client or connect()
    console = Progress(progress)
    started = _now()
    resolved, missing = _resolve_bases(client, chosen, python, base_source, console)
    provenance = {
        "imgexp_version": __version__,
        "started_at": started,
        "how": HOW_MEASURED,
        "command": _command(),
        "engine": describe_engine(client),
        "python": python,
        "base_source": base_source,
        "bases": {kind: base.as_dict() for kind, base in resolved.items() if kind != "scratch"},
        "requirements": {"path": str(reqs.path), "sha256": reqs.sha256, "names": list(reqs.names)},
        "venv_name": venv_name,
        "ca_bundle": str(bundle) if bundle else None,
    }
    rows: list[dict[str, Any]] = []
    with serve_ca(bundle) as ca_url, console.bar(len(chosen)) as bar:
        plan = _Plan(
            client, reqs, resolved, venv_name, ca_url, out, rebuild, timings, console,
            provenance["engine"]["engine_version"],
        )
        for strategy in chosen:
            bar.set_description(strategy.name)
            unavailable = [missing[k] for k in strategy.base_kinds if k in missing]
            if unavailable:
                rows.append(_not_run(strategy, str(unavailable[0])))
            else:
                rows.append(_run_one(plan, strategy))
            provenance["finished_at"] = _now()
            write_results(out, rows, provenance)
            bar.update()
    return results_frame(rows, provenance)


def _resolve_bases(
    client: docker.DockerClient,
    chosen: list[strategies.Strategy],
    python: str,
    base_source: bases.BaseSource,
    console: Progress,
) -> tuple[dict[str, bases.BaseImage], dict[str, BaseUnavailable]]:
    """Every base the strategies need; kinds with no stand-in that cannot be had are returned as missing."""
    resolved: dict[str, bases.BaseImage] = {}
    missing: dict[str, BaseUnavailable] = {}
    for kind in sorted({kind for s in chosen for kind in s.base_kinds}):
        try:
            resolved[kind] = bases.resolve(client, kind, python, base_source, log=console.log)
        except BaseUnavailable as exc:
            if kind in STANDIN_KINDS:  # full and slim can always be had: not having them is an error
                raise
            missing[kind] = exc
    return resolved, missing


@dataclass(frozen=True)
class _Plan:
    """What every strategy of one run shares."""

    client: docker.DockerClient
    reqs: Requirements
    resolved: dict[str, bases.BaseImage]
    venv_name: str
    ca_url: str | None
    out: Path
    rebuild: bool
    timings: bool
    console: Progress
    engine_version: str


def _run_one(plan: _Plan, strategy: strategies.Strategy) -> dict[str, Any]:
    client, reqs, resolved, venv_name, console = plan.client, plan.reqs, plan.resolved, plan.venv_name, plan.console
    context = make_context(strategy.dockerfile, reqs.path, INSTALL_SCRIPT)
    buildargs = {"VENV_NAME": venv_name}
    buildargs.update({bases.build_arg(k): resolved[k].image for k in strategy.base_kinds if k != "scratch"})
    key = _key(context.sha256, buildargs, {k: resolved[k].image_id for k in strategy.base_kinds}, reqs.names)
    row_path = plan.out / "rows" / f"{strategy.name}.json"
    earlier = _reusable(client, row_path, key)
    if plan.timings and earlier is not None and earlier.get("warm_build_seconds") is None:
        earlier = None
    if earlier is not None and not plan.rebuild:
        console.log(f"[{strategy.name}] unchanged since {earlier['measured_at']}: reusing {earlier['image']}")
        return {**earlier, "reused": True}
    if plan.ca_url:
        buildargs["IMGEXP_CA_URL"] = plan.ca_url
    tag = f"imgexp/{strategy.name.lower()}:{key[:12]}"
    labels = {"imgexp.role": "build", "imgexp.strategy": strategy.name, "imgexp.key": key}
    nocache = plan.rebuild or plan.timings
    outcome = build_image(client, strategy.name, context.tar, tag, buildargs, labels, nocache, console.log)
    warm_seconds = _warm_build_seconds(plan, strategy, context.tar, tag, buildargs, labels, outcome.image_id)
    base = resolved[strategy.base_kind]
    size = image_size(client, outcome.image_id, base)
    interpreter = strategy.python.replace("$VENV_NAME", venv_name).replace("${VENV_NAME}", venv_name)
    console.log(f"[{strategy.name}] verifying: importing {len(reqs.names)} requirements with {interpreter}")
    check = verify_image(client, outcome.image_id, interpreter, reqs.names, reqs.markers)
    row = {
        "strategy": strategy.name,
        "description": strategy.description,
        "status": "ok",
        "reason": "",
        "image": tag,
        "image_id": outcome.image_id,
        "size_bytes": size.size_bytes,
        "size": human_size(size.size_bytes),
        "base_kind": base.kind,
        "base_image": base.image,
        "base_id": base.image_id,
        "base_digest": base.digest,
        "base_standin": any(resolved[k].standin for k in strategy.base_kinds),
        "base_bytes": size.base_bytes,
        "added_bytes": size.added_bytes,
        "layers": size.layers,
        **scan_and_record(client, outcome.image_id, base, plan.out, strategy.name),
        "build_seconds": round(outcome.seconds, 2),
        "cold_build_seconds": round(outcome.seconds, 2) if plan.timings else None,
        "warm_build_seconds": warm_seconds,
        "build_steps": outcome.steps,
        "cached_steps": outcome.cached_steps,
        "reused": False,
        "verified": check.verified,
        "verify_error": check.error,
        "imports": check.imports,
        "not_checked": list(check.not_applicable),
        "python_version": check.python_version,
        "packages": len(check.freeze),
        "pip_freeze": list(check.freeze),
        "measured_at": _now(),
        "engine_version": plan.engine_version,
        "key": key,
        "measurement_version": MEASUREMENT_VERSION,
    }
    write_json(row_path, row)
    return row


def _warm_build_seconds(
    plan: _Plan,
    strategy: strategies.Strategy,
    context: bytes,
    tag: str,
    buildargs: dict[str, str],
    labels: dict[str, str],
    image_id: str,
) -> float | None:
    """With timings on, the time of a rebuild that takes every step from the cache.

    The classic builder may miss a builder stage's cache on the first rebuild after a
    no-cache build, so it rebuilds twice and keeps the second; the measured image keeps its tag.
    """
    if not plan.timings:
        return None
    plan.console.log(f"[{strategy.name}] rebuilding twice with the cache for the warm build time")
    for _ in range(2):
        warm = build_image(plan.client, strategy.name, context, tag, buildargs, labels)
    plan.client.images.get(image_id).tag(tag)
    return round(warm.seconds, 2)


def _reusable(client: docker.DockerClient, row_path: Path, key: str) -> dict[str, Any] | None:
    """The stored row for this key, if its image is still in the engine."""
    if not row_path.is_file():
        return None
    row = read_json(row_path)
    if row.get("key") != key or row.get("measurement_version") != MEASUREMENT_VERSION:
        return None
    try:
        client.images.get(row["image_id"])
    except ImageNotFound:
        return None
    return row


def _key(context_sha: str, buildargs: dict[str, str], base_ids: dict[str, str], names: tuple[str, ...]) -> str:
    material = {
        "version": MEASUREMENT_VERSION,
        "context": context_sha,
        "buildargs": buildargs,
        "bases": base_ids,
        "requirements": list(names),
    }
    return hashlib.sha256(json.dumps(material, sort_keys=True).encode()).hexdigest()


def _not_run(strategy: strategies.Strategy, reason: str) -> dict[str, Any]:
    return {
        "strategy": strategy.name,
        "description": strategy.description,
        "status": "not-run",
        "reason": reason,
        "verified": False,
        "measured_at": _now(),
    }


def _command() -> str:
    """The command line that ran this, or where it ran when that is a Jupyter kernel's."""
    if "ipykernel" in sys.argv[0]:
        return "imgexp.run() in a Jupyter kernel (a notebook, or papermill)"
    return " ".join(sys.argv)


def _now() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")

