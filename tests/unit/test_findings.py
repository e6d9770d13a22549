"""Findings on a final filesystem made here: which kind claims each file, once, and the bytes each accounts for."""

from __future__ import annotations

import pandas as pd
import pytest

from imgexp.audit.findings import FINDING_COLUMNS, KINDS, Provenance, find, interpreters
from imgexp.audit.origin import NO_BASE, Base
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
    "usr/share/gcc/python/printers.py": (2003, "compiler"),
    "usr/share/gcc/python/__pycache__/printers.cpython-311.pyc": (2004, "compiler"),  # compiled as it installed
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
    f"{SITE}/dateutil/tests/__pycache__/test_x.cpython-311.pyc": (5002, "tests"),  # deleting tests/ deletes it
    f"{SITE}/dateutil/parser.py": (5001, None),
    f"{SITE}/python_dateutil-2.9.dist-info/RECORD": (40, None),
    f"{SYSTEM}/six.py": (100, "duplicate-distribution"),
    f"{SYSTEM}/six-1.16.dist-info/RECORD": (20, "duplicate-distribution"),
    "usr/local/lib/python3.11/os.py": (6000, None),  # /usr/local's standard library stays, though smaller
    "usr/local/lib/python3.11/json/__init__.py": (6001, None),
    "usr/local/lib/python3.11/__pycache__/os.cpython-311.pyc": (6002, "pycache"),  # written by a step running Python
    "usr/lib/python3.11/os.py": (19000, "interpreters"),
    "usr/lib/python3.11/__pycache__/os.cpython-311.pyc": (19001, "interpreters"),  # the extra one's, whole
    "usr/lib/python3.11/lib-dynload/_json.cpython-311-x86_64-linux-gnu.so": (19002, "interpreters"),
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
    "var/lib/dpkg/info/gcc-12.list": "/usr/bin/gcc-12\n/usr/share/doc/gcc-12/copyright\n/usr/bin\n"
    "/usr/share/gcc/python/printers.py\n",
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


def test_the_interpreter_installed_first_stays_though_a_later_one_is_larger() -> None:
    """The base's CPython under /usr/local (layer 0) stays; Debian's, which a step added (layer 1), is the extra one."""
    files = {
        "usr/local/lib/python3.11/os.py": (0, 100),
        "usr/lib/python3.11/os.py": (1, 100),
        "usr/lib/python3.11/big.py": (1, 9000),
    }
    final = FinalFilesystem(files=files, wasted_by_layer=[0, 0], layer_file_bytes=9200)
    found = find(final, {}, {}, 9200)
    assert found[["kind", "bytes", "detail"]].values.tolist() == [["interpreters", 9100, "/usr/lib/python3.11/ 9.1kB"]]


#: a base (layer 0) with its own pip and gcc, a step (layer 1) that adds gcc's sibling and a venv whose app needs pip
BASE_SITE = "usr/local/lib/python3.11/site-packages"
LAYERED: dict[str, tuple[int, int]] = {
    "usr/bin/gcc-12": (0, 5000),
    "usr/bin/cpp-12": (1, 3000),
    f"{BASE_SITE}/pip/__init__.py": (0, 700),
    f"{BASE_SITE}/pip-24.0.dist-info/RECORD": (0, 10),
    f"{BASE_SITE}/pip/__pycache__/__init__.cpython-311.pyc": (1, 90),  # written by running the base's pip
    f"{BASE_SITE}/six.py": (0, 400),
    f"{BASE_SITE}/six-1.16.dist-info/RECORD": (0, 10),
    "opt/venv/pyvenv.cfg": (2, 1),
    f"{SITE}/pip/__init__.py": (2, 600),
    f"{SITE}/pip-24.0.dist-info/RECORD": (2, 10),
    f"{SITE}/setuptools/__init__.py": (2, 800),
    f"{SITE}/setuptools-70.0.dist-info/RECORD": (2, 10),
    f"{SITE}/app.py": (2, 50),
    f"{SITE}/app-1.0.dist-info/RECORD": (2, 10),
    f"{SITE}/six.py": (2, 420),
    f"{SITE}/six-1.16.dist-info/RECORD": (2, 10),
}
LAYERED_STATUS = (
    "Package: gcc-12\nStatus: install ok installed\nVersion: 12.2\n\n"
    "Package: cpp-12\nStatus: install ok installed\nVersion: 12.2\n"
)
LAYERED_DB = {
    DPKG_STATUS: LAYERED_STATUS,
    "var/lib/dpkg/info/gcc-12.list": "/usr/bin/gcc-12\n",
    "var/lib/dpkg/info/cpp-12.list": "/usr/bin/cpp-12\n",
}
LAYERED_RECORDS = {
    f"{BASE_SITE}/pip-24.0.dist-info/RECORD": "pip/__init__.py,,\n",
    f"{BASE_SITE}/six-1.16.dist-info/RECORD": "six.py,,\n",
    f"{SITE}/pip-24.0.dist-info/RECORD": "pip/__init__.py,,\n",
    f"{SITE}/setuptools-70.0.dist-info/RECORD": "setuptools/__init__.py,,\n",
    f"{SITE}/app-1.0.dist-info/RECORD": "app.py,,\n",
    f"{SITE}/six-1.16.dist-info/RECORD": "six.py,,\n",
}
INSTRUCTIONS = ("ADD rootfs.tar /", "RUN apt-get install -y cpp-12", "RUN python -m venv /opt/venv && pip install app")


