"""Share a round with a funder, from the partnership's Rounds page (sharing, not surveillance).

The partnership decides: the panel says plainly what a funder will see *before* anything is
shared, makes a single-use share code for the funder to enter on its portfolio page, or shares
with the funder behind a pasted invitation link once the admin has seen its name. It lists the
funders the round is shared with and lets the partnership stop sharing at any time. Thin over
`healthcheck.store.sharing`. Drawn inside the round's expander, so it uses no expanders itself.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

import streamlit as st

from healthcheck.core.errors import InputError
from healthcheck.store import RoundInfo, sharing
from healthcheck.ui.common import AdminContext, plain, show_problems

_CODES = "hc_share_codes"  # round id -> (code, expiry date, with comments): shown in this session only
_FLASH = "hc_share_flash"  # round id -> message after "Stop sharing" or sharing by invitation
_INVITED = "hc_share_invited"  # round id -> (funder, token) looked up from a pasted invitation


def _codes() -> dict[int, tuple[str, date, bool]]:
    return st.session_state.setdefault(_CODES, {})


def _flash() -> dict[int, tuple[bool, str]]:
    """round id -> (went well, message) for the next run."""
    return st.session_state.setdefault(_FLASH, {})


def what_a_funder_sees(threshold: int | None) -> str:
    """The plain explanation shown before sharing (markdown, no user text in it); `threshold` is
    the partnership's anonymity threshold, None where the partnership is not known yet."""
    enough = (f"at least {threshold} responses" if threshold is not None
              else "enough responses to stay anonymous (your partnership sets how many)")
    return (
        "If you share a round with a funder, it appears in the funder's portfolio. The funder sees:\n"
        "- the scores of the whole partnership, and of each organisation and level that has "
        f"{enough}; smaller groups stay hidden, as they do for you;\n"
        "- the findings and their recommended actions;\n"
        "- respondents' comments **only** if you tick *Also share comments* (never who wrote them).\n\n"
        "The funder never sees individual answers, who answered, your action plan or your partner "
        "team notes, nor any round you have not shared. You can stop sharing at any time."
    )


def _stop(round_id: int, funder: sharing.FunderInfo, ctx: AdminContext) -> None:
    done = sharing.revoke(ctx.store, funder.id, round_id)
    _flash()[round_id] = (True, f"This round is no longer shared with {funder.name}." if done
                          else f"This round was no longer shared with {funder.name}.")


def _invited() -> dict[int, tuple[sharing.FunderInfo, str]]:
    return st.session_state.setdefault(_INVITED, {})


def _look_up(ctx: AdminContext, round_id: int, pasted: str) -> None:
    funder = sharing.funder_by_invitation(ctx.store, pasted)
    if funder is None:
        _invited().pop(round_id, None)
        _flash()[round_id] = (False, sharing.BAD_INVITATION)
    else:
        _invited()[round_id] = (funder, sharing.invitation_token(pasted) or "")


def _share_invited(ctx: AdminContext, round_id: int, comments: bool) -> None:
    funder, token = _invited().pop(round_id)
    # Checked again: the funder may have replaced its invitation since the admin looked it up.
    if sharing.funder_by_invitation(ctx.store, token) != funder:
        _flash()[round_id] = (False, "This invitation link no longer works: ask the funder for its "
                              "current link.")
        return
    sharing.share_round(ctx.store, round_id, funder.id, include_comments=comments, invitation=True)
    _flash()[round_id] = (True, f"This round is now shared with {funder.name}.")


def _invitation(ctx: AdminContext, r: RoundInfo, comments: bool) -> None:
    """Paste a funder's invitation link, see who it is from, then share. The database work runs
    in the page's own run (not a widget callback), inside the app's error boundary."""
    left, right = st.columns([3, 1], vertical_alignment="bottom")
    pasted = left.text_input("Or paste a funder's invitation link", key=f"invite_{r.id}",
                             placeholder="https://.../?invite=...")
    if right.button("Look up", key=f"invite_look_{r.id}"):
        _look_up(ctx, r.id, pasted)
    found = _invited().get(r.id)
    if not found:
        return
    funder = found[0]
    what = "scores, findings and comments" if comments else "scores and findings, no comments"
    if any(f.id == funder.id for f, _ in sharing.shares_of_round(ctx.store, r.id)):
        ask = f"This round is already shared with it; share it again as {what}?"
    else:
        ask = f"Share this round with it ({what})?"
    st.markdown(f"The invitation is from **{plain(funder.name)}**. {ask}")
    if st.button(f"Share with {plain(funder.name)}", key=f"invite_share_{r.id}", type="primary"):
        _share_invited(ctx, r.id, comments)
        st.rerun()  # show the new share in the list below and the message once


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
        _invitation(ctx, r, comments)

    flash = _flash().pop(r.id, None)
    if flash:
        went_well, message = flash
        (st.success if went_well else st.error)(plain(message))
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
