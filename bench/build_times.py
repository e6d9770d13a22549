"""Build time per strategy, cold (no layer cache) and warm (every step cached), on this engine.

Each strategy is built twice under a throwaway tag, first with ``nocache`` then with the
cache the first build left; the images are removed afterwards. The table goes to stdout
and to ``--out``/build_times.csv.

    .venv/bin/python bench/build_times.py --requirements requirements/requirements.txt --out /tmp/bt
"""

from __future__ import annotations

import argparse
import contextlib
from pathlib import Path

import pandas as pd

from imgexp import bases, strategies
from imgexp.build import build_image
from imgexp.ca import serve_ca_bundle
from imgexp.context import make_context
from imgexp.engine import connect
from imgexp.errors import BaseUnavailable
from imgexp.experiment import DEFAULT_VENV_NAME, _ca_bundle
from imgexp.requirements import read_requirements
from imgexp.store import write_csv


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requirements", type=Path, default=strategies.DEFAULT_REQUIREMENTS)
    parser.add_argument("--strategies", default="", help="comma-separated (default: every Dockerfile)")
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    client = connect()
    reqs = read_requirements(args.requirements)
    chosen = strategies.load_all([s for s in args.strategies.split(",") if s] or None)
    rows = []
    bundle = _ca_bundle(None)
    with serve_ca_bundle(bundle) if bundle else contextlib.nullcontext() as ca_url:
        for strategy in chosen:
            try:
                resolved = {k: bases.resolve(client, k, "3.11") for k in strategy.base_kinds}
            except BaseUnavailable as exc:
                rows.append({"strategy": strategy.name, "cold_seconds": None, "warm_seconds": None, "reason": str(exc)})
                continue
            context = make_context(strategy.dockerfile, reqs.path, strategies.INSTALL_SCRIPT)
            buildargs = {"VENV_NAME": DEFAULT_VENV_NAME, **({"IMGEXP_CA_URL": ca_url} if ca_url else {})}
            buildargs.update({bases.build_arg(k): b.image for k, b in resolved.items() if k != "scratch"})
            tag = f"imgexp-bench/{strategy.name}:build-times"
            labels = {"imgexp.role": "bench"}
            cold = build_image(client, strategy.name, context.tar, tag, buildargs, labels, nocache=True)
            warm = build_image(client, strategy.name, context.tar, tag, buildargs, labels, nocache=False)
            client.images.remove(tag, force=True)
            rows.append({"strategy": strategy.name, "cold_seconds": round(cold.seconds, 1),
                         "warm_seconds": round(warm.seconds, 1), "reason": ""})
            print(rows[-1], flush=True)
    table = pd.DataFrame(rows)
    write_csv(args.out / "build_times.csv", table)
    print(table.to_string(index=False))


if __name__ == "__main__":
    main()
