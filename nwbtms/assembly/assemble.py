"""Assemble one session: read every source, align clocks, and build the NWBFile (nothing written yet).

This is where the metadata decides what goes where: the DAQ of ``stimulation.pulses_from`` is the
session clock; pulses and adverse events go to ``nwbfile.events``, stimulation sessions to
``nwbfile.intervals``, the other TMS tables (and the reconciliation, coils) to ``TMSExperimentMetadata`` in
``/general/tms`` (ndx-tms 0.2 placement); each imaging plane's movie, segmentation, artifact mask and clock
alignment to acquisition and ``ophys``; fiber photometry to ``/general/fiber_photometry``, acquisition and
``ophys`` (``nwbtms/assembly/photometry.py``); manipulations to ``nwbfile.events``. Movies are streamed: the
builder adds an empty, chunked dataset and :meth:`AssembledSession.fill` streams the frames into the written
file (two steps around the atomic write, so memory stays bounded).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from nwbtms.metadata.model import Session


@dataclass(kw_only=True)
class SessionCounts:
    """How much of each kind a session's file holds (shared by the assembled session, the conversion result
    and the batch ledger)."""

    num_pulses: int = 0
    num_sessions: int = 0
    num_frames: int = 0
    num_rois: int = 0

    def counts(self) -> dict[str, int]:
        """The counts as a mapping (``num_pulses``...), e.g. for a JSON ledger."""
        return {name: int(getattr(self, name)) for name in COUNT_FIELDS}

    def counts_line(self) -> str:
        """``pulses: 600  sessions: 1  frames: 40  ROIs: 9``."""
        return (f"pulses: {self.num_pulses}  sessions: {self.num_sessions}  frames: {self.num_frames}  "
                f"ROIs: {self.num_rois}")


COUNT_FIELDS = ("num_pulses", "num_sessions", "num_frames", "num_rois")


@dataclass
class AssembledSession(SessionCounts):
    """The in-memory NWBFile of a session and the steps that stream its large data after writing."""

    nwbfile: Any
    notes: list[str] = field(default_factory=list)
    movies: list[Any] = field(default_factory=list)
    #: raw DAQ and fluorescence traces allocated empty, filled after the write (``nwbtms.nwb.deferred``)
    arrays: list[Any] = field(default_factory=list)
    closers: list[Callable[[], None]] = field(default_factory=list)

    def fill(self, *, quiet: bool = False) -> dict[str, int]:
        """Stream the movies and traces into the file just written (inside the open ``NWBHDF5IO``, after
        ``write``); returns frames or rows written per name."""
        written: dict[str, int] = {}
        if self.arrays:
            from nwbtms.nwb.deferred import fill_arrays

            written.update(fill_arrays(self.arrays))
        if self.movies:
            from nwbtms.nwb.imaging import fill_movies

            written.update(fill_movies(self.movies, quiet=quiet))
        return written

    def close(self) -> None:
        """Close the sources kept open for streaming."""
        for closer in self.closers:
            closer()


def assemble_session(
    session: Session, *, quiet: bool = False, compression: str | None = None
) -> AssembledSession:
    """Read the sources of ``session`` and build its NWBFile (see the module docstring)."""
    from nwbtms.assembly.entries import session_entries
    from nwbtms.nwb import session as build

    entries = session_entries(session)
    nwbfile = build.build_nwbfile(entries)
    assembled = AssembledSession(nwbfile=nwbfile)
    stimulation, metadata, cell_type_rows = add_tms_content(session, nwbfile, assembled, entries=entries)
    if session.section("imaging_planes"):
        from nwbtms.assembly.imaging import add_imaging_planes

        add_imaging_planes(session, nwbfile, assembled, stimulation=stimulation, metadata=metadata,
                           cell_type_rows=cell_type_rows, compression=compression, quiet=quiet)
    if session.data.get("photometry"):
        from nwbtms.assembly.photometry import add_photometry

        add_photometry(session, nwbfile, assembled, stimulation=stimulation)
    for reader, sources in self_adding_sources(session):  # e.g. reader: neuroconv, after nwbtms's own content
        assembled.notes.extend(reader.add_sources(sources, nwbfile, metadata_file=session.metadata_file))
    return assembled


def self_adding_sources(session: Session) -> list[tuple[Any, list]]:
    """``(reader class, its sources)`` for every registered reader of ``session``'s sources that adds its own data
    to the NWB file (``Reader.adds_to_nwbfile``, e.g. ``reader: neuroconv``), in the metadata file's order."""
    from nwbtms.sources.registry import reader

    grouped: dict[str, list] = {}
    for source in session.sources.values():
        if reader(source.reader).adds_to_nwbfile:
            grouped.setdefault(source.reader, []).append(source)
    return [(reader(name), sources) for name, sources in grouped.items()]


