"""The persistent store: partnerships, rounds, responses, action plans and partner team notes.

SQLAlchemy 2 models plus a small repository (`Store`). A SQLite file is the default; a
PostgreSQL URL (``postgresql://...``) works the same. The schema is created and upgraded by
Alembic migrations (``healthcheck/migrations``) every time a `Store` starts; that is a no-op when
the schema is current and is safe when several processes start at once.

Privacy: nothing here holds a respondent's name or e-mail address. Access works by capability
links: the partnership lead gets an admin token, each round a respondent token. Only the SHA-256
hashes of the tokens are stored, so a copy of the database does not give access.

Every repository method runs in its own transaction and returns plain frozen dataclasses (or
plain dicts), never ORM objects tied to a session.
"""

from __future__ import annotations

import functools
import hashlib
import os
import secrets
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import (
    JSON,
    CheckConstraint,
    Date,
    DateTime,
    Dialect,
    Engine,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    create_engine,
    delete,
    event,
    func,
    insert,
    select,
    text,
    update,
)
from sqlalchemy.dialects import postgresql as pg_dialect
from sqlalchemy.dialects import sqlite as sqlite_dialect
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column
from sqlalchemy.pool import StaticPool

from healthcheck.core.errors import InputError, Problem
from healthcheck.core.frameworks import DIMENSION_BY_ID, LEVELS
from healthcheck.core.questionnaire import Questionnaire, find_questionnaire, load_questionnaire
from healthcheck.core.responses import record_problems

__all__ = [
    "ACTION_STATUSES",
    "ORGANISATION_KINDS",
    "ROUND_KINDS",
    "TEAM_QUESTIONS",
    "ActionInfo",
    "Base",
    "OrganisationInfo",
    "PartnershipInfo",
    "RoundInfo",
    "Store",
    "default_url",
    "describe_location",
    "hash_token",
    "new_token",
]

# --------------------------------------------------------------------------------------------
# Vocabularies. Validated in Python (not by database CHECKs) so adding a value needs no migration.

ORGANISATION_KINDS: dict[str, str] = {
    "music": "Music organisation",
    "childrens_services": "Children's services (local authority)",
    "fostering": "Fostering service",
    "virtual_school": "Virtual School",
    "residential_care": "Residential care",
    "funder": "Funder",
    "other": "Other",
}

ROUND_KINDS: dict[str, str] = {"survey": "Survey", "workshop": "Live workshop"}

ACTION_STATUSES: dict[str, str] = {
    "open": "Open",
    "in_progress": "In progress",
    "done": "Done",
    "dropped": "Dropped",
}
OPEN_ACTION_STATUSES: tuple[str, ...] = ("open", "in_progress")

# The five questions to ask a new partner team (DOMAIN.md, "Understanding a partner team").
TEAM_QUESTIONS: dict[str, str] = {
    "team.challenges": "What challenges is your team facing at the moment?",
    "team.barriers": "What challenges and barriers do the children and young people you work with face?",
    "team.past_projects": "Which music or arts projects have you run before? What worked, and what would "
    "you change?",
    "team.outcomes": "Which outcomes matter to you, and how do you have to show them?",
    "team.engagement": "When and where do you meet children, young people and their families?",
}

MIN_THRESHOLD = 3
_MAX_NAME = 200
_MAX_KEY = 200
_MAX_TOKEN = 512
_IMPORT_CHUNK = 1000
_MAX_PROBLEMS = 100
# pg_advisory_xact_lock key that serialises schema upgrades across processes ("hcmigr" in ASCII).
_MIGRATION_LOCK_KEY = 0x68636D696772
# pg_advisory_xact_lock(class, round id) that makes imports into one round take turns ("hcip").
_IMPORT_LOCK_CLASS = 0x68636970
MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


# --------------------------------------------------------------------------------------------
# Capability tokens


def new_token() -> str:
    """A fresh capability token: 24 random bytes (192 bits), URL-safe text."""
    return secrets.token_urlsafe(24)


def hash_token(token: str) -> str:
    """SHA-256 hex digest of a token; the only form in which tokens are stored."""
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def _lookup_hash(token: object) -> str | None:
    """The hash to look up for a token from the outside world, or None for obvious garbage."""
    if not isinstance(token, str):
        return None
    token = token.strip()
    if not token or len(token) > _MAX_TOKEN:
        return None
    try:
        return hash_token(token)
    except Exception:  # noqa: BLE001 - any odd input simply matches nothing
        return None


# --------------------------------------------------------------------------------------------
# Where the database lives


def _data_dir() -> Path:
    return Path(os.environ.get("HEALTHCHECK_DATA_DIR") or "data")


def default_url() -> str:
    """`HEALTHCHECK_DATABASE_URL`, else a SQLite file in `HEALTHCHECK_DATA_DIR` (default ./data)."""
    env = os.environ.get("HEALTHCHECK_DATABASE_URL", "").strip()
    if env:
        return env
    path = (_data_dir() / "healthcheck.db").resolve()
    return f"sqlite:///{path.as_posix()}"


