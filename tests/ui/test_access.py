"""Access: every page with every wrong, stale or other party's token; who reaches what; link
precedence; tokens never in logs; join-code guessing throttled per browser session, never
making anyone else wait (issues 7 and 14).

Two partnerships (Alder and Birch) share one app database. Every visit with a token that is not
the right one must end in a plain message (no exception, no "something went wrong") and show
nothing of either partnership: no name, organisation, round label or comment.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from streamlit.testing.v1 import AppTest

from healthcheck.store import JoinFailure, Store, hash_token, sharing
from healthcheck.store import throttle as th
from healthcheck.store import workshops as ws

from ..apptest import app, app_store
from .test_app import _answer_all, _fill_about, open_page, texts


def record(org: str, value: int, comment: str | None = None) -> dict[str, Any]:
    return {"organisation": org, "level": "operational", "role": None,
            "answers": {"q.clear_problem": value, "q.left_out": value},
            "comments": {"q.clear_problem": comment} if comment else {}}


@dataclass
class World:
    store: Store
    url: str
    tokens: dict[str, str] = field(default_factory=dict)  # label -> token or code
    markers: dict[str, tuple[str, ...]] = field(default_factory=dict)  # "A"/"B" -> what must not leak
    ids: dict[str, int] = field(default_factory=dict)


def _partnership(store: Store, w: World, tag: str, name: str, orgs: tuple[str, str], label: str,
                 comment: str, workshop: str) -> None:
    p, old_admin = store.create_partnership(name, "core", 3, [(orgs[0], "music"),
                                                               (orgs[1], "childrens_services")])
    w.tokens[f"admin_{tag}_rotated"] = old_admin
    w.tokens[f"admin_{tag}"] = store.rotate_admin_token(p.id)
    r, old_resp = store.open_round(p.id, label, "core", "1")
    w.tokens[f"resp_{tag}_rotated"] = old_resp
    w.tokens[f"resp_{tag}"] = store.rotate_respondent_token(r.id)
    store.import_records(r.id, [record(orgs[0], 1, comment if i == 0 else None) for i in range(3)]
                         + [record(orgs[1], 5) for _ in range(3)])
    closed, closed_token = store.open_round(p.id, f"{label} (closed)", "core", "1")
    store.close_round(closed.id)
    w.tokens[f"resp_{tag}_closed"] = closed_token
    info, old_fac = ws.create_workshop(store, p.id, workshop)
    w.tokens[f"fac_{tag}_rotated"] = old_fac
    w.tokens[f"fac_{tag}"] = ws.rotate_facilitator_token(store, info.id)
    w.tokens[f"join_{tag}"] = info.join_code
    ended, ended_fac = ws.create_workshop(store, p.id, f"{workshop} (ended)")
    ws.close(store, ended.id)
    w.tokens[f"join_{tag}_ended"] = ended.join_code
    w.tokens[f"fac_{tag}_ended"] = ended_fac
    w.ids[f"round_{tag}"], w.ids[f"partnership_{tag}"] = r.id, p.id
    w.markers[tag] = (name, *orgs, label, comment, workshop)


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    with app_store(tmp_path_factory.mktemp("access")) as store:
        w = World(store, str(store.url))
        _partnership(store, w, "A", "Alder Partnership", ("Alder Music", "Alder Council"),
                     "Alder spring round", "Alder secret comment", "Alder workshop")
        _partnership(store, w, "B", "Birch Partnership", ("Birch Strings", "Birch Fostering"),
                     "Birch autumn round", "Birch secret comment", "Birch workshop")
        # Fir Fund: A's round is shared with it, without comments; its first link was replaced.
        fir, old_fir = sharing.create_funder(store, "Fir Fund")
        w.tokens["funder_F_rotated"] = old_fir
        w.tokens["funder_F"] = sharing.rotate_funder_token(store, fir.id)
        w.tokens["invite_F_rotated"] = sharing.new_invitation(store, fir.id)
        w.tokens["invite_F"] = sharing.new_invitation(store, fir.id)
        used = sharing.create_share_code(store, w.ids["round_A"])
        sharing.redeem_share_code(store, fir.id, used)
        w.tokens["share_used"] = used
        # Pine Fund: B's round was shared with it, then B stopped sharing.
        pine, w.tokens["funder_P_revoked"] = sharing.create_funder(store, "Pine Fund")
        sharing.share_round(store, w.ids["round_B"], pine.id, include_comments=True)
        sharing.revoke(store, pine.id, w.ids["round_B"])
        w.tokens["share_expired"] = sharing.create_share_code(store, w.ids["round_B"],
                                                              valid_for=timedelta(seconds=-1))
        w.tokens["share_live_B"] = sharing.create_share_code(store, w.ids["round_B"], include_comments=True)
        yield w


def clear_throttle(store: Store) -> None:
    """The matrix below tries many wrong join codes on purpose; legitimate joins start clean."""
    with store.writing() as s:
        s.execute(JoinFailure.__table__.delete())


def page_text(at: AppTest) -> str:
    """Everything a visitor can read, including sidebar, widget labels, options and tab names."""
    parts = [texts(at)]
    for kind in ("selectbox", "radio", "multiselect", "text_input", "text_area", "button", "checkbox"):
        for widget in getattr(at, kind):
            parts.append(str(widget.label))
            parts.extend(str(o) for o in getattr(widget, "options", []) or [])
    parts.extend(str(t.label) for t in at.tabs)
    parts.extend(str(m.label) + str(m.value) for m in at.metric)
    for chart in [*at.get("arrow_vega_lite_chart"), *at.get("vega_lite_chart")]:
        parts.append(str(chart.proto.spec) + str(chart.proto.datasets))
    return "\n".join(parts)


def plain_failure(at: AppTest) -> str:
    """Asserts the run ended in a plain message and returns the page's text."""
    assert not at.exception, [e.value for e in at.exception]
    page = page_text(at)
    assert "Something went wrong on our side" not in page
    assert "Traceback" not in page
    return page


