"""Findings on a final filesystem made here: which kind claims each file, once, and the bytes each accounts for."""

from __future__ import annotations

import pandas as pd
import pytest

from imgexp.audit.findings import FINDING_COLUMNS, KINDS, find, interpreters
from imgexp.audit.packagedb import DPKG_STATUS, installed
from imgexp.measure.waste import FinalFilesystem

SITE = "opt/venv/lib/python3.11/site-packages"
SYSTEM = "usr/lib/python3/dist-packages"
STATUS = (
    "Package: gcc-12\nStatus: install ok installed\nVersion: 12.2\nDepends: libisl23\n\n"
    "Package: libisl23\nStatus: install ok installed\nVersion: 0.25\n\n"
    "Package: bash\nStatus: install ok installed\nVersion: 5.2\n"
)
#: path -> (bytes, the kind that must claim it, or None)
FILES: dict[str, tuple[int, str | None]] = {
    "root/.cache/pip/http-v2/a/b": (1000, "pip-cache"),
    "root/.cache/uv/wheels/x.whl": (1001, "uv-cache"),
    "var/cache/apt/archives/gcc.deb": (1002, "apt-cache"),
    "var/lib/apt/lists/deb.debian.org_Packages": (1003, "apt-lists"),
    "usr/bin/gcc-12": (2000, "compiler"),
    "usr/lib/x86_64-linux-gnu/libisl.so.23": (2001, "compiler"),
    "usr/share/doc/gcc-12/copyright": (2002, "compiler"),  # a toolchain package's docs go with it
    "var/lib/dpkg/info/gcc-12.list": (60, "compiler"),
    "var/lib/dpkg/info/libisl23:amd64.md5sums": (3, "compiler"),
    "var/lib/dpkg/info/libisl23:amd64.list": (41, "compiler"),
    "var/lib/dpkg/info/bash.list": (40, None),
    DPKG_STATUS: (len(STATUS), None),
    "bin/bash": (1200, None),
    f"{SITE}/pip/__init__.py": (3000, "pip"),
    f"{SITE}/pip/__pycache__/__init__.cpython-311.pyc": (3001, "pip"),
    f"{SITE}/pip-24.0.dist-info/RECORD": (50, "pip"),
    f"{SITE}/six.py": (4000, None),
    f"{SITE}/__pycache__/six.cpython-311.pyc": (4001, "pycache"),
    f"{SITE}/six-1.16.dist-info/RECORD": (40, None),
    f"{SITE}/dateutil/tests/test_x.py": (5000, "tests"),
    f"{SITE}/dateutil/parser.py": (5001, None),
    f"{SITE}/python_dateutil-2.9.dist-info/RECORD": (40, None),
    f"{SYSTEM}/six.py": (100, "duplicate-distribution"),
    f"{SYSTEM}/six-1.16.dist-info/RECORD": (20, "duplicate-distribution"),
    "usr/lib/python3.11/os.py": (19000, None),  # the largest standard library stays
    "usr/local/lib/python3.11/os.py": (6000, "interpreters"),
    "usr/local/lib/python3.11/json/__init__.py": (6001, "interpreters"),
    "usr/include/zlib.h": (7000, "headers"),
    "usr/share/doc/bash/copyright": (8000, "docs"),
    "usr/share/man/man1/bash.1.gz": (8001, "docs"),
    "usr/share/locale/de/LC_MESSAGES/bash.mo": (8002, "docs"),
    f"{SITE}/_speedups.cpython-311-x86_64-linux-gnu.so": (9000, None),  # debug-symbols: part of it (STRIPPABLE)
    f"{SITE}/pip/_vendored.so": (9001, "pip"),  # claimed whole by pip: its symbols are not counted twice
}
#: shared object -> the bytes strip removes from it (imgexp.audit.elf.strippable_files)
STRIPPABLE = {f"{SITE}/_speedups.cpython-311-x86_64-linux-gnu.so": 3500, f"{SITE}/pip/_vendored.so": 400}
RECORDS = {
    f"{SITE}/pip-24.0.dist-info/RECORD": "pip/__init__.py,,\npip-24.0.dist-info/RECORD,,\n",
    f"{SITE}/six-1.16.dist-info/RECORD": "six.py,,\nsix-1.16.dist-info/RECORD,,\n",
    f"{SITE}/python_dateutil-2.9.dist-info/RECORD": "dateutil/parser.py,,\ndateutil/tests/test_x.py,,\n",
    f"{SYSTEM}/six-1.16.dist-info/RECORD": "six.py,,\nsix-1.16.dist-info/RECORD,,\n",
}
PACKAGE_DB = {
    DPKG_STATUS: STATUS,
    "var/lib/dpkg/info/gcc-12.list": "/usr/bin/gcc-12\n/usr/share/doc/gcc-12/copyright\n/usr/bin\n",
    "var/lib/dpkg/info/libisl23:amd64.list": "/usr/lib/x86_64-linux-gnu/libisl.so.23\n",
    "var/lib/dpkg/info/bash.list": "/bin/bash\n/usr/share/doc/bash/copyright\n/usr/share/man/man1/bash.1.gz\n",
}


