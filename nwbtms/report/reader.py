"""Read what the report's figures need from an NWB file, in streamed chunks and downsampled views.

The file is opened with h5py (the HDF5 library NWB files are written with) and objects are found by
their ``neurodata_type`` attribute, not by fixed paths, so files written by other tools still report.
Every large dataset is read in row blocks of :data:`CHUNK_ROWS` and reduced on the fly (per-session
extents, fixed-size histograms, min/max per time bin), so memory stays bounded as the course and the
movie grow. Small tables (protocols, sessions, reconciliation rows) are read whole.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import h5py
import numpy as np

from nwbtms.errors import InputError
from nwbtms.io.h5read import CHUNK_ROWS, iter_blocks, iter_pulse_sessions, link_target, pulse_session_column
from nwbtms.io.h5read import ragged_rows as _ragged_rows
from nwbtms.io.h5read import text as _text

#: Time bins of the downsampled views (about one per pixel of a 10-inch figure at 100 dpi).
TIME_BINS = 1_000
#: Most pulses kept for a zoom panel or a set of markers.
MAX_MARKERS = 10_000
#: Most frames averaged for a mean image, read in blocks of MEAN_BLOCK_FRAMES spread over the movie.
MAX_MEAN_FRAMES = 256
MEAN_BLOCK_FRAMES = 32
#: Most ROIs outlined per plane segmentation.
MAX_ROIS = 5_000
#: Datasets listed in the file facts (largest first).
MAX_LISTED_DATASETS = 8

IMAGING_SERIES_TYPES = ("TwoPhotonSeries", "OnePhotonSeries")
#: Names of the column giving each ROI's parent row (-1 for none); ``parent`` clashes with hdmf's
#: ``.parent`` attribute, so ``parent_roi`` is accepted too.
PARENT_COLUMNS = ("parent", "parent_roi")


# --------------------------------------------------------------------------- small helpers
def _attr(obj, name: str, default=None):
    return obj.attrs.get(name, default) if obj is not None else default


def _scalar_text(group: h5py.Group | None, name: str) -> str:
    """Text of a scalar or 1-D string dataset ``name`` of ``group``; '' when absent."""
    if group is None or name not in group or not isinstance(group[name], h5py.Dataset):
        return ""
    data = group[name]
    value = data[()]
    if isinstance(value, np.ndarray):
        return ", ".join(_text(v) for v in value.ravel()[:20].tolist())
    return _text(value)


def column_text(table: h5py.Group, name: str, limit: int = 1000) -> list[str]:
    """The first ``limit`` values of a text column of a small table."""
    if name not in table:
        return []
    data = table[name]
    n = min(data.shape[0], limit)
    if data.dtype.kind in "OSU":
        return [_text(v) for v in data[:n].tolist()]
    return [str(v) for v in data[:n].tolist()]


def ragged_rows(table: h5py.Group, name: str, limit_values: int = MAX_MARKERS) -> list[np.ndarray] | None:
    """Rows of a ragged column (``name`` + ``name_index``), at most ``limit_values`` values in all."""
    return _ragged_rows(table, name, limit_values)


# --------------------------------------------------------------------------- opening
class NwbFile:
    """An NWB file opened read-only with h5py, with its objects indexed by ``neurodata_type``.

    Parameters
    ----------
    path : path
        The ``.nwb`` (HDF5) file.

    Raises
    ------
    InputError
        The file is missing, is not HDF5, or is HDF5 without the NWB root attributes.
    """

    def __init__(self, path: str | os.PathLike) -> None:
        from nwbtms.io.remote import is_url, open_remote

        #: a URL is read in place by byte ranges (``nwbtms.io.remote``); None for local files
        self.remote = open_remote(path) if is_url(path) else None
        self.path = path if self.remote is not None else Path(path)
        if self.remote is None and not self.path.is_file():
            raise InputError("NWB file not found", file=self.path, hint="check the path")
        try:
            self.h5 = h5py.File(self.remote if self.remote is not None else self.path, "r")
        except OSError as exc:
            self.close()
            raise InputError(
                f"not an HDF5/NWB file ({exc})",
                file=self.path,
                hint="give a .nwb file written by pynwb or nwbtms convert",
            ) from None
        root = self.h5.attrs
        if _text(root.get("neurodata_type")) != "NWBFile" and "nwb_version" not in root:
            self.close()
            raise InputError(
                "HDF5 file is not NWB (no neurodata_type=NWBFile or nwb_version on /)",
                file=self.path,
                field="/",
                hint="give a .nwb file written by pynwb",
            )
        self._index: dict[str, list[str]] | None = None

    @property
    def name(self) -> str:
        """The file name (the last segment of a URL)."""
        from nwbtms.io.remote import url_name

        return url_name(self.path) if self.remote is not None else self.path.name

    @property
    def size_bytes(self) -> int:
        """Size of the file."""
        return self.remote.size if self.remote is not None else self.path.stat().st_size

    def close(self) -> None:
        """Close the HDF5 file (and the remote connection)."""
        with contextlib.suppress(Exception):
            self.h5.close()
        if self.remote is not None:
            with contextlib.suppress(Exception):
                self.remote.close()

    def __enter__(self) -> NwbFile:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def _build_index(self) -> dict[str, list[str]]:
        index: dict[str, list[str]] = {}

        def visit(name: str, obj) -> None:
            if name.startswith("specifications"):
                return
            kind = obj.attrs.get("neurodata_type")
            if kind is not None:
                index.setdefault(_text(kind), []).append("/" + name)

        self.h5.visititems(visit)
        return index

    def find(self, *types: str) -> list:
        """Every object (hard links only, no duplicates) whose neurodata_type is one of ``types``."""
        if self._index is None:
            self._index = self._build_index()
        return [self.h5[p] for t in types for p in self._index.get(t, [])]

    def first(self, *types: str):
        """The first object of one of ``types``, or None."""
        found = self.find(*types)
        return found[0] if found else None

    def get(self, path: str):
        """The object at ``path`` or None."""
        try:
            return self.h5[path] if path in self.h5 else None
        except (KeyError, OSError):
            return None

    def deref(self, ref):
        """Follow an HDF5 object reference; None when it cannot be followed."""
        try:
            return self.h5[ref]
        except (ValueError, KeyError, TypeError, OSError):
            return None


# --------------------------------------------------------------------------- header and file facts
@dataclass
class DatasetFact:
    """Storage facts of one large dataset."""

    path: str
    shape: tuple[int, ...]
    dtype: str
    logical_bytes: int
    stored_bytes: int
    filters: list[str]
    chunks: tuple[int, ...] | None


@dataclass
class Header:
    """What the page header shows: who, when, what protocol and device, and how the file is stored."""

    path: str
    size_bytes: int
    nwb_version: str
    ndx_tms_version: str
    identifier: str
    session_id: str
    session_description: str
    session_start_time: str
    subject: dict[str, str]
    protocols: list[str]
    devices: list[tuple[str, str, str]]
    datasets: list[DatasetFact] = field(default_factory=list)


_FILTER_NAMES = {
    1: "gzip",
    2: "shuffle",
    3: "fletcher32",
    4: "szip",
    5: "nbit",
    6: "scaleoffset",
    32000: "lzf",
    32001: "blosc",
    32004: "lz4",
    32008: "bitshuffle",
    32015: "zstd",
    32026: "blosc2",
}


def dataset_filters(dataset: h5py.Dataset) -> list[str]:
    """Names of the HDF5 filters of ``dataset`` (registered filter ids, named when known)."""
    plist = dataset.id.get_create_plist()
    names = []
    for i in range(plist.get_nfilters()):
        code, _flags, values, _name = plist.get_filter(i)
        label = _FILTER_NAMES.get(code, f"filter {code}")
        if code == 1 and len(values):
            label += f"({values[0]})"
        names.append(label)
    return names


def read_header(nwb: NwbFile) -> Header:
    """Subject, session, protocols, devices and storage facts of the file (attributes and small tables)."""
    h5 = nwb.h5
    general = nwb.get("/general")
    subject_group = nwb.first("Subject")
    subject = {}
    if subject_group is not None:
        for key in ("subject_id", "species", "strain", "genotype", "sex", "age", "description"):
            value = _scalar_text(subject_group, key)
            if value:
                subject[key] = value
    protocols = []
    table = nwb.first("TMSProtocolsTable")
    if table is not None and "protocol_name" in table:
        sham = table["sham"][:] if "sham" in table else np.zeros(table["protocol_name"].shape[0], bool)
        for name, is_sham in zip(column_text(table, "protocol_name"), sham.tolist(), strict=False):
            protocols.append(f"{name} (sham)" if is_sham else name)
    devices = []
    device_root = nwb.get("/general/devices")
    if device_root is not None:
        for name, obj in device_root.items():
            kind = _text(_attr(obj, "neurodata_type", ""))
            if not kind or isinstance(obj, h5py.Dataset) or name == "models":
                continue
            details = []
            for key in ("manufacturer", "model_number", "serial_number", "mode", "description"):
                value = _text(_attr(obj, key, "")) or _scalar_text(obj, key)
                if value:
                    details.append(f"{key}: {value}")
            model = obj.get("model") if isinstance(obj, h5py.Group) else None
            if isinstance(model, h5py.Group):
                details.insert(0, f"model: {link_target(obj, 'model').rsplit('/', 1)[-1]}")
            devices.append((name, kind, "; ".join(details)))
    tms = nwb.first("TMSExperimentMetadata")
    ndx_version = _text(_attr(tms, "ndx_tms_version", ""))
    if not ndx_version and "specifications/ndx-tms" in h5:
        ndx_version = ", ".join(sorted(h5["specifications/ndx-tms"].keys())) + " (cached spec)"
    return Header(
        path=str(nwb.path),
        size_bytes=nwb.size_bytes,
        nwb_version=_text(h5.attrs.get("nwb_version", "")),
        ndx_tms_version=ndx_version or "absent",
        identifier=_scalar_text(h5, "identifier"),
        session_id=_scalar_text(general, "session_id"),
        session_description=_scalar_text(h5, "session_description"),
        session_start_time=_scalar_text(h5, "session_start_time"),
        subject=subject,
        protocols=protocols,
        devices=devices,
        datasets=largest_datasets(nwb),
    )


def largest_datasets(nwb: NwbFile, limit: int = MAX_LISTED_DATASETS) -> list[DatasetFact]:
    """The ``limit`` largest datasets by logical size, with their filters and stored size."""
    facts: list[DatasetFact] = []

    def visit(name: str, obj) -> None:
        if name.startswith("specifications") or not isinstance(obj, h5py.Dataset) or not obj.shape:
            return
        logical = int(np.prod(obj.shape, dtype=np.int64)) * obj.dtype.itemsize
        if logical < 1024:
            return
        facts.append(
            DatasetFact(
                "/" + name,
                tuple(obj.shape),
                str(obj.dtype),
                logical,
                int(obj.id.get_storage_size()),
                dataset_filters(obj),
                obj.chunks,
            )
        )

    nwb.h5.visititems(visit)
    facts.sort(key=lambda f: f.logical_bytes, reverse=True)
    return facts[:limit]


# --------------------------------------------------------------------------- pulses
@dataclass
class SessionRow:
    """One stimulation session as seen in the pulses table."""

    number: int
    first_s: float
    last_s: float
    count: int
    sham: bool


@dataclass
class PulseSummary:
    """Streamed reductions of the pulses table for the stimulation, intensity and protocol figures.

    ``occupancy`` holds, per session row, pulse counts in ``row_bins`` bins of time since the session's
    first pulse. ``course_*`` arrays are per bin of ``course_edges_s`` (session clock).
    """

    n_pulses: int
    sessions: list[SessionRow]
    row_edges_s: np.ndarray
    occupancy: np.ndarray
    course_edges_s: np.ndarray
    course_count: np.ndarray
    intensity_min: np.ndarray
    intensity_max: np.ndarray
    intensity_mean: np.ndarray
    didt_min: np.ndarray
    didt_max: np.ndarray
    didt_mean: np.ndarray
    has_didt: bool
    zoom_session: int
    zoom_train_s: np.ndarray
    zoom_burst_s: np.ndarray
    train_label: str
    burst_label: str
    extra_session: np.ndarray
    extra_rel_s: np.ndarray
    n_extra: int
    has_scheduled: bool
    window_pulses_s: list[np.ndarray] = field(default_factory=list)


def _session_index(nwb: NwbFile) -> tuple[np.ndarray | None, np.ndarray | None, np.ndarray | None]:
    """Sessions table start, stop and sham arrays (or Nones)."""
    table = nwb.first("TMSSessionsTable")
    if table is None or "start_time" not in table:
        return None, None, None
    start = table["start_time"][:]
    stop = table["stop_time"][:] if "stop_time" in table else start
    sham = table["sham"][:].astype(bool) if "sham" in table else np.zeros(start.size, bool)
    return start, stop, sham


def _protocol_sham(nwb: NwbFile) -> np.ndarray | None:
    table = nwb.first("TMSProtocolsTable")
    if table is None or "sham" not in table:
        return None
    return table["sham"][:].astype(bool)


def _pulse_blocks(pulses: h5py.Group, starts_s: np.ndarray | None) -> Iterator[tuple[int, np.ndarray, np.ndarray]]:
    """``(start, times, session rows)`` blocks of the pulses table: the ``session`` region (ndx-tms 0.2) or
    ``session_number`` column (0.1) read with the times as the validator reads them
    (:func:`nwbtms.io.h5read.iter_pulse_sessions`), else the sessions table's start times, else 0."""
    column = pulse_session_column(pulses)
    if column is not None:
        yield from iter_pulse_sessions(pulses["timestamp"], pulses[column], chunk_elements=CHUNK_ROWS)
        return
    for start, times in iter_blocks(pulses["timestamp"]):
        if starts_s is not None and starts_s.size:
            sessions = np.clip(np.searchsorted(starts_s, times, side="right") - 1, 0, None)
        else:
            sessions = np.zeros(times.size, dtype=np.int64)
        yield start, times, sessions


