"""Live workshops: a partnership answers the pulse questionnaire on phones during a meeting.

A workshop IS a round of its partnership (kind "workshop") plus a `workshops` row holding what the
room needs: a title, a short join code, the facilitator's token (stored as its SHA-256 hash), the
questionnaire and an optional subset of dimensions, whether results are revealed, and when it
closed. Because it is a round, its results show on the partnership's dashboard and trend, and its
responses go through `Store.submit_response` (idempotent per submission key; refused once closed).

- Participants join with the code (no account). Codes use an alphabet without look-alikes
  (no 0/O, 1/I/L), are case-insensitive and ignore spaces and dashes. A code is unique among all
  workshops ever made, so a closed workshop's code is recognised as "ended", never reused.
- The facilitator's console needs the facilitator token (>= 128 bits); a join code never opens it.
- Results are hidden until the facilitator reveals them (no anchoring); closing stops answers.
- Wrong join codes are slowed down by `healthcheck.throttle`, counted in the store per coarse
  client and app-wide, so neither a new session nor a new address starts afresh.

Nothing here imports Streamlit.
"""

from __future__ import annotations

import io
import secrets
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pandas as pd
from sqlalchemy import Boolean, ForeignKey, Integer, String, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, mapped_column

from healthcheck.core.errors import InputError, Problem
from healthcheck.core.frameworks import DIMENSION_BY_ID, DIMENSION_IDS, LEVELS
from healthcheck.core.questionnaire import Item, Questionnaire
from healthcheck.store import (
    Base,
    JSONType,
    Organisation,
    Partnership,
    Response,
    Round,
    Store,
    UTCDateTime,
    _clean_name,
    _lookup_hash,
    _now,
    hash_token,
    new_token,
)

__all__ = [
    "CODE_ALPHABET",
    "CODE_LENGTH",
    "DEFAULT_QUESTIONNAIRE",
    "LiveStatus",
    "WorkshopInfo",
    "answer_distribution",
    "close",
    "create_workshop",
    "get_workshop",
    "has_submitted",
    "items_for",
    "join_url",
    "live_status",
    "lookup_join_code",
    "normalise_join_code",
    "qr_png",
    "qr_svg",
    "register_participant",
    "reveal",
    "rotate_facilitator_token",
    "submit",
    "workshop_assessment",
    "workshop_by_facilitator_token",
    "workshop_by_join_code",
    "workshops_of",
]

# Read out loud and typed on phones: no 0/O, 1/I/L look-alikes. 31 symbols, 6 long: ~887 million codes.
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 6
DEFAULT_QUESTIONNAIRE = "pulse"
_MAX_KEY = 64
_CODE_ATTEMPTS = 20


# --------------------------------------------------------------------------------------------
# Models (created by Alembic revision 0003)


class Workshop(Base):
    __tablename__ = "workshops"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("rounds.id", ondelete="CASCADE"), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    join_code: Mapped[str] = mapped_column(String(CODE_LENGTH), unique=True)
    facilitator_token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    questionnaire_id: Mapped[str] = mapped_column(String(100))
    dimensions: Mapped[list[str] | None] = mapped_column(JSONType, nullable=True)
    revealed: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=_now)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class WorkshopParticipant(Base):
    """Someone who opened the workshop's form (by its random key; no identity at all)."""

    __tablename__ = "workshop_participants"

    workshop_id: Mapped[int] = mapped_column(ForeignKey("workshops.id", ondelete="CASCADE"),
                                             primary_key=True)
    participant_key: Mapped[str] = mapped_column(String(_MAX_KEY), primary_key=True)
    joined_at: Mapped[datetime] = mapped_column(UTCDateTime, default=_now)


# --------------------------------------------------------------------------------------------
# Plain results


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

    @property
    def is_open(self) -> bool:
        return self.closed_at is None


@dataclass(frozen=True)
class LiveStatus:
    """What the console shows while the workshop runs. `by_organisation` holds exact counts:
    show them through `count_text` (below the threshold: "fewer than N")."""

    participants: int
    submissions: int
    by_organisation: dict[str, int]
    revealed: bool
    is_open: bool


def _info(w: Workshop, r: Round, p: Partnership) -> WorkshopInfo:
    closed = w.closed_at or r.closed_at  # a round closed from the Rounds page closes the workshop
    return WorkshopInfo(
        id=w.id, round_id=w.round_id, partnership_id=p.id, partnership_name=p.name, threshold=p.threshold,
        title=w.title, join_code=w.join_code, questionnaire_id=w.questionnaire_id,
        dimensions=tuple(w.dimensions) if w.dimensions else None, revealed=bool(w.revealed),
        created_at=w.created_at, closed_at=closed,
    )


