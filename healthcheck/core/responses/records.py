"""Checks of answer records, the shape the app and the store hold answers in.

A record: `{"respondent", "organisation", "level", "role", "answers": {item: 1-5 | "dk" |
choice id | text}, "comments": {item: text}}`, optionally `"partnership"`.
"""

from __future__ import annotations

import math
from typing import Any

from healthcheck.core.errors import Problem
from healthcheck.core.questionnaire import Questionnaire
from healthcheck.core.responses.columns import MAX_PROBLEMS, comment_items, show_value


def is_blank(value: Any) -> bool:
    """No answer: None, NaN or the empty string."""
    return value is None or (isinstance(value, float) and math.isnan(value)) or value == ""


def record_problems(records: list[dict[str, Any]], questionnaire: Questionnaire) -> list[Problem]:
    """What is wrong with answer records for this questionnaire, by record ("response N"): an
    unknown item, a comment on an item that asks for none, an answer of the wrong kind. Looks only
    at the answers given, so the store can check thousands of records before writing them."""
    problems: list[Problem] = []
    commented = {i.id for i in comment_items(questionnaire)}
    choices = {i.id: {c.id for c in i.choices} for i in questionnaire.items if i.type == "choice"}
    for n, record in enumerate(records, start=1):
        where = f"response {n}"
        for key, value in (record.get("answers") or {}).items():
            item = questionnaire.item_by_id.get(key)
            if item is None:
                problems.append(Problem(where, f"'{key}' is not an item of questionnaire {questionnaire.id}"))
            elif is_blank(value) or item.type == "text":
                continue
            elif item.type == "likert":
                if not (isinstance(value, str) and value.strip().lower() == "dk") and not (
                        isinstance(value, int | float) and not isinstance(value, bool)
                        and value in (1, 2, 3, 4, 5)):
                    problems.append(Problem(where, f"{item.id}: {show_value(value)} is not an answer on the "
                                                   "1-5 scale"))
            elif not isinstance(value, str) or value not in choices[item.id]:
                problems.append(Problem(where, f"{item.id}: {show_value(value)} is not a choice "
                                               f"({', '.join(c.id for c in item.choices)})"))
        for key in record.get("comments") or {}:
            if key not in commented:
                problems.append(Problem(where, f"item '{key}' does not ask for a comment"))
        if len(problems) >= MAX_PROBLEMS:
            break
    return problems[:MAX_PROBLEMS]
