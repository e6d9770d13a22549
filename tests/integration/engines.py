"""A dedicated Docker engine for the tests that stop an engine or clean one out.

Stopping or cleaning the engine every other test (and every other user of this machine)
builds on would break their work, so these tests start a second dockerd with its own
data root, exec root, socket, pid file and ledger folder, a bridge of its own (builds use
the host's network; a dockerd started with --bridge=none would delete the host's docker0)
and an empty config file, and load the slim stand-in into it (a few seconds). It needs
root, dockerd and ip (iproute2); the tests are skipped without them.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import docker
import pytest

from imgexp.engine import bases


class DedicatedEngine:
    """A dockerd of its own under ``root``, started and stopped by the test."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.bridge = f"imgexp{os.getpid() % 100000}"
        self.host = f"unix://{root}/docker.sock"
        self.state = root / "state"  # XDG_STATE_HOME: where imgexp keeps this engine's ledger
        self.env = {**os.environ, "DOCKER_HOST": self.host, "XDG_STATE_HOME": str(self.state)}
        self.client: docker.DockerClient  # made by start(): making one asks the engine its API version
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        """Start dockerd and wait (up to a minute) until it answers."""
        config = self.root / "daemon.json"
        config.write_text("{}\n")
        subprocess.run(["ip", "link", "add", self.bridge, "type", "bridge"], check=True)
        argv = [
            "dockerd",
            "--config-file",
            str(config),
            "--data-root",
            str(self.root / "data"),
            "--exec-root",
            str(self.root / "exec"),
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


@contextlib.contextmanager
def dedicated_engine(root: Path, source: docker.DockerClient) -> Iterator[DedicatedEngine]:
    """A started DedicatedEngine holding the slim stand-in of ``source``; stopped and removed after."""
    if os.geteuid() != 0 or shutil.which("dockerd") is None or shutil.which("ip") is None:
        pytest.skip("a dedicated Docker engine needs root, dockerd and ip (iproute2)")
    engine = DedicatedEngine(root)
    try:
        engine.start()
        engine.load(source, bases.resolve(source, "slim", "3.11", "standin").image)
        yield engine
    finally:
        engine.stop()
        for mount in reversed(Path("/proc/mounts").read_text().splitlines()):
            if mount.split()[1].startswith(str(root) + "/"):
                subprocess.run(["umount", "--lazy", mount.split()[1]], check=False)
        shutil.rmtree(root, ignore_errors=True)
