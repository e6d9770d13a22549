"""Figures of the notebooks: what each strategy costs and why, as matplotlib Figures.

Every function takes the results (or a package table) and returns a Figure; the waterfall
returns a Markdown line instead when there is nothing to attribute. Figures are made
through pyplot, so Jupyter's inline backend renders them as PNG, and closed at once, so a
notebook shows each exactly once: as the cell's value.
"""

from __future__ import annotations

from typing import Any

import matplotlib.pyplot as plt
import pandas as pd
from IPython.display import Markdown
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, MaxNLocator

from ..measure.packages import top_packages
from ..results import measured
from ..units import human_size
from .labels import (
    ADDED_COLOR,
    BAR_COLOR,
    BASE_COLOR,
    BASELINE_COLOR,
    GROWTH_COLOR,
    METRICS,
    PART_STYLES,
    PULL_COLOR,
    SAVING_COLOR,
    how_label,
    seconds_label,
    signed_size,
    site_packages_parts,
    waterfall_steps,
)

_BYTES = FuncFormatter(lambda value, _pos: human_size(value))


def comparison_bars(results: pd.DataFrame) -> Figure:
    """The write-up's comparison: image size per strategy, each bar labelled with its change against base."""
    rows = measured(results)
    fig, ax = _figure(7, 0.9 + 0.7 * len(rows))
    colors = [BASELINE_COLOR if s == "base" else BAR_COLOR for s in rows["strategy"]]
    bars = ax.barh(rows["strategy"], rows["size_bytes"], color=colors)
    ax.bar_label(bars, labels=[_size_label(r) for r in rows.itertuples()], padding=4)
    ax.invert_yaxis()
    _bytes_axis(ax)
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


def pull_bars(results: pd.DataFrame) -> Figure:
    """Size on disk against pull (compressed) size per strategy, each bar labelled; estimates say so."""
    rows = measured(results)
    fig, ax = _figure(7, 1.2 + 0.9 * len(rows))
    positions = range(len(rows))
    disk = ax.barh([p - 0.2 for p in positions], rows["size_bytes"], height=0.4, color=BASELINE_COLOR, label="on disk")
    pull = ax.barh(
        [p + 0.2 for p in positions],
        rows["compressed_bytes"],
        height=0.4,
        color=PULL_COLOR,
        label="to pull (compressed)",
    )
    ax.bar_label(disk, labels=list(rows["size"]), padding=4)
    ax.bar_label(
        pull, labels=[f"{r.compressed} ({how_label(r.compressed_exact)})" for r in rows.itertuples()], padding=4
    )
    ax.set_yticks(list(positions), list(rows["strategy"]))
    ax.invert_yaxis()
    _bytes_axis(ax)
    ax.set_xlim(0, rows["size_bytes"].max() * 1.35)
    ax.set_title("Size on disk against size to pull, per strategy")
    fig.legend(loc="outside lower center", ncols=2, frameon=False)
    ax.spines[["top", "right"]].set_visible(False)
    return fig


def build_time_bars(results: pd.DataFrame) -> Figure:
    """Build time per strategy where recorded: cold (no cache), warm (every step cached) and changed
    (one requirement added, cache on).

    Without ``--timings`` only each image's own build time is known (which may have taken
    steps from the cache); the title says so.
    """
    rows = measured(results)
    timed = bool(rows["cold_build_seconds"].notna().any())
    fig, ax = _figure(7, 1.2 + 0.9 * len(rows))
    positions = list(range(len(rows)))
    if timed:
        kinds = [
            ("cold_build_seconds", BAR_COLOR, "cold: no cache"),
            ("warm_build_seconds", PULL_COLOR, "warm: every step cached"),
            ("changed_build_seconds", SAVING_COLOR, "changed: one requirement added"),
        ]
        for offset, (column, color, label) in zip((-0.27, 0.0, 0.27), kinds, strict=True):
            values = rows[column].astype("float64")
            bars = ax.barh([p + offset for p in positions], values.fillna(0), height=0.27, color=color, label=label)
            ax.bar_label(bars, labels=[seconds_label(v) if pd.notna(v) else "" for v in values], padding=4)
        ax.set_title("Build time per strategy: cold, warm, and after a dependency change")
        fig.legend(loc="outside lower center", ncols=3, frameon=False)
    else:
        bars = ax.barh(positions, rows["build_seconds"], color=BAR_COLOR)
        ax.bar_label(
            bars,
            labels=[
                f"{seconds_label(r.build_seconds)} ({r.cached_steps}/{r.build_steps} steps cached)"
                for r in rows.itertuples()
            ],
            padding=4,
        )
        ax.set_title("Time of the build that made each image (cold and warm not recorded: use --timings)")
    ax.set_yticks(positions, list(rows["strategy"]))
    ax.invert_yaxis()
    longest = rows[["build_seconds", *(["cold_build_seconds"] if timed else [])]].max().max()
    ax.set_xlim(0, max(float(longest), 1.0) * 1.5 if pd.notna(longest) else 1.0)
    ax.set_xlabel("seconds")
    ax.spines[["top", "right"]].set_visible(False)
    return fig


def package_split_bars(results: pd.DataFrame) -> Figure:
    """Each strategy's site-packages bytes split into __pycache__, tests, extensions and the rest, stacked."""
    rows = measured(results)
    parts = site_packages_parts(rows)
    fig, ax = _figure(7, 1.2 + 0.7 * len(rows))
    _stacked_parts(ax, list(rows["strategy"]), parts, rows["site_packages_bytes"])
    ax.invert_yaxis()
    _bytes_axis(ax)
    ax.set_xlim(0, max(rows["site_packages_bytes"].max(), 1) * 1.25)
    ax.set_xlabel("bytes under site-packages and dist-packages (the venv and the system's)")
    ax.set_title("Inside site-packages, per strategy")
    fig.legend(loc="outside lower center", ncols=len(PART_STYLES), frameon=False)
    ax.spines[["top", "right"]].set_visible(False)
    return fig


