"""Questionnaire translations: `<questionnaire id>.<language tag>.yaml` files beside the questionnaire.

A translation holds text only, keyed by item id (and section number). It can change what a
respondent reads, never ids, scales, values, reverse-keying or dimensions: applying one swaps
strings in a copy of the questionnaire, so scoring is the same whichever language was used.
Entries it leaves out fall back to the questionnaire's own text.

A translation may also carry `page:`, the page wording around the questions (buttons, notices),
keyed by the ids in `healthcheck.pagetext`; placeholders such as `{threshold}` must be kept.

Every entry records `source`, a fingerprint of the text it was translated from (the first 8 hex
digits of the SHA-1 of that text; an entry holding several texts joins them with line breaks).
When the questionnaire's text changes, the fingerprint no longer matches and `healthcheck
validate` warns that the entry was translated from older text.

- `model`: the file's models, `Translation`, and the texts each entry translates;
- `load`: `load_translation`, `localise`, and finding a questionnaire's translations;
- `check`: `check_translations`, for `healthcheck validate`;
- `template`: the file a translator fills in.
"""

from healthcheck.core.translations.check import TranslationCheck, check_translations
from healthcheck.core.translations.load import (
    available_languages,
    base_path,
    load_translation,
    localise,
    localised,
    page_text,
    translation_paths,
    translations_of,
)
from healthcheck.core.translations.model import (
    ItemEntry,
    Language,
    ScaleEntry,
    SectionEntry,
    TextEntry,
    Translation,
    TranslationFile,
    count_texts,
    fingerprint,
    language_problem,
)
from healthcheck.core.translations.template import template

__all__ = [
    "ItemEntry",
    "Language",
    "ScaleEntry",
    "SectionEntry",
    "TextEntry",
    "Translation",
    "TranslationCheck",
    "TranslationFile",
    "available_languages",
    "base_path",
    "check_translations",
    "count_texts",
    "fingerprint",
    "language_problem",
    "load_translation",
    "localise",
    "localised",
    "page_text",
    "template",
    "translation_paths",
    "translations_of",
]
