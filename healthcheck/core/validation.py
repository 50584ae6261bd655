"""Check questionnaires, rules and translations, and run every rule's examples (`healthcheck validate`).

Touches no store: files in, problems out. The CLI prints the result.
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from healthcheck.core.errors import InputError, Problem

if TYPE_CHECKING:
    from healthcheck.core.questionnaire import Questionnaire
    from healthcheck.core.rules import RulePack


@dataclass
class Validation:
    """What was checked and every problem found, in the order found."""
    problems: list[Problem] = field(default_factory=list)
    translation_lines: list[str] = field(default_factory=list)  # completeness and out-of-date notes
    reach_lines: list[str] = field(default_factory=list)  # per questionnaire, rules that cannot fire on it
    questionnaires: int = 0
    rules: int = 0
    examples: int = 0


def validate(paths: Sequence[str] | None) -> Validation:
    """Check the files or folders named (none: the shipped questionnaires and rules).

    A folder of rule files is one rule pack; any other folder is read file by file; a file is a
    rule when it has a top-level `when:`, a translation when its name says so.
    """
    from healthcheck.core.questionnaire import is_translation_file, load_questionnaire, shipped_questionnaires
    from healthcheck.core.rules import RULES_DIR, check_against, load_rules
    from healthcheck.core.rules.engine import run_examples
    from healthcheck.core.translations import check_translations
    from healthcheck.core.yamlsource import read_yaml

    q_paths: list[Path] = []
    t_paths: list[Path] = []  # translation files named here (those beside a questionnaire are found)
    rule_sources: list[Path] = []
    problems: list[Problem] = []
    for raw in paths or []:
        path = Path(raw)
        if path.is_dir():
            if any(path.glob("*.yaml")) and all(looks_like_rule(p) for p in path.glob("*.yaml")):
                rule_sources.append(path)
            else:
                for p in sorted(path.glob("*.yaml")):
                    if is_translation_file(p):
                        t_paths.append(p)
                        continue
                    (rule_sources if looks_like_rule(p) else q_paths).append(p)
        elif path.exists() and is_translation_file(path):
            t_paths.append(path)
        elif path.exists():
            try:
                data = read_yaml(path)
                kind = "rule" if isinstance(data, dict) and "when" in data else "questionnaire"
            except InputError as exc:
                problems.extend(exc.problems)
                continue
            (rule_sources if kind == "rule" else q_paths).append(path)
        else:
            problems.append(Problem(raw, "no such file or folder"))
    if not paths:
        q_paths, rule_sources = shipped_questionnaires(), [RULES_DIR]

    questionnaires = []
    loaded = {}
    for p in q_paths:
        try:
            questionnaires.append(load_questionnaire(p))
            loaded[p] = questionnaires[-1]
        except InputError as exc:
            problems.extend(exc.problems)
    n_rules = n_examples = 0
    reach: list[str] = []
    for source in rule_sources:
        try:
            pack = load_rules(source)
        except InputError as exc:
            problems.extend(exc.problems)
            continue
        n_rules += len(pack.rules)
        against = questionnaires or [load_questionnaire(p) for p in shipped_questionnaires()]
        problems.extend(check_against(pack, against))
        reach.extend(reach_lines(pack, against))
        for rule, name, ok in run_examples(pack):
            n_examples += 1
            if not ok:
                want = next(e.expect for e in rule.examples if e.name == name)
                problems.append(Problem(rule.path, f"example '{name}' should be {want} but the engine "
                                        f"says {'quiet' if want == 'fires' else 'fires'}", rule.line))
    if questionnaires and not rule_sources:  # questionnaires alone: what the shipped rules can do on them
        with contextlib.suppress(InputError):
            reach.extend(reach_lines(load_rules(RULES_DIR), questionnaires))
    translations = check_translations(loaded, t_paths)
    problems.extend(translations.problems)
    return Validation(problems, list(translations.lines), reach, len(questionnaires), n_rules, n_examples)


def reach_lines(pack: RulePack, questionnaires: Sequence[Questionnaire]) -> list[str]:
    """Per questionnaire, the rules of the pack that cannot fire on it and what they need."""
    from healthcheck.core.rules.reach import unreachable

    lines = []
    for q in questionnaires:
        blocked = unreachable(pack, q)
        if not blocked:
            lines.append(f"{q.id}: all {len(pack.rules)} rule(s) can fire on it")
            continue
        lines.append(f"{q.id}: {len(blocked)} of {len(pack.rules)} rule(s) cannot fire on it, because "
                     f"it does not ask what they need:")
        lines.extend(f"  {u.rule.id}: needs {', '.join(u.needs)}" for u in blocked)
    return lines


def looks_like_rule(path: Path) -> bool:
    """A YAML file with a top-level `when:` near its start (read without parsing it)."""
    try:
        head = path.read_text(encoding="utf-8", errors="replace")[:4000]
    except OSError:
        return False
    return "\nwhen:" in head or head.startswith("when:")
