"""View models: plain data (pandas frames, lists of dicts, text) built from scores and findings.

The Streamlit dashboard, the PDF report and the funder portfolio all read these, so every screen
and every page says the same thing in the same words. Nothing here draws or imports a UI.

Numbers: every score, spread, gap and change here is already rounded as it is shown
(`anonymity.shown_score`, whole points; shares by `shown_share`), so no chart, tooltip, table or
file built from these views carries a finer figure. Changes and gaps are differences of the
shown scores.

Anonymity: a group below the threshold is never given a number here. Scoring already hides it
(its score is None and it is listed in `suppressed`); these views keep it visible only as a
status ("suppressed"), so no chart or table built from them can show it.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from typing import Any

import pandas as pd

from healthcheck.core.anonymity import ROOM_ONLY_NOTE, hidden_note, left_out_note, shown_score, shown_share
from healthcheck.core.frameworks import DIMENSION_BY_ID, DIMENSIONS, LEVELS, dimensions_of
from healthcheck.core.rules.engine import Finding
from healthcheck.core.rules.rank import ranked
from healthcheck.core.scoring import DimensionScore, PartnershipScores
from healthcheck.present.findings import NEGATED_OP as NEGATED_OP  # re-exported: pages and tests use views
from healthcheck.present.findings import action_row as action_row
from healthcheck.present.findings import finding_rows as finding_rows
from healthcheck.present.findings import plural, score_text
from healthcheck.present.findings import why_sentence as why_sentence

SUPPRESSED = "suppressed"
NO_DATA = "no data"
SHOWN = "shown"
WHOLE = "Whole partnership"
NOT_IN_FIGURES = "too few to show: not in the figures"
GROUPINGS = ("organisation", "level")
SAME_WITHIN = 5.0  # changes smaller than this many points count as "same"

RADAR_COLUMNS = ["series", "grouping", "dimension", "label", "number", "score", "status"]


# ----------------------------------------------------------------------------- helpers


def _num(v: float | None) -> float:
    """A score as shown (whole points), NaN when missing."""
    shown = shown_score(v)
    return math.nan if shown is None else float(shown)


def _share(v: float | None) -> float:
    shown = shown_share(v)
    return math.nan if shown is None else shown


def _missing(v: Any) -> bool:
    return v is None or (isinstance(v, float) and math.isnan(v))


def _join(words: Sequence[str]) -> str:
    if len(words) <= 1:
        return "".join(words)
    return ", ".join(words[:-1]) + " and " + words[-1]


def group_label(grouping: str, group: str) -> str:
    """How a group is named on screen: organisations by name, levels by their label."""
    return LEVELS.get(group, group) if grouping == "level" else group


def _by(d: DimensionScore, grouping: str) -> dict[str, float | None]:
    if grouping == "organisation":
        return d.by_organisation
    if grouping == "level":
        return d.by_level
    raise ValueError(f"unknown grouping {grouping!r}: use 'organisation' or 'level'")


def _counts(scores: PartnershipScores, grouping: str) -> dict[str, int]:
    return scores.organisations if grouping == "organisation" else scores.levels


def _status(d: DimensionScore, grouping: str, group: str) -> str:
    if _by(d, grouping).get(group) is not None:
        return SHOWN
    return SUPPRESSED if f"{grouping}:{group}" in d.suppressed else NO_DATA


def _ordered_dimensions(scores: PartnershipScores, framework: str | None = None) -> list[DimensionScore]:
    """The scored dimensions in framework order (a questionnaire may measure only some)."""
    by_id = scores.by_id
    dims = dimensions_of(framework) if framework else DIMENSIONS
    return [by_id[d.id] for d in dims if d.id in by_id]


# ----------------------------------------------------------------------------- radar


def radar_frame(scores: PartnershipScores, framework: str, by: str | None = "organisation") -> pd.DataFrame:
    """One row per (series, dimension) of a framework, for the radar chart.

    Series: always the whole partnership, then one per organisation (by="organisation") or level
    (by="level"); by=None gives the whole partnership alone. `score` is NaN unless `status` is
    "shown": a suppressed group keeps its rows (so a legend or note can say it is hidden) but
    carries no number at all.
    """
    if not dimensions_of(framework):
        raise ValueError(f"unknown framework {framework!r}")
    by_id = scores.by_id
    rows: list[dict[str, Any]] = []
    groups = sorted(_counts(scores, by)) if by else []
    for dim in dimensions_of(framework):
        d = by_id.get(dim.id)
        base = {"dimension": dim.id, "label": dim.label, "number": dim.number}
        whole = None if d is None else d.score
        rows.append({"series": WHOLE, "grouping": "partnership", **base, "score": _num(whole),
                     "status": SHOWN if whole is not None else NO_DATA})
        for group in groups:
            if d is None:
                value, status = None, NO_DATA
            else:
                status = _status(d, by, group)  # type: ignore[arg-type]
                value = _by(d, by).get(group) if status == SHOWN else None  # type: ignore[arg-type]
            rows.append({"series": group_label(by, group), "grouping": by, **base,  # type: ignore[arg-type]
                         "score": _num(value), "status": status})
    frame = pd.DataFrame(rows, columns=RADAR_COLUMNS)
    frame["score"] = frame["score"].astype(float)
    frame["number"] = frame["number"].astype(int)
    return frame


# ----------------------------------------------------------------------------- tables


def _suppressed_text(d: DimensionScore, scores: PartnershipScores) -> str:
    small, also = [], []
    for entry in d.suppressed:
        grouping, _, group = entry.partition(":")
        name = group_label(grouping, group) + (" (level)" if grouping == "level" else "")
        count = _counts(scores, grouping).get(group, 0)
        (small if count < scores.threshold else also).append(name)
    parts = []
    if small:
        parts.append(f"fewer than {scores.threshold} responses: {', '.join(small)}")
    if also:
        # Either too few of them answered this area, or a smaller group could be worked out
        # from the total and theirs: both are anonymity, and neither is "no data".
        parts.append(f"also hidden for anonymity: {', '.join(also)}")
    return "; ".join(parts)


def dimension_table(scores: PartnershipScores, framework: str | None = None) -> pd.DataFrame:
    """One row per scored dimension (in framework order): the table beside every chart."""
    rows = []
    for d in _ordered_dimensions(scores, framework):
        rows.append({"framework": d.framework, "dimension": d.id, "label": d.label,
                     "number": DIMENSION_BY_ID[d.id].number, "score": _num(d.score), "band": d.band,
                     "spread": _num(d.spread), "unknown": _share(d.unknown), "answered": d.answered,
                     "suppressed_groups": _suppressed_text(d, scores)})
    columns = ["framework", "dimension", "label", "number", "score", "band", "spread", "unknown",
               "answered", "suppressed_groups"]
    frame = pd.DataFrame(rows, columns=columns)
    for col in ("score", "spread", "unknown"):
        frame[col] = frame[col].astype(float)
    frame["answered"] = frame["answered"].astype(int)
    return frame


def anonymity_notes(scores: PartnershipScores) -> list[str]:
    """What the page must say about groups too small to show: responses left out of the figures
    (pooling), groups hidden so a smaller one cannot be worked out (hiding); or, for a paced
    workshop's figures, why there are no groups at all (anonymity.room)."""
    notes = [ROOM_ONLY_NOTE] if scores.room_only else []
    note = left_out_note(scores.left_out)
    if note is None and any(plan.left_out for plan in scores.anonymity.values()):
        note = left_out_note(None)  # a score document names the groups, not how many answered
    if note:
        notes.append(note)
    hidden = [group_label(g, name) for g in GROUPINGS
              for name in (scores.anonymity[g].hidden if g in scores.anonymity else [])]
    if hidden:
        notes.append(hidden_note(hidden, scores.threshold))
    return notes


