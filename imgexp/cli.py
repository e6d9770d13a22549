"""The imgexp command: run the experiment, publish its report, list strategies, manage base images, clean up;
inspect, compare and check any image."""

from __future__ import annotations

import argparse
import shutil
import sys
import textwrap
from collections.abc import Sequence
from dataclasses import fields
from pathlib import Path
from typing import get_args

import pandas as pd

from . import strategies
from .audit.commands import add_audit_commands
from .engine import bases, cleanup
from .engine.buildkit import Builder
from .engine.client import connect
from .errors import ImgexpError
from .experiment import run
from .init import init_project
from .prepare import prepare
from .results import failed
from .settings import Settings, default
from .units import human_size

#: `run` and `report`: an image measured does not work (its verification failed), or (report) a page failed
EXIT_UNVERIFIED = 2
#: `run` and `report`: a strategy failed to build (its row says why); the others ran and were written
EXIT_FAILED = 3
#: every command: an error stopped it (bad input, no engine, the engine stopping mid-run)
EXIT_ERROR = 1
_EXIT_CODES = f"""exit codes:
  0  every strategy built and its image works (a strategy not run for want of a base counts as neither)
  {EXIT_UNVERIFIED}  an image failed its verification
  {EXIT_FAILED}  a strategy failed to build (before 2: its row in results.csv says why; the others ran)
  {EXIT_ERROR}  an error stopped the run (bad input, no engine, the engine stopping mid-build)
  130  interrupted (Ctrl-C): finished strategies are kept; the same command resumes"""


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except ImgexpError as exc:
        print(f"imgexp: error: {exc}", file=sys.stderr)
        return int(args.error_exit)
    except KeyboardInterrupt:
        print(
            "imgexp: interrupted. Every finished strategy is kept; run the same command again to resume.",
            file=sys.stderr,
        )
        return 130


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="imgexp", description=__doc__)
    parser.set_defaults(error_exit=EXIT_ERROR)
    commands = parser.add_subparsers(required=True, metavar="COMMAND")

    run_cmd = commands.add_parser(
        "run",
        help="build, verify and measure each strategy and print the comparison",
        description=_wrapped(
            "Build each strategy's image, import every requirement inside it, measure it, "
            "print the write-up's table and write OUT/results.csv and OUT/results.json. A strategy whose build "
            "fails is a failed row (its reason quotes the failing command's error lines; the whole log is "
            "OUT/logs/STRATEGY.log) and the others still run."
        ),
        epilog=_EXIT_CODES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_run_options(run_cmd)
    run_cmd.set_defaults(func=_run)

    report_cmd = commands.add_parser(
        "report",
        help="run the experiment, then its notebooks, and publish them as HTML with an index",
        description=_wrapped(
            "Run (or reuse) the experiment in OUT, run notebooks/strategy.ipynb once per strategy "
            "and notebooks/compare.ipynb with papermill into OUT/notebooks/, render each as HTML with its "
            "code hidden, and write OUT/index.html linking every page."
        ),
        epilog=_EXIT_CODES.replace("verification", "verification or a page"),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_run_options(report_cmd)
    report_cmd.add_argument(
        "--inspect",
        action="append",
        metavar="IMAGE",
        help="instead of the experiment, render notebooks/inspect.ipynb for IMAGE (repeatable) as "
        "OUT/inspect-IMAGE.html: its findings with their fix, layers, largest packages, provenance",
    )
    report_cmd.add_argument(
        "--diff",
        action="append",
        nargs=2,
        metavar=("A", "B"),
        help="instead of the experiment, render notebooks/diff.ipynb for images A and B (repeatable) as "
        "OUT/diff-A-B.html: what changed, largest first",
    )
    report_cmd.set_defaults(func=_report)

    init_cmd = commands.add_parser(
        "init",
        help="write imgexp.toml and derived strategies for your project (never overwrites)",
        description="Write DIR/imgexp.toml and DIR/imgexp/Dockerfile.{slim,multi-stage,lean}: your Dockerfile "
        "(found in DIR, docker/, deploy/ or build/, or named by --dockerfile) is strategy current, untouched; "
        "the derived ones install uv.lock, poetry.lock or requirements.txt (else the pyproject.toml project) "
        "into a virtualenv on the slim python image, and on the full one copied onto slim (lean: without the "
        "virtualenv's own pip and .pyc files).",
    )
    init_cmd.add_argument("dir", nargs="?", type=Path, default=Path("."), help="the project (default: .)")
    init_cmd.add_argument(
        "--dockerfile",
        metavar="PATH",
        help="your Dockerfile, relative to DIR (default: the only Dockerfile, *.Dockerfile or Dockerfile.* in DIR "
        "or its docker/, deploy/ or build/ folder)",
    )
    init_cmd.add_argument(
        "--context", metavar="CTX", help="the build context, relative to DIR (default: DIR, e.g. a repository root)"
    )
    init_cmd.add_argument(
        "--templates",
        action="store_true",
        help="also write the template strategies (slim, multi-stage, lean from your dependency file), for a "
        "project with no working Dockerfile yet",
    )
    init_cmd.set_defaults(func=_init)

    strategies_cmd = commands.add_parser(
        "strategies",
        help="list the strategies: name, the bases their stages use, description",
        description="List every Dockerfile.<strategy> in the folder, one line each: its name, the kinds of "
        "base its stages start from (full, slim, alpine, scratch; joined by +), and its description.",
    )
    strategies_cmd.add_argument(
        "--dockerfiles", type=Path, default=default("dockerfiles"), help="strategy folder (default: %(default)s)"
    )
    strategies_cmd.set_defaults(func=_strategies)

    bases_cmd = commands.add_parser(
        "bases",
        help="show the base images, bootstrapping offline stand-ins where needed",
        description="Resolve the full and slim base images for a Python version: the official "
        "python images when they can be had, otherwise stand-ins: CPython built from its signed upstream "
        "source on Debian roots, as the official images are.",
    )
    bases_cmd.add_argument("--python", default=default("python"), help="Python version (default: %(default)s)")
    bases_cmd.add_argument("--base-source", choices=get_args(bases.BaseSource), default=default("base_source"))
    bases_cmd.add_argument("--kinds", default="full,slim", help="comma-separated kinds (default: %(default)s)")
    bases_cmd.set_defaults(func=_bases)

    clean_cmd = commands.add_parser(
        "clean",
        help="remove the images imgexp built (and, with --all, its stand-in bases)",
        description="Remove the images imgexp built: its imgexp/<strategy>:<key>-<folder> tags, and the untagged "
        "images its builds left (builder stages, rebuilds; recorded under $XDG_STATE_HOME/imgexp). Other images are "
        "never touched, not even ones built FROM an imgexp image.",
    )
    clean_cmd.add_argument("--all", action="store_true", help="also remove the offline stand-in bases")
    clean_cmd.add_argument("--dry-run", action="store_true", help="list what would be removed, remove nothing")
    clean_cmd.set_defaults(func=_clean)
    add_audit_commands(commands)
    return parser


def _wrapped(text: str) -> str:
    """A description wrapped as argparse wraps one, for parsers whose epilog keeps its own lines."""
    return textwrap.fill(text, width=min(shutil.get_terminal_size().columns, 100) - 2)


def add_run_options(parser: argparse.ArgumentParser) -> None:
    """The options of imgexp.Settings, as `run` and the commands built on it take them.

    Every default is the Settings one but ``--strategies``: without ``--project`` the command
    runs the write-up's three unless told otherwise (Settings' None runs every strategy).
    """
    parser.add_argument("--requirements", type=Path, default=default("requirements"), help="pip requirements file")
    parser.add_argument(
        "--strategies",
        default=None,
        help="comma-separated strategies, or 'all' for every Dockerfile.* (default: "
        f"{','.join(strategies.WRITEUP_ORDER)}; with --project, every strategy of its imgexp.toml)",
    )
    parser.add_argument(
        "--project",
        type=Path,
        default=default("project"),
        help="a project folder with an imgexp.toml: run its strategies (docs/projects.md); "
        "every other option given overrides the definition",
    )
    parser.add_argument(
        "--python", default=default("python"), help="Python version of the bases (default: %(default)s)"
    )
    parser.add_argument("--out", type=Path, default=default("out"), help="results folder (default: %(default)s)")
    parser.add_argument(
        "--base-source",
        choices=get_args(bases.BaseSource),
        default=default("base_source"),
        help="official python images, offline stand-ins, or auto: official when available (default: %(default)s)",
    )
    parser.add_argument(
        "--ca-bundle",
        default=default("ca_bundle"),
        help="CA bundle for pip inside builds, never kept in an image (default: $IMGEXP_CA_BUNDLE, "
        "$PIP_CERT, $REQUESTS_CA_BUNDLE, $SSL_CERT_FILE, else pip's configured cert; '' for none)",
    )
    parser.add_argument("--dockerfiles", type=Path, default=default("dockerfiles"), help="strategy folder")
    parser.add_argument("--venv-name", default=default("venv_name"), help="venv under /opt (default: %(default)s)")
    parser.add_argument(
        "--rebuild", action="store_true", default=default("rebuild"), help="build without the cache, measure again"
    )
    parser.add_argument(
        "--timings",
        action="store_true",
        default=default("timings"),
        help="record cold, warm and changed-dependency build times: build without the cache, rebuild with it, "
        "then rebuild with one requirement added (slow)",
    )
    parser.add_argument(
        "--builder",
        choices=get_args(Builder),
        default=default("builder"),
        help="buildkit (docker buildx build), classic (the Engine API's builder), or auto: BuildKit where "
        "docker buildx is installed (default: %(default)s)",
    )
    parser.add_argument(
        "--push",
        metavar="REGISTRY/PREFIX",
        default=default("push"),
        help="push each verified image to REGISTRY/PREFIX/<strategy> and take its exact pull size from the "
        "registry's manifest (e.g. 127.0.0.1:5000/imgexp; scripts/registry.sh starts one)",
    )
    progress = parser.add_mutually_exclusive_group()
    progress.add_argument("--progress", dest="progress", action="store_true", default=default("progress"))
    progress.add_argument("--quiet", dest="progress", action="store_false")


def run_settings(args: argparse.Namespace) -> Settings:
    """The Settings of the options add_run_options added, checked."""
    options = {f.name: getattr(args, f.name) for f in fields(Settings) if f.init}
    if options["strategies"] is None and options["project"] is None:
        options["strategies"] = ",".join(strategies.WRITEUP_ORDER)
    return Settings(**options)


def _run(args: argparse.Namespace) -> int:
    settings = run_settings(args)
    results = run(settings)
    out = prepare(settings).out  # a project's own results folder when --out was left at its default
    print(format_table(results))
    print(f"\nResults: {out / 'results.csv'} (provenance in {out / 'results.json'})")
    recommended = results.attrs.get("provenance", {}).get("recommendation")
    if recommended:
        where = recommended["dockerfile"]
        path = out / where if where and (out / where).is_file() else where
        print("\n" + "\n".join([*recommended["lines"], f"its Dockerfile: {path}"]) + "\n" + recommended["diff"])
    return exit_code(results)


def exit_code(results: pd.DataFrame) -> int:
    """EXIT_FAILED when a strategy failed to build, else EXIT_UNVERIFIED when an image it measured does not
    work, else 0 (a strategy not run for want of a base counts as neither)."""
    if not failed(results).empty:
        return EXIT_FAILED
    measured = results[results["status"] == "ok"]
    return 0 if measured["verified"].all() else EXIT_UNVERIFIED


def _report(args: argparse.Namespace) -> int:
    from .report import publish  # papermill and nbconvert load only for this command

    if args.inspect or args.diff:
        diffs = [(a, b) for a, b in args.diff or []]
        published = publish.publish_inspections(args.inspect or [], args.out, args.progress, diffs)
    else:
        published = publish.publish(run_settings(args))
    for page in published.pages:
        print(f"{'ok' if page.ok else 'FAILED':<7} {page.html}" + (f"  {page.error}" if page.error else ""))
    print(f"\nReport: {published.index}")
    if published.results is not None and not failed(published.results).empty:
        return EXIT_FAILED
    return 0 if published.ok else EXIT_UNVERIFIED


def format_table(results: pd.DataFrame) -> str:
    """The write-up's table: strategy, size, change against the baseline, whether it works."""
    baseline = results.attrs.get("provenance", {}).get("baseline") or "base"
    vs = "vs " + baseline
    width = max(8, len(vs))
    lines = [f"{'strategy':<24} {'size':>8} {vs:>{width}}  {'verified':<8} base image"]
    for row in results.itertuples():
        if row.status != "ok":
            reason = str(row.reason).splitlines() or [""]
            status = "FAILED" if row.status == "failed" else "not run"
            lines.append(f"{row.strategy:<24} {'-':>8} {'-':>{width}}  {status:<8} {reason[0]}")
            lines += [f"{'':<24} {line}" for line in reason[1:]]
            continue
        change = "" if pd.isna(row.vs_baseline_pct) else f"{row.vs_baseline_pct:+.0f}%"
        if row.strategy == baseline:
            change = "-"
        verified = "yes" if row.verified else "NO"
        standin = " (stand-in)" if row.base_standin else ""
        lines.append(f"{row.strategy:<24} {row.size:>8} {change:>{width}}  {verified:<8} {row.base_image}{standin}")
        if not row.verified:
            lines.append(f"{'':<24} verification failed: {row.verify_error}")
    if results["base_standin"].fillna(False).astype(bool).any():
        lines.append(
            "\nStand-in bases (CPython built from its signed upstream source on Debian roots, not the official "
            "python images) were used: "
            "compare these figures with each other, not with python:* images."
        )
    return "\n".join(lines)


def _init(args: argparse.Namespace) -> int:
    for path in init_project(args.dir, args.dockerfile, args.context, args.templates):
        print(f"wrote {path}")
    print(f"\nNext: add your smoke test to [verify] commands, then: imgexp run --project {args.dir}")
    return 0


def _strategies(args: argparse.Namespace) -> int:
    for strategy in strategies.load_all(None, args.dockerfiles):
        print(f"{strategy.name:<24} {'+'.join(strategy.base_kinds):<13} {strategy.description}")
    return 0


def _bases(args: argparse.Namespace) -> int:
    client = connect()
    for kind in [k.strip() for k in args.kinds.split(",") if k.strip()]:
        if kind not in bases.KINDS:
            raise ImgexpError(f"Unknown kind of base {kind!r}: --kinds takes {', '.join(bases.KINDS)}")
        base = bases.resolve(client, kind, args.python, args.base_source, log=lambda m: print(m, file=sys.stderr))
        note = "stand-in" if base.standin else "official"
        if base.standin:
            note += f", trusts host CA: {'yes' if base.host_ca not in ('', 'none') else 'no'}"
        print(f"{kind:<6} {base.image:<36} {human_size(base.size_bytes):>8}  {note}  {base.image_id[:19]}")
    return 0


def _clean(args: argparse.Namespace) -> int:
    """Remove imgexp's tags (a user's own tags and images stay), then the untagged images its builds left."""
    client = connect()
    verb = "would remove" if args.dry_run else "removing"
    tags = cleanup.tagged(client, ["build", "standin"] if args.all else ["build"])
    for image_id, tag in tags:
        print(f"{verb} {cleanup.short_id(image_id)} {tag}")
        if not args.dry_run:
            client.images.remove(tag, force=True)
    ledger = cleanup.Ledger.of(client)
    left = cleanup.leftovers(client, ledger.ids())
    for image_id in left:
        print(f"{verb} {cleanup.short_id(image_id)} <none> (left untagged by an imgexp build)")
        refused = "" if args.dry_run else cleanup.remove(client, image_id)
        if refused:
            print(f"  kept it: {refused}")
    if not args.dry_run:
        ledger.forget_gone(client)
    kept = "" if args.all else "; stand-in bases kept (use --all)"
    count = len({image_id for image_id, _ in tags}) + len(left)
    print(f"{count} image(s) {'to remove' if args.dry_run else 'removed'}{kept}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