def _find(
    final: FinalFilesystem, records: dict[str, str], package_db: dict[str, str], image_bytes: int
) -> pd.DataFrame:
    """The findings, the system packages read as inspect_image reads them."""
    return find(final, records, installed(package_db, final.files), image_bytes, STRIPPABLE)


def _final(wasted: list[int]) -> FinalFilesystem:
    files = {path: (0, size) for path, (size, _) in FILES.items()}
    return FinalFilesystem(files=files, wasted_by_layer=wasted, layer_file_bytes=sum(s for _, s in files.values()))


def test_each_file_is_claimed_by_its_kind_once() -> None:
    findings = _find(_final([0]), RECORDS, PACKAGE_DB, image_bytes=1_000_000).set_index("kind")
    expected: dict[str, list[int]] = {}
    for size, kind in FILES.values():
        if kind:
            expected.setdefault(kind, []).append(size)
    expected["debug-symbols"] = [3500]  # of the unclaimed shared object only
    assert {kind: int(row.bytes) for kind, row in findings.iterrows()} == {k: sum(v) for k, v in expected.items()}
    assert {kind: int(row.files) for kind, row in findings.iterrows()} == {k: len(v) for k, v in expected.items()}
    assert set(findings.index) == set(KINDS) - {"wasted"}


def test_findings_are_ranked_with_their_share_fix_and_detail() -> None:
    findings = _find(_final([0]), RECORDS, PACKAGE_DB, image_bytes=1_000_000)
    assert list(findings.columns) == FINDING_COLUMNS
    assert list(findings["bytes"]) == sorted(findings["bytes"], reverse=True)
    compiler = findings.set_index("kind").loc["compiler"]
    assert compiler.share_pct == pytest.approx(100 * compiler.bytes / 1_000_000, abs=0.01)
    assert compiler.detail.startswith("2 packages: gcc-12 12.2") and "libisl23 0.25" in compiler.detail
    assert compiler.fix == KINDS["compiler"].fix


def test_wasted_bytes_are_a_finding_of_their_own() -> None:
    findings = _find(_final([700, 0, 5]), {}, {}, image_bytes=10**6).set_index("kind")
    assert int(findings.loc["wasted", "bytes"]) == 705 and "in 2 layer(s)" in findings.loc["wasted", "detail"]


def test_an_image_without_python_or_packages_has_no_such_findings() -> None:
    final = FinalFilesystem(files={"bin/busybox": (0, 900)}, wasted_by_layer=[0], layer_file_bytes=900)
    assert _find(final, {}, {}, image_bytes=900).empty
    assert interpreters(final.files) == []


def test_interpreters_are_found_by_their_standard_library() -> None:
    found = interpreters({path: (0, size) for path, (size, _) in FILES.items()})
    assert [(i.prefix, i.version) for i in found] == [("usr", "3.11"), ("usr/local", "3.11")]
