"""Mock factories for every ndx-tms type, and :func:`mock_tms_nwbfile`, a complete example file.

The values describe one day of accelerated intermittent theta-burst stimulation (aiTBS) of an awake,
head-fixed Tlx3-Cre mouse imaged over prefrontal cortex (Gongwer et al., Cell 2026,
DOI 10.1016/j.cell.2025.12.040). Like ``pynwb.testing.mock`` (``ogen.py``), each factory takes explicit
keyword parameters only, builds what it needs when a dependency is not given, and with ``nwbfile=`` attaches
what it builds: devices and models with ``add_device``/``add_device_model``; pulses, sessions and adverse events
with :func:`ndx_tms.add_tms_tables`; the tables, coordinate spaces and registrations of ``/general/tms`` into
the file's :class:`TMSExperimentMetadata` (a protocols table creates it); masks and clock alignments into the
``ophys`` module. Objects a file may hold several of (devices, models, coordinate spaces, registrations,
masks, clock alignments) get a unique name unless ``name=`` is given
(``pynwb.testing.mock.utils.name_generator``); tables keep the name their place requires.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
from pynwb import NWBFile
from pynwb.file import Subject
from pynwb.testing.mock.utils import name_generator

from ndx_tms import (
    CellTypesTable,
    TMSAdverseEventsTable,
    TMSArtifactMask,
    TMSClockAlignment,
    TMSCoil,
    TMSCoilModel,
    TMSCoilsTable,
    TMSCoordinateSpace,
    TMSExperimentMetadata,
    TMSNavigationSystem,
    TMSProtocolsTable,
    TMSPulsesTable,
    TMSReconciliationTable,
    TMSRegistration,
    TMSSessionsTable,
    TMSStimulator,
    TMSStimulatorModel,
    TMSTargetsTable,
    TMSThresholdsTable,
    __version__,
    add_cell_type_column,
    add_tms_tables,
)

#: iTBS (Huang et al. 2005, Neuron 45:201): 3 pulses at 50 Hz, bursts at 5 Hz, 10 bursts per 2 s train,
#: trains every 10 s, 20 trains = 600 pulses. Levels innermost first: (name, count, interval_s).
ITBS_LEVELS = (("pulse", 3, 0.02), ("burst", 10, 0.2), ("train", 20, 10.0))
#: How Huang 2005 states each level: pulses and bursts by rate (onset to onset), trains as "2 s trains every 10 s".
ITBS_CONVENTIONS = ("onset_to_onset", "onset_to_onset", "onset_to_onset")
#: Sessions of the mock aiTBS day and their onset-to-onset interval (a parameter of the study, Gongwer et al. 2026).
MOCK_SESSIONS = 3
MOCK_SESSION_INTERVAL_S = 1800.0
MOCK_FIRST_PULSE_S = 60.0
MOCK_ARTIFACT_WINDOW_S = (-0.001, 0.025)
#: The mock rig drops one pulse: (session, index of the pulse within the session) = train 12, burst 4, pulse 2.
MOCK_DROPPED_PULSE = (2, 12 * 30 + 4 * 3 + 2)


def mock_course_times_s(sessions: int = MOCK_SESSIONS) -> tuple[np.ndarray, np.ndarray]:
    """Declared times of every pulse of the mock day, and a mask of the ones delivered."""
    one = itbs_schedule_s()
    times = np.concatenate([one + MOCK_FIRST_PULSE_S + s * MOCK_SESSION_INTERVAL_S for s in range(sessions)])
    delivered = np.ones(times.size, dtype=bool)
    session, index = MOCK_DROPPED_PULSE
    if session < sessions:
        delivered[session * one.size + index] = False
    return times, delivered


def itbs_schedule_s(first_pulse_s: float = 0.0) -> np.ndarray:
    """Pulse times of one iTBS-600 session, in s, built on integer microseconds (no float drift)."""
    t_us = np.zeros(1, dtype=np.int64)
    for _, count, interval_s in ITBS_LEVELS:
        step = np.arange(count, dtype=np.int64) * round(interval_s * 1e6)
        t_us = (step[:, None] + t_us[None, :]).ravel()
    return first_pulse_s + t_us / 1e6


class _Mock:
    """Default of a :func:`mock_TMSExperimentMetadata` part: build the mock one (``None`` leaves it out)."""

    def __repr__(self) -> str:
        return "MOCK"


#: "build the mock one" (see :class:`_Mock`)
MOCK = _Mock()


def _metadata_of(nwbfile: NWBFile, **parts) -> TMSExperimentMetadata:
    """The file's :class:`TMSExperimentMetadata`, created (with ``parts``, else mock protocols) when missing."""
    existing = nwbfile.lab_meta_data.get("tms")
    if existing is not None:
        return existing
    if parts.get("protocols") is None:
        parts["thresholds"] = parts.get("thresholds") or mock_TMSThresholdsTable()
        parts["protocols"] = mock_TMSProtocolsTable(thresholds=parts["thresholds"])
    metadata = TMSExperimentMetadata(ndx_tms_version=__version__, **parts)
    nwbfile.add_lab_meta_data(metadata)
    return metadata


