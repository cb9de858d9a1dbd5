"""Step 6, every row of the small TMS tables on its own terms, whether or not anything refers to it: protocol
timing levels (counts, intervals, ragged indices within their data), thresholds within 0-100 %MSO, and
stimulation sessions of one coil that overlap in time.

Each function takes one table (read from a file or built in memory) and yields hits; the runner calls it for
every object of that neurodata type, wherever the file keeps it.
"""

from __future__ import annotations

import math
from collections.abc import Iterator

import numpy as np

from nwbtms.io.h5read import pulse_session_column
from nwbtms.validate.checks._format import plain
from nwbtms.validate.checks._paths import column_path, object_path
from nwbtms.validate.checks._tables import file_objects, has_column, small_column
from nwbtms.validate.chunked import CHUNK_ELEMENTS, iter_rows, unwrap
from nwbtms.validate.findings import Severity
from nwbtms.validate.registry import Hit, define, register_check

TMS_PROTOCOL_LEVELS = define(
    "tms.protocols.levels", Severity.CRITICAL, 6,
    "Every protocol row's timing levels: counts >= 1, intervals finite and >= 0 (> 0 when the count is above 1), "
    "level, count and interval lists of equal length, ragged indices within their data.",
    "Rewrite the protocol row's timing_level, timing_count and timing_interval_in_s (one entry per level, "
    "innermost first) and their _index columns.", profiles=("tms",))
TMS_THRESHOLD_RANGE = define(
    "tms.thresholds.range", Severity.CRITICAL, 6, "Every threshold is above 0 and at most 100 %MSO.",
    "Thresholds are in %MSO of the stimulator (0-100]; NaN when not measured.", profiles=("tms",))
TMS_SESSIONS_OVERLAP = define(
    "tms.sessions.overlap", Severity.BEST_PRACTICE_VIOLATION, 6,
    "Stimulation sessions delivered by one coil do not overlap in time.",
    "Check the start and stop times of these sessions (one coil delivers one session at a time) or the coil "
    "of their pulses.", profiles=("tms",))

#: Levels of a protocol row, innermost first.
TIMING_COLUMNS = ("timing_level", "timing_count", "timing_interval_in_s")
#: Session times are written at 1 us resolution; sessions touching within it do not overlap.
TIME_TOLERANCE_S = 1e-6


def ragged_bounds(table, name: str) -> tuple[np.ndarray, int, str] | None:
    """``(ends, data length, index column name)`` of the ragged column ``name``, read raw (no row is sliced
    through hdmf, so an index past its data is seen, not truncated); None when the column is not ragged."""
    if not has_column(table, name):
        return None
    column = table[name]
    target = getattr(column, "target", None)
    if target is None:  # a plain VectorData: not ragged
        return None
    ends = np.asarray(unwrap(column.data)[:], dtype=np.int64).reshape(-1)
    data = unwrap(target.data)
    length = int(data.shape[0]) if hasattr(data, "shape") else len(data)
    return ends, length, column.name


@register_check(TMS_PROTOCOL_LEVELS, neurodata_type="TMSProtocolsTable")
def check_protocol_levels(protocols) -> Iterator[Hit]:
    """Every row of a TMSProtocolsTable: ragged indices within their data, one count and one interval per
    level, counts >= 1, intervals finite and >= 0 (> 0 for a level repeating more than once)."""
    n = len(protocols)
    if n == 0:
        return
    spans: dict[str, list[tuple[int, int]]] = {}
    for name in TIMING_COLUMNS:
        bounds = ragged_bounds(protocols, name)
        if bounds is None:
            continue
        ends, length, index_name = bounds
        location = column_path(protocols, index_name)
        if ends.size != n:
            yield TMS_PROTOCOL_LEVELS.hit(f"{index_name} has {ends.size} entries for {n} protocol rows",
                                          location=location)
            continue
        starts = np.concatenate(([0], ends[:-1]))
        bad = np.flatnonzero((ends < starts) | (ends > length) | (starts < 0))
        for row in bad:
            yield TMS_PROTOCOL_LEVELS.hit(
                f"protocol row {row}: {index_name} gives values {starts[row]}..{ends[row]} of {name}, which has "
                f"{length} values", location=location, index=int(row))
        if bad.size == 0:
            spans[name] = list(zip(starts.tolist(), ends.tolist(), strict=True))
    if len(spans) < len(TIMING_COLUMNS) and not all(has_column(protocols, c) for c in TIMING_COLUMNS):
        return  # missing timing columns are reported by the completeness step (report.protocol_timing)
    counts = np.asarray(unwrap(protocols["timing_count"].target.data)[:]) if "timing_count" in spans else None
    intervals = (np.asarray(unwrap(protocols["timing_interval_in_s"].target.data)[:], dtype=float)
                 if "timing_interval_in_s" in spans else None)
    for row in range(n):
        lengths = {name: b - a for name, rows in spans.items() for a, b in [rows[row]]}
        if min(lengths.values(), default=0) == 0:
            continue  # a row without timing is a reporting gap (report.protocol_timing)
        if len(set(lengths.values())) > 1:
            listed = ", ".join(f"{k} {v}" for k, v in lengths.items())
            yield TMS_PROTOCOL_LEVELS.hit(f"protocol row {row}: the timing lists differ in length ({listed})",
                                          location=object_path(protocols), index=row)
        if counts is not None:
            a, b = spans["timing_count"][row]
            for level, count in enumerate(counts[a:b]):
                if not (float(count) >= 1 and float(count) == math.floor(float(count))):
                    yield TMS_PROTOCOL_LEVELS.hit(
                        f"protocol row {row}, level {level}: timing_count is {plain(count)} (a level repeats its "
                        f"unit a whole number of times, at least once)",
                        location=column_path(protocols, "timing_count"), index=row)
        if intervals is not None:
            a, b = spans["timing_interval_in_s"][row]
            row_counts = counts[spans["timing_count"][row][0]:spans["timing_count"][row][1]] \
                if counts is not None else None
            for level, interval in enumerate(intervals[a:b]):
                count = row_counts[level] if row_counts is not None and level < row_counts.size else None
                problem = None
                if not math.isfinite(interval) or interval < 0:
                    problem = "must be a finite number of seconds >= 0"
                elif interval == 0 and count is not None and count > 1:
                    problem = f"is 0 but the level repeats {plain(count)} times"
                if problem:
                    yield TMS_PROTOCOL_LEVELS.hit(
                        f"protocol row {row}, level {level}: timing_interval_in_s {plain(interval)} {problem}",
                        location=column_path(protocols, "timing_interval_in_s"), index=row)