def summarise_pulses(
    nwb: NwbFile, *, windows_s: list[tuple[float, float]] | None = None, bins: int = TIME_BINS
) -> PulseSummary | None:
    """Reduce the pulses table in two streamed passes; None when the file has no pulses.

    Parameters
    ----------
    windows_s : list of (start, stop), optional
        Time windows (session clock, s) whose pulse times are returned whole (capped), for zoom panels
        of other figures (e.g. the imaging timeline).
    bins : int
        Time bins of the per-session raster rows and of the course-long intensity view.
    """
    pulses = nwb.first("TMSPulsesTable")
    if pulses is None or "timestamp" not in pulses or pulses["timestamp"].shape[0] == 0:
        return None
    stamps = pulses["timestamp"]
    n = stamps.shape[0]
    starts_s, _stops_s, sham_by_session = _session_index(nwb)
    protocol_sham = _protocol_sham(nwb)

    # Pass 1: per-session extents and counts, course extent, first train/burst of the zoom session.
    first: dict[int, float] = {}
    last: dict[int, float] = {}
    count: dict[int, int] = {}
    session_protocol: dict[int, int] = {}
    for start, times, sessions in _pulse_blocks(pulses, starts_s):
        order = np.argsort(sessions, kind="stable")
        keys, cuts = np.unique(sessions[order], return_index=True)
        for key, part in zip(keys.tolist(), np.split(times[order], cuts[1:]), strict=True):
            lo, hi = float(part.min()), float(part.max())
            first[key] = min(first.get(key, lo), lo)
            last[key] = max(last.get(key, hi), hi)
            count[key] = count.get(key, 0) + part.size
        if "protocol" in pulses:
            protocol = pulses["protocol"][start : start + times.size]
            for key in keys.tolist():
                if key not in session_protocol:
                    session_protocol[key] = int(protocol[np.argmax(sessions == key)])
    numbers = sorted(count)
    rows = []
    for key in numbers:
        if sham_by_session is not None and 0 <= key < sham_by_session.size:
            sham = bool(sham_by_session[key])
        elif protocol_sham is not None and 0 <= session_protocol.get(key, -1) < protocol_sham.size:
            sham = bool(protocol_sham[session_protocol[key]])
        else:
            sham = False
        rows.append(SessionRow(key, first[key], last[key], count[key], sham))
    number_array = np.asarray(numbers, dtype=np.int64)
    longest = max((r.last_s - r.first_s for r in rows), default=0.0)
    row_edges = np.linspace(0.0, max(longest, 1e-3) * 1.0001, bins + 1)
    t_lo = min(first.values())
    t_hi = max(last.values())
    course_edges = np.linspace(t_lo, t_hi + max(1e-3, (t_hi - t_lo) * 1e-4), bins + 1)
    zoom_row = next((r for r in rows if not r.sham), rows[0])

    # Pass 2: histograms, per-bin intensity extremes, zoom pulses, extra pulses, window pulses.
    occupancy = np.zeros((len(rows), bins), dtype=np.int64)
    course_count = np.zeros(bins, dtype=np.int64)
    stats = {
        name: (np.full(bins, np.inf), np.full(bins, -np.inf), np.zeros(bins), np.zeros(bins, np.int64))
        for name in ("intensity_in_percent_mso", "di_dt_in_a_per_us")
    }
    has_train = "train_number" in pulses
    has_burst = has_train and "burst_number" in pulses
    zoom_train: list[np.ndarray] = []
    zoom_burst: list[np.ndarray] = []
    first_train = first_burst = None
    extra_session: list[np.ndarray] = []
    extra_rel: list[np.ndarray] = []
    n_extra = 0
    has_scheduled = "scheduled_time_in_s" in pulses
    windows = windows_s or []
    window_hits: list[list[np.ndarray]] = [[] for _ in windows]
    firsts = np.array([r.first_s for r in rows])
    for start, times, sessions in _pulse_blocks(pulses, starts_s):
        m = times.size
        row = np.searchsorted(number_array, sessions)
        rel = times - firsts[row]
        col = np.clip(np.searchsorted(row_edges, rel, side="right") - 1, 0, bins - 1)
        np.add.at(occupancy, (row, col), 1)
        course_col = np.clip(np.searchsorted(course_edges, times, side="right") - 1, 0, bins - 1)
        np.add.at(course_count, course_col, 1)
        for name, (lo, hi, total, seen) in stats.items():
            if name not in pulses:
                continue
            values = pulses[name][start : start + m].astype(np.float64)
            ok = np.isfinite(values)
            np.minimum.at(lo, course_col[ok], values[ok])
            np.maximum.at(hi, course_col[ok], values[ok])
            np.add.at(total, course_col[ok], values[ok])
            np.add.at(seen, course_col[ok], 1)
        in_zoom = sessions == zoom_row.number
        if in_zoom.any() and sum(z.size for z in zoom_train) < MAX_MARKERS:
            if has_train:
                trains = pulses["train_number"][start : start + m]
                bursts = pulses["burst_number"][start : start + m] if has_burst else np.zeros(m, np.int64)
                if first_train is None:
                    i0 = int(np.argmax(in_zoom))
                    first_train, first_burst = int(trains[i0]), int(bursts[i0])
                sel = in_zoom & (trains == first_train)
                zoom_train.append(times[sel])
                zoom_burst.append(times[sel & (bursts == first_burst)])
            else:
                zoom_train.append(times[in_zoom][:MAX_MARKERS])
        if has_scheduled:
            scheduled = pulses["scheduled_time_in_s"][start : start + m]
            extra = ~np.isfinite(scheduled)
            n_extra += int(extra.sum())
            if extra.any() and sum(e.size for e in extra_rel) < MAX_MARKERS:
                extra_session.append(row[extra])
                extra_rel.append(rel[extra])
        for k, (a, b) in enumerate(windows):
            hit = (times >= a) & (times <= b)
            if hit.any() and sum(h.size for h in window_hits[k]) < MAX_MARKERS:
                window_hits[k].append(times[hit])

    def _cat(parts: list[np.ndarray], dtype=np.float64) -> np.ndarray:
        return np.concatenate(parts).astype(dtype) if parts else np.zeros(0, dtype)

    train = np.sort(_cat(zoom_train))[:MAX_MARKERS]
    burst = np.sort(_cat(zoom_burst))[:MAX_MARKERS]
    if not has_train:
        # Without train/burst indices: the first 2 s and first 50 ms after the zoom session's first pulse.
        train = train[train <= train[0] + 2.0] if train.size else train
        burst = train[train <= train[0] + 0.05] if train.size else train
    summaries = {}
    for name, (lo, hi, total, seen) in stats.items():
        with np.errstate(invalid="ignore", divide="ignore"):
            mean = np.where(seen > 0, total / np.maximum(seen, 1), np.nan)
        summaries[name] = (
            np.where(seen > 0, lo, np.nan),
            np.where(seen > 0, hi, np.nan),
            mean,
            bool(seen.any()),
        )
    intensity = summaries["intensity_in_percent_mso"]
    didt = summaries["di_dt_in_a_per_us"]
    return PulseSummary(
        n_pulses=n,
        sessions=rows,
        row_edges_s=row_edges,
        occupancy=occupancy,
        course_edges_s=course_edges,
        course_count=course_count,
        intensity_min=intensity[0],
        intensity_max=intensity[1],
        intensity_mean=intensity[2],
        didt_min=didt[0],
        didt_max=didt[1],
        didt_mean=didt[2],
        has_didt=didt[3],
        zoom_session=zoom_row.number,
        zoom_train_s=train - (train[0] if train.size else 0.0),
        zoom_burst_s=burst - (burst[0] if burst.size else 0.0),
        train_label=f"train {first_train}" if first_train is not None else "first 2 s",
        burst_label=f"burst {first_burst}" if first_burst is not None else "first 50 ms",
        extra_session=_cat(extra_session, np.int64),
        extra_rel_s=_cat(extra_rel),
        n_extra=n_extra,
        has_scheduled=has_scheduled,
        window_pulses_s=[np.sort(_cat(h)) for h in window_hits],
    )


