"""Every shipped rule: its examples through the real engine, and its shape.

Test ids are `rule-id::example name`, so `pytest -k leadership-vacuum` runs one rule.
"""

from __future__ import annotations

import pytest

from healthcheck.core.rules import RULES_DIR, load_rules
from healthcheck.core.rules.engine import get_engine
from healthcheck.core.yamlsource import read_yaml, to_plain

from ..reference import evaluate

PACK = load_rules()
EXAMPLES = [(rule, ex) for rule in PACK.rules for ex in rule.examples]


@pytest.mark.parametrize(("rule", "example"), EXAMPLES, ids=[f"{r.id}::{e.name}" for r, e in EXAMPLES])
def test_example(rule, example) -> None:
    fired = rule.id in get_engine(PACK).fired(example.facts())
    assert fired == (example.expect == "fires"), f"{rule.path}: '{example.name}' expected {example.expect}"


@pytest.mark.parametrize("rule", PACK.rules, ids=[r.id for r in PACK.rules])
def test_rule_has_enough_examples_of_both_kinds(rule) -> None:
    kinds = [e.expect for e in rule.examples]
    assert kinds.count("fires") >= 2 and kinds.count("quiet") >= 2


@pytest.mark.parametrize("rule", PACK.rules, ids=[r.id for r in PACK.rules])
def test_examples_agree_with_reference(rule) -> None:
    raw = to_plain(read_yaml(RULES_DIR / f"{rule.id}.yaml"))
    for example in raw["examples"]:
        facts = {k: v for k, v in example.items() if k not in ("name", "expect")}
        assert evaluate(raw["when"], facts) == (example["expect"] == "fires"), example["name"]


def test_catalogue_is_covered() -> None:
    catalogue = {
        "resource-led-drift", "capacity-overreach", "no-shared-problem", "unequal-commitment",
        "unclear-roles", "provider-led", "blame-culture", "risk-aversion", "false-certainty",
        "meeting-drag", "wrong-people-at-the-table", "unfunded-partnership-time", "promised-not-delivered",
        "trust-deficit", "siloed-delivery", "key-person-dependency", "marginalised-partner",
        "terminology-mismatch", "end-loaded-evaluation", "leadership-vacuum", "low-visibility",
        "partner-drivers-unknown", "perspective-gap",
    }
    assert catalogue <= set(PACK.by_id)


def test_findings_carry_evidence_and_actions() -> None:
    engine = get_engine(PACK)
    for rule in PACK.rules:
        for example in rule.examples:
            if example.expect != "fires":
                continue
            # a rule that another supersedes may show inside that one's finding
            [finding] = [f for f in engine.evaluate(example.facts()) if rule.id in (f.id, *f.covers)]
            assert finding.evidence, f"{rule.id}: a finding without evidence"
            for ev in finding.evidence:
                if not ev.op.startswith("not "):
                    assert ev.value is not None
            assert finding.as_dict()["actions"]
