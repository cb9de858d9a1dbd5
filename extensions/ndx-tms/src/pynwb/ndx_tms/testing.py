"""Mock factories for every ndx-tms type, and :func:`mock_tms_nwbfile`, a complete example file.

The values describe one day of accelerated intermittent theta-burst stimulation (aiTBS) of an awake,
head-fixed Tlx3-Cre mouse imaged over prefrontal cortex (Gongwer et al., Cell 2026,
DOI 10.1016/j.cell.2025.12.040). Each factory takes keyword overrides and builds what it needs when a
dependency is not given, like ``pynwb.testing.mock``.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
from pynwb import NWBFile
from pynwb.file import Subject

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


def mock_TMSStimulatorModel(**kwargs) -> TMSStimulatorModel:
    """A MagVenture MagPro X100 with MagOption (biphasic and monophasic, standard and power modes)."""
    values = dict(
        name="MagPro X100",
        manufacturer="MagVenture",
        model_number="9016E0731",
        description="MagPro X100 with MagOption.",
        available_modes=["standard", "power", "twin", "dual"],
        available_waveforms=["biphasic", "monophasic", "half_sine", "biphasic_burst"],
        maximum_output_in_percent_mso=100.0,
        maximum_di_dt_in_a_per_us=160.0,
    )
    values.update(kwargs)
    return TMSStimulatorModel(**values)


def mock_TMSStimulator(*, model: TMSStimulatorModel | None = None, **kwargs) -> TMSStimulator:
    """The stimulator of the mock rig, in standard mode."""
    values = dict(
        name="stimulator",
        description="TMS stimulator of the two-photon rig; trigger-out wired to the DAQ and ScanImage aux.",
        mode="standard",
        pulse_mode="repetitive",
        serial_number="X100-0042",
        software_version="7.1.2",
        model=model or mock_TMSStimulatorModel(),
    )
    values.update(kwargs)
    return TMSStimulator(**values)


def mock_TMSCoilModel(**kwargs) -> TMSCoilModel:
    """A focal circular rodent coil with a ferrite core (values typical of published rodent coils)."""
    values = dict(
        name="Rodent coil 8 mm",
        manufacturer="custom",
        description="Focal circular rodent coil, ferrite core, wound for head-fixed mice.",
        shape="circular",
        outer_winding_diameter_in_mm=8.0,
        inner_winding_diameter_in_mm=3.0,
        number_of_turns=70,
        core_material="ferrite",
        inductance_in_uh=42.0,
        cooling="none",
        sham_capable=False,
        peak_magnetic_field_in_t=0.68,
        peak_db_dt_in_t_per_s=2.1e4,
        half_value_depth_in_mm=1.8,
        half_value_spread_in_cm2=0.9,
        efield_model_reference="doi:10.1016/j.brs.2018.10.017",
        coil_model_file="",
        handle_axis="+y",
    )
    values.update(kwargs)
    return TMSCoilModel(**values)


def mock_TMSCoil(*, model: TMSCoilModel | None = None, stimulator: TMSStimulator | None = None,
                 **kwargs) -> TMSCoil:
    """The coil of the mock rig, driven by ``stimulator``."""
    values = dict(
        name="coil",
        description="Rodent coil held 1 mm above the skull over dmPFC.",
        serial_number="RC8-007",
        model=model or mock_TMSCoilModel(),
        stimulator=stimulator or mock_TMSStimulator(),
    )
    values.update(kwargs)
    return TMSCoil(**values)


def mock_TMSNavigationSystem(**kwargs) -> TMSNavigationSystem:
    """A hand-held optical neuronavigation system (human studies; the mouse rig uses a stereotaxic frame)."""
    values = dict(
        name="navigator",
        description="Optical neuronavigation, coil tracked by a passive marker tree.",
        navigation_type="hand_held",
        software_version="TMS Navigator 3.3",
        tracking_system="NDI Polaris Vicra (optical)",
    )
    values.update(kwargs)
    return TMSNavigationSystem(**values)


def mock_TMSRegistration(*, coordinate_space: TMSCoordinateSpace | None = None,
                         navigation_system: TMSNavigationSystem | None = None, **kwargs) -> TMSRegistration:
    """Bregma and lambda located on the flat-skull mouse (fiducials), 20 um RMS error."""
    values = dict(
        name="registration", method="fiducials", rms_error_in_mm=0.02,
        description="Bregma and lambda located under the stereo microscope; skull levelled to within 50 um.",
        landmark_label=["bregma", "lambda"], landmark_position=[[0.0, 0.0, 0.0], [0.0, -4.2, 0.0]],
        landmark_error_in_mm=[0.02, 0.02], coordinate_space=coordinate_space or mock_TMSCoordinateSpace(),
    )
    if navigation_system is not None:
        values["navigation_system"] = navigation_system
    values.update(kwargs)
    return TMSRegistration(**values)


def mock_TMSCoordinateSpace(**kwargs) -> TMSCoordinateSpace:
    """Bregma-referenced stereotaxic space (AP/ML/DV in mm, flat-skull)."""
    values = dict(
        name="bregma_stereotaxic",
        space="bregma_stereotaxic",
        units="mm",
        origin="bregma",
        orientation="RAS",
        description="x = ML (right +), y = AP (anterior +), z = DV (up +), flat skull.",
    )
    values.update(kwargs)
    return TMSCoordinateSpace(**values)


def mock_TMSThresholdsTable(**kwargs) -> TMSThresholdsTable:
    """One rodent visual-twitch threshold of 45 %MSO."""
    table = TMSThresholdsTable(description="Motor thresholds of the subject.", **kwargs)
    table.add_row(threshold_type="rodent_visual_twitch", value_in_percent_mso=45.0, method="visual",
                  criterion="visible forelimb twitch in 5 of 10 pulses", measurement_method="visual",
                  time_measured_in_s=-600.0, coil_orientation_in_deg=0.0, muscle="",
                  value_in_v_per_m=float("nan"), efield_model="")
    return table


def mock_TMSProtocolsTable(*, thresholds: TMSThresholdsTable | None = None, **kwargs) -> TMSProtocolsTable:
    """iTBS-600 at 100% of the visual-twitch threshold, and its sham (coil away)."""
    thresholds = thresholds if thresholds is not None else mock_TMSThresholdsTable()
    table = TMSProtocolsTable(description="Stimulation protocols of the aiTBS day.",
                              target_tables={"threshold": thresholds, "conditioning_threshold": thresholds},
                              **kwargs)
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
    return table


def mock_TMSTargetsTable(*, coordinate_space: TMSCoordinateSpace | None = None, **kwargs) -> TMSTargetsTable:
    """Dorsomedial prefrontal cortex of the mouse (secondary motor / dorsal anterior cingulate area at AP +1.9,
    the cortex a dorsal coil and dorsal two-photon imaging reach), coil centred above it."""
    space = coordinate_space or mock_TMSCoordinateSpace()
    table = TMSTargetsTable(description="Stimulation targets.", **kwargs)
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
    return table


def mock_TMSCoilsTable(*, coils: list[TMSCoil] | None = None, **kwargs) -> TMSCoilsTable:
    """The coils table pulses refer to, one row per coil (by default the mock coil)."""
    table = TMSCoilsTable(description="Coils that delivered the pulses.", **kwargs)
    for coil in coils or [mock_TMSCoil()]:
        table.add_row(device=coil)
    return table


def mock_TMSPulsesTable(
    *, protocols: TMSProtocolsTable | None = None, targets: TMSTargetsTable | None = None,
    coil: TMSCoil | None = None, sessions: int = MOCK_SESSIONS, sessions_table: TMSSessionsTable | None = None,
    **kwargs
) -> TMSPulsesTable:
    """Every pulse of ``sessions`` iTBS-600 sessions, through the vectorised :meth:`add_pulses`; each pulse
    points at its row of ``sessions_table`` (built when not given)."""
    protocols = protocols if protocols is not None else mock_TMSProtocolsTable()
    targets = targets if targets is not None else mock_TMSTargetsTable()
    if sessions_table is None:
        sessions_table = mock_TMSSessionsTable(protocols=protocols, targets=targets, sessions=sessions)
    coil = coil or mock_TMSCoil()
    table = TMSPulsesTable(
        description="Every delivered TMS pulse; times from rising edges of the stimulator trigger-out TTL "
                    "recorded on the DAQ.",
        source_description="Stimulator trigger-out TTL on DAQ",
        target_tables={"protocol": protocols, "target": targets, "session": sessions_table}, **kwargs,
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
    return table


def mock_TMSSessionsTable(
    *, protocols: TMSProtocolsTable | None = None, targets: TMSTargetsTable | None = None,
    sessions: int = MOCK_SESSIONS, **kwargs
) -> TMSSessionsTable:
    """The iTBS sessions of the mock day (first pulse to last pulse)."""
    protocols = protocols if protocols is not None else mock_TMSProtocolsTable()
    targets = targets if targets is not None else mock_TMSTargetsTable()
    table = TMSSessionsTable(description="iTBS sessions of the accelerated course.",
                             target_tables={"protocol": protocols, "target": targets}, **kwargs)
    last = float(itbs_schedule_s()[-1])
    for s in range(sessions):
        start = MOCK_FIRST_PULSE_S + s * MOCK_SESSION_INTERVAL_S
        dropped = 1 if s == MOCK_DROPPED_PULSE[0] else 0
        table.add_row(start_time=start, stop_time=start + last, protocol=0, target=0, sham=False,
                      num_pulses=600 - dropped)
    return table


def mock_TMSReconciliationTable(
    *, sessions: TMSSessionsTable | None = None, protocols: TMSProtocolsTable | None = None, **kwargs
) -> TMSReconciliationTable:
    """Every session matched to its protocol; one session has the mock's dropped pulse."""
    protocols = protocols if protocols is not None else mock_TMSProtocolsTable()
    sessions = sessions if sessions is not None else mock_TMSSessionsTable(protocols=protocols)
    table = TMSReconciliationTable(description="Delivered versus declared pulses.",
                                   target_tables={"session": sessions, "protocol": protocols}, **kwargs)
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
    return table


