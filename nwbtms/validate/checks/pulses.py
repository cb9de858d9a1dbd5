"""Step 6, pulses: every row of the TMSPulsesTable, read in slices.

Times finite, ascending, after session start and inside their stimulation session (the ``session`` region
of ndx-tms 0.2, or 0.1's ``session_number``); intensities within the stimulator's range (0 to its model's
maximum output, 100 %MSO by definition) and agreeing with their protocol (the conditioning intensity for the
first pulse of each pair in paired-pulse protocols); protocol/target/session rows and coil references that
exist; artifact windows with start <= stop.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import h5py
import numpy as np

from nwbtms.io.h5read import pulse_session_column
from nwbtms.validate.checks._format import plain
from nwbtms.validate.checks._paths import column_path
from nwbtms.validate.checks._shared import PassHits, shared
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


@shared(TMS_PULSE_FINITE, TMS_PULSE_ASCENDING, TMS_PULSE_IN_SESSION, TMS_PULSE_INTENSITY_RANGE,
        TMS_PULSE_INTENSITY_PROTOCOL, TMS_PULSE_REFERENCES, TMS_PULSE_ARTIFACT_WINDOW)
def pulse_pass(pulses, hits: PassHits, *, chunk_elements: int = CHUNK_ELEMENTS) -> None:
    """One pass over every row of ``pulses`` (a TMSPulsesTable read from a file or built in memory) for the
    seven ``tms.pulses.*`` checks, each a part under its own guard (:mod:`._shared`).

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
    optional = [c for c in ("protocol", "target", "intensity_in_percent_mso", session_column, "pulse_number",
                            "artifact_window_in_s") if c and has_column(pulses, c)]
    feeds: list[tuple[CheckInfo, Callable[[int, np.ndarray, dict], None]]] = []
    finishes: list[tuple[CheckInfo, Callable[[], Iterator[Hit]]]] = []

    def part(check: CheckInfo, make: Callable[[], tuple[Callable, Callable] | None]) -> None:
        """Set up the part of ``check`` (under its guard): ``make()`` gives its feed and its finish, or None."""
        made = hits.guard(check, make)
        if made is not None:
            feeds.append((check, made[0]))
            finishes.append((check, made[1]))

    def first(check: CheckInfo, location: str, offenders: Callable) -> tuple[Callable, Callable]:
        """A part counting the rows ``offenders(start, times, cols, tracker)`` adds to one tracker."""
        tracker = _First(check, location)
        return (lambda start, times, cols: offenders(start, times, cols, tracker)), (lambda: tracker.hits(total))

    def finite(start, times, cols, tracker) -> None:
        tracker.add(start, np.flatnonzero(~np.isfinite(times)), lambda i, t=times: f"time is {plain(t[i])}")

    part(TMS_PULSE_FINITE, lambda: first(TMS_PULSE_FINITE, time_loc, finite))

    def ascending() -> tuple[Callable, Callable]:
        scan = AscendingScan()

        def finish() -> Iterator[Hit]:
            if scan.bad_count:
                yield TMS_PULSE_ASCENDING.hit(scan.describe("pulse times", "row", " s"), location=time_loc,
                                              index=scan.first_bad, count=scan.bad_count)
        return (lambda start, times, cols: scan.feed(start, times)), finish

    part(TMS_PULSE_ASCENDING, ascending)

    def in_session() -> tuple[Callable, Callable]:
        starts = stops = None
        if session_column in optional and sessions is not None and len(sessions):
            starts = small_column(sessions, "start_time", float)
            stops = small_column(sessions, "stop_time", float)

        def offenders(start, times, cols, tracker) -> None:
            tracker.add(start, np.flatnonzero(times < -TIME_TOLERANCE_S),
                        lambda i, t=times: f"time {plain(t[i])} s is before session_start_time")
            if starts is None:
                return
            ses = cols[session_column].astype(np.int64)
            ok = (ses >= 0) & (ses < starts.size)  # tms.pulses.references reports the others
            lo = np.full(times.shape, -np.inf)
            hi = np.full(times.shape, np.inf)
            lo[ok], hi[ok] = starts[ses[ok]], stops[ses[ok]]
            outside = (times < lo - TIME_TOLERANCE_S) | (times > hi + TIME_TOLERANCE_S)
            tracker.add(start, np.flatnonzero(outside),
                        lambda i, t=times, s=ses, a=lo, b=hi: f"time {plain(t[i])} s is outside session {s[i]} "
                                                              f"[{plain(a[i])}, {plain(b[i])}] s")
        return first(TMS_PULSE_IN_SESSION, time_loc, offenders)

    part(TMS_PULSE_IN_SESSION, in_session)
    mso_loc = column_path(pulses, "intensity_in_percent_mso")

    def intensity_range() -> tuple[Callable, Callable] | None:
        if "intensity_in_percent_mso" not in optional:
            return None
        maximum_output = _maximum_output(region_table(pulses, "coil"))

        def offenders(start, times, cols, tracker) -> None:
            mso = cols["intensity_in_percent_mso"].astype(float)
            tracker.add(start, np.flatnonzero((mso < 0) | (mso > maximum_output)),
                        lambda i, m=mso: f"intensity {plain(m[i])} %MSO is outside the stimulator's "
                                         f"range 0-{maximum_output:g}")
        return first(TMS_PULSE_INTENSITY_RANGE, mso_loc, offenders)

    part(TMS_PULSE_INTENSITY_RANGE, intensity_range)

    def intensity_protocol() -> tuple[Callable, Callable] | None:
        if not {"protocol", "intensity_in_percent_mso"} <= set(optional) or protocols is None \
                or not has_column(protocols, "intensity_in_percent_mso"):
            return None
        n_protocols = len(protocols)
        protocol_mso = small_column(protocols, "intensity_in_percent_mso", float)
        conditioning_mso = _conditioning_mso(protocols)

        def offenders(start, times, cols, tracker) -> None:
            mso = cols["intensity_in_percent_mso"].astype(float)
            prot = cols["protocol"].astype(np.int64)
            bad = (prot < 0) | (prot >= n_protocols)  # tms.pulses.references reports these
            expected = np.full(prot.shape, np.nan)
            expected[~bad] = protocol_mso[prot[~bad]]
            if conditioning_mso is not None and "pulse_number" in cols:
                # paired-pulse protocols: the first pulse of each pair is the conditioning pulse
                is_first = ~bad & (cols["pulse_number"].astype(np.int64) == 0)
                paired = np.full(prot.shape, np.nan)
                paired[is_first] = conditioning_mso[prot[is_first]]
                use = np.isfinite(paired)
                expected[use] = paired[use]
            off = np.abs(mso - expected) > INTENSITY_TOLERANCE_PERCENT_MSO + 1e-9
            tracker.add(start, np.flatnonzero(off),
                        lambda i, m=mso, e=expected, p=prot: f"intensity {plain(m[i])} %MSO but protocol row {p[i]} "
                                                             f"declares {plain(e[i])} %MSO")
        return first(TMS_PULSE_INTENSITY_PROTOCOL, mso_loc, offenders)

    part(TMS_PULSE_INTENSITY_PROTOCOL, intensity_protocol)

    def references() -> tuple[Callable, Callable]:
        trackers = []
        for column, table, what in (("protocol", protocols, "protocols"), ("target", targets, "targets"),
                                    (session_column, sessions, "sessions")):
            if column not in optional or table is None or (what == "sessions" and not len(table)):
                continue
            size = len(table)
            noun = f"{column} {{}} has no row in the sessions table" if what == "sessions" \
                else f"{column} row {{}} does not exist"
            trackers.append((column, size, noun, what, _First(TMS_PULSE_REFERENCES, column_path(pulses, column))))

        def feed(start, times, cols) -> None:
            for column, size, noun, what, tracker in trackers:
                rows = cols[column].astype(np.int64)
                tracker.add(start, np.flatnonzero((rows < 0) | (rows >= size)),
                            lambda i, r=rows, n=noun, s=size, w=what: f"{n.format(r[i])} ({s} {w})")

        def finish() -> Iterator[Hit]:
            for *_rest, tracker in trackers:
                yield from tracker.hits(total)
            if has_column(pulses, "coil"):
                yield from check_coil_references(pulses, chunk_elements=chunk_elements)
        return feed, finish

    part(TMS_PULSE_REFERENCES, references)

    def artifact_window() -> tuple[Callable, Callable] | None:
        if "artifact_window_in_s" not in optional:
            return None

        def offenders(start, times, cols, tracker) -> None:
            w = cols["artifact_window_in_s"].astype(float).reshape(-1, 2)
            tracker.add(start, np.flatnonzero(w[:, 1] < w[:, 0]),
                        lambda i, w=w: f"window ({plain(w[i, 0])}, {plain(w[i, 1])}) stops before it starts")
        return first(TMS_PULSE_ARTIFACT_WINDOW, column_path(pulses, "artifact_window_in_s"), offenders)

    part(TMS_PULSE_ARTIFACT_WINDOW, artifact_window)

    for start, times in iter_rows(pulses["timestamp"].data, chunk_elements=chunk_elements):
        stop_row = start + times.shape[0]
        cols = {c: np.asarray(unwrap(pulses[c].data)[start:stop_row]) for c in optional}
        times = times.astype(float) * scale
        for check, feed in feeds:
            hits.guard(check, feed, start, times, cols)
    for check, finish in finishes:
        hits.guard(check, finish)


