"""CPython's source from Debian's mirror: the signed chain InRelease -> Sources.xz -> tarball, and its cache.

The mirror is a real HTTP server on loopback serving files in Debian's layout, signed by a
throwaway key made here (Debian's own keys cannot sign a fixture); gpgv checks them as it
checks Debian's.
"""

from __future__ import annotations

import functools
import hashlib
import http.server
import lzma
import re
import shutil
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from imgexp.engine import debsource
from imgexp.errors import StandinSourceUnavailable

TARBALL = b"CPython's upstream tarball, as a fixture\n" * 100
TARBALL_NAME = "python3.11_3.11.2.orig.tar.gz"


def sources_index(tarball: bytes) -> str:
    """A Sources index in Debian's format: python3.11 between two other source packages."""
    digest = hashlib.sha256(tarball).hexdigest()
    return f"""Package: python3-defaults
Binary: python3, python3-minimal
Version: 3.11.2-1+b1
Checksums-Sha256:
 {"0" * 64} 1409 python3-defaults_3.11.2-1.dsc
 {"1" * 64} 140952 python3-defaults_3.11.2-1.tar.gz
Directory: pool/main/p/python3-defaults

Package: python3.11
Binary: python3.11, python3.11-venv, libpython3.11-stdlib,
 python3.11-dev
Version: 3.11.2-6+deb12u8
Files:
 f6b5226ccba5ae1ca9376aaba0b0f673 {len(tarball)} {TARBALL_NAME}
Checksums-Sha256:
 {"2" * 64} 3805 python3.11_3.11.2-6+deb12u8.dsc
 {digest} {len(tarball)} {TARBALL_NAME}
 {"3" * 64} 279556 python3.11_3.11.2-6+deb12u8.debian.tar.xz
Directory: pool/main/p/python3.11
Priority: optional

Package: python3.12
Version: 3.12.1-1
Directory: pool/main/p/python3.12
"""


def release_file(indexes: dict[str, bytes]) -> str:
    """A Release file in Debian's format: MD5Sum and SHA256 sections listing ``indexes``."""
    md5 = "".join(f" {hashlib.md5(data).hexdigest()} {len(data):>8} {path}\n" for path, data in indexes.items())
    sha = "".join(f" {hashlib.sha256(data).hexdigest()} {len(data):>8} {path}\n" for path, data in indexes.items())
    return (
        "Origin: Debian\nLabel: Debian\nSuite: oldstable\nCodename: bookworm\n"
        "Date: Sat, 11 Jul 2026 10:16:37 UTC\nArchitectures: all amd64\nComponents: main\n"
        f"MD5Sum:\n{md5} {'4' * 32} 1234 main/binary-all/Packages\nSHA256:\n{sha}"
        f" {'5' * 64} 1234 main/binary-all/Packages\n"
    )


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("main/source/Sources.xz", True),
        ("main/binary-all/Packages", True),
        ("main/source/Sources", False),
    ],
)
def test_release_digests_reads_the_sha256_section_only(path: str, expected: bool) -> None:
    data = b"an index"
    digests = debsource.release_digests(release_file({"main/source/Sources.xz": data}))
    assert (path in digests) == expected
    if path == "main/source/Sources.xz":
        assert digests[path] == debsource.SourceFile(path, hashlib.sha256(data).hexdigest(), len(data))


@pytest.mark.parametrize(
    ("package", "version", "tarball"),
    [
        ("python3.11", "3.11.2", TARBALL_NAME),
        ("python3-defaults", "", None),  # a native package: no upstream tarball
        ("python3.12", "", None),  # no checksums at all
        ("python3.10", "", None),  # not in the index
    ],
)
def test_the_upstream_tarball_of_a_source_package(package: str, version: str, tarball: str | None) -> None:
    stanza = debsource.source_stanza(sources_index(TARBALL), package)
    found = debsource.orig_tarball(stanza)
    assert (found.name if found else None) == tarball
    if found:
        assert found.size == len(TARBALL) and found.sha256 == hashlib.sha256(TARBALL).hexdigest()
        assert debsource.upstream_version(found) == version
        assert stanza["Binary"].endswith("python3.11-dev")  # continuation lines kept


def test_check_digest_names_both_digests() -> None:
    expected = debsource.SourceFile("x", hashlib.sha256(b"right").hexdigest(), 5)
    debsource.check_digest(b"right", expected, "x")
    with pytest.raises(StandinSourceUnavailable, match="IMGEXP_DEBIAN_MIRROR") as raised:
        debsource.check_digest(b"wrong", expected, "x")
    assert hashlib.sha256(b"wrong").hexdigest() in str(raised.value) and expected.sha256 in str(raised.value)


