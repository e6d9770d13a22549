"""From what ``current`` holds to a plan for each derivation (NAMES): plain values, each copy with why it is there."""

from __future__ import annotations

import posixpath
from dataclasses import dataclass

from .holdings import LIBRARY_DIRS, Holdings, Library, dynamic_of, find_library
from .layers import Layered

#: the builder stage: the user's final stage, named so when it has no name of its own
BUILDER = "imgexp-current"
#: what distilled (and minimal) delete from what they copy, before copying (shell ``find`` tests, and why)
REMOVALS = (
    ("-name __pycache__ -type d", "bytecode caches: Python writes them again when it needs them"),
    ("-path '*-packages/*' \\( -name tests -o -name test \\) -type d", "test suites shipped inside distributions"),
    ("-path '*/share/doc/*' -o -path '*/share/man/*'", "documentation"),
)
STRIP = "debug symbols of compiled extensions (strip --strip-unneeded), except auditwheel's vendored *.libs/"
#: why minimal makes an empty /tmp (scratch has none, every base has one)
SCRATCH_TMP = "an empty /tmp that every user may write, as every base has: tempfile, SQLite files, sockets"
#: files minimal needs besides the service: CA certificates and time zones, when the image has them
SUPPORT = (
    ("/etc/ssl/certs/ca-certificates.crt", "CA certificates, for TLS"),
    ("/usr/share/zoneinfo", "time zones (tzdata)"),
    ("/etc/nsswitch.conf", "name service switch, for the resolver"),
)


@dataclass(frozen=True)
class Copy:
    """One COPY --from: paths of the builder stage to the same place, and why they are there."""

    paths: tuple[str, ...]
    why: str


@dataclass(frozen=True)
class Plan:
    """A derived Dockerfile's final stage, before it is written."""

    name: str
    base: str
    """``python:<v>-slim`` or ``scratch``"""
    source: str
    """the stage copies come from"""
    copies: tuple[Copy, ...]
    packages: tuple[str, ...] = ()
    """Debian packages apt installs: the libraries copied files load that the base lacks"""
    removals: bool = False
    """whether the source stage deletes REMOVALS first"""
    base_owned: tuple[str, ...] = ()
    """what the source stage deletes because the final base has it at the same place, as the builder's base had it"""
    account: tuple[str, str] | None = None


def plan(name: str, holdings: Holdings, slim: Layered, python: str, image: Layered, smoke: bool = False) -> Plan:
    """The plan of derivation ``name`` (one of NAMES) from ``holdings`` of an image on ``python``.

    ``slim`` is the slim base's layers (a library it has is not installed again); ``image`` is
    current's layers, which minimal needs to follow the interpreter's and the shell's links;
    ``smoke``: whether shell commands verify the image (minimal then carries a shell).
    """
    copies = list(_service(holdings))
    if name == "minimal":
        runtime = _runtime(holdings, image, smoke)
        return Plan(name, "scratch", BUILDER + "-root", (*runtime, *copies), removals=True, account=holdings.account)
    missing = [lib for lib in holdings.libraries if not _in(slim, lib.soname)]
    packages = sorted({lib.package for lib in missing if lib.package})
    unowned = [lib for lib in missing if not lib.package]
    if unowned:
        copies.append(
            Copy(
                tuple(lib.path for lib in unowned),
                "libraries no Debian package owns (built by the Dockerfile), loaded "
                + ", ".join(sorted({posixpath.basename(lib.wanted_by) for lib in unowned})),
            )
        )
    source = BUILDER + "-distilled" if name == "distilled" else BUILDER
    owned = tuple(p for p in holdings.untouched if slim.exists(p)) if name == "distilled" else ()
    return Plan(
        name,
        f"python:{python}-slim",
        source,
        tuple(copies),
        packages=tuple(packages),
        removals=name == "distilled",
        account=holdings.account,
        base_owned=owned,
    )


def _in(slim: Layered, soname: str) -> bool:
    return any(slim.exists(posixpath.join(folder, soname)) for folder in LIBRARY_DIRS)


