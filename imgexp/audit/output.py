"""What `imgexp inspect` and `imgexp diff` write: inspect.csv and inspect.json, diff.csv and diff.json.

Every image is measured before anything is written, and each file is replaced atomically
(imgexp.results.write_atomic), so a failed inspection leaves no half-written output.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from ..results import write_csv, write_json
from ..units import human_size
from .diff import DIFF_COLUMNS
from .findings import ADDED
from .image import FINDINGS_CSV_COLUMNS, IMAGE_COLUMNS, Inspection


def format_inspection(inspection: Inspection) -> str:
    """The image's figures, then its findings ranked by bytes with their total against the image size."""
    s = inspection.summary
    lines = [
        f"{s['image']}  ({s['image_id'][:19]}, {s['platform']})",
        f"  size {s['size']}  pull {s['compressed']}  layers {s['layers']}  wasted {human_size(s['wasted_bytes'])}"
        f"  efficiency {s['efficiency']:.4f}  site-packages {human_size(s['site_packages_bytes'])}"
        f"  python {s['python'] or '-'}",
        f"  base {s['base'] or '-'} ({s['base_layers']} layers; {s['base_found']})",
        *(f"  note: {note}" for note in inspection.notes),
        "",
        f"  {'finding':<24} {'bytes':>9} {'share':>7}  detail",
    ]
    pad = f"  {'':<24} {'':>9} {'':>7}  "
    for row in inspection.findings.itertuples():
        name = row.kind if row.origin == ADDED else f"{row.kind} (base)"
        lines.append(f"  {name:<24} {human_size(row.bytes):>9} {row.share_pct:>6.1f}%  {row.detail}")
        if row.required_by:
            lines.append(f"{pad}not counted, required ({human_size(row.required_bytes)}): {row.required_by}")
        lines.append(f"{pad}from: {row.instruction}")
        lines.append(f"{pad}fix: {row.fix}")
    lines.append(f"  {'total':<24} {human_size(s['findings_bytes']):>9} {s['findings_pct']:>6.1f}%  of {s['size']}")
    return "\n".join(lines)


def findings_table(inspections: list[Inspection]) -> pd.DataFrame:
    """inspect.csv: one row per image and finding (FINDINGS_CSV_COLUMNS)."""
    frames = [i.findings.assign(image=i.summary["image"]) for i in inspections]
    table = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
    return table.reindex(columns=list(FINDINGS_CSV_COLUMNS))


def write_inspections(out: Path, inspections: list[Inspection]) -> None:
    """OUT/inspect.csv (the findings) and OUT/inspect.json (per image: summary, findings, layers, packages)."""
    write_csv(out / "inspect.csv", findings_table(inspections))
    write_json(
        out / "inspect.json",
        {
            "columns": {"images": IMAGE_COLUMNS, "findings": FINDINGS_CSV_COLUMNS},
            "images": [
                {
                    "summary": i.summary,
                    "findings": _records(i.findings),
                    "layers": _records(i.layers),
                    "packages": _records(i.packages),
                }
                for i in inspections
            ],
        },
    )


def write_diff(out: Path, a: Inspection, b: Inspection, changes: pd.DataFrame) -> None:
    """OUT/diff.csv (the changes) and OUT/diff.json (the changes and both images' summaries)."""
    write_csv(out / "diff.csv", changes)
    write_json(
        out / "diff.json",
        {
            "columns": {"changes": DIFF_COLUMNS, "images": IMAGE_COLUMNS},
            "a": a.summary,
            "b": b.summary,
            "changes": _records(changes),
        },
    )


def _records(frame: pd.DataFrame) -> list[dict[str, object]]:
    """Rows as plain JSON values (missing values as null)."""
    return [
        {k: (None if pd.isna(v) else v.item() if hasattr(v, "item") else v) for k, v in row.items()}
        for row in frame.astype(object).to_dict("records")
    ]
