"""The published report: the experiment, one notebook page per strategy, the comparison, an index.

``publish`` runs the experiment into a folder (every strategy already measured there is
reused), runs notebooks/strategy.ipynb once per strategy and notebooks/compare.ipynb with
papermill into ``<out>/notebooks/``, renders each to HTML with its code hidden, and writes
``<out>/index.html``. The other functions are what those notebooks call.
"""

from __future__ import annotations

import argparse
import datetime as dt
import html
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import nbformat
import pandas as pd
import papermill
from nbconvert import HTMLExporter
from pandas.io.formats.style import Styler
from papermill.exceptions import PapermillExecutionError

from . import strategies
from .attribution import smallest_working
from .bases import BaseSource
from .charts import field_table
from .errors import BuildFailed, ImgexpError
from .experiment import DEFAULT_PYTHON, DEFAULT_VENV_NAME, load_results, run
from .imagescan import load_layers, load_packages
from .progress import Progress
from .requirements import read_requirements
from .store import write_atomic
from .units import human_size

NOTEBOOKS = strategies.PACKAGE_ROOT / "notebooks"
STRATEGY_NOTEBOOK = NOTEBOOKS / "strategy.ipynb"
COMPARE_NOTEBOOK = NOTEBOOKS / "compare.ipynb"
DEMO_REQUIREMENTS = NOTEBOOKS / "requirements-demo.txt"
KERNEL = "python3"


def resolve(path: str | Path) -> Path:
    """An absolute path as is; a relative one from the repository root, wherever the kernel runs."""
    path = Path(path).expanduser()
    return path if path.is_absolute() else strategies.PACKAGE_ROOT / path


# --- what the notebooks call -------------------------------------------------------------


def check_parameters(**parameters: Any) -> Styler:
    """Check a notebook's parameters before anything is built, and show them.

    A missing requirements file raises RequirementsNotFound and an unknown strategy
    StrategyNotFound, each naming the fix.
    """
    dockerfiles = resolve(parameters.get("dockerfiles", strategies.DEFAULT_DOCKERFILES))
    if "requirements" in parameters:
        read_requirements(resolve(parameters["requirements"]))
    names = list(parameters.get("strategies") or []) + ([parameters["strategy"]] if "strategy" in parameters else [])
    for name in names:
        strategies.load(name, dockerfiles)
    shown = {k: resolve(v) if k in ("requirements", "out", "dockerfiles") else v for k, v in parameters.items()}
    return field_table(shown, "parameter")


def strategy_result(
    strategy: str,
    out: str | Path,
    requirements: str | Path = DEMO_REQUIREMENTS,
    python: str = DEFAULT_PYTHON,
    base_source: BaseSource = "auto",
    dockerfiles: str | Path = strategies.DEFAULT_DOCKERFILES,
    venv_name: str = DEFAULT_VENV_NAME,
    progress: bool | None = False,
) -> pd.DataFrame:
    """One strategy's result row, built or reused through imgexp.run.

    It runs into ``strategy_folder(strategy, out)`` so the experiment's own results in ``out``
    stay whole; the experiment's row for this strategy, with its layer and package tables,
    is offered for reuse first, so a strategy the experiment already measured with the same
    settings is not built again (and a rebuild writes its own tables over the copies).
    """
    out = resolve(out)
    own = strategy_folder(strategy, out)
    if (out / "rows" / f"{strategy}.json").is_file():
        for kind, suffix in (("rows", "json"), ("layers", "csv"), ("packages", "csv")):
            measured = out / kind / f"{strategy}.{suffix}"
            if measured.is_file():
                (own / kind).mkdir(parents=True, exist_ok=True)
                shutil.copyfile(measured, own / kind / measured.name)
    result = run(
        requirements=resolve(requirements),
        strategy_names=[strategy],
        python=python,
        out=own,
        base_source=base_source,
        dockerfiles=resolve(dockerfiles),
        venv_name=venv_name,
        progress=progress,
    )
    row = result.iloc[0]
    if row["status"] != "ok":
        raise ImgexpError(f"Strategy {strategy!r} was not run: {row['reason']}")
    return result


