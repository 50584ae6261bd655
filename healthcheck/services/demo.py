"""Load the demo partnerships (healthcheck.demo.STORIES) into a Store.

Each story becomes a partnership with its organisations, two rounds (an away day about six
months ago, closed, and the six-month check now, open), the partner team notes of the story and,
for the "money" story, a couple of action items. Used by `healthcheck demo`, `healthcheck serve
--demo`, the app tests and the dashboard benchmark.

It also creates a demo funder, "Bright Futures Fund (demo)", with which three of the four
partnerships shared their rounds (the latest and the earlier one, so the portfolio shows the
change; one partnership shared its comments too); the fourth did not share, so the funder's
portfolio does not show it.

Loading twice does not duplicate anything: a story whose partnership name already exists is
skipped, and its admin link is issued afresh (`Store.rotate_admin_token`), because the store
keeps only hashes of tokens. The demo funder likewise is created once; later loads give it a new
link (`sharing.rotate_funder_token`) and leave its shares as they are.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import select

from healthcheck.core.questionnaire import Questionnaire, find_questionnaire, load_questionnaire
from healthcheck.core.responses import records_from_frame
from healthcheck.core.rules import RulePack, load_rules
from healthcheck.services.demo_stories import STORIES, Story, story_responses
from healthcheck.store import Store, sharing

__all__ = ["DEMO_FUNDER", "DEMO_NAMES", "DEMO_SHARED", "DemoLinks", "demo_round_labels", "load_demo",
           "load_demo_links"]

DEMO_NAMES: tuple[str, ...] = tuple(s.partnership for s in STORIES)
DEMO_THRESHOLD = 3
DEMO_FUNDER = "Bright Futures Fund (demo)"
# Story key -> whether its comments are shared too. The "new" story does not share at all.
_SHARED_STORIES: dict[str, bool] = {"money": False, "strong": False, "leaderless": True}
DEMO_SHARED: tuple[str, ...] = tuple(s.partnership for s in STORIES if s.key in _SHARED_STORIES)


@dataclass(frozen=True)
class DemoLinks:
    """The demo's fresh tokens: (partnership name, admin token) per story, and the funder's."""

    partnerships: list[tuple[str, str]]
    funder_name: str
    funder_token: str


def _month_year(when: date) -> str:
    return when.strftime("%B %Y")


def demo_round_labels(today: date | None = None) -> tuple[str, str]:
    """Labels of the two demo rounds: an away day about six months ago and a check now."""
    today = today or datetime.now(UTC).date()
    earlier = today - timedelta(days=182)
    return f"Away day, {_month_year(earlier)}", f"Six-month check, {_month_year(today)}"


_BY = "command_line"  # the demo is loaded by `healthcheck demo` or `healthcheck serve --demo`


def _demo_actions(store: Store, partnership_id: int, round_id: int, pack: RulePack) -> None:
    """Two action items agreed at the first away day of the "money" story."""
    today = datetime.now(UTC).date()
    wanted = [("unfunded-partnership-time", "Finance lead, Harbour Music", today - timedelta(days=30),
               "in_progress"),
              ("promised-not-delivered", "Head of Service, City Children's Services",
               today + timedelta(days=21), "open")]
    for rule_id, owner, due, status in wanted:
        rule = pack.by_id.get(rule_id)
        if rule is None or not rule.actions:
            continue
        action = rule.actions[0]
        store.add_action(partnership_id, round_id, action.text, owner=owner, task=action.task,
                         rule_id=rule_id, due_date=due, status=status, by=_BY)


def _load_story(store: Store, q: Questionnaire, story: Story, pack: RulePack) -> str:
    info, token = store.create_partnership(
        story.partnership, q.id, DEMO_THRESHOLD, [(o.name, o.kind) for o in story.orgs], by=_BY)
    orgs = {o.name: o.id for o in store.organisations(info.id)}
    first_label, second_label = demo_round_labels()
    first, _ = store.open_round(info.id, first_label, q.id, q.version, by=_BY)
    store.import_records(first.id, records_from_frame(story_responses(q, story, 1), q))
    store.close_round(first.id, by=_BY)
    second, _ = store.open_round(info.id, second_label, q.id, q.version, by=_BY)
    store.import_records(second.id, records_from_frame(story_responses(q, story, 2), q))
    for org_name, notes in story.team_notes.items():
        if org_name not in orgs:
            continue
        for question, text in notes.items():
            store.set_team_note(info.id, orgs[org_name], question, text, by=_BY)
    if story.key == "money":
        _demo_actions(store, info.id, first.id, pack)
    return token


def _demo_funder(store: Store) -> str:
    """The demo funder's link token: created with its shares the first time, rotated afterwards."""
    with store.reading() as s:
        existing = s.scalars(select(sharing.Funder.id).where(sharing.Funder.name == DEMO_FUNDER)
                             .order_by(sharing.Funder.id)).first()
    if existing is not None:
        return sharing.rotate_funder_token(store, existing)
    funder, token = sharing.create_funder(store, DEMO_FUNDER)
    ids = {p.name: p.id for p in store.list_partnerships()}
    for story in STORIES:
        if story.key not in _SHARED_STORIES or story.partnership not in ids:
            continue
        for r in store.rounds(ids[story.partnership]):  # both rounds, so the portfolio shows the change
            sharing.share_round(store, r.id, funder.id, include_comments=_SHARED_STORIES[story.key], by=_BY)
    return token


def load_demo_links(store: Store, questionnaire: Questionnaire | None = None,
                    pack: RulePack | None = None) -> DemoLinks:
    """Put every demo story and the demo funder into `store`; returns their fresh tokens.

    Stories already in the store (same partnership name) are not loaded again; their admin
    token is rotated so the returned link works (the previous demo link stops working). The
    same goes for the demo funder's link."""
    q = questionnaire or load_questionnaire(find_questionnaire("core"))
    pack = pack or load_rules()
    existing = {p.name: p.id for p in store.list_partnerships()}
    out: list[tuple[str, str]] = []
    for story in STORIES:
        if story.partnership in existing:
            token = store.rotate_admin_token(existing[story.partnership])
        else:
            token = _load_story(store, q, story, pack)
        out.append((story.partnership, token))
    return DemoLinks(out, DEMO_FUNDER, _demo_funder(store))


def load_demo(store: Store, questionnaire: Questionnaire | None = None,
              pack: RulePack | None = None) -> list[tuple[str, str]]:
    """`load_demo_links`, returning only (partnership name, admin token) per story."""
    return load_demo_links(store, questionnaire, pack).partnerships


def only_demo_in(store: Store) -> bool:
    """Whether the store holds no partnerships but the demo ones: then loading the demo (which
    rotates the demo links) touches nobody's own data."""
    return {p.name for p in store.list_partnerships()} <= set(DEMO_NAMES)
