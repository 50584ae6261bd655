"""How many phones one app process holds in a live workshop, measured without starving the server.

The phones are `tests/stclient.Tab`s: each speaks Streamlit's own websocket protocol, so the
server does exactly the work a real phone causes (every tap is a rerun of the page, the waiting
page's `run_every` fragment asks again on its own clock), while the whole room costs the rig a
few percent of a core. The server is pinned to one core and the rig to the other, so neither
takes the other's time (on a one-core machine both share it, and the figures say so).

A room of N goes through four phases, one after another, and the server process's own CPU time
(user + system, from /proc) is read at each boundary:
- join: each phone opens the join link within a 5 s window (a QR code going round the room);
- answer: each taps organisation, level and the 19 pulse answers at a brisk human pace
  (0.2-1.0 s between taps, seeded);
- send: each presses Send within a 10 s window; the Send's latency (request -> the server's
  "finished") is recorded;
- wait: 9 s with everybody on the "results soon" page, whose fragment polls every few seconds.
The facilitator's console is open throughout (also a protocol client, with its own 2 s fragment);
the lag is from the last Send's reply to the console's "Answers sent" metric showing N.

Rooms grow by 20 from 20 until a Send's p95 exceeds 1 s or the console lags more than 3 s.
Baseline (same run): a room of one. Targets (issue 17): 60 participants on one process; waiting
at most 5% of a core for the whole room.

Run: .venv/bin/python -m benchmarks.bench_capacity   (ROOMS=20,40,60 to choose the sizes)
"""

from __future__ import annotations

import asyncio
import os
import random
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psutil

from healthcheck.core.questionnaire import find_questionnaire, load_questionnaire
from healthcheck.store import Store
from healthcheck.store import workshops as ws

from .common import report

ROOT = Path(__file__).resolve().parent.parent
TESTS = ROOT / "tests"
if str(TESTS) not in sys.path:
    sys.path.insert(0, str(TESTS))

from browser import streamlit_server  # noqa: E402
from stclient import Tab  # noqa: E402

ORGS = [("Harbour Music", "music"), ("City Children's Services", "childrens_services"),
        ("Virtual School", "virtual_school")]
JOIN_WINDOW, SEND_WINDOW, WAIT_SECONDS = 5.0, 10.0, 9.0
TAP_GAP = (0.2, 1.0)
SEND_P95_LIMIT, CONSOLE_LAG_LIMIT = 1.0, 3.0


@dataclass
class Room:
    size: int
    cpu: dict[str, float]  # server CPU seconds per phase, whole room
    taps: int  # answer taps in the answer phase
    send_p50: float
    send_p95: float
    console_lag: float
    rig_cpu: float  # the rig's own CPU seconds, whole run
    errors: list[str]

    def per(self, phase: str) -> float:
        """Server CPU seconds per participant (per tap for "answer")."""
        return self.cpu[phase] / (self.taps if phase == "answer" else self.size)

    @property
    def waiting_share(self) -> float:
        """The whole waiting room's share of one core."""
        return self.cpu["wait"] / WAIT_SECONDS

    @property
    def held(self) -> bool:
        return not self.errors and self.send_p95 <= SEND_P95_LIMIT and self.console_lag <= CONSOLE_LAG_LIMIT


def _server_cpu(port: int) -> psutil.Process:
    for proc in psutil.process_iter(["cmdline"]):
        cmd = proc.info["cmdline"] or []
        if "streamlit" in " ".join(cmd) and str(port) in cmd:
            return proc
    raise RuntimeError(f"no server process on port {port}")


def _cpu(proc: psutil.Process) -> float:
    t = proc.cpu_times()
    return float(t.user + t.system)


@dataclass
class _Shared:
    """What the phones of one room report to the conductor."""

    answer: asyncio.Event
    send: asyncio.Event
    joined: int = 0
    answered: int = 0
    out: int = 0  # phones that gave up (their error is in `errors`)


async def _phone(base: str, code: str, rng: random.Random, room: _Shared, sends: list[float],
                 errors: list[str]) -> Tab | None:
    await asyncio.sleep(rng.uniform(0, JOIN_WINDOW))
    try:
        tab = await Tab.open(base, f"join={code}")
    except Exception as exc:  # noqa: BLE001 - counted and reported, the room goes on
        errors.append(f"join: {exc!r}")
        room.out += 1
        return None
    room.joined += 1
    await room.answer.wait()
    try:
        org = tab.find("selectbox", "organisation")
        await tab.choose(org, rng.choice(org.options))
        for radio in [w for w in tab.widgets if w.kind == "radio"]:
            await asyncio.sleep(rng.uniform(*TAP_GAP))
            await tab.choose(tab.find("radio", radio.label), rng.choice(radio.options))
        room.answered += 1
        await room.send.wait()
        await asyncio.sleep(rng.uniform(0, SEND_WINDOW))
        sends.append(await tab.click(tab.find("button", "Send")))
        if tab.exceptions:
            errors.append(f"page error: {tab.exceptions[0]}")
    except Exception as exc:  # noqa: BLE001
        errors.append(f"answer/send: {exc!r}")
        room.out += 1
    return tab


