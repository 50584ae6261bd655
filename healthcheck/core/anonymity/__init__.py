"""Every decision about what a group, a count or a comment may show.

Respondents are staff talking about colleagues, so no figure, count, comment or exported row may
let anyone work out one person's answers. Screens, exports, the report, the portfolio and the
workshop console all ask this module; none decides for itself.

Small groups (organisations or levels with fewer respondents than the threshold) are handled in
one of two ways, chosen per round (`SMALL_GROUPS`):

- "pool" (the default, `plan_view`): the small groups of a breakdown are pooled into one group
  ("Other partners, 4 people") where together they reach the threshold. Where they cannot, their
  people are left out of every figure of the view, the whole partnership included, so that every
  other group can show: the whole is then exactly the sum of the groups shown, and no subtraction
  gives anyone away. Counts of responses still include them, and the page says so.
- "hide" (secondary suppression, `hidden_groups`): a group with fewer respondents than the
  threshold is hidden; while the hidden groups could still be traced, the smallest shown group is
  hidden too (a single hidden group is the total minus the rest, and hidden groups that together
  number fewer than the threshold are a small group themselves).

Whichever the mode, the figures of each area then pass the hide rule (fewer of a group may have
answered one area) and the check of combinations below (`safe_breakdowns`).

The package is the one place these decisions live: `groups` (the hide rule, counts, comments,
exported rows), `plans` (pool before you hide), `combinations` (what several figures together
give away), `numbers` (how every number is rounded when shown) and `room` (a facilitator-paced
workshop's figures: the whole room only).
"""

from healthcheck.core.anonymity.combinations import Atom, linear_leak, safe_breakdowns
from healthcheck.core.anonymity.groups import (
    LEVEL_NOT_SHOWN,
    SUPPRESSED_ORG,
    comment_groups,
    deidentify_rows,
    hidden_groups,
    low_score_comments,
    suppress_blocks,
    visible_counts,
    written_answers,
)
from healthcheck.core.anonymity.numbers import SHARE_DECIMALS, shown_score, shown_scores, shown_share
from healthcheck.core.anonymity.plans import (
    DEFAULT_SMALL_GROUPS,
    SMALL_GROUPS,
    GroupPlan,
    ViewPlan,
    hidden_note,
    left_out_note,
    plan_partnerships,
    plan_view,
    pooled_label,
)
from healthcheck.core.anonymity.room import (
    ROOM_GROUP,
    ROOM_ONLY_NOTE,
    ROWS_NOTE,
    room_only,
    rows_note,
    votes_note,
    votes_shown,
)

__all__ = [
    "DEFAULT_SMALL_GROUPS", "LEVEL_NOT_SHOWN", "ROOM_GROUP", "ROOM_ONLY_NOTE", "ROWS_NOTE", "SHARE_DECIMALS",
    "SMALL_GROUPS", "SUPPRESSED_ORG", "Atom", "GroupPlan", "ViewPlan", "comment_groups", "deidentify_rows",
    "hidden_groups", "hidden_note", "left_out_note", "linear_leak", "low_score_comments",
    "plan_partnerships", "plan_view", "pooled_label", "room_only", "rows_note", "safe_breakdowns",
    "shown_score", "shown_scores", "shown_share", "suppress_blocks", "visible_counts", "votes_note",
    "votes_shown", "written_answers",
]
