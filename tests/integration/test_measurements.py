"""Measurements of real images built on the real engine: pull size, layers, packages, waste, attribution.

The experiment runs once per session with `six` on the slim stand-in, for the strategies
whose final stage is small (the full-base baseline is left to `imgexp run` and bench/).
"""

from __future__ import annotations

import hashlib
import io
import subprocess
from pathlib import Path

import docker
import pandas as pd
import pytest

import imgexp
from imgexp.attribution import smallest_working, waterfall
from imgexp.engine import bases
from imgexp.measure import scan as image_scan
from imgexp.measure.gzipsize import ENGINE_PUSH_RATIO
from imgexp.measure.layercache import LayerCache
from imgexp.measure.layerstore import (
    LayerStore,
    PieceFile,
    chain_ids,
    layer_pieces,
    open_store,
    read_stored,
)
from imgexp.measure.savestream import read_saved, save_chunks
from imgexp.measure.scan import load_layers, load_packages, scan_image
from imgexp.paths import DEFAULT_DOCKERFILES
from imgexp.requirements import read_requirements
from imgexp.results import write_csv

STRATEGIES = ["multi-stage", "multi-stage-lean", "multi-stage-nopycache", "minimal", "alpine", "glibc-venv-on-musl"]
#: a venv (and its glibc interpreter) copied into a root filesystem with musl's loader only:
#: what copying a Debian-built venv into a musl image amounts to. No python:alpine image can be
#: had here, so this stands for it; it must fail the import check, not count as small.
GLIBC_ON_MUSL = """\
# imgexp.description: test only: a glibc venv and interpreter copied into a musl-only root filesystem.
ARG PYTHON_SLIM_IMAGE=python:3.11-slim
FROM ${PYTHON_SLIM_IMAGE} AS builder
ARG VENV_NAME="my_project"
RUN apt-get update && apt-get install -y --no-install-recommends musl && rm -rf /var/lib/apt/lists/*
RUN python3 -m venv --without-pip /opt/$VENV_NAME
FROM scratch
ARG VENV_NAME="my_project"
COPY --from=builder /lib/ld-musl-x86_64.so.1 /lib/
COPY --from=builder /usr/lib/x86_64-linux-musl/ /usr/lib/x86_64-linux-musl/
COPY --from=builder /usr/local/bin/python3.11 /usr/local/bin/python3.11
COPY --from=builder /usr/local/bin/python3 /usr/local/bin/python3
COPY --from=builder /opt/$VENV_NAME /opt/$VENV_NAME
"""


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> tuple[pd.DataFrame, Path]:
    root = tmp_path_factory.mktemp("measure")
    folder = root / "dockerfiles"
    folder.mkdir()
    for name in STRATEGIES[:-1]:
        (folder / f"Dockerfile.{name}").write_text((DEFAULT_DOCKERFILES / f"Dockerfile.{name}").read_text())
    (folder / "Dockerfile.glibc-venv-on-musl").write_text(GLIBC_ON_MUSL)
    requirements = root / "requirements.txt"
    requirements.write_text("six\n")
    out = root / "out"
    results = imgexp.run(requirements=requirements, strategies=STRATEGIES, out=out, dockerfiles=folder, progress=False)
    return results.set_index("strategy", drop=False), out


def test_compressed_size_agrees_with_docker_save_gzip(run: tuple[pd.DataFrame, Path]) -> None:
    results, _ = run
    for name in ("multi-stage", "minimal"):
        row = results.loc[name]
        pipeline = subprocess.run(
            f"docker save {row['image_id']} | gzip -c | wc -c", shell=True, check=True, capture_output=True, text=True
        )
        independent = round(int(pipeline.stdout) * ENGINE_PUSH_RATIO)  # the estimate is of the engine's push
        assert abs(row["compressed_bytes"] / independent - 1) < 0.02, (name, row["compressed_bytes"], independent)
        assert not row["compressed_exact"] and "gzip level 6" in row["compressed_method"]


def test_the_layer_store_gives_the_bytes_and_figures_of_docker_save(
    run: tuple[pd.DataFrame, Path], client: docker.DockerClient
) -> None:
    """As root beside the engine, the run read its layers from the overlay2 store: the save stream's bytes."""
    results, _ = run
    image_id = results.loc["multi-stage", "image_id"]
    assert set(results.loc[results["status"] == "ok", "layers_read_from"]) == {"overlay2 layer store"}
    store = open_store(client)
    assert store is not None
    stored, saved = read_stored(store, image_id), read_saved(save_chunks(client, image_id))
    assert stored is not None and stored.config == saved.config
    for mine, theirs in zip(stored.layers, saved.layers, strict=True):
        assert (mine.tar_bytes, mine.compressed_bytes, mine.entries, mine.records) == (
            theirs.tar_bytes,
            theirs.compressed_bytes,
            theirs.entries,
            theirs.records,
        )
    diff_ids = stored.config["rootfs"]["diff_ids"]
    for chain, diff_id in zip(chain_ids(diff_ids), diff_ids, strict=True):
        digest = hashlib.sha256()
        with PieceFile(layer_pieces(store, chain) or []) as tar:
            for block in iter(lambda tar=tar: tar.read(1 << 20), b""):
                digest.update(block)
        assert f"sha256:{digest.hexdigest()}" == diff_id


