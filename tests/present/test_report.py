"""The partnership report (Markdown and PDF): content, anonymity, escaping, pages, CLI.

PDF text is read back with pypdf; pages are rendered with poppler's `pdftoppm` into
test-artifacts/report/ for a human to look at (skipped without poppler locally, required in CI).
"""

from __future__ import annotations

import datetime as dt
import html
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from functools import cached_property
from io import BytesIO
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pandas as pd
import pytest
from markdown_it import MarkdownIt
from pypdf import PdfReader

from healthcheck.core.assess import Assessment, assess
from healthcheck.core.questionnaire import Questionnaire, load_questionnaire
from healthcheck.core.responses import export_csv
from healthcheck.core.rules import RulePack, load_rules
from healthcheck.present import report, views
from healthcheck.services.demo_stories import STORIES, STORY_BY_KEY, story_responses

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts" / "report"
DATE = dt.date(2026, 11, 22)
SMALL_ORG = "County Fostering Team"
NASTY = ('<script>alert(1)</script>', '**bold**', '=HYPERLINK("x")', '[link](http://x)')


@dataclass
class Generated:
    assessment: Assessment
    pdf: bytes
    md: str

    @cached_property
    def text(self) -> str:
        """The PDF's text, whitespace folded to single spaces."""
        return _fold(self.pages_text)

    @cached_property
    def pages_text(self) -> str:
        return "\n".join(page.extract_text() or "" for page in PdfReader(BytesIO(self.pdf)).pages)


def _fold(text: str) -> str:
    return " ".join(text.split())


def _section(text: str, start: str, end: str) -> str:
    i = text.index(start)
    return text[i:text.index(end, i + len(start))]


@pytest.fixture(scope="module")
def q() -> Questionnaire:
    return load_questionnaire(ROOT / "questionnaires" / "core.yaml")


@pytest.fixture(scope="module")
def pack() -> RulePack:
    return load_rules()


ACTIONS = [
    SimpleNamespace(text="Cost the partnership's time in next year's budget", owner="Finance lead",
                    due_date=dt.date(2026, 10, 1), status="open"),
    {"text": "Agree the shared problem at the next meeting", "owner": "", "due_date": None, "status": "done"},
]


def _generate(q: Questionnaire, pack: RulePack, now: pd.DataFrame, before: pd.DataFrame | None = None,
              actions: list[Any] | None = None) -> Generated:
    a = assess(q, now, pack)
    prev = assess(q, before, pack) if before is not None else None
    comments = report.low_score_comments(now, q, a.scores.threshold)
    kwargs: dict[str, Any] = {"previous": prev, "previous_label": "Round 1", "actions": actions,
                              "round_label": "Round 2", "date": DATE, "comments": comments}
    pdf = report.report_bytes(a, fmt="pdf", **kwargs)
    md = report.report_bytes(a, fmt="md", **kwargs).decode("utf-8")
    return Generated(a, pdf, md)


@pytest.fixture(scope="module")
def stories(q: Questionnaire, pack: RulePack) -> dict[str, Generated]:
    return {s.key: _generate(q, pack, story_responses(q, s, 2), story_responses(q, s, 1), ACTIONS)
            for s in STORIES}


@pytest.fixture(scope="module")
def small_org(q: Questionnaire, pack: RulePack) -> Generated:
    """The leaderless story with the fostering team cut to 2 respondents (below the threshold of 3)."""
    frame = story_responses(q, STORY_BY_KEY["leaderless"], 2)
    drop = frame.index[frame["organisation"] == SMALL_ORG][-1]
    return _generate(q, pack, frame.drop(index=drop).reset_index(drop=True))


@pytest.fixture(scope="module")
def tiny(q: Questionnaire, pack: RulePack) -> Generated:
    """A partnership of 2 respondents: every organisation and level is below the threshold."""
    frame = story_responses(q, STORY_BY_KEY["money"], 1)
    orgs = ("Harbour Music", "City Children's Services")
    keep = [frame.index[frame["organisation"] == org][0] for org in orgs]
    return _generate(q, pack, frame.loc[keep].reset_index(drop=True))