def _query() -> Any:
    return (select(Workshop, Round, Partnership)
            .join(Round, Round.id == Workshop.round_id)
            .join(Partnership, Partnership.id == Round.partnership_id))


def _fail(path: str, message: str) -> InputError:
    return InputError([Problem(path=path, message=message)])


# --------------------------------------------------------------------------------------------
# Join codes


def new_join_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def normalise_join_code(code: object) -> str | None:
    """The canonical code (upper case; spaces, dashes and dots ignored), or None if it cannot be one."""
    if not isinstance(code, str) or len(code) > 40:
        return None
    raw = "".join(ch for ch in code.upper() if ch not in " -._\t\n")
    if len(raw) != CODE_LENGTH or any(ch not in CODE_ALPHABET for ch in raw):
        return None
    return raw


def format_join_code(code: str) -> str:
    """For reading out: 'ABC 234'."""
    half = len(code) // 2
    return f"{code[:half]} {code[half:]}"


# --------------------------------------------------------------------------------------------
# Questionnaire subset


def _load_questionnaire(questionnaire_id: str) -> Questionnaire:
    from healthcheck.core.questionnaire import find_questionnaire, load_questionnaire

    return load_questionnaire(find_questionnaire(questionnaire_id))


def items_for(dimensions: Sequence[str] | None, questionnaire: Questionnaire) -> list[Item]:
    """The items a workshop asks, in questionnaire order: all of them, or (with a subset of
    dimensions) the likert items measuring at least one of those dimensions."""
    if not dimensions:
        return list(questionnaire.items)
    wanted = set(dimensions)
    return [i for i in questionnaire.likert_items if any(d.id in wanted for d in i.dimensions)]


def asked_dimensions(dimensions: Sequence[str] | None, questionnaire: Questionnaire) -> tuple[str, ...]:
    """The dimensions a workshop reports on, in framework order."""
    if not dimensions:
        return questionnaire.dimensions
    wanted = set(dimensions)
    return tuple(d for d in questionnaire.dimensions if d in wanted)


def _check_dimensions(dimensions: Iterable[str] | None, q: Questionnaire) -> tuple[str, ...] | None:
    if dimensions is None:
        return None
    chosen = list(dict.fromkeys(dimensions))
    if not chosen:
        return None
    unknown = [d for d in chosen if d not in DIMENSION_BY_ID]
    if unknown:
        raise _fail("dimensions", f"Unknown area(s): {', '.join(map(str, unknown))}.")
    missing = [d for d in chosen if d not in q.dimensions]
    if missing:
        raise _fail("dimensions", f"The {q.title} does not ask about: "
                    + ", ".join(DIMENSION_BY_ID[d].label for d in missing) + ".")
    order = {d: i for i, d in enumerate(DIMENSION_IDS)}
    return tuple(sorted(chosen, key=order.__getitem__))


# --------------------------------------------------------------------------------------------
# Workshops


def create_workshop(
    store: Store,
    partnership_id: int,
    title: str,
    questionnaire_id: str = DEFAULT_QUESTIONNAIRE,
    dimensions: Iterable[str] | None = None,
    *,
    questionnaire: Questionnaire | None = None,
) -> tuple[WorkshopInfo, str]:
    """Open a workshop (a new round of kind "workshop"); returns it with the facilitator token.

    The token is shown once; only its hash is stored."""
    problems: list[Problem] = []
    title = _clean_name(title, "title", "a title for the workshop", problems)
    if problems:
        raise InputError(problems)
    q = questionnaire if questionnaire is not None else _load_questionnaire(questionnaire_id)
    chosen = _check_dimensions(dimensions, q)
    token = new_token()
    for _ in range(_CODE_ATTEMPTS):
        code = new_join_code()
        try:
            with store.writing() as s:
                p = s.get(Partnership, partnership_id)
                if p is None:
                    raise _fail("partnership", "This partnership no longer exists.")
                now = _now()
                r = Round(partnership_id=partnership_id, label=title, questionnaire_id=q.id,
                          questionnaire_version=q.version, kind="workshop",
                          # Nobody answers a workshop by link: the respondent token is thrown away.
                          respondent_token_hash=hash_token(new_token()), opened_at=now, closed_at=None)
                s.add(r)
                s.flush()
                w = Workshop(round_id=r.id, title=title, join_code=code,
                             facilitator_token_hash=hash_token(token), questionnaire_id=q.id,
                             dimensions=list(chosen) if chosen else None, revealed=False, created_at=now)
                s.add(w)
                s.flush()
                return _info(w, r, p), token
        except IntegrityError:  # the code was taken meanwhile: roll back and draw another
            continue
    raise RuntimeError("could not find a free join code")  # pragma: no cover - ~887 million codes


