"""Exports: the responses CSV (anonymised, formula-safe) and the assessment JSON (the CLI contract)."""

from __future__ import annotations

import json

import streamlit as st

from healthcheck.core.anonymity import SUPPRESSED_ORG, left_out_note
from healthcheck.core.questionnaire import Questionnaire
from healthcheck.core.text import slug
from healthcheck.present.exports import anonymised_csv
from healthcheck.store import RoundInfo
from healthcheck.ui.common import (
    PURGED_NOTE,
    AdminContext,
    RoundData,
    pick_round,
    plain,
    recorded,
    release_note,
    round_data,
)


def render(ctx: AdminContext) -> None:
    st.title("Exports")
    st.markdown("Open files you can keep, share with partners or analyse elsewhere. The responses file "
                "has no names: respondents are numbered R1, R2... in an order that is not the order "
                "they answered, and cells that a spreadsheet could run as formulas are made safe.")
    r = pick_round(ctx, "export_round")
    if r is None:
        st.info("No rounds yet, so there is nothing to export.")
        return
    data = round_data(ctx, r)
    if data.assessment is None:
        st.info(release_note(data, ctx.partnership.threshold)
                or "Nobody has answered this round yet, so there is nothing to export.")
        return
    threshold = ctx.partnership.threshold
    q = data.assessment.questionnaire
    name = f"{slug(ctx.partnership.name)}-{slug(r.label)}"
    pid = ctx.partnership.id

    st.subheader("Responses (CSV)")
    if data.purged:
        st.info(PURGED_NOTE)
    elif data.rows_note:  # a paced workshop's round: no file of rows (anonymity.room)
        st.info(data.rows_note)
    else:
        _responses_csv(data, q, threshold, name, pid, r)

    st.subheader("Assessment (JSON)")
    st.caption("Scores, bands, findings and their evidence in the same format as `healthcheck score "
               "--format json`. Groups below the threshold appear as null.")
    payload = json.dumps(data.assessment.as_dict(), indent=2, ensure_ascii=False)
    st.download_button("Download the assessment (JSON)",
                       data=recorded(payload.encode("utf-8"), pid, "admin",
                                     f"the assessment of the round '{r.label}' (JSON)"),
                       file_name=f"{name}-assessment.json", mime="application/json", key="export_json",
                       on_click="ignore")


def _responses_csv(data: RoundData, q: Questionnaire, threshold: int, name: str, pid: int,
                   r: RoundInfo) -> None:
    csv_text, hidden = anonymised_csv(data.export_frame, q, threshold)
    if data.left_out:
        st.caption(plain(left_out_note(data.left_out) or "") + " The file leaves their rows out too.")
    if hidden:
        st.warning(f"Some organisations have fewer than {threshold} responses, so the file names them "
                   f"\"{SUPPRESSED_ORG}\" and leaves out their roles. To keep the hidden group from "
                   f"being worked out, {len(hidden)} organisation(s) are hidden in all: "
                   f"{plain(', '.join(sorted(hidden)))}.")
    st.download_button("Download the responses (CSV)",
                       data=recorded(csv_text.encode("utf-8"), pid, "admin",
                                     f"the anonymised responses of the round '{r.label}' (CSV)"),
                       file_name=f"{name}-responses.csv", mime="text/csv", key="export_csv",
                       on_click="ignore")
