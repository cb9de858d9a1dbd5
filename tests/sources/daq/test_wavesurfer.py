"""WaveSurfer reader: files written by h5py in the real layout, and the real example files."""

from __future__ import annotations

import h5py
import numpy as np
import pytest

from nwbtms.errors import ChannelNotFoundError, SourceError
from nwbtms.sources.daq import open_recording
from nwbtms.sources.daq.testing import EXAMPLE_COEFFICIENTS, write_wavesurfer


def _expected(counts: np.ndarray, scale: float) -> np.ndarray:
    return np.polyval(np.asarray(EXAMPLE_COEFFICIENTS)[::-1], counts.astype(float)) / scale


@pytest.mark.parametrize("version", ["0.97", "1.0.2"])
def test_scaling_sweeps_and_digital_lines(tmp_path, version):
    rng = np.random.default_rng(0)
    sweeps = [rng.integers(-30000, 30000, size=(2, 500), dtype=np.int16) for _ in range(3)]
    words = [rng.integers(0, 4, size=500).astype(np.uint8) for _ in range(3)]
    path = write_wavesurfer(
        tmp_path / "ws.h5",
        sweeps,
        sample_rate_hz=10000,
        channel_names=["AI0", "Trigger", "AI2"],
        active=[True, False, True],
        scales=[0.5, 1.0, 2.0],
        units=["mV", "V", "A"],
        digital=words,
        digital_names=["DI0", "DI1"],
        version=version,
        timestamps_s=[0.0, 0.05, 1.0],
    )
    with open_recording(path) as rec:
        assert rec.format == "wavesurfer"
        assert rec.sample_rate_hz == 10000
        assert [(c.name, c.kind, c.unit) for c in rec.channels] == [
            ("AI0", "analog", "mV"),
            ("AI2", "analog", "A"),
            ("DI0", "digital", ""),
            ("DI1", "digital", ""),
        ]
        assert [(s.start_time_s, s.num_samples) for s in rec.segments] == [
            (0.0, 500),
            (0.05, 500),
            (1.0, 500),
        ]
        got = np.concatenate([c.data for c in rec.iter_chunks("AI2", segment=1, chunk_samples=77)])
        np.testing.assert_allclose(got, _expected(sweeps[1][1], 2.0), rtol=1e-12)
        assert got.dtype == np.float64
        bits = np.concatenate([c.data for c in rec.iter_chunks("DI1", chunk_samples=64)])
        assert bits.dtype == bool
        np.testing.assert_array_equal(bits, np.concatenate([(w >> 1) & 1 for w in words]).astype(bool))
        assert rec.metadata["clock_at_run_start"].startswith("2024-05-17T10:30:12")
        with pytest.raises(ChannelNotFoundError) as err:
            rec.channel("Trigger")  # inactive channels are not stored
        assert "AI0" in str(err.value) and "DI1" in str(err.value)


