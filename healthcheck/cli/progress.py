"""Progress counters on stderr for the long commands (reading, assessing)."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable


def progress(label: str) -> Callable[[int, int], None]:
    """A one-line progress counter on stderr (only when someone is watching a terminal)."""
    show = sys.stderr.isatty() or os.environ.get("HEALTHCHECK_PROGRESS") == "1"
    step = {"last": -1}

    def report(done: int, total: int) -> None:
        if not show or total <= 0:
            return
        pct = done * 100 // total
        if pct != step["last"] or done == total:
            step["last"] = pct
            end = "\n" if done == total else "\r"
            print(f"{label}: {done}/{total} ({pct}%)", end=end, file=sys.stderr, flush=True)

    return report
