"""Run every benchmark in one process and print each figure as a ratio to its in-run baseline."""

from __future__ import annotations

import importlib
import sys

BENCHMARKS = ["bench_scoring", "bench_rules", "bench_dashboard", "bench_portfolio", "bench_workshop",
              "bench_capacity", "bench_hostile", "bench_uploads"]


def main() -> int:
    results = {}
    for name in BENCHMARKS:
        try:
            module = importlib.import_module(f"benchmarks.{name}")
        except ModuleNotFoundError as exc:
            print(f"{name}: not available ({exc})")
            continue
        print(f"--- {name}")
        results[name] = bool(module.main())
    missed = [n for n, ok in results.items() if not ok]
    print(f"--- {len(results) - len(missed)} of {len(results)} benchmarks met their targets"
          + (f"; missed: {', '.join(missed)}" if missed else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
