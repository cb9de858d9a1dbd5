"""Every DAQ reader streams: reading a channel and detecting its pulses allocates a bounded amount.

Each format's file is written by its own library or layout with a channel several times larger (as
float64) than the bound; ``tracemalloc`` (which sees numpy's buffers) measures the peak of reading the
whole channel chunk by chunk and of detection with an explicit threshold. Memory-mapped pages are not
heap allocations and are not counted: they are the page cache, which the OS reclaims.
"""

from __future__ import annotations

import tracemalloc

import numpy as np
import pytest
from nptdms import ChannelObject, TdmsWriter
from pyabf.abfWriter import writeABF1

from nwbtms.pulses import detect_pulses
from nwbtms.sources.daq import open_recording
from nwbtms.sources.daq.testing import write_openephys, write_voltage_recording, write_wavesurfer_blocks

RATE_HZ = 20_000.0
CHUNK_SAMPLES = 1 << 15  # 256 KiB as float64
PERIOD_SAMPLES = 2000  # one 20-sample pulse every 0.1 s
HIGH_COUNTS = 20_000


def pulse_counts(start: int, stop: int) -> np.ndarray:
    """int16 trigger: 0, and HIGH_COUNTS for the first 20 samples of every period."""
    return np.where(np.arange(start, stop) % PERIOD_SAMPLES < 20, HIGH_COUNTS, 0).astype(np.int16)


def write_wavesurfer(folder, n):
    path = write_wavesurfer_blocks(
        folder / "ws.h5", num_samples=n, sample_rate_hz=RATE_HZ, channel_names=["trigger"],
        fill=lambda a, b: pulse_counts(a, b)[None, :], block_samples=1 << 18,
        coefficients=[[0.0, 1e-4, 0.0, 0.0]],
    )
    return path, {}, "trigger"


def write_tdms(folder, n):
    path = folder / "rig.tdms"
    with TdmsWriter(path) as writer:
        for start in range(0, n, 1 << 18):
            data = pulse_counts(start, min(n, start + (1 << 18)))
            writer.write_segment([ChannelObject("Acq", "trigger", data, properties={"wf_increment": 1 / RATE_HZ})])
    return path, {}, "trigger"


def write_abf(folder, n):
    path = folder / "rig.abf"
    writeABF1(pulse_counts(0, n)[None, :] * 1e-3, str(path), sampleRateHz=RATE_HZ)  # pyabf packs per point
    return path, {}, None


def write_oe(folder, n):
    data = np.zeros((n, 2), np.int16)
    data[:, 1] = pulse_counts(0, n)
    onsets = np.arange(0, n, PERIOD_SAMPLES)
    positions = np.stack([onsets, onsets + 20], axis=1).ravel()
    rising = np.tile([True, False], onsets.size)
    write_openephys(folder / "recording1", data, rate=RATE_HZ, ttl=(positions, np.ones_like(positions), rising))
    return folder / "recording1", {}, None


def write_binary(folder, n):
    path = folder / "rig.bin"
    pulse_counts(0, n).tofile(path)
    return path, {"dtype": "int16", "num_channels": 1, "sample_rate_hz": RATE_HZ, "scale": 1e-4}, "ch0"


def write_csv(folder, n):
    path = folder / "rig.csv"
    with open(path, "w") as handle:
        handle.write("trigger,aux\n")
        np.savetxt(handle, np.column_stack([pulse_counts(0, n) * 1e-4, np.zeros(n)]), delimiter=",", fmt="%g")
    return path, {"sample_rate_hz": RATE_HZ}, "trigger"


def write_bruker(folder, n):
    signals = (("TMS trigger", "0", True), ("Input 1", "1", True))
    xml, _ = write_voltage_recording(
        folder / "T_VoltageRecording_001", signals, np.column_stack([pulse_counts(0, n) * 1e-4, np.zeros(n)]),
        rate_hz=RATE_HZ,
    )
    return xml, {}, "TMS trigger"


