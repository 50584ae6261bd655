"""Compiling a rule pack to the durable-rules JSON ruleset the engine runs (`engine.py`).

Every rule becomes one durable-rules rule over a flat fact (see `RulePack.value_names`): no
fact-to-fact references and no `$not`, because the engine mishandles both; `none` groups compile
by negating comparisons, with `$nex` (attribute absent) keeping "a missing value is false" exact.
"""

from __future__ import annotations

from typing import Any

from healthcheck.core.rules.model import NEGATED_OP, Condition, Group, Leaf, RulePack

SENTINEL = "zz--sentinel"  # a rule every session fires; cannot collide: rule ids never contain "--"
_OPS = {"below": "$lt", "at_least": "$gte", "above": "$gt", "at_most": "$lte"}
# durable-rules 2.0.28 limits, read from its C source (rete.c, rete.h, state.h): each $and/$or
# takes two slots (operator and end) of a rule's expression sequence, which must stay below 32
# (error 113: measured, 15 groups compile and 16 do not); comparisons with constants take none.
# A fact holds at most 255 properties. We refuse packs beyond these before the engine sees them.
MAX_RULE_COST = 30
MAX_FACT_VALUES = 240


def _leaf_expr(leaf: Leaf, negate: bool, names: dict[str, str]) -> dict[str, Any]:
    name = names.get(leaf.key, leaf.key)
    if not negate:
        return {_OPS[leaf.op]: {name: leaf.threshold}}
    # not(x < t) must also hold when x is missing, because a missing value makes the leaf false.
    return {"$or": [{_OPS[NEGATED_OP[leaf.op]]: {name: leaf.threshold}}, {"$nex": {name: 1}}]}


def _expr(cond: Condition, negate: bool, names: dict[str, str]) -> dict[str, Any]:
    if isinstance(cond, Leaf):
        return _leaf_expr(cond, negate, names)
    mode = cond.mode
    if mode == "none":  # none(a, b) == all(not a, not b)
        mode, negate = ("any", False) if negate else ("all", True)
        parts = [_expr(p, negate, names) for p in cond.parts]
    else:
        parts = [_expr(p, negate, names) for p in cond.parts]
        if negate:  # De Morgan
            mode = "any" if mode == "all" else "all"
    if len(parts) == 1:
        return parts[0]
    return {"$and" if mode == "all" else "$or": parts}


def expression_cost(expr: dict[str, Any]) -> int:
    """The slots a compiled rule (or expression) takes in the engine's expression sequence."""
    if "all" in expr:
        return sum(expression_cost(m["m"]) for m in expr["all"])
    parts = expr.get("$and") or expr.get("$or")
    return 0 if parts is None else 2 + sum(expression_cost(p) for p in parts)


def compile_rule(rule_when: Group, names: dict[str, str] | None = None) -> dict[str, Any]:
    return {"all": [{"m": {"$and": [{"t": "hc"}, _expr(rule_when, False, names or {})]}}]}


def compile_pack(pack: RulePack) -> dict[str, Any]:
    """The durable-rules JSON ruleset for a pack (one rule per risk plus the sentinel)."""
    names = pack.value_names
    rules: dict[str, Any] = {rule.id: compile_rule(rule.when, names) for rule in pack.rules}
    # The sentinel matches every assessment fact, so each session starts at least one action.
    rules[SENTINEL] = {"all": [{"m": {"t": "hc"}}]}
    return rules
