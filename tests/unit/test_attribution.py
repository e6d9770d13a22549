"""The waterfall from the baseline to the smallest working image, on results tables made here."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from imgexp.attribution import CHAIN, WATERFALL_COLUMNS, smallest_working, waterfall

CHANGE = dict(CHAIN)
MIB = 1 << 20
#: a full run: (strategy, status, verified, size_bytes, compressed_bytes)
FULL = [
    ("base", "ok", True, 1000 * MIB, 400 * MIB),
    ("slim", "ok", True, 600 * MIB, 220 * MIB),
    ("slim-nocompiler", "ok", True, 450 * MIB, 170 * MIB),
    ("multi-stage", "ok", True, 300 * MIB, 110 * MIB),
    ("multi-stage-lean", "ok", True, 280 * MIB, 100 * MIB),
    ("multi-stage-nopycache", "ok", True, 200 * MIB, 80 * MIB),
    ("minimal", "ok", True, 150 * MIB, 60 * MIB),
    ("minimal-stripped", "ok", True, 130 * MIB, 55 * MIB),
    ("alpine", "not-run", None, math.nan, math.nan),
]


def _results(rows: list[tuple], **changes: tuple) -> pd.DataFrame:
    """A results table of ``rows``, with some rows replaced (strategy -> new row) or dropped (-> ())."""
    by_name = {row[0]: row for row in rows}
    for name, row in changes.items():
        by_name[name.replace("_", "-")] = row
    table = pd.DataFrame(
        [row for row in by_name.values() if row],
        columns=["strategy", "status", "verified", "size_bytes", "compressed_bytes"],
    )
    table["description"] = "about " + table["strategy"]
    return table


def _sizes(metric: str = "size_bytes") -> dict[str, float]:
    return {row[0]: row[3 if metric == "size_bytes" else 4] for row in FULL}


def _expect(steps: list[tuple[str, str, str]], metric: str = "size_bytes") -> pd.DataFrame:
    """The waterfall worked out from FULL: (strategy, from, change) per step."""
    sizes = _sizes(metric)
    baseline = sizes["base"]
    rows = [
        {
            "step": i,
            "strategy": name,
            "from_strategy": before,
            "change": change,
            "delta_bytes": int(sizes[name] - sizes[before]) if before else int(baseline),
            "total_bytes": int(sizes[name]),
            "pct_of_baseline": round(100 * sizes[name] / baseline, 2),
        }
        for i, (name, before, change) in enumerate(steps)
    ]
    return pd.DataFrame(rows, columns=WATERFALL_COLUMNS)


def _chain(*names: str) -> list[tuple[str, str, str]]:
    return [(name, before, CHANGE[name]) for before, name in zip(("", *names), names, strict=False)]


@pytest.mark.parametrize("metric", ["size_bytes", "compressed_bytes"])
def test_every_step_of_a_full_run(metric: str) -> None:
    table = waterfall(_results(FULL), metric)
    expected = _expect(
        _chain(*(name for name, _ in CHAIN)),
        metric,
    )
    pd.testing.assert_frame_equal(table, expected)
    assert [name for name, _ in CHAIN][-2:] == ["minimal", "minimal-stripped"]
    assert table["delta_bytes"].iloc[1:].sum() == _sizes(metric)["minimal-stripped"] - _sizes(metric)["base"]


UNVERIFIED = ("slim-nocompiler", "ok", False, 450 * MIB, 170 * MIB)
FAILED = ("slim-nocompiler", "failed", None, math.nan, math.nan)
BRIDGE = f"slim-nocompiler (not run or not verified); {CHANGE['multi-stage']}"


@pytest.mark.parametrize(
    "row",
    [
        pytest.param(UNVERIFIED, id="unverified"),
        pytest.param(FAILED, id="build-failed"),
        pytest.param((), id="not-in-the-results"),
    ],
)
def test_a_step_without_a_working_image_is_bridged(row: tuple) -> None:
    table = waterfall(_results(FULL, slim_nocompiler=row))
    after = _chain("multi-stage", "multi-stage-lean", "multi-stage-nopycache", "minimal", "minimal-stripped")[1:]
    expected = _expect(
        [("base", "", CHANGE["base"]), ("slim", "base", CHANGE["slim"]), ("multi-stage", "slim", BRIDGE), *after]
    )
    pd.testing.assert_frame_equal(table, expected)


def test_two_steps_in_a_row_are_bridged_together() -> None:
    table = waterfall(_results(FULL, slim_nocompiler=UNVERIFIED, multi_stage=()))
    step = table.iloc[2]
    assert (step["strategy"], step["from_strategy"]) == ("multi-stage-lean", "slim")
    assert step["change"] == (
        "slim-nocompiler (not run or not verified); multi-stage (not run or not verified); "
        + CHANGE["multi-stage-lean"]
    )
    assert step["delta_bytes"] == 280 * MIB - 600 * MIB


def test_it_stops_at_the_smallest_working_image() -> None:
    bigger = [
        ("multi-stage-nopycache", "ok", True, 900 * MIB, 390 * MIB),
        ("minimal", "ok", True, 950 * MIB, 395 * MIB),
        ("minimal-stripped", "ok", True, 920 * MIB, 392 * MIB),
    ]
    table = waterfall(_results(FULL, multi_stage_nopycache=bigger[0], minimal=bigger[1], minimal_stripped=bigger[2]))
    assert list(table["strategy"]) == ["base", "slim", "slim-nocompiler", "multi-stage", "multi-stage-lean"]


def test_a_smallest_image_outside_the_chain_is_a_last_step() -> None:
    uv = ("multi-stage-uv", "ok", True, 120 * MIB, 50 * MIB)
    table = waterfall(_results([*FULL, uv]))
    last = table.iloc[-1]
    assert list(table["strategy"])[-2:] == ["minimal-stripped", "multi-stage-uv"]
    assert (last["from_strategy"], last["change"]) == ("minimal-stripped", "about multi-stage-uv")
    assert last["delta_bytes"] == 120 * MIB - 130 * MIB and last["pct_of_baseline"] == 12.0


def test_a_last_step_outside_the_chain_bridges_the_chains_missing_tail() -> None:
    uv = ("multi-stage-uv", "ok", True, 120 * MIB, 50 * MIB)
    unverified = {"minimal": ("minimal", "ok", False, 100 * MIB, 40 * MIB), "minimal_stripped": ()}
    table = waterfall(_results([*FULL, uv], **unverified))
    last = table.iloc[-1]
    assert (last["strategy"], last["from_strategy"]) == ("multi-stage-uv", "multi-stage-nopycache")
    assert last["change"] == (
        "minimal (not run or not verified); minimal-stripped (not run or not verified); about multi-stage-uv"
    )


def test_a_custom_chain() -> None:
    chain = (("slim", "start"), ("multi-stage", "one"), ("minimal", "two"))
    table = waterfall(_results(FULL, minimal_stripped=()), chain=chain)
    assert list(table["change"]) == ["start", "one", "two"]
    assert table["pct_of_baseline"].tolist() == [100.0, 50.0, 25.0]


@pytest.mark.parametrize(
    ("changes", "metric", "smallest"),
    [
        pytest.param({}, "size_bytes", "minimal-stripped", id="full-run"),
        pytest.param(
            {"minimal-stripped": ("minimal-stripped", "ok", False, 130 * MIB, 55 * MIB)},
            "size_bytes",
            "minimal",
            id="unverified-is-never-smallest",
        ),
        pytest.param(
            {"glibc": ("glibc", "ok", False, 1, 1)}, "compressed_bytes", "minimal-stripped", id="tiny-but-broken"
        ),
        pytest.param(
            {"minimal-stripped": ("minimal-stripped", "ok", True, 130 * MIB, math.nan)},
            "compressed_bytes",
            "minimal",
            id="no-value-for-the-metric",
        ),
        pytest.param({"base": ("base", "ok", True, 1 * MIB, 1 * MIB)}, "size_bytes", "base", id="the-baseline"),
    ],
)
def test_smallest_working(changes: dict, metric: str, smallest: str) -> None:
    assert smallest_working(_results(FULL, **changes), metric)["strategy"] == smallest


@pytest.mark.parametrize("metric", ["size_bytes", "compressed_bytes"])
def test_nullable_columns_as_results_csv_gives_them(metric: str) -> None:
    """Integer columns with missing values (a not-run row) as nullable integers, verified as nullable booleans,
    complete missing (no derived strategy: unknown, so not incomplete)."""
    unverified = ("minimal-stripped", "ok", False, 130 * MIB, 55 * MIB)
    results = _results(FULL, minimal_stripped=unverified).astype(
        {"verified": "boolean", "size_bytes": "Int64", "compressed_bytes": "Int64"}
    )
    results["complete"] = pd.array([pd.NA] * len(results), dtype="boolean")
    assert results["size_bytes"].isna().sum() == 1 and results["verified"].isna().sum() == 1
    table = waterfall(results, metric)
    expected = _expect(_chain(*(name for name, _ in CHAIN[:-1])), metric)
    pd.testing.assert_frame_equal(table, expected)
    assert smallest_working(results, metric)["strategy"] == "minimal"


def test_an_unverified_image_smaller_than_all_is_left_out_of_the_waterfall() -> None:
    broken = ("glibc-venv-on-musl", "ok", False, 10 * MIB, 5 * MIB)
    table = waterfall(_results([*FULL, broken]))
    assert "glibc-venv-on-musl" not in set(table["strategy"]) and table["strategy"].iloc[-1] == "minimal-stripped"


@pytest.mark.parametrize(
    "rows",
    [
        pytest.param([], id="empty"),
        pytest.param([("base", "failed", None, math.nan, math.nan)], id="only-failures"),
        pytest.param([("slim", "ok", False, 10.0, 5.0)], id="only-unverified"),
    ],
)
def test_no_working_image_is_one_clear_error(rows: list[tuple]) -> None:
    results = _results(rows)
    with pytest.raises(ValueError, match="no strategy built and verified with a size_bytes"):
        smallest_working(results)


@pytest.mark.parametrize(
    "row", [pytest.param((), id="not-run"), pytest.param(("base", "ok", False, 1.0, 1.0), id="unverified")]
)
def test_a_waterfall_needs_a_working_baseline(row: tuple) -> None:
    with pytest.raises(ValueError, match="the baseline strategy 'base' has no verified row with a size_bytes: run it"):
        waterfall(_results(FULL, base=row))
