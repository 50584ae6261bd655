"""The facilitator's console of a paced workshop: step through the questions (next, back, jump
to a section), close a question to show its spread and discussion prompt, then reveal the results
and let the room vote on the recommended actions, and send the chosen ones to the action plan.

The facilitator's place is stored in the workshop's row, so every app process agrees on it. A
fragment polls the store every second: it takes the next step of the figures when one is due,
shows the live counts (and, after the reveal, the vote counts), and redraws the page when the
workshop's version number has changed (a step, a move, a close, the reveal).
"""

from __future__ import annotations

import functools

import pandas as pd
import streamlit as st

from healthcheck.core.anonymity import votes_note, votes_shown
from healthcheck.core.errors import InputError
from healthcheck.core.questionnaire import Item, Questionnaire
from healthcheck.core.rules import RulePack
from healthcheck.core.workshop import MAX_VOTES, section_starts
from healthcheck.present import views
from healthcheck.services import workshop as sw
from healthcheck.store import paced as pc
from healthcheck.store import workshops as ws
from healthcheck.ui.common import get_questionnaire, get_rules, get_store, plain, show_problems
from healthcheck.ui.widgets.paced_view import current_item, spread
from healthcheck.ui.widgets.workshop_results import asked, findings, guarded_fragment, radars

LIVE_SECONDS = 1.5


@functools.lru_cache(maxsize=1)
def _rules() -> RulePack:
    return get_rules()


def _move(w: ws.WorkshopInfo, position: int, count: int) -> None:
    pc.set_position(get_store(), w.id, position, count)


def _jump(w: ws.WorkshopInfo, count: int) -> None:
    target = st.session_state.get("pc_section")
    if isinstance(target, int):
        _move(w, target, count)


def _close_question(w: ws.WorkshopInfo, q: Questionnaire, item: Item) -> None:
    store = get_store()
    pc.close_question(store, w.id, item.id)
    fresh = ws.get_workshop(store, w.id)
    if fresh is not None:
        sw.step_figures(store, fresh, q)


def _controls(w: ws.WorkshopInfo, q: Questionnaire, items: list[Item], position: int,
              item: Item | None) -> None:
    store = get_store()
    n = len(items)
    back, nxt, close_q, reveal = st.columns(4)
    back.button("Back", key="pc_back", width="stretch", disabled=w.revealed or position <= 0,
                on_click=_move, args=(w, position - 1, n), icon=":material/arrow_back:")
    nxt.button("Next question", key="pc_next", width="stretch", disabled=w.revealed or position >= n - 1,
               on_click=_move, args=(w, position + 1, n), icon=":material/arrow_forward:", type="primary")
    if item is not None and not w.revealed:
        close_q.button("Close question, show the spread", key="pc_close_q", width="stretch",
                       disabled=item.id in w.closed_items or not w.is_open,
                       on_click=_close_question, args=(w, q, item))
    if w.revealed:
        if reveal.button("Back to the questions", key="pc_hide", width="stretch"):
            ws.reveal(store, w.id, False)
            st.rerun()
    elif reveal.button("Show results and vote", key="pc_reveal", width="stretch", type="primary"):
        ws.reveal(store, w.id, True)
        st.rerun()
    starts = section_starts(items, q)
    if len(starts) > 1 and not w.revealed:
        titles = {start: title for title, start in starts}
        current = max((s for s in titles if s <= position), default=0)
        st.session_state["pc_section"] = current
        st.selectbox("Jump to a section", list(titles), key="pc_section", format_func=titles.__getitem__,
                     on_change=_jump, args=(w, n))
    if w.is_open:
        left, right = st.columns([1, 3])
        confirm = left.checkbox("Yes, stop taking answers", key="ws_confirm_close")
        if right.button("Close workshop", key="ws_close", disabled=not confirm,
                        help="No more answers after this. The results stay."):
            sw.close_workshop(store, w, q)
            st.rerun()


