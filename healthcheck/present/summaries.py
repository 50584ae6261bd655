"""One plain-English sentence per chart: its text alternative.

Every chart on a page (radar, bars with bands, perspective gaps, change over rounds, the funder's
heatmap, the workshop's answer counts) is shown with one of these sentences beside it, and with
its numbers as a table one click away. The sentence says what a sighted reader takes from the
chart first: the strongest and weakest areas with their score and band, how many areas are a
concern, the largest gap, what moved. Bands are always named, never left to colour.

Plain functions of the same data frames the charts are drawn from; no UI imports.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import pandas as pd

from healthcheck.core.anonymity import shown_score
from healthcheck.core.questionnaire import Bands
from healthcheck.present.views import SHOWN, SUPPRESSED, WHOLE

BANDS = ("strength", "borderline", "concern")
AGREE = ("Agree", "Strongly agree")
DISAGREE = ("Disagree", "Strongly disagree")


def _n(x: float) -> str:
    return str(shown_score(x))


def _plural(n: int, one: str, many: str | None = None) -> str:
    return f"{n} {one if n == 1 else (many or one + 's')}"


def _join(words: Sequence[str]) -> str:
    words = list(words)
    if len(words) <= 1:
        return "".join(words)
    return ", ".join(words[:-1]) + " and " + words[-1]


def _name(row: Any) -> str:
    number = getattr(row, "number", None)
    label = str(row.label)
    return f"{int(number)} {label}" if number is not None and pd.notna(number) else label


def _band_counts(bands: Iterable[str], total: int, noun: str) -> str:
    """"2 of 13 areas a concern, 5 borderline" (only the bands that occur; concern first)."""
    counts = {b: 0 for b in BANDS}
    for b in bands:
        if b in counts:
            counts[b] += 1
    parts = [f"{counts['concern']} of {total} {noun} {'a concern' if counts['concern'] == 1 else 'concerns'}"]
    if counts["borderline"]:
        parts.append(f"{counts['borderline']} borderline")
    if counts["strength"]:
        parts.append(f"{counts['strength']} {'a strength' if counts['strength'] == 1 else 'strengths'}")
    return ", ".join(parts)


def dimension_summary(table: pd.DataFrame, noun: str = "areas") -> str:
    """For bars with bands (and a one-series radar) from `views.dimension_table`: strongest,
    weakest, and how many areas fall in each band."""
    scored = table[table["score"].notna()]
    total = len(table)
    if scored.empty:
        return f"No scores yet: nobody has answered the questions on these {total} {noun}."
    ordered = scored.sort_values(["score", "number"], ascending=[False, True])
    best, worst = ordered.iloc[0], ordered.iloc[-1]
    text = f"Strongest: {_name(best)} ({_n(best.score)}, {best.band})"
    if len(ordered) > 1:
        text += f"; weakest: {_name(worst)} ({_n(worst.score)}, {worst.band})"
    text += f"; {_band_counts(scored['band'], total, noun)}"
    missing = total - len(scored)
    if missing:
        text += f"; {missing} without answers"
    return text + "."


def radar_summary(frame: pd.DataFrame, threshold: int | None = None, noun: str = "areas",
                  bands: Bands | None = None) -> str:
    """For a radar from `views.radar_frame`: the whole partnership's strongest and weakest areas
    and band counts (bands from the questionnaire's cut points), then which groups are drawn and
    which are hidden (never their numbers)."""
    cuts = bands or Bands()
    whole = frame[(frame["series"] == WHOLE)]
    if whole.empty:  # only groups: describe the first drawn series
        drawn = frame.loc[frame["status"] == SHOWN, "series"]
        whole = frame[frame["series"] == drawn.iloc[0]] if len(drawn) else frame.iloc[0:0]
    rows = whole[(whole["status"] == SHOWN) & whole["score"].notna()].copy()
    total = len(whole) if len(whole) else frame["dimension"].nunique()
    if rows.empty:
        return f"Nothing to draw yet: no scores on these {total} {noun}."
    rows["band"] = [cuts.band(float(s)) for s in rows["score"]]
    ordered = rows.sort_values(["score", "number"], ascending=[False, True])
    best, worst = ordered.iloc[0], ordered.iloc[-1]
    who = str(whole["series"].iloc[0])
    text = f"{who}: strongest {_name(best)} ({_n(best.score)}, {best.band})"
    if len(ordered) > 1:
        text += f", weakest {_name(worst)} ({_n(worst.score)}, {worst.band})"
    text += f"; {_band_counts(rows['band'], total, noun)}"
    groups = [s for s in dict.fromkeys(frame["series"]) if s != who]
    status = frame.groupby("series", sort=False)["status"].agg(set)
    drawn = [s for s in groups if SHOWN in status[s]]
    hidden = [s for s in groups if s not in drawn and SUPPRESSED in status[s]]
    if drawn:
        text += f"; also drawn: {_join(drawn)}"
    if hidden:
        why = f"fewer than {threshold} responses" if threshold else "too few responses"
        text += f"; not drawn ({why}): {_join(hidden)}"
    return text + "."


def gap_summary(gaps: Sequence[dict[str, Any]]) -> str:
    """For the perspective-gap chart (`views.largest_gaps`): the largest gap and how many are shown."""
    if not gaps:
        return "No differences between groups to show."
    top = max(gaps, key=lambda g: g["gap"])
    text = (f"Largest difference: {top['label']}, where {top['high_group']} scores {_n(top['high_score'])} "
            f"and {top['low_group']} {_n(top['low_score'])} ({_n(top['gap'])} points)")
    if len(gaps) > 1:
        text += f"; {len(gaps)} areas shown, the smallest gap {_n(min(g['gap'] for g in gaps))} points"
    return text + "."


def change_summary(table: pd.DataFrame, previous_label: str | None = None) -> str:
    """For the change chart, from `views.changes` rows: how many areas rose, fell or stayed, and
    the largest rise and fall."""
    since = f"Since {previous_label}" if previous_label else "Since the previous round"
    compared = table[table["change"].notna()]
    if compared.empty:
        return f"{since}: no area has scores in both rounds, so nothing can be compared yet."
    counts = {d: int((compared["direction"] == d).sum()) for d in ("up", "down", "same")}
    text = (f"{since}: {counts['up']} of {len(compared)} areas rose, {counts['down']} fell and "
            f"{counts['same']} stayed about the same")
    change = compared["change"].astype(float)
    up, down = compared.loc[change.idxmax()], compared.loc[change.idxmin()]
    if counts["up"]:
        text += f"; largest rise: {up.label} ({float(up.change):+.0f}, now {_n(float(up.current))})"
    if counts["down"]:
        text += f"; largest fall: {down.label} ({float(down.change):+.0f}, now {_n(float(down.current))})"
    return text + "."


def heatmap_summary(frame: pd.DataFrame) -> str:
    """For the funder's heatmap (`views.heatmap_frame`): how many scores are a concern, the area
    most often a concern, and the lowest cell."""
    partnerships = frame["partnership"].nunique()
    areas = frame["dimension"].nunique()
    scored = frame[frame["score"].notna()]
    if scored.empty:
        return f"{_plural(partnerships, 'partnership')} by {areas} areas: no scores yet."
    concern = scored[scored["band"] == "concern"]
    text = (f"{_plural(partnerships, 'partnership')} by {areas} areas: {len(concern)} of {len(scored)} "
            f"scores {'is a concern' if len(concern) == 1 else 'are concerns'}")
    if len(concern):
        often = concern.groupby("label", sort=False).size().sort_values(ascending=False, kind="stable")
        text += f", most often in {often.index[0]} ({_plural(int(often.iloc[0]), 'partnership')})"
    low = scored.sort_values("score", kind="stable").iloc[0]
    text += f"; lowest: {low.partnership}, {low.label} ({_n(low.score)}, {low.band})"
    return text + "."


def trend_summary(frame: pd.DataFrame) -> str:
    """For the trend chart (`views.trend_frame`): the rounds drawn and the areas that moved most."""
    data = frame[frame["score"].notna()]
    rounds = list(dict.fromkeys(frame["round"].astype(str)))
    if data.empty:
        return "No scores to draw yet."
    if len(rounds) < 2:
        return f"One round so far ({rounds[0]}): nothing to compare yet."
    first, last = rounds[0], rounds[-1]
    a = data[data["round"].astype(str) == first].set_index("dimension")["score"]
    b = data[data["round"].astype(str) == last].set_index("dimension")["score"]
    both = (b - a).dropna()
    text = f"{len(rounds)} rounds, from {first} to {last}"
    if both.empty:
        return text + "; no area has scores in both."
    labels = dict(zip(frame["dimension"], frame["label"], strict=False))
    best, worst = both.idxmax(), both.idxmin()
    if both[best] > 0:
        text += f"; largest rise: {labels[best]} ({both[best]:+.0f}, now {_n(b[best])})"
    if both[worst] < 0:
        text += f"; largest fall: {labels[worst]} ({both[worst]:+.0f}, now {_n(b[worst])})"
    if both[best] <= 0 and both[worst] >= 0:
        text += "; no area moved"
    return text + "."


def likert_summary(dist: pd.DataFrame) -> str:
    """For the workshop's stacked answer bars (`workshop.answer_distribution`, agreement items):
    the question most agreed with and the one most disagreed with."""
    if dist.empty or not dist["count"].sum():
        return "Nobody has answered these questions yet."
    rows = []
    for name, part in dist.groupby("name", sort=False):
        total = int(part["count"].sum())
        if not total:
            continue
        agree = int(part.loc[part["option"].isin(AGREE), "count"].sum())
        disagree = int(part.loc[part["option"].isin(DISAGREE), "count"].sum())
        rows.append((str(name), total, agree, disagree))
    if not rows:
        return "Nobody has answered these questions yet."
    most = max(rows, key=lambda r: (r[2] / r[1], r[1]))
    least = max(rows, key=lambda r: (r[3] / r[1], r[1]))
    text = (f"{len(rows)} questions answered; most agreement: {most[0]} ({most[2]} of {most[1]} agree)")
    if least[3]:
        text += f"; most disagreement: {least[0]} ({least[3]} of {least[1]} disagree)"
    else:
        text += "; nobody disagreed with any question"
    return text + "."


def choice_summary(part: pd.DataFrame) -> str:
    """For one multiple-choice question's bars: the answer chosen most often."""
    total = int(part["count"].sum())
    if not total:
        return "Nobody has answered this question."
    ordered = part.sort_values(["count", "order"], ascending=[False, True])
    top = ordered.iloc[0]
    text = f"Chosen most: {top.option} ({int(top['count'])} of {_plural(total, 'person', 'people')})"
    tied = ordered[ordered["count"] == top["count"]]
    if len(tied) > 1:
        text = (f"Chosen most, tied: {_join([str(o) for o in tied['option']])} "
                f"({int(top['count'])} of {_plural(total, 'person', 'people')} each)")
    return text + "."
