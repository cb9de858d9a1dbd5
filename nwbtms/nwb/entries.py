"""Typed entries the session builders (:mod:`nwbtms.nwb.session`) take: what one session's NWBFile, devices,
TMS tables and manipulations are built from, with no metadata format in them.

The assembly layer makes them from a validated metadata file (:func:`nwbtms.assembly.entries.session_entries`,
:func:`~nwbtms.assembly.entries.study_design_entry`); anything else (a NeuroConv interface, a test) can make them
directly. Every keyed section of the metadata file (``coordinate_spaces``, ``thresholds``, ``targets``...) is a
tuple of entries in the file's order, each with its ``key``; a builder reads fields, never a metadata key
(``tests/test_builder_inputs.py``). ``Mapping`` fields hold keyword arguments passed on whole to a constructor.
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
class CoordinateSpaceEntry:
    """One coordinate space (ndx-tms ``TMSCoordinateSpace``): ``space`` (e.g. MNI152NLin2009cAsym), its
    ``origin``, ``orientation`` (three letters, e.g. RAS) and ``units``."""

    key: str
    space: str
    origin: str
    orientation: str
    units: str = "mm"
    description: str | None = None


@dataclass(frozen=True)
class LandmarkEntry:
    """One landmark of a registration: its position in the space's units and its error (mm; None: not given)."""

    label: str
    position: tuple[float, float, float]
    error_in_mm: float | None = None


@dataclass(frozen=True)
class RegistrationEntry:
    """One registration of the head to a coordinate space (ndx-tms ``TMSRegistration``); ``coordinate_space``
    and ``navigation_system`` are keys of a coordinate space and a device."""

    key: str
    method: str
    coordinate_space: str
    navigation_system: str | None = None
    rms_error_in_mm: float | None = None
    description: str | None = None
    landmarks: tuple[LandmarkEntry, ...] = ()


@dataclass(frozen=True)
class ThresholdEntry:
    """One measured threshold (a ``TMSThresholdsTable`` row); optional columns None when not given."""

    key: str
    threshold_type: str
    value_in_percent_mso: float
    method: str
    criterion: str
    measurement_method: str
    time_measured_in_s: float | None = None
    coil_orientation_in_deg: float | None = None
    value_in_v_per_m: float | None = None
    efield_model: str | None = None
    muscle: str | None = None


@dataclass(frozen=True)
class TargetEntry:
    """One stimulation target and coil placement (a ``TMSTargetsTable`` row); ``coordinate_space`` is a
    coordinate space's key; optional columns None when not given (``coil_pose`` 4x4, SimNIBS matsimnibs)."""

    key: str
    label: str
    atlas_term: str
    coordinate_space: str
    target_position: tuple[float, float, float]
    targeting_method: str
    atlas: str | None = None
    entry_position: tuple[float, float, float] | None = None
    coil_pose: tuple[tuple[float, ...], ...] | None = None
    coil_center_ap_in_mm: float | None = None
    coil_center_ml_in_mm: float | None = None
    coil_center_dv_in_mm: float | None = None
    coil_height_above_skull_in_mm: float | None = None
    coil_tilt_in_deg: float | None = None
    coil_handle_angle_in_deg: float | None = None
    scalp_to_cortex_distance_in_mm: float | None = None
    head_fixation: str | None = None
    anesthesia: str | None = None
    efield_at_target_in_v_per_m: float | None = None
    efield_model_name: str | None = None
    efield_model_version: str | None = None
    efield_max_in_v_per_m: float | None = None
    efield_max_position: tuple[float, float, float] | None = None


@dataclass(frozen=True)
class AdverseEventEntry:
    """One adverse event (a ``TMSAdverseEventsTable`` row) at ``time_in_s`` from session start."""

    key: str
    time_in_s: float
    event_type: str
    severity: str
    relatedness: str
    action: str
    notes: str = ""


@dataclass(frozen=True)
class CellTypeEntry:
    """One cell type (a ``CellTypesTable`` row): Cell Ontology term, projection class, Cre line..."""

    key: str
    label: str
    cell_ontology_id: str
    projection_class: str
    cell_ontology_label: str = ""
    atlas_taxonomy_label: str = ""
    atlas_taxonomy_id: str = ""
    cre_line: str = ""
    cre_line_id: str = ""
    reporter: str = ""


