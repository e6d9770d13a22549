"""The system packages of an image, from its package database (dpkg or apk), and its build toolchain.

The database is read from the layers (imgexp.measure.layertar keeps the text of dpkg's
``status`` and ``info/*.list`` files and of apk's ``installed``). The toolchain is what
`apt-get purge` of the compilers and -dev packages, then `apt-get autoremove`, would take
away: the compilers, -dev packages and build tools themselves, and every package that only
they lead to through dependencies (or recommendations). A package that a kept package
leads to stays, as do essential and required ones.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Mapping
from dataclasses import dataclass, field

DPKG_STATUS = "var/lib/dpkg/status"
DPKG_INFO = "var/lib/dpkg/info/"
APT_STATES = "var/lib/apt/extended_states"
APK_INSTALLED = "lib/apk/db/installed"
#: packages that build software: compilers, build tools, and every -dev package (headers, static libraries)
TOOLCHAIN = re.compile(
    r"^(?:(?:gcc|g\+\+|cpp|c\+\+|clang|gfortran|llvm)(?:-\d+(?:\.\d+)?)?"
    r"|build-essential|build-base|make|binutils(?:-.+)?|dpkg-dev|cmake|autoconf|automake|libtool"
    r"|pkg-config|pkgconf|.+-dev)$"
)
_DEPENDENCY_FIELDS = ("Depends", "Pre-Depends", "Recommends")


@dataclass
class SystemPackage:
    name: str
    version: str = ""
    depends: list[list[str]] = field(default_factory=list)
    """each dependency (or recommendation) as its alternatives, by package or provided name"""
    provides: list[str] = field(default_factory=list)
    required: bool = False
    """essential or of priority required: never removed"""
    auto: bool | None = None
    """apt installed it only as another's dependency (apt's extended_states); None where no such record is kept"""
    files: set[str] = field(default_factory=set)
    """paths (no leading slash) the package installed, folders included, and its own database files"""


def system_packages(package_db: Mapping[str, str]) -> dict[str, SystemPackage]:
    """The installed packages the database files (path -> text, visible in the final filesystem) describe."""
    if DPKG_STATUS in package_db:
        return _dpkg(package_db)
    if APK_INSTALLED in package_db:
        return _apk(package_db[APK_INSTALLED])
    return {}


def installed(package_db: Mapping[str, str], files: Mapping[str, tuple[int, int]]) -> dict[str, SystemPackage]:
    """The installed packages of the final filesystem ``files``: its database files that are still visible."""
    return system_packages({path: text for path, text in package_db.items() if path in files})


def package_bytes(package: SystemPackage, files: Mapping[str, tuple[int, int]]) -> int:
    """Bytes of the package's visible regular files."""
    return sum(files[path][1] for path in package.files if path in files)


def toolchain(packages: Mapping[str, SystemPackage]) -> set[str]:
    """The compilers, -dev packages and build tools, and what only they pulled in (removed_with)."""
    return removed_with(packages, {name for name in packages if TOOLCHAIN.match(name)})


def removed_with(packages: Mapping[str, SystemPackage], names: set[str]) -> set[str]:
    """``names`` (but essential and required ones) and what only they pulled in: what `apt-get purge` of
    ``names``, then `apt-get autoremove`, would take away.

    What only they pulled in: every package they reach through dependencies that no kept
    package reaches. Kept are the essential and required packages and those asked for by name
    (apt's extended_states says which; without it, those nothing installed needs), with all
    they reach but the packages removed. Reaching,
    not counting who needs a package, lets a cycle go (python3.11 and python3.11-minimal
    recommend each other) when only the removed packages lead to it.
    """
    needs = _needs(packages)
    needed = {name for wanted in needs.values() for name in wanted}
    tools = {name for name in names if not packages[name].required}
    roots = {name for name, package in packages.items() if package.required or _asked(package, needed)} - tools
    kept = _reached(roots, needs, tools)
    return (tools | _reached(tools, needs, set())) - kept


def dependents(packages: Mapping[str, SystemPackage], names: set[str]) -> set[str]:
    """``names`` and every package that depends on one of them, directly or through others."""
    needs = _needs(packages)
    found = set(names)
    while grown := {name for name, wanted in needs.items() if name not in found and wanted & found}:
        found |= grown
    return found


