"""Action plan: turn recommended actions into owned, dated items; track their status across rounds."""

from __future__ import annotations

from datetime import date

import streamlit as st

from healthcheck.core.errors import InputError
from healthcheck.core.frameworks import DIMENSION_BY_ID
from healthcheck.present import views
from healthcheck.store import ACTION_STATUSES, ActionInfo, RoundInfo
from healthcheck.ui.common import AdminContext, get_rules, pick_round, plain, round_data, show_problems

CUSTOM = "__custom__"


def _add_form(ctx: AdminContext, r: RoundInfo, rows: list[dict]) -> None:  # type: ignore[type-arg]
    options: dict[str, tuple[str | None, str | None, str]] = {}
    for row in rows:
        for j, action in enumerate(row["actions"]):
            options[f"{row['rule']}:{j}"] = (row["rule"], action["task_id"], action["text"])
    options[CUSTOM] = (None, None, "")
    titles = {row["rule"]: row["title"] for row in rows}

    def label(key: str) -> str:
        if key == CUSTOM:
            return "Something else (write it below)"
        rule, _, text = options[key]
        short = text if len(text) <= 110 else text[:107] + "..."
        return f"{titles.get(rule or '', rule)}: {short}"

    with st.form("plan_add", clear_on_submit=True):
        st.markdown("**Add an item**")
        key = st.selectbox("Recommended action", list(options), format_func=label, key="plan_choice")
        custom = st.text_area("Your own wording (optional; replaces the recommended text)", key="plan_text",
                              max_chars=2000, height=80)
        c1, c2, c3 = st.columns(3)
        owner = c1.text_input("Owner", key="plan_owner", max_chars=200, placeholder="Who makes it happen")
        due = c2.date_input("Due date", value=None, key="plan_due", format="DD/MM/YYYY")
        status = c3.selectbox("Status", list(ACTION_STATUSES), format_func=ACTION_STATUSES.__getitem__,
                              key="plan_status")
        submitted = st.form_submit_button("Add to the action plan", type="primary")
    if submitted:
        rule_id, task, text = options.get(key, (None, None, ""))
        text = custom.strip() or text
        try:
            ctx.store.add_action(ctx.partnership.id, r.id, text, owner=owner or "", task=task,
                                 rule_id=rule_id, due_date=due if isinstance(due, date) else None,
                                 status=status)
        except InputError as exc:
            show_problems(exc)
            return
        st.session_state["hc_plan_added"] = True
        st.rerun()


def _update(ctx: AdminContext, action_id: int) -> None:
    status = st.session_state.get(f"plan_item_status_{action_id}")
    owner = st.session_state.get(f"plan_item_owner_{action_id}")
    due = st.session_state.get(f"plan_item_due_{action_id}")
    try:
        ctx.store.update_action(action_id, status=status, owner=owner if owner is not None else None,
                                due_date=due if isinstance(due, date) else None, clear_due_date=due is None)
    except InputError as exc:
        st.session_state["hc_plan_error"] = "; ".join(p.message for p in exc.problems)


def _item(ctx: AdminContext, a: ActionInfo, rounds: dict[int, RoundInfo],
          rule_titles: dict[str, str]) -> None:
    with st.container(border=True):
        st.markdown(plain(a.text))
        meta = []
        if a.rule_id:
            meta.append(f"from finding: {rule_titles.get(a.rule_id, a.rule_id)}")
        if a.task and a.task in DIMENSION_BY_ID:
            meta.append(DIMENSION_BY_ID[a.task].label)
        if a.round_id in rounds:
            meta.append(f"round: {rounds[a.round_id].label}")
        if a.votes is not None:
            meta.append(f"{a.votes} vote{'' if a.votes == 1 else 's'} in the workshop")
        if meta:
            st.caption(plain(" · ".join(meta)))
        c1, c2, c3 = st.columns(3)
        c1.text_input("Owner", value=a.owner, key=f"plan_item_owner_{a.id}", max_chars=200,
                      on_change=_update, args=(ctx, a.id))
        c2.date_input("Due date", value=a.due_date, key=f"plan_item_due_{a.id}", format="DD/MM/YYYY",
                      on_change=_update, args=(ctx, a.id))
        statuses = list(ACTION_STATUSES)
        c3.selectbox("Status", statuses, index=statuses.index(a.status) if a.status in statuses else 0,
                     format_func=ACTION_STATUSES.__getitem__, key=f"plan_item_status_{a.id}",
                     on_change=_update, args=(ctx, a.id))
        if a.due_date and a.status in ("open", "in_progress") and a.due_date < date.today():
            st.markdown(":material/schedule: **Overdue**")


def render(ctx: AdminContext) -> None:
    st.title("Action plan")
    st.markdown("Turn the recommended actions into a plan: who does what, by when. Items still open carry "
                "into the next round and show beside its findings.")
    if st.session_state.pop("hc_plan_added", False):
        st.success("Added to the action plan.")
    error = st.session_state.pop("hc_plan_error", None)
    if error:
        st.error(plain(error))
    r = pick_round(ctx, "plan_round", "Round whose findings to plan from")
    if r is None:
        st.info("No rounds yet. Open a round on the **Rounds** page; its findings will appear here.")
        return
    rounds = {x.id: x for x in ctx.store.rounds(ctx.partnership.id)}
    actions = ctx.store.actions(ctx.partnership.id)
    data = round_data(ctx, r)
    a_ = data.assessment
    rows = views.finding_rows(a_.findings, a_.questionnaire) if a_ is not None else []
    rule_titles = {rule.id: rule.title for rule in get_rules().rules}

    left, right = st.columns(2)
    with left:
        st.subheader("Findings in this round")
        if data.assessment is None:
            st.info("Nobody has answered this round yet, so there are no findings. You can still add your "
                    "own items below.")
        elif not rows:
            st.success("The rules flag no risks in this round.")
        for row in rows:
            with st.expander(plain(f"{row['title']} ({row['severity']})")):
                st.markdown("\n".join(f"- {plain(w)}" for w in row["why"]))
                st.markdown("**Recommended actions**")
                st.markdown("\n".join(f"- {plain(a['text'])}" for a in row["actions"]))
    with right:
        st.subheader("Open items from earlier rounds")
        earlier = [a for a in actions if a.round_id != r.id and a.status in ("open", "in_progress")
                   and (a.round_id not in rounds or rounds[a.round_id].opened_at <= r.opened_at)]
        if not earlier:
            st.caption("None: nothing is carried over.")
        for a in earlier:
            _item(ctx, a, rounds, rule_titles)

    _add_form(ctx, r, rows)
    st.subheader("Items from this round")
    mine = [a for a in actions if a.round_id == r.id]
    if not mine:
        st.caption("No items yet for this round.")
    for a in mine:
        _item(ctx, a, rounds, rule_titles)
    closed = [a for a in actions if a.round_id != r.id and a.status not in ("open", "in_progress")]
    if closed:
        with st.expander(f"Done or dropped items from other rounds ({len(closed)})"):
            for a in closed:
                _item(ctx, a, rounds, rule_titles)
