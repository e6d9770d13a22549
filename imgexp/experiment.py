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
from dataclasses import dataclass, field, fields, replace
from importlib.metadata import version
from pathlib import Path
from typing import Any, get_args

import docker
import pandas as pd
from docker.errors import ImageNotFound

from .engine import bases
from .engine.bases import BaseSource
from .engine.build import build_image
from .engine.ca import find_ca_bundle
from .engine.ca import serve as serve_ca
from .engine.cleanup import remove_leftovers
from .engine.client import connect, describe_engine
from .engine.context import make_context
from .engine.standins import PACKAGES as STANDIN_KINDS
from .engine.verify import verify_image
from .errors import BaseUnavailable, ImgexpError
from .measure.scan import image_size, scan_and_record
from .paths import DATA, DEFAULT_DOCKERFILES, DEFAULT_REQUIREMENTS, INSTALL_SCRIPT
from .progress import Progress
from .requirements import Requirements, read_requirements
from .results import DEFAULT_OUT, read_json, results_frame, write_json, write_results
from .strategies import Strategy, load_all, parse_names
from .units import human_size

#: bump when what a row holds changes: rows of an older version are measured again
MEASUREMENT_VERSION = 6
HOW_MEASURED = (
    "built by imgexp on the engine below; size_bytes is the engine's image Size "
    "(what `docker images` shows); verified by importing every requirement inside the image "
    "with no network"
)
#: where the host's configuration lives: published pages show such paths whole
_SYSTEM = (Path("/etc"), Path("/usr"))


@dataclass(frozen=True)
class Settings:
    """Every option of a run, each default declared here and nowhere else; checked when made.

    Paths are made absolute (from the working folder) and strategies a tuple.

    Parameters
    ----------
    requirements
        The pip requirements file installed into every image.
    strategies
        Names of the strategies to run (``dockerfiles/Dockerfile.<name>``), in order, or
        one string of them separated by commas; None (or ``"all"``) runs every strategy in the folder.
    python
        Python version of the base images (the Python Debian ships, so that official and
        stand-in figures compare).
    base_source
        ``official`` python images, offline ``standin`` bases, or ``auto``: official when available.
    dockerfiles
        The folder of strategies.
    venv_name
        The venv under /opt inside the images.
    ca_bundle
        CA bundle handed to pip inside builds, never kept in an image; None finds the
        host's (imgexp.engine.ca.find_ca_bundle), "" builds without one.
    out
        The results folder, made if missing; a rerun reuses each row whose inputs are unchanged.
    rebuild
        Build without the cache and measure again.
    timings
        Build without the cache, then rebuild with it, to record cold and warm build times
        (slow: every strategy is built from scratch).
    progress
        Show progress on stderr; None: when stderr is a terminal and $CI is unset.

    Raises
    ------
    RequirementsNotFound, StrategyNotFound, DockerfilesNotFound, InvalidStrategy, ImgexpError
        When an option cannot work; the message names the fix.
    """

    requirements: Path = DEFAULT_REQUIREMENTS
    strategies: tuple[str, ...] | None = None
    python: str = "3.11"
    base_source: BaseSource = "auto"
    dockerfiles: Path = DEFAULT_DOCKERFILES
    venv_name: str = "python-poc"
    ca_bundle: str | None = None
    out: Path = DEFAULT_OUT
    rebuild: bool = False
    timings: bool = False
    progress: bool | None = None
    reqs: Requirements = field(init=False, repr=False, compare=False)
    """The requirements file, read."""
    chosen: tuple[Strategy, ...] = field(init=False, repr=False, compare=False)
    """The strategies, read from their Dockerfiles."""

    def __post_init__(self) -> None:
        def absolute(path: str | Path) -> Path:
            return Path(path).expanduser().resolve()

        names = self.strategies
        if names is not None:
            names = tuple(parse_names(names, self.dockerfiles) if isinstance(names, str) else names)
        normal = {
            "requirements": absolute(self.requirements),
            "dockerfiles": absolute(self.dockerfiles),
            "out": absolute(self.out),
            "ca_bundle": str(absolute(self.ca_bundle)) if self.ca_bundle else self.ca_bundle,
            "strategies": names,
        }
        for name, value in normal.items():
            object.__setattr__(self, name, value)
        if self.base_source not in get_args(BaseSource):
            offered = ", ".join(get_args(BaseSource))
            raise ImgexpError(f"Unknown base source {self.base_source!r}: pick one of {offered}")
        _check_out(self.out)
        object.__setattr__(self, "reqs", read_requirements(self.requirements))
        object.__setattr__(self, "chosen", tuple(load_all(list(names) if names else None, self.dockerfiles)))

    def shown(self) -> dict[str, str]:
        """Every option as published pages show it: paths from the repository or ``out`` (see shown_path)."""
        shown = {f.name: str(getattr(self, f.name)) for f in fields(self) if f.init}
        for name in ("requirements", "dockerfiles", "out", "ca_bundle"):
            if getattr(self, name):
                shown[name] = shown_path(getattr(self, name), self.out)
        shown["strategies"] = ", ".join(s.name for s in self.chosen)
        return shown


