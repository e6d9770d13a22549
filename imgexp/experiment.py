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
from .engine.build import CONNECTION_LOST, BuildOutcome, build_image
from .engine.buildkit import Builder, buildx_build, choose_builder, describe_builder
from .engine.ca import find_ca_bundle
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
from .engine.standins import PACKAGES as STANDIN_KINDS
from .engine.verify import run_commands, verify_image
from .errors import BaseUnavailable, BuildFailed, EngineStopped, ImgexpError, InvalidProject
from .lint import lint_dockerfile, write_lint
from .measure.scan import image_size, scan_and_record
from .paths import DATA, DEFAULT_DOCKERFILES, DEFAULT_REQUIREMENTS, INSTALL_SCRIPT
from .progress import Progress
from .project import Project, load_project
from .requirements import Requirements, read_requirements
from .results import DEFAULT_OUT, read_json, results_frame, write_json, write_results
from .strategies import Strategy, check_builder, from_project, load_all, parse_names
from .units import human_size

#: bump when what a row holds changes: rows of an older version are measured again
MEASUREMENT_VERSION = 9
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
#: a project's results folder, in the project, when neither its definition nor --out names one
PROJECT_OUT = "imgexp-results"
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
        Build without the cache, then rebuild with it, then rebuild with one requirement added
        (CHANGED_REQUIREMENT), to record cold, warm and changed-dependency build times (slow:
        every strategy is built from scratch).
    builder
        ``buildkit`` (the docker CLI's ``buildx build``), ``classic`` (the Engine API's builder,
        the write-up's era), or ``auto``: BuildKit where buildx is installed, as ``docker build``.
    progress
        Show progress on stderr; None: when stderr is a terminal and $CI is unset.
    project
        A project folder holding an experiment definition ``imgexp.toml`` (docs/projects.md):
        its strategies, context and verification. Its ``python`` (else the version its
        Dockerfiles start FROM) and ``out`` (else ``imgexp-results`` in the project) apply
        where those options are left at their defaults. Its requirements.txt, if any, is the
        import check's (``requirements`` left at its default; ``[verify] imports = false``: none).

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
    builder: Builder = "auto"
    progress: bool | None = None
    project: Path | None = None
    definition: Project | None = field(init=False, repr=False, compare=False)
    """The project's experiment definition, read; None without a project."""
    reqs: Requirements = field(init=False, repr=False, compare=False)
    """The requirements file, read."""
    chosen: tuple[Strategy, ...] = field(init=False, repr=False, compare=False)
    """The strategies, read from their Dockerfiles."""

    def __post_init__(self) -> None:
        def absolute(path: str | Path) -> Path:
            return Path(path).expanduser().resolve()

        definition = load_project(self.project) if self.project is not None else None
        object.__setattr__(self, "definition", definition)
        if definition is not None:
            self._adopt(definition)
        names = self.strategies
        if definition is not None and isinstance(names, str):  # "all": every strategy of the definition
            names = tuple(n.strip() for n in names.split(",") if n.strip()) if names.strip() != "all" else None
        elif names is not None:
            names = tuple(parse_names(names, self.dockerfiles) if isinstance(names, str) else names)
        normal = {
            "requirements": absolute(self.requirements),
            "dockerfiles": absolute(self.dockerfiles),
            "out": absolute(self.out),
            "ca_bundle": str(absolute(self.ca_bundle)) if self.ca_bundle else self.ca_bundle,
            "strategies": names,
            "project": absolute(self.project) if self.project is not None else None,
        }
        for name, value in normal.items():
            object.__setattr__(self, name, value)
        if self.base_source not in get_args(BaseSource):
            offered = ", ".join(get_args(BaseSource))
            raise ImgexpError(f"Unknown base source {self.base_source!r}: pick one of {offered}")
        if self.builder not in get_args(Builder):
            raise ImgexpError(f"Unknown builder {self.builder!r}: pick one of {', '.join(get_args(Builder))}")
        _check_out(self.out)
        if definition is None:
            object.__setattr__(self, "reqs", read_requirements(self.requirements))
            object.__setattr__(self, "chosen", tuple(load_all(list(names) if names else None, self.dockerfiles)))
            return
        object.__setattr__(self, "reqs", _project_requirements(definition, self.requirements))
        chosen = _project_strategies(definition, names)
        literal = sorted({s.literal_python for s in chosen if s.literal_python})
        if definition.python is None and self.python == default("python") and len(literal) == 1:
            object.__setattr__(self, "python", literal[0])  # the Python its Dockerfiles start FROM
        _check_python(definition, chosen, self.python)
        object.__setattr__(self, "chosen", chosen)

    def _adopt(self, definition: Project) -> None:
        """Take the definition's python and out where those options are left at their defaults."""
        if definition.python is not None and self.python == default("python"):
            object.__setattr__(self, "python", definition.python)
        if Path(self.out) == default("out"):  # never the write-up's folder
            object.__setattr__(self, "out", definition.out or definition.folder / PROJECT_OUT)

    def shown(self) -> dict[str, str]:
        """Every option as published pages show it: paths from the repository or ``out`` (see shown_path)."""
        shown = {f.name: str(getattr(self, f.name)) for f in fields(self) if f.init}
        for name in ("requirements", "dockerfiles", "out", "ca_bundle", "project"):
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


def _project_requirements(definition: Project, requirements: Path) -> Requirements:
    """What the import check imports in a project's images: none when ``[verify] imports = false``;
    else the ``requirements`` option when given, else the context's requirements.txt if there is one."""
    if definition.verify_imports:
        given = requirements if requirements != DEFAULT_REQUIREMENTS else definition.context / "requirements.txt"
        if given.is_file() or requirements != DEFAULT_REQUIREMENTS:
            return read_requirements(given)
    text = definition.definition.read_bytes()
    return Requirements(path=definition.definition, names=(), sha256=hashlib.sha256(text).hexdigest())


def _project_strategies(definition: Project, names: tuple[str, ...] | None) -> tuple[Strategy, ...]:
    """The definition's strategies, or those of them named, in the order named."""
    offered = {s.name: s for s in definition.strategies}
    unknown = [n for n in names or () if n not in offered]
    if unknown:
        raise InvalidProject(
            str(definition.definition),
            "strategy.name",
            f"no strategy named {unknown[0]!r} (it has {', '.join(offered)})",
            "Pass --strategies with names of its [[strategy]] tables, or leave it out to run them all",
        )
    return tuple(from_project(offered[n]) for n in (names or offered))


def _check_python(definition: Project, chosen: tuple[Strategy, ...], python: str) -> None:
    """InvalidProject when a strategy starts FROM python:<version> of another version than the run's."""
    for strategy in chosen:
        if strategy.literal_python not in (None, python):
            raise InvalidProject(
                str(definition.definition),
                "python",
                f"{python} here, but {strategy.dockerfile.name} (strategy {strategy.name!r}) starts FROM "
                f"python:{strategy.literal_python}",
                f'Set python = "{strategy.literal_python}" (or pass --python): one Python version per run',
            )


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
    builder = choose_builder(settings.builder)
    for strategy in settings.chosen:
        check_builder(strategy, builder)
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
        "engine": describe_engine(client, describe_builder(builder)),
        "python": settings.python,
        "base_source": settings.base_source,
        "bases": {kind: base.as_dict() for kind, base in resolved.items() if kind != "scratch"},
        "requirements": {"path": shown_path(reqs.path, out), "sha256": reqs.sha256, "names": list(reqs.names)},
        "dockerfiles": shown_path(settings.dockerfiles, out),
        "venv_name": settings.venv_name,
        "ca_bundle": shown_path(bundle, out) if bundle else None,
        "project": _project_provenance(settings.definition, out),
        "baseline": settings.chosen[0].name if settings.definition else "base",
    }
    rows: list[dict[str, Any]] = []
    with serve_ca(bundle) as ca_url, console.bar(len(settings.chosen)) as bar:
        engine_version = provenance["engine"]["engine_version"]
        plan = _Plan(settings, client, resolved, ca_url, bundle, builder, console, engine_version)
        for strategy in settings.chosen:
            bar.set_description(strategy.name)
            unavailable = [missing[k] for k in strategy.base_kinds if k in missing]
            if unavailable:
                rows.append(_not_run(strategy, str(unavailable[0])))
            else:
                rows.append(_run_one_or_stop(plan, strategy))
            provenance["finished_at"] = _now()
            write_results(out, rows, provenance)
            bar.update()
    remove_leftovers(client)  # the builder stages and rebuilt images no row reports
    return results_frame(rows, provenance)


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
    ca_bundle: Path | None
    builder: str
    console: Progress
    engine_version: str


