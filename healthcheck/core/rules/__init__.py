"""Rule files (rules/*.yaml): models, loader with file:line errors, and the condition vocabulary.

A rule says *when* a risk is present (a tree of all/any/none groups over leaf conditions on
scores, spreads, gaps, answers...), why it matters and what to do. Every rule carries its own
examples, which are its tests and its documentation.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from healthcheck.core.errors import InputError, Problem
from healthcheck.core.frameworks import DIMENSION_BY_ID
from healthcheck.core.questionnaire import ID_PATTERN, Questionnaire
from healthcheck.core.vocabulary import SEVERITIES as SEVERITIES  # re-exported for callers of rules
from healthcheck.core.vocabulary import SEVERITY_RANK as SEVERITY_RANK
from healthcheck.core.vocabulary import Severity
from healthcheck.core.yamlsource import line_of, read_yaml, to_plain, validation_problems

RULES_DIR = Path(__file__).resolve().parents[3] / "rules"

# Leaf vocabulary: condition kind -> (allowed operators, value range, what it reads, unit)
KINDS: dict[str, tuple[tuple[str, ...], tuple[float, float], str]] = {
    "score": (("below", "at_least"), (0, 100), "score"),
    "spread": (("above",), (0, 100), "spread (disagreement) on"),
    "gap": (("above",), (0, 100), "largest gap between groups on"),
    "lowest_group": (("below",), (0, 100), "lowest group score on"),
    "unknown": (("above",), (0, 1), "share of don't know on"),
    "item": (("below", "at_least"), (0, 100), "score of item"),
    "answer": (("above",), (0, 1), "share answering"),
    "respondents": (("at_least",), (0, 1_000_000), "number of respondents"),
}
DIMENSION_KINDS = {"score", "spread", "gap", "lowest_group", "unknown"}
# Where each kind of leaf finds its value in Facts.
FACT_FIELD = {"score": "scores", "spread": "spreads", "gap": "gaps", "lowest_group": "lowest_groups",
              "unknown": "unknown", "item": "items"}
SENTINEL = "zz--sentinel"  # a rule every session fires; cannot collide: rule ids never contain "--"
_OPS = {"below": "$lt", "at_least": "$gte", "above": "$gt", "at_most": "$lte"}
NEGATED_OP = {"below": "at_least", "at_least": "below", "above": "at_most", "at_most": "above"}
_NEG = NEGATED_OP
# durable-rules 2.0.28 limits, read from its C source (rete.c, rete.h, state.h): each $and/$or
# takes two slots (operator and end) of a rule's expression sequence, which must stay below 32
# (error 113: measured, 15 groups compile and 16 do not); comparisons with constants take none.
# A fact holds at most 255 properties. We refuse packs beyond these before the engine sees them.
MAX_RULE_COST = 30
MAX_FACT_VALUES = 240


@dataclass(frozen=True)
class Leaf:
    kind: str
    subject: str  # dimension or item id; "" for respondents
    op: str  # below | at_least | above (at_most appears only in negated evidence)
    threshold: float
    choices: tuple[str, ...] = ()

    @property
    def key(self) -> str:
        """The attribute name of this leaf's value in the flat fact handed to the engine."""
        subject = re.sub(r"[^a-z0-9]", "_", self.subject.replace(".", "__"))
        if self.kind == "answer":
            digest = hashlib.sha1(",".join(sorted(self.choices)).encode()).hexdigest()[:8]
            return f"answer__{subject}__{digest}"
        return f"{self.kind}__{subject}" if subject else self.kind

    def holds(self, value: float | None) -> bool:
        if value is None:
            return False
        if self.op == "below":
            return value < self.threshold
        if self.op == "at_least":
            return value >= self.threshold
        if self.op == "above":
            return value > self.threshold
        return value <= self.threshold  # at_most

    def describe(self) -> str:
        what = KINDS[self.kind][2]
        subject = DIMENSION_BY_ID[self.subject].label if self.subject in DIMENSION_BY_ID else self.subject
        if self.kind == "answer":
            subject = f"{self.subject} = {' or '.join(self.choices)}"
        op = self.op.replace("_", " ")
        return f"{what} {subject} {op} {self.threshold:g}".replace("  ", " ").strip()


