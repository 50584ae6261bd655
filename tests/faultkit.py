"""Child processes for the fault and concurrency tests (tests/ui/test_faults.py).

Run as ``python -m tests.faultkit COMMAND JSON`` from the project root. Each command writes one
line per event to stdout and flushes it at once, so the parent (which kills the child with
SIGKILL) knows exactly what the child had done and been told by the store before it died:

- ``import``: `Store.import_records` of N records; prints ``WRITING <done>`` from the progress
  callback once <done> rows of the transaction are written, ``DONE <n>`` after the import
  returned. With ``"block": true`` it stops after ``WRITING`` (transaction open) until killed.
- ``burst``: many workshop submissions from a thread pool; prints ``ACK <key> <stored>`` only
  AFTER `workshop.submit` returned, so every ACK is an answer the participant was told was sent.
- ``same-keys``: forks into several processes, each with its own Store; each prints
  ``READY <pid>``, waits for one byte on stdin (the start signal), submits the same keys as the
  others and prints ``ACK <key> <stored> <pid>`` for each.
"""

from __future__ import annotations

import json
import os
import sys
import threading
import traceback
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

from healthcheck.core.questionnaire import find_questionnaire, load_questionnaire
from healthcheck.store import Store

# Real core items: the store refuses answers its reader could not read back.
LIKERT = [i.id for i in load_questionnaire(find_questionnaire("core")).items if i.type == "likert"]
Q1, Q2 = LIKERT[0], LIKERT[1]

if TYPE_CHECKING:  # the workshop module (pandas) is imported only by the commands that use it
    from healthcheck.core.questionnaire import Questionnaire
    from healthcheck.store import workshops as ws

ORGS = [("Harbour Music", "music"), ("City CYPS", "childrens_services"), ("Foster Care Co", "fostering")]

_out = threading.Lock()


def say(line: str) -> None:
    """One whole line to stdout, flushed (threads never interleave inside a line)."""
    with _out:
        sys.stdout.write(line + "\n")
        sys.stdout.flush()


def records(n: int, prefix: str) -> list[dict[str, Any]]:
    """N import records with submission keys `<prefix>:<i>` (so a re-import is recognised)."""
    names = [name for name, _ in ORGS]
    return [
        {
            "organisation": names[i % len(names)],
            "level": ("funder", "strategic", "operational")[i % 3],
            "role": "musician" if i % 2 else None,
            "answers": {LIKERT[k]: (i + k) % 5 + 1 for k in range(30)} | {"fact.time_costed": "no"},
            "comments": {Q1: f"comment {i}"} if i % 7 == 0 else {},
            "submission_key": f"{prefix}:{i}",
        }
        for i in range(n)
    ]


def workshop_answers(workshop: ws.WorkshopInfo, q: Questionnaire, i: int) -> dict[str, int | str]:
    from healthcheck.core.workshop import items_for

    return {item.id: 1 + (i + n) % 5 for n, item in enumerate(items_for(workshop.dimensions, q))
            if item.type == "likert"}


def _import(args: dict[str, Any]) -> None:
    store = Store(args["url"], migrate=False)
    marked = False

    def progress(done: int, total: int) -> None:
        nonlocal marked
        if not marked and done >= args["mark_at"]:
            marked = True
            say(f"WRITING {done}")
            if args.get("block"):
                sys.stdin.readline()  # the parent never answers: killed with the transaction open

    n = store.import_records(args["round_id"], records(args["n"], args["prefix"]), progress=progress)
    say(f"DONE {n}")


def _submitter(store: Store, workshop_id: int) -> tuple[ws.WorkshopInfo, list[int]]:
    from healthcheck.store import workshops as ws

    workshop = ws.get_workshop(store, workshop_id)
    assert workshop is not None
    org_ids = [o.id for o in store.organisations(workshop.partnership_id)]
    return workshop, org_ids


def _burst(args: dict[str, Any]) -> None:
    store = Store(args["url"], migrate=False)
    from healthcheck.core.workshop import questionnaire_by_id
    from healthcheck.store import workshops as ws

    workshop, org_ids = _submitter(store, args["workshop_id"])
    q = questionnaire_by_id(workshop.questionnaire_id)

    def one(i: int) -> None:
        key = f"{args['prefix']}{i}"
        stored = ws.submit(store, workshop, org_ids[i % len(org_ids)], "operational",
                           workshop_answers(workshop, q, i), key, q)
        say(f"ACK {key} {int(stored)}")

    say("READY")
    with ThreadPoolExecutor(max_workers=args["threads"]) as pool:
        for future in [pool.submit(one, i) for i in range(args["n"])]:
            future.result()
    say("FINISHED")


def _same_keys(args: dict[str, Any]) -> None:
    """Forks into args["processes"] processes after the imports (one start-up cost, not one per
    process); each makes its own Store after the fork, as separate app servers would."""
    from healthcheck.core.workshop import questionnaire_by_id
    from healthcheck.store import workshops as ws

    q = questionnaire_by_id("pulse")
    children: list[int] = []
    for _ in range(args["processes"] - 1):
        pid = os.fork()
        if pid == 0:  # a forked worker: submit, then leave without running the parent's exit code
            try:
                _same_keys_worker(args, ws, q)
            except BaseException:
                traceback.print_exc()
                sys.stderr.flush()
                os._exit(1)
            os._exit(0)
        children.append(pid)
    _same_keys_worker(args, ws, q)
    if any(os.waitpid(pid, 0)[1] != 0 for pid in children):
        sys.exit(1)


def _same_keys_worker(args: dict[str, Any], ws: Any, q: Questionnaire) -> None:
    store = Store(args["url"], migrate=False)
    workshop, org_ids = _submitter(store, args["workshop_id"])
    say(f"READY {os.getpid()}")
    os.read(0, 1)  # the start signal: one byte per process, so each takes exactly one

    def one(key: str) -> None:
        stored = ws.submit(store, workshop, org_ids[0], "strategic", workshop_answers(workshop, q, 0), key, q)
        say(f"ACK {key} {int(stored)} {os.getpid()}")

    with ThreadPoolExecutor(max_workers=args["threads"]) as pool:
        for future in [pool.submit(one, k) for k in args["keys"]]:
            future.result()
    say(f"FINISHED {os.getpid()}")


COMMANDS = {"import": _import, "burst": _burst, "same-keys": _same_keys}


def main(argv: list[str]) -> None:
    command, payload = argv
    COMMANDS[command](json.loads(payload))


if __name__ == "__main__":
    main(sys.argv[1:])
