"""Where to start: findings grouped (one gap, one finding) and ranked.

- **Grouping.** A rule may declare `supersedes: [rule-id, ...]`: when it fires together with a rule
  it supersedes, only it shows. It covers the other (its `covers`), and takes in the other's
  evidence, tasks and actions, so nothing the other said is lost. Supersession is followed
  through chains (a covers b, b covers c: a covers both) and never crosses to a more severe rule
  (the loader refuses that, and cycles).
- **Ranking.** Most severe first; within a severity, the finding whose most telling evidence is
  furthest past its threshold (its `margin`, `clearing.finding_margin`) first; a finding with no
  margin after those with one; then by rule id, so the order is always the same.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from healthcheck.core.rules.model import Evidence, Finding, Rule
from healthcheck.core.vocabulary import SEVERITY_RANK

START_HERE = 3  # how many findings "Start here" shows


def rank_key(severity: str, margin: float | None, rule_id: str) -> tuple[Any, ...]:
    """The sort key of a finding (or anything with a severity, a margin and a rule id)."""
    return (SEVERITY_RANK.get(severity, 99), -margin if margin is not None else math.inf, rule_id)


def ranked(findings: Iterable[Finding]) -> list[Finding]:
    return sorted(findings, key=lambda f: rank_key(f.rule.severity, f.margin, f.rule.id))


def absorbers(fired: Iterable[str], rules: Mapping[str, Rule]) -> dict[str, str]:
    """Fired rule id -> the fired rule that finally shows it (itself when nothing supersedes it)."""
    fired = [r for r in fired if r in rules]
    by: dict[str, str] = {}
    for rid in fired:  # who directly supersedes each fired rule (the most severe, then the first id)
        for other in sorted(fired, key=lambda o: (SEVERITY_RANK.get(rules[o].severity, 99), o)):
            if other != rid and rid in rules[other].supersedes:
                by[rid] = other
                break
    out: dict[str, str] = {}
    for rid in fired:
        head, seen = rid, {rid}
        while head in by and by[head] not in seen:  # the loader refuses cycles; this guards anyway
            head = by[head]
            seen.add(head)
        out[rid] = head
    return out


def grouped(findings: Sequence[Finding], rules: Mapping[str, Rule]) -> list[Finding]:
    """Findings with every superseded one folded into the finding that supersedes it."""
    heads = absorbers([f.id for f in findings], rules)
    by_id = {f.id: f for f in findings}
    out: list[Finding] = []
    for f in findings:
        if heads.get(f.id, f.id) != f.id:
            continue
        covered = [by_id[c] for c in sorted(by_id) if c != f.id and heads.get(c) == f.id]
        if not covered:
            out.append(f)
            continue
        evidence: dict[tuple[Any, ...], Evidence] = {}
        for part in (f, *covered):
            for e in part.evidence:
                evidence.setdefault((e.condition, e.subject, e.op, e.threshold, e.choices), e)
        out.append(Finding(f.rule, tuple(evidence.values()), tuple(c.rule for c in covered)))
    return out


def start_here(findings: Sequence[Finding], n: int = START_HERE) -> list[Finding]:
    """The findings to start with: the first `n` in ranked order."""
    return ranked(findings)[:n]
