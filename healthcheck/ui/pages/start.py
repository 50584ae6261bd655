"""Start: set up a partnership (name, organisations, questionnaire, threshold, privacy contact) and get
its admin link."""

from __future__ import annotations

import streamlit as st

from healthcheck.core.errors import InputError
from healthcheck.services.demo import DEMO_NAMES
from healthcheck.store import MIN_THRESHOLD, ORGANISATION_KINDS
from healthcheck.ui.common import QUESTIONNAIRE_CHOICES, admin_link, get_store, plain, show_problems

_CREATED = "hc_created"
MAX_ORGANISATIONS = 12


def _show_created() -> None:
    name, link = st.session_state[_CREATED]
    st.success(f"The health check for **{plain(name)}** is set up.")
    st.warning("**Keep this admin link safe.** Anyone who has it can see the results and manage the "
               "health check. It is shown only once: copy it now and keep it somewhere private "
               "(not in a shared chat). Respondents get a different link, from the Rounds page.")
    st.code(link, language=None, wrap_lines=True)
    st.link_button("Open the dashboard", link, type="primary")
    if st.button("Set up another partnership"):
        st.session_state.pop(_CREATED, None)
        st.rerun()


def render() -> None:
    st.title("Partnership Health Check")
    st.markdown(
        "A health check for partnerships that bring music-making to children in care and other "
        "children facing hard times. Partners answer a short questionnaire, anonymously; the "
        "dashboard shows where the partnership is strong, where partners see things differently, "
        "and what to do next.")
    store = get_store()
    if _CREATED in st.session_state:
        _show_created()
        return
    existing = {p.name for p in store.list_partnerships()}
    if existing & set(DEMO_NAMES):
        st.info("Demo partnerships are loaded. To open one, run `healthcheck demo` in a terminal: it "
                "prints an admin link for each demo partnership.")

    st.header("Set up a health check")
    name = st.text_input("Name of the partnership", key="start_name",
                         placeholder="e.g. Harbour Music + City Children's Services")
    st.subheader("Organisations in the partnership")
    st.caption("Respondents pick their organisation from this list. You can add more later.")
    count = int(st.number_input("How many organisations?", min_value=1, max_value=MAX_ORGANISATIONS,
                                value=2, step=1, key="start_count"))
    kinds = list(ORGANISATION_KINDS)
    organisations: list[tuple[str, str]] = []
    for i in range(count):
        left, right = st.columns([3, 2])
        org = left.text_input(f"Organisation {i + 1}", key=f"start_org_{i}")
        kind = right.selectbox(f"Kind of organisation {i + 1}", kinds, key=f"start_kind_{i}",
                               index=0 if i == 0 else 1, format_func=ORGANISATION_KINDS.__getitem__)
        if org.strip():
            organisations.append((org, kind))

    st.subheader("Questionnaire and privacy")
    questionnaire = st.radio("Questionnaire", list(QUESTIONNAIRE_CHOICES), key="start_questionnaire",
                             format_func=QUESTIONNAIRE_CHOICES.__getitem__)
    threshold = int(st.number_input(
        "Anonymity threshold: the smallest group whose results are shown", min_value=MIN_THRESHOLD,
        max_value=20, value=MIN_THRESHOLD, step=1, key="start_threshold",
        help="Results of an organisation or level with fewer responses than this are never shown "
             "separately, and their comments are hidden. 3 is the lowest allowed; 5 is safer when "
             "groups are large enough."))
    contact = st.text_input(
        "Who respondents can contact about their data (optional)", key="start_contact", max_chars=300,
        placeholder="e.g. Data protection officer, dpo@example.org",
        help="Shown in the privacy notice before the first question. You can change it later on the "
             "Privacy page.")

    if st.button("Create the health check", type="primary", key="start_create"):
        if not organisations:
            st.error("Please name at least one organisation.")
            return
        try:
            info, token = store.create_partnership(name, questionnaire, threshold, organisations,
                                                   contact=contact)
        except InputError as exc:
            show_problems(exc)
            return
        st.session_state[_CREATED] = (info.name, admin_link(token))
        st.rerun()
