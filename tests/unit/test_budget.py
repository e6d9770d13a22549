"""`imgexp check`'s budget: sizes and rules read, the verdict on measured figures, the table, JUnit, exit code 2."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import pandas as pd
import pytest

from imgexp import cli
from imgexp.audit import budget
from imgexp.audit.image import Inspection
from imgexp.errors import ImgexpError, InvalidBudget


@pytest.mark.parametrize(
    ("text", "size"),
    [
        ("500MB", 500_000_000),
        ("500mb", 500_000_000),
        ("1.5GB", 1_500_000_000),
        ("10kB", 10_000),
        ("10KB", 10_000),
        ("200MiB", 200 * 1024**2),
        ("1GiB", 1024**3),
        ("1234", 1234),
        ("7 B", 7),
        (" 2TB ", 2 * 10**12),
    ],
)
def test_sizes_are_read_in_dockers_units_and_binary_ones(text: str, size: int) -> None:
    assert budget.parse_size("max-size", text) == size


@pytest.mark.parametrize("text", ["5XB", "", "MB", "-5MB", "5 M B", "1e9", "five"])
def test_a_malformed_size_is_one_error_naming_the_rule_and_the_forms(text: str) -> None:
    with pytest.raises(InvalidBudget, match=r"max-pull = .*a size is a number and a unit: 500MB"):
        budget.parse_size("max-pull", text)


@pytest.mark.parametrize(
    ("rules", "problem"),
    [
        ({"max-sise": "5MB"}, "no such rule; the rules are max-size, max-pull"),
        ({"min-efficiency": "1.5"}, "from 0 to 1"),
        ({"min-efficiency": "high"}, "from 0 to 1"),
        ({"forbid": "pycache,gcc"}, "no kind of finding 'gcc'; the kinds are pip-cache"),
    ],
)
def test_bad_rules_are_errors(rules: dict[str, str], problem: str) -> None:
    with pytest.raises(InvalidBudget, match=problem):
        budget.budget(rules)


def test_no_rule_at_all_is_an_error() -> None:
    with pytest.raises(ImgexpError, match="No budget to check"):
        budget.budget({})


def test_forbid_takes_a_list_or_a_comma_separated_string() -> None:
    assert budget.budget({"forbid": ["pycache", "compiler"]}).forbidden == ("pycache", "compiler")
    assert budget.budget({"forbid": "pycache, compiler"}).forbidden == ("pycache", "compiler")


def _inspection(size: int, pull: int, wasted: int, efficiency: float, findings: dict[str, int]) -> Inspection:
    summary = {"size_bytes": size, "compressed_bytes": pull, "wasted_bytes": wasted, "efficiency": efficiency}
    table = pd.DataFrame({"kind": list(findings), "bytes": list(findings.values())})
    return Inspection(summary=summary, layers=pd.DataFrame(), packages=pd.DataFrame(), findings=table)


RULES = {
    "max-size": "500MB",
    "max-pull": "200MB",
    "max-wasted": "10MB",
    "min-efficiency": "0.95",
    "forbid": "pycache,compiler",
}


@pytest.mark.parametrize(
    ("figures", "failed"),
    [
        ((500_000_000, 200_000_000, 10_000_000, 0.95, {"docs": 5}), []),  # at the limit passes
        ((500_000_001, 1, 0, 1.0, {}), ["max-size"]),
        ((1, 200_000_001, 0, 1.0, {}), ["max-pull"]),
        ((1, 1, 10_000_001, 1.0, {}), ["max-wasted"]),
        ((1, 1, 0, 0.9499, {}), ["min-efficiency"]),
        ((1, 1, 0, 1.0, {"pycache": 1, "pip": 9}), ["forbid pycache"]),
        ((1, 1, 0, 1.0, {"compiler": 10, "pycache": 0}), ["forbid compiler"]),
    ],
)
def test_each_rule_fails_only_past_its_limit(
    figures: tuple[int, int, int, float, dict[str, int]], failed: list[str]
) -> None:
    outcomes = budget.judge(budget.budget(RULES), _inspection(*figures))
    assert [o.rule for o in outcomes] == [*list(RULES)[:4], "forbid pycache", "forbid compiler"]
    assert [o.rule for o in outcomes if not o.passed] == failed


def test_the_table_is_coloured_only_when_asked() -> None:
    outcomes = budget.judge(budget.budget({"max-size": "1kB"}), _inspection(2000, 1, 0, 1.0, {}))
    plain = budget.format_outcomes(outcomes, colour=False)
    assert "\033[" not in plain
    assert plain.splitlines()[1].split() == ["max-size", "1kB", "2kB", "FAIL"]
    assert "\033[31mFAIL\033[0m" in budget.format_outcomes(outcomes, colour=True)


def test_no_colour_off_a_terminal_or_with_no_color(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with (tmp_path / "out").open("w") as file:
        assert not budget.wants_colour(file)

    class Terminal:
        def isatty(self) -> bool:
            return True

    monkeypatch.delenv("NO_COLOR", raising=False)
    assert budget.wants_colour(Terminal())
    monkeypatch.setenv("NO_COLOR", "1")
    assert not budget.wants_colour(Terminal())


def test_junit_has_one_case_per_rule_and_a_failure_for_each_failed_one(tmp_path: Path) -> None:
    outcomes = budget.judge(budget.budget(RULES), _inspection(600_000_000, 1, 0, 1.0, {"compiler": 5}))
    path = tmp_path / "junit.xml"
    budget.write_junit(path, "my/image:1", outcomes)
    suite = ET.parse(path).getroot().find("testsuite")
    assert suite is not None and suite.get("tests") == "6" and suite.get("failures") == "2"
    failed = [case.get("name") for case in suite.iter("testcase") if case.find("failure") is not None]
    assert failed == ["max-size", "forbid compiler"]


def test_rules_are_read_from_a_pyproject_table(tmp_path: Path) -> None:
    pyproject = tmp_path / "pyproject.toml"
    pyproject.write_text('[tool.imgexp.check]\nmax-size = "500MB"\nforbid = ["pycache"]\nmin-efficiency = 0.9\n')
    rules = budget.read_config(pyproject)
    assert budget.budget(rules) == budget.Budget({"max-size": 500e6, "min-efficiency": 0.9}, ("pycache",))


@pytest.mark.parametrize(
    ("text", "problem"),
    [("[tool.other]\nx = 1\n", "no \\[tool.imgexp.check\\] table"), ("[tool.imgexp.check\n", "not valid TOML")],
)
def test_a_pyproject_without_a_budget_is_an_error(tmp_path: Path, text: str, problem: str) -> None:
    pyproject = tmp_path / "pyproject.toml"
    pyproject.write_text(text)
    with pytest.raises(ImgexpError, match=problem):
        budget.read_config(pyproject)


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--max-size", "5XB"], "max-size = '5XB'"),
        (["--forbid", "pycache,nope"], "no kind of finding 'nope'"),
        ([], "No budget to check"),
        (["--config", "/nonexistent/pyproject.toml"], "does not exist"),
    ],
)
def test_bad_input_exits_2_before_any_engine_is_asked(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DOCKER_HOST", "unix:///nonexistent/docker.sock")  # an engine asked would fail differently
    assert cli.main(["check", "some/image", *argv]) == 2
    error = capsys.readouterr().err
    assert error.startswith("imgexp: error: ") and message in error and "Traceback" not in error


def test_a_forbidden_kind_counts_the_base_part_and_the_added_part() -> None:
    table = pd.DataFrame({"kind": ["compiler", "compiler"], "origin": ["base", "added"], "bytes": [300, 5]})
    summary = {"size_bytes": 1, "compressed_bytes": 1, "wasted_bytes": 0, "efficiency": 1.0}
    inspection = Inspection(summary=summary, layers=pd.DataFrame(), packages=pd.DataFrame(), findings=table)
    (outcome,) = budget.judge(budget.budget({"forbid": "compiler"}), inspection)
    assert not outcome.passed and outcome.measured == "305B"
