"""Which rules can run on a questionnaire: the one place that decides it.

A rule reads scores of areas, items and answers to choice questions. A short questionnaire (the
pulse) measures every area but asks only some items and facts, so some rules can never fire on
its answers, however the partnership is doing. `validate` lists them per questionnaire, and a
pulse round's dashboard, report and portfolio row say which checks need the full health check.

A condition on a value the questionnaire never gives is false (as for a value nobody answered):
an `all` group needs every part to be possible, an `any` group one part, and a `none` group can
always hold.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from healthcheck.core.questionnaire import Questionnaire
from healthcheck.core.rules.model import DIMENSION_KINDS, Condition, Group, Leaf, Rule, RulePack

__all__ = ["Unreachable", "full_check_note", "missing_for", "runnable", "unreachable"]


@dataclass(frozen=True)
class Unreachable:
    """A rule that cannot fire on a questionnaire, and the questions it would need."""

    rule: Rule
    needs: tuple[str, ...]  # item ids (or area ids) the questionnaire does not ask

    def describe(self, questionnaire_id: str) -> str:
        return (f"{self.rule.id} cannot fire on {questionnaire_id}: it needs "
                f"{', '.join(self.needs)}, which {questionnaire_id} does not ask")


def _has(leaf: Leaf, q: Questionnaire) -> bool:
    if leaf.kind in DIMENSION_KINDS:
        return leaf.subject in q.dimensions
    if leaf.kind in ("item", "answer"):
        item = q.item_by_id.get(leaf.subject)
        return item is not None and item.type == ("likert" if leaf.kind == "item" else "choice")
    return True  # respondents


def missing_for(cond: Condition, q: Questionnaire) -> tuple[str, ...]:
    """What the questionnaire would need to ask for this condition to be able to hold; empty when
    it already can."""
    if isinstance(cond, Leaf):
        return () if _has(cond, q) else (cond.subject,)
    return _group_missing(cond, q)


def _group_missing(group: Group, q: Questionnaire) -> tuple[str, ...]:
    if group.mode == "none":
        return ()
    parts = [missing_for(part, q) for part in group.parts]
    if group.mode == "any" and any(not p for p in parts):
        return ()
    out: list[str] = []
    for p in parts:
        out.extend(s for s in p if s not in out)
    return tuple(out)


def unreachable(pack: RulePack, q: Questionnaire) -> list[Unreachable]:
    """The rules of the pack that cannot fire on answers to this questionnaire, in pack order."""
    out = []
    for rule in pack.rules:
        needs = missing_for(rule.when, q)
        if needs:
            out.append(Unreachable(rule, needs))
    return out


def runnable(pack: RulePack, q: Questionnaire) -> list[Rule]:
    """The rules that can fire on this questionnaire."""
    blocked = {u.rule.id for u in unreachable(pack, q)}
    return [r for r in pack.rules if r.id not in blocked]


def full_check_note(rules: Sequence[Rule], questionnaire_title: str) -> str | None:
    """What a round on a short questionnaire cannot check, in the words the dashboard, the report
    and the portfolio use (None when every rule could run)."""
    if not rules:
        return None
    titles = "; ".join(r.title for r in rules)
    some = "1 check" if len(rules) == 1 else f"{len(rules)} checks"
    return (f"This round used the {questionnaire_title}, which does not ask what {some} need, so "
            f"they could not be run: {titles}. The full health check covers them.")
