"""The command line and the Settings it builds, where no engine is needed."""

from __future__ import annotations

from pathlib import Path

import pytest

import imgexp
from imgexp import cli
from imgexp.paths import DATA, DEFAULT_DOCKERFILES, DEFAULT_REQUIREMENTS
from imgexp.prepare import prepare
from imgexp.settings import Settings, shown_path

from ..helpers import SHIPPED_STRATEGIES


def test_strategies_lists_every_strategy_with_its_bases_and_description(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["strategies"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line.split()[0] for line in lines] == list(SHIPPED_STRATEGIES)
    bases = {line.split()[0]: line.split()[1] for line in lines}
    assert bases["base"] == "full" and bases["slim"] == "slim" and bases["alpine"] == "alpine"
    assert bases["minimal"] == "slim+scratch"
    assert all(len(line.split(maxsplit=2)) == 3 for line in lines)  # each with its description


def test_strategies_reads_another_folder(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "Dockerfile.mine").write_text(
        "# imgexp.description: My own.\nARG PYTHON_SLIM_IMAGE=x\nFROM ${PYTHON_SLIM_IMAGE}\n"
    )
    assert cli.main(["strategies", "--dockerfiles", str(tmp_path)]) == 0
    assert capsys.readouterr().out.split() == ["mine", "slim", "My", "own."]


@pytest.mark.parametrize("where", ["out", "parent"])
def test_out_that_is_a_file_is_one_clear_error(tmp_path: Path, where: str, capsys: pytest.CaptureFixture[str]) -> None:
    file = tmp_path / "results.csv"
    file.write_text("not a folder\n")
    out = file if where == "out" else file / "run"
    assert cli.main(["run", "--out", str(out), "--quiet"]) == 1
    error = capsys.readouterr().err
    assert error.startswith("imgexp: error: ") and "Traceback" not in error
    assert f"{file} is a file" in error and "Pass --out" in error and "folder" in error


def test_run_options_default_to_the_settings_defaults() -> None:
    """The CLI builds Settings from argparse defaults taken from Settings; only --strategies is its own."""
    args = cli._parser().parse_args(["run"])
    assert cli.run_settings(args) == Settings(strategies=("base", "slim", "multi-stage"))


@pytest.mark.parametrize(
    ("given", "names"),
    [("slim,base", ("slim", "base")), (["slim"], ("slim",)), ("all", None), (" all ", None), (None, None)],
)
def test_settings_normalise_strategies_and_read_nothing(given: object, names: tuple[str, ...] | None) -> None:
    settings = Settings(strategies=given, requirements="no-such.txt", dockerfiles="no-such")  # type: ignore[arg-type]
    assert settings.strategies == names
    assert settings.requirements.is_absolute() and not settings.requirements.exists()


def test_prepare_reads_the_inputs_settings_name() -> None:
    prepared = prepare(imgexp.Settings(strategies="slim,base", requirements=DEFAULT_REQUIREMENTS))
    assert [s.name for s in prepared.strategies] == ["slim", "base"]
    assert prepared.requirements.path == DEFAULT_REQUIREMENTS
    assert [s.name for s in prepare(Settings()).strategies] == list(SHIPPED_STRATEGIES)  # None: every strategy


@pytest.mark.parametrize(
    ("options", "error"),
    [
        ({"strategies": ["no-such"]}, imgexp.StrategyNotFound),
        ({"requirements": "no-such.txt"}, imgexp.RequirementsNotFound),
        ({"dockerfiles": "no-such-folder"}, imgexp.DockerfilesNotFound),
        ({"ca_bundle": "no-such.pem"}, imgexp.CaBundleNotFound),
        ({"base_source": "registry"}, imgexp.ImgexpError),
        ({"builder": "kaniko"}, imgexp.ImgexpError),
    ],
)
def test_what_cannot_work_is_refused_before_any_build(options: dict[str, object], error: type[Exception]) -> None:
    with pytest.raises(error):
        prepare(Settings(**options))  # type: ignore[arg-type]


def test_shown_paths_carry_no_machine_path(tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert shown_path(DEFAULT_REQUIREMENTS, out) == "requirements/requirements.txt"
    assert shown_path(DEFAULT_DOCKERFILES, out) == "dockerfiles"
    assert shown_path(out / "results.csv", out) == "results.csv"
    assert shown_path(out, out) == "out"
    assert shown_path(tmp_path / "ca" / "bundle.pem", out) == "bundle.pem"
    assert shown_path("/etc/ssl/certs/ca-certificates.crt", out) == "/etc/ssl/certs/ca-certificates.crt"
    shown = Settings(out=out, ca_bundle=str(tmp_path / "bundle.pem")).shown()
    assert str(DATA) not in str(shown) and str(tmp_path) not in str(shown)


def test_the_table_compares_a_project_with_its_first_strategy_in_aligned_columns() -> None:
    from imgexp.results import results_frame

    def row(name: str, size: int, verified: bool, error: str = "") -> dict[str, object]:
        return {"strategy": name, "status": "ok", "size_bytes": size, "size": f"{size}B", "verified": verified,
                "verify_error": error, "base_image": "python:3.11-slim", "base_standin": False}  # fmt: skip

    rows = [row("current", 200, True), row("slim", 100, True), row("lean", 50, False, "verify command 'x' failed")]
    table = cli.format_table(results_frame(rows, {"baseline": "current"})).splitlines()
    assert table[0].split()[2:4] == ["vs", "current"]
    assert table[2].split()[2] == "-50%" and table[1].split()[2] == "-"
    assert {line.index("python:3.11-slim") for line in table[1:4]} == {table[0].index("base image")}
    assert "verification failed: verify command 'x' failed" in table[4]


FAILED_REASON = (
    "build failed at [2/2] RUN gcc -c probe.c (exit code: 1)\n"
    "probe.c:2:10: fatal error: Python.h: No such file or directory\n"
    "the whole build log: logs/compile.log"
)


def _rows(*statuses: str, verified: bool = True) -> list[dict[str, object]]:
    """Rows of the given statuses: ok ones measured (``verified`` as given), the others with a reason."""
    rows: list[dict[str, object]] = []
    for n, status in enumerate(statuses):
        name = f"s{n}"
        if status == "ok":
            error = "" if verified else "x: import x"
            rows.append({"strategy": name, "status": "ok", "size_bytes": 100, "size": "100B", "verified": verified,
                         "verify_error": error, "base_image": "b", "base_standin": False})  # fmt: skip
        else:
            reason = FAILED_REASON if status == "failed" else "Base image python:3.11-alpine is not available"
            rows.append({"strategy": name, "status": status, "reason": reason, "verified": False})
    return rows


@pytest.mark.parametrize(
    ("statuses", "verified", "code"),
    [
        (("ok", "ok"), True, 0),
        (("ok", "not-run"), True, 0),  # no base here: neither a failure nor a success
        (("ok", "ok"), False, cli.EXIT_UNVERIFIED),
        (("ok", "failed", "ok"), True, cli.EXIT_FAILED),
        (("failed", "ok"), False, cli.EXIT_FAILED),  # a failed build wins over a failed verification
    ],
)
def test_the_exit_code_says_whether_a_strategy_failed_to_build(
    statuses: tuple[str, ...], verified: bool, code: int
) -> None:
    from imgexp.results import results_frame

    assert cli.exit_code(results_frame(_rows(*statuses, verified=verified), {})) == code
    assert (cli.EXIT_ERROR, cli.EXIT_UNVERIFIED, cli.EXIT_FAILED) == (1, 2, 3)  # as README and --help say


def test_the_table_shows_a_failed_build_with_its_error_lines() -> None:
    from imgexp.results import results_frame

    table = cli.format_table(results_frame(_rows("ok", "failed", "not-run"), {})).splitlines()
    assert table[2].split()[:4] == ["s1", "-", "-", "FAILED"] and table[2].endswith("(exit code: 1)")
    assert table[3].strip() == "probe.c:2:10: fatal error: Python.h: No such file or directory"
    assert table[4].strip() == "the whole build log: logs/compile.log"
    assert table[5].split()[3:5] == ["not", "run"]


def test_run_help_documents_the_exit_codes(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        cli.main(["run", "--help"])
    shown = capsys.readouterr().out
    assert "exit codes:" in shown and "3  a strategy failed to build" in shown