@pytest.mark.parametrize("layer_store", [True, False], ids=["layer store", "docker save"])
def test_a_warm_scan_gives_the_cold_figures_to_the_byte(
    run: tuple[pd.DataFrame, Path], client: docker.DockerClient, tmp_path: Path, layer_store: bool
) -> None:
    """Layers read side by side and from the cache change no figure: the tables and the row are the run's."""
    results, out = run
    row = results.loc["multi-stage"]
    base = bases.resolve(client, "slim", "3.11", "auto")
    cache = LayerCache(tmp_path)
    cold = scan_image(client, row["image_id"], base, cache, layer_store=layer_store)
    warm = scan_image(client, row["image_id"], base, cache, layer_store=layer_store)
    for number, scan in enumerate((cold, warm)):
        for table, frame in (("layers", scan.layers), ("packages", scan.packages)):
            write_csv(tmp_path / f"{number}-{table}.csv", frame)
            assert (tmp_path / f"{number}-{table}.csv").read_bytes() == (out / table / "multi-stage.csv").read_bytes()
        for name in ("compressed_bytes", "wasted_bytes", "efficiency", "site_packages_bytes"):
            assert scan.figures[name] == row[name]


def test_an_image_the_layer_store_lacks_is_read_from_docker_save(
    run: tuple[pd.DataFrame, Path], client: docker.DockerClient, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An empty data root stands for a store that lacks the image (another engine's, say): the scan saves instead."""
    results, _ = run
    row = results.loc["minimal"]
    monkeypatch.setattr(image_scan, "open_store", lambda _client: LayerStore(tmp_path))
    scan = image_scan.scan_image(client, row["image_id"], bases.resolve(client, "scratch", "3.11", "auto"))
    assert scan.figures["layers_read_from"] == "docker save"
    assert scan.figures["compressed_bytes"] == row["compressed_bytes"]
    assert scan.figures["wasted_bytes"] == row["wasted_bytes"]


def test_unique_compressed_bytes_leave_out_the_base(run: tuple[pd.DataFrame, Path]) -> None:
    results, _ = run
    shared = results.loc["multi-stage"]
    assert 0 < shared["unique_compressed_bytes"] < shared["compressed_bytes"]
    alone = results.loc["minimal"]  # FROM scratch: nothing is shared
    assert alone["unique_compressed_bytes"] == alone["compressed_bytes"]


def test_layer_table_names_each_layer_and_adds_up(run: tuple[pd.DataFrame, Path], client: docker.DockerClient) -> None:
    results, out = run
    row = results.loc["multi-stage"]
    layers = load_layers(out, "multi-stage")
    assert len(layers) == row["layers"]
    base = bases.resolve(client, "slim", "3.11", "standin")
    base_layers = len(client.images.get(base.image_id).attrs["RootFS"]["Layers"])
    assert list(layers["origin"]) == ["base"] * base_layers + ["added"] * (len(layers) - base_layers)
    assert layers["created_by"].iloc[-1].startswith("RUN echo")
    assert "COPY" in layers["created_by"].iloc[-2]
    assert layers["compressed_bytes"].sum() == row["compressed_bytes"]
    assert layers["file_bytes"].sum() <= row["size_bytes"] <= layers["tar_bytes"].sum()


def test_package_table_splits_bytes_by_part(run: tuple[pd.DataFrame, Path]) -> None:
    results, out = run
    packages = load_packages(out)
    venv = packages[packages["location"].str.startswith("opt/")]
    six = venv[(venv["distribution"] == "six") & (venv["strategy"] == "multi-stage")].iloc[0]
    assert f"six=={six['version']}" in results.loc["multi-stage", "pip_freeze"]
    assert six["bytes"] == six[["pycache_bytes", "tests_bytes", "extensions_bytes", "other_bytes"]].sum()
    assert six["pycache_bytes"] > 0
    nopycache = venv[venv["strategy"] == "multi-stage-nopycache"]
    assert nopycache["pycache_bytes"].sum() == 0 and results.loc["multi-stage-nopycache", "pycache_bytes"] == 0
    # the write-up's venv keeps what venv seeded; the lean ones hold only what was asked for
    assert {"pip", "setuptools"} <= set(venv.loc[venv["strategy"] == "multi-stage", "distribution"])
    assert set(venv.loc[venv["strategy"] == "multi-stage-lean", "distribution"]) == {"six"}


def _lean_image(tmp_path: Path, requirements_text: str) -> pd.Series:
    """The result row of multi-stage-lean built for these requirements."""
    requirements = tmp_path / "requirements.txt"
    requirements.write_text(requirements_text)
    results = imgexp.run(
        requirements=requirements, strategies=["multi-stage-lean"], out=tmp_path / "out", progress=False
    )
    return results.iloc[0]


def test_lean_venv_keeps_a_seeded_tool_the_user_asked_for(tmp_path: Path) -> None:
    row = _lean_image(tmp_path, "wheel\n")
    assert row["verified"], row["verify_error"]
    installed = {entry.split("==")[0] for entry in row["pip_freeze"].split()}
    assert "wheel" in installed and not {"pip", "setuptools"} & installed


def test_a_requirement_whose_marker_excludes_the_image_is_not_checked(tmp_path: Path) -> None:
    """pip skips a requirement whose environment marker is false; the import check judges the marker in the image."""
    row = _lean_image(tmp_path, 'six; python_version >= "3"\nimgexp-no-such-distribution; python_version < "3"\n')
    assert row["verified"], row["verify_error"]
    assert row["not_checked"] == "imgexp-no-such-distribution"
    assert any(entry.startswith("six==") for entry in row["pip_freeze"].split())


def test_a_name_with_an_unconditional_line_is_always_checked(tmp_path: Path) -> None:
    requirements = tmp_path / "requirements.txt"
    requirements.write_text(
        'foo\nfoo; sys_platform == "win32"\nbar; python_version < "3"\nbar; python_version >= "3"\n'
    )
    parsed = read_requirements(requirements)
    assert parsed.names == ("foo", "bar")
    assert parsed.markers == {"bar": ('python_version < "3"', 'python_version >= "3"')}


def test_alpine_is_not_run_with_its_reason(run: tuple[pd.DataFrame, Path], client: docker.DockerClient) -> None:
    results, _ = run
    row = results.loc["alpine"]
    try:
        client.images.get("python:3.11-alpine")
    except docker.errors.ImageNotFound:
        assert row["status"] == "not-run" and "python:3.11-alpine" in row["reason"]
    else:
        pytest.skip("python:3.11-alpine is on this engine: alpine runs here")


def test_glibc_venv_on_musl_fails_verification_and_is_never_smallest(run: tuple[pd.DataFrame, Path]) -> None:
    results, _ = run
    broken = results.loc["glibc-venv-on-musl"]
    assert broken["status"] == "ok" and not broken["verified"] and broken["verify_error"]
    assert broken["size_bytes"] < results.loc["minimal", "size_bytes"]
    assert smallest_working(results)["strategy"] == "minimal"
    assert smallest_working(results, "compressed_bytes")["strategy"] == "minimal"


def test_waterfall_steps_are_measured_differences(run: tuple[pd.DataFrame, Path]) -> None:
    results, _ = run
    chain = (
        ("multi-stage", "start"),
        ("multi-stage-lean", "lean"),
        ("glibc-venv-on-musl", "broken"),
        ("multi-stage-nopycache", "no pycache"),
    )
    table = waterfall(results.reset_index(drop=True), "compressed_bytes", chain)
    assert list(table["strategy"]) == ["multi-stage", "multi-stage-lean", "multi-stage-nopycache", "minimal"]
    assert "glibc-venv-on-musl (not run or not verified)" in table.loc[2, "change"]
    sizes = results["compressed_bytes"]
    for row in table.iloc[1:].itertuples():
        assert row.delta_bytes == sizes[row.strategy] - sizes[row.from_strategy]
    assert table["delta_bytes"].iloc[1:].sum() + table["total_bytes"].iloc[0] == sizes["minimal"]


def test_waste_counts_each_hidden_copy_once(client: docker.DockerClient) -> None:
    base = bases.resolve(client, "slim", "3.11", "standin")
    dockerfile = f"""FROM {base.image}
RUN head -c 100000 /dev/urandom > /f && mkdir /d && head -c 7000 /dev/urandom > /d/x
RUN head -c 50000 /dev/urandom > /f
RUN rm /f && rm -rf /d && mkdir /d && head -c 300 /dev/urandom > /d/y
"""
    image, _ = client.images.build(fileobj=io.BytesIO(dockerfile.encode()), rm=True, labels={"imgexp.role": "test"})
    try:
        scan = scan_image(client, image.id, base)
        base_waste = scan_image(client, base.image_id, base).figures["wasted_bytes"]
    finally:
        client.images.remove(image.id, force=True)
    assert scan.figures["wasted_bytes"] - base_waste == 100000 + 7000 + 50000
    added = scan.layers[scan.layers["origin"] == "added"]
    assert list(added["wasted_bytes"]) == [107000, 50000, 0]
    shipped = scan.layers["file_bytes"].sum()
    assert scan.figures["efficiency"] == pytest.approx(1 - scan.figures["wasted_bytes"] / shipped, abs=1e-6)
