"""The bytes strip removes, read from ELF section headers, against the real `strip --strip-unneeded`."""

from __future__ import annotations

import io
import shutil
import subprocess
from pathlib import Path

import pytest

from imgexp.audit import elf
from imgexp.audit.elf import StoredLayer, layer_strippable, strippable_bytes, strippable_files, strippable_sections
from imgexp.measure.layercache import LayerCache
from imgexp.measure.layertar import FILE

needs_toolchain = pytest.mark.skipif(not (shutil.which("gcc") and shutil.which("strip")), reason="no gcc or strip")
SOURCE = "int answer(int x) { static int calls; calls++; return x * 42 + calls; }\n" * 1 + "".join(
    f"static int helper{i}(int x) {{ return x + {i}; }}\nint api{i}(int x) {{ return helper{i}(x); }}\n"
    for i in range(200)
)


def _shared_object(tmp_path: Path, *flags: str) -> Path:
    source, built = tmp_path / "lib.c", tmp_path / "libdemo.so"
    source.write_text(SOURCE)
    subprocess.run(["gcc", "-shared", "-fPIC", *flags, "-o", str(built), str(source)], check=True)
    return built


def _saved_by_strip(path: Path, tmp_path: Path) -> int:
    copy = tmp_path / "stripped.so"
    shutil.copyfile(path, copy)
    subprocess.run(["strip", "--strip-unneeded", str(copy)], check=True)
    return path.stat().st_size - copy.stat().st_size


@needs_toolchain
@pytest.mark.parametrize("flags", [("-g",), ("-g", "-O2"), ()], ids=["debug", "debug-O2", "symbols-only"])
def test_promise_is_what_strip_removes_never_more(tmp_path: Path, flags: tuple[str, ...]) -> None:
    built = _shared_object(tmp_path, *flags)
    with built.open("rb") as file:
        promised, sections = strippable_bytes(file), strippable_sections(file)
    saved = _saved_by_strip(built, tmp_path)
    assert ".symtab" in sections and (".debug_info" in sections) == ("-g" in flags)
    assert 0 < promised <= saved  # never promises a byte strip does not remove
    assert promised >= 0.8 * saved  # and not far below: strip also drops their headers and names


@needs_toolchain
def test_a_stripped_object_promises_nothing(tmp_path: Path) -> None:
    built = _shared_object(tmp_path, "-g")
    subprocess.run(["strip", "--strip-unneeded", str(built)], check=True)
    with built.open("rb") as file:
        assert strippable_bytes(file) == 0


@pytest.mark.parametrize("data", [b"", b"\x7fELF", b"not an elf file at all" * 10, b"\x7fELF\x02\x01" + b"\xff" * 80])
def test_what_is_not_well_formed_elf_counts_zero(data: bytes) -> None:
    assert strippable_bytes(io.BytesIO(data)) == 0


def test_a_layers_shared_objects_are_read_once_and_a_changed_layer_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The ELF figures are kept with the layer's cache key; a layer under another key (changed) is read again."""
    diff = tmp_path / "diff"
    so = "usr/local/lib/python3.11/site-packages/pkg/_ext.so"
    (diff / so).parent.mkdir(parents=True)
    (diff / so).write_bytes(b"\x7fELF")
    entries = [(so, FILE, 4), ("usr/local/lib/python3.11/site-packages/pkg/mod.py", FILE, 1)]
    read: list[str] = []
    monkeypatch.setattr(elf, "strippable_bytes", lambda file: read.append(file.name) or 7)
    cache = LayerCache(tmp_path / "cache")
    for key in ("chain-a-1", "chain-a-1", "chain-a-2"):
        found = layer_strippable(StoredLayer(str(diff), key), entries, cache)
        assert found == {so: 7}
    assert len(read) == 2  # the second look at chain-a-1 came from the cache
    files = {so: (0, 4)}
    assert strippable_files(files, [StoredLayer(str(diff), "chain-a-1")], [entries], cache) == {so: 7}
    assert strippable_files({so: (1, 4)}, [StoredLayer(str(diff), "chain-a-1")], [entries], cache) == {}