def experiment_results(
    out: str | Path,
    run_experiment: bool = True,
    requirements: str | Path = DEMO_REQUIREMENTS,
    strategy_names: list[str] | None = None,
    python: str = DEFAULT_PYTHON,
    base_source: BaseSource = "auto",
    dockerfiles: str | Path = strategies.DEFAULT_DOCKERFILES,
    venv_name: str = DEFAULT_VENV_NAME,
    timings: bool = False,
    progress: bool | None = False,
) -> pd.DataFrame:
    """An experiment's results: run (reusing every strategy already measured in ``out``) or only read.

    With ``timings``, a strategy not timed yet is built cold and then warm (see imgexp.run).
    """
    if not run_experiment:
        if not (resolve(out) / "results.json").is_file():
            raise ImgexpError(
                f"No experiment in {resolve(out)}: results.json is missing. Run `imgexp run --out {out}` "
                "first, or set run_experiment = True."
            )
        return load_results(resolve(out))
    return run(
        requirements=resolve(requirements),
        strategy_names=strategy_names,
        python=python,
        out=resolve(out),
        base_source=base_source,
        dockerfiles=resolve(dockerfiles),
        venv_name=venv_name,
        timings=timings,
        progress=progress,
    )


def strategy_folder(strategy: str, out: str | Path) -> Path:
    """Where strategy_result runs a strategy: ``<out>/strategies/<strategy>``, its row and tables inside."""
    return resolve(out) / "strategies" / strategy


def strategy_layers(strategy: str, out: str | Path) -> pd.DataFrame:
    """The layer table (imgexp.imagescan.load_layers) of the image strategy_result gave for ``strategy``."""
    return load_layers(strategy_folder(strategy, out), strategy)


def strategy_packages(strategy: str, out: str | Path) -> pd.DataFrame:
    """The package table (imgexp.imagescan.load_packages) of the image strategy_result gave for ``strategy``."""
    return load_packages(strategy_folder(strategy, out), strategy)


def verdict(result: pd.DataFrame) -> str:
    """Whether every requirement imports inside the strategy's image, in one line."""
    row = result.iloc[0]
    names = ", ".join(result.attrs["provenance"]["requirements"]["names"])
    if row["verified"]:
        return f"{row['strategy']}: every requirement imports inside the image ({names})"
    return f"{row['strategy']}: the image does NOT work: {row['verify_error']}"


def ranking(results: pd.DataFrame) -> str:
    """The strategies from smallest to largest image, and whether each image works."""
    ok = results[results["status"] == "ok"].sort_values("size_bytes")
    broken = [s for s, v in zip(ok["strategy"], ok["verified"]) if not v]
    order = " < ".join(ok["strategy"])
    return f"smallest first: {order}; " + (f"NOT working: {', '.join(broken)}" if broken else "every image works")


def smallest(results: pd.DataFrame) -> str:
    """The smallest verified image (imgexp.attribution.smallest_working), on disk and to pull, in one line."""
    try:
        row = smallest_working(results)
    except ValueError as exc:
        return f"No smallest working image: {exc}"
    line = (
        f"Smallest working image: {row['strategy']}, {row['size']} on disk, {row['compressed']} to pull "
        f"({'exact' if row['compressed_exact'] else 'estimate'}); every requirement imports inside it"
    )
    by_pull = smallest_working(results, "compressed_bytes")
    if by_pull["strategy"] != row["strategy"]:
        line += f". Smallest to pull: {by_pull['strategy']}, {by_pull['compressed']}"
    return line


# --- the headless report -------------------------------------------------------------------


@dataclass(frozen=True)
class Settings:
    """What the experiment and every notebook of one report share."""

    requirements: Path
    strategy_names: tuple[str, ...]
    python: str = DEFAULT_PYTHON
    base_source: BaseSource = "auto"
    dockerfiles: Path = strategies.DEFAULT_DOCKERFILES
    venv_name: str = DEFAULT_VENV_NAME
    ca_bundle: str | None = None
    timings: bool = False

    @classmethod
    def from_run_options(cls, args: argparse.Namespace) -> Settings:
        """Settings from the options of imgexp.cli.add_run_options."""
        return cls(
            requirements=Path(args.requirements).resolve(),
            strategy_names=tuple(strategies.parse_names(args.strategies, args.dockerfiles)),
            python=args.python,
            base_source=args.base_source,
            dockerfiles=Path(args.dockerfiles).resolve(),
            venv_name=args.venv_name,
            ca_bundle=args.ca_bundle,
            timings=args.timings,
        )

    def parameters(self, out: Path) -> dict[str, Any]:
        """The papermill parameters every notebook takes."""
        return {
            "requirements": str(self.requirements),
            "python": self.python,
            "base_source": self.base_source,
            "dockerfiles": str(self.dockerfiles),
            "venv_name": self.venv_name,
            "out": str(out),
        }


@dataclass(frozen=True)
class Page:
    """One rendered notebook of the report."""

    name: str
    title: str
    notebook: Path
    html: Path
    error: str = ""

    @property
    def ok(self) -> bool:
        return not self.error


