"""Checked constructors: bad values raise TMSValueError naming the field and the fix; old files still read."""

from __future__ import annotations

import numpy as np
import pytest
from ndx_tms import (
    CellTypesTable,
    TMSAdverseEventsTable,
    TMSCoordinateSpace,
    TMSProtocolsTable,
    TMSSessionsTable,
    TMSThresholdsTable,
    TMSValueError,
    add_cell_type_column,
)
from ndx_tms.testing import (
    ITBS_LEVELS,
    mock_CellTypesTable,
    mock_TMSCoilModel,
    mock_TMSCoordinateSpace,
    mock_TMSStimulator,
    mock_TMSStimulatorModel,
    mock_TMSTargetsTable,
    mock_TMSThresholdsTable,
)
from ndx_tms.vocabulary import pose_problem


def _protocol_kwargs(**overrides):
    levels, counts, intervals = zip(*ITBS_LEVELS, strict=True)
    values = dict(
        protocol_name="itbs_600", waveform="biphasic", pulse_width_in_us=280.0, coil_current_direction="normal",
        induced_current_direction="PA", timing_level=list(levels), timing_count=list(counts),
        timing_interval_in_s=list(intervals), intensity_reference="percent_mso", intensity_value=50.0,
        intensity_in_percent_mso=50.0, sham=False, sham_type="",
    )
    values.update(overrides)
    return values


def test_stimulator_rejects_unknown_waveform():
    with pytest.raises(TMSValueError, match="available_waveforms: 'square'.*biphasic"):
        mock_TMSStimulatorModel(available_waveforms=["biphasic", "square"])


def test_stimulator_mode_vocabulary():
    with pytest.raises(TMSValueError, match="TMSStimulator.mode"):
        mock_TMSStimulator(mode="turbo")


def test_coil_shape_and_diameters():
    with pytest.raises(TMSValueError, match="TMSCoilModel.shape: 'butterfly'"):
        mock_TMSCoilModel(shape="butterfly")
    with pytest.raises(TMSValueError, match="inner_winding_diameter_in_mm"):
        mock_TMSCoilModel(inner_winding_diameter_in_mm=20.0, outer_winding_diameter_in_mm=8.0)
    with pytest.raises(TMSValueError, match="inductance_in_uh: -1.0 is outside"):
        mock_TMSCoilModel(inductance_in_uh=-1.0)


def test_protocol_intensity_outside_mso_range():
    table = TMSProtocolsTable(description="p")
    with pytest.raises(TMSValueError, match=r"intensity_value: 120.0 is outside \[0.0, 100.0\]"):
        table.add_row(**_protocol_kwargs(intensity_value=120.0, intensity_in_percent_mso=120.0))


def test_protocol_relative_intensity_needs_threshold():
    table = TMSProtocolsTable(description="p")
    with pytest.raises(TMSValueError, match="give threshold="):
        table.add_row(**_protocol_kwargs(intensity_reference="percent_threshold", intensity_value=120.0))


def test_protocol_relative_intensity_above_100_percent_of_threshold_is_fine():
    thresholds = mock_TMSThresholdsTable()
    table = TMSProtocolsTable(description="p", target_tables={"threshold": thresholds})
    table.add_row(**_protocol_kwargs(intensity_reference="percent_threshold", intensity_value=120.0,
                                     intensity_in_percent_mso=54.0, threshold=0))
    assert table["intensity_value"][0] == 120.0


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ({"waveform": "square"}, "waveform: 'square'"),
        ({"coil_current_direction": "sideways"}, "coil_current_direction"),
        ({"induced_current_direction": "up"}, "induced_current_direction"),
        ({"timing_count": [3, 0, 20]}, "timing_count of level 'burst' must be >= 1"),
        ({"timing_count": [3, 10]}, "equal length"),
        ({"sham": True, "sham_type": "pretend"}, "sham_type: 'pretend'"),
        ({"sham_type": "coil_away"}, "sham is False"),
    ],
)
def test_protocol_vocabularies(override, message):
    table = TMSProtocolsTable(description="p")
    with pytest.raises(TMSValueError, match=message):
        table.add_row(**_protocol_kwargs(**override))


