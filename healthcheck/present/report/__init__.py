"""The partnership report: Markdown and PDF, for a board, a corporate parenting forum or a funder.

One document model (a list of blocks holding plain, unescaped text) is built from the view models
in `healthcheck.views`, so the report says what the dashboard says in the same words; two
renderers turn it into Markdown or an A4 PDF (reportlab). Each renderer escapes every piece of
text for its own markup: free text (partnership and organisation names, comments, actions) can
never become a heading, a link, a script or a formula.

Anonymity holds exactly as on screen: a group below the threshold is named only as hidden
("fewer than N responses"), never with a number, in tables, charts or the cover. When no group
is shown, the report has no breakdown by organisation or level at all.

Charts are the dashboard's Altair charts, rendered offline to PNG by vl-convert (no network).
Nothing here imports Streamlit.
"""

from __future__ import annotations

import datetime as dt
import io
import math
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal
from xml.sax.saxutils import escape as xml_escape

import pandas as pd

from healthcheck import __version__
from healthcheck.core.assess import Assessment
from healthcheck.core.frameworks import FRAMEWORKS
from healthcheck.core.questionnaire import Questionnaire
from healthcheck.core.responses import COMMENT_SUFFIX
from healthcheck.core.rules import SEVERITIES
from healthcheck.core.scoring import PartnershipScores
from healthcheck.present import views

Format = Literal["pdf", "md"]

SEVERITY_LABEL = {"high": "High", "medium": "Medium", "low": "Low", "info": "For information"}
STATUS_LABEL = {"open": "Open", "in_progress": "In progress", "done": "Done", "dropped": "Dropped"}
OPEN_STATUSES = ("open", "in_progress")
BAND_MEANING = {"strength": "keep it going", "borderline": "discuss at the next meeting",
                "concern": "act now", "no data": "nobody answered"}
FRAMEWORK_ORDER = ("tasks", "factors", "prerequisites")
DASH = "–"
MAX_CELL = 500  # characters of free text in one table cell (a row taller than a page cannot be laid out)
GROUP_COLUMNS = 4  # organisation / level columns per breakdown table (more would not fit A4)
CHART_SCALE = 2


# ----------------------------------------------------------------------------- document model

Run = tuple[str, str]  # (text, style): style is "" (plain), "b" (bold) or "i" (italic)


@dataclass(frozen=True)
class Heading:
    text: str
    level: int = 2


@dataclass(frozen=True)
class Para:
    runs: tuple[Run, ...]
    style: str = "body"  # body | small | lead


@dataclass(frozen=True)
class Bullets:
    items: tuple[tuple[Run, ...], ...]


@dataclass(frozen=True)
class Table:
    columns: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]  # a row of one cell is a section heading across the table
    widths: tuple[float, ...]  # relative widths
    numeric: frozenset[int] = frozenset()  # right-aligned columns


@dataclass(frozen=True)
class Chart:
    key: str  # "radar", "factors", "prerequisites"
    caption: str
    width_mm: float = 160.0


@dataclass(frozen=True)
class PageBreak:
    pass


@dataclass(frozen=True)
class Group:
    """Blocks kept on one page when they fit (a finding, a heading with its table)."""
    blocks: tuple[Any, ...]


Block = Heading | Para | Bullets | Table | Chart | PageBreak | Group


@dataclass
class Report:
    title: str
    partnership: str
    blocks: list[Block] = field(default_factory=list)
    charts: dict[str, Any] = field(default_factory=dict)  # key -> Altair chart


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
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return DASH
    return f"{float(v):.0f}"


def _signed(v: Any) -> str:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return DASH
    n = round(float(v))
    return f"+{n}" if n > 0 else ("0" if n == 0 else f"{DASH}{abs(n)}")


def _pct(v: Any) -> str:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return DASH
    return f"{float(v) * 100:.0f}%"


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


def slug(text: str, fallback: str = "partnership") -> str:
    """A file-name-safe form of a partnership name ("Harbour Music + City" -> "harbour-music-city")."""
    text = re.sub("['\u2019]", "", text)
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    s = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")[:60].strip("-")
    return s or fallback


def _get(obj: Any, name: str, default: Any = None) -> Any:
    if isinstance(obj, Mapping):
        return obj.get(name, default)
    return getattr(obj, name, default)


