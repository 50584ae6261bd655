"""PostgreSQL stops and starts again under a running app (real Streamlit server, headless chromium).

The app runs against its own PostgreSQL server (not the session one other tests share). With a
respondent half-way through the questionnaire and an admin on the dashboard, the server is
stopped the hard way (`pg_ctl -m immediate`, as in a crash): both pages must say plainly that
the database cannot be reached, with no traceback, and the respondent's answers must stay on the
page. The server is started again on the same port and, without restarting Streamlit, the
dashboard shows the data again and the same "Send" stores the answers exactly once.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text

from healthcheck.core.questionnaire import find_questionnaire, load_questionnaire
from healthcheck.store import Store, normalise_url
from healthcheck.ui.common import DB_UNAVAILABLE, SAFE_ERROR

from ..browser import (
    choose,
    click_and_wait,
    launch_chromium,
    screenshot,
    streamlit_server,
    unavailable,
    wait_idle,
)
from ..pgserver import ENV_URL, PgServer, PgUnavailable, start_server

pytestmark = [pytest.mark.browser, pytest.mark.postgres]

NAME = "Harbour Music + City CYPS"
ORGS = [("Harbour Music", "music"), ("City CYPS", "childrens_services")]
OUTAGE = DB_UNAVAILABLE.split(".")[0]  # "The database cannot be reached just now"


def _own_server(monkeypatch: pytest.MonkeyPatch) -> PgServer:
    """A private server this test may stop and start (never a shared one from HEALTHCHECK_TEST_PG_URL)."""
    monkeypatch.delenv(ENV_URL, raising=False)
    try:
        server = start_server(durable=True)
    except PgUnavailable as exc:
        unavailable(f"PostgreSQL not available: {exc}")
    assert server.owned and server.base_dir is not None
    return server


def _no_traceback(page: Any) -> None:
    assert page.locator("[data-testid='stException']").count() == 0
    content = page.content()
    assert "Traceback" not in content and "OperationalError" not in content and "psycopg" not in content
    assert SAFE_ERROR.split(".")[0] not in content


def _setup(url: str) -> tuple[str, str, int]:
    q = load_questionnaire(find_questionnaire("pulse"))
    with Store(url) as store:
        p, admin = store.create_partnership(NAME, "pulse", 3, ORGS)
        r, respondent = store.open_round(p.id, "Spring pulse", "pulse", q.version)
        store.import_records(r.id, [
            {"organisation": ORGS[i % 2][0], "level": "operational",
             "answers": {item.id: 1 + i % 5 for item in q.likert_items}}
            for i in range(6)])
    return admin, respondent, r.id


def _responses(url: str, round_id: int) -> list[tuple[str, dict[str, Any]]]:
    engine = create_engine(normalise_url(url))
    try:
        with engine.connect() as conn:
            rows = conn.execute(text("SELECT submission_key, answers FROM responses WHERE round_id = :r "
                                     "ORDER BY id"), {"r": round_id}).all()
    finally:
        engine.dispose()
    return [(key, dict(answers)) for key, answers in rows]


def _tick(page: Any, n: int, label: str) -> None:
    """Choose `label` in the n-th radio group on the page."""
    labels = page.locator("[data-testid='stRadio']").nth(n).locator("label")
    texts = [t.strip().split("\n")[0] for t in labels.all_inner_texts()]
    click_and_wait(page, labels.nth(texts.index(label)))


def _checked(page: Any, n: int) -> str | None:
    group = page.locator("[data-testid='stRadio']").nth(n)
    checked = group.locator("label:has(input:checked)")
    return checked.first.inner_text().strip() if checked.count() else None


def test_postgresql_restart_under_the_running_app(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:  # pragma: no cover
        unavailable("playwright is not installed")
    server = _own_server(monkeypatch)
    try:
        url = server.create_database("hc_outage")
        admin_token, respondent_token, round_id = _setup(url)
        log = tmp_path / "streamlit.log"
        with streamlit_server(url, log) as base, sync_playwright() as p:
            browser = launch_chromium(p)
            try:
                admin = browser.new_page(viewport={"width": 1280, "height": 900})
                admin.goto(f"{base}/?admin={admin_token}")
                wait_idle(admin)
                admin.get_by_text("6 people from 2 organisations answered").first.wait_for(timeout=20_000)

                # A respondent fills in the whole form, up to the Send button.
                phone = browser.new_page(viewport={"width": 390, "height": 844})
                phone.goto(f"{base}/?r={respondent_token}")
                wait_idle(phone)
                phone.get_by_text("Before you start").wait_for(timeout=20_000)
                choose(phone, "Your organisation", "City CYPS")
                _tick(phone, 0, "Strategic")
                click_and_wait(phone, phone.get_by_role("button", name="Start"))
                _tick(phone, 0, "Agree")
                while phone.get_by_role("button", name="Send my answers").count() == 0:
                    click_and_wait(phone, phone.get_by_role("button", name="Next"))
                _tick(phone, 0, "Strongly disagree")
                before = _responses(url, round_id)
                started = time.monotonic()
                admin.reload()
                wait_idle(admin)
                admin.get_by_text("6 people from 2 organisations answered").first.wait_for(timeout=20_000)
                usual = time.monotonic() - started

                # --- the database goes away
                server.crash()
                click_and_wait(phone, phone.get_by_role("button", name="Send my answers"))
                phone.get_by_text(OUTAGE).first.wait_for(timeout=20_000)
                _no_traceback(phone)
                assert phone.get_by_text("Thank you").count() == 0
                # what the respondent chose is still on the page, ready to be sent again
                assert _checked(phone, 0) == "Strongly disagree"
                screenshot(phone, "outage-answer")

                admin.reload()
                wait_idle(admin)
                admin.get_by_text(OUTAGE).first.wait_for(timeout=20_000)
                _no_traceback(admin)
                screenshot(admin, "outage-dashboard")

                # --- back again, same port; Streamlit is not restarted
                server.start_again()
                back = time.monotonic()
                admin.reload()
                wait_idle(admin)
                admin.get_by_text("6 people from 2 organisations answered").first.wait_for(timeout=20_000)
                recovered = time.monotonic() - back
                assert admin.get_by_text(OUTAGE).count() == 0
                _no_traceback(admin)

                click_and_wait(phone, phone.get_by_role("button", name="Send my answers"))
                phone.get_by_text("Thank you").first.wait_for(timeout=20_000)
                wait_idle(phone)  # the outage message of the earlier run is gone once this run ends
                assert phone.get_by_text(OUTAGE).count() == 0
                _no_traceback(phone)
                admin.reload()
                wait_idle(admin)
                # stored (checked below), and held back from the figures until two more people
                # answer: the dashboard says so rather than moving by one person's answers
                admin.get_by_text("1 answer(s) sent since the last update").first.wait_for(timeout=20_000)
                assert admin.get_by_text("6 people from 2 organisations answered").count() >= 1
            finally:
                browser.close()
        after = _responses(url, round_id)
        assert after[:len(before)] == before
        [(key, answers)] = after[len(before):]
        first = load_questionnaire(find_questionnaire("pulse")).sections[0].items[0].id
        assert answers[first] == 4  # "Agree", chosen before the outage
        assert 1 in answers.values()  # "Strongly disagree" on the last page
        print(f"\ndashboard shown {recovered:.2f} s after PostgreSQL was up again, on the first "
              f"reload (a reload took {usual:.2f} s before the outage)")
        server_log = log.read_text(errors="replace")
        assert "database unreachable" in server_log
        assert "Traceback" not in server_log
    finally:
        server.stop()
