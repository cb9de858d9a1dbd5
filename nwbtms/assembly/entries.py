"""A validated metadata file (:class:`~nwbtms.metadata.model.Session`) into the typed entries the session
builders take (:class:`~nwbtms.nwb.entries.SessionEntries`): the one place that knows both the metadata
file's keys and what the builders need."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from nwbtms.metadata.model import Session, parse_datetime
from nwbtms.metadata.protocols import entry_protocol
from nwbtms.nwb.entries import (
    AdverseEventEntry,
    CellTypeEntry,
    CoordinateSpaceEntry,
    DepthAdjustmentEntry,
    DeviceEntry,
    EffectorEntry,
    FiberEntry,
    FiberModelEntry,
    FileEntry,
    IndicatorEntry,
    InjectionEntry,
    IntensityEntry,
    InterventionEntry,
    LandmarkEntry,
    ManipulationEntry,
    PhotodetectorEntry,
    PhotometryChannelEntry,
    PhotometryEntries,
    ProtocolEntry,
    RegistrationEntry,
    SessionEntries,
    StudyDesignEntry,
    TargetEntry,
    ThresholdEntry,
    ViralVectorEntry,
)

#: NWBFile keyword fields copied as-is from the ``nwbfile`` section.
NWBFILE_FIELDS = ("session_description", "session_id", "experimenter", "lab", "institution",
                  "experiment_description", "related_publications", "keywords", "notes", "pharmacology",
                  "surgery", "virus")


def file_entry(session: Session) -> FileEntry:
    """NWBFile header and subject (``date_of_birth`` parsed to an aware datetime)."""
    fields = session.nwbfile_fields
    subject = session.subject
    if "date_of_birth" in subject:
        subject["date_of_birth"] = parse_datetime(subject["date_of_birth"])
    return FileEntry(identifier=session.identifier, session_start_time=session.session_start_time,
                     fields={name: fields[name] for name in NWBFILE_FIELDS if name in fields}, subject=subject)


def device_entry(key: str, entry: Mapping[str, Any]) -> DeviceEntry:
    """One ``devices`` entry: ``type`` picks the kind; the rest of a TMS device's keys are its attributes."""
    values = dict(entry)
    kind = values.pop("type")
    if kind in ("tms_stimulator", "tms_coil", "navigation_system"):
        return DeviceEntry(key=key, kind=kind, description=values.pop("description", None),
                           model=values.pop("model"), stimulator=values.pop("stimulator", None),
                           attributes=values)
    return DeviceEntry(key=key, kind="device", description=values.get("description"),
                       model=values.get("model"), manufacturer=values.get("manufacturer"))


def device_entries(session: Session, keys: Mapping[str, Any] | None = None) -> tuple[DeviceEntry, ...]:
    """The ``devices`` section (or the entries of ``keys`` only, a subset of it)."""
    section = session.section("devices")
    chosen = section if keys is None else {k: v for k, v in section.items() if k in keys}
    return tuple(device_entry(key, entry) for key, entry in chosen.items())


def intensity_entry(intensity: Mapping[str, Any] | None) -> IntensityEntry | None:
    """An ``intensity`` or ``conditioning_intensity`` mapping (None: not given)."""
    if not intensity:
        return None
    depth = intensity.get("depth_adjustment")
    return IntensityEntry(
        reference=intensity["reference"], value=float(intensity["value"]), threshold=intensity.get("threshold"),
        depth_adjustment=DepthAdjustmentEntry(
            method=depth["method"], slope_in_percent_mso_per_mm=float(depth["slope_in_percent_mso_per_mm"]),
            scalp_to_cortex_distance_motor_in_mm=float(depth["scalp_to_cortex_distance_motor_in_mm"]),
            scalp_to_cortex_distance_target_in_mm=float(depth["scalp_to_cortex_distance_target_in_mm"]),
            adjusted_threshold_in_percent_mso=float(depth["adjusted_threshold_in_percent_mso"]),
        ) if depth else None,
    )


