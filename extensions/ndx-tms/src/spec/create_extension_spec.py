"""Generate the ndx-tms specification (``spec/ndx-tms.namespace.yaml`` and ``spec/ndx-tms.extensions.yaml``).

Run ``python src/spec/create_extension_spec.py`` after changing a type here; the YAML is committed and a
test checks that regenerating it changes nothing.

Field names and vocabularies follow the Chipchase 2012 reporting checklist, the Peterchev 2012 dose
definition, IFCN 2021 and BIDS BEP037 ("NIBS-BIDS"). Units are in field names; numbers are never stored as text;
every angle and axis states its sign (as ndx-optogenetics does).

Placement (0.2.0): devices and models in ``/general/devices`` and ``/general/device_models``; protocols, targets,
thresholds, coordinate spaces, registrations, reconciliation and cell types in ``/general/tms``
(``TMSExperimentMetadata``); every pulse in ``/events`` (``TMSPulsesTable``, an ``EventsTable``); stimulation
sessions in ``/intervals`` (``TMSSessionsTable``, a ``TimeIntervals``), each pulse pointing at its session by a
region; adverse events in ``/events`` (``TMSAdverseEventsTable``, an ``EventsTable``).
"""

from __future__ import annotations

import tomllib
from pathlib import Path

from pynwb.spec import (
    NWBAttributeSpec,
    NWBDatasetSpec,
    NWBGroupSpec,
    NWBLinkSpec,
    NWBNamespaceBuilder,
    NWBRefSpec,
    export_spec,
)

NAME = "ndx-tms"
#: The version is written once, in pyproject.toml; the namespace generated here carries it.
VERSION = tomllib.loads((Path(__file__).resolve().parents[2] / "pyproject.toml").read_text())["project"]["version"]


def attr(name: str, dtype: str, doc: str, *, required: bool = False, shape=None, dims=None, **kw):
    """An attribute spec; optional unless ``required``."""
    return NWBAttributeSpec(name=name, dtype=dtype, doc=doc, required=required, shape=shape, dims=dims, **kw)


def column(name: str, dtype, doc: str, *, required: bool = True, shape=(None,), dims=("num_rows",)):
    """A ``VectorData`` column of a DynamicTable subtype."""
    return NWBDatasetSpec(
        name=name,
        neurodata_type_inc="VectorData",
        dtype=dtype,
        doc=doc,
        shape=list(shape),
        dims=list(dims),
        quantity=1 if required else "?",
    )


def index(name: str, doc: str, *, required: bool = True):
    """The ``VectorIndex`` of a ragged column."""
    return NWBDatasetSpec(
        name=name, neurodata_type_inc="VectorIndex", doc=doc, quantity=1 if required else "?"
    )


def region(name: str, doc: str, *, required: bool = True):
    """A ``DynamicTableRegion`` column (row references into another table)."""
    return NWBDatasetSpec(
        name=name,
        neurodata_type_inc="DynamicTableRegion",
        dtype="int",
        doc=doc,
        shape=[None],
        dims=["num_rows"],
        quantity=1 if required else "?",
    )


def object_ref_column(name: str, target_type: str, doc: str, *, required: bool = True):
    """A column of object references to ``target_type`` (like ``electrodes/group`` in core)."""
    return NWBDatasetSpec(
        name=name,
        neurodata_type_inc="VectorData",
        dtype=NWBRefSpec(target_type=target_type, reftype="object"),
        doc=doc,
        shape=[None],
        dims=["num_rows"],
        quantity=1 if required else "?",
    )


# --------------------------------------------------------------------------- devices
stimulator_model = NWBGroupSpec(
    neurodata_type_def="TMSStimulatorModel",
    neurodata_type_inc="DeviceModel",
    doc=(
        "Model of a TMS stimulator (e.g. MagVenture MagPro X100, Magstim Rapid2). Manufacturer and model "
        "number are the core DeviceModel attributes."
    ),
    attributes=[
        attr("available_modes", "text", "Operating modes of the model (standard, power, twin, dual; "
             "single, paired).", shape=[None], dims=["num_modes"]),
        attr("available_waveforms", "text", "Waveforms the model can deliver (monophasic, biphasic, "
             "half_sine, biphasic_burst, custom: e.g. controllable pulse parameter TMS or polyphasic).",
             shape=[None], dims=["num_waveforms"]),
        attr("maximum_output_in_percent_mso", "float64", "Maximum stimulator output, 100 %MSO by "
             "definition.", default_value=100.0),
        attr("maximum_di_dt_in_a_per_us", "float64", "Rate of change of coil current at 100 %MSO with the "
             "reference coil, in A/us."),
    ],
)

