"""Shared pytest fixtures.

Database fixtures: every test that asks for `db_url` or `store` runs twice, once on a SQLite file
and once on a real PostgreSQL server (a private throwaway one, see tests/pgserver.py). Each test
gets a fresh, empty database. Without PostgreSQL binaries the PostgreSQL half is skipped locally,
but fails when the `CI` environment variable is set: nothing may be skipped in CI.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from healthcheck.store import Store

from .apptest import app_store
from .pgserver import PgServer, PgUnavailable, start_server

DB_BACKENDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PgServer]:
    """A running PostgreSQL server for the whole session (started on first use)."""
    try:
        server = start_server()
    except PgUnavailable as exc:
        if os.environ.get("CI"):
            pytest.fail(f"PostgreSQL is required in CI: {exc}", pytrace=False)
        pytest.skip(f"PostgreSQL not available: {exc}")
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session", params=DB_BACKENDS)
def db_backend(request: pytest.FixtureRequest) -> str:
    """"sqlite" or "postgresql"; tests using the database fixtures run once for each."""
    return str(request.param)


@pytest.fixture
def db_url(db_backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[str]:
    """The URL of a fresh, empty database on the current backend (no tables yet)."""
    if db_backend == "sqlite":
        yield f"sqlite:///{(tmp_path / 'healthcheck.db').as_posix()}"
        return
    server: PgServer = request.getfixturevalue("pg_server")
    url = server.create_database()
    try:
        yield url
    finally:
        server.drop_database(url)


@pytest.fixture
def store(db_url: str) -> Iterator[Store]:
    """A migrated `Store` on a fresh database of the current backend."""
    s = Store(db_url)
    try:
        yield s
    finally:
        s.close()


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Store]:
    """A fresh SQLite store that the app under test also uses (via HEALTHCHECK_DATABASE_URL)."""
    with app_store(tmp_path) as store:
        yield store


@pytest.fixture(scope="module")
def pulse():  # type: ignore[no-untyped-def]
    from healthcheck.core.questionnaire import find_questionnaire, load_questionnaire

    return load_questionnaire(find_questionnaire("pulse"))