def group_status(scores: PartnershipScores, grouping: str = "organisation") -> pd.DataFrame:
    """One row per organisation (or level): how many answered, and whether it is shown.

    `respondents` is None below the threshold (say "fewer than N", never the count: a count of 1
    tells colleagues who answered); `respondents_text` is that wording. `status` is one of
    "fewer than N responses", "hidden for anonymity" (big enough, but hidden on every area so a
    smaller group cannot be worked out), "no data" (nothing answered), "shown"; `shown_areas`
    counts the dimensions where the group has a score.
    """
    t = scores.threshold
    dims = scores.dimensions
    rows = []
    visible = scores.visible_counts(grouping)
    for group, count in sorted(_counts(scores, grouping).items()):
        statuses = [_status(d, grouping, group) for d in dims]
        shown = statuses.count(SHOWN)
        if count < t:
            status = f"fewer than {t} responses"
        elif shown:
            status = SHOWN
        elif SUPPRESSED in statuses:
            status = "hidden for anonymity"
        else:
            status = NO_DATA
        rows.append({"grouping": grouping, "group": group_label(grouping, group), "key": group,
                     "respondents": visible[group],
                     "respondents_text": (str(visible[group]) if visible[group] is not None
                                          else f"fewer than {t}" if count < t else "hidden for anonymity"),
                     "status": status, "shown_areas": shown})
    plan = scores.anonymity.get(grouping)
    for group in plan.left_out if plan is not None else []:  # in no figure: named, never counted
        rows.append({"grouping": grouping, "group": group_label(grouping, group), "key": group,
                     "respondents": None, "respondents_text": f"fewer than {t}",
                     "status": NOT_IN_FIGURES, "shown_areas": 0})
    frame = pd.DataFrame(rows, columns=["grouping", "group", "key", "respondents", "respondents_text",
                                        "status", "shown_areas"])
    frame["respondents"] = pd.Series([r["respondents"] for r in rows], index=frame.index, dtype=object)
    return frame


