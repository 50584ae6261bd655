"""The Rounds page's choice of how a round treats groups too small to show (pool or hide)."""

from __future__ import annotations

import streamlit as st

from healthcheck.core.anonymity import SMALL_GROUPS
from healthcheck.core.errors import InputError
from healthcheck.store import RoundInfo
from healthcheck.ui.common import AdminContext, show_problems

CHOICES = {
    "pool": "Pool small groups, or leave their people out of the figures (every other group shows)",
    "hide": "Hide small groups, and as many others as it takes to keep them hidden",
}
HELP = ("Groups with fewer responses than the threshold are never shown on their own. Pooling puts them "
        "together ('Other partners, 4 people') where together they are enough; where they are not, their "
        "answers are left out of every figure, so no other group has to be hidden to protect them. Hiding "
        "keeps everyone in the whole-partnership figures but hides small groups, and also the next "
        "smallest so that a smaller group cannot be worked out.")


def render(ctx: AdminContext, r: RoundInfo) -> None:
    """The choice while the round's results have not shown yet; afterwards, what was chosen."""
    if ctx.store.releases(r.id):
        st.caption(f"Small groups: {CHOICES.get(r.small_groups, r.small_groups).lower()}. This is fixed "
                   "now that results have appeared: two views of the same answers, one each way, "
                   "could be compared.")
        return
    mode = st.radio("Small groups", list(SMALL_GROUPS), index=list(SMALL_GROUPS).index(r.small_groups)
                    if r.small_groups in SMALL_GROUPS else 0, format_func=CHOICES.__getitem__,
                    key=f"small_groups_{r.id}", help=HELP)
    if mode != r.small_groups:
        try:
            ctx.store.set_small_groups(r.id, mode)
        except InputError as exc:
            show_problems(exc)
            return
        st.rerun()
