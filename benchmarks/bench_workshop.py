"""Live workshop load: real browser phones against a running server, and the store under threads.

1. 20 participants, each in its own Playwright browser context (phone viewport) against a real
   Streamlit server, fill in the form and press "Send" at the same moment. Counted: answers lost
   and duplicated (both must be 0); p50 / p95 submit latency (tap -> "Thank you" on screen),
   against one phone sending alone as the in-run baseline; the time until the facilitator's
   console (open in another context, never reloaded) shows all 20 after the last submit
   finished (target < 3 s; baseline: the console's refresh interval); the server's peak memory
   (RSS of the server process and its children, sampled every 50 ms).
2. 200 concurrent submissions (20 threads, each also re-sending once: a double tap) through the
   store on SQLite and, when tests/pgserver.py can start one, PostgreSQL: 0 lost, 0 duplicated;
   time against the same 200 sent (and re-sent) one after another, best of 5 alternating runs,
   on one core as docs/deploy.md runs each app process (target 1.3x); the same on two cores is
   shown too.
3. The server's own work for one "Send" (the participant page's script run in AppTest, no
   browser) against the store's bare submit: target under 100 ms.

Run: .venv/bin/python -m benchmarks.bench_workshop   (needs chromium; PHONES=20 by default)
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import statistics
import sys
import tempfile
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from healthcheck.core.questionnaire import find_questionnaire, load_questionnaire
from healthcheck.core.workshop import items_for
from healthcheck.store import Store
from healthcheck.store import workshops as ws

from .common import report

ROOT = Path(__file__).resolve().parent.parent
TESTS = ROOT / "tests"
if str(TESTS) not in sys.path:
    sys.path.insert(0, str(TESTS))

ORGS = [("Harbour Music", "music"), ("City Children's Services", "childrens_services")]
PHONE = {"width": 375, "height": 667}


def _pulse() -> Any:
    return load_questionnaire(find_questionnaire("pulse"))


# --------------------------------------------------------------------------------------------
# The store under threads


def _store_run(url: str, n: int = 200, threads: int = 20, rounds: int = 5) -> tuple[float, float, int, int]:
    """(concurrent seconds, sequential seconds, lost, duplicated) for n submissions: the best of
    `rounds` runs of each, their order alternating (a passing stall of the machine, or a bigger
    database, then falls on both sides alike)."""
    q = _pulse()
    answers = {i.id: 4 for i in q.likert_items}
    times: dict[str, list[float]] = {"sequential": [], "concurrent": []}
    lost = duplicated = 0
    with Store(url) as store:
        p, _ = store.create_partnership("Bench", "pulse", 3, ORGS)
        org_ids = [o.id for o in store.organisations(p.id)]

        def sequential(w: ws.WorkshopInfo) -> None:
            for i in range(n):  # the same work as below: each phone sends, then taps again
                args = (w, org_ids[i % 2], "operational", answers, uuid.uuid4().hex, q)
                ws.submit(store, *args)
                ws.submit(store, *args)

        def concurrent(w: ws.WorkshopInfo) -> None:
            nonlocal lost, duplicated
            keys = [uuid.uuid4().hex for _ in range(n)]
            barrier = threading.Barrier(threads)

            def phone(i: int) -> int:
                if i < threads:
                    barrier.wait(timeout=60)
                args = (w, org_ids[i % 2], "operational", answers, keys[i], q)
                return int(ws.submit(store, *args)) + int(ws.submit(store, *args))  # the double tap

            with ThreadPoolExecutor(max_workers=threads) as pool:
                stored = sum(pool.map(phone, range(n)))
            got = [r["respondent"] for r in store.response_records(w.round_id)]
            lost += n - len(got)
            duplicated += max((stored - n) + (len(got) - len(set(got))), 0)

        for k in range(rounds):
            for name, run in (("sequential", sequential), ("concurrent", concurrent))[::1 if k % 2 else -1]:
                w, _ = ws.create_workshop(store, p.id, f"{name} {k}", questionnaire=q)
                start = time.perf_counter()
                run(w)
                times[name].append(time.perf_counter() - start)
    return min(times["concurrent"]), min(times["sequential"]), lost, duplicated


@contextlib.contextmanager
def _one_core() -> Any:
    """This thread (and the threads it starts) on one core, as docs/deploy.md runs each app
    process. Unpinned, CPython hands its interpreter lock between threads on two cores at every
    database call, which costs the threads a third more than the same work on one core."""
    before = os.sched_getaffinity(0)
    os.sched_setaffinity(0, {min(before)})
    try:
        yield
    finally:
        os.sched_setaffinity(0, before)


def bench_store() -> bool:
    ok = True
    with tempfile.TemporaryDirectory() as tmp:
        backends = [("sqlite", f"sqlite:///{Path(tmp) / 'bench.db'}")]
        server = None
        try:
            from pgserver import PgUnavailable, start_server

            try:
                server = start_server()
                backends.append(("postgresql", server.create_database("hc_bench")))
            except PgUnavailable as exc:
                print(f"store (postgresql): skipped, no server ({exc})")
        except ImportError as exc:  # pragma: no cover
            print(f"store (postgresql): skipped ({exc})")
        try:
            for name, url in backends:
                with _one_core():
                    concurrent, sequential, lost, duplicated = _store_run(url)
                print(f"store ({name}): 5 x 200 concurrent submissions, {lost} lost, {duplicated} duplicated")
                ok &= lost == 0 and duplicated == 0
                ok &= report(f"store ({name}): 200 submissions from 20 threads vs one after another, "
                             "one core", concurrent, sequential, target_ratio=1.3)
                concurrent, sequential, lost, duplicated = _store_run(url, rounds=3)
                ok &= lost == 0 and duplicated == 0
                report(f"store ({name}): the same on two cores", concurrent, sequential)
        finally:
            if server is not None:
                server.stop()
    return ok


# --------------------------------------------------------------------------------------------
# Real browsers


class _Memory:
    """Peak RSS of a process and its children, sampled in a thread."""

    def __init__(self, pid: int) -> None:
        import psutil

        self.proc = psutil.Process(pid)
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _sample(self) -> int:
        import psutil

        total = 0
        try:
            procs = [self.proc, *self.proc.children(recursive=True)]
        except psutil.Error:
            return 0
        for proc in procs:
            with contextlib.suppress(psutil.Error):
                total += proc.memory_info().rss
        return total

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, self._sample())
            self._stop.wait(0.05)

    def __enter__(self) -> _Memory:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def _server_pid(port: str) -> int:
    import psutil

    for child in psutil.Process().children(recursive=True):
        try:
            if "streamlit" in " ".join(child.cmdline()) and port in child.cmdline():
                return child.pid
        except psutil.Error:
            continue
    raise RuntimeError("streamlit server process not found")


async def _idle(page: Any) -> None:
    await page.wait_for_timeout(150)
    await page.wait_for_selector("[data-testid='stApp'][data-test-script-state='notRunning']", timeout=60_000)


async def _fill(page: Any, i: int) -> None:
    """Organisation, level and two answers, each tap waiting for the server."""
    combo = page.get_by_role("combobox", name="Your organisation")
    box = page.locator("[data-testid='stSelectbox']").filter(has=combo)
    await box.get_by_role("button", name="Open").click()
    await page.get_by_role("option", name=ORGS[i % 2][0]).first.click()
    await _idle(page)
    for n in range(3):
        labels = page.locator("[data-testid='stRadio']").nth(n).locator("label")
        await labels.nth(1 + (i % 3)).click()
        await _idle(page)


async def _console_count(console: Any) -> str:
    metric = console.locator("[data-testid='stMetric']", has_text="Answers sent")
    return (await metric.locator("[data-testid='stMetricValue']").inner_text()).strip()


async def _browser_run(base: str, token: str, code: str, phones: int) -> dict[str, Any]:
    from browser import CHROMIUM_ARGS, chromium_path
    from playwright.async_api import async_playwright

    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS, headless=True)
        try:
            console = await (await browser.new_context(viewport={"width": 1600, "height": 1000})).new_page()
            await console.goto(f"{base}/?facilitate={token}")
            await console.locator("[data-testid='stMetric']").first.wait_for(timeout=60_000)

            async def open_phone(i: int) -> Any:
                ctx = await browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
                page = await ctx.new_page()
                await page.goto(f"{base}/?join={code}")
                await page.get_by_role("button", name="Send my answers").wait_for(timeout=120_000)
                await _fill(page, i)
                return page

            async def send(page: Any) -> tuple[float, float]:
                start = time.monotonic()
                await page.get_by_role("button", name="Send my answers").click()
                await page.get_by_text("Thank you").first.wait_for(timeout=120_000)
                end = time.monotonic()
                return end - start, end

            # the baseline: one phone sending alone
            alone = await open_phone(0)
            baseline, _ = await send(alone)
            pages = []
            for i in range(1, phones + 1):  # open a few at a time: it is the sending that is measured
                pages.append(await open_phone(i))
            async def watch() -> float:
                while await _console_count(console) != str(phones + 1):
                    await asyncio.sleep(0.05)
                return time.monotonic()

            watcher = asyncio.create_task(watch())
            results = await asyncio.gather(*(send(p) for p in pages))
            last_done = max(end for _, end in results)
            try:
                seen = await asyncio.wait_for(watcher, timeout=30)
            except TimeoutError:
                seen = float("inf")
            latencies = sorted(lat for lat, _ in results)
            return {"baseline": baseline, "latencies": latencies, "console_delay": max(0.0, seen - last_done)}
        finally:
            await browser.close()


def bench_browsers(phones: int = 20) -> bool:
    try:
        import playwright  # noqa: F401
        from browser import chromium_path, streamlit_server
    except ImportError as exc:  # pragma: no cover
        print(f"browsers: skipped ({exc})")
        return True
    import shutil

    if not (shutil.which("chromium") or shutil.which("chromium-browser")):
        print("browsers: skipped (chromium is not installed)")
        return True
    chromium_path()
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'bench.db'}"
        with Store(url) as store:
            p, _ = store.create_partnership("Bench partnership", "pulse", 3, ORGS)
            info, token = ws.create_workshop(store, p.id, "Load test")
        with streamlit_server(url, Path(tmp) / "server.log") as base:
            pid = _server_pid(base.rsplit(":", 1)[1])
            with _Memory(pid) as memory:
                result = asyncio.run(_browser_run(base, token, info.join_code, phones))
        with Store(url) as store:
            records = store.response_records(info.round_id)
    expected = phones + 1
    lost = max(expected - len(records), 0)
    duplicated = max(len(records) - expected, 0)
    lat = result["latencies"]
    p50 = statistics.median(lat)
    p95 = lat[min(len(lat) - 1, round(0.95 * (len(lat) - 1)))]
    print(f"browsers: {phones} phones sent at once (+1 alone): {len(records)} stored, {lost} lost, "
          f"{duplicated} duplicated")
    ok = lost == 0 and duplicated == 0
    report(f"browsers: p50 submit latency with {phones} at once vs one alone", p50, result["baseline"])
    report(f"browsers: p95 submit latency with {phones} at once vs one alone", p95, result["baseline"])
    from healthcheck.ui.pages.workshop_console import REFRESH_SECONDS

    ok &= report(f"browsers: console shows all {expected} after the last submit vs refresh interval",
                 result["console_delay"], float(REFRESH_SECONDS), target_seconds=3.0)
    print(f"browsers: server peak memory {memory.peak / 2**20:.0f} MiB (RSS incl. children)")
    return ok


# --------------------------------------------------------------------------------------------
# The server's own work for one Send (no browser)


def bench_send_run(runs: int = 15) -> bool:
    """The participant page's script run for "Send" (AppTest, so no browser), against the store's
    own `submit` of the same answers: what each phone costs the server. The browser figures below
    run 20 headless Chromiums on the same cores as the server, so their latency is mostly the rig."""
    from apptest import app  # tests/apptest.py

    q = _pulse()
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'send.db'}"
        old = os.environ.get("HEALTHCHECK_DATABASE_URL")
        os.environ["HEALTHCHECK_DATABASE_URL"] = url
        try:
            with Store(url) as store:
                p, _ = store.create_partnership("Bench", "pulse", 3, ORGS)
                info, _ = ws.create_workshop(store, p.id, "Send", questionnaire=q)
                org = store.organisations(p.id)[0].id
                items = [i for i in items_for(info.dimensions, q) if i.type == "likert"]
                bare: list[float] = []
                for _ in range(runs):
                    start = time.perf_counter()
                    ws.submit(store, info, org, "operational", {i.id: 4 for i in items}, uuid.uuid4().hex, q)
                    bare.append(time.perf_counter() - start)
            page: list[float] = []
            f = f"ws{info.id}_"
            for _ in range(runs):
                at = app(join=info.join_code).run()
                at.selectbox(key=f + "org").set_value(org)
                at.radio(key=f + "level").set_value("operational")
                for item in items:
                    at.radio(key=f + "a:" + item.id).set_value(4)
                at.run()
                start = time.perf_counter()
                at.button(key=f + "send").click().run()
                page.append(time.perf_counter() - start)
                assert any("Thank you" in s.value for s in at.success), [e.value for e in at.error]
        finally:
            if old is None:
                os.environ.pop("HEALTHCHECK_DATABASE_URL", None)
            else:
                os.environ["HEALTHCHECK_DATABASE_URL"] = old
    send = statistics.median(page[1:])  # the first run warms caches
    print(f"send: 20 phones' Sends are about {20 * send:.2f} s of server work in all")
    return report("send: participant page's Send run (median) vs the store's submit alone",
                  send, statistics.median(bare), target_seconds=0.1)


def main() -> bool:
    phones = int(os.environ.get("PHONES", "20"))
    ok = bench_store()
    ok &= bench_send_run()
    ok &= bench_browsers(phones)
    return ok


if __name__ == "__main__":
    sys.exit(0 if main() else 1)