def test_threshold_rows():
    table = TMSThresholdsTable(description="t")
    with pytest.raises(TMSValueError, match="threshold_type: 'mt'"):
        table.add_row(threshold_type="mt", value_in_percent_mso=40.0, method="5/10", criterion="50 uV",
                      measurement_method="emg")
    with pytest.raises(TMSValueError, match="value_in_percent_mso: 140.0 is outside"):
        table.add_row(threshold_type="rmt", value_in_percent_mso=140.0, method="5/10", criterion="50 uV",
                      measurement_method="emg")


def test_pose_must_be_orthonormal_and_right_handed():
    space = mock_TMSCoordinateSpace()
    table = mock_TMSTargetsTable(coordinate_space=space)
    pose = np.eye(4)
    pose[0, 0] = 2.0
    kwargs = dict(label="x", atlas_term="MOs", atlas="Allen CCFv3", coordinate_space=space,
                  target_position=[0, 0, 0], targeting_method="stereotaxic", coil_center_ap_in_mm=0.0,
                  coil_center_ml_in_mm=0.0, coil_center_dv_in_mm=0.0, coil_height_above_skull_in_mm=1.0,
                  coil_tilt_in_deg=0.0, coil_handle_angle_in_deg=0.0, head_fixation="head_post",
                  anesthesia="awake")
    with pytest.raises(TMSValueError, match="coil_pose: pose rotation columns are not orthonormal"):
        table.add_row(coil_pose=pose, **kwargs)
    mirrored = np.eye(4)
    mirrored[2, 2] = -1.0
    with pytest.raises(TMSValueError, match="left-handed"):
        table.add_row(coil_pose=mirrored, **kwargs)
    with pytest.raises(TMSValueError, match="target_position must be"):
        table.add_row(coil_pose=np.eye(4), **{**kwargs, "target_position": [1, 2]})


def test_pose_problem_accepts_all_nan_as_not_recorded():
    assert pose_problem(np.full((4, 4), np.nan)) is None
    assert "4x4" in pose_problem(np.eye(3))


def test_cell_type_ids_must_be_well_formed():
    table = CellTypesTable(description="c")
    with pytest.raises(TMSValueError, match="'CL:40230' is not a Cell Ontology ID"):
        table.add_row(label="IT", cell_ontology_id="CL:40230", cell_ontology_label="x", projection_class="IT")
    with pytest.raises(TMSValueError, match="projection_class"):
        table.add_row(label="IT", cell_ontology_id="CL:4023008", cell_ontology_label="", projection_class="XX")
    # any well-formed CL term is accepted, with its label given
    table.add_row(label="SST", cell_ontology_id="CL:4023017", cell_ontology_label="sst GABAergic cortical "
                  "interneuron", projection_class="other")
    with pytest.raises(TMSValueError, match="give the term label"):
        table.add_row(label="Y", cell_ontology_id="CL:1234567", cell_ontology_label="", projection_class="other")


def test_known_cl_label_is_filled():
    table = mock_CellTypesTable()
    assert table["cell_ontology_label"][0].startswith("intratelencephalic")


def test_add_cell_type_column_checks_labels_and_length():
    from pynwb.core import DynamicTable

    rois = DynamicTable(name="rois", description="r")
    rois.add_column("size", "size")
    for i in range(3):
        rois.add_row(size=i)
    types = mock_CellTypesTable()
    with pytest.raises(TMSValueError, match="'NP' is not in the table"):
        add_cell_type_column(rois, types, ["IT", "NP", "PT"])
    with pytest.raises(TMSValueError, match="2 values for a table of 3 rows"):
        add_cell_type_column(rois, types, ["IT", "PT"])
    add_cell_type_column(rois, types, ["IT", 1, "IT"])
    assert list(rois["cell_type"][:]["label"]) == ["IT", "PT", "IT"]


