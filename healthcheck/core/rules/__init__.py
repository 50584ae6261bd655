"""Rules: rule files (rules/*.yaml) loaded, checked and run by the durable-rules engine.

- `model`: the condition vocabulary and the models of a rule file, a rule, a pack, the facts
  rules read, and a finding with its evidence;
- `load`: reading rule files with file:line problems (`load_rules`, `parse_rule`, `RULES_DIR`)
  and checking them against questionnaires (`check_against`);
- `compile`: a pack as the durable-rules JSON ruleset, within the engine's limits;
- `engine`: the durable-rules adapter that evaluates one assessment at a time.

A rule's YAML is `rules/<id>.yaml`; its examples there are its tests (`pytest -k <id>`).
"""

from healthcheck.core.rules.compile import (
    MAX_FACT_VALUES,
    MAX_RULE_COST,
    SENTINEL,
    compile_pack,
    compile_rule,
    expression_cost,
)
from healthcheck.core.rules.load import RULES_DIR, check_against, load_rules, parse_condition, parse_rule
from healthcheck.core.rules.model import (
    DIMENSION_KINDS,
    DONT_KNOW_CHOICE,
    FACT_FIELD,
    KINDS,
    NEGATED_OP,
    SEVERITIES,
    SEVERITY_RANK,
    Action,
    Condition,
    Evidence,
    Example,
    Facts,
    Finding,
    Group,
    Leaf,
    Rule,
    RuleFile,
    RulePack,
    Strict,
    leaves,
    share_value,
)

__all__ = [
    "DIMENSION_KINDS",
    "DONT_KNOW_CHOICE",
    "FACT_FIELD",
    "KINDS",
    "MAX_FACT_VALUES",
    "MAX_RULE_COST",
    "NEGATED_OP",
    "RULES_DIR",
    "SENTINEL",
    "SEVERITIES",
    "SEVERITY_RANK",
    "Action",
    "Condition",
    "Evidence",
    "Example",
    "Facts",
    "Finding",
    "Group",
    "Leaf",
    "Rule",
    "RuleFile",
    "RulePack",
    "Strict",
    "check_against",
    "compile_pack",
    "compile_rule",
    "expression_cost",
    "leaves",
    "load_rules",
    "parse_condition",
    "parse_rule",
    "share_value",
]