stimulator = NWBGroupSpec(
    neurodata_type_def="TMSStimulator",
    neurodata_type_inc="Device",
    doc="A TMS stimulator used in the session. Link its TMSStimulatorModel through the core 'model' link.",
    attributes=[
        attr("mode", "text", "Operating mode used (standard, power, twin, dual).", required=True),
        attr("pulse_mode", "text", "Pulse mode: single, paired, twin, repetitive.", required=False),
        attr("software_version", "text", "Stimulator firmware or software version."),
    ],
)

coil_model = NWBGroupSpec(
    neurodata_type_def="TMSCoilModel",
    neurodata_type_inc="DeviceModel",
    doc="Model of a TMS coil (e.g. MagVenture Cool-B65, a custom rodent coil).",
    attributes=[
        attr("shape", "text", "Coil shape: figure_of_eight, circular, double_cone, h_coil, "
             "angled_figure_of_eight, custom.", required=True),
        attr("outer_winding_diameter_in_mm", "float64", "Outer diameter of the windings, in mm."),
        attr("inner_winding_diameter_in_mm", "float64", "Inner diameter of the windings, in mm."),
        attr("number_of_turns", "int32", "Number of turns per winding."),
        attr("core_material", "text", "Core: air, iron, silicon_steel, ferrite, powdered_iron."),
        attr("inductance_in_uh", "float64", "Coil inductance, in uH."),
        attr("cooling", "text", "Cooling: none, air, liquid."),
        attr("sham_capable", "bool", "Whether the coil has a sham side or sham mode."),
        attr("peak_magnetic_field_in_t", "float64", "Peak magnetic field at the coil surface at 100 %MSO, in T."),
        attr("peak_db_dt_in_t_per_s", "float64", "Peak dB/dt at the coil surface at 100 %MSO, in T/s."),
        attr("half_value_depth_in_mm", "float64", "Depth at which the E-field falls to half its maximum "
             "(d1/2), in mm."),
        attr("half_value_spread_in_cm2", "float64", "Area over which the E-field exceeds half its maximum "
             "(S1/2), in cm2."),
        attr("efield_model_reference", "text", "E-field model file, DOI or URL of the coil model."),
        attr("coil_model_file", "text", "Coil model file whose axes coil poses use (e.g. SimNIBS "
             "'MagVenture_MCF-B65.ccd'); empty when poses use the manufacturer's drawing."),
        attr("handle_axis", "text", "Where the handle points in the coil's own frame (the frame of "
             "coil_model_file, or of the manufacturer's drawing): '+y', '-y' or 'none' (no handle, e.g. a "
             "rodent coil on a post). SimNIBS's coil files for MagVenture figure-of-eight coils put the "
             "handle along -y (simnibs issue 64). z always points from the coil into the head."),
    ],
)

coil = NWBGroupSpec(
    neurodata_type_def="TMSCoil",
    neurodata_type_inc="Device",
    doc="A TMS coil used in the session. Link its TMSCoilModel through the core 'model' link.",
    links=[NWBLinkSpec(name="stimulator", target_type="TMSStimulator", doc="The stimulator that drives "
                       "this coil.", quantity="?")],
)

navigation_system = NWBGroupSpec(
    neurodata_type_def="TMSNavigationSystem",
    neurodata_type_inc="Device",
    doc="A neuronavigation system (e.g. Localite TMS Navigator, Brainsight, Visor2, a robot such as Axilum "
        "TMS-Cobot). Manufacturer and model name are the core DeviceModel linked through 'model'.",
    attributes=[
        attr("navigation_type", "text", "How the coil is held: hand_held (tracked, held by the operator), "
             "robot (robotic arm), cobot (collaborative robot) or none (tracking only, coil on a fixed "
             "holder).", required=True),
        attr("software_version", "text", "Navigation software and version (e.g. 'TMS Navigator 3.3.30')."),
        attr("tracking_system", "text", "Position tracker (e.g. 'NDI Polaris Vega', optical or "
             "electromagnetic)."),
    ],
)

# --------------------------------------------------------------------------- coordinate spaces
coordinate_space = NWBGroupSpec(
    neurodata_type_def="TMSCoordinateSpace",
    neurodata_type_inc="NWBContainer",
    doc="A coordinate space for targets and coil poses (e.g. bregma stereotaxic, MNI152NLin2009cAsym).",
    attributes=[
        attr("space", "text", "Name of the space, e.g. bregma_stereotaxic, MNI152NLin2009cAsym, "
             "subject_native.", required=True),
        attr("units", "text", "Units of coordinates in this space.", required=True, default_value="mm"),
        attr("origin", "text", "Origin of the space (e.g. bregma, anterior commissure, scanner "
             "isocenter).", required=True),
        attr("orientation", "text", "Axis orientation as three letters (RAS, LPS, ...); for bregma "
             "spaces AP/ML/DV with their positive directions.", required=True),
        attr("description", "text", "Free-form notes on the space."),
    ],
)

