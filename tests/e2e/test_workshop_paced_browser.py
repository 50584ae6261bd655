"""A facilitator-paced workshop in a real browser: the projector and six phones (five from the
start, one late joiner). The facilitator steps through the questions (next, jump to a section,
back), closes each to show its spread, reveals the results; the phones follow by themselves,
answer, vote three times each, and the chosen actions go to the action plan with their votes.

Waits are on conditions (the page's text, the store's counts), never fixed sleeps. How long the
phones took to follow the facilitator is printed (the target is two seconds).
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest

from healthcheck.core.rules import load_rules
from healthcheck.core.workshop import MAX_VOTES, action_key, questionnaire_by_id
from healthcheck.services import workshop as sw
from healthcheck.store import Store
from healthcheck.store import paced as pc
from healthcheck.store import workshops as ws

from ..browser import choose, click_and_wait, launch_chromium, screenshot, settle, streamlit_server, wait_idle

pytestmark = pytest.mark.browser

PROJECTOR = {"width": 1600, "height": 1000}
PHONE = {"width": 375, "height": 667}
ORGS = [("Harbour Music", "music"), ("City Children's Services", "childrens_services")]
AREAS = ["task.communicating", "factor.debate", "task.integrity_trust", "factor.risk_taking"]
# the three questions these areas ask, in order (two sections)
Q1 = "Some partners hear about decisions late"
Q2 = "When something goes wrong, partners say so openly"
Q3 = "We are willing to try things that might not work"
FOLLOW_MS = 30_000  # generous for a busy shared 2-core machine; the time taken is printed
SLOW_MS = 90_000  # page loads and runs when many test servers share the machine


def _wait_until(page: Any, check: Any, what: str, timeout_s: float = 90.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        page.wait_for_timeout(100)  # a poll interval, not a sleep standing in for a condition


def _page(browser: Any, viewport: dict[str, int], **options: Any) -> Any:
    ctx = browser.new_context(viewport=viewport, **options)
    ctx.set_default_timeout(SLOW_MS)
    ctx.set_default_navigation_timeout(SLOW_MS)
    return ctx.new_page()


def _join(page: Any, base: str, code: str, i: int) -> None:
    page.goto(f"{base}/?join={code}")
    wait_idle(page, SLOW_MS)
    try:
        page.get_by_role("button", name="Join the workshop").wait_for(timeout=SLOW_MS)
    except Exception:
        screenshot(page, f"paced-failed-join-{i}")
        raise
    choose(page, "Your organisation", ORGS[i % 2][0])
    radio = page.locator("[data-testid='stRadio']").first
    level = "Operational" if i % 2 else "Strategic"
    click_and_wait(page, radio.locator("label").filter(has_text=level).first, timeout=SLOW_MS)
    click_and_wait(page, page.get_by_role("button", name="Join the workshop"), timeout=SLOW_MS)


def _answer(page: Any, wanted: str) -> None:
    radio = page.locator("[data-testid='stRadio']").first
    label = radio.locator("label").filter(has=page.get_by_text(wanted, exact=True)).first
    click_and_wait(page, label, timeout=SLOW_MS)


def _follow(phones: list[Any], text: str) -> float:
    """Wait until every phone shows `text`; the seconds the slowest took."""
    start = time.monotonic()
    for phone in phones:
        phone.get_by_text(text).first.wait_for(timeout=FOLLOW_MS)
    return time.monotonic() - start


def _console_click(console: Any, name: str) -> None:
    click_and_wait(console, console.get_by_role("button", name=name), timeout=SLOW_MS)


def test_paced_workshop(tmp_path: Path) -> None:
    from playwright.sync_api import sync_playwright

    db_url = f"sqlite:///{(tmp_path / 'paced.db').as_posix()}"
    with Store(db_url) as store:
        p, _ = store.create_partnership("Harbour Music + City Children's Services", "pulse", 3, ORGS)
        info, token = ws.create_workshop(store, p.id, "Paced partnership workshop", dimensions=AREAS,
                                         paced=True)
    follow_times: list[float] = []
    with (Store(db_url) as store, streamlit_server(db_url, tmp_path / "streamlit.log") as base,
          sync_playwright() as pw):
        browser = launch_chromium(pw)
        try:
            console = _page(browser, PROJECTOR)
            console.goto(f"{base}/?facilitate={token}")
            wait_idle(console, SLOW_MS)
            console.get_by_text("Question 1 of 3").wait_for(timeout=SLOW_MS)

            phones = [_page(browser, PHONE, is_mobile=True, has_touch=True) for _ in range(5)]
            for i, phone in enumerate(phones):
                _join(phone, base, info.join_code, i)
            for phone in phones:
                phone.get_by_text(Q1).first.wait_for(timeout=SLOW_MS)
            screenshot(phones[0], "paced-01-phone-question")

            # question 1: everyone answers, each answer saved as it is given
            for phone in phones:
                _answer(phone, "Agree")
            _wait_until(console, lambda: pc.answer_counts(store, info.id).get("q.left_out") == 5,
                        "five answers to question 1")
            console.get_by_text("Answered this question").wait_for(timeout=SLOW_MS)
            _console_click(console, "Close question, show the spread")
            console.locator("[data-testid='stVegaLiteChart']").first.wait_for(timeout=SLOW_MS)
            console.get_by_text("Talk about it").first.wait_for(timeout=SLOW_MS)
            screenshot(console, "paced-02-console-spread")
            for phone in phones:  # the phones show the same spread, by themselves
                phone.locator("[data-testid='stVegaLiteChart']").first.wait_for(timeout=FOLLOW_MS)
            screenshot(phones[1], "paced-03-phone-spread")

            # jump to the next section: question 2
            choose(console, "Jump to a section", "Trust, change and learning")
            follow_times.append(_follow(phones, Q2))
            for phone in phones:
                _answer(phone, "Disagree")
            _wait_until(console, lambda: pc.answer_counts(store, info.id).get("q.mistakes_admitted") == 5,
                        "five answers to question 2")
            _console_click(console, "Close question, show the spread")

            # next: question 3; a late joiner lands on it
            _console_click(console, "Next question")
            follow_times.append(_follow(phones, Q3))
            late = _page(browser, PHONE, is_mobile=True, has_touch=True)
            _join(late, base, info.join_code, 5)
            late.get_by_text(Q3).first.wait_for(timeout=SLOW_MS)
            phones.append(late)
            for phone in phones:
                _answer(phone, "Disagree")
            _wait_until(console, lambda: pc.answer_counts(store, info.id).get("q.try_new_things") == 6,
                        "six answers to question 3")
            _console_click(console, "Close question, show the spread")

            # back: question 2 again; the late joiner answers it now
            _console_click(console, "Back")
            follow_times.append(_follow(phones, Q2))
            _answer(late, "Disagree")
            _wait_until(console, lambda: pc.answer_counts(store, info.id).get("q.mistakes_admitted") == 6,
                        "the late answer to question 2")
            # back to the first section, where the late joiner answers too
            choose(console, "Jump to a section", "How we work together")
            follow_times.append(_follow(phones, Q1))
            _answer(late, "Agree")
            _wait_until(console, lambda: pc.answer_counts(store, info.id).get("q.left_out") == 6,
                        "the late answer to question 1")

            # the reveal: risk flags and the actions; each phone votes three times
            _console_click(console, "Show results and vote")
            console.get_by_role("heading", name="Risk flags").wait_for(timeout=SLOW_MS)
            screenshot(console, "paced-04-console-results")
            for phone in phones:
                phone.get_by_text("Which actions should we take?").wait_for(timeout=SLOW_MS)
            for i, phone in enumerate(phones):
                boxes = phone.locator("[data-testid='stCheckbox']")
                boxes.nth(MAX_VOTES).wait_for(timeout=SLOW_MS)
                for n in range(MAX_VOTES):
                    box = boxes.nth((i + n) % (MAX_VOTES + 1)).locator("label")
                    click_and_wait(phone, box, timeout=SLOW_MS)
                phone.get_by_text(f"Used: {MAX_VOTES} of {MAX_VOTES}").wait_for(timeout=SLOW_MS)
            screenshot(phones[0], "paced-05-phone-votes")
            total = len(phones) * MAX_VOTES
            _wait_until(console, lambda: sum(pc.vote_counts(store, info.id).values()) == total, "the votes")

            # the console shows the counts live, without a reload
            console.get_by_text(f"{total} votes given so far").wait_for(timeout=SLOW_MS)
            counts = pc.vote_counts(store, info.id)
            w = ws.get_workshop(store, info.id)
            assert w is not None
            actions = sw.room_actions(sw.paced_results(store, w, questionnaire_by_id("pulse"),
                                                       load_rules()).assessment, questionnaire_by_id("pulse"))
            top = max(actions, key=lambda a: counts.get(a.key, 0))  # the room's favourite

            # choose the two most voted actions and send them to the plan
            combo = console.get_by_role("combobox", name="Actions to send to the action plan")
            settle(combo)
            combo.click()
            options = console.get_by_role("option")
            try:
                options.first.wait_for(timeout=10_000)
            except Exception:  # noqa: BLE001 - the click landed beside the box: use its arrow
                box = console.locator("[data-testid='stMultiSelect']").filter(has=combo)
                box.get_by_role("button", name="Open").click()
                options.first.wait_for(timeout=SLOW_MS)
            click_and_wait(console, console.get_by_role("option", name=top.text[:60]).first, timeout=SLOW_MS)
            console.keyboard.press("Escape")
            wait_idle(console, SLOW_MS)
            _console_click(console, "Send to the action plan")
            console.get_by_text("added to the partnership's action plan").wait_for(timeout=SLOW_MS)
            screenshot(console, "paced-06-console-sent")
        finally:
            browser.close()
        plan = store.actions(p.id)
        assert [(a.text, a.rule_id, a.votes) for a in plan] == [(top.text, top.rule_id, counts[top.key])]
        assert counts[top.key] >= 2 and action_key(top.rule_id, top.text) == top.key
        assert plan[0].round_id == info.round_id and plan[0].owner == "" and plan[0].due_date is None
        assert pc.answer_counts(store, info.id) == {"q.left_out": 6, "q.mistakes_admitted": 6,
                                                    "q.try_new_things": 6}
    print(f"\nphones followed the facilitator in {', '.join(f'{t:.2f}' for t in follow_times)} s "
          "(slowest of six phones each time)")
