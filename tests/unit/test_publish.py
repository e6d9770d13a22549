"""The report's index with a strategy that failed to build: listed with its error lines and its log, no page."""

from __future__ import annotations

from pathlib import Path

from imgexp.report.execute import Page
from imgexp.report.publish import Published, index_html
from imgexp.report.tables import measurements_table, summary_table
from imgexp.results import results_frame

REASON = (
    "build failed at [2/2] RUN gcc -c probe.c (exit code: 1)\n"
    "probe.c:2:10: fatal error: <Python.h> missing\n"
    "the whole build log: logs/compile.log"
)
ROWS = [
    {"strategy": "base", "status": "ok", "size_bytes": 100, "size": "100B", "verified": True, "base_image": "b",
     "base_standin": False, "base_bytes": 60, "added_bytes": 40, "layers": 2, "packages": 3, "compressed": "50B",
     "compressed_exact": False, "efficiency": 1.0},
    {"strategy": "compile", "status": "failed", "reason": REASON, "verified": False, "build_log": "logs/compile.log"},
]  # fmt: skip


def test_the_index_lists_a_failed_build_with_its_log_and_error_lines(tmp_path: Path) -> None:
    results = results_frame(ROWS, {})
    pages = [
        Page("strategy-base", "Strategy base", tmp_path / "b.ipynb", tmp_path / "strategy-base.html"),
        Page("compare", "Comparison of strategies", tmp_path / "c.ipynb", tmp_path / "compare.html"),
    ]
    page = index_html(tmp_path, pages, results, {"compile": REASON}, {})
    assert '<tr class="failed"><td>Strategy compile</td><td>failed to build</td>' in page
    assert 'href="logs/compile.log"' in page and "strategy-compile.html" not in page
    assert "probe.c:2:10: fatal error: &lt;Python.h&gt; missing" in page  # escaped, under the failures heading
    assert not Published(tmp_path, tmp_path / "index.html", pages, results).ok


def test_the_notebook_tables_show_a_failed_build_and_its_reason() -> None:
    results = results_frame(ROWS, {})
    summary = summary_table(results).data
    assert summary.loc["compile", "verified"] == "failed to build" and summary.loc["compile", "note"] == REASON
    only_failed = results_frame(ROWS[1:], {})
    assert measurements_table(only_failed).data.loc["compile", "note"] == f"failed: {REASON}"
