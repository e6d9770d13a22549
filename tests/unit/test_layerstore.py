"""The layer store's tar-split reading on stores made here: what a real engine never holds.

The engine refuses layers that lead out of their folder, so these stores are made by hand;
reading real layers, byte for byte against `docker save`, is tested in test_measurements.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import io
import json
import os
import shutil
import tarfile
from pathlib import Path
from typing import NoReturn

import pytest

from imgexp.measure import layerstore
from imgexp.measure.layercache import LayerCache
from imgexp.measure.layerstore import LayerStore, PieceFile, chain_ids, layer_pieces, read_stored
from imgexp.measure.layertar import FILE
from imgexp.measure.savestream import read_saved

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
    assert pieces is not None and PieceFile(pieces).read() == b"H1abcH2xyEND"


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
        PieceFile(pieces).read()


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


def _layer_tar(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.PAX_FORMAT) as archive:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def _register(store: LayerStore, chain: str, tar: bytes, cache_id: str) -> None:
    """Put the layer tar in the store as the engine does: a tar-split record around a diff folder of its files."""
    folder = store.layer_folder(chain)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "cache-id").write_text(cache_id)
    diff = store.root / "overlay2" / cache_id / "diff"
    records, done = [], 0
    with tarfile.open(fileobj=io.BytesIO(tar)) as archive:
        for member in archive:
            records.append(_segment(tar[done : member.offset_data]))
            records.append({"type": 1, "name": member.name, "size": member.size})
            (diff / member.name).parent.mkdir(parents=True, exist_ok=True)
            (diff / member.name).write_bytes(tar[member.offset_data : member.offset_data + member.size])
            done = member.offset_data + member.size
    records.append(_segment(tar[done:]))
    with gzip.open(folder / "tar-split.json.gz", "wt") as out:
        out.writelines(json.dumps(record) + "\n" for record in records)


def _image(store: LayerStore, layers: list[bytes]) -> str:
    """An image of these layer tars in the store (config and layers); its id."""
    diff_ids = [f"sha256:{hashlib.sha256(tar).hexdigest()}" for tar in layers]
    for index, (chain, tar) in enumerate(zip(chain_ids(diff_ids), layers, strict=True)):
        _register(store, chain, tar, f"cache{index}-{len(tar)}")
    config = json.dumps({"rootfs": {"type": "layers", "diff_ids": diff_ids}}).encode()
    image_id = hashlib.sha256(config).hexdigest()
    store.config_path(image_id).parent.mkdir(parents=True, exist_ok=True)
    store.config_path(image_id).write_bytes(config)
    return image_id


def _saved(layers: list[bytes]) -> bytes:
    """The same layers as a legacy `docker save` archive."""
    manifest = json.dumps([{"Config": "config.json", "Layers": [f"{i}/layer.tar" for i in range(len(layers))]}])
    members = [(f"{i}/layer.tar", tar) for i, tar in enumerate(layers)] + [
        ("config.json", b"{}"),
        ("manifest.json", manifest.encode()),
    ]
    return _layer_tar(dict(members))


LAYERS = [
    _layer_tar({"usr/lib/python3/site-packages/a-1.dist-info/RECORD": b"a/x.py,,\n", "a/big": bytes(300_000) * 7}),
    _layer_tar({f"f{i}.txt": (b"text %d " % i) * (i * 97 % 3000) for i in range(400)} | {"var/lib/dpkg/status": b"P"}),
]


def test_the_store_gives_the_figures_of_the_save_stream(tmp_path: Path) -> None:
    """Headers read through seeks, contents counted from the diff folders, layers side by side: the same scan."""
    store = LayerStore(tmp_path)
    stored = read_stored(store, _image(store, LAYERS))
    saved = read_saved([_saved(LAYERS)])
    assert stored is not None
    for mine, theirs in zip(stored.layers, saved.layers, strict=True):
        assert (mine.tar_bytes, mine.compressed_bytes, mine.entries, mine.records, mine.package_db) == (
            theirs.tar_bytes,
            theirs.compressed_bytes,
            theirs.entries,
            theirs.records,
            theirs.package_db,
        )


def _no_read(*args: object) -> NoReturn:
    raise AssertionError("the layer was read again: the cache missed")


def test_a_cached_layer_is_not_read_again_and_a_changed_one_is(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    store, cache = LayerStore(tmp_path / "root"), LayerCache(tmp_path / "cache")
    image_id = _image(store, LAYERS)
    first = read_stored(store, image_id, cache)
    with monkeypatch.context() as patched:
        patched.setattr(layerstore, "layer_pieces", _no_read)
        again = read_stored(store, image_id, cache)
    assert first is not None and again is not None and again.layers == first.layers
    changed = _layer_tar({"a/big": b"changed"})  # the same layer registered again, with other contents
    chain = chain_ids(json.loads(store.config_path(image_id).read_bytes())["rootfs"]["diff_ids"])[0]
    shutil.rmtree(store.layer_folder(chain))
    _register(store, chain, changed, "cache-again")
    reread = read_stored(store, image_id, cache)
    assert reread is not None and reread.layers[0].entries == [("a/big", FILE, 7)]
    assert reread.layers[0].tar_bytes == len(changed) and reread.layers[1] == first.layers[1]


def test_a_layer_that_cannot_be_read_sends_the_image_to_docker_save(tmp_path: Path) -> None:
    store = LayerStore(tmp_path)
    image_id = _image(store, LAYERS)
    (tmp_path / "overlay2" / f"cache1-{len(LAYERS[1])}" / "diff" / "f5.txt").write_bytes(b"short")
    assert read_stored(store, image_id) is None
