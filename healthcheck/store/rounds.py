"""Rounds of the health check, and the respondents' link that opens a round."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from healthcheck.core.anonymity import SMALL_GROUPS
from healthcheck.core.errors import InputError, Problem
from healthcheck.core.vocabulary import ROUND_KINDS
from healthcheck.store import audit
from healthcheck.store.checks import clean_name, fail
from healthcheck.store.db import Database, now
from healthcheck.store.models import Partnership, Round, RoundRelease
from healthcheck.store.records import RoundInfo, round_info
from healthcheck.store.tokens import hash_token, new_token, rotate_token, row_by_token

__all__ = ["RoundRepository"]


class RoundRepository(Database):
    """The `Store` methods for rounds."""

    def open_round(
        self,
        partnership_id: int,
        label: str,
        questionnaire_id: str,
        questionnaire_version: str,
        kind: str = "survey",
        *,
        by: str = "admin",
    ) -> tuple[RoundInfo, str]:
        """Open a round of the health check; returns it with the respondents' token."""
        problems: list[Problem] = []
        label = clean_name(label, "label", "a label for the round", problems)
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
                raise fail("partnership", "This partnership no longer exists.")
            r = Round(
                partnership_id=partnership_id, label=label, questionnaire_id=questionnaire_id.strip(),
                questionnaire_version=questionnaire_version.strip(), kind=kind,
                respondent_token_hash=hash_token(token), opened_at=now(), closed_at=None,
            )
            s.add(r)
            s.flush()
            audit.add(s, partnership_id, by, "round.opened",
                      f"Opened the {ROUND_KINDS[kind].lower()} round '{label}' ({questionnaire_id.strip()} "
                      f"questionnaire).")
            info = round_info(r)
        return info, token

    def round_by_respondent_token(self, token: str | None) -> RoundInfo | None:
        return row_by_token(self, select(Round), Round.respondent_token_hash, token, round_info)

    def rotate_respondent_token(self, round_id: int, *, by: str = "admin") -> str:
        """Issue a new respondent token for a round (the old link stops working)."""

        def log(s: Session) -> None:
            r = s.get(Round, round_id)
            if r is not None:
                audit.add(s, r.partnership_id, by, "respondent_link.replaced",
                          f"A new respondent link was made for the round '{r.label}'; the old one stopped "
                          "working.")

        return rotate_token(self, Round.respondent_token_hash, round_id, "round", log)

    def get_round(self, round_id: int) -> RoundInfo | None:
        with self.reading() as s:
            r = s.get(Round, round_id)
            return round_info(r) if r else None

    def rounds(self, partnership_id: int) -> list[RoundInfo]:
        """The partnership's rounds, oldest first."""
        with self.reading() as s:
            rows = s.scalars(
                select(Round).where(Round.partnership_id == partnership_id)
                .order_by(Round.opened_at, Round.id)
            )
            return [round_info(r) for r in rows]

    def close_round(self, round_id: int, *, by: str = "admin") -> RoundInfo:
        """Stop accepting responses. Closing a closed round changes nothing."""
        with self.writing() as s:
            r = s.get(Round, round_id, with_for_update=True)
            if r is None:
                raise fail("round", "This round no longer exists.")
            if r.closed_at is None:
                r.closed_at = now()
                audit.add(s, r.partnership_id, by, "round.closed", f"Closed the round '{r.label}'.")
                s.flush()
            return round_info(r)

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
            return round_info(prev) if prev else None

    def set_small_groups(self, round_id: int, mode: str) -> RoundInfo:
        """Choose how the round treats groups too small to show ("pool" or "hide"). Only until its
        figures first show: a look in one mode beside a look in the other at the same answers
        would give away the people one of them leaves out."""
        if mode not in SMALL_GROUPS:
            raise fail("small_groups", f"Small groups are pooled ('pool') or hidden ('hide'), not '{mode}'.")
        with self.writing() as s:
            r = s.get(Round, round_id, with_for_update=True)
            if r is None:
                raise fail("round", "This round no longer exists.")
            if r.small_groups != mode:
                shown = s.scalars(select(RoundRelease.id).where(RoundRelease.round_id == round_id)
                                  .limit(1)).first()
                if shown is not None:
                    raise fail("small_groups", "This round's results have already been shown, so how it "
                                               "treats small groups can no longer change.")
                r.small_groups = mode
                s.flush()
            return round_info(r)

    def releases(self, round_id: int) -> list[int]:
        """How many answers each step of the round's figures took in, oldest first."""
        with self.reading() as s:
            return list(s.scalars(select(RoundRelease.responses).where(RoundRelease.round_id == round_id)
                                  .order_by(RoundRelease.seq)))

    def add_release(self, round_id: int, seq: int, responses: int) -> list[int]:
        """Record step `seq` (the next one) taking in the first `responses` answers, unless another
        process recorded that step first (then its step stands). Returns the steps as stored."""
        with self.writing() as s:
            stmt = self.dialect_insert()(RoundRelease).values(
                round_id=round_id, seq=seq, responses=responses, released_at=now())
            s.execute(stmt.on_conflict_do_nothing(index_elements=["round_id", "seq"]))
        return self.releases(round_id)
