"""Hand-written annotation tables (CSV).

Columns (header row, any order; names case-insensitive)::

    key,kind,parent_key,x_um,y_um,z_um,length_in_um,cell_type
    n1,soma,,10.0,12.5,30
    n1:d01,dendrite,n1,14.0,20.0,33,42.5
    n1:d01:s01,spine,n1:d01,15.2,24.0,33
    s02,spine,n1:d01,16.0,31.5,36

Required: ``key``, ``kind`` (soma, dendrite, spine), ``x_um``, ``y_um``, ``z_um`` (µm in the stack).
Optional: ``parent_key`` (empty: the parent the key states by the ``A:B`` convention, if any),
``length_in_um`` (a dendrite's traced length; required for dendrites, empty for other kinds) and
``cell_type`` (a cell type label, e.g. ``IT``). Lines starting with ``#`` are comments.
"""

from __future__ import annotations

import csv
import math
from pathlib import Path

import numpy as np

from nwbtms.errors import InputError
from nwbtms.sources.annotations.model import ROI_KINDS, Annotation, AnnotationSet, parent_from_name
from nwbtms.sources.registry import Reader, head_text

REQUIRED_COLUMNS = ("key", "kind", "x_um", "y_um", "z_um")
OPTIONAL_COLUMNS = ("parent_key", "length_in_um", "cell_type")


def _number(text: str, path: Path, line: int, column: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise InputError(f"{column} {text!r} is not a number", file=path, line=line, field=column) from None
    if not math.isfinite(value):
        raise InputError(f"{column} must be finite, got {text!r}", file=path, line=line, field=column)
    return value


def read_annotation_csv(path: str | Path) -> AnnotationSet:
    """Read an annotation CSV (see the module docstring).

    Raises
    ------
    InputError
        Missing or unknown columns, an unknown kind, a number that is not one, a duplicate key, a dendrite
        without ``length_in_um`` or another kind with one; each names the line.
    """
    path = Path(path)
    if not path.is_file():
        raise InputError("annotation file not found", file=path)
    annotations: list[Annotation] = []
    seen: dict[str, int] = {}
    with path.open(newline="", encoding="utf-8-sig") as handle:
        kept = [(n, text) for n, text in enumerate(handle, start=1)
                if text.strip() and not text.lstrip().startswith("#")]
        line_numbers = [n for n, _ in kept]
        reader = csv.DictReader(text for _, text in kept)
        header = [str(h).strip().lower() for h in (reader.fieldnames or [])]
        missing = [c for c in REQUIRED_COLUMNS if c not in header]
        if missing:
            raise InputError(f"missing column(s) {', '.join(missing)}", file=path,
                             line=line_numbers[0] if line_numbers else 1,
                             hint=f"the header needs {', '.join(REQUIRED_COLUMNS)} "
                                  f"(optional: {', '.join(OPTIONAL_COLUMNS)})")
        unknown = [h for h in header if h not in REQUIRED_COLUMNS + OPTIONAL_COLUMNS]
        if unknown:
            raise InputError(f"unknown column(s) {', '.join(unknown)}", file=path, line=line_numbers[0],
                             hint=f"known columns: {', '.join(REQUIRED_COLUMNS + OPTIONAL_COLUMNS)}")
        for index, raw in enumerate(reader, start=1):
            row = {str(k).strip().lower(): (v or "").strip() for k, v in raw.items() if k is not None}
            line = line_numbers[index] if index < len(line_numbers) else None
            key, kind = row["key"], row["kind"].lower()
            if not key:
                raise InputError("empty key", file=path, line=line, field="key")
            if key in seen:
                raise InputError(f"key {key!r} is listed twice (first on line {seen[key]})", file=path,
                                 line=line, field="key", hint="a key identifies one structure")
            seen[key] = line
            if kind not in ROI_KINDS:
                raise InputError(f"unknown kind {row['kind']!r}", file=path, line=line, field="kind",
                                 hint=f"use one of {', '.join(ROI_KINDS)}")
            x, y, z = (_number(row[c], path, line, c) for c in ("x_um", "y_um", "z_um"))
            length_text = row.get("length_in_um", "")
            length = None
            if kind == "dendrite":
                if not length_text:
                    raise InputError(f"dendrite {key!r} has no length_in_um", file=path, line=line,
                                     field="length_in_um", hint="give the traced dendrite length in µm")
                length = _number(length_text, path, line, "length_in_um")
                if length <= 0:
                    raise InputError(f"length_in_um must be positive, got {length_text}", file=path,
                                     line=line, field="length_in_um")
            elif length_text:
                raise InputError(f"{kind} {key!r} has a length_in_um; only dendrites have one", file=path,
                                 line=line, field="length_in_um")
            parent = row.get("parent_key") or parent_from_name(key)
            if parent == key:
                raise InputError(f"{key!r} is its own parent", file=path, line=line, field="parent_key")
            annotations.append(Annotation(
                key=key, kind=kind, parent_key=parent, x_um=x, y_um=y, z_um=z, length_in_um=length,
                vertices_um=np.array([[x, y, z]]), shape="csv", cell_type=row.get("cell_type") or None,
                where=f"{path.name}:{line}"))
    return AnnotationSet(path=path, reader="annotation_csv", annotations=annotations)


__all__ = ["OPTIONAL_COLUMNS", "REQUIRED_COLUMNS", "read_annotation_csv"]


class AnnotationCsvReader(Reader):
    """The documented annotation CSV as a registered reader (:mod:`nwbtms.sources.registry`)."""

    name = "annotation_csv"
    kind = "annotations"
    display_name = "Annotation CSV"
    suffixes = (".csv",)
    info = "Annotated ROIs as CSV: key, kind, x_um, y_um, z_um (optional parent_key, length_in_um, cell_type)."

    @classmethod
    def sniff(cls, path: Path) -> bool:
        """A header row with every required column (names case-insensitive)."""
        lines = [line for line in head_text(path).splitlines() if line.strip()]
        header = {h.strip().lower() for h in lines[0].split(",")} if lines else set()
        return set(REQUIRED_COLUMNS) <= header

    @classmethod
    def open(cls, path: str | Path) -> AnnotationSet:
        return read_annotation_csv(path)