def add_tms_content(session: Session, nwbfile, assembled: AssembledSession, *, stimulation=None,
                    with_pulses: bool = True, entries=None) -> tuple[Any, Any, dict[str, int]]:
    """Add the TMS part of ``session`` to ``nwbfile``: TMS metadata tables, pulses, sessions, reconciliation,
    raw traces, manipulations and the study design (not devices, not imaging).

    ``stimulation`` is read from the session unless given (the NeuroConv interfaces pass their aligned
    one); ``with_pulses=False`` leaves the pulses out; ``entries``: the session's
    :class:`~nwbtms.nwb.entries.SessionEntries` when already made. Returns ``(stimulation, TMSExperimentMetadata,
    cell type rows)``.
    """
    from nwbtms.assembly.entries import session_entries
    from nwbtms.assembly.stimulation import read_stimulation
    from nwbtms.nwb import session as build

    if entries is None:
        entries = session_entries(session, with_file=False)
    spaces = build.build_coordinate_spaces(entries)
    thresholds, threshold_rows = build.build_thresholds(entries)
    protocols, protocol_rows = build.build_protocols(entries, thresholds, threshold_rows)
    targets, target_rows = build.build_targets(entries, spaces)
    cell_types, cell_type_rows = build.build_cell_types(entries)
    tables: dict[str, Any] = {
        "thresholds": thresholds, "protocols": protocols, "targets": targets, "cell_types": cell_types,
    }
    if with_pulses and stimulation is None:
        stimulation = read_stimulation(session)
    if not with_pulses:
        stimulation = None
    placed: dict[str, Any] = {"pulses": None, "sessions": None, "reconciliation": None}
    if stimulation is not None:
        placed = _pulse_tables(session, nwbfile, stimulation, protocols, protocol_rows, targets, target_rows)
        tables["coils"] = placed["pulses"].coils
        if session.stimulation.keep_raw_traces and stimulation.source == "trigger_ttl":
            _add_raw_traces(session, nwbfile, assembled, clock_offset_s=stimulation.clock_offset_s)
        elif stimulation.source == "trigger_ttl":
            assembled.notes.append(f"DAQ '{session.stimulation.pulses_from}': pulse times detected; no raw "
                                   "trace stored (set stimulation.keep_raw_traces: true to keep the trigger "
                                   "and frame-clock channels)")
        assembled.num_pulses = len(stimulation)
        assembled.num_sessions = len(stimulation.sessions)
        assembled.notes.extend(stimulation.notes)
        assembled.notes.extend(_reconciliation_notes(stimulation))
    from ndx_tms import add_tms_tables

    metadata = build.build_tms_metadata(entries, tables=tables, spaces=spaces,
                                        registrations=build.build_registrations(entries, spaces, nwbfile.devices))
    # metadata first, then sessions, pulses and the reconciliation: every region's table is then already in
    # the file when the region is added
    add_tms_tables(nwbfile, metadata=metadata, sessions=placed["sessions"], pulses=placed["pulses"],
                   adverse_events=build.build_adverse_events(entries))
    if placed["reconciliation"] is not None:
        metadata.reconciliation = placed["reconciliation"]
    build.add_manipulations(nwbfile, entries, cell_type_rows)
    add_study_design(session, nwbfile)
    add_behavior(session, nwbfile, assembled)
    return stimulation, metadata, cell_type_rows


def add_study_design(session: Session, nwbfile) -> None:
    """Add ``/general/study_design`` when the metadata has any design section, or fiber photometry (else nothing,
    so files without one cache no ndx-study-design namespace). A file with photometry always has one: the
    ndx-study-design namespace includes ndx-tms and ndx-fiber-photometry, and only with it cached does pynwb
    validate the file against one namespace that knows both (see ``ndx_study_design``)."""
    from nwbtms.assembly.entries import study_design_entry
    from nwbtms.nwb.design import build_study_design

    design = study_design_entry(session.data)
    if design or session.data.get("photometry"):
        nwbfile.add_lab_meta_data(build_study_design(design, session_start_time=session.session_start_time))