def normalise_url(url: str) -> URL:
    """Parse a database URL; plain ``postgresql://`` (or ``postgres://``) means psycopg 3."""
    parsed = make_url(url.strip())
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed


def describe_location(url: str | None = None) -> str:
    """Where the data is kept, in words (passwords hidden)."""
    parsed = normalise_url(url if url is not None else default_url())
    if parsed.get_backend_name() == "sqlite":
        if not parsed.database or parsed.database == ":memory:":
            return "a temporary SQLite database in memory (lost when the program stops)"
        return f"the SQLite file {Path(parsed.database).resolve()}"
    if parsed.get_backend_name() == "postgresql":
        host = parsed.host or "localhost"
        port = f":{parsed.port}" if parsed.port else ""
        user = f" as user {parsed.username}" if parsed.username else ""
        return f"the PostgreSQL database '{parsed.database}' on {host}{port}{user}"
    return f"the database at {parsed.render_as_string(hide_password=True)}"


# --------------------------------------------------------------------------------------------
# Models


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC timestamp on every backend (SQLite stores naive UTC text)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        value = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
        if dialect.name == "sqlite":
            return value.replace(tzinfo=None)
        return value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


JSONType = JSON().with_variant(pg_dialect.JSONB(), "postgresql")


def _now() -> datetime:
    return datetime.now(UTC)


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


class Partnership(Base):
    __tablename__ = "partnerships"
    __table_args__ = (CheckConstraint(f"threshold >= {MIN_THRESHOLD}", name="threshold_min"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(_MAX_NAME))
    questionnaire_id: Mapped[str] = mapped_column(String(100))
    threshold: Mapped[int] = mapped_column(Integer, default=MIN_THRESHOLD)
    admin_token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=_now)


class Organisation(Base):
    __tablename__ = "organisations"
    __table_args__ = (UniqueConstraint("partnership_id", "name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    partnership_id: Mapped[int] = mapped_column(ForeignKey("partnerships.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(_MAX_NAME))
    kind: Mapped[str] = mapped_column(String(40))


class Round(Base):
    __tablename__ = "rounds"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    partnership_id: Mapped[int] = mapped_column(
        ForeignKey("partnerships.id", ondelete="CASCADE"), index=True
    )
    label: Mapped[str] = mapped_column(String(_MAX_NAME))
    questionnaire_id: Mapped[str] = mapped_column(String(100))
    questionnaire_version: Mapped[str] = mapped_column(String(50))
    kind: Mapped[str] = mapped_column(String(20), default="survey")
    respondent_token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime, default=_now)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


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
    submission_key: Mapped[str] = mapped_column(String(_MAX_KEY))
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=_now)


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
    owner: Mapped[str] = mapped_column(String(_MAX_NAME), default="")
    due_date: Mapped[date | None] = mapped_column(Date, nullable=True)
    status: Mapped[str] = mapped_column(String(20), default="open")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=_now)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=_now)


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
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=_now)


Index("ix_responses_round_id_id", Response.round_id, Response.id)


