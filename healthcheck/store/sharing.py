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

The tables live in `healthcheck.store.models`; the Alembic revisions 0002 and 0005 create them.
"""

from __future__ import annotations

import secrets
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

from sqlalchemy import delete, select

from healthcheck.store import audit
from healthcheck.store.checks import fail
from healthcheck.store.db import now
from healthcheck.store.models import MAX_NAME, Funder, Partnership, Round, Share, ShareCode
from healthcheck.store.records import FunderInfo, SharedRound, funder_info, shared_round_info
from healthcheck.store.repository import Store
from healthcheck.store.throttle import Throttle, funder_key, throttle_message
from healthcheck.store.tokens import hash_token, new_token, rotate_token, row_by_token

__all__ = [
    "BAD_CODE",
    "BAD_INVITATION",
    "CODE_ALPHABET",
    "DEFAULT_CODE_VALIDITY",
    "Funder",
    "FunderInfo",
    "Share",
    "ShareCode",
    "SharedRound",
    "create_funder",
    "create_share_code",
    "funder_by_invitation",
    "funder_by_token",
    "get_funder",
    "list_funders",
    "invitation_token",
    "new_invitation",
    "normalise_code",
    "redeem_share_code",
    "revoke",
    "rotate_funder_token",
    "share_round",
    "shared_round_records",
    "shared_rounds",
    "shares_of_round",
]

# Share codes are read out and typed by people: no 0/O, 1/I/L, 5/S, 2/Z look-alikes.
CODE_ALPHABET = "ABCDEFGHJKMNPQRTUVWXY346789"
_CODE_GROUPS, _CODE_GROUP_LEN = 3, 4  # 12 symbols of 27: about 57 bits, single use, short-lived
DEFAULT_CODE_VALIDITY = timedelta(days=14)


# --------------------------------------------------------------------------------------------
# Funders


def create_funder(store: Store, name: str) -> tuple[FunderInfo, str]:
    """A new funder with its link token (shown once; only its hash is kept)."""
    if not isinstance(name, str) or not name.strip():
        raise fail("name", "Please give the funder's name.")
    cleaned = " ".join(name.split())
    if len(cleaned) > MAX_NAME:
        raise fail("name", f"The name is too long (at most {MAX_NAME} characters).")
    token = new_token()
    with store.writing() as s:
        f = Funder(name=cleaned, token_hash=hash_token(token), created_at=now())
        s.add(f)
        s.flush()
        info = funder_info(f)
    return info, token


def funder_by_token(store: Store, token: str | None) -> FunderInfo | None:
    return row_by_token(store, select(Funder), Funder.token_hash, token, funder_info)


def get_funder(store: Store, funder_id: int) -> FunderInfo | None:
    with store.reading() as s:
        f = s.get(Funder, funder_id)
        return funder_info(f) if f is not None else None


def list_funders(store: Store) -> list[FunderInfo]:
    with store.reading() as s:
        return [funder_info(f) for f in s.scalars(select(Funder).order_by(Funder.name, Funder.id))]


def rotate_funder_token(store: Store, funder_id: int) -> str:
    """A new link for a funder; the old one stops working."""
    return rotate_token(store, Funder.token_hash, funder_id, "funder")


def new_invitation(store: Store, funder_id: int) -> str:
    """A new invitation token for partnerships to share with this funder; the old one stops working."""
    return rotate_token(store, Funder.invite_hash, funder_id, "funder")


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
    return row_by_token(store, select(Funder), Funder.invite_hash, invitation_token(link_or_token),
                        funder_info)


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


def _what(include_comments: bool) -> str:
    return "scores, findings and comments" if include_comments else "scores and findings, no comments"


def create_share_code(store: Store, round_id: int, include_comments: bool = False,
                      valid_for: timedelta = DEFAULT_CODE_VALIDITY, *, by: str = "admin") -> str:
    """A short code the partnership gives a funder: one use, expires after `valid_for`."""
    raw = "".join(secrets.choice(CODE_ALPHABET) for _ in range(_CODE_GROUPS * _CODE_GROUP_LEN))
    code = _format_code(raw)
    with store.writing() as s:
        r = s.get(Round, round_id)
        if r is None:
            raise fail("round", "This round no longer exists.")
        audit.add(s, r.partnership_id, by, "share_code.made",
                  f"Made a share code for the round '{r.label}' ({_what(include_comments)}), valid for "
                  f"{valid_for.days} days.")
        stamp = now()
        s.execute(delete(ShareCode).where(ShareCode.expires_at <= stamp))  # tidy up stale codes
        s.add(ShareCode(code_hash=hash_token(code), round_id=round_id,
                        include_comments=bool(include_comments), expires_at=stamp + valid_for))
    return code


BAD_CODE = ("This share code does not work. It may have been mistyped, used already or have "
            "expired: ask the partnership for a new one.")


def redeem_share_code(store: Store, funder_id: int, code: str, *,
                      throttle: Throttle | None = None) -> SharedRound:
    """Add the round behind a share code to the funder's portfolio; the code is used up.

    Wrong codes are throttled per funder (`healthcheck.store.throttle`): after a few, each further try
    must wait. A code that is not even shaped like one is refused without counting: it cannot
    be a guess."""
    canonical = normalise_code(code)
    if canonical is None:
        raise fail("code", BAD_CODE)
    throttle = throttle or Throttle(store, funder_key(funder_id))
    attempt = throttle.begin()
    if not attempt.allowed:
        raise fail("code", throttle_message(attempt.wait))
    digest = hash_token(canonical)
    with store.writing() as s:
        if s.get(Funder, funder_id) is None:
            raise fail("funder", "This funder no longer exists.")
        # Delete first: of two funders racing for one code, only one gets the row back.
        row = s.execute(delete(ShareCode).where(ShareCode.code_hash == digest)
                        .returning(ShareCode.round_id, ShareCode.include_comments, ShareCode.expires_at)
                        ).first()
        if row is None or row.expires_at <= now():
            raise fail("code", BAD_CODE)
        _upsert_share(s, row.round_id, funder_id, bool(row.include_comments))
        _log_share(s, row.round_id, funder_id, "funder", "share.made",
                   "entered a share code: the round '{round}' is now shared with it ({what}).",
                   bool(row.include_comments))
    throttle.succeeded(attempt)
    result = _shared_round(store, funder_id, row.round_id)
    assert result is not None
    return result


def share_round(store: Store, round_id: int, funder_id: int, include_comments: bool = False, *,
                by: str = "admin", invitation: bool = False) -> SharedRound:
    """Share a round with a funder directly (sharing again updates `include_comments`).
    `invitation`: the admin is answering the funder's invitation (so the audit log says)."""
    with store.writing() as s:
        if s.get(Round, round_id) is None:
            raise fail("round", "This round no longer exists.")
        if s.get(Funder, funder_id) is None:
            raise fail("funder", "This funder no longer exists.")
        _upsert_share(s, round_id, funder_id, bool(include_comments), replace=True)
        if invitation:
            _log_share(s, round_id, funder_id, by, "invitation.accepted",
                       "accepted the invitation of {funder}: shared the round '{round}' ({what}).",
                       bool(include_comments))
        else:
            _log_share(s, round_id, funder_id, by, "share.made",
                       "shared the round '{round}' with {funder} ({what}).", bool(include_comments))
    result = _shared_round(store, funder_id, round_id)
    assert result is not None
    return result