FULL_BASE = Base("python:3.11", "sha256:b", 1, "given (--base)", "python:3.11-slim")


def _layered(base: Base = FULL_BASE) -> pd.DataFrame:
    files = {path: (layer, size) for path, (layer, size) in LAYERED.items()} | {
        path: (int("cpp" in path), len(text)) for path, text in LAYERED_DB.items()
    }
    final = FinalFilesystem(files=files, wasted_by_layer=[50, 0, 0], layer_file_bytes=10**4)
    provenance = Provenance(
        base=base,
        instructions=INSTRUCTIONS,
        required={(SITE, "pip"): ["app 1.0"]},
        environment={SITE: 0, BASE_SITE: 1},
    )
    return find(final, LAYERED_RECORDS, installed(LAYERED_DB, files), 10**5, None, provenance)


def test_each_finding_is_split_into_the_bases_part_and_the_part_the_build_added() -> None:
    rows = _layered().set_index(["kind", "origin"])
    assert int(rows.loc[("compiler", "added"), "bytes"]) == 3000 + len("/usr/bin/cpp-12\n")
    assert int(rows.loc[("compiler", "base"), "bytes"]) == 5000 + len("/usr/bin/gcc-12\n")
    assert rows.loc[("compiler", "added"), "fix"] == KINDS["compiler"].fix
    base_fix = rows.loc[("compiler", "base"), "fix"]
    assert "python:3.11" in base_fix and "the smaller base python:3.11-slim leaves it out" in base_fix
    assert "smaller base" not in rows.loc[("pip", "base"), "fix"]  # a slim base has pip as well
    assert rows.loc[("compiler", "added"), "instruction"].startswith("RUN apt-get install -y cpp-12 [layer 1, ")
    assert rows.loc[("wasted", "base"), "bytes"] == 50


def test_a_required_distribution_is_counted_apart_and_says_what_requires_it() -> None:
    pip = _layered().set_index(["kind", "origin"]).loc[("pip", "added")]
    assert int(pip.bytes) == 810  # the venv's setuptools: nothing requires it
    assert int(pip.required_bytes) == 610  # the venv's pip: app requires it
    assert pip.required_by == f"pip 24.0 in /{SITE}: required by app 1.0"
    assert "pip 24.0" not in pip.detail


def test_the_bases_pip_written_to_by_a_step_is_pycache_not_the_steps_pip() -> None:
    rows = _layered().set_index(["kind", "origin"])
    assert int(rows.loc[("pip", "base"), "bytes"]) == 710
    assert int(rows.loc[("pycache", "added"), "bytes"]) == 90


def test_a_duplicate_counts_one_copy_and_keeps_the_bases() -> None:
    duplicate = _layered().set_index(["kind", "origin"]).loc[("duplicate-distribution", "added")]
    assert int(duplicate.bytes) == 430  # the venv's six, not the base's, and nothing else of the venv
    assert duplicate.detail.startswith(f"six in /{SITE} (kept: /{BASE_SITE})")


def test_a_distribution_in_two_venvs_is_each_ones_own() -> None:
    other = "opt/poetry/lib/python3.11/site-packages"
    files = {path: (layer, size) for path, (layer, size) in LAYERED.items()} | {
        "opt/poetry/pyvenv.cfg": (2, 1),
        f"{other}/six.py": (2, 900),
        f"{other}/six-1.16.dist-info/RECORD": (2, 10),
    }
    records = LAYERED_RECORDS | {f"{other}/six-1.16.dist-info/RECORD": "six.py,,\n"}
    final = FinalFilesystem(files=files, wasted_by_layer=[0, 0, 0], layer_file_bytes=10**4)
    provenance = Provenance(base=NO_BASE, environment={SITE: 0, BASE_SITE: 1, other: 2})
    duplicate = find(final, records, {}, 10**5, None, provenance).set_index("kind").loc["duplicate-distribution"]
    assert int(duplicate.bytes) == 410  # the system's six (kept: the larger venv's); the other venv's is its own
    assert duplicate.detail.startswith(f"six in /{BASE_SITE} (kept: /{other})")