# ----------------------------------------------------------------------------- content


@pytest.mark.parametrize("key", [s.key for s in STORIES])
def test_story_pdf_has_findings_scores_and_method(stories: dict[str, Generated], key: str) -> None:
    g = stories[key]
    text = g.text
    s = g.assessment.scores
    assert STORY_BY_KEY[key].partnership in text
    assert "Round 2" in text and "22 November 2026" in text
    titles = [f.rule.title for f in g.assessment.findings]
    for expected in STORY_BY_KEY[key].expected:  # the story's own risks are found and reported
        assert expected in {r for f in g.assessment.findings for r in (f.id, *f.covers)}
    for title in titles:
        assert _fold(title) in text, title
    for dim in ("task.taking_stock", "task.communicating", "prereq.clear_problem", "factor.debate"):
        d = s.by_id[dim]
        assert d.score is not None
        row = rf"{re.escape(d.label)} {d.score:.0f} {d.band} {d.spread:.0f}"
        assert re.search(row, text), (d.label, f"{d.score:.0f}", d.band)
    bands = {d.band for d in s.dimensions}
    for band in bands:
        assert re.search(rf"\d+ {band}\b", text), band
    assert "Method note" in text
    assert f"Anonymity threshold: {s.threshold}." in text
    assert "id core, version" in text
    assert "Page 1" in text and "Page 3" in text
    # every finding's why (evidence) and recommended actions are in the report
    for row in views.finding_rows(g.assessment.findings, g.assessment.questionnaire):
        for why in row["why"]:
            assert _fold(why) in text, why
        for act in row["actions"]:
            assert _fold(act["text"]) in text
    # findings come most severe first
    findings = _section(text, "Findings", "Largest perspective gaps")
    positions = [findings.index(_fold(r["title"])) for r in views.finding_rows(g.assessment.findings)]
    sev_rank = {"high": 0, "medium": 1, "low": 2, "info": 3}
    ranks = [sev_rank[r["severity"]] for r in views.finding_rows(g.assessment.findings)]
    assert [r for _, r in sorted(zip(positions, ranks, strict=True))] == sorted(ranks)


def test_change_action_plan_and_summary(stories: dict[str, Generated]) -> None:
    g = stories["money"]
    text = g.text
    change = _section(text, "Change since the previous round", "Comments on low scores")
    assert "Compared with Round 1" in change
    table = views.changes(g.assessment.scores, assess(g.assessment.questionnaire,
                                                      story_responses(g.assessment.questionnaire,
                                                                      STORY_BY_KEY["money"], 1),
                                                      load_rules()).scores)
    row = table[table["dimension"] == "task.taking_stock"].iloc[0]
    assert re.search(rf"Taking stock {row.previous:.0f} {row.current:.0f} \S+ {row.direction}", change)
    plan = _section(text, "Action plan", "Change since the previous round")
    assert "Cost the partnership's time in next year's budget Finance lead 2026-10-01 Open (overdue)" in plan
    assert "Agree the shared problem at the next meeting not set no date Done" in plan
    summary = _section(text, "Summary", "Bands:")
    assert _fold(views.summary_sentence(g.assessment.scores, g.assessment.findings)) in summary
    assert "Since Round 1" in summary and "The action plan holds 2 actions" in summary


def test_pdf_is_a4_with_charts(stories: dict[str, Generated]) -> None:
    reader = PdfReader(BytesIO(stories["strong"].pdf))
    for page in reader.pages:
        assert abs(float(page.mediabox.width) - 595.3) < 1 and abs(float(page.mediabox.height) - 841.9) < 1
    images = [img for page in reader.pages for img in page.images]
    assert len(images) == 2  # the radar of the 13 tasks; the conditions and prerequisites bars


