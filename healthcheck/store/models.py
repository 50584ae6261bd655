"""Every table of the store, as SQLAlchemy 2 models on one `Base`.

The Alembic environment imports only this module, so `Base.metadata` always holds the whole
migrated schema (tests/store/test_store.py checks that the migrations build exactly these tables).

Privacy: no table holds a respondent's name or e-mail address. Capability tokens (admin,
respondent, funder, invitation, facilitator) are stored only as SHA-256 hashes.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from healthcheck.core.vocabulary import DEFAULT_RETENTION_MONTHS, MIN_THRESHOLD
from healthcheck.core.workshop import CODE_LENGTH
from healthcheck.store.db import JSONType, UTCDateTime, now

__all__ = [
    "MAX_CLIENT_KEY",
    "MAX_NAME",
    "MAX_NOTICE",
    "MAX_PARTICIPANT_KEY",
    "MAX_SUBMISSION_KEY",
    "MAX_AUDIT_TEXT",
    "MAX_CONTACT",
    "ActionItem",
    "AuditEvent",
    "Base",
    "Funder",
    "JoinFailure",
    "Organisation",
    "PartnerTeamNote",
    "Partnership",
    "Response",
    "Round",
    "RoundRelease",
    "RoundSummary",
    "Share",
    "ShareCode",
    "Workshop",
    "WorkshopAnswer",
    "WorkshopParticipant",
    "WorkshopVote",
]

# Column widths, which the repositories' checks repeat in words.
MAX_NAME = 200  # names, labels, titles, action owners
MAX_SUBMISSION_KEY = 200
MAX_PARTICIPANT_KEY = 64
MAX_CLIENT_KEY = 64
MAX_CONTACT = 300  # the privacy contact: a name, a role, an e-mail address or a phone number
MAX_NOTICE = 5000  # a partnership's own privacy notice
MAX_AUDIT_TEXT = 500  # an audit event's description
_HASH = 64  # a SHA-256 hex digest


class Base(DeclarativeBase):
    metadata = MetaData(
        naming_convention={
            "ix": "ix_%(column_0_label)s",
            "uq": "uq_%(table_name)s_%(column_0_name)s",
            "ck": "ck_%(table_name)s_%(constraint_name)s",
            "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
            "pk": "pk_%(table_name)s",
        }
    )


# --------------------------------------------------------------------------------------------
# Partnerships, rounds, responses, actions, notes (revision 0001)


class Partnership(Base):
    __tablename__ = "partnerships"
    __table_args__ = (CheckConstraint(f"threshold >= {MIN_THRESHOLD}", name="threshold_min"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(MAX_NAME))
    questionnaire_id: Mapped[str] = mapped_column(String(100))
    threshold: Mapped[int] = mapped_column(Integer, default=MIN_THRESHOLD)
    admin_token_hash: Mapped[str] = mapped_column(String(_HASH), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    # Months individual answers are kept after a round closes (revision 0008; services.retention).
    retention_months: Mapped[int] = mapped_column(Integer, default=DEFAULT_RETENTION_MONTHS,
                                                  server_default=str(DEFAULT_RETENTION_MONTHS))
    # Who respondents contact about their data (set at Start; revision 0009). None: not given.
    privacy_contact: Mapped[str | None] = mapped_column(String(MAX_CONTACT), nullable=True)
    # The partnership's own privacy notice; None: the default wording (core.pagetext).
    privacy_notice: Mapped[str | None] = mapped_column(Text, nullable=True)


class Organisation(Base):
    __tablename__ = "organisations"
    __table_args__ = (UniqueConstraint("partnership_id", "name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    partnership_id: Mapped[int] = mapped_column(ForeignKey("partnerships.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(MAX_NAME))
    kind: Mapped[str] = mapped_column(String(40))


class Round(Base):
    __tablename__ = "rounds"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    partnership_id: Mapped[int] = mapped_column(
        ForeignKey("partnerships.id", ondelete="CASCADE"), index=True
    )
    label: Mapped[str] = mapped_column(String(MAX_NAME))
    questionnaire_id: Mapped[str] = mapped_column(String(100))
    questionnaire_version: Mapped[str] = mapped_column(String(50))
    kind: Mapped[str] = mapped_column(String(20), default="survey")
    respondent_token_hash: Mapped[str] = mapped_column(String(_HASH), unique=True)
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # "pool" or "hide" (core.anonymity.SMALL_GROUPS): fixed once the round's figures first show
    small_groups: Mapped[str] = mapped_column(String(10), default="pool")


class Response(Base):
    """One respondent's answers. Deliberately holds no name, e-mail or other identity."""

    __tablename__ = "responses"
    __table_args__ = (UniqueConstraint("round_id", "submission_key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("rounds.id", ondelete="CASCADE"))
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), index=True
    )
    level: Mapped[str] = mapped_column(String(20))
    role: Mapped[str | None] = mapped_column(Text, nullable=True)
    answers: Mapped[dict[str, Any]] = mapped_column(JSONType)
    comments: Mapped[dict[str, str]] = mapped_column(JSONType)
    submission_key: Mapped[str] = mapped_column(String(MAX_SUBMISSION_KEY))
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)


