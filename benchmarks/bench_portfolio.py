"""A funder's portfolio of 1,000 partnerships x 12 respondents (12,000 rows) from one CSV file.

- import and assess: `read_responses` of the CSV + `Portfolio.add_table` (one ScoreTable, then
  facts and the rule engine per partnership). Target: under 10 s. Baseline: the bare
  ScoreTable + rules (`Engine.evaluate`, with evidence) on the already-read table; the engine's
  share of the time is reported.
- filter and sort: a funder's typical views over the 1,000 rows. Target: under 1 s. Baseline:
  sorting the rows by name, the least any view does.
- exports (CSV and XLSX) of the whole portfolio, and peak memory (tracemalloc and max RSS).
"""

from __future__ import annotations

import resource
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

from healthcheck.core.questionnaire import find_questionnaire, load_questionnaire
from healthcheck.core.responses import export_csv, read_responses
from healthcheck.core.rules import load_rules
from healthcheck.core.rules.engine import get_engine
from healthcheck.core.scoring import ScoreTable
from healthcheck.services import portfolio as pf
from healthcheck.services.demo_stories import bulk_responses

from .common import best_of, report

VIEWS = [
    pf.FilterSpec(),
    pf.FilterSpec(severity="high", sort="tasks"),
    pf.FilterSpec(risk="unfunded-partnership-time", sort="change"),
    pf.FilterSpec(band="concern", dimension="task.communicating", sort="task.communicating"),
    pf.FilterSpec(band="strength", dimension="tasks", sort="partnership"),
    pf.FilterSpec(text="partnership 1", sort="respondents", descending=True),
]


def main(partnerships: int = 1_000, respondents: int = 12) -> bool:
    q = load_questionnaire(find_questionnaire("core"))
    pack = load_rules()
    engine = get_engine(pack)
    df = bulk_responses(q, partnerships, respondents, seed=3)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "portfolio.csv"
        path.write_text(export_csv(df, q), encoding="utf-8")
        size = path.stat().st_size
        print(f"portfolio: {partnerships:,} partnerships x {respondents} respondents ({len(df):,} rows, "
              f"{size / 1e6:.1f} MB CSV), {len(pack.rules)} rules")

        def import_and_assess() -> pf.Portfolio:
            table = read_responses(path, q)
            p = pf.Portfolio()
            p.add_table(q, table, pack)
            return p

        read_t, table = best_of(lambda: read_responses(path, q), repeat=2)

        def bare() -> int:
            st = ScoreTable(q, table)
            return sum(len(engine.evaluate(st.facts(c))) for c in range(len(st)))

        score_t, st = best_of(lambda: ScoreTable(q, table), repeat=2)
        # what the portfolio runs per partnership: facts, then the findings with their evidence
        # (rows rank their findings by how far past its line the evidence is)
        rules_t, _ = best_of(lambda: [engine.evaluate(st.facts(c)) for c in range(len(st))], repeat=2)
        bare_t, _ = best_of(bare, repeat=2)
        full_t, portfolio = best_of(import_and_assess, repeat=2)

        tracemalloc.start()
        import_and_assess()
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()

    rows = portfolio.rows
    assert len(rows) == partnerships
    ok = report("portfolio import and assess (read CSV + rows) vs bare ScoreTable + rules", full_t, bare_t,
                target_seconds=10.0)
    print(f"  of which: reading the CSV {read_t:.3f} s, scoring {score_t:.3f} s, facts + rule engine "
          f"{rules_t:.3f} s (the engine's share of import and assess: {rules_t / full_t:.0%})")

    def views() -> int:
        return sum(len(v.apply(rows)) for v in VIEWS)

    base_t, _ = best_of(lambda: [sorted(rows, key=lambda r: r.partnership) for _ in VIEWS], repeat=5)
    views_t, _ = best_of(views, repeat=5)
    ok &= report(f"portfolio filter and sort ({len(VIEWS)} views of {len(rows):,} rows) vs sort by name",
                 views_t, base_t, target_seconds=1.0)
    common_t, _ = best_of(lambda: (pf.common_risks(rows, 5), pf.heatmap_frame(rows[:40])), repeat=5)
    print(f"  common risks + heatmap frame: {common_t:.3f} s")

    csv_t, _ = best_of(lambda: pf.to_csv(rows), repeat=2)
    start = time.perf_counter()
    xlsx = pf.to_xlsx(rows)
    xlsx_t = time.perf_counter() - start
    ok &= report("portfolio XLSX export vs CSV export", xlsx_t, csv_t, target_seconds=5.0)
    print(f"  XLSX {len(xlsx) / 1e6:.2f} MB")

    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
    print(f"portfolio peak memory: {peak / 1e6:.0f} MB traced during import and assess, "
          f"process max RSS {rss:.0f} MB")
    return ok


if __name__ == "__main__":
    sys.exit(0 if main() else 1)
