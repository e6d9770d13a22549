"""Conformance: each stand-in built has what the official python image has, fact by fact.

The facts come from the official images' published Dockerfiles (docker-library/python,
e.g. 3.11/slim-bookworm and 3.11/bookworm): where CPython goes and how it is linked, what
is removed, the symlinks, ENV and CMD, the runtime packages. The 3.11 stand-ins are
always checked (bases.resolve builds them when missing); 3.9 and 3.13 only where they are
local or IMGEXP_TEST_ALL_STANDINS=1 asks for them to be built (docs/how-it-works.md).
"""

from __future__ import annotations

import os
import subprocess
import textwrap
from pathlib import Path

import docker
import pytest
from docker.errors import ImageNotFound

from imgexp.engine import bases, standins

#: python:3.11-slim-bookworm on disk, amd64: "~ 130.01 Mb" in docker-library/repo-info
#: (repos/python/local/3.11-slim-bookworm.md, python:3.11.16-slim-bookworm); the slim stand-in is held within 10 %
OFFICIAL_SLIM_BOOKWORM_BYTES = 130_010_000
ALWAYS = ("3.11",)


def _wanted(python: str) -> bool:
    return python in ALWAYS or os.environ.get("IMGEXP_TEST_ALL_STANDINS") == "1"


def _local(client: docker.DockerClient, kind: str, python: str) -> bool:
    try:
        client.images.get(standins.tag_for(kind, python))
    except ImageNotFound:
        return False
    return True


STANDINS = [(kind, python) for python in standins.DEBIAN_RELEASES for kind in ("slim", "full")]


@pytest.fixture(scope="module", params=STANDINS, ids=[f"{kind}-{python}" for kind, python in STANDINS])
def standin(request: pytest.FixtureRequest, client: docker.DockerClient) -> tuple[str, str, str]:
    """(kind, python, tag) of a stand-in, built when missing if it is one the tests always check."""
    kind, python = request.param
    if not (_wanted(python) or _local(client, kind, python)):
        pytest.skip(f"the {python} stand-ins are built only when asked (IMGEXP_TEST_ALL_STANDINS=1)")
    return kind, python, bases.resolve(client, kind, python, "standin").image


def run(client: docker.DockerClient, image: str, script: str) -> str:
    """``script``'s output in a fresh container of ``image`` (sh -c, no network); fails the test on a non-zero exit."""
    container = client.containers.run(image, ["sh", "-c", script], detach=True, network_disabled=True)
    try:
        status = container.wait()["StatusCode"]
        output = container.logs().decode(errors="replace")
    finally:
        container.remove(force=True)
    assert status == 0, f"{script!r} exited with {status} in {image}:\n{output}"
    return output


#: fact -> a shell script that exits 0 when the stand-in has it ({v}: 3.11); each runs in a fresh container
FACTS: dict[str, str] = {
    "python, pip, pydoc, idle and python-config are in /usr/local/bin": (
        "cd /usr/local/bin && for f in python3 python{v} pip3 pip{v} pydoc3 idle3 python3-config; do test -x $f; done"
        ' && for f in python pip pydoc idle; do test "$(readlink $f)" = ${{f}}3; done'
        ' && test "$(readlink python-config)" = python3-config'
    ),
    "python on PATH is /usr/local's": 'test "$(command -v python)" = /usr/local/bin/python',
    "CPython's headers": "test -f /usr/local/include/python{v}/Python.h",
    "site-packages in /usr/local": "test -d /usr/local/lib/python{v}/site-packages",
    "libpython is shared and found by rpath, with no cache": (
        "rm /etc/ld.so.cache && ldd /usr/local/bin/python{v} | grep -qF 'libpython{v}.so.1.0 => /usr/local/bin/../lib/'"
    ),
    "no static libpython": "test -z \"$(find /usr/local -name 'libpython*.a')\"",
    "no test directories": (
        'test -z "$(find /usr/local -type d \\( -name test -o -name tests -o -name idle_test \\))"'
    ),
    "no .pyc": "test -z \"$(find /usr/local -name '*.pyc' -o -name '*.pyo')\"",
    "runtime packages installed": (
        "for p in ca-certificates netbase tzdata; do"
        " dpkg-query -W -f='${{Status}}\\n' $p | grep -q 'ok installed'; done"
    ),
    "every library /usr/local's binaries load is there": (
        "! find /usr/local -type f -executable -not -name '*tkinter*' -exec ldd '{{}}' ';' | grep 'not found'"
    ),
    "the standard library's C modules import": (
        "python3 -c 'import ssl, sqlite3, ctypes, bz2, lzma, zlib, readline, dbm.gnu, uuid, pyexpat, _decimal,"
        ' curses, hashlib; sqlite3.connect(":memory:").enable_load_extension(True)\''
    ),
    "PYTHON_VERSION is the interpreter's": (
        'test "$PYTHON_VERSION" = "$(python3 -c \'import platform; print(platform.python_version())\')"'
    ),
    "pip installs into /usr/local's site-packages": (
        "python3 -m pip --version | grep -q '/usr/local/lib/python{v}/site-packages/pip'"
    ),
    "venv with pip": "python3 -m venv /tmp/venv && /tmp/venv/bin/pip --version",
    "pip trusts the system store": "grep -q 'cert = /etc/ssl/certs/ca-certificates.crt' /etc/pip.conf",
}


