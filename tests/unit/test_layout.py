"""The package's layout: no module imports one that imports it back, and each layer says what it does."""

from __future__ import annotations

import ast
import importlib
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

PACKAGE = Path(importlib.import_module("imgexp").__file__ or "").parent
SUBPACKAGES = ("engine", "measure", "report", "audit")


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path, modules: set[str]) -> Iterator[str]:
    """The imgexp modules a file imports (``from . import x`` counts as importing ``x``)."""
    name = _module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            base = package.split(".")[: len(package.split(".")) - node.level + 1] if node.level else []
            target = ".".join([*base, *([node.module] if node.module else [])])
            for alias in node.names:
                found = f"{target}.{alias.name}"
                yield found if found in modules else target
        elif isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)


def _graph() -> dict[str, set[str]]:
    paths = {_module_name(p): p for p in PACKAGE.rglob("*.py") if "_data" not in p.parts}
    modules = set(paths)
    return {name: {m for m in _imports(path, modules) if m in modules and m != name} for name, path in paths.items()}


def test_no_module_imports_one_that_imports_it_back() -> None:
    graph = _graph()
    cycles = []

    def visit(module: str, stack: list[str]) -> None:
        for imported in sorted(graph[module]):
            if imported in stack:
                cycles.append(" -> ".join([*stack[stack.index(imported) :], imported]))
            elif imported not in visited:
                visited.add(imported)
                visit(imported, [*stack, imported])

    visited: set[str] = set()
    for module in sorted(graph):
        visit(module, [module])
    assert not cycles, "import cycles: " + "; ".join(sorted(set(cycles)))


def test_a_cycle_is_found_when_there_is_one(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The cycle finder itself: two modules importing each other are reported."""
    fake = tmp_path / "imgexp"
    fake.mkdir()
    (fake / "__init__.py").write_text("")
    (fake / "a.py").write_text("from . import b\n")
    (fake / "b.py").write_text("from .a import thing\n")
    monkeypatch.setattr(sys.modules[__name__], "PACKAGE", fake)
    with pytest.raises(AssertionError, match=r"imgexp\.a -> imgexp\.b -> imgexp\.a"):
        test_no_module_imports_one_that_imports_it_back()


@pytest.mark.parametrize("subpackage", SUBPACKAGES)
def test_each_layer_says_what_it_does(subpackage: str) -> None:
    doc = importlib.import_module(f"imgexp.{subpackage}").__doc__ or ""
    assert doc.strip(), f"imgexp/{subpackage}/__init__.py has no docstring"
    assert len(doc.strip().splitlines()[0]) <= 100
