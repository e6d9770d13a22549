"""Bytes by distribution and by part: RECORD ownership, files no RECORD lists, and the part each file is in."""

from __future__ import annotations

import pandas as pd
import pytest

from imgexp.measure.packages import (
    PACKAGE_COLUMNS,
    UNCLAIMED,
    package_frame,
    package_summary,
    part_of,
    top_packages,
)
from imgexp.report.tables import package_table


@pytest.mark.parametrize(
    ("relative", "part"),
    [
        ("six.py", "other"),
        ("__pycache__/six.cpython-311.pyc", "pycache"),
        ("pkg/__pycache__/mod.cpython-311.opt-1.pyc", "pycache"),
        ("pkg/mod.pyc", "pycache"),
        ("pkg/tests/test_x.py", "tests"),
        ("pkg/test/data.txt", "tests"),
        ("tests/conftest.py", "tests"),
        ("pkg/tests/__pycache__/test_x.cpython-311.pyc", "pycache"),
        ("pkg/tests/_helper.cpython-311-x86_64-linux-gnu.so", "tests"),
        ("pkg/_core.cpython-311-x86_64-linux-gnu.so", "extensions"),
        ("numpy.libs/libopenblas64_p-r0-0cf96a72.3.23.dev.so", "extensions"),
        ("pillow.libs/libjpeg-0f0c4b73.so.62.4.0", "extensions"),
        ("pkg/_speedups.pyd", "extensions"),
        ("pkg/tests.py", "other"),
        ("pkg/testing/util.py", "other"),
        ("pkg/test_utils.py", "other"),
        ("pkg/tests", "other"),
        ("pkg/sonar.py", "other"),
        ("pkg/py.typed", "other"),
    ],
)
def test_part_of(relative: str, part: str) -> None:
    assert part_of(relative) == part


SITE = "opt/venv/lib/python3.11/site-packages"
SYSTEM = "usr/lib/python3/dist-packages"


def _record(*paths: str) -> str:
    return "".join(f"{path},sha256=x,1\n" for path in paths)


#: every visible file: path -> (layer, bytes); sizes are distinct powers of two, so sums identify their files
FILES = {
    # six: a module at top level, its bytecode listed in RECORD
    f"{SITE}/six.py": (1, 1 << 0),
    f"{SITE}/__pycache__/six.cpython-311.pyc": (1, 1 << 1),
    f"{SITE}/six-1.16.0.dist-info/RECORD": (1, 1 << 2),
    f"{SITE}/six-1.16.0.dist-info/METADATA": (1, 1 << 3),
    # numpy: RECORD lists some files; bytecode written after install and a vendored library are not listed
    f"{SITE}/numpy/__init__.py": (1, 1 << 4),
    f"{SITE}/numpy/core/_multiarray_umath.cpython-311-x86_64-linux-gnu.so": (1, 1 << 20),
    f"{SITE}/numpy/core/tests/test_api.py": (1, 1 << 10),
    f"{SITE}/numpy/core/__pycache__/numeric.cpython-311.pyc": (2, 1 << 11),
    f"{SITE}/numpy.libs/libopenblas-r0.3.so": (1, 1 << 19),
    f"{SITE}/numpy-1.26.4.dist-info/RECORD": (1, 1 << 5),
    # python-dateutil: the distribution name is not the import name
    f"{SITE}/dateutil/parser.py": (1, 1 << 12),
    f"{SITE}/dateutil/__pycache__/parser.cpython-311.pyc": (1, 1 << 13),
    f"{SITE}/python_dateutil-2.9.0.dist-info/RECORD": (1, 1 << 6),
    # no RECORD at all: an egg-info install
    f"{SITE}/legacy/__init__.py": (1, 1 << 14),
    f"{SITE}/legacy-0.1-py3.11.egg-info/PKG-INFO": (1, 1 << 7),
    # nobody's
    f"{SITE}/_virtualenv.pth": (1, 1 << 8),
    # a second site directory, whose files no RECORD lists
    f"{SYSTEM}/apt/__init__.py": (0, 1 << 15),
    f"{SYSTEM}/apt/tests/test_apt.py": (0, 1 << 16),
    # not in a site directory: not counted
    "usr/bin/python3.11": (0, 1 << 25),
    "opt/venv/bin/six-tool": (1, 1 << 24),
}
RECORDS = {
    f"{SITE}/six-1.16.0.dist-info/RECORD": _record(
        "six.py",
        "__pycache__/six.cpython-311.pyc",
        "six-1.16.0.dist-info/RECORD",
        "six-1.16.0.dist-info/METADATA",
    ),
    f"{SITE}/numpy-1.26.4.dist-info/RECORD": _record(
        "numpy/__init__.py",
        "numpy/core/_multiarray_umath.cpython-311-x86_64-linux-gnu.so",
        "numpy/core/tests/test_api.py",
        "numpy-1.26.4.dist-info/RECORD",
        "../../../bin/six-tool",
    ),
    f"{SITE}/python_dateutil-2.9.0.dist-info/RECORD": _record(
        "dateutil/parser.py",
        "python_dateutil-2.9.0.dist-info/RECORD",
    ),
    # a distribution a later layer removed: its RECORD is not visible, so it claims nothing
    f"{SITE}/legacy-0.0.dist-info/RECORD": _record("legacy/__init__.py", "_virtualenv.pth"),
}

