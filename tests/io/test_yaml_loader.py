"""Tests of nwbtms.io.yaml_loader: line-aware YAML loading and all-at-once schema validation."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator

from nwbtms.errors import MetadataError, ProtocolError
from nwbtms.io.yaml_loader import (
    SCHEMA_DIR,
    LineMap,
    check_against_schema,
    json_pointer,
    load_schema,
    load_yaml_with_lines,
    validate_against_schema,
)

DOC = """\
# a comment
name: demo
levels:
  - name: pulse
    count: 3
  -
    name: burst
    count: 0
nested: {inner: [1, 2]}
"""

SCHEMA = {
    "type": "object",
    "additionalProperties": False,
    "required": ["name", "levels", "waveform"],
    "properties": {
        "name": {"type": "string"},
        "levels": {
            "type": "array",
            "items": {
                "type": "object",
                "additionalProperties": False,
                "required": ["name", "count"],
                "properties": {
                    "name": {"enum": ["pulse", "burst"]},
                    "count": {"type": "integer", "minimum": 1, "description": "how many units"},
                },
            },
        },
        "waveform": {"type": "string"},
    },
}


def write(tmp_path: Path, text: str, name: str = "doc.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_lines_of_keys_and_items(tmp_path):
    data, lines = load_yaml_with_lines(write(tmp_path, DOC))
    assert data["levels"][1] == {"name": "burst", "count": 0}
    assert lines.line_for("/name") == 2
    assert lines.line_for("/levels") == 3
    assert lines.line_for("/levels/0") == 4
    assert lines.line_for("/levels/0/count") == 5
    assert lines.line_for("/levels/1/count") == 8
    assert lines.line_for("/nested/inner/1") == 9
    # unknown paths fall back to the nearest known ancestor
    assert lines.line_for("/levels/1/interval_s") == lines.line_for("/levels/1")
    assert lines.line_for("/nope") == 2  # the root document starts at its first key


def test_safe_load_semantics_refuse_python_tags(tmp_path):
    path = write(tmp_path, "x: !!python/object/apply:os.system ['echo hacked']\n")
    with pytest.raises(MetadataError) as info:
        load_yaml_with_lines(path)
    assert info.value.line == 1


def test_every_violation_reported_with_line_and_path(tmp_path):
    path = write(tmp_path, DOC)
    data, lines = load_yaml_with_lines(path)
    problems = validate_against_schema(data, SCHEMA, file=path, line_map=lines)
    by_field = {p.field: p for p in problems}
    assert set(by_field) == {"/waveform", "/levels/1/count", "/nested"}
    assert by_field["/levels/1/count"].line == 8
    assert "must be >= 1, got 0" in by_field["/levels/1/count"].message
    assert by_field["/levels/1/count"].hint == "how many units"
    assert by_field["/nested"].line == 9 and "unknown field 'nested'" in by_field["/nested"].message
    assert "missing required field 'waveform'" in by_field["/waveform"].message
    assert all(p.file == str(path) for p in problems)


def test_valid_document_has_no_problems():
    data = {"name": "x", "levels": [{"name": "pulse", "count": 1}], "waveform": "biphasic"}
    assert validate_against_schema(data, SCHEMA) == []


def test_duplicate_keys_rejected(tmp_path):
    with pytest.raises(MetadataError) as info:
        load_yaml_with_lines(write(tmp_path, "a: 1\nb: 2\na: 3\n"))
    assert info.value.line == 3 and "first at line 1" in info.value.message


def test_syntax_error_has_line(tmp_path):
    with pytest.raises(MetadataError) as info:
        load_yaml_with_lines(write(tmp_path, "a: 1\nb: [1, 2\nc: 3\n"))
    assert info.value.line is not None and "not valid YAML" in info.value.message


def test_missing_file():
    with pytest.raises(MetadataError, match="file not found"):
        load_yaml_with_lines("/nonexistent/x.yaml")


def test_json_files_load_with_lines(tmp_path):
    path = write(tmp_path, json.dumps({"name": "x", "levels": [{"name": "pulse", "count": 1}]}, indent=2),
                 "doc.json")
    data, lines = load_yaml_with_lines(path)
    assert data["levels"][0]["count"] == 1
    assert lines.line_for("/levels/0/count") == 6


def test_json_pointer_escapes():
    assert json_pointer(["a/b", "c~d", 3]) == "/a~1b/c~0d/3"
    assert json_pointer([]) == ""
    assert LineMap({"": 1}).line_for("/anything") == 1


def test_shipped_schemas_are_valid_draft_2020_12():
    names = sorted(p.name.removesuffix(".schema.json") for p in SCHEMA_DIR.glob("*.schema.json"))
    assert "protocol" in names
    for name in names:
        Draft202012Validator.check_schema(load_schema(name))


def test_load_schema_rejects_path_like_names():
    with pytest.raises(Exception, match="invalid schema name"):
        load_schema("../etc/passwd")


def test_check_against_schema_raises_requested_error(tmp_path):
    with pytest.raises(ProtocolError) as info:
        check_against_schema({"name": 3}, "protocol", file="p.yaml", error=ProtocolError, what="protocol")
    assert len(info.value.problems) >= 2


def _alias_bomb(levels: int = 9) -> str:
    """'Billion laughs': each level lists the previous one 9 times (9**9 values from a 1 KB text)."""
    text = "format_version: 1\na: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n"
    names = "bcdefghijk"[:levels - 1]
    previous = "a"
    for name in names:
        text += f"{name}: &{name} [{', '.join(['*' + previous] * 9)}]\n"
        previous = name
    return text


@pytest.mark.parametrize("text, message", [
    (_alias_bomb(), "aliases expand this value to more than"),
    ("x: " + "[" * 50_000 + "]" * 50_000 + "\n", "nested deeper than"),
    ("x:\n" + "".join("  " * i + f"k{i}:\n" for i in range(1, 100)) + "  " * 100 + "v: 1\n", "nested deeper than"),
    ("a: &a [1, *a]\n", "refers to a value that contains it"),
])
def test_alias_bombs_and_deep_nesting_are_refused_with_a_clear_error(tmp_path, text, message):
    for suffix in (".yaml", ".json"):
        path = tmp_path / f"bad{suffix}"
        path.write_text(text)
        with pytest.raises(MetadataError) as info:
            load_yaml_with_lines(path)
        assert message in info.value.message and info.value.hint


def test_moderate_aliases_still_load(tmp_path):
    path = tmp_path / "ok.yaml"
    path.write_text("base: &b {waveform: biphasic, width: 280}\none: *b\ntwo: {<<: *b, width: 300}\n")
    data, lines = load_yaml_with_lines(path)
    assert data["one"] == {"waveform": "biphasic", "width": 280} and data["two"]["width"] == 300
    assert lines.line_for("/two/width") == 3


@pytest.mark.parametrize("text, value", [
    ("1e-1", 0.1), ("1e308", 1e308), ("-1e12", -1e12), ("1.0e5", 1e5), ("+2E3", 2000.0), (".5e1", 5.0),
    ("1.5", 1.5), ("12", 12), ("1_000", 1000), ("'1e-1'", "1e-1"), ("1e", "1e"), ("e5", "e5"),
    ("9016E0731", "9016E0731"), (".inf", float("inf")),
])
def test_numbers_are_read_as_yaml_1_2_does(tmp_path, text, value):
    path = tmp_path / "n.yaml"
    path.write_text(f"dose: {text}\n")
    data, _ = load_yaml_with_lines(path)
    assert data["dose"] == value and type(data["dose"]) is type(value)
