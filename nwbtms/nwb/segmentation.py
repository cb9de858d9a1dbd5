"""Segmentations into NWB: PlaneSegmentation with ROI kinds, parents, keys and cell types (Suite2p with its
traces; hand annotations of a volume).

Each ROI row of the PlaneSegmentation carries

- ``pixel_mask``: ``(x, y, weight)`` from Suite2p's ``xpix``, ``ypix``, ``lam``;
- ``roi_kind``: ``soma``, ``dendrite`` or ``spine``;
- ``parent_roi``: row index of the parent ROI in the same table (a spine's dendrite or soma), ``-1`` for
  none. An integer column rather than a self-referencing ``DynamicTableRegion``: hdmf 6.2 resolves a
  region that points at its own table recursively (``table[i]`` and ``to_dataframe()`` never return),
  and a region cannot say "no parent". Named ``parent_roi`` because ``parent`` is already an attribute
  of every hdmf container;
- ``roi_key``: a stable cross-session key (from the label file, e.g. ``M001-d3-spine07``, so the same
  spine can be followed across days); defaults to ``plane<N>-roi<i>``, stable only within a session;
- ``dendrite_length_in_um``: a dendrite's traced length, NaN for other kinds (Suite2p: always NaN);
- ``iscell``, ``iscell_probability``: Suite2p's classifier;
- ``cell_type``: a ``DynamicTableRegion`` into ``ndx_tms.CellTypesTable`` (``ndx_tms.add_cell_type_column``).

Hand annotations (:func:`add_annotation_segmentation`, from :mod:`nwbtms.sources.annotations`) carry the same
columns with ``voxel_mask`` instead of ``pixel_mask``, plus ``parent_key`` (the parent's key as annotated,
kept when the parent is not annotated that day), and reference the volume they were scored on.

The builders take plain values (:class:`Suite2pArrays`, :class:`ResolvedLabels`), no reader types:
:mod:`nwbtms.assembly.segmentation` turns a Suite2p plane and its labels (a per-ROI label file, CSV or YAML,
or a rule for the whole plane, e.g. every ROI of this plane is an IT neuron labelled by Tlx3-Cre) into them.
Traces (F, Fneu, spks; ``(rois, frames)`` on disk) are streamed transposed to ``(frames, rois)``
RoiResponseSeries under ``Fluorescence`` and ``Deconvolved``, gzip-compressed, never loaded whole.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from hdmf.backends.hdf5 import H5DataIO
from hdmf.data_utils import GenericDataChunkIterator
from pynwb import NWBFile
from pynwb.base import Images
from pynwb.image import GrayscaleImage
from pynwb.ophys import Fluorescence, ImageSegmentation, ImagingPlane, PlaneSegmentation

from nwbtms.errors import InputError, SourceError
from nwbtms.imaging.clock import ClockFit, to_session_clock

ROI_KINDS = ("soma", "dendrite", "spine")
DENDRITE_LENGTH_DESCRIPTION = ("Traced length of a dendrite ROI (um); NaN for other kinds and for dendrites "
                               "without a traced length.")
#: Trace chunk: whole ROIs x about 1 MB of frames (float32), a small buffer for the transposing copy.
TRACE_CHUNK_BYTES = 1024 * 1024
TRACE_BUFFER_GB = 0.064


@dataclass(frozen=True)
class ResolvedLabels:
    """Column values, one per ROI (``nwbtms.assembly.segmentation.resolve_labels`` makes them from a label
    file or rule); ``source`` names where they came from, for messages and the table's description."""

    roi_kind: list[str]
    parent_roi: np.ndarray
    roi_key: list[str]
    cell_type: list[str] | None
    source: str = ""


def default_labels(num_rois: int, *, key_prefix: str = "roi") -> ResolvedLabels:
    """Every ROI a soma without parent or cell type, keyed ``<key_prefix><i:04d>``."""
    return ResolvedLabels(["soma"] * num_rois, np.full(num_rois, -1, dtype=np.int64),
                          [f"{key_prefix}{i:04d}" for i in range(num_rois)], None)


