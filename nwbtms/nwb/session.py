"""Build the NWBFile of one session from its typed entries (:class:`~nwbtms.nwb.entries.SessionEntries`, made
from a validated metadata file by :func:`nwbtms.assembly.entries.session_entries`).

What goes where:

- NWBFile fields and :class:`pynwb.file.Subject` from ``nwbfile`` and ``subject``.
- Devices: stimulators and coils as ndx-tms ``TMSStimulator``/``TMSCoil`` with their
  ``TMSStimulatorModel``/``TMSCoilModel`` in ``nwbfile.device_models`` (core 2.9 ``DeviceModel``);
  navigation systems as ``TMSNavigationSystem``; microscopes as core ``Device``.
- ``TMSExperimentMetadata`` (``/general/tms``): coordinate spaces, thresholds, protocols, targets, cell
  types, sham and blinding descriptions, the coils pulses refer to and the reconciliation
  (:func:`build_tms_metadata`). Adverse events are an ``EventsTable`` in ``nwbfile.events``; pulses and
  stimulation sessions (:mod:`nwbtms.nwb.pulses`) go to ``nwbfile.events`` and ``nwbfile.intervals``
  (ndx-tms 0.2 placement, docs/ARCHITECTURE.md).
- Manipulations (e.g. a chemogenetic ligand injection) go to a core ``EventsTable`` named
  ``manipulations`` in ``nwbfile.events``, one row per administration with ``timestamp`` (s, session
  clock), ``duration``, and ``substance``, ``dose``, ``dose_unit``, ``route``, ``vehicle``,
  ``manipulation_type``, ``target_cell_type``, ``manipulation_key`` and ``notes`` columns.
  ``EventsTable`` is core NWB's home for timestamped
  events since 2.10 (``BehavioralEvents``/``AnnotationSeries`` are deprecated in its favour); a drug
  administration is such an event, and columns keep dose and route machine-readable instead of free
  text in ``NWBFile.pharmacology`` (which we still fill with a one-line summary for human readers).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

import numpy as np
from pynwb import NWBFile
from pynwb.device import Device
from pynwb.file import Subject

from nwbtms.errors import ExtensionValueError, MetadataError
from nwbtms.nwb.entries import (
    DepthAdjustmentEntry,
    DeviceEntry,
    IntensityEntry,
    ProtocolEntry,
    SessionEntries,
    TargetEntry,
    ThresholdEntry,
)


def _drop_none(values: dict) -> dict:
    return {k: v for k, v in values.items() if v is not None}


def build_nwbfile(entries: SessionEntries) -> NWBFile:
    """NWBFile with its fields, subject and devices (no TMS tables, no data yet)."""
    summary = manipulations_summary(entries)
    # the file's own pharmacology text wins over the summary of its manipulations
    kwargs = {**({"pharmacology": summary} if summary else {}), **entries.file.fields}
    nwbfile = NWBFile(identifier=entries.file.identifier, session_start_time=entries.file.session_start_time,
                      **kwargs)
    nwbfile.subject = build_subject(entries)
    add_devices(nwbfile, entries.devices)
    return nwbfile


def build_subject(entries: SessionEntries) -> Subject:
    """Core Subject from the file entry's ``subject``."""
    return Subject(**entries.file.subject)


def add_devices(nwbfile: NWBFile, devices_given: Sequence[DeviceEntry]) -> dict[str, Any]:
    """Create every device; returns them by key (stimulators before coils)."""
    from ndx_tms import TMSCoil, TMSCoilModel, TMSNavigationSystem, TMSStimulator, TMSStimulatorModel

    devices: dict[str, Any] = {}
    for entry in sorted(devices_given, key=lambda e: e.kind != "tms_stimulator"):
        key, attributes = entry.key, dict(entry.attributes)
        if entry.kind == "tms_stimulator":
            model = TMSStimulatorModel(**_model_kwargs(entry.model, key))
            nwbfile.add_device_model(model)
            device = TMSStimulator(name=key, model=model, description=entry.description or key, **attributes)
        elif entry.kind == "tms_coil":
            model = TMSCoilModel(**_model_kwargs(entry.model, key))
            nwbfile.add_device_model(model)
            device = TMSCoil(name=key, model=model, stimulator=devices[entry.stimulator],
                             description=entry.description or key, **attributes)
        elif entry.kind == "navigation_system":
            model = nwbfile.create_device_model(**_model_kwargs(entry.model, key))
            device = TMSNavigationSystem(name=key, model=model, description=entry.description or key,
                                         **attributes)
        else:
            model_entry = entry.model
            if not model_entry and entry.manufacturer:
                # core 2.9: the manufacturer belongs to the DeviceModel (Device.manufacturer is deprecated)
                model_entry = {"name": f"{key} model", "manufacturer": entry.manufacturer}
            model = None
            if model_entry:
                model_values = {"manufacturer": entry.manufacturer or "", **model_entry}
                model = nwbfile.create_device_model(**_model_kwargs(model_values, key))
            device = Device(name=key, description=entry.description, model=model)
        nwbfile.add_device(device)
        devices[key] = device
    return devices


