"""Load YAML with line numbers and turn pydantic errors into `file:line: plain message`.

ruamel.yaml keeps the line of every key and list entry, so a validation error located at
("sections", 2, "items", 0, "dimensions") can be reported at the line a user sees.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError
from ruamel.yaml import YAML
from ruamel.yaml.error import MarkedYAMLError, YAMLError

from .errors import InputError, Problem

M = TypeVar("M", bound=BaseModel)

# Pydantic's wording rewritten for people who write YAML, not Python.
_PLAIN: dict[str, str] = {
    "missing": "this field is required but missing",
    "extra_forbidden": "this field is not known here (check its spelling, or remove it)",
    "string_type": "this should be text",
    "int_type": "this should be a whole number",
    "int_parsing": "this should be a whole number",
    "float_type": "this should be a number",
    "float_parsing": "this should be a number",
    "bool_type": "this should be true or false",
    "bool_parsing": "this should be true or false",
    "list_type": "this should be a list",
    "dict_type": "this should be a mapping of keys to values",
    "model_type": "this should be a mapping of keys to values",
    "literal_error": "this value is not allowed",
    "enum": "this value is not allowed",
    "string_too_short": "this should not be empty",
    "too_short": "this list should not be empty",
    "greater_than_equal": "this number is too small",
    "less_than_equal": "this number is too large",
    "string_pattern_mismatch": "this is not in the expected form",
}


def read_yaml(path: Path, text: str | None = None) -> Any:
    """Parse YAML keeping line information; syntax errors become a located Problem."""
    yaml = YAML(typ="rt")
    yaml.allow_duplicate_keys = False
    try:
        source = path.read_text(encoding="utf-8") if text is None else text
    except UnicodeDecodeError:
        raise InputError([Problem(str(path), "the file is not UTF-8 text")]) from None
    except OSError as exc:
        raise InputError([Problem(str(path), f"cannot read the file ({exc.strerror})")]) from None
    try:
        data = yaml.load(source)
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        if exc.context_mark is not None and "end of stream" in str(exc.problem):
            mark = exc.context_mark  # an unclosed quote or bracket: point where it was opened
        line = mark.line + 1 if mark is not None else None
        what = (exc.problem or exc.context or "invalid YAML").strip()
        if "duplicate key" in str(exc):
            what = "a key appears twice in the same mapping"
        raise InputError([Problem(str(path), f"YAML syntax error: {what}", line=line)]) from None
    except YAMLError as exc:
        raise InputError([Problem(str(path), f"YAML syntax error: {exc}")]) from None
    if data is None:
        raise InputError([Problem(str(path), "the file is empty", line=1)])
    return data


def line_of(data: Any, loc: tuple[Any, ...]) -> int | None:
    """The 1-based line of the deepest part of `loc` that exists in the parsed YAML."""
    node, line = data, _own_line(data)
    for key in loc:
        try:
            if hasattr(node, "lc") and isinstance(key, str) and key in node:
                line = node.lc.key(key)[0] + 1
                node = node[key]
            elif hasattr(node, "lc") and isinstance(key, int) and 0 <= key < len(node):
                line = node.lc.item(key)[0] + 1
                node = node[key]
            else:
                break
        except (KeyError, TypeError, IndexError, AttributeError):
            break
    return line


def _own_line(node: Any) -> int | None:
    lc = getattr(node, "lc", None)
    return lc.line + 1 if lc is not None and lc.line is not None else None


def to_plain(data: Any) -> Any:
    """ruamel's commented containers to plain dicts and lists (pydantic is happier with them)."""
    if isinstance(data, dict):
        return {str(k): to_plain(v) for k, v in data.items()}
    if isinstance(data, list):
        return [to_plain(v) for v in data]
    return data


def validation_problems(path: Path, data: Any, error: ValidationError) -> list[Problem]:
    problems = []
    for err in error.errors():
        loc = tuple(p for p in err["loc"] if not _is_union_tag(p))
        message = _PLAIN.get(err["type"], err["msg"])
        ctx = err.get("ctx") or {}
        if err["type"] in ("too_short", "string_too_short") and "min_length" in ctx:
            unit = "item" if err["type"] == "too_short" else "character"
            message = f"this needs at least {ctx['min_length']} {unit}{'s' if ctx['min_length'] != 1 else ''}"
        elif err["type"] in ("too_long", "string_too_long") and "max_length" in ctx:
            unit = "item" if err["type"] == "too_long" else "character"
            message = f"this may have at most {ctx['max_length']} {unit}s"
        elif err["type"] in ("greater_than", "greater_than_equal", "less_than", "less_than_equal") and ctx:
            bound = next(iter(ctx.values()))
            word = {"greater_than": "more than", "greater_than_equal": "at least",
                    "less_than": "less than", "less_than_equal": "at most"}[err["type"]]
            message = f"this number must be {word} {bound}"
        elif err["type"] == "value_error":
            message = str(err["ctx"].get("error", err["msg"])) if "ctx" in err else err["msg"]
        elif err["type"] == "literal_error" and "ctx" in err:
            message = f"{message}; expected {err['ctx'].get('expected')}"
        field = ".".join(str(p) for p in loc)
        text = f"{field}: {message}" if field else message
        problems.append(Problem(str(path), text, line=line_of(data, loc)))
    return problems


def _is_union_tag(part: Any) -> bool:
    # Discriminated unions add the tag ("likert", "choice") to the location; a YAML user never
    # wrote that key, so it only confuses the message.
    return isinstance(part, str) and part in {"likert", "choice", "function-after[_check(), ChoiceItem]",
                                              "function-after[_check(), LikertItem]"}


def load_model(path: Path, model: type[M], text: str | None = None) -> tuple[M, Any]:
    """Read `path`, validate it as `model`; every problem is reported with its line."""
    data = read_yaml(path, text)
    try:
        return model.model_validate(to_plain(data)), data
    except ValidationError as exc:
        raise InputError(validation_problems(path, data, exc)) from None