def protocol_entry(key: str, entry: Mapping[str, Any]) -> ProtocolEntry:
    """One ``protocols`` entry: its protocol (preset, file or inline) and the row values it declares."""
    return ProtocolEntry(
        key=key, protocol=entry_protocol(entry), name=entry.get("name"),
        intensity=intensity_entry(entry.get("intensity")),
        conditioning_intensity=intensity_entry(entry.get("conditioning_intensity")),
        waveform=entry.get("waveform"), waveform_description=entry.get("waveform_description"),
        pulse_width_in_us=entry.get("pulse_width_in_us"),
        coil_current_direction=entry.get("coil_current_direction"),
        induced_current_direction=entry.get("induced_current_direction"), notes=entry.get("notes"),
        sham=bool(entry.get("sham", False)), sham_type=entry.get("sham_type", ""),
    )


def manipulation_entries(session: Session) -> tuple[ManipulationEntry, ...]:
    """The ``manipulations`` section, the target cell type given by its label."""
    cell_types = session.section("cell_types")
    out = []
    for key, entry in session.section("manipulations").items():
        target = entry.get("target_cell_type")
        out.append(ManipulationEntry(
            key=key, manipulation_type=entry["type"], substance=entry["substance"], route=entry["route"],
            time_s=entry["time_s"], duration_s=entry.get("duration_s", 0.0), dose=entry.get("dose"),
            dose_unit=entry.get("dose_unit", ""), vehicle=entry.get("vehicle", ""),
            target_cell_type=cell_types[target]["label"] if target else "",
            description=entry.get("description", ""),
        ))
    return tuple(out)


def _optional_float(entry: Mapping[str, Any], name: str) -> float | None:
    return float(entry[name]) if entry.get(name) is not None else None


def _xyz(values) -> tuple[float, ...] | None:
    return None if values is None else tuple(float(v) for v in values)


def coordinate_space_entry(key: str, entry: Mapping[str, Any]) -> CoordinateSpaceEntry:
    """One ``coordinate_spaces`` entry (units mm unless given)."""
    return CoordinateSpaceEntry(key=key, space=entry["space"], origin=entry["origin"],
                                orientation=entry["orientation"], units=entry.get("units") or "mm",
                                description=entry.get("description"))


def registration_entry(key: str, entry: Mapping[str, Any]) -> RegistrationEntry:
    """One ``registrations`` entry: its landmarks in the file's order, each with its error when given."""
    errors = entry.get("landmark_error_in_mm") or {}
    landmarks = tuple(LandmarkEntry(label=name, position=_xyz(position),
                                    error_in_mm=float(errors[name]) if name in errors else None)
                      for name, position in (entry.get("landmarks") or {}).items())
    return RegistrationEntry(key=key, method=entry["method"], coordinate_space=entry["coordinate_space"],
                             navigation_system=entry.get("navigation_system") or None,
                             rms_error_in_mm=_optional_float(entry, "rms_error_in_mm"),
                             description=entry.get("description") or None, landmarks=landmarks)


def threshold_entry(key: str, entry: Mapping[str, Any]) -> ThresholdEntry:
    """One ``thresholds`` entry."""
    return ThresholdEntry(
        key=key, threshold_type=entry["threshold_type"], value_in_percent_mso=float(entry["value_in_percent_mso"]),
        method=entry["method"], criterion=entry["criterion"], measurement_method=entry["measurement_method"],
        time_measured_in_s=_optional_float(entry, "time_measured_in_s"),
        coil_orientation_in_deg=_optional_float(entry, "coil_orientation_in_deg"),
        value_in_v_per_m=_optional_float(entry, "value_in_v_per_m"), efield_model=entry.get("efield_model"),
        muscle=entry.get("muscle"))


#: Optional number fields of a ``targets`` entry (:class:`~nwbtms.nwb.entries.TargetEntry`).
TARGET_FLOATS = ("coil_center_ap_in_mm", "coil_center_ml_in_mm", "coil_center_dv_in_mm",
                 "coil_height_above_skull_in_mm", "coil_tilt_in_deg", "coil_handle_angle_in_deg",
                 "scalp_to_cortex_distance_in_mm", "efield_at_target_in_v_per_m", "efield_max_in_v_per_m")
