"""Step 6, pulses: every row of the TMSPulsesTable, read in slices.

Times finite, ascending, after session start and inside their stimulation session (the ``session`` region
of ndx-tms 0.2, or 0.1's ``session_number``); intensities within the stimulator's range (0 to its model's
maximum output, 100 %MSO by definition) and agreeing with their protocol (the conditioning intensity for the
first pulse of each pair in paired-pulse protocols); protocol/target/session rows and coil references that
exist; artifact windows with start <= stop.
"""

from __future__ import annotations

from collections.abc import Iterator

import h5py
import numpy as np

from nwbtms.io.h5read import pulse_session_column
from nwbtms.validate.checks._format import plain
from nwbtms.validate.checks._paths import column_path
from nwbtms.validate.checks._tables import has_column, region_table, sibling, small_column
from nwbtms.validate.checks.units import seconds_of
from nwbtms.validate.chunked import CHUNK_ELEMENTS, AscendingScan, FirstOffender, iter_rows, n_rows, unwrap
from nwbtms.validate.findings import Severity
from nwbtms.validate.registry import TMS_ONLY, CheckInfo, Hit, define, register_check

TMS_PULSE_FINITE = define("tms.pulses.finite", Severity.CRITICAL, 6, "Every pulse time is finite.",
                          "Remove or re-time pulses with NaN/inf times.", profiles=TMS_ONLY)
TMS_PULSE_ASCENDING = define("tms.pulses.ascending", Severity.CRITICAL, 6, "Pulse times never decrease.",
                             "Sort the pulses by time before writing (all columns together).", profiles=TMS_ONLY)
TMS_PULSE_IN_SESSION = define("tms.pulses.in_session", Severity.CRITICAL, 6,
                              "Pulses lie after session start and inside their stimulation session.",
                              "Check the clock alignment and the session of the pulses.", profiles=TMS_ONLY)
TMS_PULSE_INTENSITY_RANGE = define("tms.pulses.intensity_range", Severity.CRITICAL, 6, "Pulse intensities are within "
                                   "0-100 %MSO.", "Intensities are in %MSO (0-100); NaN when unknown.",
                                   profiles=TMS_ONLY)
TMS_PULSE_INTENSITY_PROTOCOL = define(
    "tms.pulses.intensity_protocol", Severity.BEST_PRACTICE_VIOLATION, 6,
    "Pulse intensity agrees with its protocol's intensity in %MSO.",
    "Check the protocol row of these pulses, or the stimulator log used for the intensities.",
    profiles=TMS_ONLY)
TMS_PULSE_REFERENCES = define("tms.pulses.references", Severity.CRITICAL, 6,
                              "Every pulse refers to an existing protocol, target and coil.",
                              "Fix the protocol/target row indices or the coil reference of these pulses.",
                              profiles=TMS_ONLY)
TMS_PULSE_ARTIFACT_WINDOW = define(
    "tms.pulses.artifact_window", Severity.CRITICAL, 6,
    "artifact_window_in_s has start <= stop.",
    "Write (start, stop) relative to the pulse, start <= stop.",
    profiles=TMS_ONLY)

#: Stimulators set output in whole %MSO steps (MagPro, Magstim front panels), so a per-pulse intensity may
#: differ from a derived protocol intensity by rounding, at most 0.5 %MSO.
INTENSITY_TOLERANCE_PERCENT_MSO = 0.5
#: Pulse and session times are written at 1 us resolution (docs/ARCHITECTURE.md, "Timing is integer microseconds").
TIME_TOLERANCE_S = 1e-6


class _First(FirstOffender):
    """Offending pulses of one check at one location."""

    def __init__(self, check: CheckInfo, location: str) -> None:
        super().__init__()
        self.check, self.location = check, location

    def hits(self, total: int) -> Iterator[Hit]:
        if self.count:
            yield self.check.hit(f"{self.count} of {total} pulse(s): first at row {self.index}: {self.detail}",
                                 location=self.location, index=self.index, count=self.count)


def _maximum_output(coils) -> float:
    """Largest output of the stimulators driving the coils of ``coils`` (a TMSCoilsTable), %MSO (100 when not
    stated)."""
    outputs = []
    if coils is not None and has_column(coils, "device"):
        for coil in coils["device"].data[:]:
            model = getattr(getattr(coil, "stimulator", None), "model", None)
            value = getattr(model, "maximum_output_in_percent_mso", None)
            if value is not None and np.isfinite(value):
                outputs.append(float(value))
    return max(outputs) if outputs else 100.0


def _conditioning_mso(protocols) -> np.ndarray | None:
    """Conditioning-pulse %MSO per protocol row (NaN where the protocol has one intensity), or None."""
    if not has_column(protocols, "conditioning_intensity_in_percent_mso"):
        return None
    return small_column(protocols, "conditioning_intensity_in_percent_mso", float)