# --------------------------------------------------------------------------- reconciliation
@dataclass
class ReconciliationRow:
    """Delivered versus declared counts of one session, with where the missing pulses sit."""

    session: int
    protocol: str
    num_declared: int
    num_delivered: int
    num_matched: int
    num_missing: int
    num_extra: int
    missing_s: np.ndarray
    discrepancies: list[str]


def read_reconciliation(nwb: NwbFile) -> list[ReconciliationRow] | None:
    """Rows of the reconciliation table; None when the file has none."""
    table = nwb.first("TMSReconciliationTable")
    if table is None or "num_declared" not in table:
        return None
    n = table["num_declared"].shape[0]

    def ints(name: str) -> np.ndarray:
        return table[name][:].astype(np.int64) if name in table else np.full(n, -1, np.int64)

    sessions = table["session"][:].astype(np.int64) if "session" in table else np.arange(n)
    names = []
    protocols = nwb.first("TMSProtocolsTable")
    protocol_names = column_text(protocols, "protocol_name") if protocols is not None else []
    for p in (table["protocol"][:] if "protocol" in table else np.full(n, -1)).tolist():
        names.append(protocol_names[p] if 0 <= p < len(protocol_names) else "")
    missing = ragged_rows(table, "missing_pulse_time_in_s") or [np.zeros(0)] * n
    where = ragged_rows(table, "discrepancy", limit_values=1000) or [np.zeros(0, object)] * n
    declared, delivered, matched = ints("num_declared"), ints("num_delivered"), ints("num_matched")
    missed, extra = ints("num_missing"), ints("num_extra")
    rows = []
    for i in range(n):
        miss = missing[i] if i < len(missing) else np.zeros(0)
        text = [_text(v) for v in (where[i].tolist() if i < len(where) else [])]
        rows.append(
            ReconciliationRow(
                int(sessions[i]),
                names[i],
                int(declared[i]),
                int(delivered[i]),
                int(matched[i]),
                int(missed[i]),
                int(extra[i]),
                np.asarray(miss, dtype=np.float64),
                text,
            )
        )
    return rows


