"""The commands `imgexp inspect`, `imgexp diff` and `imgexp check`.

Bad input (an image that cannot be had, a bad budget) exits 2. An image that is not local
(or with no engine answering) is read from its registry (imgexp.registry).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

import docker

from ..engine.client import connect
from ..errors import EngineUnavailable
from ..measure.layercache import LayerCache
from ..registry.client import DEFAULT_PLATFORM, RegistryOptions
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
        description="Measure images (local ones from the engine; others read from their registry, no engine "
        "needed, with the exact pull size) as imgexp measures its own builds, "
        "list the findings ranked by bytes with the Dockerfile change that removes each, and "
        "write OUT/inspect.csv and OUT/inspect.json. Exit code 2 on bad input.",
    )
    inspect_cmd.add_argument("images", nargs="+", metavar="IMAGE")
    inspect_cmd.add_argument("--out", type=Path, default=DEFAULT_OUT, help="results folder (default: %(default)s)")
    _addregistry_options(inspect_cmd)
    inspect_cmd.add_argument(
        "--base",
        metavar="IMAGE",
        help="the image the images were built FROM, local or in a registry (its manifest and config are read) "
        "(default: the local image whose layers are the longest prefix of each one's); its bytes are named as the "
        "base's, the fixes apply to what the build added",
    )
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
    _addregistry_options(diff_cmd)
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
    _addregistry_options(check_cmd)
    check_cmd.set_defaults(func=_check, error_exit=BAD_INPUT)


def _addregistry_options(command: argparse.ArgumentParser) -> None:
    """--platform, --insecure and --ca-cert: how an image that is not local is read from its registry."""
    group = command.add_argument_group("images read from a registry (any IMAGE that is not local)")
    group.add_argument(
        "--platform", default=DEFAULT_PLATFORM, help="the platform to pick from an index (default: %(default)s)"
    )
    group.add_argument(
        "--insecure", action="store_true", help="allow plain HTTP and skip TLS verification for every registry"
    )
    group.add_argument("--ca-cert", type=Path, metavar="FILE", help="trust the CAs in this PEM file instead")


def registry_options(args: argparse.Namespace) -> RegistryOptions:
    """The RegistryOptions of the options _add_registry_options added."""
    return RegistryOptions(platform=args.platform, insecure=args.insecure, ca_cert=args.ca_cert)


def _engine() -> docker.DockerClient | None:
    """The engine's client, or None when none answers: images are then read from their registries."""
    try:
        return connect()
    except EngineUnavailable:
        return None


def _inspect(args: argparse.Namespace) -> int:
    client, options = _engine(), registry_options(args)
    cache = LayerCache()
    inspections = [inspect_image(client, ref, cache, options, base=args.base) for ref in args.images]
    for inspection in inspections:
        print(format_inspection(inspection) + "\n")
    write_inspections(args.out, inspections)
    print(f"Findings: {args.out / 'inspect.csv'} (everything in {args.out / 'inspect.json'})")
    return 0


def _diff(args: argparse.Namespace) -> int:
    client, options = _engine(), registry_options(args)
    cache = LayerCache()
    a, b = inspect_image(client, args.a, cache, options), inspect_image(client, args.b, cache, options)
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
    inspection = inspect_image(_engine(), args.image, LayerCache(), registry_options(args))
    outcomes = budget.judge(checked, inspection)
    print(budget.format_outcomes(outcomes, colour=budget.wants_colour(sys.stdout)))
    if args.junit:
        budget.write_junit(args.junit, args.image, outcomes)
    return 0 if all(outcome.passed for outcome in outcomes) else 1
