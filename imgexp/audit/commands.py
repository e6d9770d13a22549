"""The commands `imgexp inspect`, `imgexp diff` and `imgexp check`.

Bad input (an image that cannot be had, a bad budget) exits 2.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from ..engine.client import connect
from ..measure.layercache import LayerCache
from . import budget
from .diff import diff, format_diff
from .image import inspect_image
from .output import format_inspection, write_diff, write_inspections

DEFAULT_OUT = Path("reports") / "inspect"
BAD_INPUT = 2


def add_audit_commands(commands: Any) -> None:
    """Add `inspect`, `diff` and `check` to the subcommands of the imgexp parser."""
    inspect_cmd = commands.add_parser(
        "inspect",
        help="measure any image and list what in it could go, with the bytes and the fix",
        description="Measure local images (pulled first if not local and a registry answers) as imgexp measures "
        "its own builds, list the findings ranked by bytes with the Dockerfile change that removes each, and "
        "write OUT/inspect.csv and OUT/inspect.json. Exit code 2 on bad input.",
    )
    inspect_cmd.add_argument("images", nargs="+", metavar="IMAGE")
    inspect_cmd.add_argument("--out", type=Path, default=DEFAULT_OUT, help="results folder (default: %(default)s)")
    inspect_cmd.set_defaults(func=_inspect, error_exit=BAD_INPUT)

    diff_cmd = commands.add_parser(
        "diff",
        help="what changed between two images, largest first",
        description="Inspect images A and B and list what changed, largest first: size and pull size, layers "
        "only one has, Python distributions and system packages added, removed or resized (with versions), "
        "findings that appeared or went, and the files that changed most. Writes OUT/diff.csv and OUT/diff.json. "
        "Exit code 2 on bad input; the same image twice is no difference (exit 0).",
    )
    diff_cmd.add_argument("a", metavar="A")
    diff_cmd.add_argument("b", metavar="B")
    diff_cmd.add_argument("--out", type=Path, default=DEFAULT_OUT, help="results folder (default: %(default)s)")
    diff_cmd.set_defaults(func=_diff, error_exit=BAD_INPUT)

    check_cmd = commands.add_parser(
        "check",
        help="check an image against a size budget (for CI): exit 0 pass, 1 fail, 2 bad input",
        description="Measure IMAGE and check it against each rule given (on the command line, or in the "
        "[tool.imgexp.check] table of --config; the command line wins). Prints rule, limit, measured value and "
        "PASS/FAIL. Exit code 0 when every rule passes, 1 when one fails, 2 on bad input.",
    )
    check_cmd.add_argument("image", metavar="IMAGE")
    check_cmd.add_argument("--max-size", help="largest size, as docker images shows it (500MB, 1.2GB, 300MiB)")
    check_cmd.add_argument("--max-pull", help="largest pull size (gzip-compressed layers)")
    check_cmd.add_argument("--max-wasted", help="most bytes hidden by later layers")
    check_cmd.add_argument("--min-efficiency", help="least efficiency, from 0 to 1 (1 - wasted / layer bytes)")
    check_cmd.add_argument("--forbid", help=f"comma-separated kinds of finding: {', '.join(budget.KINDS)}")
    check_cmd.add_argument("--config", type=Path, help="a pyproject.toml with a [tool.imgexp.check] table")
    check_cmd.add_argument("--junit", type=Path, metavar="FILE", help="also write the outcome as JUnit XML")
    check_cmd.set_defaults(func=_check, error_exit=BAD_INPUT)


def _inspect(args: argparse.Namespace) -> int:
    client = connect()
    cache = LayerCache()
    inspections = [inspect_image(client, ref, cache) for ref in args.images]
    for inspection in inspections:
        print(format_inspection(inspection) + "\n")
    write_inspections(args.out, inspections)
    print(f"Findings: {args.out / 'inspect.csv'} (everything in {args.out / 'inspect.json'})")
    return 0


def _diff(args: argparse.Namespace) -> int:
    client = connect()
    cache = LayerCache()
    a, b = inspect_image(client, args.a, cache), inspect_image(client, args.b, cache)
    changes = diff(a, b)
    print(format_diff(a, b, changes))
    write_diff(args.out, a, b, changes)
    print(f"\nChanges: {args.out / 'diff.csv'} (with both images' summaries in {args.out / 'diff.json'})")
    return 0


def _check(args: argparse.Namespace) -> int:
    rules = budget.read_config(args.config) if args.config else {}
    given = {rule: getattr(args, rule.replace("-", "_")) for rule in budget.RULES}
    rules.update({rule: value for rule, value in given.items() if value is not None})
    checked = budget.budget(rules)
    inspection = inspect_image(connect(), args.image, LayerCache())
    outcomes = budget.judge(checked, inspection)
    print(budget.format_outcomes(outcomes, colour=budget.wants_colour(sys.stdout)))
    if args.junit:
        budget.write_junit(args.junit, args.image, outcomes)
    return 0 if all(outcome.passed for outcome in outcomes) else 1
