"""The CA bundle's loopback server: one URL per bundle, the same for runs side by side (the URL is in the cache key)."""

from __future__ import annotations

import urllib.request
from pathlib import Path

from imgexp.engine.ca import serve_ca_bundle


def _fetch(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=5) as response:
        return bytes(response.read())


def test_two_runs_side_by_side_hand_builds_the_same_url_and_either_may_stop(tmp_path: Path) -> None:
    bundle = tmp_path / "ca.pem"
    bundle.write_bytes(b"-----BEGIN CERTIFICATE-----\nimgexp-test\n-----END CERTIFICATE-----\n")
    with serve_ca_bundle(bundle) as first:
        with serve_ca_bundle(bundle) as second:
            assert first == second and _fetch(second) == bundle.read_bytes()
        assert _fetch(first) == bundle.read_bytes()  # the other run ended: this one still serves
    with serve_ca_bundle(bundle) as later:
        assert later == first  # a later run: the same URL, so the same cache key


def test_another_bundle_has_another_url(tmp_path: Path) -> None:
    one, other = tmp_path / "one.pem", tmp_path / "other.pem"
    one.write_bytes(b"one\n")
    other.write_bytes(b"other\n")
    with serve_ca_bundle(one) as url_one, serve_ca_bundle(other) as url_other:
        assert url_one != url_other
        assert (_fetch(url_one), _fetch(url_other)) == (b"one\n", b"other\n")
