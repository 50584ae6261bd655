"""Plain language: everything a respondent or a partnership reads is scored and checked for jargon.

Respondents include foster carers and care staff answering on a phone; wording they cannot follow
silently drops their voice (issue 8). Flesch reading ease (textstat) is noisy on one sentence, so
each text is scored as written and a failure is fixed by rewording, never by splitting sentences.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
import textstat

from healthcheck.core.pagetext import PAGE_TEXT
from healthcheck.core.questionnaire import Questionnaire, load_questionnaire, shipped_questionnaires
from healthcheck.core.rules import Rule, load_rules

ITEM_MIN = 60.0  # items, help, intros: read by every respondent, often on a phone
RULE_MIN = 50.0  # rule explanations and actions: read by the partnership's leads

# Every acronym allowed in user-facing text, with the expansion(s) accepted at first use.
# An acronym missing here fails the test: add it with its expansion, or better, reword.
KNOWN_ACRONYMS: dict[str, tuple[str, ...]] = {
    "CYPS": ("Children and Young People's Service", "children and young people's services"),
    "PEP": ("Personal Education Plan",),
    "LAC": ("looked-after children",),
    "CiC": ("children in care",),
    "VSH": ("Virtual School Head",),
    "DSL": ("Designated Safeguarding Lead",),
    "IRO": ("Independent Reviewing Officer",),
    "SEND": ("special educational needs and disabilities",),
    "SWOT": ("strengths, weaknesses, opportunities and threats",),
}
# Acronyms we never use, even expanded: the plain words read better (and "LAC" labels children).
AVOID = {"LAC": "looked-after children"}

# Two or more capitals in a word that starts with one: SWOT, PEPs, CiC (not "I" or "Virtual").
ACRONYM = re.compile(r"\b[A-Z](?=[A-Za-z]*[A-Z])[A-Za-z]*\b")

Text = tuple[str, str]  # (where, text), e.g. ("q.clear_problem", "We can name ...")
# Titles, scale and choice labels are a few words: Flesch means nothing there, so only prose
# (descriptions, intros, items, help, explanations, actions) is scored; jargon is checked in all.
Piece = tuple[str, str, bool]  # (where, text, is prose)


def questionnaire_texts(q: Questionnaire) -> Iterator[Piece]:
    """Every text a respondent sees, in reading order (intro, sections, items)."""
    yield "title", q.title, False
    if q.description:
        yield "description", q.description, True
    for n, label in enumerate(q.scale.labels, 1):
        yield f"scale {n}", label, False
    yield "scale dont_know", q.scale.dont_know, False
    for s_i, section in enumerate(q.sections, 1):
        yield f"section {s_i} title", section.title, False
        if section.intro:
            yield f"section {s_i} intro", section.intro, True
        for item in section.items:
            yield item.id, item.text, True
            if item.help:
                yield f"{item.id} help", item.help, True
            if item.prompt:  # said to a workshop room once it has seen the question's spread
                yield f"{item.id} prompt", item.prompt, True
            for choice in item.choices:
                yield f"{item.id} choice {choice.id}", choice.label, False


def rule_texts(rule: Rule) -> Iterator[Piece]:
    """Every text of a finding, in the order the dashboard and report show it."""
    yield "title", rule.title, False
    yield "explanation", rule.explanation, True
    for n, action in enumerate(rule.actions, 1):
        yield f"action {n}", action.text, True


# Through the real loaders, so the tests see exactly what the app shows.
QUESTIONNAIRES: list[tuple[str, Questionnaire]] = [
    (path.name, load_questionnaire(path)) for path in shipped_questionnaires()]
RULES: tuple[Rule, ...] = load_rules().rules


def flesch(text: str) -> float:
    return float(textstat.flesch_reading_ease(" ".join(text.split())))


def hard_to_read(texts: list[tuple[str, str]], minimum: float) -> list[str]:
    """One line per text scoring below `minimum`, lowest first: 'file where: score: text'."""
    scored = sorted((flesch(text), where, text) for where, text in texts)
    return [f"{where}: {score:.1f} < {minimum:g}: {text!r}" for score, where, text in scored
            if score < minimum]


def jargon_problems(texts: list[Text]) -> list[str]:
    """Acronyms not in KNOWN_ACRONYMS, in AVOID, or not expanded at their first use in a document.

    `texts` is one document in reading order. Expanded means "expansion (ACR)" or "ACR (expansion)".
    """
    problems: list[str] = []
    seen: set[str] = set()
    for where, raw in texts:
        text = " ".join(raw.split())
        for match in ACRONYM.finditer(text):
            word = match.group()
            acronym = word[:-1] if word.endswith("s") and word[:-1] in KNOWN_ACRONYMS else word
            if acronym in AVOID:
                problems.append(f"{where}: write {AVOID[acronym]!r} instead of {acronym!r}")
                continue
            if acronym not in KNOWN_ACRONYMS:
                problems.append(f"{where}: unknown acronym {word!r}: reword it, or add it to "
                                f"KNOWN_ACRONYMS with its expansion and expand it at first use")
                continue
            if acronym in seen:
                continue
            seen.add(acronym)
            before = text[:match.start()].rstrip().lower()
            after = text[match.end():].lstrip().lower()
            expansions = [e.lower() for e in KNOWN_ACRONYMS[acronym]]
            expanded = (
                (before.endswith("(") and any(before[:-1].rstrip().endswith(e) for e in expansions)
                 and after.startswith(")"))
                or any(after.startswith(f"({e})") for e in expansions)
            )
            if not expanded:
                problems.append(f"{where}: first use of {acronym!r} is not expanded; write "
                                f"\"{KNOWN_ACRONYMS[acronym][0]} ({acronym})\"")
    return problems


# --- the shipped questionnaires and rules ----------------------------------------------------

def test_questionnaire_items_are_easy_to_read() -> None:
    """Items, their help, section intros and descriptions: Flesch reading ease >= 60."""
    texts = [(f"{name} {where}", text) for name, q in QUESTIONNAIRES
             for where, text, prose in questionnaire_texts(q) if prose]
    assert sum(len(q.items) for _, q in QUESTIONNAIRES) <= len(texts), "the collector lost items"
    failures = hard_to_read(texts, ITEM_MIN)
    assert not failures, (f"{len(failures)} questionnaire text(s) are hard to read; reword them:\n"
                          + "\n".join(failures))


def test_page_wording_is_easy_to_read() -> None:
    """The respondent and participant pages' own sentences (healthcheck.pagetext): Flesch >= 60,
    and no unexplained acronym. Buttons and labels of a few words are not scored."""
    sentences = [(f"page {key}", text.replace("{", "").replace("}", "")) for key, text in PAGE_TEXT.items()
                 if len(text.split()) >= 8]
    assert len(sentences) >= 15, "the collector lost the page's sentences"
    failures = hard_to_read(sentences, ITEM_MIN)
    assert not failures, f"{len(failures)} page text(s) are hard to read:\n" + "\n".join(failures)
    assert jargon_problems(list(PAGE_TEXT.items())) == []


def test_rule_explanations_and_actions_are_easy_to_read() -> None:
    texts = [(f"{rule.id} {where}", text) for rule in RULES
             for where, text, prose in rule_texts(rule) if prose]
    assert len(texts) == sum(1 + len(rule.actions) for rule in RULES), "the collector lost rule texts"
    failures = hard_to_read(texts, RULE_MIN)
    assert not failures, (f"{len(failures)} rule text(s) are hard to read; reword them:\n"
                          + "\n".join(failures))


@pytest.mark.parametrize("name", [name for name, _ in QUESTIONNAIRES])
def test_questionnaire_acronyms_are_expanded_at_first_use(name: str) -> None:
    q = dict(QUESTIONNAIRES)[name]
    problems = jargon_problems([(where, text) for where, text, _ in questionnaire_texts(q)])
    assert not problems, f"{name}:\n" + "\n".join(problems)


def test_rule_acronyms_are_expanded_at_first_use() -> None:
    # Each rule is its own document: a finding is read on its own, on the dashboard or in a report.
    problems = [f"{rule.id} {p}" for rule in RULES
                for p in jargon_problems([(where, text) for where, text, _ in rule_texts(rule)])]
    assert not problems, "\n".join(problems)


# --- the checks themselves can fail ----------------------------------------------------------

def test_hard_text_is_listed_with_its_id_and_score() -> None:
    hard = ("Notwithstanding organisational considerations, partnership representatives "
            "demonstrate institutional accountability.")
    failures = hard_to_read([("q.easy", "We meet every week."), ("q.hard", hard)], ITEM_MIN)
    assert len(failures) == 1
    assert failures[0].startswith("q.hard: ") and f"{flesch(hard):.1f} < 60" in failures[0]


@pytest.mark.parametrize(("texts", "expected"), [
    ([("a", "Update the Personal Education Plan (PEP). Then share the PEP.")], []),
    ([("a", "Update the PEP (Personal Education Plan) and its PEPs.")], []),
    ([("a", "Ask the virtual school head (VSH)."), ("b", "The VSH agrees.")], []),
    ([("a", "Update the PEP."), ("b", "Personal Education Plan (PEP)")], ["a: first use of 'PEP'"]),
    ([("a", "Talk to the DSL (the safeguarding person).")], ["a: first use of 'DSL'"]),
    ([("a", "Ask the ABC team.")], ["a: unknown acronym 'ABC'"]),
    ([("a", "Support looked-after children (LAC).")], ["a: write 'looked-after children'"]),
    ([("a", "Ask CiC what they think.")], ["a: first use of 'CiC'"]),
    ([("a", "I asked the Virtual School. Music helps.")], []),
])
def test_jargon_check(texts: list[Text], expected: list[str]) -> None:
    problems = jargon_problems(texts)
    assert len(problems) == len(expected), problems
    for problem, start in zip(problems, expected, strict=True):
        assert problem.startswith(start), problem


def test_every_shipped_questionnaire_is_checked() -> None:
    names = {name for name, _ in QUESTIONNAIRES}
    assert {"core.yaml", "pulse.yaml"} <= names
    assert names == {Path(p).name for p in shipped_questionnaires()}
