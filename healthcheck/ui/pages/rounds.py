"""Rounds: open a round and share its respondent link, watch response counts, close it."""

from __future__ import annotations

from datetime import UTC, datetime

import streamlit as st

from healthcheck.core.anonymity import visible_counts
from healthcheck.core.errors import InputError
from healthcheck.store import ROUND_KINDS, RoundInfo
from healthcheck.store.retention import round_summary
from healthcheck.ui.common import (
    PURGED_NOTE,
    QUESTIONNAIRE_CHOICES,
    AdminContext,
    count_text,
    get_questionnaire,
    plain,
    respondent_link,
    show_problems,
)
from healthcheck.ui.widgets.sharing_panel import render as sharing_panel
from healthcheck.ui.widgets.small_groups import render as small_groups_choice
from healthcheck.ui.widgets.workshop_setup import render_create as workshop_panel

_LINKS = "hc_round_links"


def _links() -> dict[int, str]:
    return st.session_state.setdefault(_LINKS, {})


def _open_round(ctx: AdminContext) -> None:
    st.subheader("Open a new round")
    with st.form("open_round", clear_on_submit=False, border=True):
        label = st.text_input("Label", value=f"Away day, {datetime.now(UTC):%B %Y}", key="round_label",
                              help="Respondents see this label, e.g. 'Away day, March 2026'.")
        qid = st.selectbox("Questionnaire", list(QUESTIONNAIRE_CHOICES),
                           index=list(QUESTIONNAIRE_CHOICES).index(ctx.partnership.questionnaire_id)
                           if ctx.partnership.questionnaire_id in QUESTIONNAIRE_CHOICES else 0,
                           format_func=QUESTIONNAIRE_CHOICES.__getitem__, key="round_questionnaire")
        kind = st.radio("Kind", list(ROUND_KINDS), format_func=ROUND_KINDS.__getitem__, horizontal=True,
                        key="round_kind")
        opened = st.form_submit_button("Open the round", type="primary")
    if opened:
        q = get_questionnaire(qid)
        try:
            info, token = ctx.store.open_round(ctx.partnership.id, label, q.id, q.version, kind)
        except InputError as exc:
            show_problems(exc)
            return
        _links()[info.id] = respondent_link(token)
        st.success(f"Round '{plain(info.label)}' is open. Share its link below with respondents.")


def _round_panel(ctx: AdminContext, r: RoundInfo, latest: bool) -> None:
    store = ctx.store
    threshold = ctx.partnership.threshold
    state = "open" if r.is_open else f"closed {r.closed_at:%d %b %Y}" if r.closed_at else "closed"
    with st.expander(f"{plain(r.label)} ({state})", expanded=latest):
        st.caption(f"Opened {r.opened_at:%d %b %Y} · {ROUND_KINDS.get(r.kind, r.kind)} · "
                   f"questionnaire {r.questionnaire_id} version {r.questionnaire_version}")
        kept = round_summary(store, r.id)
        if kept is not None:  # purged: the answers are gone, their number as it was shown is kept
            st.markdown(f"**Responses:** {count_text(int(kept.get('received', 0)), threshold)}")
            st.caption(PURGED_NOTE)
            sharing_panel(ctx, r)
            return
        counts = store.response_counts(r.id)
        total = sum(counts.values())
        st.markdown(f"**Responses so far:** {count_text(total, threshold)}")
        visible = visible_counts(counts, threshold)  # a lone hidden count must not be derivable
        # st.table renders Markdown in its cells: organisation names are shown through plain().
        rows = [{"organisation": plain(org), "responses": count_text(n, threshold) if visible[org] is not None
                 or n < threshold else "hidden for anonymity"} for org, n in counts.items()]
        if rows:
            st.table(rows, hide_index=True)
        st.caption(f"Counts under {threshold} are shown as \"fewer than {threshold}\" so nobody can "
                   "be picked out.")
        small_groups_choice(ctx, r)
        sharing_panel(ctx, r)
        if not r.is_open:
            return
        link = _links().get(r.id)
        if link:
            st.markdown("**Respondent link** (share it with everyone who should answer):")
            st.code(link, language=None, wrap_lines=True)
        else:
            st.caption("For safety the respondent link is shown only when it is made. If you have lost "
                       "it, make a new one (the old link then stops working).")
        left, right = st.columns(2)
        if left.button("Make a new respondent link", key=f"rotate_{r.id}"):
            _links()[r.id] = respondent_link(store.rotate_respondent_token(r.id))
            st.rerun()
        if right.button("Close this round", key=f"close_{r.id}", type="secondary",
                        help="Respondents can no longer answer. Results stay on the dashboard."):
            store.close_round(r.id)
            _links().pop(r.id, None)
            st.rerun()


def render(ctx: AdminContext) -> None:
    st.title("Rounds")
    st.markdown("A round is one run of the health check: open it, share its link, and close it when "
                "everyone has answered. Repeat it every six months or so to see the distance travelled.")
    _open_round(ctx)
    workshop_panel(ctx)
    rounds = list(reversed(ctx.store.rounds(ctx.partnership.id)))
    if not rounds:
        st.info("No rounds yet. Open the first one above, then share its link.")
        return
    st.subheader("Rounds")
    for i, r in enumerate(rounds):
        _round_panel(ctx, r, latest=i == 0)