class JoinFailure(Base):
    """One wrong (or still being checked) join or share code, for the throttle shared by every
    session and process (`healthcheck.throttle`). Holds no code and no address: `client_key` is
    the scope ("join:", "share:") and a hash of the visitor's network prefix, or a funder's id.
    (The table kept its first name, from when it held join codes only.)"""

    __tablename__ = "join_failures"
    __table_args__ = (Index("ix_join_failures_client_key_failed_at", "client_key", "failed_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    client_key: Mapped[str] = mapped_column(String(64))
    failed_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)


# --------------------------------------------------------------------------------------------
# Plain results


@dataclass(frozen=True)
class PartnershipInfo:
    id: int
    name: str
    questionnaire_id: str
    threshold: int
    created_at: datetime


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


def _partnership_info(p: Partnership) -> PartnershipInfo:
    return PartnershipInfo(p.id, p.name, p.questionnaire_id, p.threshold, p.created_at)


def _organisation_info(o: Organisation) -> OrganisationInfo:
    return OrganisationInfo(o.id, o.partnership_id, o.name, o.kind)


def _round_info(r: Round) -> RoundInfo:
    return RoundInfo(
        r.id, r.partnership_id, r.label, r.questionnaire_id, r.questionnaire_version, r.kind,
        r.opened_at, r.closed_at,
    )


def _action_info(a: ActionItem) -> ActionInfo:
    return ActionInfo(
        a.id, a.partnership_id, a.round_id, a.rule_id, a.task, a.text, a.owner, a.due_date,
        a.status, a.created_at, a.updated_at,
    )


# --------------------------------------------------------------------------------------------
# Validation helpers (plain-language messages)


def _fail(path: str, message: str) -> InputError:
    return InputError([Problem(path=path, message=message)])


def _clean_name(value: object, path: str, what: str, problems: list[Problem]) -> str:
    if not isinstance(value, str) or not value.strip():
        problems.append(Problem(path=path, message=f"Please give {what}."))
        return ""
    cleaned = " ".join(value.split())
    if len(cleaned) > _MAX_NAME:
        problems.append(Problem(path=path, message=f"{what.capitalize()} is too long "
                                f"(at most {_MAX_NAME} characters)."))
    return cleaned


def _check_kind(kind: object, path: str, problems: list[Problem]) -> None:
    if kind not in ORGANISATION_KINDS:
        allowed = ", ".join(ORGANISATION_KINDS)
        problems.append(Problem(path=path, message=f"'{kind}' is not a kind of organisation we know; "
                                f"use one of: {allowed}."))


def _answer_problems(answers: object, comments: object) -> list[str]:
    """Messages about the shape of an answers / comments pair (empty when fine)."""
    out: list[str] = []
    if not isinstance(answers, Mapping):
        out.append("The answers must be a mapping from question id to answer.")
    else:
        for key, value in answers.items():
            if not isinstance(key, str) or not key:
                out.append(f"Question id {key!r} is not valid text.")
            elif isinstance(value, bool) or value is None:
                out.append(f"The answer to {key} is missing or not valid.")
            elif isinstance(value, int):
                if not 1 <= value <= 5:
                    out.append(f"The answer to {key} must be between 1 and 5, not {value}.")
            elif not isinstance(value, str) or not value.strip():
                out.append(f"The answer to {key} must be 1-5, 'dk', a choice or some text.")
    if not isinstance(comments, Mapping):
        out.append("The comments must be a mapping from question id to text.")
    else:
        for key, value in comments.items():
            if not isinstance(key, str) or not key or not isinstance(value, str):
                out.append(f"The comment on {key} must be text.")
    return out


@functools.lru_cache(maxsize=16)
def _questionnaire(questionnaire_id: str) -> Questionnaire:
    return load_questionnaire(find_questionnaire(questionnaire_id))


def _unreadable(questionnaire_id: str, records: Sequence[Mapping[str, Any]]) -> list[Problem]:
    """What the round's reader would refuse (an unknown item, a comment on an item that asks for
    none, an answer off the scale), as problems by record number. Checked before writing, so no
    stored answer can make a round unreadable later."""
    problems = record_problems(list(records), _questionnaire(questionnaire_id))  # type: ignore[arg-type]
    return [Problem(path="import", row=int(p.path.removeprefix("response ")), message=p.message)
            for p in problems]


def _clean_role(role: object) -> str | None:
    if role is None:
        return None
    if not isinstance(role, str):
        raise _fail("role", "The role must be text.")
    role = role.strip()
    return role or None


def _clean_comments(comments: Mapping[str, str]) -> dict[str, str]:
    return {k: v.strip() for k, v in comments.items() if v.strip()}


# --------------------------------------------------------------------------------------------
# Migrations


def alembic_config(connection: Any = None) -> Any:
    """An Alembic Config built in code, pointing at the package's migrations folder."""
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.set_main_option("path_separator", "os")
    if connection is not None:
        cfg.attributes["connection"] = connection
    return cfg


# --------------------------------------------------------------------------------------------
# The store


class Store:
    """The repository. One instance per process is enough; it is safe to share between threads."""

    def __init__(self, url: str | None = None, *, migrate: bool = True) -> None:
        self.url: URL = normalise_url(url if url is not None else default_url())
        self.backend: str = self.url.get_backend_name()
        self.engine: Engine = self._make_engine()
        # Writes go through an engine flagged so SQLite starts them with BEGIN IMMEDIATE (takes the
        # write lock up front: no lock-upgrade deadlocks between concurrent writers).
        self._write_engine: Engine = self.engine.execution_options(hc_write=True)
        if migrate:
            self.migrate()

    # -- setup ---------------------------------------------------------------------------------

    def _make_engine(self) -> Engine:
        # hide_parameters: a database error's message (which the app logs) never carries the values
        # of a query, such as a join code or a token's hash.
        if self.backend == "sqlite":
            database = self.url.database
            kwargs: dict[str, Any] = {}
            if not database or database == ":memory:":
                kwargs = {"poolclass": StaticPool, "connect_args": {"check_same_thread": False}}
            else:
                Path(database).expanduser().resolve().parent.mkdir(parents=True, exist_ok=True)
            engine = create_engine(self.url, hide_parameters=True, **kwargs)
            event.listen(engine, "connect", _sqlite_on_connect)
            event.listen(engine, "begin", _sqlite_on_begin)
            return engine
        if self.backend == "postgresql":
            return create_engine(self.url, pool_size=10, max_overflow=20, pool_pre_ping=True,
                                 hide_parameters=True)
        return create_engine(self.url, hide_parameters=True)

    def migrate(self) -> None:
        """Upgrade the schema to the newest migration (a no-op when already there).

        Runs in one transaction holding a lock, so processes starting together take turns:
        PostgreSQL takes a transaction-level advisory lock, SQLite begins with BEGIN IMMEDIATE.
        """
        from alembic import command

        with self._write_engine.begin() as conn:
            if self.backend == "postgresql":
                conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _MIGRATION_LOCK_KEY})
            command.upgrade(alembic_config(conn), "head")

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def describe_location(self) -> str:
        return describe_location(self.url.render_as_string(hide_password=False))

    @contextmanager
    def reading(self) -> Iterator[Session]:
        """One read transaction: the unit of work for modules that keep their own tables
        (sharing, workshops). Yields a session; objects stay usable after it ends."""
        with Session(self.engine, expire_on_commit=False) as session, session.begin():
            yield session

    @contextmanager
    def writing(self) -> Iterator[Session]:
        """One write transaction, committed when the block ends and rolled back on any error
        (on SQLite it begins IMMEDIATE, so writers take turns instead of failing)."""
        with Session(self._write_engine, expire_on_commit=False) as session, session.begin():
            yield session

    def dialect_insert(self) -> Any:
        """The dialect's INSERT construct (both SQLite and PostgreSQL know ON CONFLICT)."""
        if self.backend == "postgresql":
            return pg_dialect.insert
        if self.backend == "sqlite":
            return sqlite_dialect.insert
        return insert

    # -- partnerships --------------------------------------------------------------------------

    def create_partnership(
        self,
        name: str,
        questionnaire_id: str,
        threshold: int = MIN_THRESHOLD,
        organisations: Sequence[tuple[str, str]] = (),
    ) -> tuple[PartnershipInfo, str]:
        """Create a partnership and its organisations; returns it with its admin token."""
        problems: list[Problem] = []
        name = _clean_name(name, "name", "a name for the partnership", problems)
        if not isinstance(questionnaire_id, str) or not questionnaire_id.strip():
            problems.append(Problem(path="questionnaire", message="Please choose a questionnaire."))
        if isinstance(threshold, bool) or not isinstance(threshold, int) or threshold < MIN_THRESHOLD:
            problems.append(Problem(
                path="threshold",
                message=f"The anonymity threshold must be a whole number of at least {MIN_THRESHOLD}, "
                "so no one's answers can be picked out.",
            ))
        orgs: list[tuple[str, str]] = []
        seen: set[str] = set()
        for i, entry in enumerate(organisations, start=1):
            path = f"organisation {i}"
            try:
                org_name, kind = entry
            except (TypeError, ValueError):
                problems.append(Problem(path=path, message="Give each organisation a name and a kind."))
                continue
            org_name = _clean_name(org_name, path, "a name for the organisation", problems)
            _check_kind(kind, path, problems)
            if org_name:
                if org_name.casefold() in seen:
                    problems.append(Problem(path=path, message=f"'{org_name}' is listed twice."))
                seen.add(org_name.casefold())
            orgs.append((org_name, kind))
        if problems:
            raise InputError(problems)
        token = new_token()
        with self.writing() as s:
            p = Partnership(
                name=name, questionnaire_id=questionnaire_id.strip(), threshold=threshold,
                admin_token_hash=hash_token(token), created_at=_now(),
            )
            s.add(p)
            s.flush()
            s.add_all(Organisation(partnership_id=p.id, name=n, kind=k) for n, k in orgs)
            info = _partnership_info(p)
        return info, token

    def partnership_by_admin_token(self, token: str | None) -> PartnershipInfo | None:
        digest = _lookup_hash(token)
        if digest is None:
            return None
        with self.reading() as s:
            p = s.scalars(select(Partnership).where(Partnership.admin_token_hash == digest)).first()
            return _partnership_info(p) if p else None

    def rotate_admin_token(self, partnership_id: int) -> str:
        """Issue a new admin token (the old link stops working)."""
        token = new_token()
        with self.writing() as s:
            done = s.execute(
                update(Partnership).where(Partnership.id == partnership_id)
                .values(admin_token_hash=hash_token(token))
            )
            if done.rowcount == 0:  # type: ignore[attr-defined]
                raise _fail("partnership", "This partnership no longer exists.")
        return token

    def get_partnership(self, partnership_id: int) -> PartnershipInfo | None:
        with self.reading() as s:
            p = s.get(Partnership, partnership_id)
            return _partnership_info(p) if p else None

    def list_partnerships(self) -> list[PartnershipInfo]:
        with self.reading() as s:
            rows = s.scalars(select(Partnership).order_by(Partnership.name, Partnership.id))
            return [_partnership_info(p) for p in rows]

    def update_partnership(
        self, partnership_id: int, *, name: str | None = None, threshold: int | None = None
    ) -> PartnershipInfo:
        problems: list[Problem] = []
        values: dict[str, Any] = {}
        if name is not None:
            values["name"] = _clean_name(name, "name", "a name for the partnership", problems)
        if threshold is not None:
            if isinstance(threshold, bool) or not isinstance(threshold, int) or threshold < MIN_THRESHOLD:
                problems.append(Problem(path="threshold", message="The anonymity threshold must be a "
                                        f"whole number of at least {MIN_THRESHOLD}."))
            values["threshold"] = threshold
        if problems:
            raise InputError(problems)
        with self.writing() as s:
            p = s.get(Partnership, partnership_id)
            if p is None:
                raise _fail("partnership", "This partnership no longer exists.")
            for key, value in values.items():
                setattr(p, key, value)
            s.flush()
            return _partnership_info(p)

    def delete_partnership(self, partnership_id: int) -> bool:
        """Delete a partnership with everything it holds. True if there was one to delete."""
        with self.writing() as s:
            done = s.execute(delete(Partnership).where(Partnership.id == partnership_id))
            return bool(done.rowcount)  # type: ignore[attr-defined]

    # -- organisations -------------------------------------------------------------------------

    def organisations(self, partnership_id: int) -> list[OrganisationInfo]:
        with self.reading() as s:
            rows = s.scalars(
                select(Organisation).where(Organisation.partnership_id == partnership_id)
                .order_by(Organisation.id)
            )
            return [_organisation_info(o) for o in rows]

    def add_organisation(self, partnership_id: int, name: str, kind: str) -> OrganisationInfo:
        problems: list[Problem] = []
        name = _clean_name(name, "organisation", "a name for the organisation", problems)
        _check_kind(kind, "kind", problems)
        if problems:
            raise InputError(problems)
        with self.writing() as s:
            if s.get(Partnership, partnership_id) is None:
                raise _fail("partnership", "This partnership no longer exists.")
            existing = s.scalars(
                select(Organisation.name).where(Organisation.partnership_id == partnership_id)
            ).all()
            if name.casefold() in {n.casefold() for n in existing}:
                raise _fail("organisation", f"'{name}' is already a partner in this partnership.")
            o = Organisation(partnership_id=partnership_id, name=name, kind=kind)
            s.add(o)
            s.flush()
            return _organisation_info(o)

    # -- rounds --------------------------------------------------------------------------------

    def open_round(
        self,
        partnership_id: int,
        label: str,
        questionnaire_id: str,
        questionnaire_version: str,
        kind: str = "survey",
    ) -> tuple[RoundInfo, str]:
        """Open a round of the health check; returns it with the respondents' token."""
        problems: list[Problem] = []
        label = _clean_name(label, "label", "a label for the round", problems)
        if not isinstance(questionnaire_id, str) or not questionnaire_id.strip():
            problems.append(Problem(path="questionnaire", message="Please choose a questionnaire."))
        if not isinstance(questionnaire_version, str) or not questionnaire_version.strip():
            problems.append(Problem(path="questionnaire", message="The questionnaire version is missing."))
        if kind not in ROUND_KINDS:
            problems.append(Problem(path="kind", message=f"A round is a survey or a workshop, not '{kind}'."))
        if problems:
            raise InputError(problems)
        token = new_token()
        with self.writing() as s:
            if s.get(Partnership, partnership_id) is None:
                raise _fail("partnership", "This partnership no longer exists.")
            r = Round(
                partnership_id=partnership_id, label=label, questionnaire_id=questionnaire_id.strip(),
                questionnaire_version=questionnaire_version.strip(), kind=kind,
                respondent_token_hash=hash_token(token), opened_at=_now(), closed_at=None,
            )
            s.add(r)
            s.flush()
            info = _round_info(r)
        return info, token

    def round_by_respondent_token(self, token: str | None) -> RoundInfo | None:
        digest = _lookup_hash(token)
        if digest is None:
            return None
        with self.reading() as s:
            r = s.scalars(select(Round).where(Round.respondent_token_hash == digest)).first()
            return _round_info(r) if r else None

    def rotate_respondent_token(self, round_id: int) -> str:
        """Issue a new respondent token for a round (the old link stops working)."""
        token = new_token()
        with self.writing() as s:
            done = s.execute(
                update(Round).where(Round.id == round_id).values(respondent_token_hash=hash_token(token))
            )
            if done.rowcount == 0:  # type: ignore[attr-defined]
                raise _fail("round", "This round no longer exists.")
        return token

    def get_round(self, round_id: int) -> RoundInfo | None:
        with self.reading() as s:
            r = s.get(Round, round_id)
            return _round_info(r) if r else None

    def rounds(self, partnership_id: int) -> list[RoundInfo]:
        """The partnership's rounds, oldest first."""
        with self.reading() as s:
            rows = s.scalars(
                select(Round).where(Round.partnership_id == partnership_id)
                .order_by(Round.opened_at, Round.id)
            )
            return [_round_info(r) for r in rows]

    def close_round(self, round_id: int) -> RoundInfo:
        """Stop accepting responses. Closing a closed round changes nothing."""
        with self.writing() as s:
            r = s.get(Round, round_id, with_for_update=True)
            if r is None:
                raise _fail("round", "This round no longer exists.")
            if r.closed_at is None:
                r.closed_at = _now()
                s.flush()
            return _round_info(r)

    def previous_round(self, round_id: int, *, same_questionnaire: bool = False) -> RoundInfo | None:
        """The round of the same partnership opened just before this one (None if first)."""
        with self.reading() as s:
            r = s.get(Round, round_id)
            if r is None:
                return None
            q = select(Round).where(
                Round.partnership_id == r.partnership_id,
                (Round.opened_at < r.opened_at) | ((Round.opened_at == r.opened_at) & (Round.id < r.id)),
            )
            if same_questionnaire:
                q = q.where(Round.questionnaire_id == r.questionnaire_id)
            prev = s.scalars(q.order_by(Round.opened_at.desc(), Round.id.desc()).limit(1)).first()
            return _round_info(prev) if prev else None

    # -- responses -----------------------------------------------------------------------------

    def submit_response(
        self,
        round_id: int,
        organisation_id: int,
        level: str,
        role: str | None,
        answers: Mapping[str, int | str],
        comments: Mapping[str, str],
        submission_key: str,
    ) -> bool:
        """Store one respondent's answers. True if stored; False if this submission_key was
        already stored for the round (a double click or reload), which changes nothing."""
        problems = [Problem(path="response", message=m) for m in _answer_problems(answers, comments)]
        if level not in LEVELS:
            problems.append(Problem(path="level", message="Please say at which level you work: "
                                    + ", ".join(LEVELS) + "."))
        key_ok = isinstance(submission_key, str) and 0 < len(submission_key.strip()) <= _MAX_KEY
        if not key_ok:
            problems.append(Problem(path="response", message="The form is missing its submission key; "
                                    "please reload the page."))
        clean_role = _clean_role(role)
        if problems:
            raise InputError(problems)
        with self.writing() as s:
            # FOR SHARE on PostgreSQL: a concurrent close_round waits for this submission.
            r = s.get(Round, round_id, with_for_update={"read": True})
            if r is None:
                raise _fail("round", "This round no longer exists.")
            if r.closed_at is not None:
                raise _fail("round", "This round is closed and no longer takes answers.")
            unreadable = _unreadable(r.questionnaire_id, [{"answers": answers, "comments": comments}])
            if unreadable:
                raise InputError([Problem(path="response", message=p.message) for p in unreadable])
            org = s.get(Organisation, organisation_id)
            if org is None or org.partnership_id != r.partnership_id:
                raise _fail("organisation", "Please choose one of this partnership's organisations.")
            stmt = (
                self.dialect_insert()(Response)
                .values(
                    round_id=round_id, organisation_id=organisation_id, level=level, role=clean_role,
                    answers=dict(answers), comments=_clean_comments(comments),
                    submission_key=submission_key.strip(), submitted_at=_now(),
                )
                .on_conflict_do_nothing(index_elements=["round_id", "submission_key"])
                .returning(Response.id)
            )
            return s.execute(stmt).first() is not None

    def response_records(self, round_id: int) -> list[dict[str, Any]]:
        """The round's responses as plain records, in submission order.

        Each record: {"respondent": "R<id>", "organisation", "level", "role", "answers",
        "comments"}. The respondent label is an opaque number, never a name."""
        with self.reading() as s:
            rows = s.execute(
                select(Response.id, Organisation.name, Response.level, Response.role,
                       Response.answers, Response.comments)
                .join(Organisation, Organisation.id == Response.organisation_id)
                .where(Response.round_id == round_id)
                .order_by(Response.id)
            ).all()
        return [
            {"respondent": f"R{rid}", "organisation": org, "level": level, "role": role,
             "answers": dict(answers or {}), "comments": dict(comments or {})}
            for rid, org, level, role, answers, comments in rows
        ]

    def response_counts(self, round_id: int) -> dict[str, int]:
        """Responses per organisation for a round; every organisation of the partnership is
        listed (0 when nobody from it has answered yet)."""
        with self.reading() as s:
            r = s.get(Round, round_id)
            if r is None:
                return {}
            counts = dict(
                s.execute(
                    select(Response.organisation_id, func.count())
                    .where(Response.round_id == round_id)
                    .group_by(Response.organisation_id)
                ).all()
            )
            orgs = s.execute(
                select(Organisation.id, Organisation.name)
                .where(Organisation.partnership_id == r.partnership_id)
                .order_by(Organisation.id)
            ).all()
        return {name: int(counts.get(oid, 0)) for oid, name in orgs}

    def import_records(
        self,
        round_id: int,
        records: Sequence[Mapping[str, Any]],
        progress: Callable[[int, int], None] | None = None,
    ) -> int:
        """Insert many responses in one transaction: all of them or none.

        Records have the shape of `response_records` (organisation by name; "respondent" and
        "partnership" are accepted and ignored; an optional "submission_key" makes re-importing
        the same record an error instead of a duplicate). Works on closed rounds too, for
        results gathered elsewhere. `progress(done, total)` is called as chunks are written.
        Returns the number of records stored."""
        allowed = {"respondent", "partnership", "organisation", "level", "role", "answers", "comments",
                   "submission_key"}
        total = len(records)
        with self.writing() as s:
            if self.backend == "postgresql":
                # Two imports into one round that share keys in a different order would each wait
                # for the other's rows (a deadlock, one aborted with a database error): take turns.
                # (SQLite's BEGIN IMMEDIATE already makes every writer take turns.)
                s.execute(text("SELECT pg_advisory_xact_lock(CAST(:c AS integer), CAST(:r AS integer))"),
                          {"c": _IMPORT_LOCK_CLASS, "r": round_id})
            r = s.get(Round, round_id)
            if r is None:
                raise _fail("round", "This round no longer exists.")
            org_ids = dict(
                s.execute(
                    select(Organisation.name, Organisation.id)
                    .where(Organisation.partnership_id == r.partnership_id)
                ).all()
            )
            problems: list[Problem] = []
            rows: list[dict[str, Any]] = []
            keys: set[str] = set()
            batch = uuid.uuid4().hex
            now = _now()

            def bad(row: int, column: str | None, message: str) -> None:
                problems.append(Problem(path="import", row=row, column=column, message=message))

            for i, rec in enumerate(records):
                row = i + 1
                if not isinstance(rec, Mapping):
                    bad(row, None, "This record is not a set of named values.")
                    continue
                extra = sorted(str(k) for k in rec if k not in allowed)
                if extra:
                    bad(row, extra[0], f"Unknown field(s): {', '.join(extra)}.")
                org_name = rec.get("organisation")
                org_id = org_ids.get(org_name) if isinstance(org_name, str) else None
                if org_id is None:
                    bad(row, "organisation", f"'{org_name}' is not an organisation in this partnership.")
                level = rec.get("level")
                if level not in LEVELS:
                    bad(row, "level", f"'{level}' is not a level; use one of: {', '.join(LEVELS)}.")
                role = rec.get("role")
                if role is not None and not isinstance(role, str):
                    bad(row, "role", "The role must be text.")
                    role = None
                answers = rec.get("answers", {})
                comments = rec.get("comments", {}) or {}
                for message in _answer_problems(answers, comments):
                    bad(row, None, message)
                key = rec.get("submission_key")
                if key is None:
                    key = f"import:{batch}:{row}"
                elif not isinstance(key, str) or not key.strip() or len(key) > _MAX_KEY:
                    bad(row, "submission_key", "The submission key must be short, non-empty text.")
                    key = ""
                elif key in keys:
                    bad(row, "submission_key", f"Submission key '{key}' appears twice.")
                keys.add(key)
                if len(problems) >= _MAX_PROBLEMS:
                    problems.append(Problem(path="import", message="Too many problems; stopped checking "
                                            f"at record {row} of {total}."))
                    break
                if not problems:
                    rows.append({
                        "round_id": round_id, "organisation_id": org_id, "level": level,
                        "role": (role or "").strip() or None, "answers": dict(answers),
                        "comments": _clean_comments(comments), "submission_key": key,
                        "submitted_at": now,
                    })
            if not problems:
                problems = _unreadable(r.questionnaire_id, records)
            if problems:
                raise InputError(problems)
            if progress is not None:
                progress(0, total)
            conn = s.connection()
            table = Response.__table__
            try:
                for start in range(0, total, _IMPORT_CHUNK):
                    chunk = rows[start:start + _IMPORT_CHUNK]
                    conn.execute(insert(table), chunk)
                    if progress is not None:
                        progress(start + len(chunk), total)
            except IntegrityError as exc:
                raise _fail("import", "Some of these records were imported before (same submission "
                            "key); nothing was imported.") from exc
        return total

    # -- action items --------------------------------------------------------------------------

    def add_action(
        self,
        partnership_id: int,
        round_id: int,
        text: str,
        *,
        owner: str = "",
        task: str | None = None,
        rule_id: str | None = None,
        due_date: date | None = None,
        status: str = "open",
    ) -> ActionInfo:
        problems: list[Problem] = []
        if not isinstance(text, str) or not text.strip():
            problems.append(Problem(path="action", message="Please describe the action."))
        if not isinstance(owner, str) or len(owner) > _MAX_NAME:
            problems.append(Problem(path="owner", message="The owner must be short text."))
        if task is not None and task not in DIMENSION_BY_ID:
            problems.append(Problem(path="task", message=f"'{task}' is not a task we know."))
        if status not in ACTION_STATUSES:
            problems.append(Problem(path="status", message=f"'{status}' is not a status; use one of: "
                                    + ", ".join(ACTION_STATUSES) + "."))
        if due_date is not None and (not isinstance(due_date, date) or isinstance(due_date, datetime)):
            problems.append(Problem(path="due_date", message="The due date must be a date."))
        if problems:
            raise InputError(problems)
        with self.writing() as s:
            r = s.get(Round, round_id)
            if r is None or r.partnership_id != partnership_id:
                raise _fail("round", "That round does not belong to this partnership.")
            now = _now()
            a = ActionItem(
                partnership_id=partnership_id, round_id=round_id, rule_id=rule_id, task=task,
                text=text.strip(), owner=owner.strip(), due_date=due_date, status=status,
                created_at=now, updated_at=now,
            )
            s.add(a)
            s.flush()
            return _action_info(a)

    def update_action(
        self,
        action_id: int,
        *,
        owner: str | None = None,
        due_date: date | None = None,
        status: str | None = None,
        text: str | None = None,
        clear_due_date: bool = False,
    ) -> ActionInfo:
        """Change an action item; arguments left as None stay as they are."""
        problems: list[Problem] = []
        if status is not None and status not in ACTION_STATUSES:
            problems.append(Problem(path="status", message=f"'{status}' is not a status; use one of: "
                                    + ", ".join(ACTION_STATUSES) + "."))
        if owner is not None and (not isinstance(owner, str) or len(owner) > _MAX_NAME):
            problems.append(Problem(path="owner", message="The owner must be short text."))
        if text is not None and (not isinstance(text, str) or not text.strip()):
            problems.append(Problem(path="action", message="Please describe the action."))
        if due_date is not None and (not isinstance(due_date, date) or isinstance(due_date, datetime)):
            problems.append(Problem(path="due_date", message="The due date must be a date."))
        if problems:
            raise InputError(problems)
        with self.writing() as s:
            a = s.get(ActionItem, action_id)
            if a is None:
                raise _fail("action", "This action no longer exists.")
            if owner is not None:
                a.owner = owner.strip()
            if due_date is not None:
                a.due_date = due_date
            elif clear_due_date:
                a.due_date = None
            if status is not None:
                a.status = status
            if text is not None:
                a.text = text.strip()
            a.updated_at = _now()
            s.flush()
            return _action_info(a)

    def actions(self, partnership_id: int, open_only: bool = False) -> list[ActionInfo]:
        """Action items, oldest first; open_only keeps "open" and "in_progress"."""
        with self.reading() as s:
            q = select(ActionItem).where(ActionItem.partnership_id == partnership_id)
            if open_only:
                q = q.where(ActionItem.status.in_(OPEN_ACTION_STATUSES))
            return [_action_info(a) for a in s.scalars(q.order_by(ActionItem.created_at, ActionItem.id))]

    # -- partner team notes --------------------------------------------------------------------

    def set_team_note(self, partnership_id: int, organisation_id: int, question: str, text: str) -> None:
        """Record a partner team's answer to one of the five questions; empty text removes it."""
        if question not in TEAM_QUESTIONS:
            raise _fail("question", f"'{question}' is not one of the partner team questions.")
        if not isinstance(text, str):
            raise _fail("note", "The note must be text.")
        text = text.strip()
        with self.writing() as s:
            org = s.get(Organisation, organisation_id)
            if org is None or org.partnership_id != partnership_id:
                raise _fail("organisation", "That organisation is not part of this partnership.")
            note = s.scalars(
                select(PartnerTeamNote).where(
                    PartnerTeamNote.organisation_id == organisation_id, PartnerTeamNote.question == question
                )
            ).first()
            if not text:
                if note is not None:
                    s.delete(note)
                return
            if note is None:
                stmt = (
                    self.dialect_insert()(PartnerTeamNote)
                    .values(partnership_id=partnership_id, organisation_id=organisation_id,
                            question=question, text=text, updated_at=_now())
                )
                if self.backend in ("postgresql", "sqlite"):
                    stmt = stmt.on_conflict_do_update(
                        index_elements=["organisation_id", "question"],
                        set_={"text": text, "updated_at": _now()},
                    )
                s.execute(stmt)
            else:
                note.text = text
                note.updated_at = _now()

    def team_notes(self, partnership_id: int) -> dict[str, dict[str, str]]:
        """{organisation name: {question id: text}} for organisations with at least one note."""
        with self.reading() as s:
            rows = s.execute(
                select(Organisation.name, PartnerTeamNote.question, PartnerTeamNote.text)
                .join(Organisation, Organisation.id == PartnerTeamNote.organisation_id)
                .where(PartnerTeamNote.partnership_id == partnership_id)
                .order_by(Organisation.id, PartnerTeamNote.question)
            ).all()
        order = list(TEAM_QUESTIONS)
        out: dict[str, dict[str, str]] = {}
        for org, question, note in rows:
            out.setdefault(org, {})[question] = note
        return {org: dict(sorted(notes.items(), key=lambda kv: order.index(kv[0]) if kv[0] in order
                                 else len(order))) for org, notes in out.items()}


# --------------------------------------------------------------------------------------------
# SQLite connection set-up


def _sqlite_on_connect(dbapi_connection: Any, _record: Any) -> None:
    # Let SQLAlchemy's "begin" event emit BEGIN itself (pysqlite's own transaction handling
    # would start transactions late and never for DDL).
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    try:
        # Writers take turns on SQLite; a big import holds the lock for seconds, so a queue of
        # imports on a busy machine can wait well past 10 s (seen in the fault tests): wait 30 s.
        cursor.execute("PRAGMA busy_timeout = 30000")
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA synchronous = NORMAL")
    finally:
        cursor.close()


def _sqlite_on_begin(conn: Any) -> None:
    if conn.get_execution_options().get("hc_write"):
        conn.exec_driver_sql("BEGIN IMMEDIATE")
    else:
        conn.exec_driver_sql("BEGIN")
