"""Malformed questionnaire and rule files: every problem is located (file:line) and in plain words.

The files live in tests/data/bad_yaml/. Each questionnaire is tests/data/mini.yaml with one
defect; each rule is a small copy of rules/leadership-vacuum.yaml with one defect. The first
line of every file says what is wrong with it. Expected line numbers were read off the files by
hand (where the defect is), not copied from the loader's output.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from healthcheck.core.errors import InputError, Problem
from healthcheck.core.questionnaire import is_translation_file, load_questionnaire
from healthcheck.core.rules import load_rules, parse_rule

ROOT = Path(__file__).resolve().parents[2]
BAD = ROOT / "tests" / "data" / "bad_yaml"
BAD_Q = BAD / "questionnaires"
BAD_R = BAD / "rules"

# Words that betray a programmer's error leaking through to a person editing YAML.
JARGON = ("pydantic", "Traceback", "dict_type", "ValidationError", "model_type", "literal_error",
          "For further information", "errors.pydantic.dev", "input_value", "input_type",
          "function-after", "<class", "Exception", "ruamel")

# (file, expected line, fragment of the message at that line)
QUESTIONNAIRE_CASES = [
    ("syntax_tab_indent.yaml", 17, "YAML syntax error: found character '\\t'"),
    ("syntax_unclosed_quote.yaml", 55, "YAML syntax error"),
    ("syntax_bad_indentation.yaml", 17, "YAML syntax error"),
    ("duplicate_key.yaml", 5, "a key appears twice in the same mapping"),
    ("empty.yaml", 1, "the file is empty"),
    ("only_comments.yaml", 1, "the file is empty"),
    ("not_a_mapping.yaml", 2, "this should be a mapping of keys to values"),
    ("unknown_top_level_key.yaml", 5, "descripton: this field is not known here"),
    ("missing_required_field.yaml", 2, "title: this field is required but missing"),
    ("missing_item_type.yaml", 15, "type: this field is required but missing"),
    ("unknown_dimension.yaml", 29, "unknown dimension 'task.taking_stok'"),
    ("unknown_dimension_wrapped.yaml", 30, "unknown dimension 'task.creating_intrest'"),
    ("duplicate_item_id.yaml", 31, "item id 'culture.open_debate' is used twice"),
    ("likert_without_dimensions.yaml", 31, "likert item 'meetings.useful' must name at least one dimension"),
    ("likert_with_choices.yaml", 31, "likert item 'meetings.useful' cannot have choices"),
    ("dimension_named_twice.yaml", 31, "names dimension 'task.attending_structures' twice"),
    ("choice_without_choices.yaml", 51, "choice item 'fact.time_costed' needs at least two choices"),
    ("choice_with_one_choice.yaml", 51, "choice item 'fact.time_costed' needs at least two choices"),
    ("choice_with_dimensions.yaml", 51,
     "only likert items measure dimensions ('fact.time_costed' is choice)"),
    ("duplicate_choice_id.yaml", 51, "item 'fact.time_costed' has choice 'yes' twice"),
    ("unmeasured_dimension.yaml", 11,
     "dimension 'task.exercising_leadership' is measured by 0 likert item(s)"),
    ("coverage_three.yaml", 11, "promises at least 3 for every dimension"),
    ("scale_four_labels.yaml", 9, "scale.labels:"),
    ("item_id_with_spaces.yaml", 15, "id: this is not in the expected form"),
    ("comment_prompt_too_high.yaml", 19, "comment_prompt_below: this number must be at most 5"),
    ("comment_prompt_too_low.yaml", 35, "comment_prompt_below: this number must be at least 2"),
    ("weight_zero.yaml", 41, "weight: this number must be more than 0"),
    ("text_is_a_list.yaml", 16, "text: this should be text"),
    ("unknown_item_type.yaml", 22, "type: this value is not allowed; expected 'likert', 'choice' or 'text'"),
    ("reserved_comment_suffix.yaml", 31, "may not end in '_comment'"),
    ("bands_out_of_order.yaml", 8, "the borderline cut point must be below the strength cut point"),
    ("syntax_unclosed_quote_at_end.yaml", 58, "YAML syntax error"),
    # Hostile files (tests/core/test_fuzz_loaders.py fuzzes the same loaders).
    ("alias_bomb.yaml", 6, "more than 100,000 values once its aliases (*name) are expanded"),
    ("deep_nesting.yaml", 13, "nested too deeply (at most 64 levels"),
    ("huge_number.yaml", 3, "more than 4,000 digits"),
    ("control_character.yaml", 4, "control character (#x0007)"),
    ("empty_tagged_value.yaml", 6, "the value tagged !!int cannot be read"),
    ("bare_number.yaml", 2, "the file holds a single value, not a mapping"),
]

RULE_CASES = [
    ("id-not-file-name.yaml", 2, "the id 'leadership-vacuum' must equal the file name 'id-not-file-name'"),
    ("unknown-severity.yaml", 4,
     "severity: this value is not allowed; expected 'high', 'medium', 'low' or 'info'"),
    ("unknown-task.yaml", 5, "'task.leading' is not one of the 13 task ids"),
    ("unknown-dimension.yaml", 17, "unknown dimension 'task.exercising_leadershp'"),
    ("unknown-condition-kind.yaml", 11, "this condition names no known condition"),
    ("two-condition-kinds.yaml", 11, "this condition names 2 conditions at once"),
    ("group-extra-keys.yaml", 9, "a group has exactly one key (any)"),
    ("empty-all-list.yaml", 13, "'all' needs a non-empty list of conditions"),
    ("spread-with-below.yaml", 18, "'below' is not allowed here: a spread condition takes above"),
    ("score-threshold-out-of-range.yaml", 12, "'below: 150' is out of range for score (0 to 100)"),
    ("unknown-threshold-out-of-range.yaml", 12, "'above: 2' is out of range for unknown (0 to 1)"),
    ("negative-respondents.yaml", 11, "'at_least: -1' is out of range for respondents"),
    ("answer-without-share-of.yaml", 14, "an answer condition needs share_of"),
    ("respondents-wrong-form.yaml", 11, "write the respondents condition as: respondents: {at_least: N}"),
    ("only-fires-examples.yaml", 23, "at least one 'fires' and one 'quiet' example"),
    ("action-text-too-short.yaml", 21, "actions.0.text:"),
    ("action-task-not-a-task.yaml", 20, "'factor.debate' is not one of the 13 task ids"),
    ("when-bare-leaf.yaml", 9, "'when' must be a group: all, any or none"),
    ("nested-too-deep.yaml", 23, "conditions are nested too deeply"),
    ("non-numeric-threshold.yaml", 12, "'below' must be a number"),
    ("missing-explanation.yaml", 2, "explanation: this field is required but missing"),
    ("explanation-too-short.yaml", 6, "explanation:"),
    ("example-unknown-dimension.yaml", 27, "examples.0.scores: unknown dimension 'task.leading'"),
    ("syntax-error.yaml", 12, "YAML syntax error"),
    ("duplicate-key.yaml", 5, "a key appears twice in the same mapping"),
    ("empty-rule.yaml", 1, "the file is empty"),
    # Hostile files (tests/core/test_fuzz_loaders.py fuzzes the same loaders).
    ("alias-bomb.yaml", 7, "more than 100,000 values once its aliases (*name) are expanded"),
    ("deep-flow-nesting.yaml", 11, "nested too deeply (at most 64 levels"),
    ("bad-bool-tag.yaml", 4, "the value tagged !!bool cannot be read"),
    ("huge-threshold.yaml", 12, "more than 4,000 digits"),
    ("control-character.yaml", 8, "control character (#x0000)"),
]


def _case_name(case: object) -> str:
    values = case.values if hasattr(case, "values") else case  # pytest.param or tuple
    return str(values[0])


def _problems(loader, path: Path) -> list[Problem]:  # type: ignore[no-untyped-def]
    with pytest.raises(InputError) as info:
        loader(path)
    problems = info.value.problems
    assert problems, "an InputError must carry at least one problem"
    return problems


def _check(problems: list[Problem], path: Path, line: int, fragment: str) -> None:
    shown = "\n".join(str(p) for p in problems)
    for p in problems:
        assert p.path == str(path)
        assert p.line is not None, f"problem without a line: {p}"
        assert str(p) == f"{path}:{p.line}: {p.message}"
        for word in JARGON:
            assert word not in p.message, f"jargon {word!r} in: {p}"
        assert p.message[:1].strip(), f"message starts with blank: {p!r}"
    assert any(p.line == line and fragment in p.message for p in problems), (
        f"expected line {line} with {fragment!r}; got:\n{shown}")


@pytest.mark.parametrize(("name", "line", "fragment"), QUESTIONNAIRE_CASES,
                         ids=[_case_name(c) for c in QUESTIONNAIRE_CASES])
def test_malformed_questionnaire(name: str, line: int, fragment: str) -> None:
    path = BAD_Q / name
    _check(_problems(load_questionnaire, path), path, line, fragment)


@pytest.mark.parametrize(("name", "line", "fragment"), QUESTIONNAIRE_CASES,
                         ids=[_case_name(c) for c in QUESTIONNAIRE_CASES])
def test_malformed_questionnaire_from_text(name: str, line: int, fragment: str) -> None:
    """`text=` (the app's editor) reports the same problems as reading the file."""
    path = BAD_Q / name
    from_file = [str(p) for p in _problems(load_questionnaire, path)]
    with pytest.raises(InputError) as info:
        load_questionnaire(path, text=path.read_text(encoding="utf-8"))
    assert [str(p) for p in info.value.problems] == from_file
    _check(info.value.problems, path, line, fragment)


@pytest.mark.parametrize(("name", "line", "fragment"), RULE_CASES, ids=[_case_name(c) for c in RULE_CASES])
def test_malformed_rule(name: str, line: int, fragment: str) -> None:
    path = BAD_R / name
    _check(_problems(parse_rule, path), path, line, fragment)


def test_every_bad_file_is_covered_by_a_case() -> None:
    q_names = {_case_name(c) for c in QUESTIONNAIRE_CASES}
    r_names = {_case_name(c) for c in RULE_CASES}
    assert {p.name for p in BAD_Q.glob("*.yaml")} == q_names
    assert {p.name for p in BAD_R.glob("*.yaml")} == r_names
    assert len(q_names) >= 18 and len(r_names) >= 18


def test_every_bad_file_says_what_is_wrong_on_its_first_line() -> None:
    for path in [*BAD_Q.glob("*.yaml"), *BAD_R.glob("*.yaml")]:
        text = path.read_text(encoding="utf-8")
        if text:
            assert text.startswith("# Malformed on purpose ("), path


def test_bad_rules_are_otherwise_valid_rule_ids() -> None:
    """Rule file names are kebab-case, so only the intended defect is reported."""
    for path in BAD_R.glob("*.yaml"):
        assert path.stem == path.stem.lower() and "_" not in path.stem, path


@pytest.mark.parametrize(("name", "line", "minimum"), [
    pytest.param("questionnaires/scale_four_labels.yaml", 9, "5", id="scale-labels"),
    pytest.param("rules/action-text-too-short.yaml", 21, "10", id="action-text"),
    pytest.param("rules/explanation-too-short.yaml", 6, "20", id="explanation"),
])
def test_too_short_messages_state_the_minimum(name: str, line: int, minimum: str) -> None:
    path = BAD / name
    loader = parse_rule if name.startswith("rules/") else load_questionnaire
    problem = next(p for p in _problems(loader, path) if p.line == line)
    assert "empty" not in problem.message, str(problem)
    assert minimum in problem.message, str(problem)


def test_out_of_range_message_writes_numbers_plainly() -> None:
    path = BAD_R / "negative-respondents.yaml"
    (problem,) = _problems(parse_rule, path)
    assert "e+" not in problem.message, str(problem)


def test_load_rules_reports_every_problem_of_every_file_at_once() -> None:
    with pytest.raises(InputError) as info:
        load_rules(BAD_R)
    problems = info.value.problems
    named = {Path(p.path).name for p in problems}
    assert named == {p.name for p in BAD_R.glob("*.yaml")}
    assert len(problems) >= len(named) >= 18
    for name, line, fragment in RULE_CASES:
        assert any(Path(p.path).name == name and p.line == line and fragment in p.message
                   for p in problems), name
    # the exception text lists them all, one per line
    assert str(info.value).count("\n") == len(problems) - 1


def test_load_rules_on_a_bad_single_file() -> None:
    path = BAD_R / "unknown-severity.yaml"
    with pytest.raises(InputError) as info:
        load_rules(path)
    assert [p.line for p in info.value.problems] == [4]


def test_shipped_files_load_without_problems() -> None:
    for path in sorted((ROOT / "questionnaires").glob("*.yaml")):
        if not is_translation_file(path):  # core.en-US.yaml: checked in test_translations.py
            load_questionnaire(path)
    load_questionnaire(ROOT / "tests" / "data" / "mini.yaml")
    pack = load_rules(ROOT / "rules")
    assert len(pack.rules) == len(list((ROOT / "rules").glob("*.yaml")))


# --- the CLI: `healthcheck validate` ----------------------------------------------------------

def _validate(*paths: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "healthcheck.cli", "validate", *map(str, paths)],
                          capture_output=True, text=True, cwd=ROOT, timeout=120)