@dataclass(frozen=True)
class Group:
    mode: Literal["all", "any", "none"]
    parts: tuple[Leaf | Group, ...]


Condition = Leaf | Group


def leaves(cond: Condition) -> Iterator[Leaf]:
    if isinstance(cond, Leaf):
        yield cond
    else:
        for part in cond.parts:
            yield from leaves(part)


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Action(Strict):
    task: str
    text: Annotated[str, Field(min_length=10)]

    @field_validator("task")
    @classmethod
    def _task(cls, v: str) -> str:
        if not v.startswith("task.") or v not in DIMENSION_BY_ID:
            raise ValueError(f"'{v}' is not one of the 13 task ids (task.taking_stock ...)")
        return v


class Example(Strict):
    name: Annotated[str, Field(min_length=1)]
    expect: Literal["fires", "quiet"]
    scores: dict[str, float] = {}
    spreads: dict[str, float] = {}
    gaps: dict[str, float] = {}
    lowest_groups: dict[str, float] = {}
    unknown: dict[str, float] = {}
    items: dict[str, float] = {}
    answers: dict[str, dict[str, float]] = {}
    respondents: int | None = None

    @field_validator("scores", "spreads", "gaps", "lowest_groups", "unknown")
    @classmethod
    def _dims(cls, v: dict[str, float]) -> dict[str, float]:
        for dim in v:
            if dim not in DIMENSION_BY_ID:
                raise ValueError(f"unknown dimension '{dim}'")
        return v

    def facts(self) -> Facts:
        return Facts(dict(self.scores), dict(self.spreads), dict(self.gaps), dict(self.lowest_groups),
                     dict(self.unknown), dict(self.items), {k: dict(v) for k, v in self.answers.items()},
                     self.respondents)


