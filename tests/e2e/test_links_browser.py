"""Links in a real browser (headless Chromium), issue 14.

- A link forwarded with a used submission key in it (`&k=...`, as copied from an address bar in
  the old app) still lets its holder answer: two browsers answer through the same link and the
  store holds both answers, once each.
- The app refuses to be framed: a third-party page whose frames load `?join=...` gets nothing
  drawn in them, and the framed app records no wrong code and joins nobody; the same addresses
  opened directly work.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select, text

from healthcheck.store import JoinFailure, Store
from healthcheck.store import workshops as ws

from ..browser import launch_chromium, streamlit_server, unavailable, wait_idle
from .test_browser import DESKTOP, ORG_A, ORG_B, PHONE, _respond
from .test_workshop_browser import _answer_all

pytestmark = pytest.mark.browser

ORGS = [(ORG_A, "music"), (ORG_B, "childrens_services")]


def _playwright() -> Any:
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:  # pragma: no cover
        unavailable("playwright is not installed")
    return sync_playwright()


def _keys(store: Store, round_id: int) -> list[str]:
    with store.reading() as s:
        return list(s.scalars(text("SELECT submission_key FROM responses WHERE round_id = :r ORDER BY id")
                              .bindparams(r=round_id)))


def _wrong_codes(store: Store) -> int:
    with store.reading() as s:
        return int(s.scalar(select(func.count()).select_from(JoinFailure)) or 0)


def test_same_link_in_two_browsers_stores_both_answers(tmp_path: Path) -> None:
    db_url = f"sqlite:///{(tmp_path / 'links.db').as_posix()}"
    with Store(db_url) as store:
        p, _ = store.create_partnership("Harbour + City", "pulse", 3, ORGS)
        r, token = store.open_round(p.id, "Spring pulse", "pulse", "1")
        info, _ = ws.create_workshop(store, p.id, "Spring workshop")
    with streamlit_server(db_url, tmp_path / "streamlit.log") as base, _playwright() as pw:
        browser = launch_chromium(pw)
        try:
            # the answer link: the first respondent answers; the link reaches a colleague with
            # the first one's (now used) key in it, and the colleague answers too
            _respond(browser, f"{base}/?r={token}", ORG_A, "Operational", DESKTOP)
            with Store(db_url) as store:
                [used] = _keys(store, r.id)
            _respond(browser, f"{base}/?r={token}&k={used}", ORG_B, "Strategic", PHONE)

            # the workshop link, in two phones side by side; the second with the first's key
            first_ctx = browser.new_context(viewport={"width": 375, "height": 667}, is_mobile=True)
            first = first_ctx.new_page()
            first.goto(f"{base}/?join={info.join_code}")
            wait_idle(first)
            first.get_by_role("button", name="Send my answers").wait_for(timeout=15_000)
            _answer_all([(0, first)])
            with Store(db_url) as store:
                [ws_used] = [k for k in _keys(store, info.round_id)]
            second_ctx = browser.new_context(viewport={"width": 375, "height": 667}, is_mobile=True)
            second = second_ctx.new_page()
            second.goto(f"{base}/?join={info.join_code}&{ws_used.replace('ws:', 'k=')}")
            wait_idle(second)
            second.get_by_role("button", name="Send my answers").wait_for(timeout=15_000)
            _answer_all([(1, second)])
            assert second.get_by_text("nothing was stored twice").count() == 0
            assert "k=" not in first.url and "k=" not in second.url  # never (or no longer) in the address
            first_ctx.close()
            second_ctx.close()
        finally:
            browser.close()
    with Store(db_url) as store:
        answers = sorted(rec["organisation"] for rec in store.response_records(r.id))
        assert answers == sorted([ORG_A, ORG_B])  # both stored, once each
        keys = _keys(store, r.id)
        assert len(set(keys)) == 2
        workshop = sorted(rec["organisation"] for rec in store.response_records(info.round_id))
        assert workshop == sorted([ORG_A, ORG_B])


@contextmanager
def other_site(folder: Path) -> Iterator[str]:
    """Another origin serving `folder` (http://localhost:PORT, while the app is on 127.0.0.1). Local
    too, so Chromium's local-network checks do not block the frames before the app can answer."""

    class Quiet(SimpleHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=str(folder)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://localhost:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(10)


FRAMING_PAGE = """<!doctype html><html><head><title>A prize draw</title></head><body>
<p>Nothing to see here.</p>
<script>window.loaded = 0;</script>
{frames}
</body></html>"""


def test_framed_app_does_nothing_and_direct_links_work(tmp_path: Path) -> None:
    db_url = f"sqlite:///{(tmp_path / 'frames.db').as_posix()}"
    with Store(db_url) as store:
        p, _ = store.create_partnership("Harbour + City", "pulse", 3, ORGS)
        info, _ = ws.create_workshop(store, p.id, "Spring workshop")
    guess = "QQQQQQ" if info.join_code != "QQQQQQ" else "RRRRRR"
    site = tmp_path / "site"
    site.mkdir()
    with streamlit_server(db_url, tmp_path / "streamlit.log") as base, other_site(site) as third_party, \
            _playwright() as pw:
        browser = launch_chromium(pw)
        try:
            urls = [f"{base}/?join={guess}", f"{base}/?join={info.join_code}"] * 2
            frames = "\n".join(
                f'<iframe src="{u}" onload="window.loaded += 1" '
                f'style="{"width:1px;height:1px;opacity:0" if n else "width:600px;height:400px"}"></iframe>'
                for n, u in enumerate(urls))
            (site / "prize.html").write_text(FRAMING_PAGE.format(frames=frames), encoding="utf-8")
            ctx = browser.new_context()
            page = ctx.new_page()
            served: dict[str, dict[str, str]] = {}
            page.on("response", lambda resp: served.setdefault(resp.url, resp.headers)
                    if resp.url.startswith(f"{base}/?join=") else None)
            page.goto(f"{third_party}/prize.html")
            page.wait_for_function(f"() => window.loaded >= {len(urls)}", timeout=30_000)
            assert set(served) == set(urls), served  # each frame asked the app for its page...
            for headers in served.values():
                assert headers.get("x-frame-options") == "DENY"
                assert headers.get("content-security-policy") == "frame-ancestors 'none'"
            children = [f for f in page.frames if f is not page.main_frame]
            assert len(children) == len(urls)
            for frame in children:  # ...and the browser drew none of them
                assert not frame.url.startswith(base), frame.url
                assert frame.locator("[data-testid='stApp']").count() == 0
            ctx.close()

            # the same addresses opened directly: the guess is told plainly, the right code joins
            direct = browser.new_context().new_page()
            direct.goto(f"{base}/?join={guess}")
            wait_idle(direct)
            direct.get_by_text("This code does not work").first.wait_for(timeout=15_000)
            direct.goto(f"{base}/?join={info.join_code}")
            wait_idle(direct)
            direct.get_by_role("button", name="Send my answers").wait_for(timeout=15_000)
        finally:
            browser.close()
    with Store(db_url) as store:
        assert _wrong_codes(store) == 1  # the direct guess only: the framed ones never ran
        status = ws.live_status(store, info.id)
        assert status is not None and status.participants == 1  # the direct visitor only
