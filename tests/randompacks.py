"""Random rule packs and facts drawn from the condition vocabulary (for agreement and soak tests)."""

from __future__ import annotations

import random
from typing import Any

from healthcheck.core.rules import (
    MAX_RULE_COST,
    Example,
    Facts,
    Rule,
    RulePack,
    compile_rule,
    expression_cost,
)
from healthcheck.core.rules import parse_condition as _parse_condition
from healthcheck.core.rules.engine import Engine

DIMS = ["task.taking_stock", "task.communicating", "factor.debate", "prereq.clear_roles",
        "task.exercising_leadership", "task.investing_resources"]
ITEMS = ["q.shared_language", "q.one_person_holds"]
CHOICE_ITEMS = {"fact.named_lead": ["yes", "no", "dont_know"],
                "fact.time_costed": ["yes", "partly", "no", "dont_know"]}
THRESHOLDS = [0, 10, 25, 40, 49.9, 50, 60, 75, 100]
SHARES = [0.0, 0.25, 0.3, 0.5, 0.75, 1.0]


def leaf(rng: random.Random) -> dict[str, Any]:
    kind = rng.choice(["score", "score", "spread", "gap", "lowest_group", "unknown", "item", "answer",
                       "respondents"])
    if kind == "respondents":
        return {"respondents": {"at_least": rng.choice([1, 3, 6, 12])}}
    if kind == "answer":
        item = rng.choice(list(CHOICE_ITEMS))
        choices = rng.sample(CHOICE_ITEMS[item], rng.randint(1, 2))
        if "dont_know" in choices:  # the loader refuses dont_know beside other choices
            choices = ["dont_know"]
        return {"answer": item, "share_of": choices, "above": rng.choice(SHARES)}
    if kind == "unknown":
        return {"unknown": rng.choice(DIMS), "above": rng.choice(SHARES)}
    subject = rng.choice(ITEMS) if kind == "item" else rng.choice(DIMS)
    op = {"score": ["below", "at_least"], "item": ["below", "at_least"], "spread": ["above"],
          "gap": ["above"], "lowest_group": ["below"]}[kind]
    return {kind: subject, rng.choice(op): rng.choice(THRESHOLDS)}


def condition(rng: random.Random, depth: int = 0) -> dict[str, Any]:
    if depth >= 3 or (depth > 0 and rng.random() < 0.5):
        return leaf(rng)
    return {rng.choice(["all", "any", "none"]): [condition(rng, depth + 1) for _ in range(rng.randint(1, 3))]}


def raw_pack(rng: random.Random, n_rules: int = 5) -> dict[str, dict[str, Any]]:
    """Random rules the loader would accept (within the engine's expression limit)."""
    pack: dict[str, dict[str, Any]] = {}
    while len(pack) < n_rules:
        when = condition(rng)
        if not any(k in when for k in ("all", "any", "none")):
            when = {"all": [when]}
        problems: list[Any] = []
        parsed = _parse_condition(when, ("when",), problems)
        if expression_cost(compile_rule(parsed)) <= MAX_RULE_COST:  # type: ignore[arg-type]
            pack[f"rule-{len(pack)}"] = when
    return pack


def compile_raw(raw: dict[str, dict[str, Any]]) -> RulePack:
    """Parse raw `when` trees with the real parser into a pack (texts are placeholders)."""
    rules = []
    dummy = (Example(name="x", expect="fires"), Example(name="y", expect="quiet"))
    for rid, when in raw.items():
        problems: list[Any] = []
        cond = _parse_condition(when, ("when",), problems)
        assert not problems, problems
        rules.append(Rule(rid, rid, "medium", ("task.taking_stock",), "random rule for tests", cond,  # type: ignore[arg-type]
                          (), dummy, "<random>"))
    return RulePack(tuple(rules))


def facts(rng: random.Random) -> dict[str, Any]:
    def values(keys: list[str], pool: list[float]) -> dict[str, float]:
        return {k: rng.choice(pool) + rng.choice([0, 0, 0.01, -0.01]) for k in keys if rng.random() < 0.8}

    pool = THRESHOLDS + [rng.uniform(0, 100) for _ in range(3)]
    out: dict[str, Any] = {
        "scores": values(DIMS, pool), "spreads": values(DIMS, pool), "gaps": values(DIMS, pool),
        "lowest_groups": values(DIMS, pool), "unknown": values(DIMS, SHARES),
        "items": values(ITEMS, pool), "answers": {},
    }
    for item, choices in CHOICE_ITEMS.items():
        if rng.random() < 0.8:
            weights = [rng.random() + 0.01 for _ in choices]
            total = sum(weights)
            out["answers"][item] = {c: w / total for c, w in zip(choices, weights, strict=True)}
    if rng.random() < 0.9:
        out["respondents"] = rng.choice([0, 2, 3, 6, 12, 40])
    return out


def to_facts(raw: dict[str, Any]) -> Facts:
    return Facts(**raw)


def engine_fired(engine: Engine, raw: dict[str, Any]) -> list[str]:
    return engine.fired(to_facts(raw))
