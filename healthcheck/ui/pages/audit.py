"""Audit log: what admin, funder and facilitator links did that changed or shared the
partnership's data, newest first, and "download everything we hold".

The log names the kind of link, never the link itself. The download is a zip of CSV and JSON of
every row the store holds about the partnership (hashes of links left out; the answers
de-identified as on the Exports page), with a README.txt of its fields; taking it is recorded in
the log.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pandas as pd
import streamlit as st

from healthcheck.core.text import slug
from healthcheck.core.vocabulary import AUDIT_ACTORS
from healthcheck.services.holdings import everything_we_hold
from healthcheck.store import audit
from healthcheck.ui.common import AdminContext, plain

SHOWN = 500  # newest events on screen; the download holds them all


def _table(ctx: AdminContext) -> pd.DataFrame:
    rows = audit.events(ctx.store, ctx.partnership.id, limit=SHOWN)
    return pd.DataFrame({
        "When (UTC)": [e.at.strftime("%Y-%m-%d %H:%M") for e in rows],
        "Link": [AUDIT_ACTORS.get(e.actor, e.actor) for e in rows],
        "What": [audit.ACTIONS.get(e.action, e.action) for e in rows],
        "Details": [plain(e.description, markdown=False) for e in rows],
    })


def render(ctx: AdminContext) -> None:
    st.title("Audit log")
    st.markdown("What was done with this partnership's data, and by which kind of link: rounds opened "
                "and closed, rounds shared with funders and sharing stopped, workshops run, the action "
                "plan and partner team notes changed, settings changed and downloads taken. It never "
                "shows a link itself, and it never records who answered.")

    st.subheader("Download everything we hold")
    st.markdown("A zip of every record the app holds about this partnership, as CSV and JSON, with "
                "a README.txt saying what each field is: for a subject access request or your "
                "information governance team. Secret links are stored only as hashes and are left out.")
    st.info("The answers are not in it as stored: each round's answers are de-identified exactly as "
            "the responses file on the Exports page (no roles, no times, no respondent keys, small "
            "groups not named, comments only where their organisation's results are shown), so "
            "nobody's own answers can be worked out from it. Action owners and partner team notes "
            "are free text and may name people: keep the file safe. Taking it is recorded in this log.")
    store, pid = ctx.store, ctx.partnership.id
    name = f"{slug(ctx.partnership.name)}-everything-we-hold-{datetime.now(UTC):%Y-%m-%d}.zip"
    st.download_button("Download everything we hold (zip)", key="audit_everything", file_name=name,
                       data=lambda: everything_we_hold(store, pid, by="admin")[1],
                       mime="application/zip", on_click="ignore")

    st.subheader("What was done")
    table = _table(ctx)
    if table.empty:
        st.info("Nothing has been recorded yet.")
        return
    st.dataframe(table, hide_index=True, width="stretch")
    if len(table) == SHOWN:
        st.caption(f"The newest {SHOWN} events; the download above holds them all.")
