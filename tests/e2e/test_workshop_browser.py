"""A live workshop in a real browser: a facilitator's projector and five phones.

The console must show each submission without a reload (its live part polls the store), keep
the results hidden until the facilitator reveals them, and refuse new participants once closed.
Screenshots of the projector view and the phone pages go to test-artifacts/screenshots/.
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

import pytest

from healthcheck.store import Store
from healthcheck.store import workshops as ws

from .. import browser as browser_helpers
from ..browser import launch_chromium, open_options, screenshot, streamlit_server, unavailable, wait_idle

pytestmark = pytest.mark.browser

PROJECTOR = {"width": 1600, "height": 1000}
PHONE = {"width": 375, "height": 667}
ORGS = [("Harbour Music", "music"), ("City Children's Services", "childrens_services")]
LEVELS = ["Operational", "Strategic"]
LIVE_WAIT_MS = 5_000


def _click(page: Any, locator: Any) -> None:
    locator.click()
    wait_idle(page)


def _steps(i: int, questions: int = 2) -> list[Any]:
    """One participant's taps: organisation, level, the first few questions (skipping is
    allowed), send. Each step acts on the page without waiting for the server."""

    def organisation(page: Any) -> None:
        combo = page.get_by_role("combobox", name="Your organisation")
        box = page.locator("[data-testid='stSelectbox']").filter(has=combo)
        wanted = page.get_by_role("option", name=ORGS[i % 2][0]).first
        open_options(box, wanted)
        wanted.click()

    def radio(n: int, wanted: str) -> Any:
        def tap(page: Any) -> None:
            labels = page.locator("[data-testid='stRadio']").nth(n).locator("label")
            texts = [t.strip().split("\n")[0] for t in labels.all_inner_texts()]
            labels.nth(texts.index(wanted) if wanted in texts else 0).click()
        return tap

    def send(page: Any) -> None:
        page.get_by_role("button", name="Send my answers").click()

    answers = [radio(q, "Agree" if i % 2 else "Disagree") for q in range(1, questions + 1)]
    return [organisation, radio(0, LEVELS[i % 2]), *answers, send]


def _answer_all(phones: list[tuple[int, Any]]) -> None:
    """Every phone takes its taps in step; the server serves the sessions side by side."""
    plans = [(page, _steps(i)) for i, page in phones]
    for k in range(len(plans[0][1])):
        for page, steps in plans:
            steps[k](page)
        for page, _ in plans:
            wait_idle(page)
    for page, _ in plans:
        page.get_by_text("Thank you").first.wait_for(timeout=15_000)


def _sent_count(console: Any) -> str:
    metric = console.locator("[data-testid='stMetric']", has_text="Answers sent")
    return metric.locator("[data-testid='stMetricValue']").inner_text().strip()


def _wait_count(console: Any, expected: int, timeout_ms: int = LIVE_WAIT_MS) -> float:
    """Poll the console's count (no reload) until it reads `expected`; returns the seconds taken."""
    start = time.monotonic()
    deadline = start + timeout_ms / 1000
    last = ""
    while time.monotonic() < deadline:
        try:
            last = _sent_count(console)
        except Exception:  # noqa: BLE001 - the fragment is being redrawn
            last = "?"
        if last == str(expected):
            return time.monotonic() - start
        console.wait_for_timeout(100)
    raise AssertionError(f"console shows {last!r} answers, expected {expected} within {timeout_ms} ms")


