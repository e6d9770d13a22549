"""The smaller base a finding's base part names: the slim variant of a full python base, from the bases' own names."""

from __future__ import annotations

import pytest

from imgexp.audit.origin import GIVEN, given_base, smaller_base
from imgexp.engine import bases, standins


@pytest.mark.parametrize(
    ("image", "python", "smaller"),
    [
        (bases.KINDS["full"][1].format(python="3.11"), "3.11", bases.KINDS["slim"][1].format(python="3.11")),
        (standins.tag_for("full", "3.11"), "", standins.tag_for("slim", "3.11")),
        ("python:3.12-bookworm", "3.12", "python:3.12-slim-bookworm"),
        ("debian:bookworm", "", "debian:bookworm-slim"),
        (bases.KINDS["slim"][1].format(python="3.11"), "3.11", ""),
        ("python:3.11-alpine", "3.11", ""),
        ("ubuntu:24.04", "", ""),
        ("sha256:0123", "", ""),
    ],
)
def test_the_smaller_base_is_the_slim_variant_of_a_full_one(image: str, python: str, smaller: str) -> None:
    assert smaller_base(image, python) == smaller


def _config(*layers: str, env: tuple[str, ...] = ()) -> dict:
    return {"rootfs": {"type": "layers", "diff_ids": list(layers)}, "config": {"Env": list(env)}}


@pytest.mark.parametrize(
    ("image_layers", "base_layers", "shared"),
    [
        (("a", "b", "c"), ("a", "b"), 2),
        (("a", "b"), ("a", "b"), 2),
        (("a", "b", "c"), ("x", "b"), 0),
        (("a",), ("a", "b"), 1),
    ],
)
def test_a_base_read_from_its_registry_owns_the_layers_its_config_shares(
    image_layers: tuple[str, ...], base_layers: tuple[str, ...], shared: int
) -> None:
    base = given_base("reg/python:3.12-bookworm", _config(*image_layers), "sha256:cfg", _config(*base_layers))
    assert (base.layers, base.image_id, base.how) == (shared, "sha256:cfg", GIVEN)


def test_a_base_read_from_its_registry_names_its_slim_variant_as_a_local_one() -> None:
    full, config = standins.tag_for("full", "3.11"), _config("a", env=("PYTHON_VERSION=3.11.2",))
    assert given_base(full, _config("a", "b"), "sha256:cfg", config).smaller == standins.tag_for("slim", "3.11")
