"""Step 8 (profile ``tms``): the TMS reporting items that apply, after the Chipchase 2012 checklist and the
BIDS BEP037 (NIBS-BIDS) required fields.

Items: stimulator model, coil model and shape, waveform, pulse width, current direction, intensity and its
reference, threshold type/method/criterion when intensity is relative, target and coil orientation,
protocol timing, sham description when a sham exists, cell-type terms on ROIs.

The stimulation items (stimulator, coil, protocols, targets) are required only where stimulation happened
(a pulse or a stimulation session is recorded); on a day without stimulation (baseline or follow-up imaging)
only the rows that exist are checked.
"""

from __future__ import annotations

import math
from collections.abc import Iterator

import numpy as np

from nwbtms.validate.checks._paths import column_path, object_path
from nwbtms.validate.checks._shared import PassHits, shared
from nwbtms.validate.checks._tables import has_column, ragged_rows, small_column, text_column, tms_metadata
from nwbtms.validate.context import as_tms_view
from nwbtms.validate.findings import Severity
from nwbtms.validate.registry import TMS_ONLY, CheckInfo, Hit, define, register_check

_R = dict(profiles=TMS_ONLY)
REPORT_STIMULATOR = define(
    "report.stimulator_model", Severity.BEST_PRACTICE_VIOLATION, 8,
    "Stimulator and its model (manufacturer, model).",
    "Add a TMSStimulator linked to a TMSStimulatorModel with manufacturer.",
    **_R)
REPORT_COIL = define("report.coil_model", Severity.BEST_PRACTICE_VIOLATION, 8, "Coil, its model and shape.",
                     "Add a TMSCoil linked to a TMSCoilModel with shape.",
                     other_severities=(Severity.BEST_PRACTICE_SUGGESTION,), **_R)  # handle_axis not stated
REPORT_WAVEFORM = define("report.waveform", Severity.BEST_PRACTICE_VIOLATION, 8, "Waveform of every protocol.",
                         "Set protocols.waveform (monophasic, biphasic, half_sine, biphasic_burst).", **_R)
REPORT_PULSE_WIDTH = define(
    "report.pulse_width", Severity.BEST_PRACTICE_SUGGESTION, 8,
    "Pulse width of every protocol.",
    "Set protocols.pulse_width_in_us from the stimulator manual.",
    **_R)
REPORT_CURRENT_DIRECTION = define(
    "report.current_direction", Severity.BEST_PRACTICE_VIOLATION, 8,
    "Coil and induced current direction.",
    "Set coil_current_direction and induced_current_direction ('unknown' is "
                                  "an answer).",
    **_R)
REPORT_INTENSITY = define(
    "report.intensity", Severity.BEST_PRACTICE_VIOLATION, 8,
    "Intensity and its reference for every protocol.",
    "Set intensity_reference and intensity_value.",
    **_R)
REPORT_THRESHOLD = define(
    "report.threshold", Severity.BEST_PRACTICE_VIOLATION, 8,
    "Threshold type, method and criterion when intensity is "
                          "relative.",
    "Fill threshold_type, method and criterion of the threshold row.",
    other_severities=(Severity.BEST_PRACTICE_SUGGESTION,), **_R)  # advised muscle or e-field model
REPORT_TARGET = define(
    "report.target", Severity.BEST_PRACTICE_VIOLATION, 8,
    "Targets with label, atlas term and coil orientation.",
    "Add the targets table with atlas_term and coil_pose or handle/tilt angles.",
    **_R)
REPORT_TIMING = define("report.protocol_timing", Severity.BEST_PRACTICE_VIOLATION, 8, "Protocol timing levels.",
                       "Give timing_level, timing_count and timing_interval_in_s for every protocol.", **_R)
REPORT_SHAM = define(
    "report.sham_description", Severity.BEST_PRACTICE_VIOLATION, 8,
    "Sham description when a sham protocol exists.",
    "Describe the sham in TMSExperimentMetadata.sham_description.",
    **_R)
