"""Live workshop pages with AppTest (no browser): console, participant page, bad links and codes."""

from __future__ import annotations

import os
import uuid
from typing import Any

from streamlit.testing.v1 import AppTest

from healthcheck.store import Store
from healthcheck.store import throttle as th
from healthcheck.store import workshops as ws

from ..apptest import app


def texts(at: AppTest) -> str:
    parts: list[str] = []
    for kind in ("title", "header", "subheader", "markdown", "caption", "text", "info", "warning",
                 "error", "success", "code"):
        parts.extend(str(e.value) for e in getattr(at, kind))
    for df in at.dataframe:
        parts.append(df.value.to_csv())
    return "\n".join(parts)


def ok(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]
    assert "Something went wrong on our side" not in texts(at)


def charts(at: AppTest) -> list[Any]:
    return list(at.get("arrow_vega_lite_chart")) + list(at.get("vega_lite_chart"))


def workshop(db: Store, threshold: int = 3) -> tuple[ws.WorkshopInfo, str, dict[str, int]]:
    p, _ = db.create_partnership("Harbour + City", "pulse", threshold,
                                 [("Harbour Music", "music"), ("City CYPS", "childrens_services")])
    info, token = ws.create_workshop(db, p.id, "Away day workshop")
    return info, token, {o.name: o.id for o in db.organisations(p.id)}


def fill(db: Store, info: ws.WorkshopInfo, orgs: dict[str, int], pulse, n: int) -> None:  # type: ignore[no-untyped-def]
    for i in range(n):
        answers = {item.id: 1 + (i % 2) for item in pulse.likert_items}
        ws.submit(db, info, list(orgs.values())[i % 2], "operational", answers, uuid.uuid4().hex, pulse)


# ----------------------------------------------------------------------------- console


def test_console_with_bad_token_shows_plain_message(db: Store) -> None:
    info, _, _ = workshop(db)
    for bad in ("not-a-real-token", info.join_code):  # a join code never opens the console
        at = app(facilitate=bad).run()
        ok(at)
        assert any("facilitator link does not work" in e.value for e in at.error)
        assert not at.button and not charts(at)
        assert info.join_code not in texts(at)


def test_console_hides_results_until_revealed(db: Store, pulse) -> None:  # type: ignore[no-untyped-def]
    info, token, orgs = workshop(db)
    fill(db, info, orgs, pulse, 6)
    at = app(facilitate=token).run()
    ok(at)
    page = texts(at)
    html_bodies = "\n".join(e.proto.body for e in at.get("html"))
    assert "Away day workshop" in page and f"https://hc.example.org/?join={info.join_code}" in html_bodies
    assert [m.value for m in at.metric] == ["6", "6"]  # joined (at least those who sent) and sent
    assert "hidden until you reveal" in page
    assert not charts(at) and "Findings" not in page
    at.button(key="ws_reveal").click().run()
    ok(at)
    assert ws.get_workshop(db, info.id).revealed  # type: ignore[union-attr]
    page = texts(at)
    assert "Findings" in page and "Answers per question" in page
    assert len(charts(at)) >= 3  # radars, the distribution
    at.button(key="ws_hide").click().run()
    ok(at)
    assert not charts(at)


def test_console_counts_below_threshold_and_no_results(db: Store, pulse) -> None:  # type: ignore[no-untyped-def]
    info, token, orgs = workshop(db, threshold=4)
    fill(db, info, orgs, pulse, 3)
    ws.reveal(db, info.id)
    at = app(facilitate=token).run()
    ok(at)
    page = texts(at)
    assert "fewer than 4" in page  # per organisation, not the exact small count
    assert "at least 4 people" in page and not charts(at) and "Findings" not in page


def test_console_close_stops_answers(db: Store, pulse) -> None:  # type: ignore[no-untyped-def]
    info, token, orgs = workshop(db)
    at = app(facilitate=token).run()
    assert at.button(key="ws_close").disabled  # needs the confirmation tick first
    at.checkbox(key="ws_confirm_close").check().run()
    at.button(key="ws_close").click().run()
    ok(at)
    assert "has ended" in texts(at)
    assert ws.workshop_by_join_code(db, info.join_code) is None
    assert not db.get_round(info.round_id).is_open  # type: ignore[union-attr]


