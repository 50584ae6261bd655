"""A live workshop's results: its records from the store, scored and judged by the rule engine.

Here, not in the store, because the persistence layer does not reach into the rule engine.

Facilitator-paced workshops keep their answers per question (`healthcheck.store.paced`). Their
figures move in steps like an open round's (`services.results`): a closed question's waiting
answers join only when at least the threshold of them are waiting, and the step is checked with
`may_release`. The spread of a question, the radar, the findings (the risk flags) and the room's
actions are all made from the answers released so far. When the workshop closes, each
participant's released answers become their response in the round (so the dashboard shows
exactly what the room last saw).

Those figures are the whole room's only, before and after the close (`anonymity.room`): group
figures that move question by question could be subtracted from one step to the next. So the
records given to scoring here carry one room-wide group, and the round the workshop makes is
read room-only too (`services.results.records_for_figures`). The step decision still sees each
answer's real organisation.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd

from healthcheck.core.anonymity import room_only
from healthcheck.core.errors import InputError, Problem
from healthcheck.core.questionnaire import Item, Questionnaire
from healthcheck.core.workshop import (
    action_key,
    answer_distribution,
    answer_value,
    paced_items,
    paced_records,
    releasable_items,
)
from healthcheck.present import views
from healthcheck.services.results import RoundData, may_release, results_from_records, round_results
from healthcheck.store import ActionInfo, Store, WorkshopInfo
from healthcheck.store import paced as pc
from healthcheck.store import workshops as ws

__all__ = ["RoomAction", "answer", "close_workshop", "paced_results", "question_spread", "room_actions",
           "send_actions", "step_figures", "workshop_assessment", "workshop_export_frame"]


def workshop_assessment(store: Store, workshop: WorkshopInfo, questionnaire: Questionnaire,
                        pack: Any | None) -> tuple[list[dict[str, Any]], pd.DataFrame, Any | None]:
    """The workshop's records, canonical table and (with a rule pack, once anyone answered) its
    assessment, read fresh from the store."""
    if workshop.paced and workshop.is_open:
        data = paced_results(store, workshop, questionnaire, pack)
    else:
        data = round_results(store, workshop.round_id, questionnaire, pack, workshop.threshold,
                             workshop.partnership_name)
    return data.records, data.frame, data.assessment


def workshop_export_frame(store: Store, workshop: WorkshopInfo, questionnaire: Questionnaire,
                          pack: Any) -> pd.DataFrame:
    """The rows a workshop's responses file may hold: those in its figures; none for a paced
    workshop (`anonymity.rows_note`: the room saw who answered what, so it gives no file of rows)."""
    return round_results(store, workshop.round_id, questionnaire, pack, workshop.threshold,
                         workshop.partnership_name).export_frame


# --------------------------------------------------------------------------------------------
# Paced: answers and steps


def answer(store: Store, workshop: WorkshopInfo, questionnaire: Questionnaire, participant_key: str,
           item_id: str, raw: object) -> bool:
    """Save one participant's answer to one asked question (checked first; a question not asked
    of the participant's kind of organisation takes no answer, as on the self-paced form)."""
    items = {i.id: i for i in paced_items(workshop.dimensions, questionnaire)}
    item = items.get(item_id)
    if item is None:
        raise InputError([Problem(path="answer", message="That question is not part of this workshop.")])
    if not item.is_asked_of(pc.participant_kind(store, workshop.id, participant_key)):
        raise InputError([Problem(path="answer", message="That question is for another kind of "
                                                         "organisation, so no answer is taken from you.")])
    return pc.save_answer(store, workshop.id, participant_key, item_id, answer_value(item, raw))


def step_figures(store: Store, workshop: WorkshopInfo, questionnaire: Questionnaire) -> int | None:
    """Take the next step of the figures if one is due (the console calls this as it polls)."""
    threshold = workshop.threshold
    if not releasable_items(pc.waiting_counts(store, workshop.id), workshop.closed_items, threshold):
        return None  # nothing due: no write transaction (the console asks every second)

    def decide(waiting: Mapping[str, list[pc.AnswerRow]], closed: tuple[str, ...]) -> list[str]:
        chosen = releasable_items({k: len(v) for k, v in waiting.items()}, closed, threshold)
        if not chosen:
            return []
        new = paced_records(row for item in chosen for row in waiting[item])
        return chosen if may_release(new, questionnaire, threshold) else []

    return pc.take_step(store, workshop.id, decide)


