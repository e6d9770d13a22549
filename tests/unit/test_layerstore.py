"""The layer store's tar-split reading on stores made here: what a real engine never holds.

The engine refuses layers that lead out of their folder, so these stores are made by hand;
reading real layers, byte for byte against `docker save`, is tested in test_measurements.
"""

from __future__ import annotations

import base64
import gzip
import json
import os
from pathlib import Path

import pytest

from imgexp.measure.layerstore import LayerStore, layer_chunks, layer_pieces

CHAIN = "sha256:" + "c" * 64


def _store(root: Path, records: list[dict]) -> tuple[LayerStore, Path]:
    """A store with one layer (CHAIN) of the given tar-split records; its diff folder."""
    store = LayerStore(root)
    folder = store.layer_folder(CHAIN)
    folder.mkdir(parents=True)
    (folder / "cache-id").write_text("cache")
    with gzip.open(folder / "tar-split.json.gz", "wt") as out:
        out.writelines(json.dumps(record) + "\n" for record in records)
    diff = root / "overlay2" / "cache" / "diff"
    diff.mkdir(parents=True)
    return store, diff


def _segment(data: bytes) -> dict:
    return {"type": 2, "payload": base64.b64encode(data).decode()}


def test_segments_and_files_named_either_way_make_the_layer(tmp_path: Path) -> None:
    raw = "caf\udce9.txt"  # not UTF-8: tar-split keeps such a name as name_raw
    store, diff = _store(
        tmp_path,
        [
            _segment(b"H1"),
            {"type": 1, "name": "a/b.txt", "size": 3},
            _segment(b"H2"),
            {"type": 1, "name_raw": base64.b64encode(os.fsencode(raw)).decode(), "size": 2},
            _segment(b"END"),
        ],
    )
    (diff / "a").mkdir()
    (diff / "a" / "b.txt").write_bytes(b"abc")
    (diff / os.fsencode(raw).decode(errors="surrogateescape")).write_bytes(b"xy")
    pieces = layer_pieces(store, CHAIN)
    assert pieces is not None and b"".join(layer_chunks(pieces)) == b"H1abcH2xyEND"


def test_a_file_in_a_folder_that_leads_out_of_the_layer_is_refused(tmp_path: Path) -> None:
    outside = tmp_path / "host"
    outside.mkdir()
    (outside / "secret").write_bytes(b"s")
    store, diff = _store(tmp_path / "root", [_segment(b"H"), {"type": 1, "name": "etc/secret", "size": 1}])
    (diff / "etc").symlink_to(outside)
    assert layer_pieces(store, CHAIN) is None


def test_a_file_that_is_a_symlink_is_not_followed(tmp_path: Path) -> None:
    (tmp_path / "secret").write_bytes(b"s")
    store, diff = _store(tmp_path / "root", [_segment(b"H"), {"type": 1, "name": "secret", "size": 1}])
    (diff / "secret").symlink_to(tmp_path / "secret")
    pieces = layer_pieces(store, CHAIN)
    assert pieces is not None
    with pytest.raises(OSError):
        list(layer_chunks(pieces))


@pytest.mark.parametrize("damage", ["missing", "truncated", "not json"])
def test_a_damaged_record_means_no_layer_from_the_store(tmp_path: Path, damage: str) -> None:
    store, _ = _store(tmp_path, [_segment(b"H" * 5000)])
    record = store.layer_folder(CHAIN) / "tar-split.json.gz"
    if damage == "missing":
        record.unlink()
    elif damage == "truncated":
        record.write_bytes(record.read_bytes()[:-20])
    else:
        record.write_bytes(gzip.compress(b"{not json\n"))
    assert layer_pieces(store, CHAIN) is None