@register_check(TMS_PULSE_FINITE, neurodata_type="TMSPulsesTable")
def check_pulse_times_finite(pulses, *, chunk_elements: int = CHUNK_ELEMENTS) -> Iterator[Hit]:
    """Every pulse time is finite (from the shared pass over the pulses, :func:`pulse_pass`)."""
    yield from pulse_pass.hits(TMS_PULSE_FINITE, pulses, chunk_elements=chunk_elements)


@register_check(TMS_PULSE_ASCENDING, neurodata_type="TMSPulsesTable")
def check_pulse_times_ascending(pulses, *, chunk_elements: int = CHUNK_ELEMENTS) -> Iterator[Hit]:
    """Pulse times never decrease."""
    yield from pulse_pass.hits(TMS_PULSE_ASCENDING, pulses, chunk_elements=chunk_elements)


@register_check(TMS_PULSE_IN_SESSION, neurodata_type="TMSPulsesTable")
def check_pulses_in_session(pulses, *, chunk_elements: int = CHUNK_ELEMENTS) -> Iterator[Hit]:
    """Pulses lie after session start and inside their stimulation session."""
    yield from pulse_pass.hits(TMS_PULSE_IN_SESSION, pulses, chunk_elements=chunk_elements)


@register_check(TMS_PULSE_INTENSITY_RANGE, neurodata_type="TMSPulsesTable")
def check_pulse_intensity_range(pulses, *, chunk_elements: int = CHUNK_ELEMENTS) -> Iterator[Hit]:
    """Pulse intensities lie within 0 and the stimulator's maximum output."""
    yield from pulse_pass.hits(TMS_PULSE_INTENSITY_RANGE, pulses, chunk_elements=chunk_elements)


