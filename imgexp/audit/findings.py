"""Findings: what in an image could go, the bytes each accounts for, and the Dockerfile change that removes it.

Every visible file belongs to at most one finding, the first kind in KINDS that claims it,
so findings never count a byte twice and their total can be set against the image size.
``wasted`` counts the bytes later layers hide (imgexp.measure.waste), which no visible file
holds. Bytes are the files' own bytes, as the image's size counts them.
"""

from __future__ import annotations

import posixpath
import re
from collections import defaultdict
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import pandas as pd

from ..measure.packages import UNCLAIMED, SiteFile, part_of, site_files
from ..measure.waste import FinalFilesystem
from ..units import human_size
from .packagedb import DPKG_INFO, SystemPackage, toolchain


@dataclass(frozen=True)
class Kind:
    title: str
    fix: str


#: every kind of finding, in the order they claim files: its title and the change that removes it
KINDS: dict[str, Kind] = {
    "pip-cache": Kind(
        "pip's cache left in a layer",
        "pass --no-cache-dir to every pip call (pip install --upgrade pip too), or set PIP_NO_CACHE_DIR=1",
    ),
    "uv-cache": Kind("uv's cache left in a layer", "pass --no-cache to uv, or set UV_NO_CACHE=1"),
    "apt-cache": Kind(
        "apt's package cache (.deb files, pkgcache.bin)",
        "run `apt-get clean` (or rm -rf /var/cache/apt/*) in the same RUN as apt-get install",
    ),
    "apt-lists": Kind("apt's package lists", "run `rm -rf /var/lib/apt/lists/*` in the same RUN as apt-get update"),
    "compiler": Kind(
        "compilers, -dev packages and build tools, and what only they pulled in",
        "install them in a builder stage and copy only the venv into a fresh stage (multi-stage), "
        "or install wheels and leave gcc/build-essential/*-dev out",
    ),
    "pip": Kind(
        "pip, setuptools and wheel in the final environment",
        "make the venv with `python -m venv --without-pip` and install into it with an outside pip "
        "(`pip --python VENV/bin/python install ...`), as multi-stage-lean does",
    ),
    "pycache": Kind(
        "__pycache__ and .pyc files in site-packages",
        "delete __pycache__ in the builder stage (find VENV -name __pycache__ -exec rm -rf {} +) or install "
        "with pip --no-compile (Python then compiles on import), as multi-stage-nopycache does",
    ),
    "tests": Kind(
        "tests/ directories in site-packages",
        "delete tests/ and test/ directories of the venv in the builder stage, as multi-stage-nopycache does",
    ),
    "duplicate-distribution": Kind(
        "a distribution installed in more than one site directory (the smaller copies)",
        "install each distribution once: into the venv only, not also into the system site-packages",
    ),
    "interpreters": Kind(
        "more than one Python interpreter (the standard libraries of all but the largest)",
        "use one interpreter: make the venv with the base image's Python and install no second python",
    ),
    "headers": Kind(
        "C headers not owned by a toolchain package",
        "leave include/ out of the final stage: copy only the venv and the runtime into it",
    ),
    "docs": Kind(
        "docs, man pages, info pages and locales",
        "exclude them from dpkg (path-exclude=/usr/share/doc/*, man, info, locale in /etc/dpkg/dpkg.cfg.d/, "
        "as debian:*-slim does), or delete them in the RUN that installs them",
    ),
    "debug-symbols": Kind(
        "debug symbols and symbol tables in shared objects (the bytes `strip --strip-unneeded` removes)",
        "strip them in the builder stage, but not auditwheel's vendored libraries (*.libs/: patchelf rewrote them "
        "and stripped, they no longer load): find VENV -name '*.so*' -type f ! -path '*.libs/*' -exec strip "
        "--strip-unneeded {} + (binutils in the builder only), as minimal-stripped does",
    ),
    "wasted": Kind(
        "files a later layer overwrote or deleted (each hidden copy once)",
        "change or delete files in the RUN step that creates them: a later layer's delete does not shrink the image",
    ),
}
FINDING_COLUMNS = ["kind", "bytes", "files", "share_pct", "title", "detail", "fix"]
_CACHES = {
    "pip-cache": re.compile(r"(?:^|/)\.cache/pip/"),
    "uv-cache": re.compile(r"(?:^|/)\.cache/uv/"),
    "apt-cache": re.compile(r"^var/cache/apt/."),
    "apt-lists": re.compile(r"^var/lib/apt/lists/."),
}
_PIP_TOOLS = {"pip", "setuptools", "wheel"}
_STDLIB = re.compile(r"^(?P<prefix>.*?)/?lib/python(?P<version>\d+\.\d+)/os\.py$")
_HEADERS = re.compile(r"^(?:usr/|usr/local/)include/")
_DOCS = re.compile(r"^(?:usr/|usr/local/)share/(?P<what>doc|man|info|locale|help|gtk-doc)/")


