"""A dedicated Docker engine for the tests that stop an engine, clean one out, or need another image store.

Stopping or cleaning the engine every other test (and every other user of this machine)
builds on would break their work, so these tests start a second dockerd with its own
data root, exec root, socket, pid file and ledger folder, a bridge of its own (builds use
the host's network; a dockerd started with --bridge=none would delete the host's docker0)
and its own config file, and load the slim stand-in into it (a few seconds). It needs
root, dockerd and ip (iproute2); the tests are skipped without them.

With ``containerd_store`` the engine keeps images in the containerd image store (the
config file turns the ``containerd-snapshotter`` feature on, as Docker 29 does by
default). It then starts a containerd of its own (its socket under the exec root, its
state under the data root), so the main engine's containerd is never touched. Images are
loaded into it with their layers gzip-compressed, as a pull from a registry leaves them
in the content store.
"""

from __future__ import annotations

import contextlib
import io
import itertools
import json
import os
import shutil
import signal
import subprocess
import tarfile
import tempfile
import time
import zlib
from collections.abc import Iterator
from pathlib import Path

import docker
import pytest

from imgexp.engine import bases
from imgexp.engine.client import CONTAINERD_STORE, image_store
from imgexp.measure.gzipsize import GZIP_LEVEL

#: numbers the bridges of the dedicated engines one test process starts (an interface name: 15 bytes at most)
_BRIDGES = itertools.count()


class DedicatedEngine:
    """A dockerd of its own under ``root``, started and stopped by the test."""

    def __init__(self, root: Path, containerd_store: bool = False, mirror: str | None = None) -> None:
        self.root = root
        self.containerd_store = containerd_store
        self.mirror = mirror
        # containerd's sockets live under the exec root: a short path keeps them under the 108 bytes a socket takes
        self.exec_root = Path(tempfile.mkdtemp(prefix="imgexp-exec-", dir="/run"))
        self.bridge = f"imgexp{os.getpid() % 100000}-{next(_BRIDGES)}"  # two engines of one process apart
        self.host = f"unix://{root}/docker.sock"
        self.state = root / "state"  # XDG_STATE_HOME: where imgexp keeps this engine's ledger
        self.env = {**os.environ, "DOCKER_HOST": self.host, "XDG_STATE_HOME": str(self.state)}
        self.client: docker.DockerClient  # made by start(): making one asks the engine its API version
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        """Start dockerd and wait (up to a minute) until it answers."""
        config = self.root / "daemon.json"
        features: dict[str, object] = {"features": {"containerd-snapshotter": True}} if self.containerd_store else {}
        if self.mirror:  # Docker Hub's images (python:3.11-slim) pulled from this registry instead
            features["registry-mirrors"] = [f"http://{self.mirror}"]
        config.write_text(json.dumps(features) + "\n")
        subprocess.run(["ip", "link", "add", self.bridge, "type", "bridge"], check=True)
        argv = [
            "dockerd",
            "--config-file",
            str(config),
            "--data-root",
            str(self.root / "data"),
            "--exec-root",
            str(self.exec_root),
            "--pidfile",
            str(self.root / "docker.pid"),
            "--host",
            self.host,
            f"--bridge={self.bridge}",
            "--iptables=false",
            "--ip-masq=false",
            "--shutdown-timeout=1",
        ]
        with (self.root / "dockerd.log").open("ab") as log:
            self.process = subprocess.Popen(argv, stdout=log, stderr=log)
        deadline = time.monotonic() + 60
        while True:
            with contextlib.suppress(docker.errors.DockerException):
                self.client = docker.DockerClient(base_url=self.host, timeout=900)
                if self.client.ping():
                    return
            assert self.process.poll() is None, (self.root / "dockerd.log").read_text()[-2000:]
            assert time.monotonic() < deadline, f"the dedicated engine at {self.host} did not answer in a minute"
            time.sleep(0.2)

    def stop(self) -> None:
        """Stop dockerd as `systemctl stop docker` does (SIGTERM) and wait until it has exited."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            self.process.wait(timeout=60)
        self.process = None
        subprocess.run(["ip", "link", "delete", self.bridge], check=False, capture_output=True)

    def load(self, source: docker.DockerClient, image: str) -> None:
        """Copy ``image`` from the engine ``source`` into this one (docker save | docker load)."""
        for _ in self.client.api.load_image(source.api.get_image(image)):
            pass

    def load_compressed(self, source: docker.DockerClient, image: str) -> None:
        """Copy ``image`` from ``source`` with each layer gzip-compressed (the containerd store keeps them so).

        The save stream is rewritten into the legacy layout (manifest.json, no index.json),
        every blob that is not JSON gzip-compressed at the push's level, in a file under
        ``root``; `docker load` then stores the compressed blobs as they are. Each member is
        held in memory once: meant for the stand-ins and small images.
        """
        archive = self.root / "compressed.tar"
        with (
            tarfile.open(fileobj=_Chunks(source.api.get_image(image)), mode="r|") as saved,
            tarfile.open(archive, "w") as out,
        ):
            for member in saved:
                if not member.isfile() or member.name in ("index.json", "oci-layout", "repositories"):
                    continue
                data = saved.extractfile(member).read()  # type: ignore[union-attr]
                if member.name.startswith("blobs/") and not data.startswith(b"{"):
                    compressor = zlib.compressobj(GZIP_LEVEL, zlib.DEFLATED, 31)  # gzip framing, as a push
                    data = compressor.compress(data) + compressor.flush()
                member.size = len(data)
                out.addfile(member, io.BytesIO(data))
        with archive.open("rb") as stream:
            for _ in self.client.api.load_image(stream):
                pass
        archive.unlink()


class _Chunks(io.RawIOBase):
    """A readable file over an iterator of byte chunks (a `docker save` stream), for tarfile's ``r|``."""

    def __init__(self, chunks: Iterator[bytes]) -> None:
        self._chunks = chunks
        self._left = b""

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        while not self._left:
            self._left = next(self._chunks, b"")
            if not self._left:
                return 0
        size = min(len(buffer), len(self._left))
        buffer[:size], self._left = self._left[:size], self._left[size:]
        return size


