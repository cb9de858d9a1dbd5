"""Per-ROI label files (CSV or YAML): what kind each ROI is, its parent, a stable key across sessions, its
cell type; or one rule for a whole plane. Read here; applied to a segmentation by
:mod:`nwbtms.assembly.segmentation` (``resolve_labels``)."""

from __future__ import annotations

import csv
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from nwbtms.errors import InputError
from nwbtms.sources.registry import Reader


@dataclass(frozen=True)
class RoiLabel:
    """What the label file says of one ROI (None: not given)."""

    roi_kind: str | None = None
    parent: int | str | None = None
    roi_key: str | None = None
    cell_type: str | None = None


@dataclass
class RoiLabels:
    """Per-ROI labels plus defaults for unlisted ROIs.

    Attributes
    ----------
    rois : dict of int to RoiLabel
        Keyed by Suite2p ROI index (row of ``stat.npy``).
    default_kind, default_cell_type : str or None
        For ROIs not listed (or listed without that field).
    source : str
        Where the labels came from, for messages and the column descriptions.
    """

    rois: dict[int, RoiLabel] = field(default_factory=dict)
    default_kind: str | None = "soma"
    default_cell_type: str | None = None
    source: str = "rule"


def roi_label_rule(*, cell_type: str | None = None, roi_kind: str = "soma") -> RoiLabels:
    """Labels for a whole plane: every ROI is ``roi_kind`` of ``cell_type`` (e.g. ``"IT"``)."""
    return RoiLabels(default_kind=roi_kind, default_cell_type=cell_type,
                     source=f"rule: every ROI is a {roi_kind}" + (f" of type {cell_type}" if cell_type else ""))


_FIELD_ALIASES = {"roi": "roi", "index": "roi", "roi_index": "roi", "kind": "roi_kind", "roi_kind": "roi_kind",
                  "parent": "parent", "parent_roi": "parent", "key": "roi_key", "roi_key": "roi_key",
                  "cell_type": "cell_type"}


def _label_from_mapping(entry: Mapping[str, Any], path: Path, where: int | None) -> tuple[int, RoiLabel]:
    values: dict[str, Any] = {}
    for name, value in entry.items():
        canonical = _FIELD_ALIASES.get(str(name).strip().lower())
        if canonical is None:
            raise InputError(f"unknown label field {name!r}", file=path, line=where, field=str(name),
                             hint=f"use {', '.join(sorted(set(_FIELD_ALIASES.values())))}")
        if value is not None and str(value).strip() != "":
            values[canonical] = value.strip() if isinstance(value, str) else value
    if "roi" not in values:
        raise InputError("label without a 'roi' index", file=path, line=where, field="roi",
                         hint="give the Suite2p ROI index (row of stat.npy) in a 'roi' column")
    try:
        roi = int(values.pop("roi"))
    except (TypeError, ValueError) as exc:
        raise InputError(f"roi index {entry.get('roi')!r} is not an integer", file=path, line=where,
                         field="roi") from exc
    parent = values.get("parent")
    if isinstance(parent, str) and parent.lstrip("-").isdigit():
        parent = int(parent)
    return roi, RoiLabel(roi_kind=values.get("roi_kind"), parent=parent,
                         roi_key=None if values.get("roi_key") is None else str(values["roi_key"]),
                         cell_type=None if values.get("cell_type") is None else str(values["cell_type"]))


def load_roi_labels(path: str | os.PathLike) -> RoiLabels:
    """Read a per-ROI label file.

    CSV: a header row with ``roi`` and any of ``roi_kind``, ``parent``, ``roi_key``, ``cell_type``;
    ``parent`` is the parent's ROI index or its ``roi_key``. YAML::

        default: {roi_kind: soma, cell_type: IT}     # optional, for unlisted ROIs
        rois:
          - {roi: 0, roi_key: M001-soma01, cell_type: IT}
          - {roi: 4, roi_kind: dendrite, parent: 0, roi_key: M001-dend01}
          - {roi: 9, roi_kind: spine, parent: M001-dend01, roi_key: M001-spine01}

    Raises
    ------
    InputError
        Unreadable file, unknown fields, a ROI listed twice, non-integer indices.
    """
    path = Path(path)
    if not path.is_file():
        raise InputError("ROI label file not found", file=path)
    labels = RoiLabels(default_kind="soma", source=path.name)
    entries: list[tuple[int | None, Mapping[str, Any]]] = []
    if path.suffix.lower() in (".yaml", ".yml"):
        from nwbtms.io.yaml_loader import load_yaml_text

        try:
            document = load_yaml_text(path.read_text(encoding="utf-8"), file=path)
        except UnicodeDecodeError as exc:
            raise InputError(f"not UTF-8 text ({exc.reason})", file=path, hint="save the file as UTF-8") from None
        if isinstance(document, list):
            document = {"rois": document}
        if not isinstance(document, dict):
            raise InputError("expected a mapping with 'rois' (and optional 'default')", file=path)
        default = document.get("default") or {}
        labels.default_kind = default.get("roi_kind", default.get("kind", "soma"))
        labels.default_cell_type = default.get("cell_type")
        entries = [(None, e) for e in document.get("rois") or []]
    else:
        with path.open(newline="", encoding="utf-8") as handle:
            reader = csv.DictReader(handle)
            entries = [(reader.line_num, row) for row in reader]
    for where, entry in entries:
        if not isinstance(entry, Mapping):
            raise InputError("each ROI label must be a mapping", file=path, line=where)
        roi, label = _label_from_mapping(entry, path, where)
        if roi in labels.rois:
            raise InputError(f"ROI {roi} is labelled twice", file=path, line=where, field="roi")
        labels.rois[roi] = label
    return labels


class RoiLabelsReader(Reader):
    """Per-ROI label files as a registered reader (:mod:`nwbtms.sources.registry`)."""

    name = "roi_labels_csv"
    kind = "roi_labels"
    display_name = "ROI labels (CSV or YAML)"
    suffixes = (".csv", ".yaml", ".yml")
    info = "One row per ROI: roi, roi_kind, parent, roi_key, cell_type (CSV), or the YAML form with defaults."

    @classmethod
    def open(cls, path: str | os.PathLike) -> RoiLabels:
        return load_roi_labels(path)
