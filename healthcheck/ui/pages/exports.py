"""Exports: the responses CSV (anonymised, formula-safe) and the assessment JSON (the CLI contract)."""

from __future__ import annotations

import json

import pandas as pd
import streamlit as st

from healthcheck.core.responses import COMMENT_SUFFIX, export_csv
from healthcheck.core.text import slug
from healthcheck.ui.common import AdminContext, pick_round, plain, round_data

SUPPRESSED_ORG = "(suppressed)"


def groups_to_suppress(counts: dict[str, int], threshold: int) -> set[str]:
    """Organisations whose name must not appear in a responses export.

    Those with fewer responses than the threshold; and while the hidden rows could still be
    traced (a single hidden organisation is named by elimination; fewer than `threshold` hidden
    rows together are a small group themselves), the next smallest organisation too."""
    present = {org: n for org, n in counts.items() if n > 0}
    small = {org for org, n in present.items() if n < threshold}
    if not small:
        return small
    rest = sorted((n, org) for org, n in present.items() if org not in small)
    while rest and (len(small) == 1 or sum(present[o] for o in small) < threshold):
        small.add(rest.pop(0)[1])
    return small


def anonymised_csv(frame: pd.DataFrame, questionnaire, threshold: int) -> tuple[str, set[str]]:  # type: ignore[no-untyped-def]
    """The responses CSV of a round, with small organisations' names (and roles) replaced.

    Comments and written answers of organisations below the threshold are left out too:
    respondents are promised that their words are shown only once enough people from their
    organisation have answered (the dashboard and report follow the same rule)."""
    counts = frame["organisation"].value_counts().to_dict()
    hidden = groups_to_suppress({str(k): int(v) for k, v in counts.items()}, threshold)
    if hidden:
        frame = frame.copy()
        small = frame["organisation"].map(lambda org: counts.get(org, 0) < threshold)
        words = [c for c in frame.columns if str(c).endswith(COMMENT_SUFFIX)] + [
            i.id for i in questionnaire.items if i.type == "text" and i.id in frame.columns]
        for col in words:
            frame[col] = frame[col].astype(object)
            frame.loc[small, col] = None
        mask = frame["organisation"].isin(hidden)
        frame.loc[mask, "organisation"] = SUPPRESSED_ORG
        frame["role"] = frame["role"].astype(object)
        frame.loc[mask, "role"] = None
    return export_csv(frame, questionnaire), hidden


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
        st.info("Nobody has answered this round yet, so there is nothing to export.")
        return
    threshold = ctx.partnership.threshold
    q = data.assessment.questionnaire
    name = f"{slug(ctx.partnership.name)}-{slug(r.label)}"

    st.subheader("Responses (CSV)")
    csv_text, hidden = anonymised_csv(data.frame, q, threshold)
    if hidden:
        st.warning(f"Some organisations have fewer than {threshold} responses, so the file names them "
                   f"\"{SUPPRESSED_ORG}\" and leaves out their roles. To keep the hidden group from "
                   f"being worked out, {len(hidden)} organisation(s) are hidden in all: "
                   f"{plain(', '.join(sorted(hidden)))}.")
    st.download_button("Download the responses (CSV)", data=csv_text.encode("utf-8"),
                       file_name=f"{name}-responses.csv", mime="text/csv", key="export_csv",
                       on_click="ignore")

    st.subheader("Assessment (JSON)")
    st.caption("Scores, bands, findings and their evidence in the same format as `healthcheck score "
               "--format json`. Groups below the threshold appear as null.")
    payload = json.dumps(data.assessment.as_dict(), indent=2, ensure_ascii=False)
    st.download_button("Download the assessment (JSON)", data=payload.encode("utf-8"),
                       file_name=f"{name}-assessment.json", mime="application/json", key="export_json",
                       on_click="ignore")
