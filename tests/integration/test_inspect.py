"""`imgexp inspect` and `imgexp check` on real images built by imgexp, and the proof that findings deliver their bytes.

The strategies that remove exactly one kind of finding are built with a small requirement
(no compiler needed, but slim's recipe installs one anyway): the bytes slim's findings
promise must be what those builds really save, within 5 %.
"""

from __future__ import annotations

import io
import json
import tarfile
import xml.etree.ElementTree as ET
from pathlib import Path

import docker
import pandas as pd
import pytest

import imgexp
from imgexp import cli
from imgexp.audit.image import inspect_image
from imgexp.audit.origin import row_base, smaller_base

STRATEGIES = [
    "base",
    "slim",
    "slim-nocompiler",
    "multi-stage",
    "multi-stage-lean",
    "multi-stage-nopycache",
    "minimal",
]
README_BUDGET = [
    "--max-size",
    "500MB",
    "--max-pull",
    "200MB",
    "--max-wasted",
    "10MB",
    "--min-efficiency",
    "0.95",
    "--forbid",
    "pycache,compiler,pip-cache",
]


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory, small_requirements: Path) -> pd.DataFrame:
    out = tmp_path_factory.mktemp("inspect-run")
    results = imgexp.run(requirements=small_requirements, strategies=STRATEGIES, out=out, progress=False)
    assert results["verified"].all()
    return results.set_index("strategy")


def _bytes(findings: pd.DataFrame, *kinds: str) -> int:
    """The bytes the build added (what its fixes remove) of these kinds."""
    added = findings[findings["origin"] == "added"]
    return int(added.loc[added["kind"].isin(kinds), "bytes"].sum())


def test_slims_findings_are_what_the_strategies_that_remove_them_save(
    client: docker.DockerClient, built: pd.DataFrame
) -> None:
    findings = inspect_image(client, built.loc["slim", "image"], base=row_base(built.loc["slim"].to_dict())).findings
    size = built["size_bytes"]
    assert {"compiler", "pip", "pycache"} <= set(findings["kind"])
    assert set(findings.loc[findings["kind"] == "pip", "origin"]) == {"base", "added"}  # the base's pip is the base's
    compiler = _bytes(findings, "compiler")
    assert compiler == pytest.approx(size["slim"] - size["slim-nocompiler"], rel=0.05)
    removable = _bytes(findings, "compiler", "pip", "pip-cache", "pycache", "tests")
    assert removable == pytest.approx(size["slim"] - size["multi-stage-nopycache"], rel=0.05)
    python = _bytes(findings, "pip", "pip-cache", "pycache", "tests")
    assert python == pytest.approx(size["slim-nocompiler"] - size["multi-stage-nopycache"], rel=0.05)