def get_workshop(store: Store, workshop_id: int) -> WorkshopInfo | None:
    with store.reading() as s:
        row = s.execute(_query().where(Workshop.id == workshop_id)).first()
        return _info(*row) if row else None


def workshop_by_facilitator_token(store: Store, token: str | None) -> WorkshopInfo | None:
    digest = _lookup_hash(token)
    if digest is None:
        return None
    with store.reading() as s:
        row = s.execute(_query().where(Workshop.facilitator_token_hash == digest)).first()
        return _info(*row) if row else None


def rotate_facilitator_token(store: Store, workshop_id: int) -> str:
    """A new facilitator link for a workshop; the old one stops working."""
    token = new_token()
    with store.writing() as s:
        w = s.get(Workshop, workshop_id)
        if w is None:
            raise _fail("workshop", "This workshop no longer exists.")
        w.facilitator_token_hash = hash_token(token)
    return token


def lookup_join_code(store: Store, code: object) -> WorkshopInfo | None:
    """The workshop with this code, open or closed (None if no such code)."""
    canonical = normalise_join_code(code)
    if canonical is None:
        return None
    with store.reading() as s:
        row = s.execute(_query().where(Workshop.join_code == canonical)).first()
        return _info(*row) if row else None


def workshop_by_join_code(store: Store, code: object) -> WorkshopInfo | None:
    """The open workshop with this code; None for unknown codes and closed workshops."""
    w = lookup_join_code(store, code)
    return w if w is not None and w.is_open else None


def workshops_of(store: Store, partnership_id: int) -> list[WorkshopInfo]:
    """A partnership's workshops, newest first."""
    with store.reading() as s:
        rows = s.execute(_query().where(Round.partnership_id == partnership_id)
                         .order_by(Workshop.created_at.desc(), Workshop.id.desc())).all()
        return [_info(*row) for row in rows]


def reveal(store: Store, workshop_id: int, revealed: bool = True) -> WorkshopInfo:
    """Show (or hide again) the results on the console and to participants."""
    with store.writing() as s:
        w = s.get(Workshop, workshop_id)
        if w is None:
            raise _fail("workshop", "This workshop no longer exists.")
        w.revealed = bool(revealed)
    info = get_workshop(store, workshop_id)
    assert info is not None
    return info


def close(store: Store, workshop_id: int) -> WorkshopInfo:
    """No more answers: closes the workshop and its round together. Closing twice changes nothing."""
    with store.writing() as s:
        w = s.get(Workshop, workshop_id)
        if w is None:
            raise _fail("workshop", "This workshop no longer exists.")
        # Lock the round: a submission in flight (FOR SHARE) finishes first, later ones are refused.
        r = s.get(Round, w.round_id, with_for_update=True)
        now = _now()
        if w.closed_at is None:
            w.closed_at = now
        if r is not None and r.closed_at is None:
            r.closed_at = now
    info = get_workshop(store, workshop_id)
    assert info is not None
    return info


def _valid_key(key: object) -> str:
    if not isinstance(key, str) or not key.strip() or len(key.strip()) > _MAX_KEY:
        raise _fail("response", "The form is missing its key; please reload the page.")
    return key.strip()


def register_participant(store: Store, workshop_id: int, participant_key: str) -> bool:
    """Count someone who opened the form (once per key). True if new."""
    key = _valid_key(participant_key)
    with store.writing() as s:
        stmt = (store.dialect_insert()(WorkshopParticipant)
                .values(workshop_id=workshop_id, participant_key=key, joined_at=_now())
                .on_conflict_do_nothing(index_elements=["workshop_id", "participant_key"])
                .returning(WorkshopParticipant.workshop_id))
        return s.execute(stmt).first() is not None


def submit(
    store: Store,
    workshop: WorkshopInfo,
    organisation_id: int,
    level: str,
    answers: Mapping[str, int | str],
    submission_key: str,
    questionnaire: Questionnaire | None = None,
) -> bool:
    """Store one participant's answers (only the workshop's items). True if stored, False if this
    key was stored before. A closed workshop refuses (InputError)."""
    q = questionnaire if questionnaire is not None else _load_questionnaire(workshop.questionnaire_id)
    asked = {i.id for i in items_for(workshop.dimensions, q)}
    extra = sorted(k for k in answers if k not in asked)
    if extra:
        raise _fail("response", f"These questions are not part of this workshop: {', '.join(extra)}.")
    if level not in LEVELS:
        raise _fail("level", "Please say at which level you work: " + ", ".join(LEVELS.values()) + ".")
    key = _valid_key(submission_key)
    current = get_workshop(store, workshop.id)
    if current is None or not current.is_open:
        raise _fail("workshop", "This workshop has ended and no longer takes answers.")
    try:
        return store.submit_response(workshop.round_id, organisation_id, level, None, dict(answers), {},
                                     f"ws:{key}")
    except InputError as exc:
        if any(p.path == "round" for p in exc.problems):
            raise _fail("workshop", "This workshop has ended and no longer takes answers.") from exc
        raise