@contextlib.contextmanager
def dedicated_engine(
    root: Path, source: docker.DockerClient, containerd_store: bool = False, mirror: str | None = None
) -> Iterator[DedicatedEngine]:
    """A started DedicatedEngine holding the slim stand-in of ``source``; stopped and removed after.

    ``containerd_store``: the engine keeps images in the containerd image store, the
    stand-in's layer as a compressed blob. ``mirror``: a registry (host:port, plain HTTP) the
    engine pulls Docker Hub's images from (its ``registry-mirrors``).
    """
    if os.geteuid() != 0 or shutil.which("dockerd") is None or shutil.which("ip") is None:
        pytest.skip("a dedicated Docker engine needs root, dockerd and ip (iproute2)")
    engine = DedicatedEngine(root, containerd_store, mirror)
    try:
        engine.start()
        if containerd_store and image_store(engine.client.info()) != CONTAINERD_STORE:
            pytest.skip(f"dockerd {engine.client.version()['Version']} has no containerd image store (Docker 24+ has)")
        slim = bases.resolve(source, "slim", "3.11", "standin").image
        (engine.load_compressed if containerd_store else engine.load)(source, slim)
        yield engine
    finally:
        engine.stop()
        for mount in reversed(Path("/proc/mounts").read_text().splitlines()):
            if mount.split()[1].startswith((f"{root}/", f"{engine.exec_root}/")):
                subprocess.run(["umount", "--lazy", mount.split()[1]], check=False)
        shutil.rmtree(root, ignore_errors=True)
        shutil.rmtree(engine.exec_root, ignore_errors=True)
