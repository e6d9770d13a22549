"""Figures and tables of the notebooks: what each strategy costs and why, in human units.

Every function takes the results (or a layer or package table) and returns a matplotlib
Figure or a table styled for display (a pandas Styler: full text, left-aligned); the
waterfall functions return a Markdown line instead when there is nothing to attribute.
Figures are made through pyplot, so Jupyter's inline backend renders them as PNG, and
closed at once, so a notebook shows each exactly once: as the cell's value.
"""

from __future__ import annotations

from typing import Any

import matplotlib.pyplot as plt
import pandas as pd
from IPython.display import Markdown
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, MaxNLocator
from pandas.io.formats.style import Styler

from . import attribution
from .imagescan import ESTIMATE_METHOD, EXACT_METHOD
from .packages import top_packages
from .units import human_size

BASE_COLOR = "#9aa5b1"
ADDED_COLOR = "#2f6fb0"
BAR_COLOR = "#2f6fb0"
BASELINE_COLOR = "#9aa5b1"
PULL_COLOR = "#e08a2c"
SAVING_COLOR = "#3a9a5b"
GROWTH_COLOR = "#c23b3b"
#: the parts of site-packages (imgexp.packages.PARTS), how a chart names them, and their colors
PART_STYLES = {
    "pycache": ("bytecode (__pycache__)", "#e08a2c"),
    "tests": ("tests", "#c23b3b"),
    "extensions": ("extensions (.so)", "#7b5ea7"),
    "other": ("rest", "#2f6fb0"),
}
#: the results columns a waterfall can follow, as its charts name them
METRICS = {"size_bytes": "size on disk", "compressed_bytes": "pull size (compressed)"}
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
    pull = ax.barh([p + 0.2 for p in positions], rows["compressed_bytes"], height=0.4, color=PULL_COLOR,
                   label="to pull (compressed)")
    ax.bar_label(disk, labels=list(rows["size"]), padding=4)
    ax.bar_label(pull, labels=[f"{r.compressed} ({_how(r.compressed_exact)})" for r in rows.itertuples()], padding=4)
    ax.set_yticks(list(positions), list(rows["strategy"]))
    ax.invert_yaxis()
    _bytes_axis(ax)
    ax.set_xlim(0, rows["size_bytes"].max() * 1.35)
    ax.set_title("Size on disk against size to pull, per strategy")
    fig.legend(loc="outside lower center", ncols=2, frameon=False)
    ax.spines[["top", "right"]].set_visible(False)
    return fig


def build_time_bars(results: pd.DataFrame) -> Figure:
    """Build time per strategy: cold (no cache) against warm (every step cached) where recorded.

    Without ``--timings`` only each image's own build time is known (which may have taken
    steps from the cache); the title says so.
    """
    rows = measured(results)
    timed = bool(rows["cold_build_seconds"].notna().any())
    fig, ax = _figure(7, 1.2 + 0.9 * len(rows))
    positions = list(range(len(rows)))
    if timed:
        cold = ax.barh([p - 0.2 for p in positions], rows["cold_build_seconds"].fillna(0), height=0.4,
                       color=BAR_COLOR, label="cold: no cache")
        warm = ax.barh([p + 0.2 for p in positions], rows["warm_build_seconds"].fillna(0), height=0.4,
                       color=PULL_COLOR, label="warm: every step cached")
        ax.bar_label(cold, labels=[_seconds(v) for v in rows["cold_build_seconds"]], padding=4)
        ax.bar_label(warm, labels=[_seconds(v) for v in rows["warm_build_seconds"]], padding=4)
        ax.set_title("Build time per strategy, cold and warm")
        fig.legend(loc="outside lower center", ncols=2, frameon=False)
    else:
        bars = ax.barh(positions, rows["build_seconds"], color=BAR_COLOR)
        ax.bar_label(bars, labels=[f"{_seconds(r.build_seconds)} ({r.cached_steps}/{r.build_steps} steps cached)"
                                   for r in rows.itertuples()], padding=4)
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
    parts = _parts(rows)
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


def waterfall(results: pd.DataFrame, metric: str = "size_bytes") -> Figure | Markdown:
    """From the baseline to the smallest working image by ``metric`` (imgexp.attribution.waterfall), one bar a change."""
    table = _waterfall(results, metric)
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
            label = f"{_signed(row.delta_bytes)} = {human_size(row.total_bytes)} ({row.pct_of_baseline:.0f}%)"
        ax.annotate(label, (max(previous, row.total_bytes), position), xytext=(4, 0),
                    textcoords="offset points", va="center")
        names.append(row.strategy)
        previous = row.total_bytes
    ax.barh(len(table), last.total_bytes, color=BAR_COLOR)
    ax.annotate(f"{human_size(last.total_bytes)}: {last.pct_of_baseline:.0f}% of {baseline.strategy}",
                (last.total_bytes, len(table)), xytext=(4, 0), textcoords="offset points", va="center")
    ax.set_yticks(range(len(table) + 1), names + [f"= {last.strategy}"])
    ax.invert_yaxis()
    _bytes_axis(ax)
    ax.set_xlim(0, baseline.total_bytes * 1.45)
    ax.set_xlabel(METRICS.get(metric, metric))
    ax.set_title(f"{METRICS.get(metric, metric).capitalize()}: from {baseline.strategy} to {last.strategy}, one change a bar")
    ax.spines[["top", "right"]].set_visible(False)
    return fig


