"""Photometry readers on files written in each format's documented layout: pyPhotometry ``.ppd`` (old and 1.1
pulsed layouts) and Doric ``.doric`` (DNS 6 and DNS 5 layouts, h5py); wrong inputs give typed errors naming the
file, the field and the fix. Real public ``.ppd`` files (pyPhotometry's own example data) were checked during
development; none is committed."""

from __future__ import annotations

import json

import h5py
import numpy as np
import pytest

from nwbtms.errors import ChannelNotFoundError, SourceError
from nwbtms.sources.photometry.base import PhotometryStream, rising_edges_in_blocks
from nwbtms.sources.photometry.doric import read_doric
from nwbtms.sources.photometry.pyphotometry import read_ppd
from nwbtms.sources.photometry.testing import VOLTS_PER_DIVISION, write_doric, write_ppd
from nwbtms.sources.registry import open_source, recognise

BURSTS = np.concatenate([b + np.array([0.0, 0.02, 0.04]) for b in 2.0 + np.arange(10) * 0.2])


def test_ppd_pulsed_layout(tmp_path):
    path = write_ppd(tmp_path / "a.ppd", duration_s=6.0, pulse_times_s=BURSTS, clock_offset_s=0.5)
    with read_ppd(path) as recording:
        assert recording.mode == "2EX_1EM_pulsed" and recording.subject == "M001"
        assert [s.name for s in recording.of_kind("signal")] == ["analog_1", "analog_2"]
        assert {s.name for s in recording.of_kind("raw")} == {
            "analog_1_led_on", "analog_1_baseline", "analog_2_led_on", "analog_2_baseline"}
        signal = recording.stream("analog_1")
        assert signal.num_samples == 780 and signal.rate_hz == 130.0
        on, off = recording.stream("analog_1_led_on").read(), recording.stream("analog_1_baseline").read()
        np.testing.assert_allclose(signal.read(), on - off, atol=1e-12)
        assert abs(np.median(signal.read(0, 180)) - 1.2) < 0.01  # the written baseline, before the first pulse
        np.testing.assert_allclose(signal.times(0, 3), [0, 1 / 130, 2 / 130])
        # time division: the second signal of each cycle is read half a cycle after the first
        assert recording.stream("analog_2").times(0, 1)[0] == pytest.approx(1 / 260)
        # the stretched trigger: one rising edge per burst, on the device clock, within a sample
        np.testing.assert_allclose(recording.rising_edges("digital_1"), BURSTS[::3] - 0.5, atol=1 / 130)
        assert recording.rising_edges("digital_2").size == 0
        blocks = list(signal.blocks(block_samples=100))
        assert [b[0] for b in blocks][:3] == [0, 100, 200] and sum(b[1].size for b in blocks) == 780


def test_ppd_old_layout_two_words_per_sample(tmp_path):
    path = write_ppd(tmp_path / "old.ppd", duration_s=2.0, mode="2 colour time div.", version="0.2")
    with read_ppd(path) as recording:
        assert recording.of_kind("raw") == []
        assert recording.stream("analog_2").num_samples == 260
        assert abs(np.median(recording.stream("analog_2").read()) - 0.8) < 0.01


def test_ppd_quantisation_is_volts_per_division(tmp_path):
    path = write_ppd(tmp_path / "q.ppd", duration_s=1.0, noise_v=0.0)
    values = read_ppd(path).stream("analog_1_led_on").read()
    np.testing.assert_allclose(values / VOLTS_PER_DIVISION, np.round(values / VOLTS_PER_DIVISION), atol=1e-6)


def test_edges_carry_state_across_blocks():
    values = np.array([0, 1, 1, 0, 0, 1, 1, 1, 0, 1], dtype=float)
    for size in (1, 2, 3, 10):
        blocks = ((s, values[s:s + size]) for s in range(0, values.size, size))
        assert list(rising_edges_in_blocks(blocks, lambda i: i)) == [1, 5, 9]


def _ppd(tmp_path, header: dict | bytes, data: bytes = b"\x00\x00" * 4):
    text = header if isinstance(header, bytes) else json.dumps(header).encode()
    path = tmp_path / "bad.ppd"
    path.write_bytes(len(text).to_bytes(2, "little") + text + data)
    return path


GOOD = {"mode": "2EX_2EM_continuous", "sampling_rate": 100, "volts_per_division": [1e-4, 1e-4], "version": "1.0",
        "n_analog_signals": 2, "n_digital_signals": 2}


