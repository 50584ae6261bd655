"""The privacy notice, shown before the first question on the answer and participant pages.

What is stored, who sees what, how long it is kept and whom to ask. The wording is the page
text's (`privacy.*` in `healthcheck.core.pagetext`, translatable like the rest of the page)
unless the partnership's admin wrote the partnership's own notice, which is shown as typed
(never as Markdown). The contact is the one the admin gave at Start or on the Privacy page.
"""

from __future__ import annotations

import streamlit as st

from healthcheck.core.pagetext import PageText
from healthcheck.core.vocabulary import DEFAULT_RETENTION_MONTHS
from healthcheck.store import PartnershipInfo
from healthcheck.ui.common import plain


def retention_months(partnership: PartnershipInfo) -> int:
    """The partnership's retention setting, where the store has one, else the default."""
    months = getattr(partnership, "retention_months", None)
    return months if isinstance(months, int) and months > 0 else DEFAULT_RETENTION_MONTHS


def render(tr: PageText, partnership: PartnershipInfo) -> None:
    with st.expander(tr("privacy.title"), expanded=True, icon=":material/shield:"):
        if partnership.privacy_notice:
            st.markdown(plain(partnership.privacy_notice))
        else:
            st.markdown(tr("privacy.default", threshold=partnership.threshold,
                           months=retention_months(partnership)))
        if partnership.privacy_contact:
            st.markdown(tr("privacy.contact"))
            st.text(plain(partnership.privacy_contact, markdown=False))
        else:
            st.markdown(tr("privacy.no_contact"))