def charts(at: AppTest) -> list[Any]:
    return [*at.get("arrow_vega_lite_chart"), *at.get("vega_lite_chart")]


def pages(at: AppTest) -> set[str]:
    """The url paths of the pages this visitor can reach ("" is the default page)."""
    return {str(i.get("url_pathname")) for i in at._registered_pages.values()}  # noqa: SLF001


PUBLIC = {"", "join", "rules"}


def no_partnership_data(page: str, world: World, *tags: str) -> None:
    for tag in tags or ("A", "B"):
        for marker in world.markers[tag]:
            assert marker not in page.replace("\\", ""), marker


# ----------------------------------------------------------------------------- the matrix

GARBAGE: dict[str, str] = {
    "garbage": "not-a-real-token",
    "long": "A" * 5000,
    "html": "<script>alert(1)</script><img src=x onerror=alert(1)>\u202e\u00fc\u2603",
    "sqlish": "' OR 1=1 --",
}
EXPECTED = {  # what each kind of link says when its token does not work
    "admin": ("admin link does not work",),
    "r": ("link does not work", "closed"),
    "funder": ("funder link does not work",),
    "facilitate": ("facilitator link does not work",),
    "join": ("code does not work", "has ended", "Too many wrong codes"),
    "invite": ("invitation link does not work",),
}
STALE = {
    "admin": ["admin_A_rotated"],
    "r": ["resp_A_rotated", "resp_A_closed"],
    "funder": ["funder_F_rotated"],
    "facilitate": ["fac_A_rotated"],
    "join": ["join_A_ended", "share_expired"],
    "invite": ["invite_F_rotated"],
}
KIND_OF = {"admin": "admin", "resp": "r", "funder": "funder", "fac": "facilitate", "join": "join",
           "share": "share", "invite": "invite"}
