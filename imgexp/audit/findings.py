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
from dataclasses import dataclass, field

import pandas as pd
from packaging.utils import canonicalize_name

from ..measure.packages import UNCLAIMED, SiteFile, part_of, site_files
from ..measure.waste import FinalFilesystem
from ..units import human_size
from .origin import NO_BASE, SLIM_DROPS, Base
from .packagedb import DPKG_INFO, SystemPackage, dependents, removed_with, toolchain
from .requires import distributions, environment_of, required_by


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
        "(`pip --python VENV/bin/python install ...`), as multi-stage-lean does; a pip the build upgraded in the "
        "system's site-packages: leave the base's as it is (`pip install --upgrade pip` only in a builder stage)",
    ),
    "duplicate-distribution": Kind(
        "a distribution installed in more than one site directory (each copy but one)",
        "install each distribution once: into the venv only, not also into the system site-packages (or the user site)",
    ),
    "tests": Kind(
        "tests/ directories in site-packages (their __pycache__ too)",
        "delete tests/ and test/ directories of the venv in the builder stage, as multi-stage-nopycache does",
    ),
    "pycache": Kind(
        "__pycache__ and .pyc files in site-packages (outside tests/) and in the standard library",
        "delete __pycache__ in the builder stage (find VENV -name __pycache__ -exec rm -rf {} +) or install "
        "with pip --no-compile (Python then compiles on import), as multi-stage-nopycache does; the standard "
        "library's are written by each step that runs Python (pip too): set ENV PYTHONDONTWRITEBYTECODE=1 "
        "before those steps, or delete them in the same RUN",
    ),
    "interpreters": Kind(
        "more than one Python interpreter (all but one, /usr/local's, else the first installed: its standard "
        "library, and its system packages with what depends on them and what only they pulled in)",
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
        "--strip-unneeded {} + (binutils in the builder only), as minimal-stripped does; strip only what the "
        "build added: a file of the base that a step strips is copied whole into that step's layer",
    ),
    "wasted": Kind(
        "files a later layer overwrote or deleted (each hidden copy once)",
        "change or delete files in the RUN step that creates them: a later layer's delete does not shrink the image",
    ),
}
#: the columns of a findings table: one row per kind and origin (the base's bytes, or what the build added)
FINDING_COLUMNS = [
    "kind",
    "origin",
    "bytes",
    "files",
    "share_pct",
    "title",
    "detail",
    "fix",
    "instruction",
    "required_by",
    "required_bytes",
]
BASE, ADDED = "base", "added"
_CACHES = {
    "pip-cache": re.compile(r"(?:^|/)\.cache/pip/"),
    "uv-cache": re.compile(r"(?:^|/)\.cache/uv/"),
    "apt-cache": re.compile(r"^var/cache/apt/."),
    "apt-lists": re.compile(r"^var/lib/apt/lists/."),
}
_PIP_TOOLS = {"pip", "setuptools", "wheel"}
#: where the official images (and a source build's defaults) install Python
LOCAL_PREFIX = "usr/local"
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
        match = _STDLIB.match(path) if path.endswith("/os.py") else None  # the regex alone is slow on every path
        if match:
            found.append(Interpreter(match.group("prefix"), match.group("version")))
    return sorted(found, key=lambda i: (i.prefix, i.version))


@dataclass(frozen=True)
class Provenance:
    """What findings know of an image beyond its files: its base, what made each layer, what is required."""

    base: Base = NO_BASE
    instructions: tuple[str, ...] = ()
    """each layer's instruction (its history's created_by), bottom first"""
    required: Mapping[tuple[str, str], list[str]] = field(default_factory=dict)
    """(site, canonical distribution name) -> what requires it in its environment (imgexp.audit.requires)"""
    environment: Mapping[str, int] = field(default_factory=dict)
    """site directory -> its environment (venv or system Python), for a copy's requirement met by another"""


def provenance_of(
    base: Base,
    layers: pd.DataFrame,
    metadata: Mapping[str, str],
    files: Mapping[str, tuple[int, int]],
    architecture: str,
) -> Provenance:
    """An image's provenance: its base, its layers' instructions (the layers table's ``created_by``) and
    what its installed distributions (their METADATA) require."""
    found = distributions(metadata, files)
    return Provenance(
        base=base,
        instructions=tuple(str(text) for text in layers["created_by"]),
        required=required_by(found, files, architecture or "amd64"),
        environment=environment_of(found, files),
    )


@dataclass(frozen=True)
class Held:
    """A kind would claim a file, but an installed distribution requires it: not offered for removal."""

    what: str


