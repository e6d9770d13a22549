"""The published report: the experiment, one notebook page per strategy, the comparison, an index.

``publish`` runs the experiment into a folder (every strategy already measured there is
reused), runs notebooks/strategy.ipynb once per strategy and notebooks/compare.ipynb with
papermill into ``<out>/notebooks/``, renders each to HTML with its code hidden, and writes
``<out>/index.html``. ``publish_inspections`` renders notebooks/inspect.ipynb once per image
(`imgexp report --inspect IMAGE`) and an index of those pages, without the experiment. The
pages show paths relative to the repository or to ``out`` (imgexp.settings.shown_path),
never the machine's.
"""

from __future__ import annotations

import datetime as dt
import html
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from ..experiment import run
from ..paths import DATA
from ..prepare import prepare
from ..progress import Progress
from ..results import write_atomic
from ..settings import Settings
from ..units import human_size
from .execute import COMPARE_NOTEBOOK, DIFF_NOTEBOOK, INSPECT_NOTEBOOK, STRATEGY_NOTEBOOK, Page, run_page
from .pages import PATHS, provenance_facts, ranking


@dataclass
class Published:
    """What publish made: the index, every page, and the experiment's results."""

    out: Path
    index: Path
    pages: list[Page]
    results: pd.DataFrame | None

    @property
    def ok(self) -> bool:
        """True when every page rendered, no build failed and every measured image works (a strategy not run
        for want of a base is no failure)."""
        if self.results is None:  # only inspected images: each page must have rendered
            return (
                bool(self.pages)
                and all(p.ok for p in self.pages)
                and all(p.name.startswith(("inspect-", "diff-")) for p in self.pages)
            )
        measured = self.results[self.results["status"] == "ok"]
        failed = (self.results["status"] == "failed").any()
        return bool(measured["verified"].all()) and all(p.ok for p in self.pages) and not failed


def publish(settings: Settings) -> Published:
    """Run the experiment into ``settings.out`` (reusing what it holds), then its notebooks, HTML and index.

    Parameters
    ----------
    settings
        The report's Settings; ``rebuild`` and ``progress`` apply to the experiment, the
        notebooks reuse its images.
    """
    prepared = prepare(settings)
    settings, out, console = prepared.settings, prepared.out, Progress(settings.progress)
    names = [strategy.name for strategy in prepared.strategies]
    results = run(settings, strategies=tuple(names))
    not_run, failures = _not_ok(results, "not-run"), _not_ok(results, "failed")
    pages = []
    for name in [n for n in names if n not in not_run and n not in failures]:
        parameters = {"strategy": name, **notebook_parameters(settings)}
        pages.append(run_page(STRATEGY_NOTEBOOK, out, f"strategy-{name}", f"Strategy {name}", parameters, console))
    compare = {
        "strategies": names,
        "run_experiment": False,
        "timings": settings.timings,
        **notebook_parameters(settings),
    }
    pages.append(run_page(COMPARE_NOTEBOOK, out, "compare", "Comparison of strategies", compare, console))
    index = out / "index.html"
    write_atomic(index, index_html(out, pages, results, failures, not_run))
    console.log(f"[report] {index}")
    return Published(out, index, pages, results)


def publish_inspections(
    images: list[str], out: Path, progress: bool = True, diffs: list[tuple[str, str]] | None = None
) -> Published:
    """Render notebooks/inspect.ipynb once per image into ``out`` (``inspect-<image>.html``),
    notebooks/diff.ipynb once per pair of ``diffs`` (``diff-<a>-<b>.html``), and an index.

    Nothing is built: each image is inspected as `imgexp inspect` does (pulled first if not
    local). A page whose image cannot be had still renders, with its error, and is not ok.
    """
    console = Progress(progress)
    pages = [
        run_page(INSPECT_NOTEBOOK, out, inspect_page_name(image), f"Image {image}", {"image": image}, console)
        for image in images
    ]
    for a, b in diffs or []:
        name = (
            "diff-"
            + inspect_page_name(a).removeprefix("inspect-")
            + "-"
            + inspect_page_name(b).removeprefix("inspect-")
        )
        pages.append(run_page(DIFF_NOTEBOOK, out, name, f"From {a} to {b}", {"a": a, "b": b}, console))
    index = out / "index.html"
    write_atomic(index, index_html(out, pages, None, {}, {}))
    console.log(f"[report] {index}")
    return Published(out, index, pages, None)


