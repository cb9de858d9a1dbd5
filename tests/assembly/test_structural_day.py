"""An imaging-only structural day: a z-stack converted as a volume, hand annotations as a PlaneSegmentation."""

from __future__ import annotations

import numpy as np
import pytest
import tifffile
from pynwb import NWBHDF5IO

from nwbtms import convert_session
from nwbtms.sources.annotations.testing import write_annotation_csv, write_imagej_roiset
from nwbtms.spines import read_session_rois
from nwbtms.validate import Severity, validate_paths

SLICES, ROWS, COLS = 4, 24, 20
PIXEL_UM, Z_UM = 0.5, 2.0
ROIS = [
    {"name": "n1", "type": "oval", "points": [[2, 2], [8, 7]], "slice": 1},
    {"name": "n1:d1", "type": "polyline", "points": [[4, 10], [4, 14], [7, 18]], "slice": 2},
    {"name": "n1:d1:s01", "type": "point", "points": [[5, 12]], "slice": 2},
    {"name": "n1:d1:s02", "type": "polygon", "points": [[6, 15], [8, 15], [8, 17]], "slice": 3},
]
CSV_ROWS = [
    {"key": "n1", "kind": "soma", "x_um": 2.5, "y_um": 2.5, "z_um": 0},
    {"key": "n1:d1", "kind": "dendrite", "parent_key": "n1", "x_um": 2, "y_um": 5, "z_um": 2, "length_in_um": 4.5},
    {"key": "n1:d1:s01", "kind": "spine", "x_um": 2.5, "y_um": 6, "z_um": 2},
    {"key": "s02", "kind": "spine", "parent_key": "n1:d1", "x_um": 3.5, "y_um": 7.5, "z_um": 4, "cell_type": "IT"},
]


def _metadata(stack, annotations, reader) -> dict:
    return {
        "format_version": 1,
        "nwbfile": {"session_description": "Structural imaging day (no stimulation).",
                    "session_start_time": "2026-03-09T09:30:00-07:00", "session_id": "day7",
                    "experimenter": ["Doe, Jane"], "lab": "lab", "institution": "inst"},
        "subject": {"subject_id": "M001", "species": "Mus musculus", "sex": "M", "age": "P91D"},
        "devices": {"microscope": {"type": "microscope", "description": "Two-photon microscope."}},
        "cell_types": {"it": {"label": "IT", "cell_ontology_id": "CL:4023008", "projection_class": "IT"}},
        "imaging_planes": {"stack": {
            "device": "microscope", "imaging": "stack", "annotations": "rois", "cell_type": "it", "volume": True,
            "description": "Apical dendrite z-stack.", "excitation_lambda_nm": 920, "indicator": "GCaMP6f",
            "location": "MOs", "clock": "none"}},
        "sources": {"stack": {"reader": "tiff", "path": stack.name,
                              "options": {"z_step_um": Z_UM, "pixel_size_um": [PIXEL_UM, PIXEL_UM]}},
                    "rois": {"reader": reader, "path": annotations.name}},
    }


@pytest.fixture
def stack(tmp_path):
    data = (np.arange(SLICES * ROWS * COLS, dtype=np.uint16) * 7).reshape(SLICES, ROWS, COLS)
    path = tmp_path / "stack.tif"
    tifffile.imwrite(path, data, photometric="minisblack")
    return path, data


@pytest.mark.parametrize("reader", ["imagej_rois", "annotation_csv"])
def test_volume_and_annotations_convert_and_round_trip(tmp_path, stack, reader):
    path, data = stack
    if reader == "imagej_rois":
        annotations = write_imagej_roiset(tmp_path / "RoiSet.zip", ROIS)
    else:
        annotations = write_annotation_csv(tmp_path / "spines.csv", CSV_ROWS)
    out = tmp_path / "day7.nwb"
    result = convert_session(_metadata(path, annotations, reader), out, quiet=True, base_dir=tmp_path)
    assert result.num_rois == 4 and result.num_pulses == 0
    with NWBHDF5IO(str(out), "r") as io:
        nwbfile = io.read()
        volume = nwbfile.acquisition["TwoPhotonVolume"]
        assert volume.data.shape == (1, ROWS, COLS, SLICES)
        np.testing.assert_array_equal(volume.data[0], np.moveaxis(data, 0, -1))
        assert list(volume.imaging_plane.grid_spacing) == pytest.approx([0.5e-6, 0.5e-6, 2e-6])
        assert volume.field_of_view[2] == pytest.approx(SLICES * Z_UM * 1e-6)
        rois = nwbfile.processing["ophys"]["ImageSegmentation"]["PlaneSegmentation_annotations"]
        assert rois.reference_images[0] is volume
        table = rois.to_dataframe()
        keys = list(table["roi_key"])
        assert keys[:3] == ["n1", "n1:d1", "n1:d1:s01"]
        assert list(table["roi_kind"]) == ["soma", "dendrite", "spine", "spine"]
        assert list(table["parent_roi"]) == [-1, 0, 1, 1]
        lengths = np.asarray(table["dendrite_length_in_um"], dtype=float)
        expected_length = 0.5 * (4 + 5) if reader == "imagej_rois" else 4.5
        assert lengths[1] == pytest.approx(expected_length) and np.isnan(lengths[[0, 2, 3]]).all()
        assert [rois["cell_type"][i]["label"].iloc[0] for i in range(4)] == ["IT"] * 4
        voxels = rois["voxel_mask"][2]
        assert all(0 <= v[2] < SLICES for v in voxels)
    if reader == "imagej_rois":
        assert [tuple(v)[:3] for v in voxels] == [(5, 12, 1)]  # ImageJ slice 2 -> index 1
    read = read_session_rois(out)
    assert [(r.key, r.kind, r.parent_key, r.cell_type) for r in read.rois][-1][1:] == ("spine", "n1:d1", "IT")
    if reader == "imagej_rois":  # an imaging-only structural day validates without a blocking finding
        report = validate_paths([out])
        blocking = [f"{f.check_id}: {f.message}" for f in report.findings
                    if f.severity >= Severity.BEST_PRACTICE_VIOLATION]
        assert blocking == [] and report.exit_code == 0


def test_bruker_zseries_real_xml_reads_as_a_volume(realdata):
    from nwbtms.sources.imaging.zstack import open_zstack

    stack = open_zstack(realdata / "bruker" / "stripped" / "ZSeries-09252014-1411-508", require_frames=False)
    assert stack.num_slices == 4 and stack.frame_shape == (1024, 1024)
    assert stack.z_step_um == pytest.approx(3.0) and stack.depth_um == pytest.approx(12.0)
    assert stack.pixel_size_um == pytest.approx((1.37254901960784, 1.37254901960784))
    assert list(stack.z_positions_um) == pytest.approx([-25.78, -22.78, -19.78, -16.78])
    assert stack.source.channels == ["Ch1", "Ch2"]


def test_missing_z_step_for_plain_tiff(tmp_path, stack):
    from nwbtms.errors import InputError
    from nwbtms.sources.imaging.zstack import open_zstack

    with pytest.raises(InputError, match="slice spacing"):
        open_zstack(stack[0], format="tiff")