@register_check(TMS_THRESHOLD_RANGE, neurodata_type="TMSThresholdsTable")
def check_threshold_range(thresholds) -> Iterator[Hit]:
    """Every threshold of a TMSThresholdsTable is in (0, 100] %MSO (NaN: not measured)."""
    if not has_column(thresholds, "value_in_percent_mso"):
        return
    values = small_column(thresholds, "value_in_percent_mso", float)
    location = column_path(thresholds, "value_in_percent_mso")
    for row in np.flatnonzero(~np.isnan(values) & ~((values > 0) & (values <= 100))):
        yield TMS_THRESHOLD_RANGE.hit(f"threshold row {row}: {plain(values[row])} %MSO is outside (0, 100]",
                                      location=location, index=int(row))


def session_coils(pulses, *, chunk_elements: int = CHUNK_ELEMENTS) -> dict[int, set[int]]:
    """session row -> coil rows of its pulses (one pass over the pulses table in slices), from the pulses'
    ``session`` region column or their ``session_number``; every session on coil 0 when the pulses have no
    coil column."""
    found: dict[int, set[int]] = {}
    sessions_column = None if pulses is None else pulse_session_column(pulses.colnames)
    if sessions_column is None:
        return found
    coils = unwrap(pulses["coil"].data) if has_column(pulses, "coil") else None
    for start, block in iter_rows(pulses[sessions_column].data, chunk_elements=chunk_elements):
        numbers = np.asarray(block, dtype=np.int64)
        if coils is None or getattr(pulses["coil"], "table", None) is None:
            which = np.zeros(numbers.shape, dtype=np.int64)
        else:
            which = np.asarray(coils[start:start + numbers.size], dtype=np.int64)
        for s, c in set(zip(numbers.tolist(), which.tolist(), strict=True)):
            found.setdefault(s, set()).add(c)
    return found


@register_check(TMS_SESSIONS_OVERLAP, neurodata_type="TMSSessionsTable")
def check_session_overlap(sessions, *, chunk_elements: int = CHUNK_ELEMENTS) -> Iterator[Hit]:
    """Sessions of a TMSSessionsTable that share a coil (from the pulses of the file, when it has one pulses
    table; all sessions share one coil when no pulse says) do not overlap in time."""
    n = len(sessions)
    if n < 2 or not (has_column(sessions, "start_time") and has_column(sessions, "stop_time")):
        return
    starts = small_column(sessions, "start_time", float)
    stops = small_column(sessions, "stop_time", float)
    pulse_tables = file_objects(sessions, "TMSPulsesTable")
    coils = session_coils(pulse_tables[0] if len(pulse_tables) == 1 else None, chunk_elements=chunk_elements)
    order = np.argsort(starts, kind="stable")
    location = object_path(sessions)
    for k, i in enumerate(order):
        for j in order[k + 1:]:
            if starts[j] >= stops[i] - TIME_TOLERANCE_S:
                break
            shared = coils.get(int(i), {0}) & coils.get(int(j), {0})
            if shared:
                yield TMS_SESSIONS_OVERLAP.hit(
                    f"sessions {i} [{plain(starts[i])}, {plain(stops[i])}] s and {j} [{plain(starts[j])}, "
                    f"{plain(stops[j])}] s overlap and share coil row {min(shared)}", location=location,
                    index=int(j))