def test_console_shows_a_guessing_storm_as_a_count(db: Store) -> None:
    """Issue 14: many wrong join codes across the app show on the console as a count (never an
    address); below the storm level nothing is said."""
    from datetime import UTC, datetime

    from healthcheck.store import JoinFailure

    info, token, _ = workshop(db)
    at = app(facilitate=token).run()
    ok(at)
    assert not any("Guessing storm" in w.value for w in at.warning)
    now = datetime.now(UTC)
    with db.writing() as s:
        s.add_all(JoinFailure(client_key=th.session_key(f"guesser-{n}"), failed_at=now)
                  for n in range(th.STORM + 5))
        # share codes are another kind: not counted
        s.add_all(JoinFailure(client_key=th.funder_key(n), failed_at=now) for n in range(50))
    at.run()
    ok(at)
    [storm] = [w.value for w in at.warning if "Guessing storm" in w.value]
    assert f"{th.STORM + 5} wrong workshop codes" in storm and "Nobody is locked out" in storm


# ----------------------------------------------------------------------------- participant


def test_participant_bad_code_is_plain_and_throttled(db: Store) -> None:
    workshop(db)
    at = app(join="ZZZZZZ").run()
    ok(at)
    assert any("code does not work" in e.value for e in at.error)
    assert not at.radio
    for _ in range(th.FREE):  # wrong codes typed into the box: the rest are free, then the wait
        at.text_input(key="ws_retry_text").input("YYYYYY")
        at.button(key="FormSubmitter:ws_retry-Join").click().run()
        ok(at)
    assert any("Too many wrong codes. Please wait" in e.value for e in at.error)


def test_participant_closed_code_is_refused(db: Store) -> None:
    info, _, _ = workshop(db)
    ws.close(db, info.id)
    at = app(join=info.join_code).run()
    ok(at)
    assert any("ended" in e.value for e in at.error)
    assert not at.radio


def test_participant_submits_once(db: Store, pulse) -> None:  # type: ignore[no-untyped-def]
    info, _, orgs = workshop(db)
    at = app(join=info.join_code.lower()).run()
    ok(at)
    status = ws.live_status(db, info.id)
    assert status is not None and status.participants == 1 and status.submissions == 0
    p = f"ws{info.id}_"
    at.button(key=p + "send").click().run()  # nothing chosen yet: a plain message
    ok(at)
    assert any("choose your organisation" in e.value for e in at.error)
    at.selectbox(key=p + "org").set_value(orgs["City CYPS"])
    at.radio(key=p + "level").set_value("strategic")
    at.radio(key=p + "a:q.clear_problem").set_value(4)
    at.radio(key=p + "a:fact.named_lead").set_value("yes")
    at.run()
    at.button(key=p + "send").click().run()
    ok(at)
    assert any("Thank you" in s.value for s in at.success)
    records = db.response_records(info.round_id)
    assert len(records) == 1
    assert records[0]["answers"] == {"q.clear_problem": 4, "fact.named_lead": "yes"}
    assert records[0]["organisation"] == "City CYPS" and records[0]["level"] == "strategic"
    # A double tap (the same session runs again) does not store anything twice.
    at.run()
    ok(at)
    assert any("Thank you" in s.value for s in at.success)
    assert len(db.response_records(info.round_id)) == 1


def test_join_link_with_a_used_key_still_gives_the_form(db: Store) -> None:
    """Issue 14. `?join=CODE&k=<used key>` used to go straight to "Thank you" with no form (and the
    old reload test asserted exactly that). The key is now the page session's own, never read
    from the address: the link's holder answers, and both answers are stored once each."""
    info, _, orgs = workshop(db)
    p = f"ws{info.id}_"
    at = app(join=info.join_code).run()
    used = at.session_state[p + "key"]
    at.selectbox(key=p + "org").set_value(orgs["City CYPS"])
    at.radio(key=p + "level").set_value("strategic")
    at.radio(key=p + "a:q.clear_problem").set_value(4)
    at.run()
    at.button(key=p + "send").click().run()
    assert len(db.response_records(info.round_id)) == 1
    again = app(join=info.join_code, k=used).run()
    ok(again)
    assert not any("Thank you" in s.value for s in again.success)
    again.selectbox(key=p + "org").set_value(orgs["Harbour Music"])
    again.radio(key=p + "level").set_value("operational")
    again.radio(key=p + "a:q.clear_problem").set_value(2)
    again.run()
    again.button(key=p + "send").click().run()
    ok(again)
    assert any("Thank you" in s.value for s in again.success)
    assert not any("already" in c.value for c in again.caption)
    records = sorted(db.response_records(info.round_id), key=lambda rec: rec["organisation"])
    assert [(rec["organisation"], rec["answers"]["q.clear_problem"]) for rec in records] == [
        ("City CYPS", 4), ("Harbour Music", 2)]
    assert "k" not in at.query_params and "k" not in again.query_params  # never (or no longer) in the address


