"""A plain-Python interpreter of rule conditions: the oracle the durable-rules adapter is checked against.

It reads the raw YAML shape of `when` (not the parsed Leaf/Group objects) and facts in the
shape of rule examples, so it shares no code with the adapter it checks.
"""

from __future__ import annotations

from typing import Any

TABLES = {"score": "scores", "spread": "spreads", "gap": "gaps", "lowest_group": "lowest_groups",
          "unknown": "unknown", "item": "items"}


def value(cond: dict[str, Any], facts: dict[str, Any]) -> float | None:
    if "respondents" in cond:
        return facts.get("respondents")
    if "answer" in cond:
        # shares count among those who gave an answer other than "don't know"; [dont_know] alone
        # is the share of "don't know" among everyone who answered
        shares = facts.get("answers", {}).get(cond["answer"])
        if not shares:
            return None
        if list(cond["share_of"]) == ["dont_know"]:
            return shares.get("dont_know", 0.0)
        known = sum(v for c, v in shares.items() if c != "dont_know")
        if known <= 0:
            return None
        return round(sum(shares.get(c, 0.0) for c in cond["share_of"]) / known, 9)
    for kind, table in TABLES.items():
        if kind in cond:
            return facts.get(table, {}).get(cond[kind])
    raise ValueError(f"not a condition: {cond}")


def evaluate(cond: dict[str, Any], facts: dict[str, Any]) -> bool:
    if "all" in cond:
        return all(evaluate(c, facts) for c in cond["all"])
    if "any" in cond:
        return any(evaluate(c, facts) for c in cond["any"])
    if "none" in cond:
        return not any(evaluate(c, facts) for c in cond["none"])
    ops = cond.get("respondents", cond)
    v = value(cond, facts)
    if v is None:
        return False
    if "below" in ops:
        return v < ops["below"]
    if "at_least" in ops:
        return v >= ops["at_least"]
    return v > ops["above"]


def fired(rules: dict[str, dict[str, Any]], facts: dict[str, Any]) -> list[str]:
    """Ids of the rules (id -> raw `when`) whose conditions hold."""
    return sorted(rid for rid, when in rules.items() if evaluate(when, facts))