def test_markdown_has_every_dimension_row(stories: dict[str, Generated]) -> None:
    g = stories["leaderless"]
    table = views.dimension_table(g.assessment.scores)
    for r in table.itertuples():
        line = (f"| {int(r.number)} | {report.md_escape(r.label)} | {r.score:.0f} | {r.band} | "
                f"{r.spread:.0f} | {int(r.answered)} |")
        assert line in g.md, line
    for f in g.assessment.findings:
        assert report.md_escape(f.rule.title) in g.md
    assert "# Method note" in g.md


# ----------------------------------------------------------------------------- anonymity


def _lines_naming(text: str, name: str) -> list[str]:
    return [line for line in text.splitlines() if name in line]


def test_small_organisation_is_suppressed_everywhere(small_org: Generated) -> None:
    s = small_org.assessment.scores
    t = s.threshold
    # pooling (the default) cannot pool a lone small organisation: its people are left out of
    # every figure, and the report says so
    assert SMALL_ORG not in s.organisations and s.anonymity["organisation"].left_out == [SMALL_ORG]
    assert s.left_out == 2 and all(SMALL_ORG not in d.by_organisation for d in s.dimensions)
    text = small_org.text
    assert "2 responses from groups too small to show are not in these figures" in text
    # named as suppressed, in the method note and on the cover, never with a number
    hidden = _section(text, "Suppressed in this round", "Made with")
    assert f"{SMALL_ORG} (organisation): fewer than {t} responses" in hidden
    assert f"{SMALL_ORG} fewer than {t}" in _section(text, "Who answered", "Summary")
    for source, name in ((small_org.pages_text, SMALL_ORG), (small_org.md, report.md_escape(SMALL_ORG))):
        for line in _lines_naming(source, name):
            assert not re.search(r"\d", line.replace(f"fewer than {t}", "")), line
    # the breakdown has no column for it: it is named only in the "not shown" note
    breakdown = _section(text, "Scores by organisation and level", "Findings")
    assert "Northgate Strings" in breakdown  # the breakdown exists for the shown organisation
    not_shown = re.search(r"Not shown by organisation, for anonymity: [^.]*", breakdown)
    assert not_shown and SMALL_ORG in not_shown.group(0)
    assert SMALL_ORG not in breakdown.replace(not_shown.group(0), "")
    gaps = _section(text, "Largest perspective gaps", "Action plan")
    assert SMALL_ORG not in gaps
    # the document model agrees: no table column is the small organisation, bar the cover's list
    model = report.build_report(small_org.assessment, with_charts=False)
    tables = [b for b in _flatten(model.blocks) if isinstance(b, report.Table)]
    assert not [tb for tb in tables if SMALL_ORG in tb.columns]
    with_name = [tb for tb in tables if any(SMALL_ORG in c for row in tb.rows for c in row)]
    assert len(with_name) == 1 and with_name[0].columns == ("Organisation", "Responses")


def _flatten(blocks: list[Any]) -> list[Any]:
    out = []
    for b in blocks:
        out.extend(_flatten(list(b.blocks)) if isinstance(b, report.Group) else [b])
    return out


def test_partnership_below_threshold_has_no_breakdown(tiny: Generated) -> None:
    s = tiny.assessment.scores
    t = s.threshold
    assert s.respondents == 2
    text = tiny.text
    breakdown = _section(text, "Scores by organisation and level", "Findings")
    assert "No breakdown by organisation or level is shown" in breakdown
    assert "By organisation" not in breakdown and "By level" not in breakdown
    groups = [*s.organisations, *(views.group_label("level", lv) for lv in s.levels)]
    for name in groups:
        assert name not in breakdown
        for line in _lines_naming(tiny.pages_text, name):
            assert not re.search(r"\d", line.replace(f"fewer than {t}", "")), line
    assert not re.search(r"\d", breakdown.replace(f"{t} or more", ""))
    assert "No differences to show" in _section(text, "Largest perspective gaps", "Action plan")
    for name in s.organisations:
        assert f"{name} (organisation): fewer than {t} responses" in text
    assert "# By organisation" not in tiny.md and "# By level" not in tiny.md
    # whole-partnership scores are still reported
    d = s.by_id["task.taking_stock"]
    assert re.search(rf"Taking stock {d.score:.0f} {d.band}", text)


