"""A round's results: the one path from stored answers to an assessment.

Load the round's records, build the canonical response table, score it and run the rules. The
dashboard, the workshop console, the funder's drill-down and the report all come through here,
so they cannot disagree about what a round says.

Figures move in steps. Someone watching an open round could otherwise subtract two looks and
read off the answers of the one person who sent in between. So a round's figures are those of
its first N answers, where N moves on (a "release", kept in the store) only once at least the
anonymity threshold of new answers have come in, and only if every area has either none of them
or at least the threshold; before the first step there are counts only. Each release is checked
against the sums the earlier ones showed (anonymity.safe_breakdowns), so no combination of
looks, tabs or exports pins anyone down.

Small groups are pooled or left out ("pool") or hidden ("hide"), as the round says
(`RoundInfo.small_groups`, fixed once its figures first show). A person an earlier step showed
stays in the figures of every later one (`ScoreTable`'s `kept_before`), so a later whole never
lacks someone an earlier one had.

A facilitator-paced workshop's round is the whole room's only, wherever it is read (dashboard,
report, exports, a funder's views): its answers joined the projector's figures question by
question, and group figures set against those steps would give people away
(`anonymity.room`). `records_for_figures` is the one place that applies it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

import pandas as pd

from healthcheck.core.anonymity import DEFAULT_SMALL_GROUPS, Atom, room_only, rows_note
from healthcheck.core.assess import Assessment, assess
from healthcheck.core.questionnaire import Questionnaire
from healthcheck.core.responses import frame_from_records
from healthcheck.core.rules import RulePack
from healthcheck.core.scoring import ScoreTable
from healthcheck.core.snapshot import RoundSnapshot, assessment_from_snapshot
from healthcheck.store.retention import round_summary
from healthcheck.store.workshops import paced_round

__all__ = ["RoundData", "current_steps", "due_step", "may_release", "records_for_figures", "release_results",
           "results_from_records", "round_results", "shared_results", "summary_results"]


@dataclass(frozen=True)
class RoundData:
    records: list[dict[str, Any]]  # the answers the figures take in (the released ones)
    frame: pd.DataFrame
    assessment: Assessment | None  # None before the first release (or when no rules were asked for)
    key: tuple[Any, ...] = ()  # identifies this round's data (for caching what is built from it)
    received: int = 0  # answers stored, released or not
    released: int | None = None  # answers the figures take in, when not the records (a purged round)
    room: bool = False  # a facilitator-paced workshop's round (the whole room's figures only, no rows)

    @property
    def left_out(self) -> int:
        """Answers in the figures' count but in none of their numbers (groups too small to show)."""
        return self.assessment.scores.left_out if self.assessment is not None else 0

    @property
    def figures_frame(self) -> pd.DataFrame:
        """The rows whose answers are in the figures (what a row-level export may hold): without
        the people of groups too small to show, where the round leaves them out."""
        inside = self.assessment.scores.in_figures if self.assessment is not None else ()
        return self.frame[list(inside)] if inside else self.frame

    @property
    def rows_note(self) -> str | None:
        """Why this round has no row-level file of answers (None: it may have one):
        `anonymity.rows_note`."""
        return rows_note(self.room)

    @property
    def export_frame(self) -> pd.DataFrame:
        """The rows a row-level file (responses CSV, the holdings zip's answers) may hold: those in
        the figures, or none at all where the round gives no such file (`rows_note`)."""
        return self.frame.iloc[0:0] if self.rows_note else self.figures_frame

    @property
    def figures_records(self) -> list[dict[str, Any]]:
        """The released answers that are in the figures (what counts of answers per question,
        shown beside the figures, may count)."""
        inside = self.assessment.scores.in_figures if self.assessment is not None else ()
        return [r for r, k in zip(self.records, inside, strict=True) if k] if inside else self.records

    @property
    def held_back(self) -> int:
        """Answers sent since the last step, not yet in the figures."""
        shown = len(self.records) if self.released is None else self.released
        return max(self.received - shown, 0)

    @property
    def purged(self) -> bool:
        """The individual answers were deleted (retention); the figures are the kept summary."""
        return self.released is not None


def results_from_records(records: Sequence[Mapping[str, Any]], questionnaire: Questionnaire,
                         pack: RulePack | None, threshold: int, partnership: str = "",
                         key: tuple[Any, ...] = (), small_groups: str = DEFAULT_SMALL_GROUPS) -> RoundData:
    """Table and assessment of answers taken as one release (a file, or answers already released)."""
    rows = [dict(r) for r in records]
    frame = frame_from_records(rows, questionnaire, partnership=partnership)
    assessment = (assess(questionnaire, frame, pack, threshold, small_groups=small_groups)
                  if pack is not None and len(frame) else None)
    return RoundData(rows, frame, assessment, key, len(rows))


def may_release(new: Sequence[Mapping[str, Any]], questionnaire: Questionnaire, threshold: int) -> bool:
    """Whether the answers sent since the last step may join the figures: at least `threshold`
    of them, and every question and every area answered by none or by at least `threshold` of
    them (a question's counts and an area's mean move only in such steps too)."""
    if len(new) < threshold:
        return False
    for item in questionnaire.items:
        if item.type == "text":  # written answers are shown sorted, per organisation, not counted
            continue
        if item.type == "likert" and item.asked_of:
            # Asked of some kinds only (a music partner of two would hold every step back for
            # good). No view shows a likert item on its own; it reaches people only through its
            # areas, whose own counts are checked below.
            continue
        answered = sum(1 for r in new if (r.get("answers") or {}).get(item.id) not in (None, ""))
        if 0 < answered < threshold:
            return False
    table = ScoreTable(questionnaire, frame_from_records([dict(r) for r in new], questionnaire), threshold,
                       small_groups="hide")  # counts of everyone who answered
    answered = [d.answered for d in table.partnership(0).dimensions]
    return all(n == 0 or n >= threshold for n in answered)


