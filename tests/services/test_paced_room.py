"""A facilitator-paced workshop's figures are the room's (issue 17; `core.anonymity.room`).

Answers join a paced workshop's figures question by question, in steps. Group figures that move
with those steps could be subtracted from one another (an organisation of three at one step and
four at the next gives the fourth person's answer), and a dashboard broken down by organisation
after the close could be set against the whole-room figures the projector showed at each step.
So both the console's figures and the round the workshop makes are the whole room's only.

Each attack is played through the services with what a photographer of the projector (or a
reader of the dashboard) would note down at each look, and `linear_leak` is asked whether any
fewer than the threshold of people can be pinned down from all the looks together. A control
computes the same looks the old way (organisation and level kept) and shows the leak, so these
tests fail if the room-only rule goes.

Store tests run on SQLite and on PostgreSQL (the `store` fixture).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pytest

from healthcheck.core.anonymity import ROOM_ONLY_NOTE, linear_leak, shown_score
from healthcheck.core.assess import facts_from_scores
from healthcheck.core.questionnaire import Item, Questionnaire
from healthcheck.core.rules import RulePack, load_rules
from healthcheck.core.workshop import paced_items, paced_records
from healthcheck.present import views
from healthcheck.services import workshop as sw
from healthcheck.services.portfolio import store_portfolio
from healthcheck.services.results import (
    RoundData,
    release_results,
    results_from_records,
    round_results,
    shared_results,
)
from healthcheck.store import Store, sharing
from healthcheck.store import paced as pc
from healthcheck.store import workshops as ws
from healthcheck.ui.common import plain

from ..apptest import app
from ..ui.test_workshop_app import ok, texts

THRESHOLD = 3
LEVEL = "operational"  # one level for everyone: the attacks here go through organisations
GROUP_CONDITIONS = {"gap", "lowest_group"}


def _rules() -> RulePack:
    return load_rules()


def _room(store: Store, paced: bool = True) -> tuple[ws.WorkshopInfo, dict[str, int], str]:
    p, admin = store.create_partnership("Harbour partnership", "pulse", THRESHOLD,
                                        [("Harbour Music", "music"), ("City CYPS", "childrens_services")])
    title = "Paced workshop" if paced else "Self-paced workshop"
    info, _ = ws.create_workshop(store, p.id, title, paced=paced)
    return info, {o.name: o.id for o in store.organisations(p.id)}, admin


def _fresh(store: Store, info: ws.WorkshopInfo) -> ws.WorkshopInfo:
    w = ws.get_workshop(store, info.id)
    assert w is not None
    return w


def _for_everyone(q: Questionnaire) -> list[Item]:
    """The agreement questions asked of every kind of organisation."""
    return [i for i in paced_items(None, q) if i.type == "likert" and not i.asked_of]


def _percent(value: int) -> float:
    return (value - 1) * 25.0


class Photographer:
    """What someone noting down every look at the figures knows: per look, the sums it shows,
    each as the set of people it adds up (the whole of each area, and every group shown)."""

    def __init__(self, q: Questionnaire, org_of: Mapping[str, str]) -> None:
        self.q = q
        self.org_of = dict(org_of)
        self.order: list[str] = []  # people in the order their records come (first answer saved)
        self.sums: list[frozenset[str]] = []

    def joined(self, key: str) -> None:
        self.order.append(key)

    def look(self, data: RoundData) -> None:
        assert data.assessment is not None
        scores = data.assessment.scores
        inside = scores.in_figures or (True,) * len(data.records)
        people = [(k, r) for k, r, keep in zip(self.order, data.records, inside, strict=False) if keep]
        for d in scores.dimensions:
            if d.score is None:
                continue
            answered = [k for k, r in people if self._answers_area(r, d.id)]
            self.sums.append(frozenset(answered))
            for org, value in d.by_organisation.items():
                if value is not None:
                    self.sums.append(frozenset(k for k in answered if self.org_of[k] == org))
            for level, value in d.by_level.items():
                if value is not None:
                    self.sums.append(frozenset(k for k in answered if level == LEVEL))

    def _answers_area(self, record: Mapping[str, Any], dim: str) -> bool:
        return any(isinstance(v, int) and dim in {ref.id for ref in self.q.item_by_id[i].dimensions}
                   for i, v in (record.get("answers") or {}).items())

    def leak(self) -> frozenset[tuple[str, ...]] | None:
        """A set of fewer than the threshold of people whose answers all the looks pin down."""
        return linear_leak({(k,): 1 for k in self.order}, [[(k,) for k in s] for s in self.sums], THRESHOLD)


def _no_group_figures(data: RoundData) -> None:
    """No group score, gap or lowest group anywhere: scores, score document, facts, evidence."""
    assert data.assessment is not None
    scores = data.assessment.scores
    assert scores.room_only
    doc = data.assessment.document()
    assert all(not d.by_organisation and not d.by_level and not d.suppressed for d in doc.dimensions)
    assert not doc.organisations
    assert all(d.gap is None and d.lowest_group is None and d.gap_between is None for d in scores.dimensions)
    facts = facts_from_scores(scores)
    assert not facts.gaps and not facts.lowest_groups
    assert all(e.condition not in GROUP_CONDITIONS for f in data.assessment.findings for e in f.evidence)
    assert ROOM_ONLY_NOTE in views.anonymity_notes(scores)


def _answer(store: Store, info: ws.WorkshopInfo, q: Questionnaire, key: str, org_id: int,
            answers: Mapping[str, int]) -> None:
    pc.join(store, info.id, key, org_id, LEVEL)
    for item_id, value in answers.items():
        assert sw.answer(store, info, q, key, item_id, value)


def _old_look(store: Store, info: ws.WorkshopInfo, q: Questionnaire) -> RoundData:
    """The console's figures as they were before the room-only rule: organisation and level kept."""
    return results_from_records(paced_records(pc.answer_rows(store, info.id)), q, _rules(), THRESHOLD,
                                info.partnership_name)