OTHER_PARTY = ["admin_A", "admin_B", "resp_A", "resp_B", "fac_A", "fac_B", "join_A", "join_B", "funder_F",
               "share_live_B", "share_used", "invite_F"]



def cases(param: str) -> list[str]:
    """Garbage, stale tokens of this kind, and every other party's token of another kind."""
    return ([f"!{g}" for g in GARBAGE] + STALE[param]
            + [label for label in OTHER_PARTY if KIND_OF[label.split("_")[0]] != param])


def visit(at: AppTest, param: str, token: str) -> AppTest:
    """The same browser session following another link (fresh query, nothing remembered)."""
    at.query_params.clear()
    at.query_params[param] = token
    at.session_state["hc_admin_token"] = None
    at.session_state["hc_funder_token"] = None
    return at.run()


@pytest.mark.parametrize("param", list(EXPECTED))
def test_wrong_stale_or_other_partys_token(world: World, param: str) -> None:
    # One session per kind of link, reran per token: a new AppTest costs ~0.5 s, a rerun ~10 ms.
    at = app()
    for label in cases(param):
        token = GARBAGE[label[1:]] if label.startswith("!") else world.tokens[label]
        visit(at, param, token)
        page = plain_failure(at)
        shown = [e.value for e in [*at.error, *at.info]]
        assert any(any(m in v for m in EXPECTED[param]) for v in shown), (label, shown, page[:300])
        no_partnership_data(page, world)
        assert token not in page or len(token) < 8, label  # never reflected back
        assert not at.dataframe and not charts(at), label


@pytest.mark.parametrize("param", list(EXPECTED))
def test_blank_token_is_the_public_site(world: World, param: str) -> None:
    at = app(**{param: " \t "}).run()
    page = plain_failure(at)
    assert not at.error and "Set up a health check" in page
    no_partnership_data(page, world)


ADMIN_PAGES = ("dashboard", "rounds", "teams", "actions", "exports", "rules")


@pytest.mark.parametrize("page", ADMIN_PAGES)
def test_every_admin_page_refuses_a_swapped_token(world: World, page: str) -> None:
    at = app(admin=world.tokens["admin_A"]).run()
    if page != "dashboard":  # the default page
        open_page(at, page)
    assert "Alder Partnership" in plain_failure(at).replace("\\", "")  # the right link works
    stale = {"dashboard": "admin_A_rotated", "rounds": "resp_A", "teams": "funder_F", "actions": "fac_A",
             "exports": "join_A", "rules": "admin_A_rotated"}[page]
    at.query_params["admin"] = world.tokens[stale]
    at.run()
    refused = plain_failure(at)
    assert any("admin link does not work" in e.value for e in at.error)
    no_partnership_data(refused, world)
    at.query_params.clear()  # and the session has forgotten the good token: the public site
    at.run()
    no_partnership_data(plain_failure(at), world)
    assert pages(at) == PUBLIC


def test_b_admin_sees_only_b(world: World) -> None:
    at = app(admin=world.tokens["admin_B"]).run()
    page = plain_failure(at)
    assert "Birch Partnership" in page.replace("\\", "")
    no_partnership_data(page, world, "A")
    for name in ("rounds", "teams", "actions", "exports"):
        no_partnership_data(plain_failure(open_page(at, name)), world, "A")


def test_b_links_of_every_kind_never_show_a(world: World) -> None:
    clear_throttle(world.store)
    for param, label in (("r", "resp_B"), ("facilitate", "fac_B"), ("join", "join_B"),
                         ("funder", "funder_P_revoked"), ("invite", "invite_F")):
        at = app(**{param: world.tokens[label]}).run()
        page = plain_failure(at)
        assert not at.error, (label, [e.value for e in at.error])
        no_partnership_data(page, world, "A")
        if param == "invite":  # a funder's invitation names the funder and nothing else
            assert "Fir Fund" in page and not at.dataframe and not charts(at)
            no_partnership_data(page, world, "B")
        if param == "funder":  # B stopped sharing: nothing of B either
            no_partnership_data(page, world, "B")
            assert "No partnership has shared a round" in page