registration = NWBGroupSpec(
    neurodata_type_def="TMSRegistration",
    neurodata_type_inc="NWBContainer",
    doc="Registration of the subject's head to an image or atlas space by the navigation system: the landmarks "
        "used and the error achieved.",
    attributes=[
        attr("method", "text", "fiducials (landmarks only), surface (head-surface points), "
             "fiducials_and_surface, or other.", required=True),
        attr("rms_error_in_mm", "float64", "Root-mean-square registration error reported by the navigation "
             "system, mm."),
        attr("description", "text", "Free-form notes (e.g. 'nasion and both tragi, 300 surface points')."),
    ],
    datasets=[
        NWBDatasetSpec(name="landmark_label", dtype="text", shape=[None], dims=["num_landmarks"],
                       doc="Landmark names (nasion, left_tragus, right_tragus, bregma, lambda, ...).",
                       quantity="?"),
        NWBDatasetSpec(name="landmark_position", dtype="float64", shape=[None, 3], dims=["num_landmarks", "xyz"],
                       doc="Landmark positions (x, y, z) in the units of the linked coordinate space.",
                       quantity="?"),
        NWBDatasetSpec(name="landmark_error_in_mm", dtype="float64", shape=[None], dims=["num_landmarks"],
                       doc="Registration error at each landmark, mm (NaN when not reported).", quantity="?"),
    ],
    links=[
        NWBLinkSpec(name="coordinate_space", target_type="TMSCoordinateSpace",
                    doc="Space the subject was registered to."),
        NWBLinkSpec(name="navigation_system", target_type="TMSNavigationSystem",
                    doc="Navigation system that did the registration.", quantity="?"),
    ],
)

# --------------------------------------------------------------------------- tables
thresholds_table = NWBGroupSpec(
    neurodata_type_def="TMSThresholdsTable",
    neurodata_type_inc="DynamicTable",
    doc="Motor, phosphene or rodent thresholds and dosing references measured for the subject, one row per "
        "measurement. A protocol's intensity refers to a row (e.g. 90% of rmt, 100% of s1mv).",
    default_name="thresholds",
    datasets=[
        column("threshold_type", "text", "rmt (resting motor threshold), amt (active motor threshold), s1mv "
               "(intensity evoking a 1 mV peak-to-peak MEP), phosphene, rodent_visual_twitch or rodent_emg."),
        column("value_in_percent_mso", "float64", "Threshold in %MSO of the stimulator that measured it."),
        column("value_in_v_per_m", "float64", "The same threshold as the E-field at the target in V/m, from "
               "efield_model (E-field dosing; NaN when not modelled).", required=False),
        column("efield_model", "text", "E-field model and version that gave value_in_v_per_m (e.g. "
               "'SimNIBS 4.1, head model from T1+T2'); empty when none.", required=False),
        column("muscle", "text", "Muscle recorded for motor thresholds (e.g. FDI, APB, ADM; left or right); "
               "empty for other thresholds.", required=False),
        column("method", "text", "Threshold method: 5/10, 10/20, pest, staircase, visual, other."),
        column("criterion", "text", "Criterion (e.g. '50 uV in 5 of 10 trials')."),
        column("measurement_method", "text", "What was measured: emg, visual, phosphene_report, other."),
        column("time_measured_in_s", "float64", "When it was measured, in s from session start "
               "(negative: before the session; NaN: unknown).", required=False),
        column("coil_orientation_in_deg", "float64", "Coil handle angle at which the threshold was measured, "
               "degrees, same convention as TMSTargetsTable.coil_handle_angle_in_deg (0 = handle pointing "
               "posterior along the midline, positive = rotated toward the subject's left; NaN when not "
               "recorded).", required=False),
    ],
)

