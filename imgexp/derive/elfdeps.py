"""What an ELF file loads: its program interpreter, the libraries it NEEDs and where it looks for them.

Read from the program headers and the dynamic section (the loader's own view), so that a
derived image can carry, or install, every shared library its extensions and executables load.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import BinaryIO

MAGIC = b"\x7fELF"
PT_LOAD, PT_DYNAMIC, PT_INTERP = 1, 2, 3
DT_NULL, DT_NEEDED, DT_STRTAB, DT_RPATH, DT_RUNPATH = 0, 1, 5, 15, 29


@dataclass(frozen=True)
class Dynamic:
    """An ELF file's dynamic linking: what it needs and where it looks."""

    needed: tuple[str, ...]
    """sonames of DT_NEEDED, in order"""
    search: tuple[str, ...]
    """folders of DT_RUNPATH (else DT_RPATH), ``$ORIGIN`` as written"""
    interpreter: str | None
    """PT_INTERP of an executable, None for a library"""


def is_elf(file: BinaryIO) -> bool:
    file.seek(0)
    return file.read(4) == MAGIC


def read_dynamic(file: BinaryIO) -> Dynamic | None:
    """The dynamic linking of the ELF file ``file``; None when it is not ELF or is malformed."""
    try:
        return _read(file)
    except (struct.error, ValueError, OSError, UnicodeDecodeError):
        return None


def _read(file: BinaryIO) -> Dynamic | None:
    file.seek(0)
    ident = file.read(16)
    if len(ident) < 16 or ident[:4] != MAGIC or ident[4] not in (1, 2) or ident[5] not in (1, 2):
        return None
    wide, order = ident[4] == 2, "<" if ident[5] == 1 else ">"
    header = file.read(48 if wide else 36)
    if wide:
        (phoff,) = struct.unpack_from(order + "Q", header, 16)
        phentsize, phnum = struct.unpack_from(order + "HH", header, 38)
    else:
        (phoff,) = struct.unpack_from(order + "I", header, 12)
        phentsize, phnum = struct.unpack_from(order + "HH", header, 26)
    file.seek(phoff)
    table = file.read(phentsize * phnum)
    loads: list[tuple[int, int, int]] = []  # (vaddr, offset, filesz)
    dynamic: tuple[int, int] | None = None
    interpreter = None
    for i in range(phnum):
        if wide:
            kind, _, offset, vaddr, _, filesz = struct.unpack_from(order + "IIQQQQ", table, i * phentsize)
        else:
            kind, offset, vaddr, _, filesz = struct.unpack_from(order + "IIIII", table, i * phentsize)
        if kind == PT_LOAD:
            loads.append((vaddr, offset, filesz))
        elif kind == PT_DYNAMIC:
            dynamic = (offset, filesz)
        elif kind == PT_INTERP:
            file.seek(offset)
            interpreter = file.read(filesz).rstrip(b"\0").decode()
    if dynamic is None:
        return Dynamic((), (), interpreter)
    file.seek(dynamic[0])
    raw = file.read(dynamic[1])
    size = 16 if wide else 8
    entries = []
    for at in range(0, len(raw) - size + 1, size):
        tag, value = struct.unpack_from(order + ("qQ" if wide else "iI"), raw, at)
        if tag == DT_NULL:
            break
        entries.append((tag, value))
    strtab = next((v for t, v in entries if t == DT_STRTAB), None)
    if strtab is None:
        return Dynamic((), (), interpreter)
    base = next((o + strtab - a for a, o, n in loads if a <= strtab < a + n), None)
    if base is None:
        return None

    def string(at: int) -> str:
        file.seek(base + at)
        data = file.read(4096)
        return data[: data.find(b"\0")].decode()

    needed = tuple(string(v) for t, v in entries if t == DT_NEEDED)
    runpath = [string(v) for t, v in entries if t == DT_RUNPATH] or [string(v) for t, v in entries if t == DT_RPATH]
    search = tuple(folder for value in runpath for folder in value.split(":") if folder)
    return Dynamic(needed, search, interpreter)
