"""Back up the store to a file, and restore a store from one.

Two formats, both holding every table of `models.Base.metadata` and the schema revision:

- **SQLite file** (the default for a SQLite store): SQLite's online backup API copies the live
  database page by page inside a read transaction, so the app may keep running (WAL mode: its
  writers are not blocked) and the copy is one consistent moment. The result is an ordinary
  SQLite database: `sqlite3 FILE` opens it.
- **Portable zip** (the default for PostgreSQL, and `fmt="zip"` anywhere): `manifest.json`
  (format, version, schema revision, row count per table) and one JSON-lines file per table
  under `tables/`, read in one REPEATABLE READ (snapshot) transaction. It restores into either
  database, so it also moves a store from SQLite to PostgreSQL and back. No `pg_dump` needed.

Either way the file is written to a temporary name in the target's folder and renamed over the
target only once complete and flushed to disk: a crash or `kill -9` part-way leaves the target
as it was (absent, or the previous backup), never half a file under its name.

Restoring refuses a store that holds any row unless `force=True`; then the store's rows are
replaced. A restore is one transaction (all or nothing), and the schema is upgraded afterwards
if the backup came from an older version.
"""

from __future__ import annotations

import json
import os
import sqlite3
import uuid
import zipfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import IO, Any

from sqlalchemy import (
    Date,
    DateTime,
    Integer,
    Table,
    create_engine,
    delete,
    func,
    insert,
    inspect,
    select,
    text,
)

from healthcheck.core.errors import InputError, Problem
from healthcheck.store.db import Database, alembic_config
from healthcheck.store.models import Base

__all__ = ["FORMATS", "BackupInfo", "backup", "is_empty", "read_manifest", "restore", "row_counts"]

FORMATS = ("sqlite", "zip")
ZIP_FORMAT = "healthcheck-backup"
ZIP_VERSION = 1
_SQLITE_MAGIC = b"SQLite format 3\x00"
_CHUNK = 2000

Progress = Callable[[int, int], None]  # (done, total) after each step


@dataclass(frozen=True)
class BackupInfo:
    path: Path
    fmt: str
    revision: str
    rows: dict[str, int]  # table -> rows

    @property
    def total(self) -> int:
        return sum(self.rows.values())


def _tables() -> list[Table]:
    return list(Base.metadata.sorted_tables)  # parents before children


def row_counts(store: Database) -> dict[str, int]:
    """Rows in every table of the store."""
    with store.reading() as s:
        return {t.name: int(s.execute(select(func.count()).select_from(t)).scalar_one()) for t in _tables()}


def is_empty(store: Database) -> bool:
    return not any(row_counts(store).values())


def _revision(conn: Any) -> str:
    return str(conn.execute(text("SELECT version_num FROM alembic_version")).scalar_one())


def _known_revisions() -> set[str]:
    from alembic.script import ScriptDirectory

    return {r.revision for r in ScriptDirectory.from_config(alembic_config()).walk_revisions()}


# --------------------------------------------------------------------------------------------
# Writing a file safely


