"""Per-distribution bytes: where in the installed Python packages the bytes are.

Each visible file under a ``site-packages`` or ``dist-packages`` directory belongs to
the distribution whose ``*.dist-info/RECORD`` lists it, or else to the distribution that
owns its top-level name there (so ``__pycache__`` written after install still counts
for its package). Files no distribution claims are ``(unclaimed)``. Each file falls in
one part, first match wins: ``pycache`` (a ``__pycache__`` directory or a ``.pyc``),
``tests`` (under a ``tests`` or ``test`` directory), ``extensions`` (compiled ``.so``
files, vendored shared libraries included) and ``other``.
"""

from __future__ import annotations

import csv
import io
import posixpath
import re
from collections.abc import Mapping
from dataclasses import dataclass

import pandas as pd

UNCLAIMED = "(unclaimed)"
PARTS = ("pycache", "tests", "extensions", "other")
PACKAGE_COLUMNS = ["location", "distribution", "version", "bytes", "files"] + [f"{p}_bytes" for p in PARTS]
_SITE = re.compile(r"^(.*?/(?:site|dist)-packages)/(.+)$")
_DIST_INFO = re.compile(r"^(?P<name>.+?)-(?P<version>[^-]+)\.(?:dist-info|egg-info)$")


def part_of(relative: str) -> str:
    """Which part a file (path relative to its site directory) belongs to."""
    components = relative.split("/")
    name = components[-1]
    if "__pycache__" in components or name.endswith(".pyc"):
        return "pycache"
    if "tests" in components[:-1] or "test" in components[:-1]:
        return "tests"
    if name.endswith((".so", ".pyd")) or ".so." in name:
        return "extensions"
    return "other"


@dataclass(frozen=True)
class SiteFile:
    """A visible file under a site directory, and the distribution it belongs to."""

    path: str
    site: str
    relative: str
    distribution: str
    """its owner's name, or UNCLAIMED"""
    size: int


def site_files(
    files: Mapping[str, tuple[int, int]], records: Mapping[str, str]
) -> tuple[list[SiteFile], dict[tuple[str, str], str]]:
    """Every visible file under a site directory with its owner; and (site, distribution) -> version.

    ``files`` maps each visible path to (layer, bytes); ``records`` maps RECORD paths to their text.
    """
    owners, top_owners, versions = _owners(files, records)
    found = []
    for path, (_, size) in files.items():
        match = _SITE.match(path) if "-packages/" in path else None  # the regex alone is slow on every path
        if not match:
            continue
        site, relative = match.groups()
        top = _top_name(relative)
        owner = owners.get(path) or top_owners.get((site, top)) or top_owners.get((site, _module_of(top)))
        found.append(SiteFile(path, site, relative, owner or UNCLAIMED, size))
    return found, versions


def package_frame(files: Mapping[str, tuple[int, int]], records: Mapping[str, str]) -> pd.DataFrame:
    """One row per distribution (and per site directory's unclaimed files), largest first.

    ``files`` maps each visible path to (layer, bytes); ``records`` maps RECORD paths to their text.
    """
    found, versions = site_files(files, records)
    totals: dict[tuple[str, str], dict[str, int]] = {}
    for file in found:
        key = (file.site, file.distribution)
        row = totals.setdefault(key, {"bytes": 0, "files": 0, **{f"{p}_bytes": 0 for p in PARTS}})
        row["bytes"] += file.size
        row["files"] += 1
        row[f"{part_of(file.relative)}_bytes"] += file.size
    rows = [
        {"location": site, "distribution": name, "version": versions.get((site, name), ""), **figures}
        for (site, name), figures in totals.items()
    ]
    frame = pd.DataFrame(rows, columns=PACKAGE_COLUMNS)
    return frame.sort_values("bytes", ascending=False, ignore_index=True)


def _top_name(relative: str) -> str:
    """The top-level entry a file is for: ``__pycache__/six.cpython-311.pyc`` is for ``six``."""
    components = relative.split("/")
    if components[0] == "__pycache__" and len(components) == 2:
        return components[1].split(".", 1)[0]
    return components[0]


def _module_of(top: str) -> str:
    """``numpy.libs`` -> ``numpy``, ``six.py`` -> ``six``: the name a top-level entry is for."""
    return top.split(".", 1)[0]


def _owners(
    files: Mapping[str, tuple[int, int]], records: Mapping[str, str]
) -> tuple[dict[str, str], dict[tuple[str, str], str], dict[tuple[str, str], str]]:
    owners: dict[str, str] = {}
    top_owners: dict[tuple[str, str], str] = {}
    versions: dict[tuple[str, str], str] = {}
    for record_path, text in records.items():
        if record_path not in files:
            continue  # a later layer removed or replaced this distribution
        info_dir = posixpath.dirname(record_path)
        site = posixpath.dirname(info_dir)
        match = _DIST_INFO.match(posixpath.basename(info_dir))
        if not match:
            continue
        name = match.group("name")
        versions[(site, name)] = match.group("version")
        top_owners.setdefault((site, posixpath.basename(info_dir)), name)
        for line in csv.reader(io.StringIO(text)):
            if not line or not line[0]:
                continue
            path = posixpath.normpath(posixpath.join(site, line[0]))
            if not path.startswith(site + "/"):
                continue  # scripts in bin/: outside the site directory
            owners[path] = name
            top = path[len(site) + 1 :].split("/", 1)[0]
            top_owners.setdefault((site, top), name)
            top_owners.setdefault((site, _module_of(top)), name)
    return owners, top_owners, versions


def package_summary(table: pd.DataFrame) -> dict[str, int]:
    """Totals over every site directory: the results row's package columns."""
    return {
        "site_packages_bytes": int(table["bytes"].sum()),
        **{f"{part}_bytes": int(table[f"{part}_bytes"].sum()) for part in ("pycache", "tests", "extensions")},
    }


def top_packages(table: pd.DataFrame, top: int = 15) -> pd.DataFrame:
    """The ``top`` largest distributions, the rest summed into one ``(N others)`` row."""
    ordered = table.sort_values("bytes", ascending=False, ignore_index=True)
    head, rest = ordered.head(top), ordered.iloc[top:]
    if rest.empty:
        return head
    others = {c: rest[c].sum() for c in ["bytes", "files"] + [f"{p}_bytes" for p in PARTS]}
    others.update(location="", distribution=f"({len(rest)} others)", version="")
    return pd.concat([head, pd.DataFrame([others])], ignore_index=True)
