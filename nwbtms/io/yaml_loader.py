"""YAML/JSON loading with line numbers, and JSON Schema validation that reports every problem at once.

Shared by the protocol file (``schemas/protocol.schema.json``) and the session metadata file
(``schemas/session.schema.json``). Parsing uses :class:`yaml.SafeLoader` only (``yaml.safe_load``
semantics); while composing, the line of every mapping key and sequence item is recorded under its
JSON pointer (``/levels/2/count``), so each schema violation can name the line the user must edit.

Schemas live at the repository root in ``schemas/<name>.schema.json`` and are found via
``Path(__file__).parents[2] / "schemas"`` (source checkouts and editable installs). Wheels install them
as data files into ``<prefix>/share/nwbtms/schemas/`` (setup.cfg ``data_files``); :func:`schema_path` falls
back there.
"""

from __future__ import annotations

import copy
import json
import os
import re
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from nwbtms.errors import MetadataError, NwbtmsError, Problem
from nwbtms.io.orientation import ORIENTATION_FORMAT, is_orientation

#: Repository-root folder of the JSON Schemas (source checkouts and editable installs).
SCHEMA_DIR = Path(__file__).resolve().parents[2] / "schemas"
_SCHEMA_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]*$")


def json_pointer(parts: list[str | int] | tuple[str | int, ...]) -> str:
    """RFC 6901 pointer of a path: ``["levels", 2, "count"]`` -> ``/levels/2/count``; ``[]`` -> ``""``."""
    return "".join("/" + str(p).replace("~", "~0").replace("/", "~1") for p in parts)


@dataclass
class LineMap:
    """1-based source lines of the nodes of a loaded document, keyed by JSON pointer.

    A mapping entry is recorded at the line of its key, a sequence item at the line where the item
    starts; the document root (``""``) is line 1 unless the document starts later.
    """

    lines: dict[str, int] = field(default_factory=dict)

    def __contains__(self, pointer: str) -> bool:
        return pointer in self.lines

    def line_for(self, pointer: str) -> int | None:
        """Line of ``pointer``, or of its nearest recorded ancestor (e.g. for a missing field)."""
        pointer = pointer if pointer in ("", None) or pointer.startswith("/") else "/" + pointer
        pointer = pointer or ""
        while True:
            if pointer in self.lines:
                return self.lines[pointer]
            if not pointer:
                return None
            pointer = pointer.rsplit("/", 1)[0]


#: Deepest nesting a metadata file may have (session files need about 6 levels).
MAX_DEPTH = 64
#: Most values a document may hold once its aliases are expanded (a few thousand in real metadata files; an
#: alias bomb, "billion laughs", expands a 1 KB file to 10^9).
MAX_VALUES = 1_000_000


class Yaml12Loader(yaml.SafeLoader):
    """:class:`yaml.SafeLoader` reading numbers as YAML 1.2 does: ``1e-1``, ``1e308``, ``-1e12`` and ``1.0e5``
    are floats (PyYAML follows YAML 1.1, which needs a dot and a signed exponent, and reads them as text)."""


_EXPONENT_FLOAT = re.compile(r"^[-+]?(?:[0-9][0-9_]*(?:\.[0-9_]*)?|\.[0-9_]+)[eE][-+]?[0-9]+$")
Yaml12Loader.yaml_implicit_resolvers = {k: list(v) for k, v in yaml.SafeLoader.yaml_implicit_resolvers.items()}
Yaml12Loader.add_implicit_resolver("tag:yaml.org,2002:float", _EXPONENT_FLOAT, list("-+0123456789."))


def _construct_float(loader: yaml.SafeLoader, node: yaml.ScalarNode):
    """A float, except that a plain exponent form too large for a float stays text: ``9016E0731`` is a
    model number, not infinity (write ``.inf`` for infinity)."""
    value = loader.construct_yaml_float(node)
    if value in (float("inf"), float("-inf")) and node.style is None and _EXPONENT_FLOAT.match(node.value):
        return node.value
    return value


Yaml12Loader.add_constructor("tag:yaml.org,2002:float", _construct_float)


