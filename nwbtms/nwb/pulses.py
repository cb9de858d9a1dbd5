"""Pulses, sessions and reconciliation as ndx-tms tables; raw DAQ traces as streamed TimeSeries.

The one place that turns :mod:`nwbtms.pulses` results into pynwb objects:

- :func:`build_sessions_table` -> ``TMSSessionsTable`` (for ``nwbfile.intervals``) from
  :class:`~nwbtms.pulses.sessions.SessionSpan`; build it first, the pulses point into it.
- :func:`build_pulses_table` -> ``TMSPulsesTable`` (for ``nwbfile.events``) through the vectorised
  ``add_pulses`` (90,000 pulses in one call), each pulse with a region into the sessions table. Optional
  columns are added only when some pulse has a value.
- :func:`build_reconciliation_table` -> ``TMSReconciliationTable``, one row per session's
  :class:`~nwbtms.protocols.reconcile.Reconciliation`.
- :func:`raw_trace_series` -> a ``TimeSeries`` whose data stream from a DAQ channel through an hdmf
  ``GenericDataChunkIterator`` (never the whole channel in memory), on the session clock.
- :func:`schedule_indices_from_reconciliation` maps a schedule's per-level indices onto delivered pulses.

Index convention: ``session`` is a row of the sessions table (every pulse has one); ``train/burst/
pulse_number`` are 0-based, -1 marks a pulse not matched to the declared schedule (an extra pulse), and a level
the protocol does not have is 0.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
from hdmf.backends.hdf5 import H5DataIO
from hdmf.data_utils import GenericDataChunkIterator
from ndx_tms import TMSPulsesTable, TMSReconciliationTable, TMSSessionsTable
from ndx_tms.vocabulary import POSE_TOLERANCE, TMSValueError, pose_row_problems
from pynwb import TimeSeries

from nwbtms.errors import ExtensionValueError, InputError

INDEX_LEVELS = ("session", "train", "burst", "pulse")
#: Samples per HDF5 chunk of a raw trace (1 s at 64 kHz; 256 KiB as float32).
RAW_CHUNK_SAMPLES = 1 << 16
#: Samples read from the DAQ per buffer (64 chunks, 16 MiB as float32).
RAW_BUFFER_SAMPLES = RAW_CHUNK_SAMPLES * 64


def build_pulses_table(
    merged,
    *,
    protocols_table,
    targets_table,
    coil,
    protocol_row: int | Sequence[int],
    target_row: int | Sequence[int],
    sessions_table,
    schedule_indices: Mapping[str, Sequence[int]] | None = None,
    artifact_window_s: tuple[float, float],
    scheduled_time_s=None,
    source: str = "trigger_ttl",
    sessions=None,
    name: str = "tms_pulses",
    description: str | None = None,
    source_description: str = "Stimulator trigger-out TTL recorded on the DAQ",
    pose_tolerance: float = POSE_TOLERANCE,
) -> TMSPulsesTable:
    """Every delivered pulse as a ``TMSPulsesTable`` (one vectorised ``add_pulses`` call).

    Parameters
    ----------
    merged : MergedPulses
        From :func:`nwbtms.pulses.merge.merge_pulse_sources` (times on the session clock).
    protocols_table, targets_table : TMSProtocolsTable, TMSTargetsTable
        Tables the ``protocol`` and ``target`` columns refer to.
    coil : TMSCoil
    protocol_row, target_row : int or sequence of int
        Row per pulse (or one for all).
    sessions_table : TMSSessionsTable
        The sessions (from :func:`build_sessions_table`) each pulse's ``session`` region points into.
    schedule_indices : mapping, optional
        Per-pulse ``session`` row and ``train``/``burst``/``pulse`` indices (-1: not in the schedule), e.g.
        from :func:`schedule_indices_from_reconciliation`. Levels not given are 0, except ``session`` which
        comes from ``sessions`` when given; every pulse needs a session row.
    artifact_window_s : (float, float)
        Window around each pulse treated as artifact, relative to the pulse, s.
    scheduled_time_s : array_like, optional
        Declared time each pulse was matched to (NaN for extra pulses).
    source : str
        Where the times came from (``trigger_ttl``, ``stimulator_log``, ``navigator``, ``commanded``).
    sessions : list of SessionSpan, optional
        Sessions found from gaps; fill ``session_number`` when ``schedule_indices`` has none.
    pose_tolerance : float
        Measured poses valid only within this tolerance (ndx-tms ``pose_row_problems``: orthonormality,
        determinant and last row), when it is wider than ``POSE_TOLERANCE``, are replaced by the nearest
        rotation and counted in the table's description; other invalid poses (partly NaN included) raise.

    Returns
    -------
    TMSPulsesTable
    """
    times = np.asarray(merged.time_s, dtype=np.float64)
    n = times.size
    indices = _indices(schedule_indices, sessions, n)
    session_rows = indices["session"].astype(np.int64)
    if n and (session_rows.min() < 0 or session_rows.max() >= len(sessions_table)):
        bad = int(np.flatnonzero((session_rows < 0) | (session_rows >= len(sessions_table)))[0])
        raise InputError(f"pulse {bad} has session row {session_rows[bad]}, outside the {len(sessions_table)} "
                         "session(s)", field="schedule_indices/session",
                         hint="every pulse must lie in one session of the sessions table")
    columns = dict(
        timestamp=times, protocol=_per_pulse(protocol_row, n, "protocol_row"),
        target=_per_pulse(target_row, n, "target_row"), coil=coil,
        intensity_in_percent_mso=np.asarray(merged.intensity_percent_mso, dtype=np.float64),
        di_dt_in_a_per_us=np.asarray(merged.di_dt_a_per_us, dtype=np.float64), source=source,
        session=session_rows, train_number=indices["train"], burst_number=indices["burst"],
        pulse_number=indices["pulse"], artifact_window_in_s=np.asarray(artifact_window_s, dtype=np.float64),
    )
    if scheduled_time_s is not None:
        columns["scheduled_time_in_s"] = np.asarray(scheduled_time_s, dtype=np.float64)
    optional = {"coil_temperature_in_c": merged.coil_temperature_c,
                "target_error_in_mm": merged.target_error_mm,
                "angular_error_in_deg": merged.angular_error_deg,
                "twist_error_in_deg": merged.twist_error_deg}
    for column, values in optional.items():
        values = np.asarray(values, dtype=np.float64)
        if np.isfinite(values).any():
            columns[column] = values
    notes = []
    pose = np.asarray(merged.pose, dtype=np.float64)
    if np.isfinite(pose).any():
        pose, fixed = _checked_poses(pose, pose_tolerance)
        columns["measured_coil_pose"] = pose
        if fixed:
            notes.append(f"{fixed} measured pose(s) were off orthonormal by at most {pose_tolerance:g} "
                         "(navigator print rounding) and are stored as the nearest rotation.")
        convention = getattr(merged, "pose_convention", "")
        if convention:
            notes.append(f"Measured poses: {convention}; coordinate space "
                         f"{getattr(merged, 'coordinate_space', '') or 'unknown'}.")
    report = getattr(merged, "report", None)
    if report is not None:
        messages = report.all_messages()
        if messages:
            notes.append(f"Merge of rig sources ({len(messages)} note(s)): " + "; ".join(messages[:5])
                         + (" ..." if len(messages) > 5 else ""))
    origin = {"stimulator_log": "the stimulator log", "navigator": "the neuronavigator export",
              "commanded": "the commanded schedule"}.get(source, "the stimulator trigger (TTL)")
    text = description or (f"Every delivered TMS pulse; times from {origin}, values "
                           "from the stimulator log and navigator matched by order and nearest time.")
    table = TMSPulsesTable(name=name, description=" ".join([text, *notes]),
                           source_description=source_description,
                           target_tables={"protocol": protocols_table, "target": targets_table,
                                          "session": sessions_table})
    try:
        table.add_pulses(**columns)
    except TMSValueError as exc:
        raise ExtensionValueError(str(exc), field="TMSPulsesTable",
                                  hint="check the merged pulse values against the column rules") from None
    return table


def build_sessions_table(
    spans,
    *,
    protocols_table,
    targets_table,
    protocol_row: int | Sequence[int] = 0,
    target_row: int | Sequence[int] = 0,
    sham: bool | Sequence[bool] = False,
    name: str = "tms_sessions",
    description: str = "Stimulation sessions of the course, from the first to the last delivered pulse; "
                       "found from gaps between pulses.",
) -> TMSSessionsTable:
    """One ``TMSSessionsTable`` row per :class:`~nwbtms.pulses.sessions.SessionSpan` (first to last pulse)."""
    spans = list(spans)
    protocols = _per_pulse(protocol_row, len(spans), "protocol_row")
    targets = _per_pulse(target_row, len(spans), "target_row")
    shams = np.broadcast_to(np.asarray(sham, dtype=bool), (len(spans),))
    table = TMSSessionsTable(name=name, description=description,
                             target_tables={"protocol": protocols_table, "target": targets_table})
    for span, protocol, target, is_sham in zip(spans, protocols, targets, shams, strict=True):
        table.add_row(start_time=float(span.start_s), stop_time=float(span.stop_s), protocol=int(protocol),
                      target=int(target), sham=bool(is_sham), num_pulses=int(span.num_pulses))
    return table


def build_reconciliation_table(
    reconciliations,
    sessions_table,
    protocols_table,
    *,
    declared_times_s: Sequence | None = None,
    protocol_row: int | Sequence[int] = 0,
    name: str = "reconciliation",
    description: str = "Delivered pulses (trigger TTL) compared with the declared protocol, one row per "
                       "session.",
) -> TMSReconciliationTable:
    """One ``TMSReconciliationTable`` row per session's :class:`Reconciliation` (row ``i`` = session ``i``).

    Parameters
    ----------
    reconciliations : sequence of Reconciliation
        From :func:`nwbtms.protocols.reconcile`, in session order.
    sessions_table, protocols_table
        Tables the ``session`` and ``protocol`` columns refer to.
    declared_times_s : sequence of array_like, optional
        Declared times of each session (declared clock); required when pulses are missing, to store
        their times on the session clock (``offset + (1 + drift) * declared``).
    protocol_row : int or sequence of int
    """
    reconciliations = list(reconciliations)
    if len(reconciliations) > len(sessions_table):
        raise InputError(f"{len(reconciliations)} reconciliations for {len(sessions_table)} sessions",
                         field="reconciliations", hint="give one reconciliation per session row")
    protocols = _per_pulse(protocol_row, len(reconciliations), "protocol_row")
    table = TMSReconciliationTable(name=name, description=description,
                                   target_tables={"session": sessions_table, "protocol": protocols_table})
    for i, rec in enumerate(reconciliations):
        missing = np.asarray(rec.missing, dtype=np.int64)
        if missing.size and declared_times_s is None:
            raise InputError(f"session {i} has {missing.size} missing pulse(s); their times need the "
                             "declared schedule", field="declared_times_s",
                             hint="pass declared_times_s=[schedule.times_s, ...] (one array per session)")
        missing_s = (rec.offset_s + (1.0 + rec.drift_ppm * 1e-6)
                     * np.asarray(declared_times_s[i], dtype=np.float64)[missing]) if missing.size else []
        table.add_row(
            session=i, protocol=int(protocols[i]), num_declared=int(rec.n_declared),
            num_delivered=int(rec.n_delivered), num_matched=int(len(rec.matched)),
            num_missing=int(missing.size),
            num_extra=int(np.asarray(rec.extra).size), clock_offset_in_s=float(rec.offset_s),
            clock_drift_in_ppm=float(rec.drift_ppm), max_abs_residual_in_s=float(rec.max_abs_residual_s),
            missing_pulse_time_in_s=list(np.asarray(missing_s, dtype=np.float64)),
            discrepancy=[str(d) for d in rec.discrepancies],
        )
    return table


def schedule_indices_from_reconciliation(schedule, reconciliation, n_delivered: int, *,
                                         session_number: int | None = None):
    """Per-level indices and scheduled times of delivered pulses from a reconciliation.

    Parameters
    ----------
    schedule : Schedule
        Declared schedule (``index`` per level, ``times_s``).
    reconciliation : Reconciliation
        ``matched`` (declared, delivered) pairs of this schedule against the delivered pulses.
    n_delivered : int
        Number of delivered pulses compared.
    session_number : int, optional
        Fill ``session`` with this when the schedule has no session level.

    Returns
    -------
    indices : dict of str to ndarray of int32
        ``session``, ``train``, ``burst``, ``pulse`` per delivered pulse (-1 for extra pulses).
    scheduled_time_s : ndarray of float64
        Matched declared time on the delivered clock (NaN for extra pulses).
    """
    matched = np.asarray(reconciliation.matched, dtype=np.int64).reshape(-1, 2)
    declared, delivered = matched[:, 0], matched[:, 1]
    indices = {}
    for level in INDEX_LEVELS:
        values = np.full(n_delivered, -1, dtype=np.int32)
        if level in schedule.index:
            values[delivered] = np.asarray(schedule.index[level])[declared]
        elif level == "session" and session_number is not None:
            values[delivered] = session_number
        else:
            values[delivered] = 0
        indices[level] = values
    scheduled = np.full(n_delivered, np.nan)
    scheduled[delivered] = (reconciliation.offset_s + (1.0 + reconciliation.drift_ppm * 1e-6)
                            * np.asarray(schedule.times_s, dtype=np.float64)[declared])
    return indices, scheduled


class _ChannelIterator(GenericDataChunkIterator):
    """Streams one DAQ channel segment into an HDF5 dataset, buffer by buffer."""

    def __init__(self, recording, channel: str, segment: int, dtype, chunk_samples: int, buffer_samples: int):
        self.recording = recording
        self.channel_name = channel
        self.segment = segment
        self.out_dtype = np.dtype(dtype)
        self.num_samples = recording.segments_for(segment)[0].num_samples
        chunk = max(1, min(chunk_samples, self.num_samples))
        buffer = min(max(chunk, buffer_samples // chunk * chunk), self.num_samples)
        super().__init__(chunk_shape=(chunk,), buffer_shape=(buffer,), display_progress=False)

    def _get_data(self, selection) -> np.ndarray:
        part = selection[0]
        start, stop, _ = part.indices(self.num_samples)
        data = self.recording.read(self.channel_name, segment=self.segment, start=start, stop=stop)
        return np.asarray(data).astype(self.out_dtype, copy=False)

    def _get_maxshape(self) -> tuple[int]:
        return (self.num_samples,)

    def _get_dtype(self) -> np.dtype:
        return self.out_dtype


def raw_trace_series(
    recording,
    channel: str,
    *,
    segment: int = 0,
    clock_offset_s: float = 0.0,
    name: str | None = None,
    description: str | None = None,
    dtype=np.float32,
    compression: str | None = "gzip",
    chunk_samples: int = RAW_CHUNK_SAMPLES,
    buffer_samples: int = RAW_BUFFER_SAMPLES,
    pending: list | None = None,
) -> TimeSeries:
    """A TimeSeries of one DAQ channel segment, streamed (for ``nwbfile.add_acquisition``).

    Parameters
    ----------
    recording : Recording
        From :func:`nwbtms.sources.daq.open_recording`.
    channel : str
        Channel name (a wrong name lists the channels that exist).
    segment : int
        Segment (sweep) to store.
    clock_offset_s : float
        Session-clock time of the recording clock's zero: ``starting_time = segment start + offset``.
    dtype : numpy dtype
        Stored type of analog samples (float32 keeps 7 significant digits at half the size); digital lines
        are stored as uint8 0/1.
    compression : str or None
        HDF5 filter (gzip is readable everywhere).
    pending : list, optional
        When given (and ``compression`` is gzip), the data is allocated empty and a
        :class:`~nwbtms.nwb.deferred.PendingArray` appended here fills it after the file is written
        (chunks deflated in parallel by the fastest codec); otherwise hdmf streams it with HDF5's own filter.

    Returns
    -------
    TimeSeries
        ``unit`` is the channel's physical unit ("n.a." for digital lines).
    """
    info = recording.channel(channel)
    seg = recording.segments_for(segment)[0]
    if seg.num_samples == 0:
        raise InputError(f"segment {segment} of channel {channel!r} has no samples", file=recording.path,
                         field=channel, hint="pick a segment with data")
    digital = info.kind == "digital"
    iterator = _ChannelIterator(recording, channel, seg.index, np.uint8 if digital else dtype,
                                chunk_samples, buffer_samples)
    name = name or f"daq_{_safe_name(channel)}"
    if pending is not None and compression == "gzip":
        from nwbtms.nwb.deferred import deferred_data

        data, job = deferred_data(iterator, name=name, source=str(recording.path), profile="archive")
        pending.append(job)
    else:
        data = H5DataIO(iterator, compression=compression) if compression else iterator
    return TimeSeries(
        name=name,
        data=data,
        unit="n.a." if digital else (info.unit or "n.a."),
        rate=float(recording.sample_rate_hz),
        starting_time=float(seg.start_time_s + clock_offset_s),
        description=description or (f"Raw {'digital line' if digital else 'analog channel'} {channel!r} "
                                    f"of {recording.path.name} ({recording.format}), segment {seg.index}, "
                                    "on the session clock."),
        comments="Digital line stored as 0/1." if digital else "no comments",
    )


def raw_trace_series_per_segment(recording, channel: str, *, clock_offset_s: float = 0.0, **options) -> list:
    """One streamed TimeSeries per segment (sweep) with samples: a multi-sweep recording is kept whole.

    Names are ``daq_<channel>`` for a single segment and ``daq_<channel>_sweep<index>`` otherwise; other
    keyword options go to :func:`raw_trace_series`.
    """
    segments = [seg for seg in recording.segments if seg.num_samples > 0]
    base = f"daq_{_safe_name(channel)}"
    return [
        raw_trace_series(recording, channel, segment=seg.index, clock_offset_s=clock_offset_s,
                         name=base if len(segments) == 1 else f"{base}_sweep{seg.index}", **options)
        for seg in segments
    ]


def _safe_name(channel: str) -> str:
    cleaned = "".join(c if c.isalnum() or c in "_-" else "_" for c in channel)
    return cleaned.strip("_") or "channel"


def _indices(schedule_indices, sessions, n: int) -> dict[str, np.ndarray]:
    given = dict(schedule_indices or {})
    unknown = set(given) - set(INDEX_LEVELS)
    if unknown:
        raise InputError(f"schedule_indices has unknown level(s) {sorted(unknown)}", field="schedule_indices",
                         hint=f"use {list(INDEX_LEVELS)}")
    out = {}
    for level in INDEX_LEVELS:
        if level in given:
            values = np.asarray(given[level], dtype=np.int32)
            if values.shape != (n,):
                raise InputError(f"schedule_indices[{level!r}] has shape {values.shape}, expected ({n},)",
                                 field=f"schedule_indices/{level}", hint="give one index per delivered pulse")
            out[level] = values
        elif level == "session" and sessions is not None:
            out[level] = _session_numbers(sessions, n)
        else:
            out[level] = np.zeros(n, dtype=np.int32)
    return out


def _session_numbers(sessions, n: int) -> np.ndarray:
    numbers = np.full(n, -1, dtype=np.int32)
    for k, span in enumerate(sessions):
        numbers[span.start_index:span.stop_index] = k
    if np.any(numbers < 0):
        raise InputError("sessions do not cover every pulse", field="sessions",
                         hint="pass the spans find_sessions returned for these pulse times")
    return numbers


def _per_pulse(value, n: int, field: str) -> np.ndarray:
    array = np.asarray(value, dtype=np.int64)
    if array.ndim == 0:
        return np.full(n, int(array), dtype=np.int64)
    if array.shape != (n,):
        raise InputError(f"{field} has {array.size} values for {n} rows", field=field,
                         hint="give one value, or one per row")
    return array


def _checked_poses(pose: np.ndarray, tolerance: float) -> tuple[np.ndarray, int]:
    """Poses for the table: invalid ones refused (ndx-tms ``pose_row_problems``, the one pose rule), and when
    the caller accepts a wider ``tolerance`` than ``POSE_TOLERANCE``, poses valid only within it snapped to the
    nearest rotation."""
    pose = pose.copy()
    wide = max(tolerance, POSE_TOLERANCE)
    problems = pose_row_problems(pose, wide)
    refused = np.flatnonzero(problems != None)  # noqa: E711 (elementwise on an object array)
    if refused.size:
        raise InputError(f"{refused.size} measured coil pose(s) are not valid rotations "
                         f"(pulses {refused[:10].tolist()}; first: pose {problems[refused[0]]})",
                         field="measured_coil_pose",
                         hint="see the navigator reader's problems; fix the export or merge without it")
    fixable = np.zeros(0, dtype=np.int64)
    if wide > POSE_TOLERANCE:
        fixable = np.flatnonzero(pose_row_problems(pose) != None)  # noqa: E711
    for i in fixable:
        u, _, vt = np.linalg.svd(pose[i, :3, :3])
        pose[i, :3, :3] = u @ vt  # nearest rotation (polar decomposition)
        pose[i, 3] = (0.0, 0.0, 0.0, 1.0)
    return pose, int(fixable.size)
