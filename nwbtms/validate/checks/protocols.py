"""Step 6, protocols: relative intensities consistent with their threshold, thresholds present, session and
reconciliation counts agree with the pulses, and delivered pulses reconciled with the declared protocol.

Reconciliation is convert's own (``nwbtms.protocols.reconcile.reconcile_session`` on the schedule of every
stored level), so validate reproduces what convert recorded.
"""

from __future__ import annotations

import math
from collections.abc import Iterator

import numpy as np

from nwbtms.validate.checks._format import plain
from nwbtms.validate.checks._paths import column_path, object_path
from nwbtms.validate.checks._tables import has_column, ragged_rows, region_table, small_column, text_column
from nwbtms.validate.chunked import CHUNK_ELEMENTS, iter_rows, unwrap
from nwbtms.validate.findings import Severity
from nwbtms.validate.registry import TMS_ONLY, Hit, define, register_check

TMS_PROTOCOL_INTENSITY = define(
    "tms.protocols.intensity_consistent", Severity.CRITICAL, 6,
    "intensity_in_percent_mso = threshold %MSO x intensity_value / 100 for relative intensities.",
    "Recompute intensity_in_percent_mso from the threshold row and the percent of threshold.", profiles=TMS_ONLY)
TMS_THRESHOLD_PRESENT = define("tms.thresholds.present", Severity.CRITICAL, 6,
                               "Relative intensities refer to an existing threshold.",
                               "Add the thresholds table and the protocols' threshold column.", profiles=TMS_ONLY)
TMS_SESSION_COUNTS = define("tms.sessions.num_pulses", Severity.BEST_PRACTICE_VIOLATION, 6,
                            "Each session's num_pulses equals the pulses recorded for it.",
                            "Recount the pulses per session_number.", profiles=TMS_ONLY)
TMS_RECONCILIATION_COUNTS = define("tms.reconciliation.counts", Severity.BEST_PRACTICE_VIOLATION, 6,
                                   "Reconciliation counts agree with the pulses table.",
                                   "Re-run the reconciliation after changing the pulses.", profiles=TMS_ONLY)
TMS_RECONCILED = define("tms.protocols.reconciled", Severity.BEST_PRACTICE_VIOLATION, 6,
                        "Delivered pulses per session match the declared protocol or the discrepancy is recorded.",
                        "Record the discrepancy in the reconciliation table, or fix the protocol timing.",
                        fast=False, profiles=TMS_ONLY)
TMS_RECONCILED_NOTE = define("tms.protocols.reconciled_note", Severity.INFO, 6,
                             "Notes recorded discrepancies and skipped reconciliations.", "Nothing to fix.",
                             fast=False, profiles=TMS_ONLY)

#: Same rounding allowance as per-pulse intensities (whole %MSO steps on the stimulator).
INTENSITY_TOLERANCE_PERCENT_MSO = 0.5


@register_check(TMS_PROTOCOL_INTENSITY, TMS_THRESHOLD_PRESENT, neurodata_type="TMSExperimentMetadata")
def check_protocols(metadata) -> Iterator[Hit]:
    """Relative intensities: threshold table and row present, %MSO = threshold x percent / 100."""
    protocols = metadata.protocols
    if protocols is None or not len(protocols):
        return
    references = text_column(protocols, "intensity_reference")
    values = small_column(protocols, "intensity_value", float)
    mso = small_column(protocols, "intensity_in_percent_mso", float)
    thresholds = region_table(protocols, "threshold")  # the table the column declares (tms.regions.target)
    if thresholds is None:
        thresholds = metadata.thresholds
    rows = small_column(protocols, "threshold", np.int64) if has_column(protocols, "threshold") else None
    threshold_mso = (small_column(thresholds, "value_in_percent_mso", float)
                     if has_column(thresholds, "value_in_percent_mso") else None)
    loc = object_path(protocols)
    for i, reference in enumerate(references):
        if reference == "percent_threshold":
            if rows is None or threshold_mso is None:
                yield TMS_THRESHOLD_PRESENT.hit(
                    f"protocol row {i} gives intensity in percent of threshold but the file has no "
                    f"{'threshold column' if rows is None else 'thresholds table'}", location=loc, index=i)
                continue
            row = int(rows[i])
            if not 0 <= row < threshold_mso.size:
                yield TMS_THRESHOLD_PRESENT.hit(f"protocol row {i} refers to threshold row {row}, which does "
                                                f"not exist ({threshold_mso.size} thresholds)",
                                                location=column_path(protocols, "threshold"), index=i)
                continue
            expected = threshold_mso[row] * values[i] / 100.0
        elif reference == "percent_mso":
            expected = values[i]
        else:
            continue
        if math.isfinite(mso[i]) and abs(mso[i] - expected) > INTENSITY_TOLERANCE_PERCENT_MSO + 1e-9:
            yield TMS_PROTOCOL_INTENSITY.hit(
                f"protocol row {i}: intensity_in_percent_mso is {plain(mso[i])} but {reference} "
                f"{plain(values[i])} gives {plain(expected)} %MSO",
                location=column_path(protocols, "intensity_in_percent_mso"), index=i)


