"""The results table: each column has one dtype whatever the other rows, and survives a round trip."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from imgexp.results import COLUMNS, DTYPES, load_results, results_frame, write_results

MEASURED: dict[str, Any] = {
    "strategy": "base",
    "description": "the baseline",
    "status": "ok",
    "reason": "",
    "image": "imgexp/base:5d7103ea2caf",
    "image_id": "sha256:" + "9f" * 32,
    "size_bytes": 1295131377,
    "size": "1.3GB",
    "base_kind": "full",
    "base_image": "imgexp/python-standin:3.11",
    "base_id": "sha256:" + "7a" * 32,
    "base_digest": "sha256:" + "7a" * 32,
    "base_standin": True,
    "base_bytes": 953145457,
    "added_bytes": 341985920,
    "layers": 4,
    "compressed_bytes": 447000123,
    "compressed": "447MB",
    "compressed_exact": False,
    "compressed_method": "estimate",
    "layers_read_from": "docker save",
    "image_store": "overlay2",
    "unique_compressed_bytes": 98100000,
    "wasted_bytes": 1680000,
    "efficiency": 0.998712,
    "site_packages_bytes": 360000000,
    "pycache_bytes": 117000000,
    "tests_bytes": 24200000,
    "extensions_bytes": 109000000,
    "build_seconds": 24.01,
    "cold_build_seconds": 24.01,
    "warm_build_seconds": 0.04,
    "build_steps": 16,
    "cached_steps": 0,
    "reused": False,
    "verified": True,
    "verify_error": None,
    "imports": {"python-dateutil": "dateutil"},
    "not_checked": [],
    "python_version": "3.11.2",
    "packages": 22,
    "pip_freeze": ["python-dateutil==2.9.0", "six==1.16.0"],
    "measured_at": "2026-11-28T01:00:00+00:00",
    "engine_version": "20.10.24",
    "key": "ab" * 32,
    "measurement_version": 6,
}
NOT_RUN = {
    "strategy": "alpine",
    "description": "on alpine",
    "status": "not-run",
    "reason": "no alpine base",
    "verified": False,
    "measured_at": "2026-11-28T01:00:01+00:00",
}
PROVENANCE = {"imgexp_version": "0.1.0"}


def test_every_column_has_a_dtype() -> None:
    assert list(DTYPES) == list(COLUMNS)


@pytest.mark.parametrize("rows", [[MEASURED], [MEASURED, NOT_RUN], [NOT_RUN, MEASURED]])
def test_a_columns_dtype_does_not_depend_on_the_other_rows(rows: list[dict[str, Any]]) -> None:
    frame = results_frame(rows, PROVENANCE)
    assert frame.dtypes.astype(str).to_dict() == DTYPES
    measured = frame[frame["status"] == "ok"].to_csv(index=False)
    assert measured == results_frame([MEASURED], PROVENANCE).to_csv(index=False)
    assert ",1295131377,1.3GB," in measured and ",4,447000123," in measured  # integers, not 1295131377.0


def test_a_not_run_row_has_missing_figures_not_zeros() -> None:
    row = results_frame([MEASURED, NOT_RUN], PROVENANCE).iloc[1]
    assert pd.isna(row["size_bytes"]) and pd.isna(row["layers"]) and pd.isna(row["reused"])
    assert not row["verified"]


def test_results_round_trip_keeps_dtypes_and_values(tmp_path: Path) -> None:
    rows = [MEASURED, NOT_RUN]
    write_results(tmp_path, rows, PROVENANCE)
    loaded = load_results(tmp_path)
    pd.testing.assert_frame_equal(loaded, results_frame(rows, PROVENANCE))
    assert loaded.attrs["provenance"] == PROVENANCE
    assert loaded.loc[0, "pip_freeze"] == "python-dateutil==2.9.0 six==1.16.0"

    from_csv = pd.read_csv(tmp_path / "results.csv", dtype=DTYPES)
    assert from_csv.dtypes.astype(str).to_dict() == DTYPES
    numbers = [c for c, dtype in DTYPES.items() if dtype != "string"]
    pd.testing.assert_frame_equal(from_csv[numbers], loaded[numbers])
