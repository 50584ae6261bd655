"""Faults and concurrency, on SQLite and on a real PostgreSQL (see conftest.py).

- kill -9 of a process in the middle of a large import: afterwards no half-import, the earlier
  data and the schema intact, the same import succeeds again;
- kill -9 in the middle of a burst of workshop submissions: every answer the child had been
  told was stored is stored exactly once, and the round still takes answers;
- 20 imports at once (some colliding on the same round and keys): each whole, or refused with a
  plain message; 0 lost, 0 duplicated;
- the same workshop submissions sent from several processes at once: stored once each;
- an unreachable database: every kind of page says so plainly (no traceback, no generic error).

The children are real processes (tests/faultkit.py) killed with SIGKILL: no mocks, no fake
database. Kills are timed by markers the child prints, never by sleeping.
"""

from __future__ import annotations

import json
import os
import queue
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, inspect, text

from healthcheck.core.errors import InputError
from healthcheck.core.workshop import items_for
from healthcheck.store import Store, normalise_url
from healthcheck.store import workshops as ws

from ..apptest import app
from ..browser import free_port
from ..faultkit import ORGS, Q1, records

ROOT = Path(__file__).resolve().parents[2]
TABLES = {"partnerships", "organisations", "rounds", "responses", "action_items", "partner_team_notes",
          "workshops", "workshop_participants", "alembic_version"}


class Child:
    """A tests.faultkit child process; its stdout lines are collected by a reader thread."""

    def __init__(self, command: str, args: dict[str, Any], log: Path) -> None:
        env = dict(os.environ, PYTHONPATH=str(ROOT), PYTHONUNBUFFERED="1")
        self.log = log
        self._err = open(log, "wb")  # noqa: SIM115 - closed in wait()
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "tests.faultkit", command, json.dumps(args)], cwd=str(ROOT), env=env,
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self._err, text=True)
        self.lines: list[str] = []
        self._queue: queue.Queue[str | None] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            if line.endswith("\n"):  # a line cut short by the kill is not an acknowledgement
                self._queue.put(line.rstrip("\n"))
        self._queue.put(None)

    def wait_for(self, done: Callable[[list[str]], bool], timeout: float = 60.0) -> None:
        """Collect lines until `done(lines)`; fails if the child ends or takes too long first."""
        deadline = time.monotonic() + timeout
        while not done(self.lines):
            try:
                line = self._queue.get(timeout=max(0.01, deadline - time.monotonic()))
            except queue.Empty:
                pytest.fail(f"child timed out; output {self.lines[-5:]}; log:\n{self._stderr()}")
            if line is None:
                pytest.fail(f"child ended early; output {self.lines[-5:]}; log:\n{self._stderr()}")
            self.lines.append(line)

    def kill(self) -> None:
        os.kill(self.proc.pid, signal.SIGKILL)
        assert self.wait() == -signal.SIGKILL

    def wait(self, timeout: float = 120.0) -> int:
        code = self.proc.wait(timeout=timeout)
        # Everything the child wrote before it died is still in the pipe: read it all.
        while (line := self._queue.get(timeout=10)) is not None:
            self.lines.append(line)
        self._err.close()
        return code

    def send(self, line: str) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(line + "\n")
        self.proc.stdin.flush()

    def _stderr(self) -> str:
        self._err.flush()
        return self.log.read_text(errors="replace")[-3000:]


def _scalar(url: str, sql: str, **params: Any) -> Any:
    engine = create_engine(normalise_url(url))
    try:
        with engine.connect() as conn:
            return conn.execute(text(sql), params).scalar()
    finally:
        engine.dispose()


def _keys(url: str, round_id: int) -> list[str]:
    engine = create_engine(normalise_url(url))
    try:
        with engine.connect() as conn:
            return list(conn.execute(text("SELECT submission_key FROM responses WHERE round_id = :r"),
                                     {"r": round_id}).scalars())
    finally:
        engine.dispose()


