"""The stand-ins' recipe: what it installs, what its labels say, and when bases.resolve rebuilds one."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from docker.errors import ImageNotFound

from imgexp.engine import bases, standins


@pytest.mark.parametrize(
    ("kind", "python", "tag", "root"),
    [
        ("slim", "3.11", "imgexp/python:3.11-slim-bookworm", "imgexp/standin-root:bookworm-slim"),
        ("full", "3.11", "imgexp/python:3.11-bookworm", "imgexp/standin-root:bookworm"),
        ("slim", "3.9", "imgexp/python:3.9-slim-bullseye", "imgexp/standin-root:bullseye-slim"),
        ("full", "3.13", "imgexp/python:3.13-trixie", "imgexp/standin-root:trixie"),
    ],
)
def test_tags_mirror_the_official_ones(kind: str, python: str, tag: str, root: str) -> None:
    assert standins.tag_for(kind, python) == tag
    assert standins.root_tag(kind, standins.DEBIAN_RELEASES[python]) == root
    assert standins.build_args(kind, python)[f"{kind.upper()}_ROOT"] == root


@pytest.mark.parametrize(
    ("kind", "release", "has", "lacks"),
    [
        ("slim", "bookworm", {"ca-certificates", "netbase", "tzdata"}, {"gcc", "python3", "python3-wheel-whl"}),
        ("full", "bookworm", {"gcc", "tk-dev", "uuid-dev", "libexpat1-dev", "python3-wheel-whl"}, {"python3-dev"}),
        ("full", "bullseye", {"python-wheel-common"}, {"python3-wheel-whl"}),
        ("full", "trixie", {"libssl-dev"}, {"python3-wheel-whl", "python-wheel-common"}),
    ],
)
def test_the_roots_packages(kind: str, release: str, has: set[str], lacks: set[str]) -> None:
    argv = standins.command(kind, release, "http://mirror.example/debian")
    included = set(argv[2].removeprefix("--include=").split(","))
    assert has <= included and not lacks & included
    assert argv[-3:] == [release, "-", "http://mirror.example/debian"]
    assert any("path-exclude=/usr/share/man/*" in arg for arg in argv) == (kind == "slim")
    assert "--hook-dir=/usr/share/mmdebstrap/hooks/maybe-merged-usr" in argv  # no usrmerge package, so no perl


def test_the_recipe_compiles_with_the_official_options_and_no_pyc() -> None:
    recipe = (standins.RECIPE / "Dockerfile").read_text()
    for option in ("--enable-loadable-sqlite-extensions", "--enable-option-checking=fatal", "--enable-shared",
                   "--with-ensurepip", "--with-system-expat", "-rpath='\\$\\$ORIGIN/../lib'"):  # fmt: skip
        assert option in recipe
    assert "'*.pyc'" in recipe and "PYTHONDONTWRITEBYTECODE=1" in recipe
    assert recipe.count('CMD ["python3"]') == 2 and recipe.count("LANG=C.UTF-8 PYTHON_VERSION=") == 2


def test_the_recipe_label_names_a_digest_of_the_whole_recipe(monkeypatch: pytest.MonkeyPatch) -> None:
    recipe = standins.recipe("slim", "3.11")
    assert "bookworm" in recipe and "(recipe " in recipe
    assert recipe != standins.recipe("full", "3.11")
    for change in (
        lambda: monkeypatch.setitem(standins.PACKAGES, "slim", [*standins.PACKAGES["slim"], "curl"]),
        lambda: monkeypatch.setitem(standins.PACKAGES, "full", [*standins.PACKAGES["full"], "curl"]),  # compiles
        lambda: monkeypatch.setattr(standins, "OPTIMIZATIONS", "--enable-optimizations --with-lto"),
    ):
        change()
        assert standins.recipe("slim", "3.11") != recipe
        monkeypatch.undo()
    monkeypatch.setenv("IMGEXP_DEBIAN_MIRROR", "http://mirror.example/debian")  # where, not what
    assert standins.recipe("slim", "3.11") == recipe


def test_the_recipe_label_changes_with_the_recipe_files(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    recipe = standins.recipe("full", "3.11")
    for name in ("Dockerfile", "trust-host-ca.py"):
        (tmp_path / name).write_text((standins.RECIPE / name).read_text())
    monkeypatch.setattr(standins, "RECIPE", tmp_path)
    assert standins.recipe("full", "3.11") == recipe
    (tmp_path / "Dockerfile").write_text((tmp_path / "Dockerfile").read_text() + "# changed\n")
    assert standins.recipe("full", "3.11") != recipe


def test_the_host_ca_label() -> None:
    assert standins.host_ca_label(None) == "none"


def test_the_host_bundle_label_is_its_sha256(tmp_path: Path) -> None:
    bundle = tmp_path / "host.pem"
    bundle.write_text("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n")
    assert len(standins.host_ca_label(bundle)) == 64 and standins.host_ca_label(bundle) != "none"


class _Images:
    """A fake engine's images: one stand-in with ``labels``; bootstrap records that it ran."""

    def __init__(self, labels: dict[str, str] | None) -> None:
        self.labels = labels
        self.removed: list[str] = []

    def remove(self, ref: str) -> None:
        self.removed.append(ref)

    def get(self, ref: str) -> Any:
        if self.labels is None:
            raise ImageNotFound(ref)
        return SimpleNamespace(labels=self.labels, attrs={"Id": "sha256:abc", "Size": 1, "RepoDigests": []})


@pytest.mark.parametrize(
    ("labels", "rebuilt"),
    [
        (None, True),
        ({"imgexp.standin.recipe": "mmdebstrap --variant=minbase bookworm + 6 packages"}, True),
        ("current", False),
    ],
)
def test_resolve_rebuilds_a_stand_in_of_another_recipe(
    monkeypatch: pytest.MonkeyPatch, labels: Any, rebuilt: bool
) -> None:
    monkeypatch.setattr(bases, "host_ca_bundle", lambda: None)
    if labels == "current":
        labels = {"imgexp.standin.recipe": standins.recipe("slim", "3.11"), "imgexp.standin.host-ca": "none"}
    images = _Images(labels)
    calls: list[str] = []

    def bootstrap(client: Any, kind: str, python: str, log: Any = None, ca_bundle: Path | None = None) -> str:
        calls.append(kind)
        images.labels = {"imgexp.standin.recipe": standins.recipe(kind, python), "imgexp.standin.host-ca": "none"}
        return "sha256:abc"

    monkeypatch.setattr(standins, "bootstrap", bootstrap)
    base = bases.resolve(SimpleNamespace(images=images), "slim", "3.11", "standin")  # type: ignore[arg-type]
    assert calls == (["slim"] if rebuilt else [])
    assert images.removed == (["sha256:abc"] if rebuilt and labels else [])  # the stale one goes
    assert base.standin and base.host_ca == "none"
