"""inspect, check and diff of an image in a real registry, with no engine: the same figures as the local
inspect, the pull size from the manifest to the byte, and one clear error (exit 2, nothing written) for each
way a registry can fail."""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
import uuid
from pathlib import Path

import docker
import pandas as pd
import pytest
import requests

from imgexp.audit.image import inspect_image
from imgexp.engine import bases, standins
from imgexp.measure.layercache import LayerCache

from .engines import dedicated_engine
from .registries import free_port, htpasswd_file, loopback_registry, manifest, push, registry_server, self_signed

#: an address where no engine answers: the commands below must not need one
NO_ENGINE = "tcp://127.0.0.1:9"
SESSION = uuid.uuid4().hex[:12]


def imgexp(*args: str, cache: Path) -> subprocess.CompletedProcess[str]:
    """`imgexp ARGS` with no engine reachable and a cold layer cache of its own."""
    env = {**os.environ, "DOCKER_HOST": NO_ENGINE, "IMGEXP_CACHE_DIR": str(cache)}
    command = [sys.executable, "-m", "imgexp", *args]
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=900)


@pytest.fixture(scope="module")
def slim(client: docker.DockerClient) -> str:
    return bases.resolve(client, "slim", "3.11", "standin").image


@pytest.fixture(scope="module")
def pushed(client: docker.DockerClient, slim: str) -> str:
    """The slim stand-in, pushed to the loopback registry under a tag of this session."""
    reference = f"{loopback_registry()}/imgexp-test/slim:{SESSION}"
    push(client, slim, reference)
    return reference


@pytest.fixture(scope="module")
def pulled_size(tmp_path_factory: pytest.TempPathFactory, client: docker.DockerClient, pushed: str) -> int:
    """The Size an overlay2 engine of its own reports for the pushed image once it pulled it."""
    with dedicated_engine(tmp_path_factory.mktemp("puller"), client) as puller:
        puller.client.images.pull(pushed)
        return int(puller.client.images.get(pushed).attrs["Size"])


def test_an_image_in_the_registry_is_inspected_with_no_engine_as_the_local_one(
    client: docker.DockerClient, slim: str, pushed: str, pulled_size: int, tmp_path: Path
) -> None:
    done = imgexp("inspect", pushed, "--out", str(tmp_path / "out"), cache=tmp_path / "cache")
    assert done.returncode == 0, done.stderr
    remote = json.loads((tmp_path / "out" / "inspect.json").read_text())["images"][0]
    local = inspect_image(client, slim, LayerCache(tmp_path / "local-cache"))
    layers, digest = manifest(pushed)
    assert remote["summary"]["compressed_bytes"] == sum(layer["size"] for layer in layers["layers"])
    assert remote["summary"]["compressed_exact"] is True
    assert remote["summary"]["repo_digest"] == f"{pushed.rsplit(':', 1)[0]}@{digest}"
    same = ("image_id", "wasted_bytes", "site_packages_bytes", "python", "findings_bytes", "platform")
    assert {k: remote["summary"][k] for k in same} == {k: local.summary[k] for k in same}
    # each kind's bytes; with no engine no local image names the base, so none of them is split off as base's
    assert {f["origin"] for f in remote["findings"]} == {"added"}
    found = pd.DataFrame(remote["findings"]).groupby("kind")["bytes"].sum().to_dict()
    assert found == local.findings.groupby("kind")["bytes"].sum().to_dict()
    # the size `docker images` shows once the image is pulled; the local Size, of the engine that built the
    # stand-in, leaves out the symlinks of the layers BuildKit made there (docs/inspect.md)
    assert remote["summary"]["size_bytes"] == pulled_size
    assert local.summary["size_bytes"] == client.images.get(slim).attrs["Size"] < pulled_size


