"""What notebooks/inspect.ipynb and notebooks/diff.ipynb call: images inspected (imgexp inspect) or
compared (imgexp diff), as tables, a figure and facts.

The inspect page shows the image's figures, its findings ranked by bytes with their fix and their
total against the image size, its layers, its largest packages, and where every figure
comes from (engine, when, how).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import pandas as pd
from IPython.display import Markdown
from matplotlib.figure import Figure
from pandas.io.formats.style import Styler

from ..audit.diff import diff
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


@dataclass(frozen=True)
class Compared:
    """Two inspections, A and B, and the changes from A to B (imgexp.audit.diff.DIFF_COLUMNS)."""

    a: Inspected
    b: Inspected
    changes: pd.DataFrame


def compare(a: str, b: str) -> Compared:
    """Inspect ``a`` then ``b`` through one layer cache (shared layers are read once) and diff them."""
    client = connect()
    engine, cache = describe_engine(client), LayerCache()
    measured_at = dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")
    first, second = inspect_image(client, a, cache), inspect_image(client, b, cache)
    return Compared(Inspected(first, measured_at, engine), Inspected(second, measured_at, engine), diff(first, second))


def diff_verdict(compared: Compared) -> str:
    """How many changes of each group, in one line that stays the same between runs of the same two images."""
    a, b = compared.a.inspection.summary["image"], compared.b.inspection.summary["image"]
    if compared.changes.empty:
        return f"{a} and {b}: no difference"
    groups = compared.changes["group"].value_counts()
    return f"{a} -> {b}: " + ", ".join(f"{group} {count}" for group, count in sorted(groups.items()))


def side_by_side(compared: Compared) -> Styler:
    """Both images' figures, A beside B."""
    shown = {
        "image id": "image_id",
        "size": "size",
        "pull size": "compressed",
        "layers": "layers",
        "wasted bytes": "wasted_bytes",
        "site-packages bytes": "site_packages_bytes",
        "python": "python",
        "findings bytes": "findings_bytes",
        "findings, % of size": "findings_pct",
    }
    a, b = compared.a.inspection.summary, compared.b.inspection.summary
    table = pd.DataFrame(
        {"A": [str(a[k]) for k in shown.values()], "B": [str(b[k]) for k in shown.values()]},
        index=pd.Index(list(shown), name="figure"),
    )
    return styled(table)


def changes_table(compared: Compared, group: str, top: int = 20) -> Styler | Markdown:
    """The ``top`` largest changes of one group (image, layer, distribution, system-package, finding, file)."""
    changes = compared.changes[compared.changes["group"] == group]
    if changes.empty:
        return Markdown(f"No {group} changed.")
    shown = changes.head(top).assign(delta=lambda t: t["delta_bytes"].map(_signed))
    return styled(shown[["name", "change", "a", "b", "delta"]].set_index("name").fillna(""))


def _signed(size: int) -> str:
    return ("+" if size > 0 else "-" if size < 0 else "") + human_size(abs(int(size)))


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
        "base": f"{s['base']} ({s['base_layers']} layers; {s['base_found']})" if s["base"] else "none found",
    }
    if s["notes"]:
        fields["notes"] = s["notes"]
    return field_table(fields, "field")


def findings_table(inspected: Inspected) -> Styler:
    """The findings ranked by bytes, each the base's part or what the build added, with their share of the image,
    the instruction that brought them, what requires them, and their fix; the total last."""
    findings, s = inspected.inspection.findings, inspected.inspection.summary
    required = findings["required_by"].where(findings["required_by"] == "", "; not counted, " + findings["required_by"])
    table = pd.DataFrame(
        {
            "finding": findings["kind"] + findings["origin"].map(lambda origin: " (base)" if origin == "base" else ""),
            "bytes": findings["bytes"].map(human_size),
            "share": findings["share_pct"].map(lambda pct: f"{pct:.1f}%"),
            "what": findings["title"] + ": " + findings["detail"] + required,
            "from": findings["instruction"],
            "fix": findings["fix"],
        }
    )
    total = {"finding": "total", "bytes": human_size(s["findings_bytes"]), "share": f"{s['findings_pct']:.1f}%"}
    table = pd.concat([table, pd.DataFrame([{**total, "what": f"of {s['size']}", "from": "", "fix": ""}])])
    return styled(table.set_index("finding"))


def findings_bars(inspected: Inspected) -> Figure:
    """The image's size as a bar, beside one bar per finding: what each could save."""
    findings, s = inspected.inspection.findings, inspected.inspection.summary
    names = [
        "image size",
        *(k + (" (base)" if o == "base" else "") for k, o in zip(findings["kind"], findings["origin"], strict=True)),
    ]
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
        "storage driver": f"{engine['storage_driver']} (image store: {engine.get('image_store', 'not recorded')})",
        "how measured": HOW,
        "findings": "imgexp.audit.findings: every kind, its fix, and why the bytes add up (docs/inspect.md)",
    }