protocols_table = NWBGroupSpec(
    neurodata_type_def="TMSProtocolsTable",
    neurodata_type_inc="DynamicTable",
    doc=(
        "Stimulation protocols, one row per parameter set. Timing is nested levels (pulse, burst, train, "
        "session, day, course), each with a count and an onset-to-onset interval; totals, frequencies and "
        "durations are derived from them, never stored twice. Paired-pulse protocols (SICI, ICF, LICI, "
        "ccPAS) give the test pulse in intensity_* and the conditioning pulse in conditioning_*, each with "
        "its own reference."
    ),
    default_name="protocols",
    datasets=[
        column("protocol_name", "text", "Protocol name (e.g. itbs_600, rtms_10hz_fda)."),
        column("waveform", "text", "monophasic, biphasic, half_sine, biphasic_burst or custom (describe it "
               "in waveform_description, e.g. cTMS or polyphasic)."),
        column("waveform_description", "text", "Waveform details when waveform is custom (empty otherwise).",
               required=False),
        column("pulse_width_in_us", "float64", "Pulse width, in us (NaN when unknown)."),
        column("coil_current_direction", "text", "Coil current direction setting on the stimulator: "
               "normal or reverse."),
        column("induced_current_direction", "text", "Direction of the current induced in the brain by the "
               "dominant phase of the pulse (monophasic: its only phase; biphasic: the phase that dominates "
               "activation), named from where it enters to where it leaves the target: PA "
               "(posterior-to-anterior), AP, LM, ML; for biphasic pulses the phase order may be given "
               "instead, first phase first: AP-PA or PA-AP; other, or unknown."),
        column("timing_level", "text", "Names of the nested levels, innermost first (ragged).",
               dims=("num_levels",)),
        index("timing_level_index", "Index into timing_level."),
        column("timing_count", "int64", "Count per level (ragged, aligned with timing_level).",
               dims=("num_levels",)),
        index("timing_count_index", "Index into timing_count."),
        column("timing_interval_in_s", "float64", "Onset-to-onset interval of the units of each level, in s "
               "(ragged, aligned with timing_level; exact to 1 us), whatever convention the source used.",
               dims=("num_levels",)),
        index("timing_interval_in_s_index", "Index into timing_interval_in_s."),
        column("timing_interval_convention", "text", "How the source stated each level's interval (ragged, "
               "aligned with timing_level): onset_to_onset; gap_after_end (from the nominal end of one unit, "
               "count x interval of the level inside it, to the next onset: '8 s between 2 s trains'); or "
               "gap_after_last_pulse (from the last pulse of one unit to the first of the next, as MagVenture "
               "MagPro states the inter-train interval).", dims=("num_levels",)),
        index("timing_interval_convention_index", "Index into timing_interval_convention."),
        column("timing_stated_interval_in_s", "float64", "Each level's interval as the source stated it, in "
               "its convention, s (ragged, aligned with timing_level).", dims=("num_levels",)),
        index("timing_stated_interval_in_s_index", "Index into timing_stated_interval_in_s."),
        column("intensity_reference", "text", "What intensity_value is relative to: percent_mso or "
               "percent_threshold (of the threshold row, e.g. 120% rmt, 100% s1mv)."),
        column("intensity_value", "float64", "Declared intensity (of the test pulse, in paired protocols) in "
               "the unit of intensity_reference."),
        column("intensity_in_percent_mso", "float64", "Delivered intensity in %MSO: threshold x "
               "intensity_value / 100, with the depth-adjusted threshold when depth_adjustment_method is "
               "set (NaN when unknown)."),
        region("threshold", "Row of the thresholds table the intensity refers to. Required when any "
               "row's intensity_reference is percent_threshold.", required=False),
        column("depth_adjustment_method", "text", "How the threshold was adjusted for the scalp-to-cortex "
               "distance of the target: none, stokes_2005 (Stokes et al. 2005, J Neurophysiol 94:4520: "
               "adjusted threshold = motor threshold + slope x (target distance - motor-cortex distance)), "
               "stokes_2007 (Stokes et al. 2007, same linear form) or other.",
               required=False),
        column("depth_adjustment_slope_in_percent_mso_per_mm", "float64", "Threshold change per mm of "
               "scalp-to-cortex distance, %MSO/mm (2.8 in Stokes 2005; NaN when no adjustment).",
               required=False),
        column("scalp_to_cortex_distance_motor_in_mm", "float64", "Scalp-to-cortex distance at the "
               "motor hotspot where the threshold was measured, mm (NaN when no adjustment).", required=False),
        column("scalp_to_cortex_distance_target_in_mm", "float64", "Scalp-to-cortex distance at the "
               "stimulation target, mm (NaN when no adjustment).", required=False),
        column("depth_adjusted_threshold_in_percent_mso", "float64", "The threshold after depth adjustment, "
               "%MSO; intensity_in_percent_mso is intensity_value % of it (NaN when no adjustment).",
               required=False),
        column("conditioning_intensity_reference", "text", "Paired-pulse protocols: what "
               "conditioning_intensity_value is relative to (percent_mso or percent_threshold); empty for "
               "single-intensity protocols.", required=False),
        column("conditioning_intensity_value", "float64", "Intensity of the conditioning (first) pulse of "
               "each pair, in the unit of conditioning_intensity_reference (NaN when none).", required=False),
        column("conditioning_intensity_in_percent_mso", "float64", "Conditioning intensity in %MSO (NaN "
               "when none).", required=False),
        region("conditioning_threshold", "Row of the thresholds table the conditioning intensity refers to "
               "(e.g. rmt while the test pulse refers to s1mv).", required=False),
        column("sham", "bool", "True when the protocol is a sham."),
        column("sham_type", "text", "sham_coil, tilted_90, coil_away, active_sham, low_intensity, "
               "sound_only; empty when not sham."),
        column("notes", "text", "Free-form notes on the protocol.", required=False),
    ],
)