# ----------------------------------------------------------------------------- comments


def low_score_comments(responses: pd.DataFrame, questionnaire: Questionnaire,
                       threshold: int) -> dict[str, list[str]]:
    """Comments on low answers, by item text, from organisations with at least `threshold`
    respondents only (as the dashboard shows them): no name, organisation or level attached,
    sorted so the order says nothing about who answered when."""
    if responses.empty or "organisation" not in responses:
        return {}
    counts = responses["organisation"].astype(str).value_counts()
    keep = responses["organisation"].astype(str).map(counts) >= threshold
    out: dict[str, list[str]] = {}
    for item in questionnaire.items:
        col = item.id + COMMENT_SUFFIX
        if col not in responses:
            continue
        texts = [str(t).strip() for t in responses.loc[keep, col]
                 if isinstance(t, str) and t.strip()]
        if texts:
            out.setdefault(item.text, []).extend(texts)
    return {k: sorted(v) for k, v in out.items()}


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
    b = q.bands
    return _p(_b("Bands: "), f"strength at {b.strength:g} and above ({BAND_MEANING['strength']}); "
              f"borderline from {b.borderline:g} to under {b.strength:g} ({BAND_MEANING['borderline']}); "
              f"concern below {b.borderline:g} ({BAND_MEANING['concern']}). Scores run from 0 to 100; "
              "spread is the disagreement between respondents, in points.", style="small")


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
    if not rows:
        blocks.append(_p("The rules flag no risks in this round."))
        return blocks
    blocks.append(_p(f"{_plural(len(rows), 'finding')}, most severe first. Each says why it was raised "
                     "(the evidence that made the rule fire) and what the guides recommend."))
    for sev in SEVERITIES:
        mine = [r for r in rows if r["severity"] == sev]
        if not mine:
            continue
        for k, r in enumerate(mine):
            inner: list[Any] = [Heading(f"{SEVERITY_LABEL.get(sev, sev)} ({len(mine)})", 3)] if k == 0 else []
            inner += [
                _p(_b(r["title"]), _i(f"  ({SEVERITY_LABEL.get(sev, sev).lower()})")),
                _p(r["explanation"]),
                _p(_b("Why this was raised")),
                _bullets([w] for w in r["why"]) if r["why"] else _p(DASH),
            ]
            if r["actions"]:
                inner.append(_p(_b("Recommended actions")))
                inner.append(_bullets([act["text"], _i(f" ({act['task']})")] for act in r["actions"]))
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
                     "responses.", style="small"))
    for item_text, texts in comments.items():
        blocks.append(_p(_b(item_text)))
        blocks.append(_bullets([t] for t in texts))
    return blocks


def suppressed_groups(scores: PartnershipScores) -> list[str]:
    """Hidden groups, by name only, with why: "Foster Care Co (organisation): fewer than 3 responses"."""
    t = scores.threshold
    total = len(scores.dimensions)
    out = []
    for grouping in ("organisation", "level"):
        status = views.group_status(scores, grouping)
        for r in status.itertuples():
            hidden_on = sum(1 for d in scores.dimensions if f"{grouping}:{r.key}" in d.suppressed)
            if r.respondents is None:
                out.append(f"{r.group} ({grouping}): fewer than {t} responses")
            elif hidden_on == total:
                out.append(f"{r.group} ({grouping}): hidden on every area, so that a smaller group cannot "
                           "be worked out from the total")
            elif hidden_on:
                out.append(f"{r.group} ({grouping}): hidden on {hidden_on} of {total} areas (fewer than {t} "
                           "of them answered those, or so that a smaller group cannot be worked out)")
    return out


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
                     "answered an area. When exactly one group is hidden, the next smallest is hidden "
                     "too, so the hidden one cannot be worked out from the total and the others. Hidden "
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


# ----------------------------------------------------------------------------- Markdown

_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|>~:$=])")


def md_escape(text: object) -> str:
    """`text` as literal Markdown text on one line: no markup, links, HTML, tables or headings."""
    s = "" if text is None else str(text)
    s = " ".join(s.split())
    s = s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _MD_SPECIAL.sub(r"\\\1", s)


