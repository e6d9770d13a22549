"""Every kind of finding proven on images of many shapes: the kind's fix applied, the image shrinks by what it claimed.

Each shape is a Dockerfile rendered here (system site-packages under /usr/local, Debian's
dist-packages, a venv, ``pip install --user``, a multi-stage build, FROM scratch, a Poetry
project's in-project venv), with every problem a finding names; each fix is the same
Dockerfile with one kind's fix applied, as the finding's fix says. The size difference
must be the bytes the finding claimed for what the build added, within 5 %. Steps common to every shape come first and
render alike, so the engine builds them once; small packages keep the rest quick.
"""

from __future__ import annotations

import base64
import hashlib
import subprocess
import uuid
import zipfile
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import docker
import pandas as pd
import pytest

from imgexp import cli
from imgexp.audit.findings import KINDS
from imgexp.audit.image import Inspection, inspect_image
from imgexp.audit.origin import LOCAL_PREFIX
from imgexp.engine import bases

PYTHON = "3.11"
TAG = "imgexp-test/findings-proof"
SO = "_dbg.cpython-311-x86_64-linux-gnu.so"
#: a C file whose shared object carries debug sections worth stripping
DEBUG_SOURCE = "".join(f"static int h{i}(int x) {{ return x * {i}; }}\nint api{i}(int x) {{ return h{i}(x); }}\n"
                       for i in range(1500))  # fmt: skip
PYTHON_ROOTS = "/usr/local/lib /usr/lib/python3 /root/.local /venv /opt/poetry /app"
#: where the build's own shared objects lie: the site directories (stripping the base's files would copy them up)
SITE_ROOTS = "/usr/local/lib/python3.11/site-packages /usr/lib/python3 /root/.local /venv"
REMOVE = "-exec rm -rf {} +"
STRIP = "-exec strip --strip-unneeded {} +"
#: shape -> the kinds whose fix it can apply to what its build added
SHAPES: dict[str, tuple[str, ...]] = {
    "system": ("pip-cache", "uv-cache", "pip", "pycache", "tests", "duplicate-distribution", "compiler", "apt-lists",
               "apt-cache", "interpreters", "headers", "docs", "debug-symbols", "wasted"),
    "debian": ("uv-cache", "pycache", "compiler", "apt-lists", "apt-cache", "headers", "docs", "debug-symbols",
               "wasted"),
    "venv": ("pip-cache", "uv-cache", "pip", "pycache", "tests", "duplicate-distribution", "compiler", "apt-lists",
             "apt-cache", "interpreters", "headers", "docs", "debug-symbols", "wasted"),
    "user": ("pip-cache", "uv-cache", "pycache", "tests", "duplicate-distribution", "compiler", "apt-lists",
             "apt-cache", "interpreters", "headers", "docs", "debug-symbols", "wasted"),
    "multistage": ("pip-cache", "uv-cache", "pip", "pycache", "tests", "duplicate-distribution", "apt-lists",
                   "apt-cache", "interpreters", "headers", "docs", "debug-symbols", "wasted"),
    "scratch": ("pip-cache", "uv-cache", "pip", "pycache", "tests", "duplicate-distribution", "compiler", "apt-lists",
                "apt-cache", "interpreters", "headers", "debug-symbols", "wasted"),
    "poetry": ("pip-cache", "uv-cache", "pip", "pycache", "tests", "duplicate-distribution", "compiler", "apt-lists",
               "apt-cache", "interpreters", "headers", "docs", "wasted"),
}  # fmt: skip
# Left out: debian's interpreters (Debian's python3 is the shape: its fix is another shape); multistage's compiler
# (its final stage has none); scratch's docs (no base: the base's copyright files count as added, and dpkg's
# path-exclude cannot drop what the base has); poetry's debug-symbols (strip removes 5.6 MB from Poetry's own venv's
# wheels, cryptography, msgpack, dulwich..., where the finding counts 4.3 MB: a lower bound, docs/inspect.md).
NONE = "none"
#: the pip the system shape's build upgrades the base's to (pinned: the proof's bytes stay the same)
UPGRADED_PIP = "pip==24.3.1"
#: where the wheels of pip that `python -m venv` installs lie: Debian's, and CPython's own
ENSUREPIP_WHEELS = (
    "--find-links /usr/share/python-wheels --find-links "
    "$(python -c 'import ensurepip, os; print(os.path.dirname(ensurepip.__file__))')/_bundled"
)
#: where each shape's Python packages go (the other shapes: a venv)
SITES = {
    "system": "/usr/local/lib/python3.11/site-packages",
    "debian": "/usr/lib/python3/dist-packages",
    "user": "/root/.local/lib/python3.11/site-packages",
    "venv": "/venv/lib/python3.11/site-packages",
    "poetry": "/app/.venv/lib/python3.11/site-packages",
}
#: a header of the cc stage's library, which a careless COPY brings into the final image
DEBUG_HEADER = "".join(f"/* api{i}: returns x times {i} */\nint api{i}(int x);\n" for i in range(1500))
#: the slim stand-in excludes docs from dpkg as debian:*-slim does; the unfixed images install docs as on a base that
#: does not (debian:bookworm, python:3.11): the docs fix drops this option, so the base's path-exclude applies
WITH_DOCS = " -o 'Dpkg::Options::=--path-include=/usr/share/*'"
#: uv's default link mode hard-links the installed files to its cache: the bytes stay when the cache goes, and a
#: layer's scan counts a hard link as 0 bytes (docs/inspect.md); copy mode, as uv's Docker guide sets it
UV = "UV_LINK_MODE=copy uv pip install --system-certs"
#: where uv installs in each shape (uv has no --user: --prefix is the user site's prefix)
UV_TARGETS = {
    "system": "--system",
    "debian": "--python /usr/bin/python3 --system --break-system-packages",
    "user": "--prefix /root/.local",
    "poetry": "--python /app/.venv/bin/python",
}
#: the Poetry project: the app, in Poetry's in-project venv
PYPROJECT = """[project]
name = "proof"
version = "1.0"
requires-python = ">=3.11"
dependencies = ["six", "simplejson", "needspip @ file:///ctx/{needspip}"]

[tool.poetry]
package-mode = false
"""
POETRY = (
    "cd /app && REQUESTS_CA_BUNDLE=/etc/ssl/certs/ca-certificates.crt POETRY_VIRTUALENVS_IN_PROJECT=1 "
    "/opt/poetry/bin/poetry install --no-interaction"
)


