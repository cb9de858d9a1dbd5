"""The builders in nwbtms/nwb/ take typed entries, plain values or keyword arguments, never the metadata file's
mappings (docs/ARCHITECTURE.md, "Recipes: a builder"): no builder reads a metadata key out of what it was given,
and no builder or entry takes a keyed section (a mapping of mappings)."""

from __future__ import annotations

import ast
import json
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BUILDERS = ROOT / "nwbtms" / "nwb"
#: Calls through which a value stays "what the builder was given" (a section's items, a copy of it...).
PASS_THROUGH_METHODS = {"items", "values", "keys", "get", "pop"}
PASS_THROUGH_FUNCTIONS = {"dict", "list", "tuple", "sorted", "reversed", "enumerate", "zip"}
#: Builders that still read keys out of a mapping they were given, each to be made typed (nothing may be added):
#: (module, function).
KNOWN_KEY_READS: set[tuple[str, str]] = set()


def metadata_keys() -> set[str]:
    """Every property name of the session metadata schema (section names and entry fields)."""
    keys: set[str] = set()

    def walk(node) -> None:
        if isinstance(node, dict):
            for name, value in node.items():
                if name == "properties" and isinstance(value, dict):
                    keys.update(value)
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(json.loads((ROOT / "schemas" / "session.schema.json").read_text(encoding="utf-8")))
    return keys


def _key(node) -> str | None:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def _names(target) -> set[str]:
    if isinstance(target, ast.Name):
        return {target.id}
    if isinstance(target, ast.Tuple | ast.List):
        return set().union(*(_names(t) for t in target.elts))
    if isinstance(target, ast.Starred):
        return _names(target.value)
    return set()  # storing into x[...] or x.a does not make x an input


def metadata_key_reads(source: str, keys: set[str]) -> list[tuple[int, str, str]]:
    """``(line, function, key)`` wherever a function reads a metadata key (``x["key"]``, ``x.get("key")``,
    ``x.pop("key")``, ``"key" in x``) out of a value derived from its parameters (through attributes, items,
    iteration, copies or dict displays), e.g. ``entry["method"]`` for ``entry`` of ``entries.registrations.items()``."""
    found = []
    for function in ast.walk(ast.parse(source)):
        if not isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
            continue
        arguments = function.args
        given = {a.arg for a in [*arguments.posonlyargs, *arguments.args, *arguments.kwonlyargs,
                                 *filter(None, [arguments.vararg, arguments.kwarg])]} - {"self", "cls"}

        def derived(node, given=given) -> bool:
            if isinstance(node, ast.Name):
                return node.id in given
            if isinstance(node, ast.Attribute | ast.Subscript | ast.Starred):
                return derived(node.value)
            if isinstance(node, ast.Call):
                if isinstance(node.func, ast.Attribute) and node.func.attr in PASS_THROUGH_METHODS:
                    return derived(node.func.value)
                if isinstance(node.func, ast.Name) and node.func.id in PASS_THROUGH_FUNCTIONS:
                    return any(derived(a) for a in node.args)
                return False
            if isinstance(node, ast.BoolOp):
                return any(derived(v) for v in node.values)
            if isinstance(node, ast.IfExp):
                return derived(node.body) or derived(node.orelse)
            if isinstance(node, ast.Dict):
                return any(derived(v) for v in node.values)
            return False

        for _ in range(3):  # propagate through assignments and loops (nested ones too)
            for node in ast.walk(function):
                if isinstance(node, ast.Assign) and derived(node.value):
                    for target in node.targets:
                        given |= _names(target)
                elif isinstance(node, ast.For | ast.comprehension) and derived(node.iter):
                    given |= _names(node.target)
        name = getattr(function, "name", "<lambda>")
        for node in ast.walk(function):
            key = None
            if isinstance(node, ast.Subscript) and isinstance(node.ctx, ast.Load) and derived(node.value):
                key = _key(node.slice)
            elif (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                  and node.func.attr in ("get", "pop") and node.args and derived(node.func.value)):
                key = _key(node.args[0])
            elif (isinstance(node, ast.Compare) and any(isinstance(op, ast.In | ast.NotIn) for op in node.ops)
                  and derived(node.comparators[0])):
                key = _key(node.left)
            if key in keys:
                found.append((node.lineno, name, key))
    return found