def question_spread(store: Store, workshop: WorkshopInfo, questionnaire: Questionnaire,
                    item: Item) -> tuple[pd.DataFrame, int]:
    """A question's spread over its released answers (empty below the threshold), and how many
    answers it takes in."""
    rows = [r for r in pc.answer_rows(store, workshop.id) if r[3] == item.id]
    dist = answer_distribution([{"answers": {item.id: r[4]}} for r in rows], [item], questionnaire,
                               workshop.threshold)
    return (dist if len(rows) >= workshop.threshold else dist.iloc[0:0]), len(rows)


_CACHE: dict[tuple[Any, ...], RoundData] = {}
_CACHE_LOCK = threading.Lock()


def paced_results(store: Store, workshop: WorkshopInfo, questionnaire: Questionnaire,
                  pack: Any | None) -> RoundData:
    """The figures of the answers released so far (one record per participant), assessed as the
    whole room's (no organisation or level groups); cached per number of released answers
    (released answers never change)."""
    rows = pc.answer_rows(store, workshop.id)
    # the database too: two stores (tests, a restored copy) may each have a workshop 1
    key = ("paced", str(store.url), workshop.id, len(rows), questionnaire.id, questionnaire.version,
           None if pack is None else pack.digest)
    with _CACHE_LOCK:
        hit = _CACHE.get(key)
    if hit is not None:
        return hit
    data = results_from_records(room_only(paced_records(rows)), questionnaire, pack, workshop.threshold,
                                workshop.partnership_name, key=key)
    with _CACHE_LOCK:
        if len(_CACHE) > 64:
            _CACHE.clear()
        _CACHE[key] = data
    return data


# --------------------------------------------------------------------------------------------
# The room chooses its actions


@dataclass(frozen=True)
class RoomAction:
    key: str
    text: str
    rule_id: str
    task_id: str | None
    finding: str


def room_actions(assessment: Any | None, questionnaire: Questionnaire) -> list[RoomAction]:
    """The recommended actions of the findings, most severe finding first, each once."""
    if assessment is None:
        return []
    out: dict[str, RoomAction] = {}
    for row in views.finding_rows(assessment.findings, questionnaire):
        for a in row["actions"]:
            k = action_key(row["rule"], a["text"])
            out.setdefault(k, RoomAction(k, a["text"], row["rule"], a.get("task_id"), row["title"]))
    return list(out.values())


def send_actions(store: Store, workshop: WorkshopInfo, chosen: Sequence[RoomAction],
                 counts: Mapping[str, int]) -> list[ActionInfo]:
    """Put the chosen actions, with their votes, on the partnership's action plan (owners and
    dates are filled in there). An action this workshop already sent is not added again."""
    sent = {a.text for a in store.actions(workshop.partnership_id) if a.round_id == workshop.round_id}
    added = []
    for a in chosen:
        if a.text.strip() in sent:
            continue
        added.append(store.add_action(workshop.partnership_id, workshop.round_id, a.text, task=a.task_id,
                                      rule_id=a.rule_id, votes=int(counts.get(a.key, 0))))
        sent.add(a.text.strip())
    return added


# --------------------------------------------------------------------------------------------
# Closing


def close_workshop(store: Store, workshop: WorkshopInfo, questionnaire: Questionnaire) -> WorkshopInfo:
    """Close a workshop. Paced: a last step of the figures, then each participant's released
    answers become one response of the round (answers still held back stay out of the figures,
    as an open round's would)."""
    if not workshop.paced:
        return ws.close(store, workshop.id)
    step_figures(store, workshop, questionnaire)
    closed = ws.close(store, workshop.id)  # no answer gets in after this
    if store.response_records(workshop.round_id):
        return closed  # written by an earlier close
    by_key: dict[str, dict[str, Any]] = {}
    for key, org, level, item, value in pc.answer_rows(store, workshop.id):
        rec = by_key.setdefault(key, {"organisation": org, "level": level, "role": None, "answers": {},
                                      "comments": {}, "submission_key": f"ws:{key}"})
        rec["answers"][item] = value
    with contextlib.suppress(InputError):  # another process wrote them at the same moment
        store.import_records(workshop.round_id, list(by_key.values()))
    return closed