@pytest.mark.parametrize(("folder", "name", "line", "fragment"), [
    ("questionnaires", "unknown_dimension.yaml", 29, "unknown dimension 'task.taking_stok'"),
    ("questionnaires", "syntax_tab_indent.yaml", 17, "YAML syntax error"),
    ("questionnaires", "empty.yaml", 1, "the file is empty"),
    ("questionnaires", "duplicate_item_id.yaml", 31, "is used twice"),
    ("rules", "spread-with-below.yaml", 18, "a spread condition takes above"),
    ("rules", "id-not-file-name.yaml", 2, "must equal the file name"),
    ("rules", "syntax-error.yaml", 12, "YAML syntax error"),
])
def test_cli_validate_bad_file(folder: str, name: str, line: int, fragment: str) -> None:
    path = Path("tests/data/bad_yaml") / folder / name
    result = _validate(path)
    assert result.returncode == 1, result
    out = result.stdout + result.stderr
    assert f"{path}:{line}: " in out
    assert fragment in out
    assert "Traceback" not in out


def test_cli_validate_bad_folders_lists_every_file() -> None:
    result = _validate("tests/data/bad_yaml/rules", "tests/data/bad_yaml/questionnaires")
    assert result.returncode == 1
    out = result.stdout + result.stderr
    assert "Traceback" not in out
    for path in [*BAD_R.glob("*.yaml"), *BAD_Q.glob("*.yaml")]:
        assert f"{path.relative_to(ROOT)}:" in out, path.name


def test_cli_validate_a_file_holding_a_number(tmp_path: Path) -> None:
    path = tmp_path / "number.yaml"
    path.write_text("# not a questionnaire\n42\n", encoding="utf-8")
    result = _validate(path)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert str(path) in result.stdout + result.stderr


def test_cli_validate_missing_path() -> None:
    result = _validate("tests/data/bad_yaml/no-such-file.yaml")
    assert result.returncode == 1
    assert "no such file or folder" in result.stdout + result.stderr


def test_cli_validate_shipped_files() -> None:
    result = _validate()
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.startswith("ok: ")


def test_cli_validate_shipped_files_by_path() -> None:
    result = _validate("questionnaires/core.yaml", "questionnaires/pulse.yaml", "rules",
                       "tests/data/mini.yaml")
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.startswith("ok: 3 questionnaire(s)")
