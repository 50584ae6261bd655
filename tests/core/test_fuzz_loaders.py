"""Hypothesis fuzzing of the questionnaire and rule-file loaders, plus YAML bombs.

Whatever text a person (or an attacker) hands the loaders, the answer is either a valid object
or the project's InputError whose every problem names the file and, unless the problem is about
the whole file, the line. Any other exception, a hang or a message in programmer's words is a
failure. Inputs: arbitrary text and bytes, YAML-shaped structures drawn from the vocabulary of
the two formats, and mutations of the real shipped files (structural and textual).

The examples are derandomized so CI sees the same inputs every run; each test sets its own
max_examples so the file stays within about 40 seconds on a busy two-core machine.
"""

from __future__ import annotations

import io
import math
import time
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from ruamel.yaml import YAML

from healthcheck.core.errors import InputError, Problem
from healthcheck.core.questionnaire import Questionnaire, load_questionnaire
from healthcheck.core.rules import Rule, load_rules, parse_rule
from healthcheck.core.yamlsource import MAX_DEPTH, MAX_VALUES, read_yaml, to_plain

ROOT = Path(__file__).resolve().parents[2]
SHIPPED_RULES = sorted((ROOT / "rules").glob("*.yaml"))
SMALL_QUESTIONNAIRES = [ROOT / "questionnaires" / "pulse.yaml", ROOT / "tests" / "data" / "mini.yaml"]
CORE = ROOT / "questionnaires" / "core.yaml"

# Words that betray a programmer's error leaking through to a person editing YAML.
JARGON = ("pydantic", "Traceback", "ValidationError", "dict_type", "model_type", "literal_error",
          "errors.pydantic.dev", "input_value", "<class", "Exception", "ruamel", "<unicode string>",
          "RecursionError", "NoneType")
# Problems about the file as a whole carry no line.
WHOLE_FILE = ("the file is larger than", "the file is not UTF-8 text", "cannot read the file")

SETTINGS = settings(deadline=None, derandomize=True, database=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture,
                                           HealthCheck.data_too_large, HealthCheck.filter_too_much])


def _check_problems(problems: list[Problem], path: Path) -> None:
    assert problems, "an InputError must carry at least one problem"
    for p in problems:
        assert p.path == str(path), p
        assert p.message.strip() and p.message == p.message.strip(), repr(p)
        for word in JARGON:
            assert word not in p.message, f"jargon {word!r} in: {p}"
        if p.line is None:
            assert p.message.startswith(WHOLE_FILE), f"problem without a line: {p}"
            assert str(p) == f"{path}: {p.message}"
        else:
            assert p.line >= 1, p
            assert str(p) == f"{path}:{p.line}: {p.message}"


def load_q(path: Path, text: str | None = None) -> Questionnaire | None:
    """The questionnaire, or None after checking the InputError; anything else propagates."""
    try:
        q = load_questionnaire(path, text=text)
    except InputError as exc:
        _check_problems(exc.problems, path)
        return None
    assert isinstance(q, Questionnaire)
    return q


def load_r(path: Path, text: str | None = None) -> Rule | None:
    try:
        rule = parse_rule(path, text)
    except InputError as exc:
        _check_problems(exc.problems, path)
        return None
    assert isinstance(rule, Rule)
    return rule


def dump(data: Any, flow: bool | None = False) -> str:
    yaml = YAML(typ="safe", pure=True)
    yaml.default_flow_style = flow
    yaml.width = 4096
    out = io.StringIO()
    yaml.dump(data, out)
    return out.getvalue()


# ----------------------------------------------------------------------------- arbitrary text

TOKENS = ["id: ", "version: ", "title: ", "sections:", "items:", "- ", "  ", "\n", "\t", ": ", "&a ",
          "*a", "[", "]", "{", "}", ",", "'", '"', "#", "---", "...", "!!int ", "!!binary ", "? ",
          "<<: ", "|", ">", "1e999", "9" * 30, "-", "~", "null", "yes", "likert", "choice",
          "dimensions: [task.communicating]", "when:", "all:", "none:", "score: task.taking_stock",
          "below: ", "50", "\u00e9", "\ufeff", "\x00", "\x85", "\u2028", "\ud800"]
YAMLISH = st.lists(st.sampled_from(TOKENS), max_size=80).map("".join)


@settings(SETTINGS, max_examples=200)
@given(st.one_of(st.text(max_size=300), YAMLISH))
def test_any_text_questionnaire(text: str) -> None:
    load_q(Path("fuzz.yaml"), text)