#: (location, distribution, version) -> {part: bytes}, worked out by hand from FILES
EXPECTED = {
    (SITE, "six", "1.16.0"): {"pycache": 1 << 1, "other": (1 << 0) + (1 << 2) + (1 << 3)},
    (SITE, "numpy", "1.26.4"): {
        "pycache": 1 << 11,
        "tests": 1 << 10,
        "extensions": (1 << 20) + (1 << 19),
        "other": (1 << 4) + (1 << 5),
    },
    (SITE, "python_dateutil", "2.9.0"): {"pycache": 1 << 13, "other": (1 << 12) + (1 << 6)},
    (SITE, UNCLAIMED, ""): {"other": (1 << 14) + (1 << 7) + (1 << 8)},
    (SYSTEM, UNCLAIMED, ""): {"tests": 1 << 16, "other": 1 << 15},
}
FILE_COUNTS = {
    (SITE, "six"): 4,
    (SITE, "numpy"): 6,
    (SITE, "python_dateutil"): 3,
    (SITE, UNCLAIMED): 3,
    (SYSTEM, UNCLAIMED): 2,
}


@pytest.fixture(scope="module")
def table() -> pd.DataFrame:
    return package_frame(FILES, RECORDS)


def test_one_row_per_distribution_and_site_largest_first(table: pd.DataFrame) -> None:
    assert list(table.columns) == PACKAGE_COLUMNS
    assert list(zip(table["location"], table["distribution"], strict=True)) == [
        (SITE, "numpy"),
        (SYSTEM, UNCLAIMED),
        (SITE, UNCLAIMED),
        (SITE, "python_dateutil"),
        (SITE, "six"),
    ]


@pytest.mark.parametrize("key", list(EXPECTED), ids=lambda key: f"{key[0].split('/')[0]}-{key[1]}")
def test_each_file_counts_for_its_owner_and_part(table: pd.DataFrame, key: tuple[str, str, str]) -> None:
    location, name, version = key
    row = table[(table["location"] == location) & (table["distribution"] == name)]
    assert len(row) == 1
    row = row.iloc[0]
    parts = EXPECTED[key]
    assert row["version"] == version
    assert row["files"] == FILE_COUNTS[(location, name)]
    assert row["bytes"] == sum(parts.values())
    for part in ("pycache", "tests", "extensions", "other"):
        assert row[f"{part}_bytes"] == parts.get(part, 0), part


