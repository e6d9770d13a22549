"""Connecting to the Docker engine and describing it for provenance."""

from __future__ import annotations

import os
import platform
import socket
from typing import Any

import docker
import requests
import urllib3
from docker.errors import DockerException

from ..errors import EngineUnavailable

DEFAULT_DOCKER_HOST = "unix:///var/run/docker.sock"
#: the image store of an engine with the containerd snapshotter on (an option since Docker 24, the default in 29)
CONTAINERD_STORE = "containerd"
_SNAPSHOTTER = "io.containerd.snapshotter.v1"


def connect(timeout: int = 900) -> docker.DockerClient:
    """Return a client for the engine named by DOCKER_HOST (or the default socket).

    Raises EngineUnavailable, naming the address tried, when nothing answers.
    """
    try:
        client = docker.from_env(timeout=timeout)
        client.ping()
    except (DockerException, requests.RequestException) as exc:
        raise EngineUnavailable(docker_host(), _first_line(str(exc))) from exc
    return client


def docker_host() -> str:
    """The engine's address: DOCKER_HOST, or the default socket."""
    return os.environ.get("DOCKER_HOST") or DEFAULT_DOCKER_HOST


def answers(client: docker.DockerClient, timeout: float = 10) -> bool:
    """Whether the engine answers a ping within ``timeout`` seconds."""
    try:
        return client.api.get(f"{client.api.base_url}/_ping", timeout=timeout).ok
    except (requests.RequestException, urllib3.exceptions.HTTPError, OSError):
        return False


def describe_engine(client: docker.DockerClient, builder_description: str = "") -> dict[str, Any]:
    """Engine and host facts that every result carries; ``builder_description`` names the builder a run
    used (imgexp.engine.buildkit.describe_builder), none for an image imgexp did not build."""
    version = client.version()
    info = client.info()
    return {
        "host": socket.gethostname(),
        "docker_host": docker_host(),
        "engine_version": version.get("Version"),
        "api_version": version.get("ApiVersion"),
        "client_api_version": client.api.api_version,
        "os": info.get("OperatingSystem"),
        "kernel": info.get("KernelVersion"),
        "arch": version.get("Arch"),
        "storage_driver": info.get("Driver"),
        "image_store": image_store(info),
        "builder": builder_description or None,
        "docker_py_version": docker.__version__,
        "host_python": platform.python_version(),
    }


def image_store(info: dict[str, Any]) -> str:
    """Where the engine keeps images, from its ``/info``: ``containerd`` (the containerd snapshotter, whose
    storage driver is a snapshotter such as ``overlayfs``), else its graph driver (``overlay2``)."""
    status = {pair[0]: pair[1] for pair in info.get("DriverStatus") or [] if len(pair) == 2}
    if status.get("driver-type") == _SNAPSHOTTER:
        return CONTAINERD_STORE
    return str(info.get("Driver") or "unknown")


def _first_line(text: str) -> str:
    return text.strip().splitlines()[0] if text.strip() else "no answer"
