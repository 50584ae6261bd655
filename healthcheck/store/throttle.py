"""Slowing down wrong codes: workshop join codes typed by visitors, share codes typed by funders.

Wrong codes are counted in the store (`models.JoinFailure`), so a new session, tab or process does
not start afresh. Each kind of code is a *scope* ("join", "share"): the per-client count and the
app-wide cap look only at their own scope, so a funder mistyping share codes never makes workshop
participants wait. Nothing here imports Streamlit.
"""

from __future__ import annotations

import hashlib
import ipaddress
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

# A room behind one venue network shares an address: 10 mistakes in 10 minutes are free for it.
FREE = 10
CAP_SECONDS = 60.0
WINDOW = timedelta(minutes=10)
# Rotating addresses does not help either: more wrong codes than this in a minute, app-wide (per
# scope), and everybody waits. Guessing one of ~887 million join codes at this rate takes years.
GLOBAL_PER_MINUTE = 100
# pg_advisory_xact_lock key that serialises attempts ("hcjoin" in ASCII).
_LOCK_KEY = 0x68636A6F696E


def client_key(address: str | None, scope: str = JOIN) -> str:
    """A coarse, hashed key for where a visitor connects from: the IPv4 /24 or IPv6 /64 network
    (one person easily gets many addresses within it). No address: the scope's shared bucket.
    Only the hash is stored, never the address."""
    if not isinstance(address, str) or not address.strip():
        return f"{scope}:global"
    raw = address.strip().lower()
    try:
        ip = ipaddress.ip_address(raw.split("%", 1)[0])
    except ValueError:
        network = raw[:100]
    else:
        if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
            ip = ip.ipv4_mapped
        prefix = 24 if ip.version == 4 else 64
        network = str(ipaddress.ip_network(f"{ip}/{prefix}", strict=False))
    return f"{scope}:" + hashlib.sha256(f"{scope}:{network}".encode()).hexdigest()[:32]


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
    """Wrong codes, counted in the store per client key (`client_key`, `funder_key`) and per scope.

    Per client: `free` wrong codes within `window` cost nothing; after that each try must wait
    2**(n - free) seconds after the last wrong code (1, 2, 4, ... capped at `cap`). Wrong codes
    older than `window` are forgotten, so the throttle wears off by itself. Per scope: more than
    `global_per_minute` wrong codes in the last minute make everyone wait until the count drops.
    A right code does not wipe earlier wrong ones (an attacker who knows one code could reset
    the count with it); they simply expire. `clock` tells the time (default `current_time`)."""

    def __init__(self, store: Database, client: str = f"{JOIN}:global", *, free: int = FREE,
                 cap: float = CAP_SECONDS, window: timedelta = WINDOW,
                 global_per_minute: int = GLOBAL_PER_MINUTE,
                 clock: Callable[[], datetime] = _late_time) -> None:
        self.store = store
        self.client = client[:MAX_CLIENT_KEY]
        self.scope = self.client.split(":", 1)[0]
        self.free, self.cap, self.window = free, cap, window
        self.global_per_minute = global_per_minute
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
        wait = 0.0
        count, last = int(mine[0] or 0), mine[1]
        if count >= self.free and last is not None:
            last = last if last.tzinfo else last.replace(tzinfo=UTC)
            wait = (last - now).total_seconds() + self.delay(count)
        minute = now - timedelta(minutes=1)
        recent = s.scalars(select(JoinFailure.failed_at)
                           .where(JoinFailure.failed_at > minute,
                                  JoinFailure.client_key.startswith(f"{self.scope}:", autoescape=True))
                           .order_by(JoinFailure.failed_at.desc()).limit(self.global_per_minute)).all()
        if len(recent) >= self.global_per_minute:
            oldest = recent[-1] if recent[-1].tzinfo else recent[-1].replace(tzinfo=UTC)
            wait = max(wait, (oldest - minute).total_seconds())
        return max(0.0, wait)

    def wait_left(self) -> float:
        """Seconds until this client may try a code (0 when it may now). Read only."""
        with self.store.reading() as s:
            return self._wait(s, self.clock())

    def message(self) -> str | None:
        left = self.wait_left()
        return throttle_message(left) if left > 0 else None

    def begin(self) -> Attempt:
        """May this client try a code now? If so the try is counted as wrong until `succeeded`.

        One transaction, serialised across sessions and processes (SQLite's BEGIN IMMEDIATE, a
        PostgreSQL advisory lock), so a burst of parallel guesses is counted one by one."""
        with self.store.writing() as s:
            if self.store.backend == "postgresql":
                s.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _LOCK_KEY})
            now = self.clock()
            s.execute(delete(JoinFailure).where(JoinFailure.failed_at <= now - max(self.window,
                                                                                  timedelta(minutes=1))))
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
