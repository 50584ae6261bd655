"""The audit log: what admin, funder and facilitator links (and the command line) did that
changed or shared a partnership's data, with when and which kind of link.

An event names the kind of link (`healthcheck.core.vocabulary.AUDIT_ACTORS`), never the link's
token or hash, and never a respondent. The store's own operations record their events with `add`
inside the same transaction as the change, so a change and its line in the log are kept or lost
together; so do deletions (`store.deletion`, worded by `services.deletion`) and retention purges
(`store.retention`). Anything else that hands out data (a download) calls `record`, which writes
one event in a transaction of its own. The partnership admin reads the
log (`events`); it is part of "everything we hold" (`healthcheck.store.holdings`) and is deleted
with the partnership.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from healthcheck.core.text import without_bidi
from healthcheck.core.vocabulary import AUDIT_ACTORS
from healthcheck.store.db import Database, now
from healthcheck.store.models import MAX_AUDIT_TEXT, AuditEvent
from healthcheck.store.records import AuditEntry, audit_entry

__all__ = ["ACTIONS", "AuditEntry", "add", "events", "record"]

# What happened, by the short code stored with each event (ids stay stable; labels may change).
ACTIONS: dict[str, str] = {
    "partnership.created": "Partnership set up",
    "settings.changed": "Settings changed",
    "admin_link.replaced": "Admin link replaced",
    "organisation.added": "Organisation added",
    "round.opened": "Round opened",
    "round.closed": "Round closed",
    "respondent_link.replaced": "Respondent link replaced",
    "share_code.made": "Share code made",
    "share.made": "Round shared",
    "share.revoked": "Sharing stopped",
    "invitation.accepted": "Funder's invitation accepted",
    "workshop.created": "Workshop created",
    "workshop.revealed": "Workshop results revealed",
    "workshop.hidden": "Workshop results hidden again",
    "workshop.closed": "Workshop closed",
    "facilitator_link.replaced": "Facilitator link replaced",
    "action.added": "Action added",
    "action.changed": "Action changed",
    "team_note.changed": "Partner team notes changed",
    "export.taken": "Download taken",
    "data.deleted": "Data deleted",
    "data.purged": "Answers past their retention deleted",
}


def _event(partnership_id: int, by: str, action: str, description: str) -> AuditEvent:
    if by not in AUDIT_ACTORS:
        raise ValueError(f"unknown kind of link for the audit log: {by!r}")
    if action not in ACTIONS:
        raise ValueError(f"unknown audit action: {action!r}")
    text = " ".join(without_bidi(str(description)).split())
    if len(text) > MAX_AUDIT_TEXT:
        text = text[:MAX_AUDIT_TEXT - 1] + "…"
    return AuditEvent(partnership_id=partnership_id, at=now(), actor=by, action=action,
                      description=text or ACTIONS[action])


def add(session: Session, partnership_id: int, by: str, action: str, description: str) -> None:
    """Record an event inside the caller's transaction (kept only if the change is)."""
    session.add(_event(partnership_id, by, action, description))


def record(store: Database, partnership_id: int, by: str, action: str, description: str) -> None:
    """Record an event in a transaction of its own: for what changes or hands out data outside the
    store's operations (downloads, deletions, purges). `by` is a key of `AUDIT_ACTORS`, `action`
    a key of `ACTIONS`; `description` is a short plain sentence: never put a token in it."""
    with store.writing() as s:
        s.add(_event(partnership_id, by, action, description))


def events(store: Database, partnership_id: int, limit: int | None = None) -> list[AuditEntry]:
    """The partnership's audit log, newest first."""
    with store.reading() as s:
        q = (select(AuditEvent).where(AuditEvent.partnership_id == partnership_id)
             .order_by(AuditEvent.at.desc(), AuditEvent.id.desc()))
        if limit is not None:
            q = q.limit(limit)
        return [audit_entry(e) for e in s.scalars(q)]