@dataclass(frozen=True)
class Suite2pArrays:
    """One segmented plane as the builder needs it (``nwbtms.assembly.segmentation.suite2p_arrays`` makes it
    from a Suite2p plane folder, after the reader's shape checks).

    Attributes
    ----------
    pixel_masks : sequence of ndarray
        Per ROI, ``(n, 3)`` rows of ``(x, y, weight)``.
    F, Fneu, spks : ndarray
        ``(rois, frames)`` traces (may be memory-mapped).
    iscell : ndarray
        ``(rois, 2)``: classifier decision and probability.
    rate_hz : float, optional
        Frame rate of the traces (Suite2p's ``ops['fs']``).
    mean_image : ndarray, optional
    folder : str
        Where the arrays came from (messages, descriptions).
    plane_index : int
    """

    pixel_masks: Sequence[np.ndarray]
    F: np.ndarray
    Fneu: np.ndarray
    spks: np.ndarray
    iscell: np.ndarray
    rate_hz: float | None = None
    mean_image: np.ndarray | None = None
    folder: str = "suite2p folder"
    plane_index: int = 0


class _TransposedTraces(GenericDataChunkIterator):
    """``(rois, frames)`` array (memory-mapped) read as ``(frames, rois)``, a buffer at a time."""

    def __init__(self, traces: np.ndarray, **kwargs):
        self._traces = traces
        super().__init__(**kwargs)

    def _get_data(self, selection: tuple[slice, ...]) -> np.ndarray:
        frames, rois = selection
        return np.ascontiguousarray(np.asarray(self._traces[rois, frames]).T)

    def _get_maxshape(self) -> tuple[int, int]:
        return (int(self._traces.shape[1]), int(self._traces.shape[0]))

    def _get_dtype(self) -> np.dtype:
        return np.dtype(self._traces.dtype)


