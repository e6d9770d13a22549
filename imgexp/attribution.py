"""Where the saving comes from: a waterfall from the baseline to the smallest working image.

Each bar is the measured difference between two built images that differ by one change,
read from the results table. Only verified images take part: a step whose image did not
build or failed its import check is bridged (the bar then spans both changes and says
so), and an unverified image is never the smallest.
"""

from __future__ import annotations

import pandas as pd

#: strategies from the baseline down, each with the one change it makes to the one before
CHAIN: tuple[tuple[str, str], ...] = (
    ("base", "the write-up's baseline: full image, compiler, venv"),
    ("slim", "slim base image instead of the full one"),
    ("slim-nocompiler", "no compiler (gcc, python3-dev, build-essential)"),
    ("multi-stage", "only the venv, copied into a fresh slim stage (no pip cache, no requirements/)"),
    ("multi-stage-lean", "no pip or setuptools seeded in the venv, no pip cache in any stage"),
    ("multi-stage-nopycache", "no __pycache__, no tests/ in the venv"),
    ("minimal", "FROM scratch: only the interpreter, the shared libraries it loads and the venv"),
    (
        "minimal-stripped",
        "shared objects stripped; no docs, interpreter test modules and tools, build-time files, type stubs "
        "or Jupyter front-end files",
    ),
)
WATERFALL_COLUMNS = ["step", "strategy", "from_strategy", "change", "delta_bytes", "total_bytes", "pct_of_baseline"]


def working(results: pd.DataFrame) -> pd.DataFrame:
    """The rows that built and passed the import check, and are not known to lack anything of current's
    (``complete`` False: a derived strategy missing a distribution or a large file, imgexp.derive)."""
    complete = results["complete"].ne(False).fillna(True) if "complete" in results else True
    return results[results["status"].eq("ok") & results["verified"].eq(True) & complete]


def smallest_working(results: pd.DataFrame, metric: str = "size_bytes") -> pd.Series:
    """The verified row smallest by ``metric``; ValueError names the problem when there is none.

    Parameters
    ----------
    results
        The results of a run (imgexp.run or imgexp.load_results).
    metric
        The column to compare: ``size_bytes`` (on disk) or ``compressed_bytes`` (to pull).
    """
    ok = working(results).dropna(subset=[metric])
    if ok.empty:
        raise ValueError(f"no strategy built and verified with a {metric}: nothing can be called the smallest")
    return ok.loc[ok[metric].idxmin()]


def waterfall(
    results: pd.DataFrame, metric: str = "size_bytes", chain: tuple[tuple[str, str], ...] = CHAIN
) -> pd.DataFrame:
    """One row per change, from the baseline's ``metric`` to the smallest working image's.

    The chain's first strategy is the baseline. It stops at the smallest working image;
    when that image is not in the chain, a last step goes from the chain's last working image to it.

    Parameters
    ----------
    results
        The results of a run (imgexp.run or imgexp.load_results).
    metric
        The column to follow: ``size_bytes`` (on disk) or ``compressed_bytes`` (to pull).
    chain
        (strategy, the change it makes) pairs, from the baseline on.
    """
    baseline_name = chain[0][0]
    ok = working(results).dropna(subset=[metric]).set_index("strategy")
    if baseline_name not in ok.index:
        raise ValueError(f"the baseline strategy {baseline_name!r} has no verified row with a {metric}: run it first")
    smallest = smallest_working(results, metric)["strategy"]
    steps = list(chain)
    names = [name for name, _ in steps]
    if smallest in names:
        steps = steps[: names.index(smallest) + 1]
    else:
        description = str(ok.loc[smallest, "description"]) if "description" in ok.columns else smallest
        steps.append((smallest, description))
    baseline = float(ok.loc[baseline_name, metric])
    rows = [_row(0, baseline_name, "", steps[0][1], baseline, baseline, baseline)]
    previous, skipped = baseline_name, []
    for name, change in steps[1:]:
        if name not in ok.index:
            skipped.append(f"{name} (not run or not verified)")
            continue
        label = "; ".join([*skipped, change])
        total = float(ok.loc[name, metric])
        rows.append(_row(len(rows), name, previous, label, total - float(ok.loc[previous, metric]), total, baseline))
        previous, skipped = name, []
    return pd.DataFrame(rows, columns=WATERFALL_COLUMNS)


def _row(step: int, name: str, before: str, change: str, delta: float, total: float, baseline: float) -> dict:
    return {
        "step": step,
        "strategy": name,
        "from_strategy": before,
        "change": change,
        "delta_bytes": int(delta),
        "total_bytes": int(total),
        "pct_of_baseline": round(100.0 * total / baseline, 2),
    }
