"""Slowing down wrong codes: workshop join codes typed by visitors, share codes typed by funders.

Wrong codes are counted in the store (`models.JoinFailure`) per *client*: a browser session for
join codes (`session_key`, an id the page keeps in its session, so a rerun cannot reset it) and a
funder for share codes (`funder_key`). Nothing is counted per network address and there is no
app-wide cap: a stranger guessing, on the same venue Wi-Fi or anywhere else, never makes a real
participant (or another funder) wait. Guessing join codes is bounded instead by the code space
(31**6, about 887 million codes), a workshop's short life, these per-session limits, and the
facilitator console's notice when many wrong codes arrive (`recent_wrong_codes`). A join link or QR
scan of an open workshop never comes here at all. Each kind of code is a *scope* ("join",
"share"). Nothing here imports Streamlit.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, select, text

from healthcheck.store.db import Database, now
from healthcheck.store.models import MAX_CLIENT_KEY, JoinFailure

JOIN = "join"
SHARE = "share"

# Per client: 10 mistakes in 10 minutes are free, then each try waits 1, 2, 4 ... up to 60 s.
FREE = 10
CAP_SECONDS = 60.0
WINDOW = timedelta(minutes=10)
# This many wrong join codes across the app within WINDOW, and the facilitator console says a
# guessing storm is going on (a full room mistyping makes a few dozen at most).
STORM = 100
# pg_advisory_xact_lock namespace ("hcjo" in ASCII); the second key is the client's hash, so
# attempts are serialised per client and one client's burst never queues another's.
_LOCK_NAMESPACE = 0x68636A6F


def session_key(session_id: str, scope: str = JOIN) -> str:
    """The key of one browser session (`session_id` is a random id the page keeps in its session
    state). Hashed, so the table never holds an id a page uses."""
    return f"{scope}:s-" + hashlib.sha256(f"{scope}:{session_id}".encode()).hexdigest()[:32]


def funder_key(funder_id: int) -> str:
    """Share codes are typed behind a funder's own link: that funder is the client."""
    return f"{SHARE}:funder-{int(funder_id)}"


def throttle_message(seconds: float) -> str:
    n = max(1, math.ceil(seconds))
    return f"Too many wrong codes. Please wait {n} second{'s' if n != 1 else ''} and try again."


@dataclass(frozen=True)
class Attempt:
    """The answer to "may this client try a code now?". When allowed, the attempt is already
    counted as a wrong code (so parallel guesses cannot slip past the count); a right code takes
    it back with `Throttle.succeeded`."""

    allowed: bool
    wait: float = 0.0
    attempt_id: int | None = None

    def message(self) -> str | None:
        return None if self.allowed else throttle_message(self.wait)


def current_time() -> datetime:
    """The time throttles go by. Pages never pass a clock, so a test moves time on for the whole
    app path by replacing this function (no test waits for a real back-off to pass)."""
    return now()


def _late_time() -> datetime:
    return current_time()  # looked up at each call, so a replacement takes effect


class Throttle:
    """Wrong codes, counted in the store per client key (`session_key`, `funder_key`).

    `free` wrong codes within `window` cost nothing; after that each try must wait
    2**(n - free) seconds after the last wrong code (1, 2, 4, ... capped at `cap`). Wrong codes
    older than `window` are forgotten, so the throttle wears off by itself. Only the client's own
    wrong codes count: nobody else's guessing ever makes it wait. A right code does not wipe
    earlier wrong ones (an attacker who knows one code could reset the count with it); they
    simply expire. `clock` tells the time (default `current_time`)."""

    def __init__(self, store: Database, client: str, *, free: int = FREE, cap: float = CAP_SECONDS,
                 window: timedelta = WINDOW, clock: Callable[[], datetime] = _late_time) -> None:
        self.store = store
        self.client = client[:MAX_CLIENT_KEY]
        self.scope = self.client.split(":", 1)[0]
        self.free, self.cap, self.window = free, cap, window
        self.clock = clock

    def delay(self, failures: int) -> float:
        """The wait imposed after `failures` wrong codes (0 while still free)."""
        if failures < self.free:
            return 0.0
        return float(min(2.0 ** (failures - self.free), self.cap))

    def _wait(self, s: Any, now: datetime) -> float:
        since = now - self.window
        mine = s.execute(select(func.count(), func.max(JoinFailure.failed_at))
                         .where(JoinFailure.client_key == self.client, JoinFailure.failed_at > since)).one()
        count, last = int(mine[0] or 0), mine[1]
        if count < self.free or last is None:
            return 0.0
        last = last if last.tzinfo else last.replace(tzinfo=UTC)
        return max(0.0, (last - now).total_seconds() + self.delay(count))

    def wait_left(self) -> float:
        """Seconds until this client may try a code (0 when it may now). Read only."""
        with self.store.reading() as s:
            return self._wait(s, self.clock())

    def message(self) -> str | None:
        left = self.wait_left()
        return throttle_message(left) if left > 0 else None

    def begin(self) -> Attempt:
        """May this client try a code now? If so the try is counted as wrong until `succeeded`.

        One transaction, serialised per client across sessions and processes (SQLite's BEGIN
        IMMEDIATE, a PostgreSQL advisory lock on the client), so a burst of parallel guesses from
        one client is counted one by one."""
        with self.store.writing() as s:
            if self.store.backend == "postgresql":
                s.execute(text("SELECT pg_advisory_xact_lock(CAST(:ns AS integer), hashtext(:client))"),
                          {"ns": _LOCK_NAMESPACE, "client": self.client})
            now = self.clock()
            s.execute(delete(JoinFailure).where(JoinFailure.failed_at <= now - self.window))
            wait = self._wait(s, now)
            if wait > 0:
                return Attempt(False, wait)
            row = JoinFailure(client_key=self.client, failed_at=now)
            s.add(row)
            s.flush()
            return Attempt(True, 0.0, row.id)

    def succeeded(self, attempt: Attempt) -> None:
        """The code was right: this attempt was not a wrong code after all."""
        if attempt.attempt_id is None:
            return
        with self.store.writing() as s:
            s.execute(delete(JoinFailure).where(JoinFailure.id == attempt.attempt_id))


def recent_wrong_codes(store: Database, scope: str = JOIN, within: timedelta = WINDOW,
                       clock: Callable[[], datetime] = _late_time) -> int:
    """How many wrong codes of one kind were tried across the whole app within `within` (a count
    only: the store holds no address). For the facilitator console's guessing-storm notice."""
    since = clock() - within
    with store.reading() as s:
        return int(s.scalar(select(func.count()).select_from(JoinFailure)
                            .where(JoinFailure.failed_at > since,
                                   JoinFailure.client_key.startswith(f"{scope}:", autoescape=True))) or 0)