@register_check(TMS_PULSE_INTENSITY_PROTOCOL, neurodata_type="TMSPulsesTable")
def check_pulse_intensity_protocol(pulses, *, chunk_elements: int = CHUNK_ELEMENTS) -> Iterator[Hit]:
    """Pulse intensities agree with their protocol's (the conditioning intensity for a pair's first pulse)."""
    yield from pulse_pass.hits(TMS_PULSE_INTENSITY_PROTOCOL, pulses, chunk_elements=chunk_elements)


@register_check(TMS_PULSE_REFERENCES, neurodata_type="TMSPulsesTable")
def check_pulse_references(pulses, *, chunk_elements: int = CHUNK_ELEMENTS) -> Iterator[Hit]:
    """Every pulse refers to an existing protocol, target, session and coil."""
    yield from pulse_pass.hits(TMS_PULSE_REFERENCES, pulses, chunk_elements=chunk_elements)


@register_check(TMS_PULSE_ARTIFACT_WINDOW, neurodata_type="TMSPulsesTable")
def check_pulse_artifact_windows(pulses, *, chunk_elements: int = CHUNK_ELEMENTS) -> Iterator[Hit]:
    """Every artifact window has start <= stop."""
    yield from pulse_pass.hits(TMS_PULSE_ARTIFACT_WINDOW, pulses, chunk_elements=chunk_elements)


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
