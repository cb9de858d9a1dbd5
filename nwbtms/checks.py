"""The TMS checks as NWB Inspector checks: ``nwbinspector --modules nwbtms.checks file.nwb`` runs them.

Each function below is registered with ``nwbinspector.register_check`` for one ndx-tms type and one
importance; it runs the same check code as ``nwbtms validate`` (every row, chunked) and returns the hits of
that importance as ``InspectorMessage`` s whose text names the nwbtms check ID, the object path and the row.
``nwbtms validate`` itself never runs these wrappers (it calls the checks directly), so nothing is reported
twice. nwbinspector has no INFO or ERROR importance: INFO notes are dropped, internal errors map to CRITICAL.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from ndx_tms import CellTypesTable, TMSExperimentMetadata, TMSPulsesTable
from nwbinspector import Importance, InspectorMessage, register_check
from pynwb import NWBFile

from nwbtms.validate.checks import cell_types, completeness, imaging, protocols, pulses, targets
from nwbtms.validate.findings import Severity
from nwbtms.validate.registry import REPORT_TIMING, TMS_PROTOCOL_INTENSITY, TMS_PULSE_ASCENDING, Hit
from nwbtms.validate.runner import guarded

_IMPORTANCE = {
    Severity.ERROR: Importance.CRITICAL,
    Severity.CRITICAL: Importance.CRITICAL,
    Severity.BEST_PRACTICE_VIOLATION: Importance.BEST_PRACTICE_VIOLATION,
    Severity.BEST_PRACTICE_SUGGESTION: Importance.BEST_PRACTICE_SUGGESTION,
}
#: (object id, producer) -> hits, so the wrappers of one object and several importances compute once.
_CACHE: dict[tuple[int, str], tuple[object, list[Hit]]] = {}
_CACHE_SIZE = 16


def _hits(obj, key: str, produce: Callable[[object], Iterable[Hit]]) -> list[Hit]:
    entry = _CACHE.get((id(obj), key))
    if entry is None or entry[0] is not obj:
        if len(_CACHE) >= _CACHE_SIZE:
            _CACHE.pop(next(iter(_CACHE)))
        entry = (obj, list(produce(obj)))
        _CACHE[(id(obj), key)] = entry
    return entry[1]


def _messages(hits: list[Hit], importance: Importance) -> list[InspectorMessage] | None:
    out = []
    for hit in hits:
        severity = hit.severity if hit.severity is not None else hit.check.severity
        if _IMPORTANCE.get(severity) is not importance:
            continue
        where = (hit.location or "") + (f"[{hit.index}]" if hit.index is not None else "")
        out.append(InspectorMessage(message=f"[{hit.check.id}] {where}: {hit.message} (fix: "
                                            f"{hit.hint or hit.check.hint})"))
    return out or None


def _pulses(table) -> Iterable[Hit]:
    return guarded(TMS_PULSE_ASCENDING, lambda: pulses.check_pulses(table))


def _metadata(metadata) -> Iterable[Hit]:
    def run():
        yield from protocols.check_protocols(metadata)
        yield from targets.check_targets(metadata)
        if metadata.pulses is not None and "session_number" in metadata.pulses.colnames:
            by_session = protocols.pulses_by_session(metadata.pulses)
            yield from protocols.check_counts(metadata, by_session)
            yield from protocols.check_reconciled(metadata, by_session)
        stimulated = completeness.stimulated(metadata)
        yield from completeness.check_protocol_items(metadata, stimulated)
        yield from completeness.check_target_items(metadata, stimulated)

    return guarded(TMS_PROTOCOL_INTENSITY, run)


def _nwbfile(nwbfile) -> Iterable[Hit]:
    def run():
        metadata = next((m for m in nwbfile.lab_meta_data.values() if isinstance(m, TMSExperimentMetadata)), None)
        if metadata is None:
            return
        yield from imaging.check_artifact_masks(nwbfile, metadata.pulses)
        yield from completeness.check_devices(nwbfile, completeness.stimulated(metadata))
        yield from completeness.check_roi_cell_types(nwbfile)
        yield from cell_types.check_cell_types(nwbfile, None)

    return guarded(REPORT_TIMING, run)


@register_check(importance=Importance.CRITICAL, neurodata_type=TMSPulsesTable)
def check_tms_pulses(table: TMSPulsesTable):
    """Every pulse: finite, ascending, inside its session, 0-100 %MSO, existing protocol/target/coil."""
    return _messages(_hits(table, "pulses", _pulses), Importance.CRITICAL)


@register_check(importance=Importance.BEST_PRACTICE_VIOLATION, neurodata_type=TMSPulsesTable)
def check_tms_pulse_intensity_matches_protocol(table: TMSPulsesTable):
    """Every pulse's intensity agrees with its protocol's intensity in %MSO."""
    return _messages(_hits(table, "pulses", _pulses), Importance.BEST_PRACTICE_VIOLATION)


@register_check(importance=Importance.CRITICAL, neurodata_type=TMSExperimentMetadata)
def check_tms_protocols_and_targets(metadata: TMSExperimentMetadata):
    """Relative intensities consistent with thresholds; poses valid; coordinate spaces declared."""
    return _messages(_hits(metadata, "metadata", _metadata), Importance.CRITICAL)


@register_check(importance=Importance.BEST_PRACTICE_VIOLATION, neurodata_type=TMSExperimentMetadata)
def check_tms_counts_and_reporting(metadata: TMSExperimentMetadata):
    """Session/reconciliation counts, delivered vs declared pulses, and the TMS reporting items."""
    return _messages(_hits(metadata, "metadata", _metadata), Importance.BEST_PRACTICE_VIOLATION)


@register_check(importance=Importance.BEST_PRACTICE_SUGGESTION, neurodata_type=TMSExperimentMetadata)
def check_tms_reporting_suggestions(metadata: TMSExperimentMetadata):
    """Recommended TMS reporting items (pulse width)."""
    return _messages(_hits(metadata, "metadata", _metadata), Importance.BEST_PRACTICE_SUGGESTION)


@register_check(importance=Importance.CRITICAL, neurodata_type=CellTypesTable)
def check_tms_cell_type_terms(table: CellTypesTable):
    """Cell Ontology IDs are well formed (CL: + 7 digits)."""
    return _messages(_hits(table, "cell_types", lambda t: cell_types.check_cell_types(None, t)),
                     Importance.CRITICAL)


@register_check(importance=Importance.BEST_PRACTICE_VIOLATION, neurodata_type=NWBFile)
def check_tms_artifact_masks_and_devices(nwbfile: NWBFile):
    """Imaging series overlapping pulses carry artifact masks; stimulator and coil models are described."""
    return _messages(_hits(nwbfile, "nwbfile", _nwbfile), Importance.BEST_PRACTICE_VIOLATION)


@register_check(importance=Importance.CRITICAL, neurodata_type=NWBFile)
def check_tms_cell_type_references(nwbfile: NWBFile):
    """cell_type columns point at existing rows of the CellTypesTable."""
    return _messages(_hits(nwbfile, "nwbfile", _nwbfile), Importance.CRITICAL)


@register_check(importance=Importance.BEST_PRACTICE_SUGGESTION, neurodata_type=NWBFile)
def check_tms_roi_cell_types(nwbfile: NWBFile):
    """ROIs carry cell-type terms."""
    return _messages(_hits(nwbfile, "nwbfile", _nwbfile), Importance.BEST_PRACTICE_SUGGESTION)