def _pulse_tables(session, nwbfile, stimulation, protocols, protocol_rows, targets, target_rows) -> dict:
    from nwbtms.nwb.pulses import build_pulses_table, build_reconciliation_table, build_sessions_table
    from nwbtms.protocols.reconcile import TOLERANCE_NOTE

    stim = session.stimulation
    coil = nwbfile.devices[stim.coil]
    protocol_row = protocol_rows[stim.protocol]
    target_row = target_rows[stim.target]
    spans = [s.span for s in stimulation.sessions]
    sessions = build_sessions_table(spans, protocols_table=protocols, targets_table=targets,
                                    protocol_row=protocol_row, target_row=target_row,
                                    sham=[s.sham for s in stimulation.sessions])
    pulses = build_pulses_table(
        stimulation.merged, protocols_table=protocols, targets_table=targets, coil=coil,
        protocol_row=protocol_row, target_row=target_row, sessions_table=sessions,
        schedule_indices={"session": stimulation.session_number, "train": stimulation.train_number,
                          "burst": stimulation.burst_number, "pulse": stimulation.pulse_number},
        artifact_window_s=stim.artifact_window_s, scheduled_time_s=stimulation.scheduled_time_s,
        source=stimulation.source, source_description=stimulation.source_description,
    )
    reconciliation = build_reconciliation_table(
        [s.reconciliation for s in stimulation.sessions], sessions, protocols,
        declared_times_s=[s.schedule.times_s for s in stimulation.sessions], protocol_row=protocol_row,
        description="Delivered pulses (trigger TTL) compared with the declared protocol's whole schedule, one row "
                    f"per session; {TOLERANCE_NOTE.format(stim.match_tolerance_s)} (stimulation.match_tolerance_s).",
    )
    return {"pulses": pulses, "sessions": sessions, "reconciliation": reconciliation}


def _add_raw_traces(session: Session, nwbfile, assembled: AssembledSession, *, clock_offset_s: float) -> None:
    """Trigger (and frame clock) channels of the pulse DAQ as streamed TimeSeries in acquisition, every sweep.

    The recording stays open until the file is written (the series stream from it) and is then closed.
    """
    from nwbtms.assembly.stimulation import open_daq
    from nwbtms.nwb.pulses import raw_trace_series_per_segment

    stim = session.stimulation
    options = session.sources[stim.pulses_from].options
    recording = open_daq(session, stim.pulses_from)
    assembled.closers.append(recording.close)
    kept = []
    for option in ("trigger_channel", "frame_clock_channel"):
        if options.get(option):
            kept.append(options[option])
            for series in raw_trace_series_per_segment(recording, options[option], clock_offset_s=clock_offset_s,
                                                       pending=assembled.arrays):
                nwbfile.add_acquisition(series)
    left_out = [name for name in recording.channel_names if name not in kept]
    assembled.notes.append(
        f"DAQ '{stim.pulses_from}': raw traces of {', '.join(repr(k) for k in kept)} stored, "
        f"{len(recording.segments)} sweep(s), {recording.num_samples} samples each channel"
        + (f"; other channels not stored: {', '.join(repr(n) for n in left_out)}" if left_out else ""))


def _reconciliation_notes(stimulation) -> list[str]:
    notes = []
    for number, part in enumerate(stimulation.sessions):
        result = part.reconciliation
        if not result.ok:
            places = "; ".join(str(d) for d in result.discrepancies[:3])
            notes.append(f"stimulation session {number}: {result.missing.size} missing, "
                         f"{result.extra.size} extra pulse(s) ({places})")
    return notes


def add_behavior(session: Session, nwbfile, assembled: AssembledSession) -> None:
    """The subject's tests of every behaviour source, together, as ``intervals/behavior``
    (``nwbtms/nwb/behavior.py``)."""
    from nwbtms.nwb.behavior import ScoredTest, build_behavior_intervals
    from nwbtms.sources.registry import open_source, reader_names

    tests, measures, names = [], {}, []
    for source in (s for s in session.sources.values() if s.reader in reader_names("behavior")):
        scores = open_source(source.reader, source.path, **source.options)
        mine = scores.of_subject(session.subject_id)
        assembled.notes.append(f"behaviour '{source.key}': {len(mine)} test(s) of subject {session.subject_id}")
        tests += [ScoredTest(test=t.test, session=t.session, start_time=t.start_time, duration_s=t.duration_s,
                             values=dict(t.values)) for t in mine]
        measures.update(scores.measures)
        names.append(source.path.name)
    if tests:
        nwbfile.add_time_intervals(build_behavior_intervals(
            tests, measures, session_start_time=session.session_start_time, source=", ".join(names)))
