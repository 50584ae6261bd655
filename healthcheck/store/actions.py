"""Action plans (what the partnership agreed to do after a round) and partner team notes."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import select

from healthcheck.core.errors import InputError, Problem
from healthcheck.core.frameworks import DIMENSION_BY_ID
from healthcheck.core.vocabulary import ACTION_STATUSES, OPEN_ACTION_STATUSES, TEAM_QUESTIONS
from healthcheck.store import audit
from healthcheck.store.checks import fail
from healthcheck.store.db import Database, now
from healthcheck.store.models import MAX_NAME, ActionItem, Organisation, PartnerTeamNote, Round
from healthcheck.store.records import ActionInfo, action_info

__all__ = ["ActionRepository"]

_NOT_A_DATE = Problem(path="due_date", message="The due date must be a date.")


def _unknown_status(status: object) -> Problem:
    return Problem(path="status", message=f"'{status}' is not a status; use one of: "
                   + ", ".join(ACTION_STATUSES) + ".")


def _is_date(value: object) -> bool:
    """A calendar date (a datetime is a date too in Python, but not a due date)."""
    return isinstance(value, date) and not isinstance(value, datetime)


class ActionRepository(Database):
    """The `Store` methods for action items and partner team notes."""

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
        by: str = "admin",
        votes: int | None = None,
    ) -> ActionInfo:
        problems: list[Problem] = []
        if not isinstance(text, str) or not text.strip():
            problems.append(Problem(path="action", message="Please describe the action."))
        if not isinstance(owner, str) or len(owner) > MAX_NAME:
            problems.append(Problem(path="owner", message="The owner must be short text."))
        if task is not None and task not in DIMENSION_BY_ID:
            problems.append(Problem(path="task", message=f"'{task}' is not a task we know."))
        if status not in ACTION_STATUSES:
            problems.append(_unknown_status(status))
        if due_date is not None and not _is_date(due_date):
            problems.append(_NOT_A_DATE)
        if votes is not None and (not isinstance(votes, int) or isinstance(votes, bool) or votes < 0):
            problems.append(Problem(path="votes", message="The number of votes must be a whole number."))
        if problems:
            raise InputError(problems)
        with self.writing() as s:
            r = s.get(Round, round_id)
            if r is None or r.partnership_id != partnership_id:
                raise fail("round", "That round does not belong to this partnership.")
            stamp = now()
            a = ActionItem(
                partnership_id=partnership_id, round_id=round_id, rule_id=rule_id, task=task,
                text=text.strip(), owner=owner.strip(), due_date=due_date, status=status,
                created_at=stamp, updated_at=stamp, votes=votes,
            )
            s.add(a)
            s.flush()
            audit.add(s, partnership_id, by, "action.added",
                      f"Added action {a.id} to the plan of the round '{r.label}'.")
            return action_info(a)

    def update_action(
        self,
        action_id: int,
        *,
        owner: str | None = None,
        due_date: date | None = None,
        status: str | None = None,
        text: str | None = None,
        clear_due_date: bool = False,
        by: str = "admin",
    ) -> ActionInfo:
        """Change an action item; arguments left as None stay as they are."""
        problems: list[Problem] = []
        if status is not None and status not in ACTION_STATUSES:
            problems.append(_unknown_status(status))
        if owner is not None and (not isinstance(owner, str) or len(owner) > MAX_NAME):
            problems.append(Problem(path="owner", message="The owner must be short text."))
        if text is not None and (not isinstance(text, str) or not text.strip()):
            problems.append(Problem(path="action", message="Please describe the action."))
        if due_date is not None and not _is_date(due_date):
            problems.append(_NOT_A_DATE)
        if problems:
            raise InputError(problems)
        with self.writing() as s:
            a = s.get(ActionItem, action_id)
            if a is None:
                raise fail("action", "This action no longer exists.")
            before = (a.owner, a.due_date, a.status, a.text)
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
            a.updated_at = now()
            changed = [what for what, old, new in zip(("owner", "due date", "status", "text"), before,
                                                      (a.owner, a.due_date, a.status, a.text), strict=True)
                       if old != new]
            if changed:
                status_note = (f" (status now {ACTION_STATUSES[a.status].lower()})" if "status" in changed
                               else "")
                audit.add(s, a.partnership_id, by, "action.changed",
                          f"Changed the {', '.join(changed)} of action {a.id}{status_note}.")
            s.flush()
            return action_info(a)

    def actions(self, partnership_id: int, open_only: bool = False) -> list[ActionInfo]:
        """Action items, oldest first; open_only keeps "open" and "in_progress"."""
        with self.reading() as s:
            q = select(ActionItem).where(ActionItem.partnership_id == partnership_id)
            if open_only:
                q = q.where(ActionItem.status.in_(OPEN_ACTION_STATUSES))
            return [action_info(a) for a in s.scalars(q.order_by(ActionItem.created_at, ActionItem.id))]

    # -- partner team notes --------------------------------------------------------------------

    def set_team_note(self, partnership_id: int, organisation_id: int, question: str, text: str, *,
                      by: str = "admin") -> None:
        """Record a partner team's answer to one of the five questions; empty text removes it."""
        if question not in TEAM_QUESTIONS:
            raise fail("question", f"'{question}' is not one of the partner team questions.")
        if not isinstance(text, str):
            raise fail("note", "The note must be text.")
        text = text.strip()
        with self.writing() as s:
            org = s.get(Organisation, organisation_id)
            if org is None or org.partnership_id != partnership_id:
                raise fail("organisation", "That organisation is not part of this partnership.")
            note = s.scalars(
                select(PartnerTeamNote).where(
                    PartnerTeamNote.organisation_id == organisation_id, PartnerTeamNote.question == question
                )
            ).first()
            if (note.text if note is not None else "") != text:
                what = "Removed" if not text else "Changed" if note is not None else "Added"
                audit.add(s, partnership_id, by, "team_note.changed",
                          f"{what} the note of '{org.name}' on: {TEAM_QUESTIONS[question]}")
            if not text:
                if note is not None:
                    s.delete(note)
                return
            if note is None:
                stmt = (
                    self.dialect_insert()(PartnerTeamNote)
                    .values(partnership_id=partnership_id, organisation_id=organisation_id,
                            question=question, text=text, updated_at=now())
                )
                if self.backend in ("postgresql", "sqlite"):
                    stmt = stmt.on_conflict_do_update(
                        index_elements=["organisation_id", "question"],
                        set_={"text": text, "updated_at": now()},
                    )
                s.execute(stmt)
            else:
                note.text = text
                note.updated_at = now()

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