@dataclass
class Published:
    """What publish made: the index, every page, and the experiment's results."""

    out: Path
    index: Path
    pages: list[Page]
    results: pd.DataFrame | None
    build_failures: dict[str, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        """True when every page rendered and every measured image works (a strategy not run is no failure)."""
        if self.results is None:
            return False
        measured = self.results[self.results["status"] == "ok"]
        return bool(measured["verified"].all()) and all(p.ok for p in self.pages) and not self.build_failures


def publish(settings: Settings, out: str | Path, rebuild: bool = False, progress: bool | None = None) -> Published:
    """Run the experiment into ``out`` (reusing what it already holds), then its notebooks, HTML and index."""
    out = Path(out).resolve()
    report = Progress(progress)
    results, failures = _run_experiment(settings, out, rebuild, progress)
    not_run = _not_run(results)
    pages = []
    for name in [n for n in settings.strategy_names if n not in not_run]:
        parameters = {"strategy": name, **settings.parameters(out)}
        pages.append(_page(STRATEGY_NOTEBOOK, out, f"strategy-{name}", f"Strategy {name}", parameters, report))
    compare = {"strategies": list(settings.strategy_names), "run_experiment": False, "timings": settings.timings,
               **settings.parameters(out)}
    pages.append(_page(COMPARE_NOTEBOOK, out, "compare", "Comparison of strategies", compare, report))
    index = out / "index.html"
    write_atomic(index, index_html(out, pages, results, failures, not_run))
    report.log(f"[report] {index}")
    return Published(out, index, pages, results, failures)


def _not_run(results: pd.DataFrame | None) -> dict[str, str]:
    """Strategies the experiment could not run here (no base image), with the reason."""
    if results is None:
        return {}
    skipped = results[results["status"] == "not-run"]
    return dict(zip(skipped["strategy"], skipped["reason"]))


def _run_experiment(
    settings: Settings, out: Path, rebuild: bool, progress: bool | None
) -> tuple[pd.DataFrame | None, dict[str, str]]:
    """The experiment's results; a strategy that fails to build is left out (and noted) so the others still run."""
    names = list(settings.strategy_names)
    failures: dict[str, str] = {}
    while names:
        try:
            results = run(
                requirements=settings.requirements,
                strategy_names=names,
                python=settings.python,
                out=out,
                base_source=settings.base_source,
                ca_bundle=settings.ca_bundle,
                dockerfiles=settings.dockerfiles,
                venv_name=settings.venv_name,
                rebuild=rebuild,
                timings=settings.timings,
                progress=progress,
            )
            return results, failures
        except BuildFailed as exc:
            failures[exc.strategy] = str(exc).splitlines()[0]
            names.remove(exc.strategy)
    return None, failures


def _page(notebook: Path, out: Path, name: str, title: str, parameters: dict[str, Any], report: Progress) -> Page:
    """Run one notebook with papermill and render it; a failing notebook still renders, with its error."""
    executed = out / "notebooks" / f"{name}.ipynb"
    executed.parent.mkdir(parents=True, exist_ok=True)
    report.log(f"[report] running {notebook.name} -> {executed}")
    error = ""
    try:
        papermill.execute_notebook(
            str(notebook),
            str(executed),
            parameters=parameters,
            kernel_name=KERNEL,
            cwd=str(NOTEBOOKS),
            progress_bar=report.enabled,
            log_output=False,
            extra_arguments=["--IPKernelApp.log_level=ERROR"],  # no kernel start-up chatter on stderr
        )
    except PapermillExecutionError as exc:
        error = f"{exc.ename}: {str(exc.evalue).splitlines()[0] if exc.evalue else ''}"
        report.log(f"[report] {name} failed: {error}")
    page = out / f"{name}.html"
    write_atomic(page, render_html(executed, title))
    return Page(name, title, executed, page, error)


def render_html(executed: Path, title: str) -> str:
    """An executed notebook as one HTML page with its code hidden; charts are embedded images."""
    exporter = HTMLExporter(exclude_input=True, exclude_input_prompt=True, exclude_output_prompt=True)
    notebook = nbformat.read(executed, as_version=4)
    body, _ = exporter.from_notebook_node(notebook, resources={"metadata": {"name": title}})
    return body


def index_html(
    out: Path,
    pages: list[Page],
    results: pd.DataFrame | None,
    failures: dict[str, str],
    not_run: dict[str, str],
) -> str:
    """The report's front page: a link to every page, its status, and when, where and on what it ran."""
    rows = []
    for page in pages:
        if page.name == "compare":  # strategies not run come last among the strategies
            rows += [
                f'<tr class="not-run"><td>Strategy {html.escape(name)}</td><td>not run</td>'
                f"<td>{html.escape(reason)}</td></tr>"
                for name, reason in not_run.items()
            ]
        status = "ok" if page.ok else "failed"
        if page.error:
            detail = page.error
        elif page.name.startswith("strategy-"):
            detail = _row_summary(results, page.name.removeprefix("strategy-"))
        else:
            detail = ranking(results) if results is not None else ""
        rows.append(
            f'<tr class="{status}"><td><a href="{html.escape(page.html.name)}">{html.escape(page.title)}</a></td>'
            f"<td>{status}</td><td>{html.escape(detail)}</td></tr>"
        )
    provenance = results.attrs["provenance"] if results is not None else {}
    standins = any(base["standin"] for base in provenance.get("bases", {}).values())
    notes = "".join(f"<li>{html.escape(s)}: {html.escape(m)}</li>" for s, m in failures.items())
    return _INDEX.format(
        title=html.escape(f"imgexp report: {out.name}"),
        rows="\n".join(rows),
        failures=f"<h2>Strategies that failed to build</h2><ul>{notes}</ul>" if notes else "",
        standins=_STANDIN_NOTE if standins else "",
        facts=_facts_html(out, results),
    )


def _row_summary(results: pd.DataFrame | None, strategy: str) -> str:
    if results is None or strategy not in set(results["strategy"]):
        return ""
    row = results[results["strategy"] == strategy].iloc[0]
    if row["status"] != "ok":
        return f"not run: {row['reason']}"
    works = "every requirement imports" if row["verified"] else f"import check FAILED: {row['verify_error']}"
    return f"{row['size']} ({human_size(row['base_bytes'])} base + {human_size(row['added_bytes'])} added); {works}"


def provenance_facts(results: pd.DataFrame) -> dict[str, str]:
    """Where every figure of ``results`` comes from: when, on which engine and host, from which bases."""
    provenance = results.attrs.get("provenance") or {}
    if not provenance:
        return {}
    engine, reqs = provenance["engine"], provenance["requirements"]
    measured = results.loc[results["status"] == "ok", "measured_at"].dropna()
    facts = {
        "measured": f"{measured.min()} to {measured.max()} (UTC)" if not measured.empty else "not measured",
        "host": f"{engine['host']} ({engine['os']}, kernel {engine['kernel']}, {engine['arch']})",
        "docker engine": f"{engine['engine_version']} (API {engine['api_version']}) at {engine['docker_host']}",
        "storage driver": engine["storage_driver"],
        "builder": engine["builder"],
        "python": provenance["python"],
        "base source": provenance["base_source"],
    }
    for kind, base in provenance["bases"].items():
        origin = "offline stand-in, not the official image" if base["standin"] else "official image"
        facts[f"{kind} base"] = f"{base['image']} {base['digest']} ({human_size(base['size_bytes'])}, {origin})"
    facts.update({
        "requirements": f"{reqs['path']} sha256 {reqs['sha256']}: {', '.join(reqs['names'])}",
        "package versions": "pip_freeze of each row (results.csv), read inside each image",
        "how measured": provenance["how"],
        "command": provenance["command"],
        "imgexp": provenance["imgexp_version"],
    })
    return facts


def _facts_html(out: Path, results: pd.DataFrame | None) -> str:
    facts = provenance_facts(results) if results is not None else {}
    if not facts:
        return "<p>No strategy was measured, so there is no provenance to show.</p>"
    facts["report made"] = dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")
    facts["results"] = f"{out / 'results.csv'}, {out / 'results.json'}"
    items = "".join(f"<tr><th>{html.escape(k)}</th><td>{html.escape(str(v))}</td></tr>" for k, v in facts.items())
    return f"<table class=facts>{items}</table>"


_STANDIN_NOTE = (
    "<p><strong>Stand-in bases were used</strong> (built from Debian's packages, not the official python "
    "images): compare these figures with each other, not with python:* images.</p>"
)
_INDEX = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title>
<style>
body {{ font-family: system-ui, sans-serif; margin: 2em auto; max-width: 60em; color: #222; }}
table {{ border-collapse: collapse; margin: 1em 0; }}
td, th {{ border-bottom: 1px solid #ddd; padding: .35em .7em; text-align: left; vertical-align: top; }}
tr.failed td {{ color: #b00020; font-weight: bold; }}
tr.not-run td {{ color: #777; }}
table.facts th {{ white-space: nowrap; color: #555; font-weight: normal; }}
</style></head>
<body>
<h1>{title}</h1>
<p>One page per strategy (its result, its base against added bytes, its layers with their compressed and
wasted bytes, its largest packages) and the comparison (sizes on disk and to pull, waste, site-packages,
and where the saving comes from).</p>
<table><tr><th>page</th><th>status</th><th>result</th></tr>
{rows}
</table>
{standins}
{failures}
<h2>When, where and on what this ran</h2>
{facts}
</body></html>
"""
