"""`healthcheck backup FILE`: a consistent copy of the store, safe while the app runs
(store.backup): a SQLite file for a SQLite store, a portable zip for PostgreSQL (or --format zip)."""

from __future__ import annotations

import argparse
import sys

from healthcheck.cli.demo import DATABASE_URL_HELP, open_store


def cmd_backup(args: argparse.Namespace) -> int:
    from healthcheck.store import backup

    with open_store(args.database_url) as store:
        info = backup.backup(store, args.file, fmt=args.format)
        where = store.describe_location()
    print(f"Backed up {where} to {info.path} ({info.fmt}, schema {info.revision}): "
          f"{info.total} rows in {len(info.rows)} tables.", file=sys.stderr)
    return 0


def add_command(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    b = sub.add_parser("backup", help="back up the store to FILE (safe while the app runs)")
    b.add_argument("file", help="the backup file to write (replaced only once the new one is complete)")
    b.add_argument("--format", choices=["sqlite", "zip"], default=None,
                   help="sqlite: a SQLite database file (SQLite stores only; their default); zip: JSON lines "
                        "per table, restorable into SQLite or PostgreSQL (default for PostgreSQL)")
    b.add_argument("--database-url", default=None, help=DATABASE_URL_HELP)
    b.set_defaults(func=cmd_backup)
