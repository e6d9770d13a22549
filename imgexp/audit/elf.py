"""The bytes `strip --strip-unneeded` removes from a shared object, read from its ELF section headers.

Counted: the sections a shared object does not need at run time and strip removes, those
not loaded (no SHF_ALLOC) and holding bytes in the file: debug information (``.debug_*``,
``.zdebug_*``) and the full symbol table (``.symtab`` with its ``.strtab``); the dynamic
symbols (``.dynsym``, ``.dynstr``) stay. Only sections after everything loaded count: strip
moves no loaded byte, so a section before one (as patchelf leaves them) may free no byte of
the file. Their sizes are a lower bound of what strip saves
(it also drops their section headers and names), so a finding built on them promises no
byte that stripping would not remove. Anything that is not a well-formed ELF file counts 0.
"""

from __future__ import annotations

import os
import re
import struct
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import docker

from ..measure.layercache import LayerCache
from ..measure.layerstore import Folders, cache_key, chain_ids, open_store
from ..measure.layertar import FILE
from ..measure.waste import Entry

MAGIC = b"\x7fELF"
SHF_ALLOC = 0x2
SHT_NOBITS = 8
DEBUG_PREFIXES = (".debug_", ".zdebug_")
SYMBOL_TABLES = frozenset({".symtab", ".strtab"})
#: the shared objects read: extensions and libraries in site-packages and the interpreter's lib-dynload
SHARED_OBJECTS = re.compile(r"(?:/(?:site|dist)-packages/|/lib-dynload/).*\.so(?:\.[0-9.]+)?$")
#: the layer cache's part that keeps each layer's strippable bytes
ELF_PART = "elf"


@dataclass(frozen=True)
class StoredLayer:
    """A layer of an image in the engine's overlay2 store."""

    diff: str
    """its ``diff`` folder (symlinks resolved)"""
    key: str
    """its key in the layer cache (imgexp.measure.layercache)"""


def stored_layers(client: docker.DockerClient, image_id: str) -> list[StoredLayer] | None:
    """Each layer of the image in the engine's overlay2 store, bottom first; None when not readable here."""
    store = open_store(client)
    if store is None:
        return None
    diff_ids = client.api.inspect_image(image_id)["RootFS"]["Layers"]
    try:
        return [StoredLayer(store.diff_folder(chain), cache_key(store, chain)) for chain in chain_ids(diff_ids)]
    except OSError:
        return None


def layer_diffs(client: docker.DockerClient, image_id: str) -> list[Path] | None:
    """Each layer's ``diff`` folder in the engine's overlay2 store, bottom first; None when not readable here."""
    layers = stored_layers(client, image_id)
    return None if layers is None else [Path(layer.diff) for layer in layers]


def strippable_files(
    files: Mapping[str, tuple[int, int]],
    layers: list[StoredLayer],
    entries: list[list[Entry]],
    cache: LayerCache | None = None,
) -> dict[str, int]:
    """Each visible shared object (SHARED_OBJECTS) -> the bytes strip removes, as its layer holds it.

    ``files`` maps each visible file to (layer index, bytes), as imgexp.measure.waste.replay
    gives them; ``entries`` are each layer's entries. Each layer's shared objects are read
    once (``layer_strippable``) and kept in ``cache`` with the layer.
    """
    per_layer = [layer_strippable(layer, listed, cache) for layer, listed in zip(layers, entries, strict=False)]
    return {
        path: per_layer[layer][path]
        for path, (layer, _) in files.items()
        if layer < len(per_layer) and path in per_layer[layer]
    }


def layer_strippable(layer: StoredLayer, entries: list[Entry], cache: LayerCache | None = None) -> dict[str, int]:
    """Each shared object the layer writes -> the bytes strip removes (none listed: nothing to remove).

    Read from the section headers of the files in the layer's folder, each opened without
    following a symlink and only inside its folder; from ``cache`` when the layer's were read before.
    """
    found = cache.get_part(layer.key, ELF_PART) if cache else None
    if found is not None:
        return found
    found = {}
    folders = Folders(layer.diff)
    for path, kind, _ in entries:
        if kind != FILE or not SHARED_OBJECTS.search(path):
            continue
        full = os.path.normpath(os.path.join(layer.diff, path))
        if not folders.inside(os.path.dirname(full)):
            continue
        try:
            with os.fdopen(os.open(full, os.O_RDONLY | os.O_NOFOLLOW), "rb") as file:
                stripped = strippable_bytes(file)
        except OSError:
            continue
        if stripped:
            found[path] = stripped
    if cache:
        cache.put_part(layer.key, ELF_PART, found)
    return found


def strippable_bytes(file: BinaryIO) -> int:
    """Bytes of the sections `strip --strip-unneeded` removes from the ELF file ``file`` (0 if not ELF)."""
    try:
        return sum(_strippable(file).values())
    except (struct.error, ValueError, OSError):
        return 0


def strippable_sections(file: BinaryIO) -> dict[str, int]:
    """Each section strip would remove -> its bytes ({} if not ELF)."""
    try:
        return _strippable(file)
    except (struct.error, ValueError, OSError):
        return {}


def _strippable(file: BinaryIO) -> dict[str, int]:
    file.seek(0)
    ident = file.read(16)
    if len(ident) < 16 or ident[:4] != MAGIC or ident[4] not in (1, 2) or ident[5] not in (1, 2):
        return {}
    wide, order = ident[4] == 2, "<" if ident[5] == 1 else ">"
    header = file.read(48 if wide else 36)
    if wide:
        shoff, shentsize, shnum, shstrndx = struct.unpack_from(order + "Q10xHHH", header, 24)
    else:
        shoff, shentsize, shnum, shstrndx = struct.unpack_from(order + "I10xHHH", header, 16)
    if not shoff or not shnum or shstrndx >= shnum:
        return {}
    file.seek(shoff)
    table = file.read(shentsize * shnum)
    entry = order + ("IIQQQQ" if wide else "IIIIII")
    sections = [struct.unpack_from(entry, table, i * shentsize) for i in range(shnum)]
    _, _, _, _, names_at, names_size = sections[shstrndx]
    file.seek(names_at)
    names = file.read(names_size)
    loaded_end = max((at + size for _, kind, flags, _, at, size in sections if flags & SHF_ALLOC), default=0)
    removed: dict[str, int] = {}
    for name_at, kind, flags, _, at, size in sections:
        name = names[name_at : names.find(b"\0", name_at)].decode("ascii", "replace")
        if flags & SHF_ALLOC or kind == SHT_NOBITS or at < loaded_end:
            continue
        if name.startswith(DEBUG_PREFIXES) or name in SYMBOL_TABLES:
            removed[name] = removed.get(name, 0) + size
    return removed