async def _until(check: Any, timeout: float = 120.0) -> bool:
    """Wait for a condition of the room (polled every 20 ms); False when it never came."""
    deadline = time.perf_counter() + timeout
    while not check():
        if time.perf_counter() > deadline:
            return False
        await asyncio.sleep(0.02)
    return True


async def _room(base: str, code: str, token: str, size: int, server: psutil.Process, seed: int) -> Room:
    rig = psutil.Process()
    rig_start = _cpu(rig)
    console = await Tab.open(base, f"facilitate={token}")
    room = _Shared(asyncio.Event(), asyncio.Event())
    sends: list[float] = []
    errors: list[str] = []
    cpu: dict[str, float] = {}
    start = _cpu(server)
    phones = [asyncio.create_task(_phone(base, code, random.Random(seed * 1000 + i), room, sends, errors))
              for i in range(size)]
    if not await _until(lambda: room.joined + room.out >= size):
        errors.append(f"only {room.joined} of {size} joined in 2 minutes")
    cpu["join"] = _cpu(server) - start
    start = _cpu(server)
    room.answer.set()
    if not await _until(lambda: room.answered + room.out >= size, timeout=600):
        errors.append(f"only {room.answered} of {size} finished answering in 10 minutes")
    cpu["answer"] = _cpu(server) - start
    taps = room.answered * 21
    start = _cpu(server)
    room.send.set()
    tabs = [t for t in await asyncio.gather(*phones) if t is not None]
    last_send = time.perf_counter()
    cpu["send"] = _cpu(server) - start
    if not await _until(lambda: console.metrics.get("Answers sent") == str(len(sends)), timeout=30):
        errors.append("the console never showed every answer")
    lag = time.perf_counter() - last_send
    start = _cpu(server)
    await asyncio.sleep(WAIT_SECONDS)  # the waiting room: only the pages' own fragment clocks run
    cpu["wait"] = _cpu(server) - start
    for tab in [*tabs, console]:
        await tab.close()
    sends.sort()
    if len(sends) < size:
        errors.append(f"{size - len(sends)} of {size} answers not sent")
    return Room(size, cpu, max(taps, 1), statistics.median(sends) if sends else float("inf"),
                sends[max(0, -(-95 * len(sends) // 100) - 1)] if sends else float("inf"), lag,
                _cpu(rig) - rig_start, errors)


def _pin() -> tuple[set[int], set[int]]:
    cores = sorted(os.sched_getaffinity(0))
    if len(cores) < 2:
        return set(cores), set(cores)
    return {cores[0]}, {cores[1]}


def run_room(size: int, seed: int = 7) -> Room:
    q = load_questionnaire(find_questionnaire("pulse"))
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'capacity.db'}"
        with Store(url) as store:
            p, _ = store.create_partnership("Capacity", "pulse", 3, ORGS)
            w, token = ws.create_workshop(store, p.id, f"Room of {size}", questionnaire=q)
        with streamlit_server(url, Path(tmp) / "server.log") as base:
            server = _server_cpu(int(base.rsplit(":", 1)[1]))
            server_cores, rig_cores = _pin()
            server.cpu_affinity(sorted(server_cores))
            os.sched_setaffinity(0, rig_cores)
            return asyncio.run(_room(base, w.join_code, token, size, server, seed))


def main() -> bool:
    sizes = [int(s) for s in os.environ.get("ROOMS", "20,40,60,80,100,120").split(",")]
    one = run_room(1)
    print(f"capacity: a room of one: join {one.per('join') * 1000:.0f} ms CPU, a tap "
          f"{one.per('answer') * 1000:.1f} ms, Send {one.per('send') * 1000:.1f} ms (latency "
          f"{one.send_p50 * 1000:.0f} ms), waiting {one.waiting_share:.2%} of a core")
    largest, ok = 0, True
    for size in sizes:
        room = run_room(size)
        print(f"capacity: room of {size}: server CPU per phone: join {room.per('join') * 1000:.0f} ms, tap "
              f"{room.per('answer') * 1000:.1f} ms, Send {room.per('send') * 1000:.1f} ms; waiting room "
              f"{room.waiting_share:.2%} of a core; Send p50/p95 {room.send_p50:.3f}/{room.send_p95:.3f} s; "
              f"console lag {room.console_lag:.2f} s; rig CPU {room.rig_cpu:.1f} s"
              + (f"; problems: {room.errors[:3]}" if room.errors else ""))
        report(f"capacity: room of {size}, Send p95 vs one phone alone", room.send_p95, one.send_p95,
               target_seconds=SEND_P95_LIMIT)
        report(f"capacity: room of {size}, CPU per tap vs one phone alone", room.per("answer"),
               one.per("answer"))
        if size == 60:
            ok &= report("capacity: room of 60, waiting room's share of a core vs the 5% target",
                         room.waiting_share, 0.05, target_ratio=1.0, unit="core")
        if not room.held:
            break
        largest = size
    ok &= report("capacity: largest room held vs the target of 60", 60, max(largest, 1e-9),
                 target_ratio=1.0, unit="phones")
    print(f"capacity: the largest room one process held: {largest} phones "
          f"(Send p95 <= {SEND_P95_LIMIT} s, console <= {CONSOLE_LAG_LIMIT} s)")
    return ok


if __name__ == "__main__":
    sys.exit(0 if main() else 1)