def test_a_base_named_in_its_registry_splits_the_findings_as_the_local_inspect(
    client: docker.DockerClient, slim: str, pushed: str, tmp_path: Path
) -> None:
    """The slim stand-in's base is its Debian root (the local inspect finds it by layer prefix); pushed too,
    `--base` names it in the registry, and the no-engine inspect reads its manifest and config only."""
    local = inspect_image(client, slim, LayerCache(tmp_path / "local-cache"))
    assert local.summary["base"] == standins.root_tag("slim", standins.DEBIAN_RELEASES["3.11"])
    root = f"{loopback_registry()}/imgexp-test/standin-root:{SESSION}"
    push(client, local.summary["base"], root)
    done = imgexp("inspect", pushed, "--base", root, "--out", str(tmp_path / "out"), cache=tmp_path / "cache")
    assert done.returncode == 0, done.stderr
    remote = json.loads((tmp_path / "out" / "inspect.json").read_text())["images"][0]
    assert (remote["summary"]["base"], remote["summary"]["base_layers"]) == (root, local.summary["base_layers"])
    assert remote["summary"]["base_id"] == local.summary["base_id"]
    by_origin = pd.DataFrame(remote["findings"]).groupby(["kind", "origin"])["bytes"].sum().to_dict()
    assert by_origin == local.findings.groupby(["kind", "origin"])["bytes"].sum().to_dict()
    assert {origin for _, origin in by_origin} == {"base", "added"}


def test_a_base_in_neither_place_is_one_error(pushed: str, tmp_path: Path) -> None:
    missing = f"{loopback_registry()}/imgexp-test/no-such-base:{SESSION}"
    done = imgexp("inspect", pushed, "--base", missing, "--out", str(tmp_path / "out"), cache=tmp_path / "cache")
    assert done.returncode == 2
    assert missing in done.stderr and "neither a local image nor in its registry" in done.stderr
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(("budget", "code"), [("--max-pull=10GB", 0), ("--max-size=1MB", 1), ("--max-pull=1kB", 1)])
def test_check_of_an_image_in_the_registry_exits_by_its_budget(pushed: str, budget: str, code: int, tmp_path: Path):
    done = imgexp("check", pushed, budget, cache=tmp_path / "cache")
    assert done.returncode == code, done.stdout + done.stderr


def test_diff_reads_both_images_from_the_registry(pushed: str, tmp_path: Path) -> None:
    done = imgexp("diff", pushed, pushed, "--out", str(tmp_path), cache=tmp_path / "cache")
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "diff.json").is_file()


def _fails(args: list[str], tmp_path: Path, *expected: str, damaged: str = "") -> None:
    """`imgexp inspect ARGS` exits 2 with one error naming ``expected``, and writes nothing (with a ``damaged``
    layer digest: nothing of that layer; the sound layers read beside it may be cached)."""
    out = tmp_path / "out"
    done = imgexp("inspect", *args, "--out", str(out), cache=tmp_path / "cache")
    assert done.returncode == 2, done.stdout + done.stderr
    assert done.stderr.startswith("imgexp: error: ") and "Traceback" not in done.stderr, done.stderr
    for words in expected:
        assert words in done.stderr
    assert not out.exists()
    cached = [path.name for path in (tmp_path / "cache").glob("*.json")] if (tmp_path / "cache").exists() else []
    assert not [name for name in cached if damaged in name] if damaged else not cached


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("imgexp-test/slim:no-such-tag", ("no such image (MANIFEST_UNKNOWN)", "skopeo list-tags")),
        ("imgexp-test/no-such-repository:1", ("no such image (MANIFEST_UNKNOWN)", "push the image")),
    ],
)
def test_an_unknown_tag_or_repository_exits_2(pushed: str, name: str, expected: tuple[str, ...], tmp_path: Path):
    _fails([f"{loopback_registry()}/{name}"], tmp_path, *expected)


def test_a_registry_that_is_down_exits_2(tmp_path: Path) -> None:
    _fails([f"127.0.0.1:{free_port()}/app:1"], tmp_path, "No registry answered at 127.0.0.1:", "registry.sh start")