@dataclass
class _Tally:
    """One finding (a kind, of one origin) as files are claimed."""

    bytes: int = 0
    files: int = 0
    parts: defaultdict[str, int] = field(default_factory=lambda: defaultdict(int))
    layers: defaultdict[int, int] = field(default_factory=lambda: defaultdict(int))
    held: defaultdict[str, int] = field(default_factory=lambda: defaultdict(int))

    def add(self, what: str, layer: int, size: int, files: int = 1) -> None:
        self.bytes += size
        self.files += files
        self.parts[what] += size
        self.layers[layer] += size


Claim = Callable[[str], "str | Held | None"]


def find(
    final: FinalFilesystem,
    records: Mapping[str, str],
    packages: Mapping[str, SystemPackage],
    image_bytes: int,
    strippable: Mapping[str, int] | None = None,
    provenance: Provenance | None = None,
) -> pd.DataFrame:
    """The findings of an image, largest first (FINDING_COLUMNS); kinds with no bytes are left out.

    ``packages`` are its system packages (imgexp.audit.packagedb.installed); ``strippable``
    maps shared objects to the bytes strip removes from them (imgexp.audit.elf), counted as
    ``debug-symbols`` for the files no other finding claims whole. ``provenance`` splits
    each kind into what the base brought and what the build added, names the instruction
    that brought its bytes, and keeps what an installed distribution requires out of it.
    """
    known = provenance or Provenance()
    files = final.files
    removable = toolchain(packages)
    owned = _package_files(files, packages, removable)
    in_site, versions = site_files(files, records)
    by_path = {file.path: file for file in in_site}
    first = _first_layers(in_site, files)
    copy_origin = {key: BASE if layer < known.base.layers else ADDED for key, layer in first.items()}
    duplicates = _other_copies(in_site, files, first, known)
    copies = _sites_by_environment(in_site, known)
    found = interpreters(files)
    extra = _extra_stdlibs(files, found)
    second = _package_files(files, packages, _interpreter_packages(packages, extra))
    stdlibs = tuple(i.stdlib for i in found)

    def required(file: SiteFile, what: str) -> str | Held:
        requirers = known.required.get((file.site, canonicalize_name(file.distribution)))
        return Held(f"{what}: required by {', '.join(requirers)}") if requirers else what

    def pip_tool(path: str) -> str | Held | None:
        file = by_path.get(path)
        if file is None or file.distribution.lower() not in _PIP_TOOLS:
            return None
        if copy_origin.get((file.site, file.distribution)) == BASE and files[path][0] >= known.base.layers:
            return None  # the base's pip, written to by a step (its __pycache__): not the step's pip
        return required(file, f"{file.distribution} {versions.get((file.site, file.distribution), '')} in /{file.site}")

    def duplicate(path: str) -> str | Held | None:
        file = by_path.get(path)
        copy = duplicates.get((file.site, file.distribution)) if file else None
        if file is None or copy is None:
            return None
        environment = known.environment.get(file.site, -1)
        met_elsewhere = len(copies.get((environment, file.distribution), ())) > 1
        return copy if met_elsewhere else required(file, copy)

    claims: list[tuple[str, Claim]] = [
        *((kind, lambda p, pattern=pattern: "" if pattern.search(p) else None) for kind, pattern in _CACHES.items()),
        ("compiler", owned.get),
        ("pip", pip_tool),
        ("duplicate-distribution", duplicate),
        ("tests", lambda p: _in_tests(by_path.get(p))),
        ("pycache", lambda p: _part(by_path.get(p), "pycache")),
        ("interpreters", lambda p: next((f"/{i}" for i in extra if p.startswith(i)), None) or second.get(p)),
        ("pycache", lambda p: _stdlib_bytecode(p, stdlibs)),
        ("headers", lambda p: "" if _HEADERS.match(p) else None),
        ("docs", lambda p: match.group("what") if (match := _DOCS.match(p)) else None),
    ]
    tallies: defaultdict[tuple[str, str], _Tally] = defaultdict(_Tally)
    for path, (layer, size) in files.items():
        origin = BASE if layer < known.base.layers else ADDED
        held: tuple[str, Held] | None = None
        for kind, claim in claims:
            what = claim(path)
            if isinstance(what, Held):
                held = held or (kind, what)
            elif what is not None:
                tallies[(kind, origin)].add(what, layer, size)
                break
        else:
            if held:
                tallies[(held[0], origin)].held[held[1].what] += size
            stripped = (strippable or {}).get(path, 0)
            if stripped:
                tallies[("debug-symbols", origin)].add(_folder(path), layer, stripped)
    for layer, wasted in enumerate(final.wasted_by_layer):
        if wasted:
            tallies[("wasted", BASE if layer < known.base.layers else ADDED)].add("", layer, wasted, files=0)
    rows = [
        _row(kind, origin, tally, image_bytes, packages, known)
        for (kind, origin), tally in tallies.items()
        if tally.bytes or tally.held
    ]
    frame = pd.DataFrame(rows, columns=FINDING_COLUMNS).astype(
        {"bytes": "Int64", "files": "Int64", "required_bytes": "Int64"}
    )
    return frame.sort_values(["bytes", "kind", "origin"], ascending=[False, True, True], ignore_index=True)