#: where each table goes in 0.2 outside /general/tms (:func:`ndx_tms.add_tms_tables`)
_OUTSIDE_METADATA = ("pulses", "sessions", "adverse_events")


def _attach(nwbfile: NWBFile | None, field: str, table) -> None:
    """Put ``table`` where ndx-tms places it in ``nwbfile`` (nothing without a file)."""
    if nwbfile is None:
        return
    if field in _OUTSIDE_METADATA:
        add_tms_tables(nwbfile, **{field: table})
        return
    if "tms" not in nwbfile.lab_meta_data:
        _metadata_of(nwbfile, **{field: table})
        return
    metadata = nwbfile.lab_meta_data["tms"]
    if getattr(metadata, field) is not None:
        raise ValueError(f"the file's TMS metadata already has its {field} table; pass that table instead")
    setattr(metadata, field, table)


def _in_file(nwbfile: NWBFile | None, field: str):
    """The table ``field`` of the file's TMS metadata, or None."""
    if nwbfile is None or "tms" not in nwbfile.lab_meta_data:
        return None
    return getattr(nwbfile.lab_meta_data["tms"], field)


def _add_to_ophys(nwbfile: NWBFile | None, obj) -> None:
    if nwbfile is None:
        return
    if "ophys" not in nwbfile.processing:
        nwbfile.create_processing_module(name="ophys", description="Optical physiology processing.")
    nwbfile.processing["ophys"].add(obj)


def mock_TMSStimulatorModel(
    *,
    name: str | None = None,
    manufacturer: str = "MagVenture",
    model_number: str = "9016E0731",
    description: str = "MagPro X100 with MagOption.",
    available_modes: list[str] | None = None,
    available_waveforms: list[str] | None = None,
    maximum_output_in_percent_mso: float = 100.0,
    maximum_di_dt_in_a_per_us: float | None = 160.0,
    nwbfile: NWBFile | None = None,
) -> TMSStimulatorModel:
    """A MagVenture MagPro X100 with MagOption (biphasic and monophasic, standard and power modes)."""
    model = TMSStimulatorModel(
        name=name or name_generator("TMSStimulatorModel"),
        manufacturer=manufacturer,
        model_number=model_number,
        description=description,
        available_modes=available_modes if available_modes is not None else ["standard", "power", "twin", "dual"],
        available_waveforms=(available_waveforms if available_waveforms is not None
                             else ["biphasic", "monophasic", "half_sine", "biphasic_burst"]),
        maximum_output_in_percent_mso=maximum_output_in_percent_mso,
        maximum_di_dt_in_a_per_us=maximum_di_dt_in_a_per_us,
    )
    if nwbfile is not None:
        nwbfile.add_device_model(model)
    return model


def mock_TMSStimulator(
    *,
    name: str | None = None,
    description: str = "TMS stimulator of the two-photon rig; trigger-out wired to the DAQ and ScanImage aux.",
    mode: str = "standard",
    pulse_mode: str | None = "repetitive",
    serial_number: str | None = "X100-0042",
    software_version: str | None = "7.1.2",
    model: TMSStimulatorModel | None = None,
    nwbfile: NWBFile | None = None,
) -> TMSStimulator:
    """The stimulator of the mock rig, in standard mode."""
    stimulator = TMSStimulator(
        name=name or name_generator("TMSStimulator"),
        description=description,
        mode=mode,
        pulse_mode=pulse_mode,
        serial_number=serial_number,
        software_version=software_version,
        model=model if model is not None else mock_TMSStimulatorModel(nwbfile=nwbfile),
    )
    if nwbfile is not None:
        nwbfile.add_device(stimulator)
    return stimulator


def mock_TMSCoilModel(
    *,
    name: str | None = None,
    manufacturer: str = "custom",
    description: str = "Focal circular rodent coil, ferrite core, wound for head-fixed mice.",
    shape: str = "circular",
    outer_winding_diameter_in_mm: float | None = 8.0,
    inner_winding_diameter_in_mm: float | None = 3.0,
    number_of_turns: int | None = 70,
    core_material: str | None = "ferrite",
    inductance_in_uh: float | None = 42.0,
    cooling: str | None = "none",
    sham_capable: bool | None = False,
    peak_magnetic_field_in_t: float | None = 0.68,
    peak_db_dt_in_t_per_s: float | None = 2.1e4,
    half_value_depth_in_mm: float | None = 1.8,
    half_value_spread_in_cm2: float | None = 0.9,
    efield_model_reference: str | None = "doi:10.1016/j.brs.2018.10.017",
    coil_model_file: str | None = "",
    handle_axis: str | None = "+y",
    nwbfile: NWBFile | None = None,
) -> TMSCoilModel:
    """A focal circular rodent coil with a ferrite core (values typical of published rodent coils)."""
    model = TMSCoilModel(
        name=name or name_generator("TMSCoilModel"),
        manufacturer=manufacturer,
        description=description,
        shape=shape,
        outer_winding_diameter_in_mm=outer_winding_diameter_in_mm,
        inner_winding_diameter_in_mm=inner_winding_diameter_in_mm,
        number_of_turns=number_of_turns,
        core_material=core_material,
        inductance_in_uh=inductance_in_uh,
        cooling=cooling,
        sham_capable=sham_capable,
        peak_magnetic_field_in_t=peak_magnetic_field_in_t,
        peak_db_dt_in_t_per_s=peak_db_dt_in_t_per_s,
        half_value_depth_in_mm=half_value_depth_in_mm,
        half_value_spread_in_cm2=half_value_spread_in_cm2,
        efield_model_reference=efield_model_reference,
        coil_model_file=coil_model_file,
        handle_axis=handle_axis,
    )
    if nwbfile is not None:
        nwbfile.add_device_model(model)
    return model


