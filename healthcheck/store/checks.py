"""Cleaning and checking what callers hand the repositories, with plain-language messages.

Everything here either returns the cleaned value or reports `Problem`s (an `InputError` for the
caller to show); nothing touches the database.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from typing import Any

from healthcheck.core.errors import InputError, Problem
from healthcheck.core.questionnaire import Questionnaire, find_questionnaire, load_questionnaire
from healthcheck.core.responses import record_problems
from healthcheck.core.text import without_bidi
from healthcheck.core.vocabulary import MIN_THRESHOLD, ORGANISATION_KINDS
from healthcheck.store.models import MAX_CONTACT, MAX_NAME, MAX_NOTICE

__all__ = [
    "answer_problems",
    "check_kind",
    "clean_comments",
    "clean_contact",
    "clean_name",
    "clean_notice",
    "clean_role",
    "fail",
    "is_threshold",
    "only_asked",
    "questionnaire",
    "unreadable",
]


def fail(path: str, message: str) -> InputError:
    """One problem as an error to raise."""
    return InputError([Problem(path=path, message=message)])


def clean_name(value: object, path: str, what: str, problems: list[Problem]) -> str:
    """A name with its spaces tidied; a missing or too long name is added to `problems`."""
    if not isinstance(value, str) or not value.strip():
        problems.append(Problem(path=path, message=f"Please give {what}."))
        return ""
    cleaned = " ".join(without_bidi(value).split())  # stored names never reorder what follows them
    if not cleaned:
        problems.append(Problem(path=path, message=f"Please give {what}."))
        return ""
    if len(cleaned) > MAX_NAME:
        problems.append(Problem(path=path, message=f"{what.capitalize()} is too long "
                                f"(at most {MAX_NAME} characters)."))
    return cleaned


def clean_contact(value: object, problems: list[Problem]) -> str | None:
    """The privacy contact with its spaces tidied; None when none is given."""
    if value is None:
        return None
    if not isinstance(value, str):
        problems.append(Problem(path="contact", message="The privacy contact must be text."))
        return None
    cleaned = " ".join(without_bidi(value).split())
    if len(cleaned) > MAX_CONTACT:
        problems.append(Problem(path="contact", message="The privacy contact is too long "
                                f"(at most {MAX_CONTACT} characters)."))
    return cleaned or None


def clean_notice(value: object, problems: list[Problem]) -> str | None:
    """A privacy notice as typed (line breaks kept, bidirectional controls removed); None (the
    default wording) when it is empty."""
    if value is None:
        return None
    if not isinstance(value, str):
        problems.append(Problem(path="notice", message="The privacy notice must be text."))
        return None
    cleaned = "\n".join(line.rstrip() for line in without_bidi(value).strip().splitlines())
    if len(cleaned) > MAX_NOTICE:
        problems.append(Problem(path="notice", message="The privacy notice is too long "
                                f"(at most {MAX_NOTICE} characters)."))
    return cleaned or None


def check_kind(kind: object, path: str, problems: list[Problem]) -> None:
    if kind not in ORGANISATION_KINDS:
        allowed = ", ".join(ORGANISATION_KINDS)
        problems.append(Problem(path=path, message=f"'{kind}' is not a kind of organisation we know; "
                                f"use one of: {allowed}."))


def is_threshold(value: object) -> bool:
    """A whole number at or above the smallest anonymity threshold (True and False are not)."""
    return not isinstance(value, bool) and isinstance(value, int) and value >= MIN_THRESHOLD


def answer_problems(answers: object, comments: object) -> list[str]:
    """Messages about the shape of an answers / comments pair (empty when fine)."""
    out: list[str] = []
    if not isinstance(answers, Mapping):
        out.append("The answers must be a mapping from question id to answer.")
    else:
        for key, value in answers.items():
            if not isinstance(key, str) or not key:
                out.append(f"Question id {key!r} is not valid text.")
            elif isinstance(value, bool) or value is None:
                out.append(f"The answer to {key} is missing or not valid.")
            elif isinstance(value, int):
                if not 1 <= value <= 5:
                    out.append(f"The answer to {key} must be between 1 and 5, not {value}.")
            elif not isinstance(value, str) or not value.strip():
                out.append(f"The answer to {key} must be 1-5, 'dk', a choice or some text.")
    if not isinstance(comments, Mapping):
        out.append("The comments must be a mapping from question id to text.")
    else:
        for key, value in comments.items():
            if not isinstance(key, str) or not key or not isinstance(value, str):
                out.append(f"The comment on {key} must be text.")
    return out


@functools.lru_cache(maxsize=16)
def questionnaire(questionnaire_id: str) -> Questionnaire:
    """A shipped questionnaire by id, read once per process (for checking answers)."""
    return load_questionnaire(find_questionnaire(questionnaire_id))


def unreadable(questionnaire_id: str, records: Sequence[Mapping[str, Any]]) -> list[Problem]:
    """What the round's reader would refuse (an unknown item, a comment on an item that asks for
    none, an answer off the scale), as problems by record number. Checked before writing, so no
    stored answer can make a round unreadable later."""
    problems = record_problems(list(records), questionnaire(questionnaire_id))  # type: ignore[arg-type]
    return [Problem(path="import", row=int(p.path.removeprefix("response ")), message=p.message)
            for p in problems]


def only_asked(questionnaire_id: str, kind: str | None, answers: Mapping[str, Any],
               comments: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Answers and comments without those on items not asked of this kind of organisation
    (`Item.is_asked_of` decides): such an answer is treated as never given."""
    try:
        q = questionnaire(questionnaire_id)
    except InputError:  # not a shipped questionnaire: nothing to go by
        return dict(answers), dict(comments)
    kept = q.only_asked(kind, answers)
    return kept, {k: v for k, v in comments.items() if k not in answers or k in kept}


def clean_role(role: object) -> str | None:
    if role is None:
        return None
    if not isinstance(role, str):
        raise fail("role", "The role must be text.")
    role = role.strip()
    return role or None


def clean_comments(comments: Mapping[str, str]) -> dict[str, str]:
    return {k: v.strip() for k, v in comments.items() if v.strip()}
