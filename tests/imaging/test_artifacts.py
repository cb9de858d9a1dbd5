"""Per-frame TMS artifact masks: overlap rule, boundaries, property check against a brute-force loop."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nwbtms.errors import InputError
from nwbtms.imaging.artifacts import artifact_mask


def _brute(frames, duration, pulses, window):
    return np.array([any(t <= p + window[1] and t + duration > p + window[0] for p in pulses)
                     for t in frames])


def test_frames_overlapping_pulse_plus_window():
    frames = np.arange(10) * 0.1  # frames [0, 0.1), [0.1, 0.2), ...
    mask = artifact_mask(frames, 0.1, [0.35], (-0.01, 0.12))  # window [0.34, 0.47]
    assert np.flatnonzero(mask).tolist() == [3, 4]


def test_boundaries():
    frames = np.arange(5) * 1.0
    # zero-length window at a frame start: only that frame
    assert np.flatnonzero(artifact_mask(frames, 1.0, [2.0], (0.0, 0.0))).tolist() == [2]
    # window ending exactly at a frame start: that frame is masked (closed window)
    assert np.flatnonzero(artifact_mask(frames, 1.0, [1.5], (0.0, 0.5))).tolist() == [1, 2]
    # window starting exactly at a frame end: that frame is not masked (half-open frame)
    assert np.flatnonzero(artifact_mask(frames, 1.0, [2.0], (0.0, 0.2))).tolist() == [2]
    # window in a gap between frames (frame shorter than the period): nothing
    assert not artifact_mask(frames, 0.5, [1.6], (0.0, 0.2)).any()
    # pulses before the first and after the last frame
    assert not artifact_mask(frames, 1.0, [-3.0, 9.0], (0.0, 0.5)).any()
    # empty inputs
    assert artifact_mask([], 1.0, [1.0], (0, 1)).shape == (0,)
    assert not artifact_mask(frames, 1.0, [], (0, 1)).any()


def test_overlapping_pulses_and_unsorted_pulses():
    frames = np.arange(100) * 0.033
    pulses = np.array([1.0, 0.02, 1.01, 2.5])
    np.testing.assert_array_equal(artifact_mask(frames, 0.033, pulses, (-0.002, 0.05)),
                                  _brute(frames, 0.033, pulses, (-0.002, 0.05)))


def test_bad_input():
    with pytest.raises(InputError):
        artifact_mask([0, 1], 0.0, [0.5], (0, 1))
    with pytest.raises(InputError):
        artifact_mask([0, 1], 1.0, [0.5], (1, 0))
    with pytest.raises(InputError):
        artifact_mask([1, 0], 1.0, [0.5], (0, 1))


@settings(max_examples=60, deadline=None)
@given(
    period=st.floats(0.01, 1.0),
    duty=st.floats(0.1, 1.0),
    n_frames=st.integers(0, 40),
    pulses=st.lists(st.floats(-1.0, 20.0), max_size=8),
    window=st.tuples(st.floats(-0.5, 0.5), st.floats(0.0, 0.5)),
)
def test_matches_brute_force(period, duty, n_frames, pulses, window):
    window = (window[0], window[0] + window[1])
    frames = np.arange(n_frames) * period
    np.testing.assert_array_equal(artifact_mask(frames, period * duty, pulses, window),
                                  _brute(frames, period * duty, pulses, window).astype(bool).reshape(-1))