def mock_TMSCoil(
    *,
    name: str | None = None,
    description: str = "Rodent coil held 1 mm above the skull over dmPFC.",
    serial_number: str | None = "RC8-007",
    model: TMSCoilModel | None = None,
    stimulator: TMSStimulator | None = None,
    nwbfile: NWBFile | None = None,
) -> TMSCoil:
    """The coil of the mock rig, driven by ``stimulator``."""
    coil = TMSCoil(
        name=name or name_generator("TMSCoil"),
        description=description,
        serial_number=serial_number,
        model=model if model is not None else mock_TMSCoilModel(nwbfile=nwbfile),
        stimulator=stimulator if stimulator is not None else mock_TMSStimulator(nwbfile=nwbfile),
    )
    if nwbfile is not None:
        nwbfile.add_device(coil)
    return coil


def mock_TMSNavigationSystem(
    *,
    name: str | None = None,
    description: str = "Optical neuronavigation, coil tracked by a passive marker tree.",
    navigation_type: str = "hand_held",
    software_version: str | None = "TMS Navigator 3.3",
    tracking_system: str | None = "NDI Polaris Vicra (optical)",
    model=None,
    nwbfile: NWBFile | None = None,
) -> TMSNavigationSystem:
    """A hand-held optical neuronavigation system (human studies; the mouse rig uses a stereotaxic frame)."""
    system = TMSNavigationSystem(name=name or name_generator("TMSNavigationSystem"), description=description,
                                 navigation_type=navigation_type, software_version=software_version,
                                 tracking_system=tracking_system, model=model)
    if nwbfile is not None:
        nwbfile.add_device(system)
    return system


def mock_TMSRegistration(
    *,
    name: str | None = None,
    method: str = "fiducials",
    rms_error_in_mm: float | None = 0.02,
    description: str = "Bregma and lambda located under the stereo microscope; skull levelled to within 50 um.",
    landmark_label: list[str] | None = None,
    landmark_position: list[list[float]] | None = None,
    landmark_error_in_mm: list[float] | None = None,
    coordinate_space: TMSCoordinateSpace | None = None,
    navigation_system: TMSNavigationSystem | None = None,
    nwbfile: NWBFile | None = None,
) -> TMSRegistration:
    """Bregma and lambda located on the flat-skull mouse (fiducials), 20 um RMS error."""
    values = dict(
        name=name or name_generator("TMSRegistration"), method=method, rms_error_in_mm=rms_error_in_mm,
        description=description,
        landmark_label=landmark_label if landmark_label is not None else ["bregma", "lambda"],
        landmark_position=landmark_position if landmark_position is not None else [[0.0, 0.0, 0.0], [0.0, -4.2, 0.0]],
        landmark_error_in_mm=landmark_error_in_mm if landmark_error_in_mm is not None else [0.02, 0.02],
        coordinate_space=coordinate_space if coordinate_space is not None else mock_TMSCoordinateSpace(nwbfile=nwbfile),
    )
    if navigation_system is not None:
        values["navigation_system"] = navigation_system
    registration = TMSRegistration(**values)
    if nwbfile is not None:
        _metadata_of(nwbfile).add_tms_registrations(registration)
    return registration


def mock_TMSCoordinateSpace(
    *,
    name: str | None = None,
    space: str = "bregma_stereotaxic",
    units: str = "mm",
    origin: str = "bregma",
    orientation: str = "RAS",
    description: str = "x = ML (right +), y = AP (anterior +), z = DV (up +), flat skull.",
    nwbfile: NWBFile | None = None,
) -> TMSCoordinateSpace:
    """Bregma-referenced stereotaxic space (AP/ML/DV in mm, flat-skull)."""
    coordinate_space = TMSCoordinateSpace(name=name or name_generator("TMSCoordinateSpace"), space=space,
                                          units=units, origin=origin, orientation=orientation,
                                          description=description)
    if nwbfile is not None:
        _metadata_of(nwbfile).add_tms_coordinate_spaces(coordinate_space)
    return coordinate_space


def mock_TMSThresholdsTable(
    *, name: str = "thresholds", description: str = "Motor thresholds of the subject.",
    nwbfile: NWBFile | None = None,
) -> TMSThresholdsTable:
    """One rodent visual-twitch threshold of 45 %MSO."""
    table = TMSThresholdsTable(name=name, description=description)
    table.add_row(threshold_type="rodent_visual_twitch", value_in_percent_mso=45.0, method="visual",
                  criterion="visible forelimb twitch in 5 of 10 pulses", measurement_method="visual",
                  time_measured_in_s=-600.0, coil_orientation_in_deg=0.0, muscle="",
                  value_in_v_per_m=float("nan"), efield_model="")
    _attach(nwbfile, "thresholds", table)
    return table


