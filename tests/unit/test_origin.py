"""The smaller base a finding's base part names: the slim variant of a full python base, from the bases' own names."""

from __future__ import annotations

import pytest

from imgexp.audit.origin import smaller_base
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