def _floats(values: dict, *, keep_int: tuple[str, ...] = ("number_of_turns",)) -> dict:
    """YAML integers to floats for float fields (pynwb checks dtypes); bools and ``keep_int`` stay."""
    return {k: float(v) if isinstance(v, int) and not isinstance(v, bool) and k not in keep_int else v
            for k, v in values.items()}


def _model_kwargs(model: Mapping, device_key: str) -> dict:
    values = _floats(dict(model))
    values.setdefault("description", f"Model of device '{device_key}'.")
    return values


def _add_keyed_rows(table, section: Iterable, make_row: Callable[[Any], dict]) -> dict[str, int]:
    """Add ``make_row(entry)`` for every entry of a keyed section (in its order); row index per ``entry.key``.

    A value the ndx-tms constructor refuses (e.g. a depth-adjusted threshold that does not follow from its
    distances) is re-raised as an :class:`~nwbtms.errors.ExtensionValueError` naming the entry."""
    from ndx_tms.vocabulary import TMSValueError

    rows = {}
    for index, entry in enumerate(section):
        key = entry.key
        try:
            table.add_row(**make_row(entry))
        except TMSValueError as exc:
            raise ExtensionValueError(f"{key!r}: {exc}", field=f"{table.name}/{key}",
                                      hint="fix the entry in the metadata file") from None
        rows[key] = index
    return rows


def build_coordinate_spaces(entries: SessionEntries) -> dict[str, Any]:
    """``TMSCoordinateSpace`` per key of ``coordinate_spaces``."""
    from ndx_tms import TMSCoordinateSpace

    return {entry.key: TMSCoordinateSpace(name=entry.key, space=entry.space, units=entry.units, origin=entry.origin,
                                          orientation=entry.orientation,
                                          **_drop_none({"description": entry.description}))
            for entry in entries.coordinate_spaces}


def build_registrations(entries: SessionEntries, spaces: dict[str, Any], devices) -> list:
    """``TMSRegistration`` per key of ``registrations`` (landmarks in the space's units, errors in mm)."""
    from ndx_tms import TMSRegistration

    out = []
    for entry in entries.registrations:
        key, landmarks = entry.key, entry.landmarks
        values = {"name": key, "method": entry.method, "coordinate_space": spaces[entry.coordinate_space]}
        if entry.rms_error_in_mm is not None:
            values["rms_error_in_mm"] = float(entry.rms_error_in_mm)
        if entry.description:
            values["description"] = entry.description
        if landmarks:
            values["landmark_label"] = [landmark.label for landmark in landmarks]
            values["landmark_position"] = np.asarray([landmark.position for landmark in landmarks], dtype=float)
            if any(landmark.error_in_mm is not None for landmark in landmarks):
                values["landmark_error_in_mm"] = [np.nan if landmark.error_in_mm is None else landmark.error_in_mm
                                                  for landmark in landmarks]
        if entry.navigation_system:
            values["navigation_system"] = devices[entry.navigation_system]
        try:
            out.append(TMSRegistration(**values))
        except ValueError as exc:
            raise ExtensionValueError(f"registration {key!r}: {exc}", field=f"/registrations/{key}",
                                      hint="fix the entry in the metadata file") from None
    return out


def build_thresholds(entries: SessionEntries):
    """``TMSThresholdsTable`` (rows in key order) and the row index of each key; (None, {}) when empty."""
    from ndx_tms import TMSThresholdsTable

    section = entries.thresholds
    if not section:
        return None, {}
    table = TMSThresholdsTable(description="Thresholds measured for the subject.")
    # optional columns: present when any entry gives them, NaN or "" in the rows that do not
    optional = {"time_measured_in_s": np.nan, "coil_orientation_in_deg": np.nan, "value_in_v_per_m": np.nan,
                "efield_model": "", "muscle": ""}
    used_optional = _used(section, optional)

    def threshold_row(entry: ThresholdEntry) -> dict:
        row = {"threshold_type": entry.threshold_type, "value_in_percent_mso": float(entry.value_in_percent_mso),
               "method": entry.method, "criterion": entry.criterion, "measurement_method": entry.measurement_method}
        for column in used_optional:
            value = getattr(entry, column)
            row[column] = optional[column] if value is None else value if isinstance(value, str) else float(value)
        return row

    return table, _add_keyed_rows(table, section, threshold_row)


