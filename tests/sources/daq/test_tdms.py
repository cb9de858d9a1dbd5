"""TDMS reader: files written with nptdms.TdmsWriter, and the real NI files."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import pytest
from nptdms import ChannelObject, GroupObject, TdmsFile, TdmsWriter

from nwbtms.errors import SourceError
from nwbtms.sources.daq import open_recording


def _write(path, analog, lines, rate=10000.0, segments=3):
    start = np.datetime64("2024-05-17T10:30:00.250000")
    with TdmsWriter(path) as writer:
        for part_a, part_d in zip(
            np.array_split(analog, segments), np.array_split(lines, segments), strict=True
        ):
            writer.write_segment(
                [
                    GroupObject("Acq"),
                    ChannelObject(
                        "Acq",
                        "coil_current",
                        part_a,
                        properties={"wf_increment": 1 / rate, "wf_start_time": start, "unit_string": "A"},
                    ),
                    ChannelObject(
                        "Acq",
                        "trigger",
                        part_d.astype(np.uint8),
                        properties={"wf_increment": 1 / rate, "wf_start_time": start, "LineNumber": 0},
                    ),
                ]
            )
    return path


def test_channels_rate_and_chunks_across_tdms_segments(tmp_path):
    analog = np.sin(np.arange(3001) / 50.0) * 3.0
    lines = (np.arange(3001) % 100) < 10
    path = _write(tmp_path / "rig.tdms", analog, lines)
    with open_recording(path) as rec:
        assert rec.format == "tdms"
        assert rec.sample_rate_hz == pytest.approx(10000.0)
        assert [(c.name, c.kind, c.unit) for c in rec.channels] == [
            ("coil_current", "analog", "A"),
            ("trigger", "digital", ""),
        ]
        assert rec.start_datetime == datetime(2024, 5, 17, 10, 30, 0, 250000, tzinfo=UTC)
        got = np.concatenate([c.data for c in rec.iter_chunks("coil_current", chunk_samples=333)])
        np.testing.assert_array_equal(got, analog)
        bits = np.concatenate([c.data for c in rec.iter_chunks("trigger", chunk_samples=700)])
        np.testing.assert_array_equal(bits, lines)


def test_truncated_tdms(tmp_path):
    path = _write(tmp_path / "rig.tdms", np.zeros(5000), np.zeros(5000, bool), segments=1)
    cut = tmp_path / "cut.tdms"
    cut.write_bytes(path.read_bytes()[:200])
    with pytest.raises(SourceError) as err:
        with open_recording(cut) as rec:
            for _ in rec.iter_chunks("coil_current"):
                pass
    assert "cut.tdms" in str(err.value)


def test_zero_increment_is_impossible_rate(tmp_path):
    with TdmsWriter(tmp_path / "z.tdms") as writer:
        writer.write_segment([ChannelObject("g", "c", np.zeros(10), properties={"wf_increment": 0.0})])
    with pytest.raises(SourceError, match="sample rate"):
        open_recording(tmp_path / "z.tdms")


def test_real_files(realdata):
    with open_recording(realdata / "tdms" / "raw1.tdms") as rec:
        assert rec.sample_rate_hz == 50000.0  # 1 / 1.9999999999999998e-05 without the float noise
        assert len(rec.channels) == 7 and rec.channels[0].name == "First  Channel"
        assert rec.channels[0].unit == "Volts"
        chunk = next(rec.iter_chunks("Second Chan", chunk_samples=500))
        expected = TdmsFile.read(realdata / "tdms" / "raw1.tdms")["Layer Data"]["Second Chan"][:500]
        np.testing.assert_allclose(chunk.data, expected)
    with open_recording(realdata / "tdms" / "Digital_Input.tdms") as rec:
        assert rec.sample_rate_hz == pytest.approx(2000.0)
        assert [c.kind for c in rec.channels] == ["digital"]  # decimated copies skipped
        assert rec.segments[0].num_samples == 20000
        data = np.concatenate([c.data for c in rec.iter_chunks(rec.channels[0].name, chunk_samples=4096)])
        assert data.dtype == bool and data.size == 20000


def test_labview_epoch_start_is_relative_time_and_nul_bytes_leave_names(tmp_path):
    path = tmp_path / "relative.tdms"
    props = {"wf_increment": 1 / 50000, "wf_start_time": np.datetime64("1904-01-01T00:00:00"),
             "unit_string": "V"}
    with TdmsWriter(path) as writer:
        writer.write_segment([GroupObject("Acq"),
                              ChannelObject("Acq", "trigger\x00\x00", np.zeros(100), properties=props)])
    with open_recording(path) as rec:
        assert rec.start_datetime is None and "relative-time" in rec.metadata["relative_time"]
        assert rec.channel_names == ["trigger"] and rec.sample_rate_hz == 50000.0


def test_truncated_file_read_with_npTDMS_warning_says_so(tmp_path):
    lines = (np.arange(30000) % 1000) < 10
    path = _write(tmp_path / "rig.tdms", np.zeros(30000), lines, segments=1)
    data = path.read_bytes()
    cut = tmp_path / "cut.tdms"
    cut.write_bytes(data[: len(data) - 20000])  # inside the last segment's data
    with open_recording(path) as whole:
        assert "warnings" not in whole.metadata
    with open_recording(cut) as rec:
        assert rec.metadata["warnings"] and all("looks truncated" in w for w in rec.metadata["warnings"])