def test_participant_sees_only_the_whole_partnership_after_reveal(db: Store, pulse) -> None:  # type: ignore[no-untyped-def]
    info, _, orgs = workshop(db)
    fill(db, info, orgs, pulse, 5)
    at = app(join=info.join_code).run()
    p = f"ws{info.id}_"
    at.selectbox(key=p + "org").set_value(orgs["Harbour Music"])
    at.radio(key=p + "level").set_value("operational")
    at.run()
    at.button(key=p + "send").click().run()
    ok(at)
    assert "when the facilitator shows them" in texts(at) and not charts(at)
    ws.reveal(db, info.id)
    at.run()
    ok(at)
    page = texts(at)
    assert "How the whole partnership sees it" in page
    assert charts(at)
    specs = " ".join(str(c.proto.spec) + str(c.proto.datasets) for c in charts(at))
    assert "Harbour Music" not in specs and "City CYPS" not in specs  # no organisation polygons
    assert "Findings" not in page


def test_public_join_page_code_box(db: Store) -> None:
    info, _, _ = workshop(db)
    at = app().run()
    ok(at)
    if os.environ.get("HC_WORKSHOP_APP") is None:  # the real app: open the "Join a workshop" page
        for page_hash, meta in at._registered_pages.items():  # noqa: SLF001
            if meta.get("url_pathname") == "join":
                at._page_hash = page_hash  # noqa: SLF001
                at.run()
    at.text_input(key="ws_code_box_text").input(f"{info.join_code[:3]}-{info.join_code[3:]}".lower())
    at.button(key="FormSubmitter:ws_code_box-Join").click().run()
    ok(at)
    assert at.query_params["join"] in (info.join_code, [info.join_code])


def test_rounds_page_runs_a_live_workshop(db: Store) -> None:
    p, admin = db.create_partnership("Harbour + City", "core", 3,
                                     [("Harbour Music", "music"), ("City CYPS", "childrens_services")])
    at = app(admin=admin).run()
    for page_hash, meta in at._registered_pages.items():  # noqa: SLF001
        if meta.get("url_pathname") == "rounds":
            at._page_hash = page_hash  # noqa: SLF001
            at.run()
    ok(at)
    at.text_input(key="ws_title").input("Spring workshop")
    at.multiselect(key="ws_dims").set_value(["task.communicating", "task.integrity_trust", "factor.debate"])
    at.button(key="FormSubmitter:create_workshop-Run a live workshop").click().run()
    ok(at)
    (w,) = ws.workshops_of(db, p.id)
    assert w.title == "Spring workshop" and w.dimensions == ("factor.debate", "task.integrity_trust",
                                                             "task.communicating")
    link = next(c.value for c in at.code if "?facilitate=" in c.value)
    assert link.startswith("https://hc.example.org/?facilitate=")
    assert ws.workshop_by_facilitator_token(db, link.split("=", 1)[1]) == w
    assert db.get_round(w.round_id).kind == "workshop"  # type: ignore[union-attr]
    # the console of that workshop asks only the chosen areas
    console = app(facilitate=link.split("=", 1)[1]).run()
    ok(console)
    phone = app(join=w.join_code).run()
    ok(phone)
    asked = [r.key for r in phone.radio if r.key and ":q." in r.key]
    assert sorted(k.split(":", 1)[1] for k in asked) == ["q.left_out", "q.mistakes_admitted"]
