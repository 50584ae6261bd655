"""Room-only figures: what a facilitator-paced workshop may show.

A paced workshop's answers join its figures question by question, in steps (each at least the
threshold per question). The whole room's figures are safe under that rule, but group figures
are not: an organisation of three at one step and four at the next gives the fourth person's
answer by subtraction, and after the close a dashboard broken down by organisation or level can
be set against the whole-room figures the projector showed at earlier steps (the room of step 2
minus the room of step 1 is a set of people, and an organisation's figure minus that set can be
one person). A participant's area score can also change between steps (a new question of the
same area released for them), which the checks of an open round's releases (organisation x
level x release) do not model. So a paced workshop's figures are the room's, before and after
it closes: everyone is put in one room-wide group (`room_only`) before scoring, and scoring shows
no figure for that group (`ROOM_GROUP`), so there are no group scores, gaps or lowest groups at
all, and no rule that compares groups can fire.

Nor is there a file of rows (`rows_note`): in a paced room everyone saw who came late, who left
and whose answers were held back, so a row blank on some questions is someone's own answers, with
no organisation needed to point at them. And the votes on actions show their counts only once
enough different people have voted (`votes_shown`): watched one vote at a time, the counts would
show what a colleague chose.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

__all__ = ["ROOM_GROUP", "ROOM_ONLY_NOTE", "ROWS_NOTE", "room_only", "rows_note", "votes_note", "votes_shown"]

# The organisation and level of every answer in room-only figures. Scoring never shows this
# group on its own (its figure would be the whole again); a row-level export shows this label in
# place of the organisation and level. In brackets, like the other labels exports put in place
# of a name ("(suppressed)", "(not shown)").
ROOM_GROUP = "(whole room)"

# What the console, the dashboard, the report and the funder's view say about room-only figures.
ROOM_ONLY_NOTE = ("This workshop went question by question, so its results are for the room as a whole. "
                  "Split by organisation or level, one step could be taken away from another to work out "
                  "someone's answers. For results by organisation, use the self-paced questionnaire.")


def room_only(records: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Copies of answer records with organisation and level replaced by the one room-wide group
    (role dropped too: it is a finer group still). Answers and comments are kept as they are;
    items not asked of someone's kind of organisation were set aside when the records were read."""
    return [{**dict(r), "organisation": ROOM_GROUP, "level": ROOM_GROUP, "role": None} for r in records]


# Why a paced workshop's round has no row-level file (the Exports page, the console, the holdings zip).
ROWS_NOTE = ("A workshop that went question by question gives no file of rows: the room saw who answered "
             "which questions (who came late, who left, whose answers were held back), so one row could "
             "be told apart from the others. Its results and the assessment can still be downloaded.")


def rows_note(room: bool) -> str | None:
    """Why there is no row-level file of a round's answers (None: the file may be made). `room`:
    the round is a facilitator-paced workshop's."""
    return ROWS_NOTE if room else None


def votes_shown(voters: int, threshold: int) -> bool:
    """Whether the counts of votes per action may show: once at least `threshold` different people
    have voted (before then, each change of a count is one person's choice)."""
    return voters >= threshold


def votes_note(threshold: int) -> str:
    """What the console says while the counts of votes are not shown."""
    return f"The counts for each action show once at least {threshold} people have voted."