def test_without_a_base_everything_is_added() -> None:
    findings = _layered(NO_BASE)
    assert set(findings["origin"]) == {"added"}


#: a base (layer 0) with its own CPython under /usr/local, and a step (layer 1) that installs Debian's python3,
#: larger, with what only it pulled in (media-types) and what another asked-for package needs too (libexpat1)
SECOND_PYTHON_STATUS = "\n".join(
    f"Package: {name}\nStatus: install ok installed\nVersion: 1\n{depends}"
    for name, depends in [
        ("python3", "Depends: python3.11\n"),
        ("python3.11", "Depends: libpython3.11-stdlib, media-types\n"),
        ("libpython3.11-stdlib", "Depends: libexpat1\n"),
        ("media-types", ""),
        ("libexpat1", ""),
        ("less", "Depends: libexpat1\n"),
    ]
)
SECOND_PYTHON: dict[str, tuple[int, int, str | None]] = {
    "usr/local/lib/python3.11/os.py": (0, 500, None),  # the base's interpreter stays, though smaller
    "usr/local/lib/python3.11/__pycache__/os.cpython-311.pyc": (1, 40, "pycache"),
    "usr/lib/python3.11/os.py": (1, 900, "interpreters"),
    "usr/lib/python3.11/__pycache__/os.cpython-311.pyc": (1, 300, "interpreters"),  # py3compile's, not dpkg's
    "usr/bin/python3.11": (1, 6000, "interpreters"),
    "usr/share/doc/python3.11/copyright": (1, 20, "interpreters"),
    "etc/mime.types": (1, 70, "interpreters"),
    "usr/lib/x86_64-linux-gnu/libexpat.so.1": (1, 200, None),  # less needs it too
    "usr/bin/less": (1, 100, None),
}
SECOND_PYTHON_DB = {
    DPKG_STATUS: SECOND_PYTHON_STATUS,
    "var/lib/apt/extended_states": "".join(
        f"Package: {name}\nArchitecture: amd64\nAuto-Installed: 1\n\n"
        for name in ("python3.11", "libpython3.11-stdlib", "media-types", "libexpat1")
    ),
    "var/lib/dpkg/info/python3.11.list": "/usr/bin/python3.11\n/usr/share/doc/python3.11/copyright\n",
    "var/lib/dpkg/info/libpython3.11-stdlib:amd64.list": "/usr/lib/python3.11\n/usr/lib/python3.11/os.py\n",
    "var/lib/dpkg/info/media-types.list": "/etc/mime.types\n",
    "var/lib/dpkg/info/libexpat1:amd64.list": "/usr/lib/x86_64-linux-gnu/libexpat.so.1\n",
    "var/lib/dpkg/info/less.list": "/usr/bin/less\n",
}


def test_a_second_interpreter_goes_with_its_packages_and_the_bases_stays() -> None:
    files = {path: (layer, size) for path, (layer, size, _) in SECOND_PYTHON.items()} | {
        path: (1, len(text)) for path, text in SECOND_PYTHON_DB.items()
    }
    final = FinalFilesystem(files=files, wasted_by_layer=[0, 0], layer_file_bytes=10**4)
    provenance = Provenance(base=FULL_BASE, instructions=INSTRUCTIONS[:2])
    findings = find(final, {}, installed(SECOND_PYTHON_DB, files), 10**5, None, provenance)
    found = findings.set_index(["kind", "origin"])
    own_lists = sum(len(SECOND_PYTHON_DB[f"var/lib/dpkg/info/{name}.list"]) for name in
                    ("python3.11", "libpython3.11-stdlib:amd64", "media-types"))  # fmt: skip
    for kind in ("interpreters", "pycache"):
        claimed = sum(size for _, size, of in SECOND_PYTHON.values() if of == kind)
        assert int(found.loc[(kind, "added"), "bytes"]) == claimed + (own_lists if kind == "interpreters" else 0)
    detail = found.loc[("interpreters", "added"), "detail"]
    assert detail.startswith("python3.11 ") and "/usr/lib/python3.11/ " in detail and "libexpat1" not in detail