REPORT_CELL_TYPES = define(
    "report.cell_types_on_rois", Severity.BEST_PRACTICE_SUGGESTION, 8,
    "ROIs carry cell-type terms.",
    "Add a cell_type column with ndx_tms.add_cell_type_column.",
    **_R)


def _blank(value) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value)) or str(value).strip() == ""


def stimulated(metadata) -> bool:
    """True when the file records a delivered pulse or a stimulation session (wherever its layout keeps them)."""
    view = as_tms_view(metadata)
    return any(table is not None and len(table) > 0 for table in (view.pulses, view.sessions))


def _device_items(nwbfile, type_name: str, check: CheckInfo, model_field: str, what: str,
                  needed: str) -> Iterator[Hit]:
    """Devices of ``type_name`` with a model whose ``model_field`` is filled (one required when stimulated)."""
    found = [d for d in nwbfile.devices.values() if type(d).__name__ == type_name]
    if not found:
        metadata = tms_metadata(nwbfile)
        if metadata is None or stimulated(metadata):
            yield check.hit(f"no {type_name} in /general/devices", location="/general/devices")
    for device in found:
        model = getattr(device, "model", None)
        if model is None or _blank(getattr(model, model_field, None)):
            yield check.hit(f"{what} {device.name} has no {needed}", location=f"/general/devices/{device.name}")
        elif type_name == "TMSCoil" and hasattr(model, "handle_axis") and _blank(model.handle_axis):
            # ndx-tms 0.2: coil poses are in the coil model file's frame; say where its handle points
            yield check.hit(f"coil {device.name}: its model does not state handle_axis (+y, -y or none), so "
                            "coil poses cannot be read unambiguously",
                            location=f"/general/devices/{device.name}", severity=Severity.BEST_PRACTICE_SUGGESTION)


@register_check(REPORT_STIMULATOR, neurodata_type="NWBFile")
def check_stimulator(nwbfile) -> Iterator[Hit]:
    """A stimulator with a model and manufacturer (required when stimulated)."""
    yield from _device_items(nwbfile, "TMSStimulator", REPORT_STIMULATOR, "manufacturer", "stimulator",
                             "model with a manufacturer")


@register_check(REPORT_COIL, neurodata_type="NWBFile")
def check_coil(nwbfile) -> Iterator[Hit]:
    """A coil with a model and shape (required when stimulated)."""
    yield from _device_items(nwbfile, "TMSCoil", REPORT_COIL, "shape", "coil", "TMSCoilModel with a shape")


@shared(REPORT_TIMING, REPORT_WAVEFORM, REPORT_PULSE_WIDTH, REPORT_CURRENT_DIRECTION, REPORT_INTENSITY,
        REPORT_THRESHOLD, REPORT_SHAM)