#: Optional text fields of a ``targets`` entry.
TARGET_TEXTS = ("atlas", "head_fixation", "anesthesia", "efield_model_name", "efield_model_version")


def target_entry(key: str, entry: Mapping[str, Any]) -> TargetEntry:
    """One ``targets`` entry."""
    pose = entry.get("coil_pose")
    return TargetEntry(
        key=key, label=entry["label"], atlas_term=entry["atlas_term"], coordinate_space=entry["coordinate_space"],
        target_position=_xyz(entry["target_position"]), targeting_method=entry["targeting_method"],
        entry_position=_xyz(entry.get("entry_position")),
        coil_pose=None if pose is None else tuple(tuple(float(v) for v in row) for row in pose),
        efield_max_position=_xyz(entry.get("efield_max_position")),
        **{name: _optional_float(entry, name) for name in TARGET_FLOATS},
        **{name: str(entry[name]) if entry.get(name) is not None else None for name in TARGET_TEXTS},
    )


def adverse_event_entry(key: str, entry: Mapping[str, Any]) -> AdverseEventEntry:
    """One ``adverse_events`` entry."""
    return AdverseEventEntry(key=key, time_in_s=float(entry["time_in_s"]), event_type=entry["event_type"],
                             severity=entry["severity"], relatedness=entry["relatedness"], action=entry["action"],
                             notes=entry.get("notes", ""))


def cell_type_entry(key: str, entry: Mapping[str, Any]) -> CellTypeEntry:
    """One ``cell_types`` entry."""
    return CellTypeEntry(key=key, **{name: entry[name] for name in entry})


def study_design_entry(metadata: Mapping[str, Any]) -> StudyDesignEntry:
    """The ``viral_vectors``, ``injections``, ``effectors``, ``interventions`` and ``condition`` sections of a
    metadata file's mapping (``Session.data``); all empty: a false entry, and the file gets no study design."""

    def section(name: str) -> dict:
        return dict(metadata.get(name) or {})

    return StudyDesignEntry(
        viral_vectors=tuple(
            ViralVectorEntry(key=key, construct_name=e["construct_name"], manufacturer=e["manufacturer"],
                             titer_in_vg_per_ml=float(e["titer_in_vg_per_ml"]), description=e.get("description"))
            for key, e in section("viral_vectors").items()),
        injections=tuple(
            InjectionEntry(key=key, viral_vector=e["viral_vector"], volume_in_uL=float(e["volume_in_uL"]),
                           date=str(e["date"]), anatomical_target=e["anatomical_target"], origin=e["origin"],
                           orientation=e["orientation"], x_in_mm=float(e["x_in_mm"]), y_in_mm=float(e["y_in_mm"]),
                           z_in_mm=float(e["z_in_mm"]), pitch_in_deg=_optional_float(e, "pitch_in_deg"),
                           roll_in_deg=_optional_float(e, "roll_in_deg"), description=e.get("description"))
            for key, e in section("injections").items()),
        effectors=tuple(
            EffectorEntry(key=key, label=e["label"], ligand=e.get("ligand"), action=e.get("action"),
                          injection=e.get("injection"), manufacturer=e.get("manufacturer"),
                          description=e.get("description"))
            for key, e in section("effectors").items()),
        interventions=tuple(
            InterventionEntry(key=key, intervention_type=e["type"], start_date=str(e["start_date"]),
                              end_date=str(e["end_date"]), substance=str(e.get("substance", "")),
                              dose=_optional_float(e, "dose"), dose_unit=str(e.get("dose_unit", "")),
                              vehicle=str(e.get("vehicle", "")), route=str(e.get("route", "")),
                              hours_per_day=_optional_float(e, "hours_per_day"), days=e.get("days"),
                              description=str(e.get("description", "")))
            for key, e in section("interventions").items()),
        condition=tuple((str(factor), str(level)) for factor, level in section("condition").items()),
    )