def mock_TMSProtocolsTable(
    *, name: str = "protocols", description: str = "Stimulation protocols of the aiTBS day.",
    thresholds: TMSThresholdsTable | None = None, nwbfile: NWBFile | None = None,
) -> TMSProtocolsTable:
    """iTBS-600 at 100% of the visual-twitch threshold, and its sham (coil away)."""
    thresholds = thresholds if thresholds is not None else mock_TMSThresholdsTable()
    table = TMSProtocolsTable(name=name, description=description,
                              target_tables={"threshold": thresholds, "conditioning_threshold": thresholds})
    levels, counts, intervals = zip(*ITBS_LEVELS, strict=True)
    threshold_mso = float(thresholds["value_in_percent_mso"][0])
    for sham in (False, True):
        table.add_row(
            protocol_name="itbs_600_sham" if sham else "itbs_600",
            waveform="biphasic", waveform_description="", pulse_width_in_us=280.0,
            coil_current_direction="normal", induced_current_direction="unknown", timing_level=list(levels),
            timing_count=list(counts), timing_interval_in_s=list(intervals),
            timing_interval_convention=list(ITBS_CONVENTIONS), timing_stated_interval_in_s=list(intervals),
            intensity_reference="percent_threshold", intensity_value=100.0,
            intensity_in_percent_mso=threshold_mso, threshold=0, depth_adjustment_method="none",
            depth_adjustment_slope_in_percent_mso_per_mm=float("nan"),
            scalp_to_cortex_distance_motor_in_mm=float("nan"), scalp_to_cortex_distance_target_in_mm=float("nan"),
            depth_adjusted_threshold_in_percent_mso=float("nan"), conditioning_intensity_reference="",
            conditioning_intensity_value=float("nan"), conditioning_intensity_in_percent_mso=float("nan"),
            conditioning_threshold=0, sham=sham, sham_type="coil_away" if sham else "",
            notes="Huang 2005 iTBS; coil held 5 cm away for sham." if sham else "Huang 2005 iTBS.",
        )
    if nwbfile is not None:
        if "tms" in nwbfile.lab_meta_data:
            raise ValueError("the file's TMS metadata already has its protocols table; pass that table instead")
        _metadata_of(nwbfile, protocols=table, thresholds=thresholds if thresholds.parent is None else None)
    return table


def mock_TMSTargetsTable(
    *, name: str = "targets", description: str = "Stimulation targets.",
    coordinate_space: TMSCoordinateSpace | None = None, nwbfile: NWBFile | None = None,
) -> TMSTargetsTable:
    """Dorsomedial prefrontal cortex of the mouse (secondary motor / dorsal anterior cingulate area at AP +1.9,
    the cortex a dorsal coil and dorsal two-photon imaging reach), coil centred above it."""
    space = coordinate_space if coordinate_space is not None else mock_TMSCoordinateSpace(nwbfile=nwbfile)
    table = TMSTargetsTable(name=name, description=description)
    pose = np.eye(4)
    pose[:3, 3] = [0.0, 1.9, 1.0]
    pose[:3, 1] = [0.0, 1.0, 0.0]
    pose[:3, 2] = [0.0, 0.0, -1.0]
    pose[:3, 0] = np.cross(pose[:3, 1], pose[:3, 2])
    table.add_row(
        label="dmPFC", atlas_term="MOs", atlas="Allen CCFv3 2017", coordinate_space=space,
        target_position=[0.3, 1.9, -0.12], coil_pose=pose, coil_center_ap_in_mm=1.9, coil_center_ml_in_mm=0.0,
        coil_center_dv_in_mm=1.0, coil_height_above_skull_in_mm=1.0, coil_tilt_in_deg=0.0,
        coil_handle_angle_in_deg=0.0, scalp_to_cortex_distance_in_mm=1.3, targeting_method="stereotaxic",
        head_fixation="head_post", anesthesia="awake", efield_at_target_in_v_per_m=float("nan"),
        efield_model_name="", efield_model_version="", efield_max_in_v_per_m=float("nan"),
        efield_max_position=[float("nan")] * 3,
    )
    _attach(nwbfile, "targets", table)
    return table


def mock_TMSCoilsTable(
    *, name: str = "coils", description: str = "Coils that delivered the pulses.",
    coils: list[TMSCoil] | None = None, nwbfile: NWBFile | None = None,
) -> TMSCoilsTable:
    """The coils table pulses refer to, one row per coil (by default the mock coil)."""
    table = TMSCoilsTable(name=name, description=description)
    for coil in coils or [mock_TMSCoil(nwbfile=nwbfile)]:
        table.add_row(device=coil)
    _attach(nwbfile, "coils", table)
    return table


def _protocols_and_targets(protocols, targets, nwbfile):
    """Given tables, else the file's, else new mock ones (attached to the file when there is one)."""
    if protocols is None:
        protocols = _metadata_of(nwbfile).protocols if nwbfile is not None else mock_TMSProtocolsTable()
    if targets is None:
        targets = _in_file(nwbfile, "targets")
        targets = targets if targets is not None else mock_TMSTargetsTable(nwbfile=nwbfile)
    return protocols, targets