def default(option: str) -> Any:
    """The default of one Settings option."""
    return next(f.default for f in fields(Settings) if f.name == option)


def shown_path(path: str | Path, out: Path) -> str:
    """``path`` as published pages show it, with no trace of the machine that made them.

    Inside the repository (imgexp.paths.DATA): relative to it; inside ``out``: relative to
    it; under /etc or /usr, the host's configuration: whole; anywhere else: its name only.
    """
    path = Path(path)
    for root in (DATA, out):
        if path != root and path.is_relative_to(root):
            return str(path.relative_to(root))
    return str(path) if any(path.is_relative_to(s) for s in _SYSTEM) else path.name


def _check_out(out: Path) -> None:
    """ImgexpError when a file stands where the results folder ``out`` is, or would be made."""
    blocker = next(p for p in (out, *out.parents) if p.exists())
    if not blocker.is_dir():
        where = "is a file" if blocker == out else f"cannot be made: {blocker} is a file"
        raise ImgexpError(
            f"The results folder {out} {where}. Pass --out (out= in Python) a folder: "
            "a new one is made, an earlier run's is resumed."
        )


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
        what results.json holds. A strategy whose base cannot be had is a ``not-run`` row.
    """
    if settings is None:
        settings = Settings(**options)
    elif options:
        settings = replace(settings, **options)
    out = settings.out
    bundle = find_ca_bundle(settings.ca_bundle)
    client = client or connect()
    console = Progress(settings.progress)
    started = _now()
    resolved, missing = _resolve_bases(client, settings.chosen, settings.python, settings.base_source, console)
    reqs = settings.reqs
    provenance: dict[str, Any] = {
        "imgexp_version": version("imgexp"),
        "started_at": started,
        "how": HOW_MEASURED,
        "command": _command(out),
        "engine": describe_engine(client),
        "python": settings.python,
        "base_source": settings.base_source,
        "bases": {kind: base.as_dict() for kind, base in resolved.items() if kind != "scratch"},
        "requirements": {"path": shown_path(reqs.path, out), "sha256": reqs.sha256, "names": list(reqs.names)},
        "dockerfiles": shown_path(settings.dockerfiles, out),
        "venv_name": settings.venv_name,
        "ca_bundle": shown_path(bundle, out) if bundle else None,
    }
    rows: list[dict[str, Any]] = []
    with serve_ca(bundle) as ca_url, console.bar(len(settings.chosen)) as bar:
        plan = _Plan(settings, client, resolved, ca_url, console, provenance["engine"]["engine_version"])
        for strategy in settings.chosen:
            bar.set_description(strategy.name)
            unavailable = [missing[k] for k in strategy.base_kinds if k in missing]
            if unavailable:
                rows.append(_not_run(strategy, str(unavailable[0])))
            else:
                rows.append(_run_one(plan, strategy))
            provenance["finished_at"] = _now()
            write_results(out, rows, provenance)
            bar.update()
    remove_leftovers(client)  # the builder stages and rebuilt images no row reports
    return results_frame(rows, provenance)


def _resolve_bases(
    client: docker.DockerClient,
    chosen: tuple[Strategy, ...],
    python: str,
    base_source: BaseSource,
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
    """One run: its settings, and what its strategies share once it has started."""

    settings: Settings
    client: docker.DockerClient
    resolved: dict[str, bases.BaseImage]
    ca_url: str | None
    console: Progress
    engine_version: str


def _run_one(plan: _Plan, strategy: Strategy) -> dict[str, Any]:
    settings, client, resolved, console = plan.settings, plan.client, plan.resolved, plan.console
    reqs, venv_name = settings.reqs, settings.venv_name
    context = make_context(strategy.dockerfile, reqs.path, INSTALL_SCRIPT)
    buildargs = {"VENV_NAME": venv_name}
    buildargs.update({bases.build_arg(k): resolved[k].image for k in strategy.base_kinds if k != "scratch"})
    key = _key(context.sha256, buildargs, {k: resolved[k].image_id for k in strategy.base_kinds}, reqs.names)
    row_path = settings.out / "rows" / f"{strategy.name}.json"
    earlier = _reusable(client, row_path, key)
    if settings.timings and earlier is not None and earlier.get("warm_build_seconds") is None:
        earlier = None
    if earlier is not None and not settings.rebuild:
        console.log(f"[{strategy.name}] unchanged since {earlier['measured_at']}: reusing {earlier['image']}")
        return {**earlier, "reused": True}
    if plan.ca_url:
        buildargs["IMGEXP_CA_URL"] = plan.ca_url
    tag = f"imgexp/{strategy.name.lower()}:{key[:12]}"
    labels = {"imgexp.role": "build", "imgexp.strategy": strategy.name, "imgexp.key": key}
    nocache = settings.rebuild or settings.timings
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
        **scan_and_record(client, outcome.image_id, base, settings.out, strategy.name),
        "build_seconds": round(outcome.seconds, 2),
        "cold_build_seconds": round(outcome.seconds, 2) if settings.timings else None,
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
    strategy: Strategy,
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
    if not plan.settings.timings:
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