def mock_TMSAdverseEventsTable(**kwargs) -> TMSAdverseEventsTable:
    """One mild coil-heating event."""
    table = TMSAdverseEventsTable(description="Adverse events.", **kwargs)
    table.add_row(timestamp=MOCK_FIRST_PULSE_S + 2 * MOCK_SESSION_INTERVAL_S + 150.0, event_type="coil_heating",
                  severity="mild", relatedness="definite", action="paused 60 s until the coil cooled",
                  notes="Coil surface reached 40 C.")
    return table


def mock_CellTypesTable(**kwargs) -> CellTypesTable:
    """L5 IT neurons labelled by Tlx3-Cre and L5 PT neurons labelled by Sim1-Cre."""
    table = CellTypesTable(description="Cell types of imaged neurons (Cell Ontology, Allen ABC atlas).",
                           **kwargs)
    table.add_row(label="IT", cell_ontology_id="CL:4023008", cell_ontology_label="",
                  atlas_taxonomy_label="005 L5 IT CTX Glut", atlas_taxonomy_id="CS20230722_SUBC_005",
                  cre_line="Tlx3-Cre_PL56", cre_line_id="MGI:5311700", reporter="Ai148 (GCaMP6f)",
                  projection_class="IT")
    table.add_row(label="PT", cell_ontology_id="CL:4023041", cell_ontology_label="",
                  atlas_taxonomy_label="022 L5 ET CTX Glut", atlas_taxonomy_id="CS20230722_SUBC_022",
                  cre_line="Sim1-Cre_KJ18", cre_line_id="RRID:MMRRC_031742-UCD", reporter="Ai148 (GCaMP6f)",
                  projection_class="PT/ET")
    return table