@dataclass(frozen=True)
class Interpreter:
    prefix: str
    """the installation prefix, e.g. ``usr`` or ``usr/local`` (no leading slash)"""
    version: str

    @property
    def stdlib(self) -> str:
        return posixpath.join(self.prefix, "lib", f"python{self.version}") + "/"


def interpreters(files: Mapping[str, tuple[int, int]]) -> list[Interpreter]:
    """Each Python installation: a standard library (its os.py) under a prefix. A venv has none of its own."""
    found = []
    for path in files:
        match = _STDLIB.match(path)
        if match:
            found.append(Interpreter(match.group("prefix"), match.group("version")))
    return sorted(found, key=lambda i: (i.prefix, i.version))


def find(
    final: FinalFilesystem,
    records: Mapping[str, str],
    packages: Mapping[str, SystemPackage],
    image_bytes: int,
    strippable: Mapping[str, int] | None = None,
) -> pd.DataFrame:
    """The findings of an image, largest first (FINDING_COLUMNS); kinds with no bytes are left out.

    ``packages`` are its system packages (imgexp.audit.packagedb.installed); ``strippable``
    maps shared objects to the bytes strip removes from them (imgexp.audit.elf), counted as
    ``debug-symbols`` for the files no other finding claims whole.
    """
    files = final.files
    removable = toolchain(packages)
    owned = _toolchain_files(files, packages, removable)
    in_site, versions = site_files(files, records)
    by_path = {file.path: file for file in in_site}
    duplicates = _smaller_copies(in_site)
    extra = _extra_stdlibs(files)
    claims: list[tuple[str, Callable[[str], str | None]]] = [
        *((kind, lambda p, pattern=pattern: "" if pattern.search(p) else None) for kind, pattern in _CACHES.items()),
        ("compiler", owned.get),
        ("pip", lambda p: _pip_tool(by_path.get(p), versions)),
        ("pycache", lambda p: _part(by_path.get(p), "pycache")),
        ("tests", lambda p: _part(by_path.get(p), "tests")),
        ("duplicate-distribution", lambda p: duplicates.get(by_path[p].site) if p in by_path else None),
        ("interpreters", lambda p: next((i for i in extra if p.startswith(i)), None)),
        ("headers", lambda p: "" if _HEADERS.match(p) else None),
        ("docs", lambda p: match.group("what") if (match := _DOCS.match(p)) else None),
    ]
    totals: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    details: dict[str, defaultdict[str, int]] = defaultdict(lambda: defaultdict(int))
    for path, (_, size) in files.items():
        for kind, claim in claims:
            what = claim(path)
            if what is not None:
                totals[kind][0] += size
                totals[kind][1] += 1
                details[kind][what] += size
                break
        else:
            stripped = (strippable or {}).get(path, 0)
            if stripped:
                totals["debug-symbols"][0] += stripped
                totals["debug-symbols"][1] += 1
                details["debug-symbols"][_folder(path)] += stripped
    rows = [
        _row(kind, size, count, image_bytes, _detail(kind, details[kind], packages))
        for kind, (size, count) in totals.items()
        if size
    ]
    if final.wasted_bytes:
        hiding = sum(1 for wasted in final.wasted_by_layer if wasted)
        detail = f"in {hiding} layer(s); per layer in the layers table (wasted_bytes)"
        rows.append(_row("wasted", final.wasted_bytes, None, image_bytes, detail))
    frame = pd.DataFrame(rows, columns=FINDING_COLUMNS).astype({"bytes": "Int64", "files": "Int64"})
    return frame.sort_values("bytes", ascending=False, ignore_index=True)