def mock_TMSPulsesTable(
    *, name: str = "tms_pulses",
    description: str = ("Every delivered TMS pulse; times from rising edges of the stimulator trigger-out TTL "
                        "recorded on the DAQ."),
    source_description: str = "Stimulator trigger-out TTL on DAQ",
    protocols: TMSProtocolsTable | None = None, targets: TMSTargetsTable | None = None,
    coil: TMSCoil | None = None, sessions: int = MOCK_SESSIONS, sessions_table: TMSSessionsTable | None = None,
    nwbfile: NWBFile | None = None,
) -> TMSPulsesTable:
    """Every pulse of ``sessions`` iTBS-600 sessions, through the vectorised :meth:`add_pulses`; each pulse
    points at its row of ``sessions_table`` (built when not given)."""
    protocols, targets = _protocols_and_targets(protocols, targets, nwbfile)
    if sessions_table is None:
        sessions_table = mock_TMSSessionsTable(protocols=protocols, targets=targets, sessions=sessions,
                                               nwbfile=nwbfile)
    coil = coil if coil is not None else mock_TMSCoil(nwbfile=nwbfile)
    table = TMSPulsesTable(
        name=name, description=description, source_description=source_description,
        target_tables={"protocol": protocols, "target": targets, "session": sessions_table},
    )
    n = itbs_schedule_s().size
    scheduled, delivered = mock_course_times_s(sessions)
    within = np.tile(np.arange(n), sessions)[delivered]
    times = scheduled[delivered]
    rng = np.random.default_rng(0)
    table.add_pulses(
        timestamp=times, protocol=0, target=0, coil=coil,
        intensity_in_percent_mso=np.full(times.size, 45.0),
        di_dt_in_a_per_us=np.round(rng.normal(72.0, 0.5, times.size), 2),
        source="trigger_ttl", session=np.repeat(np.arange(sessions), n)[delivered],
        train_number=within // 30, burst_number=(within // 3) % 10, pulse_number=within % 3,
        artifact_window_in_s=MOCK_ARTIFACT_WINDOW_S, scheduled_time_in_s=times,
        coil_temperature_in_c=np.round(rng.normal(31.0, 0.3, times.size), 2),
    )
    if nwbfile is not None:
        if "tms" in nwbfile.lab_meta_data and nwbfile.lab_meta_data["tms"].coils is None:
            nwbfile.lab_meta_data["tms"].coils = table.coils
        _attach(nwbfile, "pulses", table)
    return table


def mock_TMSSessionsTable(
    *, name: str = "tms_sessions", description: str = "iTBS sessions of the accelerated course.",
    protocols: TMSProtocolsTable | None = None, targets: TMSTargetsTable | None = None,
    sessions: int = MOCK_SESSIONS, nwbfile: NWBFile | None = None,
) -> TMSSessionsTable:
    """The iTBS sessions of the mock day (first pulse to last pulse)."""
    protocols, targets = _protocols_and_targets(protocols, targets, nwbfile)
    table = TMSSessionsTable(name=name, description=description,
                             target_tables={"protocol": protocols, "target": targets})
    last = float(itbs_schedule_s()[-1])
    for s in range(sessions):
        start = MOCK_FIRST_PULSE_S + s * MOCK_SESSION_INTERVAL_S
        dropped = 1 if s == MOCK_DROPPED_PULSE[0] else 0
        table.add_row(start_time=start, stop_time=start + last, protocol=0, target=0, sham=False,
                      num_pulses=600 - dropped)
    _attach(nwbfile, "sessions", table)
    return table


def mock_TMSReconciliationTable(
    *, name: str = "reconciliation", description: str = "Delivered versus declared pulses.",
    sessions: TMSSessionsTable | None = None, protocols: TMSProtocolsTable | None = None,
    nwbfile: NWBFile | None = None,
) -> TMSReconciliationTable:
    """Every session matched to its protocol; one session has the mock's dropped pulse."""
    protocols, _ = _protocols_and_targets(protocols, True, nwbfile)
    if sessions is None:
        sessions = mock_TMSSessionsTable(protocols=protocols, nwbfile=nwbfile)
    table = TMSReconciliationTable(name=name, description=description,
                                   target_tables={"session": sessions, "protocol": protocols})
    scheduled, delivered = mock_course_times_s(len(sessions))
    per_session = scheduled.size // len(sessions)
    for s in range(len(sessions)):
        part = slice(s * per_session, (s + 1) * per_session)
        missing = scheduled[part][~delivered[part]].tolist()
        where = []
        if missing:
            index = MOCK_DROPPED_PULSE[1]
            where = [f"session {s}, train {index // 30}, burst {(index // 3) % 10}: 1 pulse missing"]
        table.add_row(session=s, protocol=0, num_declared=per_session, num_delivered=per_session - len(missing),
                      num_matched=per_session - len(missing), num_missing=len(missing), num_extra=0,
                      clock_offset_in_s=0.0, clock_drift_in_ppm=0.0, max_abs_residual_in_s=0.0,
                      missing_pulse_time_in_s=missing, discrepancy=where)
    _attach(nwbfile, "reconciliation", table)
    return table


