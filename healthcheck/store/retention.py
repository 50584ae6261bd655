"""Retention in the store: which rounds are past their partnership's retention period, the
summary kept of a round, and the purge itself (summary in, individual answers out, in one
transaction, with its line in the partnership's audit log). What the summary holds is decided by
`services.retention` and `core.snapshot`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, select

from healthcheck.store import audit
from healthcheck.store.db import Database, now
from healthcheck.store.models import Partnership, Response, Round, RoundSummary, Workshop, WorkshopParticipant

__all__ = ["ClosedRound", "closed_rounds", "purge_round", "round_summary", "summaries"]


@dataclass(frozen=True)
class ClosedRound:
    round_id: int
    partnership_id: int
    closed_at: datetime
    retention_months: int
    responses: int  # individual answers still stored
    participants: int  # workshop participants' random keys still stored
    summarised: bool


def closed_rounds(store: Database) -> list[ClosedRound]:
    """Every closed round, with its partnership's retention period and what it still holds."""
    answers = (select(Response.round_id, func.count().label("n")).group_by(Response.round_id).subquery())
    joined = (select(Workshop.round_id, func.count().label("n"))
              .join(WorkshopParticipant, WorkshopParticipant.workshop_id == Workshop.id)
              .group_by(Workshop.round_id).subquery())
    query = (select(Round.id, Round.partnership_id, Round.closed_at, Partnership.retention_months,
                    func.coalesce(answers.c.n, 0), func.coalesce(joined.c.n, 0), RoundSummary.round_id)
             .join(Partnership, Partnership.id == Round.partnership_id)
             .outerjoin(answers, answers.c.round_id == Round.id)
             .outerjoin(joined, joined.c.round_id == Round.id)
             .outerjoin(RoundSummary, RoundSummary.round_id == Round.id)
             .where(Round.closed_at.is_not(None))
             .order_by(Round.closed_at, Round.id))
    with store.reading() as s:
        return [ClosedRound(rid, pid, closed, months, int(n), int(joined_n), summary is not None)
                for rid, pid, closed, months, n, joined_n, summary in s.execute(query)]


def round_summary(store: Database, round_id: int) -> dict[str, Any] | None:
    """The snapshot kept of a purged round, or None (the round still has its answers)."""
    with store.reading() as s:
        return s.scalar(select(RoundSummary.snapshot).where(RoundSummary.round_id == round_id))


def summaries(store: Database, round_ids: list[int]) -> dict[int, dict[str, Any]]:
    """The snapshots of those of these rounds that were purged."""
    if not round_ids:
        return {}
    with store.reading() as s:
        return dict(s.execute(select(RoundSummary.round_id, RoundSummary.snapshot)
                              .where(RoundSummary.round_id.in_(round_ids))).all())


def purge_round(store: Database, round_id: int, snapshot: dict[str, Any], *,
                at: datetime | None = None, by: str | None = None,
                note: Callable[[dict[str, int]], str] | None = None) -> dict[str, int]:
    """Keep `snapshot` for the round (unless one is kept already) and delete its individual
    answers and workshop participants, in one transaction. Returns rows deleted per table. With
    `by` (a kind of link) and `note`, the partnership's audit log records it when anything went."""
    removed: dict[str, int] = {}
    with store.writing() as s:
        r = s.get(Round, round_id, with_for_update=True)
        if r is None:
            return removed
        if s.get(RoundSummary, round_id) is None:
            count = select(func.count()).select_from(Response).where(Response.round_id == round_id)
            kept = int(s.scalar(count) or 0)
            s.add(RoundSummary(round_id=round_id, snapshot=snapshot, purged_responses=kept,
                               purged_at=at or now()))
        workshops = select(Workshop.id).where(Workshop.round_id == round_id).scalar_subquery()
        for table, where in ((Response, Response.round_id == round_id),
                             (WorkshopParticipant, WorkshopParticipant.workshop_id.in_(workshops))):
            n = s.execute(delete(table).where(where)).rowcount or 0
            if n:
                removed[table.__tablename__] = int(n)
        if removed and by is not None and note is not None:
            audit.add(s, r.partnership_id, by, "data.purged", note(removed))
    return removed
