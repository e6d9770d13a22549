"""Progress for long work: a line per build step and a bar over strategies; silent in CI."""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator
from typing import Any

from tqdm import tqdm


class Progress:
    """Shows progress on stderr when enabled; None enables it on a terminal outside CI."""

    def __init__(self, enabled: bool | None = None) -> None:
        if enabled is None:
            enabled = sys.stderr.isatty() and not os.environ.get("CI")
        self.enabled = enabled

    def log(self, message: str) -> None:
        if self.enabled:
            tqdm.write(message, file=sys.stderr)

    @contextlib.contextmanager
    def bar(self, total: int) -> Iterator[Any]:
        with tqdm(total=total, unit="strategy", disable=not self.enabled, file=sys.stderr) as bar:
            yield bar