def mock_tms_tables(*, coil: TMSCoil | None = None, sessions: int = MOCK_SESSIONS, pulses: bool = True,
                    navigation_system: TMSNavigationSystem | None = None, nwbfile: NWBFile | None = None,
                    **kwargs) -> dict:
    """Every TMS object of the mock aiTBS day, by where it goes: ``metadata`` (``/general/tms``), ``pulses`` and
    ``adverse_events`` (``/events``), ``sessions`` (``/intervals``).

    With ``nwbfile`` they are added to it (metadata, then sessions, then the reconciliation, so that every
    region's table already has a parent in the file); otherwise add them with :func:`ndx_tms.add_tms_tables`.
    ``kwargs`` override fields of the metadata container; ``pulses=False`` leaves out pulses, sessions and
    reconciliation; ``navigation_system`` is linked from the registration."""
    space = mock_TMSCoordinateSpace()
    thresholds = mock_TMSThresholdsTable()
    protocols = mock_TMSProtocolsTable(thresholds=thresholds)
    targets = mock_TMSTargetsTable(coordinate_space=space)
    values = dict(
        tms_coordinate_spaces=[space],
        tms_registrations=[mock_TMSRegistration(coordinate_space=space, navigation_system=navigation_system)],
        thresholds=thresholds, protocols=protocols, targets=targets, cell_types=mock_CellTypesTable(),
        sham_description="Sham protocol declared (coil 5 cm away, same sound); not delivered on this day.",
        blinding_description="Behavioural scoring blinded to stimulation condition.",
        ndx_tms_version=__version__,
    )
    found = {"pulses": None, "sessions": None, "adverse_events": mock_TMSAdverseEventsTable()}
    if pulses:
        session_table = mock_TMSSessionsTable(protocols=protocols, targets=targets, sessions=sessions)
        pulse_table = mock_TMSPulsesTable(protocols=protocols, targets=targets, coil=coil, sessions=sessions,
                                          sessions_table=session_table)
        values["coils"] = pulse_table.coils
        found.update(pulses=pulse_table, sessions=session_table)
    reconciliation = kwargs.pop("reconciliation", None)
    if pulses and reconciliation is None:
        reconciliation = mock_TMSReconciliationTable(sessions=found["sessions"], protocols=protocols)
    values.update(kwargs)
    found["metadata"] = metadata = TMSExperimentMetadata(**values)
    if nwbfile is not None:
        add_tms_tables(nwbfile, **found)
    if reconciliation is not None:
        metadata.reconciliation = reconciliation
    return found