def _wheel(folder: Path, name: str, version: str, requires: list[str]) -> str:
    """A pure-Python wheel made here whose METADATA requires ``requires``; its file name."""
    info = f"{name}-{version}.dist-info"
    metadata = f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n"
    files = {
        f"{name}/__init__.py": b"VALUE = 1\n",
        f"{info}/METADATA": (metadata + "".join(f"Requires-Dist: {r}\n" for r in requires)).encode(),
        f"{info}/WHEEL": b"Wheel-Version: 1.0\nGenerator: imgexp-test\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
    }

    def digest(data: bytes) -> str:
        return base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()

    record = "".join(f"{path},sha256={digest(data)},{len(data)}\n" for path, data in files.items())
    filename = f"{name}-{version}-py3-none-any.whl"
    with zipfile.ZipFile(folder / filename, "w") as wheel:
        for path, data in files.items():
            wheel.writestr(path, data)
        wheel.writestr(f"{info}/RECORD", record + f"{info}/RECORD,,\n")
    return filename


def dockerfile(shape: str, fix: str, base: str, needspip: str) -> str:
    """The shape's Dockerfile with every problem but those ``fix`` names (``+`` between), fixed as found."""
    fixes = set(fix.split("+"))
    nocache = " --no-cache-dir" if "pip-cache" in fixes else ""
    pyc = f" && (find {PYTHON_ROOTS} -path '*/tests' -prune -o -name __pycache__ -prune {REMOVE} 2>/dev/null; true)"
    pyc = pyc if "pycache" in fixes else ""
    tests = " && find / -xdev -path '*-packages/*' -type d -name tests -prune -exec rm -rf {} +"
    tests = tests if "tests" in fixes else ""
    apt_end = (
        " && apt-get clean"
        if "apt-cache" in fixes
        else " && rm -rf /var/lib/apt/lists/*"
        if "apt-lists" in fixes
        else ""
    )
    debian = shape == "debian"
    install = "apt-get install -y --no-install-recommends"
    # a download last: dpkg's post-invoke hook of the base deletes downloaded .debs
    download = " && apt-get install -y -d --no-install-recommends cowsay"
    unfixed_apt = f"RUN apt-get update && {install} gcc libc6-dev{download}"
    # before it, a second Python (Debian's, beside the base's in /usr/local), or Debian's six; and a package with
    # docs, man pages and locales
    python3 = "" if "interpreters" in fixes else f" && {install} python3"
    python3 = f" && {install} python3-six python3-simplejson{pyc}" if debian else python3
    tail = f"{python3} && {install}{'' if 'docs' in fixes else WITH_DOCS} less libc-l10n{download}{apt_end}"
    apt = f"RUN apt-get update && {install}{'' if 'compiler' in fixes else ' gcc libc6-dev'}{tail}"
    cc = [
        f"FROM {base} AS cc",
        "RUN apt-get update && apt-get install -y --no-install-recommends gcc libc6-dev && rm -rf /var/lib/apt/lists/*",
        "COPY dbg.c dbg.h /src/",
        f"RUN mkdir -p /out /opt/dbg/include && cp /src/dbg.h /opt/dbg/include/ && gcc -g -O0 -shared -fPIC "
        f"-o /out/{SO} /src/dbg.c" + (f" && strip --strip-unneeded /out/{SO}" if "debug-symbols" in fixes else ""),
        f"FROM {base} AS uv",
        "RUN pip install --no-cache-dir uv",
    ]
    uv_binary = "COPY --from=uv /usr/local/bin/uv /usr/local/bin/uv"
    uv = f"RUN {UV}{' --no-cache' if 'uv-cache' in fixes else ''} {UV_TARGETS.get(shape, '--python /venv/bin/python')}"
    uv += f" idna{pyc}"
    # the library's headers, copied in with it (as `COPY --from=cc /usr/local /usr/local` would): the fix leaves them
    headers = [] if "headers" in fixes else ["COPY --from=cc /opt/dbg/include /usr/local/include"]

    strip = f" && (find {SITE_ROOTS} -name '*.so*' -type f ! -path '*.libs/*' {STRIP} 2>/dev/null; true)"
    strip = strip if "debug-symbols" in fixes else ""
    built = "--use-pep517 docopt"  # an sdist only: pip builds its wheel and keeps it in its cache
    site = SITES.get(shape, SITES["venv"])
    then = " && " if "wasted" in fixes else "\nRUN "
    wasted = f"RUN mkdir -p /srv && head -c 3000000 /dev/urandom > /srv/scratch.bin{then}rm /srv/scratch.bin"
    copy_so = f"COPY --from=cc /out/{SO} {site}/{SO}"
    second_six = "duplicate-distribution" not in fixes
    system_six = f"RUN pip install{nocache}{' six' if second_six else ''} {built}{pyc}"  # pip runs either way
    if shape in ("system", "user"):
        target, other = (" --user", "") if shape == "user" else ("", " --user")
        # the system's pip upgraded by the build (its own cache aside: pip-cache's fix covers that call too)
        upgrade = (
            []
            if "pip" in fixes or shape == "user"
            else [f"RUN pip install --no-cache-dir --upgrade {UPGRADED_PIP}{pyc}"]
        )
        python = [*upgrade, f"RUN pip install{nocache}{target} six simplejson {built}{tests}{pyc}{strip}"]
        python += [f"RUN pip install{nocache}{other} --ignore-installed six{pyc}"] if second_six else []
        return _lines(*cc, f"FROM {base}", apt, uv_binary, *python, uv, copy_so, *headers, wasted)
    if debian:
        return _lines(*cc, f"FROM {base}", apt, uv_binary, uv, copy_so, *headers, wasted)
    if shape == "poetry":  # Poetry in its own venv (its builder stage's), the app in Poetry's in-project venv
        own_venv = (
            "python -m venv --without-pip /opt/poetry && pip --python /opt/poetry/bin/python install "
            "--no-cache-dir poetry"
            if "pip" in fixes
            else "python -m venv /opt/poetry && /opt/poetry/bin/pip install --no-cache-dir poetry"
        )
        return _lines(
            *cc,
            f"FROM {base} AS poetry",
            f"RUN {own_venv}{tests}{pyc}",
            f"FROM {base}",
            apt,
            uv_binary,
            "COPY --from=poetry /opt/poetry /opt/poetry",
            "COPY ctx /ctx",
            "COPY ctx/pyproject.toml /app/pyproject.toml",
            f"RUN {POETRY}{tests}{pyc}",
            uv,
            copy_so,
            *headers,
            system_six,
            wasted,
        )
    if "pip" in fixes:  # the venv made without pip, filled by the outside pip; pip itself is the app's requirement
        venv = (
            f"python -m venv --without-pip /venv && pip --python /venv/bin/python install{nocache} --no-index "
            f"{ENSUREPIP_WHEELS} pip /ctx/{needspip}"
        )
        venv_pip = "pip --python /venv/bin/python"
    else:
        venv = f"python -m venv /venv && /venv/bin/pip install{nocache} /ctx/{needspip}"
        venv_pip = "/venv/bin/pip"
    builder = [
        "COPY ctx /ctx",
        f"RUN {venv}{tests}{pyc}",
        f"RUN {venv_pip} install{nocache} six simplejson{tests}{pyc}{strip}",
        copy_so,
    ]
    if shape == "venv":
        return _lines(*cc, f"FROM {base}", apt, uv_binary, *builder, uv, *headers, system_six, wasted)
    if shape == "multistage":
        final_apt = f"RUN apt-get update{tail}"
        builder[1:3] = [line.replace(tests, "").replace(pyc, "") for line in builder[1:3]]
        builder += [pyc.replace(" && ", "RUN ", 1) if pyc else "RUN true"]  # in the builder stage, as the fix says
        builder += [tests.replace(" && ", "RUN ", 1) if tests else "RUN true"]
        return _lines(*cc, f"FROM {base} AS builder", unfixed_apt, *builder, f"FROM {base}", final_apt, uv_binary,
                      "COPY --from=builder /venv /venv", uv, *headers, system_six, wasted)  # fmt: skip
    # scratch: the builder's whole filesystem, copied into an image of no base; the system's pip is its own too
    unpip = f"RUN python -m pip uninstall -y pip setuptools wheel{pyc}" if "pip" in fixes else "RUN true"
    # no base: the base's headers are the build's too, and the fix leaves all of include/ out of the copy
    headers = (
        ["RUN rm -rf /usr/local/include"]
        if "headers" in fixes
        else ["COPY --from=cc /opt/dbg/include /usr/local/include"]
    )
    return _lines(
        *cc,
        f"FROM {base} AS builder",
        apt,
        uv_binary,
        *builder,
        uv,
        *headers,
        system_six,
        unpip,
        "FROM scratch",
        "COPY --from=builder / /",
        wasted,
    )


