"""Deleting for good, after the person typed the name of what goes (the admin pages, the funder
page and `healthcheck delete` all come through here).

One function per kind of deletion, each the single place that kind happens: check the name typed,
delete in one transaction (`store.deletion`), and say what went. Each words its line for the
partnership's audit log here; the store writes it in the deletion's own transaction. `by` is the
kind of link that asked (`core.vocabulary.AUDIT_ACTORS`: the admin, a funder, or the command line).

- a round: recorded with the rows it took (the round's totals, not any group's);
- an organisation's answers: recorded without a count (one organisation's count may be a group
  below the anonymity threshold, which nothing shows);
- a funder's account: recorded in the log of every partnership that had shared a round with it;
- a whole partnership: nothing is recorded, because its audit log is part of what it holds and is
  deleted with it, in the same transaction (a line written first would be deleted too). The
  person deleting sees the rows removed; the command line prints them.

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


def delete_round(store: Store, round_id: int, confirm: object, *, by: str = "admin") -> Deletion:
    """A round and everything hanging off it; `confirm` must be the round's label."""
    r = store.get_round(round_id)
    if r is None:
        raise _missing("round")
    _confirm(confirm, r.label, f"the round '{r.label}'")

    def note(removed: dict[str, int]) -> str:
        went = Deletion("round", r.label, removed).describe()
        return f"Deleted the round '{r.label}' and everything hanging off it ({went})."

    return Deletion("round", r.label, deletion.delete_round(store, round_id, by=by, note=note))


def delete_organisation_answers(store: Store, organisation_id: int, confirm: object,
                                round_id: int | None = None, *, by: str = "admin") -> Deletion:
    """Every answer sent for an organisation (all rounds, or the one named); `confirm` must be the
    organisation's name."""
    org = store.get_organisation(organisation_id)
    if org is None:
        raise _missing("organisation")
    where = "in every round"
    if round_id is not None:
        r = store.get_round(round_id)
        if r is None or r.partnership_id != org.partnership_id:
            raise _missing("round")
        where = f"in the round '{r.label}'"
    _confirm(confirm, org.name, f"the answers of '{org.name}'")

    def note(removed: dict[str, int]) -> str:
        if "responses" not in removed:
            return (f"Asked to delete the answers sent for the organisation '{org.name}' {where}: "
                    "there were none.")
        return (f"Deleted every answer sent for the organisation '{org.name}' {where}; the rounds touched "
                "start their figures afresh from the answers left.")

    removed = deletion.delete_organisation_answers(store, organisation_id, round_id, by=by, note=note)
    return Deletion("answers", org.name, removed)


def delete_partnership(store: Store, partnership_id: int, confirm: object) -> Deletion:
    """The partnership and everything it holds, its audit log included (so nothing is recorded:
    see the module's notes); `confirm` must be its name."""
    p = store.get_partnership(partnership_id)
    if p is None:
        raise _missing("partnership")
    _confirm(confirm, p.name, f"the partnership '{p.name}'")
    return Deletion("partnership", p.name, deletion.delete_partnership(store, partnership_id))


def delete_funder(store: Store, funder_id: int, confirm: object, *, by: str = "funder") -> Deletion:
    """A funder's account and every share to it; `confirm` must be the funder's name. Each
    partnership that had shared a round with it finds a line in its audit log."""
    funder = sharing.get_funder(store, funder_id)
    if funder is None:
        raise _missing("funder")
    _confirm(confirm, funder.name, f"the funder account '{funder.name}'")

    def note(labels: list[str]) -> str:
        rounds = ", ".join(f"'{label}'" for label in labels)
        return (f"The account of the funder '{funder.name}' was deleted: the round(s) {rounds} are no "
                "longer shared with it.")

    return Deletion("funder", funder.name, deletion.delete_funder(store, funder_id, by=by, note=note))
