"""The report's content: the document model built from the view models in `healthcheck.present.views`,
so the report says what the dashboard says in the same words.

Anonymity holds exactly as on screen: a group below the threshold is named only as hidden
("fewer than N responses"), never with a number, in tables, charts or the cover. When no group
is shown, the report has no breakdown by organisation or level at all.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import pandas as pd

from healthcheck import __version__
from healthcheck.core.anonymity import shown_score, shown_share
from healthcheck.core.assess import Assessment
from healthcheck.core.frameworks import FRAMEWORKS
from healthcheck.core.questionnaire import Questionnaire
from healthcheck.core.scoring import PartnershipScores
from healthcheck.core.vocabulary import SEVERITIES, SEVERITY_LABEL
from healthcheck.present import start as start_here
from healthcheck.present import views
from healthcheck.present.report.hidden import suppressed_groups
from healthcheck.present.report.model import (
    Block,
    Bullets,
    Chart,
    Group,
    Heading,
    PageBreak,
    Para,
    Report,
    Run,
    Table,
)

STATUS_LABEL = {"open": "Open", "in_progress": "In progress", "done": "Done", "dropped": "Dropped"}
OPEN_STATUSES = ("open", "in_progress")
FRAMEWORK_ORDER = ("tasks", "factors", "prerequisites")
DASH = "–"
MAX_CELL = 500  # characters of free text in one table cell (a row taller than a page cannot be laid out)
GROUP_COLUMNS = 4  # organisation / level columns per breakdown table (more would not fit A4)


def _p(*parts: str | Run, style: str = "body") -> Para:
    return Para(tuple((x, "") if isinstance(x, str) else x for x in parts), style)


def _b(text: str) -> Run:
    return (text, "b")


def _i(text: str) -> Run:
    return (text, "i")


def _bullets(items: Iterable[Sequence[str | Run]]) -> Bullets:
    return Bullets(tuple(tuple((x, "") if isinstance(x, str) else x for x in item) for item in items))


# ----------------------------------------------------------------------------- small helpers


def _score(v: Any) -> str:
    n = shown_score(v)
    return DASH if n is None else str(n)


def _signed(v: Any) -> str:
    n = shown_score(v)
    if n is None:
        return DASH
    return f"+{n}" if n > 0 else ("0" if n == 0 else f"{DASH}{abs(n)}")


def _pct(v: Any) -> str:
    share = shown_share(v)
    return DASH if share is None else f"{share * 100:.0f}%"


def _cell(text: Any) -> str:
    s = "" if text is None else str(text)
    s = " ".join(s.split())
    return s if len(s) <= MAX_CELL else s[: MAX_CELL - 1] + "…"


def _date_text(value: dt.date | dt.datetime | str | None) -> str:
    if value is None:
        value = dt.date.today()
    if isinstance(value, str):
        return value
    return f"{value.day} {value:%B %Y}"


def _as_date(value: dt.date | dt.datetime | str | None) -> dt.date | None:
    if value is None:
        return dt.date.today()
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        return None


def _plural(n: int, one: str, many: str | None = None) -> str:
    return f"{n} {one if n == 1 else (many or one + 's')}"


def _name(scores: PartnershipScores) -> str:
    return scores.partnership.strip() or "Unnamed partnership"



def _get(obj: Any, name: str, default: Any = None) -> Any:
    if isinstance(obj, Mapping):
        return obj.get(name, default)
    return getattr(obj, name, default)


# ----------------------------------------------------------------------------- building


def _who_answered(scores: PartnershipScores) -> list[Block]:
    t = scores.threshold
    blocks: list[Block] = [Heading("Who answered", 2)]
    for grouping, title in (("organisation", "Organisation"), ("level", "Level")):
        table = views.group_status(scores, grouping)
        rows = tuple((_cell(r.group), r.respondents_text) for r in table.itertuples())
        blocks.append(Table((title, "Responses"), rows, (3, 1.3), frozenset({1})))
    blocks.append(_p(f"A group with fewer than {t} responses is never shown on its own: it reads "
                     f"\"fewer than {t}\" and has no score anywhere in this report.", style="small"))
    blocks.extend(_p(note) for note in views.anonymity_notes(scores))
    return blocks


def _extended_summary(a: Assessment, previous: PartnershipScores | None, previous_label: str | None,
                      actions: Sequence[Any], today: dt.date | None) -> str:
    s = a.scores
    parts = [views.summary_sentence(s, a.findings)]
    strong = sorted((d for d in s.dimensions if d.band == "strength" and d.score is not None),
                    key=lambda d: (-d.score, d.id))[:2]  # type: ignore[operator]
    if strong:
        names = " and ".join(f"{d.label} ({_score(d.score)})" for d in strong)
        parts.append(f"The strongest {'area is' if len(strong) == 1 else 'areas are'} {names}.")
    gaps = views.largest_gaps(s, 1)
    if gaps:
        g = gaps[0]
        parts.append(f"Partners see {g['label']} most differently: {g['high_group']} scores it "
                     f"{_score(g['high_score'])}, {g['low_group']} {_score(g['low_score'])}.")
    if previous is not None:
        ch = views.changes(s, previous)
        counts = ch["direction"].value_counts()
        since = f"Since {previous_label}" if previous_label else "Since the previous round"
        parts.append(f"{since}, {_plural(int(counts.get('up', 0)), 'area')} went up, "
                     f"{int(counts.get('down', 0))} down and {int(counts.get('same', 0))} stayed about the "
                     f"same (within {views.SAME_WITHIN:g} points).")
    if actions:
        open_n = sum(1 for x in actions if _get(x, "status", "open") in OPEN_STATUSES)
        done = sum(1 for x in actions if _get(x, "status") == "done")
        overdue = sum(1 for x in actions if _overdue(x, today))
        text = (f"The action plan holds {_plural(len(actions), 'action')}: {open_n} open or in progress, "
                f"{done} done")
        if overdue:
            text += f", {overdue} past {'its' if overdue == 1 else 'their'} due date"
        parts.append(text + ".")
    return " ".join(parts)


def _overdue(action: Any, today: dt.date | None) -> bool:
    due = _get(action, "due_date")
    if today is None or not isinstance(due, dt.date):
        return False
    due = due.date() if isinstance(due, dt.datetime) else due
    return _get(action, "status", "open") in OPEN_STATUSES and due < today


def _bands_para(q: Questionnaire) -> Para:
    return _p(_b("Bands: "), f"{q.bands.describe()}. Scores run from 0 to 100; spread is the "
              "disagreement between respondents, in points.", style="small")


def _dimension_tables(scores: PartnershipScores) -> list[Block]:
    blocks: list[Block] = [Heading("Every area: score, band and spread", 2),
                           _p("Spread is the standard deviation of respondents' scores (in points): a "
                              "large spread means people disagree, whatever the average.", style="small")]
    for fw in FRAMEWORK_ORDER:
        table = views.dimension_table(scores, fw)
        if table.empty:
            continue
        rows = tuple((str(int(r.number)), r.label, _score(r.score), r.band, _score(r.spread),
                      str(int(r.answered)), _pct(r.unknown)) for r in table.itertuples())
        blocks.append(Group((Heading(FRAMEWORKS[fw], 3),
                             Table(("#", "Area", "Score", "Band", "Spread", "Answered", "Don't know"),
                                   rows, (0.5, 3.6, 0.9, 1.4, 1.1, 1.4, 1.2), frozenset({0, 2, 4, 5, 6})))))
    return blocks


def _breakdown(scores: PartnershipScores) -> list[Block]:
    """Scores by organisation and by level: shown groups only; none at all when none is shown."""
    t = scores.threshold
    blocks: list[Block] = [Heading("Scores by organisation and level", 2)]
    any_shown = False
    for grouping, title in (("organisation", "By organisation"), ("level", "By level")):
        status = views.group_status(scores, grouping)
        shown = [r.group for r in status.itertuples() if r.shown_areas > 0]
        if not shown:
            continue
        any_shown = True
        frames = [views.radar_frame(scores, fw, by=grouping).assign(framework=fw) for fw in FRAMEWORK_ORDER]
        frame = pd.concat(frames, ignore_index=True)
        for start in range(0, len(shown), GROUP_COLUMNS):
            chunk = shown[start:start + GROUP_COLUMNS]
            rows: list[tuple[str, ...]] = []
            for fw, fw_part in frame.groupby("framework", sort=False):
                rows.append((FRAMEWORKS[str(fw)],))  # a section row, spanning the table
                for _dim, part in fw_part.groupby("dimension", sort=False):
                    by_series = {r.series: r for r in part.itertuples()}
                    whole = by_series[views.WHOLE]
                    cells = [f"{int(whole.number)} {whole.label}", _score(whole.score)]
                    for g in chunk:
                        r = by_series.get(g)
                        if r is None or r.status == views.NO_DATA:
                            cells.append("no data")
                        elif r.status == views.SUPPRESSED:
                            cells.append("hidden")
                        else:
                            cells.append(_score(r.score))
                    rows.append(tuple(cells))
            n = len(chunk)
            suffix = "" if len(shown) <= GROUP_COLUMNS else f" ({start // GROUP_COLUMNS + 1})"
            blocks.append(Group((Heading(title + suffix, 3),
                                 Table(("Area", "Whole", *[_cell(g) for g in chunk]), tuple(rows),
                                       (3.2, 1.1, *([1.6] * n)), frozenset(range(1, n + 2))))))
        hidden = [r.group for r in status.itertuples() if r.shown_areas == 0 and r.status != views.NO_DATA]
        if hidden:
            blocks.append(_p(f"Not shown by {grouping}, for anonymity: {', '.join(hidden)} (see the "
                             "method note).", style="small"))
    if any_shown:
        blocks.append(_p(f"\"hidden\": fewer than {t} of the group answered that area, or the group is "
                         "hidden so that a smaller one cannot be worked out from the total. \"Whole\" is "
                         "the whole partnership.", style="small"))
    else:
        blocks.append(_p(f"No breakdown by organisation or level is shown: no group has {t} or more "
                         "responses on any area, so every answer counts only towards the whole "
                         "partnership's scores."))
    return blocks


def _findings(a: Assessment) -> list[Block]:
    rows = views.finding_rows(a.findings, a.questionnaire)
    blocks: list[Block] = [Heading("Findings", 2)]
    if a.full_check_note:  # a pulse round: the checks it could not run
        blocks.append(_p(a.full_check_note))
    if not rows:
        blocks.append(_p("The rules flag no risks in this round."))
        return blocks
    blocks.append(_p(f"{_plural(len(rows), 'finding')}, most severe first and, within a severity, the "
                     "furthest past its line first. Each says why it was raised (the evidence that made "
                     "the rule fire), what would clear it, and what the guides recommend. Findings that "
                     "rest on the same evidence are given once."))
    for sev in SEVERITIES:
        mine = [r for r in rows if r["severity"] == sev]
        if not mine:
            continue
        for k, r in enumerate(mine):
            inner: list[Any] = [Heading(f"{SEVERITY_LABEL.get(sev, sev)} ({len(mine)})", 3)] if k == 0 else []
            inner += [
                _p(_b(r["title"]), _i(f"  ({SEVERITY_LABEL.get(sev, sev).lower()})")),
                _p(r["explanation"]),
            ]
            if r["covers"]:
                inner.append(_p(_i("Also covers: " + "; ".join(r["covers"]) + " (the same evidence raised "
                                   "them)."), style="small"))
            inner += [
                _p(_b("Why this was raised, and what would clear it")),
                _bullets([w, *([_i(" " + c)] if c else [])]
                         for w, c in zip(r["why"], r["to_clear"], strict=True)) if r["why"] else _p(DASH),
            ]
            if r["actions"]:
                inner.append(_p(_b("Recommended actions")))
                inner.append(_bullets([act["text"], _i(f" ({act['task']})")] for act in r["actions"]))
            blocks.append(Group(tuple(inner)))
    return blocks


def _start_here(a: Assessment) -> list[Block]:
    items = start_here.start_here(a.findings, a.questionnaire)
    if not items:
        return []
    blocks: list[Block] = [Heading(start_here.HEADING, 2), _p(start_here.INTRO)]
    for k, item in enumerate(items, start=1):
        inner: list[Any] = [_p(_b(f"{k}. {item['title']}"),
                               _i(f"  ({SEVERITY_LABEL.get(item['severity'], item['severity']).lower()})"))]
        if item["to_clear"] or item["why"]:  # what would clear it says the value too
            inner.append(_p(item["to_clear"] or item["why"] + "."))
        if item["covers"]:
            inner.append(_p(_i("Also covers: " + "; ".join(item["covers"]) + "."), style="small"))
        if item["action"]:
            inner.append(_p(_b("First step: "), item["action"]["text"], _i(f" ({item['action']['task']})")))
        blocks.append(Group(tuple(inner)))
    return blocks


def _gaps(scores: PartnershipScores) -> list[Block]:
    blocks: list[Block] = [Heading("Largest perspective gaps", 2)]
    gaps = views.largest_gaps(scores, 5)
    if not gaps:
        blocks.append(_p(f"No differences to show: at least two organisations (or levels) each need "
                         f"{scores.threshold} or more responses before they can be compared."))
        return blocks
    blocks.append(_p("Where organisations or levels see an area most differently (only groups shown "
                     "in this report can be compared)."))
    rows = tuple((g["label"], "level" if g["grouping"] == "level" else "organisation",
                  f"{_cell(g['high_group'])}: {_score(g['high_score'])}",
                  f"{_cell(g['low_group'])}: {_score(g['low_score'])}", _score(g["gap"])) for g in gaps)
    blocks.append(Table(("Area", "Between", "Scores higher", "Scores lower", "Gap"), rows,
                        (2.4, 1.3, 2.4, 2.4, 0.8), frozenset({4})))
    return blocks


def _action_plan(actions: Sequence[Any], today: dt.date | None) -> list[Block]:
    blocks: list[Block] = [Heading("Action plan", 2)]
    if not actions:
        blocks.append(_p("No actions have been recorded yet. Add the recommended actions the "
                         "partnership agrees to, each with an owner and a date."))
        return blocks
    rows = []
    for x in actions:
        due = _get(x, "due_date")
        status = str(_get(x, "status", "open") or "open")
        label = STATUS_LABEL.get(status, status)
        if _overdue(x, today):
            label += " (overdue)"
        owner = _cell(_get(x, "owner", "")) or "not set"
        rows.append((_cell(_get(x, "text", "")), owner,
                     due.isoformat() if isinstance(due, dt.date) else "no date", label))
    blocks.append(Table(("Action", "Owner", "Due", "Status"), tuple(rows), (5, 1.8, 1.3, 1.4)))
    return blocks


def _change(scores: PartnershipScores, previous: PartnershipScores | None,
            previous_label: str | None) -> list[Block]:
    blocks: list[Block] = [Heading("Change since the previous round", 2)]
    if previous is None:
        blocks.append(_p("There is no previous round to compare with. Run the health check again in "
                         "about six months to see the distance travelled."))
        return blocks
    name = previous_label or "the previous round"
    blocks.append(_p(f"Compared with {name}. Changes of less than {views.SAME_WITHIN:g} points count as "
                     "the same."))
    ch = views.changes(scores, previous)
    rows = tuple((r.label, _score(r.previous), _score(r.current), _signed(r.change), r.direction)
                 for r in ch.itertuples())
    blocks.append(Table(("Area", "Before", "Now", "Change", "Direction"), rows, (3.6, 1, 1, 1, 1.2),
                        frozenset({1, 2, 3})))
    return blocks


def _comments(comments: Mapping[str, Sequence[str]] | None, threshold: int) -> list[Block]:
    blocks: list[Block] = [Heading("Comments on low scores", 2)]
    if not comments:
        blocks.append(_p(f"No comments to show. Comments are shown only from organisations with at least "
                         f"{threshold} responses, without names."))
        return blocks
    blocks.append(_p(f"Shown without names, and only from organisations with at least {threshold} "
                     "responses; sorted by their words, not by who wrote them or when.", style="small"))
    for item_text, texts in comments.items():
        blocks.append(_p(_b(item_text)))
        blocks.append(_bullets([t] for t in texts))
    return blocks


def _small_groups_text(s: PartnershipScores) -> str:
    if s.small_groups == "pool":
        return ("Smaller groups are pooled (\"Other partners, 4 people\") where together they reach the "
                "threshold; where they cannot, their people are left out of every figure, the whole "
                "partnership's included, so that no other group has to be hidden.")
    return ("When exactly one group is hidden, the next smallest is hidden too, so the hidden one cannot be "
            "worked out from the total and the others.")


def _method(a: Assessment, pack_note: str | None = None) -> list[Block]:
    q, s = a.questionnaire, a.scores
    t = s.threshold
    blocks: list[Block] = [Heading("Method note", 2)]
    blocks.append(_p(_b("Questionnaire: "), f"{q.title} (id {q.id}, version {q.version}), "
                     f"{_plural(len(q.likert_items), 'scored question')} on "
                     f"{_plural(len(s.dimensions), 'area')}."))
    blocks.append(_p(_b("How scores are computed: "),
                     "each answer on the 1 to 5 agreement scale maps to 0 to 100 (1 is 0, 5 is 100), "
                     "reverse-worded questions flipped first. A person's score for an area is the "
                     "(weighted) mean of their answers to its questions; the area's score is the mean "
                     "over people and its spread the standard deviation across people. \"Don't know\" "
                     "is not scored; its share is shown."))
    b = q.bands
    blocks.append(_p(_b("Bands: "), f"strength at {b.strength:g} and above, borderline from "
                     f"{b.borderline:g} to under {b.strength:g}, concern below {b.borderline:g}. Bands are "
                     "named in words everywhere, never told by colour alone."))
    blocks.append(_p(_b("Findings: "), pack_note or "each finding comes from a rule in the partnership's "
                     "rule set; it lists the evidence that made the rule fire and the actions the "
                     "practice guides recommend."))
    blocks.append(_p(_b("Anonymity threshold: "),
                     f"{t}. An organisation or level is shown only where at least {t} of its people "
                     "answered an area. " + _small_groups_text(s) + " Hidden "
                     "groups have no number anywhere in this report; comments are shown only from "
                     f"organisations with at least {t} responses, without names."))
    hidden = suppressed_groups(s)
    if hidden:
        blocks.append(_p(_b("Suppressed in this round:")))
        blocks.append(_bullets([h] for h in hidden))
    else:
        blocks.append(_p(_b("Suppressed in this round: "), "nothing; every group is shown."))
    blocks.append(_p(f"Made with Partnership Health Check {__version__}.", style="small"))
    return blocks


def build_report(assessment: Assessment, *, previous: Assessment | PartnershipScores | None = None,
                 previous_label: str | None = None, actions: Sequence[Any] | None = None,
                 comments: Mapping[str, Sequence[str]] | None = None, round_label: str | None = None,
                 date: dt.date | dt.datetime | str | None = None, with_charts: bool = True) -> Report:
    """The report's document model (plain text blocks and the charts to draw)."""
    import altair as alt

    from healthcheck.present import charts as ch

    a = assessment
    s, q = a.scores, a.questionnaire
    prev = previous.scores if isinstance(previous, Assessment) else previous
    acts = list(actions or [])
    today = _as_date(date)
    name = _name(s)
    report = Report(title=f"Partnership health check: {name}", partnership=name)
    blocks = report.blocks

    # cover
    blocks.append(_p("Partnership health check", style="kicker"))
    blocks.append(Heading(name, 1))
    facts = (("Round", _cell(round_label) or "not named"), ("Date", _date_text(date)),
             ("Questionnaire", f"{q.title} (version {q.version})"),
             ("People who answered", str(s.respondents)), ("Anonymity threshold", str(s.threshold)))
    blocks.append(Table(("", ""), facts, (1.4, 3)))
    blocks.extend(_start_here(a))
    blocks.extend(_who_answered(s))
    blocks.append(Heading("Summary", 2))
    blocks.append(_p(_extended_summary(a, prev, previous_label, acts, today), style="lead"))
    blocks.append(_bands_para(q))
    blocks.append(PageBreak())

    # charts
    org_shown = any(r.shown_areas > 0 for r in views.group_status(s, "organisation").itertuples())
    blocks.append(Heading(FRAMEWORKS["tasks"], 2))
    blocks.append(_p("The 13 tasks in partnership working, scored 0 to 100 (the outer ring is 100). The "
                     "thick black line is the whole partnership"
                     + (", the others each organisation shown." if org_shown else ".")))
    if with_charts:
        report.charts["radar"] = ch.radar(views.radar_frame(s, "tasks", by="organisation" if org_shown
                                                            else None), "", size=440)
        blocks.append(Chart("radar", "The 13 tasks (radar)", 150))
        # one chart (two panels): each render has a fixed cost
        cuts = assessment.questionnaire.bands.cuts
        bars = [ch.band_bars(views.dimension_table(s, fw), FRAMEWORKS[fw], cuts=cuts)
                for fw in ("factors", "prerequisites")]
        report.charts["factors"] = alt.vconcat(*bars, spacing=24).resolve_scale(color="shared")
        blocks.append(Group((Heading("Conditions and prerequisites", 2),
                             _p("Score and band of each condition for collaborative innovation and each "
                                "prerequisite; dashed lines mark the band cut points."),
                             Chart("factors", "Conditions and prerequisites"))))
    blocks.extend(_dimension_tables(s))
    blocks.extend(_breakdown(s))
    blocks.extend(_findings(a))
    blocks.extend(_gaps(s))
    blocks.extend(_action_plan(acts, today))
    blocks.extend(_change(s, prev, previous_label))
    blocks.extend(_comments(comments, s.threshold))
    blocks.extend(_method(a))
    return report