def _record_lines(root: yaml.Node, lines: dict[str, int], file: str | None) -> None:
    """Walk a composed YAML node tree and record the line of every key and item; refuse duplicate keys,
    nesting deeper than :data:`MAX_DEPTH`, recursive aliases and aliases expanding past :data:`MAX_VALUES`.

    A node reached again through an alias is not walked again (its size is remembered), so the walk is
    linear in the size of the text however the aliases multiply.
    """
    sizes: dict[int, int] = {}
    active: set[int] = set()

    def fail(message: str, node: yaml.Node, parts: list, hint: str) -> MetadataError:
        return MetadataError(message, file=file, line=node.start_mark.line + 1, field=json_pointer(parts),
                             hint=hint)

    def walk(node: yaml.Node, parts: list[str | int], depth: int) -> int:
        key = id(node)
        if key in sizes:
            return sizes[key]
        if key in active:
            raise fail("an alias refers to a value that contains it (a recursive structure)", node, parts,
                       "replace the alias (*name) by the values it should stand for")
        if depth > MAX_DEPTH:
            raise fail(f"nested deeper than {MAX_DEPTH} levels", node, parts,
                       "metadata files need a few levels; look for a runaway indentation or bracket")
        active.add(key)
        total = 1
        if isinstance(node, yaml.MappingNode):
            seen: dict[str, int] = {}
            for key_node, value_node in node.value:
                if key_node.tag == "tag:yaml.org,2002:merge":
                    total += walk(value_node, parts, depth + 1)
                    continue
                name = str(key_node.value)
                line = key_node.start_mark.line + 1
                if name in seen:
                    raise MetadataError(
                        f"duplicate key {name!r} (first at line {seen[name]})",
                        file=file,
                        line=line,
                        field=json_pointer([*parts, name]),
                        hint="keep one of the two entries",
                    )
                seen[name] = line
                lines.setdefault(json_pointer([*parts, name]), line)
                total += 1 + walk(value_node, [*parts, name], depth + 1)
        elif isinstance(node, yaml.SequenceNode):
            for i, item in enumerate(node.value):
                lines.setdefault(json_pointer([*parts, i]), item.start_mark.line + 1)
                total += walk(item, [*parts, i], depth + 1)
        active.discard(key)
        sizes[key] = total
        if total > MAX_VALUES:
            raise fail(f"aliases expand this value to more than {MAX_VALUES:,} values", node, parts,
                       "metadata needs no alias bomb: write the values out or use fewer nested aliases (*name)")
        return total

    walk(root, [], 0)


def load_yaml_text_with_lines(text: str, *, file: str | os.PathLike | None = None) -> tuple[Any, LineMap]:
    """Parse YAML (or JSON) ``text`` like ``yaml.safe_load`` (numbers as YAML 1.2) and return
    ``(data, LineMap)``.

    Raises
    ------
    MetadataError
        The text is not valid YAML (line and column of the parser's complaint), repeats a key, nests too
        deeply or expands aliases past :data:`MAX_VALUES`.
    """
    name = None if file is None else str(file)
    loader = Yaml12Loader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None, LineMap({"": 1})
        lines = {"": node.start_mark.line + 1}
        _record_lines(node, lines, name)
        data = loader.construct_document(node)
    except RecursionError:
        raise MetadataError(f"nested deeper than {MAX_DEPTH} levels", file=name,
                            hint="metadata files need a few levels; look for a runaway indentation or "
                                 "bracket") from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = None if mark is None else mark.line + 1
        column = "" if mark is None else f", column {mark.column + 1}"
        raise MetadataError(
            f"not valid YAML: {exc.problem or exc.context}{column}",
            file=name,
            line=line,
            hint="check indentation, colons and quotes near this line (tabs are not allowed)",
        ) from None
    except yaml.YAMLError as exc:
        raise MetadataError(f"not valid YAML: {exc}", file=name) from None
    finally:
        loader.dispose()
    return data, LineMap(lines)


def load_yaml_text(text: str, *, file: str | os.PathLike | None = None) -> Any:
    """:func:`load_yaml_text_with_lines` without the lines (the one YAML parser of nwbtms)."""
    return load_yaml_text_with_lines(text, file=file)[0]


