"""Step 6, protocols: relative intensities consistent with their threshold, thresholds present, session and
reconciliation counts agree with the pulses, and delivered pulses reconciled with the declared protocol.

Reconciliation is convert's own (``nwbtms.protocols.reconcile.reconcile_session`` on the schedule of every
stored level), so validate reproduces what convert recorded.
"""

from __future__ import annotations

import math
from collections.abc import Iterator

import numpy as np

from nwbtms.io.h5read import pulse_times_by_session
from nwbtms.validate.checks._format import plain
from nwbtms.validate.checks._paths import column_path, object_path
from nwbtms.validate.checks._shared import PassHits, shared
from nwbtms.validate.checks._tables import has_column, ragged_rows, region_table, small_column, text_column
from nwbtms.validate.chunked import CHUNK_ELEMENTS
from nwbtms.validate.context import as_tms_view
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
                            "Recount the pulses per session.", profiles=TMS_ONLY)
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


def _depth_adjusted(protocols, i: int, threshold_mso: float, loc: str) -> tuple[float, list[Hit]]:
    """The threshold row ``i``'s intensity is relative to: ``threshold_mso``, or its depth-adjusted value when
    the row records a depth adjustment, whose stored value must follow from its inputs (Stokes 2005)."""
    if not has_column(protocols, "depth_adjustment_method"):
        return threshold_mso, []
    method = text_column(protocols, "depth_adjustment_method")[i]
    if method in ("", "none"):
        return threshold_mso, []
    from ndx_tms.vocabulary import depth_adjusted_threshold

    names = ("depth_adjustment_slope_in_percent_mso_per_mm", "scalp_to_cortex_distance_motor_in_mm",
             "scalp_to_cortex_distance_target_in_mm", "depth_adjusted_threshold_in_percent_mso")
    values = [float(small_column(protocols, n, float)[i]) if has_column(protocols, n) else math.nan for n in names]
    slope, motor, target, adjusted = values
    if not math.isfinite(adjusted):
        return threshold_mso, [TMS_PROTOCOL_INTENSITY.hit(
            f"protocol row {i}: depth adjustment {method} without depth_adjusted_threshold_in_percent_mso",
            location=loc, index=i)]
    hits = []
    if all(math.isfinite(v) for v in (slope, motor, target)):
        expected = depth_adjusted_threshold(threshold_mso, slope, motor, target)
        if abs(expected - adjusted) > INTENSITY_TOLERANCE_PERCENT_MSO + 1e-9:
            hits.append(TMS_PROTOCOL_INTENSITY.hit(
                f"protocol row {i}: depth-adjusted threshold is {plain(adjusted)} %MSO but {plain(threshold_mso)} + "
                f"{plain(slope)} x ({plain(target)} - {plain(motor)}) mm = {expected:.2f} %MSO ({method})",
                location=column_path(protocols, "depth_adjusted_threshold_in_percent_mso"), index=i))
    return adjusted, hits


class _Relative:
    """The protocols' intensity columns and the thresholds they refer to, read once for both protocol checks."""

    def __init__(self, metadata) -> None:
        metadata = as_tms_view(metadata)
        protocols = self.protocols = metadata.protocols
        self.references = text_column(protocols, "intensity_reference")
        self.values = small_column(protocols, "intensity_value", float)
        self.mso = small_column(protocols, "intensity_in_percent_mso", float)
        thresholds = region_table(protocols, "threshold")  # the table the column declares (tms.regions.target)
        if thresholds is None:
            thresholds = metadata.thresholds
        self.rows = small_column(protocols, "threshold", np.int64) if has_column(protocols, "threshold") else None
        self.threshold_mso = (small_column(thresholds, "value_in_percent_mso", float)
                              if has_column(thresholds, "value_in_percent_mso") else None)
        self.loc = object_path(protocols)
        self.conditioning = has_column(protocols, "conditioning_intensity_reference")
        if self.conditioning:
            self.cond_references = text_column(protocols, "conditioning_intensity_reference")
            self.cond_values = small_column(protocols, "conditioning_intensity_value", float)
            self.cond_mso = small_column(protocols, "conditioning_intensity_in_percent_mso", float)
            self.cond_rows = (small_column(protocols, "conditioning_threshold", np.int64)
                              if has_column(protocols, "conditioning_threshold") else None)

    def threshold_row(self, i: int, rows) -> int | None:
        """The threshold row protocol row ``i`` refers to through ``rows``, or None when it has none."""
        if rows is None or self.threshold_mso is None or not 0 <= int(rows[i]) < self.threshold_mso.size:
            return None
        return int(rows[i])