def mock_TMSExperimentMetadata(*, coil: TMSCoil | None = None, sessions: int = MOCK_SESSIONS,
                               **kwargs) -> TMSExperimentMetadata:
    """The ``/general/tms`` container of the mock aiTBS day (see :func:`mock_tms_tables` for the tables that
    go to ``/events`` and ``/intervals``; their coils and reconciliation are in this container)."""
    return mock_tms_tables(coil=coil, sessions=sessions, **kwargs)["metadata"]


def mock_TMSArtifactMask(*, series, pulses: TMSPulsesTable | None = None, **kwargs) -> TMSArtifactMask:
    """Artifact mask of ``series`` (regular rate) from ``pulses`` plus the mock artifact window."""
    n_frames = series.data.shape[0]
    rate = series.rate
    start = series.starting_time or 0.0
    frame_starts = start + np.arange(n_frames) / rate
    mask = np.zeros(n_frames, dtype=bool)
    if pulses is not None:
        times = np.asarray(pulses["timestamp"][:])
        lo = np.searchsorted(frame_starts + 1 / rate, times + MOCK_ARTIFACT_WINDOW_S[0], side="right")
        hi = np.searchsorted(frame_starts, times + MOCK_ARTIFACT_WINDOW_S[1], side="left")
        for a, b in zip(lo, hi, strict=True):
            mask[a:b] = True
    values = dict(
        name=f"{series.name}_tms_artifact_mask", mask=mask, artifact_window_in_s=list(MOCK_ARTIFACT_WINDOW_S),
        frame_duration_in_s=1.0 / rate, series=series, pulses=pulses,
        method="frame [t, t + 1/rate) overlaps [pulse + window start, pulse + window stop]",
    )
    values.update(kwargs)
    return TMSArtifactMask(**values)


def mock_TMSClockAlignment(**kwargs) -> TMSClockAlignment:
    """A ScanImage-to-DAQ fit with 12 ppm drift and sub-microsecond residuals."""
    device_times = np.linspace(0.0, 7000.0, 50)
    residuals = np.random.default_rng(1).normal(0.0, 2e-7, device_times.size)
    values = dict(
        name="scanimage_to_daq", device_time_in_s=device_times, residual_in_s=residuals,
        aligned_clock="scanimage", reference_clock="wavesurfer DAQ",
        shared_signal="ScanImage frame clock on DAQ AI2", offset_in_s=0.0125, drift_in_ppm=12.0,
        rms_residual_in_s=float(np.sqrt(np.mean(residuals**2))),
    )
    values.update(kwargs)
    return TMSClockAlignment(**values)


def add_mock_tms_devices(nwbfile: NWBFile) -> TMSCoil:
    """Add the mock stimulator and coil with their models to ``nwbfile``; return the coil."""
    stimulator_model = mock_TMSStimulatorModel()
    coil_model = mock_TMSCoilModel()
    stimulator = mock_TMSStimulator(model=stimulator_model)
    coil = mock_TMSCoil(model=coil_model, stimulator=stimulator)
    for model in (stimulator_model, coil_model):
        nwbfile.add_device_model(model)
    nwbfile.add_device(stimulator)
    nwbfile.add_device(coil)
    return coil


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
    ophys.add(mock_TMSArtifactMask(series=series, pulses=pulses))
    ophys.add(mock_TMSClockAlignment())