def test_a_registry_that_wants_credentials_exits_2_and_takes_them_from_the_docker_config(
    client: docker.DockerClient, slim: str, tmp_path: Path
) -> None:
    """A real 401: a registry of the test's own with htpasswd auth; then the right login in a config.json."""
    folder = tmp_path / "auth"
    folder.mkdir()
    with registry_server(folder, htpasswd=htpasswd_file(folder, "imgexp", "s3cret")) as address:
        reference = f"{address}/imgexp-test/slim:1"
        push(client, slim, reference, auth={"username": "imgexp", "password": "s3cret"})
        _fails([reference], tmp_path / "none", "needs credentials (HTTP 401)", f"docker login {address}")
        config = tmp_path / "docker"
        _login(config, address, "imgexp", "wrong")
        os.environ["DOCKER_CONFIG"] = str(config)
        try:
            _fails([reference], tmp_path / "wrong", "refused the credentials", "(HTTP 401)")
            _login(config, address, "imgexp", "s3cret")
            done = imgexp("inspect", reference, "--out", str(tmp_path / "ok"), cache=tmp_path / "cache")
        finally:
            del os.environ["DOCKER_CONFIG"]
        assert done.returncode == 0, done.stderr


def test_a_certificate_the_system_does_not_trust_exits_2_and_ca_cert_trusts_it(
    client: docker.DockerClient, slim: str, tmp_path: Path
) -> None:
    folder = tmp_path / "tls"
    folder.mkdir()
    cert, key = self_signed(folder)
    with registry_server(folder, tls=(cert, key)) as address:
        reference = f"{address}/imgexp-test/slim:1"
        push(client, slim, reference)
        _fails([reference], tmp_path / "untrusted", "not trusted (certificate verify failed", "--ca-cert FILE")
        done = imgexp("inspect", reference, "--ca-cert", str(cert), "--out", str(tmp_path / "ok"), cache=tmp_path)
        assert done.returncode == 0, done.stderr


def test_an_index_without_linux_amd64_exits_2_naming_what_it_offers(pushed: str, tmp_path: Path) -> None:
    """A real index, PUT into the loopback registry, whose one manifest claims linux/arm64."""
    registry, _, rest = pushed.partition("/")
    repository = rest.rsplit(":", 1)[0]
    image, digest = manifest(pushed)
    index = {
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.index.v1+json",
        "manifests": [
            {
                "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
                "digest": digest,
                "size": len(json.dumps(image)),
                "platform": {"os": "linux", "architecture": "arm64"},
            }
        ],
    }
    headers = {"Content-Type": index["mediaType"]}
    url = f"http://{registry}/v2/{repository}/manifests/arm-only-{SESSION}"
    requests.put(url, data=json.dumps(index), headers=headers, timeout=30).raise_for_status()
    _fails([f"{registry}/{repository}:arm-only-{SESSION}"], tmp_path, "has no image for linux/amd64", "linux/arm64")


def test_a_blob_whose_bytes_do_not_match_its_digest_exits_2_and_caches_nothing(
    client: docker.DockerClient, slim: str, tmp_path: Path
) -> None:
    """No fake: a registry of the test's own whose stored layer blob is damaged on disk (one byte flipped), as
    a bad disk or copy would leave it; the registry serves it as it is."""
    folder = tmp_path / "corrupt"
    folder.mkdir()
    with registry_server(folder) as address:
        reference = f"{address}/imgexp-test/slim:1"
        push(client, slim, reference)
        layer = manifest(reference)[0]["layers"][-1]["digest"].split(":")[1]
        data = folder / "data/docker/registry/v2/blobs/sha256" / layer[:2] / layer / "data"
        with data.open("r+b") as blob:
            blob.seek(data.stat().st_size // 2)
            byte = blob.read(1)
            blob.seek(-1, 1)
            blob.write(bytes([byte[0] ^ 0xFF]))
        _fails([reference], tmp_path, f"blob sha256:{layer} arrived as", "nothing was measured", damaged=layer)


def _login(config: Path, registry: str, user: str, password: str) -> None:
    """A docker config.json holding a login, as `docker login` writes it."""
    config.mkdir(exist_ok=True)
    token = base64.b64encode(f"{user}:{password}".encode()).decode()
    (config / "config.json").write_text(json.dumps({"auths": {registry: {"auth": token}}}))
