"""The debug-symbols finding on an image built in the test: its bytes are what `strip` removes, never more."""

from __future__ import annotations

import io
import shutil
import subprocess
import tarfile
from pathlib import Path

import docker
import pytest

from imgexp.audit.image import inspect_image
from imgexp.measure.layerstore import open_store

TAG = "imgexp-test/debug-symbols:inspect"
SITE = "usr/local/lib/python3.11/site-packages"
SOURCE = "".join(
    f"static int h{i}(int x) {{ return x + {i}; }}\nint api{i}(int x) {{ return h{i}(x); }}\n" for i in range(300)
)


@pytest.mark.skipif(not (shutil.which("gcc") and shutil.which("strip")), reason="no gcc or strip")
def test_debug_symbols_promise_what_strip_removes(client: docker.DockerClient, tmp_path: Path) -> None:
    if open_store(client) is None:
        pytest.skip("the engine's overlay2 store is not readable here: debug symbols are not measured")
    (tmp_path / "demo.c").write_text(SOURCE)
    built, stripped = tmp_path / "_demo.so", tmp_path / "stripped.so"
    subprocess.run(["gcc", "-g", "-shared", "-fPIC", "-o", built, tmp_path / "demo.c"], check=True)
    shutil.copyfile(built, stripped)
    subprocess.run(["strip", "--strip-unneeded", stripped], check=True)
    saved = built.stat().st_size - stripped.stat().st_size
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as archive:
        archive.add(built, f"{SITE}/_demo.cpython-311-x86_64-linux-gnu.so")
        archive.add(stripped, f"{SITE}/_clean.cpython-311-x86_64-linux-gnu.so")  # nothing left to strip
    client.api.import_image_from_data(buffer.getvalue(), repository=TAG.split(":")[0], tag="inspect")
    try:
        findings = inspect_image(client, TAG).findings.set_index("kind")
    finally:
        client.images.remove(TAG, force=True)
    row = findings.loc["debug-symbols"]
    assert row.files == 1 and "site-packages" in row.detail
    assert 0.8 * saved <= row.bytes <= saved  # never more than strip removes