def pulses_by_session(pulses, chunk_elements: int = CHUNK_ELEMENTS) -> dict[int, np.ndarray]:
    """Pulse times grouped by session_number, one pass over the table in slices."""
    parts: dict[int, list[np.ndarray]] = {}
    sessions = unwrap(pulses["session_number"].data)
    for start, times in iter_rows(pulses["timestamp"].data, chunk_elements=chunk_elements):
        numbers = np.asarray(sessions[start:start + times.shape[0]], dtype=np.int64)
        for s in np.unique(numbers):
            parts.setdefault(int(s), []).append(np.asarray(times[numbers == s], dtype=float))
    return {s: np.concatenate(p) for s, p in parts.items()}


def _by_session(metadata, chunk_elements: int) -> dict[int, np.ndarray] | None:
    pulses = metadata.pulses
    if pulses is None or "session_number" not in pulses.colnames:
        return None
    return pulses_by_session(pulses, chunk_elements)


@register_check(TMS_SESSION_COUNTS, TMS_RECONCILIATION_COUNTS, neurodata_type="TMSExperimentMetadata")
def check_counts(metadata, *, chunk_elements: int = CHUNK_ELEMENTS) -> Iterator[Hit]:
    """sessions.num_pulses and the reconciliation counts agree with the pulses table (pulses with sessions)."""
    by_session = _by_session(metadata, chunk_elements)
    if by_session is not None:
        yield from counts_against(metadata, by_session)


def counts_against(metadata, by_session: dict[int, np.ndarray]) -> Iterator[Hit]:
    """sessions.num_pulses and the reconciliation counts against pulse times grouped by session."""
    sessions, reconciliation = metadata.sessions, metadata.reconciliation
    if sessions is not None and has_column(sessions, "num_pulses"):
        declared = small_column(sessions, "num_pulses", np.int64)
        for s, n in enumerate(declared):
            actual = by_session.get(s, np.empty(0)).size
            if n != actual:
                yield TMS_SESSION_COUNTS.hit(f"session {s} says num_pulses={n} but {actual} pulses have "
                                             f"session_number {s}", location=column_path(sessions, "num_pulses"),
                                             index=s)
    if reconciliation is None or not len(reconciliation):
        return
    cols = {c: small_column(reconciliation, c, np.int64) for c in
            ("session", "num_declared", "num_delivered", "num_matched", "num_missing", "num_extra")}
    loc = object_path(reconciliation)
    for i in range(len(reconciliation)):
        s = int(cols["session"][i])
        actual = by_session.get(s, np.empty(0)).size
        problems = []
        if cols["num_delivered"][i] != actual:
            problems.append(f"num_delivered={cols['num_delivered'][i]} but {actual} pulses have session_number {s}")
        if cols["num_matched"][i] + cols["num_missing"][i] != cols["num_declared"][i]:
            problems.append("num_matched + num_missing != num_declared")
        if cols["num_matched"][i] + cols["num_extra"][i] != cols["num_delivered"][i]:
            problems.append("num_matched + num_extra != num_delivered")
        if problems:
            yield TMS_RECONCILIATION_COUNTS.hit(f"reconciliation row {i}: " + "; ".join(problems),
                                                location=loc, index=i)