def _trace_data(traces: np.ndarray, name: str = "traces", source: str = "suite2p",
                pending: list | None = None) -> H5DataIO:
    """gzip-4 ``(frames, rois)`` data streamed from ``traces``: by hdmf, or allocated empty with a
    :class:`~nwbtms.nwb.deferred.PendingArray` appended to ``pending`` (parallel deflate after the write)."""
    num_rois, num_frames = traces.shape
    itemsize = np.dtype(traces.dtype).itemsize
    frames_per_chunk = int(max(1, min(num_frames, TRACE_CHUNK_BYTES // max(1, num_rois * itemsize))))
    iterator = _TransposedTraces(traces, chunk_shape=(frames_per_chunk, max(1, num_rois)),
                                 buffer_gb=TRACE_BUFFER_GB)
    if pending is not None and num_rois > 0:
        from nwbtms.nwb.deferred import deferred_data

        dataio, job = deferred_data(iterator, name=name, source=source, profile="archive")
        pending.append(job)
        return dataio
    return H5DataIO(iterator, compression="gzip", compression_opts=4)


@dataclass
class SegmentationResult:
    """The objects :func:`add_suite2p_segmentation` added."""

    plane_segmentation: PlaneSegmentation
    fluorescence: Fluorescence
    deconvolved: Fluorescence
    labels: ResolvedLabels


def _check_lengths(plane: Suite2pArrays) -> tuple[int, int]:
    """ROIs and frames of ``plane``; the traces and ``iscell`` must agree with the masks and each other."""
    num_rois = len(plane.pixel_masks)
    num_frames = int(np.shape(plane.F)[1]) if np.ndim(plane.F) == 2 else -1
    for name in ("F", "Fneu", "spks"):
        shape = tuple(np.shape(getattr(plane, name)))
        if shape != (num_rois, num_frames):
            raise SourceError(f"{name} has shape {shape}, expected ({num_rois}, {num_frames})",
                              file=os.path.join(plane.folder, f"{name}.npy"), field=name,
                              hint="traces are (ROIs, frames), one row per pixel mask")
    if tuple(np.shape(plane.iscell)) != (num_rois, 2):
        raise SourceError(f"iscell has shape {tuple(np.shape(plane.iscell))}, expected ({num_rois}, 2)",
                          file=os.path.join(plane.folder, "iscell.npy"), field="iscell")
    return num_rois, num_frames


def add_suite2p_segmentation(
    nwbfile: NWBFile,
    plane: Suite2pArrays,
    *,
    imaging_plane: ImagingPlane,
    labels: ResolvedLabels | None = None,
    cell_types=None,
    series=None,
    clock_fit: ClockFit | None = None,
    starting_time_s: float = 0.0,
    name_suffix: str = "",
    key_prefix: str | None = None,
    module_name: str = "ophys",
    pending: list | None = None,
) -> SegmentationResult:
    """Add one segmented plane: ROIs with kinds, parents, keys and cell types, and its traces.

    Readers' output goes through :mod:`nwbtms.assembly.segmentation` (``add_suite2p_plane`` takes a Suite2p
    plane and a label file or rule).

    Parameters
    ----------
    nwbfile : NWBFile
    plane : Suite2pArrays
        Pixel masks, traces, classifier output, rate and mean image.
    imaging_plane : ImagingPlane
    labels : ResolvedLabels, optional
        One value per ROI; default: every ROI a soma keyed ``<key_prefix><i>``, no cell type.
    cell_types : ndx_tms.CellTypesTable, optional
        Required when the labels name cell types.
    series : TwoPhotonSeries, optional
        The movie segmented: traces share its timestamps (or start and rate) and it becomes the reference.
    clock_fit : ClockFit, optional
        For traces without ``series``: maps ``starting_time_s`` and the rate onto the session clock.
    name_suffix : str
        Appended to object names (``PlaneSegmentation<suffix>``...) when several planes go in one file.
    key_prefix : str, optional
        ``roi_key`` prefix of the default labels; default ``plane<N>-roi``.
    pending : list, optional
        Traces are allocated empty and their :class:`~nwbtms.nwb.deferred.PendingArray` appended here, to be
        filled after the file is written (parallel deflate); default: hdmf streams them while writing.

    Raises
    ------
    SourceError
        Arrays of mismatched lengths, or traces and movie of different frame counts.
    InputError
        Labels of another ROI count, or cell types without a CellTypesTable or not in it.
    """
    num_rois, num_frames = _check_lengths(plane)
    folder = str(plane.folder)
    resolved = labels or default_labels(num_rois, key_prefix=key_prefix or f"plane{plane.plane_index}-roi")
    if len(resolved.roi_kind) != num_rois:
        raise InputError(f"{len(resolved.roi_kind)} ROI labels for {num_rois} ROIs", file=resolved.source,
                         field="roi", hint="resolve the labels for this plane's ROIs")
    if resolved.cell_type is not None and cell_types is None:
        raise InputError("the ROI labels name cell types but no CellTypesTable was given", file=resolved.source,
                         field="cell_type", hint="declare the cell types in the session metadata")
    timing = _trace_timing(series, plane, num_frames, clock_fit, starting_time_s, folder)  # checked before adding
    # not ``get(...) or create``: an empty ProcessingModule is falsy (it has a length)
    module = nwbfile.processing[module_name] if module_name in nwbfile.processing else \
        nwbfile.create_processing_module(name=module_name,
                                         description="Optical physiology: segmentation, traces, TMS artifact masks.")
    segmentation_name = "ImageSegmentation"
    segmentation = module.data_interfaces.get(segmentation_name)
    if segmentation is None:
        segmentation = ImageSegmentation(name=segmentation_name)
        module.add(segmentation)
    rois = segmentation.create_plane_segmentation(
        name=f"PlaneSegmentation{name_suffix}", imaging_plane=imaging_plane,
        description=f"Suite2p ROIs of {folder}; labels from {resolved.source or 'defaults'}.",
        **({"reference_images": series} if series is not None else {}),
    )
    for i, mask in enumerate(plane.pixel_masks):
        rois.add_roi(pixel_mask=[tuple(row) for row in mask], id=i)
    iscell = np.asarray(plane.iscell)
    rois.add_column(name="roi_kind", description=f"Kind of ROI: one of {', '.join(ROI_KINDS)}.",
                    data=resolved.roi_kind)
    rois.add_column(name="parent_roi", description="Row index in this table of the parent ROI (the dendrite "
                    "or soma a spine or dendrite belongs to); -1 when none.", data=resolved.parent_roi)
    rois.add_column(name="roi_key", description="Stable cross-session key of the ROI (same structure, same key "
                    "on every day).", data=resolved.roi_key)
    rois.add_column(name="dendrite_length_in_um", description=DENDRITE_LENGTH_DESCRIPTION,
                    data=np.full(num_rois, np.nan))
    rois.add_column(name="iscell", description="Suite2p classifier decision.", data=iscell[:, 0].astype(bool))
    rois.add_column(name="iscell_probability", description="Suite2p classifier probability.",
                    data=iscell[:, 1].astype(float))
    if resolved.cell_type is not None:
        from ndx_tms import add_cell_type_column
        from ndx_tms.vocabulary import TMSValueError

        try:
            add_cell_type_column(rois, cell_types, resolved.cell_type)
        except TMSValueError as exc:
            raise InputError(str(exc), file=resolved.source, field="cell_type",
                             hint="cell types must be declared in the CellTypesTable") from exc
    region = rois.create_roi_table_region(region=list(range(num_rois)), description="All ROIs.")
    fluorescence = Fluorescence(name=f"Fluorescence{name_suffix}")
    deconvolved = Fluorescence(name=f"Deconvolved{name_suffix}")
    # Attach the containers before the series are created in them: hdmf checks, when a series gets its
    # parent, that the region's table shares an ancestor with the region, and warns ("linked table ...
    # does not share an ancestor") if the series is not yet in the file tree.
    module.add(fluorescence)
    module.add(deconvolved)
    traces = (
        (fluorescence, "RoiResponseSeries", plane.F, "Suite2p raw fluorescence F (a.u.)."),
        (fluorescence, "Neuropil", plane.Fneu, "Suite2p neuropil fluorescence Fneu (a.u.)."),
        (deconvolved, "RoiResponseSeries", plane.spks, "Suite2p deconvolved activity spks (a.u.)."),
    )
    for container, name, data, description in traces:
        data = _trace_data(data, name=f"{container.name}/{name}", source=folder, pending=pending)
        container.create_roi_response_series(name=name, data=data, rois=region, unit="n.a.",
                                             description=description, **timing)
    mean_image = plane.mean_image
    if mean_image is not None:
        module.add(Images(name=f"SegmentationImages{name_suffix}", description="Suite2p summary images.",
                          images=[GrayscaleImage(name="mean", data=np.asarray(mean_image, dtype=np.float32),
                                                 description="Mean of the registered movie (ops meanImg).")]))
    return SegmentationResult(rois, fluorescence, deconvolved, resolved)


def _trace_timing(series, plane, num_frames: int, clock_fit, starting_time_s: float, folder: str) -> dict:
    if series is not None:
        movie_frames = series.data.shape[0] if hasattr(series.data, "shape") else len(series.data)
        if movie_frames != num_frames:
            raise SourceError(f"traces have {num_frames} frames, the movie {series.name} has {movie_frames}",
                              file=os.path.join(folder, "F.npy"), field="num_frames",
                              hint="segment the same movie (same plane, all frames) that is written")
        if series.timestamps is not None:
            return {"timestamps": series}
        return {"rate": series.rate, "starting_time": series.starting_time or 0.0}
    rate = plane.rate_hz
    if rate is None:
        raise SourceError("no frame rate: ops.npy has no 'fs' and no movie was given",
                          file=os.path.join(folder, "ops.npy"), field="fs", hint="pass the imaging series")
    rate = float(rate)
    if clock_fit is not None:
        rate /= 1.0 + clock_fit.drift_ppm * 1e-6
    return {"rate": rate, "starting_time": float(to_session_clock(starting_time_s, clock_fit))}


def _fill_polygon(cols: np.ndarray, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Pixel centres inside the polygon (even-odd rule) over its bounding box; the vertices if none."""
    c0, c1 = int(np.floor(cols.min())), int(np.ceil(cols.max()))
    r0, r1 = int(np.floor(rows.min())), int(np.ceil(rows.max()))
    cc, rr = np.meshgrid(np.arange(c0, c1 + 1), np.arange(r0, r1 + 1))
    cc, rr = cc.ravel().astype(float), rr.ravel().astype(float)
    inside = np.zeros(cc.size, dtype=bool)
    xj, yj = np.roll(cols, 1), np.roll(rows, 1)
    for xi, yi, xk, yk in zip(cols, rows, xj, yj, strict=True):
        crosses = (yi > rr) != (yk > rr)
        with np.errstate(divide="ignore", invalid="ignore"):
            x_at = (xk - xi) * (rr - yi) / (yk - yi) + xi
        inside ^= crosses & (cc < x_at)
    if not inside.any():
        return np.round(cols).astype(int), np.round(rows).astype(int)
    return cc[inside].astype(int), rr[inside].astype(int)


def _densify(points: np.ndarray) -> np.ndarray:
    """Points along a polyline at most one voxel apart (``(n, 3)`` in voxel units)."""
    if len(points) < 2:
        return points
    parts = [points[:1]]
    for a, b in zip(points[:-1], points[1:], strict=True):
        steps = max(1, int(np.ceil(np.max(np.abs(b - a)))))
        parts.append(a + (b - a) * (np.arange(1, steps + 1)[:, None] / steps))
    return np.concatenate(parts)


def annotation_voxel_mask(annotation, voxel_size_um: tuple[float, float, float]) -> list[tuple]:
    """``(x, y, z, weight)`` voxels of one annotation: its point, filled outline or traced line.

    ``voxel_size_um`` is ``(row, col, slice)``; x is the column, y the row, z the slice index.
    """
    row_um, col_um, z_um = voxel_size_um
    vertices = np.asarray(annotation.vertices_um, dtype=float).reshape(-1, 3)
    if vertices.size == 0:
        vertices = np.array([[annotation.x_um, annotation.y_um, annotation.z_um]])
    scaled = vertices / np.array([col_um, row_um, z_um])
    if annotation.shape in ("oval", "polygon") and len(scaled) >= 3:
        cols, rows = _fill_polygon(scaled[:, 0], scaled[:, 1])
        slices = np.full(cols.size, int(round(float(scaled[0, 2]))))
    else:
        points = _densify(scaled) if annotation.shape == "polyline" else scaled
        voxels = np.unique(np.round(points).astype(int), axis=0)
        cols, rows, slices = voxels[:, 0], voxels[:, 1], voxels[:, 2]
    keep = (cols >= 0) & (rows >= 0) & (slices >= 0)
    if not keep.any():
        keep[:] = True
        cols, rows, slices = np.maximum(cols, 0), np.maximum(rows, 0), np.maximum(slices, 0)
    weight = 1.0 / int(keep.sum())
    return [(int(c), int(r), int(z), weight) for c, r, z in zip(cols[keep], rows[keep], slices[keep], strict=True)]


@dataclass
class AnnotationSegmentationResult:
    """What :func:`add_annotation_segmentation` added."""

    plane_segmentation: PlaneSegmentation
    missing_parents: list[str]


def add_annotation_segmentation(
    nwbfile: NWBFile,
    annotations,
    *,
    imaging_plane: ImagingPlane,
    volume=None,
    voxel_size_um: tuple[float, float, float] | None = None,
    cell_types=None,
    cell_type: str | None = None,
    name: str = "PlaneSegmentation",
    module_name: str = "ophys",
    source: str = "",
) -> AnnotationSegmentationResult:
    """Add one annotated stack's ROIs (somata, dendrites, spines) as a PlaneSegmentation.

    Columns: ``voxel_mask`` (the ROI's voxels in the volume), ``roi_kind``, ``parent_roi`` (row of the
    parent in this table, -1 when none or when the parent is not in this file), ``parent_key`` (the
    parent's key as annotated, empty for none: kept when the parent is missing that day), ``roi_key``,
    ``dendrite_length_in_um`` (NaN for other kinds) and, with cell types, ``cell_type`` (a region into the
    CellTypesTable: per ROI from the annotations, else ``cell_type`` for every ROI).

    Parameters
    ----------
    annotations : AnnotationSet
        From :func:`nwbtms.sources.annotations.open_annotations` (anything with ``annotations`` of objects
        with ``key``, ``kind``, ``parent_key``, ``x_um``, ``y_um``, ``z_um``, ``length_in_um``,
        ``vertices_um``, ``shape``, ``cell_type``).
    imaging_plane : ImagingPlane
    volume : TwoPhotonSeries, optional
        The volume the ROIs were scored on (its ``reference_images``).
    voxel_size_um : (float, float, float), optional
        ``(row, col, slice)`` µm per voxel index; default 1 µm each.
    cell_types : ndx_tms.CellTypesTable, optional
    cell_type : str, optional
        Label of the cell type of every ROI the annotations leave without one.

    Raises
    ------
    InputError
        Empty annotations, unknown kind, duplicate keys, a cell type not in the table or missing for some.
    """
    items = list(annotations.annotations)
    where = str(getattr(annotations, "path", source) or source)
    if not items:
        raise InputError("the annotation file holds no ROI", file=where, hint="annotate at least one ROI")
    keys = [a.key for a in items]
    if len(set(keys)) != len(keys):
        raise InputError(f"duplicate key(s) {sorted({k for k in keys if keys.count(k) > 1})[:5]}", file=where,
                         field="key")
    bad = [a.key for a in items if a.kind not in ROI_KINDS]
    if bad:
        raise InputError(f"unknown kind for {bad[:5]}", file=where, field="kind", hint=f"use {ROI_KINDS}")
    row_of = {k: i for i, k in enumerate(keys)}
    parents = np.array([row_of.get(a.parent_key, -1) if a.parent_key else -1 for a in items], dtype=np.int64)
    missing = [a.key for a in items if a.parent_key and a.parent_key not in row_of]
    types = [a.cell_type or cell_type for a in items]
    if any(types) and not all(types):
        raise InputError(f"cell_type missing for {[k for k, t in zip(keys, types, strict=True) if not t][:5]}",
                         file=where, field="cell_type", hint="give a cell type per ROI or one for the stack")
    if any(types) and cell_types is None:
        raise InputError("the annotations name cell types but no CellTypesTable was given", file=where,
                         field="cell_type", hint="declare the cell types in the session metadata")
    voxel = voxel_size_um or (1.0, 1.0, 1.0)
    # not ``get(...) or create``: an empty ProcessingModule is falsy (it has a length)
    module = nwbfile.processing[module_name] if module_name in nwbfile.processing else \
        nwbfile.create_processing_module(name=module_name,
                                         description="Optical physiology: segmentation, traces, TMS artifact masks.")
    segmentation = module.data_interfaces.get("ImageSegmentation")
    if segmentation is None:
        segmentation = ImageSegmentation(name="ImageSegmentation")
        module.add(segmentation)
    rois = segmentation.create_plane_segmentation(
        name=name, imaging_plane=imaging_plane,
        description=f"Hand-annotated ROIs (somata, dendrites, spines) of {Path(where).name}; keys identify "
                    "the same structure across sessions.",
        **({"reference_images": volume} if volume is not None else {}),
    )
    for i, annotation in enumerate(items):
        rois.add_roi(voxel_mask=annotation_voxel_mask(annotation, voxel), id=i)
    rois.add_column(name="roi_kind", description=f"Kind of ROI: one of {', '.join(ROI_KINDS)}.",
                    data=[a.kind for a in items])
    rois.add_column(name="parent_roi", description="Row index in this table of the parent ROI (a spine's "
                    "dendrite, a dendrite's soma); -1 when none or not in this file.", data=parents)
    rois.add_column(name="parent_key", description="roi_key of the parent as annotated ('' for none); kept "
                    "when the parent is not annotated in this session.", data=[a.parent_key or "" for a in items])
    rois.add_column(name="roi_key", description="Stable cross-session key of the ROI (same structure, same key "
                    "on every day).", data=keys)
    rois.add_column(name="dendrite_length_in_um", description=DENDRITE_LENGTH_DESCRIPTION,
                    data=np.array([np.nan if a.length_in_um is None else float(a.length_in_um) for a in items]))
    if any(types):
        from ndx_tms import add_cell_type_column
        from ndx_tms.vocabulary import TMSValueError

        try:
            add_cell_type_column(rois, cell_types, [str(t) for t in types])
        except TMSValueError as exc:
            raise InputError(str(exc), file=where, field="cell_type",
                             hint="cell types must be declared in the CellTypesTable") from exc
    return AnnotationSegmentationResult(rois, missing)


__all__ = [
    "DENDRITE_LENGTH_DESCRIPTION", "AnnotationSegmentationResult", "add_annotation_segmentation",
    "annotation_voxel_mask",
    "ROI_KINDS", "ResolvedLabels", "SegmentationResult", "Suite2pArrays",
    "add_suite2p_segmentation", "default_labels",
]
