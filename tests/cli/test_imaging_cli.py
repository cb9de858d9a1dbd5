"""``nwbtms imaging inspect`` on ScanImage, plain TIFF, Bruker and Suite2p inputs."""

from __future__ import annotations

import json

import numpy as np
import pytest
import tifffile

from nwbtms.cli import main
from nwbtms.sources.imaging.testing import write_scanimage


def run(argv, capsys):
    with pytest.raises(SystemExit) as info:
        main(argv)
    out, err = capsys.readouterr()
    return info.value.code, out, err


def write_si(folder):
    """Four 6x5 uint16 frames at 10 Hz, one aux trigger edge at 0.05 s."""
    folder.mkdir(exist_ok=True)
    (path,) = write_scanimage(folder, num_volumes=4, frame_rate_hz=10.0, shape=(6, 5), dtype="uint16",
                              aux={"auxTrigger0": [0.05]})
    return path


def test_inspect_scanimage_json(tmp_path, capsys):
    path = write_si(tmp_path / "si")
    code, out, _ = run(["imaging", "inspect", str(path), "--format", "json"], capsys)
    assert code == 0
    data = json.loads(out)
    assert data["format"] == "scanimage" and data["num_frames"] == 4
    assert data["frame_rate_hz"] == 10 and data["frame_shape"] == [6, 5] and data["dtype"] == "uint16"
    assert data["timestamps_present"] is True and data["aux_triggers"] == {"auxTrigger0": [0.05]}


def test_inspect_text(tmp_path, capsys):
    path = write_si(tmp_path / "si")
    code, out, _ = run(["imaging", "inspect", str(path)], capsys)
    assert code == 0 and "num_frames: 4" in out and "auxTrigger0: 1 edge(s)" in out


def test_inspect_plain_tiff_states_no_frame_rate(tmp_path, capsys):
    path = tmp_path / "plain.tif"
    with tifffile.TiffWriter(path) as tw:
        for _ in range(3):
            tw.write(np.zeros((4, 4), np.uint8), metadata=None)
    code, out, _ = run(["imaging", "inspect", str(path), "--format", "json"], capsys)
    data = json.loads(out)
    assert code == 0 and data["frame_rate_hz"] is None and "frame rate" in data["note"]
    assert data["num_frames"] == 3 and data["kind"] == "imaging" and data["reader"] == "tiff"
    code, out, _ = run(["imaging", "inspect", str(path), "--frame-rate", "20", "--format", "json"], capsys)
    assert code == 0 and json.loads(out)["frame_rate_hz"] == 20.0


def test_inspect_writes_to_a_file(tmp_path, capsys):
    path = write_si(tmp_path / "si")
    report = tmp_path / "report.json"
    code, out, _ = run(["imaging", "inspect", str(path), "--format", "json", "-o", str(report)], capsys)
    assert code == 0 and out == "" and json.loads(report.read_text())["num_frames"] == 4
    report.write_text("keep")
    code, _, err = run(["imaging", "inspect", str(path), "--format", "json", "-o", str(report)], capsys)
    assert code == 2 and "--overwrite" in err and report.read_text() == "keep"
    code, _, _ = run(["imaging", "inspect", str(path), "--format", "json", "-o", str(report), "--overwrite"],
                     capsys)
    assert code == 0 and json.loads(report.read_text())["num_frames"] == 4


def test_inspect_real_files(realdata, capsys):
    code, out, _ = run(["imaging", "inspect", str(realdata / "scanimage" / "Blank-IPA_1s_16r_032.tif"),
                        "--format", "json"], capsys)
    assert code == 0 and json.loads(out)["num_frames"] == 30
    suite2p = realdata / "suite2p" / "fissa_example"
    code, out, _ = run(["imaging", "inspect", str(suite2p), "--format", "json"], capsys)
    data = json.loads(out)
    assert code == 0 and data["reader"] == "suite2p" and data["rois"] == 23 and data["num_frames"] == 864
    folder = realdata / "bruker" / "stripped" / "TSeries-01252019-1046-1397"
    code, out, _ = run(["imaging", "inspect", str(folder), "--format", "json"], capsys)
    data = json.loads(out)
    assert code == 0 and data["num_frames"] == 119 and data["missing_frame_files"] == 119
    code, _, err = run(["imaging", "inspect", str(realdata / "bruker" / "stripped" / "t1BL_dendriteD_1")],
                       capsys)
    assert code == 2 and "line scan" in err


def test_tifffile_warnings_stay_off_stderr(realdata, tmp_path):
    """PrairieView's reference TIFFs carry MetaMorph tags tifffile cannot decode; it logs them, we print nothing."""
    import subprocess
    import sys

    mip = next((realdata / "bruker" / "minimal").rglob("*_Ch2_MIP.tif"))
    done = subprocess.run([sys.executable, "-m", "nwbtms", "imaging", "inspect", str(mip), "--frame-rate", "1"],
                          capture_output=True, text=True, check=False)
    assert done.returncode == 0 and done.stderr == "" and "num_frames: 1" in done.stdout
