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
- Wrong typed join codes are slowed down by `healthcheck.store.throttle`, counted in the store per
  browser session (a rerun cannot reset it); nobody else's guessing makes a participant wait.

Join codes and which questions a workshop asks are pure logic (`healthcheck.core.workshop`);
the results are assessed in `healthcheck.services.workshop`, the QR code drawn in
`healthcheck.present.qr`. Nothing here imports Streamlit.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from healthcheck.core.errors import InputError, Problem
from healthcheck.core.frameworks import LEVELS
from healthcheck.core.questionnaire import Questionnaire
from healthcheck.core.workshop import (
    CODE_ALPHABET,
    CODE_LENGTH,
    DEFAULT_QUESTIONNAIRE,
    chosen_dimensions,
    format_join_code,
    items_for,
    new_join_code,
    normalise_join_code,
    questionnaire_by_id,
)
from healthcheck.store import audit
from healthcheck.store.checks import clean_name, fail
from healthcheck.store.db import now
from healthcheck.store.models import (
    MAX_PARTICIPANT_KEY,
    Organisation,
    Partnership,
    Response,
    Round,
    Workshop,
    WorkshopParticipant,
)
from healthcheck.store.records import LiveStatus, WorkshopInfo, workshop_info
from healthcheck.store.repository import Store
from healthcheck.store.tokens import hash_token, new_token, rotate_token, row_by_token

__all__ = [
    "CODE_ALPHABET",
    "CODE_LENGTH",
    "DEFAULT_QUESTIONNAIRE",
    "LiveStatus",
    "Workshop",
    "WorkshopInfo",
    "WorkshopParticipant",
    "close",
    "create_workshop",
    "format_join_code",
    "get_workshop",
    "has_submitted",
    "live_status",
    "lookup_join_code",
    "new_join_code",
    "paced_round",
    "normalise_join_code",
    "register_participant",
    "reveal",
    "rotate_facilitator_token",
    "drawn_version",
    "state_version",
    "submit",
    "workshop_by_facilitator_token",
    "workshop_by_join_code",
    "workshops_of",
]

_CODE_ATTEMPTS = 20


def _query() -> Any:
    return (select(Workshop, Round, Partnership)
            .join(Round, Round.id == Workshop.round_id)
            .join(Partnership, Partnership.id == Round.partnership_id))


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
    by: str = "admin",
    paced: bool = False,
) -> tuple[WorkshopInfo, str]:
    """Open a workshop (a new round of kind "workshop"); returns it with the facilitator token.
    `paced`: the facilitator steps the room through the questions one at a time.

    The token is shown once; only its hash is stored."""
    problems: list[Problem] = []
    title = clean_name(title, "title", "a title for the workshop", problems)
    if problems:
        raise InputError(problems)
    q = questionnaire if questionnaire is not None else questionnaire_by_id(questionnaire_id)
    chosen = chosen_dimensions(dimensions, q)
    token = new_token()
    for _ in range(_CODE_ATTEMPTS):
        code = new_join_code()
        try:
            with store.writing() as s:
                p = s.get(Partnership, partnership_id)
                if p is None:
                    raise fail("partnership", "This partnership no longer exists.")
                stamp = now()
                r = Round(partnership_id=partnership_id, label=title, questionnaire_id=q.id,
                          questionnaire_version=q.version, kind="workshop",
                          # Nobody answers a workshop by link: the respondent token is thrown away.
                          respondent_token_hash=hash_token(new_token()), opened_at=stamp, closed_at=None)
                s.add(r)
                s.flush()
                w = Workshop(round_id=r.id, title=title, join_code=code,
                             facilitator_token_hash=hash_token(token), questionnaire_id=q.id,
                             dimensions=list(chosen) if chosen else None, revealed=False, created_at=stamp,
                             paced=bool(paced), position=0, closed_items=[], version=0)
                s.add(w)
                s.flush()
                areas = f"{len(chosen)} area(s)" if chosen else "every area"
                audit.add(s, partnership_id, by, "workshop.created",
                          f"Created the live workshop '{title}' ({q.id} questionnaire, {areas}).")
                return workshop_info(w, r, p), token
        except IntegrityError:  # the code was taken meanwhile: roll back and draw another
            continue
    raise RuntimeError("could not find a free join code")  # pragma: no cover - ~887 million codes


def get_workshop(store: Store, workshop_id: int) -> WorkshopInfo | None:
    with store.reading() as s:
        row = s.execute(_query().where(Workshop.id == workshop_id)).first()
        return workshop_info(*row) if row else None


def state_version(store: Store, workshop_id: int) -> str | None:
    """A short text that changes whenever what a phone shows must change: the reveal, the close,
    and in a paced workshop every move of the facilitator (`version`). Phones ask for it every
    couple of seconds (`ui.widgets.beacon`); it reads one row and says nothing about anyone's
    answers. None when there is no such workshop."""
    with store.reading() as s:
        query = (select(Workshop.revealed, Workshop.closed_at, Workshop.version)
                 .where(Workshop.id == workshop_id))
        row = s.execute(query).first()
    return None if row is None else _version(bool(row.revealed), row.closed_at is None, int(row.version or 0))


def drawn_version(w: WorkshopInfo) -> str:
    """The state version of what a page drew from `w` (compared with `state_version` later)."""
    return _version(w.revealed, w.is_open, w.version)


def _version(revealed: bool, is_open: bool, version: int) -> str:
    return f"r{int(revealed)}o{int(is_open)}v{version}"


