"""Share a round with a funder, from the partnership's Rounds page (sharing, not surveillance).

The partnership decides: the panel says plainly what a funder will see *before* anything is
shared, makes a single-use share code for the funder to enter on its portfolio page, lists the
funders the round is shared with and lets the partnership stop sharing at any time. Thin over
`healthcheck.sharing`. Drawn inside the round's expander, so it uses no expanders itself.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

import streamlit as st

from healthcheck import sharing
from healthcheck.errors import InputError
from healthcheck.store import RoundInfo

from .common import AdminContext, plain, show_problems

_CODES = "hc_share_codes"  # round id -> (code, expiry date, with comments): shown in this session only
_FLASH = "hc_share_flash"  # round id -> message after "Stop sharing"


def _codes() -> dict[int, tuple[str, date, bool]]:
    return st.session_state.setdefault(_CODES, {})


def _flash() -> dict[int, str]:
    return st.session_state.setdefault(_FLASH, {})


def what_a_funder_sees(threshold: int) -> str:
    """The plain explanation shown before sharing (markdown, no user text in it)."""
    return (
        "If you share this round with a funder, it appears in the funder's portfolio. The funder sees:\n"
        "- the scores of the whole partnership, and of each organisation and level that has at least "
        f"{threshold} responses; smaller groups stay hidden, as they do for you;\n"
        "- the findings and their recommended actions;\n"
        "- respondents' comments **only** if you tick *Also share comments* (never who wrote them).\n\n"
        "The funder never sees individual answers, who answered, your action plan or your partner "
        "team notes, nor any round you have not shared. You can stop sharing at any time."
    )


def _stop(round_id: int, funder: sharing.FunderInfo, ctx: AdminContext) -> None:
    done = sharing.revoke(ctx.store, funder.id, round_id)
    _flash()[round_id] = (f"This round is no longer shared with {funder.name}." if done
                             else f"This round was no longer shared with {funder.name}.")


def render(ctx: AdminContext, round: RoundInfo) -> None:
    """The "Share with a funder" section of one round's panel."""
    r = round
    st.divider()
    st.markdown("**Share with a funder**")
    st.markdown(what_a_funder_sees(ctx.partnership.threshold))

    with st.container(border=True):
        comments = st.checkbox("Also share comments", key=f"share_comments_{r.id}",
                               help="Comments respondents wrote, never who wrote them. Off unless ticked.")
        if st.button("Make a share code", key=f"share_code_{r.id}",
                     help="A code for one funder: it works once and expires."):
            try:
                code = sharing.create_share_code(ctx.store, r.id, include_comments=comments)
            except InputError as exc:
                show_problems(exc)
            else:
                expires = (datetime.now(UTC) + sharing.DEFAULT_CODE_VALIDITY).date()
                _codes()[r.id] = (code, expires, comments)
        made = _codes().get(r.id)
        if made:
            code, expires, with_comments = made
            st.markdown("**Share code**: send it to the funder, who enters it on its portfolio page.")
            st.code(code, language=None)
            what = "Comments are shared with it." if with_comments else "Comments are not shared with it."
            st.caption(f"Works once, until {expires:%d %B %Y}. {what} For safety the code is shown only "
                       "now: if it is lost, make a new one.")
        else:
            days = sharing.DEFAULT_CODE_VALIDITY.days
            st.caption(f"Each code works once, for one funder, and expires after {days} days.")

    message = _flash().pop(r.id, None)
    if message:
        st.success(plain(message))
    shares = sharing.shares_of_round(ctx.store, r.id)
    if not shares:
        st.caption("This round is not shared with any funder.")
        return
    st.markdown("**Shared with**")
    for funder, with_comments in shares:
        left, right = st.columns([3, 1], vertical_alignment="center")
        what = "scores, findings and comments" if with_comments else "scores and findings, no comments"
        left.markdown(f"{plain(funder.name)}: {what}")
        right.button("Stop sharing", key=f"unshare_{r.id}_{funder.id}", on_click=_stop,
                     args=(r.id, funder, ctx), help=f"{plain(funder.name)} will no longer see this round.")
