"""The gzip estimate of the pull size against real pushes: the write-up's strategies, pushed by the engine.

Runs `imgexp run --push REGISTRY/PREFIX` on the write-up's three strategies (the write-up's
requirements by default), so each row carries both figures: ``compressed_bytes`` from the
registry's manifest and ``estimated_compressed_bytes``, the model's. Prints, per strategy
and per distinct layer (the layer table's estimate against the manifest's size, in order),
the error of the estimate in %. Needs the engine and the loopback registry
(`bash scripts/registry.sh start`).

    .venv/bin/python bench/pull_estimate.py
    .venv/bin/python bench/pull_estimate.py --requirements requirements/small.txt --registry 127.0.0.1:5000
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import uuid
from pathlib import Path

import pandas as pd

import imgexp
from imgexp.registry.image import open_remote
from imgexp.strategies import WRITEUP_ORDER


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--registry", default="127.0.0.1:5000")
    parser.add_argument("--requirements", type=Path, default=imgexp.Settings().requirements)
    parser.add_argument("--strategies", default=",".join(WRITEUP_ORDER))
    args = parser.parse_args()
    prefix = f"{args.registry}/imgexp-bench-{uuid.uuid4().hex[:8]}"
    with tempfile.TemporaryDirectory() as out:
        results = imgexp.run(
            requirements=args.requirements, strategies=args.strategies.split(","), out=out, push=prefix
        ).set_index("strategy")
        layers = []
        for strategy, row in results.iterrows():
            if pd.isna(row["pushed"]):
                print(f"{strategy}: not pushed ({row['status']}, verified={row['verified']})", file=sys.stderr)
                continue
            _, remote = open_remote(str(row["pushed"]))
            table = imgexp.load_layers(out, str(strategy)).drop_duplicates("diff_id")
            for (_, layer), blob in zip(table.iterrows(), dict.fromkeys(remote.layers), strict=True):
                layers.append(
                    {
                        "strategy": strategy,
                        "tar_bytes": layer["tar_bytes"],
                        "pushed": blob.size,
                        "estimate": layer["compressed_bytes"],
                    }
                )
    frame = pd.DataFrame(layers)
    frame["error_pct"] = (100 * (frame["estimate"] / frame["pushed"] - 1)).round(2)
    totals = frame.groupby("strategy", sort=False)[["pushed", "estimate"]].sum()
    totals["error_pct"] = (100 * (totals["estimate"] / totals["pushed"] - 1)).round(2)
    pd.set_option("display.width", 200)
    print(f"per layer (distinct, bottom first; estimate = imgexp.measure.gzipsize):\n{frame.to_string(index=False)}")
    print(f"\nper strategy:\n{totals.to_string()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