def load_yaml_with_lines(path: str | os.PathLike) -> tuple[Any, LineMap]:
    """Read a YAML or JSON file with ``yaml.safe_load`` semantics; return ``(data, LineMap)``.

    Raises
    ------
    MetadataError
        The file is missing, unreadable, not UTF-8, or not valid YAML/JSON.
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise MetadataError("file not found", file=path, hint="check the path") from None
    except IsADirectoryError:
        raise MetadataError("expected a file, got a folder", file=path) from None
    except UnicodeDecodeError as exc:
        raise MetadataError(
            f"not UTF-8 text ({exc.reason} at byte {exc.start})", file=path, hint="save the file as UTF-8"
        ) from None
    except OSError as exc:
        raise MetadataError(f"cannot read file: {exc.strerror}", file=path) from None
    try:
        return load_yaml_text_with_lines(text, file=path)
    except MetadataError as exc:
        if path.suffix.lower() != ".json" or not exc.message.startswith("not valid YAML"):
            raise
        # A few JSON texts are not YAML 1.1 (e.g. tab indentation); JSON files then load without lines.
        try:
            return json.loads(text), LineMap({"": 1})
        except json.JSONDecodeError as exc:
            raise MetadataError(f"not valid JSON: {exc.msg}", file=path, line=exc.lineno) from None


def schema_path(name: str) -> Path:
    """Where ``schemas/<name>.schema.json`` is: the source tree, else the installed data files."""
    filename = f"{name}.schema.json"
    for folder in (SCHEMA_DIR, Path(sys.prefix) / "share" / "nwbtms" / "schemas"):
        if (folder / filename).is_file():
            return folder / filename
    raise NwbtmsError(
        f"JSON Schema {name!r} not found",
        file=SCHEMA_DIR / filename,
        hint="reinstall nwbtms; the schemas ship in schemas/ and <prefix>/share/nwbtms/schemas",
    )


@cache
def _read_schema(name: str) -> dict:
    return json.loads(schema_path(name).read_text(encoding="utf-8"))


def load_schema(name: str) -> dict:
    """The JSON Schema ``schemas/<name>.schema.json`` (e.g. ``"protocol"``, ``"session"``), as a new dict."""
    if not _SCHEMA_NAME.match(name):
        raise NwbtmsError(f"invalid schema name {name!r}", hint="use a bare name such as 'protocol'")
    return copy.deepcopy(_read_schema(name))


def _describe_value(value: Any) -> str:
    text = json.dumps(value, default=str) if not isinstance(value, str) else repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


_TYPE_NAMES = {
    "object": "a mapping",
    "array": "a list",
    "string": "text",
    "integer": "an integer",
    "number": "a number",
    "boolean": "true or false",
    "null": "null",
}


def _only_required(subschemas: list[dict]) -> list[str] | None:
    """Field names when every alternative of a oneOf/anyOf is just ``{"required": [name]}``."""
    names = []
    for sub in subschemas:
        if set(sub) != {"required"} or len(sub["required"]) != 1:
            return None
        names.append(sub["required"][0])
    return names


def _error_problems(error, file: str | None, line_map: LineMap) -> Iterator[Problem]:
    """One or more readable Problems for a jsonschema ValidationError."""
    parts = list(error.absolute_path)
    pointer = json_pointer(parts)
    keyword = error.validator
    value = error.instance
    hint = error.schema.get("description") if isinstance(error.schema, dict) else None
    if keyword == "required":
        missing = [name for name in error.validator_value if isinstance(value, dict) and name not in value]
        for name in missing or [None]:
            field_pointer = json_pointer([*parts, name]) if name else pointer
            sub = error.schema.get("properties", {}).get(name, {}) if name else {}
            yield Problem(
                f"missing required field {name!r}" if name else error.message,
                file,
                line_map.line_for(pointer),
                field_pointer or "/",
                sub.get("description"),
            )
        return
    if keyword in ("additionalProperties", "unevaluatedProperties") and isinstance(value, dict):
        allowed = sorted(error.schema.get("properties", {}))
        patterns = [re.compile(p) for p in error.schema.get("patternProperties", {})]
        extras = [k for k in value if k not in allowed and not any(p.search(k) for p in patterns)]
        for key in extras or [None]:
            field_pointer = json_pointer([*parts, key]) if key else pointer
            yield Problem(
                f"unknown field {key!r}" if key else error.message,
                file,
                line_map.line_for(field_pointer),
                field_pointer or "/",
                f"check the spelling; allowed here: {', '.join(allowed)}" if allowed else None,
            )
        return
    if keyword in ("oneOf", "anyOf") and (names := _only_required(error.validator_value)):
        given = [n for n in names if isinstance(value, dict) and n in value]
        message = (
            f"give exactly one of {', '.join(names)}"
            if not given
            else f"give only one of {', '.join(names)}, not {' and '.join(given)}"
        )
        yield Problem(message, file, line_map.line_for(pointer), pointer or "/", hint)
        return
    if keyword == "type":
        expected = error.validator_value
        expected = [expected] if isinstance(expected, str) else expected
        wanted = " or ".join(_TYPE_NAMES.get(t, t) for t in expected)
        message = f"expected {wanted}, got {_describe_value(value)}"
    elif keyword == "enum":
        choices = ", ".join(map(str, error.validator_value))
        message = f"{_describe_value(value)} is not allowed; use one of {choices}"
    elif keyword == "const":
        message = f"must be {_describe_value(error.validator_value)}, got {_describe_value(value)}"
    elif keyword in ("minimum", "exclusiveMinimum", "maximum", "exclusiveMaximum"):
        sign = {"minimum": ">=", "exclusiveMinimum": ">", "maximum": "<=", "exclusiveMaximum": "<"}[keyword]
        message = f"must be {sign} {error.validator_value}, got {_describe_value(value)}"
    elif keyword == "pattern":
        message = f"{_describe_value(value)} does not match the pattern {error.validator_value}"
    elif keyword == "minItems":
        message = f"needs at least {error.validator_value} item(s), got {len(value)}"
    elif keyword == "maxItems":
        message = f"allows at most {error.validator_value} item(s), got {len(value)}"
    elif keyword == "format" and error.cause is not None:
        message = str(error.cause)
    elif keyword == "minLength":
        message = "must not be empty" if error.validator_value == 1 else error.message
    else:
        message = error.message
    yield Problem(message, file, line_map.line_for(pointer), pointer or "/", hint)


@cache
def _format_checker():
    """The draft 2020-12 format checker plus nwbtms's own formats (:data:`ORIENTATION_FORMAT`)."""
    from jsonschema import Draft202012Validator, FormatChecker

    checker = FormatChecker(formats=())
    checker.checkers = dict(Draft202012Validator.FORMAT_CHECKER.checkers)
    checker.checks(ORIENTATION_FORMAT, raises=ValueError)(is_orientation)
    return checker


