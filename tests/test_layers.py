"""The package-level import graph of nwbtms: no cycle, and no import from a lower layer to a higher one
(docs/ARCHITECTURE.md, "Layers"), at module level or inside functions, except the known ones listed here."""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "nwbtms"

#: package (first component below nwbtms) -> layer; a package imports only from its layer or lower ones.
LAYERS = {
    "errors": 0, "_version": 0, "progress": 0,
    "io": 1,
    "sources": 2, "protocols": 2, "pulses": 2, "imaging": 2, "parallel": 2, "dandi_layout": 2,
    "metadata": 3, "nwb": 3, "spines": 3, "validate": 3, "photometry": 3,
    "assembly": 4,
    "neuroconv": 5, "report": 5, "checks": 5,
    "cli": 6, "__main__": 6, "<root>": 6,
}
#: Packages that may not import each other although the layers allow it (builders know no metadata format and no
#: reader types; the metadata layer knows no builders).
FORBIDDEN = {("nwb", "metadata"), ("nwb", "sources"), ("metadata", "nwb")}
#: Imports that still break the rules, each to be removed (nothing may be added): (importer, imported, module).
KNOWN_UPWARD: set[tuple[str, str, str]] = set()


def _package(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "<root>"


def import_edges() -> set[tuple[str, str, str]]:
    """(importer package, imported package, importing file) for every import of another nwbtms package."""
    edges = set()
    for path in PACKAGE.rglob("*.py"):
        rel = path.relative_to(PACKAGE.parent)
        module = ".".join(rel.with_suffix("").parts).removesuffix(".__init__")
        source = _package(module) if module != "nwbtms" else "<root>"
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            else:
                continue
            for name in names:
                if name.startswith("nwbtms.") and _package(name) != source:
                    edges.add((source, _package(name), rel.as_posix()))
    return edges


def test_every_package_has_a_layer():
    packages = {p.stem if p.is_file() else p.name for p in PACKAGE.iterdir()
                if (p.suffix == ".py" or (p.is_dir() and (p / "__init__.py").exists())) and p.name != "__init__.py"}
    assert packages <= set(LAYERS), sorted(packages - set(LAYERS))


def test_no_import_goes_up_a_layer_or_across_a_forbidden_pair():
    wrong = sorted(e for e in import_edges()
                   if (LAYERS[e[1]] > LAYERS[e[0]] or e[:2] in FORBIDDEN) and e not in KNOWN_UPWARD)
    assert wrong == [], wrong


def test_known_exceptions_still_exist():
    """A fixed exception must leave KNOWN_UPWARD, so the list only shrinks."""
    assert KNOWN_UPWARD <= import_edges()


def test_no_cycle_between_packages():
    graph: dict[str, set[str]] = defaultdict(set)
    for source, target, where in import_edges():
        if (source, target, where) not in KNOWN_UPWARD:
            graph[source].add(target)
    state: dict[str, int] = {}

    def visit(node: str, trail: list[str]) -> None:
        state[node] = 1
        for nxt in sorted(graph[node]):
            assert state.get(nxt) != 1, f"import cycle: {' -> '.join([*trail, node, nxt])}"
            if nxt not in state:
                visit(nxt, [*trail, node])
        state[node] = 2

    for node in sorted(graph):
        if node not in state:
            visit(node, [])
