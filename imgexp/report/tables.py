"""Tables of the notebooks: the results, one strategy, its layers and packages, styled for display.

Every function returns a pandas Styler (full text, HTML-escaped, left-aligned); the
waterfall's table returns a Markdown line instead when there is nothing to attribute.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
from IPython.display import Markdown
from pandas.io.formats.style import Styler

from ..measure.packages import top_packages
from ..measure.scan import ESTIMATE_METHOD, EXACT_METHOD
from ..results import measured
from ..units import human_size
from .labels import (
    METRICS,
    PART_STYLES,
    build_time_label,
    how_label,
    signed_size,
    site_packages_parts,
    waterfall_steps,
)


def waterfall_table(results: pd.DataFrame, metric: str = "size_bytes") -> Styler | Markdown:
    """The waterfall's steps: each strategy, the change it makes, what it saves, and what is left."""
    table = waterfall_steps(results, metric)
    if isinstance(table, Markdown):
        return table
    name = METRICS.get(metric, metric)
    shown = pd.DataFrame(
        {
            "strategy": table["strategy"],
            "change against the step before": table["change"],
            "change in " + name: ["-"] + [signed_size(d) for d in table["delta_bytes"].iloc[1:]],
            name: table["total_bytes"].map(human_size),
            "of baseline": table["pct_of_baseline"].map(lambda p: f"{p:.1f}%"),
        },
    )
    return styled(shown.set_index("strategy"))


def summary_table(results: pd.DataFrame) -> Styler:
    """The comparison as a table in human units, one row per strategy; a strategy that failed to build
    or was not run says why."""
    rows = []
    for row in results.itertuples():
        if row.status != "ok":
            shown = "failed to build" if row.status == "failed" else "not run"
            rows.append({"strategy": row.strategy, "size": "-", "verified": shown, "note": row.reason})
            continue
        baseline = row.strategy == "base" or pd.isna(row.vs_baseline_pct)
        change = "baseline" if baseline else f"{row.vs_baseline_pct:+.0f}%"
        rows.append(
            {
                "strategy": row.strategy,
                "size": row.size,
                "to pull": f"{row.compressed} ({how_label(row.compressed_exact)})",
                "vs base": change,
                "base image": row.base_image + (" (stand-in)" if row.base_standin else ""),
                "base": human_size(row.base_bytes),
                "added": human_size(row.added_bytes),
                "layers": str(int(row.layers)),
                "packages": str(int(row.packages)),
                "build": build_time_label(row.cold_build_seconds, row.warm_build_seconds, row.changed_build_seconds),
                "verified": "yes" if row.verified else "NO",
                "lint": "" if pd.isna(row.lint_findings) else f"{row.lint_findings} findings",
                "note": "" if row.verified else str(row.verify_error),
            }
        )
    return styled(pd.DataFrame(rows).fillna("").set_index("strategy"))


def measurements_table(results: pd.DataFrame) -> Styler:
    """Pull size, waste and site-packages per strategy in human units; a strategy not run says why."""
    rows, parts = [], site_packages_parts(results)
    for row in results.itertuples():
        if row.status != "ok":
            rows.append({"strategy": row.strategy, "on disk": "-", "note": f"{row.status}: {row.reason}"})
            continue
        rows.append(
            {
                "strategy": row.strategy,
                "on disk": row.size,
                "to pull": row.compressed,
                "how": how_label(row.compressed_exact),
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
    parts = site_packages_parts(result).iloc[0]
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
        "builder": str(row["builder"])
        + (f"; frontend: {row['frontend']}" if pd.notna(row["frontend"]) and row["frontend"] else ""),
        "cold / warm / changed-dependency build": build_time_label(
            row["cold_build_seconds"],
            row["warm_build_seconds"],
            row["changed_build_seconds"],
            missing="not recorded (imgexp run --timings)",
        ),
        "reused earlier build": "yes" if row["reused"] else "no",
        "measured at": row["measured_at"],
    }
    return field_table(fields, "field")


def layer_table(layers: pd.DataFrame) -> Styler:
    """The layer table of imgexp.measure.scan.load_layers, bottom first, each size in human units.

    A table without an ``origin`` column (an inspected image's: no base is known) shows none.
    """
    recorded = layers["created_by"] != ""
    table = pd.DataFrame(
        {
            "index": layers["index"],
            **({"origin": layers["origin"]} if "origin" in layers else {}),
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
    """The ``top`` largest distributions of one image (imgexp.measure.packages.top_packages), in human units."""
    shown = top_packages(packages, top)
    twice = shown["distribution"].duplicated(keep=False)  # e.g. pip in the system Python and in a venv
    table = pd.DataFrame(
        {
            "distribution": shown["distribution"].where(~twice, shown["distribution"] + " (" + shown["location"] + ")"),
            "version": shown["version"],
            "location": shown["location"],
            "files": shown["files"],
            "bytes": shown["bytes"].map(human_size),
            **{PART_STYLES[p][0]: shown[f"{p}_bytes"].map(human_size) for p in PART_STYLES},
        }
    )
    return styled(table.set_index("distribution"))


def field_table(fields: dict[str, Any], name: str) -> Styler:
    """A two-column table of names and values, for display."""
    return styled(pd.DataFrame({"value": [str(v) for v in fields.values()]}, index=pd.Index(list(fields), name=name)))


def styled(table: pd.DataFrame) -> Styler:
    """A table for display: every cell in full and HTML-escaped, left-aligned."""
    return (
        table.style.format(escape="html")
        .format_index(escape="html")
        .set_properties(**{"text-align": "left", "white-space": "pre-wrap"})
        .set_table_styles(
            [
                {"selector": "th", "props": [("text-align", "left")]},
                {"selector": "th.row_heading", "props": [("white-space", "nowrap")]},
            ]
        )
    )