def workshop_by_facilitator_token(store: Store, token: str | None) -> WorkshopInfo | None:
    return row_by_token(store, _query(), Workshop.facilitator_token_hash, token, workshop_info)


def rotate_facilitator_token(store: Store, workshop_id: int, *, by: str = "admin") -> str:
    """A new facilitator link for a workshop; the old one stops working."""

    def log(s: Any) -> None:
        w = s.get(Workshop, workshop_id)
        r = s.get(Round, w.round_id) if w is not None else None
        if w is not None and r is not None:
            audit.add(s, r.partnership_id, by, "facilitator_link.replaced",
                      f"A new facilitator link was made for the workshop '{w.title}'; the old one stopped "
                      "working.")

    return rotate_token(store, Workshop.facilitator_token_hash, workshop_id, "workshop", log)


def lookup_join_code(store: Store, code: object) -> WorkshopInfo | None:
    """The workshop with this code, open or closed (None if no such code)."""
    canonical = normalise_join_code(code)
    if canonical is None:
        return None
    with store.reading() as s:
        row = s.execute(_query().where(Workshop.join_code == canonical)).first()
        return workshop_info(*row) if row else None


def workshop_by_join_code(store: Store, code: object) -> WorkshopInfo | None:
    """The open workshop with this code; None for unknown codes and closed workshops."""
    w = lookup_join_code(store, code)
    return w if w is not None and w.is_open else None


def paced_round(store: Store, round_id: int) -> bool:
    """Whether the round is a facilitator-paced workshop's (its figures are then the whole
    room's only: `healthcheck.core.anonymity.room`)."""
    with store.reading() as s:
        return bool(s.scalar(select(Workshop.paced).where(Workshop.round_id == round_id)))


def workshops_of(store: Store, partnership_id: int) -> list[WorkshopInfo]:
    """A partnership's workshops, newest first."""
    with store.reading() as s:
        rows = s.execute(_query().where(Round.partnership_id == partnership_id)
                         .order_by(Workshop.created_at.desc(), Workshop.id.desc())).all()
        return [workshop_info(*row) for row in rows]


def reveal(store: Store, workshop_id: int, revealed: bool = True, *, by: str = "facilitator") -> WorkshopInfo:
    """Show (or hide again) the results on the console and to participants."""
    with store.writing() as s:
        w = s.get(Workshop, workshop_id)
        if w is None:
            raise fail("workshop", "This workshop no longer exists.")
        r = s.get(Round, w.round_id)
        if bool(w.revealed) != bool(revealed) and r is not None:
            if revealed:
                audit.add(s, r.partnership_id, by, "workshop.revealed",
                          f"Showed the results of the workshop '{w.title}' to the room.")
            else:
                audit.add(s, r.partnership_id, by, "workshop.hidden",
                          f"Hid the results of the workshop '{w.title}' again.")
        w.revealed = bool(revealed)
        w.version = (w.version or 0) + 1  # paced phones follow the reveal
    info = get_workshop(store, workshop_id)
    assert info is not None
    return info


def close(store: Store, workshop_id: int, *, by: str = "facilitator") -> WorkshopInfo:
    """No more answers: closes the workshop and its round together. Closing twice changes nothing."""
    with store.writing() as s:
        w = s.get(Workshop, workshop_id)
        if w is None:
            raise fail("workshop", "This workshop no longer exists.")
        # Lock the round: a submission in flight (FOR SHARE) finishes first, later ones are refused.
        r = s.get(Round, w.round_id, with_for_update=True)
        stamp = now()
        if r is not None and (w.closed_at is None or r.closed_at is None):
            audit.add(s, r.partnership_id, by, "workshop.closed",
                      f"Closed the workshop '{w.title}': it no longer takes answers.")
        if w.closed_at is None:
            w.closed_at = stamp
            w.version = (w.version or 0) + 1
        if r is not None and r.closed_at is None:
            r.closed_at = stamp
    info = get_workshop(store, workshop_id)
    assert info is not None
    return info


def _valid_key(key: object) -> str:
    if not isinstance(key, str) or not key.strip() or len(key.strip()) > MAX_PARTICIPANT_KEY:
        raise fail("response", "The form is missing its key; please reload the page.")
    return key.strip()


def register_participant(store: Store, workshop_id: int, participant_key: str) -> bool:
    """Count someone who opened the form (once per key). True if new."""
    key = _valid_key(participant_key)
    with store.writing() as s:
        stmt = (store.dialect_insert()(WorkshopParticipant)
                .values(workshop_id=workshop_id, participant_key=key, joined_at=now())
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
    q = questionnaire if questionnaire is not None else questionnaire_by_id(workshop.questionnaire_id)
    asked = {i.id for i in items_for(workshop.dimensions, q)}
    extra = sorted(k for k in answers if k not in asked)
    if extra:
        raise fail("response", f"These questions are not part of this workshop: {', '.join(extra)}.")
    if level not in LEVELS:
        raise fail("level", "Please say at which level you work: " + ", ".join(LEVELS.values()) + ".")
    key = _valid_key(submission_key)
    # No read of the workshop first: closing it closes its round in the same transaction, and
    # the round's check below runs inside the write (one transaction per answer, not two).
    try:
        return store.submit_response(workshop.round_id, organisation_id, level, None, dict(answers), {},
                                     f"ws:{key}")
    except InputError as exc:
        if any(p.path == "round" for p in exc.problems):
            raise fail("workshop", "This workshop has ended and no longer takes answers.") from exc
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
        info = workshop_info(*row)
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