def test_check_fails_base_and_passes_minimal_with_the_readme_budget(
    built: pd.DataFrame, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    junit = tmp_path / "junit.xml"
    assert cli.main(["check", built.loc["base", "image"], *README_BUDGET, "--junit", str(junit)]) == 1
    table = capsys.readouterr().out
    assert "max-size" in table and "FAIL" in table and "\033[" not in table  # no colour off a terminal
    failed = [c.get("name") for c in ET.parse(junit).getroot().iter("testcase") if c.find("failure") is not None]
    assert "max-size" in failed and "forbid compiler" in failed
    assert cli.main(["check", built.loc["minimal", "image"], *README_BUDGET]) == 0
    assert "FAIL" not in capsys.readouterr().out


def test_check_reads_its_budget_from_a_pyproject(built: pd.DataFrame, tmp_path: Path) -> None:
    pyproject = tmp_path / "pyproject.toml"
    pyproject.write_text('[tool.imgexp.check]\nmax-size = "500MB"\nforbid = ["compiler"]\n')
    assert cli.main(["check", built.loc["slim", "image"], "--config", str(pyproject)]) == 1
    assert cli.main(["check", built.loc["slim", "image"], "--config", str(pyproject), "--forbid", "docs,tests"]) == 1
    assert cli.main(["check", built.loc["multi-stage", "image"], "--config", str(pyproject)]) == 0


def test_inspect_of_the_base_image_lists_findings_and_writes_its_tables(
    built: pd.DataFrame, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    image = built.loc["base", "image"]
    assert cli.main(["inspect", image, "--out", str(tmp_path)]) == 0
    shown = capsys.readouterr().out
    assert "compiler" in shown and "fix:" in shown and "total" in shown
    table = pd.read_csv(tmp_path / "inspect.csv", keep_default_na=False)
    assert set(table["image"]) == {image} and "compiler" in set(table["kind"])
    assert list(table["bytes"]) == sorted(table["bytes"], reverse=True)
    base, slim = built.loc["base", "base_image"], smaller_base(built.loc["base", "base_image"], "3.11")
    compiler = table[(table["kind"] == "compiler") & (table["origin"] == "base")].iloc[0]  # the full base's own
    assert f"comes with the base {base}" in compiler.fix and f"the smaller base {slim} leaves it out" in compiler.fix
    data = json.loads((tmp_path / "inspect.json").read_text())
    summary = data["images"][0]["summary"]
    assert summary["size_bytes"] == built.loc["base", "size_bytes"]
    assert summary["findings_bytes"] == table["bytes"].sum() and summary["python"].startswith("3.11:")
    assert set(data["columns"]["images"]) <= set(summary)


def test_an_image_that_is_not_local_and_cannot_be_pulled_exits_2_and_writes_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["inspect", "imgexp-test/no-such-image:0", "--out", str(tmp_path / "out")]) == 2
    error = capsys.readouterr().err
    assert "imgexp-test/no-such-image:0 is not local and could not be read from its registry" in error
    assert not (tmp_path / "out").exists()


def test_an_image_without_python_reports_its_layers_and_says_so(
    client: docker.DockerClient, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as archive:
        info = tarfile.TarInfo("etc/motd")
        info.size = 5
        archive.addfile(info, io.BytesIO(b"hello"))
    tag = "imgexp-test/no-python:inspect"
    client.api.import_image_from_data(buffer.getvalue(), repository=tag.split(":")[0], tag="inspect")
    try:
        assert cli.main(["inspect", tag, "--out", str(tmp_path)]) == 0
        assert "no Python found" in capsys.readouterr().out
        summary = json.loads((tmp_path / "inspect.json").read_text())["images"][0]["summary"]
        assert summary["layers"] == 1 and summary["python"] == "" and summary["findings_bytes"] == 0
    finally:
        client.images.remove(tag, force=True)


def test_diff_of_slim_and_multi_stage_names_the_compiler_packages_with_their_bytes(
    built: pd.DataFrame, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert (
        cli.main(["diff", built.loc["slim", "image"], built.loc["multi-stage", "image"], "--out", str(tmp_path)]) == 0
    )
    assert "gcc-12" in capsys.readouterr().out
    changes = pd.read_csv(tmp_path / "diff.csv", keep_default_na=False)
    removed = changes[(changes["group"] == "system-package") & (changes["change"] == "removed")]
    assert {"gcc-12", "cpp-12", "libpython3.11-dev"} <= set(removed["name"])
    size = changes[(changes["group"] == "image") & (changes["name"] == "size")]["delta_bytes"].item()
    assert size == built.loc["multi-stage", "size_bytes"] - built.loc["slim", "size_bytes"]
    finding = changes[(changes["group"] == "finding") & (changes["name"] == "compiler")]
    assert finding["change"].item() == "removed" and -finding["delta_bytes"].item() == pytest.approx(-size, rel=0.05)


def test_diff_of_an_image_with_itself_is_no_difference(
    built: pd.DataFrame, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    image = built.loc["minimal", "image"]
    assert cli.main(["diff", image, image, "--out", str(tmp_path)]) == 0
    assert "no difference: the same image" in capsys.readouterr().out
    assert pd.read_csv(tmp_path / "diff.csv").empty
