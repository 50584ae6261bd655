"""The wrong-code throttle (`healthcheck.store.throttle`), on both databases: back-off, expiry,
per-client counting with no app-wide cap (nobody else's guessing makes a client wait, issue 14),
separate scopes for join and share codes, share codes typed by a funder, and the app-wide count
behind the facilitator console's guessing-storm notice."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from healthcheck.core.errors import InputError
from healthcheck.store import JoinFailure, Store, sharing
from healthcheck.store import throttle as th
from healthcheck.ui.common import plain

from ..ui.test_sharing_app import _redeem


def test_readme_states_the_real_code_space() -> None:
    """The README's bound on guessing is computed from the alphabet and length the code uses."""
    from pathlib import Path

    from healthcheck.core.workshop import CODE_ALPHABET, CODE_LENGTH

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    space = len(CODE_ALPHABET) ** CODE_LENGTH
    assert f"{len(CODE_ALPHABET)}^{CODE_LENGTH} = {space:,} codes" in readme
    assert f"{len(CODE_ALPHABET)}-character alphabet" in readme and f"{CODE_LENGTH} characters" in readme
    assert "no app-wide cap" in readme


def test_session_key_funder_key_and_message() -> None:
    one = th.session_key("0123456789abcdef")
    assert one == th.session_key("0123456789abcdef") and one.startswith("join:s-")
    assert one != th.session_key("fedcba9876543210")  # each browser session is its own client
    assert "0123456789abcdef" not in one  # hashed: the table never holds a page's own id
    assert th.session_key("0123456789abcdef", th.SHARE).startswith("share:")
    assert th.session_key("0123456789abcdef", th.SHARE)[8:] != one[7:]  # scopes do not share a hash
    assert len(one) <= 64
    assert not hasattr(th, "client_key")  # nothing is counted per network address any more
    assert th.funder_key(7) == "share:funder-7"
    assert th.throttle_message(0.2) == "Too many wrong codes. Please wait 1 second and try again."
    assert th.throttle_message(59.5) == "Too many wrong codes. Please wait 60 seconds and try again."


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def tick(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


def _throttle(store: Store, clock: Clock, client: str = "join:room", **kw: Any) -> th.Throttle:
    return th.Throttle(store, client, clock=clock, **kw)


def _wrong_codes(store: Store, client: str) -> int:
    with store.reading() as s:
        return int(s.scalar(select(func.count()).select_from(JoinFailure)
                            .where(JoinFailure.client_key == client)) or 0)


def test_throttle_backs_off_expires_and_lets_right_codes_in(store: Store) -> None:
    clock = Clock()
    t = _throttle(store, clock, free=3)
    for _ in range(3):  # three wrong codes are free
        assert t.begin().allowed
    refused = t.begin()
    assert not refused.allowed and refused.wait == 1
    assert refused.message() == "Too many wrong codes. Please wait 1 second and try again."
    clock.tick(1)
    assert t.begin().allowed  # the 4th wrong code: now 2 s
    assert t.wait_left() == 2 and t.message() == "Too many wrong codes. Please wait 2 seconds and try again."
    clock.tick(1.5)
    assert t.message() == "Too many wrong codes. Please wait 1 second and try again."
    for n in range(5, 12):
        clock.tick(t.wait_left())
        assert t.begin().allowed
        assert t.wait_left() == min(2 ** (n - 3), th.CAP_SECONDS)
    assert t.wait_left() == 60  # capped
    # a legitimate user after the wait: the right code works and is not counted as wrong
    clock.tick(60)
    counted = _wrong_codes(store, t.client)
    right = t.begin()
    assert right.allowed and _wrong_codes(store, t.client) == counted + 1  # counted while checked
    t.succeeded(right)
    assert _wrong_codes(store, t.client) == counted
    # the throttle wears off: wrong codes older than the window are forgotten
    clock.tick(th.WINDOW.total_seconds() + 1)
    assert t.wait_left() == 0
    for _ in range(3):
        assert t.begin().allowed
    with store.reading() as s:  # old rows were pruned, so the table cannot grow forever
        assert s.scalar(select(func.count()).select_from(JoinFailure)) == 3


def test_throttle_is_shared_by_processes_and_clients_are_separate(store: Store, db_url: str) -> None:
    clock = Clock()
    other = Store(db_url)  # another process's store on the same database
    try:
        for _ in range(3):
            assert _throttle(store, clock, free=3).begin().allowed
        assert not _throttle(other, clock, free=3).begin().allowed  # the same client, another process
        assert _throttle(other, clock, "join:elsewhere", free=3).begin().allowed  # another session
    finally:
        other.close()


def test_nobody_elses_wrong_codes_make_a_client_wait(store: Store) -> None:
    """Issue 14: wrong codes used to be capped app-wide (100 a minute made everyone wait) and
    counted per network (one venue Wi-Fi). Now a client waits only for its own wrong codes:
    one session guessing hard, and hundreds of sessions guessing once each, leave a fresh
    session free to try at once."""
    clock = Clock()
    greedy = _throttle(store, clock, "join:s-greedy")
    for _ in range(th.FREE):
        assert greedy.begin().allowed
    for _ in range(8):  # the greedy session keeps going as soon as it may
        clock.tick(greedy.wait_left())
        assert greedy.begin().allowed
    assert greedy.wait_left() > 0 and not greedy.begin().allowed
    for n in range(300):  # a guess from each of 300 new sessions, all within a minute
        assert _throttle(store, clock, f"join:s-{n}").begin().allowed
        clock.tick(0.1)
    assert th.recent_wrong_codes(store, clock=clock) == 300 + th.FREE + 8  # all within the window
    fresh = _throttle(store, clock, "join:s-participant")
    assert fresh.wait_left() == 0
    right = fresh.begin()
    assert right.allowed and right.wait == 0
    fresh.succeeded(right)
    assert _wrong_codes(store, fresh.client) == 0


def test_parallel_guesses_are_counted_one_by_one(store: Store) -> None:
    clock = Clock()
    results: list[bool] = []
    lock = threading.Lock()
    start = threading.Barrier(8)

    def guess() -> None:
        start.wait()
        allowed = _throttle(store, clock, free=3).begin().allowed
        with lock:
            results.append(allowed)

    threads = [threading.Thread(target=guess) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert sorted(results) == [False] * 5 + [True] * 3


def test_scopes_and_funders_are_separate(store: Store) -> None:
    """A funder mistyping share codes never makes workshop participants or another funder wait,
    and the reverse."""
    clock = Clock()
    for n in range(50):  # 50 funders, each at the end of its free wrong codes
        for _ in range(3):
            assert _throttle(store, clock, th.funder_key(n), free=3).begin().allowed
        assert not _throttle(store, clock, th.funder_key(n), free=3).begin().allowed
    assert _throttle(store, clock, th.funder_key(99), free=3).begin().allowed
    assert _throttle(store, clock, "join:s-room", free=3).begin().allowed
    for _ in range(3):
        assert _throttle(store, clock, "join:s-hall", free=3).begin().allowed
    assert not _throttle(store, clock, "join:s-hall", free=3).begin().allowed
    assert _throttle(store, clock, th.funder_key(100), free=3).begin().allowed
    assert th.recent_wrong_codes(store, th.SHARE, clock=clock) == 50 * 3 + 2
    assert th.recent_wrong_codes(store, clock=clock) == 1 + 3


def test_recent_wrong_codes_counts_the_window_only(store: Store) -> None:
    clock = Clock()
    for n in range(5):
        assert _throttle(store, clock, f"join:s-{n}").begin().allowed
    clock.tick(th.WINDOW.total_seconds() - 1)
    assert th.recent_wrong_codes(store, clock=clock) == 5
    attempt = _throttle(store, clock, "join:s-right").begin()
    assert th.recent_wrong_codes(store, clock=clock) == 6  # counted while it is being checked
    _throttle(store, clock, "join:s-right").succeeded(attempt)
    assert th.recent_wrong_codes(store, clock=clock) == 5  # a right code is not a wrong one
    clock.tick(2)
    assert th.recent_wrong_codes(store, clock=clock) == 0


# ----------------------------------------------------------------------------- share codes


@pytest.fixture
def shared_round(store: Store) -> Any:
    p, _ = store.create_partnership("Harbour + City", "pulse", 3, [("Harbour Music", "music")])
    r, _ = store.open_round(p.id, "Spring", "pulse", "1")
    return r


def test_wrong_share_codes_are_throttled_per_funder(store: Store, shared_round: Any) -> None:
    clock = Clock()
    fund, _ = sharing.create_funder(store, "Fund A")
    other, _ = sharing.create_funder(store, "Fund B")
    t = _throttle(store, clock, th.funder_key(fund.id), free=3)
    code = sharing.create_share_code(store, shared_round.id)
    for bad in ("", "nonsense", "ABCD-EFGH") * 3:  # not shaped like a code: refused, never counted
        with pytest.raises(InputError, match="does not work"):
            sharing.redeem_share_code(store, fund.id, bad, throttle=t)
    assert t.wait_left() == 0
    for _ in range(3):  # well-formed wrong codes: the first three are free
        with pytest.raises(InputError, match="does not work"):
            sharing.redeem_share_code(store, fund.id, "ABCD-EFGH-JKMN", throttle=t)
    with pytest.raises(InputError) as refused:  # now even the right code waits
        sharing.redeem_share_code(store, fund.id, code, throttle=t)
    assert refused.value.problems[0].message == "Too many wrong codes. Please wait 1 second and try again."
    assert sharing.shared_rounds(store, fund.id) == []  # and the code was not used up
    # another funder is not slowed down by this one
    assert sharing.redeem_share_code(store, other.id, sharing.create_share_code(store, shared_round.id),
                                     throttle=_throttle(store, clock, th.funder_key(other.id), free=3))
    clock.tick(1)
    assert sharing.redeem_share_code(store, fund.id, code, throttle=t).round.id == shared_round.id
    assert _wrong_codes(store, t.client) == 3  # the right code was not counted; the refused try neither


def test_funder_page_shows_the_wait_plainly(db: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    """Typing wrong share codes into the portfolio page: a plain message, then the wait."""
    frozen = datetime.now(UTC)  # the clock stands still: a slow run cannot let the wait pass
    monkeypatch.setattr(th, "current_time", lambda: frozen)
    fund, token = sharing.create_funder(db, "Fund A")
    for _ in range(2):
        at = _redeem(token, "ABCD-EFGH-JKMN")
        assert [e.value for e in at.error] == [plain(sharing.BAD_CODE)]
    with db.writing() as s:  # the rest of the free ones and three more, just now: an 8 s wait
        s.add_all(JoinFailure(client_key=th.funder_key(fund.id), failed_at=frozen)
                  for _ in range(th.FREE + 1))
    at = _redeem(token, "ABCD-EFGH-JKMN")
    [shown] = [e.value for e in at.error]
    assert shown in {plain(th.throttle_message(n)) for n in range(1, 9)}, shown
    assert "Traceback" not in str(at)