def waterfall_chart(results: pd.DataFrame, metric: str = "size_bytes") -> Figure | Markdown:
    """From the baseline to the smallest working image by ``metric`` (imgexp.waterfall), one bar a change."""
    table = waterfall_steps(results, metric)
    if isinstance(table, Markdown):
        return table
    fig, ax = _figure(8, 1.4 + 0.55 * (len(table) + 1))
    baseline, last = table.iloc[0], table.iloc[-1]
    names, previous = [], 0
    for position, row in enumerate(table.itertuples()):
        if position == 0:
            ax.barh(position, row.total_bytes, color=BASELINE_COLOR)
            label = f"{human_size(row.total_bytes)} (baseline)"
        else:
            color = SAVING_COLOR if row.delta_bytes <= 0 else GROWTH_COLOR
            ax.barh(position, abs(row.delta_bytes), left=min(previous, row.total_bytes), color=color)
            label = f"{signed_size(row.delta_bytes)} = {human_size(row.total_bytes)} ({row.pct_of_baseline:.0f}%)"
        ax.annotate(
            label, (max(previous, row.total_bytes), position), xytext=(4, 0), textcoords="offset points", va="center"
        )
        names.append(row.strategy)
        previous = row.total_bytes
    ax.barh(len(table), last.total_bytes, color=BAR_COLOR)
    ax.annotate(
        f"{human_size(last.total_bytes)}: {last.pct_of_baseline:.0f}% of {baseline.strategy}",
        (last.total_bytes, len(table)),
        xytext=(4, 0),
        textcoords="offset points",
        va="center",
    )
    ax.set_yticks(range(len(table) + 1), [*names, f"= {last.strategy}"])
    ax.invert_yaxis()
    _bytes_axis(ax)
    ax.set_xlim(0, baseline.total_bytes * 1.45)
    ax.set_xlabel(METRICS.get(metric, metric))
    ax.set_title(
        f"{METRICS.get(metric, metric).capitalize()}: from {baseline.strategy} to {last.strategy}, one change a bar"
    )
    ax.spines[["top", "right"]].set_visible(False)
    return fig


def package_bars(packages: pd.DataFrame, top: int = 15) -> Figure:
    """The ``top`` largest distributions as bars split into __pycache__, tests, extensions and the rest."""
    shown = top_packages(packages, top)
    several = shown.loc[shown["location"] != "", "location"].nunique() > 1
    names = [_package_label(r, several) for r in shown.itertuples()]
    fig, ax = _figure(8, 1.3 + 0.4 * len(shown))
    parts = pd.DataFrame({part: shown[f"{part}_bytes"] for part in PART_STYLES})
    _stacked_parts(ax, list(range(len(shown))), parts, shown["bytes"])
    ax.set_yticks(range(len(shown)), names)
    ax.invert_yaxis()
    _bytes_axis(ax)
    ax.set_xlim(0, max(shown["bytes"].max(), 1) * 1.2)
    ax.set_title(f"The {min(top, len(packages))} largest of {len(packages)} distributions, by bytes on disk")
    fig.legend(loc="outside lower center", ncols=len(PART_STYLES), frameon=False)
    ax.spines[["top", "right"]].set_visible(False)
    return fig


def _figure(width: float, height: float) -> tuple[Figure, Axes]:
    fig, ax = plt.subplots(figsize=(width, height), layout="constrained")
    plt.close(fig)
    return fig, ax


def _bytes_axis(ax: Axes) -> None:
    """Sizes in human units on the x axis, few enough ticks that their labels never touch."""
    ax.xaxis.set_major_formatter(_BYTES)
    ax.xaxis.set_major_locator(MaxNLocator(nbins=5))


def _stack(ax: Axes, rows: pd.DataFrame) -> None:
    ax.barh(rows["strategy"], rows["base_bytes"], color=BASE_COLOR, label="base image")
    added = ax.barh(rows["strategy"], rows["added_bytes"], left=rows["base_bytes"], color=ADDED_COLOR, label="added")
    ax.bar_label(added, labels=[_split_label(r) for r in rows.itertuples()], padding=4)
    ax.invert_yaxis()
    _bytes_axis(ax)
    ax.set_xlim(0, rows["size_bytes"].max() * 1.8)
    ax.figure.legend(loc="outside lower center", ncols=2, frameon=False)
    ax.spines[["top", "right"]].set_visible(False)


def _split_label(row: Any) -> str:
    return f"{human_size(row.size_bytes)}: {human_size(row.base_bytes)} base + {human_size(row.added_bytes)} added"


def _stacked_parts(ax: Axes, positions: list[Any], parts: pd.DataFrame, totals: pd.Series) -> None:
    """Horizontal bars stacked in the order and colours of PART_STYLES, each labelled with its total."""
    left = pd.Series(0.0, index=parts.index)
    for part, (label, color) in PART_STYLES.items():
        bars = ax.barh(positions, parts[part], left=left, color=color, label=label)
        left += parts[part]
    ax.bar_label(bars, labels=[human_size(b) for b in totals], padding=4)


def _package_label(row: Any, location: bool) -> str:
    name = f"{row.distribution} {row.version}".strip()
    return f"{name} [{row.location.split('/lib/')[0]}]" if location and row.location else name


def _size_label(row: Any) -> str:
    size = human_size(row.size_bytes)
    if row.strategy == "base" or pd.isna(row.vs_baseline_pct):
        return f"{size} (baseline)"
    return f"{size} ({row.vs_baseline_pct:+.0f}%)"
