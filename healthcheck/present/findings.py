"""Findings as people read them: why each fired, in words, and its actions, ranked."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from healthcheck.core.anonymity import shown_score, shown_share
from healthcheck.core.frameworks import DIMENSION_BY_ID
from healthcheck.core.questionnaire import Questionnaire
from healthcheck.core.rules.engine import Evidence, Finding
from healthcheck.core.rules.model import Action


def score_text(v: float) -> str:
    """A score for prose: whole numbers (scores are shown to the point, not the decimal)."""
    return f"{shown_score(v)}"


def percent_text(v: float) -> str:
    return f"{(shown_share(v) or 0.0) * 100:.0f}%"


def plural(n: int, one: str, many: str | None = None) -> str:
    return f"{n} {one if n == 1 else (many or one + 's')}"


# "not below 60" (evidence from a `none` group) reads as "at or above 60".
NEGATED_OP = {"below": "at_least", "at_least": "below", "above": "at_most", "at_most": "above"}
_OP_WORDS = {"below": "below", "at_least": "at or above", "above": "above", "at_most": "at or below"}


def _op_words(op: str) -> str:
    if op.startswith("not "):
        op = NEGATED_OP[op.removeprefix("not ")]
    return _OP_WORDS.get(op, op.replace("_", " "))


def _dim_label(subject: str) -> str:
    d = DIMENSION_BY_ID.get(subject)
    return d.label if d else subject


def _item_name(subject: str, questionnaire: Questionnaire | None) -> str:
    if questionnaire is not None and subject in questionnaire.item_by_id:
        return f"'{questionnaire.item_by_id[subject].text}'"
    return subject


def _choice_names(subject: str, choices: Iterable[str], questionnaire: Questionnaire | None) -> str:
    labels = {}
    if questionnaire is not None and subject in questionnaire.item_by_id:
        labels = {c.id: c.label for c in questionnaire.item_by_id[subject].choices}
    return " or ".join(f"'{labels.get(c, c)}'" for c in choices)


def why_sentence(e: Evidence, questionnaire: Questionnaire | None = None) -> str:
    """One plain sentence for one piece of evidence ("Taking stock scores 38, below the threshold
    of 60"). Shares are percentages; a missing value reads "no answers"."""
    op = _op_words(e.op)
    subject = _dim_label(e.subject)
    if e.condition == "answer":
        item = _item_name(e.subject, questionnaire)
        choices = _choice_names(e.subject, e.choices, questionnaire)
        if e.value is None:
            return f"No answers to {item} (the rule looks for {choices} {op} {percent_text(e.threshold)})"
        return f"{percent_text(e.value)} answered {choices} to {item}, {op} {percent_text(e.threshold)}"
    if e.condition == "unknown":
        if e.value is None:
            return f"{subject}: no answers"
        return (f"{percent_text(e.value)} of answers on {subject} were 'don't know', "
                f"{op} {percent_text(e.threshold)}")
    if e.condition == "respondents":
        if e.value is None:
            return "Number of respondents: no answers"
        return f"{plural(int(e.value), 'person', 'people')} answered, {op} {e.threshold:g}"
    if e.value is None:
        what = {"item": f"Item {_item_name(e.subject, questionnaire)}"}.get(e.condition, subject)
        return f"{what}: no answers"
    value, limit = score_text(e.value), f"{e.threshold:g}"
    if e.condition == "score":
        return f"{subject} scores {value}, {op} the threshold of {limit}"
    if e.condition == "item":
        return f"Item {_item_name(e.subject, questionnaire)} scores {value}, {op} {limit}"
    if e.condition == "spread":
        return f"Answers on {subject} spread by {value} points (disagreement), {op} {limit}"
    if e.condition == "gap":
        return f"Groups differ by up to {value} points on {subject}, {op} {limit}"
    if e.condition == "lowest_group":
        return f"The lowest-scoring group on {subject} scores {value}, {op} {limit}"
    return e.describe()


def _tightest(evidence: Iterable[Evidence]) -> list[tuple[Evidence, Evidence]]:
    """One piece of evidence per (condition, subject, choices, op): (tightest, loosest) threshold.

    A rule may test one score twice ("below 50" in one branch, "below 65" in another); both held.
    "Below 50" says everything "below 65" does, so it explains why; but clearing it means reaching
    65, so the loosest says what would clear it.
    """
    best: dict[tuple[Any, ...], list[Evidence]] = {}
    for e in evidence:
        best.setdefault((e.condition, e.subject, e.choices, e.op), []).append(e)
    out = []
    for same in best.values():
        op = NEGATED_OP[same[0].op.removeprefix("not ")] if same[0].op.startswith("not ") else same[0].op
        lower_is_tighter = op in ("below", "at_most")
        ordered = sorted(same, key=lambda e: e.threshold if lower_is_tighter else -e.threshold)
        out.append((ordered[0], ordered[-1]))
    return out


def action_row(a: Action) -> dict[str, str]:
    return {"task": _dim_label(a.task), "task_id": a.task, "text": a.text}


def finding_rows(findings: Iterable[Finding],
                 questionnaire: Questionnaire | None = None) -> list[dict[str, Any]]:
    """Findings as plain rows, in the order given (the engine's ranking): rule, severity, title,
    explanation, tasks, why (sentences), to_clear (per why, what would clear it: "It needs 60 to
    clear this (18 points to go).", "" when there is nothing to reach), covers (titles of the
    rules it groups), margin, actions.

    Pass the questionnaire to name items and choices by their text rather than their ids.
    """
    rows = []
    for f in findings:
        r = f.rule
        why: list[str] = []
        clear: list[str] = []
        for tight, loose in _tightest(f.evidence):
            sentence = why_sentence(tight, questionnaire)
            if sentence not in why:
                why.append(sentence)
                clear.append(loose.to_clear(questionnaire, clause=True) or "")
        rows.append({"rule": r.id, "severity": r.severity, "title": r.title, "explanation": r.explanation,
                     "tasks": [_dim_label(t) for t in f.tasks], "why": why, "to_clear": clear,
                     "covers": [c.title for c in f.covered], "margin": f.margin,
                     "actions": [action_row(a) for a in f.actions]})
    return rows