def test_coordinate_space_orientation():
    with pytest.raises(TMSValueError, match="must name each axis once"):
        TMSCoordinateSpace(name="bad", space="x", units="mm", origin="o", orientation="RRS")
    with pytest.raises(TMSValueError, match="units"):
        TMSCoordinateSpace(name="bad", space="x", units="inch", origin="o", orientation="RAS")
    assert TMSCoordinateSpace(name="lps", space="scanner", units="mm", origin="iso", orientation="LPS")


def test_adverse_events_and_sessions():
    events = TMSAdverseEventsTable(description="a")
    with pytest.raises(TMSValueError, match="severity: 'awful'"):
        events.add_row(timestamp=1.0, event_type="headache", severity="awful", relatedness="possible",
                       action="none")
    sessions = TMSSessionsTable(description="s")
    with pytest.raises(TMSValueError, match="before start_time"):
        sessions.add_row(start_time=10.0, stop_time=5.0, protocol=0, target=0, sham=False, num_pulses=1)


def test_invalid_values_in_a_file_warn_instead_of_failing(tmp_path):
    """Old files with out-of-range values must still open: construct mode only warns."""
    import h5py
    from ndx_tms.testing import mock_tms_nwbfile
    from pynwb import NWBHDF5IO

    path = tmp_path / "old.nwb"
    with NWBHDF5IO(str(path), "w") as io:
        io.write(mock_tms_nwbfile(with_imaging=False))
    with h5py.File(path, "a") as f:
        f["general/devices/models/Rodent coil 8 mm"].attrs["shape"] = "butterfly"
    with pytest.warns(UserWarning, match="butterfly"), NWBHDF5IO(str(path), "r") as io:
        nwbfile = io.read()
        assert nwbfile.device_models["Rodent coil 8 mm"].shape == "butterfly"


def test_vectorised_pose_check_agrees_with_single_check():
    from ndx_tms.vocabulary import first_pose_problem

    rng = np.random.default_rng(3)
    poses = np.stack([np.eye(4)] * 50)
    q, _ = np.linalg.qr(rng.normal(size=(3, 3)))
    poses[:, :3, :3] = q * np.sign(np.linalg.det(q))
    poses[10] = np.nan  # not recorded
    assert first_pose_problem(poses) is None
    poses[37, :3, 0] *= 1.01
    assert first_pose_problem(poses) == (37, pose_problem(poses[37]))
    poses[37] = np.eye(4)
    poses[41, :3, 2] *= -1
    assert first_pose_problem(poses) == (41, "rotation is left-handed (determinant -1.000, not +1 within 0.005); "
                                             "flip one axis")


def test_every_type_has_a_mock_factory():
    import ndx_tms
    from ndx_tms import testing

    types = [name for name in ndx_tms.__all__ if isinstance(getattr(ndx_tms, name), type) and name != "TMSValueError"]
    missing = [name for name in types if not hasattr(testing, f"mock_{name}")]
    assert missing == []
    assert len(testing.mock_TMSCoilsTable()) == 1


def _saint_table():
    """Thresholds (RMT 60 %MSO at a 14 mm deep hotspot) and a protocols table referring to them."""
    thresholds = TMSThresholdsTable(description="t")
    thresholds.add_row(threshold_type="rmt", value_in_percent_mso=60.0, method="pest", criterion="50 uV",
                       measurement_method="emg", muscle="right FDI")
    thresholds.add_row(threshold_type="s1mv", value_in_percent_mso=72.0, method="other", criterion="1 mV",
                       measurement_method="emg", muscle="right FDI")
    return TMSProtocolsTable(description="p", target_tables={"threshold": thresholds,
                                                             "conditioning_threshold": thresholds})


