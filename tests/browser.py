"""Helpers for browser tests: a real Streamlit server on a free port and Debian's headless chromium.

Without chromium the browser tests are skipped locally but fail when the CI environment
variable is set (nothing may be skipped in CI).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
APP = ROOT / "app.py"
# What `healthcheck serve` runs: app.py behind the headers that refuse framing (an st.App).
SERVING = ROOT / "healthcheck" / "ui" / "serving.py"
IDLE = "[data-testid='stApp'][data-test-script-state='notRunning']"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"]
SCREENSHOTS = ROOT / "test-artifacts" / "screenshots"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def unavailable(reason: str) -> None:
    """Skip locally; fail in CI."""
    if os.environ.get("CI"):
        pytest.fail(f"required in CI: {reason}", pytrace=False)
    pytest.skip(reason)


def chromium_path() -> str:
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    if not path:
        unavailable("chromium is not installed (apt-get install -y chromium)")
    return str(path)


@contextmanager
def streamlit_server(db_url: str, log_path: Path, timeout: float = 45.0) -> Iterator[str]:
    """Run the app as `healthcheck serve` does (app.py through healthcheck/ui/serving.py) on a free
    local port with its own database; yields the base URL."""
    port = free_port()
    env = dict(os.environ, HEALTHCHECK_DATABASE_URL=db_url, PYTHONUNBUFFERED="1")
    env.pop("HEALTHCHECK_BASE_URL", None)
    env.pop("HEALTHCHECK_PUBLIC_URL", None)
    # a test pointing APP at another script (HC_WORKSHOP_APP) runs that script as it is
    entry = SERVING if APP == ROOT / "app.py" else APP
    command = [sys.executable, "-m", "streamlit", "run", str(entry), "--server.headless", "true",
               "--server.port", str(port), "--server.address", "127.0.0.1",
               "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none",
               "--server.runOnSave", "false"]
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(command, cwd=str(ROOT), env=env, stdout=log, stderr=subprocess.STDOUT)
        base = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + timeout
            while True:
                if proc.poll() is not None:
                    raise RuntimeError(f"streamlit exited early:\n{log_path.read_text(errors='replace')}")
                try:
                    with urllib.request.urlopen(f"{base}/_stcore/health", timeout=2) as resp:
                        if resp.status == 200:
                            break
                except OSError:
                    pass
                if time.monotonic() > deadline:
                    raise RuntimeError(f"streamlit did not start:\n{log_path.read_text(errors='replace')}")
                time.sleep(0.2)
            yield base
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def launch_chromium(playwright: Any) -> Any:
    return playwright.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS, headless=True)


@contextmanager
def chromium_browser() -> Iterator[Any]:
    """A headless Debian Chromium under Playwright, closed afterwards (skips without Playwright)."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:  # pragma: no cover
        unavailable("playwright is not installed")
    with sync_playwright() as p:
        browser = launch_chromium(p)
        try:
            yield browser
        finally:
            browser.close()


_OBSERVE = """() => {
    if (window.__hcObserved) return window.__hcRuns;
    const app = document.querySelector("[data-testid='stApp']");
    if (!app) return -1;
    window.__hcRuns = 0;
    new MutationObserver(() => {
        if (app.getAttribute("data-test-script-state") === "running") window.__hcRuns += 1;
    }).observe(app, {attributes: true, attributeFilter: ["data-test-script-state"]});
    window.__hcObserved = true;
    return 0;
}"""


def wait_idle(page: Any, timeout: float = 30_000) -> None:
    """Wait until Streamlit has finished its current run."""
    page.wait_for_selector(IDLE, timeout=timeout)


def click_and_wait(page: Any, locator: Any, timeout: float = 30_000, started: float = 3_000) -> None:
    """Click, then wait for the run the click starts to finish.

    On a busy machine the run may start a moment after the click, when the page still looks
    idle: count the runs that start (a MutationObserver on the script state) and wait for a new
    one before waiting for idle."""
    page.wait_for_selector(IDLE, timeout=timeout)
    before = page.evaluate(_OBSERVE)
    locator.click()
    if before >= 0:
        with contextlib.suppress(Exception):  # a click that starts no run: just settle
            page.wait_for_function(f"() => window.__hcRuns > {before}", timeout=started)
    page.wait_for_selector(IDLE, timeout=timeout)


_CONTENT_HEIGHT = """() => Math.max(document.body.scrollHeight,
    ...Array.from(document.querySelectorAll("[data-testid='stMain'], [data-testid='stMainBlockContainer']"))
        .map(e => e.scrollHeight))"""


# Resolves once an element has kept its place for three animation frames: the page has stopped
# scrolling it into view (a dropdown opened while it still moves closes again).
_STILL = """el => new Promise(resolve => {
  let last = null, still = 0;
  const tick = () => {
    const r = el.getBoundingClientRect(), at = `${r.top},${r.left}`;
    if (at === last) { if (++still >= 3) return resolve(true); } else { still = 0; last = at; }
    requestAnimationFrame(tick);
  };
  requestAnimationFrame(tick);
})"""


def settle(locator: Any, timeout: float = 10_000) -> None:
    """Scroll an element into view and wait until it stops moving."""
    locator.scroll_into_view_if_needed(timeout=timeout)
    locator.evaluate(_STILL)


def screenshot(page: Any, name: str, max_height: int = 6000) -> Path:
    """The whole page as one PNG. Streamlit scrolls inside its own container, so a full-page
    screenshot would show only the window: grow the window to the content for the shot."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    size = page.viewport_size
    height = min(int(page.evaluate(_CONTENT_HEIGHT)), max_height)
    if size and height > size["height"]:
        page.set_viewport_size({"width": size["width"], "height": height})
        page.wait_for_function("h => window.innerHeight >= h", arg=height)
        page.evaluate("() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")
    try:
        page.screenshot(path=str(path))
    finally:
        if size:
            page.set_viewport_size(size)
    return path


def choose(page: Any, label: str, option: str, exact: bool = False) -> None:
    """Pick an option in an st.selectbox identified by its label."""
    combo = page.get_by_role("combobox", name=label, exact=exact)
    settle(combo)
    box = page.locator("[data-testid='stSelectbox']").filter(has=combo)
    wanted = page.get_by_role("option", name=option, exact=exact).first
    open_options(box, wanted)
    click_and_wait(page, wanted)


def open_options(box: Any, wanted: Any, tries: int = 3) -> None:
    """Open a select box's list and wait for `wanted` in it. On a busy machine a tap that lands
    while the page is still settling can leave the list shut (seen with phones on a long page):
    then tap again, a few times, waiting on the option each time, never on a fixed sleep."""
    for _ in range(tries - 1):
        box.get_by_role("button", name="Open").click()
        try:
            wanted.wait_for(state="visible", timeout=5_000)
            return
        except Exception:  # noqa: BLE001 - Playwright's TimeoutError: the list did not open
            continue
    box.get_by_role("button", name="Open").click()
    wanted.wait_for(state="visible", timeout=30_000)
