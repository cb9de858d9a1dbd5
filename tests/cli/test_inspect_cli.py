"""``nwbtms inspect``: one JSON object per raw input with kind, reader and the numbers of its kind."""

from __future__ import annotations

import json

import numpy as np
import pytest
from pyabf.abfWriter import writeABF1

from nwbtms.cli import main
from nwbtms.sources.imaging.testing import write_scanimage


def run(argv, capsys):
    with pytest.raises(SystemExit) as info:
        main(argv)
    out, err = capsys.readouterr()
    return info.value.code, out, err


def test_daq_json_has_rate_channels_and_sweeps(tmp_path, capsys):
    path = tmp_path / "rig.abf"
    writeABF1(np.zeros((3, 2000)), str(path), sampleRateHz=20000, units="mV")
    code, out, err = run(["inspect", str(path), "--format", "json"], capsys)
    assert code == 0, err
    data = json.loads(out)
    assert data["kind"] == "daq" and data["reader"] == "abf" and data["sampling_rate_hz"] == 20000
    # pyabf's ABF1 writer leaves the name all NUL bytes: named by index, never "" or NULs
    assert [(c["name"], c["unit"]) for c in data["channels"]] == [("channel 0", "mV")]
    assert [s["num_samples"] for s in data["sweeps"]] == [2000] * 3
    assert [s["start_s"] for s in data["sweeps"]] == pytest.approx([0, 0.1, 0.2])


def test_navigator_json_counts_untracked(tmp_path, capsys):
    rows = []
    for k, matrix in enumerate([np.eye(4), np.diag([1.0, -1.0, -1.0, 1.0])]):
        attrs = " ".join(f'data{r}{c}="{float(matrix[r, c])!r}"' for r in range(4) for c in range(4))
        rows.append(f'<TriggerMarker recordingTime="{100 * k}"><Matrix4D {attrs}/></TriggerMarker>')
    path = tmp_path / "TriggerMarkers_Coil0_20240101120000000.xml"
    path.write_text('<TriggerMarkerList coordinateSpace="RAS" startTime="12:00:00.0">' + "".join(rows)
                    + "</TriggerMarkerList>")
    code, out, err = run(["inspect", str(path), "--format", "json"], capsys)
    data = json.loads(out)
    assert code == 0, err
    assert (data["kind"], data["reader"], data["samples"], data["untracked"], data["coordinate_space"]) == \
        ("navigator", "localite", 2, 1, "RAS")


def test_imaging_json_lists_every_channel(tmp_path, capsys):
    (path,) = write_scanimage(tmp_path, num_volumes=3, channels=(1, 2), frame_rate_hz=15.0, shape=(6, 5))
    code, out, err = run(["inspect", str(path), "--format", "json"], capsys)
    data = json.loads(out)
    assert code == 0, err
    assert (data["kind"], data["reader"], data["num_frames"], data["frame_rate_hz"]) == ("imaging", "scanimage",
                                                                                          3, 15.0)
    assert data["frame_shape"] == [6, 5] and len(data["channels"]) == 2 and data["planes"] == 1
    code, out, _ = run(["inspect", str(path)], capsys)  # text
    assert code == 0 and "channels:" in out and "num_frames: 3" in out


@pytest.mark.parametrize(("name", "text", "reason"), [
    ("notes.md", "# notes\n", "no nwbtms reader recognises this .md file"),
    ("TriggerData20240101.xml", '<?xml version="1.0"?><LocTMSTriggerData/>', "TriggerData"),
    ("fiber.ppd", "garbage", "does not fit the file"),
    ("fiber.doric", "garbage", "not an HDF5 file"),
])
def test_refusals_exit_2_with_file_and_reason(tmp_path, capsys, name, text, reason):
    path = tmp_path / name
    path.write_text(text)
    code, out, err = run(["inspect", str(path), "--format", "json"], capsys)
    assert code == 2 and out == "" and name in err and reason in err and "Traceback" not in err


def test_annotations_json_counts_rois_by_kind(tmp_path, capsys):
    from nwbtms.sources.annotations.testing import write_annotation_csv

    path = write_annotation_csv(tmp_path / "rois.csv", [
        {"key": "d1", "kind": "dendrite", "x_um": 1, "y_um": 2, "z_um": 3, "length_in_um": 20},
        {"key": "d1:s1", "kind": "spine", "x_um": 1.5, "y_um": 2, "z_um": 3},
    ])
    code, out, err = run(["inspect", str(path), "--format", "json"], capsys)
    data = json.loads(out)
    assert code == 0, err
    assert (data["kind"], data["reader"], data["rois"]) == ("annotations", "annotation_csv", 2)
    assert data["roi_kinds"] == {"dendrite": 1, "spine": 1}


def test_annotations_keys_of_an_imagej_set_without_its_stack(tmp_path, capsys):
    from nwbtms.sources.annotations.testing import write_imagej_roiset

    path = write_imagej_roiset(tmp_path / "RoiSet.zip", [
        {"name": "d1", "type": "polyline", "points": [[1, 1], [5, 9]], "slice": 3},
        {"name": "d1:s1", "type": "point", "points": [[2, 3]], "slice": 3},
        {"name": "d2:s9", "type": "point", "points": [[4, 4]], "slice": 2},
    ])
    code, out, err = run(["inspect", str(path), "--format", "json"], capsys)
    data = json.loads(out)
    assert code == 0, err  # slices without a known spacing do not stop inspect
    assert (data["kind"], data["reader"], data["rois"]) == ("annotations", "imagej_rois", 3)
    assert data["keys"] == ["d1", "d1:s1", "d2:s9"] and data["missing_parents"] == ["d2:s9"]


def test_photometry_streams_and_trigger_edges(tmp_path, capsys):
    from nwbtms.sources.photometry.testing import write_ppd

    path = write_ppd(tmp_path / "fiber.ppd", duration_s=3.0, pulse_times_s=[1.0, 2.0])
    code, out, err = run(["inspect", str(path), "--format", "json"], capsys)
    assert code == 0, err
    data = json.loads(out)
    assert data["kind"] == "photometry" and data["reader"] == "pyphotometry" and data["mode"] == "2EX_1EM_pulsed"
    streams = {s["name"]: s for s in data["streams"]}
    assert streams["analog_1"]["kind"] == "signal" and streams["analog_1_led_on"]["kind"] == "raw"
    assert streams["analog_1"]["samples"] == 390 and streams["analog_1"]["rate_hz"] == 130
    assert data["digital_inputs"] == {"digital_1": 2, "digital_2": 0}
    code, out, _ = run(["inspect", str(path)], capsys)
    assert code == 0 and "'analog_1' (signal, volts): 390 samples at 130 Hz" in out