Index("ix_responses_round_id_id", Response.round_id, Response.id)


class ActionItem(Base):
    __tablename__ = "action_items"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    partnership_id: Mapped[int] = mapped_column(
        ForeignKey("partnerships.id", ondelete="CASCADE"), index=True
    )
    round_id: Mapped[int] = mapped_column(ForeignKey("rounds.id", ondelete="CASCADE"), index=True)
    rule_id: Mapped[str | None] = mapped_column(String(100), nullable=True)
    task: Mapped[str | None] = mapped_column(String(100), nullable=True)
    text: Mapped[str] = mapped_column(Text)
    owner: Mapped[str] = mapped_column(String(MAX_NAME), default="")
    due_date: Mapped[date | None] = mapped_column(Date, nullable=True)
    status: Mapped[str] = mapped_column(String(20), default="open")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    # How many votes a workshop room gave it, when it came from a workshop's vote (revision 0010).
    votes: Mapped[int | None] = mapped_column(Integer, nullable=True)


class PartnerTeamNote(Base):
    __tablename__ = "partner_team_notes"
    __table_args__ = (UniqueConstraint("organisation_id", "question"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    partnership_id: Mapped[int] = mapped_column(
        ForeignKey("partnerships.id", ondelete="CASCADE"), index=True
    )
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"))
    question: Mapped[str] = mapped_column(String(50))
    text: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)


# --------------------------------------------------------------------------------------------
# Funders and sharing (revisions 0002 and 0005)


class Funder(Base):
    __tablename__ = "funders"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(MAX_NAME))
    token_hash: Mapped[str] = mapped_column(String(_HASH), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    # The funder's current invitation link for partnerships (hashed); None until it makes one.
    invite_hash: Mapped[str | None] = mapped_column(String(_HASH), unique=True, index=True, nullable=True)


class Share(Base):
    __tablename__ = "shares"
    __table_args__ = (UniqueConstraint("round_id", "funder_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("rounds.id", ondelete="CASCADE"))
    funder_id: Mapped[int] = mapped_column(ForeignKey("funders.id", ondelete="CASCADE"), index=True)
    include_comments: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)


class ShareCode(Base):
    __tablename__ = "share_codes"

    code_hash: Mapped[str] = mapped_column(String(_HASH), primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("rounds.id", ondelete="CASCADE"), index=True)
    include_comments: Mapped[bool] = mapped_column(Boolean, default=False)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)


# --------------------------------------------------------------------------------------------
# Live workshops (revision 0003)


class Workshop(Base):
    __tablename__ = "workshops"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("rounds.id", ondelete="CASCADE"), unique=True)
    title: Mapped[str] = mapped_column(String(MAX_NAME))
    join_code: Mapped[str] = mapped_column(String(CODE_LENGTH), unique=True)
    facilitator_token_hash: Mapped[str] = mapped_column(String(_HASH), unique=True)
    questionnaire_id: Mapped[str] = mapped_column(String(100))
    dimensions: Mapped[list[str] | None] = mapped_column(JSONType, nullable=True)
    revealed: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # Facilitator-paced mode (revision 0010): the facilitator's place in the questions, the
    # questions closed so far (their spread shown), and a number that grows on every change, so
    # phones in any app process poll one small value to follow the facilitator.
    paced: Mapped[bool] = mapped_column(Boolean, default=False)
    position: Mapped[int] = mapped_column(Integer, default=0)
    closed_items: Mapped[list[str]] = mapped_column(JSONType, default=list)
    version: Mapped[int] = mapped_column(Integer, default=0)


