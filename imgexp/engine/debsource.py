"""CPython's upstream source, from Debian's mirror, checked through the mirror's signed chain.

Debian ships CPython's release tarball as the ``.orig.tar.gz`` of each ``python3.X`` source
package. Its sha256 is in the release's ``main/source/Sources.xz`` index, whose sha256 is in
``InRelease``, which Debian's archive keys sign (checked with ``gpgv`` against
debian-archive-keyring). A tarball that passed is kept under $XDG_CACHE_HOME/imgexp/cpython
with a note of what vouched for it, so a later bootstrap needs no network.
"""

from __future__ import annotations

import hashlib
import json
import lzma
import os
import re
import subprocess
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path

import requests

from ..errors import StandinSourceUnavailable
from ..results import write_atomic

DEFAULT_MIRROR = "http://deb.debian.org/debian"
KEYRING = Path("/usr/share/keyrings/debian-archive-keyring.gpg")
SOURCES_INDEX = "main/source/Sources.xz"
#: the fix for a mirror that served something other than Debian signed
_ALTERED = (
    "The mirror (or a proxy between) served files that are not Debian's: set IMGEXP_DEBIAN_MIRROR to another "
    "Debian mirror, then run the same command again"
)
_TIMEOUT = 60


@dataclass(frozen=True)
class SourceFile:
    """One file of a source package as an index lists it."""

    name: str
    sha256: str
    size: int


@dataclass(frozen=True)
class CPythonSource:
    """CPython's upstream tarball as a Debian release carries it, and where it was checked."""

    release: str
    package: str  # python3.11
    version: str  # the upstream version: 3.11.2
    url: str
    file: SourceFile


def mirror() -> str:
    """The Debian mirror: IMGEXP_DEBIAN_MIRROR, else deb.debian.org."""
    return (os.environ.get("IMGEXP_DEBIAN_MIRROR") or DEFAULT_MIRROR).rstrip("/")


def cache_dir() -> Path:
    """Where checked tarballs are kept: $XDG_CACHE_HOME/imgexp/cpython (~/.cache by default)."""
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "imgexp" / "cpython"


def release_digests(release: str) -> dict[str, SourceFile]:
    """The SHA256 section of a Release file: index path -> its digest and size."""
    found: dict[str, SourceFile] = {}
    in_section = False
    for line in release.splitlines():
        if not line.startswith(" "):
            in_section = line.strip() == "SHA256:"
            continue
        if in_section and len(words := line.split()) == 3:
            found[words[2]] = SourceFile(words[2], words[0], int(words[1]))
    return found


def source_stanza(sources: str, package: str) -> dict[str, str]:
    """The fields of ``package``'s paragraph in a Sources index (continuation lines joined by newlines)."""
    for paragraph in re.split(r"\n\s*\n", sources):
        fields: dict[str, str] = {}
        key = ""
        for line in paragraph.splitlines():
            if line[:1] in (" ", "\t") and key:
                fields[key] += "\n" + line.strip()
            elif ":" in line:
                key, _, value = line.partition(":")
                fields[key] = value.strip()
        if fields.get("Package") == package:
            return fields
    return {}


def orig_tarball(stanza: dict[str, str]) -> SourceFile | None:
    """The upstream tarball (``*.orig.tar.*``) among a source paragraph's Checksums-Sha256."""
    for line in stanza.get("Checksums-Sha256", "").splitlines():
        words = line.split()
        if len(words) == 3 and re.search(r"\.orig\.tar\.[a-z0-9]+$", words[2]):
            return SourceFile(words[2], words[0], int(words[1]))
    return None


def upstream_version(file: SourceFile) -> str:
    """``python3.11_3.11.2.orig.tar.gz`` -> ``3.11.2``."""
    return file.name.split("_", 1)[1].split(".orig.", 1)[0]


