"""Facilitator-paced workshops: the facilitator's place, answers per question, votes on actions.

The current question lives in the `workshops` row (`position`, `closed_items`, and `version`,
which grows on every change), so every app process serving the room agrees on it, and a phone
follows the facilitator by polling one small number (`pace_version`).

Answers are saved one question at a time, as they are given: one row per participant and
question (saving again replaces the answer while the question is open; once the facilitator has
closed it, the first answer stands). Every write here locks the workshop row first (FOR UPDATE on
PostgreSQL; SQLite writers take turns anyway), so answers are numbered in the order they commit
and a close, a step or a vote never races an answer.

Figures move in steps (`take_step`): a closed question's answers join the figures only when at
least the anonymity threshold of new ones are waiting (the decision is the caller's, see
`healthcheck.services.workshop`); `released_step` records the step each answer joined. An answer
to an item not asked of the participant's kind of organisation (`Item.is_asked_of`) is left out
of every figure, as the close leaves it out of the round (`checks.only_asked`).

Votes: each participant gives up to `MAX_VOTES` votes to the recommended actions, one per action.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from healthcheck.core.errors import InputError
from healthcheck.core.frameworks import LEVELS
from healthcheck.core.workshop import MAX_VOTES
from healthcheck.store.checks import fail, questionnaire
from healthcheck.store.db import now
from healthcheck.store.models import (
    MAX_PARTICIPANT_KEY,
    Organisation,
    Round,
    Workshop,
    WorkshopAnswer,
    WorkshopParticipant,
    WorkshopVote,
)
from healthcheck.store.repository import Store

__all__ = [
    "answer_counts",
    "answer_rows",
    "answers_of",
    "close_question",
    "join",
    "pace_version",
    "participant",
    "participant_kind",
    "save_answer",
    "set_position",
    "take_step",
    "waiting_counts",
    "vote",
    "vote_counts",
    "voters",
    "votes_of",
]

AnswerRow = tuple[str, str, str, str, Any]  # participant key, organisation, level, item, value


def _key(key: object) -> str:
    if not isinstance(key, str) or not key.strip() or len(key.strip()) > MAX_PARTICIPANT_KEY:
        raise fail("response", "The page is missing its key; please reload the page.")
    return key.strip()


def _locked(s: Session, workshop_id: int, open_only: bool = True) -> Workshop:
    w = s.get(Workshop, workshop_id, with_for_update=True)
    if w is None:
        raise fail("workshop", "This workshop no longer exists.")
    if open_only and w.closed_at is not None:
        raise fail("workshop", "This workshop has ended and no longer takes answers.")
    return w


# --------------------------------------------------------------------------------------------
# The facilitator's place


def pace_version(store: Store, workshop_id: int) -> int | None:
    """The cheap number phones poll: it changes whenever the room should see something else."""
    with store.reading() as s:
        return s.scalar(select(Workshop.version).where(Workshop.id == workshop_id))


def set_position(store: Store, workshop_id: int, position: int, count: int) -> int:
    """Make question `position` (0-based, of `count` asked) the current one; returns it."""
    if not isinstance(position, int) or isinstance(position, bool):
        raise fail("position", "That is not a question of this workshop.")
    position = max(0, min(position, max(count - 1, 0)))
    with store.writing() as s:
        w = _locked(s, workshop_id, open_only=False)
        if w.position != position:
            w.position = position
            w.version = (w.version or 0) + 1
    return position


def close_question(store: Store, workshop_id: int, item_id: str) -> None:
    """Close a question: its answers are final, and its spread may be shown. Twice is once."""
    with store.writing() as s:
        w = _locked(s, workshop_id, open_only=False)
        closed = list(w.closed_items or [])
        if item_id not in closed:
            w.closed_items = [*closed, item_id]
            w.version = (w.version or 0) + 1


# --------------------------------------------------------------------------------------------
# Participants and their answers


def join(store: Store, workshop_id: int, participant_key: str, organisation_id: int, level: str) -> None:
    """Record (or change) a participant's organisation and level; they answer after this."""
    key = _key(participant_key)
    if level not in LEVELS:
        raise fail("level", "Please say at which level you work: " + ", ".join(LEVELS.values()) + ".")
    with store.writing() as s:
        w = _locked(s, workshop_id)
        org = s.get(Organisation, organisation_id)
        r = s.get(Round, w.round_id)
        if org is None or r is None or org.partnership_id != r.partnership_id:
            raise fail("organisation", "Please choose one of this partnership's organisations.")
        row = s.get(WorkshopParticipant, (workshop_id, key))
        if row is None:
            s.add(WorkshopParticipant(workshop_id=workshop_id, participant_key=key, joined_at=now(),
                                      organisation_id=org.id, level=level))
        else:
            row.organisation_id, row.level = org.id, level


