"""The write-up's experiment end to end on the real engine."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import docker
import pandas as pd

import imgexp
from imgexp.units import human_size

from ..helpers import REPO, STANDIN_TAGS, WRITEUP_STRATEGIES


def test_writeup_strategies_build_verify_and_rank(writeup_run: tuple[Path, pd.DataFrame]) -> None:
    _, results = writeup_run
    assert tuple(results["strategy"]) == WRITEUP_STRATEGIES
    assert results["verified"].all(), results["verify_error"].tolist()
    sizes = results.set_index("strategy")["size_bytes"]
    assert sizes["base"] > sizes["slim"] > sizes["multi-stage"]
    assert (results["added_bytes"] == results["size_bytes"] - results["base_bytes"]).all()
    assert (results["added_bytes"] > 0).all()
    assert results.loc[results["strategy"] == "base", "vs_baseline_pct"].iloc[0] == 0.0
    assert (results.loc[results["strategy"] != "base", "vs_baseline_pct"] < 0).all()


def test_size_is_what_docker_shows(writeup_run: tuple[Path, pd.DataFrame]) -> None:
    _, results = writeup_run
    for row in results.itertuples():
        inspected = subprocess.run(
            ["docker", "image", "inspect", "-f", "{{.Size}}", row.image_id],
            check=True,
            capture_output=True,
            text=True,
        ).stdout.strip()
        assert row.size_bytes == int(inspected)
        listed = subprocess.run(
            ["docker", "images", "--format", "{{.Size}}", row.image],
            check=True,
            capture_output=True,
            text=True,
        ).stdout.split()
        assert listed == [human_size(row.size_bytes)] == [row.size]


def test_every_row_says_which_base_it_used(client: docker.DockerClient, writeup_run: tuple[Path, pd.DataFrame]) -> None:
    _, results = writeup_run
    expected = {"base": "full", "slim": "slim", "multi-stage": "slim"}
    for row in results.itertuples():
        assert row.base_kind == expected[row.strategy]
        base = client.images.get(row.base_image)
        assert base.id == row.base_id
        assert row.base_bytes == base.attrs["Size"]
        assert row.base_standin == (base.labels.get("imgexp.role") == "standin")
        assert row.base_standin == (not row.base_image.startswith("python:"))
        assert row.stage_bases.startswith(f"{row.base_image} ({base.id.removeprefix('sha256:')[:12]}, ")


def test_import_names_and_freeze_come_from_inside_the_image(writeup_run: tuple[Path, pd.DataFrame]) -> None:
    out, _ = writeup_run
    stored = json.loads((out / "results.json").read_text())
    for row in stored["rows"]:
        assert row["imports"] == {"python-dateutil": ["dateutil"]}
        assert any(line.startswith("python-dateutil==") for line in row["pip_freeze"])
        assert any(line.startswith("pip==") for line in row["pip_freeze"])  # the recipe upgrades pip
        assert row["python_version"].startswith("3.11")


def test_results_files_and_provenance(writeup_run: tuple[Path, pd.DataFrame]) -> None:
    out, results = writeup_run
    on_disk = pd.read_csv(out / "results.csv")
    assert list(on_disk.columns) == list(imgexp.COLUMNS)
    assert on_disk["size_bytes"].tolist() == results["size_bytes"].tolist()
    provenance = json.loads((out / "results.json").read_text())["provenance"]
    assert provenance["engine"]["engine_version"]
    assert provenance["engine"]["builder"].startswith("BuildKit through docker buildx")
    assert provenance["requirements"]["names"] == ["python-dateutil"]
    assert set(provenance["bases"]) == {"full", "slim"}
    for base in provenance["bases"].values():
        assert base["image_id"].startswith("sha256:")
        assert isinstance(base["standin"], bool)
    assert imgexp.load_results(out)["image_id"].tolist() == results["image_id"].tolist()


def test_a_rerun_with_nothing_changed_reuses_every_row(
    writeup_run: tuple[Path, pd.DataFrame], small_requirements: Path, marker_ca_bundle: tuple[Path, bytes]
) -> None:
    out, first = writeup_run
    again = imgexp.run(
        requirements=small_requirements,
        strategies=list(WRITEUP_STRATEGIES),
        out=out,
        ca_bundle=marker_ca_bundle[0],
        progress=False,
    )
    assert again["reused"].all()
    assert again["image_id"].tolist() == first["image_id"].tolist()
    assert again["measured_at"].tolist() == first["measured_at"].tolist()


def test_another_folder_rebuilding_the_same_key_leaves_this_folders_image(
    client: docker.DockerClient,
    writeup_run: tuple[Path, pd.DataFrame],
    small_requirements: Path,
    marker_ca_bundle: tuple[Path, bytes],
    tmp_path: Path,
) -> None:
    _, first = writeup_run
    mine = first.set_index("strategy").loc["multi-stage"]
    other = imgexp.run(
        requirements=small_requirements,
        strategies=["multi-stage"],
        out=tmp_path,
        ca_bundle=marker_ca_bundle[0],
        rebuild=True,  # a new image for the same key
        progress=False,
    ).iloc[0]
    assert other["key"] == mine["key"] and other["image_id"] != mine["image_id"]
    assert other["image"] != mine["image"]  # each folder its own tag...
    assert client.images.get(mine["image"]).id == mine["image_id"]  # ...so this one is neither retagged nor removed


def test_cli_prints_the_writeup_table(
    writeup_run: tuple[Path, pd.DataFrame], small_requirements: Path, marker_ca_bundle: tuple[Path, bytes]
) -> None:
    out, results = writeup_run
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "imgexp",
            "run",
            "--requirements",
            str(small_requirements),
            "--out",
            str(out),
            "--ca-bundle",
            str(marker_ca_bundle[0]),
        ],
        capture_output=True,
        text=True,
        cwd=REPO,
        env={**os.environ, "CI": "true"},
    )
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    for row in results.itertuples():
        line = next(line for line in lines if line.startswith(row.strategy + " "))
        assert row.size in line and "yes" in line
    assert "Stand-in bases" in done.stdout
    # quiet in CI, not silent: one line per finished strategy (here reused), so a long log says where it is
    finished = done.stderr.splitlines()
    assert [line.split(" s, ")[0].rsplit(", ", 1)[0] for line in finished] == [
        f"[{row.strategy}] ok: {row.size}, verified" for row in results.itertuples()
    ]
    assert all(line.endswith(" s, reused") for line in finished), finished


def test_clean_touches_only_images_imgexp_built(
    client: docker.DockerClient, writeup_run: tuple[Path, pd.DataFrame], tmp_path: Path
) -> None:
    _, results = writeup_run
    foreign, _ = client.images.build(
        fileobj=io.BytesIO(f"FROM {results['base_image'].iloc[0]}\nLABEL note=not-imgexp\n".encode()),
        tag="not-imgexp/keep-me:latest",
        network_mode="host",
        rm=True,
    )
    try:
        done = subprocess.run(
            [sys.executable, "-m", "imgexp", "clean", "--dry-run"], capture_output=True, text=True, check=True
        )
        listed = [line.split()[2:4] for line in done.stdout.splitlines() if line.startswith("would remove")]
        assert {_short(i) for i in results["image_id"]} <= {short for short, _ in listed}
        for _, tag in listed:  # imgexp's own tags, and untagged images its builds left
            assert tag == "<none>" or (tag.startswith("imgexp/") and not tag.startswith(STANDIN_TAGS))
        listed = {short for short, _ in listed}
        assert _short(foreign.id) not in listed
        assert not {_short(b) for b in results["base_id"]} & listed
        client.images.get(results["image_id"].iloc[0])  # a dry run removes nothing
    finally:
        client.images.remove(foreign.id, force=True)


def _short(image_id: str) -> str:
    return image_id.removeprefix("sha256:")[:12]


def test_timings_record_a_cold_and_a_warm_build(
    client: docker.DockerClient, tmp_path: Path, small_requirements: Path, marker_ca_bundle
) -> None:
    results = imgexp.run(
        requirements=small_requirements,
        strategies=["multi-stage"],
        out=tmp_path,
        ca_bundle=marker_ca_bundle[0],
        venv_name="timed",  # its own key: a no-cache build must not replace the shared run's image
        timings=True,
        progress=False,
    )
    row = results.iloc[0]
    assert row["verified"] and row["cached_steps"] == 0
    assert row["cold_build_seconds"] == row["build_seconds"] > row["warm_build_seconds"] >= 0
    # one requirement added: its builder stage runs pip again, with nothing else to redo first
    assert row["warm_build_seconds"] < row["changed_build_seconds"]
    assert client.images.get(row["image"]).id == row["image_id"]  # the measured image keeps its tag
