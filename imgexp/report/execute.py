"""Running one notebook with papermill and rendering it as an HTML page with its code hidden."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import nbformat
import papermill
from jupyter_client.manager import AsyncKernelManager
from nbconvert import HTMLExporter
from papermill.exceptions import PapermillExecutionError

from ..paths import NOTEBOOKS
from ..progress import Progress
from ..results import write_atomic

STRATEGY_NOTEBOOK = NOTEBOOKS / "strategy.ipynb"
COMPARE_NOTEBOOK = NOTEBOOKS / "compare.ipynb"
INSPECT_NOTEBOOK = NOTEBOOKS / "inspect.ipynb"
DIFF_NOTEBOOK = NOTEBOOKS / "diff.ipynb"
KERNEL = "python3"


@dataclass(frozen=True)
class Page:
    """One rendered notebook of the report."""

    name: str
    title: str
    notebook: Path
    html: Path
    error: str = ""

    @property
    def ok(self) -> bool:
        return not self.error


def run_page(notebook: Path, out: Path, name: str, title: str, parameters: dict[str, Any], console: Progress) -> Page:
    """Run one notebook with papermill and render it; a failing notebook still renders, with its error."""
    executed = out / "notebooks" / f"{name}.ipynb"
    executed.parent.mkdir(parents=True, exist_ok=True)
    console.log(f"[report] running {notebook.name} -> {executed}")
    error = ""
    try:
        papermill.execute_notebook(
            str(notebook),
            str(executed),
            parameters=parameters,
            kernel_name=KERNEL,
            cwd=str(NOTEBOOKS),
            progress_bar=console.enabled,
            log_output=False,
            kernel_manager_class=_kernel_logging_to(executed.with_suffix(".kernel.log")),
        )
    except PapermillExecutionError as exc:
        error = f"{exc.ename}: {str(exc.evalue).splitlines()[0] if exc.evalue else ''}"
        console.log(f"[report] {name} failed: {error}")
    page = out / f"{name}.html"
    write_atomic(page, render_html(executed, title))
    return Page(name, title, executed, page, error)


def _kernel_logging_to(path: Path) -> type[AsyncKernelManager]:
    """A kernel manager whose kernels write their stderr to ``path``, not to the report's terminal:
    ipykernel's own logging (start-up lines; a traceback when its sockets close at shutdown) is kept
    beside the executed notebook."""

    class Kernel(AsyncKernelManager):
        async def start_kernel(self, **kw: Any) -> None:  # type: ignore[override]  # async here, typed as the sync base
            with path.open("ab") as sink:  # the kernel holds its own copy of the descriptor
                await super().start_kernel(stderr=sink, **kw)

    return Kernel


def render_html(executed: Path, title: str) -> str:
    """An executed notebook as one HTML page with its code hidden; charts are embedded images."""
    exporter = HTMLExporter(exclude_input=True, exclude_input_prompt=True, exclude_output_prompt=True)
    notebook = nbformat.read(executed, as_version=4)
    body, _ = exporter.from_notebook_node(notebook, resources={"metadata": {"name": title}})
    return body
