"""Reading and checking rule files (rules/*.yaml): every problem with its file and line.

`load_rules` reads a folder of rule files into a `RulePack`; `parse_condition` turns a rule's
`when` tree into conditions, keeping the YAML location of each problem; `check_against` finds
conditions on items or choices that no questionnaire has.
"""

from __future__ import annotations

import re
from collections.abc import Set as AbstractSet
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from healthcheck.core.errors import InputError, Problem
from healthcheck.core.frameworks import DIMENSION_BY_ID
from healthcheck.core.questionnaire import ID_PATTERN, Questionnaire
from healthcheck.core.rules.compile import MAX_FACT_VALUES, MAX_RULE_COST, compile_rule, expression_cost
from healthcheck.core.rules.model import (
    DIMENSION_KINDS,
    DONT_KNOW_CHOICE,
    KINDS,
    SEVERITY_RANK,
    Condition,
    Group,
    Leaf,
    Rule,
    RuleFile,
    RulePack,
    leaves,
)
from healthcheck.core.yamlsource import line_of, read_yaml, to_plain, validation_problems

RULES_DIR = Path(__file__).resolve().parents[3] / "rules"


def parse_condition(raw: Any, loc: tuple[Any, ...], problems: list[tuple[tuple[Any, ...], str]],
                    depth: int = 0) -> Condition | None:
    """A `when` tree (or part of it) as conditions; None, with `problems` (YAML location, message)
    added, when it is not a valid one."""
    if depth > 12:
        problems.append((loc, "conditions are nested too deeply (at most 12 levels)"))
        return None
    if not isinstance(raw, dict) or not raw:
        problems.append((loc, "a condition must be a mapping such as {score: task.communicating, below: 50}"))
        return None
    groups = [k for k in ("all", "any", "none") if k in raw]
    if groups:
        if len(raw) != 1:
            problems.append((loc, f"a group has exactly one key ({'/'.join(groups)}); "
                                  f"put other conditions inside its list"))
            return None
        mode = groups[0]
        parts_raw = raw[mode]
        if not isinstance(parts_raw, list) or not parts_raw:
            problems.append(((*loc, mode), f"'{mode}' needs a non-empty list of conditions"))
            return None
        parts = [parse_condition(p, (*loc, mode, i), problems, depth + 1) for i, p in enumerate(parts_raw)]
        if any(p is None for p in parts):
            return None
        return Group(mode, tuple(p for p in parts if p is not None))
    kinds = [k for k in raw if k in KINDS]
    if len(kinds) != 1:
        known = ", ".join([*KINDS, "all", "any", "none"])
        what = "names no known condition" if not kinds else f"names {len(kinds)} conditions at once"
        problems.append((loc, f"this condition {what} (known: {known})"))
        return None
    kind = kinds[0]
    ops, (low, high), _ = KINDS[kind]
    if kind == "respondents":
        inner = raw["respondents"]
        if not isinstance(inner, dict) or set(inner) != {"at_least"} or len(raw) != 1:
            problems.append(((*loc, kind), "write the respondents condition as: respondents: {at_least: N}"))
            return None
        subject, body = "", inner
    else:
        subject, body = raw[kind], {k: v for k, v in raw.items() if k != kind}
        if not isinstance(subject, str) or not re.fullmatch(ID_PATTERN, subject):
            problems.append(((*loc, kind), f"'{kind}' must name a dimension or item id"))
            return None
        if kind in DIMENSION_KINDS and subject not in DIMENSION_BY_ID:
            problems.append(((*loc, kind), f"unknown dimension '{subject}'"))
            return None
    choices: tuple[str, ...] = ()
    if kind == "answer":
        share_of = body.pop("share_of", None)
        if (not isinstance(share_of, list) or not share_of
                or not all(isinstance(c, str) and c for c in share_of)):
            problems.append((loc, "an answer condition needs share_of: [choice ids]"))
            return None
        choices = tuple(share_of)
        if DONT_KNOW_CHOICE in choices and len(choices) > 1:
            problems.append(((*loc, "share_of"), "share_of counts among people who gave an answer other "
                             "than \"don't know\", so dont_know cannot be added to other choices: use "
                             "share_of: [dont_know] on its own, in a separate condition"))
            return None
    unknown = [k for k in body if k not in ops]
    if unknown or len(body) != 1:
        bad = f"'{unknown[0]}' is not allowed here" if unknown else f"give exactly one of {', '.join(ops)}"
        problems.append(((*loc, unknown[0]) if unknown else loc,
                         f"{bad}: a {kind} condition takes {' or '.join(ops)}"))
        return None
    op, threshold = next(iter(body.items()))
    if isinstance(threshold, bool) or not isinstance(threshold, int | float):
        problems.append(((*loc, op), f"'{op}' must be a number"))
        return None
    if not low <= threshold <= high:
        problems.append(((*loc, op), f"'{op}: {threshold}' is out of range for {kind} "
                                     f"({_plain_number(low)} to {_plain_number(high)})"))
        return None
    return Leaf(kind, subject, op, float(threshold), choices)


def _plain_number(x: float) -> str:
    return f"{int(x):,}" if float(x).is_integer() else f"{x}"


