"""Load YAML with line numbers and turn pydantic errors into `file:line: plain message`.

ruamel.yaml keeps the line of every key and list entry, so a validation error located at
("sections", 2, "items", 0, "dimensions") can be reported at the line a user sees.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError
from ruamel.yaml import YAML
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.reader import ReaderError

from healthcheck.core.errors import InputError, Problem

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
    "string_unicode": "this text holds a character that is not allowed (such as \\ud800)",
}

# Limits that keep a hostile file from hanging or exhausting the loader (the shipped core.yaml is
# about 25 KB, with nesting 8 deep). The YAML parser is pure Python and slows down more than
# linearly on long plain scalars and deep flow nesting, so both are refused before parsing.
MAX_BYTES = 1_000_000
MAX_DEPTH = 64
# Aliases let a few lines stand for millions of values ("billion laughs"): count the values as
# they would be after expanding every alias, without expanding them.
MAX_VALUES = 100_000
_INT_DIGITS = 4_000  # Python refuses to turn more than 4,300 digits into an int


def read_yaml(path: Path, text: str | None = None) -> Any:
    """Parse YAML keeping line information; syntax errors become a located Problem."""
    yaml = YAML(typ="rt")
    yaml.allow_duplicate_keys = False
    try:
        if text is None and path.stat().st_size > MAX_BYTES:  # refuse before reading it all
            raise InputError([Problem(str(path), _too_large())])
        source = path.read_text(encoding="utf-8") if text is None else text
    except UnicodeDecodeError:
        raise InputError([Problem(str(path), "the file is not UTF-8 text")]) from None
    except OSError as exc:
        raise InputError([Problem(str(path), f"cannot read the file ({exc.strerror})")]) from None
    if len(source) > MAX_BYTES:
        raise InputError([Problem(str(path), _too_large())])
    _refuse_before_parsing(path, source)
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
    except ReaderError as exc:
        # A control character (NUL, bell...): ruamel names no line, only a character position.
        line = source.count("\n", 0, max(exc.position, 0)) + 1
        raise InputError([Problem(str(path), f"the file holds a control character (#x{exc.character:04X}) "
                                             "that YAML does not allow: delete it", line=line)]) from None
    except YAMLError as exc:
        raise InputError([Problem(str(path), f"YAML syntax error: {exc}")]) from None
    except (ValueError, TypeError, IndexError, KeyError, AttributeError) as exc:
        # ruamel's constructors fail this way on malformed tagged values (`!!int` with no value,
        # `!!binary` that is not base64...): point at the first tag.
        line, tag = _first_tag(source)
        what = f"the value tagged {tag[:30]} cannot be read; remove the tag" if tag else \
            f"a value cannot be read ({exc.__class__.__name__})"
        raise InputError([Problem(str(path), f"YAML syntax error: {what}", line=line)]) from None
    except RecursionError:
        # The parser recursed too deep to say where: point at the most indented line.
        lines = source.splitlines() or [""]
        depths = [len(line) - len(line.lstrip(" -")) for line in lines]
        line = depths.index(max(depths)) + 1
        raise InputError([Problem(str(path), _too_deep(), line=line)]) from None
    if data is None:
        raise InputError([Problem(str(path), "the file is empty", line=1)])
    if not isinstance(data, dict | list):
        # A bare scalar carries no line of its own: name the first line that is not a comment.
        lines = source.splitlines()
        line = next((n for n, t in enumerate(lines, 1) if t.strip() and not t.lstrip().startswith("#")), 1)
        raise InputError([Problem(str(path), "the file holds a single value, not a mapping of keys to "
                                             "values (such as 'id: ...' on its own line)", line=line)])
    _check_size_and_depth(path, data)
    return data


def _first_tag(source: str) -> tuple[int, str]:
    """The line and text of the first YAML tag (`!!int`, `!foo`) outside comments, or (1, "")."""
    for number, text in enumerate(source.splitlines(), start=1):
        if text.lstrip().startswith("#"):
            continue
        found = re.search(r"(?:^|[\s\[{,])(![^\s,\]}]*)", text.split(" #")[0])
        if found:
            return number, found.group(1)
    return 1, ""


def _too_large() -> str:
    return f"the file is larger than the {MAX_BYTES // 1_000_000} MB limit for a questionnaire or rule file"


def _too_deep() -> str:
    return f"the file is nested too deeply (at most {MAX_DEPTH} levels of lists and mappings)"


def _refuse_before_parsing(path: Path, source: str) -> None:
    """Problems that would make the parser itself slow or fail, found by a cheap scan of the text."""
    depth = deepest = 0
    for match in re.finditer(r"[\[\]{}]", source):
        # Brackets inside quoted text are counted too: harmless, real files nest a few levels.
        depth = depth + 1 if match.group() in "[{" else max(depth - 1, 0)
        if depth > MAX_DEPTH:
            deepest = match.start()
            break
    if deepest:
        line = source.count("\n", 0, deepest) + 1
        raise InputError([Problem(str(path), _too_deep(), line=line)])
    # Block nesting, estimated from indentation (each "- " opens a list): the parser takes seconds
    # to fail on a few hundred levels, so refuse them before it starts.
    indents: list[int] = []
    for number, line_text in enumerate(source.splitlines(), start=1):
        body = line_text.lstrip(" ")
        if not body or body.startswith("#"):
            continue
        indent = len(line_text) - len(body)
        while indents and indents[-1] >= indent:
            indents.pop()
        indents.append(indent)
        dashes = len(re.match(r"(?:-[ ]+)*", body).group().split("-")) - 1
        if len(indents) + dashes > MAX_DEPTH:
            raise InputError([Problem(str(path), _too_deep(), line=number)])
    digits = re.search(r"\d{" + str(_INT_DIGITS) + ",}", source)
    if digits:
        line = source.count("\n", 0, digits.start()) + 1
        raise InputError([Problem(str(path), f"a number here has more than {_INT_DIGITS:,} digits: "
                                             "no setting needs a number that long", line=line)])


def _check_size_and_depth(path: Path, data: Any) -> None:
    """Refuse alias bombs, aliases that contain themselves and deep nesting, without recursion.

    Sizes (values counted as if every alias were expanded) and heights are computed bottom-up
    with a memo per node, so a node that thousands of aliases share is counted in one step.
    """
    sizes: dict[int, int] = {}
    heights: dict[int, int] = {}
    on_path: set[int] = set()
    stack: list[tuple[Any, bool]] = [(data, False)] if isinstance(data, dict | list) else []
    while stack:
        node, done = stack.pop()
        key = id(node)
        children = list(node.values()) if isinstance(node, dict) else node
        if done:
            on_path.discard(key)
            sizes[key] = 1 + sum(sizes.get(id(c), 1) for c in children)
            heights[key] = 1 + max((heights.get(id(c), 0) for c in children), default=0)
            if heights[key] > MAX_DEPTH:
                raise InputError([Problem(str(path), _too_deep(), line=_own_line(node))])
            if sizes[key] > MAX_VALUES:
                raise InputError([Problem(
                    str(path), f"the file stands for more than {MAX_VALUES:,} values once its aliases "
                               "(*name) are expanded: use fewer aliases", line=_own_line(node))])
            continue
        if key in sizes:
            continue
        if key in on_path:
            raise InputError([Problem(str(path), "an alias (*name) refers to a list or mapping that "
                                                 "contains it", line=_own_line(node))])
        on_path.add(key)
        stack.append((node, True))
        stack.extend((c, False) for c in children if isinstance(c, dict | list) and id(c) not in sizes)


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
        # A document that is a bare scalar has no line information: it starts near line 1.
        problems.append(Problem(str(path), text, line=line_of(data, loc) or 1))
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