def test_only_site_directories_are_counted(table: pd.DataFrame) -> None:
    in_site = sum(size for path, (_, size) in FILES.items() if "-packages/" in path)
    assert table["bytes"].sum() == in_site


def test_summary_adds_up_over_every_site_directory(table: pd.DataFrame) -> None:
    parts = {part: sum(p.get(part, 0) for p in EXPECTED.values()) for part in ("pycache", "tests", "extensions")}
    assert package_summary(table) == {
        "site_packages_bytes": sum(sum(p.values()) for p in EXPECTED.values()),
        "pycache_bytes": parts["pycache"],
        "tests_bytes": parts["tests"],
        "extensions_bytes": parts["extensions"],
    }
    assert all(type(value) is int for value in package_summary(table).values())


def test_a_file_listed_by_two_records_belongs_to_one() -> None:
    files = {f"{SITE}/a-1.dist-info/RECORD": (0, 1), f"{SITE}/b-2.dist-info/RECORD": (0, 2), f"{SITE}/x.py": (0, 4)}
    records = {f"{SITE}/a-1.dist-info/RECORD": _record("x.py"), f"{SITE}/b-2.dist-info/RECORD": _record("x.py")}
    table = package_frame(files, records).set_index("distribution")
    assert table["bytes"].sum() == 7
    assert table.loc["a", "bytes"] + table.loc["b", "bytes"] == 7
    assert sorted(table["bytes"]) in ([1, 6], [2, 5])


def test_no_site_files_is_an_empty_table() -> None:
    table = package_frame({"usr/bin/python3": (0, 10)}, {})
    assert table.empty and list(table.columns) == PACKAGE_COLUMNS
    assert package_summary(table) == {
        "site_packages_bytes": 0,
        "pycache_bytes": 0,
        "tests_bytes": 0,
        "extensions_bytes": 0,
    }


def _sized(*sizes: int) -> pd.DataFrame:
    rows = [
        {
            "location": SITE,
            "distribution": f"d{i}",
            "version": "1",
            "bytes": size,
            "files": i + 1,
            "pycache_bytes": size // 2,
            "tests_bytes": size // 4,
            "extensions_bytes": 0,
            "other_bytes": size // 4,
        }
        for i, size in enumerate(sizes)
    ]
    return pd.DataFrame(rows, columns=PACKAGE_COLUMNS)


@pytest.mark.parametrize(
    ("sizes", "top", "names", "others"),
    [
        pytest.param(
            [40, 400, 4, 4000, 8],
            2,
            ["d3", "d1", "(3 others)"],
            {"bytes": 52, "files": 9, "pycache_bytes": 26},
            id="rest-summed",
        ),
        pytest.param([40, 400, 4], 3, ["d1", "d0", "d2"], None, id="exactly-top"),
        pytest.param([40, 400], 15, ["d1", "d0"], None, id="fewer-than-top"),
        pytest.param([40, 400, 4], 0, ["(3 others)"], {"bytes": 444, "files": 6, "pycache_bytes": 222}, id="top-zero"),
    ],
)
def test_top_packages(sizes: list[int], top: int, names: list[str], others: dict | None) -> None:
    table = top_packages(_sized(*sizes), top)
    assert list(table["distribution"]) == names
    if others is None:
        return
    last = table.iloc[-1]
    assert (last["location"], last["version"]) == ("", "")
    for column, value in others.items():
        assert last[column] == value


def test_the_package_table_tells_apart_a_distribution_in_two_site_directories() -> None:
    packages = _sized(400, 40)
    packages["distribution"] = "pip"  # in the system Python and in a venv, as python:* images with a venv have
    packages["location"] = ["opt/venv/lib/python3.11/site-packages", "usr/local/lib/python3.11/dist-packages"]
    html = package_table(packages).to_html()
    assert "pip (opt/venv/lib/python3.11/site-packages)" in html
    assert "pip (usr/local/lib/python3.11/dist-packages)" in html