targets_table = NWBGroupSpec(
    neurodata_type_def="TMSTargetsTable",
    neurodata_type_inc="DynamicTable",
    doc="Stimulation targets and coil placements, one row per target. Angles follow one convention: the coil "
        "frame is the frame of the coil model's coil_model_file (x, y in the coil plane, z from the coil into "
        "the head, handle along the model's handle_axis).",
    default_name="targets",
    datasets=[
        column("label", "text", "Target label (e.g. dmPFC, left DLPFC)."),
        column("atlas_term", "text", "Atlas term (Allen CCF acronym for mouse, e.g. PL, ACAd, MOs; MNI "
               "label or 10-20 position for human)."),
        column("atlas", "text", "Atlas name and version (e.g. Allen CCFv3 2017).", required=False),
        object_ref_column("coordinate_space", "TMSCoordinateSpace", "Coordinate space of target_position "
                          "and coil_pose."),
        column("target_position", "float64", "Target position (x, y, z) in the coordinate space's units.",
               shape=(None, 3), dims=("num_rows", "xyz")),
        column("entry_position", "float64", "Scalp entry point (x, y, z), in the space's units.",
               required=False, shape=(None, 3), dims=("num_rows", "xyz")),
        column("coil_pose", "float64", "Coil pose as a 4x4 matrix in the SimNIBS matsimnibs form: columns are "
               "the coil frame's x, y and z axes and its centre, in the coordinate space; rotation orthonormal "
               "and right-handed; translation in the space's units. The axes are those of the coil model's "
               "coil_model_file: the handle lies along its handle_axis (+y, or -y for SimNIBS's MagVenture "
               "coil files), z points into the head.", required=False, shape=(None, 4, 4),
               dims=("num_rows", "row", "column")),
        column("coil_center_ap_in_mm", "float64", "Rodent: coil centre anterior-posterior from bregma, mm.",
               required=False),
        column("coil_center_ml_in_mm", "float64", "Rodent: coil centre medial-lateral from bregma, mm.",
               required=False),
        column("coil_center_dv_in_mm", "float64", "Rodent: coil centre dorsal-ventral from bregma, mm.",
               required=False),
        column("coil_height_above_skull_in_mm", "float64", "Rodent: coil height above the skull, mm.",
               required=False),
        column("coil_tilt_in_deg", "float64", "Tilt of the coil plane from the plane tangential to the "
               "scalp at the coil centre (rodent: from the horizontal, flat-skull), degrees, a rotation about "
               "the coil axis perpendicular to the handle: positive raises the handle side away from the "
               "head; 0 = flat on the head.", required=False),
        column("coil_handle_angle_in_deg", "float64", "Handle direction in the plane tangential to the scalp "
               "at the coil centre, degrees from the posterior direction of the midline: 0 = handle "
               "pointing straight back; positive = rotated toward the subject's left (clockwise seen from "
               "above), so the common left-M1 placement, handle back and 45 degrees lateral, is +45 and "
               "the right-hemisphere mirror is -45.", required=False),
        column("scalp_to_cortex_distance_in_mm", "float64", "Scalp-to-cortex distance, mm.",
               required=False),
        column("targeting_method", "text", "How the target was found: stereotaxic, neuronavigation, "
               "10-20, hotspot, fmri_guided, other."),
        column("head_fixation", "text", "Head fixation (head_post, stereotaxic_frame, none).",
               required=False),
        column("anesthesia", "text", "awake, isoflurane, ketamine_xylazine, ...", required=False),
        column("efield_at_target_in_v_per_m", "float64", "Estimated E-field at the target at the "
               "protocol intensity, V/m (NaN when not modelled).", required=False),
        column("efield_model_name", "text", "E-field model software (e.g. SimNIBS, ROAST); empty when not "
               "modelled.", required=False),
        column("efield_model_version", "text", "Version of the E-field model software.", required=False),
        column("efield_max_in_v_per_m", "float64", "Largest E-field magnitude in the brain (or its 99.9th "
               "percentile, say which in notes), V/m (NaN when not modelled).", required=False),
        column("efield_max_position", "float64", "Where efield_max_in_v_per_m occurs (x, y, z), in the "
               "coordinate space's units (NaN when not modelled).", required=False, shape=(None, 3),
               dims=("num_rows", "xyz")),
    ],
)

