"""`healthcheck restore FILE [--force]`: put a backup back into the store (store.backup); a store
that holds data is replaced only with --force."""

from __future__ import annotations

import argparse
import sys

from healthcheck.cli.demo import DATABASE_URL_HELP, open_store


def cmd_restore(args: argparse.Namespace) -> int:
    from healthcheck.store import backup

    with open_store(args.database_url) as store:
        info = backup.restore(store, args.file, force=args.force)
        where = store.describe_location()
    print(f"Restored {info.path} ({info.fmt}, schema {info.revision}) into {where}: "
          f"{info.total} rows in {len(info.rows)} tables.", file=sys.stderr)
    return 0


def add_command(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    r = sub.add_parser("restore", help="restore the store from a backup FILE (refused if the store holds "
                                       "data, unless --force)")
    r.add_argument("file", help="a file written by `healthcheck backup`")
    r.add_argument("--force", action="store_true", help="replace the data the store holds now")
    r.add_argument("--database-url", default=None, help=DATABASE_URL_HELP)
    r.set_defaults(func=cmd_restore)
