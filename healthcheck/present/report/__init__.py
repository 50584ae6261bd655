"""The partnership report: Markdown and PDF, for a board, a corporate parenting forum or a funder.

One document model (`model`: blocks holding plain, unescaped text) is built by `build` from the
view models in `healthcheck.present.views`, so the report says what the dashboard says in the
same words; two renderers (`markdown`, `pdf`) turn it into Markdown or an A4 PDF. Each renderer
escapes every piece of text for its own markup: free text (partnership and organisation names,
comments, actions) can never become a heading, a link, a script or a formula. `anonymity` holds
what the report may show of the people who answered; `output.report_bytes` is the entry point.

Charts are the dashboard's Altair charts, rendered offline to PNG by vl-convert (no network).
Nothing here imports Streamlit.
"""

from healthcheck.core.anonymity import low_score_comments
from healthcheck.core.text import slug
from healthcheck.present.report.build import build_report
from healthcheck.present.report.hidden import suppressed_groups
from healthcheck.present.report.markdown import md_escape, to_markdown
from healthcheck.present.report.model import (
    Block,
    Bullets,
    Chart,
    Group,
    Heading,
    PageBreak,
    Para,
    Report,
    Run,
    Table,
)
from healthcheck.present.report.output import Format, report_bytes
from healthcheck.present.report.pdf import pdf_escape, render_charts, to_pdf

__all__ = [
    "Block", "Bullets", "Chart", "Format", "Group", "Heading", "PageBreak", "Para", "Report", "Run", "Table",
    "build_report", "low_score_comments", "md_escape", "pdf_escape", "render_charts", "report_bytes", "slug",
    "suppressed_groups", "to_markdown", "to_pdf",
]
