"""Derived strategies on projects in the shapes of real ones: built, verified, complete, smaller, adoptable."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import docker
import pytest

import imgexp
from imgexp.engine import bases
from imgexp.strategies import parse

DATA = Path(__file__).parent / "data" / "derive"
#: the project shapes of data/projects that are derived from too (their imgexp.toml asks for no derivation)
PROJECTS = {shape: Path(__file__).parent / "data" / "projects" / shape for shape in ("dockerinit", "uv")}
DERIVE = 'derive = ["multi-stage", "distilled", "minimal"]\n\n'
#: project -> the largest share of current's size the recommended strategy may have (full base: 40 %, slim: 60 %)
SHAPES = {"fullc": 0.40, "slimweb": 0.60, "dockerinit": 0.60, "poetry": 0.60, "uv": 0.60, "djangoshelf": 0.60}


@pytest.mark.parametrize("shape", sorted(SHAPES))
def test_every_derivation_is_a_verified_complete_row_and_the_smallest_is_adoptable(
    client: docker.DockerClient, tmp_path: Path, shape: str
) -> None:
    project = _copy(shape, tmp_path)
    results = imgexp.run(project=project, base_source="standin", ca_bundle="", progress=False).set_index("strategy")

    assert list(results.index) == ["current", "multi-stage", "distilled", "minimal"]
    for name, row in results.iterrows():
        assert row["status"] == "ok", (name, row["reason"])
        assert bool(row["verified"]), (name, row["verify_error"])
        assert bool(row["complete"]), (name, row["missing"])
    recommendation = results.attrs["provenance"]["recommendation"]
    best = results.loc[recommendation["strategy"]]
    assert int(best["size_bytes"]) <= SHAPES[shape] * int(results.loc["current", "size_bytes"])
    assert int(best["size_bytes"]) == int(results[results["complete"].astype(bool)]["size_bytes"].min())
    assert recommendation["diff"].startswith("--- Dockerfile\n+++ Dockerfile.")

    # adopted as it is: plain `docker build` of the written Dockerfile (the python images swapped for the
    # stand-ins through the build args imgexp uses, as no registry is reachable here) gives the same size
    dockerfile = project / "imgexp-results" / recommendation["dockerfile"]
    strategy = parse("adopted", dockerfile, literal=True)
    assert strategy.rewritten is not None
    adopted = tmp_path / "Dockerfile.adopted"
    adopted.write_text(strategy.rewritten)
    args = []
    for kind in ("full", "slim"):
        args += ["--build-arg", f"{bases.build_arg(kind)}={bases.resolve(client, kind, '3.11', 'standin').image}"]
    iid = tmp_path / "iid"
    subprocess.run(
        ["docker", "build", "--network=host", "-q", f"--iidfile={iid}", "-f", str(adopted), *args, str(project)],
        check=True,
        capture_output=True,
    )
    adopted_image = client.images.get(iid.read_text().strip())
    try:
        size = int(adopted_image.attrs["Size"])
    finally:  # left untagged, nothing else would remove it (tagged, it is the same image as a row's: kept)
        if not adopted_image.tags:
            client.images.remove(adopted_image.id)
    assert abs(size - int(best["size_bytes"])) <= 0.01 * int(best["size_bytes"])


def test_a_derivation_that_does_not_work_is_a_row_that_says_why_and_is_not_recommended(
    client: docker.DockerClient, tmp_path: Path
) -> None:
    """A smoke command that needs grep: FROM scratch carries a shell for it, not grep."""
    project = _copy("dockerinit", tmp_path)
    definition = project / "imgexp.toml"
    definition.write_text(
        definition.read_text().replace("commands = [", 'commands = [\n  "python3 -V | grep -q 3.11",')
    )
    results = imgexp.run(project=project, base_source="standin", ca_bundle="", progress=False).set_index("strategy")
    minimal = results.loc["minimal"]
    assert minimal["status"] == "ok" and not bool(minimal["verified"])
    assert "grep: not found" in minimal["verify_error"]
    assert results.attrs["provenance"]["recommendation"]["strategy"] != "minimal"


def _copy(shape: str, tmp_path: Path) -> Path:
    """The project of that shape, copied to ``tmp_path``, asking for the three derivations."""
    project = tmp_path / shape
    shutil.copytree(PROJECTS.get(shape, DATA / shape), project)
    definition = project / "imgexp.toml"
    if "derive =" not in definition.read_text():
        definition.write_text(DERIVE + definition.read_text())
    return project