def _row(
    kind: str,
    origin: str,
    tally: _Tally,
    image_bytes: int,
    packages: Mapping[str, SystemPackage],
    known: Provenance,
) -> dict[str, object]:
    share = round(100.0 * tally.bytes / image_bytes, 2) if image_bytes else 0.0
    if kind == "wasted":
        detail = f"in {len(tally.layers)} layer(s); per layer in the layers table (wasted_bytes)"
    else:
        detail = _detail(kind, tally.parts, packages)
    return {
        "kind": kind,
        "origin": origin,
        "bytes": tally.bytes,
        "files": None if kind == "wasted" else tally.files,
        "share_pct": share,
        "title": KINDS[kind].title,
        "detail": detail,
        "fix": KINDS[kind].fix if origin == ADDED else _base_fix(kind, known.base),
        "instruction": _instructions(tally.layers, known.instructions),
        "required_by": "; ".join(sorted(tally.held)),
        "required_bytes": sum(tally.held.values()),
    }


def _base_fix(kind: str, base: Base) -> str:
    """What a finding's base part says: where it comes from, and the smaller base that leaves it out."""
    if kind == "wasted":
        return (
            f"files of the base {base.image} that a step rewrote or deleted (dpkg's status, caches): the base's "
            "copies stay in its layer; change them in a builder stage, or start from a base that has what you need"
        )
    said = f"comes with the base {base.image} (found: {base.how}): no step of this Dockerfile can remove it"
    if kind in SLIM_DROPS and base.smaller:
        return f"{said}; the smaller base {base.smaller} leaves it out"
    return said


def _instructions(layers: Mapping[int, int], instructions: tuple[str, ...], shown: int = 3) -> str:
    """The instructions that made the layers holding a finding's bytes, most bytes first."""
    ordered = sorted(layers.items(), key=lambda item: (-item[1], item[0]))
    named = [
        f"{_shorten(instructions[layer]) if layer < len(instructions) and instructions[layer] else '(no history)'}"
        f" [layer {layer}, {human_size(size)}]"
        for layer, size in ordered[:shown]
    ]
    more = f"; and {len(ordered) - shown} more layer(s)" if len(ordered) > shown else ""
    return "; ".join(named) + more


def _shorten(instruction: str, width: int = 160) -> str:
    text = " ".join(instruction.split())
    return text if len(text) <= width else text[: width - 3] + "..."


def _package_files(
    files: Mapping[str, tuple[int, int]], packages: Mapping[str, SystemPackage], removable: set[str]
) -> dict[str, str]:
    """path -> the package of ``removable`` that installed it, its own files in dpkg's info/ included, and the
    bytecode compiled from its modules (Debian compiles them as it installs; removing the package removes it)."""
    owned = {path: name for name in sorted(removable) for path in packages[name].files}
    for path in files:
        if path.startswith(DPKG_INFO):
            name = path[len(DPKG_INFO) :].rsplit(".", 1)[0].split(":", 1)[0]
            if name in removable:
                owned[path] = name
        elif "/__pycache__/" in path and path not in owned:
            source = owned.get(_bytecode_source(path))
            if source is not None:
                owned[path] = source
    return owned


def _bytecode_source(path: str) -> str:
    """The module a ``__pycache__/NAME.TAG.pyc`` file was compiled from: ``NAME.py`` beside the folder."""
    folder, name = posixpath.split(path)
    return posixpath.join(posixpath.dirname(folder), name.split(".", 1)[0] + ".py")


def _part(file: SiteFile | None, part: str) -> str | None:
    return f"/{file.site}" if file is not None and part_of(file.relative) == part else None


def _in_tests(file: SiteFile | None) -> str | None:
    """A file under a tests/ or test/ directory (its __pycache__ too: deleting tests/ deletes it)."""
    if file is None:
        return None
    folders = file.relative.split("/")[:-1]
    return f"/{file.site}" if "tests" in folders or "test" in folders else None