def _md_runs(runs: Iterable[Run]) -> str:
    out = []
    for text, style in runs:
        body = md_escape(text)
        lead, core, trail = _split_space(body)
        if style == "b" and core:
            out.append(f"{lead}**{core}**{trail}")
        elif style == "i" and core:
            out.append(f"{lead}*{core}*{trail}")
        else:
            out.append(body)
    return "".join(out)


def _split_space(s: str) -> tuple[str, str, str]:
    core = s.strip(" ")
    if not core:
        return s, "", ""
    start = s.index(core)
    return s[:start], core, s[start + len(core):]


def _md_blocks(blocks: Iterable[Block], out: list[str]) -> None:
    for block in blocks:
        if isinstance(block, Group):
            _md_blocks(block.blocks, out)
        elif isinstance(block, Heading):
            out.append("#" * block.level + " " + md_escape(block.text))
        elif isinstance(block, Para):
            out.append(_md_runs(block.runs))
        elif isinstance(block, Bullets):
            out.append("\n".join("- " + _md_runs(item) for item in block.items))
        elif isinstance(block, Table):
            header = block.columns if any(block.columns) else ("", "")
            lines = ["| " + " | ".join(md_escape(c) for c in header) + " |",
                     "| " + " | ".join("---:" if i in block.numeric else "---" for i in range(len(header)))
                     + " |"]
            for row in block.rows:
                cells = [md_escape(c) for c in row]
                if len(row) == 1 and len(header) > 1:  # a section row
                    cells = [f"**{cells[0]}**"] + [""] * (len(header) - 1)
                lines.append("| " + " | ".join(cells) + " |")
            out.append("\n".join(lines))
        elif isinstance(block, Chart):
            out.append(f"*Chart: {md_escape(block.caption)} (in the PDF version of this report; the same "
                       "numbers are in the tables below).*")
        elif isinstance(block, PageBreak):
            out.append("---")


def to_markdown(report: Report) -> str:
    out: list[str] = []
    _md_blocks(report.blocks, out)
    return "\n\n".join(out) + "\n"


# ----------------------------------------------------------------------------- PDF

_FONT_DIRS = ("/usr/share/fonts/truetype/dejavu", "/usr/share/fonts/dejavu", "/usr/share/fonts/TTF",
              "/Library/Fonts", "C:/Windows/Fonts")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _fonts() -> tuple[str, str, str]:
    """Regular, bold and italic font names: DejaVu Sans when installed (it covers most scripts),
    else the PDF standard Helvetica (Latin-1 only)."""
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    if "HC-Regular" in pdfmetrics.getRegisteredFontNames():
        return "HC-Regular", "HC-Bold", "HC-Italic"
    files = {"HC-Regular": "DejaVuSans.ttf", "HC-Bold": "DejaVuSans-Bold.ttf",
             "HC-Italic": "DejaVuSans-Oblique.ttf"}
    for folder in _FONT_DIRS:
        paths = {k: Path(folder) / v for k, v in files.items()}
        if all(p.exists() for p in paths.values()):
            try:
                for k, p in paths.items():
                    pdfmetrics.registerFont(TTFont(k, str(p)))
                pdfmetrics.registerFontFamily("HC-Regular", normal="HC-Regular", bold="HC-Bold",
                                              italic="HC-Italic", boldItalic="HC-Bold")
            except Exception:  # a broken font file: fall back to the built-in font
                break
            return "HC-Regular", "HC-Bold", "HC-Italic"
    return "Helvetica", "Helvetica-Bold", "Helvetica-Oblique"


def pdf_escape(text: object) -> str:
    """`text` as literal text for reportlab's Paragraph markup (XML-ish): no tags, no entities."""
    s = "" if text is None else str(text)
    return xml_escape(_CONTROL.sub(" ", s))


def _pdf_runs(runs: Iterable[Run]) -> str:
    out = []
    for text, style in runs:
        body = pdf_escape(text)
        out.append(f"<b>{body}</b>" if style == "b" else f"<i>{body}</i>" if style == "i" else body)
    return "".join(out)


def render_charts(report: Report, scale: float = CHART_SCALE) -> dict[str, bytes]:
    """PNG bytes of the report's charts, rendered offline."""
    from healthcheck.present.charts import to_png

    return {key: to_png(chart, scale=scale) for key, chart in report.charts.items()}