@register_check(TMS_PULSE_FINITE, TMS_PULSE_ASCENDING, TMS_PULSE_IN_SESSION, TMS_PULSE_INTENSITY_RANGE,
                TMS_PULSE_INTENSITY_PROTOCOL, TMS_PULSE_REFERENCES, TMS_PULSE_ARTIFACT_WINDOW,
                neurodata_type="TMSPulsesTable")
def check_pulses(pulses, *, chunk_elements: int = CHUNK_ELEMENTS) -> Iterator[Hit]:
    """Check every row of ``pulses`` (a TMSPulsesTable read from a file or built in memory).

    Its protocols, targets, sessions and coils are the tables its regions point into (ndx-tms 0.2: the
    sessions in /intervals), or, for 0.1's integer ``session_number``, the sessions beside it in /general/tms.
    """
    total = n_rows(pulses["timestamp"].data)
    if total == 0:
        return
    time_loc = column_path(pulses, "timestamp")
    scale = seconds_of(pulses["timestamp"])  # times in their declared unit (data.time_unit reports non-seconds)
    protocols, targets = region_table(pulses, "protocol"), region_table(pulses, "target")
    sessions = region_table(pulses, "session")
    if sessions is None:
        sessions = sibling(pulses, "sessions")
    session_column = pulse_session_column(pulses.colnames)
    maximum_output = _maximum_output(region_table(pulses, "coil"))
    finite = _First(TMS_PULSE_FINITE, time_loc)
    in_session = _First(TMS_PULSE_IN_SESSION, time_loc)
    intensity_range = _First(TMS_PULSE_INTENSITY_RANGE, column_path(pulses, "intensity_in_percent_mso"))
    intensity_protocol = _First(TMS_PULSE_INTENSITY_PROTOCOL, column_path(pulses, "intensity_in_percent_mso"))
    protocol_refs = _First(TMS_PULSE_REFERENCES, column_path(pulses, "protocol"))
    target_refs = _First(TMS_PULSE_REFERENCES, column_path(pulses, "target"))
    session_refs = _First(TMS_PULSE_REFERENCES, column_path(pulses, session_column or "session"))
    windows = _First(TMS_PULSE_ARTIFACT_WINDOW, column_path(pulses, "artifact_window_in_s"))
    ascending = AscendingScan()

    n_protocols = len(protocols) if protocols is not None else None
    n_targets = len(targets) if targets is not None else None
    protocol_mso = (small_column(protocols, "intensity_in_percent_mso", float)
                    if has_column(protocols, "intensity_in_percent_mso") else None)
    conditioning_mso = _conditioning_mso(protocols)
    starts = stops = None
    if sessions is not None and len(sessions):
        starts = small_column(sessions, "start_time", float)
        stops = small_column(sessions, "stop_time", float)

    optional = [c for c in ("protocol", "target", "intensity_in_percent_mso", session_column, "pulse_number",
                            "artifact_window_in_s") if c and has_column(pulses, c)]
    for start, times in iter_rows(pulses["timestamp"].data, chunk_elements=chunk_elements):
        stop_row = start + times.shape[0]
        cols = {c: np.asarray(unwrap(pulses[c].data)[start:stop_row]) for c in optional}
        times = times.astype(float) * scale
        finite.add(start, np.flatnonzero(~np.isfinite(times)), lambda i, t=times: f"time is {plain(t[i])}")
        ascending.feed(start, times)
        in_session.add(start, np.flatnonzero(times < -TIME_TOLERANCE_S),
                       lambda i, t=times: f"time {plain(t[i])} s is before session_start_time")
        if "intensity_in_percent_mso" in cols:
            mso = cols["intensity_in_percent_mso"].astype(float)
            intensity_range.add(start, np.flatnonzero((mso < 0) | (mso > maximum_output)),
                                lambda i, m=mso: f"intensity {plain(m[i])} %MSO is outside the stimulator's "
                                                 f"range 0-{maximum_output:g}")
        if "protocol" in cols and n_protocols is not None:
            prot = cols["protocol"].astype(np.int64)
            bad = (prot < 0) | (prot >= n_protocols)
            protocol_refs.add(start, np.flatnonzero(bad),
                              lambda i, p=prot: f"protocol row {p[i]} does not exist ({n_protocols} protocols)")
            if protocol_mso is not None and "intensity_in_percent_mso" in cols:
                expected = np.full(prot.shape, np.nan)
                expected[~bad] = protocol_mso[prot[~bad]]
                if conditioning_mso is not None and "pulse_number" in cols:
                    # paired-pulse protocols: the first pulse of each pair is the conditioning pulse
                    first = ~bad & (cols["pulse_number"].astype(np.int64) == 0)
                    paired = np.full(prot.shape, np.nan)
                    paired[first] = conditioning_mso[prot[first]]
                    use = np.isfinite(paired)
                    expected[use] = paired[use]
                off = np.abs(mso - expected) > INTENSITY_TOLERANCE_PERCENT_MSO + 1e-9
                intensity_protocol.add(
                    start, np.flatnonzero(off),
                    lambda i, m=mso, e=expected, p=prot: f"intensity {plain(m[i])} %MSO but protocol row {p[i]} "
                                                         f"declares {plain(e[i])} %MSO")
        if "target" in cols and n_targets is not None:
            tgt = cols["target"].astype(np.int64)
            target_refs.add(start, np.flatnonzero((tgt < 0) | (tgt >= n_targets)),
                            lambda i, g=tgt: f"target row {g[i]} does not exist ({n_targets} targets)")
        if session_column in cols and starts is not None:
            ses = cols[session_column].astype(np.int64)
            bad = (ses < 0) | (ses >= starts.size)
            session_refs.add(start, np.flatnonzero(bad),
                             lambda i, s=ses: f"{session_column} {s[i]} has no row in the sessions table "
                                              f"({starts.size} sessions)")
            ok = ~bad
            lo = np.full(times.shape, -np.inf)
            hi = np.full(times.shape, np.inf)
            lo[ok], hi[ok] = starts[ses[ok]], stops[ses[ok]]
            outside = (times < lo - TIME_TOLERANCE_S) | (times > hi + TIME_TOLERANCE_S)
            in_session.add(start, np.flatnonzero(outside),
                           lambda i, t=times, s=ses, a=lo, b=hi: f"time {plain(t[i])} s is outside session {s[i]} "
                                                                 f"[{plain(a[i])}, {plain(b[i])}] s")
        if "artifact_window_in_s" in cols:
            w = cols["artifact_window_in_s"].astype(float).reshape(-1, 2)
            windows.add(start, np.flatnonzero(w[:, 1] < w[:, 0]),
                        lambda i, w=w: f"window ({plain(w[i, 0])}, {plain(w[i, 1])}) stops before it starts")
    for tracker in (finite, in_session, intensity_range, intensity_protocol, protocol_refs, target_refs,
                    session_refs, windows):
        yield from tracker.hits(total)
    if ascending.bad_count:
        yield TMS_PULSE_ASCENDING.hit(ascending.describe("pulse times", "row", " s"),
                                      location=time_loc, index=ascending.first_bad, count=ascending.bad_count)
    if has_column(pulses, "coil"):
        yield from check_coil_references(pulses, chunk_elements=chunk_elements)


