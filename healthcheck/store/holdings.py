"""Everything the store holds about one partnership, table by table (for "download everything we
hold": a subject access or governance request from the partnership's admin).

Which rows belong to a partnership is worked out from the models themselves, not listed by hand:
a table is the partnership's when a chain of foreign keys leads from it to `partnerships`
(responses -> rounds -> partnerships); a table without one is included for the rows the
partnership's own rows point at (the funders it shared with). So a new table is covered as soon
as it points at the partnership. The only tables left out are in `NOT_HELD`, each with its reason:
tables of no partnership (join_failures), and the paced workshop's per-person tables (answers,
votes, who joined with organisation and level), which could tie a person of a small group to what
they gave.

Columns that hold a hash of a secret link or code (`*_hash`) are never handed out. These are the
rows as stored: `services.holdings` replaces the answers (`responses`) with each round's
de-identified answers before anything leaves the app.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Column, ForeignKey, Select, Table, select

from healthcheck.store.db import Database
from healthcheck.store.models import Base

__all__ = ["NOT_HELD", "Holdings", "TableRows", "hidden", "holdings", "tables_held"]

ROOT = "partnerships"
NOT_HELD: dict[str, str] = {
    "join_failures": "wrong codes typed, for the throttle: no code, no address and no partnership",
    "workshop_answers": ("one participant's answers to a paced workshop, question by question: they are "
                         "in the round's answers file, de-identified, once the workshop closes"),
    "workshop_votes": "who voted for which action: the counts are on the action plan",
    "workshop_participants": ("who joined a workshop, with their organisation and level in a paced one: "
                              "a count of a small group, which no screen shows"),
}


def hidden(column: Column[Any]) -> bool:
    """True for a column never handed out: a hash of a secret link or code."""
    return column.name.endswith("_hash")


@dataclass(frozen=True)
class TableRows:
    columns: tuple[str, ...]
    rows: list[dict[str, Any]]


@dataclass(frozen=True)
class Holdings:
    partnership_id: int
    tables: dict[str, TableRows]  # in the models' order (parents before children)


def _paths() -> dict[str, list[ForeignKey]]:
    """Each table with a chain of foreign keys to `partnerships`: the shortest chain."""
    tables = Base.metadata.tables
    found: dict[str, list[ForeignKey]] = {ROOT: []}
    for name, table in tables.items():
        if name == ROOT or name in NOT_HELD:
            continue
        queue: deque[tuple[Table, list[ForeignKey]]] = deque([(table, [])])
        seen = {name}
        while queue:
            current, chain = queue.popleft()
            fks = sorted(current.foreign_keys, key=lambda f: f.column.table.name != ROOT)
            hit = next((fk for fk in fks if fk.column.table.name == ROOT), None)
            if hit is not None:
                found[name] = [*chain, hit]
                break
            for fk in fks:
                parent = fk.column.table
                if parent.name not in seen:
                    seen.add(parent.name)
                    queue.append((parent, [*chain, fk]))
    return found


def _query(table: Table, chain: list[ForeignKey], partnership_id: int) -> Select[Any]:
    columns = [c for c in table.columns if not hidden(c)]
    q = select(*columns)
    source: Any = table
    for fk in chain[:-1]:
        source = source.join(fk.column.table, fk.parent == fk.column)
    q = q.select_from(source)
    key = table.c.id if not chain else chain[-1].parent
    return q.where(key == partnership_id).order_by(*table.primary_key.columns)


def tables_held() -> list[str]:
    """The tables a partnership's download covers, in the models' order."""
    paths = _paths()
    held = [t.name for t in Base.metadata.sorted_tables if t.name in paths]
    for t in Base.metadata.sorted_tables:
        if t.name in paths or t.name in NOT_HELD:
            continue
        if any(fk.column.table is t for name in paths for fk in Base.metadata.tables[name].foreign_keys):
            held.append(t.name)
    # the partnership first, its own tables in the models' order, then the tables it points at
    order = [t.name for t in Base.metadata.sorted_tables]
    return sorted(held, key=lambda n: (n != ROOT, n not in paths, order.index(n)))


def holdings(store: Database, partnership_id: int) -> Holdings:
    """Every row tied to the partnership, in one read transaction, hashes left out."""
    paths = _paths()
    names = tables_held()
    out: dict[str, TableRows] = {}
    with store.reading() as s:
        for name in names:
            if name in paths:
                table = Base.metadata.tables[name]
                rows = [dict(r._mapping) for r in s.execute(_query(table, paths[name], partnership_id))]
                out[name] = TableRows(tuple(c.name for c in table.columns if not hidden(c)), rows)
        for name in names:  # tables the partnership's rows point at (funders)
            if name in paths:
                continue
            table = Base.metadata.tables[name]
            ids: set[Any] = set()
            for child in paths:
                for fk in Base.metadata.tables[child].foreign_keys:
                    if fk.column.table is table:
                        ids |= {row[fk.parent.name] for row in out[child].rows}
            target = next(iter(table.primary_key.columns))
            columns = [c for c in table.columns if not hidden(c)]
            query = select(*columns).where(target.in_(sorted(ids))).order_by(target)
            rows = [dict(r._mapping) for r in s.execute(query)] if ids else []
            out[name] = TableRows(tuple(c.name for c in columns), rows)
    return Holdings(partnership_id, {name: out[name] for name in names})
