"""What changed between two inspections made here: each group of change, its sign, and the ordering."""

from __future__ import annotations

import pandas as pd

from imgexp.audit.diff import DIFF_COLUMNS, diff
from imgexp.audit.image import Inspection


def _inspection(
    size: int,
    layers: list[tuple[str, int]],
    dists: dict[str, tuple[str, int]],
    findings: dict[str, int] | None = None,
    base_findings: dict[str, int] | None = None,
    files: dict[str, int] | None = None,
    system: dict[str, tuple[str, int]] | None = None,
) -> Inspection:
    rows = [(k, "added", v) for k, v in (findings or {}).items()] + [
        (k, "base", v) for k, v in (base_findings or {}).items()
    ]
    return Inspection(
        summary={"image": "x", "image_id": "sha256:x", "size_bytes": size, "compressed_bytes": size // 2, "size": ""},
        layers=pd.DataFrame(
            [{"diff_id": d, "created_by": f"RUN {d}", "file_bytes": b} for d, b in layers],
            columns=["diff_id", "created_by", "file_bytes"],
        ),
        packages=pd.DataFrame(
            [{"distribution": n, "version": v, "bytes": b} for n, (v, b) in dists.items()],
            columns=["distribution", "version", "bytes"],
        ),
        findings=pd.DataFrame(rows, columns=["kind", "origin", "bytes"]),
        files=files or {},
        system=system or {},
    )


def test_each_kind_of_change_is_listed_with_its_sign() -> None:
    a = _inspection(
        1000,
        [("sha256:base", 500), ("sha256:gcc", 400)],
        {"pip": ("24.0", 90), "six": ("1.16", 10)},
        findings={"compiler": 400, "pip": 90},
        base_findings={"pip": 30},
        files={"usr/bin/gcc": 400, "opt/v/six.py": 10},
        system={"gcc-12": ("12.2", 400), "bash": ("5.2", 100)},
    )
    b = _inspection(
        600,
        [("sha256:base", 500), ("sha256:venv", 100)],
        {"six": ("1.17", 12)},
        findings={},
        base_findings={"pip": 30},
        files={"opt/v/six.py": 12},
        system={"bash": ("5.2", 100)},
    )
    changes = diff(a, b)
    assert list(changes.columns) == list(DIFF_COLUMNS)
    rows = {(r.group, r.name.split(" [")[0]): (r.change, r.delta_bytes) for r in changes.itertuples()}
    assert rows == {
        ("image", "size"): ("shrunk", -400),
        ("image", "pull size"): ("shrunk", -200),
        ("layer", "RUN sha256:gcc"): ("removed", -400),
        ("layer", "RUN sha256:venv"): ("added", 100),
        ("distribution", "pip"): ("removed", -90),
        ("distribution", "six"): ("grown", 2),
        ("system-package", "gcc-12"): ("removed", -400),
        ("finding", "compiler"): ("removed", -400),
        ("finding", "pip"): ("removed", -90),
        ("file", "/usr/bin/gcc"): ("removed", -400),
        ("file", "/opt/v/six.py"): ("grown", 2),
    }
    assert list(changes["group"].drop_duplicates()) == [
        "image",
        "layer",
        "distribution",
        "system-package",
        "finding",
        "file",
    ]
    layers = changes[changes["group"] == "layer"]
    assert list(layers["delta_bytes"].abs()) == sorted(layers["delta_bytes"].abs(), reverse=True)


def test_the_same_inspection_twice_is_no_change() -> None:
    a = _inspection(10, [("sha256:a", 10)], {"six": ("1", 10)}, files={"f": 10}, system={"bash": ("5", 1)})
    assert diff(a, a).empty
