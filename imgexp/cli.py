"""The imgexp command: run the experiment, manage base images, clean up."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from . import strategies
from .engine import bases
from .engine.client import connect
from .errors import ImgexpError
from .experiment import DEFAULT_PYTHON, DEFAULT_VENV_NAME, run
from .paths import DEFAULT_DOCKERFILES, DEFAULT_REQUIREMENTS
from .results import DEFAULT_OUT
from .units import human_size


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except ImgexpError as exc:
        print(f"imgexp: error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(
            "imgexp: interrupted. Every finished strategy is kept; run the same command again to resume.",
            file=sys.stderr,
        )
        return 130


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="imgexp", description=__doc__)
    commands = parser.add_subparsers(required=True, metavar="COMMAND")

    run_cmd = commands.add_parser(
        "run",
        help="build, verify and measure each strategy and print the comparison",
        description="Build each strategy's image, import every requirement inside it, measure it, "
        "print the write-up's table and write OUT/results.csv and OUT/results.json.",
    )
    add_run_options(run_cmd)
    run_cmd.set_defaults(func=_run)

    report_cmd = commands.add_parser(
        "report",
        help="run the experiment, then its notebooks, and publish them as HTML with an index",
        description="Run (or reuse) the experiment in OUT, run notebooks/strategy.ipynb once per strategy "
        "and notebooks/compare.ipynb with papermill into OUT/notebooks/, render each as HTML with its "
        "code hidden, and write OUT/index.html linking every page.",
    )
    add_run_options(report_cmd)
    report_cmd.set_defaults(func=_report)

    bases_cmd = commands.add_parser(
        "bases",
        help="show the base images, bootstrapping offline stand-ins where needed",
        description="Resolve the full and slim base images for a Python version: the official "
        "python images when they can be had, otherwise stand-ins built from Debian's packages.",
    )
    bases_cmd.add_argument("--python", default=DEFAULT_PYTHON, help="Python version (default: %(default)s)")
    bases_cmd.add_argument("--base-source", choices=["auto", "official", "standin"], default="auto")
    bases_cmd.add_argument("--kinds", default="full,slim", help="comma-separated kinds (default: %(default)s)")
    bases_cmd.set_defaults(func=_bases)

    clean_cmd = commands.add_parser(
        "clean",
        help="remove the images imgexp built (and, with --all, its stand-in bases)",
        description="Remove only images labelled by imgexp; other images are never touched.",
    )
    clean_cmd.add_argument("--all", action="store_true", help="also remove the offline stand-in bases")
    clean_cmd.add_argument("--dry-run", action="store_true", help="list what would be removed, remove nothing")
    clean_cmd.set_defaults(func=_clean)
    return parser


def add_run_options(parser: argparse.ArgumentParser) -> None:
    """Options shared by `run` and commands built on it."""
    parser.add_argument(
        "--requirements", type=Path, default=DEFAULT_REQUIREMENTS, help="pip requirements file"
    )
    parser.add_argument(
        "--strategies",
        default="base,slim,multi-stage",
        help="comma-separated strategies, or 'all' for every Dockerfile.* (default: %(default)s)",
    )
    parser.add_argument("--python", default=DEFAULT_PYTHON, help="Python version of the bases (default: %(default)s)")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="results folder (default: %(default)s)")
    parser.add_argument(
        "--base-source",
        choices=["auto", "official", "standin"],
        default="auto",
        help="official python images, offline stand-ins, or auto: official when available (default)",
    )
    parser.add_argument(
        "--ca-bundle",
        help="CA bundle for pip inside builds, never kept in an image (default: $IMGEXP_CA_BUNDLE, "
        "$PIP_CERT, $REQUESTS_CA_BUNDLE, $SSL_CERT_FILE, else pip's configured cert; '' for none)",
    )
    parser.add_argument("--dockerfiles", type=Path, default=DEFAULT_DOCKERFILES, help="strategy folder")
    parser.add_argument("--venv-name", default=DEFAULT_VENV_NAME, help="venv under /opt (default: %(default)s)")
    parser.add_argument("--rebuild", action="store_true", help="build without the cache, measure again")
    parser.add_argument(
        "--timings",
        action="store_true",
        help="record cold and warm build times: build without the cache, then rebuild with it (slow)",
    )
    progress = parser.add_mutually_exclusive_group()
    progress.add_argument("--progress", dest="progress", action="store_true", default=None)
    progress.add_argument("--quiet", dest="progress", action="store_false")


def _run(args: argparse.Namespace) -> int:
    results = run(
        requirements=args.requirements,
        strategy_names=strategies.parse_names(args.strategies, args.dockerfiles),
        python=args.python,
        out=args.out,
        base_source=args.base_source,
        ca_bundle=args.ca_bundle,
        dockerfiles=args.dockerfiles,
        venv_name=args.venv_name,
        rebuild=args.rebuild,
        timings=args.timings,
        progress=args.progress,
    )
    print(format_table(results))
    print(f"\nResults: {args.out / 'results.csv'} (provenance in {args.out / 'results.json'})")
    measured = results[results["status"] == "ok"]
    return 0 if measured["verified"].all() else 2


def _report(args: argparse.Namespace) -> int:
    from .report import publish  # papermill and nbconvert load only for this command

    published = publish.publish(
        publish.Settings.from_run_options(args), args.out, rebuild=args.rebuild, progress=args.progress
    )
    for page in published.pages:
        print(f"{'ok' if page.ok else 'FAILED':<7} {page.html}" + (f"  {page.error}" if page.error else ""))
    print(f"\nReport: {published.index}")
    return 0 if published.ok else 2


def format_table(results: pd.DataFrame) -> str:
    """The write-up's table: strategy, size, change against the baseline, whether it works."""
    lines = [f"{'strategy':<24} {'size':>8} {'vs base':>8}  {'verified':<8} base image"]
    for row in results.itertuples():
        if row.status != "ok":
            lines.append(f"{row.strategy:<24} {'-':>8} {'-':>8}  {'not run':<8} {row.reason}")
            continue
        change = "" if pd.isna(row.vs_baseline_pct) else f"{row.vs_baseline_pct:+.0f}%"
        if row.strategy == "base":
            change = "-"
        verified = "yes" if row.verified else "NO"
        standin = " (stand-in)" if row.base_standin else ""
        lines.append(f"{row.strategy:<24} {row.size:>8} {change:>8}  {verified:<8} {row.base_image}{standin}")
        if not row.verified:
            lines.append(f"{'':<24} import check failed: {row.verify_error}")
    if results["base_standin"].fillna(False).astype(bool).any():
        lines.append(
            "\nStand-in bases (built from Debian's packages, not the official python images) were used: "
            "compare these figures with each other, not with python:* images."
        )
    return "\n".join(lines)