def mock_TMSAdverseEventsTable(
    *, name: str = "tms_adverse_events", description: str = "Adverse events.",
    nwbfile: NWBFile | None = None,
) -> TMSAdverseEventsTable:
    """One mild coil-heating event."""
    table = TMSAdverseEventsTable(name=name, description=description)
    table.add_row(timestamp=MOCK_FIRST_PULSE_S + 2 * MOCK_SESSION_INTERVAL_S + 150.0, event_type="coil_heating",
                  severity="mild", relatedness="definite", action="paused 60 s until the coil cooled",
                  notes="Coil surface reached 40 C.")
    _attach(nwbfile, "adverse_events", table)
    return table


def mock_CellTypesTable(
    *, name: str = "cell_types",
    description: str = "Cell types of imaged neurons (Cell Ontology, Allen ABC atlas).",
    nwbfile: NWBFile | None = None,
) -> CellTypesTable:
    """L5 IT neurons labelled by Tlx3-Cre and L5 PT neurons labelled by Sim1-Cre."""
    table = CellTypesTable(name=name, description=description)
    table.add_row(label="IT", cell_ontology_id="CL:4023008", cell_ontology_label="",
                  atlas_taxonomy_label="005 L5 IT CTX Glut", atlas_taxonomy_id="CS20230722_SUBC_005",
                  cre_line="Tlx3-Cre_PL56", cre_line_id="MGI:5311700", reporter="Ai148 (GCaMP6f)",
                  projection_class="IT")
    table.add_row(label="PT", cell_ontology_id="CL:4023041", cell_ontology_label="",
                  atlas_taxonomy_label="022 L5 ET CTX Glut", atlas_taxonomy_id="CS20230722_SUBC_022",
                  cre_line="Sim1-Cre_KJ18", cre_line_id="RRID:MMRRC_031742-UCD", reporter="Ai148 (GCaMP6f)",
                  projection_class="PT/ET")
    _attach(nwbfile, "cell_types", table)
    return table


def mock_tms_tables(
    *,
    coil: TMSCoil | None = None,
    sessions: int = MOCK_SESSIONS,
    pulses: bool = True,
    navigation_system: TMSNavigationSystem | None = None,
    nwbfile: NWBFile | None = None,
    tms_coordinate_spaces: list[TMSCoordinateSpace] | _Mock = MOCK,
    tms_registrations: list[TMSRegistration] | _Mock = MOCK,
    thresholds: TMSThresholdsTable | None | _Mock = MOCK,
    protocols: TMSProtocolsTable | _Mock = MOCK,
    targets: TMSTargetsTable | None | _Mock = MOCK,
    cell_types: CellTypesTable | None | _Mock = MOCK,
    reconciliation: TMSReconciliationTable | None | _Mock = MOCK,
    sham_description: str | None = "Sham protocol declared (coil 5 cm away, same sound); not delivered on this day.",
    blinding_description: str | None = "Behavioural scoring blinded to stimulation condition.",
    ndx_tms_version: str | None = __version__,
) -> dict:
    """Every TMS object of the mock aiTBS day, by where it goes: ``metadata`` (``/general/tms``), ``pulses`` and
    ``adverse_events`` (``/events``), ``sessions`` (``/intervals``).

    With ``nwbfile`` they are added to it (metadata, then sessions, then the reconciliation, so that every
    region's table already has a parent in the file); otherwise add them with :func:`ndx_tms.add_tms_tables`.
    Each part of the metadata container left at :data:`MOCK` is built (``None`` leaves it out; the
    reconciliation is built only with pulses); ``pulses=False`` (or None) leaves out pulses, sessions and
    reconciliation; ``navigation_system`` is linked from the registration; the pulses are delivered by ``coil``
    (by default a new mock coil named ``coil``)."""
    space = mock_TMSCoordinateSpace(name="bregma_stereotaxic")
    if tms_coordinate_spaces is MOCK:
        tms_coordinate_spaces = [space]
    if thresholds is MOCK:
        thresholds = mock_TMSThresholdsTable()
    if protocols is MOCK:
        protocols = mock_TMSProtocolsTable(thresholds=thresholds)
    if targets is MOCK:
        targets = mock_TMSTargetsTable(coordinate_space=space)
    if tms_registrations is MOCK:
        tms_registrations = [mock_TMSRegistration(name="registration", coordinate_space=space,
                                                  navigation_system=navigation_system)]
    values = dict(
        tms_coordinate_spaces=tms_coordinate_spaces, tms_registrations=tms_registrations, thresholds=thresholds,
        protocols=protocols, targets=targets,
        cell_types=mock_CellTypesTable() if cell_types is MOCK else cell_types,
        sham_description=sham_description, blinding_description=blinding_description,
        ndx_tms_version=ndx_tms_version,
    )
    found = {"pulses": None, "sessions": None, "adverse_events": mock_TMSAdverseEventsTable()}
    if pulses:
        session_table = mock_TMSSessionsTable(protocols=protocols, targets=targets, sessions=sessions)
        pulse_table = mock_TMSPulsesTable(protocols=protocols, targets=targets,
                                          coil=coil if coil is not None else mock_TMSCoil(name="coil", nwbfile=nwbfile),
                                          sessions=sessions, sessions_table=session_table)
        values["coils"] = pulse_table.coils
        found.update(pulses=pulse_table, sessions=session_table)
    if reconciliation is MOCK:
        reconciliation = (mock_TMSReconciliationTable(sessions=found["sessions"], protocols=protocols)
                          if pulses else None)
    found["metadata"] = metadata = TMSExperimentMetadata(**values)
    if nwbfile is not None:
        add_tms_tables(nwbfile, **found)
    if reconciliation is not None:
        metadata.reconciliation = reconciliation
    return found