# ----------------------------------------------------------------------------- while the workshop runs


def test_steps_cannot_be_subtracted_while_the_workshop_runs(store: Store, pulse) -> None:  # type: ignore[no-untyped-def]
    """Harbour Music has three people at step 1 and a fourth joins at step 2: with organisation
    figures on the projector, 4 x step 2 - 3 x step 1 is the fourth person's answer. Room only,
    every difference between looks is at least the threshold of people."""
    info, orgs, _ = _room(store)
    item = _for_everyone(pulse)[0]
    a, b = "Harbour Music", "City CYPS"
    first = {"a1": (a, 5), "a2": (a, 5), "a3": (a, 5), "b1": (b, 2), "b2": (b, 3), "b3": (b, 4)}
    second = {"a4": (a, 1), "b4": (b, 4), "b5": (b, 2)}
    org_of = {k: org for k, (org, _) in {**first, **second}.items()}
    room, old = Photographer(pulse, org_of), Photographer(pulse, org_of)
    looks: list[tuple[RoundData, RoundData]] = []
    for batch, step in ((first, 1), (second, 2)):
        for key, (org, value) in batch.items():
            _answer(store, info, pulse, key, orgs[org], {item.id: value})
            room.joined(key)
            old.joined(key)
        pc.close_question(store, info.id, item.id)
        assert sw.step_figures(store, _fresh(store, info), pulse) == step
        now = sw.paced_results(store, _fresh(store, info), pulse, _rules())
        then = _old_look(store, info, pulse)
        assert len(now.records) == len(then.records) == len(room.order)
        _no_group_figures(now)
        room.look(now)
        old.look(then)
        looks.append((now, then))
    # the whole room's figure is the same either way: only the groups went
    dims = [ref.id for ref in item.dimensions]
    for now, then in looks:
        assert now.assessment is not None and then.assessment is not None
        for dim in dims:
            assert now.assessment.scores.by_id[dim].score == then.assessment.scores.by_id[dim].score
    assert room.leak() is None
    # control: with organisation figures, the two looks give away a4
    (_, old1), (_, old2) = looks
    assert old1.assessment is not None and old2.assessment is not None
    dim = dims[0]
    before = old1.assessment.scores.by_id[dim].by_organisation[a]
    after = old2.assessment.scores.by_id[dim].by_organisation[a]
    assert before is not None and after is not None
    assert 4 * after - 3 * before == pytest.approx(_percent(second["a4"][1]))
    shown = 4 * (shown_score(after) or 0) - 3 * (shown_score(before) or 0)  # rounded figures do it too
    assert round(shown / 25) * 25 == _percent(second["a4"][1])
    leak = old.leak()
    assert leak is not None and len(leak) < THRESHOLD