def protocol_items_pass(metadata, hits: PassHits) -> None:
    """The protocols' columns read once for the seven per-protocol reporting items, each a part under its own
    guard."""
    protocols = metadata.protocols
    if protocols is None or not len(protocols):
        if stimulated(metadata):
            hits.add(REPORT_TIMING.hit("no protocols table", location=object_path(metadata)))
        return
    n = len(protocols)
    reference = text_column(protocols, "intensity_reference")
    rows = range(n)

    def waveform() -> Iterator[Hit]:
        waveforms = text_column(protocols, "waveform")
        location = column_path(protocols, "waveform")
        for i in rows:
            if _blank(waveforms[i]):
                yield REPORT_WAVEFORM.hit(f"protocol row {i} has no waveform", location=location, index=i)
            elif waveforms[i] == "custom" and (not has_column(protocols, "waveform_description")
                                               or _blank(text_column(protocols, "waveform_description")[i])):
                yield REPORT_WAVEFORM.hit(f"protocol row {i} has a custom waveform but no waveform_description",
                                          location=location, index=i)

    def pulse_width() -> Iterator[Hit]:
        width = small_column(protocols, "pulse_width_in_us", float)
        for i in rows:
            if _blank(float(width[i])):
                yield REPORT_PULSE_WIDTH.hit(f"protocol row {i} has no pulse width",
                                             location=column_path(protocols, "pulse_width_in_us"), index=i)

    def current_direction() -> Iterator[Hit]:
        coil_dir = text_column(protocols, "coil_current_direction")
        induced_dir = text_column(protocols, "induced_current_direction")
        for i in rows:
            if _blank(coil_dir[i]) or _blank(induced_dir[i]):
                yield REPORT_CURRENT_DIRECTION.hit(f"protocol row {i} lacks the coil or induced current direction",
                                                   location=object_path(protocols), index=i)

    def intensity() -> Iterator[Hit]:
        value = small_column(protocols, "intensity_value", float)
        for i in rows:
            if _blank(reference[i]) or _blank(float(value[i])):
                yield REPORT_INTENSITY.hit(f"protocol row {i} lacks the intensity or its reference",
                                           location=object_path(protocols), index=i)

    def timing() -> Iterator[Hit]:
        levels = ragged_rows(protocols, "timing_level")
        for i in rows:
            if not levels[i]:
                yield REPORT_TIMING.hit(f"protocol row {i} has no timing levels",
                                        location=column_path(protocols, "timing_level"), index=i)

    def threshold() -> Iterator[Hit]:
        if any(r == "percent_threshold" for r in reference):
            yield from _threshold_items(metadata)

    def sham() -> Iterator[Hit]:
        shams = small_column(protocols, "sham", bool) if has_column(protocols, "sham") else np.zeros(n, bool)
        if shams.any() and _blank(getattr(metadata, "sham_description", None)):
            yield REPORT_SHAM.hit("a sham protocol exists but sham_description is empty",
                                  location=object_path(metadata))

    for check, part in ((REPORT_WAVEFORM, waveform), (REPORT_PULSE_WIDTH, pulse_width),
                        (REPORT_CURRENT_DIRECTION, current_direction), (REPORT_INTENSITY, intensity),
                        (REPORT_TIMING, timing), (REPORT_THRESHOLD, threshold), (REPORT_SHAM, sham)):
        hits.guard(check, part)


@register_check(REPORT_TIMING, neurodata_type="TMSExperimentMetadata")
def check_protocol_timing(metadata) -> Iterator[Hit]:
    """A protocols table (when stimulated) whose every row has timing levels (one read of the protocols for
    the seven per-protocol items: :func:`protocol_items_pass`)."""
    yield from protocol_items_pass.hits(REPORT_TIMING, metadata)


@register_check(REPORT_WAVEFORM, neurodata_type="TMSExperimentMetadata")
def check_protocol_waveform(metadata) -> Iterator[Hit]:
    """Every protocol states its waveform (and describes a custom one)."""
    yield from protocol_items_pass.hits(REPORT_WAVEFORM, metadata)


@register_check(REPORT_PULSE_WIDTH, neurodata_type="TMSExperimentMetadata")
def check_protocol_pulse_width(metadata) -> Iterator[Hit]:
    """Every protocol states its pulse width."""
    yield from protocol_items_pass.hits(REPORT_PULSE_WIDTH, metadata)


@register_check(REPORT_CURRENT_DIRECTION, neurodata_type="TMSExperimentMetadata")
def check_protocol_current_direction(metadata) -> Iterator[Hit]:
    """Every protocol states the coil and induced current directions."""
    yield from protocol_items_pass.hits(REPORT_CURRENT_DIRECTION, metadata)


@register_check(REPORT_INTENSITY, neurodata_type="TMSExperimentMetadata")
def check_protocol_intensity(metadata) -> Iterator[Hit]:
    """Every protocol states its intensity and the intensity's reference."""
    yield from protocol_items_pass.hits(REPORT_INTENSITY, metadata)


@register_check(REPORT_THRESHOLD, neurodata_type="TMSExperimentMetadata")
def check_protocol_threshold(metadata) -> Iterator[Hit]:
    """Relative intensities: the thresholds state type, method and criterion."""
    yield from protocol_items_pass.hits(REPORT_THRESHOLD, metadata)