def _service(holdings: Holdings) -> list[Copy]:
    """What the user's layers added that the service needs: each copied to the same place."""
    copies = []
    for venv in holdings.venvs:
        copies.append(Copy((venv,), f"the virtualenv: {_names(holdings.distributions.get(venv, ()))}"))
    for site in holdings.site_dirs:
        copies.append(Copy((site,), f"the installed distributions: {_names(holdings.distributions.get(site, ()))}"))
    if holdings.scripts:
        names = ", ".join(posixpath.basename(s) for s in holdings.scripts)
        copies.append(Copy(holdings.scripts, f"their console scripts ({names})"))
    if holdings.workdir:
        copies.append(Copy((holdings.workdir,), "the WORKDIR: the project's files and what its RUN steps generated"))
    for root in holdings.roots:
        copies.append(Copy((root,), "files of the service's own the Dockerfile put outside WORKDIR"))
    return copies


def _names(distributions: tuple[str, ...]) -> str:
    shown = ", ".join(distributions[:8])
    return shown + (f" and {len(distributions) - 8} more" if len(distributions) > 8 else "") if shown else "none found"


def _runtime(holdings: Holdings, image: Layered, smoke: bool) -> list[Copy]:
    """What FROM scratch lacks: the interpreter, its stdlib, the loader and every library, support files, a shell."""
    interpreter = holdings.interpreter
    version = posixpath.basename(interpreter).removeprefix("python")
    prefix = posixpath.dirname(posixpath.dirname(interpreter))
    python_links = [p for name in ("python3", "python", f"python{version}") for p in _links(image, holdings, name)]
    copies = [Copy(tuple(dict.fromkeys([*python_links, interpreter])), "the interpreter, and the names it is run by")]
    stdlib = posixpath.join(prefix, "lib", f"python{version}")
    copies.append(Copy((stdlib,), "the standard library"))
    if holdings.workdir is None and holdings.config.workdir not in ("", "/"):
        copies.append(Copy((holdings.config.workdir,), "the WORKDIR"))
    libraries = [*holdings.libraries]
    walked = {posixpath.basename(lib.path) for lib in libraries}
    loader = _loader(image, interpreter)
    copies.append(Copy(tuple(loader), "the dynamic loader"))
    shell = smoke or _shell_form(holdings)
    extra = _closure_of(image, [interpreter, *_dynload(image, stdlib), *(["/bin/sh"] if shell else [])], walked)
    libraries += extra
    paths: list[str] = []
    for lib in libraries:
        for name in (posixpath.join(posixpath.dirname(lib.path), lib.soname), lib.path):
            paths += [p for p in image.walk(name) if p not in paths]
    copies.append(
        Copy(tuple(paths), "every shared library the interpreter, the stdlib's and the copied extensions load")
    )
    if shell:
        copies.append(
            Copy(tuple(image.walk("/bin/sh")), "a shell: ENTRYPOINT/CMD in shell form or the smoke commands run one")
        )
    for path, why in SUPPORT:
        if image.exists(path):
            copies.append(Copy(tuple(image.walk(path)), why))
    copies.append(
        Copy(("/etc/passwd", "/etc/group"), "the accounts: root, and USER's" if holdings.account else "the accounts")
    )
    return copies


def _links(image: Layered, holdings: Holdings, name: str) -> list[str]:
    for folder in holdings.config.path.split(":"):
        walked = image.walk(posixpath.join(folder, name)) if folder else []
        if walked:
            return walked
    return []


def _loader(image: Layered, interpreter: str) -> list[str]:
    dynamic = dynamic_of(image, interpreter)
    return image.walk(dynamic.interpreter) if dynamic and dynamic.interpreter else []


def _dynload(image: Layered, stdlib: str) -> list[str]:
    folder = posixpath.join(stdlib, "lib-dynload")
    return [posixpath.join(folder, n) for n in image.listdir(folder) if n.endswith(".so")]


def _closure_of(image: Layered, files: list[str], known: set[str]) -> list[Library]:
    found: list[Library] = []
    queue = list(files)
    seen: set[str] = set()
    while queue:
        path = image.resolve(queue.pop(0)) or ""
        if not path or path in seen:
            continue
        seen.add(path)
        dynamic = dynamic_of(image, path)
        for soname in dynamic.needed if dynamic else ():
            real = find_library(image, soname, path, dynamic.search if dynamic else ())
            if real and posixpath.basename(real) not in known:
                known.add(posixpath.basename(real))
                found.append(Library(soname, real, None, path))
                queue.append(real)
    return found


def _shell_form(holdings: Holdings) -> bool:
    """Whether ENTRYPOINT/CMD runs a shell (shell form: ``/bin/sh -c``)."""
    words = [*(holdings.config.entrypoint or ()), *(holdings.config.cmd or ())]
    return any(posixpath.basename(w) in ("sh", "bash", "dash") for w in words[:2])
