"""Back up and restore (issue 16), on SQLite and PostgreSQL: a round trip keeps every row of
every table; a store holding data is replaced only when forced; a backup killed part-way
(kill -9) leaves the store intact and nothing under the target's name.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from healthcheck.cli import main
from healthcheck.core.errors import InputError
from healthcheck.store import Store, backup

from ..governance_data import counts, dump, populate

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def other_url(db_backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[str]:
    """A second fresh database on the same backend (where a backup is restored)."""
    if db_backend == "sqlite":
        yield f"sqlite:///{(tmp_path / 'restored.db').as_posix()}"
        return
    server = request.getfixturevalue("pg_server")
    url = server.create_database()
    try:
        yield url
    finally:
        server.drop_database(url)


def test_round_trip_keeps_every_row_of_every_table(store: Store, other_url: str, tmp_path: Path) -> None:
    populate(store)
    populate(store, "Riverside + Westshire", seed=3)
    original = dump(store)
    assert all(original[t] for t in original if t != "round_summaries")  # a row in (almost) every table
    target = tmp_path / "hc-backup"
    info = backup.backup(store, target)
    assert info.fmt == ("sqlite" if store.backend == "sqlite" else "zip")
    assert info.rows == counts(store)
    with Store(other_url) as restored:
        result = backup.restore(restored, target)
        assert result.rows == counts(store)
        assert dump(restored) == original
        # ids carry on after the restored ones (PostgreSQL's sequences were moved on)
        p, _ = restored.create_partnership("After restore", "core", 3, [("A", "music")])
        assert p.id > max(row[0] for row in original["partnerships"])


def test_zip_backup_is_portable_between_databases(store: Store, tmp_path: Path) -> None:
    """A zip written from SQLite restores into this backend, and back again."""
    with Store(f"sqlite:///{(tmp_path / 'source.db').as_posix()}") as source:
        populate(source)
        original = dump(source)
        backup.backup(source, tmp_path / "hc.zip", fmt="zip")
    with zipfile.ZipFile(tmp_path / "hc.zip") as zf:
        names = set(zf.namelist())
    assert "manifest.json" in names and "tables/responses.jsonl" in names
    backup.restore(store, tmp_path / "hc.zip")
    assert dump(store) == original
    backup.backup(store, tmp_path / "again.zip", fmt="zip")
    with Store(f"sqlite:///{(tmp_path / 'back.db').as_posix()}") as back:
        backup.restore(back, tmp_path / "again.zip")
        assert dump(back) == original


def test_restore_into_a_store_with_data_needs_force(db_url: str, tmp_path: Path,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "backup.file"
    with Store(db_url) as store:
        populate(store)
        original = dump(store)
    assert main(["backup", str(target), "--database-url", db_url]) == 0
    assert "Backed up" in capsys.readouterr().err
    with Store(db_url) as store:
        store.create_partnership("Made after the backup", "core", 3, [("A", "music")])
        changed = dump(store)
    assert main(["restore", str(target), "--database-url", db_url]) == 1
    assert "already holds data" in capsys.readouterr().err
    with Store(db_url) as store:
        assert dump(store) == changed  # refused: nothing touched
    assert main(["restore", str(target), "--force", "--database-url", db_url]) == 0
    with Store(db_url) as store:
        assert dump(store) == original


def test_not_a_backup_is_refused(store: Store, tmp_path: Path) -> None:
    bad = tmp_path / "notes.txt"
    bad.write_text("hello")
    with pytest.raises(InputError, match="not a healthcheck backup"):
        backup.restore(store, bad)
    with pytest.raises(InputError, match="no such file"):
        backup.restore(store, tmp_path / "missing.zip")
    with pytest.raises(InputError, match="folder"):
        backup.backup(store, tmp_path)


_KILLED_BACKUP = """
import sys
from pathlib import Path
from healthcheck.store import Store, backup

def stall(done, total):  # the test kills this process here, part-way through the copy
    print("copying", done, total, flush=True)
    sys.stdin.readline()

with Store(sys.argv[1]) as store:
    backup.backup(store, sys.argv[2], step_pages=1, progress=stall)
print("finished", flush=True)
"""


def test_kill_during_backup_leaves_the_store_and_no_file_under_the_target(db_url: str,
                                                                         tmp_path: Path) -> None:
    with Store(db_url) as store:
        populate(store)
        before = dump(store)
    target = tmp_path / "nightly.backup"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen([sys.executable, "-c", _KILLED_BACKUP, db_url, str(target)], env=env, cwd=ROOT,
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        line = proc.stdout.readline() if proc.stdout else ""
        assert line.startswith("copying"), line
        parts = list(tmp_path.glob(".nightly.backup.*.part"))
        assert parts  # the copy is under way, under a temporary name...
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        if proc.poll() is None:
            proc.kill()  # (already killed above unless an assertion failed first)
        proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL
    assert not target.exists()  # ...but nothing under the target's name
    with Store(db_url) as store:
        assert dump(store) == before
        if store.backend == "sqlite":
            with store.reading() as s:
                from sqlalchemy import text

                assert s.execute(text("PRAGMA integrity_check")).scalar_one() == "ok"
        info = backup.backup(store, target)  # and the next backup works
    assert info.rows == {t: len(rows) for t, rows in before.items()}


def test_sqlite_backup_while_the_app_writes(tmp_path: Path) -> None:
    """A writer holding the lock neither blocks the backup nor leaks half its work into it."""
    path = tmp_path / "live.db"
    with Store(f"sqlite:///{path.as_posix()}") as store:
        populate(store)
        before = counts(store)
        writer = sqlite3.connect(path, isolation_level=None)
        writer.execute("BEGIN IMMEDIATE")
        writer.execute("DELETE FROM responses")
        try:
            info = backup.backup(store, tmp_path / "copy.db")
        finally:
            writer.execute("ROLLBACK")
            writer.close()
    assert info.rows == before
    copy = sqlite3.connect(tmp_path / "copy.db")
    assert copy.execute("PRAGMA journal_mode").fetchone()[0] == "delete"  # one self-contained file
    assert copy.execute("SELECT count(*) FROM responses").fetchone()[0] == before["responses"]
    copy.close()