def test_truncated_file_is_a_source_error(tmp_path):
    path = write_wavesurfer(
        tmp_path / "ws.h5", [np.zeros((1, 1000), np.int16)], sample_rate_hz=1000, channel_names=["AI0"]
    )
    data = path.read_bytes()
    cut = tmp_path / "cut.h5"
    cut.write_bytes(data[: len(data) // 3])
    with pytest.raises(SourceError) as err:
        open_recording(cut)
    assert str(cut) in str(err.value)


@pytest.mark.parametrize("rate", [0.0, -5.0, float("nan"), 1e12])
def test_impossible_sample_rate(tmp_path, rate):
    path = write_wavesurfer(
        tmp_path / "ws.h5", [np.zeros((1, 10), np.int16)], sample_rate_hz=rate, channel_names=["AI0"]
    )
    with pytest.raises(SourceError, match="sample rate"):
        open_recording(path)


def test_shape_mismatch_names_the_dataset(tmp_path):
    path = write_wavesurfer(
        tmp_path / "ws.h5", [np.zeros((1, 10), np.int16)], sample_rate_hz=1000, channel_names=["AI0", "AI1"]
    )
    with pytest.raises(SourceError) as err:
        open_recording(path)
    assert "analogScans" in str(err.value)


def test_real_files(realdata):
    folder = realdata / "wavesurfer"
    expected = {
        "ws_0p97_data_0001.h5": (20000.0, ["AI0"], 1, 20000),
        "ws_v1p0p2_data.h5": (20000.0, ["AI0"], 1, 20000),
        "multiple_sweeps_multiple_channels_0001-0009.h5": (1000.0, ["AI0", "AI1"], 9, 1000),
    }
    for name, (rate, channels, sweeps, samples) in expected.items():
        with open_recording(folder / name) as rec:
            assert rec.sample_rate_hz == rate
            assert rec.channel_names == channels
            assert len(rec.segments) == sweeps and rec.segments[0].num_samples == samples
            chunk = next(rec.iter_chunks(channels[-1], segment=sweeps - 1, chunk_samples=300))
            with h5py.File(folder / name, "r") as h5:
                counts = h5[f"sweep_{sweeps:04d}/analogScans"][len(channels) - 1, :300]
                header = h5["header"]
                coeff = (
                    header["AIScalingCoefficients"]
                    if "AIScalingCoefficients" in header
                    else header["Acquisition/AnalogScalingCoefficients"]
                )[len(channels) - 1]
            np.testing.assert_allclose(chunk.data, np.polyval(coeff[::-1], counts.astype(float)), rtol=1e-12)
            assert np.all(np.abs(chunk.data) < 10.5)  # volts within the +-10 V input range


@pytest.mark.parametrize("compression", [None, "gzip"])
def test_chunked_sweeps_read_exactly_with_or_without_the_chunk_cache(tmp_path, compression):
    """Unfiltered chunks are read past HDF5's chunk cache (one row's bytes); values never change."""
    from nwbtms.sources.daq.testing import write_header

    rng = np.random.default_rng(3)
    counts = rng.integers(-32768, 32767, size=(3, 5000), dtype=np.int16, endpoint=True)
    path = tmp_path / "chunked.h5"
    with h5py.File(path, "w") as h5:
        write_header(h5, sample_rate_hz=1000.0, channel_names=["a", "b", "c"])
        group = h5.create_group("sweep_0001")
        group.create_dataset("analogScans", data=counts, chunks=(3, 700), compression=compression)
        group["timestamp"] = np.zeros((1, 1))
    with open_recording(path) as rec:
        for row, name in enumerate(rec.channel_names):
            raw = np.concatenate([c.data for c in rec.iter_raw_chunks(name, chunk_samples=333)])
            np.testing.assert_array_equal(raw, counts[row])
            np.testing.assert_array_equal(rec.read(name, start=650, stop=1460), _expected(counts[row, 650:1460], 1.0))
        cache_bytes = rec._analog_scans(0).id.get_access_plist().get_chunk_cache()[1]
    assert (cache_bytes == 0) == (compression is None)


@pytest.mark.parametrize(("version", "nominal", "expected_rate"), [
    ("0.912", 30000.0, 100e6 / 3333),  # the board floors 100 MHz / 30 kHz = 3333.3 ticks
    ("0.912", 29997.0, 100e6 / 3333),
    ("0.913", 100e6 / 3333, 100e6 / 3333),  # 0.913 stores the coerced rate
    ("0.74", 20000.0, 20000.0),  # a whole number of ticks: unchanged
])
def test_old_versions_read_as_raw_counts_at_the_true_rate(tmp_path, version, nominal, expected_rate):
    from nwbtms.sources.daq.testing import write_old_wavesurfer

    scans = (np.arange(4 * 3000).reshape(4, 3000) % 15000 + 2).astype(np.int16)
    path = write_old_wavesurfer(tmp_path / "old.h5", scans, version=version, sample_rate_hz=nominal,
                                channel_names=["V1", "V2", "I1", "I2"])
    with open_recording(path) as rec:
        assert rec.format == "wavesurfer"
        assert rec.sample_rate_hz == pytest.approx(expected_rate, rel=1e-12)
        assert [(c.name, c.unit) for c in rec.channels] == [(n, "counts") for n in ["V1", "V2", "I1", "I2"]]
        assert "raw ADC counts" in rec.metadata["scaling"]
        assert [s.num_samples for s in rec.segments] == [3000]
        for row, channel in enumerate(rec.channel_names):
            got = np.concatenate([c.data for c in rec.iter_chunks(channel)])
            np.testing.assert_array_equal(got, scans[row].astype(np.float64))  # PyWaveSurfer's 'raw' read
