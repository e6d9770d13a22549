"""The cost of `imgexp inspect` of an image in a registry against `skopeo copy docker://... oci:DIR` alone.

skopeo's copy is the least any reader of a registry does: fetch the manifest, config and
every layer blob once, check their digests and write them to a folder. `imgexp inspect`
fetches the same blobs and also decompresses and reads every layer tar, with no engine
(DOCKER_HOST points nowhere). Both run cold: an empty layer cache, an empty OCI folder, in
their own child processes, in ``--rounds`` interleaved rounds against the same registry;
the median wall time and the largest peak memory are printed, and the ratio.

IMAGE defaults to the write-up's base pushed to the loopback registry (127.0.0.1:5000/
imgexp-bench/base:writeup; pass --push IMAGE to push a local image there first).

    .venv/bin/python bench/registry_inspect.py --push imgexp/base:TAG
    .venv/bin/python bench/registry_inspect.py --image 127.0.0.1:5000/imgexp-bench/base:writeup --rounds 5
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
from measure_cost import Cost, run_measured

DEFAULT = "127.0.0.1:5000/imgexp-bench/base:writeup"
SKOPEO = "skopeo copy docker://IMAGE oci:DIR"
INSPECT = "imgexp inspect IMAGE (no engine)"


def one_round(image: str, work: Path) -> dict[str, Cost]:
    with tempfile.TemporaryDirectory(dir=work) as folder:
        skopeo = ["skopeo", "copy", "--quiet", "--src-tls-verify=false", f"docker://{image}", f"oci:{folder}/oci"]
        costs = {SKOPEO: run_measured(skopeo)}
    with tempfile.TemporaryDirectory(dir=work) as cache:
        env = {**os.environ, "IMGEXP_CACHE_DIR": cache, "DOCKER_HOST": "tcp://127.0.0.1:9"}
        costs[INSPECT] = run_measured([sys.executable, "-m", "imgexp", "inspect", image, "--out", cache], env)
    return costs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--image", default=DEFAULT, help="an image in a registry (default: %(default)s)")
    parser.add_argument("--push", metavar="LOCAL", help="push this local image as --image first")
    parser.add_argument("--rounds", type=int, default=3, choices=range(1, 100), metavar="N", help="default: 3")
    args = parser.parse_args()
    if args.push:
        client = docker.from_env()
        repository, tag = args.image.rsplit(":", 1)
        client.images.get(args.push).tag(repository, tag)
        for line in client.api.push(repository, tag=tag, stream=True, decode=True):
            if "error" in line:
                raise SystemExit(f"push failed: {line['error']}")
        client.api.remove_image(args.image, noprune=True)
    print(f"{args.image}; {os.cpu_count()} cores; {args.rounds} rounds", flush=True)
    rounds: list[dict[str, Cost]] = []
    with tempfile.TemporaryDirectory() as work:
        for number in range(1, args.rounds + 1):
            rounds.append(one_round(args.image, Path(work)))
            print(f"round {number}: " + ", ".join(f"{k} {c.seconds:.1f}s" for k, c in rounds[-1].items()), flush=True)
    seconds = {name: statistics.median(r[name].seconds for r in rounds) for name in rounds[0]}
    peak = {name: max(r[name].peak_bytes for r in rounds) for name in rounds[0]}
    print(f"\n{'contender (cold)':36} {'median s':>9} {'peak MB':>8}")
    for name, median in seconds.items():
        print(f"{name:36} {median:9.1f} {peak[name] / 1e6:8.1f}")
    print(f"\nratio of medians: {INSPECT} / {SKOPEO}: time {seconds[INSPECT] / seconds[SKOPEO]:.2f}")


if __name__ == "__main__":
    main()
