"""Sharing, not surveillance: funders see only the rounds a partnership chose to share with them.

- A funder is opened by a capability link (`?funder=TOKEN`); only the SHA-256 hash of the token is
  stored, as for admin and respondent links.
- A partnership admin shares a round either directly with a funder it knows (`share_round`) or
  by giving the funder a short, single-use, expiring share code (`create_share_code`), which the
  funder enters (`redeem_share_code`). Codes are stored hashed too; redeeming deletes the code.
- The other way round, a funder can make an invitation link (`new_invitation`, `?invite=TOKEN`)
  and send it to the partnerships it funds. An invitation only names the funder
  (`funder_by_invitation`): sharing stays the partnership's act, from its own Rounds page.
- What a funder may read goes through this module: `shared_rounds` lists only shared rounds;
  `shared_round_records` refuses an unshared round and strips comments unless the partnership
  also shared them. Screens built on the records show aggregates with the partnership's
  anonymity threshold (scoring suppresses small groups), never individual rows.

The tables live on `healthcheck.store.Base`; the Alembic revisions 0002 and 0005 create them.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

from sqlalchemy import Boolean, ForeignKey, Integer, String, UniqueConstraint, delete, select
from sqlalchemy.orm import Mapped, mapped_column

from healthcheck.core.errors import InputError, Problem
from healthcheck.store import (
    Base,
    Partnership,
    PartnershipInfo,
    Round,
    RoundInfo,
    Store,
    UTCDateTime,
    _lookup_hash,
    _now,
    _partnership_info,
    _round_info,
    hash_token,
    new_token,
)
from healthcheck.store.throttle import Throttle, funder_key, throttle_message

__all__ = [
    "BAD_INVITATION",
    "CODE_ALPHABET",
    "DEFAULT_CODE_VALIDITY",
    "FunderInfo",
    "SharedRound",
    "create_funder",
    "create_share_code",
    "funder_by_invitation",
    "funder_by_token",
    "invitation_token",
    "new_invitation",
    "redeem_share_code",
    "revoke",
    "rotate_funder_token",
    "share_round",
    "shared_round_records",
    "shared_rounds",
    "shares_of_round",
]

_MAX_NAME = 200
# Share codes are read out and typed by people: no 0/O, 1/I/L, 5/S, 2/Z look-alikes.
CODE_ALPHABET = "ABCDEFGHJKMNPQRTUVWXY346789"
_CODE_GROUPS, _CODE_GROUP_LEN = 3, 4  # 12 symbols of 27: about 57 bits, single use, short-lived
DEFAULT_CODE_VALIDITY = timedelta(days=14)


# --------------------------------------------------------------------------------------------
# Models


class Funder(Base):
    __tablename__ = "funders"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(_MAX_NAME))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=_now)
    # The funder's current invitation link for partnerships (hashed); None until it makes one.
    invite_hash: Mapped[str | None] = mapped_column(String(64), unique=True, index=True, nullable=True)


class Share(Base):
    __tablename__ = "shares"
    __table_args__ = (UniqueConstraint("round_id", "funder_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("rounds.id", ondelete="CASCADE"))
    funder_id: Mapped[int] = mapped_column(ForeignKey("funders.id", ondelete="CASCADE"), index=True)
    include_comments: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=_now)


class ShareCode(Base):
    __tablename__ = "share_codes"

    code_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("rounds.id", ondelete="CASCADE"), index=True)
    include_comments: Mapped[bool] = mapped_column(Boolean, default=False)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)


# --------------------------------------------------------------------------------------------
# Plain results


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


def _funder_info(f: Funder) -> FunderInfo:
    return FunderInfo(f.id, f.name, f.created_at)


def _fail(path: str, message: str) -> InputError:
    return InputError([Problem(path=path, message=message)])


# --------------------------------------------------------------------------------------------
# Funders


def create_funder(store: Store, name: str) -> tuple[FunderInfo, str]:
    """A new funder with its link token (shown once; only its hash is kept)."""
    if not isinstance(name, str) or not name.strip():
        raise _fail("name", "Please give the funder's name.")
    cleaned = " ".join(name.split())
    if len(cleaned) > _MAX_NAME:
        raise _fail("name", f"The name is too long (at most {_MAX_NAME} characters).")
    token = new_token()
    with store.writing() as s:
        f = Funder(name=cleaned, token_hash=hash_token(token), created_at=_now())
        s.add(f)
        s.flush()
        info = _funder_info(f)
    return info, token


def _funder_by(store: Store, column: Any, token: str | None) -> FunderInfo | None:
    digest = _lookup_hash(token)
    if digest is None:
        return None
    with store.reading() as s:
        f = s.scalars(select(Funder).where(column == digest)).first()
        return _funder_info(f) if f else None


def _replace_token(store: Store, funder_id: int, attribute: str) -> str:
    token = new_token()
    with store.writing() as s:
        f = s.get(Funder, funder_id)
        if f is None:
            raise _fail("funder", "This funder no longer exists.")
        setattr(f, attribute, hash_token(token))
    return token


def funder_by_token(store: Store, token: str | None) -> FunderInfo | None:
    return _funder_by(store, Funder.token_hash, token)


def rotate_funder_token(store: Store, funder_id: int) -> str:
    """A new link for a funder; the old one stops working."""
    return _replace_token(store, funder_id, "token_hash")


def new_invitation(store: Store, funder_id: int) -> str:
    """A new invitation token for partnerships to share with this funder; the old one stops working."""
    return _replace_token(store, funder_id, "invite_hash")


def invitation_token(text: object) -> str | None:
    """The token in what a partnership pasted: the whole invitation link or the token alone."""
    if not isinstance(text, str) or not text.strip():
        return None
    text = text.strip()
    if "invite=" in text:  # a link: take the parameter, whatever else the address holds
        values = parse_qs(urlsplit(text).query if "?" in text else text).get("invite")
        return values[0].strip() if values and values[0].strip() else None
    return text


BAD_INVITATION = ("This invitation link does not work. It may have been mistyped, or the funder has "
                  "made a newer one: ask the funder for its current link.")


def funder_by_invitation(store: Store, link_or_token: str | None) -> FunderInfo | None:
    """The funder whose current invitation this is (link or token), or None."""
    return _funder_by(store, Funder.invite_hash, invitation_token(link_or_token))


# --------------------------------------------------------------------------------------------
# Sharing


def _format_code(raw: str) -> str:
    n = _CODE_GROUP_LEN
    return "-".join(raw[i:i + n] for i in range(0, len(raw), n))


def normalise_code(code: object) -> str | None:
    """The canonical form of a typed code (case, spaces and dashes ignored), or None."""
    if not isinstance(code, str):
        return None
    raw = "".join(ch for ch in code.upper() if ch.isalnum())
    if len(raw) != _CODE_GROUPS * _CODE_GROUP_LEN or any(ch not in CODE_ALPHABET for ch in raw):
        return None
    return _format_code(raw)


def create_share_code(store: Store, round_id: int, include_comments: bool = False,
                      valid_for: timedelta = DEFAULT_CODE_VALIDITY) -> str:
    """A short code the partnership gives a funder: one use, expires after `valid_for`."""
    raw = "".join(secrets.choice(CODE_ALPHABET) for _ in range(_CODE_GROUPS * _CODE_GROUP_LEN))
    code = _format_code(raw)
    with store.writing() as s:
        if s.get(Round, round_id) is None:
            raise _fail("round", "This round no longer exists.")
        now = _now()
        s.execute(delete(ShareCode).where(ShareCode.expires_at <= now))  # tidy up stale codes
        s.add(ShareCode(code_hash=hash_token(code), round_id=round_id,
                        include_comments=bool(include_comments), expires_at=now + valid_for))
    return code


_BAD_CODE = ("This share code does not work. It may have been mistyped, used already or have "
             "expired: ask the partnership for a new one.")


def redeem_share_code(store: Store, funder_id: int, code: str, *,
                      throttle: Throttle | None = None) -> SharedRound:
    """Add the round behind a share code to the funder's portfolio; the code is used up.

    Wrong codes are throttled per funder (`healthcheck.throttle`): after a few, each further try
    must wait. A code that is not even shaped like one is refused without counting: it cannot
    be a guess."""
    canonical = normalise_code(code)
    if canonical is None:
        raise _fail("code", _BAD_CODE)
    throttle = throttle or Throttle(store, funder_key(funder_id))
    attempt = throttle.begin()
    if not attempt.allowed:
        raise _fail("code", throttle_message(attempt.wait))
    digest = hash_token(canonical)
    with store.writing() as s:
        if s.get(Funder, funder_id) is None:
            raise _fail("funder", "This funder no longer exists.")
        # Delete first: of two funders racing for one code, only one gets the row back.
        row = s.execute(delete(ShareCode).where(ShareCode.code_hash == digest)
                        .returning(ShareCode.round_id, ShareCode.include_comments, ShareCode.expires_at)
                        ).first()
        if row is None or row.expires_at <= _now():
            raise _fail("code", _BAD_CODE)
        _upsert_share(s, row.round_id, funder_id, bool(row.include_comments))
    throttle.succeeded(attempt)
    result = _shared_round(store, funder_id, row.round_id)
    assert result is not None
    return result


def share_round(store: Store, round_id: int, funder_id: int, include_comments: bool = False) -> SharedRound:
    """Share a round with a funder directly (sharing again updates `include_comments`)."""
    with store.writing() as s:
        if s.get(Round, round_id) is None:
            raise _fail("round", "This round no longer exists.")
        if s.get(Funder, funder_id) is None:
            raise _fail("funder", "This funder no longer exists.")
        _upsert_share(s, round_id, funder_id, bool(include_comments), replace=True)
    result = _shared_round(store, funder_id, round_id)
    assert result is not None
    return result


def _upsert_share(s: Any, round_id: int, funder_id: int, include_comments: bool,
                  replace: bool = False) -> None:
    existing = s.scalars(select(Share).where(Share.round_id == round_id, Share.funder_id == funder_id)
                         .with_for_update()).first()
    if existing is None:
        s.add(Share(round_id=round_id, funder_id=funder_id, include_comments=include_comments,
                    created_at=_now()))
    elif replace or include_comments:
        existing.include_comments = include_comments
    s.flush()


def revoke(store: Store, funder_id: int, round_id: int) -> bool:
    """Stop sharing a round with a funder. True if it was shared."""
    with store.writing() as s:
        done = s.execute(delete(Share).where(Share.round_id == round_id, Share.funder_id == funder_id))
        return bool(done.rowcount)  # type: ignore[attr-defined]


def _shared_query() -> Any:
    return (select(Share, Round, Partnership)
            .join(Round, Round.id == Share.round_id)
            .join(Partnership, Partnership.id == Round.partnership_id))


def _to_shared(share: Share, r: Round, p: Partnership) -> SharedRound:
    return SharedRound(_partnership_info(p), _round_info(r), bool(share.include_comments), share.created_at)


def _shared_round(store: Store, funder_id: int, round_id: int) -> SharedRound | None:
    with store.reading() as s:
        query = _shared_query().where(Share.funder_id == funder_id, Share.round_id == round_id)
        row = s.execute(query).first()
        return _to_shared(*row) if row else None


def shared_rounds(store: Store, funder_id: int) -> list[SharedRound]:
    """Every round shared with this funder, by partnership name then round order (oldest first)."""
    with store.reading() as s:
        rows = s.execute(_shared_query().where(Share.funder_id == funder_id)
                         .order_by(Partnership.name, Partnership.id, Round.opened_at, Round.id)).all()
        return [_to_shared(*row) for row in rows]


def shares_of_round(store: Store, round_id: int) -> list[tuple[FunderInfo, bool]]:
    """Who a round is shared with (for the partnership's own screens), with include_comments."""
    with store.reading() as s:
        rows = s.execute(select(Funder, Share.include_comments).join(Share, Share.funder_id == Funder.id)
                         .where(Share.round_id == round_id).order_by(Funder.name, Funder.id)).all()
        return [(_funder_info(f), bool(c)) for f, c in rows]


def shared_round_records(store: Store, funder_id: int, round_id: int) -> list[dict[str, Any]] | None:
    """A shared round's answer records for scoring, or None when it is not shared with this funder.

    Comments are removed unless the partnership shared them too. The records feed aggregate
    screens only (scores with the partnership's anonymity threshold); no screen lists them."""
    shared = _shared_round(store, funder_id, round_id)
    if shared is None:
        return None
    records = store.response_records(round_id)
    if not shared.include_comments:
        for rec in records:
            rec["comments"] = {}
    return records