# ----------------------------------------------------------------------------- who sees what


def test_funder_sees_only_the_shared_round_without_comments(world: World) -> None:
    at = app(funder=world.tokens["funder_F"]).run()
    page = plain_failure(at).replace("\\", "")
    assert "Alder Partnership" in page and "Findings" in page  # the shared round and its drill-down
    no_partnership_data(page, world, "B")
    assert "Alder secret comment" not in page and "Comments on low scores" not in page
    assert "Alder spring round (closed)" not in page  # the unshared round of the same partnership


def test_funder_cannot_use_stale_share_codes(world: World) -> None:
    at = app(funder=world.tokens["funder_F"]).run()
    for label in ("share_used", "share_expired"):
        next(t for t in at.text_input if t.label == "Share code").input(world.tokens[label])
        next(b for b in at.button if b.label == "Add").click().run()
        page = plain_failure(at).replace("\\", "")
        assert any("share code does not work" in e.value for e in at.error)
        no_partnership_data(page, world, "B")


def test_respondent_page_never_shows_results(world: World, pulse: Any) -> None:
    store = world.store
    p = store.get_partnership(world.ids["partnership_A"])
    assert p is not None
    r, token = store.open_round(p.id, "Alder respondent check", "pulse", pulse.version)
    orgs = store.organisations(p.id)
    at = _fill_about(app(r=token).run(), r.id, orgs[0].id)
    at = _answer_all(at, pulse, r.id)
    seen = page_text(at)
    at.button(key=f"ans{r.id}_nav:send").click().run()
    seen += page_text(at)
    assert any("Thank you" in s.value for s in at.success)
    assert not at.dataframe and not at.table and not at.metric
    assert not charts(at)
    for hidden in ("Alder secret comment", "Findings", "responses", "Dashboard", "Birch"):
        assert hidden not in seen, hidden
    store.close_round(r.id)


def test_participant_page_shows_no_breakdown(world: World) -> None:
    clear_throttle(world.store)
    at = app(join=world.tokens["join_A"]).run()
    page = plain_failure(at)
    assert "Alder workshop" in page.replace("\\", "")
    no_partnership_data(page, world, "B")
    # a participant sees no counts per organisation, no facilitator link, no admin link
    for hidden in ("?facilitate=", "?admin=", "Answers sent", "fewer than", "Findings"):
        assert hidden not in page, hidden


# ----------------------------------------------------------------------------- precedence


def test_respondent_link_wins_over_admin_token(world: World) -> None:
    at = app(r=world.tokens["resp_A"], admin=world.tokens["admin_A"]).run()
    page = plain_failure(at)
    assert "Before you start" in page and "Dashboard" not in page
    assert len(pages(at)) == 1 and not at.sidebar.markdown
    bad = app(r="not-a-real-token", admin=world.tokens["admin_A"]).run()
    page = plain_failure(bad)
    assert any("link does not work" in e.value for e in bad.error)
    no_partnership_data(page, world)


def follow(at: AppTest, **params: str) -> str:
    """The same browser session follows another link; the page's text, checked to be plain."""
    at.query_params.clear()
    for key, value in params.items():
        at.query_params[key] = value
    at.run()
    return plain_failure(at)


def test_remembered_admin_token_then_other_links(world: World) -> None:
    at = app(admin=world.tokens["admin_A"]).run()
    plain_failure(at)
    # a funder link in the same browser session: the funder page, no admin pages or data
    page = follow(at, funder=world.tokens["funder_F"])
    assert "Portfolio" in page and "Dashboard" not in page
    assert len(pages(at)) == 1 and at.title[0].value == "Portfolio"
    # then another partnership's admin link: that partnership, not the remembered one
    page = follow(at, admin=world.tokens["admin_B"])
    assert "Birch Partnership" in page.replace("\\", "")
    no_partnership_data(page, world, "A")
    # a participant link: only the workshop, never the remembered admin's pages
    clear_throttle(world.store)
    page = follow(at, join=world.tokens["join_A"])
    assert "Dashboard" not in page and "Birch Strings" not in page
    # a bad facilitator link with a remembered admin token: refused plainly
    page = follow(at, facilitate=world.tokens["admin_B"])
    assert any("facilitator link does not work" in e.value for e in at.error)
    no_partnership_data(page, world)


