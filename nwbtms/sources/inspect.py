"""What nwbtms reads from one raw input: a JSON-ready summary per kind of input (``nwbtms inspect``).

Every summary is one mapping with at least ``kind`` and ``reader`` (the reader name a metadata file uses),
``path`` (what was opened; for a file that is part of a larger input, such as a Suite2p ``F.npy`` or an
Open Ephys ``timestamps.npy``, the input it belongs to) and, per kind:

- ``daq``: ``sampling_rate_hz``, ``channels`` (``name``, ``unit``, ``type``), ``sweeps`` (``start_s``,
  ``num_samples``), ``num_samples``, ``start_time`` (timezone-aware or None) and the reader's ``metadata``;
- ``stimulator_log``: ``rows``, ``time_range_s`` and which optional columns hold values;
- ``navigator``: ``samples`` (rows), ``untracked`` (rows without a valid pose), ``coordinate_space``,
  ``pose_convention``, ``problems``;
- ``imaging``: ``num_frames``, ``frame_rate_hz`` (None for a plain TIFF, which does not state it),
  ``frame_shape``, ``channels`` (names), ``planes`` (fast-z planes), and the reader's own summary;
- ``segmentation``: ``rois``, ``num_frames``, ``planes`` (one summary per Suite2p plane);
- ``zstack``: ``num_slices``, ``z_step_um``, ``frame_shape``, ``channels`` and the stack's own summary;
- ``photometry``: ``mode``, ``start_time``, ``subject``, ``streams`` (``name``, ``kind`` signal or raw,
  ``samples``, ``rate_hz``, ``duration_s``, ``unit``) and ``digital_inputs`` (rising edges per input);
- ``annotations``: ``rois``, the count per ``kind``, ``keys`` (ROI names, the identity across days) and
  ``missing_parents`` (ROIs whose parent is not in the set).

The per-kind functions take an opened reader (:func:`summarize_recording` a ``Recording``, ...), so any
way of opening one can use them; :func:`inspect_path` finds the reader for a path through the reader
registry (:mod:`nwbtms.sources.registry`: suffix and content sniff) and opens it with the registry's
``open_source``, so a reader added to the registry is inspected without a change here (a new kind needs
its summary function). A file nwbtms does not read, or reads and refuses, raises the reader's typed error
(file and reason; exit code 2 on the command line). Pure: no pynwb.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

from nwbtms.errors import InputError, SourceError

#: Kind of a z-stack opened as a volume: not a registry kind (a Bruker Z-series, ScanImage or plain TIFF stack is
#: read by an imaging reader), so it has its own summary.
ZSTACK_KIND = "zstack"

_TIFF_SUFFIXES = {".tif", ".tiff"}
#: Bytes read from a file's head to tell text formats apart.
HEAD_BYTES = 8192


# ----------------------------------------------------------------------------------------- per kind
def summarize_recording(recording) -> dict[str, Any]:
    """Summary of an opened DAQ :class:`~nwbtms.sources.daq.base.Recording`."""
    start = recording.start_datetime
    return {
        "kind": "daq",
        "reader": recording.format,
        "path": str(recording.path),
        "sampling_rate_hz": float(recording.sample_rate_hz),
        "channels": [{"name": c.name, "unit": c.unit, "type": c.kind} for c in recording.channels],
        "sweeps": [{"start_s": float(s.start_time_s), "num_samples": int(s.num_samples)}
                   for s in recording.segments],
        "num_samples": int(recording.num_samples),
        "start_time": None if start is None else start.isoformat(),
        "metadata": _jsonable(recording.metadata),
    }


def summarize_navigator(pulses, reader: str) -> dict[str, Any]:
    """Summary of :class:`~nwbtms.sources.navigation.NavigatorPulses` read by ``reader``."""
    times = np.asarray(pulses.time_s, dtype=np.float64)
    finite = times[np.isfinite(times)]
    return {
        "kind": "navigator",
        "reader": reader,
        "path": str(pulses.path),
        "samples": len(pulses),
        "untracked": int(pulses.untracked.sum()),
        "coordinate_space": pulses.coordinate_space,
        "pose_convention": pulses.pose_convention,
        "time_range_s": [float(finite.min()), float(finite.max())] if finite.size else None,
        "clock": pulses.clock,
        "problems": list(pulses.problems),
    }


def summarize_log(log) -> dict[str, Any]:
    """Summary of a :class:`~nwbtms.sources.logs.StimulatorLog`."""
    times = np.asarray(log.time_s, dtype=np.float64)
    columns = {name: bool(np.isfinite(np.asarray(getattr(log, name), dtype=np.float64)).any())
               for name in ("intensity_percent_mso", "di_dt_a_per_us", "coil_temperature_c")}
    columns.update(mode=any(log.mode), waveform=any(log.waveform))
    return {
        "kind": "stimulator_log",
        "reader": "stimulator_log",
        "path": str(log.path),
        "rows": int(times.size),
        "time_range_s": [float(np.nanmin(times)), float(np.nanmax(times))] if times.size else None,
        "columns_with_values": [name for name, present in columns.items() if present],
        "start_time": log.start_datetime,
    }


def summarize_imaging(source, *, frame_rate_stated: bool = True) -> dict[str, Any]:
    """Summary of an opened :class:`~nwbtms.sources.imaging.ImagingSource`."""
    own = _jsonable(source.summary())
    summary = {
        "kind": "imaging",
        "reader": own.get("format"),
        "path": str(source.path),
        "num_frames": int(source.num_frames),
        "frame_rate_hz": float(source.frame_rate_hz) if frame_rate_stated else None,
        "frame_shape": [int(n) for n in source.frame_shape],
        "channels": [str(c) for c in source.channels],
        "planes": int(getattr(source, "num_planes", 1) or 1),
    }
    if not frame_rate_stated:
        own["frame_rate_hz"] = None
        own["note"] = "a plain TIFF does not state its frame rate; give it (--frame-rate, or frame_rate_hz)"
    missing = getattr(source, "missing_files", None)
    if missing is not None:
        own["missing_frame_files"] = len(missing)
    return {**summary, **{k: v for k, v in own.items() if k not in summary}}


def summarize_segmentation(planes) -> dict[str, Any]:
    """Summary of Suite2p planes (one :class:`~nwbtms.sources.segmentation.Suite2pPlane` or a list)."""
    planes = planes if isinstance(planes, list) else [planes]
    first = planes[0]
    return {
        "kind": "segmentation",
        "reader": "suite2p",
        "path": str(first.folder if len(planes) == 1 else Path(first.folder).parent),
        "rois": int(sum(p.num_rois for p in planes)),
        "num_frames": int(first.num_frames),
        "frame_rate_hz": first.frame_rate_hz,
        "frame_shape": None if first.frame_shape is None else [int(n) for n in first.frame_shape],
        "planes": [_jsonable(p.summary()) for p in planes],
    }


def summarize_zstack(stack) -> dict[str, Any]:
    """Summary of a :class:`~nwbtms.sources.imaging.zstack.ZStack` (a structural volume)."""
    own = _jsonable(stack.summary())
    summary = {
        "kind": "zstack",
        "reader": stack.source.format,
        "path": str(stack.path),
        "num_slices": int(stack.num_slices),
        "z_step_um": _jsonable(float(stack.z_step_um)),
        "frame_shape": [int(n) for n in stack.frame_shape],
        "channels": [str(c) for c in stack.source.channels],
    }
    return {**summary, **{k: v for k, v in own.items() if k not in summary}}


def summarize_annotations(annotations) -> dict[str, Any]:
    """Summary of an :class:`~nwbtms.sources.annotations.AnnotationSet` (hand-drawn ROIs)."""
    kinds: dict[str, int] = {}
    for annotation in annotations.annotations:
        kinds[annotation.kind] = kinds.get(annotation.kind, 0) + 1
    return {
        "kind": "annotations",
        "reader": annotations.reader,
        "path": str(annotations.path),
        "rois": len(annotations),
        "roi_kinds": kinds,
        "keys": list(annotations.keys),
        "missing_parents": [a.key for a in annotations.missing_parents()],
        "pixel_size_um": _jsonable(annotations.pixel_size_um),
        "z_step_um": _jsonable(annotations.z_step_um),
    }


def summarize_roi_labels(labels, reader: str, path: Path) -> dict[str, Any]:
    """Summary of per-ROI labels (:class:`~nwbtms.sources.segmentation.RoiLabels`)."""
    return {
        "kind": "roi_labels",
        "reader": reader,
        "path": str(path),
        "rois": len(labels.rois),
        "default_kind": labels.default_kind,
        "default_cell_type": labels.default_cell_type,
    }


# ----------------------------------------------------------------------------------------- dispatch
def reader_kind(reader: str) -> str:
    """The kind of the registered reader ``reader`` (``zstack`` for a volume)."""
    from nwbtms.sources.registry import reader as registered

    return ZSTACK_KIND if reader == ZSTACK_KIND else registered(reader).kind


def detect_reader(path: str | Path) -> tuple[str, Path, dict[str, Any]]:
    """``(reader name, path to open, reader options)`` for ``path``; :class:`SourceError` naming the file
    when no reader reads it.

    The reader is the registry's (:func:`nwbtms.sources.registry.recognise`: suffix and content sniff). A file
    that is part of a larger input (a Suite2p plane's ``.npy``, a file of an Open Ephys recording, a
    PrairieView series' ``.env``) gives the input's reader and the path that opens it (for a file of an Open
    Ephys stream, that stream); a Bruker Z-series gives ``zstack``. A file no reader recognises but one reader
    can say what it is (a Localite ``TriggerData`` file, a PrairieView line scan) goes to that reader, whose
    refusal names the file and the reason.
    """
    from nwbtms.sources.registry import recognise

    path = Path(path)
    if not path.exists():
        raise SourceError("file not found", file=path, hint="check the path")
    target = _whole_input(path)
    options: dict[str, Any] = {}
    if target.name == "structure.oebin":
        stream = _openephys_stream(path, target.parent)
        if stream:
            options["stream"] = stream
    if _is_zseries(target):
        return ZSTACK_KIND, target, options
    found = recognise(target)
    if found is not None and found.kind != "neuroconv":
        return found.name, target, options
    return _fallback_reader(target), target, options


def open_and_summarize(reader: str, path: str | Path, **options: Any) -> dict[str, Any]:
    """Open ``path`` with ``reader`` (its options as a metadata file gives them) and summarise it."""
    from nwbtms.sources.registry import open_source

    path = Path(path)
    kind = reader_kind(reader)
    if kind == ZSTACK_KIND:
        from nwbtms.sources.imaging.zstack import open_zstack

        options.setdefault("require_frames", False)
        return summarize_zstack(open_zstack(path, **options))
    if kind == "imaging":
        return _summarize_movie(reader, path, options)
    if kind == "annotations" and reader == "imagej_rois":
        options.setdefault("strict_z", False)  # without its stack the slice spacing may be unknown
    if kind == "neuroconv":
        raise InputError("a NeuroConv source is read by its NeuroConv interface, not inspected by nwbtms",
                         file=path, field="reader", hint="inspect the file with NeuroConv, or name its own reader")
    opened = open_source(reader, path, **options)
    if kind == "daq":
        with opened as recording:
            return summarize_recording(recording)
    if kind == "navigator":
        return summarize_navigator(opened, reader)
    if kind == "stimulator_log":
        return summarize_log(opened)
    if kind == "segmentation":
        return summarize_segmentation(opened)
    if kind == "annotations":
        return summarize_annotations(opened)
    if kind == "roi_labels":
        return summarize_roi_labels(opened, reader, path)
    if kind == "behavior":
        return {"kind": kind, "reader": reader, **opened.summary()}
    if kind == "photometry":
        with opened as recording:
            return summarize_photometry(recording)
    raise InputError(f"nwbtms has no summary for {kind} inputs", file=path, field="reader")


def summarize_photometry(recording) -> dict[str, Any]:
    """Summary of an opened :class:`~nwbtms.sources.photometry.PhotometryRecording`: mode, start time and
    subject as the file gives them, every stream (``kind`` signal or raw, samples, rate, duration, unit) and the
    rising edges counted on each digital input (the TMS trigger for the clock fit)."""
    return {"kind": "photometry", "reader": recording.reader, "path": str(recording.path), **recording.summary()}


def inspect_path(path: str | Path, *, reader: str | None = None, **options: Any) -> dict[str, Any]:
    """What nwbtms reads from ``path`` (reader found from the name and contents unless given).

    Raises
    ------
    SourceError, InputError
        No reader reads the file, or the reader refuses it (the error names the file and the reason).
    """
    if reader is None:
        reader, path, found = detect_reader(path)
        options = {**found, **options}
    return open_and_summarize(reader, path, **options)


def format_text(summary: dict[str, Any]) -> str:
    """The summary as ``key: value`` lines (channels, sweeps and planes one per line, long lists cut)."""
    lines = []
    for key, value in summary.items():
        if key == "channels" and value and isinstance(value[0], dict):
            lines.append(f"channels: {len(value)}")
            lines += [f"  {c['name']!r} ({c['type']}{', ' + c['unit'] if c['unit'] else ''})" for c in value]
        elif key == "sweeps":
            lines.append(f"sweeps: {len(value)}")
            lines += [f"  {i}: start {s['start_s']:.6f} s, {s['num_samples']} samples"
                      for i, s in _first(value, 20)]
            if len(value) > 20:
                lines.append(f"  ... {len(value) - 20} more")
        elif key == "planes" and isinstance(value, list):
            lines += [f"plane {p['plane_index']}: {p['num_rois']} ROIs ({p['num_cells']} cells), "
                      f"{p['num_frames']} frames" for p in value]
        elif key == "streams" and value and isinstance(value[0], dict):
            lines.append(f"streams: {len(value)}")
            lines += [f"  {st['name']!r} ({st['kind']}, {st['unit']}): {st['samples']} samples at "
                      f"{st['rate_hz']:g} Hz, {st['duration_s']:g} s" for st in value]
        elif key == "aux_triggers":
            if not value:
                lines.append("aux_triggers: none")
            for name, times in value.items():
                shown = ", ".join(f"{t:.6f}" for t in times[:10]) + (" ..." if len(times) > 10 else "")
                lines.append(f"aux_triggers.{name}: {len(times)} edge(s) at [{shown}] s")
        elif key == "problems":
            lines.append(f"problems: {len(value) or 'none'}")
            lines += [f"  {p}" for p in value]
        elif isinstance(value, dict):
            lines.append(f"{key}:")
            lines += [f"  {k}: {v}" for k, v in value.items()]
        else:
            lines.append(f"{key}: {value}")
    return "\n".join(lines)


def to_json(summary: dict[str, Any]) -> str:
    """The summary as one JSON object (NaN written as null)."""
    return json.dumps(_jsonable(summary), indent=2)


# ----------------------------------------------------------------------------------------- helpers
def _summarize_movie(reader: str, path: Path, options: dict[str, Any]) -> dict[str, Any]:
    from nwbtms.sources.imaging import open_imaging

    options = dict(options)
    stated = True
    if reader == "tiff" and options.get("frame_rate_hz") is None:
        options["frame_rate_hz"] = 1.0  # a plain TIFF states no rate: read the rest, report the rate unknown
        stated = False
    if reader == "bruker":
        options.setdefault("require_frames", False)
    source = open_imaging(path, format=reader, **options)
    try:
        return summarize_imaging(source, frame_rate_stated=stated)
    finally:
        close = getattr(source, "close", None)
        if callable(close):
            close()


def _whole_input(path: Path) -> Path:
    """The input ``path`` is part of: a Suite2p plane folder for its ``.npy``, the ``structure.oebin`` of an
    Open Ephys recording for any of its files, a PrairieView series' XML for its ``.env``/``.cfg``; else
    ``path``."""
    from nwbtms.sources.segmentation import is_suite2p_folder

    if path.is_dir():
        oebin = next(path.rglob("structure.oebin"), None) if not is_suite2p_folder(path) else None
        return oebin if oebin is not None and not (path / "suite2p").is_dir() else path
    suffix = path.suffix.lower()
    if suffix == ".npy" and is_suite2p_folder(path.parent):
        return path.parent
    oebin = _openephys_root(path)
    if oebin is not None:
        return oebin
    if suffix in (".env", ".cfg") or path.name == "experiment.xml":
        series = next((p for p in sorted(path.parent.glob("*.xml")) if p != path and "<PVScan" in _head(p)), None)
        if series is not None:
            return series
    return path


def _is_zseries(path: Path) -> bool:
    from nwbtms.sources.imaging.zstack import is_bruker_zseries

    return (path.is_dir() or path.suffix.lower() == ".xml") and is_bruker_zseries(path)


def _fallback_reader(path: Path) -> str:
    """For a path no registered sniff recognises: the folder's reader (a ``suite2p/`` output folder, a folder of
    TIFFs or a T-series folder, as the readers themselves resolve them), or a reader that can say why it does
    not read the file (its refusal is the answer); else refuse here."""
    if path.is_dir():
        from nwbtms.sources.imaging import detect_format
        from nwbtms.sources.segmentation import is_suite2p_folder

        if is_suite2p_folder(path) or is_suite2p_folder(path / "suite2p"):
            return "suite2p"
        return detect_format(path)  # refuses a folder with neither a PrairieView XML nor TIFFs, with the reason
    head = _head(path)
    suffix = path.suffix.lower()
    if suffix == ".xml" and any(tag in head for tag in ("<LocTMSTriggerData", "<InstrumentMarkerList")):
        return "localite"  # the reader says what the file is and which to read instead
    if suffix == ".xml" and "<PVScan" in head:
        return "bruker"  # line scans and other non-T-series are refused with their sequence type
    if suffix in _TIFF_SUFFIXES:
        return "tiff"
    if suffix in (".ppd", ".doric"):  # only these readers take the suffix: they say what is wrong with the file
        return "pyphotometry" if suffix == ".ppd" else "doric"
    raise SourceError(f"no nwbtms reader recognises this {suffix or 'extension-less'} file", file=path,
                      hint="inspect a DAQ recording, stimulator log, navigator export, movie or T-series, "
                           "Suite2p folder, z-stack, annotation set or photometry recording "
                           "(nwbtms inspect --reader to force one)")


def _openephys_root(path: Path) -> Path | None:
    """The ``structure.oebin`` of the Open Ephys recording ``path`` belongs to, if any (up to 6 levels)."""
    if path.name == "structure.oebin":
        return path
    for parent in list(path.parents)[:6]:
        if (parent / "structure.oebin").is_file():
            return parent / "structure.oebin"
        if (parent / "settings.xml").is_file() and path.name == "settings.xml":
            found = next(parent.rglob("structure.oebin"), None)
            if found is not None:
                return found
    return None


def _openephys_stream(path: Path, recording: Path) -> str | None:
    """Name of the continuous stream folder ``path`` lies in (``continuous/<stream>/...``), if any."""
    try:
        parts = path.relative_to(recording).parts
    except ValueError:
        return None
    return parts[1] if len(parts) >= 3 and parts[0] == "continuous" else None


def _head(path: Path) -> str:
    try:
        with open(path, "rb") as handle:
            return handle.read(HEAD_BYTES).decode("utf-8", errors="replace").lstrip("\ufeff")
    except OSError:
        return ""


def _first(values: list, count: int) -> Iterator[tuple[int, Any]]:
    return ((i, v) for i, v in enumerate(values) if i < count)


def _jsonable(value: Any) -> Any:
    """Plain JSON types: numpy scalars and arrays unwrapped, NaN/inf as None, paths and dates as text."""
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, np.ndarray):
        return _jsonable(value.tolist())
    if isinstance(value, np.generic):
        return _jsonable(value.item())
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if value is None or isinstance(value, bool | int | str):
        return value
    return str(value)