def test_live_workshop(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:  # pragma: no cover
        unavailable("playwright is not installed")
    if os.environ.get("HC_WORKSHOP_APP"):
        monkeypatch.setattr(browser_helpers, "APP", Path(os.environ["HC_WORKSHOP_APP"]))
    db_url = f"sqlite:///{(tmp_path / 'workshop.db').as_posix()}"
    with Store(db_url) as store:
        p, _ = store.create_partnership("Harbour Music + City Children's Services", "pulse", 3, ORGS)
        info, token = ws.create_workshop(store, p.id, "Spring partnership workshop")

    with streamlit_server(db_url, tmp_path / "streamlit.log") as base, sync_playwright() as pw:
        browser = launch_chromium(pw)
        contexts: list[Any] = []
        try:
            fctx = browser.new_context(viewport=PROJECTOR)
            contexts.append(fctx)
            console = fctx.new_page()
            console.goto(f"{base}/?facilitate={token}")
            wait_idle(console)
            code = console.locator("[data-testid='hc-join-code']")
            code.wait_for(timeout=10_000)
            assert code.inner_text().replace(" ", "") == info.join_code
            assert console.get_by_text(f"{base}/?join={info.join_code}").first.is_visible()
            console.locator("[data-testid='stImage'] img").first.wait_for(timeout=10_000)
            assert _sent_count(console) == "0"
            screenshot(console, "ws-01-console-waiting")

            # a join code never opens the console
            stranger = fctx.new_page()
            stranger.goto(f"{base}/?facilitate={info.join_code}")
            wait_idle(stranger)
            assert stranger.get_by_text("facilitator link does not work").is_visible()
            stranger.close()

            phones = []
            for _ in range(5):
                ctx = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
                contexts.append(ctx)
                phone = ctx.new_page()
                phone.goto(f"{base}/?join={info.join_code.lower()}")
                phones.append(phone)
            for phone in phones:
                wait_idle(phone)
                phone.get_by_role("button", name="Send my answers").wait_for(timeout=15_000)
            screenshot(phones[0], "ws-02-phone-form")
            assert console.get_by_text("Joined").count() >= 1

            # the first phone alone: its answer appears on the console by itself, without a reload
            _answer_all([(0, phones[0])])
            _wait_count(console, 1)
            # then four phones at once
            _answer_all([(i, phones[i]) for i in range(1, 5)])
            _wait_count(console, 5)
            screenshot(phones[0], "ws-03-phone-thanks")

            # hidden before the reveal, on the console and on the phones
            assert console.get_by_text("Results are hidden until you reveal them").is_visible()
            assert console.locator("[data-testid='stVegaLiteChart']").count() == 0
            assert phones[0].get_by_text("when the facilitator shows them").is_visible()
            assert phones[0].locator("[data-testid='stVegaLiteChart']").count() == 0
            screenshot(console, "ws-04-console-hidden")

            # the reveal
            _click(console, console.get_by_role("button", name="Reveal results"))
            # generous: the first results build loads the rule engine and the charts (seconds on a
            # busy 2-core machine); the live counts above are what must be quick
            console.locator("[data-testid='stVegaLiteChart']").first.wait_for(timeout=30_000)
            console.get_by_role("heading", name="Findings").wait_for(timeout=10_000)
            console.get_by_role("heading", name="Answers per question").wait_for(timeout=10_000)
            screenshot(console, "ws-05-console-revealed")
            # the phones see the whole partnership (their fragment polls for the reveal)
            phones[1].get_by_text("How the whole partnership sees it").wait_for(timeout=20_000)
            phones[1].locator("[data-testid='stVegaLiteChart']").first.wait_for(timeout=20_000)
            assert phones[1].get_by_text("Findings").count() == 0
            screenshot(phones[1], "ws-06-phone-results")

            # close: a new participant is refused, the console says so
            _click(console, console.get_by_text("Yes, stop taking answers"))
            _click(console, console.get_by_role("button", name="Close workshop"))
            console.get_by_text("This workshop has ended").first.wait_for(timeout=10_000)
            late_ctx = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
            contexts.append(late_ctx)
            late = late_ctx.new_page()
            late.goto(f"{base}/?join={info.join_code}")
            wait_idle(late)
            late.get_by_text("This workshop has ended").first.wait_for(timeout=10_000)
            assert late.get_by_role("button", name="Send my answers").count() == 0
            screenshot(late, "ws-07-phone-closed")
            for ctx in contexts:
                ctx.close()
        finally:
            browser.close()

    with Store(db_url) as store:
        assert len(store.response_records(info.round_id)) == 5
        assert not store.get_round(info.round_id).is_open  # type: ignore[union-attr]
