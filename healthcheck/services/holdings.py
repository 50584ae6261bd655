"""Account for it: "download everything we hold" for a partnership, and the audit log's record of
every download.

`everything_we_hold` reads every row tied to the partnership (`healthcheck.store.holdings`, hashes
left out), includes the audit log, writes the zip (`healthcheck.present.holdings`) and records
the download in the audit log. `downloaded` records any other download or export taken.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from healthcheck.core.errors import InputError, Problem
from healthcheck.core.text import slug
from healthcheck.present.holdings import everything_zip
from healthcheck.store import Store, audit, now
from healthcheck.store.holdings import NOT_HELD, holdings

__all__ = ["downloaded", "everything_we_hold", "find_partnership"]


def everything_we_hold(store: Store, partnership_id: int, *, by: str,
                       clock: Callable[[], datetime] = now) -> tuple[str, bytes]:
    """The file name and bytes of the partnership's zip; the download is recorded (by `by`, a
    kind of link: `AUDIT_ACTORS`) once the zip is made."""
    partnership = store.get_partnership(partnership_id)
    if partnership is None:
        raise InputError([Problem(path="partnership", message="This partnership no longer exists.")])
    held = holdings(store, partnership_id)
    made_at = clock()
    tables = {name: (t.columns, t.rows) for name, t in held.tables.items()}
    data = everything_zip(partnership.name, made_at, tables, NOT_HELD)
    rows = sum(len(t.rows) for t in held.tables.values())
    audit.record(store, partnership_id, by, "export.taken",
                 f"Downloaded everything held about the partnership ({len(tables)} tables, {rows} rows).")
    return f"{slug(partnership.name)}-everything-we-hold-{made_at:%Y-%m-%d}.zip", data


def downloaded(store: Store, partnership_id: int, by: str, what: str) -> None:
    """Record that `what` (e.g. "the responses of the round 'Spring' (CSV)") was downloaded."""
    audit.record(store, partnership_id, by, "export.taken", f"Downloaded {what}.")


def find_partnership(store: Store, wanted: str) -> int:
    """The id of the partnership named `wanted` (its number, or its exact name, any letter case)."""
    partnerships = store.list_partnerships()
    if wanted.strip().isdigit():
        pid = int(wanted.strip())
        if any(p.id == pid for p in partnerships):
            return pid
    matches = [p for p in partnerships if p.name.casefold() == " ".join(wanted.split()).casefold()]
    if len(matches) == 1:
        return matches[0].id
    if matches:
        numbers = ", ".join(str(p.id) for p in matches)
        raise InputError([Problem(path="--partnership", message=f"{len(matches)} partnerships are called "
                                  f"'{wanted}': give its number instead ({numbers}).")])
    raise InputError([Problem(path="--partnership", message=f"There is no partnership '{wanted}' in this "
                              "store. Give its exact name or its number.")])