def _live_body(workshop_id: int, drawn: int, item_id: str | None) -> None:
    store = get_store()
    w = ws.get_workshop(store, workshop_id)
    if w is None:
        st.error("This workshop no longer exists.")
        return
    q = get_questionnaire(w.questionnaire_id)
    if w.is_open:
        sw.step_figures(store, w, q)  # a step moves the version: the page redraws below
    if pc.pace_version(store, workshop_id) != drawn:
        st.rerun(scope="app")
    status = ws.live_status(store, workshop_id)
    joined = status.participants if status is not None else 0
    a, b = st.columns(2)
    a.metric("Joined", joined)
    if item_id is not None and not w.revealed:
        b.metric("Answered this question", pc.answer_counts(store, workshop_id).get(item_id, 0))
    if w.revealed:
        _vote_counts(w, q)


_live = st.fragment(run_every=LIVE_SECONDS)(guarded_fragment(_live_body))


def _vote_counts(w: ws.WorkshopInfo, q: Questionnaire) -> None:
    data = sw.paced_results(get_store(), w, q, _rules())
    actions = sw.room_actions(data.assessment, q)
    if not actions:
        return
    counts = pc.vote_counts(get_store(), w.id)
    st.markdown(f"**The room's votes** (each person has {MAX_VOTES})")
    st.caption(f"{sum(counts.values())} votes given so far")
    if not votes_shown(pc.voters(get_store(), w.id), w.threshold):
        # Counts moving one vote at a time would show what a colleague chose (anonymity.room).
        st.caption(votes_note(w.threshold))
        return
    rows = [{"Action": a.text, "Finding": a.finding, "Votes": counts.get(a.key, 0)} for a in actions]
    table = pd.DataFrame(rows).sort_values("Votes", ascending=False, kind="stable")
    st.dataframe(table, hide_index=True, key="pc_votes")


def _question(w: ws.WorkshopInfo, q: Questionnaire, items: list[Item], position: int, item: Item) -> None:
    st.caption(f"Question {position + 1} of {len(items)}")
    st.markdown(f"## {plain(item.text)}")
    if item.id in w.closed_items:
        spread(w, q, item, key="pc_spread", width=760)
    else:
        st.info("Answers are coming in. Close the question to show the spread of answers.")


def _results(w: ws.WorkshopInfo, q: Questionnaire) -> None:
    store = get_store()
    data = sw.paced_results(store, w, q, _rules())
    if data.assessment is None:
        st.info(f"Results appear once at least {w.threshold} people have answered the closed questions, "
                "so nobody's answers can be picked out.")
        return
    st.header("Results")
    st.caption(f"From {len(data.records)} people's answers to the closed questions. Answers move into "
               f"the results in steps of at least {w.threshold}, so nobody's answers can be picked out.")
    radars(data, asked(w), None, key="pc_radar", size=520)
    for line in views.anonymity_notes(data.assessment.scores):  # the whole room only (core.anonymity.room)
        st.caption(plain(line))
    st.header("Risk flags")
    findings(data, q)
    actions = sw.room_actions(data.assessment, q)
    if not actions:
        return
    st.header("Choose the actions")
    names = {a.key: a.text for a in actions}
    chosen = st.multiselect("Actions to send to the action plan", list(names), key="pc_chosen",
                            format_func=lambda k: plain(names[k], markdown=False),
                            placeholder="Choose the actions the room voted for")
    if st.button("Send to the action plan", key="pc_send", type="primary", disabled=not chosen):
        try:
            added = sw.send_actions(store, w, [a for a in actions if a.key in chosen],
                                    pc.vote_counts(store, w.id))
        except InputError as exc:
            show_problems(exc)
        else:
            st.success(f"{len(added)} action(s) added to the partnership's action plan, with their votes. "
                       "Fill in owners and dates on the Actions page.")


def render(w: ws.WorkshopInfo) -> None:
    """The paced console (below the header with the join code)."""
    q = get_questionnaire(w.questionnaire_id)
    items, position, item = current_item(w, q)
    _controls(w, q, items, position, item)
    if w.is_open:
        _live(w.id, w.version, item.id if item is not None else None)
    if w.revealed:
        _results(w, q)
    elif item is not None:
        _question(w, q, items, position, item)
