"""Where the database lives and how to talk to it: URLs, engines, transactions, migrations.

A SQLite file is the default; a PostgreSQL URL (``postgresql://...``) works the same. The schema is
created and upgraded by Alembic migrations (``healthcheck/store/migrations``) every time a store
starts; that is a no-op when the schema is current and is safe when several processes start at
once. `Database` owns the engines and the unit of work (`reading`, `writing`); the repositories
(`healthcheck.store.repository.Store`) build on it.
"""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Self

from sqlalchemy import JSON, DateTime, Dialect, Engine, TypeDecorator, create_engine, event, insert, text
from sqlalchemy.dialects import postgresql as pg_dialect
from sqlalchemy.dialects import sqlite as sqlite_dialect
from sqlalchemy.engine import URL, make_url
from sqlalchemy.orm import Session
from sqlalchemy.pool import StaticPool

__all__ = [
    "MIGRATIONS_DIR",
    "Database",
    "JSONType",
    "UTCDateTime",
    "alembic_config",
    "data_dir",
    "default_url",
    "describe_location",
    "normalise_url",
    "now",
]

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
# pg_advisory_xact_lock key that serialises schema upgrades across processes ("hcmigr" in ASCII).
_MIGRATION_LOCK_KEY = 0x68636D696772


def now() -> datetime:
    """The current time in UTC: every timestamp the store writes."""
    return datetime.now(UTC)


# --------------------------------------------------------------------------------------------
# Where the database lives


def data_dir() -> Path:
    """`HEALTHCHECK_DATA_DIR`, else ./data: the folder of the default SQLite file."""
    return Path(os.environ.get("HEALTHCHECK_DATA_DIR") or "data")


def default_url() -> str:
    """`HEALTHCHECK_DATABASE_URL`, else a SQLite file in `HEALTHCHECK_DATA_DIR` (default ./data)."""
    env = os.environ.get("HEALTHCHECK_DATABASE_URL", "").strip()
    if env:
        return env
    path = (data_dir() / "healthcheck.db").resolve()
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
# Column types shared by the models


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


# --------------------------------------------------------------------------------------------
# Engines and migrations


def make_engine(url: URL) -> Engine:
    """The engine for a URL (hide_parameters: a database error's message, which the app logs,
    never carries the values of a query, such as a join code or a token's hash)."""
    backend = url.get_backend_name()
    if backend == "sqlite":
        database = url.database
        kwargs: dict[str, Any] = {}
        if not database or database == ":memory:":
            kwargs = {"poolclass": StaticPool, "connect_args": {"check_same_thread": False}}
        else:
            Path(database).expanduser().resolve().parent.mkdir(parents=True, exist_ok=True)
            # Keep enough connections for a room of phones: with the default 5, every connection
            # past them was opened (its pragmas, WAL included) and closed again per request.
            kwargs = {"pool_size": 20, "max_overflow": 20, "pool_use_lifo": True}
        engine = create_engine(url, hide_parameters=True, **kwargs)
        event.listen(engine, "connect", _sqlite_on_connect)
        event.listen(engine, "begin", _sqlite_on_begin)
        return engine
    if backend == "postgresql":
        # connect_timeout: a database host that went away fails a page (and the readiness check)
        # within seconds instead of hanging on the operating system's TCP timeout.
        return create_engine(url, pool_size=10, max_overflow=20, pool_pre_ping=True, hide_parameters=True,
                             connect_args={} if "connect_timeout" in url.query else {"connect_timeout": 5})
    return create_engine(url, hide_parameters=True)


def alembic_config(connection: Any = None) -> Any:
    """An Alembic Config built in code, pointing at the package's migrations folder."""
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.set_main_option("path_separator", "os")
    if connection is not None:
        cfg.attributes["connection"] = connection
    return cfg


class Database:
    """The engines of one database and its unit of work. One instance per process is enough;
    it is safe to share between threads."""

    def __init__(self, url: str | None = None, *, migrate: bool = True) -> None:
        self.url: URL = normalise_url(url if url is not None else default_url())
        self.backend: str = self.url.get_backend_name()
        self.engine: Engine = make_engine(self.url)
        # Writes go through an engine flagged so SQLite starts them with BEGIN IMMEDIATE (takes the
        # write lock up front: no lock-upgrade deadlocks between concurrent writers).
        self._write_engine: Engine = self.engine.execution_options(hc_write=True)
        # SQLite has one writer at a time. Threads of this process queue on a lock here, handed
        # over at once, rather than on SQLite's busy handler, which sleeps in growing steps and
        # made 20 threads 1.5x slower than the same writes one after another. Other processes
        # still take turns through BEGIN IMMEDIATE and the busy timeout.
        self._writer: contextlib.AbstractContextManager[Any] = (
            threading.RLock() if self.backend == "sqlite" else contextlib.nullcontext())
        if migrate:
            self.migrate()

    def migrate(self) -> None:
        """Upgrade the schema to the newest migration (a no-op when already there).

        Runs in one transaction holding a lock, so processes starting together take turns:
        PostgreSQL takes a transaction-level advisory lock, SQLite begins with BEGIN IMMEDIATE.
        """
        from alembic import command

        with self._writer, self._write_engine.begin() as conn:
            if self.backend == "postgresql":
                conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _MIGRATION_LOCK_KEY})
            command.upgrade(alembic_config(conn), "head")

    def ping(self) -> None:
        """Raise unless the database answers a trivial query now (a load balancer's readiness check)."""
        with self.engine.connect() as conn:
            conn.execute(text("SELECT 1"))

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def describe_location(self) -> str:
        return describe_location(self.url.render_as_string(hide_password=False))

    @contextmanager
    def reading(self) -> Iterator[Session]:
        """One read transaction: the unit of work of every repository. Yields a session;
        objects stay usable after it ends."""
        with Session(self.engine, expire_on_commit=False) as session, session.begin():
            yield session

    def taking_turns(self) -> contextlib.AbstractContextManager[Any]:
        """On SQLite, this process's writers one at a time (re-entrant; `writing` takes it too).

        Hold it around a write's own checks as well: threads that check while another writes
        only take the interpreter from the writer each time SQLite lets it go, so the one write
        lock is held longer (a room of phones on SQLite was 1.4x slower than one after another).
        On PostgreSQL writers run side by side and this holds nothing."""
        return self._writer

    @contextmanager
    def writing(self) -> Iterator[Session]:
        """One write transaction, committed when the block ends and rolled back on any error
        (on SQLite it begins IMMEDIATE, so writers take turns instead of failing)."""
        with self._writer, Session(self._write_engine, expire_on_commit=False) as session, session.begin():
            yield session

    def dialect_insert(self) -> Any:
        """The dialect's INSERT construct (both SQLite and PostgreSQL know ON CONFLICT)."""
        if self.backend == "postgresql":
            return pg_dialect.insert
        if self.backend == "sqlite":
            return sqlite_dialect.insert
        return insert


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
        # Deleted rows are overwritten with zeros, not left readable in free pages (issue 16:
        # "deleted" means gone from the file too).
        cursor.execute("PRAGMA secure_delete = ON")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA synchronous = NORMAL")
    finally:
        cursor.close()


def _sqlite_on_begin(conn: Any) -> None:
    if conn.get_execution_options().get("hc_write"):
        conn.exec_driver_sql("BEGIN IMMEDIATE")
    else:
        conn.exec_driver_sql("BEGIN")