def _needs(packages: Mapping[str, SystemPackage]) -> dict[str, set[str]]:
    """package -> the installed packages its dependencies (or recommendations) name, through what they provide."""
    providers: dict[str, set[str]] = {}
    for package in packages.values():
        for name in [package.name, *package.provides]:
            providers.setdefault(name, set()).add(package.name)
    return {
        package.name: {
            provider
            for alternatives in package.depends
            for alternative in alternatives
            for provider in providers.get(alternative, ())
            if provider != package.name
        }
        for package in packages.values()
    }


def _asked(package: SystemPackage, needed: set[str]) -> bool:
    """Installed by name, not as a dependency: as apt recorded it, or (no record) what nothing installed needs."""
    return not package.auto if package.auto is not None else package.name not in needed


def _reached(start: set[str], needs: Mapping[str, set[str]], avoided: set[str]) -> set[str]:
    """``start`` and every package it reaches through ``needs``, not through (nor into) ``avoided``."""
    reached, todo = set(start), list(start)
    while todo:
        for name in needs[todo.pop()] - avoided - reached:
            reached.add(name)
            todo.append(name)
    return reached


def _paragraphs(text: str) -> list[dict[str, str]]:
    """Deb822 paragraphs (``Field: value``, continuation lines start with a space)."""
    found = []
    for block in re.split(r"\n\s*\n", text):
        fields: dict[str, str] = {}
        last = ""
        for line in block.splitlines():
            if line[:1] in (" ", "\t") and last:
                fields[last] += "\n" + line.strip()
            elif ":" in line:
                last, _, value = line.partition(":")
                fields[last] = value.strip()
        if fields:
            found.append(fields)
    return found


def _names(relation: str) -> list[list[str]]:
    """``a (>= 1) | b:any, c`` -> [["a", "b"], ["c"]]."""
    return [
        [re.split(r"[\s(:\[]", alternative.strip(), maxsplit=1)[0] for alternative in group.split("|")]
        for group in relation.split(",")
        if group.strip()
    ]


def _dpkg(package_db: Mapping[str, str]) -> dict[str, SystemPackage]:
    packages: dict[str, SystemPackage] = {}
    for fields in _paragraphs(package_db[DPKG_STATUS]):
        if not fields.get("Status", "").endswith(" installed"):
            continue
        name = fields["Package"]
        packages[name] = SystemPackage(
            name=name,
            version=fields.get("Version", ""),
            depends=[group for key in _DEPENDENCY_FIELDS for group in _names(fields.get(key, ""))],
            provides=[group[0] for group in _names(fields.get("Provides", ""))],
            required=fields.get("Essential") == "yes" or fields.get("Priority") == "required",
        )
    auto = {fields.get("Package") for fields in _paragraphs(package_db.get(APT_STATES, ""))
            if fields.get("Auto-Installed") == "1"}  # fmt: skip
    for package in packages.values():
        package.auto = package.name in auto if APT_STATES in package_db else None
    for path, text in package_db.items():
        if not path.startswith(DPKG_INFO) or not path.endswith(".list"):
            continue
        name = posixpath.basename(path)[: -len(".list")].split(":", 1)[0]
        if name in packages:
            packages[name].files.update(line.strip().lstrip("/") for line in text.splitlines() if line.strip())
    return packages


def _apk(text: str) -> dict[str, SystemPackage]:
    packages: dict[str, SystemPackage] = {}
    for block in re.split(r"\n\s*\n", text):
        package: SystemPackage | None = None
        folder = ""
        for line in block.splitlines():
            key, _, value = line.partition(":")
            if key == "P":
                package = packages.setdefault(value, SystemPackage(name=value))
            elif package is None:
                continue
            elif key == "V":
                package.version = value
            elif key == "D":
                package.depends = [[_apk_name(d)] for d in value.split() if not d.startswith("!")]
            elif key == "p":
                package.provides = [_apk_name(p) for p in value.split()]
            elif key == "F":
                folder = value
            elif key == "R":
                package.files.add(posixpath.join(folder, value))
    return packages


def _apk_name(token: str) -> str:
    """``so:libc.musl-x86_64.so.1`` stays; ``python3>=3.11`` -> ``python3``."""
    return re.split(r"[<>=~]", token, maxsplit=1)[0]