@settings(SETTINGS, max_examples=200)
@given(st.one_of(st.text(max_size=300), YAMLISH))
def test_any_text_rule(text: str) -> None:
    load_r(Path("fuzz-rule.yaml"), text)


@settings(SETTINGS, max_examples=60)
@given(st.one_of(st.binary(max_size=300), YAMLISH.map(lambda s: s.encode("utf-8", "surrogatepass"))))
def test_any_bytes_from_files(tmp_path: Path, data: bytes) -> None:
    path = tmp_path / "fuzz-file.yaml"
    path.write_bytes(data)
    load_q(path)
    load_r(path)
    try:
        load_rules(tmp_path)
    except InputError as exc:
        _check_problems(exc.problems, path)


# ----------------------------------------------------------------------------- YAML-shaped data

KEYS = ["id", "version", "title", "description", "minutes", "coverage", "scale", "labels", "dont_know",
        "bands", "strength", "borderline", "sections", "intro", "items", "text", "type", "help",
        "dimensions", "weight", "reverse", "choices", "label", "comment_prompt_below", "severity",
        "tasks", "explanation", "when", "all", "any", "none", "score", "spread", "gap",
        "lowest_group", "unknown", "item", "answer", "share_of", "respondents", "below", "at_least",
        "above", "actions", "task", "examples", "name", "expect", "scores", "answers", "x", ""]
WORDS = ["likert", "choice", "text", "task.communicating", "task.taking_stock", "factor.debate",
         "fires", "quiet", "high", "info", "fact.named_lead", "yes", "no", "a b", "", "-", "*"]
SCALARS = st.one_of(
    st.none(), st.booleans(), st.integers(), st.integers(min_value=10**300, max_value=10**320),
    st.floats(allow_nan=True, allow_infinity=True), st.sampled_from(WORDS),
    st.text(max_size=20))
SHAPED = st.recursive(
    SCALARS,
    lambda inner: st.one_of(st.lists(inner, max_size=5),
                            st.dictionaries(st.sampled_from(KEYS), inner, max_size=6)),
    max_leaves=40)


@settings(SETTINGS, max_examples=150)
@given(SHAPED, st.booleans())
def test_yaml_shaped_structures(data: Any, flow: bool) -> None:
    text = dump(data, flow)
    load_q(Path("shaped.yaml"), text)
    load_r(Path("shaped.yaml"), text)


# ----------------------------------------------------------------------------- mutated shipped files