@shared(TMS_PROTOCOL_INTENSITY, TMS_THRESHOLD_PRESENT)
def relative_intensity_pass(metadata, hits: PassHits) -> None:
    """The protocols' intensities and thresholds read once for :func:`check_protocols` and
    :func:`check_thresholds_present`, each a part under its own guard."""
    protocols = as_tms_view(metadata).protocols
    if protocols is None or not len(protocols):
        return
    relative = _Relative(metadata)
    hits.guard(TMS_THRESHOLD_PRESENT, _thresholds_present, relative)
    hits.guard(TMS_PROTOCOL_INTENSITY, _intensities, relative)


@register_check(TMS_PROTOCOL_INTENSITY, neurodata_type="TMSExperimentMetadata")
def check_protocols(metadata) -> Iterator[Hit]:
    """Intensities: %MSO = threshold x percent / 100 for relative ones (the depth-adjusted threshold when the
    row records one), the value itself for %MSO ones; conditioning intensities likewise."""
    yield from relative_intensity_pass.hits(TMS_PROTOCOL_INTENSITY, metadata)


@register_check(TMS_THRESHOLD_PRESENT, neurodata_type="TMSExperimentMetadata")
def check_thresholds_present(metadata) -> Iterator[Hit]:
    """Relative intensities (main and conditioning) refer to an existing threshold row."""
    yield from relative_intensity_pass.hits(TMS_THRESHOLD_PRESENT, metadata)


def _thresholds_present(r: _Relative) -> Iterator[Hit]:
    protocols = r.protocols
    for i, reference in enumerate(r.references):
        if reference != "percent_threshold" or r.threshold_row(i, r.rows) is not None:
            continue
        if r.rows is None or r.threshold_mso is None:
            yield TMS_THRESHOLD_PRESENT.hit(
                f"protocol row {i} gives intensity in percent of threshold but the file has no "
                f"{'threshold column' if r.rows is None else 'thresholds table'}", location=r.loc, index=i)
        else:
            yield TMS_THRESHOLD_PRESENT.hit(f"protocol row {i} refers to threshold row {int(r.rows[i])}, which "
                                            f"does not exist ({r.threshold_mso.size} thresholds)",
                                            location=column_path(protocols, "threshold"), index=i)
    if not r.conditioning:
        return
    for i, reference in enumerate(r.cond_references):
        if reference == "percent_threshold" and r.threshold_row(i, r.cond_rows) is None:
            yield TMS_THRESHOLD_PRESENT.hit(f"protocol row {i}: the conditioning intensity is relative to a "
                                            "threshold row the file does not have",
                                            location=column_path(protocols, "conditioning_intensity_reference"),
                                            index=i)


def _intensities(r: _Relative) -> Iterator[Hit]:
    """Stored %MSO against reference and value (rows without their threshold: tms.thresholds.present)."""
    protocols = r.protocols
    for i, reference in enumerate(r.references):
        if reference == "percent_threshold":
            row = r.threshold_row(i, r.rows)
            if row is None:
                continue
            reference_mso, hits = _depth_adjusted(protocols, i, float(r.threshold_mso[row]), r.loc)
            yield from hits
            expected = reference_mso * r.values[i] / 100.0
        elif reference == "percent_mso":
            expected = r.values[i]
        else:
            continue
        yield from _intensity_mismatch(protocols, "intensity_in_percent_mso", i, r.mso[i], reference, r.values[i],
                                       expected)
    if not r.conditioning:
        return
    for i, reference in enumerate(r.cond_references):
        if reference == "percent_threshold":
            row = r.threshold_row(i, r.cond_rows)
            if row is None:
                continue
            expected = r.threshold_mso[row] * r.cond_values[i] / 100.0
        elif reference == "percent_mso":
            expected = r.cond_values[i]
        else:
            continue
        yield from _intensity_mismatch(protocols, "conditioning_intensity_in_percent_mso", i, r.cond_mso[i],
                                       reference, r.cond_values[i], expected)


def _intensity_mismatch(protocols, column: str, i: int, mso: float, reference: str, value: float,
                        expected: float) -> Iterator[Hit]:
    """A hit when row ``i``'s stored %MSO in ``column`` differs from what its reference and value give."""
    if math.isfinite(mso) and abs(mso - expected) > INTENSITY_TOLERANCE_PERCENT_MSO + 1e-9:
        yield TMS_PROTOCOL_INTENSITY.hit(
            f"protocol row {i}: {column} is {plain(mso)} but {reference} {plain(value)} gives {plain(expected)} %MSO",
            location=column_path(protocols, column), index=i)


def pulses_by_session(pulses, chunk_elements: int = CHUNK_ELEMENTS, *,
                      column: str = "session") -> dict[int, np.ndarray]:
    """Pulse times grouped by their session row (``session``; ``session_number`` in ndx-tms 0.1 files), one
    pass over the table in slices (:func:`nwbtms.io.h5read.pulse_times_by_session`, shared with the report)."""
    return pulse_times_by_session(pulses["timestamp"].data, pulses[column].data, chunk_elements=chunk_elements)