@dataclass(frozen=True)
class SessionEntries:
    """Everything the session builders take for one file (``file`` only for ``build_nwbfile``; None when
    the TMS content goes into an NWBFile made elsewhere)."""

    file: FileEntry | None = None
    devices: tuple[DeviceEntry, ...] = ()
    coordinate_spaces: tuple[CoordinateSpaceEntry, ...] = ()
    thresholds: tuple[ThresholdEntry, ...] = ()
    protocols: tuple[ProtocolEntry, ...] = ()
    targets: tuple[TargetEntry, ...] = ()
    registrations: tuple[RegistrationEntry, ...] = ()
    adverse_events: tuple[AdverseEventEntry, ...] = ()
    cell_types: tuple[CellTypeEntry, ...] = ()
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
class FiberModelEntry:
    """The product an optical fiber is (ndx-ophys-devices ``OpticalFiberModel``)."""

    name: str
    numerical_aperture: float
    manufacturer: str = ""
    model_number: str = ""
    core_diameter_in_um: float | None = None
    ferrule_name: str = ""
    ferrule_diameter_in_mm: float | None = None


@dataclass(frozen=True)
class PhotodetectorEntry:
    """The photodetector of a fiber photometry system (its ``PhotodetectorModel`` when ``model`` or
    ``manufacturer`` is given)."""

    description: str = ""
    manufacturer: str = ""
    model: str = ""
    detector_type: str = "photodiode"


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
    model: FiberModelEntry | None = None


@dataclass(frozen=True)
class PhotometryEntries:
    """The fiber photometry of one file: indicators, fibers with their channels, the photodetector."""

    fibers: tuple[FiberEntry, ...]
    indicators: tuple[IndicatorEntry, ...]
    description: str = ""
    photodetector: PhotodetectorEntry = field(default_factory=PhotodetectorEntry)


@dataclass(frozen=True)
class ViralVectorEntry:
    """One viral vector (ndx-ophys-devices ``ViralVector``)."""

    key: str
    construct_name: str
    manufacturer: str
    titer_in_vg_per_ml: float
    description: str | None = None


@dataclass(frozen=True)
class InjectionEntry:
    """One viral vector injection (ndx-ophys-devices ``ViralVectorInjection`` with its ``StereotacticPosition``);
    ``viral_vector`` is a viral vector's key, ``date`` an ISO 8601 date."""

    key: str
    viral_vector: str
    volume_in_uL: float
    date: str
    anatomical_target: str
    origin: str
    orientation: str
    x_in_mm: float
    y_in_mm: float
    z_in_mm: float
    pitch_in_deg: float | None = None
    roll_in_deg: float | None = None
    description: str | None = None


@dataclass(frozen=True)
class EffectorEntry:
    """One effector (ndx-ophys-devices ``Effector``; with a ``ligand``, an ndx-study-design
    ``ChemogeneticEffector``); ``injection`` is an injection's key."""

    key: str
    label: str
    ligand: str | None = None
    action: str | None = None
    injection: str | None = None
    manufacturer: str | None = None
    description: str | None = None


@dataclass(frozen=True)
class InterventionEntry:
    """One intervention before or between sessions (a row of the ``interventions`` table); dates ISO 8601."""

    key: str
    intervention_type: str
    start_date: str
    end_date: str
    substance: str = ""
    dose: float | None = None
    dose_unit: str = ""
    vehicle: str = ""
    route: str = ""
    hours_per_day: float | None = None
    days: int | None = None
    description: str = ""


@dataclass(frozen=True)
class StudyDesignEntry:
    """The study design of a file (:mod:`nwbtms.nwb.design`); ``condition`` the (factor, level) pairs."""

    viral_vectors: tuple[ViralVectorEntry, ...] = ()
    injections: tuple[InjectionEntry, ...] = ()
    effectors: tuple[EffectorEntry, ...] = ()
    interventions: tuple[InterventionEntry, ...] = ()
    condition: tuple[tuple[str, str], ...] = ()

    def __bool__(self) -> bool:
        """True when any part of the design is given."""
        return any((self.viral_vectors, self.injections, self.effectors, self.interventions, self.condition))


__all__ = ["AdverseEventEntry", "CellTypeEntry", "CoordinateSpaceEntry", "DepthAdjustmentEntry", "DeviceEntry",
           "DeviceKind", "EffectorEntry", "FiberEntry", "FiberModelEntry", "FileEntry", "IndicatorEntry",
           "InjectionEntry", "IntensityEntry", "InterventionEntry", "LandmarkEntry", "ManipulationEntry",
           "PhotodetectorEntry", "PhotometryChannelEntry", "PhotometryEntries", "ProtocolEntry", "RegistrationEntry",
           "SessionEntries", "StudyDesignEntry", "TargetEntry", "ThresholdEntry", "ViralVectorEntry"]
