"""Deleting data for good: a round, an organisation's answers, a partnership, a funder.

Each function deletes in ONE write transaction (all or nothing) and returns how many rows it
removed from each table, children first, so nothing is left pointing at a deleted row (the
foreign keys would cascade too; deleting explicitly is what lets us count, and report, what
went). On SQLite every connection sets `secure_delete` (`store.db`), so the freed pages are
overwritten with zeros: deleted answers cannot be read back from the file.

Nothing here checks who asked or that they typed the name: that is `services.deletion`, which
also is the one place each kind of deletion happens (one function each). It words the audit log's
line (`note`), which is written here, in the same transaction as the deletion, so a deletion and
its line are kept or lost together. A partnership's deletion takes its audit log with it (the
log is part of what it holds), so it records nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import delete, select

from healthcheck.store import audit
from healthcheck.store.db import Database
from healthcheck.store.models import (
    ActionItem,
    AuditEvent,
    Funder,
    JoinFailure,
    Organisation,
    Partnership,
    PartnerTeamNote,
    Response,
    Round,
    RoundRelease,
    RoundSummary,
    Share,
    ShareCode,
    Workshop,
    WorkshopAnswer,
    WorkshopParticipant,
    WorkshopVote,
)
from healthcheck.store.throttle import funder_key

__all__ = ["Removed", "delete_funder", "delete_organisation_answers", "delete_partnership", "delete_round"]

Removed = dict[str, int]  # table name -> rows deleted (tables with none left out)
Note = Callable[[Removed], str]  # the audit log's sentence, given what went


def _delete(s: Any, removed: Removed, table: Any, *where: Any) -> None:
    n = s.execute(delete(table).where(*where)).rowcount or 0
    if n:
        name = table.__tablename__
        removed[name] = removed.get(name, 0) + int(n)


def _round_children(s: Any, removed: Removed, round_ids: Sequence[int]) -> None:
    """Everything hanging off these rounds (the rounds themselves stay)."""
    if not round_ids:
        return
    workshops = select(Workshop.id).where(Workshop.round_id.in_(round_ids)).scalar_subquery()
    _delete(s, removed, WorkshopAnswer, WorkshopAnswer.workshop_id.in_(workshops))
    _delete(s, removed, WorkshopVote, WorkshopVote.workshop_id.in_(workshops))
    _delete(s, removed, WorkshopParticipant, WorkshopParticipant.workshop_id.in_(workshops))
    _delete(s, removed, Workshop, Workshop.round_id.in_(round_ids))
    _delete(s, removed, ActionItem, ActionItem.round_id.in_(round_ids))
    _delete(s, removed, Share, Share.round_id.in_(round_ids))
    _delete(s, removed, ShareCode, ShareCode.round_id.in_(round_ids))
    _delete(s, removed, RoundRelease, RoundRelease.round_id.in_(round_ids))
    _delete(s, removed, RoundSummary, RoundSummary.round_id.in_(round_ids))
    _delete(s, removed, Response, Response.round_id.in_(round_ids))


def _note(s: Any, partnership_id: int, by: str | None, note: Note | None, removed: Removed) -> None:
    if by is not None and note is not None:
        audit.add(s, partnership_id, by, "data.deleted", note(removed))


def delete_round(store: Database, round_id: int, *, by: str | None = None,
                 note: Note | None = None) -> Removed:
    """A round with its answers, releases, kept summary, shares, share codes, workshop and its
    participants, and the actions raised from it. Empty when there was no such round. With `by`
    (a kind of link) and `note`, the partnership's audit log records it."""
    removed: Removed = {}
    with store.writing() as s:
        r = s.get(Round, round_id)
        if r is None:
            return removed
        partnership_id = r.partnership_id
        _round_children(s, removed, [round_id])
        _delete(s, removed, Round, Round.id == round_id)
        _note(s, partnership_id, by, note, removed)
    return removed


