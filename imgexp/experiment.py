"""An experiment: build, verify and measure each strategy, keeping every finished row.

``run`` prepares the run (imgexp.prepare), then ``run_strategy`` makes one row per
strategy: ``ok`` (built and measured; ``verified`` says whether the image works),
``failed`` (its build failed: the reason quotes the failing command's own error lines and
names the whole log, ``<out>/logs/<strategy>.log``), or ``not-run`` (a base it needs cannot
be had here). Each row is written at once to ``<out>/rows/<strategy>.json``, and
``results.csv``/``results.json`` are rewritten after it, each atomically. A rerun reuses a
row whose key (Dockerfile, context, build args, base ids, requirement names, builder) is
unchanged: an ok row whose image still exists, and a failed row (the same inputs fail the
same way; ``rebuild`` tries again, and so does any rerun when the machine failed the build:
a full disk, a network down), so an interrupted run resumes.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from importlib.metadata import version
from pathlib import Path
from typing import Any

import docker
import pandas as pd
from docker.errors import ImageNotFound

from .derive.steps import derived_rows, mark_complete, recommend
from .engine import bases
from .engine.build import CONNECTION_LOST, BuildOutcome, BuildRequest, build_image
from .engine.buildkit import buildx_build, describe_builder
from .engine.buildlog import exit_code, the_machines_fault
from .engine.ca import serve as serve_ca
from .engine.cleanup import remove_leftovers
from .engine.client import answers, connect, describe_engine, docker_host
from .engine.context import (
    LARGE_CONTEXT_BYTES,
    PROJECT_DOCKERFILE,
    BuildContext,
    largest_paths,
    make_context,
    make_project_context,
    read_file,
    with_file,
)
from .engine.verify import run_commands, verify_image
from .errors import BuildFailed, EngineStopped
from .lint import lint_dockerfile, write_lint
from .measure.scan import image_size, scan_and_record
from .paths import INSTALL_SCRIPT
from .prepare import PROJECT_OUT, Bases, Prepared, prepare, resolve_bases
from .progress import Progress
from .project import Project
from .registry.push import pushed_figures
from .results import read_json, results_frame, write_atomic, write_json, write_results
from .settings import Settings, shown_path
from .strategies import Strategy
from .units import human_size

#: bump when what a row holds changes: rows of an older version are measured again
MEASUREMENT_VERSION = 10
HOW_MEASURED = (
    "built by imgexp on the engine below with the builder it names; size_bytes is the engine's image Size "
    "(what `docker images` shows; on the containerd image store, its layers' files as overlay2 counts "
    "them); verified by importing every requirement inside the image "
    "with no network"
)
#: added to requirements.txt for the rebuild after a dependency change (--timings): small, pure Python,
#: not needed by the write-up's requirements on Python 3.11
CHANGED_REQUIREMENT = "tomli"
#: what EngineStopped names as the step when the engine goes away after the build
VERIFY_STEP = "checking, verifying or measuring its image"
#: each strategy's last build log, in the results folder
LOGS = "logs"
#: seconds waited before each further rebuild with the cache when one still ran a step (--timings)
WARM_RETRY_PAUSES = (0.0, 15.0)


def run(settings: Settings | None = None, *, client: docker.DockerClient | None = None, **options: Any) -> pd.DataFrame:
    """Build, verify and measure each strategy; return the results, one row per strategy.

    Parameters
    ----------
    settings
        What to run; None makes Settings from ``options``.
    client
        The Docker engine; None connects to the one $DOCKER_HOST (or the default socket) names.
    **options
        Settings options by name (``strategies=["base", "slim"]``, ``out="reports/x"``, ...),
        over ``settings`` when both are given.

    Returns
    -------
    pandas.DataFrame
        One row per strategy, the columns of imgexp.COLUMNS; ``attrs["provenance"]`` holds
        what results.json holds. A strategy whose build fails is a ``failed`` row, one whose
        base cannot be had a ``not-run`` row; the others run either way.
    """
    if settings is None:
        settings = Settings(**options)
    elif options:
        settings = replace(settings, **options)
    prepared = prepare(settings)
    client = client or connect()
    console = Progress(settings.progress)
    started = _now()
    found = resolve_bases(client, prepared, console)
    provenance = _provenance(prepared, client, found, started)
    rows: list[dict[str, Any]] = []
    derivations = prepared.definition.derive if prepared.definition else ()
    with serve_ca(prepared.ca_bundle) as ca_url, console.bar(len(prepared.strategies) + len(derivations)) as bar:
        plan = Plan(prepared, client, found, ca_url, console, provenance["engine"]["engine_version"])
        for strategy in prepared.strategies:
            bar.set_description(strategy.name)
            rows.append(run_strategy(plan, strategy))
            provenance["finished_at"] = _now()
            write_results(prepared.out, rows, provenance)
            bar.update()
        if derivations:
            rows += _derive(plan, rows, bar.update)
            provenance["finished_at"] = _now()
            provenance["recommendation"] = _recommend(plan, rows)
            write_results(prepared.out, rows, provenance)
    remove_leftovers(client)  # the builder stages and rebuilt images no row reports
    return results_frame(rows, provenance)


def _derive(plan: Plan, rows: list[dict[str, Any]], done: Callable[[], Any]) -> list[dict[str, Any]]:
    """The rows of the definition's derivations of its first strategy (imgexp.derive), each built as a strategy."""
    prepared, client, definition = plan.prepared, plan.client, plan.prepared.definition
    settings, first = prepared.settings, prepared.strategies[0]
    assert definition is not None
    slim = plan.bases.resolved.get("slim") or bases.resolve(
        client, "slim", settings.python, settings.base_source, plan.console.log
    )
    scratch = bases.resolve(client, "scratch", settings.python, "standin")
    built = replace(plan, bases=Bases({**plan.bases.resolved, "slim": slim, "scratch": scratch}, plan.bases.missing))

    def build(strategy: Strategy) -> dict[str, Any]:
        plan.console.log(f"[{strategy.name}] derived from {first.name}: {strategy.dockerfile}")
        try:
            return run_strategy(built, strategy)
        finally:
            done()

    smoke = bool(definition.verify_commands)
    made = derived_rows(
        client, (first, rows[0]), definition.derive, slim.image_id, settings.python, prepared.out, smoke, build
    )
    mark_complete(client, [*rows, *made], rows[0])
    return made


