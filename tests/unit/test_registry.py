"""References as docker reads them, the platform picked from an index, and the exact pull size."""

from __future__ import annotations

from pathlib import Path

import pytest

from imgexp import cli
from imgexp.audit.commands import registry_options
from imgexp.registry.client import RegistryOptions
from imgexp.registry.errors import InvalidReference, PlatformNotInIndex
from imgexp.registry.image import Blob, RemoteImage, choose_platform
from imgexp.registry.reference import Reference, parse_reference

DIGEST = "sha256:" + "ab" * 32


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("python", Reference("docker.io", "library/python", "latest", None)),
        ("python:3.11-slim", Reference("docker.io", "library/python", "3.11-slim", None)),
        ("org/app:1", Reference("docker.io", "org/app", "1", None)),
        ("127.0.0.1:5000/imgexp/base:abc", Reference("127.0.0.1:5000", "imgexp/base", "abc", None)),
        ("localhost/app", Reference("localhost", "app", "latest", None)),
        ("ghcr.io/o/r/app:v1.2", Reference("ghcr.io", "o/r/app", "v1.2", None)),
        (f"127.0.0.1:5000/app@{DIGEST}", Reference("127.0.0.1:5000", "app", None, DIGEST)),
        (f"app:1@{DIGEST}", Reference("docker.io", "library/app", "1", DIGEST)),
    ],
)
def test_references_parse_as_docker_reads_them(text: str, expected: Reference) -> None:
    assert parse_reference(text) == expected


@pytest.mark.parametrize("text", ["App:1", "app:@x", "127.0.0.1:5000/", "app@sha256:short", "a//b", "app:-x"])
def test_a_bad_reference_is_one_clear_error(text: str) -> None:
    with pytest.raises(InvalidReference, match="REPOSITORY"):
        parse_reference(text)


@pytest.mark.parametrize(
    ("text", "loopback", "identifier", "api_host"),
    [
        ("127.0.0.1:5000/a", True, "latest", "127.0.0.1:5000"),
        ("localhost:5000/a:t", True, "t", "localhost:5000"),
        ("[::1]:5000/a", True, "latest", "[::1]:5000"),
        ("10.0.0.1:5000/a", False, "latest", "10.0.0.1:5000"),
        (f"python@{DIGEST}", False, DIGEST, "registry-1.docker.io"),
    ],
)
def test_where_a_reference_is_asked_for(text: str, loopback: bool, identifier: str, api_host: str) -> None:
    reference = parse_reference(text)
    assert (reference.loopback, reference.identifier, reference.api_host) == (loopback, identifier, api_host)


INDEX = {
    "manifests": [
        {"digest": "sha256:arm", "platform": {"os": "linux", "architecture": "arm64", "variant": "v8"}},
        {"digest": "sha256:amd", "platform": {"os": "linux", "architecture": "amd64"}},
        {"digest": "sha256:att", "platform": {"os": "unknown", "architecture": "unknown"}},
    ]
}


@pytest.mark.parametrize(
    ("platform", "digest"),
    [("linux/amd64", "sha256:amd"), ("linux/arm64", "sha256:arm"), ("linux/arm64/v8", "sha256:arm")],
)
def test_the_index_entry_of_the_platform_is_chosen(platform: str, digest: str) -> None:
    assert choose_platform("r", INDEX, platform) == digest


def test_an_index_without_the_platform_names_what_it_offers() -> None:
    with pytest.raises(PlatformNotInIndex, match=r"linux/s390x: its index offers linux/arm64/v8, linux/amd64\."):
        choose_platform("r", INDEX, "linux/s390x")


def test_the_pull_size_counts_each_distinct_blob_once() -> None:
    layers = (Blob("sha256:a", 100), Blob("sha256:b", 20), Blob("sha256:a", 100))
    image = RemoteImage(parse_reference("localhost/a"), DIGEST, {"os": "linux"}, "sha256:c", layers)
    assert (image.pull_bytes, image.pinned, image.platform) == (120, f"localhost/a@{DIGEST}", "linux")


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["inspect", "a"], RegistryOptions()),
        (["check", "a", "--platform", "linux/arm64"], RegistryOptions(platform="linux/arm64")),
        (
            ["diff", "a", "b", "--insecure", "--ca-cert", "ca.pem"],
            RegistryOptions(insecure=True, ca_cert=Path("ca.pem")),
        ),
    ],
)
def test_inspect_check_and_diff_take_the_registry_options(argv: list[str], expected: RegistryOptions) -> None:
    assert registry_options(cli._parser().parse_args(argv)) == expected


def test_run_takes_push() -> None:
    args = cli._parser().parse_args(["run", "--push", "127.0.0.1:5000/imgexp"])
    assert cli.run_settings(args).push == "127.0.0.1:5000/imgexp"
