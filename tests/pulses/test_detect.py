"""Pulse detection against known truth, on arrays and on real-format files."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nwbtms.errors import ChannelNotFoundError, InputError
from nwbtms.pulses import detect_pulses, detect_pulses_in_array
from nwbtms.sources.daq import open_recording
from nwbtms.sources.daq.testing import EXAMPLE_COEFFICIENTS, write_wavesurfer

RATE = 20000.0
RISE_SAMPLES = 8  # linear edge 0 -> HIGH over 8 samples; crosses HIGH/2 at onset + 4 samples
HIGH = 5.0


def ramp_train(onsets_s, n, *, high=HIGH, width_s=0.001, rate=RATE):
    """Trapezoid pulses: linear rise from each onset; returns the trace and the 50 % crossing times."""
    t = np.arange(n) / rate
    x = np.zeros(n)
    rise_s = RISE_SAMPLES / rate
    for onset in onsets_s:
        x += high * (np.clip((t - onset) / rise_s, 0, 1) - np.clip((t - onset - width_s) / rise_s, 0, 1))
    return x, np.asarray(onsets_s) + rise_s / 2


def to_counts(volts):
    """Inverse of the WaveSurfer polynomial (linear part; the rest is < 1e-4 count)."""
    c0, c1 = EXAMPLE_COEFFICIENTS[:2]
    return np.clip(np.round((volts - c0) / c1), -32768, 32767).astype(np.int16)


ONSETS = [0.01003, 0.0312345, 0.05, 0.0777777, 0.12001]


@pytest.mark.parametrize("chunk_samples", [3, 7, 64, 1 << 20])
def test_clean_analog_edges_within_a_tenth_of_a_sample(chunk_samples):
    x, truth = ramp_train(ONSETS, 3000)
    found = detect_pulses_in_array(x, RATE, chunk_samples=chunk_samples)
    assert len(found) == len(truth)
    assert np.max(np.abs(found.times_s - truth)) * RATE < 0.1
    np.testing.assert_allclose(found.amplitudes, HIGH)
    assert found.threshold == pytest.approx(HIGH / 2)
    assert np.all(np.isnan(found.di_dt_a_per_us))


def test_wavesurfer_int16_polynomial_scaling_and_digital_line(tmp_path):
    x, truth = ramp_train(ONSETS, 3000)
    digital = np.zeros(3000, np.uint8)
    digital_truth = np.round(np.asarray(ONSETS) * RATE).astype(int)
    for start in digital_truth:
        digital[start : start + 20] = 1
    path = write_wavesurfer(
        tmp_path / "rig.h5",
        [np.stack([to_counts(x * 0.1), to_counts(np.zeros(3000))])],
        sample_rate_hz=RATE,
        channel_names=["CoilMonitor", "AI1"],
        scales=[0.1, 1.0],
        digital=[digital],
        digital_names=["TMS_TTL"],
    )
    with open_recording(path) as rec:
        analog = detect_pulses(rec, "CoilMonitor", chunk_samples=5, calibration_a_per_us_per_unit=20.0)
        assert np.max(np.abs(analog.times_s - truth)) * RATE < 0.1
        np.testing.assert_allclose(analog.amplitudes, HIGH, atol=0.01)
        np.testing.assert_allclose(analog.di_dt_a_per_us, analog.amplitudes * 20.0)
        explicit = detect_pulses(rec, "CoilMonitor", threshold=2.5, hysteresis=1.0)
        assert np.max(np.abs(explicit.times_s - truth)) * RATE < 0.1
        ttl = detect_pulses(rec, "TMS_TTL", chunk_samples=7)
        assert np.max(np.abs(ttl.times_s - digital_truth / RATE)) * RATE <= 1
        np.testing.assert_array_equal(ttl.amplitudes, 1.0)
        assert detect_pulses(rec, "AI1").times_s.size == 0
        with pytest.raises(ChannelNotFoundError, match="CoilMonitor"):
            detect_pulses(rec, "Trigger")


@settings(max_examples=25, deadline=None)
@given(
    gaps=st.lists(st.integers(min_value=40, max_value=400), min_size=1, max_size=12),
    phase=st.floats(min_value=0.0, max_value=0.999),
    chunk=st.integers(min_value=1, max_value=500),
)
def test_chunking_never_changes_the_answer(gaps, phase, chunk):
    onsets = (np.cumsum(gaps) + phase) / RATE
    x, truth = ramp_train(onsets, int(np.sum(gaps)) + 200, width_s=20 / RATE)
    whole = detect_pulses_in_array(x, RATE, threshold=2.5, hysteresis=1.0)
    chunked = detect_pulses_in_array(x, RATE, threshold=2.5, hysteresis=1.0, chunk_samples=chunk)
    np.testing.assert_array_equal(whole.times_s, chunked.times_s)
    np.testing.assert_array_equal(whole.amplitudes, chunked.amplitudes)
    assert np.max(np.abs(chunked.times_s - truth)) * RATE < 0.1


def test_noise_with_hysteresis_counts_every_pulse_once():
    rng = np.random.default_rng(7)
    onsets = np.arange(0.01, 0.5, 0.0203)
    x, truth = ramp_train(onsets, 11000)
    noisy = x + rng.normal(0, 0.2, x.size)
    found = detect_pulses_in_array(noisy, RATE)
    assert len(found) == len(truth)
    assert np.max(np.abs(found.times_s - truth)) * RATE < 1.0
    without_hysteresis = detect_pulses_in_array(
        noisy, RATE, threshold=found.threshold, hysteresis=0.0, refractory_s=0.0
    )
    assert len(without_hysteresis) >= len(truth)


def test_ringing_coil_current_is_one_pulse_per_stimulus():
    n = 8000
    t = np.arange(n) / RATE
    onsets = np.array([0.01, 0.06, 0.11, 0.30])
    x = np.zeros(n)
    for onset in onsets:
        local = t - onset
        # biphasic, damped: 3.3 kHz ringing, 250 us decay: a second positive lobe 300 us later
        decay = np.exp(-np.clip(local, 0, None) / 250e-6)
        x += np.where(local >= 0, 100 * decay * np.sin(2 * np.pi * 3300 * local), 0)
    found = detect_pulses_in_array(x, RATE, threshold=20.0, hysteresis=10.0)
    assert len(found) == len(onsets)
    assert np.all(np.abs(found.times_s - onsets) < 1.5 / RATE)
    undebounced = detect_pulses_in_array(x, RATE, threshold=20.0, hysteresis=10.0, refractory_s=0.0)
    assert len(undebounced) > len(onsets)
    falling = detect_pulses_in_array(x, RATE, threshold=-20.0, hysteresis=10.0, polarity="falling")
    assert len(falling) == len(onsets) and np.all(falling.amplitudes < -20)


def test_saturated_pulses_are_flagged_and_timed(tmp_path):
    x, truth = ramp_train(ONSETS, 3000, high=15.0)
    counts = to_counts(x)  # clips at the int16 rail (about 10.6 V)
    path = write_wavesurfer(tmp_path / "sat.h5", [counts[None, :]], sample_rate_hz=RATE, channel_names=["coil"])
    with open_recording(path) as rec:
        found = detect_pulses(rec, "coil", threshold=5.0, hysteresis=2.0)
    assert found.saturated.all()
    # crossing of 5 V on a 0 -> 15 V ramp over 8 samples: onset + 8/3 samples
    np.testing.assert_allclose(found.times_s, np.asarray(ONSETS) + (8 / 3) / RATE, atol=0.1 / RATE)
    path = write_wavesurfer(
        tmp_path / "ok.h5", [to_counts(x / 2)[None, :]], sample_rate_hz=RATE, channel_names=["coil"]
    )
    with open_recording(path) as rec:
        assert not detect_pulses(rec, "coil").saturated.any()  # flat top below the rail


def test_pulse_split_across_contiguous_sweeps(tmp_path):
    x, truth = ramp_train([0.0246], 1000)  # rising edge around sample 492-500
    split = 496
    path = write_wavesurfer(
        tmp_path / "sweeps.h5",
        [to_counts(x[:split])[None, :], to_counts(x[split:])[None, :]],
        sample_rate_hz=RATE,
        channel_names=["coil"],
    )
    with open_recording(path) as rec:
        assert rec.segments[1].start_time_s == pytest.approx(split / RATE)
        found = detect_pulses(rec, "coil", threshold=2.5, hysteresis=1.0)
    assert len(found) == 1
    assert abs(found.times_s[0] - truth[0]) * RATE < 0.1
    assert found.amplitudes[0] == pytest.approx(HIGH, abs=0.01)


def test_pulse_split_across_files(tmp_path):
    x, truth = ramp_train([0.0246, 0.04], 1200)
    paths = []
    for i, part in enumerate(np.split(x, [497, 800])):
        path = tmp_path / f"part{i}.bin"
        to_counts(part).tofile(path)
        paths.append(path)
    c0, c1 = EXAMPLE_COEFFICIENTS[:2]
    with open_recording(paths, dtype="int16", num_channels=1, sample_rate_hz=RATE, scale=c1, offset=c0) as rec:
        found = detect_pulses(rec, "ch0", chunk_samples=50)
    assert len(found) == 2
    assert np.max(np.abs(found.times_s - truth)) * RATE < 0.1


def test_gap_between_sweeps_restarts_disarmed(tmp_path):
    high = np.full((1, 100), to_counts(np.array([HIGH]))[0], np.int16)
    low_then_high = np.concatenate([np.zeros((1, 50), np.int16), high[:, :50]], axis=1)
    path = write_wavesurfer(
        tmp_path / "gap.h5",
        [low_then_high, high],
        sample_rate_hz=RATE,
        channel_names=["coil"],
        timestamps_s=[0.0, 1.0],
    )
    with open_recording(path) as rec:
        found = detect_pulses(rec, "coil", threshold=2.5)
    # one onset in sweep 1; sweep 2 starts high after a gap: no observable onset
    assert found.segments.tolist() == [0]


def test_real_openephys_ttl(realdata):
    with open_recording(realdata / "openephys" / "v0.5_DelayedRecording") as rec:
        found = detect_pulses(rec, "Phase_Detector-115.0/TTL_1/line1", chunk_samples=10000)
    assert len(found) == 12
    assert found.times_s[0] == pytest.approx(57514 / 40000)


def test_bad_arguments():
    x, _ = ramp_train(ONSETS, 3000)
    with pytest.raises(InputError, match="polarity"):
        detect_pulses_in_array(x, RATE, polarity="up")
    with pytest.raises(InputError, match="NaN"):
        detect_pulses_in_array(np.array([0.0, np.nan]), RATE)
    with pytest.raises(InputError, match="sample rate"):
        detect_pulses_in_array(x, -1.0)
    with pytest.raises(InputError, match="refractory"):
        detect_pulses_in_array(x, RATE, refractory_s=-1)
    flat = detect_pulses_in_array(np.zeros(100), RATE)
    assert len(flat) == 0 and flat.notes


@pytest.mark.parametrize("onsets_s", [np.arange(1.0, 470.0, 0.7), np.array([123.456])])
def test_automatic_levels_on_a_long_recording(tmp_path, onsets_s):
    """Windowed level estimate (frequent pulses) and the full-scan fallback (one pulse in 8 min)."""
    rate = 20000.0
    n = int(480 * rate)
    counts = np.zeros(n, np.int16)
    starts = np.round(onsets_s * rate).astype(np.int64)
    for start in starts:
        counts[start : start + 20] = 10000
    path = tmp_path / "long.bin"
    counts.tofile(path)
    with open_recording(path, dtype="int16", num_channels=1, sample_rate_hz=rate, scale=0.001) as rec:
        found = detect_pulses(rec, "ch0")
    assert len(found) == starts.size
    assert found.threshold == pytest.approx(5.0, abs=0.01)
    np.testing.assert_allclose(found.times_s, (starts - 0.5) / rate, atol=1e-9)


@settings(max_examples=20, deadline=None)
@given(seed=st.integers(min_value=0, max_value=2**32 - 1), chunk=st.sampled_from([4095, 4096, 4097, 12289, 1 << 20]))
def test_chunks_longer_than_the_scan_block_agree_with_short_chunks(seed, chunk):
    """Long chunks (block maxima first, then only hot blocks) find what short chunks find."""
    from nwbtms.pulses.detect import SCAN_BLOCK_SAMPLES

    rng = np.random.default_rng(seed)
    n = 30000
    x = rng.normal(0.0, 0.4, n)
    starts = np.concatenate(
        [
            [SCAN_BLOCK_SAMPLES - 2, SCAN_BLOCK_SAMPLES - 1, SCAN_BLOCK_SAMPLES, 2 * SCAN_BLOCK_SAMPLES - 1],
            rng.integers(0, n - 3 * 24, 30),  # room for the widest pulse and its fall
        ]
    )
    for start in starts:
        width = int(rng.integers(1, 25))
        x[start : start + width] += rng.uniform(1.5, 4.0)
        x[start + width : start + 3 * width] += np.linspace(1.2, 0.0, 2 * width)  # slow fall: re-arm later
    for options in (
        {"threshold": 1.0, "hysteresis": 0.6},
        {"threshold": 1.0, "hysteresis": 0.0, "refractory_s": 0.0},
        {},
    ):
        short = detect_pulses_in_array(x, RATE, chunk_samples=37, **options)
        long = detect_pulses_in_array(x, RATE, chunk_samples=chunk, **options)
        np.testing.assert_array_equal(long.times_s, short.times_s)
        np.testing.assert_array_equal(long.amplitudes, short.amplitudes)
        assert len(long) > 0
