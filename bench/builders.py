"""Build times under the classic builder and BuildKit, side by side, from one run.

Each strategy is built with ``imgexp run --timings`` under each builder: cold (no cache),
warm (every step cached) and changed (one requirement added to requirements.txt, cache
on). Each round builds under the classic builder, then under BuildKit (the order
alternates from round to round, so that a busy machine weighs on both); the median over
``--rounds`` is printed per strategy and builder, with BuildKit / classic ratios.
Strategies only BuildKit builds (cache mounts) show ``-`` under classic.

BuildKit's ``--no-cache`` still keeps cache mounts (pip's downloads): that is what they are
for, so a cold build of a cache-mount strategy downloads nothing a previous build fetched.

    .venv/bin/python bench/builders.py
    .venv/bin/python bench/builders.py --requirements notebooks/requirements-demo.txt --rounds 3
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
from pathlib import Path

import imgexp
from imgexp.strategies import load

TIMES = ("cold_build_seconds", "warm_build_seconds", "changed_build_seconds")
BUILDERS = ("classic", "buildkit")
DEFAULT_STRATEGIES = "slim,multi-stage,multi-stage-lean,docker-init,multi-stage-cachemount"


def one_round(
    strategies: list[str], requirements: Path, work: Path, builders: tuple[str, ...]
) -> dict[tuple[str, str, str], float]:
    """(strategy, builder, time) -> seconds, each builder in turn building every strategy it can."""
    seconds: dict[tuple[str, str, str], float] = {}
    for builder in builders:
        buildable = [s for s in strategies if builder == "buildkit" or not load(s).buildkit_line]
        results = imgexp.run(
            strategies=buildable,
            requirements=requirements,
            builder=builder,
            timings=True,
            out=Path(tempfile.mkdtemp(dir=work)),
            progress=False,
        )
        for row in results.itertuples():
            for time in TIMES:
                value = getattr(row, time)
                if value == value and value is not None:  # not NaN
                    seconds[(row.strategy, builder, time)] = float(value)
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--strategies", default=DEFAULT_STRATEGIES, help=f"default: {DEFAULT_STRATEGIES}")
    parser.add_argument("--requirements", type=Path, default=imgexp.Settings().requirements)
    parser.add_argument("--rounds", type=int, default=1, choices=range(1, 100), metavar="N", help="default: 1")
    args = parser.parse_args()
    strategies = [s.strip() for s in args.strategies.split(",") if s.strip()]
    print(f"{len(strategies)} strategies, {args.requirements.name}; {os.cpu_count()} cores; {args.rounds} rounds")
    rounds = []
    with tempfile.TemporaryDirectory() as work:
        for number in range(1, args.rounds + 1):
            order = BUILDERS if number % 2 else BUILDERS[::-1]
            rounds.append(one_round(strategies, args.requirements, Path(work), order))
            print(f"round {number} done", flush=True)
    print(f"{'strategy':24} {'builder':16} {'cold':>8} {'warm':>8} {'changed':>8}")
    for strategy in strategies:
        median = {
            (b, t): statistics.median(r[(strategy, b, t)] for r in rounds if (strategy, b, t) in r)
            for b in BUILDERS
            for t in TIMES
            if any((strategy, b, t) in r for r in rounds)
        }
        for builder in BUILDERS:
            cells = [f"{median[(builder, t)]:8.2f}" if (builder, t) in median else f"{'-':>8}" for t in TIMES]
            print(f"{strategy:24} {builder:16} {' '.join(cells)}")
        ratios = [
            f"{median[('buildkit', t)] / median[('classic', t)]:8.2f}"
            if median.get(("classic", t)) and ("buildkit", t) in median
            else f"{'-':>8}"
            for t in TIMES
        ]
        print(f"{strategy:24} {'buildkit/classic':16} {' '.join(ratios)}")


if __name__ == "__main__":
    main()
