"""The "Run a live workshop" panel of the Rounds page: make a workshop round and get its
facilitator link."""

from __future__ import annotations

import logging

import streamlit as st

from healthcheck.core.errors import InputError
from healthcheck.core.frameworks import DIMENSION_BY_ID, FRAMEWORKS
from healthcheck.store import workshops as ws
from healthcheck.ui.common import (
    AdminContext,
    base_url,
    get_questionnaire,
    plain,
    show_problems,
)

log = logging.getLogger("healthcheck.ui")


_LINKS = "hc_workshop_links"


def facilitator_link(token: str) -> str:
    return f"{base_url()}/?facilitate={token}"


def _links() -> dict[int, str]:
    return st.session_state.setdefault(_LINKS, {})


def render_create(ctx: AdminContext) -> None:
    """The "Run a live workshop" panel: make a workshop round and get its facilitator link."""
    st.subheader("Run a live workshop")
    st.markdown("Everyone in the room answers a short questionnaire on their phone with a join code; "
                "you show the live count on a projector and reveal the results when you are ready. "
                "The workshop is kept as a round of this partnership.")
    q = get_questionnaire(ws.DEFAULT_QUESTIONNAIRE)
    with st.form("create_workshop", border=True):
        title = st.text_input("Title", value="Partnership workshop", key="ws_title", max_chars=200)
        chosen = st.multiselect(
            "Only these areas (optional)", list(q.dimensions), key="ws_dims",
            format_func=lambda d: f"{FRAMEWORKS[DIMENSION_BY_ID[d].framework]}: {DIMENSION_BY_ID[d].label}",
            placeholder="All areas of the pulse check",
            help="Leave empty to ask the whole pulse check (about 5 minutes).")
        paced = st.toggle(
            "I set the pace (one question at a time)", key="ws_paced", value=False,
            help="Phones show only the question you are on. You close each question to show the room "
                 "its spread and a question to talk about, then the room votes on the actions. Off: "
                 "everyone answers all the questions at their own pace and you reveal the results at "
                 "the end.")
        made = st.form_submit_button("Run a live workshop", type="primary")
    if made:
        try:
            info, token = ws.create_workshop(ctx.store, ctx.partnership.id, title, q.id, chosen or None,
                                             questionnaire=q, paced=paced)
        except InputError as exc:
            show_problems(exc)
        else:
            _links()[info.id] = facilitator_link(token)
            st.success(f"Workshop '{plain(info.title)}' is ready. Its join code is "
                       f"{ws.format_join_code(info.join_code)}.")
    for w in ws.workshops_of(ctx.store, ctx.partnership.id):
        if not w.is_open:
            continue
        link = _links().get(w.id)
        with st.container(border=True):
            mode = "you set the pace" if w.paced else "self-paced"
            st.markdown(f"**{plain(w.title)}** · join code **{ws.format_join_code(w.join_code)}** · open · "
                        + mode)
            if link:
                st.caption("Facilitator link (it opens the console; keep it to yourself):")
                st.code(link, language=None, wrap_lines=True)
                st.link_button("Open the console", link, type="primary")
            elif st.button("Make a new facilitator link", key=f"ws_rotate_{w.id}",
                           help="For safety the link is shown only when it is made; the old one stops "
                                "working."):
                _links()[w.id] = facilitator_link(ws.rotate_facilitator_token(ctx.store, w.id))
                st.rerun()