def test_remembered_funder_token_does_not_open_admin_pages(world: World) -> None:
    at = app(funder=world.tokens["funder_F"]).run()
    plain_failure(at)
    page = follow(at, admin="not-a-real-token")
    assert any("admin link does not work" in e.value for e in at.error)
    no_partnership_data(page, world)


# ----------------------------------------------------------------------------- tokens in logs


def _secrets(w: World) -> list[str]:
    """Every token and code, and the hash of each (a stored hash is not for logs either)."""
    values = [v for v in w.tokens.values() if len(v) >= 6]
    return values + [hash_token(v) for v in values] + [hash_token(sharing.normalise_code(v) or v)
                                                       for v in values]


def _break(url: str, table: str) -> None:
    """A real fault: the table disappears under the running app."""
    path = url.removeprefix("sqlite:///")
    with sqlite3.connect(path) as conn:
        conn.execute(f"ALTER TABLE {table} RENAME TO {table}_gone")


@pytest.fixture
def broken_world(tmp_path: Path) -> Iterator[World]:
    with app_store(tmp_path) as store:
        w = World(store, str(store.url))
        _partnership(store, w, "A", "Alder Partnership", ("Alder Music", "Alder Council"),
                     "Alder spring round", "Alder secret comment", "Alder workshop")
        _, w.tokens["funder_F"] = sharing.create_funder(store, "Fir Fund")
        w.tokens["share_live_A"] = sharing.create_share_code(store, w.ids["round_A"])
        yield w


VISITS: list[tuple[str, str]] = [("admin", "admin_A"), ("r", "resp_A"), ("facilitate", "fac_A"),
                                 ("join", "join_A"), ("funder", "funder_F"), ("admin", "resp_A"),
                                 ("join", "share_live_A"), ("r", "admin_A_rotated")]


def test_tokens_never_in_logs(broken_world: World, caplog: pytest.LogCaptureFixture) -> None:
    w = broken_world
    caplog.set_level(logging.DEBUG)
    for param, label in VISITS:  # working and refused links
        plain_failure(app(**{param: w.tokens[label]}).run())
    # Then real faults under every kind of link: each page fails, the boundary logs it.
    for table, param, label in (("workshops", "join", "join_A"), ("workshops", "facilitate", "fac_A"),
                                ("responses", "admin", "admin_A"), ("shares", "funder", "funder_F"),
                                ("rounds", "r", "resp_A"), ("partnerships", "admin", "admin_A")):
        if not any(table + "_gone" in n for n in _tables(w.url)):
            _break(w.url, table)
        at = app(**{param: w.tokens[label]}).run()
        assert not at.exception
        assert any("Something went wrong on our side" in e.value for e in at.error), (table, param)
    logged = caplog.text
    assert logged.count("Traceback") >= 6, "every fault was logged"
    for secret in _secrets(w):
        assert secret not in logged, f"a token or its hash is in the log: ...{secret[-6:]}"


