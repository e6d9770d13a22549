"""What a built image measurably holds, read from its layers: what the user's layers added, and what it all loads.

The user's layers are those above the final stage's base. What they added is sorted into
what a service needs at run time (virtualenvs, site-packages folders, console scripts, the
WORKDIR tree, other folders of its own) and what it does not (caches, system trees the
derived image gets elsewhere). Every ELF file among what is kept is read for the shared
libraries it loads; each is found as the loader would, and owned by a Debian package where
the image's dpkg database says so.
"""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass, field, replace

from .elfdeps import Dynamic, read_dynamic
from .layers import Layered

#: top-level folders the user's layers may add to that belong to the system, not the service
SYSTEM_ROOTS = frozenset(
    {
        "usr",
        "var",
        "etc",
        "tmp",
        "root",
        "run",
        "proc",
        "sys",
        "dev",
        "lib",
        "lib32",
        "lib64",
        "libx32",
        "bin",
        "sbin",
        "boot",
        "mnt",
        "media",
    }
)
#: folders the loader searches when a library's own RUNPATH does not name it (Debian, amd64 and arm64)
LIBRARY_DIRS = (
    "/usr/local/lib",
    "/lib/x86_64-linux-gnu",
    "/usr/lib/x86_64-linux-gnu",
    "/lib/aarch64-linux-gnu",
    "/usr/lib/aarch64-linux-gnu",
    "/lib",
    "/usr/lib",
)
DPKG_INFO = "/var/lib/dpkg/info"
_SITE = re.compile(r"^(.*?/(?:site|dist)-packages)(?:/|$)")
_DIST_INFO = re.compile(r"^(?P<name>.+?)-(?P<version>[^-]+)\.dist-info$")
_INSTALLED = re.compile(r"-packages/[^/]+(?:\.dist-info|\.egg-info|\.pth|\.egg-link)(?:/|$)")
_CACHE = re.compile(r"/\.cache(?:/|$)|/__pycache__/pip/")


@dataclass(frozen=True)
class Config:
    """The final image's configuration, as the engine records it (the user's ENV only, not the base's)."""

    env: tuple[tuple[str, str], ...] = ()
    workdir: str = ""
    user: str = ""
    exposed: tuple[str, ...] = ()
    entrypoint: tuple[str, ...] | None = None
    cmd: tuple[str, ...] | None = None
    healthcheck: dict[str, object] | None = None
    labels: tuple[tuple[str, str], ...] = ()
    path: str = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"


@dataclass(frozen=True)
class Library:
    """A shared library something kept loads, found in the image."""

    soname: str
    path: str
    """where the loader finds it in the image (links resolved)"""
    package: str | None
    """the Debian package owning it (dpkg's lists), None when no package does"""
    wanted_by: str
    """the first kept file that loads it"""


@dataclass(frozen=True)
class Holdings:
    """What the user's layers added that a service needs, and what it loads."""

    config: Config
    venvs: tuple[str, ...] = ()
    site_dirs: tuple[str, ...] = ()
    """site/dist-packages folders the user's layers installed into, outside any virtualenv"""
    untouched: tuple[str, ...] = ()
    """entries of those folders the user's layers left as the base had them (the base's pip, setuptools)"""
    distributions: dict[str, tuple[str, ...]] = field(default_factory=dict)
    """folder (virtualenv or site folder) -> name==version of the distributions in it"""
    scripts: tuple[str, ...] = ()
    """files the user's layers added to /usr/local/bin (console scripts, mostly)"""
    workdir: str | None = None
    roots: tuple[str, ...] = ()
    """other top-level paths of the service's own (/srv/app, /entrypoint.sh, /opt/tool)"""
    libraries: tuple[Library, ...] = ()
    """libraries the kept files load that are found outside what is kept, in load order"""
    interpreter: str = ""
    """the python3 on the image's PATH, links resolved"""
    account: tuple[str, str] | None = None
    """USER's /etc/passwd and /etc/group lines, when USER is not root"""

    @property
    def kept(self) -> tuple[str, ...]:
        return (*self.venvs, *self.site_dirs, *self.scripts, *([self.workdir] if self.workdir else []), *self.roots)