def mock_TMSExperimentMetadata(
    *,
    coil: TMSCoil | None = None,
    sessions: int = MOCK_SESSIONS,
    pulses: bool = True,
    navigation_system: TMSNavigationSystem | None = None,
    nwbfile: NWBFile | None = None,
    tms_coordinate_spaces: list[TMSCoordinateSpace] | _Mock = MOCK,
    tms_registrations: list[TMSRegistration] | _Mock = MOCK,
    thresholds: TMSThresholdsTable | None | _Mock = MOCK,
    protocols: TMSProtocolsTable | _Mock = MOCK,
    targets: TMSTargetsTable | None | _Mock = MOCK,
    cell_types: CellTypesTable | None | _Mock = MOCK,
    reconciliation: TMSReconciliationTable | None | _Mock = MOCK,
    sham_description: str | None = "Sham protocol declared (coil 5 cm away, same sound); not delivered on this day.",
    blinding_description: str | None = "Behavioural scoring blinded to stimulation condition.",
    ndx_tms_version: str | None = __version__,
) -> TMSExperimentMetadata:
    """The ``/general/tms`` container of the mock aiTBS day (parameters as :func:`mock_tms_tables`, which adds
    the tables that go to ``/events`` and ``/intervals`` too when ``nwbfile`` is given)."""
    return mock_tms_tables(
        coil=coil, sessions=sessions, pulses=pulses, navigation_system=navigation_system, nwbfile=nwbfile,
        tms_coordinate_spaces=tms_coordinate_spaces, tms_registrations=tms_registrations, thresholds=thresholds,
        protocols=protocols, targets=targets, cell_types=cell_types, reconciliation=reconciliation,
        sham_description=sham_description, blinding_description=blinding_description,
        ndx_tms_version=ndx_tms_version,
    )["metadata"]


def mock_TMSArtifactMask(
    *, series, name: str | None = None, pulses: TMSPulsesTable | None = None,
    artifact_window_in_s: tuple[float, float] = MOCK_ARTIFACT_WINDOW_S,
    method: str = "frame [t, t + 1/rate) overlaps [pulse + window start, pulse + window stop]",
    nwbfile: NWBFile | None = None,
) -> TMSArtifactMask:
    """Artifact mask of ``series`` (regular rate) from ``pulses`` plus ``artifact_window_in_s``."""
    n_frames = series.data.shape[0]
    rate = series.rate
    start = series.starting_time or 0.0
    frame_starts = start + np.arange(n_frames) / rate
    mask = np.zeros(n_frames, dtype=bool)
    if pulses is not None:
        times = np.asarray(pulses["timestamp"][:])
        lo = np.searchsorted(frame_starts + 1 / rate, times + artifact_window_in_s[0], side="right")
        hi = np.searchsorted(frame_starts, times + artifact_window_in_s[1], side="left")
        for a, b in zip(lo, hi, strict=True):
            mask[a:b] = True
    artifact_mask = TMSArtifactMask(
        name=name or name_generator(f"{series.name}_tms_artifact_mask"), mask=mask,
        artifact_window_in_s=list(artifact_window_in_s), frame_duration_in_s=1.0 / rate, series=series,
        pulses=pulses, method=method,
    )
    _add_to_ophys(nwbfile, artifact_mask)
    return artifact_mask


def mock_TMSClockAlignment(
    *,
    name: str | None = None,
    device_time_in_s: np.ndarray | None = None,
    residual_in_s: np.ndarray | None = None,
    aligned_clock: str = "scanimage",
    reference_clock: str = "wavesurfer DAQ",
    shared_signal: str = "ScanImage frame clock on DAQ AI2",
    offset_in_s: float = 0.0125,
    drift_in_ppm: float = 12.0,
    rms_residual_in_s: float | None = None,
    nwbfile: NWBFile | None = None,
) -> TMSClockAlignment:
    """A ScanImage-to-DAQ fit with 12 ppm drift and sub-microsecond residuals."""
    device_times = device_time_in_s if device_time_in_s is not None else np.linspace(0.0, 7000.0, 50)
    residuals = (residual_in_s if residual_in_s is not None
                 else np.random.default_rng(1).normal(0.0, 2e-7, len(device_times)))
    alignment = TMSClockAlignment(
        name=name or name_generator("TMSClockAlignment"), device_time_in_s=device_times, residual_in_s=residuals,
        aligned_clock=aligned_clock, reference_clock=reference_clock, shared_signal=shared_signal,
        offset_in_s=offset_in_s, drift_in_ppm=drift_in_ppm,
        rms_residual_in_s=(rms_residual_in_s if rms_residual_in_s is not None
                           else float(np.sqrt(np.mean(np.asarray(residuals) ** 2)))),
    )
    _add_to_ophys(nwbfile, alignment)
    return alignment


