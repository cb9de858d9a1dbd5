"""A validated metadata file (:class:`~nwbtms.metadata.model.Session`) into the typed entries the session
builders take (:class:`~nwbtms.nwb.entries.SessionEntries`): the one place that knows both the metadata
file's keys and what the builders need."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from nwbtms.metadata.model import Session, parse_datetime
from nwbtms.metadata.protocols import entry_protocol
from nwbtms.nwb.entries import (
    DepthAdjustmentEntry,
    DeviceEntry,
    FiberEntry,
    FileEntry,
    IndicatorEntry,
    IntensityEntry,
    ManipulationEntry,
    PhotometryChannelEntry,
    PhotometryEntries,
    ProtocolEntry,
    SessionEntries,
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


def session_entries(session: Session, *, with_file: bool = True) -> SessionEntries:
    """Everything the session builders take, from ``session`` (``with_file=False``: no NWBFile header, for
    TMS content added to an NWBFile made elsewhere)."""
    return SessionEntries(
        file=file_entry(session) if with_file else None,
        devices=device_entries(session),
        coordinate_spaces=session.section("coordinate_spaces"),
        thresholds=session.section("thresholds"),
        protocols=tuple(protocol_entry(key, entry) for key, entry in session.section("protocols").items()),
        targets=session.section("targets"),
        registrations=session.section("registrations"),
        adverse_events=session.section("adverse_events"),
        cell_types=session.section("cell_types"),
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
            model=dict(fiber["model"]) if fiber.get("model") else None))
    indicators = tuple(IndicatorEntry(key=key, label=entry["label"], description=entry.get("description", ""),
                                      manufacturer=entry.get("manufacturer", ""), injection=entry.get("injection", ""))
                       for key, entry in section["indicators"].items())
    return PhotometryEntries(fibers=tuple(fibers), indicators=indicators, description=section.get("description", ""),
                             photodetector=dict(section.get("photodetector") or {}))


__all__ = ["NWBFILE_FIELDS", "device_entries", "file_entry", "photometry_entries", "session_entries"]
