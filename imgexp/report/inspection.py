"""What notebooks/inspect.ipynb calls: one image inspected (imgexp inspect), as tables, a figure and facts.

The page shows the image's figures, its findings ranked by bytes with their fix and their
total against the image size, its layers, its largest packages, and where every figure
comes from (engine, when, how).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import pandas as pd
from matplotlib.figure import Figure
from pandas.io.formats.style import Styler

from ..audit.image import Inspection, inspect_image
from ..engine.client import connect, describe_engine
from ..measure.layercache import LayerCache
from ..units import human_size
from .figures import _bytes_axis, _figure
from .labels import BAR_COLOR, SAVING_COLOR
from .tables import field_table, styled

#: how an inspection is measured, as the page's provenance says it
HOW = (
    "imgexp.audit.image.inspect_image: the layer tars read from the engine's layer store or a streamed "
    "`docker save` (through imgexp's layer cache), replayed to the final filesystem; each visible file "
    "belongs to at most one finding, so the findings' bytes add up"
)


@dataclass(frozen=True)
class Inspected:
    """One inspection with when and on which engine it was made."""

    inspection: Inspection
    measured_at: str
    engine: dict[str, Any]


def inspect(image: str) -> Inspected:
    """Inspect ``image`` on the engine (pulled first if not local); ImageUnavailable when it cannot be had."""
    client = connect()
    engine = describe_engine(client)
    measured_at = dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")
    return Inspected(inspect_image(client, image, LayerCache()), measured_at, engine)


def verdict(inspected: Inspected) -> str:
    """The image, its platform and its Python versions, in one line that stays the same between runs."""
    s = inspected.inspection.summary
    versions = sorted({found.split(":")[0] for found in s["python"].split()})
    return f"{s['image']}: {s['platform']}, Python {', '.join(versions) or 'not found'}"


def summary_table(inspected: Inspected) -> Styler:
    """The image's figures: size, pull size, layers, wasted bytes, site-packages, and what the findings cover."""
    s = inspected.inspection.summary
    fields = {
        "image": f"{s['image']} ({s['image_id']})",
        "platform": s["platform"],
        "size": f"{s['size']} ({s['size_bytes']} bytes)",
        "pull size": f"{s['compressed']} ({'exact' if s['compressed_exact'] else 'estimate'})",
        "layers": f"{s['layers']} (read from {s['layers_read_from']})",
        "wasted": f"{human_size(s['wasted_bytes'])} (efficiency {s['efficiency']:.4f})",
        "site-packages": human_size(s["site_packages_bytes"]),
        "python": s["python"] or "none found",
        "findings": f"{human_size(s['findings_bytes'])}, {s['findings_pct']:.1f}% of {s['size']}",
    }
    if s["notes"]:
        fields["notes"] = s["notes"]
    return field_table(fields, "field")


def findings_table(inspected: Inspected) -> Styler:
    """The findings ranked by bytes, with their share of the image and their fix; the total last."""
    findings, s = inspected.inspection.findings, inspected.inspection.summary
    table = pd.DataFrame(
        {
            "finding": findings["kind"],
            "bytes": findings["bytes"].map(human_size),
            "share": findings["share_pct"].map(lambda pct: f"{pct:.1f}%"),
            "what": findings["title"] + ": " + findings["detail"],
            "fix": findings["fix"],
        }
    )
    total = {"finding": "total", "bytes": human_size(s["findings_bytes"]), "share": f"{s['findings_pct']:.1f}%"}
    table = pd.concat([table, pd.DataFrame([{**total, "what": f"of {s['size']}", "fix": ""}])])
    return styled(table.set_index("finding"))


def findings_bars(inspected: Inspected) -> Figure:
    """The image's size as a bar, beside one bar per finding: what each could save."""
    findings, s = inspected.inspection.findings, inspected.inspection.summary
    names = ["image size", *findings["kind"]]
    values = [s["size_bytes"], *findings["bytes"]]
    fig, ax = _figure(8, 1.3 + 0.4 * len(names))
    ax.barh(range(len(names)), values, color=[BAR_COLOR] + [SAVING_COLOR] * len(findings))
    ax.set_yticks(range(len(names)), names)
    ax.invert_yaxis()
    _bytes_axis(ax)
    ax.set_title(f"{s['image']}: findings cover {human_size(s['findings_bytes'])} of {s['size']}")
    ax.spines[["top", "right"]].set_visible(False)
    return fig


def provenance(inspected: Inspected) -> dict[str, str]:
    """Where every figure on the page comes from: when, on which engine and host, and how."""
    engine = inspected.engine
    return {
        "measured": f"{inspected.measured_at} (UTC)",
        "host": f"{engine['host']} ({engine['os']}, kernel {engine['kernel']}, {engine['arch']})",
        "docker engine": f"{engine['engine_version']} (API {engine['api_version']}) at {engine['docker_host']}",
        "storage driver": str(engine["storage_driver"]),
        "how measured": HOW,
        "findings": "imgexp.audit.findings: every kind, its fix, and why the bytes add up (docs/inspect.md)",
    }