def to_pdf(report: Report, images: Mapping[str, bytes] | None = None) -> bytes:
    """The report as an A4 PDF: headings, tables, charts, page numbers."""
    from reportlab.lib import colors
    from reportlab.lib.enums import TA_RIGHT
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.lib.utils import ImageReader
    from reportlab.platypus import (
        Image,
        KeepTogether,
        ListFlowable,
        ListItem,
        Paragraph,
        SimpleDocTemplate,
        Spacer,
        TableStyle,
    )
    from reportlab.platypus import PageBreak as RLPageBreak
    from reportlab.platypus import Table as RLTable

    regular, bold, italic = _fonts()
    images = images if images is not None else render_charts(report)
    ink = colors.HexColor("#1A1A1A")
    base = ParagraphStyle("hc-body", fontName=regular, fontSize=10, leading=13.5, textColor=ink,
                          spaceAfter=5, splitLongWords=1)
    styles = {
        "body": base,
        "lead": ParagraphStyle("hc-lead", parent=base, fontSize=11, leading=15.5, spaceAfter=8),
        "small": ParagraphStyle("hc-small", parent=base, fontSize=8.5, leading=11,
                                textColor=colors.HexColor("#333333")),
        "kicker": ParagraphStyle("hc-kicker", parent=base, fontName=bold, fontSize=11,
                                 textColor=colors.HexColor("#444444"), spaceAfter=2),
        1: ParagraphStyle("hc-h1", parent=base, fontName=bold, fontSize=20, leading=25, spaceAfter=10),
        2: ParagraphStyle("hc-h2", parent=base, fontName=bold, fontSize=14, leading=18, spaceBefore=12,
                          spaceAfter=6, keepWithNext=1),
        3: ParagraphStyle("hc-h3", parent=base, fontName=bold, fontSize=11, leading=14, spaceBefore=8,
                          spaceAfter=4, keepWithNext=1),
        "cell": ParagraphStyle("hc-cell", parent=base, fontSize=8.5, leading=10.5, spaceAfter=0),
        "cell_r": ParagraphStyle("hc-cell-r", parent=base, fontSize=8.5, leading=10.5, spaceAfter=0,
                                 alignment=TA_RIGHT),
        "head": ParagraphStyle("hc-head", parent=base, fontName=bold, fontSize=8.5, leading=10.5,
                               spaceAfter=0),
        "head_r": ParagraphStyle("hc-head-r", parent=base, fontName=bold, fontSize=8.5, leading=10.5,
                                 spaceAfter=0, alignment=TA_RIGHT),
        "bullet": ParagraphStyle("hc-bullet", parent=base, spaceAfter=2),
    }
    width = A4[0] - 36 * mm

    def table(block: Table) -> Any:
        total = sum(block.widths)
        col_widths = [width * w / total for w in block.widths]
        has_header = any(block.columns)
        data = []
        if has_header:
            data.append([Paragraph(pdf_escape(c), styles["head_r" if i in block.numeric else "head"])
                         for i, c in enumerate(block.columns)])
        sections = []
        for row in block.rows:
            if len(row) == 1 and len(block.columns) > 1:
                sections.append(len(data))
                data.append([Paragraph(f"<b>{pdf_escape(row[0])}</b>", styles["cell"])]
                            + [""] * (len(block.columns) - 1))
                continue
            cells = []
            for i, c in enumerate(row):
                text = pdf_escape(c)
                if i == 0 and not has_header:  # a key-value table: keys in bold
                    text = f"<b>{text}</b>"
                cells.append(Paragraph(text, styles["cell_r" if i in block.numeric else "cell"]))
            data.append(cells)
        t = RLTable(data, colWidths=col_widths, repeatRows=1 if has_header else 0, hAlign="LEFT")
        style = [("VALIGN", (0, 0), (-1, -1), "TOP"),
                 ("LINEBELOW", (0, 0), (-1, -1), 0.25, colors.HexColor("#AAAAAA")),
                 ("TOPPADDING", (0, 0), (-1, -1), 2.5), ("BOTTOMPADDING", (0, 0), (-1, -1), 2.5)]
        if has_header:
            style += [("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#E4E4E4")),
                      ("LINEBELOW", (0, 0), (-1, 0), 0.8, colors.HexColor("#555555"))]
        for r in sections:
            style += [("SPAN", (0, r), (-1, r)), ("BACKGROUND", (0, r), (-1, r), colors.HexColor("#F2F2F2")),
                      ("TOPPADDING", (0, r), (-1, r), 4)]
        t.setStyle(TableStyle(style))
        return t

    def chart(block: Chart) -> Any:
        png = images.get(block.key)
        if png is None:
            return Paragraph(pdf_escape(f"Chart not available: {block.caption}."), styles["small"])
        w, h = ImageReader(io.BytesIO(png)).getSize()
        draw_w = min(block.width_mm * mm, width)
        draw_h = draw_w * h / w
        max_h = 200 * mm
        if draw_h > max_h:
            draw_w, draw_h = draw_w * max_h / draw_h, max_h
        img = Image(io.BytesIO(png), width=draw_w, height=draw_h)
        img.hAlign = "CENTER"
        return img

    def flow(blocks: Iterable[Block]) -> list[Any]:
        out: list[Any] = []
        for block in blocks:
            if isinstance(block, Group):
                out.append(KeepTogether(flow(block.blocks)))
            elif isinstance(block, Heading):
                out.append(Paragraph(pdf_escape(block.text), styles[min(block.level, 3)]))
            elif isinstance(block, Para):
                out.append(Paragraph(_pdf_runs(block.runs), styles.get(block.style, base)))
            elif isinstance(block, Bullets):
                items = [ListItem(Paragraph(_pdf_runs(item), styles["bullet"]), leftIndent=12)
                         for item in block.items]
                out.append(ListFlowable(items, bulletType="bullet", start="•", leftIndent=12,
                                        bulletFontName=regular, bulletFontSize=9))
                out.append(Spacer(1, 3))
            elif isinstance(block, Table):
                out.append(table(block))
                out.append(Spacer(1, 6))
            elif isinstance(block, Chart):
                out.append(chart(block))
                out.append(Spacer(1, 6))
            elif isinstance(block, PageBreak):
                out.append(RLPageBreak())
        return out

    footer_name = report.partnership if len(report.partnership) <= 70 else report.partnership[:69] + "…"
    footer_name = _CONTROL.sub(" ", footer_name)

    def page(canvas: Any, doc: Any) -> None:
        canvas.saveState()
        canvas.setFont(regular, 8)
        canvas.setFillColor(colors.HexColor("#444444"))
        canvas.drawString(18 * mm, 10 * mm, f"Partnership health check · {footer_name}")
        canvas.drawRightString(A4[0] - 18 * mm, 10 * mm, f"Page {doc.page}")
        canvas.restoreState()

    buf = io.BytesIO()
    doc = SimpleDocTemplate(buf, pagesize=A4, leftMargin=18 * mm, rightMargin=18 * mm, topMargin=16 * mm,
                            bottomMargin=18 * mm, title=_CONTROL.sub(" ", report.title),
                            author="Partnership Health Check", subject="Partnership health check report",
                            creator=f"Partnership Health Check {__version__}", invariant=1)
    doc.build(flow(report.blocks), onFirstPage=page, onLaterPages=page)
    return buf.getvalue()


# ----------------------------------------------------------------------------- entry point


def report_bytes(assessment: Assessment, *, previous: Assessment | PartnershipScores | None = None,
                 actions: Sequence[Any] | None = None, fmt: Format = "pdf", round_label: str | None = None,
                 date: dt.date | dt.datetime | str | None = None, previous_label: str | None = None,
                 comments: Mapping[str, Sequence[str]] | None = None) -> bytes:
    """The partnership report as PDF (fmt="pdf") or UTF-8 Markdown (fmt="md") bytes.

    previous: the previous round's assessment (or scores), for "change since the previous round";
    actions: action items, any objects (or mappings) with text, owner, due_date, status (the
    store's ActionInfo); comments: item text -> comments already filtered for anonymity (see
    `low_score_comments`); round_label and date go on the cover (date defaults to today).
    """
    if fmt not in ("pdf", "md"):
        raise ValueError(f"unknown report format {fmt!r}: use 'pdf' or 'md'")
    report = build_report(assessment, previous=previous, previous_label=previous_label, actions=actions,
                          comments=comments, round_label=round_label, date=date, with_charts=fmt == "pdf")
    if fmt == "md":
        return to_markdown(report).encode("utf-8")
    return to_pdf(report)