def check_coil_references(pulses, *, chunk_elements: int = CHUNK_ELEMENTS) -> Iterator[Hit]:
    """Every pulse's coil exists: a row of the TMSCoilsTable whose device is a TMSCoil (or, in files written
    before the coils table, an object reference to a TMSCoil)."""
    column = pulses["coil"]
    location = column_path(pulses, "coil")
    coils = getattr(column, "table", None)
    if coils is None:
        yield from _coil_object_references(unwrap(column.data), location, chunk_elements)
        return
    n_coils = len(coils)
    tracker = _First(TMS_PULSE_REFERENCES, location)
    for start, block in iter_rows(column.data, chunk_elements=chunk_elements):
        rows = np.asarray(block, dtype=np.int64)
        tracker.add(start, np.flatnonzero((rows < 0) | (rows >= n_coils)),
                    lambda i, r=rows: f"coil row {r[i]} does not exist ({n_coils} coils)")
    yield from tracker.hits(n_rows(column.data))
    if has_column(coils, "device"):
        yield from _coil_object_references(unwrap(coils["device"].data), column_path(coils, "device"),
                                           chunk_elements, what="coils table row")


def _coil_object_references(data, location: str, chunk_elements: int, what: str = "pulse") -> Iterator[Hit]:
    """Every object reference in ``data`` resolves to a TMSCoil (dereferenced once per distinct object)."""
    if not isinstance(data, h5py.Dataset):
        bad = [i for i, c in enumerate(data) if getattr(c, "neurodata_type", None) != "TMSCoil"]
        if bad:
            yield TMS_PULSE_REFERENCES.hit(f"{len(bad)} {what}(s) refer to something other than a TMSCoil; "
                                           f"first at row {bad[0]}", location=location, index=bad[0],
                                           count=len(bad))
        return
    root = data.file
    verdict: dict = {}
    first, count, reason = None, 0, ""
    for start, block in iter_rows(data, chunk_elements=chunk_elements):
        for offset, ref in enumerate(block):
            problem = None
            if not ref:
                problem = "null coil reference"
            else:
                try:
                    oid = h5py.h5r.dereference(ref, root.id)
                except Exception:
                    oid = None
                if oid is None:
                    problem = "coil reference points nowhere"
                else:
                    if oid not in verdict:
                        obj = root[ref]
                        kind = obj.attrs.get("neurodata_type", b"")
                        kind = kind.decode() if isinstance(kind, bytes) else str(kind)
                        verdict[oid] = (None if kind == "TMSCoil" else
                                        f"coil reference points at {obj.name} ({kind or 'untyped'}), not a TMSCoil")
                    problem = verdict[oid]
            if problem:
                count += 1
                if first is None:
                    first, reason = start + offset, problem
    if count:
        yield TMS_PULSE_REFERENCES.hit(f"{count} {what}(s) with a bad coil: first at row {first}: {reason}",
                                       location=location, index=first, count=count)