def _lines(*lines: str) -> str:
    return "\n".join(lines) + "\n"


@dataclass(frozen=True)
class Built:
    shape: str
    fix: str
    tag: str
    size: int


@pytest.fixture(scope="module")
def base(client: docker.DockerClient) -> bases.BaseImage:
    return bases.resolve(client, "slim", PYTHON, "auto")


@pytest.fixture(scope="module")
def built(
    client: docker.DockerClient, base: bases.BaseImage, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[dict[tuple[str, str], Built]]:
    """Every shape with all its problems (fix ``none``) and once per kind with that kind's fix, built in pairs."""
    context = tmp_path_factory.mktemp("proof")
    (context / "ctx").mkdir()
    needspip = _wheel(context / "ctx", "needspip", "1.0", ["pip"])
    (context / "ctx" / "pyproject.toml").write_text(PYPROJECT.format(needspip=needspip))
    (context / "dbg.c").write_text(DEBUG_SOURCE)
    (context / "dbg.h").write_text(DEBUG_HEADER)
    session = uuid.uuid4().hex[:8]
    jobs = sorted({(shape, fix) for kind, shape in ROWS for fix in proof(kind, shape)})

    def build(job: tuple[str, str]) -> Built:
        shape, fix = job
        text = dockerfile(shape, fix, base.image, needspip)
        tag = f"{TAG}:{shape}-{fix.replace('+', '_')}-{session}"
        done = subprocess.run(
            ["docker", "buildx", "build", "--load", "--network=host", "--quiet", "-t", tag, "-f", "-", str(context)],
            input=text.encode(),
            capture_output=True,
            check=False,
        )
        assert done.returncode == 0, f"{shape}/{fix}:\n{text}\n{done.stderr.decode()[-3000:]}"
        return Built(shape, fix, tag, int(client.images.get(tag).attrs["Size"]))

    made: dict[tuple[str, str], Built] = {}
    try:
        with ThreadPoolExecutor(max_workers=2) as pool:
            for one in pool.map(build, jobs):
                made[(one.shape, one.fix)] = one
        yield made
    finally:
        for one in made.values():
            client.images.remove(one.tag, force=True)


@pytest.fixture(scope="module")
def inspected(
    client: docker.DockerClient, base: bases.BaseImage, built: dict[tuple[str, str], Built]
) -> dict[tuple[str, str], Inspection]:
    """Each image a proof starts from, inspected with the base it was built on."""
    return {
        (shape, fix): inspect_image(client, built[(shape, fix)].tag, base=None if shape == "scratch" else base.image_id)
        for shape, fix in sorted({(shape, proof(kind, shape)[0]) for kind, shape in ROWS})
    }


ROWS = [(kind, shape) for shape, kinds in SHAPES.items() for kind in kinds]
#: kinds whose fix removes files a kind before them claims: proven on top of that kind's fix (pip's cache: pip
#: parses a cache entry's date, which imports _strptime and writes its bytecode in the standard library)
AFTER = {"pycache": "pip", "pip-cache": "pycache"}
#: a shape whose fix of a kind brings files another kind claims, likewise: with no upgrade, the system's own pip
#: writes its bytecode when the next step runs it (pycache's), where the upgraded pip's was pip's
AFTER_IN = {("pip", "system"): "pycache"}


def proof(kind: str, shape: str) -> tuple[str, str]:
    """The two images a kind's proof compares: without its fix and with it (on top of AFTER's, where it applies)."""
    first = AFTER_IN.get((kind, shape), AFTER.get(kind))
    before = first if first in SHAPES[shape] else NONE
    return before, kind if before == NONE else f"{before}+{kind}"


@pytest.mark.parametrize(
    ("kind", "shape"),
    ROWS,
    ids=[f"{k}-{s}" for k, s in ROWS],
)
def test_a_kinds_fix_removes_what_its_finding_claimed(
    kind: str,
    shape: str,
    built: dict[tuple[str, str], Built],
    inspected: dict[tuple[str, str], Inspection],
    record_property: Callable[[str, object], None],
) -> None:
    """The bytes claimed and saved are recorded (``--junitxml``) for the figures in docs/inspect.md."""
    before, after = proof(kind, shape)
    findings = inspected[(shape, before)].findings
    added = findings[(findings["kind"] == kind) & (findings["origin"] == "added")]
    claimed = int(added["bytes"].sum())
    saved = built[(shape, before)].size - built[(shape, after)].size
    record_property("claimed", claimed)
    record_property("saved", saved)
    assert claimed > 0, f"no {kind} finding on {shape}:\n{findings[['kind', 'origin', 'bytes', 'detail']]}"
    assert saved == pytest.approx(claimed, rel=0.05), f"{kind} on {shape}: claimed {claimed}, the fix saved {saved}"
    assert added["instruction"].str.len().gt(0).all()


def test_every_kind_is_proven_on_five_shapes() -> None:
    shapes = pd.Series([kind for kind, _ in ROWS]).value_counts()
    assert set(shapes.index) == set(KINDS)
    assert (shapes >= 5).all(), shapes


def test_the_venvs_pip_is_not_offered_because_the_app_requires_it(
    inspected: dict[tuple[str, str], Inspection],
) -> None:
    for shape in ("venv", "multistage", "scratch"):
        pip = inspected[(shape, NONE)].findings
        pip = pip[(pip["kind"] == "pip") & (pip["origin"] == "added")].iloc[0]
        assert "/venv/lib/python3.11/site-packages: required by needspip 1.0" in pip.required_by
        offered = [part for part in pip.detail.split(", ") if "/venv/" in part]
        assert [part.split()[0] for part in offered] == ["setuptools"]  # the venv's setuptools, not its pip
        assert pip.required_bytes > 1_000_000


def test_the_compiler_on_a_slim_base_is_all_added_and_the_base_is_found_by_its_layers(
    client: docker.DockerClient, base: bases.BaseImage, built: dict[tuple[str, str], Built]
) -> None:
    found = inspect_image(client, built[("system", NONE)].tag)
    assert found.summary["base_id"] == base.image_id and found.summary["base_found"] == LOCAL_PREFIX
    compiler = found.findings[found.findings["kind"] == "compiler"]
    assert list(compiler["origin"]) == ["added"]
    assert (
        "RUN apt-get update && apt-get install -y --no-install-recommends gcc libc6-dev" in compiler.iloc[0].instruction
    )


def test_a_base_that_is_not_local_is_one_clear_error(
    built: dict[tuple[str, str], Built], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    image = built[("system", NONE)].tag
    assert cli.main(["inspect", image, "--base", "imgexp-test/no-such-base:0", "--out", str(tmp_path)]) == 2
    assert "imgexp-test/no-such-base:0" in capsys.readouterr().err and not (tmp_path / "inspect.csv").exists()