def _check_consistent(url: str) -> None:
    """Schema complete and at the newest migration; for SQLite, the file passes its own checks."""
    engine = create_engine(normalise_url(url))
    try:
        assert set(inspect(engine).get_table_names()) >= TABLES
        with engine.connect() as conn:
            if engine.dialect.name == "sqlite":
                assert conn.exec_driver_sql("PRAGMA integrity_check").scalar() == "ok"
                assert conn.exec_driver_sql("PRAGMA foreign_key_check").all() == []
            version = conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
    finally:
        engine.dispose()
    from alembic.script import ScriptDirectory

    from healthcheck.store import alembic_config

    assert version in ScriptDirectory.from_config(alembic_config()).get_heads()


def _in_thread(work: Callable[[], Any], timeout: float = 90.0) -> Any:
    """Run `work` with a time limit, so a lock left behind by a dead process fails the test
    instead of hanging it."""
    result: list[Any] = []
    thread = threading.Thread(target=lambda: result.append(work()), daemon=True)
    thread.start()
    thread.join(timeout)
    assert result, f"still waiting after {timeout} s (a lock left behind by the killed process?)"
    return result[0]


def _partnership(store: Store, questionnaire: str = "core") -> tuple[int, dict[str, int]]:
    p, _ = store.create_partnership("Harbour Music + City CYPS", questionnaire, 3, ORGS)
    return p.id, {o.name: o.id for o in store.organisations(p.id)}


# --------------------------------------------------------------------------------------------
# kill -9 during a large import

BIG = 12_000


@pytest.mark.parametrize("moment", ["mid-write", "between-chunks"])
def test_kill9_during_large_import_leaves_no_half_import(
    db_url: str, tmp_path: Path, moment: str
) -> None:
    with Store(db_url) as store:
        pid, orgs = _partnership(store)
        earlier, _ = store.open_round(pid, "Away day, March", "core", "1")
        target, _ = store.open_round(pid, "Portfolio import", "core", "1")
        store.import_records(earlier.id, records(300, "early"))
        store.submit_response(earlier.id, orgs["City CYPS"], "strategic", None, {Q1: 2}, {}, "by-hand")
        before = store.response_records(earlier.id)

    # "mid-write": killed while the remaining 11 chunks are being written (the child keeps going
    # after the marker); "between-chunks": killed while the child holds the open transaction.
    child = Child("import", {"url": db_url, "round_id": target.id, "n": BIG, "prefix": "big",
                             "mark_at": 1000, "block": moment == "between-chunks"}, tmp_path / "child.log")
    child.wait_for(lambda lines: any(x.startswith("WRITING") for x in lines))
    child.kill()
    assert not any(x.startswith("DONE") for x in child.lines), "the import finished before the kill"

    _check_consistent(db_url)
    with Store(db_url) as store:
        assert store.response_records(target.id) == [], "half an import was stored"
        assert store.response_records(earlier.id) == before
        # The very same file again: nothing of the killed transaction may block or clash with it.
        assert _in_thread(lambda: store.import_records(target.id, records(BIG, "big"))) == BIG
    assert _scalar(db_url, "SELECT count(DISTINCT submission_key) FROM responses WHERE round_id = :r",
                   r=target.id) == BIG
    _check_consistent(db_url)


# --------------------------------------------------------------------------------------------
# kill -9 during a burst of workshop submissions

BURST = 200