@pytest.mark.parametrize(("header", "data", "field", "words"), [
    (b"not json", b"", "header", "not JSON"),
    ({k: v for k, v in GOOD.items() if k != "sampling_rate"}, b"\x00\x00", "header/sampling_rate", "lacks"),
    ({**GOOD, "sampling_rate": 0}, b"\x00\x00", "header/sampling_rate", "positive"),
    ({**GOOD, "volts_per_division": [-1]}, b"\x00\x00", "header/volts_per_division", "positive"),
    (GOOD, b"\x00\x00\x00", "data", "whole 16-bit words"),
    (GOOD, b"", "data", "no complete sample"),
])
def test_ppd_wrong_inputs(tmp_path, header, data, field, words):
    with pytest.raises(SourceError) as info:
        read_ppd(_ppd(tmp_path, header, data))
    assert info.value.field == field and words in info.value.message and info.value.file.endswith("bad.ppd")


def test_ppd_truncated_header_and_unknown_stream(tmp_path):
    path = tmp_path / "short.ppd"
    path.write_bytes((500).to_bytes(2, "little") + b"{")
    with pytest.raises(SourceError, match="does not fit") as info:
        read_ppd(path)
    assert info.value.hint
    recording = read_ppd(write_ppd(tmp_path / "ok.ppd", duration_s=0.5))
    with pytest.raises(ChannelNotFoundError, match="analog_9") as info:
        recording.stream("analog_9")
    assert "analog_1" in info.value.hint
    with pytest.raises(ChannelNotFoundError):
        recording.rising_edges("digital_7")


def test_doric_v6_layout(tmp_path):
    path = write_doric(tmp_path / "a.doric", duration_s=4.0, pulse_times_s=BURSTS, clock_offset_s=0.5)
    assert recognise(path).name == "doric"
    with open_source("doric", path) as recording:
        assert recording.mode == "lock-in"
        assert [s.name for s in recording.of_kind("signal")] == ["AIN01xAOUT01-LockIn/Values",
                                                                 "AIN01xAOUT02-LockIn/Values"]
        raw = recording.stream("AnalogIn/AIN01")
        assert raw.kind == "raw" and raw.rate_hz == pytest.approx(1200.0) and raw.unit == "V"
        lock = recording.stream("AIN01xAOUT01-LockIn/Values")
        np.testing.assert_allclose(lock.times(0, 2), [0.0, 1 / 120])
        assert lock.read(10, 20).shape == (10,)
        np.testing.assert_allclose(recording.rising_edges("DIO01"), BURSTS[::3] - 0.5, atol=1 / 1200)


def test_doric_legacy_layout(tmp_path):
    path = tmp_path / "old.doric"
    t = np.arange(200) / 100.0
    with h5py.File(path, "w") as h5:
        console = h5.create_group("Traces/Console")
        console.create_dataset("Time(s)/Console_time(s)", data=t)
        console.create_dataset("AIn-1 - Dem (AOut-1)/AIn-1 - Dem (AOut-1)", data=np.ones(200))
        console.create_dataset("AIn-1 - Raw/AIn-1 - Raw", data=np.zeros(200))
        console.create_dataset("DI--O-1/DI--O-1", data=(np.arange(200) % 50 == 10).astype(float))
    with read_doric(path) as recording:
        assert recording.stream("AIn-1 - Dem (AOut-1)").kind == "signal"
        assert recording.stream("AIn-1 - Raw").kind == "raw"
        np.testing.assert_allclose(recording.rising_edges("DI--O-1"), [0.1, 0.6, 1.1, 1.6])


def test_doric_wrong_inputs(tmp_path):
    not_hdf5 = tmp_path / "x.doric"
    not_hdf5.write_bytes(b"hello")
    with pytest.raises(SourceError, match="not an HDF5 file"):
        read_doric(not_hdf5)
    empty = tmp_path / "empty.doric"
    with h5py.File(empty, "w") as h5:
        h5.create_group("Other")
    with pytest.raises(SourceError, match="neither DataAcquisition") as info:
        read_doric(empty)
    assert info.value.hint
    two = tmp_path / "two.doric"
    with h5py.File(two, "w") as h5:
        for series in ("Series0001", "Series0002"):
            group = h5.create_group(f"DataAcquisition/FPConsole/Signals/{series}/AIN01xAOUT01-LockIn")
            group["Values"], group["Time"] = np.ones(5), np.arange(5.0)
    with pytest.raises(SourceError, match="2 series") as info:
        read_doric(two)
    assert info.value.field == "series" and "Series0002" in info.value.hint
    assert read_doric(two, series="Series0002").stream("AIN01xAOUT01-LockIn/Values").num_samples == 5
    with pytest.raises(SourceError, match="no series 'Series0009'"):
        read_doric(two, series="Series0009")
    bad = tmp_path / "bad.doric"
    with h5py.File(bad, "w") as h5:
        group = h5.create_group("DataAcquisition/FPConsole/Signals/Series0001/AIN01xAOUT01-LockIn")
        group["Values"], group["Time"] = np.ones(5), np.arange(4.0)
    with pytest.raises(SourceError, match="5 samples but 4 times") as info:
        read_doric(bad)
    assert "LockIn/Values" in info.value.field


