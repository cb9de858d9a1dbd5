"""Clock fits: known offset and drift, unequal event counts, residuals, the ndx-tms record."""

from __future__ import annotations

import numpy as np
import pytest

from nwbtms.errors import InputError
from nwbtms.imaging.clock import build_clock_alignment, fit_clock, to_session_clock

OFFSET_S = 12.345
DRIFT_PPM = 25.0


def _on_daq(device_times):
    return OFFSET_S + (1 + DRIFT_PPM * 1e-6) * np.asarray(device_times)


def test_equal_counts_recover_offset_and_drift():
    rng = np.random.default_rng(0)
    frames = np.arange(3000) / 30.0
    daq = _on_daq(frames) + rng.normal(0, 2e-6, frames.size)
    fit = fit_clock(frames, daq)
    assert fit.offset_s == pytest.approx(OFFSET_S, abs=1e-6)
    assert fit.drift_ppm == pytest.approx(DRIFT_PPM, abs=0.1)
    assert fit.num_matched == 3000 and fit.rms_residual_s < 5e-6
    np.testing.assert_allclose(to_session_clock(frames, fit), daq, atol=2e-5)


def test_daq_has_extra_frame_edges_and_imaging_dropped_frames():
    frames = np.arange(2000) / 30.0
    jitter = np.random.default_rng(1).uniform(0, 2e-3, frames.size)  # frame periods not perfectly equal
    frames = frames + jitter
    daq = _on_daq(frames)
    daq = np.concatenate([daq[:1] - 1 / 30.0, daq, daq[-1:] + np.arange(1, 6) / 30.0])  # 1 before, 5 after
    kept = np.delete(np.arange(frames.size), [100, 101, 700])  # frames lost by the imaging side
    fit = fit_clock(frames[kept], daq)
    assert fit.offset_s == pytest.approx(OFFSET_S, abs=1e-6)
    assert fit.drift_ppm == pytest.approx(DRIFT_PPM, abs=0.01)
    assert fit.num_matched == kept.size
    np.testing.assert_array_equal(fit.reference_index, kept + 1)
    assert fit.num_reference_events == daq.size


def test_aux_trigger_sees_subset_of_tms_pulses():
    # iTBS-like: triplets at 50 Hz, bursts at 5 Hz, trains of 10 bursts every 10 s; irregular train starts.
    rng = np.random.default_rng(2)
    trains = np.cumsum(rng.uniform(9.5, 10.5, 20))
    pulses = (trains[:, None, None] + np.arange(10)[None, :, None] * 0.2 + np.arange(3)[None, None, :] * 0.02)
    daq = np.sort(pulses.ravel())
    aux = (daq[300:420] - OFFSET_S) / (1 + DRIFT_PPM * 1e-6)  # imaging saw 4 trains only
    fit = fit_clock(aux, daq)
    assert fit.offset_s == pytest.approx(OFFSET_S, abs=1e-6)
    np.testing.assert_array_equal(fit.reference_index, np.arange(300, 420))
    assert not fit.ambiguous


def test_periodic_signal_is_flagged_and_prior_decides():
    frames = np.arange(200) / 30.0
    daq = _on_daq(np.arange(-1, 203) / 30.0)  # one edge before, three after: shift unknowable
    fit = fit_clock(frames, daq, initial_offset_s=OFFSET_S)
    assert fit.offset_s == pytest.approx(OFFSET_S, abs=1e-9)
    assert fit_clock(frames, daq).ambiguous


def test_record_in_ndx_tms():
    frames = np.arange(100) / 30.0
    fit = fit_clock(frames, _on_daq(frames))
    record = build_clock_alignment(fit, name="scanimage_to_daq", aligned_clock="scanimage",
                                   reference_clock="DAQ", shared_signal="frame clock on AI2")
    assert record.offset_in_s == pytest.approx(OFFSET_S)
    assert len(record.residual_in_s) == 100
    np.testing.assert_array_equal(record.residual_in_s, fit.residuals_s)
    assert record.rms_residual_in_s == fit.rms_residual_s


def test_residuals_are_reported():
    frames = np.arange(100) / 30.0
    daq = _on_daq(frames)
    daq[7] += 0.002  # one edge 2 ms late
    fit = fit_clock(frames, daq)
    worst_ms = float(np.max(np.abs(fit.residuals_s))) * 1e3
    assert 1.5 < worst_ms < 2.0
    text = fit.describe()
    assert "100 events matched of 100 device / 100 reference" in text
    assert f"rms {fit.rms_residual_s * 1e3:.3f} ms (max {worst_ms:.3f} ms)" in text
    assert "AMBIGUOUS" in fit_clock(frames, _on_daq(np.arange(-1, 103) / 30.0)).describe()


def test_bad_input():
    with pytest.raises(InputError, match="at least 2"):
        fit_clock([1.0], [1.0, 2.0])
    with pytest.raises(InputError, match="increasing"):
        fit_clock([2.0, 1.0], [1.0, 2.0])
    with pytest.raises(InputError, match="matched"):
        fit_clock([0.0, 1.0, 2.0], [100.0, 100.5, 300.0], initial_offset_s=0.0, tolerance_s=0.01)


def test_drift_larger_than_tolerance_over_a_long_recording():
    # 100 ppm over 2 h is 0.72 s of drift, far above the 5 ms matching tolerance.
    rng = np.random.default_rng(3)
    trains = np.cumsum(rng.uniform(190, 210, 36))
    pulses = np.sort((trains[:, None, None] + np.arange(10)[None, :, None] * 0.2
                      + np.arange(3)[None, None, :] * 0.02).ravel())
    aux = (pulses[30:] - 3.0) / (1 + 100e-6)
    fit = fit_clock(np.delete(aux, [500, 501]), pulses)
    assert fit.drift_ppm == pytest.approx(100.0, abs=1e-3)
    assert fit.offset_s == pytest.approx(3.0, abs=1e-6)
    assert fit.num_matched == aux.size - 2