def session_entries(session: Session, *, with_file: bool = True) -> SessionEntries:
    """Everything the session builders take, from ``session`` (``with_file=False``: no NWBFile header, for
    TMS content added to an NWBFile made elsewhere)."""
    return SessionEntries(
        file=file_entry(session) if with_file else None,
        devices=device_entries(session),
        coordinate_spaces=_keyed(session, "coordinate_spaces", coordinate_space_entry),
        thresholds=_keyed(session, "thresholds", threshold_entry),
        protocols=_keyed(session, "protocols", protocol_entry),
        targets=_keyed(session, "targets", target_entry),
        registrations=_keyed(session, "registrations", registration_entry),
        adverse_events=_keyed(session, "adverse_events", adverse_event_entry),
        cell_types=_keyed(session, "cell_types", cell_type_entry),
        manipulations=manipulation_entries(session),
        sham_description=session.data.get("sham_description") or None,
        blinding_description=session.data.get("blinding_description") or None,
    )


def photometry_entries(session: Session) -> PhotometryEntries | None:
    """The ``photometry`` section as typed entries (None without one); a fiber's cell type by its label."""
    section = session.data.get("photometry")
    if not section:
        return None
    cell_types = session.section("cell_types")
    fibers = []
    for key, fiber in section["fibers"].items():
        coordinates = fiber.get("coordinates_in_mm")
        fibers.append(FiberEntry(
            key=key, location=fiber["location"], indicator=fiber["indicator"],
            channels=tuple(PhotometryChannelEntry(stream=stream, excitation_wavelength_in_nm=float(
                values["excitation_wavelength_in_nm"]), emission_wavelength_in_nm=float(
                values["emission_wavelength_in_nm"])) for stream, values in fiber["signals"].items()),
            cell_type=cell_types[fiber["cell_type"]]["label"] if fiber.get("cell_type") else "",
            coordinates_in_mm=tuple(float(v) for v in coordinates) if coordinates else None,
            reference=fiber.get("reference", "bregma"), description=fiber.get("description", ""),
            model=_fiber_model(fiber["model"]) if fiber.get("model") else None))
    indicators = tuple(IndicatorEntry(key=key, label=entry["label"], description=entry.get("description", ""),
                                      manufacturer=entry.get("manufacturer", ""), injection=entry.get("injection", ""))
                       for key, entry in section["indicators"].items())
    detector = section.get("photodetector") or {}
    return PhotometryEntries(fibers=tuple(fibers), indicators=indicators, description=section.get("description", ""),
                             photodetector=PhotodetectorEntry(
                                 description=detector.get("description", ""),
                                 manufacturer=detector.get("manufacturer", ""), model=detector.get("model", ""),
                                 detector_type=detector.get("detector_type", "photodiode")))


def _fiber_model(model: Mapping[str, Any]) -> FiberModelEntry:
    """A fiber's ``model`` mapping (``name`` default: the model number, else 'optical fiber')."""
    optional = {name: float(model[name]) for name in ("core_diameter_in_um", "ferrule_diameter_in_mm")
                if name in model}
    return FiberModelEntry(name=str(model.get("name") or model.get("model_number") or "optical fiber"),
                           numerical_aperture=float(model["numerical_aperture"]),
                           manufacturer=str(model.get("manufacturer", "")),
                           model_number=str(model.get("model_number", "")),
                           ferrule_name=str(model.get("ferrule_name", "")), **optional)


def _keyed(session: Session, name: str, make) -> tuple:
    """``make(key, entry)`` of every entry of the keyed section ``name``, in the file's order."""
    return tuple(make(key, entry) for key, entry in session.section(name).items())


__all__ = ["NWBFILE_FIELDS", "TARGET_FLOATS", "TARGET_TEXTS", "adverse_event_entry", "cell_type_entry",
           "coordinate_space_entry", "device_entries", "file_entry", "photometry_entries", "protocol_entry",
           "registration_entry", "session_entries", "study_design_entry", "target_entry", "threshold_entry"]
