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
- ``annotations``: ``rois``, the count per ``kind``, ``keys`` (ROI names, the identity across days) and
  ``missing_parents`` (ROIs whose parent is not in the set).

The per-kind functions take an opened reader (:func:`summarize_recording` a ``Recording``, ...), so any
way of opening one can use them; :func:`inspect_path` finds the reader for a path by its name and
contents and opens it. A file nwbtms does not read, or reads and refuses, raises the reader's typed error
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

#: Kinds of raw input and the readers of each (reader names as a metadata file's ``sources`` use them).
KINDS = {
    "daq": ("wavesurfer", "tdms", "abf", "openephys", "binary", "csv", "bruker_voltage"),
    "stimulator_log": ("stimulator_log",),
    "navigator": ("localite", "brainsight"),
    "imaging": ("scanimage", "tiff", "bruker"),
    "segmentation": ("suite2p",),
    "zstack": ("zstack",),  # opened as a volume by the imaging readers; ``reader`` names which
    "annotations": ("imagej_rois", "annotation_csv"),
}
READER_KIND = {reader: kind for kind, readers in KINDS.items() for reader in readers}

_DAQ_SUFFIXES = {".h5", ".tdms", ".abf", ".oebin", ".bin", ".dat"}
_TEXT_SUFFIXES = {".csv", ".tsv", ".tab", ".txt", ".jsonl", ".ndjson"}
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


# ----------------------------------------------------------------------------------------- dispatch
def detect_reader(path: str | Path) -> tuple[str, Path, dict[str, Any]]:
    """``(reader name, path to open, reader options)`` for ``path``; :class:`SourceError` naming the file
    when no reader reads it.

    A file that is part of a larger input (a Suite2p plane's ``.npy``, a file of an Open Ephys recording,
    a PrairieView series' ``.env``) gives the input's reader and the path that opens it (for a file of an
    Open Ephys stream, that stream).
    """
    reader, target = _detect(Path(path))
    options: dict[str, Any] = {}
    if reader == "openephys" and target.name == "structure.oebin":
        stream = _openephys_stream(Path(path), target.parent)
        if stream:
            options["stream"] = stream
    return reader, target, options


def _detect(path: Path) -> tuple[str, Path]:
    if not path.exists():
        raise SourceError("file not found", file=path, hint="check the path")
    from nwbtms.sources.segmentation import is_suite2p_folder

    if path.is_dir():
        return _detect_folder(path)
    suffix = path.suffix.lower()
    if is_suite2p_folder(path.parent) and suffix == ".npy":
        return "suite2p", path.parent
    oebin = _openephys_root(path)
    if oebin is not None:
        return "openephys", oebin
    if suffix in (".env", ".cfg") or path.name == "experiment.xml":
        series = next((p for p in sorted(path.parent.glob("*.xml")) if p != path and "<PVScan" in _head(p)), None)
        if series is not None:
            return _detect_xml(series), series  # PrairieView's environment/config files belong to its XML
    if suffix in (".zip", ".roi"):
        return "imagej_rois", path
    if suffix in _TIFF_SUFFIXES:
        from nwbtms.sources.imaging import detect_format

        return detect_format(path), path
    if suffix == ".xml":
        return _detect_xml(path), path
    if "_VoltageRecording_" in path.name and suffix == ".csv":
        return "bruker_voltage", path
    if suffix in _TEXT_SUFFIXES:
        head = _head(path)
        if head.startswith("# Version:") and "Brainsight" in head:
            return "brainsight", path
        if _has_time_s(head, suffix):
            return "stimulator_log", path
        if _is_annotation_csv(head, suffix):
            return "annotation_csv", path
        if suffix in (".csv", ".tsv", ".txt"):
            return "csv", path
    if suffix in _DAQ_SUFFIXES:
        from nwbtms.sources.daq import guess_format

        return guess_format(path), path
    raise SourceError(f"nwbtms reads no {suffix or 'extension-less'} file of this kind", file=path,
                      hint="inspect a DAQ recording, stimulator log, navigator export, movie or T-series, "
                           "or a Suite2p folder")