@register_check(TMS_RECONCILED, TMS_RECONCILED_NOTE, neurodata_type="TMSExperimentMetadata")
def check_reconciled(metadata, *, chunk_elements: int = CHUNK_ELEMENTS) -> Iterator[Hit]:
    """Delivered pulses of each session reconciled again with convert's own reconciliation, compared with the
    recorded discrepancies."""
    by_session = _by_session(metadata, chunk_elements)
    if by_session is not None:
        yield from reconciled_against(metadata, by_session)


def reconciled_against(metadata, by_session: dict[int, np.ndarray]) -> Iterator[Hit]:
    """Each session's delivered pulses (``by_session``) reconciled with convert's own reconciliation
    (:func:`nwbtms.protocols.reconcile.reconcile_session`: the protocol's whole schedule from every stored level,
    the tolerance the table records)."""
    from nwbtms.protocols import Level, Protocol, build_schedule
    from nwbtms.protocols.reconcile import reconcile_session, tolerance_from_description

    sessions, protocols = metadata.sessions, metadata.protocols
    if sessions is None or protocols is None or not len(sessions):
        return
    levels = ragged_rows(protocols, "timing_level")
    counts = ragged_rows(protocols, "timing_count")
    intervals = ragged_rows(protocols, "timing_interval_in_s")
    names = text_column(protocols, "protocol_name")
    session_protocol = small_column(sessions, "protocol", np.int64)
    recorded = _recorded(metadata.reconciliation)
    tolerance_s = tolerance_from_description(getattr(metadata.reconciliation, "description", None))
    schedules: dict[int, object] = {}
    for s, p in enumerate(session_protocol):
        p = int(p)
        if not 0 <= p < len(names):
            continue  # tms.pulses.references / schema report it
        if p not in schedules:
            try:
                kept = tuple(Level(name=str(level), count=int(count), interval_us=round(float(interval) * 1e6))
                             for level, count, interval in zip(levels[p], counts[p], intervals[p], strict=True))
                schedules[p] = build_schedule(Protocol(name=names[p], levels=kept, intensity_value=100.0,
                                                       intensity_reference="percent_mso"))
            except Exception as exc:  # an engine that rejects the stored levels
                yield TMS_RECONCILED.hit(f"protocol row {p} ({names[p]}): the protocol engine cannot build its "
                                         f"schedule: {exc}", location=object_path(protocols), index=p)
                schedules[p] = None
        schedule = schedules[p]
        if schedule is None:
            continue
        delivered = by_session.get(s, np.empty(0))
        delivered = delivered[np.isfinite(delivered)]  # tms.pulses.finite reports the others
        result = reconcile_session(schedule, delivered, tolerance_s=tolerance_s)
        missing, extra = int(np.asarray(result.missing).size), int(np.asarray(result.extra).size)
        if not missing and not extra:
            continue
        text = f"session {s} ({names[p]}): {delivered.size} delivered vs {len(schedule)} declared " \
               f"({missing} missing, {extra} extra)"
        if recorded.get(s) == (missing, extra):
            yield TMS_RECONCILED_NOTE.hit(text + "; recorded in the reconciliation table",
                                          location=object_path(metadata.reconciliation), index=s)
        else:
            yield TMS_RECONCILED.hit(text + ("; the reconciliation table records "
                                             f"{recorded[s][0]} missing, {recorded[s][1]} extra" if s in recorded
                                             else "; not recorded in a reconciliation table"),
                                     location=object_path(sessions), index=s)


def _recorded(reconciliation) -> dict[int, tuple[int, int]]:
    if reconciliation is None or not len(reconciliation):
        return {}
    sessions = small_column(reconciliation, "session", np.int64)
    missing = small_column(reconciliation, "num_missing", np.int64)
    extra = small_column(reconciliation, "num_extra", np.int64)
    return {int(s): (int(m), int(e)) for s, m, e in zip(sessions, missing, extra, strict=True)}
