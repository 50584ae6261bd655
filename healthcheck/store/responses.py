"""Responses: one respondent's answers, stored once, read back as plain records, imported in bulk."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from sqlalchemy import func, insert, select, text
from sqlalchemy.exc import IntegrityError

from healthcheck.core.errors import InputError, Problem
from healthcheck.core.frameworks import LEVELS
from healthcheck.store.checks import answer_problems, clean_comments, clean_role, fail, only_asked, unreadable
from healthcheck.store.db import Database, now
from healthcheck.store.models import MAX_SUBMISSION_KEY, Organisation, Response, Round

__all__ = ["ResponseRepository"]

_IMPORT_CHUNK = 1000
_MAX_PROBLEMS = 100
# pg_advisory_xact_lock(class, round id) that makes imports into one round take turns ("hcip").
_IMPORT_LOCK_CLASS = 0x68636970


class ResponseRepository(Database):
    """The `Store` methods for responses."""

    def submit_response(
        self,
        round_id: int,
        organisation_id: int,
        level: str,
        role: str | None,
        answers: Mapping[str, int | str],
        comments: Mapping[str, str],
        submission_key: str,
    ) -> bool:
        """Store one respondent's answers. True if stored; False if this submission_key was
        already stored for the round (a double click or reload), which changes nothing."""
        with self.taking_turns():
            problems = [Problem(path="response", message=m) for m in answer_problems(answers, comments)]
            if level not in LEVELS:
                problems.append(Problem(path="level", message="Please say at which level you work: "
                                        + ", ".join(LEVELS) + "."))
            key_ok = isinstance(submission_key, str) and 0 < len(submission_key.strip()) <= MAX_SUBMISSION_KEY
            if not key_ok:
                problems.append(Problem(path="response", message="The form is missing its submission key; "
                                        "please reload the page."))
            role_text = clean_role(role)
            if problems:
                raise InputError(problems)
            with self.writing() as s:
                # FOR SHARE on PostgreSQL: a concurrent close_round waits for this submission.
                r = s.get(Round, round_id, with_for_update={"read": True})
                if r is None:
                    raise fail("round", "This round no longer exists.")
                if r.closed_at is not None:
                    raise fail("round", "This round is closed and no longer takes answers.")
                refused = unreadable(r.questionnaire_id, [{"answers": answers, "comments": comments}])
                if refused:
                    raise InputError([Problem(path="response", message=p.message) for p in refused])
                org = s.get(Organisation, organisation_id)
                if org is None or org.partnership_id != r.partnership_id:
                    raise fail("organisation", "Please choose one of this partnership's organisations.")
                answers, comments = only_asked(r.questionnaire_id, org.kind, answers, comments)
                stmt = (
                    self.dialect_insert()(Response)
                    .values(
                        round_id=round_id, organisation_id=organisation_id, level=level, role=role_text,
                        answers=dict(answers), comments=clean_comments(comments),
                        submission_key=submission_key.strip(), submitted_at=now(),
                    )
                    .on_conflict_do_nothing(index_elements=["round_id", "submission_key"])
                    .returning(Response.id)
                )
                return s.execute(stmt).first() is not None

    def response_records(self, round_id: int) -> list[dict[str, Any]]:
        """The round's responses as plain records, in submission order.

        Each record: {"respondent": "R<id>", "organisation", "level", "role", "answers",
        "comments"}. The respondent label is an opaque number, never a name.
        Answers to items not asked of the respondent's kind of organisation (kept from before the
        item said whom it is for) are left out: they count as not asked."""
        with self.reading() as s:
            r = s.get(Round, round_id)
            qid = r.questionnaire_id if r is not None else None
            rows = s.execute(
                select(Response.id, Organisation.name, Organisation.kind, Response.level, Response.role,
                       Response.answers, Response.comments)
                .join(Organisation, Organisation.id == Response.organisation_id)
                .where(Response.round_id == round_id)
                .order_by(Response.id)
            ).all()
        out = []
        for rid, org, kind, level, role, answers, comments in rows:
            kept, notes = (only_asked(qid, kind, answers or {}, comments or {}) if qid is not None
                           else (dict(answers or {}), dict(comments or {})))
            out.append({"respondent": f"R{rid}", "organisation": org, "level": level, "role": role,
                        "answers": kept, "comments": notes})
        return out

    def response_counts(self, round_id: int) -> dict[str, int]:
        """Responses per organisation for a round; every organisation of the partnership is
        listed (0 when nobody from it has answered yet)."""
        with self.reading() as s:
            r = s.get(Round, round_id)
            if r is None:
                return {}
            counts = dict(
                s.execute(
                    select(Response.organisation_id, func.count())
                    .where(Response.round_id == round_id)
                    .group_by(Response.organisation_id)
                ).all()
            )
            orgs = s.execute(
                select(Organisation.id, Organisation.name)
                .where(Organisation.partnership_id == r.partnership_id)
                .order_by(Organisation.id)
            ).all()
        return {name: int(counts.get(oid, 0)) for oid, name in orgs}

    def import_records(
        self,
        round_id: int,
        records: Sequence[Mapping[str, Any]],
        progress: Callable[[int, int], None] | None = None,
    ) -> int:
        """Insert many responses in one transaction: all of them or none.

        Records have the shape of `response_records` (organisation by name; "respondent" and
        "partnership" are accepted and ignored; an optional "submission_key" makes re-importing
        the same record an error instead of a duplicate). Works on closed rounds too, for
        results gathered elsewhere. `progress(done, total)` is called as chunks are written.
        Returns the number of records stored."""
        allowed = {"respondent", "partnership", "organisation", "level", "role", "answers", "comments",
                   "submission_key"}
        total = len(records)
        with self.writing() as s:
            if self.backend == "postgresql":
                # Two imports into one round that share keys in a different order would each wait
                # for the other's rows (a deadlock, one aborted with a database error): take turns.
                # (SQLite's BEGIN IMMEDIATE already makes every writer take turns.)
                s.execute(text("SELECT pg_advisory_xact_lock(CAST(:c AS integer), CAST(:r AS integer))"),
                          {"c": _IMPORT_LOCK_CLASS, "r": round_id})
            r = s.get(Round, round_id)
            if r is None:
                raise fail("round", "This round no longer exists.")
            org_rows = s.execute(
                select(Organisation.name, Organisation.id, Organisation.kind)
                .where(Organisation.partnership_id == r.partnership_id)
            ).all()
            org_ids = {name: oid for name, oid, _ in org_rows}
            org_kinds = {name: kind for name, _, kind in org_rows}
            problems: list[Problem] = []
            rows: list[dict[str, Any]] = []
            keys: set[str] = set()
            batch = uuid.uuid4().hex
            stamp = now()

            def bad(row: int, column: str | None, message: str) -> None:
                problems.append(Problem(path="import", row=row, column=column, message=message))

            for i, rec in enumerate(records):
                row = i + 1
                if not isinstance(rec, Mapping):
                    bad(row, None, "This record is not a set of named values.")
                    continue
                extra = sorted(str(k) for k in rec if k not in allowed)
                if extra:
                    bad(row, extra[0], f"Unknown field(s): {', '.join(extra)}.")
                org_name = rec.get("organisation")
                org_id = org_ids.get(org_name) if isinstance(org_name, str) else None
                if org_id is None:
                    bad(row, "organisation", f"'{org_name}' is not an organisation in this partnership.")
                level = rec.get("level")
                if level not in LEVELS:
                    bad(row, "level", f"'{level}' is not a level; use one of: {', '.join(LEVELS)}.")
                role = rec.get("role")
                if role is not None and not isinstance(role, str):
                    bad(row, "role", "The role must be text.")
                    role = None
                answers = rec.get("answers", {})
                comments = rec.get("comments", {}) or {}
                for message in answer_problems(answers, comments):
                    bad(row, None, message)
                key = rec.get("submission_key")
                if key is None:
                    key = f"import:{batch}:{row}"
                elif not isinstance(key, str) or not key.strip() or len(key) > MAX_SUBMISSION_KEY:
                    bad(row, "submission_key", "The submission key must be short, non-empty text.")
                    key = ""
                elif key in keys:
                    bad(row, "submission_key", f"Submission key '{key}' appears twice.")
                keys.add(key)
                if len(problems) >= _MAX_PROBLEMS:
                    problems.append(Problem(path="import", message="Too many problems; stopped checking "
                                            f"at record {row} of {total}."))
                    break
                if not problems:
                    answers, comments = only_asked(r.questionnaire_id, org_kinds.get(org_name), answers,
                                                   comments)
                    rows.append({
                        "round_id": round_id, "organisation_id": org_id, "level": level,
                        "role": (role or "").strip() or None, "answers": dict(answers),
                        "comments": clean_comments(comments), "submission_key": key,
                        "submitted_at": stamp,
                    })
            if not problems:
                problems = unreadable(r.questionnaire_id, records)
            if problems:
                raise InputError(problems)
            if progress is not None:
                progress(0, total)
            conn = s.connection()
            table = Response.__table__
            try:
                for start in range(0, total, _IMPORT_CHUNK):
                    chunk = rows[start:start + _IMPORT_CHUNK]
                    conn.execute(insert(table), chunk)
                    if progress is not None:
                        progress(start + len(chunk), total)
            except IntegrityError as exc:
                raise fail("import", "Some of these records were imported before (same submission "
                           "key); nothing was imported.") from exc
        return total