def release_results(records: Sequence[Mapping[str, Any]], steps: Sequence[int], questionnaire: Questionnaire,
                    pack: RulePack | None, threshold: int, partnership: str = "",
                    key: tuple[Any, ...] = (), small_groups: str = DEFAULT_SMALL_GROUPS) -> RoundData:
    """The figures of the last step, checked against what every earlier step showed."""
    rows = [dict(r) for r in records]
    shown = steps[-1] if steps else 0
    frame = frame_from_records(rows[:shown], questionnaire, partnership=partnership)
    if not shown:
        return RoundData([], frame, None, key, len(rows))
    release = [next(j for j, n in enumerate(steps) if i < n) for i in range(shown)]
    frame = frame.assign(release=release)
    published: dict[str, list[list[Atom]]] = {}
    kept: list[bool] = []
    for count in steps[:-1]:
        earlier = ScoreTable(questionnaire, frame.iloc[:count], threshold, published, small_groups,
                             _before(kept, count))
        for dim, sums in earlier.published_sums().items():
            published.setdefault(dim, []).extend(sums)
        kept = earlier.kept()
    assessment = (assess(questionnaire, frame, pack, threshold, published, small_groups, _before(kept, shown))
                  if pack is not None else None)
    return RoundData(rows[:shown], frame, assessment, key, len(rows))


def _before(kept: list[bool], count: int) -> list[bool | None]:
    """Per row of a step of `count` answers: in the previous step's figures, left out, or new."""
    return [*kept, *([None] * (count - len(kept)))]


def due_step(records: Sequence[Mapping[str, Any]], steps: Sequence[int], questionnaire: Questionnaire,
             threshold: int) -> int | None:
    """The number of answers the next step takes in, if one is due now (else None)."""
    shown = steps[-1] if steps else 0
    return len(records) if may_release(records[shown:], questionnaire, threshold) else None


def current_steps(store: Any, round_id: int, records: Sequence[Mapping[str, Any]],
                  questionnaire: Questionnaire, threshold: int) -> list[int]:
    """The round's steps, after taking the next one if it is due (whoever looks first takes it)."""
    steps = store.releases(round_id)
    step = due_step(records, steps, questionnaire, threshold)
    return store.add_release(round_id, len(steps), step) if step is not None else steps


def records_for_figures(store: Any, round_id: int, records: Sequence[Mapping[str, Any]],
                        room: bool | None = None) -> list[dict[str, Any]]:
    """A round's records as its figures take them: a facilitator-paced workshop's without their
    organisation and level (`anonymity.room_only`: the whole room's figures only). `room`: whether
    the round is a paced workshop's, when the caller has already asked (`paced_round`)."""
    paced = paced_round(store, round_id) if room is None else room
    return room_only(records) if paced else [dict(r) for r in records]


def round_results(store: Any, round_id: int, questionnaire: Questionnaire, pack: RulePack | None,
                  threshold: int, partnership: str = "", key: tuple[Any, ...] = ()) -> RoundData:
    """Read a round's answers fresh from the store, take the next step if it is due, assess.
    A purged round's results are the summary kept when its answers were deleted."""
    return _stored_results(store, round_id, store.response_records(round_id), questionnaire, pack,
                           threshold, partnership, key)


def _stored_results(store: Any, round_id: int, records: Sequence[Mapping[str, Any]],
                    questionnaire: Questionnaire, pack: RulePack | None, threshold: int,
                    partnership: str, key: tuple[Any, ...] = ()) -> RoundData:
    """A stored round's results from the records a reader may see (`round_results`,
    `shared_results`): its summary once purged, else its last release; the whole room's only for
    a facilitator-paced workshop's round."""
    room = paced_round(store, round_id)
    summary = round_summary(store, round_id)
    if summary is not None:
        return summary_results(summary, questionnaire, pack, partnership, key, room)
    records = records_for_figures(store, round_id, records, room)
    steps = current_steps(store, round_id, records, questionnaire, threshold)
    info = store.get_round(round_id)
    mode = info.small_groups if info is not None else DEFAULT_SMALL_GROUPS
    return replace(release_results(records, steps, questionnaire, pack, threshold, partnership, key, mode),
                   room=room)


def summary_results(summary: Mapping[str, Any], questionnaire: Questionnaire, pack: RulePack | None,
                    partnership: str = "", key: tuple[Any, ...] = (), room: bool = False) -> RoundData:
    """A purged round's results: the assessment its summary keeps (no answers, no comments).
    `room`: a paced workshop's round (its summary holds no groups; the pages still say why)."""
    snap = RoundSnapshot.model_validate(dict(summary))
    assessment = None if pack is None else assessment_from_snapshot(snap, questionnaire, pack, partnership)
    if assessment is not None and room:
        assessment = replace(assessment, scores=replace(assessment.scores, room_only=True))
    frame = frame_from_records([], questionnaire, partnership=partnership)
    return RoundData([], frame, assessment, key, snap.received, snap.released, room)


def shared_results(store: Any, funder_id: int, round_id: int, questionnaire: Questionnaire,
                   pack: RulePack | None, threshold: int, partnership: str = "") -> RoundData | None:
    """A round as a funder it was shared with sees it (None when it is not shared with them):
    its last release (comments only when shared too), or its summary once purged."""
    from healthcheck.store.sharing import shared_round_records

    records = shared_round_records(store, funder_id, round_id)
    if records is None:
        return None
    return _stored_results(store, round_id, records, questionnaire, pack, threshold, partnership)
