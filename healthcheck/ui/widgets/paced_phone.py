"""A phone in a facilitator-paced workshop: organisation and level once, then only the question
the facilitator is on (each answer saved as it is given), its spread once the facilitator closes
it, and after the reveal three votes for the actions the room wants.

The phone follows the facilitator through the beacon (`ui.widgets.beacon`): the browser asks for
the workshop's state version every 1.5 seconds, about a millisecond of server work, and the page
runs again only when it changes (a Streamlit fragment ticking instead cost a page run per phone
per tick: a room of 60 would have needed a core of its own). The participant key lives in
the page session only (never in the address), like the self-paced form's submission key.
"""

from __future__ import annotations

from typing import Any

import streamlit as st

from healthcheck.core.errors import InputError
from healthcheck.core.pagetext import PageText
from healthcheck.core.questionnaire import Item, Questionnaire
from healthcheck.core.vocabulary import ORGANISATION_KINDS
from healthcheck.core.workshop import MAX_VOTES
from healthcheck.services import workshop as sw
from healthcheck.store import paced as pc
from healthcheck.store import workshops as ws
from healthcheck.ui.common import get_questionnaire, get_rules, get_store, is_outage, plain, submission_key
from healthcheck.ui.widgets.answer_fields import DONT_KNOW, level_question
from healthcheck.ui.widgets.beacon import follow
from healthcheck.ui.widgets.paced_view import current_item, spread

FOLLOW_SECONDS = 1.5  # poll the facilitator's place this often (phones follow within 2 s)


def _p(w: ws.WorkshopInfo) -> str:
    return f"pw{w.id}_"


def participant_key(w: ws.WorkshopInfo) -> str:
    return submission_key(_p(w) + "key")


def _follow(w: ws.WorkshopInfo) -> None:
    """Redraw the page when the facilitator moves, closes a question, reveals or ends."""
    st.caption("Your screen follows the facilitator.")
    follow(w.id, ws.drawn_version(w), key=f"{_p(w)}beacon", every=FOLLOW_SECONDS)


def _problem(exc: Exception) -> None:
    if isinstance(exc, InputError):
        st.session_state["pw_error"] = "\n\n".join(p.message for p in exc.problems)
    elif is_outage(exc):
        st.session_state["pw_error"] = ("We could not save that just now. Please choose your answer "
                                        "again in a moment.")
    else:
        raise exc


def _join(w: ws.WorkshopInfo) -> None:
    ss = st.session_state
    org, level = ss.get(_p(w) + "org"), ss.get(_p(w) + "level")
    if org is None or level is None:
        ss["pw_error"] = "Please choose your organisation and where you work first."
        return
    try:
        pc.join(get_store(), w.id, participant_key(w), int(org), str(level))
    except Exception as exc:  # noqa: BLE001 - shown as a plain message
        _problem(exc)


def _save(w: ws.WorkshopInfo, q: Questionnaire, item: Item) -> None:
    value = st.session_state.get(_p(w) + f"a:{item.id}")
    if value is None:
        return
    try:
        sw.answer(get_store(), w, q, participant_key(w), item.id, value)
    except Exception as exc:  # noqa: BLE001 - shown as a plain message
        _problem(exc)


def _vote(w: ws.WorkshopInfo, key: str) -> None:
    on = bool(st.session_state.get(_p(w) + f"v:{key}"))
    try:
        pc.vote(get_store(), w.id, participant_key(w), key, on)
    except Exception as exc:  # noqa: BLE001 - shown as a plain message
        _problem(exc)
        st.session_state[_p(w) + f"v:{key}"] = not on