#: writer and samples per channel of the small file (the large one has 4 times as many)
FORMATS = {
    "wavesurfer": (write_wavesurfer, 500_000),
    "tdms": (write_tdms, 500_000),
    "abf": (write_abf, 150_000),  # pyabf's writer packs point by point
    "openephys": (write_oe, 500_000),
    "binary": (write_binary, 500_000),
    "csv": (write_csv, 50_000),
    "bruker_voltage": (write_bruker, 50_000),
}
#: Allowed growth of the peak from the small to the large file (allocator noise, not data).
SLACK_BYTES = 256 << 10


def peak_bytes(work) -> int:
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        work()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def read_and_detect_peaks(folder, writer, n) -> tuple[int, int]:
    """Peak allocation of reading the trigger channel chunk by chunk, and of detecting its pulses."""
    path, options, channel = writer(folder, n)
    with open_recording(path, **options) as rec:
        if channel is None:  # analog trigger: the last analog channel
            channel = [c.name for c in rec.channels if c.kind == "analog"][-1]
        assert rec.num_samples == n
        chunk_samples = CHUNK_SAMPLES if rec.random_access else CHUNK_SAMPLES // 4
        high = float(rec.read(channel, start=0, stop=1)[0])  # the first sample is a pulse
        found = {}

        def read_all() -> None:
            found["samples"] = sum(c.data.size for c in rec.iter_chunks(channel, chunk_samples=chunk_samples))

        def detect() -> None:
            found["pulses"] = detect_pulses(rec, channel, threshold=high / 2, chunk_samples=chunk_samples)

        peaks = peak_bytes(read_all), peak_bytes(detect)
    assert found["samples"] == n
    # every period starts with a pulse; the first has no observable onset (the trace starts high)
    assert len(found["pulses"]) == -(-n // PERIOD_SAMPLES) - 1
    return peaks


@pytest.mark.parametrize("name", list(FORMATS))
def test_memory_does_not_grow_with_the_file(tmp_path, name):
    writer, n = FORMATS[name]
    (tmp_path / "small").mkdir()
    (tmp_path / "large").mkdir()
    small = read_and_detect_peaks(tmp_path / "small", writer, n)
    large = read_and_detect_peaks(tmp_path / "large", writer, 4 * n)
    for kind, a, b in zip(("read", "detect"), small, large, strict=True):
        assert b <= a + SLACK_BYTES, f"{kind}: peak grew from {a} to {b} bytes with 4x the samples"
        assert b < 4 * n * 8, f"{kind}: peak {b} bytes is not below the channel as float64"


def test_open_ephys_ttl_line_streams(tmp_path):
    path, _, _ = write_oe(tmp_path, 2_000_000)
    with open_recording(path) as rec:
        line = next(c.name for c in rec.channels if c.kind == "digital" and c.name.endswith("line1"))
        holder = {}
        peak = peak_bytes(lambda: holder.setdefault("p", detect_pulses(rec, line, chunk_samples=CHUNK_SAMPLES)))
    assert len(holder["p"]) == 999  # first pulse starts at sample 0: no onset
    assert peak < 3 << 20


def test_automatic_levels_are_bounded_on_a_long_recording(tmp_path):
    """Automatic threshold reads sampled windows (long files) or a strided sample: bounded, not the channel."""
    n = 12_000_000  # 96 MB as float64
    path, options, channel = write_binary(tmp_path, n)
    with open_recording(path, **options) as rec:
        holder = {}
        peak = peak_bytes(lambda: holder.setdefault("p", detect_pulses(rec, channel, chunk_samples=1 << 18)))
    assert len(holder["p"]) == n // PERIOD_SAMPLES - 1
    assert holder["p"].threshold == pytest.approx(HIGH_COUNTS * 1e-4 / 2, rel=1e-3)
    assert peak < 24 << 20, peak