def test_stream_range_is_clipped():
    stream = PhotometryStream(name="s", kind="signal", num_samples=5, rate_hz=10.0, unit="V", description="",
                              reader=lambda a, b: np.arange(a, b, dtype=float))
    assert stream.read(3, 99).tolist() == [3.0, 4.0] and stream.read(7).size == 0


def test_neurophotometrics_frames_by_led(tmp_path):
    from nwbtms.sources.photometry import neurophotometrics
    from nwbtms.sources.photometry.testing import write_neurophotometrics

    pulses = BURSTS + 1.0
    path = write_neurophotometrics(tmp_path / "FPdata.csv", duration_s=6.0, pulse_times_s=pulses)
    assert recognise(path).name == "neurophotometrics"
    old = neurophotometrics.BLOCK_ROWS
    neurophotometrics.BLOCK_ROWS = 7  # many blocks, so sample ranges cross them
    try:
        with open_source("neurophotometrics", path) as recording:
            assert set(recording.streams) == {"Region0G_415nm", "Region1G_415nm", "Region0G_470nm",
                                              "Region1G_470nm"}
            gcamp = recording.stream("Region0G_470nm")
            assert gcamp.num_samples == 120 and gcamp.rate_hz == pytest.approx(20.0)
            np.testing.assert_allclose(gcamp.times(0, 3), 1000.0 + np.array([1, 3, 5]) / 40.0)
            np.testing.assert_allclose(np.concatenate([b for _, b in gcamp.blocks(block_samples=11)]), gcamp.read())
            assert gcamp.read(5, 9).shape == (4,) and recording.stream("Region1G_415nm").times(0, 1)[0] == 1000.0
            edges = recording.rising_edges("flags_bit4")
            np.testing.assert_allclose(edges, 1000.0 + pulses[::3], atol=1 / 40.0)
    finally:
        neurophotometrics.BLOCK_ROWS = old
    legacy = write_neurophotometrics(tmp_path / "old.csv", duration_s=1.0, legacy=True)
    with open_source("neurophotometrics", legacy, time_unit="milliseconds") as recording:
        assert recording.stream("Region0G_470nm").times(0, 1)[0] == pytest.approx(1.000025)


@pytest.mark.parametrize(("text", "field", "words"), [
    ("FrameCounter,Timestamp,Region0G\n0,1.0,5\n", "Flags", "no Flags or LedState"),
    ("FrameCounter,Flags,Region0G\n0,1,5\n", "Timestamp", "no Timestamp"),
    ("FrameCounter,Timestamp,Flags\n0,1.0,1\n", "Region0G", "no region column"),
    ("FrameCounter,Timestamp,Flags,Region0G\n0,1.0,1,5\n1,1.1,2,oops\n", "Region0G", "is not a number"),
    ("FrameCounter,Timestamp,Flags,Region0G\n0,1.0,1,5\n1,0.5,2,6\n", "Timestamp", "time goes back"),
    ("FrameCounter,Timestamp,Flags,Region0G\n0,1.0,8,5\n", "Flags", "no frame has an LED bit"),
])
def test_neurophotometrics_wrong_inputs(tmp_path, monkeypatch, text, field, words):
    import tempfile

    from nwbtms.sources.photometry.neurophotometrics import read_neurophotometrics

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))  # the parsed table's temporary file goes here
    path = tmp_path / "bad.csv"
    path.write_text(text)
    with pytest.raises(SourceError) as info:
        read_neurophotometrics(path)
    assert info.value.field == field and words in info.value.message and info.value.file.endswith("bad.csv")
    assert not list(tmp_path.glob("nwbtms-npm-*"))  # removed at once on a refusal
