"""Live workshops, the pure part: join codes, which questions a workshop asks, answer tallies.

Nothing here touches the store; `healthcheck.store.workshops` keeps workshops, the pages draw them.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import pandas as pd

from healthcheck.core.errors import InputError, Problem
from healthcheck.core.frameworks import DIMENSION_BY_ID, DIMENSION_IDS
from healthcheck.core.questionnaire import Item, Questionnaire, find_questionnaire, load_questionnaire

__all__ = [
    "CODE_ALPHABET",
    "CODE_LENGTH",
    "DEFAULT_QUESTIONNAIRE",
    "MAX_VOTES",
    "action_key",
    "answer_distribution",
    "answer_value",
    "discussion_prompt",
    "paced_items",
    "paced_records",
    "releasable_items",
    "section_starts",
    "asked_dimensions",
    "chosen_dimensions",
    "format_join_code",
    "items_for",
    "new_join_code",
    "normalise_join_code",
    "questionnaire_by_id",
]

# Read out loud and typed on phones: no 0/O, 1/I/L look-alikes. 31 symbols, 6 long: ~887 million codes.
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 6
DEFAULT_QUESTIONNAIRE = "pulse"
MAX_VOTES = 3  # votes each participant gives to the recommended actions


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


def questionnaire_by_id(questionnaire_id: str) -> Questionnaire:
    """A shipped questionnaire by id, read from its file (each call reads it afresh)."""
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


def chosen_dimensions(dimensions: Iterable[str] | None, q: Questionnaire) -> tuple[str, ...] | None:
    """A facilitator's choice of areas, checked and in framework order (None: all of them).
    Raises InputError for an unknown area or one the questionnaire does not ask about."""
    if dimensions is None:
        return None
    chosen = list(dict.fromkeys(dimensions))
    if not chosen:
        return None
    unknown = [d for d in chosen if d not in DIMENSION_BY_ID]
    if unknown:
        raise InputError([Problem(path="dimensions",
                                  message=f"Unknown area(s): {', '.join(map(str, unknown))}.")])
    missing = [d for d in chosen if d not in q.dimensions]
    if missing:
        raise InputError([Problem(path="dimensions", message=f"The {q.title} does not ask about: "
                                  + ", ".join(DIMENSION_BY_ID[d].label for d in missing) + ".")])
    order = {d: i for i, d in enumerate(DIMENSION_IDS)}
    return tuple(sorted(chosen, key=order.__getitem__))


# --------------------------------------------------------------------------------------------
# Results (plain data; the pages draw them)


def answer_distribution(records: Sequence[Mapping[str, Any]], items: Sequence[Item],
                        questionnaire: Questionnaire, threshold: int = 1) -> pd.DataFrame:
    """Counts per answer option per question: columns item, number, question, option, order, count.

    Every option is listed (0 when nobody chose it); unanswered questions are not counted, and a
    question answered by fewer than `threshold` people is left out (its counts would show them)."""
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
        if 0 < sum(tally.values()) < threshold:
            continue
        for order, (value, label) in enumerate(options):
            rows.append({"item": item.id, "number": n, "question": item.text, "option": label,
                         "order": order, "count": int(tally.get(value, 0))})
    return pd.DataFrame(rows, columns=["item", "number", "question", "option", "order", "count"])


# --------------------------------------------------------------------------------------------
# Facilitator-paced workshops: one question at a time


def paced_items(dimensions: Sequence[str] | None, questionnaire: Questionnaire) -> list[Item]:
    """The questions a paced workshop steps through (free text is never asked in a room)."""
    return [i for i in items_for(dimensions, questionnaire) if i.type in ("likert", "choice")]


def section_starts(items: Sequence[Item], questionnaire: Questionnaire) -> list[tuple[str, int]]:
    """(section title, position of its first asked question), for "jump to a section"."""
    section_of = {i.id: s.title for s in questionnaire.sections for i in s.items}
    starts: list[tuple[str, int]] = []
    for n, item in enumerate(items):
        title = section_of.get(item.id, "")
        if not starts or starts[-1][0] != title:
            starts.append((title, n))
    return starts


def discussion_prompt(item: Item) -> str:
    """What the facilitator asks the room once a question's spread is shown: the item's own
    `prompt`, or one made from the question."""
    if item.prompt:
        return item.prompt
    return (f'Where do you stand on "{item.text.rstrip(".?")}", and what would move the answers '
            "one step towards agreement?")


def answer_value(item: Item, raw: object) -> int | str:
    """A checked answer to one question (1-5 or "dk" for agreement, a choice id otherwise)."""
    if item.type == "likert":
        if isinstance(raw, str) and raw.strip().lower() == "dk":
            return "dk"
        if isinstance(raw, int) and not isinstance(raw, bool) and 1 <= raw <= 5:
            return raw
    elif item.type == "choice" and isinstance(raw, str) and raw in {c.id for c in item.choices}:
        return raw
    raise InputError([Problem(path="answer", message="That is not one of the answers to this question.")])


def releasable_items(pending: Mapping[str, int], closed: Iterable[str], threshold: int) -> list[str]:
    """The closed questions whose answers not yet in the figures may join them now: at least
    `threshold` of them, so no two looks at a question differ by fewer people than that."""
    shut = set(closed)
    return sorted(item for item, n in pending.items() if item in shut and n >= max(threshold, 1))


def paced_records(rows: Iterable[tuple[str, str, str, str, Any]]) -> list[dict[str, Any]]:
    """Per participant one record (the shape of `Store.response_records`) from answer rows
    (participant key, organisation, level, item, value), in the order participants first appear.
    The key is replaced by an opaque number."""
    by_key: dict[str, dict[str, Any]] = {}
    for key, organisation, level, item, value in rows:
        rec = by_key.get(key)
        if rec is None:
            rec = by_key[key] = {"respondent": f"P{len(by_key) + 1}", "organisation": organisation,
                                 "level": level, "role": None, "answers": {}, "comments": {}}
        rec["answers"][item] = value
    return list(by_key.values())


def action_key(rule_id: str, text: str) -> str:
    """A short stable id of a recommended action, for votes."""
    return hashlib.sha256(f"{rule_id}\n{text}".encode()).hexdigest()[:16]