# ----------------------------------------------------------------------------- escaping


@pytest.fixture(scope="module")
def nasty(q: Questionnaire, pack: RulePack) -> Generated:
    frame = story_responses(q, STORY_BY_KEY["new"], 1)
    name = "Harbour " + " ".join(NASTY)
    org = " ".join(NASTY[::-1])
    frame["partnership"] = name
    frame.loc[frame["organisation"] == "Foster Carers' Network", "organisation"] = org
    comment_col = next(c for c in frame.columns if c.endswith("_comment"))
    frame[comment_col] = frame[comment_col].astype(object)
    frame.loc[frame["organisation"] == org, comment_col] = None
    frame.loc[frame.index[frame["organisation"] == org][0], comment_col] = "Comment " + " ".join(NASTY)
    actions = [{"text": "Action " + " ".join(NASTY), "owner": NASTY[1], "due_date": None, "status": "open"}]
    return _generate(q, pack, frame, actions=actions)


def test_free_text_is_literal_in_the_pdf(nasty: Generated) -> None:
    text = nasty.text
    for bad in NASTY:
        assert text.count(bad) >= 4, bad  # name on the cover, organisation, comment, action
    assert "Comment " + " ".join(NASTY) in text
    assert "Action " + " ".join(NASTY) in text


def test_free_text_is_escaped_in_markdown(nasty: Generated) -> None:
    md = nasty.md
    assert "<script>" not in md and "</script>" not in md
    for bad in NASTY[1:]:
        assert bad not in md, bad
    rendered = MarkdownIt("commonmark").enable("table").render(md)
    assert "<script" not in rendered
    assert "<a " not in rendered
    assert "<strong>bold</strong>" not in rendered
    assert "<h1>" in rendered  # the report's own markup still works
    plain = html.unescape(re.sub(r"<[^>]+>", "", rendered))
    for bad in NASTY:
        assert bad in plain, bad
    assert "Comment " + " ".join(NASTY) in plain


def test_escape_helpers() -> None:
    assert report.md_escape("a|b\n# c") == r"a\|b \# c"
    assert report.md_escape("<b>&") == "&lt;b&gt;&amp;"
    assert report.pdf_escape("<b>x</b> & y\x00") == "&lt;b&gt;x&lt;/b&gt; &amp; y "
    assert report.slug("Harbour Music + City Children's Services") == "harbour-music-city-childrens-services"
    assert report.slug("***") == "partnership"


def test_report_bytes_rejects_unknown_format(stories: dict[str, Generated]) -> None:
    with pytest.raises(ValueError, match="unknown report format"):
        report.report_bytes(stories["new"].assessment, fmt="docx")  # type: ignore[arg-type]


def test_suppressed_groups_named_only(small_org: Generated) -> None:
    lines = report.suppressed_groups(small_org.assessment.scores)
    assert f"{SMALL_ORG} (organisation): fewer than 3 responses, so left out of every figure" in lines
    for line in lines:
        assert not re.search(r"\d", re.sub(r"fewer than 3|\d+ of \d+ areas", "", line)), line


# ----------------------------------------------------------------------------- pages as images


def test_pages_render_to_png(stories: dict[str, Generated], small_org: Generated, tiny: Generated) -> None:
    tool = shutil.which("pdftoppm")
    if tool is None:
        if os.environ.get("CI"):
            pytest.fail("pdftoppm (Debian poppler-utils) is required in CI", pytrace=False)
        pytest.skip("pdftoppm (poppler-utils) is not installed")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for name, g in (("money", stories["money"]), ("small-org", small_org), ("tiny", tiny)):
        for old in ARTIFACTS.glob(f"{name}-*.png"):
            old.unlink()
        pdf = ARTIFACTS / f"{name}.pdf"
        pdf.write_bytes(g.pdf)
        subprocess.run([tool, "-r", "60", "-png", str(pdf), str(ARTIFACTS / name)], check=True, timeout=120)
        pages = sorted(ARTIFACTS.glob(f"{name}-*.png"))
        assert len(pages) == len(PdfReader(BytesIO(g.pdf)).pages)
        assert all(p.stat().st_size > 2000 for p in pages)