def test_kill9_during_submission_burst_keeps_every_acknowledged_answer(db_url: str, tmp_path: Path) -> None:
    with Store(db_url) as store:
        pid, _ = _partnership(store, "pulse")
        workshop, _ = ws.create_workshop(store, pid, "Big room")

    child = Child("burst", {"url": db_url, "workshop_id": workshop.id, "n": BURST, "threads": 8,
                            "prefix": "phone-"}, tmp_path / "child.log")
    child.wait_for(lambda lines: sum(x.startswith("ACK ") for x in lines) >= 30)
    child.kill()
    assert "FINISHED" not in child.lines, "the burst finished before the kill"
    acked = {line.split()[1] for line in child.lines if line.startswith("ACK ")}
    attempted = {f"ws:phone-{i}" for i in range(BURST)}

    _check_consistent(db_url)
    stored = _keys(db_url, workshop.round_id)
    assert [k for k, n in Counter(stored).items() if n > 1] == [], "an answer was stored twice"
    assert {f"ws:{k}" for k in acked} <= set(stored), "an acknowledged answer was lost"
    assert set(stored) <= attempted
    # Submissions in flight at the kill may or may not have committed; never more than were sent.
    assert len(acked) <= len(stored) < BURST

    # The phones that never heard back send again: the round still takes answers, and answers
    # already stored are recognised (not stored twice).
    with Store(db_url) as store:
        w = ws.get_workshop(store, workshop.id)
        assert w is not None and w.is_open
        org = next(iter(o.id for o in store.organisations(pid)))
        q = _pulse()
        answers = {i.id: 3 for i in items_for(w.dimensions, q) if i.type == "likert"}
        again = {i: ws.submit(store, w, org, "operational", answers, f"phone-{i}", q) for i in range(BURST)}
        assert not any(again[int(k.removeprefix("phone-"))] for k in acked)
        assert sum(again.values()) == BURST - len(stored)
        assert ws.submit(store, w, org, "strategic", answers, "latecomer", q) is True
    stored = _keys(db_url, workshop.round_id)
    assert len(stored) == len(set(stored)) == BURST + 1


def _pulse() -> Any:
    from healthcheck.core.questionnaire import find_questionnaire, load_questionnaire

    return load_questionnaire(find_questionnaire("pulse"))


# --------------------------------------------------------------------------------------------
# Concurrency

IMPORTERS = 20
COLLIDERS = 4  # of the 20, these import into one shared round with the same keys
ROWS = 600


def _run_together(n: int, work: Callable[[int], Any]) -> list[Any]:
    """Run work(0..n-1) on n threads released together; exceptions are returned, not raised."""
    barrier = threading.Barrier(n)
    results: list[Any] = [None] * n

    def run(i: int) -> None:
        barrier.wait(timeout=60)
        try:
            results[i] = work(i)
        except Exception as exc:  # noqa: BLE001 - checked by the caller
            results[i] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=180)
    assert not any(t.is_alive() for t in threads), "an import hung"
    return results