def read_config(attrs: dict[str, object], base: dict[str, object]) -> Config:
    """The image's configuration from ``docker image inspect``'s Config, without the ENV and LABELs its base
    ``base`` (its Config) sets alike, nor imgexp's own labels."""
    config = attrs.get("Config") or {}
    base_env = list(base.get("Env") or [])  # type: ignore[call-overload]
    base_labels = dict(base.get("Labels") or {})  # type: ignore[call-overload]
    assert isinstance(config, dict)
    env = [(k, v) for k, _, v in (e.partition("=") for e in config.get("Env") or [] if "=" in e)]
    path = next((v for k, v in env if k == "PATH"), Config.path)
    own = tuple((k, v) for k, v in env if f"{k}={v}" not in base_env)
    health = config.get("Healthcheck")
    return Config(
        env=own,
        workdir=config.get("WorkingDir") or "",
        user=config.get("User") or "",
        exposed=tuple(sorted(config.get("ExposedPorts") or {})),
        entrypoint=tuple(config["Entrypoint"]) if config.get("Entrypoint") else None,
        cmd=tuple(config["Cmd"]) if config.get("Cmd") else None,
        healthcheck=dict(health) if health and health.get("Test") else None,
        labels=tuple(
            sorted(
                (k, v)
                for k, v in (config.get("Labels") or {}).items()
                if base_labels.get(k) != v and not k.startswith("imgexp.")
            )
        ),
        path=path,
    )


def read_holdings(image: Layered, first_user_layer: int, config: Config) -> Holdings:
    """What the layers from ``first_user_layer`` on added that the service needs, and the libraries it loads."""
    added = {p: a for p, a in image.added(first_user_layer).items() if not _CACHE.search(p)}
    venvs = sorted({posixpath.dirname(p) for p in added if p.endswith("/pyvenv.cfg")})
    workdir = (
        config.workdir
        if config.workdir not in ("", "/")
        and any(p == config.workdir or p.startswith(config.workdir.rstrip("/") + "/") for p in added)
        else None
    )

    def inside(path: str, folders: list[str]) -> bool:
        return any(path == f or path.startswith(f + "/") for f in folders)

    sites = sorted(  # where the user's layers installed a distribution (not only wrote bytecode)
        {
            m.group(1)
            for p in added
            if (m := _SITE.match(p)) and _INSTALLED.search(p) and not inside(p, [*venvs, *_opt(workdir)])
        }
    )
    scripts = sorted(p for p, a in added.items() if posixpath.dirname(p) == "/usr/local/bin" and a.kind != "dir")
    taken = [*venvs, *sites, *_opt(workdir)]
    own = [p for p in added if p.split("/")[1] not in SYSTEM_ROOTS and not inside(p, taken)]
    below = Layered(image.diffs[:first_user_layer])
    roots = sorted({r for r in (_under(p, taken, below) for p in own) if r})
    holdings = Holdings(
        config=config,
        venvs=tuple(venvs),
        site_dirs=tuple(sites),
        distributions={f: _distributions(image, f) for f in [*venvs, *sites]},
        untouched=tuple(
            f"{site}/{name}"
            for site in sites
            for name in image.listdir(site)
            if not any(p == f"{site}/{name}" or p.startswith(f"{site}/{name}/") for p in added)
        ),
        scripts=tuple(scripts),
        workdir=workdir,
        roots=tuple(roots),
        interpreter=image.resolve(_python(image, config)) or "",
        account=_account(image, config.user),
    )
    kept_elf = [p for p, a in added.items() if a.kind == "file" and inside(p, list(holdings.kept))]
    return _with_libraries(image, holdings, kept_elf)


def _opt(folder: str | None) -> list[str]:
    return [folder] if folder else []


def _under(path: str, taken: list[str], below: Layered) -> str:
    """The shallowest folder of ``path`` (or ``path`` itself) that the base lacks and that holds no taken
    folder: what to copy beside them (``/home/app``, not ``/home``)."""
    parts = path.split("/")
    for depth in range(2, len(parts) + 1):
        candidate = "/".join(parts[:depth])
        if not any(t.startswith(candidate + "/") or t == candidate for t in taken) and not below.exists(candidate):
            return candidate
    return ""


