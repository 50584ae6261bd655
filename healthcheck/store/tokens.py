"""Capability tokens: the secret links that open a partnership, a round, a funder, a workshop.

A token is 192 random bits. Only its SHA-256 hash is stored, so a copy of the database does not
give access. Every token column is read by `row_by_token` and replaced by `rotate_token`.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable
from typing import Any, TypeVar

from sqlalchemy import Select, update
from sqlalchemy.orm import InstrumentedAttribute, Session

from healthcheck.store.checks import fail
from healthcheck.store.db import Database

__all__ = ["MAX_TOKEN", "hash_token", "lookup_hash", "new_token", "rotate_token", "row_by_token"]

# Longer than any token we make, by far: anything longer is garbage, not worth hashing.
MAX_TOKEN = 512
T = TypeVar("T")


def new_token() -> str:
    """A fresh capability token: 24 random bytes (192 bits), URL-safe text."""
    return secrets.token_urlsafe(24)


def hash_token(token: str) -> str:
    """SHA-256 hex digest of a token; the only form in which tokens are stored."""
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def lookup_hash(token: object) -> str | None:
    """The hash to look up for a token from the outside world, or None for obvious garbage."""
    if not isinstance(token, str):
        return None
    token = token.strip()
    if not token or len(token) > MAX_TOKEN:
        return None
    try:
        return hash_token(token)
    except Exception:  # noqa: BLE001 - any odd input simply matches nothing
        return None


def row_by_token(db: Database, query: Select[Any], column: InstrumentedAttribute[Any], token: object,
                 convert: Callable[..., T]) -> T | None:
    """The row of `query` whose hashed token `column` matches `token`, turned into a result by
    `convert(*row)`; None for an unknown or malformed token."""
    digest = lookup_hash(token)
    if digest is None:
        return None
    with db.reading() as s:
        row = s.execute(query.where(column == digest)).first()
        return convert(*row) if row else None


def rotate_token(db: Database, column: InstrumentedAttribute[Any], row_id: int, what: str,
                 audit: Callable[[Session], None] | None = None) -> str:
    """Give row `row_id` a new token in `column` (the old link stops working); returns the token.
    `what` names the row for the error when it no longer exists ("partnership", "round", ...).
    `audit(session)` records the change in the same transaction."""
    token = new_token()
    model = column.class_
    with db.writing() as s:
        done = s.execute(update(model).where(model.id == row_id).values({column: hash_token(token)}))
        if done.rowcount == 0:  # type: ignore[attr-defined]
            raise fail(what, f"This {what} no longer exists.")
        if audit is not None:
            audit(s)
    return token
