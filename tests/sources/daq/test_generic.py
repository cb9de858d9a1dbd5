"""Raw binary and CSV readers, the dispatcher, and joined files."""

from __future__ import annotations

import numpy as np
import pytest

from nwbtms.errors import InputError, SourceError
from nwbtms.sources.daq import ConcatenatedRecording, guess_format, open_recording


def test_binary_interleaved_scaled(tmp_path):
    data = np.arange(3000, dtype=np.int16).reshape(1000, 3) - 1500
    path = tmp_path / "rig.bin"
    data.tofile(path)
    with open_recording(
        path,
        dtype="int16",
        num_channels=3,
        sample_rate_hz=5000,
        channel_names="a,trigger,c",
        scale=[1.0, 0.001, 2.0],
        offset=0.5,
        digital_channels=["c"],
    ) as rec:
        assert rec.format == "binary" and rec.segments[0].num_samples == 1000
        got = np.concatenate([ch.data for ch in rec.iter_chunks("trigger", chunk_samples=101)])
        np.testing.assert_allclose(got, data[:, 1] * 0.001 + 0.5)
        assert rec.channel("c").kind == "digital"
        np.testing.assert_array_equal(rec.read("c"), data[:, 2] != 0)


def test_binary_bad_metadata(tmp_path):
    path = tmp_path / "rig.dat"
    np.zeros(7, np.int16).tofile(path)
    with pytest.raises(InputError, match="num_channels"):
        open_recording(path, dtype="int16", sample_rate_hz=1000)
    with pytest.raises(SourceError, match="whole number"):
        open_recording(path, dtype="int16", num_channels=2, sample_rate_hz=1000)
    with pytest.raises(SourceError, match="sample rate"):
        open_recording(path, dtype="int16", num_channels=7, sample_rate_hz=0)
    with pytest.raises(InputError, match="not understood"):
        open_recording(path, dtype="int16", num_channels=7, sample_rate_hz=10, colour="red")


def test_csv_streams_and_reports_bad_lines(tmp_path):
    rows = "\n".join(f"{i / 1000:.3f},{np.sin(i / 10):.6f},{int(i % 50 < 5)}" for i in range(400))
    path = tmp_path / "trace.csv"
    path.write_text("time_s,coil,ttl\n" + rows + "\n")
    with open_recording(path, digital_channels="ttl") as rec:
        assert rec.format == "csv" and rec.sample_rate_hz == pytest.approx(1000)
        assert rec.channel_names == ["coil", "ttl"]
        got = np.concatenate([c.data for c in rec.iter_chunks("coil", chunk_samples=64)])
        np.testing.assert_allclose(got, np.round(np.sin(np.arange(400) / 10), 6))
        assert int(np.concatenate([c.data for c in rec.iter_chunks("ttl")]).sum()) == 40
    bad = tmp_path / "bad.csv"
    bad.write_text("coil,ttl\n1,0\n2,0\n3,oops\n")
    with open_recording(bad, sample_rate_hz=100) as rec:
        with pytest.raises(SourceError) as err:
            list(rec.iter_chunks("ttl"))
    assert err.value.line == 4 and "bad.csv" in str(err.value)
    short = tmp_path / "short.csv"
    short.write_text("coil,ttl\n1,0\n2\n")
    with open_recording(short, sample_rate_hz=100) as rec, pytest.raises(SourceError) as err:
        list(rec.iter_chunks("coil"))
    assert err.value.line == 3
    with pytest.raises(InputError, match="sample_rate_hz"):
        open_recording(bad)


def test_dispatch_and_concatenation(tmp_path):
    assert guess_format(tmp_path) == "openephys"
    with pytest.raises(SourceError, match="extension"):
        guess_format(tmp_path / "x.xyz")
    with pytest.raises(SourceError, match="not found"):
        open_recording(tmp_path / "missing.abf")
    parts = []
    for i in range(3):
        path = tmp_path / f"part{i}.bin"
        np.full((100, 1), i, np.int16).tofile(path)
        parts.append(path)
    with open_recording(parts, dtype="int16", num_channels=1, sample_rate_hz=1000) as rec:
        assert isinstance(rec, ConcatenatedRecording)
        assert [s.start_time_s for s in rec.segments] == [0.0, 0.1, 0.2]
        got = np.concatenate([c.data for c in rec.iter_chunks("ch0", chunk_samples=64)])
        np.testing.assert_array_equal(got, np.repeat([0.0, 1.0, 2.0], 100))
