"""Figures and tables of the notebooks: what each strategy costs and why, in human units.

Every function takes the results (or a layer table) and returns a matplotlib Figure or a
table styled for display (a pandas Styler: full text, left-aligned). Figures are made through
pyplot, so Jupyter's inline backend renders them as PNG, and closed at once, so a notebook
shows each exactly once: as the cell's value.
"""

from __future__ import annotations

from typing import Any

import matplotlib.pyplot as plt
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter
from pandas.io.formats.style import Styler

from .units import human_size

BASE_COLOR = "#9aa5b1"
ADDED_COLOR = "#2f6fb0"
BAR_COLOR = "#2f6fb0"
BASELINE_COLOR = "#9aa5b1"
_BYTES = FuncFormatter(lambda value, _pos: human_size(value))


def measured(results: pd.DataFrame) -> pd.DataFrame:
    """The rows that were built and measured (status ok)."""
    return results[results["status"] == "ok"].reset_index(drop=True)


def comparison_bars(results: pd.DataFrame) -> Figure:
    """The write-up's comparison: image size per strategy, each bar labelled with its change against base."""
    rows = measured(results)
    fig, ax = _figure(7, 0.9 + 0.7 * len(rows))
    colors = [BASELINE_COLOR if s == "base" else BAR_COLOR for s in rows["strategy"]]
    bars = ax.barh(rows["strategy"], rows["size_bytes"], color=colors)
    ax.bar_label(bars, labels=[_size_label(r) for r in rows.itertuples()], padding=4)
    ax.invert_yaxis()
    ax.xaxis.set_major_formatter(_BYTES)
    ax.set_xlim(0, rows["size_bytes"].max() * 1.35)
    ax.set_xlabel("image size (as `docker images` shows it)")
    ax.set_title("Image size per strategy, change against base")
    ax.spines[["top", "right"]].set_visible(False)
    return fig


def base_added_bars(results: pd.DataFrame) -> Figure:
    """Each strategy's size split into its base image's bytes and the bytes it adds, stacked."""
    rows = measured(results)
    fig, ax = _figure(7, 0.9 + 0.7 * len(rows))
    _stack(ax, rows)
    ax.set_title("Base image against added bytes")
    return fig


def strategy_bytes(result: pd.DataFrame) -> Figure:
    """One strategy's size: its base image's bytes against the bytes the strategy adds."""
    rows = measured(result)
    fig, ax = _figure(7, 2.0)
    _stack(ax, rows)
    ax.set_title(f"{rows['strategy'].iloc[0]}: base against added bytes")
    return fig


def summary_table(results: pd.DataFrame) -> Styler:
    """The comparison as a table in human units, one row per strategy."""
    rows = []
    for row in results.itertuples():
        if row.status != "ok":
            rows.append({"strategy": row.strategy, "size": "-", "verified": "not run", "note": row.reason})
            continue
        baseline = row.strategy == "base" or pd.isna(row.vs_baseline_pct)
        change = "baseline" if baseline else f"{row.vs_baseline_pct:+.0f}%"
        rows.append(
            {
                "strategy": row.strategy,
                "size": row.size,
                "vs base": change,
                "base image": row.base_image + (" (stand-in)" if row.base_standin else ""),
                "base": human_size(row.base_bytes),
                "added": human_size(row.added_bytes),
                "layers": int(row.layers),
                "packages": int(row.packages),
                "verified": "yes" if row.verified else "NO",
                "note": "" if row.verified else str(row.verify_error),
            }
        )
    return styled(pd.DataFrame(rows).fillna("").set_index("strategy"))


def result_card(result: pd.DataFrame) -> Styler:
    """One strategy's result row, field by field, sizes in human units."""
    row = result.iloc[0]
    fields = {
        "strategy": row["strategy"],
        "description": row["description"],
        "image": f"{row['image']} ({str(row['image_id'])[7:19]})",
        "size": row["size"],
        "base image": f"{row['base_image']}" + (" (offline stand-in)" if row["base_standin"] else ""),
        "base bytes": human_size(row["base_bytes"]),
        "added bytes": human_size(row["added_bytes"]),
        "layers": int(row["layers"]),
        "verified": "yes: every requirement imports" if row["verified"] else f"NO: {row['verify_error']}",
        "python in image": row["python_version"],
        "packages installed": int(row["packages"]),
        "built in": f"{row['build_seconds']} s ({row['cached_steps']} of {row['build_steps']} steps cached)",
        "reused earlier build": "yes" if row["reused"] else "no",
        "measured at": row["measured_at"],
    }
    return field_table(fields, "field")


def layer_table(layers: pd.DataFrame) -> Styler:
    """The layer table of imgexp.measure.layer_table with each size in human units."""
    recorded = layers["created_by"] != ""
    instruction = layers["created_by"].where(recorded, "(no instruction recorded: imported filesystem)")
    table = layers.assign(size=layers["size_bytes"].map(human_size), created_by=instruction)
    table = table[["index", "origin", "size", "created_by"]].rename(columns={"created_by": "instruction"})
    return styled(table.set_index("index"))


def field_table(fields: dict[str, Any], name: str) -> Styler:
    """A two-column table of names and values, for display."""
    return styled(pd.DataFrame({"value": [str(v) for v in fields.values()]}, index=pd.Index(list(fields), name=name)))


def styled(table: pd.DataFrame) -> Styler:
    """A table for display: every cell in full, left-aligned."""
    return table.style.set_properties(**{"text-align": "left", "white-space": "pre-wrap"}).set_table_styles(
        [{"selector": "th", "props": [("text-align", "left")]}]
    )


def _figure(width: float, height: float) -> tuple[Figure, Axes]:
    fig, ax = plt.subplots(figsize=(width, height), layout="constrained")
    plt.close(fig)
    return fig, ax


def _stack(ax: Axes, rows: pd.DataFrame) -> None:
    ax.barh(rows["strategy"], rows["base_bytes"], color=BASE_COLOR, label="base image")
    added = ax.barh(rows["strategy"], rows["added_bytes"], left=rows["base_bytes"], color=ADDED_COLOR, label="added")
    ax.bar_label(added, labels=[_split_label(r) for r in rows.itertuples()], padding=4)
    ax.invert_yaxis()
    ax.xaxis.set_major_formatter(_BYTES)
    ax.set_xlim(0, rows["size_bytes"].max() * 1.8)
    ax.figure.legend(loc="outside lower center", ncols=2, frameon=False)
    ax.spines[["top", "right"]].set_visible(False)


def _split_label(row: Any) -> str:
    return f"{human_size(row.size_bytes)}: {human_size(row.base_bytes)} base + {human_size(row.added_bytes)} added"


def _size_label(row: Any) -> str:
    size = human_size(row.size_bytes)
    if row.strategy == "base" or pd.isna(row.vs_baseline_pct):
        return f"{size} (baseline)"
    return f"{size} ({row.vs_baseline_pct:+.0f}%)"