def test_twenty_concurrent_imports_none_lost_none_doubled(db_url: str) -> None:
    with Store(db_url) as store:
        pid, _ = _partnership(store)
        own = [store.open_round(pid, f"Grantee {i}", "core", "1")[0].id for i in range(IMPORTERS - COLLIDERS)]
        shared = store.open_round(pid, "Shared", "core", "1")[0].id
        serial_rounds = [store.open_round(pid, f"Serial {i}", "core", "1")[0].id for i in range(IMPORTERS)]
    # Half the importers share one Store (one pool), half have their own engine, like separate
    # app processes. The colliders send the same keys; one of them in reverse order, which on
    # PostgreSQL makes the two transactions wait for each other's rows (a deadlock unless handled).
    stores = [Store(db_url, migrate=False) for _ in range(IMPORTERS // 2)]
    main = Store(db_url, migrate=False)
    batches = [records(ROWS, f"own{i}") for i in range(IMPORTERS - COLLIDERS)]
    collide = records(ROWS, "shared")
    batches += [collide, list(reversed(collide))] + [collide] * (COLLIDERS - 2)
    targets = own + [shared] * COLLIDERS
    try:
        started = time.monotonic()
        results = _run_together(IMPORTERS, lambda i: (stores[i // 2] if i % 2 else main).import_records(
            targets[i], batches[i]))
        concurrent = time.monotonic() - started
        started = time.monotonic()
        for i in range(IMPORTERS):
            main.import_records(serial_rounds[i], batches[i] if i < len(own) else records(ROWS, f"s{i}"))
        serial = time.monotonic() - started
    finally:
        for s in [*stores, main]:
            s.close()
    print(f"\n{main.backend}: {IMPORTERS} concurrent imports of {ROWS} rows: {concurrent:.2f} s; "
          f"one after another: {serial:.2f} s (ratio {concurrent / serial:.2f})")

    unexpected = [r for r in results if not isinstance(r, int | InputError)]
    assert unexpected == [], unexpected[:3]
    assert results[:len(own)] == [ROWS] * len(own)
    colliders = results[len(own):]
    assert colliders.count(ROWS) == 1, colliders
    for refused in (r for r in colliders if isinstance(r, InputError)):
        assert [p.message for p in refused.problems] == [
            "Some of these records were imported before (same submission key); nothing was imported."]
    for i, round_id in enumerate(own):
        keys = _keys(db_url, round_id)
        assert sorted(keys) == sorted(f"own{i}:{n}" for n in range(ROWS))
    keys = _keys(db_url, shared)
    assert sorted(keys) == sorted(f"shared:{n}" for n in range(ROWS))
    assert _scalar(db_url, "SELECT count(*) FROM responses") == ROWS * (IMPORTERS - COLLIDERS + 1 + IMPORTERS)


def test_same_submissions_from_several_processes_stored_once(db_url: str, tmp_path: Path) -> None:
    with Store(db_url) as store:
        pid, _ = _partnership(store, "pulse")
        workshop, _ = ws.create_workshop(store, pid, "Double taps")
    keys = [f"tap-{i}" for i in range(40)]
    processes = 3
    child = Child("same-keys", {"url": db_url, "workshop_id": workshop.id, "keys": keys, "threads": 4,
                                "processes": processes}, tmp_path / "child.log")
    child.wait_for(lambda lines: sum(x.startswith("READY") for x in lines) == processes)
    child.send("x" * (processes - 1))  # + the newline: one byte each, all released together
    assert child.wait() == 0, child._stderr()
    assert sum(x.startswith("FINISHED") for x in child.lines) == processes
    stored_by: dict[str, list[int]] = {}
    for line in child.lines:
        if line.startswith("ACK "):
            _, key, stored, _pid = line.split()
            stored_by.setdefault(key, []).append(int(stored))
    assert sorted(stored_by) == sorted(keys)
    # Each key: every process was answered, exactly one of them was told "stored".
    assert all(sorted(v) == [0] * (processes - 1) + [1] for v in stored_by.values()), stored_by
    assert sorted(_keys(db_url, workshop.round_id)) == sorted(f"ws:{k}" for k in keys)


# --------------------------------------------------------------------------------------------
# An unreachable database, as the app shows it (AppTest; the real restart is in
# test_outage_browser.py)


@pytest.mark.parametrize("params", [{"admin": "a" * 32}, {"r": "b" * 32}, {"funder": "c" * 32},
                                    {"facilitate": "d" * 32}, {"join": "ABC234"}])
def test_unreachable_database_is_reported_plainly(
    params: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from healthcheck.ui.common import DB_UNAVAILABLE  # noqa: PLC0415 - the constant under test

    # A port nobody listens on: connecting is refused at once, like a stopped server.
    monkeypatch.setenv("HEALTHCHECK_DATABASE_URL", f"postgresql://hc@127.0.0.1:{free_port()}/gone")
    at = app(**params).run()
    assert not at.exception
    assert [e.value for e in at.error] == [DB_UNAVAILABLE]


def test_outage_is_told_apart_from_bugs(db_url: str) -> None:
    """Real driver errors: a lost or refused connection (or a busy SQLite file) is an outage; a
    missing table or a broken constraint is a bug and keeps the generic message."""
    from sqlalchemy.exc import IntegrityError

    from healthcheck.ui.common import is_outage

    def error_of(work: Callable[[], Any]) -> Exception:
        try:
            work()
        except Exception as exc:  # noqa: BLE001 - the error is what we want
            return exc
        raise AssertionError("no error")

    refused = create_engine(normalise_url(f"postgresql://hc@127.0.0.1:{free_port()}/gone"))
    assert is_outage(error_of(refused.connect))
    with Store(db_url) as store:
        pid, orgs = _partnership(store)
        r, _ = store.open_round(pid, "R", "core", "1")
        assert not is_outage(error_of(lambda: store.import_records(r.id, [{"organisation": "Nowhere"}])))
        with store.engine.connect() as conn:
            assert not is_outage(error_of(lambda: conn.execute(text("SELECT * FROM no_such_table"))))
        def insert_key_k() -> None:
            with store.engine.begin() as conn:
                conn.execute(text("INSERT INTO responses (round_id, organisation_id, level, answers, "
                                  "comments, submission_key, submitted_at) VALUES (:r, :o, 'strategic', "
                                  "'{}', '{}', 'k', CURRENT_TIMESTAMP)"), {"r": r.id, "o": orgs["City CYPS"]})

        insert_key_k()
        duplicate = error_of(insert_key_k)
        assert isinstance(duplicate, IntegrityError) and not is_outage(duplicate)

        if store.backend == "sqlite":
            # Another writer holds the file longer than we are willing to wait.
            other = create_engine(normalise_url(db_url), connect_args={"timeout": 0})
            with store._write_engine.begin() as holder:  # noqa: SLF001 - starts with BEGIN IMMEDIATE
                holder.exec_driver_sql("SELECT 1")
                with other.connect() as conn:
                    conn.exec_driver_sql("PRAGMA busy_timeout = 0")
                    assert is_outage(error_of(lambda: conn.exec_driver_sql("UPDATE rounds SET label = 'x'")))
            other.dispose()
        else:
            # The server ends our session (as a fast shutdown or an admin would).
            with store.engine.connect() as victim, store.engine.connect() as admin:
                pid_ = victim.execute(text("SELECT pg_backend_pid()")).scalar()
                admin.execute(text("SELECT pg_terminate_backend(:p)"), {"p": pid_})
                # the signal is asynchronous: wait until the server no longer lists the session
                deadline = time.monotonic() + 30
                while True:
                    admin.rollback()  # pg_stat_activity is a snapshot per transaction
                    if not admin.execute(text("SELECT count(*) FROM pg_stat_activity WHERE pid = :p"),
                                         {"p": pid_}).scalar():
                        break
                    assert time.monotonic() < deadline, "the session was not ended"
                assert is_outage(error_of(lambda: victim.execute(text("SELECT 1"))))


def test_participant_keeps_answers_through_a_database_outage(
    monkeypatch: pytest.MonkeyPatch, pulse: Any
) -> None:
    """A participant taps Send while PostgreSQL is down: a plain outage message, the answers stay
    on screen, and once the server is back the same Send stores them exactly once."""
    from healthcheck.ui.common import DB_UNAVAILABLE, plain

    from ..e2e.test_outage_browser import _own_server

    server = _own_server(monkeypatch)
    try:
        url = server.create_database()
        monkeypatch.setenv("HEALTHCHECK_DATABASE_URL", url)
        with Store(url) as store:
            p, _ = store.create_partnership("Harbour + City", "pulse", 3, ORGS[:2])
            info, _ = ws.create_workshop(store, p.id, "Outage workshop")
            org = store.organisations(p.id)[0].id
        at = app(join=info.join_code).run()
        f = f"ws{info.id}_"
        at.selectbox(key=f + "org").set_value(org)
        at.radio(key=f + "level").set_value("operational")
        at.radio(key=f + "a:" + Q1).set_value(4)
        at.run()

        server.crash()
        at.button(key=f + "send").click().run()
        assert not at.exception, [e.value for e in at.exception]
        assert [e.value for e in at.error] == [plain(DB_UNAVAILABLE)]
        assert at.radio(key=f + "a:" + Q1).value == 4  # what they chose is still there

        server.start_again()
        # As a person would: press Send again until it goes through (a loaded server may take a
        # moment after restarting). Never a traceback; at most the outage message meanwhile.
        deadline = time.monotonic() + 60
        while True:
            at.button(key=f + "send").click().run()
            assert not at.exception, [e.value for e in at.exception]
            if any("Thank you" in s.value for s in at.success):
                break
            assert {e.value for e in at.error} <= {plain(DB_UNAVAILABLE)}, [e.value for e in at.error]
            assert time.monotonic() < deadline, "the database did not come back"
            server.wait_ready()  # the next press comes once the server answers again
        assert any("Thank you" in s.value for s in at.success), [e.value for e in at.error]
        with Store(url) as store:
            [record] = store.response_records(info.round_id)
        assert record["answers"] == {Q1: 4}
    finally:
        server.stop()
