"""How the report names, colours and labels what it shows, shared by its figures and tables."""

from __future__ import annotations

from typing import Any

import pandas as pd
from IPython.display import Markdown

from .. import attribution
from ..derive.steps import CHAIN as DERIVED_CHAIN
from ..units import human_size

BASE_COLOR = "#9aa5b1"
ADDED_COLOR = "#2f6fb0"
BAR_COLOR = "#2f6fb0"
BASELINE_COLOR = "#9aa5b1"
PULL_COLOR = "#e08a2c"
SAVING_COLOR = "#3a9a5b"
GROWTH_COLOR = "#c23b3b"
#: the parts of site-packages (imgexp.measure.packages.PARTS), how a chart names them, and their colors
PART_STYLES = {
    "pycache": ("bytecode (__pycache__)", "#e08a2c"),
    "tests": ("tests", "#c23b3b"),
    "extensions": ("extensions (.so)", "#7b5ea7"),
    "other": ("rest", "#2f6fb0"),
}
#: the results columns a waterfall can follow, as its charts name them
METRICS = {"size_bytes": "size on disk", "compressed_bytes": "pull size (compressed)"}


def waterfall_steps(results: pd.DataFrame, metric: str) -> pd.DataFrame | Markdown:
    """attribution.waterfall (through the derivations in a run that derived them), or a Markdown line saying
    why there is none."""
    names = set(results["strategy"])
    chain = DERIVED_CHAIN if all(name in names for name, _ in DERIVED_CHAIN) else attribution.CHAIN
    try:
        return attribution.waterfall(results, metric, chain)
    except ValueError as exc:
        return Markdown(f"No waterfall by {METRICS.get(metric, metric)}: {exc}.")


def site_packages_parts(rows: pd.DataFrame) -> pd.DataFrame:
    """Each row's site-packages bytes in the parts of PART_STYLES; ``other`` is what the rest leaves."""
    named = {p: rows[f"{p}_bytes"].astype(float) for p in PART_STYLES if p != "other"}
    rest = rows["site_packages_bytes"].astype(float) - sum(named.values())
    return pd.DataFrame({**named, "other": rest})


def how_label(exact: Any) -> str:
    return "exact" if exact is True or str(exact) == "True" else "estimate"


def seconds_label(value: Any) -> str:
    return "-" if pd.isna(value) else f"{float(value):.1f} s" if float(value) >= 1 else f"{float(value):.2f} s"


def build_time_label(cold: Any, warm: Any, changed: Any = None, missing: str = "") -> str:
    """``cold 22.5 s / warm 0.05 s / changed 9.1 s`` when the build was timed (imgexp run --timings),
    else ``missing``; ``changed`` only where the context has a requirements.txt."""
    if pd.isna(cold):
        return missing
    label = f"cold {seconds_label(cold)} / warm {seconds_label(warm)}"
    return label if changed is None or pd.isna(changed) else f"{label} / changed {seconds_label(changed)}"


def signed_size(delta: float) -> str:
    return ("-" if delta < 0 else "+") + human_size(abs(delta))
