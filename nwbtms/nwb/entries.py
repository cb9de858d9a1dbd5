"""Typed entries the session builders (:mod:`nwbtms.nwb.session`) take: what one session's NWBFile, devices,
TMS tables and manipulations are built from, with no metadata format in them.

The assembly layer makes them from a validated metadata file (:func:`nwbtms.assembly.entries.session_entries`);
anything else (a NeuroConv interface, a test) can make them directly. Keyed table sections
(``coordinate_spaces``, ``thresholds``, ``targets``, ``registrations``, ``adverse_events``, ``cell_types``) stay
mappings of entries whose keys are the ndx-tms column names (the metadata schema checks them).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

#: Kinds of device the builders make: ndx-tms stimulator, coil and navigation system, or a core ``Device``
#: (microscope...).
DeviceKind = Literal["tms_stimulator", "tms_coil", "navigation_system", "device"]

@dataclass(frozen=True)
class FileEntry:
    """NWBFile header: ``fields`` are NWBFile keyword fields (``session_description``, ``experimenter``...)
    copied as given; ``subject`` the core Subject's keywords (``date_of_birth`` an aware datetime)."""

    identifier: str
    session_start_time: dt.datetime
    fields: Mapping[str, Any] = field(default_factory=dict)
    subject: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class DeviceEntry:
    """One device: ``kind`` picks the NWB type; ``model`` the DeviceModel's keywords (None: no model);
    ``stimulator`` the key of a coil's stimulator; ``attributes`` further keywords of the device type."""

    key: str
    kind: DeviceKind
    description: str | None = None
    model: Mapping[str, Any] | None = None
    stimulator: str | None = None
    manufacturer: str | None = None
    attributes: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class DepthAdjustmentEntry:
    """A motor threshold adjusted for the target's scalp-to-cortex distance (e.g. Stokes 2005)."""

    method: str
    slope_in_percent_mso_per_mm: float
    scalp_to_cortex_distance_motor_in_mm: float
    scalp_to_cortex_distance_target_in_mm: float
    adjusted_threshold_in_percent_mso: float


@dataclass(frozen=True)
class IntensityEntry:
    """A protocol's (or its conditioning pulse's) intensity: ``percent_mso`` (``value`` is %MSO) or
    ``percent_threshold`` of the threshold keyed ``threshold``, optionally depth-adjusted."""

    reference: str
    value: float
    threshold: str | None = None
    depth_adjustment: DepthAdjustmentEntry | None = None


@dataclass(frozen=True)
class ProtocolEntry:
    """One declared protocol: the protocol engine's definition (``nwbtms.protocols.Protocol``) and what the
    metadata adds to its table row (None: the protocol's or the table's default)."""

    key: str
    protocol: Any
    name: str | None = None
    intensity: IntensityEntry | None = None
    conditioning_intensity: IntensityEntry | None = None
    waveform: str | None = None
    waveform_description: str | None = None
    pulse_width_in_us: float | None = None
    coil_current_direction: str | None = None
    induced_current_direction: str | None = None
    notes: str | None = None
    sham: bool = False
    sham_type: str = ""


@dataclass(frozen=True)
class ManipulationEntry:
    """One manipulation (a drug or ligand administration) at ``time_s`` from session start."""

    key: str
    manipulation_type: str
    substance: str
    route: str
    time_s: float
    duration_s: float = 0.0
    dose: float | None = None
    dose_unit: str = ""
    vehicle: str = ""
    target_cell_type: str = ""  # the cell type's label, "" for none
    description: str = ""


@dataclass(frozen=True)
class SessionEntries:
    """Everything the session builders take for one file (``file`` only for ``build_nwbfile``; None when
    the TMS content goes into an NWBFile made elsewhere)."""

    file: FileEntry | None = None
    devices: tuple[DeviceEntry, ...] = ()
    coordinate_spaces: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    thresholds: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    protocols: tuple[ProtocolEntry, ...] = ()
    targets: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    registrations: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    adverse_events: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    cell_types: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    manipulations: tuple[ManipulationEntry, ...] = ()
    sham_description: str | None = None
    blinding_description: str | None = None


@dataclass(frozen=True)
class IndicatorEntry:
    """A fluorescent indicator recorded through a fiber (e.g. GCaMP8m)."""

    key: str
    label: str
    description: str = ""
    manufacturer: str = ""
    #: key of the study design's viral vector injection that delivered it ("" for none)
    injection: str = ""


@dataclass(frozen=True)
class PhotometryChannelEntry:
    """One recorded signal of a fiber: a stream of the photometry file under one excitation (a table row)."""

    stream: str
    excitation_wavelength_in_nm: float
    emission_wavelength_in_nm: float


@dataclass(frozen=True)
class FiberEntry:
    """An implanted optical fiber: where it is, what it is, which cell type and indicator it records."""

    key: str
    location: str
    indicator: str  # IndicatorEntry key
    channels: tuple[PhotometryChannelEntry, ...]
    cell_type: str = ""  # the cell type's label (ndx-tms cell types: IT, PT, ...); "" for none
    #: (AP, ML, DV) of the fiber tip in mm from ``reference`` (+ anterior, right, dorsal), or None
    coordinates_in_mm: tuple[float, float, float] | None = None
    reference: str = "bregma"
    description: str = ""
    #: OpticalFiberModel keywords (``name``, ``manufacturer``, ``numerical_aperture``, ``core_diameter_in_um``,
    #: ``model_number``...), or None
    model: Mapping[str, Any] | None = None


@dataclass(frozen=True)
class PhotometryEntries:
    """The fiber photometry of one file: indicators, fibers with their channels, the photodetector."""

    fibers: tuple[FiberEntry, ...]
    indicators: tuple[IndicatorEntry, ...]
    description: str = ""
    photodetector: Mapping[str, Any] = field(default_factory=dict)


__all__ = ["DepthAdjustmentEntry", "DeviceEntry", "DeviceKind", "FiberEntry", "FileEntry", "IndicatorEntry",
           "IntensityEntry", "ManipulationEntry", "PhotometryChannelEntry", "PhotometryEntries", "ProtocolEntry",
           "SessionEntries"]
