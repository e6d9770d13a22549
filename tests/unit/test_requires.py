"""What installed distributions require of each other: markers, extras, environments, from METADATA made here."""

from __future__ import annotations

import pytest

from imgexp.audit.requires import distributions, environment_of, required_by

VENV = "opt/venv/lib/python3.11/site-packages"
SYSTEM = "usr/local/lib/python3.11/site-packages"
USER = "root/.local/lib/python3.11/site-packages"
OLD = "usr/local/lib/python3.7/site-packages"
#: httpie 3.2.4's own Requires-Dist lines, as its METADATA has them (abridged)
HTTPIE = (
    "Name: httpie\nVersion: 3.2.4\nProvides-Extra: dev\nProvides-Extra: test\n"
    "Requires-Dist: pip\nRequires-Dist: charset-normalizer>=2.0.0\nRequires-Dist: defusedxml>=0.6.0\n"
    "Requires-Dist: requests[socks]>=2.22.0\nRequires-Dist: setuptools\n"
    'Requires-Dist: importlib-metadata>=1.4.0; python_version < "3.8"\n'
    'Requires-Dist: colorama>=0.2.4; sys_platform == "win32"\n'
    'Requires-Dist: pytest; extra == "test"\n'
)
REQUESTS = (
    "Name: requests\nVersion: 2.32.3\nProvides-Extra: socks\nProvides-Extra: use-chardet-on-py3\n"
    'Requires-Dist: idna<4,>=2.5\nRequires-Dist: PySocks!=1.5.7,>=1.5.6; extra == "socks"\n'
    'Requires-Dist: chardet<6,>=3.0.2; extra == "use-chardet-on-py3"\n'
)


def _meta(name: str, version: str, *requires: str) -> str:
    return f"Name: {name}\nVersion: {version}\n" + "".join(f"Requires-Dist: {r}\n" for r in requires)


Files = dict[str, tuple[int, int]]


def _image(metadata: dict[str, str], venvs: tuple[str, ...] = ("opt/venv",)) -> tuple[dict[str, str], Files]:
    files = dict.fromkeys(metadata, (0, 1)) | {f"{v}/pyvenv.cfg": (0, 1) for v in venvs}
    return metadata, files


def _required(
    metadata: dict[str, str], venvs: tuple[str, ...] = ("opt/venv",), arch: str = "amd64"
) -> dict[tuple[str, str], list[str]]:
    metadata, files = _image(metadata, venvs)
    return required_by(distributions(metadata, files), files, arch)


def test_httpie_requires_pip_setuptools_and_pysocks_through_requests_socks_but_not_its_markers_false() -> None:
    names = ["pip", "setuptools", "wheel", "PySocks", "idna", "importlib_metadata", "colorama"]
    metadata = {
        f"{VENV}/httpie-3.2.4.dist-info/METADATA": HTTPIE,
        f"{VENV}/requests-2.32.3.dist-info/METADATA": REQUESTS,
    }
    metadata |= {f"{VENV}/{n}-1.0.dist-info/METADATA": _meta(n, "1.0") for n in names}
    required = _required(metadata)
    assert required[(VENV, "pip")] == ["httpie 3.2.4"]
    assert required[(VENV, "setuptools")] == ["httpie 3.2.4"]
    assert required[(VENV, "pysocks")] == ["requests 2.32.3"]  # requests[socks]: the extra brings it
    assert required[(VENV, "idna")] == ["requests 2.32.3"]
    for free in ("wheel", "importlib-metadata", "colorama"):
        assert (VENV, free) not in required, free  # no one requires it; python < 3.8; win32


def test_an_extra_whose_requirements_are_all_installed_counts_as_asked_for() -> None:
    metadata = {
        f"{VENV}/app-1.dist-info/METADATA": _meta("app", "1", "pip; extra == 'build'", "six; extra == 'build'"),
        f"{VENV}/six-1.dist-info/METADATA": _meta("six", "1"),
        f"{VENV}/pip-24.dist-info/METADATA": _meta("pip", "24"),
    }
    metadata[f"{VENV}/app-1.dist-info/METADATA"] += "Provides-Extra: build\n"
    assert _required(metadata)[(VENV, "pip")] == ["app 1"]
    del metadata[f"{VENV}/six-1.dist-info/METADATA"]  # the extra is not whole: pip was not brought by it
    assert (VENV, "pip") not in _required(metadata)


def test_a_requirement_is_met_only_within_its_environment() -> None:
    metadata = {
        f"{VENV}/app-1.dist-info/METADATA": _meta("app", "1", "pip"),
        f"{SYSTEM}/pip-24.dist-info/METADATA": _meta("pip", "24"),
        f"{USER}/tool-1.dist-info/METADATA": _meta("tool", "1", "setuptools"),
        f"{SYSTEM}/setuptools-70.dist-info/METADATA": _meta("setuptools", "70"),
    }
    required = _required(metadata)
    assert (SYSTEM, "pip") not in required  # the venv's app cannot import the system's pip
    assert required[(SYSTEM, "setuptools")] == ["tool 1"]  # the user site and the system site are one Python's
    metadata, files = _image(metadata)
    found = distributions(metadata, files)
    environment = environment_of(found, files)
    assert environment[USER] == environment[SYSTEM] != environment[VENV]


@pytest.mark.parametrize(
    ("marker", "arch", "python", "required"),
    [
        ("platform_machine == 'aarch64'", "arm64", "3.11", True),
        ("platform_machine == 'aarch64'", "amd64", "3.11", False),
        ("python_version < '3.8'", "amd64", "3.7", True),
        ("python_version < '3.8'", "amd64", "3.11", False),
        ("implementation_name == 'pypy'", "amd64", "3.11", False),
    ],
)
def test_markers_are_evaluated_for_the_images_python_and_platform(
    marker: str, arch: str, python: str, required: bool
) -> None:
    site = OLD if python == "3.7" else SYSTEM
    metadata = {
        f"{site}/app-1.dist-info/METADATA": _meta("app", "1", f"pip; {marker}"),
        f"{site}/pip-24.dist-info/METADATA": _meta("pip", "24"),
    }
    assert ((site, "pip") in _required(metadata, venvs=(), arch=arch)) is required


def test_a_distribution_a_later_layer_removed_requires_nothing() -> None:
    metadata = {
        f"{VENV}/app-1.dist-info/METADATA": _meta("app", "1", "pip"),
        f"{VENV}/pip-24.dist-info/METADATA": _meta("pip", "24"),
    }
    files = {f"{VENV}/pip-24.dist-info/METADATA": (0, 1), "opt/venv/pyvenv.cfg": (0, 1)}
    assert required_by(distributions(metadata, files), files) == {}
