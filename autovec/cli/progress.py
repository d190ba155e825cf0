"""A one-line progress bar for long statements (vector index builds, embedding back-fills).

The engine reports progress through a plain callback ``(done, total, label)``; the shell
passes :func:`progress_printer`'s result. The bar is drawn only on a terminal: redirected
stderr gets nothing, so logs and scripts never fill up with carriage returns.
"""

from __future__ import annotations

import shutil
import sys
import time
from collections.abc import Callable
from typing import TextIO

ProgressCallback = Callable[[int, int, str], None]


class ProgressBar:
    """Redraws ``label [#####.....]  42% 420/1000`` in place, at most every ``interval`` s."""

    def __init__(self, stream: TextIO, interval: float = 0.1):
        self.stream = stream
        self.interval = interval
        self._last_draw = 0.0
        self._width = 0  # length of the line on screen, to blank it out when it shrinks
        self._active = False

    def __call__(self, done: int, total: int, label: str) -> None:
        finished = 0 < total <= done
        now = time.monotonic()
        if not finished and self._active and now - self._last_draw < self.interval:
            return  # redrawing thousands of times a second would slow the work down
        self._last_draw = now
        line = self.render(done, total, label, shutil.get_terminal_size((80, 24)).columns - 1)
        self.stream.write("\r" + line + " " * max(self._width - len(line), 0))
        self._width = len(line)
        self._active = True
        if finished:
            self.close()
        else:
            self.stream.flush()

    @staticmethod
    def render(done: int, total: int, label: str, columns: int) -> str:
        """The bar's text for a terminal ``columns`` wide (no bar when total is unknown)."""
        if total <= 0:
            return f"{label} {done}"[:columns]
        fraction = min(max(done / total, 0.0), 1.0)
        counts = f" {int(fraction * 100):3d}% {done}/{total}"
        room = columns - len(label) - len(counts) - 3
        if room < 10:
            return (label + counts)[:columns]
        filled = int(fraction * room)
        return f"{label} [{'#' * filled}{'.' * (room - filled)}]{counts}"

    def close(self) -> None:
        """End the bar's line, so whatever is printed next starts on a fresh one."""
        if self._active:
            self.stream.write("\n")
            self.stream.flush()
        self._active = False
        self._width = 0


def _silent(_done: int, _total: int, _label: str) -> None:
    """The callback used when nobody is watching a terminal."""


def progress_printer(stream: TextIO | None = None) -> ProgressCallback:
    """A ``(done, total, label)`` callback drawing a progress bar on ``stream`` (stderr).

    Returns a no-op when the stream is not a terminal.
    """
    out = sys.stderr if stream is None else stream
    try:
        interactive = out.isatty()
    except (AttributeError, ValueError):  # closed or not a real file
        interactive = False
    return ProgressBar(out) if interactive else _silent
