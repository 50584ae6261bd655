"""Facilitator-paced workshops (issue 17, items 1 and 2): the current question in the store,
answers saved per question, figures in steps of at least the threshold, votes, actions to the plan.

Store tests run on SQLite and on PostgreSQL (the `store` fixture).
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import text

from healthcheck.core.anonymity import votes_note
from healthcheck.core.errors import InputError
from healthcheck.core.rules import load_rules
from healthcheck.core.workshop import (
    MAX_VOTES,
    answer_value,
    discussion_prompt,
    paced_items,
    releasable_items,
    section_starts,
)
from healthcheck.services import workshop as sw
from healthcheck.store import Store
from healthcheck.store import paced as pc
from healthcheck.store import workshops as ws
from healthcheck.ui.common import plain

from ..apptest import app
from ..ui.test_workshop_app import charts, ok, texts


def shows(at, words: str | None) -> bool:  # type: ignore[no-untyped-def]
    """Whether the page shows `words` (free text is escaped for Markdown on the page)."""
    assert words
    page = texts(at) + "\n".join(str(r.label) for r in at.radio)
    return words in page or plain(words) in page


def _room(store: Store, threshold: int = 3) -> tuple[ws.WorkshopInfo, list[int]]:
    p, _ = store.create_partnership("Harbour partnership", "pulse", threshold,
                                    [("Harbour Music", "music"), ("City CYPS", "childrens_services")])
    info, _ = ws.create_workshop(store, p.id, "Paced workshop", paced=True)
    return info, [o.id for o in store.organisations(p.id)]


def _fresh(store: Store, info: ws.WorkshopInfo) -> ws.WorkshopInfo:
    w = ws.get_workshop(store, info.id)
    assert w is not None
    return w


# ----------------------------------------------------------------------------- pure logic


def test_pulse_items_have_discussion_prompts(pulse) -> None:  # type: ignore[no-untyped-def]
    items = paced_items(None, pulse)
    assert len(items) == len(pulse.items) and all(i.type in ("likert", "choice") for i in items)
    assert all(i.prompt and i.prompt != i.text for i in items)
    assert discussion_prompt(items[0]) == items[0].prompt
    bare = items[0].model_copy(update={"prompt": None})
    assert items[0].text.rstrip(".") in discussion_prompt(bare)
    starts = section_starts(items, pulse)
    assert starts[0] == ("Why we work together", 0) and len(starts) == len(pulse.sections)
    assert [n for _, n in starts] == sorted(n for _, n in starts)


def test_answer_values_and_releasable_items(pulse) -> None:  # type: ignore[no-untyped-def]
    likert = pulse.item("q.clear_problem") if hasattr(pulse, "item") else paced_items(None, pulse)[0]
    choice = next(i for i in paced_items(None, pulse) if i.type == "choice")
    assert answer_value(likert, 4) == 4 and answer_value(likert, "DK") == "dk"
    assert answer_value(choice, choice.choices[0].id) == choice.choices[0].id
    for bad in (0, 6, True, "4", None):
        with pytest.raises(InputError):
            answer_value(likert, bad)
    with pytest.raises(InputError):
        answer_value(choice, "maybe")
    assert releasable_items({"a": 3, "b": 2, "c": 5}, ["a", "b"], 3) == ["a"]  # c is still open
    assert releasable_items({"a": 2}, ["a"], 3) == []


# ----------------------------------------------------------------------------- store


def test_current_question_lives_in_the_database(store: Store, db_url: str) -> None:
    info, _ = _room(store)
    assert info.paced and info.position == 0 and info.closed_items == () and info.version == 0
    v0 = pc.pace_version(store, info.id)
    assert pc.set_position(store, info.id, 4, 19) == 4
    assert pc.set_position(store, info.id, 99, 19) == 18  # kept in range
    assert pc.set_position(store, info.id, -3, 19) == 0
    pc.close_question(store, info.id, "q.clear_problem")
    pc.close_question(store, info.id, "q.clear_problem")  # twice is once
    # another process (its own engine) sees the same place
    with Store(db_url) as other:
        seen = ws.get_workshop(other, info.id)
        assert seen is not None and seen.position == 0 and seen.closed_items == ("q.clear_problem",)
        assert pc.pace_version(other, info.id) == pc.pace_version(store, info.id)
    assert (pc.pace_version(store, info.id) or 0) > (v0 or 0)
    before = pc.pace_version(store, info.id)
    ws.reveal(store, info.id)
    assert pc.pace_version(store, info.id) == (before or 0) + 1  # phones follow the reveal too
    assert not ws.create_workshop(store, info.partnership_id, "Self-paced")[0].paced


def test_answers_per_question_are_saved_once_per_participant(store: Store, pulse) -> None:  # type: ignore[no-untyped-def]
    info, orgs = _room(store)
    with pytest.raises(InputError, match="organisation"):  # join first
        sw.answer(store, info, pulse, "p1", "q.clear_problem", 4)
    pc.join(store, info.id, "p1", orgs[0], "operational")
    assert pc.participant(store, info.id, "p1") == (orgs[0], "operational")
    assert sw.answer(store, info, pulse, "p1", "q.clear_problem", 4)
    assert not sw.answer(store, info, pulse, "p1", "q.clear_problem", 4)  # same answer again: nothing
    assert sw.answer(store, info, pulse, "p1", "q.clear_problem", 2)  # open: the answer may change
    with pytest.raises(InputError):
        sw.answer(store, info, pulse, "p1", "t.not_asked", 3)
    with pytest.raises(InputError):
        sw.answer(store, info, pulse, "p1", "q.clear_problem", 9)
    pc.close_question(store, info.id, "q.clear_problem")
    assert not sw.answer(store, info, pulse, "p1", "q.clear_problem", 5)  # closed: the first stands
    pc.join(store, info.id, "p2", orgs[1], "strategic")
    assert sw.answer(store, info, pulse, "p2", "q.clear_problem", 5)  # a late answer to a closed one
    assert pc.answers_of(store, info.id, "p1") == {"q.clear_problem": 2}
    assert pc.answer_counts(store, info.id) == {"q.clear_problem": 2}
    with store.engine.connect() as conn:
        rows = conn.execute(text("SELECT COUNT(*) FROM workshop_answers")).scalar_one()
    assert rows == 2
    sw.close_workshop(store, info, pulse)
    with pytest.raises(InputError, match="ended"):
        sw.answer(store, info, pulse, "p2", "q.left_out", 3)


def test_concurrent_answers_are_not_lost_or_doubled(store: Store, pulse) -> None:  # type: ignore[no-untyped-def]
    info, orgs = _room(store)
    items = [i.id for i in paced_items(None, pulse) if i.type == "likert"][:3]
    keys = [f"p{n}" for n in range(12)]
    for n, key in enumerate(keys):
        pc.join(store, info.id, key, orgs[n % 2], "operational")
    start = threading.Barrier(6)

    def phone(n: int) -> int:
        if n < 6:
            start.wait(timeout=30)
        stored = 0
        for item in items:
            stored += sw.answer(store, info, pulse, keys[n], item, 1 + n % 5)
            sw.answer(store, info, pulse, keys[n], item, 1 + n % 5)  # a double tap
        return stored

    with ThreadPoolExecutor(max_workers=6) as pool:
        assert sum(pool.map(phone, range(len(keys)))) == len(keys) * len(items)
    assert pc.answer_counts(store, info.id) == {item: len(keys) for item in items}


def test_spread_moves_in_steps_of_the_threshold(store: Store, pulse) -> None:  # type: ignore[no-untyped-def]
    """The anonymity rule on per-question spreads: nothing before the question is closed and at
    least the threshold have answered; afterwards it moves only when the threshold of new answers
    have come in, so two looks never differ by one person."""
    info, orgs = _room(store, threshold=3)
    item = paced_items(None, pulse)[0]
    for n in range(2):
        pc.join(store, info.id, f"p{n}", orgs[n % 2], "operational")
        sw.answer(store, info, pulse, f"p{n}", item.id, 5)
    dist, shown = sw.question_spread(store, _fresh(store, info), pulse, item)
    assert dist.empty and shown == 0  # open question: nothing released
    pc.close_question(store, info.id, item.id)
    assert sw.step_figures(store, _fresh(store, info), pulse) is None  # 2 < threshold
    dist, shown = sw.question_spread(store, _fresh(store, info), pulse, item)
    assert dist.empty and shown == 0
    pc.join(store, info.id, "p2", orgs[0], "strategic")
    sw.answer(store, info, pulse, "p2", item.id, 1)
    assert sw.step_figures(store, _fresh(store, info), pulse) == 1
    dist, shown = sw.question_spread(store, _fresh(store, info), pulse, item)
    assert shown == 3 and dist.set_index("option")["count"].to_dict()["Strongly agree"] == 2
    for n in (3, 4):  # two late answers: fewer than the threshold, the spread stays
        pc.join(store, info.id, f"p{n}", orgs[1], "operational")
        sw.answer(store, info, pulse, f"p{n}", item.id, 3)
        assert sw.step_figures(store, _fresh(store, info), pulse) is None
        assert sw.question_spread(store, _fresh(store, info), pulse, item)[1] == 3
    pc.join(store, info.id, "p5", orgs[1], "operational")
    sw.answer(store, info, pulse, "p5", item.id, 3)
    assert sw.step_figures(store, _fresh(store, info), pulse) == 2
    dist, shown = sw.question_spread(store, _fresh(store, info), pulse, item)
    assert shown == 6 and int(dist["count"].sum()) == 6


def test_findings_votes_and_actions_to_the_plan(store: Store, pulse) -> None:  # type: ignore[no-untyped-def]
    info, orgs = _room(store)
    items = paced_items(None, pulse)
    for n in range(5):
        key = f"p{n}"
        pc.join(store, info.id, key, orgs[n % 2], "operational")
        for item in items:
            value = (1 + n % 2) if item.type == "likert" else item.choices[-1].id
            sw.answer(store, info, pulse, key, item.id, value)
    for item in items:
        pc.close_question(store, info.id, item.id)
    w = _fresh(store, info)
    assert sw.step_figures(store, w, pulse) == 1
    data = sw.paced_results(store, w, pulse, load_rules())
    assert len(data.records) == 5 and data.assessment is not None and data.assessment.findings
    actions = sw.room_actions(data.assessment, pulse)
    assert len(actions) >= MAX_VOTES + 1 and len({a.key for a in actions}) == len(actions)
    for a in actions[:MAX_VOTES]:
        assert pc.vote(store, info.id, "p0", a.key)
    assert not pc.vote(store, info.id, "p0", actions[0].key)  # the same vote twice is one
    with pytest.raises(InputError, match="votes"):
        pc.vote(store, info.id, "p0", actions[MAX_VOTES].key)  # a fourth
    assert pc.vote(store, info.id, "p0", actions[0].key, on=False)  # take one back ...
    assert pc.vote(store, info.id, "p0", actions[MAX_VOTES].key)  # ... and give it elsewhere
    pc.vote(store, info.id, "p1", actions[1].key)
    counts = pc.vote_counts(store, info.id)
    assert counts == {actions[1].key: 2, actions[2].key: 1, actions[MAX_VOTES].key: 1}
    assert pc.votes_of(store, info.id, "p0") == {actions[1].key, actions[2].key, actions[MAX_VOTES].key}
    added = sw.send_actions(store, w, [actions[1], actions[2]], counts)
    assert [(a.text, a.votes, a.round_id, a.owner, a.due_date) for a in added] == [
        (actions[1].text, 2, w.round_id, "", None), (actions[2].text, 1, w.round_id, "", None)]
    assert sw.send_actions(store, w, [actions[1]], counts) == []  # sent once
    assert len(store.actions(w.partnership_id)) == 2
    # closing writes each participant's released answers as one response of the round
    sw.close_workshop(store, w, pulse)
    sw.close_workshop(store, _fresh(store, info), pulse)  # twice: nothing doubled
    records = store.response_records(w.round_id)
    assert len(records) == 5 and all(len(r["answers"]) == len(items) for r in records)


def test_closing_keeps_held_back_answers_out_of_the_round(store: Store, pulse) -> None:  # type: ignore[no-untyped-def]
    info, orgs = _room(store)
    first, second = paced_items(None, pulse)[:2]
    for n in range(4):
        pc.join(store, info.id, f"p{n}", orgs[n % 2], "operational")
        sw.answer(store, info, pulse, f"p{n}", first.id, 4)
    sw.answer(store, info, pulse, "p0", second.id, 2)  # one answer: never shown on its own
    pc.close_question(store, info.id, first.id)
    pc.close_question(store, info.id, second.id)
    sw.close_workshop(store, _fresh(store, info), pulse)
    records = store.response_records(info.round_id)
    assert len(records) == 4 and all(set(r["answers"]) == {first.id} for r in records)
    assert pc.answer_counts(store, info.id) == {first.id: 4, second.id: 1}  # kept, not lost


# ----------------------------------------------------------------------------- pages (AppTest)


def _app_room(db: Store, threshold: int = 3) -> tuple[ws.WorkshopInfo, str, list[int]]:
    p, _ = db.create_partnership("Harbour + City", "pulse", threshold,
                                 [("Harbour Music", "music"), ("City CYPS", "childrens_services")])
    info, token = ws.create_workshop(db, p.id, "Paced away day", paced=True)
    return info, token, [o.id for o in db.organisations(p.id)]


def _answers_from(db: Store, info: ws.WorkshopInfo, orgs: list[int], pulse, item_id: str,  # type: ignore[no-untyped-def]
                  values: list[int]) -> None:
    for n, value in enumerate(values):
        key = f"seed{n}"
        if pc.participant(db, info.id, key) is None:
            pc.join(db, info.id, key, orgs[n % 2], "operational")
        sw.answer(db, info, pulse, key, item_id, value)


def test_console_steps_through_the_questions(db: Store, pulse) -> None:  # type: ignore[no-untyped-def]
    info, token, orgs = _app_room(db)
    items = paced_items(None, pulse)
    at = app(facilitate=token).run()
    ok(at)
    assert f"Question 1 of {len(items)}" in texts(at) and shows(at, items[0].text)
    assert at.button(key="pc_back").disabled and not charts(at)
    at.button(key="pc_next").click().run()
    ok(at)
    assert _fresh(db, info).position == 1 and shows(at, items[1].text)
    start = dict(section_starts(items, pulse))["How we work together"]
    at.selectbox(key="pc_section").set_value(start).run()
    ok(at)
    assert _fresh(db, info).position == start and f"Question {start + 1} of {len(items)}" in texts(at)
    at.button(key="pc_back").click().run()
    assert _fresh(db, info).position == start - 1
    here = items[start - 1]  # the question the console is on after Back
    # two answers, closed: below the threshold no spread, only the prompt
    _answers_from(db, info, orgs, pulse, here.id, [5, 4])
    at.button(key="pc_close_q").click().run()
    ok(at)
    assert here.id in _fresh(db, info).closed_items
    assert "shows once at least 3 people" in texts(at) and not charts(at)
    assert shows(at, here.prompt)
    # a third answer arrives: the console's live part takes the step and the spread appears
    _answers_from(db, info, orgs, pulse, here.id, [5, 4, 1])
    sw.step_figures(db, _fresh(db, info), pulse)
    at.run()
    ok(at)
    assert len(charts(at)) == 1 and "shows once at least" not in texts(at)
    table = at.dataframe[-1].value if at.dataframe else None
    assert table is not None and int(table["People"].sum()) == 3


def test_phone_follows_answers_and_votes(db: Store, pulse) -> None:  # type: ignore[no-untyped-def]
    info, token, orgs = _app_room(db)
    items = paced_items(None, pulse)
    pc.set_position(db, info.id, 2, len(items))  # a late joiner lands on the current question
    phone = app(join=info.join_code).run()
    ok(phone)
    p = f"pw{info.id}_"
    assert not [r for r in phone.radio if r.key and ":" in r.key]  # organisation and level first
    phone.button(key=p + "join").click().run()
    assert any("choose your organisation" in e.value for e in phone.error)
    phone.selectbox(key=p + "org").set_value(orgs[1])
    phone.radio(key=p + "level").set_value("strategic")
    phone.button(key=p + "join").click().run()
    ok(phone)
    assert f"Question 3 of {len(items)}" in texts(phone) and shows(phone, items[2].text)
    key = phone.session_state[p + "key"]
    phone.radio(key=p + f"a:{items[2].id}").set_value(4).run()
    ok(phone)
    assert pc.answers_of(db, info.id, key) == {items[2].id: 4}  # saved as it is given
    # the facilitator goes back: the phone shows that question, and takes an answer to it
    pc.set_position(db, info.id, 1, len(items))
    phone.run()
    assert shows(phone, items[1].text)
    phone.radio(key=p + f"a:{items[1].id}").set_value("dk").run()
    phone.radio(key=p + f"a:{items[1].id}").set_value(5).run()  # changed while the question is open
    assert pc.answers_of(db, info.id, key) == {items[2].id: 4, items[1].id: 5}
    # closed with enough answers: the phone shows the same spread and the prompt
    _answers_from(db, info, orgs, pulse, items[1].id, [2, 2])
    pc.close_question(db, info.id, items[1].id)
    sw.step_figures(db, _fresh(db, info), pulse)
    phone.run()
    ok(phone)
    assert len(charts(phone)) == 1 and shows(phone, items[1].prompt)
    assert phone.radio(key=p + f"a:{items[1].id}").disabled  # answered and closed: final
    # the reveal: every question answered by enough people, then three votes on the phone
    for item in items:
        _answers_from(db, info, orgs, pulse, item.id,
                      [1, 2, 1] if item.type == "likert" else [item.choices[-1].id] * 3)
        pc.close_question(db, info.id, item.id)
    sw.step_figures(db, _fresh(db, info), pulse)
    ws.reveal(db, info.id)
    phone.run()
    ok(phone)
    boxes = [c for c in phone.checkbox if c.key and c.key.startswith(p + "v:")]
    assert len(boxes) > MAX_VOTES
    for box in boxes[:MAX_VOTES]:
        phone.checkbox(key=box.key).check().run()
    ok(phone)
    assert len(pc.votes_of(db, info.id, key)) == MAX_VOTES
    assert phone.checkbox(key=boxes[MAX_VOTES].key).disabled  # no fourth vote
    # the console lists the actions; their counts show once the threshold (3) of people have
    # voted (anonymity.votes_shown: counts moving one vote at a time show a colleague's choice)
    console = app(facilitate=token).run()
    ok(console)
    page = texts(console)
    assert "Risk flags" in page and "The room's votes" in page
    assert votes_note(3) in page and not [d for d in console.dataframe if "Votes" in d.value.columns]
    other = boxes[MAX_VOTES].key.removeprefix(p + "v:")
    pc.vote(db, info.id, "seed0", other)  # two people have voted: still no counts
    console.run()
    ok(console)
    assert votes_note(3) in texts(console)
    assert not [d for d in console.dataframe if "Votes" in d.value.columns]
    pc.vote(db, info.id, "seed1", other)  # three people: the counts show
    console.run()
    ok(console)
    assert votes_note(3) not in texts(console)
    votes = next(d.value for d in console.dataframe if "Votes" in d.value.columns)
    assert int(votes["Votes"].sum()) == MAX_VOTES + 2
    counts = pc.vote_counts(db, info.id)
    assert counts[other] == 2
    chosen = sorted(k for k in counts if k != other)[:2]
    console.multiselect(key="pc_chosen").set_value(chosen).run()
    console.button(key="pc_send").click().run()
    ok(console)
    assert any("added to the partnership's action plan" in s.value for s in console.success)
    plan = db.actions(info.partnership_id)
    assert sorted(a.votes for a in plan) == [1, 1] and all(a.round_id == info.round_id for a in plan)


def test_rounds_page_makes_a_paced_workshop(db: Store) -> None:
    """The mode is chosen when the workshop is made; self-paced stays the default."""
    p, admin = db.create_partnership("Harbour + City", "pulse", 3,
                                     [("Harbour Music", "music"), ("City CYPS", "childrens_services")])
    at = app(admin=admin).run()
    for page_hash, meta in at._registered_pages.items():  # noqa: SLF001
        if meta.get("url_pathname") == "rounds":
            at._page_hash = page_hash  # noqa: SLF001
            at.run()
    ok(at)
    assert at.toggle(key="ws_paced").value is False
    at.text_input(key="ws_title").input("Paced spring workshop")
    at.toggle(key="ws_paced").set_value(True)
    at.button(key="FormSubmitter:create_workshop-Run a live workshop").click().run()
    ok(at)
    (w,) = ws.workshops_of(db, p.id)
    assert w.paced and w.title == "Paced spring workshop"
    assert "you set the pace" in texts(at)


def test_risk_flags_move_in_steps_after_the_reveal(db: Store, pulse) -> None:  # type: ignore[no-untyped-def]
    """After the reveal, answers that arrive join the console's results (radar and risk flags)
    only in steps of at least the threshold: two late answers change nothing, the third does."""
    info, token, orgs = _app_room(db)
    item = paced_items(None, pulse)[12]  # "We are willing to try things that might not work."
    _answers_from(db, info, orgs, pulse, item.id, [1, 2, 1])
    pc.close_question(db, info.id, item.id)
    ws.reveal(db, info.id)
    at = app(facilitate=token).run()
    ok(at)
    assert "From 3 people's answers" in texts(at) and "Risk flags" in texts(at)
    flags_before = [m.value for m in at.markdown if m.value.startswith("#### ")]
    assert flags_before  # low scores on risk taking raise a flag
    for n in (3, 4):
        pc.join(db, info.id, f"late{n}", orgs[0], "operational")
        sw.answer(db, info, pulse, f"late{n}", item.id, 5)
        at.run()
        ok(at)
        assert "From 3 people's answers" in texts(at)  # held back: fewer than the threshold
    pc.join(db, info.id, "late5", orgs[1], "operational")
    sw.answer(db, info, pulse, "late5", item.id, 5)
    at.run()
    ok(at)
    assert "From 6 people's answers" in texts(at)  # the console's live part took the step
