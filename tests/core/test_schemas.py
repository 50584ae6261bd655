"""Editor help (issue 15, item 9): JSON Schemas of questionnaire, rule and translation files, made
from the pydantic models by `healthcheck schema`, shipped in schemas/ and named on the first line
of every shipped YAML. `healthcheck validate` keeps its file:line messages."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from ruamel.yaml import YAML

from healthcheck import cli
from healthcheck.core.questionnaire import QUESTIONNAIRE_DIR, is_translation_file, load_questionnaire
from healthcheck.core.rules import RULES_DIR
from healthcheck.core.schemas import KINDS, SCHEMA_DIR, file_name, modeline, schema_text
from healthcheck.core.translations.template import template


def shipped_yaml() -> list[tuple[Path, str]]:
    """Every shipped YAML the app reads, with its kind."""
    out = [(p, "rule") for p in sorted(RULES_DIR.glob("*.yaml"))]
    for p in sorted(QUESTIONNAIRE_DIR.glob("*.yaml")):
        out.append((p, "translation" if is_translation_file(p) else "questionnaire"))
    return out


def _schema(kind: str) -> dict[str, Any]:
    return json.loads((SCHEMA_DIR / file_name(kind)).read_text(encoding="utf-8"))


def test_the_shipped_schemas_are_current() -> None:
    for kind in KINDS:
        path = SCHEMA_DIR / file_name(kind)
        assert path.exists(), f"{path} is missing: run `healthcheck schema`"
        assert path.read_text(encoding="utf-8") == schema_text(kind), (
            f"{path} is out of date: run `healthcheck schema` and commit schemas/")


def test_the_command_writes_the_same_schemas(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["schema", "-o", str(tmp_path / "out")]) == 0
    written = capsys.readouterr().out.split()
    assert sorted(Path(p).name for p in written) == sorted(file_name(k) for k in KINDS)
    for kind in KINDS:
        assert (tmp_path / "out" / file_name(kind)).read_text(encoding="utf-8") == schema_text(kind)


@pytest.mark.parametrize(("path", "kind"), shipped_yaml(), ids=lambda v: getattr(v, "name", v))
def test_every_shipped_yaml_names_its_schema_and_meets_it(path: Path, kind: str) -> None:
    first = path.read_text(encoding="utf-8").splitlines()[0]
    assert first == modeline(kind), f"{path}: the first line must be `{modeline(kind)}`"
    # the line points at the shipped file, relative to the YAML
    target = (path.parent / first.split("$schema=", 1)[1]).resolve()
    assert target == (SCHEMA_DIR / file_name(kind)).resolve()
    data = YAML(typ="safe").load(path.read_text(encoding="utf-8"))
    errors = list(jsonschema.Draft202012Validator(_schema(kind)).iter_errors(data))
    assert not errors, [e.message for e in errors]


def test_every_kind_of_file_is_shipped_and_checked() -> None:
    assert {kind for _, kind in shipped_yaml()} == set(KINDS)


def test_the_schemas_catch_what_validate_catches() -> None:
    """A misspelt key, a missing field, an unknown task: flagged by the editor as by validate."""
    rule = YAML(typ="safe").load((RULES_DIR / "leadership-vacuum.yaml").read_text(encoding="utf-8"))
    validator = jsonschema.Draft202012Validator(_schema("rule"))
    assert not list(validator.iter_errors(rule))
    assert list(validator.iter_errors({**rule, "severty": "high"}))
    assert list(validator.iter_errors({k: v for k, v in rule.items() if k != "title"}))
    assert list(validator.iter_errors({**rule, "tasks": ["task.taking_stok"]}))
    assert list(validator.iter_errors({**rule, "supersedes": ["Not An Id"]}))
    q = YAML(typ="safe").load((QUESTIONNAIRE_DIR / "pulse.yaml").read_text(encoding="utf-8"))
    qv = jsonschema.Draft202012Validator(_schema("questionnaire"))
    assert not list(qv.iter_errors({**q, "version": 2}))  # a number is read as text
    item = q["sections"][0]["items"][0]
    bad = {**q, "sections": [{**q["sections"][0], "items": [{**item, "dimensions": ["task.nope"]}]}]}
    assert list(qv.iter_errors(bad))


def test_the_translation_template_names_its_schema() -> None:
    q = load_questionnaire(QUESTIONNAIRE_DIR / "pulse.yaml")
    text = template(q, "fr", "Français")
    assert text.splitlines()[0] == modeline("translation")


def test_validate_keeps_its_file_and_line_messages(tmp_path: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    source = (RULES_DIR / "leadership-vacuum.yaml").read_text(encoding="utf-8")
    lines = source.splitlines()
    assert lines[0] == modeline("rule")
    at = next(i for i, ln in enumerate(lines) if ln.startswith("severity:"))
    lines[at] = "severity: urgent"
    bad = tmp_path / "leadership-vacuum.yaml"
    bad.write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert cli.main(["validate", str(bad)]) == 1
    out = capsys.readouterr().out
    assert f"{bad}:{at + 1}:" in out and "severity" in out