pulses_table = NWBGroupSpec(
    neurodata_type_def="TMSPulsesTable",
    neurodata_type_inc="EventsTable",
    doc="Every delivered TMS pulse, one row per pulse, in nwbfile.events; 'timestamp' is on the session clock, "
        "in s. Each pulse points at its stimulation session (a row of the TMSSessionsTable in /intervals).",
    default_name="tms_pulses",
    datasets=[
        region("protocol", "Row of the protocols table this pulse belongs to."),
        region("target", "Row of the targets table this pulse was aimed at."),
        region("coil", "Row of the coils table (TMSCoilsTable) of the coil that delivered the pulse. A row "
               "index rather than an object reference per pulse: 90,000 object references cost seconds to "
               "write and read."),
        column("intensity_in_percent_mso", "float64", "Stimulator output for this pulse, %MSO (NaN when "
               "not recorded)."),
        column("di_dt_in_a_per_us", "float64", "Realised rate of change of coil current, A/us (NaN when "
               "not recorded)."),
        column("source", "text", "Where the time came from: trigger_ttl, stimulator_log, navigator or "
               "commanded."),
        region("session", "Row of the TMSSessionsTable (in /intervals) this pulse was delivered in."),
        column("train_number", "int32", "0-based index of the train within its session (-1: not matched to "
               "the declared schedule)."),
        column("burst_number", "int32", "0-based index of the burst within its train (-1: not matched)."),
        column("pulse_number", "int32", "0-based index of the pulse within its burst (-1: not matched); in "
               "paired-pulse protocols 0 is the conditioning pulse, 1 the test pulse."),
        column("artifact_window_in_s", "float64", "Window around the pulse to treat as artifact, as "
               "(start, stop) relative to the pulse, in s.", shape=(None, 2), dims=("num_rows", "start_stop")),
        column("scheduled_time_in_s", "float64", "Time of the declared pulse this one was matched to, on "
               "the session clock (NaN for extra pulses).", required=False),
        column("coil_temperature_in_c", "float64", "Coil temperature reported near this pulse, deg C.",
               required=False),
        column("measured_coil_pose", "float64", "Coil pose measured at this pulse by the navigator, 4x4, same "
               "form and coil frame as TMSTargetsTable.coil_pose.", required=False, shape=(None, 4, 4),
               dims=("num_rows", "row", "column")),
        column("target_error_in_mm", "float64", "Distance of the coil's projection from the target, mm.",
               required=False),
        column("angular_error_in_deg", "float64", "Angle between coil normal and planned normal, deg.",
               required=False),
        column("twist_error_in_deg", "float64", "Rotation of the handle from the planned one, deg.",
               required=False),
    ],
)

sessions_table = NWBGroupSpec(
    neurodata_type_def="TMSSessionsTable",
    neurodata_type_inc="TimeIntervals",
    doc="Stimulation sessions of a course (e.g. the iTBS sessions of one aiTBS day), one row per session, in "
        "/intervals; start_time and stop_time are the first and last delivered pulse, s.",
    default_name="tms_sessions",
    datasets=[
        region("protocol", "Row of the protocols table delivered in this session."),
        region("target", "Row of the targets table stimulated in this session."),
        column("sham", "bool", "True when this session was a sham."),
        column("num_pulses", "int64", "Pulses delivered in this session."),
    ],
)

coils_table = NWBGroupSpec(
    neurodata_type_def="TMSCoilsTable",
    neurodata_type_inc="DynamicTable",
    doc="The coils pulses refer to, one row per TMSCoil device; TMSPulsesTable.coil holds row indices.",
    default_name="coils",
    datasets=[
        object_ref_column("device", "TMSCoil", "The TMSCoil device in /general/devices."),
    ],
)

