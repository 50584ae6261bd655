"""Data: how long this partnership keeps individual answers, and deleting a round, an
organisation's answers or the whole partnership (each after typing its name; recorded in the
audit log by `services.deletion`)."""

from __future__ import annotations

import streamlit as st

from healthcheck.core.errors import InputError
from healthcheck.core.vocabulary import MAX_RETENTION_MONTHS
from healthcheck.services import deletion
from healthcheck.ui.common import AdminContext, plain, round_label, show_problems
from healthcheck.ui.widgets.confirm_delete import FLASH, confirm_delete, show_flash

ADMIN_KEY = "hc_admin_token"  # the router's session key for the admin link


def _retention(ctx: AdminContext) -> None:
    st.subheader("How long answers are kept")
    months = int(st.number_input(
        "Keep individual answers for this many months after a round closes", min_value=1,
        max_value=MAX_RETENTION_MONTHS, value=ctx.partnership.retention_months, step=1, key="data_retention",
        help="After that, each person's answers and comments are deleted for good. The round's results "
             "(scores, findings and counts, as the dashboard shows them) are kept, so trends and reports "
             "still work."))
    if months != ctx.partnership.retention_months and st.button("Save", key="data_retention_save"):
        try:
            ctx.store.update_partnership(ctx.partnership.id, retention_months=months)
        except InputError as exc:
            show_problems(exc)
            return
        st.session_state[FLASH] = f"Answers are now kept for {months} months after a round closes."
        st.rerun()


def _delete_round(ctx: AdminContext) -> None:
    rounds = {r.id: r for r in reversed(ctx.store.rounds(ctx.partnership.id))}
    if not rounds:
        st.caption("No rounds yet.")
        return
    chosen = st.selectbox("Round", list(rounds), key="data_round",
                          format_func=lambda rid: plain(round_label(rounds[rid]), markdown=False))
    r = rounds[chosen]
    done = confirm_delete(r.label, f"data_round_{r.id}",
                          "The round, every answer and comment sent to it, its workshop, the actions raised "
                          "from it and every share of it with a funder.",
                          lambda typed: deletion.delete_round(ctx.store, r.id, typed))
    if done is not None:
        st.session_state[FLASH] = f"Deleted the round '{done.name}': {done.describe()}."
        st.rerun()


def _delete_answers(ctx: AdminContext) -> None:
    orgs = {o.id: o for o in ctx.store.organisations(ctx.partnership.id)}
    chosen = st.selectbox("Organisation", list(orgs), key="data_org",
                          format_func=lambda oid: plain(orgs[oid].name, markdown=False))
    org = orgs[chosen]
    done = confirm_delete(org.name, f"data_org_{org.id}",
                          "Every answer and comment sent for this organisation, in every round. The "
                          "organisation stays in the partnership; the results of each round start again from "
                          "the answers left.",
                          lambda typed: deletion.delete_organisation_answers(ctx.store, org.id, typed))
    if done is not None:
        st.session_state[FLASH] = f"Deleted the answers of '{done.name}': {done.describe()}."
        st.rerun()


def _delete_partnership(ctx: AdminContext) -> None:
    p = ctx.partnership
    done = confirm_delete(p.name, "data_partnership",
                          "The whole partnership: its organisations, every round, answer and comment, "
                          "workshops, the action plan, partner team notes, and every share with a funder. "
                          "The admin link stops working.",
                          lambda typed: deletion.delete_partnership(ctx.store, p.id, typed))
    if done is not None:
        st.session_state.pop(ADMIN_KEY, None)
        st.success(f"Deleted the partnership '{done.name}' and everything it held ({done.describe()}).")
        st.stop()


def render(ctx: AdminContext) -> None:
    st.title("Data")
    st.caption(plain(ctx.partnership.name))
    show_flash()
    _retention(ctx)
    st.subheader("Delete")
    st.caption("Deleted means gone from the database, not hidden. Each deletion is recorded in the "
               "Audit log, except deleting the whole partnership, which deletes its audit log too.")
    with st.expander("Delete a round"):
        _delete_round(ctx)
    with st.expander("Delete an organisation's answers"):
        _delete_answers(ctx)
    with st.expander("Delete the whole partnership"):
        _delete_partnership(ctx)
