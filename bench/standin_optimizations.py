"""What PGO and LTO cost and buy in the stand-ins: compile time, size of /usr/local, interpreter speed.

Builds the recipe's ``stripped`` stage (the compile stage, then /usr/local as the slim
stand-in has it) with no cache, once with each set of configure options, and prints per
set: the build's seconds, the bytes of /usr/local unstripped (the full stand-in's) and
stripped (the slim one's), and the seconds of a small pure-Python workload in the
result (median of five). The images it builds are removed at the end.

    .venv/bin/python bench/standin_optimizations.py            # none, then PGO+LTO
    .venv/bin/python bench/standin_optimizations.py --python 3.11 --only none
"""

from __future__ import annotations

import argparse
import statistics

import docker

from imgexp.engine import standins

OPTIONS = {"none": "", "pgo+lto": "--enable-optimizations --with-lto"}
#: a small interpreter-bound workload: dict, str and int work in a loop
WORKLOAD = (
    "import time; t = time.perf_counter(); "
    "d = {str(i): i * i for i in range(300000)}; s = sum(int(k) for k in d if k.endswith('7')); "
    "print(time.perf_counter() - t)"
)


def usr_local_bytes(client: docker.DockerClient, image: str) -> int:
    """Bytes under /usr/local in ``image``."""
    out = client.containers.run(image, ["du", "-sb", "/usr/local"], remove=True, network_disabled=True)
    return int(out.split()[0])


def workload_seconds(client: docker.DockerClient, image: str) -> float:
    runs = [
        float(client.containers.run(image, ["python3", "-c", WORKLOAD], remove=True, network_disabled=True))
        for _ in range(5)
    ]
    return statistics.median(runs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--python", default="3.11", choices=sorted(standins.DEBIAN_RELEASES))
    parser.add_argument("--only", choices=sorted(OPTIONS), help="one set of options (default: each)")
    args = parser.parse_args()
    client = docker.from_env()
    rows = []
    for name, options in OPTIONS.items():
        if args.only and name != args.only:
            continue
        standins.OPTIMIZATIONS = options
        sizes = {}
        seconds = 0.0
        for stage in ("compile", "stripped"):
            tag = f"imgexp-bench/standin-{stage}:{args.python}-{name.replace('+', '-')}"
            fresh = stage == "compile"  # the compile stage from scratch, the strip from its cache
            outcome = standins.build(client, args.python, stage, tag, {"imgexp.role": "bench"}, nocache=fresh)
            seconds += outcome.seconds
            sizes[stage] = usr_local_bytes(client, tag)
        speed = workload_seconds(client, tag)
        rows.append((name, seconds, sizes["compile"], sizes["stripped"], speed))
        for stage in ("stripped", "compile"):
            client.images.remove(f"imgexp-bench/standin-{stage}:{args.python}-{name.replace('+', '-')}", force=True)
    print(f"Python {args.python}, {client.info()['NCPU']} cores")
    print("| configure options | build seconds | /usr/local (full) | /usr/local stripped (slim) | workload seconds |")
    print("| --- | ---: | ---: | ---: | ---: |")
    for name, seconds, full, slim, speed in rows:
        print(f"| {name} | {seconds:.0f} | {full / 1e6:.1f} MB | {slim / 1e6:.1f} MB | {speed:.3f} |")


if __name__ == "__main__":
    main()
