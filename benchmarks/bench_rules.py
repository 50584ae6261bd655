"""10,000 assessments through the durable-rules adapter against the plain-Python reference.

Both see the same facts (scored from 10,000 random partnerships) and the shipped rule pack.
Target: the adapter within 2.5x of the reference interpreter and under 1.5 s.
"""

from __future__ import annotations

import dataclasses
import sys

from healthcheck.core.questionnaire import find_questionnaire, load_questionnaire
from healthcheck.core.rules import RULES_DIR, load_rules
from healthcheck.core.rules.engine import Engine
from healthcheck.core.scoring import ScoreTable
from healthcheck.core.yamlsource import read_yaml, to_plain
from healthcheck.services.demo_stories import bulk_responses
from tests.reference import fired as reference_fired

from .common import best_of, report


def main(n: int = 10_000) -> bool:
    q = load_questionnaire(find_questionnaire("core"))
    pack = load_rules()
    table = ScoreTable(q, bulk_responses(q, n, 12, seed=2))
    facts = [table.facts(code) for code in range(n)]
    raw_facts = [dataclasses.asdict(f) for f in facts]
    raw_rules = {p.stem: to_plain(read_yaml(p))["when"] for p in sorted(RULES_DIR.glob("*.yaml"))}
    engine = Engine(pack)
    try:
        ref_t, ref = best_of(lambda: [reference_fired(raw_rules, f) for f in raw_facts])
        fired_t, got = best_of(lambda: [engine.fired(f) for f in facts])
        eval_t, _ = best_of(lambda: [engine.evaluate(f) for f in facts])
    finally:
        engine.close()
    assert got == ref, "adapter and reference disagree"
    total = sum(len(x) for x in got)
    print(f"rules: {n:,} assessments, {len(pack.rules)} rules, {total:,} findings in all")
    ok = report("rules (adapter fired vs reference)", fired_t, ref_t, target_ratio=2.5, target_seconds=1.5)
    report("rules (adapter with evidence vs reference)", eval_t, ref_t)
    return ok


if __name__ == "__main__":
    sys.exit(0 if main() else 1)