class RuleFile(Strict):
    id: Annotated[str, Field(pattern=r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$")]
    title: Annotated[str, Field(min_length=3)]
    severity: Severity
    tasks: Annotated[list[str], Field(min_length=1)]
    explanation: Annotated[str, Field(min_length=20)]
    when: dict[str, Any]
    actions: Annotated[list[Action], Field(min_length=1)]
    examples: list[Example] = []

    @field_validator("tasks")
    @classmethod
    def _tasks(cls, v: list[str]) -> list[str]:
        for t in v:
            if not t.startswith("task.") or t not in DIMENSION_BY_ID:
                raise ValueError(f"'{t}' is not one of the 13 task ids (task.taking_stock ...)")
        return v


@dataclass(frozen=True)
class Facts:
    """What the rules look at for one assessment. A missing key means 'nothing to go on'."""

    scores: dict[str, float] = field(default_factory=dict)
    spreads: dict[str, float] = field(default_factory=dict)
    gaps: dict[str, float] = field(default_factory=dict)
    lowest_groups: dict[str, float] = field(default_factory=dict)
    unknown: dict[str, float] = field(default_factory=dict)
    items: dict[str, float] = field(default_factory=dict)
    answers: dict[str, dict[str, float]] = field(default_factory=dict)
    respondents: int | None = None

    def value(self, leaf: Leaf) -> float | None:
        if leaf.kind == "respondents":
            return None if self.respondents is None else float(self.respondents)
        if leaf.kind == "answer":
            shares = self.answers.get(leaf.subject)
            return None if not shares else float(sum(shares.get(c, 0.0) for c in leaf.choices))
        v = getattr(self, FACT_FIELD[leaf.kind]).get(leaf.subject)
        return None if v is None else float(v)


@dataclass(frozen=True)
class Rule:
    id: str
    title: str
    severity: str
    tasks: tuple[str, ...]
    explanation: str
    when: Group
    actions: tuple[Action, ...]
    examples: tuple[Example, ...]
    path: str
    line: int | None = None


@dataclass(frozen=True)
class RulePack:
    rules: tuple[Rule, ...]

    @property
    def digest(self) -> str:
        """Content hash: names the compiled engine ruleset, keys caches."""
        payload = json.dumps([_rule_signature(r) for r in self.rules], sort_keys=True, default=str)
        return hashlib.sha256(payload.encode()).hexdigest()[:16]

    @property
    def by_id(self) -> dict[str, Rule]:
        return {r.id: r for r in self.rules}

    @cached_property
    def value_names(self) -> dict[str, str]:
        """Short attribute names for the engine's fact (v0, v1...): the C engine parses and
        re-serialises the fact for every fired rule, so long names cost time on every call."""
        keys = sorted({leaf.key for rule in self.rules for leaf in leaves(rule.when)})
        return {key: f"v{i}" for i, key in enumerate(keys)}


def _rule_signature(rule: Rule) -> Any:
    return repr((rule.id, rule.title, rule.severity, rule.tasks, rule.explanation, rule.when, rule.actions))


# --- compiling to durable-rules JSON --------------------------------------------------------

def _leaf_expr(leaf: Leaf, negate: bool, names: dict[str, str]) -> dict[str, Any]:
    name = names.get(leaf.key, leaf.key)
    if not negate:
        return {_OPS[leaf.op]: {name: leaf.threshold}}
    # not(x < t) must also hold when x is missing, because a missing value makes the leaf false.
    return {"$or": [{_OPS[_NEG[leaf.op]]: {name: leaf.threshold}}, {"$nex": {name: 1}}]}


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


# --- parsing the `when` tree, keeping the YAML location of each problem ---------------------

def _parse_condition(raw: Any, loc: tuple[Any, ...], problems: list[tuple[tuple[Any, ...], str]],
                     depth: int = 0) -> Condition | None:
    if depth > 12:
        problems.append((loc, "conditions are nested too deeply (at most 12 levels)"))
        return None
    if not isinstance(raw, dict) or not raw:
        problems.append((loc, "a condition must be a mapping such as {score: task.communicating, below: 50}"))
        return None
    groups = [k for k in ("all", "any", "none") if k in raw]
    if groups:
        if len(raw) != 1:
            problems.append((loc, f"a group has exactly one key ({'/'.join(groups)}); "
                                  f"put other conditions inside its list"))
            return None
        mode = groups[0]
        parts_raw = raw[mode]
        if not isinstance(parts_raw, list) or not parts_raw:
            problems.append(((*loc, mode), f"'{mode}' needs a non-empty list of conditions"))
            return None
        parts = [_parse_condition(p, (*loc, mode, i), problems, depth + 1) for i, p in enumerate(parts_raw)]
        if any(p is None for p in parts):
            return None
        return Group(mode, tuple(p for p in parts if p is not None))
    kinds = [k for k in raw if k in KINDS]
    if len(kinds) != 1:
        known = ", ".join([*KINDS, "all", "any", "none"])
        what = "names no known condition" if not kinds else f"names {len(kinds)} conditions at once"
        problems.append((loc, f"this condition {what} (known: {known})"))
        return None
    kind = kinds[0]
    ops, (low, high), _ = KINDS[kind]
    if kind == "respondents":
        inner = raw["respondents"]
        if not isinstance(inner, dict) or set(inner) != {"at_least"} or len(raw) != 1:
            problems.append(((*loc, kind), "write the respondents condition as: respondents: {at_least: N}"))
            return None
        subject, body = "", inner
    else:
        subject, body = raw[kind], {k: v for k, v in raw.items() if k != kind}
        if not isinstance(subject, str) or not re.fullmatch(ID_PATTERN, subject):
            problems.append(((*loc, kind), f"'{kind}' must name a dimension or item id"))
            return None
        if kind in DIMENSION_KINDS and subject not in DIMENSION_BY_ID:
            problems.append(((*loc, kind), f"unknown dimension '{subject}'"))
            return None
    choices: tuple[str, ...] = ()
    if kind == "answer":
        share_of = body.pop("share_of", None)
        if (not isinstance(share_of, list) or not share_of
                or not all(isinstance(c, str) and c for c in share_of)):
            problems.append((loc, "an answer condition needs share_of: [choice ids]"))
            return None
        choices = tuple(share_of)
    unknown = [k for k in body if k not in ops]
    if unknown or len(body) != 1:
        bad = f"'{unknown[0]}' is not allowed here" if unknown else f"give exactly one of {', '.join(ops)}"
        problems.append(((*loc, unknown[0]) if unknown else loc,
                         f"{bad}: a {kind} condition takes {' or '.join(ops)}"))
        return None
    op, threshold = next(iter(body.items()))
    if isinstance(threshold, bool) or not isinstance(threshold, int | float):
        problems.append(((*loc, op), f"'{op}' must be a number"))
        return None
    if not low <= threshold <= high:
        problems.append(((*loc, op), f"'{op}: {threshold}' is out of range for {kind} "
                                     f"({_plain_number(low)} to {_plain_number(high)})"))
        return None
    return Leaf(kind, subject, op, float(threshold), choices)


def _plain_number(x: float) -> str:
    return f"{int(x):,}" if float(x).is_integer() else f"{x}"


def parse_rule(path: Path, text: str | None = None) -> Rule:
    data = read_yaml(path, text)
    plain = to_plain(data)
    from pydantic import ValidationError

    try:
        model = RuleFile.model_validate(plain)
    except ValidationError as exc:
        raise InputError(validation_problems(path, data, exc)) from None
    problems: list[tuple[tuple[Any, ...], str]] = []
    if model.id != path.stem:
        problems.append((("id",), f"the id '{model.id}' must equal the file name '{path.stem}'"))
    when = _parse_condition(model.when, ("when",), problems)
    if when is not None and not isinstance(when, Group):
        problems.append((("when",), "'when' must be a group: all, any or none"))
    if isinstance(when, Group) and expression_cost(compile_rule(when)) > MAX_RULE_COST:
        problems.append((("when",), "this condition is too complex for the rule engine; split it into "
                                    "two rules or use fewer nested groups"))
    fires = sum(e.expect == "fires" for e in model.examples)
    if fires < 1 or len(model.examples) - fires < 1:
        problems.append((("examples",), "a rule needs at least one 'fires' and one 'quiet' example"))
    if problems:
        raise InputError([Problem(str(path), msg, line_of(data, loc)) for loc, msg in problems])
    assert isinstance(when, Group)
    return Rule(model.id, model.title, model.severity, tuple(model.tasks), model.explanation.strip(),
                when, tuple(model.actions), tuple(model.examples), str(path), line_of(data, ()))


def load_rules(source: str | Path | None = None) -> RulePack:
    """Load a folder of rule files (or one file); raises InputError listing every problem."""
    root = Path(source) if source is not None else RULES_DIR
    if root.is_dir():
        paths = sorted(root.glob("*.yaml")) + sorted(root.glob("*.yml"))
        if not paths:
            raise InputError([Problem(str(root), "no rule files (*.yaml) in this folder")])
    elif root.exists():
        paths = [root]
    else:
        raise InputError([Problem(str(root), "no such file or folder")])
    rules, problems = [], []
    for path in paths:
        try:
            rules.append(parse_rule(path))
        except InputError as exc:
            problems.extend(exc.problems)
    values = {leaf.key for rule in rules for leaf in leaves(rule.when)}
    if len(values) > MAX_FACT_VALUES:
        problems.append(Problem(str(root), f"the rules read {len(values)} different values; the rule "
                                f"engine takes at most {MAX_FACT_VALUES} per assessment"))
    seen: dict[str, str] = {}
    for rule in rules:
        if rule.id in seen:
            problems.append(Problem(rule.path, f"rule id '{rule.id}' is also used by {seen[rule.id]}", 1))
        seen[rule.id] = rule.path
    if problems:
        raise InputError(problems)
    return RulePack(tuple(sorted(rules, key=lambda r: r.id)))


def check_against(pack: RulePack, questionnaires: list[Questionnaire]) -> list[Problem]:
    """Item and choice ids that no questionnaire has: such a condition could never hold."""
    items = {i.id: i for q in questionnaires for i in q.items}
    problems = []
    for rule in pack.rules:
        for leaf in leaves(rule.when):
            if leaf.kind not in ("item", "answer"):
                continue
            item = items.get(leaf.subject)
            want = "likert" if leaf.kind == "item" else "choice"
            if item is None or item.type != want:
                problems.append(Problem(rule.path, f"'{leaf.subject}' is not a {want} item of any "
                                        f"questionnaire, so this condition can never hold", rule.line))
                continue
            known = {c.id for c in item.choices}
            for c in leaf.choices:
                if c not in known:
                    problems.append(Problem(rule.path, f"'{c}' is not a choice of {leaf.subject} "
                                            f"(choices: {', '.join(sorted(known))})", rule.line))
    return problems