def _python(image: Layered, config: Config) -> str:
    for folder in config.path.split(":"):
        if folder and image.exists(posixpath.join(folder, "python3")):
            return posixpath.join(folder, "python3")
    return "/usr/local/bin/python3"


def _distributions(image: Layered, folder: str) -> tuple[str, ...]:
    site = folder
    if not _SITE.match(folder):  # a virtualenv: its lib/python3.X/site-packages
        lib = posixpath.join(folder, "lib")
        site = next(
            (posixpath.join(lib, v, "site-packages") for v in image.listdir(lib) if v.startswith("python")), folder
        )
    found = [m for name in image.listdir(site) if (m := _DIST_INFO.match(name))]
    return tuple(sorted(f"{m.group('name')}=={m.group('version')}" for m in found))


def _account(image: Layered, user: str) -> tuple[str, str] | None:
    """USER's lines of /etc/passwd and /etc/group; None for root, a number, or a name neither file has."""
    name = user.split(":")[0]
    if name in ("", "root", "0") or name.isdigit():
        return None
    lines = {}
    for table in ("passwd", "group"):
        host = image.host_path(f"/etc/{table}")
        text = host.read_text(errors="replace") if host else ""
        lines[table] = [line for line in text.splitlines() if line.split(":")[0] == name]
    if not lines["passwd"]:
        return None
    gid = lines["passwd"][0].split(":")[3]
    group_host = image.host_path("/etc/group")
    groups = group_host.read_text(errors="replace").splitlines() if group_host else []
    group = next((g for g in groups if len(g.split(":")) > 2 and g.split(":")[2] == gid), f"{name}:x:{gid}:")
    return lines["passwd"][0], group


def dynamic_of(image: Layered, path: str) -> Dynamic | None:
    """The dynamic linking of the file at ``path`` in the image; None when it is not ELF."""
    host = image.host_path(path)
    if host is None:
        return None
    try:
        with host.open("rb") as file:
            return read_dynamic(file)
    except OSError:
        return None


def find_library(image: Layered, soname: str, wanted_by: str, search: tuple[str, ...]) -> str | None:
    """Where the loader finds ``soname`` for the file ``wanted_by``: its RUNPATH, then the system folders."""
    origin = posixpath.dirname(wanted_by)
    for folder in (*(s.replace("$ORIGIN", origin).replace("${ORIGIN}", origin) for s in search), *LIBRARY_DIRS):
        real = image.resolve(posixpath.join(folder, soname))
        if real is not None:
            return real
    return None


def _with_libraries(image: Layered, holdings: Holdings, files: list[str]) -> Holdings:
    """``holdings`` with the libraries its ELF files load that lie outside what is kept (closure)."""
    kept = list(holdings.kept)
    owners = PackageOwners(image)
    found: dict[str, Library] = {}
    queue = list(files)
    seen: set[str] = set()
    while queue:
        path = queue.pop(0)
        if path in seen:
            continue
        seen.add(path)
        dynamic = dynamic_of(image, path)
        if dynamic is None:
            continue
        for soname in dynamic.needed:
            real = find_library(image, soname, path, dynamic.search)
            if real is None or any(real == k or real.startswith(k + "/") for k in kept) or real in found:
                continue
            found[real] = Library(soname, real, owners.owner(soname), path)
            queue.append(real)
    return replace(holdings, libraries=tuple(found.values()))


class PackageOwners:
    """Which Debian package owns a library, from the dpkg database's file lists in the image (``dpkg -S``)."""

    def __init__(self, image: Layered) -> None:
        self._image = image
        self._lists: dict[str, list[str]] | None = None

    def owner(self, soname: str) -> str | None:
        if self._lists is None:
            self._lists = {}
            for name in self._image.listdir(DPKG_INFO):
                if name.endswith(".list"):
                    host = self._image.host_path(f"{DPKG_INFO}/{name}")
                    if host is not None:
                        self._lists[name.removesuffix(".list").split(":")[0]] = host.read_text(errors="replace").split()
        for package, paths in self._lists.items():
            if any(p.endswith("/" + soname) and "/lib" in p for p in paths):
                return package
        return None