def _paths(node: Any, here: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [here]
    if isinstance(node, dict):
        for k, v in node.items():
            out.extend(_paths(v, (*here, k)))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            out.extend(_paths(v, (*here, i)))
    return out


def _get(node: Any, path: tuple[Any, ...]) -> Any:
    for part in path:
        node = node[part]
    return node


MUTATIONS = ["delete", "replace", "swap", "duplicate", "wrap", "empty_list", "empty_map", "huge", "none"]


def mutate(data: Any, draw: Any, rounds: int) -> Any:
    for _ in range(rounds):
        paths = [p for p in _paths(data) if p]
        if not paths:
            return data
        path = draw(st.sampled_from(paths))
        parent, key = _get(data, path[:-1]), path[-1]
        op = draw(st.sampled_from(MUTATIONS))
        if op == "delete":
            del parent[key]
        elif op == "replace":
            parent[key] = draw(SHAPED)
        elif op == "swap":
            other = draw(st.sampled_from(paths))
            if other[: len(path)] != path and path[: len(other)] != other:  # neither inside the other
                other_parent = _get(data, other[:-1])
                parent[key], other_parent[other[-1]] = other_parent[other[-1]], parent[key]
        elif op == "duplicate" and isinstance(parent, list):
            parent.insert(int(key), parent[key])
        elif op == "wrap":
            parent[key] = [parent[key]] if draw(st.booleans()) else {"x": parent[key]}
        elif op == "empty_list":
            parent[key] = []
        elif op == "empty_map":
            parent[key] = {}
        elif op == "huge":
            parent[key] = draw(st.sampled_from([10**400, -(10**400), 1e308 * 10, math.nan, 2**63]))
        else:
            parent[key] = None
    return data


def builtin(node: Any) -> Any:
    """Plain Python values (ruamel's scalar subclasses do not dump with the safe dumper)."""
    if isinstance(node, dict):
        return {str(k): builtin(v) for k, v in node.items()}
    if isinstance(node, list):
        return [builtin(v) for v in node]
    if isinstance(node, bool) or node is None:
        return node
    for kind in (str, int, float):
        if isinstance(node, kind):
            return kind(node)
    return node


def _plain(path: Path) -> Any:
    return builtin(to_plain(read_yaml(path)))


PLAIN_Q = {p: _plain(p) for p in [*SMALL_QUESTIONNAIRES, CORE]}
PLAIN_R = {p: _plain(p) for p in SHIPPED_RULES}
TEXT_Q = {p: p.read_text(encoding="utf-8") for p in PLAIN_Q}
TEXT_R = {p: p.read_text(encoding="utf-8") for p in PLAIN_R}


@settings(SETTINGS, max_examples=80)
@given(st.sampled_from(SMALL_QUESTIONNAIRES), st.integers(1, 4), st.data())
def test_structural_mutations_of_questionnaires(source: Path, rounds: int, data: st.DataObject) -> None:
    mutated = mutate(builtin(PLAIN_Q[source]), data.draw, rounds)
    load_q(Path("mutated.yaml"), dump(mutated))


@settings(SETTINGS, max_examples=8)
@given(st.integers(1, 3), st.data())
def test_structural_mutations_of_core(rounds: int, data: st.DataObject) -> None:
    # core.yaml is large for the pure-Python parser (about half a second a load here): few examples.
    mutated = mutate(builtin(PLAIN_Q[CORE]), data.draw, rounds)
    load_q(Path("core.yaml"), dump(mutated))


@settings(SETTINGS, max_examples=150)
@given(st.sampled_from(SHIPPED_RULES), st.integers(1, 4), st.data())
def test_structural_mutations_of_rules(source: Path, rounds: int, data: st.DataObject) -> None:
    mutated = mutate(builtin(PLAIN_R[source]), data.draw, rounds)
    load_r(Path(source.name), dump(mutated))  # the file name still matches the id


INSERTS = ["\t", "&a ", "*a", "*nowhere", "&a [*a]", "9" * 5000, "1e999", "-" * 3, "\n---\n",
           "[" * 200, "{a: " * 80, "- " * 100, "<<: *a\n", "!!python/object:os.system ", "\x00",
           "\ufeff", "'", '"', ": :", "? ", "\\", "%YAML 1.1\n", "\r", "\u2028"]


def text_mutation(text: str, data: st.DataObject) -> str:
    op = data.draw(st.sampled_from(["truncate", "insert", "delete_line", "swap_lines", "indent_line"]))
    lines = text.splitlines(keepends=True)
    if op == "truncate":
        return text[: data.draw(st.integers(0, len(text)))]
    if op == "insert":
        at = data.draw(st.integers(0, len(text)))
        return text[:at] + data.draw(st.sampled_from(INSERTS)) + text[at:]
    if not lines:
        return text
    i = data.draw(st.integers(0, len(lines) - 1))
    if op == "delete_line":
        del lines[i]
    elif op == "swap_lines":
        j = data.draw(st.integers(0, len(lines) - 1))
        lines[i], lines[j] = lines[j], lines[i]
    else:
        lines[i] = data.draw(st.sampled_from([" ", "\t", "    ", "- "])) + lines[i]
    return "".join(lines)


@settings(SETTINGS, max_examples=80)
@given(st.sampled_from(SMALL_QUESTIONNAIRES), st.integers(1, 3), st.data())
def test_text_mutations_of_questionnaires(source: Path, rounds: int, data: st.DataObject) -> None:
    text = TEXT_Q[source]
    for _ in range(rounds):
        text = text_mutation(text, data)
    load_q(Path("mutated.yaml"), text)


@settings(SETTINGS, max_examples=150)
@given(st.sampled_from(SHIPPED_RULES), st.integers(1, 3), st.data())
def test_text_mutations_of_rules(source: Path, rounds: int, data: st.DataObject) -> None:
    text = TEXT_R[source]
    for _ in range(rounds):
        text = text_mutation(text, data)
    load_r(Path(source.name), text)


def test_unmutated_sources_load() -> None:
    """The fuzzers start from valid files: otherwise every mutation would be trivially refused."""
    for path in PLAIN_Q:
        assert load_q(path) is not None, path
        assert load_q(Path("x.yaml"), dump(PLAIN_Q[path])) is not None, path  # the dumper round-trips
    for path in PLAIN_R:
        assert load_r(Path(path.name), dump(PLAIN_R[path])) is not None, path


# ----------------------------------------------------------------------------- bombs and extremes

def _laughs(levels: int = 9, width: int = 9) -> str:
    names = [f"l{i}" for i in range(levels)]
    out = f"{names[0]}: &{names[0]} [{', '.join(['lol'] * width)}]\n"
    for prev, name in zip(names, names[1:], strict=False):
        out += f"{name}: &{name} [{', '.join([f'*{prev}'] * width)}]\n"
    return out


QUESTIONNAIRE_HEAD = "id: bomb\nversion: 1\ntitle: Bomb\nscale: {labels: [a, b, c, d, e]}\n"

BOMBS = [
    # (name, text, line, fragment)
    ("billion laughs", _laughs(), 6, f"more than {MAX_VALUES:,} values once its aliases"),
    ("laughs used as sections", QUESTIONNAIRE_HEAD + _laughs() + "sections: *l8\n", 10,
     "once its aliases (*name) are expanded"),
    ("deep flow lists", "[" * 100_000 + "]" * 100_000, 1, "nested too deeply"),
    ("deep flow maps", "id: " + "{a: " * 5000 + "1" + "}" * 5000, 1, "nested too deeply"),
    ("deep block maps", "".join("  " * i + f"k{i}:\n" for i in range(400)) + "  " * 400 + "end\n", None,
     "nested too deeply"),
    ("deep block lists", "- " * 2000 + "x\n", 1, "nested too deeply"),
    ("deep aliases", "".join(f"a{i}: &a{i} [*a{i - 1}]\n" if i else "a0: &a0 [x]\n" for i in range(80)),
     None, "nested too deeply"),
    ("a 5,000-digit number", "id: x\nversion: " + "7" * 5000 + "\n", 2, "more than 4,000 digits"),
    ("a long plain scalar", "id: " + "a" * 2_000_000 + "\n", None, "larger than the 1 MB limit"),
    ("a control character", "id: x\nversion: 1\ntitle: \x07\n", 3, "control character (#x0007)"),
]


@pytest.mark.parametrize(("name", "text", "line", "fragment"), BOMBS, ids=[b[0] for b in BOMBS])
def test_bombs_are_refused_quickly_and_plainly(tmp_path: Path, name: str, text: str, line: int | None,
                                               fragment: str) -> None:
    for loader, path in ((load_questionnaire, tmp_path / "bomb.yaml"), (parse_rule, tmp_path / "bomb.yaml")):
        path.write_text(text, encoding="utf-8")
        for kwargs in ({}, {"text": text}):
            start = time.perf_counter()
            with pytest.raises(InputError) as info:
                loader(path, **kwargs)
            took = time.perf_counter() - start
            assert took < 2.0, f"{name}: {took:.1f} s"
            _check_problems(info.value.problems, path)
            shown = "\n".join(map(str, info.value.problems))
            if "nested too deeply" in fragment:
                assert all(p.line is not None for p in info.value.problems), shown
            assert any(fragment in p.message and (line is None or p.line == line)
                       for p in info.value.problems), shown


def test_depth_limit_leaves_room_for_real_files() -> None:
    """The shipped files and the deepest rule the loader accepts nest far less than the limit."""
    nested: dict[str, Any] = {"score": "task.taking_stock", "below": 50}
    for level in range(12):  # the rule loader's own limit is 12 nested groups
        nested = {("all", "any", "none")[level % 3]: [nested]}
    rule = {"id": "deep-but-fine", "title": "Deep", "severity": "low", "tasks": ["task.taking_stock"],
            "explanation": "A rule nested as deeply as the loader allows.", "when": nested,
            "actions": [{"task": "task.taking_stock", "text": "Nothing to do, this is a test."}],
            "examples": [{"name": "a", "expect": "fires", "scores": {"task.taking_stock": 10}},
                         {"name": "b", "expect": "quiet"}]}
    for flow in (False, True):
        assert load_r(Path("deep-but-fine.yaml"), dump(rule, flow)) is not None
    assert MAX_DEPTH > 2 * 13 + 2


def test_aliases_within_the_limit_are_still_allowed() -> None:
    text = TEXT_Q[SMALL_QUESTIONNAIRES[1]].replace(
        "          - {id: \"yes\", label: \"Yes\"}", "          - &yes {id: \"yes\", label: \"Yes\"}")
    assert "&yes" in text
    assert load_q(Path("mini.yaml"), text) is not None