# ----------------------------------------------------------------------------- after the close


def test_the_round_a_paced_workshop_made_is_the_room_only(store: Store, pulse) -> None:  # type: ignore[no-untyped-def]
    """The projector showed the room of {P, Q, R} at step 1 and of {P, ..., U} at step 2 (S, T
    and U all City CYPS). A dashboard of the round by organisation would show City CYPS
    {R, S, T, U} (Harbour Music's two hidden): R = City CYPS - (step 2 - step 1). Room only, the
    dashboard's figure is the last step's again."""
    info, orgs, _ = _room(store)
    item = _for_everyone(pulse)[0]
    a, b = "Harbour Music", "City CYPS"
    first = {"P": (a, 5), "Q": (a, 4), "R": (b, 1)}
    second = {"S": (b, 4), "T": (b, 5), "U": (b, 3)}
    org_of = {k: org for k, (org, _) in {**first, **second}.items()}
    room, old = Photographer(pulse, org_of), Photographer(pulse, org_of)
    projector: list[RoundData] = []
    for batch, step in ((first, 1), (second, 2)):
        for key, (org, value) in batch.items():
            _answer(store, info, pulse, key, orgs[org], {item.id: value})
            room.joined(key)
            old.joined(key)
        pc.close_question(store, info.id, item.id)
        assert sw.step_figures(store, _fresh(store, info), pulse) == step
        shown = sw.paced_results(store, _fresh(store, info), pulse, _rules())
        _no_group_figures(shown)
        room.look(shown)
        old.look(shown)  # the room saw the same whole-room figures either way
        projector.append(shown)
    sw.close_workshop(store, _fresh(store, info), pulse)
    records = store.response_records(info.round_id)
    assert [r["organisation"] for r in records] == [a, a, b, b, b, b]  # the store keeps who is who
    dashboard = round_results(store, info.round_id, pulse, _rules(), THRESHOLD, info.partnership_name)
    assert len(dashboard.records) == 6
    _no_group_figures(dashboard)
    assert {r["organisation"] for r in dashboard.frame.to_dict("records")} == {"(whole room)"}
    room.look(dashboard)
    assert room.leak() is None
    # a funder it is shared with sees the room only too, in the drill-down and the portfolio
    funder, _ = sharing.create_funder(store, "Harbour Fund")
    sharing.share_round(store, info.round_id, funder.id)
    drill = shared_results(store, funder.id, info.round_id, pulse, _rules(), THRESHOLD, info.partnership_name)
    assert drill is not None
    _no_group_figures(drill)
    portfolio, _ = store_portfolio(store, funder.id, _rules(), lambda _: pulse)
    assert portfolio.assessment(portfolio.names()[0]).scores.room_only
    # control: the same round broken down by organisation, as an ordinary round is shown
    steps = store.releases(info.round_id)
    r = store.get_round(info.round_id)
    assert r is not None
    grouped = release_results(records, steps, pulse, _rules(), THRESHOLD, info.partnership_name,
                              small_groups=r.small_groups)
    assert grouped.assessment is not None
    dim = item.dimensions[0].id
    by_b = grouped.assessment.scores.by_id[dim].by_organisation[b]
    assert by_b is not None and grouped.assessment.scores.by_id[dim].by_organisation.get(a) is None
    old.look(grouped)
    leak = old.leak()
    assert leak is not None and len(leak) < THRESHOLD  # R alone, and P and Q together, are pinned
    steps_scores = [d.assessment.scores.by_id[dim].score for d in projector if d.assessment is not None]
    assert 4 * by_b - (6 * steps_scores[1] - 3 * steps_scores[0]) == pytest.approx(_percent(first["R"][1]))


def test_an_ordinary_round_still_shows_its_groups(store: Store, pulse) -> None:  # type: ignore[no-untyped-def]
    """Room only is for paced workshops: a self-paced workshop's round keeps its breakdown."""
    info, orgs, _ = _room(store, paced=False)
    item = _for_everyone(pulse)[0]
    for n in range(6):
        org = "Harbour Music" if n < 3 else "City CYPS"
        assert ws.submit(store, info, orgs[org], LEVEL, {item.id: 1 if n < 3 else 5}, f"k{n}", pulse)
    data = round_results(store, info.round_id, pulse, _rules(), THRESHOLD, info.partnership_name)
    assert data.assessment is not None and not data.assessment.scores.room_only
    dim = data.assessment.scores.by_id[item.dimensions[0].id]
    assert dim.by_organisation == {"Harbour Music": 0.0, "City CYPS": 100.0} and dim.gap == 100.0
    assert ROOM_ONLY_NOTE not in views.anonymity_notes(data.assessment.scores)


