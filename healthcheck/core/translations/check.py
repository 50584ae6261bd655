"""`healthcheck validate` for translations: each one loaded against its questionnaire, how complete
it is, and the entries translated from text that has changed since."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from healthcheck.core.errors import InputError, Problem
from healthcheck.core.questionnaire import Questionnaire, load_questionnaire
from healthcheck.core.translations.load import base_path, load_translation, translation_paths


@dataclass(frozen=True)
class TranslationCheck:
    problems: list[Problem]
    lines: list[str]  # how complete each translation is, and entries that went out of date
    count: int


def check_translations(loaded: dict[Path, Questionnaire], named: list[Path]) -> TranslationCheck:
    """Check the translations beside each loaded questionnaire and every translation file named
    (whose questionnaire is loaded here when it is not among `loaded`)."""
    by_real = {p.resolve(): (p, q) for p, q in loaded.items()}
    todo: dict[Path, Path] = {}
    for p in loaded:
        for t in translation_paths(p):
            todo.setdefault(t.resolve(), t)
    for t in named:
        todo.setdefault(t.resolve(), t)
    problems: list[Problem] = []
    lines: list[str] = []
    count = 0
    languages: dict[tuple[Path, str], Path] = {}
    for t_path in todo.values():
        try:
            base = base_path(t_path)
            hit = by_real.get(base.resolve())
            if hit is None:
                if not base.exists():
                    raise InputError([Problem(str(t_path), f"there is no questionnaire {base.name} beside "
                                              "this translation file")])
                try:
                    hit = (base, load_questionnaire(base))
                except InputError:
                    raise InputError([Problem(str(t_path), f"cannot check this translation until its "
                                              f"questionnaire {base.name} loads without problems")]) from None
                by_real[base.resolve()] = hit
            t = load_translation(t_path, hit[1])
        except InputError as exc:
            problems.extend(exc.problems)
            continue
        key = (base.resolve(), t.language.lower())
        if key in languages:
            problems.append(Problem(str(t_path), f"{languages[key].name} is already the {t.language} "
                                    f"translation of {base.name}: keep one file per language"))
            continue
        languages[key] = t_path
        count += 1
        lines.append(t.summary())
        lines.extend(str(w) for w in t.warnings)
    return TranslationCheck(problems, lines, count)

