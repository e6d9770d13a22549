"""`imgexp report --inspect` and `--diff`: notebooks/inspect.ipynb and diff.ipynb rendered as pages for images
built in the test."""

from __future__ import annotations

import io
import tarfile
from pathlib import Path

import docker

from imgexp import cli
from imgexp.audit.findings import KINDS
from imgexp.report.publish import diff_page_name, inspect_page_name

TAG = "imgexp-test/inspect-report:page"
#: the image's files: a pip cache and docs, two findings of known bytes
FILES = {"root/.cache/pip/http/a/blob": 300_000, "usr/share/doc/tool/README": 100_000, "etc/motd": 5}


def _image(client: docker.DockerClient, files: dict[str, int] = FILES, name: str = TAG) -> None:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as archive:
        for path, size in files.items():
            info = tarfile.TarInfo(path)
            info.size = size
            archive.addfile(info, io.BytesIO(b"x" * size))
    repository, tag = name.split(":")
    client.api.import_image_from_data(buffer.getvalue(), repository=repository, tag=tag)


def test_report_inspect_renders_a_page_with_the_findings_and_their_fix(
    client: docker.DockerClient, tmp_path: Path
) -> None:
    _image(client)
    try:
        assert cli.main(["report", "--inspect", TAG, "--out", str(tmp_path), "--quiet"]) == 0
    finally:
        client.images.remove(TAG, force=True)
    page = (tmp_path / f"{inspect_page_name(TAG)}.html").read_text()
    for kind in ("pip-cache", "docs"):
        assert kind in page and KINDS[kind].title.split(" (")[0] in page
    assert "--no-cache-dir" in page  # pip-cache's fix
    assert "300kB" in page and "100kB" in page  # each finding's bytes, as docker shows them
    assert "no Python found" in page and "docker engine" in page  # a note, and the provenance
    index = (tmp_path / "index.html").read_text()
    assert f'href="{inspect_page_name(TAG)}.html"' in index and "failed" not in index.split("<table>")[1]


def test_report_inspect_of_an_image_that_cannot_be_had_renders_its_error_and_exits_2(tmp_path: Path) -> None:
    missing = "imgexp-test/no-such-image:never"
    assert cli.main(["report", "--inspect", missing, "--out", str(tmp_path), "--quiet"]) == 2
    assert "ImageUnavailable" in (tmp_path / f"{inspect_page_name(missing)}.html").read_text()


def test_report_diff_renders_a_page_with_what_changed(client: docker.DockerClient, tmp_path: Path) -> None:
    fixed = "imgexp-test/inspect-report:fixed"
    _image(client)
    _image(client, {"usr/share/doc/tool/README": 100_000, "etc/motd": 5, "opt/app/data.bin": 50_000}, fixed)
    try:
        assert cli.main(["report", "--diff", TAG, fixed, "--out", str(tmp_path), "--quiet"]) == 0
    finally:
        client.images.remove(TAG, force=True)
        client.images.remove(fixed, force=True)
    page = (tmp_path / f"{diff_page_name(TAG, fixed)}.html").read_text()
    assert "pip-cache" in page and "removed" in page  # the finding that went
    assert "opt/app/data.bin" in page and "added" in page  # the file that came
    assert f'href="{diff_page_name(TAG, fixed)}.html"' in (tmp_path / "index.html").read_text()