def _stage_bases(resolved: dict[str, bases.BaseImage], strategy: Strategy) -> str:
    """Every base a stage of ``strategy`` starts FROM: its reference, short id, size, and whether a stand-in."""
    shown = []
    for base in (resolved[k] for k in strategy.base_kinds if k != "scratch"):
        standin = ", stand-in" if base.standin else ""
        shown.append(
            f"{base.image} ({base.image_id.removeprefix('sha256:')[:12]}, {human_size(base.size_bytes)}{standin})"
        )
    return "; ".join(shown + (["scratch"] if "scratch" in strategy.base_kinds else []))


def _run_one_or_stop(plan: _Plan, strategy: Strategy) -> dict[str, Any]:
    """_run_one; EngineStopped when the engine went away outside a build step (a build names its own)."""
    try:
        return _run_one(plan, strategy)
    except CONNECTION_LOST as exc:
        if answers(plan.client):
            raise
        raise EngineStopped(docker_host(), strategy.name, VERIFY_STEP, f"the connection broke: {exc}") from exc


def _run_one(plan: _Plan, strategy: Strategy) -> dict[str, Any]:
    settings, client, resolved, console = plan.settings, plan.client, plan.resolved, plan.console
    reqs, venv_name = settings.reqs, settings.venv_name
    definition = settings.definition
    dockerfile = "Dockerfile"
    if definition is None:
        context = make_context(strategy.dockerfile, reqs.path, INSTALL_SCRIPT)
    else:
        text = strategy.rewritten.encode() if strategy.rewritten else strategy.dockerfile.read_bytes()
        outs = {settings.out, definition.out or definition.folder / PROJECT_OUT}  # a report's pages run inside it
        inside = tuple(
            sorted(str(o.relative_to(definition.context)) for o in outs if o.is_relative_to(definition.context))
        )
        context = make_project_context(definition.context, text, also_ignore=inside)  # results change every run
        dockerfile = PROJECT_DOCKERFILE
        if len(context.tar) > LARGE_CONTEXT_BYTES:
            biggest = ", ".join(f"{name} ({human_size(size)})" for name, size in largest_paths(context))
            console.log(
                f"[{strategy.name}] warning: the build context is {human_size(len(context.tar))}; its largest "
                f"paths not in .dockerignore: {biggest}"
            )
    buildargs = {"VENV_NAME": venv_name}
    buildargs.update({bases.build_arg(k): resolved[k].image for k in strategy.base_kinds if k in bases.KINDS})
    buildargs.update(strategy.build_args)
    checks = _checks(definition)
    base_ids = {k: resolved[k].image_id for k in strategy.base_kinds}
    key = _key(context.sha256, buildargs, base_ids, reqs.names, checks, strategy.target, plan.builder)
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
    job = _Job(strategy, context, dockerfile, buildargs, labels)
    outcome = _build(plan, job, tag, nocache=settings.rebuild or settings.timings)
    warm_seconds, changed_seconds = _timed_rebuilds(plan, job, tag, outcome.image_id)
    base = resolved[strategy.base_kind]
    size = image_size(client, outcome.image_id, base)
    interpreter = strategy.python.replace("$VENV_NAME", venv_name).replace("${VENV_NAME}", venv_name)
    console.log(f"[{strategy.name}] verifying: importing {len(reqs.names)} requirements with {interpreter}")
    check = verify_image(client, outcome.image_id, interpreter, reqs.names, reqs.markers)
    commands = run_commands(client, outcome.image_id, *checks) if definition is not None else None
    verified = check.verified and (commands is None or commands.passed)
    lint = lint_dockerfile(strategy.dockerfile)
    if lint is not None:
        write_lint(settings.out, strategy.name, lint)
    errors = [e for e in (check.error, commands.error if commands else "") if e]
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
        "stage_bases": _stage_bases(resolved, strategy),
        "base_bytes": size.base_bytes,
        "added_bytes": size.added_bytes,
        "layers": size.layers,
        **scan_and_record(client, outcome.image_id, base, settings.out, strategy.name),
        "build_seconds": round(outcome.seconds, 2),
        "cold_build_seconds": round(outcome.seconds, 2) if settings.timings else None,
        "warm_build_seconds": warm_seconds,
        "changed_build_seconds": changed_seconds,
        "builder": plan.builder,
        "frontend": outcome.frontend,
        "lint_findings": None if lint is None else len(lint),
        "build_steps": outcome.steps,
        "cached_steps": outcome.cached_steps,
        "reused": False,
        "verified": verified,
        "verify_error": "; ".join(errors),
        "verify_output": commands.output if commands else None,
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