def _question(w: ws.WorkshopInfo, q: Questionnaire) -> None:
    items, position, item = current_item(w, q)
    if item is None:
        st.info("This workshop has no questions to ask.")
        return
    closed = item.id in w.closed_items
    st.caption(f"Question {position + 1} of {len(items)}")
    if not item.is_asked_of(pc.participant_kind(get_store(), w.id, participant_key(w))):
        _not_yours(w, q, item, closed)
        return
    mine = pc.answers_of(get_store(), w.id, participant_key(w))
    key = _p(w) + f"a:{item.id}"
    saved = mine.get(item.id)
    st.session_state[key] = saved  # what the store holds is what the phone shows
    label = plain(item.text)
    if item.type == "likert":
        labels = list(q.scale.labels)
        options: list[Any] = [1, 2, 3, 4, 5, DONT_KNOW]

        def fmt(v: Any) -> str:
            return q.scale.dont_know if v == DONT_KNOW else labels[int(v) - 1]
    else:
        names = {c.id: c.label for c in item.choices}
        options = list(names)
        fmt = names.__getitem__
    st.radio(label, options, key=key, format_func=fmt, disabled=closed and saved is not None,
             on_change=_save, args=(w, q, item))
    if saved is not None:
        st.caption("Your answer is saved." + ("" if closed else " You can change it until the "
                                                               "facilitator closes the question."))
    if closed:
        spread(w, q, item, key="pw_spread", width=300)
    else:
        st.caption("The spread of answers appears when the facilitator closes the question.")


def _not_yours(w: ws.WorkshopInfo, q: Questionnaire, item: Item, closed: bool) -> None:
    """A question not asked of this participant's kind of organisation: no answer buttons (the
    self-paced form leaves it out; `services.workshop.answer` refuses it too)."""
    st.markdown(plain(item.text))
    kinds = [ORGANISATION_KINDS.get(k, k) for k in item.asked_of]
    who = kinds[0] if len(kinds) == 1 else ", ".join(kinds[:-1]) + " or " + kinds[-1]
    st.info(f"This question is for {who} staff; the room will discuss it together.")
    if closed:
        spread(w, q, item, key="pw_spread", width=300)


def _votes(w: ws.WorkshopInfo, q: Questionnaire) -> None:
    store = get_store()
    data = sw.paced_results(store, w, q, get_rules())
    actions = sw.room_actions(data.assessment, q)
    st.subheader("Which actions should we take?")
    if not actions:
        st.info("No actions are suggested yet. The facilitator will tell you what comes next.")
        return
    mine = pc.votes_of(store, w.id, participant_key(w))
    st.caption(f"You have {MAX_VOTES} votes: tick up to {MAX_VOTES} actions. "
               f"Used: {len(mine)} of {MAX_VOTES}.")
    for a in actions:
        key = _p(w) + f"v:{a.key}"
        st.session_state[key] = a.key in mine
        st.checkbox(plain(a.text), key=key, on_change=_vote, args=(w, a.key),
                    disabled=a.key not in mine and len(mine) >= MAX_VOTES,
                    help=f"From the finding: {a.finding}")


def render(w: ws.WorkshopInfo, tr: PageText) -> None:
    """The paced participant page (after the workshop's title); it follows the facilitator."""
    _page(w, tr)
    _follow(w)  # last on the page


def _page(w: ws.WorkshopInfo, tr: PageText) -> None:
    store = get_store()
    q = get_questionnaire(w.questionnaire_id)
    problem = st.session_state.pop("pw_error", None)
    if problem:
        st.error(plain(problem))
    if pc.participant(store, w.id, participant_key(w)) is None:
        orgs = store.organisations(w.partnership_id)
        if not orgs:
            st.info(tr("workshop.not_ready"))
            return
        st.caption(tr("workshop.anonymous", threshold=w.threshold))
        names = {o.id: o.name for o in orgs}
        st.selectbox(tr("your_organisation"), list(names), index=None, key=_p(w) + "org",
                     format_func=lambda o: plain(names[o], markdown=False),
                     placeholder=tr("choose_organisation"))
        level_question(tr, _p(w) + "level")
        st.button("Join the workshop", type="primary", key=_p(w) + "join", width="stretch",
                  on_click=_join, args=(w,))
        return
    if w.revealed:
        _votes(w, q)
    else:
        _question(w, q)