def participant(store: Store, workshop_id: int, participant_key: str) -> tuple[int, str] | None:
    """(organisation id, level) of a participant who has joined a paced workshop, else None."""
    if not isinstance(participant_key, str) or not participant_key.strip():
        return None
    with store.reading() as s:
        row = s.get(WorkshopParticipant, (workshop_id, participant_key.strip()))
        if row is None or row.organisation_id is None or row.level is None:
            return None
        return row.organisation_id, row.level


def participant_kind(store: Store, workshop_id: int, participant_key: str) -> str | None:
    """The kind of a joined participant's organisation (what `Item.is_asked_of` goes by), else None."""
    if not isinstance(participant_key, str) or not participant_key.strip():
        return None
    with store.reading() as s:
        return s.scalar(select(Organisation.kind)
                        .join(WorkshopParticipant, WorkshopParticipant.organisation_id == Organisation.id)
                        .where(WorkshopParticipant.workshop_id == workshop_id,
                               WorkshopParticipant.participant_key == participant_key.strip()))


def _not_asked(s: Session, workshop_id: int) -> Callable[[str, str | None], bool]:
    """Whether an answer to an item came from a kind of organisation the item is not asked of
    (`Item.is_asked_of` decides, as the close does through `checks.only_asked`): such answers
    are treated as never given, so they stay out of every figure before and after the close."""
    qid = s.scalar(select(Workshop.questionnaire_id).where(Workshop.id == workshop_id))
    try:
        limited = {i.id: i for i in questionnaire(qid).limited_items} if qid else {}
    except InputError:  # not a shipped questionnaire: nothing to go by (as `only_asked`)
        limited = {}
    return lambda item, kind: item in limited and not limited[item].is_asked_of(kind)


def _answer_rows(s: Session, workshop_id: int, *where: Any) -> list[AnswerRow]:
    """Answers with their participant's organisation and level, in the order first saved, without
    those to items not asked of the participant's kind of organisation."""
    rows = s.execute(
        select(WorkshopAnswer.participant_key, Organisation.name, WorkshopParticipant.level,
               WorkshopAnswer.item_id, WorkshopAnswer.value, Organisation.kind)
        .join(WorkshopParticipant, (WorkshopParticipant.workshop_id == WorkshopAnswer.workshop_id)
              & (WorkshopParticipant.participant_key == WorkshopAnswer.participant_key))
        .join(Organisation, Organisation.id == WorkshopParticipant.organisation_id)
        .where(WorkshopAnswer.workshop_id == workshop_id, *where)
        .order_by(WorkshopAnswer.id)).all()
    not_asked = _not_asked(s, workshop_id)
    return [(k, org, str(level), item, value) for k, org, level, item, value, kind in rows
            if not not_asked(item, kind)]


def save_answer(store: Store, workshop_id: int, participant_key: str, item_id: str, value: int | str) -> bool:
    """Save one answer (checked by the caller). While the question is open a new answer replaces
    the old one; once it is closed, only a first answer is taken. True if something was stored."""
    key = _key(participant_key)
    with store.writing() as s:
        w = _locked(s, workshop_id)
        who = s.get(WorkshopParticipant, (workshop_id, key))
        if who is None or who.organisation_id is None:
            raise fail("organisation", "Please choose your organisation and level first.")
        row = s.scalars(select(WorkshopAnswer).where(
            WorkshopAnswer.workshop_id == workshop_id, WorkshopAnswer.participant_key == key,
            WorkshopAnswer.item_id == item_id)).first()
        if row is None:
            s.add(WorkshopAnswer(workshop_id=workshop_id, participant_key=key, item_id=item_id,
                                 value=value, answered_at=now()))
            return True
        if item_id in (w.closed_items or []) or row.released_step is not None or row.value == value:
            return False
        row.value, row.answered_at = value, now()
        return True


def answers_of(store: Store, workshop_id: int, participant_key: str) -> dict[str, Any]:
    with store.reading() as s:
        rows = s.execute(select(WorkshopAnswer.item_id, WorkshopAnswer.value).where(
            WorkshopAnswer.workshop_id == workshop_id,
            WorkshopAnswer.participant_key == str(participant_key).strip())).all()
    return {item: value for item, value in rows}


def answer_counts(store: Store, workshop_id: int) -> dict[str, int]:
    """How many have answered each question so far (counts only)."""
    with store.reading() as s:
        rows = s.execute(select(WorkshopAnswer.item_id, func.count())
                         .where(WorkshopAnswer.workshop_id == workshop_id)
                         .group_by(WorkshopAnswer.item_id)).all()
    return {item: int(n) for item, n in rows}