def has_submitted(store: Store, workshop: WorkshopInfo, submission_key: str) -> bool:
    if not isinstance(submission_key, str) or not submission_key.strip():
        return False
    with store.reading() as s:
        found = s.execute(select(Response.id).where(Response.round_id == workshop.round_id,
                                                    Response.submission_key == f"ws:{submission_key.strip()}")
                          ).first()
        return found is not None


def live_status(store: Store, workshop_id: int) -> LiveStatus | None:
    """Counts for the console, read fresh from the store (one short read transaction)."""
    with store.reading() as s:
        row = s.execute(_query().where(Workshop.id == workshop_id)).first()
        if row is None:
            return None
        info = _info(*row)
        participants = s.scalar(select(func.count()).select_from(WorkshopParticipant)
                                .where(WorkshopParticipant.workshop_id == workshop_id)) or 0
        counts = dict(s.execute(select(Response.organisation_id, func.count())
                                .where(Response.round_id == info.round_id)
                                .group_by(Response.organisation_id)).all())
        orgs = s.execute(select(Organisation.id, Organisation.name)
                         .where(Organisation.partnership_id == info.partnership_id)
                         .order_by(Organisation.id)).all()
    by_org = {name: int(counts.get(oid, 0)) for oid, name in orgs}
    submissions = sum(by_org.values())
    # Someone who submitted from a reloaded page may not have registered: never fewer joined than sent.
    return LiveStatus(participants=max(int(participants), submissions), submissions=submissions,
                      by_organisation=by_org, revealed=info.revealed, is_open=info.is_open)


# --------------------------------------------------------------------------------------------
# Results helpers (plain data; the pages draw them)


def workshop_assessment(store: Store, workshop: WorkshopInfo, questionnaire: Questionnaire,
                        pack: Any | None) -> tuple[list[dict[str, Any]], pd.DataFrame, Any | None]:
    """The workshop's records, canonical table and (with a rule pack, once anyone answered) its
    assessment, read fresh from the store."""
    from healthcheck.core.assess import assess
    from healthcheck.core.responses import frame_from_records

    records = store.response_records(workshop.round_id)
    frame = frame_from_records(records, questionnaire, partnership=workshop.partnership_name)
    assessment = None
    if pack is not None and len(frame):
        assessment = assess(questionnaire, frame, pack, workshop.threshold)
    return records, frame, assessment


def answer_distribution(records: Sequence[Mapping[str, Any]], items: Sequence[Item],
                        questionnaire: Questionnaire) -> pd.DataFrame:
    """Counts per answer option per question: columns item, number, question, option, order, count.

    Every option is listed (0 when nobody chose it); unanswered questions are not counted."""
    labels = list(questionnaire.scale.labels)
    rows: list[dict[str, Any]] = []
    for n, item in enumerate(items, start=1):
        if item.type == "likert":
            options: list[tuple[Any, str]] = [(v, labels[v - 1]) for v in range(1, 6)]
            options.append(("dk", questionnaire.scale.dont_know))
        elif item.type == "choice":
            options = [(c.id, c.label) for c in item.choices]
        else:
            continue
        tally: dict[Any, int] = {}
        for rec in records:
            value = (rec.get("answers") or {}).get(item.id)
            if isinstance(value, str) and item.type == "likert":
                value = value.strip().lower()
            if value is not None:
                tally[value] = tally.get(value, 0) + 1
        for order, (value, label) in enumerate(options):
            rows.append({"item": item.id, "number": n, "question": item.text, "option": label,
                         "order": order, "count": int(tally.get(value, 0))})
    return pd.DataFrame(rows, columns=["item", "number", "question", "option", "order", "count"])


# --------------------------------------------------------------------------------------------
# Join link and QR code


def join_url(base_url: str, code: str) -> str:
    return f"{base_url.rstrip('/')}/?join={code}"


def qr_svg(url: str, scale: int = 8) -> str:
    """The QR code of `url` as an inline SVG document (dark on white, quiet zone included)."""
    import segno

    return str(segno.make(url, error="m").svg_inline(scale=scale, dark="#000000", light="#ffffff"))


def qr_png(url: str, scale: int = 10) -> bytes:
    import segno

    buf = io.BytesIO()
    segno.make(url, error="m").save(buf, kind="png", scale=scale, dark="#000000", light="#ffffff")
    return buf.getvalue()