# ----------------------------------------------------------------------------- rules that compare groups


def test_group_rules_stay_quiet_in_a_paced_workshop(store: Store, pulse) -> None:  # type: ignore[no-untyped-def]
    """Harbour Music answers 1 to everything, City CYPS 5: self-paced, the gap between them is a
    finding (perspective-gap); paced, with the same answers, no rule compares groups."""
    items = _for_everyone(pulse)
    people = [("Harbour Music", 1)] * 3 + [("City CYPS", 5)] * 3
    self_paced, orgs, _ = _room(store, paced=False)
    for n, (org, value) in enumerate(people):
        ws.submit(store, self_paced, orgs[org], LEVEL, {i.id: value for i in items}, f"s{n}", pulse)
    grouped = round_results(store, self_paced.round_id, pulse, _rules(), THRESHOLD,
                            self_paced.partnership_name)
    assert grouped.assessment is not None
    fired = {f.rule.id for f in grouped.assessment.findings}
    assert "perspective-gap" in fired
    assert facts_from_scores(grouped.assessment.scores).gaps  # the control: the gaps are there

    paced, porgs, _ = _room(store)
    for n, (org, value) in enumerate(people):
        _answer(store, paced, pulse, f"p{n}", porgs[org], {i.id: value for i in items})
    for i in items:
        pc.close_question(store, paced.id, i.id)
    assert sw.step_figures(store, _fresh(store, paced), pulse) == 1
    live = sw.paced_results(store, _fresh(store, paced), pulse, _rules())
    assert live.assessment is not None and len(live.records) == len(people)
    _no_group_figures(live)
    quiet = {f.rule.id for f in live.assessment.findings}
    assert not quiet & {"perspective-gap", "marginalised-partner"}
    sw.close_workshop(store, _fresh(store, paced), pulse)
    after = round_results(store, paced.round_id, pulse, _rules(), THRESHOLD, paced.partnership_name)
    assert after.assessment is not None
    _no_group_figures(after)
    assert not {f.rule.id for f in after.assessment.findings} & {"perspective-gap", "marginalised-partner"}


# ----------------------------------------------------------------------------- pages (AppTest)


def _answered_room(db: Store, pulse: Questionnaire) -> tuple[ws.WorkshopInfo, str, str]:
    p, admin = db.create_partnership("Harbour + City", "pulse", THRESHOLD,
                                     [("Harbour Music", "music"), ("City CYPS", "childrens_services")])
    info, token = ws.create_workshop(db, p.id, "Paced away day", paced=True)
    orgs = [o.id for o in db.organisations(p.id)]
    items = _for_everyone(pulse)[:4]
    for n in range(6):
        _answer(db, info, pulse, f"p{n}", orgs[n % 2], {i.id: 1 + n % 5 for i in items})
    for i in items:
        pc.close_question(db, info.id, i.id)
    assert sw.step_figures(db, _fresh(db, info), pulse) == 1
    return info, token, admin


def _says_room_only(page: str) -> bool:
    return ROOM_ONLY_NOTE in page or plain(ROOM_ONLY_NOTE) in page


def test_console_and_dashboard_say_the_figures_are_the_rooms(db: Store, pulse) -> None:  # type: ignore[no-untyped-def]
    info, token, admin = _answered_room(db, pulse)
    ws.reveal(db, info.id)
    console = app(facilitate=token).run()
    ok(console)
    assert "Risk flags" in texts(console) and _says_room_only(texts(console))
    sw.close_workshop(db, _fresh(db, info), pulse)
    dashboard = app(admin=admin).run()
    ok(dashboard)
    page = texts(dashboard)
    assert "Dashboard" in page and _says_room_only(page)
    assert "Who answered" not in page and "Where partners see things differently" not in page
    assert not [s for s in dashboard.get("segmented_control") if s.key == "dash_radar_view"]
