"""The "Language" picker of the answer and participant pages (questionnaire translations).

Shown only when the questionnaire has a translation. The choice is kept in the session and in
the address bar (`?lang=en-US`), so a lead can send a link in a given language. Only the text
changes: ids, answer values and so the stored responses are the same in every language. The
page wording around the questions (buttons, notices) follows the choice where the translation
carries it (`healthcheck.pagetext`).
The page also declares the chosen language (`<html lang>`), so screen readers read the
questions with the right voice.
"""

from __future__ import annotations

import json
import re

import streamlit as st

from healthcheck.core.pagetext import ENGLISH, PageText
from healthcheck.core.questionnaire import LANGUAGE_PATTERN, Questionnaire, find_questionnaire
from healthcheck.core.translations import Language, available_languages, localised, page_text
from healthcheck.ui.common import get_questionnaire

LANG_KEY = "hc_lang"


@st.cache_resource(show_spinner=False)
def get_languages(questionnaire_id: str) -> tuple[Language, ...]:
    return tuple(available_languages(find_questionnaire(questionnaire_id)))


@st.cache_resource(show_spinner=False)
def get_localised(questionnaire_id: str, language: str) -> Questionnaire:
    return localised(find_questionnaire(questionnaire_id), language)


@st.cache_resource(show_spinner=False)
def get_page_text(questionnaire_id: str, language: str) -> PageText:
    return page_text(find_questionnaire(questionnaire_id), language)


def chosen_page_text(questionnaire_id: str) -> PageText:
    """The page wording in the language this session picked (English before any choice), for
    what a page shows before or without its picker."""
    tag = st.session_state.get(LANG_KEY)
    return get_page_text(questionnaire_id, tag) if isinstance(tag, str) else ENGLISH


def _keep_answers(prefixes: tuple[str, ...]) -> None:
    """Before the page is drawn in the new language: pin each answer widget's value. A radio
    remembers its answer by the label shown, so new labels would otherwise clear the answer."""
    ss = st.session_state
    for key in [k for k in ss if str(k).startswith(prefixes)]:
        ss[key] = ss[key]


def declare_page_language(tag: str) -> None:
    """WCAG 3.1.1: the page says which language its text is in. Streamlit has no setting for
    `<html lang>`, so one line of script sets it. `tag` comes from a translation's file name and
    is checked against the BCP 47 pattern again here: no visitor's text reaches the script."""
    if re.fullmatch(LANGUAGE_PATTERN, tag):
        st.html(f"<script>document.documentElement.lang = {json.dumps(tag)};</script>",
                unsafe_allow_javascript=True)


def language_picker(questionnaire_id: str, keep: tuple[str, ...] = ()) -> tuple[Questionnaire, PageText]:
    """Draw the picker (when there is a choice) and return the questionnaire and the page wording
    in the chosen language. `keep`: key prefixes of the page's answer widgets, kept across a change."""
    languages = get_languages(questionnaire_id)
    if len(languages) < 2:
        return get_questionnaire(questionnaire_id), ENGLISH
    names = {lang.tag: lang.name for lang in languages}
    ss = st.session_state
    if ss.get(LANG_KEY) not in names:  # on entry: the link's ?lang= (any letter case), else the original
        wanted = str(st.query_params.get("lang", "")).lower()
        ss[LANG_KEY] = next((tag for tag in names if tag.lower() == wanted), languages[0].tag)
    tag = st.selectbox("Language", list(names), key=LANG_KEY, format_func=names.__getitem__,
                       on_change=_keep_answers, args=(keep,))
    if st.query_params.get("lang") != tag and ("lang" in st.query_params or tag != languages[0].tag):
        st.query_params["lang"] = tag
    declare_page_language(tag)
    if tag == languages[0].tag:
        return get_questionnaire(questionnaire_id), ENGLISH
    return get_localised(questionnaire_id, tag), get_page_text(questionnaire_id, tag)
