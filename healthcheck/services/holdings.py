"""Account for it: "download everything we hold" for a partnership, and the audit log's record of
every download.

`everything_we_hold` reads every row tied to the partnership (`healthcheck.store.holdings`, hashes
left out), includes the audit log, writes the zip (`healthcheck.present.holdings`) and records
the download in the audit log. `downloaded` records any other download or export taken.

The product rule holds here too: nobody's own answers may be worked out by anyone from any
export. So the answers never leave as stored: the `responses` rows are replaced by each round's
released answers de-identified exactly as the Exports page's responses CSV (the same path:
`services.results.round_results`, then `present.exports`) (`WITHHELD`). The workshop's
per-person tables (who joined, paced answers, votes) are not in the download at all
(`store.holdings.NOT_HELD`).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from healthcheck.core.errors import InputError, Problem
from healthcheck.core.questionnaire import Questionnaire, find_questionnaire, load_questionnaire
from healthcheck.core.text import slug
from healthcheck.present.holdings import RoundAnswers, everything_zip, round_answers
from healthcheck.services.results import round_results
from healthcheck.store import PartnershipInfo, Store, audit, now
from healthcheck.store.holdings import NOT_HELD, holdings

__all__ = ["WITHHELD", "downloaded", "everything_we_hold", "find_partnership"]

# What the tables of the download leave out, and why (the answers come de-identified instead).
WITHHELD: dict[str, str] = {
    "responses": "the answers as stored (with role, respondent key and time): each round's answers are "
                 "in answers_round_<id> instead, de-identified",
}


def _load(questionnaire_id: str) -> Questionnaire:
    return load_questionnaire(find_questionnaire(questionnaire_id))


def _answers(store: Store, partnership: PartnershipInfo,
             questionnaire_of: Callable[[str], Questionnaire]) -> tuple[list[RoundAnswers], dict[int, str]]:
    """Each round's released answers, de-identified; and the rounds without a file, with why."""
    answers: list[RoundAnswers] = []
    left_out: dict[int, str] = {}
    for r in store.rounds(partnership.id):
        try:
            q = questionnaire_of(r.questionnaire_id)
        except InputError:
            left_out[r.id] = (f"its questionnaire '{r.questionnaire_id}' is no longer installed, so its "
                              "answers could not be de-identified and are left out")
            continue
        data = round_results(store, r.id, q, None, partnership.threshold, partnership.name)
        if data.purged:
            left_out[r.id] = ("its individual answers were deleted at the end of the retention period; "
                              "what was kept is in round_summaries")
        elif data.rows_note:
            left_out[r.id] = data.rows_note  # a paced workshop's round: no file of rows (anonymity.room)
        elif not data.records:
            left_out[r.id] = ("no answers yet" if not data.received else
                              "its answers are not shown yet (fewer than the anonymity threshold so far)")
        else:
            answers.append(round_answers(r.id, r.label, data.export_frame, q, partnership.threshold))
    return answers, left_out


def everything_we_hold(store: Store, partnership_id: int, *, by: str,
                       clock: Callable[[], datetime] = now,
                       questionnaire_of: Callable[[str], Questionnaire] = _load) -> tuple[str, bytes]:
    """The file name and bytes of the partnership's zip; the download is recorded (by `by`, a
    kind of link: `AUDIT_ACTORS`) once the zip is made."""
    partnership = store.get_partnership(partnership_id)
    if partnership is None:
        raise InputError([Problem(path="partnership", message="This partnership no longer exists.")])
    # The answers first: looking at a round may take its next release step, which the tables show.
    answers, left_out = _answers(store, partnership, questionnaire_of)
    held = holdings(store, partnership_id)
    made_at = clock()
    tables: dict[str, tuple[tuple[str, ...], list[dict[str, object]]]] = {}
    for name, t in held.tables.items():
        if name in WITHHELD:
            continue
        drop = {key.split(".", 1)[1] for key in WITHHELD if key.startswith(f"{name}.")}
        columns = tuple(c for c in t.columns if c not in drop)
        tables[name] = (columns, [{c: row[c] for c in columns} for row in t.rows])
    data = everything_zip(partnership.name, made_at, tables, NOT_HELD, answers, left_out, WITHHELD)
    rows = sum(len(rows) for _, rows in tables.values()) + sum(len(a.rows) for a in answers)
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