# --------------------------------------------------------------------------- clock alignment
@dataclass
class ClockFit:
    """One clock alignment: residuals (downsampled to min/max per bin when long) and the fit."""

    name: str
    aligned_clock: str
    reference_clock: str
    offset_s: float
    drift_ppm: float
    rms_s: float
    n_events: int
    time_s: np.ndarray
    residual_s: np.ndarray
    downsampled: bool


def _min_max_per_bin(x: h5py.Dataset, y: h5py.Dataset, bins: int) -> tuple[np.ndarray, np.ndarray, float]:
    """Stream ``(x, y)``: keep the min and max ``y`` per ``x`` bin; also return RMS of ``y``."""
    x_lo, x_hi, sum_sq, n = np.inf, -np.inf, 0.0, 0
    for _, block in iter_blocks(x):
        if block.size:
            x_lo, x_hi = min(x_lo, float(np.nanmin(block))), max(x_hi, float(np.nanmax(block)))
    edges = np.linspace(x_lo, x_hi + 1e-9, bins + 1)
    lo = np.full(bins, np.inf)
    hi = np.full(bins, -np.inf)
    arg_lo = np.zeros(bins)
    arg_hi = np.zeros(bins)
    for start, xs in iter_blocks(x):
        ys = y[start : start + xs.size].astype(np.float64)
        sum_sq += float(np.nansum(ys**2))
        n += int(np.isfinite(ys).sum())
        ok = np.isfinite(ys) & np.isfinite(xs)
        xs, ys = xs[ok], ys[ok]
        if not xs.size:
            continue
        col = np.clip(np.searchsorted(edges, xs, side="right") - 1, 0, bins - 1)
        order = np.lexsort((ys, col))
        cols, first_at = np.unique(col[order], return_index=True)
        last_at = np.concatenate([first_at[1:], [order.size]]) - 1
        i_lo, i_hi = order[first_at], order[last_at]
        better_lo = ys[i_lo] < lo[cols]
        lo[cols[better_lo]], arg_lo[cols[better_lo]] = ys[i_lo][better_lo], xs[i_lo][better_lo]
        better_hi = ys[i_hi] > hi[cols]
        hi[cols[better_hi]], arg_hi[cols[better_hi]] = ys[i_hi][better_hi], xs[i_hi][better_hi]
    keep = np.isfinite(lo)
    t = np.concatenate([arg_lo[keep], arg_hi[keep]])
    r = np.concatenate([lo[keep], hi[keep]])
    order = np.argsort(t, kind="stable")
    return t[order], r[order], float(np.sqrt(sum_sq / n)) if n else float("nan")