def waiting_counts(store: Store, workshop_id: int) -> dict[str, int]:
    """Answers not yet in the figures, per question (a read only: the cheap check before a step)."""
    with store.reading() as s:
        rows = s.execute(select(WorkshopAnswer.item_id, func.count())
                         .where(WorkshopAnswer.workshop_id == workshop_id,
                                WorkshopAnswer.released_step.is_(None))
                         .group_by(WorkshopAnswer.item_id)).all()
    return {item: int(n) for item, n in rows}


def answer_rows(store: Store, workshop_id: int, released: bool = True) -> list[AnswerRow]:
    """Answers with their participant's organisation and level, in the order they were first
    saved, leaving out answers to items not asked of the participant's kind of organisation;
    `released`: only those already in the figures."""
    where = [WorkshopAnswer.released_step.is_not(None)] if released else []
    with store.reading() as s:
        return _answer_rows(s, workshop_id, *where)


def take_step(store: Store, workshop_id: int,
              decide: Callable[[Mapping[str, list[AnswerRow]], tuple[str, ...]], list[str]]) -> int | None:
    """Let the waiting answers of some closed questions join the figures, as one step.

    `decide(waiting answers per question, closed questions)` names the questions whose waiting
    answers join now (it runs inside the write transaction, so nothing slips in between).
    Returns the new step's number, or None when no step was taken."""
    with store.writing() as s:
        w = _locked(s, workshop_id, open_only=False)
        closed = tuple(w.closed_items or ())
        if not closed:
            return None
        waiting: dict[str, list[AnswerRow]] = {}
        for row in _answer_rows(s, workshop_id, WorkshopAnswer.released_step.is_(None),
                                WorkshopAnswer.item_id.in_(closed)):
            waiting.setdefault(row[3], []).append(row)
        chosen = decide(waiting, closed)
        if not chosen:
            return None
        step = (s.scalar(select(func.max(WorkshopAnswer.released_step))
                         .where(WorkshopAnswer.workshop_id == workshop_id)) or 0) + 1
        s.execute(update(WorkshopAnswer)
                  .where(WorkshopAnswer.workshop_id == workshop_id, WorkshopAnswer.released_step.is_(None),
                         WorkshopAnswer.item_id.in_(chosen))
                  .values(released_step=step))
        w.version = (w.version or 0) + 1  # the figures moved: phones and console redraw
        return step


# --------------------------------------------------------------------------------------------
# Votes on the recommended actions


def vote(store: Store, workshop_id: int, participant_key: str, action_key: str, on: bool = True) -> bool:
    """Give (or take back) one vote. At most MAX_VOTES per participant; voting twice for the same
    action is one vote. True if something changed."""
    key = _key(participant_key)
    if not isinstance(action_key, str) or not action_key or len(action_key) > 64:
        raise fail("vote", "That is not one of the actions.")
    with store.writing() as s:
        _locked(s, workshop_id)
        mine = set(s.scalars(select(WorkshopVote.action_key).where(
            WorkshopVote.workshop_id == workshop_id, WorkshopVote.participant_key == key)))
        if not on:
            if action_key not in mine:
                return False
            s.execute(delete(WorkshopVote).where(
                WorkshopVote.workshop_id == workshop_id, WorkshopVote.participant_key == key,
                WorkshopVote.action_key == action_key))
            return True
        if action_key in mine:
            return False
        if len(mine) >= MAX_VOTES:
            raise fail("vote", f"You have used your {MAX_VOTES} votes. Take one back to vote for this.")
        s.add(WorkshopVote(workshop_id=workshop_id, participant_key=key, action_key=action_key,
                           voted_at=now()))
        return True


def votes_of(store: Store, workshop_id: int, participant_key: str) -> set[str]:
    with store.reading() as s:
        return set(s.scalars(select(WorkshopVote.action_key).where(
            WorkshopVote.workshop_id == workshop_id,
            WorkshopVote.participant_key == str(participant_key).strip())))


def vote_counts(store: Store, workshop_id: int) -> dict[str, int]:
    with store.reading() as s:
        rows = s.execute(select(WorkshopVote.action_key, func.count())
                         .where(WorkshopVote.workshop_id == workshop_id)
                         .group_by(WorkshopVote.action_key)).all()
    return {k: int(n) for k, n in rows}


def voters(store: Store, workshop_id: int) -> int:
    """How many different people have a vote in (the console shows the counts per action only
    from the threshold on: `anonymity.votes_shown`)."""
    with store.reading() as s:
        n = s.scalar(select(func.count(func.distinct(WorkshopVote.participant_key)))
                     .where(WorkshopVote.workshop_id == workshop_id))
    return int(n or 0)
