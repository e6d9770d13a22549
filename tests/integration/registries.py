"""Real registries for the tests: the loopback one scripts/registry.sh starts, and throwaway ones of their own.

The loopback registry (IMGEXP_REGISTRY, default 127.0.0.1:5000) is shared: tests push
under a repository of their own (``imgexp-test/...``) with a tag unique to the session.
A ``RegistryServer`` is a docker-registry process of the test's own on a free loopback
port, with its own storage, and optionally htpasswd auth or a self-signed TLS certificate:
what a 401 or an untrusted certificate needs, without touching the shared one.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import docker
import pytest
import requests

LOOPBACK = os.environ.get("IMGEXP_REGISTRY", "127.0.0.1:5000")


def loopback_registry() -> str:
    """The loopback registry's address; the test is skipped, saying how to start it, when it does not answer."""
    try:
        requests.get(f"http://{LOOPBACK}/v2/", timeout=5)
    except requests.RequestException as error:
        pytest.skip(f"no registry answers at {LOOPBACK} ({type(error).__name__}): `bash scripts/registry.sh start`")
    return LOOPBACK


def push(client: docker.DockerClient, image: str, reference: str, auth: dict[str, str] | None = None) -> None:
    """The engine pushes ``image`` as ``reference`` (registry/repository:tag; the engine takes 127.0.0.0/8
    as an insecure registry: plain HTTP, or TLS unverified). The local tag is removed after."""
    repository, tag = reference.rsplit(":", 1)
    client.images.get(image).tag(repository, tag)
    try:
        for line in client.api.push(repository, tag=tag, stream=True, decode=True, auth_config=auth):
            assert "error" not in line, line
    finally:
        client.api.remove_image(reference, noprune=True)


def manifest(reference: str, scheme: str = "http") -> tuple[dict, str]:
    """The image manifest at ``reference`` and its digest, read with plain requests (not imgexp's client)."""
    registry, _, rest = reference.partition("/")
    repository, tag = rest.rsplit(":", 1)
    accept = "application/vnd.docker.distribution.manifest.v2+json, application/vnd.oci.image.manifest.v1+json"
    answer = requests.get(f"{scheme}://{registry}/v2/{repository}/manifests/{tag}", headers={"Accept": accept})
    answer.raise_for_status()
    return answer.json(), answer.headers["Docker-Content-Digest"]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def registry_server(root: Path, htpasswd: Path | None = None, tls: tuple[Path, Path] | None = None) -> Iterator[str]:
    """A docker-registry of its own under ``root`` on a free loopback port; its address. Stopped after."""
    if shutil.which("docker-registry") is None:
        pytest.skip("docker-registry is not installed (apt-get install docker-registry; scripts/setup.sh does it)")
    address = f"127.0.0.1:{free_port()}"
    lines = ["version: 0.1", "log:", "  level: warn", "storage:", "  filesystem:", f"    rootdirectory: {root}/data"]
    lines += ["  delete:", "    enabled: true", "http:", f"  addr: {address}"]
    if tls:
        lines += ["  tls:", f"    certificate: {tls[0]}", f"    key: {tls[1]}"]
    if htpasswd:
        lines += ["auth:", "  htpasswd:", "    realm: imgexp-test", f"    path: {htpasswd}"]
    config = root / "config.yml"
    config.write_text("\n".join(lines) + "\n")
    with (root / "registry.log").open("ab") as log:
        process = subprocess.Popen(["docker-registry", "serve", str(config)], stdout=log, stderr=log)
    try:
        deadline = time.monotonic() + 15
        while True:
            try:
                socket.create_connection(("127.0.0.1", int(address.rsplit(":", 1)[1])), 1).close()
                break
            except OSError:
                assert process.poll() is None, (root / "registry.log").read_text()[-2000:]
                assert time.monotonic() < deadline, f"docker-registry did not listen on {address} in 15 s"
                time.sleep(0.1)
        yield address
    finally:
        process.terminate()
        process.wait(timeout=30)


def self_signed(folder: Path) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 (openssl), and its key."""
    cert, key = folder / "registry.pem", folder / "registry.key"
    subprocess.run(
        [
            *("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1"),
            *("-addext", "subjectAltName=IP:127.0.0.1", "-keyout", str(key), "-out", str(cert)),
        ],
        check=True,
        capture_output=True,
    )
    return cert, key


def htpasswd_file(folder: Path, user: str, password: str) -> Path:
    """An htpasswd file (bcrypt, the one hash docker-registry takes) with one user: libxcrypt's, through the
    standard library's crypt (Python < 3.13)."""
    crypt = pytest.importorskip("crypt", reason="bcrypt for htpasswd comes from the crypt module (Python < 3.13)")
    path = folder / "htpasswd"
    path.write_text(f"{user}:{crypt.crypt(password, crypt.mksalt(crypt.METHOD_BLOWFISH))}\n")
    return path