@dataclass(frozen=True)
class _Job:
    """What one strategy's builds share: its context and how the engine is asked to build it."""

    strategy: Strategy
    context: BuildContext
    dockerfile: str
    buildargs: dict[str, str]
    labels: dict[str, str]


def _build(plan: _Plan, job: _Job, tag: str | None, nocache: bool = False, quiet: bool = False) -> BuildOutcome:
    """Build a job with the run's builder: BuildKit gets the CA bundle as the secret ``imgexp-ca``."""
    log = None if quiet else plan.console.log
    client, name, target = plan.client, job.strategy.name, job.strategy.target
    arguments = (job.buildargs, job.labels, nocache, log, target, job.dockerfile)
    if plan.builder == "buildkit":
        secrets = {"imgexp-ca": plan.ca_bundle} if plan.ca_bundle else {}
        return buildx_build(client, name, job.context, tag, *arguments, secrets)
    return build_image(client, name, job.context.tar, tag, *arguments)


def _timed_rebuilds(plan: _Plan, job: _Job, tag: str, image_id: str) -> tuple[float | None, float | None]:
    """With timings on, (warm, changed): a rebuild that takes every step from the cache, then one
    after a dependency change (CHANGED_REQUIREMENT added to the context's requirements.txt; None
    when the context has none, when it pins hashes, or when that rebuild fails). The measured
    image keeps its tag; the changed image is left untagged.

    The classic builder may miss a builder stage's cache on the first rebuild after a no-cache
    build, so it rebuilds twice and keeps the second.
    """
    if not plan.settings.timings:
        return None, None
    name = job.strategy.name
    plan.console.log(f"[{name}] rebuilding with the cache, then with {CHANGED_REQUIREMENT} added, for build times")
    for _ in range(2 if plan.builder == "classic" else 1):
        warm = _build(plan, job, tag, quiet=True)
    plan.client.images.get(image_id).tag(tag)
    requirements = read_file(job.context, "requirements.txt")
    if not requirements or b"--hash" in requirements:  # none to change, or pip would refuse an unhashed line
        return round(warm.seconds, 2), None
    # a new line each time (the time in a comment), so the rebuild never finds this change in the cache
    added = requirements.rstrip(b"\n") + f"\n{CHANGED_REQUIREMENT}  # imgexp: added at {_now()}\n".encode()
    try:
        changed_job = replace(job, context=with_file(job.context, "requirements.txt", added))
        changed = _build(plan, changed_job, None, quiet=True)
    except BuildFailed as failed:  # the strategy itself built: its row stands, without this one time
        plan.console.log(f"[{name}] no changed-dependency time: the rebuild with {CHANGED_REQUIREMENT} failed")
        plan.console.log(str(failed).splitlines()[0])
        return round(warm.seconds, 2), None
    return round(warm.seconds, 2), round(changed.seconds, 2)


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
