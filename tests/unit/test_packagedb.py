"""The package database read from an image (dpkg, apk) and the toolchain: what `apt-get purge` + autoremove takes."""

from __future__ import annotations

import pytest

from imgexp.audit.packagedb import APT_STATES, DPKG_STATUS, SystemPackage, system_packages, toolchain


def _status(*paragraphs: str) -> str:
    return "\n\n".join(paragraphs) + "\n"


def _pkg(name: str, depends: str = "", extra: str = "") -> str:
    text = f"Package: {name}\nStatus: install ok installed\nVersion: 1.0\n"
    return text + (f"Depends: {depends}\n" if depends else "") + extra


def _packages(*paragraphs: str) -> dict[str, SystemPackage]:
    return system_packages({DPKG_STATUS: _status(*paragraphs)})


#: (status paragraphs, the toolchain)
CASES = {
    "a-compiler-and-what-only-it-needs": (
        [
            _pkg("gcc-12", "cpp-12 (= 1), libisl23, libc6"),
            _pkg("cpp-12", "libmpc3"),
            _pkg("libisl23"),
            _pkg("libmpc3"),
            _pkg("libc6"),
            _pkg("bash", "libc6"),
        ],
        {"gcc-12", "cpp-12", "libisl23", "libmpc3"},
    ),
    "a-library-another-package-needs-stays": (
        [
            _pkg("python3-dev", "libpython3.11-dev, python3"),
            _pkg("libpython3.11-dev", "libexpat1"),
            _pkg("libexpat1"),
            _pkg("python3", "libexpat1"),
            _pkg("python3-venv", "python3"),
        ],
        {"python3-dev", "libpython3.11-dev"},
    ),
    "recommends-count-as-needs": (
        [_pkg("gcc", "", "Recommends: libc6-dev\n"), _pkg("libc6-dev", "linux-libc-dev"), _pkg("linux-libc-dev")],
        {"gcc", "libc6-dev", "linux-libc-dev"},
    ),
    "alternatives-and-provided-names": (
        [
            _pkg("build-essential", "make | make-guile, c-compiler"),
            _pkg("make"),
            _pkg("gcc-12", "", "Provides: c-compiler\n"),
        ],
        {"build-essential", "make", "gcc-12"},
    ),
    "essential-and-required-stay": (
        [
            _pkg("dpkg-dev", "perl-base, tar"),
            _pkg("perl-base", "", "Essential: yes\n"),
            _pkg("tar", "", "Priority: required\n"),
        ],
        {"dpkg-dev"},
    ),
    "a-cycle-only-the-toolchain-reaches-goes": (
        [
            _pkg("python3-dev", "python3"),
            _pkg("python3", "python3.11"),
            _pkg("python3.11", "python3.11-minimal"),
            _pkg("python3.11-minimal", "", "Recommends: python3.11\n"),
            _pkg("bash"),
        ],
        {"python3-dev", "python3", "python3.11", "python3.11-minimal"},
    ),
    "a-cycle-a-kept-package-reaches-stays": (
        [
            _pkg("python3-dev", "python3"),
            _pkg("python3", "python3.11"),
            _pkg("python3.11", "python3.11-minimal"),
            _pkg("python3.11-minimal", "", "Recommends: python3.11\n"),
            _pkg("python3-venv", "python3"),
        ],
        {"python3-dev"},
    ),
    "a-leaf-nobody-needs-is-not-pulled-in": ([_pkg("gcc"), _pkg("curl")], {"gcc"}),
    "no-toolchain": ([_pkg("bash"), _pkg("libc6")], set()),
    "a-removed-package-is-not-installed": (
        [_pkg("gcc"), "Package: g++\nStatus: deinstall ok config-files\n"],
        {"gcc"},
    ),
}


@pytest.mark.parametrize(("paragraphs", "expected"), CASES.values(), ids=CASES.keys())
def test_the_toolchain_is_what_purge_and_autoremove_would_take(paragraphs: list[str], expected: set[str]) -> None:
    assert toolchain(_packages(*paragraphs)) == expected


def test_apts_record_of_what_it_installed_as_a_dependency_decides_what_was_asked_for() -> None:
    """ca-certificates and openssl need each other and were asked for by name (a base's runtime); python3.11
    was installed for python3-dev only, and a package that apt installed as a dependency goes with what needed it."""
    status = _status(
        _pkg("python3-dev", "python3.11"),
        _pkg("python3.11", "libssl3, media-types", "Recommends: ca-certificates\n"),
        _pkg("ca-certificates", "openssl"),
        _pkg("openssl", "libssl3", "Recommends: ca-certificates\n"),
        _pkg("libssl3"),
        _pkg("media-types"),
    )
    states = "".join(
        f"Package: {name}\nArchitecture: amd64\nAuto-Installed: {auto}\n\n"
        for name, auto in [("python3.11", 1), ("media-types", 1), ("libssl3", 0)]
    )
    packages = system_packages({DPKG_STATUS: status, APT_STATES: states})
    assert [packages[n].auto for n in ("python3.11", "openssl", "libssl3")] == [True, False, False]
    assert toolchain(packages) == {"python3-dev", "python3.11", "media-types"}
    assert toolchain(system_packages({DPKG_STATUS: status})) == {"python3-dev", "python3.11", "media-types",
                                                                 "ca-certificates", "openssl", "libssl3"}  # fmt: skip


def test_dpkg_lists_give_each_package_its_files_multiarch_names_included() -> None:
    packages = system_packages(
        {
            DPKG_STATUS: _status(_pkg("gcc-12"), _pkg("libc6")),
            "var/lib/dpkg/info/gcc-12.list": "/.\n/usr/bin/gcc-12\n/usr/lib\n",
            "var/lib/dpkg/info/libc6:amd64.list": "/lib/x86_64-linux-gnu/libc.so.6\n",
        }
    )
    assert packages["gcc-12"].files == {".", "usr/bin/gcc-12", "usr/lib"}
    assert packages["libc6"].files == {"lib/x86_64-linux-gnu/libc.so.6"}
    assert packages["gcc-12"].version == "1.0"


def test_apk_installed_gives_packages_files_and_dependencies() -> None:
    installed = (
        "P:gcc\nV:13.2\nD:binutils so:libc.musl-x86_64.so.1 musl-dev>=1\nF:usr/bin\nR:gcc\n\n"
        "P:binutils\nV:2.41\nF:usr/bin\nR:ld\n\n"
        "P:musl-dev\nV:1.2\nF:usr/include\nR:stdio.h\n\n"
        "P:musl\nV:1.2\np:so:libc.musl-x86_64.so.1=1\nF:lib\nR:ld-musl-x86_64.so.1\n\n"
        "P:busybox\nV:1\nD:so:libc.musl-x86_64.so.1\n"
    )
    packages = system_packages({"lib/apk/db/installed": installed})
    assert packages["gcc"].files == {"usr/bin/gcc"} and packages["gcc"].version == "13.2"
    assert toolchain(packages) == {"gcc", "binutils", "musl-dev"}


def test_no_package_database_means_no_packages() -> None:
    assert system_packages({}) == {}
