"""JSON Schemas of the files people edit (questionnaires, rules, translations), made from the same
pydantic models that check them, so an editor (VS Code with the YAML extension, JetBrains...)
can complete keys and flag mistakes while typing. `healthcheck schema` writes them; the shipped
copies are in `schemas/` and every shipped YAML names its schema on its first line:

    # yaml-language-server: $schema=../schemas/rule.schema.json

What the models accept beyond their types (a before-validator's short forms) is added here, so
the schema never flags a file the loader takes. `healthcheck validate` stays the judge: it also
checks what a schema cannot (examples, ids across files, fingerprints), naming file and line.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from healthcheck.core.frameworks import DIMENSION_IDS
from healthcheck.core.questionnaire import Questionnaire
from healthcheck.core.rules.model import RuleFile
from healthcheck.core.translations.model import TranslationFile

SCHEMA_DIR = Path(__file__).resolve().parents[2] / "schemas"
DRAFT = "https://json-schema.org/draft/2020-12/schema"
KINDS = ("questionnaire", "rule", "translation")  # file kinds, each written as <kind>.schema.json
TITLES = {
    "questionnaire": "Partnership Health Check questionnaire (questionnaires/<id>.yaml)",
    "rule": "Partnership Health Check rule (rules/<id>.yaml)",
    "translation": "Partnership Health Check translation (questionnaires/<id>.<language>.yaml)",
}


def file_name(kind: str) -> str:
    return f"{kind}.schema.json"


def modeline(kind: str) -> str:
    """The first line of a shipped YAML of this kind (its folder is beside `schemas/`)."""
    return f"# yaml-language-server: $schema=../schemas/{file_name(kind)}"


def _questionnaire() -> dict[str, Any]:
    schema = Questionnaire.model_json_schema()
    defs = schema["$defs"]
    # `dimensions: [task.communicating]` is the short form of `[{id: task.communicating}]`
    dims = defs["Item"]["properties"]["dimensions"]
    dims["items"] = {"anyOf": [{"type": "string", "enum": list(DIMENSION_IDS)}, dims["items"]]}
    defs["DimensionRef"]["properties"]["id"]["enum"] = list(DIMENSION_IDS)
    # `version: 1` is read as the text "1"
    schema["properties"]["version"] = {"anyOf": [{"type": "string"}, {"type": "number"}], "title": "Version"}
    return schema


def _rule() -> dict[str, Any]:
    schema = RuleFile.model_json_schema()
    tasks = [d for d in DIMENSION_IDS if d.startswith("task.")]
    schema["properties"]["tasks"]["items"]["enum"] = tasks
    schema["$defs"]["Action"]["properties"]["task"]["enum"] = tasks
    return schema


def schema(kind: str) -> dict[str, Any]:
    """The JSON Schema of one kind of file."""
    body = {"questionnaire": _questionnaire, "rule": _rule,
            "translation": TranslationFile.model_json_schema}[kind]()
    return {"$schema": DRAFT, "title": TITLES[kind], **{k: v for k, v in body.items() if k != "title"}}


def schema_text(kind: str) -> str:
    """The schema as it is written to a file (stable: the same models give the same bytes)."""
    return json.dumps(schema(kind), indent=2, ensure_ascii=False) + "\n"


def write_schemas(folder: Path) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for kind in KINDS:
        path = folder / file_name(kind)
        path.write_text(schema_text(kind), encoding="utf-8")
        paths.append(path)
    return paths
