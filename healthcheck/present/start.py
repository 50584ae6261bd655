""""Start here": the few findings to take up first, each with one action, for the dashboard, the
report and the funder's portfolio (so all three say the same in the same words).

The order is the engine's ranking (`core.rules.rank`): most severe first, then the finding whose
most telling evidence is furthest past its line.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from healthcheck.core.frameworks import DIMENSION_BY_ID
from healthcheck.core.portfolio_rows import PortfolioRow
from healthcheck.core.questionnaire import Questionnaire
from healthcheck.core.rules.model import Evidence, Finding
from healthcheck.core.rules.rank import START_HERE, rank_key, ranked
from healthcheck.present.views import action_row, why_sentence

HEADING = "Start here"
INTRO = ("The findings to take up first: the most serious, and of those the ones furthest past "
         "their line. Each comes with one action to begin with.")


def most_telling(finding: Finding) -> Evidence | None:
    """The piece of evidence furthest past its line (the one that sets the finding's margin)."""
    telling = [e for e in finding.evidence if e.points_at_problem and e.margin is not None]
    if telling:
        return max(telling, key=lambda e: e.margin or 0.0)
    return finding.evidence[0] if finding.evidence else None


def start_here(findings: Sequence[Finding], questionnaire: Questionnaire | None = None,
               n: int = START_HERE) -> list[dict[str, Any]]:
    """The top `n` findings, each with its most telling evidence, what would clear it, and one
    action (the rule's first: rule files put the first step first)."""
    out = []
    for f in ranked(findings)[:n]:
        top = most_telling(f)
        out.append({"rule": f.id, "severity": f.rule.severity, "title": f.rule.title,
                    "why": why_sentence(top, questionnaire) if top is not None else "",
                    "to_clear": (top.to_clear(questionnaire) or "") if top is not None else "",
                    "covers": [c.title for c in f.covered],
                    "action": action_row(f.actions[0]) if f.actions else None})
    return out


def portfolio_start_here(rows: Iterable[PortfolioRow], n: int = START_HERE) -> list[dict[str, Any]]:
    """Across a funder's portfolio: the top `n` findings of all partnerships, ranked the same way
    (then by partnership name), each with the partnership and one action."""
    pairs = [(row, risk) for row in rows for risk in row.risks]
    pairs.sort(key=lambda p: (*rank_key(p[1].severity, p[1].margin, p[1].rule), p[0].partnership.lower()))
    out = []
    for row, risk in pairs[:n]:
        task, text = risk.actions[0] if risk.actions else ("", "")
        out.append({"partnership": row.partnership, "rule": risk.rule, "severity": risk.severity,
                    "title": risk.title, "covers": list(risk.covers),
                    "action": {"task": DIMENSION_BY_ID[task].label if task in DIMENSION_BY_ID else task,
                               "task_id": task, "text": text} if text else None})
    return out
