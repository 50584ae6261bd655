"""`healthcheck delete`: delete a round, an organisation's answers, a partnership or a funder for
good, after `--confirm NAME` repeats its name (services.deletion). `healthcheck delete list`
prints the ids and names to choose from."""

from __future__ import annotations

import argparse
import sys

from healthcheck.cli.demo import DATABASE_URL_HELP, open_store

WHAT = {
    "round": "a round with its answers, shares, workshop and the actions raised from it",
    "answers": "every answer sent for an organisation (all rounds, or --round ID)",
    "partnership": "a partnership with everything it holds",
    "funder": "a funder's account and every share to it",
    "list": "print the ids and names of partnerships, their organisations and rounds, and funders",
}


def _list(store: object) -> None:
    from healthcheck.store import Store, sharing

    assert isinstance(store, Store)
    for p in store.list_partnerships():
        print(f"partnership {p.id}: {p.name} (answers kept {p.retention_months} months after a round closes)")
        for o in store.organisations(p.id):
            print(f"  organisation {o.id}: {o.name}")
        for r in store.rounds(p.id):
            print(f"  round {r.id}: {r.label} ({'open' if r.is_open else 'closed'})")
    for f in sharing.list_funders(store):
        print(f"funder {f.id}: {f.name}")


BY = "command_line"  # who the audit log says did it


def cmd_delete(args: argparse.Namespace) -> int:
    from healthcheck.core.errors import InputError, Problem
    from healthcheck.services import deletion

    if args.what != "list" and (args.id is None or args.confirm is None):
        raise InputError([Problem("delete", f"say which {args.what} (its id) and repeat its name with "
                                            "--confirm NAME; `healthcheck delete list` shows them")])
    with open_store(args.database_url) as store:
        if args.what == "list":
            _list(store)
            return 0
        if args.what == "round":
            done = deletion.delete_round(store, args.id, args.confirm, by=BY)
        elif args.what == "answers":
            done = deletion.delete_organisation_answers(store, args.id, args.confirm, round_id=args.round,
                                                        by=BY)
        elif args.what == "partnership":
            done = deletion.delete_partnership(store, args.id, args.confirm)
        else:
            done = deletion.delete_funder(store, args.id, args.confirm, by=BY)
    print(f"Deleted {done.kind} '{done.name}': {done.describe()}.")
    print("Deleted rows are gone from the database; on SQLite their pages are overwritten with zeros. "
          "Backups made earlier still hold them.", file=sys.stderr)
    return 0


def add_command(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    d = sub.add_parser("delete", help="delete a round, an organisation's answers, a partnership or a funder "
                                      "for good (type its name with --confirm)")
    d.add_argument("what", choices=list(WHAT), help="; ".join(f"{k}: {v}" for k, v in WHAT.items()))
    d.add_argument("id", type=int, nargs="?", default=None,
                   help="its id (the organisation's id for `answers`)")
    d.add_argument("--confirm", metavar="NAME",
                   help="its name (a round's label), exactly: nothing is deleted otherwise")
    d.add_argument("--round", type=int, default=None, metavar="ID",
                   help="with `answers`: only this round's answers (default: every round)")
    d.add_argument("--database-url", default=None, help=DATABASE_URL_HELP)
    d.set_defaults(func=cmd_delete)
