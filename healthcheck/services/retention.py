"""Retention: a partnership keeps individual answers for its retention period (default 24
months, `core.vocabulary.DEFAULT_RETENTION_MONTHS`) after a round closes; then `purge` deletes
them and keeps only the round's results as they were shown (`core.snapshot`): aggregate scores,
findings and counts, enough for the dashboard, the trend, the report and a funder's portfolio to
read exactly as before. Comments and written answers are individual answers: they go too.

`purge` is idempotent (a round already purged holds nothing more to delete), takes its clock as
an argument (tests), and returns what it removed. `healthcheck purge` runs it, and so does the
app once when it starts (`run_at_start`).
"""

from __future__ import annotations

import calendar
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from healthcheck.core.assess import Assessment
from healthcheck.core.questionnaire import Questionnaire, find_questionnaire, load_questionnaire
from healthcheck.core.rules import RulePack, load_rules
from healthcheck.core.snapshot import snapshot_document
from healthcheck.services.portfolio import Portfolio
from healthcheck.services.results import round_results
from healthcheck.store import Store, now
from healthcheck.store.retention import ClosedRound, closed_rounds, purge_round

__all__ = ["Purged", "add_months", "due", "portfolio_snapshot", "purge", "round_snapshot", "run_at_start"]

log = logging.getLogger("healthcheck.retention")


def add_months(when: datetime, months: int) -> datetime:
    """The same day and time `months` later (the month's last day when it has no such day)."""
    month = when.month - 1 + months
    year, month = when.year + month // 12, month % 12 + 1
    return when.replace(year=year, month=month, day=min(when.day, calendar.monthrange(year, month)[1]))


@dataclass(frozen=True)
class Purged:
    round_id: int
    partnership: str
    label: str
    removed: dict[str, int] = field(default_factory=dict)

    def describe(self) -> str:
        parts = ", ".join(f"{n} {t.replace('_', ' ')}" for t, n in sorted(self.removed.items()))
        return f"{self.partnership}: round '{self.label}' (#{self.round_id}): deleted {parts or 'nothing'}"


def due(store: Store, at: datetime | None = None) -> list[ClosedRound]:
    """Closed rounds past their partnership's retention period that still hold individual data."""
    at = at or now()
    return [c for c in closed_rounds(store)
            if add_months(c.closed_at, c.retention_months) <= at
            and (c.responses or c.participants or not c.summarised)]


def portfolio_snapshot(assessment: Assessment | None) -> dict[str, Any] | None:
    """The round's row in a funder's portfolio, built as `services.portfolio.store_portfolio`
    builds it from the same released answers (their assessment, with the round's treatment of
    small groups and the figures as shown)."""
    if assessment is None:
        return None
    row = Portfolio().add_assessment(assessment)
    return {"respondents": row.respondents, "means": dict(row.means), "scores": dict(row.scores),
            "bands": dict(row.bands), "framework_bands": dict(row.framework_bands),
            "risks": [{"rule": r.rule, "severity": r.severity, "title": r.title, "tasks": list(r.tasks),
                       "actions": [list(a) for a in r.actions], "margin": r.margin, "covers": list(r.covers)}
                      for r in row.risks],
            "not_checked": [{"rule": r.rule, "severity": r.severity, "title": r.title, "tasks": list(r.tasks),
                             "actions": [list(a) for a in r.actions]} for r in row.not_checked]}


def round_snapshot(store: Store, round_id: int, questionnaire: Questionnaire,
                   pack: RulePack) -> dict[str, Any]:
    """What to keep of a round: its results as shown now (the same path as every page)."""
    r = store.get_round(round_id)
    p = store.get_partnership(r.partnership_id) if r is not None else None
    if r is None or p is None:
        raise LookupError(round_id)
    data = round_results(store, round_id, questionnaire, pack, p.threshold, p.name)
    released = len(data.records)
    row = portfolio_snapshot(data.assessment if data.records else None)
    return snapshot_document(data.assessment, data.received, released, row)


def _questionnaires() -> Callable[[str], Questionnaire]:
    cache: dict[str, Questionnaire] = {}

    def get(qid: str) -> Questionnaire:
        if qid not in cache:
            cache[qid] = load_questionnaire(find_questionnaire(qid))
        return cache[qid]

    return get


def _purge_note(label: str, months: int) -> Callable[[dict[str, int]], str]:
    def note(removed: dict[str, int]) -> str:
        went = ", ".join(f"{n} {t.replace('_', ' ')}" for t, n in sorted(removed.items()))
        return (f"Deleted the individual answers of the round '{label}' ({went}): the partnership keeps "
                f"answers {months} months after a round closes. The round's aggregate results are kept.")
    return note


def purge(store: Store, *, at: datetime | None = None, pack: RulePack | None = None,
          questionnaire_of: Callable[[str], Questionnaire] | None = None, by: str = "system") -> list[Purged]:
    """Delete the individual answers of every round past its retention period, keeping its
    summary. Returns one entry per round that held something to delete (none on a second run).
    Each round purged gets a line in its partnership's audit log, by `by` (the app itself, or
    the command line), in the purge's transaction."""
    at = at or now()
    rounds = due(store, at)
    if not rounds:
        return []
    pack = pack or load_rules()
    questionnaire_of = questionnaire_of or _questionnaires()
    out = []
    for c in rounds:
        r = store.get_round(c.round_id)
        p = store.get_partnership(c.partnership_id)
        if r is None or p is None:
            continue  # deleted meanwhile
        q = questionnaire_of(r.questionnaire_id)
        snapshot = {} if c.summarised else round_snapshot(store, r.id, q, pack)
        removed = purge_round(store, r.id, snapshot, at=at, by=by,
                              note=_purge_note(r.label, c.retention_months))
        out.append(Purged(r.id, p.name, r.label, removed))
    return out


_started = threading.Lock()
_done: set[str] = set()


def run_at_start(store: Store, **kwargs: Any) -> list[Purged] | None:
    """`purge` once per store per process (the app calls this on every page run; only the first
    does the work). Failures are logged, never shown: the app must start regardless."""
    key = str(store.url)
    with _started:
        if key in _done:
            return None
        _done.add(key)
    try:
        purged = purge(store, **kwargs)
    except Exception:  # noqa: BLE001 - a purge that fails must not stop the app; it runs again next start
        log.exception("retention purge at start failed")
        return None
    for p in purged:
        log.info("retention: %s", p.describe())
    return purged
