"""The stand-ins' recipe: what it installs, what its labels say, and when bases.resolve rebuilds one."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from docker.errors import ImageNotFound

from imgexp.engine import bases, standins


def test_both_stand_ins_get_pip_and_allow_installs() -> None:
    for kind in ("full", "slim"):
        hooks = " ".join(arg for arg in standins.command(kind, "3.11") if arg.startswith("--customize-hook"))
        assert "EXTERNALLY-MANAGED" in hooks
        assert "pip setuptools wheel" in hooks
        assert "cert = /etc/ssl/certs/ca-certificates.crt" in hooks
        assert "python3-pip-whl" in standins.command(kind, "3.11")[2]


def test_the_host_bundle_goes_into_the_system_store_only_when_given(tmp_path: Path) -> None:
    bundle = tmp_path / "host.pem"
    bundle.write_text("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n")
    with_ca = standins.command("slim", "3.11", bundle)
    assert f"--customize-hook=upload {bundle} {standins.HOST_CA_IN_ROOT}" in with_ca
    assert any("update-ca-certificates" in arg for arg in with_ca)
    assert not any("upload" in arg for arg in standins.command("slim", "3.11"))
    assert standins.host_ca_label(None) == "none"
    assert len(standins.host_ca_label(bundle)) == 64


def test_the_recipe_label_names_a_digest_of_the_recipe(monkeypatch: pytest.MonkeyPatch) -> None:
    recipe = standins.recipe("slim", "3.11")
    assert "bookworm" in recipe and "(recipe " in recipe
    assert recipe != standins.recipe("full", "3.11")
    monkeypatch.setitem(standins.PACKAGES, "slim", [*standins.PACKAGES["slim"], "curl"])
    assert standins.recipe("slim", "3.11") != recipe


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


@pytest.mark.parametrize(
    ("python", "release", "pip"),
    [
        ("3.9", "bullseye", "python3-pip"),
        ("3.11", "bookworm", "python3-pip-whl"),
        ("3.13", "trixie", "python3-pip-whl"),
    ],
)
def test_each_python_has_its_debian_release_and_a_pip(python: str, release: str, pip: str) -> None:
    for kind in ("full", "slim"):
        argv = standins.command(kind, python)
        assert argv[-3] == release and pip in argv[2].split(",")
        assert any("/etc/pip.conf" in arg for arg in argv)
    assert standins.tag_for("slim", python) == f"imgexp/python-standin:{python}-slim"