def protocol_row(
    entry: ProtocolEntry, thresholds: dict[str, int], threshold_values: dict[str, float],
    threshold_types: dict[str, str] | None = None,
) -> dict:
    """One ``TMSProtocolsTable`` row: the protocol engine's row completed by the entry."""
    from nwbtms.protocols import protocol_table_row

    key, protocol = entry.key, entry.protocol
    row = dict(protocol_table_row(protocol))
    row["protocol_name"] = entry.name or row.get("protocol_name") or key
    for field in ("waveform", "waveform_description", "coil_current_direction", "induced_current_direction",
                  "notes"):
        if getattr(entry, field) is not None:
            row[field] = getattr(entry, field)
    if entry.pulse_width_in_us is not None:
        row["pulse_width_in_us"] = float(entry.pulse_width_in_us)
    row.setdefault("waveform", "biphasic")
    row.setdefault("waveform_description", "")
    row.setdefault("pulse_width_in_us", float("nan"))
    row.setdefault("coil_current_direction", "normal")
    row.setdefault("induced_current_direction", "unknown")
    row.setdefault("notes", "")
    row["sham"] = bool(entry.sham)
    row["sham_type"] = entry.sham_type if row["sham"] else ""
    intensity = entry.intensity
    row.pop("threshold", None)
    row.update(_NO_DEPTH_ADJUSTMENT)
    if intensity:
        row["intensity_reference"] = intensity.reference
        row["intensity_value"] = float(intensity.value)
        depth = intensity.depth_adjustment
        if intensity.reference == "percent_threshold":
            threshold_key = intensity.threshold
            row["threshold"] = thresholds[threshold_key]
            # Peterchev et al. 2012 (Brain Stimul 5:435): %MSO = threshold %MSO x percent of threshold / 100; with a
            # depth adjustment (Stokes 2005) the threshold is the adjusted one, recorded with its inputs
            threshold_mso = threshold_values[threshold_key]
            if depth:
                threshold_mso = float(depth.adjusted_threshold_in_percent_mso)
                row.update(_depth_columns(depth))
            row["intensity_in_percent_mso"] = threshold_mso * float(intensity.value) / 100.0
        else:
            if depth:
                raise MetadataError(f"protocol {key!r}: a depth adjustment needs an intensity relative to a "
                                    "threshold", field=f"/protocols/{key}/intensity/depth_adjustment",
                                    hint="use reference: percent_threshold with the motor threshold's key")
            row["intensity_in_percent_mso"] = float(intensity.value)
    if "intensity_reference" not in row:
        raise MetadataError(f"protocol {key!r} declares no intensity", field=f"/protocols/{key}/intensity",
                            hint="add intensity: {reference: percent_mso, value: 60}")
    row.setdefault("intensity_in_percent_mso", float("nan"))
    row.update(_conditioning_columns(key, entry.conditioning_intensity, protocol, thresholds, threshold_values,
                                     threshold_types or {}))
    return row


_NO_DEPTH_ADJUSTMENT = {
    "depth_adjustment_method": "none", "depth_adjustment_slope_in_percent_mso_per_mm": float("nan"),
    "scalp_to_cortex_distance_motor_in_mm": float("nan"), "scalp_to_cortex_distance_target_in_mm": float("nan"),
    "depth_adjusted_threshold_in_percent_mso": float("nan"),
}


def _depth_columns(depth: DepthAdjustmentEntry) -> dict:
    return {
        "depth_adjustment_method": depth.method,
        "depth_adjustment_slope_in_percent_mso_per_mm": float(depth.slope_in_percent_mso_per_mm),
        "scalp_to_cortex_distance_motor_in_mm": float(depth.scalp_to_cortex_distance_motor_in_mm),
        "scalp_to_cortex_distance_target_in_mm": float(depth.scalp_to_cortex_distance_target_in_mm),
        "depth_adjusted_threshold_in_percent_mso": float(depth.adjusted_threshold_in_percent_mso),
    }