reconciliation_table = NWBGroupSpec(
    neurodata_type_def="TMSReconciliationTable",
    neurodata_type_inc="DynamicTable",
    doc="Delivered pulses compared with the declared protocol, one row per stimulation session.",
    default_name="reconciliation",
    datasets=[
        region("session", "Row of the TMSSessionsTable (in /intervals)."),
        region("protocol", "Row of the protocols table the pulses were compared with."),
        column("num_declared", "int64", "Pulses the protocol declares for the session."),
        column("num_delivered", "int64", "Pulses detected."),
        column("num_matched", "int64", "Delivered pulses matched to a declared pulse."),
        column("num_missing", "int64", "Declared pulses with no delivered pulse."),
        column("num_extra", "int64", "Delivered pulses with no declared pulse."),
        column("clock_offset_in_s", "float64", "Fitted offset of delivered relative to declared times, s."),
        column("clock_drift_in_ppm", "float64", "Fitted linear drift of delivered relative to declared "
               "times, parts per million."),
        column("max_abs_residual_in_s", "float64", "Largest residual of matched pairs after the fit, s."),
        column("missing_pulse_time_in_s", "float64", "Declared times of the missing pulses, session clock "
               "(ragged).", dims=("num_missing",)),
        index("missing_pulse_time_in_s_index", "Index into missing_pulse_time_in_s."),
        column("discrepancy", "text", "Where each discrepancy sits, e.g. 'train 12: 3 pulses missing' "
               "(ragged).", dims=("num_discrepancies",)),
        index("discrepancy_index", "Index into discrepancy."),
    ],
)

adverse_events_table = NWBGroupSpec(
    neurodata_type_def="TMSAdverseEventsTable",
    neurodata_type_inc="EventsTable",
    doc="Adverse events, one row per event, in nwbfile.events; 'timestamp' is when it happened, s from "
        "session start ('duration' optional).",
    default_name="tms_adverse_events",
    datasets=[
        column("event_type", "text", "seizure, syncope, headache, scalp_pain, hearing_change, "
               "seizure_behaviour, coil_heating, other."),
        column("severity", "text", "mild, moderate, severe."),
        column("relatedness", "text", "unrelated, unlikely, possible, probable, definite."),
        column("action", "text", "Action taken."),
        column("notes", "text", "Free-form notes on the event.", required=False),
    ],
)

cell_types_table = NWBGroupSpec(
    neurodata_type_def="CellTypesTable",
    neurodata_type_inc="DynamicTable",
    doc=(
        "Neuron cell types as ontology terms, one row per type. ROIs or units refer to rows through a "
        "'cell_type' DynamicTableRegion column (ndx_tms.add_cell_type_column)."
    ),
    default_name="cell_types",
    datasets=[
        column("label", "text", "Short label used in the lab (e.g. IT, PT)."),
        column("cell_ontology_id", "text", "Cell Ontology ID, 'CL:' + 7 digits (e.g. CL:4023008)."),
        column("cell_ontology_label", "text", "Cell Ontology term label."),
        column("atlas_taxonomy_label", "text", "Allen Brain Cell Atlas subclass label, e.g. "
               "'005 L5 IT CTX Glut' (empty when not assigned).", required=False),
        column("atlas_taxonomy_id", "text", "Atlas taxonomy accession (empty when not assigned).",
               required=False),
        column("cre_line", "text", "Cre driver line, e.g. Tlx3-Cre_PL56 (empty when none).", required=False),
        column("cre_line_id", "text", "MGI or RRID of the Cre line, e.g. MGI:5311700.", required=False),
        column("reporter", "text", "Reporter or indicator expressed (e.g. Ai148 GCaMP6f).", required=False),
        column("projection_class", "text", "IT, PT/ET, CT, NP or other."),
    ],
)

experiment_metadata = NWBGroupSpec(
    neurodata_type_def="TMSExperimentMetadata",
    neurodata_type_inc="LabMetaData",
    doc="TMS experiment metadata in /general/tms: coordinate spaces, registrations, thresholds, protocols, "
        "targets, the coils pulses refer to, reconciliation, cell types, and the sham and blinding "
        "description. Pulses and adverse events are in /events, stimulation sessions in /intervals.",
    name="tms",
    attributes=[
        attr("sham_description", "text", "How sham stimulation was done and masked (empty when no sham)."),
        attr("blinding_description", "text", "Who was blinded to what."),
        attr("ndx_tms_version", "text", "Version of ndx-tms that wrote the file."),
    ],
    groups=[
        NWBGroupSpec(neurodata_type_inc="TMSCoordinateSpace", doc="Coordinate spaces used by targets.",
                     quantity="*"),
        NWBGroupSpec(neurodata_type_inc="TMSRegistration", doc="Registrations of the head to a space.",
                     quantity="*"),
        NWBGroupSpec(neurodata_type_inc="TMSThresholdsTable", name="thresholds", doc="Thresholds.",
                     quantity="?"),
        NWBGroupSpec(neurodata_type_inc="TMSProtocolsTable", name="protocols", doc="Protocols."),
        NWBGroupSpec(neurodata_type_inc="TMSTargetsTable", name="targets", doc="Targets.", quantity="?"),
        NWBGroupSpec(neurodata_type_inc="TMSCoilsTable", name="coils", doc="Coils referred to by pulses.",
                     quantity="?"),
        NWBGroupSpec(neurodata_type_inc="TMSReconciliationTable", name="reconciliation",
                     doc="Delivered versus declared pulses.", quantity="?"),
        NWBGroupSpec(neurodata_type_inc="CellTypesTable", name="cell_types", doc="Cell types.",
                     quantity="?"),
    ],
)