class WorkshopParticipant(Base):
    """Someone who opened the workshop's form (by its random key; no identity at all)."""

    __tablename__ = "workshop_participants"

    workshop_id: Mapped[int] = mapped_column(ForeignKey("workshops.id", ondelete="CASCADE"),
                                             primary_key=True)
    participant_key: Mapped[str] = mapped_column(String(MAX_PARTICIPANT_KEY), primary_key=True)
    joined_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    # Paced mode asks these once, when joining (revision 0010).
    organisation_id: Mapped[int | None] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), nullable=True)
    level: Mapped[str | None] = mapped_column(String(20), nullable=True)


class WorkshopAnswer(Base):
    """One participant's answer to one question of a paced workshop, saved as it is given.

    It can change while the question is open; once the facilitator closes the question it is
    final. `released_step` is the step at which it joined the figures (None: not yet); steps
    take in at least the anonymity threshold of answers to a question at a time."""

    __tablename__ = "workshop_answers"
    __table_args__ = (UniqueConstraint("workshop_id", "participant_key", "item_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    workshop_id: Mapped[int] = mapped_column(ForeignKey("workshops.id", ondelete="CASCADE"), index=True)
    participant_key: Mapped[str] = mapped_column(String(MAX_PARTICIPANT_KEY))
    item_id: Mapped[str] = mapped_column(String(100))
    value: Mapped[Any] = mapped_column(JSONType)
    released_step: Mapped[int | None] = mapped_column(Integer, nullable=True)
    answered_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)


class WorkshopVote(Base):
    """One participant's vote for one recommended action (at most three each)."""

    __tablename__ = "workshop_votes"

    workshop_id: Mapped[int] = mapped_column(ForeignKey("workshops.id", ondelete="CASCADE"),
                                             primary_key=True)
    participant_key: Mapped[str] = mapped_column(String(MAX_PARTICIPANT_KEY), primary_key=True)
    action_key: Mapped[str] = mapped_column(String(64), primary_key=True)
    voted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)


# --------------------------------------------------------------------------------------------
# Wrong codes, for the throttle (revision 0004)


class JoinFailure(Base):
    """One wrong (or still being checked) join or share code, for the throttle shared by every
    session and process (`healthcheck.store.throttle`). Holds no code and no address:
    `client_key` is the scope ("join:", "share:") and a hash of a browser session's random id, or
    a funder's id. (The table kept its first name, from when it held join codes only.)"""

    __tablename__ = "join_failures"
    __table_args__ = (Index("ix_join_failures_client_key_failed_at", "client_key", "failed_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    client_key: Mapped[str] = mapped_column(String(MAX_CLIENT_KEY))
    failed_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)


class RoundRelease(Base):
    """One step at which a round's figures moved: from then on they are the figures of the first
    `responses` answers (in the order sent). Steps are at least the anonymity threshold apart, so
    two looks at a round can never be subtracted to find one person (`services.results`)."""

    __tablename__ = "round_releases"
    __table_args__ = (UniqueConstraint("round_id", "seq"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("rounds.id", ondelete="CASCADE"), index=True)
    seq: Mapped[int] = mapped_column(Integer)
    responses: Mapped[int] = mapped_column(Integer)
    released_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)


# --------------------------------------------------------------------------------------------
# Retention (revision 0008)


class RoundSummary(Base):
    """What is kept of a round once its individual answers are deleted (`services.retention`):
    the results it showed, as aggregates only (scores, findings, counts at or above the
    threshold), so the dashboard, trend, report and a funder's portfolio still show it."""

    __tablename__ = "round_summaries"

    round_id: Mapped[int] = mapped_column(ForeignKey("rounds.id", ondelete="CASCADE"), primary_key=True)
    snapshot: Mapped[dict[str, Any]] = mapped_column(JSONType)
    purged_responses: Mapped[int] = mapped_column(Integer)
    purged_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)


# --------------------------------------------------------------------------------------------
# The audit log (revision 0009)


class AuditEvent(Base):
    """One thing an admin, funder or facilitator link (or the command line) did that changed or
    shared a partnership's data: a round opened, a share made, an export taken. It says which
    kind of link, never the link's token or hash, and names no respondent."""

    __tablename__ = "audit_events"
    __table_args__ = (Index("ix_audit_events_partnership_id_at", "partnership_id", "at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    partnership_id: Mapped[int] = mapped_column(ForeignKey("partnerships.id", ondelete="CASCADE"))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    actor: Mapped[str] = mapped_column(String(20))
    action: Mapped[str] = mapped_column(String(40))
    description: Mapped[str] = mapped_column(String(MAX_AUDIT_TEXT))
