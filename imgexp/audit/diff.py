"""What changed between two inspected images (`imgexp diff A B`), largest change first.

Both images are inspected as `imgexp inspect` does; layers they share are read once (the
layer cache holds them after the first image). The changes are one table (DIFF_COLUMNS):
the size and pull size, the layers only one image has, the Python distributions and system
packages added, removed or resized (with their versions), the findings that appeared, went
or changed, and the files that grew or shrank most.
"""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from ..units import human_size
from .image import Inspection

#: the columns of diff.csv: one row per change, largest first within each group
DIFF_COLUMNS: dict[str, str] = {
    "group": "image (size, pull size), layer, distribution (Python), system-package (dpkg/apk), finding, file",
    "name": "what changed: a figure, a layer's instruction, a distribution, a package, a kind of finding, a path",
    "change": "added (only in B), removed (only in A), grown, shrunk",
    "a": "in A: its version, or its bytes for a layer, finding or file (empty: not in A)",
    "b": "in B: likewise",
    "delta_bytes": "bytes in B minus bytes in A",
}
TOP_FILES = 20


def diff(a: Inspection, b: Inspection) -> pd.DataFrame:
    """The changes from ``a`` to ``b`` (DIFF_COLUMNS); empty for the same image."""
    rows: list[dict[str, object]] = []
    for figure, name in (("size_bytes", "size"), ("compressed_bytes", "pull size")):
        before, after = int(a.summary[figure]), int(b.summary[figure])
        if before != after:
            rows.append(_row("image", name, human_size(before), human_size(after), after - before))
    rows += _layers(a.layers, b.layers)
    rows += _versioned("distribution", _distributions(a.packages), _distributions(b.packages))
    rows += _versioned("system-package", a.system, b.system)
    rows += _sized("finding", _findings(a), _findings(b))
    files = _sized("file", a.files, b.files)
    rows += sorted(files, key=lambda row: -abs(int(str(row["delta_bytes"]))))[:TOP_FILES]
    frame = pd.DataFrame(rows, columns=list(DIFF_COLUMNS))
    order = {group: n for n, group in enumerate(["image", "layer", "distribution", "system-package", "finding"])}
    frame["_group"] = frame["group"].map(order).fillna(len(order))
    frame["_size"] = -frame["delta_bytes"].abs()
    return frame.sort_values(["_group", "_size"], ignore_index=True).drop(columns=["_group", "_size"])


def _row(group: str, name: str, a: object, b: object, delta: int) -> dict[str, object]:
    change = "added" if a == "" else "removed" if b == "" else "grown" if delta >= 0 else "shrunk"
    return {"group": group, "name": name, "change": change, "a": a, "b": b, "delta_bytes": delta}


def _layers(a: pd.DataFrame, b: pd.DataFrame) -> list[dict[str, object]]:
    """Layers only one image has (by diff ID), with the instruction that made them."""
    shared = set(a["diff_id"]) & set(b["diff_id"])
    rows = []
    for table, side in ((a, "a"), (b, "b")):
        for layer in table[~table["diff_id"].isin(shared)].itertuples():
            size = int(layer.file_bytes)
            name = f"{layer.created_by[:100] or '(no history)'} [{str(layer.diff_id)[7:19]}]"
            rows.append(
                _row(
                    "layer",
                    name,
                    human_size(size) if side == "a" else "",
                    human_size(size) if side == "b" else "",
                    size if side == "b" else -size,
                )
            )
    return rows


def _distributions(packages: pd.DataFrame) -> dict[str, tuple[str, int]]:
    """distribution (in any site directory) -> (version, bytes)."""
    found: dict[str, tuple[str, int]] = {}
    for row in packages.itertuples():
        version, size = found.get(row.distribution, (row.version, 0))
        found[row.distribution] = (version, size + int(row.bytes))
    return found


def _findings(inspection: Inspection) -> dict[str, int]:
    """kind -> bytes of the part the build added; ``kind (base)`` -> the base's part."""
    findings = inspection.findings
    return {
        f"{kind}{' (base)' if origin == 'base' else ''}": int(size)
        for kind, origin, size in zip(findings["kind"], findings["origin"], findings["bytes"], strict=True)
    }


def _versioned(
    group: str, a: Mapping[str, tuple[str, int]], b: Mapping[str, tuple[str, int]]
) -> list[dict[str, object]]:
    """Entries added, removed, or changed in version or bytes; each side shown as ``version (size)``."""
    rows = []
    for name in sorted(set(a) | set(b)):
        before, after = a.get(name), b.get(name)
        if before == after:
            continue
        delta = (after[1] if after else 0) - (before[1] if before else 0)
        shown = [f"{v[0]} ({human_size(v[1])})" if v else "" for v in (before, after)]
        rows.append(_row(group, name, shown[0], shown[1], delta))
    return rows


def _sized(group: str, a: Mapping[str, int], b: Mapping[str, int]) -> list[dict[str, object]]:
    """Entries whose bytes differ (a missing entry has none)."""
    rows = []
    for name in set(a) | set(b):
        before, after = a.get(name), b.get(name)
        if before == after:
            continue
        delta = (after or 0) - (before or 0)
        shown = [human_size(v) if v is not None else "" for v in (before, after)]
        rows.append(_row(group, name if group != "file" else "/" + name, shown[0], shown[1], delta))
    return rows


def format_diff(a: Inspection, b: Inspection, changes: pd.DataFrame, top: int = 12) -> str:
    """The terminal table: per group, the ``top`` largest changes."""
    header = f"A {a.summary['image']} ({a.summary['size']})  ->  B {b.summary['image']} ({b.summary['size']})"
    if changes.empty:
        return (
            header + "\nno difference: the same image"
            if a.summary["image_id"] == b.summary["image_id"]
            else (header + "\nno difference in size, layers, packages, findings or files")
        )
    lines = [header]
    for group, rows in changes.groupby("group", sort=False):
        lines.append(f"\n{group} ({len(rows)} changed)")
        for row in rows.head(top).itertuples():
            lines.append(
                f"  {row.change:<8} {human_size(abs(row.delta_bytes)):>9}  {row.name}  {row.a or '-'} -> {row.b or '-'}"
            )
    return "\n".join(lines)
