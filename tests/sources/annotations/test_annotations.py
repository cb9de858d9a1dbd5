"""Hand annotations: ImageJ ROI sets written by roifile and hand-written CSV tables."""

from __future__ import annotations

import math

import pytest

from nwbtms.errors import InputError, SourceError
from nwbtms.sources.annotations import open_annotations, parent_from_name
from nwbtms.sources.annotations.testing import write_annotation_csv, write_imagej_roiset

ROIS = [
    {"name": "n1", "type": "oval", "points": [[10, 10], [20, 16]], "slice": 2},
    {"name": "n1:d01", "type": "polyline", "points": [[20, 20], [23, 24], [23, 34]], "slice": 3},
    {"name": "n1:d01:s01", "type": "point", "points": [[22, 25]], "slice": 3},
    {"name": "n1:d01:s02", "type": "polygon", "points": [[24, 30], [26, 30], [26, 32]], "slice": 4},
]


def test_imagej_roiset_kinds_parents_lengths_and_micrometres(tmp_path):
    path = write_imagej_roiset(tmp_path / "RoiSet.zip", ROIS)
    rois = open_annotations(path, pixel_size_um=0.5, z_step_um=2.0)
    by_key = {a.key: a for a in rois.annotations}
    assert rois.keys == ["n1", "n1:d01", "n1:d01:s01", "n1:d01:s02"]
    assert [by_key[k].kind for k in rois.keys] == ["soma", "dendrite", "spine", "spine"]
    assert by_key["n1"].parent_key is None and by_key["n1:d01"].parent_key == "n1"
    assert by_key["n1:d01:s02"].parent_key == "n1:d01"
    assert by_key["n1:d01"].length_in_um == pytest.approx(0.5 * (5 + 10))
    assert (by_key["n1:d01:s01"].x_um, by_key["n1:d01:s01"].y_um, by_key["n1:d01:s01"].z_um) == (11.0, 12.5, 4.0)
    assert by_key["n1"].z_um == 2.0 and by_key["n1"].shape == "oval"
    assert by_key["n1:d01:s02"].length_in_um is None
    summary = rois.summary()
    assert summary["kind"] == "annotations" and summary["rois"] == 4
    assert summary["by_kind"] == {"dendrite": 1, "soma": 1, "spine": 2}


def test_single_roi_file_and_slice_without_spacing(tmp_path):
    path = write_imagej_roiset(tmp_path / "s.roi", [ROIS[2]])
    with pytest.raises(InputError, match="slice spacing"):
        open_annotations(path)
    assert open_annotations(path, z_step_um=1.5).annotations[0].z_um == 3.0


@pytest.mark.filterwarnings("ignore:Duplicate name")
def test_imagej_refusals(tmp_path):
    duplicate = write_imagej_roiset(tmp_path / "dup.zip", [ROIS[2], ROIS[2]])
    with pytest.raises(SourceError, match="two ROIs are named"):
        open_annotations(duplicate, z_step_um=1)
    multi = write_imagej_roiset(tmp_path / "multi.zip", [{"name": "s", "type": "point", "points": [[1, 1], [2, 2]]}])
    with pytest.raises(SourceError, match="one spine per ROI"):
        open_annotations(multi)
    (tmp_path / "bad.zip").write_bytes(b"not a zip")
    with pytest.raises(SourceError, match="not an ImageJ ROI file"):
        open_annotations(tmp_path / "bad.zip")


def test_csv_hand_written(tmp_path):
    path = tmp_path / "spines.csv"
    path.write_text("# scored by hand\nkey,kind,parent_key,x_um,y_um,z_um,length_in_um\n"
                    "n1,soma,,10,12.5,30,\nn1:d01,dendrite,n1,14,20,33,42.5\n\n"
                    "n1:d01:s01,spine,,15.2,24,33,\ns02,spine,n1:d01,16,31.5,36,\n")
    rois = open_annotations(path)
    by_key = {a.key: a for a in rois.annotations}
    assert by_key["n1:d01:s01"].parent_key == "n1:d01"  # by the naming convention
    assert by_key["s02"].parent_key == "n1:d01"  # by the column
    assert by_key["n1:d01"].length_in_um == 42.5 and math.isclose(by_key["s02"].z_um, 36)
    assert rois.missing_parents() == []


@pytest.mark.parametrize(("row", "message", "line"), [
    ({"key": "d", "kind": "dendrite", "x_um": 1, "y_um": 1, "z_um": 1}, "no length_in_um", 2),
    ({"key": "s", "kind": "bouton", "x_um": 1, "y_um": 1, "z_um": 1}, "unknown kind", 2),
    ({"key": "s", "kind": "spine", "x_um": "x", "y_um": 1, "z_um": 1}, "not a number", 2),
    ({"key": "s", "kind": "spine", "x_um": 1, "y_um": 1, "z_um": 1, "length_in_um": 3}, "only dendrites", 2),
])
def test_csv_errors_name_the_line(tmp_path, row, message, line):
    path = write_annotation_csv(tmp_path / "a.csv", [row])
    with pytest.raises(InputError, match=message) as info:
        open_annotations(path)
    assert info.value.line == line


def test_csv_missing_column_and_duplicate_key(tmp_path):
    (tmp_path / "a.csv").write_text("key,kind,x_um\n")
    with pytest.raises(InputError, match="missing column"):
        open_annotations(tmp_path / "a.csv")
    write_annotation_csv(tmp_path / "b.csv", [{"key": "s", "kind": "spine", "x_um": 1, "y_um": 1, "z_um": 1}] * 2)
    with pytest.raises(InputError, match="listed twice") as info:
        open_annotations(tmp_path / "b.csv")
    assert info.value.line == 3


def test_parent_from_name():
    assert parent_from_name("a:b:c") == "a:b"
    assert parent_from_name("abc") is None and parent_from_name(":x") is None


def test_oversized_roi_set_is_refused_before_reading(tmp_path, monkeypatch):
    from nwbtms.sources.annotations import imagej

    path = write_imagej_roiset(tmp_path / "RoiSet.zip", ROIS)
    monkeypatch.setattr(imagej, "MAX_SET_BYTES", 100)
    with pytest.raises(SourceError, match="exceeds"):
        open_annotations(path, z_step_um=1)