def inspect_page_name(image: str) -> str:
    """The page name of an inspected image: ``inspect-`` and the name with / and : as -."""
    return "inspect-" + "".join(c if c.isalnum() or c in "._-" else "-" for c in image)


def diff_page_name(a: str, b: str) -> str:
    """The page name of a diff: ``diff-``, then A and B as inspect_page_name writes them."""
    return "diff-" + "-".join(inspect_page_name(image).removeprefix("inspect-") for image in (a, b))


def notebook_parameters(settings: Settings) -> dict[str, Any]:
    """The papermill parameters every notebook takes: paths inside the repository relative to it
    (the notebooks resolve them from there), others whole."""
    parameters: dict[str, Any] = {
        "python": settings.python,
        "base_source": settings.base_source,
        "builder": settings.builder,
        "venv_name": settings.venv_name,
    }
    for name in PATHS:
        value = getattr(settings, name)
        if value:  # not a ca_bundle of None (the host's) or "" (none)
            path = Path(value)
            value = str(path.relative_to(DATA) if path.is_relative_to(DATA) else path)
        parameters[name] = value
    return parameters


def _not_ok(results: pd.DataFrame | None, status: str) -> dict[str, str]:
    """The strategies of a ``status`` (``not-run``: no base here; ``failed``: the build failed), with the reason."""
    if results is None:
        return {}
    rows = results[results["status"] == status]
    return dict(zip(rows["strategy"], rows["reason"], strict=True))


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
        if page.name == "compare":  # strategies that failed or were not run come last among the strategies
            rows += [
                f'<tr class="failed"><td>Strategy {html.escape(name)}</td><td>failed to build</td>'
                f'<td>{html.escape(reason.splitlines()[0])} (<a href="{html.escape(_log_of(results, name))}">'
                "its build log</a>; below: its error lines)</td></tr>"
                for name, reason in failures.items()
            ]
            rows += [
                f'<tr class="not-run"><td>Strategy {html.escape(name)}</td><td>not run</td>'
                f"<td>{html.escape(reason)}</td></tr>"
                for name, reason in not_run.items()
            ]
        status = "ok" if page.ok else "failed"
        if page.error:
            detail = page.error
        elif page.name.startswith("inspect-"):
            detail = "its findings ranked by bytes with their fix, layers, largest packages, provenance"
        elif page.name.startswith("diff-"):
            detail = "what changed: layers, findings, distributions, system packages, files, largest first"
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
    notes = "".join(f"<li>{html.escape(s)}: <pre>{html.escape(m)}</pre></li>" for s, m in failures.items())
    return _INDEX.format(
        title=html.escape(f"imgexp report: {out.name}"),
        rows="\n".join(rows),
        failures=f"<h2>Strategies that failed to build</h2><ul>{notes}</ul>" if notes else "",
        standins=_STANDIN_NOTE if standins else "",
        facts=_facts_html(results),
    )


def _log_of(results: pd.DataFrame | None, strategy: str) -> str:
    """The build log of a strategy's row, relative to the results folder (the index sits in it)."""
    if results is None:
        return ""
    return str(results.loc[results["strategy"] == strategy, "build_log"].iloc[0])


def _row_summary(results: pd.DataFrame | None, strategy: str) -> str:
    if results is None or strategy not in set(results["strategy"]):
        return ""
    row = results[results["strategy"] == strategy].iloc[0]
    if row["status"] != "ok":
        return f"{row['status']}: {row['reason']}"
    works = "every requirement imports" if row["verified"] else f"import check FAILED: {row['verify_error']}"
    return f"{row['size']} ({human_size(row['base_bytes'])} base + {human_size(row['added_bytes'])} added); {works}"


def _facts_html(results: pd.DataFrame | None) -> str:
    facts = provenance_facts(results) if results is not None else {}
    if not facts:
        return "<p>No strategy was measured here; each image's page shows where its figures come from.</p>"
    facts["report made"] = dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")
    facts["results"] = "results.csv and results.json, beside this page"
    items = "".join(f"<tr><th>{html.escape(k)}</th><td>{html.escape(str(v))}</td></tr>" for k, v in facts.items())
    return f"<table class=facts>{items}</table>"


_STANDIN_NOTE = (
    "<p><strong>Stand-in bases were used</strong> (CPython built from its signed upstream source on Debian roots, not "
    "the official python images): compare these figures with each other, not with python:* images.</p>"
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
