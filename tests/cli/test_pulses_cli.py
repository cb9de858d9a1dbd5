"""``nwbtms pulses detect`` end to end through the console entry point."""

from __future__ import annotations

import csv
import io
import json

import numpy as np
import pytest

from nwbtms.cli import main
from nwbtms.sources.daq.testing import EXAMPLE_COEFFICIENTS, write_wavesurfer

RATE = 10000.0


def _rig_file(tmp_path, names=("AI0", "TMS trigger")):
    trigger = np.zeros(5000)
    onsets = [500, 1500, 2500, 3500]
    for start in onsets:
        trigger[start : start + 20] = 5.0
    c0, c1 = EXAMPLE_COEFFICIENTS[:2]
    counts = np.round((np.stack([np.zeros(5000), trigger]) - c0) / c1).astype(np.int16)
    path = write_wavesurfer(tmp_path / "rig.h5", [counts], sample_rate_hz=RATE, channel_names=list(names))
    return path, np.asarray(onsets) / RATE


def run(args, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(args)
    out, err = capsys.readouterr()
    return exit_info.value.code, out, err


def test_csv_to_stdout_picks_the_trigger_channel(tmp_path, capsys):
    path, onsets = _rig_file(tmp_path)
    code, out, err = run(["pulses", "detect", str(path)], capsys)
    assert code == 0, err
    rows = list(csv.reader(io.StringIO(out)))
    assert rows[0][:2] == ["time_s", "amplitude"]
    times = np.array([float(r[0]) for r in rows[1:]])
    assert np.all(np.abs(times - (onsets - 0.5 / RATE)) <= 1 / RATE)  # 50 % crossing of a 1-sample edge
    assert "TMS trigger" in err


def test_json_to_file_and_no_overwrite(tmp_path, capsys):
    path, onsets = _rig_file(tmp_path)
    out_file = tmp_path / "pulses.json"
    code, _, err = run(
        [
            "pulses",
            "detect",
            str(path),
            "--channel",
            "TMS trigger",
            "--format",
            "json",
            "--threshold",
            "2.5",
            "--calibration-a-per-us-per-unit",
            "10",
            "-o",
            str(out_file),
        ],
        capsys,
    )
    assert code == 0, err
    document = json.loads(out_file.read_text())
    assert document["count"] == 4 and document["threshold"] == 2.5
    assert document["pulses"][0]["di_dt_a_per_us"] == pytest.approx(50.0, abs=0.1)
    code, _, err = run(["pulses", "detect", str(path), "-o", str(out_file)], capsys)
    assert code == 2 and "--overwrite" in err


def test_wrong_channel_lists_channels_and_writes_nothing(tmp_path, capsys):
    path, _ = _rig_file(tmp_path)
    out_file = tmp_path / "pulses.csv"
    code, out, err = run(["pulses", "detect", str(path), "--channel", "Trig", "-o", str(out_file)], capsys)
    assert code == 2
    assert "'AI0'" in err and "'TMS trigger'" in err and "Traceback" not in err
    assert not out_file.exists() and not list(tmp_path.glob(".pulses*"))


def test_ambiguous_default_channel_is_explained(tmp_path, capsys):
    path, _ = _rig_file(tmp_path, names=("AI0", "AI1"))
    code, _, err = run(["pulses", "detect", str(path)], capsys)
    assert code == 2 and "--channel" in err and "'AI1'" in err


def test_bad_inputs_exit_2(tmp_path, capsys):
    broken = tmp_path / "broken.abf"
    broken.write_bytes(b"ABF " + bytes(100))
    code, _, err = run(["pulses", "detect", str(broken)], capsys)
    assert code == 2 and "broken.abf" in err
    raw = tmp_path / "rig.bin"
    np.zeros(10, np.int16).tofile(raw)
    code, _, err = run(
        [
            "pulses",
            "detect",
            str(raw),
            "--option",
            "dtype=int16",
            "--option",
            "num_channels=1",
            "--option",
            "sample_rate_hz=0",
        ],
        capsys,
    )
    assert code == 2 and "sample rate" in err
    code, out, err = run(
        [
            "pulses",
            "detect",
            str(raw),
            "--option",
            "dtype=int16",
            "--option",
            "num_channels=1",
            "--option",
            "sample_rate_hz=1000",
            "--format",
            "csv",
        ],
        capsys,
    )
    assert code == 0 and out.splitlines() == ["time_s,amplitude,saturated"]


def write_scanimage_aux(path, edges_by_input, *, num_frames=5, frame_period_s=0.1):
    """A ScanImage 2016+ TIFF whose per-frame descriptions log ``auxTrigger<N>`` edges (tifffile writes it)."""
    import tifffile

    header = f"SI.hRoiManager.scanFrameRate = {1 / frame_period_s:g}\nSI.hChannels.channelSave = 1\n"
    with tifffile.TiffWriter(path, bigtiff=True) as tw:
        for i in range(num_frames):
            t0 = i * frame_period_s
            lines = [f"frameNumbers = {i + 1}", f"frameTimestamps_sec = {t0:.6f}"]
            for k in range(4):
                edges = [t for t in edges_by_input.get(k, ()) if t0 <= t < t0 + frame_period_s]
                lines.append(f"auxTrigger{k} = [" + " ".join(f"{t:.6f}" for t in edges) + "]")
            tw.write(np.zeros((4, 4), np.int16), software=header, description="\n".join(lines) + "\n", metadata=None)
    return path


def test_scanimage_aux_trigger_edges_are_the_pulses(tmp_path, capsys):
    edges = [0.012345, 0.0323, 0.0325, 0.25]  # 0.0325 is 0.2 ms after 0.0323: one debounced pulse
    path = write_scanimage_aux(tmp_path / "acq_00001.tif", {2: edges})
    code, out, err = run(["pulses", "detect", str(path), "--format", "json"], capsys)
    assert code == 0, err
    document = json.loads(out)
    assert document["channel"] == "auxTrigger2" and document["sample_rate_hz"] is None
    assert [p["time_s"] for p in document["pulses"]] == pytest.approx([0.012345, 0.0323, 0.25])
    code, out, _ = run(["pulses", "detect", str(path), "-c", "auxTrigger0"], capsys)
    assert code == 0 and out.splitlines() == ["time_s,amplitude,saturated"]
    out_file = tmp_path / "pulses.csv"
    code, _, err = run(["pulses", "detect", str(path), "-c", "aux2", "-o", str(out_file)], capsys)
    assert code == 2 and "'auxTrigger2' (4 edge(s))" in err and "Traceback" not in err
    assert not out_file.exists()
    both = write_scanimage_aux(tmp_path / "two_00001.tif", {0: [0.1], 1: [0.2]})
    code, _, err = run(["pulses", "detect", str(both)], capsys)
    assert code == 2 and "several" in err and "--channel" in err


def _truncated_h5(tmp_path):
    path, _ = _rig_file(tmp_path)
    data = path.read_bytes()
    cut = tmp_path / "cut.h5"
    cut.write_bytes(data[: len(data) // 3])
    return cut, [], "cut.h5"


def _impossible_rate(tmp_path):
    path = write_wavesurfer(tmp_path / "rate.h5", [np.zeros((1, 10), np.int16)], sample_rate_hz=0.0,
                            channel_names=["TMS trigger"])
    return path, [], "sample rate"


def _bad_csv_row(tmp_path):  # found only while streaming, after the output was opened in the old code
    path = tmp_path / "rig.csv"
    path.write_text("trigger\n" + "0\n" * 50 + "5\n" * 5 + "five\n" + "0\n" * 10)
    return path, ["--option", "sample_rate_hz=1000"], ":57"


def _missing_channel(tmp_path):
    path, _ = _rig_file(tmp_path)
    return path, ["--channel", "nope"], "'TMS trigger'"


@pytest.mark.parametrize("make", [_truncated_h5, _impossible_rate, _bad_csv_row, _missing_channel])
def test_bad_input_exits_2_and_writes_nothing(tmp_path, capsys, make):
    path, extra, expected = make(tmp_path)
    out_file = tmp_path / "out" / "pulses.csv"
    out_file.parent.mkdir()
    code, out, err = run(["pulses", "detect", str(path), *extra, "-o", str(out_file)], capsys)
    assert code == 2 and expected in err and "Traceback" not in err
    assert out == "" and list(out_file.parent.iterdir()) == []  # no output, no partial file