@functools.cache
def _signer(home: Path) -> Path:
    """A throwaway signing key in ``home``; returns the keyring gpgv checks against."""
    gpg = ["gpg", "--homedir", str(home), "--batch", "--pinentry-mode", "loopback", "--passphrase", ""]
    subprocess.run([*gpg, "--quick-gen-key", "imgexp test archive <test@imgexp>", "ed25519", "sign", "never"],
                   check=True, capture_output=True)  # fmt: skip
    keyring = home / "archive.gpg"
    keyring.write_bytes(subprocess.run([*gpg, "--export"], check=True, capture_output=True).stdout)
    return keyring


def clearsign(home: Path, text: str) -> bytes:
    gpg = ["gpg", "--homedir", str(home), "--batch", "--pinentry-mode", "loopback", "--passphrase", ""]
    return subprocess.run([*gpg, "--clearsign"], input=text.encode(), check=True, capture_output=True).stdout


@pytest.fixture(scope="module")
def gpg_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if shutil.which("gpg") is None or shutil.which("gpgv") is None:
        pytest.skip("signing a fixture needs gpg and gpgv (apt-get install gpg gpgv)")
    home = tmp_path_factory.mktemp("gnupg")
    home.chmod(0o700)
    _signer(home)
    return home


@pytest.fixture()
def mirror(tmp_path: Path, gpg_home: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A Debian mirror on loopback with bookworm's InRelease, Sources.xz and the tarball; its root folder."""
    root = tmp_path / "mirror"
    sources = lzma.compress(sources_index(TARBALL).encode())
    files = {
        "dists/bookworm/main/source/Sources.xz": sources,
        "dists/bookworm/InRelease": clearsign(gpg_home, release_file({"main/source/Sources.xz": sources})),
        f"pool/main/p/python3.11/{TARBALL_NAME}": TARBALL,
    }
    for name, data in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_bytes(data)
    handler = functools.partial(_QuietHandler, directory=str(root))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    monkeypatch.setenv("IMGEXP_DEBIAN_MIRROR", f"http://127.0.0.1:{server.server_address[1]}/")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setattr(debsource, "KEYRING", gpg_home / "archive.gpg")
    try:
        yield root
    finally:
        server.shutdown()
        server.server_close()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


def test_a_checked_tarball_is_cached_and_then_used_without_the_mirror(mirror: Path) -> None:
    source, tarball = debsource.fetch("bookworm", "python3.11")
    assert tarball.read_bytes() == TARBALL and source.version == "3.11.2"
    assert tarball.parent == debsource.cache_dir()
    assert source.url.endswith(f"/pool/main/p/python3.11/{TARBALL_NAME}")
    shutil.rmtree(mirror)  # the mirror is gone: the cache answers
    assert debsource.fetch("bookworm", "python3.11") == (source, tarball)


@pytest.mark.parametrize(
    ("tamper", "message"),
    [
        ("dists/bookworm/InRelease", "signature does not check"),
        ("dists/bookworm/main/source/Sources.xz", "the signed index says"),
        (f"pool/main/p/python3.11/{TARBALL_NAME}", "the signed index says"),
    ],
)
def test_a_tampered_link_of_the_chain_is_one_error(mirror: Path, tamper: str, message: str) -> None:
    path = mirror / tamper
    data = path.read_bytes()
    at = data.index(b"Codename: bookworm") if tamper.endswith("InRelease") else len(data) // 2
    path.write_bytes(data[:at] + bytes([data[at] ^ 1]) + data[at + 1 :])
    with pytest.raises(StandinSourceUnavailable, match=message) as raised:
        debsource.fetch("bookworm", "python3.11")
    assert "IMGEXP_DEBIAN_MIRROR" in str(raised.value)
    assert not (debsource.cache_dir() / TARBALL_NAME).exists()


def test_a_release_signed_by_another_key_is_refused(mirror: Path, tmp_path: Path) -> None:
    other = tmp_path / "other"
    other.mkdir(mode=0o700)
    _signer(other)
    (mirror / "dists/bookworm/InRelease").write_bytes(clearsign(other, "Codename: bookworm\n"))
    with pytest.raises(StandinSourceUnavailable, match="signature does not check"):
        debsource.fetch("bookworm", "python3.11")


def test_an_unreachable_mirror_names_the_setting(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    monkeypatch.setenv("IMGEXP_DEBIAN_MIRROR", "http://127.0.0.1:9/debian")  # the discard port: nothing answers
    with pytest.raises(
        StandinSourceUnavailable, match=re.escape("set IMGEXP_DEBIAN_MIRROR (now http://127.0.0.1:9/debian)")
    ):
        debsource.fetch("bookworm", "python3.11")


def test_a_missing_keyring_names_its_package(tmp_path: Path) -> None:
    with pytest.raises(StandinSourceUnavailable, match="apt-get install debian-archive-keyring"):
        debsource.verified_release(b"", tmp_path / "none.gpg")
