"""The package's namespace: every public name resolves to its definition, and importing the package is cheap."""

from __future__ import annotations

import importlib
import subprocess
import sys

import pytest

import imgexp
from imgexp import errors


@pytest.mark.parametrize("name", sorted(imgexp._HOMES))
def test_each_name_imported_on_use_is_its_home_modules(name: str) -> None:
    home = importlib.import_module(imgexp._HOMES[name], "imgexp")
    assert getattr(imgexp, name) is getattr(home, name)


def test_the_public_names_are_those_imported_on_use_the_errors_and_the_version() -> None:
    named_errors = {name for name in imgexp.__all__ if getattr(errors, name, None) is getattr(imgexp, name)}
    assert all(issubclass(getattr(errors, name), errors.ImgexpError) for name in named_errors)
    assert set(imgexp.__all__) == {*imgexp._HOMES, *named_errors, "__version__"}


def test_an_unknown_name_is_an_attribute_error() -> None:
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        _ = imgexp.nope  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("statement", "left_out"),
    [
        ("import imgexp", ("pandas", "numpy", "docker", "matplotlib", "imgexp.experiment")),
        # a measurement or an inspection: not the builders, the derivation or the charts
        ("import imgexp.measure.scan", ("imgexp.experiment", "imgexp.derive", "imgexp.attribution", "matplotlib")),
        ("import imgexp.audit.image", ("imgexp.experiment", "imgexp.derive", "imgexp.attribution", "matplotlib")),
    ],
)
def test_importing_leaves_out_what_is_not_used(statement: str, left_out: tuple[str, ...]) -> None:
    check = f"import sys; {statement}; print(' '.join(m for m in {left_out!r} if m in sys.modules))"
    done = subprocess.run([sys.executable, "-c", check], capture_output=True, text=True, check=True)
    assert done.stdout.split() == []