def _tables(url: str) -> list[str]:
    with sqlite3.connect(url.removeprefix("sqlite:///")) as conn:
        return [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")]


@pytest.mark.browser
def test_tokens_never_in_the_server_log(broken_world: World, tmp_path: Path) -> None:
    """The real server (its log file) with a real browser, through working and failing pages."""
    from playwright.sync_api import sync_playwright

    from ..browser import launch_chromium, streamlit_server, wait_idle

    w = broken_world
    log_path = tmp_path / "server.log"
    _break(w.url, "workshops")
    with streamlit_server(w.url, log_path) as base, sync_playwright() as pw:
        browser = launch_chromium(pw)
        try:
            page = browser.new_page()
            for param, label in (("r", "resp_A"), ("join", "join_A"), ("facilitate", "fac_A")):
                page.goto(f"{base}/?{param}={w.tokens[label]}")
                wait_idle(page)
        finally:
            browser.close()
    logged = log_path.read_text(errors="replace")
    assert "page failed" in logged and "Traceback" in logged  # the faults reached the log
    for secret in _secrets(w):
        assert secret not in logged, f"a token or its hash is in the server log: ...{secret[-6:]}"


# ----------------------------------------------------------------------------- join throttle


def test_one_sessions_guessing_never_delays_anyone_else(db: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    """Issue 14. This test used to assert the lock-out the issue calls a bug: a second session (on
    the same network) had to wait for the first session's wrong codes. Now the guessing session
    waits (a rerun does not reset it), while a right code typed in a fresh session, and a join
    link, open the workshop at once, however many wrong codes other sessions have sent."""
    # The app's throttle clock stands still unless the test moves it on: a slow machine cannot
    # let the wait run out between two steps.
    frozen, ahead = datetime.now(UTC), [timedelta(0)]
    monkeypatch.setattr(th, "current_time", lambda: frozen + ahead[0])
    p, _ = db.create_partnership("Harbour + City", "pulse", 3, [("Harbour Music", "music")])
    info, _ = ws.create_workshop(db, p.id, "Away day workshop")
    second = app().run()  # a brand-new session (another phone on the same Wi-Fi), opened beforehand
    open_page(second, "join")
    first = app(join="ZZZZZZ").run()  # a wrong code in a link counts as one wrong code

    def typed(at: AppTest, code: str, box: str = "ws_retry") -> None:
        at.text_input(key=f"{box}_text").input(code)
        at.button(key=f"FormSubmitter:{box}-Join").click().run()

    for _ in range(th.FREE - 1):
        typed(first, "YYYYYY")
    assert not any("Too many" in e.value for e in first.error)
    typed(first, "YYYYYY")  # the guessing session has used its free wrong codes: now it waits
    assert any(e.value.startswith("Too many wrong codes. Please wait ") for e in first.error)
    first.run()  # a rerun does not reset the count (it is in the store, under the session's id)
    typed(first, info.join_code)  # even the right code waits in the guessing session
    plain_failure(first)
    assert any(e.value.startswith("Too many wrong codes. Please wait ") for e in first.error)
    assert first.query_params["join"] in ("ZZZZZZ", ["ZZZZZZ"])
    # hundreds of other sessions guessing at the same moment (as other browsers would)
    stamp = frozen + ahead[0]
    with db.writing() as s:
        s.add_all(JoinFailure(client_key=th.session_key(f"stranger-{n}"), failed_at=stamp)
                  for n in range(300))
    # the fresh session types the right code: it opens at once
    typed(second, info.join_code, "ws_code_box")
    plain_failure(second)
    assert not any("Too many" in e.value for e in second.error), [e.value for e in second.error]
    assert second.query_params["join"] in (info.join_code, [info.join_code])
    # a QR scan or join link opens the form at once, in a new session and in the guessing one
    scanned = app(join=info.join_code.lower()).run()
    plain_failure(scanned)
    assert not scanned.error and scanned.button(key=f"ws{info.id}_send") is not None
    first.query_params["join"] = info.join_code
    first.run()
    plain_failure(first)
    assert not first.error and first.button(key=f"ws{info.id}_send") is not None
    # the guessing session's own wait passes with time (moved on, not slept)
    own = th.Throttle(db, th.session_key(first.session_state["ws_throttle_session"]))
    assert own.wait_left() > 0
    ahead[0] += timedelta(seconds=th.CAP_SECONDS + 1)
    assert own.wait_left() == 0
