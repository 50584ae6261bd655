"""`healthcheck export-all`: everything the store holds about one partnership, as a zip of CSV and
JSON with a README.txt of its fields (a subject access or governance request); the answers
de-identified as the Exports page's responses CSV (`services.holdings`). Recorded in the
partnership's audit log."""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

from healthcheck.cli.demo import DATABASE_URL_HELP, open_store


def cmd_export_all(args: argparse.Namespace) -> int:
    from healthcheck.services.holdings import everything_we_hold, find_partnership

    output = Path(args.output)
    if output.suffix.lower() != ".zip":
        print(f"healthcheck export-all: error: -o {args.output}: the file must end in .zip", file=sys.stderr)
        return 2
    with open_store(args.database_url) as store:
        pid = find_partnership(store, args.partnership)
        _, data = everything_we_hold(store, pid, by="command_line")
    output.parent.mkdir(parents=True, exist_ok=True)
    # Written beside the target and renamed: never a half-written file under the target's name.
    fd, tmp = tempfile.mkstemp(prefix=".export-", suffix=".zip", dir=output.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, output)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    print(f"Wrote everything held about partnership {pid} to {output}.", file=sys.stderr)
    return 0


def add_command(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    e = sub.add_parser("export-all", help="everything held about one partnership: a zip of CSV and JSON "
                                          "with a README of its fields")
    e.add_argument("--partnership", required=True, help="the partnership's exact name, or its number")
    e.add_argument("-o", "--output", required=True, help="the zip file to write")
    e.add_argument("--database-url", default=None, help=DATABASE_URL_HELP)
    e.set_defaults(func=cmd_export_all)
