"""Reader output into the segmentation builders' plain values: a Suite2p plane into
:class:`~nwbtms.nwb.segmentation.Suite2pArrays`, a label file or rule into
:class:`~nwbtms.nwb.segmentation.ResolvedLabels` (defaults applied, parent keys turned into row indices, kinds,
keys, parents and cycles checked). The builders in :mod:`nwbtms.nwb.segmentation` know no reader type."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from nwbtms.errors import InputError
from nwbtms.nwb.segmentation import (
    ROI_KINDS,
    ResolvedLabels,
    SegmentationResult,
    Suite2pArrays,
    add_suite2p_segmentation,
)
from nwbtms.sources.segmentation.roi_labels import RoiLabel, RoiLabels
from nwbtms.sources.segmentation.suite2p import Suite2pPlane, check_plane_shapes, pixel_mask


def suite2p_arrays(plane: Suite2pPlane) -> Suite2pArrays:
    """The builder's values of one Suite2p plane, after the reader's shape checks (planes may come from
    elsewhere: any object with ``stat``, ``ops``, ``F``, ``Fneu``, ``spks``, ``iscell`` will do).

    Raises
    ------
    SourceError
        Arrays of mismatched lengths (naming the ``.npy`` file).
    """
    folder = str(getattr(plane, "folder", "suite2p folder"))
    arrays = {key: getattr(plane, key, None) for key in ("F", "Fneu", "spks", "iscell", "F_chan2", "Fneu_chan2",
                                                          "redcell")}
    check_plane_shapes(folder, len(plane.stat), arrays)
    ops = plane.ops if isinstance(plane.ops, Mapping) else {}
    return Suite2pArrays(pixel_masks=[pixel_mask(roi) for roi in plane.stat], F=plane.F, Fneu=plane.Fneu,
                         spks=plane.spks, iscell=np.asarray(plane.iscell), rate_hz=ops.get("fs"),
                         mean_image=ops.get("meanImg"), folder=folder,
                         plane_index=int(getattr(plane, "plane_index", 0)))


def resolve_labels(labels: RoiLabels, num_rois: int, *, key_prefix: str = "roi") -> ResolvedLabels:
    """Apply defaults, turn parent keys into row indices and check kinds, keys, parents and cycles.

    Raises
    ------
    InputError
        Unknown kind, a label for a ROI that does not exist, duplicate keys, a missing or self parent, a
        parent cycle, or cell types given for some ROIs only (without a default).
    """
    where = labels.source
    outside = sorted(r for r in labels.rois if not 0 <= r < num_rois)
    if outside:
        raise InputError(f"labels for ROI(s) {outside[:5]} but the plane has {num_rois} ROIs", file=where,
                         field="roi", hint="ROI indices are rows of Suite2p's stat.npy, from 0")
    kinds, keys, types = [], [], []
    for i in range(num_rois):
        label = labels.rois.get(i, RoiLabel())
        kind = label.roi_kind or labels.default_kind
        if kind not in ROI_KINDS:
            raise InputError(f"ROI {i}: unknown roi_kind {kind!r}", file=where, field="roi_kind",
                             hint=f"use one of {', '.join(ROI_KINDS)}")
        kinds.append(kind)
        keys.append(label.roi_key or f"{key_prefix}{i:04d}")
        types.append(label.cell_type or labels.default_cell_type)
    if len(set(keys)) != len(keys):
        duplicates = sorted({k for k in keys if keys.count(k) > 1})
        raise InputError(f"duplicate roi_key(s) {duplicates[:5]}", file=where, field="roi_key",
                         hint="a roi_key must identify one ROI")
    row_of_key = {k: i for i, k in enumerate(keys)}
    parents = np.full(num_rois, -1, dtype=np.int64)
    for i, label in labels.rois.items():
        if label.parent is None:
            continue
        parent = row_of_key.get(label.parent) if isinstance(label.parent, str) else int(label.parent)
        if parent is None or not 0 <= parent < num_rois:
            raise InputError(f"ROI {i}: parent {label.parent!r} is neither a ROI index nor a roi_key",
                             file=where, field="parent")
        if parent == i:
            raise InputError(f"ROI {i} is its own parent", file=where, field="parent")
        parents[i] = parent
    for i in range(num_rois):
        seen, node = {i}, parents[i]
        while node >= 0:
            if node in seen:
                raise InputError(f"ROI {i}: parent links form a cycle", file=where, field="parent")
            seen.add(int(node))
            node = parents[node]
    if all(t is None for t in types):
        cell_types = None
    elif any(t is None for t in types):
        missing = [i for i, t in enumerate(types) if t is None]
        raise InputError(f"cell_type missing for ROI(s) {missing[:5]} (given for others)", file=where,
                         field="cell_type", hint="label every ROI or give a default cell_type")
    else:
        cell_types = [str(t) for t in types]
    return ResolvedLabels(kinds, parents, keys, cell_types, source=str(where))


def add_suite2p_plane(nwbfile, plane: Suite2pPlane, *, labels: RoiLabels | None = None,
                      key_prefix: str | None = None, **kwargs) -> SegmentationResult:
    """:func:`~nwbtms.nwb.segmentation.add_suite2p_segmentation` of a Suite2p plane and its labels (from
    ``load_roi_labels`` or ``roi_label_rule``; default: every ROI a soma, no cell type); ``kwargs`` go to the
    builder (``imaging_plane``, ``cell_types``, ``series``, ``clock_fit``, ``name_suffix``, ``pending``...).

    Raises
    ------
    SourceError
        Suite2p arrays of mismatched lengths, or traces and movie of different frame counts.
    InputError
        Bad labels, or cell types without a CellTypesTable or not in it.
    """
    arrays = suite2p_arrays(plane)
    resolved = None if labels is None else resolve_labels(
        labels, len(arrays.pixel_masks), key_prefix=key_prefix or f"plane{arrays.plane_index}-roi")
    return add_suite2p_segmentation(nwbfile, arrays, labels=resolved, key_prefix=key_prefix, **kwargs)


__all__ = ["add_suite2p_plane", "resolve_labels", "suite2p_arrays"]
