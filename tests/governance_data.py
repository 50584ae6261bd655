"""A store filled with a row in every table (tests of deletion, retention and backup).

`populate` builds one partnership with two survey rounds (the first closed), a live workshop
with participants, an open paced workshop with answers and a vote, an action, a partner team
note, a funder with shares, a share code and a wrong share code counted, and releases (the
figures were looked at). Answers are random but
seeded, with comments on low scores.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select

from healthcheck.core.questionnaire import Questionnaire, find_questionnaire, load_questionnaire
from healthcheck.core.rules import RulePack, load_rules
from healthcheck.core.workshop import paced_items
from healthcheck.services.results import round_results
from healthcheck.store import Base, Store, paced, sharing, throttle, workshops

ORGS = (("Harbour Music", "music"), ("City Children's Services", "childrens_services"),
        ("Foster Co", "fostering"))


@dataclass(frozen=True)
class Filled:
    partnership_id: int
    spring: int  # closed survey round
    autumn: int  # open survey round
    workshop_round: int
    funder_id: int
    orgs: dict[str, int]


_Q: dict[str, Questionnaire] = {}
_PACK: list[RulePack] = []


def questionnaire(qid: str = "core") -> Questionnaire:
    if qid not in _Q:
        _Q[qid] = load_questionnaire(find_questionnaire(qid))
    return _Q[qid]


def pack() -> RulePack:
    if not _PACK:
        _PACK.append(load_rules())
    return _PACK[0]


def records(q: Questionnaire, counts: dict[str, int], seed: int,
            comments: bool = True) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    out = []
    k = 0
    for org, n in counts.items():
        for _ in range(n):
            k += 1
            answers: dict[str, Any] = {}
            notes: dict[str, str] = {}
            for item in q.items:
                if item.type == "likert":
                    value = rng.choice([1, 2, 2, 3, 3, 4, 4, 5, "dk"])
                    answers[item.id] = value
                    if comments and item.comment_prompt_below and isinstance(value, int) and value <= 2:
                        notes[item.id] = f"Comment {k} on {item.id}: time is short."
                elif item.type == "choice":
                    answers[item.id] = rng.choice(item.choices).id
            level = rng.choice(["strategic", "operational"])
            out.append({"respondent": f"r{k}", "organisation": org, "level": level,
                        "role": None, "answers": answers, "comments": notes})
    return out


def populate(store: Store, name: str = "Harbour + City", seed: int = 1,
             funder_id: int | None = None) -> Filled:
    q = questionnaire()
    p, _ = store.create_partnership(name, q.id, 3, list(ORGS))
    orgs = {o.name: o.id for o in store.organisations(p.id)}
    spring, _ = store.open_round(p.id, "Spring", q.id, q.version)
    store.import_records(spring.id, records(q, {"Harbour Music": 5, "City Children's Services": 4,
                                                "Foster Co": 2}, seed))
    store.close_round(spring.id)
    autumn, _ = store.open_round(p.id, "Autumn", q.id, q.version)
    store.import_records(autumn.id, records(q, {"Harbour Music": 4, "City Children's Services": 4,
                                                "Foster Co": 3}, seed + 1))
    pulse = questionnaire("pulse")
    w, _ = workshops.create_workshop(store, p.id, "Away day", pulse.id)
    for i in range(4):
        workshops.register_participant(store, w.id, f"participant{i:02d}{seed:04d}")
        workshops.submit(store, w, orgs["Harbour Music"], "operational",
                         {i.id: 4 for i in workshops.items_for(w.dimensions, pulse) if i.type == "likert"},
                         f"sub{i:02d}{seed:04d}", questionnaire=pulse)
    # a paced workshop, still open: who joined (organisation, level), answers, a closed question, a vote
    pw, _ = workshops.create_workshop(store, p.id, "Paced session", pulse.id, paced=True)
    first = next(i for i in paced_items(pw.dimensions, pulse) if i.type == "likert")
    for i in range(3):
        key = f"paced{i:02d}{seed:04d}"
        paced.join(store, pw.id, key, orgs["Foster Co"], "strategic")
        paced.save_answer(store, pw.id, key, first.id, 3 + i % 2)
    paced.close_question(store, pw.id, first.id)
    paced.vote(store, pw.id, f"paced00{seed:04d}", "a" * 16)
    store.add_action(p.id, spring.id, "Cost the partnership's own time in the next budget.",
                     task="task.investing_resources")
    store.set_team_note(p.id, orgs["Foster Co"], "team.challenges", "Caseloads are high this year.")
    if funder_id is None:
        funder, _ = sharing.create_funder(store, "Northern Arts Fund")
        funder_id = funder.id
    sharing.share_round(store, spring.id, funder_id, include_comments=True)
    sharing.share_round(store, autumn.id, funder_id)
    sharing.create_share_code(store, autumn.id)
    attempt = throttle.Throttle(store, throttle.funder_key(funder_id)).begin()
    assert attempt is not None
    for r in (spring.id, autumn.id):  # someone looked: the figures took their first step
        round_results(store, r, q, pack(), 3, name)
    return Filled(p.id, spring.id, autumn.id, w.round_id, funder_id, orgs)


def counts(store: Store) -> dict[str, int]:
    """Rows in every table of the models' metadata."""
    with store.reading() as s:
        return {t.name: int(s.execute(select(func.count()).select_from(t)).scalar_one())
                for t in Base.metadata.sorted_tables}


def dump(store: Store) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table, in primary-key order (JSON values as sorted text)."""
    import json

    out = {}
    with store.reading() as s:
        for t in Base.metadata.sorted_tables:
            rows = s.execute(select(t).order_by(*t.primary_key.columns)).all()
            out[t.name] = [tuple(json.dumps(v, sort_keys=True) if isinstance(v, dict | list) else v
                                 for v in row) for row in rows]
    return out