def _row(kind: str, size: int, files: int | None, image_bytes: int, detail: str) -> dict[str, object]:
    share = round(100.0 * size / image_bytes, 2) if image_bytes else 0.0
    return {
        "kind": kind,
        "bytes": size,
        "files": files,
        "share_pct": share,
        "title": KINDS[kind].title,
        "detail": detail,
        "fix": KINDS[kind].fix,
    }


def _toolchain_files(
    files: Mapping[str, tuple[int, int]], packages: Mapping[str, SystemPackage], removable: set[str]
) -> dict[str, str]:
    """path -> the toolchain package that installed it, its own files in dpkg's info/ included."""
    owned = {path: name for name in sorted(removable) for path in packages[name].files}
    for path in files:
        if path.startswith(DPKG_INFO):
            name = path[len(DPKG_INFO) :].rsplit(".", 1)[0].split(":", 1)[0]
            if name in removable:
                owned[path] = name
    return owned


def _pip_tool(file: SiteFile | None, versions: Mapping[tuple[str, str], str]) -> str | None:
    if file is None or file.distribution.lower() not in _PIP_TOOLS:
        return None
    return f"{file.distribution} {versions.get((file.site, file.distribution), '')} in /{file.site}"


def _part(file: SiteFile | None, part: str) -> str | None:
    return f"/{file.site}" if file is not None and part_of(file.relative) == part else None


def _folder(path: str) -> str:
    """Where a shared object lies, for a finding's detail: its distribution's folder in site-packages, else its own."""
    head, marker, rest = path.partition("-packages/")
    return f"/{head}{marker}{rest.split('/')[0]}" if marker else "/" + posixpath.dirname(path)


def _smaller_copies(in_site: list[SiteFile]) -> dict[str, str]:
    """site directory -> the distributions whose copy there is not the largest one (as ``name``)."""
    sizes: defaultdict[str, defaultdict[str, int]] = defaultdict(lambda: defaultdict(int))
    for file in in_site:
        if file.distribution != UNCLAIMED:
            sizes[file.distribution][file.site] += file.size
    smaller: dict[str, str] = {}
    for name, sites in sizes.items():
        if len(sites) > 1:
            largest = max(sorted(sites), key=lambda site: sites[site])
            for site in sites:
                if site != largest:
                    smaller[site] = f"{name} also in /{largest}"
    return smaller


def _extra_stdlibs(files: Mapping[str, tuple[int, int]]) -> list[str]:
    """The standard-library folders of every interpreter but the largest."""
    found = [i.stdlib for i in interpreters(files)]
    if len(found) < 2:
        return []
    sizes = {stdlib: sum(size for path, (_, size) in files.items() if path.startswith(stdlib)) for stdlib in found}
    largest = max(found, key=lambda stdlib: sizes[stdlib])
    return [stdlib for stdlib in found if stdlib != largest]


def _detail(
    kind: str,
    parts: Mapping[str, int],
    packages: Mapping[str, SystemPackage],
) -> str:
    """What a finding is made of, largest first: packages, folders or distributions with their bytes."""
    ordered = sorted(parts.items(), key=lambda item: -item[1])
    if kind == "compiler":
        shown = [f"{name} {packages[name].version} ({human_size(size)})" for name, size in ordered[:12]]
        more = f", and {len(ordered) - 12} more" if len(ordered) > 12 else ""
        return f"{len(ordered)} packages: " + ", ".join(shown) + more
    if kind in _CACHES:
        return {
            "pip-cache": "pip's cache folder (~/.cache/pip)",
            "uv-cache": "uv's cache folder (~/.cache/uv)",
            "apt-cache": "/var/cache/apt",
            "apt-lists": "/var/lib/apt/lists",
        }[kind]
    if kind == "headers":
        return "/usr/include, /usr/local/include"
    if kind == "docs":
        return ", ".join(f"/usr/share/{what} {human_size(size)}" for what, size in ordered)
    if kind == "interpreters":
        return ", ".join(f"/{stdlib} {human_size(size)}" for stdlib, size in ordered)
    return ", ".join(f"{what} {human_size(size)}" for what, size in ordered[:12])