def waterfall_table(results: pd.DataFrame, metric: str = "size_bytes") -> Styler | Markdown:
    """The waterfall's steps: each strategy, the change it makes, what it saves, and what is left."""
    table = _waterfall(results, metric)
    if isinstance(table, Markdown):
        return table
    name = METRICS.get(metric, metric)
    shown = pd.DataFrame(
        {
            "strategy": table["strategy"],
            "change against the step before": table["change"],
            "change in " + name: ["-"] + [_signed(d) for d in table["delta_bytes"].iloc[1:]],
            name: table["total_bytes"].map(human_size),
            "of baseline": table["pct_of_baseline"].map(lambda p: f"{p:.1f}%"),
        },
    )
    return styled(shown.set_index("strategy"))


def summary_table(results: pd.DataFrame) -> Styler:
    """The comparison as a table in human units, one row per strategy; a strategy not run says why."""
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
                "to pull": f"{row.compressed} ({_how(row.compressed_exact)})",
                "vs base": change,
                "base image": row.base_image + (" (stand-in)" if row.base_standin else ""),
                "base": human_size(row.base_bytes),
                "added": human_size(row.added_bytes),
                "layers": str(int(row.layers)),
                "packages": str(int(row.packages)),
                "build": _build_time(row.cold_build_seconds, row.warm_build_seconds),
                "verified": "yes" if row.verified else "NO",
                "note": "" if row.verified else str(row.verify_error),
            }
        )
    return styled(pd.DataFrame(rows).fillna("").set_index("strategy"))


def measurements_table(results: pd.DataFrame) -> Styler:
    """Pull size, waste and site-packages per strategy in human units; a strategy not run says why."""
    rows, parts = [], _parts(results)
    for row in results.itertuples():
        if row.status != "ok":
            rows.append({"strategy": row.strategy, "on disk": "-", "note": f"not run: {row.reason}"})
            continue
        rows.append(
            {
                "strategy": row.strategy,
                "on disk": row.size,
                "to pull": row.compressed,
                "how": _how(row.compressed_exact),
                "unique to pull": human_size(row.unique_compressed_bytes),
                "wasted": human_size(row.wasted_bytes),
                "efficiency": f"{row.efficiency:.2%}",
                "site-packages": human_size(row.site_packages_bytes),
                **{PART_STYLES[part][0]: human_size(parts.loc[row.Index, part]) for part in PART_STYLES},
            }
        )
    methods = sorted(set(measured(results)["compressed_method"]))
    sources = sorted(set(measured(results)["layers_read_from"].dropna()))
    table = styled(pd.DataFrame(rows).fillna("").set_index("strategy"))
    caption = "; ".join(methods) + (f"; layer tars read from {' and '.join(sources)}" if sources else "")
    return table.set_caption(f"to pull: {caption}") if methods else table


def result_card(result: pd.DataFrame) -> Styler:
    """One strategy's result row, field by field, sizes in human units."""
    row = result.iloc[0]
    parts = _parts(result).iloc[0]
    split = ", ".join(f"{PART_STYLES[p][0]} {human_size(parts[p])}" for p in PART_STYLES)
    fields = {
        "strategy": row["strategy"],
        "description": row["description"],
        "image": f"{row['image']} ({str(row['image_id'])[7:19]})",
        "size": row["size"],
        "to pull": f"{row['compressed']} ({row['compressed_method']}; layer tars read from {row['layers_read_from']})",
        "unique to pull": f"{human_size(row['unique_compressed_bytes'])} (the layers its base does not share)",
        "wasted bytes": f"{human_size(row['wasted_bytes'])} (efficiency {row['efficiency']:.2%})",
        "site-packages": f"{human_size(row['site_packages_bytes'])}: {split}",
        "base image": f"{row['base_image']}" + (" (offline stand-in)" if row["base_standin"] else ""),
        "base bytes": human_size(row["base_bytes"]),
        "added bytes": human_size(row["added_bytes"]),
        "layers": int(row["layers"]),
        "verified": "yes: every requirement imports" if row["verified"] else f"NO: {row['verify_error']}",
        "python in image": row["python_version"],
        "packages installed": int(row["packages"]),
        "built in": f"{row['build_seconds']} s ({row['cached_steps']} of {row['build_steps']} steps cached)",
        "cold / warm build": _build_time(row["cold_build_seconds"], row["warm_build_seconds"],
                                         missing="not recorded (imgexp run --timings)"),
        "reused earlier build": "yes" if row["reused"] else "no",
        "measured at": row["measured_at"],
    }
    return field_table(fields, "field")


