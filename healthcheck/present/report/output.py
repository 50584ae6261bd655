"""The report as bytes, in the format asked for: the one entry point the CLI and the app call."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any, Literal

from healthcheck.core.assess import Assessment
from healthcheck.core.scoring import PartnershipScores
from healthcheck.present.report.build import build_report
from healthcheck.present.report.markdown import to_markdown
from healthcheck.present.report.pdf import to_pdf

Format = Literal["pdf", "md"]


def report_bytes(assessment: Assessment, *, previous: Assessment | PartnershipScores | None = None,
                 actions: Sequence[Any] | None = None, fmt: Format = "pdf", round_label: str | None = None,
                 date: dt.date | dt.datetime | str | None = None, previous_label: str | None = None,
                 comments: Mapping[str, Sequence[str]] | None = None) -> bytes:
    """The partnership report as PDF (fmt="pdf") or UTF-8 Markdown (fmt="md") bytes.

    previous: the previous round's assessment (or scores), for "change since the previous round";
    actions: action items, any objects (or mappings) with text, owner, due_date, status (the
    store's ActionInfo); comments: item text -> comments already filtered for anonymity (see
    `low_score_comments`); round_label and date go on the cover (date defaults to today).
    """
    if fmt not in ("pdf", "md"):
        raise ValueError(f"unknown report format {fmt!r}: use 'pdf' or 'md'")
    report = build_report(assessment, previous=previous, previous_label=previous_label, actions=actions,
                          comments=comments, round_label=round_label, date=date, with_charts=fmt == "pdf")
    if fmt == "md":
        return to_markdown(report).encode("utf-8")
    return to_pdf(report)