@contextmanager
def _atomic(target: Path) -> Iterator[Path]:
    """A temporary path in the target's folder, renamed over the target when the block succeeds
    (after an fsync), removed when it fails."""
    target = target.expanduser().resolve()
    if target.is_dir():
        raise InputError([Problem(str(target), "is a folder: give the name of the backup file to write")])
    if not target.parent.is_dir():
        raise InputError([Problem(str(target), "the folder to write the backup in does not exist")])
    tmp = target.with_name(f".{target.name}.{uuid.uuid4().hex[:12]}.part")
    try:
        yield tmp
        with open(tmp, "rb+") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, target)
        with suppress(OSError):  # make the rename itself durable
            fd = os.open(target.parent, os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
    finally:
        with suppress(FileNotFoundError):
            tmp.unlink()


# --------------------------------------------------------------------------------------------
# Backing up


def backup(store: Database, target: str | Path, *, fmt: str | None = None, progress: Progress | None = None,
           step_pages: int = 4096) -> BackupInfo:
    """Write a backup of the store to `target` (fmt: "sqlite" for a SQLite store, "zip" for
    any; default: the store's own kind where it can, else zip)."""
    fmt = fmt or ("sqlite" if store.backend == "sqlite" else "zip")
    if fmt not in FORMATS:
        raise InputError([Problem("format", f"unknown backup format '{fmt}': use {' or '.join(FORMATS)}")])
    if fmt == "sqlite" and store.backend != "sqlite":
        raise InputError([Problem("format", "a SQLite file backup needs a SQLite store: use the zip format")])
    path = Path(target)
    with _atomic(path) as tmp:
        if fmt == "sqlite":
            revision = _sqlite_backup(store, tmp, progress, step_pages)
            rows = _file_counts(tmp)
        else:
            revision, rows = _zip_backup(store, tmp, progress)
    return BackupInfo(path.expanduser().resolve(), fmt, revision, rows)


def _sqlite_backup(store: Database, tmp: Path, progress: Progress | None, step_pages: int) -> str:
    raw = store.engine.raw_connection()
    try:
        source: sqlite3.Connection = raw.driver_connection  # type: ignore[assignment]
        dest = sqlite3.connect(str(tmp))
        try:
            def report(_status: int, remaining: int, total: int) -> None:
                if progress is not None:
                    progress(total - remaining, total)

            source.backup(dest, pages=step_pages, progress=report)
            dest.execute("PRAGMA journal_mode = DELETE")  # one self-contained file, no -wal beside it
            return str(dest.execute("SELECT version_num FROM alembic_version").fetchone()[0])
        finally:
            dest.close()
    finally:
        raw.close()


def _file_counts(path: Path) -> dict[str, int]:
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        present = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        return {t.name: int(conn.execute(f'SELECT count(*) FROM "{t.name}"').fetchone()[0])
                for t in _tables() if t.name in present}
    finally:
        conn.close()


def _plain(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def _zip_backup(store: Database, tmp: Path, progress: Progress | None) -> tuple[str, dict[str, int]]:
    tables = _tables()
    rows: dict[str, int] = {}
    engine = store.engine
    if store.backend == "postgresql":
        engine = engine.execution_options(isolation_level="REPEATABLE READ", postgresql_readonly=True)
    with engine.connect() as conn, conn.begin(), zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as zf:
        revision = _revision(conn)
        for k, table in enumerate(tables):
            n = 0
            with zf.open(f"tables/{table.name}.jsonl", "w") as fh:
                order = list(table.primary_key.columns)
                for row in conn.execute(select(table).order_by(*order)).mappings():
                    fh.write(json.dumps({c: _plain(v) for c, v in row.items()}, ensure_ascii=False,
                                        separators=(",", ":")).encode() + b"\n")
                    n += 1
            rows[table.name] = n
            if progress is not None:
                progress(k + 1, len(tables))
        manifest = {"format": ZIP_FORMAT, "version": ZIP_VERSION, "revision": revision,
                    "backend": store.backend, "tables": rows}
        zf.writestr("manifest.json", json.dumps(manifest, indent=2))
    return revision, rows


# --------------------------------------------------------------------------------------------
# Reading a backup


def _kind(path: Path) -> str:
    try:
        with open(path, "rb") as fh:
            head = fh.read(16)
    except FileNotFoundError:
        raise InputError([Problem(str(path), "no such file")]) from None
    except OSError as exc:
        raise InputError([Problem(str(path), f"cannot read the backup: {exc.strerror or exc}")]) from None
    if head == _SQLITE_MAGIC:
        return "sqlite"
    if head.startswith(b"PK"):
        return "zip"
    raise InputError([Problem(str(path), "this is not a healthcheck backup (not a SQLite file, not a zip)")])


def read_manifest(path: str | Path) -> dict[str, Any]:
    """The manifest of a zip backup (checked), or a SQLite backup's revision and counts."""
    path = Path(path)
    if _kind(path) == "sqlite":
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            revision = str(conn.execute("SELECT version_num FROM alembic_version").fetchone()[0])
        except sqlite3.DatabaseError:
            raise InputError([Problem(str(path), "this SQLite file is not a healthcheck store")]) from None
        finally:
            conn.close()
        return {"format": "sqlite", "revision": revision, "tables": _file_counts(path)}
    try:
        with zipfile.ZipFile(path) as zf:
            manifest = json.loads(zf.read("manifest.json"))
    except (zipfile.BadZipFile, KeyError, ValueError):
        raise InputError([Problem(str(path), "this zip is not a healthcheck backup (no readable "
                                             "manifest.json)")]) from None
    if not isinstance(manifest, dict) or manifest.get("format") != ZIP_FORMAT:
        raise InputError([Problem(str(path), "this zip is not a healthcheck backup")])
    if manifest.get("version") != ZIP_VERSION:
        raise InputError([Problem(str(path), f"backup format version {manifest.get('version')} is not "
                                             f"one this program reads ({ZIP_VERSION})")])
    return manifest


def _typed(table: Table, row: dict[str, Any]) -> dict[str, Any]:
    out = {}
    for name, value in row.items():
        if name not in table.c:
            continue  # a column a later version dropped
        col_type = table.c[name].type
        impl = getattr(col_type, "impl", col_type)
        if isinstance(value, str) and isinstance(impl, DateTime):
            value = datetime.fromisoformat(value)
        elif isinstance(value, str) and isinstance(impl, Date):
            value = date.fromisoformat(value)
        out[name] = value
    return out


def _zip_rows(zf: zipfile.ZipFile, table: Table) -> Iterator[dict[str, Any]]:
    try:
        fh: IO[bytes] = zf.open(f"tables/{table.name}.jsonl")
    except KeyError:
        return  # a table an older version did not have
    with fh:
        for line in fh:
            if line.strip():
                yield _typed(table, json.loads(line))


def _sqlite_rows(conn: Any, table: Table) -> Iterator[dict[str, Any]]:
    present = {c["name"] for c in inspect(conn).get_columns(table.name)} if inspect(conn).has_table(
        table.name) else set()
    cols = [c for c in table.c if c.name in present]
    if not cols:
        return
    for row in conn.execute(select(*cols).order_by(*table.primary_key.columns)).mappings():
        yield dict(row)


# --------------------------------------------------------------------------------------------
# Restoring


def restore(store: Database, source: str | Path, *, force: bool = False,
            progress: Progress | None = None) -> BackupInfo:
    """Replace the (empty, unless `force`) store's rows with the backup's, in one transaction."""
    path = Path(source).expanduser().resolve()
    manifest = read_manifest(path)
    revision = str(manifest.get("revision"))
    if revision not in _known_revisions():
        raise InputError([Problem(str(path), f"the backup's schema revision '{revision}' is newer than (or "
                                             "unknown to) this version of healthcheck: upgrade it first")])
    if not force and not is_empty(store):
        raise InputError([Problem("restore", "the store already holds data: restoring would replace it. "
                                             "Back it up first, then restore with --force.")])
    kind = _kind(path)
    if kind == "sqlite" and store.backend == "sqlite":
        _sqlite_restore(store, path)
    else:
        _rows_restore(store, path, kind, progress)
    store.migrate()  # a backup from an older version: bring its schema up to date
    return BackupInfo(path, kind, revision, row_counts(store))


def _sqlite_restore(store: Database, path: Path) -> None:
    """Copy the backup file over the live database with the backup API (one write transaction
    on the destination: all or nothing)."""
    src = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        if src.execute("PRAGMA integrity_check").fetchone()[0] != "ok":
            raise InputError([Problem(str(path), "the backup file is damaged (integrity check failed)")])
        store.engine.dispose()  # no pooled connection keeps a stale view of the old pages
        raw = store.engine.raw_connection()
        try:
            src.backup(raw.driver_connection, pages=-1)  # type: ignore[arg-type]
        finally:
            raw.close()
        store.engine.dispose()
    finally:
        src.close()


def _rows_restore(store: Database, path: Path, fmt: str, progress: Progress | None) -> None:
    tables = _tables()
    with store.writing() as s, _reader(path, fmt) as rows_of:
        for table in reversed(tables):  # children first
            s.execute(delete(table))
        for k, table in enumerate(tables):
            batch: list[dict[str, Any]] = []
            for row in rows_of(table):
                batch.append(row)
                if len(batch) >= _CHUNK:
                    s.execute(insert(table), batch)
                    batch = []
            if batch:
                s.execute(insert(table), batch)
            if progress is not None:
                progress(k + 1, len(tables))
        if store.backend == "postgresql":
            _reset_sequences(s, tables)


@contextmanager
def _reader(path: Path, fmt: str) -> Iterator[Callable[[Table], Iterator[dict[str, Any]]]]:
    if fmt == "zip":
        with zipfile.ZipFile(path) as zf:
            yield lambda table: _zip_rows(zf, table)
        return
    engine = create_engine(f"sqlite:///file:{path.as_posix()}?mode=ro&uri=true")
    try:
        with engine.connect() as conn:
            yield lambda table: _sqlite_rows(conn, table)
    finally:
        engine.dispose()


def _reset_sequences(s: Any, tables: list[Table]) -> None:
    """After rows were inserted with their ids, the next id of each serial column follows them."""
    for table in tables:
        pk = list(table.primary_key.columns)
        if len(pk) != 1 or not isinstance(pk[0].type, Integer) or pk[0].foreign_keys:
            continue
        col = pk[0].name
        s.execute(text(f"SELECT setval(pg_get_serial_sequence('{table.name}', '{col}'), "
                       f"COALESCE(MAX({col}), 1), MAX({col}) IS NOT NULL) FROM {table.name}"))