def parse_rule(path: Path, text: str | None = None) -> Rule:
    """One rule file (or `text` as if it were that file); raises InputError listing its problems."""
    data = read_yaml(path, text)
    plain = to_plain(data)
    try:
        model = RuleFile.model_validate(plain)
    except ValidationError as exc:
        raise InputError(validation_problems(path, data, exc)) from None
    problems: list[tuple[tuple[Any, ...], str]] = []
    if model.id != path.stem:
        problems.append((("id",), f"the id '{model.id}' must equal the file name '{path.stem}'"))
    when = parse_condition(model.when, ("when",), problems)
    if when is not None and not isinstance(when, Group):
        problems.append((("when",), "'when' must be a group: all, any or none"))
    if isinstance(when, Group) and expression_cost(compile_rule(when)) > MAX_RULE_COST:
        problems.append((("when",), "this condition is too complex for the rule engine; split it into "
                                    "two rules or use fewer nested groups"))
    for k, other in enumerate(model.supersedes):
        if other == model.id:
            problems.append((("supersedes", k), "a rule cannot supersede itself"))
        elif other in model.supersedes[:k]:
            problems.append((("supersedes", k), f"'{other}' is listed twice"))
    fires = sum(e.expect == "fires" for e in model.examples)
    if fires < 1 or len(model.examples) - fires < 1:
        problems.append((("examples",), "a rule needs at least one 'fires' and one 'quiet' example"))
    if problems:
        raise InputError([Problem(str(path), msg, line_of(data, loc)) for loc, msg in problems])
    assert isinstance(when, Group)
    return Rule(model.id, model.title, model.severity, tuple(model.tasks), model.explanation.strip(),
                when, tuple(model.actions), tuple(model.examples), str(path), line_of(data, ()),
                tuple(model.supersedes),
                tuple(line_of(data, ("supersedes", k)) for k in range(len(model.supersedes))))


def load_rules(source: str | Path | None = None) -> RulePack:
    """Load a folder of rule files (or one file); raises InputError listing every problem."""
    root = Path(source) if source is not None else RULES_DIR
    if root.is_dir():
        paths = sorted(root.glob("*.yaml")) + sorted(root.glob("*.yml"))
        if not paths:
            raise InputError([Problem(str(root), "no rule files (*.yaml) in this folder")])
    elif root.exists():
        paths = [root]
    else:
        raise InputError([Problem(str(root), "no such file or folder")])
    rules, problems = [], []
    for path in paths:
        try:
            rules.append(parse_rule(path))
        except InputError as exc:
            problems.extend(exc.problems)
    values = {leaf.key for rule in rules for leaf in leaves(rule.when)}
    if len(values) > MAX_FACT_VALUES:
        problems.append(Problem(str(root), f"the rules read {len(values)} different values; the rule "
                                f"engine takes at most {MAX_FACT_VALUES} per assessment"))
    seen: dict[str, str] = {}
    for rule in rules:
        if rule.id in seen:
            problems.append(Problem(rule.path, f"rule id '{rule.id}' is also used by {seen[rule.id]}", 1))
        seen[rule.id] = rule.path
    # a single file may supersede the rules beside it in its folder
    siblings = set() if root.is_dir() else {p.stem for p in (*root.parent.glob("*.yaml"),
                                                               *root.parent.glob("*.yml"))}
    problems.extend(supersession_problems(rules, siblings))
    if problems:
        raise InputError(problems)
    return RulePack(tuple(sorted(rules, key=lambda r: r.id)))


def supersession_problems(rules: list[Rule], elsewhere: AbstractSet[str] = frozenset()) -> list[Problem]:
    """`supersedes` naming an unknown rule (`elsewhere`: ids known without being loaded), a more
    severe rule (its finding would vanish into a milder one), or going round in a circle."""
    by_id = {r.id: r for r in rules}
    problems = []
    for rule in rules:
        for other, line in zip(rule.supersedes, rule.supersedes_lines, strict=True):
            target = by_id.get(other)
            if target is None and other not in elsewhere:
                problems.append(Problem(rule.path, f"supersedes '{other}', but there is no rule with that "
                                        f"id (known: {', '.join(sorted(by_id)) or 'none'})", line))
            elif target is not None and SEVERITY_RANK[target.severity] < SEVERITY_RANK[rule.severity]:
                problems.append(Problem(rule.path, f"a {rule.severity} rule cannot supersede '{other}', "
                                        f"which is {target.severity}: the more serious finding would be "
                                        "hidden", line))
    for rule in rules:  # cycles: follow supersedes from each rule and see whether it comes back
        stack, seen = list(rule.supersedes), set()
        while stack:
            other = stack.pop()
            if other == rule.id:
                problems.append(Problem(rule.path, "supersedes goes round in a circle back to "
                                        f"'{rule.id}'", rule.supersedes_lines[0] if rule.supersedes_lines
                                        else rule.line))
                break
            if other in seen or other not in by_id:
                continue
            seen.add(other)
            stack.extend(by_id[other].supersedes)
    return problems


def check_against(pack: RulePack, questionnaires: list[Questionnaire]) -> list[Problem]:
    """Item and choice ids that no questionnaire has: such a condition could never hold."""
    items = {i.id: i for q in questionnaires for i in q.items}
    problems = []
    for rule in pack.rules:
        for leaf in leaves(rule.when):
            if leaf.kind not in ("item", "answer"):
                continue
            item = items.get(leaf.subject)
            want = "likert" if leaf.kind == "item" else "choice"
            if item is None or item.type != want:
                problems.append(Problem(rule.path, f"'{leaf.subject}' is not a {want} item of any "
                                        f"questionnaire, so this condition can never hold", rule.line))
                continue
            known = {c.id for c in item.choices}
            for c in leaf.choices:
                if c not in known:
                    problems.append(Problem(rule.path, f"'{c}' is not a choice of {leaf.subject} "
                                            f"(choices: {', '.join(sorted(known))})", rule.line))
    return problems
