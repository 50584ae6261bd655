"""A funder's invitation (`?invite=TOKEN`), as a partnership sees it on opening the link.

The page names the funder, says what it would see, and how to share: from the partnership's own
Rounds page, where the admin pastes this link. Opening the link shares nothing; nobody can share
a round without the partnership's admin link.
"""

from __future__ import annotations

import streamlit as st

from healthcheck.store import sharing
from healthcheck.ui.common import get_store, invitation_link, plain
from healthcheck.ui.widgets.sharing_panel import what_a_funder_sees


def render(token: str) -> None:
    st.title("An invitation to share")
    funder = sharing.funder_by_invitation(get_store(), token)
    if funder is None:
        st.error(sharing.BAD_INVITATION)
        return
    st.markdown(f"**{plain(funder.name)}** asks your partnership to share the results of its "
                "health check. Nothing is shared unless your partnership decides to, one round at "
                "a time.")
    st.markdown(what_a_funder_sees(None))
    st.markdown("**To share a round**\n"
                "1. Open your partnership's admin link (the one made when the health check was set up).\n"
                "2. Go to **Rounds** and open the round.\n"
                "3. Under **Share with a funder**, paste this invitation link and press **Look up**. "
                "You will see the funder's name before anything is shared.")
    st.code(invitation_link(token), language=None, wrap_lines=True)
