"""What the notebooks call: their parameter check, a strategy's result and tables, one-line verdicts.

Relative paths in a notebook's parameters are taken from the repository root (the
folder that holds dockerfiles/), wherever the kernel runs.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pandas as pd
from pandas.io.formats.style import Styler

from .. import strategies
from ..attribution import smallest_working
from ..engine.bases import BaseSource
from ..errors import ImgexpError
from ..experiment import DEFAULT_PYTHON, DEFAULT_VENV_NAME, run
from ..measure.scan import load_layers, load_packages
from ..paths import DATA, DEFAULT_DOCKERFILES, NOTEBOOKS
from ..requirements import read_requirements
from ..results import load_results
from ..units import human_size
from .tables import field_table

DEMO_REQUIREMENTS = NOTEBOOKS / "requirements-demo.txt"


def resolve(path: str | Path) -> Path:
    """An absolute path as is; a relative one from the repository root, wherever the kernel runs."""
    path = Path(path).expanduser()
    return path if path.is_absolute() else DATA / path


def check_parameters(**parameters: Any) -> Styler:
    """Check a notebook's parameters before anything is built, and show them.

    A missing requirements file raises RequirementsNotFound and an unknown strategy
    StrategyNotFound, each naming the fix.
    """
    dockerfiles = resolve(parameters.get("dockerfiles", DEFAULT_DOCKERFILES))
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
    dockerfiles: str | Path = DEFAULT_DOCKERFILES,
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
    dockerfiles: str | Path = DEFAULT_DOCKERFILES,
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
    """The layer table (imgexp.measure.scan.load_layers) of the image strategy_result gave for ``strategy``."""
    return load_layers(strategy_folder(strategy, out), strategy)


def strategy_packages(strategy: str, out: str | Path) -> pd.DataFrame:
    """The package table (imgexp.measure.scan.load_packages) of the image strategy_result gave for ``strategy``."""
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


