"""Open Ephys binary reader: recordings written in the GUI's layout, and the real 0.5 recording."""

from __future__ import annotations

import numpy as np
import pytest

from nwbtms.errors import InputError, SourceError
from nwbtms.sources.daq import open_recording
from nwbtms.sources.daq.testing import write_openephys


@pytest.mark.parametrize("new_layout", [True, False])
def test_channels_scaling_and_ttl_lines(tmp_path, new_layout):
    rng = np.random.default_rng(1)
    data = rng.integers(-2000, 2000, size=(5000, 3)).astype(np.int16)
    ttl = (np.array([100, 150, 3000, 3010]), np.array([2, 2, 2, 2]), np.array([True, False, True, False]))
    folder = write_openephys(tmp_path / "recording1", data, ttl=ttl, new_layout=new_layout)
    with open_recording(folder / "structure.oebin") as rec:
        assert rec.format == "openephys" and rec.sample_rate_hz == 30000
        assert rec.segments[0].start_time_s == pytest.approx(1000 / 30000)
        names = rec.channel_names
        assert names[:3] == ["CH1", "CH2", "ADC1"] and len(names) == 3 + 8
        got = np.concatenate([c.data for c in rec.iter_chunks("ADC1", chunk_samples=999)])
        np.testing.assert_allclose(got, data[:, 2] * 0.00015)
        line = [n for n in names if n.endswith("line2")][0]
        bits = np.concatenate([c.data for c in rec.iter_chunks(line, chunk_samples=128)])
        expected = np.zeros(5000, bool)
        expected[100:150] = True
        expected[3000:3010] = True
        np.testing.assert_array_equal(bits, expected)


def test_experiment_folder_recordings_are_segments(tmp_path):
    for i, first in ((1, 0), (2, 90000)):
        write_openephys(
            tmp_path / f"experiment1/recording{i}", np.zeros((300, 2), np.int16), first_sample=first
        )
    with open_recording(tmp_path / "experiment1") as rec:
        assert [s.start_time_s for s in rec.segments] == [0.0, 3.0]


def test_truncated_and_bad_stream(tmp_path):
    folder = write_openephys(tmp_path / "recording1", np.zeros((100, 3), np.int16))
    dat = next(folder.glob("continuous/*/continuous.dat"))
    dat.write_bytes(dat.read_bytes()[:-1])
    with pytest.raises(SourceError) as err:
        open_recording(folder)
    assert "continuous.dat" in str(err.value)
    folder2 = write_openephys(tmp_path / "r2" / "recording1", np.zeros((100, 3), np.int16))
    with pytest.raises(InputError, match="stream"):
        open_recording(folder2, stream="nope")


def test_real_recording(realdata):
    root = realdata / "openephys" / "v0.5_DelayedRecording"
    with open_recording(root) as rec:
        assert rec.sample_rate_hz == 40000
        # both streams are named, so a summary can say which one was not read
        assert rec.metadata["streams"] == ["File_Reader-114.0", "File_Reader-106.0"]
        assert rec.channel_names[:16] == [f"CH{i}" for i in range(16)]
        assert rec.channels[0].unit == "uV"
        assert rec.segments[0].num_samples == 122496
        assert rec.segments[0].start_time_s == pytest.approx(54752 / 40000)
        dat = next(
            (root / "Record Node 118").glob(
                "experiment1/recording1/continuous/File_Reader-114.0/continuous.dat"
            )
        )
        raw = np.memmap(dat, dtype="<i2", mode="r").reshape(-1, 16)
        chunk = next(rec.iter_chunks("CH3", chunk_samples=4000))
        np.testing.assert_allclose(chunk.data, raw[:4000, 3] * 0.05000000074505806)
        line = "Phase_Detector-115.0/TTL_1/line1"
        bits = np.concatenate([c.data for c in rec.iter_chunks(line)])
        rising = np.flatnonzero(np.diff(bits.astype(np.int8)) == 1) + 1
        assert rising.size == 12 and rising[0] == 57514 - 54752
    with open_recording(root, stream="File_Reader-106.0") as rec:
        assert rec.metadata["stream"].startswith("File_Reader-106.0")