def read_clock_alignments(nwb: NwbFile, *, max_points: int = 2 * TIME_BINS) -> list[ClockFit]:
    """Every TMSClockAlignment, residuals whole when short and min/max per time bin when long."""
    fits = []
    for group in nwb.find("TMSClockAlignment"):
        if "device_time_in_s" not in group or "residual_in_s" not in group:
            continue
        x, y = group["device_time_in_s"], group["residual_in_s"]
        n = min(x.shape[0], y.shape[0])
        if n <= max_points:
            t, r = x[:n].astype(np.float64), y[:n].astype(np.float64)
            rms = float(np.sqrt(np.nanmean(r**2))) if n else float("nan")
            downsampled = False
        else:
            t, r, rms = _min_max_per_bin(x, y, max_points // 2)
            downsampled = True
        stored_rms = _attr(group, "rms_residual_in_s")
        fits.append(
            ClockFit(
                name=group.name.rsplit("/", 1)[-1],
                aligned_clock=_text(_attr(group, "aligned_clock", "")),
                reference_clock=_text(_attr(group, "reference_clock", "")),
                offset_s=float(_attr(group, "offset_in_s", np.nan)),
                drift_ppm=float(_attr(group, "drift_in_ppm", np.nan)),
                rms_s=float(stored_rms) if stored_rms is not None else rms,
                n_events=n,
                time_s=t,
                residual_s=r,
                downsampled=downsampled,
            )
        )
    return fits


# --------------------------------------------------------------------------- imaging timeline
@dataclass
class ImagingTimeline:
    """Frames of one imaging series over time, with its TMS artifact mask reduced per time bin."""

    series: str
    n_frames: int
    first_s: float
    last_s: float
    rate_hz: float | None
    mask_name: str | None
    n_masked: int
    edges_s: np.ndarray
    frames_per_bin: np.ndarray
    masked_per_bin: np.ndarray
    zoom_frame_s: np.ndarray
    zoom_masked: np.ndarray
    frame_duration_s: float


def _series_frame_times(series: h5py.Group, n_frames: int):
    """A function ``(start, stop) -> frame times`` of the series (rate or streamed timestamps)."""
    if "timestamps" in series:
        stamps = series["timestamps"]
        return lambda a, b: stamps[a:b].astype(np.float64), None
    start = 0.0
    rate = None
    if "starting_time" in series:
        start = float(series["starting_time"][()])
        rate = float(series["starting_time"].attrs.get("rate", 0.0)) or None
    if rate is None:
        return None, None
    return lambda a, b: start + np.arange(a, min(b, n_frames)) / rate, rate


def read_imaging_timelines(nwb: NwbFile, *, bins: int = TIME_BINS, zoom_frames: int = 30) -> list[ImagingTimeline]:
    """Every imaging series with its artifact mask (if any), streamed and reduced per time bin."""
    mask_groups = [g for g in nwb.find("TMSArtifactMask") if "mask" in g and isinstance(g.get("series"), h5py.Group)]
    series_groups = nwb.find(*IMAGING_SERIES_TYPES)
    for mask_group in mask_groups:
        if not any(mask_group["series"] == s for s in series_groups):
            series_groups.append(mask_group["series"])
    timelines = []
    for series in series_groups:
        if "data" not in series:
            continue
        n_frames = series["data"].shape[0] if series["data"].shape else 0
        mask_group = next((g for g in mask_groups if g["series"] == series), None)
        frame_times, rate = _series_frame_times(series, n_frames)
        if frame_times is None or n_frames == 0:
            continue
        first_s = float(frame_times(0, 1)[0])
        last_s = float(frame_times(n_frames - 1, n_frames)[0])
        edges = np.linspace(first_s, last_s + max(1e-3, (last_s - first_s) * 1e-4), bins + 1)
        frames_per_bin = np.zeros(bins, np.int64)
        masked_per_bin = np.zeros(bins, np.int64)
        n_masked = 0
        first_masked = None
        mask = mask_group["mask"] if mask_group is not None else None
        step = CHUNK_ROWS
        for start in range(0, n_frames, step):
            stop = min(start + step, n_frames)
            times = frame_times(start, stop)
            col = np.clip(np.searchsorted(edges, times, side="right") - 1, 0, bins - 1)
            np.add.at(frames_per_bin, col, 1)
            if mask is not None:
                flags = mask[start : min(stop, mask.shape[0])].astype(bool)
                np.add.at(masked_per_bin, col[: flags.size][flags], 1)
                n_masked += int(flags.sum())
                if first_masked is None and flags.any():
                    first_masked = start + int(np.argmax(flags))
        centre = first_masked if first_masked is not None else 0
        a, b = max(0, centre - zoom_frames), min(n_frames, centre + zoom_frames)
        zoom_times = frame_times(a, b)
        zoom_mask = mask[a : min(b, mask.shape[0])].astype(bool) if mask is not None else np.zeros(b - a, bool)
        duration = float(_attr(mask_group, "frame_duration_in_s", 0.0) or 0.0)
        if not duration:
            duration = 1.0 / rate if rate else (float(np.median(np.diff(zoom_times))) if zoom_times.size > 1 else 0.03)
        timelines.append(
            ImagingTimeline(
                series=series.name,
                n_frames=n_frames,
                first_s=first_s,
                last_s=last_s,
                rate_hz=rate,
                mask_name=mask_group.name if mask_group is not None else None,
                n_masked=n_masked,
                edges_s=edges,
                frames_per_bin=frames_per_bin,
                masked_per_bin=masked_per_bin,
                zoom_frame_s=zoom_times,
                zoom_masked=np.resize(zoom_mask, zoom_times.shape)
                if zoom_mask.size
                else np.zeros(zoom_times.shape, bool),
                frame_duration_s=duration,
            )
        )
    return timelines


# --------------------------------------------------------------------------- ROI map
@dataclass
class RoiOutline:
    """Outline of one ROI (polylines in pixel coordinates x, y) with its cell type and kind."""

    lines: list[np.ndarray]
    centroid: tuple[float, float]
    cell_type: str
    kind: str
    parent: int


@dataclass
class RoiMap:
    """A background image and ROI outlines of one plane segmentation."""

    name: str
    image: np.ndarray | None
    image_source: str
    rois: list[RoiOutline]
    n_rois: int
    cell_types: list[str]
    has_kind: bool


def _mean_of_frames(data: h5py.Dataset, max_frames: int = MAX_MEAN_FRAMES) -> np.ndarray:
    """Mean of at most ``max_frames`` frames, read in blocks spread evenly over the movie."""
    n = data.shape[0]
    block = min(MEAN_BLOCK_FRAMES, n)
    n_blocks = max(1, min(max_frames // max(block, 1), -(-n // max(block, 1))))
    starts = np.unique(np.linspace(0, max(n - block, 0), n_blocks).astype(np.int64))
    total = np.zeros(data.shape[1:3], np.float64)
    count = 0
    for s in starts.tolist():
        frames = data[s : s + block]
        if frames.ndim == 4:  # (t, x, y, z): first plane
            frames = frames[..., 0]
        total += frames.sum(axis=0, dtype=np.float64)
        count += frames.shape[0]
    return total / max(count, 1)


def _background(nwb: NwbFile, seg: h5py.Group, shape: tuple[int, int]) -> tuple[np.ndarray | None, str]:
    """The best background for ``seg``: a mean summary image, then a streamed mean of its movie."""
    images = nwb.find("GrayscaleImage", "Image")
    fitting = [d for d in images if isinstance(d, h5py.Dataset) and tuple(d.shape[:2]) == shape and d.ndim == 2]
    fitting.sort(key=lambda d: ("mean" not in d.name.lower(), d.name))
    if fitting:
        return fitting[0][()].astype(np.float64), f"summary image {fitting[0].name}"
    candidates = []
    refs = seg.get("reference_images")
    if isinstance(refs, h5py.Group):
        candidates.extend((link_target(refs, k), v) for k, v in refs.items() if isinstance(v, h5py.Group))
    plane = seg.get("imaging_plane")
    for series in nwb.find(*IMAGING_SERIES_TYPES):
        if plane is not None and series.get("imaging_plane") == plane:
            candidates.append((series.name, series))
    for name, series in candidates:
        data = series.get("data")
        if isinstance(data, h5py.Dataset) and data.ndim >= 3 and tuple(data.shape[1:3]) == shape and data.shape[0]:
            used = min(data.shape[0], MAX_MEAN_FRAMES)
            return _mean_of_frames(data), f"mean of {used} of {data.shape[0]} frames of {name}"
    return None, "no summary image or movie of this plane"


def _outline(mask: np.ndarray) -> tuple[list[np.ndarray], tuple[float, float]] | None:
    """Contour lines (x, y pixel coordinates) of ``mask > 0`` computed on its bounding box."""
    import contourpy

    ys, xs = np.nonzero(mask > 0)
    if ys.size == 0:
        return None
    y0, y1, x0, x1 = ys.min(), ys.max(), xs.min(), xs.max()
    crop = np.zeros((y1 - y0 + 3, x1 - x0 + 3), np.float64)
    crop[1:-1, 1:-1] = mask[y0 : y1 + 1, x0 : x1 + 1] > 0
    lines = contourpy.contour_generator(z=crop).lines(0.5)
    shifted = [np.column_stack([line[:, 0] + x0 - 1, line[:, 1] + y0 - 1]) for line in lines]
    return shifted, (float(xs.mean()), float(ys.mean()))


def _pixel_mask_image(seg: h5py.Group, shape: tuple[int, int]):
    """Per-ROI dense masks from the ragged ``pixel_mask`` (x, y, weight), one ROI at a time."""
    data = seg["pixel_mask"]
    ends = seg["pixel_mask_index"][:].astype(np.int64)
    starts = np.concatenate([[0], ends[:-1]])
    for a, b in zip(starts, ends, strict=True):
        rows = data[a:b]
        mask = np.zeros(shape, np.float32)
        if rows.size:
            x = np.asarray(rows["x"], np.int64)
            y = np.asarray(rows["y"], np.int64)
            ok = (x < shape[1]) & (y < shape[0])
            mask[y[ok], x[ok]] = 1.0
        yield mask


def read_roi_maps(nwb: NwbFile, *, max_rois: int = MAX_ROIS) -> list[RoiMap]:
    """Every plane segmentation: background image and outlines, masks read one ROI block at a time."""
    maps = []
    for seg in nwb.find("PlaneSegmentation"):
        n_rois = seg["id"].shape[0] if "id" in seg else 0
        if "image_mask" in seg:
            image_mask = seg["image_mask"]
            shape = tuple(image_mask.shape[1:3])
            block = max(1, int(32e6 // max(1, np.prod(image_mask.shape[1:]) * image_mask.dtype.itemsize)))

            def masks(image_mask=image_mask, block=block):
                for start in range(0, min(image_mask.shape[0], max_rois), block):
                    chunk = image_mask[start : min(start + block, max_rois)]
                    yield from (m if m.ndim == 2 else m.max(axis=-1) for m in chunk)

            mask_iter = masks()
        elif "pixel_mask" in seg and "pixel_mask_index" in seg:
            plane = seg.get("imaging_plane")
            shape = _plane_shape(nwb, seg, plane)
            if shape is None:
                continue
            mask_iter = _pixel_mask_image(seg, shape)
        else:
            continue
        labels = []
        type_names: list[str] = []
        if "cell_type" in seg:
            table = nwb.deref(seg["cell_type"].attrs.get("table"))
            type_names = column_text(table, "label") if table is not None else []
            rows = seg["cell_type"][:max_rois].astype(np.int64).tolist()
            labels = [type_names[r] if 0 <= r < len(type_names) else f"type {r}" for r in rows]
        kinds = column_text(seg, "roi_kind", limit=max_rois) if "roi_kind" in seg else []
        parent_column = next((c for c in PARENT_COLUMNS if c in seg and seg[c].dtype.kind in "iu"), None)
        parents = seg[parent_column][:max_rois].astype(np.int64).tolist() if parent_column else []
        outlines = []
        for i, mask in enumerate(mask_iter):
            if i >= max_rois:
                break
            found = _outline(np.asarray(mask))
            if found is None:
                continue
            lines, centroid = found
            outlines.append(
                RoiOutline(
                    lines=lines,
                    centroid=centroid,
                    cell_type=labels[i] if i < len(labels) else "unlabelled",
                    kind=(kinds[i] if i < len(kinds) else "") or "unspecified",
                    parent=parents[i] if i < len(parents) else -1,
                )
            )
        image, source = _background(nwb, seg, shape)
        maps.append(
            RoiMap(
                name=seg.name,
                image=image,
                image_source=source,
                rois=outlines,
                n_rois=n_rois,
                cell_types=type_names,
                has_kind=bool(kinds),
            )
        )
    return maps


def _plane_shape(nwb: NwbFile, seg: h5py.Group, plane) -> tuple[int, int] | None:
    """Frame shape of the movie of ``seg``'s plane (for pixel masks)."""
    refs = seg.get("reference_images")
    candidates = list(refs.values()) if isinstance(refs, h5py.Group) else []
    candidates += [s for s in nwb.find(*IMAGING_SERIES_TYPES) if plane is not None and s.get("imaging_plane") == plane]
    for series in candidates:
        data = series.get("data") if isinstance(series, h5py.Group) else None
        if isinstance(data, h5py.Dataset) and data.ndim >= 3:
            return tuple(data.shape[1:3])
    return None
