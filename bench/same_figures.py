"""Measure a run's images again with the code checked out here, and check every figure is the one on record.

A change to imgexp/measure/ may make it faster, never change a figure. For each measured
row of ``--results`` (a folder `imgexp run` wrote), the image is scanned again
(imgexp.measure.scan.scan_and_record, as `imgexp run` measures: cold with an empty layer
cache, then warm from the cache that left), and every figure of the scan is compared with
the row, and ``layers/<strategy>.csv`` and ``packages/<strategy>.csv`` byte for byte with
the folder's. Exit code 1 when anything differs.

    .venv/bin/python bench/same_figures.py --results /tmp/before   # a run made by the code before the change
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
from pathlib import Path
from typing import Any

import docker

from imgexp.engine.bases import BaseImage
from imgexp.measure.scan import scan_and_record

TABLES = ("layers", "packages")


def base_of(row: dict[str, Any]) -> BaseImage:
    """The final stage's base as the row records it (what the scan needs to tell base layers from added)."""
    return BaseImage(
        kind=row["base_kind"],
        image=row["base_image"],
        image_id=row["base_id"] or "",
        size_bytes=int(row["base_bytes"] or 0),
        standin=bool(row["base_standin"]),
        origin="",
        digest=row["base_digest"] or "",
    )


def differences(client: docker.DockerClient, results: Path, row: dict[str, Any], out: Path) -> list[str]:
    """What the scan of the row's image, written under ``out``, gives otherwise than the run on record."""
    strategy = row["strategy"]
    figures = scan_and_record(client, row["image_id"], base_of(row), out, strategy)
    found = [
        f"{strategy}: {name} {row.get(name)!r} then, {value!r} now"
        for name, value in figures.items()
        if row.get(name) != value
    ]
    for table in TABLES:
        then, now = results / table / f"{strategy}.csv", out / table / f"{strategy}.csv"
        if then.read_bytes() != now.read_bytes():
            found.append(f"{strategy}: {table}/{strategy}.csv differs ({then} against {now})")
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--results", type=Path, required=True, help="a results folder of `imgexp run`")
    args = parser.parse_args()
    rows = [row for row in json.loads((args.results / "results.json").read_text())["rows"] if row["status"] == "ok"]
    client = docker.from_env()
    found: list[str] = []
    with tempfile.TemporaryDirectory() as work:
        os.environ["IMGEXP_CACHE_DIR"] = str(Path(work) / "cache")
        for mode in ("cold", "warm"):
            for row in rows:
                problems = differences(client, args.results, row, Path(work) / mode)
                print(f"{mode} {row['strategy']}: {'same figures' if not problems else 'DIFFERENT'}", flush=True)
                found += [f"{mode} {problem}" for problem in problems]
    print("\n".join(found) or f"every figure of {len(rows)} rows, cold and warm, is the one on record")
    raise SystemExit(1 if found else 0)


if __name__ == "__main__":
    main()
