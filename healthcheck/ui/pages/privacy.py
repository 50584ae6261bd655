"""Privacy: what respondents are told before the first question, and whom they can contact.

The admin sets the privacy contact and may write the partnership's own notice in place of the
default wording (which is translated with the page wording; the partnership's own text is shown
as typed, in every language). Changes are recorded in the audit log.
"""

from __future__ import annotations

import streamlit as st

from healthcheck.core.errors import InputError
from healthcheck.core.pagetext import ENGLISH
from healthcheck.ui.common import AdminContext, plain, show_problems
from healthcheck.ui.widgets.privacy_notice import render as notice
from healthcheck.ui.widgets.privacy_notice import retention_months

_SAVED = "hc_privacy_saved"


def render(ctx: AdminContext) -> None:
    p = ctx.partnership
    st.title("Privacy")
    st.markdown("Respondents and workshop participants read a privacy notice before the first "
                "question: what is stored, who sees what, how long it is kept and whom to contact. "
                "The full list of what the app stores, and why, is in `docs/privacy.md`.")
    if st.session_state.pop(_SAVED, False):
        st.success("Saved. Respondents see the new notice from now on.")

    st.subheader("What respondents see")
    notice(ENGLISH, p)
    st.caption(f"Individual answers are kept for {retention_months(p)} months after a round closes, "
               "then deleted; the totals stay for the dashboard and trend.")

    st.subheader("Change it")
    with st.form("privacy_form", border=True):
        contact = st.text_input("Who respondents can contact about their data", value=p.privacy_contact or "",
                                key="privacy_contact", max_chars=300,
                                placeholder="e.g. Data protection officer, dpo@example.org",
                                help="Leave empty to tell respondents to ask whoever sent them the link.")
        own = st.text_area("Your own privacy notice (optional)", value=p.privacy_notice or "",
                           key="privacy_notice", height=220, max_chars=5000,
                           help="Leave empty to use the default wording above, which is also shown in "
                                "the respondent's language where a translation has it. Your own text is "
                                "shown exactly as typed, in every language.")
        saved = st.form_submit_button("Save", type="primary")
    if saved:
        try:
            ctx.store.update_partnership(p.id, privacy_contact=contact, privacy_notice=own, by="admin")
        except InputError as exc:
            show_problems(exc)
            return
        st.session_state[_SAVED] = True
        st.rerun()
    if p.privacy_notice:
        st.caption("Your own notice replaces the default wording. To go back to the default, empty the "
                   f"box and save. Partnership: {plain(p.name)}.")