def open_and_summarize(reader: str, path: str | Path, **options: Any) -> dict[str, Any]:
    """Open ``path`` with ``reader`` (its options as a metadata file gives them) and summarise it."""
    path = Path(path)
    kind = READER_KIND.get(reader)
    if kind is None:
        raise InputError(f"unknown reader {reader!r}", field="reader",
                         hint=f"one of {', '.join(READER_KIND)}")
    if kind == "daq":
        from nwbtms.sources.daq import open_recording

        with open_recording(path, format=reader, **options) as recording:
            return summarize_recording(recording)
    if kind == "navigator":
        from nwbtms.sources.navigation import read_brainsight, read_localite_triggers

        read = read_localite_triggers if reader == "localite" else read_brainsight
        return summarize_navigator(read(path, **options), reader)
    if kind == "stimulator_log":
        from nwbtms.sources.logs import read_stimulator_log

        return summarize_log(read_stimulator_log(path, **options))
    if kind == "segmentation":
        from nwbtms.sources.segmentation import read_suite2p

        return summarize_segmentation(read_suite2p(path, **options))
    if kind == "zstack":
        from nwbtms.sources.imaging.zstack import open_zstack

        options.setdefault("require_frames", False)
        return summarize_zstack(open_zstack(path, **options))
    if kind == "annotations":
        from nwbtms.sources.annotations import open_annotations

        if reader == "imagej_rois":
            options.setdefault("strict_z", False)  # without its stack the slice spacing may be unknown
        return summarize_annotations(open_annotations(path, reader=reader, **options))
    return _summarize_movie(reader, path, options)


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


def _detect_folder(path: Path) -> tuple[str, Path]:
    from nwbtms.sources.segmentation import is_suite2p_folder

    if is_suite2p_folder(path) or is_suite2p_folder(path / "suite2p"):
        return "suite2p", path
    if (path / "structure.oebin").is_file() or any(path.rglob("structure.oebin")):
        return "openephys", path
    from nwbtms.sources.imaging import detect_format
    from nwbtms.sources.imaging.zstack import is_bruker_zseries

    if is_bruker_zseries(path):
        return "zstack", path
    return detect_format(path), path


def _detect_xml(path: Path) -> str:
    from nwbtms.sources.imaging.bruker_voltage import is_voltage_recording_master
    from nwbtms.sources.imaging.zstack import is_bruker_zseries

    head = _head(path)
    if "_VoltageRecording_" in path.name or is_voltage_recording_master(path):
        return "bruker_voltage"
    if "<PVScan" in head:
        return "zstack" if is_bruker_zseries(path) else "bruker"
    if any(tag in head for tag in ("<TriggerMarkerList", "<LocTMSTriggerData", "<InstrumentMarkerList")):
        return "localite"  # the Localite reader reads the first and says what the others are
    raise SourceError("XML that nwbtms does not read (neither a PrairieView nor a Localite export)", file=path,
                      hint="inspect the PrairieView master XML of a series, or a Localite TriggerMarkers file")


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


def _has_time_s(head: str, suffix: str) -> bool:
    lines = [line for line in head.splitlines() if line.strip() and not line.startswith("#")]
    if not lines:
        return False
    if suffix in (".jsonl", ".ndjson"):
        try:
            return "time_s" in json.loads(lines[0])
        except (ValueError, TypeError):
            return False
    return "time_s" in [cell.strip() for cell in lines[0].replace("\t", ",").split(",")]


def _is_annotation_csv(head: str, suffix: str) -> bool:
    from nwbtms.sources.annotations.csv_table import REQUIRED_COLUMNS

    lines = [line for line in head.splitlines() if line.strip() and not line.startswith("#")]
    if suffix != ".csv" or not lines:
        return False
    header = {cell.strip().lower() for cell in lines[0].split(",")}
    return set(REQUIRED_COLUMNS) <= header


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