def _depth(**overrides):
    # Stokes 2005: 60 + 2.8 x (18 - 14) = 71.2 %MSO; 90% of it = 64.08 %MSO
    values = dict(intensity_reference="percent_threshold", intensity_value=90.0, intensity_in_percent_mso=64.08,
                  threshold=0, depth_adjustment_method="stokes_2005",
                  depth_adjustment_slope_in_percent_mso_per_mm=2.8, scalp_to_cortex_distance_motor_in_mm=14.0,
                  scalp_to_cortex_distance_target_in_mm=18.0, depth_adjusted_threshold_in_percent_mso=71.2,
                  conditioning_intensity_reference="", conditioning_intensity_value=float("nan"),
                  conditioning_intensity_in_percent_mso=float("nan"), conditioning_threshold=0)
    values.update(overrides)
    return _protocol_kwargs(**values)


def test_depth_adjusted_intensity_is_accepted_and_a_wrong_value_is_caught():
    table = _saint_table()
    table.add_row(**_depth())
    assert table["depth_adjusted_threshold_in_percent_mso"][0] == 71.2
    with pytest.raises(TMSValueError, match="60 \\+ 2.8 x \\(18 - 14\\) = 71.20"):
        _saint_table().add_row(**_depth(depth_adjusted_threshold_in_percent_mso=66.0))
    with pytest.raises(TMSValueError, match="90% of the depth-adjusted threshold 71.2 is 64.08"):
        _saint_table().add_row(**_depth(intensity_in_percent_mso=54.0))
    with pytest.raises(TMSValueError, match="give scalp_to_cortex_distance_target_in_mm"):
        _saint_table().add_row(**_depth(scalp_to_cortex_distance_target_in_mm=float("nan")))


def test_paired_pulse_row_has_its_own_conditioning_reference():
    table = _saint_table()
    table.add_row(**_protocol_kwargs(
        protocol_name="sici_3ms", waveform="monophasic", intensity_reference="percent_threshold",
        intensity_value=100.0, intensity_in_percent_mso=72.0, threshold=1,
        conditioning_intensity_reference="percent_threshold", conditioning_intensity_value=70.0,
        conditioning_intensity_in_percent_mso=42.0, conditioning_threshold=0))
    assert table["conditioning_threshold"][0]["threshold_type"].iloc[0] == "rmt"
    assert table["threshold"][0]["threshold_type"].iloc[0] == "s1mv"
    with pytest.raises(TMSValueError, match="give conditioning_intensity_reference"):
        _saint_table().add_row(**_protocol_kwargs(conditioning_intensity_value=70.0))


def test_interval_conventions_and_custom_waveform():
    table = TMSProtocolsTable(description="p")
    table.add_row(**_protocol_kwargs(timing_interval_in_s=[0.02, 0.2, 9.84],
                                     timing_interval_convention=["onset_to_onset", "onset_to_onset",
                                                                 "gap_after_last_pulse"],
                                     timing_stated_interval_in_s=[0.02, 0.2, 8.0], waveform_description=""))
    assert list(table["timing_stated_interval_in_s"][0]) == [0.02, 0.2, 8.0]
    with pytest.raises(TMSValueError, match="timing_interval_convention: 'from_end'"):
        table.add_row(**_protocol_kwargs(timing_interval_convention=["onset_to_onset"] * 2 + ["from_end"]))
    with pytest.raises(TMSValueError, match="describe it in waveform_description"):
        table.add_row(**_protocol_kwargs(waveform="custom"))
    table.add_row(**_protocol_kwargs(waveform="custom", waveform_description="cTMS, M-ratio 0.2"))


def test_navigation_handle_axis_and_registration_checks():
    from ndx_tms.testing import mock_TMSNavigationSystem, mock_TMSRegistration

    with pytest.raises(TMSValueError, match="navigation_type: 'tripod'"):
        mock_TMSNavigationSystem(navigation_type="tripod")
    with pytest.raises(TMSValueError, match="handle_axis: 'y'"):
        mock_TMSCoilModel(handle_axis="y")
    assert mock_TMSCoilModel(handle_axis="-y").handle_axis == "-y"
    with pytest.raises(TMSValueError, match="3 landmark labels for 2 positions"):
        mock_TMSRegistration(landmark_label=["nasion", "lpa", "rpa"])
    with pytest.raises(TMSValueError, match="rms_error_in_mm"):
        mock_TMSRegistration(rms_error_in_mm=-1.0)