def delete_organisation_answers(store: Database, organisation_id: int,
                                round_id: int | None = None, *, by: str | None = None,
                                note: Note | None = None) -> Removed:
    """Every answer sent for an organisation (in one round when `round_id` is given, else in all
    the partnership's rounds). The organisation stays a partner; its partner team notes stay.

    The rounds touched start their figures afresh (their releases are deleted): steps counted
    the deleted answers, so the next look takes a new first step over the answers left."""
    removed: Removed = {}
    with store.writing() as s:
        org = s.get(Organisation, organisation_id)
        where = [Response.organisation_id == organisation_id]
        if round_id is not None:
            where.append(Response.round_id == round_id)
        rounds = sorted(set(s.scalars(select(Response.round_id).where(*where))))
        _delete(s, removed, RoundRelease, RoundRelease.round_id.in_(rounds))
        _delete(s, removed, Response, *where)
        # a paced workshop's answers are kept per participant until it closes: theirs go too
        joined = select(WorkshopParticipant.workshop_id, WorkshopParticipant.participant_key).where(
            WorkshopParticipant.organisation_id == organisation_id)
        if round_id is not None:
            joined = joined.join(Workshop, Workshop.id == WorkshopParticipant.workshop_id).where(
                Workshop.round_id == round_id)
        by_workshop: dict[int, list[str]] = {}
        for workshop_id, key in s.execute(joined).all():
            by_workshop.setdefault(workshop_id, []).append(key)
        for workshop_id, keys in by_workshop.items():
            for table in (WorkshopAnswer, WorkshopVote, WorkshopParticipant):
                _delete(s, removed, table, table.workshop_id == workshop_id, table.participant_key.in_(keys))
        if org is not None:
            _note(s, org.partnership_id, by, note, removed)
    return removed


def delete_partnership(store: Database, partnership_id: int) -> Removed:
    """A partnership with everything it holds: rounds and all that hangs off them (above),
    action plan, partner team notes, organisations. Empty when there was no such partnership."""
    removed: Removed = {}
    with store.writing() as s:
        if s.get(Partnership, partnership_id) is None:
            return removed
        rounds = list(s.scalars(select(Round.id).where(Round.partnership_id == partnership_id)))
        _round_children(s, removed, rounds)
        _delete(s, removed, ActionItem, ActionItem.partnership_id == partnership_id)
        _delete(s, removed, PartnerTeamNote, PartnerTeamNote.partnership_id == partnership_id)
        _delete(s, removed, AuditEvent, AuditEvent.partnership_id == partnership_id)
        _delete(s, removed, Round, Round.partnership_id == partnership_id)
        _delete(s, removed, Organisation, Organisation.partnership_id == partnership_id)
        _delete(s, removed, Partnership, Partnership.id == partnership_id)
    return removed


def delete_funder(store: Database, funder_id: int, *, by: str | None = None,
                  note: Callable[[list[str]], str] | None = None) -> Removed:
    """A funder's account: every share to it, its wrong share-code counts, and the funder (its
    invitation link goes with it). The partnerships' own data stay. With `by` and `note` (given
    the labels of the partnership's rounds that were shared), the audit log of each partnership
    that shared a round with it records it."""
    removed: Removed = {}
    with store.writing() as s:
        if s.get(Funder, funder_id) is None:
            return removed
        shared: dict[int, list[str]] = {}
        for pid, label in s.execute(select(Round.partnership_id, Round.label)
                                    .join(Share, Share.round_id == Round.id)
                                    .where(Share.funder_id == funder_id)
                                    .order_by(Round.partnership_id, Round.opened_at, Round.id)):
            shared.setdefault(pid, []).append(label)
        _delete(s, removed, Share, Share.funder_id == funder_id)
        if by is not None and note is not None:
            for pid, labels in shared.items():
                audit.add(s, pid, by, "data.deleted", note(labels))
        _delete(s, removed, JoinFailure, JoinFailure.client_key == funder_key(funder_id))
        _delete(s, removed, Funder, Funder.id == funder_id)
    return removed