# --------------------------------------------------------------------------- imaging support
artifact_mask = NWBGroupSpec(
    neurodata_type_def="TMSArtifactMask",
    neurodata_type_inc="NWBDataInterface",
    doc="Per-frame mask of an imaging series: True where the frame's acquisition window overlaps a TMS "
        "pulse plus its artifact window.",
    datasets=[
        NWBDatasetSpec(name="mask", dtype="bool", shape=[None], dims=["num_frames"],
                       doc="One value per frame of the linked series."),
    ],
    attributes=[
        attr("artifact_window_in_s", "float64", "(start, stop) around each pulse treated as artifact, s.",
             required=True, shape=[2], dims=["start_stop"]),
        attr("frame_duration_in_s", "float64", "Acquisition window of one frame used in the computation, s.",
             required=True),
        attr("method", "text", "How the mask was computed.", required=True),
    ],
    links=[
        NWBLinkSpec(name="series", target_type="TimeSeries", doc="The imaging series masked."),
        NWBLinkSpec(name="pulses", target_type="TMSPulsesTable", doc="Pulses used.", quantity="?"),
    ],
)

clock_alignment = NWBGroupSpec(
    neurodata_type_def="TMSClockAlignment",
    neurodata_type_inc="NWBDataInterface",
    doc="Fit that maps one acquisition clock onto the session clock through a shared signal: "
        "session_time = offset + (1 + drift_ppm * 1e-6) * device_time.",
    datasets=[
        NWBDatasetSpec(name="device_time_in_s", dtype="float64", shape=[None], dims=["num_events"],
                       doc="Times of the shared events on the aligned clock, s."),
        NWBDatasetSpec(name="residual_in_s", dtype="float64", shape=[None], dims=["num_events"],
                       doc="Residual of each shared event after the fit, s."),
    ],
    attributes=[
        attr("aligned_clock", "text", "Clock that was aligned (e.g. scanimage).", required=True),
        attr("reference_clock", "text", "Session clock it was aligned to (e.g. wavesurfer DAQ).",
             required=True),
        attr("shared_signal", "text", "Signal seen by both clocks (e.g. frame clock on DAQ AI2).",
             required=True),
        attr("offset_in_s", "float64", "Fitted offset, s.", required=True),
        attr("drift_in_ppm", "float64", "Fitted linear drift, parts per million.", required=True),
        attr("rms_residual_in_s", "float64", "Root-mean-square residual, s.", required=True),
    ],
)

NEW_TYPES = [
    stimulator_model,
    stimulator,
    coil_model,
    coil,
    navigation_system,
    coordinate_space,
    registration,
    thresholds_table,
    protocols_table,
    targets_table,
    coils_table,
    pulses_table,
    sessions_table,
    reconciliation_table,
    adverse_events_table,
    cell_types_table,
    experiment_metadata,
    artifact_mask,
    clock_alignment,
]


def main(output_dir: Path | None = None) -> Path:
    """Write the namespace and extensions YAML into ``output_dir`` (default: the ``spec`` folder)."""
    ns_builder = NWBNamespaceBuilder(
        name=NAME,
        version=VERSION,
        doc="NWB extension for transcranial magnetic stimulation (TMS): stimulators, coils, protocols, "
            "targets and coil placement, every delivered pulse, and neuron cell types.",
        author=["nwbtms developers"],
        contact=["nwbtms@users.noreply.github.com"],
    )
    ns_builder.include_namespace("core")
    output_dir = output_dir or Path(__file__).resolve().parents[2] / "spec"
    output_dir.mkdir(parents=True, exist_ok=True)
    export_spec(ns_builder, NEW_TYPES, str(output_dir))
    return output_dir


if __name__ == "__main__":
    main()
