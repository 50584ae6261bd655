"""Facilitator-paced workshops and questions asked only of some kinds of organisation
(`asked_of`): the phone offers no answer to the others, `answer()` refuses one, and an answer
that got in anyway is in no live figure, so the room sees what the round holds after the close.

Store tests run on SQLite and on PostgreSQL (the `store` fixture).
"""

from __future__ import annotations

import pytest

from healthcheck.core.errors import InputError
from healthcheck.core.questionnaire import find_questionnaire, load_questionnaire
from healthcheck.core.rules import load_rules
from healthcheck.core.workshop import paced_items
from healthcheck.services import workshop as sw
from healthcheck.services.results import round_results
from healthcheck.store import Store
from healthcheck.store import paced as pc
from healthcheck.store import workshops as ws

from ..apptest import app
from ..ui.test_workshop_app import ok, texts

MUSIC_ONLY = "q.know_care_system"  # asked_of: [music]
FOR_ALL = "q.know_partner_pressures"


@pytest.fixture(scope="module")
def core():  # type: ignore[no-untyped-def]
    q = load_questionnaire(find_questionnaire("core"))
    assert q.item_by_id[MUSIC_ONLY].asked_of == ("music",) and not q.item_by_id[FOR_ALL].asked_of
    return q


def _room(store: Store, threshold: int = 3) -> tuple[ws.WorkshopInfo, str, dict[str, int]]:
    p, _ = store.create_partnership("Harbour + City", "core", threshold,
                                    [("Harbour Music", "music"), ("City CYPS", "childrens_services")])
    info, token = ws.create_workshop(store, p.id, "Paced away day", paced=True, questionnaire_id="core")
    return info, token, {o.kind: o.id for o in store.organisations(p.id)}


def _fresh(store: Store, info: ws.WorkshopInfo) -> ws.WorkshopInfo:
    w = ws.get_workshop(store, info.id)
    assert w is not None
    return w


def test_answer_to_a_question_not_asked_of_the_kind_is_refused(store: Store, core) -> None:  # type: ignore[no-untyped-def]
    info, _, orgs = _room(store)
    pc.join(store, info.id, "cyps", orgs["childrens_services"], "operational")
    pc.join(store, info.id, "music", orgs["music"], "operational")
    assert pc.participant_kind(store, info.id, "cyps") == "childrens_services"
    assert pc.participant_kind(store, info.id, "nobody") is None
    with pytest.raises(InputError, match="another kind of organisation"):
        sw.answer(store, info, core, "cyps", MUSIC_ONLY, 4)
    assert sw.answer(store, info, core, "music", MUSIC_ONLY, 4)
    assert sw.answer(store, info, core, "cyps", FOR_ALL, 2)
    assert pc.answers_of(store, info.id, "cyps") == {FOR_ALL: 2}


def test_an_answer_that_got_in_is_in_no_figure(store: Store, core) -> None:  # type: ignore[no-untyped-def]
    """Written past `answer()` (through the store, which does not check kinds): the spread, the
    live figures and the step decision all leave it out, as the close does."""
    info, _, orgs = _room(store)
    for n in range(3):
        pc.join(store, info.id, f"m{n}", orgs["music"], "operational")
        sw.answer(store, info, core, f"m{n}", MUSIC_ONLY, 4)
    pc.join(store, info.id, "cyps", orgs["childrens_services"], "strategic")
    assert pc.save_answer(store, info.id, "cyps", MUSIC_ONLY, 1)  # the store itself lets it in
    assert pc.answer_counts(store, info.id) == {MUSIC_ONLY: 4}
    pc.close_question(store, info.id, MUSIC_ONLY)
    assert sw.step_figures(store, _fresh(store, info), core) == 1
    w = _fresh(store, info)
    dist, shown = sw.question_spread(store, w, core, core.item_by_id[MUSIC_ONLY])
    assert shown == 3 and int(dist["count"].sum()) == 3
    assert 1 not in [r[4] for r in pc.answer_rows(store, info.id)]
    data = sw.paced_results(store, w, core, None)
    assert len(data.records) == 3 and all(r["answers"] == {MUSIC_ONLY: 4} for r in data.records)


def test_live_figures_equal_the_round_after_close(store: Store, core) -> None:  # type: ignore[no-untyped-def]
    info, _, orgs = _room(store)
    pack = load_rules()
    for n in range(6):
        kind = "music" if n % 2 else "childrens_services"
        pc.join(store, info.id, f"p{n}", orgs[kind], "operational")
        sw.answer(store, info, core, f"p{n}", FOR_ALL, 1 + n % 5)
        if kind == "music":
            sw.answer(store, info, core, f"p{n}", MUSIC_ONLY, 2 + n % 3)
        else:  # slipped in past answer(): must not move the room's figures
            pc.save_answer(store, info.id, f"p{n}", MUSIC_ONLY, 5)
    for item in (FOR_ALL, MUSIC_ONLY):
        pc.close_question(store, info.id, item)
    assert sw.step_figures(store, _fresh(store, info), core) == 1
    w = _fresh(store, info)
    live = sw.paced_results(store, w, core, pack)
    closed = sw.close_workshop(store, w, core)
    after = round_results(store, closed.round_id, core, pack, closed.threshold, closed.partnership_name)
    assert live.assessment is not None and after.assessment is not None
    assert live.assessment.scores.items == after.assessment.scores.items
    assert live.assessment.scores.answers == after.assessment.scores.answers
    assert ([(d.id, d.score, d.answered) for d in live.assessment.scores.dimensions]
            == [(d.id, d.score, d.answered) for d in after.assessment.scores.dimensions])
    assert (sorted(sorted(r["answers"].items()) for r in live.records)
            == sorted(sorted(r["answers"].items()) for r in after.records))
    assert sum(MUSIC_ONLY in r["answers"] for r in after.records) == 3


def test_phone_shows_no_answer_buttons_to_the_other_kind(db: Store, core) -> None:  # type: ignore[no-untyped-def]
    info, _, orgs = _room(db)
    items = paced_items(None, core)
    pc.set_position(db, info.id, [i.id for i in items].index(MUSIC_ONLY), len(items))
    p = f"pw{info.id}_"
    phones = {}
    for kind in ("childrens_services", "music"):
        phone = app(join=info.join_code).run()
        phone.selectbox(key=p + "org").set_value(orgs[kind])
        phone.radio(key=p + "level").set_value("operational")
        phone.button(key=p + "join").click().run()
        ok(phone)
        phones[kind] = phone
    partner, music = phones["childrens_services"], phones["music"]
    sentence = "This question is for Music organisation staff; the room will discuss it together."
    assert sentence in texts(partner)
    assert not [r for r in partner.radio if r.key == p + f"a:{MUSIC_ONLY}"]
    assert sentence not in texts(music)
    music.radio(key=p + f"a:{MUSIC_ONLY}").set_value(4).run()
    ok(music)
    assert pc.answer_counts(db, info.id) == {MUSIC_ONLY: 1}