@pytest.mark.parametrize("fact", FACTS)
def test_the_stand_in_has_the_official_images_fact(
    client: docker.DockerClient, standin: tuple[str, str, str], fact: str
) -> None:
    _, python, image = standin
    run(client, image, FACTS[fact].format(v=python))


def test_env_and_cmd_are_the_official_ones(client: docker.DockerClient, standin: tuple[str, str, str]) -> None:
    _, python, image = standin
    config = client.images.get(image).attrs["Config"]
    env = dict(line.split("=", 1) for line in config["Env"])
    assert env["PATH"].split(":")[0] == "/usr/local/bin" and "/usr/bin" in env["PATH"].split(":")
    assert env["LANG"] == "C.UTF-8" and env["PYTHON_VERSION"].startswith(f"{python}.")
    assert config["Cmd"] == ["python3"]
    assert config["Labels"]["imgexp.role"] == "standin" and "(recipe " in config["Labels"]["imgexp.standin.recipe"]


#: a package with a C extension, built from source by pip: what user Dockerfiles' `pip install` does
_EXTENSION = {
    "pyproject.toml": """
        [build-system]
        requires = ["setuptools"]
        build-backend = "setuptools.build_meta"

        [project]
        name = "imgexp-probe"
        version = "1.0"
    """,
    "setup.py": """
        from setuptools import Extension, setup

        setup(ext_modules=[Extension("imgexp_probe", ["probe.c"])])
    """,
    "probe.c": """
        #include <Python.h>

        static PyObject *twice(PyObject *self, PyObject *arg) {
            return PyNumber_Multiply(arg, PyLong_FromLong(2));
        }
        static PyMethodDef methods[] = {{"twice", twice, METH_O, NULL}, {NULL, NULL, 0, NULL}};
        static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "imgexp_probe", NULL, -1, methods};
        PyMODINIT_FUNC PyInit_imgexp_probe(void) { return PyModule_Create(&module); }
    """,
}
#: before the build: the slim one, as user Dockerfiles do, installs gcc from Debian (over http)
_COMPILER = {
    "slim": "RUN apt-get update && apt-get install -y --no-install-recommends gcc libc6-dev"
    " && rm -rf /var/lib/apt/lists/*\n",
    "full": "",
}


def build(tmp_path: Path, image: str, body: str, files: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """``docker buildx build`` of ``FROM image`` + ``body`` with ``files`` in the context, into the engine."""
    for name, text in files.items():
        (tmp_path / name).write_text(textwrap.dedent(text).lstrip())
    (tmp_path / "Dockerfile").write_text(f"FROM {image}\n{body}")
    tag = f"imgexp-test/standin-probe:{tmp_path.name.lower()}"
    argv = ["docker", "buildx", "build", "--load", "--network=host", "--progress=plain", "-t", tag, str(tmp_path)]
    done = subprocess.run(argv, capture_output=True, text=True)
    subprocess.run(["docker", "image", "rm", "-f", tag], capture_output=True)
    return done


def test_a_c_extension_builds_with_pip(tmp_path: Path, standin: tuple[str, str, str]) -> None:
    kind, _, image = standin
    body = _COMPILER[kind] + (
        "COPY . /src\n"
        "RUN pip install --no-build-isolation --no-cache-dir /src"
        " && python -c 'import imgexp_probe; assert imgexp_probe.twice(21) == 42'"
        " && test -n \"$(find /usr/local/lib/python3*/site-packages -name 'imgexp_probe*.so')\"\n"
    )
    done = build(tmp_path, image, body, _EXTENSION)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]


def test_the_slim_stand_in_is_the_official_size(client: docker.DockerClient) -> None:
    image = bases.resolve(client, "slim", "3.11", "standin")
    assert abs(image.size_bytes - OFFICIAL_SLIM_BOOKWORM_BYTES) <= 0.10 * OFFICIAL_SLIM_BOOKWORM_BYTES, (
        f"{image.image} is {image.size_bytes / 1e6:.1f} MB; python:3.11-slim-bookworm is "
        f"{OFFICIAL_SLIM_BOOKWORM_BYTES / 1e6:.2f} MB"
    )


def test_the_slim_stand_in_has_no_compiler(client: docker.DockerClient) -> None:
    image = bases.resolve(client, "slim", "3.11", "standin").image
    installed = "dpkg-query -W -f='${db:Status-Abbrev} ${Package}\\n' | awk '$1 == \"ii\" { print $2 }'"
    run(client, image, f"! command -v gcc && ! command -v make && ! {installed} | grep -- '-dev$'")