def largest_gaps(scores: PartnershipScores, n: int = 5) -> list[dict[str, Any]]:
    """The dimensions where shown groups differ most, largest gap first.

    Only groups with a score (never a suppressed one) can be an end of a gap: scoring computes
    `gap` from shown groups only, and each end is checked again here.
    """
    out = []
    for d in _ordered_dimensions(scores):
        if d.gap is None or d.gap_between is None or d.gap <= 0:
            continue
        high, low = d.gap_between
        for grouping in GROUPINGS:
            values = _by(d, grouping)
            hi, lo = values.get(high), values.get(low)
            if hi is not None and lo is not None and math.isclose(hi - lo, d.gap, abs_tol=1e-6):
                high_score, low_score = _num(hi), _num(lo)
                out.append({"dimension": d.id, "label": d.label, "framework": d.framework,
                            "grouping": grouping, "gap": high_score - low_score,
                            "high_group": group_label(grouping, high),
                            "low_group": group_label(grouping, low),
                            "high_score": high_score, "low_score": low_score, "exact": float(d.gap)})
                break
    out.sort(key=lambda g: (-g["gap"], -g["exact"]))  # largest shown gap first; stable on exact ties
    for g in out:
        del g["exact"]
    return out[:n]


# ----------------------------------------------------------------------------- rounds


def changes(current: PartnershipScores, previous: PartnershipScores | None,
            same_within: float = SAME_WITHIN) -> pd.DataFrame:
    """Dimension scores now against the previous round ("distance travelled").

    direction: "up" / "down" when the score moved by `same_within` points or more, "same" when
    less, "new" when there is no previous score, "no data" when there is no current score.
    `change` is None when either side is missing. All three are shown scores (whole points), the
    change the difference of the two shown, so the table tells no more than the two rounds do.
    """
    before = previous.by_id if previous is not None else {}
    rows = []
    for d in _ordered_dimensions(current):
        p = shown_score(before[d.id].score) if d.id in before else None
        c = shown_score(d.score)
        change = None if p is None or c is None else float(c - p)
        if c is None:
            direction = NO_DATA
        elif p is None or change is None:
            direction = "new"
        elif abs(change) < same_within:
            direction = "same"
        else:
            direction = "up" if change > 0 else "down"
        rows.append({"framework": d.framework, "dimension": d.id, "label": d.label,
                     "previous": p, "current": c, "change": change, "direction": direction})
    frame = pd.DataFrame(rows, columns=["framework", "dimension", "label", "previous", "current", "change",
                                        "direction"])
    for col in ("previous", "current", "change"):  # keep None (not NaN): "missing" is an answer here
        frame[col] = pd.Series([r[col] for r in rows], index=frame.index, dtype=object)
    return frame