def _recommend(plan: Plan, rows: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The smallest verified complete strategy, said on the console, kept in the provenance."""
    out = plan.prepared.out
    best = recommend(rows, rows[0], plan.prepared.strategies[0].dockerfile, out)
    if best is None:
        plan.console.log("no strategy is both verified and complete: nothing to recommend")
        return None
    return {
        "strategy": best.strategy,
        "lines": best.lines(),
        "dockerfile": shown_path(best.dockerfile, out) if best.dockerfile else None,
        "diff": best.diff,
    }


def _provenance(prepared: Prepared, client: docker.DockerClient, found: Bases, started: str) -> dict[str, Any]:
    """What results.json records of the whole run."""
    settings, reqs, out = prepared.settings, prepared.requirements, prepared.out
    return {
        "imgexp_version": version("imgexp"),
        "started_at": started,
        "how": HOW_MEASURED,
        "command": _command(out),
        "engine": describe_engine(client, describe_builder(prepared.builder)),
        "python": settings.python,
        "base_source": settings.base_source,
        "bases": {kind: base.as_dict() for kind, base in found.resolved.items() if kind != "scratch"},
        "requirements": {"path": shown_path(reqs.path, out), "sha256": reqs.sha256, "names": list(reqs.names)},
        "dockerfiles": shown_path(settings.dockerfiles, out),
        "venv_name": settings.venv_name,
        "ca_bundle": shown_path(prepared.ca_bundle, out) if prepared.ca_bundle else None,
        "project": _project_provenance(prepared.definition, out),
        "baseline": prepared.strategies[0].name if prepared.definition else "base",
    }


@dataclass(frozen=True)
class Plan:
    """One run once it has started: what was prepared, and what its strategies share on the engine."""

    prepared: Prepared
    client: docker.DockerClient
    bases: Bases
    ca_url: str | None
    console: Progress
    engine_version: str


def run_strategy(plan: Plan, strategy: Strategy) -> dict[str, Any]:
    """One strategy's row (ok, failed or not-run), said in one line on stderr as it finishes.

    Raises EngineStopped when the engine went away (a run-level error, not the strategy's row).
    """
    started = time.monotonic()
    unavailable = [plan.bases.missing[k] for k in strategy.base_kinds if k in plan.bases.missing]
    if unavailable:
        row = _not_run(strategy, str(unavailable[0]))
    else:
        try:
            row = _build_and_measure(plan, strategy)
        except CONNECTION_LOST as exc:
            if answers(plan.client):
                raise
            raise EngineStopped(docker_host(), strategy.name, VERIFY_STEP, f"the connection broke: {exc}") from exc
    plan.console.finished(finished_line(row, time.monotonic() - started))
    return row


def finished_line(row: dict[str, Any], seconds: float) -> str:
    """How a finished strategy is shown on stderr: its name, status, size and seconds; a failure's reason."""
    name, status = row["strategy"], row["status"]
    if status == "ok":
        works = "verified" if row["verified"] else "verification FAILED"
        reused = ", reused" if row.get("reused") else ""
        return f"[{name}] ok: {row['size']}, {works}, {seconds:.1f} s{reused}"
    reason = str(row["reason"]).replace("\n", "\n    ")
    if status == "failed" and row.get("reused"):
        return f"[{name}] failed (unchanged since {row['measured_at']}: not built again; --rebuild tries): {reason}"
    if status == "failed":
        return f"[{name}] failed after {seconds:.1f} s: {reason}"
    return f"[{name}] {status}: {reason}"


def _project_provenance(definition: Project | None, out: Path) -> dict[str, Any] | None:
    """What results.json records of a project: its definition, context and verification."""
    if definition is None:
        return None
    return {
        "definition": shown_path(definition.definition, out),
        "context": shown_path(definition.context, out),
        "verify_commands": list(definition.verify_commands),
        "verify_timeout": definition.verify_timeout,
        "verify_imports": definition.verify_imports,
    }


def _stage_bases(resolved: dict[str, bases.BaseImage], strategy: Strategy) -> str:
    """Every base a stage of ``strategy`` starts FROM: its reference, short id, size, and whether a stand-in."""
    shown = []
    for base in (resolved[k] for k in strategy.base_kinds if k != "scratch"):
        standin = ", stand-in" if base.standin else ""
        shown.append(
            f"{base.image} ({base.image_id.removeprefix('sha256:')[:12]}, {human_size(base.size_bytes)}{standin})"
        )
    return "; ".join(shown + (["scratch"] if "scratch" in strategy.base_kinds else []))


def _build_and_measure(plan: Plan, strategy: Strategy) -> dict[str, Any]:
    """Build a strategy (or reuse its earlier row), then verify and measure its image: its row."""
    prepared, client, resolved, console = plan.prepared, plan.client, plan.bases.resolved, plan.console
    settings, reqs = prepared.settings, prepared.requirements
    request = _request(plan, strategy)
    checks = _checks(prepared.definition)
    base_ids = {k: resolved[k].image_id for k in strategy.base_kinds}
    key = _key(
        request.context.sha256, request.buildargs, base_ids, reqs.names, checks, strategy.target, prepared.builder
    )
    row_path = prepared.out / "rows" / f"{strategy.name}.json"
    earlier = _reusable(client, row_path, key)
    if settings.timings and earlier is not None and earlier.get("warm_build_seconds") is None:
        earlier = None
    if earlier is not None and not settings.rebuild:
        console.log(f"[{strategy.name}] unchanged since {earlier['measured_at']}: reusing its row")
        return {**earlier, "reused": True}
    buildargs = {**request.buildargs, **({"IMGEXP_CA_URL": plan.ca_url} if plan.ca_url else {})}
    version_tag = image_version(key, prepared.out)
    request = replace(
        request,
        tag=f"imgexp/{strategy.name.lower()}:{version_tag}",
        buildargs=buildargs,
        labels={"imgexp.role": "build", "imgexp.strategy": strategy.name, "imgexp.key": key},
        nocache=settings.rebuild or settings.timings,
    )
    started = time.monotonic()
    try:
        outcome = _build(plan, request)
    except BuildFailed as failed:
        row = _failed(plan, strategy, failed, time.monotonic() - started, key)
        write_json(row_path, row)
        return row
    build_log = _write_log(prepared.out, strategy.name, outcome.log)
    warm_seconds, changed_seconds = _timed_rebuilds(plan, request, outcome.image_id)
    base = resolved[strategy.base_kind]
    size = image_size(client, outcome.image_id, base)
    interpreter = strategy.python.replace("$VENV_NAME", settings.venv_name).replace("${VENV_NAME}", settings.venv_name)
    console.log(f"[{strategy.name}] verifying: importing {len(reqs.names)} requirements with {interpreter}")
    check = verify_image(client, outcome.image_id, interpreter, reqs.names, reqs.markers)
    commands = run_commands(client, outcome.image_id, *checks) if prepared.definition is not None else None
    verified = check.verified and (commands is None or commands.passed)
    lint = lint_dockerfile(strategy.dockerfile)
    if lint is not None:
        write_lint(prepared.out, strategy.name, lint)
    errors = [e for e in (check.error, commands.error if commands else "") if e]
    row = {
        **_tried(plan, strategy, "ok", ""),
        "image": request.tag,
        "image_id": outcome.image_id,
        "size_bytes": size.size_bytes,
        "size": human_size(size.size_bytes),
        "base_bytes": size.base_bytes,
        "added_bytes": size.added_bytes,
        "layers": size.layers,
        **scan_and_record(client, outcome.image_id, base, prepared.out, strategy.name),
        "build_seconds": round(outcome.seconds, 2),
        "cold_build_seconds": round(outcome.seconds, 2) if settings.timings else None,
        "warm_build_seconds": warm_seconds,
        "changed_build_seconds": changed_seconds,
        "build_log": build_log,
        "frontend": outcome.frontend,
        "lint_findings": None if lint is None else len(lint),
        "build_steps": outcome.steps,
        "cached_steps": outcome.cached_steps,
        "verified": verified,
        "verify_error": "; ".join(errors),
        "verify_output": commands.output if commands else None,
        "imports": check.imports,
        "not_checked": list(check.not_applicable),
        "python_version": check.python_version,
        "packages": len(check.freeze),
        "pip_freeze": list(check.freeze),
        "key": key,
        "measurement_version": MEASUREMENT_VERSION,
    }
    if settings.push and verified:  # the exact pull size, from the registry's manifest
        figures = pushed_figures(
            client, outcome.image_id, settings.push, strategy.name, version_tag, row["compressed_bytes"]
        )
        row.update(figures)
    write_json(row_path, row)
    return row


def _tried(plan: Plan, strategy: Strategy, status: str, reason: str) -> dict[str, Any]:
    """What every row of a strategy the run tried to build holds, whether it built or not: its bases, builder, when."""
    resolved = plan.bases.resolved
    base = resolved[strategy.base_kind]
    return {
        "strategy": strategy.name,
        "description": strategy.description,
        "status": status,
        "reason": reason,
        "base_kind": base.kind,
        "base_image": base.image,
        "base_id": base.image_id,
        "base_digest": base.digest,
        "base_standin": any(resolved[k].standin for k in strategy.base_kinds),
        "stage_bases": _stage_bases(resolved, strategy),
        "base_asked": strategy.base_asked,
        "builder": plan.prepared.builder,
        "reused": False,
        "verified": False,
        "measured_at": _now(),
        "engine_version": plan.engine_version,
    }


def _failed(plan: Plan, strategy: Strategy, failed: BuildFailed, seconds: float, key: str) -> dict[str, Any]:
    """A failed build's row: the reason quotes the lines where the failing step said what went wrong,
    and names the whole log, written to ``<out>/logs/<strategy>.log``."""
    build_log = _write_log(plan.prepared.out, strategy.name, failed.log)
    where = f"build failed at {failed.step or 'the Dockerfile'}"
    said = list(failed.said) if failed.said and failed.step else []
    first = f"{where} ({exit_code(failed.message)})" if said else f"{where}: {failed.message}"
    reason = "\n".join([first, *said, f"the whole build log: {build_log}"])
    return {
        **_tried(plan, strategy, "failed", reason),
        "build_seconds": round(seconds, 2),
        "build_log": build_log,
        "key": key,
        "measurement_version": MEASUREMENT_VERSION,
    }


def _log_path(out: Path, name: str) -> Path:
    """Where a build log named ``name`` (a strategy, or ``<strategy>.warm``) lives in the results folder."""
    return out / LOGS / f"{name}.log"


def _write_log(out: Path, strategy: str, log: str) -> str:
    """Write a build's whole log to ``<out>/logs/<strategy>.log`` (atomically); its path as rows show it."""
    path = _log_path(out, strategy)
    write_atomic(path, log)
    return shown_path(path, out)


def _request(plan: Plan, strategy: Strategy) -> BuildRequest:
    """The build a strategy asks for, before its key names its tag: its context, build args and secrets."""
    prepared, console = plan.prepared, plan.console
    definition, reqs = prepared.definition, prepared.requirements
    dockerfile = "Dockerfile"
    if definition is None:
        context = make_context(strategy.dockerfile, reqs.path, INSTALL_SCRIPT)
    else:
        text = strategy.rewritten.encode() if strategy.rewritten else strategy.dockerfile.read_bytes()
        outs = {prepared.out, definition.out or definition.folder / PROJECT_OUT}  # a report's pages run inside it
        inside = tuple(
            sorted(str(o.relative_to(definition.context)) for o in outs if o.is_relative_to(definition.context))
        )
        context = make_project_context(definition.context, text, also_ignore=inside)  # results change every run
        dockerfile = PROJECT_DOCKERFILE
        _warn_if_large(console, strategy, context)
    buildargs = {"VENV_NAME": prepared.settings.venv_name}
    resolved = plan.bases.resolved
    buildargs.update({bases.build_arg(k): resolved[k].image for k in strategy.base_kinds if k in bases.KINDS})
    buildargs.update(strategy.build_args)
    secrets = {"imgexp-ca": prepared.ca_bundle} if prepared.ca_bundle and prepared.builder == "buildkit" else {}
    return BuildRequest(
        strategy.name, context, None, buildargs, target=strategy.target, dockerfile=dockerfile, secrets=secrets
    )


def _warn_if_large(console: Progress, strategy: Strategy, context: BuildContext) -> None:
    if len(context.tar) > LARGE_CONTEXT_BYTES:
        biggest = ", ".join(f"{name} ({human_size(size)})" for name, size in largest_paths(context))
        console.log(
            f"[{strategy.name}] warning: the build context is {human_size(len(context.tar))}; its largest "
            f"paths not in .dockerignore: {biggest}"
        )


def _build(plan: Plan, request: BuildRequest, quiet: bool = False) -> BuildOutcome:
    """Build with the run's builder (BuildKit gets the CA bundle as the secret ``imgexp-ca``)."""
    log = None if quiet else plan.console.log
    if plan.prepared.builder == "buildkit":
        return buildx_build(plan.client, request, log)
    return build_image(plan.client, request, log)


def _timed_rebuilds(plan: Plan, request: BuildRequest, image_id: str) -> tuple[float | None, float | None]:
    """With timings on, (warm, changed): a rebuild that takes every step from the cache, then one
    after a dependency change (CHANGED_REQUIREMENT added to the context's requirements.txt; None
    when the context has none, when it pins hashes, or when that rebuild fails). The measured
    image keeps its tag; the changed image is left untagged. A rebuild that fails leaves its time
    out: the strategy itself built, and its row stands.

    A rebuild that still ran a step is done again, after each pause of WARM_RETRY_PAUSES: the
    classic builder may miss a builder stage's cache on the first rebuild after a no-cache build;
    BuildKit runs a cached step again while another build on the same engine holds the base it
    shares (moby/buildkit#6954), and its garbage collection may have dropped a step's record. If
    the last one ran steps too there is no warm time, and its log is kept as
    ``<out>/logs/<strategy>.warm.log``.
    """
    if not plan.prepared.settings.timings:
        return None, None
    name, warm_request = request.strategy, replace(request, nocache=False)
    plan.console.log(f"[{name}] rebuilding with the cache, then with {CHANGED_REQUIREMENT} added, for build times")
    try:
        warm = _build(plan, warm_request, quiet=True)
        for pause in WARM_RETRY_PAUSES:
            if not warm.ran_steps:
                break
            time.sleep(pause)
            warm = _build(plan, warm_request, quiet=True)
    except BuildFailed as failed:
        plan.console.log(f"[{name}] no warm build time: the rebuild with the cache failed: {failed.message}")
        return None, None
    if request.tag:
        plan.client.images.get(image_id).tag(request.tag)
    warm_seconds = None if warm.ran_steps else round(warm.seconds, 2)
    _log_path(plan.prepared.out, f"{name}.warm").unlink(missing_ok=True)  # an earlier run's
    if warm.ran_steps:
        log = _write_log(plan.prepared.out, f"{name}.warm", warm.log)
        plan.console.log(
            f"[{name}] no warm build time: {len(WARM_RETRY_PAUSES) + 1} rebuilds with the cache ran "
            f"{warm.ran_steps} step(s) again (another build on this engine sharing the base, or the build "
            f"cache's garbage collection; the last one's log: {log})"
        )
    requirements = read_file(request.context, "requirements.txt")
    if not requirements or b"--hash" in requirements:  # none to change, or pip would refuse an unhashed line
        return warm_seconds, None
    # a new line each time (the time in a comment), so the rebuild never finds this change in the cache
    added = requirements.rstrip(b"\n") + f"\n{CHANGED_REQUIREMENT}  # imgexp: added at {_now()}\n".encode()
    try:
        changed_context = with_file(request.context, "requirements.txt", added)
        changed = _build(plan, replace(warm_request, context=changed_context, tag=None), quiet=True)
    except BuildFailed as failed:
        plan.console.log(f"[{name}] no changed-dependency time: the rebuild with {CHANGED_REQUIREMENT} failed")
        plan.console.log(str(failed).splitlines()[0])
        return warm_seconds, None
    return warm_seconds, round(changed.seconds, 2)


def image_version(key: str, out: Path) -> str:
    """The tag of a strategy's image: its key, then the results folder's (12 + 6 hex digits).

    Two results folders that build the same key get two tags: one folder's rebuild (``--timings``,
    ``--rebuild``) never takes the other's tag, so it never leaves the image that folder's row
    reports untagged for a cleanup to remove.
    """
    folder = hashlib.sha256(str(out.resolve()).encode()).hexdigest()
    return f"{key[:12]}-{folder[:6]}"


def _reusable(client: docker.DockerClient, row_path: Path, key: str) -> dict[str, Any] | None:
    """The stored row for this key: a failed one (the same inputs fail the same way; not when the machine
    failed it: a full disk, a network down), or one whose image is still in the engine."""
    if not row_path.is_file():
        return None
    row = read_json(row_path)
    if row.get("key") != key or row.get("measurement_version") != MEASUREMENT_VERSION:
        return None
    if row.get("status") == "failed":
        return None if the_machines_fault(str(row.get("reason", ""))) else row
    try:
        client.images.get(row["image_id"])
    except ImageNotFound:
        return None
    return row


def _checks(definition: Project | None) -> tuple[tuple[str, ...], int]:
    """A project's verify commands and their timeout; none without a project."""
    if definition is None:
        return (), 0
    return definition.verify_commands, definition.verify_timeout


def _key(
    context_sha: str,
    buildargs: dict[str, str],
    base_ids: dict[str, str],
    names: tuple[str, ...],
    checks: tuple[tuple[str, ...], int] = ((), 0),
    target: str | None = None,
    builder: str = "classic",
) -> str:
    material: dict[str, Any] = {
        "version": MEASUREMENT_VERSION,
        "builder": builder,
        "context": context_sha,
        "buildargs": buildargs,
        "bases": base_ids,
        "requirements": list(names),
    }
    if checks[0]:  # a project's verify commands; the write-up's keys stay as they were
        material["checks"] = [list(checks[0]), checks[1]]
    if target:
        material["target"] = target
    return hashlib.sha256(json.dumps(material, sort_keys=True).encode()).hexdigest()


def _not_run(strategy: Strategy, reason: str) -> dict[str, Any]:
    return {
        "strategy": strategy.name,
        "description": strategy.description,
        "status": "not-run",
        "reason": reason,
        "verified": False,
        "measured_at": _now(),
    }


def _command(out: Path) -> str:
    """The command line that ran this, its paths as shown_path shows them, or that a Jupyter kernel ran it."""
    if "ipykernel" in sys.argv[0]:
        return "imgexp.run() in a Jupyter kernel (a notebook, or papermill)"
    program = Path(sys.argv[0]).name
    words = ["imgexp" if program == "__main__.py" else program]
    for word in sys.argv[1:]:
        option, equals, value = word.rpartition("=")  # --out=/a/b as well as /a/b
        words.append(option + equals + (shown_path(value, out) if value.startswith("/") else value))
    return " ".join(words)


def _now() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")