def _conditioning_columns(key: str, conditioning: IntensityEntry | None, protocol, thresholds: dict[str, int],
                          threshold_values: dict[str, float], threshold_types: dict[str, str]) -> dict:
    """Conditioning-pulse columns: the entry's ``conditioning_intensity``, else the protocol's (its threshold
    resolved by type among the thresholds), else empty."""
    given = conditioning
    if given is None and protocol.conditioning_intensity_value is not None:
        threshold = None
        if protocol.conditioning_intensity_reference == "percent_threshold":
            wanted = protocol.conditioning_threshold_type
            matches = [k for k, kind in threshold_types.items() if kind == wanted and k in thresholds]
            threshold = matches[0] if matches else None
        given = IntensityEntry(reference=protocol.conditioning_intensity_reference,
                               value=protocol.conditioning_intensity_value, threshold=threshold)
    if given is None:
        return {"conditioning_intensity_reference": "", "conditioning_intensity_value": float("nan"),
                "conditioning_intensity_in_percent_mso": float("nan")}
    columns = {"conditioning_intensity_reference": given.reference,
               "conditioning_intensity_value": float(given.value)}
    if given.reference == "percent_threshold":
        threshold_key = given.threshold
        if threshold_key not in thresholds:
            raise MetadataError(f"protocol {key!r}: the conditioning intensity is relative to a threshold the "
                                "metadata does not give", field=f"/protocols/{key}/conditioning_intensity",
                                hint="add conditioning_intensity: {reference: percent_threshold, value: 80, "
                                     "threshold: <key in thresholds>}")
        columns["conditioning_threshold"] = thresholds[threshold_key]
        columns["conditioning_intensity_in_percent_mso"] = (threshold_values[threshold_key]
                                                            * float(given.value) / 100.0)
    else:
        columns["conditioning_intensity_in_percent_mso"] = float(given.value)
    return columns


def build_protocols(entries: SessionEntries, thresholds_table, threshold_rows: dict[str, int]):
    """``TMSProtocolsTable`` (rows in entry order) and the row index of each key."""
    from ndx_tms import TMSProtocolsTable

    threshold_values = {entry.key: float(entry.value_in_percent_mso) for entry in entries.thresholds}
    threshold_types = {entry.key: entry.threshold_type for entry in entries.thresholds}
    kwargs = {}
    if thresholds_table is not None:
        kwargs["target_tables"] = {"threshold": thresholds_table, "conditioning_threshold": thresholds_table}
    table = TMSProtocolsTable(description="Stimulation protocols declared for the session.", **kwargs)

    def table_row(entry: ProtocolEntry) -> dict:
        row = protocol_row(entry, threshold_rows, threshold_values, threshold_types)
        if thresholds_table is not None:
            # the region columns exist for every row once one row is relative; 0 is unused
            row.setdefault("threshold", 0)
            row.setdefault("conditioning_threshold", 0)
        return row

    return table, _add_keyed_rows(table, entries.protocols, table_row)


def build_targets(entries: SessionEntries, spaces: dict[str, Any]):
    """``TMSTargetsTable`` and the row index of each key; (None, {}) when no targets."""
    from ndx_tms import TMSTargetsTable

    section = entries.targets
    if not section:
        return None, {}
    table = TMSTargetsTable(description="Stimulation targets and coil placement.")
    optional_float = ("coil_center_ap_in_mm", "coil_center_ml_in_mm", "coil_center_dv_in_mm",
                      "coil_height_above_skull_in_mm", "coil_tilt_in_deg", "coil_handle_angle_in_deg",
                      "scalp_to_cortex_distance_in_mm", "efield_at_target_in_v_per_m", "efield_max_in_v_per_m")
    optional_text = ("atlas", "head_fixation", "anesthesia", "efield_model_name", "efield_model_version")
    # optional columns: present when any entry gives them, NaN or "" in the rows that do not
    blank = {**dict.fromkeys(optional_float, np.nan), **dict.fromkeys(optional_text, ""),
             "coil_pose": np.full((4, 4), np.nan), "entry_position": [np.nan] * 3,
             "efield_max_position": [np.nan] * 3}
    used = _used(section, blank)

    def target_row(entry: TargetEntry) -> dict:
        row = {"label": entry.label, "atlas_term": entry.atlas_term,
               "coordinate_space": spaces[entry.coordinate_space],
               "target_position": [float(v) for v in entry.target_position],
               "targeting_method": entry.targeting_method}
        for column in used:
            value = getattr(entry, column)
            value = blank[column] if value is None else value
            if column in optional_float:
                row[column] = float(value)
            elif column in optional_text:
                row[column] = str(value)
            else:
                row[column] = np.asarray(value, dtype=float)
        return row

    return table, _add_keyed_rows(table, section, target_row)