def _bases(args: argparse.Namespace) -> int:
    client = connect()
    for kind in [k.strip() for k in args.kinds.split(",") if k.strip()]:
        if kind not in bases.KINDS:
            raise ImgexpError(f"Unknown kind of base {kind!r}: --kinds takes {', '.join(bases.KINDS)}")
        base = bases.resolve(client, kind, args.python, args.base_source, log=lambda m: print(m, file=sys.stderr))
        note = "stand-in" if base.standin else "official"
        print(f"{kind:<6} {base.image:<36} {human_size(base.size_bytes):>8}  {note}  {base.image_id[:19]}")
    return 0


def _clean(args: argparse.Namespace) -> int:
    client = connect()
    roles = ["build", "standin"] if args.all else ["build"]
    images = [image for role in roles for image in client.images.list(filters={"label": f"imgexp.role={role}"})]
    for image in images:
        short_id = image.id.removeprefix("sha256:")[:12]
        print(f"{'would remove' if args.dry_run else 'removing'} {short_id} {' '.join(image.tags)}")
        if not args.dry_run:
            client.images.remove(image.id, force=True)
    if not args.dry_run:
        client.images.prune(filters={"dangling": True, "label": "imgexp.standin.kind"})
    kept = "" if args.all else "; stand-in bases kept (use --all)"
    print(f"{len(images)} image(s) {'to remove' if args.dry_run else 'removed'}{kept}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
