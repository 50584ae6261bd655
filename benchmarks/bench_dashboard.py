"""Server-side rerun time of the dashboard for a 40-respondent partnership, against the core alone.

Builds a 40-respondent partnership (three organisations, core questionnaire) in a temporary
SQLite store, then times:

- core: load the round's records from the store + build the response table + score + rules
  (what any front end has to do), median of N runs;
- dashboard: a full AppTest rerun of the dashboard page (the admin link), median of N reruns
  after a first warm-up run.

Prints both, the ratio "UI overhead: dashboard / core = N.Nx", and whether the dashboard's
median is under the 300 ms target. Run: .venv/bin/python benchmarks/bench_dashboard.py [-n 15]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGET_MS = 300.0


def _records(n: int) -> list[dict[str, object]]:
    import pandas as pd

    from healthcheck.core.questionnaire import find_questionnaire, load_questionnaire
    from healthcheck.core.responses import records_from_frame
    from healthcheck.services.demo_stories import bulk_responses

    q = load_questionnaire(find_questionnaire("core"))
    df: pd.DataFrame = bulk_responses(q, partnerships=1, respondents=n, seed=7)
    return records_from_frame(df, q)


def main(argv: list[str] | None = None) -> bool:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", "--runs", type=int, default=15)
    parser.add_argument("--respondents", type=int, default=40)
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp, 'bench.db').as_posix()}"
        os.environ["HEALTHCHECK_DATABASE_URL"] = url
        from streamlit.testing.v1 import AppTest

        from healthcheck.core.assess import assess
        from healthcheck.core.questionnaire import find_questionnaire, load_questionnaire
        from healthcheck.core.responses import frame_from_records
        from healthcheck.core.rules import load_rules
        from healthcheck.store import Store

        q = load_questionnaire(find_questionnaire("core"))
        pack = load_rules()
        store = Store(url)
        info, token = store.create_partnership(
            "Bench partnership", "core", 3,
            [("Music org", "music"), ("Children's services", "childrens_services"),
             ("Fostering team", "fostering")])
        first, _ = store.open_round(info.id, "Away day", q.id, q.version)
        store.import_records(first.id, _records(args.respondents))
        store.close_round(first.id)
        current, _ = store.open_round(info.id, "Six-month check", q.id, q.version)
        store.import_records(current.id, _records(args.respondents))

        def core() -> None:
            records = store.response_records(current.id)
            frame = frame_from_records(records, q, partnership=info.name)
            assess(q, frame, pack, info.threshold)

        core()  # warm-up: engine compiled, caches filled
        core_times = []
        for _ in range(args.runs):
            t = time.perf_counter()
            core()
            core_times.append(time.perf_counter() - t)

        at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
        at.query_params["admin"] = token
        t = time.perf_counter()
        at.run()
        first_ms = (time.perf_counter() - t) * 1000
        if at.exception:
            print("the dashboard raised:", [e.value for e in at.exception], file=sys.stderr)
            return False
        assert any(s.value == "Findings" for s in at.subheader), "the dashboard did not render"
        ui_times = []
        for _ in range(args.runs):
            t = time.perf_counter()
            at.run()
            ui_times.append(time.perf_counter() - t)
        store.close()

    core_ms = statistics.median(core_times) * 1000
    ui_ms = statistics.median(ui_times) * 1000
    print(f"respondents: {args.respondents} (current round), runs: {args.runs}")
    print(f"core (load records + score + rules), median: {core_ms:.1f} ms")
    print(f"dashboard AppTest rerun, median:            {ui_ms:.1f} ms (first run {first_ms:.0f} ms)")
    print(f"UI overhead: dashboard / core = {ui_ms / core_ms:.1f}x")
    verdict = "yes" if ui_ms < TARGET_MS else "NO"
    print(f"dashboard median under {TARGET_MS:.0f} ms: {verdict}")
    return ui_ms < TARGET_MS


if __name__ == "__main__":
    raise SystemExit(0 if main() else 1)
