"""What the store hands out: plain frozen dataclasses, never ORM objects tied to a session.

The `*_info` functions turn ORM rows into them; every repository uses these, so a result looks
the same whichever module read it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from healthcheck.core.vocabulary import DEFAULT_RETENTION_MONTHS
from healthcheck.store.models import (
    ActionItem,
    AuditEvent,
    Funder,
    Organisation,
    Partnership,
    Round,
    Share,
    Workshop,
)

__all__ = [
    "ActionInfo",
    "AuditEntry",
    "FunderInfo",
    "LiveStatus",
    "OrganisationInfo",
    "PartnershipInfo",
    "RoundInfo",
    "SharedRound",
    "WorkshopInfo",
    "action_info",
    "audit_entry",
    "funder_info",
    "organisation_info",
    "partnership_info",
    "round_info",
    "shared_round_info",
    "workshop_info",
]


@dataclass(frozen=True)
class PartnershipInfo:
    id: int
    name: str
    questionnaire_id: str
    threshold: int
    created_at: datetime
    retention_months: int = DEFAULT_RETENTION_MONTHS
    privacy_contact: str | None = None  # who respondents contact about their data
    privacy_notice: str | None = None  # the partnership's own notice (None: the default wording)


@dataclass(frozen=True)
class OrganisationInfo:
    id: int
    partnership_id: int
    name: str
    kind: str


@dataclass(frozen=True)
class RoundInfo:
    id: int
    partnership_id: int
    label: str
    questionnaire_id: str
    questionnaire_version: str
    kind: str
    opened_at: datetime
    closed_at: datetime | None
    small_groups: str = "pool"  # core.anonymity.SMALL_GROUPS

    @property
    def is_open(self) -> bool:
        return self.closed_at is None


@dataclass(frozen=True)
class ActionInfo:
    id: int
    partnership_id: int
    round_id: int
    rule_id: str | None
    task: str | None
    text: str
    owner: str
    due_date: date | None
    status: str
    created_at: datetime
    updated_at: datetime
    votes: int | None = None  # the votes a workshop room gave it, if it came from one


@dataclass(frozen=True)
class FunderInfo:
    id: int
    name: str
    created_at: datetime


@dataclass(frozen=True)
class SharedRound:
    partnership: PartnershipInfo
    round: RoundInfo
    include_comments: bool
    shared_at: datetime


@dataclass(frozen=True)
class WorkshopInfo:
    id: int
    round_id: int
    partnership_id: int
    partnership_name: str
    threshold: int
    title: str
    join_code: str
    questionnaire_id: str
    dimensions: tuple[str, ...] | None
    revealed: bool
    created_at: datetime
    closed_at: datetime | None
    paced: bool = False  # the facilitator sets the pace (one question at a time)
    position: int = 0  # paced: the index of the current question among the asked ones
    closed_items: tuple[str, ...] = ()  # paced: the questions closed so far (their spread shown)
    version: int = 0  # grows on every change of the above or of `revealed`

    @property
    def is_open(self) -> bool:
        return self.closed_at is None


@dataclass(frozen=True)
class AuditEntry:
    """One line of the audit log: when, which kind of link (`AUDIT_ACTORS`), what, in words."""

    id: int
    partnership_id: int
    at: datetime
    actor: str
    action: str
    description: str


@dataclass(frozen=True)
class LiveStatus:
    """What the console shows while the workshop runs. `by_organisation` holds exact counts:
    show them through `count_text` (below the threshold: "fewer than N")."""

    participants: int
    submissions: int
    by_organisation: dict[str, int]
    revealed: bool
    is_open: bool


# --------------------------------------------------------------------------------------------
# From ORM rows


def partnership_info(p: Partnership) -> PartnershipInfo:
    return PartnershipInfo(p.id, p.name, p.questionnaire_id, p.threshold, p.created_at,
                           retention_months=p.retention_months or DEFAULT_RETENTION_MONTHS,
                           privacy_contact=p.privacy_contact, privacy_notice=p.privacy_notice)


def audit_entry(e: AuditEvent) -> AuditEntry:
    return AuditEntry(e.id, e.partnership_id, e.at, e.actor, e.action, e.description)


def organisation_info(o: Organisation) -> OrganisationInfo:
    return OrganisationInfo(o.id, o.partnership_id, o.name, o.kind)


def round_info(r: Round) -> RoundInfo:
    return RoundInfo(
        r.id, r.partnership_id, r.label, r.questionnaire_id, r.questionnaire_version, r.kind,
        r.opened_at, r.closed_at, r.small_groups or "hide",
    )


def action_info(a: ActionItem) -> ActionInfo:
    return ActionInfo(
        a.id, a.partnership_id, a.round_id, a.rule_id, a.task, a.text, a.owner, a.due_date,
        a.status, a.created_at, a.updated_at, a.votes,
    )


def funder_info(f: Funder) -> FunderInfo:
    return FunderInfo(f.id, f.name, f.created_at)


def shared_round_info(share: Share, r: Round, p: Partnership) -> SharedRound:
    return SharedRound(partnership_info(p), round_info(r), bool(share.include_comments), share.created_at)


def workshop_info(w: Workshop, r: Round, p: Partnership) -> WorkshopInfo:
    closed = w.closed_at or r.closed_at  # a round closed from the Rounds page closes the workshop
    return WorkshopInfo(
        id=w.id, round_id=w.round_id, partnership_id=p.id, partnership_name=p.name, threshold=p.threshold,
        title=w.title, join_code=w.join_code, questionnaire_id=w.questionnaire_id,
        dimensions=tuple(w.dimensions) if w.dimensions else None, revealed=bool(w.revealed),
        created_at=w.created_at, closed_at=closed, paced=bool(w.paced), position=int(w.position or 0),
        closed_items=tuple(w.closed_items or ()), version=int(w.version or 0),
    )
