"""Helpers shared by the benchmarks: repeatable timing and one-line ratio reports."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from typing import Any


def best_of(fn: Callable[[], Any], repeat: int = 3) -> tuple[float, Any]:
    """Fastest of `repeat` runs, in seconds (the least disturbed by the rest of the machine)."""
    times, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return min(times), result


def median_of(fn: Callable[[], Any], repeat: int = 15) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def report(name: str, measured: float, baseline: float, *, target_ratio: float | None = None,
           target_seconds: float | None = None, unit: str = "s") -> bool:
    ratio = measured / baseline if baseline > 0 else float("inf")
    ok = ((target_ratio is None or ratio <= target_ratio)
          and (target_seconds is None or measured <= target_seconds))
    targets = []
    if target_ratio is not None:
        targets.append(f"ratio <= {target_ratio}x")
    if target_seconds is not None:
        targets.append(f"<= {target_seconds} {unit}")
    verdict = f"{'ok' if ok else 'MISSED'}: {', '.join(targets)}" if targets else "shown, no target"
    print(f"{name}: {measured:.3f} {unit} vs baseline {baseline:.3f} {unit} = {ratio:.2f}x [{verdict}]")
    return ok
