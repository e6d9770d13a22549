"""A size budget for CI (`imgexp check`): rules, their limits read and checked, and the verdict on an image.

Rules come from the command line or a ``[tool.imgexp.check]`` table of a pyproject.toml
(the command line wins). Every limit is read before the engine is asked anything, so a
bad one is an error (InvalidBudget) at once.
"""

from __future__ import annotations

import os
import re
import sys
import xml.etree.ElementTree as ET
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

from ..errors import ImgexpError, InvalidBudget
from ..results import write_atomic
from ..units import human_size
from .findings import KINDS
from .image import Inspection

#: rule -> (the summary figure it limits, whether the figure must stay at most or at least the limit)
LIMITS = {
    "max-size": ("size_bytes", "max"),
    "max-pull": ("compressed_bytes", "max"),
    "max-wasted": ("wasted_bytes", "max"),
    "min-efficiency": ("efficiency", "min"),
}
RULES = (*LIMITS, "forbid")
_UNITS = {
    "": 1,
    "b": 1,
    "kb": 1000,
    "mb": 1000**2,
    "gb": 1000**3,
    "tb": 1000**4,
    "kib": 1024,
    "mib": 1024**2,
    "gib": 1024**3,
    "tib": 1024**4,
}
_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([A-Za-z]*)\s*$")


@dataclass(frozen=True)
class Budget:
    limits: dict[str, float]
    """rule -> its limit (bytes, or efficiency from 0 to 1)"""
    forbidden: tuple[str, ...]
    """kinds of finding the image must not hold"""


@dataclass(frozen=True)
class Outcome:
    rule: str
    limit: str
    measured: str
    passed: bool


def parse_size(rule: str, value: str | int) -> int:
    """``500MB`` -> 500000000 (docker's 1000-based units; KiB, MiB, GiB are 1024-based; a bare number is bytes)."""
    match = _SIZE.match(str(value))
    unit = match.group(2).lower() if match else ""
    if not match or unit not in _UNITS:
        raise InvalidBudget(
            rule,
            str(value),
            "a size is a number and a unit: 500MB, 1.5GB (1000-based, as docker shows sizes), "
            "200MiB (1024-based) or a number of bytes",
        )
    return int(float(match.group(1)) * _UNITS[unit])


def parse_efficiency(rule: str, value: str | float) -> float:
    try:
        number = float(value)
    except ValueError:
        number = -1.0
    if not 0.0 <= number <= 1.0:
        raise InvalidBudget(rule, str(value), "efficiency is a number from 0 to 1, such as 0.95")
    return number


def parse_forbid(value: str | list[str]) -> tuple[str, ...]:
    kinds = [k.strip() for k in (value.split(",") if isinstance(value, str) else value) if str(k).strip()]
    unknown = [k for k in kinds if k not in KINDS]
    if unknown:
        raise InvalidBudget(
            "forbid", ",".join(map(str, kinds)), f"no kind of finding {unknown[0]!r}; the kinds are {', '.join(KINDS)}"
        )
    return tuple(kinds)


def read_config(path: Path) -> dict[str, Any]:
    """The rules of the ``[tool.imgexp.check]`` table of a pyproject.toml."""
    try:
        data = tomllib.loads(path.read_text())
    except FileNotFoundError as error:
        raise ImgexpError(f"Budget file {path} does not exist: pass --config with a pyproject.toml") from error
    except tomllib.TOMLDecodeError as error:
        raise ImgexpError(f"Budget file {path} is not valid TOML ({error})") from error
    table = data.get("tool", {}).get("imgexp", {}).get("check")
    if not isinstance(table, dict):
        raise ImgexpError(
            f'Budget file {path} has no [tool.imgexp.check] table: add one with rules such as max-size = "500MB"'
        )
    return table


def budget(rules: Mapping[str, Any]) -> Budget:
    """The budget the rules (rule name -> limit as written) set, every limit read and checked."""
    unknown = [name for name in rules if name not in RULES]
    if unknown:
        raise InvalidBudget(unknown[0], str(rules[unknown[0]]), f"no such rule; the rules are {', '.join(RULES)}")
    if not rules:
        raise ImgexpError(
            "No budget to check: pass at least one rule (--max-size 500MB, --max-pull, --max-wasted, "
            "--min-efficiency, --forbid) or --config with a [tool.imgexp.check] table"
        )
    limits: dict[str, float] = {}
    for name, value in rules.items():
        if name == "min-efficiency":
            limits[name] = parse_efficiency(name, value)
        elif name != "forbid":
            limits[name] = parse_size(name, value)
    return Budget(limits=limits, forbidden=parse_forbid(rules.get("forbid", [])))


def judge(budget: Budget, inspection: Inspection) -> list[Outcome]:
    """One outcome per rule (one per forbidden kind), in the order of RULES."""
    outcomes = []
    for name, (figure, bound) in LIMITS.items():
        if name not in budget.limits:
            continue
        limit, measured = budget.limits[name], float(inspection.summary[figure])
        passed = measured <= limit if bound == "max" else measured >= limit
        shown = (lambda v: f"{v:.4f}") if name == "min-efficiency" else human_size
        outcomes.append(Outcome(name, shown(limit), shown(measured), passed))
    held = inspection.findings.groupby("kind")["bytes"].sum().to_dict()  # the base's part and the added part
    for kind in budget.forbidden:
        size = int(held.get(kind, 0))
        outcomes.append(Outcome(f"forbid {kind}", "none", human_size(size) if size else "none", size == 0))
    return outcomes


def format_outcomes(outcomes: list[Outcome], colour: bool) -> str:
    """The table of rule, limit, measured value and verdict; PASS/FAIL coloured only when ``colour``."""
    width = max([len("rule"), *(len(o.rule) for o in outcomes)])
    lines = [f"{'rule':<{width}}  {'limit':>10}  {'measured':>10}  result"]
    for outcome in outcomes:
        verdict = "PASS" if outcome.passed else "FAIL"
        if colour:
            verdict = f"\033[{32 if outcome.passed else 31}m{verdict}\033[0m"
        lines.append(f"{outcome.rule:<{width}}  {outcome.limit:>10}  {outcome.measured:>10}  {verdict}")
    return "\n".join(lines)


def wants_colour(stream: Any = sys.stdout) -> bool:
    """Colour only on a terminal, and never with NO_COLOR set."""
    return bool(getattr(stream, "isatty", lambda: False)()) and not os.environ.get("NO_COLOR")


def write_junit(path: Path, image: str, outcomes: list[Outcome]) -> None:
    """A JUnit XML report, one test case per rule, so that CI systems show the check as test results."""
    failures = sum(not o.passed for o in outcomes)
    suites = ET.Element("testsuites", name="imgexp check", tests=str(len(outcomes)), failures=str(failures))
    suite = ET.SubElement(
        suites, "testsuite", name=f"imgexp check {image}", tests=str(len(outcomes)), failures=str(failures), errors="0"
    )
    for outcome in outcomes:
        case = ET.SubElement(suite, "testcase", classname=f"imgexp.check.{image}", name=outcome.rule)
        if not outcome.passed:
            message = f"{outcome.rule}: measured {outcome.measured}, limit {outcome.limit}"
            ET.SubElement(case, "failure", message=message, type="budget").text = message
    write_atomic(path, ET.tostring(suites, encoding="unicode", xml_declaration=True) + "\n")