def _upsert_share(s: Any, round_id: int, funder_id: int, include_comments: bool,
                  replace: bool = False) -> None:
    existing = s.scalars(select(Share).where(Share.round_id == round_id, Share.funder_id == funder_id)
                         .with_for_update()).first()
    if existing is None:
        s.add(Share(round_id=round_id, funder_id=funder_id, include_comments=include_comments,
                    created_at=now()))
    elif replace or include_comments:
        existing.include_comments = include_comments
    s.flush()


def _log_share(s: Any, round_id: int, funder_id: int, by: str, action: str, template: str,
               include_comments: bool) -> None:
    """An audit event about sharing one round with one funder (names, never a code or token)."""
    r, f = s.get(Round, round_id), s.get(Funder, funder_id)
    if r is None:
        return
    funder = f"the funder '{f.name}'" if f is not None else "a funder"
    text = template.format(round=r.label, funder=funder, what=_what(include_comments))
    audit.add(s, r.partnership_id, by, action, text[0].upper() + text[1:] if by != "funder"
              else f"{funder[0].upper()}{funder[1:]} {text}")


def revoke(store: Store, funder_id: int, round_id: int, *, by: str = "admin") -> bool:
    """Stop sharing a round with a funder. True if it was shared."""
    with store.writing() as s:
        done = s.execute(delete(Share).where(Share.round_id == round_id, Share.funder_id == funder_id))
        if done.rowcount:  # type: ignore[attr-defined]
            _log_share(s, round_id, funder_id, by, "share.revoked",
                       "stopped sharing the round '{round}' with {funder}.", False)
        return bool(done.rowcount)  # type: ignore[attr-defined]


def _shared_query() -> Any:
    return (select(Share, Round, Partnership)
            .join(Round, Round.id == Share.round_id)
            .join(Partnership, Partnership.id == Round.partnership_id))


def _shared_round(store: Store, funder_id: int, round_id: int) -> SharedRound | None:
    with store.reading() as s:
        query = _shared_query().where(Share.funder_id == funder_id, Share.round_id == round_id)
        row = s.execute(query).first()
        return shared_round_info(*row) if row else None


def shared_rounds(store: Store, funder_id: int) -> list[SharedRound]:
    """Every round shared with this funder, by partnership name then round order (oldest first)."""
    with store.reading() as s:
        rows = s.execute(_shared_query().where(Share.funder_id == funder_id)
                         .order_by(Partnership.name, Partnership.id, Round.opened_at, Round.id)).all()
        return [shared_round_info(*row) for row in rows]


def shares_of_round(store: Store, round_id: int) -> list[tuple[FunderInfo, bool]]:
    """Who a round is shared with (for the partnership's own screens), with include_comments."""
    with store.reading() as s:
        rows = s.execute(select(Funder, Share.include_comments).join(Share, Share.funder_id == Funder.id)
                         .where(Share.round_id == round_id).order_by(Funder.name, Funder.id)).all()
        return [(funder_info(f), bool(c)) for f, c in rows]


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
