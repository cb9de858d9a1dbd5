"""Delivered pulses of a session: detect on the DAQ, merge logs, split sessions, reconcile.

The DAQ of ``stimulation.pulses_from`` defines the session clock. Its time 0 is ``session_start_time``
plus ``stimulation.daq_start_offset_s`` (default 0: the DAQ started at ``session_start_time``;
``from_recording``: the recording's own timezone-aware start time, for readers whose files store one);
the offset is added to every DAQ-derived time. Its ``options.trigger_channel`` gives the pulse times
(ground truth: the stimulator fires on it); a stimulator log and a navigator add intensity, dI/dt,
temperature and pose (matched by order and nearest time within ``match_tolerance_s``); sessions are split
at gaps longer than ``min_session_gap_s``; each session is reconciled with the schedule of
``stimulation.protocol``, which gives every pulse its train, burst and pulse index (-1 for an extra
pulse) and its scheduled time (:func:`nwbtms.nwb.pulses.schedule_indices_from_reconciliation`).
The optional ``options.frame_clock_channel`` gives imaging frame-start times on the session clock, for
clock alignment. A rig without a DAQ recording can name its stimulator log or navigator export as
``pulses_from``: pulse times are then that file's own timestamps (pulse ``source`` ``stimulator_log`` or
``navigator``), and there is no frame clock.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from nwbtms.errors import MetadataError, SourceError
from nwbtms.metadata.model import Session
from nwbtms.pulses.merge import merge_pulse_sources
from nwbtms.sources import registry

#: Options of a DAQ source that are ours (the rest go to the reader, e.g. ``group`` for TDMS).
DAQ_ROLE_OPTIONS = ("trigger_channel", "frame_clock_channel", "trigger_threshold", "trigger_polarity",
                    "frame_clock_threshold", "calibration_a_per_us_per_unit")


@dataclass
class SessionPulses:
    """Pulses of one stimulation session and their reconciliation with the declared protocol."""

    span: Any  # nwbtms.pulses.sessions.SessionSpan
    reconciliation: Any  # nwbtms.protocols.Reconciliation
    schedule: Any  # nwbtms.protocols.Schedule
    sham: bool


@dataclass
class StimulationData:
    """Everything the NWB builders need about delivered pulses (arrays are per pulse)."""

    detected: Any  # DetectedPulses
    merged: Any  # MergedPulses
    sessions: list[SessionPulses]
    session_number: np.ndarray
    train_number: np.ndarray
    burst_number: np.ndarray
    pulse_number: np.ndarray
    scheduled_time_s: np.ndarray
    frame_clock_s: np.ndarray | None = None
    #: Session-clock time of the DAQ clock's zero, s (``stimulation.daq_start_offset_s``), already added to
    #: ``merged.time_s`` and ``frame_clock_s``.
    clock_offset_s: float = 0.0
    #: Things the user should know (printed in the conversion summary).
    notes: list[str] = field(default_factory=list)
    #: Notes of merging the rig sources (also stored in the pulses table's description).
    messages: list[str] = field(default_factory=list)
    #: Where the pulse times came from (ndx-tms pulse ``source``) and a sentence saying which file/channel.
    source: str = "trigger_ttl"
    source_description: str = "Stimulator trigger-out TTL recorded on the DAQ"

    @property
    def times_s(self) -> np.ndarray:
        return np.asarray(self.merged.time_s)

    def __len__(self) -> int:
        return int(self.times_s.size)


def reader_options(options: dict) -> dict:
    """Options of a DAQ source meant for the reader (role options removed)."""
    return {k: v for k, v in options.items() if k not in DAQ_ROLE_OPTIONS}


def open_daq(session: Session, key: str):
    """Open the DAQ source ``key`` with its reader options."""
    from nwbtms.sources.daq import open_recording

    source = session.sources[key]
    return open_recording(source.path, format=source.reader, **reader_options(source.options))




def read_stimulation(session: Session, *, time_map: Callable[[np.ndarray], np.ndarray] | None = None
                     ) -> StimulationData | None:
    """Detect, merge, split and reconcile the session's pulses; None without a ``stimulation`` section.

    ``time_map`` (optional) maps session-clock times derived from the pulse source (pulses, frame clock) onto
    another clock before sessions are split and reconciled: the NeuroConv interfaces' temporal alignment.
    """
    stim = session.stimulation
    if stim is None:
        return None
    source = session.sources[stim.pulses_from]
    frame_clock = detected = None
    start_datetime = None
    daq_notes: list[str] = []
    log = navigator = None
    if stim.stimulator_log:
        log = _read_log(session, stim.stimulator_log)
    if stim.navigator:
        navigator = _read_navigator(session, stim.navigator)
    # where pulse times come from, by the kind of the reader of ``stimulation.pulses_from``: the TTL trigger on a
    # DAQ (ground truth), else the stimulator log's or the navigator's own timestamps (rigs without a DAQ)
    kind = registry.reader(source.reader).kind
    if kind == "stimulator_log":
        log = _read_log(session, stim.pulses_from)
        times, kind = np.asarray(log.time_s, dtype=np.float64), "stimulator_log"
        description = f"Stimulator log timestamps ({source.path.name})"
    elif kind == "navigator":
        navigator = _read_navigator(session, stim.pulses_from)
        times, kind = np.asarray(navigator.time_s, dtype=np.float64), "navigator"
        description = f"Neuronavigator ({source.reader}) pulse timestamps ({source.path.name})"
    else:
        detected, frame_clock, start_datetime, daq_notes = _detect_on_daq(session, stim.pulses_from)
        times, kind = detected.times_s, "trigger_ttl"
        description = (f"Stimulator trigger-out TTL on DAQ channel '{source.options['trigger_channel']}' "
                       f"({source.path.name})")
    if kind != "trigger_ttl" and not np.all(np.isfinite(times)):
        raise SourceError(f"source {stim.pulses_from!r} has rows without a time, so it cannot give pulse times",
                          file=source.path, field="/stimulation/pulses_from",
                          hint="name a DAQ recording as pulses_from and this file as stimulator_log/navigator "
                               "(matched by order)")
    merged = merge_pulse_sources(times, log=log, navigator=navigator, tolerance_s=stim.match_tolerance_s)

    offset_s, offset_note = daq_start_offset_s(stim.daq_start_offset_s, start_datetime,
                                               session.session_start_time, file=session.metadata_file)
    if offset_s:
        merged = dataclasses.replace(merged, time_s=np.asarray(merged.time_s, dtype=np.float64) + offset_s)
        if frame_clock is not None:
            frame_clock = frame_clock + offset_s
    if time_map is not None:
        merged = dataclasses.replace(merged, time_s=np.asarray(time_map(np.asarray(merged.time_s)),
                                                               dtype=np.float64))
        if frame_clock is not None:
            frame_clock = np.asarray(time_map(frame_clock), dtype=np.float64)
    data = _split_and_reconcile(session, merged, detected=detected, frame_clock=frame_clock)
    data.clock_offset_s = offset_s
    navigator_notes = [note for note in [navigator.summary_note()] if note] if navigator is not None else []
    if kind == "navigator" and getattr(navigator, "clock", ""):
        navigator_notes.append(f"pulse times are on the navigator's clock ({navigator.clock}) plus "
                               f"daq_start_offset_s ({offset_s:g} s)")
    data.notes = (daq_notes + input_notes(merged, description, navigator) + navigator_notes
                  + ([offset_note] if offset_note else []))
    data.source, data.source_description = kind, description
    return data


@contextlib.contextmanager
def _located(session: Session, key: str):
    """A channel the DAQ lacks is a metadata mistake: point at the option that names it (file and line)."""
    from nwbtms.errors import ChannelNotFoundError

    try:
        yield
    except ChannelNotFoundError as exc:
        options = session.sources[key].options
        wrong = next((name for name in ("trigger_channel", "frame_clock_channel")
                      if str(options.get(name)) in exc.message), "trigger_channel")
        raise session.error(f"source {key!r}: {exc.message}", f"/sources/{key}/options/{wrong}",
                            hint=exc.hint or "name a channel the file has") from None


def _detect_on_daq(session: Session, key: str):
    """(DetectedPulses, frame-clock edge times or None, the recording's start datetime, notes) of DAQ source
    ``key``; the notes name what of the recording was not read (other Open Ephys streams)."""
    from nwbtms.pulses.detect import detect_pulses

    source = session.sources[key]
    trigger = source.options.get("trigger_channel")
    if not trigger:
        raise MetadataError(f"source {key!r} gives pulse times but names no trigger_channel",
                            file=session.metadata_file, field=f"/sources/{key}/options",
                            hint="add options: {trigger_channel: <DAQ channel with the stimulator trigger>}")
    with _located(session, key), open_daq(session, key) as recording:
        start_datetime = recording.start_datetime
        streams = recording.metadata.get("streams") or []
        chosen = str(recording.metadata.get("stream", "")).strip("/")
        notes = [f"DAQ '{key}': stream {chosen!r} read; other stream(s) not read: "
                 f"{', '.join(repr(s) for s in streams if s != chosen)} (options.stream picks one)"
                 ] if len(streams) > 1 else []
        notes += [str(w) for w in (recording.metadata or {}).get("warnings", [])]  # e.g. a cut file
        detected = detect_pulses(
            recording, trigger, threshold=source.options.get("trigger_threshold"),
            polarity=source.options.get("trigger_polarity", "rising"),
            calibration_a_per_us_per_unit=source.options.get("calibration_a_per_us_per_unit"),
        )
        frame_clock = None
        clock_channel = source.options.get("frame_clock_channel")
        if clock_channel:
            # Frame-clock edges come once per frame (>= 1 ms apart even for fast resonant scanning, ScanImage
            # frame rates stay below 1 kHz); 0.5 ms debounces ringing without merging frames.
            frames = detect_pulses(recording, clock_channel,
                                   threshold=source.options.get("frame_clock_threshold"), refractory_s=0.0005)
            frame_clock = np.asarray(frames.times_s, dtype=np.float64)
    return detected, frame_clock, start_datetime, notes


#: Navigator problems printed in the conversion summary (the rest are in the NWB file's descriptions).
MAX_NAVIGATOR_NOTES = 3


def input_notes(merged, description: str, navigator=None) -> list[str]:
    """Summary lines for every input dropped or unmatched: no pulse at all, source rows matching no pulse,
    pulses without a source's values, and the navigator's own problems (a cut export)."""
    notes = []
    if not np.asarray(merged.time_s).size:
        notes.append(f"no pulse found in the pulse source ({description}): check the channel and threshold "
                     "('nwbtms pulses detect FILE') or stimulation.pulses_from")
    for name, match in merged.report.sources.items():
        source = f"{name} {Path(str(match.path)).name}" if match.path else name
        if match.unmatched_rows.size:
            rows = match.unmatched_rows[:10].tolist()
            notes.append(f"{source}: {match.unmatched_rows.size} of {match.n_rows} row(s) matched no pulse and "
                         f"were dropped (rows {rows}{' ...' if match.unmatched_rows.size > 10 else ''}, 0-based)")
        if match.pulses_without_row.size and np.asarray(merged.time_s).size:
            notes.append(f"{source}: {match.pulses_without_row.size} of {np.asarray(merged.time_s).size} pulse(s) "
                         "got no value from it (NaN in the pulses table)")
    if navigator is not None:
        name = getattr(navigator.path, "name", str(navigator.path))
        relevant = [p for p in navigator.problems if "without a pose" not in p]  # summary_note says those
        notes += [f"navigator {name}: {p}" for p in relevant[:MAX_NAVIGATOR_NOTES]]
        if len(relevant) > MAX_NAVIGATOR_NOTES:
            notes.append(f"navigator {name}: {len(relevant) - MAX_NAVIGATOR_NOTES} more problem(s) in the "
                         "pulses table's description")
    return notes


def _split_and_reconcile(session: Session, merged, *, detected, frame_clock) -> StimulationData:
    """Sessions from gaps, each reconciled with the protocol's schedule (per-pulse indices, scheduled times)."""
    from nwbtms.metadata.protocols import session_protocol
    from nwbtms.nwb.pulses import schedule_indices_from_reconciliation
    from nwbtms.protocols import build_schedule
    from nwbtms.protocols.reconcile import reconcile_session
    from nwbtms.pulses.sessions import find_sessions

    stim = session.stimulation
    times = np.asarray(merged.time_s, dtype=np.float64)
    n = times.size
    session_number = np.full(n, -1, dtype=np.int32)
    indices = {level: np.full(n, -1, dtype=np.int32) for level in ("train", "burst", "pulse")}
    scheduled = np.full(n, np.nan)
    schedule = build_schedule(session_protocol(session, stim.protocol))
    sessions = []
    for number, span in enumerate(find_sessions(times, min_gap_s=stim.min_session_gap_s)):
        part = slice(span.start_index, span.stop_index)
        delivered = times[part]
        result = reconcile_session(schedule, delivered, tolerance_s=stim.match_tolerance_s)
        # every pulse of the span belongs to its session (extra pulses too); levels come from the schedule
        session_number[part] = number
        part_indices, scheduled[part] = schedule_indices_from_reconciliation(schedule, result, delivered.size)
        for level, column in indices.items():
            column[part] = part_indices[level]
        sessions.append(SessionPulses(span=span, reconciliation=result, schedule=schedule,
                                      sham=number in stim.sham_sessions))
    return StimulationData(detected=detected, merged=merged, sessions=sessions, session_number=session_number,
                           train_number=indices["train"], burst_number=indices["burst"],
                           pulse_number=indices["pulse"], scheduled_time_s=scheduled,
                           frame_clock_s=frame_clock, messages=list(merged.report.all_messages()))


#: A DAQ start and session_start_time further apart than this (s) while the offset says otherwise get a note:
#: more than clock-setting jitter, so one of the two is probably wrong.
OFFSET_MISMATCH_NOTE_S = 1.0


def daq_start_offset_s(setting: float | str, recording_start: dt.datetime | None,
                       session_start: dt.datetime, *, file=None) -> tuple[float, str | None]:
    """Session-clock time of the DAQ clock's zero, s, and a note when the recording disagrees.

    Parameters
    ----------
    setting : float or "from_recording"
        ``stimulation.daq_start_offset_s``.
    recording_start : datetime or None
        The recording's timezone-aware start (``Recording.start_datetime``), None when its file has none.
    session_start : datetime
        ``nwbfile.session_start_time``.

    Raises
    ------
    MetadataError
        ``from_recording`` for a recording that does not store a timezone-aware start.
    """
    implied = None if recording_start is None else (recording_start - session_start).total_seconds()
    if setting == "from_recording":
        if implied is None:
            raise MetadataError("daq_start_offset_s is 'from_recording' but the DAQ file stores no "
                                "timezone-aware start time", file=file, field="/stimulation/daq_start_offset_s",
                                hint="give the offset in seconds (0 when the DAQ started at session_start_time)")
        return implied, None
    offset = float(setting)
    note = None
    if implied is not None and abs(implied - offset) > OFFSET_MISMATCH_NOTE_S:
        note = (f"the pulse DAQ says it started {implied:+.3f} s from session_start_time, but "
                f"stimulation.daq_start_offset_s is {offset:g} s; pulse times use {offset:g} s "
                "(set daq_start_offset_s: from_recording to use the DAQ's clock)")
    return offset, note


def _read_log(session: Session, key: str):
    from nwbtms.sources.logs import read_stimulator_log

    source = session.sources[key]
    return read_stimulator_log(source.path, column_map=source.options.get("column_map"),
                               time_unit=source.options.get("time_unit", "s"))


def _read_navigator(session: Session, key: str):
    """Localite trigger markers or a Brainsight export (both readers take no options)."""
    source = session.sources[key]
    if source.options:
        raise MetadataError(f"the {source.reader} reader takes no options", file=session.metadata_file,
                            field=f"/sources/{key}/options", hint="remove 'options' from this source")
    return registry.open_source(source.reader, source.path)