def validate_against_schema(
    data: Any, schema: dict, *, file: str | os.PathLike | None = None, line_map: LineMap | None = None
) -> list[Problem]:
    """Every JSON Schema (draft 2020-12) violation of ``data``, each located by line and JSON path.

    Returns an empty list when ``data`` is valid. Problems are sorted by line, then path.
    """
    from jsonschema import Draft202012Validator

    name = None if file is None else str(file)
    line_map = line_map or LineMap()
    validator = Draft202012Validator(schema, format_checker=_format_checker())
    problems: list[Problem] = []
    seen: set[tuple] = set()
    for error in validator.iter_errors(data):
        for problem in _error_problems(error, name, line_map):
            key = (problem.field, problem.message)
            if key not in seen:
                seen.add(key)
                problems.append(problem)
    problems.sort(key=lambda p: (p.line if p.line is not None else 0, p.field or ""))
    return problems


def check_against_schema(
    data: Any,
    schema_name: str,
    *,
    file: str | os.PathLike | None = None,
    line_map: LineMap | None = None,
    error: type[NwbtmsError] = MetadataError,
    what: str = "file",
) -> None:
    """Raise ``error`` listing every violation of ``schemas/<schema_name>.schema.json``, if any."""
    problems = validate_against_schema(data, load_schema(schema_name), file=file, line_map=line_map)
    if problems:
        raise error(
            f"{what} does not follow {schema_name}.schema.json ({len(problems)} problem(s))",
            file=file,
            problems=problems,
            hint="fix every listed field; lines refer to the file",
        )
