"""A funder's portfolio row of a purged round: rebuilt from the summary kept when its answers
were deleted (`services.retention`), exactly as it was built from the answers."""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from typing import Any

from healthcheck.core.assess import Assessment
from healthcheck.core.errors import InputError
from healthcheck.core.portfolio_rows import PortfolioRow, RiskRef
from healthcheck.core.questionnaire import Questionnaire
from healthcheck.core.responses import frame_from_records
from healthcheck.core.rules import RulePack
from healthcheck.core.scoring import ScoreTable
from healthcheck.core.snapshot import RoundSnapshot, assessment_from_snapshot

__all__ = ["kept_row", "tasks_mean"]


def tasks_mean(source: Mapping[str, Any] | list[dict[str, Any]], questionnaire: Questionnaire, threshold: int,
               name: str) -> float | None:
    """The tasks mean of a round for `change`: from its kept summary, or from its answers as
    `store_portfolio` computes it (None when an old round no longer reads)."""
    if isinstance(source, Mapping):
        row = RoundSnapshot.model_validate(dict(source)).portfolio
        return None if row is None else row.means.get("tasks")
    from healthcheck.services.portfolio import framework_means

    with contextlib.suppress(InputError):
        frame = frame_from_records(source, questionnaire, partnership=name)
        table = ScoreTable(questionnaire, frame, threshold)
        value = float(framework_means(table)["tasks"][0])
        return None if value != value else value
    return None


def kept_row(summary: Mapping[str, Any], name: str, round_: Any, key: Any, before_tasks: float | None,
             questionnaire: Questionnaire, pack: RulePack) -> tuple[PortfolioRow, Assessment]:
    """The row and the drill-down assessment of a purged round, under the portfolio's `name`."""
    snap = RoundSnapshot.model_validate(dict(summary))
    kept = snap.portfolio
    assert kept is not None
    tasks = kept.means.get("tasks")
    change = None if tasks is None or before_tasks is None else tasks - before_tasks
    risks = tuple(RiskRef(r["rule"], r["severity"], r["title"], tuple(r["tasks"]),
                          tuple((a[0], a[1]) for a in r["actions"]), r.get("margin"),
                          tuple(r.get("covers", ()))) for r in kept.risks)
    not_checked = tuple(RiskRef(r["rule"], r["severity"], r["title"], tuple(r["tasks"]),
                                tuple((a[0], a[1]) for a in r["actions"])) for r in kept.not_checked)
    row = PortfolioRow(partnership=name, respondents=kept.respondents, means=dict(kept.means), risks=risks,
                       scores=dict(kept.scores), bands=dict(kept.bands),
                       framework_bands=dict(kept.framework_bands), round=round_.label,
                       change=change, key=key, not_checked=not_checked)
    assessment = assessment_from_snapshot(snap, questionnaire, pack, name)
    assert assessment is not None
    return row, assessment
