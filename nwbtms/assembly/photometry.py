"""Fiber photometry of a session: open the recording, put it on the session clock, add table, series and masks.

- The recording (``photometry.source``, a reader of kind ``photometry``) is opened lazily and kept open until
  the file is written (its streams are read block by block into the written file).
- Clock: with ``photometry.sync``, the rising edges of the named digital input (the TMS trigger recorded by the
  photometry system) are matched to the delivered pulses (those preceded by ``min_gap_s``) and fitted, offset and
  drift, with the clock fit imaging uses (:func:`nwbtms.imaging.clock.fit_clock`; an imaging plane's
  ``aux_trigger`` mode), stored as ``TMSClockAlignment`` in ``processing/ophys``; without it the recording's zero
  is ``session_start_time + start_offset_s``.
- Every declared signal (a stream of the file under one excitation) becomes a table row and a demodulated
  ``FiberPhotometryResponseSeries``; each raw detector stream of the file whose input a row names, a raw series;
  each demodulated series gets a ``TMSArtifactMask`` of the samples inside a pulse's artifact window
  (``stimulation.artifact_window_s``).
"""

from __future__ import annotations

import numpy as np

from nwbtms.errors import ChannelNotFoundError, MetadataError, SourceError
from nwbtms.metadata.model import Session


def sync_events(times_s: np.ndarray, min_gap_s: float) -> np.ndarray:
    """Pulse times preceded by at least ``min_gap_s`` (the first pulse always), sorted."""
    times = np.sort(np.asarray(times_s, dtype=np.float64))
    if min_gap_s <= 0 or times.size == 0:
        return times
    return times[np.concatenate(([True], np.diff(times) >= min_gap_s))]


def fit_photometry_clock(session: Session, recording, stimulation):
    """``(fit, offset_s)``: the ClockFit of the recording onto the session clock (None without ``sync``) and the
    fixed offset used without one."""
    from nwbtms.imaging.clock import fit_clock

    section = session.data["photometry"]
    sync = section.get("sync")
    if not sync:
        return None, float(section.get("start_offset_s", 0.0))
    if stimulation is None or not len(stimulation):
        raise MetadataError("photometry.sync matches the TMS trigger to the delivered pulses, but the session has "
                            "no pulses", file=session.metadata_file, field="/photometry/sync",
                            hint="add a stimulation section, or drop sync and give start_offset_s")
    try:
        edges = recording.rising_edges(sync["digital_input"])
    except ChannelNotFoundError as exc:
        raise session.error(f"photometry.sync: {exc.message}", "/photometry/sync/digital_input",
                            hint=exc.hint) from None
    if edges.size < 2:
        raise SourceError(f"digital input {sync['digital_input']!r} has {edges.size} rising edge(s); the clock fit "
                          "needs the TMS trigger's", file=recording.path, field=sync["digital_input"],
                          hint="check which digital input recorded the trigger ('nwbtms inspect' counts edges)")
    reference = sync_events(stimulation.times_s, float(sync.get("min_gap_s", 0.0)))
    return fit_clock(edges, reference), 0.0


def stream_data(stream, *, fit, offset_s: float, source: str):
    """A reader's stream as the builder's :class:`~nwbtms.nwb.photometry.StreamData` on the session clock."""
    from nwbtms.imaging.clock import to_session_clock
    from nwbtms.nwb.photometry import StreamData

    scale = 1.0 + (fit.drift_ppm * 1e-6 if fit is not None else 0.0)
    shift = fit.offset_s if fit is not None else offset_s
    common = {"name": stream.name, "kind": stream.kind, "num_samples": stream.num_samples, "unit": stream.unit,
              "description": f"{stream.description} Times on the session clock.", "read": stream.read,
              "source": source}
    if stream.time_reader is None:  # regular on the device clock stays regular on the session clock
        return StreamData(starting_time_s=shift + scale * stream.first_time_s, rate_hz=stream.rate_hz / scale,
                          **common)
    if fit is not None:
        return StreamData(times=lambda a, b: to_session_clock(stream.times(a, b), fit), **common)
    return StreamData(times=lambda a, b: stream.times(a, b) + offset_s, **common)