def _folder(path: str) -> str:
    """Where a shared object lies, for a finding's detail: its distribution's folder in site-packages, else its own."""
    head, marker, rest = path.partition("-packages/")
    return f"/{head}{marker}{rest.split('/')[0]}" if marker else "/" + posixpath.dirname(path)


def _first_layers(in_site: list[SiteFile], files: Mapping[str, tuple[int, int]]) -> dict[tuple[str, str], int]:
    """(site, distribution) -> the lowest layer holding a file of that copy: the layer that installed it."""
    first: dict[tuple[str, str], int] = {}
    for file in in_site:
        if file.distribution != UNCLAIMED:
            key = (file.site, file.distribution)
            first[key] = min(first.get(key, files[file.path][0]), files[file.path][0])
    return first


def _other_copies(
    in_site: list[SiteFile],
    files: Mapping[str, tuple[int, int]],
    first: Mapping[tuple[str, str], int],
    known: Provenance,
) -> dict[tuple[str, str], str]:
    """(site, distribution) -> what it duplicates, for every copy of a distribution but the one kept.

    The copy kept is the base's (no step of the build can remove it), else a venv's (the fix
    installs into the venv only), else the largest. A copy in another venv than the kept one's
    is that venv's own (two venvs are two apps' environments, e.g. Poetry's and the project's).
    """
    sizes: defaultdict[str, defaultdict[str, int]] = defaultdict(lambda: defaultdict(int))
    for file in in_site:
        if file.distribution != UNCLAIMED:
            sizes[file.distribution][file.site] += file.size
    venvs = {posixpath.dirname(path) for path in files if posixpath.basename(path) == "pyvenv.cfg"}

    def in_venv(site: str) -> bool:
        return any(site.startswith(venv + "/") for venv in venvs)

    def kept_first(name: str, site: str) -> tuple[bool, bool, int, str]:
        return (first[(site, name)] >= known.base.layers, not in_venv(site), -sizes[name][site], site)

    others: dict[tuple[str, str], str] = {}
    for name, sites in sizes.items():
        if len(sites) > 1:
            kept = min(sites, key=lambda site: kept_first(name, site))
            for site in sites:
                if site != kept and not (in_venv(site) and in_venv(kept)):
                    others[(site, name)] = f"{name} in /{site} (kept: /{kept})"
    return others


def _sites_by_environment(in_site: list[SiteFile], known: Provenance) -> dict[tuple[int, str], set[str]]:
    """(environment, distribution) -> the site directories holding a copy of it there."""
    found: defaultdict[tuple[int, str], set[str]] = defaultdict(set)
    for file in in_site:
        environment = known.environment.get(file.site)
        if environment is not None:
            found[(environment, file.distribution)].add(file.site)
    return found


def _stdlib_bytecode(path: str, stdlibs: tuple[str, ...]) -> str | None:
    """A standard library's bytecode (outside its site directories): the folder of that standard library."""
    if ("__pycache__/" not in path and not path.endswith(".pyc")) or "-packages/" in path:
        return None
    return next((f"/{stdlib.rstrip('/')}" for stdlib in stdlibs if path.startswith(stdlib)), None)


def _extra_stdlibs(files: Mapping[str, tuple[int, int]], installed: list[Interpreter]) -> list[str]:
    """The standard-library folders of every interpreter (of ``installed``) but the one kept.

    Kept is the one under /usr/local (where the official images and every source build put
    it, first on their PATH), else the first installed (its os.py in the lowest layer), else
    the largest.
    """
    if len(installed) < 2:
        return []
    sizes = {i.stdlib: sum(size for path, (_, size) in files.items() if path.startswith(i.stdlib)) for i in installed}
    kept = min(installed, key=lambda i: (i.prefix != LOCAL_PREFIX, files[i.stdlib + "os.py"][0], -sizes[i.stdlib]))
    return [i.stdlib for i in installed if i != kept]


def _interpreter_packages(packages: Mapping[str, SystemPackage], stdlibs: list[str]) -> set[str]:
    """The system packages removing the interpreters of ``stdlibs`` removes: those that installed a file of such
    a standard library, what depends on them, and what only they pulled in."""
    if not stdlibs:
        return set()
    owners = {name for name, package in packages.items() if any(p.startswith(tuple(stdlibs)) for p in package.files)}
    return removed_with(packages, dependents(packages, owners))


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
    return ", ".join(f"{what} {human_size(size)}" for what, size in ordered[:12])
