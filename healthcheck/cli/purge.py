"""`healthcheck purge`: delete the individual answers of rounds past their partnership's retention
period, keeping their results (services.retention). Safe to run from cron: a second run finds
nothing to do."""

from __future__ import annotations

import argparse
from datetime import UTC, datetime

from healthcheck.cli.demo import DATABASE_URL_HELP, open_store


def moment(text: str) -> datetime:
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError("give a date and time like 2027-01-31 or 2027-01-31T09:00") from None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value


def cmd_purge(args: argparse.Namespace) -> int:
    from healthcheck.services import retention

    with open_store(args.database_url) as store:
        if args.dry_run:
            rounds = retention.due(store, args.now)
            for c in rounds:
                print(f"would purge round #{c.round_id} (partnership #{c.partnership_id}): "
                      f"{c.responses} answers, {c.participants} workshop participants")
            print(f"{len(rounds)} round(s) due.")
            return 0
        purged = retention.purge(store, at=args.now, by="command_line")
    for p in purged:
        print(p.describe())
    print(f"Purged {len(purged)} round(s)." if purged else "Nothing to purge.")
    return 0


def add_command(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("purge", help="delete individual answers past each partnership's retention period, "
                                     "keeping the results (idempotent; run it from cron)")
    p.add_argument("--now", type=moment, default=None, metavar="WHEN",
                   help="purge as if it were this moment (UTC unless a zone is given); default: now")
    p.add_argument("--dry-run", action="store_true", help="list what is due, delete nothing")
    p.add_argument("--database-url", default=None, help=DATABASE_URL_HELP)
    p.set_defaults(func=cmd_purge)