def add_photometry(session: Session, nwbfile, assembled, *, stimulation) -> None:
    """Add the session's fiber photometry to ``nwbfile`` (see the module docstring)."""
    from ndx_tms import find_tms_tables

    from nwbtms.assembly.entries import photometry_entries
    from nwbtms.imaging.clock import build_clock_alignment
    from nwbtms.nwb.photometry import (
        RAW_PREFIX,
        add_response_series,
        build_fiber_photometry,
        build_photometry_artifact_mask,
        raw_rows,
        safe_name,
        signal_series_name,
    )
    from nwbtms.sources.registry import open_source

    section = session.data["photometry"]
    source = session.sources[section["source"]]
    recording = open_source(source.reader, source.path, **source.options)
    assembled.closers.append(recording.close)
    entries = photometry_entries(session)
    for fiber in entries.fibers:  # every declared signal exists before anything is built
        for channel in fiber.channels:
            if channel.stream not in recording.streams:
                raise session.error(
                    f"photometry fiber {fiber.key!r} names stream {channel.stream!r}, which "
                    f"{source.path.name} does not have", f"/photometry/fibers/{fiber.key}/signals/{channel.stream}",
                    hint=f"streams of the file: {', '.join(recording.streams)}")
    fit, offset_s = fit_photometry_clock(session, recording, stimulation)
    meta, rows = build_fiber_photometry(entries, nwbfile)
    table = meta.fiber_photometry_table
    ophys = nwbfile.processing["ophys"] if "ophys" in nwbfile.processing else nwbfile.create_processing_module(
        name="ophys", description="Optical physiology: segmentation, TMS artifact masks, clock alignment.")
    pulses = find_tms_tables(nwbfile).get("pulses")
    window = session.stimulation.artifact_window_s if session.stimulation else None
    written = []
    for fiber in entries.fibers:
        for channel in fiber.channels:
            data = stream_data(recording.stream(channel.stream), fit=fit, offset_s=offset_s, source=str(source.path))
            series = add_response_series(nwbfile, table, data, [rows[(fiber.key, channel.stream)]],
                                         name=signal_series_name(fiber.key, channel.excitation_wavelength_in_nm),
                                         pending=assembled.arrays)
            written.append(series.name)
            if stimulation is not None and len(stimulation) and window is not None:
                ophys.add(build_photometry_artifact_mask(series, data, stimulation.times_s, window, pulses=pulses,
                                                         pending=assembled.arrays))
    for raw in recording.of_kind("raw"):
        related = raw_rows(raw.name, rows)
        if related:
            series = add_response_series(nwbfile, table, stream_data(raw, fit=fit, offset_s=offset_s,
                                                                     source=str(source.path)),
                                         related, name=f"{RAW_PREFIX}{safe_name(raw.name)}", pending=assembled.arrays)
            written.append(series.name)
    left_out = [s.name for s in recording.of_kind("signal") if not any(s.name == c.stream for f in entries.fibers
                                                                        for c in f.channels)]
    assembled.notes.append(f"photometry '{source.key}' ({source.reader}, {recording.mode}): wrote "
                           f"{', '.join(written)}" + (f"; streams not declared, not converted: {', '.join(left_out)}"
                                                      if left_out else ""))
    if fit is not None:
        assembled.notes.append(f"photometry clock (TMS trigger on {section['sync']['digital_input']}): "
                               f"{fit.describe()}")
        ophys.add(build_clock_alignment(
            fit, name="photometry_clock_alignment", aligned_clock=f"{source.reader} ({source.key})",
            reference_clock=f"DAQ '{session.stimulation.pulses_from}' (session clock)",
            shared_signal=f"TMS trigger on the photometry system's {section['sync']['digital_input']}"))


__all__ = ["add_photometry", "fit_photometry_clock", "stream_data", "sync_events"]
