"""Retention (issue 16): after a partnership's retention period a closed round's individual
answers are deleted and only its shown results are kept; the dashboard, the trend, the report
and a funder's portfolio read exactly the same afterwards. On SQLite and PostgreSQL.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import update

from healthcheck.cli import main
from healthcheck.core.anonymity import low_score_comments
from healthcheck.core.snapshot import RoundSnapshot
from healthcheck.present import views
from healthcheck.present.report import report_bytes
from healthcheck.services import portfolio as pf
from healthcheck.services import retention
from healthcheck.services.results import RoundData, round_results, shared_results
from healthcheck.store import Round, Store, audit
from healthcheck.store.retention import round_summary

from ..governance_data import counts, pack, populate, questionnaire

NOW = datetime(2027, 3, 1, 9, 0, tzinfo=UTC)
NAME = "Harbour + City"


def _closed_at(store: Store, round_id: int, when: datetime) -> None:
    with store.writing() as s:
        s.execute(update(Round).where(Round.id == round_id).values(closed_at=when))


def _data(store: Store, round_id: int) -> RoundData:
    return round_results(store, round_id, questionnaire(), pack(), 3, NAME)


def _frames(*frames: Any) -> list[str]:
    return [f.to_json(orient="records", double_precision=15) for f in frames]


def _screen(store: Store, round_id: int, previous: int | None) -> dict[str, Any]:
    """Everything the dashboard and the report show of a round (comments aside: see below)."""
    data = _data(store, round_id)
    a = data.assessment
    assert a is not None
    s = a.scores
    prev = _data(store, previous).assessment if previous is not None else None
    shown: dict[str, Any] = {
        "sentence": views.summary_sentence(s, a.findings),
        "groups": _frames(views.group_status(s, "organisation"), views.group_status(s, "level")),
        "radar": _frames(*(views.radar_frame(s, "tasks", by=by) for by in ("organisation", "level", None))),
        "tables": _frames(*(views.dimension_table(s, fw) for fw in ("factors", "prerequisites", "tasks"))),
        "findings": views.finding_rows(a.findings, a.questionnaire),
        "gaps": views.largest_gaps(s, 5),
        "document": a.as_dict(),
        "held_back": data.held_back,
        "received": data.received,
        "report": report_bytes(a, previous=prev, previous_label="Spring" if prev else None,
                               actions=store.actions(store.get_round(round_id).partnership_id),
                               comments={}, fmt="md", round_label="R", date="2027-01-01").decode(),
    }
    if prev is not None:
        shown["change"] = _frames(views.changes(s, prev.scores))
        shown["trend"] = _frames(*(views.trend_frame([("Spring", prev.scores), ("Autumn", s)], fw)
                                   for fw in ("factors", "prerequisites", "tasks")))
    return shown


def _portfolio(store: Store, funder_id: int) -> tuple[list[dict[str, Any]], list[Any], dict[str, Any]]:
    """The funder's rows as shown and exported, their risks, and each drill-down. (Unrounded, a
    live row's `change` moves in the 14th digit with which other partnerships share its scoring
    table; so it is compared to 1e-9.)"""
    portfolio, entries = pf.store_portfolio(store, funder_id, pack(), lambda _qid: questionnaire())
    rows = [r.as_dict() | {"change_exact": None if r.change is None else pytest.approx(r.change, abs=1e-9),
                           "means": r.means, "bands": r.bands, "framework_bands": r.framework_bands,
                           "key": r.key} for r in portfolio.rows]
    detail = {}
    for name, entry in entries.items():
        data = shared_results(store, funder_id, entry.round_id, questionnaire(), pack(), entry.threshold,
                              name)
        assert data is not None and data.assessment is not None
        detail[name] = data.assessment.as_dict()  # the drill-down
    return rows, [r.risks for r in portfolio.rows], detail


def test_purge_keeps_every_screen_identical_and_deletes_the_answers(store: Store) -> None:
    a = populate(store, NAME)
    populate(store, "Riverside + Westshire", seed=5, funder_id=a.funder_id)  # another row in the portfolio
    _closed_at(store, a.spring, NOW - timedelta(days=800))  # 26 months ago
    spring_before = _screen(store, a.spring, None)
    autumn_before = _screen(store, a.autumn, a.spring)
    spring_comments = low_score_comments(_data(store, a.spring).frame, questionnaire(), 3)
    assert spring_comments  # there were comments to lose
    portfolio_before = _portfolio(store, a.funder_id)
    before = counts(store)

    purged = retention.purge(store, at=NOW, pack=pack())

    assert [(p.round_id, p.removed) for p in purged] == [(a.spring, {"responses": 11})]
    assert "round 'Spring'" in purged[0].describe() and "11 responses" in purged[0].describe()
    after = counts(store)
    assert after["responses"] == before["responses"] - 11 and after["round_summaries"] == 1
    assert after["audit_events"] == before["audit_events"] + 1  # recorded in the purge's transaction
    line = audit.events(store, a.partnership_id, limit=1)[0]
    assert (line.actor, line.action) == ("system", "data.purged")
    assert line.description == ("Deleted the individual answers of the round 'Spring' (11 responses): the "
                                "partnership keeps answers 24 months after a round closes. The round's "
                                "aggregate results are kept.")
    assert store.response_records(a.spring) == []
    assert _screen(store, a.spring, None) == spring_before
    assert _screen(store, a.autumn, a.spring) == autumn_before  # change and trend against the kept round
    assert _portfolio(store, a.funder_id) == portfolio_before
    assert low_score_comments(_data(store, a.spring).frame, questionnaire(), 3) == {}  # comments went

    # later the autumn round closes and its time comes too: the latest row is kept, change as well
    store.close_round(a.autumn)
    _closed_at(store, a.autumn, NOW - timedelta(days=740))
    _closed_at(store, a.workshop_round, NOW - timedelta(days=740))
    assert [p.round_id for p in retention.purge(store, at=NOW, pack=pack())] == [a.autumn, a.workshop_round]
    assert _screen(store, a.autumn, a.spring) == autumn_before
    assert _portfolio(store, a.funder_id) == portfolio_before
    # only the open workshops: the other partnership's (4) and each partnership's paced one (3 each)
    assert counts(store)["workshop_participants"] == 4 + 3 + 3
    logged = audit.events(store, a.partnership_id)
    assert retention.purge(store, at=NOW + timedelta(days=400), pack=pack()) == []  # idempotent
    assert audit.events(store, a.partnership_id) == logged  # and nothing more recorded


def test_snapshot_keeps_only_aggregates_within_the_anonymity_rules(store: Store) -> None:
    a = populate(store, NAME)
    _closed_at(store, a.spring, NOW - timedelta(days=800))
    retention.purge(store, at=NOW, pack=pack())
    summary = round_summary(store, a.spring)
    assert summary is not None
    text = json.dumps(summary)
    assert "Comment" not in text and "R1" not in text and "r1" not in text  # no comments, no respondents
    snap = RoundSnapshot.model_validate(summary)
    assert snap.scores is not None and snap.received == 11
    # Foster Co sent 2 answers (below the threshold of 3): no count, no score of its own anywhere;
    # by default (issue 13: pool before hide) its people are left out of the figures, and the
    # snapshot keeps that (named, never counted), so the page still says so
    assert "Foster Co" not in snap.scores.organisations
    assert snap.scores.anonymity.organisation.left_out == ["Foster Co"]
    assert snap.scores.left_out == 2 and snap.scores.small_groups == "pool"
    for d in snap.scores.dimensions:
        assert d.by_organisation.get("Foster Co") is None


def test_retention_period_is_the_partnerships_setting(store: Store) -> None:
    a = populate(store, NAME)
    assert store.get_partnership(a.partnership_id).retention_months == 24  # the default
    _closed_at(store, a.spring, datetime(2025, 1, 31, tzinfo=UTC))
    store.update_partnership(a.partnership_id, retention_months=36)
    assert retention.due(store, datetime(2027, 12, 31, tzinfo=UTC)) == []
    assert [c.round_id for c in retention.due(store, datetime(2028, 1, 31, tzinfo=UTC))] == [a.spring]
    store.update_partnership(a.partnership_id, retention_months=1)
    assert retention.due(store, datetime(2025, 2, 27, tzinfo=UTC)) == []
    assert [c.round_id for c in retention.due(store, datetime(2025, 2, 28, tzinfo=UTC))] == [a.spring]
    for bad in (0, 121, True):
        with pytest.raises(Exception, match="months"):
            store.update_partnership(a.partnership_id, retention_months=bad)


def test_add_months_keeps_the_day_or_takes_the_months_last() -> None:
    assert retention.add_months(datetime(2025, 1, 31, 8, tzinfo=UTC), 1) == datetime(2025, 2, 28, 8,
                                                                                      tzinfo=UTC)
    assert retention.add_months(datetime(2024, 2, 29, tzinfo=UTC), 24) == datetime(2026, 2, 28, tzinfo=UTC)
    assert retention.add_months(datetime(2025, 11, 15, tzinfo=UTC), 2) == datetime(2026, 1, 15, tzinfo=UTC)


def test_cli_purge_prints_what_it_removed_and_a_second_run_nothing(
        db_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    with Store(db_url) as store:
        a = populate(store, NAME)
        _closed_at(store, a.spring, datetime(2025, 1, 10, tzinfo=UTC))
    assert main(["purge", "--now", "2027-01-09", "--database-url", db_url]) == 0
    assert capsys.readouterr().out.strip() == "Nothing to purge."
    assert main(["purge", "--now", "2027-01-10T12:00", "--dry-run", "--database-url", db_url]) == 0
    assert "would purge round #" in capsys.readouterr().out
    assert main(["purge", "--now", "2027-01-10T12:00", "--database-url", db_url]) == 0
    out = capsys.readouterr().out
    assert "Harbour + City: round 'Spring'" in out and "11 responses" in out and "Purged 1 round(s)." in out
    with Store(db_url) as store:
        line = audit.events(store, a.partnership_id, limit=1)[0]
        assert (line.actor, line.action) == ("command_line", "data.purged")
    assert main(["purge", "--now", "2027-01-10T12:00", "--database-url", db_url]) == 0
    assert capsys.readouterr().out.strip() == "Nothing to purge."


def test_the_app_purges_once_at_start(store: Store) -> None:
    a = populate(store, NAME)
    _closed_at(store, a.spring, datetime(2020, 1, 1, tzinfo=UTC))
    first = retention.run_at_start(store, pack=pack())
    assert first is not None and [p.round_id for p in first] == [a.spring]
    assert retention.run_at_start(store, pack=pack()) is None  # once per process


def test_serve_purges_before_starting_and_starts_even_without_a_database(
        db_url: str, tmp_path: Any, capsys: pytest.CaptureFixture[str]) -> None:
    from healthcheck.cli import serve

    with Store(db_url) as store:
        a = populate(store, NAME)
        _closed_at(store, a.spring, datetime(2020, 1, 1, tzinfo=UTC))
    serve._purge(db_url)  # noqa: SLF001 - the step `healthcheck serve` takes before starting the app
    assert "retention: Harbour + City: round 'Spring'" in capsys.readouterr().err
    with Store(db_url) as store:
        assert store.response_records(a.spring) == []
    serve._purge(f"sqlite:///{tmp_path}/no/such/dir/\0bad.db")  # noqa: SLF001
    assert "retention: not run now" in capsys.readouterr().err