@shared(TMS_SESSION_COUNTS, TMS_RECONCILIATION_COUNTS, TMS_RECONCILED, collects_hits=False)
def by_session_pass(metadata, *, chunk_elements: int = CHUNK_ELEMENTS) -> dict[int, np.ndarray] | None:
    """Pulse times by session (one pass over the pulses, shared by the counts and the reconciliation), or None
    when the pulses name no session."""
    metadata = as_tms_view(metadata)
    column = metadata.session_column
    if column is None:
        return None
    return pulses_by_session(metadata.pulses, chunk_elements, column=column)


@register_check(TMS_SESSION_COUNTS, neurodata_type="TMSExperimentMetadata")
def check_session_counts(metadata, *, chunk_elements: int = CHUNK_ELEMENTS) -> Iterator[Hit]:
    """Each session's num_pulses equals the pulses recorded for it (pulses grouped once:
    :func:`by_session_pass`)."""
    by_session = by_session_pass.take(TMS_SESSION_COUNTS, metadata, chunk_elements=chunk_elements)
    if by_session is not None:
        yield from session_counts_against(as_tms_view(metadata), by_session)


@register_check(TMS_RECONCILIATION_COUNTS, neurodata_type="TMSExperimentMetadata")
def check_reconciliation_counts(metadata, *, chunk_elements: int = CHUNK_ELEMENTS) -> Iterator[Hit]:
    """The reconciliation table's counts agree with each other and with the pulses of their session."""
    by_session = by_session_pass.take(TMS_RECONCILIATION_COUNTS, metadata, chunk_elements=chunk_elements)
    if by_session is not None:
        yield from reconciliation_counts_against(as_tms_view(metadata), by_session)


def session_counts_against(metadata, by_session: dict[int, np.ndarray]) -> Iterator[Hit]:
    """sessions.num_pulses against pulse times grouped by session."""
    sessions = metadata.sessions
    if sessions is not None and has_column(sessions, "num_pulses"):
        declared = small_column(sessions, "num_pulses", np.int64)
        for s, n in enumerate(declared):
            actual = by_session.get(s, np.empty(0)).size
            if n != actual:
                yield TMS_SESSION_COUNTS.hit(f"session {s} says num_pulses={n} but {actual} pulses are in "
                                             f"session {s}", location=column_path(sessions, "num_pulses"),
                                             index=s)


def reconciliation_counts_against(metadata, by_session: dict[int, np.ndarray]) -> Iterator[Hit]:
    """The reconciliation counts against pulse times grouped by session."""
    reconciliation = metadata.reconciliation
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
            problems.append(f"num_delivered={cols['num_delivered'][i]} but {actual} pulses are in session {s}")
        if cols["num_matched"][i] + cols["num_missing"][i] != cols["num_declared"][i]:
            problems.append("num_matched + num_missing != num_declared")
        if cols["num_matched"][i] + cols["num_extra"][i] != cols["num_delivered"][i]:
            problems.append("num_matched + num_extra != num_delivered")
        if problems:
            yield TMS_RECONCILIATION_COUNTS.hit(f"reconciliation row {i}: " + "; ".join(problems),
                                                location=loc, index=i)


@shared(TMS_RECONCILED, TMS_RECONCILED_NOTE)
def reconciliation_pass(metadata, hits: PassHits, *, chunk_elements: int = CHUNK_ELEMENTS) -> None:
    """Delivered pulses of each session reconciled again with convert's own reconciliation, once for the
    unrecorded discrepancies and the notes of recorded ones."""
    by_session = by_session_pass.take(TMS_RECONCILED, metadata, chunk_elements=chunk_elements)
    if by_session is not None:
        hits.extend(reconciled_against(as_tms_view(metadata), by_session))


@register_check(TMS_RECONCILED, neurodata_type="TMSExperimentMetadata")
def check_reconciled(metadata, *, chunk_elements: int = CHUNK_ELEMENTS) -> Iterator[Hit]:
    """Each session's delivered pulses match its declared protocol, or the reconciliation table records the
    discrepancy (:func:`reconciliation_pass`)."""
    yield from reconciliation_pass.hits(TMS_RECONCILED, metadata, chunk_elements=chunk_elements)


@register_check(TMS_RECONCILED_NOTE, neurodata_type="TMSExperimentMetadata")
def check_reconciled_notes(metadata, *, chunk_elements: int = CHUNK_ELEMENTS) -> Iterator[Hit]:
    """Notes the discrepancies the reconciliation table records."""
    yield from reconciliation_pass.hits(TMS_RECONCILED_NOTE, metadata, chunk_elements=chunk_elements)


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