def _key_reads() -> list[tuple[str, int, str, str]]:
    keys = metadata_keys()
    return [(path.name, line, function, key) for path in sorted(BUILDERS.glob("*.py"))
            for line, function, key in metadata_key_reads(path.read_text(encoding="utf-8"), keys)]


def test_no_builder_reads_a_metadata_key():
    found = [f"nwbtms/nwb/{module}:{line} {function}: {key!r}" for module, line, function, key in _key_reads()
             if (module, function) not in KNOWN_KEY_READS]
    assert found == [], "builders read metadata keys (make them fields of an entry in nwb/entries.py):\n" + \
        "\n".join(found)


def test_known_key_reads_still_exist():
    """A builder made typed leaves KNOWN_KEY_READS, so the list only shrinks."""
    assert KNOWN_KEY_READS <= {(module, function) for module, _, function, _ in _key_reads()}


def test_the_scan_finds_what_the_builders_used_to_do():
    """The scan would fail on the former builders (a keyed section's entries read by key)."""
    former = '''
def build_registrations(entries, spaces):
    for key, entry in entries.registrations.items():
        values = {"method": entry["method"]}
        if "rms_error_in_mm" in entry:
            values["rms_error_in_mm"] = float(entry.get("rms_error_in_mm"))
    table = sorted(entries.adverse_events.values(), key=lambda e: e["time_in_s"])

def build_study_design(sections):
    vectors = [e["construct_name"] for e in (sections.get("viral_vectors") or {}).values()]
'''
    found = {(function, key) for _, function, key in metadata_key_reads(former, metadata_keys())}
    assert found == {("build_registrations", "method"), ("build_registrations", "rms_error_in_mm"),
                     ("<lambda>", "time_in_s"), ("build_study_design", "viral_vectors"),
                     ("build_study_design", "construct_name")}
    # what a builder makes itself (a row it fills, an NWB object it reads) is not metadata
    own = '''
def protocol_row(entry):
    row = dict(make_row(entry.protocol))
    row["threshold"] = 1
    row.setdefault("waveform", "biphasic")
    return row["threshold"], entry.intensity.value
'''
    assert metadata_key_reads(own, metadata_keys()) == []


def _annotation_texts(function: ast.FunctionDef) -> list[tuple[str, str]]:
    arguments = function.args
    return [(a.arg, ast.unparse(a.annotation)) for a in [*arguments.posonlyargs, *arguments.args,
                                                         *arguments.kwonlyargs] if a.annotation is not None]


def _mapping_of_mappings(annotation: str) -> bool:
    """``Mapping[str, Mapping[...]]``, ``dict[str, dict]``...: a keyed section of the metadata file."""
    compact = annotation.replace(" ", "")
    mappings = ("Mapping[", "dict[", "MutableMapping[")
    return any(compact.startswith(outer) and any(f",{inner}" in compact or compact.endswith(f",{inner[:-1]}]")
                                                 for inner in mappings) for outer in mappings)


def test_no_builder_or_entry_takes_a_keyed_section():
    wrong = []
    for path in sorted(BUILDERS.glob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef) and not node.name.startswith("_"):
                wrong += [f"{path.name}: {node.name}({name}: {text})" for name, text in _annotation_texts(node)
                          if _mapping_of_mappings(text)]
            if isinstance(node, ast.ClassDef):
                wrong += [f"{path.name}: {node.name}.{item.target.id}: {ast.unparse(item.annotation)}"
                          for item in node.body if isinstance(item, ast.AnnAssign) and isinstance(item.target, ast.Name)
                          and _mapping_of_mappings(ast.unparse(item.annotation))]
    assert wrong == [], wrong
    assert _mapping_of_mappings("Mapping[str, Mapping[str, Any]]") and _mapping_of_mappings("dict[str, dict]")
    assert not _mapping_of_mappings("Mapping[str, Any]") and not _mapping_of_mappings("dict[str, int]")