# ----------------------------------------------------------------------------- CLI


def run(*args: str | Path, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "healthcheck.cli", *map(str, args)],
                          capture_output=True, text=True, cwd=cwd, timeout=300)


@pytest.fixture(scope="module")
def csv_files(q: Questionnaire, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("report-cli")
    files = {}
    story = STORY_BY_KEY["leaderless"]
    for round_no in (1, 2):
        path = folder / f"round{round_no}.csv"
        path.write_text(export_csv(story_responses(q, story, round_no), q), encoding="utf-8")
        files[f"round{round_no}"] = path
    both = pd.concat([story_responses(q, s, 2) for s in STORIES[:2]], ignore_index=True)
    files["two"] = folder / "two.csv"
    files["two"].write_text(export_csv(both, q), encoding="utf-8")
    files["bad"] = folder / "bad.csv"
    files["bad"].write_text("respondent,organisation,level\nr1,Harbour Music,boss\n", encoding="utf-8")
    return files


def test_cli_writes_pdf(csv_files: dict[str, Path], tmp_path: Path) -> None:
    out = tmp_path / "report.pdf"
    result = run("report", csv_files["round2"], "-o", out, "--previous", csv_files["round1"],
                 "--date", "2026-11-22", "--round", "Spring 2026")
    assert result.returncode == 0, result.stderr
    data = out.read_bytes()
    assert data.startswith(b"%PDF")
    text = _fold("\n".join(p.extract_text() for p in PdfReader(BytesIO(data)).pages))
    assert STORY_BY_KEY["leaderless"].partnership in text and "Spring 2026" in text
    assert "Compared with round1.csv" in text


def test_cli_writes_markdown(csv_files: dict[str, Path], tmp_path: Path) -> None:
    out = tmp_path / "report.md"
    result = run("report", csv_files["round2"], "-o", out)
    assert result.returncode == 0, result.stderr
    md = out.read_text(encoding="utf-8")
    assert md.startswith("Partnership health check")
    assert report.md_escape(STORY_BY_KEY["leaderless"].partnership) in md


def test_cli_one_report_per_partnership(csv_files: dict[str, Path], tmp_path: Path) -> None:
    out = tmp_path / "report.md"
    result = run("report", csv_files["two"], "-o", out)
    assert result.returncode == 0, result.stderr
    written = sorted(p.name for p in tmp_path.glob("report-*.md"))
    assert written == sorted(f"report-{report.slug(s.partnership)}.md" for s in STORIES[:2])
    assert not out.exists()
    assert "holds 2 partnerships" in result.stderr
    only = tmp_path / "only.md"
    result = run("report", csv_files["two"], "-o", only, "--partnership", STORIES[1].partnership)
    assert result.returncode == 0, result.stderr
    assert only.exists() and not list(tmp_path.glob("only-*"))
    assert report.md_escape(STORIES[1].partnership) in only.read_text(encoding="utf-8")


def test_cli_bad_input(csv_files: dict[str, Path], tmp_path: Path) -> None:
    result = run("report", csv_files["bad"], "-o", tmp_path / "x.pdf")
    assert result.returncode == 1
    assert "row 2, column level" in result.stderr
    assert not (tmp_path / "x.pdf").exists()
    result = run("report", csv_files["two"], "-o", tmp_path / "x.md", "--partnership", "Nobody")
    assert result.returncode == 1 and "no partnership named 'Nobody'" in result.stderr
    result = run("report", csv_files["round2"], "-o", tmp_path / "x.docx")
    assert result.returncode == 2
    result = run("report", csv_files["round2"])
    assert result.returncode == 2
