"""What a rule is made of: the condition vocabulary, the rule file's models, a rule, a pack of
rules, the facts rules read, and a finding (a rule that fired, with its evidence).

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
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from healthcheck.core.anonymity import shown_score, shown_share
from healthcheck.core.contract import EvidenceDoc, FindingDoc
from healthcheck.core.frameworks import DIMENSION_BY_ID
from healthcheck.core.questionnaire import Questionnaire
from healthcheck.core.rules.clearing import counts, finding_margin, margin, to_clear
from healthcheck.core.vocabulary import SEVERITIES as SEVERITIES  # re-exported for callers of rules
from healthcheck.core.vocabulary import SEVERITY_RANK as SEVERITY_RANK
from healthcheck.core.vocabulary import Severity

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
SHARE_KINDS = {"unknown", "answer"}  # kinds whose value is a share (0-1); the others are points or counts
DIMENSION_KINDS = {"score", "spread", "gap", "lowest_group", "unknown"}
# Where each kind of leaf finds its value in Facts.
FACT_FIELD = {"score": "scores", "spread": "spreads", "gap": "gaps", "lowest_group": "lowest_groups",
              "unknown": "unknown", "item": "items"}
NEGATED_OP = {"below": "at_least", "at_least": "below", "above": "at_most", "at_most": "above"}
DONT_KNOW_CHOICE = "dont_know"  # the choice id every choice item uses for "don't know"
SHARE_PLACES = 9  # shares are rounded so that 0.4 / (0.4 + 0.6) reads exactly 0.4 at a threshold


def share_value(shares: dict[str, float] | None, choices: tuple[str, ...]) -> float | None:
    """The value an `answer` condition reads from an item's answer shares.

    `share_of` counts among those who gave an answer other than "don't know", so uncertainty
    neither dilutes nor feeds a fact (the `unknown` condition is for uncertainty). The shares may
    be of all answers, "don't know" included (documents, examples): they are re-based here.
    `share_of: [dont_know]` alone reads the share of "don't know" among all answers. None (the
    condition is false) when nobody answered, or nobody gave an answer other than "don't know".
    """
    if not shares:
        return None
    if choices == (DONT_KNOW_CHOICE,):
        return float(shares.get(DONT_KNOW_CHOICE, 0.0))
    known = 0.0
    for choice, share in shares.items():  # plain loops: this runs for every fact the engine sees
        if choice != DONT_KNOW_CHOICE:
            known += share
    if known <= 0.0:
        return None
    picked = 0.0
    for choice in choices:
        picked += shares.get(choice, 0.0)
    return round(picked / known, SHARE_PLACES)


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
    # Rules this one groups: when both fire, only this one shows, listing them (same evidence).
    supersedes: list[Annotated[str, Field(pattern=r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$")]] = []
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
            return share_value(self.answers.get(leaf.subject), leaf.choices)
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
    supersedes: tuple[str, ...] = ()
    supersedes_lines: tuple[int | None, ...] = ()  # the YAML line of each `supersedes` entry


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
    return repr((rule.id, rule.title, rule.severity, rule.tasks, rule.explanation, rule.when, rule.actions,
                 rule.supersedes))


# --- what fired, and why -----------------------------------------------------------------------



@dataclass(frozen=True)
class Evidence:
    condition: str
    subject: str
    value: float | None
    op: str
    threshold: float
    choices: tuple[str, ...] = ()

    @property
    def margin(self) -> float | None:
        """How far the value is past the threshold, in points or percentage points (`clearing`)."""
        return margin(self.condition, self.op, self.value, self.threshold)

    @property
    def points_at_problem(self) -> bool:
        """Below or above a line (not context such as "overall is fair", nor a count)."""
        return counts(self.condition, self.op)

    def to_clear(self, names: Questionnaire | None = None, *, clause: bool = False) -> str | None:
        """What would clear this evidence, in one sentence (items named by their text with `names`;
        `clause`: without the value, for a screen that has just said it)."""
        return to_clear(self.condition, self.subject, self.op, self.value, self.threshold, self.choices,
                        names, clause=clause)

    def as_dict(self) -> dict[str, Any]:
        """This evidence as the score document holds it (`contract.EvidenceDoc`)."""
        return EvidenceDoc.model_validate(self.doc_fields()).model_dump()

    def doc_fields(self, names: Questionnaire | None = None) -> dict[str, Any]:
        return {"condition": self.condition, "subject": self.subject,
                "value": self.shown_value, "op": self.op, "threshold": self.threshold,
                "choices": list(self.choices), "margin": self.margin, "to_clear": self.to_clear(names)}

    @property
    def shown_value(self) -> float | int | None:
        """The value as it is shown: a share to 0.01, points and counts whole (`anonymity`)."""
        return shown_share(self.value) if self.condition in SHARE_KINDS else shown_score(self.value)

    def describe(self) -> str:
        leaf = Leaf(self.condition, self.subject, self.op.removeprefix("not "), self.threshold, self.choices)
        text = leaf.describe()
        value = "no answers" if self.value is None else f"{self.shown_value:g}"
        prefix = "not: " if self.op.startswith("not ") else ""
        return f"{prefix}{text} (is {value})"


@dataclass(frozen=True)
class Finding:
    """A rule that fired, with its evidence. A finding that groups others (`supersedes`) carries
    their rules in `covered` and their evidence merged into its own; its tasks and actions are its
    rule's followed by those of the rules it covers."""

    rule: Rule
    evidence: tuple[Evidence, ...]
    covered: tuple[Rule, ...] = ()

    @property
    def id(self) -> str:
        return self.rule.id

    @property
    def covers(self) -> tuple[str, ...]:
        return tuple(r.id for r in self.covered)

    @property
    def tasks(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(t for r in (self.rule, *self.covered) for t in r.tasks))

    @property
    def actions(self) -> tuple[Action, ...]:
        seen: dict[str, Action] = {}
        for r in (self.rule, *self.covered):
            for a in r.actions:
                seen.setdefault(a.text, a)
        return tuple(seen.values())

    @property
    def margin(self) -> float | None:
        """How far past its threshold the finding's most telling evidence is (`clearing`)."""
        return finding_margin([(e.condition, e.op, e.value, e.threshold) for e in self.evidence])

    def as_dict(self) -> dict[str, Any]:
        """This finding as the score document holds it (`contract.FindingDoc`)."""
        return FindingDoc.model_validate(self.doc_fields()).model_dump()

    def doc_fields(self, names: Questionnaire | None = None) -> dict[str, Any]:
        r = self.rule
        return {"rule": r.id, "severity": r.severity, "title": r.title, "tasks": list(self.tasks),
                "explanation": r.explanation, "margin": self.margin, "covers": list(self.covers),
                "evidence": [e.doc_fields(names) for e in self.evidence],
                "actions": [{"task": a.task, "text": a.text} for a in self.actions]}
