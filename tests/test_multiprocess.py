"""Two app processes behind nginx on one PostgreSQL: a live workshop that crosses processes.

The deployment of docs/deploy.md, run for real: Debian's nginx with deploy/nginx-site.conf.template
(websocket upgrade, sticky by a route cookie), two `healthcheck serve` processes, one throwaway
PostgreSQL server. Each browser is pinned to a process by its route cookie (found by asking
nginx, which process the cookie reaches: `/healthz/ready` names it), so the test knows it crosses:

- participants' phones answer through process A while the facilitator's console and the
  dashboard are open on process B; the console shows each answer within 3 seconds;
- a funder's wrong share codes, typed in a page on A and a page on B, count as one budget;
- process A is killed (SIGKILL) mid-workshop: its phones reconnect through nginx to B and carry
  on (a half-filled form keeps its answers; a phone that had sent is not asked again), and a new
  phone that nginx would have sent to A joins on B;
- in the end every sent answer is stored exactly once (0 lost, 0 duplicated), and no log line
  holds a token, a code or an answer.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from healthcheck.store import Store, sharing
from healthcheck.store import workshops as ws

from .browser import click_and_wait, launch_chromium, open_options, unavailable, wait_idle
from .cluster import AppProcess, Nginx, free_port
from .pgserver import PgUnavailable, start_server

pytestmark = pytest.mark.multiprocess

ORGS = [("Harbour Music", "music"), ("City Children's Services", "childrens_services")]
LEVELS = ["Operational", "Strategic"]
PHONE = {"width": 375, "height": 667}
LIVE_LIMIT_S = 3.0
WRONG_CODE = "ABCD-EFGH-JKMN"


@pytest.fixture
def cluster(tmp_path: Path) -> Iterator[dict[str, Any]]:
    try:
        server = start_server(durable=True)  # SIGKILLed apps must not take acknowledged commits along
    except PgUnavailable as exc:
        unavailable(str(exc))
    apps: list[AppProcess] = []
    nginx: Nginx | None = None
    try:
        url = server.create_database()
        with Store(url) as store:
            p, admin = store.create_partnership("Harbour + City", "pulse", 3, ORGS)
            info, facilitate = ws.create_workshop(store, p.id, "Spring workshop")
            _, funder = sharing.create_funder(store, "Northern Arts Fund")
        apps = [AppProcess(name, free_port(), url, tmp_path / f"{name}.log") for name in ("a", "b")]
        for app in apps:
            app.start()
        for app in apps:
            app.wait_ready()
        nginx = Nginx(tmp_path / "nginx", apps)
        nginx.start()
        yield {"url": url, "info": info, "admin": admin, "facilitate": facilitate, "funder": funder,
               "a": apps[0], "b": apps[1], "nginx": nginx}
    finally:
        if nginx is not None:
            nginx.stop()
        for app in apps:
            app.stop()
        server.stop()


def _open(browser: Any, nginx: Nginx, route: str, path: str, phone: bool = False) -> Any:
    """A new browser whose route cookie pins it to one process, opening `path` through nginx
    (not waiting for the app's first run: several pages load side by side)."""
    ctx = browser.new_context(**({"viewport": PHONE, "is_mobile": True, "has_touch": True} if phone else {}))
    ctx.add_cookies([{"name": "hc_route", "value": route, "url": nginx.base}])
    page = ctx.new_page()
    page.goto(f"{nginx.base}{path}")
    return page


def _page(browser: Any, nginx: Nginx, route: str, path: str, phone: bool = False) -> Any:
    page = _open(browser, nginx, route, path, phone)
    wait_idle(page, timeout=60_000)
    return page


def _choose_org(page: Any, i: int) -> None:
    combo = page.get_by_role("combobox", name="Your organisation")
    wanted = page.get_by_role("option", name=ORGS[i % 2][0]).first
    open_options(page.locator("[data-testid='stSelectbox']").filter(has=combo), wanted)
    wanted.click()


def _tap(page: Any, question: int, wanted: str) -> None:
    """Question 0 is the level; 1.. are the workshop's questions."""
    labels = page.locator("[data-testid='stRadio']").nth(question).locator("label")
    texts = [t.strip().split("\n")[0] for t in labels.all_inner_texts()]
    labels.nth(texts.index(wanted)).click()


def _fill(phones: dict[int, Any], questions: range) -> None:
    """Each phone (by participant number) takes the same taps in step, the servers running the
    sessions side by side: 0 = organisation and level, 1.. = the workshop's questions."""
    for q in questions:
        for i, page in phones.items():
            if q == 0:
                _choose_org(page, i)
            else:
                _tap(page, q, "Agree" if (i + q) % 2 else "Disagree")
        for page in phones.values():
            wait_idle(page)
        if q == 0:
            for i, page in phones.items():
                _tap(page, 0, LEVELS[i % 2])
            for page in phones.values():
                wait_idle(page)


def _send(page: Any) -> None:
    page.get_by_role("button", name="Send my answers").click()
    page.get_by_text("Thank you").first.wait_for(timeout=15_000)


def _console_count(console: Any) -> str:
    metric = console.locator("[data-testid='stMetric']", has_text="Answers sent")
    return metric.locator("[data-testid='stMetricValue']").inner_text().strip()


def _seen_within(console: Any, expected: int, sent_at: float) -> float:
    """Seconds from a phone's "Thank you" until the console (another process) shows `expected`."""
    console.wait_for_function(
        """n => [...document.querySelectorAll("[data-testid='stMetric']")]
                 .some(m => m.innerText.includes("Answers sent")
                      && m.querySelector("[data-testid='stMetricValue']")?.innerText.trim() === String(n))""",
        arg=expected, timeout=10_000)
    return time.monotonic() - sent_at


def _reconnected(page: Any) -> None:
    """Wait until the page's websocket is back (now through nginx to the other process)."""
    page.wait_for_function(
        """() => document.querySelector("[data-testid='stApp']")
                    ?.getAttribute("data-test-connection-state") === "CONNECTED" """, timeout=30_000)
    wait_idle(page)


def _wrong_code(page: Any) -> str:
    box = page.get_by_role("textbox", name="Share code")
    if not box.is_visible():
        page.get_by_text("Add a partnership with a share code").click()
    box.fill(WRONG_CODE)
    click_and_wait(page, page.get_by_role("button", name="Add"))
    alert = page.locator("[data-testid='stForm'] [data-testid='stAlert']").first
    alert.wait_for(timeout=10_000)
    return str(alert.inner_text())


def test_workshop_across_two_processes_behind_nginx(cluster: dict[str, Any]) -> None:
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:  # pragma: no cover
        unavailable("playwright is not installed")
    nginx: Nginx = cluster["nginx"]
    a: AppProcess = cluster["a"]
    b: AppProcess = cluster["b"]
    info: ws.WorkshopInfo = cluster["info"]
    to_a, to_b = nginx.route_to("a"), nginx.route_to("b")
    lags: list[float] = []

    with sync_playwright() as pw:
        browser = launch_chromium(pw)
        try:
            console = _open(browser, nginx, to_b, f"/?facilitate={cluster['facilitate']}")
            dashboard = _open(browser, nginx, to_b, f"/?admin={cluster['admin']}")
            phones = [_open(browser, nginx, to_a, f"/?join={info.join_code}", phone=True) for _ in range(4)]
            funder_a = _open(browser, nginx, to_a, f"/?funder={cluster['funder']}")
            funder_b = _open(browser, nginx, to_b, f"/?funder={cluster['funder']}")
            for phone in phones:
                phone.get_by_role("button", name="Send my answers").wait_for(timeout=30_000)
                wait_idle(phone)
            console.locator("[data-testid='hc-join-code']").wait_for(timeout=30_000)
            wait_idle(console)
            assert _console_count(console) == "0"
            dashboard.get_by_role("heading").first.wait_for(timeout=30_000)
            wait_idle(dashboard)
            assert dashboard.locator("[data-testid='stVegaLiteChart']").count() == 0  # nothing to show yet

            # two phones send through A; the console on B sees each within 3 s
            _fill({0: phones[0], 1: phones[1]}, range(0, 2))
            for i in (0, 1):
                _send(phones[i])
                lags.append(_seen_within(console, i + 1, time.monotonic()))
            # two more are part-way when A goes: one has chosen only its organisation and level, one
            # has answered but not sent
            _fill({2: phones[2], 3: phones[3]}, range(0, 1))
            _fill({3: phones[3]}, range(1, 2))

            # wrong share codes: five on a funder page on A, then on one on B until the funder must
            # wait at least 10 s (ten are free per funder, then 1, 2, 4, 8, 16 s); A then makes it
            # wait too, though A alone has seen only five (10 s: room for a slow machine's page)
            for page in (funder_a, funder_b):
                wait_idle(page, timeout=30_000)
            for _ in range(5):
                assert "does not work" in _wrong_code(funder_a)
            # a condition with a deadline, not a count of tries: each counted try must first sit
            # out the wait before it (1 + 2 + 4 + 8 s), however slow the machine is
            deadline = time.monotonic() + 180
            while True:
                said = _wrong_code(funder_b)
                if "Too many wrong codes" in said and int(re.findall(r"wait (\d+) second", said)[0]) >= 10:
                    break
                if time.monotonic() > deadline:
                    raise AssertionError(f"the funder page on B never had to wait: {said}")
            assert "Too many wrong codes" in _wrong_code(funder_a)

            a.kill()
            for phone in phones:
                _reconnected(phone)
            # the half-filled phone finishes on B, keeping the answer it gave on A
            _fill({2: phones[2]}, range(1, 2))
            _send(phones[2])
            lags.append(_seen_within(console, 3, time.monotonic()))
            _send(phones[3])
            lags.append(_seen_within(console, 4, time.monotonic()))
            # a newcomer whose cookie points at A is sent to B by nginx
            late = _page(browser, nginx, to_a, f"/?join={info.join_code}", phone=True)
            late.get_by_role("button", name="Send my answers").wait_for(timeout=60_000)
            wait_idle(late)
            _fill({4: late}, range(0, 2))
            _send(late)
            lags.append(_seen_within(console, 5, time.monotonic()))

            # a phone that had sent on A, now on B: not asked again; it follows the reveal
            assert phones[0].get_by_role("button", name="Send my answers").count() == 0
            console.get_by_role("button", name="Reveal results").click()
            phones[0].get_by_text("How the whole partnership sees it").wait_for(timeout=30_000)
            assert phones[0].get_by_role("button", name="Send my answers").count() == 0

            # the dashboard on B draws the round from the answers sent through both processes
            dashboard.reload()
            dashboard.locator("[data-testid='stVegaLiteChart']").first.wait_for(timeout=60_000)
        finally:
            browser.close()

    # 0 lost, 0 duplicated: five pages sent, five answers stored, each once
    with Store(cluster["url"]) as store:
        records = store.response_records(info.round_id)
        with store.reading() as s:
            keys = list(s.scalars(text("SELECT submission_key FROM responses WHERE round_id = :r"),
                                  {"r": info.round_id}))
    assert len(records) == 5 and len(set(keys)) == 5
    assert sorted(r["organisation"] for r in records) == sorted(ORGS[i % 2][0] for i in range(5))
    third = sorted(records, key=lambda r: int(r["respondent"][1:]))[2]  # phone 2, half-way at the kill
    assert third["level"] == "operational" and len(third["answers"]) == 1  # level chosen on A, answer on B
    assert max(lags) < LIVE_LIMIT_S, lags

    # really across processes: A stored two, B three (one line per event in each log)
    a_log, b_log = a.log_text(), b.log_text()
    assert a_log.count("workshop answers stored") == 2, a_log
    assert b_log.count("workshop answers stored") == 3, b_log
    # no token, code or answer in any log (the app's two, and nginx's access log)
    logs = a_log + b_log + nginx.access_log.read_text(errors="replace")
    for secret in (cluster["admin"], cluster["facilitate"], cluster["funder"], info.join_code, WRONG_CODE,
                   "Disagree"):
        assert secret not in logs, secret