@register_check(REPORT_SHAM, neurodata_type="TMSExperimentMetadata")
def check_sham_description(metadata) -> Iterator[Hit]:
    """A sham protocol comes with a sham description."""
    yield from protocol_items_pass.hits(REPORT_SHAM, metadata)


def _threshold_items(metadata) -> Iterator[Hit]:
    thresholds = metadata.thresholds
    if thresholds is None or not len(thresholds):
        yield REPORT_THRESHOLD.hit("intensity is relative to a threshold but no threshold is recorded",
                                   location=object_path(metadata))
        return
    from ndx_tms.vocabulary import MOTOR_THRESHOLD_TYPES

    columns = {c: text_column(thresholds, c) for c in ("threshold_type", "method", "criterion")}
    muscles = text_column(thresholds, "muscle") if has_column(thresholds, "muscle") else None
    efield = small_column(thresholds, "value_in_v_per_m", float) if has_column(thresholds, "value_in_v_per_m") else None
    models = text_column(thresholds, "efield_model") if has_column(thresholds, "efield_model") else None
    for i in range(len(thresholds)):
        missing = [c for c, values in columns.items() if _blank(values[i])]
        advised = []
        if muscles is not None and columns["threshold_type"][i] in MOTOR_THRESHOLD_TYPES and _blank(muscles[i]):
            advised.append("muscle (a motor threshold)")
        if efield is not None and math.isfinite(efield[i]) and (models is None or _blank(models[i])):
            advised.append("efield_model (value_in_v_per_m is given)")
        if advised:
            yield REPORT_THRESHOLD.hit(f"threshold row {i} lacks {', '.join(advised)}",
                                       location=object_path(thresholds), index=i,
                                       severity=Severity.BEST_PRACTICE_SUGGESTION)
        if missing:
            yield REPORT_THRESHOLD.hit(f"threshold row {i} lacks {', '.join(missing)}",
                                       location=object_path(thresholds), index=i)


@register_check(REPORT_TARGET, neurodata_type="TMSExperimentMetadata")
def check_target_items(metadata) -> Iterator[Hit]:
    """Targets with a label and atlas term, and a coil orientation (pose or handle/tilt angle)."""
    targets = metadata.targets
    if targets is None or not len(targets):
        if stimulated(metadata):
            yield REPORT_TARGET.hit("no targets table", location=object_path(metadata))
        return
    labels, atlas = text_column(targets, "label"), text_column(targets, "atlas_term")
    poses = small_column(targets, "coil_pose", float) if has_column(targets, "coil_pose") else None
    angles = [small_column(targets, c, float) for c in ("coil_handle_angle_in_deg", "coil_tilt_in_deg")
              if has_column(targets, c)]
    for i in range(len(targets)):
        if _blank(labels[i]) or _blank(atlas[i]):
            yield REPORT_TARGET.hit(f"target row {i} lacks a label or atlas term", location=object_path(targets),
                                    index=i)
        has_pose = poses is not None and np.isfinite(poses[i]).all()
        has_angle = any(np.isfinite(a[i]) for a in angles)
        if not (has_pose or has_angle):
            yield REPORT_TARGET.hit(f"target row {i} has no coil orientation (coil_pose or handle/tilt angle)",
                                    location=object_path(targets), index=i)


@register_check(REPORT_CELL_TYPES, neurodata_type="NWBFile")
def check_roi_cell_types(nwbfile) -> Iterator[Hit]:
    """Every PlaneSegmentation carries a ``cell_type`` column."""
    from pynwb.ophys import PlaneSegmentation

    for obj in nwbfile.objects.values():
        if isinstance(obj, PlaneSegmentation) and "cell_type" not in obj.colnames:
            yield REPORT_CELL_TYPES.hit(f"PlaneSegmentation {obj.name} has no cell_type column",
                                        location=object_path(obj))
