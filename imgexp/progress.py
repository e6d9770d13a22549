"""Progress for long work: a line per build step and a bar over strategies on a terminal;
a line per finished strategy always, so that a log in CI says where a run is."""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator
from typing import Any

from tqdm import tqdm


class Progress:
    """Shows progress on stderr when enabled; None enables it on a terminal outside CI.

    ``finished`` lines go to stderr either way: enabled, above the bar; disabled (CI,
    ``--quiet``), one plain line each, so a ten-minute log says where it is.
    """

    def __init__(self, enabled: bool | None = None) -> None:
        if enabled is None:
            enabled = sys.stderr.isatty() and not os.environ.get("CI")
        self.enabled = enabled

    def log(self, message: str) -> None:
        """A line of detail (a build step, a base resolved): shown only when enabled."""
        if self.enabled:
            tqdm.write(message, file=sys.stderr)

    def finished(self, message: str) -> None:
        """A line saying a unit of work finished and how: always shown."""
        if self.enabled:
            tqdm.write(message, file=sys.stderr)
        else:
            print(message, file=sys.stderr, flush=True)

    @contextlib.contextmanager
    def bar(self, total: int) -> Iterator[Any]:
        with tqdm(total=total, unit="strategy", disable=not self.enabled, file=sys.stderr) as bar:
            yield bar