def build_adverse_events(entries: SessionEntries):
    """``TMSAdverseEventsTable`` (an EventsTable for ``nwbfile.events``, in time order) or None."""
    from ndx_tms import TMSAdverseEventsTable

    section = entries.adverse_events
    if not section:
        return None
    table = TMSAdverseEventsTable(description="Adverse events during the session.",
                                  source_description="Session metadata file (experimenter's record).")
    for entry in sorted(section, key=lambda e: e.time_in_s):
        table.add_row(timestamp=float(entry.time_in_s), notes=entry.notes, event_type=entry.event_type,
                      severity=entry.severity, relatedness=entry.relatedness, action=entry.action)
    return table


def build_cell_types(entries: SessionEntries):
    """``CellTypesTable`` and the row index of each key; (None, {}) when none."""
    from ndx_tms import CellTypesTable

    section = entries.cell_types
    if not section:
        return None, {}
    table = CellTypesTable(description="Cell types of imaged neurons (Cell Ontology terms, Cre lines).")
    return table, _add_keyed_rows(table, section, lambda entry: {field.name: getattr(entry, field.name)
                                                                 for field in dataclasses.fields(entry)
                                                                 if field.name != "key"})


def _used(section: Iterable, columns: Iterable[str]) -> list[str]:
    """The optional ``columns`` some entry of ``section`` gives (not None), in sorted order."""
    return sorted({column for entry in section for column in columns if getattr(entry, column) is not None})


def manipulations_summary(entries: SessionEntries) -> str:
    """One line per manipulation for ``NWBFile.pharmacology``."""
    lines = []
    for entry in entries.manipulations:
        dose = f" {entry.dose:g} {entry.dose_unit}".rstrip() if entry.dose is not None else ""
        lines.append(f"{entry.key}: {entry.substance}{dose}, {entry.route}, at {entry.time_s:g} s "
                     "from session start")
    return "; ".join(lines)


def add_manipulations(nwbfile: NWBFile, entries: SessionEntries, cell_type_rows: dict[str, int] | None = None):
    """Add the ``manipulations`` EventsTable to ``nwbfile.events`` (see module docstring); None when empty."""
    from pynwb.event import EventsTable

    if not entries.manipulations:
        return None
    table = EventsTable(
        name="manipulations",
        description="Manipulations of the subject (drug or chemogenetic ligand administrations); timestamp "
                    "is the time of administration in s from session_start_time, duration its length "
                    "(0 for a "
                    "bolus injection).",
        source_description="Session metadata file (experimenter's record).",
    )
    columns = {
        "substance": "Substance given, e.g. deschloroclozapine (DCZ).",
        "dose": "Dose, in dose_unit (NaN when not recorded).",
        "dose_unit": "Unit of dose, e.g. mg/kg.",
        "route": "Route of administration (intraperitoneal, subcutaneous, ...).",
        "vehicle": "Vehicle the substance was dissolved in.",
        "manipulation_type": "chemogenetic_ligand_injection, drug_injection, optogenetic or other.",
        "target_cell_type": "Label of the cell type expressing the receptor (empty when none).",
        "manipulation_key": "Key of the manipulation in the session metadata file.",
        "notes": "Free-form description of the manipulation.",
    }
    for name, doc in columns.items():
        table.add_column(name=name, description=doc)
    for entry in sorted(entries.manipulations, key=lambda e: e.time_s):
        table.add_row(
            timestamp=float(entry.time_s), duration=float(entry.duration_s), substance=entry.substance,
            dose=float(np.nan if entry.dose is None else entry.dose), dose_unit=entry.dose_unit,
            route=entry.route, vehicle=entry.vehicle, manipulation_type=entry.manipulation_type,
            target_cell_type=entry.target_cell_type, manipulation_key=entry.key, notes=entry.description,
        )
    nwbfile.add_events_table(table)
    return table


def build_tms_metadata(entries: SessionEntries, *, tables: dict[str, Any], spaces: dict[str, Any],
                       registrations: list | None = None):
    """``TMSExperimentMetadata`` holding every ``/general/tms`` table given (None entries are left out): coils,
    thresholds, protocols, targets, cell types; the reconciliation is set once the sessions it points into
    are in the file."""
    from ndx_tms import TMSExperimentMetadata, __version__

    values = {name: table for name, table in tables.items() if table is not None}
    for field in ("sham_description", "blinding_description"):
        if getattr(entries, field):  # optional attributes: omitted rather than empty (NWB Inspector)
            values[field] = getattr(entries, field)
    if registrations:
        values["tms_registrations"] = list(registrations)
    return TMSExperimentMetadata(tms_coordinate_spaces=list(spaces.values()), ndx_tms_version=__version__,
                                 **values)