def verified_release(inrelease: bytes, keyring: Path | None = None) -> str:
    """The signed text of an InRelease file, if the keys of ``keyring`` (Debian's archive keys) signed it."""
    keyring = keyring or KEYRING
    if not keyring.is_file():
        raise StandinSourceUnavailable(
            "InRelease", f"no Debian archive keyring at {keyring}", "Install it: apt-get install debian-archive-keyring"
        )
    with tempfile.TemporaryDirectory(prefix="imgexp-inrelease-") as scratch:
        signed, text = Path(scratch) / "InRelease", Path(scratch) / "Release"
        signed.write_bytes(inrelease)
        try:
            done = subprocess.run(
                ["gpgv", "--status-fd", "1", "--keyring", str(keyring), "--output", str(text), str(signed)],
                capture_output=True,
                text=True,
            )
        except FileNotFoundError as exc:
            raise StandinSourceUnavailable(
                "InRelease", "gpgv is not installed", "Install it: apt-get install gpgv"
            ) from exc
        status = done.stdout.split("\n")
        good = any(line.startswith("[GNUPG:] VALIDSIG ") for line in status)
        bad = any(line.startswith(("[GNUPG:] BADSIG ", "[GNUPG:] ERRSIG ")) for line in status)
        if done.returncode != 0 or not good or bad:
            why = (done.stderr.strip().splitlines() or ["no good signature"])[-1]
            raise StandinSourceUnavailable(
                "InRelease", f"its signature does not check against {keyring} ({why})", _ALTERED
            )
        return text.read_text()


def check_digest(data: bytes, expected: SourceFile, what: str) -> None:
    """Raise unless ``data`` has the size and sha256 the signed chain gives for it."""
    digest = hashlib.sha256(data).hexdigest()
    if len(data) != expected.size or digest != expected.sha256:
        raise StandinSourceUnavailable(
            what,
            f"sha256 {digest} ({len(data)} bytes), the signed index says {expected.sha256} ({expected.size} bytes)",
            _ALTERED,
        )


def locate(release: str, package: str, base: str | None = None) -> CPythonSource:
    """Find ``package``'s upstream tarball in ``release``'s signed indexes on the mirror (no tarball fetched)."""
    base = base or mirror()
    signed = verified_release(_get(f"{base}/dists/{release}/InRelease"))
    index = release_digests(signed).get(SOURCES_INDEX)
    if index is None:
        raise StandinSourceUnavailable(f"{release}'s InRelease", f"it lists no {SOURCES_INDEX}", _ALTERED)
    compressed = _get(f"{base}/dists/{release}/{SOURCES_INDEX}")
    check_digest(compressed, index, f"{release}'s {SOURCES_INDEX}")
    stanza = source_stanza(lzma.decompress(compressed).decode(errors="replace"), package)
    file = orig_tarball(stanza)
    if file is None or "Directory" not in stanza:
        raise StandinSourceUnavailable(
            f"{release}'s {SOURCES_INDEX}",
            f"it has no source package {package} with an upstream tarball",
            "Stand-ins exist for the Python each Debian release ships (imgexp.engine.standins.DEBIAN_RELEASES)",
        )
    url = f"{base}/{stanza['Directory']}/{file.name}"
    return CPythonSource(release, package, upstream_version(file), url, file)


def fetch(release: str, package: str) -> tuple[CPythonSource, Path]:
    """The checked upstream tarball of ``package`` in ``release``: from the cache, else fetched and checked."""
    folder = cache_dir()
    note = folder / f"{release}-{package}.json"
    if note.is_file():
        source = _from_note(note)
        tarball = folder / source.file.name
        if tarball.is_file() and _sha256(tarball) == source.file.sha256:
            return source, tarball
    source = locate(release, package)
    data = _get(source.url)
    check_digest(data, source.file, source.file.name)
    folder.mkdir(parents=True, exist_ok=True)
    tarball = folder / source.file.name
    partial = tarball.with_suffix(".partial")
    partial.write_bytes(data)
    partial.replace(tarball)
    write_atomic(note, json.dumps(asdict(source), indent=2) + "\n")
    return source, tarball


def _from_note(note: Path) -> CPythonSource:
    fields = json.loads(note.read_text())
    return CPythonSource(**{**fields, "file": SourceFile(**fields["file"])})


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def _get(url: str) -> bytes:
    """The body at ``url``; StandinSourceUnavailable naming the mirror setting when it cannot be had."""
    try:
        answer = requests.get(url, timeout=_TIMEOUT)
        answer.raise_for_status()
    except requests.RequestException as exc:
        raise StandinSourceUnavailable(
            url,
            f"the mirror did not answer ({exc})",
            f"Check the network, or set IMGEXP_DEBIAN_MIRROR (now {mirror()}) to a Debian mirror reachable from here",
        ) from exc
    return answer.content
