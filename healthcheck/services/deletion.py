"""Deleting for good, after the person typed the name of what goes (the admin pages, the funder
page and `healthcheck delete` all come through here).

One function per kind of deletion, each the single place that kind happens: check the name typed,
delete in one transaction (`store.deletion`), and say what went. (An audit log records each of
these calls: hook it here, beside the deletion, and nowhere else.)

An organisation's answers are deleted across the whole partnership (every round) unless a round
is named: someone asking for their organisation's data to go means all of it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from healthcheck.core.errors import InputError, Problem
from healthcheck.core.text import without_bidi
from healthcheck.store import Store, deletion, sharing

__all__ = ["Deletion", "delete_funder", "delete_organisation_answers", "delete_partnership", "delete_round",
           "matches"]


@dataclass(frozen=True)
class Deletion:
    """What was deleted: its kind ("round", "answers", "partnership", "funder"), its name, and
    the rows removed per table."""

    kind: str
    name: str
    removed: dict[str, int] = field(default_factory=dict)

    @property
    def rows(self) -> int:
        return sum(self.removed.values())

    def describe(self) -> str:
        """One line per table, for the command line and the page."""
        if not self.removed:
            return "nothing was stored"
        return ", ".join(f"{n} {table.replace('_', ' ')}" for table, n in sorted(self.removed.items()))


def matches(typed: object, name: str) -> bool:
    """Whether what was typed is the name (spaces at either end and invisible direction marks
    do not count; case does)."""
    return isinstance(typed, str) and without_bidi(typed).strip() == name.strip() != ""


def _confirm(typed: object, name: str, what: str) -> None:
    if not matches(typed, name):
        raise InputError([Problem("confirm", f"To delete {what}, type its name exactly: {name}")])


def _missing(what: str) -> InputError:
    return InputError([Problem(what, f"There is no such {what}: it may have been deleted already.")])


def delete_round(store: Store, round_id: int, confirm: object) -> Deletion:
    """A round and everything hanging off it; `confirm` must be the round's label."""
    r = store.get_round(round_id)
    if r is None:
        raise _missing("round")
    _confirm(confirm, r.label, f"the round '{r.label}'")
    return Deletion("round", r.label, deletion.delete_round(store, round_id))


def delete_organisation_answers(store: Store, organisation_id: int, confirm: object,
                                round_id: int | None = None) -> Deletion:
    """Every answer sent for an organisation (all rounds, or the one named); `confirm` must be the
    organisation's name."""
    org = store.get_organisation(organisation_id)
    if org is None:
        raise _missing("organisation")
    if round_id is not None:
        r = store.get_round(round_id)
        if r is None or r.partnership_id != org.partnership_id:
            raise _missing("round")
    _confirm(confirm, org.name, f"the answers of '{org.name}'")
    removed = deletion.delete_organisation_answers(store, organisation_id, round_id)
    return Deletion("answers", org.name, removed)


def delete_partnership(store: Store, partnership_id: int, confirm: object) -> Deletion:
    """The partnership and everything it holds; `confirm` must be its name."""
    p = store.get_partnership(partnership_id)
    if p is None:
        raise _missing("partnership")
    _confirm(confirm, p.name, f"the partnership '{p.name}'")
    return Deletion("partnership", p.name, deletion.delete_partnership(store, partnership_id))


def delete_funder(store: Store, funder_id: int, confirm: object) -> Deletion:
    """A funder's account and every share to it; `confirm` must be the funder's name."""
    funder = sharing.get_funder(store, funder_id)
    if funder is None:
        raise _missing("funder")
    _confirm(confirm, funder.name, f"the funder account '{funder.name}'")
    return Deletion("funder", funder.name, deletion.delete_funder(store, funder_id))
