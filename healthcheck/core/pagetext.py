"""The page wording that respondents and workshop participants read (buttons, notices, messages).

Each text has an id. This module holds the English; a questionnaire translation may carry a
`page:` section with the same ids (`healthcheck.translations`), so a respondent who picks a
language reads the pages around the questions in it too. A text may hold `{name}` placeholders,
filled in when it is shown; a translation must keep exactly the same ones. Texts are Markdown
where the page shows Markdown (`**bold**`), written by us or a translator, never by a visitor.
Nothing here imports Streamlit.
"""

from __future__ import annotations

import string
from collections.abc import Mapping
from typing import Any

from healthcheck.core.frameworks import LEVELS

PAGE_TEXT: dict[str, str] = {
    # --- both pages
    "level.funder": "Funder",
    "level.strategic": "Strategic",
    "level.operational": "Operational",
    "level_help.funder": "You fund the work, or manage the grant for a funder.",
    "level_help.strategic": "You plan or lead this work in your organisation.",
    "level_help.operational": ("You work with children, young people or families, or run sessions day "
                               "to day."),
    "your_organisation": "Your organisation",
    "choose_organisation": "Choose your organisation",
    "where_you_work": "Where do you work in the partnership?",
    "send": "Send my answers",
    "thanks": "**Thank you.** Your answers have been sent.",
    "sent_before": "These answers had already been sent from this page, so nothing was stored twice.",
    # also the admin pages' outage message (healthcheck.ui.common.DB_UNAVAILABLE)
    "outage": ("The database cannot be reached just now. Nothing that was already saved has been "
               "lost, and what you typed on this page is kept: please try again in a minute."),
    # --- the privacy notice, before the first question on both pages (the partnership's own notice,
    # if its admin wrote one, replaces privacy.default; the admin's text is shown as typed)
    "privacy.title": "How we use your answers (privacy notice)",
    "privacy.default": (
        "- **What we keep:** your answers, the organisation and level you choose, and your role and "
        "comments only if you write them. We do not ask for your name or e-mail address and do not "
        "keep your internet address.\n"
        "- **Who sees what:** the partnership admin (the person who runs the health check) sees "
        "totals, and comments without names once at least {threshold} people from an organisation "
        "have answered. A funder sees only the rounds the partnership chooses to share with it, as "
        "totals. Nobody sees one person's answers.\n"
        "- **How long:** your own answers are deleted {months} months after this round closes. The "
        "totals are kept, so the partnership can see how it changes over time.\n"
        "- **Your choice:** you can skip any question. Nothing links your answers to you, so once "
        "they are sent nobody can find them to change them."),
    "privacy.contact": "Questions about your data? Contact:",
    "privacy.no_contact": ("Questions about your data? Ask the person who sent you the link or runs the "
                           "session."),
    # --- the answer page (a round's respondent link)
    "answer.before_you_start": (
        "**Before you start: who sees what**\n\n"
        "- Your answers are anonymous. We do not ask for your name or e-mail address.\n"
        "- Nobody in the partnership sees individual answers, including yours. Results are shown "
        "only as totals.\n"
        "- Results for a group (an organisation or a level) with fewer than {threshold} responses are "
        "never shown separately.\n"
        "- Comments and written answers are shown to the partnership admin (the person who runs the "
        "health check) without names, and only when at least {threshold} people from your "
        "organisation have answered. Please do not name colleagues or children in them.\n"
        "- You can skip any question, or choose \"Don't know\"."),
    "answer.comment": "Would you like to say what is behind this answer? (optional)",
    "answer.role": "Your role (optional)",
    "answer.role_example": "e.g. social worker, music leader",
    "answer.role_help": "Leave this blank if your role would tell others who you are.",
    "answer.closed": ("This round of the health check is closed, so it no longer takes answers. Thank "
                      "you for looking. If you think this is a mistake, contact the person who sent "
                      "you the link."),
    "answer.not_ready": ("This health check is not ready yet: no organisations have been added. Please "
                         "try again later."),
    "answer.about_then": "About you, then {sections} short sections",
    "answer.choose_to_begin": "Choose your organisation and where you work to begin.",
    "answer.start": "Start",
    "answer.section": "Section {number} of {sections}: {title}",
    "answer.back": "Back",
    "answer.next": "Next",
    "answer.answered": ("You answered {answered} of {questions} questions. Questions you skipped are "
                        "fine. When you send your answers you cannot change them."),
    "answer.after": ("The person who runs the health check will share the results with the "
                     "partnership, usually at your next meeting. You can close this page now."),
    # --- the workshop participant page
    "workshop.live": "{partnership} · live workshop",
    "workshop.anonymous": ("Anonymous: no names. Nobody sees anyone's own answers; results are shown only "
                           "as totals, and only for groups of at least {threshold} people. Skip any "
                           "question you like."),
    "workshop.progress": "{answered} of {questions} answered",
    "workshop.choose_first": ("Please choose your organisation and where you work, at the top of the "
                              "page."),
    "workshop.not_ready": "This workshop is not ready yet. No organisations have been added.",
    "workshop.ended": "This workshop has ended, so it no longer takes answers. Thank you for coming.",
    "workshop.wait_for_reveal": "The results will appear here when the facilitator shows them to the room.",
    "workshop.ended_results_later": ("The workshop has ended. The person who ran it will share the "
                                     "results with the partnership."),
    "workshop.too_few": ("Results are shown once at least {threshold} people have answered, so nobody's "
                         "answers can be picked out."),
    "workshop.results": "How the whole partnership sees it",
    "workshop.results_note": ("{answered} people answered. Scores run from 0 to 100; only totals are "
                              "shown, never anyone's own answers."),
}


def placeholders(text: str) -> set[str]:
    """The `{name}` placeholders in a text. Raises ValueError for a lone brace, and for anything
    but a bare name in braces (`{}`, `{0}`, `{name!r}`, `{name:>5}`), which could fail when shown."""
    found: set[str] = set()
    for _, name, spec, conversion in string.Formatter().parse(text):
        if name is None:
            continue
        if not name.isidentifier() or spec or conversion:
            raise ValueError(f"{{{name}}} is not a placeholder")
        found.add(name)
    return found


class PageText:
    """The page wording in one language: the translation's text where it has one, else English."""

    def __init__(self, translated: Mapping[str, str] | None = None) -> None:
        self._translated = dict(translated or {})

    def __call__(self, key: str, **values: Any) -> str:
        translated = self._translated.get(key)
        if translated:
            try:
                return translated.format(**values)
            except (KeyError, IndexError, ValueError):  # checked on loading; never fail a page over it
                pass
        return PAGE_TEXT[key].format(**values)

    def levels(self) -> dict[str, str]:
        """The partnership levels' names, by level id."""
        return {lv: self(f"level.{lv}") for lv in LEVELS}


ENGLISH = PageText()