def add_mock_tms_devices(nwbfile: NWBFile) -> TMSCoil:
    """Add the mock stimulator and coil with their models to ``nwbfile``; return the coil."""
    stimulator = mock_TMSStimulator(
        name="stimulator", model=mock_TMSStimulatorModel(name="MagPro X100", nwbfile=nwbfile), nwbfile=nwbfile)
    return mock_TMSCoil(name="coil", model=mock_TMSCoilModel(name="Rodent coil 8 mm", nwbfile=nwbfile),
                        stimulator=stimulator, nwbfile=nwbfile)


def mock_tms_nwbfile(*, with_imaging: bool = True) -> NWBFile:
    """An NWBFile using every ndx-tms type with realistic values (a mouse aiTBS day, Tlx3-Cre mouse)."""
    nwbfile = NWBFile(
        session_description="One day of accelerated iTBS (3 sessions, 30 min apart) in an awake, head-fixed "
                            "chronically stressed Tlx3-Cre mouse, with two-photon imaging of dmPFC.",
        identifier="ndx-tms-mock-aitbs-0001",
        session_start_time=dt.datetime(2026, 3, 2, 9, 30, tzinfo=dt.UTC),
        session_id="aitbs-day1",
        experimenter=["Doe, Jane"],
        lab="TMS imaging lab",
        institution="University of California, Los Angeles",
        experiment_description="Cell-type-specific effects of aiTBS on prefrontal IT and PT neurons.",
        related_publications=["doi:10.1016/j.cell.2025.12.040"],
        keywords=["TMS", "iTBS", "two-photon", "dendritic spines"],
    )
    nwbfile.subject = Subject(
        subject_id="M001", species="Mus musculus", sex="M", age="P84D",
        genotype="Tlx3-Cre_PL56;Ai148", strain="C57BL/6J",
        description="Chronic restraint stress for 21 days before stimulation.",
    )
    coil = add_mock_tms_devices(nwbfile)
    tables = mock_tms_tables(coil=coil, nwbfile=nwbfile)
    if with_imaging:
        _add_mock_imaging(nwbfile, tables["metadata"], tables["pulses"])
    return nwbfile


def _add_mock_imaging(nwbfile: NWBFile, metadata: TMSExperimentMetadata, pulses: TMSPulsesTable | None) -> None:
    """A tiny two-photon series over the first iTBS session, ROIs labelled with cell types."""
    from pynwb.device import DeviceModel
    from pynwb.ophys import ImageSegmentation, OpticalChannel, TwoPhotonSeries

    microscope_model = DeviceModel(name="Ultima 2Pplus", manufacturer="Bruker",
                                   description="Resonant-galvo two-photon microscope.")
    nwbfile.add_device_model(microscope_model)
    microscope = nwbfile.create_device(name="microscope", description="Resonant two-photon microscope.",
                                       model=microscope_model)
    channel = OpticalChannel(name="green", description="GCaMP6f emission", emission_lambda=510.0)
    plane = nwbfile.create_imaging_plane(
        name="imaging_plane", optical_channel=channel,
        description="Apical tufts of L5 IT neurons in layer 1 of dorsomedial PFC, 120 um below the pia",
        device=microscope, excitation_lambda=920.0, indicator="GCaMP6f", location="MOs",
        grid_spacing=[0.0016, 0.0016], grid_spacing_unit="meters", origin_coords=[0.3, 1.9, -0.12],
        origin_coords_unit="millimeters",
    )
    rate = 30.0
    n_frames = 64
    rng = np.random.default_rng(2)
    data = rng.integers(0, 4096, size=(n_frames, 32, 32), dtype=np.uint16)
    series = TwoPhotonSeries(
        name="TwoPhotonSeries", imaging_plane=plane, data=data, unit="n.a.", rate=rate,
        starting_time=MOCK_FIRST_PULSE_S - 0.5, description="Raw two-photon movie around the first train.",
    )
    nwbfile.add_acquisition(series)
    ophys = nwbfile.create_processing_module(name="ophys", description="Optical physiology processing.")
    segmentation = ImageSegmentation(name="ImageSegmentation")
    ophys.add(segmentation)
    rois = segmentation.create_plane_segmentation(
        name="PlaneSegmentation", description="Somata and a dendrite with spines.", imaging_plane=plane,
        reference_images=series,
    )
    for y, x, size in ((8, 8, 3), (20, 20, 3), (12, 24, 1)):
        mask = np.zeros((32, 32), dtype=np.float32)
        mask[y - size:y + size + 1, x - size:x + size + 1] = 1.0
        rois.add_roi(image_mask=mask)
    add_cell_type_column(rois, metadata.cell_types, ["IT", "PT", "IT"])
    mock_TMSArtifactMask(series=series, name=f"{series.name}_tms_artifact_mask", pulses=pulses, nwbfile=nwbfile)
    mock_TMSClockAlignment(name="scanimage_to_daq", nwbfile=nwbfile)