def trend_frame(rounds: Sequence[tuple[Any, PartnershipScores]],
                framework: str | None = None) -> pd.DataFrame:
    """Long frame (round, dimension, label, score, band) for `charts.trend_chart`; rounds in order."""
    rows = []
    for order, (name, scores) in enumerate(rounds):
        for d in _ordered_dimensions(scores, framework):
            rows.append({"round": name, "round_order": order, "dimension": d.id, "label": d.label,
                         "score": _num(d.score), "band": d.band})
    frame = pd.DataFrame(rows, columns=["round", "round_order", "dimension", "label", "score", "band"])
    frame["score"] = frame["score"].astype(float)
    return frame


def heatmap_frame(portfolio: Iterable[PartnershipScores], framework: str = "tasks") -> pd.DataFrame:
    """Long frame (partnership, dimension, label, number, score, band) for `charts.heatmap`."""
    rows = []
    for scores in portfolio:
        for d in _ordered_dimensions(scores, framework):
            rows.append({"partnership": scores.partnership, "dimension": d.id, "label": d.label,
                         "number": DIMENSION_BY_ID[d.id].number, "score": _num(d.score), "band": d.band})
    frame = pd.DataFrame(rows, columns=["partnership", "dimension", "label", "number", "score", "band"])
    frame["score"] = frame["score"].astype(float)
    return frame


# ----------------------------------------------------------------------------- summary


def summary_sentence(scores: PartnershipScores, findings: Sequence[Finding]) -> str:
    """A one-paragraph plain-language summary of a partnership's health check."""
    t = scores.threshold
    orgs = len(scores.organisations)
    parts = [f"{plural(scores.respondents, 'person', 'people')} from "
             f"{plural(orgs, 'organisation')} answered."]
    dims = scores.dimensions
    total = len(dims)
    counts = {band: sum(1 for d in dims if d.band == band) for band in ("strength", "borderline", "concern")}
    missing = sum(1 for d in dims if d.score is None)
    if missing == total:
        parts.append(f"None of the {total} areas has any answers yet.")
    else:
        c = counts["concern"]
        s = counts["strength"]
        concern_text = f"{c if c else 'no'} {'concern' if c == 1 else 'concerns'}"
        text = (f"Of {total} areas, {s} {'is a strength' if s == 1 else 'are strengths'}, "
                f"{counts['borderline']} borderline and {concern_text}")
        concerns = sorted((d for d in dims if d.band == "concern"), key=lambda d: (d.score, d.id))
        if concerns:
            text += f", led by {concerns[0].label} ({score_text(concerns[0].score)})"  # type: ignore[arg-type]
        if missing:
            text += f"; {missing} {'has' if missing == 1 else 'have'} no answers yet"
        parts.append(text + ".")
    hidden = [g for g, n in scores.organisations.items() if n < t]
    if hidden:
        parts.append(f"{plural(len(hidden), 'organisation')} with fewer than {t} respondents "
                     f"{'is' if len(hidden) == 1 else 'are'} not shown separately.")
    if not findings:
        parts.append("The rules flag no risks.")
    else:
        high = [f for f in findings if f.rule.severity == "high"]
        ordered = ranked(findings)
        lead = high or ordered
        names = [f.rule.title for f in lead[:3]]
        more = len(lead) - len(names)
        listed = _join([*names, f"{more} more"] if more else names)
        if len(findings) == 1:
            parts.append(f"The rules flag 1 risk ({ordered[0].rule.severity}): {listed}.")
        elif high:
            how_many = "all" if len(high) == len(findings) else str(len(high))
            parts.append(f"The rules flag {len(findings)} risks, {how_many} of them high: {listed}.")
        else:
            parts.append(f"The rules flag {len(findings)} risks, none of them high: {listed}.")
    return " ".join(parts)


def radar_table(frame: pd.DataFrame, threshold: int) -> pd.DataFrame:
    """The radar's numbers as a table: one row per area, one column per series; hidden groups
    say why they are hidden instead of giving a number."""
    def cell(row: Any) -> str:
        if row.status == SHOWN:
            return f"{row.score:.0f}"
        if row.status == SUPPRESSED:
            return f"fewer than {threshold} responses"
        return "no data"

    data = frame.assign(value=[cell(r) for r in frame.itertuples()],
                        area=[f"{n} {lab}" for n, lab in zip(frame["number"], frame["label"], strict=True)])
    series = list(dict.fromkeys(data["series"]))
    table = data.pivot(index="area", columns="series", values="value")
    order = list(dict.fromkeys(data["area"]))
    return table.reindex(index=order, columns=series).reset_index()