def layer_table(layers: pd.DataFrame) -> Styler:
    """The layer table of imgexp.imagescan.load_layers, bottom first, each size in human units."""
    recorded = layers["created_by"] != ""
    table = pd.DataFrame(
        {
            "index": layers["index"],
            "origin": layers["origin"],
            "instruction": layers["created_by"].where(recorded, "(no instruction recorded: imported filesystem)"),
            "files": layers["files"],
            "file bytes": layers["file_bytes"].map(human_size),
            "compressed": layers["compressed_bytes"].map(human_size),
            "wasted": layers["wasted_bytes"].map(human_size),
        }
    )
    method = EXACT_METHOD if layers["compressed_exact"].astype(str).eq("True").all() else ESTIMATE_METHOD
    return styled(table.set_index("index")).set_caption(f"compressed: {method}")


def package_table(packages: pd.DataFrame, top: int = 15) -> Styler:
    """The ``top`` largest distributions of one image (imgexp.packages.top_packages), in human units."""
    shown = top_packages(packages, top)
    table = pd.DataFrame(
        {
            "distribution": shown["distribution"],
            "version": shown["version"],
            "location": shown["location"],
            "files": shown["files"],
            "bytes": shown["bytes"].map(human_size),
            **{PART_STYLES[p][0]: shown[f"{p}_bytes"].map(human_size) for p in PART_STYLES},
        }
    )
    return styled(table.set_index("distribution"))


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


def field_table(fields: dict[str, Any], name: str) -> Styler:
    """A two-column table of names and values, for display."""
    return styled(pd.DataFrame({"value": [str(v) for v in fields.values()]}, index=pd.Index(list(fields), name=name)))


def styled(table: pd.DataFrame) -> Styler:
    """A table for display: every cell in full and HTML-escaped, left-aligned."""
    return table.style.format(escape="html").format_index(escape="html").set_properties(**{"text-align": "left", "white-space": "pre-wrap"}).set_table_styles(
        [
            {"selector": "th", "props": [("text-align", "left")]},
            {"selector": "th.row_heading", "props": [("white-space", "nowrap")]},
        ]
    )


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


def _waterfall(results: pd.DataFrame, metric: str) -> pd.DataFrame | Markdown:
    """attribution.waterfall, or a Markdown line saying why there is none."""
    try:
        return attribution.waterfall(results, metric)
    except ValueError as exc:
        return Markdown(f"No waterfall by {METRICS.get(metric, metric)}: {exc}.")


def _stacked_parts(ax: Axes, positions: list[Any], parts: pd.DataFrame, totals: pd.Series) -> None:
    """Horizontal bars stacked in the order and colours of PART_STYLES, each labelled with its total."""
    left = pd.Series(0.0, index=parts.index)
    for part, (label, color) in PART_STYLES.items():
        bars = ax.barh(positions, parts[part], left=left, color=color, label=label)
        left += parts[part]
    ax.bar_label(bars, labels=[human_size(b) for b in totals], padding=4)


def _parts(rows: pd.DataFrame) -> pd.DataFrame:
    """Each row's site-packages bytes in the parts of PART_STYLES; ``other`` is what the rest leaves."""
    named = {p: rows[f"{p}_bytes"].astype(float) for p in PART_STYLES if p != "other"}
    rest = rows["site_packages_bytes"].astype(float) - sum(named.values())
    return pd.DataFrame({**named, "other": rest})


def _how(exact: Any) -> str:
    return "exact" if exact is True or str(exact) == "True" else "estimate"


def _seconds(value: Any) -> str:
    return "-" if pd.isna(value) else f"{float(value):.1f} s" if float(value) >= 1 else f"{float(value):.2f} s"


def _build_time(cold: Any, warm: Any, missing: str = "") -> str:
    """``cold 22.5 s / warm 0.05 s`` when the build was timed (imgexp run --timings), else ``missing``."""
    if pd.isna(cold):
        return missing
    return f"cold {_seconds(cold)} / warm {_seconds(warm)}"


def _signed(delta: float) -> str:
    return ("-" if delta < 0 else "+") + human_size(abs(delta))


def _package_label(row: Any, location: bool) -> str:
    name = f"{row.distribution} {row.version}".strip()
    return f"{name} [{row.location.split('/lib/')[0]}]" if location and row.location else name


def _size_label(row: Any) -> str:
    size = human_size(row.size_bytes)
    if row.strategy == "base" or pd.isna(row.vs_baseline_pct):
        return f"{size} (baseline)"
    return f"{size} ({row.vs_baseline_pct:+.0f}%)"
